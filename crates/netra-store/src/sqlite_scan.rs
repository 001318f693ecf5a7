//! Bulk reads of a SQLite registry through `rusqlite`: every course for
//! analyses ([`courses`]); the audit checks build on the same connections
//! ([`crate::sqlite_audit`]).
//!
//! Why not `sqlx`: through its `Any` pool each result row costs about
//! 4 µs of driver work (a worker thread, a channel, a copy of every value
//! into the `Any` layer) — 25 s for the 6.4 M records of a 10⁵-patient
//! registry, so the earlier loaders had SQLite aggregate rows into text
//! per patient and parse it back, which cost SQLite's `group_concat` and
//! still took 12.6 s. Here a plain `SELECT … ORDER BY <key>` is stepped on
//! a read-only connection to the same file and each value is read in
//! place (strings of the reused row buffer are overwritten, not
//! reallocated). `rusqlite` 0.32 links the same `libsqlite3-sys` as
//! `sqlx-sqlite`, so one SQLite library is in the binary.
//!
//! PostgreSQL keeps the `sqlx` paths ([`crate::query`], [`crate::replay`],
//! [`crate::audit_scan`]); the tests compare both on the same data.
//!
//! Consistency: when several connections read in parallel, each holds a
//! read transaction, and their snapshots are checked to be the same
//! ([`Db::open_many`]): every netra write appends audit entries in its own
//! transaction, so equal last `seq` means no netra write in between.

use std::path::Path;
use std::time::Duration;

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::{ModelError, Patient, PatientCourse};
use netra_clinical::registry::schema::{Entity, EntitySpec, Kind, Value};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use crate::StoreError;
use crate::db::Backend;
use crate::gather::Gather;
use crate::query::CourseFilter;
use crate::sql;

/// One read-only connection inside a read transaction (one snapshot).
pub(crate) struct Db {
    pub conn: Connection,
    name: String,
    /// The last audit entry's `seq` in this snapshot.
    pub head: Option<i64>,
}

impl Db {
    /// Opens `path` read-only and starts a read transaction.
    fn open(path: &Path) -> Result<Db, StoreError> {
        let name = path.display().to_string();
        let open_err = |e: rusqlite::Error| StoreError::Open {
            location: name.clone(),
            reason: e.to_string(),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(open_err)?;
        // 64 MB of page cache, as the pool's connections (db.rs).
        conn.execute_batch("PRAGMA cache_size = -65536; BEGIN")
            .map_err(open_err)?;
        Ok(Db {
            conn,
            name,
            head: None,
        })
    }

    /// `n` connections (at least one) on one snapshot: their read
    /// transactions all see the same last audit entry (see the module
    /// documentation); tried again while a writer commits in between.
    pub fn open_many(path: &Path, n: usize) -> Result<Vec<Db>, StoreError> {
        for _ in 0..20 {
            let mut dbs = Vec::new();
            let mut heads = Vec::new();
            for _ in 0..n.max(1) {
                let mut db = Db::open(path)?;
                // The first read fixes the transaction's snapshot.
                db.head = db
                    .conn
                    .query_row("SELECT MAX(seq) FROM audit_log", [], |r| r.get(0))
                    .map_err(|e| db.err(e))?;
                heads.push(db.head);
                dbs.push(db);
            }
            if heads.windows(2).all(|w| w[0] == w[1]) {
                return Ok(dbs);
            }
        }
        Err(StoreError::Refused(format!(
            "{}: the registry kept changing while it was being read; try again",
            path.display()
        )))
    }

    /// The file, for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A failed read, as a store error naming the file.
    pub fn err(&self, e: rusqlite::Error) -> StoreError {
        StoreError::Io {
            path: self.name.clone(),
            reason: format!("reading the registry: {e}"),
        }
    }
}

/// How many connections read in parallel: one per core, at most four
/// (SQLite and decoding scale with cores; more only adds memory).
pub(crate) fn parallelism() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

fn model_err(spec: &EntitySpec, column: &str, reason: String) -> StoreError {
    StoreError::Model(ModelError {
        table: spec.table,
        column: column.to_string(),
        reason,
    })
}

/// The type of a stored value, for messages.
fn type_name(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "NULL",
        ValueRef::Integer(_) => "an integer",
        ValueRef::Real(_) => "a real number",
        ValueRef::Text(_) => "text",
        ValueRef::Blob(_) => "a blob",
    }
}

/// A stored value as text (`None` for NULL); an error for non-text
/// values or text that is not UTF-8 (only a damaged or hand-edited file
/// holds them).
pub(crate) fn text_of<'a>(
    spec: &EntitySpec,
    column: &str,
    v: ValueRef<'a>,
) -> Result<Option<&'a str>, StoreError> {
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Text(b) => std::str::from_utf8(b)
            .map(Some)
            .map_err(|_| model_err(spec, column, "stored text is not UTF-8".into())),
        other => Err(model_err(
            spec,
            column,
            format!("stored {} where text is expected", type_name(other)),
        )),
    }
}

