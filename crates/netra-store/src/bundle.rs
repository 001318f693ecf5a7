//! Reading a bundle: a directory of CSV files, one per entity (see
//! `docs/bundle-format.md`), held in memory as packed text columns
//! (`netra-frame`), parsed cell by cell when checked and again when written.
//! Keeping text rather than parsed rows keeps a 10⁵-patient bundle (about
//! 5·10⁶ rows) within a few hundred megabytes.

use std::collections::HashSet;
use std::path::Path;

use netra_clinical::registry::schema::{Entity, EntitySpec, Value};
use netra_frame::{Column, Frame, FrameError};

use crate::error::{Problem, Problems, StoreError};

/// One file of a bundle.
#[derive(Debug, Clone)]
pub struct BundleTable {
    pub(crate) entity: Entity,
    pub(crate) name: String,
    frame: Option<Frame>,
    /// Physical lines of the original file when the rows were synthesised
    /// (flat survival CSV), so problems point at the user's file.
    line_map: Option<Vec<u64>>,
}

impl BundleTable {
    /// Data rows.
    pub fn n_rows(&self) -> usize {
        self.frame.as_ref().map_or(0, Frame::n_rows)
    }

    /// The entity of this file.
    pub fn entity(&self) -> Entity {
        self.entity
    }

    /// The column handles of the schema's columns, `None` for optional
    /// columns absent from the file.
    pub(crate) fn columns(&self) -> Vec<Option<Column<'_>>> {
        let spec = self.entity.spec();
        match &self.frame {
            None => vec![None; spec.columns.len()],
            Some(f) => spec.columns.iter().map(|c| f.column(c.name).ok()).collect(),
        }
    }

    /// The physical line of data row `row`.
    pub(crate) fn line(&self, row: usize) -> u64 {
        match (&self.line_map, &self.frame) {
            (Some(map), _) => map[row],
            (None, Some(f)) => f.line(row),
            (None, None) => 0,
        }
    }

    fn fix(&self, mut p: Problem, row: usize) -> Problem {
        if self.line_map.is_some() {
            p.line = Some(self.line(row));
        }
        p
    }

    /// A problem in a cell of schema column `col` (or in the row, naming the
    /// column, when the column is absent from the file).
    pub(crate) fn cell_problem(
        &self,
        cols: &[Option<Column<'_>>],
        row: usize,
        col: usize,
        reason: impl Into<String>,
    ) -> Problem {
        match cols[col] {
            Some(c) => self.fix(c.error(row, reason).into(), row),
            None => Problem {
                file: self.name.clone(),
                line: Some(self.line(row)),
                column_number: None,
                column: Some(self.entity.spec().columns[col].name.to_string()),
                value: None,
                reason: reason.into(),
            },
        }
    }

    /// Parses row `row` into `out` (one value per schema column). Cell
    /// problems go to `problems`; returns false if there was any.
    pub(crate) fn parse_row(
        &self,
        cols: &[Option<Column<'_>>],
        row: usize,
        out: &mut Vec<Value>,
        mut problems: Option<&mut Problems>,
    ) -> bool {
        let spec = self.entity.spec();
        out.clear();
        out.reserve(spec.columns.len());
        let mut ok = true;
        for (i, c) in spec.columns.iter().enumerate() {
            let text = cols[i].and_then(|col| col.text(row));
            let value = match text {
                None => {
                    if c.required {
                        ok = false;
                        if let Some(p) = problems.as_deref_mut() {
                            p.push(self.cell_problem(cols, row, i, "a value is required"));
                        }
                    }
                    Value::Null
                }
                Some(t) => match c.kind.parse(t) {
                    Ok(v) => v,
                    Err(reason) => {
                        ok = false;
                        if let Some(p) = problems.as_deref_mut() {
                            p.push(self.cell_problem(cols, row, i, reason));
                        }
                        Value::Null
                    }
                },
            };
            out.push(value);
        }
        ok
    }
}

/// A bundle read into memory, one optional table per entity.
#[derive(Debug, Clone, Default)]
pub struct Bundle {
    pub(crate) tables: Vec<Option<BundleTable>>,
}

/// The bundle's file names, in entity order.
pub fn file_names() -> Vec<&'static str> {
    Entity::ALL.iter().map(|e| e.spec().file).collect()
}

impl Bundle {
    /// An empty bundle.
    pub fn new() -> Bundle {
        Bundle {
            tables: vec![None; Entity::ALL.len()],
        }
    }

