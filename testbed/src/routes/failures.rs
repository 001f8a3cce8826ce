//! Deliberate failures a client must survive: truncated bodies, silence, slowness and
//! bytes that are not HTTP or not valid framing.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::Response;

use super::{MAX_DELAY_MS, Reply, number};
use crate::body::{Body, pattern_bytes};
use crate::conn::{self, ConnCtx};

/// `GET /drop`: Content-Length 10000, 100 bytes, then the connection is closed (an
/// HTTP/2 stream is reset instead).
pub fn drop_midway() -> Response<Body> {
    Response::new(Body::Truncated {
        head: Some(pattern_bytes(0, 100)),
        declared: 10_000,
        flushed: false,
    })
}

/// `GET /never`: reads the request and never answers. The handler is dropped when the
/// client goes away, which closes (and uncounts) the connection.
pub async fn never() -> Reply {
    match std::future::pending::<Infallible>().await {}
}

/// `GET /slow?delay_ms=D`: 200 "ok" after D ms.
pub async fn slow(query: Option<&str>) -> Reply {
    let delay = number(query, "delay_ms", 1000, MAX_DELAY_MS)?;
    tokio::time::sleep(Duration::from_millis(delay)).await;
    Ok(Response::new("ok".into()))
}

/// `GET /slow-body?delay_ms=D`: headers at once (Content-Length 2), "ok" after D ms.
pub fn slow_body(query: Option<&str>) -> Reply {
    let delay = number(query, "delay_ms", 1000, MAX_DELAY_MS)?;
    Ok(Response::new(Body::paced(
        1,
        Bytes::from_static(b"ok"),
        Duration::from_millis(delay),
        Duration::ZERO,
        true,
    )))
}

/// `GET /malformed`: the connection writes garbage instead of this response, then
/// closes (see `conn::Wire`).
pub fn malformed(ctx: &Arc<ConnCtx>) -> Response<Body> {
    let _ = ctx.wire_bytes.set(conn::GARBAGE);
    Response::new(Body::empty())
}

/// `GET /bad-chunking`: over HTTP/1.1, a chunked body whose second chunk size is no
/// number, then the connection closes (see `conn::Wire`).
pub fn bad_chunking(ctx: &Arc<ConnCtx>) -> Response<Body> {
    let _ = ctx.wire_bytes.set(conn::BAD_CHUNKING);
    Response::new(Body::empty())
}
