//! Accounts and roles.
//!
//! | role | reads | writes | analyses |
//! | --- | --- | --- | --- |
//! | administrator | every site, identified | every site; studies, sites, accounts | every site |
//! | data manager | their sites, identified | their sites | their sites |
//! | investigator | their sites, identified | — | their sites |
//! | analyst | every site, pseudonymised | — | every site |
//!
//! Passwords are stored as Argon2id PHC strings (RustCrypto `argon2`, the
//! OWASP-recommended defaults m = 19 MiB, t = 2, p = 1, a random 16-byte
//! salt). Verification of an unknown user name runs against a dummy hash so
//! that response time does not tell which accounts exist.
//!
//! The rows themselves are read and written by `netra_store::accounts` (all
//! SQL lives in the store); this module keeps the rules: roles, rights,
//! names, passwords and the hashing gate.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use netra_store::{Account, AccountChange, NewAccount, NewEvent, Registry, StoreError};
use serde::Serialize;

/// One security event as stored (time, account, event, detail, client).
pub use netra_store::Event;

use crate::clock::rfc3339;

/// What an account may do (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, including accounts, studies and sites.
    Administrator,
    /// Enters and edits the data of their sites.
    DataManager,
    /// Reads the data of their sites.
    Investigator,
    /// Reads pseudonymised data of every site and runs analyses.
    Analyst,
}

impl Role {
    /// Every role, most privileged first.
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::DataManager,
        Role::Investigator,
        Role::Analyst,
    ];

    /// The code stored and accepted on the command line and in the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::DataManager => "data_manager",
            Role::Investigator => "investigator",
            Role::Analyst => "analyst",
        }
    }

    /// A label for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::DataManager => "data manager",
            Role::Investigator => "investigator",
            Role::Analyst => "analyst",
        }
    }

    /// Parses a code (`data-manager` and `data manager` are accepted too).
    pub fn parse(text: &str) -> Option<Role> {
        let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Role::ALL.into_iter().find(|r| r.code() == t)
    }

    /// True when the role works on a set of sites rather than all of them.
    pub fn is_site_bound(self) -> bool {
        matches!(self, Role::DataManager | Role::Investigator)
    }
}

/// An account as the application sees it (never with its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Login name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: Option<String>,
    /// Role.
    pub role: Role,
    /// Sites of a data manager or investigator (empty for the others, who
    /// work on every site).
    pub sites: Vec<String>,
    /// Inactive accounts cannot log in.
    pub active: bool,
}

impl User {
    /// True for administrators.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Administrator
    }

    /// The sites this user may see: `None` for every site.
    pub fn visible_sites(&self) -> Option<&[String]> {
        if self.role.is_site_bound() {
            Some(&self.sites)
        } else {
            None
        }
    }

    /// May this user see the patients of `site`?
    pub fn can_read_site(&self, site: &str) -> bool {
        self.visible_sites()
            .is_none_or(|s| s.iter().any(|x| x == site))
    }

    /// May this user add or change records of patients of `site`?
    pub fn can_edit_site(&self, site: &str) -> bool {
        match self.role {
            Role::Administrator => true,
            Role::DataManager => self.sites.iter().any(|x| x == site),
            Role::Investigator | Role::Analyst => false,
        }
    }

    /// May this user edit anything at all (shows the edit controls)?
    pub fn can_edit(&self) -> bool {
        matches!(self.role, Role::Administrator | Role::DataManager)
    }

    /// Does this user see pseudonymised data only?
    pub fn pseudonymised(&self) -> bool {
        self.role == Role::Analyst
    }

    /// May this user read the audit history of records of `site`? (Not
    /// analysts: the history holds identifying values and user names.)
    pub fn can_read_audit(&self, site: &str) -> bool {
        !self.pseudonymised() && self.can_read_site(site)
    }

    /// The name shown on pages.
    pub fn shown_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.username)
    }
}

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A field is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// The account exists already.
    #[error("an account named '{0}' exists already")]
    Exists(String),
    /// No such account.
    #[error("no account named '{0}'")]
    NotFound(String),
    /// The database failed.
    #[error("{0}")]
    Database(#[from] StoreError),
    /// Hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
}

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; long
/// passphrases are encouraged, so there is no composition rule).
pub const MIN_PASSWORD: usize = 10;
/// Longest password accepted (bounds the hashing work an attacker can ask for).
pub const MAX_PASSWORD: usize = 256;

