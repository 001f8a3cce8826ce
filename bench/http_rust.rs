//! The Rust ceiling of the HTTP benchmark: the same 20,000 GETs of 1 KiB with 64 in
//! flight as bench/http_py.py and bench/http_node.mjs, with no host language at all.
//! It splits what reqwest and the runtime cost from what fanio's request path, its
//! settle engine and the bindings add. Besides req/s it reports the client's CPU time
//! per request (the server runs in another process), which stays steady on a busy
//! machine where req/s does not.
//!
//! Run: `cargo run --release -p fanio-core --example http_rust -- [--quick]
//! [--only WORD] [--url URL]`; without `--url` it starts target/release/testbed.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use fanio_core::http::{Client, ClientOptions, RequestSpec};
use fanio_core::{Op, Options, Value};
use futures::StreamExt;

const IN_FLIGHT: usize = 64;

/// CPU time (user + system) this process has used, in microseconds.
fn cpu_us() -> f64 {
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
    let us = |t: libc::timeval| t.tv_sec as f64 * 1e6 + t.tv_usec as f64;
    us(u.ru_utime) + us(u.ru_stime)
}

/// Runs `work` (which makes `n` requests) and prints its req/s and CPU us per request.
fn report(label: &str, n: usize, work: impl FnOnce()) {
    let (t, cpu) = (Instant::now(), cpu_us());
    work();
    let rps = n as f64 / t.elapsed().as_secs_f64();
    let per = (cpu_us() - cpu) / n as f64;
    println!("  {label:<34} {rps:>8.0} req/s {per:>6.1} us CPU/request");
}

/// reqwest alone, on `rt`, keeping every body as fanio does, the batch spawned onto the runtime as the bindings do.
fn plain(rt: &tokio::runtime::Runtime, url: &str, n: usize) {
    let url = url.to_owned();
    let ok = rt
        .block_on(rt.spawn(async move {
            let client = reqwest::Client::builder().no_proxy().build().unwrap();
            futures::stream::iter(0..n)
                .map(|_| client.get(&url).send())
                .buffer_unordered(IN_FLIGHT)
                .then(|r| async move { r.unwrap().bytes().await.unwrap() })
                .collect::<Vec<_>>()
                .await
        }))
        .unwrap();
    assert!(ok.len() == n && ok.iter().all(|b| b.len() == 1024));
}

/// A native settle of `ops` on the core's runtime, spawned as the bindings do.
fn settle(ops: Vec<Op>) {
    let opts = Options {
        limit: Some(IN_FLIGHT),
        ..Options::default()
    };
    let rt = fanio_core::runtime::handle();
    let outcomes = rt
        .block_on(rt.spawn(fanio_core::engine::native::settle(ops, opts, None)))
        .unwrap();
    assert!(outcomes.iter().all(|o| o.is_ok()));
}

/// reqwest requests wrapped as ops: the settle engine's cost without fanio's HTTP path.
fn plain_ops(url: &str, n: usize) -> Vec<Op> {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    (0..n)
        .map(|_| {
            let (client, url) = (client.clone(), url.to_owned());
            Op::new(async move {
                Ok(Value::Bytes(
                    client.get(url).send().await.unwrap().bytes().await.unwrap(),
                ))
            })
        })
        .collect()
}

fn fanio_ops(url: &str, n: usize, opts: ClientOptions) -> Vec<Op> {
    let client = Client::new(opts).unwrap();
    let get = || RequestSpec {
        method: "GET".into(),
        url: url.into(),
        ..Default::default()
    };
    (0..n).map(|_| client.request(get()).unwrap()).collect()
}

/// The testbed binary on one thread, as the Python and Node benchmarks run it.
fn start_testbed() -> (Child, String) {
    let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/release/testbed");
    let mut child = Command::new(bin)
        .args(["--threads", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{bin}: {e} (build it with `cargo build --release -p testbed`)")
        });
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    (child, info["http"].as_str().unwrap().to_owned())
}

/// `wrk -c64 -t1` against `url` for 3 s, when wrk is installed: the ceiling.
fn wrk(url: &str) -> Option<f64> {
    let out = Command::new("wrk")
        .args(["-c64", "-t1", "-d3s", url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("Requests/sec:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .map(|i| args[i + 1].clone())
    };
    // `--only WORD`: just the runs whose label contains WORD (for `perf record`).
    let only = value("--only");
    let given = value("--url");
    let (_server, url) = match given {
        Some(url) => (None, url),
        None => {
            let (child, base) = start_testbed();
            (Some(child), format!("{base}/bytes/1024"))
        }
    };
    let n = if quick { 500 } else { 20_000 };
    let current = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let multi = |n| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(n)
            .enable_all()
            .build()
            .unwrap()
    };
    let (one, two) = (multi(1), multi(2));
    let no_timeout = || ClientOptions {
        timeout: None,
        ..Default::default()
    };
    println!("{n} GETs of {url}, {IN_FLIGHT} in flight");
    if let Some(ceiling) = wrk(&url).filter(|_| !quick) {
        println!("  {:<34} {ceiling:>8.0} req/s", "wrk -c64 -t1 (ceiling)");
    }
    let runs: [(&str, &dyn Fn()); 7] = [
        ("reqwest, current-thread runtime", &|| {
            plain(&current, &url, n)
        }),
        ("reqwest, 1-worker runtime", &|| plain(&one, &url, n)),
        ("reqwest, 2-worker runtime", &|| plain(&two, &url, n)),
        ("settle of plain reqwest ops", &|| {
            settle(plain_ops(&url, n))
        }),
        ("fanio settle", &|| {
            settle(fanio_ops(&url, n, ClientOptions::default()))
        }),
        ("fanio settle, no total timeout", &|| {
            settle(fanio_ops(&url, n, no_timeout()))
        }),
        ("fanio settle, no cookie store", &|| {
            settle(fanio_ops(
                &url,
                n,
                ClientOptions {
                    cookies: false,
                    ..Default::default()
                },
            ))
        }),
    ];
    for round in 0..if quick { 1 } else { 3 } {
        println!("round {round}");
        for (label, run) in runs
            .iter()
            .filter(|(l, _)| only.as_ref().is_none_or(|w| l.contains(w.as_str())))
        {
            report(label, n, run);
        }
    }
}
