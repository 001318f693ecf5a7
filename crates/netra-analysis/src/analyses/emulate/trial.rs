//! From the cohort to the emulated trial's data: time zero and
//! eligibility per patient, the lines after time zero, the baseline design
//! of the deviation models' covariates, and per strategy the adherence
//! ([`super::derive`]) as `netra_stats::emulate::Trial`.

use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, Units};
use netra_clinical::lines::PatientLines;
use netra_clinical::registry::vocab::{TreatmentClass, Vocabulary};
use netra_stats::emulate::{StrategyData, TimeVarying, Trial};
use netra_stats::model::{Formula, Variable};

use super::DAYS_PER_MONTH;
use super::derive::{LineAfter, adherence};
use super::output::ReasonCount;
use super::request::{EmulateRequest, Zero, strategy_name};
use crate::AnalysisError;
use crate::analyses::weighting::design_of;
use crate::cohort::Cohort;
use crate::variables::Column;

fn codes_of(l: &netra_clinical::lines::Line) -> Vec<String> {
    let mut c = vec![l.class.code().to_string()];
    c.extend(l.regimen.iter().cloned());
    c
}

/// Time zero (day) and the index of the first line after it.
fn time_zero(pl: &PatientLines, zero: &Zero) -> Option<(i32, usize)> {
    match zero {
        Zero::SsaProgression => {
            let (k, l) = pl
                .lines
                .iter()
                .enumerate()
                .find(|(_, l)| l.class == TreatmentClass::SomatostatinAnalogue)?;
            let t = l.ttp.as_ref().filter(|t| t.event)?;
            let day = l.start.day.0 + t.days;
            let next = pl.lines[k + 1..]
                .iter()
                .position(|m| m.start.day.0 >= day)
                .map_or(pl.lines.len(), |p| k + 1 + p);
            Some((day, next))
        }
        Zero::Line(k) => {
            let idx = usize::try_from(*k).ok()?.checked_sub(1)?;
            let l = pl.lines.get(idx)?;
            Some((l.start.day.0, idx))
        }
    }
}

/// The baseline design of the eligible patients' covariates: columns,
/// names, and which cohort rows have every covariate.
pub(super) struct Baseline {
    pub(super) columns: Vec<Vec<f64>>,
    pub(super) names: Vec<String>,
    /// For the balance table: (label, level, values per cohort row).
    pub(super) balance: Vec<(String, Option<String>, Vec<Option<f64>>)>,
}

fn baseline(cohort: &Cohort, covariates: &str, rows: &[usize]) -> Result<Baseline, AnalysisError> {
    let rhs = covariates.trim().trim_start_matches('~').trim();
    if rhs.is_empty() {
        return Ok(Baseline {
            columns: Vec::new(),
            names: Vec::new(),
            balance: Vec::new(),
        });
    }
    let formula =
        Formula::parse(rhs).map_err(|e| AnalysisError::invalid("covariates", e.to_string()))?;
    if formula
        .variables
        .iter()
        .any(|v| matches!(v, Variable::Strata(_)))
    {
        return Err(AnalysisError::invalid(
            "covariates",
            "strata() has no meaning in a deviation model",
        ));
    }
    let mut num_cols: Vec<(String, Vec<f64>)> = Vec::new();
    let mut txt_cols: Vec<(String, Vec<String>)> = Vec::new();
    let mut balance = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for v in &formula.variables {
        for name in v.columns() {
            if seen.iter().any(|s| s == name) {
                continue;
            }
            seen.push(name.to_string());
            let var = cohort.variable(name)?;
            match &var.column {
                Column::Num(x) => {
                    num_cols.push((
                        name.to_string(),
                        rows.iter().map(|&i| x[i].unwrap_or(f64::NAN)).collect(),
                    ));
                    balance.push((var.label.clone(), None, x.clone()));
                }
                Column::Cat { levels, codes } => {
                    txt_cols.push((
                        name.to_string(),
                        rows.iter()
                            .map(|&i| codes[i].map_or(String::new(), |k| levels[k].label.clone()))
                            .collect(),
                    ));
                    for (k, l) in levels.iter().enumerate() {
                        balance.push((
                            var.label.clone(),
                            Some(l.label.clone()),
                            codes
                                .iter()
                                .map(|c| c.map(|c| f64::from(u8::from(c == k))))
                                .collect(),
                        ));
                    }
                }
            }
        }
    }
    if rows.is_empty() {
        // Nobody eligible: the variables are checked, there is nothing to fit.
        return Ok(Baseline {
            columns: Vec::new(),
            names: Vec::new(),
            balance,
        });
    }
    let design = design_of(&formula, &num_cols, &txt_cols, "covariates")?;
    let n = rows.len();
    let p = design.names.len();
    let columns = (0..p)
        .map(|j| design.x[j * n..(j + 1) * n].to_vec())
        .collect();
    Ok(Baseline {
        columns,
        names: design.names.clone(),
        balance,
    })
}

/// An eligible patient: cohort row, time zero (day), index of the first
/// line after it, end of follow-up (days from time zero), death.
pub(super) type Candidate = (usize, i32, usize, f64, bool);

