//! `netra audit verify` on SQLite: the chain check ([`crate::audit`]) and
//! the state check ([`crate::replay`]) from **one pass** over `audit_log`
//! in `seq` order, read through `rusqlite` ([`crate::sqlite_scan`]).
//!
//! Why: through `sqlx` each check read the trail on its own, as text
//! aggregated by SQLite per page (the driver's per-row cost made one row
//! per entry cost 10 µs): about 20 s for the chain and more for the replay
//! on a 10⁵-patient registry (6.4 M entries). Here each entry is one
//! stepped row whose fields are copied, as bytes, into a batch that two
//! threads read at once:
//!
//! * the chain thread hashes it ([`crate::audit::ChainState`]);
//! * the replay thread appends it to its table's events: a 128-bit
//!   digest of the record's key text, the entry's `seq` and action, and a
//!   64-bit digest of an insert's values text (32 bytes an entry).
//!   Digests are SipHash with keys drawn at random for each check, so no
//!   stored text can be crafted to collide with another (odds 2⁻⁶⁴ per
//!   record).
//!
//! Then, one table per thread and core, the table's events are sorted by
//! record and folded into the records the trail leaves ([`fold`]: an
//! update is applied to the texts of its record, read again by `seq`),
//! each stored row is rendered as the importer renders an insert's values
//! ([`crate::rows::json_of`]) straight from the stored values, and the
//! sorted (key, values) digests of both are merged: sequential passes
//! instead of a map probed at random for every entry and every row. Only
//! a record whose digest differs, that an update touched, or that has no
//! entry is decoded and compared column by column as [`crate::replay`]
//! does (its insert's text read again by `seq`), so the report is the
//! same; so is the one of records the trail has and the table lacks, and
//! so is a failing entry: the first in trail order.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::path::Path;
use std::sync::{Arc, Mutex, mpsc};

use netra_clinical::registry::schema::{Entity, EntitySpec, Kind, Value};
use rusqlite::types::ValueRef;

use crate::StoreError;
use crate::audit::{ChainState, EntryRef, Verification, push_json_bytes};
use crate::check::{SEP, key_of};
use crate::replay::{
    Replayed, StateCheck, StateProblem, Texts, apply, compare, difference, texts_of,
};
use crate::rows::json_key;
use crate::sql;
use crate::sqlite_scan::{Db, decode_into, parallelism};

/// What one pass found: the chain check and the state check, each when
/// asked for.
pub(crate) struct Checks {
    /// The chain ([`crate::Registry::verify_audit`]).
    pub chain: Option<Verification>,
    /// The tables against the replayed trail ([`crate::Registry::verify_state`]).
    pub state: Option<StateCheck>,
}

/// A record: 120 bits of keyed SipHash of its key text, and its table's
/// position in [`Entity::ALL`] in the low byte (while a table's entries
/// are collected, the low byte holds the entry's action instead: see
/// [`Event`]). Ordered as the pair, which sorts a table's records by
/// digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key(u64, u64);

impl Key {
    /// The same record with `byte` in the low byte.
    fn with_low_byte(self, byte: u64) -> Key {
        Key(self.0, (self.1 & !0xff) | (byte & 0xff))
    }
}

/// The keyed digests of one check.
struct Digests {
    key_a: RandomState,
    key_b: RandomState,
    value: RandomState,
}

impl Digests {
    fn new() -> Digests {
        Digests {
            key_a: RandomState::new(),
            key_b: RandomState::new(),
            value: RandomState::new(),
        }
    }
    fn key(&self, table: usize, text: &[u8]) -> Key {
        let b = one(&self.key_b, text) & !0xff;
        Key(one(&self.key_a, text), b | (table as u64 & 0xff))
    }
    fn value(&self, text: &[u8]) -> u64 {
        one(&self.value, text)
    }
}

fn one(s: &RandomState, text: &[u8]) -> u64 {
    let mut h = s.build_hasher();
    h.write(text);
    h.finish()
}

/// What an entry did, in the low byte of its [`Event`]'s key.
const INSERT: u64 = 0;
/// An insert without values (`new_values` NULL: only after tampering).
const INSERT_EMPTY: u64 = 1;
const UPDATE: u64 = 2;
const DELETE: u64 = 3;

