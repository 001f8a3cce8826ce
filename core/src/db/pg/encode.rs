//! Cells -> Postgres binary parameters, converted to the type the prepared statement
//! expects. A value that does not fit is refused naming its parameter (`$1` = index 1)
//! before anything is sent.

use std::error::Error as StdError;
use std::fmt;

use bytes::{BufMut, BytesMut};
use postgres_protocol::types as wire;
use tokio_postgres::types::{Format, IsNull, Kind, ToSql, Type};

use super::decode::{EPOCH_DAYS, EPOCH_MICROS};
use super::numeric;
use crate::db::cell::Cell;

/// Why parameter `index` (1-based) could not be sent; found again in the driver's
/// error chain to report E_INVALID_ARGUMENT with the index.
#[derive(Debug)]
pub(super) struct ParamError {
    pub index: usize,
    pub message: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for ParamError {}

/// One parameter with its position; `what` says where it sits (`parameter $2`, or a
/// column of a COPY).
#[derive(Debug)]
pub(super) struct Param<'a> {
    pub cell: &'a Cell,
    pub index: usize,
    pub what: &'static str,
    /// Whether text may travel in Postgres's text format (bound parameters); COPY
    /// BINARY carries binary values only.
    pub text_allowed: bool,
}

impl Param<'_> {
    /// Text for a date, time, timestamp, interval or network parameter is sent as
    /// Postgres text and parsed by the server's own input function (`2024-02-29`,
    /// `infinity`, `1 day`, `10.0.0.0/8`): a host without such types (JS) passes the
    /// strings it reads back, and Postgres alone decides what they mean.
    fn as_text(&self, ty: &Type) -> Option<&str> {
        let base = match ty.kind() {
            Kind::Domain(base) => base,
            _ => ty,
        };
        match self.cell {
            Cell::Text(s)
                if self.text_allowed
                    && matches!(
                        *base,
                        Type::DATE
                            | Type::TIME
                            | Type::TIMETZ
                            | Type::TIMESTAMP
                            | Type::TIMESTAMPTZ
                            | Type::INTERVAL
                            | Type::INET
                            | Type::CIDR
                    ) =>
            {
                Some(s)
            }
            _ => None,
        }
    }
}

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        if let Some(text) = self.as_text(ty) {
            out.put_slice(text.as_bytes());
            return Ok(IsNull::No);
        }
        encode(self.cell, ty, out).map_err(|reason| {
            let message = format!("{} {}: {reason}", self.what, self.index);
            Box::new(ParamError {
                index: self.index,
                message,
            }) as Box<dyn StdError + Sync + Send>
        })
    }

    fn encode_format(&self, ty: &Type) -> Format {
        match self.as_text(ty) {
            Some(_) => Format::Text,
            None => Format::Binary,
        }
    }

    /// Any type is accepted here; `to_sql` decides per value and says why not.
    fn accepts(_: &Type) -> bool {
        true
    }

    fn to_sql_checked(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn StdError + Sync + Send>> {
        self.to_sql(ty, out)
    }
}

fn out_of_range(cell: &Cell, ty: &Type) -> String {
    format!("{cell:?} is out of range for type {}", ty.name())
}

/// A Unix-epoch count in Postgres's epoch, keeping the infinity sentinels.
fn micros(v: i64, ty: &Type, cell: &Cell) -> Result<i64, String> {
    match v {
        i64::MAX | i64::MIN => Ok(v),
        v => v
            .checked_sub(EPOCH_MICROS)
            .ok_or_else(|| out_of_range(cell, ty)),
    }
}

