//! `--engine datafusion` through the `netra` binary (built with
//! `--features engine`): `netra km` and `netra cox` give the local engine's
//! JSON on the lung data as CSV and as the Parquet that `netra export
//! --parquet` style conversion writes, and `netra export --parquet` writes
//! the example registry's tables and its derived lines and endpoints.
//! Without the feature the flag is refused with the way to build it.

mod common;

use common::{netra_on, repo};
#[cfg(feature = "engine")]
use {
    common::{close, json_on},
    serde_json::Value,
};

#[cfg(feature = "engine")]
#[test]
fn km_and_cox_on_datafusion_equal_the_local_engine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let lung = repo().join("examples/r-datasets/lung.csv");
    let lung = lung.to_str().unwrap();
    let km = [
        "km",
        "--data",
        lung,
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "sex",
        "--times",
        "180,365",
        "--rmst-tau",
        "500",
        "--format",
        "json",
    ];
    let local = json_on(&db, &km);
    let mut args = km.to_vec();
    args.extend(["--engine", "datafusion"]);
    let engine = json_on(&db, &args);
    for field in [
        "curves",
        "logrank",
        "rmst_difference",
        "follow_up",
        "n_dropped",
    ] {
        assert!(!local[field].is_null(), "local km JSON has no {field}");
        close(&engine[field], &local[field], field);
    }
    assert!(local["logrank"]["chisq"].as_f64().unwrap() > 5.0);

    // Cox on numeric columns with missing values (rows dropped).
    let cox = [
        "cox",
        "--data",
        lung,
        "--time",
        "time",
        "--event",
        "status",
        "--formula",
        "age + ph.ecog + wt.loss",
        "--format",
        "json",
    ];
    let local = json_on(&db, &cox);
    let mut args = cox.to_vec();
    args.extend(["--engine", "datafusion"]);
    let engine = json_on(&db, &args);
    // A model without --univariate prints its object at the top level
    // (`commands/cox/report.rs`). Every field the local engine prints is
    // printed by the engine with the same value, but the concordance, which
    // needs row-level data (the engine leaves it null), and the order of the
    // event values read (the engine lists them in the aggregation's order,
    // docs/engine.md: compared as sets).
    let (l, e) = (
        local.as_object().expect("cox JSON is an object"),
        engine.as_object().expect("cox JSON is an object"),
    );
    let lkeys: Vec<&String> = l.keys().collect();
    let ekeys: Vec<&String> = e.keys().collect();
    assert_eq!(ekeys, lkeys, "the engine's cox JSON has the local fields");
    for (field, value) in l {
        if field == "concordance" {
            assert!(value["c"].as_f64().is_some(), "local concordance");
            assert!(e[field].is_null(), "engine concordance: {}", e[field]);
        } else if field == "values_read" {
            let sorted = |v: &Value| {
                let mut a = v.as_array().expect("values_read").clone();
                a.sort_by(|p, q| p["value"].to_string().cmp(&q["value"].to_string()));
                Value::Array(a)
            };
            assert_eq!(value.as_array().map(Vec::len), Some(2), "{value}");
            close(&sorted(&e[field]), &sorted(value), field);
        } else {
            close(&e[field], value, field);
        }
    }
    let terms = l["terms"].as_array().expect("local terms");
    assert_eq!(terms.len(), 3);
    for t in terms {
        assert!(t["coef"].as_f64().is_some_and(f64::is_finite), "{t}");
    }
    assert!(l["loglik"].as_f64().is_some());
    assert!(l["iterations"].as_u64().is_some_and(|i| i > 0));
    assert!(l["n_dropped"].as_u64().unwrap() > 0);

    // Flags that need rows are refused on the engine, by name.
    let mut args = cox.to_vec();
    args.extend(["--engine", "datafusion", "--zph"]);
    let (ok, _, err) = netra_on(&db, &args);
    assert!(!ok && err.contains("--zph"), "{err}");
}

#[cfg(feature = "engine")]
#[test]
fn export_parquet_then_km_on_the_parquet_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("netra.db");
    assert!(netra_on(&db, &["init"]).0);
    let bundle = repo().join("examples/radionuclide-2004/bundle");
    let (ok, _, err) = netra_on(
        &db,
        &["import", bundle.to_str().unwrap(), "--reason", "test"],
    );
    assert!(ok, "{err}");
    let out = dir.path().join("pq");
    let (ok, text, err) = netra_on(&db, &["export", "--parquet", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    assert!(text.contains("patients"), "{text}");
    for table in ["patients", "lines", "endpoints"] {
        let files = std::fs::read_dir(out.join(table))
            .unwrap_or_else(|e| panic!("{table}: {e}"))
            .flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
            .count();
        assert!(files >= 1, "{table}");
    }
    // No staging directories are left behind.
    assert!(!out.join(".netra-export-csv").exists());
    // The endpoints table holds the rows of `netra endpoints` for OS and PFS.
    let rows_of = |endpoint: &str| {
        let (ok, csv, err) = netra_on(
            &db,
            &[
                "endpoints",
                "--endpoint",
                endpoint,
                "--from",
                "metastatic",
                "--format",
                "csv",
            ],
        );
        assert!(ok, "{err}");
        csv.lines().count() - 1
    };
    let expected = rows_of("os") + rows_of("pfs");
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("endpoints "))
        .unwrap_or_else(|| panic!("{text}"));
    let written: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert_eq!(written, expected, "{line}");
    if expected > 0 {
        let all = json_on(
            &db,
            &[
                "km",
                "--data",
                out.join("endpoints").to_str().unwrap(),
                "--time",
                "time",
                "--event",
                "event",
                "--format",
                "json",
                "--engine",
                "datafusion",
            ],
        );
        assert_eq!(all["curves"][0]["n"].as_u64().unwrap() as usize, expected);
    }
}

#[cfg(not(feature = "engine"))]
#[test]
fn without_the_feature_the_engine_is_refused_with_the_way_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("none.db");
    let lung = repo().join("examples/r-datasets/lung.csv");
    let (ok, _, err) = netra_on(
        &db,
        &[
            "km",
            "--data",
            lung.to_str().unwrap(),
            "--time",
            "time",
            "--event",
            "status",
            "--engine",
            "datafusion",
        ],
    );
    assert!(!ok && err.contains("--features engine"), "{err}");
    let (ok, _, err) = netra_on(
        &db,
        &["km", "--data", "x.parquet", "--time", "t", "--event", "e"],
    );
    assert!(!ok && err.contains("--engine datafusion"), "{err}");
}
