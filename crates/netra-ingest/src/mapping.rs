//! The mapping file (TOML): which REDCap instrument and field becomes which
//! registry entity and column, how coded choices become the registry's
//! vocabulary, the export's date format and the patient code. The format,
//! with a full example, is in `docs/import.md`.
//!
//! A mapping is checked against the data dictionary and the registry's
//! schema before any record is read ([`Mapping::check`]): unknown entities,
//! columns, fields and instruments, choice codes the dictionary does not
//! have, targets that are not codes of the column's vocabulary, and required
//! registry columns left unmapped are all reported together.

use std::collections::BTreeMap;

use netra_clinical::registry::schema::{Entity, Kind};
use serde::Deserialize;

use crate::dictionary::Dictionary;
use crate::issue::{Issue, Issues};

/// A whole mapping file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// How to read the export.
    #[serde(default)]
    pub source: Source,
    /// Study and site rows to create (or leave unchanged) with the patients.
    pub study: Option<StudyRows>,
    /// One entry per registry table produced.
    #[serde(default, rename = "table")]
    pub tables: Vec<TableMap>,
}

/// `[source]`: the export as a whole.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// The source's stable name (`net-redcap`): records an import of a
    /// named source creates are recorded as its own, and a later import of
    /// the same name removes those it no longer has (`docs/import.md`).
    /// Unnamed: nothing is ever removed.
    pub name: Option<String>,
    /// Template of the patient code from the record (default `{record}`:
    /// the record id as it is; e.g. `NET-{record}`).
    pub patient: Option<String>,
    /// How dates are written in the export: `ymd` (REDCap's raw export,
    /// the default), `dmy` or `mdy`.
    #[serde(default)]
    pub date_format: DateFormat,
    /// Spreadsheets: prefixes of repeated column groups (`tx` for `tx1_agent,
    /// tx1_start, tx2_agent, …`), each read as a repeating instrument whose
    /// fields are `tx_agent`, `tx_start`, … ([`crate::sheet`]).
    #[serde(default)]
    pub groups: Vec<String>,
}

/// The date order of an export.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DateFormat {
    /// `2015-03-10` (partial `2015-03` and `2015` are kept as partial dates).
    #[default]
    Ymd,
    /// `10-03-2015` or `10/03/2015`.
    Dmy,
    /// `03-10-2015` or `03/10/2015`.
    Mdy,
}

impl DateFormat {
    /// How the format is written, for messages.
    pub fn pattern(self) -> &'static str {
        match self {
            DateFormat::Ymd => "YYYY-MM-DD",
            DateFormat::Dmy => "DD-MM-YYYY",
            DateFormat::Mdy => "MM-DD-YYYY",
        }
    }
}

/// `[study]`: the study and site the patients belong to.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StudyRows {
    /// Study code.
    pub study: String,
    /// Study title.
    pub title: String,
    /// Site code (every patient's `site` unless the patients table maps it).
    pub site: String,
    /// Site name.
    pub site_name: String,
    /// Site country.
    pub country: Option<String>,
}

/// `[[table]]`: one registry table and where its rows come from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TableMap {
    /// The registry table: the bundle file's name without `.csv`
    /// (`patients`, `tumours`, `treatments`, …).
    pub entity: String,
    /// A repeating instrument: one row per instance. Without it: one row
    /// per record, from the record's non-repeating data.
    pub repeat: Option<String>,
    /// A checkbox field: one row per ticked box (of each record or
    /// instance); the field's value in `columns` is the ticked code.
    pub checkbox: Option<String>,
    /// Only rows of this event (`redcap_event_name`).
    pub event: Option<String>,
    /// Items stored as numbered fields of one row (a QLQ-C30 as `q1` …
    /// `q30`): one row per item number `n` from `from` to `to`, with
    /// `{item}` in a column's field, value or template replaced by `n`
    /// (`response = "q{item}"`, `item = { template = "{item}" }`). A row
    /// exists when its item's field has a value (an unanswered item is no
    /// row).
    pub items: Option<Items>,
    /// Registry column → where its value comes from.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnMap>,
    /// Of a table expanded from `items`: the field whose value makes the
    /// row exist.
    #[serde(skip)]
    pub item_field: Option<String>,
}

/// `items = { from = 1, to = 30 }` of a table.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Items {
    /// First item number.
    pub from: u32,
    /// Last item number.
    pub to: u32,
}

/// The most items one table may expand to.
const MAX_ITEMS: u32 = 500;

