//! SQLite end to end on real files and in memory: every call, the value mapping, errors
//! with their fields, transactions (commit, rollback, drop, timeout), close, and a
//! batch of lookups through `settle` whose rate is printed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fanio_core::db::{self, Cell, Database, IntWidth, Params, PoolOptions, Transaction, TxOptions};
use fanio_core::engine::native::settle;
use fanio_core::error::Field;
use fanio_core::{Code, Error, Op, Options, Outcome, Value, runtime};

#[path = "support/converted.rs"]
mod converted;

fn run(op: Op) -> Outcome {
    runtime::handle().block_on(op.run())
}

fn ok(op: Op) -> Value {
    run(op).unwrap_or_else(|e| panic!("op failed: {e:?}"))
}

fn err(op: Op) -> Error {
    match run(op) {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e,
    }
}

fn open(url: &str, opts: PoolOptions) -> Database {
    match ok(db::connect(url, opts)) {
        Value::Database(d) => d,
        other => panic!("not a database: {other:?}"),
    }
}

fn memory() -> Database {
    open("sqlite::memory:", PoolOptions::default())
}

fn p(cells: Vec<Cell>) -> Params {
    Params::Positional(cells)
}

fn none() -> Params {
    Params::default()
}

fn int(op: Op) -> i64 {
    match ok(op) {
        Value::Int(n) => n,
        Value::Cell(Cell::Int(n, _)) => n,
        other => panic!("not an int: {other:?}"),
    }
}

fn tx(op: Op) -> Transaction {
    match ok(op) {
        Value::Transaction(t) => t,
        other => panic!("not a transaction: {other:?}"),
    }
}

/// A database file in a fresh temp folder, removed when dropped.
struct TempDb(std::path::PathBuf);

impl TempDb {
    fn new() -> TempDb {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "fanio-db-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        TempDb(dir)
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.join("t.db").display())
    }
}

impl Drop for TempDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn every_query_call_returns_its_shape() {
    let db = memory();
    ok(db.execute(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL)",
        none(),
    ));
    assert_eq!(
        int(db.execute(
            "INSERT INTO t VALUES (?, ?, ?)",
            p(vec![Cell::int(1), Cell::text("a"), Cell::Float(1.5)])
        )),
        1
    );
    let named = Params::Named(vec![
        ("id".into(), Cell::int(2)),
        (":name".into(), Cell::text("b")),
        ("@score".into(), Cell::Null),
    ]);
    assert_eq!(
        int(db.execute("INSERT INTO t VALUES (:id, :name, @score)", named)),
        1
    );
    assert_eq!(int(db.execute("UPDATE t SET score = 0", none())), 2);

    let Value::Rows(rows) = ok(db.fetch_all("SELECT id, name, score FROM t ORDER BY id", none()))
    else {
        panic!()
    };
    assert_eq!(
        &*rows.columns,
        &["id".into(), "name".into(), "score".into()]
    );
    assert_eq!(
        &*rows.column_types,
        &["INTEGER".into(), "TEXT".into(), "REAL".into()]
    );
    assert_eq!(
        rows.rows,
        vec![
            vec![
                Cell::Int(1, IntWidth::Wide),
                Cell::text("a"),
                Cell::Float(0.0)
            ],
            vec![
                Cell::Int(2, IntWidth::Wide),
                Cell::text("b"),
                Cell::Float(0.0)
            ],
        ]
    );

    let Value::Row(row) =
        ok(db.fetch_one("SELECT name FROM t WHERE id = ?", p(vec![Cell::int(2)])))
    else {
        panic!()
    };
    assert_eq!(row.rows, vec![vec![Cell::text("b")]]);
    let Value::Row(first) = ok(db.fetch_one("SELECT id FROM t ORDER BY id", none())) else {
        panic!()
    };
    assert_eq!(first.rows.len(), 1, "fetch_one keeps exactly one row");
    assert_eq!(
        err(db.fetch_one("SELECT name FROM t WHERE id = 99", none())).code,
        Code::NoRows
    );

    assert!(matches!(
        ok(db.fetch_optional("SELECT name FROM t WHERE id = 99", none())),
        Value::Null
    ));
    assert!(
        matches!(ok(db.fetch_optional("SELECT name FROM t WHERE id = 1", none())), Value::Row(r) if r.rows[0][0] == Cell::text("a"))
    );

    assert_eq!(int(db.fetch_val("SELECT count(*) FROM t", none())), 2);
    assert_eq!(
        err(db.fetch_val("SELECT id FROM t WHERE id < 0", none())).code,
        Code::NoRows
    );
    // RETURNING runs its write and hands back the row.
    let Value::Row(ret) =
        ok(db.fetch_one("INSERT INTO t VALUES (3, 'c', NULL) RETURNING id", none()))
    else {
        panic!()
    };
    assert_eq!(ret.rows[0][0], Cell::int(3));
    assert_eq!(int(db.fetch_val("SELECT count(*) FROM t", none())), 3);
}

