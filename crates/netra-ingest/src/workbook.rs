//! Workbooks (`.xlsx`, `.ods`) read into the rows of text a one-row-per-
//! patient sheet is made of ([`crate::sheet`]), through `calamine`.
//!
//! Why a text grid: the sheet converter, its mapping and its messages are
//! the CSV sheet's, so a workbook must arrive as the text a user would have
//! saved as CSV. Typed cells become that text here:
//! * **dates** stored as Excel serials (a number with a date format) are
//!   converted by the workbook's own date system — the 1900 system, with
//!   Lotus' phantom 1900-02-29 (serial 60) refused rather than shifted, or
//!   the 1904 system of old Mac workbooks (`date1904`) — and written in the
//!   mapping's `date_format`, so that they pass the same date reader as dates
//!   typed as text (`10/03/2015` with `date_format = "dmy"`). ODS stores
//!   dates as ISO text (`office:date-value`), read the same way;
//! * **numbers** in their shortest exact decimal form (`12.5`, `8`);
//! * **booleans** as `TRUE`/`FALSE` (what a CSV export writes);
//! * a **formula error** (`#N/A`, `#DIV/0!`) is refused: its value is lost.
//!
//! Every problem is located the way the user finds it in the workbook: the
//! sheet, the cell in A1 style and the column's header
//! (`patients.xlsx, sheet Patients, cell D5 (ki67): …`). The row numbers of
//! the grid are the sheet's own, so the converter's "line" is the sheet's
//! row.

use std::io::Cursor;

use calamine::{Data, Ods, Range, Reader, Xlsx};

use crate::issue::{Issue, Issues};
use crate::mapping::DateFormat;
use crate::redcap::Input;

/// The workbook formats read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Office Open XML (`.xlsx`, `.xlsm`).
    Xlsx,
    /// OpenDocument spreadsheet (`.ods`).
    Ods,
}

impl Format {
    /// The format a file name's extension says, if it is a workbook.
    pub fn of_name(name: &str) -> Option<Format> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "xlsx" | "xlsm" => Some(Format::Xlsx),
            "ods" => Some(Format::Ods),
            _ => None,
        }
    }
}

/// One sheet of a workbook as rows of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// How messages name the sheet: `patients.xlsx, sheet Patients`.
    pub file: String,
    /// The sheet row of the header.
    pub header_line: u64,
    /// The header (the first non-empty row), trimmed.
    pub header: Vec<String>,
    /// The data rows below it: the sheet's 1-based row number, then one
    /// text per header column (empty: no value).
    pub rows: Vec<(u64, Vec<String>)>,
    /// Where the grid sits in the sheet.
    pub cells: Cells,
}

/// The place of a grid in its sheet: turns a grid column (1-based) and a
/// row into the cell's A1 name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cells {
    /// 0-based sheet column of the grid's first column (0 = column A).
    pub first_column: usize,
}

impl Cells {
    /// The A1 name of grid column `column` (1-based) in sheet row `row`.
    pub fn name(&self, column: usize, row: u64) -> String {
        format!(
            "{}{row}",
            column_letters(self.first_column + column.saturating_sub(1))
        )
    }
}

/// The letters of a 0-based column (`0` → `A`, `25` → `Z`, `26` → `AA`).
pub fn column_letters(mut column: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Reads sheet `sheet` (default: the first) of a workbook.
pub fn read(
    input: Input<'_>,
    format: Format,
    sheet: Option<&str>,
    dates: DateFormat,
) -> Result<Grid, Issues> {
    // calamine parses untrusted zip and XML; should it ever panic on a
    // damaged file, the file is refused like any other unreadable one.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_unguarded(input, format, sheet, dates)
    }))
    .unwrap_or_else(|_| {
        Err(Issues::from(Issue::file(
            input.name,
            "not a readable workbook (the reader failed on a damaged file)",
        )))
    })
}

