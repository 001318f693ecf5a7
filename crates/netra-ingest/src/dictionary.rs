//! A REDCap data dictionary (the project's "Data Dictionary" CSV export):
//! one row per field with its instrument ("Form Name"), type, label,
//! choices ("1, Pancreas | 2, Small intestine") and validation.

use std::collections::HashMap;

use crate::issue::{Issue, Issues};

/// One field of the dictionary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Variable / field name.
    pub name: String,
    /// Instrument (form) name.
    pub form: String,
    /// Field type (`text`, `radio`, `dropdown`, `checkbox`, `yesno`, `calc`, …).
    pub field_type: String,
    /// Field label.
    pub label: String,
    /// Coded choices (code, label) of radio, dropdown and checkbox fields;
    /// `1 Yes / 0 No` of yesno and `1 True / 0 False` of truefalse fields.
    pub choices: Vec<(String, String)>,
    /// Text validation type (`date_ymd`, `number`, `integer`, …), if any.
    pub validation: Option<String>,
    /// "Required Field?" is `y`.
    pub required: bool,
    /// Line in the dictionary file.
    pub line: u64,
}

impl Field {
    /// True for a field whose values are codes of a choice list.
    pub fn has_choices(&self) -> bool {
        !self.choices.is_empty()
    }

    /// The label of choice `code`.
    pub fn choice_label(&self, code: &str) -> Option<&str> {
        self.choices
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.as_str())
    }

    /// True for a date or datetime field (by its validation type).
    pub fn is_date(&self) -> bool {
        self.validation
            .as_deref()
            .is_some_and(|v| v.starts_with("date") || v.starts_with("datetime"))
    }
}

/// The fields of a project, in dictionary order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dictionary {
    /// The file name (for messages).
    pub file: String,
    /// Fields in order; the first is the record id.
    pub fields: Vec<Field>,
    by_name: HashMap<String, usize>,
}

const NAME: &str = "Variable / Field Name";
const FORM: &str = "Form Name";
const TYPE: &str = "Field Type";
const LABEL: &str = "Field Label";
const CHOICES: &str = "Choices, Calculations, OR Slider Labels";
const VALIDATION: &str = "Text Validation Type OR Show Slider Number";
const REQUIRED: &str = "Required Field?";

/// The same columns as the API's `content=metadata` export names them.
const API_NAMES: [(&str, &str); 7] = [
    (NAME, "field_name"),
    (FORM, "form_name"),
    (TYPE, "field_type"),
    (LABEL, "field_label"),
    (CHOICES, "select_choices_or_calculations"),
    (VALIDATION, "text_validation_type_or_show_slider_number"),
    (REQUIRED, "required_field"),
];

