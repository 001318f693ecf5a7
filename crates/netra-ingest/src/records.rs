//! A REDCap records export (CSV, raw coded values): one row per record, event
//! and repeating instance, checkbox fields as one `field___code` column per
//! choice. Reading it checks what only the export can tell: every column is
//! a field of the dictionary, every row has a record id, and each repeating
//! instrument's instances of a record and event are numbered 1, 2, … without
//! a gap or a duplicate.

use std::collections::{BTreeMap, HashMap};

use crate::dictionary::Dictionary;
use crate::issue::{Issue, Issues};

/// What a column of the export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ColumnKind {
    /// A field's value.
    Field(String),
    /// One box of a checkbox field: `1` ticked, `0` not.
    Checkbox {
        /// The checkbox field.
        field: String,
        /// The choice code of this box.
        code: String,
    },
    /// `redcap_event_name`, `redcap_repeat_instrument`, `…_complete` and
    /// other columns REDCap adds.
    Special,
}

/// One row of the export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRow {
    /// Physical line (the header is line 1).
    pub line: u64,
    /// The record id.
    pub record: String,
    /// `redcap_event_name`, in longitudinal projects.
    pub event: Option<String>,
    /// `redcap_repeat_instrument` (empty for non-repeating data).
    pub instrument: Option<String>,
    /// `redcap_repeat_instance`.
    pub instance: Option<u32>,
    /// The cells, trimmed, in header order.
    pub cells: Vec<String>,
}

/// The export, read and checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// The file name (for messages).
    pub file: String,
    /// Header names.
    pub header: Vec<String>,
    /// What each column holds.
    pub kinds: Vec<ColumnKind>,
    /// Rows in file order.
    pub rows: Vec<RecordRow>,
    by_field: HashMap<String, usize>,
    /// Column positions in the user's file when they differ from the
    /// cells' (a spreadsheet's repeated groups: the group's first column).
    display: Option<Vec<usize>>,
    /// A spreadsheet's repeated column groups: (field column, instance) →
    /// the instance's own column (position, header name), so that a
    /// problem in `tx2_agent` points at `tx2_agent`, not at `tx1_agent`.
    groups: HashMap<(usize, u32), (usize, String)>,
}

const EVENT: &str = "redcap_event_name";
const INSTRUMENT: &str = "redcap_repeat_instrument";
const INSTANCE: &str = "redcap_repeat_instance";

