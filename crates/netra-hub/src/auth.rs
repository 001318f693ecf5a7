//! Tokens: how nodes and analysts prove who they are to the hub.
//!
//! A token is 32 random bytes in hex ([`new_token`]). The hub stores only
//! its Argon2id hash ([`hash_token`], the web application's parameters), so
//! a copy of the hub's configuration lets no one in. Clients send the token
//! as `Authorization: Bearer …` over TLS; they read it from a file (which
//! must not be readable by group or others) or from an environment variable,
//! never from the command line, where `ps` would show it.
//!
//! Verifying an Argon2 hash costs tens of milliseconds and 19 MiB, and a
//! node polls every few seconds, so a token once verified is remembered by
//! its SHA-256 for the hub's lifetime. At most two verifications run at
//! once, so a flood of bad tokens costs bounded memory.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::{HubError, Principal};

/// A fresh random token (64 hex digits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The Argon2id PHC string of `token` (blocking, ~20–50 ms).
pub fn hash_token(token: &str) -> Result<String, HubError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
        .hash_password(token.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HubError::Auth(format!("cannot hash the token: {e}")))
}

/// Whether `token` matches the stored PHC string (blocking).
pub fn verify_token(stored: &str, token: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    Argon2::default()
        .verify_password(token.as_bytes(), &parsed)
        .is_ok()
}

/// Reads a token from `file` or, without one, from the environment
/// variable `env`. A file readable by group or others is refused (like
/// ssh's private keys).
pub fn read_token(file: Option<&Path>, env: &str) -> Result<String, HubError> {
    let token = match file {
        Some(f) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let meta = std::fs::metadata(f).map_err(|e| {
                    HubError::Auth(format!("cannot read the token file {}: {e}", f.display()))
                })?;
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(HubError::Auth(format!(
                        "the token file {} is readable by others: chmod 600 it",
                        f.display()
                    )));
                }
            }
            std::fs::read_to_string(f).map_err(|e| {
                HubError::Auth(format!("cannot read the token file {}: {e}", f.display()))
            })?
        }
        None => std::env::var(env)
            .map_err(|_| HubError::Auth(format!("no token: name a token file or set {env}")))?,
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(HubError::Auth("the token is empty".into()));
    }
    Ok(token)
}

/// Checks bearer tokens against one kind of principal (nodes or analysts).
pub(crate) struct Authenticator {
    principals: Vec<Principal>,
    verified: Mutex<HashMap<[u8; 32], String>>,
    gate: Semaphore,
}

impl Authenticator {
    pub(crate) fn new(principals: Vec<Principal>) -> Arc<Authenticator> {
        Arc::new(Authenticator {
            principals,
            verified: Mutex::new(HashMap::new()),
            gate: Semaphore::new(2),
        })
    }

    /// The principal's name when `token` is one of theirs.
    pub(crate) async fn check(self: &Arc<Self>, token: &str) -> Option<String> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(name) = self.verified.lock().ok()?.get(&digest) {
            return Some(name.clone());
        }
        let _permit = self.gate.acquire().await.ok()?;
        let me = Arc::clone(self);
        let token = token.to_owned();
        let name = tokio::task::spawn_blocking(move || {
            me.principals
                .iter()
                .find(|p| verify_token(&p.token_hash, &token))
                .map(|p| p.name.clone())
        })
        .await
        .ok()??;
        self.verified.lock().ok()?.insert(digest, name.clone());
        Some(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_against_their_hash_only() {
        let t = new_token();
        assert_eq!(t.len(), 64);
        let h = hash_token(&t).unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(!h.contains(&t));
        assert!(verify_token(&h, &t));
        assert!(!verify_token(&h, &new_token()));
        assert!(!verify_token("not a hash", &t));
    }

    #[cfg(unix)]
    #[test]
    fn token_files_must_be_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "secret\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert!(
            read_token(Some(&f), "X")
                .unwrap_err()
                .to_string()
                .contains("chmod 600")
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(read_token(Some(&f), "X").unwrap(), "secret");
        assert!(read_token(None, "NETRA_TEST_SURELY_UNSET_TOKEN").is_err());
    }
}
