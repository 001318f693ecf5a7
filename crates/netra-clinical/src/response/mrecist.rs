//! mRECIST for hepatocellular/liver lesions (Lencioni & Llovet, Semin
//! Liver Dis 2010;30:52–60), used after TACE or ablation of liver
//! metastases.
//!
//! * Liver targets are measured by the longest diameter of the *viable*
//!   (arterially enhancing) tumour (`viable_mm`); other lesions as RECIST.
//!   A liver target must have a viable diameter >= 10 mm at baseline.
//! * Selection as RECIST 1.1 (<= 5, <= 2 per organ).
//! * CR: no enhancing tumour in any liver target (viable 0) and the other
//!   targets gone as RECIST. PR: sum of viable diameters at least 30 %
//!   below baseline. PD: at least 20 % above the nadir (mRECIST has no 5 mm
//!   absolute rule).

use super::Category;
use super::engine::{Bound, Measure, ModalityRules, PdRule, Reference, Rules, Thresholds};

/// The mRECIST rules.
pub fn rules() -> Rules {
    Rules {
        name: "mRECIST".into(),
        measure: Measure::ViableLiver,
        selection: super::recist::selection(),
        thresholds: Thresholds {
            bands: vec![(Category::PR, Bound::at_least(30.0))],
            cr_on_disappearance: true,
            pd_increase: Bound::at_least(20.0),
            pd_min_increase: 0.0,
            pd_reference: Reference::Nadir,
            pd_rule: PdRule::Sum,
            density_pr_decrease_pct: None,
        },
        cr_requires_non_target_cr: true,
        node_normal_mm: 10.0,
        modalities: ModalityRules::cross_sectional(),
    }
}
