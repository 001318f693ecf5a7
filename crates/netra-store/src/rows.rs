//! Values in and out of the database: binding a row's values with the SQL
//! type of each column, and decoding stored rows back into values.

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::ModelError;
use netra_clinical::registry::schema::{EntitySpec, Kind, Value};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use crate::StoreError;

pub(crate) type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// Binds one value. NULLs are bound with the column's type (PostgreSQL
/// refuses a text NULL in a BIGINT column); an absent optional key part is
/// bound as `''`.
pub(crate) fn bind<'q>(q: AnyQuery<'q>, kind: &Kind, key: bool, v: &'q Value) -> AnyQuery<'q> {
    match (kind, v) {
        (_, Value::Text(s)) => q.bind(s.as_str()),
        (_, Value::Date(d)) => q.bind(d.to_string()),
        (_, Value::Int(n)) => q.bind(*n),
        (_, Value::Bool(b)) => q.bind(i64::from(*b)),
        (_, Value::Real(x)) => q.bind(*x),
        (Kind::Integer { .. } | Kind::YesNo, Value::Null) => q.bind(None::<i64>),
        // sqlx 0.8's Any driver swaps the NULL types of f32 and f64 when it
        // converts arguments for PostgreSQL (a NULL f64 is sent as float4,
        // which then clashes with a cached statement's float8 parameter); a
        // NULL f32 is sent as float8, the column's type.
        (Kind::Real { .. }, Value::Null) => q.bind(None::<f32>),
        (_, Value::Null) if key => q.bind(""),
        (_, Value::Null) => q.bind(None::<String>),
    }
}

/// Binds every value of a row in schema order.
pub(crate) fn bind_row<'q>(mut q: AnyQuery<'q>, spec: &EntitySpec, row: &'q [Value]) -> AnyQuery<'q> {
    for (c, v) in spec.columns.iter().zip(row) {
        q = bind(q, &c.kind, spec.key.contains(&c.name), v);
    }
    q
}

/// Decodes a row selected with [`crate::sql::column_list`].
pub(crate) fn decode_row(spec: &EntitySpec, row: &AnyRow) -> Result<Vec<Value>, StoreError> {
    let mut out = Vec::with_capacity(spec.columns.len());
    for (i, c) in spec.columns.iter().enumerate() {
        let v = match &c.kind {
            Kind::Id | Kind::Text | Kind::Code(_) => match row.try_get::<Option<String>, _>(i)? {
                None => Value::Null,
                Some(s) if s.is_empty() => Value::Null,
                Some(s) => Value::Text(s),
            },
            Kind::Date => match row.try_get::<Option<String>, _>(i)? {
                None => Value::Null,
                Some(s) if s.is_empty() => Value::Null,
                Some(s) => Value::Date(s.parse::<PartialDate>().map_err(|e| {
                    StoreError::Model(ModelError {
                        table: spec.table,
                        column: c.name.to_string(),
                        reason: format!("stored date '{s}': {}", e.0),
                    })
                })?),
            },
            Kind::Integer { .. } => match row.try_get::<Option<i64>, _>(i)? {
                None => Value::Null,
                Some(n) => Value::Int(n),
            },
            Kind::YesNo => match row.try_get::<Option<i64>, _>(i)? {
                None => Value::Null,
                Some(n) => Value::Bool(n != 0),
            },
            Kind::Real { .. } => match row.try_get::<Option<f64>, _>(i)? {
                None => Value::Null,
                Some(x) => Value::Real(x),
            },
        };
        out.push(v);
    }
    Ok(out)
}

/// The values of a row as a JSON object of canonical texts (absent values
/// left out), for the audit trail.
pub(crate) fn json_of(spec: &EntitySpec, row: &[Value]) -> String {
    let mut m = serde_json::Map::new();
    for (c, v) in spec.columns.iter().zip(row) {
        if let Some(t) = v.to_text() {
            m.insert(c.name.to_string(), serde_json::Value::String(t));
        }
    }
    serde_json::Value::Object(m).to_string()
}

/// Old and new values of the columns that differ, as two JSON objects
/// (`null` where a side has no value).
pub(crate) fn json_diff(spec: &EntitySpec, old: &[Value], new: &[Value]) -> (String, String) {
    let mut o = serde_json::Map::new();
    let mut n = serde_json::Map::new();
    for ((c, a), b) in spec.columns.iter().zip(old).zip(new) {
        let (ta, tb) = (a.to_text(), b.to_text());
        if ta != tb {
            o.insert(c.name.to_string(), ta.map_or(serde_json::Value::Null, Into::into));
            n.insert(c.name.to_string(), tb.map_or(serde_json::Value::Null, Into::into));
        }
    }
    (
        serde_json::Value::Object(o).to_string(),
        serde_json::Value::Object(n).to_string(),
    )
}

/// The natural key as a JSON array of texts.
pub(crate) fn json_key(key: &str) -> String {
    serde_json::Value::Array(
        crate::check::key_parts(key)
            .into_iter()
            .map(|p| serde_json::Value::String(p.to_string()))
            .collect(),
    )
    .to_string()
}
