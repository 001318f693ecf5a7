//! Child rows of courses gathered one group at a time — one course's rows
//! of a table, or one treatment's agents or administrations, or one
//! assessment's lesions — and moved into their vector at its exact size
//! when the group ends ([`Gather`]).
//!
//! Why: pushed one by one into the course, each vector grows by doubling
//! (4, 8, 16 …). On the 10⁵-patient registry the vectors then held 1.4 to
//! 4 times the records they had (lesions 1.48, treatments 1.60, tumours
//! 4.0: one per patient in a vector of 4), every growth copied the
//! records, and the kernel zeroed the pages of the waste. Gathered, each
//! record is moved once more, into a vector that is never grown again.
//!
//! The result is what [`crate::query::attach`] builds row by row (tests
//! compare both): the same records in the same vectors, in row order, and
//! the same error at the same row for a child whose parent is missing.

use netra_clinical::registry::model::*;
use netra_clinical::registry::schema::{Entity, Value};

use crate::StoreError;
use crate::query::{assessment_index, is_marker_finding, treatment_index};

/// The records of the group being read, by kind (reused from group to
/// group), and the group: the course's index and the parent's id (empty
/// for records of the course itself).
#[derive(Default)]
pub(crate) struct Gather {
    group: Option<usize>,
    parent: String,
    /// The parent's position in its course (found when the group starts).
    parent_index: usize,
    tumours: Vec<Tumour>,
    metastases: Vec<Metastasis>,
    biomarkers: Vec<Biomarker>,
    marker_findings: Vec<MarkerFinding>,
    treatments: Vec<Treatment>,
    agents: Vec<TreatmentAgent>,
    administrations: Vec<RadionuclideAdministration>,
    assessments: Vec<Assessment>,
    lesions: Vec<Lesion>,
    clinical_status: Vec<ClinicalStatus>,
    adverse_events: Vec<AdverseEvent>,
    immunostains: Vec<Immunostain>,
    genetic_tests: Vec<GeneticTest>,
    qol_responses: Vec<QolResponse>,
    comorbidities: Vec<RecordedComorbidity>,
}

/// The id of a child's parent (treatment or assessment, the key's second
/// column), or `None` for records of the course itself.
fn parent_of(entity: Entity, v: &[Value]) -> Option<&str> {
    match entity {
        Entity::TreatmentAgent | Entity::RadionuclideAdministration | Entity::Lesion => {
            Some(v.get(1).and_then(Value::as_str).unwrap_or_default())
        }
        _ => None,
    }
}

/// Moves `gathered` into `target`: at its exact size when `target` is
/// empty (always, as rows come grouped), else after what it holds.
fn settle<T>(target: &mut Vec<T>, gathered: &mut Vec<T>) {
    if target.is_empty() {
        *target = Vec::with_capacity(gathered.len());
    }
    target.append(gathered);
}

impl Gather {
    /// Adds a row of `entity` (a child table) for `courses[i]`. A row of
    /// another group first settles the gathered one into its course; a
    /// group's parent is looked up when it starts.
    pub(crate) fn add(
        &mut self,
        courses: &mut [PatientCourse],
        i: usize,
        entity: Entity,
        v: &[Value],
    ) -> Result<(), StoreError> {
        let parent = parent_of(entity, v);
        let same = self.group == Some(i) && self.parent == parent.unwrap_or_default();
        if !same {
            self.finish(courses, entity)?;
            let course = courses
                .get(i)
                .ok_or_else(|| StoreError::Refused("a row of no course".into()))?;
            self.parent_index = match (entity, parent) {
                (Entity::Lesion, Some(id)) => assessment_index(course, id)?,
                (_, Some(id)) => treatment_index(course, id)?,
                (_, None) => 0,
            };
            self.parent.clear();
            self.parent.push_str(parent.unwrap_or_default());
            self.group = Some(i);
        }
        match entity {
            Entity::Tumour => self.tumours.push(Tumour::from_row(v)?),
            Entity::Metastasis => self.metastases.push(Metastasis::from_row(v)?),
            Entity::Biomarker if is_marker_finding(v) => {
                self.marker_findings.push(MarkerFinding::from_row(v)?)
            }
            Entity::Biomarker => self.biomarkers.push(Biomarker::from_row(v)?),
            Entity::Treatment => self.treatments.push(Treatment::from_row(v)?),
            Entity::TreatmentAgent => self.agents.push(TreatmentAgent::from_row(v)?),
            Entity::RadionuclideAdministration => self
                .administrations
                .push(RadionuclideAdministration::from_row(v)?),
            Entity::Assessment => self.assessments.push(Assessment::from_row(v)?),
            Entity::Lesion => self.lesions.push(Lesion::from_row(v)?),
            Entity::ClinicalStatus => self.clinical_status.push(ClinicalStatus::from_row(v)?),
            Entity::AdverseEvent => self.adverse_events.push(AdverseEvent::from_row(v)?),
            Entity::Immunohistochemistry => self.immunostains.push(Immunostain::from_row(v)?),
            Entity::GeneticTest => self.genetic_tests.push(GeneticTest::from_row(v)?),
            Entity::QolResponse => self.qol_responses.push(QolResponse::from_row(v)?),
            Entity::Comorbidity => self.comorbidities.push(RecordedComorbidity::from_row(v)?),
            Entity::Study | Entity::Site | Entity::Patient => {}
        }
        Ok(())
    }

    /// Settles the gathered group of `entity` into its course (call at
    /// the end of each table).
    pub(crate) fn finish(
        &mut self,
        courses: &mut [PatientCourse],
        entity: Entity,
    ) -> Result<(), StoreError> {
        let Some(i) = self.group.take() else {
            return Ok(());
        };
        // The course and parent were found when the group started.
        let gone = || StoreError::Refused("a gathered group lost its course".into());
        let course = courses.get_mut(i).ok_or_else(gone)?;
        let p = self.parent_index;
        match entity {
            Entity::Tumour => settle(&mut course.tumours, &mut self.tumours),
            Entity::Metastasis => settle(&mut course.metastases, &mut self.metastases),
            Entity::Biomarker => {
                settle(&mut course.biomarkers, &mut self.biomarkers);
                settle(&mut course.marker_findings, &mut self.marker_findings);
            }
            Entity::Treatment => settle(&mut course.treatments, &mut self.treatments),
            Entity::TreatmentAgent => settle(
                &mut course.treatments.get_mut(p).ok_or_else(gone)?.agents,
                &mut self.agents,
            ),
            Entity::RadionuclideAdministration => settle(
                &mut course
                    .treatments
                    .get_mut(p)
                    .ok_or_else(gone)?
                    .administrations,
                &mut self.administrations,
            ),
            Entity::Assessment => settle(&mut course.assessments, &mut self.assessments),
            Entity::Lesion => settle(
                &mut course.assessments.get_mut(p).ok_or_else(gone)?.lesions,
                &mut self.lesions,
            ),
            Entity::ClinicalStatus => {
                settle(&mut course.clinical_status, &mut self.clinical_status)
            }
            Entity::AdverseEvent => settle(&mut course.adverse_events, &mut self.adverse_events),
            Entity::Immunohistochemistry => {
                settle(&mut course.immunostains, &mut self.immunostains)
            }
            Entity::GeneticTest => settle(&mut course.genetic_tests, &mut self.genetic_tests),
            Entity::QolResponse => settle(&mut course.qol_responses, &mut self.qol_responses),
            Entity::Comorbidity => settle(&mut course.comorbidities, &mut self.comorbidities),
            Entity::Study | Entity::Site | Entity::Patient => {}
        }
        Ok(())
    }
}
