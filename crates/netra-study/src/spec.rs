//! The study file: a TOML analysis plan (`docs/study-file.md`).
//!
//! Parsing happens in two steps. First the text is read into `Raw*` structs
//! with `toml` and serde (`deny_unknown_fields` everywhere, so a misspelt
//! key is an error); every field that can be wrong in meaning keeps its
//! byte span ([`toml::Spanned`]). Then [`Study::parse`] checks meanings —
//! names defined once, references to variables, endpoints and tables that
//! exist, options that apply to the table or figure type, conditions that
//! parse — and resolves the plan into the types below. Every error names
//! the file, line and column.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use netra_clinical::endpoints::{Censoring, EfsEvents, Endpoint, EndpointSpec, TimeZero, Units};

use crate::StudyError;
use crate::error::SpecErrors;
use netra_analysis::condition::{self as cond, Condition};
use netra_analysis::settings::RuleSettings;
use netra_analysis::variables as vars;
pub use netra_analysis::variables::{Derivation, DerivedVariable};

type S<T> = Spanned<T>;

// ---------------------------------------------------------------- raw TOML

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStudy {
    study: RawMeta,
    data: Option<RawData>,
    cohort: Option<RawCohort>,
    groups: Option<RawGroups>,
    #[serde(default, rename = "variable")]
    variables: Vec<RawVariable>,
    #[serde(default, rename = "endpoint")]
    endpoints: Vec<RawEndpoint>,
    #[serde(default, rename = "table")]
    tables: Vec<RawTable>,
    #[serde(default, rename = "figure")]
    figures: Vec<RawFigure>,
    /// Line rules, response criteria, small-cell threshold: the analysis
    /// layer's settings, as every surface takes them.
    settings: Option<S<RuleSettings>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    title: String,
    subtitle: Option<String>,
    description: Option<String>,
    landmarks: Option<S<Vec<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawData {
    bundle: Option<S<String>>,
    db: Option<S<String>>,
    simulate: Option<S<RawSimulate>>,
    study: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulate {
    patients: S<u64>,
    seed: u64,
    study: Option<String>,
    sites: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCohort {
    include_excluded: Option<bool>,
    #[serde(rename = "where", default)]
    conditions: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroups {
    variable: S<String>,
    label: Option<String>,
    levels: Option<S<Vec<String>>>,
    labels: Option<S<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    label: String,
    when: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVariable {
    name: S<String>,
    label: Option<String>,
    from: Option<S<String>>,
    cuts: Option<S<Vec<f64>>>,
    closed: Option<S<String>>,
    labels: Option<S<Vec<String>>>,
    map: Option<S<BTreeMap<String, String>>>,
    levels: Option<S<Vec<String>>>,
    cases: Option<S<Vec<RawCase>>>,
    marker: Option<S<String>>,
    above_uln: Option<S<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEndpoint {
    name: S<String>,
    #[serde(rename = "type")]
    kind: S<String>,
    from: S<String>,
    unit: Option<S<String>>,
    label: Option<String>,
    censoring: Option<S<String>>,
    censor_at_new_therapy: Option<bool>,
    events: Option<S<String>>,
    /// TTNT: death counts as an event (default true), as the layer's
    /// `EndpointRequest` names it.
    ttnt_death_is_event: Option<bool>,
    /// TTF: completing the planned treatment is a failure (default false).
    ttf_completion_is_failure: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    variable: S<String>,
    label: Option<String>,
    summary: Option<S<String>>,
    test: Option<S<String>>,
    decimals: Option<S<usize>>,
}

/// Fields of `[[table]]`; which apply depends on `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    name: S<String>,
    #[serde(rename = "type")]
    kind: S<String>,
    title: Option<String>,
    section: Option<String>,
    footnote: Option<String>,
    by: Option<S<String>>,
    overall: Option<S<bool>>,
    rows: Option<S<Vec<RawRow>>>,
    endpoint: Option<S<String>>,
    landmarks: Option<S<Vec<f64>>>,
    characteristics: Option<S<Vec<S<String>>>>,
    all: Option<S<bool>>,
    univariate: Option<S<Vec<S<String>>>>,
    multivariate: Option<S<Vec<S<String>>>>,
    reference: Option<S<BTreeMap<String, String>>>,
    lines: Option<S<Vec<u32>>>,
    response: Option<S<String>>,
    min_cell: Option<S<u64>>,
}

/// Fields of `[[figure]]`; which apply depends on `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFigure {
    name: S<String>,
    #[serde(rename = "type")]
    kind: S<String>,
    title: Option<String>,
    caption: Option<String>,
    section: Option<String>,
    endpoint: Option<S<String>>,
    by: Option<S<String>>,
    ticks: Option<S<Vec<f64>>>,
    x_max: Option<S<f64>>,
    ci: Option<S<bool>>,
    median: Option<S<bool>>,
    censor_marks: Option<S<bool>>,
    at_risk: Option<S<bool>>,
    test: Option<S<String>>,
    table: Option<S<String>>,
    model: Option<S<String>>,
    line: Option<S<u32>>,
    lines: Option<S<u32>>,
    sample: Option<S<usize>>,
    seed: Option<S<u64>>,
    from: Option<S<String>>,
    width: Option<S<f64>>,
    min_cell: Option<S<u64>>,
}

// ------------------------------------------------------------ resolved plan

/// Where the patients come from.
#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    /// A bundle directory (`docs/bundle-format.md`), imported into a
    /// temporary embedded registry. Relative paths are relative to the study
    /// file.
    Bundle(PathBuf),
    /// An existing registry: a SQLite path (relative to the study file) or a
    /// `postgres://` URL.
    Db(String),
    /// A simulated registry (`netra simulate`), generated and imported into a
    /// temporary embedded registry.
    Simulate {
        /// Patients.
        patients: u64,
        /// Seed.
        seed: u64,
        /// Study code (also the patient-code prefix).
        study: String,
        /// Centres.
        sites: u32,
    },
}

/// The comparison groups (`[groups]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Groups {
    /// A categorical variable.
    pub variable: String,
    /// Printed name of the grouping (`None`: the variable's label).
    pub label: Option<String>,
    /// The levels compared, in order (codes or labels); `None`: all.
    pub levels: Option<Vec<String>>,
    /// Printed names of those levels.
    pub labels: Option<Vec<String>>,
}

/// An endpoint (`[[endpoint]]`): a name and label for an endpoint of
/// `netra_clinical::endpoints`.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointDef {
    /// Name used in the study file.
    pub name: String,
    /// Printed name ("Overall survival").
    pub label: String,
    /// The endpoint, its time zero, unit and censoring.
    pub spec: EndpointSpec,
}

impl EndpointDef {
    /// True when measured from the start of every line (`line:all`).
    pub fn per_line(&self) -> bool {
        self.spec.from == TimeZero::EachLine
    }
}

/// How a continuous variable is summarised in a baseline table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowSummary {
    /// Mean ± SD.
    MeanSd,
    /// Median (range).
    MedianRange,
    /// Both (two rows).
    Both,
    /// A number shown as categories (n (%) per value).
    Categories,
}

