//! Time-to-event endpoints derived from registry courses: one row per
//! patient and endpoint (per line with `line:all`), each with its time
//! zero, event or censoring, the dates and descriptions behind them and the
//! number of imputed dates.
//!
//! * [`spec`] — endpoints, time zeros, units, censoring options, EFS events;
//! * [`adtte`] — CDISC ADaM ADTTE rows (export) and their reading back;
//! * this module — the derivation ([`derive_endpoint`], [`derive_cohort`])
//!   and the per-line TTP/PFS of [`crate::lines`] ([`line_outcomes`]).
//!
//! Every censoring rule is documented in `docs/endpoints.md`; the short
//! version:
//! * times are `(end − time zero)` in days of the imputed dates, divided by
//!   the unit (months of 30.4375 days, years of 365.25);
//! * partial dates get a day by the registry's rule
//!   ([`crate::registry::Imputation`], mid-point by default); each row counts
//!   how many of its two dates (time zero, end) were imputed;
//! * progression is the first progression dated after time zero (lesions by
//!   the criteria and/or the investigator, [`crate::evaluation`]); death
//!   counts from time zero on;
//! * progression-based endpoints are censored at the last adequate
//!   assessment (a scan with a response other than NE) after time zero, or
//!   at time zero without one; optionally at the last follow-up instead;
//! * with `censor_at_new_therapy`, events after the start of a new
//!   anticancer therapy are not counted and the patient is censored at the
//!   last adequate assessment on or before it (survival endpoints: at its
//!   start);
//! * OS and other follow-up-based endpoints are censored at the last
//!   follow-up date (or, when it is missing, the latest dated record).

pub mod adtte;
pub mod spec;

pub use spec::{
    Censoring, DAYS_PER_MONTH, DAYS_PER_YEAR, EfsEvents, Endpoint, EndpointSpec, SpecError,
    TimeZero, TreatmentSelector, Units,
};

use crate::evaluation::{EvaluationRules, ProgressionSource, Scans, evaluate_segment};
use crate::lines::{Line, LineEnd, LineRules, LineTime, PatientLines, derive_lines_with};
use crate::registry::date::Imputed;
use crate::registry::model::PatientCourse;
use crate::registry::order::{DateClamp, KnownOrder, clamped_dates};
use crate::registry::vocab::{Attribution, SymptomChange, VitalStatus, Vocabulary};
use crate::registry::{Day, Imputation, PartialDate};
use crate::response::Category;

/// One derived endpoint row.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointRow {
    /// Patient code.
    pub patient: String,
    /// The endpoint.
    pub endpoint: Endpoint,
    /// Time zero (a `line:all` row carries its own `line:K`).
    pub from: TimeZero,
    /// The line the row is about (time zero's line, or the index line of
    /// TTF, DoR and PFS2), if any.
    pub line: Option<u32>,
    /// Time in the spec's units.
    pub time: f64,
    /// Whole days from start to end.
    pub days: i32,
    /// True for an event, false when censored.
    pub event: bool,
    /// Time zero's day (for DoR: the first response).
    pub start: Imputed,
    /// Day of the event or censoring.
    pub end: Imputed,
    /// What happened: the event, or why and where the patient is censored.
    pub description: String,
    /// How many of the two dates (start, end) were imputed (0–2).
    pub imputed_dates: u32,
}

/// A patient (or a patient's line) without a row, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// Patient code.
    pub patient: String,
    /// The line concerned, if any.
    pub line: Option<u32>,
    /// Why no row was derived.
    pub reason: String,
}

/// The rows and exclusions of one patient.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PatientEndpoints {
    /// Derived rows.
    pub rows: Vec<EndpointRow>,
    /// Exclusions.
    pub excluded: Vec<Exclusion>,
}

/// The rows of a cohort.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CohortEndpoints {
    /// Derived rows, in course order.
    pub rows: Vec<EndpointRow>,
    /// Exclusions, in course order.
    pub excluded: Vec<Exclusion>,
    /// Dates imputed over all rows.
    pub imputed_dates: u64,
    /// Partial dates whose imputed day was moved to respect the patient's
    /// known order of events (`registry::order`), in course order: output
    /// shows them as warnings.
    pub clamped_dates: Vec<DateClamp>,
}

