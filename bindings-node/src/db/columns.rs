//! A result crosses into JS once, not once per cell (issue 4): each column is encoded
//! by its kind into two scratch arrays, 8-byte words and UTF-8 bytes, and rows.js
//! reads them into rows with code compiled per column list. A Node-API call per cell
//! cost more than the query; reads of a typed array in JS cost almost nothing.
//! Columns of rare or mixed kinds still cross cell by cell (`cells::cell_to_js`).

use std::fmt::Write;

use fanio_core::db::{Cell, IntWidth, Rows};

use super::cells::{self, Ints};
use super::js::{Js, Raw};
use super::{scratch, text};

/// How a column crosses. The numbers are rows.js's; the words a column takes start at
/// its `at` (see `rows`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// One f64 word per row: int2, int4, float4, float8, SQLite integers exact as
    /// numbers.
    Number = 0,
    /// One i64 word per row, read through a BigInt64Array.
    BigInt = 1,
    /// One word per row, 0 or 1.
    Bool = 2,
    /// One word per row, milliseconds (±Infinity for Postgres's infinities).
    Date = 3,
    /// count + 1 words: the byte offsets of each row's UTF-8 text in the bytes.
    Text = 4,
    /// 2 words: the byte range of one JSON array of the column's documents (`null`
    /// for a NULL), which JSON.parse reads at once.
    Json = 5,
    /// No words: a JS array made cell by cell.
    Values = 6,
}

/// The kind of a non-null cell.
fn kind(cell: &Cell, ints: Ints) -> Option<Kind> {
    Some(match cell {
        Cell::Null => return None,
        Cell::Bool(_) => Kind::Bool,
        Cell::Int(_, IntWidth::Narrow) | Cell::Float(_) => Kind::Number,
        Cell::Int(v, IntWidth::Wide) if ints.is_number(*v) => Kind::Number,
        Cell::Int(_, IntWidth::Wide) => Kind::BigInt,
        Cell::Timestamp(_) | Cell::TimestampTz(_) => Kind::Date,
        Cell::Json(_) => Kind::Json,
        Cell::Numeric(_)
        | Cell::Text(_)
        | Cell::Uuid(_)
        | Cell::Date(_)
        | Cell::Time(_)
        | Cell::Inet { .. } => Kind::Text,
        Cell::Bytes(_) | Cell::Interval { .. } | Cell::Array(_) => Kind::Values,
    })
}

/// The kind all non-null cells share (Values when they differ: SQLite columns may
/// mix types), and whether any is null.
fn column_kind<'a>(cells: impl Iterator<Item = &'a Cell>, ints: Ints) -> (Kind, bool) {
    let (mut common, mut nulls) = (None, false);
    for cell in cells {
        match (kind(cell, ints), common) {
            (None, _) => nulls = true,
            (Some(k), None) => common = Some(k),
            (Some(k), Some(c)) if k != c => return (Kind::Values, nulls),
            _ => {}
        }
    }
    // An all-null column: numbers, each then replaced by null.
    (common.unwrap_or(Kind::Number), nulls)
}

/// Words hold f64 bits (numbers, offsets) or i64 bits (bigints).
fn word(v: f64) -> u64 {
    v.to_bits()
}

/// A result as JS rows: objects by column name, or arrays; `single` gives the first
/// row alone (fetchOne, fetchOptional).
///
/// The words start with 3 per column: its kind, `at` (its first word) and where its
/// null flags start in the bytes (-1 when it has no nulls).
pub fn rows(js: Js, rows: &Rows, ints: Ints, as_arrays: bool, single: bool) -> napi::Result<Raw> {
    let (width, count) = (rows.columns.len(), rows.rows.len());
    // The header, then at most count + 1 words a column (Text's); a text cell seldom
    // needs more than a few bytes: growth past a first guess is cheap.
    let mut words = Vec::with_capacity(width * (count + 4));
    words.resize(3 * width, 0u64);
    let mut bytes = String::with_capacity(count * 8);
    let mut values = None;
    for c in 0..width {
        let cells = || {
            rows.rows
                .iter()
                .map(|row| row.get(c).unwrap_or(&Cell::Null))
        };
        let (kind, has_nulls) = column_kind(cells(), ints);
        let at = words.len();
        if kind == Kind::Values {
            let list = js.array(count)?;
            for (r, cell) in cells().enumerate() {
                js.set_element(list, r as u32, cells::cell_to_js(js, cell, ints)?)?;
            }
            let all = match values {
                Some(all) => all,
                None => *values.insert(js.array(width)?),
            };
            js.set_element(all, c as u32, list)?;
        } else {
            encode(kind, cells(), ints, &mut words, &mut bytes);
        }
        // A JSON or Values column holds its nulls itself.
        let null_at = if has_nulls && !matches!(kind, Kind::Json | Kind::Values) {
            let at = bytes.len();
            bytes.extend(cells().map(|cell| char::from(u8::from(matches!(cell, Cell::Null)))));
            at as f64
        } else {
            -1.0
        };
        words[3 * c] = word(kind as u8 as f64);
        words[3 * c + 1] = word(at as f64);
        words[3 * c + 2] = word(null_at);
    }
    let args = [
        scratch::words(js, &words)?,
        scratch::bytes(js, bytes.as_bytes())?,
        match values {
            Some(v) => v,
            None => js.undefined()?,
        },
        js.number(count as f64)?,
        js.boolean(as_arrays)?,
        js.boolean(single)?,
    ];
    js.call(cells::shape_builder(js, &rows.columns)?, &args)
}

/// Appends a column of `kind` (any but Values) to the words and bytes.
fn encode<'a>(
    kind: Kind,
    cells: impl Iterator<Item = &'a Cell>,
    ints: Ints,
    words: &mut Vec<u64>,
    bytes: &mut String,
) {
    match kind {
        Kind::Text => {
            for cell in cells {
                words.push(word(bytes.len() as f64));
                text::write(bytes, cell);
            }
            words.push(word(bytes.len() as f64));
        }
        Kind::Json => {
            words.push(word(bytes.len() as f64));
            bytes.push('[');
            for (r, cell) in cells.enumerate() {
                if r > 0 {
                    bytes.push(',');
                }
                match cell {
                    Cell::Json(v) => {
                        let _ = write!(bytes, "{v}");
                    }
                    _ => bytes.push_str("null"),
                }
            }
            bytes.push(']');
            words.push(word(bytes.len() as f64));
        }
        _ => words.extend(cells.map(|cell| number_word(cell, ints))),
    }
}

/// The word of a cell of a one-word kind; 0 for a null (rows.js puts null there).
fn number_word(cell: &Cell, ints: Ints) -> u64 {
    match *cell {
        Cell::Int(v, IntWidth::Wide) if !ints.is_number(v) => v as u64,
        Cell::Int(v, _) => word(v as f64),
        Cell::Float(v) => word(v),
        Cell::Bool(b) => word(f64::from(u8::from(b))),
        Cell::Timestamp(us) | Cell::TimestampTz(us) => word(cells::millis(us)),
        _ => 0,
    }
}
