//! The registry of analyses: each analysis is a serde `Request` that
//! produces a typed, serialisable `Output`, listed once in [`registry`].
//! The CLI flags, the study-file TOML sections and the web form/API
//! deserialize into the same `Request`; [`run_json`] runs any of them by
//! name.

pub mod adverse_events;
pub mod baseline;
pub mod compare;
pub mod cox;
pub mod cuminc;
pub mod durations;
pub mod emulate;
pub mod lesions;
pub mod markers;
pub mod patterns;
pub mod rates;
pub mod response;
pub mod sequences;
pub mod subgroups;
pub mod survival;
pub mod weighting;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::AnalysisError;
use crate::cohort::Cohort;

/// One analysis: a name, a request type with defaults, an output type.
pub trait Analysis {
    /// Name in URLs, study files and JSON (`survival`, `response`, …).
    const NAME: &'static str;
    /// One line on what it computes.
    const DESCRIPTION: &'static str;
    /// The request (every field has a default: `Default`).
    type Request: DeserializeOwned + Serialize + Default;
    /// The output.
    type Output: Serialize;
    /// Runs the analysis on a cohort.
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError>;
    /// A request that runs on any registry cohort (what the surfaces offer
    /// as an example and the cross-surface test runs): the default, unless
    /// the default names nothing to analyse (`cox`, `compare`, `baseline`).
    fn example() -> Self::Request {
        Self::Request::default()
    }
}

/// An analysis as the registry holds it (requests and outputs as JSON).
pub trait DynAnalysis: Sync {
    /// Name.
    fn name(&self) -> &'static str;
    /// Description.
    fn description(&self) -> &'static str;
    /// The default request, as JSON.
    fn default_request(&self) -> Value;
    /// A request that runs on any registry cohort, as JSON
    /// ([`Analysis::example`]).
    fn example_request(&self) -> Value;
    /// Reads a JSON request without running it (an error names what does
    /// not fit: an unknown field, a wrong type).
    fn parse_request(&self, request: &Value) -> Result<(), AnalysisError>;
    /// Runs a JSON request.
    fn run_json(&self, cohort: &Cohort, request: Value) -> Result<Value, AnalysisError>;
}

struct Entry<A>(std::marker::PhantomData<fn() -> A>);

impl<A: Analysis> DynAnalysis for Entry<A> {
    fn name(&self) -> &'static str {
        A::NAME
    }
    fn description(&self) -> &'static str {
        A::DESCRIPTION
    }
    fn default_request(&self) -> Value {
        serde_json::to_value(A::Request::default()).unwrap_or(Value::Null)
    }
    fn example_request(&self) -> Value {
        serde_json::to_value(A::example()).unwrap_or(Value::Null)
    }
    fn parse_request(&self, request: &Value) -> Result<(), AnalysisError> {
        A::Request::deserialize(request)
            .map(|_| ())
            .map_err(|e| AnalysisError::invalid(format!("request of '{}'", A::NAME), e.to_string()))
    }
    fn run_json(&self, cohort: &Cohort, request: Value) -> Result<Value, AnalysisError> {
        let req: A::Request = serde_json::from_value(request).map_err(|e| {
            AnalysisError::invalid(format!("request of '{}'", A::NAME), e.to_string())
        })?;
        let out = A::run(cohort, &req)?;
        serde_json::to_value(out)
            .map_err(|e| AnalysisError::stats(A::NAME, format!("output not serialisable: {e}")))
    }
}

/// Survival by group (Kaplan–Meier, median, landmarks, RMST, log-rank).
pub struct Survival;

impl Analysis for Survival {
    const NAME: &'static str = "survival";
    const DESCRIPTION: &'static str =
        "Kaplan-Meier curves by group: n, events, median (CI), landmark rates, RMST, log-rank";
    type Request = survival::SurvivalRequest;
    type Output = survival::SurvivalOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        survival::run(cohort, request)
    }
}

/// Response rates of a line (ORR, DCR with exact CIs).
pub struct Response;

impl Analysis for Response {
    const NAME: &'static str = "response";
    const DESCRIPTION: &'static str =
        "Objective response and disease control of a line, with exact CIs, by group";
    type Request = response::ResponseRequest;
    type Output = response::ResponseOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        response::run(cohort, request)
    }
}

/// Cox regression of an endpoint on variables.
pub struct Cox;

