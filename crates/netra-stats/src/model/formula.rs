//! Parsing the right-hand side of an R model formula.
//!
//! Supported: numeric or text columns by name (`age`, or `` `tumour size` ``
//! with back-ticks for names that are not plain identifiers), `factor(x)`,
//! `strata(x)` / `strata(x, y)`, interactions `a:b`, crossing `a*b`
//! (= `a + b + a:b`) and parentheses, e.g. `(a + b):c`.
//!
//! The terms come out as R's `terms.formula` orders them, because the order
//! decides the column order of the design matrix and R's coefficient order:
//! * variables are numbered in order of first appearance in the formula, and
//!   the variables of an interaction are listed in that order (in
//!   `ph.ecog:age + sex:age`, `age` appears before `sex`, so the second
//!   term is `age:sex`);
//! * duplicate terms are dropped, keeping the first;
//! * terms are sorted by their order (main effects, then two-way
//!   interactions, …), stably, i.e. by appearance within an order.

use std::fmt;

/// What a variable of the formula is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Variable {
    /// A column used as it is: numeric columns give one column of the design
    /// matrix, text columns are treated as factors (as R does for character
    /// data).
    Plain(String),
    /// `factor(x)`: the column's distinct values are levels.
    Factor(String),
    /// `strata(x, ...)`: the combination of the columns defines strata.
    Strata(Vec<String>),
}

impl Variable {
    /// The label R gives the variable in term labels (`age`, `factor(sex)`,
    /// `strata(inst)`).
    pub fn label(&self) -> String {
        match self {
            Variable::Plain(name) => quote_name(name),
            Variable::Factor(name) => format!("factor({})", quote_name(name)),
            Variable::Strata(names) => format!(
                "strata({})",
                names
                    .iter()
                    .map(|n| quote_name(n))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The data columns the variable reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Variable::Plain(name) | Variable::Factor(name) => vec![name.as_str()],
            Variable::Strata(names) => names.iter().map(String::as_str).collect(),
        }
    }
}

/// Back-quotes a name that is not a syntactic R name, as R's deparser does.
fn quote_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_string()
    } else {
        format!("`{name}`")
    }
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '.' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || c == '.' || c == '_')
}

/// One term of the formula: a set of variables (one for a main effect, two
/// or more for an interaction), as indices into [`Formula::variables`],
/// ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// Indices into [`Formula::variables`], ascending (= order of first
    /// appearance in the formula).
    pub variables: Vec<usize>,
}

/// A parsed right-hand side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    /// Variables in order of first appearance.
    pub variables: Vec<Variable>,
    /// Terms in R's order (by interaction order, then appearance). Strata
    /// terms are included, as in R's `terms` object.
    pub terms: Vec<Term>,
}

impl Formula {
    /// Parses an R-style right-hand side such as
    /// `"age + factor(grade) + liver + strata(site)"`. A leading `~` is
    /// accepted and ignored.
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            variables: Vec::new(),
        };
        if matches!(parser.peek(), Some(Token::Tilde)) {
            parser.pos += 1;
        }
        if parser.peek().is_none() {
            return Err(FormulaError::Empty);
        }
        let terms = parser.sum()?;
        if let Some(tok) = parser.peek() {
            return Err(FormulaError::Syntax(format!(
                "unexpected '{tok}' in '{text}'"
            )));
        }
        let mut terms = terms;
        // R: terms ordered by degree; stable within a degree.
        terms.sort_by_key(|t| t.len());
        let formula = Formula {
            variables: parser.variables,
            terms: terms.into_iter().map(|v| Term { variables: v }).collect(),
        };
        for term in &formula.terms {
            let has_strata = term
                .variables
                .iter()
                .any(|&v| matches!(formula.variables[v], Variable::Strata(_)));
            if has_strata && term.variables.len() > 1 {
                return Err(FormulaError::Unsupported(
                    "strata() inside an interaction".into(),
                ));
            }
        }
        Ok(formula)
    }

    /// R's label of a term: its variables' labels joined by `:`.
    pub fn term_label(&self, term: &Term) -> String {
        term.variables
            .iter()
            .map(|&v| self.variables[v].label())
            .collect::<Vec<_>>()
            .join(":")
    }

    /// True when the term is a `strata()` term.
    pub fn is_strata(&self, term: &Term) -> bool {
        term.variables.len() == 1
            && matches!(self.variables[term.variables[0]], Variable::Strata(_))
    }

    /// Every data column the formula reads, in order of first appearance,
    /// without repeats.
    pub fn columns(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for v in &self.variables {
            for c in v.columns() {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// Why a formula could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormulaError {
    /// Nothing after `~`.
    Empty,
    /// Not a well-formed formula.
    Syntax(String),
    /// Valid R, but not something netra supports.
    Unsupported(String),
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormulaError::Empty => write!(f, "the formula has no terms"),
            FormulaError::Syntax(s) => write!(f, "formula: {s}"),
            FormulaError::Unsupported(s) => write!(f, "formula: {s} is not supported"),
        }
    }
}

