//! The output filled from the fitted emulation: arms, contrasts (with the
//! naive comparison beside them), the deviation models' coefficients, the
//! balance at the end of the grace period, E-values.

use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::emulate::{Emulation, Trial};
use netra_stats::weighting::{evalue_hr, smd};

use super::DAYS_PER_MONTH;
use super::derive::LineAfter;
use super::output::{ArmOut, ContrastOut, DifferenceAt, EmulateOutput, SurvivalAtOut};
use super::request::{EmulateRequest, StrategySpec};
use super::trial::{Baseline, Candidate};
use crate::analyses::weighting::{
    BalanceOut, EValueOut, EstimateOut, PsCoefficient, StepOut, WeightsOut,
};

pub(super) fn est(estimate: f64, lower: f64, upper: f64, p: f64) -> EstimateOut {
    EstimateOut {
        estimate,
        lower,
        upper,
        p: p.is_finite().then_some(p),
    }
}

pub(super) fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

#[allow(clippy::too_many_arguments)]
pub(super) fn fill(
    out: &mut EmulateOutput,
    trial: &Trial,
    fit: &Emulation,
    req: &EmulateRequest,
    after: &[Vec<LineAfter>],
    base: &Baseline,
    cand: &[Candidate],
) {
    out.tau = fit.tau;
    out.n_truncated = fit.n_truncated;
    out.warnings.extend(fit.warnings.iter().cloned());
    for (k, a) in fit.arms.iter().enumerate() {
        let c = &a.curve;
        out.arms.push(ArmOut {
            strategy: a.name.clone(),
            steps: req.strategies[k].steps.clone(),
            clones: a.clones,
            deviations: a.deviations,
            events: a.events,
            rows: a.rows,
            at_risk_rows: a.at_risk_rows,
            model: model_rows(a),
            weights: a.weight_summary.as_ref().map(|s| WeightsOut {
                group: "rows".into(),
                level: Some(a.name.clone()),
                n: s.n,
                sum: s.sum,
                mean: s.mean,
                sd: s.sd,
                min: s.min,
                q25: s.q25,
                median: s.median,
                q75: s.q75,
                max: s.max,
                ess: s.ess,
            }),
            curve: (0..c.time.len())
                .map(|j| StepOut {
                    time: c.time[j],
                    n_risk: c.n_risk[j],
                    n_event: c.n_event[j],
                    survival: c.survival[j],
                    lower: finite(c.lower[j]),
                    upper: finite(c.upper[j]),
                })
                .collect(),
            rmst: a.rmst.map(|r| r.0),
            rmst_se: a.rmst.and_then(|r| finite(r.1)),
            survival_at: a
                .survival_at
                .iter()
                .map(|s| SurvivalAtOut {
                    time: s.time,
                    survival: s.survival,
                    lower: s.lower,
                    upper: s.upper,
                })
                .collect(),
        });
    }
    let z_hr =
        |h: &Option<netra_stats::emulate::HazardRatio>| h.map(|h| est(h.hr, h.lower, h.upper, h.p));
    for k in 1..fit.arms.len() {
        let hr = z_hr(&fit.hr[k - 1]);
        let (n_naive, hr_naive) = naive(trial, after, req, k, req.conf_level);
        out.contrasts.push(ContrastOut {
            strategy: fit.arms[k].name.clone(),
            reference: fit.arms[0].name.clone(),
            n_naive,
            hr_naive,
            hr_unweighted: z_hr(&fit.hr_unweighted[k - 1]),
            hr,
            hr_bootstrap: None,
            rmst_difference: fit.rmst_difference[k - 1]
                .map(|c| est(c.estimate, c.lower, c.upper, c.p)),
            rmst_bootstrap: None,
            survival_difference: fit.survival_difference[k - 1]
                .iter()
                .zip(&req.times_months)
                .map(|(c, &t)| DifferenceAt {
                    time: t,
                    difference: est(c.estimate, c.lower, c.upper, c.p),
                    bootstrap: None,
                })
                .collect(),
            evalue: hr.and_then(|h| {
                evalue_hr(h.estimate, h.lower, h.upper, req.rare_outcome).map(|e| EValueOut {
                    rare_outcome: e.rare,
                    rr: e.rr,
                    point: e.point,
                    ci: e.ci,
                })
            }),
        });
    }
    balance_at_grace(out, fit, req, base, cand);
}

