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
