//! What an analysis shows to whom: the small-cell rule and the analysts'
//! coarsening (docs/web.md, "What an analyst sees").
//!
//! * The threshold `m` is the larger of the server's minimum cell size
//!   (`Config::min_cell`, `netra serve --min-cell`, default 5) and the
//!   query's `min_cell` for analysts; for other roles the query's
//!   `min_cell` alone (0: full detail).
//! * With `m ≥ 2` a count `c` with `0 < c < m` is withheld (`null` in JSON,
//!   `<m` on pages and in CSV), as `netra sequences` does; zero is shown.
//!   A group of fewer than `m` patients shows no number at all (its
//!   curve is not drawn); a cohort of fewer than `m` shows nothing but
//!   that. A median, a confidence limit or a landmark rate is shown only
//!   where at least `m` patients are still at risk, and a curve is drawn
//!   only while `m` or more are at risk, without censoring marks (each
//!   mark is one patient's last follow-up); the numbers at risk under it
//!   read `<m` after the cut. A test across groups (log-rank)
//!   is withheld when a compared group is withheld. The layer's full
//!   outputs (every curve step), the paper tables of every response
//!   category and the cumulative incidence are not given.
//! * Any registered analysis through `POST /api/analyses/{name}`
//!   ([`protect`]): the same rule read from the output's JSON, so that an
//!   analysis registered later is covered without code here — see
//!   [`protect`] for the rule.
//! * Analysts filter ages by 5-year bands only (an exact age range would
//!   single a patient out) and see study arms as `arm 1`, `arm 2`, … by
//!   the registry's arms in label order ([`crate::pseudo::Arms`]), as the
//!   record pages number them (arm labels are free text).

use netra_analysis::analyses::survival::KmCurve;
use netra_report::figure::km::{AtRisk, KmSeries};
use serde_json::Value;

use crate::error::AppError;

/// What the viewer of an analysis may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct View {
    /// Counts below this are withheld (0 or 1: none).
    pub min_cell: u64,
    /// The viewer is an analyst (pseudonymised view): coarse filters,
    /// pseudonymous arm labels.
    pub pseudonymised: bool,
}

impl View {
    /// Full detail (administrators, data managers, investigators without a
    /// threshold).
    pub fn full() -> View {
        View::default()
    }

    /// True when the small-cell rule applies.
    pub fn suppresses(&self) -> bool {
        self.min_cell > 1
    }

    /// True when the viewer gets the layer's full outputs, the paper tables
    /// and the cumulative incidence: not under the small-cell rule, and
    /// never analysts (those outputs carry the groups' own labels, arms
    /// included, and every curve step).
    pub fn detailed(&self) -> bool {
        !self.suppresses() && !self.pseudonymised
    }

    /// True when `n` patients are too few to show (`0 < n < m`).
    pub fn too_few(&self, n: f64) -> bool {
        self.suppresses() && n > 0.0 && n < self.min_cell as f64
    }

    /// A patient count as shown: `None` when withheld.
    pub fn count(&self, c: usize) -> Option<usize> {
        (!self.too_few(c as f64)).then_some(c)
    }

    /// A count as shown (`u64`).
    pub fn count_u64(&self, c: u64) -> Option<u64> {
        (!self.too_few(c as f64)).then_some(c)
    }

    /// An event count as shown (events may be weighted).
    pub fn count_f64(&self, c: f64) -> Option<f64> {
        (!self.too_few(c)).then_some(c)
    }

    /// True when `at_risk` patients are enough to show a value read from a
    /// curve at that point (a median, a limit, a landmark rate).
    pub fn enough_at_risk(&self, at_risk: f64) -> bool {
        !self.suppresses() || at_risk >= self.min_cell as f64
    }

    /// Text of a withheld count.
    pub fn withheld(&self) -> String {
        format!("<{}", self.min_cell)
    }
}

/// The number at risk just before `t` on a Kaplan–Meier curve: the `n_risk`
/// of the first step at or after `t`, else those left after the last step.
pub fn at_risk(curve: &KmCurve, t: f64) -> f64 {
    match curve.time.iter().position(|&s| s >= t) {
        Some(i) => curve.n_risk[i],
        None => match curve.time.len().checked_sub(1) {
            Some(l) => curve.n_risk[l] - curve.n_event[l] - curve.n_censor[l],
            None => 0.0,
        },
    }
}

