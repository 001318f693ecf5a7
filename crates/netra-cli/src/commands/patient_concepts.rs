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

/// A completed questionnaire: its date and `(item, response)` pairs.
type Form = (PartialDate, Vec<(u8, u8)>);

/// One course item per completed questionnaire: its scored scales (the
/// EORTC scoring rules, [`qol`]), or the count of items for a module netra
/// does not score.
pub(super) fn qol_lines(c: &PatientCourse) -> Vec<(PartialDate, String)> {
    let mut forms: BTreeMap<(Questionnaire, String), Form> = BTreeMap::new();
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

#[cfg(test)]
mod tests {
    use netra_clinical::registry::model::*;
    use netra_clinical::registry::schema::{Entity, Value};
    use netra_clinical::registry::vocab::*;

    fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    #[test]
    fn case_report_shows_ranges_findings_stains_genes_qol_and_comorbidities() {
        let p = Patient::from_row(&row(
            Entity::Patient,
            &[
                ("patient", "G1"),
                ("site", "s"),
                ("sex", "female"),
                ("diagnosis_date", "2010"),
                ("diagnosis_date_not_before", "2010-10-15"),
                ("diagnosis_date_not_after", "2010-12"),
                ("vital_status", "alive"),
            ],
        ))
        .unwrap();
        let mut c = PatientCourse::new(p);
        c.marker_findings.push(
            MarkerFinding::from_row(&row(
                Entity::Biomarker,
                &[
                    ("patient", "G1"),
                    ("marker", "cea"),
                    ("date", "2011-01"),
                    ("result", "normal"),
                    ("unit", "ug/L"),
                    ("upper_limit", "5"),
                ],
            ))
            .unwrap(),
        );
        c.immunostains.push(
            Immunostain::from_row(&row(
                Entity::Immunohistochemistry,
                &[
                    ("patient", "G1"),
                    ("tumour", "1"),
                    ("date", "2010-11"),
                    ("stain", "sstr2"),
                    ("result", "positive"),
                    ("score", "3"),
                    ("score_system", "volante"),
                ],
            ))
            .unwrap(),
        );
        c.genetic_tests.push(
            GeneticTest::from_row(&row(
                Entity::GeneticTest,
                &[
                    ("patient", "G1"),
                    ("origin", "germline"),
                    ("gene", "men1"),
                    ("result", "pathogenic"),
                    ("variant", "c.1546dupC"),
                ],
            ))
            .unwrap(),
        );
        c.comorbidities.push(RecordedComorbidity {
            condition: Comorbidity::RenalDisease,
            condition_detail: None,
            date: None,
            notes: None,
        });
        for (item, response) in [(29, 5), (30, 6)] {
            c.qol_responses.push(QolResponse {
                questionnaire: Questionnaire::QlqC30,
                date: "2011-02-01".parse().unwrap(),
                item,
                response,
            });
        }
        let text = super::super::patient::case_report(&c, None);
        assert!(
            text.contains(
                "First diagnosis of the neuroendocrine tumour (date between 2010-10-15 and 2010-12)"
            ),
            "{text}"
        );
        assert!(
            text.contains("Marker: CEA normal (within the reference range) (upper limit 5 ug/L)"),
            "{text}"
        );
        assert!(
            text.contains("somatostatin receptor 2 (SSTR2A) positive (Volante score (0–3) 3)"),
            "{text}"
        );
        assert!(
            text.contains("germline MEN1: pathogenic variant c.1546dupC"),
            "{text}"
        );
        assert!(
            text.contains("Comorbidities: moderate or severe renal disease (Charlson index 2)"),
            "{text}"
        );
        // Global health (5 + 6)/2 = 5.5 → 4.5/6·100 = 75.0.
        assert!(text.contains("EORTC QLQ-C30: 2 items answered\n"), "{text}");
        assert!(text.contains("global health status / QoL 75.0"), "{text}");
    }
}
