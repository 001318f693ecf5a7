//! Cohort analyses: choose patients (filters), an endpoint from a time zero
//! and a grouping; get Kaplan–Meier curves (figure with numbers at risk),
//! the survival table (median with 95% CI, landmark rate), the log-rank
//! test and response rates (ORR, DCR) of the line concerned.
//!
//! An adapter of the analysis layer (`netra-analysis`): a [`Query`] is
//! turned into the layer's cohort spec (filters are conditions on the
//! dictionary's variables, groupings are its variables), and its
//! `survival` and `response` requests; the outputs are the same numbers
//! the CLI and study files print. The figure and tables are drawn by
//! `netra_report`.
//!
//! Speed on large registries: deriving lines and endpoints costs about
//! 0.02 ms per patient and endpoint, so the layer's patient facts (the
//! endpoints of a fixed menu, [`MENU`], the variables offered,
//! [`VARIABLES`], and the evaluable best response of the first lines) are
//! derived once per patient when the cohort index loads (and again only for
//! patients that change). An analysis then builds a cohort from the facts,
//! fits the curves and draws the figure; finished analyses are cached per
//! registry revision and visible sites.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use netra_analysis::analyses::{
    self,
    cuminc::{CumincOutput, CumincRequest},
    response::{Rate, ResponseOutput, ResponseRequest},
    survival::{KmCurve, SurvivalOptions, SurvivalOutput, SurvivalRequest},
};
use netra_analysis::condition::{Condition, Literal, Op};
use netra_analysis::settings::RuleSettings;
use netra_analysis::variables::{Derivation, DerivedVariable};
use netra_analysis::{
    AnalysisError, Cohort, CohortSpec, EndpointRequest, FactsLayout, PatientFacts, Settings,
};
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{PrimarySite, Sex, Vocabulary, WhoGrade};
use netra_report::Figure;
use netra_report::figure::km::{KmFigure, KmSeries};
use netra_report::format::p_equals;
use netra_report::palette::ResponseClass;
use netra_report::table::Table;
use netra_report::table::classical::ClassicalInference;
use netra_report::table::response::ResponseTable;
use netra_report::table::survival::SurvivalTable;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::cohort::PatientRow;
use crate::error::AppError;
use crate::privacy::{self, View};
use crate::pseudo::Arms;

/// The endpoints derived for every patient, in menu order.
pub const MENU: &[(Endpoint, TimeZero)] = &[
    (Endpoint::Os, TimeZero::Diagnosis),
    (Endpoint::Os, TimeZero::Metastatic),
    (Endpoint::Os, TimeZero::Entry),
    (Endpoint::Os, TimeZero::Line(1)),
    (Endpoint::Os, TimeZero::Line(2)),
    (Endpoint::Os, TimeZero::Line(3)),
    (Endpoint::Pfs, TimeZero::Metastatic),
    (Endpoint::Pfs, TimeZero::Entry),
    (Endpoint::Pfs, TimeZero::Line(1)),
    (Endpoint::Pfs, TimeZero::Line(2)),
    (Endpoint::Pfs, TimeZero::Line(3)),
    (Endpoint::Ttp, TimeZero::Metastatic),
    (Endpoint::Ttp, TimeZero::Line(1)),
    (Endpoint::Ttp, TimeZero::Line(2)),
    (Endpoint::Ttp, TimeZero::Line(3)),
    (Endpoint::Ttnt, TimeZero::Line(1)),
    (Endpoint::Ttnt, TimeZero::Line(2)),
    (Endpoint::Ttf, TimeZero::Line(1)),
    (Endpoint::Ttf, TimeZero::Line(2)),
    (Endpoint::Pfs2, TimeZero::Line(1)),
    (Endpoint::Dor, TimeZero::Line(1)),
    (Endpoint::Efs, TimeZero::Entry),
    (Endpoint::Efs, TimeZero::Line(1)),
];

/// Figures with at most this many curves draw their confidence bands
/// unless asked not to; more curves draw them only when asked.
pub const CI_BANDS_UP_TO: usize = 3;

/// Lines whose evaluable best response is kept per patient.
pub const LINES_KEPT: u32 = 3;

/// The dictionary variables the web offers for grouping and filtering.
pub const VARIABLES: &[&str] = &[
    "site",
    "sex",
    "age_at_diagnosis",
    "primary_site",
    "who_grade",
    "metastatic_setting",
    "functional_syndrome",
    "first_line_class",
    "arm",
    "diagnosis_year",
];

/// What the web keeps per patient: the analysis layer's facts of
/// [`VARIABLES`] and [`MENU`], derived with the default settings.
pub fn layout() -> &'static FactsLayout {
    static L: std::sync::OnceLock<FactsLayout> = std::sync::OnceLock::new();
    L.get_or_init(|| FactsLayout {
        variables: VARIABLES.iter().map(|v| v.to_string()).collect(),
        menu: MENU
            .iter()
            .map(|&(e, from)| EndpointSpec::new(e, from))
            .collect(),
        lines_kept: LINES_KEPT,
        settings: Settings::default(),
    })
}

/// Derives a patient's facts.
pub fn facts(course: &PatientCourse) -> PatientFacts {
    PatientFacts::derive(course, layout())
}

/// How patients are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Grouping {
    /// All patients together.
    None,
    /// By site.
    Site,
    /// By sex.
    Sex,
    /// Age at diagnosis < 60 / ≥ 60.
    Age60,
    /// By primary site.
    Primary,
    /// By WHO 2019 grade.
    Grade,
    /// By how metastatic disease arose.
    Setting,
    /// By functional syndrome.
    Functional,
    /// By the class of the first line.
    FirstLine,
    /// By study arm.
    Arm,
}

