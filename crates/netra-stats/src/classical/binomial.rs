//! One proportion: the exact binomial test with its Clopper–Pearson interval
//! (R's `binom.test`), the score test with its Wilson interval (R's
//! one-sample `prop.test`), and response rates (ORR, DCR) with either.
//!
//! * Clopper–Pearson: `[qbeta(α/2, x, n-x+1), qbeta(1-α/2, x+1, n-x)]`, with
//!   0 and 1 at x = 0 and x = n. The two-sided exact p sums the
//!   probabilities of outcomes no more likely than x (relative tolerance
//!   1e-7, as R), the tail beyond the mode being found by counting.
//! * Wilson: the score interval `prop.test(x, n, correct = FALSE)` prints.
//!   With `correct = TRUE` (R's default) the continuity correction is
//!   `min(0.5, |x - n p0|)` with the null `p0` (0.5 unless given) — so at
//!   x = n/2 R applies no correction; netra reproduces that quirk because the
//!   interval must agree with R, and documents it.
//! * Rates: ORR = (CR + PR) / n, DCR = (CR + PR + SD) / n with the chosen
//!   interval; Clopper–Pearson is the default because it never undercovers,
//!   which is what small NET series need.

use super::special::{beta_quantile, binom_cdf_both, binom_pmf};
use super::{Alternative, TestError, check_level};
use crate::distributions::{chisq_upper, normal_cdf, normal_quantile, normal_upper};

/// The result of [`binom_test`], with the fields of R's `binom.test`.
#[derive(Debug, Clone, PartialEq)]
pub struct BinomTest {
    /// Number of successes.
    pub successes: u64,
    /// Number of trials.
    pub trials: u64,
    /// Estimated probability x / n.
    pub estimate: f64,
    /// Null probability.
    pub null_p: f64,
    /// p-value.
    pub p_value: f64,
    /// Lower Clopper–Pearson limit.
    pub lower: f64,
    /// Upper Clopper–Pearson limit.
    pub upper: f64,
}

fn check_counts(x: u64, n: u64) -> Result<(), TestError> {
    if n == 0 {
        return Err(TestError::InvalidInput(
            "the number of trials must be positive".into(),
        ));
    }
    if x > n {
        return Err(TestError::InvalidInput(format!(
            "successes ({x}) exceed trials ({n})"
        )));
    }
    Ok(())
}

/// The exact binomial test of `x` successes in `n` trials against `p0`, as
/// R's `binom.test(x, n, p0, alternative, conf.level)`.
pub fn binom_test(
    x: u64,
    n: u64,
    p0: f64,
    alternative: Alternative,
    conf_level: f64,
) -> Result<BinomTest, TestError> {
    check_counts(x, n)?;
    check_level(conf_level)?;
    if !(0.0..=1.0).contains(&p0) {
        return Err(TestError::InvalidInput(format!(
            "the null probability must be in [0, 1], got {p0}"
        )));
    }
    let xi = x as i64;
    let p_value = match alternative {
        Alternative::Less => binom_cdf_both(xi, n, p0).0,
        Alternative::Greater => binom_cdf_both(xi - 1, n, p0).1,
        Alternative::TwoSided => two_sided_binom_p(x, n, p0),
    };
    let (lower, upper) = clopper_pearson_sided(x, n, conf_level, alternative);
    Ok(BinomTest {
        successes: x,
        trials: n,
        estimate: x as f64 / n as f64,
        null_p: p0,
        p_value,
        lower,
        upper,
    })
}

fn two_sided_binom_p(x: u64, n: u64, p: f64) -> f64 {
    if p == 0.0 {
        return if x == 0 { 1.0 } else { 0.0 };
    }
    if p == 1.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    const REL_ERR: f64 = 1.0 + 1e-7;
    let d = binom_pmf(x, n, p) * REL_ERR;
    let m = n as f64 * p;
    let xf = x as f64;
    if xf == m {
        1.0
    } else if xf < m {
        let from = m.ceil() as u64;
        let y = (from..=n).filter(|&i| binom_pmf(i, n, p) <= d).count() as i64;
        binom_cdf_both(x as i64, n, p).0 + binom_cdf_both(n as i64 - y, n, p).1
    } else {
        let to = m.floor() as u64;
        let y = (0..=to).filter(|&i| binom_pmf(i, n, p) <= d).count() as i64;
        binom_cdf_both(y - 1, n, p).0 + binom_cdf_both(x as i64 - 1, n, p).1
    }
}

