//! The fan-out engine seen from Python: checked options (`options.rs`), the core's batch
//! for batches driven on the asyncio loop (`batch.rs`, executed by `fanio._engine`),
//! and native batches and streams that run wholly on the runtime and cross back once
//! per batch or chunk (`native.rs`). The same three files as the Node binding's.

pub mod batch;
pub mod native;
pub mod options;
