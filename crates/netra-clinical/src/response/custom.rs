//! Study-defined criteria, read from a small TOML file rather than code.
//!
//! Older NET series used their own thresholds: the 2004 radionuclide study
//! (`examples/criteria/radionuclide-2004.toml`) called progression at a
//! ≥ 25 % increase in diameter and graded responses in bands of decrease
//! (minor 25–50 %, partial 50–75 %, complete 75–100 %). Such a study is
//! described by:
//!
//! ```toml
//! name = "radionuclide-2004"
//! measure = "longest"            # recist | longest | product | viable
//! complete_on_disappearance = true
//! cr_requires_non_target_cr = false
//!
//! [targets]                      # all optional
//! max_total = 5
//! max_per_organ = 2
//! min_size_mm = 10
//! min_node_short_axis_mm = 15
//! bidimensional = false
//! excluded_modalities = ["ultrasound", "ssr_scintigraphy", "mibg_scintigraphy", "bone_scan"]
//!                                # default: RECIST 1.1's (registry modality codes)
//!
//! [[response]]                   # bands, best first: % decrease from baseline
//! category = "CR"                # CR | PR | MR
//! decrease_more_than_pct = 75    # or decrease_at_least_pct (one of the two)
//!
//! [progression]
//! increase_at_least_pct = 25     # or increase_more_than_pct (one of the two)
//! min_increase_mm = 0            # RECIST 1.1 uses 5 (always "at least")
//! reference = "nadir"            # nadir | baseline
//! rule = "any_lesion"            # sum | any_lesion | sum_or_any_lesion
//! ```
//!
//! Every threshold states its boundary: `*_at_least_pct` is met by a change
//! of exactly the value, `*_more_than_pct` only by a larger one. Papers write
//! bands as "partial 50–75 %, complete 75–100 %", which leaves a change of
//! exactly 75 % to the reader; a file must decide. The older
//! `min_decrease_pct` and `increase_pct` are refused with that reason.
//!
//! The overall time-point table, NE rules, new lesions, non-target
//! progression and the best-response rules are those of RECIST 1.1.

use serde::Deserialize;

