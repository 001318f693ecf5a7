//! Federated baseline table (the layer's `baseline`, Table 1): patients per
//! group, counts per level and group with the chi-square / Fisher test
//! chosen by Cochran's rule, and for numbers the count, mean and standard
//! deviation per group with Student's t-test (two groups) or one-way
//! ANOVA — all exact.
//!
//! Sums: `moments` (per group: patients; left out; per number and group:
//! values, missing, `Σx`; per category and group: counts per level,
//! missing) and `spread` (per number and group, and overall: `Σ(x − x̄)²`
//! about the pooled means — R's two-pass variance). The tests depend on
//! the values only through n, mean and SD per group, so the hub runs the
//! layer's test on a stand-in sample with those three (`m ± s·√((n−1)/2)`
//! and `m` elsewhere).
//!
//! Then `median` rounds: each median is found exactly by a search over
//! masked counts of values at or below cuts ([`crate::median`], 16
//! rounds), for every number and group at once.
//!
//! **Not federated:** minima and maxima are `null` — an extreme is one
//! patient's value. A median of fewer values than the largest minimum cell
//! size of the nodes is `null` too. The output says so in
//! `federation.coarsened`.

use std::collections::BTreeMap;

use netra_analysis::analyses::baseline::{
    BaselineOutput, BaselineRequest, BaselineVariable, FISHER_FOOTNOTE, GroupValues, NumberSummary,
};
use netra_analysis::inference::{
    CategoricalTest, ClassicalInference, ContinuousTest, Inference, choose_categorical,
    drop_empty_margins,
};
use netra_analysis::variables::{Column, Level};
use serde_json::{Value, json};

use crate::median::{self, Search, WAYS};
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

fn parse(request: &Value) -> Result<BaselineRequest, String> {
    serde_json::from_value(request.clone()).map_err(|e| format!("request of 'baseline': {e}"))
}

fn by(req: &BaselineRequest) -> Option<&str> {
    let b = req.by.trim();
    (!b.is_empty()).then_some(b)
}

/// The variables a request uses.
pub(crate) fn variables(request: &Value) -> Vec<String> {
    let Ok(req) = parse(request) else {
        return Vec::new();
    };
    by(&req)
        .map(str::to_owned)
        .into_iter()
        .chain(req.variables)
        .collect()
}

fn cat_levels(local: &Local<'_>, name: &str) -> Result<Option<(Vec<Level>, String)>, Refusal> {
    let v = local
        .cohort
        .variable(name)
        .map_err(|e| refuse(e.to_string()))?;
    Ok(match &v.column {
        Column::Cat { levels, .. } => Some((levels.clone(), v.label.clone())),
        Column::Num(_) => None,
    })
}

