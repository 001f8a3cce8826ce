//! The client: built once from checked options, cheap to clone, and turning each
//! request into a lazy `Op` that runs on the core's runtime with the client's retries,
//! caps, size limit, timeouts and close signal.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use http::HeaderMap;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::engine::Op;
use crate::error::{Code, Error, Result};
use crate::http::body::{self, Stream};
use crate::http::caps::{self, Caps, Release};
use crate::http::errors;
use crate::http::options::{ClientOptions, Http2Mode, SizeLimit, pem};
use crate::http::request::{self, RequestSpec};
use crate::http::response::{self, Response};
use crate::http::retry::{self, Retry, Tried};
use crate::redact;
use crate::value::{Outcome, Value};

/// An HTTP client. Clones share one connection pool, cookie jar and closed state.
#[derive(Clone)]
pub struct Client(Arc<Inner>);

struct Inner {
    /// Taken by `close`: the connection pool, and every idle socket in it, goes at
    /// once, not when the last handle of this client (a binding's object, an op made
    /// but never run) is dropped.
    http: Mutex<Option<reqwest::Client>>,
    base_url: Option<Url>,
    timeout: Option<Duration>,
    retry: Option<Retry>,
    max_response_size: SizeLimit,
    error_for_status: bool,
    caps: Option<Arc<Caps>>,
    closed: CancellationToken,
    /// The options it was built from and the fork generation it was built in: a forked
    /// child gets a client of its own (`in_child`).
    recipe: ClientOptions,
    born: u64,
    child: Mutex<Option<Client>>,
}

/// The per-request settings an op carries.
struct Call {
    timeout: Option<Duration>,
    error_for_status: bool,
    stream: bool,
}

impl Client {
    /// Checks every option and builds the client; needs no runtime.
    pub fn new(opts: ClientOptions) -> Result<Client> {
        let recipe = opts.clone();
        let base_url = opts
            .base_url
            .as_deref()
            .map(request::base_url)
            .transpose()?;
        for (name, value) in [
            ("max_connections", opts.max_connections),
            ("max_connections_per_host", opts.max_connections_per_host),
        ] {
            if value == Some(0) {
                return Err(Error::invalid(format!("{name} must be at least 1")));
            }
            // A cap is a semaphore: past its permit limit tokio panics (a crash of the
            // host process), and no socket count comes near it.
            if value.is_some_and(|n| n > tokio::sync::Semaphore::MAX_PERMITS) {
                return Err(Error::invalid(format!(
                    "{name} is too large: at most {}",
                    tokio::sync::Semaphore::MAX_PERMITS
                )));
            }
        }
        let caps = Caps::new(opts.max_connections_per_host, opts.max_connections);
        if caps.is_some() && opts.pool_max_idle_per_host == Some(0) {
            return Err(Error::invalid(
                "connection caps need a connection pool: pool_max_idle_per_host must be at least 1",
            ));
        }
        let retry = opts.retry.map(Retry::new).transpose()?;

        let mut headers = HeaderMap::new();
        request::headers(&mut headers, &opts.headers)?;
        let user_agent = http::HeaderValue::from_str(&opts.user_agent)
            .map_err(|_| Error::invalid(format!("invalid user_agent {:?}", opts.user_agent)))?;
        let redirects = if opts.follow_redirects {
            reqwest::redirect::Policy::limited(opts.max_redirects)
        } else {
            reqwest::redirect::Policy::none()
        };
        let mut b = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(headers)
            .redirect(redirects)
            .cookie_store(opts.cookies)
            .tls_danger_accept_invalid_certs(!opts.verify);
        b = match opts.proxy.as_deref() {
            Some(raw) => b.proxy(proxy(raw)?),
            None => b.no_proxy(),
        };
        if let Some(t) = opts.connect_timeout {
            b = b.connect_timeout(t);
        }
        if let Some(t) = opts.read_timeout {
            b = b.read_timeout(t);
        }
        if let Some(n) = opts.pool_max_idle_per_host {
            b = b.pool_max_idle_per_host(n);
        }
        b = match opts.http2 {
            Http2Mode::Auto => b,
            Http2Mode::PriorKnowledge => b.http2_prior_knowledge(),
            Http2Mode::Never => b.http1_only(),
        };
        if let Some(ca) = &opts.ca_certs {
            let certs =
                reqwest::Certificate::from_pem_bundle(&pem(ca, "ca_certs")?).map_err(|e| {
                    Error::invalid(format!("ca_certs: not a valid PEM certificate bundle: {e}"))
                })?;
            if certs.is_empty() {
                return Err(Error::invalid("ca_certs: no certificate found"));
            }
            b = b.tls_certs_merge(certs);
        }
        match (&opts.client_cert, &opts.client_key) {
            (Some(cert), Some(key)) => {
                let mut both = pem(cert, "client_cert")?;
                both.push(b'\n');
                both.extend(pem(key, "client_key")?);
                let id = reqwest::Identity::from_pem(&both).map_err(|e| {
                    Error::invalid(format!("client_cert/client_key: not a valid PEM pair: {e}"))
                })?;
                b = b.identity(id);
            }
            (None, None) => {}
            _ => {
                return Err(Error::invalid(
                    "client_cert and client_key must be given together",
                ));
            }
        }
        if caps.is_some() {
            b = b.connector_layer(caps::GateLayer);
        }
        let http = b
            .build()
            .map_err(|e| Error::invalid(format!("invalid client options: {}", source_text(&e))))?;
        Ok(Client(Arc::new(Inner {
            http: Mutex::new(Some(http)),
            base_url,
            timeout: opts.timeout,
            retry,
            max_response_size: opts.max_response_size,
            error_for_status: opts.error_for_status,
            caps,
            closed: CancellationToken::new(),
            recipe,
            born: crate::fork::generation(),
            child: Mutex::new(None),
        })))
    }

