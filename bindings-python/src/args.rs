//! Python arguments into core inputs. A wrong type is E_INVALID_ARGUMENT (InvalidArgument,
//! a ValueError) like every other bad input, not a bare TypeError; the ranges themselves
//! are checked by the core.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString};

use crate::error::invalid;

/// An optional number (int or float, never bool) as f64.
pub fn number(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<f64>> {
    let Some(v) = value.filter(|v| !v.is_none()) else {
        return Ok(None);
    };
    if v.is_instance_of::<PyBool>()
        || !(v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>())
    {
        return Err(invalid(
            py,
            format!("{name} must be a number, got {}", v.get_type().name()?),
        ));
    }
    // An int past f64's range (10**400) is a bad value like any other out of range.
    v.extract::<f64>()
        .map(Some)
        .map_err(|_| invalid(py, format!("{name} is out of range: {v}")))
}

/// The UTF-8 of a str. A str with none (a lone surrogate such as "\ud800", which pyo3
/// reports as UnicodeEncodeError) is the caller's bad value: E_INVALID_ARGUMENT.
pub fn utf8<'a>(s: &'a Bound<'_, PyString>, name: &str) -> PyResult<&'a str> {
    s.to_str().map_err(|_| {
        invalid(
            s.py(),
            format!("{name} is not valid text: it holds a lone surrogate"),
        )
    })
}

/// A str argument as Rust text, checked by `utf8`; anything but a str is a TypeError,
/// as for a plain `String` argument.
pub struct Text(pub String);

impl FromPyObject<'_, '_> for Text {
    type Error = PyErr;

    fn extract(obj: Borrowed<'_, '_, PyAny>) -> PyResult<Self> {
        let s = obj.cast::<PyString>()?;
        utf8(&s, "a str argument").map(|t| Text(t.to_owned()))
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

/// A required duration in seconds.
pub fn seconds(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    name: &str,
) -> PyResult<std::time::Duration> {
    let s =
        number(py, Some(value), name)?.ok_or_else(|| invalid(py, format!("{name} is required")))?;
    use crate::error::ResultExt;
    Ok(fanio_core::Unit::Seconds
        .duration(Some(s), name)
        .or_raise(py)?
        .unwrap_or_default())
}
