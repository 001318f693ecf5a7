//! SQL text for the registry tables, built from the schema so that the
//! statements can never disagree with the column list.
//!
//! Portability rules (one code path for SQLite and PostgreSQL):
//! * placeholders are `$1, $2, …` (both drivers accept them);
//! * column types are `TEXT` (identifiers, codes, text, ISO partial dates),
//!   `BIGINT` (integers, yes/no as 0/1) and `DOUBLE PRECISION` (numbers);
//!   SQLite reads these as TEXT, INTEGER and REAL affinities;
//! * natural keys are the primary keys; an optional key column (`detail`)
//!   is stored as `''` when absent, because primary-key columns cannot be
//!   NULL in PostgreSQL;
//! * text is ordered byte-wise: `COLLATE "C"` on PostgreSQL, SQLite's default
//!   BINARY collation, so exports are identical on both.

use netra_clinical::registry::schema::{Entity, EntitySpec, Kind};

use crate::db::Backend;

/// The SQL type of a column kind.
pub fn sql_type(kind: &Kind) -> &'static str {
    match kind {
        Kind::Id | Kind::Text | Kind::Code(_) | Kind::Date => "TEXT",
        Kind::Integer { .. } | Kind::YesNo => "BIGINT",
        Kind::Real { .. } => "DOUBLE PRECISION",
    }
}

/// `CREATE TABLE` for one entity (how migration 0001 was written; a test
/// checks the migration still matches).
pub fn create_table(spec: &EntitySpec) -> String {
    let mut lines: Vec<String> = spec
        .columns
        .iter()
        .map(|c| {
            let key = spec.key.contains(&c.name);
            let not_null = if c.required || key { " NOT NULL" } else { "" };
            let default = if key && !c.required {
                " DEFAULT ''"
            } else {
                ""
            };
            format!("    {} {}{}{}", c.name, sql_type(&c.kind), not_null, default)
        })
        .collect();
    lines.push(format!("    PRIMARY KEY ({})", spec.key.join(", ")));
    for r in &spec.references {
        let target = r.target.spec();
        lines.push(format!(
            "    FOREIGN KEY ({}) REFERENCES {} ({})",
            r.columns.join(", "),
            target.table,
            target.key.join(", ")
        ));
    }
    let mut sql = format!("CREATE TABLE {} (\n{}\n);\n", spec.table, lines.join(",\n"));
    // Index every foreign key that is not a prefix of the primary key, so
    // that "patients of a site" and the checks of a delete are index scans.
    for r in &spec.references {
        if !spec.key.starts_with(&r.columns) {
            sql.push_str(&format!(
                "CREATE INDEX {}_{} ON {} ({});\n",
                spec.table,
                r.columns.join("_"),
                spec.table,
                r.columns.join(", ")
            ));
        }
    }
    sql
}

/// The comma-separated column list of an entity.
pub fn column_list(spec: &EntitySpec) -> String {
    spec.columns
        .iter()
        .map(|c| c.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ORDER BY` the natural key, byte-wise on both backends.
pub fn order_by_key(spec: &EntitySpec, backend: Backend) -> String {
    let collate = match backend {
        Backend::Postgres => " COLLATE \"C\"",
        Backend::Sqlite => "",
    };
    let cols: Vec<String> = spec
        .key
        .iter()
        .map(|k| match spec.column(k).map(|c| &c.kind) {
            Some(Kind::Integer { .. }) => k.to_string(),
            _ => format!("{k}{collate}"),
        })
        .collect();
    format!("ORDER BY {}", cols.join(", "))
}

/// A multi-row `INSERT` of `rows` rows.
pub fn insert(spec: &EntitySpec, rows: usize) -> String {
    let n = spec.columns.len();
    let mut sql = format!("INSERT INTO {} ({}) VALUES ", spec.table, column_list(spec));
    let mut p = 1;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..n {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&p.to_string());
            p += 1;
        }
        sql.push(')');
    }
    sql
}

/// `UPDATE` of every non-key column of one row; parameters are the non-key
/// columns in schema order, then the key columns in key order.
pub fn update(spec: &EntitySpec) -> String {
    let mut p = 0;
    let sets: Vec<String> = spec
        .columns
        .iter()
        .filter(|c| !spec.key.contains(&c.name))
        .map(|c| {
            p += 1;
            format!("{} = ${p}", c.name)
        })
        .collect();
    let wheres: Vec<String> = spec
        .key
        .iter()
        .map(|k| {
            p += 1;
            format!("{k} = ${p}")
        })
        .collect();
    format!(
        "UPDATE {} SET {} WHERE {}",
        spec.table,
        sets.join(", "),
        wheres.join(" AND ")
    )
}

/// `WHERE` on the whole natural key, parameters `$1…`.
pub fn where_key(spec: &EntitySpec) -> String {
    let w: Vec<String> = spec
        .key
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k} = ${}", i + 1))
        .collect();
    w.join(" AND ")
}

/// Rows per multi-row statement: stays under SQLite's limit of 32 766
/// parameters (PostgreSQL allows 65 535) and keeps statements a few hundred
/// kilobytes.
pub fn rows_per_statement(n_columns: usize) -> usize {
    (16_000 / n_columns.max(1)).clamp(1, 1000)
}

/// Every registry table, parents first.
pub fn tables() -> impl Iterator<Item = &'static EntitySpec> {
    Entity::ALL.iter().map(|e| e.spec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements() {
        let spec = Entity::Study.spec();
        assert_eq!(
            insert(spec, 2),
            "INSERT INTO study (study, title, description) VALUES ($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(
            update(spec),
            "UPDATE study SET title = $1, description = $2 WHERE study = $3"
        );
        let m = Entity::Metastasis.spec();
        assert_eq!(
            order_by_key(m, Backend::Postgres),
            "ORDER BY patient COLLATE \"C\", site COLLATE \"C\", detail COLLATE \"C\""
        );
        assert!(create_table(m).contains("detail TEXT NOT NULL DEFAULT ''"));
        let ra = Entity::RadionuclideAdministration.spec();
        assert_eq!(
            order_by_key(ra, Backend::Sqlite),
            "ORDER BY patient, treatment, administration"
        );
    }
}

#[cfg(test)]
mod migration_tests {
    use super::*;

    /// Migration 0001 was generated from the schema; while no later
    /// migration alters the registry tables, the two must agree exactly.
    /// (`NETRA_BLESS=1` regenerates it — only before it has shipped.)
    #[test]
    fn migration_0001_matches_the_schema() {
        let mut want = String::from(
            "-- Registry tables, generated from crates/netra-clinical/src/registry/schema.rs\n\
             -- (see crates/netra-store/src/sql.rs). One table per bundle file; natural keys\n\
             -- are the primary keys; foreign keys follow the schema's references.\n\n",
        );
        for spec in tables() {
            want.push_str(&create_table(spec));
            want.push('\n');
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/0001_registry.sql");
        if std::env::var_os("NETRA_BLESS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let got = std::fs::read_to_string(&path).unwrap();
        assert!(got == want, "migrations/0001_registry.sql differs from the schema");
    }
}
