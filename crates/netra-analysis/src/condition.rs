//! Conditions of cohort filters and derived levels: `VARIABLE OP VALUE`.
//!
//! ```text
//! age >= 18                  numbers: == != < <= > >= (also ≤ ≥)
//! arm == A                   categories: == != against the level's code or label
//! primary_group in [pancreas, foregut]
//! grade not in [unclassified, unavailable]
//! ki67 is missing            / is not missing
//! ```
//!
//! Comparisons combine with `and`, `or`, `not` and parentheses
//! (`not` binds tightest, then `and`, then `or`, as in R, SQL and Python):
//!
//! ```text
//! modality == both and (grade_group == g1 or ki67 < 3)
//! not (surgery_type == metastasectomy) and received.local == yes
//! ```
//!
//! Values are bare words (`A`, `18`, `g1`) or quoted (`"≥ 60 years"`);
//! a list is `[v, v, …]`. Comparing a missing value is false (so
//! `age < 60` and `age >= 60` both leave out a patient of unknown age), as
//! SQL and R's `subset()` do; `is missing` asks for it explicitly. Combined
//! conditions follow the same three-valued logic: `not (age < 60)` is not
//! true for a patient of unknown age, `unknown or true` is true and
//! `unknown and false` is false (R's `!`, `|`, `&` on `NA`).

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==` (or `=`).
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=` or `≤`.
    Le,
    /// `>`.
    Gt,
    /// `>=` or `≥`.
    Ge,
    /// `in [..]`.
    In,
    /// `not in [..]`.
    NotIn,
    /// `is missing`.
    IsMissing,
    /// `is not missing`.
    IsNotMissing,
}

impl Op {
    /// True for the operators that need a number.
    pub fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// A value written in a condition: its text and, when it reads as one, the
/// number.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// As written (quotes removed).
    pub text: String,
    /// The number, when the text is one.
    pub number: Option<f64>,
}

impl Literal {
    fn new(text: String) -> Literal {
        let number = text.parse::<f64>().ok().filter(|x| x.is_finite());
        Literal { text, number }
    }
}

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The variable compared.
    pub variable: String,
    /// Byte offset of the variable name in the condition text.
    pub variable_offset: usize,
    /// The operator.
    pub op: Op,
    /// The value(s): one, a list for `in`, none for `is missing`.
    pub values: Vec<Literal>,
    /// The condition as written (for messages and footnotes).
    pub text: String,
}

/// A syntax error: byte offset in the condition and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondError {
    /// Byte offset in the condition text.
    pub offset: usize,
    /// Why.
    pub message: String,
}

struct Lexer<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Lexer<'a> {
    fn skip_ws(&mut self) {
        while let Some(c) = self.s[self.i..].chars().next() {
            if c.is_whitespace() {
                self.i += c.len_utf8();
            } else {
                break;
            }
        }
    }
    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }
    fn err(&self, message: impl Into<String>) -> CondError {
        CondError {
            offset: self.i,
            message: message.into(),
        }
    }
    fn eat(&mut self, prefix: &str) -> bool {
        if self.s[self.i..].starts_with(prefix) {
            self.i += prefix.len();
            true
        } else {
            false
        }
    }
    /// A word of letters, digits, `_` and `.`.
    fn word(&mut self) -> &'a str {
        let start = self.i;
        while let Some(c) = self.peek() {
            if c.is_alphanumeric() || c == '_' || c == '.' {
                self.i += c.len_utf8();
            } else {
                break;
            }
        }
        &self.s[start..self.i]
    }
    /// A keyword followed by a non-word character.
    fn keyword(&mut self, k: &str) -> bool {
        let rest = &self.s[self.i..];
        if rest.starts_with(k)
            && rest[k.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
        {
            self.i += k.len();
            true
        } else {
            false
        }
    }
    fn value(&mut self) -> Result<Literal, CondError> {
        self.skip_ws();
        match self.peek() {
            None => Err(self.err("a value is missing")),
            Some(q @ ('"' | '\'')) => {
                let start = self.i;
                self.i += 1;
                let body = self.i;
                match self.s[body..].find(q) {
                    Some(end) => {
                        self.i = body + end + 1;
                        Ok(Literal::new(self.s[body..body + end].to_string()))
                    }
                    None => {
                        self.i = start;
                        Err(self.err("unterminated quoted value"))
                    }
                }
            }
            Some('[' | ']' | ',' | '(' | ')') => Err(self.err("a value is missing")),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c.is_whitespace() || matches!(c, ',' | ']' | '[' | '(' | ')') {
                        break;
                    }
                    self.i += c.len_utf8();
                }
                Ok(Literal::new(self.s[start..self.i].to_string()))
            }
        }
    }
    fn list(&mut self) -> Result<Vec<Literal>, CondError> {
        self.skip_ws();
        if !self.eat("[") {
            return Err(self.err("expected a list `[a, b, …]` after `in`"));
        }
        let mut out = Vec::new();
        loop {
            self.skip_ws();
            if self.eat("]") {
                break;
            }
            out.push(self.value()?);
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("]") {
                break;
            }
            return Err(self.err("expected `,` or `]`"));
        }
        if out.is_empty() {
            return Err(self.err("the list is empty"));
        }
        Ok(out)
    }
}

