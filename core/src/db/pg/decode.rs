//! Postgres binary values -> cells, for every type the neutral model has. A type it
//! does not know is E_DECODE naming the column and the type, never a guess.

use std::sync::Arc;

use fallible_iterator::FallibleIterator;
use postgres_protocol::types as wire;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, Kind, Type};

use super::numeric;
use crate::db::cell::{Array, Cell, Columns, IntWidth};
use crate::error::{Code, Error, Result};

/// Days from 1970-01-01 (the model's epoch) to 2000-01-01 (Postgres's).
pub(super) const EPOCH_DAYS: i32 = 10_957;
/// The same offset in microseconds.
pub(super) const EPOCH_MICROS: i64 = EPOCH_DAYS as i64 * 86_400_000_000;

/// A column's raw bytes, whatever its type: decoding is ours, not the driver's.
struct Raw<'a>(Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(
        _: &Type,
        raw: &'a [u8],
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(
        _: &Type,
    ) -> std::result::Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

pub(super) fn row(row: &Row, columns: &Columns) -> Result<Vec<Cell>> {
    let mut cells = Vec::with_capacity(columns.names.len());
    for (i, column) in row.columns().iter().enumerate() {
        let raw: Raw<'_> = row
            .try_get(i)
            .map_err(|e| Error::new(Code::Decode, e.to_string()))?;
        let cell = match raw.0 {
            None => Cell::Null,
            Some(bytes) => value(column.type_(), bytes).map_err(|reason| {
                Error::new(
                    Code::Decode,
                    format!(
                        "column {:?} of type {}: {reason}",
                        column.name(),
                        column.type_().name()
                    ),
                )
                .with("column", column.name())
                .with("type", column.type_().name())
            })?,
        };
        cells.push(cell);
    }
    Ok(cells)
}

type Decoded = std::result::Result<Cell, String>;

fn text(raw: &[u8]) -> Decoded {
    std::str::from_utf8(raw)
        .map(|s| Cell::Text(s.into()))
        .map_err(|_| "text is not UTF-8".into())
}

fn shifted_date(days: i32) -> Decoded {
    match days {
        // infinity / -infinity keep Postgres's own sentinels.
        i32::MAX | i32::MIN => Ok(Cell::Date(days)),
        d => d
            .checked_add(EPOCH_DAYS)
            .map(Cell::Date)
            .ok_or_else(|| "date is out of range".into()),
    }
}

fn shifted_micros(micros: i64) -> std::result::Result<i64, String> {
    match micros {
        i64::MAX | i64::MIN => Ok(micros),
        m => m
            .checked_add(EPOCH_MICROS)
            .ok_or_else(|| "timestamp is out of range".into()),
    }
}

