//! `netra km`: Kaplan–Meier curves from a CSV file.
//!
//! Reads the time, event and optional group and weight columns through
//! `input.rs` (rows missing any of them are dropped and counted), fits one
//! curve per group with the analysis layer (`survival::summarise`) and prints a clinician's table, the
//! JSON contract of issue 2, or one CSV row per step.
//!
//! Group order is R's factor-level order (numeric when every label is a
//! number, otherwise as R sorts text; see `input::factor`). Landmark rates are read
//! as `summary(fit, times, extend = FALSE)`: a time after a group's last
//! time has no estimate; R leaves its row out, and so does the JSON's
//! `at_times` (the time is listed in `at_times_after_last`; the table
//! prints `NE`). `--extend` reads such times as `extend = TRUE` does (the
//! last estimate, 0 at risk). The RMST difference is the second group
//! minus the first.

use std::fmt::Write as _;
use std::path::Path;

use netra_analysis::analyses::survival::{
    FollowUpOut, KmAtTime as AtTime, KmCurve, Quantile, Rmst, RmstDifferenceOut as RmstDifference,
    SurvivalData, SurvivalOptions, SurvivalSummary, SymmetricMedianOut, summarise,
    summarise_partial,
};
use netra_frame::Frame;
use serde::Serialize;

use crate::engine::EngineArg;
use crate::input::{self, SurvivalArgs};
use crate::output::{Format, csv_field, csv_number, fmt_or_nr, p_value, write_stdout};
use crate::plot::PlotArgs;
use netra_report::figure::km::{KmFigure, KmSeries};

/// Arguments of `netra km` (boxed: the subcommand enum stays small).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    options: Box<KmArgs>,
}

/// The options of `netra km` (crate-visible so `netra demo` can run the same
/// analysis on bundled data).
#[derive(Debug, clap::Args)]
pub(crate) struct KmArgs {
    #[command(flatten)]
    pub(crate) survival: SurvivalArgs,
    /// Column whose values define the groups (one curve per value).
    #[arg(long, value_name = "COL")]
    pub(crate) group: Option<String>,
    /// Column of non-negative case weights.
    #[arg(long, value_name = "COL")]
    pub(crate) weights: Option<String>,
    /// Transformation for the confidence intervals (as R's conf.type).
    #[arg(long, value_name = "T", default_value = "log",
          value_parser = ["log", "log-log", "plain", "logit", "arcsin"])]
    pub(crate) conf_type: String,
    /// Confidence level, strictly between 0 and 1.
    #[arg(long, value_name = "L", default_value_t = 0.95)]
    pub(crate) conf_level: f64,
    /// Landmark times at which to report survival (comma-separated).
    #[arg(long, value_name = "T1,T2", value_delimiter = ',', num_args = 1..)]
    pub(crate) times: Vec<f64>,
    /// With --times: a time after a group's last time gets the group's last
    /// estimate with 0 at risk, as R's `summary(fit, times, extend = TRUE)`;
    /// without it (R's default) such a time has no estimate.
    #[arg(long, requires = "times")]
    pub(crate) extend: bool,
    /// Report the restricted mean survival time up to this time.
    #[arg(long, value_name = "T")]
    pub(crate) rmst_tau: Option<f64>,
    /// Also the median's symmetric CI as SPSS prints it (median ± z·SE).
    #[arg(long)]
    pub(crate) median_ci_spss: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub(crate) format: Format,
    #[command(flatten)]
    pub(crate) plot: PlotArgs,
    /// Where to compute: `local` (in memory), `datafusion` (Apache
    /// DataFusion out of core: CSV or Parquet data; needs the `engine`
    /// build feature) or `ballista://HOST:PORT` (the same plans on a
    /// Ballista cluster of `netra-ballista` processes; needs `ballista`).
    #[arg(long, default_value_t)]
    pub(crate) engine: EngineArg,
}

