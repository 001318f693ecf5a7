//! A flat CSV "cohort": turning the columns of a file into the data the CSV
//! analyses use — which rows are complete, what the time and event columns
//! mean, factor levels, competing-risks status — with precise errors when
//! they mean nothing. The CLI's CSV commands (`netra km`, `logrank`, `cox`,
//! `cuminc`, …) read through here so a CSV and a registry cohort reach the
//! same analyses with the same data rules.
//!
//! Rules (documented in the README, relied on by every analysis command):
//! * a row missing (empty, `NA`, `NaN`) any column the analysis uses is
//!   dropped and counted, as R's `na.action = na.omit` does;
//! * times must be numbers >= 0; anything else is an error naming the cell;
//! * the event column is read as R's `Surv()` reads it — 0/1, TRUE/FALSE, or
//!   1/2 when no 0 occurs (2 = event) — unless `--event-value V` names the
//!   event code, in which case every other value is censoring, or, with
//!   `--censor-value C` too, any value that is neither is an error.

use netra_frame::{CellError, Codes, Column, Frame, MergedLabel};

use crate::AnalysisError;

/// A data row's index as an analysis keeps it: `u32` (4 bytes a row, the
/// choice of the survival commands: a million-row file's row list is 4 MB
/// instead of 8, memory the kernel would have to zero first) or `usize`.
/// Every function of this module taking rows accepts either.
pub trait RowIndex: Copy + Send + Sync + 'static {
    /// The most rows a list of this type indexes.
    const MAX_ROWS: usize;
    /// The 0-based row.
    fn index(self) -> usize;
    /// Row `i`, which is below [`RowIndex::MAX_ROWS`].
    fn of_index(i: usize) -> Self;
}

impl RowIndex for usize {
    const MAX_ROWS: usize = usize::MAX;
    #[inline]
    fn index(self) -> usize {
        self
    }
    #[inline]
    fn of_index(i: usize) -> usize {
        i
    }
}

impl RowIndex for u32 {
    const MAX_ROWS: usize = u32::MAX as usize + 1;
    #[inline]
    fn index(self) -> usize {
        self as usize
    }
    #[inline]
    fn of_index(i: usize) -> u32 {
        debug_assert!(i < Self::MAX_ROWS);
        i as u32
    }
}

/// The rows an analysis can use, and how many it had to drop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompleteRows<R = usize> {
    /// Indices (0-based data rows) with every used column present.
    pub rows: Vec<R>,
    /// Rows dropped because a used column was missing.
    pub n_dropped: usize,
    /// Dropped rows by reason: each counted under the first column (in the
    /// order the analysis names them) missing in it; columns with none left out.
    pub dropped_by: Vec<(String, usize)>,
    /// Labels of the used columns that trimming merged into one group
    /// (`"Male"` and `"Male "`), where R's `read.csv` keeps two.
    pub merged_labels: Vec<MergedLabel>,
    /// Empty cells of used text columns (by column): read as missing, where
    /// R's `read.csv` makes them the label `""`.
    pub empty_labels: Vec<(String, usize)>,
}

/// Rows of `frame` in which none of `columns` is missing, as indices of type
/// `R` (`u32` or `usize`, [`RowIndex`]).
pub fn complete_rows<R: RowIndex>(
    frame: &Frame,
    columns: &[&str],
) -> Result<CompleteRows<R>, AnalysisError> {
    if frame.n_rows() > R::MAX_ROWS {
        return Err(AnalysisError::invalid(
            frame.source_name(),
            format!(
                "{} rows are more than an analysis in memory holds ({}); use --engine datafusion",
                frame.n_rows(),
                R::MAX_ROWS
            ),
        ));
    }
    let cols: Vec<Column<'_>> = columns
        .iter()
        .map(|c| frame.column(c))
        .collect::<Result<_, _>>()?;
    let mut per_column = vec![0usize; cols.len()];
    // Only columns with a missing cell (counted when the file was read) can
    // drop a row; in their order, so a row counts under the first.
    let gappy: Vec<(usize, Column<'_>)> = cols
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, c)| c.missing_cells() > 0)
        .collect();
    let rows: Vec<R> = if gappy.is_empty() {
        (0..frame.n_rows()).map(R::of_index).collect()
    } else {
        (0..frame.n_rows())
            .filter(|&r| match gappy.iter().find(|(_, c)| c.text(r).is_none()) {
                Some(&(k, _)) => {
                    per_column[k] += 1;
                    false
                }
                None => true,
            })
            .map(R::of_index)
            .collect()
    };
    let n_dropped = frame.n_rows() - rows.len();
    let dropped_by = columns
        .iter()
        .zip(per_column)
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| (c.to_string(), n))
        .collect();
    if rows.is_empty() {
        return Err(AnalysisError::invalid(
            frame.source_name(),
            format!(
                "no row has all of {} present ({} rows dropped for missing values)",
                columns.join(", "),
                n_dropped
            ),
        ));
    }
    let mut merged_labels = Vec::new();
    let mut empty_labels = Vec::new();
    for c in &cols {
        merged_labels.extend(c.merged_labels());
        let n = c.empty_text_cells();
        if n > 0 && !empty_labels.iter().any(|(name, _)| name == c.name()) {
            empty_labels.push((c.name().to_string(), n));
        }
    }
    merged_labels.dedup();
    Ok(CompleteRows {
        rows,
        n_dropped,
        dropped_by,
        merged_labels,
        empty_labels,
    })
}

