//! R's factor-level order, the one implementation every netra surface uses
//! (CLI groups and strata, web groupings, study-file variables, design
//! matrices), so that a group is "first" — the reference of a hazard ratio
//! or a difference, the score 1 of a trend — in the same place everywhere.
//!
//! The rule is R's `factor()` on a column read by `read.csv`:
//! * every distinct value a finite number: numeric order ("2" before "10";
//!   "1" and "1.0" are one level, named by the first text seen; -0 and 0 are
//!   one level);
//! * otherwise text order as R's `sort()` in a UTF-8 locale (ICU root
//!   collation, [`super::collate`]): symbols, digits, then letters
//!   case-insensitively with accents in place ("Élevé" before "faible"),
//!   lower case first; texts that collate equal keep byte order so the
//!   order is total.

use std::cmp::Ordering;

use super::collate;

/// Distinct texts put in R's level order.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelOrder {
    /// For each input text (by position), its 0-based level.
    pub level_of: Vec<usize>,
    /// Level labels in order.
    pub levels: Vec<String>,
    /// The numeric value of each level when every text is a number.
    pub values: Option<Vec<f64>>,
}

/// Orders distinct texts into levels (see the module doc). `texts` should
/// hold each text once; numeric duplicates ("1", "1.0") become one level.
pub fn order_levels(texts: &[&str]) -> LevelOrder {
    order_levels_as(texts, true)
}

/// As [`order_levels`], with the column's type decided by the caller: R
/// types a column on all its cells (rows later dropped included), so a text
/// cell anywhere makes the levels text even when the analysed values are
/// all numbers. `numeric = false` forces text order.
pub fn order_levels_as(texts: &[&str], numeric_column: bool) -> LevelOrder {
    let numbers: Option<Vec<f64>> = numeric_column
        .then(|| texts.iter().map(|t| numeric(t)).collect())
        .flatten();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    let mut level_of = vec![0; texts.len()];
    match numbers {
        Some(numbers) => {
            // Stable: among equal values the first-seen text names the level.
            order.sort_by(|&a, &b| numbers[a].total_cmp(&numbers[b]));
            let mut levels: Vec<String> = Vec::new();
            let mut values: Vec<f64> = Vec::new();
            for &i in &order {
                if values.last() != Some(&numbers[i]) {
                    levels.push(texts[i].to_string());
                    values.push(numbers[i]);
                }
                level_of[i] = levels.len() - 1;
            }
            LevelOrder {
                level_of,
                levels,
                values: Some(values),
            }
        }
        None => {
            order.sort_by(|&a, &b| text_order(texts[a], texts[b]));
            for (level, &i) in order.iter().enumerate() {
                level_of[i] = level;
            }
            LevelOrder {
                level_of,
                levels: order.iter().map(|&i| texts[i].to_string()).collect(),
                values: None,
            }
        }
    }
}

/// Sorts distinct labels in place into R's level order.
pub fn sort_levels(labels: &mut Vec<String>) {
    let texts: Vec<&str> = labels.iter().map(String::as_str).collect();
    let order = order_levels(&texts);
    *labels = order.levels;
}

/// The value of a text that R's `type.convert` would read as a finite
/// number.
fn numeric(t: &str) -> Option<f64> {
    t.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| v + 0.0) // -0 and 0 are one level
}

/// R's text order, made total by byte order among collation ties.
pub fn text_order(a: &str, b: &str) -> Ordering {
    collate(a, b).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(v: &[&str]) -> Vec<String> {
        order_levels(v).levels
    }

    #[test]
    fn numbers_sort_numerically_and_merge_equal_values() {
        assert_eq!(sorted(&["10", "9", "2"]), ["2", "9", "10"]);
        let o = order_levels(&["1.0", "2", "1", "-0", "0"]);
        assert_eq!(o.levels, ["-0", "1.0", "2"]);
        assert_eq!(o.level_of, [1, 2, 1, 0, 0]);
        assert_eq!(o.values, Some(vec![0.0, 1.0, 2.0]));
    }

    #[test]
    fn text_sorts_as_r_in_a_utf8_locale() {
        assert_eq!(
            sorted(&["b", "B", "a", "<60", "70+"]),
            ["<60", "70+", "a", "b", "B"]
        );
        // One text makes the whole column text.
        assert_eq!(sorted(&["10", "9", "x"]), ["10", "9", "x"]);
        let mut v: Vec<String> = vec!["G2".into(), "g1".into(), "G1".into()];
        sort_levels(&mut v);
        assert_eq!(v, ["g1", "G1", "G2"]);
    }
}
