//! A group comparison (`netra_analysis::analyses::compare`) as a clinician
//! reads it: one row per group with n, mean ± SD, median (IQR) and range
//! for a number, or n (row %) per category for categories; then the
//! effect with its interval (difference in means, odds ratio) and the test
//! line "t = 0.35, df = 22.97, p = 0.727".
//!
//! Precision: summaries, the difference in means and its interval carry
//! the same decimals (`decimals`; `netra compare` reports one more than
//! the data are recorded with, [`crate::format::decimals_of`]); test
//! statistics two; degrees of freedom none when whole ("df = 2"), two
//! otherwise (Welch); odds ratios two; p-values the one rule of
//! [`crate::format`]. The JSON output keeps every number unrounded.

use netra_analysis::analyses::compare::CompareOutput;

use super::{Align, Row, Table};
use crate::ReportError;
use crate::format::{MISSING, df, fixed, interval, n_percent, p_relation};

/// What the text says around the numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct CompareText {
    /// Printed name of the compared variable.
    pub variable: String,
    /// Printed name of the grouping.
    pub group: String,
    /// Decimals of summaries and of the difference in means.
    pub decimals: usize,
    /// Rows left out for a missing value (said in the title).
    pub n_dropped: usize,
}

/// The comparison as a [`Table`]: title, the per-group rows, and the
/// effect and test as footnotes.
pub fn compare_table(out: &CompareOutput, text: &CompareText) -> Table {
    let dropped = match text.n_dropped {
        0 => String::new(),
        1 => ", 1 row with a missing value left out".to_string(),
        d => format!(", {d} rows with a missing value left out"),
    };
    let title = format!(
        "{} by {} \u{2014} {} (n = {}{dropped})",
        text.variable, text.group, out.test, out.n
    );
    let mut t = match (&out.summaries, &out.table) {
        (Some(summaries), _) => {
            let d = text.decimals;
            let mut t = Table::new(
                title,
                &[&text.group, "n", "Mean \u{b1} SD", "Median (IQR)", "Range"],
            );
            for s in summaries {
                let sd = s.sd.map_or(MISSING.to_string(), |v| fixed(Some(v), d));
                t.push(Row::new([
                    s.level.clone(),
                    s.n.to_string(),
                    format!("{} \u{b1} {sd}", fixed(s.mean, d)),
                    format!("{} ({})", fixed(s.median, d), interval(s.q1, s.q3, d)),
                    interval(s.min, s.max, d),
                ]));
            }
            t
        }
        (None, Some(table)) => {
            let var_levels = out.var_levels.clone().unwrap_or_default();
            let mut header: Vec<&str> = vec![&text.group, "n"];
            header.extend(var_levels.iter().map(String::as_str));
            let mut t = Table::new(title, &header);
            for (level, row) in out.levels.iter().zip(table) {
                let counts: Vec<u64> = row.iter().map(|c| c.max(0.0).round() as u64).collect();
                let total: u64 = counts.iter().sum();
                let mut cells = vec![level.clone(), total.to_string()];
                cells.extend(counts.iter().map(|c| n_percent(*c, total, 1)));
                t.push(Row::new(cells));
            }
            t
        }
        (None, None) => Table::new(title, &[&text.group]),
    };
    t.align = vec![Align::Left, Align::Right];
    if let Some(line) = effect_line(out, text) {
        t.footnotes.push(line);
    }
    t.footnotes.push(test_line(out));
    if out.small_expected == Some(true) {
        t.footnotes.push(
            "warning: some expected counts are below 5; the chi-square approximation may be \
             incorrect (consider --test fisher)"
                .into(),
        );
    }
    t
}

/// The comparison as aligned text (`netra compare`'s table output).
pub fn compare_text(out: &CompareOutput, text: &CompareText) -> Result<String, ReportError> {
    let t = compare_table(out, text);
    if t.body.is_empty() {
        // No per-group rows (a test without its data): title and lines.
        let mut s = format!("{}\n\n", t.title);
        for f in &t.footnotes {
            s.push_str(f);
            s.push('\n');
        }
        return Ok(s);
    }
    t.to_text()
}

