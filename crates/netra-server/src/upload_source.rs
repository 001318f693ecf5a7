//! REDCap and spreadsheet files from the web import (`/import`, issue 15):
//! a REDCap project's data dictionary and records exports, or a
//! spreadsheet with one row per patient (`.xlsx`, `.ods`, CSV), each with
//! its mapping file (TOML, `docs/import.md`). They are converted by
//! `netra-ingest` ([`netra_ingest::source::prepare`], the function `netra
//! import redcap|sheet` calls) and imported by the store's one
//! all-or-nothing path that keeps a named source in step
//! ([`netra_store::Registry::import_from_source_expecting`]); the dry run,
//! the confirmation, the size limit and the audit are the bundle upload's
//! ([`crate::upload`]).
//!
//! Least privilege: a data manager's source may only touch patients of
//! their sites (the bundle upload's rule), its `[study]` rows must already
//! be in the registry unchanged (studies and sites are administrators'),
//! and the records it would remove because the source no longer has them
//! must be of patients of their sites too.

use maud::{Markup, html};
use netra_clinical::registry::{Entity, Value};
use netra_ingest::redcap::Input;
use netra_ingest::source::{Files, Prepared, StoreProblem, prepare};
use netra_store::{
    Actor, Bundle, Expect, Expected, ImportOptions, Otherwise, SourceRecord, SourceReport,
    SourceSync, StoreError,
};

use crate::accounts::User;
use crate::app::Shared;
use crate::error::AppError;
use crate::layout::csrf_field;
use crate::multipart::Part;
use crate::session::Session;
use crate::upload::{Outcome, Summary, permitted};

/// One uploaded file: its name and bytes.
pub(crate) type File = (String, Vec<u8>);

/// An uploaded source and its mapping.
#[derive(Debug, Clone)]
pub(crate) struct Source {
    /// The files.
    pub files: SourceFiles,
    /// Keep the records the source created and no longer has.
    pub keep_missing: bool,
    /// The removals its check showed (set once checked): the confirmed
    /// import refuses to remove anything else, so a record the source
    /// created between the check and the confirmation (for another site,
    /// say) is never removed unseen.
    pub removals_seen: Option<Vec<SourceRecord>>,
}

/// The files of a source, as uploaded.
#[derive(Debug, Clone)]
pub(crate) enum SourceFiles {
    /// REDCap: dictionary, records, mapping (`None`: not chosen).
    Redcap {
        dictionary: Option<File>,
        records: Option<File>,
        mapping: Option<File>,
    },
    /// A spreadsheet, the sheet's name, the mapping.
    Sheet {
        file: Option<File>,
        sheet: Option<String>,
        mapping: Option<File>,
    },
}

fn file_part(parts: &[Part], name: &str) -> Option<File> {
    parts
        .iter()
        .find(|p| p.name == name && p.filename.as_deref().is_some_and(|f| !f.is_empty()))
        .map(|p| (p.filename.clone().unwrap_or_default(), p.data.clone()))
}

impl Source {
    /// The source a form of kind `kind` (`redcap`, `sheet`) uploaded;
    /// `None` for the bundle form.
    pub(crate) fn of_form(kind: &str, parts: &[Part]) -> Option<Source> {
        let files = match kind {
            "redcap" => SourceFiles::Redcap {
                dictionary: file_part(parts, "dictionary"),
                records: file_part(parts, "records"),
                mapping: file_part(parts, "mapping"),
            },
            "sheet" => SourceFiles::Sheet {
                file: file_part(parts, "sheet_file"),
                sheet: parts
                    .iter()
                    .find(|p| p.name == "sheet")
                    .map(|p| p.text().trim().to_string())
                    .filter(|s| !s.is_empty()),
                mapping: file_part(parts, "mapping"),
            },
            _ => return None,
        };
        Some(Source {
            files,
            keep_missing: parts.iter().any(|p| p.name == "keep_missing"),
            removals_seen: None,
        })
    }

    /// The uploaded files' names.
    pub(crate) fn names(&self) -> Vec<String> {
        let all: Vec<&Option<File>> = match &self.files {
            SourceFiles::Redcap {
                dictionary,
                records,
                mapping,
            } => vec![dictionary, records, mapping],
            SourceFiles::Sheet { file, mapping, .. } => vec![file, mapping],
        };
        all.into_iter().flatten().map(|(n, _)| n.clone()).collect()
    }

