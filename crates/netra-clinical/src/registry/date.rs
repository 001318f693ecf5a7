//! Partial dates as retrospective records hold them (`YYYY`, `YYYY-MM`,
//! `YYYY-MM-DD`), and the documented rule that turns them into a day when an
//! analysis needs one.
//!
//! Why not a calendar crate: the registry needs only the proleptic Gregorian
//! calendar, day counts and ISO text; the conversion below (days since
//! 1970-01-01 from year, month, day and back, after H. Hinnant's
//! `days_from_civil`) is twenty lines and keeps the build lean.
//!
//! A partial date is kept exactly as recorded: the registry never stores an
//! imputed day. Comparisons that must be safe for partial dates (is a death
//! recorded before the diagnosis?) use the interval of days a partial date can
//! stand for: `2001-03` covers 2001-03-01 ..= 2001-03-31, and a date is
//! *certainly* before another only when its last possible day is before the
//! other's first possible day.

use std::fmt;
use std::str::FromStr;

/// A calendar day as the number of days since 1970-01-01 (negative before).
///
/// Differences of two `Day`s are exact day counts, which is what survival
/// times in days are made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    /// The day for a valid calendar date; `None` when the date does not exist
    /// (month 13, 30 February, 29 February in a common year).
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Day> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Day(days_from_civil(year, month, day)))
    }

    /// Year, month and day of this day.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }

    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Day) -> i32 {
        later.0 - self.0
    }

    /// This day moved by `days`.
    pub fn plus_days(self, days: i32) -> Day {
        Day(self.0 + days)
    }

    /// The full date, always with a day.
    pub fn to_partial(self) -> PartialDate {
        let (y, m, d) = self.ymd();
        PartialDate {
            year: y,
            month: Some(m as u8),
            day: Some(d as u8),
        }
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

/// Age in completed years from `birth` to `at` by the calendar (a birthday
/// counts on its date), both dates imputed by the registry's mid-point rule.
/// `None` when `at` is before `birth`. The one age rule of netra: the web's
/// age bands, study-file ages and Table 1 all use it.
pub fn completed_years(birth: PartialDate, at: PartialDate) -> Option<i64> {
    let (by, bm, bd) = birth.impute(Imputation::MidPoint).day.ymd();
    let (ay, am, ad) = at.impute(Imputation::MidPoint).day.ymd();
    let mut years = i64::from(ay - by);
    if (am, ad) < (bm, bd) {
        years -= 1;
    }
    (years >= 0).then_some(years)
}

/// True for a Gregorian leap year.
pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` (1–12) of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i32;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i32) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A date known to the year, the month or the day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PartialDate {
    /// Calendar year (1800–2200 are accepted from text).
    pub year: i32,
    /// Month 1–12, when recorded.
    pub month: Option<u8>,
    /// Day of the month, when recorded (only with a month).
    pub day: Option<u8>,
}

/// How precisely a [`PartialDate`] was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DatePrecision {
    /// Only the year (`YYYY`).
    Year,
    /// Year and month (`YYYY-MM`).
    Month,
    /// A full date (`YYYY-MM-DD`).
    Day,
}

/// Why a text is not a partial date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DateError(pub String);

/// Years accepted from text: wide enough for any birth date of a living
/// patient and any follow-up, narrow enough to catch `0201` typing errors.
pub const YEAR_RANGE: std::ops::RangeInclusive<i32> = 1800..=2200;

impl PartialDate {
    /// A full date; `None` if it does not exist.
    pub fn ymd(year: i32, month: u32, day: u32) -> Option<PartialDate> {
        Day::from_ymd(year, month, day).map(Day::to_partial)
    }

    /// How precisely the date was recorded.
    pub fn precision(&self) -> DatePrecision {
        match (self.month, self.day) {
            (Some(_), Some(_)) => DatePrecision::Day,
            (Some(_), None) => DatePrecision::Month,
            _ => DatePrecision::Year,
        }
    }

    /// True when the day is known.
    pub fn is_complete(&self) -> bool {
        self.precision() == DatePrecision::Day
    }

    /// The first day the date can stand for.
    pub fn earliest(&self) -> Day {
        let m = self.month.unwrap_or(1) as u32;
        let d = self.day.unwrap_or(1) as u32;
        Day(days_from_civil(self.year, m, d))
    }

    /// The last day the date can stand for.
    pub fn latest(&self) -> Day {
        let m = self.month.unwrap_or(12) as u32;
        let d = match self.day {
            Some(d) => d as u32,
            None => days_in_month(self.year, m),
        };
        Day(days_from_civil(self.year, m, d))
    }

    /// True when every day this date can stand for is before every day
    /// `other` can stand for — the only safe meaning of "before" for partial
    /// dates (`2001` is not before `2001-05`, and not after it either).
    pub fn certainly_before(&self, other: &PartialDate) -> bool {
        self.latest() < other.earliest()
    }

    /// The day used by analyses, with whether it had to be imputed.
    pub fn impute(&self, rule: Imputation) -> Imputed {
        if self.is_complete() {
            return Imputed {
                day: self.earliest(),
                imputed: false,
            };
        }
        let day = match rule {
            Imputation::FirstDay => self.earliest(),
            Imputation::LastDay => self.latest(),
            Imputation::MidPoint => match self.month {
                // Mid-month is the 15th: the convention of most registries
                // and of the CDISC ADaM imputation guidance.
                Some(m) => Day(days_from_civil(self.year, m as u32, 15)),
                // Mid-year is 1 July.
                None => Day(days_from_civil(self.year, 7, 1)),
            },
        };
        Imputed { day, imputed: true }
    }
}

impl fmt::Display for PartialDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}", self.year)?;
        if let Some(m) = self.month {
            write!(f, "-{m:02}")?;
            if let Some(d) = self.day {
                write!(f, "-{d:02}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for PartialDate {
    type Err = DateError;

    /// Reads `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (four-digit year, two-digit
    /// month and day, nothing else): one spelling keeps exports byte-stable.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad =
            || DateError("not a date: write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2004-03-17)".into());
        let parts: Vec<&str> = text.split('-').collect();
        let widths_ok = match parts.len() {
            1 => parts[0].len() == 4,
            2 => parts[0].len() == 4 && parts[1].len() == 2,
            3 => parts[0].len() == 4 && parts[1].len() == 2 && parts[2].len() == 2,
            _ => false,
        };
        if !widths_ok || !parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())) {
            return Err(bad());
        }
        let year: i32 = parts[0].parse().map_err(|_| bad())?;
        if !YEAR_RANGE.contains(&year) {
            return Err(DateError(format!(
                "year {year} is outside {}–{}",
                YEAR_RANGE.start(),
                YEAR_RANGE.end()
            )));
        }
        let month: Option<u8> = match parts.get(1) {
            Some(m) => {
                let m: u8 = m.parse().map_err(|_| bad())?;
                if !(1..=12).contains(&m) {
                    return Err(DateError(format!("month {m} does not exist")));
                }
                Some(m)
            }
            None => None,
        };
        let day: Option<u8> = match parts.get(2) {
            Some(d) => {
                let d: u8 = d.parse().map_err(|_| bad())?;
                let m = month.unwrap_or(1) as u32;
                if d == 0 || d as u32 > days_in_month(year, m) {
                    return Err(DateError(format!(
                        "day {d} does not exist in {year:04}-{m:02}"
                    )));
                }
                Some(d)
            }
            None => None,
        };
        Ok(PartialDate { year, month, day })
    }
}

