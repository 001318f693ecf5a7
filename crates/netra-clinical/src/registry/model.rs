//! Typed records of a patient's course, as analyses read them.
//!
//! The store keeps rows generically (see [`super::schema`]); these structs
//! are what endpoint derivation, lines of therapy, reports and the web pages
//! work with. Each `from_row` reads a row of its entity and fails only when a
//! stored value is not valid for the model (a database edited by hand).

use super::date::PartialDate;
use super::range::DateBounds;
use super::rules::RowView;
use super::schema::{Entity, Value};
use super::vocab::*;

mod concepts;
pub use concepts::*;

/// A stored row that does not fit the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table}.{column}: {reason}")]
pub struct ModelError {
    /// Table of the row.
    pub table: &'static str,
    /// Offending column.
    pub column: String,
    /// Why.
    pub reason: String,
}

struct Get<'a> {
    entity: Entity,
    r: RowView<'a>,
}

impl<'a> Get<'a> {
    fn new(entity: Entity, row: &'a [Value]) -> Self {
        Get {
            entity,
            r: RowView::new(entity.spec(), row),
        }
    }
    fn err(&self, column: &str, reason: impl Into<String>) -> ModelError {
        ModelError {
            table: self.entity.spec().table,
            column: column.to_string(),
            reason: reason.into(),
        }
    }
    fn text(&self, c: &str) -> Option<String> {
        self.r.str(c).map(str::to_string)
    }
    fn req_text(&self, c: &str) -> Result<String, ModelError> {
        self.text(c).ok_or_else(|| self.err(c, "missing"))
    }
    fn code<V: Vocabulary>(&self, c: &str) -> Result<Option<V>, ModelError> {
        self.r
            .str(c)
            .map(|s| V::from_code(s).map_err(|e| self.err(c, e.to_string())))
            .transpose()
    }
    fn req_code<V: Vocabulary>(&self, c: &str) -> Result<V, ModelError> {
        self.code(c)?.ok_or_else(|| self.err(c, "missing"))
    }
    fn date(&self, c: &str) -> Option<PartialDate> {
        self.r.date(c)
    }
    fn req_date(&self, c: &str) -> Result<PartialDate, ModelError> {
        self.date(c).ok_or_else(|| self.err(c, "missing"))
    }
    /// The recorded bounds of date column `c` ([`super::range`]).
    fn bounds(&self, c: &str) -> DateBounds {
        DateBounds {
            not_before: self.date(&format!("{c}_not_before")),
            not_after: self.date(&format!("{c}_not_after")),
        }
    }
    fn num(&self, c: &str) -> Option<f64> {
        self.r.num(c)
    }
    fn int(&self, c: &str) -> Option<i64> {
        self.r.get(c).as_i64()
    }
    fn small(&self, c: &str) -> Option<u8> {
        self.int(c).and_then(|n| u8::try_from(n).ok())
    }
    fn bool(&self, c: &str) -> Option<bool> {
        self.r.get(c).as_bool()
    }
}

/// A patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Patient {
    /// Pseudonymous code.
    pub code: String,
    /// Site code.
    pub site: String,
    /// Sex.
    pub sex: Sex,
    /// Date of birth.
    pub birth_date: Option<PartialDate>,
    /// Age at study entry as recorded (years).
    pub age_at_entry: Option<i64>,
    /// First diagnosis.
    pub diagnosis_date: Option<PartialDate>,
    /// Bounds of the diagnosis date (a date known as a range).
    pub diagnosis_bounds: DateBounds,
    /// Diagnosis of metastatic or recurrent disease.
    pub metastatic_date: Option<PartialDate>,
    /// Bounds of the metastatic date.
    pub metastatic_bounds: DateBounds,
    /// How metastatic disease arose.
    pub metastatic_setting: Option<MetastaticSetting>,
    /// Summary stage before metastatic disease.
    pub prior_stage: Option<SummaryStage>,
    /// ECOG at metastatic diagnosis.
    pub ecog: Option<u8>,
    /// Study entry.
    pub entry_date: Option<PartialDate>,
    /// Study arm label.
    pub arm: Option<String>,
    /// Excluded from the study's analyses (`None`: not recorded, read as no).
    pub excluded: Option<bool>,
    /// Why excluded.
    pub exclusion_reason: Option<String>,
    /// Last follow-up.
    pub last_followup_date: Option<PartialDate>,
    /// Vital status at last follow-up.
    pub vital_status: VitalStatus,
    /// Death.
    pub death_date: Option<PartialDate>,
    /// Bounds of the death date.
    pub death_bounds: DateBounds,
    /// Cause of death.
    pub death_cause: Option<DeathCause>,
    /// Remarks.
    pub notes: Option<String>,
}

