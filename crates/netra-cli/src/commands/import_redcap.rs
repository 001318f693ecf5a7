//! `netra import redcap`: a REDCap project's data dictionary and records
//! exports, converted through a mapping file by `netra-ingest`, imported by
//! the store's one all-or-nothing path (checks, audit, re-import diff);
//! `--suggest-mapping` drafts the mapping from the dictionary. `netra import
//! sheet`: a one-row-per-patient spreadsheet (CSV, `.xlsx`, `.ods`) through
//! the same mapping format. A named source (`[source] name`) is kept in step:
//! the records it created and no longer has are removed (`--keep-missing`
//! keeps them), in the import's transaction, one audit entry each.

use std::path::{Path, PathBuf};

use netra_clinical::registry::schema::Entity;
use netra_ingest::redcap::Input;
use netra_ingest::redcap_api::{Api, ApiError, Token, fetch_metadata, fetch_records};
use netra_ingest::source::{Files, StoreProblem, describe, prepare};
use netra_ingest::workbook::Cells;
use netra_ingest::{Converted, Issues};
use netra_store::{
    Bundle, ImportOptions, Registry, SourceRecord, SourceReport, SourceSync, StoreError,
};

use super::registry_args::{ActorArgs, DbArgs, block_on};

/// Arguments of `netra import redcap`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project's data dictionary (CSV export).
    #[arg(long, value_name = "CSV", required_unless_present = "api")]
    dictionary: Option<PathBuf>,
    /// The records export (CSV, raw coded values).
    #[arg(long, value_name = "CSV", required_unless_present_any = ["suggest_mapping", "api"])]
    records: Option<PathBuf>,
    /// Read the dictionary and the records from the project's REDCap API (https://…/api/).
    #[arg(long, value_name = "URL", conflicts_with_all = ["dictionary", "records"], requires = "token_file")]
    api: Option<String>,
    /// The file holding the project's API token (never give the token itself).
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// Allow plain http:// to another machine (the token would cross the network in clear).
    #[arg(long, requires = "api")]
    allow_http: bool,
    /// Seconds to wait for each API answer.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, requires = "api")]
    timeout: u64,
    /// The mapping file (TOML, docs/import.md).
    #[arg(long, value_name = "TOML", required_unless_present = "suggest_mapping")]
    mapping: Option<PathBuf>,
    /// Write a draft mapping from the dictionary to this file (nothing is imported).
    #[arg(long, value_name = "OUT.toml", conflicts_with_all = ["records", "mapping"])]
    suggest_mapping: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    actor: ActorArgs,
    /// Check everything against the registry and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep the records this source created and no longer has (default: remove them).
    #[arg(long)]
    keep_missing: bool,
}

/// The REDCap API named by the arguments, with its token.
fn api_of(args: &Args) -> anyhow::Result<Option<(Api, Token)>> {
    let Some(url) = &args.api else {
        return Ok(None);
    };
    let Some(file) = &args.token_file else {
        anyhow::bail!(
            "--api needs --token-file FILE (the token is never given on the command line)"
        );
    };
    let text =
        std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let token = Token::from_text(&text, &file.display().to_string()).map_err(anyhow::Error::msg)?;
    let api = Api {
        url: url.clone(),
        allow_http: args.allow_http,
        timeout: std::time::Duration::from_secs(args.timeout.max(1)),
    };
    Ok(Some((api, token)))
}

/// The names the API's exports go by in messages.
const API_DICTIONARY: &str = "metadata (REDCap API)";
const API_RECORDS: &str = "records (REDCap API)";

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

pub(super) fn refuse(issues: &Issues) -> anyhow::Error {
    eprint!("{issues}");
    let n = issues.list.len();
    anyhow::anyhow!(
        "{n} problem{} found; nothing was written",
        if n == 1 { "" } else { "s" }
    )
}

