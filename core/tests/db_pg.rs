//! Postgres end to end against the real server (FANIO_PG_URL, default
//! postgres://postgres@127.0.0.1:5432/test): types both ways, errors with their fields,
//! transactions, pool exhaustion, server-side cancel, a terminated backend, bulk calls,
//! close, and a batch of lookups through `settle`. Without a server these tests say why
//! and pass, unless CI=true.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fanio_core::db::{
    self, Array, Cell, Database, IntWidth, Isolation, Params, PoolOptions, Transaction, TxOptions,
};
use fanio_core::engine::native::settle;
use fanio_core::error::Field;
use fanio_core::{Code, Error, Op, Options, Outcome, Value, runtime};

fn base_url() -> String {
    std::env::var("FANIO_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

fn with_param(url: &str, param: &str) -> String {
    format!("{url}{}{param}", if url.contains('?') { '&' } else { '?' })
}

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

/// The database, or None (with the reason printed) when no server answers outside CI.
fn connect(url: &str, opts: PoolOptions) -> Option<Database> {
    match run(db::connect(url, opts)) {
        Ok(Value::Database(d)) => Some(d),
        Err(e) if e.code == Code::Connect && std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("skipped: no Postgres at {url}: {}", e.message);
            None
        }
        other => panic!("cannot connect to {url}: {other:?}"),
    }
}

fn none() -> Params {
    Params::default()
}

fn p(cells: Vec<Cell>) -> Params {
    Params::Positional(cells)
}

fn cell(op: Op) -> Cell {
    match ok(op) {
        Value::Cell(c) => c,
        other => panic!("not a cell: {other:?}"),
    }
}

fn int(op: Op) -> i64 {
    match ok(op) {
        Value::Int(n) | Value::Cell(Cell::Int(n, _)) => n,
        other => panic!("not an int: {other:?}"),
    }
}

fn tx(op: Op) -> Transaction {
    match ok(op) {
        Value::Transaction(t) => t,
        other => panic!("not a transaction: {other:?}"),
    }
}

/// A schema of its own per test, dropped at the end.
struct Schema {
    db: Database,
    name: String,
}

impl Schema {
    fn new(db: &Database) -> Schema {
        static N: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "fanio_t_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        ok(db.execute(&format!("CREATE SCHEMA {name}"), none()));
        Schema {
            db: db.clone(),
            name,
        }
    }

    fn sql(&self, sql: &str) -> String {
        sql.replace("S.", &format!("{}.", self.name))
    }
}

impl Drop for Schema {
    fn drop(&mut self) {
        let _ = run(self
            .db
            .execute(&format!("DROP SCHEMA {} CASCADE", self.name), none()));
    }
}

fn arr(elem_type: &str, dims: Vec<(i32, i32)>, elems: Vec<Cell>) -> Cell {
    Cell::Array(Arc::new(Array {
        elem_type: elem_type.into(),
        dims,
        elems,
    }))
}

#[test]
fn types_round_trip() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    ok(db.execute(
        &s.sql("CREATE TYPE S.mood AS ENUM ('sad', 'happy')"),
        none(),
    ));
    ok(db.execute(
        &s.sql("CREATE DOMAIN S.posint AS int4 CHECK (VALUE > 0)"),
        none(),
    ));
    let json = Cell::Json(Arc::new(serde_json::json!({"k": [1, "two", null]})));
    let cases: Vec<(&str, Cell)> = vec![
        ("bool", Cell::Bool(true)),
        ("int2", Cell::Int(-32768, IntWidth::Narrow)),
        ("int4", Cell::Int(2147483647, IntWidth::Narrow)),
        ("int8", Cell::Int(i64::MIN, IntWidth::Wide)),
        ("float4", Cell::Float(1.5)),
        ("float8", Cell::Float(-1e300)),
        (
            "numeric",
            Cell::Numeric("-123456789012345678901234567890.000000000000000001".into()),
        ),
        ("numeric", Cell::Numeric("0.0001000".into())),
        ("numeric", Cell::Numeric("NaN".into())),
        ("numeric", Cell::Numeric("Infinity".into())),
        ("text", Cell::text("héllo\u{1F600}")),
        ("varchar", Cell::text("v")),
        ("bytea", Cell::Bytes(vec![0u8, 1, 255].into())),
        ("uuid", Cell::Uuid(*b"0123456789abcdef")),
        ("json", json.clone()),
        ("jsonb", json),
        ("date", Cell::Date(19_000)),
        ("date", Cell::Date(-800_000)),
        ("date", Cell::Date(i32::MAX)),
        ("date", Cell::Date(i32::MIN)),
        ("time", Cell::Time(86_399_999_999)),
        ("timestamp", Cell::Timestamp(1_700_000_000_123_456)),
        ("timestamp", Cell::Timestamp(i64::MAX)),
        ("timestamptz", Cell::TimestampTz(-1_000_000)),
        ("timestamptz", Cell::TimestampTz(i64::MIN)),
        (
            "interval",
            Cell::Interval {
                months: 14,
                days: -3,
                microseconds: 5_000_001,
            },
        ),
        (
            "inet",
            Cell::Inet {
                addr: "10.1.2.3".parse::<IpAddr>().unwrap(),
                prefix: 8,
                cidr: false,
            },
        ),
        (
            "inet",
            Cell::Inet {
                addr: "::1".parse::<IpAddr>().unwrap(),
                prefix: 128,
                cidr: false,
            },
        ),
        (
            "cidr",
            Cell::Inet {
                addr: "10.0.0.0".parse::<IpAddr>().unwrap(),
                prefix: 8,
                cidr: true,
            },
        ),
        (
            "int4[]",
            arr(
                "int4",
                vec![(2, 1), (2, 1)],
                vec![
                    Cell::Int(1, IntWidth::Narrow),
                    Cell::Null,
                    Cell::Null,
                    Cell::Int(4, IntWidth::Narrow),
                ],
            ),
        ),
        (
            "text[]",
            arr("text", vec![(2, 0)], vec![Cell::text("a"), Cell::Null]),
        ),
        ("int8[]", arr("int8", vec![], vec![])),
        (
            &*Box::leak(s.sql("S.mood").into_boxed_str()),
            Cell::text("happy"),
        ),
        (
            &*Box::leak(s.sql("S.posint").into_boxed_str()),
            Cell::Int(5, IntWidth::Narrow),
        ),
    ];
    for (ty, value) in cases {
        let back = cell(db.fetch_val(&format!("SELECT $1::{ty}"), p(vec![value.clone()])));
        assert_eq!(back, value, "{ty}");
        assert_eq!(
            cell(db.fetch_val(&format!("SELECT $1::{ty}"), p(vec![Cell::Null]))),
            Cell::Null,
            "NULL {ty}"
        );
    }
    // Literals the server wrote itself, decoded.
    let Value::Row(row) = ok(db.fetch_one(
        "SELECT 1.50::numeric AS n, '{{1,NULL},{3,4}}'::int4[] AS a, '192.168.0.0/16'::cidr AS c, \
         'infinity'::timestamptz AS inf, '1970-01-02'::date AS d, 'ok'::varchar AS v",
        none(),
    )) else {
        panic!()
    };
    assert_eq!(
        &*row.columns,
        &[
            "n".into(),
            "a".into(),
            "c".into(),
            "inf".into(),
            "d".into(),
            "v".into()
        ]
    );
    assert_eq!(
        &*row.column_types,
        &[
            "numeric".into(),
            "_int4".into(),
            "cidr".into(),
            "timestamptz".into(),
            "date".into(),
            "varchar".into()
        ]
    );
    assert_eq!(
        row.rows[0],
        vec![
            Cell::Numeric("1.50".into()),
            arr(
                "int4",
                vec![(2, 1), (2, 1)],
                vec![
                    Cell::Int(1, IntWidth::Narrow),
                    Cell::Null,
                    Cell::Int(3, IntWidth::Narrow),
                    Cell::Int(4, IntWidth::Narrow)
                ]
            ),
            Cell::Inet {
                addr: "192.168.0.0".parse().unwrap(),
                prefix: 16,
                cidr: true
            },
            Cell::TimestampTz(i64::MAX),
            Cell::Date(1),
            Cell::text("ok"),
        ]
    );
    assert_eq!(
        cell(db.fetch_val("SELECT '2000-01-01 00:00:00+00'::timestamptz", none())),
        Cell::TimestampTz(946_684_800_000_000)
    );
    // Cells of another kind convert where exact: int to numeric and float, text to uuid.
    assert_eq!(
        cell(db.fetch_val("SELECT $1::numeric", p(vec![Cell::int(42)]))),
        Cell::Numeric("42".into())
    );
    assert_eq!(
        cell(db.fetch_val("SELECT $1::float8", p(vec![Cell::int(3)]))),
        Cell::Float(3.0)
    );
    assert_eq!(
        cell(db.fetch_val(
            "SELECT $1::uuid",
            p(vec![Cell::text("30313233-3435-3637-3839-616263646566")])
        )),
        Cell::Uuid(*b"0123456789abcdef")
    );
}

