//! The sequence cohort of [`crate::sequence_effect`] with the two things
//! that need clone–censor–weight rather than weighting at time zero: a
//! **grace period** (line 1 starts up to a month after SSA failure, so a
//! patient who dies before starting belongs to both strategies) and
//! **deviation after progression** (not every patient switches to the
//! other drug; the sicker less often, and those who do not switch do worse
//! afterwards). Used to show that the naive comparison is biased and that
//! the emulated trial recovers the per-protocol truth
//! (`tests/sequence_trial.rs`; `docs/algorithms/sequence-effects.md`).
//!
//! # The data-generating model (months from SSA failure)
//! Baseline covariates, severity `s`, the first drug (confounding by
//! indication) and censoring are those of [`crate::sequence_effect`]; from
//! a second stream of the same seed:
//! * line 1 starts at `d1 ~ U(0, 1)`;
//! * progression on line 1 at `d1 + Exp` (median 11 months on everolimus,
//!   14 on chemotherapy, × `exp(−0.5 s)`);
//! * at progression the patient switches to the other drug with
//!   probability `expit(2 − switch_confounding·s)` — else starts another
//!   treatment (a deviation from both strategies) — at progression +
//!   `U(0, 1)`;
//! * death: Weibull (shape 1.2, median 30 at `s = 0`, `× exp(0.7 s)`), the
//!   effect of C→E (`log_hr`) from the start of line 1, and `× exp(0.4)`
//!   from the start of another treatment (one uniform per patient: the
//!   potential outcomes share it).
//!
//! # The truth
//! The per-protocol effect: both potential death times under full
//! adherence (line 1 at `d1`, the other drug at progression), censored as
//! observed for the hazard ratio, uncensored for the RMST difference.

use netra_stats::cox::{CoxData, CoxOptions, coxph};

use crate::dist::{chance, patient_rng, unit};
use crate::sequence_effect::{SequencePatient, SequenceSim, TrueEffect};

/// Settings beyond those of [`SequenceSim`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialSim {
    /// The cohort.
    pub base: SequenceSim,
    /// Log odds of not switching at progression per unit of severity.
    pub switch_confounding: f64,
}

impl Default for TrialSim {
    fn default() -> Self {
        TrialSim {
            base: SequenceSim::default(),
            switch_confounding: 1.0,
        }
    }
}

/// One patient's observed course.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialPatient {
    /// Baseline (from [`crate::sequence_effect`]; its `time`, `event` and
    /// `line2_start` are those of the cohort without grace or deviation).
    pub base: SequencePatient,
    /// Start of line 1 (months from SSA failure).
    pub line1_start: f64,
    /// Progression on line 1.
    pub progression: f64,
    /// Start of the next treatment after progression.
    pub next_start: f64,
    /// The next treatment is the other drug (else another treatment).
    pub switched: bool,
    /// Observed time.
    pub time: f64,
    /// Death observed.
    pub event: bool,
    /// Potential death time under E→C with full adherence.
    pub death_if_ec: f64,
    /// Potential death time under C→E with full adherence.
    pub death_if_ce: f64,
}

/// A simulated trial cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct TrialCohort {
    /// The settings.
    pub sim: TrialSim,
    /// Patients.
    pub patients: Vec<TrialPatient>,
}

const SHAPE: f64 = 1.2;
/// Log hazard ratio after starting another treatment.
const LOG_HR_OTHER: f64 = 0.4;

/// The death time of a unit-exponential draw whose time without any
/// change would be `t0`, when the hazard is multiplied by `exp(m)` from
/// each break `(time, m)` on (cumulative log multipliers, ascending).
fn piecewise(t0: f64, breaks: &[(f64, f64)]) -> f64 {
    let mut remaining = t0.powf(SHAPE);
    let (mut at, mut mult) = (0.0f64, 1.0f64);
    for &(b, m) in breaks {
        let room = mult * (b.powf(SHAPE) - at.powf(SHAPE));
        if remaining <= room {
            break;
        }
        remaining -= room;
        at = b;
        mult = m.exp();
    }
    (at.powf(SHAPE) + remaining / mult).powf(1.0 / SHAPE)
}

fn severity(p: &SequencePatient) -> f64 {
    0.6 * (p.ki67.ln() - 8f64.ln()) / 0.7 + 0.5 * p.ecog + 0.5 * f64::from(u8::from(p.liver_high))
}

