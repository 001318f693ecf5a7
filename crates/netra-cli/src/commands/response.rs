//! `netra response`: tumour response per patient from a lesion CSV, best
//! overall response, waterfall/spider data and response rates by group.

// Column headers are passed as arguments so that they share the rows' format.
#![allow(clippy::print_literal)]

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use netra_analysis::analyses::rates::{RateCi, rates_by_label};
use netra_clinical::response::{
    BestOptions, Category, CrThenPr, Measure, PatientResponse, Rules, assess, choi, custom,
    mrecist, recist, series, who,
};
use netra_frame::Frame;
use serde_json::{Value, json};

use crate::lesions::LesionFile;
use crate::output::{Format, write_stdout};
use crate::plot::PlotArgs;
use netra_report::figure::waterfall::WaterfallFigure;

/// What to print in table and CSV formats (JSON always has everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum View {
    /// Time-point responses and best overall response per patient.
    #[default]
    Patients,
    /// Best % change per patient (waterfall plot data).
    Waterfall,
    /// % change over time per patient (spider plot data).
    Spider,
}

/// The interval for response rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Ci {
    /// Exact Clopper–Pearson (binom.test).
    #[default]
    ClopperPearson,
    /// Wilson score, no continuity correction (prop.test(correct = FALSE)).
    Wilson,
    /// Wilson score with continuity correction (prop.test default).
    WilsonCc,
    /// Wald, p ± z·sqrt(p(1 − p)/n), clipped to [0, 1].
    Wald,
    /// Agresti–Coull.
    AgrestiCoull,
    /// Jeffreys (equal-tailed Beta(x + ½, n − x + ½)).
    Jeffreys,
}

impl From<Ci> for RateCi {
    fn from(ci: Ci) -> RateCi {
        match ci {
            Ci::ClopperPearson => RateCi::ClopperPearson,
            Ci::Wilson => RateCi::Wilson,
            Ci::WilsonCc => RateCi::WilsonCc,
            Ci::Wald => RateCi::Wald,
            Ci::AgrestiCoull => RateCi::AgrestiCoull,
            Ci::Jeffreys => RateCi::Jeffreys,
        }
    }
}

impl Ci {
    /// The printed name of the interval.
    pub(crate) fn label(self) -> &'static str {
        RateCi::from(self).label()
    }
}

/// How a PR after a CR is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum CrThenPrArg {
    /// Disease reappeared after CR: PD at that scan.
    #[default]
    Progression,
    /// The earlier CR was really a PR.
    Reclassify,
}

/// Arguments of `netra response`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Lesion CSV: one row per lesion per scan (docs/lesion-csv.md).
    #[arg(long, value_name = "FILE", required_unless_present = "db")]
    pub lesions: Option<PathBuf>,
    /// Read the lesions from the registry instead (`--db` alone: $NETRA_DB,
    /// else ./netra.db): each patient's line `--line` (baseline = last scan
    /// before its start), mapped as docs/endpoints.md describes.
    #[arg(long, value_name = "URL", num_args = 0..=1, default_missing_value = "", conflicts_with = "lesions")]
    pub db: Option<String>,
    /// With --db: the line of therapy whose response is assessed.
    #[arg(long, value_name = "K", default_value_t = 1, requires = "db")]
    pub line: u32,
    /// With --db: only these patients (comma-separated codes).
    #[arg(long, value_name = "CODE,…", value_delimiter = ',', requires = "db")]
    pub patient: Vec<String>,
    /// recist1.1, who, choi, mrecist, or a study-defined criteria TOML file.
    #[arg(long, default_value = "recist1.1", value_name = "CRITERIA")]
    pub criteria: String,
    /// Require confirmation of CR/PR at least 4 weeks later.
    #[arg(long)]
    pub confirm: bool,
    /// Minimum time from baseline for stable disease, in weeks.
    #[arg(long, default_value_t = 6.0, value_name = "WEEKS")]
    pub sd_min_weeks: f64,
    /// Minimum time between a response and its confirmation, in weeks.
    #[arg(long, default_value_t = 4.0, value_name = "WEEKS")]
    pub confirm_min_weeks: f64,
    /// How a PR after a CR is read (RECIST 1.1 Table 3, note a).
    #[arg(long, value_enum, default_value_t)]
    pub cr_then_pr: CrThenPrArg,
    /// What to print (table/csv).
    #[arg(long, value_enum, default_value_t)]
    pub view: View,
    /// Also report ORR and DCR with confidence intervals.
    #[arg(long)]
    pub rates: bool,
    /// CSV with a `patient` column and the grouping column (for --rates).
    #[arg(long, value_name = "FILE", requires = "group")]
    pub groups: Option<PathBuf>,
    /// Grouping column of --groups.
    #[arg(long, value_name = "COL", requires = "groups")]
    pub group: Option<String>,
    /// Interval for the rates.
    #[arg(long, value_enum, default_value_t)]
    pub ci: Ci,
    /// Confidence level of the rates.
    #[arg(long, default_value_t = 0.95, value_name = "L")]
    pub conf_level: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// `--plot`: the waterfall plot of best % change per patient.
    #[command(flatten)]
    pub plot: PlotArgs,
    /// With --plot: a spider plot (% change over time per patient) instead
    /// of the waterfall.
    #[arg(long, requires = "plot")]
    pub spider: bool,
    /// With --spider: draw at most N patients (every k-th by patient code,
    /// stated under the plot), so hundreds stay readable; 0 draws all.
    #[arg(long, value_name = "N", default_value_t = 60, requires = "spider")]
    pub spider_max: usize,
}

