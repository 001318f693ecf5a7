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

fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
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
    for r in 0..frame.n_rows() {
        let code = patient.text(r).unwrap_or_default();
        let t = match time.number(r) {
            Ok(Some(t)) if t >= 0.0 => Some(t),
            Ok(Some(_)) => {
                problems.push(time.error(r, "a time cannot be negative").into());
                None
            }
            Ok(None) => {
                problems.push(time.error(r, "a follow-up time is required").into());
                None
            }
            Err(e) => {
                problems.push(e.into());
                None
            }
        };
        let dead = match event.text(r).unwrap_or_default() {
            "1" | "TRUE" | "true" | "T" => Some(true),
            "0" | "FALSE" | "false" | "F" => Some(false),
            _ => {
                problems.push(
                    event
                        .error(r, "an event must be 1 or 0 (or TRUE/FALSE)")
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
                problems.push(c.error(r, "sex must be M, F, male or female").into());
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
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{}\n",
            csv_cell(code),
            csv_cell(&opts.site),
            sex_code,
            csv_cell(age_text),
            opts.anchor,
            csv_cell(arm),
            last,
            if dead { "dead" } else { "alive" },
            if dead { last.to_string() } else { String::new() },
        ));
        lines.push(frame.line(r));
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
                "study,title\n{},Imported from a flat survival file\n",
                csv_cell(&opts.study)
            ),
            vec![1],
        )?;
        b.add_synthesised(
            Entity::Site,
            &format!("{name} (site)"),
            &format!(
                "site,study,name\n{},{},Imported from a flat survival file\n",
                csv_cell(&opts.site),
                csv_cell(&opts.study)
            ),
            vec![1],
        )?;
    }
    if !lines.is_empty() {
        b.add_synthesised(Entity::Patient, name, &csv, lines)?;
    }
    Ok(b)
}

fn one(p: Problem) -> Problems {
    let mut ps = Problems::default();
    ps.push(p);
    ps
}
