//! The patient's course on one time axis, laid out as cBioPortal's patient
//! timeline: a lane per treatment class (bars for systemic treatments,
//! marks for surgery and local treatments — nine TACE sessions are nine
//! marks on one lane and one count, not nine stacked labels), a lane of
//! scans with their responses, the end of follow-up, and one track per
//! biomarker underneath on the same axis (the grid lines run through every
//! lane and track, so a marker rise lines up with the progression above
//! it). A period can be zoomed to (`from` / `to` months): what lies outside
//! is clipped, not squeezed.
//!
//! Times are [`crate::timeline`]'s: months from the first diagnosis under
//! the view's precision (whole months for analysts, who also get no free
//! text). Drawn as plain SVG, each mark with a `<title>` tooltip.

use std::fmt::Write as _;

use netra_clinical::evaluation::category_of;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{TreatmentType, VitalStatus, Vocabulary};
use netra_clinical::response::Category;
use netra_report::palette::{self, ResponseClass};
use netra_report::svg::escape;

use crate::recist::scan_responses;
use crate::timeline::{View, biomarker_series, class_name, origin};

const WIDTH: f64 = 960.0;
const LEFT: f64 = 178.0;
const RIGHT: f64 = 24.0;
const ROW: f64 = 22.0;
const TRACK: f64 = 58.0;
/// Lanes in the order clinicians read a course: operations, local
/// treatments, then systemic classes.
const LANES: [&str; 8] = [
    "surgery",
    "local",
    "somatostatin analogue",
    "interferon",
    "chemotherapy",
    "targeted",
    "radionuclide",
    "other",
];

/// A treatment as a lane draws it.
struct Item {
    start: f64,
    end: f64,
    label: String,
    tooltip: String,
}