/// The rules named by `--criteria`.
pub fn criteria(name: &str) -> anyhow::Result<Rules> {
    match name.to_ascii_lowercase().as_str() {
        "recist1.1" | "recist" | "recist11" => Ok(recist::rules()),
        "who" => Ok(who::rules()),
        "choi" => Ok(choi::rules()),
        "mrecist" => Ok(mrecist::rules()),
        _ if name.ends_with(".toml") => {
            let text = std::fs::read_to_string(name)
                .with_context(|| format!("{name}: cannot read the criteria file"))?;
            custom::from_toml(&text).with_context(|| format!("{name}: invalid criteria"))
        }
        _ => anyhow::bail!(
            "unknown criteria '{name}' (use recist1.1, who, choi, mrecist or a .toml file)"
        ),
    }
}

fn weeks_to_days(w: f64, what: &str) -> anyhow::Result<i32> {
    if !(w.is_finite() && (0.0..=520.0).contains(&w)) {
        anyhow::bail!("{what} must be between 0 and 520 weeks, got {w}");
    }
    Ok((w * 7.0).round() as i32)
}

/// Runs `netra response`.
pub fn run(args: Args) -> anyhow::Result<()> {
    args.plot.check()?;
    let rules = criteria(&args.criteria)?;
    let options = BestOptions {
        confirm: args.confirm,
        confirm_min_days: weeks_to_days(args.confirm_min_weeks, "--confirm-min-weeks")?,
        sd_min_days: weeks_to_days(args.sd_min_weeks, "--sd-min-weeks")?,
        cr_then_pr: match args.cr_then_pr {
            CrThenPrArg::Progression => CrThenPr::Progression,
            CrThenPrArg::Reclassify => CrThenPr::ReclassifyCr,
        },
    };
    let results = match (&args.db, &args.lesions) {
        (Some(db), _) => super::lines::registry_responses(
            db,
            &args.patient,
            args.line,
            &args.criteria,
            &rules,
            &options,
        )?,
        (None, Some(path)) => {
            let file = LesionFile::read(path)?;
            assess_all(&file, &rules, &options)?
        }
        (None, None) => anyhow::bail!("give --lesions FILE or --db"),
    };
    let rates = if args.rates {
        let groups = match (&args.groups, &args.group) {
            (Some(path), Some(col)) => Some(read_groups(path, col)?),
            _ => None,
        };
        Some(rates_json(
            &results,
            groups.as_ref(),
            args.ci,
            args.conf_level,
        )?)
    } else {
        None
    };
    let unit = if rules.measure == Measure::Product {
        "mm²"
    } else {
        "mm"
    };
    let figure = match &args.plot.plot {
        Some(_) if args.spider => args.plot.render(&super::spider::figure(
            &args.plot,
            &rules,
            &results,
            args.spider_max,
        )?)?,
        Some(_) => args
            .plot
            .render(&waterfall_figure(&args.plot, &rules, &results)?)?,
        None => None,
    };
    let text = match args.format {
        Format::Json => {
            let out = to_json(&rules, &options, &results, rates);
            serde_json::to_string_pretty(&out)? + "\n"
        }
        Format::Csv => csv_text_of(args.view, &results),
        Format::Table => {
            let mut text = table_text(args.view, &rules, &options, &results, unit);
            if let Some(r) = &rates {
                text.push_str(&rates_text(r));
            }
            text
        }
    };
    if let Some(f) = figure {
        f.write()?;
    }
    write_stdout(&text)
}

