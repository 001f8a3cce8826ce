//! A SOCKS5 listener (RFC 1928: no authentication, CONNECT only) so the clients'
//! `socks5://` and `socks5h://` proxies are tested against a real handshake. Like the
//! HTTP proxy it only tunnels to this host, and each tunnel counts as `proxied`.

use std::io;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::server::Shared;

const VERSION: u8 = 5;
const NO_AUTH: u8 = 0;
const NO_ACCEPTABLE_METHOD: u8 = 0xff;
const CONNECT: u8 = 1;
const IPV4: u8 = 1;
const DOMAIN: u8 = 3;
const IPV6: u8 = 4;
const SUCCEEDED: u8 = 0;
const NOT_ALLOWED: u8 = 2;
const HOST_UNREACHABLE: u8 = 4;
const COMMAND_NOT_SUPPORTED: u8 = 7;
const ADDRESS_NOT_SUPPORTED: u8 = 8;

/// Serves one client: handshake, then a byte tunnel until either side closes. A
/// client that breaks the protocol is answered (where SOCKS has an answer) and dropped.
pub async fn serve(mut client: TcpStream, shared: Arc<Shared>) {
    if let Ok(mut upstream) = handshake(&mut client).await {
        shared.stats.proxied();
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}

async fn handshake(client: &mut TcpStream) -> io::Result<TcpStream> {
    let [version, n] = read_array(client).await?;
    let mut methods = vec![0; n as usize];
    client.read_exact(&mut methods).await?;
    if version != VERSION || !methods.contains(&NO_AUTH) {
        client.write_all(&[VERSION, NO_ACCEPTABLE_METHOD]).await?;
        return Err(refused("no acceptable method"));
    }
    client.write_all(&[VERSION, NO_AUTH]).await?;

    let [_, command, _, kind] = read_array(client).await?;
    let loopback = match kind {
        IPV4 => read_array::<4>(client).await? == [127, 0, 0, 1],
        IPV6 => read_array::<16>(client).await? == std::net::Ipv6Addr::LOCALHOST.octets(),
        DOMAIN => {
            let [len] = read_array(client).await?;
            let mut name = vec![0; len as usize];
            client.read_exact(&mut name).await?;
            matches!(&name[..], b"localhost" | b"127.0.0.1")
        }
        _ => return answer(client, ADDRESS_NOT_SUPPORTED).await,
    };
    let port = u16::from_be_bytes(read_array(client).await?);
    if command != CONNECT {
        return answer(client, COMMAND_NOT_SUPPORTED).await;
    }
    if !loopback {
        return answer(client, NOT_ALLOWED).await;
    }
    match TcpStream::connect(("127.0.0.1", port)).await {
        Ok(upstream) => {
            let _ = upstream.set_nodelay(true);
            reply(client, SUCCEEDED).await?;
            Ok(upstream)
        }
        Err(_) => answer(client, HOST_UNREACHABLE).await,
    }
}

async fn read_array<const N: usize>(client: &mut TcpStream) -> io::Result<[u8; N]> {
    let mut buf = [0; N];
    client.read_exact(&mut buf).await?;
    Ok(buf)
}

/// The reply to a request; the bound address is not meaningful here and sent as zeros.
async fn reply(client: &mut TcpStream, status: u8) -> io::Result<()> {
    client
        .write_all(&[VERSION, status, 0, IPV4, 0, 0, 0, 0, 0, 0])
        .await
}

/// Refuses the request with `status` and ends the conversation.
async fn answer(client: &mut TcpStream, status: u8) -> io::Result<TcpStream> {
    reply(client, status).await?;
    Err(refused("request refused"))
}

fn refused(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionRefused, why.to_string())
}
