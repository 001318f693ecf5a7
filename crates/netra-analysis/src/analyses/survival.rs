//! Survival by group: Kaplan–Meier curves per group (n, events, median with
//! its confidence interval, survival at landmark times, RMST), the curve of
//! all patients, and the log-rank test across groups — the summary that
//! survival tables, KM figures, the web's analysis page and `netra km`
//! print.
//!
//! Computed from the additive partial aggregates of [`crate::partial`]
//! (per group × distinct time counts), so that the same result can be
//! assembled from parts computed elsewhere. Matches R's `survfit` (median
//! by `print.survfit`'s rule, rates by `summary(fit, times, extend =
//! FALSE)`) and `survdiff`. The whole log-rank family (weights, strata,
//! trend, pairwise) is [`logrank`].
//!
//! Two additions papers ask for: the median follow-up by the reverse
//! Kaplan–Meier method ([`FollowUpOut`], R's `survfit(Surv(time, 1 -
//! status) ~ 1)`, with the range of follow-up times), always computed over
//! all analysed rows; and, when `median_ci_spss` is set, the median's
//! symmetric interval as SPSS prints it ([`SymmetricMedianOut`], median ±
//! z·SE, `netra_stats::km` module `spss` documents the standard error)
//! next to R's default. The follow-up is computed from the rows, not from
//! the partial aggregates (the reverse curve would need the censoring
//! counts evaluated as events; the cells hold them, the evaluation is not
//! written yet).

pub mod logrank;

pub use netra_stats::km::KmCurve;
/// Per-group results as the kernel reports them (for surfaces that print them).
pub use netra_stats::km::{AtTime as KmAtTime, Quantile, Rmst};
use netra_stats::km::{ConfType, KmOptions};
use netra_stats::logrank::Weights;
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::cohort::{Cohort, Grouping};
use crate::endpoint::EndpointRequest;
use crate::partial::SurvivalPartial;

/// Right-censored data ready for the kernels: one row per patient
/// analysed, with a 0-based group code.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurvivalData {
    /// Follow-up time.
    pub time: Vec<f64>,
    /// Event (true) or censored.
    pub event: Vec<bool>,
    /// Group code per row (all 0 without groups).
    pub group: Vec<u32>,
    /// Group labels in order (one entry, "All patients", without groups).
    pub labels: Vec<String>,
    /// Case weights, if any.
    pub weights: Option<Vec<f64>>,
}

/// How curves are summarised (defaults: R's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurvivalOptions {
    /// Times at which survival is read (`summary(fit, times)`).
    pub landmarks: Vec<f64>,
    /// Interval transformation: `log`, `log-log`, `plain`, `logit`,
    /// `arcsin`.
    pub conf_type: String,
    /// Confidence level.
    pub conf_level: f64,
    /// Restricted mean survival time up to this time.
    pub rmst_tau: Option<f64>,
    /// Include every step of every curve.
    pub steps: bool,
    /// Also the median's symmetric interval as SPSS prints it (median ±
    /// z·SE), next to R's.
    pub median_ci_spss: bool,
    /// Read a landmark after a group's last time as `summary(fit, times,
    /// extend = TRUE)` does (the last estimate, 0 at risk). Without it (R's
    /// default) such a landmark has no estimate: its row is kept with
    /// `null` values and 0 at risk, so that rows line up across groups.
    pub extend: bool,
}

impl Default for SurvivalOptions {
    fn default() -> Self {
        SurvivalOptions {
            landmarks: Vec::new(),
            conf_type: "log".into(),
            conf_level: 0.95,
            rmst_tau: None,
            steps: false,
            median_ci_spss: false,
            extend: false,
        }
    }
}

