//! Competing risks against R's `cmprsk::cuminc` / `timepoints` on the
//! fixtures written by `validation/r/cuminc.R`: every curve's full cmprsk
//! path (time, est, var), the jump points, the estimates at requested times,
//! the log(−log) intervals computed in R from cmprsk's est/var, and Gray's
//! test (statistic, p, df, score vector, variance matrix), at 1e-9 relative.

mod common;

use common::{assert_all_close, assert_close, assert_opt_close, f64s, fixture};
use netra_stats::cuminc::{CompetingRisks, CumIncError, CumIncOptions};
use serde_json::Value;

const CASES: &[&str] = &[
    "cmprsk_example_strata",
    "cmprsk_example",
    "cmprsk_example_rho1",
    "cmprsk_example_strata_rho_neg",
    "mgus2_sex",
    "mgus2_sex_strata_age",
    "mgus2_years_age3_rho",
    "pbc_trt",
    "pbc_trt_strata_sex",
    "pbc_edema",
    "ties",
    "ties_random",
    "group_without_cause",
    "single_group",
    "uncensored",
    "group_of_one",
    "singular",
    "text_codes",
    "stratum_without_cause",
    "stratum_with_one_group",
];

fn usizes(v: &Value) -> Vec<usize> {
    f64s(v).into_iter().map(|x| x as usize).collect()
}

fn check_case(name: &str) {
    let fx = fixture(&format!("cuminc/{name}.json"));
    let input = &fx["input"];
    let time = f64s(&input["time"]);
    let status: Vec<u32> = f64s(&input["status_code"])
        .into_iter()
        .map(|x| x as u32)
        .collect();
    let group = (!input["group"].is_null()).then(|| usizes(&input["group_index"]));
    let strata = usizes(&input["strata_index"]);
    let data = CompetingRisks::new(&time, &status, group.as_deref(), Some(&strata))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let n_causes = fx["causes"].as_array().unwrap().len();
    assert_eq!(data.causes().len(), n_causes, "{name}: causes");
    let options = CumIncOptions {
        rho: input["rho"].as_f64().unwrap(),
        conf_level: input["conf_level"].as_f64().unwrap(),
        times: f64s(&input["times"]),
    };

    let mut curves_checked = 0;
    for cause in 1..=n_causes as u32 {
        let result = data
            .analyse(cause, &options)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected: Vec<&Value> = fx["curves"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["cause_index"].as_u64() == Some(cause as u64))
            .collect();
        assert_eq!(result.curves.len(), expected.len(), "{name}: groups");
        for (curve, want) in result.curves.iter().zip(&expected) {
            let what = format!("{name} {}", want["name"].as_str().unwrap());
            assert_eq!(
                curve.group as u64,
                want["group_index"].as_u64().unwrap(),
                "{what}: group order"
            );
            assert_eq!(curve.n as u64, want["n"].as_u64().unwrap(), "{what}: n");
            assert_eq!(
                curve.events as u64,
                want["events"].as_u64().unwrap(),
                "{what}: events"
            );
            let path = curve.cmprsk_layout();
            assert_all_close(&path.time, &want["time"], &format!("{what} time"));
            assert_all_close(&path.est, &want["est"], &format!("{what} est"));
            assert_all_close(&path.var, &want["var"], &format!("{what} var"));

            let steps = &curve.steps;
            let col = |f: fn(&netra_stats::cuminc::IncidenceStep) -> f64| -> Vec<f64> {
                steps.iter().map(f).collect()
            };
            assert_all_close(
                &col(|s| s.time),
                &want["step_time"],
                &format!("{what} step time"),
            );
            assert_all_close(
                &col(|s| s.estimate),
                &want["step_est"],
                &format!("{what} step est"),
            );
            assert_all_close(
                &col(|s| s.variance),
                &want["step_var"],
                &format!("{what} step var"),
            );
            assert_eq!(
                f64s(&want["step_lower"]).len(),
                steps.len(),
                "{what}: step CI length"
            );
            for (k, s) in steps.iter().enumerate() {
                assert!(
                    (s.std_err - s.variance.sqrt()).abs() == 0.0,
                    "{what}: std_err"
                );
                assert_opt_close(
                    s.lower,
                    &want["step_lower"][k],
                    &format!("{what} lower[{k}]"),
                );
                assert_opt_close(
                    s.upper,
                    &want["step_upper"][k],
                    &format!("{what} upper[{k}]"),
                );
            }

            assert_eq!(curve.at_times.len(), options.times.len());
            for (k, p) in curve.at_times.iter().enumerate() {
                let w = format!("{what} at {}", p.time);
                assert_opt_close(p.estimate, &want["tp_est"][k], &format!("{w} est"));
                assert_opt_close(p.variance, &want["tp_var"][k], &format!("{w} var"));
                assert_opt_close(
                    p.std_err,
                    &common_sqrt(&want["tp_var"][k]),
                    &format!("{w} se"),
                );
                assert_opt_close(p.lower, &want["tp_lower"][k], &format!("{w} lower"));
                assert_opt_close(p.upper, &want["tp_upper"][k], &format!("{w} upper"));
            }
            curves_checked += 1;
        }

        let tests = &fx["tests"];
        match &result.gray {
            None => assert!(tests.is_null(), "{name}: R has a test, netra none"),
            Some(gray) => {
                let want = &tests[(cause - 1) as usize];
                let what = format!("{name} Gray cause {}", want["cause"]);
                assert_eq!(gray.df as f64, want["df"].as_f64().unwrap(), "{what}: df");
                assert_all_close(&gray.score, &want["score"], &format!("{what} score"));
                let k1 = gray.df;
                for i in 0..k1 {
                    let row = &gray.variance[i * k1..(i + 1) * k1];
                    assert_all_close(row, &want["variance"][i], &format!("{what} V row {i}"));
                }
                if want["stat"].as_f64() == Some(-1.0) {
                    // cmprsk's marker for a singular variance (pv = 1).
                    assert_eq!(want["pv"].as_f64(), Some(1.0));
                    assert_eq!(gray.statistic, None, "{what}: singular");
                    assert_eq!(gray.p, None);
                    assert!(gray.rank < k1);
                } else {
                    assert_close(
                        gray.statistic.unwrap(),
                        &want["stat"],
                        &format!("{what} stat"),
                    );
                    assert_close(gray.p.unwrap(), &want["pv"], &format!("{what} p"));
                    assert_eq!(gray.rank, k1);
                }
            }
        }
    }
    assert_eq!(
        curves_checked,
        fx["curves"].as_array().unwrap().len(),
        "{name}: every curve compared"
    );
}

