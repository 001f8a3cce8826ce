//! `fanio.Op`: the awaitable every native call returns, and the ops of the foundation
//! (`sleep`, `fail`) that exercise the engine without I/O.

use std::sync::Arc;

use fanio_core::{Value, engine::op as core_op, runtime};
use pyo3::exceptions::PyRuntimeWarning;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::outcome::generic_alias;

use crate::args;
use crate::bridge::{Bridge, Delivery, PyHost, Running};

#[pyclass(frozen, module = "fanio")]
pub struct Op(pub core_op::Op);

/// `fanio._engine.await_native`: the one generator every native await goes through.
static AWAIT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pymethods]
impl Op {
    fn __await__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        let start = slf.getattr(pyo3::intern!(py, "_start"))?;
        AWAIT
            .import(py, "fanio._engine", "await_native")?
            .call1((start,))
    }

    /// Runs (or joins) the op on the runtime; its outcome reaches `fut` via `bridge`.
    fn _start(&self, bridge: &Bridge, fut: Py<PyAny>) -> Running {
        // Awaited: even if the await is cancelled before the run is first polled.
        self.0.hand_over();
        let op = self.0.clone();
        let poster = bridge.poster();
        let task = runtime::handle().spawn(async move {
            let outcome = op.run().await;
            poster.post(Delivery::One { fut, outcome });
        });
        Running(task.abort_handle())
    }

    /// A call took charge of this op (a batch that then refused its arguments): it is
    /// no longer the caller's to await, so it is not reported as never awaited.
    fn _hand_over(&self) {
        self.0.hand_over();
    }

    fn __repr__(&self) -> &'static str {
        "<fanio.Op>"
    }

    #[classmethod]
    fn __class_getitem__<'py>(
        cls: &Bound<'py, PyType>,
        item: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        generic_alias(cls, item)
    }
}

impl Drop for Op {
    /// An op collected without ever being awaited, settled or handed to a batch warns
    /// as a coroutine never awaited does: `client.get(url)` without `await` is a bug.
    fn drop(&mut self) {
        if !self.0.unobserved() {
            return;
        }
        Python::attach(|py| {
            // Collected while an exception propagates: warn without clobbering it.
            let pending = PyErr::take(py);
            let warned = PyErr::warn(
                py,
                &py.get_type::<PyRuntimeWarning>(),
                c"fanio op was never awaited (await it, or pass it to fanio.settle)",
                1,
            );
            if let Err(e) = warned {
                e.write_unraisable(py, None);
            }
            if let Some(e) = pending {
                e.restore(py);
            }
        });
    }
}

/// An op that resolves with `value` after `seconds` (0 yields once through the runtime).
#[pyfunction]
#[pyo3(signature = (seconds, value=None))]
pub fn sleep(py: Python<'_>, seconds: &Bound<'_, PyAny>, value: Option<Py<PyAny>>) -> PyResult<Op> {
    let value = match value {
        Some(v) if !v.is_none(py) => Value::Host(Arc::new(PyHost(v))),
        _ => Value::Null,
    };
    Ok(Op(core_op::sleep(
        args::seconds(py, seconds, "seconds")?,
        value,
    )))
}

/// An op that rejects with `FanioError(message)` (code E_FAILED) after `seconds`.
#[pyfunction]
pub fn fail(py: Python<'_>, seconds: &Bound<'_, PyAny>, message: args::Text) -> PyResult<Op> {
    Ok(Op(core_op::fail(
        args::seconds(py, seconds, "seconds")?,
        message.0,
    )))
}

/// `{"running": n, "peak": m}`: native op futures alive now and the most at once.
#[pyfunction]
pub fn op_stats() -> std::collections::HashMap<&'static str, usize> {
    let (running, peak) = core_op::stats();
    [("running", running), ("peak", peak)].into()
}

#[pyfunction]
pub fn reset_op_stats() {
    core_op::reset_peak();
}
