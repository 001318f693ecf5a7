//! Grade and primary-site groups as NET series tabulate them (the published
//! 103-patient retrospective cohort among them), read back from
//! registry records.
//!
//! The paper's grade column mixes the SEER 4-level grade with the cell type of
//! carcinomas ("G1, G2, G3, large-cell, small-cell, unclassified,
//! unavailable"), and its primary-site column groups GI organs by segment.
//! These functions map a [`Tumour`] back onto those columns, so that reports
//! and the calibration tests tabulate the simulated registry exactly as the
//! paper tabulated its patients.

use crate::registry::model::Tumour;
use crate::registry::vocab::{GiSegment, NecCellType, PrimarySite, SeerGrade};

/// The grade groups of the retrospective cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CohortGrade {
    /// SEER grade I (WHO NET G1).
    G1,
    /// SEER grade II (WHO NET G2).
    G2,
    /// SEER grade III that is not a large-cell carcinoma (WHO NET G3 or NEC
    /// without cell type).
    G3,
    /// Large-cell neuroendocrine carcinoma.
    LargeCell,
    /// Small-cell neuroendocrine carcinoma.
    SmallCell,
    /// Pathology reviewed, grade not classifiable (differentiation `unknown`).
    Unclassified,
    /// No pathology record (differentiation not recorded).
    Unavailable,
}

impl CohortGrade {
    /// In the order of the paper's table.
    pub const ALL: [CohortGrade; 7] = [
        CohortGrade::G1,
        CohortGrade::G2,
        CohortGrade::G3,
        CohortGrade::LargeCell,
        CohortGrade::SmallCell,
        CohortGrade::Unclassified,
        CohortGrade::Unavailable,
    ];

    /// The paper's label.
    pub fn label(self) -> &'static str {
        match self {
            CohortGrade::G1 => "G1",
            CohortGrade::G2 => "G2",
            CohortGrade::G3 => "G3",
            CohortGrade::LargeCell => "large-cell",
            CohortGrade::SmallCell => "small-cell",
            CohortGrade::Unclassified => "unclassified",
            CohortGrade::Unavailable => "unavailable",
        }
    }

    /// The group of a recorded tumour: the carcinoma cell type first, then
    /// the SEER grade, then whether pathology was reviewed at all.
    pub fn of(t: &Tumour) -> CohortGrade {
        match (t.nec_cell_type, t.seer_grade) {
            (Some(NecCellType::SmallCell), _) | (_, Some(SeerGrade::G4)) => CohortGrade::SmallCell,
            (Some(NecCellType::LargeCell), _) => CohortGrade::LargeCell,
            (_, Some(SeerGrade::G1)) => CohortGrade::G1,
            (_, Some(SeerGrade::G2)) => CohortGrade::G2,
            (_, Some(SeerGrade::G3)) => CohortGrade::G3,
            _ if t.differentiation.is_some() => CohortGrade::Unclassified,
            _ => CohortGrade::Unavailable,
        }
    }

    /// Position in [`CohortGrade::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The survival group the paper reported ("G2–3" pools G2 and G3; the
    /// unclassified and unavailable are one group here).
    pub fn survival_group(self) -> SurvivalGroup {
        match self {
            CohortGrade::G1 => SurvivalGroup::G1,
            CohortGrade::G2 | CohortGrade::G3 => SurvivalGroup::G2G3,
            CohortGrade::LargeCell => SurvivalGroup::LargeCell,
            CohortGrade::SmallCell => SurvivalGroup::SmallCell,
            CohortGrade::Unclassified | CohortGrade::Unavailable => SurvivalGroup::Ungraded,
        }
    }

    /// True for the high-grade groups (G3 and the carcinomas), which are
    /// treated with platinum-based chemotherapy more often.
    pub fn is_high(self) -> bool {
        matches!(
            self,
            CohortGrade::G3 | CohortGrade::LargeCell | CohortGrade::SmallCell
        )
    }
}

/// The groups overall survival was reported by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SurvivalGroup {
    /// G1.
    G1,
    /// G2 and G3 pooled.
    G2G3,
    /// Large-cell carcinoma.
    LargeCell,
    /// Small-cell carcinoma.
    SmallCell,
    /// Unclassified or unavailable grade (not reported by the paper).
    Ungraded,
}

impl SurvivalGroup {
    /// In the order of the paper's table.
    pub const ALL: [SurvivalGroup; 5] = [
        SurvivalGroup::G1,
        SurvivalGroup::G2G3,
        SurvivalGroup::LargeCell,
        SurvivalGroup::SmallCell,
        SurvivalGroup::Ungraded,
    ];
}

/// The primary-site groups of the retrospective cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CohortSite {
    /// Pancreas.
    Pancreas,
    /// GI tract, foregut (stomach, duodenum).
    Foregut,
    /// GI tract, midgut (jejunum/ileum, appendix, right colon).
    Midgut,
    /// GI tract, hindgut (distal colon, rectum).
    Hindgut,
    /// Lung.
    Lung,
    /// Any other named site (thymus included).
    Other,
    /// Unknown primary.
    Unknown,
}

impl CohortSite {
    /// In the order of the paper's table.
    pub const ALL: [CohortSite; 7] = [
        CohortSite::Pancreas,
        CohortSite::Foregut,
        CohortSite::Midgut,
        CohortSite::Hindgut,
        CohortSite::Lung,
        CohortSite::Other,
        CohortSite::Unknown,
    ];

    /// The group of a recorded tumour (a GI primary without a segment counts
    /// as foregut, which only hand-entered data can produce).
    pub fn of(t: &Tumour) -> CohortSite {
        match t.primary_site {
            PrimarySite::Pancreas => CohortSite::Pancreas,
            PrimarySite::Lung => CohortSite::Lung,
            PrimarySite::Unknown => CohortSite::Unknown,
            PrimarySite::Thymus | PrimarySite::Other => CohortSite::Other,
            _ => match t.segment() {
                Some(GiSegment::Midgut) => CohortSite::Midgut,
                Some(GiSegment::Hindgut) => CohortSite::Hindgut,
                _ => CohortSite::Foregut,
            },
        }
    }

    /// Position in [`CohortSite::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}
