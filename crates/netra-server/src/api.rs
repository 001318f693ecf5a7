//! The JSON API: everything the pages do, for scripts and other clients.
//! Described by `/api/openapi.json` ([`crate::openapi`]).
//!
//! Authentication: `POST /api/login` (JSON) sets the same session cookie as
//! the login page and returns the session's CSRF token; every other
//! state-changing request must send it in the `X-CSRF-Token` header.
//! Errors are `{"error": {"status", "message", "problems"?}}`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use netra_clinical::registry::Value;
use netra_clinical::registry::schema::{Kind, schema as registry_schema};
use serde::{Deserialize, Serialize};
use serde_json::{Map, json};

use crate::access::{self, Mode, entity_of};
use crate::accounts::{self, NewUser, Role, User};
use crate::analysis::Query as AnalysisQuery;
use crate::analysis_pages::outcome;
use crate::app::{ApiUser, Client, Shared};
use crate::error::{ApiResult, AppError};
use crate::pages;
use crate::records::{ListPage, ListQuery, course_records, list};
use crate::session;

/// `GET /api/openapi.json`.
pub async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        crate::openapi::document(),
    )
        .into_response()
}

/// Login request.
#[derive(Debug, Deserialize)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// The session as the API reports it.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    user: User,
    csrf_token: String,
    /// Unix seconds after which the session ends without activity.
    idle_expires_at: i64,
    /// Unix seconds after which the session ends in any case.
    expires_at: i64,
}

fn info(state: &crate::app::AppState, s: &session::Session) -> SessionInfo {
    let life = state.config.sessions;
    SessionInfo {
        user: s.user.clone(),
        csrf_token: s.csrf.clone(),
        idle_expires_at: s.last_seen + life.idle,
        expires_at: s.created_at + life.absolute,
    }
}

/// `POST /api/login`: JSON only (a cross-site form cannot send JSON, so no
/// token is needed before the session exists).
pub async fn login(
    State(state): State<Shared>,
    Client(client): Client,
    Json(r): Json<LoginRequest>,
) -> ApiResult<Response> {
    let (token, s) = pages::attempt_login(&state, &r.username, &r.password, &client).await?;
    Ok((
        [(
            header::SET_COOKIE,
            session::session_cookie(&token, state.config.behind_tls_proxy),
        )],
        Json(info(&state, &s)),
    )
        .into_response())
}

/// `POST /api/logout`.
pub async fn logout(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Client(client): Client,
) -> ApiResult<Response> {
    pages::end_session(&state, &s, &client).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [(
            header::SET_COOKIE,
            session::clear_session_cookie(state.config.behind_tls_proxy),
        )],
    )
        .into_response())
}

/// `GET /api/me`.
pub async fn me(State(state): State<Shared>, ApiUser(s): ApiUser) -> Json<SessionInfo> {
    Json(info(&state, &s))
}

/// Password change request.
#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    current: String,
    new: String,
}