/// The JSON contract (issue 2): field names are relied on by tools.
#[derive(Debug, Serialize)]
struct Report {
    curves: Vec<CurveOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rmst_difference: Option<DiffOut>,
    /// Present when a group column was given; `null` when the test does not
    /// exist (one group, no events, case weights).
    #[serde(skip_serializing_if = "Option::is_none")]
    logrank: Option<Option<TestOut>>,
    n_dropped: usize,
    /// Dropped rows by the first missing column (issue 13).
    dropped_by: serde_json::Value,
    /// Each value of the event column and what it was read as (issue 13).
    values_read: serde_json::Value,
    /// Labels trimming merged into one group (issue 13).
    merged_labels: serde_json::Value,
    /// Empty text cells read as missing, by column (issue 13).
    empty_labels: serde_json::Value,
    /// Median follow-up of all rows by the reverse Kaplan–Meier method.
    follow_up: Option<FollowUpOut>,
}

#[derive(Debug, Clone, Serialize)]
struct TestOut {
    chisq: f64,
    df: usize,
    p: f64,
}

#[derive(Debug, Serialize)]
struct CurveOut {
    group: String,
    n: usize,
    events: f64,
    median: Option<f64>,
    median_lower: Option<f64>,
    median_upper: Option<f64>,
    steps: Vec<StepOut>,
    /// As R's `summary(fit, times)`: a time after the group's last time
    /// has no row unless `--extend`.
    at_times: Vec<AtOut>,
    /// The requested times left out of `at_times` for being after the
    /// group's last time (no estimate without `--extend`).
    at_times_after_last: Vec<f64>,
    rmst: Option<RmstOut>,
    /// With `--median-ci-spss`: SPSS's symmetric median interval.
    #[serde(skip_serializing_if = "Option::is_none")]
    median_spss: Option<SymmetricMedianOut>,
}

#[derive(Debug, Serialize)]
struct StepOut {
    time: f64,
    n_risk: f64,
    n_event: f64,
    n_censor: f64,
    survival: f64,
    std_err: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
}

#[derive(Debug, Serialize)]
struct AtOut {
    time: f64,
    n_risk: f64,
    survival: Option<f64>,
    std_err: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
}

#[derive(Debug, Serialize)]
struct RmstOut {
    tau: f64,
    estimate: f64,
    std_err: f64,
    lower: f64,
    upper: f64,
}

