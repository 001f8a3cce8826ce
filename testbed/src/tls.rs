//! rustls server settings of the two TLS listeners, on the aws-lc-rs provider (the one
//! provider of the tree) passed explicitly, so no process-wide default has to be installed.

use std::sync::Arc;

use rustls::RootCertStore;
use rustls::ServerConfig;
use rustls::crypto::aws_lc_rs;
use rustls::server::WebPkiClientVerifier;

use crate::certs::Pki;

/// `(plain TLS, TLS requiring a client certificate signed by the CA)`.
pub fn server_configs(pki: &Pki) -> Result<(Arc<ServerConfig>, Arc<ServerConfig>), rustls::Error> {
    let provider = Arc::new(aws_lc_rs::default_provider());

    let mut roots = RootCertStore::empty();
    roots.add(pki.ca_der.clone())?;
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| rustls::Error::General(e.to_string()))?;

    let chain = vec![pki.server_cert.clone()];
    let tls = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain.clone(), pki.server_key.clone_key())?;
    let mtls = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, pki.server_key.clone_key())?;
    Ok((with_alpn(tls), with_alpn(mtls)))
}

fn with_alpn(mut config: ServerConfig) -> Arc<ServerConfig> {
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Arc::new(config)
}
