//! Values in and out of the database: binding a row's values with the SQL
//! type of each column, and decoding stored rows back into values.

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::ModelError;
use netra_clinical::registry::schema::{EntitySpec, Kind, Value};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use crate::StoreError;
use crate::audit::push_json_str;

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

/// Appends the canonical text of a non-null value.
pub(crate) fn push_text(out: &mut String, v: &Value) {
    use std::fmt::Write as _;
    match v {
        Value::Null => {}
        Value::Text(s) => out.push_str(s),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Real(x) => {
            let _ = write!(out, "{x}");
        }
        Value::Date(d) => {
            let _ = write!(out, "{d}");
        }
        Value::Bool(b) => out.push_str(if *b { "yes" } else { "no" }),
    }
}

fn push_json_value(out: &mut String, scratch: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Text(s) => push_json_str(out, s),
        other => {
            scratch.clear();
            push_text(scratch, other);
            push_json_str(out, scratch);
        }
    }
}

/// Writes the values of a row as a JSON object of canonical texts (absent
/// values left out, columns in schema order), for the audit trail.
pub(crate) fn json_of(out: &mut String, spec: &EntitySpec, row: &[Value]) {
    let mut scratch = String::new();
    out.clear();
    out.push('{');
    let mut first = true;
    for (c, v) in spec.columns.iter().zip(row) {
        if v.is_null() {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        push_json_str(out, c.name);
        out.push(':');
        push_json_value(out, &mut scratch, v);
    }
    out.push('}');
}

/// Writes the old and new values of the columns that differ as two JSON
/// objects (`null` where a side has no value).
pub(crate) fn json_diff(
    old_out: &mut String,
    new_out: &mut String,
    spec: &EntitySpec,
    old: &[Value],
    new: &[Value],
) {
    let mut scratch = String::new();
    old_out.clear();
    new_out.clear();
    old_out.push('{');
    new_out.push('{');
    let mut first = true;
    for ((c, a), b) in spec.columns.iter().zip(old).zip(new) {
        if a == b {
            continue;
        }
        if !first {
            old_out.push(',');
            new_out.push(',');
        }
        first = false;
        push_json_str(old_out, c.name);
        old_out.push(':');
        push_json_value(old_out, &mut scratch, a);
        push_json_str(new_out, c.name);
        new_out.push(':');
        push_json_value(new_out, &mut scratch, b);
    }
    old_out.push('}');
    new_out.push('}');
}

/// Writes the natural key as a JSON array of texts.
pub(crate) fn json_key(out: &mut String, key: &str) {
    out.clear();
    out.push('[');
    for (i, part) in crate::check::key_parts(key).into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_str(out, part);
    }
    out.push(']');
}
