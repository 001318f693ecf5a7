//! Running a study: data → analysis set → tables and figures → files,
//! `report.html`, `summary.json` and `manifest.json`.
//!
//! Output layout of `--out DIR`:
//!
//! ```text
//! DIR/report.html            every table and figure on one offline page
//! DIR/tables/NAME.html|.md|.csv|.tex
//! DIR/figures/NAME.svg|.png  (PNG at 300 dpi)
//! DIR/analyses/ID.json       each [[analysis]]'s output (the layer's JSON)
//! DIR/summary.json           key numbers (medians, tests, per-line outcomes)
//! DIR/manifest.json          netra version, SHA-256 of the study file and the
//!                            data, every output with its SHA-256
//! ```
//!
//! Nothing written depends on the clock, the output directory or the
//! machine: the same study file and data give byte-identical files.

use std::path::{Path, PathBuf};

use netra_report::html::{Report, Section};
use serde_json::{Value, json};

use crate::StudyError;
use crate::context::Context;
use crate::data::{self, DataIdentity, portable, sha256_hex};
use crate::facts::Facts;
use crate::spec::{DataSource, Study};
use crate::{figures, tables};

/// The netra version written into manifests.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How to run a study.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// A registry (`--db`) replacing the study file's data source.
    pub db: Option<String>,
    /// A name for the data in the manifest instead of its location.
    pub data_display: Option<String>,
    /// The study file's path as recorded in the manifest (default: as given).
    pub study_display: Option<String>,
    /// Resolution of PNG figures.
    pub dpi: f64,
    /// Write PNG figures (SVG is always written).
    pub png: bool,
    /// Writes simulated registries (`[data] simulate`); `None`: such
    /// studies are refused with a message.
    pub simulator: Option<crate::data::Simulator>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            db: None,
            data_display: None,
            study_display: None,
            dpi: 300.0,
            png: true,
            simulator: None,
        }
    }
}

/// One file written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Path relative to the output directory, with `/`.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Size.
    pub bytes: u64,
}

/// The result of a study run.
#[derive(Debug, Clone)]
pub struct StudyRun {
    /// The report's title.
    pub title: String,
    /// The report's sections (the demo puts two studies on one page).
    pub sections: Vec<Section>,
    /// Files written, in order.
    pub outputs: Vec<OutputFile>,
    /// Key numbers.
    pub facts: Facts,
    /// Patients analysed.
    pub patients: usize,
    /// The data's identity.
    pub data: DataIdentity,
    /// SHA-256 of the study file.
    pub study_sha256: String,
}

/// Writes files into an output directory and records their hashes.
///
/// Nothing appears in the output directory until [`Writer::finish`]: the
/// files go to a staging directory beside it (`.NAME.netra-partial-PID`),
/// which `finish` moves into place (a rename when the directory does not
/// exist yet, else file by file) and which is removed when the writer is
/// dropped unfinished — so a run that fails at any point, the last figure
/// included, leaves no half-written output folder (issue 13).
pub struct Writer {
    root: PathBuf,
    staging: PathBuf,
    outputs: Vec<OutputFile>,
    finished: bool,
}

impl Writer {
    /// A writer whose files will appear in `root` (created by `finish`).
    pub fn new(root: &Path) -> Result<Writer, StudyError> {
        let parent = match root.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| StudyError::io(&parent, e))?;
        let name = root
            .file_name()
            .map_or_else(|| "out".to_string(), |n| n.to_string_lossy().into_owned());
        let staging = parent.join(format!(".{name}.netra-partial-{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).map_err(|e| StudyError::io(&staging, e))?;
        }
        std::fs::create_dir_all(&staging).map_err(|e| StudyError::io(&staging, e))?;
        Ok(Writer {
            root: root.to_path_buf(),
            staging,
            outputs: Vec::new(),
            finished: false,
        })
    }

    fn under(base: &Path, rel: &str) -> PathBuf {
        rel.split('/')
            .fold(base.to_path_buf(), |p, part| p.join(part))
    }

    /// Writes `bytes` at `rel` (a `/`-separated path under the root).
    pub fn write(&mut self, rel: &str, bytes: &[u8]) -> Result<(), StudyError> {
        let path = Self::under(&self.staging, rel);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StudyError::io(dir, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| StudyError::io(&path, e))?;
        self.outputs.push(OutputFile {
            path: rel.to_string(),
            sha256: sha256_hex(bytes),
            bytes: bytes.len() as u64,
        });
        Ok(())
    }

    /// Files written so far.
    pub fn outputs(&self) -> &[OutputFile] {
        &self.outputs
    }

