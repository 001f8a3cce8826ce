//! Python arguments into core inputs. A wrong type is E_INVALID_ARGUMENT (InvalidArgument,
//! a ValueError) like every other bad input, not a bare TypeError; the ranges themselves
//! are checked by the core.

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt};

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
    Ok(Some(v.extract::<f64>()?))
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
