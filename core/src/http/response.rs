//! A response as both bindings see it: the head, the body read in full (or left to be
//! streamed chunk by chunk) and the conversions (`text`, `json`) done in Rust, once.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, HeaderValue, StatusCode, Version};

use crate::engine::Op;
use crate::error::{Error, Result};
use crate::http::body::Stream;
use crate::http::errors;

pub struct Response {
    pub status: u16,
    /// The canonical reason phrase of the status, or "" for unknown statuses.
    pub reason: &'static str,
    /// "HTTP/0.9", "HTTP/1.0", "HTTP/1.1", "HTTP/2" or "HTTP/3".
    pub http_version: &'static str,
    /// The final URL, after redirects.
    pub url: String,
    pub headers: HeaderMap,
    /// From the start of the op to the body read (to the head for a streamed response).
    pub elapsed: Duration,
    /// Tries made, 1 unless a retry policy retried.
    pub attempts: u32,
    /// The whole body; empty for a streamed response.
    pub content: Bytes,
    /// The unread body of a streamed response.
    pub(crate) stream: Option<Stream>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "<Response [{} {}] {}>",
            self.status,
            self.reason,
            crate::redact::url(&self.url)
        )
    }
}

pub(crate) fn version_name(v: Version) -> &'static str {
    match v {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
}

/// The headers with values of their own. hyper parses values as slices of the
/// connection's read buffer (8 KiB and more), so a kept response would keep that whole
/// buffer alive: 20,000 kept responses held ~180 MB. Copying the few values frees it.
pub(crate) fn owned_headers(headers: &HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        // Copying a valid value cannot fail; should it, the shared value is kept.
        let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.append(name.clone(), copy);
    }
    owned
}

pub(crate) fn reason(status: u16) -> &'static str {
    StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("")
}

impl Response {
    /// The body as text, in the charset of the Content-Type (UTF-8 when none is named;
    /// a byte order mark wins over both). Bytes invalid in that charset: E_DECODE.
    pub fn text(&self) -> Result<String> {
        let declared = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(charset)
            .map(|label| {
                encoding_rs::Encoding::for_label(label.as_bytes())
                    .ok_or_else(|| self.decode_error(format!("unknown charset {label:?}")))
            })
            .transpose()?;
        let (encoding, body) = match encoding_rs::Encoding::for_bom(&self.content) {
            Some((enc, bom)) => (enc, &self.content[bom..]),
            None => (declared.unwrap_or(encoding_rs::UTF_8), &self.content[..]),
        };
        encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .map(|text| text.into_owned())
            .ok_or_else(|| self.decode_error(format!("body is not valid {}", encoding.name())))
    }

    /// The body parsed as JSON. Object keys keep their order and numbers keep every
    /// digit (serde_json's `preserve_order` and `arbitrary_precision`): a binding
    /// converts a `Number` that fits no i64/u64/f64 from its text. Bad JSON: E_DECODE.
    pub fn json(&self) -> Result<serde_json::Value> {
        serde_json::from_slice(&self.content)
            .map_err(|e| self.decode_error(format!("body is not valid JSON: {e}")))
    }

    /// E_HTTP_STATUS (fields `status`, `url`) for a 4xx or 5xx response.
    pub fn error_for_status(&self) -> Result<()> {
        if self.status >= 400 {
            Err(errors::status(self.status, &self.url))
        } else {
            Ok(())
        }
    }

    /// Whether the body is left to `next_chunk`.
    pub fn is_streamed(&self) -> bool {
        self.stream.is_some()
    }

    /// The next piece of a streamed body: `Value::Bytes`, then `Value::Null` at the end.
    /// A response read in full has nothing to stream: E_INVALID_ARGUMENT.
    pub fn next_chunk(self: &Arc<Self>) -> Op {
        let this = self.clone();
        Op::new(async move {
            match &this.stream {
                Some(stream) => stream.next().await,
                None => Err(Error::invalid(
                    "this response was not streamed: its body is in `content`",
                )),
            }
        })
    }

    /// Stops reading a streamed body and lets its connection go; later `next_chunk`
    /// calls fail with E_CLOSED. Dropping the response does the same.
    pub fn close(&self) {
        if let Some(stream) = &self.stream {
            stream.close();
        }
    }

    fn decode_error(&self, what: String) -> Error {
        errors::decode(&what, &self.url)
    }
}

/// The `charset` parameter of a Content-Type value, unquoted.
fn charset(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|param| {
        let (name, value) = param.split_once('=')?;
        name.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| value.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;
    use http::HeaderValue;

    fn response(content_type: Option<&'static str>, body: &'static [u8]) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        Response {
            status: 200,
            reason: "OK",
            http_version: "HTTP/1.1",
            url: "http://h/".into(),
            headers,
            elapsed: Duration::ZERO,
            attempts: 1,
            content: Bytes::from_static(body),
            stream: None,
        }
    }

    #[test]
    fn text_follows_the_charset_and_refuses_bad_bytes() {
        assert_eq!(response(None, "héllo".as_bytes()).text().unwrap(), "héllo");
        assert_eq!(
            response(Some("text/plain; charset=ISO-8859-1"), b"h\xe9")
                .text()
                .unwrap(),
            "hé"
        );
        assert_eq!(
            response(Some("text/plain; charset=\"latin1\""), b"\xe9")
                .text()
                .unwrap(),
            "é"
        );
        assert_eq!(
            response(Some("text/plain; charset=utf-16le"), b"h\0i\0")
                .text()
                .unwrap(),
            "hi"
        );
        assert_eq!(response(None, b"\xff\xfeh\0").text().unwrap(), "h");
        let bad = response(Some("text/plain; charset=utf-8"), b"\xff\xfa")
            .text()
            .unwrap_err();
        assert_eq!((bad.code, bad.field("url").is_some()), (Code::Decode, true));
        assert_eq!(
            response(Some("text/plain; charset=klingon"), b"x")
                .text()
                .unwrap_err()
                .code,
            Code::Decode
        );
    }

    #[test]
    fn json_keeps_key_order_and_big_numbers() {
        let r = response(
            None,
            br#"{"z": 1, "a": 123456789012345678901234567890, "f": 0.1}"#,
        );
        let v = r.json().unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a", "f"]);
        assert_eq!(v["a"].to_string(), "123456789012345678901234567890");
        assert_eq!(v["f"].as_f64(), Some(0.1));
        assert_eq!(
            response(None, b"{nope").json().unwrap_err().code,
            Code::Decode
        );
    }

    #[test]
    fn error_for_status_carries_status_and_url() {
        let mut r = response(None, b"");
        assert!(r.error_for_status().is_ok());
        r.status = 404;
        let e = r.error_for_status().unwrap_err();
        assert_eq!(e.code, Code::HttpStatus);
        assert_eq!(e.field("status"), Some(&crate::error::Field::Int(404)));
        assert_eq!(
            e.field("url"),
            Some(&crate::error::Field::Str("http://h/".into()))
        );
        assert_eq!(reason(404), "Not Found");
        assert_eq!(reason(599), "");
    }
}
