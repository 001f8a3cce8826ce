//! Language-neutral values that ops resolve with. Each binding converts a `Value` into
//! host objects exactly once, on its own thread, when an outcome is delivered.

use std::any::Any;
use std::sync::Arc;

use crate::db;
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
    Int(i64),
    Database(db::Database),
    Transaction(db::Transaction),
    /// A query result; `Row` holds exactly one row.
    Rows(Arc<db::Rows>),
    Row(Arc<db::Rows>),
    Cell(db::Cell),
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
            Value::Int(v) => write!(f, "Int({v})"),
            Value::Database(d) => write!(f, "{d:?}"),
            Value::Transaction(t) => write!(f, "{t:?}"),
            Value::Rows(r) => write!(f, "Rows({r:?})"),
            Value::Row(r) => write!(f, "Row({r:?})"),
            Value::Cell(c) => write!(f, "Cell({c:?})"),
            Value::Response(r) => write!(f, "Response({r:?})"),
            Value::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// How every op ends: fulfilled with a value or rejected with a reason.
pub type Outcome = Result<Value, Error>;