/// One entry of a table's trail as the state check keeps it (32 bytes):
/// appended in trail order, then sorted by record and folded into the
/// records the trail leaves ([`fold`]). Sorted vectors merged with the
/// sorted stored rows replace a map probed at random for every entry and
/// every row (13 M cache and TLB misses on a 10⁵-patient registry).
#[derive(Debug, Clone, Copy)]
struct Event {
    /// The record's key digest; its low byte is the entry's action
    /// ([`INSERT`] …) until [`fold`] puts the table back.
    key: Key,
    /// The entry's `seq` (its texts are read again when needed).
    seq: i64,
    /// Digest of an insert's values text (0 for other actions).
    digest: u64,
}

impl Event {
    fn action(&self) -> u64 {
        self.key.1 & 0xff
    }
    /// The record, whatever the low byte holds.
    fn record(&self) -> (u64, u64) {
        (self.key.0, self.key.1 >> 8)
    }
}

/// The trail as the replay thread collected it: each table's entries in
/// trail order (by position in [`Entity::ALL`]), and the entry that
/// stopped the collection, an action netra does not know: the replay
/// entry by entry stops there, so nothing after it counts.
struct Trail {
    events: Vec<Vec<Event>>,
    stopped: Option<(i64, StoreError)>,
}

/// The records one table's trail leaves, each sorted by key: those whose
/// last entry is their insert ([`Event`]s with the table in the key's low
/// byte), and those an update touched or an insert left without values
/// (the `seq` of their last entry and their column texts).
#[derive(Default)]
struct Folded {
    inserted: Vec<Event>,
    updated: Vec<(Key, i64, Texts)>,
}

impl Folded {
    fn live(&self) -> u64 {
        (self.inserted.len() + self.updated.len()) as u64
    }
    fn inserted(&self, k: Key) -> Option<&Event> {
        let i = self.inserted.binary_search_by(|e| e.key.cmp(&k)).ok()?;
        self.inserted.get(i)
    }
    fn updated(&self, k: Key) -> Option<&(Key, i64, Texts)> {
        let i = self.updated.binary_search_by(|u| u.0.cmp(&k)).ok()?;
        self.updated.get(i)
    }
}

/// Entries per batch at most.
const BATCH: usize = 8192;
/// Bytes of text per batch, about.
const BATCH_TEXT: usize = 8 << 20;

/// One entry of a batch: `seq`, its change set (`None` when the change
/// set row is missing), and where each field is in the batch's text
/// (action, table, key, old, new, hash; `None` for NULL).
type Spans = (i64, Option<usize>, [Option<(usize, usize)>; 6]);

/// Entries for the chain and replay threads: their texts one after
/// another.
#[derive(Default)]
struct Batch {
    text: Vec<u8>,
    entries: Vec<Spans>,
}

impl Batch {
    fn field(&self, f: Option<(usize, usize)>) -> Option<&[u8]> {
        f.and_then(|(a, b)| self.text.get(a..b))
    }
}

/// A text column of `audit_log` as stored (`None` for NULL). TEXT affinity
/// stores numbers as text, so only a blob can be something else: read as
/// its bytes, as SQLite's own conversion to text does.
fn field<'a>(db: &Db, seq: i64, v: ValueRef<'a>) -> Result<Option<&'a [u8]>, StoreError> {
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Text(b) | ValueRef::Blob(b) => Ok(Some(b)),
        ValueRef::Integer(_) | ValueRef::Real(_) => Err(StoreError::Refused(format!(
            "{}: audit entry {seq} holds a number where text is expected",
            db.name()
        ))),
    }
}

/// The chain thread.
fn hash_batches(
    rx: mpsc::Receiver<Arc<Batch>>,
    back: mpsc::Sender<Batch>,
    sets: Vec<(String, String, Option<String>)>,
) -> Verification {
    let mut state = ChainState::default();
    for batch in rx {
        for &(seq, set, f) in &batch.entries {
            // An entry whose change set is missing is skipped, as the join
            // of `audit::SELECT` skips it: the chain shows a gap there.
            let Some((at, actor, reason)) = set.and_then(|i| sets.get(i)) else {
                continue;
            };
            // NOT NULL columns read as NULL only after tampering: the hash
            // of an empty text does not match, so the entry is reported.
            let get = |i: usize| batch.field(f[i]);
            state.check(EntryRef {
                seq,
                at: at.as_bytes(),
                actor: actor.as_bytes(),
                reason: reason.as_deref().map(str::as_bytes),
                action: get(0).unwrap_or_default(),
                table_name: get(1).unwrap_or_default(),
                record_key: get(2).unwrap_or_default(),
                old_values: get(3),
                new_values: get(4),
                hash: get(5).unwrap_or_default(),
            });
        }
        recycle(batch, &back);
    }
    state.finish()
}

