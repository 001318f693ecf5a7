//! Weighted Kaplan–Meier curves of a weighting or emulation analysis (one
//! curve per group or strategy, pointwise CIs as the analysis computed
//! them: log-scale, robust variance), drawn with [`KmFigure`]. The curves
//! carry their steps only (the event times), so they end at the last
//! event; numbers at risk are weighted pseudo-populations, which a reader
//! would take for patients, so the figure has no at-risk table and no
//! censoring marks.

use netra_analysis::analyses::weighting::StepOut;

use super::km::{AtRisk, KmFigure, KmSeries};

/// One curve from the analysis' steps (a missing limit is NaN: the band
/// is interrupted there).
pub fn series(label: impl Into<String>, steps: &[StepOut]) -> KmSeries {
    let limit = |v: Option<f64>| v.unwrap_or(f64::NAN);
    let time: Vec<f64> = steps.iter().map(|s| s.time).collect();
    let median = steps.iter().find(|s| s.survival <= 0.5).map(|s| s.time);
    KmSeries {
        label: label.into(),
        end_time: time.last().copied().unwrap_or(0.0),
        time,
        estimate: steps.iter().map(|s| s.survival).collect(),
        lower: steps.iter().map(|s| limit(s.lower)).collect(),
        upper: steps.iter().map(|s| limit(s.upper)).collect(),
        censor_times: Vec::new(),
        median,
        at_risk: AtRisk::None,
    }
}

/// The figure of labelled curves, with confidence bands when `ci`.
pub fn figure(curves: &[(String, &[StepOut])], x_label: &str, ci: bool) -> KmFigure {
    let mut f = KmFigure::survival(
        curves.iter().map(|(l, s)| series(l.clone(), s)).collect(),
        x_label,
    );
    f.show_ci = ci;
    f.show_censor = false;
    f.at_risk_table = false;
    f.y_label = "Survival probability (weighted)".into();
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::Figure;

    fn step(time: f64, survival: f64, lower: Option<f64>) -> StepOut {
        StepOut {
            time,
            n_risk: 10.5,
            n_event: 1.2,
            survival,
            lower,
            upper: Some((survival + 0.1).min(1.0)),
        }
    }

    #[test]
    fn series_keeps_the_steps_and_finds_the_median() {
        let steps = [step(1.0, 0.8, Some(0.7)), step(2.5, 0.45, None)];
        let s = series("E→C", &steps);
        assert_eq!(s.time, vec![1.0, 2.5]);
        assert_eq!(s.estimate, vec![0.8, 0.45]);
        assert_eq!(s.lower[0], 0.7);
        assert!(s.lower[1].is_nan());
        assert_eq!(s.median, Some(2.5));
        assert_eq!(s.end_time, 2.5);
        assert_eq!(s.at_risk, AtRisk::None);
    }

    #[test]
    fn figure_draws_both_curves_with_bands_and_no_at_risk_table() {
        let a = [step(1.0, 0.8, Some(0.7)), step(3.0, 0.6, Some(0.5))];
        let b = [step(2.0, 0.9, Some(0.8)), step(4.0, 0.7, Some(0.6))];
        let f = figure(
            &[("E→C".into(), &a[..]), ("C→E".into(), &b[..])],
            "Months",
            true,
        );
        let svg = f.to_svg().unwrap();
        assert!(svg.contains("E→C") && svg.contains("C→E"));
        assert!(svg.contains("weighted"));
        assert!(!f.at_risk_table && f.show_ci);
        // No curves: the figure refuses rather than drawing an empty frame.
        assert!(figure(&[], "Months", true).to_svg().is_err());
    }
}
