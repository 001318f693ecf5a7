//! Does the registry hold exactly what its audit trail says?
//!
//! The hash chain ([`crate::audit`]) proves that the *trail* was not
//! altered. It says nothing about the registry's tables: a direct
//! `UPDATE patient SET …`, `DELETE FROM lesion …` or `INSERT INTO …` by
//! someone with database access leaves the chain intact. This check
//! replays the trail, table by table — every insert sets a record's
//! values, every update changes the columns it names, every delete removes
//! the record — and compares the result with the rows stored, record by
//! record and column by column. Any difference is a change made without
//! an audit entry; the first (in entity order, then key order) is reported
//! with what the registry holds and what the trail says. An entry the
//! replay cannot apply (values that are not JSON, an unknown action) is an
//! error naming the entry: the first such entry in trail order, whichever
//! table it belongs to, on both paths.
//!
//! Here: the check through `sqlx` (PostgreSQL), one table's replayed
//! values in memory at a time, and the comparisons both paths share. On
//! SQLite the trail is read once for this check and the chain check
//! together ([`crate::sqlite_audit`]), and a record whose only entry is its
//! insert is compared by rendering the stored row as the importer renders
//! an insert's values ([`crate::rows`]): only when the texts differ are the
//! JSON values parsed and compared column by column ([`compare`]), which
//! names the column.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use netra_clinical::registry::schema::{Entity, EntitySpec, Value};
use sqlx::{AnyPool, Row};

use crate::StoreError;
use crate::check::key_of;
use crate::rows::{decode_row, json_key, json_of, push_text};
use crate::sql;

/// One record whose stored values differ from the replayed trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateProblem {
    /// The registry table.
    pub table: &'static str,
    /// The record's key, as the audit trail writes it (JSON array).
    pub key: String,
    /// What differs.
    pub reason: String,
}

impl std::fmt::Display for StateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.table, self.key, self.reason)
    }
}

/// The outcome of comparing the registry with its replayed trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateCheck {
    /// Records compared (stored rows).
    pub records: u64,
    /// Records that differ (added, changed or removed without an entry).
    pub differences: u64,
    /// The first difference, in entity order then key order.
    pub first: Option<StateProblem>,
}

impl StateCheck {
    /// True when the registry is exactly the replayed trail.
    pub fn is_consistent(&self) -> bool {
        self.differences == 0
    }
}

/// A record's values as canonical texts, by column position (`None`:
/// no value).
pub(crate) type Texts = Vec<Option<String>>;

pub(crate) fn texts_of(row: &[Value]) -> Texts {
    row.iter()
        .map(|v| {
            (!v.is_null()).then(|| {
                let mut s = String::new();
                push_text(&mut s, v);
                s
            })
        })
        .collect()
}

/// Applies a JSON object of column → text (or null) to `texts`.
pub(crate) fn apply(
    spec: &EntitySpec,
    texts: &mut Texts,
    values: Option<&str>,
) -> Result<(), String> {
    let Some(v) = values else { return Ok(()) };
    let obj: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(v).map_err(|e| format!("unreadable values in the trail: {e}"))?;
    for (col, val) in obj {
        let i = spec
            .position(&col)
            .ok_or_else(|| format!("the trail names an unknown column '{col}'"))?;
        texts[i] = match val {
            serde_json::Value::Null => None,
            serde_json::Value::String(s) => Some(s),
            other => Some(other.to_string()),
        };
    }
    Ok(())
}

/// What differs between a stored record and its replayed values.
pub(crate) fn difference(spec: &EntitySpec, stored: &Texts, replayed: &Texts) -> Option<String> {
    let show = |t: &Option<String>| match t {
        Some(s) => format!("'{s}'"),
        None => "empty".to_string(),
    };
    spec.columns
        .iter()
        .zip(stored.iter().zip(replayed))
        .find(|(_, (a, b))| a != b)
        .map(|(c, (a, b))| {
            format!(
                "{} is {} in the registry but {} by the audit trail (changed without an audit entry)",
                c.name,
                show(a),
                show(b)
            )
        })
}

/// One table's replayed trail: key → values, or the first entry of the
/// table the replay could not apply (its `seq`, and why).
enum TableReplay {
    Done(BTreeMap<String, Texts>),
    Failed(i64, StoreError),
}

/// Replays the trail of one table: key → values. A failing entry ends the
/// table's replay (a database error is returned as it is).
async fn replay_table(pool: &AnyPool, spec: &EntitySpec) -> Result<TableReplay, StoreError> {
    let mut state: BTreeMap<String, Texts> = BTreeMap::new();
    let mut rows = sqlx::query(
        "SELECT seq, action, record_key, new_values FROM audit_log WHERE table_name = $1 ORDER BY seq",
    )
    .bind(spec.table)
    .fetch(pool);
    while let Some(r) = rows.try_next().await? {
        let seq: i64 = r.try_get(0)?;
        let action: String = r.try_get(1)?;
        let key: String = r.try_get(2)?;
        let new: Option<String> = r.try_get(3)?;
        let bad = |reason: String| StoreError::Refused(format!("audit entry {seq}: {reason}"));
        let applied = match action.as_str() {
            "insert" => {
                let mut t = vec![None; spec.columns.len()];
                let applied = apply(spec, &mut t, new.as_deref());
                state.insert(key, t);
                applied
            }
            // An update of a record the trail never created is itself a
            // difference; start it empty so that it shows.
            "update" => apply(
                spec,
                state
                    .entry(key)
                    .or_insert_with(|| vec![None; spec.columns.len()]),
                new.as_deref(),
            ),
            "delete" => {
                state.remove(&key);
                Ok(())
            }
            other => Err(format!("unknown action '{other}'")),
        };
        if let Err(reason) = applied {
            return Ok(TableReplay::Failed(seq, bad(reason)));
        }
    }
    Ok(TableReplay::Done(state))
}