/// Hands a batch back to the reading thread once both threads are done
/// with it (no fresh pages to fault in for every batch).
fn recycle(batch: Arc<Batch>, back: &mpsc::Sender<Batch>) {
    if let Some(mut b) = Arc::into_inner(batch) {
        b.text.clear();
        b.entries.clear();
        let _ = back.send(b);
    }
}

/// Text that must be UTF-8 to be parsed or shown.
fn utf8(seq: i64, b: &[u8]) -> Result<&str, StoreError> {
    std::str::from_utf8(b)
        .map_err(|_| StoreError::Refused(format!("audit entry {seq}: text that is not UTF-8")))
}

/// The `new_values` of entry `seq`, read again.
fn values_of(db: &Db, seq: i64) -> Result<Option<String>, StoreError> {
    point_read(db, "new_values", seq)
}

/// One column of entry `seq`, read again.
fn point_read(db: &Db, column: &str, seq: i64) -> Result<Option<String>, StoreError> {
    let q = format!("SELECT {column} FROM audit_log WHERE seq = ?1");
    let mut stmt = db.conn.prepare_cached(&q).map_err(|e| db.err(e))?;
    let mut rows = stmt.query([seq]).map_err(|e| db.err(e))?;
    let Some(r) = rows.next().map_err(|e| db.err(e))? else {
        return Ok(None);
    };
    match field(db, seq, r.get_ref(0).map_err(|e| db.err(e))?)? {
        Some(b) => Ok(Some(utf8(seq, b)?.to_string())),
        None => Ok(None),
    }
}

/// The replay thread: appends every entry of a known table to its table's
/// events, in trail order; what the entries do is worked out per record
/// afterwards ([`fold`]).
fn collect_batches(
    digests: &Digests,
    rx: mpsc::Receiver<Arc<Batch>>,
    back: mpsc::Sender<Batch>,
) -> Trail {
    let tables: Vec<(&[u8], usize)> = Entity::ALL
        .iter()
        .map(|e| (e.spec().table.as_bytes(), *e as usize))
        .collect();
    let mut trail = Trail {
        events: vec![Vec::new(); Entity::ALL.len()],
        stopped: None,
    };
    // Entries come in long runs of one table: the last one is tried first.
    let mut last: Option<(&[u8], usize)> = None;
    for batch in rx {
        for &(seq, _, f) in &batch.entries {
            let get = |i: usize| batch.field(f[i]);
            let name = get(1).unwrap_or_default();
            let t = match last {
                Some((n, t)) if n == name => t,
                _ => match tables.iter().find(|(n, _)| *n == name) {
                    Some(&(n, t)) => {
                        last = Some((n, t));
                        t
                    }
                    // Entries of a table netra does not know are not replayed.
                    None => continue,
                },
            };
            let new = get(4);
            let (action, digest) = match (get(0).unwrap_or_default(), new) {
                (b"insert", Some(text)) => (INSERT, digests.value(text)),
                (b"insert", None) => (INSERT_EMPTY, 0),
                (b"update", _) => (UPDATE, 0),
                (b"delete", _) => (DELETE, 0),
                (other, _) => {
                    let other = String::from_utf8_lossy(other);
                    let reason = format!("audit entry {seq}: unknown action '{other}'");
                    trail.stopped = Some((seq, StoreError::Refused(reason)));
                    return trail;
                }
            };
            let key = digests.key(t, get(2).unwrap_or_default());
            trail.events[t].push(Event {
                key: key.with_low_byte(action),
                seq,
                digest,
            });
        }
        recycle(batch, &back);
    }
    trail
}

/// A record's state during [`replay_record`].
enum State {
    Absent,
    Inserted(Event),
    Texts(i64, Texts),
}

