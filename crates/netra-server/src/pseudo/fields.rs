//! The field table: how each column of a record reaches analysts
//! ([`Rule`], [`rule`]), the coarsening of typed texts that must stay
//! useful (arms, adverse-event terms, units, stages), and
//! [`analyst_records`], which applies the table to a patient's records.

use std::collections::{BTreeSet, HashMap};

use netra_clinical::registry::{Entity, Value};

use super::{age_band, to_month};

/// How an analyst receives one column of a record (the field table of
/// docs/web.md, "What an analyst sees"). Every column of the schema has an
/// entry in [`rule`]; a column added to the schema without one is withheld
/// until it is classified (and `tests/analyst_fields.rs` fails).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The patient code: the keyed pseudonym.
    Pseudonym,
    /// A record id the centre typed (tumour, treatment, assessment, lesion,
    /// adverse event) or a reference to one: renumbered within the patient
    /// (`T1`, `T2`, … in the order of the patient's records), since an id
    /// is free text (`T-2004-03-17`, `CHU-1234`).
    RecordId(IdKind),
    /// The site code: shown (analyses group by it; sites are not patients).
    Site,
    /// A code of a controlled vocabulary, yes/no, or a number: as recorded.
    Value,
    /// A date: to the month (`2004-03-17` → `2004-03`).
    Month,
    /// An age: its 5-year band (`60–64`).
    AgeBand,
    /// The study arm (a label the study chose, free text): `arm N`, the
    /// arm's place in the registry's arms in label order, as analyses by
    /// arm name them.
    Arm,
    /// An adverse-event term: the CTCAE v5 term when the text is one of
    /// [`CTCAE_TERMS`] (any case), else `other term`; never the typed text.
    CtcaeTerm,
    /// A unit: shown when made of known units ([`unit_text`]), else
    /// withheld.
    Unit,
    /// A recorded stage: shown when TNM-like ([`stage_text`]), else
    /// withheld.
    Stage,
    /// Free text (remarks, exclusion reasons, every `*_detail`, the reported
    /// tumour type) and the birth date: never shown (`null`).
    Withheld,
}

/// Which records a record id numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdKind {
    /// Primary tumours: `1`, `2`, ….
    Tumour,
    /// Treatments: `T1`, `T2`, ….
    Treatment,
    /// Assessments: `A1`, `A2`, ….
    Assessment,
    /// Lesions (one number per lesion across assessments): `L1`, `L2`, ….
    Lesion,
    /// Adverse events: `AE1`, `AE2`, ….
    Event,
}

impl IdKind {
    /// The entity whose rows define the ids, and its id column.
    fn owner(self) -> (Entity, &'static str) {
        match self {
            IdKind::Tumour => (Entity::Tumour, "tumour"),
            IdKind::Treatment => (Entity::Treatment, "treatment"),
            IdKind::Assessment => (Entity::Assessment, "assessment"),
            IdKind::Lesion => (Entity::Lesion, "lesion"),
            IdKind::Event => (Entity::AdverseEvent, "event"),
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            IdKind::Tumour => "",
            IdKind::Treatment => "T",
            IdKind::Assessment => "A",
            IdKind::Lesion => "L",
            IdKind::Event => "AE",
        }
    }
}

