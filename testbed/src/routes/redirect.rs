//! Redirect chains and arbitrary redirects. The server only points elsewhere; what a
//! client does with method and body (303 -> GET, 307/308 keep them) shows in `/echo`.

use hyper::body::Incoming;
use hyper::header::{HOST, HeaderValue, LOCATION};
use hyper::{Request, StatusCode};

use super::{Reject, Reply, bounded, number, param, text};
use crate::body::Body;
use crate::conn::Listener;

/// `ANY /redirect/{n}?code=302&kind=relative|absolute`: to `/redirect/{n-1}` with the
/// same query, and from `/redirect/0` to `/echo`.
pub fn chain(listener: Listener, req: &Request<Incoming>, n: &str) -> Reply {
    let n = bounded::<u32>(n, "n", 1000)?;
    let query = req.uri().query();
    let status = redirect_status(query)?;
    let target = match (n, query) {
        (0, _) => "/echo".to_string(),
        (n, Some(q)) => format!("/redirect/{}?{q}", n - 1),
        (n, None) => format!("/redirect/{}", n - 1),
    };
    let location = match param(query, "kind").as_deref() {
        None | Some("relative") => target,
        Some("absolute") => {
            // HTTP/2 and absolute-form requests carry the authority in the URI.
            let host = match req.uri().authority() {
                Some(authority) => authority.as_str(),
                None => req
                    .headers()
                    .get(HOST)
                    .and_then(|h| h.to_str().ok())
                    .ok_or_else(|| Reject::bad("kind=absolute needs a Host header"))?,
            };
            format!("{}://{host}{target}", listener.scheme())
        }
        Some(other) => {
            return Err(Reject::bad(format!(
                "kind must be relative or absolute, got {other:?}"
            )));
        }
    };
    redirect(status, &location)
}

/// `ANY /redirect-to?url=U&code=C`
pub fn to(query: Option<&str>) -> Reply {
    let status = redirect_status(query)?;
    let url = param(query, "url").ok_or_else(|| Reject::bad("url is required"))?;
    redirect(status, &url)
}

fn redirect_status(query: Option<&str>) -> Result<StatusCode, Reject> {
    let code = number::<u16>(query, "code", 302, 399)?;
    StatusCode::from_u16(code)
        .ok()
        .filter(StatusCode::is_redirection)
        .ok_or_else(|| Reject::bad(format!("code must be a 3xx status, got {code}")))
}

fn redirect(status: StatusCode, location: &str) -> Reply {
    let value = HeaderValue::try_from(location)
        .map_err(|_| Reject::bad(format!("{location:?} cannot be a Location header")))?;
    let mut response = text(status, Body::empty());
    response.headers_mut().insert(LOCATION, value);
    Ok(response)
}
