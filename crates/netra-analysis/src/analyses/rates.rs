//! Response rates from best overall responses: counts per category, the
//! objective response rate (CR + PR) and the disease control rate (CR +
//! PR + MR + SD, non-CR/non-PD counted as SD) with a chosen interval
//! ([`CiMethod`]: exact Clopper–Pearson (`binom.test`), Wilson
//! (`prop.test`, with or without continuity correction), Wald,
//! Agresti–Coull or Jeffreys) — and Fisher's exact test of each rate
//! across groups (`fisher.test` on the groups × (yes, no) table).
//!
//! The denominator is every best response given, NE included (intention
//! to treat, RECIST 1.1 §4.4): [`rates`] counts what it is handed. The
//! registered analysis ([`run`]) hands it the evaluable best responses of
//! a line (`Cohort::line_responses`, the one rule of `docs/endpoints.md`),
//! so its NE count is 0; `netra rates` and `netra response --rates` hand
//! it every response of their file.

use std::collections::BTreeMap;

use netra_clinical::response::Category;
use netra_stats::classical::Alternative;
use netra_stats::classical::binomial::{ResponseCounts, response_rates};
use netra_stats::classical::fisher::{fisher_2x2, fisher_rxc};
use serde::{Deserialize, Serialize};

pub use netra_stats::classical::binomial::ProportionCi;

pub use crate::inference::CiMethod;

use crate::AnalysisError;
use crate::cohort::Cohort;

/// The interval of a rate: the layer's one proportion-interval enum
/// ([`CiMethod`]), under the name this module has always used.
pub type RateCi = CiMethod;

/// Patients per best response (non-CR/non-PD counted with SD).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Complete responses.
    #[serde(rename = "CR")]
    pub cr: u64,
    /// Partial responses.
    #[serde(rename = "PR")]
    pub pr: u64,
    /// Minor responses.
    #[serde(rename = "MR")]
    pub mr: u64,
    /// Stable disease and non-CR/non-PD.
    #[serde(rename = "SD")]
    pub sd: u64,
    /// Progressive disease.
    #[serde(rename = "PD")]
    pub pd: u64,
    /// Not evaluable.
    #[serde(rename = "NE")]
    pub ne: u64,
}

impl Counts {
    /// Counts `categories`.
    pub fn of(categories: impl IntoIterator<Item = Category>) -> Counts {
        let mut c = Counts::default();
        for cat in categories {
            match cat {
                Category::CR => c.cr += 1,
                Category::PR => c.pr += 1,
                Category::MR => c.mr += 1,
                Category::SD | Category::NonCrNonPd => c.sd += 1,
                Category::PD => c.pd += 1,
                Category::NE => c.ne += 1,
            }
        }
        c
    }

    /// Every patient counted (the denominator).
    pub fn total(&self) -> u64 {
        self.cr + self.pr + self.mr + self.sd + self.pd + self.ne
    }

    fn kernel(&self) -> ResponseCounts {
        ResponseCounts {
            complete: self.cr,
            partial: self.pr,
            minor: self.mr,
            stable: self.sd,
            progressive: self.pd,
            not_evaluable: self.ne,
        }
    }
}

/// The objective response rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Responders {
    /// CR + PR.
    pub responders: u64,
    /// Proportion.
    pub estimate: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// The disease control rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Controlled {
    /// CR + PR + MR + SD.
    pub controlled: u64,
    /// Proportion.
    pub estimate: f64,
    /// Lower limit.
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// One group's rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupRates {
    /// Group label.
    pub group: String,
    /// Patients counted (NE included).
    pub n: u64,
    /// Per best response.
    pub counts: Counts,
    /// Objective response.
    pub orr: Responders,
    /// Disease control.
    pub dcr: Controlled,
}

/// A rate compared across groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateComparison {
    /// "Fisher's exact test".
    pub test: String,
    /// The p-value.
    pub p_value: f64,
}

/// Rates by group (the `rates` block of `netra response --rates` and the
/// JSON of `netra rates`, `docs/cli-json.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatesOutput {
    /// The interval's name.
    pub ci: String,
    /// Confidence level.
    pub conf_level: f64,
    /// Per group, in the order given.
    pub groups: Vec<GroupRates>,
    /// ORR across groups (`null` with fewer than two groups).
    pub orr_comparison: Option<RateComparison>,
    /// DCR across groups (`null` with fewer than two groups).
    pub dcr_comparison: Option<RateComparison>,
}

