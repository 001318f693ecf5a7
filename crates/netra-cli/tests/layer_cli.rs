//! The real `netra` binary against the analysis layer on the same cohort:
//! a simulated registry's OS rows exported by `netra endpoints` and read
//! back by `netra km --format json` give the numbers of the layer's
//! `survival` analysis run on the registry's courses (the cross-surface
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
fn netra_km_on_exported_endpoints_equals_the_layer_survival_analysis() {
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
}
