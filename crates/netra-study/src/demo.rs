//! `netra demo`: with no setup, an embedded registry holding the bundled
//! radionuclide cohort and a simulated registry, the two example studies run
//! on it, and one report of both.
//!
//! Layout of the demo directory (default `./netra-demo`):
//!
//! ```text
//! registry.db                       the embedded registry (recreated each run)
//! data/radionuclide-2004/*.csv      the bundled cohort, as imported
//! data/sim/*.csv                    the simulated registry, as imported
//! studies/radionuclide.toml         the study files (copies of examples/studies)
//! studies/retrospective.toml
//! report/radionuclide/…             each study's tables, figures, report.html,
//! report/retrospective/…            summary.json and manifest.json
//! report.html                       both studies on one offline page
//! manifest.json                     versions and hashes of everything above
//! ```
//!
//! Every file but `registry.db` is byte-identical from run to run (and from
//! directory to directory) for the same options.

use std::path::{Path, PathBuf};

use netra_report::html::{Report, Section};
use netra_store::{Actor, Bundle, ImportOptions, Location, Registry};
use serde_json::{Value, json};

use crate::StudyError;
use crate::data::{hash_bundle_dir, sha256_hex};
use crate::run::{self, RunOptions, StudyRun, VERSION, Writer};

/// The radionuclide bundle, compiled in so that the demo runs anywhere.
const RADIONUCLIDE: [(&str, &str); 10] = [
    (
        "study.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/study.csv"),
    ),
    (
        "sites.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/sites.csv"),
    ),
    (
        "patients.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/patients.csv"),
    ),
    (
        "tumours.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/tumours.csv"),
    ),
    (
        "metastases.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/metastases.csv"),
    ),
    (
        "treatments.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/treatments.csv"),
    ),
    (
        "treatment_agents.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/treatment_agents.csv"),
    ),
    (
        "radionuclide_administrations.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/radionuclide_administrations.csv"),
    ),
    (
        "assessments.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/assessments.csv"),
    ),
    (
        "clinical_status.csv",
        include_str!("../../../examples/radionuclide-2004/bundle/clinical_status.csv"),
    ),
];

/// The example study files (`examples/studies/`), compiled in.
pub const STUDIES: [(&str, &str); 2] = [
    (
        "radionuclide",
        include_str!("../../../examples/studies/radionuclide.toml"),
    ),
    (
        "retrospective",
        include_str!("../../../examples/studies/retrospective.toml"),
    ),
];

/// Options of the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// The demo directory.
    pub dir: PathBuf,
    /// Patients of the simulated registry (the study file's 1000 by default).
    pub patients: u64,
    /// Seed of the simulated registry (the study file's 2009 by default).
    pub seed: u64,
    /// Write PNG figures.
    pub png: bool,
    /// Resolution of PNG figures.
    pub dpi: f64,
    /// Writes the simulated registry (the `netra` binary passes netra-sim).
    pub simulator: Option<crate::data::Simulator>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            dir: PathBuf::from("netra-demo"),
            patients: 1000,
            seed: 2009,
            png: true,
            dpi: 300.0,
            simulator: None,
        }
    }
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoResult {
    /// The combined report.
    pub report: PathBuf,
    /// The registry.
    pub registry: PathBuf,
    /// Each study's short name and run.
    pub studies: Vec<(String, StudyRun)>,
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), StudyError> {
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d).map_err(|e| StudyError::io(d, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| StudyError::io(path, e))
}