fn read_unguarded(
    input: Input<'_>,
    format: Format,
    sheet: Option<&str>,
    dates: DateFormat,
) -> Result<Grid, Issues> {
    let whole = |reason: String| Issues::from(Issue::file(input.name, reason));
    let cursor = Cursor::new(input.bytes.to_vec());
    let (names, range) = match format {
        Format::Xlsx => {
            let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(cursor)
                .map_err(|e| whole(format!("not a readable .xlsx workbook: {e}")))?;
            let names = wb.sheet_names();
            let name = pick(input.name, &names, sheet)?;
            let range = wb
                .worksheet_range(&name)
                .map_err(|e| whole(format!("cannot read sheet {name}: {e}")))?;
            (name, range)
        }
        Format::Ods => {
            let mut wb: Ods<_> = calamine::open_workbook_from_rs(cursor)
                .map_err(|e| whole(format!("not a readable .ods workbook: {e}")))?;
            let names = wb.sheet_names();
            let name = pick(input.name, &names, sheet)?;
            let range = wb
                .worksheet_range(&name)
                .map_err(|e| whole(format!("cannot read sheet {name}: {e}")))?;
            (name, range)
        }
    };
    grid(input.name, &names, &range, dates)
}

/// The sheet to read: the one named, or the first.
fn pick(file: &str, names: &[String], wanted: Option<&str>) -> Result<String, Issues> {
    match wanted {
        None => names.first().cloned().ok_or_else(|| {
            Issues::from(Issue::file(file, "the workbook has no sheet".to_string()))
        }),
        Some(w) => names.iter().find(|n| *n == w).cloned().ok_or_else(|| {
            Issues::from(Issue::file(
                file,
                format!(
                    "no sheet named '{w}' (the workbook's sheets: {})",
                    names.join(", ")
                ),
            ))
        }),
    }
}

