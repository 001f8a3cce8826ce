//! When to try a request again and how long to wait first. The decision is a pure
//! function of the policy, what the last try gave and a random draw, so it is tested
//! without a server; the client only carries it out.

use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, SystemTime};

use http::{HeaderValue, Method};

use crate::error::{Error, Result};

/// How a client retries. Tries are counted from the first: `attempts: 3` is one try and
/// at most two retries.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Most tries in all, at least 1.
    pub attempts: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Longest wait between two tries, for the backoff and for Retry-After alike.
    pub backoff_max: Duration,
    /// Equal jitter: wait a random time between half the backoff and all of it, so a
    /// herd of clients spreads out yet never retries at once.
    pub jitter: bool,
    /// Response statuses that are retried.
    pub on_status: Vec<u16>,
    /// Retry when no connection could be made (refused, DNS, connect timeout).
    pub on_connect_error: bool,
    /// Wait what the server's Retry-After says (seconds or HTTP date), capped by
    /// `backoff_max`, instead of the backoff.
    pub respect_retry_after: bool,
    /// Methods that are retried, upper case; others are tried once.
    pub methods: Vec<String>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            backoff: Duration::from_millis(100),
            backoff_max: Duration::from_secs(10),
            jitter: true,
            on_status: vec![429, 502, 503, 504],
            on_connect_error: true,
            respect_retry_after: true,
            methods: ["GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// A checked policy with its methods parsed once.
#[derive(Clone, Debug)]
pub(crate) struct Retry {
    policy: RetryPolicy,
    methods: Vec<Method>,
}

/// What one try ended with, as far as retrying cares.
pub(crate) enum Tried<'a> {
    Status(u16, Option<&'a HeaderValue>),
    ConnectError,
    /// Anything else: not retried (the request may have reached the server).
    OtherError,
}

impl Retry {
    pub(crate) fn new(policy: RetryPolicy) -> Result<Retry> {
        if policy.attempts == 0 {
            return Err(Error::invalid("retry.attempts must be at least 1"));
        }
        if policy.backoff > policy.backoff_max {
            return Err(Error::invalid(
                "retry.backoff must not exceed retry.backoff_max",
            ));
        }
        let methods = policy
            .methods
            .iter()
            .map(|m| {
                Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
                    Error::invalid(format!("retry.methods: {m:?} is not an HTTP method"))
                })
            })
            .collect::<Result<_>>()?;
        for s in &policy.on_status {
            if !(100..=999).contains(s) {
                return Err(Error::invalid(format!(
                    "retry.on_status: {s} is not an HTTP status"
                )));
            }
        }
        Ok(Retry { policy, methods })
    }

    pub(crate) fn allows(&self, method: &Method) -> bool {
        self.methods.contains(method)
    }

    /// The wait before try number `tries + 1`, or `None` to stop with what `last` gave.
    /// `draw` is uniform in [0, 1); `now` dates an HTTP-date Retry-After.
    pub(crate) fn decide(
        &self,
        tries: u32,
        last: &Tried<'_>,
        draw: f64,
        now: SystemTime,
    ) -> Option<Duration> {
        let p = &self.policy;
        if tries >= p.attempts {
            return None;
        }
        let retry_after = match *last {
            Tried::Status(status, header) if p.on_status.contains(&status) => header,
            Tried::ConnectError if p.on_connect_error => None,
            _ => return None,
        };
        if p.respect_retry_after
            && let Some(wait) = retry_after.and_then(|h| parse_retry_after(h, now))
        {
            return Some(wait.min(p.backoff_max));
        }
        // 2^(tries-1) * backoff, computed without overflow for absurd try counts.
        let doubling = 2f64.powi(tries.saturating_sub(1).min(62) as i32);
        let full = p.backoff.as_secs_f64() * doubling;
        let capped = full.min(p.backoff_max.as_secs_f64());
        let wait = if p.jitter {
            capped / 2.0 + capped / 2.0 * draw
        } else {
            capped
        };
        Some(Duration::from_secs_f64(wait))
    }
}