/// Replaces each table with `items` by one table per item number (see
/// [`TableMap::items`]).
fn expand_items(file: &str, tables: Vec<TableMap>) -> Result<Vec<TableMap>, Issues> {
    let mut out = Vec::new();
    let mut issues = Issues::default();
    for t in tables {
        let Some(items) = t.items else {
            out.push(t);
            continue;
        };
        let place = format!("table {}, items", t.entity);
        if items.from > items.to || items.to - items.from >= MAX_ITEMS {
            issues.push(Issue {
                column: Some(place),
                ..Issue::file(
                    file,
                    format!(
                        "items must run from a number to a larger one, at most {MAX_ITEMS} items"
                    ),
                )
            });
            continue;
        }
        let field_of = |c: &ColumnMap| -> Option<String> {
            match c {
                ColumnMap::Field(f) => Some(f.clone()),
                ColumnMap::Spec(s) => s.field.clone(),
            }
        };
        let Some(item_field) = t
            .columns
            .values()
            .filter_map(field_of)
            .find(|f| f.contains("{item}"))
        else {
            issues.push(Issue {
                column: Some(place),
                ..Issue::file(
                    file,
                    "a table with items needs a column whose field names the item (e.g. response = \"q{item}\")",
                )
            });
            continue;
        };
        for n in items.from..=items.to {
            let num = n.to_string();
            let sub = |x: &Option<String>| x.as_ref().map(|v| v.replace("{item}", &num));
            let columns = t
                .columns
                .iter()
                .map(|(k, c)| {
                    let c = match c {
                        ColumnMap::Field(f) => ColumnMap::Field(f.replace("{item}", &num)),
                        ColumnMap::Spec(s) => ColumnMap::Spec(ColumnSpec {
                            field: sub(&s.field),
                            value: sub(&s.value),
                            template: sub(&s.template),
                            choices: s.choices.clone(),
                        }),
                    };
                    (k.clone(), c)
                })
                .collect();
            out.push(TableMap {
                items: None,
                columns,
                item_field: Some(item_field.replace("{item}", &num)),
                ..t.clone()
            });
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// Where a column's value comes from.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ColumnMap {
    /// A field, its value as it is (`birth_date = "dob"`).
    Field(String),
    /// A field with choices, a constant or a template.
    Spec(ColumnSpec),
}

/// The long form of a column's source; exactly one of `field`, `value`,
/// `template`.
#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// A REDCap field.
    pub field: Option<String>,
    /// A constant.
    pub value: Option<String>,
    /// A template: `{record}`, `{instance}`, `{event}` and `{field}` are
    /// replaced (`T{instance}`, `A{les_assessment}`); empty when a field
    /// it names is empty.
    pub template: Option<String>,
    /// Choice code → registry code (`""`: not recorded).
    pub choices: Option<BTreeMap<String, String>>,
}

/// A column's source, resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    /// A field, with its choice map.
    Field {
        /// The field.
        field: String,
        /// Choice code → registry code.
        choices: Option<BTreeMap<String, String>>,
    },
    /// A constant.
    Value(String),
    /// A template.
    Template(Vec<Part>),
}

/// A piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text as written.
    Text(String),
    /// `{name}`.
    Var(String),
}

/// Splits a template into text and `{name}` parts.
pub fn parse_template(t: &str) -> Result<Vec<Part>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Part::Text(rest[..open].to_string()));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("template '{t}' has a '{{' without '}}'"))?;
        let name = after[..close].trim();
        if name.is_empty() {
            return Err(format!("template '{t}' has an empty '{{}}'"));
        }
        out.push(Part::Var(name.to_string()));
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err(format!("template '{t}' has a '}}' without '{{'"));
    }
    if !rest.is_empty() {
        out.push(Part::Text(rest.to_string()));
    }
    Ok(out)
}

/// The variables every template may use besides fields.
pub const TEMPLATE_VARS: [&str; 3] = ["record", "instance", "event"];

/// A checked table map.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedTable {
    /// The entity.
    pub entity: Entity,
    /// As written.
    pub map: TableMap,
    /// Per schema column, its source (`patient`: the patient template).
    pub columns: Vec<Option<Resolved>>,
}

impl Mapping {
    /// Reads a mapping file's text. A TOML error names its line.
    pub fn parse(file: &str, text: &str) -> Result<Mapping, Issues> {
        let mut m = Self::parse_as_written(file, text)?;
        m.tables = expand_items(file, std::mem::take(&mut m.tables))?;
        Ok(m)
    }

