//! Cox tables and forest plots (`[[table]] type = "cox"`).
//!
//! Each variable of `univariate` is fitted alone, then the variables of
//! `multivariate` together, by the analysis layer's Cox regression
//! (`netra_analysis::analyses::cox`: Efron ties, as R's `coxph` defaults;
//! the design is R's `model.matrix` with treatment contrasts for the
//! study's level order — a categorical variable gives one indicator per
//! level other than its reference, the first level or the one `reference`
//! names, and a number gives its column). Patients missing the endpoint or
//! any variable of a model are left out of that model (R's `na.omit`), and
//! levels without a patient in a model are dropped from it. This file only
//! asks for the fits and lays them out.

use std::collections::BTreeMap;

use netra_analysis::analyses::cox::{CoxOutput, CoxRequest, run as run_cox};
use netra_analysis::{AnalysisError, EndpointRequest};
use netra_report::figure::forest::ForestRow;
use netra_report::table::Table;
use netra_report::table::cox::{CoxRow, HazardRatio, cox_table};
use serde_json::{Value, json};

use crate::StudyError;
use crate::context::Context;
use crate::facts::Facts;
use crate::spec::{EndpointDef, TableDef};
use netra_analysis::variables::Column;

/// A fitted Cox table and the rows of its forest plots.
#[derive(Debug, Clone)]
pub struct CoxResult {
    /// The table.
    pub table: Table,
    /// Forest rows of the univariate fits.
    pub forest_univariate: Vec<ForestRow>,
    /// Forest rows of the multivariate fit.
    pub forest_multivariate: Vec<ForestRow>,
    /// The endpoint's printed name.
    pub endpoint_label: String,
}

/// How one variable enters a model.
struct Term {
    name: String,
    label: String,
    /// Categorical: level labels and the reference.
    levels: Option<(Vec<String>, usize)>,
    /// The reference as the study file names it (passed on to the layer,
    /// which resolves it by the same rule).
    reference: Option<String>,
}

/// One model's coefficients per (variable, level) — level `None` for a
/// number — with the model's n and events.
struct Fitted {
    hr: BTreeMap<(String, Option<usize>), (Option<HazardRatio>, bool)>,
    n: usize,
    events: usize,
    /// The layer's output when the model was fitted (it has a column).
    fit: Option<CoxOutput>,
    /// Overall likelihood-ratio and Wald p of each term with two or more
    /// columns (a factor's levels tested at once).
    overall: BTreeMap<String, (Option<f64>, Option<f64>)>,
}

