//! JS parameter values become the core's cells, once, when the op is made. Only the
//! JS type decides here (number, bigint, string, boolean, null, Uint8Array, Date,
//! array, plain object for JSON); the core then fits each cell to the statement's
//! parameter type and names the parameter (`index`) when it does not fit.

use std::sync::Arc;

use fanio_core::Error;
use fanio_core::db::{Array, Cell, IntWidth, Params};
use fanio_core::depth::{MAX_DEPTH, parse_json, too_deep};
use napi::sys::ValueType;

use super::cells::builder;
use super::js::{Js, Raw};

/// Where a value sits, for messages and the error's fields.
#[derive(Clone, Copy)]
pub enum At<'a> {
    /// `$n`, 1-based as in SQL.
    Index(usize),
    Name(&'a str),
}

impl At<'_> {
    fn error(self, what: &str) -> Error {
        match self {
            At::Index(i) => {
                Error::invalid(format!("parameter ${i}: {what}")).with("index", i as i64)
            }
            At::Name(n) => Error::invalid(format!("parameter {n}: {what}")).with("parameter", n),
        }
    }
}

/// A failure to convert: a typed error for the caller, or napi failing underneath.
pub enum Fail {
    Invalid(Error),
    Napi(napi::Error),
}

impl From<napi::Error> for Fail {
    fn from(e: napi::Error) -> Self {
        Fail::Napi(e)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Invalid(e)
    }
}

pub type Converted<T> = Result<T, Fail>;

/// `undefined`/`null` (none), an array (positional) or a plain object (named).
pub fn params(js: Js, v: Option<Raw>) -> Converted<Params> {
    let Some(v) = v else {
        return Ok(Params::default());
    };
    match js.type_of(v)? {
        ValueType::napi_undefined | ValueType::napi_null => Ok(Params::default()),
        ValueType::napi_object if js.is_array(v)? => Ok(Params::Positional(positional(js, v)?)),
        ValueType::napi_object if is_plain(js, v)? => {
            let keys = js.keys(v)?;
            let n = js.length(keys)?;
            let mut named = Vec::with_capacity(n as usize);
            for i in 0..n {
                let key = js.element(keys, i)?;
                let name = js.get_string(key)?;
                let value = cell(js, js.property(v, key)?, At::Name(&name))?;
                named.push((name, value));
            }
            Ok(Params::Named(named))
        }
        _ => Err(Error::invalid(
            "params must be an array (positional) or a plain object (named, SQLite)",
        )
        .into()),
    }
}

/// The elements of the JS array `v` as cells, `$1` first, in a vector of the exact size
/// (a batch makes one per row).
pub fn positional(js: Js, v: Raw) -> Converted<Vec<Cell>> {
    let n = js.length(v)?;
    let mut cells = Vec::with_capacity(n as usize);
    for i in 0..n {
        cells.push(cell(js, js.element(v, i)?, At::Index(i as usize + 1))?);
    }
    Ok(cells)
}

/// Whether `v` is a plain object: `{...}` or `Object.create(null)`.
fn is_plain(js: Js, v: Raw) -> napi::Result<bool> {
    let proto = js.prototype(v)?;
    if js.type_of(proto)? == ValueType::napi_null {
        return Ok(true);
    }
    let object_proto = js.prototype(js.object()?)?;
    js.strict_equals(proto, object_proto)
}

pub fn cell(js: Js, v: Raw, at: At<'_>) -> Converted<Cell> {
    Ok(match js.type_of(v)? {
        ValueType::napi_null => Cell::Null,
        ValueType::napi_boolean => Cell::Bool(js.get_bool(v)?),
        ValueType::napi_number => number(js.get_number(v)?),
        ValueType::napi_bigint => match js.get_bigint(v)? {
            (n, true) => Cell::Int(n, IntWidth::Wide),
            _ => return Err(at.error("the bigint does not fit in 64 bits").into()),
        },
        ValueType::napi_string => Cell::Text(js.get_text(v)?),
        ValueType::napi_object => object(js, v, at)?,
        ValueType::napi_undefined => {
            return Err(at
                .error("undefined is not a value: pass null for SQL NULL")
                .into());
        }
        _ => {
            return Err(at
                .error("functions and symbols cannot be parameters")
                .into());
        }
    })
}

