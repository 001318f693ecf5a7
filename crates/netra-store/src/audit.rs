//! The audit trail: who changed which record, when, why, from what to what,
//! chained by SHA-256 so that tampering is detectable.
//!
//! # Layout
//!
//! A **change set** (`audit_change_set`) is one transaction of one user:
//! an import, a form saved on the web. It holds the time (UTC), the user and
//! the reason. Each **entry** (`audit_log`) is one insert, update or delete
//! of one registry record in a change set: table, natural key, old and new
//! values, and its hash.
//!
//! # The chain
//!
//! ```text
//! hash(n) = SHA-256( hash(n − 1) ‖ "\n" ‖ canonical(n) )      hash(0) = 64 × "0"
//! canonical = JSON array [seq, at, actor, reason, action, table_name,
//!                         record_key, old_values, new_values]
//! ```
//!
//! with `at`, `actor` and `reason` taken from the entry's change set, every
//! field a JSON string (or `null`), escaped as `serde_json` does, and the
//! value columns hashed as the exact text stored. Changing any field of any
//! entry or change set changes a hash; recomputing that hash breaks the next
//! link; deleting an entry leaves a gap in `seq`. Only cutting off the tail
//! cannot be seen from inside the database: `netra audit verify` prints the
//! head (last `seq` and hash) so that it can be recorded elsewhere.
//!
//! # Values
//!
//! `record_key` is the JSON array of the natural key's texts. For an insert
//! `new_values` holds every recorded column of the new row; for an update
//! `old_values` and `new_values` hold the columns that changed (`null` for a
//! side without a value); for a delete `old_values` holds the removed row.
//! Values are the bundle's canonical texts, columns in schema order, so an
//! entry reads like the CSV line it came from.
//!
//! The application offers no update or delete of audit rows; triggers reject
//! both (migration 2), and on PostgreSQL the application role should be
//! granted only `SELECT, INSERT` on the audit tables (docs/registry.md).

use std::fmt::Write as _;

use sha2::{Digest, Sha256};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Any, Arguments, Row, Transaction};

use crate::StoreError;
use crate::db::Backend;
use crate::lite_tx::{Batch, Cell, Stmt};
use crate::migrate::hex;
use crate::write_tx::WriteTx;

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

/// One audit entry with its change set's time, user and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The change set (transaction) the entry belongs to.
    pub change_set: i64,
    /// UTC time of the change set, RFC 3339 with milliseconds.
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
    /// This entry's hash.
    pub hash: String,
}

/// Appends `s` as a JSON string, escaped exactly as `serde_json` escapes
/// (`\"`, `\\`, `\b \f \n \r \t`, other control characters as `\u00xx`).
pub fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    push_json_inner(out, s);
    out.push('"');
}

/// Appends `s` escaped as the inside of a JSON string (no quotes around).
pub(crate) fn push_json_inner(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'"' && b != b'\\' && b >= 0x20 {
            continue;
        }
        // Only ASCII bytes are escaped, so `i` is a character boundary.
        out.push_str(&s[start..i]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            _ => {
                let _ = write!(out, "\\u{:04x}", b);
            }
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

fn push_json_opt(out: &mut String, s: Option<&str>) {
    match s {
        Some(s) => push_json_str(out, s),
        None => out.push_str("null"),
    }
}

/// What [`push_json_bytes`] does with each byte: 0 copy, 1 backslash
/// before it (`"` and `\`), 2 a control character.
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 2;
        b += 1;
    }
    t[b'"' as usize] = 1;
    t[b'\\' as usize] = 1;
    t
};

/// [`push_json_str`] on bytes: the same output for any UTF-8 text (only
/// ASCII bytes are escaped), one table lookup per byte and no segment
/// copies, for the chain check that escapes every value of the trail
/// (about 2 GB of text on a 10⁵-patient registry).
pub(crate) fn push_json_bytes(out: &mut Vec<u8>, s: &[u8]) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &b in s {
        match ESCAPE[usize::from(b)] {
            0 => out.push(b),
            1 => out.extend_from_slice(&[b'\\', b]),
            _ => match b {
                0x08 => out.extend_from_slice(b"\\b"),
                0x0c => out.extend_from_slice(b"\\f"),
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                b'\t' => out.extend_from_slice(b"\\t"),
                _ => {
                    const HEX: &[u8; 16] = b"0123456789abcdef";
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(b >> 4)]);
                    out.push(HEX[usize::from(b & 15)]);
                }
            },
        }
    }
    out.push(b'"');
}

