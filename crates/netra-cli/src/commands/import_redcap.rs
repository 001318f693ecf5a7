//! `netra import redcap`: a REDCap project's data dictionary and records
//! exports, converted through a mapping file by `netra-ingest`, imported by
//! the store's one all-or-nothing path (checks, audit, re-import diff);
//! `--suggest-mapping` drafts the mapping from the dictionary. `netra import
//! sheet`: a one-row-per-patient spreadsheet (CSV) through the same mapping
//! format.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use netra_clinical::registry::schema::Entity;
use netra_ingest::redcap::{Input, convert};
use netra_ingest::{Converted, Issues, key_text};
use netra_store::{Bundle, ImportOptions, ImportReport, Registry, StoreError};

use super::registry_args::{ActorArgs, DbArgs, block_on};

/// Arguments of `netra import redcap`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project's data dictionary (CSV export).
    #[arg(long, value_name = "CSV")]
    dictionary: PathBuf,
    /// The records export (CSV, raw coded values).
    #[arg(long, value_name = "CSV", required_unless_present = "suggest_mapping")]
    records: Option<PathBuf>,
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
}

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
    let dict_bytes = read(&args.dictionary)?;
    let dict_name = name(&args.dictionary);
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
    let (Some(records), Some(mapping)) = (&args.records, &args.mapping) else {
        anyhow::bail!("give --records and --mapping (or --suggest-mapping OUT.toml)");
    };
    let rec_bytes = read(records)?;
    let map_bytes = read(mapping)?;
    let converted = convert(
        Input {
            name: &dict_name,
            bytes: &dict_bytes,
        },
        Input {
            name: &name(records),
            bytes: &rec_bytes,
        },
        Input {
            name: &name(mapping),
            bytes: &map_bytes,
        },
    )
    .map_err(|i| refuse(&i))?;
    import_converted(&converted, &args.db, &args.actor, args.dry_run)
}

/// Arguments of `netra import sheet`.
#[derive(Debug, clap::Args)]
pub struct SheetArgs {
    /// The spreadsheet, one row per patient, saved as CSV (first column: the patient).
    #[arg(long, value_name = "CSV")]
    file: PathBuf,
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
}

/// Runs `netra import sheet`.
pub fn run_sheet(args: SheetArgs) -> anyhow::Result<()> {
    let sheet = read(&args.file)?;
    let map = read(&args.mapping)?;
    let converted = netra_ingest::sheet::convert_csv(
        Input {
            name: &name(&args.file),
            bytes: &sheet,
        },
        Input {
            name: &name(&args.mapping),
            bytes: &map,
        },
    )
    .map_err(|i| refuse(&i))?;
    import_converted(&converted, &args.db, &args.actor, args.dry_run)
}