/// Parses one comparison (`VARIABLE OP VALUE`), no `and`/`or`.
pub fn parse(text: &str) -> Result<Condition, CondError> {
    let mut lx = Lexer { s: text, i: 0 };
    let c = comparison(&mut lx)?;
    lx.skip_ws();
    if lx.i < text.len() {
        return Err(lx.err("unexpected text after the condition"));
    }
    Ok(c)
}

/// Words that join conditions and cannot name a variable.
const JOINERS: [&str; 3] = ["and", "or", "not"];

/// One comparison at the lexer's position; the text after it is left.
fn comparison(lx: &mut Lexer<'_>) -> Result<Condition, CondError> {
    let text = lx.s;
    lx.skip_ws();
    let variable_offset = lx.i;
    let variable = lx.word();
    if variable.is_empty() || variable.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(lx.err("expected a variable name"));
    }
    if JOINERS.contains(&variable) {
        lx.i = variable_offset;
        return Err(lx.err(format!("expected a condition, found `{variable}`")));
    }
    lx.skip_ws();
    let op_at = lx.i;
    let op = if lx.eat("==") || lx.eat("=") {
        Op::Eq
    } else if lx.eat("!=") {
        Op::Ne
    } else if lx.eat("<=") || lx.eat("\u{2264}") {
        Op::Le
    } else if lx.eat(">=") || lx.eat("\u{2265}") {
        Op::Ge
    } else if lx.eat("<") {
        Op::Lt
    } else if lx.eat(">") {
        Op::Gt
    } else if lx.keyword("in") {
        Op::In
    } else if lx.keyword("not") {
        lx.skip_ws();
        if !lx.keyword("in") {
            return Err(lx.err("expected `in` after `not`"));
        }
        Op::NotIn
    } else if lx.keyword("is") {
        lx.skip_ws();
        let not = lx.keyword("not");
        lx.skip_ws();
        if !lx.keyword("missing") {
            return Err(lx.err("expected `missing` (`is missing`, `is not missing`)"));
        }
        if not { Op::IsNotMissing } else { Op::IsMissing }
    } else {
        lx.i = op_at;
        if lx.peek().is_none() {
            return Err(lx.err(format!(
                "'{variable}' needs an operator and a value (== != < <= > >= in, not in, \
                 is missing, is not missing)"
            )));
        }
        return Err(
            lx.err("expected an operator: == != < <= > >= in, not in, is missing, is not missing")
        );
    };
    let op_text = text[op_at..lx.i].to_string();
    lx.skip_ws();
    let value_at = lx.i;
    let values = match op {
        Op::IsMissing | Op::IsNotMissing => Vec::new(),
        Op::In | Op::NotIn => lx.list()?,
        _ => vec![lx.value()?],
    };
    if op.is_ordering() && values[0].number.is_none() {
        return Err(CondError {
            offset: value_at,
            message: format!(
                "`{op_text}` compares numbers, but '{}' is not a number",
                values[0].text
            ),
        });
    }
    Ok(Condition {
        variable: variable.to_string(),
        variable_offset,
        op,
        values,
        text: text[variable_offset..lx.i].trim().to_string(),
    })
}

/// A condition as written in a filter or a case: comparisons joined by
/// `and`, `or`, `not` and parentheses.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// One comparison.
    Cond(Condition),
    /// `not E`.
    Not(Box<Expr>),
    /// `E and E and …` (two or more).
    All(Vec<Expr>),
    /// `E or E or …` (two or more).
    Any(Vec<Expr>),
}

impl From<Condition> for Expr {
    fn from(c: Condition) -> Expr {
        Expr::Cond(c)
    }
}

impl Expr {
    /// Every comparison in the expression, left to right.
    pub fn comparisons(&self) -> Vec<&Condition> {
        match self {
            Expr::Cond(c) => vec![c],
            Expr::Not(e) => e.comparisons(),
            Expr::All(v) | Expr::Any(v) => v.iter().flat_map(Expr::comparisons).collect(),
        }
    }