/// One cell in the binary form of `ty` (the bytes only, no length), or why it does not fit.
pub(super) fn encode(cell: &Cell, ty: &Type, out: &mut BytesMut) -> Result<IsNull, String> {
    if let Cell::Null = cell {
        return Ok(IsNull::Yes);
    }
    let mismatch = || format!("a {} value does not fit type {}", cell.kind(), ty.name());
    match ty.kind() {
        Kind::Domain(base) => return encode(cell, base, out),
        Kind::Enum(_) => {
            return match cell {
                Cell::Text(s) => {
                    wire::text_to_sql(s, out);
                    Ok(IsNull::No)
                }
                _ => Err(mismatch()),
            };
        }
        Kind::Array(elem) => {
            let Cell::Array(array) = cell else {
                return Err(mismatch());
            };
            let dims: Vec<(i32, i32)> = match (array.dims.is_empty(), array.elems.len()) {
                (true, 0) => Vec::new(),
                // No shape given: a one-dimensional array from 1, as Postgres makes them.
                (true, n) => vec![(
                    i32::try_from(n).map_err(|_| "array is too long".to_string())?,
                    1,
                )],
                (false, _) => array.dims.clone(),
            };
            let count = if dims.is_empty() {
                Some(0)
            } else {
                dims.iter().try_fold(1usize, |acc, (len, _)| {
                    usize::try_from(*len).ok().and_then(|l| acc.checked_mul(l))
                })
            };
            if count != Some(array.elems.len()) {
                return Err(format!(
                    "array dimensions {:?} do not match its {} elements",
                    dims,
                    array.elems.len()
                ));
            }
            let dims = dims
                .into_iter()
                .map(|(len, lower_bound)| wire::ArrayDimension { len, lower_bound });
            let mut failure = None;
            let written = wire::array_to_sql(
                dims,
                elem.oid(),
                array.elems.iter(),
                |e, buf| match encode(e, elem, buf) {
                    Ok(IsNull::Yes) => Ok(postgres_protocol::IsNull::Yes),
                    Ok(IsNull::No) => Ok(postgres_protocol::IsNull::No),
                    Err(reason) => {
                        failure = Some(format!("array element: {reason}"));
                        Err(reason.into())
                    }
                },
                out,
            );
            return match (written, failure) {
                (Ok(()), _) => Ok(IsNull::No),
                (Err(_), Some(reason)) => Err(reason),
                (Err(e), None) => Err(e.to_string()),
            };
        }
        _ => {}
    }
    match (ty, cell) {
        (&Type::BOOL, Cell::Bool(b)) => wire::bool_to_sql(*b, out),
        (&Type::INT2, Cell::Int(v, _)) => {
            wire::int2_to_sql(i16::try_from(*v).map_err(|_| out_of_range(cell, ty))?, out)
        }
        (&Type::INT4, Cell::Int(v, _)) => {
            wire::int4_to_sql(i32::try_from(*v).map_err(|_| out_of_range(cell, ty))?, out)
        }
        (&Type::INT8, Cell::Int(v, _)) => wire::int8_to_sql(*v, out),
        (&Type::OID, Cell::Int(v, _)) => {
            wire::oid_to_sql(u32::try_from(*v).map_err(|_| out_of_range(cell, ty))?, out)
        }
        (&Type::FLOAT4, Cell::Float(v)) => wire::float4_to_sql(*v as f32, out),
        (&Type::FLOAT4, Cell::Int(v, _)) => wire::float4_to_sql(*v as f32, out),
        (&Type::FLOAT8, Cell::Float(v)) => wire::float8_to_sql(*v, out),
        (&Type::FLOAT8, Cell::Int(v, _)) => wire::float8_to_sql(*v as f64, out),
        (&Type::NUMERIC, Cell::Numeric(s) | Cell::Text(s)) => numeric_to_sql(s, out)?,
        (&Type::NUMERIC, Cell::Int(v, _)) => numeric_to_sql(&v.to_string(), out)?,
        (&Type::NUMERIC, Cell::Float(v)) => {
            // Display of f64 never uses an exponent and is the shortest exact form.
            let text = match *v {
                v if v.is_nan() => "NaN".to_string(),
                v if v.is_infinite() => if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string(),
                v => v.to_string(),
            };
            numeric_to_sql(&text, out)?
        }
        (
            &Type::TEXT
            | &Type::VARCHAR
            | &Type::BPCHAR
            | &Type::NAME
            | &Type::UNKNOWN
            | &Type::XML,
            Cell::Text(s),
        ) => wire::text_to_sql(s, out),
        (&Type::BYTEA, Cell::Bytes(b)) => wire::bytea_to_sql(b, out),
        (&Type::UUID, Cell::Uuid(u)) => wire::uuid_to_sql(*u, out),
        (&Type::UUID, Cell::Text(s)) => wire::uuid_to_sql(
            parse_uuid(s).ok_or_else(|| format!("{s:?} is not a UUID"))?,
            out,
        ),
        (&Type::JSON, Cell::Json(v)) => {
            serde_json::to_writer(out.writer(), &**v).map_err(|e| e.to_string())?
        }
        (&Type::JSONB, Cell::Json(v)) => {
            out.put_u8(1);
            serde_json::to_writer(out.writer(), &**v).map_err(|e| e.to_string())?
        }
        // Text for a json parameter is the JSON document itself, sent as is.
        (&Type::JSON, Cell::Text(s)) => out.put_slice(s.as_bytes()),
        (&Type::JSONB, Cell::Text(s)) => {
            out.put_u8(1);
            out.put_slice(s.as_bytes())
        }
        (&Type::DATE, Cell::Date(d)) => wire::date_to_sql(
            match *d {
                i32::MAX | i32::MIN => *d,
                d => d
                    .checked_sub(EPOCH_DAYS)
                    .ok_or_else(|| out_of_range(cell, ty))?,
            },
            out,
        ),
        (&Type::TIME, Cell::Time(t)) if (0..=86_400_000_000).contains(t) => {
            wire::time_to_sql(*t, out)
        }
        (&Type::TIME, Cell::Time(_)) => return Err(out_of_range(cell, ty)),
        // A naive timestamp for a timestamptz parameter is taken as UTC, and the other
        // way round the UTC instant is sent as is.
        (&Type::TIMESTAMP | &Type::TIMESTAMPTZ, Cell::Timestamp(v) | Cell::TimestampTz(v)) => {
            wire::timestamp_to_sql(micros(*v, ty, cell)?, out)
        }
        (
            &Type::INTERVAL,
            Cell::Interval {
                months,
                days,
                microseconds,
            },
        ) => {
            out.put_i64(*microseconds);
            out.put_i32(*days);
            out.put_i32(*months);
        }
        // A host without an interval type (JS) passes the object it reads back.
        (&Type::INTERVAL, Cell::Json(v)) => {
            let part = |name: &str| {
                v.get(name)
                    .and_then(serde_json::Value::as_i64)
                    .ok_or_else(|| format!("an interval object needs an integer {name}"))
            };
            let (months, days, micros) = (part("months")?, part("days")?, part("microseconds")?);
            let keys = v.as_object().map_or(0, |o| o.len());
            if keys != 3 {
                return Err("an interval object has exactly months, days and microseconds".into());
            }
            out.put_i64(micros);
            out.put_i32(i32::try_from(days).map_err(|_| out_of_range(cell, ty))?);
            out.put_i32(i32::try_from(months).map_err(|_| out_of_range(cell, ty))?);
        }
        (&Type::INET | &Type::CIDR, Cell::Inet { addr, prefix, .. }) => {
            let max = if addr.is_ipv4() { 32 } else { 128 };
            if *prefix > max {
                return Err(format!("prefix /{prefix} is too long for {addr}"));
            }
            wire::inet_to_sql(*addr, *prefix, out)
        }
        (ty, Cell::Text(s)) if ty.name() == "citext" => wire::text_to_sql(s, out),
        _ => return Err(mismatch()),
    }
    Ok(IsNull::No)
}

fn numeric_to_sql(text: &str, out: &mut BytesMut) -> Result<(), String> {
    let mut buf = Vec::with_capacity(16);
    numeric::encode(text, &mut buf)?;
    out.put_slice(&buf);
    Ok(())
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hyphens optional, braces allowed).
fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = s
        .trim_matches(['{', '}'])
        .bytes()
        .filter(|b| *b != b'-')
        .collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
    }
    Some(out)
}