fn term(
    ctx: &Context<'_>,
    name: &str,
    reference: &BTreeMap<String, String>,
) -> Result<Term, StudyError> {
    let v = ctx.variable(name)?;
    Ok(match &v.column {
        Column::Cat { levels, .. } => {
            let r = match reference.get(name) {
                None => 0,
                Some(want) => levels.iter().position(|l| l.matches(want)).ok_or_else(|| {
                    StudyError::analysis(
                        format!("reference of '{name}'"),
                        format!(
                            "'{want}' is not a level (levels: {})",
                            levels
                                .iter()
                                .map(|l| l.label.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    )
                })?,
            };
            Term {
                name: name.to_string(),
                label: v.label.clone(),
                levels: Some((levels.iter().map(|l| l.label.clone()).collect(), r)),
                reference: reference.get(name).cloned(),
            }
        }
        // A reference given for a number is ignored, as it always was.
        Column::Num(_) => Term {
            name: name.to_string(),
            label: v.label.clone(),
            levels: None,
            reference: None,
        },
    })
}

/// A layer error as the text after "model of …: ".
fn reason(e: AnalysisError) -> String {
    match e {
        AnalysisError::Stats { reason, .. } => reason,
        other => other.to_string(),
    }
}

/// Fits one model on the patients with the endpoint and every term.
fn fit_model(ctx: &Context<'_>, ep: &EndpointDef, terms: &[&Term]) -> Result<Fitted, String> {
    let req = CoxRequest {
        endpoint: EndpointRequest::of(&ep.spec),
        line: None,
        terms: terms.iter().map(|t| t.name.clone()).collect(),
        reference: terms
            .iter()
            .filter_map(|t| t.reference.clone().map(|r| (t.name.clone(), r)))
            .collect(),
        term_tests: true,
        ..CoxRequest::default()
    };
    let out = run_cox(&ctx.cohort, &req).map_err(reason)?;
    let mut fitted = Fitted {
        hr: BTreeMap::new(),
        n: out.n,
        events: out.events,
        fit: None,
        overall: out
            .term_tests
            .iter()
            .filter(|t| t.df >= 2)
            .map(|t| {
                (
                    t.term.clone(),
                    (t.lr.as_ref().map(|x| x.p), t.wald.as_ref().map(|x| x.p)),
                )
            })
            .collect(),
    };
    for c in &out.coefficients {
        let Some(t) = terms.iter().find(|t| t.name == c.term) else {
            continue;
        };
        let level = match (&t.levels, &c.level) {
            (Some((levels, _)), Some(l)) => levels.iter().position(|x| x == l),
            _ => None,
        };
        let hr = match (c.hr, c.lower, c.upper) {
            (Some(hr), Some(lower), Some(upper)) => Some(HazardRatio {
                hr,
                lower,
                upper,
                p: c.p,
            }),
            _ => None,
        };
        fitted.hr.insert((c.term.clone(), level), (hr, c.estimable));
    }
    if out.loglik.is_some() {
        fitted.fit = Some(out);
    }
    Ok(fitted)
}

fn overall_json(o: Option<&(Option<f64>, Option<f64>)>) -> Value {
    match o {
        Some((lr, wald)) => json!({"overall_lr_p": lr, "overall_wald_p": wald}),
        None => Value::Null,
    }
}

fn hr_json(h: &Option<HazardRatio>) -> Value {
    match h {
        Some(h) => json!({"hr": h.hr, "lower": h.lower, "upper": h.upper, "p": h.p}),
        None => Value::Null,
    }
}

/// Fits the univariate and multivariate models of a Cox table.
pub fn fit(
    ctx: &Context<'_>,
    def: &TableDef,
    endpoint: &str,
    univariate: &[String],
    multivariate: &[String],
    reference: &BTreeMap<String, String>,
    facts: &mut Facts,
) -> Result<CoxResult, StudyError> {
    let what = format!("table '{}'", def.name);
    let ep = ctx.endpoint_def(endpoint)?;
    let data = ctx.endpoint(ep, None)?;
    let mut all: Vec<&String> = univariate.iter().collect();
    for m in multivariate {
        if !all.contains(&m) {
            all.push(m);
        }
    }
    let terms: Vec<Term> = all
        .iter()
        .map(|n| term(ctx, n, reference))
        .collect::<Result<_, _>>()?;
    let mut uni: BTreeMap<String, Fitted> = BTreeMap::new();
    for t in terms.iter().filter(|t| univariate.contains(&t.name)) {
        let f = fit_model(ctx, ep, &[t]).map_err(|e| {
            StudyError::analysis(&what, format!("univariate model of {}: {e}", t.name))
        })?;
        uni.insert(t.name.clone(), f);
    }
    let multi_terms: Vec<&Term> = terms
        .iter()
        .filter(|t| multivariate.contains(&t.name))
        .collect();
    let multi = if multi_terms.is_empty() {
        None
    } else {
        Some(
            fit_model(ctx, ep, &multi_terms)
                .map_err(|e| StudyError::analysis(&what, format!("multivariate model: {e}")))?,
        )
    };

    let mut rows = Vec::new();
    let (mut forest_u, mut forest_m) = (Vec::new(), Vec::new());
    let mut facts_terms = serde_json::Map::new();
    let lookup = |f: Option<&Fitted>, key: &(String, Option<usize>)| -> Option<HazardRatio> {
        f.and_then(|f| f.hr.get(key)).and_then(|(h, est)| {
            if *est {
                *h
            } else {
                // Present but not estimable: an infinite HR prints so.
                Some(HazardRatio {
                    hr: f64::INFINITY,
                    lower: f64::NAN,
                    upper: f64::NAN,
                    p: None,
                })
            }
        })
    };
    let forest_row = |label: &str, h: Option<HazardRatio>, indent: u8| -> Option<ForestRow> {
        let h = h?;
        Some(if h.hr.is_finite() && h.upper.is_finite() {
            ForestRow::new(label, h.hr, h.lower, h.upper, h.p).indented(indent)
        } else {
            ForestRow {
                note: Some("not estimable".into()),
                ..ForestRow::new(label, f64::INFINITY, 1.0, f64::INFINITY, None)
            }
            .indented(indent)
        })
    };
    let mut with_overall = false;
    for t in &terms {
        let u = uni.get(&t.name);
        let m = multi.as_ref().filter(|_| multivariate.contains(&t.name));
        match &t.levels {
            Some((levels, r)) => {
                let lr =
                    |f: Option<&Fitted>| f.and_then(|f| f.overall.get(&t.name)).and_then(|o| o.0);
                let (pu, pm) = (lr(u), lr(m));
                if pu.is_some() || pm.is_some() {
                    with_overall = true;
                    facts_terms.insert(
                        t.name.clone(),
                        json!({
                            "univariate": overall_json(u.and_then(|f| f.overall.get(&t.name))),
                            "multivariate": overall_json(m.and_then(|f| f.overall.get(&t.name))),
                        }),
                    );
                }
                rows.push(CoxRow::heading_with_p(t.label.clone(), pu, pm));
                rows.push(CoxRow::reference_in(
                    levels[*r].clone(),
                    u.is_some(),
                    m.is_some(),
                ));
                if u.is_some() {
                    forest_u.push(ForestRow::heading(t.label.clone()));
                    forest_u.push(ForestRow::reference(levels[*r].clone()));
                }
                if m.is_some() {
                    forest_m.push(ForestRow::heading(t.label.clone()));
                    forest_m.push(ForestRow::reference(levels[*r].clone()));
                }
                for (k, level) in levels.iter().enumerate() {
                    if k == *r {
                        continue;
                    }
                    let key = (t.name.clone(), Some(k));
                    let (hu, hm) = (lookup(u, &key), lookup(m, &key));
                    if hu.is_none() && hm.is_none() {
                        continue;
                    }
                    rows.push(CoxRow::term(level.clone(), hu, hm).indented(1));
                    if let Some(r) = forest_row(level, hu, 1).filter(|_| u.is_some()) {
                        forest_u.push(r);
                    }
                    if let Some(r) = forest_row(level, hm, 1).filter(|_| m.is_some()) {
                        forest_m.push(r);
                    }
                    facts_terms.insert(
                        format!("{}={}", t.name, level),
                        json!({"univariate": hr_json(&hu), "multivariate": hr_json(&hm)}),
                    );
                }
            }
            None => {
                let key = (t.name.clone(), None);
                let (hu, hm) = (lookup(u, &key), lookup(m, &key));
                rows.push(CoxRow::term(t.label.clone(), hu, hm));
                if let Some(r) = forest_row(&t.label, hu, 0) {
                    forest_u.push(r);
                }
                if let Some(r) = forest_row(&t.label, hm, 0) {
                    forest_m.push(r);
                }
                facts_terms.insert(
                    t.name.clone(),
                    json!({"univariate": hr_json(&hu), "multivariate": hr_json(&hm)}),
                );
            }
        }
    }
    let mut table = cox_table(def.title.clone(), &rows, "95% CI");
    let uni_n: Vec<String> = terms
        .iter()
        .filter_map(|t| uni.get(&t.name).map(|f| (t, f)))
        .filter(|(_, f)| f.n < data.time.iter().filter(|x| x.is_some()).count())
        .map(|(t, f)| format!("{} {}", t.label, f.n))
        .collect();
    table.footnotes.push(format!(
        "Cox proportional-hazards models of {} {} (Efron's method for ties, as R's coxph); \
         HR, hazard ratio; p from the Wald test. Univariate: each variable alone{}.{}",
        ep.label.to_lowercase(),
        ep.spec.from.phrase(),
        if uni_n.is_empty() {
            String::new()
        } else {
            format!(" among patients with it recorded (n: {})", uni_n.join(", "))
        },
        match &multi {
            Some(f) => format!(
                " Multivariate: all variables with an estimate in that column, {} patients with \
                 complete data ({} events){}.",
                f.n,
                f.events,
                f.fit.as_ref().and_then(|fit| fit.lr_test.as_ref()).map_or(
                    String::new(),
                    |lr| format!(
                        "; likelihood-ratio test {}",
                        netra_report::format::p_equals(Some(lr.p))
                    )
                )
            ),
            None => String::new(),
        }
    ));
    if with_overall {
        table.footnotes.push(
            "On a variable's row: p of the likelihood-ratio test of all its levels at once (the \
             model refitted without the variable on the same patients, as R's drop1); the Wald \
             test of the same levels is in summary.json."
                .into(),
        );
    }
    if let Some(f) = multi.as_ref().and_then(|f| f.fit.as_ref())
        && !f.warnings.is_empty()
    {
        table
            .footnotes
            .push(format!("Fitting notes: {}.", f.warnings.join("; ")));
    }
    facts.insert(
        def.name.clone(),
        json!({
            "terms": Value::Object(facts_terms),
            "multivariate_n": multi.as_ref().map(|f| f.n),
            "multivariate_events": multi.as_ref().map(|f| f.events),
        }),
    );
    Ok(CoxResult {
        table,
        forest_univariate: forest_u,
        forest_multivariate: forest_m,
        endpoint_label: ep.label.clone(),
    })
}
