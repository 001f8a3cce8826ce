//! PostgreSQL through tokio-postgres. Plain calls share a few connections and pipeline
//! on them, least loaded first (4 connections x 8 in flight measured 1.8x pgbench; 32
//! connections one query each 0.8x): a new connection opens only when every open one
//! has `PIPELINE` calls in flight. Transactions, execute_many and COPY take a
//! connection for themselves.

mod conn;
mod copy;
mod decode;
mod encode;
mod error;
#[doc(hidden)]
pub(crate) mod fuzz;
mod numeric;
mod rewrite;
mod tls;

use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;

use super::cell::Params;
use super::shape::{Copy, Fetch, Reply};
use super::{Isolation, PoolOptions, TxOptions};
use crate::error::{Code, Error, Result};
use conn::Conn;

/// Calls in flight on every open connection before another one is opened.
const PIPELINE: usize = 8;
/// Connect timeout unless the URL sets `connect_timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a cancel request may take to reach the server.
const CANCEL_WAIT: Duration = Duration::from_secs(5);

#[derive(Clone)]
enum Connector {
    Plain,
    Tls(tls::Rustls),
}

/// A checked Postgres URL: the driver's config and the TLS to use.
pub(crate) struct Target {
    config: tokio_postgres::Config,
    connector: Connector,
}