/// A value read from a curve at time `t` (a median or a limit), kept only
/// where enough patients are at risk.
pub fn at(view: &View, curve: &KmCurve, t: Option<f64>) -> Option<f64> {
    t.filter(|&t| view.enough_at_risk(at_risk(curve, t)))
}

/// The figure's series of a curve under the small-cell rule: the steps
/// while at least `m` are at risk, no censoring marks, the median only if
/// shown.
pub fn series(view: &View, label: String, curve: &KmCurve, median: Option<f64>) -> KmSeries {
    let mut s = KmSeries::from_km(label, curve);
    if !view.suppresses() {
        return s;
    }
    let keep = curve
        .n_risk
        .iter()
        .take_while(|&&n| n >= view.min_cell as f64)
        .count();
    s.time.truncate(keep);
    s.estimate.truncate(keep);
    s.lower.truncate(keep);
    s.upper.truncate(keep);
    s.censor_times.clear();
    s.end_time = s.time.last().copied().unwrap_or(0.0);
    s.median = median.filter(|&m| m <= s.end_time);
    let time = s.time.clone();
    let n_risk = curve.n_risk[..keep].to_vec();
    s.at_risk = if keep < curve.len() {
        // After the cut fewer than m are at risk (maybe none): `<m`, never
        // a false 0 and never the number.
        AtRisk::Cut {
            time,
            n_risk,
            after: view.withheld(),
        }
    } else {
        // The whole curve: after its last time nobody is at risk (0, as
        // R's summary with extend = TRUE prints).
        AtRisk::Steps { time, n_risk }
    };
    s
}

/// Integral fields that are not patient counts (line numbers, degrees of
/// freedom, codes, settings echoed from the request), and the times and
/// levels a request names: never withheld.
const NOT_COUNTS: &[&str] = &[
    "line",
    "df",
    "code",
    "cause_code",
    "iterations",
    "depth",
    "max_lines",
    "min_cell",
    "conf_level",
    "landmark_months",
    "landmarks",
    "times",
    "time",
    "tau",
    "rho",
    "version",
    "threshold",
    "thresholds",
    "shrink",
    "grow",
];

/// Fields that show single patients' values (per-step curves, a
/// group's extreme values, the last follow-up time, per-lesion rows):
/// always withheld under the rule.
const INDIVIDUAL: &[&str] = &["steps", "min", "max", "last_time", "lesions"];

/// True for a field of [`INDIVIDUAL`] holding values: `steps` only as
/// curve steps (objects or numbers), not a pathway's step names.
fn individual(key: &str, v: &Value) -> bool {
    match (key, v) {
        (_, Value::Null) => false,
        ("steps", Value::Array(xs)) => xs.iter().any(|x| x.is_object() || x.is_number()),
        ("steps", _) => false,
        _ => INDIVIDUAL.contains(&key),
    }
}

/// Test statistics across groups: withheld when any count is.
const TESTS: &[&str] = &["p", "p_value", "chisq", "statistic"];

/// True for a number that may be a patient count: a non-negative whole
/// number under a field that is not in [`NOT_COUNTS`].
fn countlike(key: &str, v: &Value) -> Option<f64> {
    if NOT_COUNTS.contains(&key) {
        return None;
    }
    let x = v.as_f64()?;
    (x >= 0.0 && x.fract() == 0.0).then_some(x)
}

/// Withholds the small counts of one value (`key` is its field, or the
/// field of the array holding it); true when something was withheld.
fn small_counts(view: &View, path: &str, key: &str, v: &mut Value, out: &mut Vec<String>) -> bool {
    match v {
        Value::Array(xs) => {
            let mut any = false;
            for (i, x) in xs.iter_mut().enumerate() {
                // An object in an array is a row (a group, a line, a
                // coefficient): what it holds is computed from its cell.
                let row = x.is_object();
                any |= match x {
                    Value::Object(_) => protect_object(view, &format!("{path}[{i}]"), x, row, out),
                    _ => small_counts(view, &format!("{path}[{i}]"), key, x, out),
                };
            }
            any
        }
        Value::Object(_) => protect_object(view, path, v, false, out),
        x => match countlike(key, x) {
            Some(c) if view.too_few(c) => {
                *x = Value::Null;
                out.push(path.to_string());
                true
            }
            _ => false,
        },
    }
}