fn push_json_opt_bytes(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => push_json_bytes(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// The canonical text of an entry (see the module documentation).
#[allow(clippy::too_many_arguments)]
fn write_canonical(
    out: &mut String,
    seq: i64,
    at: &str,
    actor: &str,
    reason: Option<&str>,
    action: &str,
    table: &str,
    key: &str,
    old: Option<&str>,
    new: Option<&str>,
) {
    let _ = write!(out, "[{seq},");
    push_json_str(out, at);
    out.push(',');
    push_json_str(out, actor);
    out.push(',');
    push_json_opt(out, reason);
    out.push(',');
    push_json_str(out, action);
    out.push(',');
    push_json_str(out, table);
    out.push(',');
    push_json_str(out, key);
    out.push(',');
    push_json_opt(out, old);
    out.push(',');
    push_json_opt(out, new);
    out.push(']');
}

/// Appends the lower-case hex text of `bytes` (what [`hex`] returns).
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
}

fn chain_hash(prev: &str, canonical: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    h.finalize().into()
}

/// [`write_canonical`] on bytes (what the chain check hashes; the unit
/// tests keep both equal).
fn write_canonical_bytes(out: &mut Vec<u8>, e: &EntryRef<'_>) {
    let _ = std::io::Write::write_fmt(out, format_args!("[{},", e.seq));
    push_json_bytes(out, e.at);
    out.push(b',');
    push_json_bytes(out, e.actor);
    out.push(b',');
    push_json_opt_bytes(out, e.reason);
    out.push(b',');
    push_json_bytes(out, e.action);
    out.push(b',');
    push_json_bytes(out, e.table_name);
    out.push(b',');
    push_json_bytes(out, e.record_key);
    out.push(b',');
    push_json_opt_bytes(out, e.old_values);
    out.push(b',');
    push_json_opt_bytes(out, e.new_values);
    out.push(b']');
}

impl AuditEntry {
    /// The canonical text hashed with the previous hash.
    pub fn canonical(&self) -> String {
        let mut s = String::new();
        write_canonical(
            &mut s,
            self.seq,
            &self.at,
            &self.actor,
            self.reason.as_deref(),
            &self.action,
            &self.table_name,
            &self.record_key,
            self.old_values.as_deref(),
            self.new_values.as_deref(),
        );
        s
    }

    /// The hash this entry should have after an entry hashed `prev_hash`.
    pub fn expected_hash(&self, prev_hash: &str) -> String {
        hex(&chain_hash(prev_hash, &self.canonical()))
    }

    pub(crate) fn from_row(row: &AnyRow) -> Result<AuditEntry, sqlx::Error> {
        Ok(AuditEntry {
            seq: row.try_get(0)?,
            change_set: row.try_get(1)?,
            at: row.try_get(2)?,
            actor: row.try_get(3)?,
            reason: row.try_get(4)?,
            action: row.try_get(5)?,
            table_name: row.try_get(6)?,
            record_key: row.try_get(7)?,
            old_values: row.try_get(8)?,
            new_values: row.try_get(9)?,
            hash: row.try_get(10)?,
        })
    }
}

pub(crate) const SELECT: &str = "SELECT l.seq, l.change_set, c.at, c.actor, c.reason, l.action, \
    l.table_name, l.record_key, l.old_values, l.new_values, l.hash \
    FROM audit_log l JOIN audit_change_set c ON c.id = l.change_set";

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

/// A statement with its arguments, ready to run.
pub(crate) struct Job<'q> {
    pub sql: std::sync::Arc<str>,
    pub args: AnyArguments<'q>,
}

