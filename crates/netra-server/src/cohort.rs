//! The cohort index: one row per patient with what the patient list filters
//! and shows, and the patient's course for analyses, kept per registry
//! revision.
//!
//! Loading every course of a 10⁵-patient registry takes seconds
//! (`Registry::courses`), far too slow per request. The index is loaded once
//! at start; afterwards each request compares the registry's revision (the
//! last audit sequence number, one indexed query) with the index's, and on
//! a change reloads only the patients named by the new audit entries
//! (`Registry::patient_course`, a few milliseconds each). Every registry
//! change writes its audit entries in the same transaction, so the audit
//! trail is an exact change feed. Large changes (an import) reload
//! everything.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{PrimarySite, Sex, VitalStatus, WhoGrade};
use netra_store::{AuditQuery, CourseFilter, Registry};

use netra_analysis::PatientFacts;
use netra_clinical::registry::date::completed_years;

use crate::analysis::facts;
use crate::error::AppError;
use crate::pseudo::{Arms, Pseudonymiser};

/// One patient in the index.
#[derive(Debug, Clone)]
pub struct PatientRow {
    /// Patient code.
    pub code: String,
    /// The code in lower case (what the list's search compares).
    pub code_lower: String,
    /// The analysts' pseudonym.
    pub pseudonym: String,
    /// Site code.
    pub site: String,
    /// Sex.
    pub sex: Sex,
    /// Year of birth.
    pub birth_year: Option<i32>,
    /// The age the patient list shows: at first diagnosis (completed years
    /// from the birth date), else the recorded age at entry. Display only:
    /// analyses and their filters use the dictionary's two named variables
    /// (`age_at_diagnosis`, `age_at_entry`).
    pub age: Option<i64>,
    /// Primary site of the first tumour.
    pub primary_site: Option<PrimarySite>,
    /// WHO 2019 grade of the first tumour (recorded or derived).
    pub grade: Option<WhoGrade>,
    /// Vital status.
    pub vital_status: VitalStatus,
    /// First diagnosis.
    pub diagnosis_date: Option<PartialDate>,
    /// Last follow-up (or death).
    pub last_date: Option<PartialDate>,
    /// Number of treatments.
    pub treatments: usize,
    /// Number of assessments.
    pub assessments: usize,
    /// Excluded from the study's analyses.
    pub excluded: bool,
    /// Study arm label.
    pub arm: Option<String>,
    /// The analysis layer's facts (endpoints, variables, line responses).
    pub facts: Arc<PatientFacts>,
}

impl PatientRow {
    /// The row of a course.
    pub fn of(course: &PatientCourse, pseudo: &Pseudonymiser) -> PatientRow {
        let p = &course.patient;
        let t = course.tumours.first();
        let age = age_of(course);
        PatientRow {
            code: p.code.clone(),
            code_lower: p.code.to_lowercase(),
            pseudonym: pseudo.pseudonym(&p.code),
            site: p.site.clone(),
            sex: p.sex,
            birth_year: p.birth_date.map(|d| d.year),
            age,
            primary_site: t.map(|t| t.primary_site),
            grade: t.and_then(|t| t.grade()),
            vital_status: p.vital_status,
            diagnosis_date: p.diagnosis_date,
            last_date: p.death_date.or(p.last_followup_date),
            treatments: course.treatments.len(),
            assessments: course.assessments.len(),
            excluded: p.excluded.unwrap_or(false),
            arm: p.arm.clone(),
            facts: Arc::new(facts(course)),
        }
    }
}

/// The list's age: at first diagnosis, else the recorded age at entry.
pub fn age_of(course: &PatientCourse) -> Option<i64> {
    let p = &course.patient;
    match (p.birth_date, p.diagnosis_date) {
        (Some(b), Some(d)) => completed_years(b, d),
        _ => None,
    }
    .or(p.age_at_entry)
}

/// The index at one revision. Rows are in patient-code order (the store's
/// byte order on both databases).
#[derive(Debug, Default)]
pub struct Index {
    /// The registry revision the rows reflect.
    pub revision: i64,
    /// The patients.
    pub rows: Vec<Arc<PatientRow>>,
    /// The registry's study arms (analysts see `arm N`).
    pub arms: Arms,
    by_pseudonym: HashMap<String, usize>,
    /// Positions of `rows` in natural code order (`2` before `10`), made
    /// at the first patient list of this revision (a save makes a new
    /// index: sorting there would slow every save).
    natural: std::sync::OnceLock<Vec<u32>>,
}

impl Index {
    fn new(revision: i64, rows: Vec<Arc<PatientRow>>) -> Index {
        let by_pseudonym = rows
            .iter()
            .enumerate()
            .map(|(i, r)| (r.pseudonym.clone(), i))
            .collect();
        let arms = Arms::of(rows.iter().filter_map(|r| r.arm.as_deref()));
        Index {
            revision,
            rows,
            arms,
            by_pseudonym,
            natural: std::sync::OnceLock::new(),
        }
    }

