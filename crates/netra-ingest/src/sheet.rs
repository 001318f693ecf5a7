//! Spreadsheets with one row per patient, the way per-patient tables are
//! published (CSV now; `.xlsx`/`.ods` are the next step), through the same
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

/// Converts a one-row-per-patient CSV through a mapping.
pub fn convert_csv(sheet: Input<'_>, mapping: Input<'_>) -> Result<Converted, Issues> {
    let one = |file: &str, line: Option<u64>, reason: String| {
        let mut is = Issues::default();
        is.push(Issue {
            line,
            ..Issue::file(file, reason)
        });
        is
    };
    let text = std::str::from_utf8(mapping.bytes)
        .map_err(|_| one(mapping.name, None, "the mapping is not UTF-8 text".into()))?;
    let map = Mapping::parse(mapping.name, text)?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(sheet.bytes);
    let header = crate::issue::read_header(sheet.name, &mut r)?;
    if header.is_empty() || header[0].is_empty() {
        return Err(one(
            sheet.name,
            Some(1),
            "the first column (the patient) needs a name".into(),
        ));
    }
    // Fields: one per plain column, one per (group, field) pair.
    let mut names: Vec<String> = Vec::new();
    let mut display: Vec<usize> = Vec::new();
    let mut fields: Vec<Field> = Vec::new();
    let mut place: Vec<(usize, Option<(String, u32)>)> = Vec::new();
    let mut issues = Issues::default();
    for (i, h) in header.iter().enumerate() {
        let (name, form, inst) = match split_group(h, &map.source.groups).filter(|_| i > 0) {
            Some((g, n, f)) => (format!("{g}_{f}"), g.to_string(), Some(n)),
            None => (h.clone(), "sheet".to_string(), None),
        };
        let pos = match names.iter().position(|n| *n == name) {
            Some(p) if inst.is_none() => {
                issues.push(Issue {
                    line: Some(1),
                    column_number: Some(i + 1),
                    column: Some(h.clone()),
                    ..Issue::file(sheet.name, "the column appears twice in the header")
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
        place.push((pos, inst.map(|n| (form, n))));
    }
    if !issues.is_empty() {
        return Err(issues);
    }
    let dict = Dictionary::from_fields(sheet.name, fields);
    let tables = map.check(mapping.name, &dict)?;
    let mut rows: Vec<RecordRow> = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| {
            one(
                sheet.name,
                e.position().map(|p| p.line()),
                format!("malformed CSV: {e}"),
            )
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        let record = rec.get(0).unwrap_or("").trim().to_string();
        if record.is_empty() {
            issues.push(Issue {
                line: Some(line),
                column_number: Some(1),
                column: Some(header[0].clone()),
                ..Issue::file(sheet.name, "a patient is required")
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
    let recs = Records::from_rows(sheet.name, names, rows, display);
    convert_parsed(&dict, &recs, &map, &tables)
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
