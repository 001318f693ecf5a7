//! A synthetic cohort in which the order of two therapies after
//! somatostatin-analogue failure has a **known causal effect**, with
//! **confounding by indication** (the sicker get chemotherapy first) and
//! **immortal time** (a patient is seen to have a sequence only after
//! surviving to the second line) — the two biases of comparing patients by
//! the sequence they received. Used to show that the naive comparison is
//! biased and that weighting at time zero recovers the truth
//! (`tests/sequence_effect.rs`; `docs/algorithms/sequence-effects.md`).
//!
//! # The data-generating model (months from SSA failure = time zero)
//! * Baseline: age ~ N(62, 10); Ki-67 = exp(N(ln 8, 0.7)) %; ECOG 0/1/2
//!   with probabilities 0.5/0.35/0.15; high liver tumour burden with
//!   probability 0.4. Severity
//!   `s = 0.6·(ln Ki-67 − ln 8)/0.7 + 0.5·ECOG + 0.5·liver_high`.
//! * Strategy at time zero: chemotherapy first (then everolimus at
//!   progression, "C→E") with probability `expit(−0.4 + confounding·s)`,
//!   else everolimus first ("E→C"). Everyone who progresses and is alive
//!   and followed starts the other drug: the strategy is fixed at time
//!   zero, so weighting at time zero is a valid emulation.
//! * Death: Weibull proportional hazards, shape 1.2, median 30 months at
//!   `s = 0` under E→C; hazard × `exp(0.7·s + log_hr·[C→E])`. Both
//!   potential death times use the same uniform (common random numbers).
//! * Progression on line 1: exponential, median 11 months (everolimus) or
//!   14 months (chemotherapy) at `s = 0`, × `exp(0.5·s)`.
//! * Censoring: administrative, uniform on 12–96 months, independent of
//!   everything else (the same for both potential outcomes).
//!
//! # The truth
//! `log_hr` is a *conditional* hazard ratio; the marginal effect a
//! randomised trial of the same patients would estimate differs
//! (non-collapsibility). [`SequenceCohort::true_marginal`] gives the
//! answer of that trial from the potential outcomes: the Cox hazard ratio
//! of everyone's two potential (censored) outcomes, and the RMST
//! difference at τ from the uncensored potential times.

use netra_stats::cox::{CoxData, CoxOptions, coxph};

use crate::dist::{categorical, chance, normal, patient_rng, unit};

/// Settings of the simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequenceSim {
    /// Patients.
    pub n: usize,
    /// Seed.
    pub seed: u64,
    /// Conditional log hazard ratio of death, C→E vs E→C.
    pub log_hr: f64,
    /// Strength of confounding by indication (log odds of chemotherapy
    /// first per unit of severity).
    pub confounding: f64,
}

impl Default for SequenceSim {
    fn default() -> Self {
        SequenceSim {
            n: 20_000,
            seed: 19,
            log_hr: 0.75f64.ln(),
            confounding: 1.2,
        }
    }
}

/// One simulated patient.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SequencePatient {
    /// Age, years.
    pub age: f64,
    /// Ki-67, %.
    pub ki67: f64,
    /// ECOG 0–2.
    pub ecog: f64,
    /// High liver tumour burden.
    pub liver_high: bool,
    /// Chemotherapy first (C→E), else everolimus first (E→C).
    pub chemo_first: bool,
    /// Observed time, months from time zero.
    pub time: f64,
    /// Death observed.
    pub event: bool,
    /// Start of line 2 (the other drug), when reached.
    pub line2_start: Option<f64>,
    /// Potential death time under E→C (uncensored).
    pub death_if_ec: f64,
    /// Potential death time under C→E (uncensored).
    pub death_if_ce: f64,
    /// Censoring time.
    pub censor: f64,
}

/// A simulated cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceCohort {
    /// The settings.
    pub sim: SequenceSim,
    /// Patients.
    pub patients: Vec<SequencePatient>,
}

