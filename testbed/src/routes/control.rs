//! `/__connections`: the connection counters (see `stats`) for test assertions.

use std::sync::Arc;

use hyper::Response;
use serde_json::json;

use crate::body::Body;
use crate::conn::ConnCtx;
use crate::stats::Connections;

/// Requests that do not make their connection count (see `stats`).
pub fn is_control(path: &str) -> bool {
    path == "/__connections" || path == "/__connections/reset"
}

pub fn snapshot(ctx: &Arc<ConnCtx>) -> Response<Body> {
    report(ctx.shared.stats.snapshot_for(Some(&ctx.tally)))
}

/// Answers with the counters right after the reset.
pub fn reset(ctx: &Arc<ConnCtx>) -> Response<Body> {
    ctx.shared.stats.reset();
    snapshot(ctx)
}

fn report(c: Connections) -> Response<Body> {
    super::json(&json!({
        "open": c.open,
        "total": c.total,
        "peak": c.peak,
        "pending": c.pending,
        "proxied": c.proxied,
    }))
}
