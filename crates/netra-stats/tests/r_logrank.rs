//! The log-rank family against R: every fixture written by
//! `validation/r/logrank.R`, every weighting in it, every field (n, events,
//! observed and expected in total and per stratum, the variance matrix,
//! chisq, df, p, the trend test, and each pairwise test with its Holm,
//! Bonferroni and BH adjusted p-values), at 1e-9 relative.

mod common;

use common::{assert_all_close, assert_close, assert_opt_close, f64s, fixture};
use netra_stats::logrank::{LogrankData, LogrankError, Weights};
use netra_stats::multiple::{Adjust, p_adjust};
use serde_json::Value;

const FIXTURES: &[&str] = &[
    "lung_sex",
    "lung_ecog",
    "lung_ecog_strata_sex",
    "veteran_trt",
    "veteran_celltype",
    "veteran_trt_strata_celltype",
    "ovarian_rx",
    "ovarian_rx_strata_resid",
    "colon_rx",
    "colon_rx_strata_sex",
    "pbc_trt",
    "pbc_stage",
    "pbc_stage_strata_trt",
    "edge_ties",
    "edge_zero_events_group",
    "edge_group_never_at_risk",
    "edge_one_group_with_risk",
    "edge_two_no_event_groups",
    "edge_group_of_one",
    "edge_stratum_one_group",
    "edge_separated",
    "edge_timefix",
    "edge_timefix_strata",
    "edge_unequal_scores",
    "edge_last_time_all_die",
];

fn usizes(v: &Value) -> Vec<usize> {
    f64s(v).iter().map(|&x| x as usize).collect()
}

fn weights_of(test: &Value) -> Weights {
    let rho = test["rho"].as_f64().unwrap();
    let gamma = test["gamma"].as_f64().unwrap();
    match test["weights"].as_str().unwrap() {
        "logrank" => Weights::LogRank,
        "fleming-harrington" => Weights::FlemingHarrington { rho, gamma },
        "gehan-breslow" => Weights::GehanBreslow,
        "tarone-ware" => Weights::TaroneWare,
        other => panic!("unknown weights {other}"),
    }
}

struct Input {
    time: Vec<f64>,
    event: Vec<bool>,
    group: Vec<usize>,
    strata: Option<Vec<usize>>,
}

fn input(fx: &Value) -> Input {
    Input {
        time: f64s(&fx["time"]),
        event: f64s(&fx["status"]).iter().map(|&s| s == 1.0).collect(),
        // R's factor codes are 1-based.
        group: usizes(&fx["group"]).iter().map(|g| g - 1).collect(),
        strata: match &fx["strata"] {
            Value::Null => None,
            v => Some(usizes(v).iter().map(|s| s - 1).collect()),
        },
    }
}