/// The test of a baseline row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowTest {
    /// Student's t-test (R `t.test(var.equal = TRUE)`).
    T,
    /// Welch's t-test.
    Welch,
    /// Mann–Whitney U.
    MannWhitney,
    /// Chi-square, with Yates' correction on 2 × 2 tables.
    ChiSquare,
    /// Chi-square without continuity correction.
    ChiSquareUncorrected,
    /// Fisher's exact test.
    Fisher,
    /// Chi-square (Yates) or Fisher by Cochran's rule.
    Auto,
    /// No test.
    None,
}

/// A row of a baseline table.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineRow {
    /// Variable.
    pub variable: String,
    /// Printed name (`None`: the variable's label).
    pub label: Option<String>,
    /// Summary of a number (`None`: categories for categorical variables,
    /// mean ± SD for numbers).
    pub summary: Option<RowSummary>,
    /// Test (`None`: t-test for numbers, Cochran's rule for categories).
    pub test: Option<RowTest>,
    /// Decimals of numbers.
    pub decimals: usize,
}

/// What a `[[table]]` shows.
#[derive(Debug, Clone, PartialEq)]
pub enum TableKind {
    /// Baseline characteristics by group.
    Baseline {
        /// Group variable (`None`: the study's groups).
        by: Option<String>,
        /// Also a column for all patients.
        overall: bool,
        /// Rows.
        rows: Vec<BaselineRow>,
    },
    /// Survival by characteristic.
    Survival {
        /// Endpoint.
        endpoint: String,
        /// Landmark times (`None`: the study's).
        landmarks: Option<Vec<f64>>,
        /// Characteristics.
        characteristics: Vec<String>,
        /// A row for all patients.
        all: bool,
    },
    /// ORR and DCR by characteristic.
    Response {
        /// Which response: `line:K` (best response on line K).
        response: ResponseSource,
        /// Characteristics.
        characteristics: Vec<String>,
        /// A row for all patients.
        all: bool,
    },
    /// Cox regression, univariate and multivariate.
    Cox {
        /// Endpoint.
        endpoint: String,
        /// Terms fitted one at a time.
        univariate: Vec<String>,
        /// Terms of the multivariate model.
        multivariate: Vec<String>,
        /// Reference level per categorical variable (code or label).
        reference: BTreeMap<String, String>,
    },
    /// Outcome per line of systemic therapy.
    Lines {
        /// A per-line endpoint (`from = "line:all"`).
        endpoint: String,
        /// Lines.
        lines: Vec<u32>,
        /// Landmark (one).
        landmark: Option<f64>,
        /// Counts below this are suppressed (≤ 1: none).
        min_cell: u64,
    },
    /// Cumulative incidence of progression and of death without
    /// progression by group, at landmarks, with Gray's test
    /// (`crate::cuminc`).
    Cuminc {
        /// A `ttp` or `pfs` endpoint (not per line).
        endpoint: String,
        /// Group variable (`None`: the study's groups; `Some("")`: all
        /// patients together).
        by: Option<String>,
        /// Landmarks (`None`: the study's).
        landmarks: Option<Vec<f64>>,
    },
    /// Survival of groups (one row per group, log-rank p).
    Km {
        /// Endpoint.
        endpoint: String,
        /// Group variable (`None`: the study's groups).
        by: Option<String>,
        /// Landmarks (`None`: the study's).
        landmarks: Option<Vec<f64>>,
    },
}

/// Which best response a response table counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseSource {
    /// The best response on line `k` of systemic therapy.
    Line(u32),
    /// The best investigator-reported response over all assessments.
    Investigator,
}

/// A table to make.
#[derive(Debug, Clone, PartialEq)]
pub struct TableDef {
    /// File stem of the outputs.
    pub name: String,
    /// Title (caption).
    pub title: String,
    /// Report section.
    pub section: String,
    /// Byte offset in the study file (report order follows the file).
    pub position: usize,
    /// A footnote added under the table.
    pub footnote: Option<String>,
    /// What it shows.
    pub kind: TableKind,
}

/// Options of a Kaplan–Meier figure.
#[derive(Debug, Clone, PartialEq)]
pub struct KmOptions {
    /// Endpoint.
    pub endpoint: String,
    /// Group variable (`None`: the study's groups; `Some("")`: one curve).
    pub by: Option<String>,
    /// Printed times (also the at-risk times).
    pub ticks: Option<Vec<f64>>,
    /// Right end of the axis.
    pub x_max: Option<f64>,
    /// Confidence bands.
    pub ci: bool,
    /// Median lines.
    pub median: bool,
    /// Censoring marks.
    pub censor_marks: bool,
    /// Numbers at risk.
    pub at_risk: bool,
    /// Log-rank p on the figure.
    pub logrank: bool,
    /// For a per-line endpoint: the line.
    pub line: Option<u32>,
}

/// Options of a cumulative-incidence figure.
#[derive(Debug, Clone, PartialEq)]
pub struct CumincOptions {
    /// A `ttp` or `pfs` endpoint (not per line).
    pub endpoint: String,
    /// Group variable (`None`: the study's groups; `Some("")`: one curve).
    pub by: Option<String>,
    /// Printed times (also the at-risk times).
    pub ticks: Option<Vec<f64>>,
    /// Right end of the axis.
    pub x_max: Option<f64>,
    /// Confidence bands.
    pub ci: bool,
    /// Numbers at risk.
    pub at_risk: bool,
    /// Gray's p on the figure.
    pub gray: bool,
}

/// What a `[[figure]]` shows.
#[derive(Debug, Clone, PartialEq)]
pub enum FigureKind {
    /// Kaplan–Meier curves.
    Km(KmOptions),
    /// Cumulative incidence of progression by group (death without
    /// progression competing).
    Cuminc(CumincOptions),
    /// Forest plot of a Cox table.
    Forest {
        /// The `[[table]]` of type `cox`.
        table: String,
        /// `true`: the multivariate model; `false`: univariate.
        multivariate: bool,
    },
    /// Waterfall of best % change on a line.
    Waterfall {
        /// Line.
        line: u32,
    },
    /// Spider plot of % change on a line.
    Spider {
        /// Line.
        line: u32,
    },
    /// Swimmer plot of a sample of patients.
    Swimmer {
        /// Patients drawn (`None`: all, up to 40).
        sample: Option<usize>,
        /// Seed of the sample.
        seed: u64,
        /// Time zero.
        from: TimeZero,
    },
    /// Sankey of treatment sequences.
    Sankey {
        /// Lines shown.
        lines: u32,
        /// Transitions of fewer patients are not drawn (≤ 1: all).
        min_cell: u64,
    },
}

/// A figure to make.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureDef {
    /// File stem.
    pub name: String,
    /// Title inside the figure (may be empty).
    pub title: String,
    /// Caption in the report.
    pub caption: String,
    /// Report section.
    pub section: String,
    /// Byte offset in the study file (report order follows the file).
    pub position: usize,
    /// Width in CSS pixels (`None`: the default 640).
    pub width: Option<f64>,
    /// What it shows.
    pub kind: FigureKind,
}