impl Target {
    /// sslmode: `disable` (the default when absent: no TLS round trip on local
    /// servers), `prefer` (TLS if the server offers it, certificate not checked),
    /// `require`, `verify-ca`, `verify-full`; `sslrootcert=path` names the trusted
    /// roots (default: the system's).
    pub(crate) fn parse(url: &str, label: &str) -> Result<Target> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let (mut sslmode, mut root_cert) = ("disable".to_string(), None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", v)) => sslmode = v.to_string(),
                Some(("sslrootcert", v)) => root_cert = Some(v.to_string()),
                _ => kept.push(pair),
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        let mut config = tokio_postgres::Config::from_str(&rest)
            .map_err(|e| Error::invalid(format!("bad Postgres URL {label}: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        let tls = |verify| -> Result<Connector> {
            Ok(Connector::Tls(tls::Rustls(Arc::new(tls::client_config(
                verify,
                root_cert.as_deref(),
            )?))))
        };
        let connector = match sslmode.as_str() {
            "disable" => {
                config.ssl_mode(SslMode::Disable);
                Connector::Plain
            }
            "prefer" => {
                config.ssl_mode(SslMode::Prefer);
                tls(tls::Verify::None)?
            }
            "require" => {
                config.ssl_mode(SslMode::Require);
                tls(tls::Verify::None)?
            }
            "verify-ca" => {
                config.ssl_mode(SslMode::Require);
                tls(tls::Verify::Chain)?
            }
            "verify-full" => {
                config.ssl_mode(SslMode::Require);
                tls(tls::Verify::Full)?
            }
            other => {
                return Err(Error::invalid(format!(
                    "bad sslmode {other:?} in {label}: expected disable, prefer, require, verify-ca or verify-full"
                )));
            }
        };
        Ok(Target { config, connector })
    }

    async fn connect(&self, cache_size: usize, label: &str) -> Result<Conn> {
        let handle = crate::runtime::handle();
        let client = match &self.connector {
            Connector::Plain => {
                let (client, connection) = self
                    .config
                    .connect(NoTls)
                    .await
                    .map_err(|e| error::connect(e, label))?;
                handle.spawn(connection);
                client
            }
            Connector::Tls(tls) => {
                let (client, connection) = self
                    .config
                    .connect(tls.clone())
                    .await
                    .map_err(|e| error::connect(e, label))?;
                handle.spawn(connection);
                client
            }
        };
        Ok(Conn::new(client, cache_size))
    }

    /// Asks the server to stop what `conn` runs now (on a connection of its own).
    /// Bounded: a transaction waits for it before its next statement, so a server that
    /// does not answer the request must not hold the transaction forever.
    async fn cancel(&self, conn: &Conn) {
        let send = async {
            let _ = match &self.connector {
                Connector::Plain => conn.cancel.cancel_query(NoTls).await,
                Connector::Tls(tls) => conn.cancel.cancel_query(tls.clone()).await,
            };
        };
        let _ = tokio::time::timeout(CANCEL_WAIT, send).await;
    }
}

struct State {
    /// Connections shared by plain calls (a transaction takes one out).
    shared: Vec<Arc<Conn>>,
    /// Every connection counted against `max_connections`: shared, taken, opening.
    total: usize,
    opening: usize,
}

struct Shared {
    target: Target,
    opts: PoolOptions,
    label: Arc<str>,
    state: Mutex<State>,
    /// Signalled whenever a connection may have become available.
    changed: Notify,
    closed: AtomicBool,
}

enum Next {
    Use(Arc<Conn>),
    Open,
    Wait,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn closed_error(&self) -> Error {
        Error::new(Code::Closed, format!("{} is closed", self.label))
    }

    /// Finds a connection with `pick`, opens one if `pick` found none and the pool may
    /// grow, or waits until `acquire_timeout`. `pick` runs under the lock on a state
    /// without dead connections; it may take the connection out of `shared`.
    async fn acquire(self: &Arc<Self>, exclusive: bool) -> Result<Arc<Conn>> {
        let deadline = Instant::now() + self.opts.acquire_timeout;
        loop {
            let notified = self.changed.notified();
            let mut notified = std::pin::pin!(notified);
            notified.as_mut().enable();
            let next = {
                let mut st = self.state();
                if self.closed.load(Ordering::SeqCst) {
                    return Err(self.closed_error());
                }
                let before = st.shared.len();
                st.shared.retain(|c| !c.client.is_closed());
                st.total -= before - st.shared.len();
                let may_open = st.total < self.opts.max_connections;
                let next = if exclusive {
                    match st
                        .shared
                        .iter()
                        .position(|c| c.inflight.load(Ordering::SeqCst) == 0)
                    {
                        Some(i) => Next::Use(st.shared.swap_remove(i)),
                        None if may_open => Next::Open,
                        None => Next::Wait,
                    }
                } else {
                    let least = st
                        .shared
                        .iter()
                        .min_by_key(|c| c.inflight.load(Ordering::SeqCst))
                        .cloned();
                    match least {
                        Some(c) if c.inflight.load(Ordering::SeqCst) < PIPELINE => Next::Use(c),
                        // One opening at a time: a burst must not open the whole pool.
                        _ if may_open && st.opening == 0 => Next::Open,
                        Some(c) => Next::Use(c),
                        None => Next::Wait,
                    }
                };
                match &next {
                    // A shared call counts under the lock, so the next pick sees it.
                    Next::Use(c) if !exclusive => c.enter(),
                    Next::Use(_) => {}
                    Next::Open => {
                        st.total += 1;
                        st.opening += 1;
                    }
                    Next::Wait => {}
                }
                next
            };
            match next {
                Next::Use(c) => return Ok(c),
                Next::Open => return self.open(exclusive).await,
                Next::Wait => {
                    if tokio::time::timeout_at(deadline, notified).await.is_err() {
                        return Err(Error::new(
                            Code::PoolTimeout,
                            format!(
                                "no connection of {} was free within {:?}",
                                self.label, self.opts.acquire_timeout
                            ),
                        ));
                    }
                }
            }
        }
    }

    /// Opens a connection already counted in `total`.
    async fn open(self: &Arc<Self>, exclusive: bool) -> Result<Arc<Conn>> {
        // A call dropped while it connects (cancelled, timed out) must still give its
        // place back, or the pool shrinks for good and later calls wait for a
        // connection that never comes.
        struct Opening<'a>(Option<&'a Shared>);
        impl Drop for Opening<'_> {
            fn drop(&mut self) {
                if let Some(shared) = self.0 {
                    {
                        let mut st = shared.state();
                        st.opening -= 1;
                        st.total -= 1;
                    }
                    shared.changed.notify_waiters();
                }
            }
        }
        let mut opening = Opening(Some(self));
        let opened = self
            .target
            .connect(self.opts.statement_cache_size, &self.label)
            .await;
        opening.0 = None;
        let mut st = self.state();
        st.opening -= 1;
        match opened {
            Ok(conn) => {
                let conn = Arc::new(conn);
                if !exclusive {
                    conn.enter();
                    st.shared.push(conn.clone());
                }
                drop(st);
                self.changed.notify_waiters();
                Ok(conn)
            }
            Err(e) => {
                st.total -= 1;
                drop(st);
                self.changed.notify_waiters();
                Err(e)
            }
        }
    }

    /// A connection taken for itself comes back clean (no transaction open).
    fn give_back(&self, conn: Arc<Conn>) {
        {
            let mut st = self.state();
            if self.closed.load(Ordering::SeqCst) || conn.client.is_closed() || conn.is_tainted() {
                st.total -= 1;
            } else {
                st.shared.push(conn);
            }
        }
        self.changed.notify_waiters();
    }

    /// A connection in an unknown state is dropped (closing it ends any transaction
    /// server-side) and its place freed.
    fn discard(&self, conn: Arc<Conn>) {
        drop(conn);
        self.state().total -= 1;
        self.changed.notify_waiters();
    }

    /// Takes `conn` out of the shared set; true if it was there.
    fn retire(&self, conn: &Arc<Conn>) -> bool {
        let mut st = self.state();
        let before = st.shared.len();
        st.shared.retain(|c| !Arc::ptr_eq(c, conn));
        st.shared.len() != before
    }
}

