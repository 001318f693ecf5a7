//! The audit trail: who changed which record, when, why, from what to what,
//! chained by SHA-256 so that tampering is detectable.
//!
//! # The chain
//!
//! Entry `n` stores `prev_hash` (the `hash` of entry `n − 1`; 64 zeros for
//! the first) and
//!
//! ```text
//! hash = SHA-256( prev_hash ‖ "\n" ‖ canonical )
//! canonical = JSON array [seq, at, actor, reason, action, table_name,
//!                         record_key, old_values, new_values]
//! ```
//!
//! serialised by `serde_json` (strings escaped, `null` for absent values; the
//! JSON value columns are hashed as the exact text stored). Changing any
//! field of any entry changes its hash; recomputing that hash breaks the
//! link to the next entry; deleting an entry leaves a gap in `seq`. Only
//! truncating the tail cannot be seen from inside the database, which is why
//! `netra audit verify` prints the head (last `seq` and hash): recording it
//! elsewhere (a report, a ticket) anchors the chain.
//!
//! # Values
//!
//! `record_key` is the JSON array of the natural key's texts. For an insert
//! `new_values` holds every recorded column of the new row; for an update
//! `old_values` and `new_values` hold the columns that changed (absent =
//! `null`); for a delete `old_values` holds the removed row. Values are the
//! bundle's canonical texts, so an entry reads like the CSV line it came from.
//!
//! The application offers no update or delete of audit entries; triggers
//! reject both (see the migrations), and on PostgreSQL the application role
//! should be granted only `SELECT, INSERT` on `audit_log` (docs/registry.md).

use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};

use crate::StoreError;
use crate::migrate::hex;

/// The hash before the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A record was created.
    Insert,
    /// A record was changed.
    Update,
    /// A record was removed.
    Delete,
}

impl Action {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Action::Insert => "insert",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

/// One audit entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// UTC time, RFC 3339 with milliseconds.
    pub at: String,
    /// Who made the change.
    pub actor: String,
    /// Why.
    pub reason: Option<String>,
    /// `insert`, `update` or `delete`.
    pub action: String,
    /// Registry table.
    pub table_name: String,
    /// JSON array of the natural key.
    pub record_key: String,
    /// JSON object of old values.
    pub old_values: Option<String>,
    /// JSON object of new values.
    pub new_values: Option<String>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl AuditEntry {
    /// The canonical text hashed with the previous hash.
    pub fn canonical(&self) -> String {
        serde_json::Value::Array(vec![
            self.seq.into(),
            self.at.clone().into(),
            self.actor.clone().into(),
            self.reason.clone().into(),
            self.action.clone().into(),
            self.table_name.clone().into(),
            self.record_key.clone().into(),
            self.old_values.clone().into(),
            self.new_values.clone().into(),
        ])
        .to_string()
    }

    /// The hash this entry should have given `prev_hash`.
    pub fn expected_hash(&self, prev_hash: &str) -> String {
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(b"\n");
        h.update(self.canonical().as_bytes());
        hex(&h.finalize())
    }

    pub(crate) fn from_row(row: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
        Ok(AuditEntry {
            seq: row.try_get(0)?,
            at: row.try_get(1)?,
            actor: row.try_get(2)?,
            reason: row.try_get(3)?,
            action: row.try_get(4)?,
            table_name: row.try_get(5)?,
            record_key: row.try_get(6)?,
            old_values: row.try_get(7)?,
            new_values: row.try_get(8)?,
            prev_hash: row.try_get(9)?,
            hash: row.try_get(10)?,
        })
    }
}

pub(crate) const SELECT: &str = "SELECT seq, at, actor, reason, action, table_name, record_key, \
    old_values, new_values, prev_hash, hash FROM audit_log";

/// The current UTC time as RFC 3339 with milliseconds.
pub fn now_utc() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let days = secs.div_euclid(86_400) as i32;
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = netra_clinical::registry::Day(days).ymd();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        (rem / 60) % 60,
        rem % 60,
        now.subsec_millis()
    )
}