/// Facts of one patient that every endpoint reads, on analysis days.
struct Facts<'c> {
    course: &'c PatientCourse,
    imp: Imputation,
    death: Option<Imputed>,
    /// Last follow-up (at least the death day), with its description.
    last: Option<(Imputed, &'static str)>,
    /// Progression days, sorted, with the source's words.
    progressions: Vec<(Imputed, &'static str)>,
    /// Adequate assessment days, sorted.
    adequate: Vec<Imputed>,
    /// Starts of anticancer therapies: (day, line number or 0 for local,
    /// label).
    therapies: Vec<(Imputed, u32, String)>,
}

impl<'c> Facts<'c> {
    fn new(
        course: &'c PatientCourse,
        lines: &PatientLines,
        scans: &Scans<'_>,
        rules: &EvaluationRules,
    ) -> Facts<'c> {
        let imp = rules.imputation;
        let p = &course.patient;
        let death = crate::lines::death_day(course, imp);
        // The last follow-up: the recorded date, moved later when a record
        // shows the patient alive after it (then counted as not imputed),
        // and never before death.
        let mut last = p.last_followup_date.map(|d| d.impute(imp));
        if let Some(alive) = crate::lines::last_known_alive(course, imp)
            && last.is_none_or(|l| l.day < alive)
            && !p.is_dead()
        {
            last = Some(Imputed {
                day: alive,
                imputed: false,
            });
        }
        if last.is_none() && !p.is_dead() {
            last = latest_record(course).map(|d| d.impute(imp));
        }
        if let Some(d) = death
            && last.is_none_or(|l| l.day != d.day)
        {
            last = Some(d);
        }
        let last = last.map(|l| {
            let why = match p.vital_status {
                VitalStatus::Dead => "death",
                VitalStatus::Alive => "alive at last follow-up",
                VitalStatus::LostToFollowUp => "lost to follow-up",
                VitalStatus::Unknown => "last follow-up (vital status unknown)",
            };
            (l, why)
        });

        let mut progressions: Vec<(Imputed, &'static str)> = Vec::new();
        let mut adequate: Vec<Imputed> = Vec::new();
        // Observation before the first line (or without any line).
        let first_start = lines.lines.first().map(|l| l.start.day);
        if let Some(first) = scans.days.first()
            && first_start.is_none_or(|s| first.day.day < s)
        {
            let ev = evaluate_segment(scans, first.day.day, first_start, &[], rules);
            collect(&ev, &mut progressions, &mut adequate);
        }
        for l in &lines.lines {
            collect(&l.evaluation, &mut progressions, &mut adequate);
        }
        if rules.progression != ProgressionSource::Lesions {
            for s in &scans.days {
                match s.investigator() {
                    Some(Category::PD) => progressions.push((s.day, "progression (investigator)")),
                    Some(Category::NE) | None => {}
                    Some(_) => adequate.push(s.day),
                }
            }
        }
        progressions.sort_by_key(|(d, _)| d.day);
        progressions.dedup_by_key(|(d, _)| d.day);
        adequate.sort_by_key(|d| d.day);
        adequate.dedup_by_key(|d| d.day);

        let mut therapies: Vec<(Imputed, u32, String)> = lines
            .lines
            .iter()
            .map(|l| {
                (
                    l.start,
                    l.number,
                    format!("line {}: {}", l.number, l.label()),
                )
            })
            .chain(
                lines
                    .local
                    .iter()
                    .map(|i| (i.start, 0, format!("local: {}", i.kind))),
            )
            .collect();
        therapies.sort_by_key(|t| t.0.day);
        Facts {
            course,
            imp,
            death,
            last,
            progressions,
            adequate,
            therapies,
        }
    }

    fn day(&self, d: PartialDate) -> Imputed {
        KnownOrder::of(&self.course.patient, self.imp).impute(&d)
    }

    /// [`Facts::day`] of a date recorded with bounds.
    fn day_in(&self, d: PartialDate, b: &crate::registry::DateBounds) -> Imputed {
        KnownOrder::of(&self.course.patient, self.imp).impute_in(&d, b)
    }

    /// First progression after `after`, on or before `until`.
    fn progression(&self, after: Day, until: Option<Day>) -> Option<(Imputed, &'static str)> {
        self.progressions
            .iter()
            .find(|(d, _)| d.day > after && until.is_none_or(|u| d.day <= u))
            .copied()
    }

    /// Last adequate assessment after `after`, on or before `until`.
    fn last_adequate(&self, after: Day, until: Option<Day>) -> Option<Imputed> {
        self.adequate
            .iter()
            .rev()
            .find(|d| d.day > after && until.is_none_or(|u| d.day <= u))
            .copied()
    }

    /// First new anticancer therapy after `t0` other than line `index`.
    fn new_therapy(&self, t0: Day, index: Option<u32>) -> Option<(Imputed, &str)> {
        self.therapies
            .iter()
            .find(|(d, n, _)| d.day > t0 && (*n == 0 || Some(*n) != index))
            .map(|(d, _, s)| (*d, s.as_str()))
    }
}

fn collect(
    ev: &crate::evaluation::Evaluation,
    progressions: &mut Vec<(Imputed, &'static str)>,
    adequate: &mut Vec<Imputed>,
) {
    if let Some(p) = ev.progression {
        progressions.push((
            p,
            match ev.source {
                Some(crate::evaluation::ResponseSource::Investigator) => {
                    "progression (investigator)"
                }
                _ => "progression",
            },
        ));
    }
    for s in &ev.scans {
        if s.response != Category::NE {
            adequate.push(s.day);
        }
    }
}

/// The latest date recorded anywhere in a course (last follow-up fallback).
fn latest_record(c: &PatientCourse) -> Option<PartialDate> {
    let mut best: Option<PartialDate> = None;
    let mut see = |d: Option<PartialDate>| {
        if let Some(d) = d
            && best.is_none_or(|b| b.latest() < d.latest())
        {
            best = Some(d);
        }
    };
    see(c.patient.entry_date);
    see(c.patient.metastatic_date);
    see(c.patient.diagnosis_date);
    for t in &c.treatments {
        see(t.start_date);
        see(t.end_date);
    }
    for a in &c.assessments {
        see(Some(a.date));
    }
    for b in &c.biomarkers {
        see(Some(b.date));
    }
    for s in &c.clinical_status {
        see(Some(s.date));
    }
    for e in &c.adverse_events {
        see(e.onset_date);
    }
    best
}

/// Derives one endpoint for one patient whose lines are already derived
/// (with the same [`LineRules`]).
pub fn derive_endpoint(
    course: &PatientCourse,
    lines: &PatientLines,
    spec: &EndpointSpec,
    rules: &LineRules,
) -> PatientEndpoints {
    let scans = Scans::new(course, rules.imputation());
    let facts = Facts::new(course, lines, &scans, &rules.evaluation);
    derive_with_facts(&facts, lines, spec)
}

/// Derives lines and one endpoint for every course (in parallel over
/// patients; the result is in course order and does not depend on the
/// number of threads).
pub fn derive_cohort(
    courses: &[PatientCourse],
    spec: &EndpointSpec,
    rules: &LineRules,
) -> CohortEndpoints {
    let per = par_map(courses, |c| {
        let scans = Scans::new(c, rules.imputation());
        let lines = derive_lines_with(c, &scans, rules);
        let facts = Facts::new(c, &lines, &scans, &rules.evaluation);
        derive_with_facts(&facts, &lines, spec)
    });
    let mut out = CohortEndpoints::default();
    for c in courses {
        out.clamped_dates
            .extend(clamped_dates(c, rules.imputation()));
    }
    for pe in per {
        out.imputed_dates += pe
            .rows
            .iter()
            .map(|r| u64::from(r.imputed_dates))
            .sum::<u64>();
        out.rows.extend(pe.rows);
        out.excluded.extend(pe.excluded);
    }
    out
}

/// Maps `f` over `items` on the available cores (scoped threads over
/// contiguous chunks), keeping the order. Derivation is per patient and
/// pure, so a cohort splits without coordination.
pub fn par_map<T: Sync, U: Send>(items: &[T], f: impl Fn(&T) -> U + Sync) -> Vec<U> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(items.len() / 256 + 1);
    if threads <= 1 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<U>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            match h.join() {
                Ok(v) => out.extend(v),
                // A panic in derivation is a bug; surface it on this thread.
                Err(e) => std::panic::resume_unwind(e),
            }
        }
        out
    })
}

