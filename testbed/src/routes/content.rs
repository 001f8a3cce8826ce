//! Fixed content: pattern bytes, the JSON document, its compressed encodings, the known
//! text in several charsets, paced streams and plain statuses.

use std::io::{self, Write};
use std::sync::OnceLock;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{CONTENT_ENCODING, HeaderValue};
use hyper::{Response, StatusCode};

use super::{MAX_DELAY_MS, Reject, Reply, bounded, number, param, text, with_type};
use crate::body::{Body, MAX_CHUNK, pattern_bytes};

/// `GET /json`: one document exercising what JSON decoders get wrong: non-ASCII text
/// (accents, CJK, an astral-plane emoji and escapes), integers including a negative one
/// and `2**60` (exact in an i64, not in a double), floats (with exponent), booleans,
/// null, empty and nested containers. The `/encoding/*` routes serve the same bytes
/// compressed.
pub const JSON_DOC: &str = r#"{"name":"fanio testbed","unicode":"caf\u00e9 \u00fcber \u65e5\u672c \ud83d\ude00","raw_unicode":"naïve ☕","int":42,"negative":-7,"float":3.25,"exponent":1.5e-7,"big":1152921504606846976,"true":true,"false":false,"null":null,"list":[1,"two",3.5,null,true,{"k":"v"},[1,[2,[3]]]],"nested":{"a":{"b":{"c":[1,2,3]}},"empty_list":[],"empty_object":{}}}"#;

/// The text `/text/*` serves, in the charset the route names.
pub const TEXT: &str = "caf\u{e9} \u{fc}ber";

/// The `/encoding/*` bodies, compressed once at start.
pub struct Payloads {
    gzip: Bytes,
    deflate: Bytes,
    br: Bytes,
    zstd: Bytes,
    gzip_corrupt: Bytes,
    /// Made on first request, never committed: most runs never ask for it.
    gzip_bomb: OnceLock<Bytes>,
}

/// What `/encoding/gzip/bomb` expands to: 200 MiB of zeros, about 200 KB on the wire.
pub const BOMB_SIZE: usize = 200 * 1024 * 1024;

impl Payloads {
    pub fn build() -> io::Result<Self> {
        let doc = JSON_DOC.as_bytes();
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gzip.write_all(doc)?;
        let gzip = gzip.finish()?;
        // HTTP's "deflate" is the zlib format (RFC 9110 8.4.1.2), not raw deflate.
        let mut deflate =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        deflate.write_all(doc)?;
        let deflate = deflate.finish()?;
        let mut br = Vec::new();
        {
            let mut writer = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
            writer.write_all(doc)?;
        }
        let zstd = zstd::encode_all(doc, 3)?;
        // A real gzip header (so sniffing decoders commit to gzip) followed by bytes that
        // are no deflate stream: decoding fails mid-body.
        let mut gzip_corrupt = gzip[..10].to_vec();
        gzip_corrupt.extend_from_slice(b"\xff\xfe this is not a deflate stream \x00\x01\x02");
        Ok(Payloads {
            gzip: gzip.into(),
            deflate: deflate.into(),
            br: br.into(),
            zstd: zstd.into(),
            gzip_corrupt: gzip_corrupt.into(),
            gzip_bomb: OnceLock::new(),
        })
    }
}

/// [`BOMB_SIZE`] zeros, gzipped: about 200 KB, since zeros compress about 1000:1.
fn gzip_bomb() -> Bytes {
    let zeros = vec![0u8; 1024 * 1024];
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for _ in 0..BOMB_SIZE / zeros.len() {
        // Writing to a Vec cannot fail.
        let _ = bomb.write_all(&zeros);
    }
    bomb.finish().unwrap_or_default().into()
}

/// `GET /bytes/{n}[?chunked=1]`
pub fn bytes(n: &str, query: Option<&str>) -> Reply {
    let n = bounded(n, "n", u64::MAX)?;
    let chunked = param(query, "chunked").is_some_and(|v| v == "1");
    if !chunked && n <= MAX_CHUNK as u64 {
        return Ok(Response::new(pattern_bytes(0, n as usize).into()));
    }
    Ok(Response::new(Body::Pattern {
        sent: 0,
        left: n,
        // Chunked bodies come in several chunks so clients exercise reassembly.
        chunk: if chunked { 4096 } else { MAX_CHUNK },
        sized: !chunked,
    }))
}

pub fn json_doc() -> Response<Body> {
    with_type("application/json", JSON_DOC)
}

pub fn json_bad() -> Response<Body> {
    with_type("application/json", r#"{"ok": tru, "list": [1, 2"#)
}

/// `ANY /status/{code}`: final statuses only (1xx would not end the exchange).
pub fn status(code: &str) -> Reply {
    let status = bounded::<u16>(code, "code", 599)
        .ok()
        .filter(|c| *c >= 200)
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| Reject::bad(format!("status code must be 200..=599, got {code:?}")))?;
    Ok(text(status, format!("status {}", status.as_u16())))
}

/// `GET /encoding/{gzip|br|zstd|deflate}`, `GET /encoding/gzip/corrupt` and
/// `GET /encoding/gzip/bomb` ([`BOMB_SIZE`] bytes once decoded)
pub fn encoded(payloads: &Payloads, rest: &str) -> Reply {
    let (name, body) = match rest {
        "gzip" => ("gzip", &payloads.gzip),
        "deflate" => ("deflate", &payloads.deflate),
        "br" => ("br", &payloads.br),
        "zstd" => ("zstd", &payloads.zstd),
        "gzip/corrupt" => ("gzip", &payloads.gzip_corrupt),
        "gzip/bomb" => ("gzip", payloads.gzip_bomb.get_or_init(gzip_bomb)),
        _ => return Err(Reject::bad(format!("unknown encoding {rest:?}"))),
    };
    let mut response = with_type("application/json", body.clone());
    response
        .headers_mut()
        .insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    Ok(response)
}

/// `GET /text/{latin1|utf8|utf16|bad-utf8|none}`: [`TEXT`] in that charset.
pub fn text_in(charset: &str) -> Reply {
    let latin1 = || TEXT.chars().map(|c| c as u8).collect::<Vec<u8>>();
    let (content_type, body): (&'static str, Vec<u8>) = match charset {
        "latin1" => ("text/plain; charset=iso-8859-1", latin1()),
        "utf8" => ("text/plain; charset=utf-8", TEXT.into()),
        // With a byte order mark, as the "utf-16" label expects (little endian).
        "utf16" => (
            "text/plain; charset=utf-16",
            [0xff, 0xfe]
                .into_iter()
                .chain(TEXT.encode_utf16().flat_map(u16::to_le_bytes))
                .collect(),
        ),
        // Latin-1 bytes that claim to be UTF-8: "\xe9 " is no valid UTF-8 sequence.
        "bad-utf8" => ("text/plain; charset=utf-8", latin1()),
        "none" => ("text/plain", TEXT.into()),
        _ => return Err(Reject::bad(format!("unknown charset {charset:?}"))),
    };
    Ok(with_type(content_type, body))
}

/// `GET /stream/{n}?delay_ms=D&size=S`: n pattern chunks of S bytes, the first at once.
pub fn stream(n: &str, query: Option<&str>) -> Reply {
    let count = bounded::<u32>(n, "n", 1_000_000)?;
    let delay = number(query, "delay_ms", 0, MAX_DELAY_MS)?;
    let size = number(query, "size", 16, MAX_CHUNK)?;
    Ok(Response::new(Body::paced(
        count,
        pattern_bytes(0, size),
        Duration::ZERO,
        Duration::from_millis(delay),
        false,
    )))
}
