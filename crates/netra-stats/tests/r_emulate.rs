//! Clone–censor–weight emulation (`netra_stats::emulate`) against R on the
//! fixtures written by `validation/r/emulate.R`, which builds the clones,
//! the person-interval rows and the weights in plain R and takes every
//! weighted statistic from R itself: the pooled logistic deviation models
//! (`glm`), the row weights, the weighted Kaplan–Meier curves on `(start,
//! stop]` rows clustered by patient (`survfit(weights =, id =, robust =
//! TRUE, influence = TRUE)`), RMST and survival at chosen times with their
//! IJ standard errors, their differences between strategies (per-patient
//! influences), and `coxph(weights =, cluster = id)` with the robust SE,
//! weighted and unweighted. Tolerance 1e-7 relative.

mod common;

use netra_stats::emulate::{
    EmulateOptions, Stabilize, StrategyData, TimeTerms, TimeVarying, Trial, emulate,
};
use serde_json::Value;

use common::{as_opt_f64, close, f64s};

const REL: f64 = 1e-7;
const ABS: f64 = 1e-9;

fn check(actual: f64, expected: &Value, what: &str) {
    let e = as_opt_f64(expected).unwrap_or(f64::NAN);
    assert!(
        close(actual, e, REL, ABS),
        "{what}: netra {actual} vs R {e}"
    );
}

fn check_all(actual: &[f64], expected: &Value, what: &str) {
    let e = f64s(expected);
    assert_eq!(actual.len(), e.len(), "{what}: length");
    for (i, (a, b)) in actual.iter().zip(&e).enumerate() {
        assert!(close(*a, *b, REL, ABS), "{what}[{i}]: netra {a} vs R {b}");
    }
}

