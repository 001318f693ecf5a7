//! Cumulative incidence with competing risks: progression, with death
//! without progression as the competing event, by group — the incidence
//! of each cause at requested times with its variance and log(−log)
//! interval, the curve steps (figures draw them), Gray's test per cause
//! and the counts of events per cause and of censored patients.
//!
//! The numbers are `netra_stats::cuminc`'s (R's `cmprsk::cuminc` and
//! `timepoints`, checked against `validation/fixtures/cuminc`): this module
//! only derives the competing-risks data from the cohort.
//!
//! # Competing-risks data (the rule)
//!
//! Endpoint rows carry an event flag but not the kind of event, so the
//! status is read from two endpoints of the same time zero, units and
//! censoring options (both `netra_clinical` derivations):
//!
//! * the **PFS** row gives the time and whether an event (progression or
//!   death, whichever first) happened; a patient without a PFS row is
//!   not analysed;
//! * PFS event and a **TTP** event at the same time → status 1,
//!   progression (a same-day progression and death counts as progression,
//!   the order `netra_clinical` describes same-day events in);
//! * PFS event otherwise → status 2, death without progression;
//! * PFS censored → status 0, censored at the PFS censoring time (the last
//!   adequate assessment, by default).
//!
//! The request may name either `ttp` or `pfs` as the endpoint: both give
//! the same data. Other endpoints have no progression/death split and are
//! refused. A cause nobody had yields no curves and no test for that
//! cause (cmprsk has no curve for an absent cause); its counts are 0.
//!
//! A CSV's status column with any named causes (`netra cuminc`) is
//! [`causes`].
//!
//! Not yet offered: death from the NET versus other causes (the
//! registry's `death_cause`) — it would be a second status rule over the
//! OS rows.

pub mod causes;

use netra_clinical::endpoints::{Endpoint, EndpointSpec};
/// The curve a cumulative-incidence figure draws (`netra_report::figure`).
pub use netra_stats::cuminc::IncidenceCurve;
use netra_stats::cuminc::{CompetingRisks, CumInc, CumIncOptions};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::cohort::{Cohort, Grouping};
use crate::endpoint::EndpointRequest;

/// The causes, by status code − 1.
pub const CAUSES: [&str; 2] = ["progression", "death without progression"];

/// Cumulative incidence of a registry cohort: a progression endpoint,
/// optionally by a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CumincRequest {
    /// The endpoint (`ttp` or `pfs`) and its time zero (default: TTP from
    /// the start of line 1, in months).
    pub endpoint: EndpointRequest,
    /// For a `line:all` time zero: the line analysed.
    pub line: Option<u32>,
    /// The grouping variable (none: all patients).
    pub by: Option<String>,
    /// The levels compared, in order (codes or labels); none: all.
    pub levels: Option<Vec<String>>,
    /// Times at which the incidence is read (`cmprsk::timepoints`).
    pub times: Vec<f64>,
    /// Confidence level of the log(−log) intervals.
    pub conf_level: f64,
    /// Power of Gray's weight (1 − F(t−))^rho (cmprsk's `rho`).
    pub rho: f64,
    /// Include every step of every curve.
    pub steps: bool,
}

impl Default for CumincRequest {
    fn default() -> Self {
        CumincRequest {
            endpoint: EndpointRequest {
                endpoint: "ttp".into(),
                from: "line:1".into(),
                ..EndpointRequest::default()
            },
            line: None,
            by: None,
            levels: None,
            times: Vec::new(),
            conf_level: 0.95,
            rho: 0.0,
            steps: true,
        }
    }
}

/// A cause of failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CauseOut {
    /// Status code (1, 2).
    pub code: u32,
    /// `progression`, `death without progression`.
    pub label: String,
}

/// One group's counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupCounts {
    /// Group label.
    pub label: String,
    /// Patients analysed.
    pub n: usize,
    /// Events per cause, in the order of `causes`.
    pub events: Vec<usize>,
    /// Censored.
    pub censored: usize,
}

