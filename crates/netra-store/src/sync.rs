//! Keeping the registry in step with a source (a REDCap project, a
//! spreadsheet) across re-imports: the records the source **created** and
//! no longer has are removed, in the import's own transaction.
//!
//! Why provenance: a source's export says what the source holds, not what
//! the registry holds; a record missing from it may have been deleted in
//! the source, or may never have come from it (entered by hand on the web,
//! imported from another source or before provenance was recorded). Only
//! the first kind is the source's to remove. So every record an import of a
//! named source inserts is recorded in `record_source` (migration 5), and a
//! later import of that source removes exactly the recorded records whose
//! keys its bundle no longer has. Everything else is kept and counted.
//!
//! Safety:
//! * one transaction with the upserts: all or nothing;
//! * one audit entry (`delete`, the old values) per removed record;
//! * children are removed before their parents (the whole patient, when
//!   the source no longer has it, with the records the source created);
//! * a record that stays and refers to one that would go (an adverse event
//!   entered by hand on a treatment the source deleted) refuses the whole
//!   import with both records named, rather than deleting what the source
//!   did not create or leaving a dangling reference;
//! * the dry run lists every record it would remove.
//!
//! Only patient records are tracked (the patient and the tables below it);
//! studies and sites are shared and never removed by an import.

use std::collections::{HashMap, HashSet};

use netra_clinical::registry::schema::{Entity, Value};
use sqlx::{Any, Row, Transaction};

use crate::audit::{Action, AuditWriter};
use crate::bundle::Bundle;
use crate::check::{self, SEP, Stored, key_of, key_parts};
use crate::db::Backend;
use crate::error::{Problem, Problems, StoreError};
use crate::rows::{decode_row, json_key, json_of};
use crate::sql;

/// A source whose records an import keeps in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSync {
    /// The source's stable name (`net-redcap`): records are removed only
    /// by an import of the source that created them. Empty: an unnamed
    /// source, whose records are neither recorded nor ever removed.
    pub source: String,
    /// The source file named in problems (`records.csv`).
    pub file: String,
    /// Remove the records the source created and no longer has (the
    /// default); `false` keeps and lists them.
    pub remove_missing: bool,
    /// The removals a dry run listed, when the import confirms a checked
    /// dry run: it then refuses to remove any record not among them, so a
    /// record the source created after the check (for another site, say)
    /// is never removed without having been shown and permitted. `None`:
    /// no such bound (the CLI, which checks and writes in one transaction).
    pub removals_checked: Option<Vec<SourceRecord>>,
}

/// One registry record named in a source report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// The entity.
    pub entity: Entity,
    /// The texts of the natural key, in key order (absent parts empty).
    pub key: Vec<String>,
    /// `treatment (patient 'NET-101', treatment 'T2')`.
    pub description: String,
}

impl SourceRecord {
    fn new(entity: Entity, key: &str) -> SourceRecord {
        SourceRecord {
            entity,
            key: key_parts(key).into_iter().map(str::to_string).collect(),
            description: check::describe_record(entity, key),
        }
    }
}

/// What an import of a source did (or, for a dry run, would do).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceReport {
    /// The upserts: added, changed, unchanged per entity.
    pub import: crate::ImportReport,
    /// Records the source created and no longer has: removed (or to be
    /// removed by the real import), children first.
    pub removed: Vec<SourceRecord>,
    /// The same records when `remove_missing` is off: kept.
    pub missing_kept: Vec<SourceRecord>,
    /// Per entity, records of the source's patients that the source does
    /// not have and did not create (entered by hand, another source, or
    /// imported before provenance was recorded): kept.
    pub not_created: Vec<(Entity, usize)>,
}

/// The patient-scoped entities, whose first key column is the patient.
fn tracked() -> impl Iterator<Item = Entity> {
    Entity::ALL.into_iter().filter(|e| *e >= Entity::Patient)
}

/// What the source changes beyond the upserts, worked out before writing.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    /// To remove, children first.
    pub removals: Vec<(Entity, String)>,
    /// Created by the source, not in the bundle, kept (`remove_missing` off).
    pub missing_kept: Vec<(Entity, String)>,
    /// Per entity: kept records of the bundle's patients not created here.
    pub not_created: Vec<(Entity, usize)>,
    /// Keys the import inserts (their provenance is recorded).
    pub inserts: Vec<(Entity, String)>,
}

/// The keys of a bundle's rows, per entity, with the patients it names.
fn bundle_keys(bundle: &Bundle) -> (Vec<HashSet<String>>, HashSet<String>) {
    let mut keys = vec![HashSet::new(); Entity::ALL.len()];
    let mut patients = HashSet::new();
    let mut vals: Vec<Value> = Vec::new();
    for e in tracked() {
        let Some(t) = bundle.table(e) else { continue };
        let cols = t.columns();
        for row in 0..t.n_rows() {
            t.parse_row(&cols, row, &mut vals, None);
            let k = key_of(e.spec(), &vals);
            if let Some(p) = key_parts(&k).first() {
                patients.insert((*p).to_string());
            }
            keys[e.index()].insert(k);
        }
    }
    (keys, patients)
}