/// The keys round: levels of the grouping and of each categorical
/// variable, kinds and labels; group sizes under the small-cell rule.
pub(crate) fn node_meta(
    local: &Local<'_>,
    request: &Value,
) -> Result<(Value, Vec<usize>), Refusal> {
    let req = parse(request).map_err(refuse)?;
    let (levels, by_label) = match by(&req) {
        None => (Vec::new(), String::new()),
        Some(b) => cat_levels(local, b)?
            .ok_or_else(|| refuse(format!("variable '{b}' is not categorical")))?,
    };
    let codes: Vec<String> = levels.iter().map(|l| l.code.clone()).collect();
    let g = grouping(local.cohort, by(&req), by(&req).map(|_| codes.as_slice()))?;
    let mut n = vec![0usize; g.levels.len()];
    let mut rows = Vec::new();
    for (i, c) in g.codes.iter().enumerate() {
        if let Some(c) = c {
            n[*c] += 1;
            rows.push(i);
        }
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
    let mut vars = Vec::new();
    for name in &req.variables {
        let label = local
            .cohort
            .variable(name)
            .map_err(|e| refuse(e.to_string()))?
            .label
            .clone();
        match cat_levels(local, name)? {
            Some((l, _)) => {
                vars.push(json!({"kind": "cat", "label": label, "levels": levels_json(&l)}))
            }
            None => vars.push(json!({"kind": "num", "label": label})),
        }
    }
    Ok((
        json!({
            "levels": levels_json(&levels),
            "by_label": by_label,
            "variables": vars,
            "min_cell": min,
        }),
        rows,
    ))
}

/// A node's vector.
pub(crate) fn node_vector(
    local: &Local<'_>,
    request: &Value,
    step: &str,
    params: &Value,
) -> Result<Vec<R256>, Refusal> {
    let req = parse(request).map_err(refuse)?;
    let codes: Option<Vec<String>> = serde_json::from_value(params["codes"].clone()).ok();
    let g = grouping(local.cohort, by(&req), codes.as_deref())?;
    let k = g.levels.len();
    let var_codes: Vec<Vec<String>> =
        serde_json::from_value(params["var_codes"].clone()).map_err(|_| refuse("no levels"))?;
    let means: Vec<Vec<f64>> = serde_json::from_value(params["means"].clone()).unwrap_or_default();
    let fixed = |x: f64| R256::fixed(x).map_err(|e| refuse(e.to_string()));
    if step == "median" {
        return median_counts(local, &req, &g.codes, params);
    }
    let mut v = Vec::new();
    if step == "moments" {
        let mut n = vec![0u64; k];
        for c in g.codes.iter().flatten() {
            n[*c] += 1;
        }
        v.extend(n.into_iter().map(R256::count));
        v.push(R256::count(
            g.codes.iter().filter(|c| c.is_none()).count() as u64
        ));
    }
    for (j, name) in req.variables.iter().enumerate() {
        let var = local
            .cohort
            .variable(name)
            .map_err(|e| refuse(e.to_string()))?;
        match (&var.column, step) {
            (Column::Num(values), "moments") => {
                let mut known = vec![0u64; k];
                let mut missing = vec![0u64; k];
                let mut sum = vec![R256::ZERO; k];
                for (x, c) in values.iter().zip(&g.codes) {
                    let Some(c) = c else { continue };
                    match x.filter(|x| x.is_finite()) {
                        Some(x) => {
                            known[*c] += 1;
                            sum[*c] = sum[*c].wrapping_add(fixed(x)?);
                        }
                        None => missing[*c] += 1,
                    }
                }
                for c in 0..k {
                    v.extend([R256::count(known[c]), R256::count(missing[c]), sum[c]]);
                }
            }
            (Column::Num(values), "spread") => {
                // Per group about the group's mean, then overall about the
                // overall mean (the last entry of `means[j]`).
                let m = means.get(j).ok_or_else(|| refuse("no means"))?;
                let mut ss = vec![R256::ZERO; k + 1];
                for (x, c) in values.iter().zip(&g.codes) {
                    let (Some(c), Some(x)) = (c, x.filter(|x| x.is_finite())) else {
                        continue;
                    };
                    let d = x - m.get(*c).copied().unwrap_or(0.0);
                    ss[*c] = ss[*c].wrapping_add(fixed(d * d)?);
                    let d = x - m.get(k).copied().unwrap_or(0.0);
                    ss[k] = ss[k].wrapping_add(fixed(d * d)?);
                }
                v.extend(ss);
            }
            (Column::Cat { levels, codes: own }, "moments") => {
                let global = var_codes.get(j).ok_or_else(|| refuse("no levels"))?;
                let map: Vec<Option<usize>> = levels
                    .iter()
                    .map(|l| global.iter().position(|c| *c == l.code))
                    .collect();
                let l = global.len();
                let mut counts = vec![0u64; k * (l + 1)];
                for (x, c) in own.iter().zip(&g.codes) {
                    let Some(c) = c else { continue };
                    match x.and_then(|x| map[x]) {
                        Some(x) => counts[c * (l + 1) + x] += 1,
                        None => counts[c * (l + 1) + l] += 1,
                    }
                }
                v.extend(counts.into_iter().map(R256::count));
            }
            (Column::Cat { .. }, _) => {}
            (_, other) => return Err(refuse(format!("unknown step '{other}' of baseline"))),
        }
    }
    Ok(v)
}

/// A node's counts for a `median` round: per search `[variable, group
/// (null: all groups), cuts]`, its values at or below each cut.
fn median_counts(
    local: &Local<'_>,
    req: &BaselineRequest,
    groups: &[Option<usize>],
    params: &Value,
) -> Result<Vec<R256>, Refusal> {
    let searches: Vec<(usize, Option<usize>, Vec<u64>)> =
        serde_json::from_value(params["searches"].clone()).map_err(|_| refuse("no searches"))?;
    let mut v = Vec::new();
    for (j, group, cuts) in &searches {
        let name = req
            .variables
            .get(*j)
            .ok_or_else(|| refuse("a search names no variable"))?;
        let var = local
            .cohort
            .variable(name)
            .map_err(|e| refuse(e.to_string()))?;
        let Column::Num(values) = &var.column else {
            return Err(refuse(format!(
                "'{name}' is not a number: it has no median"
            )));
        };
        let mut keys: Vec<u64> = values
            .iter()
            .zip(groups)
            .filter_map(|(x, c)| {
                let c = (*c)?;
                if group.is_some_and(|g| g != c) {
                    return None;
                }
                x.filter(|x| x.is_finite()).map(median::key)
            })
            .collect();
        keys.sort_unstable();
        v.extend(median::counts_at(&keys, cuts).into_iter().map(R256::count));
    }
    Ok(v)
}

/// A number's pooled values, missing and `Σx` in one group.
type NumberSums = (u64, u64, f64);

enum Var {
    Num,
    Cat(Vec<Level>),
}

/// Where the plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Moments,
    Spread,
    Median,
}

