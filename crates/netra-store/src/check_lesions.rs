//! The checks of lesion rows against each other and the registry: a lesion
//! is measured once per day, spelt one way, and stays in one organ; and
//! the assessments a bundle re-dates are checked against the lesions the
//! registry holds for them.
//!
//! The state is one patient's (every key starts with the patient code), so
//! it can be kept per shard of patients ([`crate::check_shards`]). Keys
//! are built in reused buffers: a 10⁵-patient bundle has 2.7·10⁶ lesion
//! rows.

use std::collections::{HashMap, HashSet};

use netra_clinical::registry::PartialDate;
use netra_frame::Column;

use crate::bundle::BundleTable;
use crate::check::{SEP, Stored};

/// One readable lesion row.
pub(crate) struct LesionRow<'v> {
    pub patient: &'v str,
    pub assessment: &'v str,
    pub lesion: &'v str,
    pub organ: &'v str,
    pub row: usize,
    pub line: u64,
}

/// What a lesion row is refused for: (schema column, reason), in the order
/// of the report (same day, spelling, organ).
pub(crate) type LesionProblems = Vec<(usize, String)>;

/// The lesions of the rows checked so far.
#[derive(Debug, Default)]
pub(crate) struct Lesions {
    /// `patient SEP lesion` → its rows so far.
    by_lesion: HashMap<String, SeenLesion>,
    /// `patient SEP lower-case lesion` → (lesion, line) of its first row.
    fold: HashMap<String, (String, u64)>,
    /// Reused key buffers.
    pl: String,
    fold_key: String,
    scratch: String,
}

/// A lesion of the bundle: the organ and line of its first row, and its
/// rows (their assessment and line are read from the file again).
#[derive(Debug)]
struct SeenLesion {
    organ: String,
    first_line: u64,
    rows: Vec<u32>,
}

/// Where the lesion file's assessment ids are, to name the assessments of
/// rows seen before.
#[derive(Clone, Copy)]
pub(crate) struct LesionFile<'t> {
    pub table: &'t BundleTable,
    pub assessment: Column<'t>,
}

impl LesionFile<'_> {
    /// (assessment, line) of row `row` (a readable row: its assessment id
    /// is the file's text, identifiers being read as written).
    fn seen(&self, row: u32) -> (&str, u64) {
        let a = self.assessment.text(row as usize).unwrap_or_default();
        (a, self.table.line(row as usize))
    }
}

/// The dates of assessments: the bundle's, else the registry's.
pub(crate) struct Dates<'a> {
    pub bundle: &'a HashMap<String, PartialDate>,
    pub stored: &'a Stored,
    /// The bundle's lesion keys so far (a stored measurement the bundle
    /// rewrites is checked as the bundle's).
    pub lesion_keys: &'a HashMap<String, u32>,
}

impl Dates<'_> {
    fn of(&self, key: &mut String, patient: &str, assessment: &str) -> Option<PartialDate> {
        key.clear();
        key.push_str(patient);
        key.push(SEP);
        key.push_str(assessment);
        let k = key.as_str();
        self.bundle
            .get(k)
            .or_else(|| self.stored.assessment_date.get(k))
            .copied()
    }

    fn rewritten(&self, key: &mut String, patient: &str, assessment: &str, lesion: &str) -> bool {
        key.clear();
        key.push_str(patient);
        key.push(SEP);
        key.push_str(assessment);
        key.push(SEP);
        key.push_str(lesion);
        self.lesion_keys.contains_key(key.as_str())
    }
}

impl Lesions {
    /// The checks of one readable lesion row against the rows before it
    /// and the registry; then the row is remembered.
    pub(crate) fn check(
        &mut self,
        r: &LesionRow<'_>,
        file: LesionFile<'_>,
        dates: &Dates<'_>,
    ) -> LesionProblems {
        let mut out = LesionProblems::new();
        set_pair(&mut self.pl, r.patient, r.lesion);
        let seen = self.by_lesion.get(self.pl.as_str());
        let seen_rows = seen.map(|s| s.rows.as_slice()).unwrap_or_default();
        let same_day = same_day_measurement(r, seen_rows, Some(file), dates, &mut self.scratch);
        if let Some(msg) = same_day {
            out.push((1, msg));
        }
        if let Some(msg) = self.other_spelling(r, dates.stored) {
            out.push((2, msg));
        }
        if let Some(msg) = self.other_organ(r, dates) {
            out.push((3, msg));
        }
        out
    }