fn check_fixture(name: &str) {
    let fx = fixture(&format!("logrank/{name}.json"));
    let inp = input(&fx);
    let data = LogrankData::new(&inp.time, &inp.event, &inp.group, inp.strata.as_deref())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let k = data.n_groups();
    assert_eq!(k, fx["levels"].as_array().unwrap().len(), "{name}: groups");
    let scores = f64s(&fx["scores"]);
    for test in fx["tests"].as_array().unwrap() {
        let weights = weights_of(test);
        let what = format!("{name} {}", weights.name());
        let t = data.test(weights).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(t.n, usizes(&test["n"]), "{what}: n");
        assert_eq!(t.events, usizes(&test["events"]), "{what}: events");
        assert_all_close(&t.observed, &test["observed"], &format!("{what}: observed"));
        assert_all_close(&t.expected, &test["expected"], &format!("{what}: expected"));
        let obs_s = test["observed_strata"].as_array().unwrap();
        let exp_s = test["expected_strata"].as_array().unwrap();
        assert_eq!(t.observed_by_stratum.len(), obs_s.len(), "{what}: strata");
        for (s, (o, e)) in obs_s.iter().zip(exp_s).enumerate() {
            assert_all_close(
                &t.observed_by_stratum[s],
                o,
                &format!("{what}: observed stratum {s}"),
            );
            assert_all_close(
                &t.expected_by_stratum[s],
                e,
                &format!("{what}: expected stratum {s}"),
            );
        }
        let var = test["var"].as_array().unwrap();
        assert_eq!(var.len(), k, "{what}: var rows");
        for (g, row) in var.iter().enumerate() {
            assert_all_close(&t.variance[g], row, &format!("{what}: var row {g}"));
        }
        assert_close(t.chisq, &test["chisq"], &format!("{what}: chisq"));
        assert_eq!(t.df as f64, test["df"].as_f64().unwrap(), "{what}: df");
        assert_close(t.p, &test["p"], &format!("{what}: p"));

        // Trend: R's value is NA when c'Vc = 0; netra says why.
        let tr = &test["trend"];
        match t.trend(&scores) {
            Ok(trend) => {
                assert_all_close(&trend.scores, &tr["scores"], &format!("{what}: scores"));
                assert_close(trend.u, &tr["u"], &format!("{what}: trend U"));
                assert_close(trend.variance, &tr["var"], &format!("{what}: trend var"));
                assert_close(trend.chisq, &tr["chisq"], &format!("{what}: trend chisq"));
                assert_eq!(trend.df, 1);
                assert_close(trend.p, &tr["p"], &format!("{what}: trend p"));
            }
            Err(LogrankError::DegenerateTrend) => {
                assert!(tr["chisq"].is_null(), "{what}: R has a trend, netra none");
                assert_close(0.0, &tr["var"], &format!("{what}: trend var"));
            }
            Err(e) => panic!("{what}: trend: {e}"),
        }

        // Pairwise, with each adjustment R computed.
        let levels = fx["levels"].as_array().unwrap();
        let r_pairs = test["pairwise"].as_array().unwrap();
        for (method, key) in [
            (Adjust::Holm, "holm"),
            (Adjust::Bonferroni, "bonferroni"),
            (Adjust::BenjaminiHochberg, "BH"),
        ] {
            let pairs = data
                .pairwise(weights, method)
                .unwrap_or_else(|e| panic!("{what}: pairwise: {e}"));
            assert_eq!(pairs.len(), r_pairs.len(), "{what}: number of pairs");
            let r_adj = f64s(&test["p_adjust"][key]);
            for (i, (p, r)) in pairs.iter().zip(r_pairs).enumerate() {
                let pw = format!("{what}: pair {i}");
                assert_eq!(levels[p.group1], r["group1"], "{pw}: group1");
                assert_eq!(levels[p.group2], r["group2"], "{pw}: group2");
                assert_all_close(&p.observed, &r["observed"], &format!("{pw}: observed"));
                assert_all_close(&p.expected, &r["expected"], &format!("{pw}: expected"));
                assert_close(p.chisq, &r["chisq"], &format!("{pw}: chisq"));
                assert_eq!(p.df as f64, r["df"].as_f64().unwrap(), "{pw}: df");
                assert_opt_close(p.p, &r["p"], &format!("{pw}: p"));
                let adj = Value::from(r_adj[i]);
                let adj = if r_adj[i].is_nan() { Value::Null } else { adj };
                assert_opt_close(p.p_adjusted, &adj, &format!("{pw}: p {key}"));
            }
        }
    }
}

#[test]
fn every_fixture_agrees_with_r() {
    for name in FIXTURES {
        check_fixture(name);
    }
}

#[test]
fn fixture_list_is_complete() {
    // A fixture written by the R script but not listed above would go
    // unchecked.
    let dir = common::fixture_path("logrank");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .filter(|f| f != "p_adjust")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = FIXTURES.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn log_rank_fixtures_use_survdiff_itself() {
    // The rho-only weightings must come from survdiff, not from the script's
    // independent implementation, or the check would be circular.
    for name in FIXTURES {
        let fx = fixture(&format!("logrank/{name}.json"));
        for test in fx["tests"].as_array().unwrap() {
            let rho_only = matches!(
                weights_of(test),
                Weights::LogRank | Weights::FlemingHarrington { gamma: 0.0, .. }
            );
            let source = test["source"].as_str().unwrap();
            assert_eq!(rho_only, source == "survival::survdiff", "{name}: {source}");
        }
    }
}

#[test]
fn p_adjust_agrees_with_r() {
    let fx = fixture("logrank/p_adjust.json");
    for (i, case) in fx.as_array().unwrap().iter().enumerate() {
        let p = f64s(&case["p"]);
        for (method, key) in [
            (Adjust::Holm, "holm"),
            (Adjust::Bonferroni, "bonferroni"),
            (Adjust::Hochberg, "hochberg"),
            (Adjust::BenjaminiHochberg, "BH"),
            (Adjust::BenjaminiYekutieli, "BY"),
        ] {
            let adj = p_adjust(&p, method);
            assert_all_close(&adj, &case[key], &format!("case {i} {key}"));
        }
    }
}
