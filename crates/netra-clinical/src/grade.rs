//! Tumour grade: the WHO 2019 grade of digestive neuroendocrine neoplasms
//! derived from Ki-67 and the mitotic count, and the SEER 4-level grade of
//! older series.
//!
//! # WHO 2019 (digestive system, 5th edition)
//!
//! | grade | Ki-67 index | mitoses per 2 mm² |
//! | --- | --- | --- |
//! | NET G1 | < 3 % | < 2 |
//! | NET G2 | 3–20 % | 2–20 |
//! | NET G3 | > 20 % | > 20 |
//! | NEC (small-cell or large-cell) | poorly differentiated, high grade by definition | |
//!
//! Both bounds of G2 are inclusive: Ki-67 of exactly 3 % or exactly 20 % is
//! G2, and so are exactly 2 and exactly 20 mitoses. When both measures are
//! available **the higher grade wins** (Ki-67 2 % with 5 mitoses is G2).
//! When only one is recorded, it alone decides. A poorly differentiated
//! tumour is a neuroendocrine carcinoma whatever its Ki-67; its cell type
//! (small- or large-cell) is kept. When differentiation is unknown the grade
//! follows proliferation, so a Ki-67 above 20 % gives `g3` (reports should
//! say that differentiation was not recorded).
//!
//! # SEER 4-level grade
//!
//! Series from before the WHO 2010 grading recorded the SEER (ICD-O)
//! histological grade: I well, II moderately, III poorly differentiated, IV
//! undifferentiated. It is kept as recorded; [`GradeTier`] puts both systems
//! on a common low / intermediate / high scale for pooled analyses (I → low,
//! II → intermediate, III and IV → high), the usual crosswalk.

pub use crate::registry::vocab::{Differentiation, NecCellType, SeerGrade, WhoGrade};

/// Why a grade cannot be derived from the given measures.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GradeError {
    /// Ki-67 is a percentage of tumour cells.
    #[error("Ki-67 must be between 0 and 100 % (got {0})")]
    Ki67OutOfRange(f64),
    /// A mitotic count cannot be negative or not a number.
    #[error("the mitotic count must be a number >= 0 per 2 mm² (got {0})")]
    MitosesOutOfRange(f64),
}

/// The grade by Ki-67 alone (`None` when not recorded).
pub fn grade_by_ki67(ki67_percent: f64) -> Result<WhoGrade, GradeError> {
    if !(0.0..=100.0).contains(&ki67_percent) {
        return Err(GradeError::Ki67OutOfRange(ki67_percent));
    }
    Ok(if ki67_percent < 3.0 {
        WhoGrade::G1
    } else if ki67_percent <= 20.0 {
        WhoGrade::G2
    } else {
        WhoGrade::G3
    })
}

/// The grade by the mitotic count per 2 mm² alone.
pub fn grade_by_mitoses(mitoses_per_2mm2: f64) -> Result<WhoGrade, GradeError> {
    if !mitoses_per_2mm2.is_finite() || mitoses_per_2mm2 < 0.0 {
        return Err(GradeError::MitosesOutOfRange(mitoses_per_2mm2));
    }
    Ok(if mitoses_per_2mm2 < 2.0 {
        WhoGrade::G1
    } else if mitoses_per_2mm2 <= 20.0 {
        WhoGrade::G2
    } else {
        WhoGrade::G3
    })
}

fn rank(g: WhoGrade) -> u8 {
    match g {
        WhoGrade::G1 => 1,
        WhoGrade::G2 => 2,
        WhoGrade::G3 => 3,
        WhoGrade::NecSmallCell | WhoGrade::NecLargeCell | WhoGrade::NecUnspecified => 4,
    }
}

/// The WHO 2019 grade from what pathology recorded; `Ok(None)` when nothing
/// allows a grade (differentiation not poor and neither measure recorded).
pub fn who_2019_grade(
    differentiation: Option<Differentiation>,
    nec_cell_type: Option<NecCellType>,
    ki67_percent: Option<f64>,
    mitoses_per_2mm2: Option<f64>,
) -> Result<Option<WhoGrade>, GradeError> {
    // Validate the measures even for a NEC: a Ki-67 of 140 % is an entry error.
    let by_ki67 = ki67_percent.map(grade_by_ki67).transpose()?;
    let by_mitoses = mitoses_per_2mm2.map(grade_by_mitoses).transpose()?;
    if differentiation == Some(Differentiation::Poor) {
        return Ok(Some(match nec_cell_type {
            Some(NecCellType::SmallCell) => WhoGrade::NecSmallCell,
            Some(NecCellType::LargeCell) => WhoGrade::NecLargeCell,
            _ => WhoGrade::NecUnspecified,
        }));
    }
    Ok(match (by_ki67, by_mitoses) {
        (Some(a), Some(b)) => Some(if rank(a) >= rank(b) { a } else { b }),
        (a, b) => a.or(b),
    })
}

