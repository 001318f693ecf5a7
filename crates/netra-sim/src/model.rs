//! From published targets to the parameters the generator draws with.
//!
//! Most parameters follow from [`Calibration`] in closed form:
//!
//! * categorical mixes (sex, primary site, setting, grade, treatment groups,
//!   first treatment, first-line regimens) are the published counts;
//! * age, 5-HIAA and NSE are piecewise-linear quantile curves through the
//!   published median, range and share beyond a cut-off;
//! * overall survival of each grade group is a Weibull through its published
//!   median and 3-year rate; the unclassified/unavailable group, for which
//!   nothing is published, has the median that makes the whole cohort's
//!   median 29 months;
//! * the time to progression of line 1 is a Weibull per liver stratum with
//!   the published medians (12 and 4 months) whose shapes make the mixture's
//!   median 6 months and 1-year progression-free rate 30.2%; lines 2 and 3
//!   are Weibulls through their median and 1-year rate;
//! * the loss-to-follow-up rate makes the median potential follow-up
//!   (reverse Kaplan–Meier) 40 months.
//!
//! Three groups of parameters depend on how death and censoring cut the
//! course short, which has no closed form. They are solved by a pilot: the
//! skeletons of [`PILOT_PATIENTS`] patients are drawn with a fixed seed and
//! the parameters are scaled so that the counts come out as published:
//!
//! * the probability of starting line k+1 after progression on line k
//!   (published: 36 of 66 reach line 2, 22 of 36 line 3);
//! * the probability that a line is measured by RECIST (53 of 66 evaluable on
//!   line 1, 28 of 36 on line 2, 16 of 22 on line 3);
//! * the threshold on the progression-time quantile below which the best
//!   response is progression, corrected for the patients who die before
//!   their first assessment (who are more often non-progressors, since
//!   progressors are assessed early).
//!
//! The pilot is deterministic, so a model is a pure function of the
//! calibration and the assumptions.

use netra_clinical::registry::Day;
use netra_clinical::registry::vocab::MetastasisSite;

use crate::calibration::Calibration;
use crate::dist::{PatientRng, QuantileCurve, Weibull, categorical, chance, normal, patient_rng};
use crate::regimens::{LocalKind, Regimen};
use crate::skeleton::{self, DAYS_PER_MONTH};
use netra_clinical::groups::{CohortGrade, SurvivalGroup};

/// Most lines of systemic therapy ("up to 7 lines").
pub const MAX_LINES: usize = 7;

/// Patients drawn by the pilot that solves the tuned parameters.
pub const PILOT_PATIENTS: u64 = 40_000;

/// Seed of the pilot (fixed: the model must not depend on the user's seed).
pub const PILOT_SEED: u64 = 0x6e65_7472_615f_7069;

/// Metastatic sites other than the liver, as the paper grouped them; the
/// fifth ("other") is one of peritoneum, adrenal or another organ.
pub const OTHER_SITES: [MetastasisSite; 4] = [
    MetastasisSite::LymphNode,
    MetastasisSite::Bone,
    MetastasisSite::Lung,
    MetastasisSite::Brain,
];

