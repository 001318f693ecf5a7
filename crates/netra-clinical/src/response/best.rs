//! Best overall response (BOR), with and without confirmation, and the dates
//! of response, confirmation and progression (RECIST 1.1 §4.4, Table 3).
//!
//! Sequence rule applied first ([`apply_sequence_rules`]): once the overall
//! response has been CR, any later PR, MR, SD or non-CR/non-PD means disease
//! has reappeared and is PD at that scan (Table 3, footnote a). The
//! alternative reading of the same footnote — the first "CR" was really a PR
//! — is [`CrThenPr::ReclassifyCr`].
//!
//! Without confirmation, the BOR is the best time-point response before the
//! first PD; SD (and non-CR/non-PD) counts only at or after `sd_min_days`
//! from baseline (RECIST: "at least once after study entry at a minimum
//! interval", 6 weeks here by default); otherwise the BOR is PD when
//! progression followed, else NE.
//!
//! With confirmation, a CR needs a later CR at least `confirm_min_days`
//! (28) later, a PR a later PR or CR, with only responses of the same or
//! better level or NE in between; an unconfirmed CR/PR falls back to SD when
//! the SD duration is met (Table 3).
//!
//! Duration of response runs from the first date CR/PR criteria were met
//! (in a confirmed sequence, when confirming) to progression, or to the last
//! scan when the response is ongoing (then censored).

use super::{Category, Date, Timepoint};

/// How a PR after a CR is read (RECIST 1.1 Table 3, footnote a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrThenPr {
    /// Disease reappeared after a true CR: the later scan is PD (default).
    #[default]
    Progression,
    /// The first "CR" was really a PR (small lesions were still there):
    /// the earlier CR becomes PR.
    ReclassifyCr,
}

/// Options of the best-overall-response rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestOptions {
    /// Require confirmation of CR/PR (single-arm trials).
    pub confirm: bool,
    /// Minimum days between a response and its confirmation (28).
    pub confirm_min_days: i32,
    /// Minimum days from baseline for SD to count (42 = 6 weeks).
    pub sd_min_days: i32,
    /// How a PR after a CR is read.
    pub cr_then_pr: CrThenPr,
}

impl Default for BestOptions {
    fn default() -> Self {
        BestOptions {
            confirm: false,
            confirm_min_days: 28,
            sd_min_days: 42,
            cr_then_pr: CrThenPr::Progression,
        }
    }
}

/// The best overall response of a patient and the dates derived with it.
#[derive(Debug, Clone, PartialEq)]
pub struct BestResponse {
    /// Best overall response.
    pub category: Category,
    /// First date CR/PR criteria were met (None without a CR/PR BOR).
    pub first_response_date: Option<Date>,
    /// Date of the confirming scan (confirmation mode).
    pub confirmation_date: Option<Date>,
    /// First date of progression (an equivocal new lesion confirmed later
    /// dates it back).
    pub progression_date: Option<Date>,
    /// Days from first response to progression or last scan.
    pub duration_of_response_days: Option<i32>,
    /// The response had not progressed by the last scan (duration censored).
    pub response_ongoing: Option<bool>,
    /// Date of the last scan.
    pub last_assessment_date: Option<Date>,
}

fn is_response(c: Category) -> bool {
    matches!(c, Category::CR | Category::PR | Category::MR)
}

fn is_stable_level(c: Category) -> bool {
    matches!(
        c,
        Category::CR | Category::PR | Category::MR | Category::SD | Category::NonCrNonPd
    )
}

/// Applies the CR-then-disease rule to the overall responses in place.
pub(crate) fn apply_sequence_rules(timepoints: &mut [Timepoint], options: &BestOptions) {
    let mut cr_at: Option<usize> = None;
    for i in 0..timepoints.len() {
        let c = timepoints[i].overall;
        match c {
            Category::CR => {
                if cr_at.is_none() {
                    cr_at = Some(i);
                }
            }
            Category::PD => break,
            Category::NE => {}
            _ => {
                let Some(first_cr) = cr_at else { continue };
                if options.cr_then_pr == CrThenPr::ReclassifyCr && c == Category::PR {
                    for tp in timepoints[first_cr..i].iter_mut() {
                        if tp.overall == Category::CR {
                            tp.overall = Category::PR;
                            tp.notes.push(
                                "CR reclassified as PR: disease seen at a later scan was still there"
                                    .into(),
                            );
                        }
                    }
                    cr_at = None;
                } else {
                    let tp = &mut timepoints[i];
                    tp.notes.push(format!(
                        "{} after a complete response: disease reappeared, PD (RECIST 1.1 Table 3 note a)",
                        tp.overall
                    ));
                    tp.overall = Category::PD;
                    break;
                }
            }
        }
    }
}

