//! What a caller asks of a batch, checked once for both languages before anything
//! starts. Durations arrive in the caller's own unit (seconds from Python, ms from
//! Node) and every message quotes the value and the name as the caller wrote them, so a
//! Node user who passes `timeout: -5` reads "-5", not a converted "-0.005". Clients and
//! pools check their durations and counts with the same rules.

use std::time::Duration;

use crate::error::{Error, Result};

/// Longer than this (2^32 s, about 136 years) means "never": longer durations overflow
/// `Duration::from_secs_f64` and `Instant` arithmetic, so they are clamped to it.
pub(crate) const FOREVER_SECS: f64 = 4_294_967_296.0;

/// The unit a host gives durations in, as its ecosystem's own timers take them
/// (`asyncio.sleep`, `setTimeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Millis,
}

impl Unit {
    /// An optional duration: finite and not negative; absurdly long is "never".
    pub fn duration(self, value: Option<f64>, name: &str) -> Result<Option<Duration>> {
        match value {
            None => Ok(None),
            Some(v) if v >= 0.0 && v.is_finite() => {
                let secs = match self {
                    Unit::Seconds => v,
                    Unit::Millis => v / 1000.0,
                };
                Ok(Some(Duration::from_secs_f64(secs.min(FOREVER_SECS))))
            }
            Some(v) => Err(Error::invalid(format!(
                "{name} must be a finite number of {} >= 0, got {v}",
                self.word()
            ))),
        }
    }

    fn word(self) -> &'static str {
        match self {
            Unit::Seconds => "seconds",
            Unit::Millis => "ms",
        }
    }
}

/// An optional count of at least `min`: a whole number; larger than `usize` holds is
/// clamped (no cap that large binds). Positive infinity means "no bound" (None).
pub fn count(value: Option<f64>, name: &str, min: usize) -> Result<Option<usize>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_infinite() && v > 0.0 => Ok(None),
        Some(v) if v >= min as f64 && v.fract() == 0.0 => {
            Ok(Some(v.min(usize::MAX as f64) as usize))
        }
        Some(v) => Err(Error::invalid(if min == 1 {
            format!("{name} must be a positive integer, got {v}")
        } else {
            format!("{name} must be a whole number >= {min}, got {v}")
        })),
    }
}

/// Options as a host hands them over: plain numbers, durations in the host's `Unit`.
#[derive(Clone, Debug, Default)]
pub struct RawOptions {
    pub limit: Option<f64>,
    pub rate: Option<f64>,
    pub fail_fast: bool,
    pub timeout: Option<f64>,
    pub deadline: Option<f64>,
    pub progress: bool,
}

/// Checked options of one batch.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Most ops in flight at once; `None` is unlimited.
    pub limit: Option<usize>,
    /// Most starts per second, spaced evenly, the first at once.
    pub rate: Option<f64>,
    pub fail_fast: bool,
    /// Time limit of each op from its start.
    pub timeout: Option<Duration>,
    /// Time limit of the whole batch from its start.
    pub deadline: Option<Duration>,
    /// Draw a progress bar on stderr (when it is a terminal).
    pub progress: bool,
}

impl Options {
    /// Checks every option before anything starts; a bad one is E_INVALID_ARGUMENT.
    /// `limit_name` is the host's word for the limit (`limit`, `concurrency`).
    pub fn parse(raw: &RawOptions, limit_name: &str, unit: Unit) -> Result<Options> {
        let rate = match raw.rate {
            None => None,
            Some(r) if r > 0.0 && r.is_finite() => Some(r),
            Some(r) => {
                return Err(Error::invalid(format!(
                    "rate must be a positive number of starts per second, got {r}"
                )));
            }
        };
        Ok(Options {
            limit: count(raw.limit, limit_name, 1)?,
            rate,
            fail_fast: raw.fail_fast,
            timeout: unit.duration(raw.timeout, "timeout")?,
            deadline: unit.duration(raw.deadline, "deadline")?,
            progress: raw.progress,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn parse_rejects_bad_options_before_anything_starts() {
        let bad = [
            RawOptions {
                limit: Some(0.0),
                ..Default::default()
            },
            RawOptions {
                limit: Some(-1.0),
                ..Default::default()
            },
            RawOptions {
                limit: Some(1.5),
                ..Default::default()
            },
            RawOptions {
                limit: Some(f64::NAN),
                ..Default::default()
            },
            RawOptions {
                rate: Some(0.0),
                ..Default::default()
            },
            RawOptions {
                rate: Some(f64::INFINITY),
                ..Default::default()
            },
            RawOptions {
                timeout: Some(f64::NAN),
                ..Default::default()
            },
            RawOptions {
                deadline: Some(-1.0),
                ..Default::default()
            },
        ];
        for raw in bad {
            let err = Options::parse(&raw, "limit", Unit::Seconds).unwrap_err();
            assert_eq!(err.code, Code::InvalidArgument, "{raw:?}");
        }
        let raw = RawOptions {
            limit: Some(4.0),
            timeout: Some(0.5),
            ..Default::default()
        };
        let ok = Options::parse(&raw, "limit", Unit::Seconds).unwrap();
        assert_eq!(ok.limit, Some(4));
        assert_eq!(ok.timeout, Some(Duration::from_millis(500)));
        let huge = RawOptions {
            timeout: Some(1e300),
            deadline: Some(1e25),
            ..Default::default()
        };
        let huge = Options::parse(&huge, "limit", Unit::Seconds).unwrap();
        assert_eq!(
            huge.timeout,
            Some(Duration::from_secs(1 << 32)),
            "clamped, not a panic"
        );
    }

    #[test]
    fn durations_are_read_and_reported_in_the_callers_unit() {
        let ms = Unit::Millis.duration(Some(1500.0), "timeout").unwrap();
        assert_eq!(ms, Some(Duration::from_millis(1500)));
        let s = Unit::Seconds.duration(Some(1.5), "timeout").unwrap();
        assert_eq!(s, Some(Duration::from_millis(1500)));
        let err = Unit::Millis.duration(Some(-5.0), "timeout").unwrap_err();
        assert!(
            err.message.contains("got -5") && err.message.contains("ms"),
            "{}",
            err.message
        );
        let raw = RawOptions {
            deadline: Some(-1.0),
            ..Default::default()
        };
        let err = Options::parse(&raw, "limit", Unit::Millis).unwrap_err();
        assert!(
            err.message.contains("deadline") && err.message.contains("got -1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn counts_are_whole_and_named_as_the_caller_names_them() {
        assert_eq!(count(Some(4.0), "n", 0).unwrap(), Some(4));
        assert_eq!(count(Some(0.0), "n", 0).unwrap(), Some(0));
        assert_eq!(count(Some(1e300), "n", 0).unwrap(), Some(usize::MAX));
        assert_eq!(count(Some(f64::INFINITY), "n", 1).unwrap(), None);
        for bad in [-1.0, 1.5, f64::NAN, f64::NEG_INFINITY] {
            assert_eq!(
                count(Some(bad), "n", 0).unwrap_err().code,
                Code::InvalidArgument,
                "{bad}"
            );
        }
        let err = count(Some(0.0), "concurrency", 1).unwrap_err();
        assert!(err.message.starts_with("concurrency"), "{}", err.message);
    }
}
