//! Login, logout, the user's account and account administration, and the
//! login logic the API shares.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};

use crate::accounts::{self, NewUser, Role, User};
use crate::app::{AppState, Client, PageUser, Shared};
use crate::error::{AppError, PageResult};
use crate::layout::{Nav, bare, csrf_field, notice, page};
use crate::records::sites;
use crate::session::{self, LOGIN_COOKIE, Session};

/// Percent-encodes a URL component (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A local path to return to after login (never another site). Only
/// visible ASCII is accepted: browsers drop tabs and newlines from URLs
/// (`/\t/evil.example` would be followed as `//evil.example`), and control
/// characters cannot go in a `Location` header at all.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            n.to_string()
        }
        _ => "/patients".into(),
    }
}

/// `GET /`.
pub async fn home(PageUser(_): PageUser) -> Redirect {
    Redirect::to("/patients")
}

/// The refusal of an attempt that waited too long for its turn to hash.
pub fn busy() -> AppError {
    AppError::Busy("the server is busy checking other passwords: try again in a moment".into())
}

/// Checks a user name and password, with rate limiting, and starts a
/// session: the login of both the page and the API.
pub async fn attempt_login(
    state: &AppState,
    username: &str,
    password: &str,
    client: &str,
) -> Result<(String, Session), AppError> {
    let now = state.clock.now();
    let registry = &state.registry;
    // No account name is longer: the limiter's memory stays bounded under
    // a flood of made-up megabyte names.
    let account_key = accounts::bounded(username, accounts::MAX_LOGGED_TEXT).into_owned();
    // The attempt counts from now (a failure unless it succeeds), so that
    // simultaneous attempts cannot all pass the limit before any fails.
    let limited = state
        .account_failures
        .reserve(&account_key, now)
        .and_then(|_| {
            state
                .address_failures
                .reserve(client, now)
                .inspect_err(|_| {
                    state.account_failures.release(&account_key, now);
                })
        });
    if let Err(retry_after) = limited {
        // A bounded number of rows per minute: refusals cost an attacker
        // nothing (ratelimit::LogBudget).
        if let Some(unlogged) = state.refusal_log.admit(now) {
            let detail = match unlogged {
                0 => "rate limit".to_string(),
                n => format!("rate limit; {n} earlier refusal(s) not logged one by one"),
            };
            let _ = accounts::log_event(
                registry,
                now,
                Some(username),
                "login_refused",
                Some(&detail),
                Some(client),
            )
            .await;
        }
        let delay = state.config.refusal_delay_ms;
        if delay > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
        }
        return Err(AppError::TooManyRequests { retry_after });
    }
    let release = || {
        state.account_failures.release(&account_key, now);
        state.address_failures.release(client, now);
    };
    let found = match accounts::find_user(registry, username).await {
        Ok(f) => f,
        Err(e) => {
            release();
            return Err(e.into());
        }
    };
    let stored = found
        .as_ref()
        .filter(|(u, _)| u.active)
        .map(|(_, h)| h.clone());
    // A password longer than any accepted one cannot match: no hashing.
    let ok = if password.chars().count() > accounts::MAX_PASSWORD {
        false
    } else {
        let pw = password.to_string();
        // Argon2 takes tens of milliseconds of CPU and 19 MiB: off the async
        // threads, a few at a time.
        match state
            .hashing
            .run(move || accounts::verify_password(stored.as_deref(), &pw))
            .await
        {
            Ok(ok) => ok,
            Err(accounts::Busy) => {
                release();
                return Err(busy());
            }
        }
    };
    let Some((user, _)) = found.filter(|(u, _)| ok && u.active) else {
        let _ = accounts::log_event(
            registry,
            now,
            Some(username),
            "login_failed",
            None,
            Some(client),
        )
        .await;
        return Err(AppError::Unauthorized("wrong user name or password".into()));
    };
    state.address_failures.release(client, now);
    state.account_failures.clear(&account_key);
    let (token, session) = session::create(registry, user, client, now).await?;
    let _ = accounts::log_event(registry, now, Some(username), "login", None, Some(client)).await;
    Ok((token, session))
}

fn login_body(
    token: &str,
    next: &str,
    message: Option<&str>,
    expired: bool,
    username: &str,
) -> Markup {
    html! {
        h1 { "Log in to netra" }
        @if expired { p class="notice" role="status" { "Your session has expired. Log in again." } }
        @if let Some(m) = message { div class="errors" role="alert" { p { (m) } } }
        form method="post" action="/login" {
            input type="hidden" name="_csrf" value=(token);
            input type="hidden" name="next" value=(next);
            div {
                label for="username" { "User name" }
                input type="text" id="username" name="username" value=(username) autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus;
            }
            div {
                label for="password" { "Password" }
                input type="password" id="password" name="password" autocomplete="current-password" required;
            }
            div class="actions" { button type="submit" { "Log in" } }
        }
    }
}