impl Grouping {
    /// Every grouping, in menu order.
    pub const ALL: [Grouping; 10] = [
        Grouping::None,
        Grouping::Grade,
        Grouping::Primary,
        Grouping::Sex,
        Grouping::Age60,
        Grouping::Site,
        Grouping::Setting,
        Grouping::Functional,
        Grouping::FirstLine,
        Grouping::Arm,
    ];

    /// Code in URLs and JSON.
    pub fn code(self) -> &'static str {
        match self {
            Grouping::None => "none",
            Grouping::Site => "site",
            Grouping::Sex => "sex",
            Grouping::Age60 => "age60",
            Grouping::Primary => "primary",
            Grouping::Grade => "grade",
            Grouping::Setting => "setting",
            Grouping::Functional => "functional",
            Grouping::FirstLine => "line1_class",
            Grouping::Arm => "arm",
        }
    }

    /// Label on pages.
    pub fn label(self) -> &'static str {
        match self {
            Grouping::None => "no grouping (all patients)",
            Grouping::Site => "site",
            Grouping::Sex => "sex",
            Grouping::Age60 => "age at diagnosis (< 60 / ≥ 60)",
            Grouping::Primary => "primary site",
            Grouping::Grade => "WHO 2019 grade",
            Grouping::Setting => "metastatic setting",
            Grouping::Functional => "functional syndrome",
            Grouping::FirstLine => "class of the first line",
            Grouping::Arm => "study arm",
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Grouping> {
        Grouping::ALL.into_iter().find(|g| g.code() == code)
    }

    /// The dictionary variable grouped by (`None`: all patients together).
    pub fn variable(self) -> Option<&'static str> {
        match self {
            Grouping::None => None,
            Grouping::Site => Some("site"),
            Grouping::Sex => Some("sex"),
            Grouping::Age60 => Some(AGE60),
            Grouping::Primary => Some("primary_site"),
            Grouping::Grade => Some("who_grade"),
            Grouping::Setting => Some("metastatic_setting"),
            Grouping::Functional => Some("functional_syndrome"),
            Grouping::FirstLine => Some("first_line_class"),
            Grouping::Arm => Some("arm"),
        }
    }
}

/// The derived variable of the `age60` grouping.
const AGE60: &str = "age60";

/// Age at diagnosis in two bands, as a derived variable of the layer.
fn age60() -> DerivedVariable {
    DerivedVariable {
        name: AGE60.into(),
        label: Grouping::Age60.label().into(),
        derivation: Derivation::Cuts {
            from: "age_at_diagnosis".into(),
            cuts: vec![60.0],
            right_closed: false,
        },
        levels: Some(vec!["< 60 years".into(), "\u{2265} 60 years".into()]),
    }
}

/// Which patients an analysis includes (besides the user's sites).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Filters {
    /// Only this site.
    pub site: Option<String>,
    /// Only this primary site.
    pub primary: Option<PrimarySite>,
    /// Only this grade.
    pub grade: Option<WhoGrade>,
    /// Only this sex.
    pub sex: Option<Sex>,
    /// Youngest age at diagnosis included.
    pub age_min: Option<i64>,
    /// Oldest age at diagnosis included.
    pub age_max: Option<i64>,
    /// First year of diagnosis included.
    pub diagnosed_from: Option<i32>,
    /// Last year of diagnosis included.
    pub diagnosed_to: Option<i32>,
    /// Include patients marked excluded from the study's analyses.
    pub include_excluded: bool,
}

fn condition(variable: &str, op: Op, value: String) -> Condition {
    let text = format!("{variable} {op:?} {value}");
    let number = value.parse::<f64>().ok().filter(|x| x.is_finite());
    Condition {
        variable: variable.to_string(),
        variable_offset: 0,
        op,
        values: vec![Literal {
            text: value,
            number,
        }],
        text,
    }
}

impl Filters {
    /// The cohort these filters select: conditions on the dictionary's
    /// variables (the same a study file's `[cohort] where` writes).
    pub fn cohort_spec(&self) -> CohortSpec {
        let mut c = Vec::new();
        if let Some(s) = &self.site {
            c.push(condition("site", Op::Eq, s.clone()));
        }
        if let Some(p) = self.primary {
            c.push(condition("primary_site", Op::Eq, p.code().into()));
        }
        if let Some(g) = self.grade {
            c.push(condition("who_grade", Op::Eq, g.code().into()));
        }
        if let Some(s) = self.sex {
            c.push(condition("sex", Op::Eq, s.code().into()));
        }
        if let Some(m) = self.age_min {
            c.push(condition("age_at_diagnosis", Op::Ge, m.to_string()));
        }
        if let Some(m) = self.age_max {
            c.push(condition("age_at_diagnosis", Op::Le, m.to_string()));
        }
        if let Some(y) = self.diagnosed_from {
            c.push(condition("diagnosis_year", Op::Ge, y.to_string()));
        }
        if let Some(y) = self.diagnosed_to {
            c.push(condition("diagnosis_year", Op::Le, y.to_string()));
        }
        CohortSpec {
            include_excluded: self.include_excluded,
            conditions: c.into_iter().map(Into::into).collect(),
            derived: vec![age60()],
        }
    }
}

/// An analysis request.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    /// Position of the endpoint in [`MENU`].
    pub menu: usize,
    /// Grouping.
    pub group: Grouping,
    /// Cohort filters.
    pub filters: Filters,
    /// Landmark time of the survival rate, in months.
    pub landmark_months: f64,
    /// Draw confidence bands: `Some` as asked (`ci=1` / `ci=0`); `None`
    /// (the default) draws them for up to [`CI_BANDS_UP_TO`] curves only:
    /// six overlapping bands hide the curves they belong to.
    pub ci: Option<bool>,
    /// Line rules, response criteria and small-cell threshold: the analysis
    /// layer's settings, as a study file's `[settings]` writes them (URL
    /// parameters of the same names).
    pub settings: RuleSettings,
    /// Endpoint options (censoring, censoring at a new therapy, EFS events,
    /// TTNT and TTF rules): the layer's [`EndpointRequest`] fields of the
    /// same names; its `endpoint`, `from` and `units` are the menu's (months).
    pub options: EndpointRequest,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            menu: 0,
            group: Grouping::None,
            filters: Filters::default(),
            landmark_months: 36.0,
            ci: None,
            settings: RuleSettings::default(),
            options: EndpointRequest::default(),
        }
    }
}

