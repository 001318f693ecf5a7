//! Named text columns read from a delimited file, with errors that point at
//! the cell.
//!
//! # Brief overview
//!
//! * [`Frame`] holds the columns of one CSV (or TSV) file that an analysis
//!   asked for, as text, together with the physical line each row came from.
//! * [`Column`] reads one of those columns as text or as numbers, telling
//!   missing cells (empty, `NA`, `NaN`) apart from malformed ones.
//! * [`CellError`] names the file, line, column and reason, which is what a
//!   data manager needs to fix a spreadsheet.
//!
//! Only the requested columns are kept: a registry export can have hundreds of
//! columns and ten million rows, and an analysis uses three of them. While it
//! is parsed the whole file is held in memory (and freed before the frame is
//! assembled): a file without quote characters is cut at line ends and read
//! on every core (`read`), one with quotes in one pass of the csv crate
//! (`csv_path`). A column with few distinct cells (an event, a group) is
//! kept as a code per row ([`Column::codes`]), a numeric one whose cells
//! are their numbers written out (times in days) as numbers alone (its
//! text is written back if asked for), any other as packed text with
//! 4-byte offsets; every column is typed on all its cells while read, and
//! a numeric one keeps each row's number ([`Column::numbers`]), so the
//! analyses neither parse nor compare a cell again (`store`). Files larger
//! than memory belong to the DataFusion engine (`--engine datafusion`), not
//! here.
//!
//! # Example
//!
//! ```
//! use netra_frame::Frame;
//!
//! let csv = "time,status,arm\n5,1,A\n8,0,B\nNA,1,A\n";
//! let frame = Frame::from_reader("trial.csv", csv.as_bytes(), Some(&["time", "arm"])).unwrap();
//! let time = frame.column("time").unwrap();
//! assert_eq!(time.number(0).unwrap(), Some(5.0));
//! assert_eq!(time.number(2).unwrap(), None); // NA is missing, not an error
//! assert_eq!(frame.column("arm").unwrap().text(1), Some("B"));
//! assert_eq!(frame.line(1), 3); // the header is line 1
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::io::Read;
use std::path::Path;

mod csv_path;
mod read;
mod store;

use store::{Cells, ColumnReader, Lines, TextColumn};

/// Why a file could not be read into a [`Frame`], or why a cell could not be
/// used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FrameError {
    /// The file could not be opened or read.
    #[error("{source_name}: cannot read: {reason}")]
    Io {
        /// File name as the user gave it.
        source_name: String,
        /// The operating system's message.
        reason: String,
    },
    /// The file is not well-formed delimited text.
    #[error("{source_name}, line {line}: {reason}")]
    Malformed {
        /// File name as the user gave it.
        source_name: String,
        /// Physical line (1 = header).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A requested column is not in the header.
    #[error(
        "{source_name}: no column named '{column}'{} (columns are: {available})",
        did_you_mean.as_ref().map(|n| format!("; did you mean '{n}'?")).unwrap_or_default()
    )]
    UnknownColumn {
        /// File name as the user gave it.
        source_name: String,
        /// The missing column.
        column: String,
        /// The header, comma-separated, to spot a typo.
        available: String,
        /// The header's name nearest to `column` ([`nearest`]), when it
        /// looks like a misspelling of it (`tiem` → `time`, `Sex` → `sex`).
        did_you_mean: Option<String>,
    },
    /// The file is not delimited text netra can read (a spreadsheet, a
    /// semicolon-separated export); the reason says what to do instead.
    #[error("{source_name}: {reason}")]
    WrongFormat {
        /// File name as the user gave it.
        source_name: String,
        /// What the file is and how to turn it into a CSV netra reads.
        reason: String,
    },
    /// The file has a header but no data rows.
    #[error("{source_name}: no data rows")]
    Empty {
        /// File name as the user gave it.
        source_name: String,
    },
    /// One cell holds a value that cannot be used.
    #[error(transparent)]
    Cell(#[from] CellError),
}

