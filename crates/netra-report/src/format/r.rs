//! R's print conventions, for text that reproduces a summary R prints
//! (`netra cox` lays its table out as `summary(coxph(...))` so that it can
//! be read side by side with R's): numbers as R's `format()` gives a
//! column, p-values as `format.pval`, significance stars as
//! `printCoefmat`, columns aligned as `print.matrix`.
//!
//! These are the rules for R-shaped summaries only; clinical tables and
//! figures use the journal style of [`super`] ([`super::p_value`]: "<0.001").

/// Decimals that give `v` at least `digits` significant digits.
pub fn decimals_for(v: f64, digits: usize) -> usize {
    if v == 0.0 || !v.is_finite() {
        return 0;
    }
    let e = v.abs().log10().floor() as i64;
    (digits as i64 - 1 - e).max(0) as usize
}

/// R-style scientific notation: `4.45e-05` (two-digit exponent, signed).
pub fn sci(v: f64, digits: usize) -> String {
    let s = format!("{:.*e}", digits.saturating_sub(1), v);
    match s.split_once('e') {
        Some((m, e)) => {
            let exp: i32 = e.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", exp.abs())
        }
        None => s,
    }
}

/// R's text for a value that is not a finite number: `NA` (absent), `NaN`,
/// `Inf`, `-Inf`; `None` for a finite number.
pub fn special(v: Option<f64>) -> Option<String> {
    match v {
        None => Some("NA".into()),
        Some(x) if x.is_nan() => Some("NaN".into()),
        Some(x) if x == f64::INFINITY => Some("Inf".into()),
        Some(x) if x == f64::NEG_INFINITY => Some("-Inf".into()),
        _ => None,
    }
}

/// A column formatted as R's `format()` does: common decimals so that
/// every value shows `digits` significant digits, scientific when values
/// are very large (≥ 1e6) or need more than 8 decimals.
pub fn column(values: &[Option<f64>], digits: usize) -> Vec<String> {
    let finite: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let big = finite.iter().any(|v| v.abs() >= 1e6);
    let dec = finite
        .iter()
        .map(|&v| decimals_for(v, digits))
        .max()
        .unwrap_or(0);
    let use_sci = big || dec > 8;
    values
        .iter()
        .map(|&v| {
            special(v).unwrap_or_else(|| {
                let x = v.unwrap_or_default();
                if use_sci {
                    sci(x, digits)
                } else {
                    format!("{x:.dec$}")
                }
            })
        })
        .collect()
}

/// A column of p-values as R's `format.pval`: fixed with common decimals,
/// scientific below 1e-4, `<2e-16` at the limit of double precision.
pub fn p_column(values: &[Option<f64>], digits: usize) -> Vec<String> {
    let fixed: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|p| p.is_finite() && *p >= 1e-4)
        .collect();
    let dec = fixed
        .iter()
        .map(|&p| decimals_for(p, digits))
        .max()
        .unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            special(v).unwrap_or_else(|| {
                let p = v.unwrap_or_default();
                if p < 2.2e-16 {
                    "<2e-16".into()
                } else if p < 1e-4 {
                    sci(p, digits)
                } else {
                    format!("{p:.dec$}")
                }
            })
        })
        .collect()
}

/// One p-value in a sentence, 2 significant digits (`p = 0.041`), as
/// `summary(coxph)` prints its tests; `NA` when absent or not finite.
pub fn p_text(p: Option<f64>) -> String {
    let Some(p) = p.filter(|p| p.is_finite()) else {
        return "NA".into();
    };
    if p < 2.2e-16 {
        return "<2e-16".into();
    }
    if p < 1e-4 {
        return sci(p, 2);
    }
    let dec = decimals_for(p, 2);
    format!("{p:.dec$}")
}

/// `printCoefmat`'s significance stars.
pub fn stars(p: Option<f64>) -> &'static str {
    match p {
        Some(p) if p < 0.001 => "***",
        Some(p) if p < 0.01 => "**",
        Some(p) if p < 0.05 => "*",
        Some(p) if p < 0.1 => ".",
        _ => "",
    }
}

/// The legend of [`stars`], as `printCoefmat` prints it.
pub const SIGNIF_LEGEND: &str = "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1";

/// A hazard ratio (or another ratio) as papers print it: 2 decimals
/// between 0.1 and 100, else 3 significant digits (scientific from 1e6);
/// R's words for values that are not finite numbers.
pub fn ratio(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && (0.1..100.0).contains(&x) => format!("{x:.2}"),
        Some(x) if x.is_finite() && x > 0.0 => {
            let d = decimals_for(x, 3);
            if x >= 1e6 {
                sci(x, 3)
            } else {
                format!("{x:.d$}")
            }
        }
        other => special(other).unwrap_or_else(|| "0".into()),
    }
}

/// A chi-square as `summary(coxph)` prints it: `format(round(x, 2))`.
pub fn round2(x: f64) -> String {
    let rounded = (x * 100.0).round() / 100.0;
    format!("{rounded}")
}

/// A confidence level in percent for a heading (`95`, `90`, `97.5`).
pub fn percent(level: f64) -> String {
    format!("{}", (level * 100.0 * 100.0).round() / 100.0)
}

/// Text columns as R's `print.matrix` aligns them: the first (row names)
/// left-aligned, the others right-aligned, two spaces apart, trailing
/// spaces trimmed; one line per row, the header first.
pub fn grid(header: &[&str], rows: &[Vec<String>]) -> String {
    let ncol = header.len();
    let mut width = vec![0usize; ncol];
    for (k, h) in header.iter().enumerate() {
        width[k] = h.chars().count();
    }
    for r in rows {
        for (k, c) in r.iter().enumerate().take(ncol) {
            width[k] = width[k].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut s = String::new();
        for (k, c) in cells.iter().enumerate().take(ncol) {
            let pad = width[k] - c.chars().count();
            if k == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_look_like_r() {
        assert_eq!(sci(4.45e-5, 3), "4.45e-05");
        assert_eq!(sci(1.5e12, 3), "1.50e+12");
        assert_eq!(
            column(&[Some(0.011067), Some(-0.552612), Some(0.463728)], 4),
            vec!["0.01107", "-0.55261", "0.46373"]
        );
        assert_eq!(column(&[Some(2e6), Some(1.0)], 3)[0], "2.00e+06");
        assert_eq!(
            p_column(&[Some(0.232416), Some(0.000986), Some(4.45e-5)], 3),
            vec!["0.232416", "0.000986", "4.45e-05"]
        );
        assert_eq!(p_column(&[Some(1e-300)], 3), vec!["<2e-16"]);
        assert_eq!(column(&[None, Some(f64::INFINITY)], 4), vec!["NA", "Inf"]);
        assert_eq!(ratio(Some(1.0191)), "1.02");
        assert_eq!(ratio(Some(0.0123)), "0.0123");
        assert_eq!(ratio(None), "NA");
        assert_eq!(p_text(Some(0.04123)), "0.041");
        assert_eq!(p_text(Some(f64::NAN)), "NA");
        assert_eq!(stars(Some(0.0005)), "***");
        assert_eq!(stars(Some(0.07)), ".");
        assert_eq!(round2(30.500668), "30.5");
        assert_eq!(percent(0.975), "97.5");
    }

    #[test]
    fn grid_aligns_like_print_matrix() {
        let rows = vec![
            vec!["age".to_string(), "0.011".to_string()],
            vec!["sex=2".to_string(), "-0.55".to_string()],
        ];
        assert_eq!(
            grid(&["", "coef"], &rows),
            "        coef\nage    0.011\nsex=2  -0.55\n"
        );
    }
}