/// Stores `s` in `slot` as [`Value::Text`], reusing the slot's string.
fn set_text(slot: &mut Value, s: &str) {
    match slot {
        Value::Text(t) => {
            t.clear();
            t.push_str(s);
        }
        _ => *slot = Value::Text(s.to_string()),
    }
}

/// Decodes column `i` of `row` into `slot`, as [`crate::rows::decode_row`]
/// decodes it (empty text is no value).
fn decode_cell(
    spec: &EntitySpec,
    i: usize,
    v: ValueRef<'_>,
    slot: &mut Value,
) -> Result<(), StoreError> {
    let c = &spec.columns[i];
    match (&c.kind, v) {
        (_, ValueRef::Null) => *slot = Value::Null,
        (Kind::Id | Kind::Text | Kind::Code(_), v) => match text_of(spec, c.name, v)? {
            None | Some("") => *slot = Value::Null,
            Some(s) => set_text(slot, s),
        },
        (Kind::Date, v) => match text_of(spec, c.name, v)? {
            None | Some("") => *slot = Value::Null,
            Some(s) => {
                *slot =
                    Value::Date(s.parse::<PartialDate>().map_err(|e| {
                        model_err(spec, c.name, format!("stored date '{s}': {}", e.0))
                    })?)
            }
        },
        (Kind::Integer { .. }, ValueRef::Integer(n)) => *slot = Value::Int(n),
        (Kind::YesNo, ValueRef::Integer(n)) => *slot = Value::Bool(n != 0),
        (Kind::Real { .. }, ValueRef::Real(x)) => *slot = Value::Real(x),
        // SQLite may hand back an integral REAL as an integer.
        (Kind::Real { .. }, ValueRef::Integer(n)) => *slot = Value::Real(n as f64),
        (_, other) => {
            return Err(model_err(
                spec,
                c.name,
                format!("stored {} where a number is expected", type_name(other)),
            ));
        }
    }
    Ok(())
}

/// Decodes a row selected with [`sql::column_list`] into `out` (values in
/// schema column order), reusing `out`'s strings.
pub(crate) fn decode_into(
    spec: &EntitySpec,
    row: &rusqlite::Row<'_>,
    out: &mut Vec<Value>,
    db: &Db,
) -> Result<(), StoreError> {
    out.resize(spec.columns.len(), Value::Null);
    for (i, slot) in out.iter_mut().enumerate() {
        let v = row.get_ref(i).map_err(|e| db.err(e))?;
        decode_cell(spec, i, v, slot)?;
    }
    Ok(())
}

/// [`decode_into`] for a connection that is not a [`Db`] (errors as
/// [`StoreError::Sqlite`]).
pub(crate) fn decode_row_into(
    spec: &EntitySpec,
    row: &rusqlite::Row<'_>,
    out: &mut Vec<Value>,
) -> Result<(), StoreError> {
    out.resize(spec.columns.len(), Value::Null);
    for (i, slot) in out.iter_mut().enumerate() {
        let v = row.get_ref(i)?;
        decode_cell(spec, i, v, slot)?;
    }
    Ok(())
}

/// `SELECT <columns> FROM <table> WHERE <range> ORDER BY <key>`: a walk of
/// the table's primary key (the natural key, patient first), so rows come
/// grouped by patient in code order.
fn child_query(spec: &EntitySpec, range: &str) -> String {
    format!(
        "SELECT {} FROM {} WHERE {range} {}",
        sql::column_list(spec),
        spec.table,
        sql::order_by_key(spec, Backend::Sqlite)
    )
}

/// At most this many courses are filled patient by patient (one index
/// seek per patient and table) rather than by walking the code range.
const FEW: usize = 64;

