//! REDCap exports → bundle rows: the data dictionary, the records export
//! (raw coded values, with events, repeating instruments and checkbox
//! columns) and a mapping file become [`Converted`] tables.
//!
//! How rows arise (see `docs/import.md`):
//! * a table without `repeat` has one row per record, from the record's
//!   non-repeating rows (of the table's `event`, when given); a field with
//!   different values in two events of a record is refused rather than one
//!   value silently chosen. The patients table has a row for every record;
//!   other tables only for records where some mapped field has a value;
//! * a table with `repeat = "instrument"` has one row per instance; a
//!   field of another instrument is read from the record's non-repeating
//!   rows;
//! * a table with `checkbox = "field"` has one row per ticked box of each
//!   of those rows, the field's value being the ticked code.

use std::collections::HashMap;

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::schema::{Entity, Kind};

use crate::dictionary::{Dictionary, Field};
use crate::issue::{Issue, Issues};
use crate::mapping::{CheckedTable, DateFormat, Mapping, Part, Resolved};
use crate::records::{RecordRow, Records};
use crate::{Converted, ConvertedTable};

/// One input file: its name (for messages) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// File name as the user gave it.
    pub name: &'a str,
    /// Contents.
    pub bytes: &'a [u8],
}

/// Converts a REDCap project's exports through a mapping. Any problem (of
/// any of the three files) → every problem, collapsed, and no rows.
pub fn convert(
    dictionary: Input<'_>,
    records: Input<'_>,
    mapping: Input<'_>,
) -> Result<Converted, Issues> {
    let mut issues = Issues::default();
    let dict = Dictionary::parse(dictionary.name, dictionary.bytes);
    let map_text = std::str::from_utf8(mapping.bytes).map_err(|_| {
        let mut is = Issues::default();
        is.push(Issue::file(mapping.name, "the mapping is not UTF-8 text"));
        is
    })?;
    let map = Mapping::parse(mapping.name, map_text);
    let (dict, map) = match (dict, map) {
        (Ok(d), Ok(m)) => (d, m),
        (d, m) => {
            issues.list.extend(d.err().into_iter().flat_map(|e| e.list));
            issues.list.extend(m.err().into_iter().flat_map(|e| e.list));
            return Err(issues);
        }
    };
    let tables = map.check(mapping.name, &dict)?;
    let recs = Records::parse(records.name, records.bytes, &dict)?;
    convert_parsed(&dict, &recs, &map, &tables)
}

/// Converts records already read (a REDCap export, or a spreadsheet read
/// as one: [`crate::sheet`]) through a checked mapping.
pub(crate) fn convert_parsed(
    dict: &Dictionary,
    recs: &Records,
    map: &Mapping,
    tables: &[CheckedTable],
) -> Result<Converted, Issues> {
    let mut conv = Converter {
        dict,
        recs,
        date_format: map.source.date_format,
        issues: Issues::default(),
    };
    let mut out = Converted {
        source: recs.file.clone(),
        tables: Vec::new(),
    };
    if let Some(s) = &map.study {
        out.tables.push(constant_table(
            Entity::Study,
            &[("study", &s.study), ("title", &s.title)],
        ));
        let mut site = vec![
            ("site", &s.site),
            ("study", &s.study),
            ("name", &s.site_name),
        ];
        if let Some(c) = &s.country {
            site.push(("country", c));
        }
        out.tables.push(constant_table(Entity::Site, &site));
    }
    let by_record = group_by_record(recs);
    for t in tables {
        let converted = conv.table(t, &by_record);
        // the tables of one `items` table (adjacent: same entity) are one
        match out.tables.last_mut() {
            Some(last) if last.entity == t.entity && t.map.item_field.is_some() => {
                // each item's rows keep the columns they were read from
                // (`q7`, not the first item's `q1`)
                let own: Vec<Option<crate::Origins>> = (0..converted.rows.len())
                    .map(|r| {
                        let o = converted.origins_of(r);
                        (o != last.origins.as_slice()).then(|| o.to_vec())
                    })
                    .collect();
                last.row_origins.resize(last.rows.len(), None);
                last.row_origins.extend(own);
                last.rows.extend(converted.rows);
                last.lines.extend(converted.lines);
            }
            _ => out.tables.push(converted),
        }
    }
    if conv.issues.is_empty() {
        Ok(out)
    } else {
        Err(conv.issues.collapsed())
    }
}