/// The records `source` created, per entity (keys in the store's form).
async fn provenance(
    tx: &mut Transaction<'static, Any>,
    source: &str,
) -> Result<Vec<HashSet<String>>, StoreError> {
    let mut out = vec![HashSet::new(); Entity::ALL.len()];
    let rows = sqlx::query("SELECT table_name, record_key FROM record_source WHERE source = $1")
        .bind(source)
        .fetch_all(&mut **tx)
        .await?;
    for r in rows {
        let table: String = r.try_get(0)?;
        let key: String = r.try_get(1)?;
        let Some(e) = tracked().find(|e| e.spec().table == table) else {
            continue;
        };
        let parts: Vec<String> = serde_json::from_str(&key).map_err(|err| {
            StoreError::Refused(format!(
                "record_source holds a key that is not a JSON array of texts ({key}): {err}"
            ))
        })?;
        out[e.index()].insert(parts.join(&SEP.to_string()));
    }
    Ok(out)
}

/// Works out removals, kept records and inserts; refuses (problems) when a
/// record that stays refers to one that would go.
pub(crate) async fn plan(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    bundle: &Bundle,
    stored: &Stored,
    sync: &SourceSync,
) -> Result<(Plan, Problems), StoreError> {
    let (in_bundle, patients) = bundle_keys(bundle);
    let created = if sync.source.is_empty() {
        vec![HashSet::new(); Entity::ALL.len()]
    } else {
        provenance(tx, &sync.source).await?
    };
    let mut plan = Plan::default();
    let mut problems = Problems::default();
    for e in tracked() {
        let i = e.index();
        for k in &in_bundle[i] {
            if !stored.keys[i].contains_key(k) {
                plan.inserts.push((e, k.clone()));
            }
        }
        let mut others = 0;
        for k in stored.keys[i].keys() {
            if in_bundle[i].contains(k) {
                continue;
            }
            if created[i].contains(k) {
                if sync.remove_missing {
                    plan.removals.push((e, k.clone()));
                } else {
                    plan.missing_kept.push((e, k.clone()));
                }
            } else if key_parts(k).first().is_some_and(|p| patients.contains(*p)) {
                others += 1;
            }
        }
        if others > 0 {
            plan.not_created.push((e, others));
        }
    }
    // Children first; within an entity in key order (stable messages).
    plan.removals
        .sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    plan.missing_kept.sort();
    plan.inserts.sort();
    unchecked_removals(&plan, sync, &mut problems);
    blockers(tx, backend, bundle, &plan, sync, &mut problems).await?;
    Ok((plan, problems))
}

/// Refuses removals that the confirmed dry run did not list
/// ([`SourceSync::removals_checked`]).
fn unchecked_removals(plan: &Plan, sync: &SourceSync, problems: &mut Problems) {
    let Some(checked) = &sync.removals_checked else {
        return;
    };
    let listed: HashSet<(Entity, &[String])> = checked
        .iter()
        .map(|r| (r.entity, r.key.as_slice()))
        .collect();
    for (e, k) in &plan.removals {
        let record = SourceRecord::new(*e, k);
        if !listed.contains(&(record.entity, record.key.as_slice())) {
            problems.push(Problem {
                file: sync.file.clone(),
                line: None,
                column_number: None,
                column: None,
                value: None,
                reason: format!(
                    "{} would now be removed, but the check before did not list it (the registry changed meanwhile): check the files again",
                    record.description
                ),
            });
        }
    }
}