/// The deviation model's coefficients; per-window models prefix the
/// window (`window 2: ecog`).
fn model_rows(a: &netra_stats::emulate::Arm) -> Vec<PsCoefficient> {
    let row = |prefix: &str, c: &netra_stats::glm::GlmCoefficient| PsCoefficient {
        name: format!("{prefix}{}", c.name),
        estimate: c.estimate,
        se: c.se,
        p: c.p,
    };
    match &a.model {
        Some(m) => m.coefficients.iter().map(|c| row("", c)).collect(),
        None => a
            .window_models
            .iter()
            .enumerate()
            .filter_map(|(w, m)| m.as_ref().map(|m| (w, m)))
            .flat_map(|(w, m)| {
                let prefix = format!("window {}: ", w + 1);
                m.coefficients
                    .iter()
                    .map(|c| row(&prefix, c))
                    .collect::<Vec<_>>()
            })
            .collect(),
    }
}

/// Naive: patients whose first lines after time zero were strategy k's
/// first two steps (or the reference's), unweighted Cox from time zero.
fn naive(
    trial: &Trial,
    after: &[Vec<LineAfter>],
    req: &EmulateRequest,
    k: usize,
    conf_level: f64,
) -> (usize, Option<EstimateOut>) {
    let received = |p: usize, s: &StrategySpec| {
        s.steps
            .iter()
            .take(2)
            .enumerate()
            .all(|(j, step)| after[p].get(j).is_some_and(|l| l.follows(step)))
    };
    let mut time = Vec::new();
    let mut event = Vec::new();
    let mut x = Vec::new();
    let mut n_k = 0;
    for p in 0..trial.len() {
        let g = if received(p, &req.strategies[k]) {
            n_k += 1;
            1.0
        } else if received(p, &req.strategies[0]) {
            0.0
        } else {
            continue;
        };
        time.push(trial.time[p]);
        event.push(trial.event[p]);
        x.push(g);
    }
    let names = ["strategy".to_string()];
    let fit = coxph(
        &CoxData {
            time: &time,
            event: &event,
            start: None,
            x: &x,
            names: &names,
            weights: None,
            strata: None,
            cluster: None,
        },
        &CoxOptions {
            conf_level,
            ..CoxOptions::default()
        },
    )
    .ok();
    let hr = fit.and_then(|f| {
        let c = f.coefficients.first()?;
        Some(EstimateOut {
            estimate: c.hr?,
            lower: c.hr_lower?,
            upper: c.hr_upper?,
            p: c.p,
        })
    });
    (n_k, hr)
}

/// Balance among the clones of the first two arms still uncensored (and
/// alive) at the end of the grace period: unweighted, and weighted by the
/// clone's weight then.
fn balance_at_grace(
    out: &mut EmulateOutput,
    fit: &Emulation,
    req: &EmulateRequest,
    base: &Baseline,
    cand: &[Candidate],
) {
    let g = req.grace_days / DAYS_PER_MONTH;
    let mut who: Vec<(usize, bool, f64)> = Vec::new();
    for r in &fit.rows {
        if r.arm <= 1 && r.start < g && g <= r.stop && !(r.deviated && r.stop <= g) {
            who.push((r.patient, r.arm == 1, r.weight));
        }
    }
    if who.is_empty() {
        return;
    }
    let treated: Vec<bool> = who.iter().map(|w| w.1).collect();
    let w: Vec<f64> = who.iter().map(|w| w.2).collect();
    for (label, level, values) in &base.balance {
        let x: Vec<f64> = who
            .iter()
            .map(|&(p, _, _)| values[cand[p].0].unwrap_or(f64::NAN))
            .collect();
        if x.iter().any(|v| !v.is_finite()) {
            continue;
        }
        if level.is_some() && !x.contains(&1.0) {
            continue;
        }
        if let Some(s) = smd(&x, &treated, &w) {
            out.balance.push(BalanceOut {
                variable: label.clone(),
                label: match level {
                    Some(l) => format!("{label}: {l}"),
                    None => label.clone(),
                },
                level: level.clone(),
                binary: s.binary,
                mean_treated: s.mean_treated,
                mean_control: s.mean_control,
                weighted_mean_treated: s.weighted_mean_treated,
                weighted_mean_control: s.weighted_mean_control,
                smd_before: s.smd_before,
                smd_after: s.smd_after,
            });
        }
    }
    out.max_abs_smd_after = out
        .balance
        .iter()
        .filter_map(|b| b.smd_after.map(f64::abs))
        .reduce(f64::max);
}
