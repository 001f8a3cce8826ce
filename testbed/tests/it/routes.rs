//! Real requests over raw sockets against a started testbed: framing, echo fields,
//! content, redirects, failures and retry counters.

use std::io::Read;

use crate::client::{Conn, get, is_pattern};
use testbed::{Config, JSON_DOC, Server};

fn start() -> Server {
    Server::start(Config::default()).expect("testbed starts")
}

#[test]
fn bytes_have_the_asked_length_and_pattern() {
    let server = start();
    let url = server.http_url();
    let small = get(&url, "/bytes/1000");
    assert_eq!(small.status, 200);
    assert_eq!(small.header("content-length"), Some("1000"));
    assert_eq!(small.body.len(), 1000);
    assert!(is_pattern(&small.body));

    // Larger than one pre-built slice: still Content-Length, still one continuous pattern.
    let large = get(&url, "/bytes/200000");
    assert_eq!(large.header("content-length"), Some("200000"));
    assert_eq!(large.body.len(), 200_000);
    assert!(is_pattern(&large.body));

    let chunked = get(&url, "/bytes/10000?chunked=1");
    assert_eq!(chunked.header("transfer-encoding"), Some("chunked"));
    assert_eq!(chunked.header("content-length"), None);
    assert_eq!(chunked.body.len(), 10_000);
    assert!(is_pattern(&chunked.body));

    assert_eq!(get(&url, "/bytes/0").body.len(), 0);
    assert_eq!(get(&url, "/bytes/ten").status, 400);
    assert_eq!(get(&url, "/nowhere").status, 404);
}

#[test]
fn echo_reports_what_arrived() {
    let server = start();
    let mut conn = Conn::open(&server.http_url());
    let body = "h\u{e9}llo".as_bytes();
    conn.send(
        &format!(
            "PUT /echo/a/b?x=1&x=2&y=%20z HTTP/1.1\r\nHost: testbed\r\nX-Zeta: 1\r\nX-Alpha: 2\r\nContent-Length: {}\r\n\r\n",
            body.len()
        ),
        body,
    )
    .unwrap();
    let echo = conn.read_reply().unwrap().json();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["path"], "/echo/a/b");
    assert_eq!(echo["query"], "x=1&x=2&y=%20z");
    assert_eq!(
        echo["args"],
        serde_json::json!({"x": ["1", "2"], "y": [" z"]})
    );
    assert_eq!(echo["body"], "h\u{e9}llo");
    assert_eq!(echo["body_len"], 6);
    assert_eq!(echo["body_base64"], "aMOpbGxv");
    assert_eq!(echo["http_version"], "HTTP/1.1");
    assert_eq!(echo["proxied"], false);
    let headers = echo["headers"].as_array().unwrap();
    let pos = |name: &str| headers.iter().position(|h| h[0] == name).unwrap();
    assert!(
        pos("host") < pos("x-zeta") && pos("x-zeta") < pos("x-alpha"),
        "{headers:?}"
    );
    assert_eq!(headers[pos("x-zeta")][1], "1");

    // Bytes that are not UTF-8: no text, but the exact bytes in base64.
    conn.send(
        "POST /echo HTTP/1.1\r\nHost: testbed\r\nContent-Length: 2\r\n\r\n",
        b"\xff\x00",
    )
    .unwrap();
    let echo = conn.read_reply().unwrap().json();
    assert_eq!(echo["body"], serde_json::Value::Null);
    assert_eq!(echo["body_base64"], "/wA=");
    assert_eq!(echo["query"], "");
}