/// What the paper does not publish: every choice here is an assumption,
/// documented in `docs/simulator.md`.
#[derive(Debug, Clone, PartialEq)]
pub struct Assumptions {
    /// First day of accrual (the cohort's first year, 1996).
    pub accrual_start: (i32, u32, u32),
    /// Last day of accrual (2007).
    pub accrual_end: (i32, u32, u32),
    /// Data cut-off: accrual start + the longest follow-up (159 months).
    pub cutoff: (i32, u32, u32),
    /// Accrual density at the end relative to the start (referrals grew).
    pub accrual_growth: f64,
    /// Weibull shape of overall survival for unclassified/unavailable grade.
    pub ungraded_os_shape: f64,
    /// Share of line-k patients reaching line k+1 for k ≥ 3.
    pub later_line_share: f64,
    /// Share of patients evaluable for response on lines 4–7.
    pub later_line_evaluable: f64,
    /// Without liver metastases: probability of lymph node, bone, lung,
    /// brain and other metastases (at least one is forced).
    pub sites_without_liver: [f64; 5],
    /// Split of "other" metastases: peritoneum, adrenal, another organ.
    pub other_site_split: [f64; 3],
    /// Liver involvement pattern I, II, III.
    pub liver_pattern: [f64; 3],
    /// Share of paper-G3 tumours that are well differentiated (WHO NET G3);
    /// the rest are carcinomas without recorded cell type.
    pub g3_well_differentiated: f64,
    /// Ki-67 recorded for a graded tumour.
    pub ki67_recorded: f64,
    /// Mitotic count recorded for a graded tumour.
    pub mitoses_recorded: f64,
    /// 5-HIAA measured at metastatic diagnosis.
    pub hiaa_measured: f64,
    /// NSE measured at metastatic diagnosis.
    pub nse_measured: f64,
    /// Chromogranin A measured.
    pub cga_measured: f64,
    /// Correlation of the NSE quantile with the grade score.
    pub nse_grade_correlation: f64,
    /// Share of diagnosis dates recorded to the month only.
    pub partial_diagnosis_date: f64,
    /// Share of death dates recorded to the month only.
    pub partial_death_date: f64,
    /// Median TACE sessions planned (before follow-up cuts them short).
    pub tace_sessions_planned: f64,
    /// Probability of a second kind of local treatment after the first.
    pub second_local: f64,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            accrual_start: (1996, 1, 1),
            accrual_end: (2007, 12, 31),
            cutoff: (2009, 3, 31),
            accrual_growth: 2.0,
            ungraded_os_shape: 1.2,
            later_line_share: 0.5,
            later_line_evaluable: 0.7,
            sites_without_liver: [0.55, 0.30, 0.35, 0.08, 0.30],
            other_site_split: [0.4, 0.2, 0.4],
            liver_pattern: [0.25, 0.30, 0.45],
            g3_well_differentiated: 0.4,
            ki67_recorded: 0.75,
            mitoses_recorded: 0.6,
            hiaa_measured: 0.75,
            nse_measured: 0.6,
            cga_measured: 0.4,
            nse_grade_correlation: 0.5,
            partial_diagnosis_date: 0.04,
            partial_death_date: 0.02,
            tace_sessions_planned: 6.0,
            second_local: 0.15,
        }
    }
}

/// The parameters the pilot solves.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    /// Probability of starting line k+2 when eligible after line k+1.
    pub continue_next: [f64; MAX_LINES - 1],
    /// Probability that line k+1 is measured by RECIST.
    pub evaluable: [f64; MAX_LINES],
    /// Quantile threshold below which the best response is progression,
    /// per line and liver stratum (`[line][liver as usize]`).
    pub pd_threshold: [[f64; 2]; MAX_LINES],
    /// Share of progression as best response among the evaluable that the
    /// threshold realises (the published shares, with line 1's strata shifted
    /// together so that the first line's overall DCR is the published one for
    /// the liver mix of the evaluable patients the pilot finds).
    pub pd_share: [[f64; 2]; MAX_LINES],
    /// CR, PR, SD weights among non-progressors (line 1 shifted likewise for
    /// the overall ORR).
    pub non_pd: [[[f64; 3]; 2]; MAX_LINES],
}

/// Counts of a pilot run, per line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PilotCounts {
    /// Patients who started the line.
    pub started: [u64; MAX_LINES],
    /// Of those, eligible for the next line.
    pub eligible: [u64; MAX_LINES],
    /// Of those, evaluable for response.
    pub evaluable: [u64; MAX_LINES],
    /// Per stratum: (labelled progression, of them evaluable, labelled
    /// otherwise, of them evaluable).
    pub by_label: [[[u64; 4]; 2]; MAX_LINES],
}

/// Everything the generator draws with.
#[derive(Debug, Clone)]
pub struct Model {
    /// The published targets.
    pub calibration: Calibration,
    /// The assumptions.
    pub assumptions: Assumptions,
    /// Age at metastatic diagnosis.
    pub age: QuantileCurve,
    /// Urinary 5-HIAA at metastatic diagnosis (µmol/day).
    pub hiaa: QuantileCurve,
    /// Serum NSE at metastatic diagnosis (µg/dL).
    pub nse: QuantileCurve,
    /// Weights of the three settings.
    pub setting: [f64; 3],
    /// Weights of local and regional prior stage (non-distant).
    pub prior_stage: [f64; 2],
    /// Weights of the primary-site groups.
    pub primary: [f64; 7],
    /// Weights of the grade groups.
    pub grade: [f64; 7],
    /// (lower end, width) of each grade group in the aggressiveness order.
    pub grade_band: [(f64, f64); 7],
    /// Liver metastases when metastatic at diagnosis.
    pub liver_at_diagnosis: f64,
    /// Liver metastases otherwise.
    pub liver_otherwise: f64,
    /// Other sites given liver metastases.
    pub sites_with_liver: [f64; 5],
    /// Other sites without liver metastases (before the forced site).
    pub sites_without_liver: [f64; 5],
    /// Overall survival per [`SurvivalGroup`], months.
    pub os: [Weibull; 5],
    /// Time to progression per line and liver stratum, months.
    pub ttp: [[Weibull; 2]; MAX_LINES],
    /// CR, PR, SD weights among non-progressors per line and stratum.
    pub non_pd: [[[f64; 3]; 2]; MAX_LINES],
    /// Target share of progression as best response among the evaluable.
    pub pd_share: [[f64; 2]; MAX_LINES],
    /// Target share evaluable per line.
    pub evaluable_share: [f64; MAX_LINES],
    /// Target share reaching the next line.
    pub continue_share: [f64; MAX_LINES - 1],
    /// First accrual day.
    pub accrual_start: Day,
    /// Accrual window, days.
    pub accrual_days: i32,
    /// Cut-off day.
    pub cutoff: Day,
    /// Loss to follow-up, per day.
    pub lost_rate_per_day: f64,
    /// Weights of the treatment groups.
    pub groups: [f64; 4],
    /// First treatment in the "both" group: systemic, local, supportive.
    pub both_first: [f64; 3],
    /// First-line regimen weights over [`Regimen::ALL`], low / high grade.
    pub first_line: [[f64; 18]; 2],
    /// Later-line regimen weights, low / high grade.
    pub later_line: [[f64; 18]; 2],
    /// Parameters solved by the pilot.
    pub tuning: Tuning,
}

