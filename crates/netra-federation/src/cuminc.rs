//! Federated cumulative incidence: the analysis layer's `cuminc`
//! (progression with death as the competing risk, by group: curves with
//! Gray's variance, values at times, Gray's test), pooled exactly.
//!
//! Like [`crate::survival`]: `totals` (cohort, analysed, without a row,
//! without a group, imputed dates; the range vector) and `grid` (per group
//! and grid day: censored, progressed, died without progression). The
//! estimator and Gray's test (unweighted, exact times, as cmprsk) depend
//! on the rows only through these counts, so the hub rebuilds the pooled
//! rows and runs the layer's `cuminc::fit_data` on them.

use std::collections::BTreeMap;

use netra_analysis::analyses::cuminc::{self, CompetingData, CumincRequest};
use netra_analysis::variables::{Column, Level};
use serde_json::{Value, json};

use crate::grid;
use crate::grid_plan::GridRun;
use crate::node::Local;
use crate::protocol::{FederationError, NodeId, Refusal};
use crate::ring::R256;
use crate::secure::{Plan, Step};
use crate::survival::{count, grouping, levels_json};

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        reason: reason.into(),
    }
}

fn parse(request: &Value) -> Result<CumincRequest, String> {
    serde_json::from_value(request.clone()).map_err(|e| format!("request of 'cuminc': {e}"))
}

/// Statuses per cell: censored, cause 1, cause 2.
const STATUSES: usize = 3;

/// The node's competing-risks rows over the global level codes.
fn select(
    local: &Local<'_>,
    req: &CumincRequest,
    codes: Option<&[String]>,
) -> Result<CompetingData, Refusal> {
    let g = grouping(local.cohort, req.by.as_deref(), codes)?;
    cuminc::select(local.cohort, &req.endpoint, req.line, Some(&g))
        .map_err(|e| refuse(e.to_string()))
}

/// The keys round: the levels of `by` (clear), the small-cell rule, the
/// analysed patients.
pub(crate) fn node_meta(
    local: &Local<'_>,
    request: &Value,
) -> Result<(Value, Vec<usize>), Refusal> {
    let req = parse(request).map_err(refuse)?;
    let levels: Vec<Level> = match &req.by {
        None => Vec::new(),
        Some(by) => {
            let v = local
                .cohort
                .variable(by)
                .map_err(|e| refuse(e.to_string()))?;
            let Column::Cat { levels, .. } = &v.column else {
                return Err(refuse(format!("variable '{by}' is not categorical")));
            };
            levels.clone()
        }
    };
    let codes: Vec<String> = levels.iter().map(|l| l.code.clone()).collect();
    let data = select(local, &req, req.by.as_ref().map(|_| codes.as_slice()))?;
    let groups = levels.len().max(1);
    let mut n = vec![0usize; groups];
    for &g in &data.group {
        n[g] += 1;
    }
    let min = local.policy.min_cell;
    if let Some(k) = (0..groups).find(|&k| n[k] > 0 && n[k] < min) {
        let label = levels.get(k).map_or("All patients", |l| l.label.as_str());
        return Err(refuse(format!(
            "group '{label}' has fewer than {min} patients at {}: merge levels or leave \
             the grouping out (minimum cell size)",
            local.node
        )));
    }
    let by_label = match &req.by {
        Some(by) => local.cohort.variable(by).ok().map(|v| v.label.clone()),
        None => None,
    };
    let meta = json!({
        "levels": levels_json(&levels),
        "by_label": by_label,
        "bin_days": local.policy.time_bin_days,
    });
    Ok((meta, data.rows))
}

