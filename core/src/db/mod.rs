//! Databases on the core's runtime: PostgreSQL (tokio-postgres, few connections with
//! many queries pipelined on each) and SQLite (rusqlite on dedicated threads fed in
//! batches). Every call returns a lazy `Op`; results use the neutral `Cell`/`Rows` model.

mod cell;
mod config;
mod pg;
mod records;
mod shape;
mod sqlite;

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use cell::{Array, Cell, Columns, IntWidth, Params, Rows, civil};
pub use config::Config;
pub(crate) use pg::fuzz as pg_fuzz;
pub use records::{Chunk, Convert, Records};
use shape::Fetch;

use crate::engine::Op;
use crate::error::{Code, Error, Result};
use crate::value::Value;

/// How a `Database` manages its connections.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolOptions {
    /// Most connections open at once (Postgres), or SQLite connections (one writer plus
    /// readers) for a file database. At least 1.
    pub max_connections: usize,
    /// Connections opened by `connect` and kept open (Postgres). At most `max_connections`.
    pub min_connections: usize,
    /// How long a call waits for a connection before E_POOL_TIMEOUT.
    pub acquire_timeout: Duration,
    /// Prepared statements kept per connection (least recently used evicted); 0 disables
    /// the cache.
    pub statement_cache_size: usize,
}

impl Default for PoolOptions {
    fn default() -> Self {
        PoolOptions {
            max_connections: 10,
            min_connections: 1,
            acquire_timeout: Duration::from_secs(30),
            statement_cache_size: 100,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    ReadCommitted,
    RepeatableRead,
    Serializable,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxOptions {
    /// None: the server's default level.
    pub isolation: Option<Isolation>,
    pub read_only: bool,
}

/// Opens a database: rejects at once (nothing started) on a bad URL or options,
/// otherwise resolves to `Value::Database` once the first connection works.
pub fn connect(url: &str, opts: PoolOptions) -> Op {
    match Config::parse(url, opts) {
        Ok(config) => config.connect(),
        Err(e) => Op::new(async move { Err(e) }),
    }
}

enum Backend {
    Pg(pg::Pool),
    Sqlite(sqlite::Pool),
}

struct DbInner {
    backend: Backend,
    /// Fired by `close`: ops in flight end with E_CANCELLED, later ones with E_CLOSED.
    closing: CancellationToken,
    /// The URL with its password replaced, for messages and Debug.
    label: Arc<str>,
    /// The fork generation that opened it: a forked child has neither the parent's
    /// connection threads nor the tasks of its connections, so a call there would wait
    /// forever; it is E_CLOSED at once instead (the child connects anew).
    born: u64,
}

impl DbInner {
    /// Runs `work` unless the database is closed; `close` cancels it mid-way.
    async fn guard<T>(&self, work: impl Future<Output = Result<T>>) -> Result<T> {
        if self.born != crate::fork::generation() {
            return Err(Error::new(
                Code::Closed,
                format!(
                    "{} was opened by a parent process: connect again after fork",
                    self.label
                ),
            ));
        }
        if self.closing.is_cancelled() {
            return Err(closed(&self.label));
        }
        tokio::select! {
            biased;
            _ = self.closing.cancelled() => Err(Error::new(Code::Cancelled, format!("{} was closed while the call ran", self.label))),
            r = work => r,
        }
    }
}

fn closed(label: &str) -> Error {
    Error::new(Code::Closed, format!("{label} is closed"))
}

/// An open database: a pool of connections. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct Database(Arc<DbInner>);

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Database({})", self.0.label)
    }
}

/// Where a query runs: on the pool or inside one transaction.
#[derive(Clone)]
enum Runner {
    Pool(Arc<DbInner>),
    Tx(Arc<TxInner>),
}

impl Runner {
    fn db(&self) -> &Arc<DbInner> {
        match self {
            Runner::Pool(db) => db,
            Runner::Tx(tx) => &tx.db,
        }
    }