/// A grade on the scale common to WHO and SEER grading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GradeTier {
    /// WHO G1, SEER I.
    Low,
    /// WHO G2, SEER II.
    Intermediate,
    /// WHO G3 and NEC, SEER III and IV.
    High,
}

impl WhoGrade {
    /// The grade's tier.
    pub fn tier(self) -> GradeTier {
        match rank(self) {
            1 => GradeTier::Low,
            2 => GradeTier::Intermediate,
            _ => GradeTier::High,
        }
    }

    /// True for a poorly differentiated neuroendocrine carcinoma.
    pub fn is_nec(self) -> bool {
        rank(self) == 4
    }
}

impl SeerGrade {
    /// The grade's tier (I low, II intermediate, III–IV high).
    pub fn tier(self) -> GradeTier {
        match self {
            SeerGrade::G1 => GradeTier::Low,
            SeerGrade::G2 => GradeTier::Intermediate,
            SeerGrade::G3 | SeerGrade::G4 => GradeTier::High,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Differentiation::*;
    use WhoGrade::*;

    fn g(ki: Option<f64>, mi: Option<f64>) -> Option<WhoGrade> {
        who_2019_grade(Some(Well), None, ki, mi).unwrap()
    }

    #[test]
    fn ki67_boundaries() {
        assert_eq!(g(Some(0.0), None), Some(G1));
        assert_eq!(g(Some(2.999), None), Some(G1));
        assert_eq!(g(Some(3.0), None), Some(G2));
        assert_eq!(g(Some(20.0), None), Some(G2));
        assert_eq!(g(Some(20.001), None), Some(G3));
        assert_eq!(g(Some(100.0), None), Some(G3));
    }

    #[test]
    fn mitotic_boundaries() {
        assert_eq!(g(None, Some(0.0)), Some(G1));
        assert_eq!(g(None, Some(1.9)), Some(G1));
        assert_eq!(g(None, Some(2.0)), Some(G2));
        assert_eq!(g(None, Some(20.0)), Some(G2));
        assert_eq!(g(None, Some(21.0)), Some(G3));
    }

    #[test]
    fn the_higher_rule_wins() {
        assert_eq!(g(Some(2.0), Some(5.0)), Some(G2));
        assert_eq!(g(Some(25.0), Some(1.0)), Some(G3));
        assert_eq!(g(Some(3.0), Some(2.0)), Some(G2));
        assert_eq!(g(Some(1.0), Some(1.0)), Some(G1));
        assert_eq!(g(Some(15.0), Some(30.0)), Some(G3));
        assert_eq!(g(None, None), None);
    }

    #[test]
    fn poorly_differentiated_is_nec_by_cell_type() {
        let nec = |c| who_2019_grade(Some(Poor), c, Some(2.0), None).unwrap();
        assert_eq!(nec(Some(NecCellType::SmallCell)), Some(NecSmallCell));
        assert_eq!(nec(Some(NecCellType::LargeCell)), Some(NecLargeCell));
        assert_eq!(nec(None), Some(NecUnspecified));
        assert!(NecLargeCell.is_nec());
        assert_eq!(NecSmallCell.tier(), GradeTier::High);
    }

    #[test]
    fn unknown_differentiation_follows_proliferation() {
        assert_eq!(
            who_2019_grade(Some(Unknown), None, Some(40.0), None).unwrap(),
            Some(G3)
        );
        assert_eq!(
            who_2019_grade(None, None, None, Some(3.0)).unwrap(),
            Some(G2)
        );
    }

    #[test]
    fn impossible_measures_are_errors() {
        assert_eq!(
            who_2019_grade(Some(Well), None, Some(101.0), None),
            Err(GradeError::Ki67OutOfRange(101.0))
        );
        assert!(who_2019_grade(Some(Poor), None, Some(-1.0), None).is_err());
        assert!(who_2019_grade(Some(Well), None, None, Some(-0.5)).is_err());
        assert!(who_2019_grade(Some(Well), None, None, Some(f64::NAN)).is_err());
        assert!(who_2019_grade(Some(Well), None, Some(f64::NAN), None).is_err());
    }

    #[test]
    fn tiers_line_up() {
        assert_eq!(G1.tier(), SeerGrade::G1.tier());
        assert_eq!(G2.tier(), SeerGrade::G2.tier());
        assert_eq!(SeerGrade::G4.tier(), GradeTier::High);
        assert_eq!(SeerGrade::G3.tier(), G3.tier());
    }
}
