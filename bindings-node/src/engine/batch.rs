//! The core's `Batch` for batches driven on the JS thread (functions, promises, ops
//! mixed with them, streams, map). Its native ops run here, on the runtime, without a
//! JS round trip each: their ends are queued and JS hears of them once per burst
//! through the bridge. `engine.js` executes what is left: starting and cancelling host
//! tasks, pulling the source, reporting progress. One napi call per step writes the
//! actions into the batch's Int32Array.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fanio_core::engine::batch::{Action, Batch, Item};
use fanio_core::{Outcome, runtime};
use futures::future::{AbortHandle, Abortable};
use napi::Env;
use napi::bindgen_prelude::{Array, Int32ArraySlice};
use napi_derive::napi;

use super::options::{BatchOptions, parse};
use crate::bridge::{self, Bridge, Payloads, Record};
use crate::convert::{reason_to_js, value_to_js};
use crate::error::{code_status, status, status_code};
use crate::table::Table;
use crate::wire::{
    ACTION_CANCEL, ACTION_FINISH, ACTION_PROGRESS, ACTION_PULL, ACTION_SETTLED, ACTION_SKIP,
    ACTION_START, ACTION_WIDTH, IO_ACCEPTED, IO_COUNT, IO_HEADER, IO_MORE, IO_WAKE, OP_HOST,
    RECORD_BATCH_WAKE,
};

/// How a native op's run ended, queued by the runtime for the JS thread.
enum End {
    Done(usize, Outcome),
    Dropped(usize),
}

/// Shared with the runtime tasks of the batch's native ops.
struct Ends {
    queue: Mutex<Vec<End>>,
    /// A wake-up record is on its way to JS: later ends ride with it.
    posted: AtomicBool,
    bridge: Arc<Bridge>,
    id: u32,
}

impl Ends {
    fn push(&self, end: End) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(end);
        if !self.posted.swap(true, Ordering::AcqRel) {
            self.bridge
                .push(Record::new(RECORD_BATCH_WAKE, self.id as i32, 0));
        }
    }
}

struct HostBatch {
    core: Batch,
    handles: HashMap<usize, AbortHandle>,
    ends: Arc<Ends>,
    actions: Vec<Action>,
    /// Actions of the last poll not yet handed to JS (the io array was full).
    sent: usize,
    /// When the last poll asked to be polled again.
    wake: Option<Instant>,
    /// Native runs whose end JS has not taken in yet: each keeps Node alive (the bridge's
    /// pending count) until then, or until the batch is freed.
    live: usize,
}

impl Drop for HostBatch {
    fn drop(&mut self) {
        for (_, handle) in self.handles.drain() {
            handle.abort();
        }
    }
}

thread_local! {
    /// The batches JS drives, by id. A table and free functions rather than a napi
    /// class: a class method call costs more than twice a function call, and
    /// `batchStep` runs once per host task.
    static TABLE: RefCell<Table<HostBatch>> = const { RefCell::new(Table::new()) };
}

fn with<T>(id: u32, f: impl FnOnce(&mut HostBatch) -> T) -> Option<T> {
    TABLE.with_borrow_mut(|t| t.get_mut(id).map(f))
}

/// A batch under `options` whose items come through `batchFeed`; `stream` bounds
/// outcomes waiting unread by the limit; `reportProgress` asks for progress actions.
/// Bad options throw E_INVALID_ARGUMENT. Returns its id; free it with `batchFree`.
#[napi]
pub fn batch_new(
    env: Env,
    options: BatchOptions,
    limit_name: String,
    stream: bool,
    report_progress: bool,
) -> napi::Result<u32> {
    let opts = parse(&env, &options, &limit_name)?;
    let bridge = bridge::current();
    Ok(TABLE.with_borrow_mut(|t| {
        t.insert_with(|id| HostBatch {
            core: Batch::new(opts, stream, report_progress),
            handles: HashMap::new(),
            ends: Arc::new(Ends {
                queue: Mutex::new(Vec::new()),
                posted: AtomicBool::new(false),
                bridge,
                id,
            }),
            actions: Vec::new(),
            sent: 0,
            wake: None,
            live: 0,
        })
    }))
}

/// Drops batch `id` and every native op it still runs.
#[napi]
pub fn batch_free(env: Env, id: u32) {
    if let Some(b) = TABLE.with_borrow_mut(|t| t.remove(id)) {
        b.ends.bridge.end(&env, b.live);
    }
}

/// Hands over items packed by JS (a kind per item: OP_HOST for what JS runs, else an
/// op kind with its delay and payload, as `settleNative` takes them); returns the
/// index of the first.
#[napi]
pub fn batch_feed(
    id: u32,
    kinds: &[u8],
    delays: &[f64],
    messages: Vec<String>,
    natives: &[u32],
) -> u32 {
    let mut payloads = Payloads {
        messages: messages.into_iter(),
        natives: natives.iter(),
    };
    let items: Vec<Item> = kinds
        .iter()
        .zip(delays)
        .map(|(&kind, &ms)| match kind {
            OP_HOST => Item::Host,
            kind => Item::Native(bridge::make_op(kind, ms, &mut payloads)),
        })
        .collect();
    with(id, |b| b.core.feed(items) as u32).unwrap_or(0)
}

/// The pull asked for is over; `ended`: the source has no more items.
#[napi]
pub fn batch_pulled(id: u32, ended: bool) {
    with(id, |b| b.core.pulled(ended));
}

/// The source or the progress callback threw: the batch stops as cancelled.
#[napi]
pub fn batch_fail(id: u32) {
    with(id, |b| b.core.fail());
}

