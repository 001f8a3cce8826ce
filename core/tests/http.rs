//! The HTTP client against a real local server (testbed): every feature, failure and
//! cap is checked on the wire, with the server's own connection counters as witness.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use fanio_core::engine::native::settle;
use fanio_core::error::Field;
use fanio_core::http::{
    Body, Client, ClientOptions, DEFAULT_MAX_RESPONSE_SIZE, Http2Mode, RequestSpec, Response,
    RetryPolicy, SizeLimit,
};
use fanio_core::{Code, Error, Op, Options, Outcome, Value, runtime};
use serde_json::json;
use testbed::{Config, Server};

fn server() -> Server {
    Server::start(Config::default()).expect("the testbed starts")
}

fn client(opts: ClientOptions) -> Client {
    Client::new(opts).expect("valid options")
}

fn get(url: impl Into<String>) -> RequestSpec {
    RequestSpec {
        method: "GET".into(),
        url: url.into(),
        ..Default::default()
    }
}

/// Runs an op the way bindings do: polled by a task of the core's runtime.
fn run(op: Op) -> Outcome {
    let rt = runtime::handle();
    rt.block_on(rt.spawn(async move { op.run().await }))
        .expect("the op task ends")
}

fn send(c: &Client, spec: RequestSpec) -> Outcome {
    run(c.request(spec).expect("a valid request"))
}

fn ok(outcome: Outcome) -> Arc<Response> {
    match outcome {
        Ok(Value::Response(r)) => r,
        Ok(other) => panic!("expected a response, got {other:?}"),
        Err(e) => panic!("expected a response, got {} {}", e.code, e.message),
    }
}

fn err(outcome: Outcome) -> Error {
    match outcome {
        Err(e) => e,
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

fn int(e: &Error, name: &str) -> Option<i64> {
    match e.field(name) {
        Some(Field::Int(v)) => Some(*v),
        _ => None,
    }
}

fn text(e: &Error, name: &str) -> Option<String> {
    match e.field(name) {
        Some(Field::Str(v)) => Some(v.to_string()),
        _ => None,
    }
}

/// Polls `cond` until it holds or 5 s pass.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn echo(r: &Response) -> serde_json::Value {
    r.json().expect("echo answers JSON")
}

fn header<'a>(echoed: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    echoed["headers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|pair| pair[0].as_str().unwrap().eq_ignore_ascii_case(name))
        .map(|pair| pair[1].as_str().unwrap())
        .collect()
}

#[test]
fn get_bytes() {
    let s = server();
    // Building a client needs no runtime: bindings build it on the host's thread.
    assert!(tokio::runtime::Handle::try_current().is_err());
    let c = client(ClientOptions::default());
    let r = ok(send(&c, get(format!("{}/bytes/1024", s.http_url()))));
    assert_eq!(
        (r.status, r.reason, r.http_version, r.attempts),
        (200, "OK", "HTTP/1.1", 1)
    );
    assert_eq!(r.content, testbed::pattern_bytes(0, 1024));
    assert_eq!(r.url, format!("{}/bytes/1024", s.http_url()));
    assert!(r.elapsed > Duration::ZERO && r.elapsed < Duration::from_secs(10));
    assert!(!r.is_streamed());
}

