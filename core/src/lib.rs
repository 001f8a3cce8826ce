//! fanio-core: concurrent I/O on one tokio runtime with bounded fan-out and settled
//! results. No host-language code lives here; the bindings only convert.

pub mod db;
pub mod depth;
pub mod engine;
pub mod error;
pub mod floor;
pub mod fork;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
mod redact;
pub mod runtime;
pub mod value;

pub use engine::{Batch, Item, Op, Options, RawOptions, Unit};
pub use error::{Code, Error, Result};
pub use value::{HostValue, Outcome, Value};
