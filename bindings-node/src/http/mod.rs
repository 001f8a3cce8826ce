//! The HTTP client for Node: options and requests as JS hands them over (already
//! type-checked and flattened by `http.js`) become the core's `ClientOptions` and
//! `RequestSpec`; responses go back as one napi class whose getters read the core's
//! `Response`. Every rule (limits, retries, timeouts, URL and header checks) is the
//! core's; this module only converts.

mod client;
mod response;

use std::time::Duration;

use fanio_core::{Error, Result};

pub use response::Response;

/// A duration in ms from JS, checked by the core's rule for durations.
fn ms(value: Option<f64>, name: &str) -> Result<Option<Duration>> {
    fanio_core::Unit::Millis.duration(value, name)
}

/// A count from JS (a number of connections, of bytes, of attempts): a whole number
/// >= 0. Larger than the target type can hold is clamped: no cap that large binds.
fn count<T: TryFrom<u64> + Bounded>(value: Option<f64>, name: &str) -> Result<Option<T>> {
    match value {
        None => Ok(None),
        Some(v) if v >= 0.0 && v.fract() == 0.0 => {
            Ok(Some(T::try_from(v as u64).unwrap_or(T::MAX)))
        }
        Some(v) => Err(Error::invalid(format!(
            "{name} must be a whole number >= 0, got {v}"
        ))),
    }
}

/// The largest value of a count type, what `count` clamps to.
trait Bounded {
    const MAX: Self;
}

impl Bounded for usize {
    const MAX: Self = usize::MAX;
}

impl Bounded for u64 {
    const MAX: Self = u64::MAX;
}

impl Bounded for u32 {
    const MAX: Self = u32::MAX;
}

/// `[name, value, name, value, ...]` as JS flattens headers, params and forms.
fn pairs(flat: Option<Vec<String>>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut items = flat.unwrap_or_default().into_iter();
    while let (Some(name), Some(value)) = (items.next(), items.next()) {
        out.push((name, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use fanio_core::Code;

    #[test]
    fn counts_are_whole_and_not_negative() {
        assert_eq!(count::<usize>(Some(4.0), "n").unwrap(), Some(4));
        assert_eq!(count::<u32>(Some(1e12), "n").unwrap(), Some(u32::MAX));
        assert_eq!(count::<usize>(None, "n").unwrap(), None);
        for bad in [-1.0, 1.5, f64::NAN, f64::INFINITY] {
            assert_eq!(
                count::<usize>(Some(bad), "n").unwrap_err().code,
                Code::InvalidArgument,
                "{bad}"
            );
        }
    }

    #[test]
    fn durations_are_milliseconds() {
        assert_eq!(
            ms(Some(1500.0), "t").unwrap(),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(ms(Some(-1.0), "t").unwrap_err().code, Code::InvalidArgument);
    }

    #[test]
    fn flat_pairs_pair_up() {
        let p = pairs(Some(vec!["a".into(), "1".into(), "b".into(), "2".into()]));
        assert_eq!(
            p,
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "2".to_owned())
            ]
        );
        assert!(pairs(None).is_empty());
    }
}