/// The [`EndpointRequest`] fields the menu fixes (not URL parameters).
const MENU_FIELDS: &[&str] = &["endpoint", "from", "units"];

/// `base` with the URL parameters named as `T`'s serde fields laid
/// over it (each text read as the default's JSON type: true/false or 1/0,
/// a number, a comma-separated list, a text), except the `skip` names. One
/// reader for every settings struct, so the web's names are the layer's.
fn overlay<T: Serialize + DeserializeOwned>(
    base: &T,
    params: &HashMap<String, String>,
    skip: &[&str],
) -> Result<T, AppError> {
    let bad =
        |name: &str, t: &str| AppError::BadRequest(format!("{name}: '{t}' is not a valid value"));
    let mut v = serde_json::to_value(base).map_err(|e| AppError::Internal(e.to_string()))?;
    if let Some(obj) = v.as_object_mut() {
        for (name, field) in obj.iter_mut() {
            if skip.contains(&name.as_str()) {
                continue;
            }
            let Some(t) = params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) else {
                continue;
            };
            *field = match field {
                Value::Bool(_) => match t {
                    "1" | "true" | "on" | "yes" => Value::Bool(true),
                    "0" | "false" | "off" | "no" => Value::Bool(false),
                    _ => return Err(bad(name, t)),
                },
                Value::Number(_) => serde_json::from_str::<serde_json::Number>(t)
                    .map(Value::Number)
                    .map_err(|_| bad(name, t))?,
                Value::Array(_) => Value::Array(
                    t.split(',')
                        .map(|x| x.trim())
                        .filter(|x| !x.is_empty())
                        .map(|x| Value::String(x.to_string()))
                        .collect(),
                ),
                _ => Value::String(t.to_string()),
            };
        }
    }
    serde_json::from_value(v).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// How the analysis form shows a settings field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Yes or no.
    Bool,
    /// One line of text (numbers, codes, comma-separated lists).
    Text,
    /// Several lines (a criteria TOML).
    LongText,
}

