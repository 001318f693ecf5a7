//! The analysis page connected to a federation hub (issue 17): the server
//! submits Kaplan–Meier / log-rank, Cox and cumulative-incidence runs to a
//! `netra hub` as one of the hub's analysts, and shows each node's progress
//! and the pooled result ([`crate::federated_pages`]).
//!
//! The connection is configured as a study file's `[data] federation`
//! table is written, in a TOML file of its own (`netra serve --federation
//! FILE`): `hub`, `study`, `token_file`, `ca`, `allow_missing`; relative
//! paths are relative to that file. The token is read once at start
//! (never shown, never in a URL).
//!
//! The web query becomes the analysis layer's request as the local page
//! builds it ([`crate::analysis::survival_request`] …), and its filters
//! become the run's cohort conditions, as a study file's `[cohort] where`
//! texts, which every node applies to its own patients. What the nodes
//! cannot apply is refused with a sentence: other line or response rules
//! than the defaults (each node derives with its own), and the server's
//! own derived grouping (age bands).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use netra_analysis::analyses::cox::CoxRequest;
use netra_analysis::settings::RuleSettings;
use netra_clinical::endpoints::Endpoint;
use netra_clinical::registry::vocab::Vocabulary;
use netra_hub::{HubClient, RunSpec, RunStatus};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::{Grouping, Query, cuminc_request, survival_request};
use crate::error::AppError;

/// The hub this server submits federated runs to.
#[derive(Clone)]
pub struct HubLink {
    /// The hub's base URL (`https://…`).
    pub hub: String,
    /// The hub's study.
    pub study: String,
    /// Go on without nodes that are down by default (the page's box is
    /// then ticked; otherwise runs wait for every node).
    pub allow_missing: bool,
    client: HubClient,
}

impl std::fmt::Debug for HubLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("HubLink")
            .field("hub", &self.hub)
            .field("study", &self.study)
            .finish()
    }
}

/// The file's keys: those of a study file's `[data] federation` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkFile {
    hub: String,
    study: String,
    #[serde(default)]
    token_file: Option<PathBuf>,
    #[serde(default)]
    ca: Option<PathBuf>,
    #[serde(default)]
    allow_missing: bool,
}

/// The environment variable the token is read from without `token_file`
/// (the same as `netra federate`'s).
pub const TOKEN_ENV: &str = "NETRA_HUB_TOKEN";

impl HubLink {
    /// Reads a link file (see the module's documentation).
    pub fn load(path: &Path) -> Result<HubLink, AppError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| AppError::Internal(format!("cannot read {}: {e}", path.display())))?;
        let f: LinkFile = toml::from_str(&text)
            .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let token_file = f.token_file.map(|t| base.join(t));
        let ca = f.ca.map(|c| base.join(c));
        let token = netra_hub::auth::read_token(token_file.as_deref(), TOKEN_ENV)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        HubLink::new(&f.hub, &f.study, token, ca.as_deref(), f.allow_missing)
    }

    /// A link to the hub at `hub` (https only) for `study`, authenticating
    /// with an analyst `token`, pinning the CA certificate in `ca` when
    /// given.
    pub fn new(
        hub: &str,
        study: &str,
        token: String,
        ca: Option<&Path>,
        allow_missing: bool,
    ) -> Result<HubLink, AppError> {
        if study.trim().is_empty() {
            return Err(AppError::Internal(
                "federation: `study` must name the hub's study".into(),
            ));
        }
        let client = HubClient::new(hub, token, ca, Duration::from_secs(30))
            .map_err(|e| AppError::Internal(format!("federation: {e}")))?;
        Ok(HubLink {
            hub: client.base().to_owned(),
            study: study.to_owned(),
            allow_missing,
            client,
        })
    }

    /// Submits a run; returns its id at the hub.
    pub async fn submit(&self, spec: &RunSpec) -> Result<String, AppError> {
        self.client.submit(spec).await.map_err(hub_error)
    }

    /// A run's progress and, once done, its output.
    pub async fn status(&self, id: &str) -> Result<RunStatus, AppError> {
        if !valid_id(id) {
            return Err(AppError::NotFound(format!("no federated run '{id}'")));
        }
        self.client.status(id).await.map_err(hub_error)
    }
}