/// The hub's plan.
pub(crate) struct BaselinePlan {
    req: BaselineRequest,
    codes: Option<Vec<String>>,
    labels: Vec<String>,
    by_label: String,
    vars: Vec<(Var, String)>,
    stage: Stage,
    moments: Vec<R256>,
    spread: Vec<R256>,
    /// The medians' order statistics, found or being searched.
    searches: Vec<Search>,
    /// Fewest values a median is searched for (the nodes' largest
    /// minimum cell size).
    min_median: u64,
    /// Medians not searched: "variable (group)".
    withheld: Vec<String>,
}

impl BaselinePlan {
    pub(crate) fn new(request: &Value) -> Result<BaselinePlan, FederationError> {
        let req = parse(request).map_err(FederationError::Analysis)?;
        Ok(BaselinePlan {
            req,
            codes: None,
            labels: vec!["All patients".into()],
            by_label: String::new(),
            vars: Vec::new(),
            stage: Stage::Moments,
            moments: Vec::new(),
            spread: Vec::new(),
            searches: Vec::new(),
            min_median: 1,
            withheld: Vec::new(),
        })
    }

    /// The searches of every median with enough values; the others are
    /// withheld.
    fn plan_medians(&mut self) -> Result<(), FederationError> {
        self.searches.clear();
        self.withheld.clear();
        let sums = self.number_sums()?;
        for (j, g) in sums.iter().enumerate() {
            if !matches!(self.vars[j].0, Var::Num) {
                continue;
            }
            let overall: u64 = g.iter().map(|s| s.0).sum();
            let cells = g
                .iter()
                .enumerate()
                .map(|(c, s)| (Some(c), s.0))
                .chain(std::iter::once((None, overall)));
            for (group, n) in cells {
                if n == 0 {
                    continue;
                }
                if n < self.min_median {
                    let at = group.map_or("all patients", |c| self.labels[c].as_str());
                    self.withheld
                        .push(format!("{} ({at}, {n} values)", self.vars[j].1));
                    continue;
                }
                for rank in median::median_ranks(n) {
                    self.searches.push(Search::new(j, group, rank));
                }
            }
        }
        Ok(())
    }