/// "95%" for a level of 0.95 (as many decimals as the level needs).
fn percent(level: f64) -> String {
    let p = 100.0 * level;
    let d = crate::format::decimals_of(&[p], 2);
    format!("{}%", fixed(Some(p), d))
}

/// The difference in means (t-tests) or the odds ratio (Fisher 2×2) with
/// its interval.
fn effect_line(out: &CompareOutput, text: &CompareText) -> Option<String> {
    let [lo, hi] = out.conf_int?;
    let level = percent(out.conf_level.unwrap_or(0.95));
    if let Some(or) = out.odds_ratio {
        return Some(format!(
            "Odds ratio (conditional MLE) {} ({level} CI {})",
            fixed(Some(or), 2).replace(MISSING, "Inf"),
            interval(Some(lo), Some(hi), 2).replace(MISSING, "Inf")
        ));
    }
    let (mx, my) = out.means?;
    let diff = my.map(|y| mx - y);
    let names = match out.levels.as_slice() {
        [a, b] => format!(" ({a} \u{2212} {b})"),
        _ => String::new(),
    };
    Some(format!(
        "Difference in means{names} {} ({level} CI {})",
        fixed(diff, text.decimals),
        interval(Some(lo), Some(hi), text.decimals)
    ))
}

/// The statistic's printed name.
fn statistic_name(test: &str) -> &'static str {
    if test.contains("t-test") {
        "t"
    } else if test.starts_with("Wilcoxon") {
        "W"
    } else if test.starts_with("One-way") {
        "F"
    } else if test.starts_with("Kruskal") {
        "Kruskal\u{2013}Wallis \u{3c7}\u{b2}"
    } else {
        "\u{3c7}\u{b2}"
    }
}