/// Derives a patient's lines with each line's TTP and PFS filled in
/// (censoring at the last adequate assessment, no censoring at new therapy,
/// days in [`LineTime`]).
pub fn line_outcomes(course: &PatientCourse, rules: &LineRules) -> PatientLines {
    line_outcomes_with(course, rules, Censoring::LastAdequateAssessment)
}

/// [`line_outcomes`] with a chosen censoring rule.
pub fn line_outcomes_with(
    course: &PatientCourse,
    rules: &LineRules,
    censoring: Censoring,
) -> PatientLines {
    let scans = Scans::new(course, rules.imputation());
    let mut lines = derive_lines_with(course, &scans, rules);
    let facts = Facts::new(course, &lines, &scans, &rules.evaluation);
    let mut times: Vec<(Option<LineTime>, Option<LineTime>)> = Vec::new();
    for l in &lines.lines {
        let get = |e: Endpoint| {
            let mut spec = EndpointSpec::new(e, TimeZero::Line(l.number));
            spec.units = Units::Days;
            spec.censoring = censoring;
            derive_with_facts(&facts, &lines, &spec)
                .rows
                .into_iter()
                .next()
                .map(|r| LineTime {
                    days: r.days,
                    event: r.event,
                    end: r.end,
                    description: r.description,
                })
        };
        times.push((get(Endpoint::Ttp), get(Endpoint::Pfs)));
    }
    for (l, (ttp, pfs)) in lines.lines.iter_mut().zip(times) {
        l.ttp = ttp;
        l.pfs = pfs;
    }
    lines
}

