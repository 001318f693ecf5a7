//! `netra compare`: the classical group comparisons on any CSV column pair —
//! chi-square (Yates' correction for 2×2 with `--yates`), Fisher's exact,
//! Student's and Welch's t, Mann–Whitney (Wilcoxon rank-sum).
//!
//! Groups and categories are ordered as R orders factor levels: numerically
//! when every value is a number, otherwise as text; for the two-sample tests
//! the first level is `x` (as `t.test(var ~ group)`).

use std::fmt::Write as _;
use std::path::PathBuf;

use netra_frame::Frame;
use netra_stats::classical::Alternative;
use netra_stats::classical::chisq::chisq_test;
use netra_stats::classical::fisher::{fisher_2x2, fisher_rxc};
use netra_stats::classical::ttest::{TTestKind, t_test_two};
use netra_stats::classical::wilcoxon::{WilcoxOptions, wilcox_test};
use serde_json::{Value, json};

use super::response::fmt_p;
use crate::input::{complete_rows, factor, numbers};
use crate::output::{Format, write_stdout};

/// The test to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Test {
    /// Pearson's chi-square test of independence (group × var).
    Chisq,
    /// Fisher's exact test (group × var).
    Fisher,
    /// Student's two-sample t-test (equal variances).
    T,
    /// Welch's two-sample t-test.
    Welch,
    /// Mann–Whitney / Wilcoxon rank-sum test.
    Mannwhitney,
}

/// Arguments of `netra compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Which test.
    #[arg(long, value_enum)]
    pub test: Test,
    /// Grouping column.
    #[arg(long, value_name = "COL")]
    pub group: String,
    /// Compared column (categorical for chisq/fisher, numeric otherwise).
    #[arg(long, value_name = "COL")]
    pub var: String,
    /// Yates' continuity correction (chi-square on a 2×2 table).
    #[arg(long)]
    pub yates: bool,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95, value_name = "L")]
    pub conf_level: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

fn nums(x: f64) -> Value {
    if x.is_finite() {
        json!(x)
    } else if x.is_nan() {
        Value::Null
    } else if x > 0.0 {
        json!("Inf")
    } else {
        json!("-Inf")
    }
}

/// Runs `netra compare`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let frame = Frame::read(&args.data, Some(&[args.group.as_str(), args.var.as_str()]))?;
    let complete = complete_rows(&frame, &[&args.group, &args.var])?;
    let groups = factor(frame.column(&args.group)?, &complete.rows);
    let glevels = &groups.levels;
    if glevels.len() < 2 {
        anyhow::bail!(
            "{}: column '{}' has {} level(s); a comparison needs at least 2",
            frame.source_name(),
            args.group,
            glevels.len()
        );
    }
    let mut out = json!({
        "test": "",
        "group": args.group,
        "var": args.var,
        "levels": glevels,
        "n": complete.rows.len(),
        "n_dropped": complete.n_dropped,
        "dropped_by": crate::input::Reading::new(&complete, &args.var, Vec::new()).json().0,
    });
    match args.test {
        Test::Chisq | Test::Fisher => {
            let values = factor(frame.column(&args.var)?, &complete.rows);
            let vlevels = &values.levels;
            if vlevels.len() < 2 {
                anyhow::bail!(
                    "{}: column '{}' has {} level(s); a contingency table needs at least 2",
                    frame.source_name(),
                    args.var,
                    vlevels.len()
                );
            }
            let mut table = vec![vec![0.0; vlevels.len()]; glevels.len()];
            for (&i, &j) in groups.codes.iter().zip(&values.codes) {
                table[i][j] += 1.0;
            }
            out["var_levels"] = json!(vlevels);
            out["table"] = json!(table);
            if args.test == Test::Chisq {
                let r = chisq_test(&table, args.yates)?;
                out["test"] = json!(if r.yates_applied {
                    "Pearson's chi-squared test with Yates' continuity correction"
                } else {
                    "Pearson's chi-squared test"
                });
                out["statistic"] = nums(r.statistic);
                out["df"] = json!(r.df);
                out["p_value"] = nums(r.p_value);
                out["expected"] = json!(r.expected);
                out["small_expected"] = json!(r.small_expected);
            } else if table.len() == 2 && table[0].len() == 2 {
                let c = |i: usize, j: usize| table[i][j] as u64;
                let r = fisher_2x2(
                    [[c(0, 0), c(0, 1)], [c(1, 0), c(1, 1)]],
                    Alternative::TwoSided,
                    args.conf_level,
                )?;
                out["test"] = json!("Fisher's exact test");
                out["p_value"] = nums(r.p_value);
                out["odds_ratio"] = nums(r.odds_ratio);
                out["conf_int"] = json!([nums(r.lower), nums(r.upper)]);
            } else {
                out["test"] = json!("Fisher's exact test");
                out["p_value"] = nums(fisher_rxc(&table)?);
            }
        }
        Test::T | Test::Welch | Test::Mannwhitney => {
            if glevels.len() != 2 {
                anyhow::bail!(
                    "{}: column '{}' has {} levels ({}); a two-sample test needs exactly 2",
                    frame.source_name(),
                    args.group,
                    glevels.len(),
                    glevels.join(", ")
                );
            }
            let values = numbers(frame.column(&args.var)?, &complete.rows)?;
            let of_level = |level: usize| -> Vec<f64> {
                values
                    .iter()
                    .zip(&groups.codes)
                    .filter(|&(_, &g)| g == level)
                    .map(|(v, _)| *v)
                    .collect()
            };
            let (x, y) = (of_level(0), of_level(1));
            out["n_by_group"] = json!([x.len(), y.len()]);
            if args.test == Test::Mannwhitney {
                let r = wilcox_test(&x, &y, WilcoxOptions::default())?;
                out["test"] = json!(if r.exact {
                    "Wilcoxon rank sum exact test"
                } else {
                    "Wilcoxon rank sum test with continuity correction"
                });
                out["statistic"] = nums(r.statistic);
                out["p_value"] = nums(r.p_value);
                out["exact"] = json!(r.exact);
            } else {
                let kind = if args.test == Test::T {
                    TTestKind::Student
                } else {
                    TTestKind::Welch
                };
                let r = t_test_two(&x, &y, kind, 0.0, Alternative::TwoSided, args.conf_level)?;
                out["test"] = json!(if kind == TTestKind::Student {
                    "Two Sample t-test"
                } else {
                    "Welch Two Sample t-test"
                });
                out["statistic"] = nums(r.statistic);
                out["df"] = json!(r.df);
                out["p_value"] = nums(r.p_value);
                out["means"] = json!([r.mean_x, r.mean_y]);
                out["conf_int"] = json!([nums(r.lower), nums(r.upper)]);
                out["std_err"] = json!(r.std_err);
            }
        }
    }
    let mut s = String::new();
    match args.format {
        Format::Json => s = serde_json::to_string_pretty(&out)? + "\n",
        Format::Csv => {
            let _ = writeln!(s, "test,group,var,statistic,df,p_value");
            let _ = writeln!(
                s,
                "\"{}\",{},{},{},{},{}",
                out["test"].as_str().unwrap_or(""),
                args.group,
                args.var,
                out["statistic"]
                    .as_f64()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                out["df"]
                    .as_f64()
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                out["p_value"]
                    .as_f64()
                    .map(|v| v.to_string())
                    .unwrap_or_default()
            );
        }
        Format::Table => s = table_text(&out),
    }
    write_stdout(&s)
}

