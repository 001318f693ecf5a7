//! `examples/studies/sequences.toml` (issue 19's "done when"): the
//! emulated trial "everolimus → chemotherapy vs chemotherapy →
//! everolimus" on the simulated sequence registry. The study runs the
//! whole path — simulator → bundle → embedded registry → derived lines →
//! the `emulate` analysis → table, figures, `simulation.json` — and its
//! numbers are checked against values computed independently:
//! * the analysis layer run directly on the simulator's courses (no
//!   bundle, no registry), which must give the same output;
//! * the simulation itself: the emulated trial built straight from the
//!   simulated patients (no registry, `netra_sim::sequence_study`) must
//!   give nearly the same hazard ratio (the registry rounds dates to days
//!   and Ki-67 to one decimal, and ages are completed years at diagnosis);
//! * the truth and the coverage in `simulation.json` recomputed from the
//!   simulator.

mod common;

use std::path::PathBuf;

use netra_analysis::analyses::emulate::{EmulateOutput, EmulateRequest, run};
use netra_analysis::{Cohort, CohortSpec, RuleSettings};
use netra_sim::SimConfig;
use netra_sim::sequence_registry::{TAU, course};
use netra_sim::sequence_study::{cohort as sim_cohort, coverage, emulated, naive_hr};
use serde_json::Value;

fn study_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/studies/sequences.toml")
}

fn json(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-300)
}

/// The request of the study file's `[[analysis]]`, read from the file.
fn request() -> EmulateRequest {
    let study = netra_study::Study::parse(
        &std::fs::read_to_string(study_file()).unwrap(),
        &study_file(),
    )
    .unwrap();
    let def = study.analyses.iter().find(|a| a.id == "sequences").unwrap();
    serde_json::from_value(def.request.clone()).unwrap()
}