    /// The next `median` round, or `None` when every median is found.
    fn median_round(&self) -> Option<Step> {
        let open: Vec<Value> = self
            .searches
            .iter()
            .filter(|s| s.found().is_none())
            .map(|s| json!([s.var, s.group, s.cuts()]))
            .collect();
        if open.is_empty() {
            return None;
        }
        let mut params = self.params(json!([]));
        let len = open.len() * (WAYS as usize - 1);
        if let Some(o) = params.as_object_mut() {
            o.insert("searches".into(), Value::Array(open));
        }
        Some(Step::Sum {
            step: "median".into(),
            params,
            len,
        })
    }

    /// The median of variable `j` in `group`, when searched.
    fn median(&self, j: usize, group: Option<usize>) -> Option<f64> {
        let stats: Vec<f64> = self
            .searches
            .iter()
            .filter(|s| s.var == j && s.group == group)
            .map(Search::found)
            .collect::<Option<_>>()?;
        median::median_of(&stats)
    }

    fn params(&self, means: Value) -> Value {
        let var_codes: Vec<Vec<String>> = self
            .vars
            .iter()
            .map(|(v, _)| match v {
                Var::Cat(l) => l.iter().map(|l| l.code.clone()).collect(),
                Var::Num => Vec::new(),
            })
            .collect();
        json!({"codes": self.codes, "var_codes": var_codes, "means": means})
    }

    /// Per number: per group (known, missing, Σx as f64) at `moments`.
    fn number_sums(&self) -> Result<Vec<Vec<NumberSums>>, FederationError> {
        let k = self.labels.len();
        let mut at = k + 1;
        let mut out = Vec::new();
        for (v, _) in &self.vars {
            match v {
                Var::Num => {
                    let mut g = Vec::new();
                    for _ in 0..k {
                        g.push((
                            count(self.moments[at])?,
                            count(self.moments[at + 1])?,
                            self.moments[at + 2].to_f64(),
                        ));
                        at += 3;
                    }
                    out.push(g);
                }
                Var::Cat(l) => {
                    at += k * (l.len() + 1);
                    out.push(Vec::new());
                }
            }
        }
        Ok(out)
    }

