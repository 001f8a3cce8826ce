//! Python query parameters -> core cells, once, when the op is made: the types asyncpg
//! accepts map onto the neutral cells, and the core then fits each cell to the type the
//! statement expects. A value with no cell is E_INVALID_ARGUMENT naming its parameter
//! (`index`, 1-based like `$1`; `row`, 0-based, for execute_many and copy_records).

use std::net::IpAddr;
use std::sync::Arc;

use fanio_core::Error;
use fanio_core::db::{Array, Cell, Convert, IntWidth, Params};
use fanio_core::depth::{MAX_DEPTH, too_deep};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple,
};

use super::stdtypes;
use crate::error::to_pyerr;

/// Days from 0001-01-01 (Python's ordinal 1) to 1970-01-01.
const ORDINAL_EPOCH: i64 = 719_163;
const DAY_MICROS: i64 = 86_400_000_000;
/// `datetime.max` / `datetime.min` in microseconds from 1970: sent as Postgres's
/// `infinity` / `-infinity`, the way asyncpg sends them (and reads them back).
const MAX_MICROS: i64 = 253_402_300_799_999_999;
const MIN_MICROS: i64 = -62_135_596_800_000_000;
const MAX_DAYS: i64 = 2_932_896;
const MIN_DAYS: i64 = -719_162;

/// Where a parameter sits, for the error that names it.
#[derive(Clone, Copy, Default)]
pub struct At {
    pub row: Option<usize>,
}

fn bad(at: At, index: usize, name: Option<&str>, reason: String) -> Error {
    let place = match name {
        Some(n) => format!("parameter {n}"),
        None => format!("parameter ${index}"),
    };
    let mut err = match at.row {
        Some(r) => Error::invalid(format!("row {r}, {place}: {reason}")).with("row", r as i64),
        None => Error::invalid(format!("{place}: {reason}")),
    };
    err = err.with("index", index as i64);
    if let Some(n) = name {
        err = err.with("name", n);
    }
    err
}

/// `None`, a sequence (positional) or a mapping (named, SQLite).
pub fn params(py: Python<'_>, obj: Option<&Bound<'_, PyAny>>, at: At) -> PyResult<Params> {
    let Some(obj) = obj.filter(|o| !o.is_none()) else {
        return Ok(Params::default());
    };
    // Sequences first: the mapping check of a list goes through collections.abc.
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return Ok(Params::Positional(positional(py, obj, at)?));
    }
    if let Ok(map) = obj.cast::<PyMapping>() {
        let mut named = Vec::with_capacity(map.len()?);
        for (i, item) in map.items()?.iter().enumerate() {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let Ok(key) = key.cast::<PyString>() else {
                return Err(to_pyerr(
                    py,
                    &bad(at, i + 1, None, "parameter names must be strings".into()),
                ));
            };
            let key = crate::args::utf8(key, "a parameter name")?;
            let cell =
                cell(py, &value, 0).map_err(|r| to_pyerr(py, &bad(at, i + 1, Some(key), r)))?;
            named.push((key.to_string(), cell));
        }
        return Ok(Params::Named(named));
    }
    Ok(Params::Positional(positional(py, obj, at)?))
}

/// A list or tuple of values (one row of execute_many or copy_records, or `params`).
pub fn positional(py: Python<'_>, obj: &Bound<'_, PyAny>, at: At) -> PyResult<Vec<Cell>> {
    cells(py, obj, at).map_err(|e| to_pyerr(py, &e))
}

fn cells(py: Python<'_>, obj: &Bound<'_, PyAny>, at: At) -> Result<Vec<Cell>, Error> {
    // A batch makes one vector per row: each of the exact size, filled in one pass.
    let convert = |values: &mut dyn ExactSizeIterator<Item = Bound<'_, PyAny>>| {
        let mut cells = Vec::with_capacity(values.len());
        for (i, v) in values.enumerate() {
            cells.push(cell(py, &v, 0).map_err(|r| bad(at, i + 1, None, r))?);
        }
        Ok(cells)
    };
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return convert(&mut tuple.iter());
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return convert(&mut list.iter());
    }
    let what = match at.row {
        Some(r) => format!("row {r}"),
        None => "params".to_string(),
    };
    let mut err = Error::invalid(format!(
        "{what} must be a list, a tuple or a mapping, got {}",
        type_name(obj)
    ));
    if let Some(r) = at.row {
        err = err.with("row", r as i64);
    }
    Err(err)
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

