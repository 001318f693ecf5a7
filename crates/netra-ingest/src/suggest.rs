//! `--suggest-mapping`: a draft mapping written from the data dictionary
//! alone, for a data manager to finish by hand. Instruments are matched to
//! registry tables by their names, fields to columns by names, labels and
//! validation types (a `date_*` field only to a date column), choices to
//! vocabulary codes by their labels. Everything not matched is listed as a
//! comment: every unmapped field, every choice without a registry code,
//! every required column left unmapped.

use std::fmt::Write as _;

use netra_clinical::registry::schema::{Entity, Kind};

use crate::dictionary::{Dictionary, Field};

/// Words of instrument names that suggest a table, most specific first.
const TABLE_WORDS: &[(Entity, &[&str])] = &[
    (
        Entity::Immunohistochemistry,
        &["immunohisto", "ihc", "stain"],
    ),
    (
        Entity::GeneticTest,
        &["genet", "germline", "mutation", "sequenc"],
    ),
    (Entity::Comorbidity, &["comorb", "charlson"]),
    (Entity::QolResponse, &["qlq", "qol", "quality_of_life"]),
    (Entity::Lesion, &["lesion"]),
    (Entity::Metastasis, &["metast"]),
    (Entity::AdverseEvent, &["adverse", "toxic"]),
    (Entity::Biomarker, &["marker", "lab"]),
    (
        Entity::Assessment,
        &[
            "assess", "imaging", "scan", "radiolog", "response", "recist",
        ],
    ),
    (
        Entity::Treatment,
        &["treat", "therap", "surg", "prrt", "regimen", "drug"],
    ),
    (Entity::ClinicalStatus, &["visit", "ecog", "symptom"]),
    (Entity::Tumour, &["tumour", "tumor", "patholog", "histolog"]),
    (
        Entity::Patient,
        &[
            "demograph",
            "patient",
            "follow",
            "baseline",
            "enrol",
            "regist",
            "death",
            "vital",
            "surviv",
        ],
    ),
];

/// Field-name and label words that suggest a column, per table.
const COLUMN_WORDS: &[(Entity, &str, &[&str])] = &[
    (Entity::Patient, "sex", &["sex", "gender"]),
    (Entity::Patient, "birth_date", &["dob", "birth"]),
    (
        Entity::Patient,
        "diagnosis_date",
        &["dx_date", "diagnosis", "diag_date"],
    ),
    (
        Entity::Patient,
        "metastatic_date",
        &["met_date", "date of metasta"],
    ),
    (
        Entity::Patient,
        "metastatic_setting",
        &["met_setting", "setting"],
    ),
    (
        Entity::Patient,
        "last_followup_date",
        &["fu_date", "last follow", "last_fu", "followup_date"],
    ),
    (Entity::Patient, "vital_status", &["vital", "alive"]),
    (
        Entity::Patient,
        "death_date",
        &["dod", "death_date", "date of death"],
    ),
    (
        Entity::Patient,
        "death_cause",
        &["death_cause", "cause of death", "cod"],
    ),
    (Entity::Patient, "age_at_entry", &["age"]),
    (Entity::Patient, "ecog", &["ecog", "performance"]),
    (Entity::Patient, "notes", &["note", "remark", "comment"]),
    (Entity::Tumour, "primary_site", &["prim", "primary"]),
    (Entity::Tumour, "differentiation", &["diff"]),
    (
        Entity::Tumour,
        "ki67_percent",
        &["ki67", "ki-67", "ki_67", "mib"],
    ),
    (Entity::Tumour, "who_grade", &["grade"]),
    (Entity::Tumour, "mitoses_per_2mm2", &["mitos"]),
    (Entity::Tumour, "stage", &["stage", "tnm"]),
    (
        Entity::Tumour,
        "functional_syndrome",
        &["syndrome", "functional"],
    ),
    (Entity::Tumour, "krenning_uptake", &["krenning"]),
    (
        Entity::Metastasis,
        "site",
        &["met_site", "metastatic site", "site"],
    ),
    (Entity::Treatment, "type", &["type"]),
    (Entity::Treatment, "start_date", &["start"]),
    (Entity::Treatment, "end_date", &["end", "stop_date"]),
    (Entity::Treatment, "stop_reason", &["stop", "reason"]),
    (Entity::Treatment, "intent", &["intent"]),
    (Entity::Treatment, "line", &["line"]),
    (Entity::TreatmentAgent, "agent", &["agent", "drug"]),
    (Entity::TreatmentAgent, "dose_unit", &["unit"]),
    (Entity::TreatmentAgent, "dose", &["dose"]),
    (Entity::Assessment, "date", &["date"]),
    (Entity::Assessment, "modality", &["modality"]),
    (Entity::Assessment, "investigator_response", &["resp"]),
    (Entity::Lesion, "lesion", &["les_id", "lesion id"]),
    (Entity::Lesion, "organ", &["organ", "location"]),
    (Entity::Lesion, "role", &["role", "target"]),
    (Entity::Lesion, "longest_mm", &["diameter", "mm", "size"]),
    (Entity::Biomarker, "marker", &["marker"]),
    (Entity::Biomarker, "date", &["date"]),
    (Entity::Biomarker, "value", &["value", "result"]),
    (Entity::Biomarker, "unit", &["unit"]),
    (Entity::AdverseEvent, "term", &["term"]),
    (Entity::AdverseEvent, "grade", &["grade"]),
    (Entity::AdverseEvent, "onset_date", &["onset"]),
];

