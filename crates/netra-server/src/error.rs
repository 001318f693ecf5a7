//! Errors of requests, rendered as a JSON object under `/api/` and as a page
//! elsewhere.
//!
//! A patient of a site the user may not see is reported exactly as a
//! patient that does not exist (404, same message): the answer must not
//! tell whether a code exists at another site.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;
use netra_store::StoreError;
use serde::Serialize;

use crate::accounts::AccountError;

/// One problem with a submitted field (or with the record, when `field` is
/// absent), in the importer's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The column, when the problem is in one.
    pub field: Option<String>,
    /// Why.
    pub message: String,
    /// The submitted text, when there is one.
    pub value: Option<String>,
}

/// What the user is told when a save fails for lack of disk space.
pub const DISK_FULL: &str = "the server could not save: disk full";

/// What went wrong with a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// Not logged in (or the session expired).
    Unauthorized(String),
    /// Logged in, not allowed.
    Forbidden(String),
    /// No such thing (or not visible to this user).
    NotFound(String),
    /// A malformed request.
    BadRequest(String),
    /// The request conflicts with the registry (a record exists already, or
    /// is referred to).
    Conflict(String),
    /// Submitted values failed validation.
    Invalid(Vec<FieldProblem>),
    /// The request body is larger than the route accepts (an upload).
    TooLarge(String),
    /// Too many failed logins.
    TooManyRequests {
        /// Seconds until the next attempt is accepted.
        retry_after: i64,
    },
    /// The server is too busy for the request now (logins waiting too long
    /// for their turn to check a password).
    Busy(String),
    /// The database could not save because its disk is full: the user is
    /// told so (and the server recovers by itself once there is space).
    DiskFull,
    /// A fault of the server or the database.
    Internal(String),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::DiskFull => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A sentence for the user.
    pub fn message(&self) -> String {
        match self {
            AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Conflict(m)
            | AppError::TooLarge(m)
            | AppError::Busy(m) => m.clone(),
            AppError::DiskFull => DISK_FULL.into(),
            AppError::Invalid(p) => format!(
                "the record was not saved: {} problem(s) to correct",
                p.len()
            ),
            AppError::TooManyRequests { retry_after } => format!(
                "too many failed logins; try again in {} minute(s)",
                (retry_after + 59) / 60
            ),
            AppError::Internal(_) => "the server could not complete the request".into(),
        }
    }

    /// The not-found error of a patient code (also for invisible patients).
    pub fn no_patient(code: &str) -> AppError {
        AppError::NotFound(format!("no patient '{code}'"))
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> AppError {
        match e {
            StoreError::Invalid(problems) => AppError::Invalid(
                problems
                    .list
                    .into_iter()
                    .map(|p| FieldProblem {
                        field: p.column,
                        message: p.reason,
                        value: p.value,
                    })
                    .collect(),
            ),
            StoreError::NotFound(m) => AppError::NotFound(m),
            StoreError::Refused(m) => AppError::Conflict(m),
            e if e.is_disk_full() => AppError::DiskFull,
            StoreError::Database(d) => AppError::Internal(d.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(e: AccountError) -> AppError {
        match e {
            AccountError::Invalid(m) => AppError::BadRequest(m),
            AccountError::Exists(_) => AppError::Conflict(e.to_string()),
            AccountError::NotFound(_) => AppError::NotFound(e.to_string()),
            AccountError::Database(e) => e.into(),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<netra_report::ReportError> for AppError {
    fn from(e: netra_report::ReportError) -> AppError {
        AppError::BadRequest(e.to_string())
    }
}

/// The JSON body of an API error.
#[derive(Debug, Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Debug, Serialize)]
struct ErrorDetail<'a> {
    status: u16,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    problems: Option<&'a [FieldProblem]>,
}

/// An error of an `/api/` request: `{"error": {"status", "message",
/// "problems"?}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> ApiError {
        ApiError(e.into())
    }
}

fn log_internal(e: &AppError) {
    if let AppError::Internal(m) = e {
        eprintln!("netra serve: internal error: {m}");
    }
}

fn retry_after(resp: &mut Response, e: &AppError) {
    let secs = match e {
        AppError::TooManyRequests { retry_after } => *retry_after,
        AppError::Busy(_) => 1,
        _ => return,
    };
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        log_internal(&self.0);
        let problems = match &self.0 {
            AppError::Invalid(p) => Some(p.as_slice()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                status: self.0.status().as_u16(),
                message: self.0.message(),
                problems,
            },
        };
        let mut resp = (self.0.status(), Json(body)).into_response();
        retry_after(&mut resp, &self.0);
        resp
    }
}

/// An error of a page request: a small page with the message.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        log_internal(&self.0);
        let status = self.0.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let body = html! {
            h1 { (title) }
            p role="alert" { (self.0.message()) }
            @if let AppError::Invalid(problems) = &self.0 {
                ul { @for p in problems { li { (p.field.as_deref().unwrap_or("record")) ": " (p.message) } } }
            }
            p { a href="/patients" { "Back to the patients" } }
        };
        let page = crate::layout::bare(title, body);
        let mut resp = (status, axum::response::Html(page.into_string())).into_response();
        retry_after(&mut resp, &self.0);
        resp
    }
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;
/// Result of a page handler.
pub type PageResult<T> = Result<T, PageError>;
