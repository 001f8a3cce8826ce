//! The fan-out engine, the semantics both languages share: checked options, the
//! sans-I/O scheduler that decides which op starts, is cut off or skipped, the lazy op,
//! progress, and the native driver that runs a batch of native ops on tokio.

pub mod batch;
pub mod host;
pub mod native;
pub mod op;
pub mod options;
pub mod progress;
pub mod scheduler;

pub use batch::{Batch, Item};
pub use op::Op;
pub use options::{Options, RawOptions, Unit};
pub use scheduler::{Action, Scheduler};