impl Analysis for Cox {
    const NAME: &'static str = "cox";
    const DESCRIPTION: &'static str = "Cox proportional-hazards regression of an endpoint on variables: \
         hazard ratios (CI, p), likelihood-ratio, Wald and score tests";
    type Request = cox::CoxRequest;
    type Output = cox::CoxOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        cox::run(cohort, request)
    }
    fn example() -> Self::Request {
        cox::CoxRequest {
            terms: vec!["sex".into(), "age_at_diagnosis".into()],
            ..cox::CoxRequest::default()
        }
    }
}

/// Cumulative incidence of progression with death as a competing risk.
pub struct Cuminc;

impl Analysis for Cuminc {
    const NAME: &'static str = "cuminc";
    const DESCRIPTION: &'static str = "Cumulative incidence of progression and of death without progression by group, Gray's test";
    type Request = cuminc::CumincRequest;
    type Output = cuminc::CumincOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        cuminc::run(cohort, request)
    }
}

/// A variable compared between groups (chi-square, Fisher, t, Welch,
/// Mann–Whitney).
pub struct Compare;

impl Analysis for Compare {
    const NAME: &'static str = "compare";
    const DESCRIPTION: &'static str = "A variable compared between groups: chi-square or Fisher's exact test \
         for categories, Student's or Welch's t-test or Mann-Whitney for numbers";
    type Request = compare::CompareRequest;
    type Output = compare::CompareOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        compare::run(cohort, request)
    }
    fn example() -> Self::Request {
        compare::CompareRequest {
            variable: "sex".into(),
            by: "who_grade".into(),
            ..compare::CompareRequest::default()
        }
    }
}

/// Response counts, ORR and DCR with a chosen interval, Fisher's test
/// across groups.
pub struct Rates;

impl Analysis for Rates {
    const NAME: &'static str = "rates";
    const DESCRIPTION: &'static str = "Best responses of a line counted by group: ORR and DCR with \
         Clopper-Pearson or Wilson intervals, Fisher's exact test across groups";
    type Request = rates::RatesRequest;
    type Output = rates::RatesOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        rates::run(cohort, request)
    }
}

/// Baseline characteristics by group (Table 1) with their tests.
pub struct Baseline;

impl Analysis for Baseline {
    const NAME: &'static str = "baseline";
    const DESCRIPTION: &'static str = "Baseline characteristics by group (Table 1): mean, SD, median, \
         range or counts per group, with a t-test or chi-square/Fisher p";
    type Request = baseline::BaselineRequest;
    type Output = baseline::BaselineOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        baseline::run(cohort, request)
    }
    fn example() -> Self::Request {
        baseline::BaselineRequest {
            by: "who_grade".into(),
            levels: None,
            variables: vec![
                "age_at_diagnosis".into(),
                "sex".into(),
                "primary_site".into(),
            ],
        }
    }
}

/// Lines and treatment sequences: patients reaching each line, pathways,
/// outcome per line, Sankey links, small counts suppressed.
pub struct Sequences;

impl Analysis for Sequences {
    const NAME: &'static str = "sequences";
    const DESCRIPTION: &'static str = "Lines of therapy and treatment sequences: patients reaching \
         each line, pathways of line classes with counts, outcome per line (median TTP, ORR, DCR), \
         Sankey links; counts below min_cell suppressed";
    type Request = sequences::SequencesRequest;
    type Output = sequences::SequencesOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        sequences::run(cohort, request)
    }
}

/// Point-treatment weighting: propensity scores, IPTW or overlap weights,
/// balance before/after, weighted KM, RMST and Cox, E-value.
pub struct Weighting;

impl Analysis for Weighting {
    const NAME: &'static str = "weighting";
    const DESCRIPTION: &'static str = "Propensity-score weighting of two treatments: IPTW (ATE, ATT, \
         stabilised, truncated) or overlap weights, effective sample size, balance (SMD before and \
         after), weighted Kaplan-Meier, RMST difference, weighted Cox HR (robust CI), E-value";
    type Request = weighting::WeightingRequest;
    type Output = weighting::WeightingOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        weighting::run(cohort, request)
    }
    fn example() -> Self::Request {
        weighting::WeightingRequest {
            formula: "sex ~ age_at_diagnosis".into(),
            ..weighting::WeightingRequest::default()
        }
    }
}

/// A comparison's hazard ratio within subgroups, with interaction tests.
pub struct Subgroups;

impl Analysis for Subgroups {
    const NAME: &'static str = "subgroups";
    const DESCRIPTION: &'static str = "Hazard ratio of a two-level comparison overall and within \
         each subgroup level, with likelihood-ratio and Wald tests of interaction (forest plot)";
    type Request = subgroups::SubgroupRequest;
    type Output = subgroups::SubgroupOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        subgroups::run(cohort, request)
    }
    fn example() -> Self::Request {
        subgroups::SubgroupRequest {
            arm: "sex".into(),
            reference: Some("female".into()),
            versus: Some("male".into()),
            subgroups: vec!["metastatic_setting".into(), "differentiation".into()],
            ..subgroups::SubgroupRequest::default()
        }
    }
}