impl Patient {
    /// Reads a `patient` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Patient, row);
        Ok(Patient {
            code: g.req_text("patient")?,
            site: g.req_text("site")?,
            sex: g.req_code("sex")?,
            birth_date: g.date("birth_date"),
            age_at_entry: g.int("age_at_entry"),
            diagnosis_date: g.date("diagnosis_date"),
            diagnosis_bounds: g.bounds("diagnosis_date"),
            metastatic_date: g.date("metastatic_date"),
            metastatic_bounds: g.bounds("metastatic_date"),
            metastatic_setting: g.code("metastatic_setting")?,
            prior_stage: g.code("prior_stage")?,
            ecog: g.small("ecog"),
            entry_date: g.date("entry_date"),
            arm: g.text("arm"),
            excluded: g.bool("excluded"),
            exclusion_reason: g.text("exclusion_reason"),
            last_followup_date: g.date("last_followup_date"),
            vital_status: g.req_code("vital_status")?,
            death_date: g.date("death_date"),
            death_bounds: g.bounds("death_date"),
            death_cause: g.code("death_cause")?,
            notes: g.text("notes"),
        })
    }

    /// True when the patient is recorded dead.
    pub fn is_dead(&self) -> bool {
        self.vital_status == VitalStatus::Dead
    }
}

/// A primary tumour.
#[derive(Debug, Clone, PartialEq)]
pub struct Tumour {
    /// Id within the patient.
    pub id: String,
    /// Primary site.
    pub primary_site: PrimarySite,
    /// Named site when `other`.
    pub primary_site_detail: Option<String>,
    /// GI segment as recorded.
    pub gi_segment: Option<GiSegment>,
    /// Type as the source wrote it.
    pub reported_type: Option<String>,
    /// Functional syndrome.
    pub functional_syndrome: Option<FunctionalSyndrome>,
    /// Differentiation.
    pub differentiation: Option<Differentiation>,
    /// NEC cell type.
    pub nec_cell_type: Option<NecCellType>,
    /// Ki-67 (%).
    pub ki67_percent: Option<f64>,
    /// Mitoses per 2 mm².
    pub mitoses_per_2mm2: Option<f64>,
    /// WHO 2019 grade as recorded.
    pub who_grade: Option<WhoGrade>,
    /// SEER grade as recorded.
    pub seer_grade: Option<SeerGrade>,
    /// Grading system of `reported_grade`.
    pub grade_system: Option<GradeSystem>,
    /// Grade (lung: tumour type) as reported under `grade_system`.
    pub reported_grade: Option<ReportedGrade>,
    /// Mitoses per 10 high-power fields.
    pub mitoses_per_10hpf: Option<f64>,
    /// Necrosis present (lung and thymus rules).
    pub necrosis: Option<bool>,
    /// Stage text.
    pub stage: Option<String>,
    /// Krenning uptake 0–4.
    pub krenning_uptake: Option<u8>,
    /// MIBG uptake 0–4.
    pub mibg_uptake: Option<u8>,
    /// Remarks.
    pub notes: Option<String>,
}

