//! Columns of values per patient, the frame that holds a cohort's
//! variables, and conditions evaluated on them.

use std::collections::HashMap;

use crate::condition::{Condition, Expr, Literal, Op, Truth, and3, not3, or3};

/// A level of a categorical variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// Code (conditions and `map` match it, or the label).
    pub code: String,
    /// Printed label.
    pub label: String,
}

impl Level {
    /// A level whose code is its label.
    pub fn same(text: &str) -> Level {
        Level {
            code: text.to_string(),
            label: text.to_string(),
        }
    }
    /// True when `text` names this level (code or label, ignoring case).
    pub fn matches(&self, text: &str) -> bool {
        self.code.eq_ignore_ascii_case(text) || self.label.eq_ignore_ascii_case(text)
    }
}

/// The values of one variable for every patient.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers.
    Num(Vec<Option<f64>>),
    /// Categories: `codes[i]` indexes `levels`.
    Cat {
        /// Levels in order.
        levels: Vec<Level>,
        /// Per patient.
        codes: Vec<Option<usize>>,
    },
}

impl Column {
    /// Number of patients.
    pub fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Cat { codes, .. } => codes.len(),
        }
    }

    /// True when there are no patients.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the rows of `keep`, in that order.
    pub fn select(&self, keep: &[usize]) -> Column {
        match self {
            Column::Num(v) => Column::Num(keep.iter().map(|&i| v[i]).collect()),
            Column::Cat { levels, codes } => Column::Cat {
                levels: levels.clone(),
                codes: keep.iter().map(|&i| codes[i]).collect(),
            },
        }
    }

    /// Drops levels that no patient has (registry variables), renumbering.
    pub(crate) fn drop_empty_levels(self) -> Column {
        match self {
            Column::Cat { levels, codes } => {
                let mut used = vec![false; levels.len()];
                for c in codes.iter().flatten() {
                    used[*c] = true;
                }
                let mut new_index = vec![usize::MAX; levels.len()];
                let mut kept = Vec::new();
                for (i, l) in levels.into_iter().enumerate() {
                    if used[i] {
                        new_index[i] = kept.len();
                        kept.push(l);
                    }
                }
                Column::Cat {
                    levels: kept,
                    codes: codes.iter().map(|c| c.map(|c| new_index[c])).collect(),
                }
            }
            n => n,
        }
    }
}

/// A named variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Name in the study file.
    pub name: String,
    /// Printed name.
    pub label: String,
    /// Values.
    pub column: Column,
}

/// Every variable of the patients analysed, in patient order.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Patient codes.
    pub patients: Vec<String>,
    vars: Vec<Variable>,
    index: HashMap<String, usize>,
}

