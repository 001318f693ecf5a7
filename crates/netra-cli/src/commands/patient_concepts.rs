//! The parts of `netra patient show` for the registry model's third step:
//! immunohistochemistry, genetics and comorbidities (a block after the
//! tumours), and scored quality-of-life questionnaires (course items).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use netra_clinical::qol;
use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{Questionnaire, Vocabulary};

fn num(x: f64) -> String {
    format!("{x}")
}

/// One decimal, as QoL scores are reported.
fn score(x: f64) -> String {
    format!("{x:.1}")
}

/// The block of stains, genetic tests and comorbidities (empty when none
/// is recorded).
pub(super) fn pathology_and_history(c: &PatientCourse) -> String {
    let mut out = String::new();
    if !c.immunostains.is_empty() {
        let _ = writeln!(out, "\nImmunohistochemistry");
        for x in &c.immunostains {
            let name = x
                .stain_detail
                .clone()
                .unwrap_or_else(|| x.stain.label().to_string());
            let mut s = format!("tumour {}", x.tumour);
            if let Some(sp) = x.specimen {
                let _ = write!(s, ", {}", sp.label());
            }
            let _ = write!(s, ": {name} {}", x.result.label());
            let mut parts = Vec::new();
            if let Some(p) = x.percent_cells {
                parts.push(format!("{}% of cells", num(p)));
            }
            if let Some(i) = x.intensity {
                parts.push(format!("intensity {i}"));
            }
            if let (Some(v), Some(sys)) = (x.score, x.score_system) {
                parts.push(format!("{} {}", sys.label(), num(v)));
            }
            if !parts.is_empty() {
                let _ = write!(s, " ({})", parts.join(", "));
            }
            if let Some(n) = &x.notes {
                let _ = write!(s, " — {n}");
            }
            let _ = writeln!(out, "  {:<12} {s}", x.date.to_string());
        }
    }
    if !c.genetic_tests.is_empty() {
        let _ = writeln!(out, "\nGenetics");
        for g in &c.genetic_tests {
            let name = g
                .gene_detail
                .clone()
                .unwrap_or_else(|| g.gene.label().to_string());
            let mut s = format!("{} {name}: {}", g.origin.label(), g.result.label());
            if let Some(v) = &g.variant {
                let _ = write!(s, " {v}");
            }
            if let Some(t) = &g.tumour {
                let _ = write!(s, " (tumour {t})");
            }
            let mut how = Vec::new();
            if let Some(m) = &g.method {
                how.push(m.clone());
            }
            if let Some(d) = g.date {
                how.push(format!("reported {d}"));
            }
            if !how.is_empty() {
                let _ = write!(s, "; {}", how.join(", "));
            }
            if let Some(n) = &g.notes {
                let _ = write!(s, " — {n}");
            }
            let _ = writeln!(out, "  {s}");
        }
    }
    if !c.comorbidities.is_empty() {
        let list: Vec<String> = c
            .comorbidities
            .iter()
            .map(|m| {
                let mut s = m
                    .condition_detail
                    .clone()
                    .unwrap_or_else(|| m.condition.label().to_string());
                if let Some(d) = m.date {
                    let _ = write!(s, " since {d}");
                }
                s
            })
            .collect();
        let _ = write!(out, "\nComorbidities: {}", list.join("; "));
        if let Some(ci) = c.charlson_index() {
            let _ = write!(out, " (Charlson index {ci})");
        }
        out.push('\n');
    }
    out
}

/// One course item per completed questionnaire: its scored scales (the
/// EORTC scoring rules, [`qol`]), or the count of items for a module netra
/// does not score.
pub(super) fn qol_lines(c: &PatientCourse) -> Vec<(PartialDate, String)> {
    let mut forms: BTreeMap<(Questionnaire, String), (PartialDate, Vec<(u8, u8)>)> =
        BTreeMap::new();
    for r in &c.qol_responses {
        forms
            .entry((r.questionnaire, r.date.to_string()))
            .or_insert_with(|| (r.date, Vec::new()))
            .1
            .push((r.item, r.response));
    }
    forms
        .into_iter()
        .map(|((q, _), (date, responses))| {
            let scores = qol::score(q, &responses);
            let mut s = format!("{}: {} items answered", q.label(), responses.len());
            let scored: Vec<String> = scores
                .iter()
                .filter_map(|x| x.score.map(|v| format!("{} {}", x.scale.label, score(v))))
                .collect();
            if !scored.is_empty() {
                let _ = write!(s, "\n  {}", scored.join(", "));
            }
            if q == Questionnaire::QlqC30
                && let Some(sum) = qol::c30_summary(&scores)
            {
                let _ = write!(s, "\n  summary score {}", score(sum));
            }
            (date, s)
        })
        .collect()
}
