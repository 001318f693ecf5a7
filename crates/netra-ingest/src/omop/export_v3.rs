//! The tables of model v3 (issue 15 §1) in the CDM:
//!
//! * a stain (`immunohistochemistry.csv`) → a `measurement` of the specimen
//!   attached to its tumour's `condition_occurrence`
//!   (`measurement_event_id`), the reading as `value_as_concept_id`, the
//!   share of stained cells as `value_as_number` (%);
//! * a genetic test (`genetics.csv`) → a `measurement` of the gene, the
//!   result as `value_as_concept_id`, attached to the tumour's condition
//!   when the test is somatic and names its tumour;
//! * a questionnaire item (`qol_responses.csv`) → a survey `observation`
//!   whose concept is the item (`qol_item/<questionnaire>/<item>`) and
//!   whose `value_as_number` is the box ticked (the OMOP survey
//!   convention: the question as the concept, the answer as the value);
//! * a comorbidity (`comorbidities.csv`) → a `condition_occurrence`, and
//!   `none` (assessed, none present) → an `observation`, since the
//!   absence of a condition is not a condition.
//!
//! No standard concept is known with certainty for the stains, genes,
//! questionnaire items or Charlson conditions, so their `*_concept_id` is
//! 0 and the local netra concept is the `*_source_concept_id`; qualitative
//! values (positive, negative, normal, high, low) use the committed
//! standard "Meas Value" concepts (`value/…` in `concepts.csv`), else a
//! local concept of the value. What the CDM has no column for (a stain's
//! intensity and score, a test's origin, variant and method, an optional
//! date) is a netra observation attached to the row, as for every other
//! table ([`super::export`]).

use std::collections::HashMap;

use netra_clinical::registry::schema::Entity;

use super::concepts::standard_of;
use super::export::{Rec, Writer};

/// What the v3 tables of one person need from the rest of the export.
pub(super) struct Patient<'a> {
    /// The person's `person_id`.
    pub(super) person: i64,
    /// The diagnosis day: the date of a row whose own date is not recorded.
    pub(super) dx_day: &'a str,
    /// Tumour id → its `condition_occurrence_id`.
    pub(super) tumour_conditions: &'a HashMap<String, i64>,
}

/// The concept of a qualitative value `code` of vocabulary `vocab`
/// (`marker_result`, `ihc_result`, `genetic_result`): the committed
/// standard concept of `value/<code>` when there is one, else the local
/// concept of `<vocab>/<code>`.
pub(super) fn value_concept(w: &mut Writer, vocab: &str, code: &str) -> i64 {
    match standard_of(&format!("value/{code}")) {
        Some(c) => w.used.add(c),
        None => {
            w.used
                .pair(&format!("{vocab}/{code}"), code, "Meas Value")
                .1
        }
    }
}