/// A cell that cannot be used, located the way a person finds it in a
/// spreadsheet: file, line, column.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "{source_name}, line {line}, column {column_number} ({column}): {reason} (value '{value}')"
)]
pub struct CellError {
    /// File name as the user gave it.
    pub source_name: String,
    /// Physical line in the file (the header is line 1).
    pub line: u64,
    /// Column name from the header.
    pub column: String,
    /// 1-based column position in the file.
    pub column_number: usize,
    /// The offending text.
    pub value: String,
    /// Why it cannot be used.
    pub reason: String,
}

/// The requested columns of one delimited file, as text.
#[derive(Debug, Clone)]
pub struct Frame {
    source_name: String,
    columns: Vec<TextColumn>,
    lines: Lines,
}

/// Two or more labels of a text column that differ only by surrounding
/// spaces and so became one group when the cells were trimmed (R's
/// `read.csv` keeps them apart: `"Male"` and `"Male "` are two levels).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedLabel {
    /// The column.
    pub column: String,
    /// The label after trimming (the one group netra makes).
    pub label: String,
    /// The distinct forms in the file, in sort order (`"Male"`, `"Male "`).
    pub variants: Vec<String>,
    /// Cells holding any of them.
    pub cells: usize,
}

/// Cells that mean "no value". R's `read.csv` treats `NA` as missing and an
/// empty numeric cell as `NA`; spreadsheets write `NaN` for failed formulas.
pub const MISSING_TOKENS: [&str; 3] = ["", "NA", "NaN"];

/// Returns true when `text` (already trimmed) denotes a missing value.
pub fn is_missing(text: &str) -> bool {
    MISSING_TOKENS.contains(&text)
}

impl Frame {
    /// Reads `path`, keeping only `wanted` columns (all columns when `None`).
    /// A `.tsv` or `.tab` extension selects tab as the delimiter, otherwise comma.
    pub fn read(path: &Path, wanted: Option<&[&str]>) -> Result<Frame, FrameError> {
        let name = path.display().to_string();
        let data = std::fs::read(path).map_err(|e| FrameError::Io {
            source_name: name.clone(),
            reason: e.to_string(),
        })?;
        let delimiter = match path.extension().and_then(|e| e.to_str()) {
            Some("tsv") | Some("tab") => b'\t',
            _ => b',',
        };
        read::frame_of(&name, data, wanted, delimiter, threads(), read::MIN_PART)
    }

    /// Reads comma-separated text from any reader; `source_name` is used in
    /// error messages.
    pub fn from_reader<R: Read>(
        source_name: &str,
        reader: R,
        wanted: Option<&[&str]>,
    ) -> Result<Frame, FrameError> {
        Self::from_reader_with_delimiter(source_name, reader, wanted, b',')
    }

    /// Reads delimited text with an explicit delimiter byte.
    pub fn from_reader_with_delimiter<R: Read>(
        source_name: &str,
        mut reader: R,
        wanted: Option<&[&str]>,
        delimiter: u8,
    ) -> Result<Frame, FrameError> {
        let mut data = Vec::new();
        reader.read_to_end(&mut data).map_err(|e| FrameError::Io {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })?;
        read::frame_of(
            source_name,
            data,
            wanted,
            delimiter,
            threads(),
            read::MIN_PART,
        )
    }

    /// File name as given, for messages.
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// Number of data rows.
    pub fn n_rows(&self) -> usize {
        self.lines.len()
    }

    /// Physical line in the file of data row `row` (0-based); the header is line 1.
    pub fn line(&self, row: usize) -> u64 {
        self.lines.line(row)
    }

