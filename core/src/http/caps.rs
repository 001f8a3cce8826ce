//! Real caps on open sockets. reqwest and hyper have no connection limit, and a
//! connector layer cannot see when a connection closes (reqwest's `Conn` is sealed), so
//! the cap is kept by three rules that together leave no way to open an extra socket:
//!
//! 1. A request holds a slot of its host (and of the client, for `max_connections`)
//!    from before it is sent until its body is read, closed or dropped.
//! 2. A connection is dialed only from the task of a request holding a slot. hyper
//!    races a dial against the pool and, when the pool wins, finishes the dial in a
//!    background task; here such a dial is dropped as soon as it is polled outside its
//!    request's task, and a dial that has not started is never started.
//! 3. While a connection that a finished request released may still be on its way back
//!    to the pool (or on its way to being closed), its host dials nothing: the waiting
//!    request gets that connection from the pool instead. Dials of one host run one at
//!    a time, so an abandoned dial is gone before the next one starts.
//!
//! A released connection is known again when a later response arrives on it (hyper
//! reports the local address of each response's connection). One that never comes
//! back was closed; it stops blocking dials after `RETURN_WINDOW`, far longer than
//! hyper takes to hand a connection back (one task wake-up).
//!
//! What this does not cover: a slot counts a request, so on HTTP/2 a capped host gets
//! at most N streams at once (over one connection); a redirect to another host dials
//! under the first host's lane; and `max_connections` bounds the sockets in use or being
//! opened across hosts, while idle pooled sockets of other hosts are not counted (reqwest
//! offers no way to close them on demand).

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How long a keep-alive connection released by a request may take to reach the pool.
const RETURN_WINDOW: Duration = Duration::from_millis(100);
/// How long a connection that is being closed (body abandoned, `Connection: close`)
/// may take to close.
const CLOSE_WINDOW: Duration = Duration::from_millis(20);

tokio::task_local! {
    /// The host lane of the request whose task is polling: dials happen only under it.
    static LANE: Arc<Lane>;
}

/// The caps of one client.
pub(crate) struct Caps {
    per_host: Option<usize>,
    global: Option<Arc<Semaphore>>,
    lanes: Mutex<HashMap<String, Arc<Lane>>>,
}

/// Everything about one host (scheme, host, port) that the rules need.
pub(crate) struct Lane {
    slots: Option<Arc<Semaphore>>,
    state: Mutex<LaneState>,
    changed: Notify,
}

#[derive(Default)]
struct LaneState {
    /// Connections released by finished requests, not seen reused yet.
    released: Vec<Released>,
    dialing: bool,
}

struct Released {
    /// Local address of the connection; `None` when it is being closed.
    addr: Option<SocketAddr>,
    until: Instant,
}

/// What a request's connection does when the request lets go of it.
pub(crate) enum Release {
    /// Goes back to the pool for reuse (HTTP/1.1 keep-alive, body read in full).
    Returns(SocketAddr),
    /// Stays open and shared (HTTP/2): nothing travels back.
    Shared,
    /// Gets closed, or its fate is unknown (error, abandoned body).
    Closes,
}

impl Release {
    /// What becomes of the connection of `resp` once its body has been read in full.
    pub(crate) fn after_body(resp: &reqwest::Response) -> Release {
        if resp.version() == http::Version::HTTP_2 {
            return Release::Shared;
        }
        let closes = resp.version() != http::Version::HTTP_11
            || resp
                .headers()
                .get_all(http::header::CONNECTION)
                .iter()
                .any(|v| {
                    v.to_str()
                        .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case("close")))
                });
        match local_addr(resp) {
            Some(addr) if !closes => Release::Returns(addr),
            _ => Release::Closes,
        }
    }
}

/// The local address of the connection a response came on, as hyper reports it.
pub(crate) fn local_addr(resp: &reqwest::Response) -> Option<SocketAddr> {
    resp.extensions()
        .get::<hyper_util::client::legacy::connect::HttpInfo>()
        .map(|i| i.local_addr())
}

/// A request's hold on its host lane; dropping it lets the next request in.
pub(crate) struct Slot {
    lane: Arc<Lane>,
    release: Release,
    _host: Option<OwnedSemaphorePermit>,
    _global: Option<OwnedSemaphorePermit>,
}

impl Caps {
    /// `None` when neither cap is set: requests then skip all of this.
    pub(crate) fn new(per_host: Option<usize>, global: Option<usize>) -> Option<Arc<Caps>> {
        if per_host.is_none() && global.is_none() {
            return None;
        }
        Some(Arc::new(Caps {
            per_host,
            global: global.map(|n| Arc::new(Semaphore::new(n))),
            lanes: Mutex::new(HashMap::new()),
        }))
    }

