//! Checking a bundle: cells, rows, and everything that spans rows and files
//! (duplicate keys, dangling references, records outside the patient's life,
//! administrations of non-radionuclide treatments, a lesion changing organ).
//!
//! The checks see the bundle *and* what the registry already holds
//! ([`Stored`]), so a bundle may add biomarkers to patients imported last
//! year. Every problem is collected (up to the cap) before anything is
//! written.

use std::collections::HashMap;

use netra_clinical::registry::ctcae::{self, Ctcae};
use netra_clinical::registry::rules::{self, LifeSpan};
use netra_clinical::registry::schema::{Entity, EntitySpec, Value};
use netra_clinical::registry::{Day, PartialDate};
use sha2::{Digest as _, Sha256};

use crate::bundle::Bundle;
use crate::error::Problems;

/// A 128-bit digest of a row's canonical text: enough to tell an unchanged
/// row from a changed one without keeping stored rows in memory.
pub(crate) type Digest = [u8; 16];

/// Separator of key parts (a control character, which identifiers cannot
/// contain).
pub(crate) const SEP: char = '\u{1f}';

/// The natural key of a row as one string (absent optional parts are empty).
pub(crate) fn key_of(spec: &EntitySpec, values: &[Value]) -> String {
    let mut k = String::new();
    for (i, name) in spec.key.iter().enumerate() {
        if i > 0 {
            k.push(SEP);
        }
        let pos = spec.position(name).expect("key column");
        crate::rows::push_text(&mut k, &values[pos]);
    }
    k
}

/// The key's parts.
pub(crate) fn key_parts(key: &str) -> Vec<&str> {
    key.split(SEP).collect()
}

/// `patient '18', treatment 'T1'` (absent optional parts omitted).
pub(crate) fn describe_key(spec: &EntitySpec, key: &str) -> String {
    spec.key
        .iter()
        .zip(key_parts(key))
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k} '{v}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A record named in a message: `patient 'P9'` for a one-column key,
/// `treatment (patient 'P1', treatment 'T9')` otherwise.
pub(crate) fn describe_record(entity: Entity, key: &str) -> String {
    let spec = entity.spec();
    if spec.key.len() == 1 {
        format!("{} '{key}'", entity_name(entity))
    } else {
        format!("{} ({})", entity_name(entity), describe_key(spec, key))
    }
}

/// The digest of a row's canonical texts (`None` for absent values).
pub(crate) fn digest_texts<'a>(texts: impl IntoIterator<Item = Option<&'a str>>) -> Digest {
    let mut h = Sha256::new();
    for t in texts {
        match t {
            None => h.update([0u8]),
            Some(t) => {
                h.update([1u8]);
                h.update(t.as_bytes());
            }
        }
        h.update([0x1f]);
    }
    let full = h.finalize();
    let mut d = [0u8; 16];
    d.copy_from_slice(&full[..16]);
    d
}

/// The digest of a row.
pub(crate) fn digest(values: &[Value]) -> Digest {
    let texts: Vec<Option<String>> = values.iter().map(Value::to_text).collect();
    digest_texts(texts.iter().map(Option::as_deref))
}

/// What the checks need to know about a patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PatientLife {
    pub life: LifeSpan,
    pub dead: bool,
}

impl PatientLife {
    pub fn of(values: &[Value]) -> PatientLife {
        let spec = Entity::Patient.spec();
        let vital = spec.position("vital_status").expect("column");
        PatientLife {
            life: LifeSpan::of_patient(values),
            dead: values[vital].as_str() == Some("dead"),
        }
    }
}

/// What the registry already holds, as far as checking and upserting need.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Per entity: natural key → digest of the stored row.
    pub(crate) keys: Vec<HashMap<String, Digest>>,
    /// Stored patients' life spans.
    pub(crate) life: HashMap<String, PatientLife>,
    /// Stored treatments' types, by key.
    pub(crate) treatment_type: HashMap<String, String>,
    /// Stored lesions: `patient SEP lesion` → (assessment, organ) of one
    /// stored measurement.
    pub(crate) lesion_organ: HashMap<String, (String, String)>,
    /// Stored lesions: `patient SEP lower-case lesion` → (lesion,
    /// assessment) of one stored measurement, to refuse `l1` beside `L1`.
    pub(crate) lesion_fold: HashMap<String, (String, String)>,
    /// Stored assessments: `patient SEP assessment` → date.
    pub(crate) assessment_date: HashMap<String, PartialDate>,
    /// Stored lesions: `patient SEP lesion` → the assessments measuring it.
    pub(crate) lesion_assessments: HashMap<String, Vec<String>>,
}

