//! The statistical options of issues 16 and 20 in study files: Table 1 as
//! one column of all patients with "Known: x of n" rows, Table 1 by a
//! grouping of three levels (one-way ANOVA, χ²/Fisher–Freeman–Halton with
//! its footnote), the median follow-up footnote and SPSS's median column
//! of survival tables, and the interval of response tables (`ci_method`).
//! The numbers are the analysis layer's, each checked against R in
//! netra-analysis (`tests/r_kgroup.rs`); here: that the options reach the
//! tables, and that misplaced options are refused where they are.

mod common;

use std::path::Path;

use netra_study::run;
use serde_json::Value;

const STUDY: &str = r#"
[study]
title = "Options"
landmarks = [12]

[data]
simulate = { patients = 200, seed = 3 }
study = "sim"

[[variable]]
name = "grade"
label = "Grade"
from = "grade_group"
map = { g2 = "G2–3", g3 = "G2–3", large_cell = "NEC", small_cell = "NEC" }
levels = ["G1", "G2–3", "NEC"]

[[endpoint]]
name = "os"
type = "os"
from = "metastatic"
unit = "months"

[[table]]
name = "all"
type = "baseline"
by = ""
known = true
rows = [{ variable = "grade" }, { variable = "age_at_entry" }]

[[table]]
name = "by_grade"
type = "baseline"
by = "grade"
rows = [{ variable = "age_at_entry" }, { variable = "sex" }]

[[table]]
name = "os"
type = "survival"
endpoint = "os"
characteristics = ["grade"]
spss_median = true

[[table]]
name = "os_plain"
type = "km"
endpoint = "os"
by = "grade"
follow_up = false

[[table]]
name = "orr"
type = "response"
response = "line:1"
ci_method = "wilson"
"#;

fn run_study(dir: &Path, text: &str) -> Result<std::path::PathBuf, netra_study::StudyError> {
    let path = dir.join("s.toml");
    std::fs::write(&path, text).unwrap();
    let out = dir.join("out");
    run(&path, &out, &common::opts())?;
    Ok(out)
}

fn csv(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(format!("tables/{name}.csv"))).unwrap()
}

fn md(out: &Path, name: &str) -> String {
    std::fs::read_to_string(out.join(format!("tables/{name}.md"))).unwrap()
}

#[test]
fn the_options_reach_the_tables() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_study(tmp.path(), STUDY).unwrap();

    // One column of all patients, no p or test, a Known row per variable.
    let all = csv(&out, "all");
    let header = all.lines().next().unwrap();
    assert!(
        header.starts_with("Characteristic,All patients (n = "),
        "{header}"
    );
    assert!(!header.contains(",p,"), "{header}");
    let known: Vec<&str> = all.lines().filter(|l| l.contains("Known")).collect();
    assert_eq!(known.len(), 2, "{all}");
    assert!(known.iter().all(|l| l.contains(" of ")), "{known:?}");

    // Three grades: the k-group tests, and the footnote when Cochran's
    // rule picks Fisher's test.
    let by_grade = md(&out, "by_grade");
    assert!(by_grade.contains("One-way ANOVA"), "{by_grade}");
    assert_eq!(
        by_grade.contains("| Fisher's exact test |"),
        by_grade.contains("Fisher\u{2013}Freeman\u{2013}Halton"),
        "{by_grade}"
    );

    // The follow-up footnote and the SPSS column; none when switched off.
    let summary: Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    let os = md(&out, "os");
    assert!(os.contains("Median follow-up (reverse Kaplan"), "{os}");
    assert!(os.contains("(95% CI, SPSS)"), "{os}");
    let f = &summary["os.follow_up"];
    let max = f["max"].as_f64().unwrap();
    assert!(os.contains(&format!("{max:.1} months.")), "{os}\n{f}");
    assert!(f["min"].as_f64().unwrap() <= max);
    let plain = md(&out, "os_plain");
    assert!(!plain.contains("Median follow-up"), "{plain}");
    assert!(summary.get("os_plain.follow_up").is_none());

    // Wilson intervals, said in the footnote.
    let orr = md(&out, "orr");
    assert!(orr.contains("95% CI by Wilson"), "{orr}");
}

#[test]
fn misplaced_or_misspelt_options_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = STUDY.replace("ci_method = \"wilson\"", "ci_method = \"wilsen\"");
    let e = run_study(tmp.path(), &bad).unwrap_err().to_string();
    assert!(e.contains("ci_method 'wilsen' is not one of"), "{e}");
    assert!(e.contains("agresti-coull"), "{e}");
    let bad = STUDY.replace("spss_median = true", "known = true");
    let e = run_study(tmp.path(), &bad).unwrap_err().to_string();
    assert!(e.contains("known"), "{e}");
}
