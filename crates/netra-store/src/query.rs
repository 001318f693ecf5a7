//! Reading courses: one patient for `netra patient show` and the web page,
//! or every patient at once for analyses: on PostgreSQL here (one result
//! row per patient and table), on SQLite by ordered walks of each table
//! through `rusqlite` ([`crate::sqlite_scan::courses`]).

use std::collections::HashMap;

use futures_util::TryStreamExt;
use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::*;
use netra_clinical::registry::schema::{Entity, EntitySpec, Kind, Value};
use sqlx::{AnyPool, Row};

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
    pub(crate) fn admits(&self, p: &Patient) -> bool {
        self.sites.as_ref().is_none_or(|s| s.contains(&p.site))
            && self.patients.as_ref().is_none_or(|c| c.contains(&p.code))
    }
}

/// Adds one child row to its patient's course.
pub(crate) fn attach(
    course: &mut PatientCourse,
    entity: Entity,
    v: &[Value],
) -> Result<(), StoreError> {
    let text = |i: usize| v[i].as_str().unwrap_or_default();
    match entity {
        Entity::Tumour => course.tumours.push(Tumour::from_row(v)?),
        Entity::Metastasis => course.metastases.push(Metastasis::from_row(v)?),
        Entity::Biomarker if is_marker_finding(v) => {
            course.marker_findings.push(MarkerFinding::from_row(v)?)
        }
        Entity::Biomarker => course.biomarkers.push(Biomarker::from_row(v)?),
        Entity::Treatment => course.treatments.push(Treatment::from_row(v)?),
        Entity::TreatmentAgent => {
            let t = treatment_index(course, text(1))?;
            course.treatments[t]
                .agents
                .push(TreatmentAgent::from_row(v)?);
        }
        Entity::RadionuclideAdministration => {
            let t = treatment_index(course, text(1))?;
            course.treatments[t]
                .administrations
                .push(RadionuclideAdministration::from_row(v)?);
        }
        Entity::Assessment => course.assessments.push(Assessment::from_row(v)?),
        Entity::Lesion => {
            let a = assessment_index(course, text(1))?;
            course.assessments[a].lesions.push(Lesion::from_row(v)?);
        }
        Entity::ClinicalStatus => course.clinical_status.push(ClinicalStatus::from_row(v)?),
        Entity::AdverseEvent => course.adverse_events.push(AdverseEvent::from_row(v)?),
        Entity::Immunohistochemistry => course.immunostains.push(Immunostain::from_row(v)?),
        Entity::GeneticTest => course.genetic_tests.push(GeneticTest::from_row(v)?),
        Entity::QolResponse => course.qol_responses.push(QolResponse::from_row(v)?),
        Entity::Comorbidity => course.comorbidities.push(RecordedComorbidity::from_row(v)?),
        Entity::Study | Entity::Site | Entity::Patient => {}
    }
    Ok(())
}

/// A result in words without a number ("CEA normal") is a finding, not a
/// measurement: series and marker variables read numbers.
pub(crate) fn is_marker_finding(v: &[Value]) -> bool {
    let value = Entity::Biomarker.spec().position("value");
    matches!(value.and_then(|i| v.get(i)), Some(Value::Null))
}

/// The position of treatment `id` of an agent or administration.
/// Treatments arrive in key order, so their ids are sorted.
pub(crate) fn treatment_index(course: &PatientCourse, id: &str) -> Result<usize, StoreError> {
    course
        .treatments
        .binary_search_by(|t| t.id.as_str().cmp(id))
        .map_err(|_| StoreError::NotFound(format!("treatment {id} of an agent")))
}