#[derive(Debug, Serialize)]
struct DiffOut {
    groups: [String; 2],
    estimate: f64,
    std_err: f64,
    lower: f64,
    upper: f64,
    p: Option<f64>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Everything computed, before formatting.
struct Analysis {
    labels: Vec<String>,
    curves: Vec<KmCurve>,
    medians: Vec<Quantile>,
    at_times: Vec<Vec<AtTime>>,
    rmst: Vec<Option<Rmst>>,
    difference: Option<RmstDifference>,
    /// The log-rank test across groups, or why there is none.
    logrank: Option<Result<TestOut, String>>,
    n_dropped: usize,
    reading: input::Reading,
    follow_up: Option<FollowUpOut>,
    spss: Vec<Option<SymmetricMedianOut>>,
}

/// Runs `netra km`; with `--plot`, also writes the Kaplan–Meier figure.
pub fn run(args: Args) -> anyhow::Result<()> {
    let args = *args.options;
    args.plot.check()?;
    let analysis = match args.engine {
        EngineArg::Local => {
            crate::engine::check_local(&args.survival.data)?;
            let frame = Frame::read(Path::new(&args.survival.data), Some(&args.columns()))?;
            analyse(&args, &frame)?
        }
        EngineArg::Datafusion | EngineArg::Ballista(_) => analyse_on_engine(&args)?,
    };
    let text = render(&args, &analysis)?;
    if args.plot.plot.is_some()
        && let Some(figure) = args.plot.render(&figure(&args, &analysis))?
    {
        figure.write()?;
    }
    write_stdout(&text)
}

/// The figure of `--plot`: one curve per group with its pointwise
/// confidence band (the `--conf-type`/`--conf-level` limits printed in the
/// JSON), censoring marks, the numbers at risk under the axis, and the
/// log-rank p-value when the test exists — netra-report's figure, as the
/// study report draws it.
fn figure(args: &KmArgs, a: &Analysis) -> KmFigure {
    let series = a
        .labels
        .iter()
        .zip(&a.curves)
        .filter(|(_, c)| !c.is_empty())
        .map(|(label, c)| {
            let label = if args.group.is_none() {
                "All patients"
            } else {
                label.as_str()
            };
            KmSeries::from_km(label, c)
        })
        .collect();
    let time = &args.survival.time;
    let mut f = KmFigure::survival(series, args.plot.x_label(|| format!("Time ({time})")));
    f.title = args.plot.title();
    f.y_label = args.plot.y_label("Survival probability");
    f.show_ci = true;
    if let Some(Ok(t)) = &a.logrank {
        f.p_value_text = Some(format!("Log-rank p {}", p_value(t.p)));
    }
    f
}

impl KmArgs {
    /// The columns the analysis reads.
    fn columns(&self) -> Vec<&str> {
        let sv = &self.survival;
        let mut columns: Vec<&str> = vec![&sv.time, &sv.event];
        columns.extend(self.group.as_deref());
        columns.extend(self.weights.as_deref());
        columns
    }
}

/// The text `netra km` prints for an analysis, in `--format`.
fn render(args: &KmArgs, analysis: &Analysis) -> anyhow::Result<String> {
    Ok(match args.format {
        Format::Json => {
            let mut s = serde_json::to_string(&report(analysis))?;
            s.push('\n');
            s
        }
        Format::Csv => csv(analysis),
        Format::Table => table(args, analysis),
    })
}

/// The flags' checks that do not need the data.
fn check(args: &KmArgs) -> anyhow::Result<()> {
    if !(args.conf_level > 0.0 && args.conf_level < 1.0) {
        anyhow::bail!(
            "--conf-level {} must be strictly between 0 and 1 (e.g. 0.95)",
            args.conf_level
        );
    }
    if let Some(&t) = args.times.iter().find(|t| !t.is_finite()) {
        anyhow::bail!("--times: {t} is not a finite time");
    }
    if let Some(tau) = args.rmst_tau
        && !(tau.is_finite() && tau > 0.0)
    {
        anyhow::bail!("--rmst-tau {tau} must be a positive time");
    }
    Ok(())
}

fn options(args: &KmArgs) -> SurvivalOptions {
    SurvivalOptions {
        landmarks: args.times.clone(),
        conf_type: args.conf_type.clone(),
        conf_level: args.conf_level,
        rmst_tau: args.rmst_tau,
        steps: false,
        median_ci_spss: args.median_ci_spss,
        extend: args.extend,
    }
}

/// `--engine datafusion`: the counts from one DataFusion aggregation over
/// the file (CSV or Parquet), then the same evaluation as in memory.
fn analyse_on_engine(args: &KmArgs) -> anyhow::Result<Analysis> {
    check(args)?;
    let sv = &args.survival;
    let tally = crate::engine::survival(
        &args.engine,
        &sv.data,
        &sv.time,
        &sv.event,
        sv.coding(),
        args.group.as_deref(),
        args.weights.as_deref(),
    )?;
    let (summary, curves) = summarise_partial(
        &tally.partial,
        &tally.labels,
        tally.weighted,
        &options(args),
    )?;
    Ok(analysis_of(
        args,
        summary,
        curves,
        tally.labels,
        tally.weighted,
        tally.reading,
    ))
}

fn analyse(args: &KmArgs, frame: &Frame) -> anyhow::Result<Analysis> {
    check(args)?;
    let sv = &args.survival;
    let complete = input::complete_rows::<u32>(frame, &args.columns())?;
    let rows = &complete.rows;
    let time = input::times(frame.column(&sv.time)?, rows)?;
    let read = input::read_events(frame.column(&sv.event)?, rows, &sv.coding())?;
    let reading = input::Reading::new(&complete, &sv.event, read.values);
    let event = read.events;
    let weights = match &args.weights {
        Some(w) => Some(input::weights(frame.column(w)?, rows)?),
        None => None,
    };
    // The analysis layer computes every number (curves, medians, landmark
    // rates, RMST, the log-rank test) from its partial aggregates; this
    // command only reads the file and prints.
    let (labels, codes) = match &args.group {
        Some(g) => {
            let groups = input::factor(frame.column(g)?, rows);
            (groups.levels, groups.codes)
        }
        None => (vec!["all".to_string()], vec![0; time.len()]),
    };
    let data = SurvivalData {
        time,
        event,
        group: codes,
        labels,
        weights,
    };
    let (summary, curves) = summarise(&data, &options(args))?;
    let weighted = data.weights.is_some();
    Ok(analysis_of(
        args,
        summary,
        curves,
        data.labels,
        weighted,
        reading,
    ))
}

/// The printed analysis from the layer's summary (both engines).
fn analysis_of(
    args: &KmArgs,
    summary: SurvivalSummary,
    curves: Vec<KmCurve>,
    labels: Vec<String>,
    weighted: bool,
    reading: input::Reading,
) -> Analysis {
    let test = args
        .group
        .as_ref()
        .map(|_| group_test(&summary, labels.len(), weighted));
    let medians = summary
        .groups
        .iter()
        .map(|g| Quantile {
            p: 0.5,
            estimate: g.median,
            lower: g.median_lower,
            upper: g.median_upper,
        })
        .collect();
    let at_times = summary
        .groups
        .iter()
        .map(|g| {
            g.at_times
                .iter()
                .map(|r| AtTime {
                    time: r.time,
                    n_risk: r.n_risk,
                    survival: r.survival,
                    std_err: r.std_err,
                    lower: r.lower,
                    upper: r.upper,
                })
                .collect()
        })
        .collect();
    let rmst: Vec<Option<Rmst>> = summary
        .groups
        .iter()
        .map(|g| {
            g.rmst.as_ref().map(|r| Rmst {
                tau: r.tau,
                estimate: r.estimate,
                std_err: r.std_err,
                lower: r.lower,
                upper: r.upper,
            })
        })
        .collect();
    let difference = summary.rmst_difference;
    let follow_up = summary.follow_up;
    let spss = summary.groups.iter().map(|g| g.median_spss).collect();
    Analysis {
        labels,
        curves,
        medians,
        at_times,
        rmst,
        difference,
        logrank: test,
        n_dropped: reading.n_dropped,
        reading,
        follow_up,
        spss,
    }
}

/// The log-rank test printed under a grouped table, as a paper prints it
/// under its Kaplan–Meier figure. It is not an error of `netra km` when the
/// test does not exist (one group, no events): the reason is printed instead.
/// R's `survdiff` has no case weights, so neither does this line.
fn group_test(summary: &SurvivalSummary, groups: usize, weighted: bool) -> Result<TestOut, String> {
    if weighted {
        return Err("not computed with case weights (R's survdiff has none)".into());
    }
    if groups < 2 {
        return Err("needs at least two groups".into());
    }
    summary
        .logrank
        .as_ref()
        .map(|t| TestOut {
            chisq: t.chisq,
            df: t.df,
            p: t.p,
        })
        .ok_or_else(|| "no events: the test does not exist".into())
}

/// A landmark after the curve's last time without an estimate: R's
/// `summary(fit, times, extend = FALSE)` has no row for it. (With
/// `--extend` it has the last estimate, and stays.)
fn after_last(c: &KmCurve, r: &AtTime) -> bool {
    r.survival.is_none() && c.time.last().is_some_and(|&last| r.time > last)
}

fn report(a: &Analysis) -> Report {
    let curves = a
        .curves
        .iter()
        .enumerate()
        .map(|(g, c)| CurveOut {
            group: a.labels[g].clone(),
            n: c.n,
            events: c.events(),
            median: a.medians[g].estimate,
            median_lower: a.medians[g].lower,
            median_upper: a.medians[g].upper,
            steps: (0..c.len())
                .map(|j| StepOut {
                    time: c.time[j],
                    n_risk: c.n_risk[j],
                    n_event: c.n_event[j],
                    n_censor: c.n_censor[j],
                    survival: c.survival[j],
                    std_err: finite(c.std_err[j]),
                    lower: finite(c.lower[j]),
                    upper: finite(c.upper[j]),
                })
                .collect(),
            at_times: a.at_times[g]
                .iter()
                .filter(|r| !after_last(c, r))
                .map(|r| AtOut {
                    time: r.time,
                    n_risk: r.n_risk,
                    survival: r.survival,
                    std_err: r.std_err,
                    lower: r.lower,
                    upper: r.upper,
                })
                .collect(),
            at_times_after_last: a.at_times[g]
                .iter()
                .filter(|r| after_last(c, r))
                .map(|r| r.time)
                .collect(),
            rmst: a.rmst[g].map(|r| RmstOut {
                tau: r.tau,
                estimate: r.estimate,
                std_err: r.std_err,
                lower: r.lower,
                upper: r.upper,
            }),
            median_spss: a.spss[g],
        })
        .collect();
    let rmst_difference = a.difference.map(|d| DiffOut {
        groups: [a.labels[0].clone(), a.labels[1].clone()],
        estimate: d.estimate,
        std_err: d.std_err,
        lower: d.lower,
        upper: d.upper,
        p: finite(d.p),
    });
    let logrank = a.logrank.as_ref().map(|t| t.as_ref().ok().cloned());
    Report {
        curves,
        rmst_difference,
        logrank,
        n_dropped: a.n_dropped,
        dropped_by: a.reading.json().0,
        values_read: a.reading.json().1,
        merged_labels: a.reading.label_notes_json().0,
        empty_labels: a.reading.label_notes_json().1,
        follow_up: a.follow_up,
    }
}

fn csv(a: &Analysis) -> String {
    let mut s = String::from("group,time,n_risk,n_event,n_censor,survival,std_err,lower,upper\n");
    for (g, c) in a.curves.iter().enumerate() {
        let label = csv_field(&a.labels[g]);
        for j in 0..c.len() {
            let _ = writeln!(
                s,
                "{label},{},{},{},{},{},{},{},{}",
                csv_number(Some(c.time[j])),
                csv_number(Some(c.n_risk[j])),
                csv_number(Some(c.n_event[j])),
                csv_number(Some(c.n_censor[j])),
                csv_number(Some(c.survival[j])),
                csv_number(Some(c.std_err[j])),
                csv_number(Some(c.lower[j])),
                csv_number(Some(c.upper[j])),
            );
        }
    }
    s
}

/// A count: integer when whole (unweighted data), else two decimals.
fn count(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// A time for the table: one decimal.
fn time_text(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "NE".to_string(), |v| format!("{:.1}", 100.0 * v))
}

fn table(args: &KmArgs, a: &Analysis) -> String {
    let sv = &args.survival;
    let level = format!("{}%", trim_float(100.0 * args.conf_level));
    let mut header = vec![
        "group".to_string(),
        "n".to_string(),
        "events".to_string(),
        format!("median ({level} CI)"),
    ];
    if args.median_ci_spss {
        header.push(format!("median ({level} CI, SPSS)"));
    }
    for &t in &a
        .at_times
        .first()
        .map_or(Vec::new(), |r| r.iter().map(|x| x.time).collect::<Vec<_>>())
    {
        header.push(format!("survival at {} ({level} CI)", time_text(t)));
    }
    if let Some(tau) = args.rmst_tau {
        header.push(format!("RMST to {} ({level} CI)", time_text(tau)));
    }
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (g, c) in a.curves.iter().enumerate() {
        let m = &a.medians[g];
        let mut row = vec![
            a.labels[g].clone(),
            c.n.to_string(),
            count(c.events()),
            format!(
                "{} ({}–{})",
                fmt_or_nr(m.estimate, 1),
                fmt_or_nr(m.lower, 1),
                fmt_or_nr(m.upper, 1)
            ),
        ];
        if args.median_ci_spss {
            row.push(a.spss[g].map_or("—".to_string(), |s| {
                format!("{:.1} ({:.1}–{:.1})", s.estimate, s.lower, s.upper)
            }));
        }
        for r in &a.at_times[g] {
            row.push(match r.survival {
                Some(_) => format!(
                    "{}% ({}–{})",
                    percent(r.survival),
                    percent(r.lower),
                    percent(r.upper)
                ),
                None => "NE".to_string(),
            });
        }
        if let Some(r) = a.rmst[g] {
            row.push(format!("{:.1} ({:.1}–{:.1})", r.estimate, r.lower, r.upper));
        }
        rows.push(row);
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, (cell, &w)) in cells.iter().zip(&widths).enumerate() {
            let pad = w - cell.chars().count();
            // Text columns left-aligned, numbers right-aligned.
            if i == 0 || i >= 3 {
                s.push_str(cell);
                if i + 1 < cells.len() {
                    s.push_str(&" ".repeat(pad));
                }
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
            if i + 1 < cells.len() {
                s.push_str("  ");
            }
        }
        s.push('\n');
        s
    };
    let mut out = String::new();
    let event_desc = match &sv.event_value {
        Some(v) => format!("{} = {v}", sv.event),
        None => sv.event.clone(),
    };
    let _ = writeln!(
        out,
        "Kaplan–Meier estimates — {} (time: {}, event: {}{})",
        sv.data.display(),
        sv.time,
        event_desc,
        args.group
            .as_ref()
            .map_or(String::new(), |g| format!(", group: {g}"))
    );
    let _ = writeln!(
        out,
        "Times in the units of '{}'; {level} confidence intervals ({} transform); survival in %.",
        sv.time, args.conf_type
    );
    if args.weights.is_some() {
        let _ = writeln!(
            out,
            "Case weights from '{}'; n counts rows, events are weighted.",
            args.weights.as_deref().unwrap_or_default()
        );
    }
    out.push('\n');
    out.push_str(&line(&header));
    for row in &rows {
        out.push_str(&line(row));
    }
    out.push('\n');
    match &a.logrank {
        Some(Ok(t)) => {
            let _ = writeln!(
                out,
                "Log-rank test: chi-square = {:.2} on {} df, p {}",
                t.chisq,
                t.df,
                p_value(t.p)
            );
        }
        Some(Err(why)) => {
            let _ = writeln!(out, "Log-rank test: {why}");
        }
        None => {}
    }
    if let (Some(d), Some(tau)) = (a.difference, args.rmst_tau) {
        let p = if d.p.is_nan() {
            "p not defined".to_string()
        } else {
            netra_report::format::p_equals(Some(d.p))
        };
        let _ = writeln!(
            out,
            "RMST difference to {} ({} − {}): {:.1} ({level} CI {:.1} to {:.1}), {p}",
            time_text(tau),
            a.labels[1],
            a.labels[0],
            d.estimate,
            d.lower,
            d.upper
        );
    }
    if let Some(f) = &a.follow_up {
        let _ = writeln!(
            out,
            "Median follow-up (reverse Kaplan–Meier): {} ({level} CI {}–{}); range {}–{}",
            fmt_or_nr(f.median, 1),
            fmt_or_nr(f.lower, 1),
            fmt_or_nr(f.upper, 1),
            time_text(f.min),
            time_text(f.max)
        );
    }
    if args.median_ci_spss {
        let _ = writeln!(
            out,
            "SPSS median CI: median ± z·SE, SE = SE[S(median)] / f(median) (Collett's density \
             estimate between S = 0.55 and 0.45), as SPSS's Kaplan–Meier prints it."
        );
    }
    for line in a.reading.lines() {
        let _ = writeln!(out, "{line}");
    }
    let _ = writeln!(
        out,
        "NR = not reached; NE = not estimable (after the group's last follow-up)."
    );
    out
}

/// 95 rather than 95.00000000000001.
fn trim_float(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}
