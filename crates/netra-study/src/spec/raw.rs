//! The study file as TOML says it: `Raw*` structs read with serde.
//!
//! `deny_unknown_fields` everywhere, so a misspelt key is an error where it
//! stands; every field that can be wrong in meaning keeps its byte span
//! ([`toml::Spanned`]) so the checks in the sibling modules can point at it.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use netra_analysis::settings::RuleSettings;

pub(super) type S<T> = Spanned<T>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStudy {
    pub(super) study: RawMeta,
    pub(super) data: Option<RawData>,
    pub(super) cohort: Option<RawCohort>,
    pub(super) groups: Option<RawGroups>,
    #[serde(default, rename = "variable")]
    pub(super) variables: Vec<RawVariable>,
    #[serde(default, rename = "endpoint")]
    pub(super) endpoints: Vec<RawEndpoint>,
    #[serde(default, rename = "table")]
    pub(super) tables: Vec<RawTable>,
    #[serde(default, rename = "figure")]
    pub(super) figures: Vec<RawFigure>,
    /// Any registered analysis by name, with its request.
    #[serde(default, rename = "analysis")]
    pub(super) analyses: Vec<RawAnalysis>,
    /// Line rules, response criteria, small-cell threshold: the analysis
    /// layer's settings, as every surface takes them.
    pub(super) settings: Option<S<RuleSettings>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMeta {
    pub(super) title: String,
    pub(super) subtitle: Option<String>,
    pub(super) description: Option<String>,
    pub(super) landmarks: Option<S<Vec<f64>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawData {
    pub(super) bundle: Option<S<String>>,
    pub(super) db: Option<S<String>>,
    pub(super) simulate: Option<S<RawSimulate>>,
    /// A federation's hub (issue 17): the analyses run there.
    pub(super) federation: Option<S<RawFederation>>,
    pub(super) study: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFederation {
    pub(super) hub: String,
    pub(super) study: String,
    pub(super) token_file: Option<String>,
    pub(super) ca: Option<String>,
    #[serde(default)]
    pub(super) allow_missing: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSimulate {
    pub(super) patients: S<u64>,
    pub(super) seed: u64,
    pub(super) study: Option<String>,
    pub(super) sites: Option<u32>,
    /// `published` (default) or `sequence_trial`.
    pub(super) model: Option<S<String>>,
    /// Registries of the simulation study (`sequence_trial` only).
    pub(super) coverage: Option<S<u32>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCohort {
    pub(super) include_excluded: Option<bool>,
    #[serde(rename = "where", default)]
    pub(super) conditions: Vec<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGroups {
    pub(super) variable: S<String>,
    pub(super) label: Option<String>,
    pub(super) levels: Option<S<Vec<String>>>,
    pub(super) labels: Option<S<Vec<String>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCase {
    pub(super) label: String,
    pub(super) when: S<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVariable {
    pub(super) name: S<String>,
    pub(super) label: Option<String>,
    pub(super) from: Option<S<String>>,
    pub(super) cuts: Option<S<Vec<f64>>>,
    pub(super) closed: Option<S<String>>,
    pub(super) labels: Option<S<Vec<String>>>,
    pub(super) map: Option<S<BTreeMap<String, String>>>,
    pub(super) levels: Option<S<Vec<String>>>,
    pub(super) cases: Option<S<Vec<RawCase>>>,
    pub(super) marker: Option<S<String>>,
    pub(super) above_uln: Option<S<f64>>,
    /// A time-windowed exposure: the treatment type or class (or
    /// `systemic`), its window (`before`, `after`, `within`), `months` of
    /// `within`, the time zero, and the intent counted.
    pub(super) exposure: Option<S<String>>,
    pub(super) window: Option<S<String>>,
    pub(super) months: Option<S<f64>>,
    pub(super) time_zero: Option<S<String>>,
    pub(super) intent: Option<S<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEndpoint {
    pub(super) name: S<String>,
    #[serde(rename = "type")]
    pub(super) kind: S<String>,
    pub(super) from: S<String>,
    pub(super) unit: Option<S<String>>,
    pub(super) label: Option<String>,
    pub(super) censoring: Option<S<String>>,
    pub(super) censor_at_new_therapy: Option<bool>,
    pub(super) events: Option<S<String>>,
    /// TTNT: death counts as an event (default true), as the layer's
    /// `EndpointRequest` names it.
    pub(super) ttnt_death_is_event: Option<bool>,
    /// TTF: completing the planned treatment is a failure (default false).
    pub(super) ttf_completion_is_failure: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRow {
    pub(super) variable: S<String>,
    pub(super) label: Option<String>,
    pub(super) summary: Option<S<String>>,
    pub(super) test: Option<S<String>>,
    pub(super) decimals: Option<S<usize>>,
}

/// `[[analysis]]`: a registered analysis, its output's id and its request
/// (an inline table, read by the analysis' own serde `Request`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAnalysis {
    pub(super) name: S<String>,
    pub(super) id: S<String>,
    pub(super) title: Option<String>,
    pub(super) section: Option<String>,
    pub(super) request: Option<S<toml::Table>>,
}

/// Fields of `[[table]]`; which apply depends on `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTable {
    pub(super) name: S<String>,
    #[serde(rename = "type")]
    pub(super) kind: S<String>,
    pub(super) title: Option<String>,
    pub(super) section: Option<String>,
    pub(super) footnote: Option<String>,
    pub(super) by: Option<S<String>>,
    pub(super) overall: Option<S<bool>>,
    pub(super) rows: Option<S<Vec<RawRow>>>,
    pub(super) endpoint: Option<S<String>>,
    pub(super) landmarks: Option<S<Vec<f64>>>,
    pub(super) characteristics: Option<S<Vec<S<String>>>>,
    pub(super) all: Option<S<bool>>,
    pub(super) univariate: Option<S<Vec<S<String>>>>,
    pub(super) multivariate: Option<S<Vec<S<String>>>>,
    pub(super) reference: Option<S<BTreeMap<String, String>>>,
    pub(super) lines: Option<S<Vec<u32>>>,
    pub(super) response: Option<S<String>>,
    pub(super) min_cell: Option<S<u64>>,
    pub(super) known: Option<S<bool>>,
    pub(super) follow_up: Option<S<bool>>,
    pub(super) spss_median: Option<S<bool>>,
    pub(super) ci_method: Option<S<String>>,
}

/// Fields of `[[figure]]`; which apply depends on `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFigure {
    pub(super) name: S<String>,
    #[serde(rename = "type")]
    pub(super) kind: S<String>,
    pub(super) title: Option<String>,
    pub(super) caption: Option<String>,
    pub(super) section: Option<String>,
    pub(super) endpoint: Option<S<String>>,
    pub(super) by: Option<S<String>>,
    pub(super) ticks: Option<S<Vec<f64>>>,
    pub(super) x_max: Option<S<f64>>,
    pub(super) ci: Option<S<bool>>,
    pub(super) median: Option<S<bool>>,
    pub(super) censor_marks: Option<S<bool>>,
    pub(super) at_risk: Option<S<bool>>,
    pub(super) test: Option<S<String>>,
    pub(super) table: Option<S<String>>,
    /// A forest plot of a `[[analysis]]` of `subgroups` (its id).
    pub(super) analysis: Option<S<String>>,
    pub(super) model: Option<S<String>>,
    pub(super) line: Option<S<u32>>,
    pub(super) lines: Option<S<u32>>,
    pub(super) sample: Option<S<usize>>,
    pub(super) seed: Option<S<u64>>,
    pub(super) from: Option<S<String>>,
    pub(super) width: Option<S<f64>>,
    pub(super) min_cell: Option<S<u64>>,
}

/// The span of a field given in the file, or `None` when it is absent.
fn given<T>(field: &Option<S<T>>) -> Option<Range<usize>> {
    field.as_ref().map(|f| f.span())
}

impl RawTable {
    /// Where the option `field` (its TOML key) is given, if it is: the
    /// type-specific options are checked by name against lists per table
    /// type. An unknown name is `None`; a unit test keeps the lists in
    /// step with this match.
    pub(super) fn span_of(&self, field: &str) -> Option<Range<usize>> {
        match field {
            "by" => given(&self.by),
            "overall" => given(&self.overall),
            "rows" => given(&self.rows),
            "endpoint" => given(&self.endpoint),
            "landmarks" => given(&self.landmarks),
            "characteristics" => given(&self.characteristics),
            "all" => given(&self.all),
            "univariate" => given(&self.univariate),
            "multivariate" => given(&self.multivariate),
            "reference" => given(&self.reference),
            "lines" => given(&self.lines),
            "response" => given(&self.response),
            "min_cell" => given(&self.min_cell),
            "known" => given(&self.known),
            "follow_up" => given(&self.follow_up),
            "spss_median" => given(&self.spss_median),
            "ci_method" => given(&self.ci_method),
            _ => None,
        }
    }
}

impl RawFigure {
    /// Where the option `field` (its TOML key) is given, if it is; as
    /// [`RawTable::span_of`].
    pub(super) fn span_of(&self, field: &str) -> Option<Range<usize>> {
        match field {
            "endpoint" => given(&self.endpoint),
            "by" => given(&self.by),
            "ticks" => given(&self.ticks),
            "x_max" => given(&self.x_max),
            "ci" => given(&self.ci),
            "median" => given(&self.median),
            "censor_marks" => given(&self.censor_marks),
            "at_risk" => given(&self.at_risk),
            "test" => given(&self.test),
            "table" => given(&self.table),
            "analysis" => given(&self.analysis),
            "model" => given(&self.model),
            "line" => given(&self.line),
            "lines" => given(&self.lines),
            "sample" => given(&self.sample),
            "seed" => given(&self.seed),
            "from" => given(&self.from),
            "min_cell" => given(&self.min_cell),
            _ => None,
        }
    }
}
