//! One Postgres connection: its client, the queries in flight on it (pipelined by
//! tokio-postgres), its LRU of prepared statements, and how to run a call on it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use futures::stream::FuturesOrdered;
use futures::{StreamExt, TryStreamExt};
use tokio::sync::Notify;
use tokio_postgres::types::ToSql;
use tokio_postgres::{CancelToken, Client, Statement};

use super::encode::{Param, ParamError};
use super::rewrite::Insert;
use super::{decode, error};
use crate::db::cell::{Cell, Columns, Params};
use crate::db::shape::{Fetch, Reply};
use crate::error::{Error, Result};

/// Prepared statements by SQL text, least recently used evicted. Sizes are small
/// (~100), so eviction scans instead of keeping a linked list.
struct Cache {
    capacity: usize,
    tick: u64,
    map: HashMap<Arc<str>, (Statement, Arc<Columns>, u64)>,
}

impl Cache {
    fn get(&mut self, sql: &str) -> Option<(Statement, Arc<Columns>)> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(sql).map(|(s, c, used)| {
            *used = tick;
            (s.clone(), c.clone())
        })
    }

    fn put(&mut self, sql: &str, stmt: Statement, columns: Arc<Columns>) {
        if self.capacity == 0 {
            return;
        }
        if self.map.len() >= self.capacity
            && let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, (_, _, used))| *used)
                .map(|(k, _)| k.clone())
        {
            self.map.remove(&oldest);
        }
        self.tick += 1;
        self.map.insert(sql.into(), (stmt, columns, self.tick));
    }

    fn remove(&mut self, sql: &str) {
        self.map.remove(sql);
    }
}

/// Executes of one `execute_many` in flight on its connection. Each is answered on its
/// own (tokio-postgres ends every execute with Sync), so the window only has to cover
/// the time the client takes to wake up and send more; a bound keeps memory flat for any
/// batch size instead of one future per row (100,000 rows from Python: peak RSS +211 MB
/// with all in flight, +23 MB with this window; 64-4096 cost the same client CPU).
const WINDOW: usize = 1024;

/// Rows per multi-row INSERT of `execute_many` at most, and such statements in flight.
const CHUNK_ROWS: usize = 1024;
const CHUNKS_IN_FLIGHT: usize = 4;

pub(super) struct Conn {
    pub client: Client,
    pub cancel: CancelToken,
    /// Queries of live calls on this connection (shared or in a transaction).
    pub inflight: AtomicUsize,
    /// Signalled when `inflight` drops to zero.
    pub drained: Notify,
    /// A call of the transaction holding it was dropped and cancelled on the server.
    /// The cancel request reaches the server at a moment nobody can know (the driver
    /// does not wait for it), so it may stop any later statement, a ROLLBACK, or,
    /// once the connection is back in the pool, another caller's query: a tainted
    /// connection runs nothing more and is closed, which ends its transaction.
    tainted: AtomicBool,
    cache: Mutex<Cache>,
}

fn columns_of(stmt: &Statement) -> Arc<Columns> {
    Arc::new(Columns {
        names: stmt.columns().iter().map(|c| Arc::from(c.name())).collect(),
        types: stmt
            .columns()
            .iter()
            .map(|c| Arc::from(c.type_().name()))
            .collect(),
    })
}

fn positional(params: Params) -> Result<Vec<Cell>> {
    match params {
        Params::Positional(cells) => Ok(cells),
        Params::Named(_) => Err(Error::invalid(
            "Postgres takes positional parameters ($1, $2, ...), not named ones",
        )),
    }
}

/// The cells of one statement or row as driver parameters, without collecting them.
fn params<'a>(
    cells: &'a [Cell],
    what: &'static str,
    text_allowed: bool,
) -> impl ExactSizeIterator<Item = Param<'a>> {
    cells.iter().enumerate().map(move |(i, cell)| Param {
        cell,
        index: i + 1,
        what,
        text_allowed,
    })
}

fn check_count(stmt: &Statement, given: usize) -> Result<()> {
    let wanted = stmt.params().len();
    if given != wanted {
        return Err(Error::invalid(format!(
            "the statement takes {wanted} parameters, {given} given"
        )));
    }
    Ok(())
}

