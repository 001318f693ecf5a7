//! Number formatting for tables and figure annotations, in the style of
//! clinical journals: fixed decimals, an en dash inside intervals, p-values
//! with three decimals and a floor ("<0.001"), an em dash for a value that
//! does not exist.
//!
//! **One rule for p-values**, on every surface (CLI text, web pages, study
//! tables and figures, reports): three decimals, values below 0.001 as
//! "<0.001", a p-value that does not exist (or is not in [0, 1]) as "—".
//! A p of 0.0004 is "<0.001" in a table cell ([`p_value`]), "< 0.001" after
//! the test's name ([`p_relation`]) and "p < 0.001" in running text
//! ([`p_equals`]). JSON output carries the unrounded number.
//!
//! Rounding is that of Rust's `format!`, which rounds the exact binary value
//! to the nearest decimal (ties to even on exact binary ties) — the same
//! result as C's `printf` and hence R's `sprintf`/`format` on these values.

pub mod r;

/// Printed where a value does not exist (a median not reached is
/// [`NOT_REACHED`] instead).
pub const MISSING: &str = "\u{2014}";

/// Printed for a median (or limit) that the curve never reaches.
pub const NOT_REACHED: &str = "NR";

/// `v` with `decimals` decimals, or [`MISSING`] when absent or not finite.
pub fn fixed(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => {
            let s = format!("{:.*}", decimals, x);
            // "-0.0" reads as a sign error in a table.
            if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
                s[1..].to_string()
            } else {
                s
            }
        }
        _ => MISSING.to_string(),
    }
}

/// "estimate (lower–upper)"; a missing limit prints as `missing_limit`
/// (use [`NOT_REACHED`] for medians, [`MISSING`] otherwise).
pub fn with_ci(
    estimate: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    decimals: usize,
    missing_limit: &str,
) -> String {
    let limit = |v: Option<f64>| match v {
        Some(x) if x.is_finite() => fixed(Some(x), decimals),
        _ => missing_limit.to_string(),
    };
    format!(
        "{} ({}\u{2013}{})",
        fixed(estimate, decimals),
        limit(lower),
        limit(upper)
    )
}

/// "lower–upper", or "lower to upper" when a limit is negative (an en
/// dash after a minus sign reads as a subtraction); a missing limit is
/// [`MISSING`].
pub fn interval(lower: Option<f64>, upper: Option<f64>, decimals: usize) -> String {
    let l = fixed(lower, decimals);
    let u = fixed(upper, decimals);
    // `fixed` prints a negative value that rounds to zero as "0.0".
    if l.starts_with('-') || u.starts_with('-') {
        format!("{l} to {u}")
    } else {
        format!("{l}\u{2013}{u}")
    }
}

/// Decimals the values are recorded with: the fewest (up to `max`) that
/// write every finite value exactly, to a relative 1e-9 (ages in years: 0;
/// a lab value to one decimal: 1). Summaries are reported with one more.
pub fn decimals_of(values: &[f64], max: usize) -> usize {
    let needed = |x: f64| {
        (0..=max)
            .find(|&d| {
                let scaled = x * 10f64.powi(d as i32);
                (scaled - scaled.round()).abs() <= 1e-9 * scaled.abs().max(1.0)
            })
            .unwrap_or(max)
    };
    values
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| needed(x))
        .max()
        .unwrap_or(0)
}

/// A statistic's degrees of freedom: whole numbers without decimals ("df =
/// 2"), others (Welch) with two.
pub fn df(v: f64) -> String {
    if v.is_finite() && v == v.round() && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        fixed(Some(v), 2)
    }
}

/// How p-values are printed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PStyle {
    /// Decimals (3: "0.053").
    pub decimals: usize,
    /// Values below `10^-decimals` print as "<0.001".
    pub leading_zero: bool,
}

impl Default for PStyle {
    fn default() -> Self {
        PStyle {
            decimals: 3,
            leading_zero: true,
        }
    }
}

impl PStyle {
    /// Formats `p`: "<0.001" below the smallest printable value, [`MISSING`]
    /// when absent or not in [0, 1]; without the leading zero (".053") when
    /// `leading_zero` is false, as some journals require.
    pub fn format(&self, p: Option<f64>) -> String {
        let Some(p) = p.filter(|p| p.is_finite() && (0.0..=1.0).contains(p)) else {
            return MISSING.to_string();
        };
        let floor = 10f64.powi(-(self.decimals as i32));
        let s = if p < floor {
            format!("<{:.*}", self.decimals, floor)
        } else {
            format!("{:.*}", self.decimals, p)
        };
        if self.leading_zero {
            s
        } else {
            s.replace("0.", ".")
        }
    }
}

/// A p-value with the default style ("0.053", "<0.001").
pub fn p_value(p: Option<f64>) -> String {
    PStyle::default().format(p)
}

