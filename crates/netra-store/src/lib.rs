//! The NET registry's persistence: versioned schema, SQLite by default and
//! PostgreSQL by URL through one code path, bundle import and export with
//! precise errors, and a hash-chained audit trail.
//!
//! # Overview
//!
//! * [`Registry`] — the whole public API: [`Registry::init`] /
//!   [`Registry::open`] a database, [`Registry::import_bundle`] (one
//!   transaction, every problem reported, idempotent upsert, audit entries),
//!   [`Registry::export_bundle`], [`Registry::patient_course`],
//!   [`Registry::courses`] (every course for analyses), single-record
//!   [`Registry::save_records`] / [`Registry::delete_record_expecting`] for
//!   the web forms (with [`expect`]ations checked inside the write
//!   transaction), [`Registry::audit_log`], [`Registry::verify_audit`] (the
//!   chain) and [`Registry::verify_state`] (the tables against the replayed
//!   trail, [`replay`]).
//! * [`Bundle`] — a directory of CSV files (`docs/bundle-format.md`), or the
//!   flat survival CSV ([`flat`]).
//! * [`Problem`] — `file, line, column (name): reason (value '…')`.
//! * [`audit`] — the chain: `hash = SHA-256(prev_hash ‖ "\n" ‖ canonical)`.
//! * The web application's tables, as plain rows (its rules stay in
//!   `netra-server`): [`accounts`] (users, their sites, the security log),
//!   [`sessions`], [`settings`]; and [`sites`], the study and site reads of
//!   the surfaces.
//!
//! All SQL of netra lives in this crate; the other crates call the named
//! methods of [`Registry`] (`crates/netra-cli/tests/sql_in_store.rs`).
//!
//! Why `sqlx` with the `Any` driver: one set of queries runs on SQLite and
//! PostgreSQL (placeholders `$n`, portable types, see [`sql`]); it is async,
//! which the web application needs; and with `default-features = false` and
//! no compile-time query macros it builds without a database. The SQLite
//! driver bundles SQLite, so `netra init` needs nothing installed. The bulk
//! reads of a SQLite registry (every course, the audit checks) go through
//! `rusqlite` on the same SQLite library instead: `sqlx`'s per-row cost
//! made them take tens of seconds at 10⁵ patients (`sqlite_scan`,
//! `sqlite_audit`; BENCHMARKS.md).
//!
//! The database layout, the migrations, the audit chain and least privilege
//! on PostgreSQL are described in `docs/registry.md`.
#![deny(missing_docs)]

pub mod accounts;
pub mod audit;
mod audit_scan;
pub mod blocks;
pub mod bundle;
pub mod check;
mod check_lesions;
#[cfg(test)]
mod check_reference;
mod check_shards;
pub mod db;
pub mod error;
pub mod expect;
pub mod export;
pub mod federation;
pub mod flat;
mod gather;
pub mod import;
mod import_blocks;
mod lite_tx;
mod lite_write;
pub mod migrate;
pub mod omop_source;
mod pipe;
pub mod query;
pub mod replay;
mod rows;
pub mod sessions;
pub mod settings;
pub mod sites;
pub mod sql;
mod sqlite_audit;
mod sqlite_scan;
pub mod sync;
pub mod synthetic;
mod table_digest;
mod write_tx;

use std::path::Path;

use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::schema::{Entity, Value};
use sqlx::{AnyPool, Row};

pub use accounts::{Account, AccountChange, Event, NewAccount, NewEvent};
pub use audit::{Actor, AuditEntry, Verification};
pub use blocks::ImportBudget;
pub use bundle::Bundle;
pub use check::{validate_bundle, validate_bundle_noting};
pub use db::{Backend, Location};
pub use error::{Problem, Problems, StoreError};
pub use expect::{Expect, Expected, Otherwise};
pub use export::ExportReport;
pub use import::{EntityCounts, ImportOptions, ImportReport};
pub use query::CourseFilter;
pub use replay::{StateCheck, StateProblem};
pub use sessions::StoredSession;
pub use sites::SiteInfo;
pub use sync::{SourceRecord, SourceReport, SourceSync};

