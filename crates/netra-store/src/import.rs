//! Importing a bundle: check everything against the registry, then write
//! every insert and update with its audit entry in one transaction.
//!
//! Upserts key on the natural key. A row equal to the stored one (compared
//! by digest of its canonical text) is skipped and leaves no audit entry, so
//! importing the same bundle twice changes nothing.

use std::collections::HashSet;

use futures_util::TryStreamExt;
use netra_clinical::registry::rules;
use netra_clinical::registry::schema::{Entity, Value};
use sqlx::{Any, AnyPool, Transaction};

use crate::audit::{Action, Actor, AuditWriter};
use crate::bundle::Bundle;
use crate::check::{self, Checked, PatientLife, Stored, digest, key_of};
use crate::db::Backend;
use crate::error::{Problem, Problems, StoreError};
use crate::rows::{bind, bind_row, decode_row, json_diff, json_key, json_of};
use crate::sql;

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Per entity present in the bundle, in entity order.
    pub entities: Vec<EntityCounts>,
    /// Audit entries written (0 for a dry run).
    pub audit_entries: u64,
    /// True when nothing was written.
    pub dry_run: bool,
}

impl ImportReport {
    /// Inserted + updated over all entities.
    pub fn changes(&self) -> usize {
        self.entities.iter().map(|e| e.inserted + e.updated).sum()
    }
}

/// The entities whose stored rows the checks and the upsert need.
fn needed(bundle: &Bundle) -> Vec<Entity> {
    let mut set: HashSet<Entity> = HashSet::new();
    for (e, _) in bundle.counts() {
        set.insert(e);
        for r in &e.spec().references {
            set.insert(r.target);
        }
        if e > Entity::Patient {
            set.insert(Entity::Patient);
        }
    }
    let mut v: Vec<Entity> = set.into_iter().collect();
    v.sort();
    v
}

/// Loads what the registry holds of `entities`.
pub(crate) async fn load_stored(
    tx: &mut Transaction<'static, Any>,
    entities: &[Entity],
) -> Result<Stored, StoreError> {
    let mut stored = Stored::default();
    for &e in entities {
        let spec = e.spec();
        let q = format!("SELECT {} FROM {}", sql::column_list(spec), spec.table);
        let mut rows = sqlx::query(&q).fetch(&mut **tx);
        while let Some(row) = rows.try_next().await? {
            let values = decode_row(spec, &row)?;
            stored.add(e, &values);
        }
    }
    Ok(stored)
}