/// The tables whose columns a form of table `e` may fill.
fn with_children(e: Entity) -> Vec<Entity> {
    match e {
        Entity::Treatment => vec![Entity::Treatment, Entity::TreatmentAgent],
        Entity::Tumour => vec![Entity::Tumour, Entity::Metastasis],
        other => vec![other],
    }
}

fn table_of(form: &str) -> Option<Entity> {
    let f = form.to_lowercase();
    TABLE_WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| f.contains(w)))
        .map(|(e, _)| *e)
}

/// The column a field suggests among `tables` (not yet taken).
fn column_for(
    field: &Field,
    tables: &[Entity],
    taken: &[(Entity, &str)],
) -> Option<(Entity, &'static str)> {
    let name = field.name.to_lowercase();
    let label = field.label.to_lowercase();
    for (e, col, words) in COLUMN_WORDS {
        if !tables.contains(e) || taken.contains(&(*e, *col)) {
            continue;
        }
        let Some(spec) = e.spec().column(col) else {
            continue;
        };
        let is_date_col = matches!(spec.kind, Kind::Date);
        if field.is_date() != is_date_col && (field.is_date() || field.validation.is_some()) {
            continue;
        }
        if spec.name == name || words.iter().any(|w| name.contains(w) || label.contains(w)) {
            return Some((*e, spec.name));
        }
    }
    None
}

/// A choice label's registry code in vocabulary `kind`, if one matches.
fn code_for(label: &str, kind: &Kind) -> Option<&'static str> {
    let l = label.to_lowercase();
    let snake: String = l
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    match kind {
        Kind::Code(v) => v
            .codes
            .iter()
            .zip(&v.labels)
            .find(|(c, lab)| **c == snake || lab.to_lowercase() == l)
            .or_else(|| {
                v.codes
                    .iter()
                    .zip(&v.labels)
                    .find(|(c, _)| c.len() > 2 && (l.starts_with(*c) || snake.starts_with(*c)))
            })
            .map(|(c, _)| *c),
        Kind::YesNo => match l.as_str() {
            "yes" | "true" => Some("yes"),
            "no" | "false" => Some("no"),
            _ => None,
        },
        _ => None,
    }
}

