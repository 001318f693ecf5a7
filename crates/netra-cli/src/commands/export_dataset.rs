//! `netra export --dataset DIR`: the analysis data set (one row per
//! analysed patient: the cohort's variables with their labels and factor
//! levels, and OS and PFS in months with their event indicators) for R,
//! Stata and SAS. The cohort is the layer's (`netra_analysis::Cohort`,
//! patients marked excluded left out unless asked); the files are
//! `netra_report::export`'s.

use std::path::{Path, PathBuf};

use netra_analysis::condition;
use netra_analysis::settings::RuleSettings;
use netra_analysis::{Cohort, CohortSpec};
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero};
use netra_report::export::{DataColumn, DataValues, Dataset, r, sas, stata};
use netra_store::{CourseFilter, Registry};

use super::registry_args::{DbArgs, block_on};

/// A package the data set is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Target {
    /// `netra_data.csv` and `netra_data.R` (factor levels, labels).
    R,
    /// `netra_data.dta` (Stata 14+, format 118, value labels).
    Stata,
    /// `netra_data_sas.csv` and `netra_data.sas` (formats, labels).
    Sas,
}

/// The options of `netra export --dataset`.
#[derive(Debug, Clone, clap::Args)]
pub struct DatasetArgs {
    /// Write the analysis data set (variables with labels and levels, OS
    /// and PFS) for R, Stata and SAS into this directory instead.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["dir", "omop"])]
    pub dataset: Option<PathBuf>,
    /// The packages to write for (comma-separated; default all three).
    #[arg(
        long = "to",
        value_enum,
        value_delimiter = ',',
        default_values_t = [Target::R, Target::Stata, Target::Sas],
        requires = "dataset"
    )]
    pub targets: Vec<Target>,
    /// Time zero of the OS and PFS columns (`diagnosis`, `metastatic`,
    /// `entry`, `line:1` …).
    #[arg(
        long,
        default_value = "metastatic",
        value_name = "FROM",
        requires = "dataset"
    )]
    pub endpoints_from: String,
    /// A cohort condition (`"age_at_diagnosis >= 18"`). Repeatable.
    #[arg(long = "where", value_name = "CONDITION", requires = "dataset")]
    pub conditions: Vec<String>,
    /// Keep patients marked excluded from the study's analyses.
    #[arg(long, requires = "dataset")]
    pub include_excluded: bool,
}

/// The file stem of every file written.
const STEM: &str = "netra_data";

/// Writes the data set of the registry at `db` into `dir`.
pub fn run(dir: &Path, args: &DatasetArgs, db: &DbArgs) -> anyhow::Result<()> {
    let from: TimeZero =
        args.endpoints_from
            .trim()
            .parse()
            .map_err(|e: netra_clinical::endpoints::SpecError| {
                anyhow::anyhow!("--endpoints-from '{}': {}", args.endpoints_from, e.0)
            })?;
    if from == TimeZero::EachLine {
        anyhow::bail!("--endpoints-from line:all gives one row per line; name one line (line:1)");
    }
    let spec = CohortSpec {
        include_excluded: args.include_excluded,
        conditions: args
            .conditions
            .iter()
            .map(|c| {
                condition::parse_expr(c)
                    .map_err(|e| anyhow::anyhow!("--where '{c}': {}", e.message))
            })
            .collect::<anyhow::Result<_>>()?,
        derived: Vec::new(),
    };
    let location = db.location();
    let courses = block_on(async {
        let registry = Registry::open(&location).await?;
        let courses = registry.courses(&CourseFilter::default()).await;
        registry.close().await;
        courses
    })??;
    let cohort = Cohort::new(courses, &spec, RuleSettings::default().resolve()?)?;
    let ds = dataset(&cohort, from)?;
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    let write = |name: String, bytes: &[u8]| -> anyhow::Result<String> {
        let path = dir.join(&name);
        std::fs::write(&path, bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        Ok(name)
    };
    let mut written = Vec::new();
    for t in &args.targets {
        match t {
            Target::R => {
                let e = r::export(&ds, STEM)?;
                written.push(write(format!("{STEM}.csv"), e.csv.as_bytes())?);
                written.push(write(format!("{STEM}.R"), e.script.as_bytes())?);
            }
            Target::Stata => written.push(write(format!("{STEM}.dta"), &stata::dta(&ds)?)?),
            Target::Sas => {
                let e = sas::export(&ds, STEM)?;
                written.push(write(format!("{STEM}_sas.csv"), e.csv.as_bytes())?);
                written.push(write(format!("{STEM}.sas"), e.program.as_bytes())?);
            }
        }
    }
    println!(
        "exported {} patients x {} columns from {} to {}",
        ds.rows(),
        ds.columns.len(),
        location.display(),
        dir.display()
    );
    for w in written {
        println!("  {w}");
    }
    Ok(())
}

/// The cohort's variables, then OS and PFS from `from` (months, event 1,
/// censored 0; missing without a time zero).
pub fn dataset(cohort: &Cohort, from: TimeZero) -> anyhow::Result<Dataset> {
    let mut ds = Dataset::from_frame(&cohort.frame, "netra analysis data set");
    for endpoint in [Endpoint::Os, Endpoint::Pfs] {
        let spec = EndpointSpec::new(endpoint, from);
        let data = cohort.endpoint(&spec, None)?;
        let code = endpoint.code();
        let what = format!("{} from {}", endpoint.label(), from.code());
        ds.columns.push(DataColumn {
            name: format!("{code}_months"),
            label: format!("{what} (months)"),
            values: DataValues::Number(data.time.clone()),
        });
        ds.columns.push(DataColumn {
            name: format!("{code}_event"),
            label: format!("{what}: event (1) or censored (0)"),
            values: DataValues::Number(
                data.time
                    .iter()
                    .zip(&data.event)
                    .map(|(t, e)| t.map(|_| if *e { 1.0 } else { 0.0 }))
                    .collect(),
            ),
        });
    }
    Ok(ds)
}
