//! The bodies of the fuzz targets (`fuzz/fuzz_targets/`), one function per target, so
//! the fuzzer and the corpus regression test (`core/tests/fuzz_corpus.rs`, run by
//! `make test`) run the same code. Each takes any bytes, may refuse them with an error,
//! and panics only when a property of the code under test is broken.

use url::Url;

use crate::depth::{self, MAX_DEPTH};
use crate::http::request::{self, Body, RequestSpec};
use crate::redact;

/// A target's body: any bytes in, a panic only when a property breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus folder (`fuzz/corpus/<name>/`).
pub const TARGETS: [(&str, Target); 4] = [
    ("http_request", http_request),
    ("json", json),
    ("pg_value", pg_value),
    ("pg_rewrite", pg_rewrite),
];

/// Input fields are separated by 0xFF, a byte no UTF-8 text holds.
fn fields(data: &[u8]) -> Vec<String> {
    data.split(|&b| b == 0xFF)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// A request as a binding hands it over: base URL, URL, method, then name/value pairs
/// that go to the query (`?`-prefixed names) or the headers, and a JSON body if the
/// last field is JSON. A request that is taken has an http(s) URL with a host, and no
/// CR, LF or NUL reached its URL or a header; a URL's password never survives
/// redaction.
pub fn http_request(data: &[u8]) {
    let f = fields(data);
    let get = |i: usize| f.get(i).map_or("", String::as_str);
    for raw in [get(0), get(1)] {
        redaction_hides_the_password(raw);
    }
    let base = if get(0).is_empty() {
        None
    } else {
        match request::base_url(get(0)) {
            Ok(url) => Some(url),
            Err(_) => return,
        }
    };
    let mut spec = RequestSpec {
        method: get(2).to_owned(),
        url: get(1).to_owned(),
        ..RequestSpec::default()
    };
    for pair in f.get(3..).unwrap_or_default().chunks(2) {
        let [name, value] = pair else { break };
        match name.strip_prefix('?') {
            Some(key) => spec.params.push((key.to_owned(), value.to_owned())),
            None => spec.headers.push((name.clone(), value.clone())),
        }
    }
    if f.len() > 3
        && let Ok(doc) = depth::parse_json(get(f.len() - 1))
    {
        spec.body = Body::Json(doc);
    }
    let sent_params = spec.params.clone();
    let Ok(req) = request::prepare(base.as_ref(), spec) else {
        return;
    };
    let url = req.url();
    assert!(matches!(url.scheme(), "http" | "https"), "{url}");
    assert!(url.host_str().is_some_and(|h| !h.is_empty()), "{url}");
    assert!(!url.as_str().contains(['\r', '\n', '\0']), "{url:?}");
    // Params are data: each one comes back from the query as given.
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    assert!(
        query.ends_with(&sent_params),
        "{sent_params:?} not in {query:?}"
    );
    for (name, value) in req.headers() {
        assert!(
            !value
                .as_bytes()
                .iter()
                .any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "header {name}: {value:?}"
        );
    }
    redaction_hides_the_password(url.as_str());
}

/// What `redact::url` makes of `raw` shows neither its user-info password nor the value
/// of a `password=` query parameter, as a URL parser reads them.
fn redaction_hides_the_password(raw: &str) {
    let shown = redact::url(raw);
    let Ok(url) = Url::parse(raw) else {
        return;
    };
    let Ok(again) = Url::parse(&shown) else {
        return;
    };
    if let Some(p) = url.password().filter(|p| !p.is_empty() && *p != "***") {
        assert_ne!(again.password(), Some(p), "{raw:?} shown as {shown:?}");
    }
    for (key, value) in again.query_pairs() {
        if key.eq_ignore_ascii_case("password") && !value.is_empty() {
            assert_eq!(value, "***", "{raw:?} shown as {shown:?}");
        }
    }
}

/// JSON text as a caller gives it (a body, a parameter): refused when it nests deeper
/// than MAX_DEPTH, never by overflowing a stack; when taken, it nests no deeper than
/// the scan said, and it survives serializing and parsing again unchanged.
pub fn json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let scanned = depth::json_text_depth(&text);
    let Ok(doc) = depth::parse_json(&text) else {
        return;
    };
    assert!(scanned <= MAX_DEPTH);
    // At most: a key given twice keeps its last value, which may nest less.
    assert!(nesting(&doc) <= scanned, "{text:?}");
    let again = depth::parse_json(&serde_json::to_string(&doc).expect("a document serializes"))
        .expect("a serialized document parses");
    assert_eq!(again, doc);
}

fn nesting(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(a) => 1 + a.iter().map(nesting).max().unwrap_or(0),
        serde_json::Value::Object(o) => 1 + o.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// A Postgres binary value of a type the first byte picks (see `db/pg/fuzz.rs`).
pub fn pg_value(data: &[u8]) {
    crate::db::pg_fuzz::value(data);
}

/// An `execute_many` statement for the INSERT rewriter (see `db/pg/fuzz.rs`).
pub fn pg_rewrite(data: &[u8]) {
    crate::db::pg_fuzz::insert(data);
}
