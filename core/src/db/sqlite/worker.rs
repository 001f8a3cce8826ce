//! The threads that own SQLite connections. Each takes jobs from a channel and drains
//! whatever has queued before it sleeps again, so a burst of queries costs one wake-up,
//! not one per query (a blocking-pool hop per query measured ~12 us of CPU each).
//! The writer thread also owns transaction order: while one transaction holds the
//! writer, other jobs for it wait in a queue (up to `acquire_timeout`).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};
use rusqlite::{Connection, Statement};
use tokio::sync::oneshot;

use super::convert;
use crate::db::TxOptions;
use crate::db::cell::{Columns, Params};
use crate::db::shape::{Fetch, Reply};
use crate::error::{Code, Error, Result};

pub(super) type Answer<T> = oneshot::Sender<Result<T>>;

pub(super) enum Job {
    Query {
        sql: Arc<str>,
        params: Params,
        fetch: Fetch,
        tx: Option<u64>,
        answer: Answer<Reply>,
    },
    /// One statement per parameter set, in a transaction of its own unless `tx` is set.
    Many {
        sql: Arc<str>,
        params: Vec<Params>,
        tx: Option<u64>,
        answer: Answer<u64>,
    },
    Begin {
        id: u64,
        opts: TxOptions,
        answer: Answer<()>,
    },
    /// Commit or roll back; without an answer it is a transaction dropped unfinished.
    End {
        id: u64,
        commit: bool,
        answer: Option<Answer<()>>,
    },
    Stop,
}

impl Job {
    /// The transaction a job belongs to, if any.
    fn tx(&self) -> Option<u64> {
        match self {
            Job::Query { tx, .. } | Job::Many { tx, .. } => *tx,
            Job::Begin { .. } | Job::Stop => None,
            Job::End { id, .. } => Some(*id),
        }
    }

    /// Whoever asked has stopped waiting (cancelled or timed out): skip the work.
    fn abandoned(&self) -> bool {
        match self {
            Job::Query { answer, .. } => answer.is_closed(),
            Job::Many { answer, .. } => answer.is_closed(),
            Job::Begin { answer, .. } => answer.is_closed(),
            Job::End { .. } | Job::Stop => false,
        }
    }

    fn fail(self, error: Error) {
        match self {
            Job::Query { answer, .. } => drop(answer.send(Err(error))),
            Job::Many { answer, .. } => drop(answer.send(Err(error))),
            Job::Begin { answer, .. } => drop(answer.send(Err(error))),
            Job::End { answer, .. } => drop(answer.map(|a| a.send(Err(error)))),
            Job::Stop => {}
        }
    }
}

/// Result columns cached per SQL text, so a batch of lookups shares one allocation.
const COLUMN_CACHE: usize = 256;

/// A connection and its per-statement column cache.
pub(super) struct Conn {
    conn: Connection,
    columns: HashMap<Arc<str>, Arc<Columns>>,
}

impl Conn {
    pub(super) fn new(conn: Connection) -> Conn {
        Conn {
            conn,
            columns: HashMap::new(),
        }
    }

    /// Runs one statement; None when `read_only` is asked and the statement writes
    /// (a reader hands it on to the writer).
    fn run(
        &mut self,
        sql: &Arc<str>,
        params: &Params,
        fetch: Fetch,
        read_only: bool,
    ) -> Option<Result<Reply>> {
        let mut stmt = match self.conn.prepare_cached(sql) {
            Ok(s) => s,
            Err(e) => return Some(Err(convert::error(e))),
        };
        if read_only && !stmt.readonly() {
            return None;
        }
        let columns = columns(&mut self.columns, sql, &stmt);
        Some(execute(&self.conn, &mut stmt, params, fetch, columns))
    }

    fn batch(&mut self, sql: &Arc<str>, sets: &[Params]) -> Result<u64> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(convert::error)?;
        let columns = columns(&mut self.columns, sql, &stmt);
        let mut total = 0;
        for (row, params) in sets.iter().enumerate() {
            // The failing row is named, as on Postgres (0-based).
            total += execute(
                &self.conn,
                &mut stmt,
                params,
                Fetch::Execute,
                columns.clone(),
            )
            .map_err(|e| e.with("row", row as i64))?
            .affected;
        }
        Ok(total)
    }

    pub(super) fn set_statement_cache(&self, size: usize) {
        self.conn.set_prepared_statement_cache_capacity(size);
    }

    pub(super) fn exec(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(convert::error)
    }
}

