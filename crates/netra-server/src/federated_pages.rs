//! The federated analysis page (`/analysis/federated`, issue 17): the
//! local analysis page's cohort, endpoint and grouping, run at the hub over
//! every centre's node; the page shows each node's progress while the run
//! goes on, names a node that is down, and shows the pooled result.
//!
//! * `GET /analysis/federated` — the form (only when `netra serve` was
//!   given a hub, [`crate::federated::HubLink`]).
//! * `POST /analysis/federated` — submits the run (CSRF-checked like every
//!   form) and redirects to its page.
//! * `GET /analysis/federated/runs/{id}` — progress (the page reloads itself
//!   every two seconds while the run goes on) or the result: the
//!   Kaplan–Meier figure and table with the log-rank test, the hazard
//!   ratios, or the cumulative-incidence figure with Gray's test, and the
//!   analysis layer's whole output as a table.
//! * `GET /api/federated/runs/{id}` — the hub's [`netra_hub::RunStatus`]
//!   (progress per node; the output once done); `POST /api/federated`
//!   (the page's parameters as JSON) submits and answers `{"id": …}`.
//!
//! A node that is down is named with when the hub last saw it. The run
//! waits for it (until the hub's round timeout, then fails naming it)
//! unless the user asked to go on without nodes that are down; the page
//! offers to submit the same run again that way, and does not do it by
//! itself.
//!
//! Federated runs are for administrators and analysts (users not bound to
//! sites): the pooled result is about other centres' patients too. Each
//! submission is written to the server's log of security events.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, PreEscaped, html};
use netra_analysis::analyses::cox::CoxOutput;
use netra_analysis::analyses::cuminc::CumincOutput;
use netra_analysis::analyses::survival::SurvivalOutput;
use netra_clinical::registry::vocab::{PrimarySite, Sex, Vocabulary, WhoGrade};
use netra_hub::{NodeState, RunState, RunStatus};
use netra_report::Figure;
use netra_report::figure::km::{AtRisk, KmFigure, KmSeries};
use netra_report::format::{p_relation, with_ci};
use serde_json::{Value, json};

use crate::accounts::User;
use crate::analysis::{Grouping, MENU};
use crate::app::{ApiUser, AppState, PageUser, Shared};
use crate::error::{ApiError, AppError, PageResult};
use crate::federated::{ANALYSES, FederatedQuery, HubLink, label};
use crate::layout::{self, Nav, page};
use crate::pages::url_encode;

/// The hub link, or why there is none.
fn link(state: &AppState) -> Result<&HubLink, AppError> {
    state.config.federation.as_deref().ok_or_else(|| {
        AppError::NotFound(
            "this server is not connected to a federation hub (netra serve --federation FILE)"
                .into(),
        )
    })
}

/// Only users who see every site run federated analyses.
fn allowed(user: &User) -> Result<(), AppError> {
    if user.visible_sites().is_some() {
        return Err(AppError::Forbidden(
            "federated analyses are for administrators and analysts".into(),
        ));
    }
    Ok(())
}