/// A parsed and checked study file.
#[derive(Debug, Clone, PartialEq)]
pub struct Study {
    /// The file it was read from (relative data paths start here).
    pub path: PathBuf,
    /// Title of the report.
    pub title: String,
    /// Line under the title.
    pub subtitle: Option<String>,
    /// Paragraph at the top of the report.
    pub description: Option<String>,
    /// Data source (`None`: must be given on the command line).
    pub data: Option<DataSource>,
    /// Only patients of this study code (`None`: all).
    pub data_study: Option<String>,
    /// Keep patients flagged `excluded`.
    pub include_excluded: bool,
    /// Cohort conditions (all must hold).
    pub cohort: Vec<Condition>,
    /// Comparison groups.
    pub groups: Option<Groups>,
    /// Derived variables in definition order.
    pub variables: Vec<DerivedVariable>,
    /// Endpoints.
    pub endpoints: Vec<EndpointDef>,
    /// Default landmark times (in each endpoint's unit).
    pub landmarks: Vec<f64>,
    /// Tables in order.
    pub tables: Vec<TableDef>,
    /// Figures in order.
    pub figures: Vec<FigureDef>,
    /// Line rules, response criteria and small-cell threshold (`[settings]`).
    pub settings: RuleSettings,
}

// --------------------------------------------------------------- resolution

struct Resolver<'a> {
    e: SpecErrors<'a>,
    /// Variable names known so far (base and derived), with whether
    /// categorical.
    variables: HashMap<String, bool>,
}

fn span<T>(s: &S<T>) -> Range<usize> {
    s.span()
}

const TABLE_TYPES: &str = "baseline, survival, km, response, cox, lines, cuminc";
const FIGURE_TYPES: &str = "km, cuminc, forest, waterfall, spider, swimmer, sankey";

impl Resolver<'_> {
    fn condition(&self, s: &S<String>) -> Result<Condition, StudyError> {
        // Offsets inside the string map to the file when it has no escapes
        // (the usual case); the opening quote is skipped.
        let base = s.span().start + 1;
        let c = cond::parse(s.get_ref()).map_err(|e| {
            self.e.at(
                base + e.offset..base + e.offset,
                format!("condition: {}", e.message),
            )
        })?;
        self.check_variable(
            &c.variable,
            base + c.variable_offset..base + c.variable_offset,
        )?;
        Ok(c)
    }

    fn check_variable(&self, name: &str, at: Range<usize>) -> Result<bool, StudyError> {
        self.variables
            .get(name)
            .copied()
            .or_else(|| vars::base_kind(name))
            .ok_or_else(|| {
                if let Some((_, msg)) = vars::RETIRED.iter().find(|(n, _)| *n == name) {
                    return self.e.at(at.clone(), *msg);
                }
                self.e.at(
                    at,
                    format!(
                        "unknown variable '{name}' (define it in a [[variable]] above, or use \
                         one of the registry variables listed in docs/study-file.md)"
                    ),
                )
            })
    }

    fn var_ref(&self, s: &S<String>) -> Result<String, StudyError> {
        self.check_variable(s.get_ref(), span(s))?;
        Ok(s.get_ref().clone())
    }

    fn categorical_ref(&self, s: &S<String>, what: &str) -> Result<String, StudyError> {
        if !self.check_variable(s.get_ref(), span(s))? {
            return Err(self.e.at(
                span(s),
                format!(
                    "{what} needs a categorical variable, but '{}' is a number (derive bands \
                     with `cuts`)",
                    s.get_ref()
                ),
            ));
        }
        Ok(s.get_ref().clone())
    }

    fn landmarks(&self, s: &S<Vec<f64>>) -> Result<Vec<f64>, StudyError> {
        if let Some(x) = s.get_ref().iter().find(|x| !(x.is_finite() && **x > 0.0)) {
            return Err(self
                .e
                .at(span(s), format!("landmark times must be positive, got {x}")));
        }
        Ok(s.get_ref().clone())
    }

    fn time_zero(&self, s: &S<String>) -> Result<TimeZero, StudyError> {
        s.get_ref()
            .trim()
            .parse::<TimeZero>()
            .map_err(|err| self.e.at(span(s), err.0))
    }
}

/// Reads the rule settings of a TOML file: its `[settings]` table (a study
/// file, or a file holding only that table), else the whole file as the
/// table's keys. A criteria name ending in `.toml` is read relative to the
/// file, as in a study file. What `netra lines`, `netra endpoints` and
/// `netra sequences` take with `--settings FILE`, so that the CLI and study
/// files read one format.
pub fn read_settings(path: &Path) -> Result<RuleSettings, StudyError> {
    let text = std::fs::read_to_string(path).map_err(|e| StudyError::io(path, e))?;
    let spec_error = |message: String| StudyError::Spec {
        file: path.to_path_buf(),
        position: None,
        message,
    };
    /// A file with a `[settings]` table (other tables ignored).
    #[derive(Deserialize)]
    struct WithSettings {
        settings: RuleSettings,
    }
    let table: toml::Table = toml::from_str(&text).map_err(|e| spec_error(e.to_string()))?;
    let raw: RuleSettings = if table.contains_key("settings") {
        toml::from_str::<WithSettings>(&text).map(|w| w.settings)
    } else {
        toml::from_str::<RuleSettings>(&text)
    }
    .map_err(|e| spec_error(format!("[settings]: {e}")))?;
    resolve_settings(&raw, path).map_err(spec_error)
}

/// Checks a `[settings]` section; a criteria name ending in `.toml` is a
/// study-defined criteria file, read relative to the study file.
fn resolve_settings(raw: &RuleSettings, study: &Path) -> Result<RuleSettings, String> {
    let mut s = raw.clone();
    if s.criteria.ends_with(".toml") {
        let file = study
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&s.criteria);
        let text = std::fs::read_to_string(&file)
            .map_err(|err| format!("criteria file {}: {err}", file.display()))?;
        s.criteria = "custom".into();
        s.criteria_toml = Some(text);
    }
    s.resolve().map_err(|err| err.to_string())?;
    Ok(s)
}

/// Fails on a field that does not apply to a type.
fn not_for<T>(
    e: &SpecErrors<'_>,
    field: &Option<S<T>>,
    name: &str,
    what: &str,
) -> Result<(), StudyError> {
    match field {
        Some(f) => Err(e.at(span(f), format!("`{name}` does not apply to {what}"))),
        None => Ok(()),
    }
}

fn unique(
    e: &SpecErrors<'_>,
    seen: &mut HashMap<String, ()>,
    name: &S<String>,
    what: &str,
) -> Result<(), StudyError> {
    let n = name.get_ref();
    let ok = !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if !ok {
        return Err(e.at(
            span(name),
            format!("{what} name '{n}' must be letters, digits, '_', '-' or '.'"),
        ));
    }
    if seen.insert(n.clone(), ()).is_some() {
        return Err(e.at(span(name), format!("{what} '{n}' is defined twice")));
    }
    Ok(())
}

impl Study {
    /// Reads and checks a study file.
    pub fn read(path: &Path) -> Result<Study, StudyError> {
        let text = std::fs::read_to_string(path).map_err(|e| StudyError::io(path, e))?;
        Study::parse(&text, path)
    }

