//! The native half of `fanio.Client` (`fanio._http` holds the Python half): options
//! into `ClientOptions`, request arguments into a `RequestSpec`, and the core's lazy op
//! back as a `fanio.Op`. Every check that is not about Python types is the core's.

use fanio_core::Unit;
use fanio_core::http::{Body, Client, ClientOptions, Http2Mode, RequestSpec, SizeLimit};
use pyo3::prelude::*;

use super::args::{Scalars, content, count, flag, opt_flag, pairs, size, text, text_or_path};
use super::json::to_json;
use super::retry::Retry;
use crate::args::number;
use crate::error::{ResultExt, invalid};
use crate::op::Op;

#[pyclass(frozen, module = "fanio._fanio")]
pub struct HttpClient(Client);

/// Optional seconds as a duration (None: not set).
fn duration(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    name: &str,
) -> PyResult<Option<std::time::Duration>> {
    Unit::Seconds
        .duration(number(py, value, name)?, name)
        .or_raise(py)
}

fn required_text(py: Python<'_>, value: &Bound<'_, PyAny>, name: &str) -> PyResult<String> {
    text(py, Some(value), name)?
        .ok_or_else(|| invalid(py, format!("{name} must be a str, got None")))
}

#[pymethods]
impl HttpClient {
    /// `timeout` has no default here: the Python half always passes it, and None means
    /// no total limit; `no_max_response_size`: the caller passed None, no size limit.
    /// Every other None means "the core's default".
    #[new]
    #[pyo3(signature = (base_url, headers, timeout, connect_timeout, read_timeout, pool_max_idle_per_host,
                        max_connections, max_connections_per_host, http2, follow_redirects, max_redirects,
                        verify, ca_certs, client_cert, client_key, proxy, cookies, user_agent, retry,
                        max_response_size, no_max_response_size, error_for_status))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        base_url: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        connect_timeout: Option<&Bound<'_, PyAny>>,
        read_timeout: Option<&Bound<'_, PyAny>>,
        pool_max_idle_per_host: Option<&Bound<'_, PyAny>>,
        max_connections: Option<&Bound<'_, PyAny>>,
        max_connections_per_host: Option<&Bound<'_, PyAny>>,
        http2: &Bound<'_, PyAny>,
        follow_redirects: &Bound<'_, PyAny>,
        max_redirects: &Bound<'_, PyAny>,
        verify: &Bound<'_, PyAny>,
        ca_certs: Option<&Bound<'_, PyAny>>,
        client_cert: Option<&Bound<'_, PyAny>>,
        client_key: Option<&Bound<'_, PyAny>>,
        proxy: Option<&Bound<'_, PyAny>>,
        cookies: &Bound<'_, PyAny>,
        user_agent: Option<&Bound<'_, PyAny>>,
        retry: Option<&Bound<'_, PyAny>>,
        max_response_size: Option<&Bound<'_, PyAny>>,
        no_max_response_size: bool,
        error_for_status: &Bound<'_, PyAny>,
    ) -> PyResult<Self> {
        let defaults = ClientOptions::default();
        let retry = match retry.filter(|r| !r.is_none()) {
            None => None,
            Some(r) => Some(
                r.cast::<Retry>()
                    .map_err(|_| {
                        invalid(
                            py,
                            format!(
                                "retry must be a fanio.Retry or None, got {}",
                                r.get_type()
                                    .name()
                                    .map(|n| n.to_string())
                                    .unwrap_or_default()
                            ),
                        )
                    })?
                    .get()
                    .policy(),
            ),
        };
        let opts = ClientOptions {
            base_url: text(py, base_url, "base_url")?,
            headers: pairs(py, headers, Scalars::Text, "headers")?,
            timeout: duration(py, timeout, "timeout")?,
            connect_timeout: duration(py, connect_timeout, "connect_timeout")?,
            read_timeout: duration(py, read_timeout, "read_timeout")?,
            pool_max_idle_per_host: size(py, pool_max_idle_per_host, "pool_max_idle_per_host")?,
            max_connections: size(py, max_connections, "max_connections")?,
            max_connections_per_host: size(
                py,
                max_connections_per_host,
                "max_connections_per_host",
            )?,
            http2: Http2Mode::parse(&required_text(py, http2, "http2")?).or_raise(py)?,
            follow_redirects: flag(py, follow_redirects, "follow_redirects")?,
            max_redirects: size(py, Some(max_redirects), "max_redirects")?
                .unwrap_or(defaults.max_redirects),
            verify: flag(py, verify, "verify")?,
            ca_certs: text_or_path(py, ca_certs, "ca_certs")?,
            client_cert: text_or_path(py, client_cert, "client_cert")?,
            client_key: text_or_path(py, client_key, "client_key")?,
            proxy: text(py, proxy, "proxy")?,
            cookies: flag(py, cookies, "cookies")?,
            user_agent: text(py, user_agent, "user_agent")?.unwrap_or(defaults.user_agent),
            retry,
            max_response_size: match count(py, max_response_size, "max_response_size")? {
                Some(n) => SizeLimit::Bytes(n),
                None if no_max_response_size => SizeLimit::Unlimited,
                None => SizeLimit::Default,
            },
            error_for_status: flag(py, error_for_status, "error_for_status")?,
        };
        Ok(HttpClient(Client::new(opts).or_raise(py)?))
    }

    /// The op of one request; bad input and a closed client raise here, before any I/O.
    #[pyo3(signature = (method, url, params, headers, json, form, content, timeout, error_for_status, stream))]
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        params: Option<&Bound<'_, PyAny>>,
        headers: Option<&Bound<'_, PyAny>>,
        json: Option<&Bound<'_, PyAny>>,
        form: Option<&Bound<'_, PyAny>>,
        content: Option<&Bound<'_, PyAny>>,
        timeout: Option<&Bound<'_, PyAny>>,
        error_for_status: Option<&Bound<'_, PyAny>>,
        stream: bool,
    ) -> PyResult<Op> {
        let json = json
            .filter(|j| !j.is_none())
            .map(|j| to_json(py, j))
            .transpose()?;
        let form = form
            .filter(|f| !f.is_none())
            .map(|f| pairs(py, Some(f), Scalars::Query, "form"))
            .transpose()?;
        let spec = RequestSpec {
            method: required_text(py, method, "method")?,
            url: required_text(py, url, "url")?,
            params: pairs(py, params, Scalars::Query, "params")?,
            headers: pairs(py, headers, Scalars::Text, "headers")?,
            body: Body::from_parts(json, form, self::content(py, content)?).or_raise(py)?,
            timeout: duration(py, timeout, "timeout")?,
            error_for_status: opt_flag(py, error_for_status, "error_for_status")?,
            stream,
        };
        Ok(Op(self.0.request(spec).or_raise(py)?))
    }

    /// New requests raise ClosedError; those in flight end with Cancelled.
    fn close(&self) {
        self.0.close();
    }

    #[getter]
    fn closed(&self) -> bool {
        self.0.is_closed()
    }
}
