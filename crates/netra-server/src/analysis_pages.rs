//! The analysis page and its downloads: choose a cohort, an endpoint and a
//! grouping; see the Kaplan–Meier figure, the survival table, the log-rank
//! test and the response rates; download the figure (SVG, PNG) and the
//! tables (CSV).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, PreEscaped, html};
use netra_clinical::registry::vocab::{PrimarySite, Sex, Vocabulary, WhoGrade};

use crate::access;
use crate::accounts::User;
use crate::analysis::{Grouping, MENU, Outcome, Patients, Query as AnalysisQuery, run};
use crate::app::{AppState, PageUser, Shared};
use crate::error::{AppError, PageResult};
use crate::layout::{self, Nav, page};
use crate::pages::url_encode;
use crate::privacy::{self, View};
use crate::records::{sites, visible};
use netra_report::format::p_relation;

/// Runs (or fetches from the cache) the analysis of `q` over the patients
/// `user` may see.
pub async fn outcome(
    state: &AppState,
    user: &User,
    q: &AnalysisQuery,
) -> Result<Arc<Outcome>, AppError> {
    if let Some(s) = &q.filters.site
        && !user.can_read_site(s)
    {
        return Err(AppError::NotFound(format!("no site '{s}'")));
    }
    let view = view_of(state, user, q)?;
    let idx = access::index(state).await?;
    let sites = user.visible_sites().map(<[String]>::to_vec);
    if let Some(o) = state
        .analyses
        .cached(idx.revision, sites.as_deref(), q, view)
    {
        return Ok(o);
    }
    // Other rules or endpoint options than the index's: the cohort is built
    // from the courses of the patients the user may see (read once per
    // analysis; the outcome is cached by revision and parameters).
    let courses = if q.needs_courses() {
        let filter = netra_store::CourseFilter {
            sites: sites.clone(),
            patients: None,
        };
        Some(state.registry.courses(&filter).await?)
    } else {
        None
    };
    let query = q.clone();
    let u = user.clone();
    let idx2 = idx.clone();
    state
        .analyses
        .get_or_run(idx.revision, sites.as_deref(), q, view, move || {
            let patients = match courses {
                Some(c) => Patients::Courses(
                    c.into_iter()
                        .filter(|c| u.can_read_site(&c.patient.site))
                        .collect(),
                ),
                None => {
                    let rows: Vec<_> = visible(&idx2, &u).collect();
                    return run(Patients::Rows(&rows), &query, idx2.revision, view);
                }
            };
            run(patients, &query, idx2.revision, view)
        })
        .await
}

/// What `user` may see of an analysis: analysts at least the server's
/// minimum cell size, coarse age filters; everyone else the query's
/// `min_cell` (0: full detail).
pub fn view_of(state: &AppState, user: &User, q: &AnalysisQuery) -> Result<View, AppError> {
    if user.pseudonymised() {
        privacy::check_age_bands(q.filters.age_min, q.filters.age_max)?;
        Ok(View {
            min_cell: state.config.min_cell.max(q.settings.min_cell),
            pseudonymised: true,
        })
    } else {
        Ok(View {
            min_cell: q.settings.min_cell,
            pseudonymised: false,
        })
    }
}

fn select_vocab<V: Vocabulary + PartialEq>(id: &str, label: &str, selected: Option<V>) -> Markup {
    html! {
        div {
            label for=(id) { (label) }
            select id=(id) name=(id) {
                option value="" { "any" }
                @for v in V::ALL { option value=(v.code()) selected[Some(*v) == selected] { (v.label()) } }
            }
        }
    }
}

