//! `HttpClient`: the core's `Client` behind a napi class. JS builds one from a checked,
//! flattened options object and makes every request through `request`, which returns a
//! native op handle (lazy: nothing is sent until JS awaits or settles it).

use bytes::Bytes;
use fanio_core::http::{
    Body, Client, ClientOptions, Http2Mode, RequestSpec, RetryPolicy, SizeLimit,
};
use fanio_core::{Code, Error, Result};
use napi::Env;
use napi::bindgen_prelude::Buffer;
use napi_derive::napi;

use super::{count, ms, pairs};
use crate::error::ThrowJs;
use crate::native_op::hold;

/// Client options as `http.js` passes them: camelCase, durations in ms, header pairs
/// flattened. Absent fields keep the core's defaults.
#[napi(object)]
pub struct ClientConfig {
    pub base_url: Option<String>,
    pub headers: Option<Vec<String>>,
    pub timeout: Option<f64>,
    /// The caller passed `timeout: null`: no total time limit at all.
    pub no_timeout: Option<bool>,
    pub connect_timeout: Option<f64>,
    pub read_timeout: Option<f64>,
    pub pool_max_idle_per_host: Option<f64>,
    pub max_connections: Option<f64>,
    pub max_connections_per_host: Option<f64>,
    pub http2: Option<String>,
    pub follow_redirects: Option<bool>,
    pub max_redirects: Option<f64>,
    pub verify: Option<bool>,
    pub ca_certs: Option<String>,
    pub client_cert: Option<String>,
    pub client_key: Option<String>,
    pub proxy: Option<String>,
    pub cookies: Option<bool>,
    pub user_agent: Option<String>,
    pub retry: Option<RetryConfig>,
    pub max_response_size: Option<f64>,
    /// The caller passed `maxResponseSize: null`: no size limit at all.
    pub no_max_response_size: Option<bool>,
    pub error_for_status: Option<bool>,
}

/// A retry policy as JS passes it (durations in ms); absent fields keep the core's
/// defaults.
#[napi(object)]
pub struct RetryConfig {
    pub attempts: Option<f64>,
    pub backoff: Option<f64>,
    pub backoff_max: Option<f64>,
    pub jitter: Option<bool>,
    pub on_status: Option<Vec<f64>>,
    pub on_connect_error: Option<bool>,
    pub respect_retry_after: Option<bool>,
    pub methods: Option<Vec<String>>,
}

/// One request's options as `http.js` passes them (pairs flattened, a string body
/// already turned into bytes, JSON already serialized).
#[napi(object)]
pub struct RequestConfig {
    pub params: Option<Vec<String>>,
    pub headers: Option<Vec<String>>,
    /// The JSON body as text (`JSON.stringify` of the caller's value).
    pub json: Option<String>,
    pub form: Option<Vec<String>>,
    pub content: Option<Buffer>,
    pub timeout: Option<f64>,
    pub error_for_status: Option<bool>,
}

fn client_options(c: ClientConfig) -> Result<ClientOptions> {
    let mut o = ClientOptions {
        base_url: c.base_url,
        headers: pairs(c.headers),
        ..Default::default()
    };
    if c.no_timeout == Some(true) {
        o.timeout = None;
    } else if let Some(t) = ms(c.timeout, "timeout")? {
        o.timeout = Some(t);
    }
    o.connect_timeout = ms(c.connect_timeout, "connectTimeout")?;
    o.read_timeout = ms(c.read_timeout, "readTimeout")?;
    o.pool_max_idle_per_host = count(c.pool_max_idle_per_host, "poolMaxIdlePerHost")?;
    o.max_connections = count(c.max_connections, "maxConnections")?;
    o.max_connections_per_host = count(c.max_connections_per_host, "maxConnectionsPerHost")?;
    if let Some(mode) = &c.http2 {
        o.http2 = Http2Mode::parse(mode)?;
    }
    o.follow_redirects = c.follow_redirects.unwrap_or(o.follow_redirects);
    o.max_redirects = count(c.max_redirects, "maxRedirects")?.unwrap_or(o.max_redirects);
    o.verify = c.verify.unwrap_or(o.verify);
    o.ca_certs = c.ca_certs;
    o.client_cert = c.client_cert;
    o.client_key = c.client_key;
    o.proxy = c.proxy;
    o.cookies = c.cookies.unwrap_or(o.cookies);
    o.user_agent = c.user_agent.unwrap_or(o.user_agent);
    o.retry = c.retry.map(retry_policy).transpose()?;
    if c.no_max_response_size == Some(true) {
        o.max_response_size = SizeLimit::Unlimited;
    } else if let Some(n) = count(c.max_response_size, "maxResponseSize")? {
        o.max_response_size = SizeLimit::Bytes(n);
    }
    o.error_for_status = c.error_for_status.unwrap_or(o.error_for_status);
    Ok(o)
}

