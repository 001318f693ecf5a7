//! The analysis data set written for R and Stata and read back by R
//! (`validation/r/read_export.R`: the R script sourced, the `.dta` read by
//! `haven::read_dta`): the same names, labels, factor levels in order and
//! values, every number bit for bit. Without R the test says so and passes,
//! unless NETRA_REQUIRE_R is set (CI sets it).

use std::path::PathBuf;
use std::process::Command;

use netra_report::export::{DataColumn, DataValues, Dataset, r, stata};
use serde_json::Value;

/// R's reading of the files in `dir`, or `None` when R is not installed
/// (a panic when NETRA_REQUIRE_R is set).
fn r_reads(dir: &std::path::Path) -> Option<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../validation/r/read_export.R");
    let out = match Command::new("Rscript")
        .arg(&script)
        .arg(dir)
        .env("LANG", "C.UTF-8")
        .output()
    {
        Ok(o) => o,
        Err(e) if std::env::var_os("NETRA_REQUIRE_R").is_none() => {
            println!("notice: Rscript not found ({e}); the R round trip is skipped");
            return None;
        }
        Err(e) => panic!("NETRA_REQUIRE_R is set but Rscript cannot run: {e}"),
    };
    if out.status.code() == Some(3) && std::env::var_os("NETRA_REQUIRE_R").is_none() {
        println!("notice: R lacks haven or jsonlite; the R round trip is skipped");
        return None;
    }
    assert!(
        out.status.success(),
        "R could not read the export: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("R printed JSON"))
}

fn dataset() -> Dataset {
    Dataset {
        label: "Round trip: \"quotes\", Größe".into(),
        columns: vec![
            DataColumn {
                name: "patient".into(),
                label: "Patient".into(),
                values: DataValues::Text(vec![
                    Some("P1".into()),
                    Some("P-2, \"b\"".into()),
                    Some("Zoë".into()),
                    None,
                ]),
            },
            DataColumn {
                name: "age.at diagnosis".into(),
                label: "Age at diagnosis (years)".into(),
                values: DataValues::Number(vec![Some(61.5), None, Some(0.1), Some(-1e-7)]),
            },
            DataColumn {
                name: "grade".into(),
                label: "WHO grade, 2019".into(),
                // The order is netra's, not alphabetical: G3 is the reference.
                values: DataValues::Factor {
                    levels: vec![
                        "G3".into(),
                        "G1, low".into(),
                        "Größe \"x\"".into(),
                        "-1".into(),
                    ],
                    codes: vec![Some(2), Some(0), None, Some(3)],
                },
            },
            DataColumn {
                name: "empty_factor".into(),
                label: "A factor nobody has".into(),
                values: DataValues::Factor {
                    levels: vec!["b".into(), "a".into()],
                    codes: vec![None; 4],
                },
            },
        ],
    }
}

fn strings(v: &Value) -> Vec<Option<String>> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().map(str::to_string)).collect(),
        Value::Null => vec![None],
        other => vec![other.as_str().map(str::to_string)],
    }
}

#[test]
fn r_reads_the_r_and_stata_exports_with_the_same_levels_labels_and_values() {
    let ds = dataset();
    let dir = std::env::temp_dir().join(format!("netra-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let e = r::export(&ds, "netra_data").unwrap();
    std::fs::write(dir.join("netra_data.csv"), &e.csv).unwrap();
    std::fs::write(dir.join("netra_data.R"), &e.script).unwrap();
    std::fs::write(dir.join("netra_data.dta"), stata::dta(&ds).unwrap()).unwrap();
    let Some(seen) = r_reads(&dir) else { return };
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(seen["rows"], 4);
    assert_eq!(seen["dta_rows"], 4);
    assert_eq!(seen["label"], ds.label.as_str());
    assert_eq!(seen["dta_label"], ds.label.as_str());
    let cols = seen["columns"].as_array().unwrap();
    let names = ["patient", "age_at_diagnosis", "grade", "empty_factor"];
    assert_eq!(cols.len(), names.len());
    for ((c, col), name) in cols.iter().zip(&ds.columns).zip(names) {
        assert_eq!(c["name"], name);
        assert_eq!(c["dta_name"], name);
        assert_eq!(c["label"], col.label.as_str(), "{name}");
        assert_eq!(c["dta_label"], col.label.as_str(), "{name}");
        match &col.values {
            DataValues::Number(x) => {
                assert_eq!(c["is_numeric"], true);
                for key in ["values", "dta_values"] {
                    let got: Vec<Option<f64>> = c[key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(Value::as_f64)
                        .collect();
                    assert_eq!(&got, x, "{name} {key}");
                }
            }
            DataValues::Factor { levels, codes } => {
                assert_eq!(c["is_factor"], true, "{name}");
                let want_levels: Vec<Option<String>> =
                    levels.iter().map(|l| Some(l.clone())).collect();
                assert_eq!(strings(&c["levels"]), want_levels, "{name} levels");
                assert_eq!(strings(&c["dta_levels"]), want_levels, "{name} dta levels");
                let want: Vec<Option<String>> =
                    codes.iter().map(|k| k.map(|k| levels[k].clone())).collect();
                assert_eq!(strings(&c["values"]), want, "{name} values");
                assert_eq!(strings(&c["dta_values"]), want, "{name} dta values");
            }
            DataValues::Text(t) => {
                assert_eq!(strings(&c["values"]), *t, "{name}");
                assert_eq!(strings(&c["dta_values"]), *t, "{name} dta");
            }
        }
    }
}
