//! The flat one-row-per-patient survival CSV (`patient, time, event, …`),
//! turned into a bundle of patients on a synthetic calendar (see
//! `docs/bundle-format.md`, "The flat survival CSV").

use std::path::Path;

use netra_clinical::registry::Day;
use netra_clinical::registry::schema::Entity;
use netra_frame::{Frame, FrameError};

use crate::bundle::Bundle;
use crate::error::{Problem, Problems, StoreError};

/// Unit of the time column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimeUnit {
    /// Days.
    Days,
    /// Months of 30.4375 days (365.25 / 12).
    #[default]
    Months,
    /// Years of 365.25 days.
    Years,
}

impl TimeUnit {
    /// Days per unit.
    pub fn days(self) -> f64 {
        match self {
            TimeUnit::Days => 1.0,
            TimeUnit::Months => 30.4375,
            TimeUnit::Years => 365.25,
        }
    }
}

/// How to read a flat survival CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct FlatOptions {
    /// Patient code column.
    pub patient_col: String,
    /// Follow-up time column.
    pub time_col: String,
    /// Event column (1/0, TRUE/FALSE).
    pub event_col: String,
    /// Group column stored as the patient's arm.
    pub group_col: Option<String>,
    /// Unit of the times.
    pub time_unit: TimeUnit,
    /// Synthetic study-entry date.
    pub anchor: Day,
    /// Study code.
    pub study: String,
    /// Site code.
    pub site: String,
    /// Whether to add the study and site rows (false when the site exists).
    pub create_site: bool,
}

impl Default for FlatOptions {
    fn default() -> Self {
        FlatOptions {
            patient_col: "patient".into(),
            time_col: "time".into(),
            event_col: "event".into(),
            group_col: None,
            time_unit: TimeUnit::Months,
            anchor: Day::from_ymd(2000, 1, 1).expect("valid"),
            study: "flat".into(),
            site: "flat".into(),
            create_site: true,
        }
    }
}

/// One line of the bundle CSV a flat file becomes, written by the `csv`
/// crate so that the bundle parser reads every value back unchanged.
fn csv_line(fields: &[&str]) -> String {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail; an empty line would be refused later.
    let _ = w.write_record(fields);
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// Reads a flat survival CSV into a bundle (study, site, patients).
pub fn read_flat(path: &Path, opts: &FlatOptions) -> Result<Bundle, StoreError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let bytes = std::fs::read(path).map_err(|e| StoreError::io(path.display(), e))?;
    flat_from_bytes(&name, &bytes, opts)
}

/// Reads flat survival CSV text (`name` is used in messages).
pub fn flat_from_bytes(name: &str, bytes: &[u8], opts: &FlatOptions) -> Result<Bundle, StoreError> {
    let frame = Frame::from_reader(name, bytes, None).map_err(|e| match e {
        FrameError::Malformed { line, reason, .. } => StoreError::Invalid(one(Problem {
            line: Some(line),
            ..Problem::file(name, reason)
        })),
        FrameError::Cell(c) => StoreError::Invalid(one(c.into())),
        other => StoreError::Invalid(one(Problem::file(name, other.to_string()))),
    })?;
    let mut problems = Problems::default();
    let need = |c: &str, problems: &mut Problems| {
        let col = frame.column(c).ok();
        if col.is_none() {
            problems.push(Problem {
                line: Some(1),
                ..Problem::file(name, format!("missing column '{c}'"))
            });
        }
        col
    };
    let patient = need(&opts.patient_col, &mut problems);
    let time = need(&opts.time_col, &mut problems);
    let event = need(&opts.event_col, &mut problems);
    let group = match &opts.group_col {
        Some(g) => need(g, &mut problems),
        None => None,
    };
    let (Some(patient), Some(time), Some(event)) = (patient, time, event) else {
        return Err(StoreError::Invalid(problems));
    };
    let sex = frame.column("sex").ok();
    let age = frame.column("age").ok();
    let mut csv = String::from(
        "patient,site,sex,age_at_entry,entry_date,arm,last_followup_date,vital_status,death_date\n",
    );
    let mut lines = Vec::with_capacity(frame.n_rows());
    let mut row_problems: Vec<Problem> = Vec::new();
    let one_two = event_is_one_two(event);
    for r in 0..frame.n_rows() {
        let code = patient.text(r).unwrap_or_default();
        let t = match time.number(r) {
            Ok(Some(t)) if t >= 0.0 => Some(t),
            Ok(Some(_)) => {
                row_problems.push(time.error(r, "a time cannot be negative").into());
                None
            }
            Ok(None) => {
                row_problems.push(time.error(r, "a follow-up time is required").into());
                None
            }
            Err(e) => {
                row_problems.push(e.into());
                None
            }
        };
        let dead = match event_code(event.text(r).unwrap_or_default(), one_two) {
            Some(dead) => Some(dead),
            None => {
                row_problems.push(
                    event
                        .error(
                            r,
                            "an event must be 0/1, 1/2 (2 = event, when no 0 occurs) or TRUE/FALSE",
                        )
                        .into(),
                );
                None
            }
        };
        let sex_code = match sex.and_then(|c| c.text(r)) {
            None => "unknown",
            Some("M" | "m" | "male" | "Male") => "male",
            Some("F" | "f" | "female" | "Female") => "female",
            Some(_) => {
                let c = sex.expect("present");
                row_problems.push(c.error(r, "sex must be M, F, male or female").into());
                "unknown"
            }
        };
        let (Some(t), Some(dead)) = (t, dead) else {
            continue;
        };
        let last = opts
            .anchor
            .plus_days((t * opts.time_unit.days()).round() as i32);
        let arm = group.and_then(|g| g.text(r)).unwrap_or_default();
        let age_text = age.and_then(|a| a.text(r)).unwrap_or_default();
        let (anchor, last) = (opts.anchor.to_string(), last.to_string());
        let death = if dead { last.as_str() } else { "" };
        let status = if dead { "dead" } else { "alive" };
        csv.push_str(&csv_line(&[
            code, &opts.site, sex_code, age_text, &anchor, arm, &last, status, death,
        ]));
        lines.push(frame.line(r));
    }
    for p in collapse_repeats(row_problems) {
        problems.push(p);
    }
    if !problems.is_empty() {
        return Err(StoreError::Invalid(problems));
    }
    let mut b = Bundle::new();
    if opts.create_site {
        b.add_synthesised(
            Entity::Study,
            &format!("{name} (study)"),
            &format!(
                "study,title\n{}",
                csv_line(&[&opts.study, "Imported from a flat survival file"])
            ),
            vec![1],
        )?;
        b.add_synthesised(
            Entity::Site,
            &format!("{name} (site)"),
            &format!(
                "site,study,name\n{}",
                csv_line(&[
                    &opts.site,
                    &opts.study,
                    "Imported from a flat survival file"
                ])
            ),
            vec![1],
        )?;
    }
    if !lines.is_empty() {
        b.add_synthesised(Entity::Patient, name, &csv, lines)?;
    }
    Ok(b)
}

