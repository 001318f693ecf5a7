//! The `rows` of a baseline table: how each variable is summarised and
//! tested. A numeric summary of a category, or a test that does not fit
//! the row (a t-test of counts), is an error rather than a silent default.

use super::raw::RawRow;
use super::resolver::{Resolver, span};
use super::{BaselineRow, RowSummary, RowTest};
use crate::StudyError;

/// The rows in order.
pub(super) fn rows(r: &Resolver<'_>, raw: &[RawRow]) -> Result<Vec<BaselineRow>, StudyError> {
    raw.iter().map(|row| baseline_row(r, row)).collect()
}

/// One row: a known variable, its summary and its test.
fn baseline_row(r: &Resolver<'_>, row: &RawRow) -> Result<BaselineRow, StudyError> {
    let categorical = r.check_variable(row.variable.get_ref(), span(&row.variable))?;
    let summary = match &row.summary {
        None => None,
        Some(s) => {
            if categorical {
                return Err(r.at(
                    span(s),
                    "`summary` applies to numbers; this variable is categorical",
                ));
            }
            Some(summary(r, s.get_ref(), span(s))?)
        }
    };
    let as_categories = categorical || summary == Some(RowSummary::Categories);
    let test = match &row.test {
        None => None,
        Some(s) => Some(test(r, s.get_ref(), span(s), as_categories)?),
    };
    Ok(BaselineRow {
        variable: row.variable.get_ref().clone(),
        label: row.label.clone(),
        summary,
        test,
        decimals: row.decimals.as_ref().map_or(1, |d| *d.get_ref()),
    })
}

/// The summary of a number, by name.
fn summary(
    r: &Resolver<'_>,
    s: &str,
    at: std::ops::Range<usize>,
) -> Result<RowSummary, StudyError> {
    Ok(match s {
        "mean_sd" => RowSummary::MeanSd,
        "median_range" => RowSummary::MedianRange,
        "both" => RowSummary::Both,
        "categories" => RowSummary::Categories,
        other => {
            return Err(r.at(
                at,
                format!("summary '{other}' is not one of mean_sd, median_range, both, categories"),
            ));
        }
    })
}

/// The test of a row, by name; tests of numbers fit numeric rows and
/// tests of counts fit categorical rows (`auto` is a test of counts).
fn test(
    r: &Resolver<'_>,
    s: &str,
    at: std::ops::Range<usize>,
    as_categories: bool,
) -> Result<RowTest, StudyError> {
    let test = match s {
        "t" => RowTest::T,
        "welch" => RowTest::Welch,
        "mann_whitney" => RowTest::MannWhitney,
        "chisq" => RowTest::ChiSquare,
        "chisq_uncorrected" => RowTest::ChiSquareUncorrected,
        "fisher" => RowTest::Fisher,
        "auto" => RowTest::Auto,
        "none" => RowTest::None,
        other => {
            return Err(r.at(
                at,
                format!(
                    "test '{other}' is not one of t, welch, mann_whitney, \
                     chisq, chisq_uncorrected, fisher, auto, none"
                ),
            ));
        }
    };
    let numeric_test = matches!(test, RowTest::T | RowTest::Welch | RowTest::MannWhitney);
    let count_test = matches!(
        test,
        RowTest::ChiSquare | RowTest::ChiSquareUncorrected | RowTest::Fisher | RowTest::Auto
    );
    if (as_categories && numeric_test) || (!as_categories && count_test) {
        let kind = if as_categories {
            "categorical"
        } else {
            "numeric"
        };
        return Err(r.at(at, format!("test '{s}' does not fit a {kind} row")));
    }
    Ok(test)
}
