//! Median follow-up (reverse Kaplan–Meier) and the SPSS-style median
//! interval against R (`validation/r/followup.R`): R's `quantile` of
//! `survfit(Surv(time, 1 - status) ~ 1)`, and the documented SPSS formula
//! evaluated in R on `survfit`'s curve; every field to 1e-10 relative.

mod common;

use common::{ABS, assert_opt_close_tol, f64s, fixture};
use netra_stats::km::{KmOptions, follow_up, km};
use serde_json::Value;

const REL: f64 = 1e-10;

fn check(actual: Option<f64>, expected: &Value, what: &str) {
    assert_opt_close_tol(actual, expected, what, REL, ABS);
}

fn data(c: &Value) -> (Vec<f64>, Vec<bool>) {
    let time = f64s(&c["time"]);
    let event = f64s(&c["status"]).iter().map(|s| *s == 1.0).collect();
    (time, event)
}

#[test]
fn reverse_km_median_follow_up_matches_survfit() {
    for c in fixture("followup/cases.json").as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (time, event) = data(c);
        let f = follow_up(&time, &event, None, &KmOptions::default()).unwrap();
        let r = &c["follow_up"];
        check(f.median.estimate, &r["median"], &format!("{name} median"));
        check(f.median.lower, &r["lower"], &format!("{name} lower"));
        check(f.median.upper, &r["upper"], &format!("{name} upper"));
        check(Some(f.min), &r["min"], &format!("{name} min"));
        check(Some(f.max), &r["max"], &format!("{name} max"));
        check(
            Some(f.censored),
            &r["censored"],
            &format!("{name} censored"),
        );
    }
}

#[test]
fn spss_median_interval_matches_the_formula_in_r() {
    let mut with_interval = 0;
    for c in fixture("followup/cases.json").as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let (time, event) = data(c);
        let curve = km(&time, &event, None, &KmOptions::default()).unwrap();
        let m = curve.median();
        check(
            m.estimate,
            &c["median"]["estimate"],
            &format!("{name} R median"),
        );
        let r = &c["spss_median"];
        // jsonlite writes R's NULL (no interval) as {}.
        let expected = r.as_object().filter(|o| !o.is_empty());
        let s = curve.median_symmetric();
        match (s, expected) {
            (None, None) => {}
            (Some(s), Some(_)) => {
                with_interval += 1;
                check(
                    Some(s.estimate),
                    &r["estimate"],
                    &format!("{name} estimate"),
                );
                check(Some(s.std_err), &r["std_err"], &format!("{name} se"));
                check(Some(s.lower), &r["lower"], &format!("{name} lower"));
                check(Some(s.upper), &r["upper"], &format!("{name} upper"));
            }
            (s, e) => panic!("{name}: netra {s:?} vs R {e:?}"),
        }
    }
    assert!(with_interval >= 6);
}
