//! What a caller configures on a client, as plain data a binding fills in field by field;
//! `Client::new` checks it all at once.

use std::time::Duration;

use crate::error::{Error, Result};
use crate::http::retry::RetryPolicy;

/// Whether and how HTTP/2 is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Http2Mode {
    /// HTTP/2 when TLS ALPN negotiates it, HTTP/1.1 otherwise.
    #[default]
    Auto,
    /// HTTP/2 from the first byte, also over plain TCP (h2c); the server must speak it.
    PriorKnowledge,
    /// HTTP/1.1 only.
    Never,
}

impl Http2Mode {
    /// The mode named by a host string: `auto`, `prior_knowledge` or `never`.
    pub fn parse(name: &str) -> Result<Http2Mode> {
        match name {
            "auto" => Ok(Http2Mode::Auto),
            "prior_knowledge" => Ok(Http2Mode::PriorKnowledge),
            "never" => Ok(Http2Mode::Never),
            other => Err(Error::invalid(format!(
                "unknown http2 mode {other:?}: expected \"auto\", \"prior_knowledge\" or \"never\""
            ))),
        }
    }
}

/// The total timeout a client gets unless told otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The most a response body read whole may hold, after decoding, unless the caller
/// sets another limit: 64 MiB. A body is held in memory as one bytes object, so this
/// bounds what one response (a gzip bomb: 200 KB on the wire, 200 MB decoded) can take;
/// it is far above any API document, and what is larger is a download, which
/// `stream` reads piece by piece (unbounded unless asked). A batch of 64 requests at
/// the limit still fits in a few GB. Raise it, or lift it, per client.
pub const DEFAULT_MAX_RESPONSE_SIZE: u64 = 64 * 1024 * 1024;

/// How large a response body may grow, counted after decoding (gzip, br, zstd,
/// deflate), while it is decoded: past the limit the op fails with E_BODY_TOO_LARGE
/// and no more is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SizeLimit {
    /// The caller said nothing: [`DEFAULT_MAX_RESPONSE_SIZE`] for a body read whole,
    /// no limit for a streamed body (the caller holds one chunk at a time).
    #[default]
    Default,
    /// At most this many bytes, read whole or streamed.
    Bytes(u64),
    /// No limit: the caller lifted it.
    Unlimited,
}

impl SizeLimit {
    /// The limit of a body read whole.
    pub(crate) fn whole(self) -> Option<u64> {
        match self {
            SizeLimit::Default => Some(DEFAULT_MAX_RESPONSE_SIZE),
            SizeLimit::Bytes(n) => Some(n),
            SizeLimit::Unlimited => None,
        }
    }

    /// The limit of a streamed body: only one the caller asked for.
    pub(crate) fn streamed(self) -> Option<u64> {
        match self {
            SizeLimit::Bytes(n) => Some(n),
            SizeLimit::Default | SizeLimit::Unlimited => None,
        }
    }
}

