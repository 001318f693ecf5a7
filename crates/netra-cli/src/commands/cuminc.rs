//! `netra cuminc`: cumulative incidence of one cause in the presence of
//! competing causes, per group, with Gray's test — as R's
//! `cmprsk::cuminc(ftime, fstatus, group, strata, rho, cencode)` and
//! `timepoints()`, plus a log(−log) confidence interval.
//!
//! Input rules are those of `input.rs`: rows missing any used column are
//! dropped and counted; times must be numbers ≥ 0. The status column holds
//! the censoring code (`--censor-value`, default `0`) or the cause of
//! failure (text or numbers); `--cause` names the cause reported.
//!
//! # JSON contract (`--format json`)
//!
//! ```text
//! { "cause": "pcm", "censor_value": "censor", "competing_causes": ["death"],
//!   "conf_level": 0.95, "n_dropped": 0,
//!   "curves": [ { "group": "F", "cause": "pcm", "n": 631, "events": 59,
//!                 "competing_events": 350, "last_time": 424,
//!                 "steps":    [ {"time","estimate","variance","std_err","lower","upper"} ],
//!                 "at_times": [ {"time","estimate","variance","std_err","lower","upper"} ] } ],
//!   "gray_test": {"statistic","df","p","rho"} | null }
//! ```
//!
//! * `group` is the group's value as text, or `"all"` without `--group`;
//!   curves are in group order (numeric when every label is a number).
//! * `steps`: one entry per distinct time at which the incidence jumps, with
//!   the estimate and cmprsk's variance just after the jump (cmprsk's own
//!   output repeats each jump time twice to draw the step; the values are
//!   the same). `std_err` is `sqrt(variance)`; `lower`/`upper` are the
//!   log(−log) limits `F^exp(∓z·se/(F·log F))`, `null` where F = 0.
//! * `at_times`: `cmprsk::timepoints` at each `--times` value in the order
//!   given; all values `null` after the group's last follow-up time.
//! * `gray_test` is `null` with one group; `statistic` and `p` are `null`
//!   when the score variance is singular (where cmprsk prints stat = -1).
//!
//! `--format csv` writes one row per step and per requested time
//! (`kind` = `step` | `at_time`).

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::bail;
use netra_analysis::AnalysisError;
use netra_analysis::analyses::cuminc::CurveOut as LayerCurve;
use netra_analysis::analyses::cuminc::causes::{
    CauseData, IncidenceOutput, IncidenceRequest, incidence,
};
use netra_frame::Frame;
use serde::Serialize;

use crate::input;
use crate::output::{Format, csv_field, csv_number, p_value, write_stdout};
use crate::plot::PlotArgs;
use netra_report::figure::km::{KmFigure, KmSeries};

/// Arguments of `netra cuminc`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Column holding follow-up time (any unit; >= 0).
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Column holding the status: the censoring code or the cause of failure.
    #[arg(long, value_name = "COL")]
    pub status: String,
    /// The cause of failure to report (a value of the status column).
    #[arg(long, value_name = "V")]
    pub cause: String,
    /// Value of the status column that means "censored" (cmprsk's cencode).
    #[arg(long, value_name = "C", default_value = "0")]
    pub censor_value: String,
    /// No row is censored (every outcome is known), so the censoring code
    /// does not occur; a row that has it is then an error.
    #[arg(long)]
    pub no_censoring: bool,
    /// Column defining the groups to compare.
    #[arg(long, value_name = "COL")]
    pub group: Option<String>,
    /// Column defining strata for Gray's test.
    #[arg(long, value_name = "COL")]
    pub strata: Option<String>,
    /// Times at which to report the incidence, comma-separated (e.g. 12,36).
    #[arg(long, value_name = "T,...", value_delimiter = ',')]
    pub times: Vec<f64>,
    /// Power rho of the weight (1 - F(t-))^rho in Gray's test.
    #[arg(
        long,
        value_name = "R",
        default_value_t = 0.0,
        allow_hyphen_values = true
    )]
    pub rho: f64,
    /// Confidence level of the intervals.
    #[arg(long, value_name = "L", default_value_t = 0.95)]
    pub conf_level: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[command(flatten)]
    pub plot: PlotArgs,
}

/// Runs `netra cuminc`.
pub fn run(args: Args) -> anyhow::Result<()> {
    args.plot.check()?;
    let report = analyse(&args)?;
    let figure = match &report.figure {
        Some(f) => args.plot.render(f)?,
        None => None,
    };
    let text = match args.format {
        Format::Json => {
            let mut s = serde_json::to_string_pretty(&report.json)?;
            s.push('\n');
            s
        }
        Format::Csv => csv(&report.json),
        Format::Table => table(&args, &report),
    };
    if let Some(f) = figure {
        f.write()?;
    }
    write_stdout(&text)
}