    fn lane(&self, url: &Url) -> Arc<Lane> {
        let key = format!(
            "{}://{}:{}",
            url.scheme(),
            url.host_str().unwrap_or(""),
            url.port_or_known_default().unwrap_or(0)
        );
        let mut lanes = self.lanes.lock().unwrap_or_else(|e| e.into_inner());
        lanes
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Lane {
                    slots: self.per_host.map(|n| Arc::new(Semaphore::new(n))),
                    state: Mutex::new(LaneState::default()),
                    changed: Notify::new(),
                })
            })
            .clone()
    }

    /// Waits for a slot of the host of `url` (first) and of the client (then), so a
    /// request never sits on a client-wide slot while its own host is full.
    pub(crate) async fn acquire(&self, url: &Url) -> Slot {
        let lane = self.lane(url);
        // The semaphores are never closed, so acquiring cannot fail.
        let host = match &lane.slots {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        };
        let global = match &self.global {
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        };
        Slot {
            lane,
            release: Release::Closes,
            _host: host,
            _global: global,
        }
    }
}

impl Slot {
    /// Runs a request future so that its dials are allowed (rule 2).
    pub(crate) fn dial_scope<F: Future>(&self, fut: F) -> impl Future<Output = F::Output> {
        LANE.scope(self.lane.clone(), fut)
    }

    /// A response arrived on the connection at `local`: it is in use again.
    pub(crate) fn seen(&self, local: SocketAddr) {
        let mut state = self.lane.lock();
        let before = state.released.len();
        state.released.retain(|r| r.addr != Some(local));
        if state.released.len() != before {
            drop(state);
            self.lane.changed.notify_waiters();
        }
    }

    /// Says what happens to the connection when this slot is dropped.
    pub(crate) fn set_release(&mut self, release: Release) {
        self.release = release;
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let (addr, window) = match self.release {
            Release::Shared => return,
            Release::Returns(addr) => (Some(addr), RETURN_WINDOW),
            Release::Closes => (None, CLOSE_WINDOW),
        };
        self.lane.lock().released.push(Released {
            addr,
            until: Instant::now() + window,
        });
    }
}

impl Lane {
    fn lock(&self) -> std::sync::MutexGuard<'_, LaneState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The right to dial now, or the time until which a released connection may still
    /// come back (`None`: only another dial is in the way).
    fn try_dial(self: &Arc<Self>) -> Result<DialTurn, Option<Instant>> {
        let mut state = self.lock();
        let now = Instant::now();
        state.released.retain(|r| r.until > now);
        if state.dialing {
            return Err(None);
        }
        if let Some(until) = state.released.iter().map(|r| r.until).max() {
            return Err(Some(until));
        }
        state.dialing = true;
        Ok(DialTurn(self.clone()))
    }

    async fn turn(self: &Arc<Self>) -> DialTurn {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.try_dial() {
                Ok(turn) => return turn,
                Err(Some(until)) => {
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep_until(until) => {}
                    }
                }
                Err(None) => notified.await,
            }
        }
    }
}

/// The one dial of a lane in progress; ends with the dial, however it ends.
struct DialTurn(Arc<Lane>);

impl Drop for DialTurn {
    fn drop(&mut self) {
        self.0.lock().dialing = false;
        self.0.changed.notify_waiters();
    }
}

/// The connector layer that enforces rules 2 and 3 on every dial of a capped client.
#[derive(Clone)]
pub(crate) struct GateLayer;

impl<S> tower_layer::Layer<S> for GateLayer {
    type Service = Gate<S>;
    fn layer(&self, inner: S) -> Gate<S> {
        Gate { inner }
    }
}

#[derive(Clone)]
pub(crate) struct Gate<S> {
    inner: S,
}

impl<S, R> tower_service::Service<R> for Gate<S>
where
    S: tower_service::Service<R, Error = BoxError> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
    R: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, dst: R) -> Self::Future {
        // The service that was made ready is the one to call; leave a fresh clone.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let lane = LANE.try_with(Arc::clone).ok();
        Box::pin(Foreground(Box::pin(async move {
            let lane =
                lane.ok_or("no connection may be opened outside a request holding a slot")?;
            let _turn = lane.turn().await;
            inner.call(dst).await
        })))
    }
}

/// Fails a dial as soon as it is polled outside its request's task: hyper moved it to
/// the background because the pool delivered a connection first (rule 2).
struct Foreground<F>(Pin<Box<F>>);

impl<T, F: Future<Output = Result<T, BoxError>>> Future for Foreground<F> {
    type Output = Result<T, BoxError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if LANE.try_with(|_| ()).is_err() {
            return Poll::Ready(Err(
                "dial abandoned: the pool delivered a connection first".into()
            ));
        }
        self.0.as_mut().poll(cx)
    }
}
