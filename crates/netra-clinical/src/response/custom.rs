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
//!
//! [[response]]                   # bands, best first: % decrease from baseline
//! category = "CR"                # CR | PR | MR
//! min_decrease_pct = 75
//!
//! [progression]
//! increase_pct = 25
//! min_increase_mm = 0            # RECIST 1.1 uses 5
//! reference = "nadir"            # nadir | baseline
//! rule = "any_lesion"            # sum | any_lesion | sum_or_any_lesion
//! ```
//!
//! The overall time-point table, NE rules, new lesions, non-target
//! progression and the best-response rules are those of RECIST 1.1.

use serde::Deserialize;

use super::engine::{Measure, PdRule, Reference, Rules, SelectionRules, Thresholds};
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
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            max_total: None,
            max_per_organ: None,
            min_size_mm: 10.0,
            min_node_short_axis_mm: 15.0,
            bidimensional: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Band {
    category: String,
    min_decrease_pct: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Progression {
    increase_pct: f64,
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
        if !(b.min_decrease_pct > 0.0 && b.min_decrease_pct <= 100.0) {
            return Err(err(format!(
                "min_decrease_pct of {} must be in (0, 100], got {}",
                b.category, b.min_decrease_pct
            )));
        }
        if b.min_decrease_pct >= previous {
            return Err(err(
                "response bands must be listed best first, with decreasing min_decrease_pct".into(),
            ));
        }
        previous = b.min_decrease_pct;
        bands.push((cat, b.min_decrease_pct));
    }
    let p = &f.progression;
    if !(p.increase_pct > 0.0 && p.increase_pct.is_finite()) {
        return Err(err(format!(
            "progression.increase_pct must be positive, got {}",
            p.increase_pct
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
            pd_increase_pct: p.increase_pct,
            pd_min_increase: p.min_increase_mm,
            pd_reference,
            pd_rule,
            density_pr_decrease_pct: f.density_pr_decrease_pct,
        },
        cr_requires_non_target_cr: f.cr_requires_non_target_cr,
        node_normal_mm: 10.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_files_with_reasons() {
        let e = from_toml("name = 'x'\n[progression]\nincrease_pct = -3\n").unwrap_err();
        assert!(e.to_string().contains("increase_pct"), "{e}");
        let e = from_toml("name = 'x'\nmeasure = 'volume'\n[progression]\nincrease_pct = 20\n")
            .unwrap_err();
        assert!(e.to_string().contains("volume"), "{e}");
        let e = from_toml(
            "name='x'\n[[response]]\ncategory='PR'\nmin_decrease_pct=30\n[[response]]\ncategory='CR'\nmin_decrease_pct=80\n[progression]\nincrease_pct=20\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("best first"), "{e}");
        assert!(from_toml("name = 'x'\n").is_err());
        assert!(from_toml("name = 'x'\ntypo = 1\n[progression]\nincrease_pct = 20\n").is_err());
    }
}
