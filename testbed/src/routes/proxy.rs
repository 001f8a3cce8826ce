//! CONNECT on the proxy listener: a byte tunnel to a port of this host (the testbed's
//! TLS listeners), so clients can test `https://` through an HTTP proxy. Only loopback
//! targets are allowed: the testbed must never become an open proxy.

use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::{Reject, Reply};
use crate::body::Body;

pub async fn connect(mut req: Request<Incoming>) -> Reply {
    let authority = req
        .uri()
        .authority()
        .ok_or_else(|| Reject::bad("CONNECT needs host:port"))?;
    let port = authority
        .port_u16()
        .ok_or_else(|| Reject::bad("CONNECT needs host:port"))?;
    if !matches!(authority.host(), "127.0.0.1" | "localhost") {
        return Err(Reject {
            status: StatusCode::FORBIDDEN,
            reason: "the testbed proxy only tunnels to 127.0.0.1".into(),
        });
    }
    let mut upstream = TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| Reject {
            status: StatusCode::BAD_GATEWAY,
            reason: format!("cannot reach 127.0.0.1:{port}: {e}").into(),
        })?;
    let _ = upstream.set_nodelay(true);
    let upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        if let Ok(upgraded) = upgrade.await {
            let mut client = TokioIo::new(upgraded);
            // Either side closing ends the tunnel; there is nobody to report errors to.
            let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
        }
    });
    Ok(Response::new(Body::empty()))
}