fn query_string(q: &FederatedQuery) -> String {
    q.to_params()
        .iter()
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `GET /analysis/federated`.
pub async fn form(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult<Html<String>> {
    let hub = link(&state)?;
    allowed(&session.user)?;
    let mut q = FederatedQuery::from_params(&params)?;
    if !params.contains_key("allow_missing") {
        q.allow_missing = hub.allow_missing;
    }
    let body = html! {
        h1 { "Federated analysis" }
        p { "Runs at the hub " code { (hub.hub) } " over the nodes of study " strong { (hub.study) } ": every centre computes on its own patients, the hub adds their masked sums, and the result equals the analysis of the pooled records. No record leaves a centre." }
        (form_markup(&session, &q))
        p class="muted" { a href="/analysis" { "Analysis of this registry" } }
    };
    Ok(Html(
        page("Federated analysis", &session, Nav::Analysis, body).into_string(),
    ))
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

fn form_markup(session: &crate::session::Session, fq: &FederatedQuery) -> Markup {
    let q = &fq.query;
    let f = &q.filters;
    html! {
        form class="filters" method="post" action="/analysis/federated" aria-label="Federated analysis settings" {
            (layout::csrf_field(session))
            div class="span2" {
                label for="analysis" { "Analysis" }
                select id="analysis" name="analysis" {
                    @for (code, _, l) in ANALYSES { option value=(code) selected[fq.analysis == code] { (l) } }
                }
            }
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
                    @for g in Grouping::ALL {
                        @if g != Grouping::Age60 { option value=(g.code()) selected[g == q.group] { (g.label()) } }
                    }
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
                input type="checkbox" id="include_excluded" name="include_excluded" value="1" checked[f.include_excluded]; " " label for="include_excluded" style="display:inline" { "Include excluded patients" }
            }
            div class="span2" {
                input type="checkbox" id="allow_missing" name="allow_missing" value="1" checked[fq.allow_missing]; " " label for="allow_missing" style="display:inline" { "Go on without nodes that are down (else the run waits for every node)" }
            }
            div { button type="submit" { "Run at the hub" } }
        }
    }
}

async fn submit_query(
    state: &AppState,
    user: &User,
    params: &HashMap<String, String>,
) -> Result<(String, FederatedQuery), AppError> {
    let hub = link(state)?;
    allowed(user)?;
    let q = FederatedQuery::from_params(params)?;
    let spec = q.run_spec(&hub.study)?;
    let id = hub.submit(&spec).await?;
    // Who asked the hub for what, in the server's own trail.
    let detail = format!(
        "federated {} run {id} at {} (study {})",
        spec.analysis, hub.hub, hub.study
    );
    let _ = crate::accounts::log_event(
        &state.registry,
        state.clock.now(),
        Some(&user.username),
        "federated_run",
        Some(&detail),
        None,
    )
    .await;
    Ok((id, q))
}

/// `POST /analysis/federated`.
pub async fn submit(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Form(params): Form<HashMap<String, String>>,
) -> PageResult<Response> {
    let (id, q) = submit_query(&state, &session.user, &params).await?;
    Ok(Redirect::to(&format!(
        "/analysis/federated/runs/{id}?{}",
        query_string(&q)
    ))
    .into_response())
}

/// `POST /api/federated`: the page's parameters as a JSON object of
/// strings; answers `{"id": …}`.
pub async fn api_submit(
    State(state): State<Shared>,
    ApiUser(session): ApiUser,
    Json(params): Json<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let (id, _) = submit_query(&state, &session.user, &params).await?;
    Ok(Json(json!({ "id": id })))
}

/// `GET /api/federated/runs/{id}`.
pub async fn api_status(
    State(state): State<Shared>,
    ApiUser(session): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<RunStatus>, ApiError> {
    allowed(&session.user)?;
    Ok(Json(link(&state)?.status(&id).await?))
}

/// `GET /analysis/federated/runs/{id}`.
pub async fn run_page(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> PageResult<Html<String>> {
    let hub = link(&state)?;
    allowed(&session.user)?;
    let status = hub.status(&id).await?;
    // The page's own parameters come back in its URL (for the title and
    // the run-again form); a bare URL still shows the run.
    let q = FederatedQuery::from_params(&params).ok();
    let running = status.state == RunState::Running;
    let body = html! {
        @if running {
            // Reloads while the run goes on (no script needed).
            meta http-equiv="refresh" content="2";
        }
        h1 { "Federated analysis: " (q.as_ref().map_or("run", |q| label(&q.analysis))) }
        p class="muted" { "Run " code { (status.id) } " of study " strong { (status.study) } " at " code { (hub.hub) } "; round " (status.round + 1) "." }
        (progress(&status))
        @match status.state {
            RunState::Running => p role="status" { "Running… this page reloads every two seconds." },
            RunState::Failed => div role="alert" {
                h2 { "The run stopped" }
                p { (status.error.as_deref().unwrap_or("no reason given")) }
            },
            RunState::Done => (result(&status)),
        }
        @if let Some(q) = &q {
            @if status.state != RunState::Done {
                @let down = down_nodes(&status);
                @if !down.is_empty() && !q.allow_missing {
                    form method="post" action="/analysis/federated" {
                        (layout::csrf_field(&session))
                        @for (k, v) in q.to_params() { input type="hidden" name=(k) value=(v); }
                        input type="hidden" name="allow_missing" value="1";
                        p { "Waiting for " (down.join(", ")) ". " button type="submit" { "Run again without the nodes that are down" } }
                    }
                }
            }
            p { a href={"/analysis/federated?" (query_string(q))} { "Change the analysis" } }
        }
    };
    Ok(Html(
        page("Federated analysis", &session, Nav::Analysis, body).into_string(),
    ))
}

/// The nodes the hub shows as down (and not yet left behind).
pub fn down_nodes(s: &RunStatus) -> Vec<String> {
    s.nodes
        .iter()
        .filter(|n| n.state == NodeState::Down)
        .map(|n| n.node.clone())
        .collect()
}

fn state_text(s: NodeState) -> &'static str {
    match s {
        NodeState::Idle => "idle",
        NodeState::Queued => "job waiting at the hub",
        NodeState::Working => "computing",
        NodeState::AwaitingApproval => "awaiting approval at the centre",
        NodeState::Answered => "answered",
        NodeState::Refused => "refused",
        NodeState::Down => "DOWN",
        NodeState::Left => "left out of the run",
    }
}

fn progress(s: &RunStatus) -> Markup {
    html! {
        h2 { "Nodes" }
        div class="table-wrap" {
            table id="nodes" {
                thead { tr { th scope="col" { "Node" } th scope="col" { "State" } th scope="col" class="num" { "Rounds answered" } th scope="col" { "Detail" } } }
                tbody {
                    @for n in &s.nodes {
                        tr data-node=(n.node) data-state=(format!("{:?}", n.state)) {
                            th scope="row" { (n.node) }
                            td { @if n.state == NodeState::Down { strong { (state_text(n.state)) } } @else { (state_text(n.state)) } }
                            td class="num" { (n.rounds_answered) }
                            td { (n.detail.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
        @for n in s.nodes.iter().filter(|n| n.state == NodeState::Down) {
            p role="alert" { "Node " strong { (n.node) } " is down (" (n.detail.as_deref().unwrap_or("not polling the hub")) "). "
                @if s.state == RunState::Running { "The run waits for it until the hub's round timeout, unless it was submitted to go on without nodes that are down." } }
        }
        @if !s.missing.is_empty() {
            p role="status" { "The run went on without: " (s.missing.join(", ")) "." }
        }
        p class="muted" { (s.bytes_sent) " bytes sent to the nodes, " (s.bytes_received) " received." }
    }
}

fn num(x: Option<f64>, digits: usize) -> String {
    x.filter(|v| v.is_finite())
        .map_or("—".into(), |v| format!("{v:.digits$}"))
}

fn median(m: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    let part = |v: Option<f64>| {
        v.filter(|x| x.is_finite())
            .map_or_else(|| "NR".to_string(), |x| format!("{x:.1}"))
    };
    format!("{} ({}\u{2013}{})", part(m), part(lo), part(hi))
}

/// The pooled output: what was pooled, the figure and the headline table,
/// then the layer's whole output.
fn result(s: &RunStatus) -> Markup {
    let Some(out) = &s.output else {
        return html! { p { "The hub sent no output." } };
    };
    let fed = &out["federation"];
    let nodes: Vec<&str> = fed["nodes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let notes: Vec<&str> = fed["coarsened"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut whole = out.clone();
    strip_steps(&mut whole);
    let table = netra_report::table::generic::table("The whole output", &whole);
    html! {
        h2 id="results" { (out["title"].as_str().unwrap_or("Result")) }
        p { "Pooled over " (nodes.len()) " node(s): " (nodes.join(", ")) "."
            @if let Some(c) = out["cohort"].as_u64() { " " (c) " patient(s) in the cohort." } }
        @for n in &notes { p class="muted" { (n) } }
        @match s.analysis.as_str() {
            "survival" => (survival(out)),
            "cox" => (cox(out)),
            "cuminc" => (cuminc(out)),
            _ => {},
        }
        details {
            summary { "The whole output" }
            @if let Ok(h) = table.to_html() { div class="table-wrap" { (PreEscaped(h)) } }
        }
    }
}

fn strip_steps(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("steps");
            m.values_mut().for_each(strip_steps);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_steps),
        _ => {}
    }
}

fn survival(out: &Value) -> Markup {
    let Ok(s) = serde_json::from_value::<SurvivalOutput>(out.clone()) else {
        return html! { p class="muted" { "The output is not a survival analysis's." } };
    };
    let series: Vec<KmSeries> = s
        .summary
        .groups
        .iter()
        .filter_map(|g| {
            let steps = g.steps.as_ref()?;
            Some(KmSeries {
                label: format!("{} (n = {})", g.label, g.n),
                time: steps.iter().map(|x| x.time).collect(),
                estimate: steps.iter().map(|x| x.survival).collect(),
                lower: steps.iter().map(|x| x.lower.unwrap_or(f64::NAN)).collect(),
                upper: steps.iter().map(|x| x.upper.unwrap_or(f64::NAN)).collect(),
                censor_times: steps
                    .iter()
                    .filter(|x| x.n_censor > 0.0)
                    .map(|x| x.time)
                    .collect(),
                end_time: steps.last().map_or(0.0, |x| x.time),
                median: g.median,
                at_risk: AtRisk::Steps {
                    time: steps.iter().map(|x| x.time).collect(),
                    n_risk: steps.iter().map(|x| x.n_risk).collect(),
                },
            })
        })
        .collect();
    let mut fig = KmFigure::survival(series, format!("Time ({})", s.units));
    fig.show_ci = fig.series.len() <= crate::analysis::CI_BANDS_UP_TO;
    fig.p_value_text = s
        .summary
        .logrank
        .as_ref()
        .map(|l| format!("Log-rank p {}", p_relation(Some(l.p))));
    let svg = fig.to_svg().ok();
    html! {
        @if let Some(svg) = &svg { (layout::svg(svg, &format!("Kaplan–Meier curves: {}", s.title))) }
        h3 { "Log-rank test" }
        @match &s.summary.logrank {
            Some(l) => p id="logrank" { "χ² = " (format!("{:.2}", l.chisq)) " on " (l.df) " df, p " (p_relation(Some(l.p))) },
            None => p class="muted" { "Needs two or more groups with patients." },
        }
        div class="table-wrap" {
            table id="groups" {
                thead { tr { th scope="col" { "Group" } th scope="col" class="num" { "n" } th scope="col" class="num" { "Events" }
                    th scope="col" class="num" { "Median (95% CI), " (s.units) }
                    @for t in s.overall.at_times.iter() { th scope="col" class="num" { (t.time) "-" (s.units) " survival, %" } } } }
                tbody {
                    @for g in &s.summary.groups {
                        tr {
                            th scope="row" { (g.label) }
                            td class="num" { (g.n) }
                            td class="num" { (g.events) }
                            td class="num" { (median(g.median, g.median_lower, g.median_upper)) }
                            @for t in &g.at_times { td class="num" { (num(t.survival.map(|x| 100.0 * x), 1)) } }
                        }
                    }
                }
            }
        }
    }
}

fn cox(out: &Value) -> Markup {
    let Ok(c) = serde_json::from_value::<CoxOutput>(out.clone()) else {
        return html! { p class="muted" { "The output is not a Cox model's." } };
    };
    html! {
        p { (c.n) " patients, " (c.events) " events in the model (" (c.ties) " ties)." }
        div class="table-wrap" {
            table id="hazard-ratios" {
                thead { tr { th scope="col" { "Term" } th scope="col" class="num" { "HR (95% CI)" } th scope="col" class="num" { "p" } } }
                tbody {
                    @for t in &c.terms {
                        @if let Some(r) = &t.reference { tr { th scope="row" { (t.label) ": " (r) } td class="num" { "1 (reference)" } td {} } }
                    }
                    @for k in &c.coefficients {
                        tr {
                            th scope="row" { (k.term) @if let Some(l) = &k.level { ": " (l) } }
                            td class="num" { (k.hr.map_or_else(|| "—".to_string(), |hr| with_ci(Some(hr), k.lower, k.upper, 2, "—"))) }
                            td class="num" { (k.p.map_or_else(String::new, |p| p_relation(Some(p)))) }
                        }
                    }
                }
            }
        }
        @if let Some(lr) = &c.lr_test { p { "Likelihood-ratio test: χ² = " (format!("{:.2}", lr.chisq)) " on " (lr.df) " df, p " (p_relation(Some(lr.p))) } }
    }
}

fn cuminc(out: &Value) -> Markup {
    let Ok(c) = serde_json::from_value::<CumincOutput>(out.clone()) else {
        return html! { p class="muted" { "The output is not a cumulative incidence's." } };
    };
    let series: Vec<KmSeries> = c
        .curves
        .iter()
        .filter(|cv| cv.cause_code == 1)
        .map(|cv| KmSeries::from_cuminc_out(format!("{} (n = {})", cv.group, cv.n), cv))
        .collect();
    let mut fig = KmFigure::incidence(series, format!("Time ({})", c.units));
    fig.y_label = "Cumulative incidence of progression".into();
    let svg = fig.to_svg().ok();
    html! {
        @if let Some(svg) = &svg { (layout::svg(svg, &format!("Cumulative incidence: {}", c.title))) }
        @for g in &c.gray {
            p { "Gray's test, " (g.cause) ": "
                @match (g.chisq, g.p) {
                    (Some(x), Some(p)) => { "χ² = " (format!("{x:.2}")) " on " (g.df) " df, p " (p_relation(Some(p))) }
                    _ => { "not computable" }
                }
            }
        }
        div class="table-wrap" {
            table id="incidence" {
                thead { tr { th scope="col" { "Group" } th scope="col" { "Cause" } th scope="col" class="num" { "Events" }
                    @for t in c.curves.first().map(|x| x.at_times.as_slice()).unwrap_or_default() { th scope="col" class="num" { (t.time) "-" (c.units) " incidence, % (95% CI)" } } } }
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
