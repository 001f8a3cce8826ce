//! SQLite through rusqlite: connections live on threads of their own. A file database
//! gets one writer (WAL, busy_timeout 5 s) and read-only readers sharing one queue;
//! `sqlite::memory:` is one connection, so every call of a Database sees the same data.

mod convert;
mod worker;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::oneshot;

use super::cell::Params;
use super::shape::{Fetch, Reply};
use super::{PoolOptions, TxOptions};
use crate::error::{Code, Error, Result};
use worker::{Conn, Job};

/// How long a connection waits on a lock held by another process before SQLITE_BUSY.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) enum Target {
    Memory,
    File(PathBuf),
}

impl Target {
    /// `rest` is what follows `sqlite:`: `:memory:`, `///abs/path.db` or `//relative.db`.
    pub(crate) fn parse(rest: &str, label: &str) -> Result<Target> {
        if rest == ":memory:" {
            return Ok(Target::Memory);
        }
        let Some(path) = rest.strip_prefix("//") else {
            return Err(Error::invalid(format!(
                "bad SQLite URL {label}: expected sqlite:///abs/path.db, sqlite://relative.db or sqlite::memory:"
            )));
        };
        if path.is_empty() || path == "/" || path.contains('?') {
            return Err(Error::invalid(format!(
                "bad SQLite URL {label}: no file path (query options are not supported)"
            )));
        }
        Ok(Target::File(PathBuf::from(path)))
    }
}

pub(crate) struct Pool {
    writer: Sender<Job>,
    /// The readers' shared queue; None when the writer does everything (memory, or
    /// `max_connections` 1).
    readers: Option<(Sender<Job>, usize)>,
    next_tx: AtomicU64,
    stopped: AtomicBool,
}

fn open(path: &Target, flags: OpenFlags) -> Result<Conn> {
    let conn = match path {
        Target::Memory => Connection::open_in_memory(),
        Target::File(p) => Connection::open_with_flags(p, flags),
    }
    .map_err(|e| convert::error(e).with("phase", "connect"))?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(convert::error)?;
    Ok(Conn::new(conn))
}

fn set_cache(conn: Conn, size: usize) -> Conn {
    conn.set_statement_cache(size);
    conn
}

/// Starts a connection thread; `setup` runs on it and its result comes back here, so a
/// database that cannot be opened fails `connect`.
async fn start(
    name: &str,
    setup: impl FnOnce() -> Result<Conn> + Send + 'static,
    body: impl FnOnce(Conn) + Send + 'static,
) -> Result<()> {
    let (tx, rx) = oneshot::channel();
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || match crate::fork::quiet(setup) {
            Ok(conn) => {
                let _ = tx.send(Ok(()));
                body(conn);
            }
            Err(e) => drop(tx.send(Err(e))),
        })
        .map_err(|e| Error::new(Code::Db, format!("cannot start a SQLite thread: {e}")))?;
    rx.await
        .unwrap_or_else(|_| Err(Error::new(Code::Db, "a SQLite thread ended while opening")))
}

impl Pool {
    pub(crate) async fn open(target: Target, opts: PoolOptions, _label: Arc<str>) -> Result<Pool> {
        let target = Arc::new(target);
        let cache = opts.statement_cache_size;
        let (writer, writer_jobs) = crossbeam_channel::unbounded();
        let t = target.clone();
        start(
            "fanio-sqlite-w",
            move || {
                let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let conn = open(&t, flags)?;
                if let Target::File(_) = *t {
                    // WAL lets the readers read while the writer writes.
                    conn.exec("PRAGMA journal_mode = WAL")?;
                }
                Ok(set_cache(conn, cache))
            },
            move |conn| worker::writer(conn, writer_jobs, opts.acquire_timeout),
        )
        .await?;
        let readers = match *target {
            Target::File(_) if opts.max_connections > 1 => {
                // More readers than cores only contend for the same queue.
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                let n = (opts.max_connections - 1).min(cores);
                let (readers, reader_jobs) = crossbeam_channel::unbounded();
                for _ in 0..n {
                    let (t, jobs, w) = (target.clone(), reader_jobs.clone(), writer.clone());
                    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                    start(
                        "fanio-sqlite-r",
                        move || Ok(set_cache(open(&t, flags)?, cache)),
                        move |conn| worker::reader(conn, jobs, w),
                    )
                    .await?;
                }
                Some((readers, n))
            }
            _ => None,
        };
        Ok(Pool {
            writer,
            readers,
            next_tx: AtomicU64::new(1),
            stopped: AtomicBool::new(false),
        })
    }

