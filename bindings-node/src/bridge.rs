//! The one road back from the runtime to the JS thread. Completions (single ops, batch
//! ends, progress) are queued here and the JS thread is woken once per burst through a
//! weak threadsafe function, which is ref'd only while work is pending so an idle bridge
//! never keeps Node alive. JS drains the queue into a shared Int32Array: no JS object
//! is made per completion on the runtime side. Each Node environment (the main thread,
//! every worker) has its own bridge; a run carries an `Arc` of the bridge that started it.
//! Values of native ops and reasons of rejections are converted into JS objects only
//! when JS drains them (`drainValues`, `drainReasons`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use fanio_core::{Code, Error, Op, Outcome, Unit, Value, engine::op};
use futures::future::{AbortHandle, Abortable, BoxFuture};
use napi::bindgen_prelude::{Array, Function, Int32ArraySlice};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, sys};
use napi_derive::napi;

use crate::convert::{reason_to_js, value_to_js};
use crate::error::status;
use crate::native_op;
use crate::wire::{
    OP_FAIL, OP_NATIVE, RECORD_BATCH_DONE, RECORD_BATCH_WAKE, RECORD_OP_DONE, RECORD_PROGRESS,
    RECORD_WIDTH,
};

pub struct Record {
    kind: i32,
    id: i32,
    value: i32,
    /// The reason of a rejected op.
    error: Option<Error>,
    /// The value of a fulfilled native op (a sleep op's value stays in JS).
    fulfilled: Option<Value>,
    /// The outcomes of a finished native batch.
    outcomes: Option<Vec<Outcome>>,
}

impl Record {
    pub fn new(kind: i32, id: i32, value: i32) -> Self {
        Record {
            kind,
            id,
            value,
            error: None,
            fulfilled: None,
            outcomes: None,
        }
    }

    pub fn with_outcomes(mut self, outcomes: Vec<Outcome>) -> Self {
        self.outcomes = Some(outcomes);
        self
    }

    /// The end of a single op in `slot`; `native` ops bring their value along.
    fn op_done(slot: i32, outcome: Outcome, native: bool) -> Self {
        let mut r = Record::new(RECORD_OP_DONE, slot, status(&outcome));
        match outcome {
            Ok(v) => r.fulfilled = native.then_some(v),
            Err(e) => r.error = Some(e),
        }
        r
    }
}

type Wake = ThreadsafeFunction<(), (), (), Status, false, true>;

pub struct Bridge {
    queue: Mutex<Vec<Record>>,
    notified: AtomicBool,
    /// Single ops and batches started and not yet drained (its JS thread only).
    pending: AtomicUsize,
    wake: Wake,
}

thread_local! {
    /// The bridge of the Node environment on this JS thread.
    static BRIDGE: RefCell<Option<Arc<Bridge>>> = const { RefCell::new(None) };
    /// Outcomes of finished native batches, drained and waiting for `take_batch`.
    static BATCH_OUTCOMES: RefCell<HashMap<i32, Vec<Outcome>>> = RefCell::new(HashMap::new());
    /// Abort handles of running single ops by slot (JS thread only).
    static ABORTS: RefCell<Vec<Option<AbortHandle>>> = const { RefCell::new(Vec::new()) };
    /// Reasons of the rejections in the last drain, in record order.
    static REASONS: RefCell<Vec<Error>> = const { RefCell::new(Vec::new()) };
    /// Values of the fulfilled native ops in the last drain, in record order.
    static VALUES: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
}

/// The bridge of this JS thread's environment.
pub fn current() -> Arc<Bridge> {
    BRIDGE
        .with_borrow(|h| h.clone())
        .expect("fanio: the bridge is set up when the module loads")
}

