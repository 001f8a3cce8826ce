//! Core values become Python objects here, with the GIL held, once an outcome is
//! delivered. Each kind of value (responses, rows) gets its arm in `value_to_py`.

use fanio_core::Value;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::bridge::PyHost;
use crate::http::Response;

/// The Python value of a fulfilled op.
pub fn value_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Host(h) => match h.downcast_ref::<PyHost>() {
            Some(PyHost(obj)) => obj.clone_ref(py),
            None => py.None(),
        },
        Value::Response(r) => Py::new(py, Response::new(r.clone()))?.into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
    })
}