/// The lanes that have treatments, each with its items in start order.
fn lanes(
    course: &PatientCourse,
    view: View,
    o: netra_clinical::registry::Day,
) -> Vec<(&'static str, Vec<Item>)> {
    let p = &course.patient;
    let last = p
        .death_date
        .or(p.last_followup_date)
        .map(|d| view.months(o, d));
    let mut out: Vec<(&'static str, Vec<Item>)> = Vec::new();
    for t in &course.treatments {
        let lane = LANES
            .iter()
            .copied()
            .find(|l| *l == class_name(t.kind))
            .unwrap_or("other");
        let start = t.start_date.map_or(0.0, |d| view.months(o, d));
        let end = t
            .end_date
            .map(|d| view.months(o, d))
            .or(if point_like(t.kind) { None } else { last })
            .unwrap_or(start)
            .max(start);
        let agents: Vec<&str> = t.agents.iter().map(|a| a.agent.label()).collect();
        let label = if agents.is_empty() {
            t.kind.label().to_string()
        } else {
            agents.join(" + ")
        };
        let when = match (t.start_date, view) {
            (None, _) => "no start date: ongoing at entry".to_string(),
            (Some(d), View::Full) => d.to_string(),
            (Some(d), View::Coarse) => crate::pseudo::to_month(d).to_string(),
        };
        let tooltip = format!("{label} ({}), {when}", t.kind.label());
        let item = Item {
            start,
            end,
            label,
            tooltip,
        };
        match out.iter_mut().find(|(l, _)| *l == lane) {
            Some((_, items)) => items.push(item),
            None => out.push((lane, vec![item])),
        }
    }
    out.sort_by_key(|(l, _)| LANES.iter().position(|x| x == l));
    for (_, items) in &mut out {
        items.sort_by(|a, b| a.start.total_cmp(&b.start));
    }
    out
}

/// Operations and local treatments are events of a day or a few: marks.
fn point_like(kind: TreatmentType) -> bool {
    matches!(class_name(kind), "surgery" | "local")
}

/// Sub-rows of a lane so that no two bars overlap: each bar goes on the
/// first row free at its start.
fn rows(items: &[Item]) -> Vec<usize> {
    let mut ends: Vec<f64> = Vec::new();
    items
        .iter()
        .map(|it| match ends.iter().position(|e| *e <= it.start) {
            Some(r) => {
                ends[r] = it.end;
                r
            }
            None => {
                ends.push(it.end);
                ends.len() - 1
            }
        })
        .collect()
}

/// Tick spacing (months) for a span.
fn tick_step(span: f64) -> f64 {
    match span {
        s if s <= 12.0 => 1.0,
        s if s <= 30.0 => 3.0,
        s if s <= 72.0 => 6.0,
        s if s <= 150.0 => 12.0,
        s if s <= 300.0 => 24.0,
        _ => 60.0,
    }
}

fn num(x: f64) -> String {
    let s = format!("{x:.1}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The course's months: (from, to) of the whole course.
pub fn extent(course: &PatientCourse, view: View) -> Option<(f64, f64)> {
    let o = origin(course)?;
    let p = &course.patient;
    let mut t: f64 = 1.0;
    let mut see = |d: Option<netra_clinical::registry::PartialDate>| {
        if let Some(d) = d {
            t = t.max(view.months(o, d));
        }
    };
    see(p.death_date);
    see(p.last_followup_date);
    for tr in &course.treatments {
        see(tr.start_date);
        see(tr.end_date);
    }
    for a in &course.assessments {
        see(Some(a.date));
    }
    for b in &course.biomarkers {
        see(Some(b.date));
    }
    Some((0.0, t))
}

/// The figure; `None` for a course without dates. `zoom` (months) is
/// clamped to the course; a period shorter than a month is widened.
pub fn course_svg(
    course: &PatientCourse,
    label: &str,
    view: View,
    zoom: Option<(f64, f64)>,
) -> Option<String> {
    let o = origin(course)?;
    let (whole_from, whole_to) = extent(course, view)?;
    let (a, b) = match zoom {
        Some((f, t)) if f.is_finite() && t.is_finite() => {
            let f = f.clamp(whole_from, whole_to);
            let t = t.clamp(whole_from, whole_to);
            let (f, t) = if f <= t { (f, t) } else { (t, f) };
            if t - f < 1.0 { (f, f + 1.0) } else { (f, t) }
        }
        _ => (whole_from, whole_to),
    };
    let pw = WIDTH - LEFT - RIGHT;
    let x = |t: f64| LEFT + (t - a) / (b - a) * pw;
    let lanes = lanes(course, view, o);
    let series = biomarker_series(course, view);
    let scans = scan_responses(course);

    // Vertical layout: lanes (sub-rows), the scans lane, tracks, axis.
    let mut y = 8.0;
    let mut svg = String::new();
    let mut body = String::new();
    let mut labels = String::new();
    let lane_label = |out: &mut String, y: f64, h: f64, text: &str, extra: &str| {
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" class="lane-label" font-size="12">{}{}</text>"##,
            LEFT - 8.0,
            y + h / 2.0 + 4.0,
            escape(text),
            escape(extra)
        );
    };
    for (lane, items) in &lanes {
        let colour = palette::THERAPY_CLASSES
            .iter()
            .find(|(n, _)| n == lane)
            .map_or(palette::GREY, |(_, c)| *c);
        let points = matches!(*lane, "surgery" | "local");
        let sub = if points {
            vec![0; items.len()]
        } else {
            rows(items)
        };
        let n_rows = sub.iter().max().map_or(1, |m| m + 1);
        let h = ROW * n_rows as f64;
        let count = if points && items.len() > 1 {
            format!(" ({}×)", items.len())
        } else {
            String::new()
        };
        lane_label(&mut labels, y, h, &palette_name(lane), &count);
        let _ = write!(body, r##"<g class="lane" data-lane="{}">"##, escape(lane));
        for (it, r) in items.iter().zip(&sub) {
            let top = y + *r as f64 * ROW + 4.0;
            let (x0, x1) = (x(it.start), x(it.end));
            if points {
                // A mark per session; a thin bar when it lasted.
                if x1 - x0 > 3.0 {
                    let _ = write!(
                        body,
                        r##"<rect x="{x0:.1}" y="{:.1}" width="{:.1}" height="4" fill="{colour}" opacity="0.5"/>"##,
                        top + 5.0,
                        x1 - x0
                    );
                }
                let cy = top + 7.0;
                let _ = write!(
                    body,
                    r##"<path class="mark" d="M {x0:.1} {:.1} l 6 7 l -6 7 l -6 -7 z" fill="{colour}" stroke="#fff" stroke-width="1"><title>{}</title></path>"##,
                    cy - 7.0,
                    escape(&it.tooltip)
                );
            } else {
                let w = (x1 - x0).max(2.0);
                let _ = write!(
                    body,
                    r##"<rect class="bar" x="{x0:.1}" y="{top:.1}" width="{w:.1}" height="14" rx="2" fill="{colour}"><title>{}</title></rect>"##,
                    escape(&it.tooltip)
                );
                // The label inside its bar when it fits; the tooltip has it
                // otherwise (labels never stack over other bars).
                if it.label.chars().count() as f64 * 6.6 + 8.0 < w {
                    let _ = write!(
                        body,
                        r##"<text x="{:.1}" y="{:.1}" font-size="11" fill="{}" class="bar-label">{}</text>"##,
                        x0.max(LEFT) + 4.0,
                        top + 11.0,
                        palette::text_on(colour),
                        escape(&it.label)
                    );
                }
            }
        }
        body.push_str("</g>");
        y += h;
    }

    // Scans and their responses: a letter above each, skipped where it
    // would touch the previous one.
    let scan_y = y;
    lane_label(&mut labels, y, ROW * 1.5, "Scans (response)", "");
    body.push_str(r#"<g class="lane" data-lane="scans">"#);
    let mut last_label_x = f64::NEG_INFINITY;
    let mut dates: Vec<_> = course.assessments.iter().map(|a| a.date).collect();
    dates.sort_by_key(|d| crate::timeline::day_of(*d));
    dates.dedup();
    for d in dates {
        let t = view.months(o, d);
        let cx = x(t);
        let response = scans.get(&crate::timeline::day_of(d)).copied().or_else(|| {
            course
                .assessments
                .iter()
                .filter(|a| a.date == d)
                .find_map(|a| a.investigator_response.map(category_of))
        });
        let (colour, text) = match response {
            Some(c) => (ResponseClass::from(c).colour(), category_label(c)),
            None => (palette::GREY, "scan"),
        };
        let when = match view {
            View::Full => d.to_string(),
            View::Coarse => crate::pseudo::to_month(d).to_string(),
        };
        let _ = write!(
            body,
            r##"<circle class="scan" cx="{cx:.1}" cy="{:.1}" r="5" fill="{colour}"><title>{} {when}</title></circle>"##,
            y + ROW,
            escape(text)
        );
        if response.is_some() && cx - last_label_x > 22.0 {
            let _ = write!(
                body,
                r##"<text x="{cx:.1}" y="{:.1}" text-anchor="middle" font-size="10" class="response">{}</text>"##,
                y + ROW - 8.0,
                escape(text)
            );
            last_label_x = cx;
        }
    }
    body.push_str("</g>");
    y += ROW * 1.5;

    // End of follow-up.
    let p = &course.patient;
    if let Some(d) = p.death_date.or(p.last_followup_date) {
        let t = view.months(o, d);
        let what = if p.vital_status == VitalStatus::Dead {
            "death"
        } else {
            "last follow-up"
        };
        let _ = write!(
            body,
            r##"<line class="end" x1="{0:.1}" x2="{0:.1}" y1="4" y2="{1:.1}" stroke="#1b1f24" stroke-dasharray="3 3"><title>{what}, month {2}</title></line><text x="{0:.1}" y="{3:.1}" font-size="10" text-anchor="end" class="end-label">{what}</text>"##,
            x(t),
            y,
            num(t),
            scan_y - 2.0
        );
    }

    // Biomarker tracks on the same axis.
    for s in &series {
        let top = y + 6.0;
        let h = TRACK - 12.0;
        let mut lo = s
            .points
            .iter()
            .map(|p| p.1)
            .fold(f64::INFINITY, f64::min)
            .min(0.0);
        let mut hi = s
            .points
            .iter()
            .map(|p| p.1)
            .fold(f64::NEG_INFINITY, f64::max);
        if let Some(u) = s.uln {
            hi = hi.max(u);
            lo = lo.min(u);
        }
        if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
            hi = lo + 1.0;
        }
        let ty = |v: f64| top + h - (v - lo) / (hi - lo) * h;
        lane_label(&mut labels, top, h, &format!("{} ({})", s.name, s.unit), "");
        let _ = write!(
            labels,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="9" fill="#555d66">{}</text><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="9" fill="#555d66">{}</text>"##,
            LEFT - 4.0,
            top + 8.0,
            num(hi),
            LEFT - 4.0,
            top + h,
            num(lo)
        );
        let _ = write!(
            body,
            r##"<g class="track" data-marker="{}"><line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#d0d5db"/>"##,
            escape(&s.name),
            WIDTH - RIGHT,
            top + h,
            top + h
        );
        if let Some(u) = s.uln {
            let _ = write!(
                body,
                r##"<line x1="{LEFT}" x2="{:.1}" y1="{1:.1}" y2="{1:.1}" stroke="#a4161a" stroke-dasharray="4 3"><title>upper limit of normal {2}</title></line>"##,
                WIDTH - RIGHT,
                ty(u),
                num(u)
            );
        }
        if s.points.len() > 1 {
            let pts: Vec<String> = s
                .points
                .iter()
                .map(|&(t, v)| format!("{:.1},{:.1}", x(t), ty(v)))
                .collect();
            let _ = write!(
                body,
                r##"<polyline fill="none" stroke="#0b5cad" stroke-width="1.6" points="{}"/>"##,
                pts.join(" ")
            );
        }
        for &(t, v) in &s.points {
            let _ = write!(
                body,
                r##"<circle cx="{:.1}" cy="{:.1}" r="2.6" fill="#0b5cad"><title>{} {} at month {}</title></circle>"##,
                x(t),
                ty(v),
                num(v),
                escape(&s.unit),
                num(t)
            );
        }
        body.push_str("</g>");
        y += TRACK;
    }

    // The axis and grid lines through every lane and track.
    let step = tick_step(b - a);
    let mut grid = String::new();
    let mut axis = String::new();
    let first = (a / step).ceil() as i64;
    let last = (b / step).floor() as i64;
    for k in first..=last {
        let t = k as f64 * step;
        let gx = x(t);
        let _ = write!(
            grid,
            r##"<line x1="{gx:.1}" x2="{gx:.1}" y1="4" y2="{y:.1}" stroke="#eef0f2"/>"##
        );
        let _ = write!(
            axis,
            r##"<line x1="{gx:.1}" x2="{gx:.1}" y1="{y:.1}" y2="{:.1}" stroke="#1b1f24"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle" font-size="11" class="tick">{}</text>"##,
            y + 5.0,
            y + 18.0,
            num(t)
        );
    }
    let height = y + 44.0;
    let axis_title = if course.patient.diagnosis_date.is_some() {
        "Months since first diagnosis"
    } else {
        "Months since the first dated record"
    };
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="course" viewBox="0 0 {WIDTH} {height:.0}" width="{WIDTH}" height="{height:.0}" font-family="system-ui, sans-serif" role="img" aria-label="Course of patient {}: treatments by class, scans with responses, biomarkers, months {} to {}" data-from="{}" data-to="{}"><defs><clipPath id="course-plot"><rect x="{LEFT}" y="0" width="{pw:.1}" height="{height:.0}"/></clipPath></defs>"##,
        escape(label),
        num(a),
        num(b),
        num(a),
        num(b)
    );
    svg.push_str(&grid);
    let _ = write!(svg, r#"<g clip-path="url(#course-plot)">{body}</g>"#);
    svg.push_str(&labels);
    let _ = write!(
        svg,
        r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#1b1f24"/>{axis}<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{axis_title}</text></svg>"##,
        WIDTH - RIGHT,
        LEFT + pw / 2.0,
        y + 36.0
    );
    Some(svg)
}

/// The zoom of a page's `from` / `to` parameters (months; either may be
/// left out: the course's start or end).
pub fn zoom_of(
    q: &std::collections::HashMap<String, String>,
) -> Result<Option<(f64, f64)>, crate::error::AppError> {
    let get = |k: &str| -> Result<Option<f64>, crate::error::AppError> {
        match q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(t) => t
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    crate::error::AppError::BadRequest(format!(
                        "{k}: '{t}' is not a number of months"
                    ))
                }),
        }
    };
    Ok(match (get("from")?, get("to")?) {
        (None, None) => None,
        (f, t) => Some((f.unwrap_or(0.0), t.unwrap_or(f64::MAX))),
    })
}

