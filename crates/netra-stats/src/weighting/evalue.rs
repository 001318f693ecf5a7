//! E-values (VanderWeele & Ding, Ann Intern Med 2017), as the R package
//! `EValue`'s `evalues.RR` and `evalues.HR` compute them.
//!
//! For a risk ratio RR ≥ 1, `E = RR + sqrt(RR·(RR − 1))` (RR < 1: use
//! 1/RR). The confidence interval's E-value is that of the limit nearer 1,
//! or 1 when the interval contains 1. A hazard ratio is a risk ratio when
//! the outcome is rare (< 15% by the end of follow-up); when it is common
//! (as death in metastatic NET usually is) the HR is first turned into an
//! approximate RR by VanderWeele's square-root transform
//! `RR = (1 − 0.5^sqrt(HR)) / (1 − 0.5^sqrt(1/HR))`.

/// The E-values of an estimate and its interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EValue {
    /// Whether the outcome was treated as rare (HR used as RR).
    pub rare: bool,
    /// The risk ratio the E-value is computed from.
    pub rr: f64,
    /// E-value of the estimate.
    pub point: f64,
    /// E-value of the confidence limit nearer 1 (1 when the CI holds 1).
    pub ci: f64,
}

fn e_of(rr: f64) -> f64 {
    let rr = if rr < 1.0 { 1.0 / rr } else { rr };
    rr + (rr * (rr - 1.0)).sqrt()
}

/// E-values of a risk ratio and its confidence limits; `None` unless
/// `0 < lower ≤ rr ≤ upper` are finite.
pub fn evalue_rr(rr: f64, lower: f64, upper: f64) -> Option<EValue> {
    let ok = |v: f64| v.is_finite() && v > 0.0;
    if !(ok(rr) && ok(lower) && ok(upper) && lower <= rr && rr <= upper) {
        return None;
    }
    let ci = if lower <= 1.0 && upper >= 1.0 {
        1.0
    } else if rr > 1.0 {
        e_of(lower)
    } else {
        e_of(upper)
    };
    Some(EValue {
        rare: true,
        rr,
        point: e_of(rr),
        ci,
    })
}

/// E-values of a hazard ratio (see the module doc for `rare`).
pub fn evalue_hr(hr: f64, lower: f64, upper: f64, rare: bool) -> Option<EValue> {
    let conv = |h: f64| {
        if rare {
            h
        } else {
            (1.0 - 0.5f64.powf(h.sqrt())) / (1.0 - 0.5f64.powf((1.0 / h).sqrt()))
        }
    };
    if !(hr.is_finite() && lower.is_finite() && upper.is_finite() && lower > 0.0) {
        return None;
    }
    let mut e = evalue_rr(conv(hr), conv(lower), conv(upper))?;
    e.rare = rare;
    Some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_example_and_null_interval() {
        // VanderWeele & Ding's example: RR 3.9 (1.8, 8.7) → 7.26 and 3.0.
        let e = evalue_rr(3.9, 1.8, 8.7).unwrap();
        assert!((e.point - 7.263).abs() < 1e-3, "{}", e.point);
        assert!((e.ci - 3.0).abs() < 1e-12, "{}", e.ci);
        let null = evalue_hr(0.9, 0.7, 1.2, false).unwrap();
        assert_eq!(null.ci, 1.0);
        // The transform is symmetric: HR and 1/HR give the same E-value.
        let a = evalue_hr(2.0, 1.5, 3.0, false).unwrap();
        let b = evalue_hr(0.5, 1.0 / 3.0, 1.0 / 1.5, false).unwrap();
        assert!((a.point - b.point).abs() < 1e-12 && (a.ci - b.ci).abs() < 1e-12);
        assert!(evalue_hr(f64::NAN, 1.0, 2.0, true).is_none());
        assert!(evalue_rr(2.0, 2.5, 3.0).is_none());
    }
}
