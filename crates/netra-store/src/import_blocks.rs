//! Importing a bundle directory block by block ([`crate::blocks`]), in one
//! transaction, with the outcome of the whole-bundle import
//! ([`crate::import`]) and a bounded part of the bundle in memory.
//!
//! The study and site files come first, checked and written on their own;
//! then each block of patient codes: its rows are read, the stored rows of
//! its range loaded, checked, written (inserts, then updates), and all of it
//! dropped before the next block. The study and site keys of the registry
//! and of the bundle stay held for the references of every block.
//!
//! All or nothing stays: once a block has a problem nothing more is
//! written, the remaining blocks are still checked, and the transaction is
//! rolled back. The problems of all blocks are merged in the order the
//! whole-bundle import reports them (by file in entity order and line, then
//! the re-dated assessments, then stored records outside a changed life
//! span), with the same cap, so the messages are identical.
//!
//! Table digests ([`crate::table_digest`]) work as in the whole import, in
//! two passes over the blocks when a stored digest may apply: the first
//! checks with the equal-looking tables unloaded and sums the bundle's
//! digests; the second, only when something is to be written or a problem
//! was found, checks again (loading what the first pass proved different)
//! and writes. Digests are sums, so the blocks' parts add up.
//!
//! What differs from the whole import: the audit entries come block by
//! block (study and site, then each block's patients, tumours, ... and its
//! updates) instead of table by table, so the same entries are in another
//! order; the registry is the same.

use netra_clinical::registry::schema::Entity;
use sqlx::AnyPool;

use crate::audit::AuditWriter;
use crate::blocks::{self, BlockPlan, ImportBudget};
use crate::bundle::Bundle;
use crate::check::{self, Checked, Stored};
use crate::db::Backend;
use crate::error::{MAX_PROBLEMS, Problem, Problems, StoreError};
use crate::import::{
    self, EntityCounts, ImportOptions, ImportReport, Scratch, bundle_digests,
    check_stored_children, load_stored_into, needed, update_row, write_inserts,
};
use crate::table_digest::{self, Digests, TableDigest};
use crate::write_tx::WriteTx;

/// Imports the bundle directory `dir` block by block (see the module doc);
/// a bundle with problems at the level of files is read whole instead,
/// which reports them as [`crate::Bundle::read_dir`] does.
/// With `lite` (the SQLite file) the transaction runs on a `rusqlite`
/// connection of its own ([`crate::lite_tx`]).
pub(crate) async fn import_dir(
    pool: &AnyPool,
    backend: Backend,
    lite: Option<&std::path::Path>,
    dir: &std::path::Path,
    opts: &ImportOptions,
    budget: ImportBudget,
) -> Result<ImportReport, StoreError> {
    let started = std::time::Instant::now();
    if let Some(plan) = blocks::plan(dir, budget.block_csv_bytes())? {
        let planned = started.elapsed().as_secs_f64();
        let lite = lite.map(|path| (path, budget.bytes / 2));
        let tx = WriteTx::begin(pool, backend, lite).await?;
        if let Some(mut report) = import_planned(tx, backend, &plan, opts).await? {
            report.phases.insert(0, ("plan blocks", planned));
            return Ok(report);
        }
    }
    let bundle = Bundle::read_dir(dir)?;
    import::import_synced(pool, backend, lite, &bundle, opts, &[], None)
        .await
        .map(|(r, _)| r)
}

/// Wall seconds per phase, summed over the blocks.
#[derive(Default)]
struct Phases {
    list: Vec<(&'static str, f64)>,
    clock: Option<std::time::Instant>,
}

impl Phases {
    fn lap(&mut self, name: &'static str) {
        let now = std::time::Instant::now();
        let secs = self.clock.map_or(0.0, |c| (now - c).as_secs_f64());
        self.clock = Some(now);
        match self.list.iter_mut().find(|p| p.0 == name) {
            Some(p) => p.1 += secs,
            None => self.list.push((name, secs)),
        }
    }
}

/// What the blocks add up to.
struct Totals {
    /// Per entity index.
    counts: Vec<Option<EntityCounts>>,
    bundle_digests: Digests,
    matched: Digests,
    /// Per entity index: the sum of the stored rows loaded, when loaded.
    stored: Digests,
    flags: Vec<Problem>,
    /// The rows' problems, the re-dated assessments', and the stored
    /// children's, each merged over the blocks.
    problems: [Problems; 3],
}

impl Totals {
    fn new() -> Totals {
        let none = || vec![None; Entity::ALL.len()];
        Totals {
            counts: vec![None; Entity::ALL.len()],
            bundle_digests: none(),
            matched: none(),
            stored: none(),
            flags: Vec::new(),
            problems: Default::default(),
        }
    }

