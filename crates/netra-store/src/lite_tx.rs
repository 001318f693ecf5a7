//! The write transaction of an import into a SQLite registry, on a
//! dedicated `rusqlite` connection instead of the `sqlx` pool (issue 18).
//!
//! Why: through `sqlx` every parameter of every insert is copied into an
//! owned argument, sent to the driver's worker thread, copied again by
//! SQLite and freed on the other thread, and each statement's text is
//! hashed to find its cached plan: about half of a fresh import's CPU was
//! that driver work (BENCHMARKS.md, "Registry import"). Here one
//! connection, opened with the pool's pragmas ([`crate::db::connect`]),
//! runs the whole import transaction — the head of the chain, the stored
//! rows, the checks against them, the inserts (cached single-row
//! statements bound straight from the bundle's cells), updates, digests
//! and the commit. The pool's other writers wait on their busy timeout
//! while it holds the write lock, exactly as they wait for a pooled
//! import; readers keep reading (WAL).
//!
//! `rusqlite` 0.32 links the same `libsqlite3-sys` as `sqlx-sqlite`: one
//! SQLite library in the binary ([`crate::sqlite_scan`]).
//!
//! PostgreSQL, imports that keep the registry in step with a source
//! ([`crate::sync`]) and imports with expectations keep the `sqlx` path;
//! `tests/lite_import.rs` compares both paths on the same bundles.
//!
//! **A first import** (a registry without any audit entry) whose pool has
//! no connection in use runs **alone, with a rollback journal** instead of
//! the WAL ([`first_import_alone`], [`LiteTx::begin`]): in WAL mode every
//! page is written twice, into the log and then by the checkpoint (at
//! 10⁵ patients 2.5 GB each, the commit's 7–15 s), while a rollback journal
//! keeps only the original content of the pages the transaction changes,
//! and the pages of an empty registry's new rows are beyond the file's
//! original end, so they are never journaled: each page is written once,
//! in place. The journal still makes the import all or nothing after a
//! crash (SQLite rolls a hot journal back on the next open). Leaving WAL
//! mode needs the only open connection on the file (each WAL connection
//! holds a shared lock for as long as it is open), so the pool's idle
//! connections are closed first; when anyone else has the file open the
//! switch fails and the import runs in WAL mode as before. The connection
//! then holds the file exclusively until the commit (`locking_mode =
//! EXCLUSIVE`: no reader or writer can slip in between the switch and the
//! transaction), the secondary indexes of the tables it fills are dropped
//! inside the transaction and created again, whole, before the commit
//! (sorting once instead of one B-tree insert per row), and WAL mode is
//! restored after the commit or rollback.

use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

use netra_clinical::registry::schema::{Entity, EntitySpec, Kind, Value};
use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, OpenFlags, Statement};
use sqlx::AnyPool;

use crate::StoreError;
use crate::check::Stored;
use crate::db::Backend;
use crate::sql;

/// How long an import waits for another writer, as the pool's
/// `busy_timeout` (db.rs).
const BUSY_WAIT: Duration = Duration::from_secs(30);

/// The audit trail's last entry (`seq`, hash), if any, and the last
/// change set id.
pub(crate) type Head = (Option<(i64, String)>, Option<i64>);

/// A write transaction (`BEGIN IMMEDIATE`) on its own connection.
pub(crate) struct LiteTx {
    /// `None` only while [`crate::lite_write`]'s writer thread holds it.
    conn: Option<Connection>,
    /// Set when the transaction runs alone with a rollback journal (a
    /// first import, see the module documentation): the secondary indexes
    /// dropped at its start, to create again before the commit.
    alone: Option<Vec<Index>>,
}

/// A secondary index (name and `CREATE INDEX` text, as `sqlite_schema`
/// keeps them).
type Index = (String, String);

/// The tables an import fills whose secondary indexes a first import
/// builds after its inserts: every registry table and the audit log.
fn filled_tables() -> Vec<&'static str> {
    let mut t: Vec<&'static str> = Entity::ALL.iter().map(|e| e.spec().table).collect();
    t.push("audit_log");
    t
}