/// One time zero resolved: its day, the index line, the row's line.
struct Origin<'l> {
    t0: Imputed,
    index: Option<&'l Line>,
    from: TimeZero,
}

fn origins<'l>(
    facts: &Facts<'_>,
    lines: &'l PatientLines,
    from: TimeZero,
) -> Result<Vec<Origin<'l>>, String> {
    let p = &facts.course.patient;
    let first_line_from = |t0: Imputed| lines.lines.iter().find(|l| l.start.day >= t0.day);
    let none = crate::registry::DateBounds::NONE;
    let dated = |d: Option<PartialDate>,
                 b: &crate::registry::DateBounds,
                 what: &str|
     -> Result<Imputed, String> {
        d.map(|d| facts.day_in(d, b))
            .ok_or_else(|| format!("no {what} date"))
    };
    Ok(match from {
        TimeZero::Diagnosis | TimeZero::Metastatic | TimeZero::Entry => {
            let t0 = match from {
                TimeZero::Diagnosis => dated(p.diagnosis_date, &p.diagnosis_bounds, "diagnosis")?,
                TimeZero::Metastatic => dated(
                    p.metastatic_date,
                    &p.metastatic_bounds,
                    "metastatic diagnosis",
                )?,
                _ => dated(p.entry_date, &none, "study entry")?,
            };
            vec![Origin {
                t0,
                index: first_line_from(t0),
                from,
            }]
        }
        TimeZero::Line(k) => {
            let l = lines
                .line(k)
                .ok_or_else(|| format!("no line {k} of therapy"))?;
            vec![Origin {
                t0: l.start,
                index: Some(l),
                from,
            }]
        }
        TimeZero::EachLine => {
            if lines.lines.is_empty() {
                return Err("no line of therapy".into());
            }
            lines
                .lines
                .iter()
                .map(|l| Origin {
                    t0: l.start,
                    index: Some(l),
                    from: TimeZero::Line(l.number),
                })
                .collect()
        }
        TimeZero::Treatment(sel) => {
            let t = facts
                .course
                .treatments
                .iter()
                .filter(|t| match sel {
                    TreatmentSelector::Agent(a) => t.agents.iter().any(|x| x.agent == a),
                    TreatmentSelector::Type(ty) => t.kind == ty,
                })
                .filter_map(|t| t.start_date.map(|d| (facts.day_in(d, &t.start_bounds), t)))
                .min_by_key(|(d, t)| (d.day, t.id.clone()))
                .ok_or_else(|| format!("no dated treatment with {}", sel.code()))?;
            let index = lines
                .lines
                .iter()
                .find(|l| l.treatments.contains(&t.1.id))
                .or_else(|| first_line_from(t.0));
            vec![Origin {
                t0: t.0,
                index,
                from,
            }]
        }
    })
}