    fn parse_as_written(file: &str, text: &str) -> Result<Mapping, Issues> {
        toml::from_str::<Mapping>(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() as u64 + 1);
            let mut is = Issues::default();
            // Some TOML errors carry no message of their own.
            let reason = match e.message().trim() {
                "" => "not valid TOML here".to_string(),
                m => m.to_string(),
            };
            is.push(Issue {
                line,
                ..Issue::file(file, reason)
            });
            is
        })
    }

    /// Checks the mapping against the dictionary and the schema, and
    /// resolves every table (in entity order).
    pub fn check(&self, file: &str, dict: &Dictionary) -> Result<Vec<CheckedTable>, Issues> {
        let mut issues = Issues::default();
        let at = |place: String, reason: String| Issue {
            column: Some(place),
            ..Issue::file(file, reason)
        };
        let patient_template = self.source.patient.as_deref().unwrap_or("{record}");
        let patient_parts = match parse_template(patient_template) {
            Ok(p) => Some(p),
            Err(r) => {
                issues.push(at("[source] patient".into(), r));
                None
            }
        };
        let forms = dict.forms();
        let mut out: Vec<CheckedTable> = Vec::new();
        for (n, t) in self.tables.iter().enumerate() {
            let place = |col: &str| {
                if col.is_empty() {
                    format!("table {} ({})", n + 1, t.entity)
                } else {
                    format!("table {} ({}), column {col}", n + 1, t.entity)
                }
            };
            let Some(entity) = Entity::ALL
                .into_iter()
                .find(|e| e.spec().file.strip_suffix(".csv") == Some(t.entity.as_str()))
                .filter(|e| *e >= Entity::Patient)
            else {
                let names: Vec<&str> = Entity::ALL[2..]
                    .iter()
                    .filter_map(|e| e.spec().file.strip_suffix(".csv"))
                    .collect();
                issues.push(at(
                    place(""),
                    format!("unknown registry table (tables are: {})", names.join(", ")),
                ));
                continue;
            };
            // the tables one `items` table expanded to share their entity
            if out.iter().any(|c: &CheckedTable| {
                c.entity == entity && !(c.map.item_field.is_some() && t.item_field.is_some())
            }) {
                issues.push(at(place(""), "the table is mapped twice".into()));
                continue;
            }
            if let Some(r) = &t.repeat
                && !forms.contains(&r.as_str())
            {
                issues.push(at(
                    place(""),
                    format!(
                        "repeat: '{r}' is not an instrument of the dictionary (instruments: {})",
                        forms.join(", ")
                    ),
                ));
            }
            if let Some(cb) = &t.checkbox
                && dict.field(cb).is_none_or(|f| f.field_type != "checkbox")
            {
                issues.push(at(
                    place(""),
                    format!("checkbox: '{cb}' is not a checkbox field of the dictionary"),
                ));
            }
            let spec = entity.spec();
            let mut columns: Vec<Option<Resolved>> = vec![None; spec.columns.len()];
            for (name, m) in &t.columns {
                let Some(i) = spec.position(name) else {
                    let allowed: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
                    issues.push(at(
                        place(name),
                        format!(
                            "not a column of {} (columns are: {})",
                            spec.file,
                            allowed.join(", ")
                        ),
                    ));
                    continue;
                };
                if name == "patient" {
                    issues.push(at(
                        place(name),
                        "the patient code comes from [source] patient, not from a table".into(),
                    ));
                    continue;
                }
                let kind = &spec.columns[i].kind;
                match resolve(m, dict, kind) {
                    Ok(r) => {
                        if let Resolved::Template(parts) = &r {
                            for p in parts {
                                if let Part::Var(v) = p
                                    && !TEMPLATE_VARS.contains(&v.as_str())
                                    && dict.field(v).is_none()
                                {
                                    issues.push(at(
                                            place(name),
                                            format!("template variable '{{{v}}}' is neither record, instance, event nor a field of the dictionary"),
                                        ));
                                }
                            }
                        }
                        columns[i] = Some(r);
                    }
                    Err(reasons) => {
                        for r in reasons {
                            issues.push(at(place(name), r));
                        }
                    }
                }
            }
            if let Some(parts) = &patient_parts {
                columns[0] = Some(Resolved::Template(parts.clone()));
            }
            if entity == Entity::Patient
                && columns[1].is_none()
                && let (Some(s), Some(i)) = (&self.study, spec.position("site"))
            {
                columns[i] = Some(Resolved::Value(s.site.clone()));
            }
            for (i, c) in spec.columns.iter().enumerate() {
                if c.required && columns[i].is_none() && !issues_for(&issues, &place(c.name)) {
                    issues.push(at(
                        place(c.name),
                        format!(
                            "the required column '{}' of {} is not mapped",
                            c.name, spec.file
                        ),
                    ));
                }
            }
            out.push(CheckedTable {
                entity,
                map: t.clone(),
                columns,
            });
        }
        if !out.iter().any(|c| c.entity == Entity::Patient) && issues.is_empty() {
            issues.push(Issue::file(
                file,
                "no [[table]] with entity = \"patients\": every record is a patient",
            ));
        }
        out.sort_by_key(|c| c.entity);
        if issues.is_empty() {
            Ok(out)
        } else {
            Err(issues)
        }
    }
}