fn hub_error(e: netra_hub::HubError) -> AppError {
    match e {
        netra_hub::HubError::Http(m) if m.contains("404") => AppError::NotFound(m),
        netra_hub::HubError::Http(m) if m.contains("400") => AppError::BadRequest(m),
        other => AppError::Internal(format!("the federation hub: {other}")),
    }
}

/// Run ids are the hub's: letters and digits (they go into URLs).
pub fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// The analyses the page runs federated: (code, the hub's analysis, label).
pub const ANALYSES: [(&str, &str, &str); 3] = [
    ("km", "survival", "Kaplan–Meier curves and log-rank test"),
    ("cox", "cox", "Cox model (hazard ratios of the grouping)"),
    (
        "cuminc",
        "cuminc",
        "Cumulative incidence with Gray's test (TTP, PFS)",
    ),
];

/// The label of an analysis code.
pub fn label(code: &str) -> &'static str {
    ANALYSES
        .iter()
        .find(|(c, ..)| *c == code)
        .map_or("federated analysis", |(_, _, l)| l)
}

/// A federated query: which analysis, the web query, and whether to go on
/// without nodes that are down.
#[derive(Debug, Clone, PartialEq)]
pub struct FederatedQuery {
    /// `km`, `cox` or `cuminc` ([`ANALYSES`]).
    pub analysis: String,
    /// Endpoint, grouping, filters, landmark: as on the local page.
    pub query: Query,
    /// Run without nodes that are down (only when asked).
    pub allow_missing: bool,
}

impl FederatedQuery {
    /// Reads the page's parameters (the local page's, plus `analysis` and
    /// `allow_missing`).
    pub fn from_params(params: &HashMap<String, String>) -> Result<FederatedQuery, AppError> {
        let mut params = params.clone();
        if let Some(v) = params.remove("endpoint_from")
            && let Some((e, f)) = v.split_once('|')
        {
            params.insert("endpoint".into(), e.into());
            params.insert("from".into(), f.into());
        }
        let analysis = params
            .get("analysis")
            .map_or("km", String::as_str)
            .to_owned();
        if !ANALYSES.iter().any(|(c, ..)| *c == analysis) {
            return Err(AppError::BadRequest(format!(
                "analysis '{analysis}' does not run federated from this page (km, cox, cuminc)"
            )));
        }
        Ok(FederatedQuery {
            analysis,
            query: Query::from_params(&params)?,
            allow_missing: params
                .get("allow_missing")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "on" | "yes")),
        })
    }

    /// The parameters that give this query back (for links and the
    /// run-again form).
    pub fn to_params(&self) -> Vec<(String, String)> {
        let mut v = vec![("analysis".to_string(), self.analysis.clone())];
        v.extend(self.query.to_params());
        if self.allow_missing {
            v.push(("allow_missing".into(), "1".into()));
        }
        v
    }

    /// The run the hub is asked for: the hub's analysis name and the layer's
    /// request with the cohort in its `federation` member.
    pub fn run_spec(&self, study: &str) -> Result<RunSpec, AppError> {
        let q = &self.query;
        if q.settings
            != (RuleSettings {
                min_cell: q.settings.min_cell,
                ..RuleSettings::default()
            })
        {
            return Err(AppError::BadRequest(
                "federated runs use each centre's own line and response rules: leave the \
                 rules at their defaults"
                    .into(),
            ));
        }
        if q.group == Grouping::Age60 {
            return Err(AppError::BadRequest(
                "the age bands are this server's derived variable, unknown to the nodes: \
                 group by another variable, or filter by age"
                    .into(),
            ));
        }
        let (hub_analysis, mut request) = match self.analysis.as_str() {
            "km" => {
                let mut r = survival_request(q);
                // The curves' steps, for the figure.
                r.options.steps = true;
                ("survival", to_json(&r)?)
            }
            "cox" => {
                let term = q.group.variable().ok_or_else(|| {
                    AppError::BadRequest(
                        "a Cox model compares the levels of a grouping: choose one".into(),
                    )
                })?;
                let r = CoxRequest {
                    endpoint: q.endpoint_request(),
                    terms: vec![term.to_owned()],
                    ..CoxRequest::default()
                };
                ("cox", to_json(&r)?)
            }
            _ => {
                if !matches!(q.endpoint(), Endpoint::Ttp | Endpoint::Pfs) {
                    return Err(AppError::BadRequest(
                        "cumulative incidence (progression, death without progression \
                         competing) needs a TTP or PFS endpoint"
                            .into(),
                    ));
                }
                let mut r = cuminc_request(q);
                r.steps = true;
                ("cuminc", to_json(&r)?)
            }
        };
        if let Some(o) = request.as_object_mut() {
            o.insert(
                "federation".into(),
                json!({
                    "conditions": conditions(q),
                    "include_excluded": q.filters.include_excluded,
                }),
            );
        }
        Ok(RunSpec {
            study: study.to_owned(),
            analysis: hub_analysis.to_owned(),
            request,
            allow_missing: self.allow_missing,
        })
    }
}

