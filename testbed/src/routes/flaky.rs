//! `ANY /flaky?key=K&fail=N&status=503&retry_after=SECS[&date=1]`: fails the first N
//! requests of each key, so retry policies (and their Retry-After handling) can be
//! tested against real responses. Counters live as long as the server.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use hyper::StatusCode;
use hyper::header::{HeaderValue, RETRY_AFTER};
use serde_json::json;

use super::{Reject, Reply, number, param, text};

/// Ten years: far enough for any test, near enough that the date cannot overflow.
const MAX_RETRY_AFTER: u64 = 315_360_000;

#[derive(Default)]
pub struct Flaky {
    attempts: Mutex<HashMap<String, u64>>,
}

impl Flaky {
    pub fn attempt(&self, query: Option<&str>) -> Reply {
        let key = param(query, "key").ok_or_else(|| Reject::bad("key is required"))?;
        let fail = number(query, "fail", 1, u64::MAX)?;
        let code = number::<u16>(query, "status", 503, 599)?;
        let status = StatusCode::from_u16(code)
            .ok()
            .filter(|s| s.as_u16() >= 200)
            .ok_or_else(|| Reject::bad(format!("status must be 200..=599, got {code}")))?;
        let retry_after = match param(query, "retry_after") {
            None => None,
            Some(_) => Some(number(query, "retry_after", 0, MAX_RETRY_AFTER)?),
        };
        let as_date = param(query, "date").is_some_and(|v| v == "1");

        let attempt = {
            let mut attempts = self.attempts.lock().unwrap_or_else(PoisonError::into_inner);
            let count = attempts.entry(key.into_owned()).or_insert(0);
            *count += 1;
            *count
        };
        if attempt > fail {
            return Ok(super::json(&json!({ "attempts": attempt })));
        }
        let mut response = text(
            status,
            format!("flaky: attempt {attempt} of {fail} failing"),
        );
        if let Some(secs) = retry_after {
            let value = if as_date {
                httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
            } else {
                secs.to_string()
            };
            // Digits or an HTTP date: always a valid header value.
            if let Ok(value) = HeaderValue::try_from(value) {
                response.headers_mut().insert(RETRY_AFTER, value);
            }
        }
        Ok(response)
    }
}
