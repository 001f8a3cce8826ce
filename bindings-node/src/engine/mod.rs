//! The fan-out engine seen from JS: checked options (`options.rs`), the core's batch for
//! batches driven on the JS thread (`batch.rs`, executed by `engine.js`), and native
//! batches that run wholly on the runtime and cross back once (`native.rs`).

pub mod batch;
pub mod native;
pub mod options;