use super::engine::{
    Bound, Measure, ModalityRules, PdRule, Reference, Rules, SelectionRules, Thresholds,
};
use super::{Category, ResponseError};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    #[serde(default = "default_measure")]
    measure: String,
    #[serde(default = "yes")]
    complete_on_disappearance: bool,
    #[serde(default = "yes")]
    cr_requires_non_target_cr: bool,
    #[serde(default)]
    density_pr_decrease_pct: Option<f64>,
    #[serde(default)]
    targets: Targets,
    #[serde(default)]
    response: Vec<Band>,
    progression: Progression,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Targets {
    max_total: Option<usize>,
    max_per_organ: Option<usize>,
    #[serde(default = "ten")]
    min_size_mm: f64,
    #[serde(default = "fifteen")]
    min_node_short_axis_mm: f64,
    #[serde(default)]
    bidimensional: bool,
    /// Registry modality codes that may not measure targets (default:
    /// RECIST 1.1's).
    #[serde(default)]
    excluded_modalities: Option<Vec<String>>,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            max_total: None,
            max_per_organ: None,
            min_size_mm: 10.0,
            min_node_short_axis_mm: 15.0,
            bidimensional: false,
            excluded_modalities: None,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Band {
    category: String,
    #[serde(default)]
    decrease_at_least_pct: Option<f64>,
    #[serde(default)]
    decrease_more_than_pct: Option<f64>,
    /// Refused: the boundary is not stated.
    #[serde(default)]
    min_decrease_pct: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Progression {
    #[serde(default)]
    increase_at_least_pct: Option<f64>,
    #[serde(default)]
    increase_more_than_pct: Option<f64>,
    /// Refused: the boundary is not stated.
    #[serde(default)]
    increase_pct: Option<f64>,
    #[serde(default)]
    min_increase_mm: f64,
    #[serde(default = "default_reference")]
    reference: String,
    #[serde(default = "default_rule")]
    rule: String,
}

fn default_measure() -> String {
    "recist".into()
}
fn default_reference() -> String {
    "nadir".into()
}
fn default_rule() -> String {
    "sum".into()
}
fn yes() -> bool {
    true
}
fn ten() -> f64 {
    10.0
}
fn fifteen() -> f64 {
    15.0
}

/// Parses study-defined criteria from TOML text.
pub fn from_toml(text: &str) -> Result<Rules, ResponseError> {
    let err = |m: String| ResponseError::Criteria(m);
    let f: File = basic_toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let measure = match f.measure.as_str() {
        "recist" => Measure::Recist,
        "longest" => Measure::Longest,
        "product" => Measure::Product,
        "viable" => Measure::ViableLiver,
        other => {
            return Err(err(format!(
                "measure '{other}' is not one of recist, longest, product, viable"
            )));
        }
    };
    let mut bands = Vec::with_capacity(f.response.len());
    let mut previous = f64::INFINITY;
    for b in &f.response {
        let cat = match b.category.to_ascii_uppercase().as_str() {
            "CR" => Category::CR,
            "PR" => Category::PR,
            "MR" => Category::MR,
            other => {
                return Err(err(format!(
                    "response category '{other}' is not one of CR, PR, MR"
                )));
            }
        };
        let what = format!("response band {}", b.category);
        if b.min_decrease_pct.is_some() {
            return Err(err(format!(
                "{what}: min_decrease_pct does not say whether a decrease of exactly the value \
                 counts; write decrease_at_least_pct (>=) or decrease_more_than_pct (>)"
            )));
        }
        let bound = stated_bound(
            &what,
            "decrease",
            b.decrease_at_least_pct,
            b.decrease_more_than_pct,
        )
        .map_err(err)?;
        if !(bound.pct > 0.0 && bound.pct <= 100.0) || (bound.pct == 100.0 && !bound.inclusive) {
            return Err(err(format!(
                "{what}: the decrease must be in (0, 100] %, got {}",
                bound.label()
            )));
        }
        if bound.pct >= previous {
            return Err(err(
                "response bands must be listed best first, with decreasing thresholds".into(),
            ));
        }
        previous = bound.pct;
        bands.push((cat, bound));
    }
    let p = &f.progression;
    if p.increase_pct.is_some() {
        return Err(err(
            "progression: increase_pct does not say whether an increase of exactly the value \
             counts; write increase_at_least_pct (>=) or increase_more_than_pct (>)"
                .into(),
        ));
    }
    let pd_increase = stated_bound(
        "progression",
        "increase",
        p.increase_at_least_pct,
        p.increase_more_than_pct,
    )
    .map_err(err)?;
    if !(pd_increase.pct > 0.0 && pd_increase.pct.is_finite()) {
        return Err(err(format!(
            "progression: the increase must be positive, got {}",
            pd_increase.label()
        )));
    }
    if !(p.min_increase_mm >= 0.0 && p.min_increase_mm.is_finite()) {
        return Err(err("progression.min_increase_mm must be >= 0".into()));
    }
    let pd_reference = match p.reference.as_str() {
        "nadir" => Reference::Nadir,
        "baseline" => Reference::Baseline,
        other => {
            return Err(err(format!(
                "progression.reference '{other}' is not nadir or baseline"
            )));
        }
    };
    let pd_rule = match p.rule.as_str() {
        "sum" => PdRule::Sum,
        "any_lesion" => PdRule::AnyLesion,
        "sum_or_any_lesion" => PdRule::SumOrAnyLesion,
        other => {
            return Err(err(format!(
                "progression.rule '{other}' is not sum, any_lesion or sum_or_any_lesion"
            )));
        }
    };
    if let Some(d) = f.density_pr_decrease_pct
        && !(d > 0.0 && d <= 100.0)
    {
        return Err(err("density_pr_decrease_pct must be in (0, 100]".into()));
    }
    Ok(Rules {
        name: f.name,
        measure,
        selection: SelectionRules {
            max_total: f.targets.max_total,
            max_per_organ: f.targets.max_per_organ,
            min_size_mm: f.targets.min_size_mm,
            min_node_short_axis_mm: f.targets.min_node_short_axis_mm,
            bidimensional: f.targets.bidimensional,
        },
        thresholds: Thresholds {
            bands,
            cr_on_disappearance: f.complete_on_disappearance,
            pd_increase,
            pd_min_increase: p.min_increase_mm,
            pd_reference,
            pd_rule,
            density_pr_decrease_pct: f.density_pr_decrease_pct,
        },
        cr_requires_non_target_cr: f.cr_requires_non_target_cr,
        node_normal_mm: 10.0,
        modalities: match f.targets.excluded_modalities {
            Some(codes) => ModalityRules {
                excluded_for_targets: codes,
            },
            None => ModalityRules::recist(),
        },
    })
}

/// Exactly one of `<word>_at_least_pct` and `<word>_more_than_pct`.
fn stated_bound(
    what: &str,
    word: &str,
    at_least: Option<f64>,
    more_than: Option<f64>,
) -> Result<Bound, String> {
    match (at_least, more_than) {
        (Some(v), None) => Ok(Bound::at_least(v)),
        (None, Some(v)) => Ok(Bound::more_than(v)),
        (Some(_), Some(_)) => Err(format!(
            "{what}: give one of {word}_at_least_pct and {word}_more_than_pct, not both"
        )),
        (None, None) => Err(format!(
            "{what}: give {word}_at_least_pct (a change of exactly the value counts) or \
             {word}_more_than_pct (only a larger change counts)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_files_with_reasons() {
        let e = from_toml("name = 'x'\n[progression]\nincrease_at_least_pct = -3\n").unwrap_err();
        assert!(e.to_string().contains("must be positive"), "{e}");
        let e = from_toml(
            "name = 'x'\nmeasure = 'volume'\n[progression]\nincrease_at_least_pct = 20\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("volume"), "{e}");
        let e = from_toml(
            "name='x'\n[[response]]\ncategory='PR'\ndecrease_at_least_pct=30\n[[response]]\ncategory='CR'\ndecrease_at_least_pct=80\n[progression]\nincrease_at_least_pct=20\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("best first"), "{e}");
        assert!(from_toml("name = 'x'\n").is_err());
        assert!(
            from_toml("name = 'x'\ntypo = 1\n[progression]\nincrease_at_least_pct = 20\n").is_err()
        );
    }

    /// Issue 13: a bound whose boundary is not stated is refused, and each
    /// statement is read as written.
    #[test]
    fn bounds_state_their_boundary() {
        let band = |line: &str| {
            from_toml(&format!(
                "name='x'\n[[response]]\ncategory='CR'\n{line}\n[progression]\nincrease_at_least_pct=20\n"
            ))
        };
        let e = band("min_decrease_pct = 75").unwrap_err().to_string();
        assert!(e.contains("decrease_more_than_pct"), "{e}");
        let e = band("").unwrap_err().to_string();
        assert!(e.contains("decrease_at_least_pct"), "{e}");
        let e = band("decrease_at_least_pct = 75\ndecrease_more_than_pct = 75")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not both"), "{e}");
        let r = band("decrease_more_than_pct = 75").unwrap();
        assert_eq!(
            r.thresholds.bands,
            vec![(Category::CR, Bound::more_than(75.0))]
        );
        let e = from_toml("name='x'\n[progression]\nincrease_pct=25\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("increase_at_least_pct"), "{e}");
        let r = from_toml("name='x'\n[progression]\nincrease_more_than_pct=25\n").unwrap();
        assert_eq!(r.thresholds.pd_increase, Bound::more_than(25.0));
        assert!(!Bound::more_than(75.0).met_by(75.0));
        assert!(Bound::more_than(75.0).met_by(75.1));
        assert!(Bound::at_least(30.0).met_by(29.999999999999996));
    }
}
