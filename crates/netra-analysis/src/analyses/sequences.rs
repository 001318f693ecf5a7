//! Lines and treatment sequences of a cohort: how many patients reach
//! line 1, 2, 3 …, the pathways of line classes (or regimens) with their
//! counts, outcome per line (median TTP or PFS with CI, landmark rate, ORR
//! and DCR among the evaluable) and Sankey links — every count below the
//! small-cell threshold suppressed (`netra_clinical::sequences`, which
//! counts and arranges; the statistics are `netra_stats`' KM and binomial
//! intervals).
//!
//! The threshold is the larger of the request's `min_cell` and the
//! cohort's (`Settings::min_cell`): a surface that sets a threshold for its
//! viewer cannot be undercut by a request. The output's JSON is the
//! contract `netra sequences --format json` prints (`docs/cli-json.md`).
//!
//! Needs the patients' courses (lines are derived with the cohort's line
//! rules and the request's censoring): a cohort built from patient facts
//! refuses it.

use netra_clinical::endpoints::Censoring;
use netra_clinical::lines::PatientLines;
use netra_clinical::sequences::{
    self as seq, LineEndpoint, SequenceAnalysis, SequenceOptions, StepLevel,
};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::analyses::rates::RateCi;
use crate::cohort::Cohort;

/// Sequences of a cohort.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SequencesRequest {
    /// Smallest count shown; smaller counts are suppressed (≤ 1: none;
    /// the cohort's threshold applies if larger).
    pub min_cell: u64,
    /// Pathway steps named by `class` or `regimen`.
    pub level: String,
    /// Landmark of the progression-free rate, months.
    pub landmark_months: f64,
    /// Per-line time: `ttp` or `pfs`.
    pub line_endpoint: String,
    /// Per-line censoring: `last_assessment` or `last_follow_up`.
    pub censoring: String,
    /// Lines tabulated (pathways keep every line).
    pub max_lines: u32,
    /// Confidence level of medians and rates.
    pub conf_level: f64,
    /// Interval of ORR and DCR.
    pub ci: RateCi,
}

impl Default for SequencesRequest {
    fn default() -> Self {
        let o = SequenceOptions::default();
        SequencesRequest {
            min_cell: o.min_cell,
            level: "class".into(),
            landmark_months: o.landmark_months,
            line_endpoint: "ttp".into(),
            censoring: o.censoring.code().into(),
            max_lines: o.max_lines,
            conf_level: o.conf_level,
            ci: RateCi::default(),
        }
    }
}

impl SequencesRequest {
    /// The engine's options, checked; `floor` is the cohort's small-cell
    /// threshold.
    pub fn options(&self, floor: u64) -> Result<SequenceOptions, AnalysisError> {
        let censoring: Censoring =
            self.censoring
                .parse()
                .map_err(|e: netra_clinical::endpoints::SpecError| {
                    AnalysisError::invalid("censoring", e.0)
                })?;
        let line_endpoint = match self.line_endpoint.as_str() {
            "ttp" => LineEndpoint::Ttp,
            "pfs" => LineEndpoint::Pfs,
            other => {
                return Err(AnalysisError::invalid(
                    "line_endpoint",
                    format!("use ttp or pfs (got '{other}')"),
                ));
            }
        };
        let level = match self.level.as_str() {
            "class" => StepLevel::Class,
            "regimen" => StepLevel::Regimen,
            other => {
                return Err(AnalysisError::invalid(
                    "level",
                    format!("use class or regimen (got '{other}')"),
                ));
            }
        };
        if self.max_lines == 0 {
            return Err(AnalysisError::invalid("max_lines", "must be at least 1"));
        }
        Ok(SequenceOptions {
            min_cell: self.min_cell.max(floor),
            conf_level: self.conf_level,
            landmark_months: self.landmark_months,
            rate_ci: self.ci.method(),
            level,
            line_endpoint,
            censoring,
            max_lines: self.max_lines,
        })
    }
}

/// Patients reaching a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReachOut {
    /// Line number.
    pub line: u32,
    /// Patients with this line (`null`: suppressed).
    pub n: Option<u64>,
    /// n / patients with the previous line (line 1: / all patients).
    pub share_of_previous: Option<f64>,
}

/// A proportion with its interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateOut {
    /// Estimate.
    pub estimate: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// Outcome of one line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineOut {
    /// Line number.
    pub line: u32,
    /// Patients treated in this line.
    pub n: Option<u64>,
    /// Progressions (TTP) or events (PFS).
    pub events: Option<u64>,
    /// Median time, months (`null`: not reached or suppressed).
    pub median: Option<f64>,
    /// Its lower limit.
    pub median_lower: Option<f64>,
    /// Its upper limit.
    pub median_upper: Option<f64>,
    /// Progression-free (event-free) rate at the landmark.
    pub landmark_rate: Option<f64>,
    /// Its lower limit.
    pub landmark_lower: Option<f64>,
    /// Its upper limit.
    pub landmark_upper: Option<f64>,
    /// Evaluable for response.
    pub n_evaluable: Option<u64>,
    /// Complete responses.
    pub cr: Option<u64>,
    /// Partial responses.
    pub pr: Option<u64>,
    /// Minor responses.
    pub mr: Option<u64>,
    /// Stable disease.
    pub sd: Option<u64>,
    /// Progressive disease.
    pub pd: Option<u64>,
    /// ORR among the evaluable.
    pub orr: Option<RateOut>,
    /// DCR among the evaluable.
    pub dcr: Option<RateOut>,
}

