//! Who may see and change which records, shared by the pages and the API.
//!
//! Every read of a patient goes through [`resolve_patient`] or
//! [`read_record`], every write through [`save`] or [`remove`], so the
//! rules live in one place:
//! * a patient of a site the user may not read does not exist for them
//!   (404, the same message as an unknown code);
//! * studies and sites are changed by administrators only;
//! * records of a patient are changed by administrators and by data
//!   managers of the patient's site; a data manager cannot move a patient
//!   to a site they do not manage;
//! * analysts read patients by pseudonym only, and neither records by key
//!   nor audit histories.
//!
//! Writes go through `Registry::save_records` / `delete_record_expecting`:
//! the importer's checks and messages, one transaction, an audit entry with
//! the user and the required reason. Every fact a permission or a "create,
//! not overwrite" decision rested on (the key is free, the record is still
//! the one checked, the patient is still at the site checked) goes with the
//! write as an expectation that the store checks again under its write
//! lock: simultaneous requests cannot turn a create into an overwrite or
//! write into another site's patient.

use std::collections::HashMap;
use std::sync::Arc;

use netra_clinical::registry::{Entity, Value};
use netra_store::{Actor, AuditEntry, AuditQuery, Expect, Expected, Otherwise};
use serde::Serialize;

use crate::accounts::User;
use crate::app::AppState;
use crate::cohort::Index;
use crate::error::{AppError, FieldProblem};

/// The entity of a table name (`treatment_agent`).
pub fn entity_of(table: &str) -> Result<Entity, AppError> {
    Entity::ALL
        .into_iter()
        .find(|e| e.spec().table == table)
        .ok_or_else(|| AppError::NotFound(format!("no kind of record called '{table}'")))
}

/// A readable name of an entity (singular).
pub fn entity_label(e: Entity) -> &'static str {
    match e {
        Entity::Study => "study",
        Entity::Site => "site",
        Entity::Patient => "patient",
        Entity::Tumour => "primary tumour",
        Entity::Metastasis => "metastatic site",
        Entity::Biomarker => "biomarker measurement",
        Entity::Treatment => "treatment",
        Entity::TreatmentAgent => "treatment agent",
        Entity::RadionuclideAdministration => "radionuclide administration",
        Entity::Assessment => "imaging assessment",
        Entity::Lesion => "lesion",
        Entity::ClinicalStatus => "clinical status",
        Entity::AdverseEvent => "adverse event",
        Entity::Immunohistochemistry => "immunohistochemistry stain",
        Entity::GeneticTest => "genetic test",
        Entity::QolResponse => "quality-of-life item response",
        Entity::Comorbidity => "comorbidity",
    }
}

/// May `user` download patient-level rows (the patient list as CSV, the
/// patients of an analysis)? Administrators, data managers and
/// investigators, each for the patients they see; not analysts: a file of
/// every patient's pseudonym with dates and ages is the linkable table
/// their pseudonymised view exists to avoid (they download aggregates).
pub fn may_export_patient_rows(user: &User) -> bool {
    !user.pseudonymised()
}

/// The current cohort index.
pub async fn index(state: &AppState) -> Result<Arc<Index>, AppError> {
    state.cohort.current(&state.registry, &state.pseudo).await
}

/// A patient id from a URL resolved to the patient's code, if the user may
/// see the patient: analysts give pseudonyms, everyone else codes.
pub async fn resolve_patient(state: &AppState, user: &User, id: &str) -> Result<String, AppError> {
    if user.pseudonymised() {
        let idx = index(state).await?;
        return idx
            .by_pseudonym(id)
            .map(|r| r.code.clone())
            .ok_or_else(|| AppError::no_patient(id));
    }
    let site = patient_site(state, id).await?;
    match site {
        Some(s) if user.can_read_site(&s) => Ok(id.to_string()),
        _ => Err(AppError::no_patient(id)),
    }
}

/// The site of a patient code, `None` for an unknown code.
pub async fn patient_site(state: &AppState, code: &str) -> Result<Option<String>, AppError> {
    let spec = Entity::Patient.spec();
    let row = state
        .registry
        .record(Entity::Patient, &[Value::Text(code.to_string())])
        .await?;
    let i = spec.position("site").expect("patient.site");
    Ok(row.and_then(|r| r[i].as_str().map(str::to_string)))
}