fn retry_policy(r: RetryConfig) -> Result<RetryPolicy> {
    let mut p = RetryPolicy::default();
    p.attempts = count(r.attempts, "retry.attempts")?.unwrap_or(p.attempts);
    p.backoff = ms(r.backoff, "retry.backoff")?.unwrap_or(p.backoff);
    p.backoff_max = ms(r.backoff_max, "retry.backoffMax")?.unwrap_or(p.backoff_max);
    p.jitter = r.jitter.unwrap_or(p.jitter);
    if let Some(statuses) = r.on_status {
        p.on_status = statuses
            .into_iter()
            .map(|s| {
                // Out of u16's range is no HTTP status: 0 makes the core say so.
                Ok(count::<u32>(Some(s), "retry.onStatus")?
                    .and_then(|n| u16::try_from(n).ok())
                    .unwrap_or(0))
            })
            .collect::<Result<_>>()?;
    }
    p.on_connect_error = r.on_connect_error.unwrap_or(p.on_connect_error);
    p.respect_retry_after = r.respect_retry_after.unwrap_or(p.respect_retry_after);
    p.methods = r.methods.unwrap_or(p.methods);
    Ok(p)
}

fn request_spec(
    method: String,
    url: String,
    r: Option<RequestConfig>,
    stream: bool,
) -> Result<RequestSpec> {
    let mut spec = RequestSpec {
        method,
        url,
        stream,
        ..Default::default()
    };
    let Some(r) = r else { return Ok(spec) };
    let json = r
        .json
        .map(|text| {
            fanio_core::depth::parse_json(&text)
                .map_err(|e| Error::invalid(format!("json body is not serializable: {e}")))
        })
        .transpose()?;
    let form = r.form.map(|flat| pairs(Some(flat)));
    let content = r.content.map(|b| Bytes::copy_from_slice(&b));
    spec.body = Body::from_parts(json, form, content)?;
    spec.params = pairs(r.params);
    spec.headers = pairs(r.headers);
    spec.timeout = ms(r.timeout, "timeout")?;
    spec.error_for_status = r.error_for_status;
    Ok(spec)
}

/// An HTTP client; JS wraps it in the public `Client` class.
#[napi]
pub struct HttpClient {
    /// Let go on close, so the connection pool (and every idle socket in it) goes with
    /// it at once rather than when JS collects this object.
    client: Option<Client>,
}

/// Builds a client; bad options throw E_INVALID_ARGUMENT.
#[napi]
pub fn http_client(env: Env, config: ClientConfig) -> napi::Result<HttpClient> {
    let client = client_options(config)
        .and_then(Client::new)
        .map_err(|e| e.throw(&env))?;
    Ok(HttpClient {
        client: Some(client),
    })
}

#[napi]
impl HttpClient {
    /// The lazy op of one request; bad input and a closed client throw here, before any
    /// I/O. `stream`: resolve at the head and leave the body to `Response.nextChunk`.
    #[napi]
    pub fn request(
        &self,
        env: Env,
        method: String,
        url: String,
        config: Option<RequestConfig>,
        stream: bool,
    ) -> napi::Result<u32> {
        let Some(client) = &self.client else {
            return Err(Error::new(Code::Closed, "the HTTP client was closed").throw(&env));
        };
        request_spec(method, url, config, stream)
            .and_then(|spec| client.request(spec))
            .map(hold)
            .map_err(|e| e.throw(&env))
    }

    /// Closes the client: later requests throw E_CLOSED, requests in flight end with
    /// E_CANCELLED, idle connections close once those are gone.
    #[napi]
    pub fn close(&mut self) {
        if let Some(client) = self.client.take() {
            client.close();
        }
    }

    #[napi(getter)]
    pub fn closed(&self) -> bool {
        self.client.is_none()
    }
}