fn join(path: &str, k: &str) -> String {
    if path.is_empty() {
        k.to_string()
    } else {
        format!("{path}.{k}")
    }
}

/// Withholds the numbers of `v` but [`NOT_COUNTS`] fields: all of them,
/// or (`counts == false`) only those that cannot be counts (estimates).
fn withhold_numbers(path: &str, key: &str, v: &mut Value, counts: bool, out: &mut Vec<String>) {
    if NOT_COUNTS.contains(&key) {
        return;
    }
    match v {
        Value::Number(_) if counts || countlike(key, v).is_none() => {
            *v = Value::Null;
            out.push(path.to_string());
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter_mut().enumerate() {
                withhold_numbers(&format!("{path}[{i}]"), key, x, counts, out);
            }
        }
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                withhold_numbers(&join(path, k), k, x, counts, out);
            }
        }
        _ => {}
    }
}

/// The rule on one object: its individual values, then its small counts
/// (nested objects first). When one of its own counts is withheld, the
/// numbers beside it are too: in a row (an object of an array: a group, a
/// line) every number it holds, elsewhere its own estimates (plain
/// numbers that cannot be counts; other counts stand on their own).
fn protect_object(
    view: &View,
    path: &str,
    v: &mut Value,
    row: bool,
    out: &mut Vec<String>,
) -> bool {
    let Value::Object(map) = v else { return false };
    let mut own = false;
    let mut nested = false;
    for (k, x) in map.iter_mut() {
        if individual(k, x) {
            *x = Value::Null;
            out.push(join(path, k));
            continue;
        }
        let objects = matches!(x, Value::Object(_))
            || matches!(x, Value::Array(xs) if xs.iter().any(Value::is_object));
        let hit = small_counts(view, &join(path, k), k, x, out);
        if objects {
            nested |= hit;
        } else {
            own |= hit;
        }
    }
    if own {
        for (k, x) in map.iter_mut() {
            let plain = match x {
                Value::Number(_) => true,
                Value::Array(xs) => xs.iter().all(|y| y.is_number() || y.is_array()),
                _ => false,
            };
            if row || plain {
                withhold_numbers(&join(path, k), k, x, row, out);
            }
        }
    }
    own || nested
}

/// Withholds every test statistic of an output.
fn withhold_tests(path: &str, v: &mut Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if TESTS.contains(&k.as_str()) && !x.is_null() {
                    *x = Value::Null;
                    out.push(here);
                } else {
                    withhold_tests(&here, x, out);
                }
            }
        }
        Value::Array(xs) => {
            for (i, x) in xs.iter_mut().enumerate() {
                withhold_tests(&format!("{path}[{i}]"), x, out);
            }
        }
        _ => {}
    }
}

/// The small-cell rule on any analysis output (its JSON), for
/// `POST /api/analyses/{name}`; returns the paths withheld (`groups[1].n`).
/// With a threshold `m ≥ 2` ([`View::suppresses`]):
///
/// 1. a cohort of `0 < n < m` patients shows nothing (the caller passes
///    `cohort`; the output becomes `null`, path `*`);
/// 2. per-step curves (`steps`), a group's `min` and `max` and a
///    `last_time` (single patients' values) are withheld;
/// 3. every whole number `0 < c < m` that may be a count (any field but
///    line numbers, degrees of freedom, codes and settings echoed:
///    `NOT_COUNTS`) is withheld, also inside arrays (`n: [3, 40]`, a
///    contingency table, `[category, count]` pairs) — a median that
///    happens to be a whole number below `m` too: the rule errs on the
///    side of withholding;
/// 4. in an object where one of its own counts was withheld, its other
///    numbers (estimates and limits computed from that small cell) are
///    withheld;
/// 5. if anything was withheld under 3, every test across groups (`p`,
///    `p_value`, `chisq`, `statistic`) is withheld.
///
/// Analyses that suppress themselves (`sequences`, with the cohort's
/// threshold) pass through unchanged where they already did.
pub fn protect(view: &View, cohort: usize, output: &mut Value) -> Vec<String> {
    let mut out = Vec::new();
    if !view.suppresses() {
        return out;
    }
    if view.too_few(cohort as f64) {
        *output = Value::Null;
        out.push("*".into());
        return out;
    }
    let counted = small_counts(view, "", "", output, &mut out);
    if counted {
        withhold_tests("", output, &mut out);
    }
    out
}

