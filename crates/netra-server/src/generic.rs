//! Every registered analysis through the JSON API, without code per
//! analysis: `GET /api/analyses` lists the layer's registry
//! (`netra_analysis::analyses::registry`: name, description, default and
//! example request) and `POST /api/analyses/{name}` runs one — its body is
//! the analysis' `Request` JSON, the URL parameters select the cohort and
//! the rule settings exactly as `GET /api/analysis` does (`site`,
//! `primary`, `grade`, `sex`, `age_min`, `age_max`, `diagnosed_from`,
//! `diagnosed_to`, `include_excluded`, and every `RuleSettings` field:
//! `gap_days`, `criteria`, `min_cell`, …).
//!
//! The cohort is built from the courses of the patients the user may see
//! (any variable, endpoint and line of the layer is available, not only
//! the index's facts), and the output goes through the small-cell rule of
//! [`crate::privacy::protect`] for whoever the rule applies to (analysts:
//! at least the server's `--min-cell`). The answer is
//! `{"analysis", "revision", "min_cell"?, "suppressed"?, "output"}`; the
//! `output` is the JSON `netra analyse NAME --json` prints and a study
//! file's `[[analysis]]` writes.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use netra_analysis::analyses::{self, DynAnalysis};
use netra_analysis::settings::RuleSettings;
use netra_analysis::{AnalysisError, Cohort};
use serde_json::{Value, json};

use crate::access;
use crate::analysis::Query as AnalysisQuery;
use crate::analysis_pages::view_of;
use crate::app::{ApiUser, Shared};
use crate::error::{ApiResult, AppError};
use crate::privacy;

/// The cohort filters of `GET /api/analysis` (the settings are the
/// `RuleSettings` fields).
const FILTERS: &[&str] = &[
    "site",
    "primary",
    "grade",
    "sex",
    "age_min",
    "age_max",
    "diagnosed_from",
    "diagnosed_to",
    "include_excluded",
];

/// An analysis as `GET /api/analyses` and `netra analyse --list --json`
/// describe it.
pub fn describe(a: &dyn DynAnalysis) -> Value {
    json!({
        "name": a.name(),
        "description": a.description(),
        "default_request": a.default_request(),
        "example_request": a.example_request(),
        "run": format!("/api/analyses/{}", a.name()),
    })
}

/// `GET /api/analyses`.
pub async fn list(ApiUser(_): ApiUser) -> Json<Value> {
    let all: Vec<Value> = analyses::registry().into_iter().map(describe).collect();
    Json(json!({ "analyses": all }))
}

fn bad(e: AnalysisError) -> AppError {
    AppError::BadRequest(e.to_string())
}

/// Refuses URL parameters that select nothing here (an endpoint, a
/// grouping: those belong to the request body).
fn check_params(params: &HashMap<String, String>) -> Result<(), AppError> {
    let settings = serde_json::to_value(RuleSettings::default())
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let known = |k: &str| FILTERS.contains(&k) || settings.get(k).is_some();
    match params.keys().find(|k| !known(k)) {
        None => Ok(()),
        Some(k) => Err(AppError::BadRequest(format!(
            "parameter '{k}' does not apply here: the URL selects the cohort ({}) and the \
             rule settings; the analysis' options go in the request body",
            FILTERS.join(", ")
        ))),
    }
}

/// True when the request names the study arm anywhere (`by`, `terms`,
/// `variables`): arm labels are free text that analysts see only
/// pseudonymised (`/api/analysis?group=arm`).
fn names_arm(v: &Value) -> bool {
    match v {
        Value::String(s) => s == "arm",
        Value::Array(xs) => xs.iter().any(names_arm),
        Value::Object(m) => m.values().any(names_arm),
        _ => false,
    }
}

/// `POST /api/analyses/{name}?<cohort and settings>` with the request as
/// the JSON body.
pub async fn run(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Path(name): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    Json(request): Json<Value>,
) -> ApiResult<Json<Value>> {
    let user = &s.user;
    let analysis =
        analyses::find_or_suggest(&name).map_err(|e| AppError::NotFound(e.to_string()))?;
    analyses::check_request(analysis, &request).map_err(bad)?;
    analysis.parse_request(&request).map_err(bad)?;
    check_params(&params)?;
    let q = AnalysisQuery::from_params(&params)?;
    if let Some(site) = &q.filters.site
        && !user.can_read_site(site)
    {
        return Err(AppError::NotFound(format!("no site '{site}'")).into());
    }
    let view = view_of(&state, user, &q)?;
    if view.pseudonymised && names_arm(&request) {
        return Err(AppError::Forbidden(
            "analysts see study arms pseudonymised: use /api/analysis?group=arm".into(),
        )
        .into());
    }
    let idx = access::index(&state).await?;
    let filter = netra_store::CourseFilter {
        sites: user.visible_sites().map(<[String]>::to_vec),
        patients: None,
    };
    let courses: Vec<_> = state
        .registry
        .courses(&filter)
        .await?
        .into_iter()
        .filter(|c| user.can_read_site(&c.patient.site))
        .collect();
    // The viewer's threshold is the cohort's: analyses that suppress
    // themselves (sequences) use it too.
    let settings = RuleSettings {
        min_cell: view.min_cell,
        ..q.settings.clone()
    };
    let spec = q.filters.cohort_spec();
    let (output, suppressed) = tokio::task::spawn_blocking(move || {
        let cohort = Cohort::new(courses, &spec, settings.resolve().map_err(bad)?).map_err(bad)?;
        let mut out = analysis.run_json(&cohort, request).map_err(bad)?;
        let withheld = privacy::protect(&view, cohort.len(), &mut out);
        Ok::<_, AppError>((out, withheld))
    })
    .await
    .map_err(|e| AppError::Internal(format!("analysis task: {e}")))??;
    let mut v = json!({
        "analysis": analysis.name(),
        "revision": idx.revision,
        "output": output,
    });
    if view.suppresses() {
        v["min_cell"] = json!(view.min_cell);
        if !suppressed.is_empty() {
            v["suppressed"] = json!(suppressed);
        }
    }
    Ok(Json(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_selects_the_cohort_and_settings_only() {
        let p = |k: &str| HashMap::from([(k.to_string(), "1".to_string())]);
        assert!(check_params(&p("grade")).is_ok());
        assert!(check_params(&p("gap_days")).is_ok());
        assert!(check_params(&p("min_cell")).is_ok());
        assert!(check_params(&p("group")).is_err());
        assert!(check_params(&p("endpoint")).is_err());
    }

    #[test]
    fn a_request_naming_the_arm_is_found_anywhere() {
        assert!(names_arm(&json!({"by": "arm"})));
        assert!(names_arm(&json!({"terms": ["sex", "arm"]})));
        assert!(!names_arm(&json!({"by": "sex", "label": "army"})));
    }
}