fn trial_of(input: &Value) -> Trial {
    let time = f64s(&input["time"]);
    let n = time.len();
    let event: Vec<bool> = input["event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    let prog = f64s(&input["progressed_at"]);
    let strategies = input["strategies"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(k, s)| StrategyData {
            name: format!("s{k}"),
            deviation: f64s(&s["deviation"])
                .into_iter()
                .map(|d| (!d.is_nan()).then_some(d))
                .collect(),
            windows: s["windows"]
                .as_array()
                .unwrap()
                .iter()
                .map(|ws| {
                    ws.as_array()
                        .unwrap()
                        .iter()
                        .map(|w| {
                            let w = f64s(w);
                            [w[0], w[1]]
                        })
                        .collect()
                })
                .collect(),
        })
        .collect();
    Trial {
        time,
        event,
        baseline: vec![f64s(&input["x1"]), f64s(&input["x2"])],
        baseline_names: vec!["x1".into(), "x2".into()],
        time_varying: vec![TimeVarying {
            name: "progressed".into(),
            steps: (0..n)
                .map(|i| {
                    if prog[i].is_nan() {
                        Vec::new()
                    } else {
                        vec![(prog[i], 1.0)]
                    }
                })
                .collect(),
        }],
        strategies,
    }
}

fn run(name: &str) {
    let f = common::fixture(&format!("emulate/{name}.json"));
    let input = &f["input"];
    let trial = trial_of(input);
    let opts = EmulateOptions {
        interval: input["interval"].as_f64().unwrap(),
        time_terms: if input["quadratic"].as_bool().unwrap() {
            TimeTerms::Quadratic
        } else {
            TimeTerms::Linear
        },
        tau: input["tau"].as_f64(),
        by_window: input["by_window"].as_bool().unwrap(),
        stabilize: match input["stabilize"].as_str() {
            Some("baseline") => Stabilize::Baseline,
            Some("time") => Stabilize::Time,
            _ => Stabilize::None,
        },
        times: f64s(&input["times"]),
        ..EmulateOptions::default()
    };
    let e = emulate(&trial, &opts).unwrap();
    let ex = &f["expected"];
    for (k, arm) in e.arms.iter().enumerate() {
        let x = &ex["arms"][k];
        let what = |s: &str| format!("{name} arm {k} {s}");
        assert_eq!(
            arm.clones as u64,
            x["clones"].as_u64().unwrap(),
            "{}",
            what("clones")
        );
        assert_eq!(
            arm.rows as u64,
            x["rows"].as_u64().unwrap(),
            "{}",
            what("rows")
        );
        assert_eq!(arm.at_risk_rows as u64, x["at_risk_rows"].as_u64().unwrap());
        assert_eq!(arm.deviations as u64, x["deviations"].as_u64().unwrap());
        assert_eq!(arm.events as u64, x["events"].as_u64().unwrap());
        if opts.by_window {
            // Per-window models: each is R's glm on its window's rows; the
            // weights below (their fitted values) are the check.
            assert!(arm.model.is_none() && !arm.window_models.is_empty());
        } else {
            let m = arm.model.as_ref().unwrap();
            let coef: Vec<f64> = m.coefficients.iter().map(|c| c.estimate.unwrap()).collect();
            check_all(&coef, &x["coefficients"], &what("coefficients"));
            let se: Vec<f64> = m.coefficients.iter().map(|c| c.se.unwrap()).collect();
            check_all(&se, &x["se"], &what("se"));
            check(m.deviance, &x["deviance"], &what("deviance"));
        }
        // Row weights, in R's row order (patient, then interval).
        let rows: Vec<_> = e.rows.iter().filter(|r| r.arm == k).collect();
        let ids = f64s(&x["row_id"]);
        let starts = f64s(&x["row_start"]);
        for (r, (id, st)) in rows.iter().zip(ids.iter().zip(&starts)) {
            assert_eq!(r.patient + 1, *id as usize);
            assert_eq!(r.start, *st);
        }
        check_all(
            &rows.iter().map(|r| r.weight).collect::<Vec<_>>(),
            &x["weights"],
            &what("weights"),
        );
        let c = &arm.curve;
        let xc = &x["curve"];
        check_all(&c.time, &xc["time"], &what("time"));
        check_all(&c.n_risk, &xc["n_risk"], &what("n_risk"));
        check_all(&c.n_event, &xc["n_event"], &what("n_event"));
        check_all(&c.survival, &xc["survival"], &what("survival"));
        check_all(&c.std_err, &xc["std_err"], &what("std_err"));
        let lower = f64s(&xc["lower"]);
        let upper = f64s(&xc["upper"]);
        for j in 0..c.time.len() {
            for (a, b, s) in [
                (c.lower[j], lower[j], "lower"),
                (c.upper[j], upper[j], "upper"),
            ] {
                assert!(
                    close(a, b, REL, ABS) || (a.is_nan() && b.is_nan()),
                    "{} [{j}]: {a} vs {b}",
                    what(s)
                );
            }
        }
        let (rm, rse) = arm.rmst.unwrap();
        check(rm, &x["rmst"], &what("rmst"));
        check(rse, &x["rmst_se"], &what("rmst_se"));
        check_all(
            &arm.survival_at
                .iter()
                .map(|s| s.survival)
                .collect::<Vec<_>>(),
            &x["survival_at"],
            &what("survival_at"),
        );
        check_all(
            &arm.survival_at
                .iter()
                .map(|s| s.std_err)
                .collect::<Vec<_>>(),
            &x["survival_se"],
            &what("survival_se"),
        );
    }
    for (h, key) in [(&e.hr[0], "cox"), (&e.hr_unweighted[0], "cox_unweighted")] {
        let h = h.unwrap();
        let x = &ex[key];
        check(h.coef, &x["coef"], &format!("{name} {key} coef"));
        check(h.se, &x["se"], &format!("{name} {key} se"));
        check(
            h.robust_se,
            &x["robust_se"],
            &format!("{name} {key} robust_se"),
        );
        check(h.hr, &x["hr"], &format!("{name} {key} hr"));
        check(h.lower, &x["lower"], &format!("{name} {key} lower"));
        check(h.upper, &x["upper"], &format!("{name} {key} upper"));
    }
    let rd = e.rmst_difference[0].unwrap();
    check(
        rd.estimate,
        &ex["rmst_difference"]["estimate"],
        "rmst difference",
    );
    check(
        rd.std_err,
        &ex["rmst_difference"]["std_err"],
        "rmst difference se",
    );
    let sd = &e.survival_difference[0];
    check_all(
        &sd.iter().map(|c| c.estimate).collect::<Vec<_>>(),
        &ex["survival_difference"]["estimate"],
        "survival difference",
    );
    check_all(
        &sd.iter().map(|c| c.std_err).collect::<Vec<_>>(),
        &ex["survival_difference"]["std_err"],
        "survival difference se",
    );
}

#[test]
fn grace_two_strategies_matches_r() {
    run("grace_two_strategies");
}

#[test]
fn coarse_grid_quadratic_matches_r() {
    run("coarse_grid_quadratic");
}

#[test]
fn per_window_models_match_r() {
    run("by_window");
}

#[test]
fn stabilized_weights_with_a_baseline_numerator_match_r() {
    run("stabilized_baseline");
}

#[test]
fn stabilized_weights_with_a_time_numerator_match_r() {
    run("stabilized_time");
}
