//! `/cookies/set` and `/cookies`: enough of a cookie server to test a client's jar.

use hyper::body::Incoming;
use hyper::header::{COOKIE, HeaderValue, SET_COOKIE};
use hyper::{Request, Response};
use serde_json::{Map, json};

use super::{Reject, Reply, with_type};
use crate::body::Body;

/// `GET /cookies/set?name=value&...`: one `Set-Cookie` (Path=/) per parameter.
pub fn set(query: Option<&str>) -> Reply {
    let mut response = with_type("application/json", "{}");
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        let cookie = HeaderValue::try_from(format!("{name}={value}; Path=/"))
            .map_err(|_| Reject::bad(format!("cookie {name:?} cannot be a header value")))?;
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    Ok(response)
}

/// `GET /cookies`: `{"cookies": {name: value}}` from every Cookie header (HTTP/2
/// clients may split them).
pub fn list(req: &Request<Incoming>) -> Response<Body> {
    let mut cookies = Map::new();
    let pairs = req
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='));
    for (name, value) in pairs {
        cookies.insert(name.to_string(), value.into());
    }
    super::json(&json!({ "cookies": cookies }))
}