/// Everything the formats need.
struct Report {
    json: Output,
    n_used: usize,
    times_shown: Vec<f64>,
    /// The layer's curves read at `times_shown`.
    table_result: IncidenceOutput,
    /// `input::Reading::lines`, printed under the header.
    reading_lines: Vec<String>,
    /// The figure of `--plot`, when asked for.
    figure: Option<KmFigure>,
}

#[derive(Debug, Serialize)]
struct Output {
    cause: String,
    censor_value: String,
    competing_causes: Vec<String>,
    conf_level: f64,
    n_dropped: usize,
    /// Dropped rows by the first missing column (issue 13).
    dropped_by: serde_json::Value,
    /// Each value of the status column and what it was read as (issue 13).
    values_read: serde_json::Value,
    /// Labels trimming merged into one group (issue 13).
    merged_labels: serde_json::Value,
    /// Empty text cells read as missing, by column (issue 13).
    empty_labels: serde_json::Value,
    curves: Vec<CurveOut>,
    gray_test: Option<GrayOut>,
}

#[derive(Debug, Serialize)]
struct CurveOut {
    group: String,
    cause: String,
    n: usize,
    events: usize,
    competing_events: usize,
    last_time: f64,
    steps: Vec<PointOut>,
    at_times: Vec<PointOut>,
}

#[derive(Debug, Serialize)]
struct PointOut {
    time: f64,
    estimate: Option<f64>,
    variance: Option<f64>,
    std_err: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
}

#[derive(Debug, Serialize)]
struct GrayOut {
    statistic: Option<f64>,
    df: usize,
    p: Option<f64>,
    rho: f64,
}

fn analyse(args: &Args) -> anyhow::Result<Report> {
    if let Some(t) = args.times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        bail!("--times: {t} is not a time >= 0");
    }
    if !(args.conf_level > 0.0 && args.conf_level < 1.0) {
        bail!(
            "--conf-level must be strictly between 0 and 1 (e.g. 0.95), not {}",
            args.conf_level
        );
    }
    if !args.rho.is_finite() {
        bail!("--rho must be a finite number, not {}", args.rho);
    }
    let mut used: Vec<&str> = vec![&args.time, &args.status];
    if let Some(g) = &args.group {
        used.push(g);
    }
    if let Some(s) = &args.strata {
        used.push(s);
    }
    let frame = Frame::read(&args.data, Some(&used))?;
    let complete = input::complete_rows::<u32>(&frame, &used)?;
    let rows = &complete.rows;
    let time = input::times(frame.column(&args.time)?, rows)?;
    let status_column = frame.column(&args.status)?;
    let censoring = if args.no_censoring {
        input::Censoring::Absent
    } else {
        input::Censoring::Expected
    };
    let status = input::competing_status(status_column, rows, &args.censor_value, censoring)?;
    let reading = input::Reading::new(&complete, &args.status, status.values.clone());
    if same_code(&args.cause, &args.censor_value) {
        bail!(
            "--cause '{}' is the censoring code (--censor-value '{}')",
            args.cause,
            args.censor_value
        );
    }
    let Some(cause) = status.code_of(&args.cause) else {
        bail!(
            "{}: no row of column '{}' has the cause '{}' (failure codes present: {}; censoring code: '{}')",
            frame.source_name(),
            args.status,
            args.cause,
            if status.causes.is_empty() {
                "none, every row is censored".to_string()
            } else {
                status.causes.join(", ")
            },
            args.censor_value
        );
    };
    let groups = match &args.group {
        Some(g) => Some(input::factor(frame.column(g)?, rows)),
        None => None,
    };
    let strata = match &args.strata {
        Some(s) => Some(input::factor(frame.column(s)?, rows)),
        None => None,
    };
    let source = frame.source_name().to_string();
    let explain = |e: AnalysisError| anyhow::anyhow!("{source}: {}", e.reason());
    let data = CauseData {
        time,
        status: status.codes.clone(),
        causes: status.causes.clone(),
        group: groups.as_ref().map(|f| input::codes_as_usize(&f.codes)),
        labels: groups
            .as_ref()
            .map_or_else(|| vec!["all".to_string()], |f| f.levels.clone()),
        strata: strata.as_ref().map(|f| input::codes_as_usize(&f.codes)),
    };
    let request = IncidenceRequest {
        cause: status.causes[cause as usize - 1].clone(),
        times: args.times.clone(),
        conf_level: args.conf_level,
        rho: args.rho,
        steps: true,
    };
    let result = incidence(&data, &request).map_err(explain)?;
    let figure = args
        .plot
        .plot
        .is_some()
        .then(|| figure(args, &data, &result));
    let point = |p: &netra_analysis::analyses::cuminc::Point| PointOut {
        time: p.time,
        estimate: p.estimate,
        variance: p.variance,
        std_err: p.std_err,
        lower: p.lower,
        upper: p.upper,
    };
    let curves = result
        .curves
        .iter()
        .map(|c| CurveOut {
            group: c.group.clone(),
            cause: c.cause.clone(),
            n: c.n,
            events: c.events,
            competing_events: c.competing_events,
            last_time: c.last_time,
            steps: c.steps.iter().flatten().map(point).collect(),
            at_times: c.at_times.iter().map(point).collect(),
        })
        .collect();
    let gray_test = result.gray.as_ref().map(|g| GrayOut {
        statistic: g.chisq,
        df: g.df,
        p: g.p,
        rho: g.rho,
    });
    let json = Output {
        cause: result.cause.clone(),
        censor_value: args.censor_value.clone(),
        competing_causes: result.competing_causes.clone(),
        conf_level: args.conf_level,
        n_dropped: complete.n_dropped,
        dropped_by: reading.json().0,
        values_read: reading.json().1,
        merged_labels: reading.label_notes_json().0,
        empty_labels: reading.label_notes_json().1,
        curves,
        gray_test,
    };

    // Landmarks for the table: the requested times, else round numbers
    // across the follow-up (as cmprsk's print method does).
    let times_shown = if args.times.is_empty() {
        let last = result
            .curves
            .iter()
            .map(|c| c.last_time)
            .fold(0.0, f64::max);
        round_landmarks(last)
    } else {
        args.times.clone()
    };
    let table_result = if args.times.is_empty() && !times_shown.is_empty() {
        incidence(
            &data,
            &IncidenceRequest {
                times: times_shown.clone(),
                steps: false,
                ..request
            },
        )
        .map_err(explain)?
    } else {
        result
    };
    Ok(Report {
        json,
        n_used: rows.len(),
        times_shown,
        table_result,
        reading_lines: reading.lines(),
        figure,
    })
}