/// The rule of a column; `None` for a column the table does not classify
/// (or that the entity does not have).
pub fn rule(entity: Entity, column: &str) -> Option<Rule> {
    use Entity as E;
    use Rule::*;
    entity.spec().column(column)?;
    Some(match (entity, column) {
        (E::Study | E::Site, _) => Withheld,
        (_, "patient") => Pseudonym,
        (_, "notes") => Withheld,
        (E::Patient, "site") => Site,
        (E::Patient, "birth_date" | "exclusion_reason") => Withheld,
        (E::Patient, "age_at_entry") => AgeBand,
        (E::Patient, "arm") => Arm,
        (
            E::Patient,
            "diagnosis_date" | "metastatic_date" | "entry_date" | "last_followup_date"
            | "death_date",
        ) => Month,
        // Bounds of a date known as a range: dates like their date.
        (
            E::Patient,
            "diagnosis_date_not_before"
            | "diagnosis_date_not_after"
            | "metastatic_date_not_before"
            | "metastatic_date_not_after"
            | "death_date_not_before"
            | "death_date_not_after",
        ) => Month,
        (
            E::Patient,
            "sex" | "metastatic_setting" | "prior_stage" | "ecog" | "excluded" | "vital_status"
            | "death_cause",
        ) => Value,
        (E::Tumour, "tumour") => RecordId(IdKind::Tumour),
        (E::Tumour, "primary_site_detail" | "reported_type") => Withheld,
        (E::Tumour, "stage") => Stage,
        (
            E::Tumour,
            "primary_site"
            | "gi_segment"
            | "functional_syndrome"
            | "differentiation"
            | "nec_cell_type"
            | "ki67_percent"
            | "mitoses_per_2mm2"
            | "who_grade"
            | "seer_grade"
            | "krenning_uptake"
            | "mibg_uptake"
            | "grade_system"
            | "reported_grade"
            | "mitoses_per_10hpf"
            | "necrosis",
        ) => Value,
        (E::Metastasis, "detail") => Withheld,
        (E::Metastasis, "date") => Month,
        (E::Metastasis, "site" | "at_metastatic_diagnosis" | "liver_pattern") => Value,
        (E::Biomarker, "marker_detail") => Withheld,
        (E::Biomarker, "date") => Month,
        (E::Biomarker, "unit") => Unit,
        (E::Biomarker, "marker" | "value" | "result" | "lower_limit" | "upper_limit") => Value,
        (E::Treatment, "treatment") => RecordId(IdKind::Treatment),
        (
            E::Treatment,
            "start_date"
            | "end_date"
            | "start_date_not_before"
            | "start_date_not_after"
            | "end_date_not_before"
            | "end_date_not_after",
        ) => Month,
        (
            E::Treatment,
            "type" | "surgery_type" | "intent" | "stop_reason" | "line" | "target_organ",
        ) => Value,
        // Lesion ids as typed: free text that may name anything.
        (E::Treatment, "target_lesions") => Withheld,
        (E::TreatmentAgent, "treatment") => RecordId(IdKind::Treatment),
        (E::TreatmentAgent, "agent_detail") => Withheld,
        (E::TreatmentAgent, "dose_unit") => Unit,
        (E::TreatmentAgent, "agent" | "dose" | "interval_days" | "route" | "formulation") => Value,
        (E::RadionuclideAdministration, "treatment") => RecordId(IdKind::Treatment),
        (E::RadionuclideAdministration, "date") => Month,
        (
            E::RadionuclideAdministration,
            "administration" | "activity_gbq" | "lu177_gbq" | "y90_gbq" | "tumour_dose_gy",
        ) => Value,
        (E::Assessment, "assessment") => RecordId(IdKind::Assessment),
        (E::Assessment, "treatment") => RecordId(IdKind::Treatment),
        (E::Assessment, "date" | "date_not_before" | "date_not_after") => Month,
        (E::Assessment, "modality" | "criteria" | "investigator_response") => Value,
        (E::Lesion, "assessment") => RecordId(IdKind::Assessment),
        (E::Lesion, "lesion") => RecordId(IdKind::Lesion),
        (E::Lesion, "organ_detail") => Withheld,
        (
            E::Lesion,
            "organ" | "role" | "longest_mm" | "perpendicular_mm" | "short_axis_mm" | "viable_mm"
            | "attenuation_hu" | "status",
        ) => Value,
        (E::ClinicalStatus, "date") => Month,
        (
            E::ClinicalStatus,
            "ecog" | "symptom_score" | "symptoms" | "weight_kg" | "flushing_per_day"
            | "diarrhoea_per_day",
        ) => Value,
        // Model v3 (migration 6): stains, genetic tests, questionnaires and
        // comorbidities are coded; their `*_detail` texts, the typed
        // variant (HGVS text) and the test method (free text) are withheld.
        (E::Immunohistochemistry | E::GeneticTest, "tumour") => RecordId(IdKind::Tumour),
        (E::Immunohistochemistry | E::GeneticTest | E::QolResponse | E::Comorbidity, "date") => {
            Month
        }
        (E::Immunohistochemistry, "stain_detail") => Withheld,
        (
            E::Immunohistochemistry,
            "specimen" | "stain" | "result" | "percent_cells" | "intensity" | "score"
            | "score_system",
        ) => Value,
        (E::GeneticTest, "gene_detail" | "variant" | "method") => Withheld,
        (E::GeneticTest, "origin" | "gene" | "result") => Value,
        (E::QolResponse, "questionnaire" | "item" | "response") => Value,
        (E::Comorbidity, "condition_detail") => Withheld,
        (E::Comorbidity, "condition") => Value,
        (E::AdverseEvent, "event") => RecordId(IdKind::Event),
        (E::AdverseEvent, "treatment") => RecordId(IdKind::Treatment),
        (E::AdverseEvent, "term") => CtcaeTerm,
        (E::AdverseEvent, "onset_date" | "resolution_date") => Month,
        (E::AdverseEvent, "grade" | "attribution" | "serious") => Value,
        // Not classified: `shown` withholds it (and a test fails).
        _ => return None,
    })
}