fn login_page(
    state: &AppState,
    status: StatusCode,
    next: &str,
    message: Option<&str>,
    expired: bool,
    username: &str,
) -> Response {
    let token = session::random_token();
    let body = bare(
        "Log in",
        login_body(&token, next, message, expired, username),
    );
    (
        status,
        [(
            header::SET_COOKIE,
            session::login_cookie(&token, state.config.behind_tls_proxy),
        )],
        Html(body.into_string()),
    )
        .into_response()
}

/// `GET /login`.
pub async fn login_form(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    axum::Extension(auth): axum::Extension<crate::app::Auth>,
) -> Response {
    if let crate::app::Auth::Active(_) = auth {
        return Redirect::to(&safe_next(q.get("next").map(String::as_str))).into_response();
    }
    login_page(
        &state,
        StatusCode::OK,
        &safe_next(q.get("next").map(String::as_str)),
        None,
        q.contains_key("expired"),
        "",
    )
}

/// The login form's fields.
#[derive(Debug, serde::Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /login`.
pub async fn login(
    State(state): State<Shared>,
    Client(client): Client,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref());
    // Login CSRF: the form's token must equal the cookie set with the form.
    let cookie_token = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| session::cookie_value(c, LOGIN_COOKIE));
    if !cookie_token.is_some_and(|t| !t.is_empty() && session::same_secret(t, &f.csrf)) {
        return login_page(
            &state,
            StatusCode::FORBIDDEN,
            &next,
            Some("The login form expired or did not come from this site. Try again."),
            false,
            &f.username,
        );
    }
    match attempt_login(&state, &f.username, &f.password, &client).await {
        Ok((token, _)) => (
            [(
                header::SET_COOKIE,
                session::session_cookie(&token, state.config.behind_tls_proxy),
            )],
            Redirect::to(&next),
        )
            .into_response(),
        Err(e) => login_page(
            &state,
            e.status(),
            &next,
            Some(&e.message()),
            false,
            &f.username,
        ),
    }
}