impl SurvivalOptions {
    /// The kernel options.
    pub fn km_options(&self) -> Result<KmOptions, AnalysisError> {
        let conf_type = match self.conf_type.as_str() {
            "log" => ConfType::Log,
            "log-log" => ConfType::LogLog,
            "plain" => ConfType::Plain,
            "logit" => ConfType::Logit,
            "arcsin" => ConfType::Arcsin,
            other => {
                return Err(AnalysisError::invalid(
                    "conf_type",
                    format!("'{other}' is not one of log, log-log, plain, logit, arcsin"),
                ));
            }
        };
        if !(self.conf_level > 0.0 && self.conf_level < 1.0) {
            return Err(AnalysisError::invalid(
                "conf_level",
                format!("{} is not strictly between 0 and 1", self.conf_level),
            ));
        }
        if let Some(t) = self
            .landmarks
            .iter()
            .find(|t| !(t.is_finite() && **t >= 0.0))
        {
            return Err(AnalysisError::invalid(
                "landmarks",
                format!("{t} is not a time >= 0"),
            ));
        }
        Ok(KmOptions {
            conf_type,
            conf_level: self.conf_level,
            ..KmOptions::default()
        })
    }
}

/// One step of a curve.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Time.
    pub time: f64,
    /// Number at risk just before.
    pub n_risk: f64,
    /// Events at this time.
    pub n_event: f64,
    /// Censored at this time.
    pub n_censor: f64,
    /// S(t).
    pub survival: f64,
    /// Standard error of S(t) (`null` where R has NaN).
    pub std_err: Option<f64>,
    /// Lower limit.
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// The curve read at a landmark time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtTime {
    /// Requested time.
    pub time: f64,
    /// Number at risk.
    pub n_risk: f64,
    /// S(time); `null` after the group's last follow-up.
    pub survival: Option<f64>,
    /// Standard error.
    pub std_err: Option<f64>,
    /// Lower limit.
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// Restricted mean survival time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RmstOut {
    /// τ.
    pub tau: f64,
    /// Estimate.
    pub estimate: f64,
    /// Standard error.
    pub std_err: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// The median with the symmetric interval SPSS prints: median ± z·SE, the
/// standard error by Collett's density formula at the median (IBM SPSS
/// Statistics Algorithms, KM; `netra_stats::km` module `spss`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SymmetricMedianOut {
    /// The median as SPSS takes it (the first event time with S ≤ 0.5;
    /// R's median differs only where S is exactly 0.5 over an interval).
    pub estimate: f64,
    /// Its standard error.
    pub std_err: f64,
    /// estimate − z·SE (not clipped at 0, as SPSS prints it).
    pub lower: f64,
    /// estimate + z·SE.
    pub upper: f64,
}

/// Median follow-up by the reverse Kaplan–Meier method (censoring as the
/// event; R's `survfit(Surv(time, 1 - status) ~ 1)`) and the range of
/// follow-up times.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FollowUpOut {
    /// Median follow-up (`null` when the censoring curve does not reach
    /// 0.5, e.g. every patient had the event).
    pub median: Option<f64>,
    /// Lower confidence limit (the curve's interval type and level).
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
    /// Shortest follow-up time analysed.
    pub min: f64,
    /// Longest follow-up time analysed.
    pub max: f64,
    /// Patients censored (weighted): the events of the reverse curve.
    pub censored: f64,
}

/// The reverse Kaplan–Meier follow-up of `data` (all rows together);
/// `None` without rows.
pub fn follow_up(
    data: &SurvivalData,
    km: &KmOptions,
) -> Result<Option<FollowUpOut>, AnalysisError> {
    if data.time.is_empty() {
        return Ok(None);
    }
    let f = netra_stats::km::follow_up(&data.time, &data.event, data.weights.as_deref(), km)
        .map_err(|e| AnalysisError::stats("median follow-up", e))?;
    Ok(Some(FollowUpOut {
        median: f.median.estimate,
        lower: f.median.lower,
        upper: f.median.upper,
        min: f.min,
        max: f.max,
        censored: f.censored,
    }))
}

