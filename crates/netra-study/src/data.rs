//! The data of a study: patients' courses read from a registry, and the
//! hashes that identify them in the manifest.
//!
//! * `db`: the registry is opened and read; its content is hashed as the
//!   bundle `netra export` would write (one SHA-256 per file), so that the
//!   hash does not depend on the backend or on the database file's layout.
//! * `bundle`: the files are hashed as read, then imported into a fresh
//!   embedded registry in a temporary directory (removed afterwards), and
//!   read back — the same path every registry analysis takes.
//! * `simulate`: `netra simulate` writes the bundle into the temporary
//!   directory; then as `bundle`.
//!
//! Patients of one study (`[data] study`) are those of that study's sites.

use std::path::{Path, PathBuf};

use netra_clinical::registry::model::PatientCourse;
use netra_store::{Actor, Bundle, CourseFilter, ImportOptions, Location, Registry};
use sha2::{Digest, Sha256};

use crate::StudyError;
use crate::spec::DataSource;

/// A file of the data and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HashedFile {
    /// File name (within the bundle).
    pub name: String,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// What the data were and their hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataIdentity {
    /// `bundle`, `db` or `simulate`.
    pub kind: String,
    /// Where (path, redacted URL, or the simulation's parameters).
    pub location: String,
    /// Study code filter, if any.
    pub study: Option<String>,
    /// Every file, sorted by name.
    pub files: Vec<HashedFile>,
    /// SHA-256 of the `sha256sum`-style listing of `files`
    /// (`<hash>  <name>\n` per file): one hash for the whole data.
    pub sha256: String,
}

/// The courses of a study and what identifies them.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// Courses in patient-code order.
    pub courses: Vec<PatientCourse>,
    /// Identity for the manifest.
    pub identity: DataIdentity,
    /// What a simulation knows that its records do not (the simulator's
    /// `simulation.json`: the truth and the simulation study), for a
    /// simulated registry whose model writes it.
    pub simulation: Option<serde_json::Value>,
}

