//! `netra sequences`: the cohort's treatment pathways, the share reaching
//! each next line, outcome per line (median TTP with 95% CI, landmark
//! progression-free rate, ORR and DCR with exact CIs), an optional
//! comparison of two sequences by PFS2 and OS, and Sankey data — every
//! exported count below `--min-cell` suppressed (`netra_clinical::sequences`).

use std::collections::HashMap;
use std::fmt::Write as _;

use netra_analysis::analyses::sequences::{self, SequencesOutput, SequencesRequest};
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort};
use netra_clinical::sequences::{
    Cell, EndpointComparison, LineEndpoint, SequenceAnalysis, SequenceComparison, SequencePattern,
    compare,
};
use serde_json::{Value, json};

use super::lines::{LineArgs, derive_all, load, rules_json};
use super::response::Ci;
use crate::output::{Format, csv_field, csv_number, fmt_or_nr, p_value, write_stdout};

/// Pathway step names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Level {
    /// By treatment class.
    #[default]
    Class,
    /// By regimen (agents).
    Regimen,
}

/// Which table the CSV holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum View {
    /// Outcome per line.
    #[default]
    Lines,
    /// Share reaching each line.
    Reach,
    /// Pathway counts.
    Pathways,
    /// Sankey links.
    Sankey,
}

/// Arguments of `netra sequences`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Smallest count exported; smaller counts are suppressed (≤ 1: none).
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub min_cell: u64,
    /// Name pathway steps by class or regimen.
    #[arg(long, value_enum, default_value_t)]
    pub level: Level,
    /// Landmark of the progression-free rate, months.
    #[arg(long, default_value_t = 12.0, value_name = "MONTHS")]
    pub landmark: f64,
    /// Per-line time: ttp (default) or pfs.
    #[arg(long, default_value = "ttp", value_name = "ENDPOINT")]
    pub line_endpoint: String,
    /// Per-line censoring: last_assessment (default) or last_follow_up.
    #[arg(long, default_value = "last_assessment", value_name = "RULE")]
    pub censoring: String,
    /// Lines tabulated.
    #[arg(long, default_value_t = 3, value_name = "K")]
    pub max_lines: u32,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95, value_name = "L")]
    pub conf_level: f64,
    /// Interval of ORR and DCR.
    #[arg(long, value_enum, default_value_t)]
    pub ci: Ci,
    /// Compare this sequence (e.g. everolimus>chemotherapy) …
    #[arg(long, value_name = "A>B", requires = "versus")]
    pub compare: Option<String>,
    /// … with this one, by PFS2 and OS from the start of line 1.
    #[arg(long, value_name = "B>A", requires = "compare")]
    pub versus: Option<String>,
    /// The table of the CSV output.
    #[arg(long, value_enum, default_value_t)]
    pub view: View,
    /// Emulate the target trial of sequence strategies described in this
    /// TOML file (clone-censor-weight; `docs/algorithms/sequence-effects.md`).
    #[arg(long, value_name = "TRIAL.toml", conflicts_with_all = ["compare", "versus"])]
    pub emulate: Option<std::path::PathBuf>,
    /// With --emulate: bootstrap replicates of the whole pipeline (over the file's).
    #[arg(long, value_name = "N", requires = "emulate")]
    pub bootstrap: Option<usize>,
    /// With --emulate: the bootstrap's seed (over the file's).
    #[arg(long, value_name = "SEED", requires = "emulate")]
    pub seed: Option<u64>,
    /// With --emulate: no progress bar.
    #[arg(long, requires = "emulate")]
    pub quiet: bool,
    #[command(flatten)]
    pub lines: LineArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `netra sequences`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rules = args.lines.rules()?;
    if let Some(path) = &args.emulate {
        let mut settings = args.lines.settings_file()?.unwrap_or_default();
        settings.line_rules = rules;
        let loaded = load(&args.lines)?;
        return super::sequences_emulate::run(
            path,
            loaded.courses,
            settings,
            args.bootstrap,
            args.seed,
            args.quiet,
            args.format,
        );
    }
    // The layer's request: one reading of the options for every surface.
    let request = SequencesRequest {
        min_cell: args.min_cell,
        level: match args.level {
            Level::Class => "class",
            Level::Regimen => "regimen",
        }
        .into(),
        landmark_months: args.landmark,
        line_endpoint: args.line_endpoint.clone(),
        censoring: args.censoring.clone(),
        max_lines: args.max_lines,
        conf_level: args.conf_level,
        ci: args.ci.into(),
    };
    // A settings file's small-cell threshold can raise --min-cell, not lower it.
    let floor = args.lines.settings_file()?.map_or(0, |s| s.min_cell);
    let options = request.options(floor)?;
    let censoring = options.censoring;
    let patterns = match (&args.compare, &args.versus) {
        (Some(a), Some(b)) => Some((SequencePattern::parse(a)?, SequencePattern::parse(b)?)),
        _ => None,
    };
    let loaded = load(&args.lines)?;
    let cohort = derive_all(&loaded.courses, &rules, censoring);
    let analysis = sequences::analyse_lines(&cohort, &options)?;
    let comparison = match &patterns {
        None => None,
        Some((a, b)) => {
            let mut per: Vec<HashMap<String, (f64, bool)>> = Vec::new();
            for e in [Endpoint::Pfs2, Endpoint::Os] {
                let mut spec = EndpointSpec::new(e, TimeZero::Line(1));
                spec.censoring = censoring;
                let out = derive_cohort(&loaded.courses, &spec, &rules);
                per.push(
                    out.rows
                        .into_iter()
                        .map(|r| (r.patient, (r.time, r.event)))
                        .collect(),
                );
            }
            let rows: Vec<_> = cohort
                .iter()
                .map(|p| {
                    (
                        per[0].get(&p.patient).copied(),
                        per[1].get(&p.patient).copied(),
                    )
                })
                .collect();
            Some(compare(&cohort, &rows, a, b, &options)?)
        }
    };
    let text = match args.format {
        Format::Json => {
            let mut v = serde_json::to_value(SequencesOutput::from(&analysis))?;
            v["rules"] = rules_json(&rules);
            v["comparison"] = comparison.as_ref().map_or(Value::Null, comparison_json);
            serde_json::to_string_pretty(&v)? + "\n"
        }
        Format::Csv => csv(&analysis, args.view),
        Format::Table => table(&analysis, comparison.as_ref(), args.ci.label()),
    };
    write_stdout(&text)
}

