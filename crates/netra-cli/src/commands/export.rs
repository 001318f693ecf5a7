//! `netra export`: write the registry as a bundle directory.

use std::path::PathBuf;

use netra_store::Registry;

use super::registry_args::{DbArgs, block_on};

/// Arguments of `netra export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the bundle's CSV files into (created if needed;
    /// existing bundle files are overwritten).
    dir: PathBuf,
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `netra export`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let location = args.db.location();
    let report = block_on(async {
        let registry = Registry::open(&location).await?;
        let r = registry.export_bundle(&args.dir).await;
        registry.close().await;
        r
    })??;
    let total: usize = report.entities.iter().map(|(_, n)| n).sum();
    println!(
        "exported {total} rows from {} to {}",
        location.display(),
        args.dir.display()
    );
    for (e, n) in &report.entities {
        println!("  {:<34} {n:>9}", e.spec().file);
    }
    Ok(())
}
