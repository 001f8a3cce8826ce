//! Batch options as JS gives them (camelCase, ms) turned into the core's raw options;
//! every check is the core's `Options::parse`, which reads and reports ms.

use fanio_core::{Options, RawOptions, Unit};
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

pub fn parse(env: &Env, o: &BatchOptions, limit_name: &str) -> napi::Result<Options> {
    let raw = RawOptions {
        limit: o.limit,
        rate: o.rate,
        fail_fast: o.fail_fast.unwrap_or(false),
        timeout: o.timeout,
        deadline: o.deadline,
        progress: o.progress.unwrap_or(false),
    };
    Options::parse(&raw, limit_name, Unit::Millis).map_err(|e| e.throw(env))
}