/// Ends a session (page and API).
pub async fn end_session(
    state: &AppState,
    session: &Session,
    client: &str,
) -> Result<(), AppError> {
    session::delete(&state.registry, &session.token_hash).await?;
    let _ = accounts::log_event(
        &state.registry,
        state.clock.now(),
        Some(&session.user.username),
        "logout",
        None,
        Some(client),
    )
    .await;
    Ok(())
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
) -> PageResult<Response> {
    end_session(&state, &session, &client).await?;
    state.flows.end(&session.token_hash);
    state.uploads.end(&session.token_hash);
    Ok((
        [(
            header::SET_COOKIE,
            session::clear_session_cookie(state.config.behind_tls_proxy),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

/// Changes the user's own password after checking the current one (which
/// counts as a login attempt for the rate limit).
pub async fn change_own_password(
    state: &AppState,
    session: &Session,
    client: &str,
    current: &str,
    new: &str,
) -> Result<(), AppError> {
    let user = &session.user;
    let now = state.clock.now();
    if let Err(retry_after) = state.account_failures.reserve(&user.username, now) {
        return Err(AppError::TooManyRequests { retry_after });
    }
    let stored = match accounts::find_user(&state.registry, &user.username).await {
        Ok(f) => f.map(|(_, h)| h),
        Err(e) => {
            state.account_failures.release(&user.username, now);
            return Err(e.into());
        }
    };
    let cur = current.to_string();
    let checked = state
        .hashing
        .run(move || accounts::verify_password(stored.as_deref(), &cur))
        .await;
    let Ok(ok) = checked else {
        state.account_failures.release(&user.username, now);
        return Err(busy());
    };
    if !ok {
        state.address_failures.fail(client, now);
        return Err(AppError::Forbidden("the current password is wrong".into()));
    }
    state.account_failures.release(&user.username, now);
    set_password(
        state,
        &user.username,
        new,
        Some(&session.token_hash),
        "password_changed",
        client,
    )
    .await
}

/// Hashes and stores a new password; other sessions of the account end.
pub async fn set_password(
    state: &AppState,
    username: &str,
    new: &str,
    keep_session: Option<&str>,
    event: &str,
    client: &str,
) -> Result<(), AppError> {
    accounts::validate_password(new)?;
    let pw = new.to_string();
    let hash = state
        .hashing
        .run(move || accounts::hash_password(&pw))
        .await
        .map_err(|_| busy())??;
    let now = state.clock.now();
    accounts::set_password(&state.registry, username, &hash, now, keep_session).await?;
    let _ = accounts::log_event(
        &state.registry,
        now,
        Some(username),
        event,
        None,
        Some(client),
    )
    .await;
    Ok(())
}

fn account_body(session: &Session, message: Option<Markup>) -> Markup {
    let u = &session.user;
    html! {
        h1 { "Your account" }
        @if let Some(m) = message { (m) }
        dl class="cards" {
            div { dt { "User name" } dd { (u.username) } }
            div { dt { "Role" } dd { (u.role.label()) } }
            div { dt { "Sites" } dd { (if u.sites.is_empty() { "all".to_string() } else { u.sites.join(", ") }) } }
        }
        h2 { "Change your password" }
        form method="post" action="/account/password" class="record" {
            (csrf_field(session))
            div { label for="current" { "Current password" } input type="password" id="current" name="current" autocomplete="current-password" required; }
            div { label for="new" { "New password" span class="hint" { "at least " (accounts::MIN_PASSWORD) " characters; a passphrase is best" } }
                input type="password" id="new" name="new" autocomplete="new-password" required minlength=(accounts::MIN_PASSWORD); }
            div { label for="confirm" { "New password again" } input type="password" id="confirm" name="confirm" autocomplete="new-password" required; }
            div class="actions" { button type="submit" { "Change password" } }
        }
    }
}

/// `GET /account`.
pub async fn account(
    PageUser(session): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Html<String> {
    let msg = q
        .contains_key("saved")
        .then(|| notice("Your password was changed."));
    Html(
        page(
            "Account",
            &session,
            Nav::Account,
            account_body(&session, msg),
        )
        .into_string(),
    )
}

/// The password-change form.
#[derive(Debug, serde::Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
    confirm: String,
}

/// `POST /account/password`.
pub async fn change_password(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
    Form(f): Form<PasswordForm>,
) -> Response {
    let result = if f.new != f.confirm {
        Err(AppError::BadRequest("the two new passwords differ".into()))
    } else {
        change_own_password(&state, &session, &client, &f.current, &f.new).await
    };
    match result {
        Ok(()) => Redirect::to("/account?saved=1").into_response(),
        Err(e) => {
            let msg = html! { div class="errors" role="alert" { p { (e.message()) } } };
            (
                e.status(),
                Html(
                    page(
                        "Account",
                        &session,
                        Nav::Account,
                        account_body(&session, Some(msg)),
                    )
                    .into_string(),
                ),
            )
                .into_response()
        }
    }
}

/// Account administration (pages and API) is for administrators only.
pub(crate) fn require_admin(user: &User) -> Result<(), AppError> {
    if user.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "account administration is for administrators".into(),
        ))
    }
}

fn role_select(id: &str, selected: Role) -> Markup {
    html! {
        select id=(id) name="role" {
            @for r in Role::ALL { option value=(r.code()) selected[r == selected] { (r.label()) } }
        }
    }
}

fn site_boxes(prefix: &str, all: &[(String, String)], chosen: &[String]) -> Markup {
    html! {
        fieldset {
            legend { "Sites " span class="hint" { "for data managers and investigators" } }
            @if all.is_empty() { p class="muted" { "No site in the registry yet." } }
            @for (s, n) in all {
                @let id = format!("{prefix}_site_{s}");
                div { input type="checkbox" id=(id) name="site" value=(s) checked[chosen.contains(s)]; " " label for=(id) style="display:inline" { (s) " — " (n) } }
            }
        }
    }
}

async fn users_page(
    state: &AppState,
    session: &Session,
    message: Option<Markup>,
    status: StatusCode,
) -> PageResult<Response> {
    let registry = &state.registry;
    let users = accounts::list_users(registry).await?;
    let all_sites = sites(state, &session.user).await?;
    let events = accounts::recent_events(registry, 30).await?;
    let body = html! {
        h1 { "Users" }
        @if let Some(m) = message { (m) }
        div class="table-wrap" {
            table {
                thead { tr { th scope="col" { "User" } th scope="col" { "Role" } th scope="col" { "Sites" } th scope="col" { "Active" } th scope="col" { "Change" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.username) @if let Some(d) = &u.display_name { br; span class="muted" { (d) } } }
                            td { (u.role.label()) }
                            td { (if u.sites.is_empty() { "all".to_string() } else { u.sites.join(", ") }) }
                            td { (if u.active { "yes" } else { "no" }) }
                            td {
                                details {
                                    summary { "Edit " (u.username) }
                                    form method="post" action={"/admin/users/" (url_encode(&u.username))} {
                                        (csrf_field(session))
                                        div { label for={"role_" (u.username)} { "Role" } (role_select(&format!("role_{}", u.username), u.role)) }
                                        div { label for={"dn_" (u.username)} { "Display name" } input type="text" id={"dn_" (u.username)} name="display_name" value=(u.display_name.clone().unwrap_or_default()); }
                                        (site_boxes(&u.username, &all_sites, &u.sites))
                                        div { input type="checkbox" id={"act_" (u.username)} name="active" value="1" checked[u.active]; " " label for={"act_" (u.username)} style="display:inline" { "Active (may log in)" } }
                                        div class="actions" { button type="submit" { "Save" } }
                                    }
                                    form method="post" action={"/admin/users/" (url_encode(&u.username)) "/password"} {
                                        (csrf_field(session))
                                        div { label for={"pw_" (u.username)} { "New password" } input type="password" id={"pw_" (u.username)} name="password" autocomplete="new-password" required; }
                                        div class="actions" { button type="submit" class="secondary" { "Set password" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "New user" }
        form method="post" action="/admin/users" class="record" {
            (csrf_field(session))
            div { label for="new_username" { "User name" span class="hint" { "letters, digits and . _ @ -" } } input type="text" id="new_username" name="username" required autocomplete="off"; }
            div { label for="new_display" { "Display name" } input type="text" id="new_display" name="display_name"; }
            div { label for="new_role" { "Role" } (role_select("new_role", Role::DataManager)) }
            div { label for="new_password" { "Password" span class="hint" { "at least " (accounts::MIN_PASSWORD) " characters" } } input type="password" id="new_password" name="password" autocomplete="new-password" required; }
            div class="wide" { (site_boxes("new", &all_sites, &[])) }
            div class="actions" { button type="submit" { "Create user" } }
        }
        h2 { "Sites and studies" }
        p { a href="/records/study/new" { "Add a study" } " · " a href="/records/site/new" { "Add a site" } }
        ul {
            @for (s, n) in &all_sites {
                li { (s) " — " (n) " · " a href={"/records/site/edit?key=" (url_encode(s))} { "edit" } " · " a href={"/records/site/history?key=" (url_encode(s))} { "history" } }
            }
        }
        h2 { "Recent security events" }
        div class="table-wrap" {
            table {
                thead { tr { th scope="col" { "Time (UTC)" } th scope="col" { "User" } th scope="col" { "Event" } th scope="col" { "Detail" } th scope="col" { "Client" } } }
                tbody { @for e in &events { tr { td { (e.at) } td { (e.username.clone().unwrap_or_default()) } td { (e.event) } td { (e.detail.clone().unwrap_or_default()) } td { (e.client.clone().unwrap_or_default()) } } } }
            }
        }
    };
    Ok((
        status,
        Html(page("Users", session, Nav::Users, body).into_string()),
    )
        .into_response())
}

/// `GET /admin/users`.
pub async fn users(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult<Response> {
    require_admin(&session.user)?;
    let msg = q
        .get("saved")
        .or(q.get("deleted"))
        .map(|s| notice(&format!("{s} saved.")));
    users_page(&state, &session, msg, StatusCode::OK).await
}

/// The fields of the user forms, from repeated `site` checkboxes.
struct UserFields {
    username: String,
    display_name: Option<String>,
    role: Option<Role>,
    sites: Vec<String>,
    active: bool,
    password: String,
}

impl UserFields {
    /// The chosen role with its sites: only a site-bound role keeps the
    /// ticked sites (the boxes stay ticked when the role is changed).
    fn role_and_sites(&self) -> Result<(Role, Vec<String>), AppError> {
        let role = self
            .role
            .ok_or_else(|| AppError::BadRequest("choose a role".into()))?;
        let sites = if role.is_site_bound() {
            self.sites.clone()
        } else {
            Vec::new()
        };
        Ok((role, sites))
    }
}

fn user_fields(fields: &[(String, String)]) -> UserFields {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let display = get("display_name");
    UserFields {
        username: get("username"),
        display_name: (!display.is_empty()).then_some(display),
        role: Role::parse(&get("role")),
        sites: fields
            .iter()
            .filter(|(n, _)| n == "site")
            .map(|(_, v)| v.clone())
            .collect(),
        active: fields.iter().any(|(n, v)| n == "active" && v == "1"),
        password: fields
            .iter()
            .find(|(n, _)| n == "password")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
    }
}

/// Creates an account (page and API).
pub async fn create_account(
    state: &AppState,
    admin: &User,
    user: NewUser,
    password: &str,
    client: &str,
) -> Result<(), AppError> {
    accounts::validate_username(&user.username)?;
    accounts::validate_password(password)?;
    let pw = password.to_string();
    let hash = state
        .hashing
        .run(move || accounts::hash_password(&pw))
        .await
        .map_err(|_| busy())??;
    let now = state.clock.now();
    accounts::create_user(&state.registry, &user, &hash, now).await?;
    let _ = accounts::log_event(
        &state.registry,
        now,
        Some(&user.username),
        "user_created",
        Some(&format!(
            "by {}: role {}, sites {}",
            admin.username,
            user.role.code(),
            user.sites.join(",")
        )),
        Some(client),
    )
    .await;
    Ok(())
}

/// What an administrator may change about an account.
pub struct AccountChange<'a> {
    /// The new role.
    pub role: Role,
    /// The sites of a site-bound role (empty for the others).
    pub sites: &'a [String],
    /// False deactivates the account (its sessions end; it cannot log in).
    pub active: bool,
    /// The name shown in the interface instead of the user name.
    pub display_name: Option<&'a str>,
}

/// Changes an account (page and API); an administrator cannot demote or
/// deactivate their own account (there must stay one administrator).
pub async fn update_account(
    state: &AppState,
    admin: &User,
    username: &str,
    change: AccountChange<'_>,
    client: &str,
) -> Result<(), AppError> {
    let AccountChange {
        role,
        sites,
        active,
        display_name,
    } = change;
    if username == admin.username && (role != Role::Administrator || !active) {
        return Err(AppError::BadRequest(
            "you cannot remove your own administrator rights or deactivate yourself".into(),
        ));
    }
    accounts::update_user(&state.registry, username, role, sites, active, display_name).await?;
    let _ = accounts::log_event(
        &state.registry,
        state.clock.now(),
        Some(username),
        "user_changed",
        Some(&format!(
            "by {}: role {}, sites {}, active {}",
            admin.username,
            role.code(),
            sites.join(","),
            active
        )),
        Some(client),
    )
    .await;
    Ok(())
}

async fn admin_result(
    state: &AppState,
    session: &Arc<Session>,
    result: Result<(), AppError>,
    done: &str,
) -> PageResult<Response> {
    match result {
        Ok(()) => {
            Ok(Redirect::to(&format!("/admin/users?saved={}", url_encode(done))).into_response())
        }
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_) | AppError::NotFound(_))) => {
            let msg = html! { div class="errors" role="alert" { p { (e.message()) } } };
            users_page(state, session, Some(msg), e.status()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /admin/users`.
pub async fn create_user(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    require_admin(&session.user)?;
    let f = user_fields(&fields);
    let result = match f.role_and_sites() {
        Err(e) => Err(e),
        Ok((role, sites)) => {
            create_account(
                &state,
                &session.user,
                NewUser {
                    username: f.username.clone(),
                    display_name: f.display_name,
                    role,
                    sites,
                },
                &f.password,
                &client,
            )
            .await
        }
    };
    admin_result(&state, &session, result, &format!("User {}", f.username)).await
}

/// `POST /admin/users/{name}`.
pub async fn update_user(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    require_admin(&session.user)?;
    let f = user_fields(&fields);
    let result = match f.role_and_sites() {
        Err(e) => Err(e),
        Ok((role, sites)) => {
            update_account(
                &state,
                &session.user,
                &name,
                AccountChange {
                    role,
                    sites: &sites,
                    active: f.active,
                    display_name: f.display_name.as_deref(),
                },
                &client,
            )
            .await
        }
    };
    admin_result(&state, &session, result, &format!("User {name}")).await
}

/// `POST /admin/users/{name}/password`.
pub async fn reset_password(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
    Path(name): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    require_admin(&session.user)?;
    let f = user_fields(&fields);
    let result = if accounts::find_user(&state.registry, &name).await?.is_none() {
        Err(AppError::NotFound(format!("no account named '{name}'")))
    } else {
        set_password(&state, &name, &f.password, None, "password_reset", &client).await
    };
    admin_result(&state, &session, result, &format!("Password of {name}")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_and_keeps_redirects_local() {
        assert_eq!(url_encode("sim-01 a/b"), "sim-01%20a%2Fb");
        assert_eq!(safe_next(Some("/patients/18")), "/patients/18");
        assert_eq!(safe_next(Some("//evil.example/x")), "/patients");
        assert_eq!(safe_next(Some("https://evil.example")), "/patients");
        assert_eq!(safe_next(None), "/patients");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/patients");
        assert_eq!(safe_next(Some("/a\r\nSet-Cookie: x")), "/patients");
    }
}