    /// Names of the columns kept, in file order of the request.
    pub fn column_names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|c| c.name.as_str())
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Result<Column<'_>, FrameError> {
        self.columns
            .iter()
            .find(|c| c.name == name)
            .map(|data| Column { frame: self, data })
            .ok_or_else(|| {
                let names: Vec<&str> = self.column_names().collect();
                FrameError::UnknownColumn {
                    source_name: self.source_name.clone(),
                    column: name.to_string(),
                    available: names.join(", "),
                    did_you_mean: nearest(name, &names).map(str::to_string),
                }
            })
    }
}

/// A view of one column of a [`Frame`].
#[derive(Debug, Clone, Copy)]
pub struct Column<'a> {
    frame: &'a Frame,
    data: &'a TextColumn,
}

impl<'a> Column<'a> {
    /// Column name from the header.
    pub fn name(&self) -> &'a str {
        &self.data.name
    }

    /// File name as given, for messages.
    pub fn source_name(&self) -> &'a str {
        &self.frame.source_name
    }

    /// Number of rows (all data rows of the frame).
    pub fn len(&self) -> usize {
        self.frame.n_rows()
    }

    /// True when the frame has no data rows (never for a frame that was read).
    pub fn is_empty(&self) -> bool {
        self.frame.n_rows() == 0
    }

    /// The trimmed cell text, or `None` when the cell is missing.
    pub fn text(&self, row: usize) -> Option<&'a str> {
        if let Cells::Numbers { numbers, .. } = &self.data.cells
            && numbers[row].is_nan()
        {
            // A column kept as numbers: missing, without writing its text.
            return None;
        }
        let cell = self.data.cell(row);
        (!is_missing(cell)).then_some(cell)
    }

    /// Labels that trimming merged: text values present in the file both
    /// with and without surrounding spaces, or with different spaces
    /// (`"Male"` and `"Male "`), which R's `read.csv` keeps as separate
    /// levels. Numbers are not labels (R reads `" 1"` as 1 too).
    pub fn merged_labels(&self) -> Vec<MergedLabel> {
        if self.data.spaced.is_empty() {
            return Vec::new();
        }
        let mut plain: std::collections::HashMap<&str, usize> =
            self.data.spaced.keys().map(|k| (k.as_str(), 0)).collect();
        for row in 0..self.len() {
            if let Some(n) = plain.get_mut(self.data.cell(row)) {
                *n += 1;
            }
        }
        self.data
            .spaced
            .iter()
            .filter_map(|(label, (forms, n_spaced))| {
                let total = plain.get(label.as_str()).copied().unwrap_or(0);
                let mut variants = forms.clone();
                if total > *n_spaced {
                    variants.push(label.clone());
                }
                variants.sort();
                (variants.len() > 1).then(|| MergedLabel {
                    column: self.name().to_string(),
                    label: label.clone(),
                    variants,
                    cells: total,
                })
            })
            .collect()
    }

    /// Cells that are empty (not `NA`) in a column holding text: R's
    /// `read.csv` reads them as the label `""` (a group of their own) where
    /// netra reads them as missing. 0 for a column of numbers, where both
    /// read an empty cell as missing. Counted while the file was read.
    pub fn empty_text_cells(&self) -> usize {
        let typing = &self.data.typing;
        if typing.first_unparsable.is_some() {
            typing.empty_cells
        } else {
            0
        }
    }

    /// Missing cells (empty, `NA`, `NaN`) in the whole column, counted
    /// while the file was read: a column without any needs no row checked.
    pub fn missing_cells(&self) -> usize {
        self.data.typing.missing_cells
    }

    /// The first row of the whole column (dropped rows too) whose present
    /// cell is not a finite number, if any: `None` means a numeric column,
    /// as R's `read.csv` types a column on all its cells. Found while the
    /// file was read, so typing a column costs nothing more.
    pub fn first_non_finite(&self) -> Option<usize> {
        self.data.typing.first_not_finite
    }

    /// The raw trimmed cell text, missing tokens included.
    pub fn raw(&self, row: usize) -> &'a str {
        self.data.cell(row)
    }

    /// The cell as a finite number; `Ok(None)` when missing. Infinite values
    /// and text are errors: no survival time or measurement is infinite.
    pub fn number(&self, row: usize) -> Result<Option<f64>, CellError> {
        let stored = self.data.stored_number(row);
        if stored.is_finite() {
            return Ok(Some(stored));
        }
        if let Cells::Numbers { .. } = &self.data.cells {
            // Every present cell of such a column is a finite number.
            return Ok(None);
        }
        let Some(cell) = self.text(row) else {
            return Ok(None);
        };
        match store::parse_number(cell) {
            Ok(v) if v.is_finite() => Ok(Some(v)),
            Ok(_) => Err(self.error(row, "an infinite value is not allowed")),
            Err(_) => Err(self.error(row, "not a number")),
        }
    }

    /// Every row's number, read once while the file was read, when the
    /// whole column is numeric ([`Column::first_non_finite`] is `None`);
    /// NaN marks a missing cell. For callers that read a column row by row
    /// (times, covariates): no text is looked at or parsed again.
    pub fn numbers(&self) -> Option<Numbers<'a>> {
        if self.data.typing.first_not_finite.is_some() {
            return None;
        }
        match &self.data.cells {
            Cells::Coded { codes, values, .. } => Some(Numbers::Coded { codes, values }),
            Cells::Text {
                numbers: Some(n), ..
            } => Some(Numbers::Rows(n)),
            Cells::Text { numbers: None, .. } => None,
            Cells::Numbers { numbers, .. } => Some(Numbers::Rows(numbers)),
        }
    }

    /// The column as a code per row into its distinct trimmed texts, when
    /// it has few (an event, a group, a stage: the frame codes a column
    /// while it holds at most a few hundred distinct texts per part of the
    /// file). For callers that group rows: each distinct text is compared,
    /// parsed or ordered once, not once per row.
    pub fn codes(&self) -> Option<Codes<'a>> {
        match &self.data.cells {
            Cells::Coded { codes, levels, .. } => Some(Codes { codes, levels }),
            Cells::Text { .. } | Cells::Numbers { .. } => None,
        }
    }

    /// An error about the cell in `row`, for callers that validate values
    /// (a negative time, an unknown code).
    pub fn error(&self, row: usize, reason: impl Into<String>) -> CellError {
        CellError {
            source_name: self.frame.source_name.clone(),
            line: self.frame.line(row),
            column: self.data.name.clone(),
            column_number: self.data.position,
            value: self.data.cell(row).to_string(),
            reason: reason.into(),
        }
    }
}

