//! Federated Cox regression: the analysis layer's `cox` (Efron or Breslow
//! ties, numbers and factors), pooled through `netra_stats::partial_cox`.
//!
//! Sums, each masked:
//! 1. `totals` — patients in the cohort, with the endpoint, in the model,
//!    events; per factor level the model's patients; per number the rows
//!    not in {-1, 0, 1} (`coxph`'s scaling rule); the range vector. The hub
//!    then fixes the design exactly as the pooled run would (levels present
//!    anywhere, reference first).
//! 2. `moments` — `Σx` per design column (`ColumnMoments`) and the model's
//!    events per grid day (which days have events: the cells of later
//!    rounds; censoring days never travel).
//! 3. `spread` — `Σ|x − mean|` per column (`ColumnSpread`).
//! 4. `newton` — one per Newton iteration: each node's `CoxPartial` at the
//!    hub's β, laid on the pooled event days (rows, a count of rows with a
//!    linear predictor above 500 for R's warning, per event day the events
//!    and the sums of the cells from that day to the next event day).
//!
//! The hub runs `partial_cox::fit_partial` — the pooled run's own Newton
//! code — by replay: each step re-runs the iteration from β = 0 over the
//! rounds already pooled and, where it needs a β not yet summed, asks for
//! it. The iteration is deterministic, so the replay takes the same path
//! and the run ends exactly where `coxph` (and the pooled analysis) stops.
//! 5. `term_tests` (asked for): the Wald test of each term needs only the
//!    pooled fit's covariance; the likelihood-ratio test (R's `drop1`)
//!    refits the model without the term — more `newton` rounds over the
//!    same rows with the term's design columns left out (the nodes build
//!    the design from the columns the hub names), replayed as above. A
//!    model of one term reduces to β = 0 and needs no round.

use std::collections::BTreeMap;

use netra_analysis::analyses::cox::{CoxOutput, CoxRequest, CoxTerm, CoxTermTest};
use netra_analysis::analyses::survival::TestOut;
use netra_analysis::variables::{Column, Level};
use netra_stats::cox::terms::{likelihood_ratio, wald_subset};
use netra_stats::cox::{ChisqTest, CoxData, CoxFit, CoxOptions, Ties};
use netra_stats::partial_cox::{
    ColumnMoments, ColumnMomentsWire, ColumnSpread, ColumnSpreadWire, CoxPartial, CoxPartialWire,
    Intervals, PartialCoxError, Standardisation, fit_partial,
};
use serde_json::{Value, json};

use crate::grid;
use crate::node::Local;
use crate::protocol::{FederationError, NodeId, Refusal};
use crate::ring::{R256, RingError};
use crate::secure::{Plan, Step};
use crate::survival::{coarsened_note, count, levels_json, levels_of, merge_levels};

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        reason: reason.into(),
    }
}

fn analysis(e: impl std::fmt::Display) -> FederationError {
    FederationError::Analysis(e.to_string())
}

fn parse(request: &Value) -> Result<CoxRequest, String> {
    serde_json::from_value(request.clone()).map_err(|e| format!("request of 'cox': {e}"))
}

/// The variables a request uses.
pub(crate) fn variables(request: &Value) -> Vec<String> {
    serde_json::from_value(request["terms"].clone()).unwrap_or_default()
}

fn ties_of(text: &str) -> Result<Ties, String> {
    match text {
        "efron" => Ok(Ties::Efron),
        "breslow" => Ok(Ties::Breslow),
        other => Err(format!("ties: '{other}' is not one of efron, breslow")),
    }
}

/// Values per row of a layer's cohort.
fn unique_terms(req: &CoxRequest) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in &req.terms {
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out
}

/// One term over a node's model rows: its numbers, or its levels and each
/// row's level index.
type TermValues = (Option<Vec<f64>>, Option<(Vec<Level>, Vec<usize>)>);

/// A node's model rows: cohort rows with the endpoint and every term.
struct NodeModel {
    cohort: usize,
    with_endpoint: usize,
    rows: Vec<usize>,
    day: Vec<u32>,
    event: Vec<bool>,
    /// Per term: numbers, or level codes of the node.
    values: Vec<TermValues>,
}