impl Default for Stored {
    fn default() -> Self {
        Stored {
            keys: vec![HashMap::new(); Entity::ALL.len()],
            life: HashMap::new(),
            treatment_type: HashMap::new(),
            lesion_organ: HashMap::new(),
            lesion_fold: HashMap::new(),
            assessment_date: HashMap::new(),
            lesion_assessments: HashMap::new(),
        }
    }
}

impl Stored {
    /// Nothing stored: the bundle is checked on its own.
    pub fn empty() -> Stored {
        Stored::default()
    }

    /// Records one stored row.
    pub(crate) fn add(&mut self, entity: Entity, values: &[Value]) {
        let spec = entity.spec();
        let key = key_of(spec, values);
        match entity {
            Entity::Patient => {
                self.life.insert(key.clone(), PatientLife::of(values));
            }
            Entity::Treatment => {
                let t = values[spec.position("type").expect("column")]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                self.treatment_type.insert(key.clone(), t);
            }
            Entity::Assessment => {
                if let Some(d) = values[spec.position("date").expect("column")].as_date() {
                    self.assessment_date.insert(key.clone(), d);
                }
            }
            Entity::Lesion => {
                let text = |c: &str| {
                    values[spec.position(c).expect("lesion column")]
                        .as_str()
                        .unwrap_or_default()
                };
                let (p, a, l, organ) = (
                    text("patient"),
                    text("assessment"),
                    text("lesion"),
                    text("organ"),
                );
                self.lesion_organ
                    .entry(format!("{p}{SEP}{l}"))
                    .or_insert_with(|| (a.to_string(), organ.to_string()));
                self.lesion_fold
                    .entry(format!("{p}{SEP}{}", l.to_lowercase()))
                    .or_insert_with(|| (l.to_string(), a.to_string()));
                self.lesion_assessments
                    .entry(format!("{p}{SEP}{l}"))
                    .or_default()
                    .push(a.to_string());
            }
            _ => {}
        }
        self.keys[entity.index()].insert(key, digest(values));
    }
}

/// What checking learnt about the bundle (used again when writing).
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Per entity: key → first row with it.
    pub keys: Vec<HashMap<String, u32>>,
    /// Patients of the bundle: code → (life, row).
    pub life: HashMap<String, (PatientLife, u32)>,
    /// Problems that do not stop the import (adverse-event terms CTCAE
    /// v5.0 does not list): reported with the import.
    pub flags: Vec<crate::error::Problem>,
}

/// Checks every row of `bundle` against itself and `stored`.
pub(crate) fn check(bundle: &Bundle, stored: &Stored) -> (Checked, Problems) {
    let (checked, mut problems, moved) = check_parts(bundle, stored);
    for p in moved.list {
        problems.push(p);
    }
    problems.more += moved.more;
    (checked, problems)
}