/// One call's use of a connection. Dropped before `finish` (the call was cancelled),
/// it cancels the query server-side, without hitting another call's query.
struct Lease {
    conn: Arc<Conn>,
    shared: Arc<Shared>,
    /// A shared connection (retired while its cancel is sorted out) or a taken one.
    pooled: bool,
    done: bool,
}

impl Lease {
    /// A call on a connection taken for a transaction or a bulk call.
    fn taken(conn: Arc<Conn>, shared: &Arc<Shared>) -> Lease {
        conn.enter();
        Lease {
            conn,
            shared: shared.clone(),
            pooled: false,
            done: false,
        }
    }

    fn finish(mut self) {
        self.done = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.conn.leave();
        if self.done {
            return;
        }
        let (conn, shared, pooled) = (self.conn.clone(), self.shared.clone(), self.pooled);
        if !pooled {
            // Marked now, before anything else can be sent on the connection.
            conn.taint();
        }
        crate::runtime::handle().spawn(async move { cancel_dropped(&conn, &shared, pooled).await });
    }
}

/// Stops on the server what a dropped call left running on `conn`.
async fn cancel_dropped(conn: &Arc<Conn>, shared: &Arc<Shared>, pooled: bool) {
    // Pipelined calls of others may share the connection: keep new ones away, wait
    // until the others are answered (what runs then can only be ours), then cancel; a
    // round trip after the cancel proves the connection idle.
    let listed = pooled && shared.retire(conn);
    // A taken connection is tainted: whatever the cancel stops, nothing runs on it again.
    if pooled {
        loop {
            let drained = conn.drained.notified();
            if conn.inflight.load(Ordering::SeqCst) == 0 {
                break;
            }
            drained.await;
        }
    }
    shared.target.cancel(conn).await;
    if listed {
        let _ = conn.client.simple_query("").await;
        shared.give_back(conn.clone());
    }
}

/// The connection is gone: closed by the driver, lost mid-call, or the server said it
/// is shutting this session down (57P01 terminated, 57P02 crash, 57P03 not accepting).
fn dead(conn: &Conn, e: &Error) -> bool {
    conn.client.is_closed()
        || e.code == Code::Protocol
        || matches!(e.field("sqlstate"), Some(crate::error::Field::Str(s)) if s.starts_with("57P"))
}

pub(crate) struct Pool(Arc<Shared>);

impl Pool {
    pub(crate) async fn open(target: Target, opts: PoolOptions, label: Arc<str>) -> Result<Pool> {
        let shared = Arc::new(Shared {
            target,
            opts,
            label,
            state: Mutex::new(State {
                shared: Vec::new(),
                total: 0,
                opening: 0,
            }),
            changed: Notify::new(),
            closed: AtomicBool::new(false),
        });
        // At least one connection now: an unreachable server fails `connect` itself.
        for _ in 0..shared.opts.min_connections.max(1) {
            shared.state().total += 1;
            shared.state().opening += 1;
            shared.open(false).await?.leave();
        }
        Ok(Pool(shared))
    }

    pub(crate) async fn query(&self, sql: &str, params: Params, fetch: Fetch) -> Result<Reply> {
        let conn = self.0.acquire(false).await?;
        let lease = Lease {
            conn,
            shared: self.0.clone(),
            pooled: true,
            done: false,
        };
        let reply = lease.conn.query(sql, params, fetch).await;
        if let Err(e) = &reply
            && dead(&lease.conn, e)
            && self.0.retire(&lease.conn)
        {
            // Out of the pool now, so the next call opens a fresh connection instead
            // of failing on this one too.
            self.0.state().total -= 1;
        }
        lease.finish();
        reply
    }

    /// A connection for one call that needs it alone; back in the pool when `work`
    /// succeeds, discarded if it fails or is dropped (its state is then unknown).
    async fn alone<T>(&self, work: impl AsyncFnOnce(&Conn) -> Result<T>) -> Result<T> {
        let taken = Taken::new(self.0.acquire(true).await?, &self.0);
        let lease = Lease::taken(taken.conn().clone(), &self.0);
        let out = work(&lease.conn).await;
        lease.finish();
        if out.is_ok() {
            taken.give_back();
        }
        out
    }

    pub(crate) async fn execute_many(&self, sql: &str, sets: Vec<Params>) -> Result<u64> {
        self.alone(async |conn| {
            conn.client
                .batch_execute("BEGIN")
                .await
                .map_err(error::query)?;
            let total = conn.execute_many(sql, sets).await?;
            conn.client
                .batch_execute("COMMIT")
                .await
                .map_err(error::query)?;
            Ok(total)
        })
        .await
    }

    pub(crate) async fn copy(&self, copy: Copy) -> Result<u64> {
        self.alone(async |conn| copy::copy_in(&conn.client, copy).await)
            .await
    }