impl TrialSim {
    /// Draws the cohort.
    pub fn simulate(&self) -> TrialCohort {
        let base = self.base.simulate();
        let log_hr = self.base.log_hr;
        let patients = base
            .patients
            .iter()
            .enumerate()
            .map(|(i, b)| {
                // A second stream: the base cohort's draws stay as they were.
                let mut rng = patient_rng(self.base.seed ^ 0x5e_ed71_21a1, i as u64);
                let s = severity(b);
                let d1 = unit(&mut rng);
                let median = if b.chemo_first { 14.0 } else { 11.0 };
                let progression =
                    d1 + -unit(&mut rng).ln() * median / std::f64::consts::LN_2 / (0.5 * s).exp();
                let p_switch = 1.0 / (1.0 + (-(2.0 - self.switch_confounding * s)).exp());
                let switched = chance(&mut rng, p_switch);
                let next_start = progression + unit(&mut rng);
                // Without any effect (E→C, adherent) the death time is the
                // base cohort's death_if_ec.
                let t0 = b.death_if_ec;
                let ce = |extra: &[(f64, f64)]| {
                    let mut br = vec![(d1, log_hr)];
                    br.extend(extra.iter().map(|&(t, m)| (t, m + log_hr)));
                    piecewise(t0, &br)
                };
                let death_if_ec = t0;
                let death_if_ce = ce(&[]);
                let death = match (b.chemo_first, switched) {
                    (false, true) => death_if_ec,
                    (true, true) => death_if_ce,
                    (false, false) => piecewise(t0, &[(next_start, LOG_HR_OTHER)]),
                    (true, false) => ce(&[(next_start, LOG_HR_OTHER)]),
                };
                TrialPatient {
                    base: *b,
                    line1_start: d1,
                    progression,
                    next_start,
                    switched,
                    time: death.min(b.censor),
                    event: death <= b.censor,
                    death_if_ec,
                    death_if_ce,
                }
            })
            .collect();
        TrialCohort {
            sim: *self,
            patients,
        }
    }
}

impl TrialCohort {
    /// The per-protocol truth (see the module doc); `None` without deaths.
    pub fn true_per_protocol(&self, tau: f64) -> Option<TrueEffect> {
        let n = self.patients.len();
        let mut time = Vec::with_capacity(2 * n);
        let mut event = Vec::with_capacity(2 * n);
        let mut x = Vec::with_capacity(2 * n);
        let mut rmst = [0.0, 0.0];
        for p in &self.patients {
            for (arm, death) in [(0.0, p.death_if_ec), (1.0, p.death_if_ce)] {
                time.push(death.min(p.base.censor));
                event.push(death <= p.base.censor);
                x.push(arm);
                rmst[arm as usize] += death.min(tau);
            }
        }
        let names = ["ce".to_string()];
        let fit = coxph(
            &CoxData {
                time: &time,
                event: &event,
                start: None,
                x: &x,
                names: &names,
                weights: None,
                strata: None,
                cluster: None,
            },
            &CoxOptions::default(),
        )
        .ok()?;
        Some(TrueEffect {
            hr: fit.coefficients[0].hr?,
            rmst_difference: (rmst[1] - rmst[0]) / n as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn piecewise_hazards_invert_the_cumulative_hazard() {
        // No break: unchanged.
        assert!((piecewise(5.0, &[]) - 5.0).abs() < 1e-12);
        // A break after the death: unchanged.
        assert!((piecewise(5.0, &[(6.0, 1.0)]) - 5.0).abs() < 1e-12);
        // Hazard doubled from 2 on: H(t) = 2^k + 2 (t^k − 2^k) = 5^k.
        let t = piecewise(5.0, &[(2.0, 2f64.ln())]);
        let h = 2f64.powf(SHAPE) + 2.0 * (t.powf(SHAPE) - 2f64.powf(SHAPE));
        assert!((h - 5f64.powf(SHAPE)).abs() < 1e-9);
        assert!(t < 5.0);
    }

    #[test]
    fn the_sicker_switch_less_and_deviators_die_sooner() {
        let c = TrialSim {
            base: SequenceSim {
                n: 3000,
                ..SequenceSim::default()
            },
            ..TrialSim::default()
        }
        .simulate();
        let share = |f: &dyn Fn(&TrialPatient) -> bool| {
            let g: Vec<_> = c.patients.iter().filter(|p| f(p)).collect();
            g.iter().filter(|p| p.switched).count() as f64 / g.len() as f64
        };
        assert!(share(&|p| p.base.ecog == 0.0) > share(&|p| p.base.ecog == 2.0) + 0.1);
        // A better strategy never shortens a potential death time.
        assert!(c.patients.iter().all(|p| p.death_if_ce >= p.death_if_ec));
        assert!(c.patients.iter().all(|p| p.line1_start < 1.0));
    }
}
