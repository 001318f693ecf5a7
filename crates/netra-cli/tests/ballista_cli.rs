//! `--engine ballista://HOST:PORT` through the `netra` binary (built with
//! `--features ballista`): a Ballista scheduler and two executors that know
//! the engine's `dd_sum` aggregate run in this test process on loopback
//! (`netra_engine::cluster::LocalCluster`, stopped when the test ends), and
//! `netra km` (with the log-rank test) and `netra cox` through them print
//! the JSON of `--engine datafusion`, every field at 1e-12 relative. Without
//! the feature the address is refused with the way to build it.

mod common;

use serde_json::Value;

#[cfg(not(feature = "ballista"))]
use common::netra_on;
use common::repo;
#[cfg(feature = "ballista")]
use common::{close, json_on};

/// The JSON with every `values_read` list sorted: the engine lists the
/// event values in its aggregation's order, which depends on partitioning
/// (docs/engine.md).
#[cfg_attr(not(feature = "ballista"), allow(dead_code))]
fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| {
                    let mut x = sorted(x);
                    if k == "values_read"
                        && let Value::Array(a) = &mut x
                    {
                        a.sort_by_key(|e| e.to_string());
                    }
                    (k.clone(), x)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(sorted).collect()),
        _ => v.clone(),
    }
}

#[cfg(feature = "ballista")]
#[test]
fn km_logrank_and_cox_on_ballista_equal_datafusion_and_memory() {
    let cluster = netra_engine::cluster::LocalCluster::start(2, 1).unwrap();
    let url = cluster.url();
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
    let with = |args: &[&str], engine: &str| {
        let mut a = args.to_vec();
        a.extend(["--engine", engine]);
        sorted(&json_on(&db, &a))
    };
    let datafusion = with(&km, "datafusion");
    let on_cluster = with(&km, &url);
    close(&on_cluster, &datafusion, "km");
    let local = sorted(&json_on(&db, &km));
    for field in ["curves", "logrank", "follow_up", "n_dropped"] {
        close(&on_cluster[field], &local[field], field);
    }
    assert!(on_cluster["logrank"]["chisq"].as_f64().unwrap() > 5.0);

    let cox = [
        "cox",
        "--data",
        lung,
        "--time",
        "time",
        "--event",
        "status",
        "--formula",
        "age + ph.ecog + wt.loss + strata(sex)",
        "--format",
        "json",
    ];
    let datafusion = with(&cox, "datafusion");
    let on_cluster = with(&cox, &url);
    close(&on_cluster, &datafusion, "cox");
    let local = sorted(&json_on(&db, &cox));
    for field in ["terms", "loglik", "lr_test", "wald_test", "score_test", "n"] {
        assert!(!local[field].is_null(), "local cox JSON has no {field}");
        close(&on_cluster[field], &local[field], field);
    }
    assert_eq!(on_cluster["terms"].as_array().map(Vec::len), Some(3));
    drop(cluster);
}

#[cfg(not(feature = "ballista"))]
#[test]
fn without_the_feature_ballista_is_refused_with_the_way_to_build_it() {
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
            "ballista://127.0.0.1:50050",
        ],
    );
    assert!(!ok);
    assert!(err.contains("--features"), "{err}");
    // A malformed engine is a usage error naming the choices.
    let (ok, _, err) = netra_on(
        &db,
        &[
            "km", "--data", "x.csv", "--time", "t", "--event", "e", "--engine", "spark",
        ],
    );
    assert!(!ok && err.contains("ballista://HOST:PORT"), "{err}");
}
