//! Grading systems besides WHO 2019: the grade as the pathology report gave
//! it (`grade_system`, `reported_grade`), the rules of each system, and the
//! WHO 2019 grade derived from them where the inputs allow.
//!
//! # WHO 2010 and ENETS 2006/2007 (digestive)
//!
//! | grade | Ki-67 index | mitoses per 10 HPF |
//! | --- | --- | --- |
//! | G1 | ≤ 2 % | < 2 |
//! | G2 | 3–20 % | 2–20 |
//! | G3 | > 20 % | > 20 |
//!
//! The same table as WHO 2019 ([`crate::grade`]) but for two points: the
//! Ki-67 bounds are written `≤ 2` and `3–20`, so an index strictly between 2
//! and 3 % has no grade by the text of the rule (netra derives none rather
//! than guess a rounding), and the count is per 10 high-power fields (ENETS
//! defines 10 HPF as 2 mm², so where no count per 2 mm² is recorded the
//! count per 10 HPF stands for it in the WHO 2019 derivation). In WHO 2010
//! **G3 is the neuroendocrine carcinoma**: the class held both the
//! well-differentiated NET G3 and the poorly differentiated NEC that WHO 2019
//! separates, so a WHO 2010 G3 becomes a WHO 2019 grade only when the
//! differentiation is recorded (well → NET G3, poor → NEC by cell type).
//! When both measures are given the higher grade wins, as in WHO 2019.
//!
//! # Lung and thymus (WHO 2015, unchanged in 2021)
//!
//! Lung neuroendocrine tumours are typed, not graded by Ki-67:
//!
//! | type | mitoses per 2 mm² | necrosis |
//! | --- | --- | --- |
//! | typical carcinoid | < 2 | absent |
//! | atypical carcinoid | 2–10 | or present (foci) |
//! | large-cell NEC / small-cell carcinoma | > 10 | (usually extensive) |
//!
//! A count above 10 is a carcinoma whose kind is its cell type
//! (`nec_cell_type`); without the cell type netra derives no type. With
//! fewer than 2 mitoses the type needs the necrosis (`necrosis`): present →
//! atypical, absent → typical, unknown → none. Ki-67 plays no part. The
//! derived WHO 2019 grade of a lung tumour is the NEC of its cell type for
//! LCNEC and SCLC and none for carcinoids (WHO 2019's digestive grades do
//! not apply); [`reported_tier`] puts carcinoids on the common scale
//! (typical → low, atypical → intermediate), the usual crosswalk.

use crate::grade::{GradeError, GradeTier, who_2019_grade};
use crate::registry::vocab::{Differentiation, NecCellType, Vocabulary, WhoGrade};
pub use crate::registry::vocab::{GradeSystem, ReportedGrade};

/// The grade by Ki-67 under WHO 2010/ENETS: `Ok(None)` for an index
/// strictly between 2 and 3 % (no grade by the text of the rule).
pub fn who_2010_by_ki67(ki67_percent: f64) -> Result<Option<ReportedGrade>, GradeError> {
    if !(0.0..=100.0).contains(&ki67_percent) {
        return Err(GradeError::Ki67OutOfRange(ki67_percent));
    }
    Ok(if ki67_percent <= 2.0 {
        Some(ReportedGrade::G1)
    } else if ki67_percent < 3.0 {
        None
    } else if ki67_percent <= 20.0 {
        Some(ReportedGrade::G2)
    } else {
        Some(ReportedGrade::G3)
    })
}

/// The grade by the mitotic count per 10 HPF under WHO 2010/ENETS.
pub fn who_2010_by_mitoses(mitoses_per_10hpf: f64) -> Result<ReportedGrade, GradeError> {
    if !mitoses_per_10hpf.is_finite() || mitoses_per_10hpf < 0.0 {
        return Err(GradeError::MitosesOutOfRange(mitoses_per_10hpf));
    }
    Ok(if mitoses_per_10hpf < 2.0 {
        ReportedGrade::G1
    } else if mitoses_per_10hpf <= 20.0 {
        ReportedGrade::G2
    } else {
        ReportedGrade::G3
    })
}

