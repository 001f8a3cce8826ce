//! Language-neutral values that ops resolve with. Each binding converts a `Value` into
//! host objects exactly once, on its own thread, when an outcome is delivered.

use std::any::Any;
use std::sync::Arc;

use crate::error::Error;

/// An object that belongs to the host language (a Python object, a slot of a JS batch).
/// The core carries it untouched from the call that made the op to its outcome.
pub type HostValue = Arc<dyn Any + Send + Sync>;

/// What a fulfilled op holds. It grows with the ops that need more shapes (HTTP
/// responses, rows); only what ops produce today is here.
#[derive(Clone)]
pub enum Value {
    Null,
    Host(HostValue),
    /// An HTTP response (its body read, or left to stream).
    Response(Arc<crate::http::Response>),
    /// A piece of a streamed body.
    Bytes(bytes::Bytes),
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("Null"),
            Value::Host(_) => f.write_str("Host(..)"),
            Value::Response(r) => write!(f, "Response({r:?})"),
            Value::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// How every op ends: fulfilled with a value or rejected with a reason.
pub type Outcome = Result<Value, Error>;
