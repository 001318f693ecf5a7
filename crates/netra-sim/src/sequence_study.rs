//! The simulation study of [`crate::sequence_trial`]: the emulated trial
//! built straight from the simulated patients (no registry in between),
//! the naive comparison, and how often their 95% intervals hold the
//! per-protocol truth over N registries. `tests/sequence_trial.rs` checks
//! the coverage; `[data] simulate = { model = "sequence_trial", coverage =
//! N }` in a study file reports it beside the analysis of one registry.
//!
//! The trial: time zero SSA failure; strategies "everolimus, then
//! chemotherapy at progression" (E→C, the reference) and the reverse;
//! line 1 is the grace period's decision, the other drug after progression
//! the switch's; deviation models per decision (`by_window`) on log Ki-67,
//! ECOG, liver burden, age, `progressed` and time, monthly grid; RMST at
//! τ months.

use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::emulate::{EmulateOptions, Emulation, StrategyData, TimeVarying, Trial, emulate};

use crate::sequence_effect::SequenceSim;
use crate::sequence_trial::{TrialCohort, TrialPatient, TrialSim};

/// Adherence of a patient to "first drug `chemo_first`, then the other":
/// deviation time (months) and the windows of the two decisions.
fn adherence(p: &TrialPatient, chemo_first: bool) -> (Option<f64>, Vec<[f64; 2]>) {
    if p.time <= p.line1_start {
        return (None, vec![[0.0, p.time]]);
    }
    if p.base.chemo_first != chemo_first {
        return (Some(p.line1_start), vec![[0.0, p.line1_start]]);
    }
    let mut w = vec![[0.0, p.line1_start]];
    if p.progression < p.time {
        w.push([p.progression, p.next_start.min(p.time)]);
        if !p.switched && p.next_start < p.time {
            return (Some(p.next_start), w);
        }
    }
    (None, w)
}

/// The emulated trial's data of a cohort (E→C first, the reference).
pub fn trial(c: &TrialCohort) -> Trial {
    let p = &c.patients;
    let strategy = |name: &str, chemo_first: bool| {
        let (deviation, windows) = p.iter().map(|q| adherence(q, chemo_first)).unzip();
        StrategyData {
            name: name.into(),
            deviation,
            windows,
        }
    };
    Trial {
        time: p.iter().map(|q| q.time).collect(),
        event: p.iter().map(|q| q.event).collect(),
        baseline: vec![
            p.iter().map(|q| q.base.ki67.ln()).collect(),
            p.iter().map(|q| q.base.ecog).collect(),
            p.iter()
                .map(|q| f64::from(u8::from(q.base.liver_high)))
                .collect(),
            p.iter().map(|q| q.base.age).collect(),
        ],
        baseline_names: ["log_ki67", "ecog", "liver_high", "age"]
            .map(String::from)
            .to_vec(),
        time_varying: vec![TimeVarying {
            name: "progressed".into(),
            steps: p
                .iter()
                .map(|q| {
                    if q.progression < q.time {
                        vec![(q.progression, 1.0)]
                    } else {
                        Vec::new()
                    }
                })
                .collect(),
        }],
        strategies: vec![strategy("E→C", false), strategy("C→E", true)],
    }
}

/// The emulated trial (one deviation model per decision, RMST at `tau`).
pub fn emulated(
    c: &TrialCohort,
    tau: f64,
) -> Result<Emulation, netra_stats::emulate::EmulateError> {
    emulate(
        &trial(c),
        &EmulateOptions {
            tau: Some(tau),
            by_window: true,
            ..EmulateOptions::default()
        },
    )
}

/// An estimate with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Estimate.
    pub estimate: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

impl Interval {
    /// The interval holds `x` (strictly).
    pub fn holds(&self, x: f64) -> bool {
        self.lower < x && x < self.upper
    }
}

/// Naive: patients who received both drugs, by the order received, Cox
/// from time zero (immortal time until the switch; confounded). `None`
/// when the model cannot be fitted.
pub fn naive_hr(c: &TrialCohort) -> Option<Interval> {
    let got: Vec<&TrialPatient> = c
        .patients
        .iter()
        .filter(|q| q.switched && q.next_start < q.time)
        .collect();
    let names = ["ce".to_string()];
    let fit = coxph(
        &CoxData {
            time: &got.iter().map(|q| q.time).collect::<Vec<_>>(),
            event: &got.iter().map(|q| q.event).collect::<Vec<_>>(),
            start: None,
            x: &got
                .iter()
                .map(|q| f64::from(u8::from(q.base.chemo_first)))
                .collect::<Vec<_>>(),
            names: &names,
            weights: None,
            strata: None,
            cluster: None,
        },
        &CoxOptions::default(),
    )
    .ok()?;
    let k = fit.coefficients.first()?;
    Some(Interval {
        estimate: k.hr?,
        lower: k.hr_lower?,
        upper: k.hr_upper?,
    })
}

/// The cohort of `n` patients from `seed` with the default settings.
pub fn cohort(n: usize, seed: u64) -> TrialCohort {
    TrialSim {
        base: SequenceSim {
            n,
            seed,
            ..SequenceSim::default()
        },
        ..TrialSim::default()
    }
    .simulate()
}

/// How often the 95% intervals held the truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Registries simulated (seeds 1 to N).
    pub registries: usize,
    /// Patients per registry.
    pub patients: usize,
    /// Registries whose analyses could be fitted.
    pub fitted: usize,
    /// Emulated-trial HR intervals that held the truth.
    pub hr: usize,
    /// Emulated-trial RMST-difference intervals that held the truth.
    pub rmst: usize,
    /// Naive HR intervals that held the truth.
    pub naive: usize,
}

/// The simulation study: registries of `patients` patients from seeds 1
/// to `registries`, each analysed by the emulated trial and naively, RMST
/// at `tau` months. A registry where a model cannot be fitted is left out
/// of `fitted` (and counts as not covered).
pub fn coverage(registries: usize, patients: usize, tau: f64) -> Coverage {
    let mut out = Coverage {
        registries,
        patients,
        fitted: 0,
        hr: 0,
        rmst: 0,
        naive: 0,
    };
    for seed in 1..=registries as u64 {
        let c = cohort(patients, seed);
        let Some(truth) = c.true_per_protocol(tau) else {
            continue;
        };
        let Ok(e) = emulated(&c, tau) else {
            continue;
        };
        let (Some(Some(h)), Some(Some(r)), Some(n)) =
            (e.hr.first(), e.rmst_difference.first(), naive_hr(&c))
        else {
            continue;
        };
        out.fitted += 1;
        out.hr += usize::from(h.lower < truth.hr && truth.hr < h.upper);
        out.rmst += usize::from(r.lower < truth.rmst_difference && truth.rmst_difference < r.upper);
        out.naive += usize::from(n.holds(truth.hr));
    }
    out
}
