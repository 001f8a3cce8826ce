//! One request as plain data from a binding, and its checked form: method, URL with
//! query, headers and body turned into a `reqwest::Request` before any I/O, so a bad
//! input fails at the call, not later inside a batch.

use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method};
use url::Url;

use crate::error::{Error, Result};
use crate::redact;

/// A request body. Only one kind can be given per request.
#[derive(Clone, Debug, Default)]
pub enum Body {
    #[default]
    None,
    /// Serialized as JSON, `Content-Type: application/json` unless set.
    Json(serde_json::Value),
    /// URL-encoded, `Content-Type: application/x-www-form-urlencoded` unless set.
    Form(Vec<(String, String)>),
    /// Sent as is.
    Content(Bytes),
}

impl Body {
    /// The body from the three ways a host API accepts one; more than one given is
    /// E_INVALID_ARGUMENT.
    pub fn from_parts(
        json: Option<serde_json::Value>,
        form: Option<Vec<(String, String)>>,
        content: Option<Bytes>,
    ) -> Result<Body> {
        match (json, form, content) {
            (None, None, None) => Ok(Body::None),
            (Some(j), None, None) => Ok(Body::Json(j)),
            (None, Some(f), None) => Ok(Body::Form(f)),
            (None, None, Some(c)) => Ok(Body::Content(c)),
            _ => Err(Error::invalid(
                "give at most one body: json, form or content",
            )),
        }
    }
}

/// One request as a binding hands it over.
#[derive(Clone, Debug, Default)]
pub struct RequestSpec {
    /// Any token (`GET`, `post`, `PROPFIND`); standard methods are upper-cased.
    pub method: String,
    /// Absolute, or relative to the client's `base_url`.
    pub url: String,
    /// Appended to the URL's query, in order.
    pub params: Vec<(String, String)>,
    /// Multi-valued: a name given twice is sent twice.
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Replaces the client's total timeout for this request.
    pub timeout: Option<Duration>,
    /// Replaces the client's `error_for_status` for this request.
    pub error_for_status: Option<bool>,
    /// Resolve once the head has arrived and leave the body to `Response::next_chunk`.
    pub stream: bool,
}

/// A client's `base_url`, checked as a request URL is.
pub(crate) fn base_url(raw: &str) -> Result<Url> {
    no_controls(raw, "base_url")?;
    let url = Url::parse(raw)
        .map_err(|e| Error::invalid(format!("invalid base_url {:?}: {e}", redact::url(raw))))?;
    check_scheme(&url, "base_url")?;
    Ok(url)
}

/// `spec` as the request that would be sent (before the client's default headers):
/// every check a request makes before any I/O. The fuzz targets run this too.
pub(crate) fn prepare(base: Option<&Url>, spec: RequestSpec) -> Result<reqwest::Request> {
    let method = method(&spec.method)?;
    let url = url(base, &spec.url, &spec.params)?;
    let mut map = HeaderMap::new();
    headers(&mut map, &spec.headers)?;
    let body = body(spec.body, &mut map)?;
    let mut req = reqwest::Request::new(method, url);
    *req.headers_mut() = map;
    *req.body_mut() = body.map(reqwest::Body::from);
    Ok(req)
}

/// The method named `name`: standard methods in any case, other tokens as given.
pub(crate) fn method(name: &str) -> Result<Method> {
    const STANDARD: [Method; 9] = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::HEAD,
        Method::OPTIONS,
        Method::PATCH,
        Method::TRACE,
        Method::CONNECT,
    ];
    if let Some(m) = STANDARD
        .iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(name))
    {
        return Ok(m.clone());
    }
    Method::from_bytes(name.as_bytes())
        .map_err(|_| Error::invalid(format!("{name:?} is not a valid HTTP method")))
}

/// The absolute URL of a request with its params appended. Params are data and go
/// out percent-encoded as given (a newline in a value is `%0A`); the URL text itself
/// must be what is sent, so CR, LF and NUL in it are refused (see `no_controls`).
pub(crate) fn url(base: Option<&Url>, raw: &str, params: &[(String, String)]) -> Result<Url> {
    no_controls(raw, "URL")?;
    let parsed = match base {
        Some(base) => base.join(raw),
        None => Url::parse(raw),
    };
    let mut url = parsed.map_err(|e| {
        let raw = redact::url(raw);
        match base {
            Some(base) => Error::invalid(format!(
                "invalid URL {raw:?} (relative to {}): {e}",
                redact::url(base.as_str())
            )),
            None => Error::invalid(format!("invalid URL {raw:?}: {e}")),
        }
    })?;
    check_scheme(&url, "URL")?;
    if !params.is_empty() {
        url.query_pairs_mut().extend_pairs(params);
    }
    Ok(url)
}

/// Refuses URL text holding CR, LF or NUL. A URL parser strips CR and LF silently
/// (WHATWG) and percent-encodes NUL, so what would be sent is not what was given: a
/// caller who put them there was either mistaken or is being attacked (header
/// splitting), and either way should hear of it before anything is sent.
pub(crate) fn no_controls(raw: &str, what: &str) -> Result<()> {
    if raw.contains(['\r', '\n', '\0']) {
        return Err(Error::invalid(format!(
            "{what} {:?} holds a CR, LF or NUL character",
            redact::url(raw)
        )));
    }
    Ok(())
}