    /// The rows in natural order of their codes ([`crate::natural`]).
    pub fn natural_order(&self) -> impl Iterator<Item = &Arc<PatientRow>> + '_ {
        let order = self.natural.get_or_init(|| {
            let mut v: Vec<u32> = (0..self.rows.len() as u32).collect();
            v.sort_by(|&a, &b| {
                crate::natural::cmp(&self.rows[a as usize].code, &self.rows[b as usize].code)
            });
            v
        });
        order.iter().map(|&i| &self.rows[i as usize])
    }

    /// The row of a patient code.
    pub fn by_code(&self, code: &str) -> Option<&Arc<PatientRow>> {
        self.rows
            .binary_search_by(|r| r.code.as_str().cmp(code))
            .ok()
            .map(|i| &self.rows[i])
    }

    /// The row of a pseudonym.
    pub fn by_pseudonym(&self, pseudonym: &str) -> Option<&Arc<PatientRow>> {
        self.by_pseudonym.get(pseudonym).map(|&i| &self.rows[i])
    }
}

/// Changes above this many audit entries reload the whole index.
const INCREMENTAL_LIMIT: i64 = 2_000;

/// The shared, refreshed index.
#[derive(Debug)]
pub struct Cohort {
    current: RwLock<Arc<Index>>,
    refresh: tokio::sync::Mutex<()>,
}

impl Cohort {
    /// Loads the whole index.
    pub async fn load(registry: &Registry, pseudo: &Pseudonymiser) -> Result<Cohort, AppError> {
        let index = full(registry, pseudo).await?;
        Ok(Cohort {
            current: RwLock::new(Arc::new(index)),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    fn snapshot(&self) -> Arc<Index> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The index at the registry's current revision (refreshed if needed).
    pub async fn current(
        &self,
        registry: &Registry,
        pseudo: &Pseudonymiser,
    ) -> Result<Arc<Index>, AppError> {
        let revision = registry.revision().await?;
        let idx = self.snapshot();
        if idx.revision >= revision {
            return Ok(idx);
        }
        let _one_refresher = self.refresh.lock().await;
        let idx = self.snapshot();
        if idx.revision >= revision {
            return Ok(idx);
        }
        let next = if revision - idx.revision > INCREMENTAL_LIMIT {
            full(registry, pseudo).await?
        } else {
            incremental(registry, pseudo, &idx).await?
        };
        let next = Arc::new(next);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = next.clone();
        Ok(next)
    }
}

async fn full(registry: &Registry, pseudo: &Pseudonymiser) -> Result<Index, AppError> {
    // The revision is read first: a change made while loading is reloaded
    // by the next refresh.
    let revision = registry.revision().await?;
    let courses = registry.courses(&CourseFilter::default()).await?;
    // Deriving lines and endpoints is CPU work: split it over the cores,
    // off the async runtime's threads.
    let pseudo = pseudo.clone();
    let rows = tokio::task::spawn_blocking(move || derive_rows(&courses, &pseudo))
        .await
        .map_err(|e| AppError::Internal(format!("index task: {e}")))??;
    Ok(Index::new(revision, rows))
}

fn derive_rows(
    courses: &[PatientCourse],
    pseudo: &Pseudonymiser,
) -> Result<Vec<Arc<PatientRow>>, AppError> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 16);
    let chunk = courses.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = courses
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|c| Arc::new(PatientRow::of(c, pseudo)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut rows = Vec::with_capacity(courses.len());
        for h in parts {
            rows.extend(h.join().map_err(|_| {
                AppError::Internal("deriving a patient's endpoints failed (a bug)".into())
            })?);
        }
        Ok(rows)
    })
}

/// The patient a record key belongs to: the first key part of every table
/// below the patient, the key of a patient; none for studies and sites.
fn patient_of(table: &str, record_key: &str) -> Option<String> {
    if matches!(table, "study" | "site") {
        return None;
    }
    let parts: Vec<String> = serde_json::from_str(record_key).ok()?;
    parts.into_iter().next()
}

async fn incremental(
    registry: &Registry,
    pseudo: &Pseudonymiser,
    idx: &Index,
) -> Result<Index, AppError> {
    let entries = registry
        .audit_log(&AuditQuery {
            after_seq: Some(idx.revision),
            ..AuditQuery::default()
        })
        .await?;
    let revision = entries.last().map_or(idx.revision, |e| e.seq);
    let touched: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| patient_of(&e.table_name, &e.record_key))
        .collect();
    let mut rows = idx.rows.clone();
    for code in touched {
        let pos = rows.binary_search_by(|r| r.code.as_str().cmp(&code));
        match (registry.patient_course(&code).await?, pos) {
            (Some(c), Ok(i)) => rows[i] = Arc::new(PatientRow::of(&c, pseudo)),
            (Some(c), Err(i)) => rows.insert(i, Arc::new(PatientRow::of(&c, pseudo))),
            (None, Ok(i)) => {
                rows.remove(i);
            }
            (None, Err(_)) => {}
        }
    }
    Ok(Index::new(revision, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_keys_name_their_patient() {
        assert_eq!(patient_of("patient", r#"["18"]"#).as_deref(), Some("18"));
        assert_eq!(
            patient_of("lesion", r#"["18","A1","L1"]"#).as_deref(),
            Some("18")
        );
        assert_eq!(patient_of("site", r#"["s1"]"#), None);
        assert_eq!(patient_of("treatment", "not json"), None);
    }
}