    pub(crate) async fn query(
        &self,
        sql: Arc<str>,
        params: Params,
        fetch: Fetch,
        tx: Option<u64>,
    ) -> Result<Reply> {
        let queue = match (&self.readers, tx) {
            (Some((readers, _)), None) => readers,
            _ => &self.writer,
        };
        ask(queue, |answer| Job::Query {
            sql,
            params,
            fetch,
            tx,
            answer,
        })
        .await
    }

    pub(crate) async fn execute_many(
        &self,
        sql: Arc<str>,
        params: Vec<Params>,
        tx: Option<u64>,
    ) -> Result<u64> {
        ask(&self.writer, |answer| Job::Many {
            sql,
            params,
            tx,
            answer,
        })
        .await
    }

    pub(crate) async fn begin(&self, opts: TxOptions) -> Result<Tx> {
        let id = self.next_tx.fetch_add(1, Ordering::Relaxed);
        // The guard exists before the writer hears of the transaction: if this call is
        // dropped at any point, its End follows the Begin and the writer is freed.
        let tx = Tx {
            id,
            writer: self.writer.clone(),
            ended: AtomicBool::new(false),
        };
        ask(&self.writer, |answer| Job::Begin { id, opts, answer }).await?;
        Ok(tx)
    }

    pub(crate) fn close(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some((readers, n)) = &self.readers {
            for _ in 0..*n {
                let _ = readers.send(Job::Stop);
            }
        }
        let _ = self.writer.send(Job::Stop);
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.close();
    }
}

/// Sends a job and waits for its answer; a queue whose thread has stopped means the
/// database was closed.
async fn ask<T>(queue: &Sender<Job>, job: impl FnOnce(worker::Answer<T>) -> Job) -> Result<T> {
    let (answer, rx) = oneshot::channel();
    queue.send(job(answer)).map_err(|_| closed())?;
    rx.await.unwrap_or_else(|_| Err(closed()))
}

fn closed() -> Error {
    Error::new(Code::Closed, "the database is closed")
}

/// A transaction that holds the writer connection until it ends.
pub(crate) struct Tx {
    id: u64,
    writer: Sender<Job>,
    /// Commit or rollback was sent: dropping needs no rollback.
    ended: AtomicBool,
}

impl Tx {
    pub(crate) async fn query(&self, sql: Arc<str>, params: Params, fetch: Fetch) -> Result<Reply> {
        let tx = Some(self.id);
        ask(&self.writer, |answer| Job::Query {
            sql,
            params,
            fetch,
            tx,
            answer,
        })
        .await
    }

    pub(crate) async fn execute_many(&self, sql: Arc<str>, params: Vec<Params>) -> Result<u64> {
        let tx = Some(self.id);
        ask(&self.writer, |answer| Job::Many {
            sql,
            params,
            tx,
            answer,
        })
        .await
    }

    pub(crate) async fn end(&self, commit: bool) -> Result<()> {
        self.ended.store(true, Ordering::SeqCst);
        ask(&self.writer, |answer| Job::End {
            id: self.id,
            commit,
            answer: Some(answer),
        })
        .await
    }
}

impl Drop for Tx {
    fn drop(&mut self) {
        // Rolled back by the writer if still open; a no-op if it already ended.
        if !self.ended.load(Ordering::SeqCst) {
            let _ = self.writer.send(Job::End {
                id: self.id,
                commit: false,
                answer: None,
            });
        }
    }
}