/// Checks a login name: 1–64 characters among letters, digits and `._@-`.
pub fn validate_username(name: &str) -> Result<(), AccountError> {
    if name.is_empty() || name.chars().count() > 64 {
        return Err(AccountError::Invalid(
            "a user name has 1 to 64 characters".into(),
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
    {
        return Err(AccountError::Invalid(
            "a user name may contain letters, digits and . _ @ - only".into(),
        ));
    }
    Ok(())
}

/// Checks a new password's length.
pub fn validate_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(AccountError::Invalid(format!(
            "a password has at least {MIN_PASSWORD} characters"
        )));
    }
    if n > MAX_PASSWORD {
        return Err(AccountError::Invalid(format!(
            "a password has at most {MAX_PASSWORD} characters"
        )));
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    // Argon2id, version 0x13, OWASP defaults (m = 19456 KiB, t = 2, p = 1).
    Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::default())
}

/// Hashes a password into an Argon2id PHC string (blocking: ~20–50 ms).
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// A hash of a random password, verified against when the user is unknown.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password("not a password: timing equaliser").unwrap_or_default())
}

/// Verifies `password` against a stored PHC string (blocking); `None` runs
/// a dummy verification and fails.
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy_hash(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    // The parameters come from the stored string, so hashes made with other
    // parameters (older defaults) still verify.
    let ok = Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// Argon2 computations run at once, whatever the number of requests: each
/// allocates 19 MiB, so a burst of logins (or of password changes) holds at
/// most this many times 19 MiB, and the other attempts wait their turn.
pub const HASHING_AT_ONCE: usize = 2;

/// How long an attempt waits for its turn to hash before it is refused
/// as "busy" (503): at ~50 ms a hash, enough for a long queue of honest
/// users, short enough that a flood does not pile up requests forever.
pub const HASHING_WAIT: Duration = Duration::from_secs(10);

/// Attempts that may wait for a turn at once; beyond, an attempt is refused
/// as busy at once (each waiting request holds its body in memory).
pub const HASHING_QUEUE: usize = 64;

/// The gate every Argon2 computation of the server passes
/// ([`HASHING_AT_ONCE`] at a time, on the blocking threads).
///
/// The turn is held by the computation itself, not by the request: when a
/// client disconnects, its request is dropped but the hash already started
/// runs to its end on a blocking thread, and only then frees the turn — so
/// connecting, sending a login and hanging up, over and over, cannot start
/// more than [`HASHING_AT_ONCE`] computations either.
#[derive(Debug)]
pub struct Hashing {
    gate: std::sync::Arc<tokio::sync::Semaphore>,
    running: std::sync::Arc<AtomicUsize>,
    peak: std::sync::Arc<AtomicUsize>,
    waiting: AtomicUsize,
}

/// An attempt that did not get its turn to hash within [`HASHING_WAIT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl Default for Hashing {
    fn default() -> Self {
        Hashing {
            gate: std::sync::Arc::new(tokio::sync::Semaphore::new(HASHING_AT_ONCE)),
            running: Default::default(),
            peak: Default::default(),
            waiting: AtomicUsize::new(0),
        }
    }
}

impl Hashing {
    /// Runs `work` (a hash or a verification) when a turn is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Busy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        // Counted out again when the wait ends however it ends, also when
        // the request is dropped while waiting (the client hung up).
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let queued = self.waiting.fetch_add(1, Ordering::SeqCst);
        let waiting = Waiting(&self.waiting);
        if queued >= HASHING_QUEUE {
            return Err(Busy);
        }
        let acquired = tokio::time::timeout(HASHING_WAIT, self.gate.clone().acquire_owned()).await;
        drop(waiting);
        let permit = acquired.map_err(|_| Busy)?.map_err(|_| Busy)?;
        let (running, peak) = (self.running.clone(), self.peak.clone());
        tokio::task::spawn_blocking(move || {
            let _turn = permit;
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            running.fetch_sub(1, Ordering::SeqCst);
            out
        })
        .await
        // The work returns errors rather than panicking; a panic of the
        // blocking task is reported as busy rather than propagated.
        .map_err(|_| Busy)
    }

    /// The most computations that ran at once so far (tests, diagnostics).
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// The longest text stored from a request that needs no login (the user
/// name of a failed login, the client address): longer texts are cut, so
/// that anyone cannot grow the database (or the Users page) at will. No
/// valid user name is longer (see [`validate_username`]).
pub const MAX_LOGGED_TEXT: usize = 64;

/// `text` cut to at most `max` characters (on a character boundary), with
/// `…` in place of the rest.
pub fn bounded(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= max || text.chars().count() <= max {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
    s.push('…');
    std::borrow::Cow::Owned(s)
}

/// An account to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Login name.
    pub username: String,
    /// Name shown on pages.
    pub display_name: Option<String>,
    /// Role.
    pub role: Role,
    /// Sites (data managers and investigators need at least one).
    pub sites: Vec<String>,
}

