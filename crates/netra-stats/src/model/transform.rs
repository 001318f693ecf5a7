//! Arithmetic on columns inside a formula, as R users write it:
//! `I(age/10)`, `I((age - 50)^2)`, `log(ki67)`, `sqrt(size)`.
//!
//! A [`Transform`] is an expression over numeric columns and constants. Its
//! label is what R's deparser prints for the term (`I(age/10)`,
//! `I(age - 50)`: spaces around `+`, `-` and `*`, none around `/` and `^`),
//! because the label names the coefficient and R prints it so. Values are
//! computed row by row in `f64`, as R computes them; a value that is not
//! finite (the log of 0, a division by 0) is an error naming the term and
//! the row, never a silent `NaN` in the model.

use std::fmt;

use super::formula::{FormulaError, Token};

/// The functions allowed around a column, alone or inside `I()`.
pub const FUNCTIONS: &[&str] = &["log", "log2", "log10", "sqrt", "exp", "abs"];

/// A column expression: a term of the model whose values are computed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Transform {
    /// The term's label, as R deparses it (`I(age/10)`, `log(age)`).
    pub label: String,
    expr: Expr,
}

/// An arithmetic expression. Numbers keep the text they were written as
/// (so the label reads as typed and the type is `Eq`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Expr {
    Column(String),
    Number(String),
    Negate(Box<Expr>),
    Binary(Op, Box<Expr>, Box<Expr>),
    Call(String, Box<Expr>),
    Paren(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
}

impl Op {
    /// R's deparser: spaces around `+ - *`, none around `/ ^`.
    fn text(self) -> &'static str {
        match self {
            Op::Add => " + ",
            Op::Sub => " - ",
            Op::Mul => " * ",
            Op::Div => "/",
            Op::Pow => "^",
        }
    }

    fn apply(self, a: f64, b: f64) -> f64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
            Op::Pow => a.powf(b),
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column(c) => write!(f, "{}", super::formula::quote_name(c)),
            Expr::Number(n) => write!(f, "{n}"),
            Expr::Negate(e) => write!(f, "-{e}"),
            Expr::Binary(op, a, b) => write!(f, "{a}{}{b}", op.text()),
            Expr::Call(name, e) => write!(f, "{name}({e})"),
            Expr::Paren(e) => write!(f, "({e})"),
        }
    }
}

impl Transform {
    /// The transform written as `function(tokens)`: `I(...)` or one of
    /// [`FUNCTIONS`]. `tokens` are the tokens between the parentheses.
    pub(super) fn parse(function: &str, tokens: &[Token]) -> Result<Transform, FormulaError> {
        let mut parser = ExprParser {
            tokens,
            pos: 0,
            function,
        };
        let inner = parser.sum()?;
        if let Some(t) = tokens.get(parser.pos) {
            return Err(parser.error(format!("unexpected '{t}'")));
        }
        if inner.columns().is_empty() {
            return Err(FormulaError::Unsupported(format!(
                "{function}() of constants only (a term must use a column)"
            )));
        }
        let expr = if function == "I" {
            inner
        } else {
            Expr::Call(function.to_string(), Box::new(inner))
        };
        let label = if function == "I" {
            format!("I({expr})")
        } else {
            expr.to_string()
        };
        Ok(Transform { label, expr })
    }

    /// The data columns the expression reads, in order, without repeats.
    pub fn columns(&self) -> Vec<&str> {
        self.expr.columns()
    }

    /// The values of the expression on each row, from the numeric columns
    /// `column(name)` gives. Errors name the term and the first row whose
    /// value is not finite.
    pub fn values<'a>(
        &self,
        column: impl Fn(&str) -> Option<&'a [f64]>,
        n: usize,
    ) -> Result<Vec<f64>, TransformError> {
        let mut out = Vec::with_capacity(n);
        for row in 0..n {
            let v = self.expr.eval(&column, row)?;
            if !v.is_finite() {
                return Err(TransformError::NotFinite {
                    term: self.label.clone(),
                    row,
                });
            }
            out.push(v);
        }
        Ok(out)
    }
}

/// Why a transform could not be computed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransformError {
    /// A column of the expression is not numeric (or not there).
    NotNumeric {
        /// The term.
        term: String,
        /// The column.
        column: String,
    },
    /// The expression is not finite on a row (log of 0, division by 0 …).
    NotFinite {
        /// The term.
        term: String,
        /// The row (0-based) of the first such value.
        row: usize,
    },
}

impl Expr {
    fn columns(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_columns(&mut out);
        out
    }