/// The incidence at one time (a step, or a requested time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Time.
    pub time: f64,
    /// F(time); `null` after the group's last follow-up.
    pub estimate: Option<f64>,
    /// cmprsk's variance.
    pub variance: Option<f64>,
    /// √variance.
    pub std_err: Option<f64>,
    /// Lower log(−log) limit (`null` where F = 0).
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// One group's curve for one cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurveOut {
    /// Group label.
    pub group: String,
    /// Cause label.
    pub cause: String,
    /// Cause code.
    pub cause_code: u32,
    /// Patients in the group.
    pub n: usize,
    /// Events of this cause.
    pub events: usize,
    /// Events of the other cause.
    pub competing_events: usize,
    /// Largest follow-up time of the group.
    pub last_time: f64,
    /// The incidence at each requested time, in request order.
    pub at_times: Vec<Point>,
    /// Every jump (estimate just after it), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Point>>,
}

/// Gray's test for one cause.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrayOut {
    /// Cause label.
    pub cause: String,
    /// Cause code.
    pub cause_code: u32,
    /// Chi-square (`null` when the score variance is singular).
    pub chisq: Option<f64>,
    /// Degrees of freedom.
    pub df: usize,
    /// p-value (`null` with `chisq`).
    pub p: Option<f64>,
    /// The weight's power.
    pub rho: f64,
}

/// The answer to a [`CumincRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CumincOutput {
    /// "Progression, death as competing risk, from start of line 1 (months)".
    pub title: String,
    /// Endpoint code (as requested: `ttp` or `pfs`).
    pub endpoint: String,
    /// Time-zero code.
    pub from: String,
    /// Time unit.
    pub units: String,
    /// Grouping variable (`null`: none).
    pub by: Option<String>,
    /// Printed name of the grouping.
    pub by_label: Option<String>,
    /// Patients in the cohort.
    pub cohort: usize,
    /// Patients analysed (a PFS row and a group).
    pub analysed: usize,
    /// Patients without a row (no time zero).
    pub without_row: usize,
    /// Patients with a row but no group.
    pub missing_group: usize,
    /// Dates imputed in the analysed (PFS) rows.
    pub imputed_dates: u64,
    /// Confidence level.
    pub conf_level: f64,
    /// The causes (status codes 1 and 2).
    pub causes: Vec<CauseOut>,
    /// Counts per group, in level order (empty groups included, n = 0).
    pub groups: Vec<GroupCounts>,
    /// Curves per cause (outer) and non-empty group (inner, level order).
    pub curves: Vec<CurveOut>,
    /// Gray's test per cause present (empty with fewer than two non-empty
    /// groups).
    pub gray: Vec<GrayOut>,
}

/// Competing-risks rows of a cohort: one per patient analysed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompetingData {
    /// Follow-up time.
    pub time: Vec<f64>,
    /// 0 censored, 1 progression, 2 death without progression.
    pub status: Vec<u32>,
    /// 0-based group code per row.
    pub group: Vec<usize>,
    /// Group labels in order ("All patients" without groups).
    pub labels: Vec<String>,
    /// Cohort index of each row.
    pub rows: Vec<usize>,
    /// Patients without a row.
    pub without_row: usize,
    /// Patients with a row but no group.
    pub missing_group: usize,
    /// Dates imputed over the kept rows.
    pub imputed_dates: u64,
}

/// The PFS and TTP specs of a progression endpoint request.
fn specs(req: &EndpointRequest) -> Result<(EndpointSpec, EndpointSpec), AnalysisError> {
    let spec = req.spec()?;
    if !matches!(spec.endpoint, Endpoint::Ttp | Endpoint::Pfs) {
        return Err(AnalysisError::invalid(
            "endpoint",
            format!(
                "'{}' has no progression/death split: use ttp or pfs",
                spec.endpoint.code()
            ),
        ));
    }
    let mut pfs = spec.clone();
    pfs.endpoint = Endpoint::Pfs;
    let mut ttp = spec;
    ttp.endpoint = Endpoint::Ttp;
    Ok((pfs, ttp))
}