/// sqrt of a fixture variance, as a fixture-like value.
fn common_sqrt(v: &Value) -> Value {
    match common::as_opt_f64(v) {
        Some(x) => serde_json::json!(x.sqrt()),
        None => Value::Null,
    }
}

#[test]
fn every_fixture_matches_cmprsk() {
    for name in CASES {
        check_case(name);
    }
}

#[test]
fn fixture_list_is_complete() {
    let dir = common::fixture_path("cuminc");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .filter(|f| f != "all_censored")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn all_censored_is_a_clear_error_where_r_fails_obscurely() {
    let fx = fixture("cuminc/all_censored.json");
    // R stops with "NAs in foreign function call"; netra says what is wrong.
    assert!(fx["r_error"].as_str().unwrap().contains("NAs"));
    let time = f64s(&fx["input"]["time"]);
    let data = CompetingRisks::new(&time, &[0, 0, 0], None, None).unwrap();
    assert!(data.causes().is_empty());
    let err = data.analyse(1, &CumIncOptions::default()).unwrap_err();
    assert_eq!(
        err,
        CumIncError::CauseAbsent {
            cause: 1,
            present: vec![]
        }
    );
}

#[test]
fn rows_in_any_order_give_the_same_answer() {
    // cuminc sorts by time; the result must not depend on input order.
    let fx = fixture("cuminc/ties_random.json");
    let input = &fx["input"];
    let time = f64s(&input["time"]);
    let status: Vec<u32> = f64s(&input["status_code"])
        .into_iter()
        .map(|x| x as u32)
        .collect();
    let group = usizes(&input["group_index"]);
    let forward = CompetingRisks::new(&time, &status, Some(&group), None)
        .unwrap()
        .analyse(1, &CumIncOptions::default())
        .unwrap();
    let rev = |v: &[f64]| v.iter().rev().copied().collect::<Vec<_>>();
    let status_rev: Vec<u32> = status.iter().rev().copied().collect();
    let group_rev: Vec<usize> = group.iter().rev().copied().collect();
    let backward = CompetingRisks::new(&rev(&time), &status_rev, Some(&group_rev), None)
        .unwrap()
        .analyse(1, &CumIncOptions::default())
        .unwrap();
    assert_eq!(forward.curves, backward.curves);
    let (a, b) = (forward.gray.unwrap(), backward.gray.unwrap());
    assert!((a.statistic.unwrap() - b.statistic.unwrap()).abs() < 1e-12);
}