/// A table of one row of constants (study, site), placed on line 1.
fn constant_table(entity: Entity, cells: &[(&str, &String)]) -> ConvertedTable {
    let spec = entity.spec();
    let mut row = vec![None; spec.columns.len()];
    for (name, v) in cells {
        if let Some(i) = spec.position(name) {
            row[i] = Some((*v).clone());
        }
    }
    ConvertedTable {
        entity,
        rows: vec![row],
        lines: vec![1],
        origins: vec![None; spec.columns.len()],
        row_origins: Vec::new(),
    }
}

/// The rows of each record, records in order of first appearance.
fn group_by_record(recs: &Records) -> Vec<(&str, Vec<&RecordRow>)> {
    let mut order: Vec<(&str, Vec<&RecordRow>)> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for r in &recs.rows {
        match index.get(r.record.as_str()) {
            Some(&i) => order[i].1.push(r),
            None => {
                index.insert(&r.record, order.len());
                order.push((&r.record, vec![r]));
            }
        }
    }
    order
}

/// A value found in the export, with where it was.
#[derive(Clone, Copy)]
struct Found<'a> {
    text: &'a str,
    line: u64,
    /// The repeating instance the value was read from (a spreadsheet's
    /// group instance has a column of its own).
    instance: Option<u32>,
}

/// One source of a row: a repeating instance (with the record's
/// non-repeating rows behind it) or the record's non-repeating rows alone.
struct Unit<'a> {
    record: &'a str,
    instance: Option<&'a RecordRow>,
    base: Vec<&'a RecordRow>,
    line: u64,
}

struct Converter<'a> {
    dict: &'a Dictionary,
    recs: &'a Records,
    date_format: DateFormat,
    issues: Issues,
}