/// Prepares a first import to run alone (see the module documentation):
/// true when the registry has no audit entry and every connection of the
/// pool was idle and is now closed, so that the import's own connection
/// may be the only one on the file. False leaves the pool as it is (or
/// with fewer idle connections, which it opens again when needed).
pub(crate) async fn first_import_alone(pool: &AnyPool) -> Result<bool, StoreError> {
    use sqlx::Connection as _;
    // A connection of the pool's own, closed after the question when the
    // answer is yes: one that is dropped goes back to the pool on a task
    // of its own, later.
    let mut conn = pool.acquire().await?;
    let entries: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT 1 FROM audit_log LIMIT 1)")
        .fetch_one(&mut *conn)
        .await?;
    if entries > 0 {
        return Ok(false);
    }
    conn.detach().close().await?;
    // Connections in use elsewhere in this process (a reader, a writer
    // waiting) are given a moment to come back, not awaited.
    let deadline = Instant::now() + Duration::from_millis(100);
    loop {
        while let Some(idle) = pool.try_acquire() {
            idle.detach().close().await?;
        }
        if pool.size() == 0 {
            return Ok(true);
        }
        if Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// A failed SQLite call, as a store error.
pub(crate) fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Sqlite(e)
}

/// The page cache of an import's connection, at most (the pool's
/// connections have 64 MiB): a large import then spills fewer dirty pages to
/// the WAL before its commit and reads fewer back (10⁵ patients: 62.1 →
/// 55.6 s of CPU, peak RSS +340 MB; BENCHMARKS.md, "Registry import").
/// SQLite allocates the cache as pages are used: small imports pay nothing.
/// An import block by block gives it half its memory budget at most.
pub(crate) const IMPORT_CACHE_BYTES: u64 = 512 << 20;

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