/// The WHO 2010/ENETS grade from Ki-67 and mitoses per 10 HPF (the higher
/// wins); `Ok(None)` when neither gives one.
pub fn who_2010_grade(
    ki67_percent: Option<f64>,
    mitoses_per_10hpf: Option<f64>,
) -> Result<Option<ReportedGrade>, GradeError> {
    let a = ki67_percent.map(who_2010_by_ki67).transpose()?.flatten();
    let b = mitoses_per_10hpf.map(who_2010_by_mitoses).transpose()?;
    Ok(match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    })
}

/// The lung/thymus type (WHO 2015/2021) from mitoses per 2 mm², necrosis
/// and the carcinoma's cell type; `Ok(None)` when they do not decide it.
pub fn lung_type(
    mitoses_per_2mm2: Option<f64>,
    necrosis: Option<bool>,
    nec_cell_type: Option<NecCellType>,
) -> Result<Option<ReportedGrade>, GradeError> {
    let Some(m) = mitoses_per_2mm2 else {
        return Ok(None);
    };
    if !m.is_finite() || m < 0.0 {
        return Err(GradeError::MitosesOutOfRange(m));
    }
    Ok(if m > 10.0 {
        match nec_cell_type {
            Some(NecCellType::SmallCell) => Some(ReportedGrade::Sclc),
            Some(NecCellType::LargeCell) => Some(ReportedGrade::Lcnec),
            _ => None,
        }
    } else if m >= 2.0 {
        Some(ReportedGrade::AtypicalCarcinoid)
    } else {
        match necrosis {
            Some(true) => Some(ReportedGrade::AtypicalCarcinoid),
            Some(false) => Some(ReportedGrade::TypicalCarcinoid),
            None => None,
        }
    })
}

/// The grades a system reports.
pub fn grades_of(system: GradeSystem) -> &'static [ReportedGrade] {
    use ReportedGrade as R;
    match system {
        GradeSystem::Who2019 => &[R::G1, R::G2, R::G3, R::Nec],
        // WHO 2010 names its G3 "NEC": both spellings mean the same class.
        GradeSystem::Who2010 => &[R::G1, R::G2, R::G3, R::Nec],
        GradeSystem::Enets => &[R::G1, R::G2, R::G3],
        GradeSystem::WhoLung => &[R::TypicalCarcinoid, R::AtypicalCarcinoid, R::Lcnec, R::Sclc],
        GradeSystem::Other => <ReportedGrade as Vocabulary>::ALL,
    }
}

fn nec_of(cell: Option<NecCellType>) -> WhoGrade {
    match cell {
        Some(NecCellType::SmallCell) => WhoGrade::NecSmallCell,
        Some(NecCellType::LargeCell) => WhoGrade::NecLargeCell,
        _ => WhoGrade::NecUnspecified,
    }
}

/// What a tumour row records about its grade.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GradeInputs {
    /// Differentiation.
    pub differentiation: Option<Differentiation>,
    /// Cell type of a carcinoma.
    pub nec_cell_type: Option<NecCellType>,
    /// Ki-67 (%).
    pub ki67_percent: Option<f64>,
    /// Mitoses per 2 mm².
    pub mitoses_per_2mm2: Option<f64>,
    /// Mitoses per 10 HPF.
    pub mitoses_per_10hpf: Option<f64>,
    /// Necrosis present.
    pub necrosis: Option<bool>,
    /// The system of `reported_grade`.
    pub grade_system: Option<GradeSystem>,
    /// The grade as reported.
    pub reported_grade: Option<ReportedGrade>,
}

impl GradeInputs {
    fn is_lung(&self) -> bool {
        self.grade_system == Some(GradeSystem::WhoLung)
    }

