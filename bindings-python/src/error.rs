//! Turns a core `Error` into the `fanio` exception of its code, so a call site that
//! fails stays one line (`.or_raise(py)?`).

use fanio_core::{Code, Error};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

/// `fanio._errors.BY_CODE`: the exception class of each code, defined in Python so the
/// classes pickle and subclass builtins (ValueError, TimeoutError) naturally.
static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();

/// The exception instance for `err` (a `Rejected` holds it; a raise wraps it).
pub fn exception<'py>(py: Python<'py>, err: &Error) -> PyResult<Bound<'py, PyAny>> {
    let classes = CLASSES.import(py, "fanio._errors", "BY_CODE")?;
    let class = classes
        .get_item(err.code.as_str())?
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err(format!("no class for {}", err.code)))?;
    class.call1((&*err.message,))
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

/// A code named by its string (the scheduler hands codes to Python as strings).
pub fn code_named(name: &str) -> Option<Code> {
    Code::ALL.into_iter().find(|c| c.as_str() == name)
}