/// [`follow_up`] of unweighted `data` from its partial aggregate: the
/// reverse curve of the per-time counts (whole numbers, so the same curve
/// bit for bit, tested) instead of a second sort of the rows; the shortest
/// and longest times from the rows as [`follow_up`] takes them.
fn follow_up_of_counts(
    data: &SurvivalData,
    partial: &SurvivalPartial,
    km: &KmOptions,
) -> Result<Option<FollowUpOut>, AnalysisError> {
    let Some(curve) = partial.reverse_curve(km)? else {
        return Ok(None);
    };
    let (min, max) = data
        .time
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| {
            (lo.min(t), hi.max(t))
        });
    let m = curve.median();
    Ok(Some(FollowUpOut {
        median: m.estimate,
        lower: m.lower,
        upper: m.upper,
        min,
        max,
        censored: curve.events(),
    }))
}

/// One group's curve summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSurvival {
    /// Group label.
    pub label: String,
    /// Patients (rows).
    pub n: usize,
    /// Events (weighted).
    pub events: f64,
    /// Median, if reached.
    pub median: Option<f64>,
    /// Lower confidence limit of the median.
    pub median_lower: Option<f64>,
    /// Upper confidence limit of the median.
    pub median_upper: Option<f64>,
    /// Survival at each landmark.
    pub at_times: Vec<AtTime>,
    /// RMST, when asked for.
    pub rmst: Option<RmstOut>,
    /// Every step, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<Step>>,
    /// The median's symmetric interval as SPSS prints it, when asked for
    /// (`median_ci_spss`) and where it exists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_spss: Option<SymmetricMedianOut>,
}

/// A k-group test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestOut {
    /// Chi-square statistic.
    pub chisq: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// p-value.
    pub p: f64,
}

/// Curves by group and the log-rank test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalSummary {
    /// One entry per group, in level order (empty groups included, with
    /// n = 0).
    pub groups: Vec<GroupSurvival>,
    /// The log-rank test across the non-empty groups (`null` with fewer
    /// than two, or with case weights).
    pub logrank: Option<TestOut>,
    /// With exactly two groups and τ: RMST of the second minus the first
    /// (`survRM2`'s contrast), `null` otherwise.
    #[serde(default)]
    pub rmst_difference: Option<RmstDifferenceOut>,
    /// Median follow-up of all rows by the reverse Kaplan–Meier method
    /// (`null` without rows).
    #[serde(default)]
    pub follow_up: Option<FollowUpOut>,
}

/// The difference in restricted mean survival time between two groups.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RmstDifferenceOut {
    /// Second group's RMST minus the first's.
    pub estimate: f64,
    /// Standard error.
    pub std_err: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// Two-sided p-value (NaN when estimate and standard error are both 0).
    pub p: f64,
}

/// The RMST contrast of two groups' summaries (both need an RMST).
fn rmst_difference(groups: &[GroupSurvival], conf_level: f64) -> Option<RmstDifferenceOut> {
    let rmst = |r: &RmstOut| Rmst {
        tau: r.tau,
        estimate: r.estimate,
        std_err: r.std_err,
        lower: r.lower,
        upper: r.upper,
    };
    let [Some(a), Some(b)] = [groups.first()?.rmst.as_ref(), groups.get(1)?.rmst.as_ref()] else {
        return None;
    };
    if groups.len() != 2 {
        return None;
    }
    let d = netra_stats::km::rmst_difference(&rmst(a), &rmst(b), conf_level);
    Some(RmstDifferenceOut {
        estimate: d.estimate,
        std_err: d.std_err,
        lower: d.lower,
        upper: d.upper,
        p: d.p,
    })
}

fn some(x: f64) -> Option<f64> {
    (!x.is_nan()).then_some(x)
}

