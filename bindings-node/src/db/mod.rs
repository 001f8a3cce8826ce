//! The Node face of the core's databases: `dbConnect` and one handle class for a pool
//! or a transaction, whose calls make native ops (handles into `native_op`). Arguments
//! are converted once here; every rule (pooling, timeouts, cancellation, what fits a
//! column) is the core's.

mod cells;
mod columns;
mod js;
mod params;
mod scratch;
mod text;

use std::sync::Arc;

use fanio_core::db::{self, Cell, Database, Isolation, PoolOptions, Transaction, TxOptions};
use fanio_core::{Error, Op, Value};
use napi::bindgen_prelude::{Function, ToNapiValue, Unknown};
use napi::{Env, JsValue};
use napi_derive::napi;

use self::cells::{BUILDERS, Builders, Ints};
use self::js::{Js, Raw};
use self::params::{At, Converted, Fail};
use crate::error::ThrowJs;
use crate::native_op::hold;
use crate::wire;

/// Hands the addon the JS functions it calls while converting: the row-builder maker,
/// the wrappers of database and transaction handles, JSON.parse and JSON.stringify.
#[napi]
pub fn db_init(
    env: Env,
    shape: Function,
    database: Function,
    transaction: Function,
    parse_json: Function,
    stringify: Function,
) -> napi::Result<()> {
    let js = Js::new(&env);
    let builders = Builders {
        shape: js.reference(shape.raw())?,
        database: js.reference(database.raw())?,
        transaction: js.reference(transaction.raw())?,
        parse_json: js.reference(parse_json.raw())?,
        stringify: js.reference(stringify.raw())?,
    };
    BUILDERS.with_borrow_mut(|b| *b = Some(builders));
    Ok(())
}

/// Pool options as JS gives them (numbers already type-checked by db.js; ms).
#[napi(object)]
pub struct ConnectOptions {
    pub max_connections: Option<f64>,
    pub min_connections: Option<f64>,
    /// ms
    pub acquire_timeout: Option<f64>,
    pub statement_cache_size: Option<f64>,
}

/// A count option: a whole number >= 0.
fn count(v: Option<f64>, name: &str, default: usize) -> fanio_core::Result<usize> {
    match v {
        None => Ok(default),
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= u32::MAX as f64 => Ok(n as usize),
        Some(n) => Err(Error::invalid(format!(
            "{name} must be a whole number >= 0, got {n}"
        ))),
    }
}

fn pool_options(o: &ConnectOptions) -> fanio_core::Result<PoolOptions> {
    let d = PoolOptions::default();
    Ok(PoolOptions {
        max_connections: count(o.max_connections, "maxConnections", d.max_connections)?,
        min_connections: count(o.min_connections, "minConnections", d.min_connections)?,
        acquire_timeout: fanio_core::Unit::Millis
            .duration(o.acquire_timeout, "acquireTimeout")?
            .unwrap_or(d.acquire_timeout),
        statement_cache_size: count(
            o.statement_cache_size,
            "statementCacheSize",
            d.statement_cache_size,
        )?,
    })
}

/// Opens a database; a bad URL or option throws E_INVALID_ARGUMENT now, before any I/O.
#[napi]
pub fn db_connect(env: Env, url: String, options: ConnectOptions) -> napi::Result<u32> {
    let config = pool_options(&options)
        .and_then(|opts| db::Config::parse(&url, opts))
        .map_err(|e| e.throw(&env))?;
    let ints = if url.starts_with("sqlite:") {
        Ints::Safe
    } else {
        Ints::Big
    };
    Ok(hold(shaped(config.connect(), ints, false)))
}

/// A core value with what its conversion needs to know besides the value itself: how
/// integers show (per backend) and whether rows are arrays. It rides in the op's value
/// as a host value, so batches and the bridge carry it untouched.
struct Shaped {
    value: Value,
    ints: Ints,
    as_arrays: bool,
}

/// `op` as an op whose value converts with `ints` and `as_arrays`; the default
/// conversion (bigint, objects) needs no wrapper.
fn shaped(op: Op, ints: Ints, as_arrays: bool) -> Op {
    if ints == Ints::Big && !as_arrays {
        return op;
    }
    op.map(move |value| {
        Value::Host(Arc::new(Shaped {
            value,
            ints,
            as_arrays,
        }))
    })
}

