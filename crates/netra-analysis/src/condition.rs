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
//! Values are bare words (`A`, `18`, `g1`) or quoted (`"≥ 60 years"`);
//! a list is `[v, v, …]`. Comparing a missing value is false (so
//! `age < 60` and `age >= 60` both leave out a patient of unknown age), as
//! SQL and R's `subset()` do; `is missing` asks for it explicitly.

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
            Some('[' | ']' | ',') => Err(self.err("a value is missing")),
            Some(_) => {
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c.is_whitespace() || c == ',' || c == ']' || c == '[' {
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

/// Parses one condition.
pub fn parse(text: &str) -> Result<Condition, CondError> {
    let mut lx = Lexer { s: text, i: 0 };
    lx.skip_ws();
    let variable_offset = lx.i;
    let variable = lx.word();
    if variable.is_empty() || variable.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(lx.err("expected a variable name"));
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
    lx.skip_ws();
    if lx.i < text.len() {
        return Err(lx.err("unexpected text after the condition"));
    }
    Ok(Condition {
        variable: variable.to_string(),
        variable_offset,
        op,
        values,
        text: text.trim().to_string(),
    })
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
}
