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
//! * the replay thread keeps each record's state after the trail,
//!   compactly: a 128-bit digest of its table and key text and a 64-bit
//!   digest of its insert's values text with the entry's `seq` (32 bytes a
//!   record); only records that an update touched keep their column texts.
//!   Digests are SipHash with keys drawn at random for each check, so no
//!   stored text can be crafted to collide with another (odds 2⁻⁶⁴ per
//!   record).
//!
//! Then each table's stored rows are rendered as the importer renders an
//! insert's values ([`crate::rows::json_of`]) straight from the stored
//! values and compared by digest, one table per thread and core. Only a
//! record whose digest differs, that an update touched, or that has no
//! entry is decoded and compared column by column as [`crate::replay`]
//! does (its insert's text read again by `seq`), so the report is the
//! same; so is the one of records the trail has and the table lacks.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
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
/// position in [`Entity::ALL`] in the low byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key(u64, u64);

impl Key {
    fn table(self) -> usize {
        (self.1 & 0xff) as usize
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // Already a keyed hash: the map needs no other.
        h.write_u64(self.0);
    }
}

/// The hasher of [`KeyMap`]: passes [`Key`]'s first half through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type KeyMap<V> = HashMap<Key, V, BuildHasherDefault<PassThrough>>;

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

/// A record created by an insert and untouched since.
struct Inserted {
    /// Digest of the insert's values text.
    digest: u64,
    /// The insert's `seq` (its text is read again when needed).
    seq: i64,
}

/// The replayed trail: every record that it leaves in the registry.
#[derive(Default)]
struct Replay {
    inserted: KeyMap<Inserted>,
    /// Records an update touched (or inserted without values): the `seq`
    /// of their last entry and their column texts.
    updated: KeyMap<(i64, Texts)>,
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

/// The replay thread: applies every entry to the state of its record, as
/// `replay::replay_table` does.
fn replay_batches(
    db: &Db,
    digests: &Digests,
    rx: mpsc::Receiver<Arc<Batch>>,
    back: mpsc::Sender<Batch>,
) -> Result<Replay, StoreError> {
    let tables: Vec<(&[u8], usize)> = Entity::ALL
        .iter()
        .map(|e| (e.spec().table.as_bytes(), *e as usize))
        .collect();
    let mut out = Replay::default();
    // At most one record per entry: no rehashing of a growing map (capped
    // so that a tampered `seq` cannot ask for absurd memory).
    let entries = db.head.unwrap_or(0).clamp(0, 1 << 26) as usize;
    let _ = out.inserted.try_reserve(entries);
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
            let spec = Entity::ALL[t].spec();
            let k = digests.key(t, get(2).unwrap_or_default());
            let new = get(4);
            let n = spec.columns.len();
            let bad = |reason: String| StoreError::Refused(format!("audit entry {seq}: {reason}"));
            match get(0).unwrap_or_default() {
                b"insert" => {
                    out.updated.remove(&k);
                    match new {
                        Some(text) => {
                            let digest = digests.value(text);
                            out.inserted.insert(k, Inserted { digest, seq });
                        }
                        None => {
                            out.inserted.remove(&k);
                            out.updated.insert(k, (seq, vec![None; n]));
                        }
                    }
                }
                b"update" => {
                    // An update of a record the trail never created is
                    // itself a difference; start it empty so that it shows.
                    let mut texts = match out.updated.remove(&k) {
                        Some((_, t)) => t,
                        None => match out.inserted.remove(&k) {
                            Some(ins) => match values_of(db, ins.seq)? {
                                Some(text) => Replayed::Insert(text, ins.seq).texts(spec)?,
                                None => vec![None; n],
                            },
                            None => vec![None; n],
                        },
                    };
                    let new = new.map(|b| utf8(seq, b)).transpose()?;
                    apply(spec, &mut texts, new).map_err(bad)?;
                    out.updated.insert(k, (seq, texts));
                }
                b"delete" => {
                    out.inserted.remove(&k);
                    out.updated.remove(&k);
                }
                other => {
                    let other = String::from_utf8_lossy(other);
                    return Err(bad(format!("unknown action '{other}'")));
                }
            }
        }
        recycle(batch, &back);
    }
    Ok(out)
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

