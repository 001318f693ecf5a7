//! Federated response rates: the analysis layer's `response` (ORR and DCR
//! of a line with exact or other intervals, by group) and `rates` (counts
//! per best response, ORR and DCR, Fisher's exact test across groups).
//!
//! One masked sum: patients in the cohort, patients without a best
//! response on the line, evaluable patients without a group; then per
//! best-response category (`Category::BEST_FIRST`) the evaluable patients
//! overall and per group. Both analyses depend on the patients only
//! through these counts, so the hub rebuilds each group's list of
//! categories and calls the layer's own `group_response_with` / `rates`.

use std::collections::BTreeMap;

use netra_analysis::analyses::rates::{self, RatesRequest};
use netra_analysis::analyses::response::{self, ResponseOutput, ResponseRequest};
use netra_analysis::variables::{Column, Level};
use netra_clinical::response::Category;
use serde_json::{Value, json};

use crate::node::Local;
use crate::protocol::{FederationError, NodeId, Refusal};
use crate::ring::R256;
use crate::secure::{Plan, Step};
use crate::survival::{count, grouping, levels_json, levels_of, merge_levels, wanted_levels};

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        reason: reason.into(),
    }
}

const K: usize = Category::BEST_FIRST.len();

/// The request's line, grouping and levels (the two requests share them).
struct Common {
    line: u32,
    by: Option<String>,
    levels: Option<Vec<String>>,
}

fn common(analysis: &str, request: &Value) -> Result<Common, String> {
    let bad = |e: serde_json::Error| format!("request of '{analysis}': {e}");
    if analysis == "rates" {
        let r: RatesRequest = serde_json::from_value(request.clone()).map_err(bad)?;
        Ok(Common {
            line: r.line,
            by: r.by,
            levels: r.levels,
        })
    } else {
        let r: ResponseRequest = serde_json::from_value(request.clone()).map_err(bad)?;
        Ok(Common {
            line: r.line,
            by: r.by,
            levels: r.levels,
        })
    }
}

/// Best responses and group codes of the node's patients.
type Best = (Vec<Option<Category>>, Vec<Option<usize>>);

fn best(local: &Local<'_>, c: &Common, codes: Option<&[String]>) -> Result<Best, Refusal> {
    let b = local
        .cohort
        .line_responses(c.line)
        .map_err(|e| refuse(e.to_string()))?;
    let g = grouping(local.cohort, c.by.as_deref(), codes)?;
    Ok((b, g.codes))
}

/// The keys round: levels of `by`, the small-cell rule, the evaluable
/// patients.
pub(crate) fn node_meta(
    local: &Local<'_>,
    analysis: &str,
    request: &Value,
) -> Result<(Value, Vec<usize>), Refusal> {
    let c = common(analysis, request).map_err(refuse)?;
    let (levels, by_label): (Vec<Level>, Option<String>) = match &c.by {
        None => (Vec::new(), None),
        Some(by) => {
            let v = local
                .cohort
                .variable(by)
                .map_err(|e| refuse(e.to_string()))?;
            let Column::Cat { levels, .. } = &v.column else {
                return Err(refuse(format!("variable '{by}' is not categorical")));
            };
            (levels.clone(), Some(v.label.clone()))
        }
    };
    let codes: Vec<String> = levels.iter().map(|l| l.code.clone()).collect();
    let (b, g) = best(local, &c, c.by.as_ref().map(|_| codes.as_slice()))?;
    let groups = levels.len().max(1);
    let mut n = vec![0usize; groups];
    let mut rows = Vec::new();
    for (i, (b, g)) in b.iter().zip(&g).enumerate() {
        if b.is_some() {
            rows.push(i);
            if let Some(g) = g {
                n[*g] += 1;
            }
        }
    }
    let min = local.policy.min_cell;
    if let Some(k) = (0..groups).find(|&k| n[k] > 0 && n[k] < min) {
        let label = levels.get(k).map_or("All patients", |l| l.label.as_str());
        return Err(refuse(format!(
            "group '{label}' has fewer than {min} evaluable patients at {}: merge levels or \
             leave the grouping out (minimum cell size)",
            local.node
        )));
    }
    Ok((
        json!({"levels": levels_json(&levels), "by_label": by_label}),
        rows,
    ))
}

fn slot(c: Category) -> usize {
    Category::BEST_FIRST
        .iter()
        .position(|x| *x == c)
        .unwrap_or(K - 1)
}

/// The node's vector.
pub(crate) fn node_vector(
    local: &Local<'_>,
    analysis: &str,
    request: &Value,
    params: &Value,
) -> Result<Vec<R256>, Refusal> {
    let c = common(analysis, request).map_err(refuse)?;
    let codes: Option<Vec<String>> = serde_json::from_value(params["codes"].clone()).ok();
    let groups = codes.as_ref().map_or(1, Vec::len);
    let (b, g) = best(local, &c, codes.as_deref())?;
    let mut v = vec![0u64; 3 + K * (1 + groups)];
    v[0] = local.cohort.len() as u64;
    for (b, g) in b.iter().zip(&g) {
        match (b, g) {
            (None, _) => v[1] += 1,
            (Some(b), g) => {
                v[3 + slot(*b)] += 1;
                match g {
                    Some(g) if *g < groups => v[3 + K * (1 + g) + slot(*b)] += 1,
                    _ => v[2] += 1,
                }
            }
        }
    }
    Ok(v.into_iter().map(R256::count).collect())
}