    fn output(&self) -> Result<Value, FederationError> {
        let spread = &self.spread;
        let k = self.labels.len();
        let n: Vec<usize> = (0..k)
            .map(|c| count(self.moments[c]).map(|x| x as usize))
            .collect::<Result<_, _>>()?;
        let left_out = count(self.moments[k])? as usize;
        let sums = self.number_sums()?;
        let total: usize = n.iter().sum();
        let mut at = k + 1;
        let mut sat = 0;
        let mut fisher_chosen = false;
        let mut variables = Vec::new();
        for (j, ((v, label), name)) in self.vars.iter().zip(&self.req.variables).enumerate() {
            let sums = &sums[j];
            let (levels, groups, overall, result) = match v {
                Var::Num => {
                    at += 3 * k;
                    let ss: Vec<f64> = spread[sat..sat + k + 1]
                        .iter()
                        .map(|x| x.to_f64())
                        .collect();
                    sat += k + 1;
                    let summary = |n: u64, sum: f64, ss: f64, group: Option<usize>| NumberSummary {
                        n: n as usize,
                        mean: (n > 0).then(|| sum / n as f64),
                        sd: (n > 1).then(|| (ss / (n as f64 - 1.0)).sqrt()),
                        median: self.median(j, group),
                        min: None,
                        max: None,
                    };
                    let groups: Vec<GroupValues> = sums
                        .iter()
                        .zip(&ss)
                        .enumerate()
                        .map(|(c, (&(n, m, s), &q))| GroupValues::Number {
                            summary: summary(n, s, q, Some(c)),
                            missing: m as usize,
                        })
                        .collect();
                    let (an, am, asum) = sums
                        .iter()
                        .fold((0, 0, 0.0), |a, s| (a.0 + s.0, a.1 + s.1, a.2 + s.2));
                    let overall = GroupValues::Number {
                        summary: summary(an, asum, ss[k], None),
                        missing: am as usize,
                    };
                    // The test sees n, mean and SD only: a stand-in sample.
                    let stand_in: Vec<Vec<f64>> = groups
                        .iter()
                        .filter_map(|g| match g {
                            GroupValues::Number { summary, .. } if summary.n > 0 => {
                                Some(stand_in(summary))
                            }
                            _ => None,
                        })
                        .collect();
                    let result = (stand_in.len() >= 2)
                        .then(|| ClassicalInference.continuous(&stand_in, ContinuousTest::Student))
                        .flatten();
                    (Vec::new(), groups, overall, result)
                }
                Var::Cat(levels) => {
                    let l = levels.len();
                    let mut counts = vec![vec![0u64; k]; l];
                    let mut missing = vec![0usize; k];
                    for c in 0..k {
                        for (x, row) in counts.iter_mut().enumerate() {
                            row[c] = count(self.moments[at + c * (l + 1) + x])?;
                        }
                        missing[c] = count(self.moments[at + c * (l + 1) + l])? as usize;
                    }
                    at += k * (l + 1);
                    let table = drop_empty_margins(&counts);
                    let result = (table.len() >= 2 && table.first().is_some_and(|r| r.len() >= 2))
                        .then(|| {
                            let test = match choose_categorical(&table) {
                                CategoricalTest::Auto | CategoricalTest::Fisher => {
                                    fisher_chosen = true;
                                    CategoricalTest::Fisher
                                }
                                t => t,
                            };
                            ClassicalInference.categorical(&table, test)
                        })
                        .flatten();
                    let groups = (0..k)
                        .map(|j| GroupValues::Categories {
                            counts: counts.iter().map(|r| r[j]).collect(),
                            missing: missing[j],
                        })
                        .collect();
                    let overall = GroupValues::Categories {
                        counts: counts.iter().map(|r| r.iter().sum()).collect(),
                        missing: missing.iter().sum(),
                    };
                    (
                        levels.iter().map(|l| l.label.clone()).collect(),
                        groups,
                        overall,
                        result,
                    )
                }
            };
            let missing = match &overall {
                GroupValues::Number { missing, .. } | GroupValues::Categories { missing, .. } => {
                    *missing
                }
            };
            variables.push(BaselineVariable {
                known: total - missing.min(total),
                name: name.clone(),
                label: label.clone(),
                levels,
                groups,
                overall,
                p: result.as_ref().map(|r| r.p),
                test: result.map(|r| r.test),
            });
        }
        let out = BaselineOutput {
            total,
            footnotes: if fisher_chosen {
                vec![FISHER_FOOTNOTE.to_string()]
            } else {
                Vec::new()
            },
            by_label: self.by_label.clone(),
            left_out,
            groups: self.labels.clone(),
            n,
            variables,
        };
        serde_json::to_value(out).map_err(|e| FederationError::Analysis(e.to_string()))
    }
}

/// A sample with the summary's n, mean and SD.
fn stand_in(s: &NumberSummary) -> Vec<f64> {
    let m = s.mean.unwrap_or(0.0);
    let mut v = vec![m; s.n];
    if let (Some(sd), true) = (s.sd, s.n >= 2) {
        let a = sd * ((s.n as f64 - 1.0) / 2.0).sqrt();
        v[0] = m + a;
        v[1] = m - a;
    }
    v
}

