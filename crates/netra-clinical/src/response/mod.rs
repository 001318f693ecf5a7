//! Tumour response from lesion measurements: RECIST 1.1, WHO, Choi,
//! mRECIST and study-defined criteria; best overall response with and
//! without confirmation; dates of response and progression; waterfall and
//! spider data.
//!
//! # Input
//! Plain types, so that any source maps onto them: the lesion CSV
//! (`netra response --lesions`, see `docs/lesion-csv.md`) and the registry's
//! imaging assessments alike. A [`PatientLesions`] holds a patient's
//! [`Assessment`]s (one per scan date, the first being the baseline), each a
//! list of [`Measurement`]s, one per lesion.
//!
//! # Pipeline ([`assess`])
//! 1. Validate the lesions (no new lesion at baseline, every follow-up lesion
//!    known at baseline, one row per lesion per scan, no negative size).
//! 2. Targets: validate the given selection against the criterion
//!    (measurability, at most 5 and 2 per organ for RECIST 1.1), or select
//!    the largest measurable lesions when none is marked.
//! 3. Each follow-up scan: sum, change from baseline and from the nadir,
//!    target / non-target / new-lesion responses and the overall time-point
//!    response (RECIST 1.1 Tables 1 and 2), NE rules for missing lesions.
//! 4. Sequence rules: an equivocal new lesion confirmed later dates PD at
//!    its first appearance; disease after a CR is PD.
//! 5. Best overall response ([`best`]), with confirmation when asked, and
//!    the dates; waterfall and spider data ([`series`]).
//!
//! Each criterion lives in its own module: [`recist`], [`who`], [`choi`],
//! [`mrecist`], [`custom`] (TOML). The rules and tables are in
//! `docs/algorithms/response.md`.

pub mod best;
pub mod choi;
pub mod custom;
mod date;
mod engine;
pub mod mrecist;
pub mod recist;
pub mod series;
pub mod who;

pub use best::{BestOptions, BestResponse, CrThenPr};
pub use date::Date;
pub use engine::{
    Bound, Measure, ModalityRules, PdRule, Reference, Rules, SelectionRules, Thresholds, assess,
};

use std::fmt;

/// How a lesion was classified at baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LesionKind {
    /// A measured target lesion.
    Target,
    /// A non-target lesion, followed qualitatively.
    NonTarget,
    /// A lesion that appeared after baseline.
    New,
}

/// The qualitative status of a lesion at one scan (the CSV's
/// `nontarget_status`): for non-target lesions, and for new lesions whether
/// the finding is equivocal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LesionStatus {
    /// Present, not unequivocally progressing (non-CR/non-PD).
    Present,
    /// Gone (a node: back to normal size, short axis < 10 mm).
    Absent,
    /// Unequivocal progression of this non-target lesion.
    Progression,
    /// Not assessed at this scan.
    NotEvaluated,
    /// A new lesion whose nature is not yet certain (RECIST 1.1 §4.3.2).
    Equivocal,
}

/// One lesion at one scan.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Measurement {
    /// The lesion's identifier, stable across scans.
    pub lesion: String,
    /// Organ (free text; "liver" matters to mRECIST, organs count for the
    /// two-per-organ rule).
    pub organ: String,
    /// Classification; `None` at baseline asks the engine to select targets.
    pub kind: Option<LesionKind>,
    /// Longest diameter, mm (0 = disappeared).
    pub longest_mm: Option<f64>,
    /// Greatest perpendicular diameter, mm (WHO).
    pub perpendicular_mm: Option<f64>,
    /// Short axis, mm (lymph nodes).
    pub short_axis_mm: Option<f64>,
    /// The lesion is a lymph node.
    pub is_node: bool,
    /// Mean attenuation, Hounsfield units (Choi).
    pub attenuation_hu: Option<f64>,
    /// Longest diameter of the viable (arterially enhancing) part, mm
    /// (mRECIST).
    pub viable_mm: Option<f64>,
    /// Qualitative status (non-target and new lesions).
    pub status: Option<LesionStatus>,
    /// Where the row came from (CSV line), for error messages.
    pub source_line: Option<u64>,
    /// The imaging modality that measured the lesion (registry modality
    /// code: `ct`, `mri`, `ultrasound` …), when known: criteria exclude
    /// some for targets ([`ModalityRules`]).
    pub modality: Option<String>,
}