    fn op<F>(&self, work: impl FnOnce(Runner) -> F + Send + 'static) -> Op
    where
        F: Future<Output = Result<Value>> + Send,
    {
        let runner = self.clone();
        // The running future is large (a Postgres query's state is kilobytes): boxed
        // only when the op starts, so the ops a batch holds back cost a few hundred
        // bytes each. Boxed whole, making 100,000 lookups took 400 ms instead of ~150.
        Op::new(async move { Box::pin(run(runner, work)).await })
    }

    fn query(&self, sql: &str, params: Params, fetch: Fetch) -> Op {
        let sql: Arc<str> = sql.into();
        self.op(move |runner| async move {
            let reply = match &runner {
                Runner::Pool(db) => match &db.backend {
                    Backend::Pg(p) => p.query(&sql, params, fetch).await?,
                    Backend::Sqlite(p) => p.query(sql, params, fetch, None).await?,
                },
                Runner::Tx(tx) => match &tx.backend {
                    TxBackend::Pg(t) => t.query(&sql, params, fetch).await?,
                    TxBackend::Sqlite(t) => t.query(sql, params, fetch).await?,
                },
            };
            shape::shape(reply, fetch)
        })
    }

    fn execute_many(&self, sql: &str, params: Vec<Params>) -> Op {
        let sql: Arc<str> = sql.into();
        self.op(move |runner| async move {
            let n = match &runner {
                Runner::Pool(db) => match &db.backend {
                    Backend::Pg(p) => p.execute_many(&sql, params).await?,
                    Backend::Sqlite(p) => p.execute_many(sql, params, None).await?,
                },
                Runner::Tx(tx) => match &tx.backend {
                    TxBackend::Pg(t) => t.execute_many(&sql, params).await?,
                    TxBackend::Sqlite(t) => t.execute_many(sql, params).await?,
                },
            };
            Ok(Value::Int(n as i64))
        })
    }

    fn copy_records(&self, table: &str, columns: Vec<String>, rows: impl Into<Records>) -> Op {
        let copy = shape::Copy::new(table, columns, rows.into());
        self.op(move |runner| async move {
            let copy = copy?;
            let n = match &runner {
                Runner::Pool(db) => match &db.backend {
                    Backend::Pg(p) => p.copy(copy).await?,
                    Backend::Sqlite(p) => {
                        let (sql, rows) = copy.into_inserts().await?;
                        p.execute_many(sql.into(), rows, None).await?
                    }
                },
                Runner::Tx(tx) => match &tx.backend {
                    TxBackend::Pg(t) => t.copy(copy).await?,
                    TxBackend::Sqlite(t) => {
                        let (sql, rows) = copy.into_inserts().await?;
                        t.execute_many(sql.into(), rows).await?
                    }
                },
            };
            Ok(Value::Int(n as i64))
        })
    }
}

/// Runs `work` on `runner` unless its transaction has ended or its database closed.
async fn run<F>(runner: Runner, work: impl FnOnce(Runner) -> F) -> Result<Value>
where
    F: Future<Output = Result<Value>> + Send,
{
    if let Runner::Tx(tx) = &runner
        && *tx.ended.lock().unwrap_or_else(|e| e.into_inner())
    {
        return Err(Error::new(
            Code::Closed,
            "the transaction has already ended",
        ));
    }
    let db = runner.db().clone();
    db.guard(work(runner)).await
}

/// The query calls shared by `Database` and `Transaction`: same names, same results.
macro_rules! query_methods {
    () => {
        /// Runs a statement; resolves to `Value::Int` rows affected.
        pub fn execute(&self, sql: &str, params: Params) -> Op {
            self.runner().query(sql, params, Fetch::Execute)
        }

        /// Resolves to `Value::Rows`.
        pub fn fetch_all(&self, sql: &str, params: Params) -> Op {
            self.runner().query(sql, params, Fetch::All)
        }

        /// Resolves to `Value::Row` (the first row), or rejects with E_NO_ROWS.
        pub fn fetch_one(&self, sql: &str, params: Params) -> Op {
            self.runner().query(sql, params, Fetch::One)
        }

        /// Resolves to `Value::Row` (the first row) or `Value::Null`.
        pub fn fetch_optional(&self, sql: &str, params: Params) -> Op {
            self.runner().query(sql, params, Fetch::Optional)
        }

        /// Resolves to `Value::Cell`: the first column of the first row (E_NO_ROWS if none).
        pub fn fetch_val(&self, sql: &str, params: Params) -> Op {
            self.runner().query(sql, params, Fetch::Val)
        }

        /// Runs one statement per parameter set, all in one transaction (pipelined on
        /// Postgres); resolves to `Value::Int`, the total rows affected.
        pub fn execute_many(&self, sql: &str, params: Vec<Params>) -> Op {
            self.runner().execute_many(sql, params)
        }

        /// Loads rows into `table` (`schema.table` allowed): COPY FROM STDIN BINARY on
        /// Postgres, one prepared INSERT per row in a transaction on SQLite. Resolves to
        /// `Value::Int`, the rows loaded.
        pub fn copy_records(
            &self,
            table: &str,
            columns: Vec<String>,
            rows: impl Into<Records>,
        ) -> Op {
            self.runner().copy_records(table, columns, rows)
        }
    };
}

impl Database {
    fn runner(&self) -> Runner {
        Runner::Pool(self.0.clone())
    }