/// Every settings field of the form, with its value as a URL parameter
/// text: the layer's [`RuleSettings`] and the [`EndpointRequest`] options,
/// by their serde names (so the form offers every setting the layer has).
pub fn setting_fields(q: &Query) -> Vec<(String, String, FieldKind)> {
    let mut out = Vec::new();
    let mut add = |v: Result<Value, serde_json::Error>, skip: &[&str]| {
        let Ok(Value::Object(obj)) = v else { return };
        for (k, v) in obj {
            if skip.contains(&k.as_str()) {
                continue;
            }
            let kind = match (&v, k.as_str()) {
                (Value::Bool(_), _) => FieldKind::Bool,
                (_, "criteria_toml") => FieldKind::LongText,
                _ => FieldKind::Text,
            };
            let text = match v {
                Value::Null => String::new(),
                Value::String(s) => s,
                Value::Array(xs) => xs
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            out.push((k, text, kind));
        }
    };
    add(serde_json::to_value(&q.settings), &[]);
    add(serde_json::to_value(q.endpoint_request()), MENU_FIELDS);
    out
}

/// The fields of `x` that differ from `base`, as URL parameters (the
/// inverse of [`overlay`]).
fn differences<T: Serialize>(x: &T, base: &T, skip: &[&str]) -> Vec<(String, String)> {
    let (Ok(Value::Object(a)), Ok(Value::Object(d))) =
        (serde_json::to_value(x), serde_json::to_value(base))
    else {
        return Vec::new();
    };
    a.into_iter()
        .filter(|(k, v)| !skip.contains(&k.as_str()) && d.get(k) != Some(v))
        .filter_map(|(k, v)| {
            let text = match v {
                Value::Null => return None,
                Value::String(s) => s,
                Value::Array(xs) => xs
                    .iter()
                    .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            Some((k, text))
        })
        .collect()
}

fn parse_opt<T>(
    params: &HashMap<String, String>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, AppError> {
    match params.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(t) => parse(t)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(format!("{name}: '{t}' is not a valid value"))),
    }
}

impl Query {
    /// Reads a query from URL parameters (`endpoint`, `from`, `group`,
    /// `site`, `primary`, `grade`, `sex`, `age_min`, `age_max`,
    /// `diagnosed_from`, `diagnosed_to`, `include_excluded`, `landmark`,
    /// `ci`); absent parameters take the defaults.
    pub fn from_params(params: &HashMap<String, String>) -> Result<Query, AppError> {
        let endpoint =
            parse_opt(params, "endpoint", |s| s.parse::<Endpoint>().ok())?.unwrap_or(Endpoint::Os);
        let from = parse_opt(params, "from", |s| s.parse::<TimeZero>().ok())?
            .unwrap_or(TimeZero::Diagnosis);
        let menu = MENU
            .iter()
            .position(|&(e, f)| e == endpoint && f == from)
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "{} from {} is not among the analyses offered (see /api/openapi.json)",
                    endpoint.code(),
                    from.code()
                ))
            })?;
        let filters = Filters {
            site: parse_opt(params, "site", |s| Some(s.to_string()))?,
            primary: parse_opt(params, "primary", |s| PrimarySite::from_code(s).ok())?,
            grade: parse_opt(params, "grade", |s| WhoGrade::from_code(s).ok())?,
            sex: parse_opt(params, "sex", |s| Sex::from_code(s).ok())?,
            age_min: parse_opt(params, "age_min", |s| s.parse().ok())?,
            age_max: parse_opt(params, "age_max", |s| s.parse().ok())?,
            diagnosed_from: parse_opt(params, "diagnosed_from", |s| s.parse().ok())?,
            diagnosed_to: parse_opt(params, "diagnosed_to", |s| s.parse().ok())?,
            include_excluded: params
                .get("include_excluded")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "on" | "yes")),
        };
        let landmark_months = parse_opt(params, "landmark", |s| {
            s.parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0)
        })?
        .unwrap_or(36.0);
        let settings: RuleSettings = overlay(&RuleSettings::default(), params, &[])?;
        settings.resolve().map_err(layer)?;
        let options = overlay(
            &EndpointRequest::of(&EndpointSpec::new(endpoint, from)),
            params,
            MENU_FIELDS,
        )?;
        options.spec().map_err(layer)?;
        Ok(Query {
            menu,
            group: parse_opt(params, "group", Grouping::parse)?.unwrap_or(Grouping::None),
            filters,
            landmark_months,
            ci: parse_opt(params, "ci", |v| match v {
                "1" | "true" | "on" | "yes" => Some(true),
                "0" | "false" | "off" | "no" => Some(false),
                _ => None,
            })?,
            settings,
            options,
        })
    }

    /// The endpoint with its options, as the layer takes it.
    pub fn endpoint_request(&self) -> EndpointRequest {
        let fixed = self.menu_request();
        EndpointRequest {
            endpoint: fixed.endpoint,
            from: fixed.from,
            units: fixed.units,
            ..self.options.clone()
        }
    }

    /// The menu's endpoint with the default options.
    fn menu_request(&self) -> EndpointRequest {
        EndpointRequest::of(&EndpointSpec::new(self.endpoint(), self.from()))
    }

    /// The endpoint spec (checked when the query was read).
    pub fn spec(&self) -> EndpointSpec {
        self.endpoint_request()
            .spec()
            .unwrap_or_else(|_| EndpointSpec::new(self.endpoint(), self.from()))
    }

    /// True when the query's rules or endpoint options differ from those the
    /// index's patient facts were derived with: the cohort is then built
    /// from the courses. The small-cell threshold changes no derivation.
    pub fn needs_courses(&self) -> bool {
        let rules = RuleSettings {
            min_cell: 0,
            ..self.settings.clone()
        };
        rules != RuleSettings::default() || self.endpoint_request() != self.menu_request()
    }

    /// The endpoint.
    pub fn endpoint(&self) -> Endpoint {
        MENU[self.menu].0
    }

    /// Time zero.
    pub fn from(&self) -> TimeZero {
        MENU[self.menu].1
    }

    /// The query as URL parameters (for links to downloads); settings and
    /// endpoint options only where they differ from the defaults.
    pub fn to_params(&self) -> Vec<(String, String)> {
        let f = &self.filters;
        let mut v: Vec<(String, String)> = vec![
            ("endpoint".into(), self.endpoint().code().to_string()),
            ("from".into(), self.from().code()),
            ("group".into(), self.group.code().to_string()),
            ("landmark".into(), format!("{}", self.landmark_months)),
        ];
        let mut opt = |k: &'static str, x: Option<String>| {
            if let Some(x) = x {
                v.push((k.into(), x));
            }
        };
        opt("site", f.site.clone());
        opt("primary", f.primary.map(|p| p.code().to_string()));
        opt("grade", f.grade.map(|g| g.code().to_string()));
        opt("sex", f.sex.map(|s| s.code().to_string()));
        opt("age_min", f.age_min.map(|x| x.to_string()));
        opt("age_max", f.age_max.map(|x| x.to_string()));
        opt("diagnosed_from", f.diagnosed_from.map(|x| x.to_string()));
        opt("diagnosed_to", f.diagnosed_to.map(|x| x.to_string()));
        if f.include_excluded {
            v.push(("include_excluded".into(), "1".into()));
        }
        v.extend(differences(&self.settings, &RuleSettings::default(), &[]));
        v.extend(differences(
            &self.endpoint_request(),
            &self.menu_request(),
            MENU_FIELDS,
        ));
        if let Some(ci) = self.ci {
            v.push(("ci".into(), if ci { "1" } else { "0" }.into()));
        }
        v
    }

    /// Whether a figure of `curves` curves draws confidence bands.
    pub fn bands(&self, curves: usize) -> bool {
        self.ci.unwrap_or(curves <= CI_BANDS_UP_TO)
    }

    /// The line whose responses are summarised: time zero's line, else 1.
    pub fn response_line(&self) -> usize {
        match self.from() {
            TimeZero::Line(k) if k <= LINES_KEPT => k as usize,
            _ => 1,
        }
    }

    fn cache_key(&self, sites: Option<&[String]>, view: &View) -> String {
        let mut k = format!("{sites:?}|{view:?}|");
        for (name, v) in self.to_params() {
            k.push_str(&name);
            k.push('=');
            k.push_str(&v);
            k.push('&');
        }
        k
    }
}

/// One group's survival summary. Under the small-cell rule
/// ([`crate::privacy`]) withheld values are `null` and named in
/// `suppressed`.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSurvival {
    /// Group label.
    pub label: String,
    /// Patients.
    pub n: Option<usize>,
    /// Events.
    pub events: Option<f64>,
    /// Median survival (months), if reached (and not withheld).
    pub median: Option<f64>,
    /// Lower 95% limit of the median.
    pub median_lower: Option<f64>,
    /// Upper 95% limit of the median.
    pub median_upper: Option<f64>,
    /// Survival at the landmark.
    pub landmark_survival: Option<f64>,
    /// Lower 95% limit at the landmark.
    pub landmark_lower: Option<f64>,
    /// Upper 95% limit at the landmark.
    pub landmark_upper: Option<f64>,
    /// The fields withheld by the small-cell rule (absent: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<&'static str>,
}