fn clopper_pearson_sided(x: u64, n: u64, level: f64, alternative: Alternative) -> (f64, f64) {
    let p_l = |alpha: f64| {
        if x == 0 {
            0.0
        } else {
            beta_quantile(alpha, x as f64, (n - x + 1) as f64)
        }
    };
    let p_u = |alpha: f64| {
        if x == n {
            1.0
        } else {
            beta_quantile(1.0 - alpha, (x + 1) as f64, (n - x) as f64)
        }
    };
    match alternative {
        Alternative::Less => (0.0, p_u(1.0 - level)),
        Alternative::Greater => (p_l(1.0 - level), 1.0),
        Alternative::TwoSided => {
            let alpha = (1.0 - level) / 2.0;
            (p_l(alpha), p_u(alpha))
        }
    }
}

/// The two-sided Clopper–Pearson interval for x successes in n trials.
pub fn clopper_pearson(x: u64, n: u64, conf_level: f64) -> Result<(f64, f64), TestError> {
    check_counts(x, n)?;
    check_level(conf_level)?;
    Ok(clopper_pearson_sided(
        x,
        n,
        conf_level,
        Alternative::TwoSided,
    ))
}

/// The result of [`prop_test`], with the fields of R's one-sample
/// `prop.test`.
#[derive(Debug, Clone, PartialEq)]
pub struct PropTest {
    /// Estimated proportion x / n.
    pub estimate: f64,
    /// The chi-square statistic (`X-squared`).
    pub statistic: f64,
    /// Degrees of freedom (1).
    pub df: f64,
    /// p-value.
    pub p_value: f64,
    /// Lower Wilson limit.
    pub lower: f64,
    /// Upper Wilson limit.
    pub upper: f64,
    /// The continuity correction actually applied (0 or up to 0.5).
    pub correction: f64,
}

/// The one-sample score test and Wilson interval, as R's
/// `prop.test(x, n, p0, alternative, conf.level, correct)`.
pub fn prop_test(
    x: u64,
    n: u64,
    p0: f64,
    alternative: Alternative,
    conf_level: f64,
    correct: bool,
) -> Result<PropTest, TestError> {
    check_counts(x, n)?;
    check_level(conf_level)?;
    if !(p0 > 0.0 && p0 < 1.0) {
        return Err(TestError::InvalidInput(format!(
            "the null probability must be in (0, 1), got {p0}"
        )));
    }
    let nf = n as f64;
    let xf = x as f64;
    let estimate = xf / nf;
    let z = normal_quantile(match alternative {
        Alternative::TwoSided => (1.0 + conf_level) / 2.0,
        _ => conf_level,
    });
    let yates = if correct {
        0.5f64.min((xf - nf * p0).abs())
    } else {
        0.0
    };
    let z22n = z * z / (2.0 * nf);
    let pc = estimate + yates / nf;
    let p_u = if pc >= 1.0 {
        1.0
    } else {
        (pc + z22n + z * (pc * (1.0 - pc) / nf + z22n / (2.0 * nf)).sqrt()) / (1.0 + 2.0 * z22n)
    };
    let pc = estimate - yates / nf;
    let p_l = if pc <= 0.0 {
        0.0
    } else {
        (pc + z22n - z * (pc * (1.0 - pc) / nf + z22n / (2.0 * nf)).sqrt()) / (1.0 + 2.0 * z22n)
    };
    let (lower, upper) = match alternative {
        Alternative::TwoSided => (p_l.max(0.0), p_u.min(1.0)),
        Alternative::Greater => (p_l.max(0.0), 1.0),
        Alternative::Less => (0.0, p_u.min(1.0)),
    };
    let e1 = nf * p0;
    let e2 = nf * (1.0 - p0);
    let statistic =
        ((xf - e1).abs() - yates).powi(2) / e1 + (((nf - xf) - e2).abs() - yates).powi(2) / e2;
    let p_value = match alternative {
        Alternative::TwoSided => chisq_upper(statistic, 1.0),
        _ => {
            let zs = (estimate - p0).signum() * statistic.sqrt();
            if alternative == Alternative::Less {
                normal_cdf(zs)
            } else {
                normal_upper(zs)
            }
        }
    };
    Ok(PropTest {
        estimate,
        statistic,
        df: 1.0,
        p_value,
        lower,
        upper,
        correction: yates,
    })
}

/// Which confidence interval a proportion is reported with (the formulas
/// are in [`super::interval`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProportionCi {
    /// Exact (Clopper–Pearson), as `binom.test`. The default.
    #[default]
    ClopperPearson,
    /// Wilson score interval without continuity correction, as
    /// `prop.test(correct = FALSE)`.
    Wilson,
    /// Wilson score interval with continuity correction, as `prop.test`'s
    /// default (null 0.5, see the module note).
    WilsonCorrected,
    /// Wald: p̂ ± z √(p̂(1 − p̂)/n), clipped to [0, 1].
    Wald,
    /// Agresti–Coull: the Wald interval around p̃ = (x + z²/2)/(n + z²)
    /// with ñ = n + z², clipped to [0, 1].
    AgrestiCoull,
    /// Jeffreys: the equal-tailed Beta(x + ½, n − x + ½) interval, with
    /// 0 at x = 0 and 1 at x = n (Brown, Cai & DasGupta 2001).
    Jeffreys,
}

