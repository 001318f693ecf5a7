//! Importing a bundle: check everything against the registry, then write
//! every insert and update with its audit entry in one transaction.
//!
//! Upserts key on the natural key. A row equal to the stored one (compared
//! by digest of its canonical text) is skipped and leaves no audit entry, so
//! importing the same bundle twice changes nothing.

use std::collections::HashSet;

use netra_clinical::registry::rules;
use netra_clinical::registry::schema::{Entity, Value};
use sqlx::any::AnyArguments;
use sqlx::{Any, AnyPool, Arguments, Transaction};

use crate::audit::{Action, Actor, AuditWriter, Job};
use crate::bundle::Bundle;
use crate::check::{self, Checked, PatientLife, Stored, key_of};
use crate::db::Backend;
use crate::error::{Problem, Problems, StoreError};
use crate::expect::Expect;
use crate::pipe::Pipe;
use crate::rows::{bind, decode_row, json_diff, json_key};
use crate::sql;
use crate::sync::{Plan, SourceSync};
use crate::table_digest::{self, Digests, TableDigest};
use crate::write_tx::WriteTx;

/// How to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOptions {
    /// Who imports, and why (recorded in the audit trail).
    pub actor: Actor,
    /// Check only; write nothing.
    pub dry_run: bool,
}

/// What an import did (or, for a dry run, would do) to one entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityCounts {
    /// The entity.
    pub entity: Entity,
    /// Rows in the bundle.
    pub rows: usize,
    /// New records.
    pub inserted: usize,
    /// Changed records.
    pub updated: usize,
    /// Records already stored exactly so.
    pub unchanged: usize,
}

/// The outcome of an import.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportReport {
    /// Per entity present in the bundle, in entity order.
    pub entities: Vec<EntityCounts>,
    /// Audit entries written (0 for a dry run).
    pub audit_entries: u64,
    /// True when nothing was written.
    pub dry_run: bool,
    /// Wall-clock seconds of each phase (load, check, write, commit), for
    /// benchmarks and `netra import --timings`.
    pub phases: Vec<(&'static str, f64)>,
    /// What was imported but deserves a look (an adverse-event term that
    /// is not in netra's CTCAE v5.0 table, so its grade was not checked).
    pub flags: Vec<Problem>,
    /// Tables of the bundle found equal to the stored ones by their
    /// digests ([`crate::table_digest`]): their stored rows were neither
    /// loaded nor compared one by one.
    pub equal_by_digest: Vec<Entity>,
}

impl ImportReport {
    /// Inserted + updated over all entities.
    pub fn changes(&self) -> usize {
        self.entities.iter().map(|e| e.inserted + e.updated).sum()
    }
}

/// The entities whose stored rows the checks and the upsert need. A table
/// of the bundle in `skip` equals the stored one (its digest says so): the
/// bundle's rows stand for the stored rows, which need not be loaded.
pub(crate) fn needed(bundle: &Bundle, skip: &[bool]) -> Vec<Entity> {
    let covered = |e: Entity| skip[e.index()] && bundle.table(e).is_some();
    let mut set: HashSet<Entity> = HashSet::new();
    let mut add = |e: Entity| {
        if !covered(e) {
            set.insert(e);
        }
    };
    for (e, _) in bundle.counts() {
        add(e);
        for r in &e.spec().references {
            add(r.target);
        }
        if e > Entity::Patient {
            add(Entity::Patient);
        }
        // A re-dated assessment is checked against its stored lesions
        // (`check::moved_onto_stored_lesions`); an assessment table equal
        // to the stored one re-dates nothing.
        if e == Entity::Assessment && !covered(Entity::Assessment) {
            add(Entity::Lesion);
        }
    }
    let mut v: Vec<Entity> = set.into_iter().collect();
    v.sort();
    v
}

/// Adds what the registry holds of `entities` to `stored`.
pub(crate) async fn load_stored_into(
    tx: &mut WriteTx,
    backend: Backend,
    stored: &mut Stored,
    entities: &[Entity],
) -> Result<(), StoreError> {
    tx.load_stored(backend, stored, entities, None).await
}