/// "t = 0.35, df = 22.97, p = 0.727"; Fisher's test has p alone.
fn test_line(out: &CompareOutput) -> String {
    let mut parts = Vec::new();
    if let Some(stat) = out.statistic {
        let name = statistic_name(&out.test);
        // W is a rank sum: whole or a half.
        let d = if name == "W" {
            crate::format::decimals_of(&[stat], 1)
        } else {
            2
        };
        parts.push(format!("{name} = {}", fixed(Some(stat), d)));
    }
    match (out.df, out.df_den) {
        (Some(a), Some(b)) => parts.push(format!("df = {} and {}", df(a), df(b))),
        (Some(a), None) => parts.push(format!("df = {}", df(a))),
        _ => {}
    }
    parts.push(format!("p {}", p_relation(Some(out.p_value))));
    let mut line = parts.join(", ");
    if out.exact == Some(true) {
        line.push_str(" (exact)");
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_analysis::analyses::compare::{
        CompareData, CompareOptions, CompareTest, Values, compare,
    };

    fn text(decimals: usize) -> CompareText {
        CompareText {
            variable: "Age".into(),
            group: "Arm".into(),
            decimals,
            n_dropped: 2,
        }
    }

    fn numbers(groups: &[&str], group: &[usize], values: &[f64]) -> CompareData {
        CompareData {
            groups: groups.iter().map(|g| g.to_string()).collect(),
            group: group.to_vec(),
            values: Values::Numbers(values.to_vec()),
        }
    }

    fn run(data: &CompareData, test: CompareTest) -> CompareOutput {
        compare(
            data,
            &CompareOptions {
                test: Some(test),
                ..CompareOptions::default()
            },
        )
        .unwrap()
    }

    #[test]
    fn two_groups_read_with_sd_iqr_and_a_rounded_interval() {
        // A: 1, 2, 3, 10 (mean 4, median 2.5, IQR 1.75–4.75);
        // B: 4, 6, 9 (mean 6.333…).
        let data = numbers(
            &["A", "Much longer arm"],
            &[0, 0, 0, 0, 1, 1, 1],
            &[1.0, 2.0, 3.0, 10.0, 4.0, 6.0, 9.0],
        );
        let out = run(&data, CompareTest::Welch);
        let s = compare_text(&out, &text(1)).unwrap();
        assert!(
            s.starts_with(
                "Age by Arm \u{2014} Welch Two Sample t-test (n = 7, 2 rows with a missing value left out)"
            ),
            "{s}"
        );
        let row_a = s.lines().find(|l| l.starts_with("A ")).unwrap();
        assert!(
            row_a.ends_with("4  4.0 \u{b1} 4.1  2.5 (1.8\u{2013}4.8)  1.0\u{2013}10.0"),
            "{s}"
        );
        // Columns start at one place whatever the label length.
        let col = |l: &str| l.find('\u{b1}').unwrap();
        let row_b = s.lines().find(|l| l.starts_with("Much")).unwrap();
        assert_eq!(
            row_a[..col(row_a)].chars().count(),
            row_b[..col(row_b)].chars().count(),
            "{s}"
        );
        // Difference 4 − 6.33 = −2.3; the CI has the same one decimal.
        let (lo, hi) = (out.conf_int.unwrap()[0], out.conf_int.unwrap()[1]);
        assert!(
            s.contains(&format!(
                "Difference in means (A \u{2212} Much longer arm) -2.3 (95% CI {lo:.1} to {hi:.1})"
            )),
            "{s}"
        );
        let df = out.df.unwrap();
        assert!(
            s.contains(&format!(
                "t = {:.2}, df = {df:.2}, p = {:.3}",
                out.statistic.unwrap(),
                out.p_value
            )),
            "{s}"
        );
    }

    #[test]
    fn k_groups_print_whole_degrees_of_freedom() {
        let data = numbers(
            &["G1", "G2", "G3"],
            &[0, 0, 0, 1, 1, 1, 2, 2, 2],
            &[1.0, 2.0, 3.0, 2.0, 4.0, 5.0, 7.0, 8.0, 9.5],
        );
        let s = compare_text(&run(&data, CompareTest::Kruskal), &text(1)).unwrap();
        assert!(s.contains(", df = 2, p = "), "{s}");
        assert!(s.contains("Kruskal\u{2013}Wallis \u{3c7}\u{b2} = "), "{s}");
        let s = compare_text(&run(&data, CompareTest::Anova), &text(1)).unwrap();
        assert!(s.contains(", df = 2 and 6, p = "), "{s}");
    }

    #[test]
    fn categories_print_counts_with_row_percentages_and_the_odds_ratio() {
        let data = CompareData {
            groups: vec!["A".into(), "B".into()],
            group: vec![0, 0, 0, 0, 1, 1, 1],
            values: Values::Categories {
                levels: vec!["no".into(), "yes".into()],
                codes: vec![0, 0, 0, 1, 1, 1, 0],
            },
        };
        let out = run(&data, CompareTest::Fisher);
        let s = compare_text(&out, &text(1)).unwrap();
        assert!(s.contains("3 (75.0%)"), "{s}");
        assert!(s.contains("2 (66.7%)"), "{s}");
        assert!(s.contains("Odds ratio (conditional MLE) "), "{s}");
        assert!(s.contains(&format!("p = {:.3}", out.p_value)), "{s}");
        // A zero cell: the odds ratio is infinite, printed as R prints it.
        let data = CompareData {
            values: Values::Categories {
                levels: vec!["no".into(), "yes".into()],
                codes: vec![0, 0, 0, 0, 1, 1, 1],
            },
            ..data
        };
        let s = compare_text(&run(&data, CompareTest::Fisher), &text(1)).unwrap();
        assert!(
            s.contains("Odds ratio (conditional MLE) Inf (95% CI "),
            "{s}"
        );
        assert!(s.contains("\u{2013}Inf)"), "{s}");
    }
}
