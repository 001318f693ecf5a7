//! The time skeleton of one patient: who the patient is, when they die or
//! leave follow-up, and the course of treatment — every decision that a
//! calibration target depends on, with times in days from the diagnosis of
//! metastatic disease (day 0).
//!
//! The skeleton is drawn first from the patient's stream; the records
//! ([`crate::records`]) dress it with lesions, markers and adverse events
//! afterwards. Keeping the two apart lets [`crate::model::Model`] run a pilot
//! of skeletons alone to solve the few parameters that have no closed form.
//!
//! # The model in one paragraph
//! Death is drawn first, from a Weibull per grade group, so overall survival
//! by grade is exact by construction. Censoring is administrative (accrual
//! 1996–2007, cut-off 2009-03-31) or loss to follow-up (exponential). Each
//! line of systemic therapy draws a latent time to progression from the
//! line's Weibull (line 1: by liver metastases) by inversion of one uniform
//! `u`; the best response is progression when `u` is below a threshold, so
//! the patients who progress at the first scan are those who progress
//! earliest. Progression is observed when it falls before death and
//! censoring; then the next line starts with a tuned probability. Death
//! and censoring are independent of progression, so Kaplan–Meier estimates
//! of time to progression (death censored) recover the line's Weibull.

use netra_clinical::registry::vocab::{
    GiSegment, MetastasisSite, MetastaticSetting, PrimarySite, StopReason, SummaryStage,
};

use crate::dist::{PatientRng, categorical, chance, days, uniform, unit};
use crate::model::{MAX_LINES, Model, Tuning};
use crate::regimens::{LocalKind, Regimen, Schedule};
use netra_clinical::groups::{CohortGrade, CohortSite};

/// Days per month (365.25 / 12), the unit conversion the endpoint code uses.
pub const DAYS_PER_MONTH: f64 = 30.4375;

/// Treatment received over the whole course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TreatmentGroup {
    /// Systemic therapy only.
    SystemicOnly,
    /// Local therapy only.
    LocalOnly,
    /// Both.
    Both,
    /// Best supportive care only.
    SupportiveOnly,
}

/// First treatment of metastatic disease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstTreatment {
    /// A line of systemic therapy.
    Systemic,
    /// A local treatment.
    Local,
    /// Supportive medication.
    Supportive,
}

/// Best response on a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Best {
    /// Complete response.
    Cr,
    /// Partial response.
    Pr,
    /// Stable disease.
    Sd,
    /// Progression at the first assessment.
    Pd,
}

/// A local treatment in the skeleton.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalEvent {
    /// What.
    pub kind: LocalKind,
    /// Day given (start).
    pub day: i32,
    /// Last day, for treatments that last (radiotherapy courses).
    pub end: Option<i32>,
}

/// A line of systemic therapy.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1, 2, …
    pub number: u32,
    /// Regimen.
    pub regimen: Regimen,
    /// Start day.
    pub start: i32,
    /// Liver metastases at diagnosis (the first line's outcome depends on it).
    pub liver: bool,
    /// Latent time to progression, days from the start.
    pub ttp: i32,
    /// Day of the assessment that showed progression, when observed.
    pub progression: Option<i32>,
    /// Best response.
    pub best: Best,
    /// The line is meant to be measured by RECIST (has target lesions).
    pub measured: bool,
    /// Days of the follow-up assessments (the last is the progression
    /// assessment when progression was observed).
    pub scans: Vec<i32>,
    /// Measured and at least one follow-up assessment.
    pub evaluable: bool,
    /// Last day of treatment, when it ended.
    pub end: Option<i32>,
    /// Why it ended.
    pub stop: Option<StopReason>,
    /// Radionuclide administrations (days).
    pub administrations: Vec<i32>,
    /// Progression was observed and a next line could start before the end
    /// of follow-up (the pilot counts these).
    pub eligible_next: bool,
}

