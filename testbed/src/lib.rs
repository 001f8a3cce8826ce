//! A real local HTTP(S) server for fanio's tests and benchmarks, so no test talks to a
//! mock: plain HTTP/1.1 + h2c, TLS, mutual TLS and a proxy listener, all serving the
//! same routes (see `routes`), with connection counters for leak and pool assertions.
//!
//! ```no_run
//! let server = testbed::Server::start(testbed::Config::default())?;
//! let url = format!("{}/bytes/1024", server.http_url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod body;
mod certs;
mod conn;
mod routes;
mod server;
mod stats;
mod tls;

pub use body::pattern_bytes;
pub use routes::{JSON_DOC, TEXT};
pub use server::{Config, Server};
pub use stats::Connections;
