//! Turns what reqwest, hyper, rustls and the OS report into one stable code with the
//! phase and URL, by walking the whole `source()` chain: the outer reqwest error only
//! says which step failed, the cause deep inside says why. Every HTTP error that names
//! a URL is made here, and shows it redacted: callers pass the URL as it is.

use std::error::Error as StdError;
use std::io;

use crate::error::{Code, Error};
use crate::redact;

/// The error for a failed request to `url`.
pub(crate) fn from_reqwest(e: &reqwest::Error, url: &str) -> Error {
    let mut cause = root_cause(e);
    if let Some(u) = e.url() {
        cause = redact::secret_free(&cause, u);
    } else if let Ok(u) = url::Url::parse(url) {
        cause = redact::secret_free(&cause, &u);
    }
    let url = redact::url(e.url().map_or(url, |u| u.as_str()));
    let (code, what) = classify(e);
    let mut err = Error::new(code, format!("{what} ({url}): {cause}")).with("url", url);
    if code == Code::Timeout {
        err = err.with("phase", if e.is_connect() { "connect" } else { "read" });
    }
    err
}

fn classify(e: &reqwest::Error) -> (Code, &'static str) {
    if e.is_redirect() {
        return (Code::Protocol, "too many redirects");
    }
    // TLS first: a certificate failure surfaces as a connect error too.
    if chain(e).any(is_tls) {
        return (Code::Tls, "TLS handshake failed");
    }
    if e.is_timeout() || chain(e).any(|c| io_kind(c) == Some(io::ErrorKind::TimedOut)) {
        return (
            Code::Timeout,
            if e.is_connect() {
                "connect timed out"
            } else {
                "read timed out"
            },
        );
    }
    if e.is_connect() {
        return (Code::Connect, "could not connect");
    }
    if chain(e).any(is_protocol) {
        return (Code::Protocol, "malformed or interrupted response");
    }
    if e.is_decode() {
        return (Code::Decode, "could not decode the response body");
    }
    (Code::Protocol, "request failed")
}

/// Every error in the chain, including the payload of `io::Error`s (whose own
/// `source()` skips it).
fn chain<'a>(
    e: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    let mut next = Some(e);
    std::iter::from_fn(move || {
        let cur = next?;
        next = match cur.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => cur.source(),
        };
        Some(cur)
    })
}

fn root_cause(e: &reqwest::Error) -> String {
    chain(e)
        .last()
        .map_or_else(|| e.to_string(), |c| c.to_string())
}

fn io_kind(e: &(dyn StdError + 'static)) -> Option<io::ErrorKind> {
    e.downcast_ref::<io::Error>().map(io::Error::kind)
}

fn is_tls(e: &(dyn StdError + 'static)) -> bool {
    e.is::<rustls::Error>()
}

/// A peer that broke HTTP: closed mid-message, reset, or sent what does not parse.
/// Any failure hyper reports is one: hyper reads the framing of the message (heads,
/// chunk sizes, lengths), never its content, so a bad chunked body is E_PROTOCOL here
/// while a body that does not decode (bad gzip) reaches the core without one.
fn is_protocol(e: &(dyn StdError + 'static)) -> bool {
    if e.is::<hyper::Error>() {
        return true;
    }
    if e.is::<h2::Error>() {
        return true;
    }
    matches!(
        io_kind(e),
        Some(
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::UnexpectedEof
        )
    )
}

/// The error of a response refused for its status.
pub(crate) fn status(status: u16, url: &str) -> Error {
    let url = redact::url(url);
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    Error::new(
        Code::HttpStatus,
        format!("HTTP {status} {reason} from {url}"),
    )
    .with("status", status as i64)
    .with("url", url.as_str())
}

pub(crate) fn too_large(limit: u64, url: &str) -> Error {
    let url = redact::url(url);
    Error::new(
        Code::BodyTooLarge,
        format!("response body from {url} exceeds max_response_size ({limit} bytes)"),
    )
    .with("limit", limit.min(i64::MAX as u64) as i64)
    .with("url", url.as_str())
}

pub(crate) fn total_timeout(url: &str) -> Error {
    let url = redact::url(url);
    Error::new(
        Code::Timeout,
        format!("request to {url} exceeded its total timeout"),
    )
    .with("phase", "total")
    .with("url", url.as_str())
}

pub(crate) fn closed() -> Error {
    Error::new(Code::Closed, "the HTTP client was closed")
}

pub(crate) fn cancelled_by_close(url: &str) -> Error {
    let url = redact::url(url);
    Error::new(
        Code::Cancelled,
        format!("request to {url} cancelled: the HTTP client was closed"),
    )
    .with("url", url.as_str())
}

pub(crate) fn stream_closed(url: &str) -> Error {
    Error::new(
        Code::Closed,
        format!("the streamed body of {} was closed", redact::url(url)),
    )
}

/// A body or value of the response from `url` that could not be decoded.
pub(crate) fn decode(what: &str, url: &str) -> Error {
    let url = redact::url(url);
    Error::new(Code::Decode, format!("{what} ({url})")).with("url", url.as_str())
}
