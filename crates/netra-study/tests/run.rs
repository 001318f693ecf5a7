//! Running study files: every declared output is written, the manifest's
//! hashes are those of the files, the same inputs give the same bytes, and
//! the numbers of the radionuclide study are R's.
//!
//! R 4.2.2 / survival 3.5.3 on examples/radionuclide-2004 (patient 20
//! excluded; times from the bundle's dates are the published months up to
//! the day, which keeps their order, so the log-rank test and the step
//! heights are the published data's):
//! `survdiff(Surv(os_months, death) ~ group)$chisq` = 5.46261523348724,
//! p = 0.0194275486914869; `summary(fit, times = 12)$surv` = 0.891640866873065
//! (A), 0.666666666666667 (B); `t.test(age ~ group, var.equal = TRUE)$p.value`
//! = 0.2741036; `chisq.test(table(sex, group))$p.value` = 0.6088355;
//! follow-up t-test p = 0.001073701.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netra_study::data::sha256_hex;
use netra_study::{StudyError, run};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn radionuclide() -> PathBuf {
    repo().join("examples/studies/radionuclide.toml")
}

/// Every file under `dir`, by relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Within half a day (in months) of `expected`: the bundle's dates are the
/// published months rounded to the day.
fn within_half_a_day(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!((x - expected).abs() <= 0.5 / 30.4375, "{x} vs {expected}");
}

fn close(v: &Value, expected: f64, tol: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!(
        (x - expected).abs() <= tol * expected.abs().max(1.0),
        "{x} vs {expected}"
    );
}

/// The CSV record whose first cell starts with `starts` (indentation kept).
fn csv_row(text: &str, starts: &str) -> Vec<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    r.records()
        .map(|x| x.unwrap())
        .find(|x| x[0].starts_with(starts))
        .unwrap_or_else(|| panic!("no row '{starts}' in\n{text}"))
        .iter()
        .map(str::to_string)
        .collect()
}