/// A node's vector for a sum of the plan.
pub(crate) fn node_vector(
    local: &Local<'_>,
    request: &Value,
    step: &str,
    params: &Value,
) -> Result<Vec<R256>, Refusal> {
    let req = parse(request).map_err(refuse)?;
    let spec = req.endpoint.spec().map_err(|e| refuse(e.to_string()))?;
    let codes: Option<Vec<String>> = serde_json::from_value(params["codes"].clone()).ok();
    let data = select(local, &req, codes.as_deref())?;
    let groups = codes.as_ref().map_or(1, Vec::len);
    let bin = params["bin"].as_u64().unwrap_or(1).clamp(1, 3650) as u32;
    let days: Vec<u32> = data
        .time
        .iter()
        .map(|&t| grid::day_of(t, spec.units))
        .collect::<Result<_, _>>()?;
    match step {
        "totals" => {
            let max_years = params["max_years"].as_u64().unwrap_or(100).min(1000) as u32;
            let mut v: Vec<R256> = [
                local.cohort.len() as u64,
                data.time.len() as u64,
                data.without_row as u64,
                data.missing_group as u64,
                data.imputed_dates,
            ]
            .into_iter()
            .map(R256::count)
            .collect();
            v.extend(grid::range_vector(days.iter().copied().max(), max_years));
            Ok(v)
        }
        "grid" => {
            let last = params["last"].as_u64().unwrap_or(0).min(1 << 22) as usize;
            let mut v = vec![R256::ZERO; groups * (last + 1) * STATUSES];
            for (i, &d) in days.iter().enumerate() {
                let p = grid::point_of(d, bin) as usize;
                let s = data.status[i] as usize;
                if p > last || s >= STATUSES || data.group[i] >= groups {
                    return Err(refuse("a row is beyond the agreed grid"));
                }
                let at = (data.group[i] * (last + 1) + p) * STATUSES + s;
                v[at] = v[at].wrapping_add(R256::count(1));
            }
            Ok(v)
        }
        other => Err(refuse(format!("unknown step '{other}' of cuminc"))),
    }
}

/// The hub's plan.
pub(crate) struct CumincPlan {
    req: CumincRequest,
    grid: GridRun,
}

impl CumincPlan {
    pub(crate) fn new(request: &Value, max_years: u32) -> Result<CumincPlan, FederationError> {
        let req = parse(request).map_err(FederationError::Analysis)?;
        req.endpoint
            .spec()
            .map_err(|e| FederationError::Analysis(e.to_string()))?;
        Ok(CumincPlan {
            req,
            grid: GridRun::new(max_years),
        })
    }

    fn output(&self, pooled: &[R256]) -> Result<Value, FederationError> {
        let spec = self
            .req
            .endpoint
            .spec()
            .map_err(|e| FederationError::Analysis(e.to_string()))?;
        let points = self.grid.last as usize + 1;
        let mut data = CompetingData {
            labels: self.grid.labels.clone(),
            without_row: self.grid.totals[2] as usize,
            missing_group: self.grid.totals[3] as usize,
            imputed_dates: self.grid.totals[4],
            ..CompetingData::default()
        };
        for g in 0..self.grid.labels.len() {
            for p in 0..points {
                let t = grid::time_of(p as u32, self.grid.bin, spec.units);
                for s in 0..STATUSES {
                    for _ in 0..count(pooled[(g * points + p) * STATUSES + s])? {
                        data.time.push(t);
                        data.status.push(s as u32);
                        data.group.push(g);
                    }
                }
            }
        }
        if data.time.len() as u64 != self.grid.totals[1] {
            return Err(FederationError::Malformed(
                "the grid's rows do not add to the patients analysed".into(),
            ));
        }
        let (out, _) = cuminc::fit_data(
            &data,
            &self.req,
            self.grid.by_label.clone(),
            self.grid.totals[0] as usize,
        )
        .map_err(|e| FederationError::Analysis(e.to_string()))?;
        serde_json::to_value(out).map_err(|e| FederationError::Analysis(e.to_string()))
    }
}

impl Plan for CumincPlan {
    fn begin(&mut self, metas: &BTreeMap<NodeId, Value>) -> Result<Step, FederationError> {
        let (by, levels) = (self.req.by.as_deref(), self.req.levels.as_deref());
        self.grid.begin(metas, by, levels)
    }

    fn next(&mut self, pooled: Vec<R256>) -> Result<Step, FederationError> {
        if let Some(grid) = self.grid.after_totals("cuminc", &pooled, STATUSES)? {
            return Ok(grid);
        }
        let out = self.output(&pooled)?;
        self.grid.totals.clear();
        Ok(Step::Done(out))
    }

    fn notes(&self) -> Vec<String> {
        self.grid.notes()
    }
}