#[test]
fn values_map_to_storage_classes_and_back() {
    let db = memory();
    let uuid = [7u8; 16];
    let cells = vec![
        Cell::Null,
        Cell::Bool(true),
        Cell::int(i64::MIN),
        Cell::Float(-0.25),
        Cell::text("żółw"),
        Cell::Bytes(vec![0u8, 255, 1].into()),
        Cell::Uuid(uuid),
        Cell::Json(std::sync::Arc::new(serde_json::json!({"a": [1, 2]}))),
        Cell::Numeric("12.50".into()),
    ];
    let Value::Row(row) = ok(db.fetch_one("SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?", p(cells))) else {
        panic!()
    };
    assert_eq!(
        row.rows[0],
        vec![
            Cell::Null,
            Cell::Int(1, IntWidth::Wide),
            Cell::Int(i64::MIN, IntWidth::Wide),
            Cell::Float(-0.25),
            Cell::text("żółw"),
            Cell::Bytes(vec![0u8, 255, 1].into()),
            Cell::Bytes(uuid.to_vec().into()),
            Cell::text(r#"{"a":[1,2]}"#),
            Cell::text("12.50"),
        ]
    );
    let e = err(db.fetch_val(
        "SELECT ?, ?",
        p(vec![
            Cell::int(1),
            Cell::Interval {
                months: 1,
                days: 0,
                microseconds: 0,
            },
        ]),
    ));
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(e.message.contains("$2"), "{}", e.message);
}

#[test]
fn errors_carry_codes_and_fields() {
    let db = memory();
    ok(db.execute(
        "CREATE TABLE u (id INTEGER PRIMARY KEY, email TEXT UNIQUE NOT NULL)",
        none(),
    ));
    ok(db.execute("INSERT INTO u VALUES (1, 'x')", none()));
    let e = err(db.execute("INSERT INTO u VALUES (2, 'x')", none()));
    assert_eq!(e.code, Code::Db);
    assert_eq!(e.field("sqlite_code"), Some(&Field::Int(2067)));
    assert_eq!(
        e.field("sqlite_name"),
        Some(&Field::Str("SQLITE_CONSTRAINT_UNIQUE".into()))
    );
    let e = err(db.execute("INSERT INTO u VALUES (3, NULL)", none()));
    assert_eq!(e.field("sqlite_code"), Some(&Field::Int(1299)));
    let e = err(db.execute("SELEC 1", none()));
    assert_eq!(
        (e.code, e.field("sqlite_code")),
        (Code::Db, Some(&Field::Int(1)))
    );

    assert_eq!(
        err(db.execute("SELECT ?", none())).code,
        Code::InvalidArgument
    );
    assert_eq!(
        err(db.execute("SELECT ?", p(vec![Cell::int(1), Cell::int(2)]))).code,
        Code::InvalidArgument
    );
    let e = err(db.execute("SELECT :a", Params::Named(vec![("b".into(), Cell::int(1))])));
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(e.message.contains(":b"));

    for bad in [
        "sqlite:",
        "sqlite://",
        "mysql://x",
        "sqlite:///x.db?mode=ro",
        "postgres://h:notaport/db",
    ] {
        assert_eq!(
            err(db::connect(bad, PoolOptions::default())).code,
            Code::InvalidArgument,
            "{bad}"
        );
    }
    let zero = PoolOptions {
        max_connections: 0,
        ..Default::default()
    };
    assert_eq!(
        db::Config::parse("sqlite::memory:", zero).unwrap_err().code,
        Code::InvalidArgument
    );
    let inverted = PoolOptions {
        min_connections: 5,
        max_connections: 2,
        ..Default::default()
    };
    assert_eq!(
        db::Config::parse("sqlite::memory:", inverted)
            .unwrap_err()
            .code,
        Code::InvalidArgument
    );
    let tmp = TempDb::new();
    let missing = format!("sqlite://{}", tmp.0.join("no/such/dir/x.db").display());
    assert_eq!(
        err(db::connect(&missing, PoolOptions::default())).code,
        Code::Db
    );
}

#[test]
fn ops_are_lazy() {
    let db = memory();
    ok(db.execute("CREATE TABLE l (x INTEGER)", none()));
    let insert = db.execute("INSERT INTO l VALUES (1)", none());
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        int(db.fetch_val("SELECT count(*) FROM l", none())),
        0,
        "nothing runs before it is awaited"
    );
    assert_eq!(int(insert.clone()), 1);
    assert_eq!(
        int(insert),
        1,
        "a second await gets the same outcome and does not run again"
    );
    assert_eq!(int(db.fetch_val("SELECT count(*) FROM l", none())), 1);
}

