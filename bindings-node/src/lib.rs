//! fanio-node: the Node face of fanio-core. It converts and carries out, nothing more.
//! Ops are plain JS objects the addon reads once per batch (a napi class instance per op
//! would cost more than a whole p-map run; native ops are handles into a table); outcomes come back in bulk through one
//! completion bridge; host-driven batches are the core's `Batch`, executed on the JS thread.

// Under `cfg(test)` napi-derive registers nothing, so every export looks unused.
#![cfg_attr(test, allow(dead_code))]

mod bench;
mod bridge;
mod convert;
mod db;
mod engine;
mod error;
mod http;
mod native_op;
mod table;
mod wire;

use fanio_core::{Code, Unit, engine::op};
use napi_derive::napi;

use napi::Env;

use crate::error::ThrowJs;

// The addon's Rust allocations (ops, rows, the core's buffers) go through mimalloc:
// glibc's malloc spent a third of making 100,000 queries on consolidating and on
// faulting fresh pages after trimming; with mimalloc making one costs 1.1 us, not 1.6.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[napi_derive::module_init]
fn init() {
    fanio_core::runtime::hand_over(napi::bindgen_prelude::create_custom_tokio_runtime);
}

/// `[code, message of an op stopped with it]` per status number (status `k` is row
/// `k - 1`; 0 means fulfilled), so JS learns the codes and their words from the core.
#[napi]
pub fn codes() -> Vec<Vec<String>> {
    Code::ALL
        .iter()
        .map(|c| {
            vec![
                c.as_str().to_owned(),
                fanio_core::Error::stopped(*c).message.to_string(),
            ]
        })
        .collect()
}

#[napi(object)]
pub struct OpStats {
    /// Native op futures alive now.
    pub running: u32,
    /// The most alive at once since the last `resetOpStats`.
    pub peak: u32,
}

#[napi]
pub fn op_stats() -> OpStats {
    let (running, peak) = op::stats();
    OpStats {
        running: running as u32,
        peak: peak as u32,
    }
}

#[napi]
pub fn reset_op_stats() {
    op::reset_peak();
}

/// How deeply a value passed in may nest (the core's `MAX_DEPTH`), for tests that
/// build input just past it.
#[napi]
pub fn max_depth() -> u32 {
    fanio_core::depth::MAX_DEPTH as u32
}

/// Checks an op's delay (ms) by the core's rule; JS calls it only when its own fast
/// check fails, to throw the core's error.
#[napi]
pub fn check_delay(env: Env, ms: f64, name: String) -> napi::Result<()> {
    Unit::Millis
        .duration(Some(ms), &name)
        .map(|_| ())
        .map_err(|e| e.throw(&env))
}