/// One pathway.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PathwayOut {
    /// Steps (`L1 chemotherapy`, …); `["other pathways"]` pools the small.
    pub steps: Vec<String>,
    /// How it ends (`death`, `lost_to_follow_up`, `no_further_treatment`;
    /// `null` for the pooled row).
    pub end: Option<String>,
    /// Patients.
    pub n: Option<u64>,
}

/// A Sankey node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeOut {
    /// Identifier.
    pub id: String,
    /// Column.
    pub depth: u32,
}

/// A Sankey link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkOut {
    /// Source node.
    pub source: String,
    /// Target node.
    pub target: String,
    /// Patients.
    pub n: u64,
}

/// Sankey data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SankeyOut {
    /// Nodes.
    pub nodes: Vec<NodeOut>,
    /// Links with at least `min_cell` patients.
    pub links: Vec<LinkOut>,
    /// Links left out by suppression.
    pub suppressed_links: u64,
}

/// The answer to a [`SequencesRequest`] (the JSON of `netra sequences`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequencesOutput {
    /// The threshold applied.
    pub min_cell: u64,
    /// Confidence level.
    pub conf_level: f64,
    /// Landmark, months.
    pub landmark_months: f64,
    /// `ttp` or `pfs`.
    pub line_endpoint: String,
    /// Per-line censoring.
    pub censoring: String,
    /// `class` or `regimen`.
    pub level: String,
    /// Patients analysed.
    pub n_patients: Option<u64>,
    /// Patients with at least one line.
    pub n_treated: Option<u64>,
    /// Share reaching each line.
    pub reach: Vec<ReachOut>,
    /// Outcome per line.
    pub per_line: Vec<LineOut>,
    /// Pathways, largest first, pooled small ones last.
    pub pathways: Vec<PathwayOut>,
    /// Sankey data.
    pub sankey: SankeyOut,
}

fn rate(r: Option<seq::Rate>) -> Option<RateOut> {
    r.map(|r| RateOut {
        estimate: r.estimate,
        lower: r.lower,
        upper: r.upper,
    })
}

impl From<&SequenceAnalysis> for SequencesOutput {
    fn from(a: &SequenceAnalysis) -> Self {
        let o = &a.options;
        SequencesOutput {
            min_cell: o.min_cell,
            conf_level: o.conf_level,
            landmark_months: o.landmark_months,
            line_endpoint: match o.line_endpoint {
                LineEndpoint::Ttp => "ttp",
                LineEndpoint::Pfs => "pfs",
            }
            .into(),
            censoring: o.censoring.code().into(),
            level: match o.level {
                StepLevel::Class => "class",
                StepLevel::Regimen => "regimen",
            }
            .into(),
            n_patients: a.n_patients,
            n_treated: a.n_treated,
            reach: a
                .reach
                .iter()
                .map(|r| ReachOut {
                    line: r.line,
                    n: r.n,
                    share_of_previous: r.share_of_previous,
                })
                .collect(),
            per_line: a
                .per_line
                .iter()
                .map(|l| LineOut {
                    line: l.line,
                    n: l.n,
                    events: l.events,
                    median: l.median_months,
                    median_lower: l.median_lower,
                    median_upper: l.median_upper,
                    landmark_rate: l.landmark_rate,
                    landmark_lower: l.landmark_lower,
                    landmark_upper: l.landmark_upper,
                    n_evaluable: l.n_evaluable,
                    cr: l.cr,
                    pr: l.pr,
                    mr: l.mr,
                    sd: l.sd,
                    pd: l.pd,
                    orr: rate(l.orr),
                    dcr: rate(l.dcr),
                })
                .collect(),
            pathways: a
                .pathways
                .iter()
                .map(|p| PathwayOut {
                    steps: p.steps.clone(),
                    end: p.end.map(|e| e.code().to_string()),
                    n: p.n,
                })
                .collect(),
            sankey: SankeyOut {
                nodes: a
                    .sankey
                    .nodes
                    .iter()
                    .map(|n| NodeOut {
                        id: n.id.clone(),
                        depth: n.depth,
                    })
                    .collect(),
                links: a
                    .sankey
                    .links
                    .iter()
                    .map(|l| LinkOut {
                        source: l.source.clone(),
                        target: l.target.clone(),
                        n: l.n,
                    })
                    .collect(),
                suppressed_links: a.sankey.suppressed_links,
            },
        }
    }
}

/// The engine's analysis of a [`SequencesRequest`] (what `netra
/// sequences` prints as a table and CSV).
pub fn analysis(
    cohort: &Cohort,
    req: &SequencesRequest,
) -> Result<SequenceAnalysis, AnalysisError> {
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "sequences",
            "needs the patients' courses (lines are derived per request)",
        ));
    }
    let options = req.options(cohort.settings.min_cell)?;
    let lines = cohort.lines(options.censoring);
    analyse_lines(&lines, &options)
}

/// The analysis of lines already derived (with TTP/PFS per line, by
/// `netra_clinical::endpoints::line_outcomes_with` and the options'
/// censoring): what `netra sequences` runs on the courses it loaded.
pub fn analyse_lines(
    lines: &[PatientLines],
    options: &SequenceOptions,
) -> Result<SequenceAnalysis, AnalysisError> {
    seq::analyse(lines, options).map_err(|e| AnalysisError::invalid("sequences", e.to_string()))
}

/// Runs a [`SequencesRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &SequencesRequest) -> Result<SequencesOutput, AnalysisError> {
    Ok(SequencesOutput::from(&analysis(cohort, req)?))
}
