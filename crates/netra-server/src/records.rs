//! Registry pages: the patient list (search, filters, pages), the patient
//! page (timeline, biomarker plots, every record with edit and history
//! links), forms generated from the schema for every entity, deletion and
//! audit history. The JSON API ([`crate::api`]) calls the same functions.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};
use netra_clinical::registry::schema::{ColumnSpec, Kind};
use netra_clinical::registry::vocab::{PrimarySite, VitalStatus, Vocabulary, WhoGrade};
use netra_clinical::registry::{Entity, Value};
use serde::{Deserialize, Serialize};

use crate::access::{self, Mode, entity_label, entity_of};
use crate::accounts::User;
use crate::app::{AppState, PageUser, Shared};
use crate::cohort::{Index, PatientRow};
use crate::error::{AppError, FieldProblem, PageResult};
use crate::labels::capitalise;
use crate::layout::{self, Nav, csrf_field, notice, page};
use crate::pages::url_encode;
use crate::privacy::View;
use crate::pseudo;
use crate::session::Session;
use crate::timeline;

/// Rows per page of the patient list.
pub const PER_PAGE: usize = 50;

/// Filters of the patient list (URL parameters).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// Text searched in patient codes (pseudonyms for analysts).
    #[serde(default)]
    pub q: String,
    /// Site code.
    #[serde(default)]
    pub site: String,
    /// Primary-site code.
    #[serde(default)]
    pub primary: String,
    /// WHO grade code.
    #[serde(default)]
    pub grade: String,
    /// Vital-status code.
    #[serde(default)]
    pub vital: String,
    /// Column the rows are sorted by ([`crate::patient_list::SortKey`]
    /// codes; empty: by patient, in natural code order).
    #[serde(default)]
    pub sort: String,
    /// `asc` (default) or `desc`.
    #[serde(default)]
    pub dir: String,
    /// Page, from 1.
    #[serde(default)]
    pub page: Option<usize>,
    /// Saved-record notice after a redirect.
    #[serde(default)]
    pub saved: Option<String>,
}

/// One patient in the list.
#[derive(Debug, Clone, Serialize)]
pub struct ListItem {
    /// Code (pseudonym for analysts): the id of `/patients/{id}`.
    pub id: String,
    /// Site.
    pub site: String,
    /// Sex.
    pub sex: &'static str,
    /// Age at diagnosis (a 5-year band for analysts).
    pub age: Option<String>,
    /// Primary site code.
    pub primary_site: Option<&'static str>,
    /// WHO 2019 grade code.
    pub grade: Option<&'static str>,
    /// Vital status code.
    pub vital_status: &'static str,
    /// First diagnosis (to the month for analysts).
    pub diagnosis_date: Option<String>,
    /// Last follow-up or death (to the month for analysts).
    pub last_date: Option<String>,
    /// Treatments recorded.
    pub treatments: usize,
    /// Assessments recorded.
    pub assessments: usize,
}

/// A page of the patient list.
#[derive(Debug, Clone, Serialize)]
pub struct ListPage {
    /// Patients matching the filters (`null` for an analyst when fewer
    /// than the minimum cell size match: then no row is listed either).
    pub total: Option<usize>,
    /// The minimum cell size applied to `total` (analysts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_cell: Option<u64>,
    /// This page (from 1).
    pub page: usize,
    /// Number of pages.
    pub pages: usize,
    /// Rows per page.
    pub per_page: usize,
    /// The rows.
    pub patients: Vec<ListItem>,
}

fn opt_code<V: Vocabulary>(field: &str, text: &str) -> Result<Option<V>, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    V::from_code(t)
        .map(Some)
        .map_err(|e| AppError::BadRequest(format!("{field}: {e}")))
}

fn item(r: &PatientRow, user: &User) -> ListItem {
    let pseudonymised = user.pseudonymised();
    let date = |d: Option<netra_clinical::registry::PartialDate>| {
        d.map(|d| {
            if pseudonymised {
                pseudo::to_month(d).to_string()
            } else {
                d.to_string()
            }
        })
    };
    ListItem {
        id: if pseudonymised {
            r.pseudonym.clone()
        } else {
            r.code.clone()
        },
        site: r.site.clone(),
        sex: r.sex.code(),
        age: r.age.map(|a| {
            if pseudonymised {
                pseudo::age_band(a)
            } else {
                a.to_string()
            }
        }),
        primary_site: r.primary_site.map(|p| p.code()),
        grade: r.grade.map(|g| g.code()),
        vital_status: r.vital_status.code(),
        diagnosis_date: date(r.diagnosis_date),
        last_date: date(r.last_date),
        treatments: r.treatments,
        assessments: r.assessments,
    }
}

/// The rows of the index a user may see.
pub fn visible<'a>(idx: &'a Index, user: &'a User) -> impl Iterator<Item = &'a PatientRow> + 'a {
    idx.rows
        .iter()
        .map(|r| r.as_ref())
        .filter(move |r| user.can_read_site(&r.site))
}

/// The patients of the list's filters that `user` may see, in the list's
/// order ([`crate::patient_list`]); for analysts in pseudonym order by
/// default (in code order, row k of an analyst's list would be row k of an
/// administrator's, linking pseudonyms back to codes).
fn matching<'a>(
    idx: &'a Index,
    user: &User,
    q: &ListQuery,
) -> Result<Vec<&'a PatientRow>, AppError> {
    let primary: Option<PrimarySite> = opt_code("primary", &q.primary)?;
    let grade: Option<WhoGrade> = opt_code("grade", &q.grade)?;
    let vital: Option<VitalStatus> = opt_code("vital", &q.vital)?;
    let key = crate::patient_list::SortKey::parse(&q.sort)?;
    let desc = crate::patient_list::descending(&q.dir)?;
    let needle = q.q.trim().to_lowercase();
    let site = q.site.trim();
    let pseudonymised = user.pseudonymised();
    let matches = |r: &PatientRow| {
        (site.is_empty() || r.site == site)
            && primary.is_none_or(|p| r.primary_site == Some(p))
            && grade.is_none_or(|g| r.grade == Some(g))
            && vital.is_none_or(|v| r.vital_status == v)
            && (needle.is_empty()
                || if pseudonymised {
                    r.pseudonym.contains(&needle)
                } else {
                    r.code_lower.contains(&needle)
                })
    };
    Ok(crate::patient_list::ordered(idx, user, key, desc, matches))
}

/// Every row of the list's filters (all pages), for the CSV export (whose
/// handler checks that the user may export patient rows).
pub fn list_all(idx: &Index, user: &User, q: &ListQuery) -> Result<Vec<ListItem>, AppError> {
    Ok(matching(idx, user, q)?
        .into_iter()
        .map(|r| item(r, user))
        .collect())
}