/// Records that stay and refer to a record that would be removed.
async fn blockers(
    tx: &mut Transaction<'static, Any>,
    backend: Backend,
    bundle: &Bundle,
    plan: &Plan,
    sync: &SourceSync,
    problems: &mut Problems,
) -> Result<(), StoreError> {
    if plan.removals.is_empty() {
        return Ok(());
    }
    let going: HashSet<(Entity, &str)> = plan
        .removals
        .iter()
        .map(|(e, k)| (*e, k.as_str()))
        .collect();
    let mut affected: Vec<&str> = plan
        .removals
        .iter()
        .filter_map(|(_, k)| key_parts(k).first().copied())
        .collect();
    affected.sort_unstable();
    affected.dedup();
    let affected_set: HashSet<&str> = affected.iter().copied().collect();
    // The affected patients' records after the import: stored rows, with
    // the bundle's rows in place of (or beside) them.
    let mut after: HashMap<(Entity, String), Vec<Value>> = HashMap::new();
    for p in &affected {
        for e in tracked() {
            let spec = e.spec();
            let q = format!(
                "SELECT {} FROM {} WHERE patient = $1 {}",
                sql::column_list(spec),
                spec.table,
                sql::order_by_key(spec, backend)
            );
            for r in sqlx::query(&q).bind(*p).fetch_all(&mut **tx).await? {
                let v = decode_row(spec, &r)?;
                after.insert((e, key_of(spec, &v)), v);
            }
        }
    }
    let mut vals: Vec<Value> = Vec::new();
    for e in tracked() {
        let Some(t) = bundle.table(e) else { continue };
        let cols = t.columns();
        for row in 0..t.n_rows() {
            t.parse_row(&cols, row, &mut vals, None);
            let k = key_of(e.spec(), &vals);
            if key_parts(&k)
                .first()
                .is_some_and(|p| affected_set.contains(p))
            {
                after.insert((e, k), vals.clone());
            }
        }
    }
    let mut found: Vec<(String, String)> = Vec::new();
    for ((e, k), values) in &after {
        if going.contains(&(*e, k.as_str())) {
            continue;
        }
        let spec = e.spec();
        for r in &spec.references {
            let mut target = String::new();
            let mut complete = true;
            for (n, c) in r.columns.iter().enumerate() {
                let t = spec.position(c).and_then(|i| values[i].to_text());
                let Some(t) = t else {
                    complete = false;
                    break;
                };
                if n > 0 {
                    target.push(SEP);
                }
                target.push_str(&t);
            }
            if complete && going.contains(&(r.target, target.as_str())) {
                found.push((
                    check::describe_record(r.target, &target),
                    check::describe_record(*e, k),
                ));
            }
        }
    }
    found.sort();
    for (gone, stays) in found {
        problems.push(Problem::file(
            &sync.file,
            format!(
                "cannot remove the registry's {gone}, which this source created and no longer has: the registry's {stays}, which stays, refers to it (delete or change it first, restore the record in the source, or keep the source's missing records)"
            ),
        ));
    }
    Ok(())
}

/// Removes the planned records, children first, one audit entry each, and
/// their provenance.
pub(crate) async fn remove(
    tx: &mut Transaction<'static, Any>,
    audit: &mut AuditWriter,
    plan: &Plan,
) -> Result<(), StoreError> {
    let (mut key_json, mut old_json) = (String::new(), String::new());
    for (e, k) in &plan.removals {
        let spec = e.spec();
        let kv: Vec<Value> = spec
            .key
            .iter()
            .zip(key_parts(k))
            .map(|(name, t)| {
                let c = spec.column(name).expect("key column");
                if t.is_empty() {
                    Ok(Value::Null)
                } else {
                    c.kind.parse(t).map_err(|reason| {
                        StoreError::Refused(format!(
                            "a stored key of {} is unreadable: {reason}",
                            spec.table
                        ))
                    })
                }
            })
            .collect::<Result<_, _>>()?;
        let Some(old) = crate::import::fetch_by_key(tx, *e, &kv).await? else {
            continue; // removed with its parent already (not expected: keys are unique)
        };
        let sql_text = format!("DELETE FROM {} WHERE {}", spec.table, sql::where_key(spec));
        let mut q = sqlx::query(&sql_text);
        for (name, v) in spec.key.iter().zip(&kv) {
            let c = spec.column(name).expect("key column");
            q = crate::rows::bind(q, &c.kind, true, v);
        }
        q.execute(&mut **tx).await?;
        json_key(&mut key_json, &key_of(spec, &old));
        json_of(&mut old_json, spec, &old);
        audit.record(Action::Delete, spec.table, &key_json, Some(&old_json), None);
        forget(tx, spec.table, &key_json).await?;
    }
    Ok(())
}

/// Drops the provenance of a deleted record (any delete path).
pub(crate) async fn forget(
    tx: &mut Transaction<'static, Any>,
    table: &str,
    key_json: &str,
) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM record_source WHERE table_name = $1 AND record_key = $2")
        .bind(table.to_string())
        .bind(key_json.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records that the import's change set created the inserted records.
pub(crate) async fn remember(
    tx: &mut Transaction<'static, Any>,
    plan: &Plan,
    source: &str,
    change_set: i64,
) -> Result<(), StoreError> {
    const PER_STATEMENT: usize = 200;
    if source.is_empty() {
        return Ok(());
    }
    let mut key_json = String::new();
    for chunk in plan.inserts.chunks(PER_STATEMENT) {
        let mut text = String::from(
            "INSERT INTO record_source (table_name, record_key, source, change_set) VALUES ",
        );
        for n in 0..chunk.len() {
            if n > 0 {
                text.push_str(", ");
            }
            let b = n * 4;
            text.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
        }
        let mut q = sqlx::query(&text);
        for (e, k) in chunk {
            json_key(&mut key_json, k);
            q = q
                .bind(e.spec().table)
                .bind(key_json.clone())
                .bind(source.to_string())
                .bind(change_set);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

/// The plan's records as report entries.
pub(crate) fn records(list: &[(Entity, String)]) -> Vec<SourceRecord> {
    list.iter().map(|(e, k)| SourceRecord::new(*e, k)).collect()
}