/// The form's label of a settings field.
fn setting_label(name: &str) -> String {
    let l = match name {
        "regimen_window_days" => "Regimen window (days)",
        "gap_days" => "Gap starting a new line (days)",
        "progression_new_agent" => "Progression + new agent starts a line",
        "addition_starts_line" => "Added agent starts a line",
        "add_on_agents" => "Add-on agents (codes, comma-separated)",
        "ssa_backbone" => "SSA backbone does not make a line",
        "criteria" => "Response criteria (recist1.1, who, choi, mrecist, custom)",
        "criteria_toml" => "Custom criteria (TOML)",
        "progression" => "Progression from (both, lesions, investigator)",
        "baseline_window_days" => "Baseline window (days)",
        "imputation" => "Partial dates (mid_point, first_day, last_day)",
        "min_cell" => "Minimum cell size (0: none)",
        "censoring" => "Censoring (last_assessment, last_follow_up)",
        "censor_at_new_therapy" => "Censor at a new therapy",
        "efs" => "EFS events",
        "ttnt_death_is_event" => "TTNT: death is an event",
        "ttf_completion_is_failure" => "TTF: completion is a failure",
        other => other,
    };
    l.to_string()
}

fn rate(r: Option<&netra_analysis::analyses::response::Rate>) -> String {
    match r.and_then(|r| r.estimate.map(|e| (e, r))) {
        Some((e, r)) => format!(
            "{:.1} ({}–{})",
            100.0 * e,
            num(r.lower.map(|x| 100.0 * x), 1),
            num(r.upper.map(|x| 100.0 * x), 1)
        ),
        None => "—".into(),
    }
}

/// A group's median with its interval, written as every netra table
/// writes it: a median or limit the curve never reaches is "NR"
/// (`netra_report::format::NOT_REACHED`), a withheld one "—".
fn median_text(g: &crate::analysis::GroupSurvival) -> String {
    use netra_report::format::{MISSING, NOT_REACHED, fixed};
    let withheld = |name: &str| g.suppressed.contains(&name);
    let part = |name: &str, v: Option<f64>| {
        if withheld(name) {
            MISSING.to_string()
        } else {
            v.filter(|x| x.is_finite())
                .map_or_else(|| NOT_REACHED.to_string(), |x| fixed(Some(x), 1))
        }
    };
    if withheld("median") && g.n.is_none() {
        return MISSING.to_string();
    }
    format!(
        "{} ({}\u{2013}{})",
        part("median", g.median),
        part("median_lower", g.median_lower),
        part("median_upper", g.median_upper)
    )
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.map_or("—".into(), |v| format!("{v:.digits$}"))
}