/// [`check`] with the problems of re-dated assessments
/// ([`moved_onto_stored_lesions`], found after all rows) apart from those of
/// the rows, for an import block by block ([`crate::import_blocks`]) that
/// merges each kind in the order of the whole bundle.
pub(crate) fn check_parts(bundle: &Bundle, stored: &Stored) -> (Checked, Problems, Problems) {
    let today = today();
    let mut problems = Problems::default();
    let mut checked = Checked {
        keys: vec![HashMap::new(); Entity::ALL.len()],
        life: HashMap::new(),
        flags: Vec::new(),
    };
    // Assessments of the bundle: `patient SEP assessment` → date.
    let mut assessment_date: HashMap<String, PartialDate> = HashMap::new();
    // Lesions of the bundle: `patient SEP lesion` → (assessment, line).
    let mut lesion_seen: HashMap<String, Vec<(String, u64)>> = HashMap::new();
    let mut treatment_type: HashMap<String, String> = HashMap::new();
    // Flag texts of terms outside the CTCAE table, once per distinct term.
    let mut term_advice: HashMap<String, String> = HashMap::new();
    let mut lesion_first: HashMap<String, (String, u64)> = HashMap::new();
    let mut lesion_fold: HashMap<String, (String, u64)> = HashMap::new();
    let mut vals: Vec<Value> = Vec::new();
    for entity in Entity::ALL {
        let Some(t) = bundle.table(entity) else {
            continue;
        };
        let spec = entity.spec();
        let cols = t.columns();
        let key_pos = spec.key_positions();
        let patient_pos = spec
            .position("patient")
            .filter(|_| entity != Entity::Patient);
        let mut keys: HashMap<String, u32> = HashMap::with_capacity(t.n_rows());
        // Each reference's target and column positions, and a buffer for
        // its key (built once per row without temporary strings).
        let refs: Vec<(Entity, Vec<usize>)> = spec
            .references
            .iter()
            .map(|r| {
                let pos = r
                    .columns
                    .iter()
                    .map(|c| spec.position(c).expect("reference column"))
                    .collect();
                (r.target, pos)
            })
            .collect();
        let mut k = String::new();
        for row in 0..t.n_rows() {
            let ok = t.parse_row(&cols, row, &mut vals, Some(&mut problems));
            // The rules also run on a row with a cell problem (the cell read
            // as empty), so that a form shows every problem of a submission
            // at once; a rule about a cell that could not be read is left
            // out (its cell problem says what is wrong).
            let unreadable = |i: usize| {
                !ok && vals[i].is_null()
                    && (spec.columns[i].required || cols[i].and_then(|c| c.text(row)).is_some())
            };
            for v in rules::check_not_future(entity, &vals, today)
                .into_iter()
                .chain(rules::check_row(entity, &vals))
            {
                let i = spec.position(v.column).expect("rule column");
                if !unreadable(i) {
                    problems.push(t.cell_problem(&cols, row, i, v.reason));
                }
            }
            // A key with a missing required part cannot be matched; its
            // cell problem is already reported.
            let key_complete = key_pos
                .iter()
                .all(|&i| !spec.columns[i].required || !vals[i].is_null());
            let key = key_of(spec, &vals);
            if key_complete {
                match keys.entry(key.clone()) {
                    std::collections::hash_map::Entry::Occupied(first) => {
                        let first_line = t.line(*first.get() as usize);
                        let last = *key_pos.last().expect("key");
                        problems.push(t.cell_problem(
                            &cols,
                            row,
                            last,
                            format!(
                                "duplicate {}, first at line {first_line}",
                                describe_record(entity, &key)
                            ),
                        ));
                    }
                    std::collections::hash_map::Entry::Vacant(v) => {
                        v.insert(row as u32);
                    }
                }
            }
            for (target, pos) in &refs {
                let target = *target;
                if pos.iter().any(|&i| vals[i].is_null()) {
                    continue;
                }
                k.clear();
                for (n, &i) in pos.iter().enumerate() {
                    if n > 0 {
                        k.push(SEP);
                    }
                    crate::rows::push_text(&mut k, &vals[i]);
                }
                let in_bundle = if target == entity {
                    keys.contains_key(&k)
                } else {
                    checked.keys[target.index()].contains_key(&k)
                };
                if !in_bundle && !stored.keys[target.index()].contains_key(&k) {
                    let at = *pos.last().expect("reference column");
                    problems.push(t.cell_problem(
                        &cols,
                        row,
                        at,
                        format!(
                            "no {} in the bundle or the registry",
                            describe_record(target, &k)
                        ),
                    ));
                }
            }
            if let Some(pp) = patient_pos {
                let code = vals[pp].as_str().unwrap_or_default();
                let life = checked
                    .life
                    .get(code)
                    .map(|(l, _)| *l)
                    .or_else(|| stored.life.get(code).copied());
                if let Some(l) = life {
                    for v in rules::check_against_patient(entity, &vals, l.life, l.dead) {
                        let i = spec.position(v.column).expect("rule column");
                        if !unreadable(i) {
                            problems.push(t.cell_problem(&cols, row, i, v.reason));
                        }
                    }
                }
            }
            if !ok {
                continue;
            }
            match entity {
                Entity::Patient => {
                    checked
                        .life
                        .entry(key.clone())
                        .or_insert((PatientLife::of(&vals), row as u32));
                }
                Entity::Assessment => {
                    if let Some(d) = vals[spec.position("date").expect("column")].as_date() {
                        assessment_date.entry(key.clone()).or_insert(d);
                    }
                }
                Entity::AdverseEvent => {
                    let term = vals[spec.position("term").expect("column")]
                        .as_str()
                        .unwrap_or_default();
                    let grade = vals[spec.position("grade").expect("column")].as_i64();
                    if let Some(g) = grade
                        && ctcae::check(term, g.clamp(0, 5) as u8) == Ctcae::UnknownTerm
                    {
                        let i = spec.position("term").expect("column");
                        let advice = term_advice
                            .entry(term.to_string())
                            .or_insert_with(|| unknown_term_advice(term));
                        checked
                            .flags
                            .push(t.cell_problem(&cols, row, i, advice.clone()));
                    }
                }
                Entity::Treatment => {
                    let ty = vals[spec.position("type").expect("column")]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    treatment_type.entry(key.clone()).or_insert(ty);
                }
                Entity::RadionuclideAdministration => {
                    let tk = format!(
                        "{}{SEP}{}",
                        vals[0].as_str().unwrap_or_default(),
                        vals[1].as_str().unwrap_or_default()
                    );
                    let ty = treatment_type
                        .get(&tk)
                        .or_else(|| stored.treatment_type.get(&tk));
                    if let Some(ty) = ty
                        && ty != "radionuclide"
                    {
                        problems.push(t.cell_problem(
                            &cols,
                            row,
                            1,
                            format!(
                                "treatment '{}' is {ty}, not a radionuclide treatment",
                                vals[1].as_str().unwrap_or_default()
                            ),
                        ));
                    }
                }
                Entity::Lesion => {
                    let p = vals[0].as_str().unwrap_or_default();
                    let lesion = vals[2].as_str().unwrap_or_default();
                    let organ = vals[3].as_str().unwrap_or_default();
                    let pl = format!("{p}{SEP}{lesion}");
                    let line = t.line(row);
                    let assessment = vals[1].as_str().unwrap_or_default();
                    if let Some(msg) = same_day_measurement(
                        p,
                        assessment,
                        lesion,
                        &assessment_date,
                        lesion_seen.get(&pl).map(Vec::as_slice).unwrap_or_default(),
                        stored,
                        &keys,
                    ) {
                        problems.push(t.cell_problem(&cols, row, 1, msg));
                    }
                    lesion_seen
                        .entry(pl.clone())
                        .or_default()
                        .push((assessment.to_string(), line));
                    // `l1` beside `L1`: one lesion typed two ways would be a
                    // new lesion at follow-up (and progression).
                    let fold = format!("{p}{SEP}{}", lesion.to_lowercase());
                    let other = match lesion_fold.get(&fold) {
                        Some((id, l)) => Some((id.clone(), format!("line {l}"))),
                        None => {
                            lesion_fold.insert(fold.clone(), (lesion.to_string(), line));
                            stored.lesion_fold.get(&fold).map(|(id, a)| {
                                (id.clone(), format!("in the registry, assessment '{a}'"))
                            })
                        }
                    };
                    if let Some((id, at)) = other
                        && id != lesion
                    {
                        problems.push(t.cell_problem(
                            &cols,
                            row,
                            2,
                            format!(
                                "lesion '{lesion}' differs from lesion '{id}' ({at}) only in \
                                 upper/lower case; use '{id}' for the same lesion, or an identifier \
                                 that does not look like it for another"
                            ),
                        ));
                    }
                    match lesion_first.get(&pl) {
                        Some((first, first_line)) if first != organ => {
                            problems.push(t.cell_problem(
                                &cols,
                                row,
                                3,
                                format!(
                                    "lesion '{lesion}' is in {first} at line {first_line}; \
                                     a lesion keeps its organ across assessments"
                                ),
                            ));
                        }
                        Some(_) => {}
                        None => {
                            lesion_first.insert(pl.clone(), (organ.to_string(), line));
                            if let Some((a, so)) = stored.lesion_organ.get(&pl) {
                                let overridden =
                                    keys.contains_key(&format!("{p}{SEP}{a}{SEP}{lesion}"));
                                if so != organ && !overridden {
                                    problems.push(t.cell_problem(
                                        &cols,
                                        row,
                                        3,
                                        format!(
                                            "lesion '{lesion}' is in {so} in the registry \
                                             (assessment '{a}'); a lesion keeps its organ \
                                             across assessments"
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        checked.keys[entity.index()] = keys;
    }
    let mut moved_problems = Problems::default();
    if let Some(t) = bundle.table(Entity::Assessment) {
        let moved = moved_onto_stored_lesions(&assessment_date, &lesion_seen, stored, &checked);
        for (row, msg) in moved {
            let cols = t.columns();
            let i = Entity::Assessment.spec().position("date").expect("column");
            moved_problems.push(t.cell_problem(&cols, row, i, msg));
        }
    }
    (checked, problems, moved_problems)
}

/// Assessments the bundle re-dates without sending their lesion rows: each
/// stored lesion of such an assessment is checked for a measurement on the
/// same day, as the lesion rows themselves would have been (a new date may
/// put two measurements of one lesion on one day). Returns (row, reason).
fn moved_onto_stored_lesions(
    bundle_dates: &HashMap<String, PartialDate>,
    lesion_seen: &HashMap<String, Vec<(String, u64)>>,
    stored: &Stored,
    checked: &Checked,
) -> Vec<(usize, String)> {
    let lesion_keys = &checked.keys[Entity::Lesion.index()];
    let assessment_keys = &checked.keys[Entity::Assessment.index()];
    let mut out = Vec::new();
    for (key, &row) in assessment_keys {
        let (Some(new), Some(old)) = (bundle_dates.get(key), stored.assessment_date.get(key))
        else {
            continue;
        };
        if new == old {
            continue;
        }
        let Some((patient, assessment)) = key.split_once(SEP) else {
            continue;
        };
        for (pl, assessments) in &stored.lesion_assessments {
            let Some((p, lesion)) = pl.split_once(SEP) else {
                continue;
            };
            let rewritten = lesion_keys.contains_key(&format!("{key}{SEP}{lesion}"));
            if p != patient || rewritten || !assessments.iter().any(|a| a == assessment) {
                continue;
            }
            let seen = lesion_seen.get(pl).map(Vec::as_slice).unwrap_or_default();
            if let Some(msg) = same_day_measurement(
                patient,
                assessment,
                lesion,
                bundle_dates,
                seen,
                stored,
                lesion_keys,
            ) {
                out.push((
                    row as usize,
                    format!("the new date of assessment '{assessment}': {msg}"),
                ));
            }
        }
    }
    out.sort();
    out
}

/// Two dates that can be the same day (neither is certainly before the
/// other): `2010-05` and `2010-05-15` can, whatever the imputation rule.
fn may_be_same_day(a: &PartialDate, b: &PartialDate) -> bool {
    !a.certainly_before(b) && !b.certainly_before(a)
}

/// The refusal of a lesion measured in two assessments that can be the same
/// day: evaluation would have to choose one measurement (it refuses, and
/// so does the import, so that the record is corrected where it is made).
fn same_day_measurement(
    patient: &str,
    assessment: &str,
    lesion: &str,
    bundle_dates: &HashMap<String, PartialDate>,
    seen: &[(String, u64)],
    stored: &Stored,
    lesion_keys: &HashMap<String, u32>,
) -> Option<String> {
    let date_of = |a: &str| {
        let k = format!("{patient}{SEP}{a}");
        bundle_dates
            .get(&k)
            .or_else(|| stored.assessment_date.get(&k))
            .copied()
    };
    let mine = date_of(assessment)?;
    let in_bundle = seen
        .iter()
        .map(|(a, line)| (a.as_str(), format!("line {line}")));
    let pl = format!("{patient}{SEP}{lesion}");
    let in_registry = stored
        .lesion_assessments
        .get(&pl)
        .into_iter()
        .flatten()
        // A stored row the bundle rewrites is checked as the bundle's.
        .filter(|a| !lesion_keys.contains_key(&format!("{patient}{SEP}{a}{SEP}{lesion}")))
        .map(|a| (a.as_str(), "in the registry".to_string()));
    for (other, at) in in_bundle.chain(in_registry) {
        if other == assessment {
            continue;
        }
        let Some(theirs) = date_of(other) else {
            continue;
        };
        if may_be_same_day(&mine, &theirs) {
            return Some(format!(
                "lesion '{lesion}' is also measured in assessment '{other}' ({at}); \
                 its date {theirs} can be the same day as this assessment's {mine}, and a \
                 lesion is measured once per day: give the assessments their exact dates \
                 or remove one measurement"
            ));
        }
    }
    None
}

/// Today (UTC) as a registry day: no record may be dated after it.
fn today() -> Day {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Day((secs / 86_400).min(i32::MAX as u64) as i32)
}

/// The entity's name in messages.
pub(crate) fn entity_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Study => "study",
        Entity::Site => "site",
        Entity::Patient => "patient",
        Entity::Tumour => "tumour",
        Entity::Metastasis => "metastasis",
        Entity::Biomarker => "biomarker",
        Entity::Treatment => "treatment",
        Entity::TreatmentAgent => "treatment agent",
        Entity::RadionuclideAdministration => "radionuclide administration",
        Entity::Assessment => "assessment",
        Entity::Lesion => "lesion",
        Entity::ClinicalStatus => "clinical status",
        Entity::AdverseEvent => "adverse event",
        Entity::Immunohistochemistry => "immunohistochemistry",
        Entity::GeneticTest => "genetic test",
        Entity::QolResponse => "quality-of-life response",
        Entity::Comorbidity => "comorbidity",
    }
}

/// Checks a bundle on its own (no registry): what `netra validate DIR` does
/// without `--db`. References must then resolve within the bundle.
pub fn validate_bundle(bundle: &Bundle) -> Problems {
    check(bundle, &Stored::empty()).1
}

/// [`validate_bundle`] with the problems that do not stop an import (the
/// flags `netra import` prints as notes: adverse-event terms CTCAE v5.0
/// does not list), so that `netra validate` tells what import would.
pub fn validate_bundle_noting(bundle: &Bundle) -> (Problems, Vec<crate::error::Problem>) {
    let (checked, problems) = check(bundle, &Stored::empty());
    (problems, checked.flags)
}

/// The flag of an adverse-event term outside the CTCAE v5.0 table, with the
/// term to record instead where netra can tell: the CTCAE name of a name in
/// common use (`Thrombocytopenia`), else the nearest term as a misspelling
/// (`Diarrhoea` → `Diarrhea`, the "did you mean" rule of every name netra
/// checks).
fn unknown_term_advice(term: &str) -> String {
    let head = "not a CTCAE v5.0 term: kept, but its grade is not checked";
    if let Some(ctcae_term) = ctcae::common_name(term) {
        return format!("{head} (CTCAE v5.0 records it as '{ctcae_term}')");
    }
    let names: Vec<&str> = ctcae::terms().iter().map(|t| t.name).collect();
    match netra_frame::nearest(term, &names) {
        Some(near) => format!("{head} (did you mean '{near}'?)"),
        None => format!("{head} (record the CTCAE v5.0 term)"),
    }
}

#[cfg(test)]
mod tests {
    use super::unknown_term_advice;

    #[test]
    fn an_unknown_term_is_told_the_ctcae_term_when_netra_can_tell() {
        let common = unknown_term_advice("thrombocytopenia");
        assert!(
            common.ends_with("(CTCAE v5.0 records it as 'Platelet count decreased')"),
            "{common}"
        );
        let misspelt = unknown_term_advice("Diarrhoea");
        assert!(
            misspelt.ends_with("(did you mean 'Diarrhea'?)"),
            "{misspelt}"
        );
        let verbatim = unknown_term_advice("Fell off a bicycle");
        assert!(
            verbatim.ends_with("(record the CTCAE v5.0 term)"),
            "{verbatim}"
        );
        for advice in [common, misspelt, verbatim] {
            assert!(
                advice.starts_with("not a CTCAE v5.0 term: kept, but its grade is not checked")
            );
        }
    }
}
