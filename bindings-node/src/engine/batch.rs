//! The core's `Batch` for batches driven on the JS thread (functions, promises, ops
//! mixed with them, streams, map). Its native ops run here, on the runtime, without a
//! JS round trip each: their ends are queued and JS hears of them once per burst
//! through the bridge. `engine.js` executes what is left: starting and cancelling host
//! tasks, pulling the source, reporting progress. One napi call per step writes the
//! actions into the batch's Int32Array.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use fanio_core::Outcome;
use fanio_core::engine::batch::{Action, Batch, Item};
use fanio_core::engine::host::HostBatch;
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

struct Run {
    host: HostBatch,
    bridge: Arc<Bridge>,
    /// Actions of the last step not yet handed to JS (the io array was full).
    actions: Vec<Action>,
    /// When the last step asked to be stepped again.
    wake: Option<Instant>,
    /// Native runs whose end JS has not taken in yet: each keeps Node alive (the
    /// bridge's pending count) until then, or until the batch is freed.
    live: usize,
}

thread_local! {
    /// The batches JS drives, by id. A table and free functions rather than a napi
    /// class: a class method call costs more than twice a function call, and
    /// `batchStep` runs once per host task.
    static TABLE: RefCell<Table<Run>> = const { RefCell::new(Table::new()) };
}

fn with<T>(id: u32, f: impl FnOnce(&mut Run) -> T) -> Option<T> {
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
        t.insert_with(|id| {
            let notify = bridge.clone();
            let batch = Batch::new(opts, stream, report_progress);
            Run {
                host: HostBatch::new(batch, move || {
                    notify.push(Record::new(RECORD_BATCH_WAKE, id as i32, 0))
                }),
                bridge,
                actions: Vec::new(),
                wake: None,
                live: 0,
            }
        })
    }))
}

/// Drops batch `id` and every native op it still runs.
#[napi]
pub fn batch_free(env: Env, id: u32) {
    if let Some(b) = TABLE.with_borrow_mut(|t| t.remove(id)) {
        b.bridge.end(&env, b.live);
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
    with(id, |b| b.host.batch().feed(items) as u32).unwrap_or(0)
}

/// The pull asked for is over; `ended`: the source has no more items.
#[napi]
pub fn batch_pulled(id: u32, ended: bool) {
    with(id, |b| b.host.batch().pulled(ended));
}

/// The source or the progress callback threw: the batch stops as cancelled.
#[napi]
pub fn batch_fail(id: u32) {
    with(id, |b| b.host.batch().fail());
}

/// Stops the batch with the code of status `status` (its signal fired).
#[napi]
pub fn batch_stop(id: u32, status: u32) {
    with(id, |b| {
        if let Some(code) = status_code(status) {
            b.host.batch().stop(code);
        }
    });
}

/// No task starts while more than `bound` outcomes wait unread (mapIterable's
/// backpressure).
#[napi]
pub fn batch_unread_bound(id: u32, bound: f64) {
    with(id, |b| {
        b.host
            .batch()
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

impl Run {
    fn step(
        &mut self,
        env: &Env,
        io: &mut [i32],
        completed: i32,
        rejected: bool,
        read: u32,
    ) -> Vec<Outcome> {
        let batch = self.host.batch();
        io[IO_ACCEPTED] =
            (completed >= 0 && batch.complete_host(completed as usize, rejected)) as i32;
        if read > 0 {
            batch.read(read as usize);
        }
        let now = Instant::now();
        if self.actions.is_empty() {
            let step = self.host.step(now, &mut self.actions);
            self.wake = step.wake;
            for _ in 0..step.started {
                self.bridge.begin(env);
            }
            self.bridge.end(env, step.ended);
            self.live = self.live + step.started - step.ended;
        }
        io[IO_WAKE] = self.wake.map_or(-1, |at| {
            let d = at.saturating_duration_since(now);
            d.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32
        });
        let room = (io.len() - IO_HEADER) / ACTION_WIDTH;
        let n = self.actions.len().min(room);
        let mut settled = Vec::new();
        for (k, action) in self.actions.drain(..n).enumerate() {
            let (tag, index, value) = match action {
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
                Action::Run(..) | Action::Drop(_) => unreachable!("done by HostBatch::step"),
            };
            let at = IO_HEADER + ACTION_WIDTH * k;
            io[at] = tag;
            io[at + 1] = index as i32;
            io[at + 2] = value;
        }
        io[IO_COUNT] = n as i32;
        io[IO_MORE] = !self.actions.is_empty() as i32;
        settled
    }
}
