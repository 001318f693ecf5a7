//! One entry point for the file sources a data manager brings (a REDCap
//! project's two exports, a one-row-per-patient spreadsheet), each with its
//! mapping: `netra import redcap|sheet` and the web upload (`/import`) both
//! call [`prepare`] and tell the store's later problems with
//! [`Prepared::describe`], so that the two surfaces convert, name the
//! source and place problems in one way.

use crate::redcap::Input;
use crate::workbook::{Cells, Format};
use crate::{Converted, Issue, Issues};

/// The files of one source.
#[derive(Debug, Clone, Copy)]
pub enum Files<'a> {
    /// A REDCap project: data dictionary and records exports (CSV).
    Redcap {
        /// The data dictionary export.
        dictionary: Input<'a>,
        /// The records export (raw coded values).
        records: Input<'a>,
        /// The mapping (TOML).
        mapping: Input<'a>,
    },
    /// A spreadsheet, one row per patient: `.xlsx`/`.ods` by the file
    /// name's extension, else CSV.
    Sheet {
        /// The spreadsheet.
        file: Input<'a>,
        /// The sheet of a workbook (default: the first).
        sheet: Option<&'a str>,
        /// The mapping (TOML).
        mapping: Input<'a>,
    },
}

/// A source converted, ready for the store's import.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The rows.
    pub converted: Converted,
    /// A workbook's cell naming (problems name cells, not lines).
    pub cells: Option<Cells>,
    /// The mapping's `[source] name`, when it gives one (re-imports keep
    /// the registry in step with the source).
    pub source_name: Option<String>,
}

/// Converts a source's files through their mapping. Every problem of the
/// files is returned at once; nothing is converted while there is one.
pub fn prepare(files: Files<'_>) -> Result<Prepared, Issues> {
    match files {
        Files::Redcap {
            dictionary,
            records,
            mapping,
        } => {
            let converted = crate::redcap::convert(dictionary, records, mapping)?;
            Ok(Prepared {
                converted,
                cells: None,
                source_name: source_name(mapping.bytes),
            })
        }
        Files::Sheet {
            file,
            sheet,
            mapping,
        } => {
            let (converted, cells) = match Format::of_name(file.name) {
                Some(format) => {
                    let w = crate::sheet::convert_workbook(file, format, sheet, mapping)?;
                    (w.converted, Some(w.cells))
                }
                None => {
                    if sheet.is_some_and(|s| !s.trim().is_empty()) {
                        return Err(Issues::from(Issue::file(
                            file.name,
                            "a sheet name is for an .xlsx or .ods workbook; this file is read as CSV",
                        )));
                    }
                    (crate::sheet::convert_csv(file, mapping)?, None)
                }
            };
            Ok(Prepared {
                converted,
                cells,
                source_name: source_name(mapping.bytes),
            })
        }
    }
}

/// The mapping's `[source] name`, if it has a non-empty one.
pub fn source_name(mapping: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(mapping).ok()?;
    crate::mapping::Mapping::parse("mapping", text)
        .ok()?
        .source
        .name
        .filter(|n| !n.trim().is_empty())
}

/// A problem the store reported in a converted table (its fields, so that
/// this crate need not depend on the store).
#[derive(Debug, Clone, Copy)]
pub struct StoreProblem<'a> {
    /// The table name ([`Converted::table_name`]) or another file.
    pub file: &'a str,
    /// The source line the store reports.
    pub line: Option<u64>,
    /// The column position in the converted table.
    pub column_number: Option<usize>,
    /// The registry column.
    pub column: Option<&'a str>,
    /// The cell's text.
    pub value: Option<&'a str>,
    /// Why.
    pub reason: &'a str,
}

impl Prepared {
    /// A store problem told in the source's terms: the records file (a
    /// workbook's sheet and cell), its line and the source column of that
    /// very row (a repeated group's own column, an item's own field), with
    /// the registry column: `records.csv, line 12, column 41 (dod →
    /// patients.csv death_date): reason (value '…')`. A problem outside
    /// the converted tables is told as the store tells it.
    pub fn describe(&self, p: &StoreProblem<'_>) -> String {
        describe(&self.converted, self.cells, p)
    }
}

/// [`Prepared::describe`] for rows converted elsewhere (an OMOP extract).
pub fn describe(converted: &Converted, cells: Option<Cells>, p: &StoreProblem<'_>) -> String {
    let Some(at) = converted.locate_in_row(p.file, p.line, p.column, p.value) else {
        return plain(p);
    };
    let mut s = at.file.clone();
    match (cells, p.line, &at.origin) {
        (Some(cells), Some(l), Some((n, _))) => {
            s.push_str(&format!(", cell {}", cells.name(*n, l)))
        }
        (Some(_), Some(l), None) => s.push_str(&format!(", row {l}")),
        (None, Some(l), _) => s.push_str(&format!(", line {l}")),
        _ => {}
    }
    match (&at.origin, p.column) {
        (Some((n, field)), Some(col)) if cells.is_none() => {
            s.push_str(&format!(
                ", column {n} ({field} → {} {col})",
                at.entity_file
            ));
        }
        (Some((_, field)), Some(col)) => {
            s.push_str(&format!(" ({field} → {} {col})", at.entity_file));
        }
        (None, Some(col)) => s.push_str(&format!(" ({} {col}, from the mapping)", at.entity_file)),
        _ => s.push_str(&format!(" ({})", at.entity_file)),
    }
    s.push_str(&format!(": {}", p.reason));
    if let Some(v) = p.value {
        s.push_str(&format!(" (value '{v}')"));
    }
    s
}

/// The store's own wording of a problem (`file, line L, column N (name):
/// reason (value 'v')`).
fn plain(p: &StoreProblem<'_>) -> String {
    let mut s = p.file.to_string();
    if let Some(l) = p.line {
        s.push_str(&format!(", line {l}"));
    }
    match (p.column_number, p.column) {
        (Some(n), Some(name)) => s.push_str(&format!(", column {n} ({name})")),
        (None, Some(name)) => s.push_str(&format!(", column {name} (not in the file)")),
        _ => {}
    }
    s.push_str(&format!(": {}", p.reason));
    if let Some(v) = p.value {
        s.push_str(&format!(" (value '{v}')"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_csv_sheet_with_a_sheet_name_is_refused() {
        let e = prepare(Files::Sheet {
            file: Input {
                name: "p.csv",
                bytes: b"id\n",
            },
            sheet: Some("Patients"),
            mapping: Input {
                name: "m.toml",
                bytes: b"",
            },
        })
        .unwrap_err();
        assert!(e.list[0].reason.contains("read as CSV"), "{e}");
    }

    #[test]
    fn a_problem_outside_the_converted_tables_keeps_the_stores_wording() {
        let p = Prepared {
            converted: Converted {
                source: "r.csv".into(),
                tables: Vec::new(),
            },
            cells: None,
            source_name: None,
        };
        let text = p.describe(&StoreProblem {
            file: "patients.csv",
            line: Some(3),
            column_number: Some(2),
            column: Some("site"),
            value: Some("x"),
            reason: "unknown site",
        });
        assert_eq!(
            text,
            "patients.csv, line 3, column 2 (site): unknown site (value 'x')"
        );
    }
}
