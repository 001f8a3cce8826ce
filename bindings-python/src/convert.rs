//! Core values become Python objects here, with the GIL held, once an outcome is
//! delivered. Each kind of value (responses, rows) gets its arm in `value_to_py`.

use fanio_core::Value;
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::bridge::PyHost;
use crate::db;
use crate::http::Response;

/// The Python value of a fulfilled op.
pub fn value_to_py(py: Python<'_>, value: &Value) -> PyResult<Py<PyAny>> {
    Ok(match value {
        Value::Null => py.None(),
        Value::Host(h) => match h.downcast_ref::<PyHost>() {
            Some(PyHost(obj)) => obj.clone_ref(py),
            None => py.None(),
        },
        Value::Int(v) => v.into_py_any(py)?,
        Value::Database(d) => Py::new(py, db::Database(d.clone()))?.into_any(),
        Value::Transaction(t) => Py::new(py, db::Transaction(t.clone()))?.into_any(),
        Value::Rows(rows) => db::record::all(py, rows)?,
        Value::Row(rows) => db::record::one(py, rows)?,
        Value::Cell(cell) => db::cells::to_py(py, cell)?,
        Value::Response(r) => Py::new(py, Response::new(r.clone()))?.into_any(),
        Value::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
    })
}