    /// Parses and checks study-file text; `path` names the file in errors
    /// and anchors relative data paths.
    pub fn parse(text: &str, path: &Path) -> Result<Study, StudyError> {
        let e = SpecErrors { file: path, text };
        let raw: RawStudy = toml::from_str(text).map_err(|err| match err.span() {
            Some(s) => e.at(s, err.message().replace('\n', "; ")),
            None => e.whole(err.message().replace('\n', "; ")),
        })?;
        let mut r = Resolver {
            e: e.clone(),
            variables: HashMap::new(),
        };

        let landmarks = match &raw.study.landmarks {
            Some(l) => r.landmarks(l)?,
            None => Vec::new(),
        };

        // Data source.
        let (data, data_study) = match &raw.data {
            None => (None, None),
            Some(d) => {
                let given = [d.bundle.is_some(), d.db.is_some(), d.simulate.is_some()];
                if given.iter().filter(|g| **g).count() > 1 {
                    let at =
                        d.db.as_ref()
                            .map(span)
                            .or(d.simulate.as_ref().map(span))
                            .unwrap_or(0..0);
                    return Err(e.at(at, "give one of `bundle`, `db` and `simulate`"));
                }
                let base = path.parent().unwrap_or(Path::new(""));
                let source = if let Some(b) = &d.bundle {
                    Some(DataSource::Bundle(base.join(b.get_ref())))
                } else if let Some(db) = &d.db {
                    let t = db.get_ref();
                    Some(DataSource::Db(if t.contains("://") {
                        t.clone()
                    } else {
                        base.join(t).display().to_string()
                    }))
                } else if let Some(s) = &d.simulate {
                    let sim = s.get_ref();
                    let n = *sim.patients.get_ref();
                    if !(1..=10_000_000).contains(&n) {
                        return Err(e.at(
                            span(&sim.patients),
                            "simulate.patients must be between 1 and 10000000",
                        ));
                    }
                    Some(DataSource::Simulate {
                        patients: n,
                        seed: sim.seed,
                        study: sim.study.clone().unwrap_or_else(|| "sim".into()),
                        sites: sim.sites.unwrap_or(1).max(1),
                    })
                } else {
                    None
                };
                (source, d.study.as_ref().map(|s| s.get_ref().clone()))
            }
        };

        // Derived variables, in order: each may use those above it.
        let mut seen = HashMap::new();
        let mut variables = Vec::new();
        for v in &raw.variables {
            unique(&e, &mut seen, &v.name, "variable")?;
            let name = v.name.get_ref().clone();
            if vars::base_kind(&name).is_some() {
                return Err(e.at(
                    span(&v.name),
                    format!("'{name}' is already a registry variable; choose another name"),
                ));
            }
            let ways = [
                v.cuts.is_some(),
                v.map.is_some(),
                v.cases.is_some(),
                v.marker.is_some(),
            ];
            match ways.iter().filter(|w| **w).count() {
                0 if v.levels.is_some() && v.from.is_some() => {}
                1 => {}
                0 => {
                    return Err(e.at(
                        span(&v.name),
                        format!(
                            "variable '{name}': say how it is derived: `cuts` (with `from`), \
                             `map` or `levels` (with `from`), `cases`, or `marker`"
                        ),
                    ));
                }
                _ => {
                    return Err(e.at(
                        span(&v.name),
                        format!(
                            "variable '{name}': use only one of `cuts`, `map`, `cases`, `marker`"
                        ),
                    ));
                }
            }
            let derivation = if let Some(cuts) = &v.cuts {
                let from = v.from.as_ref().ok_or_else(|| {
                    e.at(
                        span(cuts),
                        format!("variable '{name}': `cuts` needs `from`"),
                    )
                })?;
                if r.check_variable(from.get_ref(), span(from))? {
                    return Err(e.at(
                        span(from),
                        format!(
                            "variable '{name}': `cuts` needs a number, but '{}' is categorical",
                            from.get_ref()
                        ),
                    ));
                }
                let c = cuts.get_ref();
                if c.is_empty()
                    || c.iter().any(|x| !x.is_finite())
                    || c.windows(2).any(|w| w[0] >= w[1])
                {
                    return Err(e.at(
                        span(cuts),
                        "cut points must be finite and strictly increasing",
                    ));
                }
                let right_closed = match v.closed.as_ref().map(|c| c.get_ref().as_str()) {
                    None | Some("left") => false,
                    Some("right") => true,
                    Some(other) => {
                        return Err(e.at(
                            span(v.closed.as_ref().expect("present")),
                            format!("`closed` is \"left\" or \"right\", not '{other}'"),
                        ));
                    }
                };
                if let Some(l) = &v.labels
                    && l.get_ref().len() != c.len() + 1
                {
                    return Err(e.at(
                        span(l),
                        format!(
                            "{} cut point(s) make {} bands, but {} labels are given",
                            c.len(),
                            c.len() + 1,
                            l.get_ref().len()
                        ),
                    ));
                }
                Derivation::Cuts {
                    from: from.get_ref().clone(),
                    cuts: c.clone(),
                    right_closed,
                }
            } else if let Some(cases) = &v.cases {
                not_for(&e, &v.from, "from", "a variable made of `cases`")?;
                let mut out = Vec::new();
                for c in cases.get_ref() {
                    out.push((c.label.clone(), r.condition(&c.when)?));
                }
                if out.is_empty() {
                    return Err(e.at(span(cases), "`cases` is empty"));
                }
                Derivation::Cases(out)
            } else if let Some(marker) = &v.marker {
                not_for(&e, &v.from, "from", "a marker variable")?;
                if !vars::marker_codes().contains(&marker.get_ref().as_str()) {
                    return Err(e.at(
                        span(marker),
                        format!(
                            "unknown marker '{}' (one of {})",
                            marker.get_ref(),
                            vars::marker_codes().join(", ")
                        ),
                    ));
                }
                let factor = v.above_uln.as_ref().map_or(1.0, |f| *f.get_ref());
                if !(factor.is_finite() && factor > 0.0) {
                    return Err(e.at(
                        span(v.above_uln.as_ref().expect("present")),
                        "`above_uln` must be a positive multiple of the upper limit",
                    ));
                }
                if let Some(l) = &v.labels
                    && l.get_ref().len() != 2
                {
                    return Err(e.at(span(l), "a marker variable has 2 labels (not above, above)"));
                }
                Derivation::AboveUln {
                    marker: marker.get_ref().clone(),
                    factor,
                }
            } else {
                // `map` and/or `levels` recode a categorical variable.
                let from = v.from.as_ref().ok_or_else(|| {
                    e.at(
                        span(&v.name),
                        format!("variable '{name}': `map`/`levels` need `from`"),
                    )
                })?;
                r.categorical_ref(from, "`map`/`levels`")?;
                Derivation::Recode {
                    from: from.get_ref().clone(),
                    map: v
                        .map
                        .as_ref()
                        .map(|m| m.get_ref().clone())
                        .unwrap_or_default(),
                }
            };
            if !matches!(
                derivation,
                Derivation::Cuts { .. } | Derivation::AboveUln { .. }
            ) && let Some(l) = &v.labels
            {
                return Err(e.at(
                    span(l),
                    "`labels` name the bands of `cuts` or a `marker` variable; recoded and \
                     `cases` variables take their labels from `map`/`cases`",
                ));
            }
            if matches!(
                derivation,
                Derivation::Cuts { .. } | Derivation::AboveUln { .. }
            ) {
                not_for(
                    &e,
                    &v.levels,
                    "levels",
                    "a `cuts` or `marker` variable (use `labels`)",
                )?;
            }
            if !matches!(derivation, Derivation::Cuts { .. }) {
                not_for(&e, &v.closed, "closed", "this variable (only `cuts`)")?;
            }
            if !matches!(derivation, Derivation::AboveUln { .. }) {
                not_for(
                    &e,
                    &v.above_uln,
                    "above_uln",
                    "this variable (only `marker`)",
                )?;
            }
            let levels = match &derivation {
                Derivation::Cuts { .. } | Derivation::AboveUln { .. } => {
                    v.labels.as_ref().map(|l| l.get_ref().clone())
                }
                _ => v.levels.as_ref().map(|l| l.get_ref().clone()),
            };
            if let Some(l) = &levels {
                let mut s = l.clone();
                s.sort();
                if s.windows(2).any(|w| w[0] == w[1]) {
                    return Err(e.at(
                        span(v.levels.as_ref().or(v.labels.as_ref()).expect("present")),
                        "levels must differ from each other",
                    ));
                }
            }
            r.variables.insert(name.clone(), true);
            variables.push(DerivedVariable {
                label: v.label.clone().unwrap_or_else(|| name.clone()),
                name,
                derivation,
                levels,
            });
        }

        // Cohort.
        let (include_excluded, cohort) = match &raw.cohort {
            None => (false, Vec::new()),
            Some(c) => (
                c.include_excluded.unwrap_or(false),
                c.conditions
                    .iter()
                    .map(|s| r.condition(s))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
        };

        // Groups.
        let groups = match &raw.groups {
            None => None,
            Some(g) => {
                let variable = r.categorical_ref(&g.variable, "[groups]")?;
                if let (Some(l), Some(lab)) = (&g.levels, &g.labels)
                    && l.get_ref().len() != lab.get_ref().len()
                {
                    return Err(e.at(
                        span(lab),
                        format!(
                            "{} labels for {} levels",
                            lab.get_ref().len(),
                            l.get_ref().len()
                        ),
                    ));
                }
                if let (Some(labels), None) = (&g.labels, &g.levels) {
                    return Err(e.at(
                        span(labels),
                        "`labels` need `levels` (the levels they name, in order)",
                    ));
                }
                Some(Groups {
                    variable,
                    label: g.label.clone(),
                    levels: g.levels.as_ref().map(|l| l.get_ref().clone()),
                    labels: g.labels.as_ref().map(|l| l.get_ref().clone()),
                })
            }
        };

        // Endpoints.
        let mut seen = HashMap::new();
        let mut endpoints = Vec::new();
        for ep in &raw.endpoints {
            unique(&e, &mut seen, &ep.name, "endpoint")?;
            let endpoint = ep
                .kind
                .get_ref()
                .parse::<Endpoint>()
                .map_err(|err| e.at(span(&ep.kind), err.0))?;
            let mut spec = EndpointSpec::new(endpoint, r.time_zero(&ep.from)?);
            if let Some(u) = &ep.unit {
                spec.units = u
                    .get_ref()
                    .parse::<Units>()
                    .map_err(|err| e.at(span(u), err.0))?;
            }
            if let Some(c) = &ep.censoring {
                spec.censoring = c
                    .get_ref()
                    .parse::<Censoring>()
                    .map_err(|err| e.at(span(c), err.0))?;
            }
            spec.censor_at_new_therapy = ep.censor_at_new_therapy.unwrap_or(false);
            if let Some(d) = ep.ttnt_death_is_event {
                spec.ttnt_death_is_event = d;
            }
            if let Some(c) = ep.ttf_completion_is_failure {
                spec.ttf_completion_is_failure = c;
            }
            match &ep.events {
                Some(ev) if endpoint == Endpoint::Efs => {
                    spec.efs = ev
                        .get_ref()
                        .parse::<EfsEvents>()
                        .map_err(|err| e.at(span(ev), err.0))?;
                }
                Some(ev) => return Err(e.at(span(ev), "`events` applies to an efs endpoint")),
                None => {}
            }
            endpoints.push(EndpointDef {
                name: ep.name.get_ref().clone(),
                label: ep
                    .label
                    .clone()
                    .unwrap_or_else(|| endpoint.label().to_string()),
                spec,
            });
        }
        let endpoint_ref = |s: &S<String>, per_line: Option<bool>| -> Result<String, StudyError> {
            let ep = endpoints
                .iter()
                .find(|x| &x.name == s.get_ref())
                .ok_or_else(|| e.at(span(s), format!("no [[endpoint]] named '{}'", s.get_ref())))?;
            match per_line {
                Some(true) if !ep.per_line() => Err(e.at(
                    span(s),
                    format!(
                        "endpoint '{}' must be measured from each line (`from = \"line:all\"`)",
                        ep.name
                    ),
                )),
                Some(false) if ep.per_line() => Err(e.at(
                    span(s),
                    format!(
                        "endpoint '{}' is measured from each line; this needs one time zero \
                         (use a per-line table or give the figure a `line`)",
                        ep.name
                    ),
                )),
                _ => Ok(ep.name.clone()),
            }
        };
        let progression_endpoint = |s: &S<String>| -> Result<(), StudyError> {
            match endpoints.iter().find(|x| &x.name == s.get_ref()) {
                Some(ep) if matches!(ep.spec.endpoint, Endpoint::Ttp | Endpoint::Pfs) => Ok(()),
                _ => Err(e.at(
                    span(s),
                    format!(
                        "endpoint '{}' is not a ttp or pfs endpoint (cumulative incidence \
                         splits progression from death)",
                        s.get_ref()
                    ),
                )),
            }
        };

        // Tables.
        let mut seen = HashMap::new();
        let mut tables = Vec::new();
        for t in &raw.tables {
            unique(&e, &mut seen, &t.name, "table")?;
            let ty = t.kind.get_ref().as_str();
            let what = format!("a {ty} table");
            let chars = |c: &Option<S<Vec<S<String>>>>| -> Result<Vec<String>, StudyError> {
                match c {
                    None => Ok(Vec::new()),
                    Some(list) => list
                        .get_ref()
                        .iter()
                        .map(|s| r.categorical_ref(s, "a characteristic"))
                        .collect(),
                }
            };
            let need = |f: &Option<S<String>>, name: &str| -> Result<S<String>, StudyError> {
                f.clone()
                    .ok_or_else(|| e.at(span(&t.kind), format!("{what} needs `{name}`")))
            };
            if ty != "lines" {
                not_for(&e, &t.min_cell, "min_cell", &what)?;
            }
            let kind = match ty {
                "baseline" => {
                    for (f, n) in [(&t.endpoint, "endpoint"), (&t.response, "response")] {
                        not_for(&e, f, n, &what)?;
                    }
                    not_for(&e, &t.landmarks, "landmarks", &what)?;
                    not_for(&e, &t.characteristics, "characteristics", &what)?;
                    not_for(&e, &t.all, "all", &what)?;
                    not_for(&e, &t.univariate, "univariate", &what)?;
                    not_for(&e, &t.multivariate, "multivariate", &what)?;
                    not_for(&e, &t.reference, "reference", &what)?;
                    not_for(&e, &t.lines, "lines", &what)?;
                    let by = match &t.by {
                        Some(b) => Some(r.categorical_ref(b, "`by`")?),
                        None if groups.is_none() => {
                            return Err(e.at(
                                span(&t.kind),
                                "a baseline table needs `by` or a [groups] section",
                            ));
                        }
                        None => None,
                    };
                    let rows_raw = t
                        .rows
                        .as_ref()
                        .ok_or_else(|| e.at(span(&t.kind), "a baseline table needs `rows`"))?;
                    let mut rows = Vec::new();
                    for row in rows_raw.get_ref() {
                        let categorical =
                            r.check_variable(row.variable.get_ref(), span(&row.variable))?;
                        let summary = match row
                            .summary
                            .as_ref()
                            .map(|s| (s.get_ref().as_str(), span(s)))
                        {
                            None => None,
                            Some((s, at)) => {
                                if categorical {
                                    return Err(e.at(at, "`summary` applies to numbers; this variable is categorical"));
                                }
                                Some(match s {
                                    "mean_sd" => RowSummary::MeanSd,
                                    "median_range" => RowSummary::MedianRange,
                                    "both" => RowSummary::Both,
                                    "categories" => RowSummary::Categories,
                                    other => {
                                        return Err(e.at(
                                            at,
                                            format!("summary '{other}' is not one of mean_sd, median_range, both, categories"),
                                        ));
                                    }
                                })
                            }
                        };
                        let as_categories = categorical || summary == Some(RowSummary::Categories);
                        let test = match row.test.as_ref().map(|s| (s.get_ref().as_str(), span(s)))
                        {
                            None => None,
                            Some((s, at)) => {
                                let test = match s {
                                    "t" => RowTest::T,
                                    "welch" => RowTest::Welch,
                                    "mann_whitney" => RowTest::MannWhitney,
                                    "chisq" => RowTest::ChiSquare,
                                    "chisq_uncorrected" => RowTest::ChiSquareUncorrected,
                                    "fisher" => RowTest::Fisher,
                                    "auto" => RowTest::Auto,
                                    "none" => RowTest::None,
                                    other => {
                                        return Err(e.at(
                                            at,
                                            format!(
                                                "test '{other}' is not one of t, welch, mann_whitney, \
                                                 chisq, chisq_uncorrected, fisher, auto, none"
                                            ),
                                        ));
                                    }
                                };
                                let numeric_test = matches!(
                                    test,
                                    RowTest::T | RowTest::Welch | RowTest::MannWhitney
                                );
                                let cat_test = matches!(
                                    test,
                                    RowTest::ChiSquare
                                        | RowTest::ChiSquareUncorrected
                                        | RowTest::Fisher
                                        | RowTest::Auto
                                );
                                if (as_categories && numeric_test) || (!as_categories && cat_test) {
                                    return Err(e.at(
                                        at,
                                        format!(
                                            "test '{s}' does not fit a {} row",
                                            if as_categories {
                                                "categorical"
                                            } else {
                                                "numeric"
                                            }
                                        ),
                                    ));
                                }
                                Some(test)
                            }
                        };
                        rows.push(BaselineRow {
                            variable: row.variable.get_ref().clone(),
                            label: row.label.clone(),
                            summary,
                            test,
                            decimals: row.decimals.as_ref().map_or(1, |d| *d.get_ref()),
                        });
                    }
                    TableKind::Baseline {
                        by,
                        overall: t.overall.as_ref().is_some_and(|o| *o.get_ref()),
                        rows,
                    }
                }
                "survival" | "km" => {
                    not_for(&e, &t.rows, "rows", &what)?;
                    not_for(&e, &t.response, "response", &what)?;
                    not_for(&e, &t.univariate, "univariate", &what)?;
                    not_for(&e, &t.multivariate, "multivariate", &what)?;
                    not_for(&e, &t.reference, "reference", &what)?;
                    not_for(&e, &t.lines, "lines", &what)?;
                    not_for(&e, &t.overall, "overall", &what)?;
                    let endpoint = endpoint_ref(&need(&t.endpoint, "endpoint")?, Some(false))?;
                    let landmarks = t.landmarks.as_ref().map(|l| r.landmarks(l)).transpose()?;
                    if ty == "survival" {
                        not_for(&e, &t.by, "by", &format!("{what} (list `characteristics`)"))?;
                        TableKind::Survival {
                            endpoint,
                            landmarks,
                            characteristics: chars(&t.characteristics)?,
                            all: t.all.as_ref().is_none_or(|a| *a.get_ref()),
                        }
                    } else {
                        not_for(&e, &t.characteristics, "characteristics", &what)?;
                        not_for(&e, &t.all, "all", &what)?;
                        let by = match &t.by {
                            Some(b) => Some(r.categorical_ref(b, "`by`")?),
                            None if groups.is_none() => {
                                return Err(e.at(
                                    span(&t.kind),
                                    "a km table needs `by` or a [groups] section",
                                ));
                            }
                            None => None,
                        };
                        TableKind::Km {
                            endpoint,
                            by,
                            landmarks,
                        }
                    }
                }
                "cuminc" => {
                    not_for(&e, &t.rows, "rows", &what)?;
                    not_for(&e, &t.response, "response", &what)?;
                    not_for(&e, &t.univariate, "univariate", &what)?;
                    not_for(&e, &t.multivariate, "multivariate", &what)?;
                    not_for(&e, &t.reference, "reference", &what)?;
                    not_for(&e, &t.lines, "lines", &what)?;
                    not_for(&e, &t.overall, "overall", &what)?;
                    not_for(&e, &t.characteristics, "characteristics", &what)?;
                    not_for(&e, &t.all, "all", &what)?;
                    let ep_s = need(&t.endpoint, "endpoint")?;
                    let endpoint = endpoint_ref(&ep_s, Some(false))?;
                    progression_endpoint(&ep_s)?;
                    let by = match &t.by {
                        Some(b) if b.get_ref().is_empty() => Some(String::new()),
                        Some(b) => Some(r.categorical_ref(b, "`by`")?),
                        None => None,
                    };
                    TableKind::Cuminc {
                        endpoint,
                        by,
                        landmarks: t.landmarks.as_ref().map(|l| r.landmarks(l)).transpose()?,
                    }
                }
                "response" => {
                    not_for(&e, &t.rows, "rows", &what)?;
                    not_for(&e, &t.endpoint, "endpoint", &what)?;
                    not_for(&e, &t.landmarks, "landmarks", &what)?;
                    not_for(&e, &t.univariate, "univariate", &what)?;
                    not_for(&e, &t.multivariate, "multivariate", &what)?;
                    not_for(&e, &t.reference, "reference", &what)?;
                    not_for(&e, &t.lines, "lines", &what)?;
                    not_for(&e, &t.by, "by", &format!("{what} (list `characteristics`)"))?;
                    not_for(&e, &t.overall, "overall", &what)?;
                    let src = need(&t.response, "response")?;
                    let response = match src.get_ref().trim() {
                        "investigator" => ResponseSource::Investigator,
                        s => match s
                            .strip_prefix("line:")
                            .and_then(|k| k.trim().parse::<u32>().ok())
                        {
                            Some(k) if k >= 1 => ResponseSource::Line(k),
                            _ => {
                                return Err(e.at(
                                    span(&src),
                                    format!("response '{s}' is not line:K or investigator"),
                                ));
                            }
                        },
                    };
                    TableKind::Response {
                        response,
                        characteristics: chars(&t.characteristics)?,
                        all: t.all.as_ref().is_none_or(|a| *a.get_ref()),
                    }
                }
                "cox" => {
                    not_for(&e, &t.rows, "rows", &what)?;
                    not_for(&e, &t.response, "response", &what)?;
                    not_for(&e, &t.landmarks, "landmarks", &what)?;
                    not_for(&e, &t.characteristics, "characteristics", &what)?;
                    not_for(&e, &t.lines, "lines", &what)?;
                    not_for(&e, &t.by, "by", &what)?;
                    not_for(&e, &t.all, "all", &what)?;
                    not_for(&e, &t.overall, "overall", &what)?;
                    let endpoint = endpoint_ref(&need(&t.endpoint, "endpoint")?, Some(false))?;
                    let list = |l: &S<Vec<S<String>>>| -> Result<Vec<String>, StudyError> {
                        l.get_ref().iter().map(|s| r.var_ref(s)).collect()
                    };
                    let univariate = match &t.univariate {
                        Some(u) => list(u)?,
                        None => Vec::new(),
                    };
                    let multivariate = match &t.multivariate {
                        Some(m) => list(m)?,
                        None => univariate.clone(),
                    };
                    if univariate.is_empty() && multivariate.is_empty() {
                        return Err(e.at(
                            span(&t.kind),
                            "a cox table needs `univariate` and/or `multivariate` terms",
                        ));
                    }
                    let reference = match &t.reference {
                        None => BTreeMap::new(),
                        Some(m) => {
                            for k in m.get_ref().keys() {
                                if !r
                                    .variables
                                    .get(k)
                                    .copied()
                                    .or_else(|| vars::base_kind(k))
                                    .unwrap_or(false)
                                {
                                    return Err(e.at(
                                        span(m),
                                        format!("reference: '{k}' is not a categorical variable"),
                                    ));
                                }
                            }
                            m.get_ref().clone()
                        }
                    };
                    TableKind::Cox {
                        endpoint,
                        univariate,
                        multivariate,
                        reference,
                    }
                }
                "lines" => {
                    not_for(&e, &t.rows, "rows", &what)?;
                    not_for(&e, &t.response, "response", &what)?;
                    not_for(&e, &t.characteristics, "characteristics", &what)?;
                    not_for(&e, &t.univariate, "univariate", &what)?;
                    not_for(&e, &t.multivariate, "multivariate", &what)?;
                    not_for(&e, &t.reference, "reference", &what)?;
                    not_for(&e, &t.by, "by", &what)?;
                    not_for(&e, &t.all, "all", &what)?;
                    not_for(&e, &t.overall, "overall", &what)?;
                    let endpoint = endpoint_ref(&need(&t.endpoint, "endpoint")?, Some(true))?;
                    let lines = match &t.lines {
                        None => vec![1, 2, 3],
                        Some(l) => {
                            if l.get_ref().is_empty() || l.get_ref().contains(&0) {
                                return Err(e.at(span(l), "lines are numbered from 1"));
                            }
                            l.get_ref().clone()
                        }
                    };
                    let landmark = match &t.landmarks {
                        None => None,
                        Some(l) => {
                            let v = r.landmarks(l)?;
                            if v.len() != 1 {
                                return Err(e.at(span(l), "a lines table takes one landmark"));
                            }
                            Some(v[0])
                        }
                    };
                    TableKind::Lines {
                        endpoint,
                        lines,
                        landmark,
                        min_cell: t.min_cell.as_ref().map_or(5, |m| *m.get_ref()),
                    }
                }
                other => {
                    return Err(e.at(
                        span(&t.kind),
                        format!("table type '{other}' is not one of {TABLE_TYPES}"),
                    ));
                }
            };
            tables.push(TableDef {
                name: t.name.get_ref().clone(),
                title: t.title.clone().unwrap_or_else(|| t.name.get_ref().clone()),
                position: span(&t.name).start,
                section: t.section.clone().unwrap_or_default(),
                footnote: t.footnote.clone(),
                kind,
            });
        }

        // Figures.
        let mut seen_fig = HashMap::new();
        let mut figures = Vec::new();
        for f in &raw.figures {
            unique(&e, &mut seen_fig, &f.name, "figure")?;
            let ty = f.kind.get_ref().as_str();
            let what = format!("a {ty} figure");
            let km_only: [(&Option<S<bool>>, &str); 4] = [
                (&f.ci, "ci"),
                (&f.median, "median"),
                (&f.censor_marks, "censor_marks"),
                (&f.at_risk, "at_risk"),
            ];
            if ty == "cuminc" {
                not_for(&e, &f.median, "median", &what)?;
                not_for(&e, &f.censor_marks, "censor_marks", &what)?;
            } else if ty != "km" {
                for (field, n) in km_only {
                    not_for(&e, field, n, &what)?;
                }
                not_for(&e, &f.endpoint, "endpoint", &what)?;
                not_for(&e, &f.by, "by", &what)?;
                not_for(&e, &f.ticks, "ticks", &what)?;
                not_for(&e, &f.x_max, "x_max", &what)?;
                not_for(&e, &f.test, "test", &what)?;
            }
            if ty != "forest" {
                not_for(&e, &f.table, "table", &what)?;
                not_for(&e, &f.model, "model", &what)?;
            }
            if !matches!(ty, "waterfall" | "spider" | "km") {
                not_for(&e, &f.line, "line", &what)?;
            }
            if ty != "sankey" {
                not_for(&e, &f.lines, "lines", &what)?;
                not_for(&e, &f.min_cell, "min_cell", &what)?;
            }
            if ty != "swimmer" {
                not_for(&e, &f.sample, "sample", &what)?;
                not_for(&e, &f.seed, "seed", &what)?;
                not_for(&e, &f.from, "from", &what)?;
            }
            let line = |f: &RawFigure| -> Result<u32, StudyError> {
                match &f.line {
                    None => Ok(1),
                    Some(l) if *l.get_ref() >= 1 => Ok(*l.get_ref()),
                    Some(l) => Err(e.at(span(l), "lines are numbered from 1")),
                }
            };
            let kind = match ty {
                "km" => {
                    let ep_s = f
                        .endpoint
                        .clone()
                        .ok_or_else(|| e.at(span(&f.kind), "a km figure needs `endpoint`"))?;
                    let per_line = endpoints
                        .iter()
                        .any(|x| &x.name == ep_s.get_ref() && x.per_line());
                    let endpoint = endpoint_ref(&ep_s, if per_line { None } else { Some(false) })?;
                    if per_line && f.line.is_none() {
                        return Err(e.at(
                            span(&ep_s),
                            format!(
                                "endpoint '{endpoint}' is measured from each line: give `line`"
                            ),
                        ));
                    }
                    if !per_line && let Some(l) = &f.line {
                        return Err(e.at(
                            span(l),
                            "`line` applies to an endpoint measured from each line",
                        ));
                    }
                    let by = match &f.by {
                        Some(b) if b.get_ref().is_empty() => Some(String::new()),
                        Some(b) => Some(r.categorical_ref(b, "`by`")?),
                        None => None,
                    };
                    let ticks = match &f.ticks {
                        None => None,
                        Some(t) => {
                            let v = t.get_ref();
                            if v.is_empty()
                                || v.iter().any(|x| !x.is_finite() || *x < 0.0)
                                || v.windows(2).any(|w| w[0] >= w[1])
                            {
                                return Err(e.at(span(t), "ticks must be increasing times ≥ 0"));
                            }
                            Some(v.clone())
                        }
                    };
                    let logrank = match f.test.as_ref().map(|t| (t.get_ref().as_str(), span(t))) {
                        None | Some(("logrank", _)) => true,
                        Some(("none", _)) => false,
                        Some((other, at)) => {
                            return Err(e.at(at, format!("test '{other}' is not logrank or none")));
                        }
                    };
                    let flag =
                        |b: &Option<S<bool>>, d: bool| b.as_ref().map_or(d, |x| *x.get_ref());
                    FigureKind::Km(KmOptions {
                        endpoint,
                        by,
                        ticks,
                        x_max: f.x_max.as_ref().map(|x| *x.get_ref()),
                        ci: flag(&f.ci, false),
                        median: flag(&f.median, false),
                        censor_marks: flag(&f.censor_marks, true),
                        at_risk: flag(&f.at_risk, true),
                        logrank,
                        line: f.line.as_ref().map(|l| *l.get_ref()),
                    })
                }
                "cuminc" => {
                    let ep_s = f
                        .endpoint
                        .clone()
                        .ok_or_else(|| e.at(span(&f.kind), "a cuminc figure needs `endpoint`"))?;
                    let endpoint = endpoint_ref(&ep_s, Some(false))?;
                    progression_endpoint(&ep_s)?;
                    if let Some(l) = &f.line {
                        return Err(e.at(span(l), "`line` does not apply to a cuminc figure"));
                    }
                    let by = match &f.by {
                        Some(b) if b.get_ref().is_empty() => Some(String::new()),
                        Some(b) => Some(r.categorical_ref(b, "`by`")?),
                        None => None,
                    };
                    if let Some(t) = &f.ticks {
                        let v = t.get_ref();
                        if v.is_empty()
                            || v.iter().any(|x| !x.is_finite() || *x < 0.0)
                            || v.windows(2).any(|w| w[0] >= w[1])
                        {
                            return Err(e.at(span(t), "ticks must be increasing times ≥ 0"));
                        }
                    }
                    let gray = match f.test.as_ref().map(|t| (t.get_ref().as_str(), span(t))) {
                        None | Some(("gray", _)) => true,
                        Some(("none", _)) => false,
                        Some((other, at)) => {
                            return Err(e.at(at, format!("test '{other}' is not gray or none")));
                        }
                    };
                    let flag =
                        |b: &Option<S<bool>>, d: bool| b.as_ref().map_or(d, |x| *x.get_ref());
                    FigureKind::Cuminc(CumincOptions {
                        endpoint,
                        by,
                        ticks: f.ticks.as_ref().map(|t| t.get_ref().clone()),
                        x_max: f.x_max.as_ref().map(|x| *x.get_ref()),
                        ci: flag(&f.ci, false),
                        at_risk: flag(&f.at_risk, true),
                        gray,
                    })
                }
                "forest" => {
                    let t = f.table.as_ref().ok_or_else(|| {
                        e.at(span(&f.kind), "a forest figure needs `table` (a cox table)")
                    })?;
                    if !tables
                        .iter()
                        .any(|x| &x.name == t.get_ref() && matches!(x.kind, TableKind::Cox { .. }))
                    {
                        return Err(
                            e.at(span(t), format!("no cox [[table]] named '{}'", t.get_ref()))
                        );
                    }
                    let multivariate =
                        match f.model.as_ref().map(|m| (m.get_ref().as_str(), span(m))) {
                            None | Some(("multivariate", _)) => true,
                            Some(("univariate", _)) => false,
                            Some((other, at)) => {
                                return Err(e.at(
                                    at,
                                    format!("model '{other}' is not univariate or multivariate"),
                                ));
                            }
                        };
                    FigureKind::Forest {
                        table: t.get_ref().clone(),
                        multivariate,
                    }
                }
                "waterfall" => FigureKind::Waterfall { line: line(f)? },
                "spider" => FigureKind::Spider { line: line(f)? },
                "swimmer" => FigureKind::Swimmer {
                    sample: f.sample.as_ref().map(|s| *s.get_ref()),
                    seed: f.seed.as_ref().map_or(1, |s| *s.get_ref()),
                    from: match &f.from {
                        None => TimeZero::Metastatic,
                        Some(s) => {
                            let t = r.time_zero(s)?;
                            if matches!(t, TimeZero::EachLine) {
                                return Err(e.at(
                                    span(s),
                                    "a swimmer plot needs one time zero per patient",
                                ));
                            }
                            t
                        }
                    },
                },
                "sankey" => FigureKind::Sankey {
                    min_cell: f.min_cell.as_ref().map_or(5, |m| *m.get_ref()),
                    lines: match &f.lines {
                        None => 3,
                        Some(l) if (1..=10).contains(l.get_ref()) => *l.get_ref(),
                        Some(l) => return Err(e.at(span(l), "`lines` is between 1 and 10")),
                    },
                },
                other => {
                    return Err(e.at(
                        span(&f.kind),
                        format!("figure type '{other}' is not one of {FIGURE_TYPES}"),
                    ));
                }
            };
            if let Some(w) = &f.width
                && !(w.get_ref().is_finite() && (240.0..=2400.0).contains(w.get_ref()))
            {
                return Err(e.at(span(w), "width is between 240 and 2400 pixels"));
            }
            figures.push(FigureDef {
                name: f.name.get_ref().clone(),
                title: f.title.clone().unwrap_or_default(),
                caption: f.caption.clone().unwrap_or_default(),
                position: span(&f.name).start,
                section: f.section.clone().unwrap_or_default(),
                width: f.width.as_ref().map(|w| *w.get_ref()),
                kind,
            });
        }
        for f in &figures {
            if tables.iter().any(|t| t.name == f.name) {
                let at = raw
                    .figures
                    .iter()
                    .find(|x| x.name.get_ref() == &f.name)
                    .map_or(0..0, |x| span(&x.name));
                return Err(e.at(
                    at,
                    format!(
                        "'{}' names a table and a figure (outputs would collide)",
                        f.name
                    ),
                ));
            }
        }
        // An item without `section` continues the section of the item above
        // it in the file (tables and figures interleaved), else "Results".
        let mut order: Vec<(usize, bool, usize)> = tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.position, true, i))
            .chain(
                figures
                    .iter()
                    .enumerate()
                    .map(|(i, f)| (f.position, false, i)),
            )
            .collect();
        order.sort();
        let mut current = "Results".to_string();
        for (_, is_table, i) in order {
            let s = if is_table {
                &mut tables[i].section
            } else {
                &mut figures[i].section
            };
            if s.is_empty() {
                s.clone_from(&current);
            } else {
                current.clone_from(s);
            }
        }
        if tables.is_empty() && figures.is_empty() {
            return Err(e.whole("the study makes nothing: add a [[table]] or a [[figure]]"));
        }
        let settings = match &raw.settings {
            None => RuleSettings::default(),
            Some(st) => resolve_settings(st.get_ref(), path).map_err(|m| e.at(span(st), m))?,
        };

        Ok(Study {
            path: path.to_path_buf(),
            title: raw.study.title,
            subtitle: raw.study.subtitle,
            description: raw.study.description,
            data,
            data_study,
            include_excluded,
            cohort,
            groups,
            variables,
            endpoints,
            landmarks,
            tables,
            figures,
            settings,
        })
    }

    /// The endpoint named `name`.
    pub fn endpoint(&self, name: &str) -> Option<&EndpointDef> {
        self.endpoints.iter().find(|e| e.name == name)
    }
}