/// The skeleton of one patient.
#[derive(Debug, Clone, PartialEq)]
pub struct Skeleton {
    /// Male (else female).
    pub male: bool,
    /// Age at metastatic diagnosis, years.
    pub age: f64,
    /// How metastatic disease arose.
    pub setting: MetastaticSetting,
    /// Stage before metastatic disease.
    pub prior_stage: SummaryStage,
    /// Primary-site group of the paper.
    pub site: CohortSite,
    /// Primary site code.
    pub primary: PrimarySite,
    /// Segment when the organ does not imply it (colon).
    pub segment: Option<GiSegment>,
    /// Named site when `other`.
    pub primary_detail: Option<&'static str>,
    /// Grade group of the paper.
    pub grade: CohortGrade,
    /// A standard-normal score increasing with grade (NSE follows it).
    pub aggressiveness: f64,
    /// Metastatic sites at diagnosis, in [`MetastasisSite`] vocabulary order.
    pub sites: [bool; 8],
    /// Day 0 as a calendar day.
    pub met_day: netra_clinical::registry::Day,
    /// Day of death (whether observed or not).
    pub death: i32,
    /// Day of censoring (cut-off or loss to follow-up).
    pub censor: i32,
    /// Censored by loss to follow-up rather than the cut-off.
    pub lost: bool,
    /// Treatment group.
    pub group: TreatmentGroup,
    /// First treatment.
    pub first: FirstTreatment,
    /// Day supportive care started, for patients whose first treatment it was.
    pub supportive: Option<i32>,
    /// Local treatments in time order.
    pub locals: Vec<LocalEvent>,
    /// Lines of systemic therapy.
    pub lines: Vec<Line>,
}

impl Skeleton {
    /// Last day of follow-up: death or censoring.
    pub fn end(&self) -> i32 {
        self.death.min(self.censor)
    }

    /// Died during follow-up.
    pub fn dead(&self) -> bool {
        self.death <= self.censor
    }

    /// Liver metastases at diagnosis.
    pub fn liver(&self) -> bool {
        self.sites[site_index(MetastasisSite::Liver)]
    }

    /// Some lesion can be measured by RECIST (bone and brain alone cannot).
    pub fn measurable(&self) -> bool {
        use MetastasisSite as M;
        [
            M::Liver,
            M::LymphNode,
            M::Lung,
            M::Peritoneum,
            M::Adrenal,
            M::Other,
        ]
        .iter()
        .any(|s| self.sites[site_index(*s)])
    }
}

/// Position of a site in the vocabulary.
pub fn site_index(s: MetastasisSite) -> usize {
    use netra_clinical::registry::vocab::Vocabulary;
    MetastasisSite::ALL
        .iter()
        .position(|x| *x == s)
        .expect("site in vocabulary")
}

fn months_to_days(m: f64) -> i32 {
    (m * DAYS_PER_MONTH).round().clamp(1.0, 1e7) as i32
}