fn issues_for(issues: &Issues, place: &str) -> bool {
    issues
        .list
        .iter()
        .any(|i| i.column.as_deref() == Some(place))
}

/// Resolves one column's source, checking fields and choices.
fn resolve(m: &ColumnMap, dict: &Dictionary, kind: &Kind) -> Result<Resolved, Vec<String>> {
    let spec = match m {
        ColumnMap::Field(f) => ColumnSpec {
            field: Some(f.clone()),
            ..ColumnSpec::default()
        },
        ColumnMap::Spec(s) => s.clone(),
    };
    let given = [&spec.field, &spec.value, &spec.template]
        .iter()
        .filter(|x| x.is_some())
        .count();
    if given != 1 {
        return Err(vec!["give exactly one of field, value and template".into()]);
    }
    if let Some(v) = spec.value {
        return match target_problem(&v, kind) {
            Some(r) => Err(vec![format!("value '{v}': {r}")]),
            None => Ok(Resolved::Value(v)),
        };
    }
    if let Some(t) = spec.template {
        return parse_template(&t)
            .map(Resolved::Template)
            .map_err(|r| vec![r]);
    }
    let field = spec.field.unwrap_or_default();
    let Some(f) = dict.field(&field) else {
        return Err(vec![format!(
            "'{field}' is not a field of the data dictionary"
        )]);
    };
    let mut problems = Vec::new();
    if let Some(choices) = &spec.choices {
        if !f.has_choices() && f.field_type != crate::sheet::FIELD_TYPE {
            problems.push(format!(
                "choices given, but '{field}' ({}) has no choice list",
                f.field_type
            ));
        }
        for (code, target) in choices {
            if f.has_choices() && f.choice_label(code).is_none() {
                let codes: Vec<&str> = f.choices.iter().map(|(c, _)| c.as_str()).collect();
                problems.push(format!(
                    "choice '{code}' is not a code of '{field}' in the dictionary (codes: {})",
                    codes.join(", ")
                ));
            }
            if !target.is_empty()
                && let Some(r) = target_problem(target, kind)
            {
                problems.push(format!("choice '{code}' → '{target}': {r}"));
            }
        }
    } else if let Kind::Code(v) = kind {
        // Without a choice map the codes must already be the registry's.
        let foreign: Vec<&str> = f
            .choices
            .iter()
            .map(|(c, _)| c.as_str())
            .filter(|c| !v.codes.contains(c))
            .collect();
        if !foreign.is_empty() && f.field_type != "checkbox" {
            problems.push(format!(
                "'{field}' is coded {} but {} needs codes of {}: give choices = {{ \"{}\" = \"…\", … }}",
                foreign.join(", "),
                v.name,
                v.name,
                foreign[0]
            ));
        }
    }
    if problems.is_empty() {
        Ok(Resolved::Field {
            field,
            choices: spec.choices,
        })
    } else {
        Err(problems)
    }
}

/// Why `text` cannot be a value of a column of `kind` (codes and yes/no
/// only: other values are checked by the import).
fn target_problem(text: &str, kind: &Kind) -> Option<String> {
    match kind {
        Kind::Code(v) if !v.codes.contains(&text) => Some(format!(
            "not a code of {} (codes: {})",
            v.name,
            v.codes.join(", ")
        )),
        Kind::YesNo if text != "yes" && text != "no" => Some("must be yes or no".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_split_into_text_and_variables() {
        assert_eq!(
            parse_template("T{instance}").unwrap(),
            vec![Part::Text("T".into()), Part::Var("instance".into())]
        );
        assert!(parse_template("T{instance").is_err());
        assert!(parse_template("T}").is_err());
        assert!(parse_template("{}").is_err());
    }

    #[test]
    fn a_toml_error_names_its_line() {
        let e = Mapping::parse("m.toml", "[source]\n\n[[table]]\nentity = 3\n").unwrap_err();
        assert_eq!(e.list[0].line, Some(4), "{e}");
    }
}