/// Runs `netra import redcap`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let api = api_of(&args)?;
    let api_error = |e: ApiError| anyhow::anyhow!("{e}");
    let (dict_bytes, dict_name) = match (&api, &args.dictionary) {
        (Some((a, t)), _) => (
            fetch_metadata(a, t).map_err(api_error)?,
            API_DICTIONARY.to_string(),
        ),
        (None, Some(d)) => (read(d)?, name(d)),
        (None, None) => anyhow::bail!("give --dictionary CSV or --api URL"),
    };
    if let Some(out) = &args.suggest_mapping {
        let dict = netra_ingest::dictionary::Dictionary::parse(&dict_name, &dict_bytes)
            .map_err(|i| refuse(&i))?;
        if out.exists() {
            anyhow::bail!(
                "{} exists: give a new file name (a finished mapping is never overwritten)",
                out.display()
            );
        }
        let text = netra_ingest::suggest::suggest(&dict);
        std::fs::write(out, &text).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
        let unmapped = text
            .lines()
            .filter(|l| l.starts_with("#   ") || l.contains("unmapped choice"))
            .count();
        println!(
            "wrote a draft mapping to {} ({} field(s) or choice(s) left unmapped, listed as comments): check every line before importing",
            out.display(),
            unmapped
        );
        return Ok(());
    }
    let Some(mapping) = &args.mapping else {
        anyhow::bail!("give --mapping (or --suggest-mapping OUT.toml)");
    };
    let (rec_bytes, rec_name) = match (&api, &args.records) {
        (Some((a, t)), _) => (
            fetch_records(a, t).map_err(api_error)?,
            API_RECORDS.to_string(),
        ),
        (None, Some(r)) => (read(r)?, name(r)),
        (None, None) => anyhow::bail!("give --records CSV (or --api URL)"),
    };
    let map_bytes = read(mapping)?;
    let prepared = prepare(Files::Redcap {
        dictionary: Input {
            name: &dict_name,
            bytes: &dict_bytes,
        },
        records: Input {
            name: &rec_name,
            bytes: &rec_bytes,
        },
        mapping: Input {
            name: &name(mapping),
            bytes: &map_bytes,
        },
    })
    .map_err(|i| refuse(&i))?;
    let how = How {
        source: prepared.source_name,
        cells: None,
        dry_run: args.dry_run,
        keep_missing: args.keep_missing,
    };
    import_converted(&prepared.converted, &args.db, &args.actor, &how)
}

/// How converted rows are imported.
pub(crate) struct How {
    /// The source's name (`[source] name`), if any.
    pub source: Option<String>,
    /// Workbooks: where the sheet's columns are (problems name cells).
    pub cells: Option<Cells>,
    /// Check only.
    pub dry_run: bool,
    /// Keep the source's missing records.
    pub keep_missing: bool,
}

/// Arguments of `netra import sheet`.
#[derive(Debug, clap::Args)]
pub struct SheetArgs {
    /// The spreadsheet, one row per patient (first column: the patient): CSV, .xlsx or .ods.
    #[arg(long, value_name = "FILE")]
    file: PathBuf,
    /// The sheet of an .xlsx/.ods workbook (default: the first).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
    /// The mapping file (TOML, docs/import.md; repeated column groups in [source] groups).
    #[arg(long, value_name = "TOML")]
    mapping: PathBuf,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    actor: ActorArgs,
    /// Check everything against the registry and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Keep the records this source created and no longer has (default: remove them).
    #[arg(long)]
    keep_missing: bool,
}

/// Runs `netra import sheet`.
pub fn run_sheet(args: SheetArgs) -> anyhow::Result<()> {
    let sheet = read(&args.file)?;
    let map = read(&args.mapping)?;
    let file_name = name(&args.file);
    let sheet_in = Input {
        name: &file_name,
        bytes: &sheet,
    };
    let map_in = Input {
        name: &name(&args.mapping),
        bytes: &map,
    };
    let prepared = prepare(Files::Sheet {
        file: sheet_in,
        sheet: args.sheet.as_deref(),
        mapping: map_in,
    })
    .map_err(|i| refuse(&i))?;
    let how = How {
        source: prepared.source_name,
        cells: prepared.cells,
        dry_run: args.dry_run,
        keep_missing: args.keep_missing,
    };
    import_converted(&prepared.converted, &args.db, &args.actor, &how)
}

