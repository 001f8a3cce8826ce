//! Turning a database URL and pool options into a checked configuration before any
//! I/O, so a typo fails at the call with E_INVALID_ARGUMENT, and keeping the password
//! of a URL out of every message.

use std::fmt;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Backend, Database, DbInner, PoolOptions, pg, sqlite};
use crate::error::{Error, Result};
use crate::op::Op;
use crate::value::Value;

pub(crate) enum Target {
    Pg(Box<pg::Target>),
    Sqlite(sqlite::Target),
}

/// A checked URL and options; `connect` opens it.
pub struct Config {
    target: Target,
    opts: PoolOptions,
    label: Arc<str>,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Config({}, {:?})", self.label, self.opts)
    }
}

impl Config {
    /// Checks `url` and `opts` without any I/O. URLs: `postgres://` or `postgresql://`
    /// (`user:pass@host:port/db?sslmode=...`), `sqlite:///abs/path.db`,
    /// `sqlite://relative.db`, `sqlite::memory:`.
    pub fn parse(url: &str, opts: PoolOptions) -> Result<Config> {
        let label: Arc<str> = redact(url).into();
        if opts.max_connections == 0 {
            return Err(Error::invalid("max_connections must be at least 1"));
        }
        if opts.min_connections > opts.max_connections {
            return Err(Error::invalid(format!(
                "min_connections ({}) is more than max_connections ({})",
                opts.min_connections, opts.max_connections
            )));
        }
        if opts.acquire_timeout.is_zero() {
            return Err(Error::invalid("acquire_timeout must be more than zero"));
        }
        let target = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Target::Pg(Box::new(pg::Target::parse(url, &label)?))
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            Target::Sqlite(sqlite::Target::parse(rest, &label)?)
        } else {
            return Err(Error::invalid(format!(
                "unsupported database URL {label}: expected postgres://, postgresql:// or sqlite:"
            )));
        };
        Ok(Config {
            target,
            opts,
            label,
        })
    }

    /// Opens the pool; resolves to `Value::Database` once its first connection works.
    pub fn connect(self) -> Op {
        Op::new(async move {
            let Config {
                target,
                opts,
                label,
            } = self;
            let backend = match target {
                Target::Pg(t) => Backend::Pg(pg::Pool::open(*t, opts, label.clone()).await?),
                Target::Sqlite(t) => {
                    Backend::Sqlite(sqlite::Pool::open(t, opts, label.clone()).await?)
                }
            };
            Ok(Value::Database(Database(Arc::new(DbInner {
                backend,
                closing: CancellationToken::new(),
                label,
                born: crate::fork::generation(),
            }))))
        })
    }
}

/// The URL with its password (in the user info or a `password=` parameter) replaced
/// by `***`.
pub(crate) fn redact(url: &str) -> String {
    let url = redact_user_info(url);
    let Some((base, query)) = url.split_once('?') else {
        return url;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

fn redact_user_info(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[start..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    match authority[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..start],
            &authority[..colon],
            &url[start + at..]
        ),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_only_the_password() {
        assert_eq!(
            redact("postgres://u:s3cret@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://u:p@ss@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite::memory:"), "sqlite::memory:");
        assert_eq!(
            redact("postgres://h/db?password=x"),
            "postgres://h/db?password=***"
        );
        assert_eq!(
            redact("postgres://h/db?a=1&password=x&b=2"),
            "postgres://h/db?a=1&password=***&b=2"
        );
    }
}
