//! `netra cox --plot`: the forest plot of the (multivariate) model's
//! hazard ratios, drawn by netra-report's forest figure — the one study
//! reports draw.

use netra_analysis::analyses::cox::table::CoxTableOutput;
use netra_report::figure::forest::{ForestFigure, ForestRow};

use crate::plot::PlotArgs;

/// The forest plot of `out`'s multivariate model: one row per term, with
/// "not estimable" where the ratio or its interval is not finite.
pub fn figure(out: &CoxTableOutput, plot: &PlotArgs) -> anyhow::Result<ForestFigure> {
    let m = &out.multivariate;
    if m.terms.is_empty() {
        anyhow::bail!("--plot: the model has no terms to draw");
    }
    let rows = m
        .terms
        .iter()
        .map(|t| match (t.hr, t.hr_lower, t.hr_upper) {
            (Some(hr), Some(lo), Some(hi))
                if [hr, lo, hi].iter().all(|v| v.is_finite() && *v > 0.0) =>
            {
                ForestRow::new(t.name.clone(), hr, lo, hi, t.p)
            }
            _ => ForestRow {
                note: Some("not estimable".into()),
                ..ForestRow::heading(t.name.clone())
            },
        })
        .map(|mut r| {
            r.heading = false;
            r
        })
        .collect();
    let mut f = ForestFigure::hazard_ratios(rows);
    let level = (m.conf_level * 100.0 * 1e6).round() / 1e6;
    let ratio = if m.fine_gray.is_some() { "SHR" } else { "HR" };
    f.estimate_header = format!("{ratio} ({level}% CI)");
    f.title = plot.title();
    f.x_label = plot.x_label(|| {
        if m.fine_gray.is_some() {
            "Subdistribution hazard ratio (log scale)".into()
        } else {
            "Hazard ratio (log scale)".into()
        }
    });
    Ok(f)
}