    /// The source converted, or every problem of its files (a file not
    /// chosen is one).
    fn prepared(&self) -> Result<Prepared, Vec<String>> {
        let input = |f: &Option<File>, what: &str, missing: &mut Vec<String>| match f {
            Some((n, b)) => Some((n.clone(), b.clone())),
            None => {
                missing.push(format!("form: choose the {what}"));
                None
            }
        };
        let mut missing = Vec::new();
        let result = match &self.files {
            SourceFiles::Redcap {
                dictionary,
                records,
                mapping,
            } => {
                let d = input(dictionary, "data dictionary (CSV export)", &mut missing);
                let r = input(records, "records export (CSV, raw)", &mut missing);
                let m = input(mapping, "mapping file (TOML)", &mut missing);
                let (Some(d), Some(r), Some(m)) = (d, r, m) else {
                    return Err(missing);
                };
                prepare(Files::Redcap {
                    dictionary: Input {
                        name: &d.0,
                        bytes: &d.1,
                    },
                    records: Input {
                        name: &r.0,
                        bytes: &r.1,
                    },
                    mapping: Input {
                        name: &m.0,
                        bytes: &m.1,
                    },
                })
            }
            SourceFiles::Sheet {
                file,
                sheet,
                mapping,
            } => {
                let f = input(file, "spreadsheet (.xlsx, .ods or CSV)", &mut missing);
                let m = input(mapping, "mapping file (TOML)", &mut missing);
                let (Some(f), Some(m)) = (f, m) else {
                    return Err(missing);
                };
                prepare(Files::Sheet {
                    file: Input {
                        name: &f.0,
                        bytes: &f.1,
                    },
                    sheet: sheet.as_deref(),
                    mapping: Input {
                        name: &m.0,
                        bytes: &m.1,
                    },
                })
            }
        };
        result.map_err(|issues| issues.list.iter().map(|i| i.to_string()).collect())
    }
}

/// The forms of the two sources (below the bundle form of `/import`).
pub(crate) fn forms(session: &Session, reason: &str) -> Markup {
    let reason_field = |id: &str| {
        html! {
            div class="wide" {
                label for=(id) { "Reason for this import " span class="req" aria-hidden="true" { "*" }
                    span class="hint" { "kept in the audit trail with every change, your name and the time" } }
                textarea id=(id) name="reason" aria-required="true" { (reason) }
            }
        }
    };
    let keep = |id: &str| {
        html! {
            div class="wide" {
                label for=(id) {
                    input type="checkbox" id=(id) name="keep_missing" value="1";
                    " Keep the records this source created and no longer has"
                    span class="hint" { "without it, a re-import removes them (the check lists each one first)" }
                }
            }
        }
    };
    html! {
        h2 id="redcap" { "REDCap project" }
        form class="record" method="post" action="/import" enctype="multipart/form-data" id="import-redcap" {
            (csrf_field(session))
            input type="hidden" name="kind" value="redcap";
            div { label for="dictionary" { "Data dictionary " span class="req" aria-hidden="true" { "*" } span class="hint" { "CSV export" } }
                input type="file" id="dictionary" name="dictionary" accept=".csv,text/csv"; }
            div { label for="records" { "Records " span class="req" aria-hidden="true" { "*" } span class="hint" { "CSV export, raw coded values" } }
                input type="file" id="records" name="records" accept=".csv,text/csv"; }
            div { label for="redcap_mapping" { "Mapping " span class="req" aria-hidden="true" { "*" } span class="hint" { "TOML (docs/import.md; netra import redcap --suggest-mapping drafts one)" } }
                input type="file" id="redcap_mapping" name="mapping" accept=".toml"; }
            (keep("redcap_keep"))
            (reason_field("redcap_reason"))
            div class="actions" { button type="submit" { "Check (nothing is imported yet)" } }
        }
        h2 id="sheet" { "Spreadsheet, one row per patient" }
        form class="record" method="post" action="/import" enctype="multipart/form-data" id="import-sheet" {
            (csrf_field(session))
            input type="hidden" name="kind" value="sheet";
            div { label for="sheet_file" { "Spreadsheet " span class="req" aria-hidden="true" { "*" } span class="hint" { ".xlsx, .ods or CSV" } }
                input type="file" id="sheet_file" name="sheet_file" accept=".xlsx,.ods,.csv"; }
            div { label for="sheet" { "Sheet" span class="hint" { "of a workbook; empty: the first" } }
                input type="text" id="sheet" name="sheet"; }
            div { label for="sheet_mapping" { "Mapping " span class="req" aria-hidden="true" { "*" } span class="hint" { "TOML; repeated column groups in [source] groups" } }
                input type="file" id="sheet_mapping" name="mapping" accept=".toml"; }
            (keep("sheet_keep"))
            (reason_field("sheet_reason"))
            div class="actions" { button type="submit" { "Check (nothing is imported yet)" } }
        }
    }
}

/// The converted rows as a bundle whose tables are named for the source.
fn bundle_of(p: &Prepared) -> Result<Bundle, AppError> {
    let c = &p.converted;
    let mut bundle = Bundle::new();
    for t in c.tables.iter().filter(|t| !t.rows.is_empty()) {
        bundle.add_converted(
            t.entity,
            &c.table_name(t.entity),
            &t.to_csv(),
            t.lines.clone(),
        )?;
    }
    Ok(bundle)
}

/// The store's problems in the source's terms (file, line or cell, source
/// column and registry column).
fn told(p: &Prepared, problems: &netra_store::Problems) -> Outcome {
    Outcome::Problems(
        problems
            .list
            .iter()
            .map(|x| {
                p.describe(&StoreProblem {
                    file: &x.file,
                    line: x.line,
                    column_number: x.column_number,
                    column: x.column.as_deref(),
                    value: x.value.as_deref(),
                    reason: &x.reason,
                })
            })
            .collect(),
        problems.more,
    )
}

