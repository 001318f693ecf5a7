//! Importers of the records a NET centre already has: a REDCap project's
//! exports (data dictionary + records, [`redcap`], as files or from its API,
//! [`redcap_api`]) and one-row-per-patient sheets (CSV, `.xlsx`, `.ods`:
//! [`sheet`], [`workbook`]) turned, through a mapping file ([`mapping`],
//! TOML), into the rows of the registry bundle (`docs/bundle-format.md`);
//! an OMOP CDM 5.4 extract ([`omop`]), in both directions (`netra export
//! --omop`, `netra import omop`).
//!
//! This crate only converts. The rows it produces ([`Converted`]) are handed
//! to the store's one all-or-nothing import path (`netra-store`), so
//! validation, the audit trail and the diff of a re-import are the bundle
//! import's, not rewritten here. What this crate checks is what only the
//! source can tell: choice codes the mapping does not know, repeating
//! instances that are missing or doubled, dates not in the export's format,
//! required registry columns the mapping leaves unmapped, fields the
//! dictionary does not have. Each problem names the source file, its line
//! and the REDCap field ([`Issue`]); identical problems of many rows are
//! collapsed with a count.
//!
//! It depends on `netra-clinical` only (the schema is the single source of
//! truth for entities, columns and vocabularies), never on the store, the
//! analysis layer or the surfaces (`crates/netra-cli/tests/architecture.rs`).
//! The format of mapping files is in `docs/import.md`.
#![deny(missing_docs)]

pub mod dictionary;
pub mod issue;
pub mod mapping;
pub mod omop;
pub mod records;
pub mod redcap;
pub mod redcap_api;
pub mod sheet;
pub mod source;
pub mod suggest;
pub mod workbook;

pub use issue::{Issue, Issues};

use netra_clinical::registry::schema::Entity;

/// Per schema column, its source column (1-based position, field name),
/// `None` for constants and templates.
pub type Origins = Vec<Option<(usize, String)>>;

/// The rows of one bundle entity converted from a source.
#[derive(Debug, Clone, PartialEq)]
pub struct ConvertedTable {
    /// The bundle entity.
    pub entity: Entity,
    /// One row per record, cells in the order of the schema's columns
    /// (`None`: not recorded), as canonical bundle text.
    pub rows: Vec<Vec<Option<String>>>,
    /// The source line of each row (the header is line 1).
    pub lines: Vec<u64>,
    /// Per schema column, where its values come from in the source file:
    /// the 1-based column position and the field name (`None` for
    /// constants and templates), so that the store's problems can point at
    /// the source file.
    pub origins: Vec<Option<(usize, String)>>,
    /// Per row, its own origins when they differ from [`Self::origins`]
    /// (a spreadsheet's second column group `tx2_…`, item 7 of an `items`
    /// table read from `q7`); shorter than `rows` or `None`: the table's.
    pub row_origins: Vec<Option<Origins>>,
}

impl ConvertedTable {
    /// The table as bundle CSV text (a header of every schema column, then
    /// the rows), written by the `csv` crate so that the bundle reader gets
    /// every value back unchanged.
    pub fn to_csv(&self) -> String {
        let spec = self.entity.spec();
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        // Writing to memory cannot fail.
        let _ = w.write_record(spec.columns.iter().map(|c| c.name));
        for row in &self.rows {
            let _ = w.write_record(row.iter().map(|c| c.as_deref().unwrap_or("")));
        }
        String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
    }

    /// Where the values of row `row` come from (its own origins, else the
    /// table's).
    pub fn origins_of(&self, row: usize) -> &[Option<(usize, String)>] {
        self.row_origins
            .get(row)
            .and_then(Option::as_ref)
            .unwrap_or(&self.origins)
    }

    /// The natural key of row `row` (key columns' texts joined by `\u{1f}`),
    /// comparable with [`key_text`] of stored rows.
    pub fn key(&self, row: usize) -> String {
        let spec = self.entity.spec();
        key_text(
            spec.key_positions()
                .into_iter()
                .map(|i| self.rows[row][i].as_deref()),
        )
    }
}

/// A natural key as one text (`\u{1f}` between the key columns' texts).
pub fn key_text<'a>(parts: impl IntoIterator<Item = Option<&'a str>>) -> String {
    let mut out = String::new();
    for (n, p) in parts.into_iter().enumerate() {
        if n > 0 {
            out.push('\u{1f}');
        }
        out.push_str(p.unwrap_or(""));
    }
    out
}

/// What a source became: one table per entity with rows, in entity order,
/// and the name of the source file the rows' lines refer to.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted {
    /// The file the rows' lines and origins point into (e.g. the records
    /// export's name).
    pub source: String,
    /// Tables, parents first.
    pub tables: Vec<ConvertedTable>,
}

impl Converted {
    /// The table of `entity`, if the source produced one.
    pub fn table(&self, entity: Entity) -> Option<&ConvertedTable> {
        self.tables.iter().find(|t| t.entity == entity)
    }

    /// The name the store should give the table of `entity` in its
    /// problems: `<source> → <bundle file>`, which [`Converted::locate`]
    /// recognises.
    pub fn table_name(&self, entity: Entity) -> String {
        format!("{} → {}", self.source, entity.spec().file)
    }

    /// Translates a problem the store reports in a converted table (file
    /// [`Converted::table_name`], bundle column `column`) into the source's
    /// terms: the source file, and the column's position and field name in
    /// it (`None` when the column came from a constant or a template, or
    /// the file is not one of ours).
    pub fn locate(&self, file: &str, column: Option<&str>) -> Option<Located> {
        self.locate_in_row(file, None, column, None)
    }

    /// As [`Converted::locate`], for a problem of the row on source line
    /// `line` whose cell in `column` reads `value`: several rows can come
    /// from one line (a spreadsheet's column groups `tx1_…`, `tx2_…`; the
    /// items of an `items` table), each from its own source columns, and
    /// the one whose cell holds the reported value is the one meant (the
    /// first of them when the value does not tell).
    pub fn locate_in_row(
        &self,
        file: &str,
        line: Option<u64>,
        column: Option<&str>,
        value: Option<&str>,
    ) -> Option<Located> {
        let t = self
            .tables
            .iter()
            .find(|t| self.table_name(t.entity) == file)?;
        let spec = t.entity.spec();
        let origin = column.and_then(|c| spec.position(c)).and_then(|i| {
            let on_line: Vec<usize> = match line {
                Some(l) => (0..t.rows.len()).filter(|r| t.lines[*r] == l).collect(),
                None => Vec::new(),
            };
            let holds = |r: &usize| {
                value.is_some_and(|v| t.rows[*r][i].as_deref().map(str::trim) == Some(v.trim()))
            };
            let row = on_line
                .iter()
                .find(|r| holds(r))
                .or(on_line.first())
                .copied();
            match row {
                Some(r) => t.origins_of(r)[i].clone(),
                None => t.origins[i].clone(),
            }
        });
        Some(Located {
            file: self.source.clone(),
            origin,
            entity_file: spec.file,
        })
    }
}

/// A store problem's place in the source (see [`Converted::locate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The source file.
    pub file: String,
    /// Column position and field name in the source, when the bundle
    /// column came from one field.
    pub origin: Option<(usize, String)>,
    /// The bundle file the row belongs to (`patients.csv`).
    pub entity_file: &'static str,
}