/// The statement's columns, from the cache while the names still match (a schema
/// change can alter what `SELECT *` returns).
fn columns(
    cache: &mut HashMap<Arc<str>, Arc<Columns>>,
    sql: &Arc<str>,
    stmt: &Statement<'_>,
) -> Arc<Columns> {
    let n = stmt.column_count();
    if let Some(c) = cache.get(sql)
        && c.names.len() == n
        && (0..n).all(|i| stmt.column_name(i).is_ok_and(|name| *c.names[i] == *name))
    {
        return c.clone();
    }
    let cols = stmt.columns();
    let columns = Arc::new(Columns {
        names: cols.iter().map(|c| Arc::from(c.name())).collect(),
        types: cols
            .iter()
            .map(|c| Arc::from(c.decl_type().unwrap_or("")))
            .collect(),
    });
    if cache.len() >= COLUMN_CACHE {
        cache.clear();
    }
    cache.insert(sql.clone(), columns.clone());
    columns
}

fn execute(
    conn: &Connection,
    stmt: &mut Statement<'_>,
    params: &Params,
    fetch: Fetch,
    columns: Arc<Columns>,
) -> Result<Reply> {
    bind(stmt, params)?;
    let read_only = stmt.readonly();
    let width = columns.names.len();
    let mut rows = Vec::new();
    let mut cursor = stmt.raw_query();
    while let Some(row) = cursor.next().map_err(convert::error)? {
        if fetch == Fetch::Execute {
            continue;
        }
        let mut cells = Vec::with_capacity(width);
        for i in 0..width {
            let value = row.get_ref(i).map_err(convert::error)?;
            cells.push(convert::cell(value, &columns.names[i])?);
        }
        rows.push(cells);
        // One row is all these calls return; a writing statement still runs to its end.
        if read_only && matches!(fetch, Fetch::One | Fetch::Optional | Fetch::Val) {
            break;
        }
    }
    drop(cursor);
    let affected = if read_only { 0 } else { conn.changes() };
    Ok(Reply {
        columns,
        rows,
        affected,
    })
}

fn bind(stmt: &mut Statement<'_>, params: &Params) -> Result<()> {
    // A cached statement keeps the last call's values: start clean.
    stmt.clear_bindings();
    match params {
        Params::Positional(cells) => {
            let wanted = stmt.parameter_count();
            if cells.len() != wanted {
                return Err(Error::invalid(format!(
                    "the statement takes {wanted} parameters, {} given",
                    cells.len()
                )));
            }
            for (i, cell) in cells.iter().enumerate() {
                let value = convert::bind_value(cell, &|| format!("${}", i + 1))
                    .map_err(|e| e.with("index", (i + 1) as i64))?;
                stmt.raw_bind_parameter(i + 1, value)
                    .map_err(convert::error)?;
            }
        }
        Params::Named(pairs) => {
            for (name, cell) in pairs {
                let key = if name.starts_with([':', '@', '$']) {
                    name.clone()
                } else {
                    format!(":{name}")
                };
                let Some(index) = stmt.parameter_index(&key).map_err(convert::error)? else {
                    return Err(Error::invalid(format!(
                        "the statement has no parameter {key}"
                    )));
                };
                let value = convert::bind_value(cell, &|| key.clone())
                    .map_err(|e| e.with("index", index as i64))?;
                stmt.raw_bind_parameter(index, value)
                    .map_err(convert::error)?;
            }
        }
    }
    Ok(())
}

/// What a connection thread does with its jobs.
trait Serve {
    /// False on Stop.
    fn handle(&mut self, job: Job) -> bool;
    /// How long to sleep at most before looking again (None: until a job comes).
    fn wait(&mut self) -> Option<Duration>;
}

/// How long a connection thread keeps looking at its queue before it sleeps, once jobs
/// come in a burst. A batch sends its next query microseconds after an answer; sleeping
/// in between costs a futex wake-up on both sides, more CPU than a point lookup (core
/// settle, 8 in flight: ~150k lookups/s sleeping, ~220k spinning, ~290k with the
/// driver kept awake too, see `engine::native::HOT`).
const SPIN: Duration = Duration::from_micros(30);

