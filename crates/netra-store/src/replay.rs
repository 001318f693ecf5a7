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
//! with what the registry holds and what the trail says.
//!
//! Memory: one table's replayed values at a time (the text of each
//! record's insert entry, or its canonical texts once updated).
//!
//! Speed: the trail and the child tables are read in pages, one result row
//! per page (the driver's per-row cost dominated: one row per entry and per
//! record took about 10 µs each). A record whose only entry is its insert
//! is compared by rendering the stored row as the importer renders an
//! insert's values ([`crate::rows`]) and comparing the two texts; only when
//! they differ are the JSON values parsed and compared column by column,
//! which names the column, as before.

use std::collections::{BTreeMap, HashMap};

use futures_util::TryStreamExt;
use netra_clinical::registry::schema::{Entity, EntitySpec, Value};
use sqlx::{AnyPool, Row};

use crate::StoreError;
use crate::check::key_of;
use crate::db::Backend;
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
type Texts = Vec<Option<String>>;

fn texts_of(row: &[Value]) -> Texts {
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
fn apply(spec: &EntitySpec, texts: &mut Texts, values: Option<&str>) -> Result<(), String> {
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
fn difference(spec: &EntitySpec, stored: &Texts, replayed: &Texts) -> Option<String> {
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

/// Replays the trail of one table: key → values.
async fn replay_table(
    pool: &AnyPool,
    spec: &EntitySpec,
) -> Result<BTreeMap<String, Texts>, StoreError> {
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
        match action.as_str() {
            "insert" => {
                let mut t = vec![None; spec.columns.len()];
                apply(spec, &mut t, new.as_deref()).map_err(bad)?;
                state.insert(key, t);
            }
            "update" => {
                // An update of a record the trail never created is itself a
                // difference; start it empty so that it shows.
                let t = state
                    .entry(key)
                    .or_insert_with(|| vec![None; spec.columns.len()]);
                apply(spec, t, new.as_deref()).map_err(bad)?;
            }
            "delete" => {
                state.remove(&key);
            }
            other => return Err(bad(format!("unknown action '{other}'"))),
        }
    }
    Ok(state)
}

/// Compares every registry table with its replayed trail (see the module
/// documentation), one result row per entry and per record: the reference
/// [`verify_state`] is tested against.
pub(crate) async fn verify_state_by_row(pool: &AnyPool) -> Result<StateCheck, StoreError> {
    let mut out = StateCheck::default();
    for entity in Entity::ALL {
        let spec = entity.spec();
        let mut replayed = replay_table(pool, spec).await?;
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
                "in the audit trail but not in the registry (removed without an audit entry)"
                    .into(),
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
    }
    Ok(out)
}

/// A record's replayed values: the text of its insert entry as stored
/// (compared with the stored row rendered the way the importer renders it:
/// no JSON parsing on the common path), or, once an update touched it,
/// its column texts.
enum Replayed {
    /// `new_values` of the insert, and the entry's seq for messages.
    Insert(String, i64),
    /// Column texts after updates.
    Texts(Texts),
}

impl Replayed {
    fn texts(self, spec: &EntitySpec) -> Result<Texts, StoreError> {
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

/// The trail of one table in pages (see [`crate::audit_scan`] for the
/// length-prefixed encoding): seq, action, record key, new values.
fn trail_page_sql(backend: Backend) -> String {
    let field = |c: &str| format!("coalesce(octet_length({c}) || ':', '-'), {c}");
    let enc = format!(
        "concat(seq, ',', {}, {}, {})",
        field("action"),
        field("record_key"),
        field("new_values")
    );
    // SQLite: `+table_name` keeps the planner on the seq (rowid) range;
    // the index on (table_name, record_key) would need a sort by seq.
    let (agg, filter) = match backend {
        Backend::Sqlite => ("group_concat", "+table_name = $1"),
        Backend::Postgres => ("string_agg", "table_name = $1"),
    };
    format!(
        "SELECT {agg}(e, '' ORDER BY seq), MAX(seq) FROM \
         (SELECT seq, {enc} AS e FROM audit_log \
          WHERE {filter} AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4) AS page"
    )
}

/// Replays the trail of one table, read in pages.
async fn replay_table_paged(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    spec: &EntitySpec,
    backend: Backend,
) -> Result<HashMap<String, Replayed>, StoreError> {
    let mut state: HashMap<String, Replayed> = HashMap::new();
    let range = sqlx::query("SELECT MIN(seq), MAX(seq) FROM audit_log WHERE table_name = $1")
        .bind(spec.table)
        .fetch_one(&mut **tx)
        .await?;
    let (Some(first), Some(end)) = (
        range.try_get::<Option<i64>, _>(0)?,
        range.try_get::<Option<i64>, _>(1)?,
    ) else {
        return Ok(state);
    };
    let sql = trail_page_sql(backend);
    let mut after = first - 1;
    while after < end {
        let row = sqlx::query(&sql)
            .bind(spec.table)
            .bind(after)
            .bind(end)
            .bind(crate::audit_scan::PAGE)
            .fetch_one(&mut **tx)
            .await?;
        let (Some(page), Some(last)) = (
            row.try_get::<Option<String>, _>(0)?,
            row.try_get::<Option<i64>, _>(1)?,
        ) else {
            break;
        };
        after = last;
        let mut at = 0;
        while at < page.len() {
            let seq = crate::audit_scan::int_field(&page, &mut at)?.unwrap_or_default();
            let action = crate::audit_scan::text_field(&page, &mut at)?.unwrap_or_default();
            let key = crate::audit_scan::text_field(&page, &mut at)?.unwrap_or_default();
            let new = crate::audit_scan::text_field(&page, &mut at)?;
            let bad = |reason: String| StoreError::Refused(format!("audit entry {seq}: {reason}"));
            match action {
                "insert" => {
                    let r = match new {
                        Some(json) => Replayed::Insert(json.to_string(), seq),
                        None => Replayed::Texts(vec![None; spec.columns.len()]),
                    };
                    state.insert(key.to_string(), r);
                }
                "update" => {
                    // An update of a record the trail never created is
                    // itself a difference; start it empty so that it shows.
                    let mut t = match state.remove(key) {
                        Some(r) => r.texts(spec)?,
                        None => vec![None; spec.columns.len()],
                    };
                    apply(spec, &mut t, new).map_err(bad)?;
                    state.insert(key.to_string(), Replayed::Texts(t));
                }
                "delete" => {
                    state.remove(key);
                }
                other => return Err(bad(format!("unknown action '{other}'"))),
            }
        }
    }
    Ok(state)
}

/// Compares one stored record with its replayed values; `json` is a
/// scratch buffer.
fn compare(
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

/// Compares every registry table with its replayed trail (see the module
/// documentation): the trail and the child tables read in pages (one
/// result row per page, as [`crate::audit_scan`] and
/// [`crate::query::courses`] do), inserts compared as texts.
pub(crate) async fn verify_state(
    pool: &AnyPool,
    backend: Backend,
    patients_per_page: usize,
) -> Result<StateCheck, StoreError> {
    let mut tx = pool.begin().await?;
    let mut out = StateCheck::default();
    let bounds = crate::query::page_bounds(&mut tx, patients_per_page).await?;
    let mut key_json = String::new();
    let mut json = String::new();
    let mut records: Vec<Vec<Value>> = Vec::new();
    for entity in Entity::ALL {
        let spec = entity.spec();
        let mut replayed = replay_table_paged(&mut tx, spec, backend).await?;
        let mut problems: BTreeMap<String, String> = BTreeMap::new();
        let mut check = |values: &[Value], out: &mut StateCheck| -> Result<(), StoreError> {
            out.records += 1;
            json_key(&mut key_json, &key_of(spec, values));
            let problem = match replayed.remove(&key_json) {
                None => Some(
                    "in the registry but not in the audit trail (added without an audit entry)"
                        .to_string(),
                ),
                Some(r) => compare(spec, values, r, &mut json)?,
            };
            if let Some(p) = problem {
                problems.insert(key_json.clone(), p);
            }
            Ok(())
        };
        if spec.position("patient").is_some() && entity != Entity::Patient {
            for k in 0..bounds.len().max(1) {
                let text = crate::query::table_page(&mut tx, spec, backend, &bounds, k).await?;
                let Some(text) = text else { continue };
                crate::query::decode_encoded(spec, &text, &mut records)?;
                for values in &records {
                    check(values, &mut out)?;
                }
            }
        } else {
            let q = format!("SELECT {} FROM {}", sql::column_list(spec), spec.table);
            let mut rows = sqlx::query(&q).fetch(&mut *tx);
            while let Some(r) = rows.try_next().await? {
                check(&decode_row(spec, &r)?, &mut out)?;
            }
        }
        for key in replayed.into_keys() {
            problems.insert(
                key,
                "in the audit trail but not in the registry (removed without an audit entry)"
                    .into(),
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
    }
    tx.commit().await?;
    Ok(out)
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
