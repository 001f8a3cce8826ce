//! A Postgres TLS front: it answers a client's SSLRequest, completes the handshake with
//! the testbed's certificate and pipes the protocol in plain text to the real server.
//! So `sslmode=require|verify-ca|verify-full` are tested against a real handshake and a
//! real database without touching the server's own TLS settings. A client that starts
//! without TLS is refused (the connection closes), so a query that succeeds through
//! the front proves the client spoke TLS. Its connections are not in the HTTP counters.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// Length 8, then the code 80877103 (PostgreSQL's "SSLRequest").
const SSL_REQUEST: [u8; 8] = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];

pub async fn accept_loop(listener: TcpListener, tls: TlsAcceptor, upstream: String) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                tokio::spawn(serve(client, tls.clone(), upstream.clone()));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

async fn serve(mut client: TcpStream, tls: TlsAcceptor, upstream: String) {
    let mut request = [0u8; 8];
    if client.read_exact(&mut request).await.is_err() || request != SSL_REQUEST {
        return;
    }
    if client.write_all(b"S").await.is_err() {
        return;
    }
    // A failed handshake just ends the connection: the client saw why.
    let Ok(mut client) = tls.accept(client).await else {
        return;
    };
    let Ok(mut server) = TcpStream::connect(&upstream).await else {
        return;
    };
    let _ = server.set_nodelay(true);
    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
}

/// The Postgres the front pipes to, `FANIO_PG_URL` (as the suites use it) or the local
/// default, and the URLs that reach it through the front on `front` (`host:port`):
/// `(upstream host:port, URL by IP, URL by a name the certificate lacks)`. The second
/// URL dials the IP through `hostaddr` but verifies the name.
pub fn targets(front: &str) -> (String, String, String) {
    let url = std::env::var("FANIO_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", &url));
    let (authority, path) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, host_port)) => (format!("{user}@"), host_port),
        None => (String::new(), authority),
    };
    let upstream = if host_port.contains(':') {
        host_port.to_string()
    } else {
        format!("{host_port}:5432")
    };
    let by_ip = format!("{scheme}://{user}{front}{path}");
    let port = front.rsplit_once(':').map_or("", |(_, p)| p);
    let sep = if path.contains('?') { '&' } else { '?' };
    let by_name =
        format!("{scheme}://{user}fanio-other-name.invalid:{port}{path}{sep}hostaddr=127.0.0.1");
    (upstream, by_ip, by_name)
}