/// The JS value of a database value, or None for values that are not the database's.
pub fn value_to_js<'env>(env: &'env Env, value: &Value) -> napi::Result<Option<Unknown<'env>>> {
    let shaped = match value {
        Value::Host(h) => match h.downcast_ref::<Shaped>() {
            Some(s) => s,
            None => return Ok(None),
        },
        other => &Shaped {
            value: other.clone(),
            ints: Ints::Big,
            as_arrays: false,
        },
    };
    let js = Js::new(env);
    let raw = match convert(js, env, shaped)? {
        Some(raw) => raw,
        None => return Ok(None),
    };
    // SAFETY: a value just made on this env's thread.
    Ok(Some(unsafe { Unknown::from_raw_unchecked(env.raw(), raw) }))
}

fn convert(js: Js, env: &Env, s: &Shaped) -> napi::Result<Option<Raw>> {
    let (ints, arrays) = (s.ints, s.as_arrays);
    Ok(Some(match &s.value {
        Value::Rows(rows) => columns::rows(js, rows, ints, arrays, false)?,
        Value::Row(rows) => columns::rows(js, rows, ints, arrays, true)?,
        Value::Cell(cell) => cells::cell_to_js(js, cell, ints)?,
        Value::Int(n) => js.number(*n as f64)?,
        Value::Null => js.null()?,
        Value::Database(db) => wrap(js, env, Runner::Db(db.clone()), ints, |b| b.database)?,
        Value::Transaction(tx) => wrap(js, env, Runner::Tx(tx.clone()), ints, |b| b.transaction)?,
        // Not the database's: HTTP values have their own conversion.
        Value::Host(_) | Value::Response(_) | Value::Bytes(_) => return Ok(None),
    }))
}

fn wrap(
    js: Js,
    env: &Env,
    runner: Runner,
    ints: Ints,
    pick: impl Fn(&Builders) -> napi::sys::napi_ref,
) -> napi::Result<Raw> {
    let handle = DbHandle { runner, ints };
    let raw = unsafe { DbHandle::to_napi_value(env.raw(), handle) }?;
    js.call(cells::builder(js, pick)?, &[raw])
}

enum Runner {
    Db(Database),
    Tx(Transaction),
}

/// The query calls, same names on a pool and a transaction.
macro_rules! dispatch {
    ($runner:expr, $call:ident($($arg:expr),*)) => {
        match $runner {
            Runner::Db(d) => d.$call($($arg),*),
            Runner::Tx(t) => t.$call($($arg),*),
        }
    };
}

/// A database pool or one of its transactions, wrapped by db.js in `Database` /
/// `Transaction`. Made only by the addon.
#[napi]
pub struct DbHandle {
    runner: Runner,
    ints: Ints,
}

/// A converted argument, or the error thrown into JS for it.
fn thrown<T>(env: &Env, r: Converted<T>) -> napi::Result<T> {
    r.map_err(|f| match f {
        Fail::Invalid(e) => e.throw(env),
        Fail::Napi(e) => e,
    })
}

#[napi]
impl DbHandle {
    /// Holds `op` for JS, its value shaped for this handle; returns the op's handle.
    fn op(&self, op: Op, as_arrays: bool) -> u32 {
        hold(shaped(op, self.ints, as_arrays))
    }

    /// One statement: `kind` says what comes back (count, rows, row, row or null, cell).
    #[napi]
    pub fn query(
        &self,
        env: Env,
        kind: u32,
        sql: String,
        params: Option<Unknown>,
        as_arrays: bool,
    ) -> napi::Result<u32> {
        let js = Js::new(&env);
        let p = thrown(&env, params::params(js, params.map(|u| u.raw())))?;
        let r = &self.runner;
        let op = match kind {
            wire::QUERY_EXECUTE => dispatch!(r, execute(&sql, p)),
            wire::QUERY_FETCH_ALL => dispatch!(r, fetch_all(&sql, p)),
            wire::QUERY_FETCH_ONE => dispatch!(r, fetch_one(&sql, p)),
            wire::QUERY_FETCH_OPTIONAL => dispatch!(r, fetch_optional(&sql, p)),
            wire::QUERY_FETCH_VAL => dispatch!(r, fetch_val(&sql, p)),
            other => return Err(Error::invalid(format!("unknown query kind {other}")).throw(&env)),
        };
        Ok(self.op(op, as_arrays))
    }