/// True when the event column is coded 1/2 as R's `Surv()` reads it: every
/// present value (all rows) is 1 or 2 and some is 2; then 2 is the event.
fn event_is_one_two(event: netra_frame::Column<'_>) -> bool {
    let mut any_two = false;
    for r in 0..event.len() {
        let Some(cell) = event.text(r) else { continue };
        let v = cell.parse::<f64>().unwrap_or(f64::NAN);
        if v == 2.0 {
            any_two = true;
        } else if v != 1.0 {
            return false;
        }
    }
    any_two
}

/// A cell of the event column as R's `Surv()` reads it: 0/1 ("1.0" too),
/// TRUE/FALSE, or 1/2 when the column is coded so.
fn event_code(cell: &str, one_two: bool) -> Option<bool> {
    match cell {
        "TRUE" | "true" | "True" | "T" => return Some(true),
        "FALSE" | "false" | "False" | "F" => return Some(false),
        _ => {}
    }
    let v = cell.parse::<f64>().ok()?;
    if one_two && (v == 1.0 || v == 2.0) {
        Some(v == 2.0)
    } else if v == 1.0 || v == 0.0 {
        Some(v == 1.0)
    } else {
        None
    }
}

/// Problems of the same column, reason and value in many rows, collapsed into
/// the first with a count: a wrongly coded column printed one identical
/// error per row.
fn collapse_repeats(row_problems: Vec<Problem>) -> Vec<Problem> {
    let mut out: Vec<(Problem, usize, Option<u64>)> = Vec::new();
    let mut index: std::collections::HashMap<(Option<String>, String, Option<String>), usize> =
        std::collections::HashMap::new();
    for p in row_problems {
        let key = (p.column.clone(), p.reason.clone(), p.value.clone());
        match index.get(&key) {
            Some(&k) => {
                out[k].1 += 1;
                out[k].2 = p.line;
            }
            None => {
                index.insert(key, out.len());
                out.push((p, 0, None));
            }
        }
    }
    out.into_iter()
        .map(|(mut p, more, last)| {
            if more > 0 {
                let last = last.map_or(String::new(), |l| format!(", the last on line {l}"));
                p.reason = format!(
                    "{} (and {more} more {} with the same value{last})",
                    p.reason,
                    if more == 1 { "row" } else { "rows" }
                );
            }
            p
        })
        .collect()
}

fn one(p: Problem) -> Problems {
    let mut ps = Problems::default();
    ps.push(p);
    ps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        match flat_from_bytes("f.csv", text.as_bytes(), &FlatOptions::default()) {
            Err(StoreError::Invalid(p)) => p.list,
            Err(other) => panic!("unexpected {other}"),
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn r_event_codings_are_accepted() {
        // 1/2 (2 = event, no 0 in the column), 1.0, TRUE/FALSE: as Surv().
        assert!(problems("patient,time,event\nP1,10,2\nP2,5,1\n").is_empty());
        assert!(problems("patient,time,event\nP1,10,1.0\nP2,5,0\n").is_empty());
        assert!(problems("patient,time,event\nP1,10,TRUE\nP2,5,False\n").is_empty());
        assert!(event_is_one_two_text("2\n1\n"));
        assert!(!event_is_one_two_text("2\n0\n"));
        assert_eq!(event_code("2", true), Some(true));
        assert_eq!(event_code("1", true), Some(false));
        assert_eq!(event_code("2", false), None);
    }

    fn event_is_one_two_text(cells: &str) -> bool {
        let f = Frame::from_reader("e.csv", format!("event\n{cells}").as_bytes(), None).unwrap();
        event_is_one_two(f.column("event").unwrap())
    }

    #[test]
    fn repeated_identical_errors_are_collapsed_with_a_count() {
        let p = problems("patient,time,event\nP1,10,3\nP2,5,3\nP3,4,3\nP4,4,x\n");
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].line, Some(2));
        assert!(
            p[0].reason
                .ends_with("(and 2 more rows with the same value, the last on line 4)"),
            "{}",
            p[0].reason
        );
        assert_eq!(p[1].value.as_deref(), Some("x"));
    }
}
