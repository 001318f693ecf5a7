//! The `emulate` analysis (clone–censor–weight) on simulated registry
//! courses: eligibility and clones counted by hand from the derived lines,
//! the reproducible bootstrap, and the refusals. The statistics are
//! checked against R in `netra-stats/tests/r_emulate.rs`, the adherence
//! rules in `analyses::emulate::derive`'s unit tests, and the recovery of a
//! known effect in `netra-sim/tests/sequence_effect.rs`.

use netra_analysis::analyses::emulate::{
    EmulateOutput, EmulateRequest, StrategySpec, run, run_with_progress,
};
use netra_analysis::analyses::run_json;
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_clinical::endpoints::Censoring;
use netra_clinical::registry::vocab::Vocabulary;
use netra_sim::{Model, SimConfig};

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

fn line1_request() -> EmulateRequest {
    // From the start of line 1: chemotherapy first vs targeted first, each
    // switching to the other class at progression.
    EmulateRequest {
        time_zero: "line:1".into(),
        strategies: vec![
            StrategySpec {
                name: "chemotherapy first".into(),
                steps: vec!["chemotherapy".into(), "targeted".into()],
            },
            StrategySpec {
                name: String::new(),
                steps: vec!["targeted".into(), "chemotherapy".into()],
            },
        ],
        covariates: "age_at_diagnosis".into(),
        times_months: vec![12.0],
        ..EmulateRequest::default()
    }
}

#[test]
fn eligibility_and_clones_are_those_of_the_derived_lines() {
    let c = cohort(600);
    let out: EmulateOutput = run(&c, &line1_request()).unwrap();
    let lines = c.lines(Censoring::LastAdequateAssessment);
    let with_line1 = lines.iter().filter(|p| !p.lines.is_empty()).count();
    // Everyone with a line 1 has follow-up after its start in the
    // simulation; the patients without one have no time zero.
    assert_eq!(out.cohort, 600);
    assert_eq!(out.eligible, with_line1, "{:?}", out.ineligible);
    assert_eq!(out.ineligible[0].reason, "no time zero");
    assert_eq!(out.ineligible[0].n, 600 - with_line1);
    // Line 1 starts at time zero: a clone only in the strategy whose first
    // step it follows.
    let first = |class: &str| {
        lines
            .iter()
            .filter(|p| p.lines.first().is_some_and(|l| l.class.code() == class))
            .count()
    };
    assert_eq!(out.arms[0].strategy, "chemotherapy first");
    assert_eq!(out.arms[1].strategy, "targeted → chemotherapy");
    assert_eq!(out.arms[0].clones, first("chemotherapy"));
    assert_eq!(out.arms[1].clones, first("targeted"));
    assert!(out.arms[0].clones > 100 && out.arms[1].clones > 10);
    // Weighted curves start at 1 and do not rise; the interval holds S.
    for a in &out.arms {
        let s: Vec<f64> = a.curve.iter().map(|p| p.survival).collect();
        assert!(s.windows(2).all(|w| w[1] <= w[0] + 1e-12));
        assert!(
            a.curve
                .iter()
                .all(|p| p.lower.is_none_or(|l| l <= p.survival))
        );
        assert!(a.weights.as_ref().unwrap().min >= 1.0);
    }
    let k = &out.contrasts[0];
    let h = k.hr.unwrap();
    assert!(h.lower < h.estimate && h.estimate < h.upper);
    assert!(k.hr_naive.is_some() && k.hr_unweighted.is_some());
    assert_eq!(k.survival_difference.len(), 1);
}

#[test]
fn the_bootstrap_is_seeded_and_reports_progress() {
    let c = cohort(300);
    let req = EmulateRequest {
        bootstrap: 12,
        seed: 5,
        ..line1_request()
    };
    let mut calls = Vec::new();
    let a = run_with_progress(&c, &req, &mut |done, total| calls.push((done, total))).unwrap();
    assert_eq!(calls.len(), 12);
    assert_eq!(calls.last(), Some(&(12, 12)));
    let b = run(&c, &req).unwrap();
    assert_eq!(a, b);
    let info = a.bootstrap.unwrap();
    assert_eq!((info.replicates, info.seed), (12, 5));
    let hb = a.contrasts[0].hr_bootstrap.unwrap();
    assert!(hb.lower < hb.upper && hb.n + info.failed == 12);
    let other = run(&c, &EmulateRequest { seed: 6, ..req }).unwrap();
    assert_ne!(other.contrasts[0].hr_bootstrap, a.contrasts[0].hr_bootstrap);
}