impl LiteTx {
    /// Opens the registry file `path` (it must exist: `netra init` made
    /// it and the pool is open on it) with the pool's pragmas and a page
    /// cache of `cache_bytes` ([`IMPORT_CACHE_BYTES`] at most), and takes
    /// the write lock. The lock is polled without SQLite's busy handler so that
    /// an async caller does not block its runtime while another writer of
    /// the same runtime finishes. With `alone` ([`first_import_alone`]
    /// said so) the transaction runs alone with a rollback journal if the
    /// file can leave WAL mode (see the module documentation).
    pub async fn begin(path: &Path, cache_bytes: u64, alone: bool) -> Result<LiteTx, StoreError> {
        let open_err = |e: rusqlite::Error| StoreError::Open {
            location: path.display().to_string(),
            reason: e.to_string(),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        // The file is in WAL mode already (the pool set it; it persists).
        let cache_kib = cache_bytes.min(IMPORT_CACHE_BYTES) / 1024;
        conn.execute_batch(&format!(
            "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -{cache_kib};"
        ))
        .map_err(open_err)?;
        conn.set_prepared_statement_cache_capacity(64);
        conn.busy_timeout(Duration::ZERO).map_err(err)?;
        let alone = alone && leave_wal(&conn)?;
        let deadline = Instant::now() + BUSY_WAIT;
        let mut pause = Duration::from_millis(1);
        loop {
            match conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => break,
                Err(e) if is_busy(&e) && Instant::now() < deadline => {
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                Err(e) => return Err(err(e)),
            }
        }
        conn.busy_timeout(BUSY_WAIT).map_err(err)?;
        let mut tx = LiteTx {
            conn: Some(conn),
            alone: None,
        };
        if alone {
            tx.alone = Some(tx.drop_indexes()?);
        }
        Ok(tx)
    }

    /// Drops the secondary indexes of the tables an import fills (inside
    /// the transaction: a rollback brings them back), returning them in
    /// `sqlite_schema` order.
    fn drop_indexes(&self) -> Result<Vec<Index>, StoreError> {
        let conn = self.conn();
        let tables = filled_tables();
        let mut st = conn
            .prepare(
                "SELECT name, tbl_name, sql FROM sqlite_schema \
                 WHERE type = 'index' AND sql IS NOT NULL ORDER BY rowid",
            )
            .map_err(err)?;
        let all = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(err)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(err)?;
        let mut dropped = Vec::new();
        for (name, table, sql) in all {
            if tables.contains(&table.as_str()) {
                conn.execute_batch(&format!("DROP INDEX \"{name}\""))
                    .map_err(err)?;
                dropped.push((name, sql));
            }
        }
        Ok(dropped)
    }

    /// The connection (always there outside [`LiteTx::lend`]).
    pub fn conn(&self) -> &Connection {
        self.conn
            .as_ref()
            .expect("the connection is back from the writer thread")
    }

    /// Hands the connection to another thread (`Connection` is `Send`,
    /// not `Sync`); [`LiteTx::give_back`] returns it.
    pub fn lend(&mut self) -> Connection {
        self.conn
            .take()
            .expect("the connection is lent once at a time")
    }

    /// Takes the connection back from [`LiteTx::lend`].
    pub fn give_back(&mut self, conn: Connection) {
        self.conn = Some(conn);
    }

    /// Commits and closes; a first import creates its indexes again
    /// first, and gives the file back to WAL mode after.
    pub fn commit(mut self) -> Result<(), StoreError> {
        let conn = self.conn();
        for (_, sql) in self.alone.iter().flatten() {
            conn.execute_batch(sql).map_err(err)?;
        }
        conn.execute_batch("COMMIT").map_err(err)?;
        // Committed: should WAL mode not come back here, the pool's next
        // connection sets it ([`crate::db::connect`]).
        let _ = self.back_to_wal();
        self.alone = None;
        Ok(())
    }

    /// Rolls back and closes (also what dropping does: closing a
    /// connection inside a transaction rolls it back).
    pub fn rollback(mut self) -> Result<(), StoreError> {
        let conn = self.conn();
        if !conn.is_autocommit() {
            // Else SQLite already rolled back (e.g. disk full).
            conn.execute_batch("ROLLBACK").map_err(err)?;
        }
        let _ = self.back_to_wal();
        self.alone = None;
        Ok(())
    }

    /// After a first import: WAL mode again, as the pool keeps the file.
    /// The exclusive lock is given up first (it is released at the next
    /// access in normal locking mode), so that the WAL index lives in the
    /// shared memory file the pool's connections use.
    fn back_to_wal(&self) -> Result<(), StoreError> {
        if self.alone.is_none() {
            return Ok(());
        }
        let conn = self.conn();
        let _: String = conn
            .query_row("PRAGMA locking_mode = NORMAL", [], |r| r.get(0))
            .map_err(err)?;
        let _: i64 = conn
            .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(err)?;
        let _: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        Ok(())
    }

    /// True when the transaction runs alone with a rollback journal (a
    /// first import).
    #[cfg(test)]
    pub fn is_alone(&self) -> bool {
        self.alone.is_some()
    }

    /// The audit head (last `seq` and hash, if any) and the last change
    /// set id.
    pub fn audit_head(&self) -> Result<Head, StoreError> {
        let conn = self.conn();
        let mut st = conn
            .prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .map_err(err)?;
        let mut rows = st.query([]).map_err(err)?;
        let head = match rows.next().map_err(err)? {
            Some(r) => Some((r.get::<_, i64>(0).map_err(err)?, r.get(1).map_err(err)?)),
            None => None,
        };
        let last: Option<i64> = conn
            .query_row("SELECT MAX(id) FROM audit_change_set", [], |r| r.get(0))
            .map_err(err)?;
        Ok((head, last))
    }

    /// Every `(name, value)` of `web_setting` whose name starts with
    /// `prefix`.
    pub fn settings(&self, prefix: &str) -> Result<Vec<(String, String)>, StoreError> {
        let mut st = self
            .conn()
            .prepare("SELECT name, value FROM web_setting WHERE name LIKE ?1")
            .map_err(err)?;
        let rows = st
            .query_map([format!("{prefix}%")], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(err)?;
        rows.collect::<Result<_, _>>().map_err(err)
    }

    /// Replaces the settings named `prefix…` by `values`.
    pub fn replace_settings(
        &self,
        prefix: &str,
        values: &[(String, String)],
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        conn.execute(
            "DELETE FROM web_setting WHERE name LIKE ?1",
            [format!("{prefix}%")],
        )
        .map_err(err)?;
        for (name, value) in values {
            conn.execute(
                "INSERT INTO web_setting (name, value) VALUES (?1, ?2)",
                [name, value],
            )
            .map_err(err)?;
        }
        Ok(())
    }

    /// Adds the stored rows of `entities` to `stored`; with `range`, only
    /// those whose patient code is in `[from, to)` (bytes order, as the
    /// blocks were cut).
    pub fn load_stored(
        &self,
        stored: &mut Stored,
        entities: &[Entity],
        range: Option<(Option<&str>, Option<&str>)>,
    ) -> Result<(), StoreError> {
        let (from, to) = range.unwrap_or((None, None));
        let mut conds: Vec<&str> = Vec::new();
        if from.is_some() {
            conds.push("patient >= ?");
        }
        if to.is_some() {
            conds.push("patient < ?");
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        let mut values: Vec<Value> = Vec::new();
        for &e in entities {
            let spec = e.spec();
            let q = format!(
                "SELECT {} FROM {}{filter}",
                sql::column_list(spec),
                spec.table
            );
            let mut st = self.conn().prepare(&q).map_err(err)?;
            let bounds: Vec<&str> = [from, to].into_iter().flatten().collect();
            let mut rows = st.query(rusqlite::params_from_iter(bounds)).map_err(err)?;
            while let Some(r) = rows.next().map_err(err)? {
                crate::sqlite_scan::decode_row_into(spec, r, &mut values)?;
                stored.add(e, &values);
            }
        }
        Ok(())
    }

    /// The stored rows of `entity` for one patient, in key order.
    pub fn rows_of_patient(
        &self,
        entity: Entity,
        code: &str,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        let spec = entity.spec();
        let q = format!(
            "SELECT {} FROM {} WHERE patient = ?1 {}",
            sql::column_list(spec),
            spec.table,
            sql::order_by_key(spec, Backend::Sqlite)
        );
        let mut st = self.conn().prepare_cached(&q).map_err(err)?;
        let mut rows = st.query([code]).map_err(err)?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(err)? {
            let mut values = Vec::new();
            crate::sqlite_scan::decode_row_into(spec, r, &mut values)?;
            out.push(values);
        }
        Ok(out)
    }

    /// The stored row of a key (values of the key columns in key order).
    pub fn fetch_by_key(
        &self,
        entity: Entity,
        key_values: &[Value],
    ) -> Result<Option<Vec<Value>>, StoreError> {
        let spec = entity.spec();
        let q = sql::select_by_key(spec);
        let mut st = self.conn().prepare_cached(&q).map_err(err)?;
        for (i, (k, v)) in spec.key.iter().zip(key_values).enumerate() {
            let c = spec.column(k).expect("key column");
            st.raw_bind_parameter(i + 1, bound(&c.kind, true, v))
                .map_err(err)?;
        }
        let mut rows = st.raw_query();
        match rows.next().map_err(err)? {
            Some(r) => {
                let mut values = Vec::new();
                crate::sqlite_scan::decode_row_into(spec, r, &mut values)?;
                Ok(Some(values))
            }
            None => Ok(None),
        }
    }

    /// Updates every non-key column of the stored row of `key_values` to
    /// `new` ([`sql::update`]'s parameters).
    pub fn update(
        &self,
        spec: &EntitySpec,
        new: &[Value],
        key_values: &[Value],
    ) -> Result<(), StoreError> {
        let mut st = self
            .conn()
            .prepare_cached(&sql::update(spec))
            .map_err(err)?;
        let mut p = 1;
        for (c, v) in spec.columns.iter().zip(new) {
            if !spec.key.contains(&c.name) {
                st.raw_bind_parameter(p, bound(&c.kind, false, v))
                    .map_err(err)?;
                p += 1;
            }
        }
        for (k, v) in spec.key.iter().zip(key_values) {
            let c = spec.column(k).expect("key column");
            st.raw_bind_parameter(p, bound(&c.kind, true, v))
                .map_err(err)?;
            p += 1;
        }
        st.raw_execute().map_err(err)?;
        Ok(())
    }

    /// Runs a batch here (the paths that do not pipeline).
    pub fn run(&self, batch: &Batch<'_>) -> Result<(), StoreError> {
        let mut stmts = Statements::default();
        stmts.run(self.conn(), batch)
    }
}

/// An import that stops on an error drops its transaction: the
/// connection's close rolls it back; a first import's file is given back
/// to WAL mode first (else the pool's next connection would, when it opens,
/// [`crate::db::connect`]).
impl Drop for LiteTx {
    fn drop(&mut self) {
        if self.alone.is_some()
            && let Some(conn) = &self.conn
        {
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            let _ = self.back_to_wal();
        }
    }
}

/// Takes the file out of WAL mode into a rollback journal, held
/// exclusively and synced fully (see the module documentation); false
/// (and nothing changed) when another connection has the file open.
fn leave_wal(conn: &Connection) -> Result<bool, StoreError> {
    // A first read opens the file's WAL, which the switch then closes.
    let _: i64 = conn
        .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(err)?;
    let mode: String = match conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0)) {
        Ok(m) => m,
        Err(e) if is_busy(&e) => return Ok(false),
        Err(e) => return Err(err(e)),
    };
    if mode != "delete" {
        return Ok(false);
    }
    // FULL: the journal is synced before the file is changed in place and
    // the file before the journal is deleted (a few syncs per import).
    conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; PRAGMA synchronous = FULL;")
        .map_err(err)?;
    Ok(true)
}

/// One value as [`crate::rows::bind`] binds it: NULLs stay NULL, except
/// an absent optional key part, bound as `''`.
fn bound<'v>(kind: &Kind, key: bool, v: &'v Value) -> ToSqlOutput<'v> {
    use rusqlite::types::{Value as Owned, ValueRef};
    match (kind, v) {
        (_, Value::Text(s)) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        (_, Value::Date(d)) => ToSqlOutput::Owned(Owned::Text(d.to_string())),
        (_, Value::Int(n)) => ToSqlOutput::Owned(Owned::Integer(*n)),
        (_, Value::Bool(b)) => ToSqlOutput::Owned(Owned::Integer(i64::from(*b))),
        (_, Value::Real(x)) => ToSqlOutput::Owned(Owned::Real(*x)),
        (Kind::Integer { .. } | Kind::YesNo | Kind::Real { .. }, Value::Null) => {
            ToSqlOutput::Owned(Owned::Null)
        }
        (_, Value::Null) if key => ToSqlOutput::Borrowed(ValueRef::Text(b"")),
        (_, Value::Null) => ToSqlOutput::Owned(Owned::Null),
    }
}

