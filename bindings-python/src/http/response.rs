//! `fanio.Response`: a thin view of the core's response. Headers and the body's bytes
//! object are built on first access and kept; `text()` and `json()` decode in Rust.

use std::sync::Arc;
use std::time::Duration;

use fanio_core::{Value, engine::op as core_op};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyString, PyTuple};

use super::json;
use crate::error::ResultExt;
use crate::op::Op;

/// `fanio._http.Headers` and `fanio._http._aiter_bytes`, defined in Python.
static HEADERS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
static AITER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

#[pyclass(frozen, module = "fanio")]
pub struct Response {
    inner: Arc<fanio_core::http::Response>,
    headers: PyOnceLock<Py<PyAny>>,
    content: PyOnceLock<Py<PyBytes>>,
}

impl Response {
    pub fn new(inner: Arc<fanio_core::http::Response>) -> Self {
        Response {
            inner,
            headers: PyOnceLock::new(),
            content: PyOnceLock::new(),
        }
    }
}

/// A header value as text: UTF-8 when it is, else each byte as its Latin-1 character
/// (what HTTP/1.1 historically allowed), so no value is ever lost or refused.
fn header_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => bytes.iter().map(|&b| b as char).collect(),
    }
}

#[pymethods]
impl Response {
    #[getter]
    fn status(&self) -> u16 {
        self.inner.status
    }

    /// The canonical reason phrase of the status ("" for unknown statuses).
    #[getter]
    fn reason(&self) -> &'static str {
        self.inner.reason
    }

    /// "HTTP/1.1", "HTTP/2", ...
    #[getter]
    fn http_version(&self) -> &'static str {
        self.inner.http_version
    }

    /// The final URL, after redirects.
    #[getter]
    fn url(&self) -> &str {
        &self.inner.url
    }

    /// Seconds from the start of the request to its body read (to the head when streamed).
    #[getter]
    fn elapsed(&self) -> f64 {
        self.inner.elapsed.as_secs_f64()
    }

    /// Tries made (1 unless retried).
    #[getter]
    fn attempts(&self) -> u32 {
        self.inner.attempts
    }

    #[getter]
    fn headers(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        self.headers
            .get_or_try_init(py, || {
                let pairs = self.inner.headers.iter().map(|(name, value)| {
                    PyTuple::new(
                        py,
                        [
                            PyString::new(py, name.as_str()),
                            PyString::new(py, &header_text(value.as_bytes())),
                        ],
                    )
                });
                let list = PyList::new(py, pairs.collect::<PyResult<Vec<_>>>()?)?;
                Ok::<_, PyErr>(
                    HEADERS
                        .import(py, "fanio._http", "Headers")?
                        .call1((list,))?
                        .unbind(),
                )
            })
            .map(|h| h.clone_ref(py))
    }

    /// The whole body (empty for a streamed response, as in the core and in Node).
    #[getter]
    fn content(&self, py: Python<'_>) -> PyResult<Py<PyBytes>> {
        Ok(self
            .content
            .get_or_init(py, || PyBytes::new(py, &self.inner.content).unbind())
            .clone_ref(py))
    }

    /// The body decoded in the charset of its Content-Type (UTF-8 by default); bytes
    /// invalid in it raise DecodeError.
    fn text(&self, py: Python<'_>) -> PyResult<String> {
        self.inner.text().or_raise(py)
    }

    /// The body parsed as JSON (DecodeError if it is not): key order kept, integers exact.
    fn json(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let doc = self.inner.json().or_raise(py)?;
        json::to_py(py, &doc)
    }

    /// Raises HttpStatusError (`.status`, `.url`) for a 4xx or 5xx; returns the response.
    fn raise_for_status(slf: Bound<'_, Self>) -> PyResult<Bound<'_, Self>> {
        slf.get().inner.error_for_status().or_raise(slf.py())?;
        Ok(slf)
    }

    /// The body of a streamed response, chunk by chunk (`async for chunk in ...`).
    fn aiter_bytes<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        AITER
            .import(slf.py(), "fanio._http", "_aiter_bytes")?
            .call1((slf,))
    }

    /// The next chunk of a streamed body, or None at its end.
    fn _next_chunk(&self) -> Op {
        Op(self.inner.next_chunk())
    }

    /// Stops reading a streamed body and lets its connection go (at once; awaiting
    /// only yields to the loop). Does nothing for a body read in full.
    fn aclose(&self) -> Op {
        self.inner.close();
        Op(core_op::sleep(Duration::ZERO, Value::Null))
    }

    fn __repr__(&self) -> String {
        match self.inner.reason {
            "" => format!("<Response [{}]>", self.inner.status),
            reason => format!("<Response [{} {reason}]>", self.inner.status),
        }
    }
}