/// Applies the entries of one record (in trail order) as the replay entry
/// by entry does (`replay::replay_table` and the earlier map of this
/// module): an update starts from the insert's values, read again by
/// `seq`, or from nothing when the trail never created the record (itself
/// a difference, which then shows). An error comes with the `seq` of the
/// entry being applied.
fn replay_record(db: &Db, spec: &EntitySpec, events: &[Event]) -> Result<State, (i64, StoreError)> {
    let n = spec.columns.len();
    let mut state = State::Absent;
    for e in events {
        let at = |err: StoreError| (e.seq, err);
        state = match e.action() {
            INSERT => State::Inserted(*e),
            INSERT_EMPTY => State::Texts(e.seq, vec![None; n]),
            DELETE => State::Absent,
            _ => {
                let mut texts = match state {
                    State::Texts(_, t) => t,
                    State::Inserted(ins) => match values_of(db, ins.seq).map_err(at)? {
                        Some(text) => Replayed::Insert(text, ins.seq).texts(spec).map_err(at)?,
                        None => vec![None; n],
                    },
                    State::Absent => vec![None; n],
                };
                let new = values_of(db, e.seq).map_err(at)?;
                apply(spec, &mut texts, new.as_deref()).map_err(|reason| {
                    at(StoreError::Refused(format!(
                        "audit entry {}: {reason}",
                        e.seq
                    )))
                })?;
                State::Texts(e.seq, texts)
            }
        };
    }
    Ok(state)
}

/// Sorts table `t`'s events by record (then `seq`: trail order within a
/// record) and folds each record's entries into the state the trail
/// leaves. Records whose entries are inserts and deletes only (all of an
/// import's) need no reading; the others are replayed by
/// [`replay_record`]. Returns the first error in trail order, as the
/// replay entry by entry would meet it: each record's first failing
/// entry depends only on the record's earlier entries, so the smallest
/// such `seq` is the first failure of the whole trail.
fn fold(db: &Db, t: usize, mut events: Vec<Event>) -> (Folded, Option<(i64, StoreError)>) {
    let spec = Entity::ALL[t].spec();
    let table = t as u64;
    events.sort_unstable_by_key(|e| (e.record(), e.seq));
    let mut updated = Vec::new();
    let mut error: Option<(i64, StoreError)> = None;
    // The inserted records overwrite the events in place (at most one per
    // record, so never ahead of the reading position).
    let mut kept = 0;
    let mut i = 0;
    while i < events.len() {
        let record = events[i].record();
        let mut end = i + 1;
        while events.get(end).is_some_and(|e| e.record() == record) {
            end += 1;
        }
        let last = events[end - 1];
        let state = if events[i..end]
            .iter()
            .all(|e| matches!(e.action(), INSERT | DELETE))
        {
            match last.action() {
                INSERT => State::Inserted(last),
                _ => State::Absent,
            }
        } else {
            match replay_record(db, spec, &events[i..end]) {
                Ok(state) => state,
                Err((seq, e)) => {
                    if error.as_ref().is_none_or(|(s, _)| seq < *s) {
                        error = Some((seq, e));
                    }
                    State::Absent
                }
            }
        };
        match state {
            State::Inserted(e) => {
                events[kept] = Event {
                    key: e.key.with_low_byte(table),
                    ..e
                };
                kept += 1;
            }
            State::Texts(seq, texts) => updated.push((last.key.with_low_byte(table), seq, texts)),
            State::Absent => {}
        }
        i = end;
    }
    events.truncate(kept);
    let folded = Folded {
        inserted: events,
        updated,
    };
    (folded, error)
}

/// The pass over `audit_log`: batches of entries to the chain and replay
/// threads.
fn pass(
    db: &Db,
    sets: &HashMap<i64, usize>,
    to: &[mpsc::SyncSender<Arc<Batch>>],
    back: &mpsc::Receiver<Batch>,
) -> Result<(), StoreError> {
    let mut stmt = db
        .conn
        .prepare(
            "SELECT seq, change_set, action, table_name, record_key, old_values, new_values, \
             hash FROM audit_log ORDER BY seq",
        )
        .map_err(|e| db.err(e))?;
    let mut rows = stmt.query([]).map_err(|e| db.err(e))?;
    let fresh = || Batch {
        text: Vec::with_capacity(BATCH_TEXT + (1 << 16)),
        entries: Vec::with_capacity(BATCH),
    };
    let mut batch = fresh();
    let send = |batch: Batch| {
        let batch = Arc::new(batch);
        // A thread that stopped (on an error) is not waited for.
        to.iter().all(|tx| tx.send(Arc::clone(&batch)).is_ok())
    };
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let get = |i: usize| r.get_ref(i).map_err(|e| db.err(e));
        let ValueRef::Integer(seq) = get(0)? else {
            continue;
        };
        let set = match get(1)? {
            ValueRef::Integer(c) => sets.get(&c).copied(),
            _ => None,
        };
        let mut spans = [None; 6];
        for (i, span) in spans.iter_mut().enumerate() {
            *span = field(db, seq, get(i + 2)?)?.map(|t| {
                let start = batch.text.len();
                batch.text.extend_from_slice(t);
                (start, batch.text.len())
            });
        }
        batch.entries.push((seq, set, spans));
        if batch.entries.len() >= BATCH || batch.text.len() >= BATCH_TEXT {
            let next = back.try_recv().unwrap_or_else(|_| fresh());
            if !send(std::mem::replace(&mut batch, next)) {
                return Ok(());
            }
        }
    }
    if !batch.entries.is_empty() {
        send(batch);
    }
    Ok(())
}

