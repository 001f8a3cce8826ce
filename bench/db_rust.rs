//! The Rust side of the bulk-write benchmark: the same 100,000 rows as bench/db_py.py
//! (`(i, "row i", i % 100)` into `(id int PRIMARY KEY, name text, v int)`), loaded
//! through fanio's core alone and through plain tokio-postgres, so what the bindings
//! add, what the core adds and what the driver and server cost are told apart.
//! Run: `cargo run --release -p fanio-core --example db_rust [-- --quick]`.

#[path = "cpu.rs"]
mod cpu;
use cpu::process_cpu;

use std::sync::Arc;
use std::time::Instant;

use fanio_core::db::{self, Cell, Database, Params, PoolOptions};
use fanio_core::{Value, runtime};
use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls};

fn url() -> String {
    std::env::var("FANIO_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Wall time, this process's CPU time and the server backends' CPU time over one run:
/// on a shared machine the CPU times per row are steadier than the rate.
struct Meter {
    wall: Instant,
    client: f64,
    server: f64,
    backends: Vec<i32>,
}

/// utime + stime of server processes (same machine), from /proc.
fn backend_cpu(pids: &[i32]) -> f64 {
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    pids.iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .map(|stat| {
            let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
            let f: Vec<&str> = after.split_whitespace().collect();
            (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / tick
        })
        .sum()
}

impl Meter {
    fn start(backends: Vec<i32>) -> Meter {
        Meter {
            wall: Instant::now(),
            client: process_cpu(),
            server: backend_cpu(&backends),
            backends,
        }
    }

    fn report(self, name: &str, rows: usize) {
        let wall = self.wall.elapsed().as_secs_f64();
        let us = |s: f64| s * 1e6 / rows as f64;
        println!(
            "  {name:<44} {:>9.0} rows/s {:>7.1} ms   cpu/row: client {:>5.2} us, server {:>5.2} us",
            rows as f64 / wall,
            wall * 1e3,
            us(process_cpu() - self.client),
            us(backend_cpu(&self.backends) - self.server),
        );
    }
}

fn cells(n: usize) -> Vec<Vec<Cell>> {
    (0..n as i64)
        .map(|i| {
            vec![
                Cell::int(i),
                Cell::text(&format!("row {i}")),
                Cell::int(i % 100),
            ]
        })
        .collect()
}

/// One row as native Rust values, for the driver on its own.
type Row = (i32, String, i32);
/// A driver run, spawned on the core's runtime.
type Run = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

fn tuples(n: usize) -> Vec<Row> {
    (0..n as i32)
        .map(|i| (i, format!("row {i}"), i % 100))
        .collect()
}

async fn fresh(client: &Client, table: &str) {
    client
        .batch_execute(&format!(
            "DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int PRIMARY KEY, name text, v int)"
        ))
        .await
        .unwrap();
}

async fn count(client: &Client, table: &str) -> usize {
    let n: i64 = client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .unwrap()
        .get(0);
    n as usize
}

/// Server processes of a connection by its application_name.
async fn backends(client: &Client, app: &str) -> Vec<i32> {
    client
        .query(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1",
            &[&app],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Plain tokio-postgres: one transaction, one prepared INSERT, `window` executes in
/// flight on the connection (each is Bind/Execute/Sync: the driver offers nothing else).
fn driver_execute(client: Arc<Client>, table: String, rows: Arc<Vec<Row>>, window: usize) -> Run {
    Box::pin(async move { execute_window(&client, &table, &rows, window).await })
}

async fn execute_window(client: &Client, table: &str, rows: &[Row], window: usize) {
    let stmt = client
        .prepare(&format!("INSERT INTO {table} VALUES ($1, $2, $3)"))
        .await
        .unwrap();
    let me: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let m = Meter::start(vec![me]);
    client.batch_execute("BEGIN").await.unwrap();
    // The loop fanio's core uses (a closure in a spawned future's type trips rustc's
    // Send check, rust-lang/rust#64552).
    let mut pending = FuturesOrdered::new();
    let mut next = rows.iter();
    let mut total = 0;
    loop {
        while pending.len() < window {
            let Some((a, b, c)) = next.next() else { break };
            let params: [&(dyn ToSql + Sync); 3] = [a, b, c];
            pending.push_back(client.execute_raw(&stmt, params));
        }
        match pending.next().await {
            Some(n) => total += n.unwrap(),
            None => break,
        }
    }
    client.batch_execute("COMMIT").await.unwrap();
    assert_eq!(total as usize, rows.len());
    m.report(
        &format!("tokio-postgres execute, {window} in flight"),
        rows.len(),
    );
}

/// Plain tokio-postgres COPY BINARY with native Rust values.
fn driver_copy(client: Arc<Client>, table: String, rows: Arc<Vec<Row>>, _: usize) -> Run {
    Box::pin(async move { copy_writer(&client, &table, &rows).await })
}

async fn copy_writer(client: &Client, table: &str, rows: &[Row]) {
    let me: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let m = Meter::start(vec![me]);
    let sink = client
        .copy_in(&format!(
            "COPY {table} (id, name, v) FROM STDIN (FORMAT binary)"
        ))
        .await
        .unwrap();
    let writer = BinaryCopyInWriter::new(sink, &[Type::INT4, Type::TEXT, Type::INT4]);
    let mut writer = std::pin::pin!(writer);
    for (a, b, c) in rows {
        let row: [&(dyn ToSql + Sync); 3] = [a, b, c];
        writer.as_mut().write(&row).await.unwrap();
    }
    assert_eq!(writer.finish().await.unwrap() as usize, rows.len());
    m.report("tokio-postgres BinaryCopyInWriter", rows.len());
}

fn database(url: &str) -> Database {
    let op = db::connect(url, PoolOptions::default());
    match runtime::handle().block_on(op.run()) {
        Ok(Value::Database(d)) => d,
        other => panic!("cannot connect: {other:?}"),
    }
}

/// Runs `op` on a worker of the core's runtime, as both bindings do.
fn int(op: fanio_core::Op) -> usize {
    let rt = runtime::handle();
    match rt
        .block_on(rt.spawn(async move { op.run().await }))
        .unwrap()
    {
        Ok(Value::Int(n)) => n as usize,
        other => panic!("not a count: {other:?}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // Other arguments name the cases to run (one at a time for a profiler): execute,
    // per-row, driver, copy, driver-copy.
    let only: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--quick")
        .collect();
    let wanted = |case: &str| only.is_empty() || only.contains(&case);
    let n = if quick { 5_000 } else { 100_000 };
    let url = url();
    let app = format!("fanio_bench_rust_{}", std::process::id());
    let table = app.clone();
    let rt = runtime::handle();
    let client = Arc::new(rt.block_on(async {
        let (client, conn) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }));
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = database(&format!("{url}{sep}application_name={app}"));
    let insert = format!("INSERT INTO {table} VALUES ($1, $2, $3)");
    let per_row = format!("INSERT INTO {table} SELECT $1, $2, $3");
    let cols = vec!["id".to_string(), "name".into(), "v".into()];

    println!("Postgres from Rust: {n} rows");
    let t = Instant::now();
    let rows = cells(n);
    println!(
        "  building the cells (what a binding makes): {:.1} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    let native = Arc::new(tuples(n));
    // The driver's runs go on a runtime worker too, as fanio's ops do.
    let on_worker = |run: fn(Arc<Client>, String, Arc<Vec<Row>>, usize) -> Run, window: usize| {
        let (client, table, native) = (client.clone(), table.clone(), native.clone());
        rt.block_on(rt.spawn(run(client, table, native, window)))
            .unwrap()
    };

    if wanted("execute") {
        rt.block_on(fresh(&client, &table));
        let sets: Vec<Params> = rows.iter().cloned().map(Params::Positional).collect();
        let m = Meter::start(rt.block_on(backends(&client, &app)));
        assert_eq!(int(db.execute_many(&insert, sets)), n);
        m.report("fanio core execute_many (multi-row INSERTs)", n);
        assert_eq!(rt.block_on(count(&client, &table)), n);
    }
    if wanted("per-row") {
        // The same rows through an INSERT ... SELECT, which execute_many leaves as it is:
        // one execute per row, what the driver allows.
        rt.block_on(fresh(&client, &table));
        let sets: Vec<Params> = rows.iter().cloned().map(Params::Positional).collect();
        let m = Meter::start(rt.block_on(backends(&client, &app)));
        assert_eq!(int(db.execute_many(&per_row, sets)), n);
        m.report("fanio core execute_many, one execute per row", n);
        assert_eq!(rt.block_on(count(&client, &table)), n);
    }
    if wanted("driver") {
        for window in [256, 1024, 4096, n] {
            rt.block_on(fresh(&client, &table));
            on_worker(driver_execute, window);
        }
    }
    if wanted("copy") {
        rt.block_on(fresh(&client, &table));
        let m = Meter::start(rt.block_on(backends(&client, &app)));
        assert_eq!(int(db.copy_records(&table, cols, rows)), n);
        m.report("fanio core copy_records", n);
        assert_eq!(rt.block_on(count(&client, &table)), n);
    }
    if wanted("driver-copy") {
        rt.block_on(fresh(&client, &table));
        on_worker(driver_copy, 0);
    }

    rt.block_on(async {
        client
            .batch_execute(&format!("DROP TABLE IF EXISTS {table}"))
            .await
            .unwrap()
    });
}