/// Checks role and sites together: site-bound roles need existing sites,
/// the others none.
async fn check_sites(
    registry: &Registry,
    role: Role,
    sites: &[String],
) -> Result<(), AccountError> {
    if role.is_site_bound() {
        if sites.is_empty() {
            return Err(AccountError::Invalid(format!(
                "a {} works on one or more sites: name them",
                role.label()
            )));
        }
        for s in sites {
            if !registry.site_exists(s).await? {
                return Err(AccountError::Invalid(format!(
                    "there is no site '{s}' in the registry"
                )));
            }
        }
    } else if !sites.is_empty() {
        return Err(AccountError::Invalid(format!(
            "an {} works on every site; give no sites",
            role.label()
        )));
    }
    Ok(())
}

/// Creates an account with an already computed password hash.
pub async fn create_user(
    registry: &Registry,
    user: &NewUser,
    password_hash: &str,
    now: i64,
) -> Result<(), AccountError> {
    validate_username(&user.username)?;
    check_sites(registry, user.role, &user.sites).await?;
    if find_user(registry, &user.username).await?.is_some() {
        return Err(AccountError::Exists(user.username.clone()));
    }
    let at = rfc3339(now);
    // The check above is only for the message: two simultaneous creates of
    // one name both pass it, and the primary key refuses the second.
    let created = registry
        .insert_account(&NewAccount {
            username: &user.username,
            display_name: user.display_name.as_deref(),
            role: user.role.code(),
            password_hash,
            sites: &user.sites,
            at: &at,
        })
        .await?;
    if !created {
        return Err(AccountError::Exists(user.username.clone()));
    }
    Ok(())
}

/// The application's view of a stored account.
fn user_of(a: Account) -> Result<User, AccountError> {
    Ok(User {
        role: Role::parse(&a.role)
            .ok_or_else(|| AccountError::Invalid(format!("stored role '{}'", a.role)))?,
        username: a.username,
        display_name: a.display_name,
        sites: a.sites,
        active: a.active,
    })
}

/// The account `username` with its password hash.
pub async fn find_user(
    registry: &Registry,
    username: &str,
) -> Result<Option<(User, String)>, AccountError> {
    match registry.account(username).await? {
        Some((a, hash)) => Ok(Some((user_of(a)?, hash))),
        None => Ok(None),
    }
}

/// Every account, by name.
pub async fn list_users(registry: &Registry) -> Result<Vec<User>, AccountError> {
    registry
        .accounts()
        .await?
        .into_iter()
        .map(user_of)
        .collect()
}

/// Number of accounts.
pub async fn count_users(registry: &Registry) -> Result<i64, AccountError> {
    Ok(registry.count_accounts().await?)
}

/// Changes an account's role, sites, activity and display name. Its
/// sessions end (the new rights apply at the next login).
pub async fn update_user(
    registry: &Registry,
    username: &str,
    role: Role,
    sites: &[String],
    active: bool,
    display_name: Option<&str>,
) -> Result<(), AccountError> {
    if find_user(registry, username).await?.is_none() {
        return Err(AccountError::NotFound(username.to_string()));
    }
    check_sites(registry, role, sites).await?;
    let change = AccountChange {
        role: role.code(),
        sites,
        active,
        display_name,
    };
    if !registry.update_account(username, &change).await? {
        return Err(AccountError::NotFound(username.to_string()));
    }
    Ok(())
}

/// Replaces an account's password hash and ends its sessions except
/// `keep` (the token hash of the session that made the change).
pub async fn set_password(
    registry: &Registry,
    username: &str,
    password_hash: &str,
    now: i64,
    keep: Option<&str>,
) -> Result<(), AccountError> {
    let at = rfc3339(now);
    if !registry
        .set_password_hash(username, password_hash, &at, keep)
        .await?
    {
        return Err(AccountError::NotFound(username.to_string()));
    }
    Ok(())
}

/// Appends a security event (login, logout, failed login, account change).
/// Failing to log is reported but does not fail the request. The user name
/// and client address may come from a request without a login: each is
/// cut to [`MAX_LOGGED_TEXT`] characters, the detail to 4 times that.
pub async fn log_event(
    registry: &Registry,
    now: i64,
    username: Option<&str>,
    event: &str,
    detail: Option<&str>,
    client: Option<&str>,
) -> Result<(), AccountError> {
    let username = username.map(|u| bounded(u, MAX_LOGGED_TEXT));
    let detail = detail.map(|d| bounded(d, 4 * MAX_LOGGED_TEXT));
    let client = client.map(|c| bounded(c, MAX_LOGGED_TEXT));
    let at = rfc3339(now);
    registry
        .log_event(&NewEvent {
            at: &at,
            username: username.as_deref(),
            event: &bounded(event, MAX_LOGGED_TEXT),
            detail: detail.as_deref(),
            client: client.as_deref(),
        })
        .await?;
    Ok(())
}