/// Replaces the CSV files of a bundle directory (a previous run's files
/// would otherwise be imported with the new ones).
fn fresh_dir(dir: &Path) -> Result<(), StudyError> {
    if dir.is_dir() {
        for name in netra_store::bundle::file_names() {
            let p = dir.join(name);
            if p.is_file() {
                std::fs::remove_file(&p).map_err(|e| StudyError::io(&p, e))?;
            }
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| StudyError::io(dir, e))
}

/// Runs the demo.
pub fn run_demo(opts: &DemoOptions) -> Result<DemoResult, StudyError> {
    let dir = &opts.dir;
    std::fs::create_dir_all(dir).map_err(|e| StudyError::io(dir, e))?;

    // 1. The data, on disk where the reader can see them.
    let rn_dir = dir.join("data").join("radionuclide-2004");
    fresh_dir(&rn_dir)?;
    for (name, text) in RADIONUCLIDE {
        write_file(&rn_dir.join(name), text.as_bytes())?;
    }
    let sim_dir = dir.join("data").join("sim");
    fresh_dir(&sim_dir)?;
    let simulate = opts.simulator.ok_or_else(|| {
        StudyError::analysis("simulate", "the demo needs a simulator (run `netra demo`)")
    })?;
    simulate(
        &crate::data::SimulationRequest {
            patients: opts.patients,
            seed: opts.seed,
            study: "sim".into(),
            sites: 1,
            model: "published".into(),
            coverage: 0,
        },
        &sim_dir,
    )
    .map_err(|e| StudyError::analysis("simulate", e))?;

    // 2. A fresh embedded registry with both.
    let db = dir.join("registry.db");
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", db.display()));
        if p.is_file() {
            std::fs::remove_file(&p).map_err(|e| StudyError::io(&p, e))?;
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StudyError::io("tokio runtime", e))?;
    rt.block_on(async {
        let (registry, _) = Registry::init(&Location::Sqlite(db.clone())).await?;
        let result = async {
            let import = ImportOptions {
                actor: Actor {
                    user: "netra-demo".into(),
                    reason: Some("netra demo: example data".into()),
                },
                dry_run: false,
            };
            for d in [&rn_dir, &sim_dir] {
                let bundle = Bundle::read_dir(d)?;
                registry.import_bundle(&bundle, &import).await?;
            }
            Ok::<(), StudyError>(())
        }
        .await;
        registry.close().await;
        result
    })?;

    // 3. The two studies on it.
    let display = format!(
        "netra demo registry: the radionuclide-2004 bundle and {} simulated patients (seed {})",
        opts.patients, opts.seed
    );
    let mut studies = Vec::new();
    for (name, text) in STUDIES {
        let path = dir.join("studies").join(format!("{name}.toml"));
        write_file(&path, text.as_bytes())?;
        let run_opts = RunOptions {
            db: Some(db.display().to_string()),
            data_display: Some(display.clone()),
            study_display: Some(format!("examples/studies/{name}.toml")),
            dpi: opts.dpi,
            png: opts.png,
            simulator: None,
        };
        let result = run::run(&path, &dir.join("report").join(name), &run_opts)?;
        studies.push((name.to_string(), result));
    }

    // 4. Both on one page, and the demo's manifest.
    let mut w = Writer::new(dir)?;
    let mut sections = vec![Section::new("About this report").paragraph(format!(
        "Two studies run by `netra demo` on one embedded registry ({display}). Each study is \
         a TOML file (examples/studies/); `netra report STUDY.toml --out DIR` writes its \
         tables (HTML, Markdown, CSV, LaTeX) and figures (SVG, PNG) on their own — here under \
         report/. Every number is computed by netra's survival and classical statistics, which \
         agree with R."
    ))];
    for (k, (_, s)) in studies.iter().enumerate() {
        sections[0] = std::mem::replace(&mut sections[0], Section::new("")).paragraph(format!(
            "Study {}: {} ({} patients).",
            k + 1,
            s.title,
            s.patients
        ));
    }
    for (k, (_, s)) in studies.iter().enumerate() {
        for sec in &s.sections {
            let mut sec = sec.clone();
            sec.heading = format!("Study {}: {}", k + 1, sec.heading);
            if sec.heading.ends_with("Patients and methods") {
                sec.blocks
                    .insert(0, netra_report::html::Block::Paragraph(s.title.clone()));
            }
            sections.push(sec);
        }
    }
    let report = Report {
        title: "netra demo: two studies of metastatic neuroendocrine tumours".into(),
        subtitle: "Treated versus untreated in a radionuclide-therapy cohort; a retrospective \
                   registry study of survival, lines of therapy and prognostic factors"
            .into(),
        sections,
        footer: format!(
            "Produced by netra {VERSION}. Hashes of the data, the study files and every output: \
             manifest.json."
        ),
    };
    let html = report
        .to_html()
        .map_err(|e| StudyError::report("report.html", e))?;
    w.write("report.html", html.as_bytes())?;
    let data: Vec<Value> = [("radionuclide-2004", &rn_dir), ("sim", &sim_dir)]
        .into_iter()
        .map(|(name, d)| {
            let files = hash_bundle_dir(d)?;
            Ok(json!({
                "name": name,
                "path": format!("data/{}", d.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
                "files": files
                    .iter()
                    .map(|f| json!({"name": f.name, "sha256": f.sha256, "bytes": f.bytes}))
                    .collect::<Vec<_>>(),
            }))
        })
        .collect::<Result<_, StudyError>>()?;
    let manifest = json!({
        "netra_version": VERSION,
        "simulation": {"patients": opts.patients, "seed": opts.seed, "study": "sim"},
        "data": data,
        "studies": studies
            .iter()
            .map(|(name, s)| {
                let manifest = dir.join("report").join(name).join("manifest.json");
                let bytes = std::fs::read(&manifest).unwrap_or_default();
                json!({
                    "name": name,
                    "study_file": format!("studies/{name}.toml"),
                    "study_sha256": s.study_sha256,
                    "data_sha256": s.data.sha256,
                    "patients": s.patients,
                    "manifest": format!("report/{name}/manifest.json"),
                    "manifest_sha256": sha256_hex(&bytes),
                })
            })
            .collect::<Vec<_>>(),
        "outputs": w
            .outputs()
            .iter()
            .map(|o| json!({"path": o.path, "sha256": o.sha256, "bytes": o.bytes}))
            .collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_else(|_| "{}".into());
    w.write("manifest.json", format!("{text}\n").as_bytes())?;
    w.finish()?;
    Ok(DemoResult {
        report: dir.join("report.html"),
        registry: db,
        studies,
    })
}
