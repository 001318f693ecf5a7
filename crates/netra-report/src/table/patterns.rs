//! The treatment-pattern table and the adverse-event table of a paper,
//! laid out from the analysis layer's outputs (`patterns`,
//! `adverse_events`): this module only arranges and formats.

use netra_analysis::analyses::adverse_events::AdverseEventsOutput;
use netra_analysis::analyses::patterns::{CountOut, PatternsOutput, SummaryOut};

use super::{Cell, Row, Table};
use crate::format::{fixed, n_percent};

/// "median (min–max)" with `decimals`, or "—" without values.
pub fn median_range(s: &SummaryOut, decimals: usize) -> String {
    match (s.median, s.min, s.max) {
        (Some(m), Some(lo), Some(hi)) => format!(
            "{} ({}\u{2013}{})",
            fixed(Some(m), decimals),
            fixed(Some(lo), decimals),
            fixed(Some(hi), decimals)
        ),
        _ => crate::format::MISSING.to_string(),
    }
}

fn heading(t: &mut Table, text: &str) {
    t.push(Row::new([text, ""]).emphasised());
}

fn counts(t: &mut Table, rows: &[CountOut], of: u64) {
    for r in rows {
        t.push(Row::new([r.label.clone(), n_percent(r.n, of, 1)]).indented(1));
    }
}

/// The treatment-pattern table: one column of "n (%)" or "median
/// (range)" per characteristic.
pub fn patterns_table(title: &str, p: &PatternsOutput) -> Table {
    let mut t = Table::new(title, &["Characteristic", "Value"]);
    let placed = p.n_metastatic - p.n_undated;
    heading(
        &mut t,
        &format!("First treatment after metastatic diagnosis (n = {placed})"),
    );
    counts(&mut t, &p.first_treatment, placed);
    heading(
        &mut t,
        &format!("Treatment modality after metastatic diagnosis (n = {placed})"),
    );
    counts(&mut t, &p.modality, placed);
    heading(
        &mut t,
        &format!("Whole course of disease (n = {})", p.n_patients),
    );
    counts(&mut t, &p.whole_course, p.n_patients);
    t.push(Row::new([
        format!(
            "Months from metastatic diagnosis to first systemic treatment, median (range); n = {}",
            p.months_to_first_systemic.n
        ),
        median_range(&p.months_to_first_systemic, 1),
    ]));
    t.push(Row::new([
        format!(
            "Lines of systemic therapy per treated patient, median (range); n = {}",
            p.lines_per_patient.n
        ),
        median_range(&p.lines_per_patient, 1),
    ]));
    heading(&mut t, "Patients reaching line");
    for r in &p.reach {
        t.push(Row::new([format!("Line {}", r.line), n_percent(r.n, p.n_patients, 1)]).indented(1));
    }
    let first_line: u64 = p.reach.first().map_or(0, |r| r.n);
    heading(&mut t, &format!("First-line class (n = {first_line})"));
    counts(&mut t, &p.first_line_class, first_line);
    heading(&mut t, &format!("First-line regimen (n = {first_line})"));
    counts(&mut t, &p.first_line_regimen, first_line);
    for s in &p.local_sessions {
        heading(
            &mut t,
            &format!(
                "{} (n = {} patients, {} sessions)",
                capital(&s.label),
                s.n,
                s.sessions
            ),
        );
        t.push(
            Row::new([
                "Sessions per patient, median (range)".to_string(),
                median_range(&s.per_patient, 1),
            ])
            .indented(1),
        );
        t.push(
            Row::new([
                format!(
                    "Months between sessions, median (range); {} intervals",
                    s.interval_months.n
                ),
                median_range(&s.interval_months, 1),
            ])
            .indented(1),
        );
    }
    t.push(Row::new([
        "Metastasectomy, patients (procedures)".to_string(),
        format!(
            "{} ({})",
            n_percent(p.metastasectomy_patients, p.n_patients, 1),
            p.metastasectomies
        ),
    ]));
    t.footnotes.push(
        "Modality and first treatment count treatments started on or after the metastatic \
         diagnosis (curative surgery before metastases does not count); months of 30.4375 days."
            .into(),
    );
    if p.n_undated > 0 {
        t.footnotes.push(format!(
            "{} patient(s) with an undated systemic or local treatment are left out of the \
             first treatment and modality.",
            p.n_undated
        ));
    }
    t
}

fn capital(s: &str) -> String {
    netra_analysis::variables::capitalise(s)
}

/// The adverse-event table: per treatment and term, each group's patients
/// by worst grade (any, 1–2, 3–4, 5), "n (%)" of the group.
pub fn adverse_events_table(title: &str, a: &AdverseEventsOutput) -> Table {
    let mut header0 = vec![Cell::from("")];
    let mut header1 = vec![Cell::from("Adverse event")];
    for g in &a.groups {
        header0.push(Cell::span(format!("{} (n = {})", g.label, g.n), 4));
        for h in [
            "Any grade",
            "Grade 1\u{2013}2",
            "Grade 3\u{2013}4",
            "Grade 5",
        ] {
            header1.push(Cell::from(h));
        }
    }
    let mut t = Table {
        title: title.to_string(),
        header: vec![header0, header1],
        body: Vec::new(),
        footnotes: Vec::new(),
        align: Vec::new(),
    };
    let width = 1 + 4 * a.groups.len();
    let mut current: Option<&str> = None;
    for r in &a.rows {
        if current != Some(r.treatment_label.as_str()) {
            t.push(Row {
                cells: vec![Cell::span(r.treatment_label.clone(), width)],
                indent: 0,
                emphasis: true,
            });
            current = Some(r.treatment_label.as_str());
        }
        let mut cells = vec![Cell::from(r.term.as_str())];
        for (c, g) in r.cells.iter().zip(&a.groups) {
            for n in [c.n, c.grade_1_2, c.grade_3_4, c.grade_5] {
                cells.push(Cell::from(n_percent(n, g.n, 1).as_str()));
            }
        }
        t.push(Row {
            cells,
            indent: 1,
            emphasis: false,
        });
    }
    t.footnotes.push(
        "Patients counted once per row, at the worst CTCAE grade recorded for that term and \
         treatment; percentages of the group's patients."
            .into(),
    );
    if a.invalid_grades > 0 {
        t.footnotes.push(format!(
            "{} event(s) with a grade outside 1\u{2013}5 left out.",
            a.invalid_grades
        ));
    }
    t
}
