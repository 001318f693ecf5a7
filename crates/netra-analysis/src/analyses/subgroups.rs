//! Subgroup analysis of a two-level comparison (an arm, a sequence, a
//! treatment class): its hazard ratio overall and within each level of
//! each subgrouping variable, with the test of interaction — the rows of a
//! subgroup forest plot ("everolimus after chemotherapy: HR 0.34;
//! chemotherapy-naive: HR 0.42; p for interaction 0.61").
//!
//! The comparison is a categorical variable of the dictionary (or a
//! study's derived variable); `reference` is the control level and
//! `versus` the compared one (by code or label; by default the first level
//! and the only other level with patients). Patients at any other level of
//! the comparison, or without the endpoint, are left out. Every hazard
//! ratio is `coxph(Surv ~ arm)` on its patients and the interaction is
//! `anova(coxph(Surv ~ arm + factor(g)), coxph(Surv ~ arm * factor(g)))`
//! with the Wald test of the `arm:g` coefficients beside it
//! (`netra_stats::cox::subgroup`, checked against R in
//! `validation/r/cox_terms.R`). A patient with an unknown subgroup counts
//! in the overall estimate only; `unknown` says how many.
//!
//! `netra_report::figure::forest` draws it (`forest_rows` in the study
//! and report crates): a heading per variable with its interaction p, a
//! row per level.

use netra_stats::cox::subgroup::{ArmEffect, subgroup};
use netra_stats::cox::{CoxOptions, Ties};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::analyses::survival::TestOut;
use crate::cohort::Cohort;
use crate::endpoint::EndpointRequest;
use crate::variables::Column;

/// A comparison's hazard ratio within subgroups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubgroupRequest {
    /// The endpoint and its time zero.
    pub endpoint: EndpointRequest,
    /// For a `line:all` time zero: the line analysed.
    pub line: Option<u32>,
    /// The categorical variable compared.
    pub arm: String,
    /// Its control level (code or label); the first level by default.
    pub reference: Option<String>,
    /// Its compared level (code or label); by default the only other level
    /// with patients.
    pub versus: Option<String>,
    /// Subgrouping variables (categorical), in order.
    pub subgroups: Vec<String>,
    /// `efron` (R's default) or `breslow`.
    pub ties: String,
    /// Confidence level of the hazard-ratio intervals.
    pub conf_level: f64,
}

impl Default for SubgroupRequest {
    fn default() -> Self {
        SubgroupRequest {
            endpoint: EndpointRequest::default(),
            line: None,
            arm: String::new(),
            reference: None,
            versus: None,
            subgroups: Vec::new(),
            ties: "efron".into(),
            conf_level: 0.95,
        }
    }
}

/// The comparison's hazard ratio in one set of patients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupEffect {
    /// The subgroup level's label (`null` for all patients).
    pub level: Option<String>,
    /// Patients.
    pub n: usize,
    /// Events.
    pub events: usize,
    /// Patients in the compared level (`versus`).
    pub n_versus: usize,
    /// Events in the compared level.
    pub events_versus: usize,
    /// Hazard ratio of `versus` against `reference` (`null`: not
    /// estimable).
    pub hr: Option<f64>,
    /// Lower confidence limit.
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
    /// Wald p-value.
    pub p: Option<f64>,
    /// Log hazard ratio.
    pub coef: Option<f64>,
    /// Its standard error.
    pub se: Option<f64>,
    /// Why there is no estimate ("no event", "one arm only"), or R's
    /// warnings.
    pub note: Option<String>,
}

/// The interaction of the comparison with one subgrouping variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionOut {
    /// Patients of the interaction models (subgroup known).
    pub n: usize,
    /// Likelihood-ratio test (R's `anova(fit0, fit1)`).
    pub lr: Option<TestOut>,
    /// Wald test of the interaction coefficients.
    pub wald: Option<TestOut>,
}