/// A unique-key violation of a guarded write (a writer that is not netra,
/// or a race the expectations did not cover) is the refusal of its first
/// [`Expected::Absent`] expectation rather than a database fault.
fn refuse_duplicate(e: StoreError, expects: &[Expect]) -> StoreError {
    let duplicate = matches!(&e, StoreError::Database(d)
        if d.as_database_error().is_some_and(|d| d.is_unique_violation()));
    match expects.iter().find(|x| x.state == Expected::Absent) {
        Some(x) if duplicate => match &x.otherwise {
            Otherwise::Refused(m) => StoreError::Refused(m.clone()),
            Otherwise::NotFound(m) => StoreError::NotFound(m.clone()),
        },
        _ => e,
    }
}

/// An open registry database.
#[derive(Debug, Clone)]
pub struct Registry {
    pool: AnyPool,
    location: Location,
}

/// Which audit entries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this table.
    pub table: Option<String>,
    /// Only this record (JSON array of its key, as stored).
    pub record_key: Option<String>,
    /// Only entries after this sequence number.
    pub after_seq: Option<i64>,
    /// At most this many (the most recent ones when `after_seq` is unset).
    pub limit: Option<i64>,
}

impl Registry {
    /// Creates the database if needed (SQLite file) and applies pending
    /// migrations. Safe to run again: it then only upgrades.
    pub async fn init(location: &Location) -> Result<(Registry, Vec<i64>), StoreError> {
        let pool = db::connect(location, true).await?;
        let ran = migrate::run(&pool, location.backend()).await?;
        Ok((
            Registry {
                pool,
                location: location.clone(),
            },
            ran,
        ))
    }

    /// Opens an existing registry; fails if it is not initialised or needs
    /// migrations (run `netra init` to upgrade).
    pub async fn open(location: &Location) -> Result<Registry, StoreError> {
        let pool = db::connect(location, false).await?;
        let status = migrate::status(&pool, location.backend()).await?;
        if status.applied.is_empty() {
            return Err(StoreError::Open {
                location: location.display(),
                reason: "not a netra registry (create one with `netra init`)".into(),
            });
        }
        if !status.pending.is_empty() {
            return Err(StoreError::Migration(format!(
                "the registry at {} needs schema migration(s) {:?}; run `netra init` to upgrade it",
                location.display(),
                status.pending
            )));
        }
        Ok(Registry {
            pool,
            location: location.clone(),
        })
    }

    /// Opens the registry at a `--db` text (see [`Location::resolve`]).
    pub async fn open_url(db: &str) -> Result<Registry, StoreError> {
        Registry::open(&Location::parse(db)).await
    }