/// Draws the skeleton of one patient.
pub fn draw(model: &Model, tuning: &Tuning, rng: &mut PatientRng) -> Skeleton {
    let a = &model.assumptions;
    let male = chance(rng, model.calibration.male.share());
    let age = model.age.quantile(unit(rng));
    let setting = [
        MetastaticSetting::MetastaticAtDiagnosis,
        MetastaticSetting::RecurrentAfterResection,
        MetastaticSetting::ProgressedFromNonMetastatic,
    ][categorical(rng, &model.setting)];
    let prior_stage = if setting == MetastaticSetting::MetastaticAtDiagnosis {
        SummaryStage::Distant
    } else if categorical(rng, &model.prior_stage) == 0 {
        SummaryStage::Local
    } else {
        SummaryStage::Regional
    };
    let site = CohortSite::ALL[categorical(rng, &model.primary)];
    let (primary, segment, primary_detail) = primary_organ(site, rng);
    let g = categorical(rng, &model.grade);
    let grade = CohortGrade::ALL[g];
    // Aggressiveness: a normal score that is uniform within the grade's band
    // of the ordered grade distribution, hence exactly N(0, 1) overall.
    let (lo, width) = model.grade_band[g];
    let aggressiveness = netra_stats::distributions::normal_quantile(lo + width * unit(rng));

    // Metastatic sites at diagnosis.
    let mut sites = [false; 8];
    let liver_p = if setting == MetastaticSetting::MetastaticAtDiagnosis {
        model.liver_at_diagnosis
    } else {
        model.liver_otherwise
    };
    let liver = chance(rng, liver_p);
    sites[site_index(MetastasisSite::Liver)] = liver;
    let cond = if liver {
        &model.sites_with_liver
    } else {
        &model.sites_without_liver
    };
    let mut any = liver;
    for (k, p) in cond.iter().enumerate() {
        if chance(rng, *p) {
            mark_site(&mut sites, k, &a.other_site_split, rng);
            any = true;
        }
    }
    if !any {
        let k = categorical(rng, &a.sites_without_liver);
        mark_site(&mut sites, k, &a.other_site_split, rng);
    }

    // Survival and follow-up.
    let os_group = grade.survival_group() as usize;
    let death = months_to_days(model.os[os_group].quantile(unit(rng))).max(2);
    let x = model.accrual_offset(unit(rng));
    let met_day = model.accrual_start.plus_days(x);
    let admin = model.cutoff.0 - met_day.0;
    let lost_after = ((-unit(rng).ln()) / model.lost_rate_per_day)
        .round()
        .clamp(2.0, 1e7) as i32;
    let (censor, lost) = if lost_after < admin {
        (lost_after, true)
    } else {
        (admin.max(2), false)
    };
    let end = death.min(censor);

    let group = [
        TreatmentGroup::SystemicOnly,
        TreatmentGroup::LocalOnly,
        TreatmentGroup::Both,
        TreatmentGroup::SupportiveOnly,
    ][categorical(rng, &model.groups)];
    let first = match group {
        TreatmentGroup::SystemicOnly => FirstTreatment::Systemic,
        TreatmentGroup::LocalOnly => FirstTreatment::Local,
        TreatmentGroup::SupportiveOnly => FirstTreatment::Supportive,
        TreatmentGroup::Both => [
            FirstTreatment::Systemic,
            FirstTreatment::Local,
            FirstTreatment::Supportive,
        ][categorical(rng, &model.both_first)],
    };

    let mut sk = Skeleton {
        male,
        age,
        setting,
        prior_stage,
        site,
        primary,
        segment,
        primary_detail,
        grade,
        aggressiveness,
        sites,
        met_day,
        death,
        censor,
        lost,
        group,
        first,
        supportive: None,
        locals: Vec::new(),
        lines: Vec::new(),
    };

    // The first treatment comes early: within two months, and within the
    // first 30% of follow-up so that every treated patient is treated.
    let t0 = days(rng, 7, 60).min((0.3 * f64::from(end)) as i32);
    let gi_luminal = matches!(
        site,
        CohortSite::Foregut | CohortSite::Midgut | CohortSite::Hindgut
    );
    match (group, first) {
        (TreatmentGroup::SupportiveOnly, _) => sk.supportive = Some(t0),
        (TreatmentGroup::SystemicOnly, _) => {
            run_lines(model, tuning, &mut sk, t0, rng);
        }
        (TreatmentGroup::LocalOnly, _) => {
            let kind = model.first_local(gi_luminal, rng);
            local_phase(model, &mut sk, kind, t0, end, rng);
            later_local(model, &mut sk, end, rng);
        }
        (TreatmentGroup::Both, FirstTreatment::Local | FirstTreatment::Supportive) => {
            let mut t = t0;
            let kind = if first == FirstTreatment::Supportive {
                sk.supportive = Some(t0);
                t = t0 + 1;
                model.later_local(rng)
            } else {
                model.first_local(gi_luminal, rng)
            };
            // Systemic therapy follows the local phase, on progression; it
            // starts within 60% of the remaining follow-up.
            let planned = t + planned_local_days(kind, rng) + days(rng, 30, 180);
            let latest = t + (0.6 * f64::from(end - t)) as i32;
            let s1 = planned.min(latest).max(t + 1).min(end - 1);
            local_phase(model, &mut sk, kind, t, s1 - 14, rng);
            run_lines(model, tuning, &mut sk, s1, rng);
        }
        (TreatmentGroup::Both, FirstTreatment::Systemic) => {
            run_lines(model, tuning, &mut sk, t0, rng);
        }
    }
    sk
}