/// The figure of `--plot`: the cumulative incidence of the cause per group
/// with its log(−log) band, the numbers at risk (follow-up ≥ t, every
/// cause counted) under the axis, and Gray's p-value when it exists — the
/// figure the study report and the web draw.
fn figure(args: &Args, data: &CauseData, result: &IncidenceOutput) -> KmFigure {
    let series = result
        .curves
        .iter()
        .map(|c| {
            let code = data.labels.iter().position(|l| *l == c.group);
            let follow: Vec<f64> = match (&data.group, code) {
                (Some(groups), Some(code)) => groups
                    .iter()
                    .zip(&data.time)
                    .filter(|(g, _)| **g == code)
                    .map(|(_, t)| *t)
                    .collect(),
                _ => data.time.clone(),
            };
            let label = if data.group.is_none() {
                format!("All patients (n = {})", c.n)
            } else {
                format!("{} (n = {})", c.group, c.n)
            };
            KmSeries::from_cuminc_out(label, c).with_follow_up(&follow)
        })
        .collect();
    let time = &args.time;
    let mut f = KmFigure::incidence(series, args.plot.x_label(|| format!("Time ({time})")));
    f.title = args.plot.title();
    f.y_label = args
        .plot
        .y_label(&format!("Cumulative incidence of {}", result.cause));
    f.show_ci = true;
    if let Some(p) = result.gray.as_ref().and_then(|g| g.p) {
        f.p_value_text = Some(format!("Gray's test p {}", p_value(p)));
    }
    f
}

