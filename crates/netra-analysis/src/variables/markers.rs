//! Biochemical (tumour-marker) response: per patient and marker, the fall
//! of the marker from its baseline and its normalisation.
//!
//! * **Baseline** — the last value measured on or before time zero (study
//!   entry, else the metastatic diagnosis); without one, the first value
//!   measured within [`AFTER_DAYS`] days after it (a sample taken at the
//!   first visit). Without a time zero, the earliest value. A baseline of
//!   0 or less has no relative change (missing).
//! * **Follow-up** — every value measured after the baseline's day.
//! * **Best response** — the lowest follow-up value; its change from
//!   baseline, `100 × (best − baseline) / baseline` (negative: a fall).
//! * **Normalisation** — the baseline above the upper limit of normal the
//!   registry stores with it (`upper_limit`), and a follow-up value at or
//!   below the limit stored with that value (the laboratory's own range,
//!   which may change between samples). Missing when the baseline is not
//!   above its limit, either limit is not recorded, or there is no
//!   follow-up.
//!
//! Dates by the registry's `mid_point` rule (`YYYY` → 1 July).
//!
//! The variables (every tumour marker of [`RESPONSE_MARKERS`], codes as
//! `marker.CODE`):
//! * `marker_change.CODE` — the best change (%), a number (cut it in a
//!   study file for other thresholds);
//! * `marker_response.CODE` — `fall_50` (fall ≥ 50%), `fall_20` (fall ≥
//!   20% and < 50%), `none` (a smaller fall or a rise), by the thresholds
//!   [`LOW`] and [`HIGH`]; the `markers` analysis takes others;
//! * `marker_normalised.CODE` — yes/no as above;
//! * `marker_response.best` — the best `marker_response` over the
//!   patient's markers (for "markers improved by ≥ 20%" in composite
//!   outcomes).

use netra_clinical::registry::date::Imputation;
use netra_clinical::registry::model::{Biomarker, PatientCourse};
use netra_clinical::registry::vocab::{Marker, Vocabulary};

use super::frame::{Column, Level};
use super::registry::{capitalise, day};

/// Days after time zero a baseline sample may be taken when none was
/// taken before it.
pub const AFTER_DAYS: i32 = 30;
/// The smaller fall (%) of `marker_response.CODE`.
pub const LOW: f64 = 20.0;
/// The larger fall (%) of `marker_response.CODE`.
pub const HIGH: f64 = 50.0;

/// Tumour markers with response variables (the laboratory values of the
/// vocabulary — creatinine, blood counts — are not response markers).
pub const RESPONSE_MARKERS: &[Marker] = &[
    Marker::ChromograninA,
    Marker::Urinary5Hiaa,
    Marker::Nse,
    Marker::Gastrin,
    Marker::Insulin,
    Marker::Vip,
    Marker::Glucagon,
    Marker::Serotonin,
    Marker::PancreaticPolypeptide,
    Marker::Cea,
    Marker::Ca199,
];

/// One patient's response of one marker.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerResponse {
    /// Baseline value.
    pub baseline: f64,
    /// Baseline day (days since 1970-01-01).
    pub baseline_day: i32,
    /// The baseline's upper limit of normal.
    pub baseline_uln: Option<f64>,
    /// Follow-up values: (day, value, upper limit of normal), in time
    /// order.
    pub follow_up: Vec<(i32, f64, Option<f64>)>,
}

impl MarkerResponse {
    /// The lowest follow-up value.
    pub fn best(&self) -> Option<f64> {
        self.follow_up.iter().map(|f| f.1).reduce(f64::min)
    }

    /// The best change from baseline, in percent (`None`: no follow-up, or
    /// a baseline of 0 or less).
    pub fn best_change(&self) -> Option<f64> {
        let best = self.best()?;
        (self.baseline > 0.0).then(|| 100.0 * (best - self.baseline) / self.baseline)
    }

    /// True when the baseline was above its upper limit and a follow-up
    /// value is at or below its own; `None` when that cannot be said.
    pub fn normalised(&self) -> Option<bool> {
        let uln = self.baseline_uln?;
        if self.baseline <= uln || self.follow_up.is_empty() {
            return None;
        }
        let mut known = false;
        for &(_, v, u) in &self.follow_up {
            if let Some(u) = u {
                known = true;
                if v <= u {
                    return Some(true);
                }
            }
        }
        known.then_some(false)
    }

    /// The response level of the best change with falls `low` < `high`
    /// (percent): 0 = fall ≥ high, 1 = fall ≥ low, 2 = less.
    pub fn level(&self, low: f64, high: f64) -> Option<usize> {
        let c = self.best_change()?;
        Some(if c <= -high {
            0
        } else if c <= -low {
            1
        } else {
            2
        })
    }
}

/// Time zero of the marker response: study entry, else the metastatic
/// diagnosis.
pub fn time_zero(c: &PatientCourse) -> Option<i32> {
    day(&c.patient.entry_date).or_else(|| day(&c.patient.metastatic_date))
}