/// Key texts (absent optional parts empty) parsed into key values.
pub fn key_values(entity: Entity, texts: &[String]) -> Result<Vec<Value>, AppError> {
    let spec = entity.spec();
    if texts.len() != spec.key.len() {
        return Err(AppError::BadRequest(format!(
            "a {} is identified by {} ({} part(s)), {} given",
            entity_label(entity),
            spec.key.join(", "),
            spec.key.len(),
            texts.len()
        )));
    }
    spec.key
        .iter()
        .zip(texts)
        .map(|(k, t)| {
            let c = spec.column(k).expect("key column");
            let t = t.trim();
            if t.is_empty() {
                if c.required {
                    Err(AppError::BadRequest(format!("the key needs a {k}")))
                } else {
                    Ok(Value::Null)
                }
            } else {
                c.kind
                    .parse(t)
                    .map_err(|e| AppError::BadRequest(format!("{k}: {e}")))
            }
        })
        .collect()
}

/// The key texts of a stored row.
pub fn key_texts(entity: Entity, row: &[Value]) -> Vec<String> {
    let spec = entity.spec();
    spec.key_positions()
        .into_iter()
        .map(|i| row[i].to_text().unwrap_or_default())
        .collect()
}

/// The patient a row belongs to (`None` for studies and sites).
pub fn patient_of_row(entity: Entity, row: &[Value]) -> Option<String> {
    if entity < Entity::Patient {
        return None;
    }
    let i = entity.spec().position("patient").expect("patient column");
    row[i].as_str().map(str::to_string)
}

/// Checks that `user` may read records of `entity` belonging to patient
/// `code` (or studies/sites); unknown and invisible patients are both 404.
async fn check_read(
    state: &AppState,
    user: &User,
    entity: Entity,
    patient: Option<&str>,
) -> Result<(), AppError> {
    if user.pseudonymised() {
        return Err(AppError::Forbidden(
            "analysts read patients by pseudonym (/api/patients); records by key are not available to them"
                .into(),
        ));
    }
    if entity < Entity::Patient {
        return Ok(());
    }
    let Some(code) = patient else {
        return Err(AppError::BadRequest("the record names no patient".into()));
    };
    match patient_site(state, code).await? {
        Some(s) if user.can_read_site(&s) => Ok(()),
        _ => Err(AppError::no_patient(code)),
    }
}

/// Reads one record (values in schema order).
pub async fn read_record(
    state: &AppState,
    user: &User,
    entity: Entity,
    key: &[String],
) -> Result<Vec<Value>, AppError> {
    let kv = key_values(entity, key)?;
    let patient = patient_of_row_key(entity, key);
    check_read(state, user, entity, patient.as_deref()).await?;
    // A site the user may not see does not exist for them either (pages do
    // not even offer it in filters): the same answer as an unknown site.
    if entity == Entity::Site && !user.can_read_site(key.first().map_or("", |s| s.trim())) {
        return Err(AppError::NotFound(format!(
            "no such {}",
            entity_label(entity)
        )));
    }
    state
        .registry
        .record(entity, &kv)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no such {}", entity_label(entity))))
}

fn patient_of_row_key(entity: Entity, key: &[String]) -> Option<String> {
    // Every key below the patient starts with the patient code.
    (entity >= Entity::Patient)
        .then(|| key.first().cloned())
        .flatten()
}

/// Refuses, exactly as an unknown patient, a key whose patient `user` may
/// not see. Checked before the record is looked up: otherwise "no such
/// record" for a missing record and "no patient" for an existing one would
/// tell whether the patient (and the record) exists at another site.
async fn check_key_patient(
    state: &AppState,
    user: &User,
    entity: Entity,
    key: &[String],
) -> Result<(), AppError> {
    let Some(code) = patient_of_row_key(entity, key) else {
        return Ok(());
    };
    let code = code.trim();
    match patient_site(state, code).await? {
        Some(s) if user.can_read_site(&s) => Ok(()),
        _ => Err(AppError::no_patient(code)),
    }
}

fn read_only(user: &User) -> AppError {
    AppError::Forbidden(format!(
        "an {} reads the registry but does not change it",
        user.role.label()
    ))
}

