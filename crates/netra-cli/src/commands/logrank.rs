//! `netra logrank`: compare survival curves between groups of a CSV file.
//!
//! Reads the time, event, group (and optional stratum) columns through
//! `input.rs` (the analysis layer's CSV table: incomplete rows dropped and
//! counted), orders the groups as R's `factor()` levels, and runs the layer's
//! log-rank family (`netra_analysis::analyses::survival::logrank`) — the same
//! numbers as `survdiff(Surv(time, event) ~ group + strata(s), rho = …)`.
//!
//! Group order: when every group label is a number the groups are ordered
//! numerically (and, for `--trend`, the numbers are the scores, e.g. stage
//! 1–4 or ECOG 0–3); otherwise by text as R sorts in a UTF-8 locale for
//! ASCII labels (case-insensitive, lower case first on ties), and the trend
//! scores are 1..k in that order.

use std::fmt::Write as _;

use anyhow::bail;
use netra_analysis::AnalysisError;
use netra_analysis::analyses::survival::SurvivalData;
use netra_analysis::analyses::survival::logrank::{
    self as layer, CompareData, LogrankOutput, LogrankRequest, MAX_GROUPS,
};
use netra_frame::Frame;
use serde::Serialize;

use crate::input::{self, SurvivalArgs};
use crate::output::{Format, csv_field, p_value, write_stdout};

/// Arguments of `netra logrank`, boxed so that the subcommand enum in
/// `main.rs` stays small (clippy's `large_enum_variant`).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    options: Box<Options>,
}

/// The options of `netra logrank`.
#[derive(Debug, clap::Args)]
struct Options {
    #[command(flatten)]
    survival: SurvivalArgs,
    /// Column whose values define the groups to compare.
    #[arg(long, value_name = "COL")]
    group: String,
    /// Column whose values define strata (R's `strata()`): each stratum has
    /// its own risk sets and the per-stratum statistics are summed.
    #[arg(long, value_name = "COL")]
    strata: Option<String>,
    /// Weight function of the test (default: log-rank; --rho/--gamma imply
    /// fleming-harrington).
    #[arg(long, value_enum, value_name = "SCHEME")]
    weighting: Option<Weighting>,
    /// Fleming–Harrington rho: weight S(t-)^rho (1 - S(t-))^gamma; rho = 1,
    /// gamma = 0 is R's survdiff(rho = 1). Default 0.
    #[arg(long, value_name = "R", allow_negative_numbers = true)]
    rho: Option<f64>,
    /// Fleming–Harrington gamma (>= 0). Default 0.
    #[arg(long, value_name = "G", allow_negative_numbers = true)]
    gamma: Option<f64>,
    /// Also test for a trend across the ordered groups (1 df).
    #[arg(long)]
    trend: bool,
    /// Also compare every pair of groups, adjusting p-values by this method.
    #[arg(long, value_enum, value_name = "ADJUST")]
    pairwise: Option<PairwiseAdjust>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

/// The weight schemes of the log-rank family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Weighting {
    /// Weight 1 (Mantel–Haenszel log-rank).
    Logrank,
    /// Weight = number at risk (generalized Wilcoxon).
    GehanBreslow,
    /// Weight = square root of the number at risk.
    TaroneWare,
    /// Weight = S(t-)^rho (1 - S(t-))^gamma, pooled Kaplan–Meier.
    FlemingHarrington,
}

/// p-value adjustments for pairwise comparisons (R's `p.adjust`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PairwiseAdjust {
    /// Holm's step-down (family-wise error).
    Holm,
    /// Bonferroni (family-wise error).
    Bonferroni,
    /// Hochberg's step-up (family-wise error).
    Hochberg,
    /// Benjamini–Hochberg (false discovery rate).
    Bh,
    /// Benjamini–Yekutieli (false discovery rate).
    By,
}

