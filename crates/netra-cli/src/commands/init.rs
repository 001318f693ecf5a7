//! `netra init`: create a registry (or upgrade its schema).

use netra_store::Registry;
use netra_store::migrate::MIGRATIONS;

use super::registry_args::{DbArgs, block_on};

/// Arguments of `netra init`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
}

/// Runs `netra init`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let location = args.db.location();
    let (registry, ran) = block_on(Registry::init(&location))??;
    let latest = MIGRATIONS.last().map_or(0, |m| m.version);
    if ran.is_empty() {
        println!(
            "registry at {} is up to date (schema version {latest})",
            location.display()
        );
    } else {
        println!(
            "registry at {} ready (schema version {latest}; applied migration(s) {})",
            location.display(),
            ran.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(", ")
        );
    }
    block_on(registry.close())?;
    Ok(())
}