/// Compares the stored rows of table `t` with the replayed trail, which
/// leaves `live` records in it.
fn check_table(
    db: &Db,
    digests: &Digests,
    replay: &Replay,
    t: usize,
    live: u64,
) -> Result<TableCheck, StoreError> {
    let spec = Entity::ALL[t].spec();
    let mut out = TableCheck::default();
    let q = format!("SELECT {} FROM {}", sql::column_list(spec), spec.table);
    let mut stmt = db.conn.prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = stmt.query([]).map_err(|e| db.err(e))?;
    let mut render = Render::new(spec);
    let (mut key, mut json) = (String::new(), String::new());
    let mut values: Vec<Value> = Vec::new();
    // Records of the trail found in the table.
    let mut matched = 0u64;
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        out.records += 1;
        if render.row(spec, r).map_err(|e| db.err(e))? {
            let k = digests.key(t, &render.key);
            if (replay.updated.is_empty() || !replay.updated.contains_key(&k))
                && let Some(ins) = replay.inserted.get(&k)
                && ins.digest == digests.value(&render.json)
            {
                matched += 1;
                continue;
            }
        }
        // The slow way, as `replay` compares: decode, then look the record
        // up by the key of its decoded values.
        decode_into(spec, r, &mut values, db)?;
        json_key(&mut key, &key_of(spec, &values));
        let k = digests.key(t, key.as_bytes());
        let problem = if let Some((_, texts)) = replay.updated.get(&k) {
            matched += 1;
            difference(spec, &texts_of(&values), texts)
        } else if let Some(ins) = replay.inserted.get(&k) {
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
    if matched < live {
        missing(db, digests, replay, t, &mut out)?;
    }
    Ok(out)
}

/// Notes the records of table `t` that the trail has and the table lacks
/// (only after tampering: the table's keys are read again).
fn missing(
    db: &Db,
    digests: &Digests,
    replay: &Replay,
    t: usize,
    out: &mut TableCheck,
) -> Result<(), StoreError> {
    let spec = Entity::ALL[t].spec();
    let q = format!("SELECT {} FROM {}", sql::column_list(spec), spec.table);
    let mut stmt = db.conn.prepare(&q).map_err(|e| db.err(e))?;
    let mut rows = stmt.query([]).map_err(|e| db.err(e))?;
    let mut render = Render::new(spec);
    let mut stored: HashSet<Key, BuildHasherDefault<PassThrough>> = HashSet::default();
    let (mut key, mut values) = (String::new(), Vec::new());
    while let Some(r) = rows.next().map_err(|e| db.err(e))? {
        if render.key(spec, r).map_err(|e| db.err(e))? {
            stored.insert(digests.key(t, &render.key));
        } else {
            decode_into(spec, r, &mut values, db)?;
            json_key(&mut key, &key_of(spec, &values));
            stored.insert(digests.key(t, key.as_bytes()));
        }
    }
    let gone = (replay.inserted.iter().map(|(k, i)| (k, i.seq)))
        .chain(replay.updated.iter().map(|(k, (seq, _))| (k, *seq)))
        .filter(|(k, _)| k.table() == t && !stored.contains(k));
    for (_, seq) in gone {
        let key = point_read(db, "record_key", seq)?.unwrap_or_default();
        out.note(&key, || {
            "in the audit trail but not in the registry (removed without an audit entry)".into()
        });
    }
    Ok(())
}

/// Compares every table with the replayed trail, one table at a time per
/// connection and thread, the largest first.
fn check_tables(
    dbs: Vec<Db>,
    digests: &Digests,
    replay: &Replay,
) -> Result<StateCheck, StoreError> {
    let mut live = vec![0u64; Entity::ALL.len()];
    for k in replay.inserted.keys().chain(replay.updated.keys()) {
        if let Some(n) = live.get_mut(k.table()) {
            *n += 1;
        }
    }
    let mut queue: Vec<usize> = (0..Entity::ALL.len()).collect();
    queue.sort_by_key(|&t| live[t]);
    let queue = Mutex::new(queue);
    let results: Mutex<Vec<Option<TableCheck>>> =
        Mutex::new((0..Entity::ALL.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        let workers: Vec<_> = dbs
            .into_iter()
            .map(|db| {
                let (queue, results, live) = (&queue, &results, &live);
                s.spawn(move || -> Result<(), StoreError> {
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.pop());
                        let Some(t) = next else {
                            return Ok(());
                        };
                        let checked = check_table(&db, digests, replay, t, live[t])?;
                        if let Ok(mut r) = results.lock() {
                            r[t] = Some(checked);
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| StoreError::Refused("a state check thread failed".into()))??;
        }
        Ok::<(), StoreError>(())
    })?;
    let results = results
        .into_inner()
        .map_err(|_| StoreError::Refused("a state check thread failed".into()))?;
    let mut out = StateCheck::default();
    for (entity, r) in Entity::ALL.into_iter().zip(results) {
        let r = r.unwrap_or_default();
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
            s.spawn(move || {
                let replayed = replay_batches(&db, digests, rx, back);
                (db, replayed)
            })
        });
        let passed = pass(&reader, &set_index, &to, &back_rx);
        drop(to);
        // (The scope waits for the threads, which end with their input.)
        passed?;
        // The tables are compared while the chain thread may still hash.
        let state = match replayer {
            Some(r) => {
                let (db, replayed) = r.join().map_err(|_| failed())?;
                let replay = replayed?;
                let mut all = vec![reader, db];
                all.append(&mut dbs);
                Some(check_tables(all, &digests, &replay)?)
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