/// The rule a column is shown by: its entry in [`rule`], else withheld.
pub fn shown(entity: Entity, column: &str) -> Rule {
    rule(entity, column).unwrap_or(Rule::Withheld)
}

/// CTCAE v5 terms an analyst may see as typed (the terms of the treatments
/// of NET and of their complications; matched ignoring case and repeated
/// spaces). A term outside the list reaches analysts as `other term`: the
/// text is free and may hold anything (`Fall at the wedding in Lyon`).
pub const CTCAE_TERMS: &[&str] = &[
    "Abdominal pain",
    "Alanine aminotransferase increased",
    "Alkaline phosphatase increased",
    "Alopecia",
    "Anemia",
    "Anorexia",
    "Arthralgia",
    "Aspartate aminotransferase increased",
    "Back pain",
    "Bile duct stenosis",
    "Biliary fistula",
    "Bloating",
    "Blood bilirubin increased",
    "Bradycardia",
    "Cholecystitis",
    "Cholelithiasis",
    "Chronic kidney disease",
    "Constipation",
    "Creatinine increased",
    "Cystitis noninfective",
    "Dehydration",
    "Depression",
    "Dermatitis radiation",
    "Diarrhea",
    "Dizziness",
    "Dry skin",
    "Dysgeusia",
    "Dyspepsia",
    "Dyspnea",
    "Edema limbs",
    "Encephalopathy",
    "Epistaxis",
    "Fatigue",
    "Febrile neutropenia",
    "Fever",
    "Flatulence",
    "Flu like symptoms",
    "Gastric hemorrhage",
    "Hair color changes",
    "Headache",
    "Heart failure",
    "Hepatic failure",
    "Hot flashes",
    "Hypercalcemia",
    "Hyperglycemia",
    "Hypertension",
    "Hypoglycemia",
    "Hypokalemia",
    "Hypomagnesemia",
    "Hypophosphatemia",
    "Hypotension",
    "Hypothyroidism",
    "Ileus",
    "Infusion related reaction",
    "Injection site reaction",
    "Insomnia",
    "Lung infection",
    "Lymphocyte count decreased",
    "Myelodysplastic syndrome",
    "Mucositis oral",
    "Nausea",
    "Neutrophil count decreased",
    "Pain",
    "Palmar-plantar erythrodysesthesia syndrome",
    "Pancreatic fistula",
    "Pancreatitis",
    "Peripheral sensory neuropathy",
    "Platelet count decreased",
    "Pneumonitis",
    "Postoperative hemorrhage",
    "Proteinuria",
    "Pruritus",
    "Rash maculo-papular",
    "Sepsis",
    "Stomatitis",
    "Thromboembolic event",
    "Treatment related secondary malignancy",
    "Urinary tract infection",
    "Vomiting",
    "Weight loss",
    "White blood cell decreased",
    "Wound infection",
];

