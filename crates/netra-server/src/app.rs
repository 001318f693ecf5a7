//! The application: configuration, shared state, the router and the guard
//! middleware that every request passes (session, CSRF, security headers).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use netra_store::Registry;

use crate::analysis::Analyses;
use crate::clock::Clock;
use crate::cohort::Cohort;
use crate::error::{ApiError, AppError};
use crate::pseudo::Pseudonymiser;
use crate::ratelimit::{Limit, RateLimiter};
use crate::session::{self, CSRF_FIELD, CSRF_HEADER, Lifetimes, Lookup, Session};
use crate::{analysis_pages, api, pages, records};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server is reached over HTTPS through a reverse proxy
    /// (`--tls-proxy`): cookies get `Secure` and the `__Host-` prefix, and
    /// the client address is the last `X-Forwarded-For` entry (the one the
    /// proxy appended).
    pub behind_tls_proxy: bool,
    /// Session lifetimes.
    pub sessions: Lifetimes,
    /// Failed logins allowed per account.
    pub account_limit: Limit,
    /// Failed logins allowed per client address.
    pub address_limit: Limit,
    /// The registry's minimum cell size: analysts see no count below it
    /// (`crate::privacy`; `netra serve --min-cell`, default 5).
    pub min_cell: u64,
    /// Milliseconds a rate-limited login waits before its refusal is sent
    /// (a tarpit): an attacker's connections wait instead of looping, so a
    /// burst of wrong passwords takes almost no CPU from the users (it
    /// took pages' p99 from 161 to 415 ms without; BENCHMARKS.md). The
    /// wait holds no lock, thread or hashing slot. 0 in the library's
    /// default (tests); `netra serve --refusal-delay-ms`, default 1000.
    pub refusal_delay_ms: u64,
    /// The federation hub the analysis page can run analyses at
    /// (`netra serve --federation FILE`; `crate::federated`): none by
    /// default.
    pub federation: Option<Arc<crate::federated::HubLink>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            behind_tls_proxy: false,
            sessions: Lifetimes::default(),
            account_limit: Limit {
                max: 5,
                window: 15 * 60,
            },
            address_limit: Limit {
                max: 20,
                window: 15 * 60,
            },
            min_cell: 5,
            refusal_delay_ms: 0,
            federation: None,
        }
    }
}

/// Everything handlers share.
pub struct AppState {
    /// The registry.
    pub registry: Registry,
    /// Configuration.
    pub config: Config,
    /// Time.
    pub clock: Clock,
    /// Failed logins per account.
    pub account_failures: RateLimiter,
    /// Failed logins per client address.
    pub address_failures: RateLimiter,
    /// Analysts' pseudonyms.
    pub pseudo: Pseudonymiser,
    /// The cohort index (patient list, analyses), per registry revision.
    pub cohort: Cohort,
    /// Derived endpoints and finished analyses, per registry revision.
    pub analyses: Analyses,
    /// The gate of Argon2 computations (a few at a time).
    pub hashing: crate::accounts::Hashing,
    /// Rows of refused (rate-limited) logins written per minute.
    pub refusal_log: crate::ratelimit::LogBudget,
    /// Each session's new-patient flow (records created without a typed
    /// reason).
    pub flows: crate::flow::Flows,
    /// Uploaded files awaiting confirmation after their dry run.
    pub uploads: crate::upload::Pending,
}

/// The state as handlers receive it.
pub type Shared = Arc<AppState>;

impl AppState {
    /// The state over an open registry (loads the pseudonym key and the
    /// cohort index: on a large registry this takes a while, once).
    pub async fn new(registry: Registry, config: Config, clock: Clock) -> Result<Shared, AppError> {
        let pseudo = Pseudonymiser::load(&registry).await?;
        let cohort = Cohort::load(&registry, &pseudo).await?;
        Ok(Arc::new(AppState {
            account_failures: RateLimiter::new(config.account_limit),
            address_failures: RateLimiter::new(config.address_limit),
            registry,
            config,
            clock,
            pseudo,
            cohort,
            analyses: Analyses::default(),
            hashing: crate::accounts::Hashing::default(),
            refusal_log: crate::ratelimit::LogBudget::new(
                crate::ratelimit::REFUSALS_LOGGED_PER_MINUTE,
                60,
            ),
            flows: crate::flow::Flows::default(),
            uploads: crate::upload::Pending::default(),
        }))
    }

