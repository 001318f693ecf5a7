//! The closed-form intervals of a proportion that R has no function for,
//! written as the formulas of Brown, Cai & DasGupta (2001, "Interval
//! estimation for a binomial proportion", Statist. Sci. 16:101–133) and
//! checked against the same formulas evaluated in R (`qnorm`, `qbeta`;
//! `validation/r/proportion.R`). Counts and level are validated by the
//! caller ([`super::binomial::proportion`]).
//!
//! * Wald: p̂ ± z √(p̂(1 − p̂)/n) with z = `qnorm(1 − α/2)`; the limits are
//!   clipped to [0, 1] (an interval of a proportion outside [0, 1] is
//!   printed by nobody); at x = 0 and x = n it collapses to a point, the
//!   known failure of the method, kept because papers ask for it.
//! * Agresti–Coull: ñ = n + z², p̃ = (x + z²/2)/ñ, p̃ ± z √(p̃(1 − p̃)/ñ),
//!   clipped to [0, 1].
//! * Jeffreys: `qbeta(α/2, x + ½, n − x + ½)` and `qbeta(1 − α/2, x + ½,
//!   n − x + ½)`, with the lower limit 0 at x = 0 and the upper limit 1 at
//!   x = n (the modification Brown, Cai & DasGupta recommend; §4.1.2).

use super::special::beta_quantile;
use crate::distributions::normal_quantile;

fn z_of(level: f64) -> f64 {
    normal_quantile(1.0 - (1.0 - level) / 2.0)
}

fn clip(lo: f64, hi: f64) -> (f64, f64) {
    (lo.max(0.0), hi.min(1.0))
}

/// The Wald interval.
pub(crate) fn wald(x: u64, n: u64, level: f64) -> (f64, f64) {
    let nf = n as f64;
    let p = x as f64 / nf;
    let half = z_of(level) * (p * (1.0 - p) / nf).sqrt();
    clip(p - half, p + half)
}

/// The Agresti–Coull interval.
pub(crate) fn agresti_coull(x: u64, n: u64, level: f64) -> (f64, f64) {
    let z = z_of(level);
    let n_tilde = n as f64 + z * z;
    let p = (x as f64 + z * z / 2.0) / n_tilde;
    let half = z * (p * (1.0 - p) / n_tilde).sqrt();
    clip(p - half, p + half)
}

/// The Jeffreys interval.
pub(crate) fn jeffreys(x: u64, n: u64, level: f64) -> (f64, f64) {
    let alpha = 1.0 - level;
    let (a, b) = (x as f64 + 0.5, (n - x) as f64 + 0.5);
    let lo = if x == 0 {
        0.0
    } else {
        beta_quantile(alpha / 2.0, a, b)
    };
    let hi = if x == n {
        1.0
    } else {
        beta_quantile(1.0 - alpha / 2.0, a, b)
    };
    (lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wald_collapses_at_the_edges_and_is_clipped() {
        assert_eq!(wald(0, 10, 0.95), (0.0, 0.0));
        assert_eq!(wald(10, 10, 0.95), (1.0, 1.0));
        let (lo, _) = wald(1, 10, 0.95);
        assert_eq!(lo, 0.0, "0.1 − 1.96·0.0949 < 0 is clipped");
    }

    #[test]
    fn jeffreys_edges_are_0_and_1() {
        assert_eq!(jeffreys(0, 7, 0.95).0, 0.0);
        assert_eq!(jeffreys(7, 7, 0.95).1, 1.0);
        let (lo, hi) = agresti_coull(0, 7, 0.95);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.3 && hi < 0.5, "{hi}");
    }
}
