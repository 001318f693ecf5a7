//! Spreadsheets with one row per patient, the way per-patient tables are
//! published (CSV, or a sheet of an `.xlsx`/`.ods` workbook: [`crate::workbook`]),
//! through the same
//! mapping format as REDCap.
//!
//! The sheet is read as a REDCap project would be, so that one converter
//! serves both: the first column is the record id, every other column a
//! field of one non-repeating instrument, and each repeated column group
//! named in `[source] groups` a repeating instrument: with `groups =
//! ["tx"]`, the columns `tx1_agent, tx1_start, tx2_agent, tx2_start` are
//! instances 1 and 2 of instrument `tx` with fields `tx_agent` and
//! `tx_start` (an instance whose cells are all empty does not exist). Values
//! are text as written; `choices` translate them (`"Pancreas" =
//! "pancreas"`), and a value missing from a column's `choices` is refused.

use crate::Converted;
use crate::dictionary::{Dictionary, Field};
use crate::issue::{Issue, Issues};
use crate::mapping::Mapping;
use crate::records::{RecordRow, Records};
use crate::redcap::{Input, convert_parsed};
use crate::workbook::{self, Cells, Format};

/// The field type of a spreadsheet column (free text; `choices` allowed).
pub const FIELD_TYPE: &str = "sheet";

/// Where a sheet column goes: a field of the patient row, or a field of
/// instance `n` of a group.
fn split_group<'h>(h: &'h str, groups: &[String]) -> Option<(&'h str, u32, &'h str)> {
    for g in groups {
        let Some(rest) = h.strip_prefix(g.as_str()) else {
            continue;
        };
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            continue;
        }
        let (n, tail) = rest.split_at(digits);
        let Some(field) = tail.strip_prefix('_') else {
            continue;
        };
        if field.is_empty() {
            continue;
        }
        let n: u32 = n.parse().ok().filter(|n| *n >= 1)?;
        return Some((&h[..g.len()], n, field));
    }
    None
}

fn one(file: &str, line: Option<u64>, reason: String) -> Issues {
    Issues::from(Issue {
        line,
        ..Issue::file(file, reason)
    })
}

/// Reads the mapping file.
fn mapping_of(mapping: Input<'_>) -> Result<Mapping, Issues> {
    let text = std::str::from_utf8(mapping.bytes)
        .map_err(|_| one(mapping.name, None, "the mapping is not UTF-8 text".into()))?;
    Mapping::parse(mapping.name, text)
}

/// Converts a one-row-per-patient CSV through a mapping.
pub fn convert_csv(sheet: Input<'_>, mapping: Input<'_>) -> Result<Converted, Issues> {
    let map = mapping_of(mapping)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(sheet.bytes);
    let header = crate::issue::read_header(sheet.name, &mut r)?;
    let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            one(
                sheet.name,
                e.position().map(|p| p.line()),
                format!("malformed CSV: {e}"),
            )
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        rows.push((line, rec.iter().map(|c| c.trim().to_string()).collect()));
    }
    convert_rows(sheet.name, 1, header, rows, &map, mapping.name)
}

/// Converts one sheet of an `.xlsx`/`.ods` workbook (`sheet`: its name,
/// default the first) through a mapping. Problems name the sheet and the
/// cell (`patients.xlsx, sheet Patients, cell D5 (ki67): …`); what the
/// store finds later is placed by [`WorkbookConverted::cells`].
pub fn convert_workbook(
    workbook: Input<'_>,
    format: Format,
    sheet: Option<&str>,
    mapping: Input<'_>,
) -> Result<WorkbookConverted, Issues> {
    let map = mapping_of(mapping)?;
    let grid = workbook::read(workbook, format, sheet, map.source.date_format)?;
    let converted = convert_rows(
        &grid.file,
        grid.header_line,
        grid.header,
        grid.rows,
        &map,
        mapping.name,
    )
    .map_err(|is| workbook::in_cells(is, &grid.file, grid.cells))?;
    Ok(WorkbookConverted {
        converted,
        cells: grid.cells,
    })
}

/// A workbook sheet's rows, with where the sheet's columns are.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkbookConverted {
    /// The rows; their `source` is `file, sheet NAME` and their lines the
    /// sheet's row numbers.
    pub converted: Converted,
    /// Turns a converted column position and a line into a cell name.
    pub cells: Cells,
}