#[test]
fn invalid_requests_name_the_field_and_empty_trials_are_notes() {
    let c = cohort(50);
    for (req, field) in [
        (
            EmulateRequest {
                time_zero: "line:0".into(),
                ..EmulateRequest::default()
            },
            "time_zero",
        ),
        (
            EmulateRequest {
                strategies: vec![StrategySpec::default()],
                ..EmulateRequest::default()
            },
            "strategies",
        ),
        (
            EmulateRequest {
                time_varying: vec!["ecog".into()],
                ..EmulateRequest::default()
            },
            "time_varying",
        ),
        (
            EmulateRequest {
                interval_days: 0.0,
                ..EmulateRequest::default()
            },
            "interval_days",
        ),
        (
            EmulateRequest {
                covariates: "no_such_variable".into(),
                ..EmulateRequest::default()
            },
            "no_such_variable",
        ),
    ] {
        let e = run(&c, &req).unwrap_err().to_string();
        assert!(e.contains(field), "{field}: {e}");
    }
    // No strategy's first step is ever given: counts and a note, no numbers.
    let req = EmulateRequest {
        strategies: vec![
            StrategySpec {
                name: String::new(),
                steps: vec!["no_such_drug".into()],
            },
            StrategySpec {
                name: String::new(),
                steps: vec!["nor_this".into()],
            },
        ],
        ..line1_request()
    };
    let out = run(&c, &req).unwrap();
    assert!(out.arms.is_empty() && out.contrasts.is_empty());
    assert!(
        out.warnings[0].contains("could not be estimated"),
        "{:?}",
        out.warnings
    );
    // An empty cohort with covariates: a note, not an error.
    let empty = Cohort::new(Vec::new(), &CohortSpec::default(), Settings::default()).unwrap();
    let out = run(&empty, &line1_request()).unwrap();
    assert_eq!(out.eligible, 0);
    assert!(!out.warnings.is_empty());
    // Through the registry by name, as every surface runs it.
    let v = run_json(
        &c,
        "emulate",
        serde_json::to_value(line1_request()).unwrap(),
    )
    .unwrap();
    assert!(v["arms"].is_array());
}

#[test]
fn stabilised_weights_are_centred_nearer_one_and_refused_when_unknown() {
    let c = cohort(600);
    let plain = run(&c, &line1_request()).unwrap();
    let stab = run(
        &c,
        &EmulateRequest {
            stabilize: "time".into(),
            ..line1_request()
        },
    )
    .unwrap();
    assert_eq!(stab.stabilize, "time");
    assert_eq!(plain.stabilize, "none");
    let mean = |o: &EmulateOutput| {
        o.arms
            .iter()
            .map(|a| a.weights.as_ref().unwrap().mean)
            .collect::<Vec<_>>()
    };
    let (p, s) = (mean(&plain), mean(&stab));
    for (p, s) in p.iter().zip(&s) {
        // Inverse probabilities of remaining uncensored are ≥ 1; the
        // stabilised ones are ratios of such probabilities, centred near 1.
        assert!(*p > 1.0, "{p}");
        assert!((s - 1.0).abs() < (p - 1.0).abs(), "{s} vs {p}");
    }
    // The same clones and deviations: only the weights change.
    assert_eq!(plain.arms[0].clones, stab.arms[0].clones);
    assert_eq!(plain.arms[1].deviations, stab.arms[1].deviations);
    let err = run(
        &c,
        &EmulateRequest {
            stabilize: "numerator".into(),
            ..line1_request()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("none, time or baseline"), "{err}");
}