/// What an analyst sees of an adverse-event term.
pub const OTHER_TERM: &str = "other term";

/// The CTCAE term of a typed term, or [`OTHER_TERM`].
pub fn ctcae_term(text: &str) -> &'static str {
    let words: Vec<&str> = text.split_whitespace().collect();
    let typed = words.join(" ");
    CTCAE_TERMS
        .iter()
        .find(|t| t.eq_ignore_ascii_case(&typed))
        .copied()
        .unwrap_or(OTHER_TERM)
}

/// Letter runs a unit may be made of (SI prefixes with grams, moles,
/// litres, units, becquerels, …; UCUM's spellings and the common ones).
const UNIT_ATOMS: &[&str] = &[
    "g", "mg", "ug", "µg", "mcg", "ng", "pg", "kg", "mol", "mmol", "umol", "µmol", "nmol", "pmol",
    "L", "l", "dL", "dl", "mL", "ml", "uL", "IU", "iU", "U", "kU", "mU", "MIU", "mIU", "uIU", "Bq",
    "kBq", "MBq", "GBq", "Ci", "mCi", "m", "cm", "mm", "h", "d", "wk", "min", "s", "mo", "x", "E",
    "e", "ULN", "mEq", "mmHg",
];

/// A unit as an analyst sees it: up to 16 characters, its letter runs
/// units from [`UNIT_ATOMS`] (`ug/L`, `mmol/mol`, `x ULN`, `10^9/L`),
/// else `None` (a unit column holding a word or a name).
pub fn unit_text(text: &str) -> Option<String> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.chars().count() <= 16
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == 'µ' || "/%.^*()+- ".contains(c))
        && t.split(|c: char| !(c.is_ascii_alphabetic() || c == 'µ'))
            .filter(|w| !w.is_empty())
            .all(|w| UNIT_ATOMS.contains(&w));
    ok.then(|| t.to_string())
}

/// A recorded stage as an analyst sees it: a TNM-like text of up to 16
/// characters (digits, the letters of TNM and its prefixes and suffixes,
/// at most three letters in a row: `T2N1M1`, `pT3 N1a`, `ypT1bN0`), else
/// `None`.
pub fn stage_text(text: &str) -> Option<String> {
    let t = text.trim();
    let mut run = 0usize;
    for c in t.chars() {
        if "TNMpcyrabdisxX".contains(c) {
            run += 1;
            if run > 3 {
                return None;
            }
        } else if c.is_ascii_digit() || " ()/+-".contains(c) {
            run = 0;
        } else {
            return None;
        }
    }
    (!t.is_empty() && t.chars().count() <= 16).then(|| t.to_string())
}

/// The registry's study arms in label order: an arm is shown to analysts
/// as `arm N`, its place in this order (records and analyses by arm use
/// the same numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Arms(Vec<String>);

impl Arms {
    /// The arms of these labels (blank labels are no arm).
    pub fn of<'a>(labels: impl IntoIterator<Item = &'a str>) -> Arms {
        let set: BTreeSet<&str> = labels
            .into_iter()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        Arms(set.into_iter().map(str::to_string).collect())
    }

    /// `arm N` of a label; `None` for a label that is not an arm.
    pub fn label(&self, arm: &str) -> Option<String> {
        self.0
            .binary_search_by(|a| a.as_str().cmp(arm.trim()))
            .ok()
            .map(|i| format!("arm {}", i + 1))
    }
}

