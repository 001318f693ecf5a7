//! `netra demo` runs with no files from any directory and reproduces R on
//! the bundled radionuclide cohort. Reference values from R 4.2.2 /
//! survival 3.5.3 on examples/radionuclide-2004/survival.csv:
//! `survdiff(Surv(os_months, death) ~ group)$chisq` = 5.46261523348724,
//! p = 0.0194275486914869; `summary(fit, times = 12)$surv` = 0.891640866873065
//! (A), 0.666666666666667 (B); `quantile(fit, 0.5)`: A NA (lower 22), B 14 (3–NA).

use std::process::Command;

use serde_json::Value;

fn demo(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_netra"))
        .arg("demo")
        .args(args)
        .current_dir(std::env::temp_dir())
        .output()
        .expect("run netra demo");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn close(v: &Value, expected: f64) {
    let x = v.as_f64().unwrap_or_else(|| panic!("{v} is not a number"));
    assert!(
        (x - expected).abs() <= 1e-9 * expected.abs(),
        "{x} vs {expected}"
    );
}

#[test]
fn demo_json_agrees_with_r() {
    let v: Value = serde_json::from_str(&demo(&["--format", "json"])).unwrap();
    close(&v["logrank"]["chisq"], 5.46261523348724);
    close(&v["logrank"]["p"], 0.0194275486914869);
    let curves = v["curves"].as_array().unwrap();
    assert_eq!(curves.len(), 2);
    assert_eq!(curves[0]["group"], "A");
    assert_eq!(curves[0]["n"], 19);
    assert_eq!(curves[1]["n"], 12);
    assert_eq!(curves[0]["median"], Value::Null);
    close(&curves[0]["median_lower"], 22.0);
    close(&curves[1]["median"], 14.0);
    close(&curves[1]["median_lower"], 3.0);
    close(&curves[0]["at_times"][0]["survival"], 0.891640866873065);
    close(&curves[1]["at_times"][0]["survival"], 0.666666666666667);
}

#[test]
fn demo_table_reads_like_the_paper() {
    let text = demo(&[]);
    assert!(text.contains("radionuclide therapy"), "{text}");
    assert!(
        text.contains("Log-rank test: chi-square = 5.46 on 1 df, p = 0.019"),
        "{text}"
    );
    let a = text
        .lines()
        .find(|l| l.starts_with("A "))
        .expect("row of group A");
    assert!(
        a.contains("19") && a.contains("NR (22.0–NR)") && a.contains("89.2%"),
        "{a}"
    );
}
