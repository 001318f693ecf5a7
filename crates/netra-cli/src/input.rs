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

/// Cell text of `rows` (group labels, strata).
pub fn labels(column: Column<'_>, rows: &[usize]) -> Vec<String> {
    rows.iter()
        .map(|&r| column.text(r).unwrap_or_default().to_string())
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

/// Group membership of the rows of an analysis: a 0-based level per row and
/// the level labels, ordered as R orders the levels of `factor(x)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Groups {
    /// Level of each row (index into `levels`).
    pub index: Vec<u32>,
    /// Level labels (cell text of the first row with that level).
    pub levels: Vec<String>,
}

/// Groups of `rows` by the text of `column`, ordered as R sorts factor levels
/// of a column `read.csv` would give it: numerically when every label is a
/// number (so "1.0" and "1" are one group, and 10 follows 9), otherwise by
/// the text's bytes (R's order in the C locale; R under an English UTF-8
/// locale orders letters case-insensitively first, so "b" may precede "C"
/// there). One hash lookup per row, no allocation per row.
pub fn groups(column: Column<'_>, rows: &[usize]) -> Groups {
    use std::collections::HashMap;
    let mut first_seen: HashMap<&str, u32> = HashMap::new();
    let mut labels: Vec<&str> = Vec::new();
    let mut raw = Vec::with_capacity(rows.len());
    for &r in rows {
        let text = column.text(r).unwrap_or_default();
        let next = labels.len() as u32;
        let id = *first_seen.entry(text).or_insert_with(|| {
            labels.push(text);
            next
        });
        raw.push(id);
    }
    let numeric: Option<Vec<f64>> = labels.iter().map(|l| l.parse::<f64>().ok()).collect();
    // order[k] = the k-th label (in first-seen numbering) in R's level order.
    let mut order: Vec<u32> = (0..labels.len() as u32).collect();
    // level_of[first-seen id] = level index after merging and sorting.
    let mut level_of = vec![0u32; labels.len()];
    let mut levels: Vec<String> = Vec::new();
    match numeric {
        Some(values) => {
            order.sort_by(|&a, &b| {
                values[a as usize]
                    .total_cmp(&values[b as usize])
                    .then(a.cmp(&b))
            });
            let mut prev: Option<f64> = None;
            for &id in &order {
                let v = values[id as usize];
                if prev != Some(v) {
                    levels.push(labels[id as usize].to_string());
                    prev = Some(v);
                }
                level_of[id as usize] = (levels.len() - 1) as u32;
            }
        }
        None => {
            order.sort_by(|&a, &b| labels[a as usize].cmp(labels[b as usize]));
            for (k, &id) in order.iter().enumerate() {
                levels.push(labels[id as usize].to_string());
                level_of[id as usize] = k as u32;
            }
        }
    }
    let index = raw.into_iter().map(|id| level_of[id as usize]).collect();
    Groups { index, levels }
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

/// Distinct values of a text column as R's `factor()` levels, with each
/// row's level index. Levels are ordered numerically when every value is a
/// number ("2" before "10", and "1" and "1.0" are one level), otherwise by
/// text (byte order, as R sorts in the C locale).
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    /// Level index (into `levels`) of each row.
    pub index: Vec<usize>,
    /// Level labels, as first written in the file.
    pub levels: Vec<String>,
}

/// The levels of `column` over `rows` (cells must be present).
pub fn factor(column: Column<'_>, rows: &[usize]) -> Factor {
    // One hash lookup per row on the borrowed cell text; no allocation per row.
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut first: Vec<&str> = Vec::new();
    let mut raw: Vec<usize> = Vec::with_capacity(rows.len());
    let mut last: Option<(&str, usize)> = None;
    for &r in rows {
        let cell = column.text(r).unwrap_or_default();
        let code = match last {
            Some((text, code)) if text == cell => code,
            _ => *seen.entry(cell).or_insert_with(|| {
                first.push(cell);
                first.len() - 1
            }),
        };
        last = Some((cell, code));
        raw.push(code);
    }
    let numbers: Option<Vec<f64>> = first.iter().map(|t| t.parse::<f64>().ok()).collect();
    let mut order: Vec<usize> = (0..first.len()).collect();
    // level of each first-seen text after sorting (and merging equal numbers)
    let mut remap = vec![0usize; first.len()];
    let mut levels: Vec<String> = Vec::new();
    match numbers {
        Some(values) if values.iter().all(|v| !v.is_nan()) => {
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
            let mut previous: Option<f64> = None;
            for &k in &order {
                if previous != Some(values[k]) {
                    levels.push(first[k].to_string());
                    previous = Some(values[k]);
                }
                remap[k] = levels.len() - 1;
            }
        }
        _ => {
            order.sort_by(|&a, &b| first[a].cmp(first[b]));
            for (level, &k) in order.iter().enumerate() {
                levels.push(first[k].to_string());
                remap[k] = level;
            }
        }
    }
    Factor {
        index: raw.into_iter().map(|c| remap[c]).collect(),
        levels,
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
        codes: levels.index.iter().map(|&k| code_of_level[k]).collect(),
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
    fn groups_sort_like_r_factor_levels() {
        let f = frame("g\n10\n9\n1.0\n1\n");
        let g = groups(f.column("g").unwrap(), &[0, 1, 2, 3]);
        assert_eq!(g.levels, vec!["1.0", "9", "10"]);
        assert_eq!(g.index, vec![2, 1, 0, 0]);
        let f = frame("g\nb\nA\na\nb\n");
        let g = groups(f.column("g").unwrap(), &[0, 1, 2, 3]);
        assert_eq!(g.levels, vec!["A", "a", "b"]);
        assert_eq!(g.index, vec![2, 0, 1, 2]);
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
    fn factor_orders_numbers_numerically_and_text_bytewise() {
        let f = frame("g\n10\n2\n1.0\n1\n2\n");
        let lv = factor(f.column("g").unwrap(), &[0, 1, 2, 3, 4]);
        assert_eq!(lv.levels, vec!["1.0", "2", "10"]);
        assert_eq!(lv.index, vec![2, 1, 0, 0, 1]);
        let f = frame("g\nb\nB\na\nb\n");
        let lv = factor(f.column("g").unwrap(), &[0, 1, 2, 3]);
        assert_eq!(lv.levels, vec!["B", "a", "b"]);
        assert_eq!(lv.index, vec![2, 0, 1, 2]);
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
