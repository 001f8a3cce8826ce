//! Turns a core `Error` into the `fanio` exception of its code, so a call site that
//! fails stays one line (`.or_raise(py)?`).

use fanio_core::Error;
use fanio_core::error::Field;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// `fanio._errors.make`: builds the exception of a code, defined in Python so the
/// classes pickle and subclass builtins (ValueError, TimeoutError) naturally.
static MAKE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The exception instance for `err` (a `Rejected` holds it; a raise wraps it), with
/// the error's fields as attributes.
pub fn exception<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let make = MAKE.import(py, "fanio._errors", "make")?;
    let fields = PyDict::new(py);
    for (name, value) in err.fields.iter() {
        match value {
            Field::Int(v) => fields.set_item(*name, *v)?,
            Field::Str(v) => fields.set_item(*name, &**v)?,
        }
    }
    make.call1((err.code.as_str(), &*err.message, fields))
}

pub fn to_pyerr(py: Python<'_>, err: &Error) -> PyErr {
    match exception(py, err) {
        Ok(exc) => PyErr::from_value(exc),
        Err(e) => e,
    }
}

pub trait ResultExt<T> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> ResultExt<T> for Result<T, Error> {
    fn or_raise(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_pyerr(py, &e))
    }
}

pub fn invalid(py: Python<'_>, message: impl Into<String>) -> PyErr {
    to_pyerr(py, &Error::invalid(message.into()))
}