impl<'q> Job<'q> {
    pub async fn run(self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        sqlx::query_with(&self.sql, self.args)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

/// Appends entries to the chain inside one transaction. Entries are hashed
/// as they come and handed out as multi-row inserts ([`AuditWriter::jobs`]);
/// the change set row goes out with the first entry, so a transaction that
/// changes nothing leaves no trace.
pub(crate) struct AuditWriter {
    backend: Backend,
    at: String,
    actor: Actor,
    change_set: i64,
    change_set_emitted: bool,
    next_seq: i64,
    prev_hash: String,
    args: AnyArguments<'static>,
    /// Entries per insert ([`audit_batch`]).
    batch: usize,
    pending: usize,
    full_sql: Option<std::sync::Arc<str>>,
    canonical: String,
    /// The change set's part of every canonical text, escaped once:
    /// `"at","actor","reason",` (see [`write_canonical`]).
    set_fields: String,
    /// On a `rusqlite` transaction ([`crate::lite_tx`]): the entries
    /// (and the change set, first) as rows for its writer, instead of
    /// `args`.
    lite: Option<Batch<'static>>,
    /// Entries handed out so far.
    pub written: u64,
}

/// The advisory lock key of registry writers on PostgreSQL ("netra" in
/// ASCII).
pub const WRITER_LOCK: i64 = 0x6e_6574_7261;

const AUDIT_COLUMNS: usize = 8;
/// Entries per multi-row insert. SQLite's are kept small (2 000
/// parameters): the argument vectors of larger statements are large
/// allocations that the allocator returns to the kernel and gets back as
/// fresh pages, which the kernel zeroes (10.7% → 6.0% of an import's CPU
/// samples with these sizes, BENCHMARKS.md). PostgreSQL's are larger to
/// save round trips.
fn audit_batch(backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => 250,
        Backend::Postgres => 1000,
    }
}

fn fresh_args(rows: usize) -> AnyArguments<'static> {
    let mut a = AnyArguments::default();
    a.reserve(rows * AUDIT_COLUMNS, 0);
    a
}

fn add<'q, T>(args: &mut AnyArguments<'q>, v: T)
where
    T: sqlx::Encode<'q, Any> + sqlx::Type<Any> + 'q,
{
    // Encoding into the Any buffer cannot fail for these plain types.
    let _ = args.add(v);
}

