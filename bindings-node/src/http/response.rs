//! `Response`: one napi object per response whose getters read the core's `Response`
//! when asked, so a batch of 20,000 responses costs one object each and nothing is
//! converted that the caller never reads. `http.js` adds the JS-side parts (the
//! headers view, `json`, `body`) to this class's prototype.

use std::sync::Arc;

use fanio_core::http;
use napi::Env;
use napi::bindgen_prelude::BufferSlice;
use napi_derive::napi;

use crate::error::ThrowJs;
use crate::native_op::hold;

#[napi]
pub struct Response {
    inner: Arc<http::Response>,
}

impl Response {
    pub fn new(inner: Arc<http::Response>) -> Self {
        Response { inner }
    }
}

#[napi]
impl Response {
    #[napi(getter)]
    pub fn status(&self) -> u32 {
        self.inner.status.into()
    }

    #[napi(getter)]
    pub fn reason(&self) -> &'static str {
        self.inner.reason
    }

    /// The final URL, after redirects.
    #[napi(getter)]
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    #[napi(getter)]
    pub fn http_version(&self) -> &'static str {
        self.inner.http_version
    }

    /// ms from the start of the request to the body read (to the head when streamed).
    #[napi(getter)]
    pub fn elapsed(&self) -> f64 {
        self.inner.elapsed.as_secs_f64() * 1000.0
    }

    #[napi(getter)]
    pub fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    /// Whether the body is left to `nextChunk`.
    #[napi(getter, js_name = "_streamed")]
    pub fn streamed(&self) -> bool {
        self.inner.is_streamed()
    }

    /// The headers as `[name, value, name, value, ...]`, names in lower case, in the
    /// order received (a repeated header once per value).
    #[napi(js_name = "_rawHeaders")]
    pub fn raw_headers(&self) -> Vec<String> {
        let mut flat = Vec::with_capacity(self.inner.headers.len() * 2);
        for (name, value) in &self.inner.headers {
            flat.push(name.as_str().to_owned());
            // Values are bytes; past ASCII they are Latin-1 (RFC 9110), as fetch reads them.
            flat.push(value.as_bytes().iter().map(|&b| b as char).collect());
        }
        flat
    }

    /// A copy of the whole body (empty for a streamed response).
    #[napi(js_name = "_content")]
    pub fn content<'env>(&self, env: &'env Env) -> napi::Result<BufferSlice<'env>> {
        BufferSlice::copy_from(env, &self.inner.content)
    }

    /// The body as text in the charset of the Content-Type; E_DECODE when invalid.
    #[napi(js_name = "_text")]
    pub fn text(&self, env: Env) -> napi::Result<String> {
        self.inner.text().map_err(|e| e.throw(&env))
    }

    /// Throws E_HTTP_STATUS (with `status`, `url`) for a 4xx or 5xx response.
    #[napi(js_name = "_checkStatus")]
    pub fn check_status(&self, env: Env) -> napi::Result<()> {
        self.inner.error_for_status().map_err(|e| e.throw(&env))
    }

    /// The op that reads the next piece of a streamed body: a Buffer, or null at the end.
    #[napi(js_name = "_nextChunk")]
    pub fn next_chunk(&self) -> u32 {
        hold(self.inner.next_chunk())
    }

    /// Stops reading a streamed body and lets its connection go.
    #[napi(js_name = "_release")]
    pub fn release(&self) {
        self.inner.close();
    }
}