/// All lesions of one patient at one scan date.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// Scan date.
    pub date: Date,
    /// One entry per lesion assessed.
    pub measurements: Vec<Measurement>,
}

/// A patient's scans, baseline first.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientLesions {
    /// Patient identifier.
    pub patient: String,
    /// Scans in date order; the first is the baseline.
    pub assessments: Vec<Assessment>,
}

/// A response category, at a time point or as the best overall response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Category {
    /// Complete response.
    CR,
    /// Partial response.
    PR,
    /// Minor response (study-defined criteria only).
    MR,
    /// Stable disease (WHO: no change).
    SD,
    /// Non-CR/non-PD (non-target-only disease).
    NonCrNonPd,
    /// Progressive disease.
    PD,
    /// Not evaluable.
    NE,
}

impl Category {
    /// Categories from best to worst: the one order every best-response
    /// choice, table and legend uses.
    pub const BEST_FIRST: [Category; 7] = [
        Category::CR,
        Category::PR,
        Category::MR,
        Category::SD,
        Category::NonCrNonPd,
        Category::PD,
        Category::NE,
    ];

    /// Position in [`Category::BEST_FIRST`]: lower is better.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// Objective response as papers count it (ORR numerator): CR or PR.
    /// A study-defined minor response is not objective.
    pub fn is_objective(self) -> bool {
        matches!(self, Category::CR | Category::PR)
    }

    /// Disease control (DCR numerator): CR, PR, MR, SD or non-CR/non-PD.
    pub fn is_disease_control(self) -> bool {
        matches!(
            self,
            Category::CR | Category::PR | Category::MR | Category::SD | Category::NonCrNonPd
        )
    }

    /// The label used in tables, CSV and JSON.
    pub fn label(self) -> &'static str {
        match self {
            Category::CR => "CR",
            Category::PR => "PR",
            Category::MR => "MR",
            Category::SD => "SD",
            Category::NonCrNonPd => "Non-CR/Non-PD",
            Category::PD => "PD",
            Category::NE => "NE",
        }
    }

    /// Parses a label or a common synonym ("partial response", "stable",
    /// "progression", "stabilization" …), case-insensitively.
    pub fn parse(text: &str) -> Option<Category> {
        let t = text.trim().to_ascii_lowercase().replace(['_', '-'], " ");
        Some(match t.as_str() {
            "cr" | "complete response" | "complete regression" | "complete" => Category::CR,
            "pr" | "partial response" | "partial regression" | "partial" => Category::PR,
            "mr" | "minor response" | "minor regression" | "minor" => Category::MR,
            "sd" | "stable disease" | "stable" | "stabilization" | "stabilisation" | "nc"
            | "no change" => Category::SD,
            "non cr/non pd" | "non cr non pd" | "noncr/nonpd" | "noncrnonpd" => {
                Category::NonCrNonPd
            }
            "pd" | "progressive disease" | "progression" | "progressive" => Category::PD,
            "ne" | "not evaluable" | "not evaluated" | "inevaluable" => Category::NE,
            _ => return None,
        })
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The target-lesion response at a time point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetResponse {
    /// A category among CR, PR, MR, SD, PD, NE.
    Category(Category),
    /// No target lesion at baseline.
    NotApplicable,
}

/// The non-target response at a time point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonTargetResponse {
    /// Every non-target lesion gone.
    CR,
    /// Some present, none unequivocally progressing.
    NonCrNonPd,
    /// Unequivocal progression.
    PD,
    /// Some not assessed (and none progressing).
    NE,
    /// No non-target lesion at baseline.
    NotApplicable,
}