/// The patient list: search, filters, order and one page; by default in
/// natural code order (`2` before `10`), for analysts in pseudonym order
/// and under the small-cell rule with threshold `min_cell`: when fewer
/// than `min_cell` patients match (but some do), neither their number nor
/// their rows are shown, or a filter combination (site, grade, vital
/// status, …) would single patients out and count them. A search for one
/// whole pseudonym is a look-up, not a count (the patient page answers it
/// anyway): it is shown.
pub fn list(idx: &Index, user: &User, q: &ListQuery, min_cell: u64) -> Result<ListPage, AppError> {
    let pseudonymised = user.pseudonymised();
    let needle = q.q.trim().to_lowercase();
    let page = q.page.unwrap_or(1).max(1);
    // Saturating: a page number near usize::MAX is an empty page, not an
    // overflow.
    let skip = (page - 1).saturating_mul(PER_PAGE);
    let rows = matching(idx, user, q)?;
    let total = rows.len();
    let patients: Vec<ListItem> = rows
        .into_iter()
        .skip(skip)
        .take(PER_PAGE)
        .map(|r| item(r, user))
        .collect();
    let rule = View {
        min_cell,
        pseudonymised,
    };
    let look_up = needle.len() == pseudo::PREFIX.len() + 12 && needle.starts_with(pseudo::PREFIX);
    if pseudonymised && rule.too_few(total as f64) && !look_up {
        return Ok(ListPage {
            total: None,
            min_cell: Some(min_cell),
            page,
            pages: 1,
            per_page: PER_PAGE,
            patients: Vec::new(),
        });
    }
    Ok(ListPage {
        total: Some(total),
        min_cell: (pseudonymised && rule.suppresses()).then_some(min_cell),
        page,
        pages: total.div_ceil(PER_PAGE).max(1),
        per_page: PER_PAGE,
        patients,
    })
}

fn vocab_options<V: Vocabulary + PartialEq>(selected: &str) -> Markup {
    html! {
        option value="" { "any" }
        @for v in V::ALL {
            option value=(v.code()) selected[v.code() == selected] { (v.label()) }
        }
    }
}

fn label_of<V: Vocabulary>(code: Option<&str>) -> String {
    code.and_then(|c| V::from_code(c).ok())
        .map(|v| v.label().to_string())
        .unwrap_or_default()
}

/// The sites a user may see, as (code, name).
pub async fn sites(state: &AppState, user: &User) -> Result<Vec<(String, String)>, AppError> {
    Ok(state
        .registry
        .sites()
        .await?
        .into_iter()
        .map(|s| (s.site, s.name))
        .filter(|(s, _)| user.can_read_site(s))
        .collect())
}

/// `GET /patients`.
pub async fn patient_list(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Query(q): Query<ListQuery>,
) -> PageResult<Html<String>> {
    let user = &session.user;
    let idx = access::index(&state).await?;
    let result = list(&idx, user, &q, state.config.min_cell)?;
    let site_list = sites(&state, user).await?;
    let filters = |s: &mut String, with_order: bool| {
        let order = [("sort", &q.sort), ("dir", &q.dir)];
        let order = if with_order { &order[..] } else { &[] };
        for (k, v) in [
            ("q", &q.q),
            ("site", &q.site),
            ("primary", &q.primary),
            ("grade", &q.grade),
            ("vital", &q.vital),
        ]
        .iter()
        .chain(order)
        {
            if !v.is_empty() {
                s.push_str(&format!("&{k}={}", url_encode(v)));
            }
        }
    };
    let link = |p: usize| {
        let mut s = format!("/patients?page={p}");
        filters(&mut s, true);
        s
    };
    let sort = crate::patient_list::SortKey::parse(&q.sort)?;
    let desc = crate::patient_list::descending(&q.dir)?;
    // A header link sorts by its column; on the current column it turns the
    // direction round. The filters are kept, the page starts again at 1.
    let sort_link = |k: crate::patient_list::SortKey| {
        let dir = if k == sort && !desc { "desc" } else { "asc" };
        let mut s = format!("/patients?sort={}&dir={dir}", k.code());
        filters(&mut s, false);
        s
    };
    let export_link = {
        let mut s = String::from("/patients.csv?");
        filters(&mut s, true);
        s.replacen("?&", "?", 1)
    };
    let may_export = access::may_export_patient_rows(user);
    let body = html! {
        h1 { "Patients" }
        @if let Some(s) = &q.saved { (notice(&format!("{s} saved."))) }
        @if user.pseudonymised() {
            p class="muted" { "Pseudonymised view: patients are shown by pseudonym, ages in 5-year bands, dates to the month." }
        }
        form class="filters" method="get" action="/patients" role="search" aria-label="Search and filter patients" {
            div {
                label for="q" { (if user.pseudonymised() { "Pseudonym contains" } else { "Patient code contains" }) }
                input type="search" id="q" name="q" value=(q.q);
            }
            div {
                label for="site" { "Site" }
                select id="site" name="site" {
                    option value="" { "any" }
                    @for (code, name) in &site_list {
                        option value=(code) selected[*code == q.site] { (code) " — " (name) }
                    }
                }
            }
            div { label for="primary" { "Primary site" } select id="primary" name="primary" { (vocab_options::<PrimarySite>(&q.primary)) } }
            div { label for="grade" { "WHO grade" } select id="grade" name="grade" { (vocab_options::<WhoGrade>(&q.grade)) } }
            div { label for="vital" { "Vital status" } select id="vital" name="vital" { (vocab_options::<VitalStatus>(&q.vital)) } }
            // The order chosen in the table's headers stays when the filters change.
            @if !q.sort.is_empty() { input type="hidden" name="sort" value=(q.sort); }
            @if !q.dir.is_empty() { input type="hidden" name="dir" value=(q.dir); }
            div { button type="submit" { "Search" } " " a href="/patients" { "Clear" } }
        }
        div class="actions" {
            p { strong { (result.total.map_or_else(|| format!("<{}", result.min_cell.unwrap_or(0)), |n| n.to_string())) } " patient(s)"
                @if result.total.is_none() { " (fewer than " (result.min_cell.unwrap_or(0)) " match: not listed, small-cell rule)" } }
            @if user.can_edit() {
                a class="button" href="/records/patient/new" accesskey="p" { "New patient" }
            }
            @if crate::upload::may_import(user) {
                a class="button secondary" href="/import" { "Import files" }
            }
            @if may_export && result.total.is_some_and(|n| n > 0) {
                a class="button secondary" href=(export_link) download { "Export these patients (CSV)" }
            }
        }
        div class="table-wrap" {
            table class="patients" {
                caption class="muted" { "Page " (result.page) " of " (result.pages) " · sorted by " (sort.label().to_lowercase()) (if desc { ", descending" } else { "" }) }
                thead { tr {
                    @for k in crate::patient_list::SortKey::ALL {
                        @let current = k == sort;
                        th scope="col" class=[k.numeric().then_some("num")]
                            aria-sort=[current.then_some(if desc { "descending" } else { "ascending" })] {
                            a class="sort" href=(sort_link(k)) { (k.label()) }
                        }
                    }
                } }
                tbody {
                    @for p in &result.patients {
                        tr {
                            td { a href={"/patients/" (url_encode(&p.id))} { (p.id) } }
                            td { (p.site) }
                            td { (p.sex) }
                            td class="num" { (p.age.clone().unwrap_or_default()) }
                            td { (label_of::<PrimarySite>(p.primary_site)) }
                            td { (label_of::<WhoGrade>(p.grade)) }
                            td { span class={"badge " (p.vital_status)} { (label_of::<VitalStatus>(Some(p.vital_status))) } }
                            td class="date" { (p.diagnosis_date.clone().unwrap_or_default()) }
                            td class="date" { (p.last_date.clone().unwrap_or_default()) }
                            td class="num" { (p.treatments) }
                            td class="num" { (p.assessments) }
                        }
                    }
                }
            }
        }
        nav class="pager" aria-label="Pages" {
            @if result.page > 1 { a href=(link(result.page - 1)) rel="prev" { "← Previous" } }
            span { "Page " (result.page) " of " (result.pages) }
            @if result.page < result.pages { a href=(link(result.page + 1)) rel="next" { "Next →" } }
        }
    };
    Ok(Html(
        page("Patients", &session, Nav::Patients, body).into_string(),
    ))
}

