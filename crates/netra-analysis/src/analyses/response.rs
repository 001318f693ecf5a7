//! Response rates of a line of therapy: objective response (CR + PR) and
//! disease control (CR, PR, MR, SD, non-CR/non-PD) with confidence
//! intervals by the requested method ([`CiMethod`], exact Clopper–Pearson
//! by default), overall and by group.
//!
//! The denominator is the evaluable patients of the line
//! (`Evaluation::evaluable`: measurable disease at baseline, or an
//! investigator's response, and a best response other than NE) — one rule
//! for every surface, as `docs/endpoints.md` states.

use netra_clinical::response::Category;
use netra_stats::classical::binomial::proportion;
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::cohort::Cohort;
use crate::inference::CiMethod;

/// Response rates of line `line`, optionally by a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseRequest {
    /// The line of systemic therapy (1-based).
    pub line: u32,
    /// The grouping variable (none: all patients).
    pub by: Option<String>,
    /// The levels compared, in order; none: all.
    pub levels: Option<Vec<String>>,
    /// Confidence level of the intervals.
    pub conf_level: f64,
    /// The interval of the rates (default: exact Clopper–Pearson).
    pub ci_method: CiMethod,
}

impl Default for ResponseRequest {
    fn default() -> Self {
        ResponseRequest {
            line: 1,
            by: None,
            levels: None,
            conf_level: 0.95,
            ci_method: CiMethod::default(),
        }
    }
}

/// A rate with its interval (the output's `ci` names the method).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rate {
    /// Patients with the outcome.
    pub count: u64,
    /// Proportion (`null` without evaluable patients).
    pub estimate: Option<f64>,
    /// Lower limit.
    pub lower: Option<f64>,
    /// Upper limit.
    pub upper: Option<f64>,
}

/// One group's responses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupResponse {
    /// Group label.
    pub label: String,
    /// Evaluable patients (the denominator).
    pub evaluable: u64,
    /// Objective response (CR + PR).
    pub orr: Rate,
    /// Disease control.
    pub dcr: Rate,
    /// Count of each best response, best first (CR, PR, MR, SD,
    /// non-CR/non-PD, PD).
    pub categories: Vec<(String, u64)>,
}

/// The answer to a [`ResponseRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseOutput {
    /// The line.
    pub line: u32,
    /// Grouping variable.
    pub by: Option<String>,
    /// Printed name of the grouping.
    pub by_label: Option<String>,
    /// Patients in the cohort.
    pub cohort: usize,
    /// Patients without the line or not evaluable on it.
    pub not_evaluable: usize,
    /// Evaluable patients without a group.
    pub missing_group: usize,
    /// All evaluable patients.
    pub overall: GroupResponse,
    /// Per group, in level order.
    pub groups: Vec<GroupResponse>,
    /// The interval's printed name ("Clopper-Pearson", "Wilson", …).
    #[serde(default)]
    pub ci: String,
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
    let p = proportion(x, n, method.method(), level)
        .map_err(|e| AnalysisError::stats("response rate", e))?;
    Ok(Rate {
        count: x,
        estimate: Some(p.estimate),
        lower: Some(p.lower),
        upper: Some(p.upper),
    })
}

/// Rates of one group of best responses (all evaluable), with exact
/// Clopper–Pearson intervals.
pub fn group_response(
    label: &str,
    best: &[Category],
    level: f64,
) -> Result<GroupResponse, AnalysisError> {
    group_response_with(label, best, level, CiMethod::ClopperPearson)
}

/// [`group_response`] with the interval `method`.
pub fn group_response_with(
    label: &str,
    best: &[Category],
    level: f64,
    method: CiMethod,
) -> Result<GroupResponse, AnalysisError> {
    let n = best.len() as u64;
    let orr = best.iter().filter(|c| c.is_objective()).count() as u64;
    let dcr = best.iter().filter(|c| c.is_disease_control()).count() as u64;
    let categories = Category::BEST_FIRST
        .iter()
        .filter(|c| **c != Category::NE)
        .map(|c| {
            (
                c.label().to_string(),
                best.iter().filter(|b| *b == c).count() as u64,
            )
        })
        .collect();
    Ok(GroupResponse {
        label: label.to_string(),
        evaluable: n,
        orr: rate(orr, n, level, method)?,
        dcr: rate(dcr, n, level, method)?,
        categories,
    })
}

/// Runs a [`ResponseRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &ResponseRequest) -> Result<ResponseOutput, AnalysisError> {
    if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
        return Err(AnalysisError::invalid(
            "conf_level",
            format!("{} is not strictly between 0 and 1", req.conf_level),
        ));
    }
    let best = cohort.line_responses(req.line)?;
    let grouping = match &req.by {
        Some(by) => Some(cohort.grouping_of(by, None, req.levels.as_deref(), None)?),
        None => None,
    };
    let evaluable: Vec<Category> = best.iter().flatten().copied().collect();
    let overall = group_response_with("All patients", &evaluable, req.conf_level, req.ci_method)?;
    let mut groups = Vec::new();
    let mut missing_group = 0;
    if let Some(g) = &grouping {
        let mut per: Vec<Vec<Category>> = vec![Vec::new(); g.levels.len()];
        for (b, c) in best.iter().zip(&g.codes) {
            match (b, c) {
                (Some(b), Some(c)) => per[*c].push(*b),
                (Some(_), None) => missing_group += 1,
                _ => {}
            }
        }
        for (label, p) in g.levels.iter().zip(&per) {
            groups.push(group_response_with(
                label,
                p,
                req.conf_level,
                req.ci_method,
            )?);
        }
    }
    Ok(ResponseOutput {
        line: req.line,
        by: req.by.clone(),
        by_label: grouping.map(|g| g.label),
        cohort: cohort.len(),
        not_evaluable: best.iter().filter(|b| b.is_none()).count(),
        missing_group,
        overall,
        groups,
        ci: req.ci_method.label().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_method_sets_the_interval_and_its_name() {
        // 1 PR out of 4: R binom.test(1, 4)$conf.int = 0.00630946320971, 0.80587955031676;
        // prop.test(1, 4, correct = FALSE)$conf.int = 0.0455872608097, 0.6993581574176.
        let best = [Category::PR, Category::SD, Category::PD, Category::PD];
        let cp = group_response("g", &best, 0.95).unwrap();
        let w = group_response_with("g", &best, 0.95, CiMethod::Wilson).unwrap();
        assert!((cp.orr.lower.unwrap() - 0.006_309_463_209_71).abs() < 1e-10);
        assert!((w.orr.lower.unwrap() - 0.045_587_260_809_7).abs() < 1e-10);
        assert!((w.orr.upper.unwrap() - 0.699_358_157_417_6).abs() < 1e-10);
        let empty = group_response_with("g", &[], 0.95, CiMethod::Jeffreys).unwrap();
        assert_eq!(empty.orr.lower, None);
        let req: ResponseRequest =
            serde_json::from_value(serde_json::json!({"ci_method": "agresti-coull"})).unwrap();
        assert_eq!(req.ci_method, CiMethod::AgrestiCoull);
    }
}
