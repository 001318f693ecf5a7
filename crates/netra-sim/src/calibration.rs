//! The published figures the simulator is calibrated to.
//!
//! Every number here is transcribed from the summary of the 103-patient
//! retrospective cohort of metastatic or recurrent NETs (a single referral
//! centre, 1996–2007) in `../shared/data/published-studies/README.md`,
//! section "Retrospective cohort of 103 metastatic/recurrent NETs"; each field
//! cites the line it comes from. Percentages of the 103 patients are kept as
//! the counts they stand for (25.2% of 103 is 26 patients), because counts are
//! what the paper tabulated and they add up exactly.
//!
//! What the paper does not publish (the Weibull shapes, the regimens behind
//! "...", the growth of lesions, adverse-event rates) are *assumptions*; they
//! live in [`crate::model::Assumptions`], not here.

/// A published count out of a published denominator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Count {
    /// Patients with the characteristic.
    pub n: u32,
    /// Patients it is a share of.
    pub of: u32,
}

impl Count {
    /// `n / of`.
    pub fn share(self) -> f64 {
        f64::from(self.n) / f64::from(self.of)
    }
}

const fn c(n: u32, of: u32) -> Count {
    Count { n, of }
}

/// Overall survival of one grade group: median and 3-year rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalTarget {
    /// Median overall survival, months.
    pub median_months: f64,
    /// Kaplan–Meier survival at 36 months.
    pub three_year: f64,
}

/// A urine or serum marker at metastatic diagnosis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MarkerTarget {
    /// Median value.
    pub median: f64,
    /// Smallest value of the cohort.
    pub min: f64,
    /// Largest value of the cohort.
    pub max: f64,
    /// Upper reference limit.
    pub upper_limit: f64,
    /// Share above the upper limit.
    pub above_share: f64,
}

/// Outcome of one line of systemic therapy (RECIST).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineTarget {
    /// Median time to progression from the start of the line, months.
    pub ttp_median_months: f64,
    /// Progression-free rate at 12 months.
    pub ttp_one_year: f64,
    /// Patients evaluable for response / patients treated on the line.
    /// The denominators are implied by the published percentages (34.0% ORR
    /// with CR 3.8% and PR 30.2% is 18 of 53; 21.4% is 6 of 28; 12.5% is 2 of 16).
    pub evaluable: Count,
    /// Complete responses among the evaluable.
    pub cr: u32,
    /// Partial responses among the evaluable.
    pub pr: u32,
    /// Stable disease among the evaluable (DCR − ORR).
    pub sd: u32,
}

impl LineTarget {
    /// Objective response rate among the evaluable.
    pub fn orr(&self) -> f64 {
        f64::from(self.cr + self.pr) / f64::from(self.evaluable.n)
    }

    /// Disease control rate among the evaluable.
    pub fn dcr(&self) -> f64 {
        f64::from(self.cr + self.pr + self.sd) / f64::from(self.evaluable.n)
    }

    /// Progressive disease as best response among the evaluable.
    pub fn pd(&self) -> u32 {
        self.evaluable.n - self.cr - self.pr - self.sd
    }
}

/// First-line response split by liver metastases.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiverSplit {
    /// Responders (CR + PR) / evaluable without liver metastases.
    pub orr_without: Count,
    /// Responders / evaluable with liver metastases.
    pub orr_with: Count,
    /// Median first-line TTP without liver metastases, months.
    pub ttp_without_months: f64,
    /// Median first-line TTP with liver metastases, months.
    pub ttp_with_months: f64,
}

