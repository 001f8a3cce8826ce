//! The core's `HostBatch` for batches driven on the asyncio loop (coroutines, or native
//! ops mixed with them). Its native ops run on the runtime without a Python task each;
//! the loop hears that they ended once per burst through the bridge. `fanio._engine`
//! executes the actions left: starting, cancelling and closing coroutines, pulling the
//! source, reporting progress. This file only converts them.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use fanio_core::Error;
use fanio_core::engine::batch::{Action, Item};
use fanio_core::engine::host::HostBatch;
use pyo3::prelude::*;
use pyo3::types::PyList;
use pyo3::{PyTraverseError, PyVisit};

use super::options::Options;
use crate::bridge::{Bridge, Delivery, GcPaused, Wake, settled};
use crate::error;
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

/// The executor's `poll`, which the bridge calls on the loop when native ops ended.
/// Cleared by `close` (and by the GC), which breaks the cycle through the executor.
struct Waker(Mutex<Option<Py<PyAny>>>);

impl Wake for Waker {
    fn wake(&self, py: Python<'_>) -> PyResult<()> {
        let callback = self
            .0
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
    host: HostBatch,
    waker: Arc<Waker>,
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
        let waker = Arc::new(Waker(Mutex::new(Some(wake))));
        let poster = bridge.poster();
        let target = waker.clone();
        let batch = fanio_core::Batch::new(options.0.clone(), stream, report_progress);
        Batch {
            host: HostBatch::new(batch, move || poster.post(Delivery::Wake(target.clone()))),
            waker,
            actions: Vec::new(),
        }
    }

    /// Hands over `items` (fanio ops run natively, anything else is the loop's to run);
    /// returns the index of the first.
    fn feed(&mut self, items: &Bound<'_, PyList>) -> usize {
        self.host
            .batch()
            .feed(items.iter().map(|item| match item.cast::<Op>() {
                Ok(op) => Item::Native(op.get().0.clone()),
                Err(_) => Item::Host,
            }))
    }

    /// The pull asked for is over; `ended`: the source has no more items.
    fn pulled(&mut self, ended: bool) {
        self.host.batch().pulled(ended);
    }

    /// The source or the progress callback raised: stop as cancelled.
    fn fail(&mut self) {
        self.host.batch().fail();
    }

    /// Host item `index` ended; False if it was cut off before (ignore it).
    fn complete(&mut self, index: usize, rejected: bool) -> bool {
        self.host.batch().complete_host(index, rejected)
    }

    fn read(&mut self, n: usize) {
        self.host.batch().read(n);
    }

    /// How many items were handed over so far.
    #[getter]
    fn fed(&mut self) -> usize {
        self.host.batch().fed()
    }

    /// Advances the batch (its native ops run and end in Rust) and returns `(actions,
    /// wake)`: the `(tag, index, payload)` actions for the loop, and the delay in
    /// seconds before polling again (None: on an event).
    #[allow(clippy::type_complexity)]
    fn step<'py>(
        &mut self,
        py: Python<'py>,
    ) -> PyResult<(Vec<(u8, usize, Py<PyAny>)>, Option<f64>)> {
        let now = Instant::now();
        let wake = self.host.step(now, &mut self.actions).wake;
        // A burst of outcomes makes many objects with no cycles among them.
        let _paused = (self.actions.len() > 64).then(|| GcPaused::new(py));
        let stopped = |code| -> PyResult<Py<PyAny>> {
            Ok(error::exception(py, &Error::stopped(code))?.unbind())
        };
        let out = self
            .actions
            .drain(..)
            .map(|action| {
                Ok(match action {
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
                    Action::Run(..) | Action::Drop(_) => unreachable!("done by HostBatch::step"),
                })
            })
            .collect::<PyResult<_>>()?;
        Ok((
            out,
            wake.map(|w| w.saturating_duration_since(now).as_secs_f64()),
        ))
    }

    /// The batch is over or abandoned: drops every native op still running.
    fn close(&mut self) {
        self.host.close();
        self.waker
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(wake) = self
            .waker
            .0
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
