//! `netra import omop DIR` or `netra import omop --postgres URL --schema
//! NAME`: an OMOP CDM 5.4 extract (CSV tables, or the tables of a
//! PostgreSQL schema read by `netra_store::omop_source`), converted by
//! `netra_ingest::omop` (with `--mapping FILE` for the site's local
//! concepts) and imported by the store's one all-or-nothing path, like the
//! REDCap and sheet importers.

use std::path::PathBuf;

use netra_ingest::omop::{ConceptMap, concepts, tables::TABLES};
use netra_ingest::redcap::Input;

use super::import_redcap::{import_converted, refuse};
use super::registry_args::{ActorArgs, DbArgs, block_on};

/// Arguments of `netra import omop`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The extract's directory: person.csv and concept.csv, and any of
    /// observation_period, death, care_site, condition_occurrence,
    /// drug_exposure, procedure_occurrence, measurement, observation,
    /// episode, episode_event (.csv).
    #[arg(required_unless_present = "postgres", conflicts_with = "postgres")]
    dir: Option<PathBuf>,
    /// Read the CDM tables from this PostgreSQL database
    /// (postgres://user@host/db) instead of a directory.
    #[arg(long, value_name = "URL", requires = "schema")]
    postgres: Option<String>,
    /// The schema holding the CDM tables (with --postgres).
    #[arg(long, value_name = "NAME", requires = "postgres")]
    schema: Option<String>,
    /// A mapping file (TOML) for the site's local concepts (ids from
    /// 2,000,000,000): `[concepts] 2000100001 = "ihc_stain/sstr2"`.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    actor: ActorArgs,
    /// Check everything against the registry and write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The CSV files of an extract's directory.
fn read_dir(dir: &std::path::Path) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
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
    Ok(files)
}

/// Runs `netra import omop`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let map = match &args.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some(ConceptMap::parse(&path.display().to_string(), &text).map_err(|i| refuse(&i))?)
        }
        None => None,
    };
    let converted = match (&args.dir, &args.postgres, &args.schema) {
        (_, Some(url), Some(schema)) => {
            let standard: Vec<i64> = concepts::standards()
                .into_iter()
                .filter_map(|s| s.concept.map(|c| c.id))
                .collect();
            let tables = block_on(netra_store::omop_source::read_omop_schema(
                url, schema, TABLES, &standard,
            ))??;
            let tables: Vec<(String, Vec<u8>)> =
                tables.into_iter().map(|t| (t.name, t.csv)).collect();
            netra_ingest::omop::convert_schema(&tables, schema, map.as_ref())
                .map_err(|i| refuse(&i))?
        }
        (Some(dir), _, _) => {
            let files = read_dir(dir)?;
            let inputs: Vec<Input<'_>> = files
                .iter()
                .map(|(n, b)| Input { name: n, bytes: b })
                .collect();
            let source = dir.display().to_string();
            netra_ingest::omop::convert_with(&inputs, &source, map.as_ref())
                .map_err(|i| refuse(&i))?
        }
        _ => anyhow::bail!("give the extract's directory, or --postgres URL --schema NAME"),
    };
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
