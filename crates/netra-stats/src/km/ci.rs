//! Pointwise confidence intervals for S(t), as R's `survival:::survfit_confint`.
//!
//! R marks "no value" in two ways that later steps tell apart: `NA` where
//! `survfit_confint` replaces S by `NA` before transforming (S = 0 for every
//! transform, and also S = 1 for `log-log`), and `NaN` where IEEE arithmetic
//! meets `0 * Inf` (S = 1 with `logit`/`arcsin`; S = 0 with `plain` under the
//! Greenwood variance). Both are "does not exist" to a reader, but
//! `quantile.survfit` de-duplicates its input with `duplicated()`, which keeps
//! one `NA` *and* one `NaN`; so the kind is kept here as two NaN bit patterns
//! ([`NA`] and the ordinary [`f64::NAN`]) to reproduce R's quantiles exactly.

use std::str::FromStr;

/// R's `NA_real_`: a NaN whose low word is 1954 (kept quiet here so no
/// platform alters it on a copy). Produced explicitly where R
/// substitutes `NA`; never the result of arithmetic here.
pub(crate) const NA: f64 = f64::from_bits(0x7FF8_0000_0000_07A2);

/// True when `x` is R's `NA` (as opposed to an arithmetic NaN).
pub(crate) fn is_r_na(x: f64) -> bool {
    x.to_bits() == NA.to_bits()
}

/// The transformation on which a pointwise confidence interval for S(t) is
/// symmetric (R's `conf.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConfType {
    /// `log`: S exp(±z se(log S)), upper limit clipped at 1 (R's default).
    #[default]
    Log,
    /// `log-log`: symmetric on log(-log S); no interval where S is 0 or 1.
    LogLog,
    /// `plain`: S ± z se(S), clipped to [0, 1].
    Plain,
    /// `logit`: symmetric on log(S / (1 - S)).
    Logit,
    /// `arcsin`: symmetric on asin(sqrt(S)), clipped to [0, π/2].
    Arcsin,
}

impl ConfType {
    /// The name R uses (`conf.type = "..."`).
    pub fn r_name(self) -> &'static str {
        match self {
            ConfType::Log => "log",
            ConfType::LogLog => "log-log",
            ConfType::Plain => "plain",
            ConfType::Logit => "logit",
            ConfType::Arcsin => "arcsin",
        }
    }
}

impl FromStr for ConfType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "log" => Ok(ConfType::Log),
            "log-log" | "loglog" => Ok(ConfType::LogLog),
            "plain" | "linear" => Ok(ConfType::Plain),
            "logit" => Ok(ConfType::Logit),
            "arcsin" | "asin" => Ok(ConfType::Arcsin),
            other => Err(format!(
                "unknown confidence interval type '{other}' \
                 (expected log, log-log, plain, logit or arcsin)"
            )),
        }
    }
}

/// R's `pmax(a, b)` for a possibly-NaN `a`: NaN propagates (Rust's `max`
/// would drop it).
fn pmax(a: f64, b: f64) -> f64 {
    if a.is_nan() { a } else { a.max(b) }
}

/// R's `pmin(a, b)` for a possibly-NaN `a`.
fn pmin(a: f64, b: f64) -> f64 {
    if a.is_nan() { a } else { a.min(b) }
}

/// One pointwise interval, as `survfit_confint(p, se, logse, conf.type,
/// conf.int, selow = se)` computes it (`conf.lower = "usual"`).
///
/// `se` is the standard error exactly as the survfit object stores it: of
/// log S when `logse` (Greenwood), of S otherwise (the infinitesimal
/// jackknife used with non-integer case weights). `z` is
/// `qnorm(1 - (1 - level) / 2)`.
pub(crate) fn interval(conf: ConfType, p: f64, se: f64, logse: bool, z: f64) -> (f64, f64) {
    // selow = se, so scale = se/se: 1, or NaN when se is infinite (S = 0
    // under Greenwood), which only matters where the result is NA/NaN anyway.
    let scale = if se.is_finite() { 1.0 } else { f64::NAN };
    let se = if logse {
        se
    } else if se == 0.0 {
        0.0
    } else {
        se / p
    };
    match conf {
        ConfType::Plain => {
            let se2 = se * p * z;
            (pmax(p - se2 * scale, 0.0), pmin(p + se2, 1.0))
        }
        ConfType::Log => {
            if p == 0.0 {
                return (NA, NA);
            }
            let se2 = z * se;
            let lower = (p.ln() - se2 * scale).exp();
            let upper = (p.ln() + se2).exp();
            (lower, pmin(upper, 1.0))
        }
        ConfType::LogLog => {
            if p == 0.0 || p == 1.0 {
                return (NA, NA);
            }
            let se2 = z * se / p.ln();
            let lll = (-p.ln()).ln();
            let lower = (-(lll - se2 * scale).exp()).exp();
            let upper = (-(lll + se2).exp()).exp();
            (lower, upper)
        }
        ConfType::Logit => {
            if p == 0.0 {
                return (NA, NA);
            }
            let se2 = z * se * (1.0 + p / (1.0 - p));
            let logit = (p / (1.0 - p)).ln();
            let lower = 1.0 - 1.0 / (1.0 + (logit - se2 * scale).exp());
            let upper = 1.0 - 1.0 / (1.0 + (logit + se2).exp());
            (lower, upper)
        }
        ConfType::Arcsin => {
            if p == 0.0 {
                return (NA, NA);
            }
            let se2 = 0.5 * z * se * (p / (1.0 - p)).sqrt();
            let a = p.sqrt().asin();
            let lower = pmax(a - se2 * scale, 0.0).sin().powi(2);
            let upper = pmin(a + se2, std::f64::consts::FRAC_PI_2).sin().powi(2);
            (lower, upper)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_r_names() {
        for c in [
            ConfType::Log,
            ConfType::LogLog,
            ConfType::Plain,
            ConfType::Logit,
            ConfType::Arcsin,
        ] {
            assert_eq!(c.r_name().parse::<ConfType>().unwrap(), c);
        }
        assert!("bogus".parse::<ConfType>().is_err());
    }

    #[test]
    fn na_versus_nan_where_r_distinguishes_them() {
        // S = 1, se = 0: log gives [1, 1]; log-log NA; logit and arcsin NaN.
        assert_eq!(interval(ConfType::Log, 1.0, 0.0, true, 1.96), (1.0, 1.0));
        let (l, u) = interval(ConfType::LogLog, 1.0, 0.0, true, 1.96);
        assert!(is_r_na(l) && is_r_na(u));
        let (l, u) = interval(ConfType::Logit, 1.0, 0.0, true, 1.96);
        assert!(l.is_nan() && !is_r_na(l) && u.is_nan() && !is_r_na(u));
        let (l, _) = interval(ConfType::Arcsin, 1.0, 0.0, true, 1.96);
        assert!(l.is_nan() && !is_r_na(l));
        // S = 0 under Greenwood (se = Inf): plain gives NaN, the others NA.
        let (l, u) = interval(ConfType::Plain, 0.0, f64::INFINITY, true, 1.96);
        assert!(l.is_nan() && !is_r_na(l) && u.is_nan());
        assert!(is_r_na(
            interval(ConfType::Log, 0.0, f64::INFINITY, true, 1.96).0
        ));
    }
}
