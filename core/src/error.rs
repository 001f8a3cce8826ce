//! One error type for everything the core can fail with, and one stable code per kind,
//! so Python and Node report the same `.code` for the same failure.

use std::fmt;
use std::sync::Arc;

/// The kind of a failure. Codes are part of the public API of both languages:
/// never rename one, only add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    InvalidArgument,
    Timeout,
    Cancelled,
    Closed,
    Failed,
    Connect,
    Tls,
    HttpStatus,
    Protocol,
    Decode,
    BodyTooLarge,
    Db,
    PoolTimeout,
    NoRows,
}

impl Code {
    /// Every code, so bindings can build their error classes from one list.
    pub const ALL: [Code; 14] = [
        Code::InvalidArgument,
        Code::Timeout,
        Code::Cancelled,
        Code::Closed,
        Code::Failed,
        Code::Connect,
        Code::Tls,
        Code::HttpStatus,
        Code::Protocol,
        Code::Decode,
        Code::BodyTooLarge,
        Code::Db,
        Code::PoolTimeout,
        Code::NoRows,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidArgument => "E_INVALID_ARGUMENT",
            Code::Timeout => "E_TIMEOUT",
            Code::Cancelled => "E_CANCELLED",
            Code::Closed => "E_CLOSED",
            Code::Failed => "E_FAILED",
            Code::Connect => "E_CONNECT",
            Code::Tls => "E_TLS",
            Code::HttpStatus => "E_HTTP_STATUS",
            Code::Protocol => "E_PROTOCOL",
            Code::Decode => "E_DECODE",
            Code::BodyTooLarge => "E_BODY_TOO_LARGE",
            Code::Db => "E_DB",
            Code::PoolTimeout => "E_POOL_TIMEOUT",
            Code::NoRows => "E_NO_ROWS",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A structured detail of an error, set as an attribute / property of the host error
/// under the same name in both languages (`status`, `url`, `phase`, `sqlstate`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Int(i64),
    Str(Arc<str>),
}

/// A failure with its code, a message for people and the structured fields callers
/// match on. Cheap to clone: a settled outcome is handed out again each time an op is
/// re-awaited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: Arc<str>,
    /// Names are snake_case words that read the same in both languages (`status`,
    /// `sqlstate`); a binding never renames them.
    pub fields: Arc<[(&'static str, Field)]>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<Arc<str>>) -> Self {
        Error {
            code,
            message: message.into(),
            fields: Arc::new([]),
        }
    }

    /// The same error with one more field (builder style; errors are made rarely).
    pub fn with(mut self, name: &'static str, value: impl Into<Field>) -> Self {
        let mut fields: Vec<_> = self
            .fields
            .iter()
            .filter(|(n, _)| *n != name)
            .cloned()
            .collect();
        fields.push((name, value.into()));
        self.fields = fields.into();
        self
    }

    /// The value of the field `name`, if the error has it.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    pub fn invalid(message: impl Into<Arc<str>>) -> Self {
        Error::new(Code::InvalidArgument, message)
    }

    /// The reason given to an op that a batch stopped (fail-fast, deadline, cancel) or
    /// that ran out of its own time.
    pub fn stopped(code: Code) -> Self {
        let message = match code {
            Code::Timeout => "the operation timed out",
            Code::Cancelled => "the operation was cancelled",
            Code::Closed => "the client was closed",
            other => other.as_str(),
        };
        Error::new(code, message)
    }
}

impl From<i64> for Field {
    fn from(v: i64) -> Self {
        Field::Int(v)
    }
}

impl From<&str> for Field {
    fn from(v: &str) -> Self {
        Field::Str(v.into())
    }
}

impl From<String> for Field {
    fn from(v: String) -> Self {
        Field::Str(v.into())
    }
}

impl From<Arc<str>> for Field {
    fn from(v: Arc<str>) -> Self {
        Field::Str(v)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
