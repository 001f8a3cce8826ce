//! SQLite values and errors in the neutral model: storage classes map one to one onto
//! cells, parameters that SQLite cannot store are refused naming their position, and
//! SQLite's result codes travel as fields of E_DB.

use rusqlite::ErrorCode;
use rusqlite::types::{ToSqlOutput, Value as SqlValue, ValueRef};

use crate::db::cell::{Cell, IntWidth};
use crate::error::{Code, Error, Result};

/// A parameter as SQLite stores it. `what` names it in messages (`$2`, `:name`).
pub(super) fn bind_value<'a>(cell: &'a Cell, what: &dyn Fn() -> String) -> Result<ToSqlOutput<'a>> {
    Ok(match cell {
        Cell::Null => ToSqlOutput::Borrowed(ValueRef::Null),
        Cell::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(*b as i64)),
        Cell::Int(v, _) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
        Cell::Float(v) => ToSqlOutput::Borrowed(ValueRef::Real(*v)),
        Cell::Numeric(s) | Cell::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        Cell::Bytes(b) => ToSqlOutput::Borrowed(ValueRef::Blob(b)),
        Cell::Uuid(u) => ToSqlOutput::Borrowed(ValueRef::Blob(u)),
        Cell::Json(j) => ToSqlOutput::Owned(SqlValue::Text(j.to_string())),
        // SQLite has no type for these; guessing a text format would make queries that
        // compare them silently wrong, so the caller converts them explicitly.
        other => {
            return Err(Error::invalid(format!(
                "parameter {}: SQLite cannot store a value of type {}: pass text or a number",
                what(),
                other.kind()
            )));
        }
    })
}

/// A result value as a cell; `column` names it if its text is not UTF-8.
pub(super) fn cell(value: ValueRef<'_>, column: &str) -> Result<Cell> {
    Ok(match value {
        ValueRef::Null => Cell::Null,
        ValueRef::Integer(i) => Cell::Int(i, IntWidth::Wide),
        ValueRef::Real(f) => Cell::Float(f),
        ValueRef::Text(t) => match std::str::from_utf8(t) {
            Ok(s) => Cell::Text(s.into()),
            Err(_) => {
                return Err(Error::new(
                    Code::Decode,
                    format!("column {column:?} holds text that is not UTF-8"),
                )
                .with("column", column));
            }
        },
        ValueRef::Blob(b) => Cell::Bytes(bytes::Bytes::copy_from_slice(b)),
    })
}

/// An error of rusqlite as a core error: SQLite's own failures are E_DB with
/// `sqlite_code` (the extended result code) and `sqlite_name`.
pub(super) fn error(e: rusqlite::Error) -> Error {
    match e {
        rusqlite::Error::SqliteFailure(f, message) => {
            let message = message.unwrap_or_else(|| f.to_string());
            Error::new(Code::Db, message)
                .with("sqlite_code", f.extended_code as i64)
                .with("sqlite_name", name(f.code, f.extended_code))
        }
        rusqlite::Error::SqlInputError {
            error: f,
            msg,
            offset,
            ..
        } => Error::new(Code::Db, msg)
            .with("sqlite_code", f.extended_code as i64)
            .with("sqlite_name", name(f.code, f.extended_code))
            .with("offset", offset as i64),
        rusqlite::Error::InvalidParameterName(name) => {
            Error::invalid(format!("the statement has no parameter {name}"))
        }
        rusqlite::Error::InvalidParameterCount(given, wanted) => Error::invalid(format!(
            "the statement takes {wanted} parameters, {given} given"
        )),
        rusqlite::Error::MultipleStatement => {
            Error::invalid("one statement per call: the SQL holds several")
        }
        rusqlite::Error::Utf8Error(..) | rusqlite::Error::NulError(_) => {
            Error::new(Code::Decode, e.to_string())
        }
        other => Error::new(Code::Db, other.to_string()),
    }
}

/// The C name of a result code: the extended name for the constraint kinds callers
/// match on, the primary name otherwise.
fn name(code: ErrorCode, extended: i32) -> &'static str {
    match extended {
        275 => return "SQLITE_CONSTRAINT_CHECK",
        787 => return "SQLITE_CONSTRAINT_FOREIGNKEY",
        1299 => return "SQLITE_CONSTRAINT_NOTNULL",
        1555 => return "SQLITE_CONSTRAINT_PRIMARYKEY",
        2067 => return "SQLITE_CONSTRAINT_UNIQUE",
        _ => {}
    }
    match code {
        ErrorCode::InternalMalfunction => "SQLITE_INTERNAL",
        ErrorCode::PermissionDenied => "SQLITE_PERM",
        ErrorCode::OperationAborted => "SQLITE_ABORT",
        ErrorCode::DatabaseBusy => "SQLITE_BUSY",
        ErrorCode::DatabaseLocked => "SQLITE_LOCKED",
        ErrorCode::OutOfMemory => "SQLITE_NOMEM",
        ErrorCode::ReadOnly => "SQLITE_READONLY",
        ErrorCode::OperationInterrupted => "SQLITE_INTERRUPT",
        ErrorCode::SystemIoFailure => "SQLITE_IOERR",
        ErrorCode::DatabaseCorrupt => "SQLITE_CORRUPT",
        ErrorCode::NotFound => "SQLITE_NOTFOUND",
        ErrorCode::DiskFull => "SQLITE_FULL",
        ErrorCode::CannotOpen => "SQLITE_CANTOPEN",
        ErrorCode::FileLockingProtocolFailed => "SQLITE_PROTOCOL",
        ErrorCode::SchemaChanged => "SQLITE_SCHEMA",
        ErrorCode::TooBig => "SQLITE_TOOBIG",
        ErrorCode::ConstraintViolation => "SQLITE_CONSTRAINT",
        ErrorCode::TypeMismatch => "SQLITE_MISMATCH",
        ErrorCode::ApiMisuse => "SQLITE_MISUSE",
        ErrorCode::NoLargeFileSupport => "SQLITE_NOLFS",
        ErrorCode::AuthorizationForStatementDenied => "SQLITE_AUTH",
        ErrorCode::ParameterOutOfRange => "SQLITE_RANGE",
        ErrorCode::NotADatabase => "SQLITE_NOTADB",
        _ => "SQLITE_ERROR",
    }
}