/// Summarises one curve.
pub fn group_survival(
    label: &str,
    c: &KmCurve,
    opts: &SurvivalOptions,
) -> Result<GroupSurvival, AnalysisError> {
    let what = || format!("survival of '{label}'");
    let m = c.median();
    let at_times = if c.is_empty() || opts.landmarks.is_empty() {
        Vec::new()
    } else {
        c.at_times(&opts.landmarks, opts.extend)
            .map_err(|e| AnalysisError::stats(what(), e))?
            .into_iter()
            .map(|a| AtTime {
                time: a.time,
                n_risk: a.n_risk,
                survival: a.survival,
                std_err: a.std_err,
                lower: a.lower,
                upper: a.upper,
            })
            .collect()
    };
    let rmst = match opts.rmst_tau {
        Some(tau) if !c.is_empty() => {
            let r = c.rmst(tau).map_err(|e| AnalysisError::stats(what(), e))?;
            Some(RmstOut {
                tau: r.tau,
                estimate: r.estimate,
                std_err: r.std_err,
                lower: r.lower,
                upper: r.upper,
            })
        }
        _ => None,
    };
    let steps = opts.steps.then(|| {
        (0..c.len())
            .map(|j| Step {
                time: c.time[j],
                n_risk: c.n_risk[j],
                n_event: c.n_event[j],
                n_censor: c.n_censor[j],
                survival: c.survival[j],
                std_err: some(c.std_err[j]),
                lower: some(c.lower[j]),
                upper: some(c.upper[j]),
            })
            .collect()
    });
    let median_spss = if opts.median_ci_spss {
        c.median_symmetric().map(|s| SymmetricMedianOut {
            estimate: s.estimate,
            std_err: s.std_err,
            lower: s.lower,
            upper: s.upper,
        })
    } else {
        None
    };
    Ok(GroupSurvival {
        label: label.to_string(),
        n: c.n,
        events: c.events(),
        median: m.estimate,
        median_lower: m.lower,
        median_upper: m.upper,
        at_times,
        rmst,
        steps,
        median_spss,
    })
}

/// Curves and the log-rank test of `data`, through the partial aggregates.
/// Returns the fitted curves too (figures draw them).
pub fn summarise(
    data: &SurvivalData,
    opts: &SurvivalOptions,
) -> Result<(SurvivalSummary, Vec<KmCurve>), AnalysisError> {
    let km = opts.km_options()?;
    let partial =
        SurvivalPartial::from_data(data).map_err(|e| AnalysisError::stats("survival", e))?;
    let follow_up = if data.weights.is_none() {
        follow_up_of_counts(data, &partial, &km)?
    } else {
        follow_up(data, &km)?
    };
    summarise_counts(
        &partial,
        &data.labels,
        data.weights.is_some(),
        opts,
        follow_up,
    )
}

/// [`summarise`] from a partial aggregate computed elsewhere (a query
/// engine's aggregation, parts merged from sites): the same curves and
/// tests; the median follow-up from the partial's reverse curve
/// ([`SurvivalPartial::reverse_curve`]), which is the rows' reverse
/// Kaplan–Meier curve. `labels` name the groups in code order; `weighted`
/// says whether the rows had case weights (the log-rank test is then not
/// reported, as by [`summarise`]).
pub fn summarise_partial(
    partial: &SurvivalPartial,
    labels: &[String],
    weighted: bool,
    opts: &SurvivalOptions,
) -> Result<(SurvivalSummary, Vec<KmCurve>), AnalysisError> {
    let km = opts.km_options()?;
    let follow_up = partial.reverse_curve(&km)?.map(|curve| {
        let cells = partial.counts().cells();
        let time = |c: Option<&netra_stats::partial::Cell>| c.map_or(f64::NAN, |c| c.time());
        let m = curve.median();
        FollowUpOut {
            median: m.estimate,
            lower: m.lower,
            upper: m.upper,
            min: time(cells.first()),
            max: time(cells.last()),
            censored: curve.events(),
        }
    });
    summarise_counts(partial, labels, weighted, opts, follow_up)
}