    /// The expression printed with the parentheses it needs (for messages,
    /// footnotes and the selection paragraph).
    pub fn text(&self) -> String {
        match self {
            Expr::Cond(c) => c.text.clone(),
            Expr::Not(e) => match **e {
                Expr::Cond(_) | Expr::Not(_) => format!("not {}", e.text()),
                _ => format!("not ({})", e.text()),
            },
            Expr::All(v) => v
                .iter()
                .map(|e| match e {
                    Expr::Any(_) => format!("({})", e.text()),
                    _ => e.text(),
                })
                .collect::<Vec<_>>()
                .join(" and "),
            Expr::Any(v) => v.iter().map(Expr::text).collect::<Vec<_>>().join(" or "),
        }
    }
}

/// Parses a condition with `and`, `or`, `not` and parentheses (a single
/// comparison is the simplest case).
pub fn parse_expr(text: &str) -> Result<Expr, CondError> {
    let mut lx = Lexer { s: text, i: 0 };
    let e = or_expr(&mut lx, 0)?;
    lx.skip_ws();
    if lx.i < text.len() {
        if lx.peek() == Some(')') {
            return Err(lx.err("`)` without a matching `(`"));
        }
        return Err(
            lx.err("unexpected text after the condition (join conditions with `and` or `or`)")
        );
    }
    Ok(e)
}

/// Deep enough for any written condition, shallow enough for the stack.
const MAX_DEPTH: usize = 64;

fn or_expr(lx: &mut Lexer<'_>, depth: usize) -> Result<Expr, CondError> {
    let mut terms = vec![and_expr(lx, depth)?];
    loop {
        lx.skip_ws();
        if lx.keyword("or") {
            terms.push(and_expr(lx, depth)?);
        } else {
            break;
        }
    }
    Ok(if terms.len() == 1 {
        terms.remove(0)
    } else {
        Expr::Any(terms)
    })
}

fn and_expr(lx: &mut Lexer<'_>, depth: usize) -> Result<Expr, CondError> {
    let mut terms = vec![unary(lx, depth)?];
    loop {
        lx.skip_ws();
        if lx.keyword("and") {
            terms.push(unary(lx, depth)?);
        } else {
            break;
        }
    }
    Ok(if terms.len() == 1 {
        terms.remove(0)
    } else {
        Expr::All(terms)
    })
}

fn unary(lx: &mut Lexer<'_>, depth: usize) -> Result<Expr, CondError> {
    if depth > MAX_DEPTH {
        return Err(lx.err("the condition is nested too deeply"));
    }
    lx.skip_ws();
    if lx.peek().is_none() {
        return Err(lx.err("a condition is missing"));
    }
    if lx.keyword("not") {
        return Ok(Expr::Not(Box::new(unary(lx, depth + 1)?)));
    }
    if lx.peek() == Some('(') {
        let open = lx.i;
        lx.i += 1;
        let e = or_expr(lx, depth + 1)?;
        lx.skip_ws();
        if !lx.eat(")") {
            if lx.peek().is_none() {
                lx.i = open;
                return Err(lx.err("`(` is never closed"));
            }
            return Err(lx.err("expected `)`, `and` or `or`"));
        }
        return Ok(e);
    }
    Ok(Expr::Cond(comparison(lx)?))
}

/// True for the missing-aware truth values: `Some(b)` known, `None`
/// unknown (a comparison of a missing value).
pub type Truth = Option<bool>;

/// `not`, `and`, `or` in three-valued (Kleene) logic, as R's `!`, `&`, `|`.
pub fn not3(a: Truth) -> Truth {
    a.map(|a| !a)
}

/// Three-valued `and`: false wins over unknown.
pub fn and3(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }
}

