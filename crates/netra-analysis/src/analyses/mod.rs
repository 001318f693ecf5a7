//! The registry of analyses: each analysis is a serde `Request` that
//! produces a typed, serialisable `Output`, listed once in [`registry`].
//! The CLI flags, the study-file TOML sections and the web form/API
//! deserialize into the same `Request`; [`run_json`] runs any of them by
//! name.

pub mod baseline;
pub mod compare;
pub mod cox;
pub mod cuminc;
pub mod rates;
pub mod response;
pub mod survival;

use serde::Serialize;
use serde::de::DeserializeOwned;
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
}

/// An analysis as the registry holds it (requests and outputs as JSON).
pub trait DynAnalysis: Sync {
    /// Name.
    fn name(&self) -> &'static str;
    /// Description.
    fn description(&self) -> &'static str;
    /// The default request, as JSON.
    fn default_request(&self) -> Value;
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
    ]
}

/// The analysis named `name`.
pub fn find(name: &str) -> Option<&'static dyn DynAnalysis> {
    registry().into_iter().find(|a| a.name() == name)
}

/// Runs the analysis `name` on a JSON request.
pub fn run_json(cohort: &Cohort, name: &str, request: Value) -> Result<Value, AnalysisError> {
    let a = find(name).ok_or_else(|| {
        let names: Vec<&str> = registry().iter().map(|a| a.name()).collect();
        AnalysisError::invalid(
            "analysis",
            format!("unknown analysis '{name}' (one of: {})", names.join(", ")),
        )
    })?;
    a.run_json(cohort, request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analysis_names_are_unique() {
        let mut names: Vec<&str> = registry().iter().map(|a| a.name()).collect();
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "two analyses share a name");
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