fn cell_text(c: Cell, m: u64) -> String {
    c.map_or(format!("<{m}"), |n| n.to_string())
}

fn cell_csv(c: Cell) -> String {
    c.map_or("NA".into(), |n| n.to_string())
}

fn pct(v: Option<f64>) -> String {
    v.map_or("—".into(), |x| format!("{:.1}%", 100.0 * x))
}

fn table(a: &SequenceAnalysis, cmp: Option<&SequenceComparison>, ci: &str) -> String {
    let o = &a.options;
    let m = o.min_cell;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Treatment sequences: {} patients, {} with systemic therapy (counts < {m} suppressed)\n",
        cell_text(a.n_patients, m),
        cell_text(a.n_treated, m)
    );
    let _ = writeln!(s, "Patients reaching each line");
    let _ = writeln!(s, "  {:<6} {:>8} {:>18}", "line", "n", "of previous line");
    for r in &a.reach {
        let _ = writeln!(
            s,
            "  {:<6} {:>8} {:>18}",
            r.line,
            cell_text(r.n, m),
            pct(r.share_of_previous)
        );
    }
    let what = match o.line_endpoint {
        LineEndpoint::Ttp => "TTP",
        LineEndpoint::Pfs => "PFS",
    };
    let _ = writeln!(
        s,
        "\nOutcome per line ({what} in months, censored at {}; {}-month rate; ORR/DCR among evaluable, {ci} {:.0}% CI)",
        o.censoring.code(),
        o.landmark_months,
        100.0 * o.conf_level
    );
    let _ = writeln!(
        s,
        "  {:<5} {:>6} {:>7} {:>24} {:>24} {:>6} {:>24} {:>24}",
        "line",
        "n",
        "events",
        format!("median {what} (95% CI)"),
        format!("{}-mo rate (95% CI)", o.landmark_months),
        "eval",
        "ORR (95% CI)",
        "DCR (95% CI)"
    );
    for l in &a.per_line {
        let med = match l.median_months {
            None if l.n.is_none_or(|n| n == 0) => "—".into(),
            _ => format!(
                "{} ({}–{})",
                fmt_or_nr(l.median_months, 1),
                fmt_or_nr(l.median_lower, 1),
                fmt_or_nr(l.median_upper, 1)
            ),
        };
        let rate = match l.landmark_rate {
            None => "—".into(),
            Some(r) => format!(
                "{:.1}% ({}–{})",
                100.0 * r,
                l.landmark_lower
                    .map_or("NA".into(), |x| format!("{:.1}", 100.0 * x)),
                l.landmark_upper
                    .map_or("NA".into(), |x| format!("{:.1}", 100.0 * x))
            ),
        };
        let rr = |r: Option<netra_clinical::sequences::Rate>| match r {
            None => "—".into(),
            Some(r) => format!(
                "{:.1}% ({:.1}–{:.1})",
                100.0 * r.estimate,
                100.0 * r.lower,
                100.0 * r.upper
            ),
        };
        let _ = writeln!(
            s,
            "  {:<5} {:>6} {:>7} {:>24} {:>24} {:>6} {:>24} {:>24}",
            l.line,
            cell_text(l.n, m),
            cell_text(l.events, m),
            med,
            rate,
            cell_text(l.n_evaluable, m),
            rr(l.orr),
            rr(l.dcr)
        );
    }
    let _ = writeln!(s, "\nPathways (largest first)");
    for p in &a.pathways {
        let steps = if p.steps.is_empty() {
            "no systemic therapy".to_string()
        } else {
            p.steps.join(" → ")
        };
        let end = p.end.map_or(String::new(), |e| format!(" → {}", e.code()));
        let _ = writeln!(s, "  {:>7}  {steps}{end}", cell_text(p.n, m));
    }
    if let Some(c) = cmp {
        let _ = writeln!(
            s,
            "\nSequence comparison from the start of line 1: A = {}, B = {}",
            c.a.label(),
            c.b.label()
        );
        for (name, e) in [("PFS2", &c.pfs2), ("OS", &c.os)] {
            let arm = |x: &netra_clinical::sequences::ArmSummary| {
                format!(
                    "n {}, events {}, median {} ({}–{})",
                    cell_text(x.n, m),
                    cell_text(x.events, m),
                    fmt_or_nr(x.median_months, 1),
                    fmt_or_nr(x.median_lower, 1),
                    fmt_or_nr(x.median_upper, 1)
                )
            };
            let _ = writeln!(s, "  {name}: A {}; B {}", arm(&e.a), arm(&e.b));
            match (e.chisq, e.p) {
                (Some(x), Some(p)) => {
                    let _ = writeln!(s, "        log-rank chi-square {x:.3}, p {}", p_value(p));
                }
                _ => {
                    let _ = writeln!(s, "        log-rank test not computable");
                }
            }
        }
    }
    let _ = writeln!(
        s,
        "\nSankey: {} nodes, {} links ({} suppressed) — see --format json or --format csv --view sankey",
        a.sankey.nodes.len(),
        a.sankey.links.len(),
        a.sankey.suppressed_links
    );
    s
}