    /// Checks `spec` and returns the op that sends it when run. Bad input and a closed
    /// client fail here, before anything is sent.
    pub fn request(&self, spec: RequestSpec) -> Result<Op> {
        let inner = &self.0;
        if inner.closed.is_cancelled() {
            return Err(errors::closed());
        }
        if inner.born != crate::fork::generation() {
            return self.in_child()?.request(spec);
        }
        let call = Call {
            timeout: spec.timeout.or(inner.timeout),
            error_for_status: spec.error_for_status.unwrap_or(inner.error_for_status),
            stream: spec.stream,
        };
        let req = request::prepare(inner.base_url.as_ref(), spec)?;
        // The running future is large (reqwest's, retries, body reading; ~9 KB): boxed
        // only when the op starts, so the thousands of ops a batch holds back cost a
        // few hundred bytes each (measured: 20,000 ops took 177 MB and 0.8 s to make).
        let inner = inner.clone();
        Ok(Op::new(async move { Box::pin(inner.run(req, call)).await }))
    }

    /// Closes the client: new requests fail with E_CLOSED, requests and body reads in
    /// flight end with E_CANCELLED and drop their connections, and the idle pooled
    /// connections are closed now.
    pub fn close(&self) {
        self.0.closed.cancel();
        drop(self.0.http().take());
        if let Some(child) = &*self.0.child.lock().unwrap_or_else(|e| e.into_inner()) {
            child.close();
        }
    }

    pub fn is_closed(&self) -> bool {
        self.0.closed.is_cancelled()
    }

    /// The client that serves this one in a forked child. The parent's pool keeps
    /// connections whose tasks ran on the parent's runtime (a request given one waited
    /// out its whole timeout), and its sockets are the parent's too: the child gets a
    /// client of its own, built once from the same options (cookies start empty).
    fn in_child(&self) -> Result<Client> {
        let mut child = self.0.child.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = &*child {
            // Built in this process, or in an ancestor: its own `request` tells.
            return Ok(c.clone());
        }
        let c = Client::new(self.0.recipe.clone())?;
        *child = Some(c.clone());
        Ok(c)
    }
}

impl Inner {
    fn http(&self) -> MutexGuard<'_, Option<reqwest::Client>> {
        // Nothing panics while holding the lock; a poisoned one still holds the client.
        self.http.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // The futures below are written so that each await builds its future in place: a
    // future moved into a combinator, or one awaited in two branches, keeps a slot of
    // its own in the caller's state. That made the running future 8 KB (allocated and
    // copied per request); it is now about half (4 KB, most of it `once`).
    async fn run(self: Arc<Self>, req: reqwest::Request, call: Call) -> Outcome {
        let url = req.url().as_str().to_owned();
        let limit = call.timeout;
        tokio::select! {
            biased;
            _ = self.closed.cancelled() => Err(errors::cancelled_by_close(&url)),
            done = self.tries(req, &call, &url) => done.map(|r| Value::Response(Arc::new(r))),
            () = expiry(limit) => Err(errors::total_timeout(&url)),
        }
    }

