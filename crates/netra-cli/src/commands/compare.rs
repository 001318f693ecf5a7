//! `netra compare`: the classical group comparisons on any CSV column pair —
//! chi-square (Yates' correction for 2×2 with `--yates`), Fisher's exact
//! (Fisher–Freeman–Halton for r×c), Student's and Welch's t, Mann–Whitney
//! (Wilcoxon rank-sum; `--test wilcox` is the same test, R's `wilcox.test`),
//! and for three or more groups one-way ANOVA, Welch's ANOVA and
//! Kruskal–Wallis (`t`, `welch` and `mannwhitney` run their k-group form
//! there).
//!
//! Groups and categories are ordered as R orders factor levels: numerically
//! when every value is a number, otherwise as text; for the two-sample tests
//! the first level is `x` (as `t.test(var ~ group)`). The tests run in the
//! analysis layer (`netra_analysis::analyses::compare`); this command reads
//! the columns, checks them against the file, and prints (the table is
//! `netra_report::table::compare`: n, mean ± SD and median (IQR) per group,
//! the effect with its interval, the test with its df and p).

use std::fmt::Write as _;
use std::path::PathBuf;

use netra_analysis::analyses::compare::{
    CompareData, CompareOptions, CompareTest, Values, compare,
};
use netra_frame::Frame;
use netra_report::format::decimals_of;
use netra_report::table::compare::{CompareText, compare_text};
use serde_json::json;

use crate::input::{codes_as_usize, complete_rows, factor, numbers};
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
    /// Mann–Whitney / Wilcoxon rank-sum test (`wilcox`: R's wilcox.test).
    #[value(alias = "wilcox")]
    Mannwhitney,
    /// One-way ANOVA, equal variances (R's oneway.test(var.equal = TRUE)).
    Anova,
    /// Welch's one-way ANOVA (R's oneway.test).
    WelchAnova,
    /// Kruskal–Wallis rank-sum test (R's kruskal.test).
    Kruskal,
}

impl From<Test> for CompareTest {
    fn from(t: Test) -> CompareTest {
        match t {
            Test::Chisq => CompareTest::Chisq,
            Test::Fisher => CompareTest::Fisher,
            Test::T => CompareTest::T,
            Test::Welch => CompareTest::Welch,
            Test::Mannwhitney => CompareTest::Mannwhitney,
            Test::Anova => CompareTest::Anova,
            Test::WelchAnova => CompareTest::WelchAnova,
            Test::Kruskal => CompareTest::Kruskal,
        }
    }
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
    /// Decimals of the table's summaries and difference in means (default:
    /// one more than the data are recorded with, at most 4).
    #[arg(long, value_name = "N")]
    pub decimals: Option<usize>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `netra compare`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let frame = Frame::read(&args.data, Some(&[args.group.as_str(), args.var.as_str()]))?;
    let complete = complete_rows::<u32>(&frame, &[&args.group, &args.var])?;
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
    let values = if matches!(args.test, Test::Chisq | Test::Fisher) {
        let values = factor(frame.column(&args.var)?, &complete.rows);
        if values.levels.len() < 2 {
            anyhow::bail!(
                "{}: column '{}' has {} level(s); a contingency table needs at least 2",
                frame.source_name(),
                args.var,
                values.levels.len()
            );
        }
        Values::Categories {
            levels: values.levels,
            codes: codes_as_usize(&values.codes),
        }
    } else {
        Values::Numbers(numbers(frame.column(&args.var)?, &complete.rows)?)
    };
    let decimals = args.decimals.unwrap_or_else(|| match &values {
        Values::Numbers(v) => (decimals_of(v, 3) + 1).min(4),
        Values::Categories { .. } => 1,
    });
    let data = CompareData {
        groups: groups.levels,
        group: codes_as_usize(&groups.codes),
        values,
    };
    let options = CompareOptions {
        test: Some(args.test.into()),
        yates: args.yates,
        conf_level: args.conf_level,
    };
    let result = compare(&data, &options)?;
    let mut out = serde_json::to_value(&result)?;
    out["group"] = json!(args.group);
    out["var"] = json!(args.var);
    out["n_dropped"] = json!(complete.n_dropped);
    out["dropped_by"] = crate::input::Reading::new(&complete, &args.var, Vec::new())
        .json()
        .0;
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
        Format::Table => {
            let text = CompareText {
                variable: args.var.clone(),
                group: args.group.clone(),
                decimals,
                n_dropped: complete.n_dropped,
            };
            s = compare_text(&result, &text)?;
        }
    }
    write_stdout(&s)
}