/// The numbers of a numeric column ([`Column::numbers`]), NaN where a cell
/// is missing.
#[derive(Debug, Clone, Copy)]
pub enum Numbers<'a> {
    /// One number per row.
    Rows(&'a [f64]),
    /// A code per row into the numbers of the column's distinct texts.
    Coded {
        /// The code of each row.
        codes: &'a [u32],
        /// The number of each distinct text (NaN: missing).
        values: &'a [f64],
    },
}

impl Numbers<'_> {
    /// The number of `row` (NaN when missing).
    #[inline]
    pub fn get(&self, row: usize) -> f64 {
        match self {
            Numbers::Rows(v) => v[row],
            Numbers::Coded { codes, values } => values[codes[row] as usize],
        }
    }
}

/// A column as a code per row into its distinct trimmed texts
/// ([`Column::codes`]).
#[derive(Debug, Clone, Copy)]
pub struct Codes<'a> {
    /// The code of each row: an index into `levels`.
    pub codes: &'a [u32],
    /// The distinct trimmed texts, in the order they first occur in the
    /// file; missing tokens (`""`, `NA`, `NaN`) are among them when they
    /// occur.
    pub levels: &'a [String],
}

/// What to do with a semicolon-separated file (the default Excel export
/// where the decimal separator is a comma).
const SEMICOLON_ADVICE: &str = "the columns are separated by semicolons, as Excel writes \
     CSV where the decimal separator is a comma (decimal commas such as 12,5 are not read as \
     numbers); save it as comma-separated values with decimal points (in R: \
     write.csv(read.csv2(\"FILE\"), \"FILE.csv\", row.names = FALSE)) and give netra that file";