    query_methods!();

    /// Starts a transaction on a connection of its own; resolves to `Value::Transaction`.
    pub fn begin(&self, opts: TxOptions) -> Op {
        let db = self.0.clone();
        Op::new(async move {
            let backend = db
                .guard(async {
                    Ok(match &db.backend {
                        Backend::Pg(p) => TxBackend::Pg(p.begin(opts).await?),
                        Backend::Sqlite(p) => TxBackend::Sqlite(p.begin(opts).await?),
                    })
                })
                .await?;
            Ok(Value::Transaction(Transaction(Arc::new(TxInner {
                db,
                backend,
                ended: Mutex::new(false),
            }))))
        })
    }

    /// Closes the pool: calls in flight end with E_CANCELLED, later calls with E_CLOSED.
    pub fn close(&self) -> Op {
        let db = self.0.clone();
        Op::new(async move {
            db.closing.cancel();
            match &db.backend {
                Backend::Pg(p) => p.close(),
                Backend::Sqlite(p) => p.close(),
            }
            Ok(Value::Null)
        })
    }

    pub fn is_closed(&self) -> bool {
        self.0.closing.is_cancelled()
    }
}

enum TxBackend {
    Pg(pg::Tx),
    Sqlite(sqlite::Tx),
}

struct TxInner {
    db: Arc<DbInner>,
    backend: TxBackend,
    /// Set by commit / rollback: the transaction takes no more calls.
    ended: Mutex<bool>,
}

/// An open transaction on a connection of its own. Dropping the last clone without
/// commit or rollback rolls it back (or discards its connection): a connection never
/// returns to the pool mid-transaction.
#[derive(Clone)]
pub struct Transaction(Arc<TxInner>);

impl fmt::Debug for Transaction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Transaction({})", self.0.db.label)
    }
}

impl Transaction {
    fn runner(&self) -> Runner {
        Runner::Tx(self.0.clone())
    }

    query_methods!();

    pub fn commit(&self) -> Op {
        self.end(true)
    }

    pub fn rollback(&self) -> Op {
        self.end(false)
    }

    fn end(&self, commit: bool) -> Op {
        let tx = self.0.clone();
        Op::new(async move {
            {
                let mut ended = tx.ended.lock().unwrap_or_else(|e| e.into_inner());
                if *ended {
                    return Err(Error::new(
                        Code::Closed,
                        "the transaction has already ended",
                    ));
                }
                *ended = true;
            }
            tx.db
                .guard(async {
                    match &tx.backend {
                        TxBackend::Pg(t) => t.end(commit).await,
                        TxBackend::Sqlite(t) => t.end(commit).await,
                    }
                })
                .await?;
            Ok(Value::Null)
        })
    }
}
