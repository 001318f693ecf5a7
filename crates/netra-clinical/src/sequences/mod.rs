//! Treatment sequences over a cohort: pathway counts, the share reaching
//! each next line, per-line outcome (median TTP with 95% CI, landmark
//! progression-free rate, ORR and DCR with CIs), comparison of two
//! sequences by PFS2 and OS, Sankey data, and minimum-cell-count
//! suppression of every exported count.
//!
//! Statistics are not computed here: Kaplan–Meier medians, CIs and landmark
//! rates come from [`netra_stats::km`] (R's `survfit`, `quantile`,
//! `summary(times=)`, log CI), response-rate intervals from
//! [`netra_stats::classical::response_rates`] (Clopper–Pearson as R's
//! `binom.test` by default), the comparison from [`netra_stats::logrank`]
//! (R's `survdiff`). This module only counts and arranges.
//!
//! # Suppression
//! With `min_cell` = m ≥ 2, a count c with 0 < c < m is not exported (it is
//! `None`, printed `<m`), and so is every figure computed from such a count
//! (a rate whose numerator or denominator is suppressed; a per-line row
//! whose n is suppressed). Pathways and Sankey links with fewer than m
//! patients are pooled into one "other pathways" row / dropped and counted.
//! Zero is not suppressed. `min_cell` ≤ 1 disables suppression.

use netra_stats::classical::binomial::{ProportionCi, ResponseCounts, response_rates};
use netra_stats::km::{KmOptions, km};
use netra_stats::logrank::{Weights, logrank};

use crate::endpoints::{Censoring, DAYS_PER_MONTH};
use crate::lines::{Line, PathwayEnd, PatientLines};
use crate::registry::vocab::Vocabulary;
use crate::response::Category;

/// Why a sequence analysis cannot be done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SequenceError {
    /// The options are invalid.
    #[error("{0}")]
    Options(String),
    /// A sequence pattern cannot be read.
    #[error("sequence pattern '{pattern}': {reason}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// Why.
        reason: String,
    },
}

/// How a line is named in pathways and the Sankey diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum StepLevel {
    /// By class (`chemotherapy`, `targeted`, …).
    #[default]
    Class,
    /// By regimen (`cisplatin+etoposide`).
    Regimen,
}

/// Which time of a line the per-line table reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum LineEndpoint {
    /// Time to progression (death censored), as NET series report per line.
    #[default]
    Ttp,
    /// Progression-free survival.
    Pfs,
}

/// Options of the sequence analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequenceOptions {
    /// Smallest count exported (default 5); ≤ 1 disables suppression.
    pub min_cell: u64,
    /// Confidence level of medians and rates (default 0.95).
    pub conf_level: f64,
    /// Landmark of the progression-free rate, months (default 12).
    pub landmark_months: f64,
    /// Interval of ORR and DCR (default Clopper–Pearson).
    pub rate_ci: ProportionCi,
    /// Pathway step names.
    pub level: StepLevel,
    /// Per-line time.
    pub line_endpoint: LineEndpoint,
    /// Censoring of the per-line time (the lines must have been derived with
    /// it: see [`crate::endpoints::line_outcomes_with`]); recorded for output.
    pub censoring: Censoring,
    /// Lines tabulated (default 3; pathways keep every line).
    pub max_lines: u32,
}

impl Default for SequenceOptions {
    fn default() -> Self {
        SequenceOptions {
            min_cell: 5,
            conf_level: 0.95,
            landmark_months: 12.0,
            rate_ci: ProportionCi::ClopperPearson,
            level: StepLevel::Class,
            line_endpoint: LineEndpoint::Ttp,
            censoring: Censoring::LastAdequateAssessment,
            max_lines: 3,
        }
    }
}

/// A count after suppression.
pub type Cell = Option<u64>;

fn cell(n: u64, m: u64) -> Cell {
    if m > 1 && n > 0 && n < m {
        None
    } else {
        Some(n)
    }
}

/// How many patients reach a line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineReach {
    /// Line number.
    pub line: u32,
    /// Patients with this line.
    pub n: Cell,
    /// n / patients with the previous line (line 1: / all patients).
    pub share_of_previous: Option<f64>,
}

/// One pathway: the steps and how it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct Pathway {
    /// Step names (`L1 chemotherapy`, …); empty for untreated patients;
    /// `["other pathways"]` for the pooled small pathways.
    pub steps: Vec<String>,
    /// How it ends (`None` for the pooled row).
    pub end: Option<PathwayEnd>,
    /// Patients.
    pub n: Cell,
}