    pub(crate) async fn begin(&self, opts: TxOptions) -> Result<Tx> {
        let taken = Taken::new(self.0.acquire(true).await?, &self.0);
        let mut sql = String::from("BEGIN");
        if let Some(level) = opts.isolation {
            sql.push_str(match level {
                Isolation::ReadCommitted => " ISOLATION LEVEL READ COMMITTED",
                Isolation::RepeatableRead => " ISOLATION LEVEL REPEATABLE READ",
                Isolation::Serializable => " ISOLATION LEVEL SERIALIZABLE",
            });
        }
        if opts.read_only {
            sql.push_str(" READ ONLY");
        }
        let lease = Lease::taken(taken.conn().clone(), &self.0);
        let begun = lease
            .conn
            .client
            .batch_execute(&sql)
            .await
            .map_err(error::query);
        lease.finish();
        begun?;
        Ok(Tx {
            taken: Mutex::new(Some(taken)),
            shared: self.0.clone(),
        })
    }

    pub(crate) fn close(&self) {
        self.0.closed.store(true, Ordering::SeqCst);
        let dropped = {
            let mut st = self.0.state();
            let dropped = std::mem::take(&mut st.shared);
            st.total -= dropped.len();
            dropped
        };
        drop(dropped);
        self.0.changed.notify_waiters();
    }
}

/// A connection taken out of the pool. Dropped without `give_back` it is discarded:
/// a connection never returns to the pool in the middle of a transaction.
struct Taken {
    conn: Option<Arc<Conn>>,
    shared: Arc<Shared>,
}

impl Taken {
    fn new(conn: Arc<Conn>, shared: &Arc<Shared>) -> Taken {
        Taken {
            conn: Some(conn),
            shared: shared.clone(),
        }
    }

    fn conn(&self) -> &Arc<Conn> {
        self.conn
            .as_ref()
            .expect("a Taken holds its connection until consumed")
    }

    fn give_back(mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.give_back(conn);
        }
    }
}

impl Drop for Taken {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.shared.discard(conn);
        }
    }
}

/// A transaction after one of its calls was cancelled: it can only be rolled back.
fn cut_short() -> Error {
    Error::new(
        Code::Cancelled,
        "a call of this transaction was cancelled: it can only be rolled back",
    )
}

/// An open transaction; its connection is the pool's again only after COMMIT or
/// ROLLBACK succeeded.
pub(crate) struct Tx {
    taken: Mutex<Option<Taken>>,
    shared: Arc<Shared>,
}

impl Tx {
    fn lease(&self) -> Result<Lease> {
        let taken = self.taken.lock().unwrap_or_else(|e| e.into_inner());
        let conn = taken
            .as_ref()
            .ok_or_else(|| Error::new(Code::Closed, "the transaction has already ended"))?
            .conn()
            .clone();
        if conn.is_tainted() {
            return Err(cut_short());
        }
        Ok(Lease::taken(conn, &self.shared))
    }

    pub(crate) async fn query(&self, sql: &str, params: Params, fetch: Fetch) -> Result<Reply> {
        let lease = self.lease()?;
        let reply = lease.conn.query(sql, params, fetch).await;
        lease.finish();
        reply
    }

    pub(crate) async fn execute_many(&self, sql: &str, sets: Vec<Params>) -> Result<u64> {
        let lease = self.lease()?;
        let n = lease.conn.execute_many(sql, sets).await;
        lease.finish();
        n
    }

    pub(crate) async fn copy(&self, copy: Copy) -> Result<u64> {
        let lease = self.lease()?;
        let n = copy::copy_in(&lease.conn.client, copy).await;
        lease.finish();
        n
    }

    pub(crate) async fn end(&self, commit: bool) -> Result<()> {
        let taken = self
            .taken
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| Error::new(Code::Closed, "the transaction has already ended"))?;
        // A call of this transaction that was just cancelled may not have been dropped
        // on the runtime yet (a Python cancel aborts its task, which drops the future at
        // its next poll): wait until its lease is gone, so its taint is seen here and
        // its cancel request can never reach the COMMIT or ROLLBACK, or a later user.
        let conn = taken.conn().clone();
        loop {
            let drained = conn.drained.notified();
            if conn.inflight.load(Ordering::SeqCst) == 0 {
                break;
            }
            drained.await;
        }
        if conn.is_tainted() {
            // Closing the connection (dropping `taken`) ends the transaction on the
            // server: a rollback is done, a commit is not.
            drop(taken);
            return if commit { Err(cut_short()) } else { Ok(()) };
        }
        let ended = taken
            .conn()
            .client
            .batch_execute(if commit { "COMMIT" } else { "ROLLBACK" })
            .await;
        match ended {
            Ok(()) => {
                taken.give_back();
                Ok(())
            }
            // Dropping `taken` discards the connection.
            Err(e) => Err(error::query(e)),
        }
    }
}
