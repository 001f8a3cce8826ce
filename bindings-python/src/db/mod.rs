//! `fanio.connect`, `fanio.Database` and `fanio.Transaction`: the core's database calls,
//! each returning a lazy `fanio.Op`, so they await alone or run as native batches in
//! `fanio.settle`. Arguments are converted here once; the core does the rest.

pub mod cells;
mod params;
pub mod record;
mod stdtypes;

use fanio_core::db::{self as core_db, Isolation, PoolOptions, Records, TxOptions};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::args::{self, Text};
use crate::error::{ResultExt, invalid};
use crate::op::Op;
use params::At;

/// `fanio._db.enter` and `fanio._db.TransactionContext`: the async context managers'
/// Python halves (a coroutine is the natural `__aenter__` result).
static ENTER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static TX_CONTEXT: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// A whole number >= 0 given as an int (not a bool or a float).
fn count(
    py: Python<'_>,
    v: Option<&Bound<'_, PyAny>>,
    name: &str,
    default: usize,
) -> PyResult<usize> {
    let Some(v) = v.filter(|v| !v.is_none()) else {
        return Ok(default);
    };
    if v.is_instance_of::<pyo3::types::PyBool>() || !v.is_instance_of::<pyo3::types::PyInt>() {
        return Err(invalid(
            py,
            format!("{name} must be an int, got {}", v.get_type().name()?),
        ));
    }
    v.extract::<usize>()
        .map_err(|_| invalid(py, format!("{name} must be >= 0, got {v}")))
}

/// Opens a database (`postgres://...`, `sqlite:///path.db`, `sqlite::memory:`). A bad
/// URL or option raises here; otherwise the op resolves to a `Database` once a first
/// connection works.
#[pyfunction]
#[pyo3(signature = (url, *, max_connections=None, min_connections=None, acquire_timeout=None, statement_cache_size=None))]
pub fn connect(
    py: Python<'_>,
    url: Text,
    max_connections: Option<&Bound<'_, PyAny>>,
    min_connections: Option<&Bound<'_, PyAny>>,
    acquire_timeout: Option<&Bound<'_, PyAny>>,
    statement_cache_size: Option<&Bound<'_, PyAny>>,
) -> PyResult<Op> {
    let d = PoolOptions::default();
    let timeout = args::number(py, acquire_timeout, "acquire_timeout")?;
    let opts = PoolOptions {
        max_connections: count(py, max_connections, "max_connections", d.max_connections)?,
        min_connections: count(py, min_connections, "min_connections", d.min_connections)?,
        acquire_timeout: fanio_core::Unit::Seconds
            .duration(timeout, "acquire_timeout")
            .or_raise(py)?
            .unwrap_or(d.acquire_timeout),
        statement_cache_size: count(
            py,
            statement_cache_size,
            "statement_cache_size",
            d.statement_cache_size,
        )?,
    };
    let config = core_db::Config::parse(&url, opts).or_raise(py)?;
    Ok(Op(config.connect()))
}

fn isolation(py: Python<'_>, name: Option<&str>) -> PyResult<Option<Isolation>> {
    Ok(match name {
        None => None,
        Some("read_committed") => Some(Isolation::ReadCommitted),
        Some("repeatable_read") => Some(Isolation::RepeatableRead),
        Some("serializable") => Some(Isolation::Serializable),
        Some(other) => {
            return Err(invalid(
                py,
                format!(
                    "isolation must be 'read_committed', 'repeatable_read' or 'serializable', got {other:?}"
                ),
            ));
        }
    })
}

