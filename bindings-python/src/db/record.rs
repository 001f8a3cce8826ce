//! `fanio.Record`: one result row, read like asyncpg's Record (by name, by position,
//! `keys()` / `values()` / `items()`, iteration over values, `dict(rec)`). A result's
//! column names become one shared shape, so a row costs one tuple and one object; the
//! core caches a statement's columns, so even a batch of single-row lookups builds the
//! shape once.

use std::sync::{Arc, Mutex};

use fanio_core::db::Rows;
use pyo3::exceptions::{PyIndexError, PyKeyError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyList, PySlice, PyString, PyTuple};

use super::cells;

/// Column names of a result, shared by its records.
pub struct Shape {
    names: Py<PyTuple>,
    /// name -> position (the first column of that name, when names repeat).
    index: Py<PyDict>,
}

#[pyclass(frozen, module = "fanio")]
pub struct Record {
    shape: Arc<Shape>,
    values: Py<PyTuple>,
}

type ColumnNames = Arc<[Arc<str>]>;

/// Shapes of the last few column lists seen, keyed by the core's shared column list.
/// The key is kept alive here, so its address cannot be reused by another list.
static SHAPES: Mutex<Vec<(ColumnNames, Arc<Shape>)>> = Mutex::new(Vec::new());
const SHAPES_KEPT: usize = 16;

fn shape(py: Python<'_>, columns: &ColumnNames) -> PyResult<Arc<Shape>> {
    let mut cache = SHAPES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, s)) = cache.iter().find(|(k, _)| Arc::ptr_eq(k, columns)) {
        return Ok(s.clone());
    }
    let names = PyTuple::new(py, columns.iter().map(|c| PyString::new(py, c)))?;
    let index = PyDict::new(py);
    for (i, name) in names.iter().enumerate() {
        if !index.contains(&name)? {
            index.set_item(name, i)?;
        }
    }
    let s = Arc::new(Shape {
        names: names.unbind(),
        index: index.unbind(),
    });
    if cache.len() == SHAPES_KEPT {
        cache.remove(0);
    }
    cache.push((columns.clone(), s.clone()));
    Ok(s)
}

fn record(
    py: Python<'_>,
    shape: &Arc<Shape>,
    row: &[fanio_core::db::Cell],
) -> PyResult<Py<Record>> {
    let values = row
        .iter()
        .map(|c| cells::to_py(py, c))
        .collect::<PyResult<Vec<_>>>()?;
    Py::new(
        py,
        Record {
            shape: shape.clone(),
            values: PyTuple::new(py, values)?.unbind(),
        },
    )
}

/// `fetch_all`: a list of records.
pub fn all(py: Python<'_>, rows: &Rows) -> PyResult<Py<PyAny>> {
    let shape = shape(py, &rows.columns)?;
    let records = rows
        .rows
        .iter()
        .map(|r| record(py, &shape, r))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyList::new(py, records)?.into_any().unbind())
}

/// `fetch_one` / `fetch_optional`: the one record the core kept.
pub fn one(py: Python<'_>, rows: &Rows) -> PyResult<Py<PyAny>> {
    match rows.rows.first() {
        Some(row) => Ok(record(py, &shape(py, &rows.columns)?, row)?.into_any()),
        None => Ok(py.None()),
    }
}

impl Record {
    fn position(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<usize> {
        if let Ok(i) = key.cast::<PyInt>() {
            let len = self.values.bind(py).len() as isize;
            // Past isize's range is out of range like any other position.
            let i: isize = i
                .extract()
                .map_err(|_| PyIndexError::new_err("record index out of range"))?;
            let at = if i < 0 { i + len } else { i };
            if at < 0 || at >= len {
                return Err(PyIndexError::new_err("record index out of range"));
            }
            return Ok(at as usize);
        }
        match self.shape.index.bind(py).get_item(key)? {
            Some(i) => i.extract(),
            None if key.is_instance_of::<PyString>() => {
                Err(PyKeyError::new_err(key.clone().unbind()))
            }
            None => Err(PyTypeError::new_err(format!(
                "a record is indexed by a column name or position, not {}",
                key.get_type().name()?
            ))),
        }
    }
}

#[pymethods]
impl Record {
    fn __getitem__(&self, py: Python<'_>, key: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if let Ok(slice) = key.cast::<PySlice>() {
            return Ok(self.values.bind(py).as_any().get_item(slice)?.unbind());
        }
        let at = self.position(py, key)?;
        Ok(self.values.bind(py).get_item(at)?.unbind())
    }

    fn __len__(&self, py: Python<'_>) -> usize {
        self.values.bind(py).len()
    }

    /// Iterates over the values, as asyncpg's Record (and a tuple) does.
    fn __iter__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self
            .values
            .bind(py)
            .as_any()
            .try_iter()?
            .into_any()
            .unbind())
    }

    fn __contains__(&self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<bool> {
        self.shape.index.bind(py).contains(name)
    }

    #[pyo3(signature = (key, default=None))]
    fn get(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        default: Option<Py<PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        match self.position(py, key) {
            Ok(at) => Ok(self.values.bind(py).get_item(at)?.unbind()),
            Err(e)
                if e.is_instance_of::<PyKeyError>(py) || e.is_instance_of::<PyIndexError>(py) =>
            {
                Ok(default.unwrap_or_else(|| py.None()))
            }
            Err(e) => Err(e),
        }
    }

    fn keys(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Ok(self
            .shape
            .names
            .bind(py)
            .as_any()
            .try_iter()?
            .into_any()
            .unbind())
    }

    fn values(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.__iter__(py)
    }

    fn items(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let names = self.shape.names.bind(py);
        let pairs = names
            .iter()
            .zip(self.values.bind(py).iter())
            .map(|(k, v)| PyTuple::new(py, [k, v]))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, pairs)?
            .as_any()
            .try_iter()?
            .into_any()
            .unbind())
    }

    /// Equal to a record or tuple with equal values, like asyncpg's Record.
    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let values = self.values.bind(py);
        let result = if let Ok(r) = other.cast::<Record>() {
            values.eq(r.get().values.bind(py))?
        } else if other.is_instance_of::<PyTuple>() {
            values.eq(other)?
        } else {
            return Ok(py.NotImplemented());
        };
        Ok(pyo3::types::PyBool::new(py, result)
            .to_owned()
            .into_any()
            .unbind())
    }

    fn __hash__(&self, py: Python<'_>) -> PyResult<isize> {
        self.values.bind(py).hash()
    }

    /// `<Record id=1 name='x'>`.
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let mut out = String::from("<Record");
        for (k, v) in self
            .shape
            .names
            .bind(py)
            .iter()
            .zip(self.values.bind(py).iter())
        {
            out.push(' ');
            out.push_str(&k.str()?.to_cow()?);
            out.push('=');
            out.push_str(&v.repr()?.to_cow()?);
        }
        out.push('>');
        Ok(out)
    }
}
