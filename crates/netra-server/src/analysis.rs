//! Cohort analyses: choose patients (filters), an endpoint from a time zero
//! and a grouping; get Kaplan–Meier curves (figure with numbers at risk),
//! the survival table (median with 95% CI, landmark rate), the log-rank
//! test and response rates (ORR, DCR) of the line concerned.
//!
//! Nothing is computed here that another crate computes: endpoints and
//! lines come from `netra_clinical::endpoints` / `lines` (their documented
//! default rules), curves and tests from `netra_stats`, the figure and the
//! tables from `netra_report`.
//!
//! Speed on large registries: deriving lines and endpoints costs about
//! 0.02 ms per patient and endpoint, so the endpoints of a fixed menu
//! ([`MENU`]: the usual endpoint × time-zero pairs of NET papers) are
//! derived once per patient when the cohort index loads (and again only for
//! patients that change), and kept as whole days. An analysis then only
//! filters rows, fits the curves and draws the figure; finished analyses
//! are cached per registry revision and visible sites.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use netra_clinical::endpoints::{
    DAYS_PER_MONTH, Endpoint, EndpointSpec, TimeZero, derive_endpoint,
};
use netra_clinical::lines::{LineRules, derive_lines};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{
    FunctionalSyndrome, MetastaticSetting, PrimarySite, Sex, TreatmentClass, Vocabulary, WhoGrade,
};
use netra_clinical::response::Category;
use netra_report::Figure;
use netra_report::figure::km::{KmFigure, KmSeries};
use netra_report::palette::ResponseClass;
use netra_report::table::Table;
use netra_report::table::classical::ClassicalInference;
use netra_report::table::response::{ResponseTable, is_control, is_objective};
use netra_report::table::survival::SurvivalTable;
use netra_stats::km::{KmCurve, KmOptions, km_by_group};
use netra_stats::logrank::{Weights, logrank};
use serde::Serialize;

use crate::cohort::PatientRow;
use crate::error::AppError;

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

/// Lines whose class and best response are kept per patient.
pub const LINES_KEPT: usize = 3;

/// One derived endpoint of a patient: whole days, event, imputed dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// Days from time zero to the event or censoring.
    pub days: i32,
    /// Event (true) or censored.
    pub event: bool,
    /// Dates imputed for this row (0–2).
    pub imputed: u8,
}

/// What analyses read of a patient besides the list's columns.
#[derive(Debug, Clone, Default)]
pub struct PatientFacts {
    /// One entry per [`MENU`] item (`None`: no row, e.g. no line 2).
    pub endpoints: Vec<Option<Time>>,
    /// How metastatic disease arose.
    pub metastatic_setting: Option<MetastaticSetting>,
    /// Functional syndrome of the first tumour.
    pub functional: Option<FunctionalSyndrome>,
    /// Study arm.
    pub arm: Option<String>,
    /// Class of lines 1, 2, 3.
    pub line_class: [Option<TreatmentClass>; LINES_KEPT],
    /// Best response of lines 1, 2, 3.
    pub line_best: [Option<Category>; LINES_KEPT],
    /// Number of lines of therapy.
    pub lines: u32,
}