/// Appends a stored value's canonical text (as [`crate::rows::push_text`]
/// renders the decoded value) without decoding it; `false` when the
/// stored type is not the column's (the row is then decoded and compared
/// the slow way).
fn raw_text(out: &mut Vec<u8>, kind: &Kind, v: ValueRef<'_>) -> bool {
    use std::io::Write as _;
    match (kind, v) {
        (Kind::Id | Kind::Text | Kind::Code(_) | Kind::Date, ValueRef::Text(b)) => {
            out.extend_from_slice(b);
            true
        }
        (Kind::Integer { .. }, ValueRef::Integer(n)) => write!(out, "{n}").is_ok(),
        (Kind::YesNo, ValueRef::Integer(n)) => {
            out.extend_from_slice(if n != 0 { b"yes" } else { b"no" });
            true
        }
        (Kind::Real { .. }, ValueRef::Real(x)) => write!(out, "{x}").is_ok(),
        _ => false,
    }
}

/// Renders a stored row's key text into `key` and its values JSON into
/// `json`, as [`json_key`] and [`crate::rows::json_of`] render its decoded
/// values; `false` when a value needs decoding first.
struct Render {
    key_positions: Vec<usize>,
    /// `"column":` of every column.
    names: Vec<Vec<u8>>,
    key: Vec<u8>,
    json: Vec<u8>,
    scratch: Vec<u8>,
}

