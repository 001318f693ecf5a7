//! Tumour evaluation of registry courses: the seam between the registry's
//! imaging assessments and the response engine ([`crate::response`]).
//!
//! # Mapping (registry → engine)
//! * A registry [`Assessment`](crate::registry::model::Assessment) with its
//!   lesions becomes one engine [`response::Assessment`]; assessments whose
//!   dates impute to the same day are merged (the engine needs one scan per
//!   date; a CT and an MRI on one day are one evaluation) as long as no
//!   lesion is measured in two of them. A lesion measured in two assessments
//!   of one day (a month-only ultrasound imputed to the 15th and a PET/CT on
//!   the 15th) is refused with an error naming both assessments: netra never
//!   chooses one measurement over the other (which one "won" used to depend
//!   on how the assessment ids sort).
//! * Lesion role `target` / `non_target` / `new` → [`LesionKind`] at the
//!   baseline scan of an evaluation, where a `new` lesion (new during an
//!   earlier line) is existing disease and becomes non-target; at a
//!   follow-up scan a lesion keeps its baseline classification whatever role
//!   the registry records there (targets are re-selected at a later line's
//!   baseline), and a lesion absent from the baseline is new.
//! * Status `present` / `absent` / `unequivocal_progression` →
//!   [`LesionStatus`] `Present` / `Absent` / `Progression`; organ
//!   `lymph_node` sets `is_node`; sizes are copied.
//! * The investigator's response (`assessment.investigator_response`) is
//!   read as the [`Category`] of the same name.
//!
//! # One evaluation ([`evaluate_segment`])
//! An evaluation follows one period of treatment (a line of therapy) or of
//! observation (before the first line): the baseline is the last assessment
//! on or before the period's start, no more than
//! [`EvaluationRules::baseline_window_days`] before it; the follow-ups are
//! the assessments after the start up to and including the end of the
//! period (the start of the next line), plus any assessment linked to one of
//! the period's treatments. When the baseline has lesions the engine judges
//! the follow-ups (time-point responses, best overall response, first date
//! of response and of progression); otherwise, or when the engine cannot use
//! the lesions (its error is kept as a note), the investigator's responses
//! are used, SD counting only from `sd_min_days` after the start.
//!
//! `netra response --db` and lines of therapy both go through this module,
//! so a line's best response is the one `netra response` prints for it.

use crate::registry::date::Imputed;
use crate::registry::model::{Assessment as RegAssessment, Lesion, PatientCourse};
use crate::registry::order::KnownOrder;
use crate::registry::vocab::{
    LesionRole, LesionStatus as RegStatus, Organ, Response as RegResponse, Vocabulary,
};
use crate::registry::{Day, Imputation};
use crate::response::{
    self, BestOptions, Category, Date, LesionKind, LesionStatus, Measurement, PatientLesions,
    ResponseError, Rules,
};

/// Which records say that the disease progressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum ProgressionSource {
    /// Either the lesion measurements (judged by the criteria) or the
    /// investigator's recorded response, whichever dates progression first.
    #[default]
    Both,
    /// Only the lesion measurements, judged by the criteria.
    Lesions,
    /// Only the investigator's recorded response.
    Investigator,
}

impl ProgressionSource {
    /// The code used on the command line and in JSON.
    pub fn code(self) -> &'static str {
        match self {
            ProgressionSource::Both => "both",
            ProgressionSource::Lesions => "lesions",
            ProgressionSource::Investigator => "investigator",
        }
    }

    fn lesions(self) -> bool {
        self != ProgressionSource::Investigator
    }

    fn investigator(self) -> bool {
        self != ProgressionSource::Lesions
    }
}

impl std::str::FromStr for ProgressionSource {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "both" => Ok(ProgressionSource::Both),
            "lesions" => Ok(ProgressionSource::Lesions),
            "investigator" => Ok(ProgressionSource::Investigator),
            _ => Err(format!(
                "unknown progression source '{s}' (use both, lesions or investigator)"
            )),
        }
    }
}

/// How registry assessments are judged.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationRules {
    /// The response criterion applied to the lesions (RECIST 1.1 by default).
    pub criteria: Rules,
    /// Best-overall-response options (no confirmation, SD from 6 weeks).
    pub best: BestOptions,
    /// The baseline is the last assessment on or before the start and at
    /// most this many days before it (default 60: RECIST asks for 4 weeks,
    /// routine care is slower).
    pub baseline_window_days: i32,
    /// Which records date progression.
    pub progression: ProgressionSource,
    /// The partial-date rule.
    pub imputation: Imputation,
}

