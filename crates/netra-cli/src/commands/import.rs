//! `netra import`: load a bundle directory or a flat survival CSV into the
//! registry, in one transaction, with every problem reported.

use std::path::PathBuf;

use netra_clinical::registry::PartialDate;
use netra_store::flat::{FlatOptions, TimeUnit};
use netra_store::{ImportBudget, ImportOptions, ImportReport, Registry};

use super::registry_args::{ActorArgs, DbArgs, block_on, report_problems};

/// Arguments of `netra import`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Another source, converted through a mapping file (docs/import.md).
    #[command(subcommand)]
    source: Option<Source>,
    /// A bundle directory (docs/bundle-format.md) or a flat survival CSV file.
    path: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    actor: ActorArgs,
    /// Check everything against the registry and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the time of each phase (reading, loading, checking, writing, committing).
    #[arg(long)]
    timings: bool,
    /// Bundle directory: memory for the bundle's blocks, in MiB (the
    /// directory is imported block by block, ranges of patient codes, in
    /// one transaction; a SQLite registry's page cache for the import is
    /// at most half of it, 512 MiB at most).
    #[arg(long, default_value_t = 1024, value_name = "MIB")]
    memory_budget: u64,
    /// Flat CSV: patient code column.
    #[arg(long, default_value = "patient", value_name = "COL")]
    patient_col: String,
    /// Flat CSV: follow-up time column.
    #[arg(long, default_value = "time", value_name = "COL")]
    time_col: String,
    /// Flat CSV: event column (1/0 or TRUE/FALSE: death).
    #[arg(long, default_value = "event", value_name = "COL")]
    event_col: String,
    /// Flat CSV: group column, stored as the patient's arm.
    #[arg(long, value_name = "COL")]
    group_col: Option<String>,
    /// Flat CSV: unit of the time column.
    #[arg(long, default_value = "months", value_parser = ["days", "months", "years"])]
    time_unit: String,
    /// Flat CSV: synthetic study-entry date (YYYY-MM-DD).
    #[arg(long, default_value = "2000-01-01", value_name = "DATE")]
    anchor: String,
    /// Flat CSV: study code.
    #[arg(long, default_value = "flat")]
    study: String,
    /// Flat CSV: site code.
    #[arg(long, default_value = "flat")]
    site: String,
}

/// Sources converted through a mapping file.
#[derive(Debug, clap::Subcommand)]
pub enum Source {
    /// A REDCap project: data dictionary and records exports (CSV, raw
    /// codes) through a mapping file, or --suggest-mapping to draft one.
    Redcap(Box<super::import_redcap::Args>),
    /// A spreadsheet with one row per patient, saved as CSV, with repeated
    /// column groups (tx1_agent, tx2_agent, …), through a mapping file.
    Sheet(Box<super::import_redcap::SheetArgs>),
    /// An OMOP CDM 5.4 extract: a directory of CSV tables (person.csv,
    /// concept.csv, drug_exposure.csv, episode.csv, …).
    Omop(Box<super::import_omop::Args>),
}

/// Runs `netra import`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.source {
        Some(Source::Redcap(r)) => return super::import_redcap::run(*r),
        Some(Source::Sheet(r)) => return super::import_redcap::run_sheet(*r),
        Some(Source::Omop(r)) => return super::import_omop::run(*r),
        None => {}
    }
    let Some(path) = args.path.clone() else {
        anyhow::bail!(
            "give a bundle directory, a flat survival CSV, `redcap` or `sheet` (netra import --help)"
        );
    };
    let actor = args.actor.actor()?;
    let opts = ImportOptions {
        actor,
        dry_run: args.dry_run,
    };
    let location = args.db.location();
    let started = std::time::Instant::now();
    let report = block_on(async {
        let registry = Registry::open(&location).await?;
        let result =
            if path.is_dir() {
                let budget = ImportBudget {
                    bytes: args.memory_budget.saturating_mul(1 << 20),
                };
                registry.import_dir(&path, &opts, budget).await
            } else {
                let anchor: PartialDate = args.anchor.parse().map_err(
                    |e: netra_clinical::registry::date::DateError| netra_store::StoreError::Io {
                        path: "--anchor".into(),
                        reason: e.0,
                    },
                )?;
                let flat = FlatOptions {
                    patient_col: args.patient_col.clone(),
                    time_col: args.time_col.clone(),
                    event_col: args.event_col.clone(),
                    group_col: args.group_col.clone(),
                    time_unit: match args.time_unit.as_str() {
                        "days" => TimeUnit::Days,
                        "years" => TimeUnit::Years,
                        _ => TimeUnit::Months,
                    },
                    anchor: anchor.earliest(),
                    study: args.study.clone(),
                    site: args.site.clone(),
                    create_site: true,
                };
                registry.import_flat(&path, &flat, &opts).await
            };
        registry.close().await;
        result
    })?
    .map_err(report_problems)?;
    if args.timings {
        for (phase, secs) in &report.phases {
            eprintln!("  {phase}: {secs:.2} s");
        }
        eprintln!(
            "  total (with close): {:.2} s",
            started.elapsed().as_secs_f64()
        );
    }
    print_report(&report, &location.display());
    Ok(())
}

pub(crate) fn print_report(r: &ImportReport, location: &str) {
    if r.dry_run {
        println!("dry run: no problem found; nothing was written to {location}");
    }
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9}",
        "file", "rows", "new", "changed", "unchanged"
    );
    for e in &r.entities {
        println!(
            "{:<34} {:>9} {:>9} {:>9} {:>9}",
            e.entity.spec().file,
            e.rows,
            e.inserted,
            e.updated,
            e.unchanged
        );
    }
    for f in &r.flags {
        println!("note: {f}");
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