impl<'a> Converter<'a> {
    fn table(
        &mut self,
        t: &CheckedTable,
        by_record: &[(&'a str, Vec<&'a RecordRow>)],
    ) -> ConvertedTable {
        let spec = t.entity.spec();
        let mut out = ConvertedTable {
            entity: t.entity,
            rows: Vec::new(),
            lines: Vec::new(),
            origins: t
                .columns
                .iter()
                .map(|c| match c {
                    Some(Resolved::Field { field, .. }) => {
                        let col = self
                            .recs
                            .display_column(field)
                            .or_else(|| self.recs.first_box(field))?;
                        Some((col + 1, field.clone()))
                    }
                    _ => None,
                })
                .collect(),
            row_origins: Vec::new(),
        };
        let in_event = |r: &RecordRow| match &t.map.event {
            None => true,
            Some(e) => r.event.as_deref() == Some(e.as_str()),
        };
        for (record, rows) in by_record {
            let base: Vec<&RecordRow> = rows
                .iter()
                .copied()
                .filter(|r| r.instrument.is_none() && in_event(r))
                .collect();
            let units: Vec<Unit<'a>> = match &t.map.repeat {
                Some(instr) => rows
                    .iter()
                    .copied()
                    .filter(|r| r.instrument.as_deref() == Some(instr.as_str()) && in_event(r))
                    .map(|r| Unit {
                        record,
                        instance: Some(r),
                        base: base.clone(),
                        line: r.line,
                    })
                    .collect(),
                None => {
                    let line = base.first().or(rows.first()).map_or(0, |r| r.line);
                    vec![Unit {
                        record,
                        instance: None,
                        base: base.clone(),
                        line,
                    }]
                }
            };
            for unit in &units {
                let ticked: Vec<Option<Found<'a>>> = match &t.map.checkbox {
                    None => vec![None],
                    Some(cb) => self.ticked(unit, cb).into_iter().map(Some).collect(),
                };
                for tick in ticked {
                    let mut any_field = false;
                    let mut item_answered = false;
                    let mut row = Vec::with_capacity(spec.columns.len());
                    let mut origins = out.origins.clone();
                    for (i, src) in t.columns.iter().enumerate() {
                        let kind = &spec.columns[i].kind;
                        let v = match src {
                            None => None,
                            Some(Resolved::Value(v)) => Some(v.clone()),
                            Some(Resolved::Template(parts)) => self.template(unit, parts),
                            Some(Resolved::Field { field, choices }) => {
                                let found = match (&t.map.checkbox, tick) {
                                    (Some(cb), Some(f)) if cb == field => Some(f),
                                    _ => self.lookup(unit, field),
                                };
                                found.and_then(|f| {
                                    any_field = true;
                                    if let Some((c, name)) = self.recs.display_in(field, f.instance)
                                        && f.instance.is_some()
                                    {
                                        origins[i] = Some((c + 1, name));
                                    }
                                    if t.map.item_field.as_deref() == Some(field.as_str()) {
                                        item_answered = true;
                                    }
                                    self.cell(f, field, choices.as_ref(), kind)
                                })
                            }
                        };
                        row.push(v);
                    }
                    // a table of numbered items: a row per answered item
                    let exists = match &t.map.item_field {
                        Some(_) => item_answered,
                        None => any_field || t.entity == Entity::Patient,
                    };
                    if exists {
                        if origins != out.origins {
                            out.row_origins.resize(out.rows.len(), None);
                            out.row_origins.push(Some(origins));
                        }
                        out.rows.push(row);
                        out.lines.push(unit.line);
                    }
                }
            }
        }
        out
    }

    /// The ticked codes of checkbox `cb` in the unit (its instance row, or
    /// its record's non-repeating rows).
    fn ticked(&self, unit: &Unit<'a>, cb: &str) -> Vec<Found<'a>> {
        let rows: Vec<&'a RecordRow> = match unit.instance {
            Some(r) => vec![r],
            None => unit.base.clone(),
        };
        let mut out: Vec<Found<'a>> = Vec::new();
        for r in rows {
            for (code, col) in self.recs.ticked(r, cb) {
                let _ = col;
                let text = self
                    .dict
                    .field(cb)
                    .and_then(|f| f.choices.iter().find(|(c, _)| *c == code))
                    .map_or("", |(c, _)| c.as_str());
                if !out.iter().any(|f| f.text == text) {
                    out.push(Found {
                        text,
                        line: r.line,
                        instance: r.instance,
                    });
                }
            }
        }
        out
    }

    /// A field's value for the unit: the instance's, else the record's
    /// non-repeating value (one value over the events, or a problem).
    fn lookup(&mut self, unit: &Unit<'a>, field: &str) -> Option<Found<'a>> {
        if let Some(r) = unit.instance {
            if let Some(text) = self.recs.value(r, field) {
                return Some(Found {
                    text,
                    line: r.line,
                    instance: r.instance,
                });
            }
            let own_form = self.dict.field(field).map(|f| f.form.as_str());
            if own_form == r.instrument.as_deref() {
                return None;
            }
        }
        let mut found: Option<(Found<'a>, &RecordRow)> = None;
        for r in &unit.base {
            let Some(text) = self.recs.value(r, field) else {
                continue;
            };
            match found {
                None => {
                    found = Some((
                        Found {
                            text,
                            line: r.line,
                            instance: r.instance,
                        },
                        r,
                    ))
                }
                Some((f, first)) if f.text != text => {
                    let ev = |r: &RecordRow| r.event.clone().unwrap_or_else(|| "(none)".into());
                    self.issues.push(Issue {
                        line: Some(r.line),
                        column_number: self.recs.display_column(field).map(|c| c + 1),
                        column: Some(field.to_string()),
                        value: Some(text.to_string()),
                        ..Issue::file(
                            &self.recs.file,
                            format!(
                                "record {} has two values of this field: '{}' in event {} (line {}) and this one in event {}; say which event the table reads (event = \"…\" in the mapping)",
                                unit.record, f.text, ev(first), f.line, ev(r)
                            ),
                        )
                    });
                }
                Some(_) => {}
            }
        }
        found.map(|(f, _)| f)
    }

    fn template(&mut self, unit: &Unit<'a>, parts: &[Part]) -> Option<String> {
        let mut s = String::new();
        for p in parts {
            match p {
                Part::Text(t) => s.push_str(t),
                Part::Var(v) => {
                    let value: Option<String> = match v.as_str() {
                        "record" => Some(unit.record.to_string()),
                        "instance" => unit
                            .instance
                            .and_then(|r| r.instance)
                            .map(|n| n.to_string()),
                        "event" => unit
                            .instance
                            .or(unit.base.first().copied())
                            .and_then(|r| r.event.clone()),
                        field => self.lookup(unit, field).map(|f| f.text.to_string()),
                    };
                    s.push_str(&value?);
                }
            }
        }
        Some(s)
    }

    /// A field's raw value as the registry column's text.
    fn cell(
        &mut self,
        found: Found<'a>,
        field: &str,
        choices: Option<&std::collections::BTreeMap<String, String>>,
        kind: &Kind,
    ) -> Option<String> {
        let f = self.dict.field(field)?;
        let (column_number, column) = match self.recs.display_in(field, found.instance) {
            Some((c, name)) => (Some(c + 1), name),
            None => (self.recs.first_box(field).map(|c| c + 1), field.to_string()),
        };
        let issue = |reason: String| Issue {
            line: Some(found.line),
            column_number,
            column: Some(column.clone()),
            value: Some(found.text.to_string()),
            ..Issue::file(&self.recs.file, reason)
        };
        let text = found.text;
        if f.has_choices() && f.choice_label(text).is_none() {
            let codes: Vec<&str> = f.choices.iter().map(|(c, _)| c.as_str()).collect();
            self.issues.push(issue(format!(
                "unknown choice code of {} (the dictionary's codes: {})",
                field,
                codes.join(", ")
            )));
            return None;
        }
        if let Some(map) = choices {
            return match map.get(text) {
                Some(t) if t.is_empty() => None,
                Some(t) => Some(t.clone()),
                None => {
                    let what = match f.choice_label(text) {
                        Some(label) => format!("choice '{text}' ({label})"),
                        None => format!("value '{text}'"),
                    };
                    self.issues.push(issue(format!(
                        "{what} of {field} has no registry code in the mapping (add it to choices, or map it to \"\" for not recorded)"
                    )));
                    None
                }
            };
        }
        match kind {
            Kind::YesNo if matches!(f.field_type.as_str(), "yesno" | "truefalse") => {
                Some(if text == "1" { "yes" } else { "no" }.into())
            }
            Kind::Date => match to_date(text, self.date_format) {
                Ok(d) => Some(d),
                Err(reason) => {
                    self.issues.push(issue(reason));
                    None
                }
            },
            Kind::Real { .. } if is_comma_decimal(f) => Some(text.replace(',', ".")),
            _ => Some(text.to_string()),
        }
    }
}

fn is_comma_decimal(f: &Field) -> bool {
    f.validation
        .as_deref()
        .is_some_and(|v| v.contains("comma_decimal"))
}

/// A date of the export as a registry partial date. A datetime's time is
/// dropped; `ymd` keeps `YYYY` and `YYYY-MM` as partial dates.
pub fn to_date(text: &str, format: DateFormat) -> Result<String, String> {
    let date = text.split([' ', 'T']).next().unwrap_or("");
    let bad = || {
        format!(
            "not a date in the export's format {} ([source] date_format = \"{}\")",
            format.pattern(),
            match format {
                DateFormat::Ymd => "ymd",
                DateFormat::Dmy => "dmy",
                DateFormat::Mdy => "mdy",
            }
        )
    };
    let canonical = match format {
        DateFormat::Ymd => date.to_string(),
        DateFormat::Dmy | DateFormat::Mdy => {
            let parts: Vec<&str> = date.split(['-', '/', '.']).collect();
            let [a, b, y] = parts.as_slice() else {
                return Err(bad());
            };
            if a.len() != 2 || b.len() != 2 || y.len() != 4 {
                return Err(bad());
            }
            let (d, m) = if format == DateFormat::Dmy {
                (a, b)
            } else {
                (b, a)
            };
            format!("{y}-{m}-{d}")
        }
    };
    let ok_shape = canonical.len() >= 4
        && canonical.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && (canonical.len() == 4 || canonical.as_bytes()[4] == b'-');
    if !ok_shape {
        return Err(bad());
    }
    canonical
        .parse::<PartialDate>()
        .map(|d| d.to_string())
        .map_err(|e| format!("{} ({})", bad(), e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_in_the_export_format() {
        assert_eq!(
            to_date("2015-03-10", DateFormat::Ymd).unwrap(),
            "2015-03-10"
        );
        assert_eq!(
            to_date("2015-03-10 14:05", DateFormat::Ymd).unwrap(),
            "2015-03-10"
        );
        assert_eq!(to_date("2015-03", DateFormat::Ymd).unwrap(), "2015-03");
        assert_eq!(
            to_date("10/03/2015", DateFormat::Dmy).unwrap(),
            "2015-03-10"
        );
        assert_eq!(
            to_date("03-10-2015", DateFormat::Mdy).unwrap(),
            "2015-03-10"
        );
        assert!(to_date("10/03/2015", DateFormat::Ymd).is_err());
        assert!(to_date("2015-02-30", DateFormat::Ymd).is_err());
        assert!(to_date("2015-3-1", DateFormat::Dmy).is_err());
    }
}
