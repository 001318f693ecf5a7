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
//!
//! One module per part of the file: `raw` (the serde structs), `source`
//! (`[data]`, `[settings]`), `cohort` (`[cohort]`, `[groups]`),
//! `variables`, `endpoints`, `table_parse` with `baseline_rows`,
//! `figure_parse`, and `sections` (what holds across tables and figures);
//! `resolver` holds the checks they share.

use std::path::{Path, PathBuf};

use netra_analysis::condition::Expr;
use netra_analysis::settings::RuleSettings;
use netra_clinical::endpoints::{EndpointSpec, TimeZero};

use crate::StudyError;
use crate::error::SpecErrors;
pub use netra_analysis::variables::{Derivation, DerivedVariable};

mod analysis;
mod baseline_rows;
mod cohort;
mod endpoints;
mod figure;
mod figure_parse;
mod raw;
mod resolver;
mod sections;
mod source;
mod table;
mod table_parse;
mod variables;

pub use analysis::AnalysisDef;
pub use figure::{CumincOptions, FigureDef, FigureKind, KmOptions};
pub use figure_parse::{BY_LINE, MAX_LINE_CURVES};
pub use source::read_settings;
pub use table::{BaselineRow, ResponseSource, RowSummary, RowTest, TableDef, TableKind};

use endpoints::Endpoints;
use figure_parse::FigureScope;
use raw::RawStudy;
use resolver::Resolver;
use table_parse::TableScope;

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
        /// The simulator's model: `published` (`netra simulate`) or
        /// `sequence_trial` (`netra_sim::sequence_registry`).
        model: String,
        /// Registries of the simulation study reported beside the
        /// analysis (`sequence_trial` only; 0: none).
        coverage: u32,
    },
    /// A federation (issue 17, `docs/federated.md`): the study's
    /// `[[analysis]]` entries run at a hub over its centres' nodes; the
    /// records never leave the centres, so tables and figures that need
    /// them are refused.
    Federation(FederationSource),
}

/// A federation as a study's data source (`[data] federation = { hub =
/// "https://…", study = "…", token_file = "…" }`).
#[derive(Debug, Clone, PartialEq)]
pub struct FederationSource {
    /// The hub's URL.
    pub hub: String,
    /// The study at the hub.
    pub study: String,
    /// The analyst's token file (relative to the study file); `None`:
    /// `$NETRA_HUB_TOKEN`.
    pub token_file: Option<PathBuf>,
    /// The hub's CA certificate to pin (relative to the study file).
    pub ca: Option<PathBuf>,
    /// Go on without nodes that are down.
    pub allow_missing: bool,
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

/// The tables, figures and analyses of a study, in file order each.
type Outputs = (Vec<TableDef>, Vec<FigureDef>, Vec<AnalysisDef>);

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
    pub cohort: Vec<Expr>,
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
    /// Registered analyses run by name (`[[analysis]]`), in order.
    pub analyses: Vec<AnalysisDef>,
    /// Line rules, response criteria and small-cell threshold (`[settings]`).
    pub settings: RuleSettings,
}

impl Study {
    /// Reads and checks a study file.
    pub fn read(path: &Path) -> Result<Study, StudyError> {
        let text = std::fs::read_to_string(path).map_err(|e| StudyError::io(path, e))?;
        Study::parse(&text, path)
    }

    /// Parses and checks study-file text; `path` names the file in errors
    /// and anchors relative data paths. Sections are checked in the order
    /// below, so that each may refer to those before it (a figure to a
    /// table, a table to an endpoint, anything to a derived variable) and
    /// the first error is the same for the same file.
    pub fn parse(text: &str, path: &Path) -> Result<Study, StudyError> {
        let e = SpecErrors { file: path, text };
        let raw: RawStudy = toml::from_str(text).map_err(|err| match err.span() {
            Some(s) => e.at(s, err.message().replace('\n', "; ")),
            None => e.whole(err.message().replace('\n', "; ")),
        })?;
        let mut r = Resolver::new(e.clone());
        let landmarks = match &raw.study.landmarks {
            Some(l) => r.landmarks(l)?,
            None => Vec::new(),
        };
        let (data, data_study) = source::data_source(&e, raw.data.as_ref(), path)?;
        let variables = variables::variables(&mut r, &raw.variables)?;
        let (include_excluded, cohort) = cohort::cohort(&r, raw.cohort.as_ref())?;
        let groups = cohort::groups(&r, raw.groups.as_ref())?;
        let endpoints = endpoints::endpoints(&r, &raw.endpoints)?;
        let (tables, figures, analyses) = Self::outputs(&r, &raw, &endpoints, groups.is_some())?;
        if tables.is_empty() && figures.is_empty() && analyses.is_empty() {
            return Err(e.whole(
                "the study makes nothing: add a [[table]], a [[figure]] or an [[analysis]]",
            ));
        }
        let settings = source::settings(&e, raw.settings.as_ref(), path)?;
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
            analyses,
            settings,
        })
    }

    /// The tables, figures and analyses, with distinct names and their
    /// sections filled in.
    fn outputs(
        r: &Resolver<'_>,
        raw: &RawStudy,
        endpoints: &[EndpointDef],
        has_groups: bool,
    ) -> Result<Outputs, StudyError> {
        let endpoints = || Endpoints {
            e: &r.e,
            list: endpoints,
        };
        let mut tables = table_parse::tables(
            &TableScope {
                r,
                endpoints: endpoints(),
                has_groups,
            },
            &raw.tables,
        )?;
        let mut analyses = analysis::analyses(r, &raw.analyses)?;
        let mut figures = figure_parse::figures(
            &FigureScope {
                r,
                endpoints: endpoints(),
                tables: &tables,
                analyses: &analyses,
            },
            &raw.figures,
        )?;
        sections::distinct_outputs(&r.e, &tables, &figures, &raw.figures)?;
        sections::fill_sections(&mut tables, &mut figures, &mut analyses);
        Ok((tables, figures, analyses))
    }

    /// The endpoint named `name`.
    pub fn endpoint(&self, name: &str) -> Option<&EndpointDef> {
        self.endpoints.iter().find(|e| e.name == name)
    }
}