#[test]
fn values_that_do_not_fit_and_types_not_decoded() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let e = err(db.fetch_val(
        "SELECT $1::int4 + $2::int2",
        p(vec![Cell::int(1), Cell::int(40_000)]),
    ));
    assert_eq!(
        (e.code, e.field("index")),
        (Code::InvalidArgument, Some(&Field::Int(2)))
    );
    let e = err(db.fetch_val("SELECT $1::int4", p(vec![Cell::text("7")])));
    assert_eq!(
        (e.code, e.field("index")),
        (Code::InvalidArgument, Some(&Field::Int(1)))
    );
    let e = err(db.fetch_val("SELECT $1::numeric", p(vec![Cell::Numeric("1.2.3".into())])));
    assert_eq!(e.code, Code::InvalidArgument);
    let bad_shape = arr("", vec![(3, 1)], vec![Cell::int(1)]);
    assert_eq!(
        err(db.fetch_val("SELECT $1::int8[]", p(vec![bad_shape]))).code,
        Code::InvalidArgument
    );
    assert_eq!(
        err(db.fetch_val("SELECT $1", p(vec![]))).code,
        Code::InvalidArgument
    );
    let named = Params::Named(vec![("a".into(), Cell::int(1))]);
    assert_eq!(
        err(db.fetch_val("SELECT $1::int8", named)).code,
        Code::InvalidArgument
    );
    let e = err(db.fetch_val("SELECT '(1,2)'::point AS pt", none()));
    assert_eq!(e.code, Code::Decode);
    assert_eq!(e.field("column"), Some(&Field::Str("pt".into())));
    assert_eq!(e.field("type"), Some(&Field::Str("point".into())));
    assert_eq!(
        int(db.fetch_val("SELECT 1", none())),
        1,
        "the connection still works after a refused value"
    );
}