/// The day an analysis uses for a partial date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imputed {
    /// The day.
    pub day: Day,
    /// True when the recorded date lacked the day (and perhaps the month):
    /// analyses count these and report the count.
    pub imputed: bool,
}

/// The documented rule that gives a partial date a day.
///
/// `MidPoint` is the default: it is unbiased for an event known only to a
/// month or a year, whereas the first day shortens and the last day lengthens
/// every interval that starts at such a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Imputation {
    /// `YYYY` → 1 July, `YYYY-MM` → the 15th.
    #[default]
    MidPoint,
    /// `YYYY` → 1 January, `YYYY-MM` → the 1st.
    FirstDay,
    /// `YYYY` → 31 December, `YYYY-MM` → the month's last day.
    LastDay,
}

impl Imputation {
    /// All rules, in documentation order.
    pub const ALL: [Imputation; 3] = [
        Imputation::MidPoint,
        Imputation::FirstDay,
        Imputation::LastDay,
    ];

    /// The rule's code (`mid_point`, `first_day`, `last_day`).
    pub fn code(self) -> &'static str {
        match self {
            Imputation::MidPoint => "mid_point",
            Imputation::FirstDay => "first_day",
            Imputation::LastDay => "last_day",
        }
    }
}

impl FromStr for Imputation {
    type Err = DateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Imputation::ALL
            .into_iter()
            .find(|r| r.code() == s)
            .ok_or_else(|| {
                DateError(format!(
                    "unknown imputation rule '{s}' (use mid_point, first_day or last_day)"
                ))
            })
    }
}

/// Counts the dates an analysis had to impute, so that it can say how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImputationCounter {
    /// Dates used as recorded (complete).
    pub complete: u64,
    /// Dates that needed a day (and perhaps a month).
    pub imputed: u64,
}