/// The text grid of a sheet's range.
fn grid(file: &str, sheet: &str, range: &Range<Data>, dates: DateFormat) -> Result<Grid, Issues> {
    let file = format!("{file}, sheet {sheet}");
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let at = Cells {
        first_column: col0 as usize,
    };
    let mut issues = Issues::default();
    // Every non-empty row as text, with its sheet row number.
    let mut texts: Vec<(u64, Vec<String>)> = Vec::new();
    for (i, r) in range.rows().enumerate() {
        let line = u64::from(row0) + i as u64 + 1;
        let mut row = Vec::with_capacity(r.len());
        for (j, c) in r.iter().enumerate() {
            match text(c, dates) {
                Ok(t) => row.push(t),
                Err(reason) => {
                    let name = texts
                        .first()
                        .and_then(|(_, h)| h.get(j))
                        .filter(|h| !h.is_empty())
                        .map_or(String::new(), |h| format!(" ({h})"));
                    issues.push(Issue {
                        column: Some(format!("cell {}{name}", at.name(j + 1, line))),
                        value: Some(raw(c)),
                        ..Issue::file(&file, reason)
                    });
                    row.push(String::new());
                }
            }
        }
        if row.iter().any(|t| !t.is_empty()) {
            texts.push((line, row));
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    // Leading empty columns (a table that starts in column C) are not the
    // sheet's first column.
    let skip = texts
        .iter()
        .filter_map(|(_, r)| r.iter().position(|t| !t.is_empty()))
        .min()
        .unwrap_or(0);
    let cells = Cells {
        first_column: at.first_column + skip,
    };
    let mut rows_iter = texts
        .into_iter()
        .map(|(line, r)| (line, r.into_iter().skip(skip).collect::<Vec<_>>()));
    let Some((header_line, mut header)) = rows_iter.next() else {
        return Err(Issues::from(Issue::file(
            &file,
            "the sheet is empty (a header row of column names is needed)",
        )));
    };
    while header.last().is_some_and(String::is_empty) {
        header.pop();
    }
    let mut rows = Vec::new();
    for (line, mut r) in rows_iter {
        for (j, v) in r.iter().enumerate().skip(header.len()) {
            if !v.is_empty() {
                issues.push(Issue {
                    column: Some(format!("cell {}", cells.name(j + 1, line))),
                    value: Some(v.clone()),
                    ..Issue::file(
                        &file,
                        "a value in a column without a name in the header row",
                    )
                });
            }
        }
        r.resize(header.len(), String::new());
        rows.push((line, r));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    Ok(Grid {
        file,
        header_line,
        header,
        rows,
        cells,
    })
}

/// A cell as it shows in a message.
fn raw(c: &Data) -> String {
    match c {
        Data::Error(e) => e.to_string(),
        Data::DateTime(d) => d.as_f64().to_string(),
        other => other.to_string(),
    }
}

/// A number in its shortest exact decimal form, integers without `.0`.
fn number(x: f64) -> String {
    if x == 0.0 { "0".into() } else { format!("{x}") }
}

/// A cell as the text a CSV export of it would hold.
fn text(c: &Data, dates: DateFormat) -> Result<String, String> {
    Ok(match c {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(x) => number(*x),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.into(),
        Data::DateTime(d) if d.is_duration() => number(d.as_f64()),
        Data::DateTime(d) => {
            // The workbook's date system is known only to calamine, which
            // applies it in `to_ymd_hms_milli`; the serial is checked here.
            let serial = d.as_f64();
            let (y, m, day, ..) = d.to_ymd_hms_milli();
            if !serial.is_finite() || serial < 0.0 {
                return Err("a date cell with a negative serial number is not a date".into());
            }
            if (y, m, day) == (1900, 2, 29) {
                return Err(
                    "1900-02-29 does not exist (Excel's 1900 leap-year bug: serial 60); type the date as text"
                        .into(),
                );
            }
            if y < 1900 || day == 0 {
                return Err("a date cell before 1900-01-01 is not a date".into());
            }
            write_date(y.into(), m.into(), day.into(), dates)
        }
        Data::DateTimeIso(s) => {
            // ODS: `2015-03-10` or `2015-03-10T08:30:00`.
            let date = s.split('T').next().unwrap_or("");
            let parts: Vec<&str> = date.split('-').collect();
            match parts.as_slice() {
                [y, m, d] => match (y.parse(), m.parse(), d.parse()) {
                    (Ok(y), Ok(m), Ok(d)) => write_date(y, m, d, dates),
                    _ => return Err("an unreadable date value".into()),
                },
                _ => return Err("an unreadable date value".into()),
            }
        }
        Data::DurationIso(s) => s.clone(),
        Data::Error(_) => {
            return Err(
                "the cell holds a formula error; its value is lost (fix the formula or type the value)"
                    .into(),
            );
        }
    })
}

/// A date written in the mapping's `date_format`, so that the sheet's date
/// reader (the one of text dates) reads it back.
fn write_date(y: i32, m: u32, d: u32, dates: DateFormat) -> String {
    match dates {
        DateFormat::Ymd => format!("{y:04}-{m:02}-{d:02}"),
        DateFormat::Dmy => format!("{d:02}/{m:02}/{y:04}"),
        DateFormat::Mdy => format!("{m:02}/{d:02}/{y:04}"),
    }
}

/// Rewrites the converter's problems of a workbook's grid (line = sheet
/// row, column number = grid column) into cells: `sheet S, cell D5 (ki67)`.
pub fn in_cells(issues: Issues, grid_file: &str, cells: Cells) -> Issues {
    Issues {
        list: issues
            .list
            .into_iter()
            .map(|mut i| {
                if i.file != grid_file {
                    return i;
                }
                i.reason = i
                    .reason
                    .replace(", the last on line ", ", the last in row ");
                match (i.line, i.column_number) {
                    (Some(row), Some(col)) => {
                        let name = i.column.take().map_or(String::new(), |n| format!(" ({n})"));
                        i.column = Some(format!("cell {}{name}", cells.name(col, row)));
                        i.line = None;
                        i.column_number = None;
                    }
                    (Some(row), None) => {
                        let rest = i.column.take().map_or(String::new(), |n| format!(", {n}"));
                        i.column = Some(format!("row {row}{rest}"));
                        i.line = None;
                    }
                    _ => {}
                }
                i
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_lettered_as_spreadsheets_do() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(27), "AB");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
        assert_eq!(Cells { first_column: 2 }.name(2, 7), "D7");
    }

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::of_name("a.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::of_name("b.ods"), Some(Format::Ods));
        assert_eq!(Format::of_name("c.csv"), None);
        assert_eq!(Format::of_name("xlsx"), None);
    }

    #[test]
    fn numbers_are_written_in_their_shortest_exact_form() {
        assert_eq!(number(8.0), "8");
        assert_eq!(number(12.5), "12.5");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(0.1 + 0.2), "0.30000000000000004");
    }
}
