//! A real local HTTP(S) server for fanio's tests and benchmarks, so no test talks to a
//! mock: plain HTTP/1.1 + h2c, TLS, mutual TLS and an HTTP proxy, all serving the
//! same routes (see `routes`), a SOCKS5 proxy (see `socks`), connection counters for
//! leak and pool assertions, and a TLS front for Postgres (see `pg_tls`).
//!
//! Routes: `/bytes/{n}[?chunked=1]` (byte `i` is `b"a".."z"[i % 26]`), `/echo[/...]`,
//! `/json`, `/json/bad`, `/status/{code}`, `/redirect/{n}?code&kind`, `/redirect-to?url&code`,
//! `/encoding/{gzip|br|zstd|deflate}`, `/encoding/gzip/corrupt`, `/encoding/gzip/bomb`,
//! `/text/{latin1|utf8|utf16|bad-utf8|none}`, `/cookies/set?k=v`, `/cookies`,
//! `/stream/{n}?delay_ms&size` (each chunk: the first `size` pattern bytes), `/drop`,
//! `/never`, `/slow?delay_ms`, `/slow-body?delay_ms`, `/malformed`, `/bad-chunking`,
//! `/flaky?key&fail&status&retry_after[&date=1]`, `GET /__connections`,
//! `POST /__connections/reset`. Bad parameters answer 400, unknown paths 404.
//!
//! ```no_run
//! let server = testbed::Server::start(testbed::Config::default())?;
//! let url = format!("{}/bytes/1024", server.http_url());
//! # Ok::<(), std::io::Error>(())
//! ```

mod body;
mod certs;
mod conn;
mod pg_tls;
mod routes;
mod server;
mod socks;
mod stats;
mod tls;

pub use body::pattern_bytes;
pub use routes::{BOMB_SIZE, JSON_DOC, TEXT};
pub use server::{Config, Server};
pub use stats::Connections;
