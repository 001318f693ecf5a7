//! Treatment patterns of a cohort, as the treatment paragraph and table of
//! a retrospective series report them: the first treatment after the
//! metastatic diagnosis, who received systemic and local treatment over
//! the whole course, the time from metastatic diagnosis to the first
//! systemic treatment, lines per patient and how many reach each line,
//! first-line regimens, local-treatment sessions and their intervals, and
//! metastasectomies.
//!
//! Counts and medians only (no model): R's `median` (the mean of the two
//! middle values for an even count) and the range. Lines are the cohort's
//! (`netra_clinical::lines`, with its line rules); the treatment classes
//! of "systemic" and "local" are `variables::treatment::Kind`. The
//! small-cell rule of a surface applies to the output's counts like any
//! other analysis's.
//!
//! Needs the patients' courses: a cohort built from patient facts refuses
//! it.

use std::collections::BTreeMap;

use netra_clinical::endpoints::Censoring;
use netra_clinical::registry::vocab::{SurgeryType, TreatmentClass, TreatmentType, Vocabulary};
use serde::{Deserialize, Serialize};

use super::Analysis;
use crate::AnalysisError;
use crate::cohort::Cohort;
use crate::variables::capitalise;
use crate::variables::treatment::{self as tr, Kind};

/// Days per month (as every derived interval).
const MONTH: f64 = 30.4375;

/// What the pattern tables count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PatternsRequest {
    /// Lines tabulated in `reach` (1 up to this).
    pub max_lines: u32,
    /// Local treatment types whose sessions are counted (type codes, e.g.
    /// `tace`); empty: every local type that occurs.
    pub local_types: Vec<String>,
}

impl Default for PatternsRequest {
    fn default() -> Self {
        PatternsRequest {
            max_lines: 4,
            local_types: Vec::new(),
        }
    }
}

/// A category counted: its code, label, patients and share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountOut {
    /// Code (a class, regimen or modality).
    pub code: String,
    /// Printed label.
    pub label: String,
    /// Patients.
    pub n: u64,
    /// n over the table's denominator (`null` when it is 0).
    pub share: Option<f64>,
}

/// A distribution summarised as papers print it: median (range).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryOut {
    /// Values summarised.
    pub n: u64,
    /// Median (R's `median`).
    pub median: Option<f64>,
    /// Smallest value.
    pub min: Option<f64>,
    /// Largest value.
    pub max: Option<f64>,
}

impl SummaryOut {
    /// The median and range of `values` (non-finite values left out).
    pub fn of(values: &[f64]) -> SummaryOut {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = match n {
            0 => None,
            _ if n % 2 == 1 => Some(v[n / 2]),
            _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
        };
        SummaryOut {
            n: n as u64,
            median,
            min: v.first().copied(),
            max: v.last().copied(),
        }
    }
}

/// Patients reaching a line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineReachOut {
    /// Line number.
    pub line: u32,
    /// Patients with this line.
    pub n: u64,
    /// n over all patients analysed.
    pub share: Option<f64>,
    /// n over the patients with the previous line (line 1: all patients).
    pub share_of_previous: Option<f64>,
}

/// Sessions of one local treatment type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionsOut {
    /// Treatment type code (`tace`).
    pub code: String,
    /// Printed label.
    pub label: String,
    /// Patients with at least one session.
    pub n: u64,
    /// Sessions in all (dated and undated).
    pub sessions: u64,
    /// Sessions per treated patient.
    pub per_patient: SummaryOut,
    /// Months between consecutive dated sessions of a patient (all
    /// patients' intervals together).
    pub interval_months: SummaryOut,
}

/// The answer to a [`PatternsRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatternsOutput {
    /// Patients analysed.
    pub n_patients: u64,
    /// Patients with a metastatic (or recurrence) date: the denominator of
    /// `first_treatment` and `modality`.
    pub n_metastatic: u64,
    /// Patients left out of `first_treatment` and `modality` because an
    /// undated systemic or local treatment could change them.
    pub n_undated: u64,
    /// First systemic or local treatment after the metastatic diagnosis,
    /// by class (`none`: neither).
    pub first_treatment: Vec<CountOut>,
    /// Local only, systemic only, both, neither after the metastatic
    /// diagnosis (the `modality` variable).
    pub modality: Vec<CountOut>,
    /// Over the whole course (any date, curative surgery included):
    /// `systemic`, `local`, `both` (each over all patients).
    pub whole_course: Vec<CountOut>,
    /// Months from the metastatic diagnosis to the first systemic
    /// treatment started on or after it.
    pub months_to_first_systemic: SummaryOut,
    /// Lines per patient with at least one line.
    pub lines_per_patient: SummaryOut,
    /// Patients reaching lines 1 … `max_lines`.
    pub reach: Vec<LineReachOut>,
    /// First-line class counts (over patients with a line 1).
    pub first_line_class: Vec<CountOut>,
    /// First-line regimen counts, most frequent first (over patients with
    /// a line 1).
    pub first_line_regimen: Vec<CountOut>,
    /// Local-treatment sessions by type.
    pub local_sessions: Vec<SessionsOut>,
    /// Patients with a metastasectomy.
    pub metastasectomy_patients: u64,
    /// Metastasectomies in all.
    pub metastasectomies: u64,
}