/// A patient's records as an analyst receives them: every column by its
/// [`Rule`], the patient code replaced by `pseudonym`.
pub fn analyst_records(
    records: Vec<(Entity, Vec<Vec<Value>>)>,
    pseudonym: &str,
    arms: &Arms,
) -> Vec<(Entity, Vec<Vec<Value>>)> {
    // Each kind of record id numbered in the order of its owner's rows.
    let mut ids: HashMap<(IdKind, String), String> = HashMap::new();
    for kind in [
        IdKind::Tumour,
        IdKind::Treatment,
        IdKind::Assessment,
        IdKind::Lesion,
        IdKind::Event,
    ] {
        let (owner, column) = kind.owner();
        let Some(i) = owner.spec().position(column) else {
            continue;
        };
        let mut n = 0usize;
        for (_, rows) in records.iter().filter(|(e, _)| *e == owner) {
            for r in rows {
                if let Some(id) = r.get(i).and_then(Value::to_text)
                    && !ids.contains_key(&(kind, id.clone()))
                {
                    n += 1;
                    ids.insert((kind, id), format!("{}{n}", kind.prefix()));
                }
            }
        }
    }
    records
        .into_iter()
        .map(|(e, rows)| {
            let spec = e.spec();
            let rows = rows
                .into_iter()
                .map(|r| {
                    spec.columns
                        .iter()
                        .zip(r)
                        .map(|(c, v)| analyst_value(shown(e, c.name), &v, pseudonym, &ids, arms))
                        .collect()
                })
                .collect();
            (e, rows)
        })
        .collect()
}