fn endpoint_cmp_json(e: &EndpointComparison) -> Value {
    let arm = |x: &netra_clinical::sequences::ArmSummary| {
        json!({"n": x.n, "events": x.events, "median": x.median_months,
               "median_lower": x.median_lower, "median_upper": x.median_upper})
    };
    json!({"a": arm(&e.a), "b": arm(&e.b), "logrank_chisq": e.chisq, "logrank_p": e.p})
}

fn comparison_json(c: &SequenceComparison) -> Value {
    json!({
        "a": c.a.steps, "b": c.b.steps,
        "pfs2": endpoint_cmp_json(&c.pfs2),
        "os": endpoint_cmp_json(&c.os),
    })
}

fn csv(a: &SequenceAnalysis, view: View) -> String {
    let mut s = String::new();
    match view {
        View::Lines => {
            s.push_str("line,n,events,median,median_lower,median_upper,landmark_months,landmark_rate,landmark_lower,landmark_upper,n_evaluable,cr,pr,mr,sd,pd,orr,orr_lower,orr_upper,dcr,dcr_lower,dcr_upper\n");
            for l in &a.per_line {
                let r = |x: Option<netra_clinical::sequences::Rate>| {
                    [
                        csv_number(x.map(|r| r.estimate)),
                        csv_number(x.map(|r| r.lower)),
                        csv_number(x.map(|r| r.upper)),
                    ]
                    .join(",")
                };
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    l.line,
                    cell_csv(l.n),
                    cell_csv(l.events),
                    csv_number(l.median_months),
                    csv_number(l.median_lower),
                    csv_number(l.median_upper),
                    a.options.landmark_months,
                    csv_number(l.landmark_rate),
                    csv_number(l.landmark_lower),
                    csv_number(l.landmark_upper),
                    cell_csv(l.n_evaluable),
                    cell_csv(l.cr),
                    cell_csv(l.pr),
                    cell_csv(l.mr),
                    cell_csv(l.sd),
                    cell_csv(l.pd),
                    r(l.orr),
                    r(l.dcr)
                );
            }
        }
        View::Reach => {
            s.push_str("line,n,share_of_previous\n");
            for r in &a.reach {
                let _ = writeln!(
                    s,
                    "{},{},{}",
                    r.line,
                    cell_csv(r.n),
                    csv_number(r.share_of_previous)
                );
            }
        }
        View::Pathways => {
            s.push_str("pathway,end,n\n");
            for p in &a.pathways {
                let _ = writeln!(
                    s,
                    "{},{},{}",
                    csv_field(&p.steps.join(" > ")),
                    p.end.map_or("NA", |e| e.code()),
                    cell_csv(p.n)
                );
            }
        }
        View::Sankey => {
            s.push_str("source,target,n\n");
            for l in &a.sankey.links {
                let _ = writeln!(
                    s,
                    "{},{},{}",
                    csv_field(&l.source),
                    csv_field(&l.target),
                    l.n
                );
            }
        }
    }
    s
}
