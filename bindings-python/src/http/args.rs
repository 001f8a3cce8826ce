//! Python values of HTTP options and requests into plain Rust data. A wrong type is
//! E_INVALID_ARGUMENT naming the argument, raised before anything is sent.

use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple,
};

use crate::args::utf8;
use crate::error::invalid;

/// The argument, unless it is absent or None.
fn given<'a, 'py>(value: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    value.filter(|v| !v.is_none())
}

fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string())
}

/// A bool, strictly: `1` or `"yes"` for a flag is a mistake worth reporting.
pub fn flag(py: Python<'_>, value: &Bound<'_, PyAny>, name: &str) -> PyResult<bool> {
    match value.cast::<PyBool>() {
        Ok(b) => Ok(b.is_true()),
        Err(_) => Err(invalid(
            py,
            format!("{name} must be a bool, got {}", type_name(value)),
        )),
    }
}

/// An optional bool (None: not given).
pub fn opt_flag(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<bool>> {
    given(value).map(|v| flag(py, v, name)).transpose()
}

/// An optional non-negative int (never a bool or a float).
pub fn count(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<u64>> {
    let Some(v) = given(value) else {
        return Ok(None);
    };
    if v.is_instance_of::<PyBool>() || !v.is_instance_of::<PyInt>() {
        return Err(invalid(
            py,
            format!("{name} must be an int, got {}", type_name(v)),
        ));
    }
    v.extract::<u64>()
        .map(Some)
        .map_err(|_| invalid(py, format!("{name} must be an int >= 0, got {v}")))
}

/// `count` for sizes the core keeps as `usize`.
pub fn size(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<usize>> {
    count(py, value, name)?
        .map(|n| usize::try_from(n).map_err(|_| invalid(py, format!("{name} is too large: {n}"))))
        .transpose()
}

/// An optional str.
pub fn text(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<String>> {
    let Some(v) = given(value) else {
        return Ok(None);
    };
    match v.cast::<PyString>() {
        Ok(s) => Ok(Some(utf8(s, name)?.to_owned())),
        Err(_) => Err(invalid(
            py,
            format!("{name} must be a str, got {}", type_name(v)),
        )),
    }
}

/// An optional str or path-like object (`pathlib.Path`), as a str: PEM options take
/// either PEM text or a file path.
pub fn text_or_path(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<String>> {
    let Some(v) = given(value) else {
        return Ok(None);
    };
    if v.is_instance_of::<PyString>() {
        return text(py, Some(v), name);
    }
    let fspath = py.import("os")?.getattr("fspath")?;
    match fspath.call1((v,)).and_then(|p| p.extract::<String>()) {
        Ok(path) => Ok(Some(path)),
        Err(_) => Err(invalid(
            py,
            format!("{name} must be a str or a path, got {}", type_name(v)),
        )),
    }
}

/// What a value of a pair may be.
#[derive(Clone, Copy)]
pub enum Scalars {
    /// Only str (header names and values).
    Text,
    /// str, int, float or bool, written as text (`true`/`false` for bools), the way
    /// query strings and forms carry them.
    Query,
}

fn scalar(py: Python<'_>, v: &Bound<'_, PyAny>, kind: Scalars, name: &str) -> PyResult<String> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(utf8(s, name)?.to_owned());
    }
    if let Scalars::Query = kind {
        if let Ok(b) = v.cast::<PyBool>() {
            return Ok(if b.is_true() { "true" } else { "false" }.to_owned());
        }
        if v.is_instance_of::<PyInt>() || v.is_instance_of::<PyFloat>() {
            return Ok(v.str()?.to_str()?.to_owned());
        }
        return Err(invalid(
            py,
            format!(
                "{name} values must be str, int, float or bool, got {}",
                type_name(v)
            ),
        ));
    }
    Err(invalid(
        py,
        format!("{name} names and values must be str, got {}", type_name(v)),
    ))
}

/// A value of a mapping: one scalar, or a list/tuple of them (the name repeated).
fn push_values(
    py: Python<'_>,
    out: &mut Vec<(String, String)>,
    key: String,
    v: &Bound<'_, PyAny>,
    kind: Scalars,
    name: &str,
) -> PyResult<()> {
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        for item in v.try_iter()? {
            out.push((key.clone(), scalar(py, &item?, kind, name)?));
        }
    } else {
        out.push((key, scalar(py, v, kind, name)?));
    }
    Ok(())
}

/// Name/value pairs from a mapping (values may be lists for repeated names) or from an
/// iterable of `(name, value)` pairs, in order.
pub fn pairs(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    kind: Scalars,
    name: &str,
) -> PyResult<Vec<(String, String)>> {
    let Some(v) = given(value) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    if let Ok(dict) = v.cast::<PyDict>() {
        for (k, item) in dict.iter() {
            let key = scalar(py, &k, Scalars::Text, name)?;
            push_values(py, &mut out, key, &item, kind, name)?;
        }
        return Ok(out);
    }
    let wrong = || {
        invalid(
            py,
            format!(
                "{name} must be a mapping or a list of (name, value) pairs, got {}",
                type_name(v)
            ),
        )
    };
    if v.is_instance_of::<PyString>()
        || v.is_instance_of::<PyBytes>()
        || v.is_instance_of::<PyByteArray>()
    {
        return Err(wrong());
    }
    if let Ok(mapping) = v.cast::<PyMapping>() {
        for item in mapping.items()?.iter() {
            let (k, item): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let key = scalar(py, &k, Scalars::Text, name)?;
            push_values(py, &mut out, key, &item, kind, name)?;
        }
        return Ok(out);
    }
    let Ok(items) = v.try_iter() else {
        return Err(wrong());
    };
    for item in items {
        let item = item?;
        let pair = (item.is_instance_of::<PyTuple>() || item.is_instance_of::<PyList>())
            .then(|| item.extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>().ok())
            .flatten()
            .ok_or_else(|| {
                invalid(
                    py,
                    format!(
                        "{name}: each item must be a (name, value) pair, got {}",
                        type_name(&item)
                    ),
                )
            })?;
        out.push((
            scalar(py, &pair.0, Scalars::Text, name)?,
            scalar(py, &pair.1, kind, name)?,
        ));
    }
    Ok(out)
}

/// A raw body: bytes-like, or str sent as UTF-8.
pub fn content(py: Python<'_>, value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<bytes::Bytes>> {
    let Some(v) = given(value) else {
        return Ok(None);
    };
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Some(bytes::Bytes::copy_from_slice(b.as_bytes())));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Some(bytes::Bytes::copy_from_slice(
            utf8(s, "content")?.as_bytes(),
        )));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(Some(bytes::Bytes::from(b.to_vec())));
    }
    if v.get_type().name()? == "memoryview" {
        let b = v.call_method0("tobytes")?;
        return Ok(Some(bytes::Bytes::copy_from_slice(
            b.cast::<PyBytes>()?.as_bytes(),
        )));
    }
    Err(invalid(
        py,
        format!(
            "content must be bytes, bytearray, memoryview or str, got {}",
            type_name(v)
        ),
    ))
}