/// Every published target of the simulator.
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// Cohort size ("103 metastatic/recurrent NETs").
    pub cohort: u32,
    /// "Median age 54 (22–78)".
    pub age_median: f64,
    /// Youngest patient.
    pub age_min: f64,
    /// Oldest patient.
    pub age_max: f64,
    /// "<60 y 61.2%" (63 of 103).
    pub age_under_60: Count,
    /// "Male 56.3%" (58 of 103).
    pub male: Count,
    /// "Primary: pancreas 25.2%" (26).
    pub primary_pancreas: Count,
    /// "foregut 10.7%" (11).
    pub primary_foregut: Count,
    /// "midgut 1.0%" (1).
    pub primary_midgut: Count,
    /// "hindgut 14.6%" (15).
    pub primary_hindgut: Count,
    /// "lung 1.9%" (2).
    pub primary_lung: Count,
    /// "other sites 27.2%" (28).
    pub primary_other: Count,
    /// "unknown 19.4%" (20).
    pub primary_unknown: Count,
    /// "Setting: 67 metastatic at diagnosis, 30 recurrent after curative
    /// resection, 6 progressed from non-metastatic disease".
    pub setting: [u32; 3],
    /// "Prior stage local 21.4%, regional 14.6%, distant 65.0%" (22, 15, 67 of
    /// 103; the distant ones are the 67 metastatic at diagnosis).
    pub prior_stage_local_regional: [u32; 2],
    /// "Initial metastatic sites (of 67): liver 74.6%, lymph node 29.9%, bone
    /// 17.9%, lung 17.9%, brain 4.5%, other 14.9%" (50, 20, 12, 12, 3, 10).
    pub initial_sites_of_67: [u32; 6],
    /// "Liver involved in 68.9% overall" (71 of 103).
    pub liver_overall: Count,
    /// "Grade (SEER 4-level): G1 33.0%, G2 1.0%, G3 14.6%, large-cell 8.7%,
    /// small-cell 6.8%, unclassified 24.3%, unavailable 11.7%" (34, 1, 15, 9,
    /// 7, 25, 12 of 103), in [`crate::CohortGrade::ALL`] order.
    pub grade: [u32; 7],
    /// "urine 5-HIAA median 23.0 µmol/day (2.6–1324.6; reference <31.4; 28.6% above)".
    pub hiaa: MarkerTarget,
    /// "serum NSE median 1.6 (0.4–23.1; reference <1.0; 63.6% above)".
    pub nse: MarkerTarget,
    /// "Overall survival: median 29.0 months (95% CI 25.0–33.0); 3-year 39.2%".
    pub os_overall: SurvivalTarget,
    /// "G1 78.0 (32.3–123.7), 3-y 65.8%".
    pub os_g1: SurvivalTarget,
    /// "G2–3 18.0 (1.9–34.1), 29.8%".
    pub os_g2_3: SurvivalTarget,
    /// "large-cell 15.0 (2.8–27.2), 13.9%".
    pub os_large_cell: SurvivalTarget,
    /// "small-cell 18.0 (7.1–28.9), 17.9%".
    pub os_small_cell: SurvivalTarget,
    /// "Median follow-up 40.0 months (0–159)": median and longest follow-up.
    pub followup_median_months: f64,
    /// Longest follow-up, months.
    pub followup_max_months: f64,
    /// "66 received systemic therapy, 64 local therapy, 36 both, 9 best
    /// supportive care only": systemic only, local only, both, supportive only
    /// (30, 28, 36, 9).
    pub treatment_groups: [u32; 4],
    /// "First treatment of metastatic disease: systemic 41.7%, TACE 20.4%,
    /// surgery 12.6%, supportive 9.7%, endoscopic removal 5.8%, radiotherapy
    /// 3.9%" (43, 21, 13, 10, 6, 4 of 103; the 6 left over are other local
    /// treatments).
    pub first_treatment: [u32; 6],
    /// "Lines of systemic therapy: 66 → 36 (2nd) → 22 (3rd), up to 7 lines".
    pub lines_reached: [u32; 3],
    /// Most lines a patient received.
    pub max_lines: u32,
    /// "First line: interferon 15, somatostatin analogue 2, chemotherapy 49
    /// (etoposide-platinum 16, VIP 6, sunitinib 5, ...)".
    pub first_line_interferon: u32,
    /// Somatostatin analogue first line.
    pub first_line_ssa: u32,
    /// Chemotherapy (in the paper's wide sense) first line.
    pub first_line_chemotherapy: u32,
    /// Etoposide-platinum first line.
    pub first_line_ep: u32,
    /// VIP first line.
    pub first_line_vip: u32,
    /// Sunitinib first line.
    pub first_line_sunitinib: u32,
    /// "TACE: 25 patients, median 4 sessions (1–16), median interval 3 months".
    pub tace_patients: u32,
    /// Median TACE sessions per patient.
    pub tace_sessions_median: u32,
    /// Most TACE sessions.
    pub tace_sessions_max: u32,
    /// Median months between sessions.
    pub tace_interval_months: f64,
    /// "RFA 6; metastasectomy 6; radiotherapy 15; endoscopic removal 5".
    pub rfa_patients: u32,
    /// Patients with a metastasectomy.
    pub metastasectomy_patients: u32,
    /// Patients with radiotherapy.
    pub radiotherapy_patients: u32,
    /// "Per line (RECIST): line 1 median TTP 6.0 months (3.3–8.7), 1-year
    /// progression-free 30.2%, ORR 34.0% (CR 3.8%, PR 30.2%), DCR 64.2%; line 2
    /// TTP 5.0, 1-y 14.1%, ORR 21.4%, DCR 53.6%; line 3 TTP 2.0, 1-y 5.5%, ORR
    /// 12.5%, DCR 31.3%". The CR/PR split of lines 2 and 3 is not published
    /// (line 2: 1 CR + 5 PR and line 3: 2 PR are assumptions).
    pub lines: [LineTarget; 3],
    /// "TTP without vs with liver metastases 12.0 vs 4.0 months; ORR 58.8% vs
    /// 22.2%" (10 of 17 and 8 of 36 evaluable first-line patients).
    pub liver: LiverSplit,
    /// "Median OS from start of systemic therapy 25.0 months" — a check value,
    /// not a calibration target (it follows from the others).
    pub os_from_systemic_months: f64,
}