impl Tumour {
    /// Reads a `tumour` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Tumour, row);
        Ok(Tumour {
            id: g.req_text("tumour")?,
            primary_site: g.req_code("primary_site")?,
            primary_site_detail: g.text("primary_site_detail"),
            gi_segment: g.code("gi_segment")?,
            reported_type: g.text("reported_type"),
            functional_syndrome: g.code("functional_syndrome")?,
            differentiation: g.code("differentiation")?,
            nec_cell_type: g.code("nec_cell_type")?,
            ki67_percent: g.num("ki67_percent"),
            mitoses_per_2mm2: g.num("mitoses_per_2mm2"),
            who_grade: g.code("who_grade")?,
            seer_grade: g.code("seer_grade")?,
            grade_system: g.code("grade_system")?,
            reported_grade: g.code("reported_grade")?,
            mitoses_per_10hpf: g.num("mitoses_per_10hpf"),
            necrosis: g.bool("necrosis"),
            stage: g.text("stage"),
            krenning_uptake: g.small("krenning_uptake"),
            mibg_uptake: g.small("mibg_uptake"),
            notes: g.text("notes"),
        })
    }

    /// The GI segment: as recorded, else implied by the organ.
    pub fn segment(&self) -> Option<GiSegment> {
        self.gi_segment.or(self.primary_site.gi_segment())
    }

    /// The WHO 2019 grade: as recorded, else derived from differentiation,
    /// Ki-67 and mitoses (`None` when neither allows one).
    ///
    /// With a `grade_system` the derivation follows [`crate::grading`]:
    /// lung tumours by the lung rules (never Ki-67), WHO 2010/ENETS grades
    /// mapped where the differentiation allows.
    pub fn grade(&self) -> Option<WhoGrade> {
        self.who_grade
            .or_else(|| self.grade_inputs().derived_who_2019())
    }

    /// What this tumour records about its grade ([`crate::grading`]).
    pub fn grade_inputs(&self) -> crate::grading::GradeInputs {
        crate::grading::GradeInputs {
            differentiation: self.differentiation,
            nec_cell_type: self.nec_cell_type,
            ki67_percent: self.ki67_percent,
            mitoses_per_2mm2: self.mitoses_per_2mm2,
            mitoses_per_10hpf: self.mitoses_per_10hpf,
            necrosis: self.necrosis,
            grade_system: self.grade_system,
            reported_grade: self.reported_grade,
        }
    }
}

/// A metastatic site.
#[derive(Debug, Clone, PartialEq)]
pub struct Metastasis {
    /// Site.
    pub site: MetastasisSite,
    /// Named site when `other`.
    pub detail: Option<String>,
    /// Date first known.
    pub date: Option<PartialDate>,
    /// Involved at metastatic diagnosis.
    pub at_metastatic_diagnosis: Option<bool>,
    /// Liver pattern.
    pub liver_pattern: Option<LiverPattern>,
    /// Remarks.
    pub notes: Option<String>,
}

impl Metastasis {
    /// Reads a `metastasis` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Metastasis, row);
        Ok(Metastasis {
            site: g.req_code("site")?,
            detail: g.text("detail"),
            date: g.date("date"),
            at_metastatic_diagnosis: g.bool("at_metastatic_diagnosis"),
            liver_pattern: g.code("liver_pattern")?,
            notes: g.text("notes"),
        })
    }
}

/// A marker measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct Biomarker {
    /// Marker.
    pub marker: Marker,
    /// Name when `other`.
    pub marker_detail: Option<String>,
    /// Sample date.
    pub date: PartialDate,
    /// Value in `unit`.
    pub value: f64,
    /// Unit.
    pub unit: String,
    /// Lower reference limit.
    pub lower_limit: Option<f64>,
    /// Upper limit of normal.
    pub upper_limit: Option<f64>,
    /// The result in words, when the report gave one beside the value.
    pub result: Option<MarkerResult>,
    /// Remarks.
    pub notes: Option<String>,
}

impl Biomarker {
    /// Reads a `biomarker` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Biomarker, row);
        Ok(Biomarker {
            marker: g.req_code("marker")?,
            marker_detail: g.text("marker_detail"),
            date: g.req_date("date")?,
            value: g.num("value").ok_or_else(|| g.err("value", "missing"))?,
            unit: g.req_text("unit")?,
            lower_limit: g.num("lower_limit"),
            upper_limit: g.num("upper_limit"),
            result: g.code("result")?,
            notes: g.text("notes"),
        })
    }

    /// True when above the upper limit of normal (`None` without one).
    pub fn above_uln(&self) -> Option<bool> {
        self.upper_limit.map(|u| self.value > u)
    }
}

/// An agent of a treatment.
#[derive(Debug, Clone, PartialEq)]
pub struct TreatmentAgent {
    /// Agent.
    pub agent: Agent,
    /// Name when `other`.
    pub agent_detail: Option<String>,
    /// Dose per administration.
    pub dose: Option<f64>,
    /// Unit of the dose.
    pub dose_unit: Option<String>,
    /// Interval between administrations (days).
    pub interval_days: Option<f64>,
    /// Route of administration.
    pub route: Option<Route>,
    /// Formulation (octreotide LAR, lanreotide depot).
    pub formulation: Option<Formulation>,
    /// Remarks.
    pub notes: Option<String>,
}

