//! Reading the lesion CSV (`docs/lesion-csv.md`) into the response engine's
//! input types, with errors that name file, line and column.
//!
//! This is the CSV side of the seam: the registry maps its imaging
//! assessments onto the same [`PatientLesions`] and calls the same
//! `netra_clinical::response::assess`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context;
use netra_clinical::registry::ident::identifier_problem;
use netra_clinical::response::{
    Assessment, Date, LesionKind, LesionStatus, Measurement, PatientLesions, ResponseError,
};
use netra_frame::{CellError, Column, Frame};

/// Required columns.
pub const REQUIRED: [&str; 5] = ["patient", "date", "lesion", "organ", "type"];

/// The patients of a lesion file, in order of first appearance, and a way
/// back from a source line to the cell for engine errors.
pub struct LesionFile {
    /// Patients with their scans (baseline first).
    pub patients: Vec<PatientLesions>,
    frame: Frame,
    row_of_line: HashMap<u64, usize>,
}

fn parse_kind(col: Column<'_>, row: usize) -> Result<Option<LesionKind>, CellError> {
    let Some(text) = col.text(row) else {
        return Ok(None);
    };
    let t = text.to_ascii_lowercase().replace(['_', ' '], "-");
    match t.as_str() {
        "target" | "t" => Ok(Some(LesionKind::Target)),
        "non-target" | "nontarget" | "nt" => Ok(Some(LesionKind::NonTarget)),
        "new" => Ok(Some(LesionKind::New)),
        "lesion" | "measurable" | "select" => Ok(None),
        _ => Err(col.error(
            row,
            "unknown lesion type (use target, non-target, new, or leave empty at baseline for automatic selection)",
        )),
    }
}

fn parse_status(col: Column<'_>, row: usize) -> Result<Option<LesionStatus>, CellError> {
    let Some(text) = col.text(row) else {
        return Ok(None);
    };
    let t = text.to_ascii_lowercase().replace(['_', '-', ' '], "");
    Ok(Some(match t.as_str() {
        "present" | "noncr/nonpd" | "noncrnonpd" | "stable" | "unequivocal" => {
            LesionStatus::Present
        }
        "absent" | "cr" | "gone" | "disappeared" | "normal" => LesionStatus::Absent,
        "pd" | "progression" | "unequivocalprogression" | "progressed" => LesionStatus::Progression,
        "ne" | "notevaluated" | "notassessed" => LesionStatus::NotEvaluated,
        "equivocal" => LesionStatus::Equivocal,
        _ => {
            return Err(col.error(
                row,
                "unknown status (use present, absent, progression, not-evaluated or equivocal)",
            ));
        }
    }))
}

fn parse_bool(col: Column<'_>, row: usize) -> Result<bool, CellError> {
    let Some(text) = col.text(row) else {
        return Ok(false);
    };
    match text.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        _ => Err(col.error(row, "not a yes/no value (use true/false, yes/no or 1/0)")),
    }
}

fn parse_date(col: Column<'_>, row: usize) -> Result<Option<Date>, CellError> {
    match col.text(row) {
        None => Ok(None),
        Some(t) => Date::parse(t)
            .map(Some)
            .ok_or_else(|| col.error(row, "date not parseable (use YYYY-MM-DD)")),
    }
}

fn size(col: Option<Column<'_>>, row: usize) -> Result<Option<f64>, CellError> {
    let Some(col) = col else { return Ok(None) };
    match col.number(row)? {
        Some(v) if v < 0.0 => Err(col.error(row, "a size cannot be negative")),
        other => Ok(other),
    }
}

