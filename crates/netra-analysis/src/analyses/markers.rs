//! Biochemical response by marker: per tumour marker, the patients with a
//! baseline and a follow-up value, the rates of a fall from baseline of at
//! least each threshold (default 20% and 50%), of normalisation (among
//! patients whose baseline was above its upper limit of normal) and of
//! the best response, with a chosen interval (default exact
//! Clopper–Pearson, R's `binom.test`), overall and by group. Baseline,
//! follow-up and normalisation are defined once in
//! [`crate::variables::markers`] (the variables `marker_response.CODE`
//! use the same rule with the default thresholds).

use netra_clinical::registry::vocab::{Marker, Vocabulary};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::analyses::response::Rate;
use crate::cohort::Cohort;
use crate::inference::CiMethod;
use crate::variables::capitalise;
use crate::variables::markers::{MarkerResponse, RESPONSE_MARKERS, marker_response};

/// The request of `markers`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarkersRequest {
    /// Marker codes (`chromogranin_a`, `urinary_5hiaa`, …); empty: every
    /// tumour marker with a baseline in the cohort.
    pub markers: Vec<String>,
    /// Falls from baseline counted, in percent (each > 0 and < 100).
    pub thresholds: Vec<f64>,
    /// The grouping variable (none: all patients).
    pub by: Option<String>,
    /// The levels compared, in order; none: all.
    pub levels: Option<Vec<String>>,
    /// Confidence level of the intervals.
    pub conf_level: f64,
    /// The interval of the rates (default: exact Clopper–Pearson).
    pub ci_method: CiMethod,
}

impl Default for MarkersRequest {
    fn default() -> Self {
        MarkersRequest {
            markers: Vec::new(),
            thresholds: vec![20.0, 50.0],
            by: None,
            levels: None,
            conf_level: 0.95,
            ci_method: CiMethod::default(),
        }
    }
}

/// The rate of a fall of at least `threshold` percent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FallRate {
    /// The fall (%).
    pub threshold: f64,
    /// Patients whose best value fell by at least it, of the evaluable.
    pub rate: Rate,
}

/// One group's marker response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerGroup {
    /// Group label.
    pub label: String,
    /// Patients with a baseline and a follow-up value (the denominator of
    /// the falls).
    pub evaluable: u64,
    /// Per threshold, in the request's order.
    pub falls: Vec<FallRate>,
    /// Evaluable patients whose baseline was above its upper limit of
    /// normal with limits recorded (the denominator of normalisation).
    pub above_uln: u64,
    /// Normalisation among them.
    pub normalised: Rate,
    /// Median of the best changes (%), `null` without evaluable patients.
    pub median_change: Option<f64>,
}

/// One marker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkerOut {
    /// Marker code.
    pub marker: String,
    /// Printed name.
    pub label: String,
    /// Patients with a baseline value.
    pub with_baseline: u64,
    /// All evaluable patients.
    pub overall: MarkerGroup,
    /// Per group, in level order.
    pub groups: Vec<MarkerGroup>,
    /// Evaluable patients without a group.
    pub missing_group: u64,
}

/// The answer to a [`MarkersRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MarkersOutput {
    /// Patients in the cohort.
    pub cohort: usize,
    /// The thresholds (%), ascending.
    pub thresholds: Vec<f64>,
    /// Grouping variable.
    pub by: Option<String>,
    /// Printed name of the grouping.
    pub by_label: Option<String>,
    /// The interval's printed name.
    pub ci: String,
    /// Per marker.
    pub markers: Vec<MarkerOut>,
}

fn rate(x: u64, n: u64, level: f64, method: CiMethod) -> Result<Rate, AnalysisError> {
    if n == 0 {
        return Ok(Rate {
            count: x,
            estimate: None,
            lower: None,
            upper: None,
        });
    }
    let p = netra_stats::classical::binomial::proportion(x, n, method.method(), level)
        .map_err(|e| AnalysisError::stats("marker response rate", e))?;
    Ok(Rate {
        count: x,
        estimate: Some(p.estimate),
        lower: Some(p.lower),
        upper: Some(p.upper),
    })
}

fn median(mut x: Vec<f64>) -> Option<f64> {
    if x.is_empty() {
        return None;
    }
    x.sort_by(f64::total_cmp);
    let n = x.len();
    Some(if n % 2 == 1 {
        x[n / 2]
    } else {
        (x[n / 2 - 1] + x[n / 2]) / 2.0
    })
}