    fn failed(&self) -> bool {
        self.problems.iter().any(|p| !p.is_empty())
    }

    fn add_digests(into: &mut Digests, from: &Digests) {
        for (a, b) in into.iter_mut().zip(from) {
            if let Some(b) = b {
                a.get_or_insert_with(TableDigest::default).merge(b);
            }
        }
    }

    fn add_stored(&mut self, stored: &Stored, entities: &[Entity]) {
        for &e in entities {
            let d = self.stored[e.index()].get_or_insert_with(TableDigest::default);
            for v in stored.keys[e.index()].values() {
                d.add(v);
            }
        }
    }

    fn add_counts(&mut self, counts: &[EntityCounts]) {
        for c in counts {
            let t = self.counts[c.entity.index()].get_or_insert(EntityCounts {
                entity: c.entity,
                rows: 0,
                inserted: 0,
                updated: 0,
                unchanged: 0,
            });
            t.rows += c.rows;
            t.inserted += c.inserted;
            t.updated += c.updated;
            t.unchanged += c.unchanged;
        }
    }

    /// The problems in the whole import's order, capped as it caps them.
    fn merged_problems(&mut self) -> Problems {
        let mut out = Problems::default();
        for (kind, part) in self.problems.iter_mut().enumerate() {
            sort_kind(kind, &mut part.list);
            for p in part.list.drain(..) {
                out.push(p);
            }
            out.more += part.more;
        }
        out
    }

