//! What a single-record write expects of the registry, checked inside the
//! write transaction itself.
//!
//! The web forms check permissions (whose site is this patient?) and
//! whether a key is free *before* they write. Checked outside the
//! transaction, both can be stale by the time of the write: two creates of
//! one code both find it free, and the second silently overwrites the
//! first, possibly moving another site's new patient to the writer's site.
//! The writer therefore hands the store the facts its decision rested on —
//! "this key is free", "this record is still exactly what I checked",
//! "this patient is still at site A" — and the store re-reads them after
//! taking the write lock (SQLite `BEGIN IMMEDIATE`, the PostgreSQL advisory
//! lock every netra writer takes), where no other netra writer can change
//! them before the commit. A fact that no longer holds refuses the write
//! with the caller's own message, and nothing is written.

use netra_clinical::registry::schema::{Entity, Value};
use sqlx::{Any, Transaction};

use crate::StoreError;
use crate::import::fetch_by_key;

/// The state a record must be in for a write to go ahead.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// No record has this key (a create).
    Absent,
    /// The record exists and these columns (schema names) hold these
    /// values; an empty list only asks that it exists.
    Columns(Vec<(String, Value)>),
    /// The record exists exactly as this row (schema column order): nobody
    /// changed it since it was read and checked.
    Row(Vec<Value>),
}

/// How a write is refused when its expectation does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Otherwise {
    /// [`StoreError::Refused`] with this message (a conflict).
    Refused(String),
    /// [`StoreError::NotFound`] with this message.
    NotFound(String),
}

/// One expectation of a write: the record of `entity` with `key` (values of
/// the key columns in key order) is in `state`, or the write fails as
/// `otherwise` says.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The entity of the record.
    pub entity: Entity,
    /// Its key.
    pub key: Vec<Value>,
    /// The state required.
    pub state: Expected,
    /// The error when it is not so.
    pub otherwise: Otherwise,
}

impl Expect {
    fn refusal(&self) -> StoreError {
        match &self.otherwise {
            Otherwise::Refused(m) => StoreError::Refused(m.clone()),
            Otherwise::NotFound(m) => StoreError::NotFound(m.clone()),
        }
    }

    /// True when `row` (the stored record, if any) is as expected.
    fn holds(&self, row: Option<&[Value]>) -> bool {
        let spec = self.entity.spec();
        match (&self.state, row) {
            (Expected::Absent, r) => r.is_none(),
            (_, None) => false,
            (Expected::Row(want), Some(r)) => want.as_slice() == r,
            (Expected::Columns(cols), Some(r)) => cols
                .iter()
                .all(|(c, v)| spec.position(c).is_some_and(|i| r.get(i) == Some(v))),
        }
    }
}

/// Checks every expectation inside `tx` (which holds the write lock); the
/// first that fails is the error.
pub(crate) async fn check_all(
    tx: &mut Transaction<'static, Any>,
    expects: &[Expect],
) -> Result<(), StoreError> {
    for e in expects {
        if e.key.len() != e.entity.spec().key.len() {
            return Err(e.refusal());
        }
        let row = fetch_by_key(tx, e.entity, &e.key).await?;
        if !e.holds(row.as_deref()) {
            return Err(e.refusal());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expectations_compare_rows_and_columns() {
        let spec = Entity::Site.spec();
        let mut row = vec![Value::Null; spec.columns.len()];
        row[spec.position("site").unwrap()] = Value::Text("a".into());
        let e = |state| Expect {
            entity: Entity::Site,
            key: vec![Value::Text("a".into())],
            state,
            otherwise: Otherwise::Refused("no".into()),
        };
        assert!(e(Expected::Absent).holds(None));
        assert!(!e(Expected::Absent).holds(Some(&row)));
        assert!(e(Expected::Row(row.clone())).holds(Some(&row)));
        assert!(!e(Expected::Row(row.clone())).holds(None));
        let site = |s: &str| vec![("site".to_string(), Value::Text(s.into()))];
        assert!(e(Expected::Columns(site("a"))).holds(Some(&row)));
        assert!(!e(Expected::Columns(site("b"))).holds(Some(&row)));
        assert!(!e(Expected::Columns(vec![("nope".into(), Value::Null)])).holds(Some(&row)));
        let mut changed = row.clone();
        changed[spec.position("site").unwrap()] = Value::Text("b".into());
        assert!(!e(Expected::Row(row)).holds(Some(&changed)));
        assert!(matches!(
            e(Expected::Absent).refusal(),
            StoreError::Refused(m) if m == "no"
        ));
    }
}