/// Only http and https URLs with a host can be requested.
pub(crate) fn check_scheme(url: &Url, what: &str) -> Result<()> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::invalid(format!(
            "{what} {}: scheme must be http or https",
            redact::url(url.as_str())
        )));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid(format!(
            "{what} {}: no host",
            redact::url(url.as_str())
        )));
    }
    Ok(())
}

/// Appends `pairs` to `map`, refusing names and values that are not valid header text
/// (CR, LF and other control characters included), naming the offending header.
pub(crate) fn headers(map: &mut HeaderMap, pairs: &[(String, String)]) -> Result<()> {
    for (name, value) in pairs {
        let name_ok = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| Error::invalid(format!("invalid header name {name:?}")))?;
        let value_ok = HeaderValue::from_str(value).map_err(|_| {
            Error::invalid(format!(
                "invalid value for header {name:?}: only visible ASCII characters are allowed"
            ))
        })?;
        map.append(name_ok, value_ok);
    }
    Ok(())
}

/// Serializes the body and sets its content type unless the caller set one.
pub(crate) fn body(body: Body, headers: &mut HeaderMap) -> Result<Option<Bytes>> {
    let (bytes, kind) = match body {
        Body::None => return Ok(None),
        Body::Content(c) => return Ok(Some(c)),
        Body::Json(v) => {
            let bytes =
                serde_json::to_vec(&v).map_err(|e| Error::invalid(format!("json body: {e}")))?;
            (bytes, "application/json")
        }
        Body::Form(pairs) => {
            let text = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&pairs)
                .finish();
            (text.into_bytes(), "application/x-www-form-urlencoded")
        }
    };
    headers
        .entry(CONTENT_TYPE)
        .or_insert(HeaderValue::from_static(kind));
    Ok(Some(Bytes::from(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn one_body_at_most() {
        assert!(matches!(Body::from_parts(None, None, None), Ok(Body::None)));
        assert!(matches!(
            Body::from_parts(Some(serde_json::json!(1)), None, None),
            Ok(Body::Json(_))
        ));
        let two = Body::from_parts(
            Some(serde_json::json!(1)),
            None,
            Some(Bytes::from_static(b"x")),
        );
        assert_eq!(two.unwrap_err().code, Code::InvalidArgument);
    }

    #[test]
    fn methods_are_upper_cased_and_checked() {
        assert_eq!(method("get").unwrap(), Method::GET);
        assert_eq!(method("PROPFIND").unwrap().as_str(), "PROPFIND");
        assert_eq!(method("GE T").unwrap_err().code, Code::InvalidArgument);
        assert_eq!(method("").unwrap_err().code, Code::InvalidArgument);
    }

    #[test]
    fn urls_join_the_base_and_take_params() {
        let base = Url::parse("http://h:1/api/").unwrap();
        let u = url(
            Some(&base),
            "items?a=1",
            &[("b".into(), "x y".into()), ("b".into(), "&".into())],
        )
        .unwrap();
        assert_eq!(u.as_str(), "http://h:1/api/items?a=1&b=x+y&b=%26");
        assert_eq!(
            url(Some(&base), "http://other/x", &[]).unwrap().host_str(),
            Some("other")
        );
        for bad in ["not a url", "/relative", "ftp://h/x", "http://"] {
            assert_eq!(
                url(None, bad, &[]).unwrap_err().code,
                Code::InvalidArgument,
                "{bad}"
            );
        }
    }

    #[test]
    fn headers_refuse_crlf_and_name_the_header() {
        let mut map = HeaderMap::new();
        headers(
            &mut map,
            &[("X-A".into(), "1".into()), ("x-a".into(), "2".into())],
        )
        .unwrap();
        assert_eq!(map.get_all("x-a").iter().count(), 2);
        let e = headers(&mut map, &[("X-Evil".into(), "a\r\nInjected: 1".into())]).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument);
        assert!(e.message.contains("X-Evil"));
        assert!(headers(&mut map, &[("Bad Name".into(), "v".into())]).is_err());
        assert!(headers(&mut map, &[("X-Bell".into(), "\u{7}".into())]).is_err());
    }

    #[test]
    fn bodies_get_a_content_type_unless_given() {
        let mut h = HeaderMap::new();
        let b = body(Body::Form(vec![("a".into(), "1 2".into())]), &mut h)
            .unwrap()
            .unwrap();
        assert_eq!(&b[..], b"a=1+2");
        assert_eq!(h[CONTENT_TYPE], "application/x-www-form-urlencoded");
        let mut h = HeaderMap::new();
        h.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/vnd+json"),
        );
        body(Body::Json(serde_json::json!({"k": 1})), &mut h).unwrap();
        assert_eq!(h[CONTENT_TYPE], "application/vnd+json");
    }
}