    /// Runs the request once, or as often as the retry policy says (one loop serves
    /// both); with a policy, every outcome says how many tries were made.
    async fn tries(&self, req: reqwest::Request, call: &Call, url: &str) -> Result<Response> {
        let start = Instant::now();
        let policy = self.retry.as_ref().filter(|p| p.allows(req.method()));
        let mut tries = 1u32;
        let mut current = req;
        let outcome = loop {
            // Bodies here are always in memory, so a clone never fails; should one,
            // the request is simply not retried.
            let spare = policy.and_then(|_| current.try_clone());
            let outcome = self.once(current, call, start, url).await;
            let (Some(policy), Some(next)) = (policy, spare) else {
                break outcome;
            };
            let tried = match &outcome {
                Ok(r) => Tried::Status(r.status, r.headers.get(http::header::RETRY_AFTER)),
                Err(e) if e.code == Code::Connect => Tried::ConnectError,
                Err(e)
                    if e.code == Code::Timeout && e.field("phase") == Some(&"connect".into()) =>
                {
                    Tried::ConnectError
                }
                Err(_) => Tried::OtherError,
            };
            let Some(wait) = policy.decide(tries, &tried, retry::draw(), SystemTime::now()) else {
                break outcome;
            };
            drop(outcome);
            tokio::time::sleep(wait).await;
            tries += 1;
            current = next;
        };
        if self.retry.is_none() {
            return self.finish(outcome, call);
        }
        let outcome = outcome.map(|mut r| {
            r.attempts = tries;
            r
        });
        self.finish(outcome, call)
            .map_err(|e| e.with("attempts", tries as i64))
    }

    fn finish(&self, outcome: Result<Response>, call: &Call) -> Result<Response> {
        let resp = outcome?;
        if call.error_for_status {
            resp.error_for_status()?;
        }
        Ok(resp)
    }

    /// One try: a slot if capped, the request, the head, and the body unless streamed.
    async fn once(
        &self,
        req: reqwest::Request,
        call: &Call,
        start: Instant,
        url: &str,
    ) -> Result<Response> {
        let mut slot = match &self.caps {
            Some(caps) => Some(caps.acquire(req.url()).await),
            None => None,
        };
        // A clone of the handle (an `Arc`): the lock is not held while the request runs.
        let Some(http) = self.http().clone() else {
            return Err(errors::cancelled_by_close(url));
        };
        let sent = http.execute(req);
        let got = match &slot {
            Some(slot) => slot.dial_scope(sent).await,
            None => sent.await,
        };
        let resp = got.map_err(|e| errors::from_reqwest(&e, url))?;
        if let (Some(slot), Some(addr)) = (&slot, caps::local_addr(&resp)) {
            slot.seen(addr);
        }
        let status = resp.status().as_u16();
        let final_url = resp.url().as_str().to_owned();
        let http_version = response::version_name(resp.version());
        if call.stream {
            let headers = response::owned_headers(resp.headers());
            let stream = Stream::new(
                resp,
                slot,
                self.closed.clone(),
                self.max_response_size.streamed(),
                final_url.clone(),
            );
            return Ok(Response {
                status,
                reason: response::reason(status),
                http_version,
                url: final_url,
                headers,
                elapsed: start.elapsed(),
                attempts: 1,
                content: bytes::Bytes::new(),
                stream: Some(stream),
            });
        }
        // Decided from the head, which is moved out before the body is read.
        let release = slot.as_ref().map(|_| Release::after_body(&resp));
        let headers = response::owned_headers(resp.headers());
        let content = body::read_all(resp, self.max_response_size.whole(), &final_url).await?;
        if let (Some(slot), Some(release)) = (&mut slot, release) {
            slot.set_release(release);
        }
        Ok(Response {
            status,
            reason: response::reason(status),
            http_version,
            url: final_url,
            headers,
            elapsed: start.elapsed(),
            attempts: 1,
            content,
            stream: None,
        })
    }
}

/// Resolves when `limit` has passed; never without one.
async fn expiry(limit: Option<Duration>) {
    match limit {
        Some(limit) => tokio::time::sleep(limit).await,
        None => std::future::pending().await,
    }
}

/// A proxy for every request, from an `http://`, `https://`, `socks5://` or
/// `socks5h://` URL.
fn proxy(raw: &str) -> Result<reqwest::Proxy> {
    request::no_controls(raw, "proxy URL")?;
    let shown = redact::url(raw);
    let url =
        Url::parse(raw).map_err(|e| Error::invalid(format!("invalid proxy URL {shown:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") {
        return Err(Error::invalid(format!(
            "proxy {shown:?}: scheme must be http, https, socks5 or socks5h"
        )));
    }
    reqwest::Proxy::all(url.clone()).map_err(|e| {
        Error::invalid(format!(
            "invalid proxy {shown:?}: {}",
            redact::secret_free(&e.to_string(), &url)
        ))
    })
}

/// The innermost message of a builder error, which says what was wrong.
fn source_text(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