impl LesionFile {
    /// Reads and groups a lesion CSV.
    pub fn read(path: &Path) -> anyhow::Result<LesionFile> {
        let frame = Frame::read(path, None)?;
        let names: Vec<String> = frame.column_names().map(str::to_string).collect();
        for c in REQUIRED {
            if !names.iter().any(|n| n == c) {
                anyhow::bail!(
                    "{}: no column named '{c}' (a lesion file needs {}; see docs/lesion-csv.md)",
                    frame.source_name(),
                    REQUIRED.join(", ")
                );
            }
        }
        let opt = |name: &str| frame.column(name).ok();
        let patient = frame.column("patient")?;
        let date = frame.column("date")?;
        let lesion = frame.column("lesion")?;
        let organ = frame.column("organ")?;
        let kind = frame.column("type")?;
        let (longest, perp, short, node, hu, viable, status, base_date, modality) = (
            opt("longest_mm"),
            opt("perpendicular_mm"),
            opt("short_axis_mm"),
            opt("is_node"),
            opt("attenuation_hu"),
            opt("viable_mm"),
            opt("nontarget_status"),
            opt("baseline_date"),
            opt("modality"),
        );
        let mut order: Vec<String> = Vec::new();
        let mut scans: HashMap<String, BTreeMap<Date, Vec<Measurement>>> = HashMap::new();
        let mut baselines: HashMap<String, (Date, usize)> = HashMap::new();
        let mut row_of_line = HashMap::new();
        for row in 0..frame.n_rows() {
            row_of_line.insert(frame.line(row), row);
            let pid = patient
                .text(row)
                .ok_or_else(|| patient.error(row, "the patient is missing"))?
                .to_string();
            if let Some(problem) = identifier_problem(&pid) {
                return Err(patient.error(row, problem).into());
            }
            let when =
                parse_date(date, row)?.ok_or_else(|| date.error(row, "the date is missing"))?;
            let id = lesion
                .text(row)
                .ok_or_else(|| lesion.error(row, "the lesion identifier is missing"))?;
            if let Some(problem) = identifier_problem(id) {
                return Err(lesion.error(row, problem).into());
            }
            if let Some(bcol) = base_date
                && let Some(b) = parse_date(bcol, row)?
            {
                match baselines.get(&pid) {
                    Some((prev, _)) if *prev != b => {
                        return Err(bcol
                            .error(row, format!("a different baseline date ({prev}) was given for this patient earlier"))
                            .into());
                    }
                    _ => {
                        baselines.insert(pid.clone(), (b, row));
                    }
                }
            }
            let m = Measurement {
                lesion: id.to_string(),
                organ: organ.text(row).unwrap_or_default().to_string(),
                kind: parse_kind(kind, row)?,
                longest_mm: size(longest, row)?,
                perpendicular_mm: size(perp, row)?,
                short_axis_mm: size(short, row)?,
                is_node: match node {
                    Some(c) => parse_bool(c, row)?,
                    None => false,
                },
                attenuation_hu: match hu {
                    Some(c) => c.number(row)?,
                    None => None,
                },
                viable_mm: size(viable, row)?,
                status: match status {
                    Some(c) => parse_status(c, row)?,
                    None => None,
                },
                source_line: Some(frame.line(row)),
                modality: modality
                    .and_then(|c| c.text(row))
                    .map(|t| t.trim().to_ascii_lowercase()),
            };
            if !scans.contains_key(&pid) {
                order.push(pid.clone());
            }
            scans
                .entry(pid)
                .or_default()
                .entry(when)
                .or_default()
                .push(m);
        }
        let mut patients = Vec::with_capacity(order.len());
        for pid in order {
            let mut by_date = scans.remove(&pid).unwrap_or_default();
            if let Some(&(b, row)) = baselines.get(&pid) {
                if !by_date.contains_key(&b) {
                    let col = base_date.context("baseline_date column")?;
                    return Err(col
                        .error(
                            row,
                            format!("patient {pid} has no scan on its baseline date"),
                        )
                        .into());
                }
                // Scans before the baseline (screening) are not followed.
                by_date.retain(|d, _| *d >= b);
            }
            patients.push(PatientLesions {
                patient: pid,
                assessments: by_date
                    .into_iter()
                    .map(|(date, measurements)| Assessment { date, measurements })
                    .collect(),
            });
        }
        Ok(LesionFile {
            patients,
            frame,
            row_of_line,
        })
    }

    /// Turns an engine error about a row into a file/line/column message.
    pub fn explain(&self, err: ResponseError) -> anyhow::Error {
        if let ResponseError::Lesion {
            line: Some(line),
            ref patient,
            ref reason,
            ..
        } = err
            && let (Some(&row), Ok(col)) =
                (self.row_of_line.get(&line), self.frame.column("lesion"))
        {
            return col
                .error(row, format!("patient {patient}: {reason}"))
                .into();
        }
        err.into()
    }
}
