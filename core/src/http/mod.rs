//! The HTTP client of the core: one reqwest client per `Client`, requests built and
//! checked synchronously into lazy `Op`s, and the semantics both bindings share
//! (timeouts by phase, retries, real connection caps, size limits, close) kept here once.

mod body;
mod caps;
mod client;
mod errors;
mod options;
pub(crate) mod request;
mod response;
mod retry;

pub use client::Client;
pub use options::{ClientOptions, DEFAULT_MAX_RESPONSE_SIZE, Http2Mode, SizeLimit};
pub use request::{Body, RequestSpec};
pub use response::Response;
pub use retry::RetryPolicy;
