//! `netra export --omop DIR`: the registry as an OMOP CDM 5.4 extract. The
//! store gives each patient's course and records; `netra_ingest::omop`
//! turns them into the CDM's tables (a pure function), written here as CSV.

use std::path::Path;

use netra_clinical::lines::LineRules;
use netra_ingest::omop::{PatientRecords, export, tables::TABLES};
use netra_store::{CourseFilter, Registry};

use super::registry_args::{DbArgs, block_on};

/// Writes the extract of the registry at `db` into `dir`.
pub fn run(dir: &Path, db: &DbArgs) -> anyhow::Result<()> {
    let location = db.location();
    let (patients, sites) = block_on(async {
        let registry = Registry::open(&location).await?;
        let result = async {
            let courses = registry.courses(&CourseFilter::default()).await?;
            let mut patients = Vec::with_capacity(courses.len());
            for course in courses {
                let records = registry
                    .patient_records(&course.patient.code)
                    .await?
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(e, rows)| {
                        let rows = rows
                            .iter()
                            .map(|r| r.iter().map(|v| v.to_text()).collect())
                            .collect();
                        (e, rows)
                    })
                    .collect();
                patients.push(PatientRecords { course, records });
            }
            let sites: Vec<(String, String)> = registry
                .sites()
                .await?
                .into_iter()
                .map(|s| (s.site, s.name))
                .collect();
            Ok::<_, netra_store::StoreError>((patients, sites))
        }
        .await;
        registry.close().await;
        result
    })??;
    let extract = export(&patients, &sites, &LineRules::default());
    std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    println!(
        "exported {} patients from {} as OMOP CDM 5.4 to {}",
        patients.len(),
        location.display(),
        dir.display()
    );
    for (table, _) in TABLES {
        let path = dir.join(format!("{table}.csv"));
        std::fs::write(&path, extract.to_csv(table))
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        println!(
            "  {:<34} {:>9}",
            format!("{table}.csv"),
            extract.rows(table).len()
        );
    }
    Ok(())
}