/// One non-null value of type `ty`.
pub(super) fn value(ty: &Type, raw: &[u8]) -> Decoded {
    let e = |err: Box<dyn std::error::Error + Sync + Send>| err.to_string();
    Ok(match *ty {
        Type::BOOL => Cell::Bool(wire::bool_from_sql(raw).map_err(e)?),
        Type::INT2 => Cell::Int(
            wire::int2_from_sql(raw).map_err(e)? as i64,
            IntWidth::Narrow,
        ),
        Type::INT4 => Cell::Int(
            wire::int4_from_sql(raw).map_err(e)? as i64,
            IntWidth::Narrow,
        ),
        Type::INT8 => Cell::Int(wire::int8_from_sql(raw).map_err(e)?, IntWidth::Wide),
        Type::OID => Cell::Int(wire::oid_from_sql(raw).map_err(e)? as i64, IntWidth::Wide),
        Type::FLOAT4 => Cell::Float(wire::float4_from_sql(raw).map_err(e)? as f64),
        Type::FLOAT8 => Cell::Float(wire::float8_from_sql(raw).map_err(e)?),
        Type::NUMERIC => Cell::Numeric(numeric::decode(raw)?.into()),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::XML => {
            return text(raw);
        }
        Type::CHAR => Cell::Text(
            char::from(wire::char_from_sql(raw).map_err(e)? as u8)
                .to_string()
                .into(),
        ),
        Type::BYTEA => Cell::Bytes(bytes::Bytes::copy_from_slice(raw)),
        Type::UUID => Cell::Uuid(wire::uuid_from_sql(raw).map_err(e)?),
        Type::JSON => Cell::Json(Arc::new(
            serde_json::from_slice(raw).map_err(|e| e.to_string())?,
        )),
        Type::JSONB => match raw.split_first() {
            Some((1, json)) => Cell::Json(Arc::new(
                serde_json::from_slice(json).map_err(|e| e.to_string())?,
            )),
            _ => return Err("unknown jsonb format version".into()),
        },
        Type::DATE => return shifted_date(wire::date_from_sql(raw).map_err(e)?),
        Type::TIME => Cell::Time(wire::time_from_sql(raw).map_err(e)?),
        Type::TIMESTAMP => {
            Cell::Timestamp(shifted_micros(wire::timestamp_from_sql(raw).map_err(e)?)?)
        }
        Type::TIMESTAMPTZ => {
            Cell::TimestampTz(shifted_micros(wire::timestamp_from_sql(raw).map_err(e)?)?)
        }
        Type::INTERVAL => {
            let [a, b, c, d, f, g, h, i, j, k, l, m, n, o, p, q] = raw else {
                return Err("interval value has the wrong length".into());
            };
            Cell::Interval {
                microseconds: i64::from_be_bytes([*a, *b, *c, *d, *f, *g, *h, *i]),
                days: i32::from_be_bytes([*j, *k, *l, *m]),
                months: i32::from_be_bytes([*n, *o, *p, *q]),
            }
        }
        Type::INET | Type::CIDR => {
            let inet = wire::inet_from_sql(raw).map_err(e)?;
            Cell::Inet {
                addr: inet.addr(),
                prefix: inet.netmask(),
                cidr: *ty == Type::CIDR,
            }
        }
        _ => match ty.kind() {
            Kind::Array(elem) => return array(elem, raw),
            // An enum travels as its label; a domain as its base type.
            Kind::Enum(_) => return text(raw),
            Kind::Domain(base) => return value(base, raw),
            // citext (an extension type) sends plain text.
            _ if ty.name() == "citext" => return text(raw),
            _ => return Err("fanio does not decode this type".into()),
        },
    })
}

fn array(elem: &Type, raw: &[u8]) -> Decoded {
    let e = |err: Box<dyn std::error::Error + Sync + Send>| err.to_string();
    let parsed = wire::array_from_sql(raw).map_err(e)?;
    let dims: Vec<(i32, i32)> = parsed
        .dimensions()
        .map(|d| Ok((d.len, d.lower_bound)))
        .collect()
        .map_err(e)?;
    // Each element takes at least its 4-byte length: dimensions claiming more elements
    // than that are malformed, and trusting them would reserve memory for billions of
    // cells (an abort of the whole process; found by the pg_value fuzz target).
    let count = dims
        .iter()
        .try_fold(usize::from(!dims.is_empty()), |acc, &(len, _)| {
            usize::try_from(len).ok().and_then(|l| acc.checked_mul(l))
        });
    let count = match count {
        Some(n) if n <= raw.len() / 4 => n,
        _ => return Err(format!("array dimensions {dims:?} do not match its data")),
    };
    let mut elems = Vec::with_capacity(count);
    let mut values = parsed.values();
    while let Some(v) = values.next().map_err(e)? {
        elems.push(match v {
            None => Cell::Null,
            Some(bytes) => value(elem, bytes)?,
        });
    }
    Ok(Cell::Array(Arc::new(Array {
        elem_type: elem.name().into(),
        dims,
        elems,
    })))
}
