//! The registry as OMOP CDM 5.4 tables: a pure function of the patients'
//! records (bundle text, as the store holds them) and their courses (for
//! the derived lines of therapy), so this crate needs no store.

use std::collections::{BTreeMap, HashMap};

use netra_clinical::lines::{LineRules, derive_lines};
use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::schema::Entity;
use netra_clinical::registry::vocab::{Agent, AgentClass, TreatmentType, Vocabulary};

use super::concepts::Used;
use super::tables::{TABLES, columns};

/// One patient: the course (lines are derived from it) and the stored
/// records, per entity, cells in schema column order as bundle text.
#[derive(Debug, Clone)]
pub struct PatientRecords {
    /// The typed course.
    pub course: PatientCourse,
    /// The records of the patient and its child entities.
    pub records: Vec<(Entity, Vec<Vec<Option<String>>>)>,
}

/// A written extract: one table per CDM table, rows as CSV text cells.
#[derive(Debug, Clone, Default)]
pub struct Extract {
    /// `(table, rows)`, in the order of [`TABLES`]; cells in DDL order.
    pub tables: Vec<(&'static str, Vec<Vec<String>>)>,
}

impl Extract {
    /// The rows of `table`.
    pub fn rows(&self, table: &str) -> &[Vec<String>] {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(&[], |(_, r)| r)
    }

    /// `table` as CSV text with the DDL's header.
    pub fn to_csv(&self, table: &str) -> String {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        let _ = w.write_record(columns(table));
        for r in self.rows(table) {
            let _ = w.write_record(r);
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

/// A record as column → text (only recorded cells).
pub(super) type Rec = BTreeMap<&'static str, String>;

fn rec(entity: Entity, cells: &[Option<String>]) -> Rec {
    entity
        .spec()
        .columns
        .iter()
        .zip(cells)
        .filter_map(|(c, v)| {
            v.as_ref()
                .filter(|v| !v.is_empty())
                .map(|v| (c.name, v.clone()))
        })
        .collect()
}

/// The netra local-concept code of a registry column.
pub fn column_code(entity: Entity, column: &str) -> String {
    format!("column/{}.{column}", entity.spec().file)
}

/// The netra local-concept code of an entity carried as an observation.
pub fn entity_code(entity: Entity) -> String {
    format!("entity/{}", entity.spec().file)
}

/// ICD-O-3 topography of a primary site (the source value of the tumour's
/// condition, with the histology: `8240/3-C25.9`).
fn topography(site: &str) -> &'static str {
    match site {
        "pancreas" => "C25.9",
        "stomach" => "C16.9",
        "duodenum" => "C17.0",
        "jejunum_ileum" => "C17.9",
        "appendix" => "C18.1",
        "colon" => "C18.9",
        "rectum" => "C20.9",
        "gi_unspecified" => "C26.9",
        "lung" => "C34.9",
        "thymus" => "C37.9",
        _ => "C80.9",
    }
}

/// ICD-O-3 histology from differentiation, NEC cell type and grade.
fn histology(t: &Rec) -> &'static str {
    match (
        t.get("differentiation").map(String::as_str),
        t.get("nec_cell_type").map(String::as_str),
        t.get("who_grade").map(String::as_str),
    ) {
        (Some("poor"), Some("small_cell"), _) => "8041/3",
        (Some("poor"), Some("large_cell"), _) => "8013/3",
        (Some("poor"), _, _) => "8246/3",
        (_, _, Some("g2")) => "8249/3",
        (_, _, Some("g3")) => "8249/3",
        _ => "8240/3",
    }
}

pub(super) struct Writer {
    pub(super) used: Used,
    rules: LineRules,
    out: HashMap<&'static str, Vec<Vec<String>>>,
    next: HashMap<&'static str, i64>,
    pub(super) registry_type: i64,
}

impl Writer {
    pub(super) fn id(&mut self, table: &'static str) -> i64 {
        let n = self.next.entry(table).or_insert(0);
        *n += 1;
        *n
    }

    pub(super) fn push(&mut self, table: &'static str, cells: &[(&str, String)]) {
        let cols = columns(table);
        let mut row = vec![String::new(); cols.len()];
        for (c, v) in cells {
            if let Some(i) = cols.iter().position(|x| x == c) {
                row[i] = v.clone();
            }
        }
        self.out.entry(table).or_default().push(row);
    }

