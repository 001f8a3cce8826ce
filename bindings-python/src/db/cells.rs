//! Core cells -> Python values, the types asyncpg returns (Decimal, UUID, datetime,
//! timedelta, ipaddress, nested lists), so code moving from asyncpg compares equal.
//! A value Python cannot hold (a date after 9999) is E_DECODE naming the value.

use fanio_core::db::{Array, Cell, civil};
use fanio_core::{Code, Error};
use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};

use super::stdtypes::{self, StdTypes};
use crate::error::to_pyerr;

const DAY_MICROS: i64 = 86_400_000_000;

pub fn to_py(py: Python<'_>, cell: &Cell) -> PyResult<Py<PyAny>> {
    Ok(match cell {
        Cell::Null => py.None(),
        Cell::Bool(b) => b.into_py_any(py)?,
        Cell::Int(v, _) => v.into_py_any(py)?,
        Cell::Float(v) => v.into_py_any(py)?,
        Cell::Text(s) => PyString::new(py, s).into_any().unbind(),
        Cell::Bytes(b) => PyBytes::new(py, b).into_any().unbind(),
        Cell::Numeric(s) => stdtypes::get(py)?.decimal.call1(py, (&**s,))?,
        Cell::Uuid(u) => {
            let kwargs = PyDict::new(py);
            kwargs.set_item("bytes", PyBytes::new(py, u))?;
            stdtypes::get(py)?
                .uuid
                .bind(py)
                .call((), Some(&kwargs))?
                .unbind()
        }
        Cell::Json(v) => json_to_py(py, v)?,
        Cell::Date(d) => date(py, *d)?,
        Cell::Time(us) => {
            let (h, m, s, us) = clock(*us);
            stdtypes::get(py)?.time.call1(py, (h, m, s, us))?
        }
        Cell::Timestamp(us) => datetime(py, *us, false)?,
        Cell::TimestampTz(us) => datetime(py, *us, true)?,
        Cell::Interval {
            months,
            days,
            microseconds,
        } => {
            // asyncpg's rule (a timedelta has no months): a whole year is 365 days, each
            // month left over 30, both counted toward zero as Postgres stores them.
            let (years, rest) = (*months / 12, *months % 12);
            let days = years as i64 * 365 + rest as i64 * 30 + *days as i64;
            stdtypes::get(py)?
                .timedelta
                .call1(py, (days, 0, *microseconds))
                .map_err(|e| decode(py, cell, e))?
        }
        Cell::Inet { addr, prefix, cidr } => {
            let t = stdtypes::get(py)?;
            let full = if addr.is_ipv4() { 32 } else { 128 };
            // asyncpg's rule: a cidr is a network, an inet at its full prefix an address,
            // any other inet an interface (address plus prefix).
            match (cidr, *prefix == full) {
                (true, _) => t.ip_network.call1(py, (format!("{addr}/{prefix}"),)),
                (false, true) => t.ip_address.call1(py, (addr.to_string(),)),
                (false, false) => t.ip_interface.call1(py, (format!("{addr}/{prefix}"),)),
            }
            .map_err(|e| decode(py, cell, e))?
        }
        Cell::Array(a) => array(py, a)?,
    })
}

fn decode(py: Python<'_>, cell: &Cell, cause: PyErr) -> PyErr {
    to_pyerr(
        py,
        &Error::new(
            Code::Decode,
            format!(
                "the {} value {cell:?} has no Python equivalent: {cause}",
                cell.kind()
            ),
        ),
    )
}

fn date(py: Python<'_>, days: i32) -> PyResult<Py<PyAny>> {
    let t = stdtypes::get(py)?;
    match days {
        i32::MAX => Ok(t.date_max.clone_ref(py)),
        i32::MIN => Ok(t.date_min.clone_ref(py)),
        d => {
            let (y, m, day) = civil(d as i64);
            t.date
                .call1(py, (y, m, day))
                .map_err(|e| decode(py, &Cell::Date(days), e))
        }
    }
}

fn datetime(py: Python<'_>, micros: i64, utc: bool) -> PyResult<Py<PyAny>> {
    let t: &StdTypes = stdtypes::get(py)?;
    // asyncpg gives the naive extremes for ±infinity, timestamptz included.
    match micros {
        i64::MAX => return Ok(t.datetime_max.clone_ref(py)),
        i64::MIN => return Ok(t.datetime_min.clone_ref(py)),
        _ => {}
    }
    let (y, mo, d) = civil(micros.div_euclid(DAY_MICROS));
    let (h, mi, s, us) = clock(micros.rem_euclid(DAY_MICROS));
    let made = if utc {
        t.datetime
            .call1(py, (y, mo, d, h, mi, s, us, t.utc.clone_ref(py)))
    } else {
        t.datetime.call1(py, (y, mo, d, h, mi, s, us))
    };
    made.map_err(|e| {
        let cell = if utc {
            Cell::TimestampTz(micros)
        } else {
            Cell::Timestamp(micros)
        };
        decode(py, &cell, e)
    })
}

/// (hour, minute, second, microsecond) of microseconds since midnight (24:00 is kept
/// as 24, which Python refuses: E_DECODE, like any time Python cannot hold).
fn clock(us: i64) -> (i64, i64, i64, i64) {
    let s = us / 1_000_000;
    (s / 3600, s / 60 % 60, s % 60, us % 1_000_000)
}

/// Nested lists, one level per dimension (lower bounds are dropped, as asyncpg does).
fn array(py: Python<'_>, a: &Array) -> PyResult<Py<PyAny>> {
    fn level(py: Python<'_>, dims: &[(i32, i32)], elems: &[Cell]) -> PyResult<Py<PyAny>> {
        let Some(((len, _), rest)) = dims.split_first() else {
            return to_py(py, &elems[0]);
        };
        let len = (*len).max(0) as usize;
        let step = elems.len().checked_div(len).unwrap_or(0);
        let items = (0..len)
            .map(|i| level(py, rest, &elems[i * step..(i + 1) * step]))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any().unbind())
    }
    let count = a
        .dims
        .iter()
        .map(|(len, _)| (*len).max(0) as usize)
        .product::<usize>();
    if a.dims.is_empty() || count == 0 {
        return Ok(PyList::empty(py).into_any().unbind());
    }
    if count != a.elems.len() {
        return Err(to_pyerr(
            py,
            &Error::new(
                Code::Decode,
                format!(
                    "array dimensions {:?} do not match its {} elements",
                    a.dims,
                    a.elems.len()
                ),
            ),
        ));
    }
    level(py, &a.dims, &a.elems)
}

fn json_to_py(py: Python<'_>, v: &serde_json::Value) -> PyResult<Py<PyAny>> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => py.None(),
        J::Bool(b) => b.into_py_any(py)?,
        J::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_py_any(py)?,
            (None, Some(u)) => u.into_py_any(py)?,
            _ => n.as_f64().unwrap_or(f64::NAN).into_py_any(py)?,
        },
        J::String(s) => PyString::new(py, s).into_any().unbind(),
        J::Array(items) => {
            let items = items
                .iter()
                .map(|i| json_to_py(py, i))
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, items)?.into_any().unbind()
        }
        J::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, json_to_py(py, v)?)?;
            }
            dict.into_any().unbind()
        }
    })
}