#[test]
fn json_document_and_encodings_decode_to_it() {
    let server = start();
    let url = server.http_url();
    let doc: serde_json::Value = serde_json::from_str(JSON_DOC).unwrap();
    assert_eq!(doc["big"].as_u64(), Some(1 << 60));
    assert_eq!(
        doc["unicode"],
        "caf\u{e9} \u{fc}ber \u{65e5}\u{672c} \u{1f600}"
    );
    let plain = get(&url, "/json");
    assert_eq!(plain.header("content-type"), Some("application/json"));
    assert_eq!(plain.body, JSON_DOC.as_bytes());
    assert!(serde_json::from_slice::<serde_json::Value>(&get(&url, "/json/bad").body).is_err());

    let decode = |name: &str, body: &[u8]| -> std::io::Result<Vec<u8>> {
        let mut out = Vec::new();
        match name {
            "gzip" => flate2::read::GzDecoder::new(body).read_to_end(&mut out)?,
            "deflate" => flate2::read::ZlibDecoder::new(body).read_to_end(&mut out)?,
            "br" => brotli::Decompressor::new(body, 4096).read_to_end(&mut out)?,
            _ => return zstd::decode_all(body),
        };
        Ok(out)
    };
    for name in ["gzip", "deflate", "br", "zstd"] {
        let reply = get(&url, &format!("/encoding/{name}"));
        assert_eq!(reply.header("content-encoding"), Some(name));
        assert_ne!(reply.body, JSON_DOC.as_bytes());
        assert_eq!(
            decode(name, &reply.body).unwrap(),
            JSON_DOC.as_bytes(),
            "{name}"
        );
    }
    let corrupt = get(&url, "/encoding/gzip/corrupt");
    assert_eq!(corrupt.header("content-encoding"), Some("gzip"));
    assert!(decode("gzip", &corrupt.body).is_err());
}

#[test]
fn text_in_each_charset() {
    let server = start();
    let url = server.http_url();
    let latin1 = get(&url, "/text/latin1");
    assert_eq!(
        latin1.header("content-type"),
        Some("text/plain; charset=iso-8859-1")
    );
    assert_eq!(latin1.body, b"caf\xe9 \xfcber");
    assert_eq!(get(&url, "/text/utf8").body, testbed::TEXT.as_bytes());
    let utf16 = get(&url, "/text/utf16").body;
    let units: Vec<u16> = utf16[2..]
        .chunks(2)
        .map(|p| u16::from_le_bytes([p[0], p[1]]))
        .collect();
    assert_eq!(&utf16[..2], b"\xff\xfe");
    assert_eq!(String::from_utf16(&units).unwrap(), testbed::TEXT);
    let bad = get(&url, "/text/bad-utf8");
    assert_eq!(
        bad.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert!(std::str::from_utf8(&bad.body).is_err());
    let none = get(&url, "/text/none");
    assert_eq!(none.header("content-type"), Some("text/plain"));
    assert_eq!(none.body, testbed::TEXT.as_bytes());
}

#[test]
fn status_redirects_and_cookies() {
    let server = start();
    let url = server.http_url();
    let teapot = get(&url, "/status/418");
    assert_eq!(
        (teapot.status, teapot.body.as_slice()),
        (418, &b"status 418"[..])
    );
    assert_eq!(get(&url, "/status/99").status, 400);

    let relative = get(&url, "/redirect/2?code=307");
    assert_eq!(relative.status, 307);
    assert_eq!(relative.header("location"), Some("/redirect/1?code=307"));
    let absolute = get(&url, "/redirect/1?kind=absolute");
    assert_eq!(absolute.status, 302);
    assert_eq!(
        absolute.header("location"),
        Some("http://testbed/redirect/0?kind=absolute")
    );
    assert_eq!(
        get(&url, "/redirect/0?code=303").header("location"),
        Some("/echo")
    );
    let to = get(
        &url,
        "/redirect-to?url=http%3A%2F%2F127.0.0.1%3A1%2Fx&code=308",
    );
    assert_eq!(
        (to.status, to.header("location")),
        (308, Some("http://127.0.0.1:1/x"))
    );
    assert_eq!(get(&url, "/redirect-to?url=/x&code=200").status, 400);

    let set = get(&url, "/cookies/set?a=1&b=two");
    let cookies: Vec<_> = set
        .headers
        .iter()
        .filter(|(n, _)| n == "set-cookie")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(cookies, ["a=1; Path=/", "b=two; Path=/"]);
    let mut conn = Conn::open(&url);
    conn.send(
        "GET /cookies HTTP/1.1\r\nHost: t\r\nCookie: a=1; b=two\r\n\r\n",
        b"",
    )
    .unwrap();
    assert_eq!(
        conn.read_reply().unwrap().json(),
        serde_json::json!({"cookies": {"a": "1", "b": "two"}})
    );
}

#[test]
fn flaky_fails_n_times_per_key() {
    let server = start();
    let url = server.http_url();
    let target = "/flaky?key=k1&fail=2&status=429&retry_after=7";
    for _ in 0..2 {
        let reply = get(&url, target);
        assert_eq!(
            (reply.status, reply.header("retry-after")),
            (429, Some("7"))
        );
    }
    let ok = get(&url, target);
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json(), serde_json::json!({"attempts": 3}));
    assert_eq!(get(&url, target).json()["attempts"], 4);

    // Another key counts on its own; the date form is an HTTP date in the future.
    let dated = get(&url, "/flaky?key=k2&retry_after=60&date=1");
    assert_eq!(dated.status, 503);
    let when = httpdate::parse_http_date(dated.header("retry-after").unwrap()).unwrap();
    assert!(when > std::time::SystemTime::now() + std::time::Duration::from_secs(30));
    assert_eq!(get(&url, "/flaky?key=k2").json()["attempts"], 2);
    assert_eq!(get(&url, "/flaky?fail=1").status, 400);
}

