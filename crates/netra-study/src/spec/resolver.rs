//! The checks every section shares: references to variables, conditions,
//! landmark times, time zeros, names defined once, and options that do not
//! apply to a table or figure type. One place for each so that the same
//! mistake reads the same wherever it is made.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use netra_analysis::analyses::nearest;
use netra_analysis::condition::{self as cond, Expr};
use netra_analysis::variables as vars;
use netra_clinical::endpoints::TimeZero;

use super::raw::S;
use crate::StudyError;
use crate::error::SpecErrors;

/// The byte span of a spanned value (a function, to pass to `map`).
pub(super) fn span<T>(s: &S<T>) -> Range<usize> {
    s.span()
}

/// Resolves references while the sections are read in file order.
pub(super) struct Resolver<'a> {
    /// Builds errors located in the study file.
    pub e: SpecErrors<'a>,
    /// Derived variable names known so far, with whether categorical; a
    /// `[[variable]]` may use only those defined above it.
    pub variables: HashMap<String, bool>,
}

impl<'a> Resolver<'a> {
    /// A resolver that knows only the registry's variables.
    pub fn new(e: SpecErrors<'a>) -> Self {
        Resolver {
            e,
            variables: HashMap::new(),
        }
    }

    /// An error at a byte span of the file.
    pub fn at(&self, span: Range<usize>, message: impl Into<String>) -> StudyError {
        self.e.at(span, message)
    }

    /// Parses a condition (`"age_at_entry >= 18"`, or comparisons joined
    /// by `and`/`or`/`not` and parentheses) whose variables exist; errors
    /// point inside the string (line and column of the file).
    pub fn condition(&self, s: &S<String>) -> Result<Expr, StudyError> {
        // Offsets inside the string map to the file when it has no escapes
        // (the usual case); the opening quote is skipped.
        let base = s.span().start + 1;
        let e = cond::parse_expr(s.get_ref()).map_err(|e| {
            self.e.at(
                base + e.offset..base + e.offset,
                format!("condition: {}", e.message),
            )
        })?;
        for c in e.comparisons() {
            self.check_variable(
                &c.variable,
                base + c.variable_offset..base + c.variable_offset,
            )?;
        }
        Ok(e)
    }

    /// Whether the variable `name` (derived above, or of the registry) is
    /// categorical; an error names a retired variable's replacement.
    pub fn check_variable(&self, name: &str, at: Range<usize>) -> Result<bool, StudyError> {
        self.kind(name).ok_or_else(|| {
            if let Some((_, msg)) = vars::RETIRED.iter().find(|(n, _)| *n == name) {
                return self.e.at(at.clone(), *msg);
            }
            self.e.at(
                at,
                format!(
                    "unknown variable '{name}' (define it in a [[variable]] above, or use \
                     one of the registry variables listed in docs/study-file.md)"
                ),
            )
        })
    }

    /// Whether a known variable is categorical; `None` when unknown.
    pub fn kind(&self, name: &str) -> Option<bool> {
        self.variables
            .get(name)
            .copied()
            .or_else(|| vars::base_kind(name))
    }

    /// A variable that exists, of either kind.
    pub fn var_ref(&self, s: &S<String>) -> Result<String, StudyError> {
        self.check_variable(s.get_ref(), span(s))?;
        Ok(s.get_ref().clone())
    }

    /// A categorical variable; `what` names the option that needs it.
    pub fn categorical_ref(&self, s: &S<String>, what: &str) -> Result<String, StudyError> {
        if !self.check_variable(s.get_ref(), span(s))? {
            return Err(self.e.at(
                span(s),
                format!(
                    "{what} needs a categorical variable, but '{}' is a number (derive bands \
                     with `cuts`)",
                    s.get_ref()
                ),
            ));
        }
        Ok(s.get_ref().clone())
    }

    /// The `by` of a table or figure that may draw one curve or row for
    /// everyone: `""` is all patients together, absent is the study's groups.
    pub fn optional_by(&self, by: &Option<S<String>>) -> Result<Option<String>, StudyError> {
        match by {
            Some(b) if b.get_ref().is_empty() => Ok(Some(String::new())),
            Some(b) => Ok(Some(self.categorical_ref(b, "`by`")?)),
            None => Ok(None),
        }
    }

    /// The `by` of a table that compares groups: absent needs `[groups]`.
    pub fn grouping_by(
        &self,
        by: &Option<S<String>>,
        has_groups: bool,
        kind: &S<String>,
    ) -> Result<Option<String>, StudyError> {
        match by {
            Some(b) => Ok(Some(self.categorical_ref(b, "`by`")?)),
            None if !has_groups => Err(self.e.at(
                span(kind),
                format!(
                    "a {} table needs `by` or a [groups] section",
                    kind.get_ref()
                ),
            )),
            None => Ok(None),
        }
    }

    /// Landmark times: positive and finite.
    pub fn landmarks(&self, s: &S<Vec<f64>>) -> Result<Vec<f64>, StudyError> {
        if let Some(x) = s.get_ref().iter().find(|x| !(x.is_finite() && **x > 0.0)) {
            return Err(self
                .e
                .at(span(s), format!("landmark times must be positive, got {x}")));
        }
        Ok(s.get_ref().clone())
    }