impl AuditWriter {
    /// Starts appending after the current head. On PostgreSQL every netra
    /// writer first takes the same transaction-scoped advisory lock, so that
    /// concurrent writers queue instead of failing on the primary key of
    /// `seq` (an advisory lock needs no privilege; `LOCK TABLE … EXCLUSIVE`
    /// would need UPDATE on the audit table, which the application role must
    /// not have). SQLite writers are serialised by `BEGIN IMMEDIATE`.
    pub async fn start(
        tx: &mut Transaction<'static, Any>,
        backend: Backend,
        actor: Actor,
    ) -> Result<AuditWriter, StoreError> {
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITER_LOCK)
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
        let last_set: Option<i64> = sqlx::query("SELECT MAX(id) FROM audit_change_set")
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        Ok(AuditWriter::after(
            backend,
            actor,
            (seq, hash),
            last_set,
            false,
        ))
    }

    /// [`AuditWriter::start`] in an import's transaction: on a `rusqlite`
    /// one, the entries are handed out as rows ([`AuditWriter::swap_lite`]).
    pub async fn start_tx(
        tx: &mut WriteTx,
        backend: Backend,
        actor: Actor,
    ) -> Result<AuditWriter, StoreError> {
        match tx {
            WriteTx::Sqlx(tx) => AuditWriter::start(tx, backend, actor).await,
            WriteTx::Lite(lite) => {
                let (head, last_set) = lite.audit_head()?;
                let head = head.unwrap_or_else(|| (0, GENESIS.to_string()));
                Ok(AuditWriter::after(backend, actor, head, last_set, true))
            }
        }
    }

    /// A writer appending after `head` (last `seq` and hash) in the change
    /// set after `last_set`.
    fn after(
        backend: Backend,
        actor: Actor,
        (seq, hash): (i64, String),
        last_set: Option<i64>,
        lite: bool,
    ) -> AuditWriter {
        let at = now_utc();
        let mut set_fields = String::new();
        push_json_str(&mut set_fields, &at);
        set_fields.push(',');
        push_json_str(&mut set_fields, &actor.user);
        set_fields.push(',');
        push_json_opt(&mut set_fields, actor.reason.as_deref());
        set_fields.push(',');
        AuditWriter {
            backend,
            at,
            actor,
            change_set: last_set.unwrap_or(0) + 1,
            change_set_emitted: false,
            next_seq: seq + 1,
            prev_hash: hash,
            args: fresh_args(if lite { 0 } else { audit_batch(backend) }),
            batch: audit_batch(backend),
            pending: 0,
            full_sql: None,
            canonical: String::new(),
            set_fields,
            lite: lite.then(Batch::default),
            written: 0,
        }
    }

    /// The id of this writer's change set.
    pub fn change_set(&self) -> i64 {
        self.change_set
    }

    /// The chain's head after the entries recorded so far: the last `seq`
    /// and its hash (`(0, GENESIS)` for an empty trail).
    pub fn head(&self) -> (i64, &str) {
        (self.next_seq - 1, &self.prev_hash)
    }

    /// Records one change (JSON texts of the key and of the values).
    pub fn record(
        &mut self,
        action: Action,
        table: &'static str,
        key: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) {
        self.canonical_head(action, table);
        push_json_str(&mut self.canonical, key);
        self.canonical.push(',');
        push_json_opt(&mut self.canonical, old);
        self.canonical.push(',');
        push_json_opt(&mut self.canonical, new);
        self.canonical.push(']');
        self.append(action, table, key, old, new);
    }

    /// Records the insert of a record whose key and values the caller has
    /// already written as JSON (`key`, `new`) and as JSON strings of that
    /// JSON (`key_quoted`, `new_quoted`: what [`push_json_str`] gives), so
    /// that nothing is escaped twice. Same entry and hash as
    /// [`AuditWriter::record`] with `Action::Insert`.
    pub fn record_insert_quoted(
        &mut self,
        table: &'static str,
        key: &str,
        key_quoted: &str,
        new: &str,
        new_quoted: &str,
    ) {
        self.canonical_head(Action::Insert, table);
        self.canonical.push_str(key_quoted);
        self.canonical.push_str(",null,");
        self.canonical.push_str(new_quoted);
        self.canonical.push(']');
        self.append(Action::Insert, table, key, None, Some(new));
    }

    /// Starts the canonical text of the next entry: every field up to the
    /// key ([`write_canonical`] writes the same text field by field).
    fn canonical_head(&mut self, action: Action, table: &str) {
        self.canonical.clear();
        let _ = write!(self.canonical, "[{},", self.next_seq);
        self.canonical.push_str(&self.set_fields);
        push_json_str(&mut self.canonical, action.code());
        self.canonical.push(',');
        push_json_str(&mut self.canonical, table);
        self.canonical.push(',');
    }

    /// Hashes the canonical text just written and queues the entry.
    fn append(
        &mut self,
        action: Action,
        table: &'static str,
        key: &str,
        old: Option<&str>,
        new: Option<&str>,
    ) {
        let digest = chain_hash(&self.prev_hash, &self.canonical);
        self.prev_hash.clear();
        push_hex(&mut self.prev_hash, &digest);
        if let Some(rows) = &mut self.lite {
            if !self.change_set_emitted {
                rows.row(Stmt::ChangeSet);
                rows.cell(Cell::Int(self.change_set));
                rows.own(&self.at);
                rows.own(&self.actor.user);
                match &self.actor.reason {
                    Some(r) => rows.own(r),
                    None => rows.cell(Cell::Null),
                }
                self.change_set_emitted = true;
            }
            rows.row(Stmt::Entry);
            rows.cell(Cell::Int(self.next_seq));
            rows.cell(Cell::Int(self.change_set));
            rows.cell(Cell::Text(action.code()));
            rows.cell(Cell::Text(table));
            rows.own(key);
            for v in [old, new] {
                match v {
                    Some(v) => rows.own(v),
                    None => rows.cell(Cell::Null),
                }
            }
            rows.own(&self.prev_hash);
            self.pending += 1;
            self.next_seq += 1;
            return;
        }
        let args = &mut self.args;
        add(args, self.next_seq);
        add(args, self.change_set);
        add(args, action.code());
        add(args, table);
        add(args, key.to_string());
        add(args, old.map(str::to_string));
        add(args, new.map(str::to_string));
        add(args, self.prev_hash.clone());
        self.pending += 1;
        self.next_seq += 1;
    }

    /// Statements ready to run: the change set (once), then a batch of
    /// entries when the batch is full or `all` is set.
    pub fn jobs(&mut self, all: bool) -> Vec<Job<'static>> {
        let mut out = Vec::new();
        if self.lite.is_some() || self.pending == 0 || (!all && self.pending < self.batch) {
            return out;
        }
        if !self.change_set_emitted {
            let mut a = AnyArguments::default();
            add(&mut a, self.change_set);
            add(&mut a, self.at.clone());
            add(&mut a, self.actor.user.clone());
            add(&mut a, self.actor.reason.clone());
            out.push(Job {
                sql: "INSERT INTO audit_change_set (id, at, actor, reason) VALUES ($1, $2, $3, $4)"
                    .into(),
                args: a,
            });
            self.change_set_emitted = true;
        }
        let rows = self.pending;
        let sql = if rows == self.batch {
            self.full_sql
                .get_or_insert_with(|| insert_sql(self.backend, self.batch).into())
                .clone()
        } else {
            insert_sql(self.backend, rows).into()
        };
        let args = std::mem::replace(&mut self.args, fresh_args(self.batch));
        out.push(Job { sql, args });
        self.written += rows as u64;
        self.pending = 0;
        out
    }

    /// Runs every pending statement (paths that do not pipeline).
    pub async fn flush(&mut self, tx: &mut Transaction<'static, Any>) -> Result<(), StoreError> {
        for job in self.jobs(true) {
            job.run(tx).await?;
        }
        Ok(())
    }

    /// [`AuditWriter::flush`] in an import's transaction.
    pub async fn flush_tx(&mut self, tx: &mut WriteTx) -> Result<(), StoreError> {
        match tx {
            WriteTx::Sqlx(tx) => self.flush(tx).await,
            WriteTx::Lite(lite) => {
                let mut rows = Batch::default();
                self.swap_lite(&mut rows);
                lite.run(&rows)
            }
        }
    }

    /// On a `rusqlite` transaction: exchanges the rows of the entries
    /// recorded since the last call (the change set's first) with the
    /// empty batch `empty`, and counts them as written.
    pub fn swap_lite(&mut self, empty: &mut Batch<'static>) {
        if let Some(rows) = &mut self.lite {
            std::mem::swap(rows, empty);
            self.written += self.pending as u64;
            self.pending = 0;
        }
    }
}