/// One subgrouping variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupVariable {
    /// The variable.
    pub variable: String,
    /// Its printed name.
    pub label: String,
    /// One per level, in the variable's order.
    pub levels: Vec<SubgroupEffect>,
    /// Patients of the analysis without a value.
    pub unknown: usize,
    /// The interaction test (`null` with fewer than two levels present).
    pub interaction: Option<InteractionOut>,
}

/// The answer to a [`SubgroupRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubgroupOutput {
    /// "Overall survival from diagnosis (months)".
    pub title: String,
    /// Endpoint code.
    pub endpoint: String,
    /// Time-zero code.
    pub from: String,
    /// Time unit.
    pub units: String,
    /// The compared variable.
    pub arm: String,
    /// Its printed name.
    pub arm_label: String,
    /// The control level's label.
    pub reference: String,
    /// The compared level's label.
    pub versus: String,
    /// `efron` or `breslow`.
    pub ties: String,
    /// Confidence level of the intervals.
    pub conf_level: f64,
    /// All patients of the analysis.
    pub overall: SubgroupEffect,
    /// One per subgrouping variable, in request order.
    pub subgroups: Vec<SubgroupVariable>,
}

fn effect(level: Option<String>, e: ArmEffect) -> SubgroupEffect {
    let c = e.coefficient.as_ref();
    // An infinite hazard ratio (monotone likelihood) is reported as not
    // estimable, as the Cox output does.
    let finite = c.is_some_and(|c| {
        c.hr.is_some_and(|h| h.is_finite() && h > 0.0) && c.hr_upper.is_some_and(f64::is_finite)
    });
    let pick =
        |f: fn(&netra_stats::cox::CoxCoefficient) -> Option<f64>| c.filter(|_| finite).and_then(f);
    SubgroupEffect {
        level,
        n: e.n,
        events: e.events,
        n_versus: e.n_arm,
        events_versus: e.events_arm,
        hr: pick(|c| c.hr),
        lower: pick(|c| c.hr_lower),
        upper: pick(|c| c.hr_upper),
        p: pick(|c| c.p),
        coef: pick(|c| c.coef),
        se: pick(|c| c.se),
        note: e
            .note
            .or_else(|| (c.is_some() && !finite).then(|| "not estimable".to_string())),
    }
}

fn test(t: netra_stats::cox::ChisqTest) -> TestOut {
    TestOut {
        chisq: t.chisq,
        df: t.df,
        p: t.p,
    }
}