/// Marks the `k`-th non-liver site group; the fifth group ("other") is one
/// of peritoneum, adrenal or another organ.
fn mark_site(sites: &mut [bool; 8], k: usize, split: &[f64; 3], rng: &mut PatientRng) {
    let site = if k < crate::model::OTHER_SITES.len() {
        crate::model::OTHER_SITES[k]
    } else {
        [
            MetastasisSite::Peritoneum,
            MetastasisSite::Adrenal,
            MetastasisSite::Other,
        ][categorical(rng, split)]
    };
    sites[site_index(site)] = true;
}

fn planned_local_days(kind: LocalKind, rng: &mut PatientRng) -> i32 {
    match kind {
        // Room for a course of about 4–10 sessions three months apart.
        LocalKind::Tace => days(rng, 360, 900),
        LocalKind::Radiotherapy => days(rng, 14, 40),
        _ => days(rng, 20, 90),
    }
}

/// The primary organ within a group (organ shares within groups are
/// assumptions: rectum and stomach are the usual hindgut and foregut NETs).
fn primary_organ(
    site: CohortSite,
    rng: &mut PatientRng,
) -> (PrimarySite, Option<GiSegment>, Option<&'static str>) {
    use PrimarySite as P;
    match site {
        CohortSite::Pancreas => (P::Pancreas, None, None),
        CohortSite::Foregut => {
            if chance(rng, 0.55) {
                (P::Stomach, None, None)
            } else {
                (P::Duodenum, None, None)
            }
        }
        CohortSite::Midgut => {
            if chance(rng, 0.7) {
                (P::JejunumIleum, None, None)
            } else {
                (P::Appendix, None, None)
            }
        }
        CohortSite::Hindgut => {
            if chance(rng, 0.73) {
                (P::Rectum, None, None)
            } else {
                (P::Colon, Some(GiSegment::Hindgut), None)
            }
        }
        CohortSite::Lung => (P::Lung, None, None),
        CohortSite::Other => {
            const NAMED: [&str; 8] = [
                "liver",
                "gallbladder",
                "biliary tract",
                "ovary",
                "kidney",
                "breast",
                "prostate",
                "larynx",
            ];
            if chance(rng, 0.1) {
                (P::Thymus, None, None)
            } else {
                let i = categorical(rng, &[5.0, 2.0, 2.0, 1.5, 1.0, 1.0, 1.0, 0.5]);
                (P::Other, None, Some(NAMED[i]))
            }
        }
        CohortSite::Unknown => (P::Unknown, None, None),
    }
}

/// The local phase that starts with `kind` on day `t`, fitted before `limit`.
fn local_phase(
    model: &Model,
    sk: &mut Skeleton,
    kind: LocalKind,
    t: i32,
    limit: i32,
    rng: &mut PatientRng,
) {
    match kind {
        LocalKind::Tace => {
            // At most the published 16 sessions per patient in all.
            let before = sk
                .locals
                .iter()
                .filter(|l| l.kind == LocalKind::Tace)
                .count() as i32;
            let cap = model.calibration.tace_sessions_max as i32 - before;
            let n = model.tace_sessions(rng).min(cap);
            let mut day = t;
            for i in 0..n {
                if i > 0 && day >= limit {
                    break;
                }
                sk.locals.push(LocalEvent {
                    kind,
                    day,
                    end: None,
                });
                day += days(rng, 60, 120);
            }
        }
        LocalKind::Radiotherapy => {
            let end = (t + days(rng, 10, 35)).min(limit.max(t));
            sk.locals.push(LocalEvent {
                kind,
                day: t,
                end: Some(end),
            });
        }
        _ => sk.locals.push(LocalEvent {
            kind,
            day: t,
            end: None,
        }),
    }
}

