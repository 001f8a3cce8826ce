//! The floor a crossing is measured against (bench/crossing.mjs), from the core so both
//! languages' benchmarks measure the same thing.

use napi_derive::napi;

/// Microseconds per round trip of `rounds` eventfd ping-pongs between two threads
/// (blocks the calling thread while it runs).
#[napi]
pub fn bench_ping_pong(rounds: u32) -> f64 {
    fanio_core::floor::ping_pong_us(rounds)
}
