//! Core values become Python objects here, with the GIL held, once an outcome is
//! delivered. Each kind of value (responses, rows) gets its arm in `value_to_py`.

use fanio_core::Value;
use pyo3::prelude::*;

use crate::bridge::PyHost;

/// The Python value of a fulfilled op.
pub fn value_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Host(h) => match h.downcast_ref::<PyHost>() {
            Some(PyHost(obj)) => obj.clone_ref(py),
            None => py.None(),
        },
        // Placeholder on the HTTP branches until the Python HTTP binding lands.
        _ => return Err(pyo3::exceptions::PyRuntimeError::new_err("HTTP values are not converted yet")),
    })
}