/// The statement of one row of a [`Batch`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stmt {
    /// A registry row of this entity (every column, schema order).
    Insert(Entity),
    /// An audit change set: id, at, actor, reason.
    ChangeSet,
    /// An audit entry: seq, change_set, action, table_name, record_key,
    /// old_values, new_values, hash.
    Entry,
}

impl Stmt {
    fn slot(self) -> usize {
        match self {
            Stmt::Insert(e) => e.index(),
            Stmt::ChangeSet => Entity::ALL.len(),
            Stmt::Entry => Entity::ALL.len() + 1,
        }
    }

    fn sql(self) -> String {
        match self {
            Stmt::Insert(e) => sql::insert(e.spec(), 1, Backend::Sqlite),
            Stmt::ChangeSet => {
                "INSERT INTO audit_change_set (id, at, actor, reason) VALUES (?, ?, ?, ?)".into()
            }
            Stmt::Entry => "INSERT INTO audit_log (seq, change_set, action, table_name, \
                            record_key, old_values, new_values, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                .into(),
        }
    }
}

/// One parameter of a batched row: a number, a text borrowed from the
/// bundle (no copy until SQLite's own) or a range of the batch's text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Null,
    Int(i64),
    Real(f64),
    Text(&'a str),
    Own(u32, u32),
}

