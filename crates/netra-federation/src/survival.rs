//! Federated Kaplan–Meier: the analysis layer's `survival` (curves by
//! group, medians with CIs, landmark rates, RMST, the log-rank test, the
//! reverse-KM follow-up), pooled exactly.
//!
//! Sums: `totals` (patients in the cohort, analysed, without a row,
//! without a group, imputed dates; the range vector of [`crate::grid`]),
//! then `grid` (per group and grid day: rows and events). Unweighted
//! survival data depend on the rows only through these counts, so the hub
//! rebuilds rows with the pooled counts (one row per patient at its grid
//! day — the multiset of the pooled data) and runs the layer's own
//! `survival::summarise` on them: the output is the pooled run's, field
//! for field (counts exact; estimates equal up to the order of additions).
//! Group levels travel in clear (labels of a vocabulary, no counts) and
//! are merged in the cohort's order.

use std::collections::BTreeMap;

use netra_analysis::analyses::survival::{self, SurvivalData, SurvivalOutput, SurvivalRequest};
use netra_analysis::variables::{Column, Level, fixed_levels, text_column};
use netra_analysis::{Cohort, Grouping};
use netra_clinical::endpoints::Units;
use serde_json::{Value, json};

use crate::grid;
use crate::grid_plan::GridRun;
use crate::node::Local;
use crate::protocol::{FederationError, NodeId, Refusal};
use crate::ring::R256;
use crate::secure::{Plan, Step};

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        reason: reason.into(),
    }
}

/// The variables a request uses.
pub(crate) fn variables(request: &Value) -> Vec<String> {
    request["by"]
        .as_str()
        .map(str::to_owned)
        .into_iter()
        .collect()
}

fn parse(request: &Value) -> Result<SurvivalRequest, String> {
    serde_json::from_value(request.clone()).map_err(|e| format!("request of 'survival': {e}"))
}

/// The levels of a categorical variable as `[{code, label}]`.
pub(crate) fn levels_json(levels: &[Level]) -> Value {
    json!(
        levels
            .iter()
            .map(|l| json!({"code": l.code, "label": l.label}))
            .collect::<Vec<_>>()
    )
}

/// Merges the nodes' level lists in the order the pooled cohort would
/// have: a registry vocabulary's order, else R's order of the texts.
pub(crate) fn merge_levels(name: &str, lists: &[Vec<Level>]) -> Vec<Level> {
    let mut all: Vec<Level> = Vec::new();
    for l in lists.iter().flatten() {
        if !all.iter().any(|a| a.code == l.code) {
            all.push(l.clone());
        }
    }
    if let Some(vocab) = fixed_levels(name) {
        all.sort_by_key(|l| {
            vocab
                .iter()
                .position(|v| v.code == l.code)
                .unwrap_or(usize::MAX)
        });
        return all;
    }
    let texts: Vec<Option<String>> = all.iter().map(|l| Some(l.label.clone())).collect();
    match text_column(texts) {
        Column::Cat { levels, .. } => levels
            .iter()
            .filter_map(|o| all.iter().find(|l| l.label == o.label).cloned())
            .collect(),
        Column::Num(_) => all,
    }
}

