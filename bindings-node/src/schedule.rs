//! The core's `Scheduler` for batches driven from the JS thread (host functions, mixed
//! batches, streams, map). One napi call per completion: it records the completion,
//! advances the scheduler and writes the actions into a shared Int32Array.

use std::cell::RefCell;
use std::time::Instant;

use fanio_core::engine::scheduler::pull_target;
use fanio_core::{Action, Scheduler};
use napi_derive::napi;

use napi::Env;
use napi::bindgen_prelude::Int32ArraySlice;

use crate::error::{code_status, status_code};
use crate::options::{BatchOptions, parse};
use crate::table::Table;
use crate::wire::{
    ACTION_ABORT, ACTION_SKIP, ACTION_START, ACTION_WIDTH, IO_ACCEPTED, IO_COUNT, IO_DONE,
    IO_FINISHED, IO_HEADER, IO_MORE, IO_PROGRESS_DUE, IO_TOTAL, IO_WAKE,
};

struct Schedule {
    inner: Scheduler,
    actions: Vec<Action>,
    /// Actions of the last poll not yet handed to JS (the io array was full).
    sent: usize,
    progress: bool,
}

thread_local! {
    /// Schedulers of the batches JS drives, by id. A table and free functions rather
    /// than a napi class: a class method call costs more than twice a function call,
    /// and `scheduleStep` runs once per task.
    static TABLE: RefCell<Table<Schedule>> = const { RefCell::new(Table::new()) };
}

fn with<T>(id: u32, f: impl FnOnce(&mut Schedule) -> T) -> Option<T> {
    TABLE.with_borrow_mut(|t| t.get_mut(id).map(f))
}

/// A scheduler for `known` tasks, more to come unless `source_done`; `stream` bounds
/// unread outcomes by the limit; `progress` asks for progress reports (bar or
/// callback). Bad options throw E_INVALID_ARGUMENT. Returns its id; free it with
/// `scheduleFree`.
#[napi]
pub fn schedule_new(
    env: Env,
    options: BatchOptions,
    limit_name: String,
    known: u32,
    source_done: bool,
    stream: bool,
    progress: bool,
) -> napi::Result<u32> {
    let opts = parse(&env, &options, &limit_name)?;
    let progress = progress || opts.progress;
    let s = Schedule {
        inner: Scheduler::new(opts, known as usize, source_done, stream),
        actions: Vec::new(),
        sent: 0,
        progress,
    };
    Ok(TABLE.with_borrow_mut(|t| t.insert(s)))
}

#[napi]
pub fn schedule_free(id: u32) {
    TABLE.with_borrow_mut(|t| t.remove(id));
}

/// How many items a host-driven source should keep handed over and not yet settled.
#[napi]
pub fn schedule_pull_target(id: u32) -> u32 {
    with(id, |s| {
        pull_target(s.inner.limit()).min(u32::MAX as usize) as u32
    })
    .unwrap_or(0)
}

/// No task starts while more than `bound` outcomes wait unread (mapIterable's
/// backpressure).
#[napi]
pub fn schedule_unread_bound(id: u32, bound: f64) {
    with(id, |s| {
        s.inner
            .set_unread_bound(bound.min(usize::MAX as f64) as usize)
    });
}

/// More tasks were handed over; `done` says the source has ended.
#[napi]
pub fn schedule_extend(id: u32, n: u32, done: bool) {
    with(id, |s| {
        s.inner.extend(n as usize);
        if done {
            s.inner.end_source();
        }
    });
}

/// Stops the batch with the code of status `status` (its signal fired).
#[napi]
pub fn schedule_stop(id: u32, status: u32) {
    with(id, |s| {
        if let Some(code) = status_code(status) {
            s.inner.stop(code);
        }
    });
}

/// Task `completed` ended (-1: none), `read` outcomes were read by a stream's
/// consumer; then advances to now. Writes the header and actions into `io`; returns
/// how many actions it wrote.
#[napi]
pub fn schedule_step(
    id: u32,
    mut io: Int32ArraySlice,
    completed: i32,
    rejected: bool,
    read: u32,
) -> u32 {
    // SAFETY: each batch has its own io array, only touched on the JS thread.
    let io = unsafe { io.as_mut() };
    with(id, |s| s.step(io, completed, rejected, read)).unwrap_or(0)
}

impl Schedule {
    fn step(&mut self, io: &mut [i32], completed: i32, rejected: bool, read: u32) -> u32 {
        let now = Instant::now();
        io[IO_ACCEPTED] = if completed >= 0 {
            self.inner.complete(completed as usize, rejected) as i32
        } else {
            0
        };
        if read > 0 {
            self.inner.read(read as usize);
        }
        if self.sent == self.actions.len() {
            self.actions.clear();
            self.sent = 0;
        }
        let wake = self.inner.poll(now, &mut self.actions, |_| false);
        io[IO_WAKE] = wake.map_or(-1, |at| {
            let d = at.saturating_duration_since(now);
            (d.as_micros().div_ceil(1000)).min(i32::MAX as u128) as i32
        });
        let room = (io.len() - IO_HEADER) / ACTION_WIDTH;
        let n = (self.actions.len() - self.sent).min(room);
        for (k, action) in self.actions[self.sent..self.sent + n].iter().enumerate() {
            let (tag, i, status) = match *action {
                Action::Start(i) => (ACTION_START, i, 0),
                Action::Abort(i, code) => (ACTION_ABORT, i, code_status(code)),
                Action::Skip(i, code) => (ACTION_SKIP, i, code_status(code)),
            };
            let at = IO_HEADER + ACTION_WIDTH * k;
            io[at] = tag;
            io[at + 1] = i as i32;
            io[at + 2] = status;
        }
        self.sent += n;
        io[IO_COUNT] = n as i32;
        io[IO_MORE] = (self.sent < self.actions.len()) as i32;
        io[IO_PROGRESS_DUE] = 0;
        if self.progress
            && let Some((done, total)) = self.inner.progress(now)
        {
            io[IO_PROGRESS_DUE] = 1;
            io[IO_DONE] = done as i32;
            io[IO_TOTAL] = total as i32;
        }
        io[IO_FINISHED] = self.inner.finished() as i32;
        n as u32
    }
}