/// Follow-up times of `rows`; errors on text or negative values.
pub fn times<R: RowIndex>(column: Column<'_>, rows: &[R]) -> Result<Vec<f64>, CellError> {
    // The numbers read with the file (NaN: missing), the usual column.
    if let Some(n) = column.numbers() {
        let mut out = Vec::with_capacity(rows.len());
        for &r in rows {
            let r = r.index();
            let t = n.get(r);
            if t >= 0.0 {
                out.push(t);
            } else if t.is_nan() {
                return Err(column.error(r, "missing value in a complete row"));
            } else {
                return Err(column.error(r, "a time cannot be negative"));
            }
        }
        return Ok(out);
    }
    rows.iter()
        .map(|&r| r.index())
        .map(|r| match column.number(r)? {
            Some(t) if t >= 0.0 => Ok(t),
            Some(_) => Err(column.error(r, "a time cannot be negative")),
            None => Err(column.error(r, "missing value in a complete row")),
        })
        .collect()
}

/// Numbers of `rows` (covariates, weights); errors on text.
pub fn numbers<R: RowIndex>(column: Column<'_>, rows: &[R]) -> Result<Vec<f64>, CellError> {
    if let Some(n) = column.numbers() {
        return rows
            .iter()
            .map(|&r| r.index())
            .map(|r| match n.get(r) {
                v if v.is_nan() => Err(column.error(r, "missing value in a complete row")),
                v => Ok(v),
            })
            .collect();
    }
    rows.iter()
        .map(|&r| r.index())
        .map(|r| {
            column
                .number(r)?
                .ok_or_else(|| column.error(r, "missing value in a complete row"))
        })
        .collect()
}

/// Case weights of `rows`: finite numbers >= 0, as R's `survfit` requires.
pub fn weights<R: RowIndex>(column: Column<'_>, rows: &[R]) -> Result<Vec<f64>, CellError> {
    let values = numbers(column, rows)?;
    if let Some(i) = values.iter().position(|&w| w < 0.0) {
        return Err(column.error(rows[i].index(), "a weight cannot be negative"));
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
pub fn same_code(cell: &str, code: &str) -> bool {
    if cell == code {
        return true;
    }
    matches!((cell.parse::<f64>(), code.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

/// How one distinct value of an event or status column was read, and how
/// many analysed rows hold it — printed so a coding mistake shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ValueRead {
    /// The cell text (the first spelling seen, "1" for "1" and "1.0").
    pub value: String,
    /// What it means: "event", "censored", or "cause" (competing risks).
    pub read_as: &'static str,
    /// Analysed (complete) rows holding it; 0 when it occurs only in
    /// dropped rows, where it still decided the coding as in R.
    pub n: usize,
}

/// Event indicators of the analysed rows and how each value was read.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsRead {
    /// One indicator per analysed row.
    pub events: Vec<bool>,
    /// Each distinct value of the column and its meaning, in first-seen order.
    pub values: Vec<ValueRead>,
}

/// The distinct present texts of a whole column (every row, dropped ones
/// too: R decides a column's coding and type before dropping rows).
struct Distinct<'a> {
    /// Distinct texts, first-seen order ("1" and "1.0" are one).
    texts: Vec<&'a str>,
    /// Row of the first occurrence of each text.
    first_row: Vec<usize>,
    /// Occurrences in the whole column.
    count: Vec<usize>,
    /// Distinct id of every row (`usize::MAX` when missing).
    id: Ids<'a>,
}

/// The distinct id of every row: one per row, or one per code of a coded
/// column.
enum Ids<'a> {
    Rows(Vec<usize>),
    Coded {
        codes: &'a [u32],
        of_code: Vec<usize>,
    },
}

impl Ids<'_> {
    #[inline]
    fn get(&self, row: usize) -> usize {
        match self {
            Ids::Rows(id) => id[row],
            Ids::Coded { codes, of_code } => of_code[codes[row] as usize],
        }
    }
}