/// Every set of an `execute_many` encoded once before anything is sent: a value that
/// does not fit fails the call before any I/O. Found while sending, it would come after
/// the executes around it were already on their way (and applied, in a transaction).
fn check_values(stmt: &Statement, sets: &[Vec<Cell>]) -> Result<()> {
    let mut scratch = BytesMut::new();
    for (r, cells) in sets.iter().enumerate() {
        check_count(stmt, cells.len()).map_err(|e| e.with("row", r as i64))?;
        for (param, ty) in params(cells, "parameter $", true).zip(stmt.params()) {
            scratch.clear();
            param.to_sql(ty, &mut scratch).map_err(|e| {
                match e.downcast_ref::<ParamError>() {
                    Some(p) => error::param(p),
                    None => Error::invalid(e.to_string()),
                }
                .with("row", r as i64)
            })?;
        }
    }
    Ok(())
}

/// A cached plan whose result type changed under it (ALTER TABLE, a recreated type):
/// Postgres refuses it with 0A000; preparing again fixes it.
fn stale_plan(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|db| db.code().code() == "0A000" && db.message().contains("cached plan"))
}

impl Conn {
    pub fn new(client: Client, cache_size: usize) -> Conn {
        Conn {
            cancel: client.cancel_token(),
            client,
            inflight: AtomicUsize::new(0),
            drained: Notify::new(),
            tainted: AtomicBool::new(false),
            cache: Mutex::new(Cache {
                capacity: cache_size,
                tick: 0,
                map: HashMap::new(),
            }),
        }
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn enter(&self) {
        self.inflight.fetch_add(1, Ordering::SeqCst);
    }

    pub fn leave(&self) {
        if self.inflight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.drained.notify_waiters();
        }
    }

    /// A cancel request for a dropped call of its transaction is on its way.
    pub fn taint(&self) {
        self.tainted.store(true, Ordering::SeqCst);
    }

    pub fn is_tainted(&self) -> bool {
        self.tainted.load(Ordering::SeqCst)
    }

    async fn prepare(&self, sql: &str) -> Result<(Statement, Arc<Columns>)> {
        if let Some(hit) = self.cache().get(sql) {
            return Ok(hit);
        }
        let stmt = self.client.prepare(sql).await.map_err(error::query)?;
        let columns = columns_of(&stmt);
        self.cache().put(sql, stmt.clone(), columns.clone());
        Ok((stmt, columns))
    }

    /// Runs one statement; a stale cached plan is prepared again once.
    pub async fn query(&self, sql: &str, params: Params, fetch: Fetch) -> Result<Reply> {
        let cells = positional(params)?;
        match self.query_once(sql, &cells, fetch).await {
            Err(Retry::Stale) => {
                self.cache().remove(sql);
                self.query_once(sql, &cells, fetch)
                    .await
                    .map_err(Retry::into_error)
            }
            other => other.map_err(Retry::into_error),
        }
    }

    async fn query_once(
        &self,
        sql: &str,
        cells: &[Cell],
        fetch: Fetch,
    ) -> std::result::Result<Reply, Retry> {
        let (stmt, columns) = self.prepare(sql).await?;
        check_count(&stmt, cells.len())?;
        if fetch == Fetch::Execute {
            let affected = self
                .client
                .execute_raw(&stmt, params(cells, "parameter $", true))
                .await
                .map_err(Retry::from_pg)?;
            return Ok(Reply {
                columns,
                rows: Vec::new(),
                affected,
            });
        }
        let stream = self
            .client
            .query_raw(&stmt, params(cells, "parameter $", true))
            .await
            .map_err(Retry::from_pg)?;
        let mut stream = std::pin::pin!(stream);
        let mut rows = Vec::new();
        while let Some(row) = stream.try_next().await.map_err(Retry::from_pg)? {
            rows.push(decode::row(&row, &columns)?);
        }
        let affected = stream.rows_affected().unwrap_or(0);
        Ok(Reply {
            columns,
            rows,
            affected,
        })
    }

    /// Every parameter set of `sql` (the caller wraps it in a transaction): a plain
    /// INSERT as multi-row INSERTs (`rewrite`), anything else one execute per set. Values
    /// are checked before any I/O; a failure names its set as `row` (0-based).
    pub async fn execute_many(&self, sql: &str, sets: Vec<Params>) -> Result<u64> {
        let sets: Vec<Vec<Cell>> = sets.into_iter().map(positional).collect::<Result<_>>()?;
        let (stmt, _) = self.prepare(sql).await?;
        check_values(&stmt, &sets)?;
        match Insert::parse(sql, stmt.params().len()) {
            Some(insert) if sets.len() > 1 => self.execute_chunks(&insert, &stmt, &sets).await,
            _ => self.execute_rows(&stmt, &sets).await,
        }
    }