impl Render {
    fn new(spec: &EntitySpec) -> Render {
        let names = spec
            .columns
            .iter()
            .map(|c| {
                let mut n = Vec::new();
                push_json_bytes(&mut n, c.name.as_bytes());
                n.push(b':');
                n
            })
            .collect();
        Render {
            key_positions: spec.key_positions(),
            names,
            key: Vec::new(),
            json: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The key JSON only.
    fn key(&mut self, spec: &EntitySpec, row: &rusqlite::Row<'_>) -> rusqlite::Result<bool> {
        self.scratch.clear();
        for (j, &p) in self.key_positions.iter().enumerate() {
            if j > 0 {
                self.scratch.push(SEP as u8);
            }
            match row.get_ref(p)? {
                // No value: an absent optional key part.
                ValueRef::Null => {}
                v => {
                    if !raw_text(&mut self.scratch, &spec.columns[p].kind, v) {
                        return Ok(false);
                    }
                }
            }
        }
        self.key.clear();
        self.key.push(b'[');
        for (i, part) in self.scratch.split(|b| *b == SEP as u8).enumerate() {
            if i > 0 {
                self.key.push(b',');
            }
            push_json_bytes(&mut self.key, part);
        }
        self.key.push(b']');
        Ok(true)
    }

    /// The key JSON and the values JSON.
    fn row(&mut self, spec: &EntitySpec, row: &rusqlite::Row<'_>) -> rusqlite::Result<bool> {
        if !self.key(spec, row)? {
            return Ok(false);
        }
        self.json.clear();
        self.json.push(b'{');
        let mut first = true;
        for (i, c) in spec.columns.iter().enumerate() {
            let v = row.get_ref(i)?;
            if matches!(v, ValueRef::Null | ValueRef::Text(b"")) {
                continue;
            }
            if !first {
                self.json.push(b',');
            }
            first = false;
            self.json.extend_from_slice(&self.names[i]);
            match (&c.kind, v) {
                (Kind::Id | Kind::Text | Kind::Code(_) | Kind::Date, ValueRef::Text(b)) => {
                    push_json_bytes(&mut self.json, b);
                }
                (kind, v) => {
                    // Numbers and yes/no: nothing to escape.
                    self.json.push(b'"');
                    if !raw_text(&mut self.json, kind, v) {
                        return Ok(false);
                    }
                    self.json.push(b'"');
                }
            }
        }
        self.json.push(b'}');
        Ok(true)
    }
}

/// The outcome of one table: records, differences, and the first
/// difference in key order.
#[derive(Default)]
struct TableCheck {
    records: u64,
    differences: u64,
    first: Option<(String, String)>,
}

impl TableCheck {
    fn note(&mut self, key: &str, reason: impl FnOnce() -> String) {
        self.differences += 1;
        if self.first.as_ref().is_none_or(|(k, _)| key < k.as_str()) {
            self.first = Some((key.to_string(), reason()));
        }
    }
}

/// Compares the stored rows of table `t` with the records its trail
/// leaves (`folded`).
///
/// First every row is rendered as the importer renders an insert's values
/// and reduced to (key digest, values digest); sorted, these are merged
/// with the sorted inserted records: a row whose record's only entry is
/// its insert, with the same values text, is equal. Rows that differ,
/// were updated, have no entry, or hold a value that needs decoding to be
/// rendered are then compared the slow way in a second walk of the table
/// (only after updates or changes without an entry), in table order, as
/// the row-by-row check does; last, when fewer rows matched than the
/// trail leaves, the records the table lacks are named.
fn check_table(
    db: &Db,
    digests: &Digests,
    folded: &Folded,
    t: usize,
) -> Result<TableCheck, StoreError> {
    let mut out = TableCheck::default();
    let (stored, unrendered) = stored_digests(db, digests, t, folded.live(), &mut out)?;
    let (mut matched, suspects) = merge(&stored, folded);
    let mut slow_keys = Vec::new();
    if unrendered || !suspects.is_empty() {
        matched += compare_slowly(db, digests, folded, t, &suspects, &mut slow_keys, &mut out)?;
    }
    if matched < folded.live() {
        slow_keys.sort_unstable();
        let present = |k: &Key| {
            stored.binary_search_by(|s| s.0.cmp(k)).is_ok() || slow_keys.binary_search(k).is_ok()
        };
        let gone = (folded.inserted.iter().map(|e| (e.key, e.seq)))
            .chain(folded.updated.iter().map(|(k, seq, _)| (*k, *seq)))
            .filter(|(k, _)| !present(k));
        for (_, seq) in gone {
            let key = point_read(db, "record_key", seq)?.unwrap_or_default();
            out.note(&key, || {
                "in the audit trail but not in the registry (removed without an audit entry)".into()
            });
        }
    }
    Ok(out)
}

/// Every stored row of table `t` as (key digest, values digest), sorted;
/// `true` with them when some row could not be rendered without decoding
/// (it is compared by [`compare_slowly`]). Counts the rows in `out`.
fn stored_digests(
    db: &Db,
    digests: &Digests,
    t: usize,
    live: u64,
    out: &mut TableCheck,
) -> Result<(Vec<(Key, u64)>, bool), StoreError> {
    let spec = Entity::ALL[t].spec();
    let q = format!("SELECT {} FROM {}", sql::column_list(spec), spec.table);
    let mut stmt = db.conn.prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = stmt.query([]).map_err(|e| db.err(e))?;
    let mut render = Render::new(spec);
    // As many rows as the trail leaves, unless the table was changed.
    let mut stored = Vec::with_capacity(live.min(1 << 26) as usize);
    let mut unrendered = false;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        out.records += 1;
        if render.row(spec, r).map_err(|e| db.err(e))? {
            let k = digests.key(t, &render.key);
            stored.push((k, digests.value(&render.json)));
        } else {
            unrendered = true;
        }
    }
    stored.sort_unstable_by_key(|s| s.0);
    Ok((stored, unrendered))
}

/// Merges the sorted stored digests with the sorted replayed records: the
/// rows equal to their record's insert (counted), and the keys of the
/// others (sorted), which need the slow comparison.
fn merge(stored: &[(Key, u64)], folded: &Folded) -> (u64, Vec<Key>) {
    let (mut ins, mut upd) = (
        folded.inserted.iter().peekable(),
        folded.updated.iter().peekable(),
    );
    let mut matched = 0;
    let mut suspects = Vec::new();
    for &(k, digest) in stored {
        while ins.next_if(|e| e.key < k).is_some() {}
        while upd.next_if(|u| u.0 < k).is_some() {}
        let updated = upd.peek().is_some_and(|u| u.0 == k);
        let equal = ins.peek().is_some_and(|e| e.key == k && e.digest == digest);
        if equal && !updated {
            matched += 1;
        } else {
            suspects.push(k);
        }
    }
    (matched, suspects)
}

/// The second walk of table `t`: each row that could not be rendered, or
/// whose key is among `suspects`, is decoded and compared column by
/// column as [`crate::replay`] does, looked up by the key of its decoded
/// values. Returns how many of them the trail has; the keys of the
/// unrendered rows go to `slow_keys`.
fn compare_slowly(
    db: &Db,
    digests: &Digests,
    folded: &Folded,
    t: usize,
    suspects: &[Key],
    slow_keys: &mut Vec<Key>,
    out: &mut TableCheck,
) -> Result<u64, StoreError> {
    let spec = Entity::ALL[t].spec();
    let q = format!("SELECT {} FROM {}", sql::column_list(spec), spec.table);
    let mut stmt = db.conn.prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = stmt.query([]).map_err(|e| db.err(e))?;
    let mut render = Render::new(spec);
    let (mut key, mut json) = (String::new(), String::new());
    let mut values: Vec<Value> = Vec::new();
    let mut matched = 0;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let rendered = render.row(spec, r).map_err(|e| db.err(e))?;
        if rendered
            && suspects
                .binary_search(&digests.key(t, &render.key))
                .is_err()
        {
            continue;
        }
        decode_into(spec, r, &mut values, db)?;
        json_key(&mut key, &key_of(spec, &values));
        let k = digests.key(t, key.as_bytes());
        if !rendered {
            slow_keys.push(k);
        }
        let problem = if let Some((_, _, texts)) = folded.updated(k) {
            matched += 1;
            difference(spec, &texts_of(&values), texts)
        } else if let Some(ins) = folded.inserted(k) {
            matched += 1;
            let replayed = match values_of(db, ins.seq)? {
                Some(text) => Replayed::Insert(text, ins.seq),
                None => Replayed::Texts(vec![None; spec.columns.len()]),
            };
            compare(spec, &values, replayed, &mut json)?
        } else {
            Some(
                "in the registry but not in the audit trail (added without an audit entry)"
                    .to_string(),
            )
        };
        if let Some(p) = problem {
            out.note(&key, || p);
        }
    }
    Ok(matched)
}