/// Stored children of patients whose birth, death or vital status the
/// bundle changes must still fit the new life span.
async fn check_stored_children(
    tx: &mut Transaction<'static, Any>,
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
            let q = format!(
                "SELECT {} FROM {} WHERE patient = $1 {}",
                sql::column_list(spec),
                spec.table,
                sql::order_by_key(spec, backend)
            );
            let rows = sqlx::query(&q)
                .bind(code.as_str())
                .fetch_all(&mut **tx)
                .await?;
            for r in rows {
                let values = decode_row(spec, &r)?;
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
) -> Result<ImportReport, StoreError> {
    let mut tx = begin_write(pool, backend).await?;
    let mut audit = AuditWriter::start(&mut tx, backend, opts.actor.clone()).await?;
    let stored = load_stored(&mut tx, &needed(bundle)).await?;
    let (checked, mut problems) = check::check(bundle, &stored);
    check_stored_children(&mut tx, backend, bundle, &checked, &stored, &mut problems).await?;
    if !problems.is_empty() {
        tx.rollback().await?;
        return Err(StoreError::Invalid(problems));
    }
    let mut report = ImportReport {
        entities: Vec::new(),
        audit_entries: 0,
        dry_run: opts.dry_run,
    };
    for entity in Entity::ALL {
        let Some(t) = bundle.table(entity) else {
            continue;
        };
        let counts = write_table(&mut tx, &mut audit, entity, t, &stored, opts.dry_run).await?;
        report.entities.push(counts);
    }
    if opts.dry_run {
        tx.rollback().await?;
        return Ok(report);
    }
    audit.flush(&mut tx).await?;
    report.audit_entries = audit.written;
    tx.commit().await?;
    Ok(report)
}

async fn write_table(
    tx: &mut Transaction<'static, Any>,
    audit: &mut AuditWriter,
    entity: Entity,
    t: &crate::bundle::BundleTable,
    stored: &Stored,
    dry_run: bool,
) -> Result<EntityCounts, StoreError> {
    let spec = entity.spec();
    let cols = t.columns();
    let per_stmt = sql::rows_per_statement(spec.columns.len());
    let full_insert = sql::insert(spec, per_stmt);
    let mut counts = EntityCounts {
        entity,
        rows: t.n_rows(),
        inserted: 0,
        updated: 0,
        unchanged: 0,
    };
    let stored_keys = &stored.keys[entity.index()];
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(per_stmt);
    let mut vals: Vec<Value> = Vec::new();
    for row in 0..t.n_rows() {
        t.parse_row(&cols, row, &mut vals, None);
        let key = key_of(spec, &vals);
        match stored_keys.get(&key) {
            None => {
                counts.inserted += 1;
                if dry_run {
                    continue;
                }
                audit
                    .record(
                        tx,
                        Action::Insert,
                        spec.table,
                        json_key(&key),
                        None,
                        Some(json_of(spec, &vals)),
                    )
                    .await?;
                batch.push(std::mem::take(&mut vals));
                if batch.len() == per_stmt {
                    let q = bind_rows(sqlx::query(&full_insert), spec, &batch);
                    q.execute(&mut **tx).await?;
                    batch.clear();
                }
            }
            Some(d) if *d == digest(&vals) => counts.unchanged += 1,
            Some(_) => {
                counts.updated += 1;
                if dry_run {
                    continue;
                }
                update_row(tx, audit, entity, &key, &vals).await?;
            }
        }
    }
    if !batch.is_empty() {
        let sql_text = sql::insert(spec, batch.len());
        let q = bind_rows(sqlx::query(&sql_text), spec, &batch);
        q.execute(&mut **tx).await?;
    }
    Ok(counts)
}

fn bind_rows<'q>(
    mut q: crate::rows::AnyQuery<'q>,
    spec: &netra_clinical::registry::EntitySpec,
    batch: &'q [Vec<Value>],
) -> crate::rows::AnyQuery<'q> {
    for r in batch {
        q = bind_row(q, spec, r);
    }
    q
}

/// Reads the stored row of `key` (values of the key columns in key order).
pub(crate) async fn fetch_by_key(
    tx: &mut Transaction<'static, Any>,
    entity: Entity,
    key_values: &[Value],
) -> Result<Option<Vec<Value>>, StoreError> {
    let spec = entity.spec();
    let q = format!(
        "SELECT {} FROM {} WHERE {}",
        sql::column_list(spec),
        spec.table,
        sql::where_key(spec)
    );
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
    tx: &mut Transaction<'static, Any>,
    audit: &mut AuditWriter,
    entity: Entity,
    key: &str,
    new: &[Value],
) -> Result<(), StoreError> {
    let spec = entity.spec();
    let kv = key_values(entity, new);
    let old = fetch_by_key(tx, entity, &kv)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("{} {key} vanished", spec.table)))?;
    let (o, n) = json_diff(spec, &old, new);
    let sql_text = sql::update(spec);
    let mut q = sqlx::query(&sql_text);
    for (c, v) in spec.columns.iter().zip(new) {
        if !spec.key.contains(&c.name) {
            q = bind(q, &c.kind, false, v);
        }
    }
    for (k, v) in spec.key.iter().zip(&kv) {
        let c = spec.column(k).expect("key column");
        q = bind(q, &c.kind, true, v);
    }
    q.execute(&mut **tx).await?;
    audit
        .record(tx, Action::Update, spec.table, json_key(key), Some(o), Some(n))
        .await
}