impl std::error::Error for FormulaError {}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Name(String),
    LParen,
    RParen,
    Plus,
    Colon,
    Star,
    Comma,
    Tilde,
    Other(String),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(s) | Token::Other(s) => write!(f, "{s}"),
            Token::LParen => write!(f, "("),
            Token::RParen => write!(f, ")"),
            Token::Plus => write!(f, "+"),
            Token::Colon => write!(f, ":"),
            Token::Star => write!(f, "*"),
            Token::Comma => write!(f, ","),
            Token::Tilde => write!(f, "~"),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, FormulaError> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::LParen);
                i += 1
            }
            ')' => {
                tokens.push(Token::RParen);
                i += 1
            }
            '+' => {
                tokens.push(Token::Plus);
                i += 1
            }
            ':' => {
                tokens.push(Token::Colon);
                i += 1
            }
            '*' => {
                tokens.push(Token::Star);
                i += 1
            }
            ',' => {
                tokens.push(Token::Comma);
                i += 1
            }
            '~' => {
                tokens.push(Token::Tilde);
                i += 1
            }
            '`' => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '`')
                    .ok_or_else(|| FormulaError::Syntax("unclosed back-quote".into()))?;
                let name: String = chars[i + 1..i + 1 + end].iter().collect();
                if name.is_empty() {
                    return Err(FormulaError::Syntax("empty back-quoted name".into()));
                }
                tokens.push(Token::Name(name));
                i += end + 2;
            }
            c if c.is_alphanumeric() || c == '.' || c == '_' => {
                let start = i;
                while i < chars.len()
                    && (chars[i].is_alphanumeric() || chars[i] == '.' || chars[i] == '_')
                {
                    i += 1;
                }
                tokens.push(Token::Name(chars[start..i].iter().collect()));
            }
            other => {
                tokens.push(Token::Other(other.to_string()));
                i += 1
            }
        }
    }
    Ok(tokens)
}

/// A set of terms, each a sorted list of variable indices.
type TermSet = Vec<Vec<usize>>;

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    variables: Vec<Variable>,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: Token) -> Result<(), FormulaError> {
        match self.next() {
            Some(t) if t == want => Ok(()),
            Some(t) => Err(FormulaError::Syntax(format!(
                "expected '{want}', found '{t}'"
            ))),
            None => Err(FormulaError::Syntax(format!(
                "expected '{want}' at the end"
            ))),
        }
    }

    fn sum(&mut self) -> Result<TermSet, FormulaError> {
        let mut out = self.product()?;
        while matches!(self.peek(), Some(Token::Plus)) {
            self.pos += 1;
            let rhs = self.product()?;
            union_into(&mut out, rhs);
        }
        Ok(out)
    }

    fn product(&mut self) -> Result<TermSet, FormulaError> {
        let mut out = self.interaction()?;
        while matches!(self.peek(), Some(Token::Star)) {
            self.pos += 1;
            let rhs = self.interaction()?;
            let cross = cross(&out, &rhs);
            union_into(&mut out, rhs);
            union_into(&mut out, cross);
        }
        Ok(out)
    }

    fn interaction(&mut self) -> Result<TermSet, FormulaError> {
        let mut out = self.atom()?;
        while matches!(self.peek(), Some(Token::Colon)) {
            self.pos += 1;
            let rhs = self.atom()?;
            out = cross(&out, &rhs);
        }
        Ok(out)
    }

    fn atom(&mut self) -> Result<TermSet, FormulaError> {
        match self.next() {
            Some(Token::LParen) => {
                let inner = self.sum()?;
                self.expect(Token::RParen)?;
                Ok(inner)
            }
            Some(Token::Name(name)) => {
                if matches!(self.peek(), Some(Token::LParen)) {
                    self.pos += 1;
                    let mut args = Vec::new();
                    loop {
                        match self.next() {
                            Some(Token::Name(a)) => args.push(a),
                            Some(t) => {
                                return Err(FormulaError::Unsupported(format!(
                                    "'{t}' inside {name}(): only column names are allowed"
                                )));
                            }
                            None => {
                                return Err(FormulaError::Syntax(format!("unclosed {name}(")));
                            }
                        }
                        match self.next() {
                            Some(Token::Comma) => continue,
                            Some(Token::RParen) => break,
                            Some(t) => {
                                return Err(FormulaError::Unsupported(format!(
                                    "'{t}' inside {name}(): only column names are allowed"
                                )));
                            }
                            None => {
                                return Err(FormulaError::Syntax(format!("unclosed {name}(")));
                            }
                        }
                    }
                    let var = match name.as_str() {
                        "factor" | "as.factor" if args.len() == 1 => {
                            Variable::Factor(args.remove(0))
                        }
                        "factor" | "as.factor" => {
                            return Err(FormulaError::Unsupported(
                                "factor() with more than one argument".into(),
                            ));
                        }
                        "strata" => Variable::Strata(args),
                        other => {
                            return Err(FormulaError::Unsupported(format!(
                                "the function {other}() (supported: factor(), strata())"
                            )));
                        }
                    };
                    Ok(vec![vec![self.variable(var)]])
                } else {
                    if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                        return Err(FormulaError::Unsupported(format!(
                            "the constant '{name}' (intercepts are implicit in a Cox model)"
                        )));
                    }
                    Ok(vec![vec![self.variable(Variable::Plain(name))]])
                }
            }
            Some(t) => Err(FormulaError::Syntax(format!("unexpected '{t}'"))),
            None => Err(FormulaError::Syntax("the formula ends too early".into())),
        }
    }

    fn variable(&mut self, var: Variable) -> usize {
        if let Some(i) = self.variables.iter().position(|v| *v == var) {
            i
        } else {
            self.variables.push(var);
            self.variables.len() - 1
        }
    }
}

