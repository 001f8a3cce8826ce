//! The Rust side of the SQLite lookup benchmark: the same primary-key lookups as
//! bench/db_py.py and bench/db_node.mjs (file database, WAL, 8 in flight), through
//! fanio's core alone and through plain rusqlite, so what the bindings add, what the
//! core adds and what SQLite itself costs are told apart.
//! Run: `cargo run --release -p fanio-core --example sqlite_rust [-- --quick]`.

#[path = "cpu.rs"]
mod cpu;
use cpu::process_cpu;

use std::time::Instant;

use fanio_core::db::{self, Cell, Database, IntWidth, Params, PoolOptions};
use fanio_core::engine::native as settle;
use fanio_core::{Options, Value, runtime};

const SQL: &str = "SELECT id, name, score FROM t WHERE id = ?";

/// Wall rate and CPU per lookup (the steadier figure on a shared machine), the best of
/// `ROUNDS` runs: this machine's speed varies by 2x from minute to minute.
fn report(name: &str, n: usize, mut run: impl FnMut()) {
    let (mut secs, mut cpu) = (f64::MAX, f64::MAX);
    for _ in 0..ROUNDS {
        let (wall, before) = (Instant::now(), process_cpu());
        run();
        secs = secs.min(wall.elapsed().as_secs_f64());
        cpu = cpu.min(process_cpu() - before);
    }
    println!(
        "  {name:<58} {:>9.0} lookups/s   cpu/lookup {:>5.2} us",
        n as f64 / secs,
        cpu * 1e6 / n as f64
    );
}

const ROUNDS: usize = 3;

fn keys(n: usize, of: usize) -> Vec<i64> {
    (0..n).map(|i| ((i * 7919) % of) as i64).collect()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 5_000 } else { 100_000 };
    let dir = std::env::temp_dir().join(format!("fanio-sqlite-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bench.db");
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL)",
    )
    .unwrap();
    {
        let tx = conn.unchecked_transaction().unwrap();
        let mut insert = tx.prepare("INSERT INTO t VALUES (?, ?, ?)").unwrap();
        for i in 0..n as i64 {
            insert
                .execute((i, format!("name {i}"), i as f64 / 7.0))
                .unwrap();
        }
        drop(insert);
        tx.commit().unwrap();
    }
    let keys = keys(n, n);
    println!("SQLite from Rust (file, WAL): {n} primary-key lookups");

    report("rusqlite loop, one thread (the floor)", n, || {
        assert_eq!(lookups(&conn, &keys), n)
    });
    // What any design could reach here: every core busy on its own connection and no
    // hand-off at all.
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let mut conns: Vec<_> = (0..cores)
        .map(|_| rusqlite::Connection::open(&file).unwrap())
        .collect();
    report(
        &format!("rusqlite, {cores} threads each with a connection (the ceiling)"),
        n,
        || {
            let found: usize = std::thread::scope(|s| {
                let part = keys.len().div_ceil(cores);
                let threads: Vec<_> = conns
                    .iter_mut()
                    .zip(keys.chunks(part))
                    .map(|(c, ks)| s.spawn(move || lookups(c, ks)))
                    .collect();
                threads.into_iter().map(|t| t.join().unwrap()).sum()
            });
            assert_eq!(found, n)
        },
    );

    let rt = runtime::handle();
    for (limit, conns) in [(8, 8), (64, 8), (8, 2)] {
        let opts = PoolOptions {
            max_connections: conns,
            ..PoolOptions::default()
        };
        let url = format!("sqlite://{}", file.display());
        let db = match rt.block_on(db::connect(&url, opts).run()) {
            Ok(Value::Database(d)) => d,
            other => panic!("cannot open: {other:?}"),
        };
        let batch = |db: &Database| -> Vec<_> {
            keys.iter()
                .map(|k| db.fetch_one(SQL, Params::Positional(vec![Cell::Int(*k, IntWidth::Wide)])))
                .collect()
        };
        // Warm the readers' statement caches.
        rt.block_on(settle::settle(batch(&db), limit_opts(limit), None));
        report(
            &format!("fanio core settle, {limit} in flight, {conns} connections"),
            n,
            || {
                let ops = batch(&db);
                let out = rt
                    .block_on(rt.spawn(settle::settle(ops, limit_opts(limit), None)))
                    .unwrap();
                assert!(out.iter().all(|o| o.is_ok()));
            },
        );
        rt.block_on(db.close().run()).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Looks up every key through one connection; returns how many rows matched their key.
fn lookups(conn: &rusqlite::Connection, keys: &[i64]) -> usize {
    let mut stmt = conn.prepare_cached(SQL).unwrap();
    keys.iter()
        .filter(|k| {
            let row: (i64, String, f64) = stmt
                .query_row([k], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .unwrap();
            row.0 == **k
        })
        .count()
}

fn limit_opts(limit: usize) -> Options {
    Options {
        limit: Some(limit),
        ..Options::default()
    }
}