    /// Moves the files into the output directory and returns them. An
    /// existing directory keeps its other files; netra's are replaced.
    pub fn finish(mut self) -> Result<Vec<OutputFile>, StudyError> {
        if !self.root.exists() {
            std::fs::rename(&self.staging, &self.root)
                .map_err(|e| StudyError::io(&self.root, e))?;
        } else {
            for o in &self.outputs {
                let to = Self::under(&self.root, &o.path);
                if let Some(dir) = to.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| StudyError::io(dir, e))?;
                }
                std::fs::rename(Self::under(&self.staging, &o.path), &to)
                    .map_err(|e| StudyError::io(&to, e))?;
            }
            std::fs::remove_dir_all(&self.staging).map_err(|e| StudyError::io(&self.staging, e))?;
        }
        self.finished = true;
        Ok(std::mem::take(&mut self.outputs))
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if !self.finished {
            // Best effort: the run has already failed with its own error.
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(12)]
}

/// The paragraph that says where the patients came from and who was left out.
fn cohort_paragraph(ctx: &Context<'_>, data: &DataIdentity) -> String {
    let s = &ctx.selection;
    let mut text = format!(
        "Data: {} ({}{}; SHA-256 {}). {} patient(s) read",
        match data.kind.as_str() {
            "bundle" => "registry bundle",
            "simulate" => "simulated registry",
            _ => "registry",
        },
        data.location,
        data.study
            .as_ref()
            .map_or(String::new(), |st| format!(", study {st}")),
        short(&data.sha256),
        s.read
    );
    if s.flagged > 0 {
        text.push_str(&format!(
            ", {} excluded from the study's analyses as recorded",
            s.flagged
        ));
    }
    for (c, n) in &s.by_condition {
        text.push_str(&format!(", {n} left out by `{c}`"));
    }
    text.push_str(&format!("; {} analysed.", s.analysed));
    text
}

fn endpoints_paragraph(ctx: &Context<'_>) -> Option<String> {
    if ctx.study.endpoints.is_empty() {
        return None;
    }
    let parts: Vec<String> =
        ctx.study
            .endpoints
            .iter()
            .map(|e| {
                format!(
                    "{} ({}) {}, in {}{}{}",
                    e.label,
                    e.name,
                    e.spec.from.phrase(),
                    e.spec.units.code(),
                    match e.spec.endpoint {
                        netra_clinical::endpoints::Endpoint::Os => String::new(),
                        _ =>
                            format!(", censored at the {}", match e.spec.censoring {
                        netra_clinical::endpoints::Censoring::LastAdequateAssessment =>
                            "last adequate assessment",
                        netra_clinical::endpoints::Censoring::LastFollowUp => "last follow-up",
                    }),
                    },
                    if e.spec.censor_at_new_therapy {
                        " or at the start of a new therapy"
                    } else {
                        ""
                    }
                )
            })
            .collect();
    Some(format!(
        "Endpoints: {}. Partial dates are imputed at the middle of their month or year.",
        parts.join("; ")
    ))
}