impl Calibration {
    /// The 103-patient retrospective cohort.
    pub fn published() -> Calibration {
        Calibration {
            cohort: 103,
            age_median: 54.0,
            age_min: 22.0,
            age_max: 78.0,
            age_under_60: c(63, 103),
            male: c(58, 103),
            primary_pancreas: c(26, 103),
            primary_foregut: c(11, 103),
            primary_midgut: c(1, 103),
            primary_hindgut: c(15, 103),
            primary_lung: c(2, 103),
            primary_other: c(28, 103),
            primary_unknown: c(20, 103),
            setting: [67, 30, 6],
            prior_stage_local_regional: [22, 15],
            initial_sites_of_67: [50, 20, 12, 12, 3, 10],
            liver_overall: c(71, 103),
            grade: [34, 1, 15, 9, 7, 25, 12],
            hiaa: MarkerTarget {
                median: 23.0,
                min: 2.6,
                max: 1324.6,
                upper_limit: 31.4,
                above_share: 0.286,
            },
            nse: MarkerTarget {
                median: 1.6,
                min: 0.4,
                max: 23.1,
                upper_limit: 1.0,
                above_share: 0.636,
            },
            os_overall: SurvivalTarget {
                median_months: 29.0,
                three_year: 0.392,
            },
            os_g1: SurvivalTarget {
                median_months: 78.0,
                three_year: 0.658,
            },
            os_g2_3: SurvivalTarget {
                median_months: 18.0,
                three_year: 0.298,
            },
            os_large_cell: SurvivalTarget {
                median_months: 15.0,
                three_year: 0.139,
            },
            os_small_cell: SurvivalTarget {
                median_months: 18.0,
                three_year: 0.179,
            },
            followup_median_months: 40.0,
            followup_max_months: 159.0,
            treatment_groups: [30, 28, 36, 9],
            first_treatment: [43, 21, 13, 10, 6, 4],
            lines_reached: [66, 36, 22],
            max_lines: 7,
            first_line_interferon: 15,
            first_line_ssa: 2,
            first_line_chemotherapy: 49,
            first_line_ep: 16,
            first_line_vip: 6,
            first_line_sunitinib: 5,
            tace_patients: 25,
            tace_sessions_median: 4,
            tace_sessions_max: 16,
            tace_interval_months: 3.0,
            rfa_patients: 6,
            metastasectomy_patients: 6,
            radiotherapy_patients: 15,
            lines: [
                LineTarget {
                    ttp_median_months: 6.0,
                    ttp_one_year: 0.302,
                    evaluable: c(53, 66),
                    cr: 2,
                    pr: 16,
                    sd: 16,
                },
                LineTarget {
                    ttp_median_months: 5.0,
                    ttp_one_year: 0.141,
                    evaluable: c(28, 36),
                    cr: 1,
                    pr: 5,
                    sd: 9,
                },
                LineTarget {
                    ttp_median_months: 2.0,
                    ttp_one_year: 0.055,
                    evaluable: c(16, 22),
                    cr: 0,
                    pr: 2,
                    sd: 3,
                },
            ],
            liver: LiverSplit {
                orr_without: c(10, 17),
                orr_with: c(8, 36),
                ttp_without_months: 12.0,
                ttp_with_months: 4.0,
            },
            os_from_systemic_months: 25.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counts reproduce the published percentages (to their printed
    /// rounding) and add up to the cohort.
    #[test]
    fn counts_match_the_printed_percentages() {
        let cal = Calibration::published();
        let pct = |n: u32| (1000.0 * f64::from(n) / 103.0).round() / 10.0;
        assert_eq!(pct(cal.male.n), 56.3);
        assert_eq!(pct(cal.age_under_60.n), 61.2);
        assert_eq!(pct(cal.primary_pancreas.n), 25.2);
        assert_eq!(pct(cal.primary_foregut.n), 10.7);
        assert_eq!(pct(cal.primary_midgut.n), 1.0);
        assert_eq!(pct(cal.primary_hindgut.n), 14.6);
        assert_eq!(pct(cal.primary_lung.n), 1.9);
        assert_eq!(pct(cal.primary_other.n), 27.2);
        assert_eq!(pct(cal.primary_unknown.n), 19.4);
        let sites = cal.primary_pancreas.n
            + cal.primary_foregut.n
            + cal.primary_midgut.n
            + cal.primary_hindgut.n
            + cal.primary_lung.n
            + cal.primary_other.n
            + cal.primary_unknown.n;
        assert_eq!(sites, 103);
        let grades: Vec<f64> = cal.grade.iter().map(|&n| pct(n)).collect();
        assert_eq!(grades, vec![33.0, 1.0, 14.6, 8.7, 6.8, 24.3, 11.7]);
        assert_eq!(cal.grade.iter().sum::<u32>(), 103);
        assert_eq!(cal.setting.iter().sum::<u32>(), 103);
        assert_eq!(cal.treatment_groups.iter().sum::<u32>(), 103);
        // 66 systemic = systemic only + both; 64 local = local only + both.
        assert_eq!(cal.treatment_groups[0] + cal.treatment_groups[2], 66);
        assert_eq!(cal.treatment_groups[1] + cal.treatment_groups[2], 64);
        let first: Vec<f64> = cal.first_treatment.iter().map(|&n| pct(n)).collect();
        assert_eq!(first, vec![41.7, 20.4, 12.6, 9.7, 5.8, 3.9]);
        let of67 = |n: u32| (1000.0 * f64::from(n) / 67.0).round() / 10.0;
        let sites: Vec<f64> = cal.initial_sites_of_67.iter().map(|&n| of67(n)).collect();
        assert_eq!(sites, vec![74.6, 29.9, 17.9, 17.9, 4.5, 14.9]);
        assert_eq!(pct(cal.liver_overall.n), 68.9);
        assert_eq!(
            cal.first_line_interferon + cal.first_line_ssa + cal.first_line_chemotherapy,
            66
        );
        let l = &cal.lines;
        let r = |x: f64| (1000.0 * x).round() / 10.0;
        assert_eq!((r(l[0].orr()), r(l[0].dcr())), (34.0, 64.2));
        assert_eq!(r(f64::from(l[0].cr) / 53.0), 3.8);
        assert_eq!((r(l[1].orr()), r(l[1].dcr())), (21.4, 53.6));
        assert_eq!((r(l[2].orr()), r(l[2].dcr())), (12.5, 31.3));
        assert_eq!(r(cal.liver.orr_without.share()), 58.8);
        assert_eq!(r(cal.liver.orr_with.share()), 22.2);
        assert_eq!(cal.liver.orr_without.of + cal.liver.orr_with.of, 53);
        assert_eq!(
            cal.liver.orr_without.n + cal.liver.orr_with.n,
            l[0].cr + l[0].pr
        );
    }
}
