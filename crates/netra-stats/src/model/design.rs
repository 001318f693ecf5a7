//! Design matrices from a [`Formula`] and named in-memory columns, built the
//! way R's `model.matrix` builds them for `coxph` (which then drops the
//! intercept column).
//!
//! * A numeric column gives one column, named as the data column.
//! * A factor (`factor(x)`, or a text column used as it is) gives one
//!   indicator column per level except the reference level, named
//!   `x=LEVEL`. Levels are the distinct values in sorted order (numerically
//!   for numbers, as R's `sort()` for text — see [`super::collate`]); the reference
//!   is the first level unless [`DesignOptions::reference_levels`] names
//!   another (R's `relevel`).
//! * An interaction's columns are the products of its variables' columns,
//!   the first variable varying fastest, named by joining with `:`.
//! * R's marginality rule decides how a factor is coded inside an
//!   interaction: with contrasts (reference level dropped) when the term
//!   without that factor is also in the model (the empty term counts, as the
//!   intercept is implicit), otherwise with one indicator per level — so
//!   `age:factor(sex)` alone gives `age:sex=1` and `age:sex=2`, as R does.
//! * `strata()` terms give no columns; their columns' value combinations
//!   define the strata.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use super::formula::{Formula, Term, Variable};
use super::transform::TransformError;

/// The values of one data column.
#[derive(Debug, Clone, Copy)]
pub enum ColumnData<'a> {
    /// Numbers (must be finite where used).
    Numeric(&'a [f64]),
    /// Text; used as a factor.
    Text(&'a [&'a str]),
    /// Numbers by code: row `i` holds `values[codes[i]]` (a column of few
    /// distinct numbers, as a CSV reader codes it). A plain term's design
    /// column is gathered straight from the codes; factors, strata and
    /// computed terms read the numbers written out. The same design as
    /// [`ColumnData::Numeric`] of those numbers.
    Coded {
        /// The code of each row.
        codes: &'a [u32],
        /// The number of each code.
        values: &'a [f64],
    },
}

impl ColumnData<'_> {
    fn len(&self) -> usize {
        match self {
            ColumnData::Numeric(v) => v.len(),
            ColumnData::Text(v) => v.len(),
            ColumnData::Coded { codes, .. } => codes.len(),
        }
    }
}

/// The numbers of coded data row by row (`values[codes[i]]`).
fn written_out(codes: &[u32], values: &[f64]) -> Vec<f64> {
    codes.iter().map(|&k| values[k as usize]).collect()
}

/// Whether only plain terms use column `name` (then coded numbers need not
/// be written out: see [`ColumnData::Coded`]).
fn used_only_plain(formula: &Formula, name: &str) -> bool {
    formula
        .variables
        .iter()
        .filter(|v| !matches!(v, Variable::Plain(_)))
        .all(|v| !v.columns().contains(&name))
}

/// A named data column.
#[derive(Debug, Clone, Copy)]
pub struct NamedColumn<'a> {
    /// Column name as in the data (and the formula).
    pub name: &'a str,
    /// The values.
    pub data: ColumnData<'a>,
}

/// Options of [`Design::build`].
#[derive(Debug, Clone, Default)]
pub struct DesignOptions {
    /// `(column, level)`: use `level` as the reference level of the factor
    /// made from `column` (R's `relevel`). Levels are matched as text, or as
    /// numbers for a numeric column (`2` matches `2.0`).
    pub reference_levels: Vec<(String, String)>,
}

/// A term of the model and the design-matrix columns it owns.
#[derive(Debug, Clone, PartialEq)]
pub struct DesignTerm {
    /// R's term label (`age`, `factor(grade)`, `age:factor(sex)`).
    pub label: String,
    /// Columns of the design matrix belonging to this term.
    pub columns: Range<usize>,
}

/// Strata defined by `strata()` terms.
#[derive(Debug, Clone, PartialEq)]
pub struct Strata {
    /// Stratum of each row, `0..labels.len()`.
    pub codes: Vec<u32>,
    /// Label of each stratum (`site=A` or `site=A, sex=2`).
    pub labels: Vec<String>,
}