/// The log-rank test across groups.
#[derive(Debug, Clone, Serialize)]
pub struct LogrankSummary {
    /// Chi-square.
    pub chisq: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// p-value.
    pub p: f64,
}

/// One group's response rates (withheld values `null`, named in
/// `suppressed`).
#[derive(Debug, Clone, Serialize)]
pub struct GroupResponse {
    /// Group label.
    pub label: String,
    /// Evaluable patients of the line (the denominator: measurable disease
    /// or an investigator's response, and a best response other than NE).
    pub evaluable: Option<u64>,
    /// CR or PR.
    pub responders: Option<u64>,
    /// CR, PR, MR, SD or non-CR/non-PD.
    pub controlled: Option<u64>,
    /// Objective response rate with its exact 95% CI.
    pub orr: Option<Rate>,
    /// Disease control rate with its exact 95% CI.
    pub dcr: Option<Rate>,
    /// The fields withheld by the small-cell rule (absent: none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<&'static str>,
}

/// A finished analysis.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// Endpoint code.
    pub endpoint: String,
    /// Time-zero code.
    pub from: String,
    /// `Overall survival from diagnosis (months)`.
    pub title: String,
    /// Grouping code.
    pub group: String,
    /// Registry revision analysed.
    pub revision: i64,
    /// The small-cell threshold applied (absent: full detail).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_cell: Option<u64>,
    /// Patients passing the filters (`null`: withheld, fewer than
    /// `min_cell`).
    pub cohort: Option<usize>,
    /// Of them, patients with a row for this endpoint.
    pub analysed: Option<usize>,
    /// Patients left out because their group is missing.
    pub missing_group: Option<usize>,
    /// Dates imputed in the analysed rows (`null`: withheld, fewer than
    /// `min_cell`: a count of a few dates points at a few patients).
    pub imputed_dates: Option<u64>,
    /// Landmark (months).
    pub landmark_months: f64,
    /// Per group.
    pub groups: Vec<GroupSurvival>,
    /// Across groups (two or more non-empty groups).
    pub logrank: Option<LogrankSummary>,
    /// The line whose best responses are counted.
    pub response_line: usize,
    /// Response rates per group.
    pub response: Vec<GroupResponse>,
    /// The analysis layer's outputs these figures come from (the same
    /// JSON `netra` study files and the CLI produce); `null` under the
    /// small-cell rule (they hold every curve step).
    pub analysis: Option<AnalysisOutputs>,
    /// The rule settings analysed with, when not the defaults (the same
    /// names as a study file's `[settings]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<RuleSettings>,
    /// The endpoint with its options, when not the defaults.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_options: Option<EndpointRequest>,
    /// The Kaplan–Meier figure (SVG).
    #[serde(skip)]
    pub svg: Option<String>,
    /// For a TTP or PFS endpoint: the cumulative-incidence figure of
    /// progression (death without progression competing), SVG.
    #[serde(skip)]
    pub cuminc_svg: Option<String>,
    /// The survival table.
    #[serde(skip)]
    pub survival_table: Option<Table>,
    /// The response table.
    #[serde(skip)]
    pub response_table: Option<Table>,
    /// The Cox model of the grouping (hazard ratios and forest plot), with
    /// full detail only (`crate::analysis_cox`).
    #[serde(skip)]
    pub cox: Option<crate::analysis_cox::CoxView>,
}

impl Outcome {
    /// The layer's cumulative incidence, if given.
    pub fn cuminc(&self) -> Option<&CumincOutput> {
        self.analysis.as_ref().and_then(|a| a.cuminc.as_ref())
    }
}

/// The layer's outputs of one web analysis.
#[derive(Debug, Serialize)]
pub struct AnalysisOutputs {
    /// Survival by group (`null` when no patient has the endpoint).
    pub survival: Option<SurvivalOutput>,
    /// Response rates of the line.
    pub response: ResponseOutput,
    /// For a TTP or PFS endpoint: cumulative incidence of progression and
    /// of death without progression, Gray's test (`null` otherwise, or
    /// when no patient has the endpoint).
    pub cuminc: Option<CumincOutput>,
}

fn layer(e: AnalysisError) -> AppError {
    AppError::BadRequest(e.to_string())
}

/// The survival request of a query.
pub fn survival_request(q: &Query) -> SurvivalRequest {
    SurvivalRequest {
        endpoint: q.endpoint_request(),
        by: q.group.variable().map(str::to_string),
        options: SurvivalOptions {
            landmarks: vec![q.landmark_months],
            ..SurvivalOptions::default()
        },
        ..SurvivalRequest::default()
    }
}

/// The response request of a query.
pub fn response_request(q: &Query) -> ResponseRequest {
    ResponseRequest {
        line: q.response_line() as u32,
        by: q.group.variable().map(str::to_string),
        ..ResponseRequest::default()
    }
}

/// The cumulative-incidence request of a query (for TTP and PFS
/// endpoints): incidence at the landmark.
pub fn cuminc_request(q: &Query) -> CumincRequest {
    CumincRequest {
        endpoint: q.endpoint_request(),
        by: q.group.variable().map(str::to_string),
        times: vec![q.landmark_months],
        ..CumincRequest::default()
    }
}

