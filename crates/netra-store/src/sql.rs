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
/// checks the migration still matches). SQLite tables are `WITHOUT ROWID`:
/// rows are stored in natural-key order in one B-tree instead of a rowid
/// table plus a key index, which halves the writes of an import and makes
/// "every record of a patient" one contiguous range.
pub fn create_table(spec: &EntitySpec, backend: Backend) -> String {
    create_table_without(spec, backend, &[])
}

/// The columns of the registry model's second version (migration 0004),
/// added to the tables of migration 0001 by `ALTER TABLE … ADD COLUMN`. A
/// later migration that adds columns appends its own list.
pub const MODEL_V2_COLUMNS: &[(Entity, &[&str])] = &[
    (
        Entity::Patient,
        &[
            "diagnosis_date_not_before",
            "diagnosis_date_not_after",
            "metastatic_date_not_before",
            "metastatic_date_not_after",
            "death_date_not_before",
            "death_date_not_after",
        ],
    ),
    (
        Entity::Tumour,
        &[
            "grade_system",
            "reported_grade",
            "mitoses_per_10hpf",
            "necrosis",
        ],
    ),
    (
        Entity::Treatment,
        &[
            "start_date_not_before",
            "start_date_not_after",
            "end_date_not_before",
            "end_date_not_after",
            "target_organ",
            "target_lesions",
        ],
    ),
    (Entity::TreatmentAgent, &["route", "formulation"]),
    (
        Entity::RadionuclideAdministration,
        &["lu177_gbq", "y90_gbq", "tumour_dose_gy"],
    ),
    (Entity::Assessment, &["date_not_before", "date_not_after"]),
];

/// The columns of `entity` added after migration 0001.
pub fn added_columns(entity: Entity) -> &'static [&'static str] {
    MODEL_V2_COLUMNS
        .iter()
        .find(|(e, _)| *e == entity)
        .map_or(&[], |(_, c)| c)
}

/// `ALTER TABLE … ADD COLUMN` for every column of [`MODEL_V2_COLUMNS`]
/// (how migration 0004 was written; a test checks it still matches). New
/// columns are optional, so they are added without a default and old rows
/// read them as not recorded.
pub fn model_v2_migration() -> String {
    let mut sql = String::from(
        "-- Registry model, second version (docs/model-v2.md): dates known as ranges,\n\
         -- grading systems, treatment route/formulation/target, combined PRRT.\n\
         -- Generated from crates/netra-clinical/src/registry/schema.rs by\n\
         -- crates/netra-store/src/sql.rs (model_v2_migration).\n\n",
    );
    for (entity, cols) in MODEL_V2_COLUMNS {
        let spec = entity.spec();
        for name in *cols {
            let c = spec.column(name).expect("model v2 column exists");
            sql.push_str(&format!(
                "ALTER TABLE {} ADD COLUMN {} {};\n",
                spec.table,
                c.name,
                sql_type(&c.kind)
            ));
        }
    }
    sql
}

/// The registry model's third step (migration 0006, docs/model-v2.md):
/// the entities whose tables it creates…
pub const MODEL_V3_ENTITIES: &[Entity] = &[
    Entity::Immunohistochemistry,
    Entity::GeneticTest,
    Entity::QolResponse,
    Entity::Comorbidity,
];

/// … the columns it adds to existing tables …
pub const MODEL_V3_COLUMNS: &[(Entity, &[&str])] = &[
    (Entity::Biomarker, &["result"]),
    (
        Entity::ClinicalStatus,
        &["flushing_per_day", "diarrhoea_per_day"],
    ),
];

/// … and the columns that were required before it and are optional since
/// (a marker result without a number has no value and may have no unit).
pub const MODEL_V3_RELAXED: &[(Entity, &[&str])] = &[(Entity::Biomarker, &["value", "unit"])];

