//! Several records on one page: a new treatment's agents and a new
//! assessment's lesions are entered as rows of the parent's form and saved
//! with it in one transaction, all or nothing
//! ([`crate::access::save_with_children`]).
//!
//! Each row's fields are named `<prefix><n>_<column>` (`ag2_dose`,
//! `le1_longest_mm`); a row is saved when one of its fields holds something
//! the form did not put there. At a follow-up assessment the rows start as
//! the patient's lesions (the lesion chosen in a list, organ and role
//! filled in), so that only the measurements are typed; a new lesion is an
//! explicit choice with its own identifier, as on the one-lesion form
//! (issue 13).

use std::collections::HashMap;

use maud::{Markup, html};
use netra_clinical::registry::Entity;
use netra_clinical::registry::schema::{ColumnSpec, Kind};

use crate::error::FieldProblem;

/// The value of a row's lesion choice that asks for a new lesion.
pub const NEW_LESION: &str = "__new__";

/// The rows a parent's form carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChildRows {
    /// The child entity.
    pub entity: Entity,
    /// The prefix of the rows' field names.
    pub prefix: &'static str,
    /// What one row is called in messages ("agent", "lesion").
    pub row_label: &'static str,
    /// The columns a row shows, in order.
    pub columns: &'static [&'static str],
    /// Empty rows offered besides prefilled ones.
    pub spare: usize,
}

/// A new treatment's agents.
pub const AGENTS: ChildRows = ChildRows {
    entity: Entity::TreatmentAgent,
    prefix: "ag",
    row_label: "agent",
    columns: &[
        "agent",
        "agent_detail",
        "dose",
        "dose_unit",
        "route",
        "formulation",
    ],
    spare: 3,
};

/// A new assessment's lesions.
pub const LESIONS: ChildRows = ChildRows {
    entity: Entity::Lesion,
    prefix: "le",
    row_label: "lesion",
    columns: &[
        "lesion",
        "organ",
        "role",
        "longest_mm",
        "short_axis_mm",
        "status",
    ],
    spare: 3,
};

/// The rows of a parent's form, if it has any.
pub fn of(parent: Entity) -> Option<&'static ChildRows> {
    match parent {
        Entity::Treatment => Some(&AGENTS),
        Entity::Assessment => Some(&LESIONS),
        _ => None,
    }
}

/// Rows above this number are ignored (a form never offers more).
pub const MAX_ROWS: usize = 60;

/// A lesion the patient already has: the choices of a follow-up lesion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownLesion {
    /// Identifier.
    pub id: String,
    /// Organ code.
    pub organ: String,
    /// Role code at its first assessment.
    pub role: String,
    /// The first assessment (in id order) that measured it.
    pub assessment: String,
}

/// One row of a form as submitted (or prefilled).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// 1-based row number.
    pub n: usize,
    /// Column → text.
    pub values: HashMap<String, String>,
    /// The identifier typed for a new lesion.
    pub new_lesion: String,
    /// Columns the form filled in (not typed): a row holding only these
    /// is not saved.
    pub prefilled: Vec<String>,
}

impl Row {
    /// The prefix of this row's fields (`ag2_`).
    pub fn prefix(&self, rows: &ChildRows) -> String {
        format!("{}{}_", rows.prefix, self.n)
    }

    /// True when the row holds something typed or chosen.
    pub fn entered(&self) -> bool {
        self.values
            .iter()
            .any(|(k, v)| !v.trim().is_empty() && !self.prefilled.contains(k))
            || !self.new_lesion.trim().is_empty()
    }
}

/// The rows of a submitted form, in row order.
pub fn parse(rows: &ChildRows, fields: &[(String, String)]) -> Vec<Row> {
    let mut out: Vec<Row> = Vec::new();
    for (k, v) in fields {
        let Some(rest) = k.strip_prefix(rows.prefix) else {
            continue;
        };
        let Some((n, col)) = rest.split_once('_') else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else {
            continue;
        };
        if n == 0 || n > MAX_ROWS {
            continue;
        }
        let i = match out.iter().position(|r| r.n == n) {
            Some(i) => i,
            None => {
                out.push(Row {
                    n,
                    ..Row::default()
                });
                out.len() - 1
            }
        };
        let row = &mut out[i];
        match col {
            "new" => row.new_lesion = v.trim().to_string(),
            "pre" => {
                row.prefilled = v
                    .split(',')
                    .filter(|c| rows.columns.contains(c))
                    .map(str::to_string)
                    .collect()
            }
            c if rows.columns.contains(&c) => {
                row.values.insert(c.to_string(), v.clone());
            }
            _ => {}
        }
    }
    out.sort_by_key(|r| r.n);
    out
}