/// The zoom form under the figure and the download link of what is shown.
pub fn zoom_form(shown: &str, zoom: Option<(f64, f64)>) -> maud::Markup {
    let v = |x: Option<f64>| x.filter(|x| *x < 1e9).map(num).unwrap_or_default();
    let (f, t) = (zoom.map(|z| z.0), zoom.map(|z| z.1));
    let id = crate::pages::url_encode(shown);
    let download = match zoom {
        Some(_) => format!("/patients/{id}/timeline.svg?from={}&to={}", v(f), v(t)),
        None => format!("/patients/{id}/timeline.svg"),
    };
    maud::html! {
        form class="zoom" method="get" action={"/patients/" (id) "#timeline"} aria-label="Zoom the course to a period" {
            label for="zoom_from" { "From month" }
            input type="text" inputmode="decimal" id="zoom_from" name="from" value=(v(f)) size="5";
            label for="zoom_to" { "to month" }
            input type="text" inputmode="decimal" id="zoom_to" name="to" value=(v(t)) size="5";
            button type="submit" class="secondary" { "Zoom" }
            @if zoom.is_some() { a href={"/patients/" (id) "#timeline"} { "Whole course" } }
            a href=(download) download { "Download the figure (SVG)" }
        }
    }
}

/// A lane's name as a heading ("Somatostatin analogue").
fn palette_name(lane: &str) -> String {
    crate::labels::capitalise(lane)
}