fn day(d: (i32, u32, u32)) -> Day {
    Day::from_ymd(d.0, d.1, d.2).expect("valid assumption date")
}

impl Model {
    /// The model of the published cohort with the default assumptions,
    /// built once per process.
    pub fn published() -> &'static Model {
        static MODEL: std::sync::OnceLock<Model> = std::sync::OnceLock::new();
        MODEL.get_or_init(|| Model::new(Calibration::published(), Assumptions::default()))
    }

    /// Builds the model: closed-form parameters, then the pilot.
    pub fn new(calibration: Calibration, assumptions: Assumptions) -> Model {
        let cal = &calibration;
        let a = &assumptions;
        let n = f64::from(cal.cohort);

        let age = QuantileCurve {
            knots: vec![
                (0.0, cal.age_min),
                (0.05, 33.0),
                (0.25, 45.0),
                (0.5, cal.age_median),
                (cal.age_under_60.share(), 60.0),
                (0.8, 66.0),
                (0.95, 73.0),
                (1.0, cal.age_max),
            ],
            log: false,
        };
        let marker = |m: &crate::calibration::MarkerTarget, inner: [(f64, f64); 4]| {
            let below = 1.0 - m.above_share;
            let mut knots = vec![(0.0, m.min), (0.5, m.median), (below, m.upper_limit)];
            knots.extend(inner);
            knots.push((1.0, m.max));
            knots.sort_by(|x, y| x.0.total_cmp(&y.0));
            QuantileCurve { knots, log: true }
        };
        let hiaa = marker(
            &cal.hiaa,
            [(0.1, 7.0), (0.3, 15.0), (0.85, 80.0), (0.95, 300.0)],
        );
        let nse = marker(
            &cal.nse,
            [(0.15, 0.7), (0.25, 0.85), (0.8, 3.5), (0.95, 9.0)],
        );

        let grade: [f64; 7] = cal.grade.map(f64::from);
        // Aggressiveness order: G1, G2, unclassified, unavailable, G3,
        // large-cell, small-cell.
        let order = [0usize, 1, 5, 6, 2, 3, 4];
        let mut grade_band = [(0.0, 0.0); 7];
        let mut lo = 0.0;
        for &g in &order {
            grade_band[g] = (lo, grade[g] / n);
            lo += grade[g] / n;
        }

        // Metastatic sites: the published marginals at diagnosis, with the
        // conditionals given liver solved so that the forced site of the
        // patients without liver metastases is accounted for.
        let s67 = cal.initial_sites_of_67.map(f64::from);
        let w_liver = s67[0] / 67.0;
        let raw = a.sites_without_liver;
        let none: f64 = raw.iter().map(|p| 1.0 - p).product();
        let raw_total: f64 = raw.iter().sum();
        let mut sites_with_liver = [0.0; 5];
        for k in 0..5 {
            let effective = raw[k] + none * raw[k] / raw_total;
            let marginal = s67[k + 1] / 67.0;
            sites_with_liver[k] = ((marginal - (1.0 - w_liver) * effective) / w_liver).max(0.0);
        }
        let others = f64::from(cal.cohort - cal.setting[0]);
        let liver_otherwise = (f64::from(cal.liver_overall.n) - s67[0]) / others;

        let os_fixed = [
            Weibull::through(cal.os_g1.median_months, 36.0, cal.os_g1.three_year),
            Weibull::through(cal.os_g2_3.median_months, 36.0, cal.os_g2_3.three_year),
            Weibull::through(
                cal.os_large_cell.median_months,
                36.0,
                cal.os_large_cell.three_year,
            ),
            Weibull::through(
                cal.os_small_cell.median_months,
                36.0,
                cal.os_small_cell.three_year,
            ),
        ];
        let group_weight = |g: SurvivalGroup| -> f64 {
            CohortGrade::ALL
                .iter()
                .filter(|c| c.survival_group() == g)
                .map(|c| grade[c.index()] / n)
                .sum()
        };
        let m = cal.os_overall.median_months;
        let fixed_at_median: f64 = os_fixed
            .iter()
            .zip(SurvivalGroup::ALL)
            .map(|(w, g)| group_weight(g) * w.survival(m))
            .sum();
        let w_ungraded = group_weight(SurvivalGroup::Ungraded);
        let needed = (0.5 - fixed_at_median) / w_ungraded;
        let ungraded = Weibull {
            median: bisect(1.0, 1000.0, |med| {
                Weibull {
                    median: med,
                    shape: a.ungraded_os_shape,
                }
                .survival(m)
                    - needed
            }),
            shape: a.ungraded_os_shape,
        };
        let os = [os_fixed[0], os_fixed[1], os_fixed[2], os_fixed[3], ungraded];

        // Line 1 by liver: medians as published; shapes from the mixture's
        // 1-year rate (the no-liver median is 12 months, so its survival at
        // 12 is 1/2 whatever its shape) and the mixture's median.
        let l1 = &cal.lines[0];
        let wl = f64::from(cal.liver_overall.n) / n;
        let (m_no, m_li) = (cal.liver.ttp_without_months, cal.liver.ttp_with_months);
        let s_no_12 = Weibull {
            median: m_no,
            shape: 1.0,
        }
        .survival(12.0);
        let s_li_12 = (l1.ttp_one_year - (1.0 - wl) * s_no_12) / wl;
        let liver_ttp = Weibull::through(m_li, 12.0, s_li_12);
        let med = l1.ttp_median_months;
        let s_no_med = (0.5 - wl * liver_ttp.survival(med)) / (1.0 - wl);
        let no_liver_ttp = Weibull::through(m_no, med, s_no_med);
        let line = |t: &crate::calibration::LineTarget| {
            Weibull::through(t.ttp_median_months, 12.0, t.ttp_one_year)
        };
        let l2 = line(&cal.lines[1]);
        let l3 = line(&cal.lines[2]);
        let mut ttp = [[l3, l3]; MAX_LINES];
        ttp[0] = [no_liver_ttp, liver_ttp];
        ttp[1] = [l2, l2];

        let split = |t: &crate::calibration::LineTarget| {
            [f64::from(t.cr), f64::from(t.pr), f64::from(t.sd)]
        };
        let lv = &cal.liver;
        // First line by liver: responders as published; CR one in each
        // stratum; stable disease so that DCR is as published overall with the
        // same progression share ratio (3/17 without, 16/36 with liver).
        let non_pd_l1_without = [1.0, f64::from(lv.orr_without.n) - 1.0, 4.0];
        let non_pd_l1_with = [1.0, f64::from(lv.orr_with.n) - 1.0, 12.0];
        let pd_without = (f64::from(lv.orr_without.of) - non_pd_l1_without.iter().sum::<f64>())
            / f64::from(lv.orr_without.of);
        let pd_with = (f64::from(lv.orr_with.of) - non_pd_l1_with.iter().sum::<f64>())
            / f64::from(lv.orr_with.of);
        let mut non_pd = [[split(&cal.lines[2]); 2]; MAX_LINES];
        non_pd[0] = [non_pd_l1_without, non_pd_l1_with];
        non_pd[1] = [split(&cal.lines[1]); 2];
        let pd = |t: &crate::calibration::LineTarget| f64::from(t.pd()) / f64::from(t.evaluable.n);
        let mut pd_share = [[pd(&cal.lines[2]); 2]; MAX_LINES];
        pd_share[0] = [pd_without, pd_with];
        pd_share[1] = [pd(&cal.lines[1]); 2];
        let mut evaluable_share = [a.later_line_evaluable; MAX_LINES];
        for (share, line) in evaluable_share.iter_mut().zip(&cal.lines) {
            *share = line.evaluable.share();
        }
        let r = cal.lines_reached.map(f64::from);
        let mut continue_share = [a.later_line_share; MAX_LINES - 1];
        continue_share[0] = r[1] / r[0];
        continue_share[1] = r[2] / r[1];

        let accrual_start = day(a.accrual_start);
        let accrual_days = day(a.accrual_end).0 - accrual_start.0 + 1;
        let cutoff = day(a.cutoff);
        let mut model = Model {
            calibration: calibration.clone(),
            assumptions: assumptions.clone(),
            age,
            hiaa,
            nse,
            setting: cal.setting.map(f64::from),
            prior_stage: cal.prior_stage_local_regional.map(f64::from),
            primary: [
                cal.primary_pancreas,
                cal.primary_foregut,
                cal.primary_midgut,
                cal.primary_hindgut,
                cal.primary_lung,
                cal.primary_other,
                cal.primary_unknown,
            ]
            .map(|c| f64::from(c.n)),
            grade,
            grade_band,
            liver_at_diagnosis: w_liver,
            liver_otherwise,
            sites_with_liver,
            sites_without_liver: raw,
            os,
            ttp,
            non_pd,
            pd_share,
            evaluable_share,
            continue_share,
            accrual_start,
            accrual_days,
            cutoff,
            lost_rate_per_day: 0.0,
            groups: cal.treatment_groups.map(f64::from),
            // Both: 43 systemic-first overall minus 30 systemic-only; 10
            // supportive-first minus 9 supportive-only; the rest local.
            both_first: {
                let sys = cal.first_treatment[0] - cal.treatment_groups[0];
                let sup = cal.first_treatment[3] - cal.treatment_groups[3];
                [sys, cal.treatment_groups[2] - sys - sup, sup].map(f64::from)
            },
            first_line: first_line_weights(cal),
            later_line: LATER_LINE,
            tuning: Tuning {
                continue_next: [1.0; MAX_LINES - 1],
                evaluable: [1.0; MAX_LINES],
                pd_threshold: pd_share,
                pd_share,
                non_pd,
            },
        };
        // Loss to follow-up: S_C(40 months) = P(cut-off later) · exp(−λ·40m) = 1/2.
        let d = cal.followup_median_months * DAYS_PER_MONTH;
        let x = f64::from(model.cutoff.0 - model.accrual_start.0) - d;
        let p_admin = model.accrual_cdf(x);
        model.lost_rate_per_day = (p_admin / 0.5).ln() / d;
        model.tuning = model.solve_tuning();
        model
    }

    /// Cumulative share of accrual by `x` days after the first accrual day
    /// (density rising linearly by the factor `accrual_growth`).
    pub fn accrual_cdf(&self, x: f64) -> f64 {
        let w = f64::from(self.accrual_days);
        let r = self.assumptions.accrual_growth;
        let x = x.clamp(0.0, w);
        (x + (r - 1.0) * x * x / (2.0 * w)) / (w * (1.0 + (r - 1.0) / 2.0))
    }

    /// Accrual offset in days for a uniform `u` (inverse of the CDF).
    pub fn accrual_offset(&self, u: f64) -> i32 {
        let w = f64::from(self.accrual_days);
        let r = self.assumptions.accrual_growth;
        let x = if (r - 1.0).abs() < 1e-12 {
            u * w
        } else {
            w * ((1.0 + (r * r - 1.0) * u).sqrt() - 1.0) / (r - 1.0)
        };
        (x.floor() as i32).clamp(0, self.accrual_days - 1)
    }

    /// Runs the pilot with `tuning` (continuation and evaluability set to 1).
    pub fn pilot(&self, tuning: &Tuning, patients: u64) -> PilotCounts {
        let mut c = PilotCounts::default();
        for i in 0..patients {
            let mut rng = patient_rng(PILOT_SEED, i);
            let sk = skeleton::draw(self, tuning, &mut rng);
            for line in &sk.lines {
                let k = line.number as usize - 1;
                let g = usize::from(k == 0 && line.liver);
                c.started[k] += 1;
                c.eligible[k] += u64::from(line.eligible_next);
                c.evaluable[k] += u64::from(line.evaluable);
                let pd = line.best == skeleton::Best::Pd;
                let base = if pd { 0 } else { 2 };
                c.by_label[k][g][base] += 1;
                c.by_label[k][g][base + 1] += u64::from(line.evaluable);
            }
        }
        c
    }

    fn solve_tuning(&self) -> Tuning {
        let mut tuning = Tuning {
            continue_next: [1.0; MAX_LINES - 1],
            evaluable: [1.0; MAX_LINES],
            pd_threshold: self.pd_share,
            pd_share: self.pd_share,
            non_pd: self.non_pd,
        };
        let mut counts = PilotCounts::default();
        for _ in 0..3 {
            counts = self.pilot(&tuning, PILOT_PATIENTS);
            self.shift_first_line(&counts, &mut tuning);
            for k in 0..MAX_LINES {
                for g in 0..2 {
                    let [pd, pd_eval, other, other_eval] = counts.by_label[k][g];
                    if pd == 0 || other == 0 || pd_eval == 0 || other_eval == 0 {
                        continue;
                    }
                    let a_pd = pd_eval as f64 / pd as f64;
                    let a_other = other_eval as f64 / other as f64;
                    // Share realised among the evaluable with threshold π:
                    // π a_pd / (π a_pd + (1 − π) a_other); inverted for the target.
                    let t = tuning.pd_share[k][g];
                    tuning.pd_threshold[k][g] = t * a_other / (t * a_other + (1.0 - t) * a_pd);
                }
            }
        }
        for k in 0..MAX_LINES {
            let started = counts.started[k].max(1) as f64;
            let eval_rate = counts.evaluable[k] as f64 / started;
            if eval_rate > 0.0 {
                tuning.evaluable[k] = (self.evaluable_share[k] / eval_rate).min(1.0);
            }
            if k + 1 < MAX_LINES {
                let elig = counts.eligible[k] as f64 / started;
                if elig > 0.0 {
                    tuning.continue_next[k] = (self.continue_share[k] / elig).min(1.0);
                }
            }
        }
        tuning
    }

    /// The first line's response by liver stratum is published (ORR 10/17
    /// without, 8/36 with liver metastases), and so is the first line's
    /// overall response (ORR 18/53, DCR 34/53). Patients without liver
    /// metastases are less often evaluable here (more of them have only bone
    /// or brain disease, and their first assessment comes later than the
    /// early progressors'), so the evaluable mix differs from 17:36 and the
    /// strata's published rates would not average to the published overall
    /// rates. Both strata are shifted by the same amount so that they do;
    /// the shift is about one percentage point.
    fn shift_first_line(&self, counts: &PilotCounts, tuning: &mut Tuning) {
        let by = &counts.by_label[0];
        let eval = |g: usize| (by[g][1] + by[g][3]) as f64;
        if eval(0) + eval(1) == 0.0 {
            return;
        }
        let v = eval(1) / (eval(0) + eval(1));
        let l1 = &self.calibration.lines[0];
        let n1 = f64::from(l1.evaluable.n);
        let orr_all = f64::from(l1.cr + l1.pr) / n1;
        let dcr_all = f64::from(l1.cr + l1.pr + l1.sd) / n1;
        // Published per-stratum rates (from the model's stratum splits).
        let rates = |g: usize| {
            let w = self.non_pd[0][g];
            let pd = self.pd_share[0][g];
            let tot: f64 = w.iter().sum();
            let cr = (1.0 - pd) * w[0] / tot;
            let orr = (1.0 - pd) * (w[0] + w[1]) / tot;
            (cr, orr, 1.0 - pd)
        };
        let (cr0, orr0, dcr0) = rates(0);
        let (cr1, orr1, dcr1) = rates(1);
        let d_orr = orr_all - ((1.0 - v) * orr0 + v * orr1);
        let d_dcr = dcr_all - ((1.0 - v) * dcr0 + v * dcr1);
        for (g, (cr, orr, dcr)) in [(cr0, orr0, dcr0), (cr1, orr1, dcr1)]
            .into_iter()
            .enumerate()
        {
            let orr = (orr + d_orr).clamp(cr, 1.0);
            let dcr = (dcr + d_dcr).clamp(orr, 1.0);
            tuning.pd_share[0][g] = 1.0 - dcr;
            tuning.non_pd[0][g] = [cr, orr - cr, dcr - orr];
        }
    }

    /// First local treatment of a patient whose first treatment is local.
    /// Endoscopic resection is for luminal GI primaries only, with the
    /// probability that keeps its published share of all first treatments.
    pub(crate) fn first_local(&self, gi_luminal: bool, rng: &mut PatientRng) -> LocalKind {
        let cal = &self.calibration;
        let local_first = f64::from(
            cal.first_treatment[1]
                + cal.first_treatment[2]
                + cal.first_treatment[4]
                + cal.first_treatment[5],
        ) + self.first_other_local();
        let endo = f64::from(cal.first_treatment[4]);
        let gi = f64::from(cal.primary_foregut.n + cal.primary_midgut.n + cal.primary_hindgut.n)
            / f64::from(cal.cohort);
        if gi_luminal && chance(rng, endo / (local_first * gi)) {
            return LocalKind::Endoscopic;
        }
        let tace = f64::from(cal.first_treatment[1]);
        let surgery = f64::from(cal.first_treatment[2]);
        let rt = f64::from(cal.first_treatment[5]);
        let other = self.first_other_local();
        match categorical(rng, &[tace, surgery, rt, other]) {
            0 => LocalKind::Tace,
            1 => [
                LocalKind::PrimaryResection,
                LocalKind::Debulking,
                LocalKind::Metastasectomy,
            ][categorical(rng, &[0.4, 0.2, 0.4])],
            2 => LocalKind::Radiotherapy,
            _ => [
                LocalKind::Rfa,
                LocalKind::BlandEmbolisation,
                LocalKind::Radioembolisation,
                LocalKind::MicrowaveAblation,
            ][categorical(rng, &[3.0, 1.0, 1.0, 1.0])],
        }
    }

    /// First treatments not listed by the paper (103 − 97 = 6 patients):
    /// other local treatments.
    fn first_other_local(&self) -> f64 {
        let cal = &self.calibration;
        f64::from(cal.cohort - cal.first_treatment.iter().sum::<u32>())
    }

    /// A local treatment after the first (assumption: radiotherapy half the
    /// time, then TACE, RFA, metastasectomy).
    pub(crate) fn later_local(&self, rng: &mut PatientRng) -> LocalKind {
        [
            LocalKind::Radiotherapy,
            LocalKind::Tace,
            LocalKind::Rfa,
            LocalKind::Metastasectomy,
        ][categorical(rng, &[0.5, 0.25, 0.15, 0.1])]
    }

    /// Planned TACE sessions: log-normal around the planned median, 1–16.
    pub(crate) fn tace_sessions(&self, rng: &mut PatientRng) -> i32 {
        let x = (self.assumptions.tace_sessions_planned.ln() + 0.65 * normal(rng)).exp();
        (x.round() as i32).clamp(1, self.calibration.tace_sessions_max as i32)
    }

    /// The regimen of line `k` (0-based), avoiding families already used.
    pub(crate) fn choose_regimen(
        &self,
        k: usize,
        high: bool,
        used: &[Regimen],
        rng: &mut PatientRng,
    ) -> Regimen {
        let table = if k == 0 {
            &self.first_line
        } else {
            &self.later_line
        };
        let mut w = table[usize::from(high)];
        for r in Regimen::ALL {
            if used.iter().any(|u| family(*u) == family(r)) {
                w[r.index()] = 0.0;
            }
        }
        if w.iter().all(|x| *x <= 0.0) {
            w = table[usize::from(high)];
        }
        Regimen::ALL[categorical(rng, &w)]
    }
}

