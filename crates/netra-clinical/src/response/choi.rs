//! Choi criteria (Choi et al., J Clin Oncol 2007;25:1753–1759), for
//! targeted agents where tumours lose density before they shrink.
//!
//! * Size: the RECIST sum of diameters (RECIST 1.1 measurability and
//!   selection are used). Density: the mean attenuation (HU) of the target
//!   lesions measured at both baseline and the scan.
//! * PR: size at least 10 % below baseline, *or* density at least 15 % below
//!   baseline; no new lesion, no non-target progression.
//! * PD: size at least 10 % above the nadir *and* not a PR by density; or
//!   new lesions / non-target progression (new intratumoural nodules are
//!   recorded as non-target progression).
//! * CR: every target gone, as RECIST. No 5 mm rule.
//! * Without attenuation values the density rules simply do not apply.

use super::Category;
use super::engine::{Bound, Measure, ModalityRules, PdRule, Reference, Rules, Thresholds};

/// The Choi rules.
pub fn rules() -> Rules {
    Rules {
        name: "Choi".into(),
        measure: Measure::Recist,
        selection: super::recist::selection(),
        thresholds: Thresholds {
            bands: vec![(Category::PR, Bound::at_least(10.0))],
            cr_on_disappearance: true,
            pd_increase: Bound::at_least(10.0),
            pd_min_increase: 0.0,
            pd_reference: Reference::Nadir,
            pd_rule: PdRule::Sum,
            density_pr_decrease_pct: Some(15.0),
        },
        cr_requires_non_target_cr: true,
        node_normal_mm: 10.0,
        modalities: ModalityRules::cross_sectional(),
    }
}
