//! The routes every listener serves, dispatched by first path segment without
//! allocating, and the small helpers they share (query parameters, bad-input replies).

mod content;
mod control;
mod cookies;
mod echo;
mod failures;
mod flaky;
mod proxy;
mod redirect;

use std::borrow::Cow;
use std::convert::Infallible;
use std::str::FromStr;
use std::sync::Arc;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

use crate::body::Body;
use crate::conn::{ConnCtx, Listener};

pub use content::{BOMB_SIZE, JSON_DOC, Payloads, TEXT};
pub use flaky::Flaky;

/// A request the route cannot serve as asked: answered with `status` and a plain-text
/// reason, never a panic.
pub struct Reject {
    status: StatusCode,
    reason: Cow<'static, str>,
}

impl Reject {
    pub fn bad(reason: impl Into<Cow<'static, str>>) -> Self {
        Reject {
            status: StatusCode::BAD_REQUEST,
            reason: reason.into(),
        }
    }

    fn not_found() -> Self {
        Reject {
            status: StatusCode::NOT_FOUND,
            reason: "no such route".into(),
        }
    }

    fn method() -> Self {
        Reject {
            status: StatusCode::METHOD_NOT_ALLOWED,
            reason: "method not allowed here".into(),
        }
    }
}

pub type Reply = Result<Response<Body>, Reject>;

pub async fn handle(
    ctx: Arc<ConnCtx>,
    req: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path();
    if !control::is_control(path) {
        ctx.shared.stats.request(&ctx.tally);
    }
    // An HTTP/1.1 proxy receives absolute-form targets (`GET http://host/path`) and
    // CONNECT; origin-form requests to the proxy port are served as plain ones.
    let proxied = ctx.listener == Listener::Proxy
        && (req.uri().scheme().is_some() || req.method() == Method::CONNECT);
    if proxied {
        ctx.shared.stats.proxied();
    }
    let head = req.method() == Method::HEAD;
    let reply = route(&ctx, req, proxied).await;
    let response = reply.unwrap_or_else(|reject| {
        let mut response = text(reject.status, reject.reason.into_owned());
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    });
    Ok(if head {
        without_body(response)
    } else {
        response
    })
}

/// The answer to HEAD: the GET response's head with no body. hyper drops the body of
/// a HEAD response on HTTP/1.1 but sends it on HTTP/2, where a client must refuse it;
/// the length a GET would have is kept in Content-Length, as HTTP/1.1 does.
fn without_body(response: Response<Body>) -> Response<Body> {
    let (mut parts, body) = response.into_parts();
    if let Some(n) = http_body::Body::size_hint(&body).exact() {
        parts
            .headers
            .entry(CONTENT_LENGTH)
            .or_insert(HeaderValue::from(n));
    }
    Response::from_parts(parts, Body::empty())
}

async fn route(ctx: &Arc<ConnCtx>, req: Request<Incoming>, proxied: bool) -> Reply {
    if req.method() == Method::CONNECT {
        return if proxied {
            proxy::connect(req).await
        } else {
            Err(Reject::method())
        };
    }
    let path = req.uri().path();
    let (head, rest) = match path.strip_prefix('/').unwrap_or(path).split_once('/') {
        Some((head, rest)) => (head, Some(rest)),
        None => (path.trim_start_matches('/'), None),
    };
    let query = req.uri().query();
    match (head, rest) {
        ("bytes", Some(n)) => content::bytes(n, query),
        ("echo", _) => echo::echo(req, proxied).await,
        ("json", None) => Ok(content::json_doc()),
        ("json", Some("bad")) => Ok(content::json_bad()),
        ("status", Some(code)) => content::status(code),
        ("redirect", Some(n)) => redirect::chain(ctx.listener, &req, n),
        ("redirect-to", None) => redirect::to(query),
        ("encoding", Some(rest)) => content::encoded(&ctx.shared.payloads, rest),
        ("text", Some(charset)) => content::text_in(charset),
        ("cookies", None) => Ok(cookies::list(&req)),
        ("cookies", Some("set")) => cookies::set(query),
        ("stream", Some(n)) => content::stream(n, query),
        ("drop", None) => Ok(failures::drop_midway()),
        ("never", None) => failures::never().await,
        ("slow", None) => failures::slow(query).await,
        ("slow-body", None) => failures::slow_body(query),
        ("malformed", None) => Ok(failures::malformed(ctx)),
        ("bad-chunking", None) => Ok(failures::bad_chunking(ctx)),
        ("flaky", None) => ctx.shared.flaky.attempt(query),
        ("__connections", None) => Ok(control::snapshot(ctx)),
        ("__connections", Some("reset")) if req.method() == Method::POST => Ok(control::reset(ctx)),
        ("__connections", Some("reset")) => Err(Reject::method()),
        _ => Err(Reject::not_found()),
    }
}

/// The first value of query parameter `name`, percent-decoded.
pub fn param<'q>(query: Option<&'q str>, name: &str) -> Option<Cow<'q, str>> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// Query parameter `name` parsed as a `T` no larger than `max`, or `default` when absent.
pub fn number<T>(query: Option<&str>, name: &str, default: T, max: T) -> Result<T, Reject>
where
    T: FromStr + PartialOrd + std::fmt::Display,
{
    match param(query, name) {
        None => Ok(default),
        Some(raw) => bounded(&raw, name, max),
    }
}

/// `raw` parsed as a `T` no larger than `max`.
pub fn bounded<T>(raw: &str, what: &str, max: T) -> Result<T, Reject>
where
    T: FromStr + PartialOrd + std::fmt::Display,
{
    match raw.parse::<T>() {
        Ok(value) if value <= max => Ok(value),
        _ => Err(Reject::bad(format!(
            "{what} must be a number from 0 to {max}, got {raw:?}"
        ))),
    }
}

/// Delays are bounded so the deadline arithmetic cannot overflow.
pub const MAX_DELAY_MS: u64 = 3_600_000;

pub fn text(status: StatusCode, body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    *response.status_mut() = status;
    response
}

pub fn with_type(content_type: &'static str, body: impl Into<Body>) -> Response<Body> {
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub fn json(value: &serde_json::Value) -> Response<Body> {
    // Serializing a Value cannot fail: its map keys are always strings.
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    with_type("application/json", Bytes::from(bytes))
}