/// The rank used to pick the best: lower is better.
fn rank(c: Category) -> u8 {
    c.rank()
}

/// Best overall response from the (sequence-ruled) time points.
pub(crate) fn best_response(
    baseline: Date,
    timepoints: &[Timepoint],
    has_targets: bool,
    options: &BestOptions,
) -> BestResponse {
    let pd = timepoints.iter().position(|t| t.overall == Category::PD);
    let before = &timepoints[..pd.unwrap_or(timepoints.len())];
    let progression_date = pd.map(|i| timepoints[i].date);
    let last_assessment_date = timepoints.last().map(|t| t.date);
    let stable = if has_targets {
        Category::SD
    } else {
        Category::NonCrNonPd
    };
    let sd_ok = |t: &Timepoint| t.date.days_since(baseline) >= options.sd_min_days;
    let fallback = || {
        if before
            .iter()
            .any(|t| is_stable_level(t.overall) && sd_ok(t))
        {
            let only_non_cr = before
                .iter()
                .filter(|t| is_stable_level(t.overall) && sd_ok(t))
                .all(|t| t.overall == Category::NonCrNonPd);
            if only_non_cr {
                Category::NonCrNonPd
            } else {
                stable
            }
        } else if pd.is_some() {
            Category::PD
        } else {
            Category::NE
        }
    };

    let (category, first_response, confirmation) = if !options.confirm {
        let best = before
            .iter()
            .filter(|t| is_response(t.overall))
            .min_by_key(|t| rank(t.overall));
        match best {
            Some(b) => {
                let first = before
                    .iter()
                    .find(|t| matches!(t.overall, Category::CR | Category::PR))
                    .map(|t| t.date);
                (b.overall, first, None)
            }
            None => (fallback(), None, None),
        }
    } else {
        // Confirmed responses: (level, index of first, index of confirmation).
        let mut confirmed: Vec<(Category, usize, usize)> = Vec::new();
        for (i, t) in before.iter().enumerate() {
            if !is_response(t.overall) {
                continue;
            }
            // Scans that may confirm (or stand between) a response: the same
            // level or better; NE scans are skipped.
            let allowed = |c: Category| match t.overall {
                Category::CR => c == Category::CR,
                Category::PR => matches!(c, Category::CR | Category::PR),
                _ => is_response(c),
            };
            for (j, u) in before.iter().enumerate().skip(i + 1) {
                if u.overall == Category::NE {
                    continue;
                }
                if !allowed(u.overall) {
                    break;
                }
                if u.date.days_since(t.date) >= options.confirm_min_days {
                    confirmed.push((t.overall, i, j));
                    break;
                }
            }
        }
        match confirmed.iter().min_by_key(|c| (rank(c.0), c.1)) {
            Some(&(cat, _, _)) => {
                let first = confirmed
                    .iter()
                    .filter(|c| matches!(c.0, Category::CR | Category::PR))
                    .min_by_key(|c| c.1)
                    .map(|&(_, i, j)| (before[i].date, before[j].date));
                (cat, first.map(|f| f.0), first.map(|f| f.1))
            }
            None => (fallback(), None, None),
        }
    };
    let first_response_date = if matches!(category, Category::CR | Category::PR) {
        first_response
    } else {
        None
    };
    let end = progression_date.or(last_assessment_date);
    let duration_of_response_days = first_response_date.zip(end).map(|(s, e)| e.days_since(s));
    let response_ongoing = first_response_date.map(|_| progression_date.is_none());
    BestResponse {
        category,
        first_response_date,
        confirmation_date: if first_response_date.is_some() {
            confirmation
        } else {
            None
        },
        progression_date,
        duration_of_response_days,
        response_ongoing,
        last_assessment_date,
    }
}