/// Further local treatment after the first local phase (an assumption:
/// 15% of patients whose first treatment was local have another kind).
fn later_local(model: &Model, sk: &mut Skeleton, end: i32, rng: &mut PatientRng) {
    if !chance(rng, model.assumptions.second_local) {
        return;
    }
    let last = sk
        .locals
        .iter()
        .map(|l| l.end.unwrap_or(l.day))
        .max()
        .unwrap_or(0);
    let day = last + days(rng, 60, 400);
    if day >= end - 1 {
        return;
    }
    let kind = model.later_local(rng);
    local_phase(model, sk, kind, day, end - 1, rng);
}

/// Draws the lines of systemic therapy from day `start`.
fn run_lines(model: &Model, tuning: &Tuning, sk: &mut Skeleton, start: i32, rng: &mut PatientRng) {
    let end = sk.end();
    let liver = sk.liver();
    let measurable = sk.measurable();
    let high = sk.grade.is_high();
    let mut start = start.min(end - 1).max(0);
    let mut used: Vec<Regimen> = Vec::new();
    let local_after_first =
        sk.group == TreatmentGroup::Both && sk.first == FirstTreatment::Systemic;
    for k in 0..MAX_LINES {
        let regimen = model.choose_regimen(k, high, &used, rng);
        used.push(regimen);
        let g = usize::from(k == 0 && liver);
        let u = unit(rng);
        let ttp = months_to_days(model.ttp[k][g].quantile(u));
        let labelled_pd = u < tuning.pd_threshold[k][g];
        let best = if labelled_pd {
            Best::Pd
        } else {
            [Best::Cr, Best::Pr, Best::Sd][categorical(rng, &tuning.non_pd[k][g])]
        };
        let measured = measurable && chance(rng, tuning.evaluable[k]);
        let prog_day = start + ttp;
        let progressed = prog_day < end;
        let scans = scan_days(start, prog_day, progressed, labelled_pd, end, rng);
        let evaluable = measured && !scans.is_empty();
        let mut line = Line {
            number: k as u32 + 1,
            regimen,
            start,
            liver,
            ttp,
            progression: progressed.then_some(prog_day),
            best,
            measured,
            scans,
            evaluable,
            end: None,
            stop: None,
            administrations: Vec::new(),
            eligible_next: false,
        };
        finish_line(&mut line, sk.dead(), end, rng);
        let mut next_start = prog_day + days(rng, 14, 56);
        if progressed && local_after_first && k == 0 {
            // Local treatment between the first and second lines.
            let day = prog_day + days(rng, 7, 28);
            if day < end - 1 {
                let kind = model.later_local(rng);
                local_phase(model, sk, kind, day, (day + 360).min(end - 1), rng);
                let last = sk
                    .locals
                    .iter()
                    .map(|l| l.end.unwrap_or(l.day))
                    .max()
                    .unwrap_or(day);
                next_start = last + days(rng, 21, 60);
            }
        }
        let eligible = progressed && next_start < end && k + 1 < MAX_LINES;
        line.eligible_next = eligible;
        let go_on = chance(rng, tuning.continue_next[k.min(MAX_LINES - 2)]);
        let line_start = line.start;
        let line_end = line.end.unwrap_or(line_start);
        sk.lines.push(line);
        if local_after_first && k == 0 && !progressed && end - line_end > 3 {
            // No progression to wait for: palliative radiotherapy (of bone,
            // for instance) while on the first line.
            let day = line_start + 1 + ((f64::from(end - line_start - 2)) * unit(rng)) as i32;
            sk.locals.push(LocalEvent {
                kind: LocalKind::Radiotherapy,
                day,
                end: Some((day + days(rng, 5, 20)).min(end - 1).max(day)),
            });
        }
        if !(eligible && go_on) {
            break;
        }
        start = next_start;
    }
}

