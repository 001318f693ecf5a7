//! `netra simulate` writes the same bundle as the library, refuses bad
//! options and directories that hold foreign CSV files.

use std::process::Command;

fn netra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netra"))
}

#[test]
fn writes_the_library_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bundle");
    let status = netra()
        .args([
            "simulate",
            "--patients",
            "120",
            "--seed",
            "9",
            "--sites",
            "2",
            "--quiet",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    let stdout = String::from_utf8(status.stdout).unwrap();
    assert!(
        stdout.contains("wrote 120 simulated patients (seed 9)"),
        "{stdout}"
    );
    assert!(stdout.contains("patients.csv"), "{stdout}");
    let lib = dir.path().join("lib");
    let cfg = netra_sim::SimConfig {
        patients: 120,
        seed: 9,
        study: "sim".into(),
        sites: 2,
        threads: 1,
    };
    netra_sim::write_bundle(netra_sim::Model::published(), &cfg, &lib, &mut |_| {}).unwrap();
    for e in FILES {
        let a = std::fs::read(out.join(e)).unwrap();
        let b = std::fs::read(lib.join(e)).unwrap();
        assert!(a == b, "{e} differs");
    }
}

const FILES: [&str; 14] = [
    "study.csv",
    "sites.csv",
    "patients.csv",
    "tumours.csv",
    "metastases.csv",
    "biomarkers.csv",
    "treatments.csv",
    "treatment_agents.csv",
    "radionuclide_administrations.csv",
    "assessments.csv",
    "lesions.csv",
    "clinical_status.csv",
    "adverse_events.csv",
    "README.md",
];

#[test]
fn refuses_bad_options_and_foreign_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = netra()
        .args(["simulate", "--patients", "0", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--patients must be at least 1"), "{err}");

    std::fs::write(dir.path().join("notes.csv"), "a\n1\n").unwrap();
    let out = netra()
        .args(["simulate", "--patients", "5", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("notes.csv, which is not a bundle file"),
        "{err}"
    );
    assert!(!dir.path().join("patients.csv").exists());
}

/// The registry accepts a simulated bundle as it is, and exports it back
/// byte for byte: the simulator writes exactly the documented format.
#[test]
fn the_registry_validates_imports_and_exports_it_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    let db = dir.path().join("registry.db");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = netra().args(args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let os = |s: &str| std::ffi::OsString::from(s);
    run(&[
        &os("simulate"),
        &os("--patients"),
        &os("60"),
        &os("--seed"),
        &os("4"),
        &os("--quiet"),
        &os("--out"),
        bundle.as_os_str(),
    ]);
    let v = run(&[&os("validate"), bundle.as_os_str()]);
    assert!(v.contains("valid"), "{v}");
    run(&[&os("init"), &os("--db"), db.as_os_str()]);
    run(&[
        &os("import"),
        bundle.as_os_str(),
        &os("--db"),
        db.as_os_str(),
        &os("--user"),
        &os("test"),
    ]);
    let exported = dir.path().join("exported");
    run(&[
        &os("export"),
        exported.as_os_str(),
        &os("--db"),
        db.as_os_str(),
    ]);
    for f in &FILES[..13] {
        let a = std::fs::read(bundle.join(f)).unwrap();
        let b = std::fs::read(exported.join(f)).unwrap();
        assert!(a == b, "{f}: export differs from the simulated file");
    }
}

#[test]
fn writes_the_sequence_registry_with_its_truth() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("seq");
    let o = netra()
        .args([
            "simulate",
            "--model",
            "sequence_trial",
            "--patients",
            "60",
            "--seed",
            "4",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{o:?}");
    // The same bytes as the library writes.
    let lib = dir.path().join("lib");
    let cfg = netra_sim::SimConfig {
        patients: 60,
        seed: 4,
        ..netra_sim::SimConfig::default()
    };
    let facts = netra_sim::sequence_registry::write(&cfg, 0, &lib).unwrap();
    for f in ["patients.csv", "treatments.csv", "simulation.json"] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(lib.join(f)).unwrap(),
            "{f}"
        );
    }
    let sim = std::fs::read_to_string(out.join("simulation.json")).unwrap();
    let hr = facts.truth.unwrap().hr;
    assert!(sim.contains(&format!("\"hr\": {hr}")), "{sim}");
    assert!(sim.contains("\"coverage\": null"), "{sim}");
    // The simulation study belongs to that model.
    let o = netra()
        .args(["simulate", "--patients", "5", "--coverage", "2", "--quiet"])
        .arg("--out")
        .arg(dir.path().join("x"))
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--coverage"));
}