    /// The lung type: as reported, else derived by the lung rules.
    pub fn lung_type(&self) -> Option<ReportedGrade> {
        if !self.is_lung() {
            return None;
        }
        self.reported_grade.or_else(|| {
            lung_type(self.mitoses_per_2mm2, self.necrosis, self.nec_cell_type)
                .ok()
                .flatten()
        })
    }

    /// The WHO 2019 grade derived from the measures and, failing them, from
    /// the reported grade under its system (`None` when neither allows
    /// one). A recorded `who_grade` is the caller's to prefer.
    pub fn derived_who_2019(&self) -> Option<WhoGrade> {
        use ReportedGrade as R;
        if self.is_lung() {
            return match self.lung_type()? {
                R::Lcnec => Some(WhoGrade::NecLargeCell),
                R::Sclc => Some(WhoGrade::NecSmallCell),
                _ => None,
            };
        }
        let hpf_as_2mm2 = matches!(
            self.grade_system,
            Some(GradeSystem::Who2010 | GradeSystem::Enets)
        );
        let mitoses = self
            .mitoses_per_2mm2
            .or(self.mitoses_per_10hpf.filter(|_| hpf_as_2mm2));
        if let Ok(Some(g)) = who_2019_grade(
            self.differentiation,
            self.nec_cell_type,
            self.ki67_percent,
            mitoses,
        ) {
            return Some(g);
        }
        let reported = self.reported_grade?;
        match (self.grade_system?, reported) {
            (_, R::G1) => Some(WhoGrade::G1),
            (_, R::G2) => Some(WhoGrade::G2),
            (GradeSystem::Who2019, R::G3) => Some(WhoGrade::G3),
            (GradeSystem::Who2019, R::Nec) => Some(nec_of(self.nec_cell_type)),
            (GradeSystem::Who2010 | GradeSystem::Enets, R::G3 | R::Nec) => {
                match self.differentiation {
                    Some(Differentiation::Well) => Some(WhoGrade::G3),
                    Some(Differentiation::Poor) => Some(nec_of(self.nec_cell_type)),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Why the reported grade cannot stand, as (column, reason): a grade
    /// without its system, a grade its system does not have, or a grade
    /// the measures contradict under the system's own rules.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let Some(reported) = self.reported_grade else {
            return out;
        };
        let Some(system) = self.grade_system else {
            out.push((
                "grade_system",
                "required when reported_grade is given".to_string(),
            ));
            return out;
        };
        let allowed = grades_of(system);
        if !allowed.contains(&reported) {
            let names: Vec<&str> = allowed.iter().map(|g| code_of(*g)).collect();
            out.push((
                "reported_grade",
                format!(
                    "{} is not a grade of {} (its grades: {})",
                    code_of(reported),
                    code_of_system(system),
                    names.join(", ")
                ),
            ));
            return out;
        }
        let derived = match system {
            GradeSystem::Who2010 | GradeSystem::Enets => {
                who_2010_grade(self.ki67_percent, self.mitoses_per_10hpf)
                    .ok()
                    .flatten()
                    .map(|g| (g, "ki67_percent and mitoses_per_10hpf"))
            }
            GradeSystem::WhoLung => {
                lung_type(self.mitoses_per_2mm2, self.necrosis, self.nec_cell_type)
                    .ok()
                    .flatten()
                    .map(|g| (g, "mitoses_per_2mm2, necrosis and nec_cell_type"))
            }
            GradeSystem::Who2019 => who_2019_grade(
                self.differentiation,
                self.nec_cell_type,
                self.ki67_percent,
                self.mitoses_per_2mm2,
            )
            .ok()
            .flatten()
            .map(|g| {
                let r = match g {
                    WhoGrade::G1 => ReportedGrade::G1,
                    WhoGrade::G2 => ReportedGrade::G2,
                    WhoGrade::G3 => ReportedGrade::G3,
                    _ => ReportedGrade::Nec,
                };
                (r, "differentiation, ki67_percent and mitoses_per_2mm2")
            }),
            GradeSystem::Other => None,
        };
        let same = |a: ReportedGrade, b: ReportedGrade| {
            a == b
                || (system == GradeSystem::Who2010
                    && matches!(a, ReportedGrade::G3 | ReportedGrade::Nec)
                    && matches!(b, ReportedGrade::G3 | ReportedGrade::Nec))
        };
        if let Some((d, from)) = derived
            && !same(d, reported)
        {
            out.push((
                "reported_grade",
                format!(
                    "reported {} disagrees with {} derived by {} from {from}",
                    code_of(reported),
                    code_of(d),
                    code_of_system(system)
                ),
            ));
        }
        out
    }
}

fn code_of(g: ReportedGrade) -> &'static str {
    g.code()
}

fn code_of_system(s: GradeSystem) -> &'static str {
    s.code()
}