/// `POST /api/account/password`.
pub async fn change_password(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Client(client): Client,
    Json(r): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    pages::change_own_password(&state, &s, &client, &r.current, &r.new).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/users`.
pub async fn users(State(state): State<Shared>, ApiUser(s): ApiUser) -> ApiResult<Json<Vec<User>>> {
    pages::require_admin(&s.user)?;
    Ok(Json(accounts::list_users(&state.registry).await?))
}

/// A new account.
#[derive(Debug, Deserialize)]
pub struct UserRequest {
    username: String,
    #[serde(default)]
    display_name: Option<String>,
    role: String,
    #[serde(default)]
    sites: Vec<String>,
    password: String,
}

fn role(code: &str) -> Result<Role, AppError> {
    Role::parse(code).ok_or_else(|| {
        AppError::BadRequest(format!(
            "unknown role '{code}' (administrator, data_manager, investigator, analyst)"
        ))
    })
}

/// `POST /api/users`.
pub async fn create_user(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Client(client): Client,
    Json(r): Json<UserRequest>,
) -> ApiResult<(StatusCode, Json<User>)> {
    pages::require_admin(&s.user)?;
    let role = role(&r.role)?;
    let new = NewUser {
        username: r.username.clone(),
        display_name: r.display_name,
        role,
        sites: r.sites,
    };
    pages::create_account(&state, &s.user, new, &r.password, &client).await?;
    let (u, _) = accounts::find_user(&state.registry, &r.username)
        .await?
        .ok_or_else(|| AppError::Internal("created account vanished".into()))?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// An account change.
#[derive(Debug, Deserialize)]
pub struct UserChange {
    role: String,
    #[serde(default)]
    sites: Vec<String>,
    #[serde(default = "yes")]
    active: bool,
    #[serde(default)]
    display_name: Option<String>,
}

fn yes() -> bool {
    true
}

/// `PUT /api/users/{name}`.
pub async fn update_user(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Client(client): Client,
    Path(name): Path<String>,
    Json(r): Json<UserChange>,
) -> ApiResult<Json<User>> {
    pages::require_admin(&s.user)?;
    let role = role(&r.role)?;
    pages::update_account(
        &state,
        &s.user,
        &name,
        pages::AccountChange {
            role,
            sites: &r.sites,
            active: r.active,
            display_name: r.display_name.as_deref(),
        },
        &client,
    )
    .await?;
    let (u, _) = accounts::find_user(&state.registry, &name)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no account named '{name}'")))?;
    Ok(Json(u))
}

/// A password set by an administrator.
#[derive(Debug, Deserialize)]
pub struct PasswordReset {
    password: String,
}

/// `POST /api/users/{name}/password`.
pub async fn reset_password(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Client(client): Client,
    Path(name): Path<String>,
    Json(r): Json<PasswordReset>,
) -> ApiResult<StatusCode> {
    pages::require_admin(&s.user)?;
    if accounts::find_user(&state.registry, &name).await?.is_none() {
        return Err(AppError::NotFound(format!("no account named '{name}'")).into());
    }
    pages::set_password(&state, &name, &r.password, None, "password_reset", &client).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/schema`: every entity with its columns (type, unit, required,
/// codes with labels), key and references — what the forms are built from.
pub async fn schema_handler() -> Json<serde_json::Value> {
    let entities: Vec<serde_json::Value> = registry_schema()
        .iter()
        .map(|spec| {
            let columns: Vec<serde_json::Value> = spec
                .columns
                .iter()
                .map(|c| {
                    let mut o = json!({
                        "name": c.name,
                        "type": c.kind.describe(),
                        "required": c.required,
                        "unit": c.unit,
                        "doc": c.doc,
                    });
                    if let Kind::Code(v) = &c.kind {
                        o["vocabulary"] = json!(v.name);
                        o["codes"] = json!(
                            v.codes
                                .iter()
                                .zip(&v.labels)
                                .map(|(c, l)| json!({"code": c, "label": l}))
                                .collect::<Vec<_>>()
                        );
                    }
                    o
                })
                .collect();
            json!({
                "entity": spec.table,
                "label": access::entity_label(spec.entity),
                "doc": spec.doc,
                "key": spec.key,
                "columns": columns,
                "references": spec.references.iter().map(|r| json!({
                    "columns": r.columns, "entity": r.target.spec().table
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({ "entities": entities }))
}

/// `GET /api/schema` (routing name).
pub async fn schema(ApiUser(_): ApiUser) -> Json<serde_json::Value> {
    schema_handler().await
}

/// `GET /api/patients`.
pub async fn patients(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<ListPage>> {
    let idx = access::index(&state).await?;
    Ok(Json(list(&idx, &s.user, &q, state.config.min_cell)?))
}

fn row_json(
    entity: netra_clinical::registry::Entity,
    row: &[Value],
) -> Map<String, serde_json::Value> {
    entity
        .spec()
        .columns
        .iter()
        .zip(row)
        .map(|(c, v)| {
            (
                c.name.to_string(),
                v.to_text()
                    .map_or(serde_json::Value::Null, serde_json::Value::String),
            )
        })
        .collect()
}

/// `GET /api/patients/{id}`: every record of the patient, by table, values
/// as the bundle's canonical texts (pseudonymised for analysts).
pub async fn patient(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Path(id): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let code = access::resolve_patient(&state, &s.user, &id).await?;
    let records = course_records(&state, &s.user, &code).await?;
    let mut tables = Map::new();
    let mut patient = serde_json::Value::Null;
    for (e, rows) in &records {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| serde_json::Value::Object(row_json(*e, r)))
            .collect();
        if *e == netra_clinical::registry::Entity::Patient {
            patient = v.into_iter().next().unwrap_or(serde_json::Value::Null);
        } else {
            tables.insert(e.spec().table.to_string(), serde_json::Value::Array(v));
        }
    }
    Ok(Json(json!({
        "id": id,
        "pseudonymised": s.user.pseudonymised(),
        "patient": patient,
        "records": tables,
    })))
}

fn keys_of(q: &[(String, String)]) -> Vec<String> {
    q.iter()
        .filter(|(k, _)| k == "key")
        .map(|(_, v)| v.clone())
        .collect()
}

/// `GET /api/records/{entity}?key=…&key=…`.
pub async fn record(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Path(table): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Json<serde_json::Value>> {
    let entity = entity_of(&table)?;
    let key = keys_of(&q);
    let row = access::read_record(&state, &s.user, entity, &key).await?;
    Ok(Json(json!({
        "entity": table,
        "key": access::key_texts(entity, &row),
        "values": row_json(entity, &row),
    })))
}

/// A record to create or update.
#[derive(Debug, Deserialize)]
pub struct RecordRequest {
    /// The key of the record to update (PUT only; key parts in key order).
    #[serde(default)]
    key: Option<Vec<String>>,
    /// Column → value (text, number, yes/no boolean or null).
    values: Map<String, serde_json::Value>,
    /// Why (kept in the audit trail).
    #[serde(default)]
    reason: String,
}

fn texts(values: &Map<String, serde_json::Value>) -> Result<HashMap<String, String>, AppError> {
    values
        .iter()
        .filter_map(|(k, v)| {
            let t = match v {
                serde_json::Value::Null => return None,
                serde_json::Value::String(s) => Ok(s.clone()),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                serde_json::Value::Bool(b) => Ok(if *b { "yes" } else { "no" }.to_string()),
                _ => Err(AppError::BadRequest(format!(
                    "{k}: give a text, a number, true/false or null"
                ))),
            };
            Some(t.map(|t| (k.clone(), t)))
        })
        .collect()
}

/// `POST /api/records/{entity}`: creates a record (201), refusing an
/// existing key (409).
pub async fn create_record(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Path(table): Path<String>,
    Json(r): Json<RecordRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let entity = entity_of(&table)?;
    let key = access::save(
        &state,
        &s.user,
        entity,
        texts(&r.values)?,
        &r.reason,
        Mode::Create,
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "entity": table, "key": key })),
    ))
}

/// `PUT /api/records/{entity}`: updates the record `key` (its key columns
/// cannot change; omitted columns become empty).
pub async fn update_record(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Path(table): Path<String>,
    Json(r): Json<RecordRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    let entity = entity_of(&table)?;
    let key = r
        .key
        .clone()
        .ok_or_else(|| AppError::BadRequest("give the key of the record to update".into()))?;
    let key = access::save(
        &state,
        &s.user,
        entity,
        texts(&r.values)?,
        &r.reason,
        Mode::Update(key),
    )
    .await?;
    Ok(Json(json!({ "entity": table, "key": key })))
}

/// A deletion.
#[derive(Debug, Deserialize)]
pub struct DeleteRequest {
    key: Vec<String>,
    #[serde(default)]
    reason: String,
}

/// `DELETE /api/records/{entity}` with `{"key": [...], "reason": "..."}`.
pub async fn delete_record(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Path(table): Path<String>,
    Json(r): Json<DeleteRequest>,
) -> ApiResult<StatusCode> {
    let entity = entity_of(&table)?;
    access::remove(&state, &s.user, entity, &r.key, &r.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/records/{entity}/history?key=…`.
pub async fn history(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Path(table): Path<String>,
    Query(q): Query<Vec<(String, String)>>,
) -> ApiResult<Json<Vec<access::HistoryEntry>>> {
    let entity = entity_of(&table)?;
    Ok(Json(
        access::history(&state, &s.user, entity, &keys_of(&q)).await?,
    ))
}

/// The typed lesion of the preview.
#[derive(Debug, Deserialize)]
pub struct PreviewRequest {
    /// Column → text of the lesion being typed.
    #[serde(default)]
    values: Map<String, serde_json::Value>,
}

/// `POST /api/recist/preview?patient=…&assessment=…`: the response of the
/// assessment with the typed lesion (nothing is saved).
pub async fn recist_preview(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Query(q): Query<HashMap<String, String>>,
    Json(r): Json<PreviewRequest>,
) -> ApiResult<Json<crate::recist::Preview>> {
    let (Some(patient), Some(assessment)) = (q.get("patient"), q.get("assessment")) else {
        return Err(AppError::BadRequest("give patient and assessment".into()).into());
    };
    if s.user.pseudonymised() {
        return Err(AppError::Forbidden("the preview is part of data entry".into()).into());
    }
    let code = access::resolve_patient(&state, &s.user, patient).await?;
    let course = state
        .registry
        .patient_course(&code)
        .await?
        .ok_or_else(|| AppError::no_patient(patient))?;
    let values = texts(&r.values)?;
    let p = crate::recist::preview(&course, assessment, &values).map_err(AppError::NotFound)?;
    Ok(Json(p))
}

/// `GET /api/analysis?…`: the numbers of an analysis (the figure and tables
/// are at `/api/analysis/{file}` with the same parameters).
pub async fn analysis(
    State(state): State<Shared>,
    ApiUser(s): ApiUser,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<serde_json::Value>> {
    let q = AnalysisQuery::from_params(&params)?;
    let o = outcome(&state, &s.user, &q).await?;
    let qs: String = q
        .to_params()
        .iter()
        .map(|(k, v)| format!("{k}={}", pages::url_encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut v = serde_json::to_value(o.as_ref()).map_err(|e| AppError::Internal(e.to_string()))?;
    v["downloads"] = json!({
        "km_svg": format!("/api/analysis/km.svg?{qs}"),
        "km_png": format!("/api/analysis/km.png?{qs}"),
        "survival_csv": format!("/api/analysis/survival.csv?{qs}"),
        "response_csv": format!("/api/analysis/response.csv?{qs}"),
        "groups_csv": format!("/api/analysis/groups.csv?{qs}"),
    });
    Ok(Json(v))
}
