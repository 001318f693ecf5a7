//! Hand-built patients for the endpoint, line and sequence tests: a small
//! builder over the registry's typed model, so each test states the course
//! it is about in a few lines.
#![allow(dead_code)]

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::*;
use netra_clinical::registry::vocab::*;

pub fn d(s: &str) -> PartialDate {
    s.parse().unwrap()
}

/// A patient with metastatic diagnosis 2000-01-01 (diagnosis 1999-06-01,
/// entry 2000-01-10), alive at the last follow-up 2003-01-01.
pub fn patient(code: &str) -> PatientCourse {
    PatientCourse::new(Patient {
        diagnosis_bounds: Default::default(),
        metastatic_bounds: Default::default(),
        death_bounds: Default::default(),
        code: code.into(),
        site: "s".into(),
        sex: Sex::Female,
        birth_date: None,
        age_at_entry: None,
        diagnosis_date: Some(d("1999-06-01")),
        metastatic_date: Some(d("2000-01-01")),
        metastatic_setting: None,
        prior_stage: None,
        ecog: None,
        entry_date: Some(d("2000-01-10")),
        arm: None,
        excluded: None,
        exclusion_reason: None,
        last_followup_date: Some(d("2003-01-01")),
        vital_status: VitalStatus::Alive,
        death_date: None,
        death_cause: None,
        notes: None,
    })
}

pub trait Build {
    fn dead(self, date: &str) -> Self;
    fn lost(self, last: &str) -> Self;
    fn tx(
        self,
        id: &str,
        kind: TreatmentType,
        agents: &[Agent],
        start: &str,
        end: Option<&str>,
        stop: Option<StopReason>,
    ) -> Self;
    /// A scan with an investigator response only.
    fn inv(self, id: &str, date: &str, r: Response) -> Self;
    /// A scan with one liver target lesion of `mm` and optionally a new
    /// lesion; linked to `treatment`.
    fn lesion_scan(self, id: &str, date: &str, mm: f64, new: bool, treatment: Option<&str>)
    -> Self;
    fn ae(self, id: &str, date: &str, grade: u8, attribution: Option<Attribution>) -> Self;
    fn visit(self, date: &str, s: SymptomChange) -> Self;
    fn marker(self, date: &str, m: Marker, v: f64) -> Self;
}

impl Build for PatientCourse {
    fn dead(mut self, date: &str) -> Self {
        self.patient.vital_status = VitalStatus::Dead;
        self.patient.death_date = Some(d(date));
        self.patient.last_followup_date = Some(d(date));
        self
    }
    fn lost(mut self, last: &str) -> Self {
        self.patient.vital_status = VitalStatus::LostToFollowUp;
        self.patient.last_followup_date = Some(d(last));
        self
    }
    fn tx(
        mut self,
        id: &str,
        kind: TreatmentType,
        agents: &[Agent],
        start: &str,
        end: Option<&str>,
        stop: Option<StopReason>,
    ) -> Self {
        self.treatments.push(Treatment {
            start_bounds: Default::default(),
            end_bounds: Default::default(),
            target_organ: Default::default(),
            target_lesions: Default::default(),
            id: id.into(),
            kind,
            surgery_type: None,
            start_date: if start.is_empty() {
                None
            } else {
                Some(d(start))
            },
            end_date: end.map(d),
            intent: None,
            stop_reason: stop,
            line: None,
            notes: None,
            agents: agents
                .iter()
                .map(|a| TreatmentAgent {
                    route: Default::default(),
                    formulation: Default::default(),
                    agent: *a,
                    agent_detail: None,
                    dose: None,
                    dose_unit: None,
                    interval_days: None,
                    notes: None,
                })
                .collect(),
            administrations: Vec::new(),
        });
        self
    }
    fn inv(mut self, id: &str, date: &str, r: Response) -> Self {
        self.assessments.push(Assessment {
            date_bounds: Default::default(),
            id: id.into(),
            date: d(date),
            modality: Modality::Ct,
            criteria: None,
            treatment: None,
            investigator_response: Some(r),
            notes: None,
            lesions: Vec::new(),
        });
        self
    }
    fn lesion_scan(
        mut self,
        id: &str,
        date: &str,
        mm: f64,
        new: bool,
        treatment: Option<&str>,
    ) -> Self {
        let lesion = |lid: &str, role: LesionRole, mm: Option<f64>| Lesion {
            id: lid.into(),
            organ: Organ::Liver,
            organ_detail: None,
            role,
            longest_mm: mm,
            perpendicular_mm: None,
            short_axis_mm: None,
            viable_mm: None,
            attenuation_hu: None,
            status: None,
            notes: None,
        };
        let mut lesions = vec![lesion("L1", LesionRole::Target, Some(mm))];
        if new {
            lesions.push(lesion("N1", LesionRole::New, Some(12.0)));
        }
        self.assessments.push(Assessment {
            date_bounds: Default::default(),
            id: id.into(),
            date: d(date),
            modality: Modality::Ct,
            criteria: None,
            treatment: treatment.map(str::to_string),
            investigator_response: None,
            notes: None,
            lesions,
        });
        self
    }
    fn ae(mut self, id: &str, date: &str, grade: u8, attribution: Option<Attribution>) -> Self {
        self.adverse_events.push(AdverseEvent {
            id: id.into(),
            term: "diarrhoea".into(),
            grade,
            onset_date: Some(d(date)),
            resolution_date: None,
            attribution,
            serious: None,
            treatment: None,
            notes: None,
        });
        self
    }
    fn visit(mut self, date: &str, s: SymptomChange) -> Self {
        self.clinical_status.push(ClinicalStatus {
            date: d(date),
            ecog: None,
            symptom_score: None,
            symptoms: Some(s),
            weight_kg: None,
            flushing_per_day: None,
            diarrhoea_per_day: None,
            notes: None,
        });
        self
    }
    fn marker(mut self, date: &str, m: Marker, v: f64) -> Self {
        self.biomarkers.push(Biomarker {
            marker: m,
            marker_detail: None,
            date: d(date),
            value: v,
            unit: "u".into(),
            lower_limit: None,
            upper_limit: None,
            result: None,
            notes: None,
        });
        self
    }
}