/// The cumulative incidence of a TTP or PFS query and its figure; `None`
/// for other endpoints and when nobody has the endpoint (or its TTP/PFS
/// twin is not in the menu).
fn cuminc(cohort: &Cohort, q: &Query) -> Result<Option<(CumincOutput, String)>, AppError> {
    if !matches!(q.endpoint(), Endpoint::Ttp | Endpoint::Pfs) {
        return Ok(None);
    }
    let (out, data, fits) = match analyses::cuminc::run_with_fits(cohort, &cuminc_request(q)) {
        Ok(r) => r,
        Err(AnalysisError::Invalid { .. }) => return Ok(None),
        Err(e) => return Err(layer(e)),
    };
    let Some(progression) = fits.iter().find(|f| f.cause == 1) else {
        return Ok(Some((out, String::new())));
    };
    let series: Vec<KmSeries> = progression
        .curves
        .iter()
        .map(|c| {
            let follow: Vec<f64> = data
                .group
                .iter()
                .zip(&data.time)
                .filter(|(g, _)| **g == c.group)
                .map(|(_, t)| *t)
                .collect();
            let label = data.labels.get(c.group).cloned().unwrap_or_default();
            KmSeries::from_cuminc(format!("{label} (n = {})", c.n), c).with_follow_up(&follow)
        })
        .collect();
    let mut fig = KmFigure::incidence(series, format!("Months {}", q.from().phrase()));
    fig.y_label = "Cumulative incidence of progression".into();
    fig.show_ci = q.bands(fig.series.len());
    fig.p_value_text = out
        .gray
        .iter()
        .find(|g| g.cause_code == 1)
        .and_then(|g| g.p)
        .map(|p| format!("Gray's test {}", p_equals(Some(p))));
    let svg = fig.to_svg()?;
    Ok(Some((out, svg)))
}

/// The patients an analysis reads: the index rows' facts (default rules
/// and endpoint options), or their courses (any rules).
pub enum Patients<'a> {
    /// Facts derived when the index loaded.
    Rows(&'a [&'a PatientRow]),
    /// Courses read from the registry.
    Courses(Vec<PatientCourse>),
}

/// The analysis layer's cohort of a query.
pub fn cohort(patients: Patients<'_>, q: &Query) -> Result<Cohort, AppError> {
    let spec = q.filters.cohort_spec();
    match patients {
        Patients::Rows(rows) => {
            let facts = rows.iter().map(|r| r.facts.clone()).collect();
            Cohort::from_facts(facts, layout(), &spec).map_err(layer)
        }
        Patients::Courses(courses) => {
            let settings = q.settings.resolve().map_err(layer)?;
            Cohort::new(courses, &spec, settings).map_err(layer)
        }
    }
}

/// Runs an analysis over the patients a user may see: the analysis layer's
/// survival and response analyses, then the figure and tables drawn from
/// their outputs, under the viewer's small-cell rule.
pub fn run(
    patients: Patients<'_>,
    q: &Query,
    revision: i64,
    view: View,
) -> Result<Outcome, AppError> {
    let (endpoint, from) = MENU[q.menu];
    let spec = q.spec();
    // The arms of every patient the viewer may see (an analyst: the whole
    // registry), numbered as the record pages number them.
    let arms = if view.pseudonymised && q.group == Grouping::Arm {
        match &patients {
            Patients::Rows(rows) => Arms::of(rows.iter().filter_map(|r| r.arm.as_deref())),
            Patients::Courses(c) => Arms::of(c.iter().filter_map(|c| c.patient.arm.as_deref())),
        }
    } else {
        Arms::default()
    };
    let cohort = cohort(patients, q)?;
    let response = analyses::response::run(&cohort, &response_request(q)).map_err(layer)?;
    let survival = match analyses::survival::run_with_curves(&cohort, &survival_request(q)) {
        Ok(s) => Some(s),
        Err(AnalysisError::Invalid { .. }) if cohort.endpoint(&spec, None).is_ok() => None,
        Err(e) => return Err(layer(e)),
    };
    let non_default = q.needs_courses();
    let mut out = Outcome {
        endpoint: endpoint.code().into(),
        from: from.code(),
        title: spec.param(None),
        group: q.group.code().into(),
        revision,
        min_cell: view.suppresses().then_some(view.min_cell),
        cohort: view.count(cohort.len()),
        analysed: Some(0),
        missing_group: Some(0),
        imputed_dates: Some(0),
        landmark_months: q.landmark_months,
        groups: Vec::new(),
        logrank: None,
        response_line: q.response_line(),
        response: Vec::new(),
        analysis: None,
        settings: (q.settings != RuleSettings::default()).then(|| q.settings.clone()),
        endpoint_options: non_default.then(|| q.endpoint_request()),
        svg: None,
        cuminc_svg: None,
        survival_table: None,
        response_table: None,
        cox: None,
    };
    if view.too_few(cohort.len() as f64) {
        // A cohort below the threshold shows that and nothing else.
        out.analysed = None;
        out.missing_group = None;
        return Ok(out);
    }
    let arm_labels = view.pseudonymised && q.group == Grouping::Arm;
    let label = |_: usize, l: &str| {
        if arm_labels {
            arms.label(l).unwrap_or_else(|| "arm".into())
        } else {
            l.to_string()
        }
    };
    out.response = web_responses(&response, &view, &label);
    if !view.detailed() {
        out.analysis = None;
    } else {
        out.response_table = response_table(&cohort, q, &response)?;
        let cif = cuminc(&cohort, q)?;
        let mut outputs = AnalysisOutputs {
            survival: None,
            response,
            cuminc: None,
        };
        if let Some((c, svg)) = cif {
            outputs.cuminc = Some(c);
            out.cuminc_svg = (!svg.is_empty()).then_some(svg);
        }
        out.analysis = Some(outputs);
    }
    let Some((s, curves)) = survival else {
        return Ok(out);
    };
    out.analysed = view.count(s.analysed);
    out.missing_group = view.count(s.missing_group);
    out.imputed_dates = view.count_u64(s.imputed_dates);
    let mut withheld_group = false;
    out.groups = s
        .summary
        .groups
        .iter()
        .zip(&curves)
        .enumerate()
        .map(|(i, (g, c))| {
            let at = g.at_times.first();
            let mut row = GroupSurvival {
                label: label(i, &g.label),
                n: Some(g.n),
                events: Some(g.events),
                median: g.median,
                median_lower: g.median_lower,
                median_upper: g.median_upper,
                landmark_survival: at.and_then(|a| a.survival),
                landmark_lower: at.and_then(|a| a.lower),
                landmark_upper: at.and_then(|a| a.upper),
                suppressed: Vec::new(),
            };
            if !view.suppresses() {
                return row;
            }
            if view.too_few(g.n as f64) {
                withheld_group = true;
                return GroupSurvival {
                    label: row.label,
                    n: None,
                    events: None,
                    median: None,
                    median_lower: None,
                    median_upper: None,
                    landmark_survival: None,
                    landmark_lower: None,
                    landmark_upper: None,
                    suppressed: vec![
                        "n",
                        "events",
                        "median",
                        "median_lower",
                        "median_upper",
                        "landmark_survival",
                        "landmark_lower",
                        "landmark_upper",
                    ],
                };
            }
            let hide = |name: &'static str, x: &mut Option<f64>, keep: bool| {
                (x.is_some() && !keep).then(|| {
                    *x = None;
                    name
                })
            };
            let mut names = Vec::new();
            names.extend(hide("events", &mut row.events, !view.too_few(g.events)));
            for (name, x) in [
                ("median", &mut row.median),
                ("median_lower", &mut row.median_lower),
                ("median_upper", &mut row.median_upper),
            ] {
                let keep = privacy::at(&view, c, *x).is_some();
                names.extend(hide(name, x, keep));
            }
            let keep = view.enough_at_risk(privacy::at_risk(c, q.landmark_months));
            for (name, x) in [
                ("landmark_survival", &mut row.landmark_survival),
                ("landmark_lower", &mut row.landmark_lower),
                ("landmark_upper", &mut row.landmark_upper),
            ] {
                names.extend(hide(name, x, keep));
            }
            row.suppressed = names;
            row
        })
        .collect();
    if !withheld_group {
        out.logrank = s.summary.logrank.as_ref().map(|t| LogrankSummary {
            chisq: t.chisq,
            df: t.df,
            p: t.p,
        });
    }
    out.svg = Some(km_figure(&out, &curves, q, endpoint, from, &view)?);
    // Full detail only: not for analysts (their groups are relabelled and
    // their counts thresholded) nor under a small-cell rule.
    if view.detailed() {
        out.cox = crate::analysis_cox::fit(&cohort, q);
    }
    if view.detailed() {
        out.survival_table = Some(survival_table(&cohort, &s, q, &spec)?);
        if let Some(a) = out.analysis.as_mut() {
            a.survival = Some(s);
        }
    }
    Ok(out)
}