impl Frame {
    /// A frame of these patients without variables.
    pub fn new(patients: Vec<String>) -> Frame {
        Frame {
            patients,
            vars: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Adds (or replaces) a variable.
    pub fn insert(&mut self, v: Variable) {
        match self.index.get(&v.name) {
            Some(&i) => self.vars[i] = v,
            None => {
                self.index.insert(v.name.clone(), self.vars.len());
                self.vars.push(v);
            }
        }
    }

    /// Every variable, in the order added (registry variables in the
    /// dictionary's order, then a study's derived variables).
    pub fn variables(&self) -> &[Variable] {
        &self.vars
    }

    /// The variable named `name`.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.index.get(name).map(|&i| &self.vars[i])
    }

    /// Number of patients.
    pub fn len(&self) -> usize {
        self.patients.len()
    }

    /// True without patients.
    pub fn is_empty(&self) -> bool {
        self.patients.is_empty()
    }

    /// Keeps the patients of `keep`, in that order.
    pub fn select(&self, keep: &[usize]) -> Frame {
        Frame {
            patients: keep.iter().map(|&i| self.patients[i].clone()).collect(),
            vars: self
                .vars
                .iter()
                .map(|v| Variable {
                    name: v.name.clone(),
                    label: v.label.clone(),
                    column: v.column.select(keep),
                })
                .collect(),
            index: self.index.clone(),
        }
    }

    /// Evaluates a comparison for every patient.
    pub fn eval(&self, c: &Condition) -> Result<Vec<bool>, String> {
        Ok(self
            .truth(c)?
            .into_iter()
            .map(|t| t == Some(true))
            .collect())
    }

    /// Evaluates a condition with `and`/`or`/`not` for every patient: true
    /// only where it is known to hold (a comparison of a missing value is
    /// unknown, combined as R combines `NA`).
    pub fn eval_expr(&self, e: &Expr) -> Result<Vec<bool>, String> {
        Ok(self
            .truth_expr(e)?
            .into_iter()
            .map(|t| t == Some(true))
            .collect())
    }

    fn truth(&self, c: &Condition) -> Result<Vec<Truth>, String> {
        let v = self
            .get(&c.variable)
            .ok_or_else(|| format!("unknown variable '{}'", c.variable))?;
        truth(&v.column, c)
    }

    fn truth_expr(&self, e: &Expr) -> Result<Vec<Truth>, String> {
        let fold = |v: &[Expr], f: fn(Truth, Truth) -> Truth| -> Result<Vec<Truth>, String> {
            let mut acc = self.truth_expr(&v[0])?;
            for e in &v[1..] {
                for (a, b) in acc.iter_mut().zip(self.truth_expr(e)?) {
                    *a = f(*a, b);
                }
            }
            Ok(acc)
        };
        match e {
            Expr::Cond(c) => self.truth(c),
            Expr::Not(e) => Ok(self.truth_expr(e)?.into_iter().map(not3).collect()),
            Expr::All(v) => fold(v, and3),
            Expr::Any(v) => fold(v, or3),
        }
    }
}

/// Evaluates `c` on a column (missing compares false).
pub fn eval(column: &Column, c: &Condition) -> Result<Vec<bool>, String> {
    Ok(truth(column, c)?
        .into_iter()
        .map(|t| t == Some(true))
        .collect())
}

/// Evaluates `c` on a column: `None` where a missing value is compared.
fn truth(column: &Column, c: &Condition) -> Result<Vec<Truth>, String> {
    match column {
        Column::Num(v) => {
            let nums: Vec<f64> = c
                .values
                .iter()
                .map(|l| {
                    l.number.ok_or_else(|| {
                        format!(
                            "'{}' is a number, but '{}' is not (in `{}`)",
                            c.variable, l.text, c.text
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            if nums.is_empty() && !matches!(c.op, Op::IsMissing | Op::IsNotMissing) {
                return Err(format!("`{}` has no value to compare", c.text));
            }
            Ok(v.iter()
                .map(|x| match (c.op, x) {
                    (Op::IsMissing, x) => Some(x.is_none()),
                    (Op::IsNotMissing, x) => Some(x.is_some()),
                    (_, None) => None,
                    (op, Some(x)) => Some(num_holds(op, *x, &nums)),
                })
                .collect())
        }
        Column::Cat { levels, codes } => {
            if c.op.is_ordering() {
                return Err(format!(
                    "'{}' is categorical: compare it with ==, !=, in or not in (in `{}`)",
                    c.variable, c.text
                ));
            }
            // A value that names no level is allowed (the level may simply
            // not occur among these patients): it matches no one.
            let wanted = |l: &Literal| levels.iter().position(|lv| lv.matches(&l.text));
            let set: Vec<Option<usize>> = c.values.iter().map(wanted).collect();
            Ok(codes
                .iter()
                .map(|x| match (c.op, x) {
                    (Op::IsMissing, x) => Some(x.is_none()),
                    (Op::IsNotMissing, x) => Some(x.is_some()),
                    (_, None) => None,
                    (Op::Eq | Op::In, Some(x)) => Some(set.contains(&Some(*x))),
                    (Op::Ne | Op::NotIn, Some(x)) => Some(!set.contains(&Some(*x))),
                    _ => Some(false),
                })
                .collect())
        }
    }
}

/// A numeric comparison of a known value.
fn num_holds(op: Op, x: f64, nums: &[f64]) -> bool {
    match op {
        Op::Eq => x == nums[0],
        Op::Ne => x != nums[0],
        Op::Lt => x < nums[0],
        Op::Le => x <= nums[0],
        Op::Gt => x > nums[0],
        Op::Ge => x >= nums[0],
        Op::In => nums.contains(&x),
        Op::NotIn => !nums.contains(&x),
        Op::IsMissing | Op::IsNotMissing => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::condition::parse;

    #[test]
    fn conditions_treat_missing_as_false() {
        let col = Column::Num(vec![Some(59.0), Some(60.0), None]);
        assert_eq!(
            eval(&col, &parse("age < 60").unwrap()).unwrap(),
            [true, false, false]
        );
        assert_eq!(
            eval(&col, &parse("age >= 60").unwrap()).unwrap(),
            [false, true, false]
        );
        assert_eq!(
            eval(&col, &parse("age is missing").unwrap()).unwrap(),
            [false, false, true]
        );
        assert_eq!(
            eval(&col, &parse("age in [59, 61]").unwrap()).unwrap(),
            [true, false, false]
        );
        assert!(eval(&col, &parse("age == old").unwrap()).is_err());
        let cat = Column::Cat {
            levels: vec![
                Level::same("A"),
                Level {
                    code: "b".into(),
                    label: "Bee".into(),
                },
            ],
            codes: vec![Some(0), Some(1), None],
        };
        assert_eq!(
            eval(&cat, &parse("arm == a").unwrap()).unwrap(),
            [true, false, false]
        );
        assert_eq!(
            eval(&cat, &parse("arm == Bee").unwrap()).unwrap(),
            [false, true, false]
        );
        assert_eq!(
            eval(&cat, &parse("arm != A").unwrap()).unwrap(),
            [false, true, false]
        );
        assert_eq!(
            eval(&cat, &parse("arm not in [Z]").unwrap()).unwrap(),
            [true, true, false]
        );
        assert!(eval(&cat, &parse("arm < 3").unwrap()).is_err());
    }

    #[test]
    fn combined_conditions_leave_out_unknowns_as_r_does() {
        use crate::condition::parse_expr;
        let mut f = Frame::new(vec!["a".into(), "b".into(), "c".into(), "d".into()]);
        f.insert(Variable {
            name: "age".into(),
            label: "Age".into(),
            column: Column::Num(vec![Some(50.0), Some(70.0), None, None]),
        });
        f.insert(Variable {
            name: "arm".into(),
            label: "Arm".into(),
            column: Column::Cat {
                levels: vec![Level::same("A"), Level::same("B")],
                codes: vec![Some(0), Some(0), Some(1), None],
            },
        });
        let ev = |t: &str| f.eval_expr(&parse_expr(t).unwrap()).unwrap();
        // R: subset(d, !(age < 60)) keeps only b; NA rows are dropped
        assert_eq!(ev("not (age < 60)"), [false, true, false, false]);
        // R: NA | TRUE is TRUE (c), NA | NA is NA (d)
        assert_eq!(ev("age < 60 or arm == B"), [true, false, true, false]);
        // R: NA & FALSE is FALSE, so `not` of it keeps c
        assert_eq!(
            ev("not (age < 60 and arm == A)"),
            [false, true, true, false]
        );
        assert_eq!(
            ev("age is missing and arm is not missing"),
            [false, false, true, false]
        );
        assert_eq!(
            ev("(age > 60 or arm == B) and not arm == B"),
            [false, true, false, false]
        );
        assert!(
            f.eval_expr(&parse_expr("nope == 1 or age > 1").unwrap())
                .is_err()
        );
    }
}