impl Dictionary {
    /// Reads a dictionary export. Every problem is reported.
    pub fn parse(file: &str, bytes: &[u8]) -> Result<Dictionary, Issues> {
        let mut issues = Issues::default();
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(bytes);
        let header = crate::issue::read_header(file, &mut r)?;
        // The dictionary as the web export or as the API's metadata names
        // its columns.
        let pos = |name: &str| {
            let api = API_NAMES
                .iter()
                .find(|(ui, _)| *ui == name)
                .map(|(_, a)| *a);
            header
                .iter()
                .position(|h| h == name || Some(h.as_str()) == api)
        };
        let (Some(c_name), Some(c_form), Some(c_type), Some(c_label)) =
            (pos(NAME), pos(FORM), pos(TYPE), pos(LABEL))
        else {
            issues.push(Issue {
                line: Some(1),
                ..Issue::file(
                    file,
                    format!(
                        "not a REDCap data dictionary: the header needs '{NAME}', '{FORM}', '{TYPE}' and '{LABEL}'"
                    ),
                )
            });
            return Err(issues);
        };
        let (c_choices, c_valid, c_req) = (pos(CHOICES), pos(VALIDATION), pos(REQUIRED));
        let mut dict = Dictionary {
            file: file.to_string(),
            ..Dictionary::default()
        };
        for rec in r.records() {
            let rec = match rec {
                Ok(rec) => rec,
                Err(e) => {
                    let line = e.position().map(|p| p.line());
                    issues.push(Issue {
                        line,
                        ..Issue::file(file, format!("malformed CSV: {e}"))
                    });
                    return Err(issues);
                }
            };
            let line = rec.position().map_or(0, |p| p.line());
            let cell = |i: Option<usize>| {
                i.and_then(|i| rec.get(i))
                    .map(str::trim)
                    .unwrap_or("")
                    .to_string()
            };
            let name = cell(Some(c_name));
            if name.is_empty() {
                issues.push(Issue {
                    line: Some(line),
                    column_number: Some(c_name + 1),
                    column: Some(NAME.into()),
                    ..Issue::file(file, "a field name is required")
                });
                continue;
            }
            let field_type = cell(Some(c_type));
            let raw_choices = cell(c_choices);
            let choices = match field_type.as_str() {
                "radio" | "dropdown" | "checkbox" => match parse_choices(&raw_choices) {
                    Ok(c) => c,
                    Err(reason) => {
                        issues.push(Issue {
                            line: Some(line),
                            column_number: c_choices.map(|c| c + 1),
                            column: Some(CHOICES.into()),
                            value: Some(raw_choices.clone()),
                            ..Issue::file(file, reason)
                        });
                        Vec::new()
                    }
                },
                "yesno" => vec![("1".into(), "Yes".into()), ("0".into(), "No".into())],
                "truefalse" => vec![("1".into(), "True".into()), ("0".into(), "False".into())],
                _ => Vec::new(),
            };
            let validation = Some(cell(c_valid)).filter(|v| !v.is_empty());
            if dict.by_name.contains_key(&name) {
                issues.push(Issue {
                    line: Some(line),
                    column_number: Some(c_name + 1),
                    column: Some(NAME.into()),
                    value: Some(name.clone()),
                    ..Issue::file(file, "the field is listed twice")
                });
                continue;
            }
            dict.by_name.insert(name.clone(), dict.fields.len());
            dict.fields.push(Field {
                name,
                form: cell(Some(c_form)),
                field_type,
                label: cell(Some(c_label)),
                choices,
                validation,
                required: cell(c_req).eq_ignore_ascii_case("y"),
                line,
            });
        }
        if dict.fields.is_empty() && issues.is_empty() {
            issues.push(Issue::file(file, "the dictionary has no field"));
        }
        if issues.is_empty() {
            Ok(dict)
        } else {
            Err(issues)
        }
    }

    /// A dictionary of the given fields (the first is the record id).
    pub(crate) fn from_fields(file: &str, fields: Vec<Field>) -> Dictionary {
        let by_name = fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.clone(), i))
            .collect();
        Dictionary {
            file: file.to_string(),
            fields,
            by_name,
        }
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.by_name.get(name).map(|&i| &self.fields[i])
    }

    /// The record id field (the first of the dictionary).
    pub fn record_id(&self) -> Option<&Field> {
        self.fields.first()
    }

    /// The instruments, in dictionary order.
    pub fn forms(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for f in &self.fields {
            if !out.contains(&f.form.as_str()) {
                out.push(&f.form);
            }
        }
        out
    }
}

/// Parses REDCap's choice list `1, Pancreas | 2, Small intestine`.
pub fn parse_choices(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in text.split('|').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((code, label)) = part.split_once(',') else {
            return Err(format!("choice '{part}' is not 'code, label'"));
        };
        let code = code.trim().to_string();
        if code.is_empty() {
            return Err(format!("choice '{part}' has no code"));
        }
        if out.iter().any(|(c, _)| *c == code) {
            return Err(format!("choice code '{code}' appears twice"));
        }
        out.push((code, label.trim().to_string()));
    }
    if out.is_empty() {
        return Err("a choice field needs its choices ('1, Label | 2, Label')".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_with_commas_in_labels() {
        let c = parse_choices("1, Pancreas | 2, Small intestine, ileum|9,Unknown").unwrap();
        assert_eq!(c[1], ("2".into(), "Small intestine, ileum".into()));
        assert_eq!(c[2], ("9".into(), "Unknown".into()));
        assert!(parse_choices("1 Pancreas").is_err());
        assert!(parse_choices("1, a | 1, b").is_err());
    }

    #[test]
    fn a_dictionary_without_the_redcap_header_is_refused() {
        let e = Dictionary::parse("d.csv", b"name,form\nx,y\n").unwrap_err();
        assert!(e.list[0].reason.starts_with("not a REDCap data dictionary"));
    }
}
