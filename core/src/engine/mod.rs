//! The fan-out engine, the semantics both languages share: checked options, the
//! sans-I/O scheduler that decides which op starts, is cut off or skipped, the sans-I/O
//! batch that keeps the books and emits actions, the lazy op, progress, and the two
//! drivers: native batches wholly on tokio, and the native half of host-driven ones.

pub mod batch;
pub mod host;
pub mod native;
pub mod op;
pub mod options;
pub mod progress;
pub mod scheduler;

pub use batch::{Action, Batch, Item};
pub use op::Op;
pub use options::{Options, RawOptions, Unit};