/// Recognises spreadsheet files given in place of a CSV by their first
/// bytes: `.xlsx` and `.ods` are zip archives ("PK\x03\x04"), old `.xls`
/// files are OLE compound documents. Reading them is a later feature; until
/// then the message says how to export a CSV.
fn spreadsheet_signature(head: &[u8]) -> Option<String> {
    let kind = if head.starts_with(b"PK\x03\x04") {
        "a spreadsheet or other zip archive (.xlsx, .ods)"
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        "an old Excel spreadsheet (.xls)"
    } else {
        return None;
    };
    Some(format!(
        "this is {kind}, not a CSV file; open it and save the sheet as \
         \"CSV UTF-8 (comma delimited)\" (Excel) or \"Text CSV\" with comma separator \
         (LibreOffice), then give netra that file"
    ))
}

/// The first column name used twice, as an error naming both positions: a
/// duplicated name would otherwise resolve silently to the first column.
fn duplicated_name(header: &[String]) -> Option<String> {
    header.iter().enumerate().find_map(|(j, name)| {
        let i = header[..j]
            .iter()
            .position(|h| !h.is_empty() && h == name)?;
        Some(format!(
            "the column name '{name}' is used twice (columns {} and {}); rename one",
            i + 1,
            j + 1
        ))
    })
}

/// How many threads read a large file: every core, up to eight.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// A header cell as a column name: trimmed, without a byte-order mark.
fn header_name(h: &str) -> String {
    h.trim().trim_start_matches('\u{feff}').to_string()
}

/// Checks the header and finds the positions of the `wanted` columns (all
/// when `None`), each once.
fn select(
    source_name: &str,
    header: &[String],
    wanted: Option<&[&str]>,
    delimiter: u8,
) -> Result<Vec<usize>, FrameError> {
    let malformed = |reason: String| FrameError::Malformed {
        source_name: source_name.to_string(),
        line: 1,
        reason,
    };
    if header.iter().all(|h| h.is_empty()) {
        return Err(malformed("the header line is empty".into()));
    }
    if delimiter == b',' && header.len() == 1 && header[0].contains(';') {
        return Err(FrameError::WrongFormat {
            source_name: source_name.to_string(),
            reason: SEMICOLON_ADVICE.into(),
        });
    }
    if let Some(reason) = duplicated_name(header) {
        return Err(malformed(reason));
    }
    Ok(match wanted {
        None => (0..header.len()).collect(),
        Some(names) => {
            let mut idx = Vec::with_capacity(names.len());
            for name in names {
                let pos = header.iter().position(|h| h == name).ok_or_else(|| {
                    let names: Vec<&str> = header.iter().map(String::as_str).collect();
                    FrameError::UnknownColumn {
                        source_name: source_name.to_string(),
                        column: name.to_string(),
                        available: header.join(", "),
                        did_you_mean: nearest(name, &names).map(str::to_string),
                    }
                })?;
                if !idx.contains(&pos) {
                    idx.push(pos);
                }
            }
            idx
        }
    })
}

/// The frame of the pieces read; an error when there is no data row.
fn assemble(
    source_name: &str,
    header: &[String],
    selected: &[usize],
    pieces: Vec<Vec<ColumnReader>>,
    lines: Lines,
) -> Result<Frame, FrameError> {
    if lines.len() == 0 {
        return Err(FrameError::Empty {
            source_name: source_name.to_string(),
        });
    }
    Ok(Frame {
        source_name: source_name.to_string(),
        columns: read::columns(header, selected, pieces),
        lines,
    })
}

