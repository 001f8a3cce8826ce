//! The language-neutral row model: what a query returns and what parameters are made
//! of. Both bindings convert exactly these shapes, so Python and Node see the same data.

use std::net::IpAddr;
use std::sync::Arc;

use bytes::Bytes;

/// The width a database integer had, so Node can map 8-byte integers to `bigint` and
/// smaller ones to `number`. Parameters ignore it: the statement's type decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntWidth {
    /// int2 / int4 (and SQLite never: its integers are 8 bytes).
    Narrow,
    /// int8, oid, SQLite INTEGER.
    Wide,
}

/// One value of a row or of a parameter.
///
/// Dates and times are counts from the Unix epoch (1970-01-01, UTC for `TimestampTz`).
/// Postgres `infinity` / `-infinity` keep the sentinels Postgres itself stores:
/// `i32::MAX` / `i32::MIN` days for dates, `i64::MAX` / `i64::MIN` microseconds for
/// timestamps. They round-trip unchanged; each binding decides how to show them.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Bool(bool),
    Int(i64, IntWidth),
    /// float4 (widened exactly) or float8, SQLite REAL.
    Float(f64),
    /// Exact decimal text: `-12.3400`, `NaN`, `Infinity`, `-Infinity`.
    Numeric(Arc<str>),
    Text(Arc<str>),
    Bytes(Bytes),
    Uuid([u8; 16]),
    /// json and jsonb, parsed.
    Json(Arc<serde_json::Value>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since midnight.
    Time(i64),
    /// Microseconds since 1970-01-01 00:00, no time zone.
    Timestamp(i64),
    /// Microseconds since 1970-01-01 00:00 UTC.
    TimestampTz(i64),
    Interval {
        months: i32,
        days: i32,
        microseconds: i64,
    },
    Inet {
        addr: IpAddr,
        prefix: u8,
        cidr: bool,
    },
    Array(Arc<Array>),
}

/// A Postgres array of any number of dimensions; elements are in row-major order and
/// may be `Cell::Null`.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    /// The element type's name (`int4`, `text`, ...); as a parameter it may be empty:
    /// the statement's type decides.
    pub elem_type: Arc<str>,
    /// `(length, lower bound)` per dimension; empty for an empty array.
    pub dims: Vec<(i32, i32)>,
    pub elems: Vec<Cell>,
}

impl Cell {
    pub fn int(v: i64) -> Cell {
        Cell::Int(v, IntWidth::Wide)
    }

    pub fn text(v: &str) -> Cell {
        Cell::Text(v.into())
    }

    /// The name used in messages about a value that does not fit.
    pub fn kind(&self) -> &'static str {
        match self {
            Cell::Null => "null",
            Cell::Bool(_) => "bool",
            Cell::Int(..) => "int",
            Cell::Float(_) => "float",
            Cell::Numeric(_) => "numeric",
            Cell::Text(_) => "text",
            Cell::Bytes(_) => "bytes",
            Cell::Uuid(_) => "uuid",
            Cell::Json(_) => "json",
            Cell::Date(_) => "date",
            Cell::Time(_) => "time",
            Cell::Timestamp(_) => "timestamp",
            Cell::TimestampTz(_) => "timestamptz",
            Cell::Interval { .. } => "interval",
            Cell::Inet { .. } => "inet",
            Cell::Array(_) => "array",
        }
    }
}

/// Query parameters: positional (`$1`, `?`) or, for SQLite, named (`:name`, `@name`,
/// `$name`; a bare `name` means `:name`).
#[derive(Clone, Debug, PartialEq)]
pub enum Params {
    Positional(Vec<Cell>),
    Named(Vec<(String, Cell)>),
}

impl Default for Params {
    fn default() -> Self {
        Params::Positional(Vec::new())
    }
}

impl From<Vec<Cell>> for Params {
    fn from(v: Vec<Cell>) -> Self {
        Params::Positional(v)
    }
}

/// The column names and type names of a result, shared by all its rows (and cached per
/// statement, so a batch of lookups does not allocate them again).
#[derive(Debug, PartialEq)]
pub struct Columns {
    pub names: Arc<[Arc<str>]>,
    /// Postgres type names (`int4`, `_text`, an enum's own name); SQLite declared types
    /// (may be empty).
    pub types: Arc<[Arc<str>]>,
}

/// A query result: the columns once, then the rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Rows {
    pub columns: Arc<[Arc<str>]>,
    pub column_types: Arc<[Arc<str>]>,
    pub rows: Vec<Vec<Cell>>,
}

impl Rows {
    pub fn new(columns: &Columns, rows: Vec<Vec<Cell>>) -> Rows {
        Rows {
            columns: columns.names.clone(),
            column_types: columns.types.clone(),
            rows,
        }
    }
}

/// The proleptic Gregorian (year, month, day) of `Cell::Date`'s day count from
/// 1970-01-01 (Howard Hinnant's civil_from_days); both bindings print or build dates
/// from it.
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}
