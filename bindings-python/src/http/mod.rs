//! The HTTP client seen from Python: options, requests and responses converted once at
//! the boundary; everything a request does (limits, retries, timeouts) is the core's.

mod args;
mod client;
mod json;
mod response;
mod retry;

use pyo3::prelude::*;

pub use response::Response;

/// Adds the HTTP classes to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<client::HttpClient>()?;
    m.add_class::<response::Response>()?;
    m.add_class::<retry::Retry>()?;
    Ok(())
}