/// The position of assessment `id` of a lesion (assessments, too, arrive
/// in key order).
pub(crate) fn assessment_index(course: &PatientCourse, id: &str) -> Result<usize, StoreError> {
    course
        .assessments
        .binary_search_by(|a| a.id.as_str().cmp(id))
        .map_err(|_| StoreError::NotFound(format!("assessment {id} of a lesion")))
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

/// Separators of the aggregated encoding (control characters, which no
/// stored text contains: the importer rejects them).
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';
const NULL: char = '\u{1d}';

/// One SQL expression that renders a whole row of `spec` as text: fields
/// joined by U+001F, NULL as U+001D, numbers in a form that parses back
/// exactly (`%!.17g` in SQLite, whose default real-to-text conversion keeps
/// only 15 digits; PostgreSQL's float8 output is already shortest-exact).
fn encoded_row(spec: &EntitySpec, backend: Backend) -> String {
    let (chr, real) = match backend {
        Backend::Sqlite => ("char", "printf('%!.17g', {c})"),
        Backend::Postgres => ("chr", "CAST({c} AS TEXT)"),
    };
    let parts: Vec<String> = spec
        .columns
        .iter()
        .map(|c| {
            let text = match c.kind {
                Kind::Real { .. } => real.replace("{c}", c.name),
                Kind::Integer { .. } | Kind::YesNo => format!("CAST({} AS TEXT)", c.name),
                _ => c.name.to_string(),
            };
            // (SQLite's printf() turns NULL into 0.0, so test for NULL first.)
            format!(
                "CASE WHEN {} IS NULL THEN {chr}(29) ELSE {text} END",
                c.name
            )
        })
        .collect();
    // One `concat` builds the text once; a chain of `||` copies the growing
    // text at every step.
    format!("concat({})", parts.join(&format!(", {chr}(31), ")))
}

/// `SELECT patient, <every row of the patient, encoded>` in patient order,
/// rows in key order: one result row per patient instead of one per record,
/// because per-row overhead of the driver, not SQL, dominates bulk loads.
fn aggregated_query(spec: &EntitySpec, backend: Backend) -> String {
    let order = sql::order_by_key(spec, backend);
    let order = order.trim_start_matches("ORDER BY ");
    match backend {
        Backend::Sqlite => format!(
            "SELECT patient, group_concat({}, char(30) ORDER BY {order}) FROM {} \
             GROUP BY patient ORDER BY patient",
            encoded_row(spec, backend),
            spec.table
        ),
        Backend::Postgres => format!(
            "SELECT patient, string_agg({}, chr(30) ORDER BY {order}) FROM {} \
             GROUP BY patient ORDER BY patient COLLATE \"C\"",
            encoded_row(spec, backend),
            spec.table
        ),
    }
}

/// Decodes the rows of one patient from the aggregated encoding.
fn decode_encoded(
    spec: &EntitySpec,
    text: &str,
    out: &mut Vec<Vec<Value>>,
) -> Result<(), StoreError> {
    out.clear();
    let bad = |column: &str, reason: String| {
        StoreError::Model(ModelError {
            table: spec.table,
            column: column.to_string(),
            reason,
        })
    };
    for record in text.split(RECORD) {
        let mut row = Vec::with_capacity(spec.columns.len());
        let mut fields = record.split(FIELD);
        for c in &spec.columns {
            let f = fields
                .next()
                .ok_or_else(|| bad(c.name, "missing field in the encoded row".into()))?;
            let v = if f.starts_with(NULL) && f.len() == NULL.len_utf8() {
                Value::Null
            } else {
                match &c.kind {
                    Kind::Id | Kind::Text | Kind::Code(_) => {
                        if f.is_empty() {
                            Value::Null
                        } else {
                            Value::Text(f.to_string())
                        }
                    }
                    Kind::Date => Value::Date(
                        f.parse::<PartialDate>()
                            .map_err(|e| bad(c.name, format!("stored date '{f}': {}", e.0)))?,
                    ),
                    Kind::Integer { .. } => Value::Int(
                        f.parse()
                            .map_err(|_| bad(c.name, format!("stored integer '{f}'")))?,
                    ),
                    Kind::YesNo => Value::Bool(f != "0"),
                    Kind::Real { .. } => Value::Real(
                        f.parse()
                            .map_err(|_| bad(c.name, format!("stored number '{f}'")))?,
                    ),
                }
            };
            row.push(v);
        }
        out.push(row);
    }
    Ok(())
}

/// Every admitted patient's course, in patient-code order, one result row
/// per patient and table: the PostgreSQL path, and on SQLite the
/// reference [`crate::sqlite_scan::courses`] is tested against.
pub(crate) async fn courses_by_patient(
    pool: &AnyPool,
    backend: Backend,
    filter: &CourseFilter,
) -> Result<Vec<PatientCourse>, StoreError> {
    let mut tx = pool.begin().await?;
    let mut out: Vec<PatientCourse> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let spec = Entity::Patient.spec();
    let q = format!(
        "SELECT {} FROM {} {}",
        sql::column_list(spec),
        spec.table,
        sql::order_by_key(spec, backend)
    );
    {
        let mut rows = sqlx::query(&q).fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            let p = Patient::from_row(&decode_row(spec, &r)?)?;
            if filter.admits(&p) {
                index.insert(p.code.clone(), out.len());
                out.push(PatientCourse::new(p));
            }
        }
    }
    let mut records: Vec<Vec<Value>> = Vec::new();
    for entity in Entity::ALL.into_iter().filter(|e| *e > Entity::Patient) {
        let spec = entity.spec();
        let q = aggregated_query(spec, backend);
        let mut rows = sqlx::query(&q).fetch(&mut *tx);
        while let Some(r) = rows.try_next().await? {
            let code: String = r.try_get(0)?;
            let Some(&i) = index.get(&code) else {
                continue;
            };
            let text: String = r.try_get(1)?;
            decode_encoded(spec, &text, &mut records)?;
            for v in &records {
                attach(&mut out[i], entity, v)?;
            }
        }
    }
    tx.commit().await?;
    Ok(out)
}