impl Default for EvaluationRules {
    fn default() -> Self {
        EvaluationRules {
            criteria: response::recist::rules(),
            best: BestOptions::default(),
            baseline_window_days: 60,
            progression: ProgressionSource::Both,
            imputation: Imputation::MidPoint,
        }
    }
}

/// Where a best response came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseSource {
    /// The lesion measurements, judged by the criteria.
    Lesions,
    /// The investigator's recorded responses.
    Investigator,
}

impl ResponseSource {
    /// Code for output.
    pub fn code(self) -> &'static str {
        match self {
            ResponseSource::Lesions => "lesions",
            ResponseSource::Investigator => "investigator",
        }
    }
}

/// One time point of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvaluatedScan {
    /// The scan's day.
    pub day: Imputed,
    /// Its overall response (NE when not evaluable).
    pub response: Category,
}

/// The evaluation of one period (a line, or observation before treatment).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Baseline scan day (None: no baseline in the window).
    pub baseline: Option<Imputed>,
    /// The baseline had measurable (target) disease. `None` when the
    /// response came from the investigator (measurability not recorded).
    pub measurable: Option<bool>,
    /// Best overall response (None: no follow-up assessment).
    pub best: Option<Category>,
    /// Where the best response came from.
    pub source: Option<ResponseSource>,
    /// Follow-up time points, in date order, after source merging.
    pub scans: Vec<EvaluatedScan>,
    /// First day progression was seen (by the chosen source(s)).
    pub progression: Option<Imputed>,
    /// First day CR/PR criteria were met.
    pub first_response: Option<Imputed>,
    /// Why lesions could not be used (engine error), if they could not.
    pub note: Option<String>,
}

impl Evaluation {
    fn empty() -> Self {
        Evaluation {
            baseline: None,
            measurable: None,
            best: None,
            source: None,
            scans: Vec::new(),
            progression: None,
            first_response: None,
            note: None,
        }
    }

    /// True when the line counts in response rates as a paper counts it:
    /// measurable disease at baseline (or a recorded investigator response)
    /// and a best response other than NE.
    pub fn evaluable(&self) -> bool {
        self.measurable != Some(false) && matches!(self.best, Some(c) if c != Category::NE)
    }
}

/// A patient's assessments with their analysis days, merged by day and in
/// date order: the input of [`evaluate_segment`]. Build once per patient.
#[derive(Debug, Clone)]
pub struct Scans<'a> {
    /// Patient code.
    pub patient: &'a str,
    /// One entry per distinct day.
    pub days: Vec<ScanDay<'a>>,
}

/// The assessments of one day.
#[derive(Debug, Clone)]
pub struct ScanDay<'a> {
    /// The day (imputed when the date lacked the day).
    pub day: Imputed,
    /// The registry assessments of that day.
    pub assessments: Vec<&'a RegAssessment>,
}

impl ScanDay<'_> {
    /// The investigator's response of the day: the worst recorded one (PD
    /// if any assessment says PD; NE only when every recorded response is
    /// NE). Two assessments of one day with different responses must not
    /// depend on how their ids sort, and the worse reading is the safe one.
    pub fn investigator(&self) -> Option<Category> {
        self.assessments
            .iter()
            .filter_map(|a| a.investigator_response.map(category_of))
            .max_by_key(|c| match c {
                Category::NE => 0,
                c => 1 + c.rank(),
            })
    }

    fn has_lesions(&self) -> bool {
        self.assessments.iter().any(|a| !a.lesions.is_empty())
    }

    fn lesions(&self) -> impl Iterator<Item = &Lesion> {
        self.assessments.iter().flat_map(|a| a.lesions.iter())
    }

    fn linked_to(&self, treatments: &[&str]) -> bool {
        self.assessments.iter().any(|a| {
            a.treatment
                .as_deref()
                .is_some_and(|t| treatments.contains(&t))
        })
    }
}