impl TreatmentAgent {
    /// Reads a `treatment_agent` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::TreatmentAgent, row);
        Ok(TreatmentAgent {
            agent: g.req_code("agent")?,
            agent_detail: g.text("agent_detail"),
            dose: g.num("dose"),
            dose_unit: g.text("dose_unit"),
            interval_days: g.num("interval_days"),
            route: g.code("route")?,
            formulation: g.code("formulation")?,
            notes: g.text("notes"),
        })
    }
}

/// One administration of a radionuclide therapy.
#[derive(Debug, Clone, PartialEq)]
pub struct RadionuclideAdministration {
    /// 1, 2, …
    pub number: u32,
    /// Date given.
    pub date: Option<PartialDate>,
    /// Activity (GBq).
    pub activity_gbq: f64,
    /// 177Lu part of the activity (combined PRRT), GBq.
    pub lu177_gbq: Option<f64>,
    /// 90Y part of the activity (combined PRRT), GBq.
    pub y90_gbq: Option<f64>,
    /// Absorbed tumour dose by dosimetry (Gy).
    pub tumour_dose_gy: Option<f64>,
    /// Remarks.
    pub notes: Option<String>,
}

impl RadionuclideAdministration {
    /// Reads a `radionuclide_administration` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::RadionuclideAdministration, row);
        Ok(RadionuclideAdministration {
            number: g
                .int("administration")
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| g.err("administration", "missing"))?,
            date: g.date("date"),
            activity_gbq: g
                .num("activity_gbq")
                .ok_or_else(|| g.err("activity_gbq", "missing"))?,
            lu177_gbq: g.num("lu177_gbq"),
            y90_gbq: g.num("y90_gbq"),
            tumour_dose_gy: g.num("tumour_dose_gy"),
            notes: g.text("notes"),
        })
    }
}

/// A treatment course with its agents and administrations.
#[derive(Debug, Clone, PartialEq)]
pub struct Treatment {
    /// Id within the patient.
    pub id: String,
    /// Kind.
    pub kind: TreatmentType,
    /// Kind of surgery.
    pub surgery_type: Option<SurgeryType>,
    /// Start.
    pub start_date: Option<PartialDate>,
    /// Bounds of the start (a date known as a range).
    pub start_bounds: DateBounds,
    /// End.
    pub end_date: Option<PartialDate>,
    /// Bounds of the end.
    pub end_bounds: DateBounds,
    /// Intent.
    pub intent: Option<Intent>,
    /// Why it stopped.
    pub stop_reason: Option<StopReason>,
    /// Line as recorded by the source.
    pub line: Option<u32>,
    /// Organ a local treatment was aimed at.
    pub target_organ: Option<Organ>,
    /// Lesion ids a local treatment was aimed at.
    pub target_lesions: Vec<String>,
    /// Remarks.
    pub notes: Option<String>,
    /// Agents, in agent-code order.
    pub agents: Vec<TreatmentAgent>,
    /// Radionuclide administrations, by number.
    pub administrations: Vec<RadionuclideAdministration>,
}

impl Treatment {
    /// Reads a `treatment` row (agents and administrations are added by the
    /// caller).
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Treatment, row);
        Ok(Treatment {
            id: g.req_text("treatment")?,
            kind: g.req_code("type")?,
            surgery_type: g.code("surgery_type")?,
            start_date: g.date("start_date"),
            start_bounds: g.bounds("start_date"),
            end_date: g.date("end_date"),
            end_bounds: g.bounds("end_date"),
            intent: g.code("intent")?,
            stop_reason: g.code("stop_reason")?,
            line: g.int("line").and_then(|n| u32::try_from(n).ok()),
            target_organ: g.code("target_organ")?,
            target_lesions: g
                .text("target_lesions")
                .map(|t| lesion_list(&t))
                .unwrap_or_default(),
            notes: g.text("notes"),
            agents: Vec::new(),
            administrations: Vec::new(),
        })
    }

    /// The treatment's class.
    pub fn class(&self) -> TreatmentClass {
        self.kind.class()
    }

    /// Total administered activity (GBq) over the administrations.
    pub fn total_activity_gbq(&self) -> f64 {
        self.administrations.iter().map(|a| a.activity_gbq).sum()
    }
}

