//! Imputing partial dates within the patient's known order of events.
//!
//! [`PartialDate::impute`] gives `2008` the day 2008-07-01 whatever else is
//! known; for a TACE recorded as `2008` in a patient diagnosed in 2008-10
//! that puts the treatment before the diagnosis. [`KnownOrder`] imputes a
//! partial date as usual and then keeps it, within the days the partial
//! date allows, inside the patient's recorded life with the disease:
//!
//! * never before the diagnosis (its analysis day: the date if complete,
//!   else its imputed day);
//! * never after death (a dead patient: the death date, its last possible
//!   day when partial) or, for a patient not recorded dead, after a complete
//!   last follow-up date (a `2019` scan of a patient last seen on
//!   2019-03-10 is not 2019-07-01, which would lengthen follow-up).
//!
//! A record of a treatment is further kept within the treatment
//! ([`KnownOrder::within_treatment`]): a radionuclide administration dated
//! `2010` of a PRRT given from 2010-09-14 to 2010-12-01 is imputed within
//! those days, and a treatment's partial end date is never imputed before
//! its start. Assessments are not bound to the treatment they evaluate: the
//! baseline scan of a treatment precedes it.
//!
//! A date recorded with bounds ([`super::range`]: "not before the October
//! PET/CT, not after December") is imputed within its bounds first; the
//! known order then moves it only within those bounds.
//!
//! Complete dates are never moved (a complete date out of order is a data
//! error, reported by [`super::rules`]). When the bounds leave no day the
//! partial date allows, the usual day is kept. Every move is reported
//! ([`DateClamp`], [`clamped_dates`]) so that an analysis can say so.

use std::fmt;

use super::date::{Day, Imputation, Imputed, PartialDate};
use super::model::{Patient, PatientCourse, Treatment};
use super::range::DateBounds;
use super::vocab::Vocabulary;

/// The bounds a patient's partial dates are imputed within.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownOrder {
    rule: Imputation,
    not_before: Option<(Day, String)>,
    not_after: Option<(Day, String)>,
}

/// A partial date whose usual imputed day was moved to respect the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateClamp {
    /// Patient code.
    pub patient: String,
    /// The record and column (`treatment 'T1' start_date`).
    pub record: String,
    /// The date as recorded.
    pub recorded: PartialDate,
    /// The day the rule alone gives.
    pub usual: Day,
    /// The day used.
    pub used: Day,
    /// Why (`not before the diagnosis (2008-10)`).
    pub reason: String,
}

impl fmt::Display for DateClamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "patient {}: {} '{}' imputed to {} instead of {}: {}",
            self.patient,
            self.record,
            self.recorded,
            self.used.to_partial(),
            self.usual.to_partial(),
            self.reason
        )
    }
}

impl KnownOrder {
    /// The bounds of `patient`'s dates under `rule`.
    pub fn of(patient: &Patient, rule: Imputation) -> KnownOrder {
        let not_before = patient.diagnosis_date.map(|d| {
            (
                patient.diagnosis_bounds.impute(&d, rule).day,
                format!("not before the diagnosis ({d})"),
            )
        });
        let not_after = if patient.is_dead() {
            patient.death_date.map(|d| {
                let last = patient
                    .death_bounds
                    .span(&d)
                    .map_or(d.latest(), |(_, hi)| hi);
                (last, format!("not after death ({d})"))
            })
        } else {
            patient
                .last_followup_date
                .filter(PartialDate::is_complete)
                .map(|d| (d.earliest(), format!("not after the last follow-up ({d})")))
        };
        KnownOrder {
            rule,
            not_before,
            not_after,
        }
    }

    /// These bounds narrowed to the known span of treatment `t`: not before
    /// its start, not after its end (each imputed under these bounds first).
    pub fn within_treatment(&self, t: &Treatment) -> KnownOrder {
        let mut out = self.clone();
        if let Some(start) = t.start_date {
            let day = self.impute_in(&start, &t.start_bounds).day;
            if out.not_before.as_ref().is_none_or(|(d, _)| day > *d) {
                out.not_before = Some((
                    day,
                    format!("not before the start of treatment '{}' ({start})", t.id),
                ));
            }
        }
        if let Some(end) = t.end_date {
            let day = self.within_start(t).impute_in(&end, &t.end_bounds).day;
            if out.not_after.as_ref().is_none_or(|(d, _)| day < *d) {
                out.not_after = Some((
                    day,
                    format!("not after the end of treatment '{}' ({end})", t.id),
                ));
            }
        }
        out
    }

    /// These bounds with treatment `t`'s start as a lower bound only: the
    /// bounds of the treatment's own end date.
    fn within_start(&self, t: &Treatment) -> KnownOrder {
        let mut out = self.clone();
        if let Some(start) = t.start_date {
            let day = self.impute_in(&start, &t.start_bounds).day;
            if out.not_before.as_ref().is_none_or(|(d, _)| day > *d) {
                out.not_before = Some((
                    day,
                    format!("not before the start of treatment '{}' ({start})", t.id),
                ));
            }
        }
        out
    }

