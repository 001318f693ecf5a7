//! Reading courses: one patient for `netra patient show` and the web page,
//! or every patient at once for analyses (one ordered scan per table, so a
//! 10⁵-patient registry loads in a few seconds).

use std::collections::HashMap;

use futures_util::TryStreamExt;
use netra_clinical::registry::model::*;
use netra_clinical::registry::schema::{Entity, Value};
use sqlx::AnyPool;

use crate::StoreError;
use crate::db::Backend;
use crate::rows::decode_row;
use crate::sql;

/// Which patients to load.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseFilter {
    /// Only patients of these sites (`None`: all). The web application
    /// passes the sites a user may see.
    pub sites: Option<Vec<String>>,
    /// Only these patient codes (`None`: all).
    pub patients: Option<Vec<String>>,
}

impl CourseFilter {
    fn admits(&self, p: &Patient) -> bool {
        self.sites.as_ref().is_none_or(|s| s.contains(&p.site))
            && self.patients.as_ref().is_none_or(|c| c.contains(&p.code))
    }
}

/// Adds one child row to its patient's course.
fn attach(course: &mut PatientCourse, entity: Entity, v: &[Value]) -> Result<(), StoreError> {
    let text = |i: usize| v[i].as_str().unwrap_or_default();
    match entity {
        Entity::Tumour => course.tumours.push(Tumour::from_row(v)?),
        Entity::Metastasis => course.metastases.push(Metastasis::from_row(v)?),
        Entity::Biomarker => course.biomarkers.push(Biomarker::from_row(v)?),
        Entity::Treatment => course.treatments.push(Treatment::from_row(v)?),
        Entity::TreatmentAgent => {
            let t = treatment_mut(course, text(1))?;
            t.agents.push(TreatmentAgent::from_row(v)?);
        }
        Entity::RadionuclideAdministration => {
            let t = treatment_mut(course, text(1))?;
            t.administrations.push(RadionuclideAdministration::from_row(v)?);
        }
        Entity::Assessment => course.assessments.push(Assessment::from_row(v)?),
        Entity::Lesion => {
            let id = text(1);
            let a = course
                .assessments
                .binary_search_by(|a| a.id.as_str().cmp(id))
                .map_err(|_| StoreError::NotFound(format!("assessment {id} of a lesion")))?;
            course.assessments[a].lesions.push(Lesion::from_row(v)?);
        }
        Entity::ClinicalStatus => course.clinical_status.push(ClinicalStatus::from_row(v)?),
        Entity::AdverseEvent => course.adverse_events.push(AdverseEvent::from_row(v)?),
        Entity::Study | Entity::Site | Entity::Patient => {}
    }
    Ok(())
}

/// Treatments arrive in key order, so their ids are sorted.
fn treatment_mut<'a>(
    course: &'a mut PatientCourse,
    id: &str,
) -> Result<&'a mut Treatment, StoreError> {
    let i = course
        .treatments
        .binary_search_by(|t| t.id.as_str().cmp(id))
        .map_err(|_| StoreError::NotFound(format!("treatment {id} of an agent")))?;
    Ok(&mut course.treatments[i])
}

/// One patient's course.
pub(crate) async fn patient_course(
    pool: &AnyPool,
    backend: Backend,
    code: &str,
) -> Result<Option<PatientCourse>, StoreError> {
    let mut tx = pool.begin().await?;
    let spec = Entity::Patient.spec();
    let q = format!(
        "SELECT {} FROM {} WHERE patient = $1",
        sql::column_list(spec),
        spec.table
    );
    let Some(row) = sqlx::query(&q).bind(code).fetch_optional(&mut *tx).await? else {
        return Ok(None);
    };
    let mut course = PatientCourse::new(Patient::from_row(&decode_row(spec, &row)?)?);
    for entity in Entity::ALL.into_iter().filter(|e| *e > Entity::Patient) {
        let spec = entity.spec();
        let q = format!(
            "SELECT {} FROM {} WHERE patient = $1 {}",
            sql::column_list(spec),
            spec.table,
            sql::order_by_key(spec, backend)
        );
        let rows = sqlx::query(&q).bind(code).fetch_all(&mut *tx).await?;
        for r in rows {
            attach(&mut course, entity, &decode_row(spec, &r)?)?;
        }
    }
    tx.commit().await?;
    Ok(Some(course))
}

/// Every admitted patient's course, in patient-code order.
pub(crate) async fn courses(
    pool: &AnyPool,
    backend: Backend,
    filter: &CourseFilter,
) -> Result<Vec<PatientCourse>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut out: Vec<PatientCourse> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for entity in Entity::ALL.into_iter().filter(|e| *e >= Entity::Patient) {
        let spec = entity.spec();
        let q = format!(
            "SELECT {} FROM {} {}",
            sql::column_list(spec),
            spec.table,
            sql::order_by_key(spec, backend)
        );
        let mut rows = sqlx::query(&q).fetch(&mut *tx);
        // Rows come patient by patient: remember the last lookup.
        let mut last: Option<(String, Option<usize>)> = None;
        while let Some(r) = rows.try_next().await? {
            let v = decode_row(spec, &r)?;
            if entity == Entity::Patient {
                let p = Patient::from_row(&v)?;
                if filter.admits(&p) {
                    index.insert(p.code.clone(), out.len());
                    out.push(PatientCourse::new(p));
                }
                continue;
            }
            let code = v[0].as_str().unwrap_or_default();
            let at = match &last {
                Some((c, at)) if c == code => *at,
                _ => {
                    let at = index.get(code).copied();
                    last = Some((code.to_string(), at));
                    at
                }
            };
            if let Some(i) = at {
                attach(&mut out[i], entity, &v)?;
            }
        }
    }
    tx.commit().await?;
    Ok(out)
}