/// A measured lesion.
#[derive(Debug, Clone, PartialEq)]
pub struct Lesion {
    /// Identifier stable across assessments.
    pub id: String,
    /// Organ.
    pub organ: Organ,
    /// Location detail.
    pub organ_detail: Option<String>,
    /// Role.
    pub role: LesionRole,
    /// Longest diameter (mm).
    pub longest_mm: Option<f64>,
    /// Perpendicular diameter (mm).
    pub perpendicular_mm: Option<f64>,
    /// Short axis (mm).
    pub short_axis_mm: Option<f64>,
    /// Viable diameter (mm).
    pub viable_mm: Option<f64>,
    /// Attenuation (HU).
    pub attenuation_hu: Option<f64>,
    /// State of a non-target or new lesion.
    pub status: Option<LesionStatus>,
    /// Remarks.
    pub notes: Option<String>,
}

impl Lesion {
    /// Reads a `lesion` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Lesion, row);
        Ok(Lesion {
            id: g.req_text("lesion")?,
            organ: g.req_code("organ")?,
            organ_detail: g.text("organ_detail"),
            role: g.req_code("role")?,
            longest_mm: g.num("longest_mm"),
            perpendicular_mm: g.num("perpendicular_mm"),
            short_axis_mm: g.num("short_axis_mm"),
            viable_mm: g.num("viable_mm"),
            attenuation_hu: g.num("attenuation_hu"),
            status: g.code("status")?,
            notes: g.text("notes"),
        })
    }
}

/// An assessment with its lesions.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Id within the patient.
    pub id: String,
    /// Date.
    pub date: PartialDate,
    /// Bounds of the date (a date known as a range).
    pub date_bounds: DateBounds,
    /// Modality.
    pub modality: Modality,
    /// Criteria of the investigator's response.
    pub criteria: Option<ResponseCriteria>,
    /// Treatment evaluated.
    pub treatment: Option<String>,
    /// Investigator's response.
    pub investigator_response: Option<Response>,
    /// Remarks.
    pub notes: Option<String>,
    /// Lesions, by identifier.
    pub lesions: Vec<Lesion>,
}

impl Assessment {
    /// Reads an `assessment` row (lesions are added by the caller).
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Assessment, row);
        Ok(Assessment {
            id: g.req_text("assessment")?,
            date: g.req_date("date")?,
            date_bounds: g.bounds("date"),
            modality: g.req_code("modality")?,
            criteria: g.code("criteria")?,
            treatment: g.text("treatment"),
            investigator_response: g.code("investigator_response")?,
            notes: g.text("notes"),
            lesions: Vec::new(),
        })
    }
}

/// The lesion ids of a `target_lesions` cell (`L1;L3`): trimmed, empty
/// parts dropped.
pub fn lesion_list(text: &str) -> Vec<String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Symptoms and performance status at a visit.
#[derive(Debug, Clone, PartialEq)]
pub struct ClinicalStatus {
    /// Visit date.
    pub date: PartialDate,
    /// ECOG.
    pub ecog: Option<u8>,
    /// Symptom score.
    pub symptom_score: Option<f64>,
    /// Change of symptoms.
    pub symptoms: Option<SymptomChange>,
    /// Weight (kg).
    pub weight_kg: Option<f64>,
    /// Flushing episodes per day.
    pub flushing_per_day: Option<f64>,
    /// Diarrhoea episodes per day.
    pub diarrhoea_per_day: Option<f64>,
    /// Remarks.
    pub notes: Option<String>,
}

impl ClinicalStatus {
    /// Reads a `clinical_status` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::ClinicalStatus, row);
        Ok(ClinicalStatus {
            date: g.req_date("date")?,
            ecog: g.small("ecog"),
            symptom_score: g.num("symptom_score"),
            symptoms: g.code("symptoms")?,
            weight_kg: g.num("weight_kg"),
            flushing_per_day: g.num("flushing_per_day"),
            diarrhoea_per_day: g.num("diarrhoea_per_day"),
            notes: g.text("notes"),
        })
    }
}