impl Records {
    /// Reads a records export against its dictionary. Every problem is
    /// reported.
    pub fn parse(file: &str, bytes: &[u8], dict: &Dictionary) -> Result<Records, Issues> {
        let mut issues = Issues::default();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(bytes);
        let header = crate::issue::read_header(file, &mut r)?;
        let forms = dict.forms();
        let mut out = Records {
            file: file.to_string(),
            ..Records::default()
        };
        for (i, h) in header.iter().enumerate() {
            let kind = classify(h, dict, &forms);
            match &kind {
                Some(ColumnKind::Field(f))
                    if out.by_field.insert(f.clone(), i).is_some() => {
                        issues.push(Issue {
                            line: Some(1),
                            column_number: Some(i + 1),
                            column: Some(h.clone()),
                            ..Issue::file(file, "the column appears twice in the header")
                        });
                    }
                None => issues.push(Issue {
                    line: Some(1),
                    column_number: Some(i + 1),
                    column: Some(h.clone()),
                    ..Issue::file(
                        file,
                        format!(
                            "not a field of the data dictionary {} (export and dictionary of different projects or versions?)",
                            dict.file
                        ),
                    )
                }),
                _ => {}
            }
            out.kinds.push(kind.unwrap_or(ColumnKind::Special));
        }
        let id_name = dict.record_id().map(|f| f.name.clone()).unwrap_or_default();
        let Some(&id_col) = out.by_field.get(&id_name) else {
            issues.push(Issue {
                line: Some(1),
                ..Issue::file(
                    file,
                    format!("the record id field '{id_name}' (first field of the dictionary) is not a column"),
                )
            });
            return Err(issues);
        };
        let pos = |n: &str| header.iter().position(|h| h == n);
        let (c_event, c_instr, c_inst) = (pos(EVENT), pos(INSTRUMENT), pos(INSTANCE));
        out.header = header;
        for rec in r.records() {
            let rec = match rec {
                Ok(rec) => rec,
                Err(e) => {
                    issues.push(Issue {
                        line: e.position().map(|p| p.line()),
                        ..Issue::file(file, format!("malformed CSV: {e}"))
                    });
                    return Err(issues);
                }
            };
            let line = rec.position().map_or(0, |p| p.line());
            let cells: Vec<String> = rec.iter().map(|c| c.trim().to_string()).collect();
            let get = |c: Option<usize>| {
                c.and_then(|c| cells.get(c))
                    .filter(|s| !s.is_empty())
                    .cloned()
            };
            let record = cells[id_col].clone();
            if record.is_empty() {
                issues.push(Issue {
                    line: Some(line),
                    column_number: Some(id_col + 1),
                    column: Some(id_name.clone()),
                    ..Issue::file(file, "a record id is required")
                });
                continue;
            }
            let instrument = get(c_instr);
            let instance = match get(c_inst) {
                None => None,
                Some(t) => match t.parse::<u32>() {
                    Ok(n) if n >= 1 => Some(n),
                    _ => {
                        issues.push(Issue {
                            line: Some(line),
                            column_number: c_inst.map(|c| c + 1),
                            column: Some(INSTANCE.into()),
                            value: Some(t),
                            ..Issue::file(file, "a repeat instance is a whole number 1, 2, …")
                        });
                        continue;
                    }
                },
            };
            if let Some(name) = &instrument {
                if !forms.contains(&name.as_str()) {
                    issues.push(Issue {
                        line: Some(line),
                        column_number: c_instr.map(|c| c + 1),
                        column: Some(INSTRUMENT.into()),
                        value: Some(name.clone()),
                        ..Issue::file(file, "not an instrument of the data dictionary")
                    });
                    continue;
                }
                if instance.is_none() {
                    issues.push(Issue {
                        line: Some(line),
                        column_number: c_inst.map(|c| c + 1),
                        column: Some(INSTANCE.into()),
                        ..Issue::file(file, "a row of a repeating instrument needs its instance")
                    });
                    continue;
                }
            }
            out.rows.push(RecordRow {
                line,
                record,
                event: get(c_event),
                instrument,
                instance,
                cells,
            });
        }
        check_instances(&out, c_inst, &mut issues);
        if issues.is_empty() {
            Ok(out)
        } else {
            Err(issues)
        }
    }

    /// Records built from another layout (a spreadsheet, [`crate::sheet`]):
    /// every header name is a field of its own.
    pub(crate) fn from_rows(
        file: &str,
        header: Vec<String>,
        rows: Vec<RecordRow>,
        display: Vec<usize>,
    ) -> Records {
        let by_field = header
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        Records {
            file: file.to_string(),
            kinds: header
                .iter()
                .map(|h| ColumnKind::Field(h.clone()))
                .collect(),
            header,
            rows,
            by_field,
            display: Some(display),
            groups: HashMap::new(),
        }
    }

    /// Notes where each repeated group instance's fields are in the
    /// user's file: `(field column, instance, position, header name)`.
    pub(crate) fn with_group_columns(
        mut self,
        columns: impl IntoIterator<Item = (usize, u32, usize, String)>,
    ) -> Records {
        for (field, instance, pos, name) in columns {
            self.groups.insert((field, instance), (pos, name));
        }
        self
    }

    /// The 0-based position and the header name of field `name` in the
    /// user's file for a value of repeated instance `instance` (the
    /// group's own column), else as [`Records::display_column`].
    pub fn display_in(&self, name: &str, instance: Option<u32>) -> Option<(usize, String)> {
        let c = self.column_of(name)?;
        if let Some(hit) = instance.and_then(|n| self.groups.get(&(c, n))) {
            return Some(hit.clone());
        }
        self.display_column(name).map(|p| (p, name.to_string()))
    }

    /// The 0-based position of field `name` in the user's file.
    pub fn display_column(&self, name: &str) -> Option<usize> {
        let c = self.column_of(name)?;
        match &self.display {
            Some(d) => d.get(c).copied(),
            None => Some(c),
        }
    }

