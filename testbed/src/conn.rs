//! Accepting sockets and serving HTTP on them: one task per connection, hyper's "auto"
//! server (HTTP/1.1 keep-alive, and HTTP/2 by ALPN or by prior knowledge on plain ports).

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::OnceLock;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::routes;
use crate::server::Shared;
use crate::stats::Tally;

/// Which listener accepted a connection: decides the scheme of absolute redirects and
/// whether absolute-form requests count as proxied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Http,
    Https,
    Mtls,
    Proxy,
    /// SOCKS5, not HTTP: see `socks`.
    Socks,
}

impl Listener {
    pub fn scheme(self) -> &'static str {
        match self {
            Listener::Https | Listener::Mtls => "https",
            Listener::Http | Listener::Proxy | Listener::Socks => "http",
        }
    }
}

/// What the request handlers of one connection share with it.
pub struct ConnCtx {
    pub shared: Arc<Shared>,
    pub listener: Listener,
    pub tally: Tally,
    /// Set by `/malformed` and `/bad-chunking`: the next write on the connection
    /// sends these bytes instead, then fails.
    pub wire_bytes: OnceLock<&'static [u8]>,
}

pub async fn accept_loop(
    listener: TcpListener,
    kind: Listener,
    shared: Arc<Shared>,
    tls: Option<TlsAcceptor>,
) {
    loop {
        let tcp = match listener.accept().await {
            Ok((tcp, _)) => tcp,
            // Out of file descriptors and the like: wait for sockets to close instead of
            // spinning on the error.
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Small responses must leave at once (benchmarks, /stream pacing).
        let _ = tcp.set_nodelay(true);
        let ctx = Arc::new(ConnCtx {
            shared: shared.clone(),
            listener: kind,
            tally: Tally::default(),
            wire_bytes: OnceLock::new(),
        });
        let tls = tls.clone();
        tokio::spawn(async move {
            let _guard = ctx.shared.stats.accept(&ctx.tally);
            if ctx.listener == Listener::Socks {
                return crate::socks::serve(tcp, ctx.shared.clone()).await;
            }
            match tls {
                None => serve(&ctx, tcp).await,
                // A failed handshake just ends the connection: the client saw why.
                Some(acceptor) => {
                    if let Ok(stream) = acceptor.accept(tcp).await {
                        serve(&ctx, stream).await;
                    }
                }
            }
        });
    }
}

async fn serve<S>(ctx: &Arc<ConnCtx>, io: S)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let wire = TokioIo::new(Wire {
        io,
        ctx: ctx.clone(),
        garbage_sent: 0,
    });
    let handler = ctx.clone();
    let service = service_fn(move |req| routes::handle(handler.clone(), req));
    // Errors here are peers going away or the deliberate failures of /drop and
    // /malformed; nothing to report, and no logging on the hot path.
    let _ = ctx
        .shared
        .http
        .serve_connection_with_upgrades(wire, service)
        .await;
}

/// What `/malformed` writes as its "response": not HTTP/1 nor an HTTP/2 frame.
pub const GARBAGE: &[u8] = b"NOT-HTTP \x00\xff\xfe garbage\r\n\r\n";

/// What `/bad-chunking` writes: a valid HTTP/1.1 head and first chunk, then a chunk
/// size line that is no hex number.
pub const BAD_CHUNKING: &[u8] = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\
content-type: text/plain\r\n\r\n5\r\nhello\r\nZZ not a size\r\nxx\r\n0\r\n\r\n";

/// The connection's byte stream as hyper sees it (above TLS). It passes everything
/// through until a route asks for canned bytes (`ConnCtx::wire_bytes`): then the
/// response hyper writes is replaced by them, and the write fails so hyper closes the
/// connection.
struct Wire<S> {
    io: S,
    ctx: Arc<ConnCtx>,
    garbage_sent: usize,
}

impl<S: AsyncWrite + Unpin> Wire<S> {
    fn poll_garbage(&mut self, cx: &mut Context<'_>, bytes: &[u8]) -> Poll<io::Result<usize>> {
        while self.garbage_sent < bytes.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &bytes[self.garbage_sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.garbage_sent += n;
        }
        ready!(Pin::new(&mut self.io).poll_flush(cx))?;
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "malformed response sent on purpose",
        )))
    }

    fn poisoned(&self) -> Option<&'static [u8]> {
        self.ctx.wire_bytes.get().copied()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Wire<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Wire<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(bytes) = self.poisoned() {
            return self.poll_garbage(cx, bytes);
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(bytes) = self.poisoned() {
            return self.poll_garbage(cx, bytes);
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}