/// Imports converted rows through the store's one import path and prints
/// the summary; the store's problems are told in the source's terms.
pub(super) fn import_converted(
    converted: &Converted,
    db: &DbArgs,
    actor: &ActorArgs,
    dry_run: bool,
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
    let opts = ImportOptions { actor, dry_run };
    let location = db.location();
    let (report, absent) = block_on(async {
        let registry = Registry::open(&location).await?;
        let absent = not_in_source(&registry, converted).await;
        let result = registry.import_bundle(&bundle, &opts).await;
        registry.close().await;
        match (result, absent) {
            (Ok(r), Ok(a)) => Ok((r, a)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        }
    })?
    .map_err(|e| match e {
        StoreError::Invalid(problems) => {
            for p in &problems.list {
                eprintln!("error: {}", in_source_terms(converted, p));
            }
            anyhow::anyhow!(
                "{} problem(s) found; nothing was written",
                problems.list.len()
            )
        }
        other => anyhow::anyhow!("{other}"),
    })?;
    print_report(&report, &absent, &location.display());
    Ok(())
}

/// A store problem of a converted table, told in the source's terms: the
/// records file, its line and the REDCap field, with the registry column.
fn in_source_terms(c: &Converted, p: &netra_store::Problem) -> String {
    let Some(at) = c.locate(&p.file, p.column.as_deref()) else {
        return p.to_string();
    };
    let mut s = at.file.clone();
    if let Some(l) = p.line {
        s.push_str(&format!(", line {l}"));
    }
    match (&at.origin, &p.column) {
        (Some((n, field)), Some(col)) => {
            s.push_str(&format!(
                ", column {n} ({field} → {} {col})",
                at.entity_file
            ));
        }
        (None, Some(col)) => s.push_str(&format!(" ({} {col}, from the mapping)", at.entity_file)),
        _ => s.push_str(&format!(" ({})", at.entity_file)),
    }
    s.push_str(&format!(": {}", p.reason));
    if let Some(v) = &p.value {
        s.push_str(&format!(" (value '{v}')"));
    }
    s
}

/// Per entity, the registry's records of the source's patients that the
/// source no longer has (deleted there): counted and kept, since an import
/// never deletes.
async fn not_in_source(r: &Registry, c: &Converted) -> Result<Vec<(Entity, usize)>, StoreError> {
    let mut out: Vec<(Entity, usize)> = Vec::new();
    let Some(patients) = c.table(Entity::Patient) else {
        return Ok(out);
    };
    let source_keys: Vec<(Entity, HashSet<String>)> = c
        .tables
        .iter()
        .map(|t| (t.entity, (0..t.rows.len()).map(|i| t.key(i)).collect()))
        .collect();
    for row in &patients.rows {
        let Some(code) = row[0].as_deref() else {
            continue;
        };
        let Some(stored) = r.patient_records(code).await? else {
            continue;
        };
        for (entity, rows) in stored {
            let keys = source_keys
                .iter()
                .find(|(e, _)| *e == entity)
                .map(|(_, k)| k);
            let pos = entity.spec().key_positions();
            let n = rows
                .iter()
                .filter(|v| {
                    let k = key_text(
                        pos.iter()
                            .map(|&i| v[i].to_text())
                            .collect::<Vec<_>>()
                            .iter()
                            .map(|t| t.as_deref()),
                    );
                    !keys.is_some_and(|s| s.contains(&k))
                })
                .count();
            if n > 0 {
                match out.iter_mut().find(|(e, _)| *e == entity) {
                    Some(x) => x.1 += n,
                    None => out.push((entity, n)),
                }
            }
        }
    }
    Ok(out)
}

fn print_report(r: &ImportReport, absent: &[(Entity, usize)], location: &str) {
    if r.dry_run {
        println!("dry run: no problem found; nothing was written to {location}");
    }
    println!(
        "{:<34} {:>7} {:>7} {:>8} {:>10} {:>14}",
        "table", "rows", "added", "changed", "unchanged", "not in source"
    );
    let mut entities: Vec<Entity> = r.entities.iter().map(|e| e.entity).collect();
    entities.extend(absent.iter().map(|a| a.0));
    entities.sort();
    entities.dedup();
    for e in entities {
        let c = r.entities.iter().find(|c| c.entity == e);
        let gone = absent.iter().find(|a| a.0 == e).map_or(0, |a| a.1);
        println!(
            "{:<34} {:>7} {:>7} {:>8} {:>10} {:>14}",
            e.spec().file,
            c.map_or(0, |c| c.rows),
            c.map_or(0, |c| c.inserted),
            c.map_or(0, |c| c.updated),
            c.map_or(0, |c| c.unchanged),
            gone
        );
    }
    let gone: usize = absent.iter().map(|a| a.1).sum();
    if gone > 0 {
        println!(
            "{gone} record(s) of these patients are in the registry but no longer in the export: kept (an import never deletes; remove them by hand if they were deleted on purpose)"
        );
    }
    if !r.dry_run {
        println!(
            "imported into {location}: {} change(s), {} audit entr{}",
            r.changes(),
            r.audit_entries,
            if r.audit_entries == 1 { "y" } else { "ies" }
        );
    }
}