#[test]
fn transactions_commit_roll_back_and_roll_back_when_dropped() {
    let tmp = TempDb::new();
    let opts = PoolOptions {
        acquire_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let db = open(&tmp.url(), opts);
    ok(db.execute("CREATE TABLE a (x INTEGER)", none()));

    let t = tx(db.begin(TxOptions::default()));
    ok(t.execute("INSERT INTO a VALUES (1)", none()));
    assert_eq!(int(t.fetch_val("SELECT count(*) FROM a", none())), 1);
    assert_eq!(
        int(db.fetch_val("SELECT count(*) FROM a", none())),
        0,
        "readers do not see uncommitted rows"
    );
    ok(t.commit());
    assert_eq!(err(t.commit()).code, Code::Closed);
    assert_eq!(err(t.execute("SELECT 1", none())).code, Code::Closed);
    assert_eq!(int(db.fetch_val("SELECT count(*) FROM a", none())), 1);

    let t = tx(db.begin(TxOptions::default()));
    ok(t.execute("INSERT INTO a VALUES (2)", none()));
    ok(t.rollback());
    assert_eq!(int(db.fetch_val("SELECT count(*) FROM a", none())), 1);

    // A second transaction waits for the writer, then times out; a plain write too.
    let t = tx(db.begin(TxOptions::default()));
    ok(t.execute("INSERT INTO a VALUES (3)", none()));
    assert_eq!(err(db.begin(TxOptions::default())).code, Code::PoolTimeout);
    assert_eq!(
        err(db.execute("INSERT INTO a VALUES (4)", none())).code,
        Code::PoolTimeout
    );
    drop(t);
    // Dropped unfinished: rolled back, and the writer is free again.
    let t = tx(db.begin(TxOptions::default()));
    assert_eq!(int(t.fetch_val("SELECT count(*) FROM a", none())), 1);
    ok(t.rollback());

    let ro = tx(db.begin(TxOptions {
        read_only: true,
        ..Default::default()
    }));
    assert_eq!(
        err(ro.execute("INSERT INTO a VALUES (5)", none())).code,
        Code::Db
    );
    ok(ro.rollback());
    assert_eq!(
        int(db.execute("INSERT INTO a VALUES (6)", none())),
        1,
        "query_only is reset after a read-only transaction"
    );
}

#[test]
fn a_transaction_dropped_mid_begin_frees_the_writer() {
    let db = memory();
    ok(db.execute("CREATE TABLE b (x INTEGER)", none()));
    let held = tx(db.begin(TxOptions::default()));
    // This begin waits behind `held` and is abandoned while waiting.
    let waiting = db.begin(TxOptions::default());
    let r = runtime::handle()
        .block_on(async { tokio::time::timeout(Duration::from_millis(50), waiting.run()).await });
    assert!(r.is_err());
    ok(held.rollback());
    let t = tx(db.begin(TxOptions::default()));
    ok(t.commit());
}

#[test]
fn copy_records_from_a_converter() {
    let tmp = TempDb::new();
    let db = open(&tmp.url(), PoolOptions::default());
    ok(db.execute("CREATE TABLE c (id INTEGER PRIMARY KEY, v TEXT)", none()));
    converted::copy_from_a_converter(&db, "c");
}

#[test]
fn execute_many_is_one_transaction_and_copy_records_loads_rows() {
    let tmp = TempDb::new();
    let db = open(&tmp.url(), PoolOptions::default());
    ok(db.execute("CREATE TABLE m (id INTEGER PRIMARY KEY, v TEXT)", none()));
    let sets: Vec<Params> = (0..100)
        .map(|i| p(vec![Cell::int(i), Cell::text(&format!("v{i}"))]))
        .collect();
    assert_eq!(
        int(db.execute_many("INSERT INTO m VALUES (?, ?)", sets)),
        100
    );
    // The duplicate fails the whole batch: none of it stays.
    let bad = vec![
        p(vec![Cell::int(1000), Cell::Null]),
        p(vec![Cell::int(5), Cell::Null]),
    ];
    assert_eq!(
        err(db.execute_many("INSERT INTO m VALUES (?, ?)", bad)).code,
        Code::Db
    );
    assert_eq!(int(db.fetch_val("SELECT count(*) FROM m", none())), 100);

    let rows: Vec<Vec<Cell>> = (200..250)
        .map(|i| vec![Cell::int(i), Cell::text("c")])
        .collect();
    assert_eq!(
        int(db.copy_records("m", vec!["id".into(), "v".into()], rows)),
        50
    );
    assert_eq!(
        int(db.fetch_val("SELECT count(*) FROM m WHERE v = 'c'", none())),
        50
    );
    let e = err(db.copy_records(
        "m",
        vec!["id".into()],
        vec![vec![Cell::int(1), Cell::int(2)]],
    ));
    assert_eq!(
        (e.code, e.field("row")),
        (Code::InvalidArgument, Some(&Field::Int(0)))
    );

    let t = tx(db.begin(TxOptions::default()));
    assert_eq!(
        int(t.execute_many(
            "DELETE FROM m WHERE id = ?",
            vec![p(vec![Cell::int(1)]), p(vec![Cell::int(2)])]
        )),
        2
    );
    ok(t.rollback());
    assert_eq!(int(db.fetch_val("SELECT count(*) FROM m", none())), 150);
}

#[test]
fn file_databases_use_wal_and_share_memory_within_one_database() {
    let tmp = TempDb::new();
    let db = open(&tmp.url(), PoolOptions::default());
    let Value::Cell(Cell::Text(mode)) = ok(db.fetch_val("PRAGMA journal_mode", none())) else {
        panic!()
    };
    assert_eq!(&*mode, "wal");
    // Writes reach the writer even when sent to the readers' queue.
    ok(db.execute("CREATE TABLE w (x INTEGER)", none()));
    let ops: Vec<Op> = (0..50)
        .map(|i| db.execute("INSERT INTO w VALUES (?)", p(vec![Cell::int(i)])))
        .collect();
    let outs = runtime::handle().block_on(settle(
        ops,
        Options {
            limit: Some(8),
            ..Default::default()
        },
        None,
    ));
    assert!(outs.iter().all(|o| matches!(o, Ok(Value::Int(1)))));
    assert_eq!(int(db.fetch_val("SELECT count(*) FROM w", none())), 50);

    let mem = memory();
    ok(mem.execute("CREATE TABLE s (x INTEGER)", none()));
    let ops: Vec<Op> = (0..20)
        .map(|i| mem.execute("INSERT INTO s VALUES (?)", p(vec![Cell::int(i)])))
        .collect();
    runtime::handle().block_on(settle(
        ops,
        Options {
            limit: Some(8),
            ..Default::default()
        },
        None,
    ));
    assert_eq!(int(mem.fetch_val("SELECT count(*) FROM s", none())), 20);
    assert_eq!(
        err(memory().fetch_val("SELECT count(*) FROM s", none())).code,
        Code::Db,
        "another Database has its own memory"
    );
}

#[test]
fn close_rejects_later_calls() {
    let db = memory();
    let early = db.fetch_val("SELECT 1", none());
    assert!(matches!(ok(db.close()), Value::Null));
    assert!(db.is_closed());
    assert_eq!(err(early).code, Code::Closed);
    assert_eq!(err(db.fetch_val("SELECT 1", none())).code, Code::Closed);
    assert_eq!(err(db.begin(TxOptions::default())).code, Code::Closed);
}

#[test]
fn batch_of_lookups_through_settle() {
    let tmp = TempDb::new();
    let db = open(&tmp.url(), PoolOptions::default());
    ok(db.execute("CREATE TABLE k (id INTEGER PRIMARY KEY, v TEXT)", none()));
    let rows: Vec<Vec<Cell>> = (0..1000)
        .map(|i| vec![Cell::int(i), Cell::text(&format!("v{i}"))])
        .collect();
    ok(db.copy_records("k", vec!["id".into(), "v".into()], rows));
    let n = 100_000;
    let ops: Vec<Op> = (0..n)
        .map(|i| db.fetch_val("SELECT v FROM k WHERE id = ?", p(vec![Cell::int(i % 1000)])))
        .collect();
    let start = Instant::now();
    let outs = runtime::handle().block_on(settle(
        ops,
        Options {
            limit: Some(8),
            ..Default::default()
        },
        None,
    ));
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(outs.len(), n as usize);
    assert!(matches!(&outs[1234], Ok(Value::Cell(Cell::Text(v))) if &**v == "v234"));
    assert!(outs.iter().all(|o| o.is_ok()));
    eprintln!(
        "sqlite: {n} PK lookups, limit 8: {:.0} q/s",
        n as f64 / secs
    );
}
