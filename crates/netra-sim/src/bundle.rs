//! Writing simulated patients as a registry bundle (`docs/bundle-format.md`).
//!
//! Each record is turned into the cells of its file in the column order of
//! the registry schema (`netra_clinical::registry::schema`, the single source
//! of truth): the column lists below are checked against the schema before
//! anything is written, headers are taken from the schema, and every cell is
//! spelled exactly as [`Value::to_text`] spells it (shortest round-trip
//! numbers, ISO partial dates, `yes`/`no`, vocabulary codes), so a simulated
//! bundle is byte-for-byte what `netra export` would write for the same rows.
//! Rows come out sorted by natural key: patients by code, each patient's
//! children by their identifiers, which are zero-padded in time order.
//!
//! Patients are generated in chunks on worker threads and written in index
//! order by one writer, so memory stays bounded (a few chunks in flight) and
//! the bytes do not depend on the number of threads.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use netra_clinical::registry::PartialDate;
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::schema::{Entity, Value};
use netra_clinical::registry::vocab::Vocabulary;

use crate::dist::{categorical, patient_rng};
use crate::model::Model;
use crate::{records, skeleton};

/// What `netra simulate` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Number of patients.
    pub patients: u64,
    /// Seed of every random stream.
    pub seed: u64,
    /// Study code (also the prefix of patient and site codes).
    pub study: String,
    /// Number of participating centres.
    pub sites: u32,
    /// Worker threads (0: one per available core). The output does not
    /// depend on it.
    pub threads: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            patients: 1000,
            seed: 1,
            study: "sim".into(),
            sites: 1,
            threads: 0,
        }
    }
}

/// Why a bundle could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// An option is out of range.
    #[error("{0}")]
    Config(String),
    /// A file could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The simulator's column lists disagree with the registry schema (a
    /// programming error caught before anything is written).
    #[error("internal: {0}")]
    Schema(String),
}

impl SimConfig {
    /// Checks the options.
    pub fn validate(&self) -> Result<(), SimError> {
        if self.patients == 0 {
            return Err(SimError::Config("--patients must be at least 1".into()));
        }
        if self.patients > 100_000_000 {
            return Err(SimError::Config("--patients is at most 100000000".into()));
        }
        if self.sites == 0 || self.sites > 999 {
            return Err(SimError::Config("--sites must be between 1 and 999".into()));
        }
        let s = &self.study;
        if s.is_empty() || s.chars().count() > 48 || s.chars().any(|c| c.is_control()) {
            return Err(SimError::Config(
                "--study must be 1–48 characters without control characters".into(),
            ));
        }
        if s.trim() != s || s.contains(',') || s.contains('"') {
            return Err(SimError::Config(
                "--study cannot contain commas, quotes or surrounding spaces".into(),
            ));
        }
        Ok(())
    }

    /// The code of patient `index` (0-based): `STUDY-0000001`.
    pub fn patient_code(&self, index: u64) -> String {
        format!("{}-{:07}", self.study, index + 1)
    }

    /// The code of centre `k` (0-based): `STUDY-c01`.
    pub fn site_code(&self, k: u32) -> String {
        format!("{}-c{:02}", self.study, k + 1)
    }
}

/// The whole course of patient `index`: a pure function of the model, the
/// seed, the study code, the number of sites and the index.
pub fn generate(model: &Model, cfg: &SimConfig, index: u64) -> PatientCourse {
    let mut rng = patient_rng(cfg.seed, index);
    let sk = skeleton::draw(model, &model.tuning, &mut rng);
    let mut c = records::course(model, &sk, &cfg.patient_code(index), "", &mut rng);
    // The centre is the stream's last draw, so the number of centres changes
    // nothing else. Larger centres first (weights 1/√k).
    let k = if cfg.sites > 1 {
        let w: Vec<f64> = (1..=cfg.sites).map(|k| 1.0 / f64::from(k).sqrt()).collect();
        categorical(&mut rng, &w) as u32
    } else {
        0
    };
    c.patient.site = cfg.site_code(k);
    c
}