/// The competing-risks rows of `cohort` by the rule of the module doc.
pub fn select(
    cohort: &Cohort,
    endpoint: &EndpointRequest,
    line: Option<u32>,
    grouping: Option<&Grouping>,
) -> Result<CompetingData, AnalysisError> {
    let (pfs_spec, ttp_spec) = specs(endpoint)?;
    // The PFS rows and groups as every survival analysis selects them; the
    // TTP rows of the same time zero tell progression from death.
    let sel = super::survival::select(cohort, &pfs_spec, line, grouping)?;
    let ttp = cohort.endpoint(&ttp_spec, line)?;
    let status = sel
        .rows
        .iter()
        .zip(&sel.data.time)
        .zip(&sel.data.event)
        .map(|((&i, &t), &event)| {
            let progressed = ttp.event[i] && ttp.time[i] == Some(t);
            match (event, progressed) {
                (false, _) => 0,
                (true, true) => 1,
                (true, false) => 2,
            }
        })
        .collect();
    Ok(CompetingData {
        time: sel.data.time,
        status,
        group: sel.data.group.iter().map(|&g| g as usize).collect(),
        labels: sel.data.labels,
        rows: sel.rows,
        without_row: sel.without_row,
        missing_group: sel.missing_group,
        imputed_dates: sel.imputed_dates,
    })
}

fn point(
    time: f64,
    estimate: Option<f64>,
    variance: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
) -> Point {
    Point {
        time,
        estimate,
        variance,
        std_err: variance.map(f64::sqrt).filter(|v| v.is_finite()),
        lower,
        upper,
    }
}

/// The output of one fitted incidence curve of cause `code` (`label`);
/// per-step points only when asked for (`steps`).
fn curve_out(
    c: &netra_stats::cuminc::IncidenceCurve,
    groups: &[String],
    label: &str,
    code: u32,
    steps: bool,
) -> CurveOut {
    CurveOut {
        group: groups.get(c.group).cloned().unwrap_or_default(),
        cause: label.to_string(),
        cause_code: code,
        n: c.n,
        events: c.events,
        competing_events: c.competing,
        last_time: c.last_time,
        at_times: c
            .at_times
            .iter()
            .map(|p| point(p.time, p.estimate, p.variance, p.lower, p.upper))
            .collect(),
        steps: steps.then(|| {
            c.steps
                .iter()
                .map(|s| point(s.time, Some(s.estimate), Some(s.variance), s.lower, s.upper))
                .collect()
        }),
    }
}

fn check(req: &CumincRequest) -> Result<(), AnalysisError> {
    check_options(&req.times, req.conf_level, req.rho)
}

/// The options every cumulative-incidence request shares: report times
/// ≥ 0, a confidence level in (0, 1), a finite ρ for Gray's test.
pub(crate) fn check_options(times: &[f64], conf_level: f64, rho: f64) -> Result<(), AnalysisError> {
    if let Some(t) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
        return Err(AnalysisError::invalid(
            "times",
            format!("{t} is not a time >= 0"),
        ));
    }
    if !(conf_level > 0.0 && conf_level < 1.0) {
        return Err(AnalysisError::invalid(
            "conf_level",
            format!("{conf_level} is not strictly between 0 and 1"),
        ));
    }
    if !rho.is_finite() {
        return Err(AnalysisError::invalid("rho", "must be a finite number"));
    }
    Ok(())
}

/// Runs a [`CumincRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &CumincRequest) -> Result<CumincOutput, AnalysisError> {
    run_with_fits(cohort, req).map(|(out, _, _)| out)
}

/// Runs a [`CumincRequest`] and returns the rows and the kernel's fits
/// per cause present too (figures draw them, with numbers at risk from
/// the rows).
pub fn run_with_fits(
    cohort: &Cohort,
    req: &CumincRequest,
) -> Result<(CumincOutput, CompetingData, Vec<CumInc>), AnalysisError> {
    let grouping = match &req.by {
        Some(by) => Some(cohort.grouping_of(by, None, req.levels.as_deref(), None)?),
        None => None,
    };
    fit(cohort, req, grouping)
}

/// Runs a [`CumincRequest`] with a grouping made by the caller (a study
/// file's `[groups]` with its own labels); `req.by` and `req.levels` only
/// name it in the output.
pub fn fit(
    cohort: &Cohort,
    req: &CumincRequest,
    grouping: Option<Grouping>,
) -> Result<(CumincOutput, CompetingData, Vec<CumInc>), AnalysisError> {
    check(req)?;
    let data = select(cohort, &req.endpoint, req.line, grouping.as_ref())?;
    let (out, fits) = fit_data(&data, req, grouping.map(|g| g.label), cohort.len())?;
    Ok((out, data, fits))
}