fn summarise_counts(
    partial: &SurvivalPartial,
    labels: &[String],
    weighted: bool,
    opts: &SurvivalOptions,
    follow_up: Option<FollowUpOut>,
) -> Result<(SurvivalSummary, Vec<KmCurve>), AnalysisError> {
    let km = opts.km_options()?;
    let curves = partial
        .km_curves(&km)
        .map_err(|e| AnalysisError::stats("survival", e))?;
    let groups = labels
        .iter()
        .zip(&curves)
        .map(|(l, c)| group_survival(l, c, opts))
        .collect::<Result<Vec<_>, _>>()?;
    let non_empty = curves.iter().filter(|c| !c.is_empty()).count();
    let logrank = if non_empty >= 2 && !weighted {
        partial.logrank(Weights::LogRank).ok().map(|t| TestOut {
            chisq: t.chisq,
            df: t.df,
            p: t.p,
        })
    } else {
        None
    };
    let rmst_difference = rmst_difference(&groups, opts.conf_level);
    Ok((
        SurvivalSummary {
            groups,
            logrank,
            rmst_difference,
            follow_up,
        },
        curves,
    ))
}

/// Survival of a registry cohort: an endpoint, optionally by a variable.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SurvivalRequest {
    /// The endpoint and its time zero.
    pub endpoint: EndpointRequest,
    /// For a `line:all` time zero: the line analysed.
    pub line: Option<u32>,
    /// The grouping variable (none: all patients).
    pub by: Option<String>,
    /// The levels compared, in order (codes or labels); none: all.
    pub levels: Option<Vec<String>>,
    /// How curves are summarised.
    #[serde(flatten)]
    pub options: SurvivalOptions,
}

/// The answer to a [`SurvivalRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurvivalOutput {
    /// "Overall survival from diagnosis (months)".
    pub title: String,
    /// Endpoint code.
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
    /// Patients analysed (a row for the endpoint and a group).
    pub analysed: usize,
    /// Patients without a row for the endpoint (no time zero).
    pub without_row: usize,
    /// Patients with a row but no group.
    pub missing_group: usize,
    /// Dates imputed in the analysed rows.
    pub imputed_dates: u64,
    /// All analysed patients together.
    pub overall: GroupSurvival,
    /// Per group, and the log-rank test.
    #[serde(flatten)]
    pub summary: SurvivalSummary,
}

/// The rows of `cohort` for an endpoint and grouping: the data and the
/// counts of who was left out.
pub struct Selected {
    /// Data by group.
    pub data: SurvivalData,
    /// Patients without a row.
    pub without_row: usize,
    /// Patients with a row but no group.
    pub missing_group: usize,
    /// Dates imputed over the kept rows.
    pub imputed_dates: u64,
    /// Cohort index of each row of `data`.
    pub rows: Vec<usize>,
}

/// Selects the rows of an endpoint by a grouping (all patients in one
/// group when `grouping` is `None`).
pub fn select(
    cohort: &Cohort,
    endpoint: &netra_clinical::endpoints::EndpointSpec,
    line: Option<u32>,
    grouping: Option<&Grouping>,
) -> Result<Selected, AnalysisError> {
    let e = cohort.endpoint(endpoint, line)?;
    let labels = grouping.map_or_else(|| vec!["All patients".to_string()], |g| g.levels.clone());
    let mut out = Selected {
        data: SurvivalData {
            labels,
            ..SurvivalData::default()
        },
        without_row: e.without_row,
        missing_group: 0,
        imputed_dates: 0,
        rows: Vec::new(),
    };
    for i in 0..e.time.len() {
        let Some(t) = e.time[i] else { continue };
        let code = match grouping {
            None => Some(0),
            Some(g) => g.codes[i],
        };
        let Some(code) = code else {
            out.missing_group += 1;
            continue;
        };
        out.data.time.push(t);
        out.data.event.push(e.event[i]);
        out.data.group.push(code as u32);
        out.imputed_dates += u64::from(e.imputed[i]);
        out.rows.push(i);
    }
    Ok(out)
}