/// Regimens that are not given again after one another (a somatostatin
/// analogue after another, etoposide-platinum after etoposide-platinum).
fn family(r: Regimen) -> u8 {
    use Regimen as R;
    match r {
        R::Octreotide | R::Lanreotide => 0,
        R::EtoposideCisplatin | R::EtoposideCarboplatin | R::Vip => 1,
        R::StreptozocinFluorouracil | R::StreptozocinDoxorubicin => 2,
        other => 10 + other.index() as u8,
    }
}

/// The first-line counts of the paper (interferon 15, somatostatin analogue
/// 2, etoposide-platinum 16, VIP 6, sunitinib 5) and an assumed split of the
/// 22 regimens behind "..." (streptozocin-based 9, irinotecan-cisplatin 3,
/// capecitabine-temozolomide 2, FOLFOX 2, everolimus 3, PRRT 3). High-grade
/// tumours take platinum doublets more often: their conditional mix is
/// fixed below, and the low-grade mix is solved so that the marginal is the
/// published one.
fn first_line_weights(cal: &Calibration) -> [[f64; 18]; 2] {
    use Regimen as R;
    let mut marginal = [0.0; 18];
    let mut set = |r: Regimen, n: f64| marginal[r.index()] = n;
    set(R::Octreotide, 1.0);
    set(R::Lanreotide, f64::from(cal.first_line_ssa) - 1.0);
    set(R::Interferon, f64::from(cal.first_line_interferon));
    set(R::EtoposideCisplatin, f64::from(cal.first_line_ep) - 3.0);
    set(R::EtoposideCarboplatin, 3.0);
    set(R::Vip, f64::from(cal.first_line_vip));
    set(R::Sunitinib, f64::from(cal.first_line_sunitinib));
    set(R::StreptozocinFluorouracil, 6.0);
    set(R::StreptozocinDoxorubicin, 3.0);
    set(R::CapecitabineTemozolomide, 2.0);
    set(R::Folfox, 2.0);
    set(R::IrinotecanCisplatin, 3.0);
    set(R::Everolimus, 3.0);
    set(R::Lutetium, 2.0);
    set(R::Yttrium, 1.0);
    let total: f64 = marginal.iter().sum();
    for m in &mut marginal {
        *m /= total;
    }
    let mut high = [0.0; 18];
    for (r, p) in [
        (R::EtoposideCisplatin, 0.45),
        (R::EtoposideCarboplatin, 0.10),
        (R::Vip, 0.20),
        (R::IrinotecanCisplatin, 0.10),
        (R::Folfox, 0.05),
        (R::CapecitabineTemozolomide, 0.05),
        (R::Interferon, 0.05),
    ] {
        high[r.index()] = p;
    }
    let wh = f64::from(cal.grade[2] + cal.grade[3] + cal.grade[4]) / f64::from(cal.cohort);
    let mut low = [0.0; 18];
    for i in 0..18 {
        low[i] = ((marginal[i] - wh * high[i]) / (1.0 - wh)).max(0.0);
    }
    [low, high]
}