fn share(n: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| n as f64 / of as f64)
}

fn counts(pairs: Vec<(String, String, u64)>, of: u64) -> Vec<CountOut> {
    pairs
        .into_iter()
        .map(|(code, label, n)| CountOut {
            code,
            label,
            n,
            share: share(n, of),
        })
        .collect()
}

/// Runs a [`PatternsRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &PatternsRequest) -> Result<PatternsOutput, AnalysisError> {
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "patterns",
            "needs the patients' courses (treatments are read per patient)",
        ));
    }
    if req.max_lines == 0 {
        return Err(AnalysisError::invalid("max_lines", "must be at least 1"));
    }
    let local_types: Vec<TreatmentType> = if req.local_types.is_empty() {
        TreatmentType::ALL
            .iter()
            .copied()
            .filter(|t| t.class() == TreatmentClass::Local)
            .collect()
    } else {
        req.local_types
            .iter()
            .map(|c| match TreatmentType::from_code(c) {
                Ok(t) if t.class() == TreatmentClass::Local => Ok(t),
                _ => Err(AnalysisError::invalid(
                    "local_types",
                    format!("'{c}' is not a local treatment type"),
                )),
            })
            .collect::<Result<_, _>>()?
    };
    let courses = &cohort.courses;
    let n_patients = courses.len() as u64;

    // After the metastatic diagnosis: first treatment and modality.
    let mut n_metastatic = 0u64;
    let mut n_undated = 0u64;
    let n_class = TreatmentClass::ALL.len();
    let mut first = vec![0u64; n_class + 1];
    let mut modality = [0u64; 4];
    let mut to_systemic = Vec::new();
    for c in courses {
        let Some(m) = tr::metastatic_day(c) else {
            continue;
        };
        n_metastatic += 1;
        let Some(after) = tr::after_metastatic(c) else {
            n_undated += 1;
            continue;
        };
        let local = after.iter().any(|t| tr::kind_of(t) == Some(Kind::Local));
        let systemic = after
            .iter()
            .find(|t| tr::kind_of(t) == Some(Kind::Systemic));
        modality[match (local, systemic.is_some()) {
            (true, false) => 0,
            (false, true) => 1,
            (true, true) => 2,
            (false, false) => 3,
        }] += 1;
        // `after` is in start order; on the same day systemic comes first.
        let head = after.iter().min_by_key(|t| {
            (
                tr::start_day(t),
                u8::from(tr::kind_of(t) != Some(Kind::Systemic)),
            )
        });
        let k = head.map_or(n_class, |t| {
            TreatmentClass::ALL
                .iter()
                .position(|x| *x == t.class())
                .unwrap_or(n_class)
        });
        first[k] += 1;
        if let Some(d) = systemic.and_then(|t| tr::start_day(t)) {
            to_systemic.push(f64::from(d - m) / MONTH);
        }
    }
    let mut first_rows: Vec<(String, String, u64)> = TreatmentClass::ALL
        .iter()
        .zip(&first)
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| (c.code().to_string(), capitalise(c.label()), *n))
        .collect();
    first_rows.push(("none".into(), "No treatment".into(), first[n_class]));
    let placed = n_metastatic - n_undated;

    // Whole course.
    let any = |f: &dyn Fn(&netra_clinical::registry::model::Treatment) -> bool| {
        courses
            .iter()
            .map(|c| c.treatments.iter().any(f))
            .collect::<Vec<bool>>()
    };
    let sys = any(&|t| tr::kind_of(t) == Some(Kind::Systemic));
    let loc = any(&|t| tr::kind_of(t) == Some(Kind::Local));
    let count = |v: &dyn Fn(usize) -> bool| (0..courses.len()).filter(|&i| v(i)).count() as u64;
    let whole = vec![
        (
            "systemic".to_string(),
            "Any systemic treatment".to_string(),
            count(&|i| sys[i]),
        ),
        (
            "local".into(),
            "Any local treatment".into(),
            count(&|i| loc[i]),
        ),
        (
            "both".into(),
            "Both systemic and local".into(),
            count(&|i| sys[i] && loc[i]),
        ),
    ];

    // Lines.
    let lines = cohort.lines(Censoring::default());
    let per_patient: Vec<f64> = lines
        .iter()
        .filter(|p| !p.lines.is_empty())
        .map(|p| p.lines.len() as f64)
        .collect();
    let mut reach = Vec::new();
    let mut previous = n_patients;
    for k in 1..=req.max_lines {
        let n = lines.iter().filter(|p| p.lines.len() >= k as usize).count() as u64;
        reach.push(LineReachOut {
            line: k,
            n,
            share: share(n, n_patients),
            share_of_previous: share(n, previous),
        });
        previous = n;
    }
    let firsts: Vec<_> = lines.iter().filter_map(|p| p.lines.first()).collect();
    let n_first = firsts.len() as u64;
    let flc = TreatmentClass::ALL
        .iter()
        .map(|c| {
            let n = firsts.iter().filter(|l| l.class == *c).count() as u64;
            (c.code().to_string(), capitalise(c.label()), n)
        })
        .filter(|r| r.2 > 0)
        .collect();
    let mut regimens: BTreeMap<String, u64> = BTreeMap::new();
    for l in &firsts {
        *regimens.entry(l.label()).or_default() += 1;
    }
    let mut regimens: Vec<(String, String, u64)> = regimens
        .into_iter()
        .map(|(r, n)| (r.clone(), r, n))
        .collect();
    regimens.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.0.cmp(&b.0)));

    // Local sessions.
    let mut local_sessions = Vec::new();
    for ty in local_types {
        let mut per = Vec::new();
        let mut intervals = Vec::new();
        let mut sessions = 0u64;
        for c in courses {
            let mut days: Vec<Option<i32>> = c
                .treatments
                .iter()
                .filter(|t| t.kind == ty)
                .map(tr::start_day)
                .collect();
            if days.is_empty() {
                continue;
            }
            sessions += days.len() as u64;
            per.push(days.len() as f64);
            days.sort();
            let dated: Vec<i32> = days.into_iter().flatten().collect();
            intervals.extend(dated.windows(2).map(|w| f64::from(w[1] - w[0]) / MONTH));
        }
        if per.is_empty() && req.local_types.is_empty() {
            continue;
        }
        local_sessions.push(SessionsOut {
            code: ty.code().into(),
            label: ty.label().into(),
            n: per.len() as u64,
            sessions,
            per_patient: SummaryOut::of(&per),
            interval_months: SummaryOut::of(&intervals),
        });
    }

    let is_met = |t: &netra_clinical::registry::model::Treatment| {
        t.kind == TreatmentType::Surgery && t.surgery_type == Some(SurgeryType::Metastasectomy)
    };
    Ok(PatternsOutput {
        n_patients,
        n_metastatic,
        n_undated,
        first_treatment: counts(first_rows, placed),
        modality: counts(
            tr::MODALITY
                .iter()
                .zip(modality)
                .map(|((c, l), n)| ((*c).to_string(), (*l).to_string(), n))
                .collect(),
            placed,
        ),
        whole_course: counts(whole, n_patients),
        months_to_first_systemic: SummaryOut::of(&to_systemic),
        lines_per_patient: SummaryOut::of(&per_patient),
        reach,
        first_line_class: counts(flc, n_first),
        first_line_regimen: counts(regimens, n_first),
        local_sessions,
        metastasectomy_patients: courses
            .iter()
            .filter(|c| c.treatments.iter().any(is_met))
            .count() as u64,
        metastasectomies: courses
            .iter()
            .map(|c| c.treatments.iter().filter(|t| is_met(t)).count() as u64)
            .sum(),
    })
}

/// Treatment patterns (registered as `patterns`).
pub struct Patterns;

impl Analysis for Patterns {
    const NAME: &'static str = "patterns";
    const DESCRIPTION: &'static str = "Treatment patterns: first treatment after metastatic diagnosis, \
         modality, whole-course counts, time to first systemic treatment, lines per patient and \
         line reach, first-line regimens, local-treatment sessions and intervals, metastasectomies";
    type Request = PatternsRequest;
    type Output = PatternsOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        run(cohort, request)
    }
}