/// One cell, borrowed from a record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'a> {
    /// Not recorded.
    Null,
    /// Identifier, text or code.
    Str(&'a str),
    /// A number.
    Num(f64),
    /// A whole number.
    Int(i64),
    /// A partial date.
    Date(PartialDate),
    /// yes / no.
    Bool(bool),
}

impl Cell<'_> {
    /// The schema value of the cell (for validation with the registry rules).
    pub fn to_value(self) -> Value {
        match self {
            Cell::Null => Value::Null,
            Cell::Str(s) => Value::Text(s.to_string()),
            Cell::Num(x) => Value::Real(x),
            Cell::Int(n) => Value::Int(n),
            Cell::Date(d) => Value::Date(d),
            Cell::Bool(b) => Value::Bool(b),
        }
    }

    fn write(self, buf: &mut String) {
        buf.clear();
        match self {
            Cell::Null => {}
            Cell::Str(s) => buf.push_str(s),
            // `{}` of an f64 is the shortest text that reads back to it, as
            // `Value::to_text` writes numbers.
            Cell::Num(x) => {
                let _ = write!(buf, "{}", if x == 0.0 { 0.0 } else { x });
            }
            Cell::Int(n) => {
                let _ = write!(buf, "{n}");
            }
            Cell::Date(d) => {
                let _ = write!(buf, "{d}");
            }
            Cell::Bool(b) => buf.push_str(if b { "yes" } else { "no" }),
        }
    }
}

fn s(x: &str) -> Cell<'_> {
    Cell::Str(x)
}
fn os(x: &Option<String>) -> Cell<'_> {
    x.as_deref().map_or(Cell::Null, Cell::Str)
}
fn code<V: Vocabulary>(v: V) -> Cell<'static> {
    Cell::Str(v.code())
}
fn ocode<V: Vocabulary>(v: Option<V>) -> Cell<'static> {
    v.map_or(Cell::Null, |v| Cell::Str(v.code()))
}
fn onum(x: Option<f64>) -> Cell<'static> {
    x.map_or(Cell::Null, Cell::Num)
}
fn oint<T: Into<i64>>(x: Option<T>) -> Cell<'static> {
    x.map_or(Cell::Null, |n| Cell::Int(n.into()))
}
fn odate(x: Option<PartialDate>) -> Cell<'static> {
    x.map_or(Cell::Null, Cell::Date)
}
fn obool(x: Option<bool>) -> Cell<'static> {
    x.map_or(Cell::Null, Cell::Bool)
}