/// Later lines (assumption): targeted agents and PRRT for well-differentiated
/// tumours, second-line chemotherapy for high-grade ones.
const LATER_LINE: [[f64; 18]; 2] = [
    // Oct Lan IFN EPc EPk VIP SFU SDx CTm FOX IrC Eve Sun Paz Lu  Y90 In  MIBG
    [
        3.0, 3.0, 6.0, 3.0, 1.0, 0.0, 8.0, 4.0, 8.0, 7.0, 5.0, 18.0, 12.0, 3.0, 10.0, 4.0, 3.0, 2.0,
    ],
    [
        1.0, 0.0, 2.0, 6.0, 3.0, 4.0, 0.0, 2.0, 10.0, 12.0, 12.0, 5.0, 4.0, 0.0, 2.0, 0.0, 0.0, 0.0,
    ],
];

fn bisect(mut lo: f64, mut hi: f64, f: impl Fn(f64) -> f64) -> f64 {
    let flo = f(lo);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if (f(mid) > 0.0) == (flo > 0.0) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_parameters_reproduce_the_targets() {
        let m = Model::published();
        let cal = &m.calibration;
        // Overall survival: the grade mixture's median is 29 months.
        let n = f64::from(cal.cohort);
        let mix = |t: f64| -> f64 {
            CohortGrade::ALL
                .iter()
                .map(|g| m.grade[g.index()] / n * m.os[g.survival_group() as usize].survival(t))
                .sum()
        };
        assert!((mix(29.0) - 0.5).abs() < 1e-9);
        assert!((m.os[0].survival(36.0) - 0.658).abs() < 1e-12);
        assert!((m.os[3].survival(18.0) - 0.5).abs() < 1e-12);
        // First-line TTP mixture: median 6, 1-year 30.2%.
        let wl = 71.0 / 103.0;
        let ttp = |t: f64| (1.0 - wl) * m.ttp[0][0].survival(t) + wl * m.ttp[0][1].survival(t);
        assert!((ttp(6.0) - 0.5).abs() < 1e-9);
        assert!((ttp(12.0) - 0.302).abs() < 1e-9);
        assert!((m.ttp[0][0].survival(12.0) - 0.5).abs() < 1e-12);
        assert!((m.ttp[0][1].survival(4.0) - 0.5).abs() < 1e-12);
        assert!((m.ttp[2][0].survival(12.0) - 0.055).abs() < 1e-12);
        // Follow-up: potential follow-up has median 40 months.
        let d = 40.0 * DAYS_PER_MONTH;
        let x = f64::from(m.cutoff.0 - m.accrual_start.0) - d;
        let s = m.accrual_cdf(x) * (-m.lost_rate_per_day * d).exp();
        assert!((s - 0.5).abs() < 1e-12);
        // The accrual offset inverts the CDF.
        let off = m.accrual_offset(0.3);
        assert!((m.accrual_cdf(f64::from(off)) - 0.3).abs() < 2e-4);
        // Sites: liver 50/67 at diagnosis; conditionals are probabilities.
        assert!((m.liver_at_diagnosis - 50.0 / 67.0).abs() < 1e-12);
        assert!((m.liver_otherwise - 21.0 / 36.0).abs() < 1e-12);
        assert!(m.sites_with_liver.iter().all(|p| *p > 0.0 && *p < 1.0));
        // First-line regimens: the low-grade mix is a distribution and the
        // two mixes average to the published counts.
        let wh = 31.0 / 103.0;
        for i in 0..18 {
            assert!(m.first_line[0][i] >= 0.0);
        }
        let ifn = Regimen::Interferon.index();
        let avg = (1.0 - wh) * m.first_line[0][ifn] + wh * m.first_line[1][ifn];
        assert!((avg - 15.0 / 66.0).abs() < 1e-12);
        let low: f64 = m.first_line[0].iter().sum();
        assert!((low - 1.0).abs() < 1e-12);
        assert_eq!(m.both_first, [13.0, 22.0, 1.0]);
    }

    #[test]
    fn tuned_parameters_are_probabilities() {
        let t = &Model::published().tuning;
        for p in t.continue_next.iter().chain(t.evaluable.iter()) {
            assert!(*p > 0.0 && *p <= 1.0, "{t:?}");
        }
        for row in &t.pd_threshold {
            for p in row {
                assert!(*p > 0.0 && *p < 1.0);
            }
        }
        // Death before the first scan removes more non-progressors, so the
        // progression threshold must be lowered, not raised.
        assert!(t.pd_threshold[2][0] <= t.pd_share[2][0] + 1e-9);
    }
}
