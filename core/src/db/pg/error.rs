//! tokio-postgres errors as core errors: what the server reported is E_DB with its
//! fields, a parameter that did not fit is E_INVALID_ARGUMENT with its index, a lost
//! connection is E_PROTOCOL, and failures to connect are E_CONNECT / E_TLS.

use std::error::Error as StdError;

use super::encode::ParamError;
use crate::error::{Code, Error};

fn find<'a, T: StdError + 'static>(e: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(found) = err.downcast_ref::<T>() {
            return Some(found);
        }
        // An io::Error's `source()` skips the error it wraps (a rustls error, say).
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => err.source(),
        };
    }
    None
}

/// A parameter that did not fit its type.
pub(super) fn param(p: &ParamError) -> Error {
    Error::invalid(p.message.clone()).with("index", p.index as i64)
}

/// An error of a query.
pub(super) fn query(e: tokio_postgres::Error) -> Error {
    if let Some(p) = find::<ParamError>(&e) {
        return param(p);
    }
    if let Some(db) = e.as_db_error() {
        let mut err = Error::new(Code::Db, db.message()).with("sqlstate", db.code().code());
        let optional = [
            ("detail", db.detail()),
            ("schema", db.schema()),
            ("table", db.table()),
            ("column", db.column()),
            ("constraint", db.constraint()),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                err = err.with(name, v);
            }
        }
        return err;
    }
    if e.is_closed() {
        return Error::new(Code::Protocol, "the connection to the database was lost");
    }
    Error::new(Code::Protocol, e.to_string())
}

/// An error while connecting: refused, unreachable, timed out, TLS, or refused by the
/// server itself (bad password, unknown database: E_DB with its sqlstate).
pub(super) fn connect(e: tokio_postgres::Error, label: &str) -> Error {
    if e.as_db_error().is_some() {
        return query(e).with("phase", "connect");
    }
    let text = e.to_string();
    // tokio-postgres reports every TLS failure (including a server without TLS) under
    // this one message; the kind itself is private.
    if let Some(tls) = find::<rustls::Error>(&e) {
        // What was wrong with the certificate (unknown issuer, wrong name, expired).
        return Error::new(Code::Tls, format!("TLS with {label} failed: {text}: {tls}"));
    }
    if text.starts_with("error performing TLS handshake") {
        return Error::new(Code::Tls, format!("TLS with {label} failed: {text}"));
    }
    Error::new(Code::Connect, format!("cannot connect to {label}: {text}"))
}
