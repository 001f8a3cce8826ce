//! `ANY /echo[/anything]`: what arrived, as JSON, so tests assert on what a client really
//! sent (method, headers in order, body bytes, protocol, proxying).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::{Request, StatusCode, Version};
use serde_json::{Map, Value, json};

use super::{Reject, Reply};

/// Echoed bodies are held in memory; larger uploads are refused.
const MAX_BODY: usize = 64 << 20;

pub async fn echo(req: Request<Incoming>, proxied: bool) -> Reply {
    let (parts, body) = req.into_parts();
    let body = Limited::new(body, MAX_BODY)
        .collect()
        .await
        .map_err(|e| Reject {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            reason: format!("could not read the body: {e}").into(),
        })?
        .to_bytes();

    let query = parts.uri.query().unwrap_or("");
    let mut args = Map::new();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Value::Array(values) = args
            .entry(name.into_owned())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            values.push(value.into_owned().into());
        }
    }
    // hyper keeps headers in arrival order, except that repeats of a name are grouped
    // behind its first occurrence.
    let headers: Vec<Value> = parts
        .headers
        .iter()
        .map(|(name, value)| json!([name.as_str(), String::from_utf8_lossy(value.as_bytes())]))
        .collect();
    let version = match parts.version {
        Version::HTTP_09 => "HTTP/0.9",
        Version::HTTP_10 => "HTTP/1.0",
        Version::HTTP_2 => "HTTP/2",
        Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    };
    Ok(super::json(&json!({
        "method": parts.method.as_str(),
        "path": parts.uri.path(),
        "query": query,
        "args": args,
        "headers": headers,
        "body": std::str::from_utf8(&body).ok(),
        "body_base64": STANDARD.encode(&body),
        "body_len": body.len(),
        "http_version": version,
        "proxied": proxied,
    })))
}
