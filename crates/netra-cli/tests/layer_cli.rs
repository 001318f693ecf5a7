//! The real `netra` binary against the analysis layer on the same cohort:
//! a simulated registry's OS rows exported by `netra endpoints` and read
//! back by `netra km --format json` give the numbers of the layer's
//! `survival` analysis run on the registry's courses, and `netra cox
//! --format json` on those rows joined with the bundle's `sex` gives the
//! layer's `cox` analysis of OS on `sex` (the cross-surface
//! test in netra-server uses the layer for its "CLI" leg; this is the
//! binary's leg).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn run(db: &Path, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_netra"))
        .env("NETRA_DB", db)
        .env("USER", "test")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "netra {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn close(what: &str, a: &Value, b: &Value) {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => assert!(
            (x - y).abs() <= 1e-9 * y.abs().max(1.0),
            "{what}: binary {x} vs layer {y}"
        ),
        _ => assert_eq!(a, b, "{what}"),
    }
}

#[test]
fn netra_km_and_cox_on_exported_endpoints_equal_the_layer_analyses() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let db = dir.path().join("netra.db");
    run(
        &db,
        &[
            "simulate",
            "--patients",
            "200",
            "--seed",
            "7",
            "--quiet",
            "--out",
            bundle.to_str().unwrap(),
        ],
    );
    run(&db, &["init"]);
    run(
        &db,
        &["import", bundle.to_str().unwrap(), "--reason", "test"],
    );
    let csv = run(
        &db,
        &[
            "endpoints",
            "--endpoint",
            "os",
            "--from",
            "diagnosis",
            "--format",
            "csv",
        ],
    );
    let path = dir.path().join("os.csv");
    std::fs::write(&path, csv).unwrap();
    let km: Value = serde_json::from_str(&run(
        &db,
        &[
            "km",
            "--data",
            path.to_str().unwrap(),
            "--time",
            "time",
            "--event",
            "event",
            "--times",
            "24",
            "--format",
            "json",
        ],
    ))
    .unwrap();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let courses = rt.block_on(async {
        let location = netra_store::Location::resolve(db.to_str());
        let registry = netra_store::Registry::open(&location).await.unwrap();
        registry
            .courses(&netra_store::CourseFilter::default())
            .await
            .unwrap()
    });
    let cohort = netra_analysis::Cohort::new(
        courses,
        &netra_analysis::CohortSpec::default(),
        netra_analysis::Settings::default(),
    )
    .unwrap();
    let layer = netra_analysis::analyses::run_json(
        &cohort,
        "survival",
        serde_json::json!({
            "endpoint": {"endpoint": "os", "from": "diagnosis"},
            "landmarks": [24.0]
        }),
    )
    .unwrap();
    let curve = &km["curves"][0];
    let overall = &layer["overall"];
    assert!(layer["analysed"].as_u64().unwrap() > 100, "{layer}");
    close("n", &curve["n"], &layer["analysed"]);
    for k in ["events", "median", "median_lower", "median_upper"] {
        close(k, &curve[k], &overall[k]);
    }
    close(
        "survival at 24",
        &curve["at_times"][0]["survival"],
        &overall["at_times"][0]["survival"],
    );

    // Cox: the OS rows joined with each patient's sex from the bundle
    // (simple CSV: the joined columns precede any quoted text).
    let field = |line: &str, k: usize| line.split(',').nth(k).unwrap_or_default().to_string();
    let patients = std::fs::read_to_string(bundle.join("patients.csv")).unwrap();
    let sex: std::collections::HashMap<String, String> = patients
        .lines()
        .skip(1)
        .map(|l| (field(l, 0), field(l, 2)))
        .collect();
    let os = std::fs::read_to_string(&path).unwrap();
    let mut joined = String::from("time,event,sex\n");
    for l in os.lines().skip(1) {
        joined.push_str(&format!(
            "{},{},{}\n",
            field(l, 5),
            field(l, 6),
            sex[&field(l, 0)]
        ));
    }
    let joined_path = dir.path().join("os_sex.csv");
    std::fs::write(&joined_path, joined).unwrap();
    let cox: Value = serde_json::from_str(&run(
        &db,
        &[
            "cox",
            "--data",
            joined_path.to_str().unwrap(),
            "--time",
            "time",
            "--event",
            "event",
            "--formula",
            "sex",
            // The layer takes Male as the reference here (its output says so).
            "--ref",
            "sex=male",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let layer_cox = netra_analysis::analyses::run_json(
        &cohort,
        "cox",
        serde_json::json!({
            "endpoint": {"endpoint": "os", "from": "diagnosis"},
            "terms": ["sex"]
        }),
    )
    .unwrap();
    close("cox n", &cox["n"], &layer_cox["n"]);
    close("cox events", &cox["events"], &layer_cox["events"]);
    let coefs = layer_cox["coefficients"].as_array().unwrap();
    assert_eq!(coefs.len(), 1, "{layer_cox}");
    assert_eq!(coefs[0]["level"], "Female", "{layer_cox}");
    let term = &cox["terms"][0];
    assert_eq!(term["name"], "sex=female", "{cox}");
    for (a, b) in [
        ("hr", "hr"),
        ("hr_lower", "lower"),
        ("hr_upper", "upper"),
        ("p", "p"),
    ] {
        close(&format!("cox {a}"), &term[a], &coefs[0][b]);
    }
}