fn insert_sql(backend: Backend, rows: usize) -> String {
    crate::sql::multi_row_values(
        "INSERT INTO audit_log (seq, change_set, action, table_name, record_key, \
         old_values, new_values, hash) VALUES "
            .to_string(),
        AUDIT_COLUMNS,
        rows,
        backend,
    )
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
    /// Breaks found, in chain order (empty when intact; at most 100).
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
    /// The stored hash of the last entry checked (the chain continues from
    /// what is stored, so one altered entry is reported once).
    prev: Vec<u8>,
    /// Reused buffer of the canonical text: no allocation per entry.
    canonical: Vec<u8>,
    last_seq: Option<i64>,
    out: Verification,
}

impl Default for ChainState {
    fn default() -> Self {
        ChainState {
            expected_seq: 1,
            prev: GENESIS.as_bytes().to_vec(),
            canonical: Vec::new(),
            last_seq: None,
            out: Verification {
                entries: 0,
                head: None,
                problems: Vec::new(),
            },
        }
    }
}

/// One entry as borrowed texts (see [`AuditEntry`]), what the scans of
/// [`crate::audit_scan`] and [`crate::sqlite_audit`] decode without
/// allocating. Bytes, not `str`: the chain hashes the bytes stored, so
/// they need no UTF-8 check (text that is not UTF-8 only breaks the chain).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntryRef<'a> {
    pub seq: i64,
    pub at: &'a [u8],
    pub actor: &'a [u8],
    pub reason: Option<&'a [u8]>,
    pub action: &'a [u8],
    pub table_name: &'a [u8],
    pub record_key: &'a [u8],
    pub old_values: Option<&'a [u8]>,
    pub new_values: Option<&'a [u8]>,
    pub hash: &'a [u8],
}

