//! `netra report STUDY.toml --out DIR`: writes the study's outputs and says
//! where; a bad study file fails with its line and column.

use std::path::Path;
use std::process::Command;

fn netra(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run netra")
}

#[test]
fn report_writes_the_study_and_names_the_report() {
    let study =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/studies/radionuclide.toml");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("rn");
    let o = netra(&[
        "report",
        study.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-png",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.contains("31 patients analysed; 3 table(s), 1 figure(s)"),
        "{text}"
    );
    assert!(
        text.contains(&out.join("report.html").display().to_string()),
        "{text}"
    );
    assert!(out.join("tables/table1.tex").is_file());
    assert!(out.join("figures/os_km.svg").is_file());
    assert!(!out.join("figures/os_km.png").exists());
}

#[test]
fn a_bad_study_file_fails_with_line_and_column() {
    let tmp = tempfile::tempdir().unwrap();
    let study = tmp.path().join("bad.toml");
    std::fs::write(
        &study,
        "[study]\ntitle = \"T\"\n\n[[figure]]\nname = \"k\"\ntype = \"pie\"\n",
    )
    .unwrap();
    let o = netra(&[
        "report",
        study.to_str().unwrap(),
        "--out",
        tmp.path().join("o").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains(
            "bad.toml, line 6, column 8: figure type 'pie' is not one of km, cuminc, forest"
        ),
        "{err}"
    );
}