fn derive_with_facts(
    facts: &Facts<'_>,
    lines: &PatientLines,
    spec: &EndpointSpec,
) -> PatientEndpoints {
    let patient = &facts.course.patient.code;
    let mut out = PatientEndpoints::default();
    let origins = match origins(facts, lines, spec.from) {
        Ok(o) => o,
        Err(reason) => {
            out.excluded.push(Exclusion {
                patient: patient.clone(),
                line: None,
                reason,
            });
            return out;
        }
    };
    for o in origins {
        let line = match (o.from, o.index) {
            (TimeZero::Line(k), _) => Some(k),
            (_, Some(l))
                if matches!(
                    spec.endpoint,
                    Endpoint::Ttf | Endpoint::Dor | Endpoint::Pfs2
                ) =>
            {
                Some(l.number)
            }
            _ => None,
        };
        match one(facts, lines, spec, &o) {
            Ok((start, end, _, _)) if end.day < start.day => out.excluded.push(Exclusion {
                patient: patient.clone(),
                line,
                reason: format!(
                    "{} ({}) is before its start ({})",
                    spec.endpoint.code(),
                    end.day,
                    start.day
                ),
            }),
            Ok((start, end, event, description)) => {
                let days = start.day.days_until(end.day);
                out.rows.push(EndpointRow {
                    patient: patient.clone(),
                    endpoint: spec.endpoint,
                    from: o.from,
                    line,
                    time: f64::from(days) / spec.units.days(),
                    days,
                    event,
                    start,
                    end,
                    description,
                    imputed_dates: u32::from(start.imputed) + u32::from(end.imputed),
                })
            }
            Err(reason) => out.excluded.push(Exclusion {
                patient: patient.clone(),
                line,
                reason,
            }),
        }
    }
    out
}

type Outcome = Result<(Imputed, Imputed, bool, String), String>;

