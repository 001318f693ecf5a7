//! What the patient page derives from the course rather than lists: the
//! lines of therapy with their best response and time to progression, and
//! the treatments the lines leave out (no start date: "ongoing at entry",
//! or given with curative intent) — shown, not dropped.
//!
//! The lines are `netra_clinical::endpoints::line_outcomes` under the
//! analysis layer's default settings (`crate::analysis::layout()`): the
//! same lines, best responses and TTP the web's analyses, the CLI's
//! `netra lines` and study files count, never a second derivation.
//!
//! Analysts see what their view allows: dates to the month, times in
//! whole months and no record identifiers (theirs are renumbered).

use maud::{Markup, html};
use netra_clinical::endpoints::DAYS_PER_MONTH;
use netra_clinical::lines::{Line, LineTime, PatientLines};
use netra_clinical::registry::date::Imputed;
use netra_clinical::registry::model::{PatientCourse, Treatment};
use netra_clinical::registry::vocab::{Agent, Vocabulary};

/// One line as the page shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineRow {
    /// 1, 2, …
    pub number: u32,
    /// Agents of the regimen, by label (`octreotide + everolimus`), with
    /// the backbone and add-ons named.
    pub regimen: String,
    /// Class of the line.
    pub class: &'static str,
    /// Start (a date, or its month for analysts).
    pub start: String,
    /// End, or `ongoing`.
    pub end: String,
    /// Why it ended.
    pub end_reason: String,
    /// Best overall response (`CR`, `PR`, …) with its source, or `—`.
    pub best: String,
    /// Time to progression in months (`8.2`, or `12.0+` when censored).
    pub ttp: String,
    /// What ended the TTP (progression, or the censoring).
    pub ttp_note: String,
}

/// A treatment the lines do not include, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// Type and agents.
    pub what: String,
    /// Why it is not in a line, in words.
    pub why: String,
}

/// The derived view of one course.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseLines {
    /// The lines, in order.
    pub lines: Vec<LineRow>,
    /// Undated and curative-intent treatments.
    pub left_out: Vec<LeftOut>,
    /// The sequence as `netra sequences` prints it.
    pub sequence: String,
}

/// An agent of a regimen by its label. A regimen code may carry the
/// free-text name of an `other` agent (`other:NAME`): analysts (`coarse`)
/// get `other` only, as their records show no agent detail.
fn agent_label(code: &str, coarse: bool) -> String {
    let (code, detail) = match code.split_once(':') {
        Some((c, d)) => (c, Some(d)),
        None => (code, None),
    };
    let label = Agent::from_code(code)
        .map(|a| a.label().to_string())
        .unwrap_or_else(|_| code.replace('_', " "));
    match detail {
        Some(d) if !coarse && !d.trim().is_empty() => format!("{label} ({d})"),
        _ => label,
    }
}