/// A design matrix with its column names and term structure.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Number of rows.
    pub n: usize,
    /// Column (coefficient) names.
    pub names: Vec<String>,
    /// Column-major values: column `j` is `x[j*n..(j+1)*n]`.
    pub x: Vec<f64>,
    /// Non-strata terms in order, each owning a range of columns.
    pub terms: Vec<DesignTerm>,
    /// Strata, when the formula has `strata()` terms.
    pub strata: Option<Strata>,
}

impl Design {
    /// Number of columns.
    pub fn p(&self) -> usize {
        self.names.len()
    }

    /// Column `j`.
    pub fn column(&self, j: usize) -> &[f64] {
        &self.x[j * self.n..(j + 1) * self.n]
    }

    /// Builds the design of `formula` on `columns` (all of equal length).
    pub fn build(
        formula: &Formula,
        columns: &[NamedColumn<'_>],
        options: &DesignOptions,
    ) -> Result<Design, DesignError> {
        let n = columns.first().map_or(0, |c| c.data.len());
        for c in columns {
            if c.data.len() != n {
                return Err(DesignError::LengthMismatch {
                    column: c.name.to_string(),
                    len: c.data.len(),
                    expected: n,
                });
            }
        }
        if n == 0 {
            return Err(DesignError::NoRows);
        }
        // Coded numbers that a factor, a stratum or a computed term reads,
        // written out once.
        let written: Vec<Option<Vec<f64>>> = columns
            .iter()
            .map(|c| match c.data {
                ColumnData::Coded { codes, values } if !used_only_plain(formula, c.name) => {
                    Some(written_out(codes, values))
                }
                _ => None,
            })
            .collect();
        let find = |name: &str| -> Result<ColumnData<'_>, DesignError> {
            columns
                .iter()
                .zip(&written)
                .find(|(c, _)| c.name == name)
                .map(|(c, w)| w.as_deref().map_or(c.data, ColumnData::Numeric))
                .ok_or_else(|| DesignError::UnknownColumn(name.to_string()))
        };
        for (col, _) in &options.reference_levels {
            let used_as_factor = formula.variables.iter().any(|v| match v {
                Variable::Plain(c) => c == col && matches!(find(c), Ok(ColumnData::Text(_))),
                other => other.factor_column() == Some(col.as_str()),
            });
            if !used_as_factor {
                return Err(DesignError::RefNotAFactor(col.clone()));
            }
        }

        // Code each variable once.
        let mut coded: Vec<Option<Coded>> = Vec::with_capacity(formula.variables.len());
        for var in &formula.variables {
            coded.push(match var {
                Variable::Strata(_) => None,
                Variable::Plain(name) => Some(match find(name)? {
                    ColumnData::Numeric(v) => {
                        check_finite(name, v)?;
                        Coded::Numeric {
                            name: name.clone(),
                            values: Cow::Borrowed(v),
                        }
                    }
                    ColumnData::Coded { codes, values } => {
                        check_finite_coded(name, codes, values)?;
                        Coded::ByCode {
                            name: name.clone(),
                            codes,
                            values,
                        }
                    }
                    data @ ColumnData::Text(_) => {
                        Coded::Factor(make_factor(name, data, &options.reference_levels)?)
                    }
                }),
                Variable::Factor(name) => Some(Coded::Factor(make_factor(
                    name,
                    find(name)?,
                    &options.reference_levels,
                )?)),
                Variable::Relevel {
                    column, reference, ..
                } => {
                    let mut refs = options.reference_levels.clone();
                    refs.retain(|(c, _)| c != column);
                    refs.push((column.clone(), reference.clone()));
                    Some(Coded::Factor(make_factor(column, find(column)?, &refs)?))
                }
                Variable::Transform(t) => {
                    for c in t.columns() {
                        find(c)?;
                    }
                    let numeric = |name: &str| match find(name) {
                        Ok(ColumnData::Numeric(v)) => Some(v),
                        _ => None,
                    };
                    let values = t.values(numeric, n).map_err(DesignError::Transform)?;
                    Some(Coded::Numeric {
                        name: t.label.clone(),
                        values: Cow::Owned(values),
                    })
                }
            });
        }

        let model_terms: Vec<&Term> = formula
            .terms
            .iter()
            .filter(|t| !formula.is_strata(t))
            .collect();
        // Per term, per variable: the list of (column name part, values
        // source); first for all terms, so that the matrix is allocated
        // once at its size (growing it column by column copied it and
        // touched fresh memory at every doubling).
        let mut term_parts: Vec<Vec<Vec<Part<'_>>>> = Vec::with_capacity(model_terms.len());
        for term in &model_terms {
            let mut parts: Vec<Vec<Part<'_>>> = Vec::new();
            for &v in &term.variables {
                let coded_var = coded[v].as_ref().expect("non-strata variable is coded");
                parts.push(match coded_var {
                    Coded::Numeric { name, values } => vec![Part {
                        name: name.clone(),
                        source: Source::Numeric(values.as_ref()),
                    }],
                    &Coded::ByCode {
                        ref name,
                        codes,
                        values,
                    } => vec![Part {
                        name: name.clone(),
                        source: Source::ByCode { codes, values },
                    }],
                    Coded::Factor(f) => {
                        let rest: Vec<usize> =
                            term.variables.iter().copied().filter(|&u| u != v).collect();
                        let contrasts =
                            rest.is_empty() || model_terms.iter().any(|t| t.variables == rest);
                        let from = usize::from(contrasts);
                        (from..f.levels.len())
                            .map(|l| Part {
                                name: format!("{}={}", f.name, f.levels[l]),
                                source: Source::Level {
                                    codes: &f.codes,
                                    level: l as u32,
                                },
                            })
                            .collect()
                    }
                });
            }
            term_parts.push(parts);
        }
        let columns: usize = term_parts
            .iter()
            .map(|parts| parts.iter().map(Vec::len).product::<usize>())
            .sum();
        let mut names = Vec::with_capacity(columns);
        let mut x: Vec<f64> = Vec::with_capacity(columns.saturating_mul(n));
        let mut terms = Vec::new();
        for (term, parts) in model_terms.iter().zip(&term_parts) {
            let first = names.len();
            // Cartesian product, first variable fastest.
            let total: usize = parts.iter().map(Vec::len).product();
            let mut idx = vec![0usize; parts.len()];
            for _ in 0..total {
                let name = idx
                    .iter()
                    .zip(parts)
                    .map(|(&i, p)| p[i].name.as_str())
                    .collect::<Vec<_>>()
                    .join(":");
                names.push(name);
                let start = x.len();
                let alone = match &parts[..] {
                    [only] => match only[idx[0]].source {
                        Source::Level { .. } => None,
                        numeric => Some(numeric),
                    },
                    _ => None,
                };
                match alone {
                    // A numeric column on its own: its values (`1.0 × v` is
                    // `v`), copied in one pass.
                    Some(Source::Numeric(values)) => x.extend_from_slice(values),
                    Some(Source::ByCode { codes, values }) => {
                        x.extend(codes.iter().map(|&k| values[k as usize]));
                    }
                    _ => {
                        x.resize(start + n, 1.0);
                        let col = &mut x[start..];
                        for (&i, p) in idx.iter().zip(parts) {
                            match p[i].source {
                                Source::Numeric(values) => {
                                    for (c, v) in col.iter_mut().zip(values) {
                                        *c *= v;
                                    }
                                }
                                Source::ByCode { codes, values } => {
                                    for (c, &k) in col.iter_mut().zip(codes) {
                                        *c *= values[k as usize];
                                    }
                                }
                                Source::Level { codes, level } => {
                                    for (c, &k) in col.iter_mut().zip(codes) {
                                        if k != level {
                                            *c = 0.0;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                for (d, p) in idx.iter_mut().zip(parts) {
                    *d += 1;
                    if *d < p.len() {
                        break;
                    }
                    *d = 0;
                }
            }
            terms.push(DesignTerm {
                label: formula.term_label(term),
                columns: first..names.len(),
            });
        }

        let strata_vars: Vec<&Vec<String>> = formula
            .variables
            .iter()
            .filter_map(|v| match v {
                Variable::Strata(cols) => Some(cols),
                _ => None,
            })
            .collect();
        let strata = if strata_vars.is_empty() {
            None
        } else {
            let mut factors = Vec::new();
            for cols in strata_vars {
                for c in cols {
                    factors.push(make_factor(c, find(c)?, &[])?);
                }
            }
            Some(combine_strata(&factors, n))
        };

        Ok(Design {
            n,
            names,
            x,
            terms,
            strata,
        })
    }
}

enum Coded<'a> {
    /// A numeric column, or a transform's computed values.
    Numeric {
        name: String,
        values: Cow<'a, [f64]>,
    },
    /// A plain numeric column by code ([`ColumnData::Coded`]).
    ByCode {
        name: String,
        codes: &'a [u32],
        values: &'a [f64],
    },
    Factor(Factor),
}

struct Part<'a> {
    name: String,
    source: Source<'a>,
}

#[derive(Clone, Copy)]
enum Source<'a> {
    Numeric(&'a [f64]),
    ByCode { codes: &'a [u32], values: &'a [f64] },
    Level { codes: &'a [u32], level: u32 },
}

/// A coded factor: level labels and each row's level.
#[derive(Debug, Clone)]
struct Factor {
    name: String,
    levels: Vec<String>,
    codes: Vec<u32>,
}

fn check_finite(name: &str, values: &[f64]) -> Result<(), DesignError> {
    if let Some(row) = values.iter().position(|v| !v.is_finite()) {
        return Err(DesignError::NotFinite {
            column: name.to_string(),
            row,
        });
    }
    Ok(())
}

/// [`check_finite`] of coded numbers: the first row whose number is not
/// finite (rows are looked at only when some number is not).
fn check_finite_coded(name: &str, codes: &[u32], values: &[f64]) -> Result<(), DesignError> {
    if values.iter().all(|v| v.is_finite()) {
        return Ok(());
    }
    if let Some(row) = codes.iter().position(|&k| !values[k as usize].is_finite()) {
        return Err(DesignError::NotFinite {
            column: name.to_string(),
            row,
        });
    }
    Ok(())
}

/// The text R's `as.character` gives a level that is a number, for the
/// values registries hold (integers print without a decimal point).
pub fn number_label(v: f64) -> String {
    if v == v.trunc() && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn make_factor(
    name: &str,
    data: ColumnData<'_>,
    refs: &[(String, String)],
) -> Result<Factor, DesignError> {
    let (mut levels, mut codes, numeric_levels): (Vec<String>, Vec<u32>, Option<Vec<f64>>) =
        match data {
            ColumnData::Coded { codes, values } => {
                let numbers = written_out(codes, values);
                return make_factor(name, ColumnData::Numeric(&numbers), refs);
            }
            ColumnData::Numeric(values) => {
                check_finite(name, values)?;
                let mut uniq = values.to_vec();
                uniq.sort_unstable_by(f64::total_cmp);
                uniq.dedup();
                let codes = values
                    .iter()
                    .map(|v| uniq.partition_point(|u| u < v) as u32)
                    .collect();
                let labels = uniq.iter().map(|&v| number_label(v)).collect();
                (labels, codes, Some(uniq))
            }
            ColumnData::Text(values) => {
                let mut first: HashMap<&str, u32> = HashMap::new();
                let mut raw: Vec<u32> = Vec::with_capacity(values.len());
                let mut seen: Vec<&str> = Vec::new();
                for &v in values {
                    let k = *first.entry(v).or_insert_with(|| {
                        seen.push(v);
                        (seen.len() - 1) as u32
                    });
                    raw.push(k);
                }
                let mut order: Vec<u32> = (0..seen.len() as u32).collect();
                order.sort_by(|&a, &b| {
                    super::levels::text_order(seen[a as usize], seen[b as usize])
                });
                let mut rank = vec![0u32; seen.len()];
                for (r, &o) in order.iter().enumerate() {
                    rank[o as usize] = r as u32;
                }
                let codes = raw.iter().map(|&k| rank[k as usize]).collect();
                let labels = order
                    .iter()
                    .map(|&o| seen[o as usize].to_string())
                    .collect();
                (labels, codes, None)
            }
        };
    if let Some((_, want)) = refs.iter().find(|(c, _)| c == name) {
        let pos = levels
            .iter()
            .position(|l| l == want)
            .or_else(|| {
                let w: f64 = want.trim().parse().ok()?;
                numeric_levels.as_ref()?.iter().position(|&v| v == w)
            })
            .ok_or_else(|| DesignError::UnknownLevel {
                column: name.to_string(),
                level: want.clone(),
                levels: levels.clone(),
            })?;
        if pos != 0 {
            let label = levels.remove(pos);
            levels.insert(0, label);
            let pos = pos as u32;
            for c in codes.iter_mut() {
                *c = match *c {
                    k if k == pos => 0,
                    k if k < pos => k + 1,
                    k => k,
                };
            }
        }
    }
    Ok(Factor {
        name: name.to_string(),
        levels,
        codes,
    })
}

fn combine_strata(factors: &[Factor], n: usize) -> Strata {
    // Mixed-radix key per row, then rank the keys that occur.
    let mut keys: Vec<u64> = vec![0; n];
    for f in factors {
        let radix = f.levels.len() as u64;
        for (k, &c) in keys.iter_mut().zip(&f.codes) {
            *k = *k * radix + u64::from(c);
        }
    }
    let mut uniq = keys.clone();
    uniq.sort_unstable();
    uniq.dedup();
    let codes = keys
        .iter()
        .map(|k| uniq.partition_point(|u| u < k) as u32)
        .collect();
    let labels = uniq
        .iter()
        .map(|&key| {
            let mut rest = key;
            let mut parts = Vec::with_capacity(factors.len());
            for f in factors.iter().rev() {
                let radix = f.levels.len() as u64;
                parts.push(format!("{}={}", f.name, f.levels[(rest % radix) as usize]));
                rest /= radix;
            }
            parts.reverse();
            parts.join(", ")
        })
        .collect();
    Strata { codes, labels }
}

/// Why a design matrix could not be built.
#[derive(Debug, Clone, PartialEq)]
pub enum DesignError {
    /// The formula names a column that is not in the data.
    UnknownColumn(String),
    /// Columns of different lengths.
    LengthMismatch {
        /// The offending column.
        column: String,
        /// Its length.
        len: usize,
        /// The length of the first column.
        expected: usize,
    },
    /// No rows.
    NoRows,
    /// A numeric value that is NaN or infinite.
    NotFinite {
        /// Column name.
        column: String,
        /// 0-based row.
        row: usize,
    },
    /// A reference level that the column does not have.
    UnknownLevel {
        /// Column name.
        column: String,
        /// The requested reference level.
        level: String,
        /// The levels that exist.
        levels: Vec<String>,
    },
    /// A reference level was given for a column not used as a factor.
    RefNotAFactor(String),
    /// A computed term (`I(age/10)`, `log(x)`) could not be computed.
    Transform(TransformError),
}

impl fmt::Display for DesignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DesignError::UnknownColumn(c) => write!(
                f,
                "the formula uses '{c}', which is not a column of the data"
            ),
            DesignError::LengthMismatch {
                column,
                len,
                expected,
            } => {
                write!(f, "column '{column}' has {len} values, expected {expected}")
            }
            DesignError::NoRows => write!(f, "no rows"),
            DesignError::NotFinite { column, row } => {
                write!(f, "column '{column}', row {}: not a finite number", row + 1)
            }
            DesignError::UnknownLevel {
                column,
                level,
                levels,
            } => write!(
                f,
                "reference level '{level}' does not occur in '{column}' (levels: {})",
                levels.join(", ")
            ),
            DesignError::RefNotAFactor(c) => write!(
                f,
                "a reference level is given for '{c}', which the formula does not use as a factor \
                 (write factor({c}))"
            ),
            DesignError::Transform(TransformError::NotNumeric { term, column }) => {
                write!(f, "{term} needs numbers, and column '{column}' holds text")
            }
            DesignError::Transform(TransformError::NotFinite { term, row }) => write!(
                f,
                "{term} is not a finite number at row {} (the log or square root of a \
                 number ≤ 0, or a division by 0?)",
                row + 1
            ),
        }
    }
}

impl std::error::Error for DesignError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    fn build(formula: &str, cols: &[NamedColumn<'_>], refs: &[(&str, &str)]) -> Design {
        let opts = DesignOptions {
            reference_levels: refs
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        };
        Design::build(&Formula::parse(formula).unwrap(), cols, &opts).unwrap()
    }

    #[test]
    fn factor_interaction_coding_follows_r() {
        let age = [50.0, 60.0, 70.0, 80.0];
        let sex = [1.0, 2.0, 2.0, 1.0];
        let grp = ["b", "a", "c", "a"];
        let cols = [
            NamedColumn {
                name: "age",
                data: ColumnData::Numeric(&age),
            },
            NamedColumn {
                name: "sex",
                data: ColumnData::Numeric(&sex),
            },
            NamedColumn {
                name: "grp",
                data: ColumnData::Text(&grp),
            },
        ];
        // R: colnames(model.matrix(~ age*factor(sex)))[-1]
        let d = build("age*factor(sex)", &cols, &[]);
        assert_eq!(d.names, vec!["age", "sex=2", "age:sex=2"]);
        assert_eq!(d.column(2), &[0.0, 60.0, 70.0, 0.0]);
        // Without the main effect, R codes every level of sex.
        let d = build("age:factor(sex)", &cols, &[]);
        assert_eq!(d.names, vec!["age:sex=1", "age:sex=2"]);
        // Text columns are factors; first variable varies fastest.
        let d = build("factor(sex) + factor(sex):grp", &cols, &[]);
        assert_eq!(
            d.names,
            vec![
                "sex=2",
                "sex=1:grp=b",
                "sex=2:grp=b",
                "sex=1:grp=c",
                "sex=2:grp=c"
            ]
        );
        assert_eq!(d.terms[1].label, "factor(sex):grp");
        assert_eq!(d.terms[1].columns, 1..5);
        // Reference level.
        let d = build("grp", &cols, &[("grp", "b")]);
        assert_eq!(d.names, vec!["grp=a", "grp=c"]);
        assert_eq!(d.column(0), &[0.0, 1.0, 0.0, 1.0]);
        let d = build("factor(sex)", &cols, &[("sex", "2.0")]);
        assert_eq!(d.names, vec!["sex=1"]);
    }

    /// Coded numbers give the design of the numbers written out, bit for
    /// bit, used plain, in interactions, as factors, strata and computed
    /// terms; a value that is not finite is refused at the same row.
    #[test]
    fn coded_numbers_are_the_numbers_written_out() {
        let mut rng = Lcg(11);
        let mut next = |k: u64| (rng.step() >> 33) % k;
        let values = [2.5, -1.0, 0.0, 7.25, -0.0];
        let n = 500;
        let codes: Vec<u32> = (0..n).map(|_| next(values.len() as u64) as u32).collect();
        let other: Vec<u32> = (0..n).map(|_| next(3) as u32).collect();
        let age: Vec<f64> = (0..n).map(|_| next(1000) as f64 / 7.0).collect();
        let written = written_out(&codes, &values);
        let other_values = [1.0, 2.0, 3.0];
        let other_written = written_out(&other, &other_values);
        let coded = [
            NamedColumn {
                name: "g",
                data: ColumnData::Coded {
                    codes: &codes,
                    values: &values,
                },
            },
            NamedColumn {
                name: "s",
                data: ColumnData::Coded {
                    codes: &other,
                    values: &other_values,
                },
            },
            NamedColumn {
                name: "age",
                data: ColumnData::Numeric(&age),
            },
        ];
        let plain = [
            NamedColumn {
                name: "g",
                data: ColumnData::Numeric(&written),
            },
            NamedColumn {
                name: "s",
                data: ColumnData::Numeric(&other_written),
            },
            coded[2],
        ];
        for formula in [
            "g + age",
            "g:age + s",
            "age * g + strata(s)",
            "factor(g) + s",
            "g + factor(g)",
            "I(g * 2) + log(s) + g",
            "relevel(s, ref = 2) + g:s",
        ] {
            let a = build(formula, &coded, &[]);
            let b = build(formula, &plain, &[]);
            let bits = |d: &Design| d.x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&a), bits(&b), "{formula}");
            assert_eq!(a.names, b.names, "{formula}");
            assert_eq!(a.terms, b.terms, "{formula}");
            assert_eq!(a.strata, b.strata, "{formula}");
        }
        let bad = [1.0, f64::NAN];
        let codes = [0u32, 0, 1, 0, 1];
        let cols = [NamedColumn {
            name: "v",
            data: ColumnData::Coded {
                codes: &codes,
                values: &bad,
            },
        }];
        for formula in ["v", "factor(v)"] {
            let f = Formula::parse(formula).unwrap();
            assert_eq!(
                Design::build(&f, &cols, &DesignOptions::default()).unwrap_err(),
                DesignError::NotFinite {
                    column: "v".into(),
                    row: 2
                },
                "{formula}"
            );
        }
    }

    #[test]
    fn strata_are_combined() {
        let a = ["x", "y", "x", "y"];
        let b = [1.0, 1.0, 2.0, 1.0];
        let v = [0.5, 1.5, 2.5, 3.5];
        let cols = [
            NamedColumn {
                name: "a",
                data: ColumnData::Text(&a),
            },
            NamedColumn {
                name: "b",
                data: ColumnData::Numeric(&b),
            },
            NamedColumn {
                name: "v",
                data: ColumnData::Numeric(&v),
            },
        ];
        let d = build("v + strata(a, b)", &cols, &[]);
        assert_eq!(d.names, vec!["v"]);
        let s = d.strata.unwrap();
        assert_eq!(s.codes, vec![0, 2, 1, 2]);
        assert_eq!(s.labels, vec!["a=x, b=1", "a=x, b=2", "a=y, b=1"]);
    }

    #[test]
    fn errors_are_specific() {
        let v = [1.0, f64::NAN];
        let cols = [NamedColumn {
            name: "v",
            data: ColumnData::Numeric(&v),
        }];
        let f = Formula::parse("v").unwrap();
        assert_eq!(
            Design::build(&f, &cols, &DesignOptions::default()).unwrap_err(),
            DesignError::NotFinite {
                column: "v".into(),
                row: 1
            }
        );
        let f = Formula::parse("w").unwrap();
        assert_eq!(
            Design::build(&f, &cols, &DesignOptions::default()).unwrap_err(),
            DesignError::UnknownColumn("w".into())
        );
        let ok = [1.0, 2.0];
        let cols = [NamedColumn {
            name: "v",
            data: ColumnData::Numeric(&ok),
        }];
        let f = Formula::parse("factor(v)").unwrap();
        let opts = DesignOptions {
            reference_levels: vec![("v".into(), "3".into())],
        };
        assert!(matches!(
            Design::build(&f, &cols, &opts).unwrap_err(),
            DesignError::UnknownLevel { .. }
        ));
        let f = Formula::parse("v").unwrap();
        let opts = DesignOptions {
            reference_levels: vec![("v".into(), "1".into())],
        };
        assert_eq!(
            Design::build(&f, &cols, &opts).unwrap_err(),
            DesignError::RefNotAFactor("v".into())
        );
    }
}
