//! The insert pass of an import on a `rusqlite` transaction
//! ([`crate::lite_tx`]): the same classification of the bundle's rows as
//! [`crate::import::write_inserts`] (new, changed, unchanged; the same
//! audit entries and hashes), in a two-stage pipeline of threads.
//!
//! The calling thread classifies rows and builds each new row's audit
//! entry (canonical texts, JSON, SHA-256 chain) into batches; a writer
//! thread that owns the connection inserts them with one prepared
//! single-row statement per table, binding the bundle's cell texts in
//! place (they are borrowed across the threads, never copied before
//! SQLite's own copy). Emptied batches go back to be refilled, so their
//! buffers are allocated once.

use std::sync::mpsc;

use netra_clinical::registry::schema::{Entity, Kind};

use crate::StoreError;
use crate::audit::AuditWriter;
use crate::bundle::Bundle;
use crate::check::Stored;
use crate::import::{CanonicalRow, EntityCounts, Scratch, Updates, json_names};
use crate::lite_tx::{Batch, Cell, LiteTx, Statements, Stmt};
use crate::rows::json_key;
use crate::table_digest::{Digests, TableDigest};

/// Registry rows per batch handed to the writer (each with its audit
/// entry): large enough that the hand-off costs nothing, small enough
/// that both threads start at once.
const ROWS_PER_BATCH: usize = 512;

/// A batch of registry rows and the batch of their audit entries.
type Work<'a> = (Batch<'a>, Batch<'static>);

/// See the module documentation; returns what
/// [`crate::import::write_inserts`] returns.
pub(crate) fn write_inserts<'a>(
    lite: &mut LiteTx,
    audit: &mut AuditWriter,
    bundle: &'a Bundle,
    stored: &Stored,
    skip: &[bool],
    dry_run: bool,
) -> Result<(Vec<EntityCounts>, Updates, Digests), StoreError> {
    let conn = lite.lend();
    let (conn, written, classified) = std::thread::scope(|s| {
        let (full_tx, full_rx) = mpsc::sync_channel::<Work<'a>>(2);
        let (empty_tx, empty_rx) = mpsc::channel::<Work<'a>>();
        let writer = s.spawn(move || {
            let result = {
                let mut stmts = Statements::default();
                let mut result = Ok(());
                for (mut rows, mut entries) in full_rx {
                    result = stmts
                        .run(&conn, &rows)
                        .and_then(|()| stmts.run(&conn, &entries));
                    if result.is_err() {
                        break;
                    }
                    rows.clear();
                    entries.clear();
                    // The producer may be done: then the batch is dropped.
                    let _ = empty_tx.send((rows, entries));
                }
                result
            };
            (conn, result)
        });
        let mut producer = Producer {
            audit,
            full: full_tx,
            empty: empty_rx,
            rows: Batch::default(),
        };
        let classified = producer.classify(bundle, stored, skip, dry_run);
        drop(producer);
        let (conn, written) = writer
            .join()
            .unwrap_or_else(|e| std::panic::resume_unwind(e));
        (conn, written, classified)
    });
    lite.give_back(conn);
    written?;
    Ok(classified)
}

/// The calling thread's side of the pipeline.
struct Producer<'a, 'w> {
    audit: &'w mut AuditWriter,
    full: mpsc::SyncSender<Work<'a>>,
    empty: mpsc::Receiver<Work<'a>>,
    rows: Batch<'a>,
}

impl<'a> Producer<'a, '_> {
    /// Sends the rows queued, with their audit entries; false when the
    /// writer has stopped (on an error, which it returns).
    fn send(&mut self) -> bool {
        // A batch the writer has emptied, or new ones while it is busy.
        let (mut rows, mut entries) = self.empty.try_recv().unwrap_or_default();
        std::mem::swap(&mut rows, &mut self.rows);
        self.audit.swap_lite(&mut entries);
        self.full.send((rows, entries)).is_ok()
    }

    /// Classifies every row of the bundle as [`crate::import`]'s
    /// `write_inserts_sqlx` does and queues the new ones.
    fn classify(
        &mut self,
        bundle: &'a Bundle,
        stored: &Stored,
        skip: &[bool],
        dry_run: bool,
    ) -> (Vec<EntityCounts>, Updates, Digests) {
        let mut all_counts = Vec::new();
        let mut updates: Updates = Vec::new();
        let mut matched: Digests = vec![None; Entity::ALL.len()];
        let mut canon = CanonicalRow::default();
        let mut scratch = Scratch::default();
        let mut key = String::new();
        let mut key_quoted = String::new();
        let mut new_quoted = String::new();
        let mut stopped = false;
        for entity in Entity::ALL {
            let Some(t) = bundle.table(entity) else {
                continue;
            };
            let spec = entity.spec();
            let cols = t.columns();
            let key_pos = spec.key_positions();
            let names = json_names(spec);
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
            for row in 0..t.n_rows() {
                canon.fill(spec, &cols, row);
                canon.key(&key_pos, &mut key);
                match stored_keys.get(&key) {
                    None => {
                        counts.inserted += 1;
                        if dry_run || stopped {
                            continue;
                        }
                        json_key(&mut scratch.key, &key);
                        key_quoted.clear();
                        crate::audit::push_json_str(&mut key_quoted, &scratch.key);
                        canon.json_quoted(&names, &mut scratch.new, &mut new_quoted);
                        self.audit.record_insert_quoted(
                            spec.table,
                            &scratch.key,
                            &key_quoted,
                            &scratch.new,
                            &new_quoted,
                        );
                        add_cells(&mut self.rows, entity, &cols, row);
                        if self.rows.len() >= ROWS_PER_BATCH && !self.send() {
                            stopped = true;
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
            all_counts.push(counts);
        }
        if !stopped && !self.rows.is_empty() {
            self.send();
        }
        (all_counts, updates, matched)
    }
}

/// Queues one row's cells as [`crate::import`]'s `add_cells` binds them:
/// numbers and yes/no converted as
/// [`netra_clinical::registry::Kind::parse`] does, texts and dates bound
/// as written (borrowed from the bundle).
fn add_cells<'a>(
    batch: &mut Batch<'a>,
    entity: Entity,
    cols: &[Option<netra_frame::Column<'a>>],
    row: usize,
) {
    let spec = entity.spec();
    batch.row(Stmt::Insert(entity));
    for (i, c) in spec.columns.iter().enumerate() {
        let text = cols[i].and_then(|col| col.text(row));
        batch.cell(match (&c.kind, text) {
            (_, None) if spec.key.contains(&c.name) && !is_number(&c.kind) => Cell::Text(""),
            (_, None) => Cell::Null,
            (Kind::Integer { .. }, Some(t)) => Cell::Int(t.parse::<i64>().unwrap_or_default()),
            (Kind::YesNo, Some(t)) => Cell::Int(i64::from(t == "yes")),
            (Kind::Real { .. }, Some(t)) => {
                let x = t.parse::<f64>().unwrap_or_default();
                Cell::Real(if x == 0.0 { 0.0 } else { x })
            }
            (_, Some(t)) => Cell::Text(t),
        });
    }
}

/// True for the kinds bound as numbers (their NULL stays NULL even in a
/// key, as `add_cells` binds it).
fn is_number(kind: &Kind) -> bool {
    matches!(kind, Kind::Integer { .. } | Kind::YesNo | Kind::Real { .. })
}