impl PairwiseAdjust {
    /// R's `p.adjust` name, as the layer's request takes it.
    fn r_name(self) -> &'static str {
        match self {
            PairwiseAdjust::Holm => "holm",
            PairwiseAdjust::Bonferroni => "bonferroni",
            PairwiseAdjust::Hochberg => "hochberg",
            PairwiseAdjust::Bh => "BH",
            PairwiseAdjust::By => "BY",
        }
    }

    fn label(self) -> &'static str {
        match self {
            PairwiseAdjust::Holm => "Holm",
            PairwiseAdjust::Bonferroni => "Bonferroni",
            PairwiseAdjust::Hochberg => "Hochberg",
            PairwiseAdjust::Bh => "Benjamini-Hochberg",
            PairwiseAdjust::By => "Benjamini-Yekutieli",
        }
    }
}

impl Options {
    /// The layer's request the flags describe; --rho/--gamma only make
    /// sense for Fleming–Harrington.
    fn request(&self) -> anyhow::Result<LogrankRequest> {
        let fh_params = self.rho.is_some() || self.gamma.is_some();
        let scheme = match (self.weighting, fh_params) {
            (None, true) => Weighting::FlemingHarrington,
            (None, false) => Weighting::Logrank,
            (Some(Weighting::FlemingHarrington), _) => Weighting::FlemingHarrington,
            (Some(other), true) => bail!(
                "--rho/--gamma set the Fleming-Harrington weights; they cannot be combined \
                 with --weighting {}",
                match other {
                    Weighting::Logrank => "logrank",
                    Weighting::GehanBreslow => "gehan-breslow",
                    _ => "tarone-ware",
                }
            ),
            (Some(other), false) => other,
        };
        Ok(LogrankRequest {
            weighting: match scheme {
                Weighting::Logrank => "logrank",
                Weighting::GehanBreslow => "gehan-breslow",
                Weighting::TaroneWare => "tarone-ware",
                Weighting::FlemingHarrington => "fleming-harrington",
            }
            .into(),
            rho: self.rho.unwrap_or(0.0),
            gamma: self.gamma.unwrap_or(0.0),
            trend: self.trend,
            pairwise: self.pairwise.map(|a| a.r_name().to_string()),
        })
    }
}

/// Everything `netra logrank` computed, ready to print.
struct Report {
    group_column: String,
    strata_column: Option<String>,
    out: LogrankOutput,
    pairwise: Option<PairwiseAdjust>,
    n_rows: usize,
    n_dropped: usize,
    reading: input::Reading,
}

/// Runs `netra logrank`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let args = *args.options;
    let request = args.request()?;
    let report = analyse(&args, &request)?;
    let text = match args.format {
        Format::Json => serde_json::to_string_pretty(&to_json(&report))? + "\n",
        Format::Csv => to_csv(&report),
        Format::Table => to_table(&report),
    };
    write_stdout(&text)
}

fn analyse(args: &Options, request: &LogrankRequest) -> anyhow::Result<Report> {
    let s = &args.survival;
    let mut columns = vec![s.time.as_str(), s.event.as_str(), args.group.as_str()];
    if let Some(strata) = &args.strata {
        columns.push(strata.as_str());
    }
    let frame = Frame::read(&s.data, Some(&columns))?;
    let source = frame.source_name().to_string();
    let complete = input::complete_rows::<u32>(&frame, &columns)?;
    let rows = &complete.rows;
    let time = input::times(frame.column(&s.time)?, rows)?;
    let read = input::read_events(frame.column(&s.event)?, rows, &s.coding())?;
    let reading = input::Reading::new(&complete, &s.event, read.values);
    let event = read.events;
    let groups = input::factor(frame.column(&args.group)?, rows);
    if groups.levels.len() > MAX_GROUPS {
        bail!(
            "{source}: column '{}' has {} distinct values; at most {MAX_GROUPS} groups can be \
             compared (is it an identifier?)",
            args.group,
            groups.levels.len()
        );
    }
    if groups.levels.len() < 2 {
        bail!(
            "{source}: column '{}' has a single group ('{}') in the {} complete rows; \
             comparing survival needs at least two groups",
            args.group,
            groups.levels.first().map_or("", String::as_str),
            rows.len()
        );
    }
    let strata = match &args.strata {
        Some(col) => Some(input::factor(frame.column(col)?, rows)),
        None => None,
    };
    let data = CompareData {
        survival: SurvivalData {
            time,
            event,
            group: groups.codes,
            labels: groups.levels,
            weights: None,
        },
        n_strata: strata.as_ref().map_or(1, |f| f.levels.len()),
        strata: strata.map(|f| f.codes),
        values: groups.values,
    };
    let out = layer::compare(&data, request).map_err(|e| explain(e, &source))?;
    Ok(Report {
        group_column: args.group.clone(),
        strata_column: args.strata.clone(),
        out,
        pairwise: args.pairwise,
        n_rows: rows.len(),
        n_dropped: complete.n_dropped,
        reading,
    })
}