/// "= 0.019" or "< 0.001": the p-value with its relation, for text that
/// names the test first ("chi-square = 5.46 on 1 df, p = 0.019").
pub fn p_relation(p: Option<f64>) -> String {
    let t = p_value(p);
    match t.strip_prefix('<') {
        Some(rest) => format!("< {rest}"),
        None => format!("= {t}"),
    }
}

/// "p = 0.019" or "p < 0.001", for running text and figure labels.
pub fn p_equals(p: Option<f64>) -> String {
    format!("p {}", p_relation(p))
}

/// "n (x.x%)" of a count out of a total; the percentage is missing when the
/// total is 0.
pub fn n_percent(n: u64, total: u64, decimals: usize) -> String {
    if total == 0 {
        return format!("{n} ({MISSING})");
    }
    format!(
        "{} ({}%)",
        n,
        fixed(Some(100.0 * n as f64 / total as f64), decimals)
    )
}

/// A proportion in percent with its CI in percent: "34.0 (20.8–47.1)".
pub fn percent_ci(
    p: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    decimals: usize,
) -> String {
    let pct = |v: Option<f64>| v.map(|x| 100.0 * x);
    with_ci(pct(p), pct(lower), pct(upper), decimals, MISSING)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_equals_reads_in_running_text() {
        assert_eq!(p_equals(Some(0.0194)), "p = 0.019");
        assert_eq!(p_equals(Some(1e-5)), "p < 0.001");
        assert_eq!(p_relation(Some(0.0004)), "< 0.001");
        assert_eq!(p_relation(Some(0.25)), "= 0.250");
        assert_eq!(p_relation(None), "= \u{2014}");
    }

    #[test]
    fn fixed_decimals_round_like_printf() {
        assert_eq!(fixed(Some(61.75), 1), "61.8");
        assert_eq!(fixed(Some(0.125), 2), "0.12"); // exact binary tie: even
        assert_eq!(fixed(Some(2.675), 2), "2.67"); // 2.67499999… in binary
        assert_eq!(fixed(Some(-0.04), 1), "0.0");
        assert_eq!(fixed(None, 1), MISSING);
        assert_eq!(fixed(Some(f64::INFINITY), 1), MISSING);
    }

    #[test]
    fn intervals_use_an_en_dash_and_nr() {
        assert_eq!(
            with_ci(Some(29.0), Some(25.0), None, 1, NOT_REACHED),
            "29.0 (25.0\u{2013}NR)"
        );
        assert_eq!(
            percent_ci(Some(0.34), Some(0.2081), Some(0.4714), 1),
            "34.0 (20.8\u{2013}47.1)"
        );
    }

    #[test]
    fn p_values_in_journal_style() {
        assert_eq!(p_value(Some(0.0534)), "0.053");
        assert_eq!(p_value(Some(0.0009)), "<0.001");
        assert_eq!(p_value(Some(0.001)), "0.001");
        assert_eq!(p_value(Some(1.0)), "1.000");
        assert_eq!(p_value(None), MISSING);
        assert_eq!(p_value(Some(f64::NAN)), MISSING);
        assert_eq!(p_value(Some(1.5)), MISSING);
        let nejm = PStyle {
            decimals: 2,
            leading_zero: false,
        };
        assert_eq!(nejm.format(Some(0.245)), ".24");
        assert_eq!(nejm.format(Some(0.004)), "<.01");
    }

    #[test]
    fn intervals_degrees_of_freedom_and_recorded_precision() {
        assert_eq!(interval(Some(0.104), Some(2.4349), 2), "0.10\u{2013}2.43");
        assert_eq!(interval(Some(-6.24), Some(8.81), 1), "-6.2 to 8.8");
        assert_eq!(interval(Some(-0.01), Some(3.0), 1), "0.0\u{2013}3.0");
        assert_eq!(interval(None, Some(3.0), 1), "\u{2014}\u{2013}3.0");
        assert_eq!(df(2.0), "2");
        assert_eq!(df(22.9731), "22.97");
        assert_eq!(df(f64::NAN), MISSING);
        assert_eq!(decimals_of(&[61.0, 70.0, f64::NAN], 4), 0);
        assert_eq!(decimals_of(&[1.5, 2.25, 3.0], 4), 2);
        assert_eq!(decimals_of(&[0.1, 0.7], 4), 1);
        assert_eq!(decimals_of(&[1.0 / 3.0], 3), 3);
        assert_eq!(decimals_of(&[], 3), 0);
    }

    #[test]
    fn counts_with_percentages() {
        assert_eq!(n_percent(5, 19, 1), "5 (26.3%)");
        assert_eq!(n_percent(0, 0, 1), "0 (\u{2014})");
    }
}