/// The query calls `Database` and `Transaction` share: same names, same conversions.
macro_rules! query_class {
    ($ty:ident { $($extra:tt)* }) => {
        #[pymethods]
        impl $ty {
            /// Runs a statement; resolves to the rows affected.
            #[pyo3(signature = (sql, params=None))]
            fn execute(&self, py: Python<'_>, sql: Text, params: Option<&Bound<'_, PyAny>>) -> PyResult<Op> {
                Ok(Op(self.0.execute(&sql, params::params(py, params, At::default())?)))
            }

            /// Resolves to a list of `Record`.
            #[pyo3(signature = (sql, params=None))]
            fn fetch_all(&self, py: Python<'_>, sql: Text, params: Option<&Bound<'_, PyAny>>) -> PyResult<Op> {
                Ok(Op(self.0.fetch_all(&sql, params::params(py, params, At::default())?)))
            }

            /// Resolves to the first `Record`; NoRows if there is none.
            #[pyo3(signature = (sql, params=None))]
            fn fetch_one(&self, py: Python<'_>, sql: Text, params: Option<&Bound<'_, PyAny>>) -> PyResult<Op> {
                Ok(Op(self.0.fetch_one(&sql, params::params(py, params, At::default())?)))
            }

            /// Resolves to the first `Record` or None.
            #[pyo3(signature = (sql, params=None))]
            fn fetch_optional(&self, py: Python<'_>, sql: Text, params: Option<&Bound<'_, PyAny>>) -> PyResult<Op> {
                Ok(Op(self.0.fetch_optional(&sql, params::params(py, params, At::default())?)))
            }

            /// Resolves to the first column of the first row; NoRows if there is none.
            #[pyo3(signature = (sql, params=None))]
            fn fetch_val(&self, py: Python<'_>, sql: Text, params: Option<&Bound<'_, PyAny>>) -> PyResult<Op> {
                Ok(Op(self.0.fetch_val(&sql, params::params(py, params, At::default())?)))
            }

            /// One statement per parameter sequence, all in one transaction; resolves to
            /// the total rows affected.
            fn execute_many(&self, py: Python<'_>, sql: Text, seq_of_params: &Bound<'_, PyAny>) -> PyResult<Op> {
                let rows = params::rows(py, seq_of_params)?;
                Ok(Op(self.0.execute_many(&sql, rows.into_iter().map(Into::into).collect())))
            }

            /// Loads `records` (sequences of values, in the order of `columns`) into
            /// `table` (COPY on Postgres); resolves to the rows loaded.
            #[pyo3(signature = (table, records, *, columns))]
            fn copy_records(&self, py: Python<'_>, table: Text, records: &Bound<'_, PyAny>, columns: Vec<Text>) -> PyResult<Op> {
                let rows = params::converter(py, records)?;
                Ok(Op(self.0.copy_records(&table, columns.into_iter().map(|c| c.0).collect(), Records::Converted(rows))))
            }

            $($extra)*
        }
    };
}

#[pyclass(frozen, module = "fanio")]
pub struct Database(pub core_db::Database);

#[pyclass(frozen, module = "fanio")]
pub struct Transaction(pub core_db::Transaction);

query_class!(Database {
    /// An async context manager: begins on enter, commits on a clean exit, rolls back
    /// on an exception or cancellation.
    #[pyo3(signature = (isolation=None, read_only=false))]
    fn transaction<'py>(&self, py: Python<'py>, isolation: Option<Text>, read_only: bool) -> PyResult<Bound<'py, PyAny>> {
        let opts = TxOptions { isolation: self::isolation(py, isolation.as_deref())?, read_only };
        let begin = Op(self.0.begin(opts));
        TX_CONTEXT.import(py, "fanio._db", "TransactionContext")?.call1((begin,))
    }

    /// Closes the pool: calls in flight end with Cancelled, later calls with ClosedError.
    fn close(&self) -> Op {
        Op(self.0.close())
    }

    #[getter]
    fn closed(&self) -> bool {
        self.0.is_closed()
    }

    fn __aenter__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        ENTER.import(slf.py(), "fanio._db", "enter")?.call1((slf,))
    }

    fn __aexit__(&self, _exc_type: &Bound<'_, PyAny>, _exc: &Bound<'_, PyAny>, _tb: &Bound<'_, PyAny>) -> Op {
        Op(self.0.close())
    }

    /// The URL with its password replaced by `***`.
    fn __repr__(&self) -> String {
        format!("<fanio.{:?}>", self.0)
    }
});

query_class!(Transaction {
    fn commit(&self) -> Op {
        Op(self.0.commit())
    }

    fn rollback(&self) -> Op {
        Op(self.0.rollback())
    }

    fn __repr__(&self) -> String {
        format!("<fanio.{:?}>", self.0)
    }
});