/// A layer error worded as before: "FILE: reason", with "test for trend"
/// as context when the trend failed.
fn explain(e: AnalysisError, source: &str) -> anyhow::Error {
    let err = anyhow::anyhow!("{source}: {}", e.reason());
    if e.what() == "test for trend" {
        err.context("test for trend")
    } else {
        err
    }
}

/// The JSON contract of `netra logrank` (issue 2): `chisq`, `df`, `p` and
/// `groups[{group, n, observed, expected}]`, plus additive fields. Field
/// order is declaration order.
#[derive(Serialize)]
struct JsonReport<'a> {
    test: String,
    rho: Option<f64>,
    gamma: Option<f64>,
    chisq: f64,
    df: usize,
    p: f64,
    groups: Vec<JsonGroup<'a>>,
    variance: &'a [Vec<f64>],
    strata: Option<JsonStrata<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    trend: Option<JsonTrend<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    adjust: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pairwise: Option<Vec<JsonPair<'a>>>,
    n: usize,
    n_dropped: usize,
    /// Dropped rows by the first missing column (issue 13).
    dropped_by: serde_json::Value,
    /// Each value of the event column and what it was read as (issue 13).
    values_read: serde_json::Value,
    /// Labels trimming merged into one group (issue 13).
    merged_labels: serde_json::Value,
    /// Empty text cells read as missing, by column (issue 13).
    empty_labels: serde_json::Value,
}

#[derive(Serialize)]
struct JsonGroup<'a> {
    group: &'a str,
    n: usize,
    events: usize,
    observed: f64,
    expected: f64,
}

#[derive(Serialize)]
struct JsonStrata<'a> {
    column: &'a str,
    n: usize,
}

#[derive(Serialize)]
struct JsonTrend<'a> {
    scores: &'a [f64],
    chisq: f64,
    df: usize,
    p: f64,
}

#[derive(Serialize)]
struct JsonPair<'a> {
    group1: &'a str,
    group2: &'a str,
    chisq: f64,
    df: usize,
    p: Option<f64>,
    p_adjusted: Option<f64>,
}

fn to_json(r: &Report) -> JsonReport<'_> {
    let t = &r.out;
    JsonReport {
        test: t.test.clone(),
        rho: t.rho,
        gamma: t.gamma,
        chisq: t.chisq,
        df: t.df,
        p: t.p,
        groups: t
            .groups
            .iter()
            .map(|g| JsonGroup {
                group: &g.group,
                n: g.n,
                events: g.events,
                observed: g.observed,
                expected: g.expected,
            })
            .collect(),
        variance: &t.variance,
        strata: r.strata_column.as_deref().map(|column| JsonStrata {
            column,
            n: t.n_strata,
        }),
        trend: t.trend.as_ref().map(|tr| JsonTrend {
            scores: &tr.scores,
            chisq: tr.chisq,
            df: tr.df,
            p: tr.p,
        }),
        adjust: t.adjust.as_deref(),
        pairwise: t.pairwise.as_ref().map(|pairs| {
            pairs
                .iter()
                .map(|p| JsonPair {
                    group1: &p.group1,
                    group2: &p.group2,
                    chisq: p.chisq,
                    df: p.df,
                    p: p.p,
                    p_adjusted: p.p_adjusted,
                })
                .collect()
        }),
        n: r.n_rows,
        n_dropped: r.n_dropped,
        dropped_by: r.reading.json().0,
        values_read: r.reading.json().1,
        merged_labels: r.reading.label_notes_json().0,
        empty_labels: r.reading.label_notes_json().1,
    }
}

