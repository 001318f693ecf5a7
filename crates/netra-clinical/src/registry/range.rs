//! Dates known as ranges: "between the October PET/CT and December".
//!
//! A retrospective record often knows a date only between two others. The
//! registry keeps the date as recorded (`2010`, a [`PartialDate`]) and, next
//! to it, two optional bounds: `<column>_not_before` and
//! `<column>_not_after` (each itself a partial date; a bound stands for its
//! first possible day as a lower bound and its last possible day as an upper
//! bound). The days the record can stand for are the days of the date that
//! lie within the bounds ([`DateBounds::span`]); imputation picks its day in
//! that span ([`DateBounds::impute`]) and the known order of the patient's
//! events ([`super::order::KnownOrder`]) then keeps it within the patient's
//! life with the disease.
//!
//! Why bounds narrow a recorded date rather than replace it: every analysis,
//! check and export already reads the partial date, and an old bundle (no
//! bound columns) must mean what it meant. A record with bounds but no date
//! is refused ([`DateBounds::problems`]): the date says which year (or month)
//! the range falls in.

use super::date::{Day, Imputation, Imputed, PartialDate};

/// The recorded bounds of one date (both optional).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DateBounds {
    /// The date is on or after this one's first possible day.
    pub not_before: Option<PartialDate>,
    /// The date is on or before this one's last possible day.
    pub not_after: Option<PartialDate>,
}

/// Which bound a problem is about (so that a message names its column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundSide {
    /// The date column itself.
    Date,
    /// `<column>_not_before`.
    NotBefore,
    /// `<column>_not_after`.
    NotAfter,
}

impl DateBounds {
    /// No bounds: the date means what it says.
    pub const NONE: DateBounds = DateBounds {
        not_before: None,
        not_after: None,
    };

    /// True when neither bound is recorded.
    pub fn is_none(&self) -> bool {
        self.not_before.is_none() && self.not_after.is_none()
    }

    /// The first and last day `date` can stand for within these bounds;
    /// `None` when no day of the date lies within them (a data error that
    /// [`DateBounds::problems`] reports).
    pub fn span(&self, date: &PartialDate) -> Option<(Day, Day)> {
        let mut lo = date.earliest();
        let mut hi = date.latest();
        if let Some(b) = self.not_before {
            lo = lo.max(b.earliest());
        }
        if let Some(b) = self.not_after {
            hi = hi.min(b.latest());
        }
        (lo <= hi).then_some((lo, hi))
    }

    /// True when the bounds leave fewer days than the date alone.
    pub fn narrows(&self, date: &PartialDate) -> bool {
        self.span(date)
            .is_some_and(|(lo, hi)| lo != date.earliest() || hi != date.latest())
    }

    /// The analysis day of `date` under `rule`, within these bounds.
    ///
    /// Without narrowing bounds this is [`PartialDate::impute`] (so old
    /// records keep their days). With them, the rule applies to the span:
    /// first day, last day, or its middle (`lo + (hi − lo) / 2`, rounded
    /// down) for the mid-point rule; a span of one day is that day and is
    /// not counted as imputed. Bounds that leave no day are ignored here
    /// (validation refuses them before they are stored).
    pub fn impute(&self, date: &PartialDate, rule: Imputation) -> Imputed {
        if date.is_complete() || !self.narrows(date) {
            return date.impute(rule);
        }
        let Some((lo, hi)) = self.span(date) else {
            return date.impute(rule);
        };
        let day = match rule {
            Imputation::FirstDay => lo,
            Imputation::LastDay => hi,
            Imputation::MidPoint => Day(lo.0 + (hi.0 - lo.0) / 2),
        };
        Imputed {
            day,
            imputed: lo != hi,
        }
    }