#[test]
fn database_errors_carry_their_fields() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    ok(db.execute(&s.sql("CREATE TABLE S.u (id int PRIMARY KEY, email text NOT NULL CONSTRAINT email_uniq UNIQUE)"), none()));
    ok(db.execute(&s.sql("INSERT INTO S.u VALUES (1, 'a')"), none()));
    let e = err(db.execute(&s.sql("INSERT INTO S.u VALUES (2, 'a')"), none()));
    assert_eq!(e.code, Code::Db);
    assert_eq!(e.field("sqlstate"), Some(&Field::Str("23505".into())));
    assert_eq!(
        e.field("constraint"),
        Some(&Field::Str("email_uniq".into()))
    );
    assert_eq!(e.field("table"), Some(&Field::Str("u".into())));
    assert_eq!(e.field("schema"), Some(&Field::Str(s.name.clone().into())));
    assert!(matches!(e.field("detail"), Some(Field::Str(d)) if d.contains("already exists")));
    let e = err(db.execute(&s.sql("INSERT INTO S.u VALUES (3, NULL)"), none()));
    assert_eq!(e.field("sqlstate"), Some(&Field::Str("23502".into())));
    assert_eq!(e.field("column"), Some(&Field::Str("email".into())));
    assert_eq!(
        err(db.execute("SELEC 1", none())).field("sqlstate"),
        Some(&Field::Str("42601".into()))
    );
    assert_eq!(
        err(db.fetch_one(&s.sql("SELECT * FROM S.u WHERE id = 9"), none())).code,
        Code::NoRows
    );
    assert!(matches!(
        ok(db.fetch_optional(&s.sql("SELECT * FROM S.u WHERE id = 9"), none())),
        Value::Null
    ));
    assert_eq!(
        int(db.execute(&s.sql("UPDATE S.u SET email = email || 'x'"), none())),
        1
    );
    let Value::Rows(rows) = ok(db.fetch_all(&s.sql("SELECT id, email FROM S.u"), none())) else {
        panic!()
    };
    assert_eq!(
        rows.rows,
        vec![vec![Cell::Int(1, IntWidth::Narrow), Cell::text("ax")]]
    );
}