    /// The column of field `name`.
    pub fn column_of(&self, name: &str) -> Option<usize> {
        self.by_field.get(name).copied()
    }

    /// The value of field `name` in `row` (`None` when empty or absent).
    pub fn value<'a>(&self, row: &'a RecordRow, name: &str) -> Option<&'a str> {
        self.column_of(name)
            .and_then(|c| row.cells.get(c))
            .map(String::as_str)
            .filter(|s| !s.is_empty())
    }

    /// The ticked codes of checkbox field `name` in `row`, in column order.
    pub fn ticked(&self, row: &RecordRow, name: &str) -> Vec<(String, usize)> {
        self.kinds
            .iter()
            .enumerate()
            .filter_map(|(i, k)| match k {
                ColumnKind::Checkbox { field, code }
                    if field == name && row.cells.get(i).is_some_and(|v| v == "1") =>
                {
                    Some((code.clone(), i))
                }
                _ => None,
            })
            .collect()
    }

    /// The first column of checkbox field `name`.
    pub fn first_box(&self, name: &str) -> Option<usize> {
        self.kinds
            .iter()
            .position(|k| matches!(k, ColumnKind::Checkbox { field, .. } if field == name))
    }
}

/// What header name `h` holds: a field, a box of a checkbox field
/// (`field___code`, the code lower-cased and `-` written `_` as REDCap
/// does), a column REDCap adds, or `None` (not of this project).
fn classify(h: &str, dict: &Dictionary, forms: &[&str]) -> Option<ColumnKind> {
    if let Some(f) = dict.field(h)
        && f.field_type != "checkbox"
    {
        return Some(ColumnKind::Field(h.to_string()));
    }
    if let Some((name, code)) = h.split_once("___")
        && let Some(f) = dict.field(name).filter(|f| f.field_type == "checkbox")
    {
        let code = f
            .choices
            .iter()
            .map(|(c, _)| c)
            .find(|c| c.to_lowercase().replace('-', "_") == code)?;
        return Some(ColumnKind::Checkbox {
            field: name.to_string(),
            code: code.clone(),
        });
    }
    let special = h.starts_with("redcap_")
        || forms.iter().any(|f| {
            h.strip_prefix(f)
                .is_some_and(|rest| rest == "_complete" || rest == "_timestamp")
        });
    special.then_some(ColumnKind::Special)
}

/// Each (record, event, repeating instrument): instances 1..n, once each.
fn check_instances(records: &Records, c_inst: Option<usize>, issues: &mut Issues) {
    type Group<'a> = (&'a str, Option<&'a str>, &'a str);
    let mut groups: BTreeMap<Group<'_>, Vec<(u32, u64)>> = BTreeMap::new();
    for r in &records.rows {
        if let (Some(instr), Some(n)) = (&r.instrument, r.instance) {
            groups
                .entry((&r.record, r.event.as_deref(), instr))
                .or_default()
                .push((n, r.line));
        }
    }
    let mut by_line: Vec<Issue> = Vec::new();
    for ((record, event, instr), mut inst) in groups {
        inst.sort();
        let at = |line: u64, n: u32, reason: String| Issue {
            line: Some(line),
            column_number: c_inst.map(|c| c + 1),
            column: Some(INSTANCE.into()),
            value: Some(n.to_string()),
            ..Issue::file(&records.file, reason)
        };
        let event = event.map_or(String::new(), |e| format!(", event {e}"));
        let mut expected = 1;
        for w in 0..inst.len() {
            let (n, line) = inst[w];
            if w > 0 && inst[w - 1].0 == n {
                by_line.push(at(
                    line,
                    n,
                    format!(
                        "instance {n} of {instr} for record {record}{event} appears twice (first on line {})",
                        inst[w - 1].1
                    ),
                ));
                continue;
            }
            if n != expected {
                let missing: Vec<String> = (expected..n).map(|m| m.to_string()).collect();
                by_line.push(at(
                    line,
                    n,
                    format!(
                        "instance{} {} of {instr} for record {record}{event} missing before this one (instances are numbered 1, 2, … without a gap)",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.join(", ")
                    ),
                ));
            }
            expected = n + 1;
        }
    }
    by_line.sort_by_key(|i| i.line);
    for i in by_line {
        issues.push(i);
    }
}