/// A record's cells as text for display: codes as labels (analysts'
/// records come pseudonymised from [`course_records`]).
fn display(c: &ColumnSpec, v: &Value) -> String {
    match (&c.kind, v) {
        (Kind::Code(voc), Value::Text(code)) => voc.label(code).unwrap_or(code).to_string(),
        _ => v.to_text().unwrap_or_default(),
    }
}

/// A patient's records for the page and the API: entity, rows (values in
/// schema order); for analysts every column by its rule
/// ([`pseudo::analyst_records`]: pseudonym, renumbered record ids, months,
/// bands, `arm N`, CTCAE terms, no free text).
pub async fn course_records(
    state: &AppState,
    user: &User,
    code: &str,
) -> Result<Vec<(Entity, Vec<Vec<Value>>)>, AppError> {
    let records = state
        .registry
        .patient_records(code)
        .await?
        .ok_or_else(|| AppError::no_patient(code))?;
    if !user.pseudonymised() {
        return Ok(records);
    }
    let idx = access::index(state).await?;
    let pseudonym = state.pseudo.pseudonym(code);
    Ok(pseudo::analyst_records(records, &pseudonym, &idx.arms))
}

fn key_query(entity: Entity, row: &[Value]) -> String {
    access::key_texts(entity, row)
        .iter()
        .map(|k| format!("key={}", url_encode(k)))
        .collect::<Vec<_>>()
        .join("&")
}

fn section_id(e: Entity) -> &'static str {
    e.spec().table
}

/// The columns a record table shows (the patient column is the page's).
fn shown_columns(e: Entity) -> Vec<(usize, &'static ColumnSpec)> {
    e.spec()
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.name != "patient")
        .collect()
}