#[test]
fn echo_sends_method_headers_query_and_every_body_kind() {
    let s = server();
    let c = client(ClientOptions {
        base_url: Some(format!("{}/echo/", s.http_url())),
        headers: vec![
            ("X-Default".into(), "d".into()),
            ("X-Over".into(), "client".into()),
        ],
        ..Default::default()
    });
    let spec = RequestSpec {
        method: "patch".into(),
        url: "path?a=1".into(),
        params: vec![("b".into(), "x y".into()), ("b".into(), "2".into())],
        headers: vec![
            ("X-Multi".into(), "1".into()),
            ("x-multi".into(), "2".into()),
            ("X-Over".into(), "req".into()),
        ],
        body: Body::Json(json!({"z": 1, "a": [true, null]})),
        ..Default::default()
    };
    let e = echo(&ok(send(&c, spec)));
    assert_eq!(e["method"], "PATCH");
    assert_eq!(e["path"], "/echo/path");
    assert_eq!(e["args"], json!({"a": ["1"], "b": ["x y", "2"]}));
    assert_eq!(header(&e, "x-multi"), ["1", "2"]);
    assert_eq!(header(&e, "x-default"), ["d"]);
    assert_eq!(header(&e, "x-over"), ["req"]);
    assert_eq!(header(&e, "content-type"), ["application/json"]);
    assert!(header(&e, "user-agent")[0].starts_with("fanio/"));
    assert_eq!(e["body"], r#"{"z":1,"a":[true,null]}"#);

    let form = RequestSpec {
        method: "POST".into(),
        url: "f".into(),
        body: Body::Form(vec![("k".into(), "v w".into()), ("k".into(), "&".into())]),
        ..Default::default()
    };
    let e = echo(&ok(send(&c, form)));
    assert_eq!(e["body"], "k=v+w&k=%26");
    assert_eq!(
        header(&e, "content-type"),
        ["application/x-www-form-urlencoded"]
    );

    let raw = RequestSpec {
        method: "PUT".into(),
        url: "c".into(),
        body: Body::Content(Bytes::from_static(b"\x00\xffraw")),
        ..Default::default()
    };
    let e = echo(&ok(send(&c, raw)));
    assert_eq!(
        (
            e["method"].as_str(),
            e["body_len"].as_u64(),
            e["body_base64"].as_str()
        ),
        (Some("PUT"), Some(5), Some("AP9yYXc="))
    );

    let custom = RequestSpec {
        method: "PROPFIND".into(),
        url: "x".into(),
        ..Default::default()
    };
    assert_eq!(echo(&ok(send(&c, custom)))["method"], "PROPFIND");
}

#[test]
fn statuses_and_error_for_status() {
    let s = server();
    let c = client(ClientOptions::default());
    let r = ok(send(&c, get(format!("{}/status/404", s.http_url()))));
    assert_eq!((r.status, r.reason), (404, "Not Found"));
    let e = r.error_for_status().unwrap_err();
    assert_eq!((e.code, int(&e, "status")), (Code::HttpStatus, Some(404)));
    assert_eq!(
        ok(send(&c, get(format!("{}/status/599", s.http_url())))).reason,
        ""
    );

    let strict = client(ClientOptions {
        error_for_status: true,
        ..Default::default()
    });
    let url = format!("{}/status/503", s.http_url());
    let e = err(send(&strict, get(&url)));
    assert_eq!(
        (e.code, int(&e, "status"), text(&e, "url")),
        (Code::HttpStatus, Some(503), Some(url.clone()))
    );
    assert_eq!(
        ok(send(
            &strict,
            RequestSpec {
                error_for_status: Some(false),
                ..get(&url)
            }
        ))
        .status,
        503
    );
    assert_eq!(
        err(send(
            &c,
            RequestSpec {
                error_for_status: Some(true),
                ..get(&url)
            }
        ))
        .code,
        Code::HttpStatus
    );
    assert_eq!(
        ok(send(&strict, get(format!("{}/status/204", s.http_url())))).status,
        204
    );
}

#[test]
fn response_headers_are_multi_valued_and_case_insensitive() {
    let s = server();
    let c = client(ClientOptions {
        cookies: false,
        ..Default::default()
    });
    let r = ok(send(
        &c,
        get(format!("{}/cookies/set?a=1&b=2", s.http_url())),
    ));
    let values: Vec<_> = r
        .headers
        .get_all("SET-COOKIE")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(values, ["a=1; Path=/", "b=2; Path=/"]);
    assert_eq!(r.headers["Content-Type"], "application/json");
}

#[test]
fn redirects_rewrite_or_keep_the_method_as_the_status_says() {
    let s = server();
    let c = client(ClientOptions::default());
    let post = |code: u16, kind: &str| RequestSpec {
        method: "POST".into(),
        url: format!("{}/redirect/2?code={code}&kind={kind}", s.http_url()),
        body: Body::Content(Bytes::from_static(b"payload")),
        ..Default::default()
    };
    for code in [301, 302, 303] {
        let r = ok(send(&c, post(code, "relative")));
        let e = echo(&r);
        assert_eq!(
            (e["method"].as_str(), e["body_len"].as_u64()),
            (Some("GET"), Some(0)),
            "{code}"
        );
        assert_eq!(r.url, format!("{}/echo", s.http_url()));
    }
    for code in [307, 308] {
        for kind in ["relative", "absolute"] {
            let e = echo(&ok(send(&c, post(code, kind))));
            assert_eq!(
                (e["method"].as_str(), e["body"].as_str()),
                (Some("POST"), Some("payload")),
                "{code} {kind}"
            );
        }
    }
    let few = client(ClientOptions {
        max_redirects: 2,
        ..Default::default()
    });
    let e = err(send(&few, get(format!("{}/redirect/5", s.http_url()))));
    assert_eq!(e.code, Code::Protocol);
    assert!(e.message.contains("redirect"), "{}", e.message);
    assert!(ok(send(&few, get(format!("{}/redirect/1", s.http_url())))).status == 200);

    let none = client(ClientOptions {
        follow_redirects: false,
        ..Default::default()
    });
    let r = ok(send(
        &none,
        get(format!("{}/redirect/3?code=302", s.http_url())),
    ));
    assert_eq!(
        (r.status, r.headers["location"].to_str().unwrap()),
        (302, "/redirect/2?code=302")
    );
}

#[test]
fn every_encoding_is_decoded_and_corrupt_gzip_is_a_decode_error() {
    let s = server();
    let c = client(ClientOptions::default());
    let want: serde_json::Value = serde_json::from_str(testbed::JSON_DOC).unwrap();
    for enc in ["gzip", "br", "zstd", "deflate"] {
        let r = ok(send(&c, get(format!("{}/encoding/{enc}", s.http_url()))));
        assert_eq!(r.json().unwrap(), want, "{enc}");
        assert_eq!(r.content.len(), testbed::JSON_DOC.len(), "{enc}");
    }
    let e = err(send(
        &c,
        get(format!("{}/encoding/gzip/corrupt", s.http_url())),
    ));
    assert_eq!(e.code, Code::Decode, "{}", e.message);
    assert!(text(&e, "url").unwrap().ends_with("/encoding/gzip/corrupt"));
}

#[test]
fn text_follows_the_declared_charset() {
    let s = server();
    let c = client(ClientOptions::default());
    for charset in ["latin1", "utf8", "utf16", "none"] {
        let r = ok(send(&c, get(format!("{}/text/{charset}", s.http_url()))));
        assert_eq!(r.text().unwrap(), testbed::TEXT, "{charset}");
    }
    let r = ok(send(&c, get(format!("{}/text/bad-utf8", s.http_url()))));
    assert_eq!(r.text().unwrap_err().code, Code::Decode);
}

#[test]
fn json_keeps_big_integers_and_bad_json_is_a_decode_error() {
    let s = server();
    let c = client(ClientOptions::default());
    let doc = ok(send(&c, get(format!("{}/json", s.http_url()))))
        .json()
        .unwrap();
    assert_eq!(doc["big"].as_u64(), Some(1 << 60));
    assert_eq!(doc["raw_unicode"], "naïve ☕");
    let keys: Vec<_> = doc.as_object().unwrap().keys().take(3).cloned().collect();
    assert_eq!(keys, ["name", "unicode", "raw_unicode"]);
    let bad = ok(send(&c, get(format!("{}/json/bad", s.http_url()))));
    assert_eq!(bad.json().unwrap_err().code, Code::Decode);
}

#[test]
fn cookies_are_kept_and_sent_back_unless_disabled() {
    let s = server();
    for (enabled, want) in [(true, json!({"x": "1", "y": "two"})), (false, json!({}))] {
        let c = client(ClientOptions {
            cookies: enabled,
            ..Default::default()
        });
        ok(send(
            &c,
            get(format!("{}/cookies/set?x=1&y=two", s.http_url())),
        ));
        let r = ok(send(&c, get(format!("{}/cookies", s.http_url()))));
        assert_eq!(r.json().unwrap()["cookies"], want, "cookies={enabled}");
    }
}

fn chunk(r: &Arc<Response>) -> Outcome {
    run(r.next_chunk())
}

#[test]
fn streamed_bodies_come_in_chunks_then_end() {
    let s = server();
    let c = client(ClientOptions::default());
    let spec = RequestSpec {
        stream: true,
        ..get(format!("{}/stream/5?size=100&delay_ms=5", s.http_url()))
    };
    let r = ok(send(&c, spec));
    assert!(r.is_streamed() && r.content.is_empty());
    assert_eq!(r.status, 200);
    let mut total = Vec::new();
    let mut chunks = 0;
    loop {
        match chunk(&r) {
            Ok(Value::Bytes(b)) => {
                chunks += 1;
                total.extend_from_slice(&b);
            }
            Ok(Value::Null) => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(total.len(), 500);
    assert!(chunks >= 2, "paced chunks arrive apart: {chunks}");
    assert!(matches!(chunk(&r), Ok(Value::Null)));

    let r = ok(send(
        &c,
        RequestSpec {
            stream: true,
            ..get(format!("{}/stream/50?delay_ms=20", s.http_url()))
        },
    ));
    assert!(matches!(chunk(&r), Ok(Value::Bytes(_))));
    r.close();
    assert_eq!(err(chunk(&r)).code, Code::Closed);

    let full = ok(send(&c, get(format!("{}/bytes/10", s.http_url()))));
    assert_eq!(err(chunk(&full)).code, Code::InvalidArgument);
}

#[test]
fn a_dropped_stream_releases_its_connection() {
    let s = server();
    let c = client(ClientOptions {
        max_connections_per_host: Some(1),
        timeout: Some(Duration::from_secs(5)),
        ..Default::default()
    });
    let r = ok(send(
        &c,
        RequestSpec {
            stream: true,
            ..get(format!("{}/stream/1000?delay_ms=50", s.http_url()))
        },
    ));
    assert_eq!(r.status, 200);
    drop(r);
    let next = ok(send(&c, get(format!("{}/bytes/10", s.http_url()))));
    assert_eq!(next.content.len(), 10);
    eventually("the abandoned connection to close", || {
        s.connections().open <= 1
    });
    assert!(s.connections().peak <= 1, "{:?}", s.connections());
}

#[test]
fn broken_responses_are_protocol_errors() {
    let s = server();
    let c = client(ClientOptions::default());
    for path in ["/drop", "/malformed", "/bad-chunking"] {
        let e = err(send(&c, get(format!("{}{path}", s.http_url()))));
        assert_eq!(e.code, Code::Protocol, "{path}: {}", e.message);
        assert!(text(&e, "url").unwrap().ends_with(path));
    }
}

#[test]
fn timeouts_name_their_phase() {
    let s = server();
    let c = client(ClientOptions {
        timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    });
    let started = Instant::now();
    let e = err(send(&c, get(format!("{}/never", s.http_url()))));
    assert_eq!(
        (e.code, text(&e, "phase").as_deref()),
        (Code::Timeout, Some("total"))
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let e = err(send(
        &c,
        RequestSpec {
            timeout: Some(Duration::from_millis(100)),
            ..get(format!("{}/slow?delay_ms=2000", s.http_url()))
        },
    ));
    assert_eq!(text(&e, "phase").as_deref(), Some("total"));

    let reads = client(ClientOptions {
        read_timeout: Some(Duration::from_millis(200)),
        ..Default::default()
    });
    for path in ["/never", "/slow-body?delay_ms=3000"] {
        let e = err(send(&reads, get(format!("{}{path}", s.http_url()))));
        assert_eq!(
            (e.code, text(&e, "phase").as_deref()),
            (Code::Timeout, Some("read")),
            "{path}: {}",
            e.message
        );
    }
}

/// A loopback port nothing listens on.
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn refused_connections_are_connect_errors() {
    let c = client(ClientOptions::default());
    let url = format!("http://127.0.0.1:{}/x", dead_port());
    let e = err(send(&c, get(&url)));
    assert_eq!((e.code, text(&e, "url")), (Code::Connect, Some(url)));
    assert_eq!(e.field("attempts"), None);
}

/// A loopback listener whose accept queue is full: the kernel drops further SYNs, so a
/// connect to it hangs until the client gives up. Keep the returned values alive.
fn unanswered() -> (
    std::net::TcpListener,
    Vec<std::net::TcpStream>,
    std::net::SocketAddr,
) {
    use std::os::fd::AsRawFd;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // Listening again shrinks the queue to its minimum.
    assert_eq!(unsafe { libc::listen(listener.as_raw_fd(), 0) }, 0);
    let addr = listener.local_addr().unwrap();
    let mut fill = Vec::new();
    while let Ok(conn) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
        fill.push(conn);
        assert!(fill.len() < 64, "the accept queue never filled");
    }
    (listener, fill, addr)
}

#[test]
fn connect_timeouts_name_the_connect_phase() {
    let (_listener, _fill, addr) = unanswered();
    let url = format!("http://{addr}/");
    let c = client(ClientOptions {
        connect_timeout: Some(Duration::from_millis(200)),
        ..Default::default()
    });
    let e = err(send(&c, get(&url)));
    assert_eq!(
        (e.code, text(&e, "phase").as_deref(), text(&e, "url")),
        (Code::Timeout, Some("connect"), Some(url))
    );
    // A connect timeout is a connect error to a retry policy: nothing was sent.
    let retried = client(ClientOptions {
        connect_timeout: Some(Duration::from_millis(100)),
        retry: Some(RetryPolicy {
            attempts: 2,
            ..quick()
        }),
        ..Default::default()
    });
    let e = err(send(&retried, get(format!("http://{addr}/"))));
    assert_eq!((e.code, int(&e, "attempts")), (Code::Timeout, Some(2)));
}

#[test]
fn tls_trusts_the_given_ca_only() {
    let s = server();
    let ca = s.ca_pem().to_str().unwrap().to_owned();
    let url = format!("{}/echo", s.https_url());
    let trusted = client(ClientOptions {
        ca_certs: Some(ca.clone()),
        ..Default::default()
    });
    let r = ok(send(&trusted, get(&url)));
    assert_eq!((r.status, r.http_version), (200, "HTTP/2"));
    // PEM text works like a path.
    let text_ca = client(ClientOptions {
        ca_certs: Some(std::fs::read_to_string(&ca).unwrap()),
        ..Default::default()
    });
    assert_eq!(ok(send(&text_ca, get(&url))).status, 200);
    let h1 = client(ClientOptions {
        ca_certs: Some(ca.clone()),
        http2: Http2Mode::Never,
        ..Default::default()
    });
    assert_eq!(ok(send(&h1, get(&url))).http_version, "HTTP/1.1");

    let default_trust = client(ClientOptions::default());
    let e = err(send(&default_trust, get(&url)));
    assert_eq!(
        (e.code, text(&e, "url")),
        (Code::Tls, Some(url.clone())),
        "{}",
        e.message
    );
    let other = client(ClientOptions {
        ca_certs: Some(s.other_ca_pem().to_str().unwrap().into()),
        ..Default::default()
    });
    assert_eq!(err(send(&other, get(&url))).code, Code::Tls);
    let unverified = client(ClientOptions {
        verify: false,
        ..Default::default()
    });
    assert_eq!(ok(send(&unverified, get(&url))).status, 200);
}

#[test]
fn mutual_tls_needs_the_client_certificate() {
    let s = server();
    let ca = Some(s.ca_pem().to_str().unwrap().to_owned());
    let url = format!("{}/echo", s.mtls_url());
    let with_cert = client(ClientOptions {
        ca_certs: ca.clone(),
        client_cert: Some(s.client_cert_pem().to_str().unwrap().into()),
        client_key: Some(s.client_key_pem().to_str().unwrap().into()),
        ..Default::default()
    });
    assert_eq!(ok(send(&with_cert, get(&url))).status, 200);
    // Over HTTP/1.1 the server's alert is read: a TLS error.
    let without = client(ClientOptions {
        ca_certs: ca.clone(),
        http2: Http2Mode::Never,
        ..Default::default()
    });
    let e = err(send(&without, get(&url)));
    assert_eq!(e.code, Code::Tls, "{}", e.message);
    // Over HTTP/2 the client writes its preface first and may hit the closed socket
    // before it reads the alert; it fails either way.
    let h2 = client(ClientOptions {
        ca_certs: ca,
        ..Default::default()
    });
    let e = err(send(&h2, get(&url)));
    assert!(
        matches!(e.code, Code::Tls | Code::Protocol),
        "{}",
        e.message
    );
}

#[test]
fn h2c_with_prior_knowledge() {
    let s = server();
    let c = client(ClientOptions {
        http2: Http2Mode::PriorKnowledge,
        ..Default::default()
    });
    let r = ok(send(&c, get(format!("{}/echo", s.http_url()))));
    assert_eq!(
        (r.http_version, echo(&r)["http_version"].as_str()),
        ("HTTP/2", Some("HTTP/2"))
    );
}

fn retrying(policy: RetryPolicy) -> Client {
    client(ClientOptions {
        retry: Some(policy),
        ..Default::default()
    })
}

fn quick() -> RetryPolicy {
    RetryPolicy {
        backoff: Duration::from_millis(10),
        backoff_max: Duration::from_secs(2),
        ..Default::default()
    }
}

#[test]
fn retries_count_attempts_and_follow_retry_after() {
    let s = server();
    let c = retrying(quick());
    let r = ok(send(
        &c,
        get(format!("{}/flaky?key=a&fail=2", s.http_url())),
    ));
    assert_eq!((r.status, r.attempts), (200, 3));
    assert_eq!(r.json().unwrap()["attempts"], 3);

    let started = Instant::now();
    let r = ok(send(
        &c,
        get(format!(
            "{}/flaky?key=b&fail=1&status=429&retry_after=1",
            s.http_url()
        )),
    ));
    assert_eq!((r.status, r.attempts), (200, 2));
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );

    let started = Instant::now();
    let r = ok(send(
        &c,
        get(format!(
            "{}/flaky?key=c&fail=1&retry_after=2&date=1",
            s.http_url()
        )),
    ));
    assert_eq!((r.status, r.attempts), (200, 2));
    // An HTTP date has whole seconds: between 1 and 2 s from now.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );

    let r = ok(send(
        &c,
        get(format!("{}/flaky?key=d&fail=10", s.http_url())),
    ));
    assert_eq!((r.status, r.attempts), (503, 3));
    let strict = client(ClientOptions {
        retry: Some(quick()),
        error_for_status: true,
        ..Default::default()
    });
    let e = err(send(
        &strict,
        get(format!("{}/flaky?key=e&fail=10", s.http_url())),
    ));
    assert_eq!(
        (e.code, int(&e, "attempts"), int(&e, "status")),
        (Code::HttpStatus, Some(3), Some(503))
    );
    assert_eq!(
        ok(send(
            &c,
            get(format!("{}/flaky?key=e&fail=10", s.http_url()))
        ))
        .json()
        .ok(),
        None
    );
}

#[test]
fn non_idempotent_methods_are_tried_once() {
    let s = server();
    let c = retrying(quick());
    let post = RequestSpec {
        method: "POST".into(),
        ..get(format!("{}/flaky?key=p&fail=1", s.http_url()))
    };
    let r = ok(send(&c, post.clone()));
    assert_eq!((r.status, r.attempts), (503, 1));
    // The server saw exactly one try: the next one succeeds.
    assert_eq!(ok(send(&c, post)).status, 200);
}

#[test]
fn connect_errors_are_retried_and_report_attempts() {
    let c = retrying(RetryPolicy {
        attempts: 2,
        ..quick()
    });
    let e = err(send(&c, get(format!("http://127.0.0.1:{}/", dead_port()))));
    assert_eq!((e.code, int(&e, "attempts")), (Code::Connect, Some(2)));
    let no = retrying(RetryPolicy {
        on_connect_error: false,
        ..quick()
    });
    let e = err(send(&no, get(format!("http://127.0.0.1:{}/", dead_port()))));
    assert_eq!((e.code, int(&e, "attempts")), (Code::Connect, Some(1)));
}

#[test]
fn bodies_past_the_limit_are_refused() {
    let s = server();
    let c = client(ClientOptions {
        max_response_size: SizeLimit::Bytes(5000),
        ..Default::default()
    });
    assert_eq!(
        ok(send(&c, get(format!("{}/bytes/5000", s.http_url()))))
            .content
            .len(),
        5000
    );
    for path in ["/bytes/5001", "/bytes/100000?chunked=1"] {
        let e = err(send(&c, get(format!("{}{path}", s.http_url()))));
        assert_eq!(
            (e.code, int(&e, "limit")),
            (Code::BodyTooLarge, Some(5000)),
            "{path}"
        );
    }
    let r = ok(send(
        &c,
        RequestSpec {
            stream: true,
            ..get(format!("{}/stream/100?size=1000", s.http_url()))
        },
    ));
    let e = loop {
        match chunk(&r) {
            Ok(Value::Bytes(_)) => continue,
            other => break err(other),
        }
    };
    assert_eq!(e.code, Code::BodyTooLarge);
}

#[test]
fn a_gzip_bomb_stops_at_the_default_limit_as_it_is_decoded() {
    let s = server();
    let c = client(ClientOptions::default());
    let e = err(send(
        &c,
        get(format!("{}/encoding/gzip/bomb", s.http_url())),
    ));
    assert_eq!(
        (e.code, int(&e, "limit")),
        (Code::BodyTooLarge, Some(DEFAULT_MAX_RESPONSE_SIZE as i64))
    );
    // Known from the head (Content-Length): refused before a byte is read.
    let past = DEFAULT_MAX_RESPONSE_SIZE + 1;
    let e = err(send(&c, get(format!("{}/bytes/{past}", s.http_url()))));
    assert_eq!(e.code, Code::BodyTooLarge);
    // Raised or lifted, a body past the default is read whole.
    for limit in [SizeLimit::Bytes(past), SizeLimit::Unlimited] {
        let c = client(ClientOptions {
            max_response_size: limit,
            ..Default::default()
        });
        let r = ok(send(&c, get(format!("{}/bytes/{past}", s.http_url()))));
        assert_eq!(r.content.len() as u64, past, "{limit:?}");
    }
}

#[test]
fn a_streamed_body_is_bounded_only_when_a_limit_was_given() {
    let s = server();
    let past = DEFAULT_MAX_RESPONSE_SIZE + 1;
    let read = |c: &Client| {
        let r = ok(send(
            c,
            RequestSpec {
                stream: true,
                ..get(format!("{}/bytes/{past}", s.http_url()))
            },
        ));
        let mut total = 0u64;
        loop {
            match chunk(&r) {
                Ok(Value::Bytes(b)) => total += b.len() as u64,
                Ok(_) => return Ok(total),
                Err(e) => return Err(e),
            }
        }
    };
    assert_eq!(read(&client(ClientOptions::default())).unwrap(), past);
    let limited = client(ClientOptions {
        max_response_size: SizeLimit::Bytes(DEFAULT_MAX_RESPONSE_SIZE),
        ..Default::default()
    });
    assert_eq!(read(&limited).unwrap_err().code, Code::BodyTooLarge);
}

#[test]
fn close_closes_every_pooled_connection_at_once() {
    let s = server();
    eventually("a quiet server", || s.connections().open == 0);
    let c = client(ClientOptions::default());
    let ops: Vec<Op> = (0..20)
        .map(|_| {
            c.request(get(format!("{}/slow?delay_ms=50", s.http_url())))
                .unwrap()
        })
        .collect();
    // An op made but never run holds the client too: it must not keep the pool alive.
    let kept = c.request(get(s.http_url())).unwrap();
    let rt = runtime::handle();
    let outcomes = rt
        .block_on(rt.spawn(settle(ops, Options::default(), None)))
        .unwrap();
    assert!(outcomes.iter().all(|o| o.is_ok()));
    assert_eq!(s.connections().open, 20, "all 20 sockets pooled");
    c.close();
    eventually("every pooled socket to close", || s.connections().open == 0);
    drop(kept);
}

#[test]
fn passwords_in_urls_never_reach_a_message_or_field() {
    let port = dead_port();
    let secret = "s3cr%2Ft";
    let c = client(ClientOptions::default());
    let e = err(send(
        &c,
        get(format!("http://user:{secret}@127.0.0.1:{port}/x")),
    ));
    assert_eq!(e.code, Code::Connect);
    let shown = format!("{} {:?}", e.message, e.fields);
    assert!(!shown.contains("s3cr"), "{shown}");
    assert!(text(&e, "url").unwrap().contains("user:***@"));
    let s = server();
    let e = err(send(
        &c,
        RequestSpec {
            error_for_status: Some(true),
            ..get(format!(
                "{}/status/500",
                s.http_url().replace("://", &format!("://u:{secret}@"))
            ))
        },
    ));
    assert_eq!(e.code, Code::HttpStatus);
    assert!(!format!("{} {:?}", e.message, e.fields).contains("s3cr"));
    for proxy in [
        format!("http://u:{secret}@[::1"),
        format!("ftp://u:{secret}@h"),
        format!("u:{secret}@proxy:3128"),
    ] {
        let e = Client::new(ClientOptions {
            proxy: Some(proxy.clone()),
            ..Default::default()
        })
        .err()
        .unwrap();
        assert_eq!(e.code, Code::InvalidArgument, "{proxy}");
        assert!(!e.message.contains("s3cr"), "{}", e.message);
    }
    for url in [
        format!("http://u:{secret}@h:bad/"),
        format!("http://u:p/{secret}@h/"),
        format!("ftp://u:{secret}@h/"),
    ] {
        let e = c.request(get(url.clone())).err().unwrap();
        assert_eq!(e.code, Code::InvalidArgument, "{url}");
        assert!(!e.message.contains("s3cr"), "{}", e.message);
    }
}

#[test]
fn cr_lf_and_nul_in_a_url_are_refused_before_any_io() {
    let s = server();
    let c = client(ClientOptions::default());
    let base = s.http_url();
    for url in [
        format!("{base}/echo\r\nX-Injected: 1"),
        format!("{base}/echo?a=1\r\nb"),
        format!("{base}/echo\n"),
        format!("{base}/echo\0"),
        base.replace("127.0.0.1", "127.0.\r\n0.1"),
        base.replace("127.0.0.1", "127.0.0.1\0"),
    ] {
        let e = c.request(get(url.clone())).err().map(|e| e.code);
        assert_eq!(e, Some(Code::InvalidArgument), "{url:?}");
    }
    for base_url in [format!("{base}/\r\n"), base.replace("127", "1\n27")] {
        let e = Client::new(ClientOptions {
            base_url: Some(base_url.clone()),
            ..Default::default()
        })
        .err()
        .map(|e| e.code);
        assert_eq!(e, Some(Code::InvalidArgument), "{base_url:?}");
    }
    let e = Client::new(ClientOptions {
        proxy: Some(format!("{}\r\n", s.proxy_url())),
        ..Default::default()
    })
    .err()
    .map(|e| e.code);
    assert_eq!(e, Some(Code::InvalidArgument));
    // Params are data: a newline in a value is sent percent-encoded, as given.
    let r = ok(send(
        &c,
        RequestSpec {
            params: vec![("a".into(), "1\r\n2".into())],
            ..get(format!("{base}/echo"))
        },
    ));
    assert_eq!(echo(&r)["args"]["a"][0], "1\r\n2");
}

/// 100 requests at once through a client with `opts`, measured from a quiet server.
fn hammer(s: &Server, opts: ClientOptions, path: &str) -> Vec<Outcome> {
    eventually("the previous client's sockets to close", || {
        s.connections().open == 0
    });
    s.reset_connections();
    let c = client(opts);
    let ops = (0..100)
        .map(|_| c.request(get(format!("{}{path}", s.http_url()))).unwrap())
        .collect();
    let rt = runtime::handle();
    rt.block_on(rt.spawn(settle(ops, Options::default(), None)))
        .unwrap()
}

#[test]
fn connection_caps_are_never_exceeded() {
    let s = server();
    for round in 0..5 {
        let opts = ClientOptions {
            max_connections_per_host: Some(4),
            ..Default::default()
        };
        let outcomes = hammer(
            &s,
            opts,
            if round % 2 == 0 {
                "/bytes/1024"
            } else {
                "/slow?delay_ms=5"
            },
        );
        assert!(outcomes.iter().all(|o| o.is_ok()), "round {round}");
        let seen = s.connections();
        assert!(seen.peak <= 4 && seen.total >= 1, "round {round}: {seen:?}");
    }
    let opts = ClientOptions {
        max_connections: Some(2),
        max_connections_per_host: Some(8),
        ..Default::default()
    };
    assert!(hammer(&s, opts, "/bytes/100").iter().all(|o| o.is_ok()));
    assert!(s.connections().peak <= 2, "{:?}", s.connections());
    // The witness can tell: without caps the same load opens more sockets.
    assert!(
        hammer(&s, ClientOptions::default(), "/slow?delay_ms=5")
            .iter()
            .all(|o| o.is_ok())
    );
    assert!(s.connections().peak > 4, "{:?}", s.connections());
    assert_eq!(
        Client::new(ClientOptions {
            max_connections_per_host: Some(0),
            ..Default::default()
        })
        .err()
        .map(|e| e.code),
        Some(Code::InvalidArgument)
    );
}

#[test]
fn close_cancels_requests_in_flight_and_refuses_new_ones() {
    let s = server();
    let c = client(ClientOptions::default());
    let rt = runtime::handle();
    let op = c.request(get(format!("{}/never", s.http_url()))).unwrap();
    let stream = ok(send(
        &c,
        RequestSpec {
            stream: true,
            ..get(format!("{}/stream/100?delay_ms=1000", s.http_url()))
        },
    ));
    let pending = rt.spawn(async move { op.run().await });
    eventually("the request to arrive", || s.connections().open == 2);
    let reading = {
        let stream = stream.clone();
        rt.spawn(async move { stream.next_chunk().run().await })
    };
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    c.close();
    assert!(c.is_closed());
    let e = err(rt.block_on(pending).unwrap());
    assert_eq!(e.code, Code::Cancelled);
    let first = rt.block_on(reading).unwrap();
    // The first chunk may have been there already; the next read is cut off.
    if first.is_ok() {
        assert_eq!(err(chunk(&stream)).code, Code::Cancelled);
    } else {
        assert_eq!(err(first).code, Code::Cancelled);
    }
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(
        c.request(get(s.http_url())).err().map(|e| e.code),
        Some(Code::Closed)
    );
    eventually("the sockets to close", || s.connections().open == 0);
}

#[test]
fn dropping_a_running_op_closes_its_socket() {
    let s = server();
    let c = client(ClientOptions::default());
    let op = c.request(get(format!("{}/never", s.http_url()))).unwrap();
    let task = runtime::handle().spawn(async move { op.run().await });
    eventually("the request to arrive", || s.connections().open == 1);
    task.abort();
    eventually("the socket to close", || s.connections().open == 0);
}

#[test]
fn requests_go_through_the_proxy() {
    let s = server();
    let c = client(ClientOptions {
        proxy: Some(s.proxy_url()),
        ..Default::default()
    });
    let r = ok(send(&c, get(format!("{}/echo", s.http_url()))));
    assert_eq!(echo(&r)["proxied"], true);
    assert!(s.connections().proxied >= 1);
    // https goes through a CONNECT tunnel: the proxy sees the tunnel, not the request.
    let before = s.connections().proxied;
    let tunneled = client(ClientOptions {
        proxy: Some(s.proxy_url()),
        ca_certs: Some(s.ca_pem().to_str().unwrap().into()),
        ..Default::default()
    });
    let r = ok(send(&tunneled, get(format!("{}/echo", s.https_url()))));
    assert_eq!(
        (r.status, echo(&r)["proxied"].as_bool()),
        (200, Some(false))
    );
    assert_eq!(s.connections().proxied, before + 1);
    let direct = client(ClientOptions::default());
    assert_eq!(
        echo(&ok(send(&direct, get(format!("{}/echo", s.http_url())))))["proxied"],
        false
    );
}

#[test]
fn requests_go_through_a_socks5_proxy() {
    let s = server();
    // socks5: the client resolves the host; socks5h: the proxy does ("localhost").
    for (scheme, host) in [("socks5", "127.0.0.1"), ("socks5h", "localhost")] {
        let before = s.connections().proxied;
        let proxy = s.socks_url().replacen("socks5", scheme, 1);
        let c = client(ClientOptions {
            proxy: Some(proxy),
            ..Default::default()
        });
        let port = s.http_url().rsplit(':').next().unwrap().to_owned();
        let r = ok(send(&c, get(format!("http://{host}:{port}/echo"))));
        assert_eq!(
            (r.status, echo(&r)["proxied"].as_bool()),
            (200, Some(false)),
            "{scheme}"
        );
        assert_eq!(s.connections().proxied, before + 1, "{scheme}: one tunnel");
    }
    // The testbed's SOCKS proxy refuses targets off this host: the client sees a
    // connect error, not a hang.
    let c = client(ClientOptions {
        proxy: Some(s.socks_url().replacen("socks5", "socks5h", 1)),
        ..Default::default()
    });
    let e = send(&c, get("http://example.invalid/echo")).unwrap_err();
    assert_eq!(e.code, Code::Connect, "{}", e.message);
}

#[test]
fn invalid_inputs_fail_at_once() {
    let invalid = |opts: ClientOptions| Client::new(opts).err().map(|e| e.code);
    let bad = Some(Code::InvalidArgument);
    assert_eq!(
        invalid(ClientOptions {
            base_url: Some("not a url".into()),
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            base_url: Some("ftp://x/".into()),
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            proxy: Some("ftp://x".into()),
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            headers: vec![("X".into(), "a\nb".into())],
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            user_agent: "bad\r\n".into(),
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            ca_certs: Some("/nonexistent.pem".into()),
            ..Default::default()
        }),
        bad
    );
    let garbage = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
    assert_eq!(
        invalid(ClientOptions {
            ca_certs: Some(garbage.into()),
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            client_cert: Some(garbage.into()),
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            retry: Some(RetryPolicy {
                attempts: 0,
                ..Default::default()
            }),
            ..Default::default()
        }),
        bad
    );
    assert_eq!(
        invalid(ClientOptions {
            max_connections: Some(2),
            pool_max_idle_per_host: Some(0),
            ..Default::default()
        }),
        bad
    );

    let c = client(ClientOptions::default());
    let refused = |spec: RequestSpec| c.request(spec).err().map(|e| e.code);
    assert_eq!(refused(get("relative/without/base")), bad);
    assert_eq!(refused(get("http://")), bad);
    assert_eq!(
        refused(RequestSpec {
            method: "GE T".into(),
            ..get("http://127.0.0.1/")
        }),
        bad
    );
    let crlf = RequestSpec {
        headers: vec![("X-Evil".into(), "1\r\nInjected: yes".into())],
        ..get("http://127.0.0.1/")
    };
    let e = c.request(crlf).err().unwrap();
    assert!(e.message.contains("X-Evil"), "{}", e.message);
    assert_eq!(
        refused(RequestSpec {
            headers: vec![("Bad:Name".into(), "v".into())],
            ..get("http://127.0.0.1/")
        }),
        bad
    );
    assert!(Body::from_parts(Some(json!(1)), Some(vec![]), None).is_err());
}

#[test]
fn a_native_batch_of_20000_gets() {
    let s = server();
    let c = client(ClientOptions::default());
    let url = format!("{}/bytes/1024", s.http_url());
    let ops: Vec<Op> = (0..20_000)
        .map(|_| c.request(get(url.as_str())).unwrap())
        .collect();
    let started = Instant::now();
    let rt = runtime::handle();
    let batch = rt.spawn(settle(
        ops,
        Options {
            limit: Some(64),
            ..Default::default()
        },
        None,
    ));
    let outcomes = rt.block_on(batch).unwrap();
    let took = started.elapsed();
    let fulfilled = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(Value::Response(r)) if r.content.len() == 1024))
        .count();
    assert_eq!(fulfilled, 20_000);
    eprintln!(
        "20,000 GETs of 1 KiB, 64 in flight: {:.0} req/s ({took:?})",
        20_000.0 / took.as_secs_f64()
    );
}

#[test]
fn head_over_h2_has_headers_and_no_body() {
    let s = server();
    let c = client(ClientOptions {
        http2: Http2Mode::PriorKnowledge,
        ..Default::default()
    });
    let spec = RequestSpec {
        method: "HEAD".into(),
        url: format!("{}/bytes/100", s.http_url()),
        ..Default::default()
    };
    let r = ok(send(&c, spec));
    assert_eq!(
        (r.status, r.http_version, r.content.len()),
        (200, "HTTP/2", 0)
    );
    assert_eq!(r.headers["content-length"], "100");
}