/// The analysis page for parsed parameters.
pub async fn page_handler(
    state: Shared,
    session: Arc<crate::session::Session>,
    params: HashMap<String, String>,
) -> PageResult<Html<String>> {
    let user = &session.user;
    let q = AnalysisQuery::from_params(&params)?;
    let site_list = sites(&state, user).await?;
    let run_it = params.contains_key("endpoint");
    let result = if run_it {
        Some(outcome(&state, user, &q).await?)
    } else {
        None
    };
    let qs: String = q
        .to_params()
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let f = &q.filters;
    let body = html! {
        h1 { "Cohort analysis" }
        @if state.config.federation.is_some() && user.visible_sites().is_none() {
            p { a href="/analysis/federated" { "Federated analysis over every centre's node" } }
        }
        @if user.visible_sites().is_some() {
            p class="muted" { "Your analyses include the patients of your site(s): " (user.sites.join(", ")) "." }
        }
        form class="filters" method="get" action="/analysis" aria-label="Analysis settings" {
            div class="span2" {
                label for="endpoint_from" { "Endpoint" }
                select id="endpoint_from" name="endpoint_from" {
                    @for (e, from) in MENU {
                        @let v = format!("{}|{}", e.code(), from.code());
                        option value=(v) selected[*e == q.endpoint() && *from == q.from()] { (e.label()) " " (from.phrase()) }
                    }
                }
            }
            div class="span2" {
                label for="group" { "Group by" }
                select id="group" name="group" {
                    @for g in Grouping::ALL { option value=(g.code()) selected[g == q.group] { (g.label()) } }
                }
            }
            div {
                label for="site" { "Site" }
                select id="site" name="site" {
                    option value="" { "all of mine" }
                    @for (s, n) in &site_list { option value=(s) selected[Some(s) == f.site.as_ref()] { (s) " — " (n) } }
                }
            }
            (select_vocab::<PrimarySite>("primary", "Primary site", f.primary))
            (select_vocab::<WhoGrade>("grade", "WHO grade", f.grade))
            (select_vocab::<Sex>("sex", "Sex", f.sex))
            div { label for="age_min" { "Age from" } input type="text" inputmode="numeric" id="age_min" name="age_min" value=(f.age_min.map(|x| x.to_string()).unwrap_or_default()); }
            div { label for="age_max" { "Age to" } input type="text" inputmode="numeric" id="age_max" name="age_max" value=(f.age_max.map(|x| x.to_string()).unwrap_or_default()); }
            div { label for="diagnosed_from" { "Diagnosed from (year)" } input type="text" inputmode="numeric" id="diagnosed_from" name="diagnosed_from" value=(f.diagnosed_from.map(|x| x.to_string()).unwrap_or_default()); }
            div { label for="diagnosed_to" { "Diagnosed to (year)" } input type="text" inputmode="numeric" id="diagnosed_to" name="diagnosed_to" value=(f.diagnosed_to.map(|x| x.to_string()).unwrap_or_default()); }
            div { label for="landmark" { "Landmark (months)" } input type="text" inputmode="decimal" id="landmark" name="landmark" value=(q.landmark_months); }
            div {
                label for="ci" { "Confidence bands" }
                select id="ci" name="ci" {
                    option value="" selected[q.ci.is_none()] { "up to " (crate::analysis::CI_BANDS_UP_TO) " groups" }
                    option value="1" selected[q.ci == Some(true)] { "always" }
                    option value="0" selected[q.ci == Some(false)] { "never" }
                }
            }
            div {
                input type="checkbox" id="include_excluded" name="include_excluded" value="1" checked[f.include_excluded]; " " label for="include_excluded" style="display:inline" { "Include excluded patients" }
            }
            details class="span4" open[q.needs_courses() || q.settings.min_cell > 0] {
                summary { "Rules and endpoint options (as a study file's [settings])" }
                div class="filters" {
                    @for (name, value, kind) in crate::analysis::setting_fields(&q) {
                        div {
                            label for=(name) { (setting_label(&name)) }
                            @match kind {
                                crate::analysis::FieldKind::Bool => select id=(name) name=(name) {
                                    option value="true" selected[value == "true"] { "yes" }
                                    option value="false" selected[value == "false"] { "no" }
                                },
                                crate::analysis::FieldKind::LongText => textarea id=(name) name=(name) rows="3" { (value) },
                                crate::analysis::FieldKind::Text => input type="text" id=(name) name=(name) value=(value);,
                            }
                        }
                    }
                }
                p class="muted" { "Other rules than the defaults read the patients' courses (slower on large registries). Names and values as in docs/study-files.md." }
            }
            div { button type="submit" { "Run analysis" } }
        }
        @if let Some(o) = &result {
            (results(o, &qs, access::may_export_patient_rows(user)))
        } @else {
            p class="muted" { "Choose the cohort, the endpoint and the grouping, then run the analysis." }
        }
    };
    Ok(Html(
        page("Analysis", &session, Nav::Analysis, body).into_string(),
    ))
}

/// A count as shown: the number, or `<m` when withheld.
fn count<T: std::fmt::Display>(o: &Outcome, c: Option<T>) -> String {
    match c {
        Some(c) => c.to_string(),
        None => format!("<{}", o.min_cell.unwrap_or(0)),
    }
}

/// A count computed on the page, under the outcome's small-cell rule.
fn shown(o: &Outcome, c: usize) -> Option<usize> {
    match o.min_cell {
        Some(m) if m > 1 && c > 0 && (c as u64) < m => None,
        _ => Some(c),
    }
}