/// Fisher's exact test of `yes` out of `n` across groups.
fn fisher_across(yes_n: &[(u64, u64)]) -> Result<Option<RateComparison>, AnalysisError> {
    if yes_n.len() < 2 {
        return Ok(None);
    }
    let err = |e| AnalysisError::stats("Fisher's exact test of the rates", e);
    let p = if let [(a, n), (b, m)] = yes_n {
        fisher_2x2(
            [[*a, n.saturating_sub(*a)], [*b, m.saturating_sub(*b)]],
            Alternative::TwoSided,
            0.95,
        )
        .map_err(err)?
        .p_value
    } else {
        let table: Vec<Vec<f64>> = yes_n
            .iter()
            .map(|&(yes, n)| vec![yes as f64, n.saturating_sub(yes) as f64])
            .collect();
        fisher_rxc(&table).map_err(err)?
    };
    Ok(Some(RateComparison {
        test: "Fisher's exact test".into(),
        p_value: p,
    }))
}

/// Rates of each group's best responses, in the order given; every group
/// needs at least one response.
pub fn rates(
    groups: &[(String, Vec<Category>)],
    ci: RateCi,
    conf_level: f64,
) -> Result<RatesOutput, AnalysisError> {
    let mut rows = Vec::with_capacity(groups.len());
    for (label, cats) in groups {
        let counts = Counts::of(cats.iter().copied());
        let r = response_rates(&counts.kernel(), ci.method(), conf_level)
            .map_err(|e| AnalysisError::stats(format!("response rates of '{label}'"), e))?;
        rows.push(GroupRates {
            group: label.clone(),
            n: counts.total(),
            counts,
            orr: Responders {
                responders: r.orr.successes,
                estimate: r.orr.estimate,
                lower: r.orr.lower,
                upper: r.orr.upper,
            },
            dcr: Controlled {
                controlled: r.dcr.successes,
                estimate: r.dcr.estimate,
                lower: r.dcr.lower,
                upper: r.dcr.upper,
            },
        });
    }
    let orr: Vec<(u64, u64)> = rows.iter().map(|r| (r.orr.responders, r.n)).collect();
    let dcr: Vec<(u64, u64)> = rows.iter().map(|r| (r.dcr.controlled, r.n)).collect();
    Ok(RatesOutput {
        ci: ci.label().into(),
        conf_level,
        orr_comparison: fisher_across(&orr)?,
        dcr_comparison: fisher_across(&dcr)?,
        groups: rows,
    })
}

/// [`rates`] of groups named by text labels, in R's order of those labels
/// (its collation in a UTF-8 locale, `netra_stats::model::collate`: a
/// byte order would put "Élevé" after "faible").
pub fn rates_by_label(
    groups: BTreeMap<String, Vec<Category>>,
    ci: RateCi,
    conf_level: f64,
) -> Result<RatesOutput, AnalysisError> {
    let mut ordered: Vec<(String, Vec<Category>)> = groups.into_iter().collect();
    ordered.sort_by(|a, b| netra_stats::model::collate(&a.0, &b.0));
    rates(&ordered, ci, conf_level)
}

/// Response rates of a line of a registry cohort, optionally by a variable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RatesRequest {
    /// The line of systemic therapy (1-based).
    pub line: u32,
    /// The grouping variable (none: all patients).
    pub by: Option<String>,
    /// The levels compared, in order; none: all.
    pub levels: Option<Vec<String>>,
    /// The interval (`ci` is accepted as its older name).
    #[serde(alias = "ci")]
    pub ci_method: CiMethod,
    /// Confidence level.
    pub conf_level: f64,
}

impl Default for RatesRequest {
    fn default() -> Self {
        RatesRequest {
            line: 1,
            by: None,
            levels: None,
            ci_method: CiMethod::default(),
            conf_level: 0.95,
        }
    }
}

