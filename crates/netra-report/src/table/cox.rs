//! Cox regression results as papers print them: per term the univariate
//! and the multivariate hazard ratio with its CI and p, factor levels
//! indented under their variable with the reference level marked.
//!
//! The rows are plain numbers so that any fit can fill them (the Cox model
//! of `netra_stats`, or hazard ratios from elsewhere); terms left out of the
//! multivariate model print an em dash.

use super::{Cell, Row, Table};
use crate::format::{MISSING, PStyle, fixed};

/// A hazard ratio with its interval and p.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HazardRatio {
    /// exp(coef).
    pub hr: f64,
    /// Lower confidence limit.
    pub lower: f64,
    /// Upper confidence limit.
    pub upper: f64,
    /// Wald p-value.
    pub p: Option<f64>,
}

/// One row of the Cox table.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxRow {
    /// Term or level label.
    pub label: String,
    /// Indentation (levels under a factor's heading).
    pub indent: u8,
    /// A heading (factor name) or reference level: no numbers.
    pub kind: CoxRowKind,
    /// Univariate estimate.
    pub univariate: Option<HazardRatio>,
    /// Multivariate estimate.
    pub multivariate: Option<HazardRatio>,
}

/// What a Cox row shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoxRowKind {
    /// A term with estimates.
    Term,
    /// A factor's name above its levels (bold, no numbers).
    Heading,
    /// A factor's reference level ("1 (reference)").
    Reference,
}

impl CoxRow {
    /// A term with its univariate and multivariate estimates.
    pub fn term(
        label: impl Into<String>,
        univariate: Option<HazardRatio>,
        multivariate: Option<HazardRatio>,
    ) -> CoxRow {
        CoxRow {
            label: label.into(),
            indent: 0,
            kind: CoxRowKind::Term,
            univariate,
            multivariate,
        }
    }

    /// A factor's heading.
    pub fn heading(label: impl Into<String>) -> CoxRow {
        CoxRow {
            kind: CoxRowKind::Heading,
            ..CoxRow::term(label, None, None)
        }
    }

    /// A factor's heading with its overall p in each model (the test of all
    /// its levels at once; `None`: not in that model or not tested). Only
    /// the `p` of the heading's estimates is printed.
    pub fn heading_with_p(
        label: impl Into<String>,
        univariate: Option<f64>,
        multivariate: Option<f64>,
    ) -> CoxRow {
        let p_only = |p: Option<f64>| {
            p.map(|p| HazardRatio {
                hr: f64::NAN,
                lower: f64::NAN,
                upper: f64::NAN,
                p: Some(p),
            })
        };
        CoxRow {
            univariate: p_only(univariate),
            multivariate: p_only(multivariate),
            ..CoxRow::heading(label)
        }
    }

    /// A factor's reference level (indented), in both models.
    pub fn reference(label: impl Into<String>) -> CoxRow {
        CoxRow {
            kind: CoxRowKind::Reference,
            indent: 1,
            ..CoxRow::term(label, None, None)
        }
    }

    /// A factor's reference level for a factor that is in only some of the
    /// models: "1 (reference)" in those columns, an em dash in the others.
    /// (The estimates of a reference row are otherwise unused: a `Some`
    /// marks the model as including the factor.)
    pub fn reference_in(label: impl Into<String>, univariate: bool, multivariate: bool) -> CoxRow {
        let one = HazardRatio {
            hr: 1.0,
            lower: 1.0,
            upper: 1.0,
            p: None,
        };
        CoxRow {
            univariate: univariate.then_some(one),
            multivariate: multivariate.then_some(one),
            ..CoxRow::reference(label)
        }
    }

    /// The row indented by `level`.
    pub fn indented(mut self, level: u8) -> CoxRow {
        self.indent = level;
        self
    }
}

fn hr_cells(hr: Option<HazardRatio>, decimals: usize, p_style: &PStyle) -> [String; 2] {
    match hr {
        Some(h) if h.hr.is_finite() && h.hr > 0.0 => [
            format!(
                "{} ({}\u{2013}{})",
                fixed(Some(h.hr), decimals),
                fixed(Some(h.lower), decimals),
                fixed(Some(h.upper), decimals)
            ),
            p_style.format(h.p),
        ],
        Some(_) => ["not estimable".into(), String::new()],
        None => [MISSING.into(), String::new()],
    }
}

/// The Cox table: "Variable | Univariate: HR (95% CI), p | Multivariate:
/// HR (95% CI), p". `conf_label` names the interval ("95% CI").
pub fn cox_table(title: impl Into<String>, rows: &[CoxRow], conf_label: &str) -> Table {
    let hr_header = format!("HR ({conf_label})");
    let mut table = Table {
        title: title.into(),
        header: vec![
            vec![
                Cell::from(""),
                Cell::span("Univariate", 2),
                Cell::span("Multivariate", 2),
            ],
            vec![
                Cell::from("Variable"),
                Cell::from(hr_header.as_str()),
                Cell::from("p"),
                Cell::from(hr_header.as_str()),
                Cell::from("p"),
            ],
        ],
        body: Vec::new(),
        footnotes: Vec::new(),
        align: Vec::new(),
    };
    let p_style = PStyle::default();
    for r in rows {
        let row = match r.kind {
            CoxRowKind::Heading => {
                // A heading prints only an overall p (`heading_with_p`).
                let p = |h: &Option<HazardRatio>| {
                    h.and_then(|h| h.p)
                        .map_or(String::new(), |p| p_style.format(Some(p)))
                };
                Row::new([
                    r.label.clone(),
                    String::new(),
                    p(&r.univariate),
                    String::new(),
                    p(&r.multivariate),
                ])
                .emphasised()
            }
            CoxRowKind::Reference => {
                // Both None: a reference row of both models (`reference`);
                // otherwise only where marked (`reference_in`).
                let both = r.univariate.is_none() && r.multivariate.is_none();
                let cell = |m: &Option<HazardRatio>| {
                    if both || m.is_some() {
                        "1 (reference)"
                    } else {
                        MISSING
                    }
                };
                Row::new([
                    r.label.as_str(),
                    cell(&r.univariate),
                    "",
                    cell(&r.multivariate),
                    "",
                ])
            }
            CoxRowKind::Term => {
                let [u, up] = hr_cells(r.univariate, 2, &p_style);
                let [m, mp] = hr_cells(r.multivariate, 2, &p_style);
                Row::new([r.label.clone(), u, up, m, mp])
            }
        };
        table.push(row.indented(r.indent));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_prints_only_its_overall_p() {
        let rows = [
            CoxRow::heading_with_p("Grade", Some(0.0123), None),
            CoxRow::heading("Site"),
        ];
        let t = cox_table("Cox", &rows, "95% CI");
        let text: Vec<&str> = t.body[0].cells.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(text, ["Grade", "", "0.012", "", ""]);
        assert!(t.body[0].emphasis);
        assert!(t.body[1].cells[1..].iter().all(|c| c.text.is_empty()));
    }
}