fn one(facts: &Facts<'_>, lines: &PatientLines, spec: &EndpointSpec, o: &Origin<'_>) -> Outcome {
    let t0 = o.t0;
    let Some((last, last_why)) = facts.last else {
        return Err("no follow-up date".into());
    };
    if last.day < t0.day {
        return Err(format!(
            "{} ({}) is before time zero ({})",
            if facts.death.is_some() {
                "death"
            } else {
                "last follow-up"
            },
            last.day,
            t0.day
        ));
    }
    let index_no = o.index.map(|l| l.number);
    let protect_index =
        spec.from.is_treatment_based() || matches!(spec.endpoint, Endpoint::Dor | Endpoint::Ttf);
    let new_therapy = if spec.censor_at_new_therapy {
        facts.new_therapy(t0.day, if protect_index { index_no } else { None })
    } else {
        None
    };
    let cut = new_therapy.map(|(d, _)| d.day);
    let death = facts.death.filter(|d| d.day >= t0.day);
    match spec.endpoint {
        Endpoint::Os => {
            if let Some(d) = death
                && cut.is_none_or(|c| d.day < c)
            {
                return Ok((t0, d, true, "death".into()));
            }
            if let Some((n, what)) = new_therapy
                && n.day <= last.day
            {
                return Ok((
                    t0,
                    n,
                    false,
                    format!("start of new anticancer therapy ({what})"),
                ));
            }
            Ok((t0, last, false, last_why.into()))
        }
        Endpoint::Pfs | Endpoint::Ttp => progression_endpoint(
            facts,
            spec,
            t0,
            t0,
            spec.endpoint == Endpoint::Pfs,
            new_therapy,
        ),
        Endpoint::Dor => {
            let l = o.index.ok_or("no line of therapy on or after time zero")?;
            let r = l
                .evaluation
                .first_response
                .ok_or_else(|| format!("no objective response on line {}", l.number))?;
            progression_endpoint(facts, spec, r, r, true, new_therapy)
        }
        Endpoint::Ttf => {
            let l = o.index.ok_or("no line of therapy on or after time zero")?;
            match (l.end_reason, l.end) {
                (LineEnd::Ongoing, _) | (_, None) => Ok((
                    t0,
                    last,
                    false,
                    format!("line {} ongoing at last follow-up", l.number),
                )),
                (LineEnd::Completed, Some(e)) if !spec.ttf_completion_is_failure => Ok((
                    t0,
                    e,
                    false,
                    format!("line {} completed as planned", l.number),
                )),
                (reason, Some(e)) => Ok((
                    t0,
                    e,
                    true,
                    format!("line {} stopped: {}", l.number, reason.code()),
                )),
            }
        }
        Endpoint::Ttnt => {
            let next = lines
                .lines
                .iter()
                .find(|l| l.start.day > t0.day && Some(l.number) != index_no);
            if let Some(n) = next
                && death.is_none_or(|d| n.start.day <= d.day)
            {
                return Ok((
                    t0,
                    n.start,
                    true,
                    format!("start of line {}: {}", n.number, n.label()),
                ));
            }
            if let Some(d) = death
                && spec.ttnt_death_is_event
            {
                return Ok((t0, d, true, "death".into()));
            }
            Ok((t0, last, false, last_why.into()))
        }
        Endpoint::Pfs2 => {
            let l = o.index.ok_or("no line of therapy on or after time zero")?;
            match lines.line(l.number + 1) {
                Some(next) => {
                    let p2 = facts.progression(next.start.day, None);
                    let ev = match (p2, death) {
                        (Some((p, _)), Some(d)) if d.day < p.day => Some((d, "death".to_string())),
                        (Some((p, w)), _) => Some((p, format!("{w} on line {}", next.number))),
                        (None, Some(d)) => Some((d, "death".to_string())),
                        (None, None) => None,
                    };
                    if let Some((d, w)) = ev {
                        return Ok((t0, d, true, w));
                    }
                    match spec.censoring {
                        Censoring::LastFollowUp => Ok((t0, last, false, last_why.into())),
                        Censoring::LastAdequateAssessment => {
                            match facts.last_adequate(next.start.day, Some(last.day)) {
                                Some(a) => Ok((
                                    t0,
                                    a,
                                    false,
                                    format!("last adequate assessment on line {}", next.number),
                                )),
                                None => Ok((
                                    t0,
                                    next.start,
                                    false,
                                    format!(
                                        "no adequate assessment on line {}: censored at its start",
                                        next.number
                                    ),
                                )),
                            }
                        }
                    }
                }
                None => match death {
                    Some(d) => Ok((t0, d, true, "death".into())),
                    None => Ok((
                        t0,
                        last,
                        false,
                        format!("no line {}; {last_why}", l.number + 1),
                    )),
                },
            }
        }
        Endpoint::Efs => efs(facts, spec, t0, last, last_why, new_therapy),
    }
}

/// PFS (progression or death), TTP (progression) and DoR from `origin`.
fn progression_endpoint(
    facts: &Facts<'_>,
    spec: &EndpointSpec,
    start: Imputed,
    origin: Imputed,
    death_is_event: bool,
    new_therapy: Option<(Imputed, &str)>,
) -> Outcome {
    let (last, last_why) = facts.last.ok_or("no follow-up date")?;
    let cut = new_therapy.map(|(d, _)| d.day);
    let prog = facts.progression(origin.day, cut);
    let death = facts
        .death
        .filter(|d| d.day >= origin.day && cut.is_none_or(|c| d.day < c));
    let event = match (prog, death) {
        (Some((p, _)), Some(d)) if death_is_event && d.day < p.day => Some((d, "death")),
        (Some((p, w)), _) => Some((p, w)),
        (None, Some(d)) if death_is_event => Some((d, "death")),
        _ => None,
    };
    if let Some((d, w)) = event {
        return Ok((start, d, true, w.into()));
    }
    let until = match cut {
        Some(c) => c.min(last.day),
        None => last.day,
    };
    let after_therapy = |s: &str| match new_therapy {
        Some((n, what)) if n.day <= last.day => {
            format!("{s} before new anticancer therapy ({what})")
        }
        _ => s.to_string(),
    };
    match spec.censoring {
        Censoring::LastFollowUp => match new_therapy {
            Some((n, what)) if n.day <= last.day => Ok((
                start,
                n,
                false,
                format!("start of new anticancer therapy ({what})"),
            )),
            _ => Ok((
                start,
                last,
                false,
                if facts.death.is_some() && !death_is_event {
                    "death without progression".into()
                } else {
                    last_why.into()
                },
            )),
        },
        Censoring::LastAdequateAssessment => match facts.last_adequate(origin.day, Some(until)) {
            Some(a) => Ok((start, a, false, after_therapy("last adequate assessment"))),
            None => Ok((
                start,
                origin,
                false,
                "no adequate assessment after start: censored at start".into(),
            )),
        },
    }
}