/// Keeps the earlier (in trail order) of two failing entries.
fn earlier(kept: Option<(i64, StoreError)>, seq: i64, e: StoreError) -> Option<(i64, StoreError)> {
    match kept {
        Some((s, k)) if s < seq => Some((s, k)),
        _ => Some((seq, e)),
    }
}

/// Compares every registry table with its replayed trail (see the module
/// documentation), one result row per entry and per record: the
/// PostgreSQL path, and on SQLite the reference the one-pass check of
/// [`crate::sqlite_audit`] is tested against. Once an entry fails, the
/// remaining tables are only replayed, to find the first failing entry in
/// trail order (which is what the one-pass check reports).
pub(crate) async fn verify_state_by_row(pool: &AnyPool) -> Result<StateCheck, StoreError> {
    let mut out = StateCheck::default();
    let mut failed: Option<(i64, StoreError)> = None;
    for entity in Entity::ALL {
        let spec = entity.spec();
        let replayed = match replay_table(pool, spec).await? {
            TableReplay::Failed(seq, e) => {
                failed = earlier(failed, seq, e);
                continue;
            }
            TableReplay::Done(_) if failed.is_some() => continue,
            TableReplay::Done(state) => state,
        };
        compare_table(pool, spec, replayed, &mut out).await?;
    }
    match failed {
        Some((_, e)) => Err(e),
        None => Ok(out),
    }
}

/// Compares one table's stored rows with its replayed trail, adding its
/// records and differences to `out` (and its first difference, if `out`
/// has none yet).
async fn compare_table(
    pool: &AnyPool,
    spec: &'static EntitySpec,
    mut replayed: BTreeMap<String, Texts>,
    out: &mut StateCheck,
) -> Result<(), StoreError> {
    let mut problems: BTreeMap<String, String> = BTreeMap::new();
    let q = format!("SELECT {} FROM {}", sql::column_list(spec), spec.table);
    let mut rows = sqlx::query(&q).fetch(pool);
    let mut key_json = String::new();
    while let Some(r) = rows.try_next().await? {
        out.records += 1;
        let values = decode_row(spec, &r)?;
        json_key(&mut key_json, &key_of(spec, &values));
        let stored = texts_of(&values);
        match replayed.remove(&key_json) {
            None => {
                problems.insert(
                    key_json.clone(),
                    "in the registry but not in the audit trail (added without an audit entry)"
                        .into(),
                );
            }
            Some(t) => {
                if let Some(d) = difference(spec, &stored, &t) {
                    problems.insert(key_json.clone(), d);
                }
            }
        }
    }
    for key in replayed.into_keys() {
        problems.insert(
            key,
            "in the audit trail but not in the registry (removed without an audit entry)".into(),
        );
    }
    out.differences += problems.len() as u64;
    if out.first.is_none()
        && let Some((key, reason)) = problems.into_iter().next()
    {
        out.first = Some(StateProblem {
            table: spec.table,
            key,
            reason,
        });
    }
    Ok(())
}

/// A record's replayed values: the text of its insert entry as stored
/// (compared with the stored row rendered the way the importer renders it:
/// no JSON parsing on the common path), or, once an update touched it,
/// its column texts.
pub(crate) enum Replayed {
    /// `new_values` of the insert, and the entry's seq for messages.
    Insert(String, i64),
    /// Column texts after updates.
    Texts(Texts),
}

impl Replayed {
    pub(crate) fn texts(self, spec: &EntitySpec) -> Result<Texts, StoreError> {
        match self {
            Replayed::Texts(t) => Ok(t),
            Replayed::Insert(json, seq) => {
                let mut t = vec![None; spec.columns.len()];
                apply(spec, &mut t, Some(&json))
                    .map_err(|r| StoreError::Refused(format!("audit entry {seq}: {r}")))?;
                Ok(t)
            }
        }
    }
}

/// Compares one stored record with its replayed values; `json` is a
/// scratch buffer.
pub(crate) fn compare(
    spec: &EntitySpec,
    values: &[Value],
    replayed: Replayed,
    json: &mut String,
) -> Result<Option<String>, StoreError> {
    if let Replayed::Insert(text, _) = &replayed {
        json_of(json, spec, values);
        if json == text {
            return Ok(None);
        }
    }
    // Texts that differ may still hold the same values (another JSON
    // spelling): compare value by value, as the row-by-row check does.
    let t = replayed.texts(spec)?;
    Ok(difference(spec, &texts_of(values), &t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn updates_apply_named_columns_and_differences_name_the_column() {
        let spec = Entity::Site.spec();
        let n = spec.columns.len();
        let mut t: Texts = vec![None; n];
        apply(spec, &mut t, Some(r#"{"site":"a","study":"s","name":"A"}"#)).unwrap();
        apply(spec, &mut t, Some(r#"{"name":null}"#)).unwrap();
        let i = spec.position("name").unwrap();
        assert_eq!(t[i], None);
        assert_eq!(t[spec.position("site").unwrap()].as_deref(), Some("a"));
        assert!(apply(spec, &mut t, Some(r#"{"nope":"x"}"#)).is_err());
        assert!(apply(spec, &mut t, Some("not json")).is_err());
        let mut stored = t.clone();
        assert_eq!(difference(spec, &stored, &t), None);
        stored[i] = Some("Centre A".into());
        let d = difference(spec, &stored, &t).unwrap();
        assert!(
            d.starts_with("name is 'Centre A' in the registry but empty by the audit trail"),
            "{d}"
        );
    }
}
