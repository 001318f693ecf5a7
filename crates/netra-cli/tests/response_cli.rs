//! `netra response`, `netra compare` and `netra rates` end to end, on the
//! bundled example files.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .display()
        .to_string()
}

fn netra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .output()
        .expect("netra runs")
}

fn json(args: &[&str]) -> Value {
    let out = netra(args);
    assert!(
        out.status.success(),
        "netra {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn error(args: &[&str]) -> String {
    let out = netra(args);
    assert!(!out.status.success(), "netra {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn patient<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["patients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["patient"] == id)
        .unwrap()
}

fn overall(p: &Value) -> Vec<String> {
    p["timepoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["overall"].as_str().unwrap().to_string())
        .collect()
}

fn close(a: &Value, b: f64) -> bool {
    (a.as_f64().unwrap() - b).abs() <= 1e-9 * b.abs().max(1e-300)
}

#[test]
fn recist_json_per_patient_has_the_contract_fields() {
    let lesions = repo("examples/lesions/example.csv");
    let v = json(&[
        "response",
        "--lesions",
        &lesions,
        "--confirm",
        "--format",
        "json",
    ]);
    assert_eq!(v["criteria"], "RECIST 1.1");
    let p = patient(&v, "P01");
    for key in [
        "patient",
        "timepoints",
        "best_overall_response",
        "first_response_date",
        "progression_date",
        "duration_of_response_days",
    ] {
        assert!(p.get(key).is_some(), "missing {key}");
    }
    let t0 = &p["timepoints"][0];
    for key in [
        "date",
        "sum",
        "change_from_baseline_pct",
        "change_from_nadir_pct",
        "target",
        "non_target",
        "new_lesions",
        "overall",
    ] {
        assert!(t0.get(key).is_some(), "missing timepoint {key}");
    }
    assert_eq!(t0["date"], "2024-03-06");
    assert_eq!(t0["sum"], 53.0);
    assert!(close(
        &t0["change_from_baseline_pct"],
        (53.0 - 71.0) / 71.0 * 100.0
    ));
    assert_eq!(overall(p), vec!["SD", "PR", "PR", "PD"]);
    assert_eq!(p["best_overall_response"], "PR");
    assert_eq!(p["first_response_date"], "2024-05-01");
    assert_eq!(p["confirmation_date"], "2024-06-26");
    assert_eq!(p["progression_date"], "2024-08-21");
    assert_eq!(p["duration_of_response_days"], 112);
    // Non-target-only disease, a new lesion, an equivocal one confirmed
    // later, and automatic target selection.
    let p2 = patient(&v, "P02");
    assert_eq!(overall(p2), vec!["Non-CR/Non-PD", "CR"]);
    assert_eq!(p2["timepoints"][0]["sum"], Value::Null);
    assert_eq!(p2["best_overall_response"], "Non-CR/Non-PD");
    assert_eq!(patient(&v, "P03")["progression_date"], "2024-05-07");
    let p4 = patient(&v, "P04");
    assert_eq!(p4["progression_date"], "2024-03-16");
    assert_eq!(p4["timepoints"][0]["new_lesions"], "equivocal");
    assert_eq!(p4["best_overall_response"], "PD");
    let p5 = patient(&v, "P05");
    assert_eq!(p5["targets"], serde_json::json!(["H1", "H2", "M1", "N1"]));
    assert_eq!(p5["best_overall_response"], "PR");
    assert_eq!(p5["duration_of_response_days"], 56);
    // Waterfall sorted from growth to shrinkage; spider from day 0.
    let w = v["waterfall"].as_array().unwrap();
    assert_eq!(w.len(), 4);
    assert_eq!(w[0]["patient"], "P03");
    assert_eq!(v["waterfall_excluded"], serde_json::json!(["P02"]));
    assert_eq!(v["spider"][0]["points"][0]["days"], 0);
}

#[test]
fn each_criterion_on_the_followed_patient() {
    let lesions = repo("examples/lesions/example.csv");
    let toml = repo("examples/criteria/radionuclide-2004.toml");
    let cases: [(&str, &[&str], &str); 5] = [
        ("recist1.1", &["SD", "PR", "PR", "PD"], "PR"),
        ("who", &["SD", "PR", "PR", "PD"], "PR"),
        ("choi", &["PR", "PR", "PR", "PD"], "PR"),
        ("mrecist", &["PR", "PR", "PR", "PD"], "PR"),
        (&toml, &["SD", "MR", "MR", "PD"], "MR"),
    ];
    for (criteria, timepoints, best) in cases {
        let v = json(&[
            "response",
            "--lesions",
            &lesions,
            "--criteria",
            criteria,
            "--format",
            "json",
        ]);
        let p = patient(&v, "P01");
        assert_eq!(overall(p), timepoints, "{criteria}");
        assert_eq!(p["best_overall_response"], best, "{criteria}");
    }
}

#[test]
fn table_and_csv_views() {
    let lesions = repo("examples/lesions/example.csv");
    let out = netra(&["response", "--lesions", &lesions, "--confirm"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Patient P01 — RECIST 1.1 (confirmation required)"),
        "{text}"
    );
    assert!(text.contains(
        "Best overall response: PR; first response 2024-05-01 (confirmed 2024-06-26); progression 2024-08-21; duration of response 112 days"
    ));
    let out = netra(&[
        "response",
        "--lesions",
        &lesions,
        "--format",
        "csv",
        "--view",
        "waterfall",
    ]);
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "patient,best_change_pct,best_overall_response");
    assert!(lines[1].starts_with("P03,"));
    let out = netra(&["response", "--lesions", &lesions, "--format", "csv"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("P01,2024-08-21,224,46,") && l.contains(",PD,PR,"))
    );
}

#[test]
fn rates_by_group_with_fisher() {
    let lesions = repo("examples/lesions/example.csv");
    let groups = repo("examples/lesions/groups.csv");
    let v = json(&[
        "response",
        "--lesions",
        &lesions,
        "--rates",
        "--groups",
        &groups,
        "--group",
        "arm",
        "--format",
        "json",
    ]);
    let g = &v["rates"]["groups"];
    assert_eq!(g[0]["group"], "A");
    assert_eq!(g[0]["n"], 3);
    // Without confirmation P02's CR counts: P01 PR, P02 CR, P05 PR.
    assert_eq!(g[0]["orr"]["responders"], 3);
    assert!(v["rates"]["orr_comparison"]["p_value"].is_number());
}

#[test]
#[allow(clippy::excessive_precision)]
fn rates_of_the_radionuclide_cohort_match_binom_test() {
    let data = repo("examples/radionuclide-2004/patients.csv");
    let v = json(&[
        "rates",
        "--data",
        &data,
        "--response",
        "radiologic_response_3m",
        "--group",
        "group",
        "--format",
        "json",
    ]);
    let a = &v["groups"][0];
    assert_eq!(a["group"], "A");
    assert_eq!(a["n"], 19);
    assert_eq!(a["orr"]["responders"], 1);
    // R 4.2.2: binom.test(1, 19)$conf.int, binom.test(17, 19)$conf.int.
    assert!(close(&a["orr"]["lower"], 0.0013316288041794243));
    assert!(close(&a["orr"]["upper"], 0.26028065419521418));
    assert!(close(&a["dcr"]["lower"], 0.66862333554323405));
    assert!(close(&a["dcr"]["upper"], 0.98698783562822257));
    let b = &v["groups"][1];
    assert_eq!(b["n"], 8);
    // binom.test(5, 8)$conf.int
    assert!(close(&b["dcr"]["lower"], 0.24486321636655164));
    assert!(close(&b["dcr"]["upper"], 0.9147665858627464));
    // fisher.test(matrix(c(17, 5, 2, 3), 2))$p.value
    assert!(close(&v["dcr_comparison"]["p_value"], 0.1357859531772575));
    assert_eq!(v["n_dropped"], 5);
}

fn fixture_case(file: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let path = repo(&format!("validation/fixtures/classical/{file}"));
    let all: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .find(|c| pred(c))
        .unwrap()
        .clone()
}

#[test]
fn compare_reproduces_the_published_radionuclide_tests() {
    let data = repo("examples/radionuclide-2004/survival.csv");
    // Age, group A vs B, Student's t (the "unpaired t-test" of the paper).
    let r = fixture_case("ttest.json", |c| {
        c["name"] == "radionuclide_age" && c["kind"] == "student" && c["alternative"] == "two.sided"
    });
    let v = json(&[
        "compare", "--data", &data, "--test", "t", "--group", "group", "--var", "age", "--format",
        "json",
    ]);
    for (ours, theirs) in [
        ("statistic", "statistic"),
        ("df", "df"),
        ("p_value", "p_value"),
    ] {
        assert!(close(&v[ours], r[theirs].as_f64().unwrap()), "{ours}");
    }
    assert!(close(&v["conf_int"][0], r["lower"].as_f64().unwrap()));
    assert!(close(&v["means"][1], r["mean_y"].as_f64().unwrap()));
    // Deaths 5/19 vs 5/12: chi-square with Yates, and Fisher.
    let r = fixture_case("chisq.json", |c| {
        c["name"] == "radionuclide_deaths" && c["correct"] == true
    });
    let v = json(&[
        "compare", "--data", &data, "--test", "chisq", "--group", "group", "--var", "death",
        "--yates", "--format", "json",
    ]);
    assert!(close(&v["statistic"], r["statistic"].as_f64().unwrap()));
    assert!(close(&v["p_value"], r["p_value"].as_f64().unwrap()));
    assert_eq!(v["small_expected"], true);
    let r = fixture_case("fisher2x2.json", |c| {
        c["name"] == "radionuclide_deaths" && c["alternative"] == "two.sided" && c["conf"] == 0.95
    });
    let v = json(&[
        "compare", "--data", &data, "--test", "fisher", "--group", "group", "--var", "death",
        "--format", "json",
    ]);
    assert!(close(&v["p_value"], r["p_value"].as_f64().unwrap()));
    let r = fixture_case("wilcox.json", |c| {
        c["name"] == "radionuclide_age"
            && c["alternative"] == "two.sided"
            && c["mu"] == 0
            && c["correct"] == true
    });
    let v = json(&[
        "compare",
        "--data",
        &data,
        "--test",
        "mannwhitney",
        "--group",
        "group",
        "--var",
        "age",
        "--format",
        "json",
    ]);
    assert!(close(&v["statistic"], r["statistic"].as_f64().unwrap()));
    assert!(close(&v["p_value"], r["p_value"].as_f64().unwrap()));
}

#[test]
fn compare_of_more_groups_runs_kruskal_wallis_and_wilcox_is_mann_whitney() {
    let data = repo("examples/radionuclide-2004/survival.csv");
    // R: kruskal.test(age ~ primary_site, data = read.csv(...)):
    // chi-squared 2.8024351985587566, df 3, p 0.42309919688976044.
    for test in ["kruskal", "mannwhitney", "wilcox"] {
        let v = json(&[
            "compare",
            "--data",
            &data,
            "--test",
            test,
            "--group",
            "primary_site",
            "--var",
            "age",
            "--format",
            "json",
        ]);
        assert_eq!(v["test"], "Kruskal-Wallis rank sum test", "{test}");
        assert!(close(&v["statistic"], 2.802_435_198_558_756_6), "{v}");
        assert!(close(&v["p_value"], 0.423_099_196_889_760_44), "{v}");
        assert_eq!(v["df"], 3.0);
        assert_eq!(v["n_per_group"], serde_json::json!([1, 12, 13, 5]));
    }
    // Two groups: `wilcox` is the Mann–Whitney test, not Welch's t.
    let args = |t: &'static str| {
        json(&[
            "compare", "--data", &data, "--test", t, "--group", "group", "--var", "age",
            "--format", "json",
        ])
    };
    let (w, mw) = (args("wilcox"), args("mannwhitney"));
    assert_eq!(w["p_value"], mw["p_value"]);
    assert!(
        w["test"].as_str().unwrap().starts_with("Wilcoxon rank sum"),
        "{w}"
    );
    let table = String::from_utf8(
        netra(&[
            "compare",
            "--data",
            &data,
            "--test",
            "kruskal",
            "--group",
            "primary_site",
            "--var",
            "age",
        ])
        .stdout,
    )
    .unwrap();
    let midgut = table.lines().find(|l| l.starts_with("Midgut ")).unwrap();
    assert!(midgut.contains(" 12  "), "{table}");
    assert!(table.contains(", df = 3, p = 0.423"), "{table}");
}

#[test]
fn compare_table_reads_as_a_clinician_reads_it() {
    let data = repo("examples/radionuclide-2004/survival.csv");
    let r = fixture_case("ttest.json", |c| {
        c["name"] == "radionuclide_age" && c["kind"] == "student" && c["alternative"] == "two.sided"
    });
    let f = |k: &str| r[k].as_f64().unwrap();
    let out = netra(&[
        "compare", "--data", &data, "--test", "t", "--group", "group", "--var", "age",
    ]);
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    // Ages are whole years: summaries, the difference and its interval
    // carry one decimal; Student's df is whole.
    let a = table.lines().find(|l| l.starts_with("A ")).unwrap();
    assert!(
        a.contains(&format!("{:.1} \u{b1} ", f("mean_x"))),
        "{table}"
    );
    let b = table.lines().find(|l| l.starts_with("B ")).unwrap();
    assert!(
        b.contains(&format!("{:.1} \u{b1} ", f("mean_y"))),
        "{table}"
    );
    assert_eq!(a.find('\u{b1}'), b.find('\u{b1}'), "aligned: {table}");
    let ci = netra_report::format::interval(Some(f("lower")), Some(f("upper")), 1);
    assert!(
        table.contains(&format!(
            "Difference in means (A \u{2212} B) {:.1} (95% CI {ci})",
            f("mean_x") - f("mean_y")
        )),
        "{table}"
    );
    assert!(
        table.contains(&format!(
            "t = {:.2}, df = 29, p = {:.3}",
            f("statistic"),
            f("p_value")
        )),
        "{table}"
    );
    // --decimals overrides; the JSON carries the summaries unrounded.
    let out = netra(&[
        "compare",
        "--data",
        &data,
        "--test",
        "t",
        "--group",
        "group",
        "--var",
        "age",
        "--decimals",
        "3",
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains(&format!("{:.3} \u{b1} ", f("mean_x"))),
        "{table}"
    );
    let v = json(&[
        "compare", "--data", &data, "--test", "t", "--group", "group", "--var", "age", "--format",
        "json",
    ]);
    assert!(close(&v["summaries"][0]["mean"], f("mean_x")));
    assert!(close(&v["summaries"][1]["mean"], f("mean_y")));
    assert_eq!(v["summaries"][0]["level"], "A");
    assert_eq!(v["conf_level"], 0.95);
    // Categories: counts with row percentages.
    let out = netra(&[
        "compare", "--data", &data, "--test", "fisher", "--group", "group", "--var", "death",
    ]);
    let table = String::from_utf8(out.stdout).unwrap();
    // Deaths 5/19 and 5/12 (the published table).
    assert!(
        table.contains("5 (26.3%)") && table.contains("5 (41.7%)"),
        "{table}"
    );
    assert!(table.contains("Odds ratio (conditional MLE) "), "{table}");
}

#[test]
fn compare_errors_are_clear() {
    let data = repo("examples/radionuclide-2004/survival.csv");
    // Four sites, one with a single patient: Welch's ANOVA (the k-group
    // form of Welch's t) needs two per group, as R's oneway.test says.
    let e = error(&[
        "compare",
        "--data",
        &data,
        "--test",
        "welch",
        "--group",
        "primary_site",
        "--var",
        "age",
    ]);
    assert!(e.contains("each needs at least 2"), "{e}");
    let e = error(&[
        "compare", "--data", &data, "--test", "t", "--group", "group", "--var", "sex",
    ]);
    assert!(e.contains("column 4 (sex): not a number"), "{e}");
}

fn bad_file(name: &str, body: &str) -> String {
    let dir = std::env::temp_dir().join(format!("netra-response-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.display().to_string()
}

#[test]
fn bad_rows_name_file_line_and_column() {
    let header = "patient,date,lesion,organ,type,longest_mm\n";
    let cases = [
        (
            "type.csv",
            "P1,2024-01-01,L1,liver,tumour,30\n",
            "line 2, column 5 (type): unknown lesion type",
        ),
        (
            "negative.csv",
            "P1,2024-01-01,L1,liver,target,-3\n",
            "line 2, column 6 (longest_mm): a size cannot be negative",
        ),
        (
            "date.csv",
            "P1,01/02/2024,L1,liver,target,30\n",
            "line 2, column 2 (date): date not parseable",
        ),
        (
            "baseline.csv",
            "P1,2024-01-01,L1,liver,target,30\nP1,2024-03-01,L1,liver,target,25\nP1,2024-03-01,L2,liver,target,12\n",
            "line 4, column 3 (lesion): patient P1: the lesion is missing from the baseline scan",
        ),
        // Issue 13: a zero-width space makes a second, identical-looking
        // lesion 'L1'; a byte-order mark a second patient 'P1'.
        (
            "invisible-lesion.csv",
            "P1,2024-01-01,L1,liver,target,30\nP1,2024-03-01,L\u{200B}1,liver,target,25\n",
            "line 3, column 3 (lesion): an identifier cannot contain an invisible formatting character: U+200B (zero-width space) at character 2",
        ),
        (
            "invisible-patient.csv",
            "P1,2024-01-01,L1,liver,target,30\nP1\u{FEFF},2024-03-01,L1,liver,target,25\n",
            "line 3, column 1 (patient): an identifier cannot contain an invisible formatting character: U+FEFF",
        ),
    ];
    for (name, rows, expected) in cases {
        let path = bad_file(name, &format!("{header}{rows}"));
        let e = error(&["response", "--lesions", &path]);
        assert!(e.contains(expected), "{name}: {e}");
    }
    let path = bad_file(
        "ok.csv",
        &format!("{header}P1,2024-01-01,L1,liver,target,30\n"),
    );
    let e = error(&["response", "--lesions", &path, "--criteria", "recist2"]);
    assert!(e.contains("unknown criteria 'recist2'"), "{e}");
    let e = error(&["response", "--lesions", &path, "--criteria", "missing.toml"]);
    assert!(e.contains("missing.toml: cannot read"), "{e}");
}