#[test]
fn radionuclide_study_writes_every_output_with_r_numbers_and_a_true_manifest() {
    let out = tempfile::tempdir().unwrap();
    let result = run(&radionuclide(), out.path(), &common::opts()).unwrap();
    assert_eq!(result.patients, 31);
    let written = files(out.path());

    // Every declared output, in every format.
    let mut expected: Vec<String> = Vec::new();
    for t in ["table1", "os_by_group", "benefit"] {
        for ext in ["html", "md", "csv", "tex"] {
            expected.push(format!("tables/{t}.{ext}"));
        }
    }
    for f in ["os_km"] {
        for ext in ["svg", "png"] {
            expected.push(format!("figures/{f}.{ext}"));
        }
    }
    expected.extend(
        [
            "report.html",
            "summary.json",
            "manifest.json",
            "analyses/durations.json",
            "analyses/markers.json",
        ]
        .map(String::from),
    );
    expected.sort();
    let mut names: Vec<String> = written.keys().cloned().collect();
    names.sort();
    assert_eq!(names, expected);
    assert!(written["figures/os_km.png"].starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(String::from_utf8_lossy(&written["tables/table1.tex"]).contains("\\toprule"));

    // The manifest: version, study file and data hashes, every other output.
    let m: Value = serde_json::from_slice(&written["manifest.json"]).unwrap();
    assert_eq!(m["netra_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        m["study_file"]["sha256"],
        sha256_hex(&std::fs::read(radionuclide()).unwrap())
    );
    assert_eq!(m["data"]["source"], "bundle");
    assert_eq!(m["data"]["study"], "radionuclide-2004");
    let data_files = m["data"]["files"].as_array().unwrap();
    assert_eq!(data_files.len(), 11);
    let mut listing = String::new();
    for f in data_files {
        let name = f["name"].as_str().unwrap();
        let bytes =
            std::fs::read(repo().join("examples/radionuclide-2004/bundle").join(name)).unwrap();
        assert_eq!(f["sha256"], sha256_hex(&bytes), "{name}");
        assert_eq!(f["bytes"], bytes.len());
        listing.push_str(&format!("{}  {name}\n", sha256_hex(&bytes)));
    }
    assert_eq!(m["data"]["sha256"], sha256_hex(listing.as_bytes()));
    let outputs = m["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), written.len() - 1);
    for o in outputs {
        let path = o["path"].as_str().unwrap();
        assert_ne!(path, "manifest.json");
        assert_eq!(o["sha256"], sha256_hex(&written[path]), "{path}");
        assert_eq!(o["bytes"], written[path].len(), "{path}");
    }

    // Numbers against R.
    let s: Value = serde_json::from_slice(&written["summary.json"]).unwrap();
    let g = &s["os_by_group"];
    close(&g["logrank"]["chisq"], 5.46261523348724, 1e-9);
    close(&g["logrank"]["p"], 0.0194275486914869, 1e-9);
    assert_eq!(g["curves"][0]["n"], 19);
    assert_eq!(g["curves"][1]["n"], 12);
    close(
        &g["curves"][0]["at_times"][0]["survival"],
        0.891640866873065,
        1e-12,
    );
    close(
        &g["curves"][1]["at_times"][0]["survival"],
        0.666666666666667,
        1e-12,
    );
    assert_eq!(g["curves"][0]["median"], Value::Null);
    // Medians are the published month up to the day of the synthetic dates.
    within_half_a_day(&g["curves"][1]["median"], 14.0);
    close(&s["os_km"]["logrank"]["chisq"], 5.46261523348724, 1e-9);

    let t1 = String::from_utf8(written["tables/table1.csv"].clone()).unwrap();
    let age = csv_row(&t1, "Age (years), mean");
    assert_eq!(age[1..], ["61.7 ± 7.8", "65.9 ± 13.2", "0.274", "t-test"]);
    let sex = csv_row(&t1, "Sex, n (%)");
    assert_eq!(sex[3..], ["0.609", "χ² test (Yates)"]);
    let fu = csv_row(&t1, "Follow-up (months), mean");
    assert_eq!(fu[3], "0.001");
    let os = String::from_utf8(written["tables/os_by_group.csv"].clone()).unwrap();
    assert_eq!(
        csv_row(&os, "  Group A (treated)")[1..6],
        ["19", "5", "NR (22.0–NR)", "89.2", "68.6"]
    );
    assert_eq!(csv_row(&os, "Group")[7], "0.019");

    // The report holds both tables and the figure, inline.
    let html = String::from_utf8(written["report.html"].clone()).unwrap();
    assert!(html.contains("Characteristics of the patients by group"));
    assert!(html.contains("Log-rank test: χ² = 5.46 on 1 df, p = 0.019"));
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(!html.contains("<script"));
    assert!(html.contains(&result.study_sha256[..12]));
}

/// The documented complete example (docs/study-file.md), written next to a
/// temporary directory.
fn documented_example(dir: &Path) -> PathBuf {
    let doc = std::fs::read_to_string(repo().join("docs/study-file.md")).unwrap();
    let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let path = dir.join("example.toml");
    std::fs::write(&path, &doc[start..end]).unwrap();
    path
}

#[test]
fn the_documented_example_writes_every_declared_output_byte_identically_twice() {
    let tmp = tempfile::tempdir().unwrap();
    let study = documented_example(tmp.path());
    let plan = netra_study::Study::read(&study).unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let ra = run(&study, &a, &common::opts()).unwrap();
    run(&study, &b, &common::opts()).unwrap();
    let (fa, fb) = (files(&a), files(&b));
    for t in &plan.tables {
        for ext in ["html", "md", "csv", "tex"] {
            assert!(
                fa.contains_key(&format!("tables/{}.{ext}", t.name)),
                "{}",
                t.name
            );
        }
    }
    for f in &plan.figures {
        for ext in ["svg", "png"] {
            assert!(
                fa.contains_key(&format!("figures/{}.{ext}", f.name)),
                "{}",
                f.name
            );
        }
    }
    assert_eq!(
        fa.len(),
        4 * plan.tables.len() + 2 * plan.figures.len() + 3,
        "{:?}",
        fa.keys()
    );
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between two runs");
    }
    // The cohort filter ran, and its counts are in the report.
    assert!(ra.patients < 300);
    let html = String::from_utf8(fa["report.html"].clone()).unwrap();
    assert!(
        html.contains("left out by `primary_group != unknown`"),
        "cohort paragraph"
    );
    assert_eq!(html.matches("<svg").count(), plan.figures.len());
    // Every kind of figure drew what it is about.
    let svg = |n: &str| String::from_utf8(fa[&format!("figures/{n}.svg")].clone()).unwrap();
    assert!(svg("os_km").contains("class=\"at-risk\""));
    assert!(svg("waterfall").contains("class=\"bar\""));
    assert!(svg("forest").contains("class=\"estimate\""));
    assert!(svg("sankey").contains("class=\"flow\""));
    assert!(svg("swimmer").contains("class=\"segment\""));
    let s: Value = serde_json::from_slice(&fa["summary.json"]).unwrap();
    let lines = s["lines"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    // Fewer patients reach each next line.
    let n = |i: usize| lines[i]["n"].as_u64().unwrap_or(0);
    assert!(n(0) > n(1) && n(1) > n(2), "{lines:?}");
    assert!(
        s["cox"]["terms"]["grade=NEC"]["multivariate"]["hr"]
            .as_f64()
            .unwrap()
            > 1.0
    );
}

#[test]
fn run_errors_say_what_is_missing() {
    let tmp = tempfile::tempdir().unwrap();
    let no_data = tmp.path().join("s.toml");
    std::fs::write(
        &no_data,
        "[study]\ntitle = \"T\"\n[[endpoint]]\nname = \"os\"\ntype = \"os\"\nfrom = \"entry\"\n\
         [[figure]]\nname = \"k\"\ntype = \"km\"\nendpoint = \"os\"\n",
    )
    .unwrap();
    let e = run(&no_data, &tmp.path().join("o"), &common::opts()).unwrap_err();
    assert!(e.to_string().contains("no data"), "{e}");

    let wrong_study = tmp.path().join("w.toml");
    let text = std::fs::read_to_string(radionuclide())
        .unwrap()
        .replace(
            "bundle = \"../radionuclide-2004/bundle\"",
            &format!(
                "bundle = \"{}\"",
                repo().join("examples/radionuclide-2004/bundle").display()
            ),
        )
        .replace("study = \"radionuclide-2004\"", "study = \"nope\"");
    std::fs::write(&wrong_study, text).unwrap();
    let e = run(&wrong_study, &tmp.path().join("o"), &common::opts()).unwrap_err();
    assert!(matches!(e, StudyError::Analysis { .. }), "{e}");
    assert!(e.to_string().contains("no study 'nope'"), "{e}");
}

/// Issue 13: a run that fails late (here the last figure, after every table
/// and the survival figure were written) leaves no output folder and no
/// staging folder behind; an existing output folder keeps its files.
#[test]
fn a_late_error_leaves_no_half_written_output() {
    let tmp = tempfile::tempdir().unwrap();
    let study = tmp.path().join("late.toml");
    let text = std::fs::read_to_string(radionuclide()).unwrap().replace(
        "bundle = \"../radionuclide-2004/bundle\"",
        &format!(
            "bundle = \"{}\"",
            repo().join("examples/radionuclide-2004/bundle").display()
        ),
    );
    let late = format!(
        "{text}\n[[figure]]\nname = \"late\"\ntype = \"waterfall\"\nline = 99\nsection = \"Late\"\n"
    );
    std::fs::write(&study, &late).unwrap();
    let out = tmp.path().join("report");
    let opts = netra_study::RunOptions {
        png: false,
        ..common::opts()
    };
    let e = run(&study, &out, &opts).unwrap_err();
    assert!(e.to_string().contains("line 99"), "{e}");
    assert!(!out.exists(), "a half-written {} was left", out.display());
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, vec!["late.toml".to_string()], "staging left behind");

    // Into an existing folder: a failed run changes nothing in it.
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    run(&study, &out, &opts).unwrap_err();
    assert_eq!(
        files(&out).into_keys().collect::<Vec<_>>(),
        vec!["notes.txt"]
    );

    // The same study without the failing figure writes everything there.
    std::fs::write(&study, &text).unwrap();
    let done = run(&study, &out, &opts).unwrap();
    let written = files(&out);
    assert!(written.contains_key("notes.txt"));
    for o in &done.outputs {
        assert_eq!(
            sha256_hex(&written[&o.path]),
            o.sha256,
            "{} moved into place",
            o.path
        );
    }
    assert_eq!(written.len(), done.outputs.len() + 1);
}