#[test]
fn connect_failures_are_fast_typed_and_hide_the_password() {
    let start = Instant::now();
    let e = err(db::connect(
        "postgres://postgres:hunter2@127.0.0.1:1/test",
        PoolOptions::default(),
    ));
    assert_eq!(e.code, Code::Connect);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert!(!e.message.contains("hunter2"), "{}", e.message);
    // Every way a password can be written, encoded or not: what the driver accepts
    // fails to connect, what it refuses fails at the call; neither shows it.
    for password in [
        "hun/ter2",
        "hun?ter2",
        "hun#ter2",
        "hun@ter2",
        "hun%2Fter2",
        "hun%3Fter2",
        "hun%40ter2",
    ] {
        for host in ["127.0.0.1:1", "[::1]:1"] {
            let url = format!("postgres://postgres:{password}@{host}/test");
            let e = err(db::connect(&url, PoolOptions::default()));
            assert!(
                matches!(e.code, Code::Connect | Code::InvalidArgument),
                "{url}: {:?}",
                e.code
            );
            let shown = format!("{} {:?}", e.message, e.fields);
            assert!(!shown.contains("ter2"), "{url}: {shown}");
        }
    }
    let e = db::Config::parse("postgres://u:p@h/db\r\n", PoolOptions::default()).unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument);
    for url in [
        "postgres://u@h/d\0b",
        "sqlite:///tmp/a\nb.db",
        "sqlite::memory:\r",
    ] {
        let e = db::Config::parse(url, PoolOptions::default()).unwrap_err();
        assert_eq!(e.code, Code::InvalidArgument, "{url:?}");
    }
    let config = db::Config::parse(
        "postgres://postgres:hunter2@127.0.0.1:1/test",
        PoolOptions::default(),
    )
    .unwrap();
    assert!(!format!("{config:?}").contains("hunter2"));
    let e = db::Config::parse(
        "postgres://u:hunter2@h/db?sslmode=sometimes",
        PoolOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.code, Code::InvalidArgument);
    assert!(!e.message.contains("hunter2"));

    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let Value::Cell(Cell::Text(ssl)) = ok(db.fetch_val("SHOW ssl", none())) else {
        panic!()
    };
    let required = run(db::connect(
        &with_param(&base_url(), "sslmode=require"),
        PoolOptions::default(),
    ));
    match &*ssl {
        "off" => assert_eq!(required.unwrap_err().code, Code::Tls),
        _ => assert!(required.is_ok()),
    }
    let preferred = connect(
        &with_param(&base_url(), "sslmode=prefer"),
        PoolOptions::default(),
    )
    .unwrap();
    assert_eq!(int(preferred.fetch_val("SELECT 1", none())), 1);
}

#[test]
fn transactions_commit_roll_back_and_never_return_mid_transaction() {
    let opts = PoolOptions {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let Some(db) = connect(&base_url(), opts) else {
        return;
    };
    let s = Schema::new(&db);
    ok(db.execute(&s.sql("CREATE TABLE S.t (x int)"), none()));
    let count = || int(db.fetch_val(&s.sql("SELECT count(*) FROM S.t"), none()));

    let t = tx(db.begin(TxOptions::default()));
    ok(t.execute(&s.sql("INSERT INTO S.t VALUES (1)"), none()));
    // The only connection is the transaction's: a plain call times out, then recovers.
    let e = err(db.fetch_val("SELECT 1", none()));
    assert_eq!(e.code, Code::PoolTimeout);
    ok(t.commit());
    assert_eq!(err(t.rollback()).code, Code::Closed);
    assert_eq!(count(), 1);

    let t = tx(db.begin(TxOptions::default()));
    ok(t.execute(&s.sql("INSERT INTO S.t VALUES (2)"), none()));
    ok(t.rollback());
    assert_eq!(count(), 1);

    let t = tx(db.begin(TxOptions::default()));
    ok(t.execute(&s.sql("INSERT INTO S.t VALUES (3)"), none()));
    drop(t);
    assert_eq!(count(), 1, "a dropped transaction is rolled back");
    // Autocommit again: another pool sees the write at once.
    ok(db.execute(&s.sql("INSERT INTO S.t VALUES (4)"), none()));
    let other = connect(&base_url(), PoolOptions::default()).unwrap();
    assert_eq!(
        int(other.fetch_val(&s.sql("SELECT count(*) FROM S.t"), none())),
        2
    );

    let t = tx(db.begin(TxOptions {
        isolation: Some(Isolation::Serializable),
        read_only: true,
    }));
    assert_eq!(
        cell(t.fetch_val("SHOW transaction_isolation", none())),
        Cell::text("serializable")
    );
    let e = err(t.execute(&s.sql("INSERT INTO S.t VALUES (5)"), none()));
    assert_eq!(e.field("sqlstate"), Some(&Field::Str("25006".into())));
    ok(t.rollback());
    let t = tx(db.begin(TxOptions {
        isolation: Some(Isolation::RepeatableRead),
        read_only: false,
    }));
    assert_eq!(
        cell(t.fetch_val("SHOW transaction_isolation", none())),
        Cell::text("repeatable read")
    );
    ok(t.commit());
}

#[test]
fn copy_records_from_a_converter() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    ok(db.execute(
        &s.sql("CREATE TABLE S.c (id int8 PRIMARY KEY, v text)"),
        none(),
    ));
    converted::copy_from_a_converter(&db, &s.sql("S.c"));
}

