//! Parsing the right-hand side of an R model formula.
//!
//! Supported: numeric or text columns by name (`age`, or `` `tumour size` ``
//! with back-ticks for names that are not plain identifiers), `factor(x)`,
//! `relevel(x, ref = "G2")` (a factor with that reference level),
//! `strata(x)` / `strata(x, y)`, arithmetic on columns (`I(age/10)`,
//! `log(ki67)`: [`super::transform`]), interactions `a:b`, crossing `a*b`
//! (= `a + b + a:b`) and parentheses, e.g. `(a + b):c`. A left-hand side
//! `Surv(time, status)` or `Surv(start, stop, status)` and a `cluster(id)`
//! term are read into [`Formula::response`] and [`Formula::cluster`], for
//! the caller to use as its outcome and cluster columns (as `coxph` does).
//! Everything else R accepts is refused with a sentence naming what to do
//! instead (`ns()`, `pspline()`, `tt()` …).
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

use super::transform::Transform;

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
    /// `relevel(x, ref = "L")`: a factor of `x` whose reference level is
    /// `L` (R's `relevel`; the same as `factor(x)` with `--ref x=L`).
    Relevel {
        /// The column.
        column: String,
        /// The reference level, as written.
        reference: String,
        /// Written `relevel(factor(x), …)`, as R needs (kept for the label).
        wrapped: bool,
        /// The level was written as a quoted string (kept for the label).
        quoted: bool,
    },
    /// `I(expr)` or `log(x)` …: a numeric term computed from columns.
    Transform(Transform),
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
            Variable::Relevel {
                column,
                reference,
                wrapped,
                quoted,
            } => {
                let x = quote_name(column);
                let x = if *wrapped { format!("factor({x})") } else { x };
                let level = if *quoted {
                    format!("{reference:?}")
                } else {
                    reference.clone()
                };
                format!("relevel({x}, ref = {level})")
            }
            Variable::Transform(t) => t.label.clone(),
        }
    }

    /// The data columns the variable reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Variable::Plain(name) | Variable::Factor(name) => vec![name.as_str()],
            Variable::Relevel { column, .. } => vec![column.as_str()],
            Variable::Strata(names) => names.iter().map(String::as_str).collect(),
            Variable::Transform(t) => t.columns(),
        }
    }

    /// The column this variable makes a factor of, if it is a factor by
    /// its form (`factor(x)`, `relevel(x, …)`); a plain text column is a
    /// factor too, which only the data can tell.
    pub fn factor_column(&self) -> Option<&str> {
        match self {
            Variable::Factor(c) | Variable::Relevel { column: c, .. } => Some(c),
            _ => None,
        }
    }
}

/// Back-quotes a name that is not a syntactic R name, as R's deparser does.
pub(super) fn quote_name(name: &str) -> String {
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

/// A parsed formula.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Formula {
    /// Variables in order of first appearance.
    pub variables: Vec<Variable>,
    /// Terms in R's order (by interaction order, then appearance). Strata
    /// terms are included, as in R's `terms` object.
    pub terms: Vec<Term>,
    /// The columns of a left-hand side `Surv(time, status)` (two) or
    /// `Surv(start, stop, status)` (three), as written.
    pub response: Option<Vec<String>>,
    /// The column of a `cluster(id)` term (robust variance by cluster; not
    /// a term of the model, as in `coxph`).
    pub cluster: Option<String>,
}