fn web_responses(
    r: &ResponseOutput,
    view: &View,
    label: &dyn Fn(usize, &str) -> String,
) -> Vec<GroupResponse> {
    let one = |i: usize, g: &netra_analysis::analyses::response::GroupResponse| {
        let mut row = GroupResponse {
            label: label(i, &g.label),
            evaluable: Some(g.evaluable),
            responders: Some(g.orr.count),
            controlled: Some(g.dcr.count),
            orr: Some(g.orr.clone()),
            dcr: Some(g.dcr.clone()),
            suppressed: Vec::new(),
        };
        if view.too_few(g.evaluable as f64) {
            row.evaluable = None;
            row.suppressed.push("evaluable");
            row.responders = None;
            row.controlled = None;
            row.orr = None;
            row.dcr = None;
            row.suppressed
                .extend(["responders", "controlled", "orr", "dcr"]);
            return row;
        }
        if view.too_few(g.orr.count as f64) {
            row.responders = None;
            row.orr = None;
            row.suppressed.extend(["responders", "orr"]);
        }
        if view.too_few(g.dcr.count as f64) {
            row.controlled = None;
            row.dcr = None;
            row.suppressed.extend(["controlled", "dcr"]);
        }
        row
    };
    if r.by.is_none() {
        vec![one(0, &r.overall)]
    } else {
        r.groups
            .iter()
            .enumerate()
            .map(|(i, g)| one(i, g))
            .collect()
    }
}

fn km_figure(
    out: &Outcome,
    curves: &[KmCurve],
    q: &Query,
    endpoint: Endpoint,
    from: TimeZero,
    view: &View,
) -> Result<String, AppError> {
    let series: Vec<KmSeries> = out
        .groups
        .iter()
        .zip(curves)
        .filter(|(g, c)| !c.is_empty() && g.n.is_some())
        .map(|(g, c)| privacy::series(view, format!("{} (n = {})", g.label, c.n), c, g.median))
        .collect();
    let mut fig = KmFigure::survival(series, format!("Months {}", from.phrase()));
    fig.y_label = endpoint.label().to_string();
    fig.show_ci = q.bands(fig.series.len());
    fig.show_median = true;
    fig.p_value_text = out
        .logrank
        .as_ref()
        .map(|l| format!("Log-rank {}", p_equals(Some(l.p))));
    Ok(fig.to_svg()?)
}