/// Runs a [`SurvivalRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &SurvivalRequest) -> Result<SurvivalOutput, AnalysisError> {
    run_with_curves(cohort, req).map(|(out, _)| out)
}

/// Runs a [`SurvivalRequest`] and returns the fitted curves per group too
/// (figures draw them).
pub fn run_with_curves(
    cohort: &Cohort,
    req: &SurvivalRequest,
) -> Result<(SurvivalOutput, Vec<KmCurve>), AnalysisError> {
    let spec = req.endpoint.spec()?;
    let grouping = match &req.by {
        Some(by) => Some(cohort.grouping_of(by, None, req.levels.as_deref(), None)?),
        None => None,
    };
    let sel = select(cohort, &spec, req.line, grouping.as_ref())?;
    if sel.data.time.is_empty() {
        return Err(AnalysisError::invalid(
            "survival",
            "no patient has this endpoint (and a group)",
        ));
    }
    let (summary, curves) = summarise(&sel.data, &req.options)?;
    let all = SurvivalData {
        group: vec![0; sel.data.time.len()],
        labels: vec!["All patients".into()],
        ..sel.data.clone()
    };
    let (overall, _) = summarise(&all, &req.options)?;
    let out = SurvivalOutput {
        title: spec.param(req.line),
        endpoint: spec.endpoint.code().to_string(),
        from: spec.from.code(),
        units: spec.units.code().to_string(),
        by: req.by.clone(),
        by_label: grouping.map(|g| g.label),
        cohort: cohort.len(),
        analysed: sel.data.time.len(),
        without_row: sel.without_row,
        missing_group: sel.missing_group,
        imputed_dates: sel.imputed_dates,
        overall: overall.groups.into_iter().next().expect("one group"),
        summary,
    };
    Ok((out, curves))
}

#[cfg(test)]
mod follow_up_tests {
    use super::*;

    /// The follow-up from the counts equals the one from a second sort of
    /// the rows, bit for bit, on data with heavy ties, a zero time written
    /// -0, no censoring and no events, under every interval type.
    #[test]
    fn follow_up_of_counts_equals_follow_up_of_rows() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..200 {
            let n = 1 + (next() % 300) as usize;
            let distinct = 1 + next() % 40;
            let mut time: Vec<f64> = (0..n)
                .map(|_| (next() % distinct) as f64 * [1.0, 0.5, 7.25][case % 3])
                .collect();
            if case % 7 == 0 {
                time[0] = -0.0;
            }
            let event: Vec<bool> = (0..n)
                .map(|_| match case % 5 {
                    0 => true,
                    1 => false,
                    _ => next() % 3 != 0,
                })
                .collect();
            let groups = 1 + (next() % 3) as u32;
            let data = SurvivalData {
                time,
                event,
                group: (0..n)
                    .map(|_| (next() % u64::from(groups)) as u32)
                    .collect(),
                labels: (0..groups).map(|g| g.to_string()).collect(),
                weights: None,
            };
            let conf = ["log", "log-log", "plain", "logit", "arcsin"][case % 5];
            let opts = SurvivalOptions {
                conf_type: conf.into(),
                conf_level: [0.95, 0.9][case % 2],
                ..SurvivalOptions::default()
            };
            let km = opts.km_options().unwrap();
            let partial = SurvivalPartial::from_data(&data).unwrap();
            let fast = follow_up_of_counts(&data, &partial, &km).unwrap().unwrap();
            let rows = follow_up(&data, &km).unwrap().unwrap();
            let bits = |f: &FollowUpOut| {
                let o = |x: Option<f64>| x.map(f64::to_bits);
                (
                    o(f.median),
                    o(f.lower),
                    o(f.upper),
                    f.min.to_bits(),
                    f.max.to_bits(),
                    f.censored.to_bits(),
                )
            };
            assert_eq!(bits(&fast), bits(&rows), "case {case}: {fast:?} {rows:?}");
        }
    }
}
