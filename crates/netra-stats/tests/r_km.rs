//! Kaplan–Meier against R: every field of every fixture written by
//! `validation/r/km.R` (survfit, summary.survfit, quantile.survfit,
//! survmean), at 1e-9 relative (1e-12 absolute near zero).

mod common;

use common::{assert_all_close, assert_close, assert_opt_close, f64s};
use netra_stats::km::{
    AtTime, ConfType, KmCurve, KmOptions, Variance, km, km_by_group, rmst_difference,
};
use serde_json::Value;

fn fixtures() -> Vec<(String, Value)> {
    let dir = common::fixture_path("km");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(
        names.len() >= 30,
        "expected the full fixture set, found {}",
        names.len()
    );
    names
        .into_iter()
        .map(|n| {
            let v = common::fixture(&format!("km/{n}"));
            (n, v)
        })
        .collect()
}

fn bools(v: &Value) -> Vec<bool> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_bool().unwrap()).collect(),
        Value::Bool(b) => vec![*b],
        other => panic!("not booleans: {other}"),
    }
}

fn fit(fx: &Value) -> Vec<KmCurve> {
    let input = &fx["input"];
    let time = f64s(&input["time"]);
    let event = bools(&input["event"]);
    let weights = (!input["weights"].is_null()).then(|| f64s(&input["weights"]));
    let opts = &fx["options"];
    let options = KmOptions {
        conf_type: opts["conf_type"]
            .as_str()
            .unwrap()
            .parse::<ConfType>()
            .unwrap(),
        conf_level: opts["conf_level"].as_f64().unwrap(),
        timefix: opts["timefix"].as_bool().unwrap(),
        variance: Variance::Auto,
    };
    if input["group"].is_null() {
        vec![km(&time, &event, weights.as_deref(), &options).unwrap()]
    } else {
        let group: Vec<u32> = f64s(&input["group"]).iter().map(|&g| g as u32).collect();
        let n_groups = match &input["levels"] {
            Value::Array(a) => a.len(),
            _ => 1,
        };
        km_by_group(
            &time,
            &event,
            weights.as_deref(),
            &group,
            n_groups,
            &options,
        )
        .unwrap()
    }
}

fn check_at_times(rows: &[AtTime], expected: &Value, what: &str) {
    let col = |f: fn(&AtTime) -> Option<f64>| -> Vec<f64> {
        rows.iter().map(|r| f(r).unwrap_or(f64::NAN)).collect()
    };
    assert_all_close(
        &col(|r| Some(r.time)),
        &expected["time"],
        &format!("{what}.time"),
    );
    assert_all_close(
        &col(|r| Some(r.n_risk)),
        &expected["n_risk"],
        &format!("{what}.n_risk"),
    );
    assert_all_close(
        &col(|r| r.survival),
        &expected["survival"],
        &format!("{what}.survival"),
    );
    assert_all_close(
        &col(|r| r.std_err),
        &expected["std_err"],
        &format!("{what}.std_err"),
    );
    assert_all_close(
        &col(|r| r.lower),
        &expected["lower"],
        &format!("{what}.lower"),
    );
    assert_all_close(
        &col(|r| r.upper),
        &expected["upper"],
        &format!("{what}.upper"),
    );
}