    /// Adds the problems of one block of `kind` (0: rows, 1: re-dated
    /// assessments, 2: stored children). Each block keeps its first
    /// [`MAX_PROBLEMS`], so the first of all blocks are among them; the
    /// merged list is cut back to those when it grows.
    fn absorb(&mut self, kind: usize, from: Problems) {
        let into = &mut self.problems[kind];
        into.list.extend(from.list);
        into.more += from.more;
        if into.list.len() > 2 * MAX_PROBLEMS {
            sort_kind(kind, &mut into.list);
            into.more += into.list.len() - MAX_PROBLEMS;
            into.list.truncate(MAX_PROBLEMS);
        }
    }
}

/// Sorts problems of one kind in the whole import's order: the rows' by
/// file (entity order) and line, the re-dated assessments' by line and
/// reason, the stored children's by the patient's line (stable: a line's
/// problems keep their order).
fn sort_kind(kind: usize, list: &mut [Problem]) {
    match kind {
        0 => list.sort_by_key(|p| (entity_of(p), p.line)),
        1 => list.sort_by(|a, b| (a.line, &a.reason).cmp(&(b.line, &b.reason))),
        _ => list.sort_by_key(|p| p.line),
    }
}

/// The entity order of a problem's file (unknown names last).
fn entity_of(p: &Problem) -> usize {
    Entity::ALL
        .iter()
        .position(|e| e.spec().file == p.file)
        .unwrap_or(usize::MAX)
}

/// Loads the stored rows of `entities` whose patient code is in `range`.
async fn load_range(
    tx: &mut WriteTx,
    backend: Backend,
    stored: &mut Stored,
    entities: &[Entity],
    range: (Option<&str>, Option<&str>),
) -> Result<(), StoreError> {
    tx.load_stored(backend, stored, entities, Some(range)).await
}

/// The study and site keys of the registry and of the bundle, as stored
/// keys: what every block's references need.
fn with_small_keys(base: &Stored, checked: Option<&Checked>) -> Stored {
    let mut s = Stored::default();
    for e in [Entity::Study, Entity::Site] {
        let i = e.index();
        s.keys[i] = base.keys[i].clone();
        if let Some(c) = checked {
            for k in c.keys[i].keys() {
                s.keys[i].entry(k.clone()).or_insert([0; 16]);
            }
        }
    }
    s
}

/// One pass over the blocks: check each (and, with `write`, write it while
/// no block has had a problem). `Ok(None)`: a block could not be read as
/// the whole file would be.
#[allow(clippy::too_many_arguments)]
async fn pass(
    tx: &mut WriteTx,
    backend: Backend,
    audit: &mut AuditWriter,
    plan: &BlockPlan,
    base: &Stored,
    skip: &[bool],
    write: bool,
    dry_run: bool,
    phases: &mut Phases,
) -> Result<Option<Totals>, StoreError> {
    let mut totals = Totals::new();
    let small_entities = [Entity::Study, Entity::Site];
    totals.add_stored(base, &small_entities);
    let mut refs = with_small_keys(base, None);
    for k in 0..=plan.n_blocks() {
        phases.lap("load stored keys");
        let owned;
        let block: &Bundle = if k == 0 {
            &plan.small
        } else {
            match plan.read_block(k - 1)? {
                Some(b) => {
                    owned = b;
                    &owned
                }
                None => return Ok(None),
            }
        };
        phases.lap("read");
        let mut stored;
        let mut loaded: Vec<Entity> = Vec::new();
        if k == 0 {
            stored = base.clone();
        } else {
            stored = refs.clone();
            loaded = needed(block, skip)
                .into_iter()
                .filter(|e| *e > Entity::Site)
                .collect();
            load_range(tx, backend, &mut stored, &loaded, plan.range(k - 1)).await?;
        }
        phases.lap("load stored keys");
        let (mut checked, mut rows, mut moved, digests) = check_block(block, &stored);
        if (!rows.is_empty() || !moved.is_empty()) && skip.iter().any(|s| *s) && k > 0 {
            // The messages name what the registry holds exactly as without
            // digests: load everything of this block and check again.
            let all = needed(block, &vec![false; skip.len()]);
            let more: Vec<Entity> = all
                .into_iter()
                .filter(|e| *e > Entity::Site && !loaded.contains(e))
                .collect();
            load_range(tx, backend, &mut stored, &more, plan.range(k - 1)).await?;
            loaded.extend(more);
            (checked, rows, moved) = check::check_parts(block, &stored);
        }
        let mut children = Problems::default();
        check_stored_children(tx, backend, block, &checked, &stored, &mut children).await?;
        if k == 0 {
            refs = with_small_keys(base, Some(&checked));
        } else {
            totals.add_stored(&stored, &loaded);
        }
        Totals::add_digests(&mut totals.bundle_digests, &digests);
        totals.flags.append(&mut checked.flags);
        totals.absorb(0, rows);
        totals.absorb(1, moved);
        totals.absorb(2, children);
        phases.lap("check");
        if write && !totals.failed() {
            let (counts, updates, matched) =
                write_inserts(tx, backend, audit, block, &stored, skip, dry_run).await?;
            totals.add_counts(&counts);
            Totals::add_digests(&mut totals.matched, &matched);
            if !dry_run {
                let mut scratch = Scratch::default();
                let mut vals = Vec::new();
                for (entity, row) in updates {
                    let t = block.table(entity).expect("table of an update");
                    let cols = t.columns();
                    t.parse_row(&cols, row, &mut vals, None);
                    let key = check::key_of(entity.spec(), &vals);
                    update_row(tx, audit, entity, &key, &vals, &mut scratch).await?;
                }
            }
            phases.lap("write");
        }
    }
    Ok(Some(totals))
}

/// The checks of one block, with its table digests computed on the second
/// core meanwhile.
fn check_block(block: &Bundle, stored: &Stored) -> (Checked, Problems, Problems, Digests) {
    std::thread::scope(|s| {
        let digests = s.spawn(|| bundle_digests(block));
        let (checked, rows, moved) = check::check_parts(block, stored);
        let digests = digests
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (checked, rows, moved, digests)
    })
}

/// The import of a planned bundle in `tx`; `Ok(None)` when it must be read
/// whole after all (the transaction is then rolled back).
async fn import_planned(
    mut tx: WriteTx,
    backend: Backend,
    plan: &BlockPlan,
    opts: &ImportOptions,
) -> Result<Option<ImportReport>, StoreError> {
    let mut phases = Phases::default();
    phases.lap("load stored keys");
    let mut audit = AuditWriter::start_tx(&mut tx, backend, opts.actor.clone()).await?;
    let saved: Digests = {
        let (seq, hash) = audit.head();
        let hash = hash.to_string();
        table_digest::load_tx(&mut tx, (seq, &hash)).await?
    };
    let counts = plan.counts();
    let mut skip: Vec<bool> = vec![false; Entity::ALL.len()];
    for &(e, n) in &counts {
        skip[e.index()] = saved[e.index()].is_some_and(|d| d.rows == n as u64);
    }
    let mut base = Stored::default();
    load_stored_into(&mut tx, backend, &mut base, &[Entity::Study, Entity::Site]).await?;
    let mut first: Option<Totals> = None;
    if skip.iter().any(|s| *s) {
        let Some(t) = pass(
            &mut tx,
            backend,
            &mut audit,
            plan,
            &base,
            &skip,
            false,
            true,
            &mut phases,
        )
        .await?
        else {
            tx.rollback().await?;
            return Ok(None);
        };
        let tentative = skip.clone();
        for e in Entity::ALL {
            let i = e.index();
            if t.bundle_digests[i] != saved[i] || t.failed() {
                skip[i] = false;
            }
        }
        let all_equal = counts.iter().all(|(e, _)| skip[e.index()]);
        if skip == tentative && all_equal && !t.failed() {
            first = Some(t);
        }
    }
    let mut totals = match first {
        // Every table equal to the stored one: nothing to write.
        Some(mut t) => {
            t.add_counts(
                &counts
                    .iter()
                    .map(|&(entity, rows)| EntityCounts {
                        entity,
                        rows,
                        inserted: 0,
                        updated: 0,
                        unchanged: rows,
                    })
                    .collect::<Vec<_>>(),
            );
            t
        }
        None => {
            let Some(t) = pass(
                &mut tx,
                backend,
                &mut audit,
                plan,
                &base,
                &skip,
                true,
                opts.dry_run,
                &mut phases,
            )
            .await?
            else {
                tx.rollback().await?;
                return Ok(None);
            };
            t
        }
    };
    if totals.failed() {
        tx.rollback().await?;
        return Err(StoreError::Invalid(totals.merged_problems()));
    }
    let mut flags = std::mem::take(&mut totals.flags);
    flags.sort_by_key(|p| (entity_of(p), p.line));
    let mut report = ImportReport {
        entities: totals.counts.iter().flatten().copied().collect(),
        audit_entries: 0,
        dry_run: opts.dry_run,
        phases: Vec::new(),
        flags,
        equal_by_digest: Entity::ALL
            .into_iter()
            .filter(|e| skip[e.index()])
            .collect(),
    };
    if opts.dry_run {
        tx.rollback().await?;
        phases.lap("classify");
        report.phases = phases.list;
        return Ok(Some(report));
    }
    audit.flush_tx(&mut tx).await?;
    report.audit_entries = audit.written;
    let present: Vec<Entity> = counts.iter().map(|c| c.0).collect();
    let digests: Digests = Entity::ALL
        .iter()
        .map(|&e| {
            let i = e.index();
            if present.contains(&e) {
                if skip[i] {
                    return saved[i];
                }
                let mut d = totals.stored[i].unwrap_or_default();
                d.remove(&totals.matched[i].unwrap_or_default());
                d.merge(&totals.bundle_digests[i].unwrap_or_default());
                Some(d)
            } else if totals.stored[i].is_some() {
                totals.stored[i]
            } else {
                saved[i]
            }
        })
        .collect();
    if digests != saved || audit.written > 0 {
        let (seq, hash) = audit.head();
        let hash = hash.to_string();
        table_digest::store_tx(&mut tx, &digests, (seq, &hash)).await?;
    }
    phases.lap("write");
    tx.commit().await?;
    phases.lap("commit");
    report.phases = phases.list;
    Ok(Some(report))
}
