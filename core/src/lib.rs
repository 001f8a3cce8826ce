//! fanio-core: concurrent I/O on one tokio runtime with bounded fan-out and settled
//! results. No host-language code lives here; the bindings only convert.

pub mod db;
pub mod depth;
pub mod error;
pub mod floor;
pub mod fork;
pub mod http;
pub mod op;
pub mod progress;
pub mod runtime;
pub mod schedule;
pub mod settle;
pub mod value;

pub use error::{Code, Error, Result};
pub use op::Op;
pub use schedule::{Action, Options, RawOptions, Scheduler};
pub use value::{HostValue, Outcome, Value};