/// The rows a new form starts with: for lesions at a follow-up, one per
/// known lesion (chosen, with organ and role); then empty rows. A baseline
/// assessment's rows are offered the identifiers `L1`, `L2`, … .
pub fn initial(rows: &ChildRows, known: &[KnownLesion]) -> Vec<Row> {
    let mut out = Vec::new();
    if rows.entity == Entity::Lesion {
        for k in known {
            let values = HashMap::from([
                ("lesion".to_string(), k.id.clone()),
                ("organ".to_string(), k.organ.clone()),
                ("role".to_string(), k.role.clone()),
            ]);
            out.push(Row {
                n: out.len() + 1,
                values,
                new_lesion: String::new(),
                prefilled: vec!["lesion".into(), "organ".into(), "role".into()],
            });
        }
    }
    for i in 0..rows.spare {
        let n = out.len() + 1;
        let mut row = Row {
            n,
            ..Row::default()
        };
        if rows.entity == Entity::Lesion && known.is_empty() {
            row.values.insert("lesion".into(), format!("L{}", i + 1));
            row.prefilled.push("lesion".into());
        }
        out.push(row);
    }
    out
}

/// The problems of the rows' lesion choices (a known lesion chosen as
/// new, a new lesion without identifier, an identifier not in the list)
/// and the rows' texts with the chosen lesion's identifier in place. Only
/// entered rows are returned.
pub fn resolve_lesions(
    rows: &ChildRows,
    submitted: &[Row],
    known: &[KnownLesion],
) -> (Vec<Row>, Vec<FieldProblem>) {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for r in submitted.iter().filter(|r| r.entered()) {
        let mut r = r.clone();
        if rows.entity == Entity::Lesion && !known.is_empty() {
            let field = Some(format!("{}lesion", r.prefix(rows)));
            let chosen = r.values.get("lesion").map(|s| s.trim().to_string());
            match chosen.as_deref() {
                Some(NEW_LESION) => {
                    if let Some(k) = known.iter().find(|k| k.id == r.new_lesion) {
                        problems.push(FieldProblem {
                            field,
                            message: format!(
                                "'{}' is already a lesion of this patient (first at assessment {}): \
                                 choose it in the list, or give the new lesion another identifier",
                                k.id, k.assessment
                            ),
                            value: None,
                        });
                    } else if r.new_lesion.is_empty() {
                        problems.push(FieldProblem {
                            field,
                            message: "give the identifier of the new lesion".into(),
                            value: None,
                        });
                    }
                    let id = r.new_lesion.clone();
                    r.values.insert("lesion".into(), id);
                }
                Some("") | None => problems.push(FieldProblem {
                    field,
                    message: "choose the lesion (one of the patient's lesions, or a new lesion)"
                        .into(),
                    value: None,
                }),
                Some(id) if !known.iter().any(|k| k.id == id) => problems.push(FieldProblem {
                    field,
                    message: format!(
                        "'{id}' is not one of this patient's lesions: choose one in the list, \
                         or choose 'a new lesion' and give its identifier"
                    ),
                    value: None,
                }),
                Some(_) => {}
            }
        }
        out.push(r);
    }
    (out, problems)
}

/// A row field's words for people: `ag2_dose` → "agent 2, dose".
pub fn field_label(field: &str) -> Option<String> {
    for rows in [&AGENTS, &LESIONS] {
        let Some(rest) = field.strip_prefix(rows.prefix) else {
            continue;
        };
        let (n, col) = rest.split_once('_').unwrap_or((rest, ""));
        let Ok(n) = n.parse::<usize>() else {
            continue;
        };
        return Some(if col.is_empty() {
            format!("{} {n}", rows.row_label)
        } else {
            format!("{} {n}, {}", rows.row_label, col.replace('_', " "))
        });
    }
    None
}

fn options(c: &ColumnSpec, value: &str, empty: &str) -> Markup {
    html! {
        option value="" { (empty) }
        @if let Kind::Code(v) = &c.kind {
            @for (code, label) in v.codes.iter().zip(&v.labels) {
                option value=(code) selected[*code == value] { (label) }
            }
        }
    }
}