/// Who makes the changes of one transaction, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// User name (CLI: `--user` or `$USER`; web: the logged-in account).
    pub user: String,
    /// Reason for the change, when given.
    pub reason: Option<String>,
}

/// Appends entries to the chain inside one transaction. Entries are buffered
/// and written in multi-row inserts.
pub(crate) struct AuditWriter {
    at: String,
    actor: Actor,
    next_seq: i64,
    prev_hash: String,
    buffer: Vec<AuditEntry>,
    /// Entries written so far.
    pub written: u64,
}

const AUDIT_COLUMNS: usize = 11;
const AUDIT_BATCH: usize = 1000;

impl AuditWriter {
    /// Starts appending after the current head. On PostgreSQL the table is
    /// locked first so that concurrent writers queue instead of failing on
    /// the primary key of `seq`.
    pub async fn start(
        tx: &mut Transaction<'static, Any>,
        backend: crate::db::Backend,
        actor: Actor,
    ) -> Result<AuditWriter, StoreError> {
        if backend == crate::db::Backend::Postgres {
            sqlx::query("LOCK TABLE audit_log IN EXCLUSIVE MODE")
                .execute(&mut **tx)
                .await?;
        }
        let head = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&mut **tx)
            .await?;
        let (seq, hash) = match head {
            Some(row) => (row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?),
            None => (0, GENESIS.to_string()),
        };
        Ok(AuditWriter {
            at: now_utc(),
            actor,
            next_seq: seq + 1,
            prev_hash: hash,
            buffer: Vec::with_capacity(AUDIT_BATCH),
            written: 0,
        })
    }

    /// Records one change.
    pub async fn record(
        &mut self,
        tx: &mut Transaction<'static, Any>,
        action: Action,
        table: &str,
        key: String,
        old: Option<String>,
        new: Option<String>,
    ) -> Result<(), StoreError> {
        let mut e = AuditEntry {
            seq: self.next_seq,
            at: self.at.clone(),
            actor: self.actor.user.clone(),
            reason: self.actor.reason.clone(),
            action: action.code().to_string(),
            table_name: table.to_string(),
            record_key: key,
            old_values: old,
            new_values: new,
            prev_hash: std::mem::take(&mut self.prev_hash),
            hash: String::new(),
        };
        e.hash = e.expected_hash(&e.prev_hash);
        self.prev_hash = e.hash.clone();
        self.next_seq += 1;
        self.buffer.push(e);
        if self.buffer.len() >= AUDIT_BATCH {
            self.flush(tx).await?;
        }
        Ok(())
    }

    /// Writes buffered entries.
    pub async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let mut sql = String::from(
            "INSERT INTO audit_log (seq, at, actor, reason, action, table_name, record_key, \
             old_values, new_values, prev_hash, hash) VALUES ",
        );
        let mut p = 1;
        for i in 0..self.buffer.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for c in 0..AUDIT_COLUMNS {
                if c > 0 {
                    sql.push_str(", ");
                }
                sql.push_str(&format!("${p}"));
                p += 1;
            }
            sql.push(')');
        }
        let mut q = sqlx::query(&sql);
        for e in &self.buffer {
            q = q
                .bind(e.seq)
                .bind(e.at.as_str())
                .bind(e.actor.as_str())
                .bind(e.reason.as_deref())
                .bind(e.action.as_str())
                .bind(e.table_name.as_str())
                .bind(e.record_key.as_str())
                .bind(e.old_values.as_deref())
                .bind(e.new_values.as_deref())
                .bind(e.prev_hash.as_str())
                .bind(e.hash.as_str());
        }
        q.execute(&mut **tx).await?;
        self.written += self.buffer.len() as u64;
        self.buffer.clear();
        Ok(())
    }
}

/// A break in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainProblem {
    /// The entry at which the chain breaks.
    pub seq: i64,
    /// What is wrong.
    pub reason: String,
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "audit entry {}: {}", self.seq, self.reason)
    }
}

/// The result of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Entries read.
    pub entries: u64,
    /// The last entry's `seq` and hash (record it elsewhere to anchor the
    /// chain against truncation).
    pub head: Option<(i64, String)>,
    /// Breaks found, in chain order (empty when intact).
    pub problems: Vec<ChainProblem>,
}

