//! The architecture holds: dependencies between netra's crates point one
//! way (docs/CONVENTIONS.md), read from `cargo metadata`.
//!
//! stats, frame ← clinical ← store, analysis ← report ← server, study ←
//! cli. The simulator (netra-sim) is a leaf above clinical that only the
//! `netra` binary links at run time (tests may use it). A crate may depend
//! only on the crates its row lists; adding an arrow means changing this
//! table, on purpose, in review.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Each workspace crate and the netra crates it may depend on (normal and
/// build dependencies; dev-dependencies are free below the binary).
const ALLOWED: &[(&str, &[&str])] = &[
    ("netra-stats", &[]),
    ("netra-frame", &[]),
    ("netra-clinical", &["netra-stats"]),
    ("netra-store", &["netra-clinical", "netra-frame"]),
    // Importers convert a source through a mapping into bundle rows; the
    // store imports them (the binary joins the two).
    ("netra-ingest", &["netra-clinical"]),
    (
        "netra-analysis",
        &["netra-stats", "netra-clinical", "netra-frame"],
    ),
    // The federated protocol computes the layer's partial aggregates at
    // each centre and merges them at the hub; it does no I/O.
    (
        "netra-federation",
        &["netra-stats", "netra-clinical", "netra-analysis"],
    ),
    // The out-of-core engine (issue 18): the analysis layer's partial
    // aggregates as Apache DataFusion plans over CSV and Parquet; the
    // evaluation stays in the layer and the kernels.
    (
        "netra-engine",
        &["netra-stats", "netra-analysis", "netra-frame"],
    ),
    // The report formats: its statistics come from the analysis layer.
    ("netra-report", &["netra-clinical", "netra-analysis"]),
    ("netra-sim", &["netra-clinical", "netra-stats"]),
    (
        "netra-server",
        &[
            "netra-clinical",
            "netra-analysis",
            "netra-store",
            "netra-report",
            // The analysis page connected to a hub (issue 17): the
            // analyst's client and the run messages, no protocol code.
            "netra-hub",
            // The web import of REDCap and spreadsheet files (issue 15):
            // the same conversion as `netra import redcap|sheet`.
            "netra-ingest",
        ],
    ),
    // The federation's transport (issue 17): the hub's HTTPS service and the
    // node's outbound client, moving the protocol's bodies; the node reads
    // its registry through the store and audits every answer there.
    (
        "netra-hub",
        &[
            "netra-clinical",
            "netra-analysis",
            "netra-store",
            "netra-federation",
        ],
    ),
    (
        "netra-study",
        &[
            "netra-clinical",
            "netra-analysis",
            "netra-store",
            "netra-report",
        ],
    ),
    (
        "netra-cli",
        &[
            // No netra-stats: every command, `cox` included, computes
            // through the analysis layer (issue 12).
            "netra-frame",
            "netra-clinical",
            "netra-analysis",
            "netra-store",
            "netra-ingest",
            "netra-report",
            "netra-sim",
            "netra-study",
            "netra-server",
            "netra-federation",
            "netra-hub",
            // `--engine datafusion`, behind the `engine` feature.
            "netra-engine",
        ],
    ),
    ("netra-bench", &["netra-stats", "netra-frame"]),
];

/// Crates no library may depend on at run time.
const LEAVES: &[&str] = &["netra-sim", "netra-cli", "netra-bench"];

fn metadata() -> serde_json::Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata is JSON")
}

/// Workspace crate → its netra dependencies (kind: None = normal,
/// "build", "dev").
fn graph() -> BTreeMap<String, Vec<(String, Option<String>)>> {
    let m = metadata();
    let mut g = BTreeMap::new();
    for p in m["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap().to_string();
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["name"].as_str().unwrap().starts_with("netra-"))
            .map(|d| {
                (
                    d["name"].as_str().unwrap().to_string(),
                    d["kind"].as_str().map(str::to_string),
                )
            })
            .collect();
        g.insert(name, deps);
    }
    g
}

#[test]
fn dependencies_point_one_way() {
    let g = graph();
    let allowed: BTreeMap<&str, BTreeSet<&str>> = ALLOWED
        .iter()
        .map(|(c, d)| (*c, d.iter().copied().collect()))
        .collect();
    for (name, deps) in &g {
        let ok = allowed
            .get(name.as_str())
            .unwrap_or_else(|| panic!("{name} is not in the architecture table of this test"));
        for (d, kind) in deps {
            if kind.as_deref() == Some("dev") {
                assert!(
                    d != "netra-cli" && d != "netra-server" || name == "netra-cli",
                    "{name} has a dev-dependency on the surface {d}"
                );
                continue;
            }
            assert!(
                ok.contains(d.as_str()),
                "{name} depends on {d}, which the architecture does not allow \
                 (docs/CONVENTIONS.md)"
            );
        }
    }
    for name in allowed.keys() {
        assert!(g.contains_key(*name), "{name} is no longer a crate");
    }
}

#[test]
fn leaves_are_linked_only_by_the_binary() {
    for (name, deps) in graph() {
        for (d, kind) in deps {
            if LEAVES.contains(&d.as_str()) && kind.as_deref() != Some("dev") {
                assert_eq!(name, "netra-cli", "{name} links the leaf {d} at run time");
            }
        }
    }
}

/// The surfaces (the `netra` binary, the web application, study files)
/// and the report crate: none may name netra-stats as a normal or build
/// dependency (dev-dependencies may, for tests that compare with the
/// kernels).
const NO_KERNELS: &[&str] = &["netra-cli", "netra-server", "netra-study", "netra-report"];

#[test]
fn surfaces_call_no_statistics_kernel_directly() {
    // The surfaces reach every statistic through the analysis layer, and
    // the report crate only formats what the layer computed; their
    // manifests must not name netra-stats outside dev-dependencies. The
    // table above says so too; this test says it by name, so that adding
    // the arrow back to the table is not enough.
    let g = graph();
    for surface in NO_KERNELS {
        assert!(g.contains_key(*surface), "{surface} is no longer a crate");
        let direct: Vec<&String> = g[*surface]
            .iter()
            .filter(|(d, k)| d == "netra-stats" && k.as_deref() != Some("dev"))
            .map(|(d, _)| d)
            .collect();
        assert!(
            direct.is_empty(),
            "{surface} depends on netra-stats directly"
        );
    }
}

/// All SQL lives in `netra-store` (`tests/sql_in_store.rs` searches the
/// sources): no other crate depends on `sqlx` outside its dev-dependencies.
#[test]
fn only_the_store_depends_on_sqlx() {
    let m = metadata();
    let mut with_sqlx = Vec::new();
    for p in m["packages"].as_array().expect("packages") {
        let name = p["name"].as_str().unwrap_or_default();
        for d in p["dependencies"].as_array().expect("dependencies") {
            if d["name"] == "sqlx" && d["kind"].as_str() != Some("dev") {
                with_sqlx.push(name.to_string());
            }
        }
    }
    assert_eq!(with_sqlx, ["netra-store"], "crates that depend on sqlx");
}
