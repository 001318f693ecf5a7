//! The patient-level download of an analysis (`/api/analysis/patients.csv`
//! with the page's parameters): one row per cohort patient with the
//! group, the endpoint's time and event — the data behind the curves, so
//! that a statistician can redo the analysis in R.
//!
//! Built from the same analysis-layer cohort as the page (the index's
//! facts under the default rules, else the courses), so the rows are the
//! curves' rows. For the roles that may export patient-level rows
//! ([`crate::access::may_export_patient_rows`]: not analysts); every
//! download is written to the security events first, and without that
//! record nothing is sent.

use netra_analysis::Cohort;

use crate::accounts::User;
use crate::analysis::{Patients, Query, cohort};
use crate::app::AppState;
use crate::error::AppError;
use crate::records::visible;

/// The CSV of a cohort under `q`: `patient,group,time_<units>,event,
/// imputed_dates`; patients without the endpoint (no such line) have empty
/// time and event. Texts through `netra_report::csv::field`.
pub fn to_csv(c: &Cohort, q: &Query) -> Result<String, AppError> {
    let spec = q.spec();
    let data = c
        .endpoint(&spec, None)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let grouping = match q.group.variable() {
        Some(v) => Some(
            c.categories(v)
                .map_err(|e| AppError::BadRequest(e.to_string()))?,
        ),
        None => None,
    };
    let f = netra_report::csv::field;
    let mut s = format!(
        "patient,group,time_{},event,imputed_dates\n",
        spec.units.code()
    );
    for (i, code) in c.frame.patients.iter().enumerate() {
        let group = match &grouping {
            Some(g) => g
                .codes
                .get(i)
                .copied()
                .flatten()
                .and_then(|k| g.levels.get(k).cloned())
                .unwrap_or_default(),
            None => "all".into(),
        };
        let (time, event) = match data.time.get(i).copied().flatten() {
            Some(t) => (
                format!("{t}"),
                if data.event.get(i).copied().unwrap_or(false) {
                    "1"
                } else {
                    "0"
                },
            ),
            None => (String::new(), ""),
        };
        s.push_str(&format!(
            "{},{},{time},{event},{}\n",
            f(code),
            f(&group),
            data.imputed.get(i).copied().unwrap_or(0)
        ));
    }
    Ok(s)
}

/// The patient-level CSV of `q` over the patients `user` sees, audited.
pub async fn patients_csv(
    state: &AppState,
    user: &User,
    client: &str,
    q: &Query,
) -> Result<String, AppError> {
    if !crate::access::may_export_patient_rows(user) {
        return Err(AppError::Forbidden(
            "your role may not download patient-level data (administrators, data managers \
             and investigators may; the tables and figures are yours to download)"
                .into(),
        ));
    }
    if let Some(s) = &q.filters.site
        && !user.can_read_site(s)
    {
        return Err(AppError::NotFound(format!("no site '{s}'")));
    }
    let idx = crate::access::index(state).await?;
    let courses = if q.needs_courses() {
        let filter = netra_store::CourseFilter {
            sites: user.visible_sites().map(<[String]>::to_vec),
            patients: None,
        };
        Some(state.registry.courses(&filter).await?)
    } else {
        None
    };
    let (query, u) = (q.clone(), user.clone());
    let csv = tokio::task::spawn_blocking(move || {
        let c = match courses {
            Some(c) => cohort(
                Patients::Courses(
                    c.into_iter()
                        .filter(|c| u.can_read_site(&c.patient.site))
                        .collect(),
                ),
                &query,
            )?,
            None => {
                let rows: Vec<_> = visible(&idx, &u).collect();
                cohort(Patients::Rows(&rows), &query)?
            }
        };
        to_csv(&c, &query)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))??;
    let rows = csv.lines().count().saturating_sub(1);
    let params: Vec<String> = q
        .to_params()
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    crate::accounts::log_event(
        &state.registry,
        state.clock.now(),
        Some(&user.username),
        "export",
        Some(&format!(
            "analysis patients CSV, {rows} row(s); {}",
            params.join("&")
        )),
        Some(client),
    )
    .await
    .map_err(|e| AppError::Internal(format!("the export could not be audited: {e}")))?;
    Ok(csv)
}
