//! Reading a response body: all at once (counting against `max_response_size` as it
//! is decoded), or chunk by chunk for a streamed response, whose connection is let
//! go as soon as it is closed or dropped.

use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use crate::error::Result;
use crate::http::caps::{Release, Slot};
use crate::http::errors;
use crate::value::{Outcome, Value};

/// The whole body of `resp`, or E_BODY_TOO_LARGE past `limit` bytes. The body arrives
/// decoded in small chunks, so it is counted as it is decoded, and no more than the
/// limit is ever held: a bomb costs the limit, not what it expands to.
pub(crate) async fn read_all(
    mut resp: reqwest::Response,
    limit: Option<u64>,
    url: &str,
) -> Result<Bytes> {
    let Some(limit) = limit else {
        return resp
            .bytes()
            .await
            .map(owned)
            .map_err(|e| errors::from_reqwest(&e, url));
    };
    if resp.content_length().is_some_and(|n| n > limit) {
        return Err(errors::too_large(limit, url));
    }
    let cap = usize::try_from(limit).unwrap_or(usize::MAX);
    // The decoded chunks are kept as they come and joined once at the end: a buffer
    // grown by doubling would copy itself along the way, and some allocators (mimalloc,
    // in the Node addon) keep each smaller step, so a bomb cut off at 64 MiB cost
    // 138 MB there; kept as chunks, it costs the limit.
    let mut chunks = Vec::new();
    let mut total = 0usize;
    while let Some(c) = chunk(&mut resp, url).await? {
        total += c.len();
        if total > cap {
            return Err(errors::too_large(limit, url));
        }
        chunks.push(c);
    }
    if chunks.len() <= 1 {
        // Most bodies come in one piece: kept as it came, as an unlimited read would.
        return Ok(chunks.pop().map_or_else(Bytes::new, owned));
    }
    let mut buf = Vec::with_capacity(total);
    // Each chunk is let go once copied: the pages of `buf` fill as the chunks free theirs.
    for c in chunks.drain(..) {
        buf.extend_from_slice(&c);
    }
    Ok(Bytes::from(buf))
}

async fn chunk(resp: &mut reqwest::Response, url: &str) -> Result<Option<Bytes>> {
    resp.chunk()
        .await
        .map_err(|e| errors::from_reqwest(&e, url))
}

/// Below this size a body read in one piece is copied out of the buffer it came in.
const COPY_BELOW: usize = 16 * 1024;

/// A small body read in one piece is a slice of the connection's read buffer (8 KiB and
/// more) and would keep that whole buffer alive as long as the response is kept (with
/// `response::owned_headers`: 20,000 kept 1 KiB responses, ~180 MB -> ~40 MB). A copy
/// costs less than the memory it frees.
fn owned(body: Bytes) -> Bytes {
    if body.len() < COPY_BELOW {
        Bytes::copy_from_slice(&body)
    } else {
        body
    }
}

struct Open {
    resp: reqwest::Response,
    read: u64,
    slot: Option<Slot>,
}

/// The unread body of a streamed response.
pub(crate) struct Stream {
    state: tokio::sync::Mutex<State>,
    /// Cancelled by `close()`: ends a read in progress.
    closing: CancellationToken,
    /// The client's close signal.
    client: CancellationToken,
    limit: Option<u64>,
    url: String,
}

enum State {
    Open(Box<Open>),
    Ended,
    Closed,
}

impl Stream {
    pub(crate) fn new(
        resp: reqwest::Response,
        slot: Option<Slot>,
        client: CancellationToken,
        limit: Option<u64>,
        url: String,
    ) -> Stream {
        Stream {
            state: tokio::sync::Mutex::new(State::Open(Box::new(Open {
                resp,
                read: 0,
                slot,
            }))),
            closing: CancellationToken::new(),
            client,
            limit,
            url,
        }
    }

    pub(crate) async fn next(&self) -> Outcome {
        let mut state = self.state.lock().await;
        if self.closing.is_cancelled() {
            *state = State::Closed;
        }
        let State::Open(open) = &mut *state else {
            return match *state {
                State::Ended => Ok(Value::Null),
                _ => Err(errors::stream_closed(&self.url)),
            };
        };
        let chunk = tokio::select! {
            // A closed client or stream wins over a chunk that happens to be ready.
            biased;
            _ = self.closing.cancelled() => {
                *state = State::Closed;
                return Err(errors::stream_closed(&self.url));
            }
            _ = self.client.cancelled() => {
                *state = State::Closed;
                return Err(errors::cancelled_by_close(&self.url));
            }
            chunk = open.resp.chunk() => chunk,
        };
        let outcome = match chunk {
            Ok(Some(bytes)) => {
                open.read += bytes.len() as u64;
                match self.limit {
                    Some(limit) if open.read > limit => Err(errors::too_large(limit, &self.url)),
                    _ => return Ok(Value::Bytes(bytes)),
                }
            }
            Ok(None) => {
                // Read to the end: the connection goes back to the pool.
                if let Some(slot) = &mut open.slot {
                    slot.set_release(Release::after_body(&open.resp));
                }
                *state = State::Ended;
                return Ok(Value::Null);
            }
            Err(e) => Err(errors::from_reqwest(&e, &self.url)),
        };
        *state = State::Closed;
        outcome
    }

    pub(crate) fn close(&self) {
        self.closing.cancel();
        // Not reading now: drop the body (and its connection) at once.
        if let Ok(mut state) = self.state.try_lock()
            && matches!(*state, State::Open(_))
        {
            *state = State::Closed;
        }
    }
}