    /// `l1` beside `L1`: one lesion typed two ways would be a new lesion
    /// at follow-up (and progression).
    fn other_spelling(&mut self, r: &LesionRow<'_>, stored: &Stored) -> Option<String> {
        let fold = &mut self.fold_key;
        fold.clear();
        fold.push_str(r.patient);
        fold.push(SEP);
        if r.lesion.is_ascii() {
            fold.extend(r.lesion.chars().map(|c| c.to_ascii_lowercase()));
        } else {
            fold.push_str(&r.lesion.to_lowercase());
        }
        let (id, at) = match self.fold.get(fold.as_str()) {
            Some((id, l)) => (id.clone(), format!("line {l}")),
            None => {
                self.fold
                    .insert(fold.clone(), (r.lesion.to_string(), r.line));
                let (id, a) = stored.lesion_fold.get(fold.as_str())?;
                (id.clone(), format!("in the registry, assessment '{a}'"))
            }
        };
        (id != r.lesion).then(|| {
            let lesion = r.lesion;
            format!(
                "lesion '{lesion}' differs from lesion '{id}' ({at}) only in \
                 upper/lower case; use '{id}' for the same lesion, or an identifier \
                 that does not look like it for another"
            )
        })
    }

    /// A lesion keeps its organ across assessments, in the bundle and
    /// against the registry (unless the bundle rewrites the stored row).
    /// Remembers the row.
    fn other_organ(&mut self, r: &LesionRow<'_>, dates: &Dates<'_>) -> Option<String> {
        let lesion = r.lesion;
        if let Some(seen) = self.by_lesion.get_mut(self.pl.as_str()) {
            seen.rows.push(r.row as u32);
            let (first, first_line) = (&seen.organ, seen.first_line);
            return (first != r.organ).then(|| {
                format!(
                    "lesion '{lesion}' is in {first} at line {first_line}; \
                     a lesion keeps its organ across assessments"
                )
            });
        }
        let seen = SeenLesion {
            organ: r.organ.to_string(),
            first_line: r.line,
            rows: vec![r.row as u32],
        };
        self.by_lesion.insert(self.pl.clone(), seen);
        let (a, so) = dates.stored.lesion_organ.get(self.pl.as_str())?;
        let overridden = dates.rewritten(&mut self.scratch, r.patient, a, lesion);
        (so != r.organ && !overridden).then(|| {
            format!(
                "lesion '{lesion}' is in {so} in the registry (assessment '{a}'); a lesion \
                 keeps its organ across assessments"
            )
        })
    }
}

/// `patient SEP part` in `out`.
fn set_pair(out: &mut String, patient: &str, part: &str) {
    out.clear();
    out.push_str(patient);
    out.push(SEP);
    out.push_str(part);
}

/// Two dates that can be the same day (neither is certainly before the
/// other): `2010-05` and `2010-05-15` can, whatever the imputation rule.
fn may_be_same_day(a: &PartialDate, b: &PartialDate) -> bool {
    !a.certainly_before(b) && !b.certainly_before(a)
}