    /// The session cookie's name.
    pub fn cookie_name(&self) -> &'static str {
        if self.config.behind_tls_proxy {
            session::SECURE_COOKIE
        } else {
            session::COOKIE
        }
    }

    /// The client's address: the peer, or behind a proxy the address the
    /// proxy appended to `X-Forwarded-For`, cut to 64 characters (it is
    /// stored with sessions and events and keys the rate limiter; an IPv6
    /// address is at most 45).
    pub fn client(&self, parts_headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
        crate::accounts::bounded(
            &self.client_address(parts_headers, peer),
            crate::accounts::MAX_LOGGED_TEXT,
        )
        .into_owned()
    }

    fn client_address(&self, parts_headers: &HeaderMap, peer: Option<SocketAddr>) -> String {
        if self.config.behind_tls_proxy
            && let Some(last) = parts_headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .rfind(|s| !s.is_empty())
        {
            return last.to_string();
        }
        peer.map_or_else(|| "unknown".to_string(), |p| p.ip().to_string())
    }
}

/// What the guard found about the request's session.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Logged in.
    Active(Arc<Session>),
    /// The cookie's session expired.
    Expired,
    /// No (valid) session.
    None,
}

/// The client address, as the guard determined it.
#[derive(Debug, Clone)]
pub struct Client(pub String);

/// Paths that change state without a session (they carry their own
/// protection: the login form's token, JSON-only login).
fn csrf_exempt(path: &str) -> bool {
    matches!(path, "/login" | "/api/login")
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Largest request body accepted (forms and JSON are small).
pub const BODY_LIMIT: usize = 1 << 20;

/// Every response gets the security headers, also the refusals the guard
/// answers itself (401 without a session, 403 for a bad CSRF token, the
/// redirect to the login page, a failed session lookup).
async fn guard(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let mut resp = check(state, req, next).await;
    security_headers(resp.headers_mut(), &path);
    resp
}

/// The session and CSRF checks, then the handler.
async fn check(state: Shared, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let client = state.client(req.headers(), peer);
    let now = state.clock.now();
    let token = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| session::cookie_value(c, state.cookie_name()))
        .map(str::to_string);
    let auth = match token {
        Some(t) => match session::lookup(&state.registry, &t, state.config.sessions, now).await {
            Ok(Lookup::Active(s)) => Auth::Active(Arc::new(s)),
            Ok(Lookup::Expired) => Auth::Expired,
            Ok(Lookup::Unknown) => Auth::None,
            Err(e) => return ApiError(AppError::from(e)).into_response(),
        },
        None => Auth::None,
    };
    let mut req = req;
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !csrf_exempt(&path) {
        let Auth::Active(s) = &auth else {
            return unauthenticated(&path, matches!(auth, Auth::Expired));
        };
        match csrf_ok(req, &s.csrf, is_api(&path)).await {
            Ok(r) => req = r,
            Err(resp) => return *resp,
        }
    }
    req.extensions_mut().insert(auth);
    req.extensions_mut().insert(Client(client));
    next.run(req).await
}

/// The CSRF check: the `X-CSRF-Token` header, or the `_csrf` field of a
/// form body, must equal the session's token. The body is read and put back.
async fn csrf_ok(req: Request, expected: &str, api: bool) -> Result<Request, Box<Response>> {
    let forged = || {
        let e = AppError::Forbidden(
            "missing or invalid CSRF token: reload the page and try again".into(),
        );
        Box::new(if api {
            ApiError(e).into_response()
        } else {
            crate::error::PageError(e).into_response()
        })
    };
    if let Some(h) = req.headers().get(CSRF_HEADER) {
        return match h.to_str() {
            Ok(t) if session::same_secret(t, expected) => Ok(req),
            _ => Err(forged()),
        };
    }
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // A file upload carries the token as a field of its multipart body.
    if let Some(boundary) = crate::multipart::boundary(&content_type) {
        let (parts, body) = req.into_parts();
        let limit = crate::upload::UPLOAD_LIMIT + 64 * 1024;
        let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
            Box::new(
                crate::error::PageError(AppError::TooLarge(format!(
                    "the upload is larger than the limit of {} MB: nothing was imported",
                    crate::upload::UPLOAD_LIMIT >> 20
                )))
                .into_response(),
            )
        })?;
        let ok = crate::multipart::parse(&bytes, &boundary).is_ok_and(|ps| {
            ps.iter()
                .any(|p| p.name == CSRF_FIELD && session::same_secret(&p.text(), expected))
        });
        if !ok {
            return Err(forged());
        }
        return Ok(Request::from_parts(parts, Body::from(bytes)));
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return Err(forged());
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await.map_err(|_| {
        Box::new(ApiError(AppError::BadRequest("request body too large".into())).into_response())
    })?;
    let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
    let ok = fields
        .iter()
        .any(|(k, v)| k == CSRF_FIELD && session::same_secret(v, expected));
    if !ok {
        return Err(forged());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn unauthenticated(path: &str, expired: bool) -> Response {
    let msg = if expired {
        "your session has expired: log in again"
    } else {
        "log in first"
    };
    if is_api(path) {
        ApiError(AppError::Unauthorized(msg.into())).into_response()
    } else {
        login_redirect(path, expired)
    }
}

fn login_redirect(next: &str, expired: bool) -> Response {
    let mut to = String::from("/login?");
    if expired {
        to.push_str("expired=1&");
    }
    to.push_str("next=");
    to.push_str(&pages::url_encode(next));
    Redirect::to(&to).into_response()
}

fn security_headers(h: &mut HeaderMap, path: &str) {
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    // Scripts only from this server; inline styles are allowed because the
    // figures' SVG carries style attributes.
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "same-origin");
    if !path.starts_with("/static/") && !h.contains_key(header::CACHE_CONTROL) {
        // Patient data must not stay in shared or browser caches.
        set(h, header::CACHE_CONTROL, "no-store");
    }
}