#[test]
fn the_sequences_study_answers_the_question_and_agrees_with_independent_computations() {
    let out = tempfile::tempdir().unwrap();
    let run_ = netra_study::run(&study_file(), out.path(), &common::opts()).unwrap();
    let dir = out.path();
    for f in [
        "report.html",
        "analyses/sequences.json",
        "figures/sequences_km.svg",
        "figures/sequences_balance.svg",
        "simulation.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let got: EmulateOutput =
        serde_json::from_value(json(&dir.join("analyses/sequences.json"))).unwrap();

    // 1. The analysis layer on the simulator's courses, without the
    //    bundle and the registry: the same output.
    let cfg = SimConfig {
        patients: 2000,
        seed: 19,
        ..SimConfig::default()
    };
    let c = sim_cohort(2000, 19);
    let courses = c
        .patients
        .iter()
        .enumerate()
        .map(|(i, p)| course(p, &cfg, i as u64))
        .collect();
    let settings = RuleSettings {
        regimen_window_days: 0,
        ..RuleSettings::default()
    }
    .resolve()
    .unwrap();
    let cohort = Cohort::new(courses, &CohortSpec::default(), settings).unwrap();
    let direct = run(&cohort, &request()).unwrap();
    assert_eq!(got.eligible, direct.eligible);
    assert_eq!(got.eligible, 2000, "{:?}", got.ineligible);
    let (g, d) = (&got.contrasts[0], &direct.contrasts[0]);
    for (a, b) in [
        (g.hr, d.hr),
        (g.hr_naive, d.hr_naive),
        (g.hr_unweighted, d.hr_unweighted),
        (g.rmst_difference, d.rmst_difference),
    ] {
        let (a, b) = (a.unwrap(), b.unwrap());
        for (x, y) in [
            (a.estimate, b.estimate),
            (a.lower, b.lower),
            (a.upper, b.upper),
        ] {
            assert!(close(x, y, 1e-9), "{x} vs {y}");
        }
    }

    // 2. The simulation without a registry: the emulated HR within 0.05
    //    on the log scale, the naive HR too.
    let sim = emulated(&c, TAU).unwrap();
    let (h_sim, h_reg) = (sim.hr[0].unwrap().hr, g.hr.unwrap().estimate);
    eprintln!("registry HR {h_reg}, simulation HR {h_sim}");
    assert!((h_reg.ln() - h_sim.ln()).abs() < 0.05, "{h_reg} vs {h_sim}");
    let n_sim = naive_hr(&c).unwrap().estimate;
    let n_reg = g.hr_naive.unwrap().estimate;
    assert!((n_reg.ln() - n_sim.ln()).abs() < 0.05, "{n_reg} vs {n_sim}");

    // 3. The truth and the simulation study.
    let simulation = json(&dir.join("simulation.json"));
    let truth = c.true_per_protocol(TAU).unwrap();
    assert!(close(
        simulation["truth"]["hr"].as_f64().unwrap(),
        truth.hr,
        1e-12
    ));
    assert!(close(
        simulation["truth"]["rmst_difference"].as_f64().unwrap(),
        truth.rmst_difference,
        1e-12
    ));
    let cov = coverage(20, 2000, TAU);
    let sc = &simulation["coverage"];
    assert_eq!(sc["registries"], 20);
    assert_eq!(sc["hr"].as_u64().unwrap() as usize, cov.hr);
    assert_eq!(sc["rmst_difference"].as_u64().unwrap() as usize, cov.rmst);
    assert_eq!(sc["naive_hr"].as_u64().unwrap() as usize, cov.naive);
    assert_eq!(run_.facts["simulation"], simulation);

    // The answer: the emulated trial's CI holds the truth, the naive one
    // does not (it points the wrong way).
    let h = g.hr.unwrap();
    assert!(
        h.lower < truth.hr && truth.hr < h.upper,
        "{h:?} vs {}",
        truth.hr
    );
    let n = g.hr_naive.unwrap();
    assert!(n.lower > truth.hr, "{n:?} vs {}", truth.hr);

    eprintln!(
        "truth {truth:?}\ncontrast {g:#?}\narms {:?}\nsimulation {simulation}",
        got.arms
            .iter()
            .map(|a| (&a.strategy, a.clones, a.deviations, a.events, a.rmst))
            .collect::<Vec<_>>()
    );
    if let Ok(keep) = std::env::var("NETRA_KEEP_STUDY") {
        // A copy of the report to look at (`NETRA_KEEP_STUDY=DIR`).
        let _ = std::fs::create_dir_all(&keep);
        for f in [
            "report.html",
            "figures/sequences_km.svg",
            "figures/sequences_balance.svg",
        ] {
            let _ = std::fs::copy(
                dir.join(f),
                std::path::Path::new(&keep).join(f.replace('/', "_")),
            );
        }
    }

    // 4. The report's table prints these numbers (by the one rule).
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let ci = |e: netra_analysis::analyses::weighting::EstimateOut| {
        format!("{:.2} ({:.2}\u{2013}{:.2})", e.estimate, e.lower, e.upper)
    };
    for needle in [ci(h), ci(n)] {
        assert!(html.contains(&needle), "report lacks {needle}");
    }
    let r = g.rmst_difference.unwrap();
    assert!(html.contains(&format!("{:.2}", r.estimate)));
    assert!(html.contains(&format!("{}/20", cov.hr)));
    assert!(html.contains("Simulated registry: the truth and the simulation study"));

    // 5. The figures: two weighted curves with bands; one love-plot row
    //    per covariate (log Ki-67's variable, ECOG, liver metastases: no
    //    and yes, age).
    let km = std::fs::read_to_string(dir.join("figures/sequences_km.svg")).unwrap();
    assert!(km.contains("everolimus → chemotherapy") && km.contains("chemotherapy → everolimus"));
    let love = std::fs::read_to_string(dir.join("figures/sequences_balance.svg")).unwrap();
    assert!(love.contains("ECOG"), "{}", &love[..love.len().min(400)]);
    assert_eq!(run_.facts["sequences_love"]["rows"], got.balance.len());
    assert!(got.balance.len() >= 4);
}