#[test]
fn execute_many_and_copy_records() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    ok(db.execute(
        &s.sql("CREATE TABLE S.m (id int8 PRIMARY KEY, v text, n numeric, at timestamptz)"),
        none(),
    ));
    let sets: Vec<Params> = (0..500)
        .map(|i| p(vec![Cell::int(i), Cell::text(&format!("v{i}"))]))
        .collect();
    assert_eq!(
        int(db.execute_many(&s.sql("INSERT INTO S.m (id, v) VALUES ($1, $2)"), sets)),
        500
    );
    let bad = vec![
        p(vec![Cell::int(1000), Cell::Null]),
        p(vec![Cell::int(3), Cell::Null]),
    ];
    assert_eq!(
        err(db.execute_many(&s.sql("INSERT INTO S.m (id, v) VALUES ($1, $2)"), bad))
            .field("sqlstate"),
        Some(&Field::Str("23505".into()))
    );
    assert_eq!(
        int(db.fetch_val(&s.sql("SELECT count(*) FROM S.m"), none())),
        500,
        "the failed batch left nothing"
    );

    let rows: Vec<Vec<Cell>> = (1000..3000)
        .map(|i| {
            vec![
                Cell::int(i),
                Cell::Null,
                Cell::Numeric(format!("{i}.25").into()),
                Cell::TimestampTz(i * 1_000_000),
            ]
        })
        .collect();
    let table = s.sql("S.m");
    let cols = vec!["id".to_string(), "v".into(), "n".into(), "at".into()];
    assert_eq!(int(db.copy_records(&table, cols.clone(), rows)), 2000);
    assert_eq!(
        cell(db.fetch_val(&s.sql("SELECT sum(n) FROM S.m"), none())),
        Cell::Numeric("3999500.00".into())
    );
    let e = err(db.copy_records(
        &table,
        cols,
        vec![vec![Cell::int(1), Cell::Null, Cell::text("x"), Cell::Null]],
    ));
    assert_eq!(
        (e.code, e.field("row")),
        (Code::InvalidArgument, Some(&Field::Int(0)))
    );

    let t = tx(db.begin(TxOptions::default()));
    assert_eq!(
        int(t.execute_many(
            &s.sql("DELETE FROM S.m WHERE id = $1"),
            vec![p(vec![Cell::int(1)]), p(vec![Cell::int(2)])]
        )),
        2
    );
    ok(t.rollback());
    assert_eq!(
        int(db.fetch_val(&s.sql("SELECT count(*) FROM S.m"), none())),
        2500
    );
}

/// A table whose INSERT statements a statement-level trigger counts in `S.stmts`.
fn counted_table(db: &Database, s: &Schema, columns: &str) {
    for sql in [
        format!("CREATE TABLE S.r ({columns})"),
        "CREATE TABLE S.stmts (n int)".into(),
        "CREATE FUNCTION S.count() RETURNS trigger LANGUAGE plpgsql \
         AS 'BEGIN INSERT INTO S.stmts VALUES (1); RETURN NULL; END'"
            .into(),
        "CREATE TRIGGER c AFTER INSERT ON S.r FOR EACH STATEMENT EXECUTE FUNCTION S.count()".into(),
    ] {
        ok(db.execute(&s.sql(&sql), none()));
    }
}