fn not_rows(obj: &Bound<'_, PyAny>) -> Error {
    Error::invalid(format!(
        "expected an iterable of rows, got {}",
        type_name(obj)
    ))
}

/// Every row of an iterable of parameter sequences.
pub fn rows(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<Cell>>> {
    let iter = obj.try_iter().map_err(|_| to_pyerr(py, &not_rows(obj)))?;
    let mut rows = Vec::with_capacity(obj.len().unwrap_or(0));
    for (r, row) in iter.enumerate() {
        rows.push(positional(py, &row?, At { row: Some(r) })?);
    }
    Ok(rows)
}

/// The rows of copy_records as a converter the core runs chunk by chunk while the COPY
/// streams, off the event loop's thread (it takes the GIL for each chunk, which the
/// loop leaves free while it waits). The outer sequence is copied now, so changing it
/// afterwards does not change what is loaded.
pub fn converter(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<Convert> {
    let iter = obj.try_iter().map_err(|_| to_pyerr(py, &not_rows(obj)))?;
    let list: Py<PyList> = PyList::empty(py).unbind();
    for row in iter {
        list.bind(py).append(row?)?;
    }
    let mut next = 0;
    Ok(Box::new(move |max| {
        Python::attach(|py| {
            let list = list.bind(py);
            let end = (next + max).min(list.len());
            let mut chunk = Vec::with_capacity(end - next);
            for r in next..end {
                let row = list
                    .get_item(r)
                    .map_err(|e| Error::invalid(e.to_string()))?;
                chunk.push(cells(py, &row, At { row: Some(r) })?);
            }
            next = end;
            Ok(chunk)
        })
    }))
}

type Fit = Result<Cell, String>;

fn int_attr(v: &Bound<'_, PyAny>, name: &Bound<'_, PyString>) -> Result<i64, String> {
    v.getattr(name)
        .and_then(|a| a.extract::<i64>())
        .map_err(|e| e.to_string())
}

/// One Python value as a cell, or why it has none.
fn cell(py: Python<'_>, v: &Bound<'_, PyAny>, depth: usize) -> Fit {
    if v.is_none() {
        return Ok(Cell::Null);
    }
    if let Ok(b) = v.cast_exact::<PyBool>() {
        return Ok(Cell::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        return Ok(match v.extract::<i64>() {
            Ok(i) => Cell::Int(i, IntWidth::Wide),
            // Beyond 64 bits only numeric can hold it; the core says so for other types.
            Err(_) => Cell::Numeric(v.str().map_err(|e| e.to_string())?.to_string().into()),
        });
    }
    // str before float: its check is a flag test, float's walks the type's bases.
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(Cell::Text(s.to_str().map_err(|e| e.to_string())?.into()));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(Cell::Float(f.value()));
    }
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(Cell::Bytes(bytes::Bytes::copy_from_slice(b.as_bytes())));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(Cell::Bytes(b.to_vec().into()));
    }
    if v.is_instance_of::<PyDict>() {
        return Ok(Cell::Json(Arc::new(json(v, depth)?)));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        return array(py, v);
    }
    std_value(py, v)
}

/// Values of standard-library types: datetime, Decimal, UUID, ipaddress.
fn std_value(py: Python<'_>, v: &Bound<'_, PyAny>) -> Fit {
    let t = stdtypes::get(py).map_err(|e| e.to_string())?;
    let is = |ty: &Py<PyAny>| v.is_instance(ty.bind(py)).unwrap_or(false);
    // datetime is a date: test it first.
    if is(&t.datetime) {
        return datetime(py, v);
    }
    if is(&t.date) {
        let days = v
            .call_method0(intern!(py, "toordinal"))
            .and_then(|o| o.extract::<i64>())
            .map_err(|e| e.to_string())?
            - ORDINAL_EPOCH;
        return Ok(Cell::Date(match days {
            MAX_DAYS => i32::MAX,
            MIN_DAYS => i32::MIN,
            d => d as i32,
        }));
    }
    if is(&t.time) {
        if !v
            .getattr(intern!(py, "tzinfo"))
            .map_err(|e| e.to_string())?
            .is_none()
        {
            return Err(
                "a time with a time zone is not supported (timetz): pass a naive time".into(),
            );
        }
        let us = ((int_attr(v, intern!(py, "hour"))? * 60 + int_attr(v, intern!(py, "minute"))?)
            * 60
            + int_attr(v, intern!(py, "second"))?)
            * 1_000_000
            + int_attr(v, intern!(py, "microsecond"))?;
        return Ok(Cell::Time(us));
    }
    if is(&t.timedelta) {
        let days = int_attr(v, intern!(py, "days"))?;
        let us = int_attr(v, intern!(py, "seconds"))? * 1_000_000
            + int_attr(v, intern!(py, "microseconds"))?;
        return Ok(Cell::Interval {
            months: 0,
            days: days as i32,
            microseconds: us,
        });
    }
    if is(&t.decimal) {
        return Ok(Cell::Numeric(
            v.str().map_err(|e| e.to_string())?.to_string().into(),
        ));
    }
    if is(&t.uuid) {
        let raw = v
            .getattr(intern!(py, "bytes"))
            .and_then(|b| b.extract::<[u8; 16]>())
            .map_err(|e| e.to_string())?;
        return Ok(Cell::Uuid(raw));
    }
    // An interface is also an address: test it first.
    let attr = |name: &str| v.getattr(name).map_err(|e| e.to_string());
    let (addr, prefix, cidr) = if is(&t.ipv4_interface) || is(&t.ipv6_interface) {
        let prefix = attr("network")?
            .getattr("prefixlen")
            .map_err(|e| e.to_string())?;
        (
            attr("ip")?,
            prefix.extract::<u8>().map_err(|e| e.to_string())?,
            false,
        )
    } else if is(&t.ipv4_network) || is(&t.ipv6_network) {
        let prefix = attr("prefixlen")?
            .extract::<u8>()
            .map_err(|e| e.to_string())?;
        (attr("network_address")?, prefix, true)
    } else if is(&t.ipv4_address) {
        (v.clone(), 32, false)
    } else if is(&t.ipv6_address) {
        (v.clone(), 128, false)
    } else {
        return Err(format!(
            "a {} value cannot be sent",
            v.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ));
    };
    let addr: IpAddr = addr
        .str()
        .map_err(|e| e.to_string())?
        .to_str()
        .map_err(|e| e.to_string())?
        .parse()
        .map_err(|e: std::net::AddrParseError| e.to_string())?;
    Ok(Cell::Inet { addr, prefix, cidr })
}

/// Naive -> timestamp, aware -> timestamptz (the instant in UTC).
fn datetime(py: Python<'_>, v: &Bound<'_, PyAny>) -> Fit {
    let days = v
        .call_method0(intern!(py, "toordinal"))
        .and_then(|o| o.extract::<i64>())
        .map_err(|e| e.to_string())?
        - ORDINAL_EPOCH;
    let clock = ((int_attr(v, intern!(py, "hour"))? * 60 + int_attr(v, intern!(py, "minute"))?)
        * 60
        + int_attr(v, intern!(py, "second"))?)
        * 1_000_000
        + int_attr(v, intern!(py, "microsecond"))?;
    let local = days * DAY_MICROS + clock;
    let offset = v
        .call_method0(intern!(py, "utcoffset"))
        .map_err(|e| e.to_string())?;
    let sentinel = |us: i64| match us {
        MAX_MICROS => i64::MAX,
        MIN_MICROS => i64::MIN,
        us => us,
    };
    if offset.is_none() {
        return Ok(Cell::Timestamp(sentinel(local)));
    }
    let offset = (int_attr(&offset, intern!(py, "days"))? * 86_400
        + int_attr(&offset, intern!(py, "seconds"))?)
        * 1_000_000
        + int_attr(&offset, intern!(py, "microseconds"))?;
    Ok(Cell::TimestampTz(sentinel(local - offset)))
}

/// A (nested) list as an array: one dimension per level, every level rectangular.
fn array(py: Python<'_>, v: &Bound<'_, PyAny>) -> Fit {
    struct Walk {
        dims: Vec<usize>,
        /// Per level: whether it holds values (true) or sub-lists (false).
        leaf: Vec<bool>,
        elems: Vec<Cell>,
    }
    fn walk(
        py: Python<'_>,
        v: &Bound<'_, PyAny>,
        level: usize,
        w: &mut Walk,
    ) -> Result<(), String> {
        if level >= 6 {
            return Err("an array has at most 6 dimensions".into());
        }
        let items: Vec<Bound<'_, PyAny>> = v
            .try_iter()
            .map_err(|e| e.to_string())?
            .collect::<PyResult<_>>()
            .map_err(|e| e.to_string())?;
        if w.dims.len() == level {
            w.dims.push(items.len());
        } else if w.dims[level] != items.len() {
            return Err("array rows differ in length (a Postgres array is rectangular)".into());
        }
        for item in &items {
            let nested = item.is_instance_of::<PyList>() || item.is_instance_of::<PyTuple>();
            match w.leaf.get(level) {
                None => w.leaf.push(!nested),
                Some(leaf) if *leaf == nested => {
                    return Err("an array mixes values and sub-lists at one level".into());
                }
                Some(_) => {}
            }
            if nested {
                walk(py, item, level + 1, w)?;
            } else {
                w.elems.push(cell(py, item, level + 1)?);
            }
        }
        Ok(())
    }
    let mut w = Walk {
        dims: Vec::new(),
        leaf: Vec::new(),
        elems: Vec::new(),
    };
    walk(py, v, 0, &mut w)?;
    let dims = if w.elems.is_empty() {
        Vec::new()
    } else {
        w.dims
            .iter()
            .map(|d| Ok((i32::try_from(*d).map_err(|_| "array is too long")?, 1)))
            .collect::<Result<_, String>>()?
    };
    Ok(Cell::Array(Arc::new(Array {
        elem_type: "".into(),
        dims,
        elems: w.elems,
    })))
}

/// A dict (or anything inside one) as a JSON document.
fn json(v: &Bound<'_, PyAny>, depth: usize) -> Result<serde_json::Value, String> {
    use serde_json::Value as J;
    let e = |e: PyErr| e.to_string();
    if v.is_none() {
        return Ok(J::Null);
    }
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(J::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        if let Ok(i) = v.extract::<i64>() {
            return Ok(J::from(i));
        }
        return v
            .extract::<u64>()
            .map(J::from)
            .map_err(|_| "a JSON integer beyond 64 bits".to_string());
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return serde_json::Number::from_f64(f.value())
            .map(J::Number)
            .ok_or_else(|| format!("{} is not a JSON number", f.value()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(J::String(s.to_str().map_err(e)?.to_string()));
    }
    // `depth` containers hold this value: one more may not pass the limit.
    let container = v.is_instance_of::<PyDict>()
        || v.is_instance_of::<PyList>()
        || v.is_instance_of::<PyTuple>();
    if container && depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(d.len());
        for (k, val) in d.iter() {
            let Ok(k) = k.cast::<PyString>() else {
                return Err("JSON object keys must be strings".into());
            };
            map.insert(k.to_str().map_err(e)?.to_string(), json(&val, depth + 1)?);
        }
        return Ok(J::Object(map));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let items = v.try_iter().map_err(e)?;
        return items
            .map(|i| json(&i.map_err(e)?, depth + 1))
            .collect::<Result<Vec<_>, _>>()
            .map(J::Array);
    }
    Err(format!(
        "a {} value has no JSON form",
        v.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    ))
}
