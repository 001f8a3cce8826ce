//! copy_records from a converter, the way the Python binding hands rows over: chunks
//! pulled while the load runs. Shared by the SQLite and Postgres suites, which include
//! this file, so both backends run the same scenario.

use fanio_core::db::{Cell, Database, Params, Records};
use fanio_core::error::Field;
use fanio_core::{Code, Error, Op, Outcome, Value, runtime};

fn run(op: Op) -> Outcome {
    runtime::handle().block_on(op.run())
}

fn count(db: &Database, table: &str) -> i64 {
    match run(db.fetch_val(&format!("SELECT count(*) FROM {table}"), Params::default())) {
        Ok(Value::Cell(Cell::Int(n, _))) => n,
        other => panic!("not a count: {other:?}"),
    }
}

/// Hands `rows` out in chunks of at most the size the core asks for.
fn converted(rows: Vec<Vec<Cell>>) -> Records {
    let mut rows = rows.into_iter();
    Records::Converted(Box::new(move |max| Ok(rows.by_ref().take(max).collect())))
}

fn rows(from: i64, n: i64) -> Vec<Vec<Cell>> {
    (from..from + n)
        .map(|i| vec![Cell::int(i), Cell::text(&format!("v{i}"))])
        .collect()
}

/// `table` has two columns, `id` (an integer key) and `v` (text), and no rows.
pub fn copy_from_a_converter(db: &Database, table: &str) {
    let cols = || vec!["id".to_string(), "v".to_string()];
    // Several chunks: the core asks for a few thousand rows at a time.
    let loaded = run(db.copy_records(table, cols(), converted(rows(0, 10_000))));
    assert!(matches!(loaded, Ok(Value::Int(10_000))), "{loaded:?}");
    assert_eq!(count(db, table), 10_000);

    // A row of the wrong width in a late chunk: its index is named, nothing is loaded.
    let mut bad = rows(20_000, 10_000);
    bad[9_000].pop();
    let e = run(db.copy_records(table, cols(), converted(bad))).unwrap_err();
    assert_eq!(
        (e.code, e.field("row")),
        (Code::InvalidArgument, Some(&Field::Int(9_000)))
    );
    assert_eq!(count(db, table), 10_000);

    // The converter itself fails part way (a value it cannot convert): that error.
    let mut calls = 0;
    let failing = Records::Converted(Box::new(move |max| {
        calls += 1;
        if calls == 3 {
            return Err(
                Error::invalid("row 9000, parameter $2: not convertible").with("row", 9_000)
            );
        }
        Ok(rows(40_000 + calls * 10_000, max as i64))
    }));
    let e = run(db.copy_records(table, cols(), failing)).unwrap_err();
    assert_eq!(
        (e.code, &*e.message, e.field("row")),
        (
            Code::InvalidArgument,
            "row 9000, parameter $2: not convertible",
            Some(&Field::Int(9_000))
        )
    );
    assert_eq!(count(db, table), 10_000);
}