/// Attaches every child row of the patients of `courses` (sorted by code;
/// `upper`, when given, is the first code after them) by merging each
/// table's key-ordered walk of their code range with the courses: no
/// lookup per row; each group of rows is moved into its course at its
/// exact size ([`Gather`]). A few courses (a filter) are read patient by
/// patient.
fn fill(db: &Db, courses: &mut [PatientCourse], upper: Option<&str>) -> Result<(), StoreError> {
    let Some(first) = courses.first() else {
        return Ok(());
    };
    let lower = first.patient.code.clone();
    let mut values: Vec<Value> = Vec::new();
    let mut gather = Gather::default();
    for entity in Entity::ALL.into_iter().filter(|e| *e > Entity::Patient) {
        let spec = entity.spec();
        let at = spec
            .position("patient")
            .ok_or_else(|| model_err(spec, "patient", "no patient column".into()))?;
        if courses.len() <= FEW {
            let mut stmt = db
                .conn
                .prepare(&child_query(spec, "patient = ?1"))
                .map_err(|e| db.err(e))?;
            for i in 0..courses.len() {
                let mut rows = stmt
                    .query([courses[i].patient.code.as_str()])
                    .map_err(|e| db.err(e))?;
                while let Some(r) = rows.next().map_err(|e| db.err(e))? {
                    decode_into(spec, r, &mut values, db)?;
                    gather.add(courses, i, entity, &values)?;
                }
            }
            gather.finish(courses, entity)?;
            continue;
        }
        let range = match upper {
            Some(_) => "patient >= ?1 AND patient < ?2",
            None => "patient >= ?1",
        };
        let mut stmt = db
            .conn
            .prepare(&child_query(spec, range))
            .map_err(|e| db.err(e))?;
        let mut rows = match upper {
            Some(u) => stmt.query([lower.as_str(), u]),
            None => stmt.query([lower.as_str()]),
        }
        .map_err(|e| db.err(e))?;
        let mut i = 0;
        while let Some(r) = rows.next().map_err(|e| db.err(e))? {
            let v = r.get_ref(at).map_err(|e| db.err(e))?;
            let code = text_of(spec, "patient", v)?.unwrap_or_default();
            while i < courses.len() && courses[i].patient.code.as_str() < code {
                i += 1;
            }
            let Some(course) = courses.get(i) else {
                // Past the last admitted patient: nothing more to attach.
                break;
            };
            if course.patient.code != code {
                continue;
            }
            decode_into(spec, r, &mut values, db)?;
            gather.add(courses, i, entity, &values)?;
        }
        gather.finish(courses, entity)?;
    }
    Ok(())
}

/// Patients per range of [`courses`] at least: below, a thread costs more
/// than it saves.
const RANGE: usize = 1024;

/// Every admitted patient's course, in patient-code order (byte-wise, as
/// [`crate::query::courses_by_patient`] orders them).
///
/// The patients are read first; the admitted ones are cut into ranges of
/// codes (one per core, at least [`RANGE`] patients each, or `range`
/// patients each when given), and the ranges
/// are filled by [`parallelism`] threads, each on its own connection, by
/// one ordered walk per table ([`fill`]). All connections read one
/// snapshot ([`Db::open_many`]).
pub(crate) fn courses(
    path: &Path,
    filter: &CourseFilter,
    range: Option<usize>,
) -> Result<Vec<PatientCourse>, StoreError> {
    let threads = parallelism();
    let dbs = Db::open_many(path, threads)?;
    let db = &dbs[0];
    let spec = Entity::Patient.spec();
    let mut out = Vec::new();
    {
        let q = format!(
            "SELECT {} FROM patient {}",
            sql::column_list(spec),
            sql::order_by_key(spec, Backend::Sqlite)
        );
        let mut stmt = db.conn.prepare(&q).map_err(|e| db.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| db.err(e))?;
        let mut values: Vec<Value> = Vec::new();
        while let Some(r) = rows.next().map_err(|e| db.err(e))? {
            decode_into(spec, r, &mut values, db)?;
            let p = Patient::from_row(&values)?;
            if filter.admits(&p) {
                out.push(PatientCourse::new(p));
            }
        }
    }
    let per = range
        .unwrap_or_else(|| out.len().div_ceil(threads).max(RANGE))
        .max(1);
    // Each range with the first code after it (its upper bound).
    let uppers: Vec<Option<String>> = (1..=out.len().div_ceil(per))
        .map(|k| out.get(k * per).map(|c| c.patient.code.clone()))
        .collect();
    let queue = std::sync::Mutex::new(out.chunks_mut(per).zip(&uppers).collect::<Vec<_>>());
    std::thread::scope(|s| {
        let workers: Vec<_> = dbs
            .into_iter()
            .map(|db| {
                let queue = &queue;
                s.spawn(move || -> Result<(), StoreError> {
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.pop());
                        let Some((range, upper)) = next else {
                            return Ok(());
                        };
                        fill(&db, range, upper.as_deref())?;
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| StoreError::Refused("a course reader thread failed".into()))??;
        }
        Ok::<(), StoreError>(())
    })?;
    Ok(out)
}

/// Runs a bulk read on tokio's blocking pool: it takes seconds on a large
/// registry, and the web server's workers must not wait on it.
pub(crate) async fn off_thread<T: Send + 'static>(
    read: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(read)
        .await
        .map_err(|_| StoreError::Refused("a registry reader thread failed".into()))?
}