/// A plain INSERT ... VALUES runs as multi-row statements of power-of-two sizes, within
/// Postgres's 65,535 parameters per statement; other INSERTs one statement per row.
#[test]
fn execute_many_sends_plain_inserts_as_multi_row_statements() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    let cols = (0..100).map(|c| format!("c{c} int4")).collect::<Vec<_>>();
    counted_table(
        &db,
        &s,
        &format!("id int4 PRIMARY KEY, v text, {}", cols.join(", ")),
    );
    let stmts = || int(db.fetch_val(&s.sql("SELECT count(*) FROM S.stmts"), none()));
    let two = |ids: std::ops::Range<i64>| -> Vec<Params> {
        ids.map(|i| p(vec![Cell::int(i), Cell::text(&format!("v{i}"))]))
            .collect()
    };

    let insert = s.sql("INSERT INTO S.r (id, v) VALUES ($1, $2)");
    assert_eq!(int(db.execute_many(&insert, two(0..2500))), 2500);
    assert_eq!(stmts(), 6, "1024 + 1024 + 256 + 128 + 64 + 4");
    assert_eq!(int(db.execute_many(&insert, two(2500..2501))), 1);
    assert_eq!(stmts(), 7);
    assert_eq!(
        int(db.fetch_val(
            &s.sql("SELECT sum(id) FROM S.r WHERE v = 'v' || id"),
            none()
        )),
        2501 * 2500 / 2
    );

    let select = s.sql("INSERT INTO S.r (id, v) SELECT $1, $2");
    assert_eq!(int(db.execute_many(&select, two(3000..3010))), 10);
    let conflict = s.sql("INSERT INTO S.r (id, v) VALUES ($1, $2) ON CONFLICT DO NOTHING");
    assert_eq!(int(db.execute_many(&conflict, two(3005..3015))), 5);
    assert_eq!(stmts(), 7 + 10 + 10);

    // 102 parameters a row: 65,535 / 102 = 642 rows at most, so 512 per statement.
    let wide = s.sql(&format!(
        "INSERT INTO S.r VALUES ({})",
        (1..=102)
            .map(|k| format!("${k}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let sets = (10_000..11_100)
        .map(|i| {
            p((0..102)
                .map(|c| if c == 1 { Cell::Null } else { Cell::int(i + c) })
                .collect())
        })
        .collect();
    assert_eq!(int(db.execute_many(&wide, sets)), 1100);
    assert_eq!(stmts(), 27 + 5, "512 + 512 + 64 + 8 + 4");
    assert_eq!(
        int(db.fetch_val(
            &s.sql("SELECT sum(c99 - id) FROM S.r WHERE id >= 10000"),
            none()
        )),
        1100 * 101
    );
}

/// Inside a transaction a failing execute_many, rewritten or not, names the failing row
/// and leaves nothing of itself: a value that does not fit is refused before anything is
/// sent (the transaction goes on), a database error aborts the transaction.
#[test]
fn a_failing_execute_many_in_a_transaction_leaves_nothing_of_itself() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    counted_table(&db, &s, "id int4 PRIMARY KEY, v text");
    for insert in [
        "INSERT INTO S.r (id, v) VALUES ($1, $2)",
        "INSERT INTO S.r (id, v) SELECT $1, $2",
    ] {
        let insert = s.sql(insert);
        let mut ids: Vec<Cell> = (0..2000).map(Cell::int).collect();
        ids[1500] = Cell::int(1 << 40);
        let t = tx(db.begin(TxOptions::default()));
        let e = err(t.execute_many(
            &insert,
            ids.into_iter().map(|id| p(vec![id, Cell::Null])).collect(),
        ));
        assert_eq!(
            (e.code, e.field("row"), e.field("index")),
            (
                Code::InvalidArgument,
                Some(&Field::Int(1500)),
                Some(&Field::Int(1))
            ),
            "{insert}"
        );
        assert_eq!(
            int(t.fetch_val(&s.sql("SELECT count(*) FROM S.r"), none())),
            0,
            "{insert}: nothing was sent"
        );
        ok(t.rollback());

        let mut ids: Vec<i64> = (0..2000).collect();
        ids[1200] = 3;
        let t = tx(db.begin(TxOptions::default()));
        let e = err(t.execute_many(
            &insert,
            ids.into_iter()
                .map(|id| p(vec![Cell::int(id), Cell::Null]))
                .collect(),
        ));
        assert_eq!(
            (e.code, e.field("row"), e.field("sqlstate")),
            (
                Code::Db,
                Some(&Field::Int(1200)),
                Some(&Field::Str("23505".into()))
            ),
            "{insert}"
        );
        let after = err(t.fetch_val("SELECT 1", none()));
        assert_eq!(
            after.field("sqlstate"),
            Some(&Field::Str("25P02".into())),
            "aborted"
        );
        ok(t.rollback());
    }
    assert_eq!(
        int(db.fetch_val(&s.sql("SELECT count(*) FROM S.r"), none())),
        0
    );
}

/// More sets than execute_many keeps in flight, and more bytes than one COPY chunk: a
/// failure names its row, and nothing of the batch stays.
#[test]
fn bulk_calls_beyond_one_window_or_chunk() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    ok(db.execute(
        &s.sql("CREATE TABLE S.b (id int4 PRIMARY KEY, v text)"),
        none(),
    ));
    let insert = s.sql("INSERT INTO S.b (id, v) VALUES ($1, $2)");
    let sets = |ids: &mut dyn Iterator<Item = i64>| -> Vec<Params> {
        ids.map(|i| p(vec![Cell::int(i), Cell::text(&format!("v{i}"))]))
            .collect()
    };
    assert_eq!(int(db.execute_many(&insert, sets(&mut (0..5000)))), 5000);

    let mut dup = (5000..9000).chain([4999]).chain(9000..9100);
    let e = err(db.execute_many(&insert, sets(&mut dup)));
    assert_eq!(
        (e.field("sqlstate"), e.field("row")),
        (Some(&Field::Str("23505".into())), Some(&Field::Int(4000)))
    );
    let mut wide = (10_000..12_000).map(Cell::int).collect::<Vec<_>>();
    wide[1500] = Cell::int(1 << 40);
    let e = err(db.execute_many(
        &insert,
        wide.into_iter().map(|id| p(vec![id, Cell::Null])).collect(),
    ));
    assert_eq!(
        (e.code, e.field("row"), e.field("index")),
        (
            Code::InvalidArgument,
            Some(&Field::Int(1500)),
            Some(&Field::Int(1))
        )
    );
    assert_eq!(
        int(db.fetch_val(&s.sql("SELECT count(*) FROM S.b"), none())),
        5000,
        "the failed batches left nothing"
    );

    let cols = vec!["id".to_string(), "v".into()];
    let long = "x".repeat(1000);
    let rows: Vec<Vec<Cell>> = (20_000..20_500)
        .map(|i| vec![Cell::int(i), Cell::text(&long)])
        .collect();
    assert_eq!(int(db.copy_records(&s.sql("S.b"), cols.clone(), rows)), 500);
    let mut rows: Vec<Vec<Cell>> = (30_000..30_500)
        .map(|i| vec![Cell::int(i), Cell::text(&long)])
        .collect();
    rows[400][1] = Cell::int(1);
    let e = err(db.copy_records(&s.sql("S.b"), cols, rows));
    assert_eq!(
        (e.code, e.field("row"), e.field("index")),
        (
            Code::InvalidArgument,
            Some(&Field::Int(400)),
            Some(&Field::Int(2))
        )
    );
    assert_eq!(
        int(db.fetch_val(&s.sql("SELECT count(*) FROM S.b"), none())),
        5500
    );
}

#[test]
fn a_dropped_query_is_cancelled_server_side() {
    let app = format!("fanio_cancel_{}", std::process::id());
    let opts = PoolOptions {
        max_connections: 1,
        ..Default::default()
    };
    let Some(db) = connect(
        &with_param(&base_url(), &format!("application_name={app}")),
        opts,
    ) else {
        return;
    };
    let watcher = connect(&base_url(), PoolOptions::default()).unwrap();
    let sleeping = db.execute("SELECT pg_sleep(60)", none());
    let timed_out = runtime::handle()
        .block_on(async { tokio::time::timeout(Duration::from_millis(500), sleeping.run()).await });
    assert!(timed_out.is_err());
    let active = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}' AND query LIKE '%pg_sleep(60)%' AND state = 'active'"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while int(watcher.fetch_val(&active, none())) > 0 {
        assert!(
            Instant::now() < deadline,
            "pg_sleep still runs on the server"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let start = Instant::now();
    assert_eq!(int(db.fetch_val("SELECT 7", none())), 7);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "the connection is usable again"
    );
}

