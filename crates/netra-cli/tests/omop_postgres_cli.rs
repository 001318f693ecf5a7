//! `netra import omop --postgres URL --schema NAME` (issue 15 §2): the OMOP
//! extract of a simulated registry is loaded into a PostgreSQL schema with
//! typed columns (dates as `date`, ids as `bigint`), one of its local
//! concepts is turned into a site's own concept (vocabulary `SITE`), and:
//!
//! * without a mapping the import is refused, the problem naming the
//!   schema's table, the row, its id and the column, and nothing is written;
//! * a mapping file whose entry is not a local concept is refused with its
//!   line;
//! * with the mapping the import gives the same lines and endpoints as the
//!   source registry.
//!
//! PostgreSQL: the server of `NETRA_TEST_POSTGRES_URL` (scripts/test.sh
//! starts a throwaway cluster on loopback and sets it); without it the test
//! is skipped with a message, and fails under `NETRA_REQUIRE_POSTGRES=1`.

mod common;

use common::{netra, ok, s};
use std::path::Path;

use sqlx::{Executor, Row};

fn admin_url() -> Option<String> {
    match std::env::var("NETRA_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(u) => Some(u),
        None => {
            assert!(
                std::env::var("NETRA_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "NETRA_REQUIRE_POSTGRES=1 but NETRA_TEST_POSTGRES_URL is not set"
            );
            eprintln!("NETRA_TEST_POSTGRES_URL is not set: the PostgreSQL source is not tested");
            None
        }
    }
}

/// The URL of database `db` on the server of `admin`.
fn with_database(admin: &str, db: &str) -> String {
    let (scheme, rest) = admin.split_once("://").unwrap();
    let (before_query, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let host = before_query.split('/').next().unwrap_or(before_query);
    match query {
        Some(q) => format!("{scheme}://{host}/{db}?{q}"),
        None => format!("{scheme}://{host}/{db}"),
    }
}

/// The SQL type of a CDM column, as a real CDM declares it.
fn sql_type(col: &str) -> &'static str {
    if col.ends_with("_date") {
        "date"
    } else if (col.ends_with("_id")
        && !matches!(col, "domain_id" | "vocabulary_id" | "concept_class_id"))
        || col.ends_with("_of_birth")
        || col == "episode_number"
    {
        "bigint"
    } else if matches!(
        col,
        "value_as_number" | "quantity" | "range_low" | "range_high"
    ) {
        "numeric"
    } else {
        "text"
    }
}

fn literal(v: &str) -> String {
    if v.is_empty() {
        "NULL".into()
    } else {
        format!("'{}'", v.replace('\'', "''"))
    }
}

/// Creates schema `cdm` and loads every CSV of `dir` into a table of it.
async fn load(pool: &sqlx::AnyPool, dir: &Path) {
    pool.execute("CREATE SCHEMA cdm").await.unwrap();
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names {
        let table = path.file_stem().unwrap().to_string_lossy().into_owned();
        let mut r = csv::Reader::from_path(&path).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let cols = header
            .iter()
            .map(|c| format!("{c} {}", sql_type(c)))
            .collect::<Vec<_>>()
            .join(", ");
        pool.execute(format!("CREATE TABLE cdm.{table} ({cols})").as_str())
            .await
            .unwrap();
        let rows: Vec<String> = r
            .records()
            .map(|rec| {
                let rec = rec.unwrap();
                let cells: Vec<String> = rec.iter().map(literal).collect();
                format!("({})", cells.join(", "))
            })
            .collect();
        for chunk in rows.chunks(500) {
            pool.execute(
                format!(
                    "INSERT INTO cdm.{table} ({}) VALUES {}",
                    header.join(", "),
                    chunk.join(", ")
                )
                .as_str(),
            )
            .await
            .unwrap();
        }
    }
}

#[test]
fn an_omop_schema_in_postgresql_imports_through_a_local_concept_mapping() {
    let Some(admin) = admin_url() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    let omop = tmp.path().join("omop");
    let a = tmp.path().join("a.db");
    let b = tmp.path().join("b.db");
    ok(&[
        "simulate",
        "--patients",
        "30",
        "--seed",
        "7",
        "--quiet",
        "--out",
        s(&bundle),
    ]);
    ok(&["init", "--db", s(&a)]);
    ok(&["import", s(&bundle), "--db", s(&a), "--user", "test"]);
    ok(&["export", "--omop", s(&omop), "--db", s(&a)]);

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let db = format!("netra_omop_{}", std::process::id());
    let url = with_database(&admin, &db);
    // the site's own concept: octreotide's local netra concept renamed
    // into the site's vocabulary, and the rows that used octreotide's
    // standard concept pointed at it
    let local: i64 = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let root = sqlx::AnyPool::connect(&admin).await.unwrap();
        root.execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str())
            .await
            .unwrap();
        root.execute(format!("CREATE DATABASE {db}").as_str())
            .await
            .unwrap();
        root.close().await;
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        load(&pool, &omop).await;
        let id: i64 = sqlx::query(
            "SELECT concept_id FROM cdm.concept WHERE concept_code = 'agent/octreotide'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
        pool.execute(
            format!(
                "UPDATE cdm.concept SET vocabulary_id = 'SITE', concept_code = 'OCT-LAR' \
                 WHERE concept_id = {id}; \
                 UPDATE cdm.drug_exposure SET drug_concept_id = 0 WHERE drug_source_concept_id = {id}"
            )
            .as_str(),
        )
        .await
        .unwrap();
        pool.close().await;
        id
    });

    ok(&["init", "--db", s(&b)]);
    let pg = |extra: &[&str]| {
        let mut args = vec![
            "import",
            "omop",
            "--postgres",
            url.as_str(),
            "--schema",
            "cdm",
            "--db",
            s(&b),
            "--user",
            "test",
            "--reason",
            "OMOP",
        ];
        args.extend_from_slice(extra);
        netra(&args)
    };
    // no mapping: refused at the schema's table, row and column
    let out = pg(&[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "column drug_source_concept_id: unknown local concept {local} ('octreotide', SITE): map it to a netra code in the mapping file's [concepts]"
        )),
        "{err}"
    );
    let first = err
        .lines()
        .find(|l| l.contains("unknown local concept"))
        .unwrap();
    assert!(
        first.contains("cdm.drug_exposure, row ") && first.contains("(drug_exposure_id "),
        "{first}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    let lines_b = ok(&["lines", "--db", s(&b), "--format", "json"]);
    assert!(!lines_b.contains("\"regimen\""), "{lines_b}");

    // a mapping of a standard id is refused with its line
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!("[concepts]\n{local} = \"agent/octreotide\"\n1522957 = \"agent/octreotide\"\n"),
    )
    .unwrap();
    let out = pg(&["--mapping", s(&bad)]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml, line 3, concepts.1522957: only local concepts"),
        "{err}"
    );

    // with the mapping: the same lines and endpoints as the source
    let map = tmp.path().join("concepts.toml");
    std::fs::write(
        &map,
        format!("[concepts]\n{local} = \"agent/octreotide\"\n"),
    )
    .unwrap();
    let out = pg(&["--mapping", s(&map)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines_a = ok(&["lines", "--db", s(&a), "--format", "json"]);
    assert!(lines_a.contains("octreotide"), "{lines_a}");
    assert_eq!(lines_a, ok(&["lines", "--db", s(&b), "--format", "json"]));
    let os = |db: &Path| {
        ok(&[
            "endpoints",
            "--endpoint",
            "os",
            "--from",
            "diagnosis",
            "--units",
            "days",
            "--study",
            "NET",
            "--format",
            "csv",
            "--db",
            s(db),
        ])
    };
    assert_eq!(os(&a), os(&b));

    rt.block_on(async {
        let root = sqlx::AnyPool::connect(&admin).await.unwrap();
        let _ = root
            .execute(format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)").as_str())
            .await;
        root.close().await;
    });
}
