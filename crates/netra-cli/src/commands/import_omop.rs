//! `netra import omop DIR`: an OMOP CDM 5.4 extract (CSV tables), converted
//! by `netra_ingest::omop` and imported by the store's one all-or-nothing
//! path, like the REDCap and sheet importers.

use std::path::PathBuf;

use netra_ingest::redcap::Input;

use super::import_redcap::{import_converted, refuse};
use super::registry_args::{ActorArgs, DbArgs};

/// Arguments of `netra import omop`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The extract's directory: person.csv and concept.csv, and any of
    /// observation_period, death, care_site, condition_occurrence,
    /// drug_exposure, procedure_occurrence, measurement, observation,
    /// episode, episode_event (.csv).
    dir: PathBuf,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    actor: ActorArgs,
    /// Check everything against the registry and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Runs `netra import omop`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let entries =
        std::fs::read_dir(&args.dir).map_err(|e| anyhow::anyhow!("{}: {e}", args.dir.display()))?;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        if name.to_ascii_lowercase().ends_with(".csv") {
            let bytes =
                std::fs::read(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            files.push((name, bytes));
        }
    }
    files.sort();
    let inputs: Vec<Input<'_>> = files
        .iter()
        .map(|(n, b)| Input { name: n, bytes: b })
        .collect();
    let source = args.dir.display().to_string();
    let converted = netra_ingest::omop::convert(&inputs, &source).map_err(|i| refuse(&i))?;
    // An OMOP extract is a full export of its source: no source name is
    // recorded, so a re-import never removes records (the bundle import's
    // rule); naming OMOP sources for removals is left to a mapping file.
    let how = super::import_redcap::How {
        source: None,
        cells: None,
        dry_run: args.dry_run,
        keep_missing: true,
    };
    import_converted(&converted, &args.db, &args.actor, &how)
}