/// Outcome of one line.
#[derive(Debug, Clone, PartialEq)]
pub struct LineSummary {
    /// Line number.
    pub line: u32,
    /// Patients treated in this line.
    pub n: Cell,
    /// Progressions (TTP) or events (PFS).
    pub events: Cell,
    /// Median time, months (None: not reached or suppressed).
    pub median_months: Option<f64>,
    /// Lower confidence limit of the median.
    pub median_lower: Option<f64>,
    /// Upper confidence limit of the median.
    pub median_upper: Option<f64>,
    /// Progression-free (event-free) rate at the landmark.
    pub landmark_rate: Option<f64>,
    /// Its lower limit.
    pub landmark_lower: Option<f64>,
    /// Its upper limit.
    pub landmark_upper: Option<f64>,
    /// Evaluable for response (measurable disease, best response not NE).
    pub n_evaluable: Cell,
    /// Complete responses.
    pub cr: Cell,
    /// Partial responses.
    pub pr: Cell,
    /// Minor responses (study criteria).
    pub mr: Cell,
    /// Stable disease.
    pub sd: Cell,
    /// Progressive disease.
    pub pd: Cell,
    /// ORR among the evaluable.
    pub orr: Option<Rate>,
    /// DCR among the evaluable.
    pub dcr: Option<Rate>,
}

/// A proportion with its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Estimate.
    pub estimate: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// A Sankey node: one step at one depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SankeyNode {
    /// Identifier (`L2 targeted`, `end: death`).
    pub id: String,
    /// Column (1 = line 1, …; the end nodes sit after the last line).
    pub depth: u32,
}

/// A Sankey link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SankeyLink {
    /// Source node id.
    pub source: String,
    /// Target node id.
    pub target: String,
    /// Patients.
    pub n: u64,
}

/// Sankey data.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sankey {
    /// Nodes, by depth then id.
    pub nodes: Vec<SankeyNode>,
    /// Links with at least `min_cell` patients.
    pub links: Vec<SankeyLink>,
    /// Links left out by suppression.
    pub suppressed_links: u64,
}

/// The cohort's sequence analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceAnalysis {
    /// Patients analysed.
    pub n_patients: Cell,
    /// Patients with at least one line.
    pub n_treated: Cell,
    /// Share reaching each line.
    pub reach: Vec<LineReach>,
    /// Pathways, largest first (ties by name), pooled small ones last.
    pub pathways: Vec<Pathway>,
    /// Per-line outcome, lines 1..=max_lines.
    pub per_line: Vec<LineSummary>,
    /// Sankey data.
    pub sankey: Sankey,
    /// The options used.
    pub options: SequenceOptions,
}

fn step_name(l: &Line, level: StepLevel) -> String {
    match level {
        StepLevel::Class => format!("L{} {}", l.number, l.class.code()),
        StepLevel::Regimen => format!("L{} {}", l.number, l.label()),
    }
}