    fn collect_columns<'s>(&'s self, out: &mut Vec<&'s str>) {
        match self {
            Expr::Column(c) => {
                if !out.contains(&c.as_str()) {
                    out.push(c);
                }
            }
            Expr::Number(_) => {}
            Expr::Negate(e) | Expr::Call(_, e) | Expr::Paren(e) => e.collect_columns(out),
            Expr::Binary(_, a, b) => {
                a.collect_columns(out);
                b.collect_columns(out);
            }
        }
    }

    fn eval<'a>(
        &self,
        column: &impl Fn(&str) -> Option<&'a [f64]>,
        row: usize,
    ) -> Result<f64, TransformError> {
        Ok(match self {
            Expr::Column(c) => match column(c).and_then(|v| v.get(row)) {
                Some(&v) => v,
                None => {
                    return Err(TransformError::NotNumeric {
                        term: self.to_string(),
                        column: c.clone(),
                    });
                }
            },
            Expr::Number(text) => text.parse().unwrap_or(f64::NAN),
            Expr::Negate(e) => -e.eval(column, row)?,
            Expr::Paren(e) => e.eval(column, row)?,
            Expr::Binary(op, a, b) => op.apply(a.eval(column, row)?, b.eval(column, row)?),
            Expr::Call(name, e) => {
                let x = e.eval(column, row)?;
                match name.as_str() {
                    "log" => x.ln(),
                    "log2" => x.log2(),
                    "log10" => x.log10(),
                    "sqrt" => x.sqrt(),
                    "exp" => x.exp(),
                    _ => x.abs(),
                }
            }
        })
    }
}

/// Precedence climbing over R's arithmetic: `+ -` < `* /` < unary minus <
/// `^` (right-associative, so `-a^2` is `-(a^2)` and `a^-1` is allowed).
struct ExprParser<'t> {
    tokens: &'t [Token],
    pos: usize,
    function: &'t str,
}

impl ExprParser<'_> {
    fn error(&self, what: String) -> FormulaError {
        FormulaError::Syntax(format!("inside {}(): {what}", self.function))
    }

    fn op(&self) -> Option<Op> {
        match self.tokens.get(self.pos)? {
            Token::Plus => Some(Op::Add),
            Token::Star => Some(Op::Mul),
            Token::Other(s) if s == "-" => Some(Op::Sub),
            Token::Other(s) if s == "/" => Some(Op::Div),
            Token::Other(s) if s == "^" => Some(Op::Pow),
            _ => None,
        }
    }

    fn sum(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.product()?;
        while let Some(op @ (Op::Add | Op::Sub)) = self.op() {
            self.pos += 1;
            let right = self.product()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn product(&mut self) -> Result<Expr, FormulaError> {
        let mut left = self.unary()?;
        while let Some(op @ (Op::Mul | Op::Div)) = self.op() {
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, FormulaError> {
        if self.op() == Some(Op::Sub) {
            self.pos += 1;
            return Ok(Expr::Negate(Box::new(self.unary()?)));
        }
        let base = self.primary()?;
        if self.op() == Some(Op::Pow) {
            self.pos += 1;
            let exponent = self.unary()?;
            return Ok(Expr::Binary(Op::Pow, Box::new(base), Box::new(exponent)));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Expr, FormulaError> {
        let token = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        match token {
            Some(Token::LParen) => {
                let inner = self.sum()?;
                self.close()?;
                Ok(Expr::Paren(Box::new(inner)))
            }
            Some(Token::Name(name)) if self.tokens.get(self.pos) == Some(&Token::LParen) => {
                if !FUNCTIONS.contains(&name.as_str()) {
                    return Err(FormulaError::Unsupported(format!(
                        "the function {name}() inside {}() (supported there: {})",
                        self.function,
                        FUNCTIONS.join(", ")
                    )));
                }
                self.pos += 1;
                let inner = self.sum()?;
                self.close()?;
                Ok(Expr::Call(name, Box::new(inner)))
            }
            Some(Token::Name(name)) if is_number(&name) => {
                if name.parse::<f64>().is_err() {
                    return Err(self.error(format!("'{name}' is not a number")));
                }
                Ok(Expr::Number(name))
            }
            Some(Token::Name(name)) => Ok(Expr::Column(name)),
            Some(t) => Err(self.error(format!("unexpected '{t}'"))),
            None => Err(self.error("the expression ends too early".into())),
        }
    }

    fn close(&mut self) -> Result<(), FormulaError> {
        match self.tokens.get(self.pos) {
            Some(Token::RParen) => {
                self.pos += 1;
                Ok(())
            }
            Some(t) => Err(self.error(format!("expected ')', found '{t}'"))),
            None => Err(self.error("a parenthesis is not closed".into())),
        }
    }
}

fn is_number(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_digit() => true,
        Some('.') => chars.next().is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}