    /// One statement per parameter set (an array of arrays or of objects), atomically.
    #[napi]
    pub fn execute_many(&self, env: Env, sql: String, list: Unknown) -> napi::Result<u32> {
        let js = Js::new(&env);
        let sets = thrown(
            &env,
            each(js, list.raw(), |js, v| params::params(js, Some(v))),
        )?;
        Ok(self.op(dispatch!(&self.runner, execute_many(&sql, sets)), false))
    }

    /// Loads `records` (arrays in `columns` order, or objects read by column name).
    #[napi]
    pub fn copy_records(
        &self,
        env: Env,
        table: String,
        records: Unknown,
        columns: Vec<String>,
    ) -> napi::Result<u32> {
        let js = Js::new(&env);
        let keys = columns
            .iter()
            .map(|c| js.string(c))
            .collect::<napi::Result<Vec<_>>>()?;
        let rows = thrown(
            &env,
            each(js, records.raw(), |js, v| record(js, v, &columns, &keys)),
        )?;
        Ok(self.op(
            dispatch!(&self.runner, copy_records(&table, columns, rows)),
            false,
        ))
    }

    /// Starts a transaction (a pool only); `isolation` is `read_committed`,
    /// `repeatable_read`, `serializable` or null for the server's default.
    #[napi]
    pub fn begin(&self, env: Env, isolation: Option<String>, read_only: bool) -> napi::Result<u32> {
        let Runner::Db(db) = &self.runner else {
            return Err(Error::invalid("a transaction cannot begin another").throw(&env));
        };
        let isolation = match isolation.as_deref() {
            None => None,
            Some("read_committed") => Some(Isolation::ReadCommitted),
            Some("repeatable_read") => Some(Isolation::RepeatableRead),
            Some("serializable") => Some(Isolation::Serializable),
            Some(other) => {
                return Err(Error::invalid(format!(
                    "isolation must be 'read_committed', 'repeatable_read' or 'serializable', got {other:?}"
                ))
                .throw(&env));
            }
        };
        Ok(self.op(
            db.begin(TxOptions {
                isolation,
                read_only,
            }),
            false,
        ))
    }

    /// Commits (true) or rolls back (false) a transaction.
    #[napi]
    pub fn end(&self, env: Env, commit: bool) -> napi::Result<u32> {
        let Runner::Tx(tx) = &self.runner else {
            return Err(Error::invalid("only a transaction can commit or roll back").throw(&env));
        };
        Ok(self.op(if commit { tx.commit() } else { tx.rollback() }, false))
    }

    /// Closes the pool: calls in flight end with E_CANCELLED, later ones with E_CLOSED.
    #[napi]
    pub fn close(&self, env: Env) -> napi::Result<u32> {
        let Runner::Db(db) = &self.runner else {
            return Err(Error::invalid("close a transaction with commit or rollback").throw(&env));
        };
        Ok(self.op(db.close(), false))
    }

    #[napi]
    pub fn is_closed(&self) -> bool {
        match &self.runner {
            Runner::Db(db) => db.is_closed(),
            Runner::Tx(_) => false,
        }
    }

    /// `Database(url with the password hidden)` / `Transaction(...)`.
    #[napi]
    pub fn label(&self) -> String {
        match &self.runner {
            Runner::Db(db) => format!("{db:?}"),
            Runner::Tx(tx) => format!("{tx:?}"),
        }
    }
}

/// Converts every element of the JS array `list`; the failing element's position rides
/// on the error as `row` (0-based, as JS counts).
fn each<T>(js: Js, list: Raw, f: impl Fn(Js, Raw) -> Converted<T>) -> Converted<Vec<T>> {
    if !js.is_array(list)? {
        return Err(Error::invalid("expected an array").into());
    }
    let n = js.length(list)?;
    let mut out = Vec::with_capacity(n as usize);
    for i in 0..n {
        let v = f(js, js.element(list, i)?).map_err(|fail| match fail {
            Fail::Invalid(e) => Fail::Invalid(e.with("row", i as i64)),
            other => other,
        })?;
        out.push(v);
    }
    Ok(out)
}

/// One record of `copyRecords` as cells in `columns` order.
fn record(js: Js, v: Raw, columns: &[String], keys: &[Raw]) -> Converted<Vec<Cell>> {
    if js.type_of(v)? != napi::sys::ValueType::napi_object {
        return Err(Error::invalid("a record must be an array or an object").into());
    }
    if js.is_array(v)? {
        return params::positional(js, v);
    }
    columns
        .iter()
        .zip(keys)
        .map(|(name, key)| params::cell(js, js.property(v, *key)?, At::Name(name)))
        .collect()
}