/// Checks that `user` may write a record of `entity` whose new values are
/// `texts` (column → text) and whose stored row is `existing`. Returns the
/// facts the permission rested on beyond the record itself (the site of
/// the patient a record belongs to), for the store to check again inside
/// the write transaction: a patient moved to another site between this
/// check and the write must not receive the record.
async fn check_write(
    state: &AppState,
    user: &User,
    entity: Entity,
    texts: &HashMap<String, String>,
    existing: Option<&[Value]>,
) -> Result<Vec<Expect>, AppError> {
    if !user.can_edit() {
        return Err(read_only(user));
    }
    if entity < Entity::Patient {
        return if user.is_admin() {
            Ok(Vec::new())
        } else {
            Err(AppError::Forbidden(
                "studies and sites are managed by administrators".into(),
            ))
        };
    }
    let text = |c: &str| texts.get(c).map(|s| s.trim()).filter(|s| !s.is_empty());
    if entity == Entity::Patient {
        if let Some(old) = existing {
            let i = Entity::Patient.spec().position("site").expect("site");
            let old_site = old[i].as_str().unwrap_or_default();
            if !user.can_read_site(old_site) {
                return Err(AppError::no_patient(text("patient").unwrap_or_default()));
            }
            if !user.can_edit_site(old_site) {
                return Err(AppError::Forbidden(format!(
                    "you may not change patients of site {old_site}"
                )));
            }
        }
        return match text("site") {
            Some(s) if !user.can_edit_site(s) => Err(AppError::Forbidden(format!(
                "you may not enter patients for site {s}"
            ))),
            _ => Ok(Vec::new()),
        };
    }
    let Some(code) = text("patient") else {
        return Err(AppError::Invalid(vec![FieldProblem {
            field: Some("patient".into()),
            message: "a record belongs to a patient: give the patient code".into(),
            value: None,
        }]));
    };
    match patient_site(state, code).await? {
        Some(s) if !user.can_read_site(&s) => Err(AppError::no_patient(code)),
        None => Err(AppError::no_patient(code)),
        Some(s) if !user.can_edit_site(&s) => Err(AppError::Forbidden(format!(
            "you may not change records of patients of site {s}"
        ))),
        Some(s) => Ok(vec![Expect {
            entity: Entity::Patient,
            key: vec![Value::Text(code.to_string())],
            state: Expected::Columns(vec![("site".into(), Value::Text(s))]),
            otherwise: Otherwise::NotFound(AppError::no_patient(code).message()),
        }]),
    }
}

/// The expectation of an update or delete: the record is still the one
/// that was read and checked.
fn unchanged(entity: Entity, key: Vec<Value>, row: Vec<Value>) -> Expect {
    Expect {
        entity,
        key,
        state: Expected::Row(row),
        otherwise: Otherwise::Refused(format!(
            "the {} was changed or deleted by someone else meanwhile: reload it and try again",
            entity_label(entity)
        )),
    }
}

/// Whether a save creates or updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// A new record; refused if the key exists.
    Create,
    /// The stored record with this key; key columns cannot change.
    Update(Vec<String>),
}

/// Saves one record from column texts, with the importer's checks, as
/// `user` with `reason`. Returns the record's key texts.
pub async fn save(
    state: &AppState,
    user: &User,
    entity: Entity,
    texts: HashMap<String, String>,
    reason: &str,
    mode: Mode,
) -> Result<Vec<String>, AppError> {
    Ok(save_noting(state, user, entity, texts, reason, mode)
        .await?
        .0)
}