/// The hub's plan of either analysis.
pub(crate) struct ResponsePlan {
    analysis: String,
    request: Value,
    common: Common,
    codes: Option<Vec<String>>,
    labels: Vec<String>,
    by_label: Option<String>,
}

impl ResponsePlan {
    pub(crate) fn new(analysis: &str, request: &Value) -> Result<ResponsePlan, FederationError> {
        let common = common(analysis, request).map_err(FederationError::Analysis)?;
        Ok(ResponsePlan {
            analysis: analysis.to_owned(),
            request: request.clone(),
            common,
            codes: None,
            labels: vec!["All patients".into()],
            by_label: None,
        })
    }

    fn categories(pooled: &[R256], at: usize) -> Result<Vec<Category>, FederationError> {
        let mut out = Vec::new();
        for (k, c) in Category::BEST_FIRST.iter().enumerate() {
            for _ in 0..count(pooled[at + k])? {
                out.push(*c);
            }
        }
        Ok(out)
    }

    fn output(&self, pooled: &[R256]) -> Result<Value, FederationError> {
        let err = |e: netra_analysis::AnalysisError| FederationError::Analysis(e.to_string());
        let groups: Vec<(String, Vec<Category>)> = if self.codes.is_some() {
            self.labels
                .iter()
                .enumerate()
                .map(|(g, l)| Ok((l.clone(), Self::categories(pooled, 3 + K * (1 + g))?)))
                .collect::<Result<_, FederationError>>()?
        } else {
            vec![("All patients".into(), Self::categories(pooled, 3)?)]
        };
        if self.analysis == "rates" {
            let req: RatesRequest =
                serde_json::from_value(self.request.clone()).map_err(|e| err_text(&e))?;
            let groups: Vec<(String, Vec<Category>)> =
                groups.into_iter().filter(|(_, c)| !c.is_empty()).collect();
            if groups.is_empty() {
                return Err(FederationError::Analysis(format!(
                    "rates: no patient is evaluable on line {}",
                    req.line
                )));
            }
            let out = rates::rates(&groups, req.ci_method, req.conf_level).map_err(err)?;
            return serde_json::to_value(out).map_err(|e| err_text(&e));
        }
        let req: ResponseRequest =
            serde_json::from_value(self.request.clone()).map_err(|e| err_text(&e))?;
        if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
            return Err(FederationError::Analysis(format!(
                "conf_level: {} is not strictly between 0 and 1",
                req.conf_level
            )));
        }
        let all = Self::categories(pooled, 3)?;
        let overall =
            response::group_response_with("All patients", &all, req.conf_level, req.ci_method)
                .map_err(err)?;
        let groups = if self.codes.is_some() {
            groups
                .iter()
                .map(|(l, c)| response::group_response_with(l, c, req.conf_level, req.ci_method))
                .collect::<Result<Vec<_>, _>>()
                .map_err(err)?
        } else {
            Vec::new()
        };
        let out = ResponseOutput {
            line: req.line,
            by: req.by.clone(),
            by_label: self.by_label.clone(),
            cohort: count(pooled[0])? as usize,
            not_evaluable: count(pooled[1])? as usize,
            missing_group: count(pooled[2])? as usize,
            overall,
            groups,
            ci: req.ci_method.label().to_string(),
        };
        serde_json::to_value(out).map_err(|e| err_text(&e))
    }
}

fn err_text(e: &impl std::fmt::Display) -> FederationError {
    FederationError::Analysis(e.to_string())
}

impl Plan for ResponsePlan {
    fn begin(&mut self, metas: &BTreeMap<NodeId, Value>) -> Result<Step, FederationError> {
        if let Some(by) = &self.common.by {
            let lists: Vec<Vec<Level>> = metas.values().map(levels_of).collect();
            let merged = merge_levels(by, &lists);
            let chosen = wanted_levels(by, &merged, self.common.levels.as_deref())?;
            self.codes = Some(chosen.iter().map(|l| l.code.clone()).collect());
            self.labels = chosen.iter().map(|l| l.label.clone()).collect();
            self.by_label = metas
                .values()
                .find_map(|m| m["by_label"].as_str().map(str::to_owned));
        }
        Ok(Step::Sum {
            step: "counts".into(),
            params: json!({ "codes": self.codes }),
            len: 3 + K * (1 + self.labels.len()),
        })
    }

    fn next(&mut self, pooled: Vec<R256>) -> Result<Step, FederationError> {
        Ok(Step::Done(self.output(&pooled)?))
    }
}
