//! The one road back from the runtime to the JS thread. Completions (single ops, batch
//! ends, progress) are queued here and the JS thread is woken once per burst through a
//! weak threadsafe function, which is ref'd only while work is pending so an idle hub
//! never keeps Node alive. JS drains the queue into a shared Int32Array: no JS object
//! is made per completion on the runtime side. Each Node environment (the main thread,
//! every worker) has its own hub; a run carries an `Arc` of the hub that started it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use fanio_core::{Code, Error, Op, Outcome, Value, op};
use futures::future::{AbortHandle, Abortable, BoxFuture};
use napi::bindgen_prelude::{Function, Int32ArraySlice};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, sys};
use napi_derive::napi;

use crate::error::status;

/// Record kinds, as JS reads them.
pub const OP_DONE: i32 = 0;
pub const PROGRESS: i32 = 1;
pub const BATCH_DONE: i32 = 2;

/// Op kind of a `fail` op, as JS packs it (0 is `sleep`).
pub const FAIL: u8 = 1;

pub struct Record {
    kind: i32,
    id: i32,
    value: i32,
    message: Option<Arc<str>>,
    /// The outcomes of a finished native batch.
    outcomes: Option<Vec<Outcome>>,
}

type Wake = ThreadsafeFunction<(), (), (), Status, false, true>;

pub struct Hub {
    queue: Mutex<Vec<Record>>,
    notified: AtomicBool,
    /// Single ops and batches started and not yet drained (its JS thread only).
    pending: AtomicUsize,
    wake: Wake,
}

thread_local! {
    /// The hub of the Node environment on this JS thread.
    static HUB: RefCell<Option<Arc<Hub>>> = const { RefCell::new(None) };
    /// Outcomes of finished native batches, drained and waiting for `take_batch`.
    static BATCH_OUTCOMES: RefCell<HashMap<i32, Vec<Outcome>>> = RefCell::new(HashMap::new());
    /// Abort handles of running single ops by slot (JS thread only).
    static ABORTS: RefCell<Vec<Option<AbortHandle>>> = const { RefCell::new(Vec::new()) };
    /// Messages of the rejections in the last drain, in record order.
    static MESSAGES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// The hub of this JS thread's environment.
pub fn current() -> Arc<Hub> {
    HUB.with_borrow(|h| h.clone())
        .expect("fanio: the hub is set up when the module loads")
}

impl Hub {
    /// Queues a record from any thread; wakes JS only if it is not already woken.
    pub fn push(
        &self,
        kind: i32,
        id: i32,
        value: i32,
        message: Option<Arc<str>>,
        outcomes: Option<Vec<Outcome>>,
    ) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Record {
                kind,
                id,
                value,
                message,
                outcomes,
            });
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

    fn end(&self, env: &Env, n: usize) {
        if n > 0 && self.pending.fetch_sub(n, Ordering::Relaxed) == n {
            unsafe { sys::napi_unref_threadsafe_function(env.raw(), self.wake.raw()) };
        }
    }
}

/// Sets up this environment's hub with the JS function that drains it (called once
/// when the module loads in a Node environment).
#[napi]
pub fn init_hub(on_wake: Function<(), ()>) -> napi::Result<()> {
    let wake = on_wake
        .build_threadsafe_function()
        .callee_handled::<false>()
        .weak::<true>()
        .build()?;
    let hub = Hub {
        queue: Mutex::new(Vec::new()),
        notified: AtomicBool::new(false),
        pending: AtomicUsize::new(0),
        wake,
    };
    HUB.with_borrow_mut(|h| *h = Some(Arc::new(hub)));
    Ok(())
}

/// Makes the core op a JS op describes (kind, delay in ms, message of a fail op).
pub fn make_op(kind: u8, ms: f64, messages: &mut impl Iterator<Item = String>) -> Op {
    // The JS side checked `ms` when the op was made; the core clamps "forever".
    let delay = fanio_core::schedule::seconds(Some(ms / 1000.0), "ms").ok().flatten().unwrap_or_default();
    if kind == FAIL {
        op::fail(delay, messages.next().unwrap_or_default())
    } else {
        op::sleep(delay, Value::Null)
    }
}