fn agents_of(codes: &[String], coarse: bool) -> String {
    codes
        .iter()
        .map(|c| agent_label(c, coarse))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The sequence as `PatientLines::sequence_label` orders it (lines and
/// local treatments by start, then how the pathway ends), written with
/// the regimens' labels of the view.
fn sequence(lines: &PatientLines, coarse: bool) -> String {
    let mut items: Vec<(i32, u8, String)> = lines
        .lines
        .iter()
        .map(|l| {
            (
                l.start.day.0,
                1,
                format!("L{} {}", l.number, agents_of(&l.regimen, coarse)),
            )
        })
        .chain(
            lines
                .local
                .iter()
                .map(|i| (i.start.day.0, 0, i.kind.replace('_', " "))),
        )
        .collect();
    items.sort();
    let mut parts: Vec<String> = items.into_iter().map(|(_, _, s)| s).collect();
    parts.push(lines.end.code().replace('_', " "));
    parts.join(" → ")
}

fn date(d: &Imputed, coarse: bool) -> String {
    let text = d.day.to_string();
    if coarse {
        text[..7.min(text.len())].to_string()
    } else if d.imputed {
        // The recorded date lacked its day (or month): the day shown is
        // the imputed one.
        format!("{text} (imputed)")
    } else {
        text
    }
}

fn months(days: i32, coarse: bool) -> String {
    let m = f64::from(days) / DAYS_PER_MONTH;
    if coarse {
        format!("{:.0}", m.round())
    } else {
        format!("{m:.1}")
    }
}

fn ttp(t: Option<&LineTime>, coarse: bool) -> (String, String) {
    match t {
        None => (
            "—".into(),
            "no time to progression (no date to start from)".into(),
        ),
        Some(t) if t.event => (months(t.days, coarse), "progression".into()),
        // The description names a date-free event for analysts too.
        Some(t) => (
            format!("{}+", months(t.days, coarse)),
            if coarse {
                "censored".into()
            } else {
                format!("censored: {}", t.description)
            },
        ),
    }
}

fn row(l: &Line, coarse: bool) -> LineRow {
    let mut regimen = agents_of(&l.regimen, coarse);
    if !l.backbone.is_empty() {
        regimen.push_str(&format!(" (backbone {})", agents_of(&l.backbone, coarse)));
    }
    if !l.add_ons.is_empty() {
        regimen.push_str(&format!(" (add-on {})", agents_of(&l.add_ons, coarse)));
    }
    let best = match (l.evaluation.best, l.evaluation.source) {
        (Some(b), Some(s)) => format!("{} ({})", b.label(), s.code()),
        (Some(b), None) => b.label().to_string(),
        (None, _) => "—".into(),
    };
    let (ttp, ttp_note) = ttp(l.ttp.as_ref(), coarse);
    LineRow {
        number: l.number,
        regimen,
        class: l.class.label(),
        start: date(&l.start, coarse),
        end: l
            .end
            .as_ref()
            .map_or_else(|| "ongoing".into(), |e| date(e, coarse)),
        end_reason: l.end_reason.code().replace('_', " "),
        best,
        ttp,
        ttp_note,
    }
}

fn treatment_text(t: &Treatment) -> String {
    let agents: Vec<&str> = t.agents.iter().map(|a| a.agent.label()).collect();
    if agents.is_empty() {
        t.kind.label().to_string()
    } else {
        format!("{} ({})", t.kind.label(), agents.join(" + "))
    }
}

/// The view of `lines` (derived from `course`).
pub fn view(course: &PatientCourse, lines: &PatientLines, coarse: bool) -> CourseLines {
    let find = |id: &str| course.treatments.iter().find(|t| t.id == id);
    let mut left_out = Vec::new();
    for id in &lines.undated {
        let Some(t) = find(id) else { continue };
        let why = match t.end_date {
            None => "no start date: ongoing at entry (or given before it)".to_string(),
            Some(e) => {
                let e = if coarse {
                    crate::pseudo::to_month(e)
                } else {
                    e
                };
                format!("no start date (ended {e})")
            }
        };
        left_out.push(LeftOut {
            what: treatment_text(t),
            why,
        });
    }
    for id in &lines.not_lines {
        let Some(t) = find(id) else { continue };
        let intent = t.intent.map_or("curative", |i| i.label());
        left_out.push(LeftOut {
            what: treatment_text(t),
            why: format!("{intent} intent: not a line of palliative therapy"),
        });
    }
    CourseLines {
        lines: lines.lines.iter().map(|l| row(l, coarse)).collect(),
        left_out,
        sequence: sequence(lines, coarse),
    }
}

/// The lines of a course under the analysis layer's default settings.
pub fn derive(course: &PatientCourse) -> PatientLines {
    netra_clinical::endpoints::line_outcomes(course, &crate::analysis::layout().settings.line_rules)
}

/// The patient page's section.
pub fn section(v: &CourseLines) -> Markup {
    html! {
        h2 id="lines" { "Lines of therapy" }
        p class="muted" { "Derived from the treatment records by the registry's line rules (docs/endpoints.md); best response over the line, time to progression from its start." }
        @if v.lines.is_empty() {
            p class="muted" { "No line of systemic therapy." }
        } @else {
            div class="table-wrap" {
                table class="lines" {
                    thead { tr {
                        th scope="col" class="num" data-column="line" { "Line" }
                        th scope="col" data-column="regimen" { "Regimen" }
                        th scope="col" data-column="class" { "Class" }
                        th scope="col" class="date" data-column="start" { "Start" }
                        th scope="col" class="date" data-column="end" { "End" }
                        th scope="col" data-column="end_reason" { "End reason" }
                        th scope="col" data-column="best_response" { "Best response" }
                        th scope="col" class="num" data-column="ttp_months" { "TTP (months)" }
                    } }
                    tbody {
                        @for l in &v.lines {
                            tr {
                                td class="num" { (l.number) }
                                td { (l.regimen) }
                                td { (l.class) }
                                td class="date" { (l.start) }
                                td class="date" { (l.end) }
                                td { (l.end_reason) }
                                td { (l.best) }
                                td class="num" title=(l.ttp_note) { (l.ttp) }
                            }
                        }
                    }
                }
            }
            p class="muted" { "Sequence: " (v.sequence) ". A + after a time marks a censored time." }
        }
        @if !v.left_out.is_empty() {
            h3 { "Treatments not in the lines" }
            ul class="left-out" {
                @for t in &v.left_out { li { strong { (t.what) } " — " (t.why) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::Entity;
    use netra_clinical::registry::Value;
    use netra_clinical::registry::model::{Assessment, Lesion, Patient, Treatment, TreatmentAgent};

    fn row_of(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    /// Octreotide ongoing at entry (no dates), then everolimus from
    /// 2010-04-01 with a 50 → 30 mm lesion (PR) and 60 mm (PD) later.
    fn course() -> PatientCourse {
        let p = Patient::from_row(&row_of(
            Entity::Patient,
            &[
                ("patient", "12"),
                ("site", "s"),
                ("sex", "female"),
                ("diagnosis_date", "2009-01-01"),
                ("last_followup_date", "2012-01-01"),
                ("vital_status", "alive"),
            ],
        ))
        .unwrap();
        let mut c = PatientCourse::new(p);
        for (id, kind, start, agent) in [
            ("T0", "somatostatin_analogue", "", "octreotide"),
            ("T1", "targeted", "2010-04-01", "everolimus"),
        ] {
            let mut cells = vec![("patient", "12"), ("treatment", id), ("type", kind)];
            if !start.is_empty() {
                cells.push(("start_date", start));
            }
            let mut t = Treatment::from_row(&row_of(Entity::Treatment, &cells)).unwrap();
            t.agents.push(
                TreatmentAgent::from_row(&row_of(
                    Entity::TreatmentAgent,
                    &[("patient", "12"), ("treatment", id), ("agent", agent)],
                ))
                .unwrap(),
            );
            c.treatments.push(t);
        }
        for (id, date, mm) in [
            ("A1", "2010-03-20", "50"),
            ("A2", "2010-07-01", "30"),
            ("A3", "2011-01-01", "60"),
        ] {
            let mut a = Assessment::from_row(&row_of(
                Entity::Assessment,
                &[
                    ("patient", "12"),
                    ("assessment", id),
                    ("date", date),
                    ("modality", "ct"),
                ],
            ))
            .unwrap();
            a.lesions.push(
                Lesion::from_row(&row_of(
                    Entity::Lesion,
                    &[
                        ("patient", "12"),
                        ("assessment", id),
                        ("lesion", "L1"),
                        ("organ", "liver"),
                        ("role", "target"),
                        ("longest_mm", mm),
                    ],
                ))
                .unwrap(),
            );
            c.assessments.push(a);
        }
        c
    }

    #[test]
    fn analysts_get_no_free_text_agent_names() {
        assert_eq!(agent_label("other:Dr X's drug", true), "other agent");
        assert!(agent_label("other:Dr X's drug", false).contains("Dr X's drug"));
        assert_eq!(agent_label("everolimus", true), "everolimus");
    }

    #[test]
    fn lines_carry_best_response_and_ttp_and_undated_treatments_are_listed() {
        let c = course();
        let lines = derive(&c);
        let v = view(&c, &lines, false);
        assert_eq!(v.lines.len(), 1, "{v:?}");
        let l = &v.lines[0];
        assert_eq!(l.number, 1);
        assert_eq!(l.regimen, "everolimus");
        assert_eq!(l.start, "2010-04-01");
        assert_eq!(l.best, "PR (lesions)");
        // 2010-04-01 → 2011-01-01 is 275 days = 9.0 months, an event.
        assert_eq!(l.ttp, format!("{:.1}", 275.0 / DAYS_PER_MONTH));
        assert_eq!(l.ttp_note, "progression");
        assert_eq!(v.left_out.len(), 1);
        assert!(v.left_out[0].what.contains("octreotide"), "{v:?}");
        assert!(v.left_out[0].why.contains("ongoing at entry"));
        let coarse = view(&c, &lines, true);
        assert_eq!(coarse.lines[0].start, "2010-04");
        assert_eq!(coarse.lines[0].ttp, "9");
        let html = section(&v).into_string();
        assert!(html.contains("Lines of therapy") && html.contains("Treatments not in the lines"));
    }
}