fn union_into(out: &mut TermSet, add: TermSet) {
    for t in add {
        if !out.contains(&t) {
            out.push(t);
        }
    }
}

fn cross(a: &TermSet, b: &TermSet) -> TermSet {
    let mut out: TermSet = Vec::new();
    for x in a {
        for y in b {
            let mut t: Vec<usize> = x.iter().chain(y).copied().collect();
            t.sort_unstable();
            t.dedup();
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(f: &str) -> Vec<String> {
        let f = Formula::parse(f).unwrap();
        f.terms.iter().map(|t| f.term_label(t)).collect()
    }

    // Expected labels are R 4.2's attr(terms(~ ...), "term.labels").
    #[test]
    fn r_term_order() {
        assert_eq!(
            labels("age*factor(sex) + factor(ph.ecog):wt.loss + strata(inst)"),
            vec![
                "age",
                "factor(sex)",
                "strata(inst)",
                "age:factor(sex)",
                "factor(ph.ecog):wt.loss"
            ]
        );
        assert_eq!(
            labels("ph.ecog:age + sex:age + sex"),
            vec!["sex", "ph.ecog:age", "age:sex"]
        );
        assert_eq!(
            labels("~ a*b*c"),
            vec!["a", "b", "c", "a:b", "a:c", "b:c", "a:b:c"]
        );
        assert_eq!(labels("(a + b):c + a"), vec!["a", "a:c", "b:c"]);
        assert_eq!(labels("a + a + a:a"), vec!["a"]);
        assert_eq!(
            labels("`tumour size` + strata(x, y)"),
            vec!["`tumour size`", "strata(x, y)"]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(Formula::parse(" ").unwrap_err(), FormulaError::Empty);
        assert!(matches!(
            Formula::parse("age +").unwrap_err(),
            FormulaError::Syntax(_)
        ));
        assert!(matches!(
            Formula::parse("log(age)").unwrap_err(),
            FormulaError::Unsupported(_)
        ));
        assert!(matches!(
            Formula::parse("age - 1").unwrap_err(),
            FormulaError::Syntax(_)
        ));
        assert!(matches!(
            Formula::parse("age:strata(x)").unwrap_err(),
            FormulaError::Unsupported(_)
        ));
        assert!(matches!(
            Formula::parse("factor(a").unwrap_err(),
            FormulaError::Syntax(_)
        ));
    }

    #[test]
    fn columns_listed_once() {
        let f = Formula::parse("age*factor(age) + strata(site, age)").unwrap();
        assert_eq!(f.columns(), vec!["age", "site"]);
    }
}
