//! Where an extract comes from besides CSV files, and what a site's own
//! concepts mean.
//!
//! * [`ConceptMap`] — a mapping file (TOML) for a site's local concepts:
//!   OMOP reserves ids from 2,000,000,000 for them, and a site that made
//!   its own (a stain, a questionnaire item, an agent RxNorm lacks) says
//!   here which netra code each stands for:
//!
//!   ```toml
//!   [concepts]
//!   2000100001 = "ihc_stain/chromogranin_a"
//!   2000100002 = "qol_item/qlq_c30/1"
//!   ```
//!
//!   The file is checked as a whole before any row is read (all or
//!   nothing): an id below the local range, a netra code netra does not
//!   read, a key that is not a number are refused with the file's line.
//!   An extract row whose local concept is neither in the mapping nor a
//!   `netra` concept of the extract's CONCEPT table is refused with its
//!   table, row and column.
//! * [`convert_schema`] — the tables of a PostgreSQL schema
//!   (`netra_store::omop_source` reads them as CSV text): problems name
//!   `schema.table`, the row (in the order of the table's id) and that
//!   row's id.

use std::collections::BTreeMap;

use netra_clinical::registry::vocab::{
    Agent, Comorbidity, Gene, GeneticResult, IhcResult, IhcStain, Marker, MarkerResult,
    MetastasisSite, Modality, PrimarySite, Questionnaire, TreatmentType, Vocabulary,
};

use crate::redcap::Input;
use crate::{Converted, Issue, Issues};

/// First id of OMOP's range for a site's own concepts.
pub const LOCAL_CONCEPTS_FROM: i64 = 2_000_000_000;

/// A site's local concepts mapped to netra codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConceptMap {
    ids: BTreeMap<i64, String>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    concepts: BTreeMap<String, toml::Spanned<String>>,
}

/// True when `code` (`vocabulary/code`) is a netra code the OMOP importer
/// reads.
pub fn is_readable_code(code: &str) -> bool {
    fn ok<V: Vocabulary>(c: &str) -> bool {
        V::from_code(c).is_ok()
    }
    let Some((vocab, rest)) = code.split_once('/') else {
        return false;
    };
    match vocab {
        "agent" => ok::<Agent>(rest),
        "treatment_type" => ok::<TreatmentType>(rest),
        "primary_site" => ok::<PrimarySite>(rest),
        "metastasis_site" => ok::<MetastasisSite>(rest),
        "marker" => ok::<Marker>(rest),
        "modality" => ok::<Modality>(rest),
        "ihc_stain" => ok::<IhcStain>(rest),
        "ihc_result" => ok::<IhcResult>(rest),
        "gene" => ok::<Gene>(rest),
        "genetic_result" => ok::<GeneticResult>(rest),
        "marker_result" => ok::<MarkerResult>(rest),
        "comorbidity" => ok::<Comorbidity>(rest),
        "sex" => matches!(rest, "male" | "female"),
        "qol_item" => rest
            .split_once('/')
            .and_then(|(q, i)| Some((Questionnaire::from_code(q).ok()?, i.parse::<i64>().ok()?)))
            .is_some_and(|(q, i)| q.items().contains(&i)),
        _ => false,
    }
}

