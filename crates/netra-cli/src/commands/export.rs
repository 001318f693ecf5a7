//! `netra export`: write the registry as a bundle directory (or, with
//! `--omop DIR`, as an OMOP CDM 5.4 extract: `super::export_omop`; with
//! `--dataset DIR`, the analysis data set for R, Stata and SAS:
//! `super::export_dataset`).

use std::path::PathBuf;

use netra_store::Registry;

use super::registry_args::{DbArgs, block_on};

/// Arguments of `netra export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the bundle's CSV files into (created if needed;
    /// existing bundle files are overwritten).
    #[arg(required_unless_present_any = ["omop", "dataset"])]
    dir: Option<PathBuf>,
    /// Write an OMOP CDM 5.4 extract (CSV tables with their concepts and
    /// the derived lines of therapy as episodes) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with = "dir")]
    omop: Option<PathBuf>,
    #[command(flatten)]
    dataset: super::export_dataset::DatasetArgs,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `netra export`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(dir) = &args.omop {
        return super::export_omop::run(dir, &args.db);
    }
    if let Some(dir) = &args.dataset.dataset {
        return super::export_dataset::run(dir, &args.dataset, &args.db);
    }
    let Some(dir) = args.dir.clone() else {
        anyhow::bail!("give a directory (or --omop DIR)");
    };
    let location = args.db.location();
    let report = block_on(async {
        let registry = Registry::open(&location).await?;
        let r = registry.export_bundle(&dir).await;
        registry.close().await;
        r
    })??;
    let total: usize = report.entities.iter().map(|(_, n)| n).sum();
    println!(
        "exported {total} rows from {} to {}",
        location.display(),
        dir.display()
    );
    for (e, n) in &report.entities {
        println!("  {:<34} {n:>9}", e.spec().file);
    }
    Ok(())
}