/// Imports converted rows through the store's one import path (kept in
/// step with a named source) and prints the summary; the store's problems
/// are told in the source's terms.
pub(crate) fn import_converted(
    converted: &Converted,
    db: &DbArgs,
    actor: &ActorArgs,
    how: &How,
) -> anyhow::Result<()> {
    let actor = actor.actor()?;
    let mut bundle = Bundle::new();
    for t in converted.tables.iter().filter(|t| !t.rows.is_empty()) {
        bundle.add_converted(
            t.entity,
            &converted.table_name(t.entity),
            &t.to_csv(),
            t.lines.clone(),
        )?;
    }
    let opts = ImportOptions {
        actor,
        dry_run: how.dry_run,
    };
    let sync = SourceSync {
        source: how.source.clone().unwrap_or_default(),
        file: converted.source.clone(),
        remove_missing: !how.keep_missing,
        removals_checked: None,
    };
    let location = db.location();
    let report = block_on(async {
        let registry = Registry::open(&location).await?;
        let result = registry.import_from_source(&bundle, &opts, &sync).await;
        registry.close().await;
        result
    })?
    .map_err(|e| match e {
        StoreError::Invalid(problems) => {
            for p in &problems.list {
                let at = StoreProblem {
                    file: &p.file,
                    line: p.line,
                    column_number: p.column_number,
                    column: p.column.as_deref(),
                    value: p.value.as_deref(),
                    reason: &p.reason,
                };
                eprintln!("error: {}", describe(converted, how.cells, &at));
            }
            anyhow::anyhow!(
                "{} problem(s) found; nothing was written",
                problems.list.len()
            )
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    print_report(&report, how, &location.display());
    Ok(())
}

fn print_report(r: &SourceReport, how: &How, location: &str) {
    let imp = &r.import;
    if imp.dry_run {
        println!("dry run: no problem found; nothing was written to {location}");
    }
    let count = |list: &[SourceRecord], e: Entity| list.iter().filter(|x| x.entity == e).count();
    println!(
        "{:<34} {:>7} {:>7} {:>8} {:>10} {:>8} {:>6}",
        "table", "rows", "added", "changed", "unchanged", "removed", "kept"
    );
    let mut entities: Vec<Entity> = imp.entities.iter().map(|e| e.entity).collect();
    entities.extend(r.removed.iter().map(|x| x.entity));
    entities.extend(r.missing_kept.iter().map(|x| x.entity));
    entities.extend(r.not_created.iter().map(|a| a.0));
    entities.sort();
    entities.dedup();
    for e in entities {
        let c = imp.entities.iter().find(|c| c.entity == e);
        let kept =
            r.not_created.iter().find(|a| a.0 == e).map_or(0, |a| a.1) + count(&r.missing_kept, e);
        println!(
            "{:<34} {:>7} {:>7} {:>8} {:>10} {:>8} {:>6}",
            e.spec().file,
            c.map_or(0, |c| c.rows),
            c.map_or(0, |c| c.inserted),
            c.map_or(0, |c| c.updated),
            c.map_or(0, |c| c.unchanged),
            count(&r.removed, e),
            kept
        );
    }
    let (added, changed): (usize, usize) = imp
        .entities
        .iter()
        .fold((0, 0), |(a, c), e| (a + e.inserted, c + e.updated));
    let verb = if imp.dry_run { "would be " } else { "" };
    println!(
        "{added} record(s) {verb}added, {changed} {verb}changed, {} {verb}removed",
        r.removed.len()
    );
    for x in &r.removed {
        println!(
            "  {} {}: no longer in the source, which created it",
            if imp.dry_run {
                "would remove"
            } else {
                "removed"
            },
            x.description
        );
    }
    for x in &r.missing_kept {
        println!(
            "  kept {}: no longer in the source (--keep-missing)",
            x.description
        );
    }
    let others: usize = r.not_created.iter().map(|a| a.1).sum();
    if others > 0 {
        println!(
            "{others} record(s) of these patients are in the registry but not in the source, which did not create them: kept (entered by hand, from another source, or imported {}; remove them by hand if they should go)",
            if how.source.is_some() {
                "before netra recorded the source"
            } else {
                "from a source without a name: give the mapping [source] name = \"…\" so that re-imports remove what the source deleted"
            }
        );
    }
    if !imp.dry_run {
        println!(
            "imported into {location}: {} change(s), {} audit entr{}",
            imp.changes() + r.removed.len(),
            imp.audit_entries,
            if imp.audit_entries == 1 { "y" } else { "ies" }
        );
    }
}