/// Analyses the lines of a cohort (derived with
/// [`crate::endpoints::line_outcomes`] so that each line has its TTP/PFS).
pub fn analyse(
    cohort: &[PatientLines],
    options: &SequenceOptions,
) -> Result<SequenceAnalysis, SequenceError> {
    if !(options.conf_level > 0.0 && options.conf_level < 1.0) {
        return Err(SequenceError::Options(format!(
            "confidence level must be strictly between 0 and 1 (got {})",
            options.conf_level
        )));
    }
    if !(options.landmark_months.is_finite() && options.landmark_months >= 0.0) {
        return Err(SequenceError::Options(format!(
            "landmark must be a time >= 0 (got {})",
            options.landmark_months
        )));
    }
    let m = options.min_cell;
    let n_patients = cohort.len() as u64;
    let max_depth = cohort.iter().map(|p| p.lines.len()).max().unwrap_or(0) as u32;

    // Reach.
    let mut reach = Vec::new();
    let mut prev = n_patients;
    for k in 1..=max_depth.max(options.max_lines) {
        let n = cohort.iter().filter(|p| p.lines.len() as u32 >= k).count() as u64;
        let (cn, cp) = (cell(n, m), cell(prev, m));
        reach.push(LineReach {
            line: k,
            n: cn,
            share_of_previous: match (cn, cp) {
                (Some(a), Some(b)) if b > 0 => Some(a as f64 / b as f64),
                _ => None,
            },
        });
        prev = n;
        if k >= options.max_lines && n == 0 {
            break;
        }
    }

    // Pathways.
    let mut counts: std::collections::BTreeMap<(Vec<String>, PathwayEnd), u64> =
        std::collections::BTreeMap::new();
    for p in cohort {
        let steps: Vec<String> = p
            .lines
            .iter()
            .map(|l| step_name(l, options.level))
            .collect();
        *counts.entry((steps, p.end)).or_default() += 1;
    }
    let mut pathways: Vec<Pathway> = Vec::new();
    let mut pooled = 0u64;
    let mut rows: Vec<((Vec<String>, PathwayEnd), u64)> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    for ((steps, end), n) in rows {
        if cell(n, m).is_none() {
            pooled += n;
        } else {
            pathways.push(Pathway {
                steps,
                end: Some(end),
                n: Some(n),
            });
        }
    }
    if pooled > 0 {
        pathways.push(Pathway {
            steps: vec!["other pathways".into()],
            end: None,
            n: cell(pooled, m),
        });
    }

    // Per line.
    let mut per_line = Vec::new();
    for k in 1..=options.max_lines {
        per_line.push(line_summary(cohort, k, options)?);
    }

    Ok(SequenceAnalysis {
        n_patients: cell(n_patients, m),
        n_treated: cell(
            cohort.iter().filter(|p| !p.lines.is_empty()).count() as u64,
            m,
        ),
        reach,
        pathways,
        per_line,
        sankey: sankey(cohort, options),
        options: *options,
    })
}

fn line_summary(
    cohort: &[PatientLines],
    k: u32,
    options: &SequenceOptions,
) -> Result<LineSummary, SequenceError> {
    let m = options.min_cell;
    let lines: Vec<&Line> = cohort.iter().filter_map(|p| p.line(k)).collect();
    let n = lines.len() as u64;
    let mut time = Vec::with_capacity(lines.len());
    let mut event = Vec::with_capacity(lines.len());
    for l in &lines {
        let t = match options.line_endpoint {
            LineEndpoint::Ttp => l.ttp.as_ref(),
            LineEndpoint::Pfs => l.pfs.as_ref(),
        };
        if let Some(t) = t {
            time.push(f64::from(t.days) / DAYS_PER_MONTH);
            event.push(t.event);
        }
    }
    let mut counts = ResponseCounts::default();
    for l in &lines {
        if !l.evaluation.evaluable() {
            continue;
        }
        match l.evaluation.best {
            Some(Category::CR) => counts.complete += 1,
            Some(Category::PR) => counts.partial += 1,
            Some(Category::MR) => counts.minor += 1,
            Some(Category::SD | Category::NonCrNonPd) => counts.stable += 1,
            Some(Category::PD) => counts.progressive += 1,
            _ => {}
        }
    }
    let n_eval = counts.total();
    let mut s = LineSummary {
        line: k,
        n: cell(n, m),
        events: None,
        median_months: None,
        median_lower: None,
        median_upper: None,
        landmark_rate: None,
        landmark_lower: None,
        landmark_upper: None,
        n_evaluable: cell(n_eval, m),
        cr: cell(counts.complete, m),
        pr: cell(counts.partial, m),
        mr: cell(counts.minor, m),
        sd: cell(counts.stable, m),
        pd: cell(counts.progressive, m),
        orr: None,
        dcr: None,
    };
    if s.n.is_none() || n == 0 {
        return Ok(s);
    }
    let n_events = event.iter().filter(|e| **e).count() as u64;
    s.events = cell(n_events, m);
    if !time.is_empty() {
        let opts = KmOptions {
            conf_level: options.conf_level,
            ..KmOptions::default()
        };
        let curve = km(&time, &event, None, &opts)
            .map_err(|e| SequenceError::Options(format!("line {k}: {e}")))?;
        let med = curve.median();
        s.median_months = med.estimate;
        s.median_lower = med.lower;
        s.median_upper = med.upper;
        if let Ok(at) = curve.at_times(&[options.landmark_months], false)
            && let Some(a) = at.first()
        {
            s.landmark_rate = a.survival;
            s.landmark_lower = a.lower;
            s.landmark_upper = a.upper;
        }
    }
    if n_eval > 0 && s.n_evaluable.is_some() {
        let r = response_rates(&counts, options.rate_ci, options.conf_level)
            .map_err(|e| SequenceError::Options(format!("line {k}: {e}")))?;
        let orr_num = counts.complete + counts.partial;
        let dcr_num = orr_num + counts.minor + counts.stable;
        if cell(orr_num, m).is_some() {
            s.orr = Some(Rate {
                estimate: r.orr.estimate,
                lower: r.orr.lower,
                upper: r.orr.upper,
            });
        }
        if cell(dcr_num, m).is_some() {
            s.dcr = Some(Rate {
                estimate: r.dcr.estimate,
                lower: r.dcr.lower,
                upper: r.dcr.upper,
            });
        }
    }
    Ok(s)
}