fn analyst_value(
    rule: Rule,
    v: &Value,
    pseudonym: &str,
    ids: &HashMap<(IdKind, String), String>,
    arms: &Arms,
) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    let text = |t: Option<String>| t.map_or(Value::Null, Value::Text);
    match rule {
        Rule::Pseudonym => Value::Text(pseudonym.to_string()),
        Rule::RecordId(kind) => text(v.to_text().and_then(|id| ids.get(&(kind, id)).cloned())),
        Rule::Site | Rule::Value => match v {
            Value::Text(_) | Value::Int(_) | Value::Real(_) | Value::Bool(_) => v.clone(),
            // A date in a value column is not expected: to the month.
            Value::Date(d) => Value::Date(to_month(*d)),
            Value::Null => Value::Null,
        },
        Rule::Month => match v {
            Value::Date(d) => Value::Date(to_month(*d)),
            _ => Value::Null,
        },
        Rule::AgeBand => match v {
            Value::Int(a) => Value::Text(age_band(*a)),
            _ => Value::Null,
        },
        Rule::Arm => text(v.as_str().and_then(|a| arms.label(a))),
        Rule::CtcaeTerm => Value::Text(ctcae_term(v.as_str().unwrap_or_default()).to_string()),
        Rule::Unit => text(v.as_str().and_then(unit_text)),
        Rule::Stage => text(v.as_str().and_then(stage_text)),
        Rule::Withheld => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::PartialDate;

    #[test]
    fn every_column_of_the_schema_has_a_rule() {
        for spec in netra_clinical::registry::schema::schema() {
            for c in &spec.columns {
                assert!(
                    rule(spec.entity, c.name).is_some(),
                    "{}.{} has no rule for analysts",
                    spec.table,
                    c.name
                );
            }
        }
        assert_eq!(rule(Entity::Patient, "no_such_column"), None);
        assert_eq!(shown(Entity::Patient, "notes"), Rule::Withheld);
    }

    #[test]
    fn free_text_is_coarsened_or_withheld() {
        assert_eq!(
            ctcae_term("  platelet   COUNT decreased "),
            "Platelet count decreased"
        );
        assert_eq!(ctcae_term("Fall at the wedding in Lyon"), OTHER_TERM);
        for unit in ["ug/L", "mmol/mol", "x ULN", "10^9/L", "GBq", "mg/m2", "%"] {
            assert_eq!(unit_text(unit).as_deref(), Some(unit), "{unit}");
        }
        for bad in ["Dr X", "Lyon", "see notes", "ug/L (Paris lab)"] {
            assert_eq!(unit_text(bad), None, "{bad}");
        }
        for stage in ["T2N1M1", "pT3 N1a", "ypT1bN0", "T4bN2M1c"] {
            assert_eq!(stage_text(stage).as_deref(), Some(stage), "{stage}");
        }
        for bad in ["Dr House", "T2 Lyon", "stage IV per Dr X"] {
            assert_eq!(stage_text(bad), None, "{bad}");
        }
        let arms = Arms::of(["Placebo", " Lanreotide ", "", "Placebo"]);
        assert_eq!(arms.label("Lanreotide").as_deref(), Some("arm 1"));
        assert_eq!(arms.label("Placebo").as_deref(), Some("arm 2"));
        assert_eq!(arms.label("arm 1"), None);
    }

    #[test]
    fn analysts_records_follow_the_rules() {
        let d = |s: &str| Value::Date(s.parse::<PartialDate>().unwrap());
        let t = |s: &str| Value::Text(s.into());
        let spec = Entity::Treatment.spec();
        let mut treatment = vec![Value::Null; spec.columns.len()];
        let set = |row: &mut Vec<Value>, e: Entity, col: &str, v: Value| {
            row[e.spec().position(col).unwrap()] = v;
        };
        set(&mut treatment, Entity::Treatment, "patient", t("CHU-0042"));
        set(
            &mut treatment,
            Entity::Treatment,
            "treatment",
            t("T-2004-03-17"),
        );
        set(&mut treatment, Entity::Treatment, "type", t("chemotherapy"));
        set(
            &mut treatment,
            Entity::Treatment,
            "start_date",
            d("2004-03-17"),
        );
        set(&mut treatment, Entity::Treatment, "notes", t("Dr X"));
        let mut ae = vec![Value::Null; Entity::AdverseEvent.spec().columns.len()];
        set(&mut ae, Entity::AdverseEvent, "patient", t("CHU-0042"));
        set(&mut ae, Entity::AdverseEvent, "event", t("AE-secret"));
        set(&mut ae, Entity::AdverseEvent, "term", t("nausea"));
        set(
            &mut ae,
            Entity::AdverseEvent,
            "treatment",
            t("T-2004-03-17"),
        );
        set(&mut ae, Entity::AdverseEvent, "grade", Value::Int(2));
        let out = analyst_records(
            vec![
                (Entity::Treatment, vec![treatment]),
                (Entity::AdverseEvent, vec![ae]),
            ],
            "ps-000000000000",
            &Arms::default(),
        );
        let get = |e: Entity, col: &str| {
            let rows = &out.iter().find(|(x, _)| *x == e).unwrap().1;
            rows[0][e.spec().position(col).unwrap()].clone()
        };
        assert_eq!(get(Entity::Treatment, "patient"), t("ps-000000000000"));
        assert_eq!(get(Entity::Treatment, "treatment"), t("T1"));
        assert_eq!(get(Entity::Treatment, "type"), t("chemotherapy"));
        assert_eq!(get(Entity::Treatment, "start_date"), d("2004-03"));
        assert_eq!(get(Entity::Treatment, "notes"), Value::Null);
        assert_eq!(get(Entity::AdverseEvent, "event"), t("AE1"));
        assert_eq!(get(Entity::AdverseEvent, "treatment"), t("T1"));
        assert_eq!(get(Entity::AdverseEvent, "term"), t("Nausea"));
        assert_eq!(get(Entity::AdverseEvent, "grade"), Value::Int(2));
    }
}
