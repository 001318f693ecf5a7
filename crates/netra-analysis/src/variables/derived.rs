//! A study's own variables, derived from the dictionary's: bands between
//! cut points, recoded or reordered categories, the first matching case,
//! a marker above a multiple of its upper limit of normal.

use std::collections::{BTreeMap, HashMap};

use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{Marker, Vocabulary};

use super::frame::{Column, Frame, Level, Variable};
use super::registry::earliest_marker;
use crate::AnalysisError;
use crate::condition::Expr;

/// How a derived variable is computed.
#[derive(Debug, Clone, PartialEq)]
pub enum Derivation {
    /// Bands of a number between cut points.
    Cuts {
        /// The numeric variable.
        from: String,
        /// Increasing cut points.
        cuts: Vec<f64>,
        /// `true`: bands `(a, b]`; `false` (default): `[a, b)`.
        right_closed: bool,
    },
    /// A categorical variable recoded (`map`) and/or reordered (`levels`).
    Recode {
        /// The categorical variable.
        from: String,
        /// Code or label → new label.
        map: BTreeMap<String, String>,
    },
    /// The first case whose condition holds gives the level.
    Cases(Vec<(String, Expr)>),
    /// Yes when a treatment starts in a window of time zero
    /// ([`super::treatment::Exposure`]).
    Exposure(super::treatment::Exposure),
    /// The earliest value of a marker above `factor` × its upper limit of
    /// normal.
    AboveUln {
        /// Marker code.
        marker: String,
        /// Multiple of the ULN.
        factor: f64,
    },
}

/// A derived variable (`[[variable]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedVariable {
    /// Name used in the study file.
    pub name: String,
    /// Printed name.
    pub label: String,
    /// How it is computed.
    pub derivation: Derivation,
    /// Level labels in order (`None`: from the derivation).
    pub levels: Option<Vec<String>>,
}