/// The digest of every table of the bundle (see [`crate::table_digest`]).
pub(crate) fn bundle_digests(bundle: &Bundle) -> Digests {
    let mut out: Digests = vec![None; Entity::ALL.len()];
    let mut canon = CanonicalRow::default();
    for entity in Entity::ALL {
        let Some(t) = bundle.table(entity) else {
            continue;
        };
        let spec = entity.spec();
        let cols = t.columns();
        let mut d = TableDigest::default();
        for row in 0..t.n_rows() {
            canon.fill(spec, &cols, row);
            d.add(&canon.digest());
        }
        out[entity.index()] = Some(d);
    }
    out
}

/// Checks the bundle against `stored` while another thread computes the
/// bundle's table digests (the second core is idle during the checks).
pub(crate) fn check_and_digest(bundle: &Bundle, stored: &Stored) -> (Checked, Problems, Digests) {
    std::thread::scope(|s| {
        let digests = s.spawn(|| bundle_digests(bundle));
        let (checked, problems) = check::check(bundle, stored);
        let digests = digests
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (checked, problems, digests)
    })
}

/// Stored children of patients whose birth, death or vital status the
/// bundle changes must still fit the new life span.
pub(crate) async fn check_stored_children(
    tx: &mut WriteTx,
    backend: Backend,
    bundle: &Bundle,
    checked: &Checked,
    stored: &Stored,
    problems: &mut Problems,
) -> Result<(), StoreError> {
    let Some(pt) = bundle.table(Entity::Patient) else {
        return Ok(());
    };
    let mut changed: Vec<(&String, PatientLife, u32)> = checked
        .life
        .iter()
        .filter_map(|(code, (life, row))| match stored.life.get(code) {
            Some(old) if old != life => Some((code, *life, *row)),
            _ => None,
        })
        .collect();
    changed.sort_by_key(|c| c.2);
    for (code, life, row) in changed {
        for e in Entity::ALL.into_iter().filter(|e| *e > Entity::Patient) {
            let spec = e.spec();
            for values in tx.rows_of_patient(backend, e, code).await? {
                let key = key_of(spec, &values);
                if checked.keys[e.index()].contains_key(&key) {
                    continue; // replaced by the bundle, checked there
                }
                for v in rules::check_against_patient(e, &values, life.life, life.dead) {
                    problems.push(Problem {
                        file: pt.name.clone(),
                        line: Some(pt.line(row as usize)),
                        column_number: None,
                        column: None,
                        value: None,
                        reason: format!(
                            "conflicts with the registry's {}: {} {}",
                            check::describe_record(e, &key),
                            v.column,
                            v.reason
                        ),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Begins a write transaction. SQLite takes the write lock at once
/// (`BEGIN IMMEDIATE`) so that the state checked is the state written to.
pub(crate) async fn begin_write(
    pool: &AnyPool,
    backend: Backend,
) -> Result<Transaction<'static, Any>, StoreError> {
    Ok(match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    })
}

/// Imports `bundle` (see the module documentation).
pub(crate) async fn import(
    pool: &AnyPool,
    backend: Backend,
    bundle: &Bundle,
    opts: &ImportOptions,
    expects: &[Expect],
) -> Result<ImportReport, StoreError> {
    import_synced(pool, backend, None, bundle, opts, expects, None)
        .await
        .map(|(r, _)| r)
}

/// [`import`] on a `rusqlite` connection of its own to the SQLite file
/// `path` ([`crate::lite_tx`]); the same outcome.
pub(crate) async fn import_lite(
    pool: &AnyPool,
    path: &std::path::Path,
    bundle: &Bundle,
    opts: &ImportOptions,
) -> Result<ImportReport, StoreError> {
    import_synced(pool, Backend::Sqlite, Some(path), bundle, opts, &[], None)
        .await
        .map(|(r, _)| r)
}

/// Imports `bundle`, and with `sync` keeps the registry in step with the
/// source in the same transaction ([`crate::sync`]). With `lite` (a
/// SQLite file) the transaction runs on a `rusqlite` connection of its own
/// (not with `sync` or `expects`, which need the pool's).
pub(crate) async fn import_synced(
    pool: &AnyPool,
    backend: Backend,
    lite: Option<&std::path::Path>,
    bundle: &Bundle,
    opts: &ImportOptions,
    expects: &[Expect],
    sync: Option<&SourceSync>,
) -> Result<(ImportReport, Option<Plan>), StoreError> {
    let lite = lite
        .filter(|_| sync.is_none() && expects.is_empty())
        .map(|path| (path, crate::lite_tx::IMPORT_CACHE_BYTES));
    let tx = WriteTx::begin(pool, backend, lite).await?;
    import_in(tx, backend, bundle, opts, expects, sync).await
}

/// The passes that undo the assumption of equal tables.
#[derive(Clone, Copy)]
enum Pass {
    /// Tables whose digest differs from the stored one.
    Differing,
    /// Every table, when the checks found problems.
    Problems,
}

/// [`import_synced`] in the write transaction `tx`.
async fn import_in(
    mut tx: WriteTx,
    backend: Backend,
    bundle: &Bundle,
    opts: &ImportOptions,
    expects: &[Expect],
    sync: Option<&SourceSync>,
) -> Result<(ImportReport, Option<Plan>), StoreError> {
    let mut clock = std::time::Instant::now();
    let mut phases: Vec<(&'static str, f64)> = Vec::new();
    let mut lap = |name: &'static str| {
        phases.push((name, clock.elapsed().as_secs_f64()));
        clock = std::time::Instant::now();
    };
    let mut audit = AuditWriter::start_tx(&mut tx, backend, opts.actor.clone()).await?;
    // After the writer lock: what is checked here stays so until the commit.
    if !expects.is_empty()
        && let Err(e) = crate::expect::check_all(tx.sqlx()?, expects).await
    {
        tx.rollback().await?;
        return Err(e);
    }
    // Tables of the bundle whose stored digest is current and has as many
    // rows: most likely equal to the stored table (a re-import), so their
    // stored rows are not loaded. Checked below against the bundle's own
    // digests; on any difference everything is loaded and checked again.
    let saved: Digests = match sync {
        None => {
            let (seq, hash) = audit.head();
            let hash = hash.to_string();
            table_digest::load_tx(&mut tx, (seq, &hash)).await?
        }
        // Removals need every stored key of the patient tables.
        Some(_) => vec![None; Entity::ALL.len()],
    };
    let mut skip: Vec<bool> = vec![false; Entity::ALL.len()];
    for (e, n) in bundle.counts() {
        skip[e.index()] = saved[e.index()].is_some_and(|d| d.rows == n as u64);
    }
    let mut entities = needed(bundle, &skip);
    if sync.is_some() {
        entities = Entity::ALL.to_vec();
    }
    let mut stored = Stored::default();
    load_stored_into(&mut tx, backend, &mut stored, &entities).await?;
    lap("load stored keys");
    let (mut checked, mut problems, bundle_digests) = check_and_digest(bundle, &stored);
    // A table that differs after all is loaded, and the checks run again;
    // with problems, against every stored row (the messages then name what
    // the registry holds exactly as without digests).
    for pass in [Pass::Differing, Pass::Problems] {
        let before = skip.clone();
        for e in Entity::ALL {
            let i = e.index();
            match pass {
                Pass::Differing if bundle_digests[i] != saved[i] => skip[i] = false,
                Pass::Problems if !problems.is_empty() => skip[i] = false,
                _ => {}
            }
        }
        if skip == before {
            continue;
        }
        let more: Vec<Entity> = needed(bundle, &skip)
            .into_iter()
            .filter(|e| !entities.contains(e))
            .collect();
        load_stored_into(&mut tx, backend, &mut stored, &more).await?;
        entities.extend(more);
        (checked, problems) = check::check(bundle, &stored);
    }
    check_stored_children(&mut tx, backend, bundle, &checked, &stored, &mut problems).await?;
    let plan = match sync {
        Some(s) if problems.is_empty() => {
            let (plan, more) = crate::sync::plan(tx.sqlx()?, backend, bundle, &stored, s).await?;
            problems.list.extend(more.list);
            Some(plan)
        }
        _ => None,
    };
    lap("check");
    if !problems.is_empty() {
        tx.rollback().await?;
        return Err(StoreError::Invalid(problems));
    }
    let mut report = ImportReport {
        entities: Vec::new(),
        audit_entries: 0,
        dry_run: opts.dry_run,
        phases: Vec::new(),
        flags: std::mem::take(&mut checked.flags),
        equal_by_digest: Entity::ALL
            .into_iter()
            .filter(|e| skip[e.index()])
            .collect(),
    };
    let (counts, updates, matched) = write_inserts(
        &mut tx,
        backend,
        &mut audit,
        bundle,
        &stored,
        &skip,
        opts.dry_run,
    )
    .await?;
    report.entities = counts;
    if !opts.dry_run {
        let mut scratch = Scratch::default();
        let mut vals: Vec<Value> = Vec::new();
        for (entity, row) in updates {
            let t = bundle.table(entity).expect("table of an update");
            let cols = t.columns();
            t.parse_row(&cols, row, &mut vals, None);
            let key = key_of(entity.spec(), &vals);
            update_row(&mut tx, &mut audit, entity, &key, &vals, &mut scratch).await?;
        }
        if let Some(p) = &plan {
            crate::sync::remove(tx.sqlx()?, &mut audit, p).await?;
        }
    }
    if opts.dry_run {
        tx.rollback().await?;
        lap("classify");
        report.phases = phases;
        return Ok((report, plan));
    }
    audit.flush_tx(&mut tx).await?;
    report.audit_entries = audit.written;
    // A synced import stores no digests and needs not touch them: the
    // digests kept are bound to the audit head, which its entries move, so
    // the next import compares rows. (The import role of a synced source
    // then needs no grant on `web_setting`.)
    if sync.is_none() {
        let digests = final_digests(
            bundle,
            &stored,
            &entities,
            &skip,
            &saved,
            &bundle_digests,
            &matched,
        );
        if digests != saved || audit.written > 0 {
            let (seq, hash) = audit.head();
            let hash = hash.to_string();
            table_digest::store_tx(&mut tx, &digests, (seq, &hash)).await?;
        }
    }
    if let (Some(p), Some(s)) = (&plan, sync) {
        crate::sync::remember(tx.sqlx()?, p, &s.source, audit.change_set()).await?;
    }
    lap("write");
    tx.commit().await?;
    lap("commit");
    report.phases = phases;
    Ok((report, plan))
}

/// The digest of every table after the import: a table of the bundle
/// compared row by row is what was stored, less the rows the bundle
/// replaced (`matched`), plus the bundle's rows; a table loaded whole is
/// known; another keeps its digest if it had a current one.
fn final_digests(
    bundle: &Bundle,
    stored: &Stored,
    loaded: &[Entity],
    skip: &[bool],
    saved: &Digests,
    bundle_digests: &Digests,
    matched: &Digests,
) -> Digests {
    Entity::ALL
        .iter()
        .map(|&e| {
            let i = e.index();
            let stored_total = || {
                let mut d = TableDigest::default();
                for v in stored.keys[i].values() {
                    d.add(v);
                }
                d
            };
            match bundle.table(e) {
                Some(_) if skip[i] => saved[i],
                Some(_) => {
                    let mut d = stored_total();
                    d.remove(&matched[i].unwrap_or_default());
                    d.merge(&bundle_digests[i].unwrap_or_default());
                    Some(d)
                }
                None if loaded.contains(&e) => Some(stored_total()),
                None => saved[i],
            }
        })
        .collect()
}

/// Reusable text buffers of the write pass.
#[derive(Default)]
pub(crate) struct Scratch {
    pub(crate) key: String,
    pub(crate) old: String,
    pub(crate) new: String,
}

/// The canonical texts of one bundle row, computed from its cells without
/// parsing into values (the row was validated by the checks): the same
/// texts [`Value::to_text`] gives, in one reusable buffer.
#[derive(Default)]
pub(crate) struct CanonicalRow {
    text: String,
    ranges: Vec<Option<std::ops::Range<usize>>>,
}

impl CanonicalRow {
    pub(crate) fn fill(
        &mut self,
        spec: &netra_clinical::registry::EntitySpec,
        cols: &[Option<netra_frame::Column<'_>>],
        row: usize,
    ) {
        use netra_clinical::registry::Kind;
        use std::fmt::Write as _;
        self.text.clear();
        self.ranges.clear();
        for (i, c) in spec.columns.iter().enumerate() {
            let Some(t) = cols[i].and_then(|col| col.text(row)) else {
                self.ranges.push(None);
                continue;
            };
            let start = self.text.len();
            match &c.kind {
                Kind::Integer { .. } => {
                    let _ = write!(self.text, "{}", t.parse::<i64>().unwrap_or_default());
                }
                Kind::Real { .. } => {
                    let x = t.parse::<f64>().unwrap_or_default();
                    let _ = write!(self.text, "{}", if x == 0.0 { 0.0 } else { x });
                }
                _ => self.text.push_str(t),
            }
            self.ranges.push(Some(start..self.text.len()));
        }
    }

    fn get(&self, i: usize) -> Option<&str> {
        self.ranges[i].clone().map(|r| &self.text[r])
    }

    pub(crate) fn key(&self, key_pos: &[usize], out: &mut String) {
        out.clear();
        for (n, &i) in key_pos.iter().enumerate() {
            if n > 0 {
                out.push(check::SEP);
            }
            out.push_str(self.get(i).unwrap_or_default());
        }
    }

    pub(crate) fn digest(&self) -> check::Digest {
        check::digest_texts((0..self.ranges.len()).map(|i| self.get(i)))
    }

    /// The row's JSON object as [`CanonicalRow::json`] writes it into
    /// `json`, and into `quoted` that JSON as a JSON string (what the audit
    /// chain hashes), built together so that nothing is escaped twice.
    /// `names` holds each column's `"name":` in both forms ([`json_names`]).
    pub(crate) fn json_quoted(
        &self,
        names: &[(String, String)],
        json: &mut String,
        quoted: &mut String,
    ) {
        json.clear();
        quoted.clear();
        json.push('{');
        quoted.push_str("\"{");
        let mut first = true;
        for (i, (name, name_quoted)) in names.iter().enumerate() {
            let Some(t) = self.get(i) else { continue };
            if !first {
                json.push(',');
                quoted.push(',');
            }
            first = false;
            json.push_str(name);
            quoted.push_str(name_quoted);
            let start = json.len();
            crate::audit::push_json_str(json, t);
            crate::audit::push_json_inner(quoted, &json[start..]);
        }
        json.push('}');
        quoted.push_str("}\"");
    }

    #[cfg(test)]
    fn json(&self, spec: &netra_clinical::registry::EntitySpec, out: &mut String) {
        out.clear();
        out.push('{');
        let mut first = true;
        for (i, c) in spec.columns.iter().enumerate() {
            let Some(t) = self.get(i) else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            crate::audit::push_json_str(out, c.name);
            out.push(':');
            crate::audit::push_json_str(out, t);
        }
        out.push('}');
    }
}

/// Each column's `"name":` as JSON and as the inside of a JSON string of
/// that JSON (for [`CanonicalRow::json_quoted`]).
pub(crate) fn json_names(spec: &netra_clinical::registry::EntitySpec) -> Vec<(String, String)> {
    spec.columns
        .iter()
        .map(|c| {
            let mut json = String::new();
            crate::audit::push_json_str(&mut json, c.name);
            json.push(':');
            let mut quoted = String::new();
            crate::audit::push_json_inner(&mut quoted, &json);
            (json, quoted)
        })
        .collect()
}

/// Adds one row's cells to insert arguments, converting numbers and yes/no
/// as [`netra_clinical::registry::Kind::parse`] does. Texts and dates are
/// bound as written (borrowed): the date parser accepts only the canonical
/// spelling.
fn add_cells<'q>(
    args: &mut AnyArguments<'q>,
    spec: &netra_clinical::registry::EntitySpec,
    cols: &[Option<netra_frame::Column<'q>>],
    row: usize,
) {
    use netra_clinical::registry::Kind;
    for (i, c) in spec.columns.iter().enumerate() {
        let text = cols[i].and_then(|col| col.text(row));
        let _ = match (&c.kind, text) {
            (Kind::Integer { .. } | Kind::YesNo, None) => args.add(None::<i64>),
            // See rows::bind for why a NULL float is bound as f32.
            (Kind::Real { .. }, None) => args.add(None::<f32>),
            (_, None) if spec.key.contains(&c.name) => args.add(""),
            (_, None) => args.add(None::<&str>),
            (Kind::Integer { .. }, Some(t)) => args.add(t.parse::<i64>().unwrap_or_default()),
            (Kind::YesNo, Some(t)) => args.add(i64::from(t == "yes")),
            (Kind::Real { .. }, Some(t)) => {
                let x = t.parse::<f64>().unwrap_or_default();
                args.add(if x == 0.0 { 0.0 } else { x })
            }
            (_, Some(t)) => args.add(t),
        };
    }
}

/// The rows of the bundle that update stored records, found by the insert
/// pass and applied after it.
pub(crate) type Updates = Vec<(Entity, usize)>;

/// Writes every new row, with its audit entry, through a two-stage
/// pipeline: this task's thread builds statements (canonical texts, JSON,
/// hashes) while the driver (`sqlx`'s worker, or the writer thread of
/// [`crate::lite_write`]) runs the previous one. Changed rows are only
/// collected here.
pub(crate) async fn write_inserts(
    tx: &mut WriteTx,
    backend: Backend,
    audit: &mut AuditWriter,
    bundle: &Bundle,
    stored: &Stored,
    skip: &[bool],
    dry_run: bool,
) -> Result<(Vec<EntityCounts>, Updates, Digests), StoreError> {
    match tx {
        WriteTx::Sqlx(tx) => {
            write_inserts_sqlx(tx, backend, audit, bundle, stored, skip, dry_run).await
        }
        WriteTx::Lite(lite) => {
            crate::lite_write::write_inserts(lite, audit, bundle, stored, skip, dry_run)
        }
    }
}

/// [`write_inserts`] through the pool: multi-row statements built on this
/// task's thread while the driver's worker runs the previous one.
async fn write_inserts_sqlx<'a>(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    audit: &mut AuditWriter,
    bundle: &'a Bundle,
    stored: &Stored,
    skip: &[bool],
    dry_run: bool,
) -> Result<(Vec<EntityCounts>, Updates, Digests), StoreError> {
    let pipe: Pipe<Job<'a>> = Pipe::new(2);
    let consumer = async {
        while let Some(job) = pipe.pop().await {
            if let Err(e) = job.run(tx).await {
                pipe.fail();
                return Err(e);
            }
        }
        Ok(())
    };
    let producer = async {
        let mut all_counts = Vec::new();
        let mut updates: Updates = Vec::new();
        let mut matched: Digests = vec![None; Entity::ALL.len()];
        let mut canon = CanonicalRow::default();
        let mut scratch = Scratch::default();
        let mut key = String::new();
        let mut key_quoted = String::new();
        let mut new_quoted = String::new();
        'tables: for entity in Entity::ALL {
            let Some(t) = bundle.table(entity) else {
                continue;
            };
            let spec = entity.spec();
            let cols = t.columns();
            let key_pos = spec.key_positions();
            let names = json_names(spec);
            let per_stmt = sql::rows_per_insert(spec.columns.len(), backend);
            let full_sql: std::sync::Arc<str> = sql::insert(spec, per_stmt, backend).into();
            let stored_keys = &stored.keys[entity.index()];
            let mut counts = EntityCounts {
                entity,
                rows: t.n_rows(),
                inserted: 0,
                updated: 0,
                unchanged: 0,
            };
            if skip[entity.index()] {
                // Equal to the stored table (digests).
                counts.unchanged = t.n_rows();
                all_counts.push(counts);
                continue;
            }
            let matched = matched[entity.index()].get_or_insert_with(TableDigest::default);
            let new_args = || {
                let mut a = AnyArguments::default();
                a.reserve(per_stmt * spec.columns.len(), 0);
                a
            };
            let mut args = new_args();
            let mut in_batch = 0;
            for row in 0..t.n_rows() {
                canon.fill(spec, &cols, row);
                canon.key(&key_pos, &mut key);
                match stored_keys.get(&key) {
                    None => {
                        counts.inserted += 1;
                        if dry_run {
                            continue;
                        }
                        json_key(&mut scratch.key, &key);
                        key_quoted.clear();
                        crate::audit::push_json_str(&mut key_quoted, &scratch.key);
                        canon.json_quoted(&names, &mut scratch.new, &mut new_quoted);
                        audit.record_insert_quoted(
                            spec.table,
                            &scratch.key,
                            &key_quoted,
                            &scratch.new,
                            &new_quoted,
                        );
                        add_cells(&mut args, spec, &cols, row);
                        in_batch += 1;
                        if in_batch == per_stmt {
                            let job = Job {
                                sql: full_sql.clone(),
                                args: std::mem::replace(&mut args, new_args()),
                            };
                            in_batch = 0;
                            if !pipe.push(job).await {
                                break 'tables;
                            }
                        }
                        for job in audit.jobs(false) {
                            if !pipe.push(job).await {
                                break 'tables;
                            }
                        }
                    }
                    Some(d) => {
                        matched.add(d);
                        if *d == canon.digest() {
                            counts.unchanged += 1;
                        } else {
                            counts.updated += 1;
                            updates.push((entity, row));
                        }
                    }
                }
            }
            // Parents are complete before any child is inserted.
            if in_batch > 0 {
                let job = Job {
                    sql: sql::insert(spec, in_batch, backend).into(),
                    args,
                };
                if !pipe.push(job).await {
                    break 'tables;
                }
            }
            all_counts.push(counts);
        }
        for job in audit.jobs(true) {
            if !pipe.push(job).await {
                break;
            }
        }
        pipe.close();
        (all_counts, updates, matched)
    };
    let (done, (counts, updates, matched)) = futures_util::future::join(consumer, producer).await;
    done?;
    Ok((counts, updates, matched))
}

/// Reads the stored row of `key` (values of the key columns in key order).
pub(crate) async fn fetch_by_key(
    tx: &mut Transaction<'static, Any>,
    entity: Entity,
    key_values: &[Value],
) -> Result<Option<Vec<Value>>, StoreError> {
    let spec = entity.spec();
    let q = sql::select_by_key(spec);
    let mut query = sqlx::query(&q);
    for (k, v) in spec.key.iter().zip(key_values) {
        let c = spec.column(k).expect("key column");
        query = bind(query, &c.kind, true, v);
    }
    match query.fetch_optional(&mut **tx).await? {
        Some(r) => Ok(Some(decode_row(spec, &r)?)),
        None => Ok(None),
    }
}

/// The key columns' values of a row.
pub(crate) fn key_values(entity: Entity, row: &[Value]) -> Vec<Value> {
    entity
        .spec()
        .key_positions()
        .into_iter()
        .map(|i| row[i].clone())
        .collect()
}

/// Updates one stored row to `new`, with its audit entry.
pub(crate) async fn update_row(
    tx: &mut WriteTx,
    audit: &mut AuditWriter,
    entity: Entity,
    key: &str,
    new: &[Value],
    scratch: &mut Scratch,
) -> Result<(), StoreError> {
    let spec = entity.spec();
    let kv = key_values(entity, new);
    let old = tx
        .fetch_by_key(entity, &kv)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("{} {key} vanished", spec.table)))?;
    json_diff(&mut scratch.old, &mut scratch.new, spec, &old, new);
    tx.update(entity, new, &kv).await?;
    json_key(&mut scratch.key, key);
    audit.record(
        Action::Update,
        spec.table,
        &scratch.key,
        Some(&scratch.old),
        Some(&scratch.new),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON written with its quoted form is the JSON of `json`, and
    /// the quoted form is that JSON as a JSON string.
    #[test]
    fn json_quoted_is_json_then_escaped() {
        let spec = Entity::Study.spec();
        let texts = ["s1", "a \"title\"\twith\\ é", ""];
        let cells: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        let mut canon = CanonicalRow::default();
        for present in [[true, true, true], [true, false, true], [true, true, false]] {
            canon.text.clear();
            canon.ranges.clear();
            for (i, c) in cells.iter().enumerate() {
                if present[i] {
                    let start = canon.text.len();
                    canon.text.push_str(c);
                    canon.ranges.push(Some(start..canon.text.len()));
                } else {
                    canon.ranges.push(None);
                }
            }
            let (mut json, mut quoted, mut want) = (String::new(), String::new(), String::new());
            canon.json_quoted(&json_names(spec), &mut json, &mut quoted);
            canon.json(spec, &mut want);
            assert_eq!(json, want);
            let mut want_quoted = String::new();
            crate::audit::push_json_str(&mut want_quoted, &want);
            assert_eq!(quoted, want_quoted);
            assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
        }
    }
}