/// As `input::same_code`: equal as text or as numbers.
fn same_code(a: &str, b: &str) -> bool {
    a == b || matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

/// Up to four round-number times strictly inside (0, last]: multiples of
/// 1, 2 or 5 × 10^k, about a fifth of the follow-up apart.
fn round_landmarks(last: f64) -> Vec<f64> {
    if !(last > 0.0 && last.is_finite()) {
        return Vec::new();
    }
    let raw = last / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    (1..=4)
        .map(|k| k as f64 * step)
        .filter(|t| *t <= last)
        .collect()
}

fn percent(x: Option<f64>) -> String {
    x.map_or_else(|| "NA".to_string(), |v| format!("{:.1}", 100.0 * v))
}

fn landmark_cell(c: &LayerCurve, k: usize) -> String {
    let Some(p) = c.at_times.get(k) else {
        return "NA".into();
    };
    match p.estimate {
        None => "NA".into(),
        Some(e) => match (p.lower, p.upper) {
            (Some(l), Some(u)) => format!(
                "{}% ({}–{})",
                percent(Some(e)),
                percent(Some(l)),
                percent(Some(u))
            ),
            _ => format!("{}%", percent(Some(e))),
        },
    }
}

fn fmt_time(t: f64) -> String {
    if t == t.trunc() && t.abs() < 1e15 {
        format!("{t:.0}")
    } else {
        format!("{t}")
    }
}

fn table(args: &Args, report: &Report) -> String {
    let json = &report.json;
    let mut out = String::new();
    let competing = if json.competing_causes.is_empty() {
        "none".to_string()
    } else {
        json.competing_causes.join(", ")
    };
    let _ = writeln!(
        out,
        "Cumulative incidence of '{}' (competing: {}; censored: '{}')",
        json.cause, competing, json.censor_value
    );
    let _ = writeln!(
        out,
        "{}: {} subjects analysed, {} rows dropped for missing values; time in units of '{}'",
        args.data.display(),
        report.n_used,
        json.n_dropped,
        args.time
    );
    for line in &report.reading_lines {
        let _ = writeln!(out, "{line}");
    }
    let level = format!("{}", 100.0 * json.conf_level);
    let _ = writeln!(out, "Cumulative incidence, % ({level}% CI, log-log):");
    out.push('\n');

    let mut header = vec![
        "group".to_string(),
        "n".to_string(),
        "events".to_string(),
        "competing".to_string(),
    ];
    header.extend(
        report
            .times_shown
            .iter()
            .map(|t| format!("at {}", fmt_time(*t))),
    );
    let mut rows: Vec<Vec<String>> = vec![header];
    for (c, cj) in report.table_result.curves.iter().zip(&json.curves) {
        let mut row = vec![
            cj.group.clone(),
            c.n.to_string(),
            c.events.to_string(),
            c.competing_events.to_string(),
        ];
        row.extend((0..report.times_shown.len()).map(|k| landmark_cell(c, k)));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|k| rows.iter().map(|r| r[k].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(k, (cell, w))| {
                let pad = w - cell.chars().count();
                if k == 0 {
                    format!("{cell}{}", " ".repeat(pad))
                } else {
                    format!("{}{cell}", " ".repeat(pad))
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("   ").trim_end());
    }
    let beyond = report
        .table_result
        .curves
        .iter()
        .any(|c| c.at_times.iter().any(|p| p.estimate.is_none()));
    if beyond {
        let _ = writeln!(out, "NA: after the group's last follow-up time.");
    }
    out.push('\n');
    match &json.gray_test {
        None => {
            let _ = writeln!(out, "Gray's test: not applicable (one group).");
        }
        Some(g) => {
            let strata = args
                .strata
                .as_ref()
                .map_or(String::new(), |s| format!(", stratified by '{s}'"));
            match (g.statistic, g.p) {
                (Some(stat), Some(p)) => {
                    let _ = writeln!(
                        out,
                        "Gray's test (rho = {}{strata}): chi-square = {stat:.3} on {} df, p {}",
                        g.rho,
                        g.df,
                        p_value(p)
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "Gray's test (rho = {}{strata}): not computable, the score variance is singular",
                        g.rho
                    );
                }
            }
        }
    }
    out
}

fn csv(json: &Output) -> String {
    let mut out = String::from("group,cause,kind,time,estimate,variance,std_err,lower,upper\n");
    for c in &json.curves {
        for (kind, points) in [("step", &c.steps), ("at_time", &c.at_times)] {
            for p in points.iter() {
                let _ = writeln!(
                    out,
                    "{},{},{kind},{},{},{},{},{},{}",
                    csv_field(&c.group),
                    csv_field(&c.cause),
                    p.time,
                    csv_number(p.estimate),
                    csv_number(p.variance),
                    csv_number(p.std_err),
                    csv_number(p.lower),
                    csv_number(p.upper)
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landmarks_are_round_numbers_inside_follow_up() {
        assert_eq!(round_landmarks(424.0), vec![100.0, 200.0, 300.0, 400.0]);
        assert_eq!(
            round_landmarks(4795.0),
            vec![1000.0, 2000.0, 3000.0, 4000.0]
        );
        assert_eq!(round_landmarks(7.0), vec![2.0, 4.0, 6.0]);
        assert!(round_landmarks(0.0).is_empty());
    }
}