fn to_csv(r: &Report) -> String {
    let t = &r.out;
    let mut out =
        String::from("group,n,events,observed,expected,observed_over_expected,test,chisq,df,p\n");
    for g in &t.groups {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            csv_field(&g.group),
            g.n,
            g.events,
            g.observed,
            g.expected,
            ratio(g.observed, g.expected).map_or("NA".into(), |v| v.to_string()),
            csv_field(&t.test),
            t.chisq,
            t.df,
            t.p
        );
    }
    out
}

fn ratio(o: f64, e: f64) -> Option<f64> {
    (e > 0.0).then(|| o / e)
}

fn to_table(r: &Report) -> String {
    let t = &r.out;
    let weighted = t.weighted;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} test of survival by {}{}",
        t.test,
        r.group_column,
        r.strata_column.as_ref().map_or(String::new(), |c| format!(
            ", stratified by {c} ({} strata)",
            t.n_strata
        ))
    );
    let _ = writeln!(
        out,
        "{} subjects; {} {} dropped for missing values",
        r.n_rows,
        r.n_dropped,
        if r.n_dropped == 1 { "row" } else { "rows" }
    );
    for line in r.reading.lines() {
        let _ = writeln!(out, "{line}");
    }
    if weighted {
        let _ = writeln!(out, "Observed and expected are weighted sums.");
    }
    out.push('\n');
    let header = ["group", "n", "events", "observed", "expected", "O/E"];
    let mut rows: Vec<[String; 6]> = Vec::new();
    for g in &t.groups {
        rows.push([
            g.group.clone(),
            g.n.to_string(),
            g.events.to_string(),
            format!("{:.2}", g.observed),
            format!("{:.2}", g.expected),
            ratio(g.observed, g.expected).map_or("NA".into(), |v| format!("{v:.2}")),
        ]);
    }
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i == 0 {
                let _ = write!(s, "{cell:<w$}", w = width[0]);
            } else {
                let _ = write!(s, "  {cell:>w$}", w = width[i]);
            }
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(&header.map(String::from)));
    for row in &rows {
        let _ = writeln!(out, "{}", line(row));
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "{} chi-square = {:.2} on {} df, p {}",
        t.test,
        t.chisq,
        t.df,
        p_value(t.p)
    );
    if let Some(tr) = &t.trend {
        let scores: Vec<String> = tr.scores.iter().map(|s| format!("{s}")).collect();
        let _ = writeln!(
            out,
            "Test for trend (scores {}): chi-square = {:.2} on 1 df, p {}",
            scores.join(", "),
            tr.chisq,
            p_value(tr.p)
        );
    }
    if let (Some(adjust), Some(pairs)) = (r.pairwise, &t.pairwise) {
        let _ = writeln!(
            out,
            "\nPairwise comparisons ({}; p adjusted by {}):",
            t.test,
            adjust.label()
        );
        let head = [
            "group 1".to_string(),
            "group 2".to_string(),
            "chi-square".to_string(),
            "p".to_string(),
            format!("p ({})", adjust.label()),
        ];
        let cells: Vec<[String; 5]> = pairs
            .iter()
            .map(|p| {
                [
                    p.group1.clone(),
                    p.group2.clone(),
                    format!("{:.2}", p.chisq),
                    p.p.map_or("NA".into(), |v| {
                        p_value(v).trim_start_matches("= ").to_string()
                    }),
                    p.p_adjusted.map_or("NA".into(), |v| {
                        p_value(v).trim_start_matches("= ").to_string()
                    }),
                ]
            })
            .collect();
        let mut w = head.clone().map(|h| h.chars().count());
        for row in &cells {
            for (wi, c) in w.iter_mut().zip(row) {
                *wi = (*wi).max(c.chars().count());
            }
        }
        for row in std::iter::once(&head).chain(cells.iter()) {
            let s = format!(
                "{:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}",
                row[0],
                row[1],
                row[2],
                row[3],
                row[4],
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3],
                w4 = w[4]
            );
            let _ = writeln!(out, "{}", s.trim_end());
        }
    }
    out
}