/// The marker's baseline and follow-up in `c` (`None`: no baseline).
pub fn marker_response(c: &PatientCourse, m: Marker) -> Option<MarkerResponse> {
    let mut values: Vec<(i32, &Biomarker)> = c
        .biomarkers
        .iter()
        .filter(|b| b.marker == m && b.value.is_finite())
        .map(|b| (b.date.impute(Imputation::MidPoint).day.0, b))
        .collect();
    // Stable: samples of one day keep their recorded order.
    values.sort_by_key(|(d, _)| *d);
    let base = match time_zero(c) {
        Some(t0) => values.iter().rposition(|(d, _)| *d <= t0).or_else(|| {
            values
                .iter()
                .position(|(d, _)| *d > t0 && *d <= t0 + AFTER_DAYS)
        })?,
        None => {
            if values.is_empty() {
                return None;
            }
            0
        }
    };
    let (bday, b) = values[base];
    Some(MarkerResponse {
        baseline: b.value,
        baseline_day: bday,
        baseline_uln: b.upper_limit,
        follow_up: values[base + 1..]
            .iter()
            .filter(|(d, _)| *d > bday)
            .map(|(d, x)| (*d, x.value, x.upper_limit))
            .collect(),
    })
}

/// Every variable name of the family.
pub fn names() -> Vec<String> {
    let mut v = Vec::new();
    for m in RESPONSE_MARKERS {
        v.push(format!("marker_change.{}", m.code()));
        v.push(format!("marker_response.{}", m.code()));
        v.push(format!("marker_normalised.{}", m.code()));
    }
    v.push("marker_response.best".into());
    v
}

fn marker_of(code: &str) -> Option<Marker> {
    let m = Marker::from_code(code).ok()?;
    RESPONSE_MARKERS.contains(&m).then_some(m)
}

/// `Some(categorical)` for a name of the family.
pub fn kind(name: &str) -> Option<bool> {
    if name == "marker_response.best" {
        return Some(true);
    }
    if let Some(c) = name.strip_prefix("marker_change.") {
        return marker_of(c).map(|_| false);
    }
    let c = name
        .strip_prefix("marker_response.")
        .or_else(|| name.strip_prefix("marker_normalised."))?;
    marker_of(c).map(|_| true)
}

/// The printed name of a variable of the family.
pub fn label(name: &str) -> Option<String> {
    if name == "marker_response.best" {
        return Some("Best marker response".into());
    }
    let (what, code) = name.split_once('.')?;
    let m = capitalise(marker_of(code)?.label());
    match what {
        "marker_change" => Some(format!("{m}: best change from baseline (%)")),
        "marker_response" => Some(format!("{m} response")),
        "marker_normalised" => Some(format!("{m} normalised")),
        _ => None,
    }
}

/// The response levels for falls `low` < `high` (percent), best first.
pub fn response_levels(low: f64, high: f64) -> Vec<Level> {
    let f = |x: f64| {
        if x == x.trunc() && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            format!("{x}")
        }
    };
    vec![
        Level {
            code: "fall_50".into(),
            label: format!("Fall \u{2265} {}%", f(high)),
        },
        Level {
            code: "fall_20".into(),
            label: format!("Fall {}\u{2013}{}%", f(low), f(high)),
        },
        Level {
            code: "none".into(),
            label: format!("Fall < {}% or rise", f(low)),
        },
    ]
}

/// The column of a variable of the family over `courses` (`None`: not a
/// name of the family).
pub fn column(name: &str, courses: &[PatientCourse]) -> Option<Column> {
    if name == "marker_response.best" {
        let codes = courses
            .iter()
            .map(|c| {
                RESPONSE_MARKERS
                    .iter()
                    .filter_map(|&m| marker_response(c, m)?.level(LOW, HIGH))
                    .min()
            })
            .collect();
        return Some(Column::Cat {
            levels: response_levels(LOW, HIGH),
            codes,
        });
    }
    let (what, code) = name.split_once('.')?;
    let m = marker_of(code)?;
    let per: Vec<Option<MarkerResponse>> = courses.iter().map(|c| marker_response(c, m)).collect();
    match what {
        "marker_change" => Some(Column::Num(
            per.iter()
                .map(|r| r.as_ref().and_then(MarkerResponse::best_change))
                .collect(),
        )),
        "marker_response" => Some(Column::Cat {
            levels: response_levels(LOW, HIGH),
            codes: per
                .iter()
                .map(|r| r.as_ref().and_then(|r| r.level(LOW, HIGH)))
                .collect(),
        }),
        "marker_normalised" => Some(Column::Cat {
            levels: vec![
                Level {
                    code: "no".into(),
                    label: "No".into(),
                },
                Level {
                    code: "yes".into(),
                    label: "Yes".into(),
                },
            ],
            codes: per
                .iter()
                .map(|r| r.as_ref().and_then(|r| r.normalised()).map(usize::from))
                .collect(),
        }),
        _ => None,
    }
}