impl fmt::Display for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} rows)", self.source_name, self.n_rows())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_merged_by_trimming_are_listed() {
        let csv = "t,sex,grade\r\n1,Male,1\r\n2,Male ,2\r\n3, Female,3 \r\n4,Female,NA\r\n5,  Other  ,\r\n6,,1\r\n";
        let f = Frame::from_reader("d.csv", csv.as_bytes(), None).unwrap();
        let sex = f.column("sex").unwrap();
        let merged = sex.merged_labels();
        assert_eq!(
            merged,
            vec![
                MergedLabel {
                    column: "sex".into(),
                    label: "Female".into(),
                    variants: vec![" Female".into(), "Female".into()],
                    cells: 2,
                },
                MergedLabel {
                    column: "sex".into(),
                    label: "Male".into(),
                    variants: vec!["Male".into(), "Male ".into()],
                    cells: 2,
                },
            ]
        );
        // "  Other  " alone is only relabelled, not merged; numbers with
        // spaces (and the CR of CRLF line ends) are not labels.
        assert!(f.column("grade").unwrap().merged_labels().is_empty());
        assert!(f.column("t").unwrap().merged_labels().is_empty());
        assert_eq!(sex.empty_text_cells(), 1);
        assert_eq!(f.column("grade").unwrap().empty_text_cells(), 0);
    }

    fn frame(text: &str) -> Result<Frame, FrameError> {
        Frame::from_reader("t.csv", text.as_bytes(), None)
    }

    #[test]
    fn missing_tokens_are_missing_not_errors() {
        let f = frame("x,y\n,1\nNA,2\nNaN,3\n 3 ,4\n").unwrap();
        let x = f.column("x").unwrap();
        assert_eq!(x.number(0).unwrap(), None);
        assert_eq!(x.number(1).unwrap(), None);
        assert_eq!(x.number(2).unwrap(), None);
        assert_eq!(x.number(3).unwrap(), Some(3.0));
    }

    #[test]
    fn bad_number_names_line_and_column() {
        let f = frame("id,time\n1,4\n2,four\n").unwrap();
        let err = f.column("time").unwrap().number(1).unwrap_err();
        assert_eq!(err.line, 3);
        assert_eq!(err.column_number, 2);
        assert_eq!(err.column, "time");
        assert_eq!(
            err.to_string(),
            "t.csv, line 3, column 2 (time): not a number (value 'four')"
        );
    }

    #[test]
    fn infinite_is_rejected() {
        let f = frame("t\ninf\n").unwrap();
        assert!(f.column("t").unwrap().number(0).is_err());
    }

    #[test]
    fn unknown_column_lists_header() {
        let err = Frame::from_reader("t.csv", "a,b\n1,2\n".as_bytes(), Some(&["c"])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv: no column named 'c' (columns are: a, b)"
        );
    }

    #[test]
    fn unknown_column_suggests_a_misspelt_name() {
        let data = "time,status,sex\n1,2,f\n";
        for (given, hint) in [("tiem", "time"), ("Sex", "sex"), ("STATUS", "status")] {
            let err = Frame::from_reader("t.csv", data.as_bytes(), Some(&[given])).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "t.csv: no column named '{given}'; did you mean '{hint}'? \
                     (columns are: time, status, sex)"
                )
            );
        }
        let frame = Frame::from_reader("t.csv", data.as_bytes(), None).unwrap();
        let err = frame.column("ages").unwrap_err();
        assert!(!err.to_string().contains("did you mean"), "{err}");
    }

    #[test]
    fn nearest_prefers_the_same_name_in_another_case() {
        assert_eq!(nearest("Sex", &["sec", "sex"]), Some("sex"));
        assert_eq!(nearest("time", &["time"]), None);
        assert_eq!(nearest("age", &["grade", "site"]), None);
        assert_eq!(nearest("c", &["a", "b"]), None);
        assert_eq!(nearest("survivl", &["survival", "cox"]), Some("survival"));
        assert_eq!(edit_distance("tiem", "time"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }

    #[test]
    fn ragged_row_is_malformed_with_line() {
        let err = frame("a,b\n1,2\n3\n").unwrap_err();
        match err {
            FrameError::Malformed { line, reason, .. } => {
                assert_eq!(line, 3);
                assert_eq!(reason, "1 fields where the header has 2");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn header_only_is_empty() {
        assert!(matches!(
            frame("a,b\n").unwrap_err(),
            FrameError::Empty { .. }
        ));
    }

    #[test]
    fn quoted_fields_and_bom() {
        let f = frame("\u{feff}name,v\n\"Smith, J\",\"2\"\n").unwrap();
        assert_eq!(f.column("name").unwrap().text(0), Some("Smith, J"));
        assert_eq!(f.column("v").unwrap().number(0).unwrap(), Some(2.0));
    }

    #[test]
    fn invalid_utf8_is_reported() {
        let bytes: &[u8] = b"a\n\xff\n";
        let err = Frame::from_reader("t.csv", bytes, None).unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }
}

/// The nearest of `valid` to `given`, if it looks like a misspelling: the
/// same name in another case (`Sex` → `sex`), or within one edit per three
/// characters (at least one, none for names shorter than three; a swap of
/// neighbours is one edit: `tiem` → `time`). Every "did you mean" of
/// netra (columns, analysis names, request fields, study-file keys) uses
/// this one rule.
pub fn nearest<'v>(given: &str, valid: &[&'v str]) -> Option<&'v str> {
    if let Some(same) = valid
        .iter()
        .find(|v| **v != given && v.to_lowercase() == given.to_lowercase())
    {
        return Some(same);
    }
    // Names of one or two characters are too short to call anything a
    // misspelling of them.
    let length = given.chars().count();
    let allowed = if length < 3 { 0 } else { (length / 3).max(1) };
    valid
        .iter()
        .map(|v| (edit_distance(given, v), *v))
        .filter(|(d, _)| *d > 0 && *d <= allowed)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// Edit distance in characters counting a swap of two neighbours as one
/// edit (optimal string alignment): `tiem` is one edit from `time`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // d[i][j]: distance between a[..i] and b[..j], three rows kept.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (previous[j] + 1)
                .min(current[j - 1] + 1)
                .min(previous[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(before[j - 2] + 1);
            }
            current[j] = d;
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod issue13_tests {
    use super::*;

    #[test]
    fn crlf_lines_are_counted_as_lf_lines() {
        let f =
            Frame::from_reader("t.csv", "id,time\r\n1,4\r\n2,four\r\n".as_bytes(), None).unwrap();
        let err = f.column("time").unwrap().number(1).unwrap_err();
        assert_eq!(err.line, 3);
        let err = Frame::from_reader("t.csv", "a,b\r\n1,2\r\n3\r\n".as_bytes(), None).unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn duplicated_column_name_is_an_error_naming_both() {
        let err =
            Frame::from_reader("t.csv", "time,status,time\n1,1,2\n".as_bytes(), None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv, line 1: the column name 'time' is used twice (columns 1 and 3); rename one"
        );
    }

    #[test]
    fn semicolon_file_with_decimal_commas_says_what_to_do() {
        let err = Frame::from_reader(
            "eu.csv",
            "time;status;age\n12,5;1;61,2\n3;0;70\n".as_bytes(),
            Some(&["time"]),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("eu.csv: "), "{text}");
        assert!(text.contains("separated by semicolons"), "{text}");
        assert!(text.contains("decimal commas"), "{text}");
    }

    #[test]
    fn spreadsheet_given_as_csv_says_what_to_do() {
        // xlsx and ods files are zip archives: they begin with "PK\x03\x04".
        let bytes: &[u8] = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00";
        let err = Frame::from_reader("data.xlsx", bytes, None).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("data.xlsx: "), "{text}");
        assert!(text.contains("spreadsheet"), "{text}");
        assert!(text.contains("CSV"), "{text}");
    }
}