fn fmt_cut(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Default labels of the bands between cut points.
pub fn cut_labels(cuts: &[f64], right_closed: bool) -> Vec<String> {
    let k = cuts.len();
    let mut out = Vec::with_capacity(k + 1);
    for i in 0..=k {
        out.push(if i == 0 {
            format!(
                "{} {}",
                if right_closed { "\u{2264}" } else { "<" },
                fmt_cut(cuts[0])
            )
        } else if i == k {
            format!(
                "{} {}",
                if right_closed { ">" } else { "\u{2265}" },
                fmt_cut(cuts[k - 1])
            )
        } else {
            format!("{}\u{2013}{}", fmt_cut(cuts[i - 1]), fmt_cut(cuts[i]))
        });
    }
    out
}

/// Computes a derived variable from the frame (which holds every variable
/// it refers to) and the courses (markers).
pub fn derive(
    def: &DerivedVariable,
    frame: &Frame,
    courses: &[PatientCourse],
) -> Result<Variable, AnalysisError> {
    let bad = |m: String| AnalysisError::invalid(format!("variable '{}'", def.name), m);
    let n = frame.len();
    let column = match &def.derivation {
        Derivation::Cuts {
            from,
            cuts,
            right_closed,
        } => {
            let src = frame
                .get(from)
                .ok_or_else(|| bad(format!("unknown variable '{from}'")))?;
            let Column::Num(values) = &src.column else {
                return Err(bad(format!("'{from}' is not a number")));
            };
            let labels = def
                .levels
                .clone()
                .unwrap_or_else(|| cut_labels(cuts, *right_closed));
            let codes = values
                .iter()
                .map(|v| {
                    v.filter(|x| x.is_finite()).map(|x| {
                        cuts.iter()
                            .filter(|c| if *right_closed { x > **c } else { x >= **c })
                            .count()
                    })
                })
                .collect();
            Column::Cat {
                levels: labels.iter().map(|l| Level::same(l)).collect(),
                codes,
            }
        }
        Derivation::Cases(cases) => {
            let mut codes = vec![None; n];
            for (k, (_, c)) in cases.iter().enumerate() {
                let hit = frame.eval_expr(c).map_err(bad)?;
                for i in 0..n {
                    if codes[i].is_none() && hit[i] {
                        codes[i] = Some(k);
                    }
                }
            }
            let mut levels: Vec<Level> = Vec::new();
            let mut remap = Vec::new();
            for (label, _) in cases {
                match levels.iter().position(|l| &l.label == label) {
                    Some(i) => remap.push(i),
                    None => {
                        remap.push(levels.len());
                        levels.push(Level::same(label));
                    }
                }
            }
            Column::Cat {
                levels,
                codes: codes.iter().map(|c| c.map(|k| remap[k])).collect(),
            }
        }
        Derivation::Recode { from, map } => {
            let src = frame
                .get(from)
                .ok_or_else(|| bad(format!("unknown variable '{from}'")))?;
            let Column::Cat { levels, codes } = &src.column else {
                return Err(bad(format!("'{from}' is not categorical")));
            };
            for key in map.keys() {
                if !levels.iter().any(|l| l.matches(key))
                    && levels_of_base(from)
                        .is_none_or(|all| !all.iter().any(|l| l.eq_ignore_ascii_case(key)))
                {
                    return Err(bad(format!(
                        "map: '{key}' is not a level of '{from}' (levels: {})",
                        levels
                            .iter()
                            .map(|l| l.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            // New label of each old level, in the old order.
            let new_label: Vec<String> = levels
                .iter()
                .map(|l| {
                    map.iter()
                        .find(|(k, _)| l.matches(k))
                        .map_or_else(|| l.label.clone(), |(_, v)| v.clone())
                })
                .collect();
            let mut out_levels: Vec<Level> = match &def.levels {
                Some(order) => order.iter().map(|l| Level::same(l)).collect(),
                None => {
                    let mut v: Vec<Level> = Vec::new();
                    for l in &new_label {
                        if !v.iter().any(|x| &x.label == l) {
                            v.push(Level::same(l));
                        }
                    }
                    v
                }
            };
            // Without `map`, `levels` may name the old levels by code: keep
            // their labels.
            if map.is_empty() && def.levels.is_some() {
                for l in &mut out_levels {
                    if let Some(old) = levels.iter().find(|o| o.matches(&l.code)) {
                        *l = old.clone();
                    }
                }
            }
            let target: Vec<Option<usize>> = levels
                .iter()
                .zip(&new_label)
                .map(|(old, new)| {
                    out_levels
                        .iter()
                        .position(|l| l.matches(new) || (map.is_empty() && l.matches(&old.code)))
                })
                .collect();
            Column::Cat {
                levels: out_levels,
                codes: codes.iter().map(|c| c.and_then(|c| target[c])).collect(),
            }
        }
        Derivation::Exposure(e) => {
            let index: HashMap<&str, usize> = frame
                .patients
                .iter()
                .enumerate()
                .map(|(i, p)| (p.as_str(), i))
                .collect();
            let mut codes = vec![None; n];
            for c in courses {
                if let Some(&i) = index.get(c.patient.code.as_str()) {
                    codes[i] = super::treatment::exposed(c, e).map(usize::from);
                }
            }
            let labels = def
                .levels
                .clone()
                .unwrap_or_else(|| vec!["No".into(), "Yes".into()]);
            Column::Cat {
                levels: labels.iter().map(|l| Level::same(l)).collect(),
                codes,
            }
        }
        Derivation::AboveUln { marker, factor } => {
            let m = Marker::from_code(marker).map_err(|e| bad(e.to_string()))?;
            let labels = def.levels.clone().unwrap_or_else(|| {
                if *factor == 1.0 {
                    vec!["\u{2264} ULN".into(), "> ULN".into()]
                } else {
                    let f = fmt_cut(*factor);
                    vec![
                        format!("\u{2264} {f}\u{d7} ULN"),
                        format!("> {f}\u{d7} ULN"),
                    ]
                }
            });
            let index: HashMap<&str, usize> = frame
                .patients
                .iter()
                .enumerate()
                .map(|(i, p)| (p.as_str(), i))
                .collect();
            let mut codes = vec![None; n];
            for c in courses {
                if let Some(&i) = index.get(c.patient.code.as_str())
                    && let Some((v, Some(uln))) = earliest_marker(c, m)
                {
                    codes[i] = Some(usize::from(v > factor * uln));
                }
            }
            Column::Cat {
                levels: labels.iter().map(|l| Level::same(l)).collect(),
                codes,
            }
        }
    };
    Ok(Variable {
        name: def.name.clone(),
        label: def.label.clone(),
        column,
    })
}

/// Every code a registry vocabulary variable can take (so that `map` may
/// name a level that does not occur among these patients).
fn levels_of_base(name: &str) -> Option<Vec<String>> {
    let v: Vec<&str> = match name {
        "grade_group" => vec![
            "g1",
            "g2",
            "g3",
            "large_cell",
            "small_cell",
            "unclassified",
            "unavailable",
            "G1",
            "G2",
            "G3",
            "large-cell",
            "small-cell",
        ],
        "primary_group" => vec![
            "pancreas", "foregut", "midgut", "hindgut", "lung", "other", "unknown",
        ],
        _ => return None,
    };
    Some(v.into_iter().map(String::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_band_labels() {
        assert_eq!(cut_labels(&[60.0], false), ["< 60", "\u{2265} 60"]);
        assert_eq!(
            cut_labels(&[3.0, 20.0], true),
            ["\u{2264} 3", "3\u{2013}20", "> 20"]
        );
        assert_eq!(cut_labels(&[2.5], false), ["< 2.5", "\u{2265} 2.5"]);
    }
}