    /// A time zero (`metastatic`, `line:2`, `line:all` …).
    pub fn time_zero(&self, s: &S<String>) -> Result<TimeZero, StudyError> {
        s.get_ref()
            .trim()
            .parse::<TimeZero>()
            .map_err(|err| self.e.at(span(s), err.0))
    }

    /// Fails on a field that does not apply to a type (`what`: "a km
    /// figure").
    pub fn not_for<T>(
        &self,
        field: &Option<S<T>>,
        name: &str,
        what: &str,
    ) -> Result<(), StudyError> {
        self.not_given(field.as_ref().map(span), name, what)
    }

    /// As [`Resolver::not_given`], the message naming what the option
    /// applies to (`applies`: "km and cuminc figures").
    pub fn not_given_where(
        &self,
        span: Option<Range<usize>>,
        name: &str,
        what: &str,
        applies: &str,
    ) -> Result<(), StudyError> {
        match span {
            Some(at) => Err(self.e.at(
                at,
                format!("`{name}` does not apply to {what}; it applies to {applies}"),
            )),
            None => Ok(()),
        }
    }

    /// Fails when the field `name` is given (at `span`) where it does not
    /// apply to `what`.
    pub fn not_given(
        &self,
        span: Option<Range<usize>>,
        name: &str,
        what: &str,
    ) -> Result<(), StudyError> {
        match span {
            Some(at) => Err(self.e.at(at, format!("`{name}` does not apply to {what}"))),
            None => Ok(()),
        }
    }
}

/// "km and cuminc figures": the types an option applies to, for the
/// message of an option given to another type (`noun`: "figures").
pub(super) fn applies_to(types: &[&str], noun: &str) -> String {
    let list = match types {
        [] => return format!("no {noun}"),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    format!("{list} {noun}")
}

/// Names of one kind of item (tables, figures …), each defined once.
pub(super) struct Names {
    /// "table", "figure" …, for the messages.
    what: &'static str,
    seen: HashSet<String>,
}

impl Names {
    /// No names yet.
    pub fn new(what: &'static str) -> Self {
        Names {
            what,
            seen: HashSet::new(),
        }
    }

    /// Checks that `name` is a file-name-safe word not defined before:
    /// names become file stems of the outputs.
    pub fn add(&mut self, e: &SpecErrors<'_>, name: &S<String>) -> Result<(), StudyError> {
        let n = name.get_ref();
        let what = self.what;
        let ok = !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
        if !ok {
            return Err(e.at(
                span(name),
                format!("{what} name '{n}' must be letters, digits, '_', '-' or '.'"),
            ));
        }
        if !self.seen.insert(n.clone()) {
            return Err(e.at(span(name), format!("{what} '{n}' is defined twice")));
        }
        Ok(())
    }
}

/// The `type` of a table or figure (`what`), if it is one of `valid`.
/// Checked before the options, so that a misspelt type is named as such
/// rather than as options that do not apply to it.
pub(super) fn known_type<'k>(
    r: &Resolver<'_>,
    kind: &'k S<String>,
    what: &str,
    valid: &[&str],
) -> Result<&'k str, StudyError> {
    let ty = kind.get_ref().as_str();
    if valid.contains(&ty) {
        Ok(ty)
    } else {
        Err(r.at(span(kind), unknown_type(what, ty, valid)))
    }
}

/// The message for a `type` that is not one of `valid`: the list, and the
/// nearest valid name when the text looks like a misspelling of it (the
/// layer's one rule, [`nearest`]).
pub(super) fn unknown_type(what: &str, given: &str, valid: &[&str]) -> String {
    let mut msg = format!("{what} type '{given}' is not one of {}", valid.join(", "));
    if let Some(near) = nearest(given, valid) {
        msg.push_str(&format!(" (did you mean '{near}'?)"));
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_types_an_option_applies_to_read_as_a_list() {
        assert_eq!(
            applies_to(&["km", "cuminc"], "figures"),
            "km and cuminc figures"
        );
        assert_eq!(
            applies_to(&["waterfall", "spider", "km"], "figures"),
            "waterfall, spider and km figures"
        );
        assert_eq!(applies_to(&["forest"], "figures"), "forest figures");
        assert_eq!(applies_to(&[], "tables"), "no tables");
    }

    #[test]
    fn a_misspelt_type_suggests_the_nearest_and_a_foreign_word_nothing() {
        let valid = ["km", "cuminc", "waterfall", "spider"];
        assert_eq!(nearest("waterfal", &valid), Some("waterfall"));
        assert_eq!(nearest("spyder", &valid), Some("spider"));
        assert_eq!(nearest("pie", &valid), None);
        assert_eq!(nearest("sex", &["cox", "km"]), None);
        assert_eq!(nearest("kmm", &valid), Some("km"));
        // Two edits turn "x" into "km": too far for a one-letter word.
        assert_eq!(nearest("x", &valid), None);
    }
}