/// Runs a [`RatesRequest`]: the evaluable patients of the line, by group
/// (groups without an evaluable patient are left out).
pub fn run(cohort: &Cohort, req: &RatesRequest) -> Result<RatesOutput, AnalysisError> {
    let best = cohort.line_responses(req.line)?;
    let groups: Vec<(String, Vec<Category>)> = match &req.by {
        None => vec![(
            "All patients".into(),
            best.iter().flatten().copied().collect(),
        )],
        Some(by) => {
            let g = cohort.grouping_of(by, None, req.levels.as_deref(), None)?;
            let mut per: Vec<Vec<Category>> = vec![Vec::new(); g.levels.len()];
            for (b, c) in best.iter().zip(&g.codes) {
                if let (Some(b), Some(c)) = (b, c) {
                    per[*c].push(*b);
                }
            }
            g.levels.into_iter().zip(per).collect()
        }
    };
    let groups: Vec<(String, Vec<Category>)> =
        groups.into_iter().filter(|(_, c)| !c.is_empty()).collect();
    if groups.is_empty() {
        return Err(AnalysisError::invalid(
            "rates",
            format!("no patient is evaluable on line {}", req.line),
        ));
    }
    rates(&groups, req.ci_method, req.conf_level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn many(c: Category, n: usize) -> Vec<Category> {
        vec![c; n]
    }

    #[test]
    fn counts_rates_and_fisher_match_r() {
        // The radionuclide cohort of `netra rates` (tests/response_cli.rs):
        // A 1 PR, 16 SD, 2 PD; B 5 SD, 3 PD.
        let mut a = many(Category::SD, 16);
        a.push(Category::PR);
        a.extend(many(Category::PD, 2));
        let mut b = many(Category::SD, 5);
        b.extend(many(Category::PD, 3));
        let out = rates(
            &[("A".into(), a), ("B".into(), b)],
            RateCi::ClopperPearson,
            0.95,
        )
        .unwrap();
        let g = &out.groups[0];
        assert_eq!((g.n, g.orr.responders, g.dcr.controlled), (19, 1, 17));
        // R: binom.test(1, 19)$conf.int
        assert!((g.orr.lower - 0.001_331_628_804_179_424).abs() < 1e-12);
        assert!((g.orr.upper - 0.260_280_654_195_214_2).abs() < 1e-12);
        // R: fisher.test(matrix(c(17, 5, 2, 3), 2))$p.value
        let p = out.dcr_comparison.unwrap().p_value;
        assert!((p - 0.135_785_953_177_257_5).abs() < 1e-12);
        assert_eq!(out.ci, "Clopper-Pearson");
    }

    #[test]
    fn ne_is_in_the_denominator_and_one_group_has_no_test() {
        let cats = vec![Category::CR, Category::NE, Category::NonCrNonPd];
        let out = rates(&[("all".into(), cats)], RateCi::Wilson, 0.9).unwrap();
        let g = &out.groups[0];
        assert_eq!(g.n, 3);
        assert_eq!((g.counts.ne, g.counts.sd, g.counts.cr), (1, 1, 1));
        assert_eq!(g.dcr.controlled, 2);
        assert!(out.orr_comparison.is_none());
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(json["groups"][0]["counts"]["NE"], 1);
        assert_eq!(json["ci"], "Wilson");
    }

    #[test]
    fn request_names_the_method_ci_method_or_ci() {
        for m in CiMethod::ALL {
            let v = serde_json::json!({ "ci_method": m.code() });
            let r: RatesRequest = serde_json::from_value(v).unwrap();
            assert_eq!(r.ci_method, m);
            assert_eq!(CiMethod::from_code(m.code()), Some(m));
        }
        let r: RatesRequest =
            serde_json::from_value(serde_json::json!({"ci": "jeffreys"})).unwrap();
        assert_eq!(r.ci_method, CiMethod::Jeffreys);
        assert!(
            serde_json::from_value::<RatesRequest>(serde_json::json!({"ci_method": "exact"}))
                .is_err()
        );
        // x = 0: every method gives a lower limit of 0 (Wald collapses).
        let out = rates(&[("g".into(), vec![Category::PD; 5])], CiMethod::Wald, 0.95).unwrap();
        assert_eq!(
            (out.groups[0].orr.lower, out.groups[0].orr.upper),
            (0.0, 0.0)
        );
        assert_eq!(out.ci, "Wald");
    }

    #[test]
    fn labels_in_r_order_and_empty_groups_refused() {
        let mut m = BTreeMap::new();
        m.insert("faible".to_string(), vec![Category::PR]);
        m.insert("Élevé".to_string(), vec![Category::PD]);
        let out = rates_by_label(m, RateCi::ClopperPearson, 0.95).unwrap();
        assert_eq!(out.groups[0].group, "Élevé");
        assert!(rates(&[("x".into(), vec![])], RateCi::ClopperPearson, 0.95).is_err());
    }
}