fn to_json<T: serde::Serialize>(r: &T) -> Result<Value, AppError> {
    serde_json::to_value(r).map_err(|e| AppError::Internal(e.to_string()))
}

/// A condition's value, quoted as the condition language reads it.
fn quoted(v: &str) -> String {
    format!("\"{}\"", v.replace(['"', '\\'], ""))
}

/// The filters as cohort condition texts (a study file's `[cohort]
/// where`), which every node parses and applies to its patients.
pub fn conditions(q: &Query) -> Vec<String> {
    let f = &q.filters;
    let mut c = Vec::new();
    if let Some(s) = &f.site {
        c.push(format!("site == {}", quoted(s)));
    }
    if let Some(p) = f.primary {
        c.push(format!("primary_site == {}", quoted(p.code())));
    }
    if let Some(g) = f.grade {
        c.push(format!("who_grade == {}", quoted(g.code())));
    }
    if let Some(s) = f.sex {
        c.push(format!("sex == {}", quoted(s.code())));
    }
    if let Some(m) = f.age_min {
        c.push(format!("age_at_diagnosis >= {m}"));
    }
    if let Some(m) = f.age_max {
        c.push(format!("age_at_diagnosis <= {m}"));
    }
    if let Some(y) = f.diagnosed_from {
        c.push(format!("diagnosis_year >= {y}"));
    }
    if let Some(y) = f.diagnosed_to {
        c.push(format!("diagnosis_year <= {y}"));
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(p: &[(&str, &str)]) -> HashMap<String, String> {
        p.iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn queries_become_the_layers_requests_with_the_cohort_as_conditions() {
        let q = FederatedQuery::from_params(&params(&[
            ("analysis", "cox"),
            ("endpoint_from", "os|diagnosis"),
            ("group", "sex"),
            ("grade", "g2"),
            ("age_min", "18"),
        ]))
        .unwrap();
        let spec = q.run_spec("nets").unwrap();
        assert_eq!(spec.analysis, "cox");
        assert_eq!(spec.request["terms"], json!(["sex"]));
        assert_eq!(
            spec.request["federation"]["conditions"],
            json!(["who_grade == \"g2\"", "age_at_diagnosis >= 18"])
        );
        assert!(!spec.allow_missing);
        // Every condition text parses as the nodes parse it.
        for c in conditions(&q.query) {
            netra_analysis::condition::parse_expr(&c).unwrap();
        }
        // The parameters give the query back.
        let again: HashMap<String, String> = q.to_params().into_iter().collect();
        assert_eq!(FederatedQuery::from_params(&again).unwrap(), q);
    }

    #[test]
    fn what_the_nodes_cannot_apply_is_refused_with_a_reason() {
        let refused = |p: &[(&str, &str)]| {
            FederatedQuery::from_params(&params(p))
                .and_then(|q| q.run_spec("s"))
                .unwrap_err()
                .message()
        };
        assert!(refused(&[("analysis", "cox")]).contains("choose one"));
        assert!(refused(&[("analysis", "km"), ("group", "age60")]).contains("age bands"));
        assert!(refused(&[("analysis", "cuminc")]).contains("TTP or PFS"));
        assert!(refused(&[("analysis", "sequences")]).contains("does not run federated"));
        assert!(refused(&[("analysis", "km"), ("gap_days", "30")]).contains("own line"));
        let km = FederatedQuery::from_params(&params(&[("allow_missing", "1")]))
            .unwrap()
            .run_spec("s")
            .unwrap();
        assert_eq!(km.analysis, "survival");
        assert_eq!(km.request["steps"], json!(true));
        assert!(km.allow_missing);
        assert!(valid_id("abcDEF123") && !valid_id("../x") && !valid_id(""));
    }
}