/// Three-valued `or`: true wins over unknown.
pub fn or3(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Some(true), _) | (_, Some(true)) => Some(true),
        (Some(false), Some(false)) => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_operator() {
        let c = parse("age >= 60").unwrap();
        assert_eq!((c.variable.as_str(), c.op), ("age", Op::Ge));
        assert_eq!(c.values[0].number, Some(60.0));
        assert_eq!(parse("age ≥ 60").unwrap().op, Op::Ge);
        assert_eq!(parse("age<60").unwrap().op, Op::Lt);
        let c = parse("arm == A").unwrap();
        assert_eq!(c.values[0].text, "A");
        assert_eq!(c.values[0].number, None);
        let c = parse("grade not in [unclassified, \"un available\"]").unwrap();
        assert_eq!(c.op, Op::NotIn);
        assert_eq!(c.values[1].text, "un available");
        assert_eq!(parse("ki67 is missing").unwrap().op, Op::IsMissing);
        assert_eq!(parse("ki67 is not missing").unwrap().op, Op::IsNotMissing);
        assert_eq!(parse("marker.nse > 1").unwrap().variable, "marker.nse");
        assert_eq!(parse("  x = 'a b'").unwrap().variable_offset, 2);
    }

    #[test]
    fn errors_point_into_the_text() {
        let e = parse("age >> 3").unwrap_err();
        assert_eq!(e.offset, 5, "{e:?}");
        let e = parse("age ~ 3").unwrap_err();
        assert_eq!(e.offset, 4);
        assert!(e.message.contains("operator"));
        let e = parse("age < old").unwrap_err();
        assert!(e.message.contains("not a number"), "{e:?}");
        let e = parse("arm in [A, B").unwrap_err();
        assert_eq!(e.offset, 12);
        assert!(parse("arm in []").is_err());
        assert!(parse("== 3").is_err());
        assert!(
            parse("arm == 'A")
                .unwrap_err()
                .message
                .contains("unterminated")
        );
        assert!(
            parse("arm == A B")
                .unwrap_err()
                .message
                .contains("unexpected")
        );
        assert!(parse("x is present").is_err());
    }
    #[test]
    fn boolean_conditions_bind_not_and_or() {
        let e = parse_expr("a == 1 or b == 2 and not c == 3").unwrap();
        let Expr::Any(v) = &e else { panic!("{e:?}") };
        assert_eq!(v.len(), 2);
        assert!(matches!(&v[1], Expr::All(w) if matches!(w[1], Expr::Not(_))));
        assert_eq!(e.text(), "a == 1 or b == 2 and not c == 3");
        let e = parse_expr("(a == 1 or b == 2) and c in [x, y]").unwrap();
        assert!(matches!(&e, Expr::All(w) if matches!(w[0], Expr::Any(_))));
        assert_eq!(e.text(), "(a == 1 or b == 2) and c in [x, y]");
        assert_eq!(e.comparisons().len(), 3);
        assert_eq!(e.comparisons()[2].variable_offset, 23);
        let e = parse_expr("not (x is missing or y != 'a b')").unwrap();
        assert_eq!(e.text(), "not (x is missing or y != 'a b')");
        // `not in` stays an operator; `not` before a comparison negates it
        let e = parse_expr("grade not in [g1] and not(ki67 < 3)").unwrap();
        assert!(matches!(&e, Expr::All(w) if matches!(&w[0], Expr::Cond(c) if c.op == Op::NotIn)));
        // a single comparison is an expression too
        assert!(matches!(parse_expr("age >= 60").unwrap(), Expr::Cond(_)));
        // words that merely start with a keyword are variable names
        assert!(parse_expr("order == 1 and notes is missing and android == x").is_ok());
    }

    #[test]
    fn boolean_errors_point_into_the_text() {
        let e = parse_expr("(a == 1 or b == 2").unwrap_err();
        assert_eq!((e.offset, e.message.as_str()), (0, "`(` is never closed"));
        let e = parse_expr("a == 1 and").unwrap_err();
        assert_eq!(e.offset, 10, "{e:?}");
        assert!(e.message.contains("missing"), "{e:?}");
        let e = parse_expr("a == 1)").unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(e.message.contains("matching"), "{e:?}");
        let e = parse_expr("a == 1 b == 2").unwrap_err();
        assert_eq!(e.offset, 7);
        assert!(e.message.contains("and"), "{e:?}");
        let e = parse_expr("a == 1 or or b == 2").unwrap_err();
        assert_eq!(e.offset, 10, "{e:?}");
        let e = parse_expr("a == 1 and (b == 2 c == 3)").unwrap_err();
        assert_eq!(e.offset, 19, "{e:?}");
        let e = parse_expr("a and b == 1").unwrap_err();
        assert_eq!(e.offset, 2, "{e:?}");
        let deep = format!("{}a == 1{}", "(".repeat(500), ")".repeat(500));
        assert!(parse_expr(&deep).unwrap_err().message.contains("deeply"));
        assert!(parse_expr("").is_err());
        assert!(parse_expr("not").is_err());
    }

    #[test]
    fn three_valued_logic_follows_r() {
        // R: NA & FALSE is FALSE, NA | TRUE is TRUE, !NA is NA
        assert_eq!(and3(None, Some(false)), Some(false));
        assert_eq!(and3(None, Some(true)), None);
        assert_eq!(or3(None, Some(true)), Some(true));
        assert_eq!(or3(None, Some(false)), None);
        assert_eq!(not3(None), None);
        assert_eq!(not3(Some(true)), Some(false));
    }
}
