//! Lines, endpoints and sequences on the simulated registry (`netra-sim`,
//! 5000 patients generated in-process with the seed of the simulator's own
//! calibration test, whose read-back figures are quoted in
//! docs/simulator.md).
//!
//! * Lines: the simulator records each line as one treatment whose `line`
//!   column holds the true line number; the derivation must find exactly
//!   those lines for every patient (no tolerance).
//! * Calibrated figures (docs/simulator.md, published cohort of 103): the
//!   share reaching lines 2 and 3, line-1 median TTP, the evaluable share,
//!   ORR and DCR of line 1 come back within sampling error. Tolerance: four
//!   standard errors — binomial SE for shares; for a median, the half-width
//!   of its 95% CI (netra_stats::km, log transform) over 1.96. With a fixed
//!   seed the test is deterministic; at 4 SE a true calibration fails with
//!   probability < 1e-4 per figure.
//! * Censoring: the simulator is calibrated with TTP censored at the end of
//!   follow-up (median 6.0 months on line 1); censoring at the last adequate
//!   assessment gives medians ≈ 9% shorter (≈ 5.5), and both are checked.

use netra_clinical::endpoints::{
    Censoring, Endpoint, EndpointSpec, TimeZero, derive_cohort, line_outcomes_with,
};
use netra_clinical::lines::{LineRules, PatientLines};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::sequences::{SequenceOptions, analyse};
use netra_sim::{Model, SimConfig};
use netra_stats::km::{KmOptions, km};

const N: u64 = 5000;

fn courses() -> &'static [PatientCourse] {
    static C: std::sync::OnceLock<Vec<PatientCourse>> = std::sync::OnceLock::new();
    C.get_or_init(|| {
        let cfg = SimConfig {
            patients: N,
            seed: 20_240_601,
            study: "t".into(),
            sites: 3,
            threads: 1,
        };
        let model = Model::published();
        (0..N)
            .map(|i| netra_sim::generate(model, &cfg, i))
            .collect()
    })
}

fn lines(censoring: Censoring) -> Vec<PatientLines> {
    let rules = LineRules::default();
    netra_clinical::endpoints::par_map(courses(), |c| line_outcomes_with(c, &rules, censoring))
}

#[track_caller]
fn assert_share(what: &str, k: usize, n: usize, target: f64) {
    let p = k as f64 / n as f64;
    let tol = 4.0 * (target * (1.0 - target) / n as f64).sqrt();
    eprintln!("{what}: {k}/{n} = {p:.4}, target {target:.4} ± {tol:.4}");
    assert!(
        (p - target).abs() <= tol,
        "{what}: {p:.4} not within {target:.4} ± {tol:.4}"
    );
}

#[test]
fn derived_lines_are_the_simulated_lines() {
    let all = lines(Censoring::LastAdequateAssessment);
    let mut n_lines = 0;
    for (c, p) in courses().iter().zip(&all) {
        let max = c
            .treatments
            .iter()
            .filter(|t| t.kind.is_systemic())
            .filter_map(|t| t.line)
            .max()
            .unwrap_or(0);
        assert_eq!(p.lines.len() as u32, max, "patient {}", c.patient.code);
        for l in &p.lines {
            let truth: Vec<&str> = c
                .treatments
                .iter()
                .filter(|t| t.kind.is_systemic() && t.line == Some(l.number))
                .map(|t| t.id.as_str())
                .collect();
            assert_eq!(
                l.treatments, truth,
                "patient {} line {}",
                c.patient.code, l.number
            );
            n_lines += 1;
        }
        assert!(p.undated.is_empty());
    }
    assert!(n_lines > 3000, "{n_lines} lines");
}