fn sankey(cohort: &[PatientLines], options: &SequenceOptions) -> Sankey {
    let m = options.min_cell;
    let mut links: std::collections::BTreeMap<(String, String), u64> =
        std::collections::BTreeMap::new();
    let mut nodes: std::collections::BTreeSet<(u32, String)> = std::collections::BTreeSet::new();
    for p in cohort {
        if p.lines.is_empty() {
            continue;
        }
        let names: Vec<String> = p
            .lines
            .iter()
            .map(|l| step_name(l, options.level))
            .collect();
        for w in names.windows(2) {
            *links.entry((w[0].clone(), w[1].clone())).or_default() += 1;
        }
        let last = names.last().cloned().unwrap_or_default();
        let end = format!("end: {}", p.end.code());
        *links.entry((last, end)).or_default() += 1;
    }
    let mut out = Sankey::default();
    for ((s, t), n) in links {
        if cell(n, m).is_none() {
            out.suppressed_links += 1;
            continue;
        }
        for id in [&s, &t] {
            nodes.insert((node_depth(id), id.clone()));
        }
        out.links.push(SankeyLink {
            source: s,
            target: t,
            n,
        });
    }
    // End nodes sit after the deepest line.
    let deepest = nodes
        .iter()
        .filter(|(d, _)| *d < u32::MAX)
        .map(|(d, _)| *d)
        .max()
        .unwrap_or(0);
    out.nodes = nodes
        .into_iter()
        .map(|(d, id)| SankeyNode {
            depth: if d == u32::MAX { deepest + 1 } else { d },
            id,
        })
        .collect();
    out.nodes
        .sort_by(|a, b| (a.depth, &a.id).cmp(&(b.depth, &b.id)));
    out
}

fn node_depth(id: &str) -> u32 {
    id.strip_prefix('L')
        .and_then(|r| r.split(' ').next())
        .and_then(|k| k.parse().ok())
        .unwrap_or(u32::MAX)
}

/// A sequence to compare: the first lines, each matched by a class code
/// (`chemotherapy`, `targeted`, …) or an agent of its regimen
/// (`everolimus`), written `everolimus>chemotherapy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequencePattern {
    /// One matcher per line, from line 1.
    pub steps: Vec<String>,
}

impl SequencePattern {
    /// Reads `a>b>c` (also `a,b` or `a→b`).
    pub fn parse(text: &str) -> Result<SequencePattern, SequenceError> {
        let steps: Vec<String> = text
            .split(['>', ',', '→'])
            .map(|s| s.trim().to_ascii_lowercase())
            .collect();
        if steps.iter().any(|s| s.is_empty()) || steps.is_empty() {
            return Err(SequenceError::Pattern {
                pattern: text.into(),
                reason:
                    "write steps as class or agent codes separated by '>' (everolimus>chemotherapy)"
                        .into(),
            });
        }
        for s in &steps {
            let known = crate::registry::vocab::TreatmentClass::from_code(s).is_ok()
                || crate::registry::vocab::Agent::from_code(s).is_ok()
                || crate::registry::vocab::TreatmentType::from_code(s).is_ok();
            if !known {
                return Err(SequenceError::Pattern {
                    pattern: text.into(),
                    reason: format!("'{s}' is neither a treatment class nor an agent code"),
                });
            }
        }
        Ok(SequencePattern { steps })
    }

    /// True when the patient's first lines match the steps in order.
    pub fn matches(&self, p: &PatientLines) -> bool {
        self.steps.len() <= p.lines.len()
            && self
                .steps
                .iter()
                .zip(&p.lines)
                .all(|(s, l)| l.class.code() == s || l.regimen.iter().any(|a| a == s))
    }

    /// As written, `a > b`.
    pub fn label(&self) -> String {
        self.steps.join(" > ")
    }
}