/// Runs one op and reports its end to the hub, or its drop if it is aborted first: JS
/// frees the slot only then, so a cancelled op is known to be gone when JS hears of it.
struct Tracked {
    hub: Arc<Hub>,
    slot: i32,
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
                let message = outcome.as_ref().err().map(|e| e.message.clone());
                self.hub
                    .push(OP_DONE, self.slot, status(&outcome), message, None);
                Poll::Ready(())
            }
        }
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if let Some(fut) = self.fut.take() {
            drop(fut);
            let e = Error::stopped(Code::Cancelled);
            self.hub.push(
                OP_DONE,
                self.slot,
                status(&Err(e.clone())),
                Some(e.message),
                None,
            );
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
) {
    let n = n as usize;
    let hub = current();
    let mut messages = messages.into_iter();
    let mut tasks = Vec::with_capacity(n);
    ABORTS.with_borrow_mut(|aborts| {
        for k in 0..n {
            let slot = slots[k];
            let op = make_op(kinds[k], delays[k], &mut messages);
            let (handle, registration) = AbortHandle::new_pair();
            let s = slot as usize;
            if aborts.len() <= s {
                aborts.resize_with(s + 1, || None);
            }
            aborts[s] = Some(handle);
            let fut: BoxFuture<'static, Outcome> = Box::pin(async move { op.run().await });
            tasks.push(Abortable::new(
                Tracked {
                    hub: hub.clone(),
                    slot,
                    fut: Some(fut),
                },
                registration,
            ));
            hub.begin(&env);
        }
    });
    let rt = fanio_core::runtime::handle();
    if tasks.len() == 1 {
        let task = tasks.pop().expect("one task");
        rt.spawn(task);
    } else if !tasks.is_empty() {
        rt.spawn(async move {
            for task in tasks {
                tokio::spawn(task);
            }
        });
    }
}

/// Drops a running single op (a host batch cut it off). Its slot comes back through
/// the hub once the future is gone.
#[napi]
pub fn cancel_op(slot: u32) {
    ABORTS.with_borrow_mut(|aborts| {
        if let Some(handle) = aborts.get_mut(slot as usize).and_then(Option::take) {
            handle.abort();
        }
    });
}

/// Moves queued records into `buf` as (kind, id, value) triples; returns how many.
/// JS calls again until 0. Messages of rejected ops wait in `drainMessages()`.
#[napi]
pub fn drain(env: Env, mut buf: Int32ArraySlice) -> u32 {
    // SAFETY: the shared buffer is only touched on the JS thread, during this call.
    let buf = unsafe { buf.as_mut() };
    let hub = current();
    hub.notified.store(false, Ordering::Release);
    let room = buf.len() / 3;
    let mut records: Vec<Record> = {
        let mut queue = hub.queue.lock().unwrap_or_else(|e| e.into_inner());
        let n = queue.len().min(room);
        queue.drain(..n).collect()
    };
    let mut ended = 0;
    MESSAGES.with_borrow_mut(|messages| {
        messages.clear();
        ABORTS.with_borrow_mut(|aborts| {
            for (k, r) in records.iter_mut().enumerate() {
                buf[3 * k] = r.kind;
                buf[3 * k + 1] = r.id;
                buf[3 * k + 2] = r.value;
                if r.kind == OP_DONE {
                    if let Some(slot) = aborts.get_mut(r.id as usize) {
                        *slot = None;
                    }
                    if let Some(m) = &r.message {
                        messages.push(m.to_string());
                    }
                }
                if r.kind == BATCH_DONE {
                    crate::batch::forget(r.id);
                }
                if let Some(outcomes) = r.outcomes.take() {
                    BATCH_OUTCOMES.with_borrow_mut(|b| b.insert(r.id, outcomes));
                }
                if r.kind != PROGRESS {
                    ended += 1;
                }
            }
        });
    });
    hub.end(&env, ended);
    records.len() as u32
}

/// The outcomes a drained BATCH_DONE record brought for batch `id`.
pub fn take_outcomes(id: i32) -> Option<Vec<Outcome>> {
    BATCH_OUTCOMES.with_borrow_mut(|b| b.remove(&id))
}

/// Messages of the rejected ops of the last `drain`, in record order.
#[napi]
pub fn drain_messages() -> Vec<String> {
    MESSAGES.with_borrow_mut(std::mem::take)
}