fn table_text(out: &Value) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} — {} by {} (n = {}{})",
        out["test"].as_str().unwrap_or(""),
        out["var"].as_str().unwrap_or(""),
        out["group"].as_str().unwrap_or(""),
        out["n"],
        match out["n_dropped"].as_u64() {
            Some(0) | None => String::new(),
            Some(d) => format!(", {d} rows with a missing value left out"),
        }
    );
    let glevels: Vec<&str> = out["levels"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if let Some(table) = out["table"].as_array() {
        let vlevels: Vec<&str> = out["var_levels"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let _ = write!(s, "  {:<14}", "");
        for v in &vlevels {
            let _ = write!(s, " {v:>10}");
        }
        s.push('\n');
        for (g, row) in glevels.iter().zip(table) {
            let _ = write!(s, "  {g:<14}");
            for c in row.as_array().into_iter().flatten() {
                let _ = write!(s, " {:>10}", c.as_f64().unwrap_or(0.0));
            }
            s.push('\n');
        }
    }
    if let Some(means) = out["means"].as_array() {
        for (g, (m, n)) in glevels.iter().zip(
            means
                .iter()
                .zip(out["n_by_group"].as_array().into_iter().flatten()),
        ) {
            let _ = writeln!(
                s,
                "  {g:<14} n = {n:<5} mean = {:.3}",
                m.as_f64().unwrap_or(f64::NAN)
            );
        }
    }
    if let Some(stat) = out["statistic"].as_f64() {
        let _ = match out["df"].as_f64() {
            Some(df) => writeln!(s, "  statistic = {stat:.4}, df = {df:.4}"),
            None => writeln!(s, "  statistic = {stat:.4}"),
        };
    }
    if let Some(or) = out.get("odds_ratio") {
        let _ = writeln!(
            s,
            "  odds ratio (conditional MLE) = {or}, 95% CI {}",
            out["conf_int"]
        );
    } else if let Some(ci) = out.get("conf_int") {
        let _ = writeln!(s, "  difference in means, CI {ci}");
    }
    let _ = writeln!(
        s,
        "  p = {}",
        out["p_value"].as_f64().map_or("NA".into(), fmt_p)
    );
    if out["small_expected"] == json!(true) {
        let _ = writeln!(
            s,
            "  warning: some expected counts are below 5; the chi-square approximation may be incorrect (consider --test fisher)"
        );
    }
    s
}
