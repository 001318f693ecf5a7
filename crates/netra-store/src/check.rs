//! Checking a bundle: cells, rows, and everything that spans rows and files
//! (duplicate keys, dangling references, records outside the patient's life,
//! administrations of non-radionuclide treatments, a lesion changing organ).
//!
//! The checks see the bundle *and* what the registry already holds
//! ([`Stored`]), so a bundle may add biomarkers to patients imported last
//! year. Every problem is collected (up to the cap) before anything is
//! written.

use std::collections::HashMap;

use netra_clinical::registry::ctcae;
use netra_clinical::registry::rules::LifeSpan;
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
    push_key(&mut k, &spec.key_positions(), values);
    k
}

/// Appends the natural key of a row whose key columns are at `key_pos`.
pub(crate) fn push_key(out: &mut String, key_pos: &[usize], values: &[Value]) {
    for (i, &pos) in key_pos.iter().enumerate() {
        if i > 0 {
            out.push(SEP);
        }
        crate::rows::push_text(out, &values[pos]);
    }
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

/// The keys of one entity of the bundle, each with the first row that has
/// it: one map, or (the files of patients' records) one map per shard of
/// patient codes ([`crate::check_shards::shard_of`]).
#[derive(Debug, Default, Clone)]
pub(crate) struct Keys {
    shards: Vec<HashMap<String, u32>>,
}

impl Keys {
    /// The keys of one map, or of maps by shard of the key's first part
    /// (the patient code).
    pub(crate) fn from_shards(shards: Vec<HashMap<String, u32>>) -> Keys {
        Keys { shards }
    }

    fn shard(&self, key: &str) -> Option<&HashMap<String, u32>> {
        match self.shards.len() {
            0 => None,
            1 => self.shards.first(),
            n => {
                let patient = key.split(SEP).next().unwrap_or_default();
                self.shards.get(crate::check_shards::shard_of(patient, n))
            }
        }
    }

    /// The first row with `key`.
    pub(crate) fn get(&self, key: &str) -> Option<u32> {
        self.shard(key)?.get(key).copied()
    }

    /// True when a row has `key`.
    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Every key (in no particular order).
    pub(crate) fn keys(&self) -> impl Iterator<Item = &String> {
        self.shards.iter().flat_map(HashMap::keys)
    }
}

/// What checking learnt about the bundle (used again when writing).
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// Per entity: key → first row with it.
    pub keys: Vec<Keys>,
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

/// [`check`] with the problems of re-dated assessments (found after all
/// rows) apart from those of the rows, for an import block by block
/// ([`crate::import_blocks`]) that merges each kind in the order of the
/// whole bundle.
///
/// The rows are checked in shards of patients, one per core
/// ([`crate::check_shards`]); the problems and what is learnt do not
/// depend on the number of shards.
pub(crate) fn check_parts(bundle: &Bundle, stored: &Stored) -> (Checked, Problems, Problems) {
    crate::check_shards::check_in_shards(bundle, stored, today(), shards())
}

/// One shard per core (at most 8): the checks are CPU-bound.
fn shards() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Today (UTC) as a registry day: no record may be dated after it.
pub(crate) fn today() -> Day {
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
pub(crate) fn unknown_term_advice(term: &str) -> String {
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
