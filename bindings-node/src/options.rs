//! Batch options as JS gives them (camelCase, ms) turned into the core's raw options;
//! every check is the core's `Options::parse`.

use fanio_core::{Options, RawOptions};
use napi_derive::napi;

use napi::Env;

use crate::error::ThrowJs;

#[napi(object)]
pub struct BatchOptions {
    pub limit: Option<f64>,
    pub rate: Option<f64>,
    pub fail_fast: Option<bool>,
    /// ms
    pub timeout: Option<f64>,
    /// ms
    pub deadline: Option<f64>,
    pub progress: Option<bool>,
}

/// Longest wait in ms the binding hands over (2^32 s, about 136 years). Longer finite
/// durations would panic in `Duration::from_secs_f64` or `Instant + Duration` inside
/// the core; they mean "never" anyway. NaN, negatives and infinities pass unchanged,
/// for the core to reject.
pub const FOREVER_MS: f64 = 4_294_967_296_000.0;

/// Clamps a finite duration in ms to `FOREVER_MS`.
pub fn clamp_ms(ms: f64) -> f64 {
    if ms.is_finite() && ms > FOREVER_MS { FOREVER_MS } else { ms }
}

/// Slowest rate handed over (one start per 2^32 s): slower ones overflow the core's
/// start times. Zero, negatives, NaN and infinities pass unchanged, for the core to reject.
const SLOWEST_RATE: f64 = 1.0 / 4_294_967_296.0;

pub fn parse(env: &Env, o: &BatchOptions, limit_name: &str) -> napi::Result<Options> {
    let raw = RawOptions {
        limit: o.limit,
        rate: o.rate.map(|r| if r > 0.0 && r < SLOWEST_RATE { SLOWEST_RATE } else { r }),
        fail_fast: o.fail_fast.unwrap_or(false),
        timeout: o.timeout.map(|ms| clamp_ms(ms) / 1000.0),
        deadline: o.deadline.map(|ms| clamp_ms(ms) / 1000.0),
        progress: o.progress.unwrap_or(false),
    };
    Options::parse(&raw, limit_name).map_err(|e| e.throw(env))
}