/// The logged-in user of a page request; without one, a redirect to the
/// login page (which comes back here afterwards).
pub struct PageUser(pub Arc<Session>);

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Auth>() {
            Some(Auth::Active(s)) => Ok(PageUser(s.clone())),
            other => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map_or("/", |p| p.as_str())
                    .to_string();
                Err(login_redirect(&next, matches!(other, Some(Auth::Expired))))
            }
        }
    }
}

/// The logged-in user of an API request; without one, 401.
pub struct ApiUser(pub Arc<Session>);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Auth>() {
            Some(Auth::Active(s)) => Ok(ApiUser(s.clone())),
            other => Err(unauthenticated(
                parts.uri.path(),
                matches!(other, Some(Auth::Expired)),
            )),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Client>()
            .cloned()
            .unwrap_or_else(|| Client("unknown".into())))
    }
}

async fn not_found(uri: axum::http::Uri) -> Response {
    let e = AppError::NotFound(format!("no page at {}", uri.path()));
    if is_api(uri.path()) {
        ApiError(e).into_response()
    } else {
        crate::error::PageError(e).into_response()
    }
}

async fn css() -> Response {
    crate::layout::asset("text/css; charset=utf-8", crate::layout::CSS)
}

async fn js() -> Response {
    crate::layout::asset("text/javascript; charset=utf-8", crate::layout::JS)
}

async fn health() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// Every route of the application.
pub fn router(state: Shared) -> Router {
    let pages = Router::new()
        .route("/", get(pages::home))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/account", get(pages::account))
        .route("/account/password", post(pages::change_password))
        .route("/admin/users", get(pages::users).post(pages::create_user))
        .route("/admin/users/{name}", post(pages::update_user))
        .route("/admin/users/{name}/password", post(pages::reset_password))
        .route("/patients", get(records::patient_list))
        .route("/patients.csv", get(crate::patient_list::export_csv))
        .route("/patients/{id}", get(records::patient_page))
        .route("/patients/{id}/timeline.svg", get(records::timeline_svg))
        .route(
            "/records/{entity}/new",
            get(records::new_form).post(records::create),
        )
        .route(
            "/records/{entity}/edit",
            get(records::edit_form).post(records::update),
        )
        .route("/records/{entity}/delete", post(records::delete))
        .route("/records/{entity}/history", get(records::history))
        .route(
            "/import",
            get(crate::upload::form).post(crate::upload::check),
        )
        .route("/import/confirm", post(crate::upload::confirm))
        .route("/analysis", get(analysis_pages::show))
        .route(
            "/analysis/federated",
            get(crate::federated_pages::form).post(crate::federated_pages::submit),
        )
        .route(
            "/analysis/federated/runs/{id}",
            get(crate::federated_pages::run_page),
        )
        .route("/static/netra.css", get(css))
        .route("/static/netra.js", get(js))
        .route("/health", get(health));
    let api = Router::new()
        .route("/api/openapi.json", get(api::openapi))
        .route("/api/login", post(api::login))
        .route("/api/logout", post(api::logout))
        .route("/api/me", get(api::me))
        .route("/api/account/password", post(api::change_password))
        .route("/api/users", get(api::users).post(api::create_user))
        .route("/api/users/{name}", axum::routing::put(api::update_user))
        .route("/api/users/{name}/password", post(api::reset_password))
        .route("/api/schema", get(api::schema))
        .route("/api/patients", get(api::patients))
        .route("/api/patients/{id}", get(api::patient))
        .route(
            "/api/records/{entity}",
            get(api::record)
                .post(api::create_record)
                .put(api::update_record)
                .delete(api::delete_record),
        )
        .route("/api/records/{entity}/history", get(api::history))
        .route("/api/recist/preview", post(api::recist_preview))
        .route("/api/analysis", get(api::analysis))
        .route("/api/federated", post(crate::federated_pages::api_submit))
        .route(
            "/api/federated/runs/{id}",
            get(crate::federated_pages::api_status),
        )
        .route("/api/analysis/{file}", get(analysis_pages::download))
        .route("/api/analyses", get(crate::generic::list))
        .route("/api/analyses/{name}", post(crate::generic::run));
    pages
        .merge(api)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}