    /// Why a date and its bounds cannot be stored together, with the side
    /// to point at. `date` is the recorded date (`None` when empty).
    pub fn problems(&self, date: Option<&PartialDate>) -> Vec<(BoundSide, String)> {
        let mut out = Vec::new();
        if let (Some(nb), Some(na)) = (self.not_before, self.not_after)
            && nb.earliest() > na.latest()
        {
            out.push((
                BoundSide::NotAfter,
                format!("is before not_before ({nb}): the range has no day"),
            ));
            return out;
        }
        let Some(date) = date else {
            for (side, b) in [
                (BoundSide::NotBefore, self.not_before),
                (BoundSide::NotAfter, self.not_after),
            ] {
                if b.is_some() {
                    out.push((
                        side,
                        "a bound needs the date itself (write the year, or the year and \
                         month, the range falls in)"
                            .to_string(),
                    ));
                }
            }
            return out;
        };
        if let Some(nb) = self.not_before
            && date.latest() < nb.earliest()
        {
            out.push((
                BoundSide::Date,
                format!("is before its not_before bound ({nb})"),
            ));
        }
        if let Some(na) = self.not_after
            && date.earliest() > na.latest()
        {
            out.push((
                BoundSide::Date,
                format!("is after its not_after bound ({na})"),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> PartialDate {
        s.parse().unwrap()
    }

    fn b(nb: Option<&str>, na: Option<&str>) -> DateBounds {
        DateBounds {
            not_before: nb.map(d),
            not_after: na.map(d),
        }
    }

    #[test]
    fn between_the_october_scan_and_december() {
        // 2010, not before the PET/CT of 2010-10-15, not after December:
        // 2010-10-15 ..= 2010-12-31, 78 days; the middle is 2010-11-22.
        let bounds = b(Some("2010-10-15"), Some("2010-12"));
        let (lo, hi) = bounds.span(&d("2010")).unwrap();
        assert_eq!(
            (lo.to_string(), hi.to_string()),
            ("2010-10-15".into(), "2010-12-31".into())
        );
        let at = |rule| bounds.impute(&d("2010"), rule).day.to_string();
        assert_eq!(at(Imputation::MidPoint), "2010-11-22");
        assert_eq!(at(Imputation::FirstDay), "2010-10-15");
        assert_eq!(at(Imputation::LastDay), "2010-12-31");
        assert!(bounds.impute(&d("2010"), Imputation::MidPoint).imputed);
    }

    #[test]
    fn bounds_that_do_not_narrow_keep_the_usual_day() {
        // The usual mid-point of a year is 1 July, not the exact middle.
        let loose = b(Some("2009-06"), Some("2011"));
        assert!(!loose.narrows(&d("2010")));
        assert_eq!(
            loose
                .impute(&d("2010"), Imputation::MidPoint)
                .day
                .to_string(),
            "2010-07-01"
        );
        assert_eq!(
            DateBounds::NONE
                .impute(&d("2010-03"), Imputation::MidPoint)
                .day
                .to_string(),
            "2010-03-15"
        );
    }

    #[test]
    fn a_range_of_one_day_is_that_day_and_not_imputed() {
        let one = b(Some("2010-03-31"), None);
        let r = one.impute(&d("2010-03"), Imputation::FirstDay);
        assert_eq!(r.day.to_string(), "2010-03-31");
        assert!(!r.imputed);
    }

    #[test]
    fn complete_dates_are_never_moved() {
        let r = b(Some("2010-05"), None).impute(&d("2010-05-03"), Imputation::LastDay);
        assert_eq!(r.day.to_string(), "2010-05-03");
        assert!(!r.imputed);
    }

    #[test]
    fn problems_are_named_by_side() {
        assert_eq!(
            b(Some("2010-11"), Some("2010-10")).problems(Some(&d("2010"))),
            vec![(
                BoundSide::NotAfter,
                "is before not_before (2010-11): the range has no day".to_string()
            )]
        );
        // Same month on both sides is a range of that month.
        assert!(
            b(Some("2010-10"), Some("2010-10"))
                .problems(Some(&d("2010")))
                .is_empty()
        );
        assert_eq!(
            b(Some("2010-05-02"), None).problems(Some(&d("2010-05-01")))[0],
            (
                BoundSide::Date,
                "is before its not_before bound (2010-05-02)".to_string()
            )
        );
        assert_eq!(
            b(None, Some("2009")).problems(Some(&d("2010-01")))[0].0,
            BoundSide::Date
        );
        let orphan = b(Some("2010"), Some("2011")).problems(None);
        assert_eq!(orphan.len(), 2);
        assert_eq!(orphan[0].0, BoundSide::NotBefore);
        // A partial date overlapping its bounds is fine.
        assert!(
            b(Some("2010-12-20"), None)
                .problems(Some(&d("2010-12")))
                .is_empty()
        );
        assert!(b(None, None).problems(None).is_empty());
    }
}