#[test]
fn a_terminated_backend_costs_at_most_one_error() {
    let opts = PoolOptions {
        max_connections: 1,
        ..Default::default()
    };
    let Some(db) = connect(&base_url(), opts) else {
        return;
    };
    let admin = connect(&base_url(), PoolOptions::default()).unwrap();
    let pid = int(db.fetch_val("SELECT pg_backend_pid()", none()));
    assert_eq!(
        cell(admin.fetch_val(
            "SELECT pg_terminate_backend($1::int4)",
            p(vec![Cell::int(pid)])
        )),
        Cell::Bool(true)
    );
    let first = run(db.fetch_val("SELECT pg_backend_pid()", none()));
    let second = int(db.fetch_val("SELECT pg_backend_pid()", none()));
    assert_ne!(second, pid, "a fresh connection replaced the killed one");
    if let Err(e) = first {
        assert!(matches!(e.code, Code::Db | Code::Protocol), "{e:?}");
    }
}

#[test]
fn close_cancels_calls_in_flight_and_rejects_later_ones() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let sleeping = db.execute("SELECT pg_sleep(30)", none());
    let running = runtime::handle().spawn({
        let op = sleeping.clone();
        async move { op.run().await }
    });
    std::thread::sleep(Duration::from_millis(200));
    let start = Instant::now();
    ok(db.close());
    let outcome = runtime::handle().block_on(running).unwrap();
    assert_eq!(outcome.unwrap_err().code, Code::Cancelled);
    assert!(start.elapsed() < Duration::from_secs(5));
    assert_eq!(err(db.fetch_val("SELECT 1", none())).code, Code::Closed);
    assert_eq!(err(db.begin(TxOptions::default())).code, Code::Closed);
}