fn results(o: &Outcome, qs: &str, patient_rows: bool) -> Markup {
    if o.analysed.is_none() {
        return html! {
            h2 id="results" { (o.title) }
            p role="status" { "Fewer than " (o.min_cell.unwrap_or(0)) " patients in the cohort: nothing is shown (small-cell rule)." }
        };
    }
    let without_endpoint = match (o.cohort, o.analysed, o.missing_group) {
        (Some(c), Some(a), Some(m)) => c.saturating_sub(a + m),
        _ => 0,
    };
    html! {
        h2 id="results" { (o.title) }
        p {
            (count(o, o.cohort)) " patient(s) in the cohort; " strong { (count(o, o.analysed)) } " analysed"
            @if without_endpoint > 0 { " (" (count(o, shown(o, without_endpoint))) " without this endpoint, e.g. no such line)" }
            @if o.missing_group != Some(0) { "; " (count(o, o.missing_group)) " without a value of the grouping" }
            "."
            @if o.imputed_dates != Some(0) { " " (count(o, o.imputed_dates)) " partial date(s) imputed." }
        }
        @if let Some(m) = o.min_cell {
            p class="muted" { "Counts below " (m) " are shown as <" (m) "; medians, limits and rates where fewer than " (m) " patients remain at risk are not shown, and curves end there (small-cell rule)." }
        }
        @if o.analysed == Some(0) {
            p role="status" { "No patient has this endpoint in the cohort." }
        } @else {
            div class="analysis-grid" {
                div {
                    @if let Some(svg) = &o.svg { (layout::svg(svg, &format!("Kaplan–Meier curves: {}", o.title))) }
                    div class="downloads" {
                        a href={"/api/analysis/km.svg?" (qs)} download { "Figure (SVG)" }
                        a href={"/api/analysis/km.png?" (qs)} download { "Figure (PNG, 300 dpi)" }
                        a href={"/api/analysis/survival.csv?" (qs)} download { "Survival table (CSV)" }
                        a href={"/api/analysis/groups.csv?" (qs)} download { "Groups (CSV)" }
                        @if o.response_table.is_some() { a href={"/api/analysis/response.csv?" (qs)} download { "Response table (CSV)" } }
                        @if patient_rows { a href={"/api/analysis/patients.csv?" (qs)} download { "Patients (CSV, one row each)" } }
                        a href={"/api/analysis?" (qs)} { "JSON" }
                    }
                }
                div {
                    h3 { "Log-rank test" }
                    @match &o.logrank {
                        Some(l) => p { "χ² = " (format!("{:.2}", l.chisq)) " on " (l.df) " df, p " (p_relation(Some(l.p))) }
                        None => p class="muted" { "Needs two or more groups with patients." }
                    }
                    h3 { "Survival by group" }
                    div class="table-wrap" {
                        table {
                            thead { tr { th scope="col" { "Group" } th scope="col" class="num" { "n" } th scope="col" class="num" { "Events" }
                                th scope="col" class="num" { "Median (95% CI), months" } th scope="col" class="num" { (o.landmark_months) "-month survival, %" } } }
                            tbody {
                                @for g in &o.groups {
                                    tr {
                                        th scope="row" { (g.label) }
                                        td class="num" { (count(o, g.n)) }
                                        td class="num" { (count(o, g.events)) }
                                        td class="num" { (median_text(g)) }
                                        td class="num" { (num(g.landmark_survival.map(|s| 100.0 * s), 1)) }
                                    }
                                }
                            }
                        }
                    }
                    @if let Some(c) = &o.cox {
                        (crate::analysis_cox::section(c))
                    }
                }
            }
            @if let Some(c) = o.cuminc() {
                (cuminc_section(c, o.cuminc_svg.as_deref(), qs))
            }
            @if let Some(t) = &o.survival_table {
                @if let Ok(h) = t.to_html() { h3 { "Survival table" } div class="table-wrap" { (PreEscaped(h)) } }
            }
        }
        h3 { "Response on line " (o.response_line) }
        @match &o.response_table {
            Some(t) => @if let Ok(h) = t.to_html() { div class="table-wrap" { (PreEscaped(h)) } },
            None => @if o.min_cell.is_some() && !o.response.is_empty() {
                div class="table-wrap" {
                    table {
                        thead { tr { th scope="col" { "Group" } th scope="col" class="num" { "Evaluable" } th scope="col" class="num" { "ORR, % (95% CI)" } th scope="col" class="num" { "DCR, % (95% CI)" } } }
                        tbody {
                            @for r in &o.response {
                                tr {
                                    th scope="row" { (r.label) }
                                    td class="num" { (count(o, r.evaluable)) }
                                    td class="num" { (rate(r.orr.as_ref())) }
                                    td class="num" { (rate(r.dcr.as_ref())) }
                                }
                            }
                        }
                    }
                }
            } @else {
                p class="muted" { "No best response recorded on line " (o.response_line) " in this cohort." }
            },
        }
    }
}