impl ChainState {
    /// Checks the next entries.
    pub fn feed<I: IntoIterator<Item = AuditEntry>>(&mut self, entries: I) {
        for e in entries {
            self.check(EntryRef {
                seq: e.seq,
                at: e.at.as_bytes(),
                actor: e.actor.as_bytes(),
                reason: e.reason.as_deref().map(str::as_bytes),
                action: e.action.as_bytes(),
                table_name: e.table_name.as_bytes(),
                record_key: e.record_key.as_bytes(),
                old_values: e.old_values.as_deref().map(str::as_bytes),
                new_values: e.new_values.as_deref().map(str::as_bytes),
                hash: e.hash.as_bytes(),
            });
        }
    }

    /// Checks the next entry.
    pub(crate) fn check(&mut self, e: EntryRef<'_>) {
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
        self.canonical.clear();
        write_canonical_bytes(&mut self.canonical, &e);
        let mut h = Sha256::new();
        h.update(&self.prev);
        h.update(b"\n");
        h.update(&self.canonical);
        let digest: [u8; 32] = h.finalize().into();
        if !hex_eq(&digest, e.hash) {
            self.push(
                e.seq,
                "its content (or its change set) was altered: the hash does not match".into(),
            );
        }
        self.expected_seq = e.seq + 1;
        self.prev.clear();
        self.prev.extend_from_slice(e.hash);
        self.last_seq = Some(e.seq);
    }

    fn push(&mut self, seq: i64, reason: String) {
        // A break can be reported again by later entries; the first hundred
        // are enough to locate the tampering.
        if self.out.problems.len() < 100 {
            self.out.problems.push(ChainProblem { seq, reason });
        }
    }

    /// The result.
    pub fn finish(mut self) -> Verification {
        self.out.head = self
            .last_seq
            .map(|s| (s, String::from_utf8_lossy(&self.prev).into_owned()));
        self.out
    }
}