/// What a data manager's source may not do beyond the rows' patients: add
/// or change a study or a site, remove records of another site's patient.
/// Returns the problems, and the expectations for the removed patients.
async fn beyond_rows(
    state: &Shared,
    user: &User,
    report: &SourceReport,
) -> Result<(Vec<String>, Vec<Expect>), AppError> {
    let mut problems = Vec::new();
    let mut expects = Vec::new();
    if user.is_admin() {
        return Ok((problems, expects));
    }
    for e in &report.import.entities {
        if matches!(e.entity, Entity::Study | Entity::Site) && e.inserted + e.updated > 0 {
            problems.push(format!(
                "{}: the mapping's [study] would add or change a {}; studies and sites are managed by administrators (ask one to create it as the mapping says)",
                e.entity.spec().file,
                if e.entity == Entity::Study { "study" } else { "site" }
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for r in &report.removed {
        let Some(code) = r.key.first() else { continue };
        if !seen.insert(code.clone()) {
            continue;
        }
        match crate::access::patient_site(state, code).await? {
            Some(site) if user.can_edit_site(&site) => expects.push(Expect {
                entity: Entity::Patient,
                key: vec![Value::Text(code.clone())],
                state: Expected::Columns(vec![("site".into(), Value::Text(site))]),
                otherwise: Otherwise::Refused(format!(
                    "patient '{code}' was changed meanwhile: check the files again"
                )),
            }),
            _ => problems.push(format!(
                "{}: no longer in the source, but patient '{code}' is not of a site you manage: only an administrator may import this source (or keep the missing records)",
                r.description
            )),
        }
    }
    Ok((problems, expects))
}

/// The removals an import may make: those the check showed the user and
/// the dry run just before the import found permitted (both, so that
/// neither a change since the check nor one since the dry run slips by).
fn seen_and_checked(source: &Source, checked: &[SourceRecord]) -> Vec<SourceRecord> {
    match &source.removals_seen {
        Some(seen) => checked
            .iter()
            .filter(|r| seen.iter().any(|s| s.entity == r.entity && s.key == r.key))
            .cloned()
            .collect(),
        None => checked.to_vec(),
    }
}

/// Checks (`dry_run`) or imports an uploaded source.
pub(crate) async fn run(
    state: &Shared,
    user: &User,
    source: &Source,
    reason: &str,
    dry_run: bool,
) -> Result<Outcome, AppError> {
    let prepared = match source.prepared() {
        Ok(p) => p,
        Err(list) => return Ok(Outcome::Problems(list, 0)),
    };
    let bundle = bundle_of(&prepared)?;
    let mut expects = match permitted(state, user, &bundle, true).await? {
        Ok(x) => x,
        Err(mut p) => {
            // the rows' problems name the bundle file: name the converted
            // table, so that they point into the uploaded file
            for x in &mut p.list {
                if let Some(e) = Entity::ALL.into_iter().find(|e| e.spec().file == x.file) {
                    x.file = prepared.converted.table_name(e);
                }
            }
            return Ok(told(&prepared, &p));
        }
    };
    let sync = SourceSync {
        source: prepared.source_name.clone().unwrap_or_default(),
        file: prepared.converted.source.clone(),
        remove_missing: !source.keep_missing,
        removals_checked: None,
    };
    let opts = |dry_run: bool| ImportOptions {
        actor: Actor {
            user: user.username.clone(),
            reason: Some(reason.to_string()),
        },
        dry_run,
    };
    // The dry run tells what a data manager's import would touch beyond
    // its rows; the real import expects the same inside its transaction.
    let checked = state
        .registry
        .import_from_source_expecting(&bundle, &opts(true), &sync, &expects)
        .await;
    let report = match checked {
        Ok(r) => r,
        Err(StoreError::Invalid(p)) => return Ok(told(&prepared, &p)),
        Err(e) => return Err(e.into()),
    };
    let (problems, more_expects) = beyond_rows(state, user, &report).await?;
    if !problems.is_empty() {
        return Ok(Outcome::Problems(problems, 0));
    }
    let report = if dry_run {
        report
    } else {
        expects.extend(more_expects);
        let sync = SourceSync {
            removals_checked: Some(seen_and_checked(source, &report.removed)),
            ..sync
        };
        match state
            .registry
            .import_from_source_expecting(&bundle, &opts(false), &sync, &expects)
            .await
        {
            Ok(r) => r,
            Err(StoreError::Invalid(p)) => return Ok(told(&prepared, &p)),
            Err(e) => return Err(e.into()),
        }
    };
    Ok(Outcome::Report(Summary {
        import: report.import,
        removed_records: report.removed.clone(),
        removed: report.removed.into_iter().map(|r| r.description).collect(),
        kept: report
            .missing_kept
            .into_iter()
            .map(|r| r.description)
            .collect(),
    }))
}
