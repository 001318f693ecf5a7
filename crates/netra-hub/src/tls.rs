//! TLS for the hub (server) and for nodes and analysts (clients), with
//! rustls and its ring provider.
//!
//! The hub serves axum over [`TlsListener`]: TCP connections are accepted
//! in a task and each handshake runs in its own task (with a timeout), so a
//! slow or silent client never holds up the others. Clients either pin a CA
//! (the hub's certificate must chain to the given PEM certificates, nothing
//! else is trusted) or use the system's roots.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::HubError;

/// How long a client has to finish its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// rustls with *ring*: no aws-lc C build on the project's small machines.
/// rustls 0.23.48 deprecates it for lacking post-quantum key exchange
/// (X25519MLKEM768); moving to aws-lc-rs is one line here when the build
/// can afford it.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_err(what: &str, path: &Path, e: impl std::fmt::Display) -> HubError {
    HubError::Tls(format!("{what} {}: {e}", path.display()))
}

/// PEM certificates from a file.
pub fn read_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, HubError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| tls_err("cannot read certificates from", path, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls_err("cannot read certificates from", path, e))?;
    if certs.is_empty() {
        return Err(tls_err("no certificate in", path, "empty"));
    }
    Ok(certs)
}

/// The hub's server configuration from its PEM certificate chain and key.
pub fn server_config(cert: &Path, key: &Path) -> Result<Arc<ServerConfig>, HubError> {
    let certs = read_certs(cert)?;
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| tls_err("cannot read the private key", key, e))?;
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| HubError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| HubError::Tls(format!("the certificate and key do not match: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// A client configuration trusting only the CA certificates in `ca` when
/// given (pinning), else the system's roots.
pub fn client_config(ca: Option<&Path>) -> Result<ClientConfig, HubError> {
    let mut roots = RootCertStore::empty();
    match ca {
        Some(path) => {
            for c in read_certs(path)? {
                roots
                    .add(c)
                    .map_err(|e| tls_err("not a CA certificate in", path, e))?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                // A system certificate rustls cannot parse is skipped, as
                // browsers do.
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(HubError::Tls(
                    "no system root certificates: name the hub's CA with ca_file".into(),
                ));
            }
        }
    }
    let mut config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| HubError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// An HTTPS client (for [`crate::HubClient`]) with that TLS configuration.
pub fn http_client(ca: Option<&Path>, timeout: Duration) -> Result<reqwest::Client, HubError> {
    reqwest::Client::builder()
        .use_preconfigured_tls(client_config(ca)?)
        .https_only(true)
        .timeout(timeout)
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(HubError::from)
}

/// TLS connections accepted on a TCP listener, for `axum::serve`.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accept_task: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Starts accepting on `tcp` (the task ends with the listener).
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> std::io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let accept_task = tokio::spawn(async move {
            loop {
                let (stream, addr) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(_) => {
                        // Out of file descriptors or a connection reset
                        // before accept: back off briefly, keep serving.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                tokio::spawn(async move {
                    let shake = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream));
                    if let Ok(Ok(tls)) = shake.await {
                        let _ = tx.send((tls, addr)).await;
                    }
                });
            }
        });
        Ok(TlsListener {
            ready,
            local,
            accept_task,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(c) => c,
            // The accept task is gone (only when aborted): serve nothing more.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