/// An integral number is an integer cell (so it fits int columns); any other is a float.
fn number(n: f64) -> Cell {
    // 2^63 itself does not fit i64: the bound is exclusive.
    if n.fract() == 0.0 && n.abs() < 9_223_372_036_854_775_808.0 {
        Cell::Int(n as i64, IntWidth::Wide)
    } else {
        Cell::Float(n)
    }
}

fn object(js: Js, v: Raw, at: At<'_>) -> Converted<Cell> {
    if let Some(bytes) = js.get_bytes(v)? {
        return Ok(Cell::Bytes(bytes.into()));
    }
    if js.is_date(v)? {
        let ms = js.get_date(v)?;
        if !ms.is_finite() {
            return Err(at.error("the Date is invalid").into());
        }
        return Ok(Cell::TimestampTz((ms as i64).saturating_mul(1000)));
    }
    if js.is_array(v)? {
        return array(js, v, at);
    }
    if is_plain(js, v)? {
        // JSON.stringify walks the object in V8, which guards its own stack (a RangeError
        // when too deep); whatever it throws (a cycle, a BigInt, a toJSON that throws) is
        // the caller's bad value, as is text nested deeper than the core accepts.
        let text = match js.call_catching(builder(js, |b| b.stringify)?, &[v])? {
            Ok(text) if js.type_of(text)? == ValueType::napi_string => js.get_string(text)?,
            _ => {
                return Err(at
                    .error("the object cannot be serialized as JSON (a cycle, a BigInt, a throwing toJSON or too deep)")
                    .into());
            }
        };
        let json =
            parse_json(&text).map_err(|e| at.error(&format!("the object is not JSON: {e}")))?;
        return Ok(Cell::Json(Arc::new(json)));
    }
    Err(at
        .error("only plain objects (JSON), arrays, Dates and Uint8Arrays can be parameters")
        .into())
}

/// A JS array as a Postgres array: nested arrays are dimensions and must be
/// rectangular; the statement's type decides the element type.
fn array(js: Js, v: Raw, at: At<'_>) -> Converted<Cell> {
    let mut shape = Shape {
        dims: Vec::new(),
        leaf_depth: None,
        elems: Vec::new(),
    };
    shape.flatten(js, v, 0, at)?;
    let Shape { dims, elems, .. } = shape;
    Ok(Cell::Array(Arc::new(Array {
        elem_type: "".into(),
        dims: if elems.is_empty() { Vec::new() } else { dims },
        elems,
    })))
}

/// What `flatten` learns of a nested array: each level's length, the level that holds
/// values, and the values in row-major order.
struct Shape {
    dims: Vec<(i32, i32)>,
    leaf_depth: Option<usize>,
    elems: Vec<Cell>,
}

impl Shape {
    fn flatten(&mut self, js: Js, v: Raw, depth: usize, at: At<'_>) -> Converted<()> {
        // `depth` counts from 0: this array is level `depth + 1`.
        if depth >= MAX_DEPTH {
            return Err(at.error(&format!("the array: {}", too_deep())).into());
        }
        let n = js.length(v)?;
        let len = i32::try_from(n).map_err(|_| at.error("the array is too long"))?;
        match self.dims.get(depth) {
            None => self.dims.push((len, 1)),
            Some((l, _)) if *l == len => {}
            Some(_) => {
                return Err(at
                    .error("nested arrays must all have the same length")
                    .into());
            }
        }
        for i in 0..n {
            let e = js.element(v, i)?;
            let nested = js.type_of(e)? == ValueType::napi_object && js.is_array(e)?;
            // Values sit at one depth only, below arrays only: the array is rectangular.
            let mixed = match self.leaf_depth {
                None => false,
                Some(d) if nested => d == depth,
                Some(d) => d != depth,
            };
            if mixed {
                return Err(at.error("an array mixes arrays and values").into());
            }
            if nested {
                self.flatten(js, e, depth + 1, at)?;
            } else {
                self.leaf_depth = Some(depth);
                self.elems.push(cell(js, e, at)?);
            }
        }
        Ok(())
    }
}