/// The emulated trial's data and what the output needs beside it.
pub(super) struct Built {
    /// Patients in the cohort.
    pub(super) n_all: usize,
    /// The trial.
    pub(super) trial: Trial,
    /// Why the others are not eligible.
    pub(super) ineligible: Vec<ReasonCount>,
    /// Per eligible patient: the lines after time zero.
    pub(super) after: Vec<Vec<LineAfter>>,
    /// The baseline design (columns of the eligible patients).
    pub(super) base: Baseline,
    /// The eligible patients.
    pub(super) cand: Vec<Candidate>,
}

/// Builds the trial of `req` (checked) on `cohort` (with courses).
pub(super) fn build(
    cohort: &Cohort,
    req: &EmulateRequest,
    zero: &Zero,
) -> Result<Built, AnalysisError> {
    let lines = cohort.lines(netra_clinical::endpoints::Censoring::LastAdequateAssessment);
    // OS from line 1, to place death or last contact on the calendar.
    let mut spec = EndpointSpec::new(Endpoint::Os, TimeZero::Line(1));
    spec.units = Units::Days;
    let os = cohort.endpoint(&spec, None)?;
    let all_steps: Vec<&str> = req
        .strategies
        .iter()
        .flat_map(|s| s.steps.iter().map(String::as_str))
        .collect();

    let n_all = cohort.len();
    let mut reasons = [0usize; 4];
    // (cohort row, time zero day, first line after, end day, death)
    let mut cand: Vec<(usize, i32, usize, f64, bool)> = Vec::new();
    for (i, pl) in lines.iter().enumerate() {
        let Some((t0, next)) = time_zero(pl, zero) else {
            reasons[0] += 1;
            continue;
        };
        let prior = pl.lines[..next.min(pl.lines.len())].iter().any(|l| {
            let codes = codes_of(l);
            all_steps
                .iter()
                .any(|s| codes.iter().any(|c| c.eq_ignore_ascii_case(s)))
        });
        if prior {
            reasons[1] += 1;
            continue;
        }
        let (Some(first), Some(t)) = (pl.lines.first(), os.time.get(i).copied().flatten()) else {
            reasons[2] += 1;
            continue;
        };
        let end = f64::from(first.start.day.0) + t - f64::from(t0);
        if end <= 0.0 {
            reasons[2] += 1;
            continue;
        }
        cand.push((i, t0, next, end, os.event[i]));
    }
    let rows_all: Vec<usize> = cand.iter().map(|c| c.0).collect();
    let base_all = baseline(cohort, &req.covariates, &rows_all)?;
    let keep: Vec<usize> = (0..cand.len())
        .filter(|&k| base_all.columns.iter().all(|c| c[k].is_finite()))
        .collect();
    reasons[3] = cand.len() - keep.len();
    let cand: Vec<_> = keep.iter().map(|&k| cand[k]).collect();
    let columns: Vec<Vec<f64>> = base_all
        .columns
        .iter()
        .map(|c| keep.iter().map(|&k| c[k]).collect())
        .collect();

    // Per patient: lines after time zero, in days from it.
    let after: Vec<Vec<LineAfter>> = cand
        .iter()
        .map(|&(i, t0, next, _, _)| {
            lines[i].lines[next.min(lines[i].lines.len())..]
                .iter()
                .map(|l| LineAfter {
                    start: f64::from(l.start.day.0 - t0),
                    progression: l
                        .ttp
                        .as_ref()
                        .filter(|t| t.event)
                        .map(|t| f64::from(l.start.day.0 + t.days - t0)),
                    codes: codes_of(l),
                })
                .filter(|l| l.start >= 0.0)
                .collect()
        })
        .collect();
    let m = DAYS_PER_MONTH;
    let mut strategies = Vec::new();
    for s in &req.strategies {
        let mut deviation = Vec::with_capacity(cand.len());
        let mut windows = Vec::with_capacity(cand.len());
        for (k, c) in cand.iter().enumerate() {
            let a = adherence(
                &after[k],
                c.3,
                &s.steps,
                req.grace_days,
                req.switch_grace_days,
            );
            deviation.push(a.deviation.map(|d| d / m));
            windows.push(a.windows.iter().map(|w| [w[0] / m, w[1] / m]).collect());
        }
        strategies.push(StrategyData {
            name: strategy_name(s),
            deviation,
            windows,
        });
    }
    let time_varying: Vec<TimeVarying> = req
        .time_varying
        .iter()
        .map(|v| TimeVarying {
            name: v.clone(),
            steps: after
                .iter()
                .map(|ls| {
                    let at = match v.as_str() {
                        "progressed" => ls.first().and_then(|l| l.progression),
                        _ => ls.first().map(|l| l.start),
                    };
                    at.map(|d| vec![(d / m, 1.0)]).unwrap_or_default()
                })
                .collect(),
        })
        .collect();
    let trial = Trial {
        time: cand.iter().map(|c| c.3 / m).collect(),
        event: cand.iter().map(|c| c.4).collect(),
        baseline: columns,
        baseline_names: base_all.names.clone(),
        time_varying,
        strategies,
    };
    let ineligible: Vec<ReasonCount> = [
        "no time zero",
        "a strategy's treatment before time zero",
        "no follow-up after time zero",
        "a covariate missing",
    ]
    .iter()
    .zip(reasons)
    .filter(|(_, n)| *n > 0)
    .map(|(r, n)| ReasonCount {
        reason: (*r).into(),
        n,
    })
    .collect();
    Ok(Built {
        n_all,
        trial,
        ineligible,
        after,
        base: base_all,
        cand,
    })
}