/// Target-trial emulation of treatment-sequence strategies by
/// clone–censor–weight.
pub struct Emulate;

impl Analysis for Emulate {
    const NAME: &'static str = "emulate";
    const DESCRIPTION: &'static str = "Target-trial emulation of treatment strategies (e.g. everolimus \
         then chemotherapy vs the reverse after SSA failure) by clone-censor-weight: grace periods, \
         inverse-probability-of-censoring weights, weighted Kaplan-Meier, RMST and survival \
         differences, weighted Cox HR (robust CI), naive comparison, balance, bootstrap";
    type Request = emulate::EmulateRequest;
    type Output = emulate::EmulateOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        emulate::run(cohort, request)
    }
}

/// Biochemical response by tumour marker: falls from baseline and
/// normalisation, with exact CIs.
pub struct Markers;

impl Analysis for Markers {
    const NAME: &'static str = "markers";
    const DESCRIPTION: &'static str = "Biochemical response by tumour marker (chromogranin A, \
         5-HIAA, ...): patients whose best value fell from baseline by at least each threshold \
         (20%, 50%) and whose value normalised, with exact CIs, by group";
    type Request = markers::MarkersRequest;
    type Output = markers::MarkersOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        markers::run(cohort, request)
    }
}

/// Duration of stable disease and of response of a line (KM medians).
pub struct Durations;

impl Analysis for Durations {
    const NAME: &'static str = "durations";
    const DESCRIPTION: &'static str = "Duration of stable disease (line start to progression) and \
         of response (first response to progression) of a line: Kaplan-Meier medians with CIs \
         where censored, by group";
    type Request = durations::DurationsRequest;
    type Output = durations::DurationsOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        durations::run(cohort, request)
    }
}

/// Per-lesion percent change of the measured lesions, by organ.
pub struct Lesions;

impl Analysis for Lesions {
    const NAME: &'static str = "lesions";
    const DESCRIPTION: &'static str = "Per-lesion percent change of the longest diameter (lymph \
         nodes: short axis) from each lesion's baseline to its best and to each follow-up \
         assessment, summarised by organ (primary vs liver, ...) for a waterfall by site";
    type Request = lesions::LesionsRequest;
    type Output = lesions::LesionsOutput;
    fn run(cohort: &Cohort, request: &Self::Request) -> Result<Self::Output, AnalysisError> {
        lesions::run(cohort, request)
    }
}

/// Every analysis, in menu order: the one list the surfaces offer.
pub fn registry() -> Vec<&'static dyn DynAnalysis> {
    vec![
        &Entry::<Survival>(std::marker::PhantomData),
        &Entry::<Response>(std::marker::PhantomData),
        &Entry::<Cox>(std::marker::PhantomData),
        &Entry::<Cuminc>(std::marker::PhantomData),
        &Entry::<Compare>(std::marker::PhantomData),
        &Entry::<Rates>(std::marker::PhantomData),
        &Entry::<Baseline>(std::marker::PhantomData),
        &Entry::<Sequences>(std::marker::PhantomData),
        &Entry::<patterns::Patterns>(std::marker::PhantomData),
        &Entry::<adverse_events::AdverseEvents>(std::marker::PhantomData),
        &Entry::<Weighting>(std::marker::PhantomData),
        &Entry::<Subgroups>(std::marker::PhantomData),
        &Entry::<Emulate>(std::marker::PhantomData),
        &Entry::<Markers>(std::marker::PhantomData),
        &Entry::<Durations>(std::marker::PhantomData),
        &Entry::<Lesions>(std::marker::PhantomData),
    ]
}

/// The analysis named `name`.
pub fn find(name: &str) -> Option<&'static dyn DynAnalysis> {
    registry().into_iter().find(|a| a.name() == name)
}

/// The analysis named `name`, or an error listing the names (with the
/// nearest when `name` looks like a misspelling of it).
pub fn find_or_suggest(name: &str) -> Result<&'static dyn DynAnalysis, AnalysisError> {
    find(name).ok_or_else(|| {
        let names: Vec<&str> = registry().iter().map(|a| a.name()).collect();
        let mut msg = format!("unknown analysis '{name}' (one of: {})", names.join(", "));
        if let Some(near) = nearest(name, &names) {
            msg.push_str(&format!("; did you mean '{near}'?"));
        }
        AnalysisError::invalid("analysis", msg)
    })
}

