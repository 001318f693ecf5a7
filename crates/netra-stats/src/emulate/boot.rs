//! Bootstrap of the whole emulation: patients resampled with replacement
//! (a patient's clones stay together), the deviation models re-fitted and
//! the weights re-estimated in every replicate, percentile intervals.
//! Reproducible: replicate b draws from ChaCha8 keyed by the seed, stream
//! b, so a replicate does not depend on the others (nor on their order).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::{EmulateError, EmulateOptions, Trial, emulate};
use crate::weighting::quantile_sorted;

/// Options of [`bootstrap`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootstrapOptions {
    /// Replicates.
    pub replicates: usize,
    /// Seed.
    pub seed: u64,
    /// Level of the percentile intervals.
    pub conf_level: f64,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions {
            replicates: 200,
            seed: 1,
            conf_level: 0.95,
        }
    }
}

/// A percentile interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BootInterval {
    /// Lower limit (the (1 − level)/2 quantile of the replicates, type 7).
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
    /// SD of the replicates (for a hazard ratio: of the log HR).
    pub std_err: f64,
    /// Replicates that gave a value.
    pub n: usize,
}

/// Bootstrap intervals of the contrasts (strategy k ≥ 1 against the first).
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Replicates asked for.
    pub replicates: usize,
    /// Replicates in which the emulation failed (left out).
    pub failed: usize,
    /// Seed.
    pub seed: u64,
    /// Weighted hazard ratios.
    pub hr: Vec<Option<BootInterval>>,
    /// RMST differences.
    pub rmst_difference: Vec<Option<BootInterval>>,
    /// Survival differences at the chosen times.
    pub survival_difference: Vec<Vec<Option<BootInterval>>>,
}

fn interval(mut v: Vec<f64>, level: f64, log: bool) -> Option<BootInterval> {
    v.retain(|x| x.is_finite());
    if v.len() < 2 {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1.0)).sqrt();
    v.sort_by(f64::total_cmp);
    let a = (1.0 - level) / 2.0;
    let (lo, hi) = (quantile_sorted(&v, a), quantile_sorted(&v, 1.0 - a));
    let back = |x: f64| if log { x.exp() } else { x };
    Some(BootInterval {
        lower: back(lo),
        upper: back(hi),
        std_err: sd,
        n: v.len(),
    })
}

/// Runs `boot.replicates` replicates of [`emulate`] with `opts` (give
/// `opts.tau` the full data's τ so that every replicate integrates to the
/// same horizon); `progress(done)` is called after each replicate.
pub fn bootstrap(
    trial: &Trial,
    opts: &EmulateOptions,
    boot: &BootstrapOptions,
    progress: &mut dyn FnMut(usize),
) -> Result<Bootstrap, EmulateError> {
    if !(boot.conf_level > 0.0 && boot.conf_level < 1.0) {
        return Err(EmulateError::Invalid(format!(
            "confidence level {} is not between 0 and 1",
            boot.conf_level
        )));
    }
    let n = trial.len();
    if n == 0 {
        return Err(EmulateError::Shape("no patients".into()));
    }
    let k = trial.strategies.len().saturating_sub(1);
    let t = opts.times.len();
    let opts = EmulateOptions {
        variance: false,
        ..opts.clone()
    };
    let mut hr: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut rd: Vec<Vec<f64>> = vec![Vec::new(); k];
    let mut sd: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); t]; k];
    let mut failed = 0;
    let mut idx = vec![0usize; n];
    for b in 0..boot.replicates {
        let mut rng = ChaCha8Rng::seed_from_u64(boot.seed);
        rng.set_stream(b as u64);
        for i in idx.iter_mut() {
            *i = rng.gen_range(0..n);
        }
        match emulate(&trial.subset(&idx), &opts) {
            Ok(e) => {
                for j in 0..k {
                    hr[j].push(e.hr[j].map_or(f64::NAN, |h| h.coef));
                    rd[j].push(e.rmst_difference[j].map_or(f64::NAN, |c| c.estimate));
                    for (l, c) in e.survival_difference[j].iter().enumerate() {
                        sd[j][l].push(c.estimate);
                    }
                }
            }
            Err(_) => failed += 1,
        }
        progress(b + 1);
    }
    let level = boot.conf_level;
    Ok(Bootstrap {
        replicates: boot.replicates,
        failed,
        seed: boot.seed,
        hr: hr.into_iter().map(|v| interval(v, level, true)).collect(),
        rmst_difference: rd.into_iter().map(|v| interval(v, level, false)).collect(),
        survival_difference: sd
            .into_iter()
            .map(|per| per.into_iter().map(|v| interval(v, level, false)).collect())
            .collect(),
    })
}