/// Follow-up assessment days of a line. A line whose best response is
/// progression is assessed first when it progresses; otherwise about every
/// three months (first at 10–14 weeks, never before 6 weeks), with the
/// assessment that shows progression on the progression day.
fn scan_days(
    start: i32,
    prog_day: i32,
    progressed: bool,
    labelled_pd: bool,
    end: i32,
    rng: &mut PatientRng,
) -> Vec<i32> {
    let mut out = Vec::new();
    if labelled_pd {
        if progressed {
            out.push(prog_day);
        }
        return out;
    }
    let stop = if progressed { prog_day - 20 } else { end };
    let mut t = start + days(rng, 70, 100);
    if progressed {
        t = t.min(prog_day - 21).max(start + 42);
    }
    while t < stop && t < end && out.len() < 200 {
        out.push(t);
        t += days(rng, 80, 100);
    }
    if progressed {
        if out.is_empty() && start + 42 < prog_day && start + 42 < end {
            out.push(start + 42);
        }
        out.push(prog_day);
    }
    out
}

/// End date and stop reason of a line.
fn finish_line(line: &mut Line, dead: bool, end: i32, rng: &mut PatientRng) {
    let spec = line.regimen.spec();
    let start = line.start;
    let prog = line.progression;
    let horizon = prog.unwrap_or(end).min(end);
    let toxicity = if chance(rng, spec.toxicity_stop) {
        let span = f64::from((horizon - start).min(365));
        let day = start + (span * uniform(rng, 0.1, 0.9)) as i32;
        (day > start && day < horizon).then_some(day)
    } else {
        None
    };
    let tox_reason = if chance(rng, 0.2) {
        StopReason::PatientChoice
    } else {
        StopReason::Toxicity
    };
    // The planned end of a fixed-length regimen.
    let planned = match spec.schedule {
        Schedule::Continuous => None,
        Schedule::Cycles {
            cycle_days,
            min,
            max,
        } => Some(start + (days(rng, min, max) - 1) * cycle_days + cycle_days - 1),
        Schedule::Radionuclide {
            interval_days,
            min,
            max,
            ..
        } => {
            let n = days(rng, min, max);
            let cut = toxicity.unwrap_or(i32::MAX).min(horizon);
            for i in 0..n {
                let d = start + i * interval_days;
                if i > 0 && d >= cut {
                    break;
                }
                line.administrations.push(d);
            }
            let last = *line.administrations.last().expect("first administration");
            let all = line.administrations.len() as i32 == n;
            line.end = Some(last);
            line.stop = Some(if all {
                StopReason::Completed
            } else if toxicity.is_some_and(|t| t <= horizon) {
                tox_reason
            } else if prog.is_some() {
                StopReason::Progression
            } else if dead {
                StopReason::Death
            } else {
                // Censored between administrations: recorded as ongoing.
                line.end = None;
                return;
            });
            return;
        }
    };
    // Earliest of: completion, toxicity, progression, death, censoring.
    let mut candidates: Vec<(i32, Option<StopReason>)> = Vec::new();
    if let Some(p) = planned {
        candidates.push((p, Some(StopReason::Completed)));
    }
    if let Some(t) = toxicity {
        candidates.push((t, Some(tox_reason)));
    }
    if let Some(p) = prog {
        let d = (p + days(rng, 0, 7)).min(end);
        candidates.push((d, Some(StopReason::Progression)));
    }
    candidates.push((end, if dead { Some(StopReason::Death) } else { None }));
    let (day, reason) = candidates
        .into_iter()
        .min_by_key(|(d, r)| (*d, r.is_none()))
        .expect("at least the end of follow-up");
    line.stop = reason;
    line.end = reason.map(|_| day);
}