/// Everything a client can be configured with. `Default` gives the documented defaults;
/// a binding overwrites only what the user passed.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Relative request URLs are joined onto this one (RFC 3986 rules: keep a trailing
    /// `/` on the base for paths to be appended).
    pub base_url: Option<String>,
    /// Sent with every request; a request's own headers of the same name replace them.
    pub headers: Vec<(String, String)>,
    /// Total time of one op, from its start to its body read, retries included.
    /// Default 30 s. `None` means no total limit: the binding passes `None` only when
    /// the user explicitly asked for none. For a streamed response it covers the time
    /// to the response head; each chunk is then bounded by `read_timeout`.
    pub timeout: Option<Duration>,
    /// Time to establish a connection (TCP and TLS, proxy included).
    pub connect_timeout: Option<Duration>,
    /// Most time between two reads of the socket.
    pub read_timeout: Option<Duration>,
    /// Idle connections kept per host for reuse.
    pub pool_max_idle_per_host: Option<usize>,
    /// Most sockets open at once, all hosts together (a real cap: see `caps`).
    pub max_connections: Option<usize>,
    /// Most sockets open at once to one host (scheme, host and port).
    pub max_connections_per_host: Option<usize>,
    pub http2: Http2Mode,
    pub follow_redirects: bool,
    /// Redirects followed before the op fails (E_PROTOCOL).
    pub max_redirects: usize,
    /// Verify server certificates; `false` accepts any certificate (tests only).
    pub verify: bool,
    /// Extra trusted roots: a path to a PEM file, or PEM text itself.
    pub ca_certs: Option<String>,
    /// Client certificate chain for mTLS: a PEM path or PEM text; needs `client_key`.
    pub client_cert: Option<String>,
    /// Private key of `client_cert`: a PEM path or PEM text.
    pub client_key: Option<String>,
    /// Every request goes through this proxy: `http://`, `https://`, `socks5://` or
    /// `socks5h://` (DNS resolved by the proxy). Environment proxy variables are not
    /// read: what the caller configures is what happens.
    pub proxy: Option<String>,
    /// Keep cookies the server sets and send them back (an in-memory jar per client).
    pub cookies: bool,
    pub user_agent: String,
    pub retry: Option<RetryPolicy>,
    /// Largest response body accepted, in bytes (after decoding); more is E_BODY_TOO_LARGE.
    pub max_response_size: SizeLimit,
    /// Turn 4xx and 5xx responses into E_HTTP_STATUS errors.
    pub error_for_status: bool,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            base_url: None,
            headers: Vec::new(),
            timeout: Some(DEFAULT_TIMEOUT),
            connect_timeout: None,
            read_timeout: None,
            pool_max_idle_per_host: None,
            max_connections: None,
            max_connections_per_host: None,
            http2: Http2Mode::Auto,
            follow_redirects: true,
            max_redirects: 10,
            verify: true,
            ca_certs: None,
            client_cert: None,
            client_key: None,
            proxy: None,
            cookies: true,
            user_agent: concat!("fanio/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: None,
            max_response_size: SizeLimit::Default,
            error_for_status: false,
        }
    }
}

/// The PEM bytes of an option that holds either PEM text or the path of a PEM file.
pub(crate) fn pem(value: &str, name: &str) -> Result<Vec<u8>> {
    if value.contains("-----BEGIN") {
        return Ok(value.as_bytes().to_vec());
    }
    let bytes = std::fs::read(value)
        .map_err(|e| Error::invalid(format!("{name}: cannot read PEM file {value:?}: {e}")))?;
    if !bytes.windows(10).any(|w| w == b"-----BEGIN") {
        return Err(Error::invalid(format!(
            "{name}: {value:?} holds no PEM block"
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Code;

    #[test]
    fn http2_modes_parse_and_unknown_ones_are_refused() {
        assert_eq!(Http2Mode::parse("auto").unwrap(), Http2Mode::Auto);
        assert_eq!(
            Http2Mode::parse("prior_knowledge").unwrap(),
            Http2Mode::PriorKnowledge
        );
        assert_eq!(Http2Mode::parse("never").unwrap(), Http2Mode::Never);
        assert_eq!(
            Http2Mode::parse("always").unwrap_err().code,
            Code::InvalidArgument
        );
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let o = ClientOptions::default();
        assert_eq!(o.timeout, Some(Duration::from_secs(30)));
        assert!(o.follow_redirects && o.verify && o.cookies && !o.error_for_status);
        assert_eq!(o.max_redirects, 10);
        assert!(o.user_agent.starts_with("fanio/"));
        assert_eq!(o.max_response_size.whole(), Some(64 * 1024 * 1024));
        assert_eq!(o.max_response_size.streamed(), None);
        assert_eq!(SizeLimit::Bytes(5).streamed(), Some(5));
        assert_eq!(SizeLimit::Unlimited.whole(), None);
    }

    #[test]
    fn pem_takes_text_or_a_path_and_refuses_the_rest() {
        let text = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem(text, "ca_certs").unwrap(), text.as_bytes());
        let missing = pem("/nonexistent/ca.pem", "ca_certs").unwrap_err();
        assert_eq!(missing.code, Code::InvalidArgument);
        assert!(missing.message.contains("ca_certs"));
        let not_pem = pem("/proc/self/cmdline", "ca_certs").unwrap_err();
        assert_eq!(not_pem.code, Code::InvalidArgument);
    }
}