/// The waterfall plot of `--plot`: one bar per patient with the best %
/// change of the target sum from baseline (up to and including the first
/// PD, as the `waterfall` view prints it), coloured by best overall
/// response, with dashed lines at the criteria's PR decrease and PD
/// increase. Patients without a completely measured follow-up scan are
/// counted in a note under the plot; with none measured there is no plot.
fn waterfall_figure(
    plot: &PlotArgs,
    rules: &Rules,
    results: &[PatientResponse],
) -> anyhow::Result<WaterfallFigure> {
    let data = series::waterfall(results);
    if data.bars.is_empty() {
        anyhow::bail!(
            "--plot: no waterfall plot: no patient has a completely measured follow-up scan \
             (the plot needs each patient's best % change of the target sum from baseline)"
        );
    }
    let mut f = WaterfallFigure::from_response(&data);
    f.title = plot.title();
    let measure = if rules.measure == Measure::Product {
        "sum of products"
    } else {
        "sum of target lesions"
    };
    f.y_label = plot.y_label(&format!("Best change in {measure} from baseline (%)"));
    let t = &rules.thresholds;
    let pr = t
        .bands
        .iter()
        .find(|(c, _)| *c == Category::PR)
        .or(t.bands.first())
        .map(|(_, b)| b.pct);
    f.thresholds = std::iter::once(t.pd_increase.pct)
        .map(|pd| (pd, format!("+{}%", trim_pct(pd))))
        .chain(pr.map(|pr| (-pr, format!("\u{2212}{}%", trim_pct(pr)))))
        .filter(|(v, _)| v.is_finite())
        .collect();
    Ok(f)
}

/// A threshold in % without a trailing `.0`.
pub(crate) fn trim_pct(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// The seam for other sources (the registry): assess patients already in
/// the engine's input types.
pub fn assess_all(
    file: &LesionFile,
    rules: &Rules,
    options: &BestOptions,
) -> anyhow::Result<Vec<PatientResponse>> {
    file.patients
        .iter()
        .map(|p| assess(p, rules, options).map_err(|e| file.explain(e)))
        .collect()
}

fn read_groups(path: &std::path::Path, col: &str) -> anyhow::Result<HashMap<String, String>> {
    let frame = Frame::read(path, Some(&["patient", col]))?;
    let pid = frame.column("patient")?;
    let g = frame.column(col)?;
    Ok((0..frame.n_rows())
        .filter_map(|r| Some((pid.text(r)?.to_string(), g.text(r)?.to_string())))
        .collect())
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |x| json!(x))
}

fn patient_json(p: &PatientResponse) -> Value {
    json!({
        "patient": p.patient,
        "baseline_date": p.baseline_date.to_string(),
        "baseline_sum": opt(p.baseline_sum),
        "targets": p.targets,
        "targets_selected": p.targets_selected,
        "timepoints": p.timepoints.iter().map(|t| json!({
            "date": t.date.to_string(),
            "days": t.days,
            "sum": opt(t.sum),
            "complete": t.complete,
            "change_from_baseline_pct": opt(t.change_from_baseline_pct),
            "change_from_nadir_pct": opt(t.change_from_nadir_pct),
            "target": t.target.label(),
            "non_target": t.non_target.label(),
            "new_lesions": t.new_lesions.label(),
            "overall": t.overall.label(),
            "notes": t.notes,
        })).collect::<Vec<_>>(),
        "best_overall_response": p.best.category.label(),
        "first_response_date": p.best.first_response_date.map(|d| d.to_string()),
        "confirmation_date": p.best.confirmation_date.map(|d| d.to_string()),
        "progression_date": p.best.progression_date.map(|d| d.to_string()),
        "duration_of_response_days": p.best.duration_of_response_days,
        "response_ongoing": p.best.response_ongoing,
    })
}