#[test]
fn calibrated_per_line_figures_come_back() {
    let all = lines(Censoring::LastAdequateAssessment);
    let a = analyse(&all, &SequenceOptions::default()).unwrap();
    let reach: Vec<u64> = a.reach.iter().map(|r| r.n.unwrap()).collect();
    // Lines 66 → 36 → 22 of the published cohort.
    assert_share(
        "reach line 2",
        reach[1] as usize,
        reach[0] as usize,
        36.0 / 66.0,
    );
    assert_share(
        "reach line 3",
        reach[2] as usize,
        reach[1] as usize,
        22.0 / 36.0,
    );
    // Line 1 response among the evaluable: ORR 34.0%, DCR 64.2%; evaluable
    // 53 of 66.
    let l1 = &a.per_line[0];
    let ev = l1.n_evaluable.unwrap() as usize;
    assert_share("line 1 evaluable", ev, l1.n.unwrap() as usize, 53.0 / 66.0);
    let orr = (l1.cr.unwrap() + l1.pr.unwrap()) as usize;
    assert_share("line 1 ORR", orr, ev, 0.340);
    let dcr = orr + (l1.mr.unwrap() + l1.sd.unwrap()) as usize;
    assert_share("line 1 DCR", dcr, ev, 0.642);
    // The rates are netra_stats' (Clopper–Pearson) of the same counts.
    assert!((l1.orr.unwrap().estimate - orr as f64 / ev as f64).abs() < 1e-12);
    let l2 = &a.per_line[1];
    let ev2 = l2.n_evaluable.unwrap() as usize;
    assert_share(
        "line 2 ORR",
        (l2.cr.unwrap() + l2.pr.unwrap()) as usize,
        ev2,
        0.214,
    );

    // Median TTP per line, censored at the last adequate assessment:
    // ≈ 5.5, 4.8 and 1.9 months (docs/simulator.md).
    let tol = |lo: f64, hi: f64| 4.0 * (hi - lo) / (2.0 * 1.959964);
    let mut short = Vec::new();
    for (l, target) in a.per_line.iter().zip([5.5, 4.8, 1.9]) {
        let (m, lo, hi) = (
            l.median_months.unwrap(),
            l.median_lower.unwrap(),
            l.median_upper.unwrap(),
        );
        eprintln!(
            "line {} TTP (last assessment): {m:.2} ({lo:.2}–{hi:.2})",
            l.line
        );
        assert!(
            (m - target).abs() <= tol(lo, hi),
            "line {} median {m}",
            l.line
        );
        short.push(m);
    }

    // Censored at the end of follow-up: the calibrated 6.0, 5.0 and 2.0
    // months; the simulator's own read-back of this cohort finds 5.91, 4.99
    // and 1.81 by a minimal RECIST rule (quoted to 2 decimals), and so must
    // the derivation here.
    let all = lines(Censoring::LastFollowUp);
    for (k, (target, readback)) in [(6.0, 5.91), (5.0, 4.99), (2.0, 1.81)]
        .into_iter()
        .enumerate()
    {
        let mut t = Vec::new();
        let mut e = Vec::new();
        for p in &all {
            if let Some(l) = p.line(k as u32 + 1) {
                let x = l.ttp.as_ref().unwrap();
                t.push(f64::from(x.days) / 30.4375);
                e.push(x.event);
            }
        }
        let q = km(&t, &e, None, &KmOptions::default()).unwrap().median();
        let (m, lo, hi) = (q.estimate.unwrap(), q.lower.unwrap(), q.upper.unwrap());
        eprintln!(
            "line {} TTP (last follow-up): {m:.3} ({lo:.2}–{hi:.2})",
            k + 1
        );
        assert!((m - target).abs() <= tol(lo, hi), "median {m}");
        assert!(
            (m - readback).abs() < 0.005,
            "line {}: {m} vs read-back {readback}",
            k + 1
        );
        assert!(
            m > short[k],
            "censoring at the last assessment shortens the median"
        );
    }
}

#[test]
fn pfs_from_line_one_rows_agree_with_the_lines() {
    let rules = LineRules::default();
    let spec = EndpointSpec::new(Endpoint::Pfs, TimeZero::Line(1));
    let out = derive_cohort(courses(), &spec, &rules);
    let all = lines(Censoring::LastAdequateAssessment);
    let treated: Vec<&PatientLines> = all.iter().filter(|p| !p.lines.is_empty()).collect();
    assert_eq!(out.rows.len(), treated.len());
    assert_eq!(out.excluded.len(), courses().len() - treated.len());
    for (r, p) in out.rows.iter().zip(&treated) {
        let pfs = p.lines[0].pfs.as_ref().unwrap();
        assert_eq!(r.patient, p.patient);
        assert_eq!((r.days, r.event), (pfs.days, pfs.event));
        // PFS ≤ OS from the same start.
        assert!(r.days >= 0);
    }
    // Every line: one row per line.
    let spec = EndpointSpec::new(Endpoint::Pfs, TimeZero::EachLine);
    let each = derive_cohort(courses(), &spec, &rules);
    let n_lines: usize = all.iter().map(|p| p.lines.len()).sum();
    assert_eq!(each.rows.len(), n_lines);
}