/// The column order the row builders below produce, per entity; checked
/// against the schema by [`check_columns`].
const COLUMNS: [&[&str]; N_FILES] = [
    &["study", "title", "description"],
    &["site", "study", "name", "country"],
    &[
        "patient",
        "site",
        "sex",
        "birth_date",
        "age_at_entry",
        "diagnosis_date",
        "diagnosis_date_not_before",
        "diagnosis_date_not_after",
        "metastatic_date",
        "metastatic_date_not_before",
        "metastatic_date_not_after",
        "metastatic_setting",
        "prior_stage",
        "ecog",
        "entry_date",
        "arm",
        "excluded",
        "exclusion_reason",
        "last_followup_date",
        "vital_status",
        "death_date",
        "death_date_not_before",
        "death_date_not_after",
        "death_cause",
        "notes",
    ],
    &[
        "patient",
        "tumour",
        "primary_site",
        "primary_site_detail",
        "gi_segment",
        "reported_type",
        "functional_syndrome",
        "differentiation",
        "nec_cell_type",
        "ki67_percent",
        "mitoses_per_2mm2",
        "who_grade",
        "seer_grade",
        "grade_system",
        "reported_grade",
        "mitoses_per_10hpf",
        "necrosis",
        "stage",
        "krenning_uptake",
        "mibg_uptake",
        "notes",
    ],
    &[
        "patient",
        "site",
        "detail",
        "date",
        "at_metastatic_diagnosis",
        "liver_pattern",
        "notes",
    ],
    &[
        "patient",
        "marker",
        "marker_detail",
        "date",
        "value",
        "unit",
        "result",
        "lower_limit",
        "upper_limit",
        "notes",
    ],
    &[
        "patient",
        "treatment",
        "type",
        "surgery_type",
        "start_date",
        "start_date_not_before",
        "start_date_not_after",
        "end_date",
        "end_date_not_before",
        "end_date_not_after",
        "intent",
        "stop_reason",
        "line",
        "target_organ",
        "target_lesions",
        "notes",
    ],
    &[
        "patient",
        "treatment",
        "agent",
        "agent_detail",
        "dose",
        "dose_unit",
        "interval_days",
        "route",
        "formulation",
        "notes",
    ],
    &[
        "patient",
        "treatment",
        "administration",
        "date",
        "activity_gbq",
        "lu177_gbq",
        "y90_gbq",
        "tumour_dose_gy",
        "notes",
    ],
    &[
        "patient",
        "assessment",
        "date",
        "date_not_before",
        "date_not_after",
        "modality",
        "criteria",
        "treatment",
        "investigator_response",
        "notes",
    ],
    &[
        "patient",
        "assessment",
        "lesion",
        "organ",
        "organ_detail",
        "role",
        "longest_mm",
        "perpendicular_mm",
        "short_axis_mm",
        "viable_mm",
        "attenuation_hu",
        "status",
        "notes",
    ],
    &[
        "patient",
        "date",
        "ecog",
        "symptom_score",
        "symptoms",
        "weight_kg",
        "flushing_per_day",
        "diarrhoea_per_day",
        "notes",
    ],
    &[
        "patient",
        "event",
        "term",
        "grade",
        "onset_date",
        "resolution_date",
        "attribution",
        "serious",
        "treatment",
        "notes",
    ],
    &[
        "patient",
        "tumour",
        "date",
        "specimen",
        "stain",
        "stain_detail",
        "result",
        "percent_cells",
        "intensity",
        "score",
        "score_system",
        "notes",
    ],
    &[
        "patient",
        "origin",
        "gene",
        "gene_detail",
        "result",
        "variant",
        "tumour",
        "date",
        "method",
        "notes",
    ],
    &["patient", "questionnaire", "date", "item", "response"],
    &["patient", "condition", "condition_detail", "date", "notes"],
];

/// Files of a bundle.
const N_FILES: usize = Entity::ALL.len();

/// Fails when the simulator's column order is not the schema's.
pub fn check_columns() -> Result<(), SimError> {
    for e in Entity::ALL {
        let schema: Vec<&str> = e.spec().columns.iter().map(|c| c.name).collect();
        if schema != COLUMNS[e.index()] {
            return Err(SimError::Schema(format!(
                "{}: the simulator writes {:?} but the schema has {:?}",
                e.spec().file,
                COLUMNS[e.index()],
                schema
            )));
        }
    }
    Ok(())
}