/// Lower-case hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Hashes the bundle files of a directory (the names the bundle format
/// knows), sorted by name.
pub fn hash_bundle_dir(dir: &Path) -> Result<Vec<HashedFile>, StudyError> {
    let mut out = Vec::new();
    for name in netra_store::bundle::file_names() {
        let p = dir.join(name);
        if p.is_file() {
            let bytes = std::fs::read(&p).map_err(|e| StudyError::io(&p, e))?;
            out.push(HashedFile {
                name: name.to_string(),
                sha256: sha256_hex(&bytes),
                bytes: bytes.len() as u64,
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

fn combined(files: &[HashedFile]) -> String {
    let mut listing = String::new();
    for f in files {
        listing.push_str(&f.sha256);
        listing.push_str("  ");
        listing.push_str(&f.name);
        listing.push('\n');
    }
    sha256_hex(listing.as_bytes())
}

fn runtime() -> Result<tokio::runtime::Runtime, StudyError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StudyError::io("tokio runtime", e))
}

fn actor() -> Actor {
    Actor {
        user: "netra-report".into(),
        reason: Some("temporary registry of a study run".into()),
    }
}

/// Reads the courses of `study` (a study code) or of everyone.
async fn read_courses(
    registry: &Registry,
    study: Option<&str>,
) -> Result<Vec<PatientCourse>, StudyError> {
    let filter = match study {
        None => CourseFilter::default(),
        Some(code) => {
            let sites: Vec<String> = registry
                .sites()
                .await?
                .into_iter()
                .filter(|s| s.study == code)
                .map(|s| s.site)
                .collect();
            if sites.is_empty() {
                return Err(StudyError::analysis(
                    "data",
                    format!("the registry has no study '{code}' (no site belongs to it)"),
                ));
            }
            CourseFilter {
                sites: Some(sites),
                patients: None,
            }
        }
    };
    Ok(registry.courses(&filter).await?)
}

/// Imports the bundle at `dir` into a fresh registry at `db` and reads it.
async fn import_and_read(
    dir: &Path,
    db: &Path,
    study: Option<&str>,
) -> Result<Vec<PatientCourse>, StudyError> {
    let location = Location::Sqlite(db.to_path_buf());
    let (registry, _) = Registry::init(&location).await?;
    let bundle = Bundle::read_dir(dir)?;
    let result = async {
        registry
            .import_bundle(
                &bundle,
                &ImportOptions {
                    actor: actor(),
                    dry_run: false,
                },
            )
            .await?;
        read_courses(&registry, study).await
    }
    .await;
    registry.close().await;
    result
}

/// A simulated registry a study asks for (`[data] simulate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulationRequest {
    /// Patients.
    pub patients: u64,
    /// Seed.
    pub seed: u64,
    /// Study code (also the patient-code prefix).
    pub study: String,
    /// Centres.
    pub sites: u32,
    /// The simulator's model: `published` or `sequence_trial`.
    pub model: String,
    /// Registries of the simulation study (`sequence_trial`; 0: none).
    pub coverage: u32,
}

/// The file a simulator may write beside the bundle with what the records
/// do not hold (the truth, the simulation study).
pub const SIMULATION_FILE: &str = "simulation.json";

/// Writes the bundle of a simulated registry into a directory. The
/// simulator (`netra-sim`) is a leaf crate that only the `netra` binary
/// links; it hands this function to study runs, so no library crate
/// depends on the simulator at run time.
pub type Simulator = fn(&SimulationRequest, &Path) -> Result<(), String>;

/// Loads the data of a study. `db` (the command line's `--db`) replaces the
/// study file's source; `display` names it in the manifest instead of its
/// path (the demo's registry lives in a run-specific directory).
pub fn load(
    source: &DataSource,
    study: Option<&str>,
    display: Option<&str>,
    simulator: Option<Simulator>,
) -> Result<Dataset, StudyError> {
    let rt = runtime()?;
    match source {
        DataSource::Federation(f) => Err(StudyError::analysis(
            "data",
            format!(
                "the data are a federation ({}, study {}): its records stay at the centres; \
                 run the study with `netra report`, which sends its analyses to the hub",
                f.hub, f.study
            ),
        )),
        DataSource::Db(text) => {
            let location = Location::parse(text);
            let tmp = tempfile::tempdir().map_err(|e| StudyError::io("temporary directory", e))?;
            let courses = rt.block_on(async {
                let registry = Registry::open(&location).await?;
                let result = async {
                    let courses = read_courses(&registry, study).await?;
                    registry.export_bundle(tmp.path()).await?;
                    Ok::<_, StudyError>(courses)
                }
                .await;
                registry.close().await;
                result
            })?;
            let files = hash_bundle_dir(tmp.path())?;
            Ok(Dataset {
                courses,
                simulation: None,
                identity: DataIdentity {
                    kind: "db".into(),
                    location: display.map_or_else(|| location.display(), str::to_string),
                    study: study.map(str::to_string),
                    sha256: combined(&files),
                    files,
                },
            })
        }
        DataSource::Bundle(dir) => {
            let files = hash_bundle_dir(dir)?;
            if files.is_empty() {
                return Err(StudyError::io(
                    dir,
                    "no bundle files (patients.csv, …) here",
                ));
            }
            let tmp = tempfile::tempdir().map_err(|e| StudyError::io("temporary directory", e))?;
            let courses =
                rt.block_on(import_and_read(dir, &tmp.path().join("registry.db"), study))?;
            Ok(Dataset {
                courses,
                simulation: None,
                identity: DataIdentity {
                    kind: "bundle".into(),
                    location: display.map_or_else(|| portable(dir), str::to_string),
                    study: study.map(str::to_string),
                    sha256: combined(&files),
                    files,
                },
            })
        }
        DataSource::Simulate {
            patients,
            seed,
            study: sim_study,
            sites,
            model,
            coverage,
        } => {
            let simulate = simulator.ok_or_else(|| {
                StudyError::analysis(
                    "simulate",
                    "this program cannot simulate registries (run the study with `netra report`)",
                )
            })?;
            let tmp = tempfile::tempdir().map_err(|e| StudyError::io("temporary directory", e))?;
            let bundle = tmp.path().join("bundle");
            simulate(
                &SimulationRequest {
                    patients: *patients,
                    seed: *seed,
                    study: sim_study.clone(),
                    sites: *sites,
                    model: model.clone(),
                    coverage: *coverage,
                },
                &bundle,
            )
            .map_err(|e| StudyError::analysis("simulate", e))?;
            let simulation = read_simulation(&bundle.join(SIMULATION_FILE))?;
            let files = hash_bundle_dir(&bundle)?;
            let courses = rt.block_on(import_and_read(
                &bundle,
                &tmp.path().join("registry.db"),
                study,
            ))?;
            Ok(Dataset {
                courses,
                simulation,
                identity: DataIdentity {
                    kind: "simulate".into(),
                    location: display.map_or_else(
                        || {
                            let mut cmd = String::from("netra simulate");
                            if model != "published" {
                                cmd.push_str(&format!(" --model {model}"));
                            }
                            cmd.push_str(&format!(
                                " --patients {patients} --seed {seed} --study {sim_study} \
                                 --sites {sites}"
                            ));
                            if *coverage > 0 {
                                cmd.push_str(&format!(" --coverage {coverage}"));
                            }
                            cmd
                        },
                        str::to_string,
                    ),
                    study: study.map(str::to_string),
                    sha256: combined(&files),
                    files,
                },
            })
        }
    }
}

/// Reads the simulator's [`SIMULATION_FILE`] when it wrote one.
fn read_simulation(path: &Path) -> Result<Option<serde_json::Value>, StudyError> {
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(|e| StudyError::io(path, e))?;
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| StudyError::io(path, format!("not JSON: {e}")))
}

/// A path written with `/` whatever the platform (manifests compare across
/// machines).
pub fn portable(p: &Path) -> String {
    let parts: Vec<String> = p
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let s = parts.join("/");
    if p.is_absolute() && !s.starts_with('/') {
        format!("/{s}")
    } else {
        s.replace("//", "/")
    }
}

/// A path relative to `base` when it lies inside it.
pub fn relative_to(p: &Path, base: &Path) -> PathBuf {
    p.strip_prefix(base)
        .map_or_else(|_| p.to_path_buf(), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_text() {
        // printf 'abc' | sha256sum
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn combined_hash_is_the_sha256sum_listing() {
        let files = vec![HashedFile {
            name: "a.csv".into(),
            sha256: "00".into(),
            bytes: 1,
        }];
        assert_eq!(combined(&files), sha256_hex(b"00  a.csv\n"));
    }
}