/// One group's rates from its patients' responses.
pub fn group(
    label: &str,
    responses: &[&MarkerResponse],
    thresholds: &[f64],
    level: f64,
    method: CiMethod,
) -> Result<MarkerGroup, AnalysisError> {
    let changes: Vec<f64> = responses.iter().filter_map(|r| r.best_change()).collect();
    let n = changes.len() as u64;
    let falls = thresholds
        .iter()
        .map(|&t| {
            let x = changes.iter().filter(|&&c| c <= -t).count() as u64;
            Ok(FallRate {
                threshold: t,
                rate: rate(x, n, level, method)?,
            })
        })
        .collect::<Result<Vec<_>, AnalysisError>>()?;
    let norm: Vec<bool> = responses
        .iter()
        .filter(|r| r.best_change().is_some())
        .filter_map(|r| r.normalised())
        .collect();
    let above = norm.len() as u64;
    let yes = norm.iter().filter(|b| **b).count() as u64;
    Ok(MarkerGroup {
        label: label.to_string(),
        evaluable: n,
        falls,
        above_uln: above,
        normalised: rate(yes, above, level, method)?,
        median_change: median(changes),
    })
}

/// Runs a [`MarkersRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &MarkersRequest) -> Result<MarkersOutput, AnalysisError> {
    if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
        return Err(AnalysisError::invalid(
            "conf_level",
            format!("{} is not strictly between 0 and 1", req.conf_level),
        ));
    }
    if req.thresholds.is_empty() {
        return Err(AnalysisError::invalid(
            "thresholds",
            "name at least one fall (%), e.g. [20, 50]",
        ));
    }
    if let Some(t) = req
        .thresholds
        .iter()
        .find(|t| !(t.is_finite() && **t > 0.0 && **t < 100.0))
    {
        return Err(AnalysisError::invalid(
            "thresholds",
            format!("{t} is not a fall between 0 and 100 (%)"),
        ));
    }
    let mut thresholds = req.thresholds.clone();
    thresholds.sort_by(f64::total_cmp);
    thresholds.dedup();
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "markers",
            "marker responses need the patients' marker values (a registry cohort)",
        ));
    }
    let wanted: Vec<Marker> = if req.markers.is_empty() {
        RESPONSE_MARKERS.to_vec()
    } else {
        req.markers
            .iter()
            .map(|code| {
                Marker::from_code(code)
                    .ok()
                    .filter(|m| RESPONSE_MARKERS.contains(m))
                    .ok_or_else(|| {
                        AnalysisError::invalid(
                            "markers",
                            format!(
                                "'{code}' is not a tumour marker (one of: {})",
                                RESPONSE_MARKERS
                                    .iter()
                                    .map(|m| m.code())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        )
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let grouping = match &req.by {
        Some(by) => Some(cohort.grouping_of(by, None, req.levels.as_deref(), None)?),
        None => None,
    };
    let mut markers = Vec::new();
    for m in wanted {
        let per: Vec<Option<MarkerResponse>> = cohort
            .courses
            .iter()
            .map(|c| marker_response(c, m))
            .collect();
        let with_baseline = per.iter().flatten().count() as u64;
        // Every marker the request names is reported; of all markers only
        // those with a baseline in the cohort.
        if with_baseline == 0 && req.markers.is_empty() {
            continue;
        }
        let all: Vec<&MarkerResponse> = per.iter().flatten().collect();
        let overall = group(
            "All patients",
            &all,
            &thresholds,
            req.conf_level,
            req.ci_method,
        )?;
        let mut groups = Vec::new();
        let mut missing_group = 0;
        if let Some(g) = &grouping {
            let mut split: Vec<Vec<&MarkerResponse>> = vec![Vec::new(); g.levels.len()];
            for (r, c) in per.iter().zip(&g.codes) {
                match (r, c) {
                    (Some(r), Some(c)) => split[*c].push(r),
                    (Some(r), None) if r.best_change().is_some() => missing_group += 1,
                    _ => {}
                }
            }
            for (label, rs) in g.levels.iter().zip(&split) {
                groups.push(group(
                    label,
                    rs,
                    &thresholds,
                    req.conf_level,
                    req.ci_method,
                )?);
            }
        }
        markers.push(MarkerOut {
            marker: m.code().to_string(),
            label: capitalise(m.label()),
            with_baseline,
            overall,
            groups,
            missing_group,
        });
    }
    Ok(MarkersOutput {
        cohort: cohort.len(),
        thresholds,
        by: req.by.clone(),
        by_label: grouping.map(|g| g.label),
        ci: req.ci_method.label().to_string(),
        markers,
    })
}
