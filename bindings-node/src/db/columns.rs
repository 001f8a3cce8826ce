//! A result crosses into JS once, not once per cell (issue 4): each column is encoded
//! by its kind into two scratch arrays, 8-byte words and UTF-8 bytes, and rows.js
//! reads them into rows with code compiled per column list. A Node-API call per cell
//! cost more than the query; reads of a typed array in JS cost almost nothing.
//! Columns of rare or mixed kinds still cross cell by cell (`cells::cell_to_js`).

use crate::wire;
use std::fmt::Write;

use fanio_core::db::{Cell, IntWidth, Rows};

use super::cells::{self, Ints};
use super::js::{Js, Raw};
use super::{scratch, text};

/// How a column crosses; its numbers are the `COLUMN_*` of `wire.rs`, which rows.js
/// reads. The words a column takes follow the header (see `Encoded`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Kind {
    /// One f64 word per row: int2, int4, float4, float8, SQLite integers exact as
    /// numbers.
    Number = wire::COLUMN_NUMBER,
    /// One i64 word per row, read through a BigInt64Array.
    BigInt = wire::COLUMN_BIGINT,
    /// One word per row, 0 or 1.
    Bool = wire::COLUMN_BOOL,
    /// One word per row, milliseconds (±Infinity for Postgres's infinities).
    Date = wire::COLUMN_DATE,
    /// count + 1 words: the byte offsets of each row's UTF-8 text in the bytes.
    Text = wire::COLUMN_TEXT,
    /// 2 words: the byte range of one JSON array of the column's documents (`null`
    /// for a NULL), which JSON.parse reads at once.
    Json = wire::COLUMN_JSON,
    /// No words: a JS array made cell by cell.
    Values = wire::COLUMN_VALUES,
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

/// What the first pass learns of a column: the kind its non-null cells share (None
/// while all were null; Values when they differ: SQLite columns may mix types), and
/// whether any is null.
#[derive(Clone, Copy, Default)]
struct Seen {
    kind: Option<Kind>,
    nulls: bool,
}

impl Seen {
    fn add(&mut self, cell: Option<Kind>) {
        match (cell, self.kind) {
            (None, _) => self.nulls = true,
            (Some(k), None) => self.kind = Some(k),
            (Some(k), Some(c)) if k != c => self.kind = Some(Kind::Values),
            _ => {}
        }
    }
}

/// Where the second pass puts a column's cells.
enum Sink {
    /// One word per row from `at`.
    Words { at: usize },
    /// The column's own text and, from `at`, each row's offset in it; both move into
    /// the result's words and bytes once every row is written.
    Text { at: usize, text: String },
    /// The column's own JSON array text, its byte range going to `at`.
    Json { at: usize, text: String },
    /// A JS array, a cell at a time.
    Values(Raw),
}

/// A column of the second pass: its sink, and where its null flags start in the bytes
/// (JSON and Values columns hold their nulls themselves).
struct Column {
    sink: Sink,
    nulls: Option<usize>,
}

/// A result as it is written: the words (3 header words per column, then each
/// column's), the bytes (null flags, then text) and the JS array of Values columns.
struct Encoded {
    words: Vec<u64>,
    bytes: Vec<u8>,
    values: Option<Raw>,
}

/// The `width` cells of a row (the core gives every row that many; a short one reads
/// as nulls rather than as a panic on the JS thread).
fn cells(row: &[Cell], width: usize) -> impl Iterator<Item = &Cell> {
    (0..width).map(move |c| row.get(c).unwrap_or(&Cell::Null))
}

/// Words hold f64 bits (numbers, offsets) or i64 bits (bigints).
fn word(v: f64) -> u64 {
    v.to_bits()
}

