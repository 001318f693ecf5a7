//! Test support (feature `testing`): a throwaway study CA and a hub
//! certificate for loopback, as the transport's tests and the command
//! line's end-to-end test need them. Never for a deployment:
//! docs/federated-deployment.md says how to make real certificates.

use std::path::{Path, PathBuf};

/// The files [`certificates`] wrote.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA certificate (PEM): what nodes and analysts pin.
    pub ca: PathBuf,
    /// The hub's certificate (PEM) for `localhost` and `127.0.0.1`.
    pub cert: PathBuf,
    /// The hub's private key (PEM), readable by its owner only.
    pub key: PathBuf,
}

/// Makes a CA named after `tag` and a hub certificate signed by it, and
/// writes them into `dir` (`ca-TAG.pem`, `hub-TAG.pem`, `hub-TAG.key`).
/// Panics on failure: it is for tests.
pub fn certificates(dir: &Path, tag: &str) -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, format!("netra test CA {tag}"));
    let ca_cert = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().expect("hub key");
    let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("hub parameters");
    let cert = params.signed_by(&key, &issuer).expect("hub certificate");
    let out = TestPki {
        ca: dir.join(format!("ca-{tag}.pem")),
        cert: dir.join(format!("hub-{tag}.pem")),
        key: dir.join(format!("hub-{tag}.key")),
    };
    std::fs::write(&out.ca, ca_cert.pem()).expect("writing the CA");
    std::fs::write(&out.cert, cert.pem()).expect("writing the certificate");
    write_private(&out.key, &key.serialize_pem());
    out
}

/// Writes `text` to `path`, readable by its owner only (mode 600), as
/// token and key files must be. Panics on failure: it is for tests.
pub fn write_private(path: &Path, text: &str) {
    std::fs::write(path, text).expect("writing a private file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .expect("making a file private");
    }
}