/// Text for a comment: one line (a label may hold a line break, which
/// would end the comment and break the TOML).
fn flat(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The draft mapping of a dictionary, as TOML text.
pub fn suggest(dict: &Dictionary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Draft mapping of {} written by `netra import redcap --suggest-mapping`.\n\
         # Check every line: matches are guesses from names, labels and validation types.\n\
         # The format is in docs/import.md. Lines starting with # are not read.\n\n\
         [source]\npatient = \"{{record}}\"\ndate_format = \"ymd\"\n\n\
         # [study]\n# study = \"…\"\n# title = \"…\"\n# site = \"…\"\n# site_name = \"…\"\n",
        flat(&dict.file)
    );
    let record_id = dict.record_id().map(|f| f.name.clone()).unwrap_or_default();
    let mut notes: Vec<String> = Vec::new();
    // (table, column, field, form), over all instruments: one table may
    // take fields of several (demographics and follow-up → patients).
    let mut chosen: Vec<(Entity, &'static str, &Field, &str)> = Vec::new();
    let mut unmapped: Vec<(&str, Vec<&Field>)> = Vec::new();
    for form in dict.forms() {
        let fields: Vec<&Field> = dict
            .fields
            .iter()
            .filter(|f| f.form == form && f.name != record_id && f.field_type != "descriptive")
            .collect();
        let Some(main) = table_of(form) else {
            notes.push(format!(
                "# instrument {}: no registry table recognised; unmapped fields: {}",
                flat(form),
                flat(
                    &fields
                        .iter()
                        .map(|f| f.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            ));
            continue;
        };
        let tables = with_children(main);
        let mut left = Vec::new();
        for f in fields {
            let taken: Vec<(Entity, &str)> = chosen.iter().map(|c| (c.0, c.1)).collect();
            match column_for(f, &tables, &taken) {
                Some((e, c)) => chosen.push((e, c, f, form)),
                None => left.push(f),
            }
        }
        if !left.is_empty() {
            unmapped.push((form, left));
        }
    }
    for e in Entity::ALL {
        let cols: Vec<(Entity, &str, &Field)> = chosen
            .iter()
            .filter(|c| c.0 == e)
            .map(|c| (c.0, c.1, c.2))
            .collect();
        if let Some(first) = chosen.iter().find(|c| c.0 == e) {
            let repeats = !matches!(e, Entity::Patient | Entity::Tumour | Entity::Metastasis);
            let cols: Vec<&(Entity, &str, &Field)> = cols.iter().collect();
            write_table(&mut out, e, repeats.then_some(first.3), &cols);
        }
    }
    for (form, fields) in unmapped {
        let _ = writeln!(out, "# unmapped fields of instrument {}:", flat(form));
        for f in fields {
            let _ = writeln!(
                out,
                "#   {} ({}{}): {}",
                flat(&f.name),
                flat(&f.field_type),
                f.validation
                    .as_deref()
                    .map_or(String::new(), |v| format!(", {}", flat(v))),
                flat(&f.label)
            );
        }
        out.push('\n');
    }
    for l in notes {
        let _ = writeln!(out, "{l}");
    }
    out
}

fn write_table(
    out: &mut String,
    e: Entity,
    repeat: Option<&str>,
    cols: &[&(Entity, &str, &Field)],
) {
    let spec = e.spec();
    let name = spec.file.trim_end_matches(".csv");
    let _ = writeln!(out, "[[table]]\nentity = \"{name}\"");
    if let Some(form) = repeat {
        let _ = writeln!(
            out,
            "repeat = {}   # delete if the instrument does not repeat",
            quote(form)
        );
    }
    if let Some((_, _, f)) = cols.iter().find(|c| c.2.field_type == "checkbox") {
        let _ = writeln!(out, "checkbox = {}", quote(&f.name));
    }
    let _ = writeln!(out, "[table.columns]");
    let key_template = match e {
        Entity::Tumour => Some(("tumour", "{ value = \"1\" }")),
        Entity::Treatment | Entity::TreatmentAgent => {
            Some(("treatment", "{ template = \"T{instance}\" }"))
        }
        Entity::Assessment => Some(("assessment", "{ template = \"A{instance}\" }")),
        Entity::AdverseEvent => Some(("event", "{ template = \"AE{instance}\" }")),
        _ => None,
    };
    if let Some((c, t)) = key_template {
        let _ = writeln!(out, "{c} = {t}");
    }
    let mut choice_blocks = String::new();
    for (_, col, f) in cols
        .iter()
        .filter(|c| !c.2.has_choices() || c.2.field_type == "yesno")
    {
        let _ = writeln!(out, "{col} = {}   # {}", quote(&f.name), flat(&f.label));
    }
    for (_, col, f) in cols
        .iter()
        .filter(|c| c.2.has_choices() && c.2.field_type != "yesno")
    {
        let kind = &spec
            .column(col)
            .map(|c| c.kind.clone())
            .unwrap_or(Kind::Text);
        let _ = writeln!(
            choice_blocks,
            "[table.columns.{col}]\nfield = {}   # {}",
            quote(&f.name),
            flat(&f.label)
        );
        let _ = writeln!(choice_blocks, "[table.columns.{col}.choices]");
        for (code, label) in &f.choices {
            let label = flat(label);
            match code_for(&label, kind) {
                Some(c) => {
                    let _ = writeln!(choice_blocks, "{} = \"{c}\"   # {label}", quote(code));
                }
                None => {
                    let _ = writeln!(
                        choice_blocks,
                        "# {} = \"\"   # unmapped choice: {label} (no registry code found)",
                        quote(code)
                    );
                }
            }
        }
    }
    let mapped: Vec<&str> = cols.iter().map(|c| c.1).collect();
    let missing: Vec<&str> = spec
        .columns
        .iter()
        .filter(|c| c.required && c.name != "patient" && !mapped.contains(&c.name))
        .filter(|c| key_template.is_none_or(|(k, _)| k != c.name))
        .filter(|c| !(e == Entity::Patient && c.name == "site"))
        .map(|c| c.name)
        .collect();
    for m in missing {
        let _ = writeln!(out, "# required, not mapped: {m} = \"…\"");
    }
    out.push_str(&choice_blocks);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::schema::Entity;

    #[test]
    fn choice_labels_find_vocabulary_codes() {
        let k = &Entity::Tumour.spec().column("primary_site").unwrap().kind;
        assert_eq!(code_for("Pancreas", k), Some("pancreas"));
        assert_eq!(code_for("Small intestine (jejunum/ileum)", k), None);
        let k = &Entity::Patient.spec().column("vital_status").unwrap().kind;
        assert_eq!(code_for("Lost to follow-up", k), Some("lost_to_follow_up"));
    }

    #[test]
    fn a_draft_stays_valid_toml_with_line_breaks_and_quotes_in_the_dictionary() {
        let d = Dictionary::parse(
            "d.csv",
            "Variable / Field Name,Form Name,Field Type,Field Label,\"Choices, Calculations, OR Slider Labels\"\n\
             id,demographics,text,Id,\n\
             sex,demographics,radio,\"Sex\nat \"\"birth\"\"\",\"1, Male\n(x) | 2, Female\"\n\
             odd,\"strange\nform\",text,\"a\nb\",\n"
                .as_bytes(),
        )
        .unwrap();
        let text = suggest(&d);
        let parsed = crate::mapping::Mapping::parse("draft.toml", &text);
        assert!(parsed.is_ok(), "{parsed:?}\n{text}");
        assert!(
            text.contains(
                "# instrument strange form: no registry table recognised; unmapped fields: odd"
            ),
            "{text}"
        );
    }
}
