//! The `testbed` binary, for the Python and Node suites and the benchmarks: starts the
//! server, prints one JSON line with its URLs and PEM paths, serves until stdin closes
//! (so a test runner that dies never leaves it behind) or SIGTERM/SIGINT.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::oneshot;

const USAGE: &str = "usage: testbed [--threads N] [--dir DIR] [--ignore-stdin]";

struct Args {
    config: testbed::Config,
    watch_stdin: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        config: testbed::Config::default(),
        watch_stdin: true,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--threads" => {
                let n = argv.next().ok_or("--threads needs a value")?;
                args.config.threads =
                    n.parse().ok().filter(|n| *n >= 1).ok_or_else(|| {
                        format!("--threads must be a positive integer, got {n:?}")
                    })?;
            }
            "--dir" => {
                args.config.dir = Some(PathBuf::from(argv.next().ok_or("--dir needs a value")?))
            }
            // For shells that start it in the background with stdin at EOF.
            "--ignore-stdin" => args.watch_stdin = false,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let server = match testbed::Server::start(args.config) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("testbed: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    let line = serde_json::json!({
        "http": server.http_url(),
        "https": server.https_url(),
        "mtls": server.mtls_url(),
        "proxy": server.proxy_url(),
        "socks": server.socks_url(),
        "pg_tls": server.pg_tls_url(),
        "pg_tls_other_name": server.pg_tls_other_name_url(),
        "ca_pem": server.ca_pem(),
        "client_cert": server.client_cert_pem(),
        "client_key": server.client_key_pem(),
        "other_ca_pem": server.other_ca_pem(),
    });
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        return ExitCode::FAILURE;
    }
    drop(stdout);

    match wait_for_end(args.watch_stdin) {
        Ok(()) => {
            drop(server);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("testbed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Blocks until stdin reaches EOF (when watched), SIGTERM or SIGINT.
fn wait_for_end(watch_stdin: bool) -> std::io::Result<()> {
    let stdin_eof = watch_stdin.then(|| {
        let (eof_tx, eof_rx) = oneshot::channel::<()>();
        // A plain thread: a blocked read must not keep a runtime from shutting down.
        // It ends with the process.
        std::thread::spawn(move || {
            let mut sink = [0u8; 256];
            let mut stdin = std::io::stdin().lock();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = eof_tx.send(());
        });
        eof_rx
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = async {
                match stdin_eof {
                    Some(eof) => drop(eof.await),
                    None => std::future::pending().await,
                }
            } => {}
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        Ok(())
    })
}
