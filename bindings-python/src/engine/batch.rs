//! The core's `Batch` for batches driven on the asyncio loop (coroutines, or native ops
//! mixed with them). Its native ops run here, on the runtime, without a Python task
//! each: their ends are queued and the loop hears of them once per burst through the
//! bridge. `fanio._engine` executes what is left: starting, cancelling and closing
//! coroutines, pulling the source, reporting progress.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use fanio_core::engine::batch::{Action, Item};
use fanio_core::{Error, Outcome, runtime};
use futures::future::{AbortHandle, Abortable};
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::{PyTraverseError, PyVisit};

use super::options::Options;
use crate::bridge::{Bridge, Delivery, Poster, Wake, settled};
use crate::error::{self, code_named, invalid};
use crate::op::Op;

// What `step` hands to `fanio._engine`: `(tag, index, payload)` triples. Defined here
// once; the module exports them and `_engine.py` reads them from there.
/// Start host item `index`.
pub const ACTION_START: u8 = 0;
/// Host item `index` runs and is cut off: cancel it; it settles with `payload` (an error).
pub const ACTION_CANCEL: u8 = 1;
/// Host item `index` never starts: close it; it settles with `payload` (an error).
pub const ACTION_SKIP: u8 = 2;
/// Native op `index` settled: `payload` is its Fulfilled or Rejected.
pub const ACTION_SETTLED: u8 = 3;
/// Pull up to `index` items from the source, `feed` them, then call `pulled`.
pub const ACTION_PULL: u8 = 4;
/// Report progress: `index` items done of `payload`.
pub const ACTION_PROGRESS: u8 = 5;
/// The batch is over.
pub const ACTION_FINISH: u8 = 6;

/// How a native op's run ended, queued by the runtime for the loop.
enum End {
    Done(usize, Outcome),
    Dropped(usize),
}

/// Shared with the runtime tasks of the batch's native ops.
struct Ends {
    queue: Mutex<Vec<End>>,
    /// A wake-up is on its way to the loop: later ends ride with it.
    posted: AtomicBool,
    poster: Poster,
    /// `_HostBatch.poll`, called by the bridge when ends are queued. Cleared by `close`
    /// (and by the GC), which breaks the cycle through the executor.
    wake: Mutex<Option<Py<PyAny>>>,
}

impl Ends {
    fn push(self: &Arc<Self>, end: End) {
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(end);
        if !self.posted.swap(true, Ordering::AcqRel) {
            self.poster.post(Delivery::Wake(self.clone()));
        }
    }
}

/// Called on the loop by the bridge: the executor polls the batch.
impl Wake for Ends {
    fn wake(&self, py: Python<'_>) -> PyResult<()> {
        let callback = self
            .wake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|c| c.clone_ref(py));
        match callback {
            Some(callback) => callback.call0(py).map(drop),
            None => Ok(()),
        }
    }
}

#[pyclass(module = "fanio._fanio")]
pub struct Batch {
    core: fanio_core::Batch,
    handles: HashMap<usize, AbortHandle>,
    ends: Arc<Ends>,
    actions: Vec<Action>,
}

#[pymethods]
impl Batch {
    /// A batch under `options` whose items come through `feed`; `stream` bounds
    /// outcomes waiting unread by the limit; `wake` is called on the loop when native
    /// ops have ended; `report_progress` asks for progress actions.
    #[new]
    fn new(
        options: &Options,
        stream: bool,
        bridge: &Bridge,
        wake: Py<PyAny>,
        report_progress: bool,
    ) -> Self {
        Batch {
            core: fanio_core::Batch::new(options.0.clone(), stream, report_progress),
            handles: HashMap::new(),
            ends: Arc::new(Ends {
                queue: Mutex::new(Vec::new()),
                posted: AtomicBool::new(false),
                poster: bridge.poster(),
                wake: Mutex::new(Some(wake)),
            }),
            actions: Vec::new(),
        }
    }