/// Writes the person's stains, genetic tests, questionnaire items and
/// comorbidities.
pub(super) fn write(w: &mut Writer, p: &Patient<'_>, get: &dyn Fn(Entity) -> Vec<Rec>) {
    let f_condition = w.used.cdm("field_condition_occurrence_id");
    let f_measurement = w.used.cdm("field_measurement_id");
    let f_observation = w.used.cdm("field_observation_id");
    let rt = w.registry_type.to_string();
    let pct = w.used.cdm_unit("percent");
    let person = p.person.to_string();
    let text = |r: &Rec, c: &str| r.get(c).cloned().unwrap_or_default();

    for x in get(Entity::Immunohistochemistry) {
        let stain = text(&x, "stain");
        let (_, loc) = w
            .used
            .pair(&format!("ihc_stain/{stain}"), &stain, "Measurement");
        let result = text(&x, "result");
        let value = value_concept(w, "ihc_result", &result);
        let date = w.day(x.get("date")).unwrap_or_else(|| p.dx_day.to_string());
        let percent = text(&x, "percent_cells");
        let id = w.id("measurement");
        let mut cells = vec![
            ("measurement_id", id.to_string()),
            ("person_id", person.clone()),
            ("measurement_concept_id", "0".to_string()),
            ("measurement_date", date.clone()),
            ("measurement_type_concept_id", rt.clone()),
            ("value_as_concept_id", value.to_string()),
            ("measurement_source_value", format!("IHC {stain}")),
            ("measurement_source_concept_id", loc.to_string()),
            ("value_source_value", result),
        ];
        if !percent.is_empty() {
            cells.push(("value_as_number", percent));
            cells.push(("unit_concept_id", pct.to_string()));
            cells.push(("unit_source_value", "%".to_string()));
        }
        if let Some(c) = x.get("tumour").and_then(|t| p.tumour_conditions.get(t)) {
            cells.push(("measurement_event_id", c.to_string()));
            cells.push(("meas_event_field_concept_id", f_condition.to_string()));
        }
        w.push("measurement", &cells);
        w.modifiers(
            p.person,
            Entity::Immunohistochemistry,
            &x,
            &["stain", "result", "percent_cells", "date"],
            &date,
            Some((id, f_measurement)),
        );
    }

    for g in get(Entity::GeneticTest) {
        let gene = text(&g, "gene");
        let (_, loc) = w.used.pair(&format!("gene/{gene}"), &gene, "Measurement");
        let result = text(&g, "result");
        let value = value_concept(w, "genetic_result", &result);
        let date = w.day(g.get("date")).unwrap_or_else(|| p.dx_day.to_string());
        let id = w.id("measurement");
        let mut cells = vec![
            ("measurement_id", id.to_string()),
            ("person_id", person.clone()),
            ("measurement_concept_id", "0".to_string()),
            ("measurement_date", date.clone()),
            ("measurement_type_concept_id", rt.clone()),
            ("value_as_concept_id", value.to_string()),
            (
                "measurement_source_value",
                format!("{} {gene}", text(&g, "origin")),
            ),
            ("measurement_source_concept_id", loc.to_string()),
            ("value_source_value", result),
        ];
        if let Some(c) = g.get("tumour").and_then(|t| p.tumour_conditions.get(t)) {
            cells.push(("measurement_event_id", c.to_string()));
            cells.push(("meas_event_field_concept_id", f_condition.to_string()));
        }
        w.push("measurement", &cells);
        // the date is optional: carried as an observation so that a test
        // without one comes back without one
        w.modifiers(
            p.person,
            Entity::GeneticTest,
            &g,
            &["gene", "result"],
            &date,
            Some((id, f_measurement)),
        );
    }

    for q in get(Entity::QolResponse) {
        let questionnaire = text(&q, "questionnaire");
        let item = text(&q, "item");
        let code = format!("qol_item/{questionnaire}/{item}");
        let (_, loc) = w.used.pair(
            &code,
            &format!("{questionnaire} item {item}"),
            "Observation",
        );
        let date = w.day(q.get("date")).unwrap_or_else(|| p.dx_day.to_string());
        let id = w.id("observation");
        w.push(
            "observation",
            &[
                ("observation_id", id.to_string()),
                ("person_id", person.clone()),
                ("observation_concept_id", "0".to_string()),
                ("observation_date", date.clone()),
                ("observation_type_concept_id", rt.clone()),
                ("value_as_number", text(&q, "response")),
                (
                    "observation_source_value",
                    format!("{questionnaire} q{item}"),
                ),
                ("observation_source_concept_id", loc.to_string()),
            ],
        );
        w.modifiers(
            p.person,
            Entity::QolResponse,
            &q,
            &["questionnaire", "date", "item", "response"],
            &date,
            Some((id, f_observation)),
        );
    }

    for c in get(Entity::Comorbidity) {
        let condition = text(&c, "condition");
        let date = w.day(c.get("date")).unwrap_or_else(|| p.dx_day.to_string());
        let code = format!("comorbidity/{condition}");
        let anchor = if condition == "none" {
            let (_, loc) = w
                .used
                .pair(&code, "no comorbidity (assessed)", "Observation");
            let id = w.id("observation");
            w.push(
                "observation",
                &[
                    ("observation_id", id.to_string()),
                    ("person_id", person.clone()),
                    ("observation_concept_id", "0".to_string()),
                    ("observation_date", date.clone()),
                    ("observation_type_concept_id", rt.clone()),
                    ("observation_source_value", code.clone()),
                    ("observation_source_concept_id", loc.to_string()),
                ],
            );
            (id, f_observation)
        } else {
            let (_, loc) = w.used.pair(&code, &condition, "Condition");
            let id = w.id("condition_occurrence");
            w.push(
                "condition_occurrence",
                &[
                    ("condition_occurrence_id", id.to_string()),
                    ("person_id", person.clone()),
                    ("condition_concept_id", "0".to_string()),
                    ("condition_start_date", date.clone()),
                    ("condition_type_concept_id", rt.clone()),
                    ("condition_source_value", condition.clone()),
                    ("condition_source_concept_id", loc.to_string()),
                ],
            );
            (id, f_condition)
        };
        // the condition is written again as netra's observation: a record
        // with netra observations is rebuilt from them, so a comorbidity
        // without a date comes back without one (not dated by the row)
        w.modifiers(p.person, Entity::Comorbidity, &c, &[], &date, Some(anchor));
    }
}