/// The refusal of a lesion measured in two assessments that can be the same
/// day: evaluation would have to choose one measurement (it refuses, and
/// so does the import, so that the record is corrected where it is made).
/// `seen`: the bundle's rows of the lesion before this one (rows of
/// `file`, which is there when there are any).
fn same_day_measurement(
    r: &LesionRow<'_>,
    seen: &[u32],
    file: Option<LesionFile<'_>>,
    dates: &Dates<'_>,
    key: &mut String,
) -> Option<String> {
    let (patient, lesion) = (r.patient, r.lesion);
    let mine = dates.of(key, patient, r.assessment)?;
    let check = |other: &str, at: &dyn Fn() -> String, key: &mut String| {
        if other == r.assessment {
            return None;
        }
        let theirs = dates.of(key, patient, other)?;
        may_be_same_day(&mine, &theirs).then(|| {
            format!(
                "lesion '{lesion}' is also measured in assessment '{other}' ({}); \
                 its date {theirs} can be the same day as this assessment's {mine}, and a \
                 lesion is measured once per day: give the assessments their exact dates \
                 or remove one measurement",
                at()
            )
        })
    };
    if let Some(file) = file {
        for &row in seen {
            let (other, line) = file.seen(row);
            if let Some(msg) = check(other, &|| format!("line {line}"), key) {
                return Some(msg);
            }
        }
    }
    let mut pl = String::new();
    set_pair(&mut pl, patient, lesion);
    for a in dates
        .stored
        .lesion_assessments
        .get(&pl)
        .into_iter()
        .flatten()
    {
        // A stored row the bundle rewrites is checked as the bundle's.
        if dates.rewritten(key, patient, a, lesion) {
            continue;
        }
        if let Some(msg) = check(a, &|| "in the registry".to_string(), key) {
            return Some(msg);
        }
    }
    None
}

/// Assessments the bundle re-dates without sending their lesion rows: each
/// stored lesion of such an assessment is checked for a measurement on the
/// same day, as the lesion rows themselves would have been (a new date may
/// put two measurements of one lesion on one day). Returns (row, reason),
/// sorted.
pub(crate) fn moved_onto_stored_lesions(
    lesions: &Lesions,
    file: Option<LesionFile<'_>>,
    dates: &Dates<'_>,
    assessment_keys: &HashMap<String, u32>,
) -> Vec<(usize, String)> {
    let redated: Vec<(&str, &str, u32)> = assessment_keys
        .iter()
        .filter(|(key, _)| {
            let k = key.as_str();
            matches!(
                (dates.bundle.get(k), dates.stored.assessment_date.get(k)),
                (Some(new), Some(old)) if new != old
            )
        })
        .filter_map(|(key, &row)| key.split_once(SEP).map(|(p, a)| (p, a, row)))
        .collect();
    if redated.is_empty() {
        return Vec::new();
    }
    let stored_lesions = stored_lesions_of(dates.stored, &redated);
    let mut out = Vec::new();
    let mut key = String::new();
    for (patient, assessment, row) in redated {
        for &(lesion, pl, assessments) in stored_lesions.get(patient).into_iter().flatten() {
            if dates.rewritten(&mut key, patient, assessment, lesion)
                || !assessments.iter().any(|a| a == assessment)
            {
                continue;
            }
            let seen = lesions.by_lesion.get(pl).map(|s| s.rows.as_slice());
            let r = LesionRow {
                patient,
                assessment,
                lesion,
                organ: "",
                row: 0,
                line: 0,
            };
            let seen = seen.unwrap_or_default();
            if let Some(msg) = same_day_measurement(&r, seen, file, dates, &mut key) {
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

/// A lesion of the registry: (lesion, `patient SEP lesion`, the
/// assessments measuring it).
type StoredLesion<'s> = (&'s str, &'s str, &'s [String]);

/// The registry's lesions of the patients of `redated`: patient →
/// (lesion, `patient SEP lesion`, assessments measuring it).
fn stored_lesions_of<'s>(
    stored: &'s Stored,
    redated: &[(&str, &str, u32)],
) -> HashMap<&'s str, Vec<StoredLesion<'s>>> {
    let patients: HashSet<&str> = redated.iter().map(|(p, _, _)| *p).collect();
    let mut out: HashMap<&str, Vec<_>> = HashMap::new();
    for (pl, assessments) in &stored.lesion_assessments {
        let Some((p, lesion)) = pl.split_once(SEP) else {
            continue;
        };
        if patients.contains(p) {
            out.entry(p)
                .or_default()
                .push((lesion, pl.as_str(), assessments.as_slice()));
        }
    }
    out
}