/// Converts a sheet's header and text rows (line, cells) through a mapping.
fn convert_rows(
    file: &str,
    header_line: u64,
    header: Vec<String>,
    rows_in: Vec<(u64, Vec<String>)>,
    map: &Mapping,
    mapping_name: &str,
) -> Result<Converted, Issues> {
    if header.is_empty() || header[0].is_empty() {
        return Err(one(
            file,
            Some(header_line),
            "the first column (the patient) needs a name".into(),
        ));
    }
    // Fields: one per plain column, one per (group, field) pair.
    let mut names: Vec<String> = Vec::new();
    let mut display: Vec<usize> = Vec::new();
    let mut fields: Vec<Field> = Vec::new();
    let mut place: Vec<(usize, Option<(String, u32)>)> = Vec::new();
    let mut issues = Issues::default();
    let mut group_columns: Vec<(usize, u32, usize, String)> = Vec::new();
    for (i, h) in header.iter().enumerate() {
        let (name, form, inst) = match split_group(h, &map.source.groups).filter(|_| i > 0) {
            Some((g, n, f)) => (format!("{g}_{f}"), g.to_string(), Some(n)),
            None => (h.clone(), "sheet".to_string(), None),
        };
        let pos = match names.iter().position(|n| *n == name) {
            Some(p) if inst.is_none() => {
                issues.push(Issue {
                    line: Some(header_line),
                    column_number: Some(i + 1),
                    column: Some(h.clone()),
                    ..Issue::file(file, "the column appears twice in the header")
                });
                p
            }
            Some(p) => p,
            None => {
                names.push(name.clone());
                display.push(i);
                fields.push(Field {
                    name,
                    form: form.clone(),
                    field_type: FIELD_TYPE.into(),
                    label: h.clone(),
                    choices: Vec::new(),
                    validation: None,
                    required: false,
                    line: 1,
                });
                names.len() - 1
            }
        };
        if let Some(n) = inst {
            group_columns.push((pos, n, i, h.clone()));
        }
        place.push((pos, inst.map(|n| (form, n))));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let dict = Dictionary::from_fields(file, fields);
    let tables = map.check(mapping_name, &dict)?;
    let mut rows: Vec<RecordRow> = Vec::new();
    for (line, rec) in rows_in {
        let record = rec.first().map_or("", |s| s.trim()).to_string();
        if record.is_empty() {
            issues.push(Issue {
                line: Some(line),
                column_number: Some(1),
                column: Some(header[0].clone()),
                ..Issue::file(file, "a patient is required")
            });
            continue;
        }
        let blank = vec![String::new(); names.len()];
        let mut base = blank.clone();
        let mut instances: Vec<((String, u32), Vec<String>)> = Vec::new();
        for (i, cell) in rec.iter().enumerate() {
            let Some((pos, inst)) = place.get(i) else {
                continue;
            };
            let cell = cell.trim().to_string();
            match inst {
                None => base[*pos] = cell,
                Some(key) => {
                    if cell.is_empty() {
                        continue;
                    }
                    match instances.iter_mut().find(|(k, _)| k == key) {
                        Some((_, cells)) => cells[*pos] = cell,
                        None => {
                            let mut cells = blank.clone();
                            cells[*pos] = cell;
                            instances.push((key.clone(), cells));
                        }
                    }
                }
            }
        }
        base[0] = record.clone();
        rows.push(RecordRow {
            line,
            record: record.clone(),
            event: None,
            instrument: None,
            instance: None,
            cells: base,
        });
        instances.sort_by(|a, b| a.0.cmp(&b.0));
        for ((form, n), mut cells) in instances {
            cells[0] = record.clone();
            rows.push(RecordRow {
                line,
                record: record.clone(),
                event: None,
                instrument: Some(form),
                instance: Some(n),
                cells,
            });
        }
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let recs = Records::from_rows(file, names, rows, display).with_group_columns(group_columns);
    convert_parsed(&dict, &recs, map, &tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_column_groups_are_split_by_prefix_and_number() {
        let g = vec!["tx".to_string()];
        assert_eq!(split_group("tx12_agent", &g), Some(("tx", 12, "agent")));
        assert_eq!(split_group("tx_agent", &g), None);
        assert_eq!(split_group("tx1_", &g), None);
        assert_eq!(split_group("txa1_agent", &g), None);
        assert_eq!(split_group("tx0_agent", &g), None);
    }
}
