//! The server handle: binds the listeners on 127.0.0.1, runs them on a runtime of
//! its own (so any test, sync or async, can start one) and stops it on drop.

use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;

use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::conn::{Listener, accept_loop};
use crate::routes::{Flaky, Payloads};
use crate::stats::{Connections, Stats};
use crate::{certs, tls};

#[derive(Debug, Clone)]
pub struct Config {
    /// Runtime worker threads; 1 (the default) runs everything on one thread.
    pub threads: usize,
    /// Where the PEM files go; `None`: a fresh temporary directory, removed on drop.
    pub dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threads: 1,
            dir: None,
        }
    }
}

/// What every connection task shares.
pub struct Shared {
    pub stats: Stats,
    pub flaky: Flaky,
    pub payloads: Payloads,
    pub http: auto::Builder<TokioExecutor>,
}

/// A running testbed; dropping it stops the listeners and closes every connection.
pub struct Server {
    http: SocketAddr,
    https: SocketAddr,
    mtls: SocketAddr,
    proxy: SocketAddr,
    socks: SocketAddr,
    /// The Postgres TLS front (see `pg_tls`) and the URLs that reach the database
    /// through it.
    pg_tls: (String, String),
    files: PemFiles,
    /// Set when the PEM directory is ours to remove.
    temp_dir: Option<PathBuf>,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

struct PemFiles {
    ca: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
    other_ca: PathBuf,
}

impl Server {
    pub fn start(config: Config) -> io::Result<Server> {
        let pki = certs::generate().map_err(io::Error::other)?;
        let (tls, mtls) = tls::server_configs(&pki).map_err(io::Error::other)?;

        let (dir, temp_dir) = match config.dir {
            Some(dir) => {
                std::fs::create_dir_all(&dir)?;
                (dir.clone(), None)
            }
            None => {
                let dir = fresh_temp_dir()?;
                (dir.clone(), Some(dir))
            }
        };
        let files = PemFiles {
            ca: dir.join("ca.pem"),
            client_cert: dir.join("client-cert.pem"),
            client_key: dir.join("client-key.pem"),
            other_ca: dir.join("other-ca.pem"),
        };
        std::fs::write(&files.ca, &pki.ca_pem)?;
        std::fs::write(&files.client_cert, &pki.client_cert_pem)?;
        std::fs::write(&files.client_key, &pki.client_key_pem)?;
        std::fs::write(&files.other_ca, &pki.other_ca_pem)?;

        let listeners = [
            (bind()?, Listener::Http, None),
            (
                bind()?,
                Listener::Https,
                Some(TlsAcceptor::from(tls.clone())),
            ),
            (bind()?, Listener::Mtls, Some(TlsAcceptor::from(mtls))),
            (bind()?, Listener::Proxy, None),
            (bind()?, Listener::Socks, None),
        ];
        let addrs = [0, 1, 2, 3, 4].map(|i| listeners[i].0.local_addr());
        let [http, https, mtls, proxy, socks] = addrs;
        let pg_listener = bind()?;
        let (pg_upstream, pg_by_ip, pg_by_name) =
            crate::pg_tls::targets(&pg_listener.local_addr()?.to_string());
        let pg_acceptor = TlsAcceptor::from(tls);

        let shared = Arc::new(Shared {
            stats: Stats::default(),
            flaky: Flaky::default(),
            payloads: Payloads::build()?,
            http: auto::Builder::new(TokioExecutor::new()),
        });

        // One thread needs no hand-offs between workers: the fastest setup on few cores.
        let runtime = if config.threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(config.threads)
                .thread_name("testbed-worker")
                .enable_all()
                .build()?
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let tasks_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name("testbed".into())
            .spawn(move || {
                runtime.block_on(async move {
                    for (listener, kind, tls) in listeners {
                        // Inside the runtime: registering with its reactor cannot fail
                        // for a freshly bound non-blocking socket, but stay typed anyway.
                        if let Ok(listener) = TcpListener::from_std(listener) {
                            tokio::spawn(accept_loop(listener, kind, tasks_shared.clone(), tls));
                        }
                    }
                    if let Ok(listener) = TcpListener::from_std(pg_listener) {
                        tokio::spawn(crate::pg_tls::accept_loop(
                            listener,
                            pg_acceptor,
                            pg_upstream,
                        ));
                    }
                    // Runs until the handle is dropped (or sends nothing and goes away).
                    let _ = stopped.await;
                });
                // Dropping the runtime here cancels every connection task, closing sockets.
                drop(runtime);
            })?;

        Ok(Server {
            http: http?,
            https: https?,
            mtls: mtls?,
            proxy: proxy?,
            socks: socks?,
            pg_tls: (pg_by_ip, pg_by_name),
            files,
            temp_dir,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Plain HTTP: HTTP/1.1 keep-alive and HTTP/2 with prior knowledge (h2c).
    pub fn http_url(&self) -> String {
        format!("http://{}", self.http)
    }

    /// TLS with ALPN h2 and http/1.1; the certificate is signed by [`Self::ca_pem`].
    pub fn https_url(&self) -> String {
        format!("https://{}", self.https)
    }

    /// Like [`Self::https_url`], but the handshake requires a client certificate signed
    /// by the CA ([`Self::client_cert_pem`], [`Self::client_key_pem`]).
    pub fn mtls_url(&self) -> String {
        format!("https://{}", self.mtls)
    }

    /// An HTTP/1.1 proxy that serves absolute-form requests itself (`"proxied": true`
    /// in `/echo`) and tunnels CONNECT to loopback ports.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.proxy)
    }

    /// A SOCKS5 proxy (no authentication, CONNECT to loopback ports); each tunnel
    /// counts as `proxied` in [`Self::connections`].
    pub fn socks_url(&self) -> String {
        format!("socks5://{}", self.socks)
    }

    /// The Postgres of `FANIO_PG_URL` (default `postgres://postgres@127.0.0.1:5432/test`)
    /// behind a TLS front whose certificate is signed by [`Self::ca_pem`]; add `sslmode`.
    pub fn pg_tls_url(&self) -> &str {
        &self.pg_tls.0
    }

    /// Like [`Self::pg_tls_url`], but naming the host `fanio-other-name.invalid` (not in
    /// the certificate) and dialing 127.0.0.1 through `hostaddr`.
    pub fn pg_tls_other_name_url(&self) -> &str {
        &self.pg_tls.1
    }

    pub fn ca_pem(&self) -> &Path {
        &self.files.ca
    }

    pub fn client_cert_pem(&self) -> &Path {
        &self.files.client_cert
    }

    /// PKCS#8 PEM.
    pub fn client_key_pem(&self) -> &Path {
        &self.files.client_key
    }

    /// A CA that signed nothing: trusting only it must fail verification.
    pub fn other_ca_pem(&self) -> &Path {
        &self.files.other_ca
    }

    /// The same counters as `GET /__connections`.
    pub fn connections(&self) -> Connections {
        self.shared.stats.snapshot()
    }

    /// The same as `POST /__connections/reset`; returns the counters after it.
    pub fn reset_connections(&self) -> Connections {
        self.shared.stats.reset();
        self.shared.stats.snapshot()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(dir) = &self.temp_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn bind() -> io::Result<StdListener> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

/// A new directory under the system temp dir that no other run uses.
fn fresh_temp_dir() -> io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let base = format!("fanio-testbed-{}-{nanos}", std::process::id());
    let mut attempt = 0u32;
    loop {
        let dir = std::env::temp_dir().join(format!("{base}-{attempt}"));
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}