/// True when `hash` is the lower-case hex text of `digest` (what
/// [`hex`] writes), without allocating.
fn hex_eq(digest: &[u8; 32], h: &[u8]) -> bool {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    h.len() == 64
        && digest.iter().enumerate().all(|(i, b)| {
            h[2 * i] == HEX[usize::from(b >> 4)] && h[2 * i + 1] == HEX[usize::from(b & 15)]
        })
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
                    change_set: 1,
                    at: "2024-01-01T00:00:00.000Z".into(),
                    actor: "ana".into(),
                    reason: Some("import".into()),
                    action: "insert".into(),
                    table_name: "patient".into(),
                    record_key: format!("[\"{seq}\"]"),
                    old_values: None,
                    new_values: Some("{\"sex\":\"female\"}".into()),
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
        c[2].hash = c[2].expected_hash(&c[1].hash);
        let v = verify_entries(c);
        assert_eq!(v.problems.len(), 1);
        assert_eq!(v.problems[0].seq, 4);
        let mut c = chain(5);
        c.remove(1);
        let v = verify_entries(c);
        assert_eq!(v.problems[0].seq, 3);
        assert!(v.problems[0].reason.contains("entries 2..2 are missing"));
        let mut c = chain(3);
        c[0].actor = "mallory".into();
        assert_eq!(verify_entries(c).problems[0].seq, 1);
    }

    #[test]
    fn canonical_text_is_the_serde_json_array() {
        let c = chain(1);
        assert_eq!(
            c[0].canonical(),
            r#"[1,"2024-01-01T00:00:00.000Z","ana","import","insert","patient","[\"1\"]",null,"{\"sex\":\"female\"}"]"#
        );
        for s in [
            "plain",
            "quo\"te",
            "back\\slash",
            "nl\nx\r\t\u{8}\u{c}",
            "\u{1}\u{1f}\u{7f}",
            "é 中 😀",
        ] {
            let mut mine = String::new();
            push_json_str(&mut mine, s);
            assert_eq!(
                mine,
                serde_json::Value::String(s.into()).to_string(),
                "{s:?}"
            );
            let mut bytes = Vec::new();
            push_json_bytes(&mut bytes, s.as_bytes());
            assert_eq!(bytes, mine.as_bytes(), "{s:?}");
        }
    }

    fn writer() -> AuditWriter {
        let actor = Actor {
            user: "an\"a".into(),
            reason: Some("why\n\\".into()),
        };
        let at = "2024-01-01T00:00:00.000Z".to_string();
        let mut set_fields = String::new();
        push_json_str(&mut set_fields, &at);
        set_fields.push(',');
        push_json_str(&mut set_fields, &actor.user);
        set_fields.push(',');
        push_json_opt(&mut set_fields, actor.reason.as_deref());
        set_fields.push(',');
        AuditWriter {
            backend: Backend::Sqlite,
            at,
            actor,
            change_set: 1,
            change_set_emitted: false,
            next_seq: 1,
            prev_hash: GENESIS.to_string(),
            args: fresh_args(audit_batch(Backend::Sqlite)),
            batch: audit_batch(Backend::Sqlite),
            pending: 0,
            full_sql: None,
            canonical: String::new(),
            set_fields,
            lite: None,
            written: 0,
        }
    }

    /// The pre-escaped insert gives the entry and hash that the general
    /// `record` and the verifier's `write_canonical` give.
    #[test]
    fn quoted_insert_hashes_as_record() {
        let (mut a, mut b) = (writer(), writer());
        for (key, new) in [
            (r#"["p1"]"#, r#"{"sex":"female"}"#),
            (r#"["q\"x"]"#, r#"{"note":"tab\tquote\"back\\ é"}"#),
            ("[\"\u{1}\"]", "{}"),
        ] {
            a.record(Action::Insert, "patient", key, None, Some(new));
            let mut kq = String::new();
            push_json_str(&mut kq, key);
            let mut nq = String::new();
            push_json_str(&mut nq, new);
            b.record_insert_quoted("patient", key, &kq, new, &nq);
            assert_eq!(a.canonical, b.canonical);
            assert_eq!(a.prev_hash, b.prev_hash);
            let mut want = String::new();
            write_canonical(
                &mut want,
                a.next_seq - 1,
                &a.at,
                &a.actor.user,
                a.actor.reason.as_deref(),
                "insert",
                "patient",
                key,
                None,
                Some(new),
            );
            assert_eq!(a.canonical, want);
        }
        assert_eq!(a.pending, 3);
        assert_ne!(a.prev_hash, GENESIS);
    }

    #[test]
    fn the_chain_check_hashes_the_canonical_text_of_the_writer() {
        let mut e = chain(1).remove(0);
        e.reason = None;
        e.old_values = Some("{\"notes\":\"a \\\"b\\\"\\n\u{1}\"}".into());
        let mut bytes = Vec::new();
        write_canonical_bytes(
            &mut bytes,
            &EntryRef {
                seq: e.seq,
                at: e.at.as_bytes(),
                actor: e.actor.as_bytes(),
                reason: None,
                action: e.action.as_bytes(),
                table_name: e.table_name.as_bytes(),
                record_key: e.record_key.as_bytes(),
                old_values: e.old_values.as_deref().map(str::as_bytes),
                new_values: e.new_values.as_deref().map(str::as_bytes),
                hash: e.hash.as_bytes(),
            },
        );
        assert_eq!(bytes, e.canonical().as_bytes());
        e.hash = e.expected_hash(GENESIS);
        let v = verify_entries([e]);
        assert!(v.is_intact(), "{:?}", v.problems);
    }

    #[test]
    fn clock_format() {
        let t = now_utc();
        assert_eq!(t.len(), 24);
        assert!(t.ends_with('Z') && &t[10..11] == "T");
    }
}