#[test]
fn failures_truncate_garble_and_stream() {
    let server = start();
    let url = server.http_url();
    let mut drop = Conn::open(&url);
    drop.send("GET /drop HTTP/1.1\r\nHost: t\r\n\r\n", b"")
        .unwrap();
    let raw = drop.read_to_close();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    assert!(head.contains("content-length: 10000"), "{head}");
    assert_eq!(raw.len() - split, 100);

    let mut garbage = Conn::open(&url);
    garbage
        .send("GET /malformed HTTP/1.1\r\nHost: t\r\n\r\n", b"")
        .unwrap();
    let raw = garbage.read_to_close();
    assert!(raw.starts_with(b"NOT-HTTP"), "{raw:?}");

    let stream = get(&url, "/stream/3?size=5&delay_ms=20");
    assert_eq!(stream.header("transfer-encoding"), Some("chunked"));
    assert_eq!(stream.body, b"abcdeabcdeabcde");

    let slow = get(&url, "/slow-body?delay_ms=10");
    assert_eq!(
        (slow.header("content-length"), slow.body.as_slice()),
        (Some("2"), &b"ok"[..])
    );
    assert_eq!(get(&url, "/slow?delay_ms=10").body, b"ok");
    assert_eq!(get(&url, "/slow?delay_ms=99999999999").status, 400);
}

#[test]
fn proxy_serves_absolute_form_and_counts_it() {
    let server = start();
    let mut conn = Conn::open(&server.proxy_url());
    conn.send(
        "GET http://127.0.0.1:1/echo?via=proxy HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n",
        b"",
    )
    .unwrap();
    let echo = conn.read_reply().unwrap().json();
    assert_eq!(echo["proxied"], true);
    assert_eq!(echo["path"], "/echo");
    assert_eq!(echo["args"]["via"][0], "proxy");
    // Origin-form on the proxy port is a plain request.
    assert_eq!(conn.get("/echo").json()["proxied"], false);
    // CONNECT tunnels only to loopback: the testbed is no open proxy.
    conn.send(
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
        b"",
    )
    .unwrap();
    assert_eq!(conn.read_reply().unwrap().status, 403);
    assert_eq!(server.connections().proxied, 2);
}