/// Checks the age filters an analyst may use: whole 5-year bands (the
/// youngest age a multiple of 5, the oldest one less than a multiple of 5).
pub fn check_age_bands(age_min: Option<i64>, age_max: Option<i64>) -> Result<(), AppError> {
    if let Some(a) = age_min
        && a.rem_euclid(5) != 0
    {
        return Err(AppError::BadRequest(format!(
            "age_min: analysts filter by 5-year bands; give a multiple of 5 (not {a})"
        )));
    }
    if let Some(a) = age_max
        && a.rem_euclid(5) != 4
    {
        return Err(AppError::BadRequest(format!(
            "age_max: analysts filter by 5-year bands; give the last year of a band, e.g. 59 or 64 (not {a})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_below_the_threshold_are_withheld_and_zero_is_shown() {
        let v = View {
            min_cell: 5,
            pseudonymised: true,
        };
        assert_eq!(v.count(0), Some(0));
        assert_eq!(v.count(1), None);
        assert_eq!(v.count(4), None);
        assert_eq!(v.count(5), Some(5));
        assert_eq!(View::full().count(1), Some(1));
        assert!(!v.enough_at_risk(4.0) && v.enough_at_risk(5.0));
    }

    #[test]
    fn any_output_loses_its_small_cells_and_what_depends_on_them() {
        let v = View {
            min_cell: 5,
            pseudonymised: true,
        };
        let mut out = serde_json::json!({
            "cohort": 40,
            "line": 1,
            "groups": [
                {"label": "G1", "n": 3, "median": 12.5, "at_times": [{"time": 3.0, "survival": 0.5}]},
                {"label": "G2", "n": 37, "events": 20.0, "median": 10.25, "min": 41.0, "steps": [{"time": 1.0}]}
            ],
            "n": [3, 37],
            "logrank": {"chisq": 4.1, "df": 1, "p": 0.04},
        });
        let withheld = protect(&v, 40, &mut out);
        assert_eq!(out["groups"][0]["n"], Value::Null);
        assert_eq!(
            out["groups"][0]["median"],
            Value::Null,
            "estimate of a small group"
        );
        assert_eq!(out["groups"][0]["at_times"][0]["survival"], Value::Null);
        assert_eq!(out["groups"][1]["median"], 10.25);
        assert_eq!(out["groups"][1]["events"], 20.0);
        assert_eq!(out["groups"][1]["min"], Value::Null);
        assert_eq!(out["groups"][1]["steps"], Value::Null);
        let mut pathway = serde_json::json!({"pathways": [{"steps": ["L1 ssa"], "n": 12}]});
        protect(&v, 40, &mut pathway);
        assert_eq!(
            pathway["pathways"][0]["steps"][0], "L1 ssa",
            "names, not values"
        );
        assert_eq!(out["n"], serde_json::json!([null, 37]));
        assert_eq!(out["cohort"], 40, "a count of its own");
        assert_eq!(out["logrank"]["p"], Value::Null);
        assert_eq!(out["logrank"]["df"], 1);
        assert_eq!(out["line"], 1);
        assert_eq!(out["groups"][0]["at_times"][0]["time"], 3.0);
        assert!(
            withheld.contains(&"groups[0].n".to_string()),
            "{withheld:?}"
        );
        let mut small = serde_json::json!({"cohort": 4});
        assert_eq!(protect(&v, 4, &mut small), vec!["*".to_string()]);
        assert!(small.is_null());
        let mut full = serde_json::json!({"n": 1});
        assert!(protect(&View::full(), 1, &mut full).is_empty());
        assert_eq!(full["n"], 1);
    }

    #[test]
    fn analysts_filter_ages_by_bands() {
        assert!(check_age_bands(Some(60), Some(69)).is_ok());
        assert!(check_age_bands(None, None).is_ok());
        assert!(check_age_bands(Some(61), None).is_err());
        assert!(check_age_bands(None, Some(61)).is_err());
        assert!(check_age_bands(Some(63), Some(63)).is_err());
    }
}