/// Retry-After as delay seconds or as an HTTP date (a date in the past means now).
fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A uniform draw in [0, 1) for jitter; std's randomly keyed hasher is random enough
/// for spreading retries and needs no dependency.
pub(crate) fn draw() -> f64 {
    let bits = RandomState::new().hash_one(std::time::Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(jitter: bool) -> Retry {
        Retry::new(RetryPolicy {
            jitter,
            ..Default::default()
        })
        .unwrap()
    }

    const NOW: fn() -> SystemTime = SystemTime::now;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let r = Retry::new(RetryPolicy {
            attempts: 10,
            backoff: Duration::from_secs(1),
            backoff_max: Duration::from_secs(5),
            jitter: false,
            ..Default::default()
        })
        .unwrap();
        let waits: Vec<_> = (1..10)
            .map(|t| r.decide(t, &Tried::ConnectError, 0.5, NOW()).unwrap())
            .collect();
        let secs: Vec<u64> = waits.iter().map(|d| d.as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 5, 5, 5, 5, 5, 5]);
        assert_eq!(r.decide(10, &Tried::ConnectError, 0.5, NOW()), None);
    }

    #[test]
    fn equal_jitter_stays_between_half_and_all_of_the_backoff() {
        let r = policy(true);
        let low = r.decide(2, &Tried::ConnectError, 0.0, NOW()).unwrap();
        let high = r.decide(2, &Tried::ConnectError, 0.999_999, NOW()).unwrap();
        assert_eq!(low, Duration::from_millis(100));
        assert!(high > Duration::from_millis(199) && high < Duration::from_millis(200));
        for _ in 0..100 {
            let d = draw();
            assert!((0.0..1.0).contains(&d));
        }
    }

    #[test]
    fn only_listed_statuses_and_connect_errors_are_retried() {
        let r = policy(false);
        assert!(r.decide(1, &Tried::Status(503, None), 0.0, NOW()).is_some());
        assert!(r.decide(1, &Tried::Status(429, None), 0.0, NOW()).is_some());
        assert_eq!(r.decide(1, &Tried::Status(500, None), 0.0, NOW()), None);
        assert_eq!(r.decide(1, &Tried::Status(200, None), 0.0, NOW()), None);
        assert_eq!(r.decide(1, &Tried::OtherError, 0.0, NOW()), None);
        let no_connect = Retry::new(RetryPolicy {
            on_connect_error: false,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(no_connect.decide(1, &Tried::ConnectError, 0.0, NOW()), None);
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date_is_capped_by_backoff_max() {
        let r = policy(false);
        let secs = HeaderValue::from_static("2");
        assert_eq!(
            r.decide(1, &Tried::Status(503, Some(&secs)), 0.0, NOW()),
            Some(Duration::from_secs(2))
        );
        let huge = HeaderValue::from_static("3600");
        assert_eq!(
            r.decide(1, &Tried::Status(429, Some(&huge)), 0.0, NOW()),
            Some(Duration::from_secs(10))
        );
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let date =
            HeaderValue::from_str(&httpdate::fmt_http_date(now + Duration::from_secs(3))).unwrap();
        assert_eq!(
            r.decide(1, &Tried::Status(503, Some(&date)), 0.0, now),
            Some(Duration::from_secs(3))
        );
        let past =
            HeaderValue::from_str(&httpdate::fmt_http_date(now - Duration::from_secs(60))).unwrap();
        assert_eq!(
            r.decide(1, &Tried::Status(503, Some(&past)), 0.0, now),
            Some(Duration::ZERO)
        );
        // Unparseable: the ordinary backoff.
        let junk = HeaderValue::from_static("soon");
        assert_eq!(
            r.decide(1, &Tried::Status(503, Some(&junk)), 0.0, now),
            Some(Duration::from_millis(100))
        );
        let ignore = Retry::new(RetryPolicy {
            respect_retry_after: false,
            jitter: false,
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            ignore.decide(1, &Tried::Status(503, Some(&secs)), 0.0, now),
            Some(Duration::from_millis(100))
        );
    }

    #[test]
    fn methods_and_bounds_are_checked() {
        let r = policy(false);
        assert!(r.allows(&Method::GET) && r.allows(&Method::PUT));
        assert!(!r.allows(&Method::POST) && !r.allows(&Method::PATCH));
        let lower = Retry::new(RetryPolicy {
            methods: vec!["post".into()],
            ..Default::default()
        })
        .unwrap();
        assert!(lower.allows(&Method::POST));
        for bad in [
            RetryPolicy {
                attempts: 0,
                ..Default::default()
            },
            RetryPolicy {
                methods: vec!["GE T".into()],
                ..Default::default()
            },
            RetryPolicy {
                on_status: vec![42],
                ..Default::default()
            },
            RetryPolicy {
                backoff: Duration::from_secs(20),
                ..Default::default()
            },
        ] {
            assert_eq!(
                Retry::new(bad).unwrap_err().code,
                crate::error::Code::InvalidArgument
            );
        }
    }
}
