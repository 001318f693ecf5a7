//! Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie
//! (Secure, and named with the `__Host-` prefix, behind TLS), stored in the
//! database as its SHA-256 only; a per-session CSRF token (synchronizer
//! token pattern); idle and absolute expiry.

use netra_store::Registry;
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

use crate::accounts::{AccountError, User, find_user};

/// The session cookie's name over plain HTTP (tests, loopback use).
pub const COOKIE: &str = "netra_session";
/// The session cookie's name behind TLS: the `__Host-` prefix makes the
/// browser refuse it unless Secure, host-only and `Path=/`.
pub const SECURE_COOKIE: &str = "__Host-netra_session";
/// The cookie of the login form's CSRF token (before there is a session).
pub const LOGIN_COOKIE: &str = "netra_login";
/// The header an API client sends the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field pages send the CSRF token in.
pub const CSRF_FIELD: &str = "_csrf";

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's token.
    pub token_hash: String,
    /// The account.
    pub user: User,
    /// The synchronizer token every state-changing request must carry.
    pub csrf: String,
    /// Unix seconds of the login.
    pub created_at: i64,
    /// Unix seconds of the last request seen.
    pub last_seen: i64,
}

/// A fresh random token: 32 bytes from the OS, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex(&b)
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(D[(b >> 4) as usize] as char);
        s.push(D[(b & 15) as usize] as char);
    }
    s
}

/// SHA-256 (hex) of a token: what the database keeps.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Starts a session for `user`; returns the cookie token and the session.
pub async fn create(
    registry: &Registry,
    user: User,
    client: &str,
    now: i64,
) -> Result<(String, Session), AccountError> {
    let token = random_token();
    let session = Session {
        token_hash: token_hash(&token),
        user,
        csrf: random_token(),
        created_at: now,
        last_seen: now,
    };
    registry
        .insert_session(
            &session.token_hash,
            &session.user.username,
            &session.csrf,
            now,
            client,
        )
        .await?;
    Ok((token, session))
}

/// How long sessions live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Seconds without a request after which a session ends.
    pub idle: i64,
    /// Seconds after login after which a session ends whatever the activity.
    pub absolute: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            idle: 30 * 60,
            absolute: 12 * 3600,
        }
    }
}

/// What a session cookie leads to.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// A live session.
    Active(Session),
    /// The session existed and has expired (it is now deleted).
    Expired,
    /// No such session (or the account is inactive).
    Unknown,
}

/// How stale `last_seen` may get before it is written again: a thirtieth
/// of the idle limit, between 1 s and 60 s. Saves a write per request.
///
/// The stored `last_seen` therefore lags the last request by less than
/// this, and a session is ended only when `now - last_seen` exceeds the
/// idle limit *plus* this slack: never before the user has been idle for
/// the whole limit (an active user is never logged out), and at most the
/// slack later (60 s on the default 30 minutes, 2 s on a 1-minute limit).
pub fn touch_every(life: Lifetimes) -> i64 {
    (life.idle / 30).clamp(1, 60)
}

/// True when a session last written as seen at `last_seen` has been idle
/// for longer than the limit at `now` (see [`touch_every`]).
pub fn idle_expired(life: Lifetimes, last_seen: i64, now: i64) -> bool {
    now - last_seen >= life.idle + touch_every(life)
}

/// Finds the session of a cookie token, ends it when expired, and records
/// activity.
pub async fn lookup(
    registry: &Registry,
    token: &str,
    life: Lifetimes,
    now: i64,
) -> Result<Lookup, AccountError> {
    let hash = token_hash(token);
    let Some(stored) = registry.session(&hash).await? else {
        return Ok(Lookup::Unknown);
    };
    let (created_at, last_seen) = (stored.created_at, stored.last_seen);
    if idle_expired(life, last_seen, now) || now - created_at > life.absolute {
        delete(registry, &hash).await?;
        return Ok(Lookup::Expired);
    }
    let Some((user, _)) = find_user(registry, &stored.username).await? else {
        return Ok(Lookup::Unknown);
    };
    if !user.active {
        delete(registry, &hash).await?;
        return Ok(Lookup::Unknown);
    }
    let mut last = last_seen;
    if now - last_seen >= touch_every(life) {
        registry.touch_session(&hash, now).await?;
        last = now;
    }
    Ok(Lookup::Active(Session {
        token_hash: hash,
        user,
        csrf: stored.csrf,
        created_at,
        last_seen: last,
    }))
}

/// Ends a session.
pub async fn delete(registry: &Registry, token_hash: &str) -> Result<(), AccountError> {
    registry.delete_session(token_hash).await?;
    Ok(())
}

/// Removes every expired session (run now and then): the same rule as
/// [`lookup`], so that the sweeper never ends a session a request would
/// still accept.
pub async fn purge_expired(
    registry: &Registry,
    life: Lifetimes,
    now: i64,
) -> Result<u64, AccountError> {
    Ok(registry
        .purge_sessions(now - life.idle - touch_every(life), now - life.absolute)
        .await?)
}

/// The `Set-Cookie` value that stores a session token. No `Max-Age`: the
/// cookie ends with the browser session, and the server ends the session
/// itself on expiry.
pub fn session_cookie(token: &str, secure: bool) -> String {
    if secure {
        format!("{SECURE_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Secure")
    } else {
        format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict")
    }
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    if secure {
        format!("{SECURE_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Secure; Max-Age=0")
    } else {
        format!("{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

/// The `Set-Cookie` value of the login form's token (10 minutes).
pub fn login_cookie(token: &str, secure: bool) -> String {
    let s = if secure { "; Secure" } else { "" };
    format!("{LOGIN_COOKIE}={token}; Path=/login; HttpOnly; SameSite=Strict; Max-Age=600{s}")
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = random_token();
        let b = random_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(
            token_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn idle_expiry_is_never_early_and_late_by_less_than_the_touch_interval() {
        for idle in [60, 30 * 60, 5] {
            let life = Lifetimes {
                idle,
                absolute: 12 * 3600,
            };
            let g = touch_every(life);
            // Requests every `step` seconds, last_seen written as lookup
            // writes it: never expired while the gaps stay within the limit.
            for step in [1, g, idle / 2 + 1, idle] {
                let mut stored = 0;
                let mut now = 0;
                for _ in 0..200 {
                    now += step;
                    assert!(!idle_expired(life, stored, now), "idle {idle}, step {step}");
                    if now - stored >= g {
                        stored = now;
                    }
                }
                // Silent after the last request at `now`: still live at
                // the limit, ended within the slack after it.
                assert!(!idle_expired(life, stored, now + idle));
                assert!(idle_expired(life, stored, now + idle + g));
            }
        }
        assert_eq!(touch_every(Lifetimes::default()), 60);
    }

    #[test]
    fn cookies() {
        let c = session_cookie("t", false);
        assert_eq!(c, "netra_session=t; Path=/; HttpOnly; SameSite=Strict");
        assert!(session_cookie("t", true).starts_with("__Host-netra_session=t;"));
        assert!(session_cookie("t", true).ends_with("; Secure"));
        assert_eq!(
            cookie_value("a=1; netra_session=xyz; b=2", COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie_value("a=1", COOKIE), None);
        assert_eq!(cookie_value("xnetra_session=1", COOKIE), None);
    }
}