impl Verification {
    /// True when no break was found.
    pub fn is_intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Incremental chain verification (entries fed in `seq` order).
#[derive(Debug, Clone)]
pub struct ChainState {
    expected_seq: i64,
    prev: String,
    out: Verification,
}

impl Default for ChainState {
    fn default() -> Self {
        ChainState {
            expected_seq: 1,
            prev: GENESIS.to_string(),
            out: Verification {
                entries: 0,
                head: None,
                problems: Vec::new(),
            },
        }
    }
}

impl ChainState {
    /// Checks the next entries.
    pub fn feed<I: IntoIterator<Item = AuditEntry>>(&mut self, entries: I) {
        for e in entries {
            self.out.entries += 1;
            if e.seq != self.expected_seq {
                let reason = if e.seq > self.expected_seq {
                    format!(
                        "entries {}..{} are missing (deleted)",
                        self.expected_seq,
                        e.seq - 1
                    )
                } else {
                    format!("out of order (expected {})", self.expected_seq)
                };
                self.push(e.seq, reason);
            }
            if e.prev_hash != self.prev {
                self.push(
                    e.seq,
                    "its link to the previous entry is broken (prev_hash differs)".into(),
                );
            }
            if e.expected_hash(&e.prev_hash) != e.hash {
                self.push(
                    e.seq,
                    "its content was altered (hash does not match)".into(),
                );
            }
            self.expected_seq = e.seq + 1;
            self.prev = e.hash.clone();
            self.out.head = Some((e.seq, e.hash));
        }
    }

    fn push(&mut self, seq: i64, reason: String) {
        // A broken chain can report on every later entry; the first
        // hundred breaks are enough to locate the tampering.
        if self.out.problems.len() < 100 {
            self.out.problems.push(ChainProblem { seq, reason });
        }
    }

    /// The result.
    pub fn finish(self) -> Verification {
        self.out
    }
}

/// Checks an ordered sequence of entries.
pub fn verify_entries<I: IntoIterator<Item = AuditEntry>>(entries: I) -> Verification {
    let mut s = ChainState::default();
    s.feed(entries);
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    seq,
                    at: "2024-01-01T00:00:00.000Z".into(),
                    actor: "ana".into(),
                    reason: Some("import".into()),
                    action: "insert".into(),
                    table_name: "patient".into(),
                    record_key: format!("[\"{seq}\"]"),
                    old_values: None,
                    new_values: Some("{\"sex\":\"female\"}".into()),
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.expected_hash(&prev);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let v = verify_entries(chain(5));
        assert!(v.is_intact());
        assert_eq!(v.entries, 5);
        assert_eq!(v.head.unwrap().0, 5);
    }

    #[test]
    fn edits_deletions_and_rehashing_are_caught() {
        let mut c = chain(5);
        c[2].new_values = Some("{\"sex\":\"male\"}".into());
        let v = verify_entries(c.clone());
        assert_eq!(v.problems.len(), 1);
        assert_eq!(v.problems[0].seq, 3);
        // Recomputing the altered entry's hash moves the break to the next.
        c[2].hash = c[2].expected_hash(&c[2].prev_hash);
        let v = verify_entries(c);
        assert_eq!(v.problems[0].seq, 4);
        let mut c = chain(5);
        c.remove(1);
        let v = verify_entries(c);
        assert_eq!(v.problems[0].seq, 3);
        assert!(v.problems[0].reason.contains("entries 2..2 are missing"));
    }

    #[test]
    fn canonical_text_is_stable_json() {
        let c = chain(1);
        assert_eq!(
            c[0].canonical(),
            r#"[1,"2024-01-01T00:00:00.000Z","ana","import","insert","patient","[\"1\"]",null,"{\"sex\":\"female\"}"]"#
        );
    }

    #[test]
    fn clock_format() {
        let t = now_utc();
        assert_eq!(t.len(), 24);
        assert!(t.ends_with('Z') && &t[10..11] == "T");
    }
}
