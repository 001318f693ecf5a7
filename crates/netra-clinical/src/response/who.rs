//! WHO criteria (Miller et al., Cancer 1981;47:207–214): bidimensional.
//!
//! * Measure: product of the longest diameter and its greatest perpendicular
//!   diameter; the sum of products over the targets (mm²).
//! * Targets: every bidimensionally measured baseline lesion (both diameters
//!   given); no limit on the number (WHO sets none).
//! * CR: disappearance of all known disease (every target 0 and the
//!   non-target lesions gone). PR: sum of products at least 50 % below
//!   baseline. PD: at least 25 % increase, taken here on the sum of products
//!   from its nadir (the usual reading; "one or more lesions" can be chosen
//!   with study-defined criteria, `rule = "any_lesion"`), or new lesions.
//!   No change (NC) is reported as SD.
//! * Lymph nodes are measured like other lesions (bidimensionally).

use super::Category;
use super::engine::{
    Bound, Measure, ModalityRules, PdRule, Reference, Rules, SelectionRules, Thresholds,
};

/// The WHO rules.
pub fn rules() -> Rules {
    Rules {
        name: "WHO".into(),
        measure: Measure::Product,
        selection: SelectionRules {
            max_total: None,
            max_per_organ: None,
            min_size_mm: 0.0,
            min_node_short_axis_mm: 0.0,
            bidimensional: true,
        },
        thresholds: Thresholds {
            bands: vec![(Category::PR, Bound::at_least(50.0))],
            cr_on_disappearance: true,
            pd_increase: Bound::at_least(25.0),
            pd_min_increase: 0.0,
            pd_reference: Reference::Nadir,
            pd_rule: PdRule::Sum,
            density_pr_decrease_pct: None,
        },
        cr_requires_non_target_cr: true,
        node_normal_mm: 0.0,
        modalities: ModalityRules::who(),
    }
}
