//! `netra validate`: check a bundle without writing anything.

use std::path::PathBuf;

use netra_store::{Bundle, ImportOptions, Location, Registry, validate_bundle_noting};

use super::registry_args::{ActorArgs, block_on, report_problems};

/// Arguments of `netra validate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The bundle directory.
    dir: PathBuf,
    /// Also check against this registry (references to stored records then
    /// resolve, as `netra import --dry-run` does). Without it the bundle is
    /// checked on its own and needs no database.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
}

/// Runs `netra validate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let bundle = Bundle::read_dir(&args.dir).map_err(report_problems)?;
    let rows = bundle.n_rows();
    let files = bundle.counts().len();
    let flags = match &args.db {
        None => {
            let (problems, flags) = validate_bundle_noting(&bundle);
            if !problems.is_empty() {
                eprint!("{problems}");
                anyhow::bail!("{} problem(s) found", problems.len());
            }
            flags
        }
        Some(db) => {
            let location = Location::parse(db);
            let actor = ActorArgs {
                user: Some("validate".into()),
                reason: None,
            }
            .actor()?;
            block_on(async {
                let registry = Registry::open(&location).await?;
                let r = registry
                    .import_bundle(
                        &bundle,
                        &ImportOptions {
                            actor,
                            dry_run: true,
                        },
                    )
                    .await;
                registry.close().await;
                r
            })?
            .map_err(report_problems)?
            .flags
        }
    };
    // As `netra import` prints them: accepted, but worth a look.
    for f in &flags {
        println!("note: {f}");
    }
    println!(
        "{}: valid ({rows} rows in {files} file{})",
        args.dir.display(),
        if files == 1 { "" } else { "s" }
    );
    Ok(())
}