/// Rows to insert, in order, with their parameters: what the producer
/// hands the writer thread. Owned texts (audit JSON, hashes) share one
/// buffer; batches go back to the producer to be reused.
#[derive(Default)]
pub(crate) struct Batch<'a> {
    rows: Vec<(Stmt, u32)>,
    cells: Vec<Cell<'a>>,
    text: String,
}

impl<'a> Batch<'a> {
    /// Rows queued.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// True when no row is queued.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        self.rows.clear();
        self.cells.clear();
        self.text.clear();
    }

    /// Starts a row of `stmt`; its cells follow.
    pub fn row(&mut self, stmt: Stmt) {
        self.rows.push((stmt, self.cells.len() as u32));
    }

    /// Adds a cell to the current row.
    pub fn cell(&mut self, c: Cell<'a>) {
        self.cells.push(c);
    }

    /// Adds a copy of `s` as a cell of the current row.
    pub fn own(&mut self, s: &str) {
        let start = self.text.len() as u32;
        self.text.push_str(s);
        self.cells.push(Cell::Own(start, self.text.len() as u32));
    }

    fn cells_of(&self, i: usize) -> &[Cell<'a>] {
        let start = self.rows[i].1 as usize;
        let end = self
            .rows
            .get(i + 1)
            .map_or(self.cells.len(), |r| r.1 as usize);
        &self.cells[start..end]
    }

    fn text_of(&self, r: Range<u32>) -> &str {
        &self.text[r.start as usize..r.end as usize]
    }
}