#[test]
fn statement_cache_sizes_and_few_shared_connections() {
    for size in [0, 2] {
        let Some(db) = connect(
            &base_url(),
            PoolOptions {
                statement_cache_size: size,
                ..Default::default()
            },
        ) else {
            return;
        };
        for round in 0..3 {
            for k in 0..5i64 {
                let sql = format!("SELECT $1::int8 + {k}");
                assert_eq!(
                    int(db.fetch_val(&sql, p(vec![Cell::int(round)]))),
                    round + k
                );
            }
        }
    }
    let app = format!("fanio_pipe_{}", std::process::id());
    let Some(db) = connect(
        &with_param(&base_url(), &format!("application_name={app}")),
        PoolOptions::default(),
    ) else {
        return;
    };
    let ops: Vec<Op> = (0..64)
        .map(|_| db.fetch_val("SELECT 1 FROM pg_sleep(0.05)", none()))
        .collect();
    let outs = runtime::handle().block_on(settle(
        ops,
        Options {
            limit: Some(32),
            ..Default::default()
        },
        None,
    ));
    assert!(outs.iter().all(|o| o.is_ok()));
    let watcher = connect(&base_url(), PoolOptions::default()).unwrap();
    let n = int(watcher.fetch_val(
        &format!("SELECT count(*) FROM pg_stat_activity WHERE application_name = '{app}'"),
        none(),
    ));
    eprintln!("postgres: 32 in flight used {n} connections");
    assert!(
        (1..=5).contains(&n),
        "32 calls in flight pipeline on few connections, got {n}"
    );
}

#[test]
fn batch_of_lookups_through_settle() {
    let Some(db) = connect(&base_url(), PoolOptions::default()) else {
        return;
    };
    let s = Schema::new(&db);
    ok(db.execute(
        &s.sql("CREATE TABLE S.k (id int4 PRIMARY KEY, v text)"),
        none(),
    ));
    ok(db.execute(
        &s.sql("INSERT INTO S.k SELECT g, 'v' || g FROM generate_series(0, 999) g"),
        none(),
    ));
    let n = 20_000;
    let sql = s.sql("SELECT v FROM S.k WHERE id = $1");
    let ops: Vec<Op> = (0..n)
        .map(|i| db.fetch_val(&sql, p(vec![Cell::int(i % 1000)])))
        .collect();
    let start = Instant::now();
    let outs = runtime::handle().block_on(settle(
        ops,
        Options {
            limit: Some(32),
            ..Default::default()
        },
        None,
    ));
    let secs = start.elapsed().as_secs_f64();
    assert!(outs.iter().all(|o| o.is_ok()));
    assert!(matches!(&outs[1234], Ok(Value::Cell(Cell::Text(v))) if &**v == "v234"));
    eprintln!(
        "postgres: {n} PK lookups, limit 32: {:.0} q/s",
        n as f64 / secs
    );
}