    /// A bundle date as the CDM's full date (partial dates imputed by the
    /// rules' imputation, as the derivations do).
    pub(super) fn day(&self, text: Option<&String>) -> Option<String> {
        let d: PartialDate = text?.parse().ok()?;
        Some(d.impute(self.rules.imputation()).day.to_string())
    }

    /// The columns of `r` that its CDM row does not hold exactly, as
    /// observations attached to that row (`event`: id and field concept).
    pub(super) fn modifiers(
        &mut self,
        person: i64,
        entity: Entity,
        r: &Rec,
        native: &[&str],
        date: &str,
        event: Option<(i64, i64)>,
    ) {
        for (col, val) in r {
            if *col == "patient" || *col == "notes" {
                continue;
            }
            let partial = val.parse::<PartialDate>().is_ok_and(|d| !d.is_complete())
                && entity.spec().columns.iter().any(|c| {
                    c.name == *col && matches!(c.kind, netra_clinical::registry::schema::Kind::Date)
                });
            if native.contains(col) && !partial {
                continue;
            }
            let code = column_code(entity, col);
            let name = format!("netra {} {col}", entity.spec().file);
            let (_, local) = self.used.pair(&code, &name, "Observation");
            let id = self.id("observation");
            let mut cells = vec![
                ("observation_id", id.to_string()),
                ("person_id", person.to_string()),
                ("observation_concept_id", "0".to_string()),
                ("observation_date", date.to_string()),
                (
                    "observation_type_concept_id",
                    self.registry_type.to_string(),
                ),
                ("value_as_string", val.clone()),
                (
                    "observation_source_value",
                    format!("{}.{col}", entity.spec().file),
                ),
                ("observation_source_concept_id", local.to_string()),
            ];
            if let Some((eid, field)) = event {
                cells.push(("observation_event_id", eid.to_string()));
                cells.push(("obs_event_field_concept_id", field.to_string()));
            }
            self.push("observation", &cells);
        }
    }
}

/// The registry as a CDM extract. `sites`: `(code, name)` of the centres.
/// Treatments without a start date have no CDM row (a drug exposure and a
/// procedure need one) and are left out; so are free-text notes.
pub fn export(
    patients: &[PatientRecords],
    sites: &[(String, String)],
    rules: &LineRules,
) -> Extract {
    let mut w = Writer {
        used: Used::default(),
        rules: rules.clone(),
        out: HashMap::new(),
        next: HashMap::new(),
        registry_type: 0,
    };
    w.registry_type = w.used.cdm("type_registry");
    let f_condition = w.used.cdm("field_condition_occurrence_id");
    let f_drug = w.used.cdm("field_drug_exposure_id");
    let f_procedure = w.used.cdm("field_procedure_occurrence_id");
    let f_measurement = w.used.cdm("field_measurement_id");
    let f_observation = w.used.cdm("field_observation_id");
    let ep_disease = w.used.cdm("episode_disease_first_occurrence");
    let ep_regimen = w.used.cdm("episode_treatment_regimen");
    let rt = w.registry_type.to_string();
    let mut site_ids: HashMap<String, i64> = HashMap::new();
    for (code, name) in sites {
        let id = w.id("care_site");
        site_ids.insert(code.clone(), id);
        w.push(
            "care_site",
            &[
                ("care_site_id", id.to_string()),
                ("care_site_name", name.clone()),
                ("care_site_source_value", code.clone()),
            ],
        );
    }
    for p in patients {
        let person = w.id("person");
        let get = |e: Entity| -> Vec<Rec> {
            p.records
                .iter()
                .filter(|(x, _)| *x == e)
                .flat_map(|(_, rows)| rows.iter().map(|r| rec(e, r)))
                .collect()
        };
        let Some(pat) = get(Entity::Patient).into_iter().next() else {
            continue;
        };
        // person
        let birth: Option<PartialDate> = pat.get("birth_date").and_then(|b| b.parse().ok());
        let sex = pat.get("sex").cloned().unwrap_or_default();
        let gender = match sex.as_str() {
            "male" | "female" => w.used.pair(&format!("sex/{sex}"), &sex, "Gender").0,
            _ => 0,
        };
        let mut cells = vec![
            ("person_id", person.to_string()),
            ("gender_concept_id", gender.to_string()),
            ("race_concept_id", "0".to_string()),
            ("ethnicity_concept_id", "0".to_string()),
            (
                "person_source_value",
                pat.get("patient").cloned().unwrap_or_default(),
            ),
            ("gender_source_value", sex.clone()),
        ];
        if let Some(b) = birth {
            cells.push(("year_of_birth", b.year.to_string()));
            if let Some(m) = b.month {
                cells.push(("month_of_birth", m.to_string()));
            }
            if let Some(d) = b.day {
                cells.push(("day_of_birth", d.to_string()));
            }
        }
        if let Some(s) = pat.get("site").and_then(|s| site_ids.get(s)) {
            cells.push(("care_site_id", s.to_string()));
        }
        w.push("person", &cells);
        // observation period: diagnosis (or the first dated record) to the
        // last follow-up (or death)
        let dx = w.day(pat.get("diagnosis_date"));
        let last = w
            .day(pat.get("last_followup_date"))
            .or_else(|| w.day(pat.get("death_date")));
        let start = dx
            .clone()
            .or_else(|| last.clone())
            .or_else(|| w.day(pat.get("entry_date")))
            .unwrap_or_else(|| {
                birth.map_or_else(
                    || "1900-01-01".into(),
                    |b| b.impute(rules.imputation()).day.to_string(),
                )
            });
        let end = last
            .clone()
            .filter(|e| *e >= start)
            .unwrap_or_else(|| start.clone());
        let op = w.id("observation_period");
        w.push(
            "observation_period",
            &[
                ("observation_period_id", op.to_string()),
                ("person_id", person.to_string()),
                ("observation_period_start_date", start.clone()),
                ("observation_period_end_date", end),
                ("period_type_concept_id", rt.clone()),
            ],
        );
        if let Some(d) = w.day(pat.get("death_date")) {
            w.push(
                "death",
                &[
                    ("person_id", person.to_string()),
                    ("death_date", d),
                    ("death_type_concept_id", rt.clone()),
                    (
                        "cause_source_value",
                        pat.get("death_cause").cloned().unwrap_or_default(),
                    ),
                ],
            );
        }
        let birth_native: &[&str] = if birth.is_some_and(|b| b.is_complete()) {
            &["sex", "site", "birth_date", "death_date"]
        } else {
            &["sex", "site", "death_date"]
        };
        w.modifiers(person, Entity::Patient, &pat, birth_native, &start, None);
        let dx_day = start.clone();

        // tumours → condition + Ki-67 measurement + disease episode
        let mut disease_episode = None;
        // tumour id → its condition_occurrence (stains and somatic tests
        // are attached to it)
        let mut tumour_conditions: HashMap<String, i64> = HashMap::new();
        for t in get(Entity::Tumour) {
            let site = t.get("primary_site").cloned().unwrap_or_default();
            let (std, loc) = w.used.pair(
                &format!("primary_site/{site}"),
                &format!("neuroendocrine neoplasm, {site}"),
                "Condition",
            );
            let id = w.id("condition_occurrence");
            if let Some(tid) = t.get("tumour") {
                tumour_conditions.insert(tid.clone(), id);
            }
            w.push(
                "condition_occurrence",
                &[
                    ("condition_occurrence_id", id.to_string()),
                    ("person_id", person.to_string()),
                    ("condition_concept_id", std.to_string()),
                    ("condition_start_date", dx_day.clone()),
                    ("condition_type_concept_id", rt.clone()),
                    (
                        "condition_source_value",
                        format!("{}-{}", histology(&t), topography(&site)),
                    ),
                    ("condition_source_concept_id", loc.to_string()),
                ],
            );
            if let Some(k) = t.get("ki67_percent") {
                let (_, kloc) = w.used.pair(
                    &column_code(Entity::Tumour, "ki67_percent"),
                    "Ki-67 proliferation index",
                    "Measurement",
                );
                let pct = w.used.cdm_unit("percent");
                let mid = w.id("measurement");
                w.push(
                    "measurement",
                    &[
                        ("measurement_id", mid.to_string()),
                        ("person_id", person.to_string()),
                        ("measurement_concept_id", "0".into()),
                        ("measurement_date", dx_day.clone()),
                        ("measurement_type_concept_id", rt.clone()),
                        ("value_as_number", k.clone()),
                        ("unit_concept_id", pct.to_string()),
                        ("measurement_source_value", "Ki-67".into()),
                        ("measurement_source_concept_id", kloc.to_string()),
                        ("unit_source_value", "%".into()),
                        ("measurement_event_id", id.to_string()),
                        ("meas_event_field_concept_id", f_condition.to_string()),
                    ],
                );
            }
            w.modifiers(
                person,
                Entity::Tumour,
                &t,
                &["primary_site", "ki67_percent"],
                &dx_day,
                Some((id, f_condition)),
            );
            let ep = w.id("episode");
            disease_episode.get_or_insert(ep);
            w.push(
                "episode",
                &[
                    ("episode_id", ep.to_string()),
                    ("person_id", person.to_string()),
                    ("episode_concept_id", ep_disease.to_string()),
                    ("episode_start_date", dx_day.clone()),
                    (
                        "episode_object_concept_id",
                        if std != 0 { std } else { loc }.to_string(),
                    ),
                    ("episode_type_concept_id", rt.clone()),
                    (
                        "episode_source_value",
                        format!("tumour {}", t.get("tumour").cloned().unwrap_or_default()),
                    ),
                ],
            );
            w.push(
                "episode_event",
                &[
                    ("episode_id", ep.to_string()),
                    ("event_id", id.to_string()),
                    ("episode_event_field_concept_id", f_condition.to_string()),
                ],
            );
        }
        // metastases → conditions
        for m in get(Entity::Metastasis) {
            let site = m.get("site").cloned().unwrap_or_default();
            let (std, loc) = w.used.pair(
                &format!("metastasis_site/{site}"),
                &format!("secondary malignant neoplasm, {site}"),
                "Condition",
            );
            let date = w.day(m.get("date")).unwrap_or_else(|| dx_day.clone());
            let id = w.id("condition_occurrence");
            w.push(
                "condition_occurrence",
                &[
                    ("condition_occurrence_id", id.to_string()),
                    ("person_id", person.to_string()),
                    ("condition_concept_id", std.to_string()),
                    ("condition_start_date", date.clone()),
                    ("condition_type_concept_id", rt.clone()),
                    ("condition_source_value", site.clone()),
                    ("condition_source_concept_id", loc.to_string()),
                ],
            );
            w.modifiers(
                person,
                Entity::Metastasis,
                &m,
                &["site"],
                &date,
                Some((id, f_condition)),
            );
        }
        // markers → measurements
        for b in get(Entity::Biomarker) {
            let marker = b.get("marker").cloned().unwrap_or_default();
            let (std, loc) = w
                .used
                .pair(&format!("marker/{marker}"), &marker, "Measurement");
            let date = w.day(b.get("date")).unwrap_or_else(|| dx_day.clone());
            let result = b.get("result").cloned().unwrap_or_default();
            let result_concept = if result.is_empty() {
                String::new()
            } else {
                super::export_v3::value_concept(&mut w, "marker_result", &result).to_string()
            };
            let id = w.id("measurement");
            w.push(
                "measurement",
                &[
                    ("measurement_id", id.to_string()),
                    ("person_id", person.to_string()),
                    ("measurement_concept_id", std.to_string()),
                    ("measurement_date", date.clone()),
                    ("measurement_type_concept_id", rt.clone()),
                    (
                        "value_as_number",
                        b.get("value").cloned().unwrap_or_default(),
                    ),
                    (
                        "range_low",
                        b.get("lower_limit").cloned().unwrap_or_default(),
                    ),
                    (
                        "range_high",
                        b.get("upper_limit").cloned().unwrap_or_default(),
                    ),
                    ("value_as_concept_id", result_concept),
                    ("measurement_source_value", marker.clone()),
                    ("measurement_source_concept_id", loc.to_string()),
                    (
                        "unit_source_value",
                        b.get("unit").cloned().unwrap_or_default(),
                    ),
                    ("value_source_value", result),
                ],
            );
            w.modifiers(
                person,
                Entity::Biomarker,
                &b,
                &[
                    "marker",
                    "date",
                    "value",
                    "unit",
                    "result",
                    "lower_limit",
                    "upper_limit",
                ],
                &date,
                Some((id, f_measurement)),
            );
        }
        // treatments → drug exposures (one per agent) or procedures
        let agents = get(Entity::TreatmentAgent);
        let mut anchors: HashMap<String, Vec<(i64, i64)>> = HashMap::new();
        for t in get(Entity::Treatment) {
            let tid = t.get("treatment").cloned().unwrap_or_default();
            let Some(start) = w.day(t.get("start_date")) else {
                continue;
            };
            let end = w.day(t.get("end_date")).filter(|e| *e >= start);
            let kind = t.get("type").and_then(|k| TreatmentType::from_code(k).ok());
            let its: Vec<&Rec> = agents
                .iter()
                .filter(|a| a.get("treatment") == Some(&tid))
                .collect();
            let local = kind.is_some_and(|k| {
                k.class() == netra_clinical::registry::vocab::TreatmentClass::Local
            });
            let stop = t.get("stop_reason").cloned().unwrap_or_default();
            let mut ids = Vec::new();
            if local {
                let ty = t.get("type").cloned().unwrap_or_default();
                let (std, loc) = w
                    .used
                    .pair(&format!("treatment_type/{ty}"), &ty, "Procedure");
                let id = w.id("procedure_occurrence");
                w.push(
                    "procedure_occurrence",
                    &[
                        ("procedure_occurrence_id", id.to_string()),
                        ("person_id", person.to_string()),
                        ("procedure_concept_id", std.to_string()),
                        ("procedure_date", start.clone()),
                        ("procedure_end_date", end.clone().unwrap_or_default()),
                        ("procedure_type_concept_id", rt.clone()),
                        ("procedure_source_value", ty.clone()),
                        ("procedure_source_concept_id", loc.to_string()),
                    ],
                );
                ids.push((id, f_procedure));
                // the procedure's agents (lipiodol, doxorubicin in a TACE)
                for a in &its {
                    let ag = a.get("agent").cloned().unwrap_or_default();
                    let (astd, aloc) = w.used.pair(&format!("agent/{ag}"), &ag, "Drug");
                    let _ = astd;
                    let oid = w.id("observation");
                    w.push(
                        "observation",
                        &[
                            ("observation_id", oid.to_string()),
                            ("person_id", person.to_string()),
                            ("observation_concept_id", "0".into()),
                            ("observation_date", start.clone()),
                            ("observation_type_concept_id", rt.clone()),
                            (
                                "value_as_number",
                                a.get("dose").cloned().unwrap_or_default(),
                            ),
                            (
                                "value_as_string",
                                a.get("agent_detail").cloned().unwrap_or_default(),
                            ),
                            ("observation_source_value", ag.clone()),
                            ("observation_source_concept_id", aloc.to_string()),
                            (
                                "unit_source_value",
                                a.get("dose_unit").cloned().unwrap_or_default(),
                            ),
                            ("observation_event_id", id.to_string()),
                            ("obs_event_field_concept_id", f_procedure.to_string()),
                        ],
                    );
                    // route, interval, formulation, notes: attached to the
                    // agent's observation, as a drug exposure's are to it
                    w.modifiers(
                        person,
                        Entity::TreatmentAgent,
                        a,
                        &["treatment", "agent", "agent_detail", "dose", "dose_unit"],
                        &start,
                        Some((oid, f_observation)),
                    );
                }
            } else {
                let rows: Vec<Option<&Rec>> = if its.is_empty() {
                    vec![None]
                } else {
                    its.iter().map(|a| Some(*a)).collect()
                };
                for a in rows {
                    let (code, name) = match a.and_then(|a| a.get("agent")) {
                        Some(ag) => (format!("agent/{ag}"), ag.clone()),
                        None => {
                            let ty = t.get("type").cloned().unwrap_or_default();
                            (format!("treatment_type/{ty}"), ty)
                        }
                    };
                    let (std, loc) = w.used.pair(&code, &name, "Drug");
                    let id = w.id("drug_exposure");
                    w.push(
                        "drug_exposure",
                        &[
                            ("drug_exposure_id", id.to_string()),
                            ("person_id", person.to_string()),
                            ("drug_concept_id", std.to_string()),
                            ("drug_exposure_start_date", start.clone()),
                            (
                                "drug_exposure_end_date",
                                end.clone().unwrap_or_else(|| start.clone()),
                            ),
                            ("verbatim_end_date", end.clone().unwrap_or_default()),
                            ("drug_type_concept_id", rt.clone()),
                            ("stop_reason", stop.clone()),
                            (
                                "quantity",
                                a.and_then(|a| a.get("dose")).cloned().unwrap_or_default(),
                            ),
                            ("drug_source_value", name.clone()),
                            ("drug_source_concept_id", loc.to_string()),
                            (
                                "dose_unit_source_value",
                                a.and_then(|a| a.get("dose_unit"))
                                    .cloned()
                                    .unwrap_or_default(),
                            ),
                        ],
                    );
                    if let Some(a) = a {
                        w.modifiers(
                            person,
                            Entity::TreatmentAgent,
                            a,
                            &["treatment", "agent", "dose", "dose_unit"],
                            &start,
                            Some((id, f_drug)),
                        );
                    }
                    ids.push((id, f_drug));
                }
            }
            // the treatment's own columns: its id on every row (so that the
            // rows of one treatment are grouped again), the rest once
            // a procedure has no stop reason column
            let native: &[&str] = if local {
                &["start_date", "end_date"]
            } else {
                &["start_date", "end_date", "stop_reason"]
            };
            let first = ids[0];
            w.modifiers(person, Entity::Treatment, &t, native, &start, Some(first));
            for &other in &ids[1..] {
                let only_id: Rec = [("treatment", tid.clone())].into_iter().collect();
                w.modifiers(
                    person,
                    Entity::Treatment,
                    &only_id,
                    &[],
                    &start,
                    Some(other),
                );
            }
            anchors.insert(tid, ids);
        }
        // radionuclide administrations, visits, adverse events → observations
        for (e, date_col) in [
            (Entity::RadionuclideAdministration, "date"),
            (Entity::ClinicalStatus, "date"),
            (Entity::AdverseEvent, "onset_date"),
        ] {
            for r in get(e) {
                let date = w.day(r.get(date_col)).unwrap_or_else(|| dx_day.clone());
                let code = entity_code(e);
                let (_, loc) =
                    w.used
                        .pair(&code, &format!("netra {}", e.spec().file), "Observation");
                let id = w.id("observation");
                let value = if e == Entity::RadionuclideAdministration {
                    r.get("activity_gbq").cloned().unwrap_or_default()
                } else {
                    String::new()
                };
                w.push(
                    "observation",
                    &[
                        ("observation_id", id.to_string()),
                        ("person_id", person.to_string()),
                        ("observation_concept_id", "0".into()),
                        ("observation_date", date.clone()),
                        ("observation_type_concept_id", rt.clone()),
                        ("value_as_number", value),
                        (
                            "observation_source_value",
                            e.spec().file.trim_end_matches(".csv").to_string(),
                        ),
                        ("observation_source_concept_id", loc.to_string()),
                    ],
                );
                w.modifiers(person, e, &r, &[], &date, Some((id, f_observation)));
            }
        }
        // assessments → imaging procedures, lesions → measurements of them
        let lesions = get(Entity::Lesion);
        for a in get(Entity::Assessment) {
            let aid = a.get("assessment").cloned().unwrap_or_default();
            let modality = a.get("modality").cloned().unwrap_or_default();
            let (std, loc) = w
                .used
                .pair(&format!("modality/{modality}"), &modality, "Procedure");
            let date = w.day(a.get("date")).unwrap_or_else(|| dx_day.clone());
            let id = w.id("procedure_occurrence");
            w.push(
                "procedure_occurrence",
                &[
                    ("procedure_occurrence_id", id.to_string()),
                    ("person_id", person.to_string()),
                    ("procedure_concept_id", std.to_string()),
                    ("procedure_date", date.clone()),
                    ("procedure_type_concept_id", rt.clone()),
                    ("procedure_source_value", modality.clone()),
                    ("procedure_source_concept_id", loc.to_string()),
                ],
            );
            w.modifiers(
                person,
                Entity::Assessment,
                &a,
                &["date", "modality"],
                &date,
                Some((id, f_procedure)),
            );
            for l in lesions.iter().filter(|l| l.get("assessment") == Some(&aid)) {
                let (_, lloc) = w.used.pair(
                    &column_code(Entity::Lesion, "longest_mm"),
                    "lesion longest diameter",
                    "Measurement",
                );
                let mm = w.used.cdm_unit("millimeter");
                let mid = w.id("measurement");
                w.push(
                    "measurement",
                    &[
                        ("measurement_id", mid.to_string()),
                        ("person_id", person.to_string()),
                        ("measurement_concept_id", "0".into()),
                        ("measurement_date", date.clone()),
                        ("measurement_type_concept_id", rt.clone()),
                        (
                            "value_as_number",
                            l.get("longest_mm").cloned().unwrap_or_default(),
                        ),
                        ("unit_concept_id", mm.to_string()),
                        (
                            "measurement_source_value",
                            l.get("lesion").cloned().unwrap_or_default(),
                        ),
                        ("measurement_source_concept_id", lloc.to_string()),
                        ("unit_source_value", "mm".into()),
                        ("measurement_event_id", id.to_string()),
                        ("meas_event_field_concept_id", f_procedure.to_string()),
                    ],
                );
                w.modifiers(
                    person,
                    Entity::Lesion,
                    l,
                    &["longest_mm"],
                    &date,
                    Some((mid, f_measurement)),
                );
            }
        }
        // model v3: stains, genetic tests, questionnaire items, comorbidities
        super::export_v3::write(
            &mut w,
            &super::export_v3::Patient {
                person,
                dx_day: &dx_day,
                tumour_conditions: &tumour_conditions,
            },
            &get,
        );
        // derived lines of therapy → treatment-regimen episodes
        for line in derive_lines(&p.course, rules).lines {
            let ep = w.id("episode");
            let object = line
                .regimen
                .first()
                .and_then(|a| Agent::from_code(a).ok())
                .filter(|a| a.class() != AgentClass::Other)
                .map_or(0, |a| {
                    let (s, l) = w
                        .used
                        .pair(&format!("agent/{}", a.code()), a.code(), "Drug");
                    if s != 0 { s } else { l }
                });
            let mut label = line.label();
            label.truncate(50);
            w.push(
                "episode",
                &[
                    ("episode_id", ep.to_string()),
                    ("person_id", person.to_string()),
                    ("episode_concept_id", ep_regimen.to_string()),
                    ("episode_start_date", line.start.day.to_string()),
                    (
                        "episode_end_date",
                        line.end.map(|e| e.day.to_string()).unwrap_or_default(),
                    ),
                    (
                        "episode_parent_id",
                        disease_episode.map(|d| d.to_string()).unwrap_or_default(),
                    ),
                    ("episode_number", line.number.to_string()),
                    ("episode_object_concept_id", object.to_string()),
                    ("episode_type_concept_id", rt.clone()),
                    ("episode_source_value", label),
                ],
            );
            for t in &line.treatments {
                for &(eid, field) in anchors.get(t).map_or(&[][..], |v| &v[..]) {
                    w.push(
                        "episode_event",
                        &[
                            ("episode_id", ep.to_string()),
                            ("event_id", eid.to_string()),
                            ("episode_event_field_concept_id", field.to_string()),
                        ],
                    );
                }
            }
        }
    }
    let concepts: Vec<_> = w.used.concepts().cloned().collect();
    for c in concepts {
        w.push(
            "concept",
            &[
                ("concept_id", c.id.to_string()),
                ("concept_name", c.name.clone()),
                ("domain_id", c.domain.clone()),
                ("vocabulary_id", c.vocabulary.clone()),
                ("concept_class_id", c.class.clone()),
                (
                    "standard_concept",
                    if c.standard {
                        "S".into()
                    } else {
                        String::new()
                    },
                ),
                ("concept_code", c.code.clone()),
                ("valid_start_date", "1970-01-01".into()),
                ("valid_end_date", "2099-12-31".into()),
            ],
        );
    }
    let mut out = Extract::default();
    for (t, _) in TABLES {
        out.tables.push((t, w.out.remove(t).unwrap_or_default()));
    }
    out
}