fn to_json(
    rules: &Rules,
    options: &BestOptions,
    results: &[PatientResponse],
    rates: Option<Value>,
) -> Value {
    let w = series::waterfall(results);
    let s = series::spider(results);
    json!({
        "criteria": rules.name,
        "confirmation": options.confirm,
        "patients": results.iter().map(patient_json).collect::<Vec<_>>(),
        "waterfall": w.bars.iter().map(|b| json!({
            "patient": b.patient,
            "best_change_pct": b.best_change_pct,
            "best_overall_response": b.best_overall_response.label(),
        })).collect::<Vec<_>>(),
        "waterfall_excluded": w.excluded,
        "spider": s.iter().map(|l| json!({
            "patient": l.patient,
            "points": l.points.iter().map(|p| json!({
                "date": p.date.to_string(), "days": p.days, "change_pct": p.change_pct,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "rates": rates,
    })
}

fn fmt_opt(v: Option<f64>, decimals: usize, suffix: &str) -> String {
    v.map_or_else(|| "-".to_string(), |x| format!("{x:+.decimals$}{suffix}"))
}

fn table_text(
    view: View,
    rules: &Rules,
    options: &BestOptions,
    results: &[PatientResponse],
    unit: &str,
) -> String {
    let mut s = String::new();
    match view {
        View::Patients => {
            for p in results {
                let _ = writeln!(
                    s,
                    "Patient {} — {}{}; baseline {}{}",
                    p.patient,
                    rules.name,
                    if options.confirm {
                        " (confirmation required)"
                    } else {
                        ""
                    },
                    p.baseline_date,
                    match p.baseline_sum {
                        Some(s) => format!(
                            ", sum {s:.1} {unit}; targets {}{}",
                            p.targets.join(", "),
                            if p.targets_selected {
                                " (selected)"
                            } else {
                                ""
                            }
                        ),
                        None => ", non-target disease only".into(),
                    }
                );
                let _ = writeln!(
                    s,
                    "  {:<10} {:>5} {:>10} {:>9} {:>9}  {:<6} {:<14} {:<9} overall",
                    "date",
                    "day",
                    format!("sum ({unit})"),
                    "vs base",
                    "vs nadir",
                    "target",
                    "non-target",
                    "new",
                );
                for t in &p.timepoints {
                    let _ = writeln!(
                        s,
                        "  {:<10} {:>5} {:>10} {:>9} {:>9}  {:<6} {:<14} {:<9} {}",
                        t.date.to_string(),
                        t.days,
                        t.sum.map_or("-".into(), |s| format!("{s:.1}")),
                        fmt_opt(t.change_from_baseline_pct, 1, "%"),
                        fmt_opt(t.change_from_nadir_pct, 1, "%"),
                        t.target.label(),
                        t.non_target.label(),
                        t.new_lesions.label(),
                        t.overall.label()
                    );
                    for n in &t.notes {
                        let _ = writeln!(s, "      note: {n}");
                    }
                }
                let b = &p.best;
                let mut line = format!("  Best overall response: {}", b.category.label());
                if let Some(d) = b.first_response_date {
                    line.push_str(&format!("; first response {d}"));
                    if let Some(c) = b.confirmation_date {
                        line.push_str(&format!(" (confirmed {c})"));
                    }
                }
                if let Some(d) = b.progression_date {
                    line.push_str(&format!("; progression {d}"));
                }
                if let Some(days) = b.duration_of_response_days {
                    line.push_str(&format!(
                        "; duration of response {days} days{}",
                        if b.response_ongoing == Some(true) {
                            " (ongoing)"
                        } else {
                            ""
                        }
                    ));
                }
                let _ = writeln!(s, "{line}\n");
            }
        }
        View::Waterfall => {
            let w = series::waterfall(results);
            let _ = writeln!(
                s,
                "{:<12} {:>16}  best response",
                "patient", "best change (%)"
            );
            for b in &w.bars {
                let _ = writeln!(
                    s,
                    "{:<12} {:>16.1}  {}",
                    b.patient,
                    b.best_change_pct,
                    b.best_overall_response.label()
                );
            }
            if !w.excluded.is_empty() {
                let _ = writeln!(
                    s,
                    "no completely measured follow-up: {}",
                    w.excluded.join(", ")
                );
            }
        }
        View::Spider => {
            let _ = writeln!(
                s,
                "{:<12} {:<10} {:>5} {:>11}",
                "patient", "date", "day", "change (%)"
            );
            for l in series::spider(results) {
                for p in &l.points {
                    let _ = writeln!(
                        s,
                        "{:<12} {:<10} {:>5} {:>11.1}",
                        l.patient,
                        p.date.to_string(),
                        p.days,
                        p.change_pct
                    );
                }
            }
        }
    }
    s
}

fn csv_opt(v: Option<f64>) -> String {
    v.map_or_else(String::new, |x| x.to_string())
}

fn csv_text(s: &str) -> String {
    crate::output::csv_field(s)
}

fn csv_text_of(view: View, results: &[PatientResponse]) -> String {
    let mut s = String::new();
    match view {
        View::Patients => {
            let _ = writeln!(
                s,
                "patient,date,days,sum,change_from_baseline_pct,change_from_nadir_pct,target,non_target,new_lesions,overall,best_overall_response,first_response_date,progression_date,duration_of_response_days"
            );
            for p in results {
                let b = &p.best;
                for t in &p.timepoints {
                    let _ = writeln!(
                        s,
                        "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                        csv_text(&p.patient),
                        t.date,
                        t.days,
                        csv_opt(t.sum),
                        csv_opt(t.change_from_baseline_pct),
                        csv_opt(t.change_from_nadir_pct),
                        t.target.label(),
                        t.non_target.label(),
                        t.new_lesions.label(),
                        t.overall.label(),
                        b.category.label(),
                        b.first_response_date
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        b.progression_date
                            .map(|d| d.to_string())
                            .unwrap_or_default(),
                        b.duration_of_response_days
                            .map(|d| d.to_string())
                            .unwrap_or_default()
                    );
                }
            }
        }
        View::Waterfall => {
            let _ = writeln!(s, "patient,best_change_pct,best_overall_response");
            for b in series::waterfall(results).bars {
                let _ = writeln!(
                    s,
                    "{},{},{}",
                    csv_text(&b.patient),
                    b.best_change_pct,
                    b.best_overall_response.label()
                );
            }
        }
        View::Spider => {
            let _ = writeln!(s, "patient,date,days,change_pct");
            for l in series::spider(results) {
                for p in &l.points {
                    let _ = writeln!(
                        s,
                        "{},{},{},{}",
                        csv_text(&l.patient),
                        p.date,
                        p.days,
                        p.change_pct
                    );
                }
            }
        }
    }
    s
}

fn rates_json(
    results: &[PatientResponse],
    groups: Option<&HashMap<String, String>>,
    ci: Ci,
    conf_level: f64,
) -> anyhow::Result<Value> {
    let mut by: BTreeMap<String, Vec<Category>> = BTreeMap::new();
    for p in results {
        let g = match groups {
            None => "all".to_string(),
            Some(map) => match map.get(&p.patient) {
                Some(g) => g.clone(),
                None => anyhow::bail!("patient {} has no group in the --groups file", p.patient),
            },
        };
        by.entry(g).or_default().push(p.best.category);
    }
    Ok(serde_json::to_value(rates_by_label(
        by,
        ci.into(),
        conf_level,
    )?)?)
}

/// Prints the rates block (`netra_analysis::analyses::rates::RatesOutput`).
pub(crate) fn rates_text(r: &Value) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Response rates ({} {:.0}% CI; ORR = CR + PR, DCR = CR + PR + MR + SD)",
        r["ci"].as_str().unwrap_or(""),
        r["conf_level"].as_f64().unwrap_or(0.95) * 100.0
    );
    let _ = writeln!(
        s,
        "  {:<12} {:>4} {:>3} {:>3} {:>3} {:>3} {:>3} {:>3}  {:<24} DCR % (CI)",
        "group", "n", "CR", "PR", "MR", "SD", "PD", "NE", "ORR % (CI)"
    );
    for g in r["groups"].as_array().into_iter().flatten() {
        let pct = |v: &Value| {
            format!(
                "{:.1} ({:.1}–{:.1})",
                v["estimate"].as_f64().unwrap_or(f64::NAN) * 100.0,
                v["lower"].as_f64().unwrap_or(f64::NAN) * 100.0,
                v["upper"].as_f64().unwrap_or(f64::NAN) * 100.0
            )
        };
        let c = |k: &str| g["counts"][k].as_u64().unwrap_or(0);
        let _ = writeln!(
            s,
            "  {:<12} {:>4} {:>3} {:>3} {:>3} {:>3} {:>3} {:>3}  {:<24} {}",
            g["group"].as_str().unwrap_or(""),
            g["n"].as_u64().unwrap_or(0),
            c("CR"),
            c("PR"),
            c("MR"),
            c("SD"),
            c("PD"),
            c("NE"),
            pct(&g["orr"]),
            pct(&g["dcr"])
        );
    }
    for (label, key) in [("ORR", "orr_comparison"), ("DCR", "dcr_comparison")] {
        if let Some(p) = r[key]["p_value"].as_f64() {
            let _ = writeln!(
                s,
                "  {label} across groups: Fisher's exact test p {}",
                crate::output::p_value(p)
            );
        }
    }
    s
}
