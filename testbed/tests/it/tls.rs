//! TLS listeners with the generated PKI: ALPN, verification against the right and the
//! wrong CA, client certificates on the mTLS port; and h2c on the plain port.

use std::path::Path;
use std::sync::Arc;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use testbed::{Config, Server};

fn client_config(ca: &Path, identity: Option<(&Path, &Path)>, alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(ca).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from_pem_file(cert).unwrap()],
                PrivateKeyDer::from_pem_file(key).unwrap(),
            )
            .unwrap(),
    };
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

async fn handshake(url: &str, config: Arc<ClientConfig>) -> std::io::Result<TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(url.trim_start_matches("https://")).await?;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    TlsConnector::from(config).connect(name, tcp).await
}

/// A whole HTTP/1.1 exchange with `Connection: close`, returned as text.
async fn get_http1(mut tls: TlsStream<TcpStream>, target: &str) -> std::io::Result<String> {
    tls.write_all(
        format!("GET {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = Vec::new();
    tls.read_to_end(&mut out).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

#[tokio::test]
async fn https_verifies_with_the_generated_ca_only() {
    let server = Server::start(Config::default()).unwrap();
    let h2 = handshake(
        &server.https_url(),
        client_config(server.ca_pem(), None, &[b"h2", b"http/1.1"]),
    )
    .await
    .unwrap();
    assert_eq!(h2.get_ref().1.alpn_protocol(), Some(&b"h2"[..]));

    let tls = handshake(
        &server.https_url(),
        client_config(server.ca_pem(), None, &[b"http/1.1"]),
    )
    .await
    .unwrap();
    let reply = get_http1(tls, "/echo").await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains(r#""http_version":"HTTP/1.1""#), "{reply}");

    let wrong = handshake(
        &server.https_url(),
        client_config(server.other_ca_pem(), None, &[]),
    )
    .await;
    assert!(
        wrong.is_err(),
        "the unrelated CA must not verify the server"
    );
}

#[tokio::test]
async fn mtls_requires_a_client_certificate_from_the_ca() {
    let server = Server::start(Config::default()).unwrap();
    let identity = Some((server.client_cert_pem(), server.client_key_pem()));
    let tls = handshake(
        &server.mtls_url(),
        client_config(server.ca_pem(), identity, &[]),
    )
    .await
    .unwrap();
    assert!(
        get_http1(tls, "/status/201")
            .await
            .unwrap()
            .starts_with("HTTP/1.1 201")
    );

    // TLS 1.3 reports the missing certificate after the client's handshake finished,
    // so the refusal may surface on the first read instead.
    let outcome = match handshake(
        &server.mtls_url(),
        client_config(server.ca_pem(), None, &[]),
    )
    .await
    {
        Err(e) => Err(e),
        Ok(tls) => get_http1(tls, "/status/201").await,
    };
    assert!(
        outcome.is_err(),
        "no client certificate must be refused: {outcome:?}"
    );
}

#[tokio::test]
async fn plain_port_speaks_h2_with_prior_knowledge() {
    let server = Server::start(Config::default()).unwrap();
    let tcp = TcpStream::connect(server.http_url().trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(tcp))
            .await
            .unwrap();
    tokio::spawn(conn);
    let req = hyper::Request::get(format!("{}/echo?h=2", server.http_url()))
        .body(Empty::<Bytes>::new())
        .unwrap();
    let res = sender.send_request(req).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let echo: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(echo["http_version"], "HTTP/2");
    assert_eq!(echo["args"]["h"][0], "2");
}
