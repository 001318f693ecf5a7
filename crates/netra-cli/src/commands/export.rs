//! `netra export`: write the registry as a bundle directory (or, with
//! `--omop DIR`, as an OMOP CDM 5.4 extract: `super::export_omop`; with
//! `--dataset DIR`, the analysis data set for R, Stata and SAS:
//! `super::export_dataset`); with `--parquet DIR` also (or only) as Parquet
//! data sets (issue 18).

use std::path::{Path, PathBuf};

use netra_store::Registry;

use super::registry_args::{DbArgs, block_on};

/// Arguments of `netra export`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the bundle's CSV files into (created if needed;
    /// existing bundle files are overwritten).
    #[arg(required_unless_present_any = ["omop", "dataset", "parquet"])]
    dir: Option<PathBuf>,
    /// Write an OMOP CDM 5.4 extract (CSV tables with their concepts and
    /// the derived lines of therapy as episodes) into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dir", "parquet"])]
    omop: Option<PathBuf>,
    /// Also (or only) write the registry as Parquet: one data set
    /// `DIR/<table>/` of part files per bundle table, plus the derived
    /// `lines` and `endpoints` (OS and PFS from metastatic disease, months).
    /// Needs the `engine` build feature.
    #[arg(long, value_name = "DIR")]
    parquet: Option<PathBuf>,
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
    let location = args.db.location();
    // Without a bundle directory the CSV files are staged next to the
    // Parquet output and removed afterwards.
    let staged = match (&args.dir, &args.parquet) {
        (Some(d), _) => d.clone(),
        (None, Some(p)) => p.join(".netra-export-csv"),
        (None, None) => {
            anyhow::bail!("give a bundle directory, --omop DIR, --dataset DIR or --parquet DIR")
        }
    };
    let report = block_on(async {
        let registry = Registry::open(&location).await?;
        let r = registry.export_bundle(&staged).await;
        registry.close().await;
        r
    })??;
    let total: usize = report.entities.iter().map(|(_, n)| n).sum();
    if let Some(out) = &args.parquet {
        let derived = tempdir_in(out)?;
        write_derived(&args.db, &derived)?;
        let mut written = crate::engine::bundle_to_parquet(&staged, out)?;
        written.extend(crate::engine::bundle_to_parquet(&derived, out)?);
        let _ = std::fs::remove_dir_all(&derived);
        if args.dir.is_none() {
            let _ = std::fs::remove_dir_all(&staged);
        }
        println!(
            "exported {total} rows from {} as Parquet to {}",
            location.display(),
            out.display()
        );
        for (table, rows, files) in &written {
            println!("  {table:<34} {rows:>9} rows in {files} file(s)");
        }
        if args.dir.is_none() {
            return Ok(());
        }
    }
    println!(
        "exported {total} rows from {} to {}",
        location.display(),
        staged.display()
    );
    for (e, n) in &report.entities {
        println!("  {:<34} {n:>9}", e.spec().file);
    }
    Ok(())
}

fn tempdir_in(out: &Path) -> anyhow::Result<PathBuf> {
    let dir = out.join(".netra-export-derived");
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// The derived tables as CSV in `dir`: every course's lines with TTP/PFS
/// (`netra lines --format csv`) and OS and PFS from metastatic disease
/// (`netra endpoints --format csv`), with the default rules and without
/// the patients excluded from the study's analyses.
fn write_derived(db: &DbArgs, dir: &Path) -> anyhow::Result<()> {
    use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort};
    let location = db.location();
    let courses = block_on(async {
        let registry = Registry::open(&location).await?;
        let c = registry
            .courses(&netra_store::CourseFilter::default())
            .await;
        registry.close().await;
        c
    })??;
    // As `netra lines` and `netra endpoints` by default: patients marked
    // excluded from the study's analyses are left out.
    let courses: Vec<_> = courses
        .into_iter()
        .filter(|c| c.patient.excluded != Some(true))
        .collect();
    let rules = netra_clinical::lines::LineRules::default();
    let all = super::lines::derive_all(&courses, &rules, Default::default());
    std::fs::write(dir.join("lines.csv"), super::lines::csv(&all))?;
    let arm_of: std::collections::HashMap<&str, &str> = courses
        .iter()
        .filter_map(|c| Some((c.patient.code.as_str(), c.patient.arm.as_deref()?)))
        .collect();
    let mut text = String::new();
    for endpoint in [Endpoint::Os, Endpoint::Pfs] {
        let spec = EndpointSpec::new(endpoint, TimeZero::Metastatic);
        let out = derive_cohort(&courses, &spec, &rules);
        let csv = super::endpoints::csv(&spec, &out.rows, &arm_of);
        // One header for both endpoints.
        let body = if text.is_empty() {
            csv.as_str()
        } else {
            csv.split_once('\n').map_or("", |(_, b)| b)
        };
        text.push_str(body);
    }
    std::fs::write(dir.join("endpoints.csv"), text)?;
    Ok(())
}