    /// The sets in multi-row statements, inside a savepoint. If anything fails the
    /// savepoint is rolled back and the sets run again one per execute, so what the
    /// caller sees (the failing `row`, the rows applied, an aborted transaction) is
    /// exactly what the plain path gives; only a lost connection is final at once.
    async fn execute_chunks(
        &self,
        insert: &Insert,
        one: &Statement,
        sets: &[Vec<Cell>],
    ) -> Result<u64> {
        let sizes = insert.chunks(sets.len(), CHUNK_ROWS);
        let chunked = async {
            let mut stmts = HashMap::new();
            for &size in &sizes {
                if let Entry::Vacant(slot) = stmts.entry(size) {
                    slot.insert(match size {
                        1 => one.clone(),
                        _ => self.prepare(&insert.sql(size)).await?.0,
                    });
                }
            }
            let mut pending = FuturesOrdered::new();
            let mut chunks = sizes.iter().scan(0, |from, &size| {
                *from += size;
                Some((&stmts[&size], &sets[*from - size..*from]))
            });
            let mut total = 0;
            loop {
                while pending.len() < CHUNKS_IN_FLIGHT {
                    let Some((stmt, rows)) = chunks.next() else {
                        break;
                    };
                    let cells: Vec<Param> = rows
                        .iter()
                        .flat_map(|cells| params(cells, "parameter $", true))
                        .collect();
                    pending.push_back(async move {
                        self.client
                            .execute_raw(stmt, cells)
                            .await
                            .map_err(error::query)
                    });
                }
                match pending.next().await {
                    Some(n) => total += n?,
                    None => return Ok::<_, Error>(total),
                }
            }
        };
        // The savepoint is sent ahead of the statements, not waited for on its own.
        let (saved, total) = futures::join!(
            self.client.batch_execute("SAVEPOINT fanio_execute_many"),
            chunked
        );
        saved.map_err(error::query)?;
        let total = match total {
            Ok(total) => total,
            Err(_) if self.client.is_closed() => return total,
            Err(_) => {
                self.client
                    .batch_execute("ROLLBACK TO SAVEPOINT fanio_execute_many")
                    .await
                    .map_err(error::query)?;
                self.execute_rows(one, sets).await?
            }
        };
        self.client
            .batch_execute("RELEASE SAVEPOINT fanio_execute_many")
            .await
            .map_err(error::query)?;
        Ok(total)
    }

    /// One execute per set, `WINDOW` in flight and answered in order.
    async fn execute_rows(&self, stmt: &Statement, sets: &[Vec<Cell>]) -> Result<u64> {
        // A loop rather than `stream::iter(..).buffered(..)`: a closure in the future's
        // type trips rustc's Send check on the op (rust-lang/rust#64552).
        let mut pending = FuturesOrdered::new();
        let mut rows = sets.iter().enumerate();
        let mut total = 0;
        loop {
            while pending.len() < WINDOW {
                let Some((r, cells)) = rows.next() else { break };
                pending.push_back(self.execute_row(stmt, cells, r));
            }
            match pending.next().await {
                Some(n) => total += n?,
                None => return Ok(total),
            }
        }
    }

    async fn execute_row(&self, stmt: &Statement, cells: &[Cell], row: usize) -> Result<u64> {
        self.client
            .execute_raw(stmt, params(cells, "parameter $", true))
            .await
            .map_err(|e| error::query(e).with("row", row as i64))
    }
}

/// A failed try: a stale plan is prepared again, anything else is final.
enum Retry {
    Stale,
    Fail(Error),
}

impl Retry {
    fn from_pg(e: tokio_postgres::Error) -> Retry {
        if stale_plan(&e) {
            Retry::Stale
        } else {
            Retry::Fail(error::query(e))
        }
    }

    fn into_error(self) -> Error {
        match self {
            Retry::Stale => Error::new(
                crate::error::Code::Db,
                "the prepared statement went stale twice",
            ),
            Retry::Fail(e) => e,
        }
    }
}

impl From<Error> for Retry {
    fn from(e: Error) -> Self {
        Retry::Fail(e)
    }
}
