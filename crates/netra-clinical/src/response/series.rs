//! Waterfall and spider data for response figures.
//!
//! * Waterfall: one bar per patient, the best (most negative) % change of
//!   the target sum from baseline over the follow-up scans with every
//!   target measured, up to and including the first progression; bars are
//!   sorted from the largest increase to the deepest response, as plotted.
//!   Patients without such a scan (no targets, or none measured completely)
//!   are left out and listed in `excluded`.
//! * Spider: per patient, the % change from baseline at each completely
//!   measured scan, starting at (day 0, 0 %).

use super::{Category, Date, PatientResponse};

/// One waterfall bar.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallBar {
    /// Patient.
    pub patient: String,
    /// Best % change of the target sum from baseline.
    pub best_change_pct: f64,
    /// The patient's best overall response (to colour the bar).
    pub best_overall_response: Category,
}

/// Waterfall data and the patients left out.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Waterfall {
    /// Bars, largest increase first.
    pub bars: Vec<WaterfallBar>,
    /// Patients without a completely measured follow-up scan.
    pub excluded: Vec<String>,
}

/// Best % change per patient.
pub fn waterfall(patients: &[PatientResponse]) -> Waterfall {
    let mut out = Waterfall::default();
    for p in patients {
        let end = p
            .timepoints
            .iter()
            .position(|t| t.overall == Category::PD)
            .map_or(p.timepoints.len(), |i| i + 1);
        let best = p.timepoints[..end]
            .iter()
            .filter_map(|t| t.change_from_baseline_pct)
            .fold(None, |acc: Option<f64>, v| {
                Some(acc.map_or(v, |a| a.min(v)))
            });
        match best {
            Some(v) => out.bars.push(WaterfallBar {
                patient: p.patient.clone(),
                best_change_pct: v,
                best_overall_response: p.best.category,
            }),
            None => out.excluded.push(p.patient.clone()),
        }
    }
    out.bars.sort_by(|a, b| {
        b.best_change_pct
            .total_cmp(&a.best_change_pct)
            .then(a.patient.cmp(&b.patient))
    });
    out
}

/// One point of a spider line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpiderPoint {
    /// Scan date.
    pub date: Date,
    /// Days since baseline.
    pub days: i32,
    /// % change of the target sum from baseline.
    pub change_pct: f64,
}

/// One patient's line.
#[derive(Debug, Clone, PartialEq)]
pub struct SpiderLine {
    /// Patient.
    pub patient: String,
    /// Points in time order, baseline first.
    pub points: Vec<SpiderPoint>,
}

/// % change over time per patient with targets.
pub fn spider(patients: &[PatientResponse]) -> Vec<SpiderLine> {
    patients
        .iter()
        .filter(|p| p.baseline_sum.is_some_and(|s| s > 0.0))
        .map(|p| {
            let mut points = vec![SpiderPoint {
                date: p.baseline_date,
                days: 0,
                change_pct: 0.0,
            }];
            points.extend(p.timepoints.iter().filter_map(|t| {
                t.change_from_baseline_pct.map(|c| SpiderPoint {
                    date: t.date,
                    days: t.days,
                    change_pct: c,
                })
            }));
            SpiderLine {
                patient: p.patient.clone(),
                points,
            }
        })
        .collect()
}
