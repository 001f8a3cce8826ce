//! What every backend hands back for a query, and the one place that turns it into the
//! value each call promises (rows, one row, one cell, a count), so both backends agree.

use std::sync::Arc;

use super::cell::{Cell, Columns, Params, Rows};
use super::records::Records;
use crate::error::{Code, Error, Result};
use crate::value::Value;

/// Which call a query serves; backends use it to skip work (no rows for `Execute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fetch {
    Execute,
    All,
    One,
    Optional,
    Val,
}

/// A finished statement: its columns, its rows (empty for `Execute`) and rows affected.
pub(crate) struct Reply {
    pub columns: Arc<Columns>,
    pub rows: Vec<Vec<Cell>>,
    pub affected: u64,
}

pub(crate) fn shape(reply: Reply, fetch: Fetch) -> Result<Value> {
    let Reply {
        columns,
        mut rows,
        affected,
    } = reply;
    let first = |mut rows: Vec<Vec<Cell>>| {
        rows.truncate(1);
        Arc::new(Rows::new(&columns, rows))
    };
    Ok(match fetch {
        Fetch::Execute => Value::Int(affected.min(i64::MAX as u64) as i64),
        Fetch::All => Value::Rows(Arc::new(Rows::new(&columns, rows))),
        Fetch::One if rows.is_empty() => return Err(no_rows()),
        Fetch::One => Value::Row(first(rows)),
        Fetch::Optional if rows.is_empty() => Value::Null,
        Fetch::Optional => Value::Row(first(rows)),
        Fetch::Val => {
            if rows.is_empty() {
                return Err(no_rows());
            }
            let mut row = rows.swap_remove(0);
            if row.is_empty() {
                return Err(Error::new(Code::NoRows, "the query returned no columns"));
            }
            Value::Cell(row.swap_remove(0))
        }
    })
}

fn no_rows() -> Error {
    Error::new(Code::NoRows, "the query returned no rows")
}

/// A `copy_records` call, checked: identifiers quoted. Each row's width is checked as
/// the rows are read (`Records::stream`).
pub(crate) struct Copy {
    /// `"schema"."table"` or `"table"`.
    pub table: String,
    /// `"a", "b"`.
    pub columns: String,
    pub width: usize,
    pub rows: Records,
}

impl Copy {
    pub fn new(table: &str, columns: Vec<String>, rows: Records) -> Result<Copy> {
        if table.is_empty() || table.split('.').any(str::is_empty) {
            return Err(Error::invalid(format!(
                "copy_records: bad table name {table:?}"
            )));
        }
        if columns.is_empty() {
            return Err(Error::invalid("copy_records: no columns given"));
        }
        // A dot separates the schema from the table, as in SQL; each part is quoted so
        // any name (upper case, spaces, keywords) means itself and nothing else.
        let table = table.split('.').map(quote).collect::<Vec<_>>().join(".");
        let width = columns.len();
        let columns = columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Copy {
            table,
            columns,
            width,
            rows,
        })
    }

    /// The INSERT that loads one row, for backends without a bulk protocol.
    pub fn insert_sql(&self) -> String {
        let marks = vec!["?"; self.width].join(", ");
        format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            self.table, self.columns
        )
    }

    /// The SQL and every row's parameters, for backends without a bulk protocol.
    pub async fn into_inserts(self) -> Result<(String, Vec<Params>)> {
        let sql = self.insert_sql();
        let rows = self.rows.stream(self.width).collect().await?;
        Ok((sql, rows.into_iter().map(Params::Positional).collect()))
    }
}

/// A double-quoted SQL identifier (both Postgres and SQLite read it the same way).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