fn listed(
    list: &'static [(Entity, &'static [&'static str])],
    entity: Entity,
) -> &'static [&'static str] {
    list.iter()
        .find(|(e, _)| *e == entity)
        .map_or(&[], |(_, c)| c)
}

/// Every column of `entity` added after migration 0001, in the order the
/// migrations added them (0004's, then 0006's): `ALTER TABLE … ADD COLUMN`
/// appends, so a table's physical columns are 0001's in schema order, then
/// these.
pub fn columns_added_later(entity: Entity) -> Vec<&'static str> {
    added_columns(entity)
        .iter()
        .chain(listed(MODEL_V3_COLUMNS, entity))
        .copied()
        .collect()
}

/// `CREATE TABLE` of an entity as migration 0001 wrote it: without the
/// columns added later, with the columns relaxed later still required.
/// `None` for the entities later migrations created.
pub fn create_table_v1(spec: &EntitySpec, backend: Backend) -> Option<String> {
    if MODEL_V3_ENTITIES.contains(&spec.entity) {
        return None;
    }
    let later = columns_added_later(spec.entity);
    let columns: Vec<&str> = spec
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|n| !later.contains(n))
        .collect();
    Some(create_table_of(
        spec,
        backend,
        &columns,
        listed(MODEL_V3_RELAXED, spec.entity),
    ))
}

/// Migration 0006 on `backend`: the new tables; the added columns; the
/// relaxed columns — PostgreSQL drops their `NOT NULL`, SQLite (which
/// cannot) rebuilds the table with its physical column order kept (0001's
/// columns, then the added ones), so both backends end with the same
/// columns in the same order.
pub fn model_v3_migration(backend: Backend) -> String {
    let mut sql = String::from(
        "-- Registry model, third step (docs/model-v2.md): marker results without a\n\
         -- number, immunohistochemistry, genetics, quality of life, comorbidities,\n\
         -- symptom counts. Generated from crates/netra-clinical/src/registry/schema.rs\n\
         -- by crates/netra-store/src/sql.rs (model_v3_migration).\n\n",
    );
    for (entity, cols) in MODEL_V3_COLUMNS {
        let spec = entity.spec();
        let relaxed = listed(MODEL_V3_RELAXED, *entity);
        if backend == Backend::Sqlite && !relaxed.is_empty() {
            // The columns before this migration, in their physical order
            // (0001's, then 0004's), then this migration's.
            let later = columns_added_later(*entity);
            let old: Vec<&str> = spec
                .columns
                .iter()
                .map(|c| c.name)
                .filter(|n| !later.contains(n))
                .chain(added_columns(*entity).iter().copied())
                .collect();
            let order: Vec<&str> = old.iter().chain(cols.iter()).copied().collect();
            let new_table = format!("{}_v6", spec.table);
            sql.push_str(&create_table_of(spec, backend, &order, &[]).replacen(
                &format!("CREATE TABLE {} (", spec.table),
                &format!("CREATE TABLE {new_table} ("),
                1,
            ));
            sql.push_str(&format!(
                "INSERT INTO {new_table} ({0}) SELECT {0} FROM {1};\nDROP TABLE {1};\nALTER TABLE {new_table} RENAME TO {1};\n",
                old.join(", "),
                spec.table
            ));
            continue;
        }
        for name in relaxed {
            sql.push_str(&format!(
                "ALTER TABLE {} ALTER COLUMN {name} DROP NOT NULL;\n",
                spec.table
            ));
        }
        for name in *cols {
            let c = spec.column(name).expect("model v3 column exists");
            sql.push_str(&format!(
                "ALTER TABLE {} ADD COLUMN {} {};\n",
                spec.table,
                c.name,
                sql_type(&c.kind)
            ));
        }
    }
    for entity in MODEL_V3_ENTITIES {
        sql.push('\n');
        sql.push_str(&create_table(entity.spec(), backend));
    }
    sql
}