/// Calls `row(entity, cells)` for every row of one patient's course, in the
/// bundle's file order and natural-key order within each file.
pub fn for_each_row(c: &PatientCourse, row: &mut dyn FnMut(Entity, &[Cell<'_>])) {
    let p = &c.patient;
    let code_ = p.code.as_str();
    row(
        Entity::Patient,
        &[
            s(code_),
            s(&p.site),
            code(p.sex),
            odate(p.birth_date),
            oint(p.age_at_entry),
            odate(p.diagnosis_date),
            odate(p.diagnosis_bounds.not_before),
            odate(p.diagnosis_bounds.not_after),
            odate(p.metastatic_date),
            odate(p.metastatic_bounds.not_before),
            odate(p.metastatic_bounds.not_after),
            ocode(p.metastatic_setting),
            ocode(p.prior_stage),
            oint(p.ecog),
            odate(p.entry_date),
            os(&p.arm),
            obool(p.excluded),
            os(&p.exclusion_reason),
            odate(p.last_followup_date),
            code(p.vital_status),
            odate(p.death_date),
            odate(p.death_bounds.not_before),
            odate(p.death_bounds.not_after),
            ocode(p.death_cause),
            os(&p.notes),
        ],
    );
    for t in &c.tumours {
        row(
            Entity::Tumour,
            &[
                s(code_),
                s(&t.id),
                code(t.primary_site),
                os(&t.primary_site_detail),
                ocode(t.gi_segment),
                os(&t.reported_type),
                ocode(t.functional_syndrome),
                ocode(t.differentiation),
                ocode(t.nec_cell_type),
                onum(t.ki67_percent),
                onum(t.mitoses_per_2mm2),
                ocode(t.who_grade),
                ocode(t.seer_grade),
                ocode(t.grade_system),
                ocode(t.reported_grade),
                onum(t.mitoses_per_10hpf),
                obool(t.necrosis),
                os(&t.stage),
                oint(t.krenning_uptake),
                oint(t.mibg_uptake),
                os(&t.notes),
            ],
        );
    }
    for m in &c.metastases {
        row(
            Entity::Metastasis,
            &[
                s(code_),
                code(m.site),
                os(&m.detail),
                odate(m.date),
                obool(m.at_metastatic_diagnosis),
                ocode(m.liver_pattern),
                os(&m.notes),
            ],
        );
    }
    for b in &c.biomarkers {
        row(
            Entity::Biomarker,
            &[
                s(code_),
                code(b.marker),
                os(&b.marker_detail),
                Cell::Date(b.date),
                Cell::Num(b.value),
                s(&b.unit),
                ocode(b.result),
                onum(b.lower_limit),
                onum(b.upper_limit),
                os(&b.notes),
            ],
        );
    }
    for b in &c.marker_findings {
        row(
            Entity::Biomarker,
            &[
                s(code_),
                code(b.marker),
                os(&b.marker_detail),
                Cell::Date(b.date),
                Cell::Null,
                os(&b.unit),
                code(b.result),
                onum(b.lower_limit),
                onum(b.upper_limit),
                os(&b.notes),
            ],
        );
    }
    for t in &c.treatments {
        let lesions = t.target_lesions.join(";");
        row(
            Entity::Treatment,
            &[
                s(code_),
                s(&t.id),
                code(t.kind),
                ocode(t.surgery_type),
                odate(t.start_date),
                odate(t.start_bounds.not_before),
                odate(t.start_bounds.not_after),
                odate(t.end_date),
                odate(t.end_bounds.not_before),
                odate(t.end_bounds.not_after),
                ocode(t.intent),
                ocode(t.stop_reason),
                oint(t.line),
                ocode(t.target_organ),
                if lesions.is_empty() {
                    Cell::Null
                } else {
                    s(&lesions)
                },
                os(&t.notes),
            ],
        );
    }
    for t in &c.treatments {
        for a in &t.agents {
            row(
                Entity::TreatmentAgent,
                &[
                    s(code_),
                    s(&t.id),
                    code(a.agent),
                    os(&a.agent_detail),
                    onum(a.dose),
                    os(&a.dose_unit),
                    onum(a.interval_days),
                    ocode(a.route),
                    ocode(a.formulation),
                    os(&a.notes),
                ],
            );
        }
    }
    for t in &c.treatments {
        for a in &t.administrations {
            row(
                Entity::RadionuclideAdministration,
                &[
                    s(code_),
                    s(&t.id),
                    Cell::Int(i64::from(a.number)),
                    odate(a.date),
                    Cell::Num(a.activity_gbq),
                    onum(a.lu177_gbq),
                    onum(a.y90_gbq),
                    onum(a.tumour_dose_gy),
                    os(&a.notes),
                ],
            );
        }
    }
    for a in &c.assessments {
        row(
            Entity::Assessment,
            &[
                s(code_),
                s(&a.id),
                Cell::Date(a.date),
                odate(a.date_bounds.not_before),
                odate(a.date_bounds.not_after),
                code(a.modality),
                ocode(a.criteria),
                os(&a.treatment),
                ocode(a.investigator_response),
                os(&a.notes),
            ],
        );
    }
    for a in &c.assessments {
        for l in &a.lesions {
            row(
                Entity::Lesion,
                &[
                    s(code_),
                    s(&a.id),
                    s(&l.id),
                    code(l.organ),
                    os(&l.organ_detail),
                    code(l.role),
                    onum(l.longest_mm),
                    onum(l.perpendicular_mm),
                    onum(l.short_axis_mm),
                    onum(l.viable_mm),
                    onum(l.attenuation_hu),
                    ocode(l.status),
                    os(&l.notes),
                ],
            );
        }
    }
    for v in &c.clinical_status {
        row(
            Entity::ClinicalStatus,
            &[
                s(code_),
                Cell::Date(v.date),
                oint(v.ecog),
                onum(v.symptom_score),
                ocode(v.symptoms),
                onum(v.weight_kg),
                onum(v.flushing_per_day),
                onum(v.diarrhoea_per_day),
                os(&v.notes),
            ],
        );
    }
    for e in &c.adverse_events {
        row(
            Entity::AdverseEvent,
            &[
                s(code_),
                s(&e.id),
                s(&e.term),
                Cell::Int(i64::from(e.grade)),
                odate(e.onset_date),
                odate(e.resolution_date),
                ocode(e.attribution),
                obool(e.serious),
                os(&e.treatment),
                os(&e.notes),
            ],
        );
    }
    for x in &c.immunostains {
        row(
            Entity::Immunohistochemistry,
            &[
                s(code_),
                s(&x.tumour),
                Cell::Date(x.date),
                ocode(x.specimen),
                code(x.stain),
                os(&x.stain_detail),
                code(x.result),
                onum(x.percent_cells),
                oint(x.intensity),
                onum(x.score),
                ocode(x.score_system),
                os(&x.notes),
            ],
        );
    }
    for g in &c.genetic_tests {
        row(
            Entity::GeneticTest,
            &[
                s(code_),
                code(g.origin),
                code(g.gene),
                os(&g.gene_detail),
                code(g.result),
                os(&g.variant),
                os(&g.tumour),
                odate(g.date),
                os(&g.method),
                os(&g.notes),
            ],
        );
    }
    for q in &c.qol_responses {
        row(
            Entity::QolResponse,
            &[
                s(code_),
                code(q.questionnaire),
                Cell::Date(q.date),
                Cell::Int(i64::from(q.item)),
                Cell::Int(i64::from(q.response)),
            ],
        );
    }
    for m in &c.comorbidities {
        row(
            Entity::Comorbidity,
            &[
                s(code_),
                code(m.condition),
                os(&m.condition_detail),
                odate(m.date),
                os(&m.notes),
            ],
        );
    }
}

/// Per-file byte buffers of a chunk of patients.
struct Chunk {
    bytes: Vec<Vec<u8>>,
    rows: [u64; N_FILES],
}

fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(w)
}

/// One patient's course from its index (a pure function: the same index
/// gives the same course on any thread).
pub type CourseFn<'a> = dyn Fn(u64) -> PatientCourse + Sync + 'a;

fn encode_chunk(course: &CourseFn<'_>, from: u64, to: u64) -> Chunk {
    let mut writers: Vec<csv::Writer<Vec<u8>>> = (0..N_FILES)
        .map(|_| csv_writer(Vec::with_capacity(1 << 16)))
        .collect();
    let mut rows = [0u64; N_FILES];
    let mut buf = String::new();
    for i in from..to {
        let c = course(i);
        for_each_row(&c, &mut |e, cells| {
            let w = &mut writers[e.index()];
            for cell in cells {
                cell.write(&mut buf);
                w.write_field(buf.as_bytes()).expect("writing to memory");
            }
            w.write_record(None::<&[u8]>).expect("writing to memory");
            rows[e.index()] += 1;
        });
    }
    let bytes = writers
        .into_iter()
        .map(|w| w.into_inner().expect("flushing to memory"))
        .collect();
    Chunk { bytes, rows }
}

/// Rows written per file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// (file name, rows) in bundle order.
    pub files: Vec<(&'static str, u64)>,
}

/// Patients per chunk (the unit of work and of progress).
pub const CHUNK: u64 = 512;

/// Writes the bundle of `cfg.patients` patients into `dir`, calling
/// `progress(patients written so far)` after each chunk.
pub fn write_bundle(
    model: &Model,
    cfg: &SimConfig,
    dir: &Path,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, SimError> {
    let description = format!(
        "Synthetic registry of {} patients (seed {}) calibrated to the 103-patient \
         retrospective cohort of metastatic or recurrent NETs (1996–2007); \
         written by netra-sim {} (see docs/simulator.md)",
        cfg.patients,
        cfg.seed,
        env!("CARGO_PKG_VERSION")
    );
    write_courses(
        cfg,
        dir,
        &BundleText {
            name: "Simulated metastatic NET registry",
            description: &description,
            readme: &readme_text(cfg),
        },
        &|i| generate(model, cfg, i),
        progress,
    )
}

/// The study row's name and description and the README of a bundle.
#[derive(Debug, Clone, Copy)]
pub struct BundleText<'a> {
    /// The study's name.
    pub name: &'a str,
    /// The study's description.
    pub description: &'a str,
    /// `README.md` of the directory.
    pub readme: &'a str,
}

/// Writes the bundle of `cfg.patients` courses, `course(i)` for patient
/// `i`, into `dir` (the writer of [`write_bundle`], for any model of
/// courses), calling `progress(patients written so far)` after each chunk.
pub fn write_courses(
    cfg: &SimConfig,
    dir: &Path,
    text: &BundleText<'_>,
    course: &CourseFn<'_>,
    progress: &mut dyn FnMut(u64),
) -> Result<Summary, SimError> {
    cfg.validate()?;
    check_columns()?;
    prepare_dir(dir)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SimError::Io { path, source }
    };
    let mut files = Vec::new();
    for e in Entity::ALL {
        let path = dir.join(e.spec().file);
        let f = std::fs::File::create(&path).map_err(io(&path))?;
        let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
        let mut head = csv_writer(Vec::new());
        head.write_record(e.spec().columns.iter().map(|c| c.name))
            .expect("writing to memory");
        w.write_all(&head.into_inner().expect("flushing to memory"))
            .map_err(io(&path))?;
        files.push((path, w));
    }
    let mut rows = [0u64; N_FILES];
    // Study and centres.
    {
        let mut put = |e: Entity, cells: &[Cell<'_>]| -> Result<(), SimError> {
            let mut w = csv_writer(Vec::new());
            let mut buf = String::new();
            for c in cells {
                c.write(&mut buf);
                w.write_field(buf.as_bytes()).expect("writing to memory");
            }
            w.write_record(None::<&[u8]>).expect("writing to memory");
            let (path, f) = &mut files[e.index()];
            f.write_all(&w.into_inner().expect("flushing to memory"))
                .map_err(io(path))?;
            rows[e.index()] += 1;
            Ok(())
        };
        put(
            Entity::Study,
            &[s(&cfg.study), s(text.name), s(text.description)],
        )?;
        for k in 0..cfg.sites {
            let name = format!("Simulated centre {}", k + 1);
            put(
                Entity::Site,
                &[s(&cfg.site_code(k)), s(&cfg.study), s(&name), Cell::Null],
            )?;
        }
    }
    // Patients, chunk by chunk, in waves of a few chunks per thread.
    let threads = if cfg.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        cfg.threads
    };
    let n_chunks = cfg.patients.div_ceil(CHUNK);
    let wave = (threads * 4) as u64;
    let mut done = 0u64;
    let mut first = 0u64;
    while first < n_chunks {
        let last = (first + wave).min(n_chunks);
        let count = (last - first) as usize;
        let next = AtomicUsize::new(0);
        let mut out: Vec<Option<Chunk>> = (0..count).map(|_| None).collect();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads.min(count))
                .map(|_| {
                    let next = &next;
                    scope.spawn(move || {
                        let mut mine = Vec::new();
                        loop {
                            let j = next.fetch_add(1, Ordering::Relaxed);
                            if j >= count {
                                break;
                            }
                            let c = first + j as u64;
                            let from = c * CHUNK;
                            let to = ((c + 1) * CHUNK).min(cfg.patients);
                            mine.push((j, encode_chunk(course, from, to)));
                        }
                        mine
                    })
                })
                .collect();
            for h in handles {
                for (j, chunk) in h.join().expect("a generator thread panicked") {
                    out[j] = Some(chunk);
                }
            }
        });
        for (j, chunk) in out.into_iter().enumerate() {
            let chunk = chunk.expect("every chunk generated");
            for (e, bytes) in chunk.bytes.iter().enumerate() {
                let (path, f) = &mut files[e];
                f.write_all(bytes).map_err(io(path))?;
                rows[e] += chunk.rows[e];
            }
            let c = first + j as u64;
            done = ((c + 1) * CHUNK).min(cfg.patients);
            progress(done);
        }
        first = last;
    }
    debug_assert_eq!(done, cfg.patients);
    for (path, mut f) in files {
        f.flush().map_err(io(&path))?;
    }
    let readme = dir.join("README.md");
    std::fs::write(&readme, text.readme).map_err(io(&readme))?;
    Ok(Summary {
        files: Entity::ALL
            .iter()
            .map(|e| (e.spec().file, rows[e.index()]))
            .collect(),
    })
}