impl Bridge {
    /// Queues a record from any thread; wakes JS only if it is not already woken.
    pub fn push(&self, record: Record) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(record);
        if !self.notified.swap(true, Ordering::AcqRel) {
            self.wake.call((), ThreadsafeFunctionCallMode::NonBlocking);
        }
    }

    /// One more thing is pending: keep Node alive until it is drained (JS thread).
    pub fn begin(&self, env: &Env) {
        if self.pending.fetch_add(1, Ordering::Relaxed) == 0 {
            unsafe { sys::napi_ref_threadsafe_function(env.raw(), self.wake.raw()) };
        }
    }

    /// `n` pending things are over (JS thread).
    pub fn end(&self, env: &Env, n: usize) {
        if n > 0 && self.pending.fetch_sub(n, Ordering::Relaxed) == n {
            unsafe { sys::napi_unref_threadsafe_function(env.raw(), self.wake.raw()) };
        }
    }
}

/// Sets up this environment's bridge with the JS function that drains it (called once
/// when the module loads in a Node environment).
#[napi]
pub fn init_bridge(on_wake: Function<(), ()>) -> napi::Result<()> {
    let wake = on_wake
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    let bridge = Bridge {
        queue: Mutex::new(Vec::new()),
        notified: AtomicBool::new(false),
        pending: AtomicUsize::new(0),
        wake,
    };
    BRIDGE.with_borrow_mut(|h| *h = Some(Arc::new(bridge)));
    Ok(())
}

/// The payloads of packed ops: the messages of fail ops and the native ops, in order.
pub struct Payloads<'a> {
    pub messages: std::vec::IntoIter<String>,
    pub natives: std::slice::Iter<'a, u32>,
}

/// Makes the core op a JS op describes (kind, delay in ms, its payload).
pub fn make_op(kind: u8, ms: f64, payloads: &mut Payloads<'_>) -> Op {
    if kind == OP_NATIVE {
        // JS passes only handles of ops it still holds, so every one is here.
        let op = payloads.natives.next().copied().and_then(native_op::held);
        // Taken by a run or a batch: even a run cut off before its first poll counts.
        op.iter().for_each(Op::hand_over);
        return op
            .unwrap_or_else(|| op::fail(Duration::ZERO, "fanio: a native op was released".into()));
    }
    // The JS side checked `ms` when the op was made; the core clamps "forever".
    let delay = Unit::Millis
        .duration(Some(ms), "ms")
        .ok()
        .flatten()
        .unwrap_or_default();
    if kind == OP_FAIL {
        op::fail(delay, payloads.messages.next().unwrap_or_default())
    } else {
        op::sleep(delay, Value::Null)
    }
}

/// Runs one op and reports its end to the bridge, or its drop if it is aborted first: JS
/// frees the slot only then, so a cancelled op is known to be gone when JS hears of it.
struct Tracked {
    bridge: Arc<Bridge>,
    slot: i32,
    native: bool,
    fut: Option<BoxFuture<'static, Outcome>>,
}

impl Future for Tracked {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let fut = self.fut.as_mut().expect("polled after it ended");
        match fut.as_mut().poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(outcome) => {
                self.fut = None;
                self.bridge
                    .push(Record::op_done(self.slot, outcome, self.native));
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(fut) = self.fut.take() {
            drop(fut);
            let cancelled = Err(Error::stopped(Code::Cancelled));
            self.bridge
                .push(Record::op_done(self.slot, cancelled, self.native));
        }
    }
}

/// Starts `n` single ops (awaited alone or as thenables in a host batch), packed by
/// JS: one call and one hop onto the runtime per burst of starts, not per op.
#[napi]
pub fn start_ops(
    env: Env,
    n: u32,
    slots: &[i32],
    kinds: &[u8],
    delays: &[f64],
    messages: Vec<String>,
    natives: &[u32],
) {
    let n = n as usize;
    let bridge = current();
    let mut payloads = Payloads {
        messages: messages.into_iter(),
        natives: natives.iter(),
    };
    let mut tasks = Vec::with_capacity(n);
    ABORTS.with_borrow_mut(|aborts| {
        for k in 0..n {
            let slot = slots[k];
            let op = make_op(kinds[k], delays[k], &mut payloads);
            let (handle, registration) = AbortHandle::new_pair();
            let s = slot as usize;
            if aborts.len() <= s {
                aborts.resize_with(s + 1, || None);
            }
            aborts[s] = Some(handle);
            let fut: BoxFuture<'static, Outcome> = Box::pin(async move { op.run().await });
            tasks.push(Abortable::new(
                Tracked {
                    bridge: bridge.clone(),
                    slot,
                    native: kinds[k] == OP_NATIVE,
                    fut: Some(fut),
                },
                registration,
            ));
            bridge.begin(&env);
        }
    });
    fanio_core::runtime::spawn_all(tasks);
}