    /// Hands over `items` (fanio ops run natively, anything else is the loop's to run);
    /// returns the index of the first.
    fn feed(&mut self, items: &Bound<'_, PyList>) -> usize {
        self.core
            .feed(items.iter().map(|item| match item.cast::<Op>() {
                Ok(op) => Item::Native(op.get().0.clone()),
                Err(_) => Item::Host,
            }))
    }

    /// The pull asked for is over; `ended`: the source has no more items.
    fn pulled(&mut self, ended: bool) {
        self.core.pulled(ended);
    }

    /// The source or the progress callback raised: stop as cancelled.
    fn fail(&mut self) {
        self.core.fail();
    }

    fn stop(&mut self, py: Python<'_>, code: &str) -> PyResult<()> {
        let code = code_named(code).ok_or_else(|| invalid(py, format!("unknown code {code}")))?;
        self.core.stop(code);
        Ok(())
    }

    /// Host item `index` ended; False if it was cut off before (ignore it).
    fn complete(&mut self, index: usize, rejected: bool) -> bool {
        self.core.complete_host(index, rejected)
    }

    fn read(&mut self, n: usize) {
        self.core.read(n);
    }

    /// How many items were handed over so far.
    #[getter]
    fn fed(&self) -> usize {
        self.core.fed()
    }

    /// Takes in what native ops reported, advances the batch, runs and drops its native
    /// ops, and returns `(actions, wake)`: the `(tag, index, payload)` actions for the
    /// loop, and the delay in seconds before polling again (None: on an event).
    #[allow(clippy::type_complexity)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
    ) -> PyResult<(Vec<(u8, usize, Py<PyAny>)>, Option<f64>)> {
        self.ends.posted.store(false, Ordering::Release);
        let ends = std::mem::take(&mut *self.ends.queue.lock().unwrap_or_else(|e| e.into_inner()));
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
        let wake = self.core.poll(now, &mut self.actions);
        let mut out = Vec::with_capacity(self.actions.len());
        for action in self.actions.drain(..) {
            let stopped = |code| -> PyResult<Py<PyAny>> {
                Ok(error::exception(py, &Error::stopped(code))?.unbind())
            };
            out.push(match action {
                Action::Run(i, op) => {
                    self.handles.insert(i, run(&self.ends, i, op));
                    continue;
                }
                Action::Drop(i) => {
                    if let Some(handle) = self.handles.remove(&i) {
                        handle.abort();
                    }
                    continue;
                }
                Action::Start(i) => (ACTION_START, i, py.None()),
                Action::Cancel(i, code) => (ACTION_CANCEL, i, stopped(code)?),
                Action::Skip(i, code) => (ACTION_SKIP, i, stopped(code)?),
                Action::Settled(i, outcome) => (ACTION_SETTLED, i, settled(py, &outcome)?),
                Action::Pull(n) => (ACTION_PULL, n, py.None()),
                Action::Progress(done, total) => (
                    ACTION_PROGRESS,
                    done,
                    total.into_pyobject(py)?.into_any().unbind(),
                ),
                Action::Finish => (ACTION_FINISH, 0, py.None()),
            });
        }
        Ok((
            out,
            wake.map(|w| w.saturating_duration_since(now).as_secs_f64()),
        ))
    }

    /// The batch is over or abandoned: drops every native op still running.
    fn close(&mut self) {
        for (_, handle) in self.handles.drain() {
            handle.abort();
        }
        self.ends
            .wake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(wake) = self
            .ends
            .wake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            visit.call(wake)?;
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        self.close();
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        for (_, handle) in self.handles.drain() {
            handle.abort();
        }
    }
}

/// Runs native op `i` on the runtime; its end is queued for the loop.
fn run(ends: &Arc<Ends>, i: usize, op: fanio_core::Op) -> AbortHandle {
    let (handle, registration) = AbortHandle::new_pair();
    let ends = ends.clone();
    runtime::handle().spawn(async move {
        // The op's future is dropped by the end of this statement, so a cut-off op has
        // let go of its socket when `Dropped` is queued.
        let ran = Abortable::new(op.run(), registration).await;
        ends.push(match ran {
            Ok(outcome) => End::Done(i, outcome),
            Err(_) => End::Dropped(i),
        });
    });
    handle
}
