//! Adjusting p-values for multiple comparisons, exactly as R's
//! `stats::p.adjust`.
//!
//! With `n` the number of p-values that are not missing (NaN plays R's `NA`:
//! it is left out of `n` and stays NaN, as `p.adjust` does):
//!
//! * Bonferroni: `min(1, n p)`.
//! * Holm (step-down): sort ascending; the i-th smallest becomes
//!   `(n + 1 - i) p(i)`, made non-decreasing by a running maximum, capped at 1.
//! * Hochberg (step-up): sort descending; `(n + 1 - i) p(i)` made
//!   non-increasing by a running minimum, capped at 1.
//! * Benjamini–Hochberg: as Hochberg with factor `n / i`.
//! * Benjamini–Yekutieli: as Benjamini–Hochberg with factor `q n / i`,
//!   `q = sum_{j=1..n} 1/j`.
//!
//! The arithmetic is written in the order R evaluates it (`n/i * p`, not
//! `n * p / i`) so the results agree to the last bit or nearly so. With
//! `n <= 1` the p-values are returned unchanged, as R does. Ties keep their
//! input order (R's `order` is stable), which cannot change any result
//! because tied p-values receive equal adjusted values.

/// A multiple-comparison adjustment (R's `p.adjust` `method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjust {
    /// `"holm"`: Holm's step-down family-wise error control (R's default).
    Holm,
    /// `"bonferroni"`.
    Bonferroni,
    /// `"hochberg"`: Hochberg's step-up procedure.
    Hochberg,
    /// `"BH"` (alias `"fdr"`): Benjamini–Hochberg false discovery rate.
    BenjaminiHochberg,
    /// `"BY"`: Benjamini–Yekutieli false discovery rate under dependence.
    BenjaminiYekutieli,
}

impl Adjust {
    /// The name R's `p.adjust` uses for this method.
    pub fn r_name(self) -> &'static str {
        match self {
            Adjust::Holm => "holm",
            Adjust::Bonferroni => "bonferroni",
            Adjust::Hochberg => "hochberg",
            Adjust::BenjaminiHochberg => "BH",
            Adjust::BenjaminiYekutieli => "BY",
        }
    }

    /// Parses R's method name (`"fdr"` is accepted for Benjamini–Hochberg,
    /// case-insensitively).
    pub fn from_r_name(name: &str) -> Option<Adjust> {
        match name.to_ascii_lowercase().as_str() {
            "holm" => Some(Adjust::Holm),
            "bonferroni" => Some(Adjust::Bonferroni),
            "hochberg" => Some(Adjust::Hochberg),
            "bh" | "fdr" => Some(Adjust::BenjaminiHochberg),
            "by" => Some(Adjust::BenjaminiYekutieli),
            _ => None,
        }
    }
}

/// Adjusted p-values in the input order, as `p.adjust(p, method)`.
/// NaN entries are R's `NA`: they stay NaN and do not count towards `n`.
pub fn p_adjust(p: &[f64], method: Adjust) -> Vec<f64> {
    let mut out = p.to_vec();
    let present: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    let n = present.len();
    if n <= 1 {
        return out;
    }
    let nf = n as f64;
    match method {
        Adjust::Bonferroni => {
            for &i in &present {
                out[i] = (nf * p[i]).min(1.0);
            }
        }
        Adjust::Holm => {
            let mut order = present.clone();
            order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
            let mut running = f64::NEG_INFINITY;
            for (rank, &i) in order.iter().enumerate() {
                // R: (n + 1 - i) * p[o] with i = 1..n.
                let value = (n - rank) as f64 * p[i];
                running = running.max(value);
                out[i] = running.min(1.0);
            }
        }
        Adjust::Hochberg | Adjust::BenjaminiHochberg | Adjust::BenjaminiYekutieli => {
            let mut order = present.clone();
            // Descending and stable, as order(p, decreasing = TRUE).
            order.sort_by(|&a, &b| p[b].total_cmp(&p[a]));
            let q: f64 = (1..=n).map(|j| 1.0 / j as f64).sum();
            let mut running = f64::INFINITY;
            for (pos, &i) in order.iter().enumerate() {
                // R: i <- lp:1, so the pos-th largest has i = n - pos.
                let i_r = (n - pos) as f64;
                let value = match method {
                    Adjust::Hochberg => (nf + 1.0 - i_r) * p[i],
                    Adjust::BenjaminiHochberg => nf / i_r * p[i],
                    _ => q * nf / i_r * p[i],
                };
                running = running.min(value);
                out[i] = running.min(1.0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in [
            Adjust::Holm,
            Adjust::Bonferroni,
            Adjust::Hochberg,
            Adjust::BenjaminiHochberg,
            Adjust::BenjaminiYekutieli,
        ] {
            assert_eq!(Adjust::from_r_name(m.r_name()), Some(m));
        }
        assert_eq!(Adjust::from_r_name("fdr"), Some(Adjust::BenjaminiHochberg));
        assert_eq!(Adjust::from_r_name("sidak"), None);
    }

    #[test]
    fn holm_by_hand() {
        // Sorted 0.01, 0.02, 0.04: 3*0.01, 2*0.02, max(0.04, 1*0.04).
        let adj = p_adjust(&[0.04, 0.01, 0.02], Adjust::Holm);
        assert_eq!(adj, vec![0.04, 0.03, 0.04]);
    }

    #[test]
    fn single_and_empty_are_unchanged() {
        assert_eq!(p_adjust(&[0.3], Adjust::Bonferroni), vec![0.3]);
        assert!(p_adjust(&[], Adjust::Holm).is_empty());
    }
}