impl Plan for BaselinePlan {
    fn begin(&mut self, metas: &BTreeMap<NodeId, Value>) -> Result<Step, FederationError> {
        self.stage = Stage::Moments;
        self.moments.clear();
        self.spread.clear();
        self.searches.clear();
        self.min_median = metas
            .values()
            .filter_map(|m| m["min_cell"].as_u64())
            .max()
            .unwrap_or(1)
            .max(1);
        if let Some(b) = by(&self.req).map(str::to_owned) {
            let lists: Vec<Vec<Level>> = metas.values().map(levels_of).collect();
            let merged = merge_levels(&b, &lists);
            let chosen = wanted_levels(&b, &merged, self.req.levels.as_deref())?;
            self.codes = Some(chosen.iter().map(|l| l.code.clone()).collect());
            self.labels = chosen.iter().map(|l| l.label.clone()).collect();
            self.by_label = metas
                .values()
                .find_map(|m| m["by_label"].as_str().map(str::to_owned))
                .unwrap_or_default();
        }
        self.vars.clear();
        for (j, name) in self.req.variables.iter().enumerate() {
            let of_node: Vec<&Value> = metas.values().map(|m| &m["variables"][j]).collect();
            let first = of_node
                .first()
                .ok_or_else(|| FederationError::Analysis("no node".into()))?;
            if of_node.iter().any(|v| v["kind"] != first["kind"]) {
                return Err(FederationError::Malformed(format!(
                    "the nodes disagree on the kind of '{name}'"
                )));
            }
            let label = first["label"].as_str().unwrap_or(name).to_owned();
            let var = if first["kind"] == "cat" {
                let lists: Vec<Vec<Level>> = of_node.iter().map(|v| levels_of(v)).collect();
                Var::Cat(merge_levels(name, &lists))
            } else {
                Var::Num
            };
            self.vars.push((var, label));
        }
        let k = self.labels.len();
        let len = k
            + 1
            + self
                .vars
                .iter()
                .map(|(v, _)| match v {
                    Var::Num => 3 * k,
                    Var::Cat(l) => k * (l.len() + 1),
                })
                .sum::<usize>();
        Ok(Step::Sum {
            step: "moments".into(),
            params: self.params(json!([])),
            len,
        })
    }

    fn next(&mut self, pooled: Vec<R256>) -> Result<Step, FederationError> {
        if self.stage == Stage::Moments {
            self.stage = Stage::Spread;
            self.moments = pooled;
            let k = self.labels.len();
            let means: Vec<Vec<f64>> = self
                .number_sums()?
                .iter()
                .map(|g| {
                    let mut m: Vec<f64> = g
                        .iter()
                        .map(|&(n, _, s)| if n > 0 { s / n as f64 } else { 0.0 })
                        .collect();
                    let (n, s) = g.iter().fold((0, 0.0), |a, x| (a.0 + x.0, a.1 + x.2));
                    if !g.is_empty() {
                        m.push(if n > 0 { s / n as f64 } else { 0.0 });
                    }
                    m
                })
                .collect();
            let nums = self
                .vars
                .iter()
                .filter(|(v, _)| matches!(v, Var::Num))
                .count();
            return Ok(Step::Sum {
                step: "spread".into(),
                params: self.params(json!(means)),
                len: nums * (k + 1),
            });
        }
        if self.stage == Stage::Spread {
            self.stage = Stage::Median;
            self.spread = pooled;
            self.plan_medians()?;
        } else {
            let width = WAYS as usize - 1;
            let mut at = 0;
            for s in self.searches.iter_mut().filter(|s| s.found().is_none()) {
                let counts: Vec<u64> = pooled
                    .get(at..at + width)
                    .ok_or_else(|| FederationError::Malformed("a short median round".into()))?
                    .iter()
                    .map(|&c| count(c))
                    .collect::<Result<_, _>>()?;
                s.narrow(&counts);
                at += width;
            }
        }
        if let Some(step) = self.median_round() {
            return Ok(step);
        }
        Ok(Step::Done(self.output()?))
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = vec![
            "baseline: minima and maxima are not computed federated (null): an extreme is one \
             patient's value; medians are exact (a search over masked counts)"
                .into(),
        ];
        if !self.withheld.is_empty() {
            notes.push(format!(
                "baseline: medians of fewer than {} values are withheld (null): {}",
                self.min_median,
                self.withheld.join(", ")
            ));
        }
        notes
    }
}