/// Runs a [`SubgroupRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &SubgroupRequest) -> Result<SubgroupOutput, AnalysisError> {
    let spec = req.endpoint.spec()?;
    let ties = match req.ties.as_str() {
        "efron" => Ties::Efron,
        "breslow" => Ties::Breslow,
        other => {
            return Err(AnalysisError::invalid(
                "ties",
                format!("'{other}' is not one of efron, breslow"),
            ));
        }
    };
    if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
        return Err(AnalysisError::invalid(
            "conf_level",
            format!("{} is not strictly between 0 and 1", req.conf_level),
        ));
    }
    if req.arm.is_empty() {
        return Err(AnalysisError::invalid(
            "arm",
            "name the categorical variable compared",
        ));
    }
    let arm_var = cohort.variable(&req.arm)?;
    let Column::Cat { levels, codes } = &arm_var.column else {
        return Err(AnalysisError::invalid(
            "arm",
            format!(
                "'{}' is a number: compare the levels of a category",
                req.arm
            ),
        ));
    };
    let level_of = |what: &str, want: &str| {
        levels.iter().position(|l| l.matches(want)).ok_or_else(|| {
            AnalysisError::invalid(
                what,
                format!(
                    "'{want}' is not a level of '{}' (levels: {})",
                    req.arm,
                    levels
                        .iter()
                        .map(|l| l.label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })
    };
    let data = cohort.endpoint(&spec, req.line)?;
    let with_time = |i: usize| data.time[i].is_some_and(f64::is_finite);
    let reference = match &req.reference {
        Some(r) => level_of("reference", r)?,
        None => 0,
    };
    let versus = match &req.versus {
        Some(v) => level_of("versus", v)?,
        None => {
            let others: Vec<usize> = (0..levels.len())
                .filter(|&k| {
                    k != reference && (0..codes.len()).any(|i| codes[i] == Some(k) && with_time(i))
                })
                .collect();
            match others.as_slice() {
                [one] => *one,
                [] => {
                    return Err(AnalysisError::invalid(
                        "versus",
                        format!(
                            "'{}' has no patient with the endpoint outside the reference level",
                            req.arm
                        ),
                    ));
                }
                many => {
                    return Err(AnalysisError::invalid(
                        "versus",
                        format!(
                            "'{}' has {} other levels with patients ({}): name the one compared",
                            req.arm,
                            many.len(),
                            many.iter()
                                .map(|&k| levels[k].label.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ));
                }
            }
        }
    };
    if versus == reference {
        return Err(AnalysisError::invalid(
            "versus",
            "is the reference level: compare two different levels",
        ));
    }
    let rows: Vec<usize> = (0..cohort.len())
        .filter(|&i| with_time(i) && matches!(codes[i], Some(c) if c == reference || c == versus))
        .collect();
    let time: Vec<f64> = rows.iter().filter_map(|&i| data.time[i]).collect();
    let event: Vec<bool> = rows.iter().map(|&i| data.event[i]).collect();
    let arm: Vec<bool> = rows.iter().map(|&i| codes[i] == Some(versus)).collect();
    let opts = CoxOptions {
        ties,
        conf_level: req.conf_level,
        robust: Some(false),
        ..CoxOptions::default()
    };
    let stats = |e| AnalysisError::stats("subgroups", e);

    let mut overall = None;
    let mut subgroups = Vec::new();
    for name in &req.subgroups {
        let v = cohort.variable(name)?;
        let Column::Cat {
            levels: sub_levels,
            codes: sub_codes,
        } = &v.column
        else {
            return Err(AnalysisError::invalid(
                format!("subgroup '{name}'"),
                "is a number: subgroups are the levels of a category (define a derived \
                 variable that cuts it)",
            ));
        };
        let level: Vec<Option<usize>> = rows.iter().map(|&i| sub_codes[i]).collect();
        let fit = subgroup(&time, &event, &arm, &level, sub_levels.len(), &opts).map_err(stats)?;
        overall.get_or_insert_with(|| fit.overall.clone());
        subgroups.push(SubgroupVariable {
            variable: name.clone(),
            label: v.label.clone(),
            levels: fit
                .levels
                .into_iter()
                .zip(sub_levels)
                .map(|(e, l)| effect(Some(l.label.clone()), e))
                .collect(),
            unknown: level.iter().filter(|l| l.is_none()).count(),
            interaction: fit.interaction.map(|i| InteractionOut {
                n: i.n,
                lr: i.lr.map(test),
                wald: i.wald.map(test),
            }),
        });
    }
    let overall = match overall {
        Some(o) => o,
        None => {
            subgroup(&time, &event, &arm, &vec![None; rows.len()], 0, &opts)
                .map_err(stats)?
                .overall
        }
    };
    Ok(SubgroupOutput {
        title: spec.param(req.line),
        endpoint: spec.endpoint.code().to_string(),
        from: spec.from.code(),
        units: spec.units.code().to_string(),
        arm: req.arm.clone(),
        arm_label: arm_var.label.clone(),
        reference: levels[reference].label.clone(),
        versus: levels[versus].label.clone(),
        ties: req.ties.clone(),
        conf_level: req.conf_level,
        overall: effect(None, overall),
        subgroups,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_have_r_defaults_and_refuse_unknown_fields() {
        let r: SubgroupRequest = serde_json::from_str(r#"{"arm":"sex"}"#).unwrap();
        assert_eq!(r.ties, "efron");
        assert_eq!(r.conf_level, 0.95);
        assert!(serde_json::from_str::<SubgroupRequest>(r#"{"arms":"sex"}"#).is_err());
    }
}
