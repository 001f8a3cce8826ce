//! Batch options as Python gives them (seconds) turned into the core's raw options;
//! every check is the core's `Options::parse`, which reads and reports seconds.

use fanio_core::engine::scheduler::feed_target;
use fanio_core::{RawOptions, Unit};
use pyo3::prelude::*;

use crate::args::number;
use crate::error::ResultExt;

/// Options of one batch, checked by the core before anything starts.
#[pyclass(frozen, module = "fanio._fanio")]
pub struct Options(pub fanio_core::Options);

#[pymethods]
impl Options {
    #[new]
    #[pyo3(signature = (limit=None, rate=None, fail_fast=false, timeout=None, deadline=None, progress=false, limit_name="limit"))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        limit: Option<&Bound<'_, PyAny>>,
        rate: Option<&Bound<'_, PyAny>>,
        fail_fast: bool,
        timeout: Option<&Bound<'_, PyAny>>,
        deadline: Option<&Bound<'_, PyAny>>,
        progress: bool,
        limit_name: &str,
    ) -> PyResult<Self> {
        let raw = RawOptions {
            limit: number(py, limit, limit_name)?,
            rate: number(py, rate, "rate")?,
            fail_fast,
            timeout: number(py, timeout, "timeout")?,
            deadline: number(py, deadline, "deadline")?,
            progress,
        };
        Ok(Options(
            fanio_core::Options::parse(&raw, limit_name, Unit::Seconds).or_raise(py)?,
        ))
    }

    /// How many native ops a streamed source should keep handed over ahead of the starts.
    #[getter]
    fn feed_target(&self) -> usize {
        feed_target(self.0.limit)
    }
}
