//! `netra export --dataset` (issue 20) from a simulated registry: R
//! sources the R export and reads the Stata file with `haven`
//! (`validation/r/read_export.R`), and both give every column the same
//! name, label, factor levels in order and values; the SAS program
//! declares every column. Without R the R part prints a notice and is
//! skipped, unless NETRA_REQUIRE_R is set.

mod common;

use common::{netra, ok, s};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// R's reading of the export in `dir`, `None` without R (unless required).
fn r_reads(dir: &Path) -> Option<Value> {
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

#[test]
fn a_simulated_registry_reads_back_in_r_and_stata_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("bundle");
    let db = tmp.path().join("a.db");
    let out = tmp.path().join("out");
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
    ok(&["init", "--db", s(&db)]);
    ok(&["import", s(&bundle), "--db", s(&db), "--user", "test"]);
    let printed = ok(&["export", "--dataset", s(&out), "--db", s(&db)]);
    assert!(printed.contains("exported 30 patients x "), "{printed}");
    for f in [
        "netra_data.csv",
        "netra_data.R",
        "netra_data.dta",
        "netra_data_sas.csv",
        "netra_data.sas",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
    // The SAS program reads every column of its CSV, in order.
    let sas_csv = std::fs::read_to_string(out.join("netra_data_sas.csv")).unwrap();
    let header: Vec<String> = sas_csv
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(|h| h.trim_matches('"').to_string())
        .collect();
    assert_eq!(sas_csv.lines().count(), 31);
    let program = std::fs::read_to_string(out.join("netra_data.sas")).unwrap();
    let input = program
        .lines()
        .find(|l| l.trim_start().starts_with("input "))
        .unwrap()
        .replace(" $", "");
    let declared: Vec<&str> = input
        .trim()
        .trim_start_matches("input ")
        .trim_end_matches(';')
        .split(' ')
        .collect();
    assert_eq!(declared, header);
    for col in [
        "patient",
        "os_months",
        "os_event",
        "pfs_months",
        "pfs_event",
    ] {
        assert!(header.iter().any(|h| h == col), "{col} in {header:?}");
    }

    let Some(seen) = r_reads(&out) else { return };
    assert_eq!(seen["rows"], 30);
    assert_eq!(seen["dta_rows"], 30);
    let cols = seen["columns"].as_array().unwrap();
    let names: Vec<&str> = cols.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, header, "R's names are the SAS file's");
    let mut factors = 0;
    for c in cols {
        let name = &c["name"];
        assert_eq!(c["dta_name"], *name);
        assert!(c["label"].as_str().is_some_and(|l| !l.is_empty()), "{name}");
        assert_eq!(c["dta_label"], c["label"], "{name}");
        assert_eq!(
            c["dta_values"], c["values"],
            "{name}: R and Stata values differ"
        );
        if c["is_factor"] == true {
            factors += 1;
            assert_eq!(c["dta_levels"], c["levels"], "{name}: levels differ");
        }
    }
    assert!(factors >= 3, "{factors} factors");
    // Event indicators are 0, 1 or missing; OS has a time for every patient
    // with metastatic disease.
    let os_event = cols.iter().find(|c| c["name"] == "os_event").unwrap();
    assert!(
        os_event["values"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.is_null() || v == 0.0 || v == 1.0)
    );
    // `sex` reads back as a factor with its levels in netra's order.
    let sex = cols.iter().find(|c| c["name"] == "sex").unwrap();
    assert_eq!(sex["is_factor"], true);
    assert!(sex["levels"].as_array().unwrap().len() >= 2, "{sex}");
}

#[test]
fn a_bad_time_zero_is_refused_and_one_target_writes_its_files_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("a.db");
    ok(&["init", "--db", s(&db)]);
    let out = netra(&[
        "export",
        "--dataset",
        s(&tmp.path().join("x")),
        "--endpoints-from",
        "birth",
        "--db",
        s(&db),
    ]);
    assert!(!out.status.success());
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(e.contains("--endpoints-from 'birth'"), "{e}");
    let dir = tmp.path().join("sas");
    ok(&[
        "export",
        "--dataset",
        s(&dir),
        "--to",
        "sas",
        "--db",
        s(&db),
    ]);
    assert!(dir.join("netra_data.sas").exists());
    assert!(!dir.join("netra_data.dta").exists() && !dir.join("netra_data.R").exists());
}