/// Cumulative incidence of progression (death without progression
/// competing): the figure, Gray's test and the incidence at the landmark.
fn cuminc_section(
    c: &netra_analysis::analyses::cuminc::CumincOutput,
    svg: Option<&str>,
    qs: &str,
) -> Markup {
    html! {
        h3 { "Cumulative incidence (death without progression as a competing risk)" }
        @if let Some(svg) = svg { (layout::svg(svg, &format!("Cumulative incidence: {}", c.title))) }
        div class="downloads" {
            a href={"/api/analysis/cuminc.svg?" (qs)} download { "Figure (SVG)" }
            a href={"/api/analysis/cuminc?" (qs)} { "JSON" }
        }
        @for g in &c.gray {
            p { "Gray's test, " (g.cause) ": "
                @match (g.chisq, g.p) {
                    (Some(x), Some(p)) => { "χ² = " (format!("{x:.2}")) " on " (g.df) " df, p " (p_relation(Some(p))) }
                    _ => { "not computable (singular variance)" }
                }
            }
        }
        div class="table-wrap" {
            table {
                thead { tr { th scope="col" { "Group" } th scope="col" { "Cause" } th scope="col" class="num" { "Events" }
                    @for t in c.curves.first().map(|x| x.at_times.as_slice()).unwrap_or_default() { th scope="col" class="num" { (t.time) "-month incidence, % (95% CI)" } } } }
                tbody {
                    @for cv in &c.curves {
                        tr {
                            th scope="row" { (cv.group) }
                            td { (cv.cause) }
                            td class="num" { (cv.events) }
                            @for p in &cv.at_times {
                                td class="num" { (num(p.estimate.map(|x| 100.0 * x), 1)) " (" (num(p.lower.map(|x| 100.0 * x), 1)) "–" (num(p.upper.map(|x| 100.0 * x), 1)) ")" }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /analysis`.
pub async fn show(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Query(mut params): Query<HashMap<String, String>>,
) -> PageResult<Html<String>> {
    // The form sends endpoint and time zero as one select.
    if let Some(v) = params.remove("endpoint_from")
        && let Some((e, f)) = v.split_once('|')
    {
        params.insert("endpoint".into(), e.into());
        params.insert("from".into(), f.into());
    }
    page_handler(state, session, params).await
}

/// `GET /api/analysis/{file}`: `km.svg`, `km.png`, `survival.csv`,
/// `response.csv`, `groups.csv`; for TTP and PFS, `cuminc` (the analysis
/// layer's cumulative-incidence JSON) and `cuminc.svg`.
pub async fn download(
    State(state): State<Shared>,
    crate::app::ApiUser(session): crate::app::ApiUser,
    crate::app::Client(client): crate::app::Client,
    Path(file): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, crate::error::ApiError> {
    let q = AnalysisQuery::from_params(&params)?;
    let o = outcome(&state, &session.user, &q).await?;
    let stem = format!("{}-{}", o.endpoint, o.from.replace(':', ""));
    let attach = |name: &str| format!("attachment; filename=\"{stem}-{name}\"");
    let withheld = o.min_cell.is_some();
    let none = || {
        AppError::NotFound(if withheld {
            "not given under the small-cell rule (see the groups CSV and the JSON)".into()
        } else {
            "no patient has this endpoint in the cohort".into()
        })
    };
    let resp = match file.as_str() {
        "km.svg" => {
            let svg = o.svg.clone().ok_or_else(none)?;
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml".to_string()),
                    (header::CONTENT_DISPOSITION, attach("km.svg")),
                ],
                svg,
            )
                .into_response()
        }
        "km.png" => {
            let svg = o.svg.clone().ok_or_else(none)?;
            let png =
                tokio::task::spawn_blocking(move || netra_report::png::svg_to_png(&svg, 300.0))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))??;
            (
                [
                    (header::CONTENT_TYPE, "image/png".to_string()),
                    (header::CONTENT_DISPOSITION, attach("km.png")),
                ],
                png,
            )
                .into_response()
        }
        "survival.csv" | "response.csv" => {
            let t = if file == "survival.csv" {
                o.survival_table.as_ref()
            } else {
                o.response_table.as_ref()
            }
            .ok_or_else(none)?;
            csv_response(t.to_csv()?, attach(&file))
        }
        "groups.csv" => csv_response(groups_csv(&o), attach("groups.csv")),
        // One row per patient: for the roles that may export patient rows,
        // audited (crate::analysis_export).
        "patients.csv" => csv_response(
            crate::analysis_export::patients_csv(&state, &session.user, &client, &q).await?,
            attach("patients.csv"),
        ),
        // The analysis layer's cumulative-incidence output (TTP, PFS).
        "cuminc" => {
            let c = o.cuminc().ok_or_else(|| {
                AppError::NotFound(
                    "cumulative incidence needs a ttp or pfs endpoint with patients".into(),
                )
            })?;
            axum::Json(c).into_response()
        }
        "cuminc.svg" => {
            let svg = o.cuminc_svg.clone().ok_or_else(none)?;
            (
                [
                    (header::CONTENT_TYPE, "image/svg+xml".to_string()),
                    (header::CONTENT_DISPOSITION, attach("cuminc.svg")),
                ],
                svg,
            )
                .into_response()
        }
        other => {
            return Err(AppError::NotFound(format!(
                "no download '{other}' (km.svg, km.png, survival.csv, response.csv, groups.csv, patients.csv, cuminc, cuminc.svg)"
            ))
            .into());
        }
    };
    Ok(resp)
}

fn csv_response(body: String, disposition: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// The per-group numbers as CSV (full precision, empty when absent, `<m`
/// when withheld by the small-cell rule).
pub fn groups_csv(o: &Outcome) -> String {
    let f = |x: Option<f64>| x.map(|v| format!("{v}")).unwrap_or_default();
    let c = |x: Option<String>| x.unwrap_or_else(|| format!("<{}", o.min_cell.unwrap_or(0)));
    let mut s = String::from(
        "group,n,events,median,median_lower,median_upper,landmark_months,landmark_survival,landmark_lower,landmark_upper,logrank_chisq,logrank_df,logrank_p\n",
    );
    for g in &o.groups {
        s.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            netra_report::csv::field(&g.label),
            c(g.n.map(|n| n.to_string())),
            c(g.events.map(|e| e.to_string())),
            f(g.median),
            f(g.median_lower),
            f(g.median_upper),
            o.landmark_months,
            f(g.landmark_survival),
            f(g.landmark_lower),
            f(g.landmark_upper),
            f(o.logrank.as_ref().map(|l| l.chisq)),
            o.logrank
                .as_ref()
                .map(|l| l.df.to_string())
                .unwrap_or_default(),
            f(o.logrank.as_ref().map(|l| l.p)),
        ));
    }
    s
}