fn prepare_dir(dir: &Path) -> Result<(), SimError> {
    let io = |source| SimError::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(io)?;
    let ours: Vec<&str> = Entity::ALL.iter().map(|e| e.spec().file).collect();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let name = entry.map_err(io)?.file_name();
        let name = name.to_string_lossy();
        if name.to_ascii_lowercase().ends_with(".csv") && !ours.contains(&name.as_ref()) {
            return Err(SimError::Config(format!(
                "{} holds {name}, which is not a bundle file (a bundle directory may hold \
                 only the registry's files): choose another output directory",
                dir.display()
            )));
        }
    }
    Ok(())
}

fn readme_text(cfg: &SimConfig) -> String {
    format!(
        "# Simulated metastatic NET registry\n\n\
         Synthetic data, not patients: {} patients written by `netra simulate --patients {} \
         --seed {} --study {} --sites {}` (netra-sim {}).\n\n\
         The files follow `docs/bundle-format.md`; the model and its calibration to the \
         103-patient retrospective cohort of metastatic or recurrent NETs are described in \
         `docs/simulator.md`. The same command writes the same bytes.\n",
        cfg.patients,
        cfg.patients,
        cfg.seed,
        cfg.study,
        cfg.sites,
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_lists_are_the_schema() {
        check_columns().unwrap();
    }

    #[test]
    fn cells_are_spelled_as_the_schema_spells_values() {
        let mut buf = String::new();
        for (cell, text) in [
            (Cell::Num(20.0), "20"),
            (Cell::Num(0.1), "0.1"),
            (Cell::Num(-0.0), "0"),
            (Cell::Num(7.45), "7.45"),
            (Cell::Int(3), "3"),
            (Cell::Bool(true), "yes"),
            (Cell::Date("2004-03".parse().unwrap()), "2004-03"),
        ] {
            cell.write(&mut buf);
            assert_eq!(buf, text);
            let v = cell.to_value();
            if !matches!(cell, Cell::Num(x) if x == 0.0) {
                assert_eq!(v.to_text().unwrap(), text);
            }
        }
    }

    #[test]
    fn configuration_errors() {
        let bad = [
            SimConfig {
                patients: 0,
                ..SimConfig::default()
            },
            SimConfig {
                study: "a,b".into(),
                ..SimConfig::default()
            },
            SimConfig {
                study: String::new(),
                ..SimConfig::default()
            },
            SimConfig {
                sites: 0,
                ..SimConfig::default()
            },
        ];
        for c in bad {
            assert!(c.validate().is_err(), "{c:?}");
        }
        let c = SimConfig::default();
        assert_eq!(c.patient_code(0), "sim-0000001");
        assert_eq!(c.site_code(9), "sim-c10");
    }
}