/// Derives a patient's facts with the documented default rules.
pub fn facts(course: &PatientCourse) -> PatientFacts {
    let rules = LineRules::default();
    let lines = derive_lines(course, &rules);
    let endpoints = MENU
        .iter()
        .map(|&(e, from)| {
            let spec = EndpointSpec::new(e, from);
            let pe = derive_endpoint(course, &lines, &spec, &rules);
            pe.rows.first().map(|r| Time {
                days: r.days,
                event: r.event,
                imputed: r.imputed_dates.min(255) as u8,
            })
        })
        .collect();
    let mut line_class = [None; LINES_KEPT];
    let mut line_best = [None; LINES_KEPT];
    for l in lines.lines.iter().take(LINES_KEPT) {
        let k = (l.number as usize).saturating_sub(1);
        if k < LINES_KEPT {
            line_class[k] = Some(l.class);
            line_best[k] = l.evaluation.best;
        }
    }
    PatientFacts {
        endpoints,
        metastatic_setting: course.patient.metastatic_setting,
        functional: course.tumours.first().and_then(|t| t.functional_syndrome),
        arm: course.patient.arm.clone(),
        line_class,
        line_best,
        lines: lines.lines.len() as u32,
    }
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

    /// A patient's level as (sort key, label); `None` when missing.
    fn level(self, r: &PatientRow) -> Option<(usize, String)> {
        fn voc<V: Vocabulary + PartialEq>(v: Option<V>) -> Option<(usize, String)> {
            let v = v?;
            let i = V::ALL.iter().position(|x| *x == v)?;
            Some((i, v.label().to_string()))
        }
        match self {
            Grouping::None => Some((0, "All patients".into())),
            Grouping::Site => Some((0, r.site.clone())),
            Grouping::Sex => voc::<Sex>(Some(r.sex)),
            Grouping::Age60 => r.age.map(|a| {
                if a < 60 {
                    (0, "< 60 years".to_string())
                } else {
                    (1, "≥ 60 years".to_string())
                }
            }),
            Grouping::Primary => voc::<PrimarySite>(r.primary_site),
            Grouping::Grade => voc::<WhoGrade>(r.grade),
            Grouping::Setting => voc::<MetastaticSetting>(r.facts.metastatic_setting),
            Grouping::Functional => voc::<FunctionalSyndrome>(r.facts.functional),
            Grouping::FirstLine => voc::<TreatmentClass>(r.facts.line_class[0]),
            Grouping::Arm => r.facts.arm.clone().map(|a| (0, a)),
        }
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

impl Filters {
    /// Does the row pass?
    pub fn admits(&self, r: &PatientRow) -> bool {
        self.site.as_ref().is_none_or(|s| *s == r.site)
            && self.primary.is_none_or(|p| r.primary_site == Some(p))
            && self.grade.is_none_or(|g| r.grade == Some(g))
            && self.sex.is_none_or(|s| r.sex == s)
            && self.age_min.is_none_or(|m| r.age.is_some_and(|a| a >= m))
            && self.age_max.is_none_or(|m| r.age.is_some_and(|a| a <= m))
            && self
                .diagnosed_from
                .is_none_or(|y| r.diagnosis_date.is_some_and(|d| d.year >= y))
            && self
                .diagnosed_to
                .is_none_or(|y| r.diagnosis_date.is_some_and(|d| d.year <= y))
            && (self.include_excluded || !r.excluded)
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
    /// Draw confidence bands.
    pub ci: bool,
}

impl Default for Query {
    fn default() -> Self {
        Query {
            menu: 0,
            group: Grouping::None,
            filters: Filters::default(),
            landmark_months: 36.0,
            ci: false,
        }
    }
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
        Ok(Query {
            menu,
            group: parse_opt(params, "group", Grouping::parse)?.unwrap_or(Grouping::None),
            filters,
            landmark_months,
            ci: params
                .get("ci")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "on" | "yes")),
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> Endpoint {
        MENU[self.menu].0
    }

    /// Time zero.
    pub fn from(&self) -> TimeZero {
        MENU[self.menu].1
    }

    /// The query as URL parameters (for links to downloads).
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let f = &self.filters;
        let mut v = vec![
            ("endpoint", self.endpoint().code().to_string()),
            ("from", self.from().code()),
            ("group", self.group.code().to_string()),
            ("landmark", format!("{}", self.landmark_months)),
        ];
        let mut opt = |k: &'static str, x: Option<String>| {
            if let Some(x) = x {
                v.push((k, x));
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
            v.push(("include_excluded", "1".into()));
        }
        if self.ci {
            v.push(("ci", "1".into()));
        }
        v
    }

    /// The line whose responses are summarised: time zero's line, else 1.
    pub fn response_line(&self) -> usize {
        match self.from() {
            TimeZero::Line(k) if (k as usize) <= LINES_KEPT => k as usize,
            _ => 1,
        }
    }

    fn cache_key(&self, sites: Option<&[String]>) -> String {
        let mut k = format!("{:?}|", sites);
        for (name, v) in self.to_params() {
            k.push_str(name);
            k.push('=');
            k.push_str(&v);
            k.push('&');
        }
        k
    }
}

/// One group's survival summary.
#[derive(Debug, Clone, Serialize)]
pub struct GroupSurvival {
    /// Group label.
    pub label: String,
    /// Patients.
    pub n: usize,
    /// Events.
    pub events: f64,
    /// Median survival (months), if reached.
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

/// One group's response rates.
#[derive(Debug, Clone, Serialize)]
pub struct GroupResponse {
    /// Group label.
    pub label: String,
    /// Patients with a best response on the line.
    pub evaluable: u64,
    /// CR or PR.
    pub responders: u64,
    /// CR, PR, MR, SD or non-CR/non-PD.
    pub controlled: u64,
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
    /// Patients passing the filters.
    pub cohort: usize,
    /// Of them, patients with a row for this endpoint.
    pub analysed: usize,
    /// Patients left out because their group is missing.
    pub missing_group: usize,
    /// Dates imputed in the analysed rows.
    pub imputed_dates: u64,
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
    /// The Kaplan–Meier figure (SVG).
    #[serde(skip)]
    pub svg: Option<String>,
    /// The survival table.
    #[serde(skip)]
    pub survival_table: Option<Table>,
    /// The response table.
    #[serde(skip)]
    pub response_table: Option<Table>,
}

fn stats(e: impl std::fmt::Display) -> AppError {
    AppError::BadRequest(format!("the analysis cannot be computed: {e}"))
}

/// Runs an analysis over the rows a user may see.
pub fn run(rows: &[&PatientRow], q: &Query, revision: i64) -> Result<Outcome, AppError> {
    let (endpoint, from) = MENU[q.menu];
    let spec = EndpointSpec::new(endpoint, from);
    let title = spec.param(None);
    let cohort: Vec<&PatientRow> = rows
        .iter()
        .copied()
        .filter(|r| q.filters.admits(r))
        .collect();
    // Levels present, in vocabulary (or text) order.
    let mut levels: Vec<(usize, String)> = Vec::new();
    let mut codes: Vec<Option<usize>> = Vec::with_capacity(cohort.len());
    for r in &cohort {
        let lv = q.group.level(r);
        codes.push(lv.map(|l| match levels.iter().position(|x| *x == l) {
            Some(i) => i,
            None => {
                levels.push(l);
                levels.len() - 1
            }
        }));
    }
    // Renumber codes so that levels are sorted.
    let mut order: Vec<usize> = (0..levels.len()).collect();
    order.sort_by(|&a, &b| levels[a].cmp(&levels[b]));
    let mut rank = vec![0usize; levels.len()];
    for (new, &old) in order.iter().enumerate() {
        rank[old] = new;
    }
    let labels: Vec<String> = order.iter().map(|&i| levels[i].1.clone()).collect();
    let codes: Vec<Option<usize>> = codes.iter().map(|c| c.map(|c| rank[c])).collect();

    let mut time = Vec::new();
    let mut event = Vec::new();
    let mut group = Vec::new();
    let mut imputed = 0u64;
    let mut missing_group = 0usize;
    let mut with_row = 0usize;
    for (r, c) in cohort.iter().zip(&codes) {
        let Some(t) = r.facts.endpoints.get(q.menu).copied().flatten() else {
            continue;
        };
        with_row += 1;
        let Some(c) = c else {
            missing_group += 1;
            continue;
        };
        time.push(f64::from(t.days) / DAYS_PER_MONTH);
        event.push(t.event);
        group.push(*c);
        imputed += u64::from(t.imputed);
    }
    let line = q.response_line();
    let best: Vec<Option<ResponseClass>> = cohort
        .iter()
        .map(|r| r.facts.line_best[line - 1].map(ResponseClass::from))
        .collect();
    let response: Vec<GroupResponse> = labels
        .iter()
        .enumerate()
        .map(|(l, label)| {
            let mut g = GroupResponse {
                label: label.clone(),
                evaluable: 0,
                responders: 0,
                controlled: 0,
            };
            for (b, c) in best.iter().zip(&codes) {
                if *c == Some(l)
                    && let Some(b) = b
                {
                    g.evaluable += 1;
                    g.responders += u64::from(is_objective(*b));
                    g.controlled += u64::from(is_control(*b));
                }
            }
            g
        })
        .collect();
    let response_table = if best.iter().any(Option::is_some) {
        let mut t = ResponseTable::new(
            format!("Best response on line {line}, by {}", q.group.label()),
            &best,
            &ClassicalInference,
        );
        if q.group == Grouping::None {
            t.all_patients("All patients");
        } else {
            let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
            t.characteristic(q.group.label(), &refs, &codes)?;
        }
        Some(t.build())
    } else {
        None
    };

    let mut out = Outcome {
        endpoint: endpoint.code().into(),
        from: from.code(),
        title: title.clone(),
        group: q.group.code().into(),
        revision,
        cohort: cohort.len(),
        analysed: time.len(),
        missing_group,
        imputed_dates: imputed,
        landmark_months: q.landmark_months,
        groups: Vec::new(),
        logrank: None,
        response_line: line,
        response,
        svg: None,
        survival_table: None,
        response_table,
    };
    let _ = with_row;
    if time.is_empty() {
        return Ok(out);
    }
    let options = KmOptions::default();
    let g32: Vec<u32> = group.iter().map(|&g| g as u32).collect();
    let curves: Vec<KmCurve> =
        km_by_group(&time, &event, None, &g32, labels.len(), &options).map_err(stats)?;
    for (label, c) in labels.iter().zip(&curves) {
        let m = c.median();
        let at = if c.is_empty() {
            None
        } else {
            c.at_times(&[q.landmark_months], false)
                .ok()
                .and_then(|v| v.into_iter().next())
        };
        out.groups.push(GroupSurvival {
            label: label.clone(),
            n: c.n,
            events: c.events(),
            median: m.estimate,
            median_lower: m.lower,
            median_upper: m.upper,
            landmark_survival: at.as_ref().and_then(|a| a.survival),
            landmark_lower: at.as_ref().and_then(|a| a.lower),
            landmark_upper: at.as_ref().and_then(|a| a.upper),
        });
    }
    let non_empty = curves.iter().filter(|c| !c.is_empty()).count();
    if non_empty >= 2 {
        out.logrank = logrank(&time, &event, &group, None, Weights::LogRank)
            .ok()
            .map(|t| LogrankSummary {
                chisq: t.chisq,
                df: t.df,
                p: t.p,
            });
    }
    // Figure: one series per non-empty group.
    let series: Vec<KmSeries> = labels
        .iter()
        .zip(&curves)
        .filter(|(_, c)| !c.is_empty())
        .map(|(l, c)| KmSeries::from_km(format!("{l} (n = {})", c.n), c))
        .collect();
    let mut fig = KmFigure::survival(series, format!("Months {}", from.phrase()));
    fig.y_label = endpoint.label().to_string();
    fig.show_ci = q.ci;
    fig.show_median = true;
    fig.p_value_text = out
        .logrank
        .as_ref()
        .map(|l| format!("Log-rank p = {}", format_p(l.p)));
    out.svg = Some(fig.to_svg()?);
    // Survival table.
    let landmark_header = format!("{}-month rate, %", trim_num(q.landmark_months));
    let mut t = SurvivalTable::new(
        title,
        &time,
        &event,
        q.landmark_months,
        "Median, months (95% CI)",
        &landmark_header,
    )?;
    t.all_patients("All patients")?;
    if q.group != Grouping::None {
        let refs: Vec<&str> = labels.iter().map(String::as_str).collect();
        let c: Vec<Option<usize>> = group.iter().map(|&g| Some(g)).collect();
        t.characteristic(q.group.label(), &refs, &c)?;
    }
    if imputed > 0 {
        t.footnote(format!(
            "{imputed} partial date(s) imputed (mid-point rule: a year to 1 July, a month to the 15th)."
        ));
    }
    out.survival_table = Some(t.build());
    Ok(out)
}

/// A p-value as papers print it.
pub fn format_p(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".into()
    } else {
        format!("{p:.3}")
    }
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
            + table(&self.survival_table)
            + table(&self.response_table)
            + 1024
    }
}

impl Analyses {
    /// The cached outcome of `q` for these sites at `revision`, or computes
    /// it with `compute` (on the blocking pool: curves and figures are CPU
    /// work) and keeps it.
    pub async fn get_or_run(
        &self,
        revision: i64,
        sites: Option<&[String]>,
        q: &Query,
        compute: impl FnOnce() -> Result<Outcome, AppError> + Send + 'static,
    ) -> Result<Arc<Outcome>, AppError> {
        let key = q.cache_key(sites);
        {
            let c = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if c.revision == revision
                && let Some(o) = c.outcomes.get(&key)
            {
                return Ok(o.clone());
            }
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
    fn p_values_print_as_papers_do() {
        assert_eq!(format_p(0.0004), "< 0.001");
        assert_eq!(format_p(0.0312), "0.031");
    }
}