impl ConceptMap {
    /// Reads and checks a mapping file; every problem names its line.
    pub fn parse(file: &str, text: &str) -> Result<ConceptMap, Issues> {
        let line_at =
            |offset: usize| text[..offset.min(text.len())].matches('\n').count() as u64 + 1;
        let parsed: File = toml::from_str(text).map_err(|e| {
            let reason = match e.message().trim() {
                "" => "not valid TOML here".to_string(),
                m => m.to_string(),
            };
            Issues::from(Issue {
                line: e.span().map(|s| line_at(s.start)),
                ..Issue::file(file, reason)
            })
        })?;
        let mut issues = Issues::default();
        let mut ids = BTreeMap::new();
        for (key, value) in &parsed.concepts {
            let line = Some(line_at(value.span().start));
            let at = |reason: String, v: &str| Issue {
                line,
                column: Some(format!("concepts.{key}")),
                value: Some(v.to_string()),
                ..Issue::file(file, reason)
            };
            match key.trim().parse::<i64>() {
                Ok(id) if id >= LOCAL_CONCEPTS_FROM => {
                    let code = value.get_ref().trim();
                    if is_readable_code(code) {
                        ids.insert(id, code.to_string());
                    } else {
                        issues.push(at(
                            "not a netra code the OMOP importer reads (e.g. `agent/octreotide`, `ihc_stain/sstr2`, `qol_item/qlq_c30/1`)".into(),
                            code,
                        ));
                    }
                }
                Ok(_) => issues.push(at(
                    format!("only local concepts (ids from {LOCAL_CONCEPTS_FROM}) are mapped here; a standard concept is read through concept.csv"),
                    key,
                )),
                Err(_) => issues.push(at("a concept id is a whole number".into(), key)),
            }
        }
        if issues.is_empty() {
            Ok(ConceptMap { ids })
        } else {
            Err(issues)
        }
    }

    /// The netra code a local concept is mapped to.
    pub fn get(&self, id: i64) -> Option<&str> {
        self.ids.get(&id).map(String::as_str)
    }

    /// Number of mapped concepts.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// True when nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Converts the tables of a PostgreSQL schema, each `(table, CSV text)`
/// (header: the columns present), through an optional local-concept
/// mapping. Problems name `schema.table`, the row and the row's id in
/// place of a file and a line.
pub fn convert_schema(
    tables: &[(String, Vec<u8>)],
    schema: &str,
    map: Option<&ConceptMap>,
) -> Result<Converted, Issues> {
    let names: Vec<String> = tables
        .iter()
        .map(|(t, _)| format!("{schema}.{t}"))
        .collect();
    let inputs: Vec<Input<'_>> = tables
        .iter()
        .zip(&names)
        .map(|((_, bytes), name)| Input { name, bytes })
        .collect();
    let source = format!("PostgreSQL schema {schema}");
    super::import::convert_with(&inputs, &source, map).map_err(|is| {
        let mut out = Issues::default();
        for i in is.list {
            out.push(as_row(i, tables, schema));
        }
        out
    })
}

/// A problem at a CSV line of a schema table, said as the table's row:
/// `cdm.drug_exposure, row 1 (drug_exposure_id 7), column
/// drug_concept_id: …`.
fn as_row(mut i: Issue, tables: &[(String, Vec<u8>)], schema: &str) -> Issue {
    let table = i
        .file
        .strip_prefix(schema)
        .and_then(|t| t.strip_prefix('.'))
        .map(str::to_string);
    let concept_table = i.file.ends_with(".csv");
    if concept_table {
        // "concept.csv: the extract has no such file": a table here
        if let Some(stem) = i.file.strip_suffix(".csv") {
            i.file = format!("{schema}.{stem}");
            i.reason = i.reason.replace(
                "the extract has no such file",
                "the schema has no such table",
            );
        }
        return i;
    }
    let (Some(table), Some(line)) = (table, i.line) else {
        return i;
    };
    if line < 2 {
        i.line = None;
        i.reason = i.reason.replace("from the header", "from the table");
        return i;
    }
    let row = line - 1;
    let bytes = tables
        .iter()
        .find(|(t, _)| *t == table)
        .map(|(_, b)| b.as_slice())
        .unwrap_or(&[]);
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let id_col = r.headers().ok().and_then(|h| h.get(0).map(str::to_string));
    let id = r
        .records()
        .nth((row - 1) as usize)
        .and_then(|rec| rec.ok())
        .and_then(|rec| rec.get(0).map(str::to_string));
    let mut place = format!("row {row}");
    if let (Some(c), Some(v)) = (id_col, id) {
        place.push_str(&format!(" ({c} {v})"));
    }
    if let Some(c) = i.column.take() {
        place.push_str(&format!(", column {c}"));
    }
    i.line = None;
    i.column_number = None;
    i.column = Some(place);
    i
}