    /// The analysis day of treatment `t`'s end date: imputed within the
    /// known order and never before the treatment's start.
    pub fn impute_end(&self, t: &Treatment) -> Option<Imputed> {
        t.end_date
            .map(|d| self.within_start(t).impute_in(&d, &t.end_bounds))
    }

    /// Bounds only from the rule (nothing known): plain imputation.
    pub fn none(rule: Imputation) -> KnownOrder {
        KnownOrder {
            rule,
            not_before: None,
            not_after: None,
        }
    }

    /// The imputation rule.
    pub fn rule(&self) -> Imputation {
        self.rule
    }

    /// The analysis day of `date`: imputed under the rule, then kept within
    /// the known order.
    pub fn impute(&self, date: &PartialDate) -> Imputed {
        self.impute_in(date, &DateBounds::NONE)
    }

    /// The analysis day of `date` recorded with `bounds`: imputed within
    /// the bounds under the rule ([`DateBounds::impute`]), then kept within
    /// the known order without leaving the bounds.
    pub fn impute_in(&self, date: &PartialDate, bounds: &DateBounds) -> Imputed {
        self.clamp(date, bounds).map_or_else(
            || bounds.impute(date, self.rule),
            |(day, _)| Imputed { day, imputed: true },
        )
    }

    /// The moved day and the reason, when the order moves `date`.
    fn clamp(&self, date: &PartialDate, bounds: &DateBounds) -> Option<(Day, &str)> {
        if date.is_complete() {
            return None;
        }
        let usual = bounds.impute(date, self.rule).day;
        let (first, last) = bounds
            .span(date)
            .unwrap_or((date.earliest(), date.latest()));
        if first == last {
            // The bounds pin one day: nothing to impute, nothing to move.
            return None;
        }
        let lo = match &self.not_before {
            Some((d, _)) if *d > first => Some(*d),
            _ => None,
        };
        let hi = match &self.not_after {
            Some((d, _)) if *d < last => Some(*d),
            _ => None,
        };
        let low = lo.unwrap_or(first);
        let high = hi.unwrap_or(last);
        if low > high {
            // No day of the date fits: a data problem for the rules, not
            // something imputation can hide.
            return None;
        }
        if usual < low {
            let why = &self.not_before.as_ref()?.1;
            Some((low, why))
        } else if usual > high {
            let why = &self.not_after.as_ref()?.1;
            Some((high, why))
        } else {
            None
        }
    }

    /// The move of `date` as a report line (`None` when not moved).
    pub fn clamp_of(&self, patient: &str, record: String, date: &PartialDate) -> Option<DateClamp> {
        self.clamp_in(patient, record, date, &DateBounds::NONE)
    }

    /// The move of `date` recorded with `bounds` as a report line.
    pub fn clamp_in(
        &self,
        patient: &str,
        record: String,
        date: &PartialDate,
        bounds: &DateBounds,
    ) -> Option<DateClamp> {
        let (used, why) = self.clamp(date, bounds)?;
        Some(DateClamp {
            patient: patient.to_string(),
            record,
            recorded: *date,
            usual: bounds.impute(date, self.rule).day,
            used,
            reason: why.to_string(),
        })
    }
}

/// Every date of `course` (treatments, assessments, markers, visits,
/// adverse events) whose imputed day the known order moves under `rule`.
pub fn clamped_dates(course: &PatientCourse, rule: Imputation) -> Vec<DateClamp> {
    let order = KnownOrder::of(&course.patient, rule);
    let code = course.patient.code.as_str();
    let mut out = Vec::new();
    let mut see_in = |record: String, d: Option<PartialDate>, b: &DateBounds| {
        if let Some(d) = d
            && let Some(c) = order.clamp_in(code, record, &d, b)
        {
            out.push(c);
        }
    };
    for t in &course.treatments {
        see_in(
            format!("treatment '{}' start_date", t.id),
            t.start_date,
            &t.start_bounds,
        );
    }
    for a in &course.assessments {
        see_in(
            format!("assessment '{}' date", a.id),
            Some(a.date),
            &a.date_bounds,
        );
    }
    let mut see = |record: String, d: Option<PartialDate>| see_in(record, d, &DateBounds::NONE);
    for b in &course.biomarkers {
        see(
            format!("biomarker '{}' date", b.marker.code()),
            Some(b.date),
        );
    }
    for v in &course.clinical_status {
        see("clinical status date".to_string(), Some(v.date));
    }
    for e in &course.adverse_events {
        see(format!("adverse event '{}' onset_date", e.id), e.onset_date);
    }
    // Records of a treatment are kept within it (their own closure: the
    // bounds differ per treatment).
    for t in &course.treatments {
        let own = order.within_start(t);
        if let Some(d) = t.end_date
            && let Some(c) = own.clamp_in(
                code,
                format!("treatment '{}' end_date", t.id),
                &d,
                &t.end_bounds,
            )
        {
            out.push(c);
        }
        let span = order.within_treatment(t);
        for a in &t.administrations {
            if let Some(d) = a.date
                && let Some(c) = span.clamp_of(
                    code,
                    format!("treatment '{}' administration {} date", t.id, a.number),
                    &d,
                )
            {
                out.push(c);
            }
        }
    }
    out
}