/// The survival table of the analysed rows (the report's table from the
/// same rows the layer analysed).
fn survival_table(
    cohort: &Cohort,
    s: &SurvivalOutput,
    q: &Query,
    spec: &EndpointSpec,
) -> Result<Table, AppError> {
    let grouping = match q.group.variable() {
        Some(v) => Some(cohort.grouping_of(v, None, None, None).map_err(layer)?),
        None => None,
    };
    let sel = analyses::survival::select(cohort, spec, None, grouping.as_ref()).map_err(layer)?;
    let landmark_header = format!("{}-month rate, %", trim_num(q.landmark_months));
    let mut t = SurvivalTable::new(
        s.title.clone(),
        &sel.data.time,
        &sel.data.event,
        q.landmark_months,
        "Median, months (95% CI)",
        &landmark_header,
    )?;
    t.all_patients("All patients")?;
    if let Some(g) = &grouping {
        let refs: Vec<&str> = g.levels.iter().map(String::as_str).collect();
        let c: Vec<Option<usize>> = sel.data.group.iter().map(|&g| Some(g as usize)).collect();
        t.characteristic(q.group.label(), &refs, &c)?;
    }
    if s.imputed_dates > 0 {
        t.footnote(format!(
            "{} partial date(s) imputed (mid-point rule: a year to 1 July, a month to the 15th).",
            s.imputed_dates
        ));
    }
    Ok(t.build())
}

/// The response table: evaluable patients of the line (the layer's rule).
fn response_table(
    cohort: &Cohort,
    q: &Query,
    r: &ResponseOutput,
) -> Result<Option<Table>, AppError> {
    if r.overall.evaluable == 0 {
        return Ok(None);
    }
    let best: Vec<Option<ResponseClass>> = cohort
        .line_responses(r.line)
        .map_err(layer)?
        .into_iter()
        .map(|b| b.map(ResponseClass::from))
        .collect();
    let mut t = ResponseTable::new(
        format!("Best response on line {}, by {}", r.line, q.group.label()),
        &best,
        &ClassicalInference,
    );
    match q.group.variable() {
        None => {
            t.all_patients("All patients");
        }
        Some(v) => {
            let g = cohort.grouping_of(v, None, None, None).map_err(layer)?;
            let refs: Vec<&str> = g.levels.iter().map(String::as_str).collect();
            t.characteristic(q.group.label(), &refs, &g.codes)?;
        }
    }
    Ok(Some(t.build()))
}

fn trim_num(x: f64) -> String {
    if x.fract() == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x}")
    }
}

/// Finished analyses of the current revision, with their approximate size.
#[derive(Debug, Default)]
pub struct Analyses {
    cache: Mutex<Cache>,
}

#[derive(Debug, Default)]
struct Cache {
    revision: i64,
    bytes: usize,
    outcomes: HashMap<String, Arc<Outcome>>,
}

/// Bytes of finished analyses kept per revision before the cache is
/// emptied (a figure of 10⁵ patients is most of a megabyte of SVG).
const CACHE_BYTES: usize = 128 << 20;

impl Outcome {
    /// Approximate memory held (the figure and the tables dominate).
    fn size(&self) -> usize {
        let table = |t: &Option<Table>| t.as_ref().map_or(0, |t| t.body.len() * 256);
        self.svg.as_ref().map_or(0, String::len)
            + self.cuminc_svg.as_ref().map_or(0, String::len)
            + table(&self.survival_table)
            + table(&self.response_table)
            + 1024
    }
}

impl Analyses {
    /// The cached outcome of `q` for these sites and viewer at `revision`
    /// (the key holds every parameter, rule settings included).
    pub fn cached(
        &self,
        revision: i64,
        sites: Option<&[String]>,
        q: &Query,
        view: View,
    ) -> Option<Arc<Outcome>> {
        let key = q.cache_key(sites, &view);
        let c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        (c.revision == revision)
            .then(|| c.outcomes.get(&key).cloned())
            .flatten()
    }

    /// The cached outcome of `q` for these sites at `revision`, or computes
    /// it with `compute` (on the blocking pool: curves and figures are CPU
    /// work) and keeps it.
    pub async fn get_or_run(
        &self,
        revision: i64,
        sites: Option<&[String]>,
        q: &Query,
        view: View,
        compute: impl FnOnce() -> Result<Outcome, AppError> + Send + 'static,
    ) -> Result<Arc<Outcome>, AppError> {
        let key = q.cache_key(sites, &view);
        if let Some(o) = self.cached(revision, sites, q, view) {
            return Ok(o);
        }
        let out = tokio::task::spawn_blocking(compute)
            .await
            .map_err(|e| AppError::Internal(format!("analysis task: {e}")))??;
        let out = Arc::new(out);
        let size = out.size();
        let mut c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if c.revision != revision || c.bytes + size > CACHE_BYTES {
            *c = Cache {
                revision,
                ..Cache::default()
            };
        }
        if c.outcomes.insert(key, out.clone()).is_none() {
            c.bytes += size;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(p: &[(&str, &str)]) -> HashMap<String, String> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn queries_parse_and_round_trip() {
        let q = Query::from_params(&params(&[
            ("endpoint", "pfs"),
            ("from", "line:1"),
            ("group", "grade"),
            ("grade", "g2"),
            ("landmark", "12"),
        ]))
        .unwrap();
        assert_eq!(q.endpoint(), Endpoint::Pfs);
        assert_eq!(q.from(), TimeZero::Line(1));
        assert_eq!(q.group, Grouping::Grade);
        assert_eq!(q.filters.grade, Some(WhoGrade::G2));
        assert_eq!(q.response_line(), 1);
        let back: HashMap<String, String> = q
            .to_params()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(Query::from_params(&back).unwrap(), q);
        assert!(
            Query::from_params(&params(&[("endpoint", "dor"), ("from", "diagnosis")])).is_err()
        );
        assert!(Query::from_params(&params(&[("grade", "g9")])).is_err());
        assert!(Query::from_params(&params(&[("landmark", "-1")])).is_err());
        assert_eq!(Query::from_params(&params(&[])).unwrap(), Query::default());
    }

    #[test]
    fn p_values_print_by_the_one_rule() {
        // "Log-rank p = < 0.001" was printed before the one rule.
        assert_eq!(p_equals(Some(0.0004)), "p < 0.001");
        assert_eq!(p_equals(Some(0.0312)), "p = 0.031");
    }
}