impl ProportionCi {
    /// Every method, in the order documentation lists them.
    pub const ALL: [ProportionCi; 6] = [
        ProportionCi::ClopperPearson,
        ProportionCi::Wilson,
        ProportionCi::WilsonCorrected,
        ProportionCi::Wald,
        ProportionCi::AgrestiCoull,
        ProportionCi::Jeffreys,
    ];
}

/// A proportion with its two-sided confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    /// Numerator.
    pub successes: u64,
    /// Denominator.
    pub n: u64,
    /// successes / n.
    pub estimate: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
}

/// A proportion and its two-sided interval by the chosen method.
pub fn proportion(
    successes: u64,
    n: u64,
    method: ProportionCi,
    conf_level: f64,
) -> Result<Proportion, TestError> {
    check_counts(successes, n)?;
    check_level(conf_level)?;
    let (lower, upper) = match method {
        ProportionCi::ClopperPearson => clopper_pearson(successes, n, conf_level)?,
        ProportionCi::Wilson | ProportionCi::WilsonCorrected => {
            let t = prop_test(
                successes,
                n,
                0.5,
                Alternative::TwoSided,
                conf_level,
                method == ProportionCi::WilsonCorrected,
            )?;
            (t.lower, t.upper)
        }
        ProportionCi::Wald => super::interval::wald(successes, n, conf_level),
        ProportionCi::AgrestiCoull => super::interval::agresti_coull(successes, n, conf_level),
        ProportionCi::Jeffreys => super::interval::jeffreys(successes, n, conf_level),
    };
    Ok(Proportion {
        successes,
        n,
        estimate: successes as f64 / n as f64,
        lower,
        upper,
    })
}

/// Counts of best overall responses in a group, the input of
/// [`response_rates`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ResponseCounts {
    /// Complete responses.
    pub complete: u64,
    /// Partial responses.
    pub partial: u64,
    /// Minor responses (study-defined criteria); counted in disease control,
    /// not in the objective response.
    pub minor: u64,
    /// Stable disease (and non-CR/non-PD).
    pub stable: u64,
    /// Progressive disease.
    pub progressive: u64,
    /// Not evaluable; part of the denominator (intention to treat), as
    /// RECIST 1.1 §4.4 asks.
    pub not_evaluable: u64,
}

impl ResponseCounts {
    /// The denominator: every patient counted.
    pub fn total(&self) -> u64 {
        self.complete
            + self.partial
            + self.minor
            + self.stable
            + self.progressive
            + self.not_evaluable
    }
}

/// Objective response rate and disease control rate of one group.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResponseRates {
    /// ORR = (CR + PR) / n.
    pub orr: Proportion,
    /// DCR = (CR + PR + MR + SD) / n.
    pub dcr: Proportion,
}

/// ORR and DCR with the chosen interval; n must be positive.
pub fn response_rates(
    counts: &ResponseCounts,
    method: ProportionCi,
    conf_level: f64,
) -> Result<ResponseRates, TestError> {
    let n = counts.total();
    let orr = proportion(counts.complete + counts.partial, n, method, conf_level)?;
    let dcr = proportion(
        counts.complete + counts.partial + counts.minor + counts.stable,
        n,
        method,
        conf_level,
    )?;
    Ok(ResponseRates { orr, dcr })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_inputs_are_errors() {
        assert!(binom_test(3, 0, 0.5, Alternative::TwoSided, 0.95).is_err());
        assert!(binom_test(5, 3, 0.5, Alternative::TwoSided, 0.95).is_err());
        assert!(binom_test(1, 3, 1.5, Alternative::TwoSided, 0.95).is_err());
        assert!(prop_test(1, 3, 0.0, Alternative::TwoSided, 0.95, true).is_err());
        assert!(proportion(1, 3, ProportionCi::Wilson, 1.0).is_err());
        assert!(response_rates(&ResponseCounts::default(), ProportionCi::Wilson, 0.95).is_err());
    }

    #[test]
    fn rates_count_the_right_categories() {
        let c = ResponseCounts {
            complete: 1,
            partial: 3,
            minor: 2,
            stable: 4,
            progressive: 5,
            not_evaluable: 5,
        };
        let r = response_rates(&c, ProportionCi::ClopperPearson, 0.95).unwrap();
        assert_eq!((r.orr.successes, r.orr.n), (4, 20));
        assert_eq!((r.dcr.successes, r.dcr.n), (10, 20));
        assert!(r.orr.lower < 0.2 && r.orr.upper > 0.2);
    }
}