/// Runs a study file into `out`.
pub fn run(study_path: &Path, out: &Path, opts: &RunOptions) -> Result<StudyRun, StudyError> {
    let text = std::fs::read(study_path).map_err(|e| StudyError::io(study_path, e))?;
    let study_sha256 = sha256_hex(&text);
    let text = String::from_utf8(text)
        .map_err(|_| StudyError::io(study_path, "the study file is not UTF-8 text"))?;
    let study = Study::parse(&text, study_path)?;
    let source = match (&opts.db, &study.data) {
        (Some(db), _) => DataSource::Db(db.clone()),
        (None, Some(s)) => s.clone(),
        (None, None) => {
            return Err(StudyError::Spec {
                file: study_path.to_path_buf(),
                position: None,
                message: "no data: add a [data] section (bundle, db or simulate) or give --db"
                    .into(),
            });
        }
    };
    let dataset = data::load(
        &source,
        study.data_study.as_deref(),
        opts.data_display.as_deref(),
        opts.simulator,
    )?;
    let ctx = Context::new(&study, dataset.courses)?;
    let mut w = Writer::new(out)?;
    let mut facts = Facts::new();
    facts.insert("patients".into(), json!(ctx.selection.analysed));

    let mut sections: Vec<Section> = Vec::new();
    let mut first = Section::new("Patients and methods");
    if let Some(d) = &study.description {
        first = first.paragraph(d.clone());
    }
    first = first.paragraph(cohort_paragraph(&ctx, &dataset.identity));
    if let Some(p) = endpoints_paragraph(&ctx) {
        first = first.paragraph(p);
    }
    sections.push(first);

    // Tables, figures and analyses in the order of the study file.
    let mut order: Vec<(usize, Item, usize)> = study
        .tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.position, Item::Table, i))
        .chain(
            study
                .figures
                .iter()
                .enumerate()
                .map(|(i, f)| (f.position, Item::Figure, i)),
        )
        .chain(
            study
                .analyses
                .iter()
                .enumerate()
                .map(|(i, a)| (a.position, Item::Analysis, i)),
        )
        .collect();
    order.sort_unstable();
    // Tables are built first: forest plots need their Cox table, which may
    // come later in the file.
    let mut built_tables = Vec::new();
    for t in &study.tables {
        built_tables.push((t.name.clone(), tables::build(&ctx, t, &mut facts)?));
    }
    for (_, item, i) in order {
        let (heading, block): (&str, Block) = match item {
            Item::Table => {
                let def = &study.tables[i];
                let table = &built_tables[i].1.table;
                let what = format!("table '{}'", def.name);
                let err = |e| StudyError::report(&what, e);
                w.write(
                    &format!("tables/{}.html", def.name),
                    table.to_html().map_err(err)?.as_bytes(),
                )?;
                w.write(
                    &format!("tables/{}.md", def.name),
                    table.to_markdown().map_err(err)?.as_bytes(),
                )?;
                w.write(
                    &format!("tables/{}.csv", def.name),
                    table.to_csv().map_err(err)?.as_bytes(),
                )?;
                w.write(
                    &format!("tables/{}.tex", def.name),
                    table.to_latex().map_err(err)?.as_bytes(),
                )?;
                (&def.section, Block::Table(table.clone()))
            }
            Item::Figure => {
                let def = &study.figures[i];
                let what = format!("figure '{}'", def.name);
                let built = figures::build(&ctx, def, &built_tables, &mut facts)?;
                let svg = built
                    .figure
                    .figure()
                    .to_svg()
                    .map_err(|e| StudyError::report(&what, e))?;
                w.write(&format!("figures/{}.svg", def.name), svg.as_bytes())?;
                if opts.png {
                    let png = built
                        .figure
                        .figure()
                        .to_png(opts.dpi)
                        .map_err(|e| StudyError::report(&what, e))?;
                    w.write(&format!("figures/{}.png", def.name), &png)?;
                }
                (&def.section, Block::Figure(svg, built.caption))
            }
            Item::Analysis => {
                let def = &study.analyses[i];
                let (json, table) = analysis_output(&ctx, def)?;
                w.write(&format!("analyses/{}.json", def.id), json.as_bytes())?;
                (&def.section, Block::Table(table))
            }
        };
        let idx = match sections.iter().position(|s| s.heading == *heading) {
            Some(i) => i,
            None => {
                sections.push(Section::new(heading));
                sections.len() - 1
            }
        };
        let s = std::mem::replace(&mut sections[idx], Section::new(""));
        sections[idx] = match block {
            Block::Table(t) => s.table(t),
            Block::Figure(svg, caption) => s.figure(svg, caption),
        };
    }

    if let Some(sim) = &dataset.simulation {
        let pretty = serde_json::to_string_pretty(sim)
            .map_err(|e| StudyError::io(data::SIMULATION_FILE, e))?;
        w.write(data::SIMULATION_FILE, format!("{pretty}\n").as_bytes())?;
        facts.insert("simulation".into(), sim.clone());
        if let Some(t) = crate::simulation::table(sim) {
            sections.push(Section::new("Simulation").table(t));
        }
    }
    let footer = footer(&study_sha256, &dataset.identity);
    let report = Report {
        title: study.title.clone(),
        subtitle: study.subtitle.clone().unwrap_or_default(),
        sections: sections.clone(),
        footer,
    };
    let html = report
        .to_html()
        .map_err(|e| StudyError::report("report.html", e))?;
    w.write("report.html", html.as_bytes())?;
    let summary = serde_json::to_string_pretty(&Value::Object(facts.clone().into_iter().collect()))
        .map_err(|e| StudyError::io("summary.json", e))?;
    w.write("summary.json", format!("{summary}\n").as_bytes())?;
    let study_file = opts
        .study_display
        .clone()
        .unwrap_or_else(|| portable(study_path));
    let manifest = manifest(
        &study_file,
        &study_sha256,
        &dataset.identity,
        ctx.selection.analysed,
        w.outputs(),
    );
    w.write("manifest.json", manifest.as_bytes())?;
    Ok(StudyRun {
        title: study.title.clone(),
        sections,
        outputs: w.finish()?,
        facts,
        patients: ctx.selection.analysed,
        data: dataset.identity,
        study_sha256,
    })
}

/// What a report item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Item {
    Table,
    Figure,
    Analysis,
}