impl<'a> Scans<'a> {
    /// Sorts and merges a course's assessments under `imputation`.
    /// Partial dates are imputed within the patient's known order
    /// ([`KnownOrder`]: not before diagnosis, not after death or the last
    /// follow-up).
    pub fn new(course: &'a PatientCourse, imputation: Imputation) -> Scans<'a> {
        let order = KnownOrder::of(&course.patient, imputation);
        let mut v: Vec<(Imputed, &RegAssessment)> = course
            .assessments
            .iter()
            .map(|a| (order.impute_in(&a.date, &a.date_bounds), a))
            .collect();
        v.sort_by_key(|(d, a)| (d.day, a.id.as_str()));
        let mut days: Vec<ScanDay<'a>> = Vec::with_capacity(v.len());
        for (d, a) in v {
            match days.last_mut() {
                Some(last) if last.day.day == d.day => {
                    last.day.imputed |= d.imputed;
                    last.assessments.push(a);
                }
                _ => days.push(ScanDay {
                    day: d,
                    assessments: vec![a],
                }),
            }
        }
        Scans {
            patient: &course.patient.code,
            days,
        }
    }
}

/// The engine's category for an investigator's recorded response.
pub fn category_of(r: RegResponse) -> Category {
    match r {
        RegResponse::Cr => Category::CR,
        RegResponse::Pr => Category::PR,
        RegResponse::Mr => Category::MR,
        RegResponse::Sd => Category::SD,
        RegResponse::Pd => Category::PD,
        RegResponse::NonCrNonPd => Category::NonCrNonPd,
        RegResponse::Ne => Category::NE,
    }
}

/// The engine's date for a registry day.
pub fn date_of(day: Day) -> Date {
    let (y, m, d) = day.ymd();
    // Every Day is a valid calendar date, so this cannot fail; fall back to
    // the epoch rather than panic.
    Date::from_ymd(y, m, d).unwrap_or_else(|| Date::from_ymd(1970, 1, 1).expect("epoch"))
}

fn day_of(date: Date) -> Day {
    Day(date.days_since_epoch())
}

/// One registry lesion as an engine measurement. At the baseline its role
/// decides (a `new` lesion there is existing disease: non-target); at a
/// follow-up the lesion keeps its baseline classification (`baseline_kind`;
/// a registry may re-select targets at a later line's baseline, which
/// does not change how this period's lesions are judged), and a lesion
/// unknown at baseline is new.
pub fn measurement(
    l: &Lesion,
    at_baseline: bool,
    baseline_kind: Option<LesionKind>,
) -> Measurement {
    let kind = match (at_baseline, baseline_kind) {
        (true, _) => match l.role {
            LesionRole::Target => LesionKind::Target,
            LesionRole::NonTarget | LesionRole::New => LesionKind::NonTarget,
        },
        (false, Some(k)) => k,
        (false, None) => LesionKind::New,
    };
    Measurement {
        lesion: l.id.clone(),
        organ: l.organ.code().to_string(),
        kind: Some(kind),
        longest_mm: l.longest_mm,
        perpendicular_mm: l.perpendicular_mm,
        short_axis_mm: l.short_axis_mm,
        is_node: l.organ == Organ::LymphNode,
        attenuation_hu: l.attenuation_hu,
        viable_mm: l.viable_mm,
        status: l.status.map(|s| match s {
            RegStatus::Present => LesionStatus::Present,
            RegStatus::Absent => LesionStatus::Absent,
            RegStatus::UnequivocalProgression => LesionStatus::Progression,
        }),
        source_line: None,
        modality: None,
    }
}

/// The engine input for a baseline scan and its follow-ups.
///
/// Refused ([`ResponseError::Lesion`]) when a lesion is measured in two
/// assessments of one day: the message names both assessments and their
/// recorded dates, and no measurement is dropped in favour of the other.
pub fn patient_lesions(
    patient: &str,
    baseline: &ScanDay<'_>,
    follow: &[&ScanDay<'_>],
) -> Result<PatientLesions, ResponseError> {
    let mut base: Vec<(&str, LesionKind)> = Vec::new();
    let mut assessments = Vec::with_capacity(follow.len() + 1);
    let mut ms = Vec::new();
    for (l, a) in day_lesions(patient, baseline)? {
        let mut m = measurement(l, true, None);
        m.modality = Some(a.modality.code().to_string());
        base.push((l.id.as_str(), m.kind.unwrap_or(LesionKind::NonTarget)));
        ms.push(m);
    }
    assessments.push(response::Assessment {
        date: date_of(baseline.day.day),
        measurements: ms,
    });
    for f in follow {
        let mut ms = Vec::new();
        for (l, a) in day_lesions(patient, f)? {
            let kind = base.iter().find(|(id, _)| *id == l.id).map(|(_, k)| *k);
            if kind.is_none()
                && let Some((like, _)) = base.iter().find(|(id, _)| same_but_case(id, &l.id))
            {
                // `l1` typed for `L1` would be a new lesion, and progression.
                return Err(ResponseError::Lesion {
                    patient: patient.to_string(),
                    lesion: l.id.clone(),
                    date: date_of(f.day.day),
                    line: None,
                    reason: format!(
                        "not in the baseline, which has '{like}': identifiers differ only in upper/lower \
                         case; use '{like}' for the same lesion, or another identifier (role 'new') for a new one"
                    ),
                });
            }
            let mut m = measurement(l, false, kind);
            m.modality = Some(a.modality.code().to_string());
            ms.push(m);
        }
        assessments.push(response::Assessment {
            date: date_of(f.day.day),
            measurements: ms,
        });
    }
    Ok(PatientLesions {
        patient: patient.to_string(),
        assessments,
    })
}

/// Two identifiers equal but for upper/lower case (`l1`, `L1`).
pub fn same_but_case(a: &str, b: &str) -> bool {
    a != b && a.to_lowercase() == b.to_lowercase()
}

/// The lesions of one day, each once; a lesion in two assessments of the
/// day is an error naming both.
fn day_lesions<'a>(
    patient: &str,
    day: &ScanDay<'a>,
) -> Result<Vec<(&'a Lesion, &'a RegAssessment)>, ResponseError> {
    let mut out: Vec<(&'a Lesion, &'a RegAssessment)> = Vec::new();
    for a in &day.assessments {
        for l in &a.lesions {
            if let Some((_, first)) = out.iter().find(|(x, _)| x.id == l.id) {
                return Err(ResponseError::Lesion {
                    patient: patient.to_string(),
                    lesion: l.id.clone(),
                    date: date_of(day.day.day),
                    line: None,
                    reason: format!(
                        "measured in two assessments of this day, '{}' ({}, dated {}) and '{}' ({}, dated {}); \
                         a lesion is measured once per day: give the assessments their exact dates or remove one \
                         (netra does not choose between the measurements)",
                        first.id,
                        first.modality.code(),
                        first.date,
                        a.id,
                        a.modality.code(),
                        a.date
                    ),
                });
            }
            out.push((l, a));
        }
    }
    Ok(out)
}

/// Higher is better (the reverse of [`Category::rank`]), for `max_by_key`.
fn rank(c: Category) -> u8 {
    6 - c.rank()
}

/// The baseline and follow-up scans of the period starting at `start` and
/// ending at `until` (inclusive; `None`: open) whose treatments are
/// `treatments` (ids): the rule of the module documentation.
pub fn segment_scans<'s, 'a>(
    scans: &'s Scans<'a>,
    start: Day,
    until: Option<Day>,
    treatments: &[&str],
    rules: &EvaluationRules,
) -> (Option<&'s ScanDay<'a>>, Vec<&'s ScanDay<'a>>) {
    let baseline = scans
        .days
        .iter()
        .rev()
        .find(|s| s.day.day <= start && start.0 - s.day.day.0 <= rules.baseline_window_days);
    let follow: Vec<&ScanDay<'_>> = scans
        .days
        .iter()
        .filter(|s| {
            s.day.day > start && (until.is_none_or(|u| s.day.day <= u) || s.linked_to(treatments))
        })
        .collect();
    (baseline, follow)
}

/// The response engine's input for a period (see [`segment_scans`]): the
/// baseline with lesions and the follow-ups with lesions; `None` when the
/// baseline has no lesion, an error when a day's assessments measure one
/// lesion twice ([`patient_lesions`]). `netra response --db` assesses these.
pub fn segment_lesions(
    scans: &Scans<'_>,
    start: Day,
    until: Option<Day>,
    treatments: &[&str],
    rules: &EvaluationRules,
) -> Option<Result<PatientLesions, ResponseError>> {
    let (baseline, follow) = segment_scans(scans, start, until, treatments, rules);
    let b = baseline.filter(|b| b.has_lesions())?;
    let with: Vec<&ScanDay<'_>> = follow.into_iter().filter(|s| s.has_lesions()).collect();
    Some(patient_lesions(scans.patient, b, &with))
}

/// Evaluates the period starting at `start` and ending at `until`
/// (inclusive; `None`: open), whose treatments are `treatments` (ids).
pub fn evaluate_segment(
    scans: &Scans<'_>,
    start: Day,
    until: Option<Day>,
    treatments: &[&str],
    rules: &EvaluationRules,
) -> Evaluation {
    let mut ev = Evaluation::empty();
    let baseline = scans
        .days
        .iter()
        .rev()
        .find(|s| s.day.day <= start && start.0 - s.day.day.0 <= rules.baseline_window_days);
    let follow: Vec<&ScanDay<'_>> = scans
        .days
        .iter()
        .filter(|s| {
            s.day.day > start && (until.is_none_or(|u| s.day.day <= u) || s.linked_to(treatments))
        })
        .collect();
    ev.baseline = baseline.map(|b| b.day);
    if follow.is_empty() {
        if let Some(b) = baseline
            && b.has_lesions()
        {
            ev.measurable = Some(b.lesions().any(|l| l.role == LesionRole::Target));
        }
        return ev;
    }
    // Lesions first.
    let mut lesion_scans: Option<Vec<EvaluatedScan>> = None;
    if rules.progression.lesions()
        && let Some(b) = baseline
        && b.has_lesions()
    {
        let with_lesions: Vec<&ScanDay<'_>> =
            follow.iter().copied().filter(|s| s.has_lesions()).collect();
        let assessed = patient_lesions(scans.patient, b, &with_lesions)
            .and_then(|input| response::assess(&input, &rules.criteria, &rules.best));
        match assessed {
            Ok(r) => {
                ev.measurable = Some(!r.targets.is_empty());
                ev.best = Some(r.best.category);
                ev.source = Some(ResponseSource::Lesions);
                ev.progression = r
                    .best
                    .progression_date
                    .map(|d| imputed_at(&follow, day_of(d)));
                ev.first_response = r
                    .best
                    .first_response_date
                    .map(|d| imputed_at(&follow, day_of(d)));
                lesion_scans = Some(
                    r.timepoints
                        .iter()
                        .map(|t| EvaluatedScan {
                            day: imputed_at(&follow, day_of(t.date)),
                            response: t.overall,
                        })
                        .collect(),
                );
            }
            Err(e) => ev.note = Some(e.to_string()),
        }
    }
    // The investigator's responses: the source when lesions gave none, and
    // a second source of progression and adequacy under `Both`.
    let inv: Vec<EvaluatedScan> = if rules.progression.investigator() {
        follow
            .iter()
            .filter_map(|s| {
                s.investigator().map(|c| EvaluatedScan {
                    day: s.day,
                    response: c,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    if lesion_scans.is_none() && !inv.is_empty() {
        let mut best: Option<Category> = None;
        for s in &inv {
            let c = s.response;
            let counts = match c {
                Category::SD | Category::NonCrNonPd => {
                    s.day.day.0 - start.0 >= rules.best.sd_min_days
                }
                _ => true,
            };
            if counts && best.is_none_or(|b| rank(c) > rank(b)) {
                best = Some(c);
            }
            if c == Category::PD {
                break;
            }
        }
        ev.best = Some(best.unwrap_or(Category::NE));
        ev.source = Some(ResponseSource::Investigator);
        ev.first_response = inv
            .iter()
            .take_while(|s| s.response != Category::PD)
            .find(|s| matches!(s.response, Category::CR | Category::PR))
            .map(|s| s.day);
    }
    let inv_pd = inv
        .iter()
        .find(|s| s.response == Category::PD)
        .map(|s| s.day);
    ev.progression = match (ev.progression, inv_pd) {
        (Some(a), Some(b)) => Some(if b.day < a.day { b } else { a }),
        (a, b) => a.or(b),
    };
    // Merge time points: a day is adequate when either source judged it.
    let mut merged: Vec<EvaluatedScan> = lesion_scans.unwrap_or_default();
    for s in inv {
        match merged.iter_mut().find(|m| m.day.day == s.day.day) {
            Some(m) => {
                if m.response == Category::NE || s.response == Category::PD {
                    m.response = s.response;
                }
            }
            None => merged.push(s),
        }
    }
    merged.sort_by_key(|s| s.day.day);
    ev.scans = merged;
    ev
}

fn imputed_at(follow: &[&ScanDay<'_>], day: Day) -> Imputed {
    follow
        .iter()
        .find(|s| s.day.day == day)
        .map(|s| s.day)
        .unwrap_or(Imputed {
            day,
            imputed: false,
        })
}