fn check_curve(c: &KmCurve, e: &Value, fx: &Value, name: &str) {
    let what = format!("{name} [{}]", e["group"]);
    assert_eq!(c.n as u64, e["n"].as_u64().unwrap(), "{what}: n");
    assert_close(c.events(), &e["events"], &format!("{what}: events"));
    assert_eq!(c.robust, e["robust"].as_bool().unwrap(), "{what}: robust");

    let s = &e["steps"];
    assert_all_close(&c.time, &s["time"], &format!("{what}: time"));
    assert_all_close(&c.n_risk, &s["n_risk"], &format!("{what}: n_risk"));
    assert_all_close(&c.n_event, &s["n_event"], &format!("{what}: n_event"));
    assert_all_close(&c.n_censor, &s["n_censor"], &format!("{what}: n_censor"));
    assert_all_close(&c.survival, &s["survival"], &format!("{what}: survival"));
    assert_all_close(&c.std_err, &s["std_err"], &format!("{what}: std_err"));
    assert_all_close(&c.lower, &s["lower"], &format!("{what}: lower"));
    assert_all_close(&c.upper, &s["upper"], &format!("{what}: upper"));

    let q = &e["quantiles"];
    let probs = f64s(&q["p"]);
    let (est, lo, up) = (f64s(&q["estimate"]), f64s(&q["lower"]), f64s(&q["upper"]));
    for (k, &p) in probs.iter().enumerate() {
        let got = c.quantile(p).unwrap();
        let num = |x: f64| if x.is_nan() { Value::Null } else { x.into() };
        assert_opt_close(got.estimate, &num(est[k]), &format!("{what}: quantile {p}"));
        assert_opt_close(
            got.lower,
            &num(lo[k]),
            &format!("{what}: quantile {p} lower"),
        );
        assert_opt_close(
            got.upper,
            &num(up[k]),
            &format!("{what}: quantile {p} upper"),
        );
    }

    let times = f64s(&fx["times"]);
    // extend = FALSE: R drops times after the curve's last time; netra keeps
    // them with no estimate and 0 at risk.
    let rows = c.at_times(&times, false).unwrap();
    let last = *c.time.last().unwrap();
    for r in &rows {
        assert_eq!(
            r.survival.is_none(),
            r.time > last,
            "{what}: row at {}",
            r.time
        );
        if r.survival.is_none() {
            assert_eq!(r.n_risk, 0.0);
            assert!(r.std_err.is_none() && r.lower.is_none() && r.upper.is_none());
        }
    }
    let kept: Vec<AtTime> = rows.into_iter().filter(|r| r.survival.is_some()).collect();
    check_at_times(&kept, &e["at_times"], &format!("{what}: at_times"));
    let rows = c.at_times(&times, true).unwrap();
    check_at_times(
        &rows,
        &e["at_times_extend"],
        &format!("{what}: at_times extend"),
    );

    let taus = f64s(&fx["taus"]);
    let rm = e["rmst"].as_array().unwrap();
    assert_eq!(rm.len(), taus.len());
    for (r, &tau) in rm.iter().zip(&taus) {
        let got = c.rmst(tau).unwrap();
        let w = format!("{what}: rmst({tau})");
        assert_close(got.tau, &r["tau"], &w);
        assert_close(got.estimate, &r["estimate"], &format!("{w}.estimate"));
        assert_close(got.std_err, &r["std_err"], &format!("{w}.std_err"));
        assert_close(got.lower, &r["lower"], &format!("{w}.lower"));
        assert_close(got.upper, &r["upper"], &format!("{w}.upper"));
    }
}

#[test]
fn every_fixture_matches_r_in_every_field() {
    for (name, fx) in fixtures() {
        let curves = fit(&fx);
        let expected = fx["curves"].as_array().unwrap();
        assert_eq!(curves.len(), expected.len(), "{name}: number of curves");
        for (c, e) in curves.iter().zip(expected) {
            check_curve(c, e, &fx, &name);
        }
        if let Some(diffs) = fx["rmst_difference"].as_array() {
            let level = fx["options"]["conf_level"].as_f64().unwrap();
            for d in diffs {
                let tau = d["tau"].as_f64().unwrap();
                let a = curves[0].rmst(tau).unwrap();
                let b = curves[1].rmst(tau).unwrap();
                let got = rmst_difference(&a, &b, level);
                let w = format!("{name}: rmst difference({tau})");
                assert_close(got.estimate, &d["estimate"], &format!("{w}.estimate"));
                assert_close(got.std_err, &d["std_err"], &format!("{w}.std_err"));
                assert_close(got.lower, &d["lower"], &format!("{w}.lower"));
                assert_close(got.upper, &d["upper"], &format!("{w}.upper"));
                assert_close(got.p, &d["p"], &format!("{w}.p"));
            }
        }
    }
}

/// The fixtures exercise what the issue names; guard against a fixture set
/// that silently lost a case.
#[test]
fn fixture_set_covers_the_required_cases() {
    let names: Vec<String> = fixtures().into_iter().map(|(n, _)| n).collect();
    for required in [
        "lung_all.json",
        "lung_by_sex.json",
        "veteran_by_trt.json",
        "ovarian_all.json",
        "colon_death_by_rx.json",
        "pbc_all.json",
        "lung_by_sex_loglog.json",
        "lung_by_sex_plain.json",
        "lung_by_sex_logit.json",
        "lung_by_sex_arcsin.json",
        "lung_by_sex_weights.json",
        "veteran_weights_zeros.json",
        "timefix_on.json",
        "timefix_off.json",
        "all_censored.json",
        "one_event.json",
        "tied_events_censorings.json",
        "flat_at_half.json",
        "group_of_one.json",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "missing fixture {required}"
        );
    }
}
