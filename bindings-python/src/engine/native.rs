//! Native batches and streams: every item is a native op, so the batch runs wholly on
//! the runtime (`fanio_core::engine::native`) and crosses back once per batch, or once
//! per chunk of a stream.

use std::sync::{Arc, Mutex};

use fanio_core::engine::native::{self as settle, ProgressFn};
use fanio_core::runtime;
use pyo3::prelude::*;
use pyo3::types::PyList;

use super::options::Options;
use crate::bridge::{Bridge, Delivery, Poster, Running};
use crate::error::invalid;
use crate::op::Op;

pub fn progress_fn(poster: &Poster, callback: Option<Py<PyAny>>) -> Option<ProgressFn> {
    let callback = Arc::new(callback?);
    let poster = poster.clone();
    Some(Box::new(move |done, total| {
        poster.post(Delivery::Progress {
            callback: callback.clone(),
            done,
            total,
        });
    }))
}

fn native_ops(items: &Bound<'_, PyList>) -> Option<Vec<fanio_core::Op>> {
    items
        .iter()
        .map(|item| item.cast::<Op>().ok().map(|op| op.get().0.clone()))
        .collect()
}

/// A batch of native ops that runs wholly on the runtime once started.
#[pyclass(frozen, module = "fanio._fanio")]
pub struct NativeBatch {
    ops: Mutex<Option<Vec<fanio_core::Op>>>,
    opts: fanio_core::Options,
    on_progress: Option<Py<PyAny>>,
}

/// The batch of `items` if every item is a native op, else None (the batch is then
/// driven from Python); nothing starts here.
#[pyfunction]
#[pyo3(signature = (items, options, on_progress=None))]
pub fn native_batch(
    items: &Bound<'_, PyList>,
    options: &Options,
    on_progress: Option<Py<PyAny>>,
) -> Option<NativeBatch> {
    let ops = native_ops(items)?;
    ops.iter().for_each(fanio_core::Op::hand_over);
    Some(NativeBatch {
        ops: Mutex::new(Some(ops)),
        opts: options.0.clone(),
        on_progress,
    })
}

#[pymethods]
impl NativeBatch {
    /// Runs the batch; the list of Fulfilled/Rejected in input order reaches `fut`.
    fn _start(&self, py: Python<'_>, bridge: &Bridge, fut: Py<PyAny>) -> PyResult<Running> {
        let ops = self.ops.lock().unwrap_or_else(|e| e.into_inner()).take();
        let ops = ops.ok_or_else(|| invalid(py, "a batch runs once"))?;
        let poster = bridge.poster();
        let report = progress_fn(&poster, self.on_progress.as_ref().map(|c| c.clone_ref(py)));
        let opts = self.opts.clone();
        let task = runtime::handle().spawn(async move {
            let outcomes = settle::settle(ops, opts, report).await;
            poster.post(Delivery::All { fut, outcomes });
        });
        Ok(Running(task.abort_handle()))
    }
}

/// A native batch whose ops are fed in chunks and whose outcomes are read as they come.
#[pyclass(frozen, module = "fanio._fanio")]
pub struct Stream(Arc<Mutex<Option<settle::Stream>>>);

impl Stream {
    fn with<T>(&self, py: Python<'_>, f: impl FnOnce(&mut settle::Stream) -> T) -> PyResult<T> {
        let mut slot = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match slot.as_mut() {
            Some(stream) => Ok(f(stream)),
            None => Err(invalid(py, "the stream is closed or already being read")),
        }
    }
}

#[pymethods]
impl Stream {
    #[new]
    #[pyo3(signature = (options, bridge, on_progress=None))]
    fn new(options: &Options, bridge: &Bridge, on_progress: Option<Py<PyAny>>) -> Self {
        let report = progress_fn(&bridge.poster(), on_progress);
        Stream(Arc::new(Mutex::new(Some(settle::Stream::start(
            options.0.clone(),
            report,
        )))))
    }

    fn wanted(&self, py: Python<'_>) -> PyResult<usize> {
        self.with(py, |s| s.wanted())
    }

    /// Hands over more ops; every item must be a native op.
    fn feed(&self, py: Python<'_>, items: &Bound<'_, PyList>) -> PyResult<()> {
        let ops = native_ops(items).ok_or_else(|| {
            invalid(py, "a stream that starts with native ops takes only native ops; pass a list to mix them with other awaitables")
        })?;
        self.with(py, |s| s.feed(ops))
    }

    fn end(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |s| s.end())
    }

    /// Waits for the next chunk of `(index, outcome)`; `fut` gets a list, or None at the end.
    fn _next(&self, py: Python<'_>, bridge: &Bridge, fut: Py<PyAny>) -> PyResult<Running> {
        let slot = self.0.clone();
        let mut stream = slot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| invalid(py, "the stream is closed or already being read"))?;
        let poster = bridge.poster();
        let task = runtime::handle().spawn(async move {
            let chunk = stream.next().await;
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(stream);
            poster.post(Delivery::Chunk { fut, chunk });
        });
        Ok(Running(task.abort_handle()))
    }

    /// Drops the stream and every op in flight.
    fn close(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take();
    }
}