/// What became of one table: the first failure of its replay (with its
/// entry's `seq`), or its comparison.
#[derive(Default)]
struct TableOutcome {
    replay_error: Option<(i64, StoreError)>,
    check: Option<Result<TableCheck, StoreError>>,
}

/// Folds each table's events ([`fold`]) and compares the table with the
/// result ([`check_table`]), one table at a time per connection and
/// thread, the largest first. Errors come as the replay entry by entry
/// then the table comparison would give them: the first failing entry in
/// trail order (or the unknown action that stopped the trail), else the
/// first table's error.
fn check_tables(dbs: Vec<Db>, digests: &Digests, trail: Trail) -> Result<StateCheck, StoreError> {
    let Trail { events, stopped } = trail;
    let mut queue: Vec<(usize, Vec<Event>)> = events.into_iter().enumerate().collect();
    queue.sort_by_key(|(_, e)| e.len());
    let queue = Mutex::new(queue);
    let stopping = stopped.is_some();
    let results: Mutex<Vec<TableOutcome>> = Mutex::new(
        (0..Entity::ALL.len())
            .map(|_| TableOutcome::default())
            .collect(),
    );
    std::thread::scope(|s| {
        let workers: Vec<_> = dbs
            .into_iter()
            .map(|db| {
                let (queue, results) = (&queue, &results);
                s.spawn(move || {
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.pop());
                        let Some((t, events)) = next else {
                            return;
                        };
                        let (folded, replay_error) = fold(&db, t, events);
                        let check = (replay_error.is_none() && !stopping)
                            .then(|| check_table(&db, digests, &folded, t));
                        if let Ok(mut r) = results.lock() {
                            r[t] = TableOutcome {
                                replay_error,
                                check,
                            };
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| StoreError::Refused("a state check thread failed".into()))?;
        }
        Ok::<(), StoreError>(())
    })?;
    let results = results
        .into_inner()
        .map_err(|_| StoreError::Refused("a state check thread failed".into()))?;
    let first_failure = results
        .iter()
        .filter_map(|r| r.replay_error.as_ref().map(|(seq, _)| *seq))
        .min();
    let mut checks = Vec::new();
    for r in results {
        match r.replay_error {
            Some((seq, e)) if Some(seq) == first_failure => return Err(e),
            _ => checks.push(r.check),
        }
    }
    if let Some((_, e)) = stopped {
        return Err(e);
    }
    let mut out = StateCheck::default();
    for (entity, r) in Entity::ALL.into_iter().zip(checks) {
        let r = r.transpose()?.unwrap_or_default();
        out.records += r.records;
        out.differences += r.differences;
        if out.first.is_none()
            && let Some((key, reason)) = r.first
        {
            out.first = Some(StateProblem {
                table: entity.spec().table,
                key,
                reason,
            });
        }
    }
    Ok(out)
}

/// The change sets: their rows, and the row of each id.
type ChangeSets = (Vec<(String, String, Option<String>)>, HashMap<i64, usize>);

fn change_sets(db: &Db) -> Result<ChangeSets, StoreError> {
    let (mut sets, mut index) = (Vec::new(), HashMap::new());
    let mut stmt = db
        .conn
        .prepare("SELECT id, at, actor, reason FROM audit_change_set")
        .map_err(|e| db.err(e))?;
    let mut rows = stmt.query([]).map_err(|e| db.err(e))?;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        let ValueRef::Integer(id) = r.get_ref(0).map_err(|e| db.err(e))? else {
            continue;
        };
        let text = |i: usize| -> Result<Option<String>, StoreError> {
            let v = field(db, 0, r.get_ref(i).map_err(|e| db.err(e))?)?;
            Ok(v.map(|b| String::from_utf8_lossy(b).into_owned()))
        };
        index.insert(id, sets.len());
        sets.push((
            text(1)?.unwrap_or_default(),
            text(2)?.unwrap_or_default(),
            text(3)?,
        ));
    }
    Ok((sets, index))
}

/// Runs the chain check (`chain`) and the state check (`state`) on the
/// SQLite registry at `path`, from one pass over the trail, on one
/// snapshot (see the module documentation).
pub(crate) fn verify(path: &Path, chain: bool, state: bool) -> Result<Checks, StoreError> {
    // The replay thread reads inserts again on a connection of its own.
    let connections = if state { parallelism().max(2) } else { 1 };
    let mut dbs = Db::open_many(path, connections)?;
    let (sets, set_index) = if chain {
        change_sets(&dbs[0])?
    } else {
        Default::default()
    };
    let reader = dbs.remove(0);
    let digests = Digests::new();
    let (back_tx, back_rx) = mpsc::channel::<Batch>();
    let failed = || StoreError::Refused("an audit check thread failed".into());
    std::thread::scope(|s| {
        let mut to = Vec::new();
        let hasher = chain.then(|| {
            let (tx, rx) = mpsc::sync_channel::<Arc<Batch>>(2);
            to.push(tx);
            let back = back_tx.clone();
            s.spawn(move || hash_batches(rx, back, sets))
        });
        let replayer = (state && !dbs.is_empty()).then(|| {
            let db = dbs.remove(0);
            let (tx, rx) = mpsc::sync_channel::<Arc<Batch>>(2);
            to.push(tx);
            let (back, digests) = (back_tx.clone(), &digests);
            s.spawn(move || (db, collect_batches(digests, rx, back)))
        });
        let passed = pass(&reader, &set_index, &to, &back_rx);
        drop(to);
        // (The scope waits for the threads, which end with their input.)
        passed?;
        // The tables are compared while the chain thread may still hash.
        let state = match replayer {
            Some(r) => {
                let (db, trail) = r.join().map_err(|_| failed())?;
                let mut all = vec![reader, db];
                all.append(&mut dbs);
                Some(check_tables(all, &digests, trail)?)
            }
            None => None,
        };
        let chain = match hasher {
            Some(h) => Some(h.join().map_err(|_| failed())?),
            None => None,
        };
        Ok(Checks { chain, state })
    })
}