/// `GET /patients/{id}`.
pub async fn patient_page(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult<Html<String>> {
    let user = &session.user;
    let code = access::resolve_patient(&state, user, &id).await?;
    let course = state
        .registry
        .patient_course(&code)
        .await?
        .ok_or_else(|| AppError::no_patient(&id))?;
    let records = course_records(&state, user, &code).await?;
    let ps = user.pseudonymised();
    let can_edit = user.can_edit_site(&course.patient.site);
    let can_audit = user.can_read_audit(&course.patient.site);
    let shown = if ps {
        state.pseudo.pseudonym(&code)
    } else {
        code.clone()
    };
    let zoom = crate::course_figure::zoom_of(&q)?;
    let swimmer = crate::course_figure::course_svg(&course, &shown, timeline::View::of(ps), zoom);
    let series = timeline::biomarker_series(&course, timeline::View::of(ps));
    let lines = crate::patient_lines::view(&course, &crate::patient_lines::derive(&course), ps);
    let p = &course.patient;
    let age = crate::cohort::age_of(&course);
    let patient_row = records
        .iter()
        .find(|(e, _)| *e == Entity::Patient)
        .and_then(|(_, r)| r.first().cloned());
    let add_link = |e: Entity, extra: &str| {
        format!(
            "/records/{}/new?patient={}{extra}",
            e.spec().table,
            url_encode(&code)
        )
    };
    let body = html! {
        h1 { "Patient " (shown) }
        @if let Some(s) = q.get("saved") { (notice(&format!("{s} saved."))) }
        @if q.get("note").map(String::as_str) == Some("ctcae_term") { (notice(CTCAE_NOTE)) }
        @if let Some(s) = q.get("deleted") { (notice(&format!("{s} deleted."))) }
        dl class="cards" {
            div { dt { "Site" } dd { (p.site) } }
            div { dt { "Sex" } dd { (p.sex.label()) } }
            div { dt { "Age at diagnosis" } dd { (age.map(|a| if ps { pseudo::age_band(a) } else { format!("{a} years") }).unwrap_or_else(|| "not recorded".into())) } }
            @if !ps { div { dt { "Born" } dd { (p.birth_date.map(|d| d.to_string()).unwrap_or_else(|| "not recorded".into())) } } }
            div { dt { "Vital status" } dd { (p.vital_status.label()) } }
            div { dt { "Last follow-up" } dd { (p.last_followup_date.map(|d| if ps { pseudo::to_month(d).to_string() } else { d.to_string() }).unwrap_or_default()) } }
            @if let Some(d) = p.death_date {
                div { dt { "Death" } dd { (if ps { pseudo::to_month(d).to_string() } else { d.to_string() }) " " (p.death_cause.map(|c| c.label()).unwrap_or("")) } }
            }
        }
        div class="actions" {
            @if can_edit {
                @if let Some(r) = &patient_row {
                    a class="button secondary" href={"/records/patient/edit?" (key_query(Entity::Patient, r))} { "Edit patient" }
                }
            }
            @if can_audit {
                @if let Some(r) = &patient_row {
                    a href={"/records/patient/history?" (key_query(Entity::Patient, r))} { "History of patient " (shown) }
                }
            }
        }
        h2 id="timeline" { "Course" }
        @match &swimmer {
            Some(svg) => {
                (layout::svg(svg, &format!("Course of patient {shown}: a lane per treatment class, scans with their responses, biomarkers on the same time axis")))
                (crate::course_figure::zoom_form(&shown, zoom))
            }
            None => p class="muted" { "No dated records yet." }
        }
        @if !series.is_empty() {
            h2 id="markers" { "Biomarkers" }
            div class="sparks" {
                @for s in &series {
                    div class="spark" {
                        div class="name" { (s.name) " (" (s.unit) ")" }
                        (maud::PreEscaped(timeline::sparkline(s)))
                        div class="muted" { "last " (s.points.last().map(|p| format!("{}", p.1)).unwrap_or_default())
                            @if let Some(u) = s.uln { " · ULN " (u) } }
                    }
                }
            }
        }
        (crate::patient_lines::section(&lines))
        @for (entity, rows) in records.iter().filter(|(e, _)| *e != Entity::Patient) {
            h2 id=(section_id(*entity)) { (crate::labels::section_title(*entity)) " " span class="muted" { "(" (rows.len()) ")" } }
            @if can_edit && !matches!(entity, Entity::TreatmentAgent | Entity::RadionuclideAdministration | Entity::Lesion) {
                p { a href=(add_link(*entity, "")) { "Add " (entity_label(*entity)) } }
            }
            @if rows.is_empty() {
                p class="muted" { "None recorded." }
            } @else {
                div class="table-wrap" {
                    table {
                        thead { tr {
                            @for (_, c) in shown_columns(*entity) { th scope="col" class=[crate::labels::is_date(c).then_some("date")] data-column=(c.name) { (crate::labels::header(c)) } }
                            @if can_edit || can_audit { th scope="col" class="row-actions" { "Actions" } }
                        } }
                        tbody {
                            @for r in rows {
                                tr {
                                    @for (i, c) in shown_columns(*entity) { td class=[crate::labels::is_date(c).then_some("date")] { (display(c, &r[i])) } }
                                    @if can_edit || can_audit {
                                        td class="row-actions" {
                                            @if can_edit { a href={"/records/" (entity.spec().table) "/edit?" (key_query(*entity, r))} { "Edit" } " " }
                                            @if can_audit { a href={"/records/" (entity.spec().table) "/history?" (key_query(*entity, r))} { "History" } " " }
                                            @if can_edit && *entity == Entity::Treatment {
                                                a href=(add_link(Entity::TreatmentAgent, &format!("&treatment={}", url_encode(r[1].as_str().unwrap_or_default())))) { "Add agent" } " "
                                                a href=(add_link(Entity::RadionuclideAdministration, &format!("&treatment={}", url_encode(r[1].as_str().unwrap_or_default())))) { "Add administration" }
                                            }
                                            @if can_edit && *entity == Entity::Assessment {
                                                a href=(add_link(Entity::Lesion, &format!("&assessment={}", url_encode(r[1].as_str().unwrap_or_default())))) { "Add lesion" }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Html(
        page(&format!("Patient {shown}"), &session, Nav::Patients, body).into_string(),
    ))
}

/// `GET /patients/{id}/timeline.svg`.
pub async fn timeline_svg(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult<Response> {
    let id = id.trim_end_matches(".svg").to_string();
    let user = &session.user;
    let code = access::resolve_patient(&state, user, &id).await?;
    let course = state
        .registry
        .patient_course(&code)
        .await?
        .ok_or_else(|| AppError::no_patient(&id))?;
    let shown = if user.pseudonymised() {
        state.pseudo.pseudonym(&code)
    } else {
        code
    };
    let zoom = crate::course_figure::zoom_of(&q)?;
    let svg = crate::course_figure::course_svg(
        &course,
        &shown,
        timeline::View::of(user.pseudonymised()),
        zoom,
    )
    .ok_or_else(|| AppError::NotFound("no dated records to draw".into()))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"course-{}.svg\"", safe_name(&shown)),
            ),
        ],
        svg,
    )
        .into_response())
}

/// A file-name-safe version of an identifier.
pub fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

// ---------------------------------------------------------------- forms

/// The label a form shows for a column (`start date` for `start_date`).
fn label(column: &str) -> String {
    column.replace('_', " ")
}

/// The link and the words of a problem's field in the summary: the
/// reason, a row's field (`ag2_dose` → "agent 2, dose") or the record's.
fn problem_anchor(field: &str) -> (String, String) {
    if field == "reason" {
        return ("#reason".into(), "reason".into());
    }
    if let Some(words) = crate::rows::field_label(field) {
        return (format!("#{field}"), words);
    }
    (format!("#f_{field}"), label(field))
}

/// A problem's message in the words of the form: the column names it
/// mentions (`end_date is before start_date`) become the labels the form
/// shows (`end date is before start date`).
fn in_form_words(entity: Entity, message: &str) -> String {
    let mut names: Vec<&str> = entity
        .spec()
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|n| n.contains('_'))
        .collect();
    // Longer names first: `last_followup_date` before any name inside it.
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = message.to_string();
    for n in names {
        out = out.replace(n, &label(n));
    }
    out
}

use crate::rows::{KnownLesion, NEW_LESION};

/// The patient's lesions measured at assessments other than `assessment`,
/// in identifier order. The caller has checked that the user may edit the
/// patient's records.
pub(crate) async fn known_lesions(
    state: &AppState,
    patient: &str,
    assessment: &str,
) -> Result<Vec<KnownLesion>, AppError> {
    let Some(records) = state.registry.patient_records(patient).await? else {
        return Ok(Vec::new());
    };
    let spec = Entity::Lesion.spec();
    let text = |row: &[Value], c: &str| {
        spec.position(c)
            .and_then(|i| row.get(i))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let mut out: Vec<KnownLesion> = Vec::new();
    for (e, rows) in records {
        if e != Entity::Lesion {
            continue;
        }
        for r in rows {
            let a = text(&r, "assessment");
            if a == assessment {
                continue;
            }
            let id = text(&r, "lesion");
            match out.iter_mut().find(|k| k.id == id) {
                Some(k) if a < k.assessment => k.assessment = a,
                Some(_) => {}
                None => out.push(KnownLesion {
                    id,
                    organ: text(&r, "organ"),
                    role: text(&r, "role"),
                    assessment: a,
                }),
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The known lesions of a new lesion record's patient, when the user may
/// edit the patient (empty otherwise: nothing of another site's patient is
/// shown).
async fn lesion_choices(
    state: &AppState,
    user: &User,
    values: &HashMap<String, String>,
) -> Result<Vec<KnownLesion>, AppError> {
    let get = |c: &str| values.get(c).map(|s| s.trim()).unwrap_or_default();
    let patient = get("patient");
    if patient.is_empty() {
        return Ok(Vec::new());
    }
    match access::patient_site(state, patient).await? {
        Some(site) if user.can_edit_site(&site) => {
            known_lesions(state, patient, get("assessment")).await
        }
        _ => Ok(Vec::new()),
    }
}

/// The lesion field of a new follow-up lesion: a choice among the
/// patient's lesions, or an explicit new lesion with its identifier. A
/// typed `l1` for `L1` would otherwise become a new lesion (progression).
fn lesion_choice(
    known: &[KnownLesion],
    value: &str,
    new_lesion: &str,
    error: Option<&str>,
    autofocus: bool,
) -> Markup {
    let chosen_new = value == NEW_LESION;
    let invalid = error.is_some();
    html! {
        div {
            label for="f_lesion" {
                "lesion " span class="req" aria-hidden="true" { "*" }
                span class="hint" id="f_lesion_hint" { "one of the patient's lesions, or a new lesion" }
            }
            select id="f_lesion" name="f_lesion" aria-required="true" aria-describedby="f_lesion_hint"
                aria-invalid=[invalid.then_some("true")] autofocus[autofocus] {
                option value="" { "— choose —" }
                @for k in known {
                    option value=(k.id) selected[k.id == value] {
                        (k.id) " — " (k.organ.replace('_', " ")) " (first at assessment " (k.assessment) ")"
                    }
                }
                option value=(NEW_LESION) selected[chosen_new] { "a new lesion (give its identifier below)" }
            }
            @if let Some(e) = error { p class="field-error" id="f_lesion_error" { (e) } }
        }
        div {
            label for="new_lesion" {
                "identifier of the new lesion"
                span class="hint" id="new_lesion_hint" { "only for a new lesion, e.g. L7" }
            }
            input type="text" id="new_lesion" name="new_lesion" value=(new_lesion) autocomplete="off"
                aria-describedby="new_lesion_hint";
        }
    }
}

/// The hint of a column: its meaning, type and unit.
fn hint(c: &ColumnSpec) -> String {
    let mut s = c.doc.replace('`', "");
    match &c.kind {
        Kind::Date => s.push_str(" — YYYY, YYYY-MM or YYYY-MM-DD"),
        Kind::Integer { min, max } => s.push_str(&format!(" — whole number {min}–{max}")),
        Kind::Real { min, max } if *max == f64::MAX => s.push_str(&format!(" — number ≥ {min}")),
        Kind::Real { min, max } => s.push_str(&format!(" — number {min}–{max}")),
        _ => {}
    }
    if let Some(u) = c.unit {
        s.push_str(&format!(" ({u})"));
    }
    s
}

/// One labelled form field for a column.
fn field(
    c: &ColumnSpec,
    value: &str,
    error: Option<&str>,
    readonly: bool,
    autofocus: bool,
) -> Markup {
    let id = format!("f_{}", c.name);
    let hint_id = format!("{id}_hint");
    let err_id = format!("{id}_error");
    let described = if error.is_some() {
        format!("{hint_id} {err_id}")
    } else {
        hint_id.clone()
    };
    let invalid = error.is_some();
    let wide = c.name == "notes" || matches!(c.kind, Kind::Text) && c.name.ends_with("reason");
    html! {
        div class=[wide.then_some("wide")] {
            label for=(id) {
                (label(c.name))
                @if c.required { " " span class="req" aria-hidden="true" { "*" } }
                span class="hint" id=(hint_id) { (hint(c)) }
            }
            @match &c.kind {
                Kind::Code(v) => {
                    select id=(id) name=(id) aria-required=[c.required.then_some("true")] aria-invalid=[invalid.then_some("true")] aria-describedby=(described) disabled[readonly] autofocus[autofocus] {
                        option value="" { (if c.required { "— choose —" } else { "— not recorded —" }) }
                        @for (code, label) in v.codes.iter().zip(&v.labels) {
                            option value=(code) selected[*code == value] { (label) }
                        }
                    }
                    @if readonly { input type="hidden" name=(id) value=(value); }
                }
                Kind::YesNo => {
                    select id=(id) name=(id) aria-invalid=[invalid.then_some("true")] aria-describedby=(described) disabled[readonly] autofocus[autofocus] {
                        option value="" { "— not recorded —" }
                        option value="yes" selected[value == "yes"] { "yes" }
                        option value="no" selected[value == "no"] { "no" }
                    }
                    @if readonly { input type="hidden" name=(id) value=(value); }
                }
                Kind::Text if c.name == "notes" => {
                    textarea id=(id) name=(id) aria-invalid=[invalid.then_some("true")] aria-describedby=(described) readonly[readonly] autofocus[autofocus] { (value) }
                }
                Kind::Integer { .. } | Kind::Real { .. } => {
                    input type="text" inputmode="decimal" id=(id) name=(id) value=(value) autocomplete="off"
                        aria-required=[c.required.then_some("true")] aria-invalid=[invalid.then_some("true")] aria-describedby=(described) readonly[readonly] autofocus[autofocus];
                }
                Kind::Date => {
                    input type="text" id=(id) name=(id) value=(value) placeholder="YYYY-MM-DD" autocomplete="off"
                        aria-required=[c.required.then_some("true")] aria-invalid=[invalid.then_some("true")] aria-describedby=(described) readonly[readonly] autofocus[autofocus];
                }
                _ => {
                    input type="text" id=(id) name=(id) value=(value) autocomplete="off"
                        aria-required=[c.required.then_some("true")] aria-invalid=[invalid.then_some("true")] aria-describedby=(described) readonly[readonly] autofocus[autofocus];
                }
            }
            @if let Some(e) = error { p class="field-error" id=(err_id) { (e) } }
        }
    }
}

/// What a form page shows.
struct FormPage<'a> {
    entity: Entity,
    values: HashMap<String, String>,
    problems: Vec<FieldProblem>,
    general: Option<String>,
    /// Key of the record edited (`None`: a new record).
    key: Option<Vec<String>>,
    /// Columns fixed by the context (the parent's key of a new child).
    fixed: Vec<&'a str>,
    reason: String,
    /// A new lesion's choices (the patient's lesions); empty otherwise.
    known_lesions: Vec<KnownLesion>,
    /// The typed identifier of a new lesion.
    new_lesion: String,
    /// A record created in the session's new-patient flow: no reason is
    /// asked ([`crate::flow`]).
    flow: bool,
    /// The notice of the record saved before this form ("save and add
    /// another").
    saved: Option<String>,
    /// The rows of a new parent's children (agents, lesions).
    rows: Vec<crate::rows::Row>,
    /// The patient's lesions, for the rows of a new assessment.
    row_lesions: Vec<KnownLesion>,
}

fn form_page(session: &Session, f: &FormPage<'_>, sites: &[(String, String)]) -> Markup {
    let spec = f.entity.spec();
    let name = entity_label(f.entity);
    let editing = f.key.is_some();
    let action = if editing {
        format!("/records/{}/edit", spec.table)
    } else {
        format!("/records/{}/new", spec.table)
    };
    let title = if editing {
        format!("Edit {name}")
    } else {
        format!("New {name}")
    };
    let error_for = |col: &str| {
        f.problems
            .iter()
            .filter(|p| p.field.as_deref() == Some(col))
            .map(|p| match &p.value {
                Some(v) if !v.is_empty() => format!("{} (value '{v}')", p.message),
                _ => p.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let patient = f.values.get("patient").cloned().unwrap_or_default();
    let back = if spec.columns.iter().any(|c| c.name == "patient") && !patient.is_empty() {
        format!("/patients/{}#{}", url_encode(&patient), spec.table)
    } else {
        "/admin/users".to_string()
    };
    let form_id = "record-form";
    let child_rows = (!editing).then(|| crate::rows::of(f.entity)).flatten();
    // The keyboard starts in the first field to correct, else in the first
    // field to fill.
    let editable =
        |c: &ColumnSpec| !((editing && spec.key.contains(&c.name)) || f.fixed.contains(&c.name));
    let first_field = f
        .problems
        .iter()
        .filter_map(|p| p.field.as_deref())
        .find(|p| spec.column(p).is_some_and(editable))
        .or_else(|| spec.columns.iter().find(|c| editable(c)).map(|c| c.name));
    html! {
        h1 { (title) }
        @if let Some(s) = &f.saved { (notice(&format!("{s} saved: add the next one."))) }
        p { a href=(back) { "← Back" } }
        @if !f.problems.is_empty() || f.general.is_some() {
            div class="errors" role="alert" tabindex="-1" id="problems" {
                h2 { "The record was not saved" }
                @if let Some(g) = &f.general { p { (g) } }
                @if !f.problems.is_empty() {
                    ul {
                        @for p in &f.problems {
                            li {
                                @if let Some(col) = &p.field {
                                    // The reason's field is `reason`, a row's `ag2_dose`,
                                    // the record's `f_<column>`.
                                    @let (href, words) = problem_anchor(col);
                                    a href=(href) { (words) } ": "
                                }
                                (p.message)
                                @if let Some(v) = p.value.as_ref().filter(|v| !v.is_empty()) { " (value '" (v) "')" }
                            }
                        }
                    }
                }
            }
        }
        form class="record" method="post" action=(action) id=(form_id) novalidate {
            (csrf_field(session))
            @if let Some(key) = &f.key {
                @for k in key { input type="hidden" name="key" value=(k); }
            }
            @for c in &spec.columns {
                @let value = f.values.get(c.name).cloned().unwrap_or_default();
                @let readonly = (editing && spec.key.contains(&c.name)) || f.fixed.contains(&c.name);
                @let err = error_for(c.name);
                @let focus = first_field == Some(c.name);
                @if f.entity == Entity::Lesion && c.name == "lesion" && !readonly && !f.known_lesions.is_empty() {
                    (lesion_choice(&f.known_lesions, &value, &f.new_lesion, (!err.is_empty()).then_some(err.as_str()), focus))
                } @else if f.entity == Entity::Patient && c.name == "site" && !readonly {
                    div {
                        label for="f_site" { "site " span class="req" aria-hidden="true" { "*" } span class="hint" id="f_site_hint" { "the centre the patient belongs to" } }
                        select id="f_site" name="f_site" aria-required="true" aria-describedby="f_site_hint" aria-invalid=[(!err.is_empty()).then_some("true")] autofocus[focus] {
                            option value="" { "— choose —" }
                            @for (s, n) in sites { option value=(s) selected[*s == value] { (s) " — " (n) } }
                        }
                        @if !err.is_empty() { p class="field-error" { (err) } }
                    }
                } @else {
                    (field(c, &value, (!err.is_empty()).then_some(err.as_str()), readonly, focus))
                }
            }
            @if let Some(rows) = child_rows {
                (crate::rows::table(rows, &f.rows, &f.row_lesions, &f.problems))
            }
            @if f.flow {
                p class="muted wide" id="reason" { "No reason needed: this patient was created in this session. The audit trail records “"
                    (crate::flow::FLOW_REASON) "” with your name and the time." }
            } @else {
            div class="wide" {
                label for="reason" { "Reason for this change " span class="req" aria-hidden="true" { "*" }
                    span class="hint" id="reason_hint" { "kept in the audit trail with your name and the time" } }
                textarea id="reason" name="reason" aria-required="true" aria-describedby="reason_hint"
                    aria-invalid=[(!error_for("reason").is_empty()).then_some("true")] { (f.reason) }
                @let e = error_for("reason");
                @if !e.is_empty() { p class="field-error" { (e) } }
            }
            }
            @if f.entity == Entity::Lesion {
                @let assessment = f.values.get("assessment").cloned().unwrap_or_default();
                section class="preview wide" id="recist-preview" aria-labelledby="preview-title"
                    data-form=(form_id)
                    data-endpoint={"/api/recist/preview?patient=" (url_encode(&patient)) "&assessment=" (url_encode(&assessment))} {
                    h2 id="preview-title" { "Computed response (RECIST 1.1)" }
                    div data-out aria-live="polite" { p class="muted" { "The response of this assessment appears here as you type the lesion." } }
                }
            }
            div class="actions" {
                button type="submit" accesskey="s" { "Save" }
                @if !editing && f.entity >= Entity::Patient {
                    button type="submit" class="secondary" name="then" value="another" accesskey="n" { "Save and add another" }
                }
                a href=(back) { "Cancel" }
                p class="hint wide" { "Enter in a field saves. Keys: Alt+Shift+S (Firefox) or Alt+S saves"
                    @if !editing && f.entity >= Entity::Patient { ", Alt+Shift+N or Alt+N saves and opens a new form for the next one" } "." }
            }
        }
        @if let Some(key) = &f.key {
            h2 { "Delete this " (name) }
            form method="post" action={"/records/" (spec.table) "/delete"} data-confirm={"Delete this " (name) "? The deletion is kept in the audit trail."} {
                (csrf_field(session))
                @for k in key { input type="hidden" name="key" value=(k); }
                div {
                    label for="delete_reason" { "Reason for deleting " span class="req" aria-hidden="true" { "*" } }
                    textarea id="delete_reason" name="reason" aria-required="true" {}
                }
                div class="actions" { button type="submit" class="danger" { "Delete" } }
            }
        }
    }
}

fn form_fields(fields: &[(String, String)]) -> (HashMap<String, String>, Vec<String>, String) {
    let mut values = HashMap::new();
    let mut key = Vec::new();
    let mut reason = String::new();
    for (k, v) in fields {
        if let Some(col) = k.strip_prefix("f_") {
            values.insert(col.to_string(), v.clone());
        } else if k == "key" {
            key.push(v.clone());
        } else if k == "reason" {
            reason = v.clone();
        }
    }
    (values, key, reason)
}

/// The columns a new record's context fixes (its parent's key).
fn fixed_columns(entity: Entity, q: &HashMap<String, String>) -> Vec<&'static str> {
    entity
        .spec()
        .columns
        .iter()
        .map(|c| c.name)
        .filter(|n| matches!(*n, "patient" | "treatment" | "assessment") && q.contains_key(*n))
        .filter(|n| {
            // A child's own id column is not fixed by the context.
            !(entity == Entity::Treatment && *n == "treatment"
                || entity == Entity::Assessment && *n == "assessment")
        })
        .collect()
}

/// True when a new record of `entity` with `values` belongs to the
/// session's new-patient flow: a new patient starts one, and a new record
/// of a patient this session created continues it ([`crate::flow`]).
fn in_flow(
    state: &AppState,
    session: &Session,
    entity: Entity,
    values: &HashMap<String, String>,
) -> bool {
    entity == Entity::Patient
        || entity > Entity::Patient
            && values
                .get("patient")
                .is_some_and(|p| state.flows.contains(session, p))
}

/// Where "save and add another" goes: a new form of the same kind with
/// the context of the saved record (its patient, and the treatment or
/// assessment of a child).
fn add_another(entity: Entity, values: &HashMap<String, String>) -> Redirect {
    let mut to = format!(
        "/records/{}/new?saved={}",
        entity.spec().table,
        url_encode(&capitalise(entity_label(entity)))
    );
    let context = if entity == Entity::Patient {
        Vec::new()
    } else {
        fixed_columns(entity, values)
    };
    for c in context {
        if let Some(v) = values.get(c) {
            to.push_str(&format!("&{c}={}", url_encode(v.trim())));
        }
    }
    // A new patient's form keeps the site.
    if entity == Entity::Patient
        && let Some(site) = values.get("site")
    {
        to.push_str(&format!("&site={}", url_encode(site.trim())));
    }
    Redirect::to(&to)
}

/// `GET /records/{entity}/new`.
pub async fn new_form(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(table): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult<Html<String>> {
    let entity = entity_of(&table)?;
    let user = &session.user;
    if !user.can_edit() || (entity < Entity::Patient && !user.is_admin()) {
        return Err(
            AppError::Forbidden(format!("you may not add a {}", entity_label(entity))).into(),
        );
    }
    if let Some(code) = q.get("patient") {
        match access::patient_site(&state, code).await? {
            Some(s) if user.can_edit_site(&s) => {}
            Some(s) if user.can_read_site(&s) => {
                return Err(AppError::Forbidden(format!(
                    "you may not change records of patients of site {s}"
                ))
                .into());
            }
            _ => return Err(AppError::no_patient(code).into()),
        }
    }
    let fixed = fixed_columns(entity, &q);
    let values: HashMap<String, String> = q
        .iter()
        .filter(|(k, _)| entity.spec().column(k).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let sites = editable_sites(&state, user).await?;
    let known_lesions = if entity == Entity::Lesion {
        lesion_choices(&state, user, &values).await?
    } else {
        Vec::new()
    };
    let row_lesions = if entity == Entity::Assessment {
        lesion_choices(&state, user, &values).await?
    } else {
        Vec::new()
    };
    let rows = crate::rows::of(entity)
        .map(|r| crate::rows::initial(r, &row_lesions))
        .unwrap_or_default();
    // The notice names a kind of record, never text from the link.
    let saved = q
        .get("saved")
        .filter(|s| {
            Entity::ALL
                .iter()
                .any(|e| capitalise(entity_label(*e)) == **s)
        })
        .cloned();
    let f = FormPage {
        entity,
        flow: in_flow(&state, &session, entity, &values),
        values,
        problems: Vec::new(),
        general: None,
        key: None,
        fixed,
        reason: String::new(),
        known_lesions,
        new_lesion: String::new(),
        saved,
        rows,
        row_lesions,
    };
    let title = format!("New {}", entity_label(entity));
    Ok(Html(
        page(
            &title,
            &session,
            Nav::Patients,
            form_page(&session, &f, &sites),
        )
        .into_string(),
    ))
}

async fn editable_sites(state: &AppState, user: &User) -> Result<Vec<(String, String)>, AppError> {
    Ok(sites(state, user)
        .await?
        .into_iter()
        .filter(|(s, _)| user.can_edit_site(s))
        .collect())
}

/// `GET /records/{entity}/edit?key=…`.
pub async fn edit_form(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(table): Path<String>,
    Form(q): Form<Vec<(String, String)>>,
) -> PageResult<Html<String>> {
    let entity = entity_of(&table)?;
    let user = &session.user;
    let key: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "key")
        .map(|(_, v)| v.clone())
        .collect();
    let row = access::read_record(&state, user, entity, &key).await?;
    let site_ok = match access::patient_of_row(entity, &row) {
        Some(code) => access::patient_site(&state, &code)
            .await?
            .is_some_and(|s| user.can_edit_site(&s)),
        None => user.is_admin(),
    };
    if !site_ok {
        return Err(AppError::Forbidden(format!(
            "you may read but not change this {}",
            entity_label(entity)
        ))
        .into());
    }
    let values = entity
        .spec()
        .columns
        .iter()
        .zip(&row)
        .map(|(c, v)| (c.name.to_string(), v.to_text().unwrap_or_default()))
        .collect();
    let sites = editable_sites(&state, user).await?;
    let f = FormPage {
        entity,
        values,
        problems: Vec::new(),
        general: None,
        key: Some(access::key_texts(entity, &row)),
        fixed: Vec::new(),
        reason: String::new(),
        known_lesions: Vec::new(),
        new_lesion: String::new(),
        flow: false,
        saved: None,
        rows: Vec::new(),
        row_lesions: Vec::new(),
    };
    let title = format!("Edit {}", entity_label(entity));
    Ok(Html(
        page(
            &title,
            &session,
            Nav::Patients,
            form_page(&session, &f, &sites),
        )
        .into_string(),
    ))
}

/// What the patient page says after a save whose record the importer
/// flagged (`?note=ctcae_term`): a fixed text, so that a link cannot put
/// words on the page.
const CTCAE_NOTE: &str = "Note: the adverse event's term is not in netra's CTCAE v5.0 table. \
     It was saved, but its grade could not be checked: correct the term if it is a CTCAE term \
     spelt differently (e.g. 'Platelet count decreased', not 'Thrombocytopenia').";

fn after_save(entity: Entity, key: &[String], what: &str) -> Redirect {
    after_save_noting(entity, key, what, false)
}

fn after_save_noting(entity: Entity, key: &[String], what: &str, flagged: bool) -> Redirect {
    let label = url_encode(&capitalise(entity_label(entity)));
    let note = if flagged { "&note=ctcae_term" } else { "" };
    if entity >= Entity::Patient {
        let code = key.first().cloned().unwrap_or_default();
        Redirect::to(&format!(
            "/patients/{}?{what}={label}{note}#{}",
            url_encode(&code),
            entity.spec().table
        ))
    } else {
        Redirect::to(&format!("/admin/users?{what}={label}"))
    }
}

async fn submit(
    state: Shared,
    session: std::sync::Arc<Session>,
    table: String,
    fields: Vec<(String, String)>,
    editing: bool,
) -> PageResult<Response> {
    let entity = entity_of(&table)?;
    let user = &session.user;
    let (mut values, key, typed_reason) = form_fields(&fields);
    let then_another = fields.iter().any(|(k, v)| k == "then" && v == "another");
    // In the new-patient flow nothing is asked: the audit trail gets the
    // system reason (and what was typed anyway, through the API-like form).
    let flow = !editing && in_flow(&state, &session, entity, &values);
    let reason = match (flow, typed_reason.trim()) {
        (true, "") => crate::flow::FLOW_REASON.to_string(),
        (true, typed) => format!("{}: {typed}", crate::flow::FLOW_REASON),
        (false, _) => typed_reason.clone(),
    };
    let child = crate::rows::of(entity).filter(|_| !editing);
    let submitted_rows = child
        .map(|r| crate::rows::parse(r, &fields))
        .unwrap_or_default();
    let row_lesions = if entity == Entity::Assessment && !editing {
        lesion_choices(&state, user, &values).await?
    } else {
        Vec::new()
    };
    let (entered_rows, row_problems) = child
        .map(|r| crate::rows::resolve_lesions(r, &submitted_rows, &row_lesions))
        .unwrap_or_default();
    let new_lesion = fields
        .iter()
        .find(|(k, _)| k == "new_lesion")
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    let known_lesions = if entity == Entity::Lesion && !editing {
        lesion_choices(&state, user, &values).await?
    } else {
        Vec::new()
    };
    // What was typed goes back to the form; what is saved names the lesion.
    let shown = values.clone();
    let mut choice_problems = Vec::new();
    if values.get("lesion").map(String::as_str) == Some(NEW_LESION) {
        if let Some(k) = known_lesions.iter().find(|k| k.id == new_lesion) {
            choice_problems.push(FieldProblem {
                field: Some("lesion".into()),
                message: format!(
                    "'{}' is already a lesion of this patient (first at assessment {}): \
                     choose it in the list, or give the new lesion another identifier",
                    k.id, k.assessment
                ),
                value: None,
            });
        } else if new_lesion.is_empty() {
            choice_problems.push(FieldProblem {
                field: Some("lesion".into()),
                message: "give the identifier of the new lesion".into(),
                value: None,
            });
        }
        values.insert("lesion".into(), new_lesion.clone());
    } else if let Some(typed) = values.get("lesion").map(|v| v.trim())
        && !typed.is_empty()
        && !known_lesions.is_empty()
        && !known_lesions.iter().any(|k| k.id == typed)
    {
        // Only the list's lesions, or an explicit new one: an identifier
        // typed past the list (`l1` for `L1`) is not silently a new lesion.
        choice_problems.push(FieldProblem {
            field: Some("lesion".into()),
            message: format!(
                "'{typed}' is not one of this patient's lesions: choose one in the list, \
                 or choose 'a new lesion' and give its identifier"
            ),
            value: None,
        });
    }
    if !choice_problems.is_empty() && reason.trim().is_empty() {
        choice_problems.push(FieldProblem {
            field: Some("reason".into()),
            message: "give the reason for this change (it is kept in the audit trail)".into(),
            value: None,
        });
    }
    let mode = if editing {
        Mode::Update(key.clone())
    } else {
        Mode::Create
    };
    let saved = match child {
        Some(rows) if !entered_rows.is_empty() => {
            let children = access::Children {
                entity: rows.entity,
                rows: entered_rows
                    .iter()
                    .map(|r| (r.prefix(rows), r.values.clone()))
                    .collect(),
            };
            // The reason is checked by the save of several rows itself.
            let mut extra: Vec<FieldProblem> = choice_problems
                .into_iter()
                .filter(|p| p.field.as_deref() != Some("reason"))
                .collect();
            extra.extend(row_problems);
            access::save_with_children(&state, user, entity, values, children, &reason, extra).await
        }
        _ if choice_problems.is_empty() => {
            access::save_noting(&state, user, entity, values, &reason, mode).await
        }
        _ => Err(AppError::Invalid(choice_problems)),
    };
    let values = shown;
    match saved {
        Ok((k, flags)) => {
            if entity == Entity::Patient
                && !editing
                && let Some(code) = k.first()
            {
                state.flows.start(&session, code);
            }
            if then_another && !editing {
                return Ok(add_another(entity, &values).into_response());
            }
            Ok(after_save_noting(entity, &k, "saved", !flags.is_empty()).into_response())
        }
        // The form comes back with what was typed and the reason: also when
        // the disk is full, so that nothing typed is lost.
        Err(e @ (AppError::Invalid(_) | AppError::Conflict(_) | AppError::DiskFull)) => {
            let status = e.status();
            let (problems, general) = match e {
                AppError::Invalid(p) => (
                    p.into_iter()
                        .map(|p| FieldProblem {
                            message: child.map_or_else(
                                || in_form_words(entity, &p.message),
                                |c| in_form_words(c.entity, &in_form_words(entity, &p.message)),
                            ),
                            ..p
                        })
                        .collect(),
                    None,
                ),
                other => (Vec::new(), Some(other.message())),
            };
            let sites = editable_sites(&state, user).await?;
            let f = FormPage {
                entity,
                values,
                problems,
                general,
                key: editing.then_some(key),
                fixed: Vec::new(),
                reason: typed_reason,
                known_lesions,
                new_lesion,
                flow,
                saved: None,
                // A submission without rows gets the form's rows back.
                rows: match child {
                    Some(r) if submitted_rows.is_empty() => crate::rows::initial(r, &row_lesions),
                    _ => submitted_rows,
                },
                row_lesions,
            };
            let title = format!("Correct the {}", entity_label(entity));
            let body = page(
                &title,
                &session,
                Nav::Patients,
                form_page(&session, &f, &sites),
            );
            Ok((status, Html(body.into_string())).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /records/{entity}/new`.
pub async fn create(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(table): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    submit(state, session, table, fields, false).await
}

/// `POST /records/{entity}/edit`.
pub async fn update(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(table): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    submit(state, session, table, fields, true).await
}

/// `POST /records/{entity}/delete`.
pub async fn delete(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(table): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let entity = entity_of(&table)?;
    let (_, key, reason) = form_fields(&fields);
    access::remove(&state, &session.user, entity, &key, &reason).await?;
    Ok(after_save(entity, &key, "deleted").into_response())
}

/// `GET /records/{entity}/history?key=…`.
pub async fn history(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Path(table): Path<String>,
    Form(q): Form<Vec<(String, String)>>,
) -> PageResult<Html<String>> {
    let entity = entity_of(&table)?;
    let key: Vec<String> = q
        .iter()
        .filter(|(k, _)| k == "key")
        .map(|(_, v)| v.clone())
        .collect();
    let entries = access::history(&state, &session.user, entity, &key).await?;
    let spec = entity.spec();
    let back = if entity >= Entity::Patient {
        format!(
            "/patients/{}",
            url_encode(key.first().map_or("", |s| s.as_str()))
        )
    } else {
        "/admin/users".into()
    };
    let value_text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".into(),
        other => other.to_string(),
    };
    let body = html! {
        h1 { "History of " (crate::labels::record_name(entity, &key)) }
        p { a href=(back) { "← Back" } }
        p class="muted" { "Every change of this record, oldest first, from the registry's hash-chained audit trail." }
        @if entries.is_empty() { p { "No changes recorded." } }
        @for e in &entries {
            section {
                h2 { (e.action) " · " (e.at) " · " (e.user) }
                @if let Some(r) = &e.reason { p { "Reason: " (r) } }
                @let old = e.old_values.as_ref().and_then(|v| v.as_object());
                @let new = e.new_values.as_ref().and_then(|v| v.as_object());
                div class="table-wrap" {
                    table class="diff" {
                        thead { tr { th scope="col" { "field" } th scope="col" { "before" } th scope="col" { "after" } } }
                        tbody {
                            @for c in &spec.columns {
                                @let o = old.and_then(|m| m.get(c.name));
                                @let n = new.and_then(|m| m.get(c.name));
                                @if o.is_some() || n.is_some() {
                                    tr {
                                        th scope="row" { (c.name.replace('_', " ")) }
                                        td { @if let Some(o) = o { del { (value_text(o)) } } }
                                        td { @if let Some(n) = n { ins { (value_text(n)) } } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(Html(
        page("History", &session, Nav::Patients, body).into_string(),
    ))
}