fn node_model(local: &Local<'_>, req: &CoxRequest) -> Result<NodeModel, Refusal> {
    let spec = req.endpoint.spec().map_err(|e| refuse(e.to_string()))?;
    let terms = unique_terms(req);
    let cohort = local.cohort;
    let vars = terms
        .iter()
        .map(|t| cohort.variable(t).map_err(|e| refuse(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let data = cohort
        .endpoint(&spec, req.line)
        .map_err(|e| refuse(e.to_string()))?;
    let missing = |i: usize| {
        vars.iter().any(|v| match &v.column {
            Column::Num(x) => x[i].is_none_or(|x| !x.is_finite()),
            Column::Cat { codes, .. } => codes[i].is_none(),
        })
    };
    let rows: Vec<usize> = (0..data.time.len())
        .filter(|&i| data.time[i].is_some() && !missing(i))
        .collect();
    let time: Vec<f64> = rows.iter().filter_map(|&i| data.time[i]).collect();
    let day = time
        .iter()
        .map(|&t| grid::day_of(t, spec.units))
        .collect::<Result<Vec<_>, _>>()?;
    let values = vars
        .iter()
        .map(|v| match &v.column {
            Column::Num(x) => (
                Some(rows.iter().map(|&i| x[i].unwrap_or(f64::NAN)).collect()),
                None,
            ),
            Column::Cat { levels, codes } => (
                None,
                Some((
                    levels.clone(),
                    rows.iter().map(|&i| codes[i].unwrap_or(0)).collect(),
                )),
            ),
        })
        .collect();
    Ok(NodeModel {
        cohort: cohort.len(),
        with_endpoint: data.time.len() - data.without_row,
        event: rows.iter().map(|&i| data.event[i]).collect(),
        rows,
        day,
        values,
    })
}

/// The keys round: each term's kind, label and (for a factor) levels; the
/// small-cell rule on factor levels.
pub(crate) fn node_meta(
    local: &Local<'_>,
    request: &Value,
) -> Result<(Value, Vec<usize>), Refusal> {
    let req = parse(request).map_err(refuse)?;
    let m = node_model(local, &req)?;
    let mut terms = Vec::new();
    for (name, (num, cat)) in unique_terms(&req).iter().zip(&m.values) {
        let label = local
            .cohort
            .variable(name)
            .map(|v| v.label.clone())
            .unwrap_or_default();
        if num.is_some() {
            terms.push(json!({"term": name, "label": label, "kind": "num"}));
        }
        if let Some((levels, codes)) = cat {
            let min = local.policy.min_cell;
            for (k, l) in levels.iter().enumerate() {
                let n = codes.iter().filter(|&&c| c == k).count();
                if n > 0 && n < min {
                    return Err(refuse(format!(
                        "level '{}' of '{name}' has fewer than {min} patients in the model at \
                         {}: merge levels or leave the term out (minimum cell size)",
                        l.label, local.node
                    )));
                }
            }
            terms.push(
                json!({"term": name, "label": label, "kind": "cat", "levels": levels_json(levels)}),
            );
        }
    }
    let events = m.event.iter().filter(|e| **e).count();
    if events > 0 && events < local.policy.min_cell {
        return Err(refuse(format!(
            "{events} event(s) in the model at {}, fewer than the minimum cell size {}",
            local.node, local.policy.min_cell
        )));
    }
    Ok((
        json!({"terms": terms, "bin_days": local.policy.time_bin_days}),
        m.rows.clone(),
    ))
}

/// The design columns (term, global level index) over a node's rows,
/// column-major.
fn design_x(m: &NodeModel, columns: &[(usize, Option<usize>)], codes: &[Vec<String>]) -> Vec<f64> {
    let n = m.rows.len();
    let mut x = Vec::with_capacity(n * columns.len());
    for &(j, level) in columns {
        match (&m.values[j], level) {
            ((Some(v), _), _) => x.extend_from_slice(v),
            ((None, Some((levels, own))), Some(k)) => {
                let want = codes.get(j).and_then(|c| c.get(k));
                x.extend(
                    own.iter()
                        .map(|&c| f64::from(u8::from(Some(&levels[c].code) == want))),
                );
            }
            _ => x.extend(std::iter::repeat_n(0.0, n)),
        }
    }
    x
}

fn ring(e: RingError) -> Refusal {
    refuse(e.to_string())
}

fn pairs_to_ring(pairs: &[(f64, f64)]) -> Result<Vec<R256>, Refusal> {
    pairs
        .iter()
        .map(|&(h, l)| R256::fixed_dd(h, l).map_err(ring))
        .collect()
}

/// A node's vector for a sum of the Cox plan.
pub(crate) fn node_vector(
    local: &Local<'_>,
    request: &Value,
    step: &str,
    params: &Value,
) -> Result<Vec<R256>, Refusal> {
    let req = parse(request).map_err(refuse)?;
    let spec = req.endpoint.spec().map_err(|e| refuse(e.to_string()))?;
    let m = node_model(local, &req)?;
    let codes: Vec<Vec<String>> =
        serde_json::from_value(params["codes"].clone()).map_err(|_| refuse("no level codes"))?;
    let bin = params["bin"].as_u64().unwrap_or(1).clamp(1, 3650) as u32;
    let c = |v: usize| R256::count(v as u64);
    if step == "totals" {
        let max_years = params["max_years"].as_u64().unwrap_or(100).min(1000) as u32;
        let mut v = vec![
            c(m.cohort),
            c(m.with_endpoint),
            c(m.rows.len()),
            c(m.event.iter().filter(|e| **e).count()),
        ];
        for (j, (num, cat)) in m.values.iter().enumerate() {
            if let Some(x) = num {
                v.push(c(x
                    .iter()
                    .filter(|&&x| x != 0.0 && x != 1.0 && x != -1.0)
                    .count()));
            }
            if let Some((levels, own)) = cat {
                for code in codes.get(j).into_iter().flatten() {
                    v.push(c(own.iter().filter(|&&k| &levels[k].code == code).count()));
                }
            }
        }
        v.extend(grid::range_vector(m.day.iter().copied().max(), max_years));
        return Ok(v);
    }
    let columns: Vec<(usize, Option<usize>)> =
        serde_json::from_value(params["columns"].clone()).map_err(|_| refuse("no design"))?;
    let p = columns.len();
    let names: Vec<String> = (0..p).map(|j| format!("x{j}")).collect();
    let x = design_x(&m, &columns, &codes);
    let time: Vec<f64> = m
        .day
        .iter()
        .map(|&d| grid::time_of(grid::point_of(d, bin), bin, spec.units))
        .collect();
    let data = CoxData {
        time: &time,
        event: &m.event,
        start: None,
        x: &x,
        names: &names,
        weights: None,
        strata: None,
        cluster: None,
    };
    let stats = |e: netra_stats::cox::CoxError| refuse(e.to_string());
    let floats = |key: &str| -> Result<Vec<f64>, Refusal> {
        serde_json::from_value(params[key].clone()).map_err(|_| refuse(format!("no {key}")))
    };
    match step {
        "moments" => {
            let last = params["last"].as_u64().unwrap_or(0).min(1 << 22) as usize;
            let w = ColumnMoments::from_rows(&data).map_err(stats)?.to_wire();
            let mut v = pairs_to_ring(&w.sum_wx)?;
            // Events per grid day: the pooled event days are the cells of
            // the Newton rounds.
            let mut per = vec![R256::ZERO; last + 1];
            for (&d, &e) in m.day.iter().zip(&m.event) {
                let at = grid::point_of(d, bin) as usize;
                let slot = per
                    .get_mut(at)
                    .ok_or_else(|| refuse("a time is beyond the grid"))?;
                *slot = slot.wrapping_add(R256::count(u64::from(e)));
            }
            v.extend(per);
            Ok(v)
        }
        "spread" => {
            let means = floats("means")?;
            let w = ColumnSpread::from_rows(&data, &means)
                .map_err(stats)?
                .to_wire();
            pairs_to_ring(&w.sum_w_absdev)
        }
        "newton" => {
            let std = Standardisation {
                mean: floats("means")?,
                scale: floats("scale")?,
            };
            let beta = floats("beta")?;
            let points: Vec<u32> = serde_json::from_value(params["points"].clone())
                .map_err(|_| refuse("no grid points"))?;
            let ties = ties_of(params["ties"].as_str().unwrap_or("")).map_err(refuse)?;
            let part = CoxPartial::from_rows(&data, &std, &beta, ties).map_err(stats)?;
            let w = part.to_wire();
            let width = width(p, ties);
            // The node's distinct times, ascending, are its cells in order.
            let mut mine: Vec<u32> = m.day.iter().map(|&d| grid::point_of(d, bin)).collect();
            mine.sort_unstable();
            mine.dedup();
            if mine.len() != w.keys.len() {
                return Err(refuse("the cells do not match the times"));
            }
            let cells = points.len();
            let mut v = vec![R256::ZERO; 2 + cells * (1 + width)];
            v[0] = R256::count(w.rows);
            v[1] = R256::count(u64::from(w.eta_max > 500.0));
            // A cell goes to the last pooled event day at or before it: rows
            // censored between two event days are at risk at the earlier
            // one and leave before the later one, exactly as in their own
            // cell; rows censored before the first event are in no risk
            // set. (Their event blocks are zero.) So only event days travel.
            for (c, point) in mine.iter().enumerate() {
                let at = match points.binary_search(point) {
                    Ok(i) => i,
                    Err(0) => continue,
                    Err(i) => i - 1,
                };
                v[2 + at] = v[2 + at].wrapping_add(R256::count(w.events[c]));
                let base = 2 + cells + at * width;
                for k in 0..width {
                    let i = 2 * (c * width + k);
                    let x = R256::fixed_dd(w.values[i], w.values[i + 1]).map_err(ring)?;
                    v[base + k] = v[base + k].wrapping_add(x);
                }
            }
            Ok(v)
        }
        other => Err(refuse(format!("unknown step '{other}' of cox"))),
    }
}

/// Values per cell of a right-censored `CoxPartial` (its layout).
fn width(p: usize, ties: Ties) -> usize {
    let moments = 1 + p + p * (p + 1) / 2;
    moments + 2 + p + if ties == Ties::Efron { moments } else { 0 }
}

/// A term as the hub knows it.
struct HubTerm {
    name: String,
    label: String,
    levels: Option<Vec<Level>>,
    reference: usize,
}

enum Stage {
    Totals,
    Moments,
    Spread,
    Newton,
    /// Newton rounds of a reduced model (`term_tests`).
    Refit,
}

/// A reduced model being fitted for a term's likelihood-ratio test.
struct Refit {
    /// The term left out (index in the plan's terms).
    term: usize,
    /// The term's design columns (indices into the full model's).
    dropped: Vec<usize>,
    /// The design columns kept.
    keep: Vec<usize>,
    rounds: Vec<(Vec<u64>, CoxPartial)>,
    asked: Vec<f64>,
}

/// The term tests under way: the full fit, the terms still to test and
/// the tests done.
struct TermRefits {
    full: CoxFit,
    pending: std::collections::VecDeque<usize>,
    current: Option<Refit>,
    done: Vec<CoxTermTest>,
}

fn test_out(t: ChisqTest) -> TestOut {
    TestOut {
        chisq: t.chisq,
        df: t.df,
        p: t.p,
    }
}

/// The hub's plan.
pub(crate) struct CoxPlan {
    req: CoxRequest,
    ties: Ties,
    max_years: u32,
    bin: u32,
    terms: Vec<HubTerm>,
    stage: Stage,
    out: Option<CoxOutput>,
    columns: Vec<(usize, Option<usize>)>,
    names: Vec<String>,
    nonunit: Vec<u64>,
    last: u32,
    points: Vec<u32>,
    n: u64,
    moments: Option<ColumnMoments>,
    std: Option<Standardisation>,
    rounds: Vec<(Vec<u64>, CoxPartial)>,
    asked: Vec<f64>,
    refits: Option<TermRefits>,
}

impl CoxPlan {
    pub(crate) fn new(request: &Value, max_years: u32) -> Result<CoxPlan, FederationError> {
        let req = parse(request).map_err(FederationError::Analysis)?;
        let ties = ties_of(&req.ties).map_err(FederationError::Analysis)?;
        req.endpoint.spec().map_err(analysis)?;
        if !(req.conf_level > 0.0 && req.conf_level < 1.0) {
            return Err(analysis(format!(
                "conf_level: {} is not strictly between 0 and 1",
                req.conf_level
            )));
        }
        if req.terms.is_empty() {
            return Err(analysis("terms: the model needs a variable"));
        }
        Ok(CoxPlan {
            req,
            ties,
            max_years,
            bin: 1,
            terms: Vec::new(),
            stage: Stage::Totals,
            out: None,
            columns: Vec::new(),
            names: Vec::new(),
            nonunit: Vec::new(),
            last: 0,
            points: Vec::new(),
            n: 0,
            moments: None,
            std: None,
            rounds: Vec::new(),
            asked: Vec::new(),
            refits: None,
        })
    }

    fn codes(&self) -> Vec<Vec<String>> {
        self.terms
            .iter()
            .map(|t| t.levels.iter().flatten().map(|l| l.code.clone()).collect())
            .collect()
    }

    fn params(&self, extra: Value) -> Value {
        let mut p = json!({
            "codes": self.codes(),
            "bin": self.bin,
            "max_years": self.max_years,
            "last": self.last,
            "columns": self.columns,
            "ties": self.req.ties,
        });
        if let (Some(o), Value::Object(e)) = (p.as_object_mut(), extra) {
            o.extend(e);
        }
        p
    }

    fn totals(&mut self, pooled: &[R256]) -> Result<Step, FederationError> {
        let spec = self.req.endpoint.spec().map_err(analysis)?;
        let v: Vec<u64> = pooled[..4]
            .iter()
            .map(|&x| count(x))
            .collect::<Result<_, _>>()?;
        let (cohort, with_endpoint, n, events) = (v[0], v[1], v[2], v[3]);
        self.n = n;
        let mut out = CoxOutput {
            title: spec.param(self.req.line),
            endpoint: spec.endpoint.code().to_string(),
            from: spec.from.code(),
            units: spec.units.code().to_string(),
            cohort: cohort as usize,
            with_endpoint: with_endpoint as usize,
            n: n as usize,
            events: events as usize,
            dropped: (cohort - n.min(cohort)) as usize,
            ties: self.req.ties.clone(),
            conf_level: self.req.conf_level,
            terms: Vec::new(),
            coefficients: Vec::new(),
            loglik: None,
            lr_test: None,
            wald_test: None,
            score_test: None,
            iterations: None,
            converged: None,
            warnings: Vec::new(),
            term_tests: Vec::new(),
        };
        let mut at = 4;
        self.columns.clear();
        self.names.clear();
        self.nonunit.clear();
        for (j, t) in self.terms.iter().enumerate() {
            let Some(levels) = &t.levels else {
                self.nonunit.push(count(pooled[at])?);
                at += 1;
                self.columns.push((j, None));
                self.names.push(t.name.clone());
                out.terms.push(CoxTerm {
                    term: t.name.clone(),
                    label: t.label.clone(),
                    reference: None,
                    levels: Vec::new(),
                    absent_levels: Vec::new(),
                    note: None,
                });
                continue;
            };
            let present: Vec<bool> = (0..levels.len())
                .map(|k| count(pooled[at + k]).map(|c| c > 0))
                .collect::<Result<_, _>>()?;
            at += levels.len();
            let r = t.reference;
            if n > 0 && !present.get(r).copied().unwrap_or(false) {
                return Err(analysis(format!(
                    "reference of '{}': level '{}' has no patient in the model; choose another \
                     (levels with patients: {})",
                    t.name,
                    levels.get(r).map_or("", |l| l.label.as_str()),
                    (0..levels.len())
                        .filter(|&k| present[k])
                        .map(|k| levels[k].label.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            let order: Vec<usize> = std::iter::once(r)
                .chain((0..levels.len()).filter(|&k| k != r))
                .filter(|&k| present.get(k).copied().unwrap_or(false))
                .collect();
            let note = (n > 0 && order.len() == 1).then(|| {
                format!(
                    "one level ({}) among the {n} patients of the model: no hazard ratio can \
                     be estimated",
                    levels[order[0]].label
                )
            });
            if order.len() > 1 {
                for &k in &order[1..] {
                    self.columns.push((j, Some(k)));
                    self.names.push(format!("{}={}", t.name, levels[k].label));
                }
            }
            out.terms.push(CoxTerm {
                term: t.name.clone(),
                label: t.label.clone(),
                reference: levels.get(r).map(|l| l.label.clone()),
                levels: order.iter().map(|&k| levels[k].label.clone()).collect(),
                absent_levels: (0..levels.len())
                    .filter(|&k| !present[k])
                    .map(|k| levels[k].label.clone())
                    .collect(),
                note,
            });
        }
        // Design columns in term order; factor columns in level order
        // after the reference (R's `model.matrix` with `relevel`).
        self.columns.sort_by_key(|&(j, k)| {
            let lev = k.map_or(0, |k| {
                let r = self.terms[j].reference;
                if k < r { k + 1 } else { k }
            });
            (j, lev)
        });
        self.names = self
            .columns
            .iter()
            .map(|&(j, k)| match (&self.terms[j].levels, k) {
                (Some(l), Some(k)) => format!("{}={}", self.terms[j].name, l[k].label),
                _ => self.terms[j].name.clone(),
            })
            .collect();
        self.last = grid::last_point(&pooled[at..], self.bin).unwrap_or(0);
        if n == 0 {
            out.warnings
                .push("no patient has the endpoint and every term: the model is not fitted".into());
            return Ok(Step::Done(serde_json::to_value(out).map_err(analysis)?));
        }
        if self.columns.is_empty() {
            let why: Vec<String> = out
                .terms
                .iter()
                .filter_map(|t| t.note.as_ref().map(|n| format!("'{}' has {n}", t.term)))
                .collect();
            out.warnings.push(format!(
                "the model has no coefficient to estimate ({}): it is not fitted",
                why.join("; ")
            ));
            return Ok(Step::Done(serde_json::to_value(out).map_err(analysis)?));
        }
        self.out = Some(out);
        self.stage = Stage::Moments;
        Ok(Step::Sum {
            step: "moments".into(),
            params: self.params(json!({})),
            len: self.columns.len() + self.last as usize + 1,
        })
    }

    fn moments(&mut self, pooled: &[R256]) -> Result<Step, FederationError> {
        let p = self.columns.len();
        let unit: Vec<bool> = self
            .columns
            .iter()
            .map(|&(j, k)| {
                k.is_some() || {
                    let num = self.terms[..=j]
                        .iter()
                        .filter(|t| t.levels.is_none())
                        .count();
                    self.nonunit.get(num - 1).copied().unwrap_or(1) == 0
                }
            })
            .collect();
        let wire = ColumnMomentsWire {
            rows: self.n,
            sum_w: (self.n as f64, 0.0),
            sum_wx: pooled[..p].iter().map(|v| v.to_dd()).collect(),
            unit_valued: unit,
        };
        let moments = ColumnMoments::from_wire(&wire).map_err(analysis)?;
        self.points = (0..=self.last)
            .filter(|&i| pooled[p + i as usize] != R256::ZERO)
            .collect();
        let means = moments.means();
        self.moments = Some(moments);
        self.stage = Stage::Spread;
        Ok(Step::Sum {
            step: "spread".into(),
            params: self.params(json!({ "means": means })),
            len: p,
        })
    }

    fn spread(&mut self, pooled: &[R256]) -> Result<Step, FederationError> {
        let spread = ColumnSpread::from_wire(&ColumnSpreadWire {
            sum_w_absdev: pooled.iter().map(|v| v.to_dd()).collect(),
        })
        .map_err(analysis)?;
        let moments = self
            .moments
            .as_ref()
            .ok_or_else(|| analysis("no centring round"))?;
        self.std = Some(Standardisation::new(moments, &spread));
        self.stage = Stage::Newton;
        self.rounds.clear();
        self.fit()
    }

    fn newton(&mut self, pooled: &[R256]) -> Result<Step, FederationError> {
        let part = self.pooled_partial(pooled, self.columns.len())?;
        let bits = self.asked.iter().map(|b| b.to_bits()).collect();
        self.rounds.push((bits, part));
        self.fit()
    }

    /// A pooled `newton` round of a model of `p` design columns.
    fn pooled_partial(&self, pooled: &[R256], p: usize) -> Result<CoxPartial, FederationError> {
        let width = width(p, self.ties);
        let cells = self.points.len();
        if pooled.len() != 2 + cells * (1 + width) {
            return Err(FederationError::Malformed(
                "a round of the wrong size".into(),
            ));
        }
        let wire = CoxPartialWire {
            p: p as u32,
            ties: self.ties,
            counting: false,
            rows: count(pooled[0])?,
            eta_max: if count(pooled[1])? > 0 { 501.0 } else { 0.0 },
            keys: (0..cells as u64).map(|k| (0, k)).collect(),
            events: pooled[2..2 + cells]
                .iter()
                .map(|&v| count(v))
                .collect::<Result<_, _>>()?,
            values: pooled[2 + cells..]
                .iter()
                .flat_map(|v| {
                    let (h, l) = v.to_dd();
                    [h, l]
                })
                .collect(),
        };
        CoxPartial::from_wire(&wire).map_err(analysis)
    }

    fn options(&self) -> CoxOptions {
        CoxOptions {
            ties: self.ties,
            conf_level: self.req.conf_level,
            robust: Some(false),
            ..CoxOptions::default()
        }
    }

    /// Replays the Newton iteration over the pooled rounds: the output, or
    /// the next β to sum.
    fn fit(&mut self) -> Result<Step, FederationError> {
        let std = self.std.clone().ok_or_else(|| analysis("no centring"))?;
        let opts = self.options();
        let mut need: Option<Vec<f64>> = None;
        let rounds = &self.rounds;
        let res = fit_partial(&self.names, &std, Intervals::RightCensored, &opts, |beta| {
            let bits: Vec<u64> = beta.iter().map(|b| b.to_bits()).collect();
            match rounds.iter().find(|(b, _)| *b == bits) {
                Some((_, part)) => Ok(part.clone()),
                None => {
                    need = Some(beta.to_vec());
                    Err(())
                }
            }
        });
        match res {
            Ok(fit) => self.output(&fit),
            Err(PartialCoxError::Round(())) => {
                let beta = need.ok_or_else(|| analysis("the iteration stopped"))?;
                self.asked = beta.clone();
                let cells = self.points.len();
                Ok(Step::Sum {
                    step: "newton".into(),
                    params: self.params(json!({
                        "means": std.mean, "scale": std.scale, "beta": beta, "points": self.points,
                    })),
                    len: 2 + cells * (1 + width(self.columns.len(), self.ties)),
                })
            }
            Err(PartialCoxError::Cox(e)) => Err(FederationError::Analysis(format!("cox: {e}"))),
        }
    }

    fn output(&mut self, fit: &CoxFit) -> Result<Step, FederationError> {
        let mut out = self.out.take().ok_or_else(|| analysis("no model"))?;
        netra_analysis::analyses::cox::fill_from_fit(&mut out, fit, |k| {
            let (j, level) = self.columns[k];
            let t = &self.terms[j];
            let label = match (&t.levels, level) {
                (Some(l), Some(i)) => Some(l[i].label.clone()),
                _ => None,
            };
            (t.name.clone(), label)
        });
        if !self.req.term_tests {
            return Ok(Step::Done(serde_json::to_value(out).map_err(analysis)?));
        }
        self.out = Some(out);
        self.refits = Some(TermRefits {
            full: fit.clone(),
            pending: (0..self.terms.len()).collect(),
            current: None,
            done: Vec::new(),
        });
        self.next_term()
    }

    /// Tests the next term: the Wald test from the full fit at once, the
    /// likelihood-ratio test after the reduced model's rounds (none when
    /// the term is the model's only one: the reduced model is β = 0).
    /// Terms without an estimable column are left out, as in the pooled
    /// analysis.
    fn next_term(&mut self) -> Result<Step, FederationError> {
        let toler = self.options().toler_chol;
        let refits = self
            .refits
            .as_mut()
            .ok_or_else(|| analysis("no term tests"))?;
        while let Some(j) = refits.pending.pop_front() {
            let dropped: Vec<usize> = (0..self.columns.len())
                .filter(|&k| self.columns[k].0 == j)
                .collect();
            let df = dropped
                .iter()
                .filter(|&&c| refits.full.coefficients[c].coef.is_some_and(f64::is_finite))
                .count();
            if df == 0 {
                continue;
            }
            let keep: Vec<usize> = (0..self.columns.len())
                .filter(|k| !dropped.contains(k))
                .collect();
            if keep.is_empty() {
                let full = &refits.full;
                refits.done.push(CoxTermTest {
                    term: self.terms[j].name.clone(),
                    df,
                    lr: likelihood_ratio(full.loglik, full.loglik_null, df).map(test_out),
                    wald: wald_subset(full, &dropped, toler).map(test_out),
                });
                continue;
            }
            refits.current = Some(Refit {
                term: j,
                dropped,
                keep,
                rounds: Vec::new(),
                asked: Vec::new(),
            });
            self.stage = Stage::Refit;
            return self.fit_reduced();
        }
        let mut out = self.out.take().ok_or_else(|| analysis("no model"))?;
        out.term_tests = std::mem::take(&mut refits.done);
        Ok(Step::Done(serde_json::to_value(out).map_err(analysis)?))
    }

    /// Replays the reduced model's Newton iteration (as [`Self::fit`]):
    /// its log-likelihood gives the term's test, or the next β to sum.
    fn fit_reduced(&mut self) -> Result<Step, FederationError> {
        let std = self.std.clone().ok_or_else(|| analysis("no centring"))?;
        let opts = self.options();
        let refits = self
            .refits
            .as_mut()
            .ok_or_else(|| analysis("no term tests"))?;
        let r = refits
            .current
            .as_mut()
            .ok_or_else(|| analysis("no reduced model"))?;
        let names: Vec<String> = r.keep.iter().map(|&k| self.names[k].clone()).collect();
        let sub = Standardisation {
            mean: r.keep.iter().map(|&k| std.mean[k]).collect(),
            scale: r.keep.iter().map(|&k| std.scale[k]).collect(),
        };
        let mut need: Option<Vec<f64>> = None;
        let rounds = &r.rounds;
        let res = fit_partial(&names, &sub, Intervals::RightCensored, &opts, |beta| {
            let bits: Vec<u64> = beta.iter().map(|b| b.to_bits()).collect();
            match rounds.iter().find(|(b, _)| *b == bits) {
                Some((_, part)) => Ok(part.clone()),
                None => {
                    need = Some(beta.to_vec());
                    Err(())
                }
            }
        });
        match res {
            Ok(reduced) => {
                let full = &refits.full;
                let df = r
                    .dropped
                    .iter()
                    .filter(|&&c| full.coefficients[c].coef.is_some_and(f64::is_finite))
                    .count();
                refits.done.push(CoxTermTest {
                    term: self.terms[r.term].name.clone(),
                    df,
                    lr: likelihood_ratio(full.loglik, reduced.loglik, df).map(test_out),
                    wald: wald_subset(full, &r.dropped, opts.toler_chol).map(test_out),
                });
                refits.current = None;
                self.next_term()
            }
            Err(PartialCoxError::Round(())) => {
                let beta = need.ok_or_else(|| analysis("the iteration stopped"))?;
                r.asked = beta.clone();
                let columns: Vec<(usize, Option<usize>)> =
                    r.keep.iter().map(|&k| self.columns[k]).collect();
                let p = columns.len();
                let cells = self.points.len();
                let mut params = self.params(json!({
                    "means": sub.mean, "scale": sub.scale, "beta": beta, "points": self.points,
                }));
                params["columns"] = json!(columns);
                Ok(Step::Sum {
                    step: "newton".into(),
                    params,
                    len: 2 + cells * (1 + width(p, self.ties)),
                })
            }
            Err(PartialCoxError::Cox(e)) => Err(FederationError::Analysis(format!(
                "cox (model without '{}'): {e}",
                self.terms[r.term].name
            ))),
        }
    }

    fn reduced_round(&mut self, pooled: &[R256]) -> Result<Step, FederationError> {
        let p = self
            .refits
            .as_ref()
            .and_then(|t| t.current.as_ref())
            .map(|r| r.keep.len())
            .ok_or_else(|| analysis("no reduced model"))?;
        let part = self.pooled_partial(pooled, p)?;
        let r = self
            .refits
            .as_mut()
            .and_then(|t| t.current.as_mut())
            .ok_or_else(|| analysis("no reduced model"))?;
        let bits = r.asked.iter().map(|b| b.to_bits()).collect();
        r.rounds.push((bits, part));
        self.fit_reduced()
    }
}

impl Plan for CoxPlan {
    fn begin(&mut self, metas: &BTreeMap<NodeId, Value>) -> Result<Step, FederationError> {
        self.stage = Stage::Totals;
        self.rounds.clear();
        self.refits = None;
        self.bin = metas
            .values()
            .filter_map(|m| m["bin_days"].as_u64())
            .max()
            .unwrap_or(1)
            .clamp(1, 3650) as u32;
        let names = unique_terms(&self.req);
        if let Some(name) = self.req.reference.keys().find(|k| !names.contains(k)) {
            return Err(analysis(format!(
                "reference of '{name}': is not a term of the model"
            )));
        }
        self.terms.clear();
        for (j, name) in names.iter().enumerate() {
            let of_node: Vec<&Value> = metas.values().map(|m| &m["terms"][j]).collect();
            let first = of_node
                .first()
                .ok_or_else(|| analysis("no node took part"))?;
            if of_node
                .iter()
                .any(|t| t["term"] != first["term"] || t["kind"] != first["kind"])
            {
                return Err(FederationError::Malformed(format!(
                    "the nodes disagree on the term '{name}'"
                )));
            }
            let label = first["label"].as_str().unwrap_or(name).to_owned();
            let levels = if first["kind"] == "cat" {
                let lists: Vec<Vec<Level>> = of_node.iter().map(|t| levels_of(t)).collect();
                Some(merge_levels(name, &lists))
            } else {
                if self.req.reference.contains_key(name) {
                    return Err(analysis(format!(
                        "reference of '{name}': is a number: it has no reference level"
                    )));
                }
                None
            };
            let reference = match (&levels, self.req.reference.get(name)) {
                (Some(levels), Some(want)) => {
                    levels.iter().position(|l| l.matches(want)).ok_or_else(|| {
                        analysis(format!(
                            "reference of '{name}': '{want}' is not a level (levels: {})",
                            levels
                                .iter()
                                .map(|l| l.label.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ))
                    })?
                }
                _ => 0,
            };
            self.terms.push(HubTerm {
                name: name.clone(),
                label,
                levels,
                reference,
            });
        }
        let len = 4
            + self
                .terms
                .iter()
                .map(|t| t.levels.as_ref().map_or(1, Vec::len))
                .sum::<usize>()
            + self.max_years as usize
            + 1;
        Ok(Step::Sum {
            step: "totals".into(),
            params: self.params(json!({})),
            len,
        })
    }

    fn next(&mut self, pooled: Vec<R256>) -> Result<Step, FederationError> {
        match self.stage {
            Stage::Totals => self.totals(&pooled),
            Stage::Moments => self.moments(&pooled),
            Stage::Spread => self.spread(&pooled),
            Stage::Newton => self.newton(&pooled),
            Stage::Refit => self.reduced_round(&pooled),
        }
    }

    fn notes(&self) -> Vec<String> {
        coarsened_note(self.bin)
    }
}
