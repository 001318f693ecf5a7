//! The Cox model next to the Kaplan–Meier figure: the hazard ratio of each
//! group against the first (the grouping's reference level) with its 95%
//! CI and Wald p, as a table and a forest plot.
//!
//! The numbers are the analysis layer's `cox` analysis (the same fit as
//! R's `coxph`, Efron ties, checked against R in `netra-analysis`), on the
//! cohort the curves come from, with the grouping variable as the one
//! term; the forest plot is `netra_report`'s. Shown only with full detail
//! (no small-cell rule in force): a hazard ratio of a small group is a
//! statement about a few patients.

use maud::{Markup, html};
use netra_analysis::Cohort;
use netra_analysis::analyses::cox::{self, CoxOutput, CoxRequest};
use netra_report::Figure;
use netra_report::figure::forest::{ForestFigure, ForestRow};
use netra_report::format::{MISSING, p_value, with_ci};

use crate::analysis::Query;

/// One row of the hazard-ratio table.
#[derive(Debug, Clone, PartialEq)]
pub struct HrRow {
    /// Group label.
    pub label: String,
    /// "1 (reference)" or "0.52 (0.31–0.87)".
    pub hr: String,
    /// Wald p as tables print it ("" for the reference).
    pub p: String,
}

/// The Cox model of a grouped analysis.
#[derive(Debug, Clone)]
pub struct CoxView {
    /// The layer's output.
    pub output: CoxOutput,
    /// Rows: the reference level first, then one per other level.
    pub rows: Vec<HrRow>,
    /// The forest plot (SVG), when at least one ratio is drawable.
    pub svg: Option<String>,
}

/// The Cox model of `q`'s grouping over `cohort`; `None` without a
/// grouping, or when the layer cannot fit it (one group, no patient).
pub fn fit(cohort: &Cohort, q: &Query) -> Option<CoxView> {
    let term = q.group.variable()?.to_string();
    let req = CoxRequest {
        endpoint: q.endpoint_request(),
        terms: vec![term.clone()],
        ..CoxRequest::default()
    };
    let output = cox::run(cohort, &req).ok()?;
    let t = output.terms.first()?;
    let reference = t.reference.clone()?;
    let mut rows = vec![HrRow {
        label: reference.clone(),
        hr: "1 (reference)".into(),
        p: String::new(),
    }];
    let mut forest = vec![ForestRow::reference(reference)];
    for c in output.coefficients.iter().filter(|c| c.term == term) {
        let label = c.level.clone().unwrap_or_else(|| c.term.clone());
        let hr = if c.estimable {
            with_ci(c.hr, c.lower, c.upper, 2, MISSING)
        } else {
            "not estimable".into()
        };
        rows.push(HrRow {
            label: label.clone(),
            hr,
            p: if c.estimable {
                p_value(c.p)
            } else {
                String::new()
            },
        });
        forest.push(match (c.estimable, c.hr, c.lower, c.upper) {
            (true, Some(h), Some(l), Some(u)) => ForestRow::new(label, h, l, u, c.p).indented(1),
            _ => ForestRow {
                note: Some("not estimable".into()),
                ..ForestRow::reference(label)
            },
        });
    }
    if rows.len() < 2 {
        return None;
    }
    let mut fig = ForestFigure::hazard_ratios(forest);
    fig.label_header = q.group.label().to_string();
    let svg = fig.to_svg().ok();
    Some(CoxView { output, rows, svg })
}

/// The section of the analysis page.
pub fn section(c: &CoxView) -> Markup {
    let o = &c.output;
    html! {
        h3 { "Cox model: hazard ratios by group" }
        p class="muted" {
            (o.n) " patients, " (o.events) " events"
            @if o.dropped > 0 { " (" (o.dropped) " without the endpoint or the group left out)" }
            "; Efron ties, Wald p"
            @if let Some(t) = &o.lr_test { "; likelihood-ratio test p " (p_value(Some(t.p))) }
            "."
        }
        div class="table-wrap" {
            table class="cox" {
                thead { tr { th scope="col" { "Group" } th scope="col" class="num" { "HR (95% CI)" } th scope="col" class="num" { "p" } } }
                tbody {
                    @for r in &c.rows {
                        tr { th scope="row" { (r.label) } td class="num" { (r.hr) } td class="num" { (r.p) } }
                    }
                }
            }
        }
        @if let Some(svg) = &c.svg {
            (crate::layout::svg(svg, "Forest plot of the hazard ratios by group"))
        }
        @for w in &o.warnings { p class="muted" { (w) } }
    }
}
