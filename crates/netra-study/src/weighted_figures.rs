//! The figures of an `[[analysis]]` of `emulate` or `weighting`: weighted
//! Kaplan–Meier curves per strategy (or treated and control) with
//! pointwise CIs, and the love plot of the balance before and after
//! weighting. The figure runs the analysis' request again through the
//! layer (without its bootstrap, which no figure draws): the same request
//! on the same cohort gives the same curves as `analyses/ID.json`.

use netra_analysis::analyses::emulate::EmulateOutput;
use netra_analysis::analyses::weighting::{BalanceOut, StepOut, WeightingOutput};
use netra_report::figure::love::LoveFigure;
use netra_report::figure::weighted;
use serde_json::{Value, json};

use crate::StudyError;
use crate::context::Context;
use crate::facts::Facts;
use crate::figures::AnyFigure;

/// The curves and balance of either analysis.
struct Weighted {
    title: String,
    units: String,
    curves: Vec<(String, Vec<StepOut>)>,
    balance: Vec<BalanceOut>,
    /// Where the balance was measured.
    balance_at: &'static str,
    conf_level: f64,
}

fn run(
    ctx: &Context<'_>,
    what: &str,
    analysis: &str,
    kind: &str,
    request: &Value,
) -> Result<Weighted, StudyError> {
    let err = |e: String| StudyError::analysis(what, format!("analysis '{analysis}': {e}"));
    let mut request = request.clone();
    if kind == "emulate"
        && let Value::Object(m) = &mut request
    {
        m.insert("bootstrap".into(), json!(0));
    }
    let out = netra_analysis::analyses::run_json(&ctx.cohort, kind, request)
        .map_err(|e| err(e.to_string()))?;
    match kind {
        "emulate" => {
            let o: EmulateOutput = serde_json::from_value(out).map_err(|e| err(e.to_string()))?;
            Ok(Weighted {
                title: o.title,
                units: o.units,
                curves: o.arms.into_iter().map(|a| (a.strategy, a.curve)).collect(),
                balance: o.balance,
                balance_at: "among the clones of the first two strategies still following them at \
                             the end of the grace period",
                conf_level: o.conf_level,
            })
        }
        _ => {
            let o: WeightingOutput = serde_json::from_value(out).map_err(|e| err(e.to_string()))?;
            Ok(Weighted {
                title: o.title,
                units: o.units,
                curves: o.curves.into_iter().map(|c| (c.level, c.steps)).collect(),
                balance: o.balance,
                balance_at: "at time zero",
                conf_level: o.conf_level,
            })
        }
    }
}

fn x_label(units: &str) -> String {
    let mut s = units.to_string();
    if let Some(c) = s.get_mut(0..1) {
        c.make_ascii_uppercase();
    }
    s
}

/// Weighted Kaplan–Meier curves of the analysis `analysis` (of `kind`).
#[allow(clippy::too_many_arguments)]
pub fn km(
    ctx: &Context<'_>,
    what: &str,
    analysis: &str,
    kind: &str,
    request: &Value,
    ci: bool,
    x_max: Option<f64>,
    facts: &mut Facts,
) -> Result<(AnyFigure, String), StudyError> {
    let w = run(ctx, what, analysis, kind, request)?;
    if w.curves.iter().all(|(_, s)| s.is_empty()) {
        return Err(StudyError::analysis(
            what,
            format!("analysis '{analysis}' has no weighted curve to draw (see its warnings)"),
        ));
    }
    let curves: Vec<(String, &[StepOut])> = w
        .curves
        .iter()
        .map(|(l, s)| (l.clone(), s.as_slice()))
        .collect();
    let mut f = weighted::figure(&curves, &x_label(&w.units), ci);
    f.x_max = x_max;
    facts.insert(
        format!("{analysis}_weighted_km"),
        json!({
            "curves": w.curves.iter().map(|(l, s)| json!({
                "label": l,
                "steps": s.len(),
                "last_survival": s.last().map(|x| x.survival),
            })).collect::<Vec<_>>(),
        }),
    );
    let caption = format!(
        "Weighted Kaplan–Meier estimates of {} by {}{}; weights as in analysis '{analysis}'. \
         Weighted numbers at risk are pseudo-populations and are not shown.",
        w.title.to_lowercase(),
        if kind == "emulate" {
            "strategy (clones censored at deviation, inverse-probability-of-censoring weights)"
        } else {
            "group (inverse-probability-of-treatment weights)"
        },
        if ci {
            format!(
                ", with pointwise {:.0}% confidence bands (log scale, robust variance)",
                100.0 * w.conf_level
            )
        } else {
            String::new()
        },
    );
    Ok((AnyFigure::Km(f), caption))
}

/// The love plot of the analysis `analysis` (of `kind`).
pub fn love(
    ctx: &Context<'_>,
    what: &str,
    analysis: &str,
    kind: &str,
    request: &Value,
    facts: &mut Facts,
) -> Result<(AnyFigure, String), StudyError> {
    let w = run(ctx, what, analysis, kind, request)?;
    if w.balance.is_empty() {
        return Err(StudyError::analysis(
            what,
            format!(
                "analysis '{analysis}' has no balance to draw (no covariates, or nobody at the \
                 end of the grace period)"
            ),
        ));
    }
    let f = LoveFigure::from_balance(&w.balance);
    let max_after = w
        .balance
        .iter()
        .filter_map(|b| b.smd_after.map(f64::abs))
        .reduce(f64::max);
    facts.insert(
        format!("{analysis}_love"),
        json!({"rows": w.balance.len(), "max_abs_smd_after": max_after}),
    );
    let caption = format!(
        "Standardised mean differences of the covariates {} before (open) and after (filled) \
         weighting; dashed lines at ±0.1.",
        w.balance_at
    );
    Ok((AnyFigure::Love(f), caption))
}
