//! Random streams and the few distributions the simulator draws from.
//!
//! Every patient has its own stream: ChaCha8 keyed by the user's seed, with
//! the patient's index as the stream number. A patient's records therefore
//! depend only on (seed, index), never on how many threads generated the
//! registry or in what order. Continuous distributions are sampled by
//! inversion (one uniform per draw), so each is exactly the distribution its
//! parameters say and the calibration in [`crate::model`] can be solved in
//! closed form.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The random stream of one patient.
pub type PatientRng = ChaCha8Rng;

/// The stream of patient `index` for the user's `seed`.
pub fn patient_rng(seed: u64, index: u64) -> PatientRng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// A uniform draw in (0, 1) (never exactly 0, so quantile functions stay finite).
pub fn unit(rng: &mut PatientRng) -> f64 {
    loop {
        let u: f64 = rng.r#gen();
        if u > 0.0 {
            return u;
        }
    }
}

/// A uniform draw in `[lo, hi)`.
pub fn uniform(rng: &mut PatientRng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(rng)
}

/// A whole number of days uniformly in `lo..=hi`.
pub fn days(rng: &mut PatientRng, lo: i32, hi: i32) -> i32 {
    if hi <= lo { lo } else { rng.gen_range(lo..=hi) }
}

/// True with probability `p`.
pub fn chance(rng: &mut PatientRng, p: f64) -> bool {
    unit(rng) < p
}

/// A standard normal draw (by inversion, R-exact quantile).
pub fn normal(rng: &mut PatientRng) -> f64 {
    netra_stats::distributions::normal_quantile(unit(rng))
}

/// Index drawn with probability proportional to `weights` (all ≥ 0, not all 0).
pub fn categorical(rng: &mut PatientRng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = unit(rng) * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    // Rounding can leave x a hair above the last weight: take the last
    // category with positive weight.
    weights.iter().rposition(|w| *w > 0.0).unwrap_or(0)
}

/// Poisson count by inversion (small means only).
pub fn poisson(rng: &mut PatientRng, mean: f64) -> u32 {
    let u = unit(rng);
    let mut p = (-mean).exp();
    let mut cdf = p;
    let mut k = 0u32;
    while u > cdf && k < 100 {
        k += 1;
        p *= mean / f64::from(k);
        cdf += p;
    }
    k
}

/// A Weibull distribution parametrised by its median and shape, the way
/// survival papers describe a curve: S(t) = exp(−ln 2 · (t / median)^shape).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weibull {
    /// Median.
    pub median: f64,
    /// Shape (1 = exponential; < 1 a falling hazard).
    pub shape: f64,
}

impl Weibull {
    /// The Weibull with median `median` whose survival at `t` is `s`.
    pub fn through(median: f64, t: f64, s: f64) -> Weibull {
        let shape = ((-s.ln()) / std::f64::consts::LN_2).ln() / (t / median).ln();
        Weibull { median, shape }
    }

    /// Survival function.
    pub fn survival(&self, t: f64) -> f64 {
        if t <= 0.0 {
            1.0
        } else {
            (-std::f64::consts::LN_2 * (t / self.median).powf(self.shape)).exp()
        }
    }

    /// The time by which a share `u` has had the event.
    pub fn quantile(&self, u: f64) -> f64 {
        self.median * ((-(1.0 - u).ln()) / std::f64::consts::LN_2).powf(1.0 / self.shape)
    }
}

/// A distribution given by points of its quantile function, interpolated
/// linearly (or linearly in the logarithm, for skewed laboratory values).
/// It reproduces published medians, ranges and shares above a cut-off
/// exactly; the interior points are assumptions that give a plausible shape.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantileCurve {
    /// (probability, value), probabilities increasing from 0 to 1.
    pub knots: Vec<(f64, f64)>,
    /// Interpolate `ln(value)` instead of the value.
    pub log: bool,
}

impl QuantileCurve {
    /// The value at probability `u`.
    pub fn quantile(&self, u: f64) -> f64 {
        let k = &self.knots;
        let i = k
            .windows(2)
            .position(|w| u <= w[1].0)
            .unwrap_or(k.len() - 2);
        let (p0, x0) = k[i];
        let (p1, x1) = k[i + 1];
        let f = if p1 > p0 { (u - p0) / (p1 - p0) } else { 0.0 };
        if f <= 0.0 {
            x0
        } else if f >= 1.0 {
            x1
        } else if self.log {
            (x0.ln() + f * (x1.ln() - x0.ln())).exp()
        } else {
            x0 + f * (x1 - x0)
        }
    }

    /// The probability below `x` (inverse of [`QuantileCurve::quantile`]).
    pub fn cdf(&self, x: f64) -> f64 {
        let k = &self.knots;
        if x <= k[0].1 {
            return 0.0;
        }
        for w in k.windows(2) {
            let ((p0, x0), (p1, x1)) = (w[0], w[1]);
            if x <= x1 {
                let f = if self.log {
                    (x.ln() - x0.ln()) / (x1.ln() - x0.ln())
                } else {
                    (x - x0) / (x1 - x0)
                };
                return p0 + f * (p1 - p0);
            }
        }
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weibull_through_a_median_and_a_rate() {
        let w = Weibull::through(78.0, 36.0, 0.658);
        assert!((w.survival(78.0) - 0.5).abs() < 1e-12);
        assert!((w.survival(36.0) - 0.658).abs() < 1e-12);
        assert!((w.quantile(0.5) - 78.0).abs() < 1e-9);
        assert!((w.survival(w.quantile(0.3)) - 0.7).abs() < 1e-12);
    }

    #[test]
    fn quantile_curve_hits_its_knots() {
        let q = QuantileCurve {
            knots: vec![(0.0, 2.6), (0.5, 23.0), (0.714, 31.4), (1.0, 1324.6)],
            log: true,
        };
        assert!((q.quantile(0.5) - 23.0).abs() < 1e-9);
        assert!((q.cdf(31.4) - 0.714).abs() < 1e-12);
        assert!((q.cdf(q.quantile(0.9)) - 0.9).abs() < 1e-12);
        assert_eq!(q.quantile(1.0), 1324.6);
    }

    #[test]
    fn streams_depend_on_seed_and_index_only() {
        let a: Vec<f64> = (0..3).map(|_| unit(&mut patient_rng(7, 5))).collect();
        let mut r = patient_rng(7, 5);
        let b = unit(&mut r);
        assert_eq!(a[0], b);
        assert_ne!(unit(&mut patient_rng(7, 6)), b);
        assert_ne!(unit(&mut patient_rng(8, 5)), b);
    }
}