/// `a == b`, compared byte by byte in place: the cells compared are short
/// labels, for which a call to `memcmp` costs more than the comparison.
#[inline]
fn same_text(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Distinct texts up to which a column's values are looked up by comparing
/// them in turn rather than by hashing (fewer comparisons than a hash costs).
const FEW: usize = 8;

fn distinct(column: Column<'_>) -> Distinct<'_> {
    if let Some(coded) = column.codes() {
        return distinct_coded(coded);
    }
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    // "1" and "1.0" are one code, as `same_code` says.
    let mut by_number: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let mut small: Vec<(&str, usize)> = Vec::new();
    let mut d = Distinct {
        texts: Vec::new(),
        first_row: Vec::new(),
        count: Vec::new(),
        id: Ids::Rows(Vec::new()),
    };
    let mut id = Vec::with_capacity(column.len());
    for r in 0..column.len() {
        let Some(cell) = column.text(r) else {
            id.push(usize::MAX);
            continue;
        };
        // A few distinct texts (an event column) are found by comparing
        // them; the hash is for columns with many.
        let known = if seen.len() <= FEW {
            small
                .iter()
                .find(|(t, _)| same_text(t, cell))
                .map(|&(_, k)| k)
        } else {
            seen.get(cell).copied()
        };
        let k = match known {
            Some(k) => k,
            None => {
                let number = cell.parse::<f64>().ok().map(|v| (v + 0.0).to_bits());
                let k = match number.and_then(|bits| by_number.get(&bits)) {
                    Some(&k) => k,
                    None => {
                        if let Some(bits) = number {
                            by_number.insert(bits, d.texts.len());
                        }
                        d.texts.push(cell);
                        d.first_row.push(r);
                        d.count.push(0);
                        d.texts.len() - 1
                    }
                };
                seen.insert(cell, k);
                if seen.len() <= FEW {
                    small.push((cell, k));
                }
                k
            }
        };
        d.count[k] += 1;
        id.push(k);
    }
    d.id = Ids::Rows(id);
    d
}

/// [`distinct`] of a coded column: one pass over the codes counts them and
/// finds where each first occurs; each distinct text is then read once.
fn distinct_coded(coded: Codes<'_>) -> Distinct<'_> {
    let n_codes = coded.levels.len();
    let mut count = vec![0usize; n_codes];
    let mut first = vec![usize::MAX; n_codes];
    for (r, &c) in coded.codes.iter().enumerate() {
        let c = c as usize;
        if count[c] == 0 {
            first[c] = r;
        }
        count[c] += 1;
    }
    // Codes in the order their texts first occur, as the row pass sees them.
    let mut order: Vec<usize> = (0..n_codes).filter(|&c| count[c] > 0).collect();
    order.sort_by_key(|&c| first[c]);
    let mut by_number: std::collections::HashMap<u64, usize> = std::collections::HashMap::new();
    let mut of_code = vec![usize::MAX; n_codes];
    let mut d = Distinct {
        texts: Vec::new(),
        first_row: Vec::new(),
        count: Vec::new(),
        id: Ids::Rows(Vec::new()),
    };
    for c in order {
        let cell = coded.levels[c].as_str();
        if netra_frame::is_missing(cell) {
            continue;
        }
        // "1" and "1.0" are one code, as `same_code` says.
        let number = cell.parse::<f64>().ok().map(|v| (v + 0.0).to_bits());
        let k = match number.and_then(|bits| by_number.get(&bits)) {
            Some(&k) => k,
            None => {
                if let Some(bits) = number {
                    by_number.insert(bits, d.texts.len());
                }
                d.texts.push(cell);
                d.first_row.push(first[c]);
                d.count.push(0);
                d.texts.len() - 1
            }
        };
        d.count[k] += count[c];
        of_code[c] = k;
    }
    d.id = Ids::Coded {
        codes: coded.codes,
        of_code,
    };
    d
}

impl Distinct<'_> {
    /// "'Dead' (12), 'alive' (30)": the values seen, for error messages.
    fn seen(&self) -> String {
        const SHOWN: usize = 20;
        let mut parts: Vec<String> = self
            .texts
            .iter()
            .zip(&self.count)
            .take(SHOWN)
            .map(|(t, n)| format!("'{t}' ({n})"))
            .collect();
        if self.texts.len() > SHOWN {
            parts.push(format!("and {} more", self.texts.len() - SHOWN));
        }
        parts.join(", ")
    }

    /// Counts over the analysed rows, with each value's meaning.
    fn read<R: RowIndex>(&self, rows: &[R], meaning: &[&'static str]) -> Vec<ValueRead> {
        let mut n = vec![0usize; self.texts.len()];
        for &r in rows {
            if let Some(c) = n.get_mut(self.id.get(r.index())) {
                *c += 1;
            }
        }
        self.texts
            .iter()
            .zip(meaning)
            .zip(n)
            .map(|((t, &read_as), n)| ValueRead {
                value: t.to_string(),
                read_as,
                n,
            })
            .collect()
    }
}

/// True when `cell` equals `code` only when case is ignored: a probable
/// typo ("Dead" for "dead") that must not be read as another value.
fn case_only_match(cell: &str, code: &str) -> bool {
    !same_code(cell, code) && cell.to_lowercase() == code.to_lowercase()
}

/// Error for a code given on the command line that is not in the column.
fn absent_code(column: Column<'_>, what: &str, code: &str, d: &Distinct<'_>) -> AnalysisError {
    AnalysisError::invalid(
        column.source_name(),
        format!(
            "the {what} '{code}' does not occur in column '{}' (values seen: {})",
            column.name(),
            d.seen()
        ),
    )
}

/// Event indicators of `rows` under `coding`, with how each value was read.
/// The coding is decided on the whole column, dropped rows included, as R's
/// `Surv()` sees the column before `na.omit`: a 1/2 coding whose only 2 is
/// in a dropped row is still 1 = censored, 2 = event. With explicit codes, a
/// code that never occurs, and a value equal to a code only when case is
/// ignored, are errors listing the values seen.
pub fn read_events<R: RowIndex>(
    column: Column<'_>,
    rows: &[R],
    coding: &EventCoding,
) -> Result<EventsRead, AnalysisError> {
    let d = distinct(column);
    let meaning: Vec<&'static str> = match &coding.event_value {
        Some(event) => explicit_meaning(column, &d, event, coding.censor_value.as_deref())?,
        None => r_meaning(column, &d)?,
    };
    let is_event: Vec<bool> = meaning.iter().map(|&m| m == "event").collect();
    let events = rows
        .iter()
        .map(|&r| is_event.get(d.id.get(r.index())) == Some(&true))
        .collect();
    Ok(EventsRead {
        events,
        values: d.read(rows, &meaning),
    })
}

fn explicit_meaning(
    column: Column<'_>,
    d: &Distinct<'_>,
    event: &str,
    censor: Option<&str>,
) -> Result<Vec<&'static str>, AnalysisError> {
    let mut meaning = Vec::with_capacity(d.texts.len());
    for (k, &t) in d.texts.iter().enumerate() {
        let m = if same_code(t, event) {
            "event"
        } else if censor.is_some_and(|c| same_code(t, c)) {
            "censored"
        } else if let Some(code) = [Some(event), censor]
            .into_iter()
            .flatten()
            .find(|code| case_only_match(t, code))
        {
            return Err(column
                .error(
                    d.first_row[k],
                    format!(
                        "equals the code '{code}' only when case is ignored; codes are compared \
                         exactly: fix the cell or name the code as written (values seen: {})",
                        d.seen()
                    ),
                )
                .into());
        } else if censor.is_some() {
            "neither"
        } else {
            "censored"
        };
        meaning.push(m);
    }
    if !meaning.contains(&"event") {
        return Err(absent_code(column, "event code", event, d));
    }
    if let Some(censor) = censor {
        if !meaning.contains(&"censored") {
            return Err(absent_code(column, "censoring code", censor, d));
        }
        if let Some(k) = meaning.iter().position(|&m| m == "neither") {
            return Err(column
                .error(
                    d.first_row[k],
                    format!(
                        "neither the event code '{event}' nor the censoring code '{censor}' \
                         (values seen: {})",
                        d.seen()
                    ),
                )
                .into());
        }
    }
    Ok(meaning)
}

/// R's `Surv()` coding: logical, 0/1, or 1/2 when every value of the column
/// is 1 or 2 and some is 2.
fn r_meaning(column: Column<'_>, d: &Distinct<'_>) -> Result<Vec<&'static str>, AnalysisError> {
    let mut codes = Vec::with_capacity(d.texts.len());
    for (k, &cell) in d.texts.iter().enumerate() {
        let code = match cell {
            "TRUE" | "true" | "True" | "T" => RCode::Logical(true),
            "FALSE" | "false" | "False" | "F" => RCode::Logical(false),
            _ => match cell.parse::<f64>() {
                Ok(v) if v == 0.0 || v == 1.0 || v == 2.0 => RCode::Number(v as u8),
                _ => {
                    return Err(column
                        .error(
                            d.first_row[k],
                            format!(
                                "an event code must be 0/1 (or 1/2, or TRUE/FALSE); \
                                 use --event-value to name the event code (values seen: {})",
                                d.seen()
                            ),
                        )
                        .into());
                }
            },
        };
        codes.push(code);
    }
    let one_two = codes.iter().all(|c| matches!(c, RCode::Number(1 | 2)))
        && codes.iter().any(|c| matches!(c, RCode::Number(2)));
    codes
        .iter()
        .enumerate()
        .map(|(k, code)| {
            let event = match *code {
                RCode::Logical(b) => b,
                RCode::Number(v) if one_two => v == 2,
                RCode::Number(2) => {
                    return Err(column
                        .error(
                            d.first_row[k],
                            "code 2 mixed with 0: with 1/2 coding R reads 2 as the event, \
                             but 0 also occurs; use --event-value",
                        )
                        .into());
                }
                RCode::Number(v) => v == 1,
            };
            Ok(if event { "event" } else { "censored" })
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
    /// 0-based level of each row (4 bytes a row: a million-row file's
    /// codes are 4 MB, and the survival layer takes them as they are).
    pub codes: Vec<u32>,
}

/// True when every present cell of the whole column (dropped rows too) is a
/// finite number: R's `read.csv` types a column on all its cells, so one
/// text cell, even in a row the analysis drops, makes the column text.
pub fn is_numeric_column(column: Column<'_>) -> bool {
    first_text_row(column).is_none()
}

/// The first row of the whole column whose present cell is not a finite
/// number, if any.
pub fn first_text_row(column: Column<'_>) -> Option<usize> {
    // Typed while the file was read (netra-frame), on every cell.
    column.first_non_finite()
}

/// Every cell of the whole column as a number (`None` where missing), each
/// present cell parsed once; `Err` with the first row whose present cell is
/// not a finite number. For a caller that types the column (as
/// [`first_text_row`] does) and then reads its numbers: one pass instead of
/// a typing pass and a value read.
pub fn column_numbers(column: Column<'_>) -> Result<Vec<Option<f64>>, usize> {
    if let Some(r) = column.first_non_finite() {
        return Err(r);
    }
    if let Some(n) = column.numbers() {
        return Ok((0..column.len())
            .map(|r| Some(n.get(r)).filter(|v| !v.is_nan()))
            .collect());
    }
    // Every present cell is a finite number: `number` cannot fail.
    Ok((0..column.len())
        .map(|r| column.number(r).ok().flatten())
        .collect())
}

/// The levels of `column` over `rows` (cells must be present); numeric
/// order only when the whole column is numeric ([`is_numeric_column`]). One hash
/// lookup per row on the borrowed cell text, no allocation per row; each
/// distinct text is parsed and sorted once.
pub fn factor<R: RowIndex>(column: Column<'_>, rows: &[R]) -> Factor {
    if let Some(coded) = column.codes() {
        return factor_coded(column, coded, rows);
    }
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut texts: Vec<&str> = Vec::new();
    let mut provisional: Vec<u32> = Vec::with_capacity(rows.len());
    let mut last: Option<(&str, usize)> = None;
    for &r in rows {
        let cell = column.text(r.index()).unwrap_or_default();
        let id = match last {
            Some((text, id)) if same_text(text, cell) => id,
            _ if texts.len() <= FEW => match texts.iter().position(|t| same_text(t, cell)) {
                Some(id) => id,
                None => {
                    seen.insert(cell, texts.len());
                    texts.push(cell);
                    texts.len() - 1
                }
            },
            _ => *seen.entry(cell).or_insert_with(|| {
                texts.push(cell);
                texts.len() - 1
            }),
        };
        last = Some((cell, id));
        provisional.push(id as u32);
    }
    // R's factor-level order, the one implementation (netra_stats::model::levels).
    let netra_stats::model::LevelOrder {
        level_of,
        levels,
        values,
    } = netra_stats::model::order_levels_as(&texts, is_numeric_column(column));
    Factor {
        levels,
        values,
        codes: final_codes(provisional, &level_of),
    }
}

/// [`factor`] of a coded column: a row's provisional level is looked up
/// by its code, each distinct text is compared once.
fn factor_coded<R: RowIndex>(column: Column<'_>, coded: Codes<'_>, rows: &[R]) -> Factor {
    let mut of_code = vec![u32::MAX; coded.levels.len()];
    let mut texts: Vec<&str> = Vec::new();
    let mut provisional: Vec<u32> = Vec::with_capacity(rows.len());
    for &r in rows {
        let c = coded.codes[r.index()] as usize;
        let mut id = of_code[c];
        if id == u32::MAX {
            let level = coded.levels[c].as_str();
            // A missing cell reads as "" (the caller passes present rows).
            let text = if netra_frame::is_missing(level) {
                ""
            } else {
                level
            };
            id = texts.iter().position(|t| *t == text).unwrap_or_else(|| {
                texts.push(text);
                texts.len() - 1
            }) as u32;
            of_code[c] = id;
        }
        provisional.push(id);
    }
    let netra_stats::model::LevelOrder {
        level_of,
        levels,
        values,
    } = netra_stats::model::order_levels_as(&texts, is_numeric_column(column));
    Factor {
        levels,
        values,
        codes: final_codes(provisional, &level_of),
    }
}

/// Factor codes widened to `usize`, for the analyses that index with them
/// (contingency tables, cumulative incidence).
pub fn codes_as_usize(codes: &[u32]) -> Vec<usize> {
    codes.iter().map(|&c| c as usize).collect()
}

/// Each row's level from its provisional id (first-seen order), in place.
fn final_codes(mut codes: Vec<u32>, level_of: &[usize]) -> Vec<u32> {
    for c in &mut codes {
        *c = level_of[*c as usize] as u32;
    }
    codes
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
    /// Each value of the whole column and how it was read.
    pub values: Vec<ValueRead>,
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

/// Whether the rows of a competing-risks analysis may lack censored rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Censoring {
    /// Some rows are censored: the censoring code must occur (the default).
    #[default]
    Expected,
    /// No row is censored (every outcome is known): the censoring code must
    /// not occur.
    Absent,
}

/// Status codes of `rows`: cells equal to `censor_value` (as text or as
/// numbers) are censored, the others are failure causes. A censoring code
/// that never occurs in the column, or a value equal to it only when case is
/// ignored, is an error listing the values seen: every censored row would
/// otherwise become a competing event. Data with no censored row at all is
/// read only when the caller says so ([`Censoring::Absent`]); then a row
/// carrying the censoring code is the error.
pub fn competing_status<R: RowIndex>(
    column: Column<'_>,
    rows: &[R],
    censor_value: &str,
    censoring: Censoring,
) -> Result<CompetingStatus, AnalysisError> {
    let d = distinct(column);
    let mut meaning = Vec::with_capacity(d.texts.len());
    for (k, &t) in d.texts.iter().enumerate() {
        if same_code(t, censor_value) {
            meaning.push("censored");
        } else if case_only_match(t, censor_value) {
            return Err(column
                .error(
                    d.first_row[k],
                    format!(
                        "equals the censoring code '{censor_value}' only when case is ignored; \
                         codes are compared exactly (values seen: {})",
                        d.seen()
                    ),
                )
                .into());
        } else {
            meaning.push("cause");
        }
    }
    let censored_at = meaning.iter().position(|m| *m == "censored");
    // "No row is censored" speaks of the analysed rows: a dropped row that
    // carries the code is not analysed, as for every other value.
    let analysed_censored =
        censored_at.and_then(|k| rows.iter().map(|&r| r.index()).find(|&r| d.id.get(r) == k));
    match (censoring, censored_at, analysed_censored) {
        (Censoring::Expected, None, _) => {
            return Err(AnalysisError::invalid(
                column.source_name(),
                format!(
                    "the censoring code '{censor_value}' does not occur in column '{}' \
                     (values seen: {}); if no row is censored (every outcome is known), \
                     say so: --no-censoring, or no_censoring = true in the request",
                    column.name(),
                    d.seen()
                ),
            ));
        }
        (Censoring::Absent, _, Some(row)) => {
            return Err(column
                .error(
                    row,
                    format!(
                        "has the censoring code '{censor_value}', but the analysis was told \
                         that no row is censored (--no-censoring)"
                    ),
                )
                .into());
        }
        _ => {}
    }
    let values = d.read(rows, &meaning);
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
    Ok(CompetingStatus {
        codes: levels
            .codes
            .iter()
            .map(|&k| code_of_level[k as usize])
            .collect(),
        causes,
        values,
    })
}

/// How an analysis read its file: rows dropped by reason and, for the
/// event or status column, what each value was read as. Plain data; the
/// commands print [`Reading::lines`] in tables and [`Reading::json`] in JSON.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// Rows dropped for a missing value.
    pub n_dropped: usize,
    /// Dropped rows by the first missing column ([`CompleteRows::dropped_by`]).
    pub dropped_by: Vec<(String, usize)>,
    /// The event or status column.
    pub column: String,
    /// Its values and how each was read.
    pub values: Vec<ValueRead>,
    /// Labels trimming merged ([`CompleteRows::merged_labels`]).
    pub merged_labels: Vec<MergedLabel>,
    /// Empty text cells by column ([`CompleteRows::empty_labels`]).
    pub empty_labels: Vec<(String, usize)>,
}

impl Reading {
    /// The reading of `column` over `complete`.
    pub fn new<R>(complete: &CompleteRows<R>, column: &str, values: Vec<ValueRead>) -> Reading {
        Reading {
            n_dropped: complete.n_dropped,
            dropped_by: complete.dropped_by.clone(),
            column: column.to_string(),
            values,
            merged_labels: complete.merged_labels.clone(),
            empty_labels: complete.empty_labels.clone(),
        }
    }

    /// Notes on labels read differently from R's `read.csv`: groups that
    /// trimming merged, and empty text cells read as missing. Empty when
    /// the file has neither (the usual case).
    pub fn label_notes(&self) -> Vec<String> {
        let quoted = |v: &[String]| {
            v.iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        let mut notes: Vec<String> = self
            .merged_labels
            .iter()
            .map(|m| {
                format!(
                    "note: column '{}': {} were read as one group '{}' ({} rows): surrounding \
                     spaces are trimmed (R's read.csv keeps them as separate groups)",
                    m.column,
                    quoted(&m.variants),
                    m.label,
                    m.cells
                )
            })
            .collect();
        notes.extend(self.empty_labels.iter().map(|(c, n)| {
            format!(
                "note: column '{c}': {n} empty {} read as missing (R's read.csv would make them \
                 a group \"\")",
                if *n == 1 { "cell" } else { "cells" }
            )
        }));
        notes
    }

    /// The JSON of [`Reading::label_notes`]: `merged_labels`
    /// (`[{"column", "label", "variants", "rows"}]`) and `empty_labels`
    /// (`{"column": n}`).
    pub fn label_notes_json(&self) -> (serde_json::Value, serde_json::Value) {
        let merged: Vec<serde_json::Value> = self
            .merged_labels
            .iter()
            .map(|m| {
                serde_json::json!({
                    "column": m.column, "label": m.label, "variants": m.variants, "rows": m.cells
                })
            })
            .collect();
        let empty: serde_json::Map<String, serde_json::Value> = self
            .empty_labels
            .iter()
            .map(|(c, n)| (c.clone(), serde_json::json!(n)))
            .collect();
        (
            serde_json::Value::Array(merged),
            serde_json::Value::Object(empty),
        )
    }

    /// Table lines: "status read as: '2' event (n = 40), '1' censored
    /// (n = 60)" and "rows dropped (missing values): 3 (first missing: time 1,
    /// status 2)".
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.values.is_empty() {
            let parts: Vec<String> = self
                .values
                .iter()
                .map(|v| format!("'{}' {} (n = {})", v.value, v.read_as, v.n))
                .collect();
            lines.push(format!("{} read as: {}", self.column, parts.join(", ")));
        }
        lines.push(self.dropped_line());
        lines.extend(self.label_notes());
        lines
    }

    /// "rows dropped (missing values): 3 (first missing: time 1, status 2)".
    pub fn dropped_line(&self) -> String {
        let mut line = format!("rows dropped (missing values): {}", self.n_dropped);
        if !self.dropped_by.is_empty() {
            let parts: Vec<String> = self
                .dropped_by
                .iter()
                .map(|(c, n)| format!("{c} {n}"))
                .collect();
            line.push_str(&format!(" (first missing: {})", parts.join(", ")));
        }
        line
    }

    /// The JSON fields this adds to every analysis: `dropped_by`
    /// (`{"time": 1}`) and `values_read` (`[{"value", "read_as", "n"}]`).
    pub fn json(&self) -> (serde_json::Value, serde_json::Value) {
        let dropped: serde_json::Map<String, serde_json::Value> = self
            .dropped_by
            .iter()
            .map(|(c, n)| (c.clone(), serde_json::json!(n)))
            .collect();
        (
            serde_json::Value::Object(dropped),
            serde_json::to_value(&self.values).unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(err: &AnalysisError) -> &CellError {
        match err {
            AnalysisError::Data(netra_frame::FrameError::Cell(c)) => c,
            other => panic!("not a cell error: {other}"),
        }
    }

    fn frame(text: &str) -> Frame {
        Frame::from_reader("d.csv", text.as_bytes(), None).unwrap()
    }

    fn events(
        column: Column<'_>,
        rows: &[usize],
        coding: &EventCoding,
    ) -> Result<Vec<bool>, AnalysisError> {
        Ok(read_events(column, rows, coding)?.events)
    }

    #[test]
    fn labels_merged_by_trimming_are_noted_for_used_columns_only() {
        let f = frame("t,e,g,h\n1,1,a,x\n2,0,a ,x \n3,1,,x\n");
        let c = complete_rows::<usize>(&f, &["t", "e", "g"]).unwrap();
        assert_eq!(c.merged_labels.len(), 1);
        assert_eq!(c.merged_labels[0].variants, vec!["a", "a "]);
        assert_eq!(c.empty_labels, vec![("g".to_string(), 1)]);
        let r = Reading::new(&c, "e", Vec::new());
        let notes = r.label_notes();
        assert_eq!(notes.len(), 2);
        assert!(notes[0].starts_with("note: column 'g': 'a' and 'a ' were read as one group 'a'"));
        assert!(
            r.lines()
                .iter()
                .any(|l| l.contains("1 empty cell read as missing"))
        );
        let (merged, empty) = r.label_notes_json();
        assert_eq!(merged[0]["rows"], 2);
        assert_eq!(empty, serde_json::json!({"g": 1}));
        // Column h (merged too) is not used: nothing about it.
        assert!(!notes.iter().any(|n| n.contains("'h'")));
    }

    #[test]
    fn column_numbers_parse_once_and_type_the_whole_column() {
        let f = frame("x,y\n1.5,a\nNA,2\n-3e2,\n");
        assert_eq!(
            column_numbers(f.column("x").unwrap()),
            Ok(vec![Some(1.5), None, Some(-300.0)])
        );
        // The first text cell, as first_text_row finds it.
        let y = f.column("y").unwrap();
        assert_eq!(column_numbers(y), Err(0));
        assert_eq!(first_text_row(y), Some(0));
        let inf = frame("x\n1\ninf\n");
        assert_eq!(column_numbers(inf.column("x").unwrap()), Err(1));
    }

    /// Row lists of `u32` and of `usize` read random files alike: the same
    /// rows, drops, times, events, factor levels and codes, competing
    /// status, and the same errors.
    #[test]
    fn u32_and_usize_rows_read_alike() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let groups = ["a", "b", "c", "NA", "10", "2", "", "B"];
        for case in 0..300 {
            let mut text = String::from("t,e,g\n");
            for _ in 0..1 + next() % 60 {
                let t = match next() % 10 {
                    0 => "NA".to_string(),
                    1 => format!("{}.5", next() % 100),
                    2 if case % 7 == 0 => "-1".to_string(),
                    _ => format!("{}", next() % 50),
                };
                let e = ["0", "1", "1", "NA", "", "2"]
                    [(next() % 5 + u64::from(case % 11 == 0)) as usize];
                let g = groups[(next() % if case % 2 == 0 { 3 } else { 8 }) as usize];
                text.push_str(&format!("{t},{e},{g}\n"));
            }
            let f = frame(&text);
            let columns = ["t", "e", "g"];
            let (wide, narrow) = (
                complete_rows::<usize>(&f, &columns),
                complete_rows::<u32>(&f, &columns),
            );
            let (wide, narrow) = match (wide, narrow) {
                (Ok(w), Ok(n)) => (w, n),
                (w, n) => {
                    assert_eq!(format!("{w:?}"), format!("{n:?}"), "{text}");
                    continue;
                }
            };
            let widened: Vec<usize> = narrow.rows.iter().map(|&r| r as usize).collect();
            assert_eq!(widened, wide.rows);
            assert_eq!(narrow.n_dropped, wide.n_dropped);
            assert_eq!(narrow.dropped_by, wide.dropped_by);
            let (t, e, g) = (
                f.column("t").unwrap(),
                f.column("e").unwrap(),
                f.column("g").unwrap(),
            );
            let same = |a: String, b: String| assert_eq!(a, b, "{text}");
            same(
                format!("{:?}", times(t, &wide.rows)),
                format!("{:?}", times(t, &narrow.rows)),
            );
            let coding = EventCoding::default();
            same(
                format!("{:?}", read_events(e, &wide.rows, &coding)),
                format!("{:?}", read_events(e, &narrow.rows, &coding)),
            );
            same(
                format!("{:?}", factor(g, &wide.rows)),
                format!("{:?}", factor(g, &narrow.rows)),
            );
            same(
                format!(
                    "{:?}",
                    competing_status(e, &wide.rows, "0", Censoring::Expected)
                ),
                format!(
                    "{:?}",
                    competing_status(e, &narrow.rows, "0", Censoring::Expected)
                ),
            );
        }
    }

    #[test]
    fn drops_rows_missing_a_used_column() {
        let f = frame("t,e,g\n1,1,a\nNA,0,b\n3,,a\n4,1,\n");
        let c = complete_rows::<usize>(&f, &["t", "e"]).unwrap();
        assert_eq!(c.rows, vec![0, 3]);
        assert_eq!(c.n_dropped, 2);
    }

    #[test]
    fn negative_time_is_an_error_with_position() {
        let f = frame("t,e\n1,1\n-2,0\n");
        let c = complete_rows::<usize>(&f, &["t", "e"]).unwrap();
        let err = times(f.column("t").unwrap(), &c.rows).unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.reason, "a time cannot be negative");
    }

    #[test]
    fn r_default_codings() {
        let f = frame("e\n0\n1\n1.0\n");
        let c = complete_rows::<usize>(&f, &["e"]).unwrap();
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
        assert_eq!(cell(&err).line, 3);
        let f = frame("e\n0\n2\n");
        assert!(events(f.column("e").unwrap(), &[0, 1], &EventCoding::default()).is_err());
    }

    #[test]
    fn negative_weight_is_an_error() {
        let f = frame("w\n1.5\n-1\n");
        let err = weights(f.column("w").unwrap(), &[0usize, 1]).unwrap_err();
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
        assert_eq!(cell(&err).line, 4);
    }

    #[test]
    fn factor_orders_numbers_numerically() {
        let f = frame("g\n10\n2\n1.0\n1\n2\n");
        let lv = factor(f.column("g").unwrap(), &[0usize, 1, 2, 3, 4]);
        assert_eq!(lv.levels, vec!["1.0", "2", "10"]);
        assert_eq!(lv.values, Some(vec![1.0, 2.0, 10.0]));
        assert_eq!(lv.codes, vec![2, 1, 0, 0, 1]);
    }

    #[test]
    fn factor_orders_text_as_r_in_a_utf8_locale() {
        let f = frame("g\nObs\nLev+5FU\nLev\nb\nB\na\n");
        let lv = factor(f.column("g").unwrap(), &[0usize, 1, 2, 3, 4, 5]);
        assert_eq!(lv.levels, vec!["a", "b", "B", "Lev", "Lev+5FU", "Obs"]);
        assert_eq!(lv.values, None);
        assert_eq!(lv.codes, vec![5, 4, 3, 1, 2, 0]);
    }

    #[test]
    fn competing_status_codes() {
        let f = frame("s\ndeath\ncensor\npcm\ndeath\n");
        let st = competing_status(
            f.column("s").unwrap(),
            &[0usize, 1, 2, 3],
            "censor",
            Censoring::Expected,
        )
        .unwrap();
        assert_eq!(st.causes, vec!["death", "pcm"]);
        assert_eq!(st.codes, vec![1, 0, 2, 1]);
        assert_eq!(st.code_of("pcm"), Some(2));
        assert_eq!(st.code_of("relapse"), None);
        let f = frame("s\n2\n0.0\n1\n");
        let st = competing_status(
            f.column("s").unwrap(),
            &[0usize, 1, 2],
            "0",
            Censoring::Expected,
        )
        .unwrap();
        assert_eq!(st.causes, vec!["1", "2"]);
        assert_eq!(st.codes, vec![2, 0, 1]);
        assert_eq!(st.code_of("2.0"), Some(2));
    }

    // Issue 13: decisions on the whole column, as R makes them.

    #[test]
    fn one_two_coding_is_decided_on_the_whole_column() {
        // The only 2 is in row 3, dropped for a missing time: R's Surv() still
        // sees it and reads the column as 1 = censored, 2 = event.
        let f = frame("t,e\n1,1\n2,1\n3,1\nNA,2\n");
        let c = complete_rows::<usize>(&f, &["t", "e"]).unwrap();
        let e = events(f.column("e").unwrap(), &c.rows, &EventCoding::default()).unwrap();
        assert_eq!(e, vec![false, false, false]);
    }

    #[test]
    fn a_text_cell_in_a_dropped_row_makes_the_column_text() {
        // read.csv makes the column character because of "x": levels sort as
        // text ("10" before "2"), not as numbers.
        let f = frame("t,g\n1,2\n2,10\nNA,x\n");
        let c = complete_rows::<usize>(&f, &["t", "g"]).unwrap();
        let lv = factor(f.column("g").unwrap(), &c.rows);
        assert_eq!(lv.levels, vec!["10", "2"]);
        assert_eq!(lv.values, None);
    }

    #[test]
    fn a_code_matching_only_without_case_is_an_error_listing_values() {
        let f = frame("e\ndead\nDead\nalive\n");
        let coding = EventCoding {
            event_value: Some("dead".into()),
            censor_value: None,
        };
        let err = events(f.column("e").unwrap(), &[0, 1, 2], &coding).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(
            text.contains("'Dead' (1)") && text.contains("'alive' (1)"),
            "{text}"
        );
    }

    #[test]
    fn a_code_that_never_occurs_is_an_error_listing_values() {
        let f = frame("e\n1\n0\n2\n");
        let coding = EventCoding {
            event_value: Some("1".into()),
            censor_value: Some("9".into()),
        };
        let err = events(f.column("e").unwrap(), &[0, 1, 2], &coding).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("'9' does not occur"), "{text}");
        let coding = EventCoding {
            event_value: Some("dead".into()),
            censor_value: None,
        };
        let err = events(f.column("e").unwrap(), &[0, 1, 2], &coding).unwrap_err();
        assert!(err.to_string().contains("'dead' does not occur"), "{err}");
    }

    #[test]
    fn dropped_rows_are_counted_by_first_missing_column() {
        let f = frame("t,e,g\nNA,1,a\n2,,\n3,0,\n4,1,b\n");
        let c = complete_rows::<usize>(&f, &["t", "e", "g"]).unwrap();
        assert_eq!(c.rows, vec![3]);
        assert_eq!(
            c.dropped_by,
            vec![
                ("t".to_string(), 1),
                ("e".to_string(), 1),
                ("g".to_string(), 1)
            ]
        );
        assert_eq!(
            Reading::new(&c, "e", Vec::new()).dropped_line(),
            "rows dropped (missing values): 3 (first missing: t 1, e 1, g 1)"
        );
    }

    #[test]
    fn values_read_are_counted_over_analysed_rows() {
        let f = frame("t,e\n1,1\n2,2\n3,1.0\nNA,2\n");
        let c = complete_rows::<usize>(&f, &["t", "e"]).unwrap();
        let read = read_events(f.column("e").unwrap(), &c.rows, &EventCoding::default()).unwrap();
        assert_eq!(read.events, vec![false, true, false]);
        let summary: Vec<(&str, &str, usize)> = read
            .values
            .iter()
            .map(|v| (v.value.as_str(), v.read_as, v.n))
            .collect();
        assert_eq!(summary, vec![("1", "censored", 2), ("2", "event", 1)]);
    }

    #[test]
    fn competing_censor_code_must_occur() {
        let f = frame("s\n1\n2\n0\n");
        let err = competing_status(
            f.column("s").unwrap(),
            &[0usize, 1, 2],
            "9",
            Censoring::Expected,
        )
        .unwrap_err();
        assert!(err.to_string().contains("'9' does not occur"), "{err}");
        let f = frame("s\ndeath\nCensor\n");
        let err = competing_status(
            f.column("s").unwrap(),
            &[0usize, 1],
            "censor",
            Censoring::Expected,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("only when case is ignored"),
            "{err}"
        );
    }
}
