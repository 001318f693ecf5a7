//! The transport's errors.

/// What went wrong in the hub, a node or the analyst's client.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// A configuration or policy file is missing, unreadable or invalid.
    #[error("{0}")]
    Config(String),
    /// A token could not be read, or was refused.
    #[error("{0}")]
    Auth(String),
    /// Certificates or keys could not be loaded.
    #[error("TLS: {0}")]
    Tls(String),
    /// The network or the other side failed.
    #[error("{0}")]
    Http(String),
    /// The node's registry (audit trail) failed.
    #[error("registry: {0}")]
    Store(#[from] netra_store::StoreError),
    /// Reading or writing a local file (the approval queue).
    #[error("{0}")]
    Io(String),
}

impl From<reqwest::Error> for HubError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's Display hides the cause (a refused certificate, a reset
        // connection); the chain names it.
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        HubError::Http(text)
    }
}