fn category_label(c: Category) -> &'static str {
    c.label()
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::Entity;
    use netra_clinical::registry::Value;
    use netra_clinical::registry::model::{Patient, Treatment};

    fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    /// Nine TACE sessions, octreotide throughout, everolimus for a year.
    fn course() -> PatientCourse {
        let p = Patient::from_row(&row(
            Entity::Patient,
            &[
                ("patient", "7"),
                ("site", "s"),
                ("sex", "male"),
                ("diagnosis_date", "2010-01-01"),
                ("last_followup_date", "2015-01-01"),
                ("vital_status", "alive"),
            ],
        ))
        .unwrap();
        let mut c = PatientCourse::new(p);
        let mut add = |id: String, kind: &str, start: &str, end: Option<&str>| {
            let mut cells = vec![
                ("patient", "7".to_string()),
                ("treatment", id),
                ("type", kind.to_string()),
                ("start_date", start.to_string()),
            ];
            if let Some(e) = end {
                cells.push(("end_date", e.to_string()));
            }
            let cells: Vec<(&str, &str)> = cells.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.treatments
                .push(Treatment::from_row(&row(Entity::Treatment, &cells)).unwrap());
        };
        for k in 0..9 {
            add(
                format!("T{k}"),
                "tace",
                &format!("{}-{:02}-01", 2011 + k / 4, 1 + 3 * (k % 4)),
                None,
            );
        }
        add("S1".into(), "somatostatin_analogue", "2010-02-01", None);
        add("E1".into(), "targeted", "2013-01-01", Some("2014-01-01"));
        c
    }

    #[test]
    fn a_lane_per_class_and_repeated_local_treatments_on_one_lane() {
        let svg = course_svg(&course(), "7", View::Full, None).unwrap();
        // Local, somatostatin analogue and targeted lanes, in that order.
        let lanes: Vec<&str> = svg
            .split(r#"data-lane=""#)
            .skip(1)
            .map(|s| s.split('"').next().unwrap())
            .collect();
        assert_eq!(
            lanes,
            ["local", "somatostatin analogue", "targeted", "scans"]
        );
        // Nine marks on the local lane, one count, no per-session label.
        assert_eq!(svg.matches(r#"class="mark""#).count(), 9);
        assert!(svg.contains("Local (9×)"));
        assert_eq!(svg.matches(r#"class="bar""#).count(), 2);
    }

    #[test]
    fn zoom_clips_to_the_period_and_keeps_its_ticks() {
        let c = course();
        let whole = course_svg(&c, "7", View::Full, None).unwrap();
        assert!(whole.contains(r#"data-from="0""#));
        let z = course_svg(&c, "7", View::Full, Some((12.0, 24.0))).unwrap();
        assert!(z.contains(r#"data-from="12" data-to="24""#));
        // Ticks every month within the year shown.
        assert!(z.contains(r#"class="tick">12<"#) && z.contains(r#"class="tick">24<"#));
        assert!(!z.contains(r#"class="tick">36<"#));
        // Reversed or out-of-course periods are put right, not refused.
        let r = course_svg(&c, "7", View::Full, Some((500.0, -3.0))).unwrap();
        assert!(r.contains(r#"data-from="0""#));
    }

    /// True when `text` holds a date to the day (YYYY-MM-DD).
    fn has_full_date(text: &str) -> bool {
        let b = text.as_bytes();
        b.windows(10).any(|w| {
            w.iter().enumerate().all(|(i, c)| match i {
                4 | 7 => *c == b'-',
                _ => c.is_ascii_digit(),
            })
        })
    }

    /// Ported from the retired one-lane swimmer: the behaviour the live
    /// figure must keep.
    #[test]
    fn analysts_see_whole_months() {
        let c = course();
        let o = origin(&c).unwrap();
        for (_, items) in lanes(&c, View::Coarse, o) {
            for it in items {
                assert_eq!(it.start.fract(), 0.0, "{}", it.tooltip);
                assert_eq!(it.end.fract(), 0.0, "{}", it.tooltip);
                // Tooltips name the month, not the day.
                assert!(!has_full_date(&it.tooltip), "{}", it.tooltip);
            }
        }
        // 2010-01-01 → 2015-01-01 is 1826 days = 59.99 months: 60 whole.
        assert_eq!(extent(&c, View::Coarse), Some((0.0, 60.0)));
        let svg = course_svg(&c, "7", View::Coarse, None).unwrap();
        assert!(!has_full_date(&svg), "no full dates for analysts");
        assert!(has_full_date(
            &course_svg(&c, "7", View::Full, None).unwrap()
        ));
    }

    #[test]
    fn bars_without_an_end_run_to_the_last_follow_up() {
        let c = course();
        let o = origin(&c).unwrap();
        let last = 1826.0 / netra_clinical::endpoints::DAYS_PER_MONTH;
        assert!((extent(&c, View::Full).unwrap().1 - last).abs() < 1e-12);
        let lanes = lanes(&c, View::Full, o);
        let ssa = &lanes
            .iter()
            .find(|(l, _)| *l == "somatostatin analogue")
            .unwrap()
            .1[0];
        assert!((ssa.end - last).abs() < 1e-12, "{}", ssa.end);
        // A local treatment is a mark of its day, not a bar to the end.
        let tace = &lanes.iter().find(|(l, _)| *l == "local").unwrap().1[0];
        assert_eq!(tace.start, tace.end);
    }

    #[test]
    fn undated_treatments_are_drawn_from_the_start_and_say_so() {
        let mut c = course();
        let s1 = c.treatments.iter_mut().find(|t| t.id == "S1").unwrap();
        s1.start_date = None;
        let o = origin(&c).unwrap();
        let lanes = lanes(&c, View::Full, o);
        let ssa = &lanes
            .iter()
            .find(|(l, _)| *l == "somatostatin analogue")
            .unwrap()
            .1[0];
        assert_eq!(ssa.start, 0.0);
        assert!(ssa.tooltip.contains("ongoing at entry"), "{}", ssa.tooltip);
        let svg = course_svg(&c, "7", View::Full, None).unwrap();
        assert!(svg.contains("ongoing at entry"));
    }

    #[test]
    fn overlapping_bars_take_separate_rows() {
        let it = |s: f64, e: f64| Item {
            start: s,
            end: e,
            label: String::new(),
            tooltip: String::new(),
        };
        assert_eq!(
            rows(&[it(0.0, 10.0), it(5.0, 8.0), it(9.0, 12.0), it(11.0, 20.0)]),
            [0, 1, 1, 0]
        );
    }
}