    /// Where the registry is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.location.backend()
    }

    /// The connection pool, only for tests that must reach past the store
    /// on purpose (tampering with the audit trail, filling the disk,
    /// checking the file's integrity). All SQL lives in this crate: the
    /// other crates call the named methods of [`Registry`], and
    /// `crates/netra-cli/tests/architecture.rs` fails when their sources
    /// hold `sqlx::` or SQL text. Enabled by the `testing` feature, which
    /// only dev-dependencies turn on.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool (SQLite checkpoints its WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Imports a bundle in one transaction (or checks it, with `dry_run`).
    /// Any problem → [`StoreError::Invalid`] and nothing written.
    pub async fn import_bundle(
        &self,
        bundle: &Bundle,
        opts: &ImportOptions,
    ) -> Result<ImportReport, StoreError> {
        match self.lite_file() {
            Some(path) => import::import_lite(&self.pool, path, bundle, opts).await,
            None => import::import(&self.pool, self.backend(), bundle, opts, &[]).await,
        }
    }

    /// The SQLite file on which imports run their transaction through a
    /// `rusqlite` connection of their own ([`lite_tx`]); `None` for
    /// PostgreSQL.
    fn lite_file(&self) -> Option<&Path> {
        match &self.location {
            Location::Sqlite(p) => Some(p.as_path()),
            Location::Postgres(_) => None,
        }
    }

    /// [`Registry::import_bundle`] through the `sqlx` pool, as PostgreSQL
    /// imports (the path before `rusqlite` imports), for the tests that
    /// compare both.
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub async fn import_bundle_through_pool(
        &self,
        bundle: &Bundle,
        opts: &ImportOptions,
    ) -> Result<ImportReport, StoreError> {
        import::import(&self.pool, self.backend(), bundle, opts, &[]).await
    }

    /// [`Registry::import_dir`] through the `sqlx` pool (see
    /// [`Registry::import_bundle_through_pool`]).
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub async fn import_dir_through_pool(
        &self,
        dir: &Path,
        opts: &ImportOptions,
        budget: ImportBudget,
    ) -> Result<ImportReport, StoreError> {
        import_blocks::import_dir(&self.pool, self.backend(), None, dir, opts, budget).await
    }

    /// Imports the bundle directory `dir` as [`Registry::import_bundle`]
    /// does with [`Bundle::read_dir`] — same checks, problem messages,
    /// registry and audit entries (in another order: block by block), one
    /// transaction — holding only a block of the bundle at a time: the rows
    /// of a range of patient codes, sized from `budget`
    /// ([`blocks`], issue 18: a 10⁶-patient bundle within 4 GB).
    pub async fn import_dir(
        &self,
        dir: &Path,
        opts: &ImportOptions,
        budget: ImportBudget,
    ) -> Result<ImportReport, StoreError> {
        let lite = self.lite_file();
        import_blocks::import_dir(&self.pool, self.backend(), lite, dir, opts, budget).await
    }

    /// Imports a source's bundle (a REDCap project, a spreadsheet,
    /// converted by `netra-ingest`) in one transaction and keeps the
    /// registry in step with the source: the records this source created
    /// and its bundle no longer has are removed, one audit entry each
    /// ([`sync`]). Any problem → [`StoreError::Invalid`] and nothing
    /// written; with `dry_run` the report lists what would change.
    pub async fn import_from_source(
        &self,
        bundle: &Bundle,
        opts: &ImportOptions,
        source: &SourceSync,
    ) -> Result<SourceReport, StoreError> {
        self.import_from_source_expecting(bundle, opts, source, &[])
            .await
    }

    /// [`Registry::import_from_source`] if every expectation holds inside
    /// the write transaction: the web upload of a data manager's REDCap or
    /// spreadsheet files expects each patient it touches (or removes) to be
    /// still at a site of theirs.
    pub async fn import_from_source_expecting(
        &self,
        bundle: &Bundle,
        opts: &ImportOptions,
        source: &SourceSync,
        expects: &[Expect],
    ) -> Result<SourceReport, StoreError> {
        let (import, plan) = import::import_synced(
            &self.pool,
            self.backend(),
            None,
            bundle,
            opts,
            expects,
            Some(source),
        )
        .await
        .map_err(|e| refuse_duplicate(e, expects))?;
        let plan = plan.unwrap_or_default();
        Ok(SourceReport {
            import,
            removed: sync::records(&plan.removals),
            missing_kept: sync::records(&plan.missing_kept),
            not_created: plan.not_created,
        })
    }

    /// Reads a flat survival CSV and imports it; the study and site rows are
    /// added only when the site does not exist yet.
    pub async fn import_flat(
        &self,
        path: &Path,
        flat: &flat::FlatOptions,
        opts: &ImportOptions,
    ) -> Result<ImportReport, StoreError> {
        let mut f = flat.clone();
        f.create_site = !self.site_exists(&flat.site).await?;
        let bundle = flat::read_flat(path, &f)?;
        self.import_bundle(&bundle, opts).await
    }

    /// Writes every table as a bundle into `dir`.
    pub async fn export_bundle(&self, dir: &Path) -> Result<ExportReport, StoreError> {
        export::export(&self.pool, self.backend(), dir).await
    }

    /// One patient's whole course, or `None` for an unknown code.
    pub async fn patient_course(&self, code: &str) -> Result<Option<PatientCourse>, StoreError> {
        query::patient_course(&self.pool, self.backend(), code).await
    }

    /// Every admitted patient's course, in patient-code order: what endpoint
    /// derivation, lines of therapy and reports analyse. SQLite: ordered
    /// walks of each table through `rusqlite` ([`sqlite_scan`]);
    /// PostgreSQL: one result row per patient and table.
    pub async fn courses(&self, filter: &CourseFilter) -> Result<Vec<PatientCourse>, StoreError> {
        match &self.location {
            Location::Sqlite(path) => {
                let (path, filter) = (path.clone(), filter.clone());
                sqlite_scan::off_thread(move || sqlite_scan::courses(&path, &filter, None)).await
            }
            Location::Postgres(_) => {
                query::courses_by_patient(&self.pool, self.backend(), filter).await
            }
        }
    }

    /// [`Registry::courses`] with ranges of `patients` patients on SQLite
    /// (tests cut small registries into several ranges); PostgreSQL reads
    /// as [`Registry::courses`].
    #[doc(hidden)]
    pub async fn courses_paged(
        &self,
        filter: &CourseFilter,
        patients: usize,
    ) -> Result<Vec<PatientCourse>, StoreError> {
        match &self.location {
            Location::Sqlite(path) => {
                let (path, filter) = (path.clone(), filter.clone());
                sqlite_scan::off_thread(move || {
                    sqlite_scan::courses(&path, &filter, Some(patients))
                })
                .await
            }
            Location::Postgres(_) => self.courses(filter).await,
        }
    }

    /// Every course read through `sqlx` with one result row per patient and
    /// table, on either backend: the PostgreSQL path of
    /// [`Registry::courses`], which tests compare with the SQLite one.
    #[doc(hidden)]
    pub async fn courses_by_patient(
        &self,
        filter: &CourseFilter,
    ) -> Result<Vec<PatientCourse>, StoreError> {
        query::courses_by_patient(&self.pool, self.backend(), filter).await
    }

    /// One stored record of `entity` by its key (values of the key columns
    /// in key order; absent optional key parts as [`Value::Null`]), values in
    /// schema column order, or `None`. What the web forms edit.
    pub async fn record(
        &self,
        entity: Entity,
        key: &[Value],
    ) -> Result<Option<Vec<Value>>, StoreError> {
        let spec = entity.spec();
        if key.len() != spec.key.len() {
            return Err(StoreError::NotFound(format!(
                "a {} key has {} part(s), not {}",
                spec.table,
                spec.key.len(),
                key.len()
            )));
        }
        let mut tx = self.pool.begin().await?;
        let row = import::fetch_by_key(&mut tx, entity, key).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// One patient's records as stored, entity by entity (the patient row
    /// first, then each table below it in entity order, rows in key order),
    /// or `None` for an unknown code: what generic views of every column
    /// (the web pages' record tables) read.
    pub async fn patient_records(
        &self,
        code: &str,
    ) -> Result<Option<Vec<(Entity, Vec<Vec<Value>>)>>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let mut out = Vec::new();
        for entity in Entity::ALL.into_iter().filter(|e| *e >= Entity::Patient) {
            let spec = entity.spec();
            let q = format!(
                "SELECT {} FROM {} WHERE patient = $1 {}",
                sql::column_list(spec),
                spec.table,
                sql::order_by_key(spec, self.backend())
            );
            let rows = sqlx::query(&q).bind(code).fetch_all(&mut *tx).await?;
            if entity == Entity::Patient && rows.is_empty() {
                return Ok(None);
            }
            let decoded = rows
                .iter()
                .map(|r| rows::decode_row(spec, r))
                .collect::<Result<Vec<_>, _>>()?;
            out.push((entity, decoded));
        }
        tx.commit().await?;
        Ok(Some(out))
    }

    /// The registry's revision: the sequence number of the last audit entry
    /// (0 for an empty trail). Every change of a registry record appends an
    /// entry in the same transaction, so an unchanged revision means
    /// unchanged records: caches of derived data key on it.
    pub async fn revision(&self) -> Result<i64, StoreError> {
        let seq: Option<i64> = sqlx::query("SELECT MAX(seq) FROM audit_log")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(seq.unwrap_or(0))
    }

    /// Rows per table, in entity order.
    pub async fn counts(&self) -> Result<Vec<(Entity, i64)>, StoreError> {
        let mut out = Vec::new();
        for e in Entity::ALL {
            let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {}", e.spec().table))
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
            out.push((e, n));
        }
        Ok(out)
    }

    /// Inserts or updates records of one entity (values in schema column
    /// order) with the importer's checks and audit.
    pub async fn upsert_records(
        &self,
        entity: Entity,
        rows: &[Vec<Value>],
        actor: &Actor,
    ) -> Result<ImportReport, StoreError> {
        self.save_records(entity, rows, &[], actor).await
    }

    /// Writes records of one entity (values in schema column order) with
    /// the importer's checks and audit, if every expectation holds inside
    /// the write transaction ([`expect`]): the web forms' write path. A
    /// create expects its key [`Expected::Absent`], so of simultaneous
    /// creates of one record exactly one succeeds and the others are
    /// refused; an update expects the row it checked ([`Expected::Row`]).
    pub async fn save_records(
        &self,
        entity: Entity,
        rows: &[Vec<Value>],
        expects: &[Expect],
        actor: &Actor,
    ) -> Result<ImportReport, StoreError> {
        self.records_through_import(entity, rows, expects, actor, false)
            .await
    }

    /// Checks `rows` exactly as [`Registry::save_records`] would and writes
    /// nothing: a form can then show every problem of a submission at once
    /// (its own, such as a missing reason, with the importer's).
    pub async fn check_records(
        &self,
        entity: Entity,
        rows: &[Vec<Value>],
        expects: &[Expect],
        actor: &Actor,
    ) -> Result<ImportReport, StoreError> {
        self.records_through_import(entity, rows, expects, actor, true)
            .await
    }

    /// Writes the records of several entities (a treatment and its agents,
    /// an assessment and its lesions: values in schema column order) in one
    /// transaction with the importer's checks and audit, if every
    /// expectation holds: all of them or none. Problems name the entity's
    /// bundle file (`treatment_agents.csv`) and line `i + 2` for row `i`
    /// of its set, so that a form of several rows can point at the row.
    pub async fn save_record_sets(
        &self,
        sets: &[(Entity, Vec<Vec<Value>>)],
        expects: &[Expect],
        actor: &Actor,
    ) -> Result<ImportReport, StoreError> {
        self.sets_through_import(sets, expects, actor, false).await
    }

    /// Checks `sets` exactly as [`Registry::save_record_sets`] would and
    /// writes nothing.
    pub async fn check_record_sets(
        &self,
        sets: &[(Entity, Vec<Vec<Value>>)],
        expects: &[Expect],
        actor: &Actor,
    ) -> Result<ImportReport, StoreError> {
        self.sets_through_import(sets, expects, actor, true).await
    }

    /// Imports a bundle (or checks it, with `dry_run`) if every expectation
    /// holds inside the write transaction: the web upload of a data
    /// manager expects each patient it touches to be still at a site of
    /// theirs.
    pub async fn import_bundle_expecting(
        &self,
        bundle: &Bundle,
        opts: &ImportOptions,
        expects: &[Expect],
    ) -> Result<ImportReport, StoreError> {
        import::import(&self.pool, self.backend(), bundle, opts, expects)
            .await
            .map_err(|e| refuse_duplicate(e, expects))
    }

    async fn records_through_import(
        &self,
        entity: Entity,
        rows: &[Vec<Value>],
        expects: &[Expect],
        actor: &Actor,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        self.sets_through_import(&[(entity, rows.to_vec())], expects, actor, dry_run)
            .await
    }

    async fn sets_through_import(
        &self,
        sets: &[(Entity, Vec<Vec<Value>>)],
        expects: &[Expect],
        actor: &Actor,
        dry_run: bool,
    ) -> Result<ImportReport, StoreError> {
        let mut bundle = Bundle::new();
        let mut problems = Problems::default();
        for (entity, rows) in sets {
            let spec = entity.spec();
            let mut w = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            let io = |e: csv::Error| StoreError::io(spec.file, e);
            w.write_record(spec.columns.iter().map(|c| c.name))
                .map_err(io)?;
            for r in rows {
                w.write_record(r.iter().map(|v| v.to_text().unwrap_or_default()))
                    .map_err(io)?;
            }
            let bytes = w.into_inner().map_err(|e| StoreError::io(spec.file, e))?;
            bundle.add_file(*entity, spec.file, &bytes, &mut problems);
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        let opts = ImportOptions {
            actor: actor.clone(),
            dry_run,
        };
        import::import(&self.pool, self.backend(), &bundle, &opts, expects)
            .await
            .map_err(|e| refuse_duplicate(e, expects))
    }

    /// Deletes one record (key values in key order), recording its old
    /// values in the audit trail. Refused while other records refer to it.
    pub async fn delete_record(
        &self,
        entity: Entity,
        key: &[Value],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        self.delete_record_expecting(entity, key, &[], actor).await
    }

    /// [`Registry::delete_record`] if every expectation holds inside the
    /// write transaction (typically: the record is still exactly the one
    /// that was checked, [`Expected::Row`]).
    pub async fn delete_record_expecting(
        &self,
        entity: Entity,
        key: &[Value],
        expects: &[Expect],
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let spec = entity.spec();
        let mut tx = import::begin_write(&self.pool, self.backend()).await?;
        let mut audit = audit::AuditWriter::start(&mut tx, self.backend(), actor.clone()).await?;
        expect::check_all(&mut tx, expects).await?;
        let Some(old) = import::fetch_by_key(&mut tx, entity, key).await? else {
            return Err(StoreError::NotFound(format!(
                "no {} {}",
                check::entity_name(entity),
                key.iter()
                    .filter_map(Value::to_text)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let sql_text = format!("DELETE FROM {} WHERE {}", spec.table, sql::where_key(spec));
        let mut q = sqlx::query(&sql_text);
        for (k, v) in spec.key.iter().zip(key) {
            let c = spec.column(k).expect("key column");
            q = rows::bind(q, &c.kind, true, v);
        }
        if let Err(e) = q.execute(&mut *tx).await {
            let refused = e
                .as_database_error()
                .is_some_and(|d| d.is_foreign_key_violation());
            return Err(if refused {
                StoreError::Refused(format!(
                    "cannot delete {}: other records refer to it (delete them first)",
                    check::describe_record(entity, &check::key_of(spec, &old))
                ))
            } else {
                e.into()
            });
        }
        let k = check::key_of(spec, &old);
        let (mut key_json, mut old_json) = (String::new(), String::new());
        rows::json_key(&mut key_json, &k);
        rows::json_of(&mut old_json, spec, &old);
        audit.record(
            audit::Action::Delete,
            spec.table,
            &key_json,
            Some(&old_json),
            None,
        );
        crate::sync::forget(&mut tx, spec.table, &key_json).await?;
        audit.flush(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Audit entries in chain order.
    pub async fn audit_log(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql_text = format!("{} WHERE 1 = 1", audit::SELECT);
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if q.table.is_some() {
            sql_text.push_str(&format!(" AND l.table_name = {}", next()));
        }
        if q.record_key.is_some() {
            sql_text.push_str(&format!(" AND l.record_key = {}", next()));
        }
        if q.after_seq.is_some() {
            sql_text.push_str(&format!(" AND l.seq > {}", next()));
        }
        // The most recent `limit` entries unless paging forward.
        let newest_first = q.after_seq.is_none() && q.limit.is_some();
        sql_text.push_str(if newest_first {
            " ORDER BY l.seq DESC"
        } else {
            " ORDER BY l.seq"
        });
        if q.limit.is_some() {
            sql_text.push_str(&format!(" LIMIT {}", next()));
        }
        let mut query = sqlx::query(&sql_text);
        if let Some(t) = &q.table {
            query = query.bind(t.as_str());
        }
        if let Some(k) = &q.record_key {
            query = query.bind(k.as_str());
        }
        if let Some(s) = q.after_seq {
            query = query.bind(s);
        }
        if let Some(l) = q.limit {
            query = query.bind(l);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut out = rows
            .iter()
            .map(AuditEntry::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        if newest_first {
            out.reverse();
        }
        Ok(out)
    }

    /// Compares every registry record with what replaying the audit trail
    /// produces ([`replay`]): finds rows added, changed or removed without
    /// an audit entry (direct edits of the database), which the chain
    /// check cannot see.
    pub async fn verify_state(&self) -> Result<StateCheck, StoreError> {
        match self.sqlite_checks(false, true).await? {
            Some(c) => c
                .state
                .ok_or_else(|| StoreError::Refused("no state check".into())),
            None => replay::verify_state_by_row(&self.pool).await,
        }
    }

    /// [`Registry::verify_state`] through `sqlx` on either backend (one
    /// result row per entry and per record): the PostgreSQL path, which
    /// tests compare with the SQLite one.
    #[doc(hidden)]
    pub async fn verify_state_by_row(&self) -> Result<StateCheck, StoreError> {
        replay::verify_state_by_row(&self.pool).await
    }

    /// [`Registry::verify_audit`] and [`Registry::verify_state`] together,
    /// what `netra audit verify` runs: on SQLite from one pass over the
    /// trail, on one snapshot ([`sqlite_audit`]).
    pub async fn verify_audit_and_state(&self) -> Result<(Verification, StateCheck), StoreError> {
        match self.sqlite_checks(true, true).await? {
            Some(sqlite_audit::Checks {
                chain: Some(v),
                state: Some(s),
            }) => Ok((v, s)),
            Some(_) => Err(StoreError::Refused("an audit check did not run".into())),
            None => Ok((self.verify_audit().await?, self.verify_state().await?)),
        }
    }

    /// The one-pass checks of a SQLite registry, on a blocking thread;
    /// `None` on PostgreSQL.
    async fn sqlite_checks(
        &self,
        chain: bool,
        state: bool,
    ) -> Result<Option<sqlite_audit::Checks>, StoreError> {
        let Location::Sqlite(path) = &self.location else {
            return Ok(None);
        };
        let path = path.clone();
        sqlite_scan::off_thread(move || sqlite_audit::verify(&path, chain, state))
            .await
            .map(Some)
    }

    /// The last audit entry's sequence number and hash (`None` before the
    /// first change): record it outside the database to anchor the chain.
    pub async fn audit_head(&self) -> Result<Option<(i64, String)>, StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get(0)?, r.try_get(1)?)),
            None => None,
        })
    }

    /// The sequence number of the entry whose hash is `hash`, if the chain
    /// holds one: an anchor recorded earlier must still be in the chain
    /// (truncating the trail, or rewriting an entry and rehashing the rest,
    /// removes it).
    pub async fn audit_seq_of(&self, hash: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT seq FROM audit_log WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get(0)?),
            None => None,
        })
    }

    /// Checks the whole audit chain. SQLite: one pass through `rusqlite`
    /// ([`sqlite_audit`]); PostgreSQL: pages of entries rendered by the
    /// database ([`audit_scan`]); hashed on a second thread.
    pub async fn verify_audit(&self) -> Result<Verification, StoreError> {
        match self.sqlite_checks(true, false).await? {
            Some(c) => c
                .chain
                .ok_or_else(|| StoreError::Refused("no chain check".into())),
            None => audit_scan::verify(&self.pool, self.backend(), audit_scan::PAGE).await,
        }
    }

    /// The PostgreSQL path of [`Registry::verify_audit`] on either backend,
    /// with pages of `page` entries: tests compare it with the SQLite path
    /// and cross page boundaries with small pages.
    #[doc(hidden)]
    pub async fn verify_audit_paged(&self, page: i64) -> Result<Verification, StoreError> {
        audit_scan::verify(&self.pool, self.backend(), page.max(1)).await
    }
}
