//! The response bodies the routes need, as one enum instead of boxed trait objects, so
//! the hot path (`/bytes`) allocates nothing: pattern bytes are slices of a static array.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, Sleep};

const ALPHABET: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";
/// A whole number of alphabets, so any window starting at `offset % 26` stays in bounds.
const PATTERN_LEN: usize = 26 * 2521;
static PATTERN: [u8; PATTERN_LEN] = pattern();

const fn pattern() -> [u8; PATTERN_LEN] {
    let mut out = [0u8; PATTERN_LEN];
    let mut i = 0;
    while i < PATTERN_LEN {
        out[i] = ALPHABET[i % 26];
        i += 1;
    }
    out
}

/// Largest piece of the pattern one frame carries.
pub const MAX_CHUNK: usize = PATTERN_LEN - 26;

/// `len` bytes of the pattern as if they started at body offset `offset`:
/// byte `i` of every pattern body is `b"abc...z"[i % 26]`.
pub fn pattern_bytes(offset: u64, len: usize) -> Bytes {
    let start = (offset % 26) as usize;
    Bytes::from_static(&PATTERN[start..start + len.min(MAX_CHUNK)])
}

pub enum Body {
    /// A complete body (or none), sent with Content-Length.
    Full(Option<Bytes>),
    /// `left` pattern bytes in frames of at most `chunk`; `sized` sends Content-Length,
    /// otherwise HTTP/1.1 uses chunked encoding.
    Pattern {
        sent: u64,
        left: u64,
        chunk: usize,
        sized: bool,
    },
    /// `left` copies of `chunk`, the first when `sleep` fires, the others `delay` apart.
    Paced {
        left: u32,
        chunk: Bytes,
        delay: Duration,
        sleep: Pin<Box<Sleep>>,
        sized: bool,
    },
    /// Announces `declared` bytes, sends `head`, then fails: hyper aborts the
    /// connection (HTTP/1.1) or resets the stream (HTTP/2). `flushed` marks the one
    /// `Pending` in between: hyper flushes what it buffered only when the body waits,
    /// and would otherwise drop the head along with the connection.
    Truncated {
        head: Option<Bytes>,
        declared: u64,
        flushed: bool,
    },
}

impl Body {
    pub fn empty() -> Self {
        Body::Full(None)
    }

    pub fn paced(count: u32, chunk: Bytes, first: Duration, delay: Duration, sized: bool) -> Self {
        Body::Paced {
            left: count,
            chunk,
            delay,
            sleep: Box::pin(tokio::time::sleep(first)),
            sized,
        }
    }
}

impl From<Bytes> for Body {
    fn from(bytes: Bytes) -> Self {
        Body::Full(Some(bytes))
    }
}

impl From<&'static str> for Body {
    fn from(text: &'static str) -> Self {
        Body::Full(Some(Bytes::from_static(text.as_bytes())))
    }
}

impl From<String> for Body {
    fn from(text: String) -> Self {
        Body::Full(Some(Bytes::from(text)))
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Full(Some(Bytes::from(bytes)))
    }
}

impl http_body::Body for Body {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let frame = match self.get_mut() {
            Body::Full(bytes) => bytes.take().map(Frame::data),
            Body::Pattern {
                sent, left, chunk, ..
            } => (*left > 0).then(|| {
                let bytes = pattern_bytes(*sent, (*left).min(*chunk as u64) as usize);
                *sent += bytes.len() as u64;
                *left -= bytes.len() as u64;
                Frame::data(bytes)
            }),
            Body::Paced {
                left,
                chunk,
                delay,
                sleep,
                ..
            } => {
                if *left == 0 {
                    return Poll::Ready(None);
                }
                ready!(sleep.as_mut().poll(cx));
                *left -= 1;
                sleep.as_mut().reset(Instant::now() + *delay);
                Some(Frame::data(chunk.clone()))
            }
            Body::Truncated { head, flushed, .. } => match head.take() {
                Some(bytes) => Some(Frame::data(bytes)),
                None if !*flushed => {
                    *flushed = true;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                None => {
                    return Poll::Ready(Some(Err(io::Error::new(
                        io::ErrorKind::ConnectionAborted,
                        "body cut short on purpose",
                    ))));
                }
            },
        };
        Poll::Ready(frame.map(Ok))
    }

    fn is_end_stream(&self) -> bool {
        match self {
            Body::Full(bytes) => bytes.is_none(),
            Body::Pattern { left, .. } => *left == 0,
            Body::Paced { left, .. } => *left == 0,
            Body::Truncated { .. } => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            Body::Full(bytes) => SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64)),
            Body::Pattern {
                left, sized: true, ..
            } => SizeHint::with_exact(*left),
            Body::Paced {
                left,
                chunk,
                sized: true,
                ..
            } => SizeHint::with_exact(u64::from(*left) * chunk.len() as u64),
            Body::Truncated { declared, .. } => SizeHint::with_exact(*declared),
            Body::Pattern { .. } | Body::Paced { .. } => SizeHint::default(),
        }
    }
}
