//! Turning CSV columns into survival inputs: which rows are complete, what the
//! time and event columns mean, and precise errors when they mean nothing.
//!
//! Rules (documented in the README, relied on by every analysis command):
//! * a row missing (empty, `NA`, `NaN`) any column the analysis uses is
//!   dropped and counted, as R's `na.action = na.omit` does;
//! * times must be numbers >= 0; anything else is an error naming the cell;
//! * the event column is read as R's `Surv()` reads it — 0/1, TRUE/FALSE, or
//!   1/2 when no 0 occurs (2 = event) — unless `--event-value V` names the
//!   event code, in which case every other value is censoring, or, with
//!   `--censor-value C` too, any value that is neither is an error.

use std::path::PathBuf;

use netra_frame::{CellError, Column, Frame};
use netra_stats::model::collate;

/// The columns that define a right-censored outcome, shared by `km`,
/// `logrank` and `cox`.
#[derive(Debug, Clone, clap::Args)]
pub struct SurvivalArgs {
    /// CSV file with a header row.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Column holding follow-up time (any unit; >= 0).
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Column holding the event indicator.
    #[arg(long, value_name = "COL")]
    pub event: String,
    /// Value of the event column that means "event" (default: R's Surv coding).
    #[arg(long, value_name = "V")]
    pub event_value: Option<String>,
    /// Value that means "censored"; with it, any other value is an error.
    #[arg(long, value_name = "C", requires = "event_value")]
    pub censor_value: Option<String>,
}

impl SurvivalArgs {
    /// The event coding these arguments describe.
    pub fn coding(&self) -> EventCoding {
        EventCoding {
            event_value: self.event_value.clone(),
            censor_value: self.censor_value.clone(),
        }
    }
}

/// The rows an analysis can use, and how many it had to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteRows {
    /// Indices (0-based data rows) with every used column present.
    pub rows: Vec<usize>,
    /// Rows dropped because a used column was missing.
    pub n_dropped: usize,
}

/// Rows of `frame` in which none of `columns` is missing.
pub fn complete_rows(frame: &Frame, columns: &[&str]) -> anyhow::Result<CompleteRows> {
    let cols: Vec<Column<'_>> = columns
        .iter()
        .map(|c| frame.column(c))
        .collect::<Result<_, _>>()?;
    let rows: Vec<usize> = (0..frame.n_rows())
        .filter(|&r| cols.iter().all(|c| c.text(r).is_some()))
        .collect();
    let n_dropped = frame.n_rows() - rows.len();
    if rows.is_empty() {
        anyhow::bail!(
            "{}: no row has all of {} present ({} rows dropped for missing values)",
            frame.source_name(),
            columns.join(", "),
            n_dropped
        );
    }
    Ok(CompleteRows { rows, n_dropped })
}

/// Follow-up times of `rows`; errors on text or negative values.
pub fn times(column: Column<'_>, rows: &[usize]) -> Result<Vec<f64>, CellError> {
    rows.iter()
        .map(|&r| match column.number(r)? {
            Some(t) if t >= 0.0 => Ok(t),
            Some(_) => Err(column.error(r, "a time cannot be negative")),
            None => Err(column.error(r, "missing value in a complete row")),
        })
        .collect()
}

/// Numbers of `rows` (covariates, weights); errors on text.
pub fn numbers(column: Column<'_>, rows: &[usize]) -> Result<Vec<f64>, CellError> {
    rows.iter()
        .map(|&r| {
            column
                .number(r)?
                .ok_or_else(|| column.error(r, "missing value in a complete row"))
        })
        .collect()
}

/// Case weights of `rows`: finite numbers >= 0, as R's `survfit` requires.
pub fn weights(column: Column<'_>, rows: &[usize]) -> Result<Vec<f64>, CellError> {
    let values = numbers(column, rows)?;
    if let Some(i) = values.iter().position(|&w| w < 0.0) {
        return Err(column.error(rows[i], "a weight cannot be negative"));
    }
    Ok(values)
}