/// An adverse event.
#[derive(Debug, Clone, PartialEq)]
pub struct AdverseEvent {
    /// Id within the patient.
    pub id: String,
    /// CTCAE term.
    pub term: String,
    /// Grade 1–5.
    pub grade: u8,
    /// Onset.
    pub onset_date: Option<PartialDate>,
    /// Resolution.
    pub resolution_date: Option<PartialDate>,
    /// Attribution.
    pub attribution: Option<Attribution>,
    /// Serious.
    pub serious: Option<bool>,
    /// Suspected treatment.
    pub treatment: Option<String>,
    /// Remarks.
    pub notes: Option<String>,
}

impl AdverseEvent {
    /// Reads an `adverse_event` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::AdverseEvent, row);
        Ok(AdverseEvent {
            id: g.req_text("event")?,
            term: g.req_text("term")?,
            grade: g.small("grade").ok_or_else(|| g.err("grade", "missing"))?,
            onset_date: g.date("onset_date"),
            resolution_date: g.date("resolution_date"),
            attribution: g.code("attribution")?,
            serious: g.bool("serious"),
            treatment: g.text("treatment"),
            notes: g.text("notes"),
        })
    }
}

/// Everything recorded about one patient. Children are in natural-key
/// order (the order the store returns them); time order is the reader's
/// choice because partial dates order only partially.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientCourse {
    /// The patient.
    pub patient: Patient,
    /// Primary tumours.
    pub tumours: Vec<Tumour>,
    /// Metastatic sites.
    pub metastases: Vec<Metastasis>,
    /// Marker measurements (rows with a value).
    pub biomarkers: Vec<Biomarker>,
    /// Marker results recorded without a number ("CEA normal").
    pub marker_findings: Vec<MarkerFinding>,
    /// Treatments with agents and administrations.
    pub treatments: Vec<Treatment>,
    /// Assessments with lesions.
    pub assessments: Vec<Assessment>,
    /// Visits.
    pub clinical_status: Vec<ClinicalStatus>,
    /// Adverse events.
    pub adverse_events: Vec<AdverseEvent>,
    /// Immunohistochemical stains.
    pub immunostains: Vec<Immunostain>,
    /// Genetic tests.
    pub genetic_tests: Vec<GeneticTest>,
    /// Quality-of-life item responses ([`crate::qol`] scores them).
    pub qol_responses: Vec<QolResponse>,
    /// Comorbidities.
    pub comorbidities: Vec<RecordedComorbidity>,
}

impl PatientCourse {
    /// A course with no records but the patient.
    pub fn new(patient: Patient) -> Self {
        PatientCourse {
            patient,
            tumours: Vec::new(),
            metastases: Vec::new(),
            biomarkers: Vec::new(),
            marker_findings: Vec::new(),
            treatments: Vec::new(),
            assessments: Vec::new(),
            clinical_status: Vec::new(),
            adverse_events: Vec::new(),
            immunostains: Vec::new(),
            genetic_tests: Vec::new(),
            qol_responses: Vec::new(),
            comorbidities: Vec::new(),
        }
    }

    /// The treatment with id `id`.
    pub fn treatment(&self, id: &str) -> Option<&Treatment> {
        self.treatments.iter().find(|t| t.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    #[test]
    fn typed_patient_and_tumour() {
        let p = Patient::from_row(&row(
            Entity::Patient,
            &[
                ("patient", "18"),
                ("site", "s"),
                ("sex", "male"),
                ("vital_status", "alive"),
                ("ecog", "1"),
            ],
        ))
        .unwrap();
        assert_eq!(p.sex, Sex::Male);
        assert_eq!(p.ecog, Some(1));
        assert!(!p.is_dead());
        let t = Tumour::from_row(&row(
            Entity::Tumour,
            &[
                ("patient", "18"),
                ("tumour", "1"),
                ("primary_site", "jejunum_ileum"),
                ("differentiation", "well"),
                ("ki67_percent", "4"),
            ],
        ))
        .unwrap();
        assert_eq!(t.segment(), Some(GiSegment::Midgut));
        assert_eq!(t.grade(), Some(WhoGrade::G2));
    }

    #[test]
    fn invalid_stored_code_is_an_error_not_a_panic() {
        let mut r = row(
            Entity::Patient,
            &[
                ("patient", "1"),
                ("site", "s"),
                ("sex", "male"),
                ("vital_status", "alive"),
            ],
        );
        r[2] = Value::Text("M".into());
        let e = Patient::from_row(&r).unwrap_err();
        assert_eq!(e.table, "patient");
        assert_eq!(e.column, "sex");
    }
}
