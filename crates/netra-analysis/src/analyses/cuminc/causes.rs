//! Cumulative incidence of one named cause among any number of competing
//! causes, per group, with Gray's test (optionally stratified): the data a
//! CSV status column gives (`netra cuminc`), where the registry analysis
//! ([`super::fit`]) has its two fixed causes. Same kernel, same outputs
//! ([`CurveOut`], [`GrayOut`], [`Point`]): R's `cmprsk::cuminc(ftime,
//! fstatus, group, strata, rho, cencode)` and `timepoints()`, with the
//! log(−log) interval.

use netra_stats::cuminc::{CompetingRisks, CumIncOptions};
use serde::{Deserialize, Serialize};

use super::{CurveOut, GrayOut, curve_out};
use crate::AnalysisError;
use crate::table::same_code;

/// Competing-risks rows with named causes.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CauseData {
    /// Follow-up time.
    pub time: Vec<f64>,
    /// 0 censored, k ≥ 1 a failure from `causes[k - 1]`.
    pub status: Vec<u32>,
    /// The failure causes, by status code − 1.
    pub causes: Vec<String>,
    /// 0-based group code per row (none: one group).
    pub group: Option<Vec<usize>>,
    /// Group labels in order (one label without groups).
    pub labels: Vec<String>,
    /// 0-based stratum code per row for Gray's test.
    pub strata: Option<Vec<usize>>,
}

/// Which cause, read where, how (defaults: cmprsk's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IncidenceRequest {
    /// The cause reported (one of the data's causes, as text or number).
    pub cause: String,
    /// Times at which the incidence is read (`timepoints`).
    pub times: Vec<f64>,
    /// Confidence level of the log(−log) intervals.
    pub conf_level: f64,
    /// Power of Gray's weight (1 − F(t−))^rho.
    pub rho: f64,
    /// Include every step of every curve.
    pub steps: bool,
}

impl Default for IncidenceRequest {
    fn default() -> Self {
        IncidenceRequest {
            cause: String::new(),
            times: Vec::new(),
            conf_level: 0.95,
            rho: 0.0,
            steps: true,
        }
    }
}

/// The answer to an [`IncidenceRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidenceOutput {
    /// The cause reported, as the data names it.
    pub cause: String,
    /// The other causes present.
    pub competing_causes: Vec<String>,
    /// Confidence level.
    pub conf_level: f64,
    /// One curve per non-empty group, in level order.
    pub curves: Vec<CurveOut>,
    /// Gray's test (`null` with one group).
    pub gray: Option<GrayOut>,
}

/// Cumulative incidence of `req.cause` in `data`. Kernel refusals are
/// `AnalysisError::Stats` with what = "cumulative incidence".
pub fn incidence(
    data: &CauseData,
    req: &IncidenceRequest,
) -> Result<IncidenceOutput, AnalysisError> {
    super::check_options(&req.times, req.conf_level, req.rho)?;
    let Some(k) = data.causes.iter().position(|c| same_code(c, &req.cause)) else {
        return Err(AnalysisError::invalid(
            "cause",
            format!(
                "'{}' is not a cause of failure in the data (causes: {})",
                req.cause,
                data.causes.join(", ")
            ),
        ));
    };
    let code = k as u32 + 1;
    let stats =
        |e: netra_stats::cuminc::CumIncError| AnalysisError::stats("cumulative incidence", e);
    let cr = CompetingRisks::new(
        &data.time,
        &data.status,
        data.group.as_deref(),
        data.strata.as_deref(),
    )
    .map_err(stats)?;
    let options = CumIncOptions {
        rho: req.rho,
        conf_level: req.conf_level,
        times: req.times.clone(),
    };
    let fit = cr.analyse(code, &options).map_err(stats)?;
    let label = data.causes[k].clone();
    let curves = fit
        .curves
        .iter()
        .map(|c| curve_out(c, &data.labels, &label, code, req.steps))
        .collect();
    Ok(IncidenceOutput {
        competing_causes: data
            .causes
            .iter()
            .filter(|c| **c != label)
            .cloned()
            .collect(),
        cause: label,
        conf_level: req.conf_level,
        curves,
        gray: fit.gray.map(|g| GrayOut {
            cause: data.causes[k].clone(),
            cause_code: code,
            chisq: g.statistic,
            df: g.df,
            p: g.p,
            rho: g.rho,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(strata: bool) -> CauseData {
        CauseData {
            time: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0],
            status: vec![1, 2, 0, 1, 1, 2, 1, 0, 3, 1],
            causes: vec!["1".into(), "2".into(), "relapse".into()],
            group: Some(vec![0, 1, 0, 1, 0, 1, 0, 1, 0, 1]),
            labels: vec!["a".into(), "b".into()],
            strata: strata.then(|| vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1]),
        }
    }

    #[test]
    fn the_cause_is_found_as_a_number_and_others_compete() {
        let req = IncidenceRequest {
            cause: "1.0".into(),
            times: vec![5.0, 20.0],
            ..IncidenceRequest::default()
        };
        let out = incidence(&data(false), &req).unwrap();
        assert_eq!(out.cause, "1");
        assert_eq!(out.competing_causes, vec!["2", "relapse"]);
        let a = &out.curves[0];
        assert_eq!((a.group.as_str(), a.n, a.events), ("a", 5, 3));
        assert_eq!(a.competing_events, 1);
        // Read after the last follow-up: no estimate, as timepoints() gives NA.
        assert_eq!(a.at_times[1].estimate, None);
        assert!(a.at_times[0].estimate.unwrap() > 0.0);
    }

    #[test]
    fn strata_reach_grays_test() {
        let req = IncidenceRequest {
            cause: "1".into(),
            ..IncidenceRequest::default()
        };
        let plain = incidence(&data(false), &req).unwrap().gray.unwrap();
        let stratified = incidence(&data(true), &req).unwrap().gray.unwrap();
        let direct = CompetingRisks::new(
            &data(true).time,
            &data(true).status,
            data(true).group.as_deref(),
            data(true).strata.as_deref(),
        )
        .unwrap()
        .analyse(1, &CumIncOptions::default())
        .unwrap()
        .gray
        .unwrap();
        assert_eq!(stratified.chisq, direct.statistic);
        assert_ne!(plain.chisq, stratified.chisq);
    }

    #[test]
    fn an_absent_cause_and_a_bad_level_are_refused() {
        let req = IncidenceRequest {
            cause: "death".into(),
            ..IncidenceRequest::default()
        };
        assert_eq!(incidence(&data(false), &req).unwrap_err().what(), "cause");
        let req = IncidenceRequest {
            cause: "1".into(),
            conf_level: 1.0,
            ..IncidenceRequest::default()
        };
        assert_eq!(
            incidence(&data(false), &req).unwrap_err().what(),
            "conf_level"
        );
    }
}