/// How the event column is coded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCoding {
    /// The value meaning "event"; `None` for R's default coding.
    pub event_value: Option<String>,
    /// The value meaning "censored"; with it, other values are errors.
    pub censor_value: Option<String>,
}

/// Two cell texts name the same code when equal as text or as numbers
/// ("1" and "1.0").
fn same_code(cell: &str, code: &str) -> bool {
    if cell == code {
        return true;
    }
    matches!((cell.parse::<f64>(), code.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// Event indicators of `rows` under `coding`.
pub fn events(
    column: Column<'_>,
    rows: &[usize],
    coding: &EventCoding,
) -> Result<Vec<bool>, CellError> {
    if let Some(event) = &coding.event_value {
        return rows
            .iter()
            .map(|&r| {
                let cell = column.text(r).unwrap_or_default();
                if same_code(cell, event) {
                    Ok(true)
                } else {
                    match &coding.censor_value {
                        Some(censor) if !same_code(cell, censor) => Err(column.error(
                            r,
                            format!(
                                "neither the event code '{event}' nor the censoring code '{censor}'"
                            ),
                        )),
                        _ => Ok(false),
                    }
                }
            })
            .collect();
    }
    // R's Surv(): logical, 0/1, or 1/2 when every value is 1 or 2.
    let parsed: Vec<Result<RCode, CellError>> = rows
        .iter()
        .map(|&r| {
            let cell = column.text(r).unwrap_or_default();
            match cell {
                "TRUE" | "true" | "True" | "T" => Ok(RCode::Logical(true)),
                "FALSE" | "false" | "False" | "F" => Ok(RCode::Logical(false)),
                _ => match cell.parse::<f64>() {
                    Ok(v) if v == 0.0 || v == 1.0 || v == 2.0 => Ok(RCode::Number(v as u8)),
                    _ => Err(column.error(
                        r,
                        "an event code must be 0/1 (or 1/2, or TRUE/FALSE); \
                         use --event-value to name the event code",
                    )),
                },
            }
        })
        .collect();
    let codes: Vec<RCode> = parsed.into_iter().collect::<Result<_, _>>()?;
    let one_two = codes.iter().all(|c| matches!(c, RCode::Number(1 | 2)))
        && codes.iter().any(|c| matches!(c, RCode::Number(2)));
    codes
        .iter()
        .zip(rows)
        .map(|(code, &r)| match *code {
            RCode::Logical(b) => Ok(b),
            RCode::Number(v) if one_two => Ok(v == 2),
            RCode::Number(2) => Err(column.error(
                r,
                "code 2 mixed with 0: with 1/2 coding R reads 2 as the event, \
                 but 0 also occurs; use --event-value",
            )),
            RCode::Number(v) => Ok(v == 1),
        })
        .collect()
}

#[derive(Debug, Clone, Copy)]
enum RCode {
    Logical(bool),
    Number(u8),
}

/// Distinct values of a column as R's `factor()` levels, with each row's
/// level. One rule for every command (groups, strata, causes), so a group is
/// "first" — the reference of a difference, the score 1 of a trend — in the
/// same place everywhere:
/// * every value a number: numeric order ("2" before "10"; "1" and "1.0" are
///   one level, named by the first text seen);
/// * otherwise text order as R's `sort()` (ICU root collation, see
///   `netra_stats::model::collate`): symbols, digits, then letters
///   case-insensitively, lower case first ("<60" < "70+" < "a" < "b" < "B").
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Level labels in order.
    pub levels: Vec<String>,
    /// The numeric value of each level when every label is a number.
    pub values: Option<Vec<f64>>,
    /// 0-based level of each row.
    pub codes: Vec<usize>,
}

/// The levels of `column` over `rows` (cells must be present). One hash
/// lookup per row on the borrowed cell text, no allocation per row; each
/// distinct text is parsed and sorted once.
pub fn factor(column: Column<'_>, rows: &[usize]) -> Factor {
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut provisional: Vec<usize> = Vec::with_capacity(rows.len());
    let mut last: Option<(&str, usize)> = None;
    for &r in rows {
        let cell = column.text(r).unwrap_or_default();
        let id = match last {
            Some((text, id)) if text == cell => id,
            _ => *seen.entry(cell).or_insert_with(|| {
                texts.push(cell);
                texts.len() - 1
            }),
        };
        last = Some((cell, id));
        provisional.push(id);
    }
    let (level_of, levels, values) = order_levels(&texts);
    Factor {
        levels,
        values,
        codes: provisional.into_iter().map(|i| level_of[i]).collect(),
    }
}

/// Sorts distinct texts into levels: returns the level of each text, the
/// level labels and, when all are numbers, the level values.
fn order_levels(texts: &[&str]) -> (Vec<usize>, Vec<String>, Option<Vec<f64>>) {
    let numbers: Option<Vec<f64>> = texts
        .iter()
        .map(|t| {
            t.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .map(|v| v + 0.0) // -0 and 0 are one level
        })
        .collect();
    let mut order: Vec<usize> = (0..texts.len()).collect();
    let mut level_of = vec![0; texts.len()];
    match numbers {
        Some(numbers) => {
            // Stable: among equal values the first-seen text names the level.
            order.sort_by(|&a, &b| numbers[a].total_cmp(&numbers[b]));
            let mut levels: Vec<String> = Vec::new();
            let mut values: Vec<f64> = Vec::new();
            for &i in &order {
                if values.last() != Some(&numbers[i]) {
                    levels.push(texts[i].to_string());
                    values.push(numbers[i]);
                }
                level_of[i] = levels.len() - 1;
            }
            (level_of, levels, Some(values))
        }
        None => {
            order.sort_by(|&a, &b| collate(texts[a], texts[b]));
            for (level, &i) in order.iter().enumerate() {
                level_of[i] = level;
            }
            let levels = order.iter().map(|&i| texts[i].to_string()).collect();
            (level_of, levels, None)
        }
    }
}

/// A competing-risks status column read as `cmprsk::cuminc` reads it: the
/// censoring code (`cencode`) means censored, every other value is a failure
/// from the cause it names.
#[derive(Debug, Clone, PartialEq)]
pub struct CompetingStatus {
    /// 0 for censored, k ≥ 1 for a failure from cause `causes[k - 1]`.
    pub codes: Vec<u32>,
    /// Failure causes present, ordered as [`factor`] orders levels.
    pub causes: Vec<String>,
}

impl CompetingStatus {
    /// The code of the cause written `value` (as text, or as the same
    /// number: "1" and "1.0"), if it occurs.
    pub fn code_of(&self, value: &str) -> Option<u32> {
        self.causes
            .iter()
            .position(|c| same_code(c, value))
            .map(|k| k as u32 + 1)
    }
}

/// Status codes of `rows`: cells equal to `censor_value` (as text or as
/// numbers) are censored, the others are failure causes.
pub fn competing_status(column: Column<'_>, rows: &[usize], censor_value: &str) -> CompetingStatus {
    let levels = factor(column, rows);
    let censor_level = levels
        .levels
        .iter()
        .position(|l| same_code(l, censor_value));
    let mut causes = Vec::with_capacity(levels.levels.len());
    // code of each level: 0 for the censoring level, then 1.. in level order
    let mut code_of_level = vec![0u32; levels.levels.len()];
    for (k, label) in levels.levels.iter().enumerate() {
        if Some(k) != censor_level {
            causes.push(label.clone());
            code_of_level[k] = causes.len() as u32;
        }
    }
    CompetingStatus {
        codes: levels.codes.iter().map(|&k| code_of_level[k]).collect(),
        causes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Frame {
        Frame::from_reader("d.csv", text.as_bytes(), None).unwrap()
    }

    #[test]
    fn drops_rows_missing_a_used_column() {
        let f = frame("t,e,g\n1,1,a\nNA,0,b\n3,,a\n4,1,\n");
        let c = complete_rows(&f, &["t", "e"]).unwrap();
        assert_eq!(c.rows, vec![0, 3]);
        assert_eq!(c.n_dropped, 2);
    }

    #[test]
    fn negative_time_is_an_error_with_position() {
        let f = frame("t,e\n1,1\n-2,0\n");
        let c = complete_rows(&f, &["t", "e"]).unwrap();
        let err = times(f.column("t").unwrap(), &c.rows).unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.reason, "a time cannot be negative");
    }

    #[test]
    fn r_default_codings() {
        let f = frame("e\n0\n1\n1.0\n");
        let c = complete_rows(&f, &["e"]).unwrap();
        let e = events(f.column("e").unwrap(), &c.rows, &EventCoding::default()).unwrap();
        assert_eq!(e, vec![false, true, true]);

        let f = frame("e\n1\n2\n2\n");
        let e = events(f.column("e").unwrap(), &[0, 1, 2], &EventCoding::default()).unwrap();
        assert_eq!(e, vec![false, true, true]);

        let f = frame("e\nTRUE\nFALSE\n");
        let e = events(f.column("e").unwrap(), &[0, 1], &EventCoding::default()).unwrap();
        assert_eq!(e, vec![true, false]);
    }

    #[test]
    fn unknown_code_is_an_error() {
        let f = frame("e\n0\n3\n");
        let err = events(f.column("e").unwrap(), &[0, 1], &EventCoding::default()).unwrap_err();
        assert_eq!(err.line, 3);
        let f = frame("e\n0\n2\n");
        assert!(events(f.column("e").unwrap(), &[0, 1], &EventCoding::default()).is_err());
    }

    #[test]
    fn negative_weight_is_an_error() {
        let f = frame("w\n1.5\n-1\n");
        let err = weights(f.column("w").unwrap(), &[0, 1]).unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.reason, "a weight cannot be negative");
    }

    #[test]
    fn explicit_codes() {
        let f = frame("e\ndead\nalive\nlost\n");
        let col = f.column("e").unwrap();
        let lax = EventCoding {
            event_value: Some("dead".into()),
            censor_value: None,
        };
        assert_eq!(
            events(col, &[0, 1, 2], &lax).unwrap(),
            vec![true, false, false]
        );
        let strict = EventCoding {
            event_value: Some("dead".into()),
            censor_value: Some("alive".into()),
        };
        let err = events(col, &[0, 1, 2], &strict).unwrap_err();
        assert_eq!(err.line, 4);
    }

    #[test]
    fn factor_orders_numbers_numerically() {
        let f = frame("g\n10\n2\n1.0\n1\n2\n");
        let lv = factor(f.column("g").unwrap(), &[0, 1, 2, 3, 4]);
        assert_eq!(lv.levels, vec!["1.0", "2", "10"]);
        assert_eq!(lv.values, Some(vec![1.0, 2.0, 10.0]));
        assert_eq!(lv.codes, vec![2, 1, 0, 0, 1]);
    }

    #[test]
    fn factor_orders_text_as_r_in_a_utf8_locale() {
        let f = frame("g\nObs\nLev+5FU\nLev\nb\nB\na\n");
        let lv = factor(f.column("g").unwrap(), &[0, 1, 2, 3, 4, 5]);
        assert_eq!(lv.levels, vec!["a", "b", "B", "Lev", "Lev+5FU", "Obs"]);
        assert_eq!(lv.values, None);
        assert_eq!(lv.codes, vec![5, 4, 3, 1, 2, 0]);
    }

    #[test]
    fn competing_status_codes() {
        let f = frame("s\ndeath\ncensor\npcm\ndeath\n");
        let st = competing_status(f.column("s").unwrap(), &[0, 1, 2, 3], "censor");
        assert_eq!(st.causes, vec!["death", "pcm"]);
        assert_eq!(st.codes, vec![1, 0, 2, 1]);
        assert_eq!(st.code_of("pcm"), Some(2));
        assert_eq!(st.code_of("relapse"), None);
        let f = frame("s\n2\n0.0\n1\n");
        let st = competing_status(f.column("s").unwrap(), &[0, 1, 2], "0");
        assert_eq!(st.causes, vec!["1", "2"]);
        assert_eq!(st.codes, vec![2, 0, 1]);
        assert_eq!(st.code_of("2.0"), Some(2));
    }
}