/// Runs an `[[analysis]]`: its output's JSON (the file `analyses/ID.json`)
/// and its generic table for the report (`netra_report::table::generic`).
pub fn analysis_output(
    ctx: &Context<'_>,
    def: &crate::spec::AnalysisDef,
) -> Result<(String, netra_report::table::Table), StudyError> {
    let out = netra_analysis::analyses::run_json(&ctx.cohort, &def.analysis, def.request.clone())
        .map_err(|e| StudyError::analysis(format!("analysis '{}'", def.id), e.to_string()))?;
    let json = serde_json::to_string_pretty(&out)
        .map_err(|e| StudyError::io(format!("analyses/{}.json", def.id), e))?;
    let table = match def.analysis.as_str() {
        // The emulated trial's publication table (naive vs weighted HR,
        // RMST and survival differences); the generic rows otherwise.
        "emulate" => serde_json::from_value(out.clone()).map_or_else(
            |_| netra_report::table::generic::table(def.title.clone(), &out),
            |o| {
                let title = (!def.title.trim().is_empty()).then(|| def.title.clone());
                netra_report::table::emulate::table(title, &o)
            },
        ),
        _ => netra_report::table::generic::table(def.title.clone(), &out),
    };
    Ok((json + "\n", table))
}

enum Block {
    Table(netra_report::table::Table),
    Figure(String, String),
}

/// The report's small print: what produced it and from what.
pub fn footer(study_sha256: &str, data: &DataIdentity) -> String {
    format!(
        "Produced by netra {VERSION}. Study file SHA-256 {}; data SHA-256 {} ({} file(s)). \
         Full hashes and every output file's hash: manifest.json.",
        short(study_sha256),
        short(&data.sha256),
        data.files.len()
    )
}

/// The manifest: netra version, study file and data hashes, outputs.
pub fn manifest(
    study_file: &str,
    study_sha256: &str,
    data: &DataIdentity,
    patients: usize,
    outputs: &[OutputFile],
) -> String {
    let v = json!({
        "netra_version": VERSION,
        "study_file": {"path": study_file, "sha256": study_sha256},
        "data": data_json(data),
        "patients_analysed": patients,
        "outputs": outputs
            .iter()
            .map(|o| json!({"path": o.path, "sha256": o.sha256, "bytes": o.bytes}))
            .collect::<Vec<_>>(),
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{}".into())
    )
}

/// Adds a file written after the run (`report.pdf`, printed from
/// `report.html` by the CLI) to `out/manifest.json` with its SHA-256 and
/// size, so that every file of the output folder is accounted for. An
/// entry of the same path is replaced (a re-run prints the PDF again).
pub fn add_to_manifest(out: &Path, rel: &str) -> Result<(), StudyError> {
    let path = out.join("manifest.json");
    let text = std::fs::read_to_string(&path).map_err(|e| StudyError::io(&path, e))?;
    let mut m: Value = serde_json::from_str(&text).map_err(|e| StudyError::io(&path, e))?;
    let file = Writer::under(out, rel);
    let bytes = std::fs::read(&file).map_err(|e| StudyError::io(&file, e))?;
    let entry = json!({"path": rel, "sha256": sha256_hex(&bytes), "bytes": bytes.len() as u64});
    let Some(outputs) = m.get_mut("outputs").and_then(Value::as_array_mut) else {
        return Err(StudyError::io(&path, "no \"outputs\" list"));
    };
    outputs.retain(|o| o.get("path").and_then(Value::as_str) != Some(rel));
    outputs.push(entry);
    let text = serde_json::to_string_pretty(&m).unwrap_or_else(|_| "{}".into());
    std::fs::write(&path, format!("{text}\n")).map_err(|e| StudyError::io(&path, e))
}

/// The data identity as JSON.
pub fn data_json(data: &DataIdentity) -> Value {
    json!({
        "source": data.kind,
        "location": data.location,
        "study": data.study,
        "sha256": data.sha256,
        "files": data
            .files
            .iter()
            .map(|f| json!({"name": f.name, "sha256": f.sha256, "bytes": f.bytes}))
            .collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_added_after_the_run_is_listed_once_with_its_hash() {
        let dir = std::env::temp_dir().join(format!("netra-manifest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let m =
            r#"{"netra_version":"x","outputs":[{"path":"report.html","sha256":"h","bytes":1}]}"#;
        std::fs::write(dir.join("manifest.json"), m).unwrap();
        std::fs::write(dir.join("report.pdf"), b"%PDF-1 first").unwrap();
        add_to_manifest(&dir, "report.pdf").unwrap();
        // A second print replaces the entry rather than adding another.
        std::fs::write(dir.join("report.pdf"), b"%PDF-1 second").unwrap();
        add_to_manifest(&dir, "report.pdf").unwrap();
        let v: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        let outputs = v["outputs"].as_array().unwrap();
        assert_eq!(outputs.len(), 2);
        assert_eq!(outputs[0]["path"], "report.html");
        assert_eq!(outputs[1]["path"], "report.pdf");
        assert_eq!(outputs[1]["bytes"], 13);
        assert_eq!(outputs[1]["sha256"], sha256_hex(b"%PDF-1 second"));
        // A missing file is an error, not an entry.
        assert!(add_to_manifest(&dir, "absent.pdf").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