/// [`save`], also returning what the importer flagged without refusing
/// (an adverse-event term not in netra's CTCAE v5.0 table), as reasons.
pub async fn save_noting(
    state: &AppState,
    user: &User,
    entity: Entity,
    mut texts: HashMap<String, String>,
    reason: &str,
    mode: Mode,
) -> Result<(Vec<String>, Vec<String>), AppError> {
    let spec = entity.spec();
    if let Some(unknown) = texts.keys().find(|k| spec.column(k).is_none()) {
        return Err(AppError::BadRequest(format!(
            "a {} has no field '{unknown}' (fields: {})",
            entity_label(entity),
            spec.columns
                .iter()
                .map(|c| c.name)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let reason = reason.trim();
    if !user.can_edit() {
        return Err(read_only(user));
    }
    let existing = match &mode {
        Mode::Update(key) => {
            // The key of an edited record is the stored one, whatever was
            // submitted for the key columns.
            for (k, v) in spec.key.iter().zip(key) {
                texts.insert(k.to_string(), v.clone());
            }
            let kv = key_values(entity, key)?;
            check_key_patient(state, user, entity, key).await?;
            let Some(row) = state.registry.record(entity, &kv).await? else {
                return Err(AppError::NotFound(format!(
                    "no such {} (it may have been deleted)",
                    entity_label(entity)
                )));
            };
            Some((kv, row))
        }
        Mode::Create => None,
    };
    let mut expects = check_write(
        state,
        user,
        entity,
        &texts,
        existing.as_ref().map(|(_, r)| r.as_slice()),
    )
    .await?;
    let missing_reason = reason.is_empty().then(|| FieldProblem {
        field: Some("reason".into()),
        message: "give the reason for this change (it is kept in the audit trail)".into(),
        value: None,
    });
    let key: Vec<String> = spec
        .key
        .iter()
        .map(|k| {
            texts
                .get(*k)
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        })
        .collect();
    match existing {
        // Checked inside the write transaction: of simultaneous creates of
        // one record exactly one is written, the others are refused (a key
        // the importer cannot parse is reported by the importer).
        None => {
            if let Ok(kv) = key_values(entity, &key) {
                expects.push(Expect {
                    entity,
                    key: kv,
                    state: Expected::Absent,
                    otherwise: Otherwise::Refused(exists_already(entity, &key)),
                });
            }
        }
        Some((kv, row)) => expects.push(unchanged(entity, kv, row)),
    }
    // Cells go to the importer as text: it parses and checks them and
    // words every problem as it does for a bundle.
    let row: Vec<Value> = spec
        .columns
        .iter()
        .map(|c| match texts.get(c.name).map(|s| s.trim()) {
            Some(t) if !t.is_empty() => Value::Text(t.to_string()),
            _ => Value::Null,
        })
        .collect();
    let actor = Actor {
        user: user.username.clone(),
        reason: Some(reason.to_string()),
    };
    if let Some(missing) = missing_reason {
        // Nothing is written without a reason, but the record is checked
        // all the same: the form shows every problem of the submission at
        // once, not the reason first and the values on the next attempt.
        let mut problems = match state
            .registry
            .check_records(entity, &[row], &expects, &actor)
            .await
        {
            Ok(_) => Vec::new(),
            Err(e) => match AppError::from(e) {
                AppError::Invalid(p) => p,
                other => return Err(other),
            },
        };
        problems.push(missing);
        return Err(AppError::Invalid(problems));
    }
    let report = state
        .registry
        .save_records(entity, &[row], &expects, &actor)
        .await?;
    Ok((key, report.flags.into_iter().map(|p| p.reason).collect()))
}

/// New child records saved with their parent (a treatment's agents, an
/// assessment's lesions): the child entity, and per row the prefix of its
/// form fields (`ag2_`) with its column texts. The parent's key columns
/// are filled in from the parent.
#[derive(Debug, Clone)]
pub struct Children {
    /// The child entity.
    pub entity: Entity,
    /// (field prefix, column texts) per row, in form order.
    pub rows: Vec<(String, HashMap<String, String>)>,
}

/// Creates a parent record and its children in one transaction, all or
/// nothing, with the importer's checks, as `user` with `reason`. `extra`
/// are problems the form found itself (a lesion choice, a missing reason):
/// with any of them nothing is written, but the rows are checked all the
/// same so that every problem is reported at once. A child row's problem
/// names the field `<prefix><column>` (`ag2_dose`), or the row `<prefix>`
/// without a column. Returns the parent's key texts and the importer's
/// flags.
pub async fn save_with_children(
    state: &AppState,
    user: &User,
    parent: Entity,
    mut texts: HashMap<String, String>,
    children: Children,
    reason: &str,
    mut extra: Vec<FieldProblem>,
) -> Result<(Vec<String>, Vec<String>), AppError> {
    let spec = parent.spec();
    let cspec = children.entity.spec();
    if let Some(unknown) = texts.keys().find(|k| spec.column(k).is_none()) {
        return Err(AppError::BadRequest(format!(
            "a {} has no field '{unknown}'",
            entity_label(parent)
        )));
    }
    for t in texts.values_mut() {
        *t = t.trim().to_string();
    }
    let mut expects = check_write(state, user, parent, &texts, None).await?;
    let key: Vec<String> = spec
        .key
        .iter()
        .map(|k| texts.get(*k).cloned().unwrap_or_default())
        .collect();
    if let Ok(kv) = key_values(parent, &key) {
        expects.push(Expect {
            entity: parent,
            key: kv,
            state: Expected::Absent,
            otherwise: Otherwise::Refused(exists_already(parent, &key)),
        });
    }
    let row_of = |espec: &netra_clinical::registry::schema::EntitySpec,
                  t: &HashMap<String, String>| {
        espec
            .columns
            .iter()
            .map(|c| match t.get(c.name).map(|s| s.trim()) {
                Some(v) if !v.is_empty() => Value::Text(v.to_string()),
                _ => Value::Null,
            })
            .collect::<Vec<Value>>()
    };
    let parent_row = row_of(spec, &texts);
    let mut child_rows = Vec::new();
    for (_, t) in &children.rows {
        let mut t = t.clone();
        // The child's columns that name its parent come from the parent.
        for c in spec.key.iter() {
            if cspec.column(c).is_some() {
                t.insert(c.to_string(), texts.get(*c).cloned().unwrap_or_default());
            }
        }
        if let Some(unknown) = t.keys().find(|k| cspec.column(k).is_none()) {
            return Err(AppError::BadRequest(format!(
                "a {} has no field '{unknown}'",
                entity_label(children.entity)
            )));
        }
        child_rows.push(row_of(cspec, &t));
    }
    let reason = reason.trim();
    if reason.is_empty() {
        extra.push(FieldProblem {
            field: Some("reason".into()),
            message: "give the reason for this change (it is kept in the audit trail)".into(),
            value: None,
        });
    }
    let actor = Actor {
        user: user.username.clone(),
        reason: Some(reason.to_string()),
    };
    let sets = vec![(parent, vec![parent_row]), (children.entity, child_rows)];
    let outcome = if extra.is_empty() {
        state
            .registry
            .save_record_sets(&sets, &expects, &actor)
            .await
    } else {
        state
            .registry
            .check_record_sets(&sets, &expects, &actor)
            .await
    };
    let in_rows = |problems: netra_store::Problems| -> Vec<FieldProblem> {
        problems
            .list
            .into_iter()
            .map(|p| {
                let child_row = (p.file == cspec.file)
                    .then(|| p.line.and_then(|l| l.checked_sub(2)))
                    .flatten()
                    .and_then(|i| children.rows.get(i as usize));
                match child_row {
                    Some((prefix, _)) => FieldProblem {
                        field: Some(match &p.column {
                            Some(c) => format!("{prefix}{c}"),
                            None => prefix.trim_end_matches('_').to_string(),
                        }),
                        message: p.reason,
                        value: p.value,
                    },
                    None => FieldProblem {
                        field: p.column,
                        message: p.reason,
                        value: p.value,
                    },
                }
            })
            .collect()
    };
    match outcome {
        Ok(report) if extra.is_empty() => {
            Ok((key, report.flags.into_iter().map(|p| p.reason).collect()))
        }
        Ok(_) => Err(AppError::Invalid(extra)),
        Err(netra_store::StoreError::Invalid(problems)) => {
            let mut all = in_rows(problems);
            all.extend(extra);
            Err(AppError::Invalid(all))
        }
        Err(e) => Err(e.into()),
    }
}

/// The refusal of a create whose key is taken.
fn exists_already(entity: Entity, key: &[String]) -> String {
    let spec = entity.spec();
    format!(
        "a {} with this identification exists already ({}): edit it instead",
        entity_label(entity),
        spec.key
            .iter()
            .zip(key)
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Deletes one record as `user` with `reason`.
pub async fn remove(
    state: &AppState,
    user: &User,
    entity: Entity,
    key: &[String],
    reason: &str,
) -> Result<(), AppError> {
    if !user.can_edit() {
        return Err(read_only(user));
    }
    let kv = key_values(entity, key)?;
    check_key_patient(state, user, entity, key).await?;
    let Some(existing) = state.registry.record(entity, &kv).await? else {
        return Err(AppError::NotFound(format!(
            "no such {}",
            entity_label(entity)
        )));
    };
    let spec = entity.spec();
    let texts: HashMap<String, String> = spec
        .columns
        .iter()
        .zip(&existing)
        .filter_map(|(c, v)| v.to_text().map(|t| (c.name.to_string(), t)))
        .collect();
    let mut expects = check_write(state, user, entity, &texts, Some(&existing)).await?;
    expects.push(unchanged(entity, kv.clone(), existing));
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::Invalid(vec![FieldProblem {
            field: Some("reason".into()),
            message: "give the reason for deleting this record".into(),
            value: None,
        }]));
    }
    let actor = Actor {
        user: user.username.clone(),
        reason: Some(reason.to_string()),
    };
    state
        .registry
        .delete_record_expecting(entity, &kv, &expects, &actor)
        .await?;
    Ok(())
}

/// One audit entry as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    /// Position in the chain.
    pub seq: i64,
    /// UTC time.
    pub at: String,
    /// Who.
    pub user: String,
    /// Why.
    pub reason: Option<String>,
    /// insert, update or delete.
    pub action: String,
    /// Old values (changed columns; the whole row for a delete).
    pub old_values: Option<serde_json::Value>,
    /// New values (changed columns; the whole row for an insert).
    pub new_values: Option<serde_json::Value>,
}

impl From<AuditEntry> for HistoryEntry {
    fn from(e: AuditEntry) -> HistoryEntry {
        let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
        HistoryEntry {
            seq: e.seq,
            at: e.at,
            user: e.actor,
            reason: e.reason,
            action: e.action,
            old_values: json(e.old_values),
            new_values: json(e.new_values),
        }
    }
}

/// The audit history of one record (also of a deleted one).
pub async fn history(
    state: &AppState,
    user: &User,
    entity: Entity,
    key: &[String],
) -> Result<Vec<HistoryEntry>, AppError> {
    if user.pseudonymised() {
        return Err(AppError::Forbidden(
            "the audit history holds identifying values: not available to analysts".into(),
        ));
    }
    key_values(entity, key)?;
    if entity < Entity::Patient {
        if !user.is_admin() {
            return Err(AppError::Forbidden(
                "the history of studies and sites is for administrators".into(),
            ));
        }
    } else {
        let code = key.first().cloned().unwrap_or_default();
        match patient_site(state, &code).await? {
            Some(s) if user.can_read_audit(&s) => {}
            // A deleted patient's history: administrators only.
            None if user.is_admin() => {}
            _ => return Err(AppError::no_patient(&code)),
        }
    }
    let since = if entity >= Entity::Patient && !user.is_admin() {
        current_patient_since(state, key.first().map_or("", |s| s.as_str())).await?
    } else {
        None
    };
    let record_key = serde_json::to_string(key).unwrap_or_default();
    let entries = state
        .registry
        .audit_log(&AuditQuery {
            table: Some(entity.spec().table.to_string()),
            record_key: Some(record_key),
            ..AuditQuery::default()
        })
        .await?;
    Ok(entries
        .into_iter()
        .filter(|e| since.is_none_or(|s| e.seq >= s))
        .map(HistoryEntry::from)
        .collect())
}

/// The audit sequence number at which the current patient `code` was
/// created (its latest insert). Codes are unique only among existing
/// patients: a deleted patient's code may be taken again, at another site,
/// and the trail before that belongs to the earlier patient, which users of
/// the new patient's site must not read (administrators see it all).
async fn current_patient_since(state: &AppState, code: &str) -> Result<Option<i64>, AppError> {
    let record_key = serde_json::to_string(&[code]).unwrap_or_default();
    let entries = state
        .registry
        .audit_log(&AuditQuery {
            table: Some(Entity::Patient.spec().table.to_string()),
            record_key: Some(record_key),
            ..AuditQuery::default()
        })
        .await?;
    Ok(entries
        .iter()
        .filter(|e| e.action == "insert")
        .map(|e| e.seq)
        .max())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_by_table_and_keys() {
        assert_eq!(
            entity_of("treatment_agent").unwrap(),
            Entity::TreatmentAgent
        );
        assert!(entity_of("audit_log").is_err());
        let k = key_values(
            Entity::TreatmentAgent,
            &["18".into(), "T1".into(), "everolimus".into(), "".into()],
        )
        .unwrap();
        assert_eq!(k[3], Value::Null);
        assert!(key_values(Entity::TreatmentAgent, &["18".into()]).is_err());
        assert!(key_values(Entity::ClinicalStatus, &["18".into(), "2004-13".into()]).is_err());
        let k = key_values(Entity::ClinicalStatus, &["18".into(), "2004-03".into()]).unwrap();
        assert_eq!(
            key_texts(Entity::ClinicalStatus, &{
                let mut r = vec![Value::Null; Entity::ClinicalStatus.spec().columns.len()];
                r[0] = k[0].clone();
                r[1] = k[1].clone();
                r
            }),
            vec!["18".to_string(), "2004-03".into()]
        );
    }
}