/// `CREATE TABLE` for one entity leaving out the columns `skip`.
pub fn create_table_without(spec: &EntitySpec, backend: Backend, skip: &[&str]) -> String {
    let columns: Vec<&str> = spec
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|n| !skip.contains(n))
        .collect();
    create_table_of(spec, backend, &columns, &[])
}

/// `CREATE TABLE` for one entity with `columns` in that order, the columns
/// `required_then` `NOT NULL` although the schema now makes them optional
/// (how a migration wrote the table before a later one relaxed them).
fn create_table_of(
    spec: &EntitySpec,
    backend: Backend,
    columns: &[&str],
    required_then: &[&str],
) -> String {
    let mut lines: Vec<String> = columns
        .iter()
        .filter_map(|n| spec.column(n))
        .map(|c| {
            let key = spec.key.contains(&c.name);
            let required = c.required || required_then.contains(&c.name);
            let not_null = if required || key { " NOT NULL" } else { "" };
            let default = if key && !required { " DEFAULT ''" } else { "" };
            format!(
                "    {} {}{}{}",
                c.name,
                sql_type(&c.kind),
                not_null,
                default
            )
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
    let suffix = match backend {
        Backend::Sqlite => " WITHOUT ROWID",
        Backend::Postgres => "",
    };
    let mut sql = format!(
        "CREATE TABLE {} (\n{}\n){suffix};\n",
        spec.table,
        lines.join(",\n")
    );
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
pub fn insert(spec: &EntitySpec, rows: usize, backend: Backend) -> String {
    let head = format!("INSERT INTO {} ({}) VALUES ", spec.table, column_list(spec));
    multi_row_values(head, spec.columns.len(), rows, backend)
}

/// `head` followed by `rows` tuples of `columns` placeholders.
///
/// SQLite gets anonymous `?` placeholders: sqlx maps every parameter of a
/// statement through `sqlite3_bind_parameter_name`, which scans the list of
/// named parameters, so `$n` names make a statement of `k` parameters cost
/// `O(k²)` to bind (minutes for a 10⁵-patient import). PostgreSQL needs
/// `$n`.
pub fn multi_row_values(mut head: String, columns: usize, rows: usize, backend: Backend) -> String {
    let mut p = 1;
    for r in 0..rows {
        if r > 0 {
            head.push_str(", ");
        }
        head.push('(');
        for c in 0..columns {
            if c > 0 {
                head.push_str(", ");
            }
            match backend {
                Backend::Sqlite => head.push('?'),
                Backend::Postgres => {
                    head.push('$');
                    head.push_str(&p.to_string());
                }
            }
            p += 1;
        }
        head.push(')');
    }
    head
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

/// The stored row of one natural key: every column, parameters `$1…` in
/// key order (the same text for the pool and for an import's own
/// connection).
pub fn select_by_key(spec: &EntitySpec) -> String {
    format!(
        "SELECT {} FROM {} WHERE {}",
        column_list(spec),
        spec.table,
        where_key(spec)
    )
}

/// Rows per multi-row statement: stays under SQLite's limit of 32 766
/// parameters (PostgreSQL allows 65 535) and keeps statements a few hundred
/// kilobytes.
pub fn rows_per_statement(n_columns: usize) -> usize {
    (16_000 / n_columns.max(1)).clamp(1, 1000)
}

/// Rows per multi-row insert of an import on `backend`: on SQLite about
/// 4 000 parameters, because the driver's argument vectors of larger
/// statements are large allocations that come back from the kernel as
/// fresh pages to zero (see `audit_batch` in [`crate::audit`]); on
/// PostgreSQL [`rows_per_statement`], which saves round trips.
pub fn rows_per_insert(n_columns: usize, backend: Backend) -> usize {
    match backend {
        Backend::Sqlite => (4_000 / n_columns.max(1)).clamp(1, 1000),
        Backend::Postgres => rows_per_statement(n_columns),
    }
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
            insert(spec, 2, Backend::Postgres),
            "INSERT INTO study (study, title, description) VALUES ($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(
            insert(spec, 2, Backend::Sqlite),
            "INSERT INTO study (study, title, description) VALUES (?, ?, ?), (?, ?, ?)"
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
        assert!(create_table(m, Backend::Postgres).contains("detail TEXT NOT NULL DEFAULT ''"));
        assert!(create_table(m, Backend::Sqlite).contains(") WITHOUT ROWID;"));
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

    /// Migration 0001 was generated from the schema without the columns
    /// that migration 0004 adds; the two must agree exactly, and 0004 must
    /// be the `ALTER TABLE` of exactly those columns.
    /// (`NETRA_BLESS=1` regenerates a migration — only before it has shipped.)
    #[test]
    fn migration_0004_matches_the_schema() {
        for file in ["0004_model_v2.sqlite.sql", "0004_model_v2.postgres.sql"] {
            let want = model_v2_migration();
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(file);
            if std::env::var_os("NETRA_BLESS").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            let got = std::fs::read_to_string(&path).unwrap();
            assert!(got == want, "migrations/{file} differs from the schema");
        }
        // Every schema column is in 0001 or in 0004, never both.
        for spec in tables() {
            for name in added_columns(spec.entity) {
                assert!(spec.column(name).is_some(), "{}: {name}", spec.table);
                assert!(!spec.key.contains(name), "a key column cannot be added");
            }
        }
    }

    /// Migration 0006 is generated from the schema per backend.
    #[test]
    fn migration_0006_matches_the_schema() {
        for (backend, file) in [
            (Backend::Sqlite, "0006_model_v3.sqlite.sql"),
            (Backend::Postgres, "0006_model_v3.postgres.sql"),
        ] {
            let want = model_v3_migration(backend);
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(file);
            if std::env::var_os("NETRA_BLESS").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            let got = std::fs::read_to_string(&path).unwrap();
            assert!(got == want, "migrations/{file} differs from the schema");
        }
        // The relaxed columns are optional now; the added ones exist; the
        // new tables are in no earlier migration.
        for (e, cols) in MODEL_V3_RELAXED {
            for c in *cols {
                assert!(!e.spec().column(c).unwrap().required, "{c}");
            }
        }
        for (e, cols) in MODEL_V3_COLUMNS {
            for c in *cols {
                assert!(e.spec().column(c).is_some(), "{c}");
                assert!(!added_columns(*e).contains(c));
            }
        }
        let sqlite = model_v3_migration(Backend::Sqlite);
        assert!(sqlite.contains("DROP TABLE biomarker;"));
        assert!(sqlite.contains("CREATE TABLE comorbidity ("));
        let pg = model_v3_migration(Backend::Postgres);
        assert!(pg.contains("ALTER TABLE biomarker ALTER COLUMN value DROP NOT NULL;"));
        assert!(!pg.contains("DROP TABLE"));
    }

    #[test]
    fn migration_0001_matches_the_schema() {
        for (backend, file) in [
            (Backend::Sqlite, "0001_registry.sqlite.sql"),
            (Backend::Postgres, "0001_registry.postgres.sql"),
        ] {
            let mut want = String::from(
                "-- Registry tables, generated from crates/netra-clinical/src/registry/schema.rs\n\
                 -- (see crates/netra-store/src/sql.rs). One table per bundle file; natural keys\n\
                 -- are the primary keys; foreign keys follow the schema's references.\n\n",
            );
            for sql in tables().filter_map(|spec| create_table_v1(spec, backend)) {
                want.push_str(&sql);
                want.push('\n');
            }
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(file);
            if std::env::var_os("NETRA_BLESS").is_some() {
                std::fs::write(&path, &want).unwrap();
            }
            let got = std::fs::read_to_string(&path).unwrap();
            assert!(got == want, "migrations/{file} differs from the schema");
        }
    }
}