/// Stops the batch with the code of status `status` (its signal fired).
#[napi]
pub fn batch_stop(id: u32, status: u32) {
    with(id, |b| {
        if let Some(code) = status_code(status) {
            b.core.stop(code);
        }
    });
}

/// No task starts while more than `bound` outcomes wait unread (mapIterable's
/// backpressure).
#[napi]
pub fn batch_unread_bound(id: u32, bound: f64) {
    with(id, |b| {
        b.core
            .set_unread_bound(bound.min(usize::MAX as f64) as usize)
    });
}

/// Host item `completed` ended (-1: none), `read` outcomes were read by a stream's
/// consumer; takes in what native ops reported and advances to now. Writes the header
/// and the actions into `io`; returns the payloads of its SETTLED actions in order
/// (the value or the reason of each), or null when there are none.
#[napi]
pub fn batch_step<'env>(
    env: &'env Env,
    id: u32,
    mut io: Int32ArraySlice,
    completed: i32,
    rejected: bool,
    read: u32,
) -> napi::Result<Option<Array<'env>>> {
    // SAFETY: each batch has its own io array, only touched on the JS thread.
    let io = unsafe { io.as_mut() };
    let Some(settled) = with(id, |b| b.step(env, io, completed, rejected, read)) else {
        io[IO_COUNT] = 0;
        io[IO_MORE] = 0;
        return Ok(None);
    };
    if settled.is_empty() {
        return Ok(None);
    }
    bridge::to_array(env, &settled, |env, outcome| match outcome {
        Ok(v) => value_to_js(env, v),
        Err(e) => reason_to_js(env, e),
    })
    .map(Some)
}

impl HostBatch {
    fn step(
        &mut self,
        env: &Env,
        io: &mut [i32],
        completed: i32,
        rejected: bool,
        read: u32,
    ) -> Vec<Outcome> {
        io[IO_ACCEPTED] =
            (completed >= 0 && self.core.complete_host(completed as usize, rejected)) as i32;
        if read > 0 {
            self.core.read(read as usize);
        }
        self.ends.posted.store(false, Ordering::Release);
        let ends = std::mem::take(&mut *self.ends.queue.lock().unwrap_or_else(|e| e.into_inner()));
        self.live -= ends.len();
        self.ends.bridge.end(env, ends.len());
        for end in ends {
            match end {
                End::Done(i, outcome) => {
                    self.handles.remove(&i);
                    self.core.complete_native(i, outcome);
                }
                End::Dropped(i) => self.core.dropped(i),
            }
        }
        let now = Instant::now();
        if self.sent == self.actions.len() {
            self.actions.clear();
            self.sent = 0;
            self.wake = self.core.poll(now, &mut self.actions);
        }
        io[IO_WAKE] = self.wake.map_or(-1, |at| {
            let d = at.saturating_duration_since(now);
            d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
        });
        let room = (io.len() - IO_HEADER) / ACTION_WIDTH;
        let mut settled = Vec::new();
        let mut runs = Vec::new();
        let mut n = 0;
        while self.sent < self.actions.len() && n < room {
            let action = std::mem::replace(&mut self.actions[self.sent], Action::Finish);
            self.sent += 1;
            let (tag, index, value) = match action {
                Action::Run(i, op) => {
                    self.ends.bridge.begin(env);
                    self.live += 1;
                    runs.push(self.run(i, op));
                    continue;
                }
                Action::Drop(i) => {
                    if let Some(handle) = self.handles.remove(&i) {
                        handle.abort();
                    }
                    continue;
                }
                Action::Start(i) => (ACTION_START, i, 0),
                Action::Cancel(i, code) => (ACTION_CANCEL, i, code_status(code)),
                Action::Skip(i, code) => (ACTION_SKIP, i, code_status(code)),
                Action::Settled(i, outcome) => {
                    let s = status(&outcome);
                    settled.push(outcome);
                    (ACTION_SETTLED, i, s)
                }
                Action::Pull(want) => (ACTION_PULL, want, 0),
                Action::Progress(done, total) => (ACTION_PROGRESS, done, total as i32),
                Action::Finish => (ACTION_FINISH, 0, 0),
            };
            let at = IO_HEADER + ACTION_WIDTH * n;
            io[at] = tag;
            io[at + 1] = index as i32;
            io[at + 2] = value;
            n += 1;
        }
        io[IO_COUNT] = n as i32;
        io[IO_MORE] = (self.sent < self.actions.len()) as i32;
        spawn_all(runs);
        settled
    }

    /// The run of native op `i`, to spawn; its end is queued for JS.
    fn run(&mut self, i: usize, op: fanio_core::Op) -> impl Future<Output = ()> + Send + 'static {
        let (handle, registration) = AbortHandle::new_pair();
        self.handles.insert(i, handle);
        let ends = self.ends.clone();
        async move {
            // The op's future is dropped by the end of this statement, so a cut-off op
            // has let go of its socket when `Dropped` is queued.
            let ran = Abortable::new(op.run(), registration).await;
            ends.push(match ran {
                Ok(outcome) => End::Done(i, outcome),
                Err(_) => End::Dropped(i),
            });
        }
    }
}

/// One hop onto the runtime per step, not per op.
fn spawn_all(mut runs: Vec<impl Future<Output = ()> + Send + 'static>) {
    let rt = runtime::handle();
    match runs.len() {
        0 => {}
        1 => {
            rt.spawn(runs.pop().expect("one run"));
        }
        _ => {
            rt.spawn(async move {
                for run in runs {
                    tokio::spawn(run);
                }
            });
        }
    }
}