/// Runs the analysis `name` on a JSON request (checked by
/// [`check_request`] first, so a misspelt field names its nearest).
pub fn run_json(cohort: &Cohort, name: &str, request: Value) -> Result<Value, AnalysisError> {
    let a = find_or_suggest(name)?;
    check_request(a, &request)?;
    a.run_json(cohort, request)
}

/// Fails on the first field of `request` that the analysis' request does
/// not have (nested objects too: `endpoint.censorship`), naming the
/// nearest field. The known fields are those of the default request's
/// JSON, which lists every field (absent options as `null`). Type errors
/// are left to serde.
pub fn check_request(a: &dyn DynAnalysis, request: &Value) -> Result<(), AnalysisError> {
    fn walk(path: &str, given: &Value, known: &Value, name: &str) -> Result<(), AnalysisError> {
        let (Value::Object(g), Value::Object(k)) = (given, known) else {
            return Ok(());
        };
        let names: Vec<&str> = k.keys().map(String::as_str).collect();
        for (key, v) in g {
            let here = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match k.get(key) {
                // A map with free keys (Cox `reference`) is empty by
                // default: only structs are checked.
                Some(kv) if kv.as_object().is_some_and(|o| !o.is_empty()) => {
                    walk(&here, v, kv, name)?
                }
                Some(_) => {}
                None => {
                    let mut msg = format!("unknown field '{here}' (fields: {})", names.join(", "));
                    if let Some(near) = nearest(key, &names) {
                        msg.push_str(&format!("; did you mean '{near}'?"));
                    }
                    return Err(AnalysisError::invalid(format!("request of '{name}'"), msg));
                }
            }
        }
        Ok(())
    }
    if !request.is_object() {
        return Err(AnalysisError::invalid(
            format!("request of '{}'", a.name()),
            "must be an object of fields (a JSON object, a TOML table)",
        ));
    }
    walk("", request, &a.default_request(), a.name())
}

/// The nearest of `valid` to `given`, if it looks like a misspelling
/// (`netra_frame::nearest`: another case, or one edit per three
/// characters). The same rule as study files' and columns' "did you mean".
pub fn nearest<'v>(given: &str, valid: &[&'v str]) -> Option<&'v str> {
    netra_frame::nearest(given, valid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_catches_misspellings_not_other_words() {
        assert_eq!(nearest("waterfal", &["waterfall", "km"]), Some("waterfall"));
        assert_eq!(nearest("sankye", &["sankey"]), Some("sankey"));
        assert_eq!(nearest("kaplan", &["km"]), None);
        assert_eq!(nearest("cox", &["cox"]), None);
    }

    #[test]
    fn analysis_names_are_unique() {
        let mut names: Vec<&str> = registry().iter().map(|a| a.name()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "two analyses share a name");
    }

    #[test]
    fn misspelt_names_and_fields_suggest_the_nearest() {
        let e = find_or_suggest("survivl").err().unwrap().to_string();
        assert!(e.contains("did you mean 'survival'"), "{e}");
        assert!(
            !find_or_suggest("pie")
                .err()
                .unwrap()
                .to_string()
                .contains("did you mean")
        );
        let cox = find("cox").unwrap();
        let e = check_request(cox, &serde_json::json!({"term": ["sex"]}))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("unknown field 'term'") && e.contains("did you mean 'terms'"),
            "{e}"
        );
        let e = check_request(cox, &serde_json::json!({"endpoint": {"fromm": "line:1"}}))
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("'endpoint.fromm'") && e.contains("'from'"),
            "{e}"
        );
        assert!(check_request(cox, &serde_json::json!({"terms": ["sex"]})).is_ok());
        let free = serde_json::json!({"reference": {"who_grade": "G1"}});
        assert!(check_request(cox, &free).is_ok());
        assert!(check_request(cox, &serde_json::json!([1])).is_err());
    }

    #[test]
    fn example_requests_read_back_as_their_requests() {
        // An example that does not deserialize would fail on every
        // surface (the web's list, the CLI's --list, study files).
        let cohort = Cohort::new(Vec::new(), &Default::default(), Default::default()).unwrap();
        for a in registry() {
            let v = a.example_request();
            assert!(v.is_object(), "{}", a.name());
            if let Err(e) = a.run_json(&cohort, v) {
                assert!(
                    !e.to_string().contains("request of"),
                    "{}: example does not read back: {e}",
                    a.name()
                );
            }
        }
    }

    #[test]
    fn default_requests_deserialize_back() {
        for a in registry() {
            let v = a.default_request();
            assert!(
                v.is_object(),
                "{}: default request is not an object",
                a.name()
            );
        }
    }
}