/// The marginal effect a randomised trial of the same patients estimates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrueEffect {
    /// Hazard ratio C→E vs E→C (Cox on both potential outcomes, censored
    /// as observed).
    pub hr: f64,
    /// RMST(C→E) − RMST(E→C) at τ, from the uncensored potential times.
    pub rmst_difference: f64,
}

fn weibull_time(u: f64, median: f64, shape: f64, lp: f64) -> f64 {
    // S(t) = exp(−λ t^k e^lp), λ = ln 2 / median^k.
    let lambda = std::f64::consts::LN_2 / median.powf(shape);
    (-u.ln() / (lambda * lp.exp())).powf(1.0 / shape)
}

impl SequenceSim {
    /// Draws the cohort (patient i from stream i of the seed).
    pub fn simulate(&self) -> SequenceCohort {
        let patients = (0..self.n)
            .map(|i| {
                let mut rng = patient_rng(self.seed, i as u64);
                let age = 62.0 + 10.0 * normal(&mut rng);
                let ki67 = (8f64.ln() + 0.7 * normal(&mut rng)).exp().min(100.0);
                let ecog = categorical(&mut rng, &[0.5, 0.35, 0.15]) as f64;
                let liver_high = chance(&mut rng, 0.4);
                let s = 0.6 * (ki67.ln() - 8f64.ln()) / 0.7
                    + 0.5 * ecog
                    + 0.5 * f64::from(u8::from(liver_high));
                let p_chemo = 1.0 / (1.0 + (0.4 - self.confounding * s).exp());
                let chemo_first = chance(&mut rng, p_chemo);
                let u_death = unit(&mut rng);
                let death_if_ec = weibull_time(u_death, 30.0, 1.2, 0.7 * s);
                let death_if_ce = weibull_time(u_death, 30.0, 1.2, 0.7 * s + self.log_hr);
                let median_pfs = if chemo_first { 14.0 } else { 11.0 };
                let progression =
                    -unit(&mut rng).ln() * median_pfs / std::f64::consts::LN_2 / (0.5 * s).exp();
                let censor = 12.0 + 84.0 * unit(&mut rng);
                let death = if chemo_first {
                    death_if_ce
                } else {
                    death_if_ec
                };
                let end = death.min(censor);
                SequencePatient {
                    age,
                    ki67,
                    ecog,
                    liver_high,
                    chemo_first,
                    time: end,
                    event: death <= censor,
                    line2_start: (progression < end).then_some(progression),
                    death_if_ec,
                    death_if_ce,
                    censor,
                }
            })
            .collect();
        SequenceCohort {
            sim: *self,
            patients,
        }
    }
}

impl SequenceCohort {
    /// The marginal truth (see the module doc); `None` if the Cox model
    /// cannot be fitted (no deaths).
    pub fn true_marginal(&self, tau: f64) -> Option<TrueEffect> {
        let n = self.patients.len();
        let mut time = Vec::with_capacity(2 * n);
        let mut event = Vec::with_capacity(2 * n);
        let mut x = Vec::with_capacity(2 * n);
        let mut rmst = [0.0, 0.0];
        for p in &self.patients {
            for (arm, death) in [(0.0, p.death_if_ec), (1.0, p.death_if_ce)] {
                time.push(death.min(p.censor));
                event.push(death <= p.censor);
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
    fn the_sicker_get_chemotherapy_first_and_the_draw_is_reproducible() {
        let sim = SequenceSim {
            n: 2000,
            ..SequenceSim::default()
        };
        let a = sim.simulate();
        assert_eq!(a, sim.simulate());
        let mean_ecog = |chemo: bool| {
            let g: Vec<f64> = a
                .patients
                .iter()
                .filter(|p| p.chemo_first == chemo)
                .map(|p| p.ecog)
                .collect();
            g.iter().sum::<f64>() / g.len() as f64
        };
        assert!(mean_ecog(true) > mean_ecog(false) + 0.2);
        // A better strategy never shortens a potential death time.
        assert!(a.patients.iter().all(|p| p.death_if_ce >= p.death_if_ec));
    }
}
