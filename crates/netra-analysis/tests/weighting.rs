//! The `weighting` analysis on simulated registry courses against the
//! statistics computed by hand from the same cohort with `netra_stats`
//! (propensity model, weights, effective sample size, weighted Cox and
//! Kaplan–Meier), and its refusals. The statistics themselves are checked
//! against R in `netra-stats/tests/r_glm.rs` and `r_weighting.rs`.

use netra_analysis::analyses::run_json;
use netra_analysis::analyses::weighting::{WeightingOutput, WeightingRequest, run};
use netra_analysis::variables::Column;
use netra_analysis::{Cohort, CohortSpec, EndpointRequest, Settings};
use netra_sim::{Model, SimConfig};
use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::glm::{GlmData, GlmOptions, logistic};
use netra_stats::weighting::{WeightOptions, effective_sample_size, treatment_weights};

fn cohort(n: u64) -> Cohort {
    let cfg = SimConfig {
        patients: n,
        seed: 7,
        ..SimConfig::default()
    };
    let courses = (0..n)
        .map(|i| netra_sim::generate(Model::published(), &cfg, i))
        .collect();
    Cohort::new(courses, &CohortSpec::default(), Settings::default()).unwrap()
}

fn request(formula: &str) -> WeightingRequest {
    WeightingRequest {
        formula: formula.into(),
        ..WeightingRequest::default()
    }
}

fn close(what: &str, a: f64, b: f64) {
    let scale = a.abs().max(b.abs()).max(1.0);
    assert!((a - b).abs() <= 1e-9 * scale, "{what}: {a} vs {b}");
}

#[test]
fn weighting_matches_the_statistics_computed_by_hand() {
    let c = cohort(400);
    let out: WeightingOutput = run(&c, &request("liver_metastases ~ age_at_diagnosis")).unwrap();
    // By hand: rows with OS, the treatment and the covariate.
    let spec = EndpointRequest::default().spec().unwrap();
    let e = c.endpoint(&spec, None).unwrap();
    let Column::Cat { levels, codes } = &c.variable("liver_metastases").unwrap().column else {
        panic!("liver_metastases is categorical");
    };
    let Column::Num(age) = &c.variable("age_at_diagnosis").unwrap().column else {
        panic!("age is a number");
    };
    let rows: Vec<usize> = (0..c.len())
        .filter(|&i| e.time[i].is_some() && codes[i].is_some() && age[i].is_some())
        .collect();
    let mut present: Vec<usize> = rows.iter().map(|&i| codes[i].unwrap()).collect();
    present.sort_unstable();
    present.dedup();
    assert_eq!(present.len(), 2, "the simulated cohort has both levels");
    assert_eq!(out.treated_level, levels[present[1]].label);
    assert_eq!(out.control_level, levels[present[0]].label);
    assert_eq!(out.n, rows.len());
    assert_eq!(out.dropped, c.len() - rows.len());
    let y: Vec<f64> = rows
        .iter()
        .map(|&i| f64::from(u8::from(codes[i] == Some(present[1]))))
        .collect();
    let x: Vec<f64> = rows.iter().map(|&i| age[i].unwrap()).collect();
    let names = ["age_at_diagnosis".to_string()];
    let ps = logistic(
        &GlmData {
            y: &y,
            x: &x,
            names: &names,
            weights: None,
        },
        &GlmOptions::default(),
    )
    .unwrap();
    close(
        "ps slope",
        out.propensity.coefficients[1].estimate.unwrap(),
        ps.coefficients[1].estimate.unwrap(),
    );
    let treated: Vec<bool> = y.iter().map(|&v| v == 1.0).collect();
    let w = treatment_weights(&ps.fitted, &treated, &WeightOptions::default())
        .unwrap()
        .weights;
    let pick = |g: bool| -> Vec<f64> {
        w.iter()
            .zip(&treated)
            .filter(|(_, t)| **t == g)
            .map(|(w, _)| *w)
            .collect()
    };
    close(
        "ESS treated",
        out.weights[0].ess,
        effective_sample_size(&pick(true)),
    );
    close(
        "ESS control",
        out.weights[1].ess,
        effective_sample_size(&pick(false)),
    );
    let time: Vec<f64> = rows.iter().map(|&i| e.time[i].unwrap()).collect();
    let event: Vec<bool> = rows.iter().map(|&i| e.event[i]).collect();
    let names = ["t".to_string()];
    let cox = coxph(
        &CoxData {
            time: &time,
            event: &event,
            start: None,
            x: &y,
            names: &names,
            weights: Some(&w),
            strata: None,
            cluster: None,
        },
        &CoxOptions {
            robust: Some(true),
            ..CoxOptions::default()
        },
    )
    .unwrap();
    let hr = out.hr_weighted.unwrap();
    close("weighted HR", hr.estimate, cox.coefficients[0].hr.unwrap());
    close(
        "weighted HR upper",
        hr.upper,
        cox.coefficients[0].hr_upper.unwrap(),
    );
    // One balance row, continuous; weighting shrinks its SMD.
    assert_eq!(out.balance.len(), 1);
    let b = &out.balance[0];
    assert!(!b.binary);
    assert!(b.smd_after.unwrap().abs() < b.smd_before.unwrap().abs());
    // Curves: weighted at-risk at the first step is the group's weight sum.
    assert_eq!(out.curves.len(), 2);
    close(
        "treated weight sum",
        out.curves[1].steps[0].n_risk,
        pick(true).iter().sum(),
    );
    assert!(out.rmst_difference.is_some() && out.evalue.unwrap().point >= 1.0);
}

#[test]
fn factors_give_one_balance_row_per_level_and_the_json_surface_runs() {
    let c = cohort(300);
    let v = run_json(
        &c,
        "weighting",
        serde_json::json!({"formula": "sex ~ age_at_diagnosis + liver_metastases",
                           "estimand": "overlap"}),
    )
    .unwrap();
    let labels: Vec<&str> = v["balance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels[0], "Age at diagnosis (years)");
    assert!(
        labels
            .iter()
            .filter(|l| l.starts_with("Liver metastases: "))
            .count()
            >= 2
    );
    // Overlap weights balance the model's covariates' means exactly.
    for r in v["balance"].as_array().unwrap() {
        let after = r["smd_after"].as_f64().unwrap();
        assert!(after.abs() < 1e-8, "{r}");
    }
    assert_eq!(v["estimand"], "overlap");
}

#[test]
fn refusals_name_what_is_wrong() {
    let c = cohort(200);
    let err = |r: WeightingRequest| run(&c, &r).err().unwrap().to_string();
    assert!(err(request("age_at_diagnosis")).contains("treatment ~"));
    assert!(err(request("who_grade ~ age_at_diagnosis")).contains("exactly two levels"));
    assert!(err(request("sex ~ nosuch")).contains("nosuch"));
    let att_stab = WeightingRequest {
        estimand: "att".into(),
        stabilize: true,
        ..request("sex ~ age_at_diagnosis")
    };
    assert!(err(att_stab).contains("ATE"));
    let bad = WeightingRequest {
        estimand: "atx".into(),
        ..request("sex ~ age_at_diagnosis")
    };
    assert!(err(bad).contains("estimand"));
    let trunc = WeightingRequest {
        truncate: Some([0.9, 0.1]),
        ..request("sex ~ age_at_diagnosis")
    };
    assert!(err(trunc).contains("truncation"));
}