/// Kaplan–Meier summary of one arm of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmSummary {
    /// Patients with a row.
    pub n: Cell,
    /// Events.
    pub events: Cell,
    /// Median, months.
    pub median_months: Option<f64>,
    /// Lower limit.
    pub median_lower: Option<f64>,
    /// Upper limit.
    pub median_upper: Option<f64>,
}

/// One endpoint compared between two sequences.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointComparison {
    /// First sequence.
    pub a: ArmSummary,
    /// Second sequence.
    pub b: ArmSummary,
    /// Log-rank chi-square (1 df); None when not computable or suppressed.
    pub chisq: Option<f64>,
    /// Its p-value.
    pub p: Option<f64>,
}

/// Two sequences compared by PFS2 and OS from the start of line 1.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceComparison {
    /// First sequence.
    pub a: SequencePattern,
    /// Second sequence.
    pub b: SequencePattern,
    /// PFS2.
    pub pfs2: EndpointComparison,
    /// OS from the start of line 1.
    pub os: EndpointComparison,
}

/// Time (months) and event of one patient for a comparison.
pub type TimeEvent = (f64, bool);

/// Compares two sequences: `rows` gives each patient's PFS2 and OS from
/// the start of line 1 (derive them with [`crate::endpoints`]), aligned
/// with `cohort`; patients matching neither pattern are left out, those
/// matching both (impossible unless the patterns overlap) are an error.
pub fn compare(
    cohort: &[PatientLines],
    rows: &[(Option<TimeEvent>, Option<TimeEvent>)],
    a: &SequencePattern,
    b: &SequencePattern,
    options: &SequenceOptions,
) -> Result<SequenceComparison, SequenceError> {
    if rows.len() != cohort.len() {
        return Err(SequenceError::Options(
            "one PFS2/OS row per patient is needed".into(),
        ));
    }
    let mut arm: Vec<Option<usize>> = Vec::with_capacity(cohort.len());
    for p in cohort {
        let (ma, mb) = (a.matches(p), b.matches(p));
        if ma && mb {
            return Err(SequenceError::Pattern {
                pattern: format!("{} / {}", a.label(), b.label()),
                reason: format!("patient {} matches both sequences", p.patient),
            });
        }
        arm.push(if ma {
            Some(0)
        } else if mb {
            Some(1)
        } else {
            None
        });
    }
    let pick = |which: usize| -> Vec<(usize, TimeEvent)> {
        rows.iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let te = if which == 0 { r.0 } else { r.1 };
                Some((arm[i]?, te?))
            })
            .collect()
    };
    Ok(SequenceComparison {
        a: a.clone(),
        b: b.clone(),
        pfs2: compare_one(&pick(0), options)?,
        os: compare_one(&pick(1), options)?,
    })
}

fn compare_one(
    data: &[(usize, TimeEvent)],
    options: &SequenceOptions,
) -> Result<EndpointComparison, SequenceError> {
    let m = options.min_cell;
    let arm = |g: usize| -> Result<ArmSummary, SequenceError> {
        let (t, e): (Vec<f64>, Vec<bool>) = data
            .iter()
            .filter(|(a, _)| *a == g)
            .map(|(_, te)| *te)
            .unzip();
        let n = t.len() as u64;
        let events = e.iter().filter(|x| **x).count() as u64;
        let mut s = ArmSummary {
            n: cell(n, m),
            events: cell(events, m),
            median_months: None,
            median_lower: None,
            median_upper: None,
        };
        if n > 0 && s.n.is_some() {
            let opts = KmOptions {
                conf_level: options.conf_level,
                ..KmOptions::default()
            };
            let c = km(&t, &e, None, &opts).map_err(|x| SequenceError::Options(x.to_string()))?;
            let q = c.median();
            s.median_months = q.estimate;
            s.median_lower = q.lower;
            s.median_upper = q.upper;
        }
        Ok(s)
    };
    let (a, b) = (arm(0)?, arm(1)?);
    let (mut chisq, mut p) = (None, None);
    if a.n.is_some_and(|n| n > 0) && b.n.is_some_and(|n| n > 0) {
        let time: Vec<f64> = data.iter().map(|(_, te)| te.0).collect();
        let event: Vec<bool> = data.iter().map(|(_, te)| te.1).collect();
        let group: Vec<usize> = data.iter().map(|(g, _)| *g).collect();
        if let Ok(t) = logrank(&time, &event, &group, None, Weights::LogRank) {
            chisq = Some(t.chisq);
            p = Some(t.p);
        }
    }
    Ok(EndpointComparison { a, b, chisq, p })
}