/// Hands every job to `worker` until Stop or until every sender is gone; a job that
/// queued while the thread worked is taken without sleeping. A lone query (one that
/// came long after the previous job ended) is not followed by spinning, so a quiet
/// database costs no CPU between calls.
fn serve(jobs: &Receiver<Job>, worker: &mut impl Serve) {
    let mut burst = false;
    loop {
        let idle = Instant::now();
        let spun = if burst { spin(jobs) } else { Spun::Empty };
        let job = match spun {
            Spun::Job(job) => job,
            Spun::Gone => return,
            Spun::Empty => match worker.wait() {
                None => match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => return,
                },
                Some(limit) => match jobs.recv_timeout(limit) {
                    Ok(job) => job,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return,
                },
            },
        };
        burst = idle.elapsed() < SPIN;
        if !crate::fork::quiet(|| worker.handle(job)) {
            return;
        }
    }
}

enum Spun {
    Job(Job),
    Empty,
    Gone,
}

/// Polls the queue for up to `SPIN`.
fn spin(jobs: &Receiver<Job>) -> Spun {
    let until = Instant::now() + SPIN;
    loop {
        // The clock is read once per round of tries, not on each.
        for _ in 0..64 {
            match jobs.try_recv() {
                Ok(job) => return Spun::Job(job),
                Err(TryRecvError::Disconnected) => return Spun::Gone,
                Err(TryRecvError::Empty) => std::hint::spin_loop(),
            }
        }
        if Instant::now() >= until {
            return Spun::Empty;
        }
    }
}

/// A reader: runs read-only statements, hands anything that writes to the writer.
struct Reader {
    conn: Conn,
    writer: Sender<Job>,
}

pub(super) fn reader(conn: Conn, jobs: Receiver<Job>, writer: Sender<Job>) {
    let mut r = Reader { conn, writer };
    serve(&jobs, &mut r);
    // Closing the connection is SQLite work too.
    crate::fork::quiet(move || drop(r));
}

impl Serve for Reader {
    fn handle(&mut self, job: Job) -> bool {
        match job {
            Job::Stop => return false,
            Job::Query {
                sql,
                params,
                fetch,
                tx,
                answer,
            } => {
                if !answer.is_closed() {
                    match self.conn.run(&sql, &params, fetch, true) {
                        Some(result) => drop(answer.send(result)),
                        None => {
                            if let Err(e) = self.writer.send(Job::Query {
                                sql,
                                params,
                                fetch,
                                tx,
                                answer,
                            }) {
                                e.into_inner()
                                    .fail(Error::new(Code::Closed, "the database is closed"));
                            }
                        }
                    }
                }
            }
            other => other.fail(Error::new(
                Code::Protocol,
                "a reader was given a job for the writer",
            )),
        }
        true
    }

    fn wait(&mut self) -> Option<Duration> {
        None
    }
}

/// A job waiting for the transaction that holds the writer.
struct Parked {
    job: Job,
    deadline: Instant,
}

/// The writer: runs everything that writes and every transaction, one at a time.
pub(super) fn writer(conn: Conn, jobs: Receiver<Job>, acquire_timeout: Duration) {
    let mut w = Writer {
        conn,
        active: None,
        read_only: false,
        parked: VecDeque::new(),
        acquire_timeout,
    };
    serve(&jobs, &mut w);
    // Stopped: whoever still waits learns the database closed.
    for p in w.parked.drain(..) {
        p.job
            .fail(Error::new(Code::Closed, "the database is closed"));
    }
    crate::fork::quiet(move || {
        if w.active.is_some() {
            let _ = w.conn.exec("ROLLBACK");
        }
        drop(w);
    });
}

impl Serve for Writer {
    fn handle(&mut self, job: Job) -> bool {
        if matches!(job, Job::Stop) {
            return false;
        }
        if !job.abandoned() {
            match (self.active, job.tx()) {
                (Some(active), Some(tx)) if active == tx => self.run(job),
                (Some(_), _) => self.parked.push_back(Parked {
                    job,
                    deadline: Instant::now() + self.acquire_timeout,
                }),
                (None, _) => self.run(job),
            }
        }
        self.expire();
        true
    }

    fn wait(&mut self) -> Option<Duration> {
        self.expire();
        let deadline = self.parked.iter().map(|p| p.deadline).min()?;
        Some(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1)),
        )
    }
}