/// The most recent `limit` security events, newest first.
pub async fn recent_events(registry: &Registry, limit: i64) -> Result<Vec<Event>, AccountError> {
    Ok(registry.recent_events(limit).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_and_bind_to_sites() {
        assert_eq!(Role::parse("data-manager"), Some(Role::DataManager));
        assert_eq!(Role::parse("Administrator"), Some(Role::Administrator));
        assert_eq!(Role::parse("root"), None);
        assert!(Role::Investigator.is_site_bound());
        assert!(!Role::Analyst.is_site_bound());
    }

    #[test]
    fn rights_by_role() {
        let u = |role, sites: &[&str]| User {
            username: "u".into(),
            display_name: None,
            role,
            sites: sites.iter().map(|s| s.to_string()).collect(),
            active: true,
        };
        let dm = u(Role::DataManager, &["a"]);
        assert!(dm.can_read_site("a") && dm.can_edit_site("a"));
        assert!(!dm.can_read_site("b") && !dm.can_edit_site("b"));
        let inv = u(Role::Investigator, &["a"]);
        assert!(inv.can_read_site("a") && !inv.can_edit_site("a"));
        assert!(inv.can_read_audit("a") && !inv.can_read_audit("b"));
        let an = u(Role::Analyst, &[]);
        assert!(an.can_read_site("b") && !an.can_edit_site("b") && an.pseudonymised());
        assert!(!an.can_read_audit("b"));
        let ad = u(Role::Administrator, &[]);
        assert!(ad.can_edit_site("z") && !ad.pseudonymised());
    }

    #[tokio::test]
    async fn abandoned_requests_keep_their_turn_until_the_hash_ends() {
        let h = Hashing::default();
        let live = std::sync::Arc::new(AtomicUsize::new(0));
        let most = std::sync::Arc::new(AtomicUsize::new(0));
        // Six requests, each dropped 20 ms after it asked (the client hung
        // up) while its 300 ms "hash" goes on.
        for _ in 0..6 {
            let (live, most) = (live.clone(), most.clone());
            let _ = tokio::time::timeout(
                Duration::from_millis(20),
                h.run(move || {
                    let n = live.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(300));
                    live.fetch_sub(1, Ordering::SeqCst);
                }),
            )
            .await;
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(live.load(Ordering::SeqCst), 0);
        assert_eq!(most.load(Ordering::SeqCst), HASHING_AT_ONCE);
        assert_eq!(h.peak(), HASHING_AT_ONCE);
        // Turns come back: a new computation runs.
        assert_eq!(h.run(|| 7).await, Ok(7));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_queue_attempts_are_refused_at_once() {
        let h = std::sync::Arc::new(Hashing::default());
        let mut tasks = Vec::new();
        for _ in 0..HASHING_AT_ONCE + HASHING_QUEUE {
            let h = h.clone();
            tasks.push(tokio::spawn(async move {
                h.run(|| std::thread::sleep(Duration::from_millis(400)))
                    .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = std::time::Instant::now();
        assert_eq!(h.run(|| ()).await, Err(Busy));
        assert!(started.elapsed() < Duration::from_millis(100));
        // Waiters that are dropped (clients that hung up) leave the queue:
        // once the running hashes end, attempts are served again.
        for t in tasks {
            t.abort();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(h.run(|| 1).await, Ok(1));
    }

    #[test]
    fn logged_texts_are_bounded_on_character_boundaries() {
        assert_eq!(bounded("ana", 64), "ana");
        let exact = "é".repeat(64);
        assert_eq!(bounded(&exact, 64), exact.as_str());
        let long = "é".repeat(1000);
        let cut = bounded(&long, 64);
        assert_eq!(cut.chars().count(), 64);
        assert!(cut.ends_with('…') && cut.starts_with("éé"));
        assert_eq!(bounded("abcdef", 3), "ab…");
        assert_eq!(bounded("", 0), "");
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(Some(&h), "correct horse battery"));
        assert!(!verify_password(Some(&h), "correct horse batterY"));
        assert!(!verify_password(None, "correct horse battery"));
        assert!(!verify_password(Some("garbage"), "x"));
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough!").is_ok());
        assert!(validate_username("ana.lopez@site-1").is_ok());
        assert!(validate_username("ana lopez").is_err());
        assert!(validate_username("").is_err());
    }
}