fn efs(
    facts: &Facts<'_>,
    spec: &EndpointSpec,
    t0: Imputed,
    last: Imputed,
    last_why: &str,
    new_therapy: Option<(Imputed, &str)>,
) -> Outcome {
    let e = &spec.efs;
    let c = facts.course;
    let cut = new_therapy.map(|(d, _)| d.day);
    let ok = |d: Day, strict: bool| {
        (if strict { d > t0.day } else { d >= t0.day }) && cut.is_none_or(|x| d < x)
    };
    // Candidates in a fixed order so that same-day events read the same.
    let mut cands: Vec<(Imputed, String)> = Vec::new();
    if e.progression
        && let Some((p, w)) = facts.progression(t0.day, None)
        && ok(p.day, true)
    {
        cands.push((p, w.into()));
    }
    if let Some(pct) = e.marker_increase_pct {
        for (d, what) in marker_increases(facts, t0.day, pct) {
            if ok(d.day, true) {
                cands.push((d, what));
            }
        }
    }
    if e.symptom_relapse {
        for s in &c.clinical_status {
            let d = facts.day(s.date);
            if s.symptoms == Some(SymptomChange::Worsened) && ok(d.day, true) {
                cands.push((d, "relapse of symptoms".into()));
            }
        }
    }
    if let Some(g) = e.adverse_event_grade {
        for a in &c.adverse_events {
            let related = !matches!(
                a.attribution,
                Some(Attribution::Unrelated | Attribution::Unlikely)
            );
            if a.grade >= g
                && (related || !e.adverse_event_related_only)
                && let Some(o) = a.onset_date
            {
                let d = facts.day(o);
                if ok(d.day, false) {
                    cands.push((d, format!("adverse event grade {}: {}", a.grade, a.term)));
                }
            }
        }
    }
    if e.death
        && let Some(d) = facts.death
        && ok(d.day, false)
    {
        cands.push((d, "death".into()));
    }
    // Earliest; among same-day events the first in the order above.
    if let Some((d, w)) = cands
        .iter()
        .enumerate()
        .min_by_key(|(i, (d, _))| (d.day, *i))
        .map(|(_, x)| x.clone())
    {
        return Ok((t0, d, true, w));
    }
    match new_therapy {
        Some((n, what)) if n.day <= last.day => Ok((
            t0,
            n,
            false,
            format!("start of new anticancer therapy ({what})"),
        )),
        _ => Ok((t0, last, false, last_why.into())),
    }
}

/// Rises of a marker by at least `pct` % over its last value on or before
/// `t0` (same marker, detail and unit); the first such value of each marker.
fn marker_increases(facts: &Facts<'_>, t0: Day, pct: f64) -> Vec<(Imputed, String)> {
    let c = facts.course;
    let mut out = Vec::new();
    let mut keys: Vec<(crate::registry::vocab::Marker, Option<&str>, &str)> = Vec::new();
    for b in &c.biomarkers {
        let k = (b.marker, b.marker_detail.as_deref(), b.unit.as_str());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    for k in keys {
        let mut vals: Vec<(Imputed, f64)> = c
            .biomarkers
            .iter()
            .filter(|b| (b.marker, b.marker_detail.as_deref(), b.unit.as_str()) == k)
            .map(|b| (facts.day(b.date), b.value))
            .collect();
        vals.sort_by_key(|(d, _)| d.day);
        let Some(&(_, base)) = vals.iter().rev().find(|(d, _)| d.day <= t0) else {
            continue;
        };
        // A zero (or NaN) baseline has no percentage rise.
        if base.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
            continue;
        }
        if let Some(&(d, v)) = vals
            .iter()
            .find(|(d, v)| d.day > t0 && *v >= base * (1.0 + pct / 100.0))
        {
            out.push((
                d,
                format!("{} increase ≥ {pct}% ({base} → {v} {})", k.0.code(), k.2),
            ));
        }
    }
    out
}