impl Formula {
    /// Parses an R-style right-hand side such as
    /// `"age + factor(grade) + liver + strata(site)"`. A leading `~` is
    /// accepted and ignored.
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        let mut tokens = tokenize(text)?;
        let response = match tokens.iter().position(|t| *t == Token::Tilde) {
            Some(0) => {
                tokens.remove(0);
                None
            }
            Some(tilde) => {
                let lhs: Vec<Token> = tokens.drain(..=tilde).collect();
                Some(response(&lhs[..tilde])?)
            }
            None => None,
        };
        let mut parser = Parser {
            tokens,
            pos: 0,
            variables: Vec::new(),
            cluster: None,
        };
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
            response,
            cluster: parser.cluster,
        };
        if formula.terms.is_empty() {
            return Err(FormulaError::Syntax(
                "the formula has no term besides cluster()".into(),
            ));
        }
        for term in &formula.terms {
            let has_strata = term
                .variables
                .iter()
                .any(|&v| matches!(formula.variables[v], Variable::Strata(_)));
            if has_strata && term.variables.len() > 1 {
                return Err(FormulaError::Unsupported(
                    "strata() inside an interaction is not supported: stratify by the \
                     combination with strata(a, b)"
                        .into(),
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

/// Why a formula could not be read. `Unsupported` holds a whole sentence
/// that says what to write instead.
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
            FormulaError::Unsupported(s) => write!(f, "formula: {s}"),
        }
    }
}

impl std::error::Error for FormulaError {}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Name(String),
    LParen,
    RParen,
    Plus,
    Colon,
    Star,
    Comma,
    Tilde,
    /// A quoted string (`"G2"`, `'G2'`), without its quotes.
    Str(String),
    Other(String),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(s) | Token::Other(s) => write!(f, "{s}"),
            Token::Str(s) => write!(f, "{s:?}"),
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
            quote @ ('"' | '\'') => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&c| c == quote)
                    .ok_or_else(|| FormulaError::Syntax("a quoted string is not closed".into()))?;
                tokens.push(Token::Str(chars[i + 1..i + 1 + end].iter().collect()));
                i += end + 2;
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
    cluster: Option<String>,
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
            no_cluster_in_interaction(&out, &rhs)?;
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
            no_cluster_in_interaction(&out, &rhs)?;
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
                    let inside = self.call_tokens(&name)?;
                    match self.call(&name, &inside)? {
                        Some(var) => Ok(vec![vec![self.variable(var)]]),
                        None => Ok(Vec::new()),
                    }
                } else {
                    if name.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                        return Err(FormulaError::Unsupported(format!(
                            "the constant '{name}' is not a term: a Cox model has no \
                             intercept (leave it out)"
                        )));
                    }
                    Ok(vec![vec![self.variable(Variable::Plain(name))]])
                }
            }
            Some(t) => Err(FormulaError::Syntax(format!("unexpected '{t}'"))),
            None => Err(FormulaError::Syntax("the formula ends too early".into())),
        }
    }

    /// The tokens between `name(` and its closing parenthesis, consumed.
    fn call_tokens(&mut self, name: &str) -> Result<Vec<Token>, FormulaError> {
        let mut depth = 0usize;
        let mut inside = Vec::new();
        loop {
            match self.next() {
                None => return Err(FormulaError::Syntax(format!("unclosed {name}("))),
                Some(Token::RParen) if depth == 0 => return Ok(inside),
                Some(t) => {
                    match t {
                        Token::LParen => depth += 1,
                        Token::RParen => depth -= 1,
                        _ => {}
                    }
                    inside.push(t);
                }
            }
        }
    }

    /// The variable a function call makes (`None` for `cluster()`, which
    /// names the cluster column and adds no term).
    fn call(&mut self, name: &str, inside: &[Token]) -> Result<Option<Variable>, FormulaError> {
        let names = || column_arguments(name, inside);
        Ok(Some(match name {
            "factor" | "as.factor" => match names()?.as_slice() {
                [one] => Variable::Factor(one.clone()),
                _ => return Err(one_column(name)),
            },
            "strata" => Variable::Strata(names()?),
            "relevel" => relevel(inside)?,
            "cluster" => {
                let [one] = names()?.try_into().map_err(|_| one_column(name))?;
                if self.cluster.replace(one).is_some() {
                    return Err(FormulaError::Syntax("cluster() given twice".into()));
                }
                return Ok(None);
            }
            "I" => Variable::Transform(Transform::parse("I", inside)?),
            f if super::transform::FUNCTIONS.contains(&f) => {
                Variable::Transform(Transform::parse(f, inside)?)
            }
            other => return Err(unsupported_function(other)),
        }))
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

/// The left-hand side: `Surv(time, status)` or `Surv(start, stop, status)`.
fn response(lhs: &[Token]) -> Result<Vec<String>, FormulaError> {
    let usage = || {
        FormulaError::Unsupported(
            "the left-hand side must be Surv(time, status) or Surv(start, stop, status) \
             with column names (give the event's value with --event-value)"
                .into(),
        )
    };
    match lhs {
        [Token::Name(surv), Token::LParen, inside @ .., Token::RParen] if surv == "Surv" => {
            let columns = column_arguments("Surv", inside).map_err(|_| usage())?;
            if matches!(columns.len(), 2 | 3) {
                Ok(columns)
            } else {
                Err(usage())
            }
        }
        _ => Err(usage()),
    }
}

/// The arguments of `name(a, b, …)` when each is a column name.
fn column_arguments(name: &str, inside: &[Token]) -> Result<Vec<String>, FormulaError> {
    let mut out = Vec::new();
    for argument in inside.split(|t| *t == Token::Comma) {
        match argument {
            [Token::Name(column)] => out.push(column.clone()),
            _ => {
                let text: Vec<String> = argument.iter().map(ToString::to_string).collect();
                return Err(FormulaError::Unsupported(format!(
                    "{name}() takes column names, not '{}' (compute a new column with I(), \
                     e.g. I(age/10), and use it outside {name}())",
                    text.join("")
                )));
            }
        }
    }
    Ok(out)
}

fn one_column(name: &str) -> FormulaError {
    FormulaError::Unsupported(format!("{name}() takes one column name"))
}

/// `relevel(x, ref = "L")`, `relevel(x, "L")` or `relevel(x, ref = 2)`.
fn relevel(inside: &[Token]) -> Result<Variable, FormulaError> {
    let parts: Vec<&[Token]> = inside.split(|t| *t == Token::Comma).collect();
    let level = |t: &[Token]| {
        let value = match t {
            [value] => value,
            [Token::Name(r), Token::Other(eq), value] if r == "ref" && eq == "=" => value,
            _ => return None,
        };
        match value {
            Token::Str(l) => Some((l.clone(), true)),
            Token::Name(l) => Some((l.clone(), false)),
            _ => None,
        }
    };
    // R's relevel() needs a factor: `relevel(factor(x), …)`; netra also
    // takes a column, as a factor.
    let column = match parts.first() {
        Some([Token::Name(column)]) => Some((column, false)),
        Some(
            [
                Token::Name(f),
                Token::LParen,
                Token::Name(column),
                Token::RParen,
            ],
        ) if f == "factor" || f == "as.factor" => Some((column, true)),
        _ => None,
    };
    match (column, parts.get(1).and_then(|r| level(r)), parts.len()) {
        (Some((column, wrapped)), Some((reference, quoted)), 2) => Ok(Variable::Relevel {
            column: column.clone(),
            reference,
            wrapped,
            quoted,
        }),
        _ => Err(relevel_usage()),
    }
}

fn relevel_usage() -> FormulaError {
    FormulaError::Unsupported(
        "relevel() takes a column and its reference level: relevel(grade, ref = \"G2\")".into(),
    )
}

/// Why a function R knows is not a term here, and what to write instead.
fn unsupported_function(name: &str) -> FormulaError {
    let reason = match name {
        "Surv" => "Surv() belongs on the left of '~': Surv(time, status) ~ age + …".to_string(),
        "ns" | "bs" | "poly" | "splines::ns" => format!(
            "{name}() (splines and polynomials) is not supported yet: use I(x^2) terms or \
             categories of x (factor(x)) instead"
        ),
        "pspline" | "frailty" | "frailty.gamma" | "ridge" => format!(
            "{name}() (penalised terms) is not supported: netra fits unpenalised Cox models; \
             use categories of x or a stratified model (strata(x))"
        ),
        "tt" => "tt() (time-varying effects) is not supported: split the follow-up into \
                 (start, stop] intervals (as R's survSplit does) and fit them with --start and \
                 an interaction with a time column"
            .to_string(),
        "offset" => "offset() is not supported".to_string(),
        other => format!(
            "the function {other}() is not supported (supported: factor(), relevel(), \
             strata(), cluster(), I(), {})",
            super::transform::FUNCTIONS
                .iter()
                .map(|f| format!("{f}()"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    FormulaError::Unsupported(reason)
}

/// `cluster(id)` gives no term: inside `:` or `*` it would silently drop
/// the other side.
fn no_cluster_in_interaction(a: &TermSet, b: &TermSet) -> Result<(), FormulaError> {
    if a.is_empty() || b.is_empty() {
        return Err(FormulaError::Unsupported(
            "cluster() inside an interaction is not supported: add it as its own term".into(),
        ));
    }
    Ok(())
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
            Formula::parse("ns(age, 3)").unwrap_err(),
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

    /// Labels are R's deparse (`attr(terms(~ ...), "term.labels")`, R 4.2).
    #[test]
    fn computed_terms_are_labelled_as_r_deparses_them() {
        assert_eq!(
            labels("I(age/10) + log(x) + I((age - 60)^2/100) + I(a*b) + I(-x^2) + sqrt(x + 1)"),
            vec![
                "I(age/10)",
                "log(x)",
                "I((age - 60)^2/100)",
                "I(a * b)",
                "I(-x^2)",
                "sqrt(x + 1)"
            ]
        );
        assert_eq!(
            labels("relevel(factor(g), ref = \"G2\") + relevel(stage, 2)"),
            vec![
                "relevel(factor(g), ref = \"G2\")",
                "relevel(stage, ref = 2)"
            ]
        );
        // A label parses back to the same term (univariate screening
        // re-parses labels).
        for label in labels("I((age - 60)^2/100) + relevel(factor(g), ref = 'G2')") {
            assert_eq!(labels(&label), vec![label.clone()]);
        }
    }

    #[test]
    fn computed_terms_compute_as_r_does() {
        let f = Formula::parse("I((age - 60)^2/100) + log10(x) + I(-x^2)").unwrap();
        let age = [50.0, 70.0];
        let x = [10.0, 100.0];
        let column = |name: &str| match name {
            "age" => Some(&age[..]),
            "x" => Some(&x[..]),
            _ => None,
        };
        let values: Vec<Vec<f64>> = f
            .variables
            .iter()
            .map(|v| match v {
                Variable::Transform(t) => t.values(column, 2).unwrap(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            values,
            vec![vec![1.0, 1.0], vec![1.0, 2.0], vec![-100.0, -10000.0]]
        );
        let f = Formula::parse("log(age - 50)").unwrap();
        let Variable::Transform(t) = &f.variables[0] else {
            panic!()
        };
        assert_eq!(
            t.values(column, 2).unwrap_err(),
            crate::model::transform::TransformError::NotFinite {
                term: "log(age - 50)".into(),
                row: 0
            }
        );
    }

    #[test]
    fn surv_and_cluster_name_the_outcome_and_the_clusters() {
        let f = Formula::parse("Surv(time, status) ~ age + cluster(id) + strata(site)").unwrap();
        assert_eq!(
            f.response,
            Some(vec!["time".to_string(), "status".to_string()])
        );
        assert_eq!(f.cluster.as_deref(), Some("id"));
        assert_eq!(f.terms.len(), 2);
        assert_eq!(f.columns(), vec!["age", "site"]);
        let f = Formula::parse("Surv(start, stop, event) ~ x").unwrap();
        assert_eq!(f.response.map(|r| r.len()), Some(3));
    }

    /// Each refusal is one sentence that says what to write instead.
    #[test]
    fn unsupported_terms_say_what_to_write_instead() {
        let message = |f: &str| Formula::parse(f).unwrap_err().to_string();
        for (formula, advice) in [
            ("ns(age, 3)", "use I(x^2) terms or categories"),
            ("poly(age, 2)", "use I(x^2) terms"),
            ("pspline(age)", "netra fits unpenalised Cox models"),
            ("tt(age)", "(start, stop] intervals"),
            ("age + Surv(time, status)", "belongs on the left of '~'"),
            (
                "log(time) ~ age",
                "the left-hand side must be Surv(time, status)",
            ),
            ("Surv(time, status == 2) ~ age", "--event-value"),
            ("factor(age/10)", "compute a new column with I()"),
            ("cluster(id):age", "cluster() inside an interaction"),
            ("relevel(grade)", "relevel(grade, ref = \"G2\")"),
            ("I(age %% 2)", "unexpected '%'"),
            ("I(sin(age))", "supported there: log, log2"),
            ("foo(age)", "supported: factor(), relevel()"),
            ("1 + age", "a Cox model has no intercept"),
        ] {
            let m = message(formula);
            assert!(m.contains(advice), "{formula}: {m}");
            assert!(!m.contains("is not supported is not supported"), "{m}");
            assert!(
                !m.ends_with("is not supported") || !m.contains(": only"),
                "{m}"
            );
        }
    }

    #[test]
    fn columns_listed_once() {
        let f = Formula::parse("age*factor(age) + strata(site, age)").unwrap();
        assert_eq!(f.columns(), vec!["age", "site"]);
    }
}
