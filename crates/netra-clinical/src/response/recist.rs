//! RECIST 1.1 (Eisenhauer et al., Eur J Cancer 2009;45:228–247).
//!
//! * Measurable: non-nodal lesions with a longest diameter >= 10 mm; lymph
//!   nodes with a short axis >= 15 mm (10–15 mm: pathological, non-target;
//!   < 10 mm: normal).
//! * Targets: at most 5 in all and 2 per organ, the largest first when the
//!   engine selects them; the rest of the baseline lesions are non-targets.
//! * Sum of diameters: longest for non-nodal lesions, short axis for nodes.
//! * Target CR: every non-nodal target gone and every nodal target < 10 mm
//!   short axis (the sum need not be 0). PR: sum at least 30 % below the
//!   baseline sum. PD: sum at least 20 % above the nadir (the smallest sum on
//!   study, baseline included) *and* at least 5 mm above it. Otherwise SD.
//!   PD is checked before PR (a sum can be both 30 % below baseline and
//!   20 % above the nadir: that is progression).
//! * A target not measured makes the target response NE unless the measured
//!   ones already meet PD (missing lesions can only add to the sum).
//! * Overall response: Table 1 (targets) and Table 2 (non-target-only
//!   disease); see the engine.

use super::Category;
use super::engine::{
    Bound, Measure, ModalityRules, PdRule, Reference, Rules, SelectionRules, Thresholds,
};

/// The RECIST 1.1 rules.
pub fn rules() -> Rules {
    Rules {
        name: "RECIST 1.1".into(),
        measure: Measure::Recist,
        selection: selection(),
        thresholds: Thresholds {
            bands: vec![(Category::PR, Bound::at_least(30.0))],
            cr_on_disappearance: true,
            pd_increase: Bound::at_least(20.0),
            pd_min_increase: 5.0,
            pd_reference: Reference::Nadir,
            pd_rule: PdRule::Sum,
            density_pr_decrease_pct: None,
        },
        cr_requires_non_target_cr: true,
        node_normal_mm: 10.0,
        modalities: ModalityRules::recist(),
    }
}

/// RECIST 1.1 target selection: <= 5 in all, <= 2 per organ, measurable.
pub(crate) fn selection() -> SelectionRules {
    SelectionRules {
        max_total: Some(5),
        max_per_organ: Some(2),
        min_size_mm: 10.0,
        min_node_short_axis_mm: 15.0,
        bidimensional: false,
    }
}
