//! Reading an extract's CSV files: header by name, rows with their lines,
//! the columns each table must have.

use crate::redcap::Input;
use crate::{Issue, Issues};

/// One CDM file read: header and rows with their lines.
pub(super) struct Table {
    pub(super) file: String,
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<(u64, Vec<String>)>,
}

impl Table {
    pub(super) fn pos(&self, col: &str) -> Option<usize> {
        self.header.iter().position(|h| h == col)
    }

    pub(super) fn get<'a>(&self, row: &'a [String], col: &str) -> &'a str {
        self.pos(col)
            .and_then(|i| row.get(i))
            .map_or("", |s| s.trim())
    }

    pub(super) fn issue(
        &self,
        line: u64,
        col: &str,
        value: &str,
        reason: impl Into<String>,
    ) -> Issue {
        Issue {
            line: Some(line),
            column_number: self.pos(col).map(|i| i + 1),
            column: Some(col.to_string()),
            value: (!value.is_empty()).then(|| value.to_string()),
            ..Issue::file(&self.file, reason)
        }
    }
}

pub(super) fn read(input: &Input<'_>, issues: &mut Issues) -> Option<Table> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(input.bytes);
    let header = match crate::issue::read_header(input.name, &mut r) {
        Ok(h) => h,
        Err(is) => {
            issues.list.extend(is.list);
            return None;
        }
    };
    let mut rows = Vec::new();
    for rec in r.records() {
        match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, |p| p.line());
                rows.push((line, rec.iter().map(str::to_string).collect()));
            }
            Err(e) => {
                issues.push(Issue {
                    line: e.position().map(|p| p.line()),
                    ..Issue::file(input.name, format!("malformed CSV: {e}"))
                });
                return None;
            }
        }
    }
    Some(Table {
        file: input.name.to_string(),
        header,
        rows,
    })
}

/// The columns a file must have for netra to read it.
pub(super) fn required_columns(table: &str) -> &'static [&'static str] {
    match table {
        "person" => &["person_id", "gender_concept_id", "year_of_birth"],
        "concept" => &["concept_id", "vocabulary_id", "concept_code"],
        "observation_period" => &[
            "person_id",
            "observation_period_start_date",
            "observation_period_end_date",
        ],
        "death" => &["person_id", "death_date"],
        "condition_occurrence" => &[
            "condition_occurrence_id",
            "person_id",
            "condition_concept_id",
            "condition_start_date",
        ],
        "drug_exposure" => &[
            "drug_exposure_id",
            "person_id",
            "drug_concept_id",
            "drug_exposure_start_date",
            "drug_exposure_end_date",
        ],
        "procedure_occurrence" => &[
            "procedure_occurrence_id",
            "person_id",
            "procedure_concept_id",
            "procedure_date",
        ],
        "measurement" => &[
            "measurement_id",
            "person_id",
            "measurement_concept_id",
            "measurement_date",
        ],
        "observation" => &[
            "observation_id",
            "person_id",
            "observation_concept_id",
            "observation_date",
        ],
        "episode" => &["episode_id", "person_id", "episode_concept_id"],
        "episode_event" => &["episode_id", "event_id", "episode_event_field_concept_id"],
        _ => &[],
    }
}