/// The output of competing-risks rows already selected (`by_label` names
/// the grouping, `cohort` is the cohort's size): what [`fit`] does after
/// [`select`]. The federated hub calls it on rows rebuilt from pooled
/// counts.
pub fn fit_data(
    data: &CompetingData,
    req: &CumincRequest,
    by_label: Option<String>,
    cohort: usize,
) -> Result<(CumincOutput, Vec<CumInc>), AnalysisError> {
    check(req)?;
    let spec = req.endpoint.spec()?;
    if data.time.is_empty() {
        return Err(AnalysisError::invalid(
            "cuminc",
            "no patient has this endpoint (and a group)",
        ));
    }
    let cr = CompetingRisks::new(&data.time, &data.status, Some(&data.group), None)
        .map_err(|e| AnalysisError::stats("cumulative incidence", e))?;
    let options = CumIncOptions {
        rho: req.rho,
        conf_level: req.conf_level,
        times: req.times.clone(),
    };
    let mut groups: Vec<GroupCounts> = data
        .labels
        .iter()
        .map(|l| GroupCounts {
            label: l.clone(),
            n: 0,
            events: vec![0; CAUSES.len()],
            censored: 0,
        })
        .collect();
    for (&g, &s) in data.group.iter().zip(&data.status) {
        let Some(c) = groups.get_mut(g) else { continue };
        c.n += 1;
        match s {
            0 => c.censored += 1,
            k => c.events[k as usize - 1] += 1,
        }
    }
    let mut curves = Vec::new();
    let mut gray = Vec::new();
    let mut fits = Vec::new();
    for (k, label) in CAUSES.iter().enumerate() {
        let code = k as u32 + 1;
        if !cr.causes().contains(&code) {
            continue;
        }
        let fit = cr
            .analyse(code, &options)
            .map_err(|e| AnalysisError::stats("cumulative incidence", e))?;
        for c in &fit.curves {
            curves.push(curve_out(c, &data.labels, label, code, req.steps));
        }
        if let Some(g) = &fit.gray {
            gray.push(GrayOut {
                cause: label.to_string(),
                cause_code: code,
                chisq: g.statistic,
                df: g.df,
                p: g.p,
                rho: g.rho,
            });
        }
        fits.push(fit);
    }
    let out = CumincOutput {
        title: format!(
            "Progression, death without progression competing, {} ({})",
            spec.from.phrase(),
            spec.units.code()
        ),
        endpoint: spec.endpoint.code().to_string(),
        from: spec.from.code(),
        units: spec.units.code().to_string(),
        by: req.by.clone(),
        by_label,
        cohort,
        analysed: data.time.len(),
        without_row: data.without_row,
        missing_group: data.missing_group,
        imputed_dates: data.imputed_dates,
        conf_level: req.conf_level,
        causes: CAUSES
            .iter()
            .enumerate()
            .map(|(k, l)| CauseOut {
                code: k as u32 + 1,
                label: l.to_string(),
            })
            .collect(),
        groups,
        curves,
        gray,
    };
    Ok((out, fits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CohortSpec, Settings};

    fn cohort(n: u64) -> Cohort {
        let cfg = netra_sim::SimConfig {
            patients: n,
            seed: 7,
            ..netra_sim::SimConfig::default()
        };
        let model = netra_sim::Model::published();
        let courses = (0..n)
            .map(|i| netra_sim::generate(model, &cfg, i))
            .collect();
        Cohort::new(courses, &CohortSpec::default(), Settings::default()).unwrap()
    }

    #[test]
    fn numbers_are_the_kernels_on_the_same_rows() {
        let c = cohort(400);
        let req = CumincRequest {
            by: Some("who_grade".into()),
            times: vec![6.0, 12.0, 36.0],
            ..CumincRequest::default()
        };
        let (out, data, fits) = run_with_fits(&c, &req).unwrap();
        assert!(out.analysed > 100, "{} analysed", out.analysed);
        assert_eq!(data.time.len(), out.analysed);
        let ev = |k: u32| data.status.iter().filter(|&&s| s == k).count();
        assert!(ev(1) > 0 && ev(2) > 0, "both causes occur");
        let totals: Vec<usize> = (0..2)
            .map(|k| out.groups.iter().map(|g| g.events[k]).sum())
            .collect();
        assert_eq!(totals, vec![ev(1), ev(2)]);
        assert_eq!(out.groups.iter().map(|g| g.censored).sum::<usize>(), ev(0));
        let mut k = 0;
        for cause in [1u32, 2] {
            let direct = netra_stats::cuminc::cuminc(
                &data.time,
                &data.status,
                Some(&data.group),
                None,
                cause,
                &CumIncOptions {
                    times: req.times.clone(),
                    ..CumIncOptions::default()
                },
            )
            .unwrap();
            assert_eq!(fits[cause as usize - 1], direct);
            for c in &direct.curves {
                let o = &out.curves[k];
                k += 1;
                assert_eq!(o.cause_code, cause);
                assert_eq!(o.group, data.labels[c.group]);
                assert_eq!(o.events, c.events);
                for (p, q) in o.at_times.iter().zip(&c.at_times) {
                    assert_eq!(p.estimate, q.estimate);
                    assert_eq!(p.variance, q.variance);
                    assert_eq!(p.lower, q.lower);
                }
                let steps = o.steps.as_ref().unwrap();
                assert_eq!(steps.len(), c.steps.len());
                assert!(
                    steps
                        .iter()
                        .zip(&c.steps)
                        .all(|(a, b)| a.estimate == Some(b.estimate))
                );
            }
            let g = direct.gray.unwrap();
            let o = out.gray.iter().find(|t| t.cause_code == cause).unwrap();
            assert_eq!((o.chisq, o.p, o.df), (g.statistic, g.p, g.df));
        }
        assert_eq!(k, out.curves.len());
    }

    #[test]
    fn status_follows_the_pfs_and_ttp_rows() {
        let c = cohort(300);
        let data = select(&c, &CumincRequest::default().endpoint, None, None).unwrap();
        let pfs = c
            .endpoint(
                &EndpointSpec::new(Endpoint::Pfs, netra_clinical::endpoints::TimeZero::Line(1)),
                None,
            )
            .unwrap();
        let ttp = c
            .endpoint(
                &EndpointSpec::new(Endpoint::Ttp, netra_clinical::endpoints::TimeZero::Line(1)),
                None,
            )
            .unwrap();
        for (j, &i) in data.rows.iter().enumerate() {
            assert_eq!(Some(data.time[j]), pfs.time[i]);
            assert_eq!(data.status[j] != 0, pfs.event[i]);
            if data.status[j] == 1 {
                assert!(ttp.event[i]);
            }
        }
        // pfs names the same data
        let req = EndpointRequest {
            endpoint: "pfs".into(),
            ..CumincRequest::default().endpoint
        };
        assert_eq!(select(&c, &req, None, None).unwrap(), data);
    }

    #[test]
    fn the_registry_runs_it_by_name() {
        let c = cohort(200);
        let v = crate::analyses::run_json(
            &c,
            "cuminc",
            serde_json::json!({"by": "sex", "times": [12]}),
        )
        .unwrap();
        let direct = run(
            &c,
            &CumincRequest {
                by: Some("sex".into()),
                times: vec![12.0],
                ..CumincRequest::default()
            },
        )
        .unwrap();
        assert_eq!(v, serde_json::to_value(&direct).unwrap());
        assert_eq!(v["causes"][1]["label"], "death without progression");
        assert!(crate::analyses::run_json(&c, "cuminc", serde_json::json!({"typo": 1})).is_err());
    }

    #[test]
    fn bad_requests_are_errors_not_panics() {
        let c = cohort(50);
        let os = CumincRequest {
            endpoint: EndpointRequest::default(),
            ..CumincRequest::default()
        };
        assert!(run(&c, &os).unwrap_err().to_string().contains("ttp or pfs"));
        let bad_time = CumincRequest {
            times: vec![-1.0],
            ..CumincRequest::default()
        };
        assert!(run(&c, &bad_time).is_err());
        let bad_level = CumincRequest {
            conf_level: 1.0,
            ..CumincRequest::default()
        };
        assert!(run(&c, &bad_level).is_err());
        let json: CumincRequest = serde_json::from_str(r#"{"by":"sex","times":[12]}"#).unwrap();
        assert_eq!(json.endpoint.endpoint, "ttp");
        assert_eq!(json.endpoint.from, "line:1");
    }
}