    /// Reads every bundle file of `dir`. File-level problems (unknown file,
    /// malformed CSV, unknown or missing columns) are all collected and
    /// returned together as [`StoreError::Invalid`].
    pub fn read_dir(dir: &Path) -> Result<Bundle, StoreError> {
        let names = file_names_in(dir)?;
        let mut bundle = Bundle::new();
        let mut problems = Problems::default();
        let known = file_names();
        for name in &names {
            if !name.to_ascii_lowercase().ends_with(".csv") {
                continue;
            }
            let Some(entity) = Entity::ALL.iter().copied().find(|e| e.spec().file == name) else {
                problems.push(Problem::file(
                    name,
                    format!("not a bundle file (the files are: {})", known.join(", ")),
                ));
                continue;
            };
            let path = dir.join(name);
            let bytes = std::fs::read(&path).map_err(|e| StoreError::io(path.display(), e))?;
            bundle.add_file(entity, name, &bytes, &mut problems);
        }
        if names.iter().all(|n| !known.contains(&n.as_str())) && problems.is_empty() {
            problems.push(Problem::file(
                &dir.display().to_string(),
                format!("no bundle file here (the files are: {})", known.join(", ")),
            ));
        }
        if problems.is_empty() {
            Ok(bundle)
        } else {
            Err(StoreError::Invalid(problems))
        }
    }

    /// Adds one file's bytes as the table of `entity` (file name `name` in
    /// messages). Structural problems go to `problems`.
    pub fn add_file(&mut self, entity: Entity, name: &str, bytes: &[u8], problems: &mut Problems) {
        let spec = entity.spec();
        let header = match read_header(name, bytes) {
            Ok(h) => h,
            Err(p) => {
                problems.push(*p);
                return;
            }
        };
        let before = problems.len();
        check_header(spec, name, &header, problems);
        if problems.len() > before {
            return;
        }
        let frame = match Frame::from_reader(name, bytes, None) {
            Ok(f) => Some(f),
            Err(FrameError::Empty { .. }) => None,
            Err(FrameError::Malformed { line, reason, .. }) => {
                problems.push(Problem {
                    line: Some(line),
                    ..Problem::file(name, reason)
                });
                return;
            }
            Err(FrameError::Cell(c)) => {
                problems.push(c.into());
                return;
            }
            Err(e) => {
                problems.push(Problem::file(name, e.to_string()));
                return;
            }
        };
        self.tables[entity.index()] = Some(BundleTable {
            entity,
            name: name.to_string(),
            frame,
            line_map: None,
        });
    }

    /// Adds part of a file as the table of `entity`: `text` is the file's
    /// header and some of its records ([`crate::blocks`]); `original` maps a
    /// line of `text` to the line of the file, so that problems name the
    /// file's lines. Returns the rows, or `None` when the frame reader
    /// rejects the text (the caller then reads the file whole, which
    /// reports why).
    pub(crate) fn add_part(
        &mut self,
        entity: Entity,
        name: &str,
        text: &[u8],
        original: impl Fn(u64) -> u64,
    ) -> Option<usize> {
        let frame = match Frame::from_reader(name, text, None) {
            Ok(f) => Some(f),
            Err(FrameError::Empty { .. }) => None,
            Err(_) => return None,
        };
        let line_map = frame
            .as_ref()
            .map(|f| (0..f.n_rows()).map(|r| original(f.line(r))).collect());
        let rows = frame.as_ref().map_or(0, Frame::n_rows);
        self.tables[entity.index()] = Some(BundleTable {
            entity,
            name: name.to_string(),
            frame,
            line_map,
        });
        Some(rows)
    }

    /// A bundle of one entity's CSV text (tests, fuzzing, single-record edits).
    pub fn from_csv(entity: Entity, text: &[u8]) -> Result<Bundle, StoreError> {
        let mut b = Bundle::new();
        let mut problems = Problems::default();
        b.add_file(entity, entity.spec().file, text, &mut problems);
        if problems.is_empty() {
            Ok(b)
        } else {
            Err(StoreError::Invalid(problems))
        }
    }

    /// Adds the rows of one entity converted from another source (a REDCap
    /// export, a spreadsheet: `netra-ingest`), as bundle CSV text whose data
    /// row `i` came from line `lines[i]` of that source: problems then name
    /// the source's lines under the table name `name`. The rows go through
    /// the same checks, transaction and audit as a bundle file's.
    pub fn add_converted(
        &mut self,
        entity: Entity,
        name: &str,
        csv_text: &str,
        lines: Vec<u64>,
    ) -> Result<(), StoreError> {
        self.add_synthesised(entity, name, csv_text, lines)
    }

    /// Adds a synthesised table whose rows came from lines `line_map` of
    /// another file (the flat survival CSV).
    pub(crate) fn add_synthesised(
        &mut self,
        entity: Entity,
        name: &str,
        csv_text: &str,
        line_map: Vec<u64>,
    ) -> Result<(), StoreError> {
        let frame = Frame::from_reader(name, csv_text.as_bytes(), None)
            .map_err(|e| StoreError::io(name, e))?;
        self.tables[entity.index()] = Some(BundleTable {
            entity,
            name: name.to_string(),
            frame: Some(frame),
            line_map: Some(line_map),
        });
        Ok(())
    }