/// The rows as a table of fields, each labelled for screen readers with
/// its row and column ("agent 2, dose"), errors beside the field.
pub fn table(
    rows: &ChildRows,
    shown: &[Row],
    known: &[KnownLesion],
    problems: &[FieldProblem],
) -> Markup {
    let spec = rows.entity.spec();
    let cols: Vec<&ColumnSpec> = rows.columns.iter().filter_map(|c| spec.column(c)).collect();
    let error_for = |field: &str| {
        problems
            .iter()
            .filter(|p| p.field.as_deref() == Some(field))
            .map(|p| p.message.clone())
            .collect::<Vec<_>>()
            .join("; ")
    };
    let title = crate::labels::section_title(rows.entity);
    html! {
        fieldset class="rows wide" id={(rows.prefix) "-rows"} {
            legend { (title) " " span class="hint" { "one row each; empty rows are not saved; all rows are saved with the record, or none" } }
            div class="table-wrap" {
                table {
                    thead { tr {
                        th scope="col" { "#" }
                        @for c in &cols { th scope="col" { (crate::labels::header(c)) @if c.required { " " span class="req" aria-hidden="true" { "*" } } } }
                    } }
                    tbody {
                        @for r in shown {
                            @let prefix = r.prefix(rows);
                            tr id=(prefix.trim_end_matches('_')) {
                                th scope="row" { (r.n)
                                    @if !r.prefilled.is_empty() { input type="hidden" name={(prefix) "pre"} value=(r.prefilled.join(",")); }
                                }
                                @for c in &cols {
                                    @let name = format!("{prefix}{}", c.name);
                                    @let value = r.values.get(c.name).cloned().unwrap_or_default();
                                    @let err = error_for(&name);
                                    @let aria = format!("{} {}, {}", rows.row_label, r.n, c.name.replace('_', " "));
                                    td {
                                        @if rows.entity == Entity::Lesion && c.name == "lesion" && !known.is_empty() {
                                            select id=(name) name=(name) aria-label=(aria) aria-invalid=[(!err.is_empty()).then_some("true")] {
                                                option value="" { "— none —" }
                                                @for k in known {
                                                    option value=(k.id) selected[k.id == value] { (k.id) " — " (k.organ.replace('_', " ")) }
                                                }
                                                option value=(NEW_LESION) selected[value == NEW_LESION] { "a new lesion" }
                                            }
                                            input type="text" id={(prefix) "new"} name={(prefix) "new"} value=(r.new_lesion)
                                                aria-label={(rows.row_label) " " (r.n) ", identifier of a new lesion"} placeholder="new id" autocomplete="off" size="6";
                                        } @else {
                                            @match &c.kind {
                                                Kind::Code(_) => {
                                                    select id=(name) name=(name) aria-label=(aria) aria-invalid=[(!err.is_empty()).then_some("true")] {
                                                        (options(c, &value, "—"))
                                                    }
                                                }
                                                _ => {
                                                    input type="text" id=(name) name=(name) value=(value) aria-label=(aria) autocomplete="off"
                                                        inputmode=[matches!(c.kind, Kind::Real { .. } | Kind::Integer { .. }).then_some("decimal")]
                                                        size="8" aria-invalid=[(!err.is_empty()).then_some("true")];
                                                }
                                            }
                                        }
                                        @if !err.is_empty() { p class="field-error" { (err) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(k: &str, v: &str) -> (String, String) {
        (k.to_string(), v.to_string())
    }

    #[test]
    fn rows_are_read_by_number_and_prefilled_rows_alone_are_not_entered() {
        let rows = parse(
            &LESIONS,
            &[
                f("le2_lesion", "L2"),
                f("le2_pre", "lesion"),
                f("le1_lesion", "L1"),
                f("le1_pre", "lesion"),
                f("le1_longest_mm", "12"),
                f("le1_bogus", "x"),
                f("le0_lesion", "L0"),
                f("le999_lesion", "L9"),
            ],
        );
        assert_eq!(rows.iter().map(|r| r.n).collect::<Vec<_>>(), [1, 2]);
        assert!(rows[0].entered());
        assert!(!rows[1].entered(), "only the offered identifier");
        assert!(!rows[0].values.contains_key("bogus"));
    }

    #[test]
    fn follow_up_rows_start_as_the_known_lesions() {
        let known = vec![KnownLesion {
            id: "L1".into(),
            organ: "liver".into(),
            role: "target".into(),
            assessment: "A1".into(),
        }];
        let rows = initial(&LESIONS, &known);
        assert_eq!(rows.len(), 1 + LESIONS.spare);
        assert_eq!(rows[0].values["organ"], "liver");
        assert!(rows[1].values.is_empty(), "a spare row chooses nothing");
        let baseline = initial(&LESIONS, &[]);
        assert_eq!(baseline[2].values["lesion"], "L3");
        // A spare row chosen as a new lesion without its identifier.
        let mut r = rows[1].clone();
        r.values.insert("lesion".into(), NEW_LESION.into());
        let (_, problems) = resolve_lesions(&LESIONS, &[r], &known);
        assert_eq!(problems[0].field.as_deref(), Some("le2_lesion"));
    }

    #[test]
    fn row_fields_are_named_in_words() {
        assert_eq!(field_label("ag2_dose_unit").unwrap(), "agent 2, dose unit");
        assert_eq!(field_label("le3").unwrap(), "lesion 3");
        assert_eq!(field_label("dose"), None);
    }
}
