//! JSON between Python objects and serde_json values, in Rust both ways: request bodies
//! are serialized without `json.dumps`, response bodies parsed without `json.loads`.
//! Integers keep every digit (the core parses with `arbitrary_precision`).

use fanio_core::depth::{MAX_DEPTH, too_deep};
use fanio_core::{Code, Error};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use serde_json::{Map, Number, Value};

use crate::args::utf8;
use crate::error::invalid;

/// A JSON body from Python data: dict (str keys), list, tuple, str, int, float, bool, None.
pub fn to_json(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<Value> {
    encode(py, v, 0)
}

fn encode(py: Python<'_>, v: &Bound<'_, PyAny>, depth: usize) -> PyResult<Value> {
    if v.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Value::String(utf8(s, "a json body string")?.to_owned()));
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        // Beyond 64 bits: the decimal text, kept digit for digit.
        let digits = v.str()?;
        let n: Number = digits
            .to_str()?
            .parse()
            .map_err(|_| invalid(py, format!("json body: bad integer {digits}")))?;
        return Ok(Value::Number(n));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        let x = f.value();
        return Number::from_f64(x)
            .map(Value::Number)
            .ok_or_else(|| invalid(py, format!("json body: {x} is not a valid JSON number")));
    }
    // `depth` containers hold this value: one more may not pass the limit (this also
    // stops a structure that contains itself).
    let container = v.is_instance_of::<PyDict>()
        || v.is_instance_of::<PyList>()
        || v.is_instance_of::<PyTuple>();
    if container && depth >= MAX_DEPTH {
        return Err(invalid(py, format!("json body: {}", too_deep())));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = Map::with_capacity(d.len());
        for (k, item) in d.iter() {
            let Ok(key) = k.cast::<PyString>() else {
                let kind = k.get_type().name()?;
                return Err(invalid(
                    py,
                    format!("json body: object keys must be str, got {kind}"),
                ));
            };
            map.insert(
                utf8(key, "a json body key")?.to_owned(),
                encode(py, &item, depth + 1)?,
            );
        }
        return Ok(Value::Object(map));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items = v
            .try_iter()?
            .map(|item| encode(py, &item?, depth + 1))
            .collect::<PyResult<_>>()?;
        return Ok(Value::Array(items));
    }
    Err(invalid(
        py,
        format!(
            "json body: {} is not JSON serializable",
            v.get_type().name()?
        ),
    ))
}

/// Python objects from a parsed document: objects keep their key order, integers of
/// any size are exact, other numbers are floats.
pub fn to_py(py: Python<'_>, v: &Value) -> PyResult<Py<PyAny>> {
    Ok(match v {
        Value::Null => py.None(),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any().unbind(),
        Value::Number(n) => number(py, n)?,
        Value::String(s) => PyString::new(py, s).into_any().unbind(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any().unbind()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, item) in map {
                dict.set_item(k, to_py(py, item)?)?;
            }
            dict.into_any().unbind()
        }
    })
}

fn number(py: Python<'_>, n: &Number) -> PyResult<Py<PyAny>> {
    if let Some(i) = n.as_i64() {
        return Ok(i.into_pyobject(py)?.into_any().unbind());
    }
    if let Some(u) = n.as_u64() {
        return Ok(u.into_pyobject(py)?.into_any().unbind());
    }
    let text = n.to_string();
    if text.bytes().all(|c| c.is_ascii_digit() || c == b'-') {
        // An integer too big for 64 bits: Python's int parses it exactly.
        return Ok(py.get_type::<PyInt>().call1((text,))?.unbind());
    }
    // Past f64's range a number reads as infinity, as `json.loads` reads it.
    let x: f64 = text.parse().map_err(|_| {
        crate::error::to_pyerr(
            py,
            &Error::new(Code::Decode, format!("JSON number {text} is not a number")),
        )
    })?;
    Ok(PyFloat::new(py, x).into_any().unbind())
}