impl ImputationCounter {
    /// Imputes `date` under `rule`, counting it.
    pub fn day(&mut self, date: &PartialDate, rule: Imputation) -> Day {
        let r = date.impute(rule);
        if r.imputed {
            self.imputed += 1;
        } else {
            self.complete += 1;
        }
        r.day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completed_years_count_birthdays_by_the_calendar() {
        let d = |y, m, dd| PartialDate::ymd(y, m, dd).unwrap();
        assert_eq!(completed_years(d(1950, 6, 15), d(2010, 6, 14)), Some(59));
        assert_eq!(completed_years(d(1950, 6, 15), d(2010, 6, 15)), Some(60));
        assert_eq!(completed_years(d(1952, 2, 29), d(2012, 2, 28)), Some(59));
        assert_eq!(completed_years(d(2010, 1, 1), d(2009, 12, 31)), None);
    }

    fn d(s: &str) -> PartialDate {
        s.parse().unwrap()
    }

    #[test]
    fn day_numbers_match_the_unix_epoch() {
        assert_eq!(Day::from_ymd(1970, 1, 1), Some(Day(0)));
        assert_eq!(Day::from_ymd(2000, 3, 1), Some(Day(11017)));
        assert_eq!(Day::from_ymd(1969, 12, 31), Some(Day(-1)));
        assert_eq!(Day(11017).ymd(), (2000, 3, 1));
        for z in -200_000..200_000 {
            let (y, m, dd) = Day(z).ymd();
            assert_eq!(Day::from_ymd(y, m, dd), Some(Day(z)));
        }
    }

    #[test]
    fn parses_the_three_precisions_and_prints_them_back() {
        for s in ["2004", "2004-02", "2004-02-29", "1899-12-31"] {
            assert_eq!(d(s).to_string(), s);
        }
        assert_eq!(d("2004").precision(), DatePrecision::Year);
        assert_eq!(d("2004-02").precision(), DatePrecision::Month);
        assert!(d("2004-02-29").is_complete());
    }

    #[test]
    fn rejects_impossible_and_sloppy_dates() {
        for s in [
            "",
            "04",
            "2004-2",
            "2004-02-1",
            "2003-02-29",
            "2004-13",
            "2004-00",
            "2004-01-00",
            "2004-04-31",
            "1700",
            "20040101",
            "2004/01/01",
            "2004-01-01T00",
            "+2004",
            "２００４",
        ] {
            assert!(s.parse::<PartialDate>().is_err(), "{s} accepted");
        }
        assert_eq!(
            "2003-02-29".parse::<PartialDate>().unwrap_err().0,
            "day 29 does not exist in 2003-02"
        );
    }

    #[test]
    fn intervals_of_partial_dates() {
        assert_eq!(d("2001-02").earliest(), Day::from_ymd(2001, 2, 1).unwrap());
        assert_eq!(d("2001-02").latest(), Day::from_ymd(2001, 2, 28).unwrap());
        assert_eq!(d("2000-02").latest(), Day::from_ymd(2000, 2, 29).unwrap());
        assert_eq!(d("2001").latest(), Day::from_ymd(2001, 12, 31).unwrap());
        assert!(!d("2001").certainly_before(&d("2001-05")));
        assert!(!d("2001-05").certainly_before(&d("2001")));
        assert!(d("2001-04").certainly_before(&d("2001-05-01")));
        assert!(!d("2001-05-01").certainly_before(&d("2001-05-01")));
    }

    #[test]
    fn imputation_rules() {
        let r = |s: &str, rule| d(s).impute(rule).day.to_string();
        assert_eq!(r("2001", Imputation::MidPoint), "2001-07-01");
        assert_eq!(r("2001-02", Imputation::MidPoint), "2001-02-15");
        assert_eq!(r("2001", Imputation::FirstDay), "2001-01-01");
        assert_eq!(r("2001-02", Imputation::FirstDay), "2001-02-01");
        assert_eq!(r("2001", Imputation::LastDay), "2001-12-31");
        assert_eq!(r("2000-02", Imputation::LastDay), "2000-02-29");
        assert_eq!(r("2000-02-03", Imputation::LastDay), "2000-02-03");
        let mut c = ImputationCounter::default();
        c.day(&d("2001"), Imputation::MidPoint);
        c.day(&d("2001-02-03"), Imputation::MidPoint);
        c.day(&d("2001-02"), Imputation::FirstDay);
        assert_eq!((c.complete, c.imputed), (1, 2));
        assert_eq!("last_day".parse::<Imputation>(), Ok(Imputation::LastDay));
        assert!("middle".parse::<Imputation>().is_err());
    }
}