/// Drops a running single op (a host batch cut it off). Its slot comes back through
/// the bridge once the future is gone.
#[napi]
pub fn cancel_op(slot: u32) {
    ABORTS.with_borrow_mut(|aborts| {
        if let Some(handle) = aborts.get_mut(slot as usize).and_then(Option::take) {
            handle.abort();
        }
    });
}

/// Moves queued records into `buf` as (kind, id, value) triples; returns how many.
/// JS calls again until 0. Reasons of rejected ops wait in `drainReasons()`, values of
/// fulfilled native ops in `drainValues()`.
#[napi]
pub fn drain(env: Env, mut buf: Int32ArraySlice) -> u32 {
    // SAFETY: the shared buffer is only touched on the JS thread, during this call.
    let buf = unsafe { buf.as_mut() };
    let bridge = current();
    bridge.notified.store(false, Ordering::Release);
    let room = buf.len() / RECORD_WIDTH;
    let mut records: Vec<Record> = {
        let mut queue = bridge.queue.lock().unwrap_or_else(|e| e.into_inner());
        let n = queue.len().min(room);
        queue.drain(..n).collect()
    };
    let mut ended = 0;
    let (mut reasons, mut values) = (Vec::new(), Vec::new());
    {
        ABORTS.with_borrow_mut(|aborts| {
            for (k, r) in records.iter_mut().enumerate() {
                let at = RECORD_WIDTH * k;
                buf[at] = r.kind;
                buf[at + 1] = r.id;
                buf[at + 2] = r.value;
                if r.kind == RECORD_OP_DONE {
                    if let Some(slot) = aborts.get_mut(r.id as usize) {
                        *slot = None;
                    }
                    reasons.extend(r.error.take());
                    values.extend(r.fulfilled.take());
                }
                if r.kind == RECORD_BATCH_DONE {
                    crate::engine::native::forget(r.id);
                }
                if let Some(outcomes) = r.outcomes.take() {
                    BATCH_OUTCOMES.with_borrow_mut(|b| b.insert(r.id, outcomes));
                }
                // Progress and batch wake-ups end nothing: a host batch counts its
                // native runs itself (`engine/batch.rs`).
                if r.kind != RECORD_PROGRESS && r.kind != RECORD_BATCH_WAKE {
                    ended += 1;
                }
            }
        });
    }
    REASONS.with_borrow_mut(|r| *r = reasons);
    VALUES.with_borrow_mut(|v| *v = values);
    bridge.end(&env, ended);
    records.len() as u32
}

/// The outcomes a drained BATCH_DONE record brought for batch `id`.
pub fn take_outcomes(id: i32) -> Option<Vec<Outcome>> {
    BATCH_OUTCOMES.with_borrow_mut(|b| b.remove(&id))
}

/// Reasons of the rejected ops of the last `drain`, in record order: a message, or
/// `[message, fields]`.
#[napi]
pub fn drain_reasons(env: &Env) -> napi::Result<Array<'_>> {
    let reasons = REASONS.with_borrow_mut(std::mem::take);
    to_array(env, &reasons, reason_to_js)
}

/// Values of the fulfilled native ops of the last `drain`, in record order.
#[napi]
pub fn drain_values(env: &Env) -> napi::Result<Array<'_>> {
    let values = VALUES.with_borrow_mut(std::mem::take);
    to_array(env, &values, value_to_js)
}

/// A JS array of `items` converted one by one.
pub fn to_array<'env, T>(
    env: &'env Env,
    items: &[T],
    convert: impl Fn(&'env Env, &T) -> napi::Result<napi::bindgen_prelude::Unknown<'env>>,
) -> napi::Result<Array<'env>> {
    let mut array = env.create_array(items.len() as u32)?;
    for (i, item) in items.iter().enumerate() {
        array.set(i as u32, convert(env, item)?)?;
    }
    Ok(array)
}