impl NonTargetResponse {
    /// Label for output.
    pub fn label(self) -> &'static str {
        match self {
            NonTargetResponse::CR => "CR",
            NonTargetResponse::NonCrNonPd => "Non-CR/Non-PD",
            NonTargetResponse::PD => "PD",
            NonTargetResponse::NE => "NE",
            NonTargetResponse::NotApplicable => "NA",
        }
    }
}

impl TargetResponse {
    /// Label for output.
    pub fn label(self) -> &'static str {
        match self {
            TargetResponse::Category(c) => c.label(),
            TargetResponse::NotApplicable => "NA",
        }
    }
}

/// New lesions at a time point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewLesions {
    /// None.
    No,
    /// At least one unequivocal new lesion.
    Yes,
    /// Only equivocal ones.
    Equivocal,
}

impl NewLesions {
    /// Label for output.
    pub fn label(self) -> &'static str {
        match self {
            NewLesions::No => "no",
            NewLesions::Yes => "yes",
            NewLesions::Equivocal => "equivocal",
        }
    }
}

/// The response at one follow-up scan.
#[derive(Debug, Clone, PartialEq)]
pub struct Timepoint {
    /// Scan date.
    pub date: Date,
    /// Days since the baseline scan.
    pub days: i32,
    /// Sum of the target measure (mm, or mm² for WHO) over the targets
    /// measured; `None` without targets.
    pub sum: Option<f64>,
    /// Every target lesion was measured.
    pub complete: bool,
    /// % change of the sum from baseline (None when incomplete or baseline 0).
    pub change_from_baseline_pct: Option<f64>,
    /// % change of the sum from the nadir before this scan.
    pub change_from_nadir_pct: Option<f64>,
    /// Target response.
    pub target: TargetResponse,
    /// Non-target response.
    pub non_target: NonTargetResponse,
    /// New lesions.
    pub new_lesions: NewLesions,
    /// Overall time-point response.
    pub overall: Category,
    /// Why a rule changed or decided the response (sequence rules, NE).
    pub notes: Vec<String>,
}

/// Everything the engine derives for one patient.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientResponse {
    /// Patient identifier.
    pub patient: String,
    /// Criterion name.
    pub criteria: String,
    /// Baseline scan date.
    pub baseline_date: Date,
    /// Baseline sum of the target measure (None without targets).
    pub baseline_sum: Option<f64>,
    /// Target lesion identifiers, as validated or selected.
    pub targets: Vec<String>,
    /// True when the engine selected the targets.
    pub targets_selected: bool,
    /// One entry per follow-up scan.
    pub timepoints: Vec<Timepoint>,
    /// Best overall response and dates.
    pub best: BestResponse,
}

/// Why a patient's lesions cannot be assessed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResponseError {
    /// The patient has no scan.
    #[error("patient {patient}: no assessment")]
    NoAssessment {
        /// Patient.
        patient: String,
    },
    /// The baseline has no lesion at all.
    #[error("patient {patient}: no lesion at baseline ({date}); response needs baseline disease")]
    NoBaselineDisease {
        /// Patient.
        patient: String,
        /// Baseline date.
        date: Date,
    },
    /// A lesion row cannot be used.
    #[error("patient {patient}, lesion {lesion}, {date}{}: {reason}", line_suffix(*.line))]
    Lesion {
        /// Patient.
        patient: String,
        /// Lesion identifier.
        lesion: String,
        /// Scan date.
        date: Date,
        /// Source line, when known.
        line: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// The target selection breaks the criterion's rules.
    #[error("patient {patient}: invalid target selection for {criteria}: {reason}")]
    Selection {
        /// Patient.
        patient: String,
        /// Criterion.
        criteria: String,
        /// What is wrong.
        reason: String,
    },
    /// A study-defined criteria file is invalid.
    #[error("criteria: {0}")]
    Criteria(String),
}

fn line_suffix(line: Option<u64>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}