/// A result as JS rows: objects by column name, or arrays; `single` gives the first
/// row alone (fetchOne, fetchOptional).
///
/// The rows are read in two passes (kinds, then cells), each row by row: a result is
/// a vector per row, and reading it a column at a time cost five times as much.
pub fn rows(js: Js, rows: &Rows, ints: Ints, as_arrays: bool, single: bool) -> napi::Result<Raw> {
    let (width, count) = (rows.columns.len(), rows.rows.len());
    let mut seen = vec![Seen::default(); width];
    for row in &rows.rows {
        for (s, cell) in seen.iter_mut().zip(cells(row, width)) {
            s.add(kind(cell, ints));
        }
    }
    let mut out = Encoded {
        words: vec![0; 3 * width],
        bytes: Vec::new(),
        values: None,
    };
    let mut columns = Vec::with_capacity(width);
    for (c, s) in seen.iter().enumerate() {
        columns.push(out.column(js, c, *s, width, count)?);
    }
    for (r, row) in rows.rows.iter().enumerate() {
        for (col, cell) in columns.iter_mut().zip(cells(row, width)) {
            out.cell(js, col, r, cell, ints)?;
        }
    }
    for col in columns {
        out.join(col.sink, count);
    }
    let args = [
        scratch::words(js, &out.words)?,
        scratch::bytes(js, &out.bytes)?,
        match out.values {
            Some(v) => v,
            None => js.undefined()?,
        },
        js.number(count as f64)?,
        js.boolean(as_arrays)?,
        js.boolean(single)?,
    ];
    js.call(cells::shape_builder(js, &rows.columns)?, &args)
}

impl Encoded {
    /// Makes room for column `c` and writes its header: its kind, its first word and
    /// where its null flags start (-1: none).
    fn column(
        &mut self,
        js: Js,
        c: usize,
        seen: Seen,
        width: usize,
        count: usize,
    ) -> napi::Result<Column> {
        // An all-null column: numbers, each then replaced by null.
        let kind = seen.kind.unwrap_or(Kind::Number);
        let at = self.words.len();
        let (sink, words) = match kind {
            Kind::Text => (
                Sink::Text {
                    at,
                    text: String::new(),
                },
                count + 1,
            ),
            Kind::Json => (
                Sink::Json {
                    at,
                    text: String::new(),
                },
                2,
            ),
            Kind::Values => {
                let all = match self.values {
                    Some(all) => all,
                    None => *self.values.insert(js.array(width)?),
                };
                let list = js.array(count)?;
                js.set_element(all, c as u32, list)?;
                (Sink::Values(list), 0)
            }
            _ => (Sink::Words { at }, count),
        };
        self.words.resize(at + words, 0);
        let nulls = (seen.nulls && !matches!(kind, Kind::Json | Kind::Values)).then(|| {
            self.bytes.resize(self.bytes.len() + count, 0);
            self.bytes.len() - count
        });
        self.words[3 * c] = word(kind as u8 as f64);
        self.words[3 * c + 1] = word(at as f64);
        self.words[3 * c + 2] = word(nulls.map_or(-1.0, |n| n as f64));
        Ok(Column { sink, nulls })
    }

    /// Writes row `r`'s cell of a column.
    fn cell(
        &mut self,
        js: Js,
        col: &mut Column,
        r: usize,
        cell: &Cell,
        ints: Ints,
    ) -> napi::Result<()> {
        if let (Some(n), Cell::Null) = (col.nulls, cell) {
            self.bytes[n + r] = 1;
        }
        match &mut col.sink {
            Sink::Words { at } => self.words[*at + r] = number_word(cell, ints),
            // An offset in the column's own text until `join`.
            Sink::Text { at, text } => {
                self.words[*at + r] = text.len() as u64;
                text::write(text, cell);
            }
            Sink::Json { text, .. } => {
                text.push(if r == 0 { '[' } else { ',' });
                match cell {
                    Cell::Json(v) => {
                        let _ = write!(text, "{v}");
                    }
                    _ => text.push_str("null"),
                }
            }
            Sink::Values(list) => {
                js.set_element(*list, r as u32, cells::cell_to_js(js, cell, ints)?)?;
            }
        }
        Ok(())
    }

    /// Moves a column's own text into the bytes, its offsets becoming offsets there.
    fn join(&mut self, sink: Sink, count: usize) {
        let base = self.bytes.len();
        match sink {
            Sink::Text { at, text } => {
                for w in &mut self.words[at..at + count] {
                    *w = word((base + *w as usize) as f64);
                }
                self.words[at + count] = word((base + text.len()) as f64);
                self.bytes.extend_from_slice(text.as_bytes());
            }
            Sink::Json { at, mut text } => {
                text.push_str(if count == 0 { "[]" } else { "]" });
                self.words[at] = word(base as f64);
                self.words[at + 1] = word((base + text.len()) as f64);
                self.bytes.extend_from_slice(text.as_bytes());
            }
            Sink::Words { .. } | Sink::Values(_) => {}
        }
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