pub(crate) fn levels_of(meta: &Value) -> Vec<Level> {
    meta["levels"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| Level {
                    code: l["code"].as_str().unwrap_or("").to_owned(),
                    label: l["label"].as_str().unwrap_or("").to_owned(),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The node's grouping over the hub's global level codes (`None`: one
/// group of all patients).
pub(crate) fn grouping(
    cohort: &Cohort,
    by: Option<&str>,
    codes: Option<&[String]>,
) -> Result<Grouping, Refusal> {
    let (Some(by), Some(codes)) = (by, codes) else {
        return Ok(Grouping {
            label: String::new(),
            levels: vec!["All patients".into()],
            codes: vec![Some(0); cohort.len()],
        });
    };
    let v = cohort.variable(by).map_err(|e| refuse(e.to_string()))?;
    let Column::Cat { levels, codes: own } = &v.column else {
        return Err(refuse(format!("variable '{by}' is not categorical")));
    };
    let map: Vec<Option<usize>> = levels
        .iter()
        .map(|l| codes.iter().position(|c| *c == l.code))
        .collect();
    Ok(Grouping {
        label: v.label.clone(),
        levels: codes.to_vec(),
        codes: own.iter().map(|c| c.and_then(|c| map[c])).collect(),
    })
}

/// The keys round: the levels of `by` (clear) and the analysed patients.
pub(crate) fn node_meta(
    local: &Local<'_>,
    request: &Value,
) -> Result<(Value, Vec<usize>), Refusal> {
    let req = parse(request).map_err(refuse)?;
    let spec = req.endpoint.spec().map_err(|e| refuse(e.to_string()))?;
    let (levels, g) = match &req.by {
        None => (Vec::new(), grouping(local.cohort, None, None)?),
        Some(by) => {
            let v = local
                .cohort
                .variable(by)
                .map_err(|e| refuse(e.to_string()))?;
            let Column::Cat { levels, .. } = &v.column else {
                return Err(refuse(format!("variable '{by}' is not categorical")));
            };
            let codes: Vec<String> = levels.iter().map(|l| l.code.clone()).collect();
            (
                levels.clone(),
                grouping(local.cohort, Some(by), Some(&codes))?,
            )
        }
    };
    let sel = survival::select(local.cohort, &spec, req.line, Some(&g))
        .map_err(|e| refuse(e.to_string()))?;
    let mut n = vec![0usize; g.levels.len()];
    for &c in &sel.data.group {
        n[c as usize] += 1;
    }
    let min = local.policy.min_cell;
    if let Some(k) = (0..n.len()).find(|&k| n[k] > 0 && n[k] < min) {
        let label = levels.get(k).map_or("All patients", |l| l.label.as_str());
        return Err(refuse(format!(
            "group '{label}' has fewer than {min} patients at {}: merge levels or leave \
             the grouping out (minimum cell size)",
            local.node
        )));
    }
    let meta = json!({
        "levels": levels_json(&levels),
        "by_label": req.by.as_ref().map(|_| g.label.clone()),
        "bin_days": local.policy.time_bin_days,
    });
    Ok((meta, sel.rows))
}

/// A node's vector for a sum of the survival plan.
pub(crate) fn node_vector(
    local: &Local<'_>,
    request: &Value,
    step: &str,
    params: &Value,
) -> Result<Vec<R256>, Refusal> {
    let req = parse(request).map_err(refuse)?;
    let spec = req.endpoint.spec().map_err(|e| refuse(e.to_string()))?;
    let codes: Option<Vec<String>> = serde_json::from_value(params["codes"].clone()).ok();
    let g = grouping(local.cohort, req.by.as_deref(), codes.as_deref())?;
    let sel = survival::select(local.cohort, &spec, req.line, Some(&g))
        .map_err(|e| refuse(e.to_string()))?;
    let bin = params["bin"].as_u64().unwrap_or(1).clamp(1, 3650) as u32;
    let days: Vec<u32> = sel
        .data
        .time
        .iter()
        .map(|&t| grid::day_of(t, spec.units))
        .collect::<Result<_, _>>()?;
    match step {
        "totals" => {
            let max_years = params["max_years"].as_u64().unwrap_or(100).min(1000) as u32;
            let mut v: Vec<R256> = [
                local.cohort.len() as u64,
                sel.data.time.len() as u64,
                sel.without_row as u64,
                sel.missing_group as u64,
                sel.imputed_dates,
            ]
            .into_iter()
            .map(R256::count)
            .collect();
            v.extend(grid::range_vector(days.iter().copied().max(), max_years));
            Ok(v)
        }
        "grid" => {
            let last = params["last"].as_u64().unwrap_or(0).min(1 << 22) as usize;
            let groups = g.levels.len();
            let mut v = vec![R256::ZERO; groups * (last + 1) * 2];
            for (i, &d) in days.iter().enumerate() {
                let p = grid::point_of(d, bin) as usize;
                if p > last {
                    return Err(refuse("a time is beyond the agreed grid"));
                }
                let at = (sel.data.group[i] as usize * (last + 1) + p) * 2;
                v[at] = v[at].wrapping_add(R256::count(1));
                if sel.data.event[i] {
                    v[at + 1] = v[at + 1].wrapping_add(R256::count(1));
                }
            }
            Ok(v)
        }
        other => Err(refuse(format!("unknown step '{other}' of survival"))),
    }
}

/// The hub's plan.
pub(crate) struct SurvivalPlan {
    req: SurvivalRequest,
    grid: GridRun,
}

impl SurvivalPlan {
    pub(crate) fn new(request: &Value, max_years: u32) -> Result<SurvivalPlan, FederationError> {
        let req = parse(request).map_err(FederationError::Analysis)?;
        req.endpoint
            .spec()
            .map_err(|e| FederationError::Analysis(e.to_string()))?;
        req.options
            .km_options()
            .map_err(|e| FederationError::Analysis(e.to_string()))?;
        Ok(SurvivalPlan {
            req,
            grid: GridRun::new(max_years),
        })
    }

    fn units(&self) -> Result<Units, FederationError> {
        Ok(self
            .req
            .endpoint
            .spec()
            .map_err(|e| FederationError::Analysis(e.to_string()))?
            .units)
    }

    fn output(&self, pooled: &[R256]) -> Result<Value, FederationError> {
        let spec = self
            .req
            .endpoint
            .spec()
            .map_err(|e| FederationError::Analysis(e.to_string()))?;
        let units = self.units()?;
        let points = self.grid.last as usize + 1;
        let mut data = SurvivalData {
            labels: self.grid.labels.clone(),
            ..SurvivalData::default()
        };
        for g in 0..self.grid.labels.len() {
            for p in 0..points {
                let at = (g * points + p) * 2;
                let rows = count(pooled[at])?;
                let events = count(pooled[at + 1])?;
                if events > rows {
                    return Err(FederationError::Malformed("more events than rows".into()));
                }
                let t = grid::time_of(p as u32, self.grid.bin, units);
                for k in 0..rows {
                    data.time.push(t);
                    data.event.push(k < events);
                    data.group.push(g as u32);
                }
            }
        }
        let analysed = self.grid.totals[1] as usize;
        if data.time.len() != analysed {
            return Err(FederationError::Malformed(
                "the grid's rows do not add to the patients analysed".into(),
            ));
        }
        let err = |e: netra_analysis::AnalysisError| FederationError::Analysis(e.to_string());
        let (summary, _) = survival::summarise(&data, &self.req.options).map_err(err)?;
        let all = SurvivalData {
            group: vec![0; data.time.len()],
            labels: vec!["All patients".into()],
            ..data.clone()
        };
        let (overall, _) = survival::summarise(&all, &self.req.options).map_err(err)?;
        let out = SurvivalOutput {
            title: spec.param(self.req.line),
            endpoint: spec.endpoint.code().to_string(),
            from: spec.from.code(),
            units: spec.units.code().to_string(),
            by: self.req.by.clone(),
            by_label: self.grid.by_label.clone(),
            cohort: self.grid.totals[0] as usize,
            analysed,
            without_row: self.grid.totals[2] as usize,
            missing_group: self.grid.totals[3] as usize,
            imputed_dates: self.grid.totals[4],
            overall: overall
                .groups
                .into_iter()
                .next()
                .ok_or_else(|| FederationError::Analysis("no overall curve".into()))?,
            summary,
        };
        serde_json::to_value(out).map_err(|e| FederationError::Analysis(e.to_string()))
    }
}

pub(crate) fn count(v: R256) -> Result<u64, FederationError> {
    v.to_count()
        .map_err(|e| FederationError::Malformed(e.to_string()))
}

/// The time bin of a run: the widest any node's policy asks for (days,
/// 1 to 3650).
pub(crate) fn bin_days(metas: &BTreeMap<NodeId, Value>) -> u32 {
    metas
        .values()
        .filter_map(|m| m["bin_days"].as_u64())
        .max()
        .unwrap_or(1)
        .clamp(1, 3650) as u32
}

/// The groups of a run by `by`, agreed from the nodes' level lists: their
/// codes and labels in the pooled order, and the variable's label.
pub(crate) struct AgreedGroups {
    pub codes: Vec<String>,
    pub labels: Vec<String>,
    pub by_label: Option<String>,
}

/// [`AgreedGroups`] from the nodes' first answers (`levels` restricts and
/// orders them, as the request's `levels` does on pooled data).
pub(crate) fn agreed_groups(
    metas: &BTreeMap<NodeId, Value>,
    by: &str,
    levels: Option<&[String]>,
) -> Result<AgreedGroups, FederationError> {
    let lists: Vec<Vec<Level>> = metas.values().map(levels_of).collect();
    let merged = merge_levels(by, &lists);
    let chosen = wanted_levels(by, &merged, levels)?;
    Ok(AgreedGroups {
        codes: chosen.iter().map(|l| l.code.clone()).collect(),
        labels: chosen.iter().map(|l| l.label.clone()).collect(),
        by_label: metas
            .values()
            .find_map(|m| m["by_label"].as_str().map(str::to_owned)),
    })
}

/// Resolves the request's `levels` (codes or labels) against the merged
/// levels, as the pooled grouping does.
pub(crate) fn wanted_levels(
    name: &str,
    merged: &[Level],
    wanted: Option<&[String]>,
) -> Result<Vec<Level>, FederationError> {
    let Some(wanted) = wanted else {
        return Ok(merged.to_vec());
    };
    wanted
        .iter()
        .map(|w| {
            merged
                .iter()
                .find(|l| l.matches(w))
                .cloned()
                .ok_or_else(|| {
                    FederationError::Analysis(format!(
                        "groups of '{name}': level '{w}' has no patient (levels: {})",
                        merged
                            .iter()
                            .map(|l| l.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                })
        })
        .collect()
}

impl Plan for SurvivalPlan {
    fn begin(&mut self, metas: &BTreeMap<NodeId, Value>) -> Result<Step, FederationError> {
        let (by, levels) = (self.req.by.as_deref(), self.req.levels.as_deref());
        self.grid.begin(metas, by, levels)
    }

    fn next(&mut self, pooled: Vec<R256>) -> Result<Step, FederationError> {
        if let Some(grid) = self.grid.after_totals("survival", &pooled, 2)? {
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

/// The first step of the grid plans (survival, cuminc): the five totals
/// of the pooled `totals` sum and the grid's last point.
pub(crate) fn pooled_totals(
    analysis: &str,
    pooled: &[R256],
    bin: u32,
) -> Result<(Vec<u64>, u32), FederationError> {
    let (head, range) = (pooled.get(..5), pooled.get(5..));
    let (Some(head), Some(range)) = (head, range) else {
        return Err(FederationError::Malformed(format!(
            "{analysis}: a short totals sum"
        )));
    };
    let totals: Vec<u64> = head.iter().map(|&v| count(v)).collect::<Result<_, _>>()?;
    if totals[1] == 0 {
        return Err(FederationError::Analysis(format!(
            "{analysis}: no patient has this endpoint (and a group)"
        )));
    }
    Ok((totals, grid::last_point(range, bin).unwrap_or(0)))
}

/// The `grid` sum of the grid plans: `cells` values per group and grid
/// point (survival: at risk and events; cuminc: one per status).
pub(crate) fn grid_step(params: Value, groups: usize, last: u32, cells: usize) -> Step {
    Step::Sum {
        step: "grid".into(),
        params,
        len: groups * (last as usize + 1) * cells,
    }
}

/// What binning did to the result.
pub(crate) fn coarsened_note(bin: u32) -> Vec<String> {
    if bin <= 1 {
        return Vec::new();
    }
    vec![format!(
        "event and censoring times binned to {bin}-day intervals (each time moved to its \
         interval's end) by a node's policy: steps, medians and landmark rates can differ \
         from the exact analysis by less than {bin} days, and tests and Cox estimates \
         change with the added ties"
    )]
}
