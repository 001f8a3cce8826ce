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
}

impl Code {
    /// Every code, so bindings can build their error classes from one list.
    pub const ALL: [Code; 5] = [
        Code::InvalidArgument,
        Code::Timeout,
        Code::Cancelled,
        Code::Closed,
        Code::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidArgument => "E_INVALID_ARGUMENT",
            Code::Timeout => "E_TIMEOUT",
            Code::Cancelled => "E_CANCELLED",
            Code::Closed => "E_CLOSED",
            Code::Failed => "E_FAILED",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failure with its code and a message for people. Cheap to clone: a settled
/// outcome is handed out again each time an op is re-awaited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: Code,
    pub message: Arc<str>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<Arc<str>>) -> Self {
        Error { code, message: message.into() }
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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;