struct Writer {
    conn: Conn,
    /// The transaction that holds the connection.
    active: Option<u64>,
    /// The active transaction set `query_only`, to be reset when it ends.
    read_only: bool,
    parked: VecDeque<Parked>,
    acquire_timeout: Duration,
}

impl Writer {
    /// Jobs that waited past `acquire_timeout` for a transaction to finish.
    fn expire(&mut self) {
        let now = Instant::now();
        if self
            .parked
            .iter()
            .any(|p| p.deadline <= now || p.job.abandoned())
        {
            let (late, keep): (Vec<_>, Vec<_>) = self
                .parked
                .drain(..)
                .partition(|p| p.deadline <= now || p.job.abandoned());
            self.parked = keep.into();
            for p in late {
                p.job.fail(Error::new(
                    Code::PoolTimeout,
                    "no SQLite connection was free: a transaction holds the writer",
                ));
            }
        }
    }

    fn run(&mut self, job: Job) {
        match job {
            Job::Query {
                sql,
                params,
                fetch,
                tx,
                answer,
            } => {
                let result = match (tx, self.active) {
                    (Some(_), None) => Err(Error::new(
                        Code::Closed,
                        "the transaction has already ended",
                    )),
                    _ => self
                        .conn
                        .run(&sql, &params, fetch, false)
                        .expect("a writer runs every statement"),
                };
                let _ = answer.send(result);
            }
            Job::Many {
                sql,
                params,
                tx,
                answer,
            } => {
                let result = match (tx, self.active) {
                    (Some(_), None) => Err(Error::new(
                        Code::Closed,
                        "the transaction has already ended",
                    )),
                    (Some(_), Some(_)) => self.conn.batch(&sql, &params),
                    (None, _) => self.in_transaction(|conn| conn.batch(&sql, &params)),
                };
                let _ = answer.send(result);
            }
            Job::Begin { id, opts, answer } => {
                // IMMEDIATE takes the write lock now, so a transaction never fails later
                // on upgrading a read lock; SQLite transactions are serializable whatever
                // level is asked. `query_only` makes a read-only one refuse writes.
                let sql = if opts.read_only {
                    "PRAGMA query_only = ON; BEGIN DEFERRED"
                } else {
                    "BEGIN IMMEDIATE"
                };
                let result = self.conn.exec(sql);
                if result.is_ok() {
                    self.active = Some(id);
                    self.read_only = opts.read_only;
                }
                let _ = answer.send(result);
            }
            Job::End { id, commit, answer } => {
                let result = if self.active == Some(id) {
                    let sql = if commit { "COMMIT" } else { "ROLLBACK" };
                    let mut result = self.conn.exec(sql);
                    if result.is_err() && commit {
                        // A failed COMMIT leaves the transaction open: end it here so the
                        // writer is never held by a transaction nobody can finish.
                        let _ = self.conn.exec("ROLLBACK");
                    }
                    if self.read_only {
                        result = result.and(self.conn.exec("PRAGMA query_only = OFF"));
                        self.read_only = false;
                    }
                    self.active = None;
                    result
                } else {
                    Ok(())
                };
                if let Some(answer) = answer {
                    let _ = answer.send(result);
                }
                if self.active.is_none() {
                    self.resume();
                }
            }
            Job::Stop => {}
        }
    }

    /// Runs the jobs that waited for the transaction that just ended, in order (a
    /// Begin among them parks the rest again).
    fn resume(&mut self) {
        let parked = std::mem::take(&mut self.parked);
        for p in parked {
            if self.active.is_some() && p.job.tx() != self.active {
                self.parked.push_back(p);
            } else if !p.job.abandoned() {
                self.run(p.job);
            }
        }
    }

    /// `work` in a transaction of its own: committed if it succeeds, rolled back if not.
    fn in_transaction<T>(&mut self, work: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        self.conn.exec("BEGIN IMMEDIATE")?;
        match work(&mut self.conn) {
            Ok(v) => match self.conn.exec("COMMIT") {
                Ok(()) => Ok(v),
                Err(e) => {
                    let _ = self.conn.exec("ROLLBACK");
                    Err(e)
                }
            },
            Err(e) => {
                let _ = self.conn.exec("ROLLBACK");
                Err(e)
            }
        }
    }
}