    /// The table of `entity`, if the bundle has that file.
    pub fn table(&self, entity: Entity) -> Option<&BundleTable> {
        self.tables.get(entity.index()).and_then(Option::as_ref)
    }

    /// The physical line and text of `column` in every row of the table of
    /// `entity` (`None` for an empty cell or a column the file lacks; no
    /// rows for a table the bundle lacks): what a caller checks row by row
    /// before importing (the web upload checks each row's patient against
    /// the uploader's sites).
    pub fn column_texts(&self, entity: Entity, column: &str) -> Vec<(u64, Option<String>)> {
        let Some(t) = self.table(entity) else {
            return Vec::new();
        };
        let Some(f) = &t.frame else {
            return Vec::new();
        };
        let c = f.column(column).ok();
        (0..f.n_rows())
            .map(|r| (t.line(r), c.and_then(|c| c.text(r)).map(str::to_string)))
            .collect()
    }

    /// Data rows per entity present.
    pub fn counts(&self) -> Vec<(Entity, usize)> {
        self.tables
            .iter()
            .flatten()
            .map(|t| (t.entity, t.n_rows()))
            .collect()
    }

    /// Total data rows.
    pub fn n_rows(&self) -> usize {
        self.tables.iter().flatten().map(BundleTable::n_rows).sum()
    }
}

fn read_header(name: &str, bytes: &[u8]) -> Result<Vec<String>, Box<Problem>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    match r.byte_headers() {
        Ok(h) => {
            let mut out = Vec::new();
            for cell in h.iter() {
                let text = std::str::from_utf8(cell).map_err(|_| {
                    Box::new(Problem {
                        line: Some(1),
                        ..Problem::file(name, "the header is not valid UTF-8 text")
                    })
                })?;
                out.push(text.trim().trim_start_matches('\u{feff}').to_string());
            }
            if out.iter().all(String::is_empty) {
                return Err(Box::new(Problem {
                    line: Some(1),
                    ..Problem::file(name, "the file is empty: a header line is required")
                }));
            }
            Ok(out)
        }
        Err(e) => Err(Box::new(Problem {
            line: Some(1),
            ..Problem::file(name, format!("cannot read the header: {e}"))
        })),
    }
}

fn check_header(spec: &EntitySpec, name: &str, header: &[String], problems: &mut Problems) {
    let allowed: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    let mut seen = HashSet::new();
    for (i, h) in header.iter().enumerate() {
        let at = |reason: String| Problem {
            file: name.to_string(),
            line: Some(1),
            column_number: Some(i + 1),
            column: Some(h.clone()),
            value: None,
            reason,
        };
        if !allowed.contains(&h.as_str()) {
            problems.push(at(format!(
                "unknown column for {} (columns are: {})",
                spec.file,
                allowed.join(", ")
            )));
        } else if !seen.insert(h.as_str()) {
            problems.push(at("the column appears twice in the header".into()));
        }
    }
    for c in spec.columns.iter().filter(|c| c.required) {
        if !header.iter().any(|h| h == c.name) {
            problems.push(Problem {
                line: Some(1),
                ..Problem::file(name, format!("missing required column '{}'", c.name))
            });
        }
    }
}

/// The names of the files in `dir` (not its subdirectories), sorted: the
/// order in which a bundle directory's files are read and reported.
pub(crate) fn file_names_in(dir: &Path) -> Result<Vec<String>, StoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| StoreError::io(dir.display(), e))?;
    let mut names: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| StoreError::io(dir.display(), e))?;
        if entry.path().is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_problems_are_all_reported() {
        let e = Bundle::from_csv(
            Entity::Patient,
            b"patient,site,Sex,sex,sex\n1,a,male,male,male\n",
        )
        .unwrap_err();
        let StoreError::Invalid(p) = e else { panic!() };
        let text: Vec<String> = p.list.iter().map(|p| p.to_string()).collect();
        assert!(text[0].starts_with(
            "patients.csv, line 1, column 3 (Sex): unknown column for patients.csv (columns are: patient, site, sex,"
        ));
        assert_eq!(
            text[1],
            "patients.csv, line 1, column 5 (sex): the column appears twice in the header"
        );
        assert_eq!(
            text[2],
            "patients.csv, line 1: missing required column 'vital_status'"
        );
    }

    #[test]
    fn header_only_file_has_no_rows() {
        let b = Bundle::from_csv(Entity::Study, b"study,title\n").unwrap();
        assert_eq!(b.table(Entity::Study).unwrap().n_rows(), 0);
    }
}
