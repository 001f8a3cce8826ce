//! Turning a database URL and pool options into a checked configuration before any
//! I/O, so a typo fails at the call with E_INVALID_ARGUMENT; every message names the
//! URL by its redacted label.

use std::fmt;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::{Backend, Database, DbInner, PoolOptions, pg, sqlite};
use crate::engine::Op;
use crate::error::{Error, Result};
use crate::redact;
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
        let label: Arc<str> = redact::url(url).into();
        if url.contains(['\r', '\n', '\0']) {
            return Err(Error::invalid(format!(
                "database URL {label:?} holds a CR, LF or NUL character"
            )));
        }
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