/// The prepared insert of each [`Stmt`], prepared on first use and kept
/// for the writer's whole run (no statement text hashed per row).
#[derive(Default)]
pub(crate) struct Statements<'c> {
    slots: Vec<Option<Statement<'c>>>,
}

impl<'c> Statements<'c> {
    /// Inserts every row of `batch`.
    pub fn run(&mut self, conn: &'c Connection, batch: &Batch<'_>) -> Result<(), StoreError> {
        use rusqlite::types::ValueRef;
        if self.slots.is_empty() {
            self.slots.resize_with(Entity::ALL.len() + 2, || None);
        }
        for i in 0..batch.rows.len() {
            let stmt = batch.rows[i].0;
            let slot = &mut self.slots[stmt.slot()];
            if slot.is_none() {
                *slot = Some(conn.prepare(&stmt.sql()).map_err(err)?);
            }
            let st = slot.as_mut().expect("prepared above");
            for (p, c) in batch.cells_of(i).iter().enumerate() {
                let v = match *c {
                    Cell::Null => ValueRef::Null,
                    Cell::Int(n) => ValueRef::Integer(n),
                    Cell::Real(x) => ValueRef::Real(x),
                    Cell::Text(s) => ValueRef::Text(s.as_bytes()),
                    Cell::Own(a, b) => ValueRef::Text(batch.text_of(a..b).as_bytes()),
                };
                st.raw_bind_parameter(p + 1, ToSqlOutput::Borrowed(v))
                    .map_err(err)?;
            }
            st.raw_execute().map_err(err)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Location;

    fn journal_mode(conn: &Connection) -> String {
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap()
    }

    fn index_names(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    /// A first import runs alone with a rollback journal and without the
    /// indexes of the tables it fills; the commit and the rollback both
    /// give the file back in WAL mode with every index, and the pool reads
    /// it again. A registry with a trail, or a pool connection in use,
    /// keeps the WAL.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_first_import_runs_alone_and_gives_the_wal_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("netra.db");
        let (reg, _) = crate::Registry::init(&Location::Sqlite(path.clone()))
            .await
            .unwrap();
        let pool = reg.pool.clone();
        let before = index_names(&Connection::open(&path).unwrap());
        assert!(before.contains(&"audit_log_record".to_string()));
        for commit in [false, true] {
            assert!(first_import_alone(&pool).await.unwrap());
            let tx = LiteTx::begin(&path, 1 << 20, true).await.unwrap();
            assert!(tx.is_alone());
            assert_eq!(journal_mode(tx.conn()), "delete");
            assert!(!path.with_extension("db-wal").exists());
            let left = index_names(tx.conn());
            assert!(!left.contains(&"audit_log_record".to_string()), "{left:?}");
            assert!(!left.contains(&"patient_site".to_string()), "{left:?}");
            tx.conn()
                .execute_batch(
                    "INSERT INTO audit_change_set (id, at, actor, reason) VALUES (1, 't', 'a', NULL)",
                )
                .unwrap();
            if commit {
                tx.commit().unwrap();
            } else {
                tx.rollback().unwrap();
            }
            let conn = Connection::open(&path).unwrap();
            assert_eq!(journal_mode(&conn), "wal");
            assert_eq!(index_names(&conn), before);
            let ok: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(ok, "ok");
            let sets: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_change_set")
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(sets, i64::from(commit));
        }
        // A connection of the pool in use: the WAL stays.
        let held = pool.acquire().await.unwrap();
        assert!(!first_import_alone(&pool).await.unwrap());
        drop(held);
        // Another connection on the file: the switch fails, the WAL stays.
        let other = Connection::open(&path).unwrap();
        let _: i64 = other
            .query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| r.get(0))
            .unwrap();
        assert!(first_import_alone(&pool).await.unwrap());
        let tx = LiteTx::begin(&path, 1 << 20, true).await.unwrap();
        assert!(!tx.is_alone());
        assert_eq!(journal_mode(tx.conn()), "wal");
        tx.rollback().unwrap();
        drop(other);
        reg.close().await;
    }
}