/// A reported grade on the scale common to all systems: G1 and typical
/// carcinoid low, G2 and atypical carcinoid intermediate, G3, NEC, LCNEC and
/// SCLC high.
pub fn reported_tier(grade: ReportedGrade) -> GradeTier {
    use ReportedGrade as R;
    match grade {
        R::G1 | R::TypicalCarcinoid => GradeTier::Low,
        R::G2 | R::AtypicalCarcinoid => GradeTier::Intermediate,
        R::G3 | R::Nec | R::Lcnec | R::Sclc => GradeTier::High,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReportedGrade as R;

    #[test]
    fn who_2010_ki67_boundaries() {
        let g = |k| who_2010_by_ki67(k).unwrap();
        assert_eq!(g(0.0), Some(R::G1));
        assert_eq!(g(2.0), Some(R::G1));
        // Between "≤ 2" and "3–20": no grade by the text of the rule.
        assert_eq!(g(2.5), None);
        assert_eq!(g(3.0), Some(R::G2));
        assert_eq!(g(20.0), Some(R::G2));
        assert_eq!(g(20.01), Some(R::G3));
        assert!(who_2010_by_ki67(100.5).is_err());
        assert!(who_2010_by_ki67(f64::NAN).is_err());
    }

    #[test]
    fn who_2010_mitotic_boundaries_per_10_hpf() {
        let g = |m| who_2010_by_mitoses(m).unwrap();
        assert_eq!(g(0.0), R::G1);
        assert_eq!(g(1.9), R::G1);
        assert_eq!(g(2.0), R::G2);
        assert_eq!(g(20.0), R::G2);
        assert_eq!(g(20.5), R::G3);
        assert!(who_2010_by_mitoses(-1.0).is_err());
        // The higher grade wins.
        assert_eq!(who_2010_grade(Some(1.0), Some(5.0)).unwrap(), Some(R::G2));
        assert_eq!(who_2010_grade(Some(25.0), Some(1.0)).unwrap(), Some(R::G3));
        assert_eq!(who_2010_grade(Some(2.5), None).unwrap(), None);
        assert_eq!(who_2010_grade(Some(2.5), Some(1.0)).unwrap(), Some(R::G1));
    }

    #[test]
    fn lung_rules_by_mitoses_and_necrosis() {
        let t = |m, n, c| lung_type(Some(m), n, c).unwrap();
        assert_eq!(t(0.0, Some(false), None), Some(R::TypicalCarcinoid));
        assert_eq!(t(1.9, Some(false), None), Some(R::TypicalCarcinoid));
        assert_eq!(t(1.0, Some(true), None), Some(R::AtypicalCarcinoid));
        assert_eq!(t(1.0, None, None), None);
        assert_eq!(t(2.0, Some(false), None), Some(R::AtypicalCarcinoid));
        assert_eq!(t(10.0, None, None), Some(R::AtypicalCarcinoid));
        assert_eq!(t(10.5, None, None), None);
        assert_eq!(t(11.0, None, Some(NecCellType::SmallCell)), Some(R::Sclc));
        assert_eq!(t(11.0, None, Some(NecCellType::LargeCell)), Some(R::Lcnec));
        assert_eq!(lung_type(None, Some(false), None).unwrap(), None);
        assert!(lung_type(Some(f64::INFINITY), None, None).is_err());
    }

    fn inputs(system: GradeSystem, reported: Option<R>) -> GradeInputs {
        GradeInputs {
            grade_system: Some(system),
            reported_grade: reported,
            ..GradeInputs::default()
        }
    }

    #[test]
    fn derived_who_2019_grade() {
        // WHO 2010 G3 is NEC: the 2019 grade needs the differentiation.
        let mut g = inputs(GradeSystem::Who2010, Some(R::G3));
        assert_eq!(g.derived_who_2019(), None);
        g.differentiation = Some(Differentiation::Well);
        assert_eq!(g.derived_who_2019(), Some(WhoGrade::G3));
        g.differentiation = Some(Differentiation::Poor);
        g.nec_cell_type = Some(NecCellType::SmallCell);
        assert_eq!(g.derived_who_2019(), Some(WhoGrade::NecSmallCell));
        assert_eq!(
            inputs(GradeSystem::Enets, Some(R::G2)).derived_who_2019(),
            Some(WhoGrade::G2)
        );
        // Measures win over the reported grade; 10 HPF stands for 2 mm².
        let mut m = inputs(GradeSystem::Enets, Some(R::G1));
        m.mitoses_per_10hpf = Some(4.0);
        assert_eq!(m.derived_who_2019(), Some(WhoGrade::G2));
        // Lung: Ki-67 plays no part; carcinoids have no WHO 2019 grade.
        let mut l = inputs(GradeSystem::WhoLung, None);
        l.ki67_percent = Some(30.0);
        l.mitoses_per_2mm2 = Some(1.0);
        l.necrosis = Some(false);
        assert_eq!(l.lung_type(), Some(R::TypicalCarcinoid));
        assert_eq!(l.derived_who_2019(), None);
        assert_eq!(
            inputs(GradeSystem::WhoLung, Some(R::Lcnec)).derived_who_2019(),
            Some(WhoGrade::NecLargeCell)
        );
        assert_eq!(
            inputs(GradeSystem::Other, Some(R::G3)).derived_who_2019(),
            None
        );
    }

    #[test]
    fn problems_of_a_reported_grade() {
        let none = GradeInputs {
            reported_grade: Some(R::G2),
            ..GradeInputs::default()
        };
        assert_eq!(none.problems()[0].0, "grade_system");
        let wrong = inputs(GradeSystem::WhoLung, Some(R::G2));
        assert_eq!(
            wrong.problems()[0].1,
            "g2 is not a grade of who_lung (its grades: typical_carcinoid, \
             atypical_carcinoid, lcnec, sclc)"
        );
        let mut k = inputs(GradeSystem::Who2010, Some(R::G1));
        k.ki67_percent = Some(5.0);
        assert_eq!(
            k.problems(),
            vec![(
                "reported_grade",
                "reported g1 disagrees with g2 derived by who_2010 from ki67_percent and \
                 mitoses_per_10hpf"
                    .to_string()
            )]
        );
        // WHO 2010 "NEC" and G3 are the same class.
        let mut n = inputs(GradeSystem::Who2010, Some(R::Nec));
        n.ki67_percent = Some(40.0);
        assert!(n.problems().is_empty());
        let mut lung = inputs(GradeSystem::WhoLung, Some(R::TypicalCarcinoid));
        lung.mitoses_per_2mm2 = Some(3.0);
        assert_eq!(lung.problems()[0].0, "reported_grade");
        let mut ok = inputs(GradeSystem::Who2019, Some(R::Nec));
        ok.differentiation = Some(Differentiation::Poor);
        assert!(ok.problems().is_empty());
        assert_eq!(reported_tier(R::AtypicalCarcinoid), GradeTier::Intermediate);
        assert_eq!(reported_tier(R::Sclc), GradeTier::High);
    }
}
