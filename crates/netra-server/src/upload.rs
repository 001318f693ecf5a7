//! Import of a bundle from the web, for data managers and administrators
//! (issue 15, section 3): the bundle's CSV files (`docs/bundle-format.md`)
//! are uploaded in one form, checked by the store's one all-or-nothing
//! import as a dry run that shows what would change, and imported only
//! when the user confirms. Every problem is listed with its file, line and
//! column; nothing is written while there is one.
//!
//! Least privilege (`docs/web.md`): investigators and analysts cannot
//! upload (403). A data manager's files may only touch patients of their
//! sites: a row of a patient at another site is refused as an unknown
//! patient would be, a new patient must be of one of their sites, and the
//! study and site files are for administrators. Those facts are expected
//! again inside the write transaction (a patient moved meanwhile refuses
//! the import). Uploads are limited to [`UPLOAD_LIMIT`] bytes; a checked
//! upload waits for its confirmation in memory, bound to the session, for
//! [`PENDING_SECONDS`]. The import is audited like any import (one entry
//! per change, with the user and the reason typed on the form), and the
//! upload itself is a security event (`import`).
//!
//! The same form takes a REDCap project's exports or a spreadsheet with
//! their mapping file ([`crate::upload_source`]), converted by
//! `netra-ingest` as `netra import redcap|sheet` converts them.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use axum::Form;
use axum::body::Body;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{Markup, html};
use netra_clinical::registry::{Entity, Value};
use netra_store::{
    Actor, Bundle, Expect, Expected, ImportOptions, ImportReport, Otherwise, Problem, Problems,
    StoreError,
};

use crate::accounts::User;
use crate::app::{Client, PageUser, Shared};
use crate::error::{AppError, PageResult};
use crate::layout::{Nav, csrf_field, page};
use crate::session::Session;

/// Largest upload accepted (all files of one form together).
pub const UPLOAD_LIMIT: usize = 16 << 20;
/// Seconds a checked upload waits for its confirmation.
pub const PENDING_SECONDS: i64 = 30 * 60;
/// Checked uploads kept at once on the server (one per session).
pub const MAX_PENDING: usize = 8;

/// May `user` import files? Administrators and data managers.
pub fn may_import(user: &User) -> bool {
    user.can_edit()
}

/// What was uploaded: bundle files, or a source with its mapping.
#[derive(Debug, Clone)]
pub(crate) enum What {
    /// Bundle CSV files (name, bytes).
    Bundle(Vec<(String, Vec<u8>)>),
    /// A REDCap project or a spreadsheet, and whether the records the
    /// source created and no longer has are kept.
    Source(crate::upload_source::Source),
}

impl What {
    fn names(&self) -> Vec<String> {
        match self {
            What::Bundle(files) => files.iter().map(|(n, _)| n.clone()).collect(),
            What::Source(s) => s.names(),
        }
    }
}

/// An upload checked by its dry run, waiting for the confirmation.
#[derive(Debug, Clone)]
struct Upload {
    token: String,
    session: String,
    what: What,
    reason: String,
    at: i64,
}

/// The uploads awaiting confirmation.
#[derive(Debug, Default)]
pub struct Pending {
    inner: Mutex<Vec<Upload>>,
}

impl Pending {
    fn put(&self, u: Upload) {
        if let Ok(mut g) = self.inner.lock() {
            g.retain(|x| x.session != u.session);
            while g.len() >= MAX_PENDING {
                g.remove(0);
            }
            g.push(u);
        }
    }

    fn take(&self, session: &str, token: &str, now: i64) -> Option<Upload> {
        let mut g = self.inner.lock().ok()?;
        g.retain(|x| now - x.at <= PENDING_SECONDS);
        let i = g
            .iter()
            .position(|x| x.session == session && crate::session::same_secret(&x.token, token))?;
        Some(g.remove(i))
    }

    /// Forgets a session's upload (logout).
    pub fn end(&self, session: &str) {
        if let Ok(mut g) = self.inner.lock() {
            g.retain(|x| x.session != session);
        }
    }
}

fn forbidden(user: &User) -> AppError {
    AppError::Forbidden(format!(
        "an {} cannot import files: imports are for data managers and administrators",
        user.role.label()
    ))
}

fn limit_text() -> String {
    format!("{} MB", UPLOAD_LIMIT >> 20)
}

fn upload_form(session: &Session, reason: &str) -> Markup {
    let names = netra_store::bundle::file_names();
    html! {
        form class="record" method="post" action="/import" enctype="multipart/form-data" id="import-form" {
            (csrf_field(session))
            input type="hidden" name="kind" value="bundle";
            div class="wide" {
                label for="files" { "Bundle files " span class="req" aria-hidden="true" { "*" }
                    span class="hint" id="files_hint" { "one or more CSV files of the bundle, named as in the bundle format ("
                        (names.join(", ")) "); at most " (limit_text()) " together" } }
                input type="file" id="files" name="files" multiple accept=".csv,text/csv" aria-describedby="files_hint" autofocus;
            }
            div class="wide" {
                label for="reason" { "Reason for this import " span class="req" aria-hidden="true" { "*" }
                    span class="hint" { "kept in the audit trail with every change, your name and the time" } }
                textarea id="reason" name="reason" aria-required="true" { (reason) }
            }
            div class="actions" {
                button type="submit" accesskey="s" { "Check (nothing is imported yet)" }
            }
        }
        (crate::upload_source::forms(session, reason))
    }
}

/// `GET /import`.
pub async fn form(PageUser(session): PageUser) -> PageResult<Html<String>> {
    if !may_import(&session.user) {
        return Err(forbidden(&session.user).into());
    }
    let body = html! {
        h1 { "Import files" }
        p { "The files are checked first: you see what would change, or every problem with its file, line and column. Nothing is imported until you confirm, and then everything or nothing." }
        p { "Bundle files first; below them, a REDCap project's exports or a spreadsheet with one row per patient, each with its mapping file (docs/import.md)." }
        (upload_form(&session, ""))
    };
    Ok(Html(
        page("Import files", &session, Nav::Patients, body).into_string(),
    ))
}

/// The uploaded files as a bundle, every problem of their structure
/// collected.
fn bundle_of(files: &[(String, Vec<u8>)]) -> Result<Bundle, Problems> {
    let mut bundle = Bundle::new();
    let mut problems = Problems::default();
    let known = netra_store::bundle::file_names();
    if files.is_empty() {
        problems.push(Problem::file("upload", "choose at least one bundle file"));
    }
    let mut seen = HashSet::new();
    for (name, bytes) in files {
        let Some(entity) = Entity::ALL.into_iter().find(|e| e.spec().file == name) else {
            problems.push(Problem::file(
                name,
                format!("not a bundle file (the files are: {})", known.join(", ")),
            ));
            continue;
        };
        if !seen.insert(entity) {
            problems.push(Problem::file(name, "uploaded twice"));
            continue;
        }
        bundle.add_file(entity, name, bytes, &mut problems);
    }
    if problems.is_empty() {
        Ok(bundle)
    } else {
        Err(problems)
    }
}

/// The rows a data manager may not import, and the expectations the
/// import must meet inside its transaction (each patient still at the
/// site checked, each new patient still absent).
/// A converted source's study and site rows are allowed here
/// (`shared_checked_later`) and refused later if the dry run finds that
/// they would add or change a study or a site.
pub(crate) async fn permitted(
    state: &Shared,
    user: &User,
    bundle: &Bundle,
    shared_checked_later: bool,
) -> Result<Result<Vec<Expect>, Problems>, AppError> {
    let mut problems = Problems::default();
    if user.is_admin() {
        return Ok(Ok(Vec::new()));
    }
    for e in [Entity::Study, Entity::Site] {
        if !shared_checked_later && bundle.table(e).is_some_and(|t| t.n_rows() > 0) {
            problems.push(Problem::file(
                e.spec().file,
                "studies and sites are managed by administrators",
            ));
        }
    }
    // The bundle's own patients: new ones must be of the user's sites.
    let mut new_patients: HashMap<String, String> = HashMap::new();
    let codes = bundle.column_texts(Entity::Patient, "patient");
    let sites = bundle.column_texts(Entity::Patient, "site");
    for ((line, code), (_, site)) in codes.into_iter().zip(sites) {
        let (Some(code), Some(site)) = (code, site) else {
            continue; // the import reports the missing cell
        };
        let code = code.trim().to_string();
        if !user.can_edit_site(site.trim()) {
            problems.push(Problem {
                line: Some(line),
                column: Some("site".into()),
                value: Some(site.clone()),
                ..Problem::file(
                    Entity::Patient.spec().file,
                    format!("you may not enter patients for site {}", site.trim()),
                )
            });
        }
        new_patients.insert(code, site.trim().to_string());
    }
    let mut expects = Vec::new();
    let mut checked: HashMap<String, bool> = HashMap::new();
    for e in Entity::ALL.into_iter().filter(|e| *e >= Entity::Patient) {
        for (line, code) in bundle.column_texts(e, "patient") {
            let Some(code) = code.map(|c| c.trim().to_string()) else {
                continue;
            };
            let ok = match checked.get(&code) {
                Some(ok) => *ok,
                None => {
                    let stored = crate::access::patient_site(state, &code).await?;
                    let ok = match &stored {
                        Some(s) => user.can_edit_site(s),
                        None => new_patients.contains_key(&code),
                    };
                    if ok {
                        expects.push(Expect {
                            entity: Entity::Patient,
                            key: vec![Value::Text(code.clone())],
                            state: match stored {
                                Some(s) => Expected::Columns(vec![("site".into(), Value::Text(s))]),
                                None => Expected::Absent,
                            },
                            otherwise: Otherwise::Refused(format!(
                                "patient '{code}' was changed meanwhile: check the files again"
                            )),
                        });
                    }
                    checked.insert(code.clone(), ok);
                    ok
                }
            };
            if !ok {
                problems.push(Problem {
                    line: Some(line),
                    column: Some("patient".into()),
                    value: Some(code.clone()),
                    ..Problem::file(
                        e.spec().file,
                        format!("no patient '{code}' of a site you manage"),
                    )
                });
            }
        }
    }
    Ok(if problems.is_empty() {
        Ok(expects)
    } else {
        Err(problems)
    })
}

/// What checking or importing the files gave.
pub(crate) enum Outcome {
    /// Checked or imported.
    Report(Summary),
    /// Refused: every problem, told in the terms of the uploaded files,
    /// and how many more were not kept.
    Problems(Vec<String>, usize),
}

impl Outcome {
    fn problems(p: &Problems) -> Outcome {
        Outcome::Problems(p.list.iter().map(|x| x.to_string()).collect(), p.more)
    }
}

/// What an import did or would do.
pub(crate) struct Summary {
    /// The upserts.
    pub import: ImportReport,
    /// Records the source created and no longer has: removed (or to be).
    pub removed: Vec<String>,
    /// The same, kept (the form asked to keep them).
    pub kept: Vec<String>,
    /// The removed records themselves: a confirmation may remove only
    /// those its check showed.
    pub removed_records: Vec<netra_store::SourceRecord>,
}

impl Summary {
    fn changes(&self) -> usize {
        self.import.changes() + self.removed.len()
    }
}

async fn run(
    state: &Shared,
    user: &User,
    what: &What,
    reason: &str,
    dry_run: bool,
) -> Result<Outcome, AppError> {
    match what {
        What::Bundle(files) => run_bundle(state, user, files, reason, dry_run).await,
        What::Source(s) => crate::upload_source::run(state, user, s, reason, dry_run).await,
    }
}

async fn run_bundle(
    state: &Shared,
    user: &User,
    files: &[(String, Vec<u8>)],
    reason: &str,
    dry_run: bool,
) -> Result<Outcome, AppError> {
    let bundle = match bundle_of(files) {
        Ok(b) => b,
        Err(p) => return Ok(Outcome::problems(&p)),
    };
    let expects = match permitted(state, user, &bundle, false).await? {
        Ok(x) => x,
        Err(p) => return Ok(Outcome::problems(&p)),
    };
    let opts = ImportOptions {
        actor: Actor {
            user: user.username.clone(),
            reason: Some(reason.to_string()),
        },
        dry_run,
    };
    match state
        .registry
        .import_bundle_expecting(&bundle, &opts, &expects)
        .await
    {
        Ok(r) => Ok(Outcome::Report(Summary {
            import: r,
            removed: Vec::new(),
            removed_records: Vec::new(),
            kept: Vec::new(),
        })),
        Err(StoreError::Invalid(p)) => Ok(Outcome::problems(&p)),
        Err(e) => Err(e.into()),
    }
}

fn problems_list(list: &[String], more: usize) -> Markup {
    html! {
        div class="errors" role="alert" tabindex="-1" id="problems" {
            h2 { "Nothing was imported: " (list.len() + more) " problem(s) to correct" }
            ul {
                @for x in list { li { (x) } }
            }
            @if more > 0 { p { "… and " (more) " more problem(s) not shown" } }
        }
    }
}

fn report_table(s: &Summary, dry_run: bool) -> Markup {
    let r = &s.import;
    let verb = if dry_run {
        "would be removed"
    } else {
        "removed"
    };
    html! {
        div class="table-wrap" {
            table {
                thead { tr { th scope="col" { "File" } th scope="col" class="num" { "Rows" } th scope="col" class="num" { "New" } th scope="col" class="num" { "Changed" } th scope="col" class="num" { "Unchanged" } } }
                tbody {
                    @for e in &r.entities {
                        tr { td { (e.entity.spec().file) } td class="num" { (e.rows) } td class="num" { (e.inserted) } td class="num" { (e.updated) } td class="num" { (e.unchanged) } }
                    }
                }
            }
        }
        @if !s.removed.is_empty() {
            p { (s.removed.len()) " record(s) " (verb) ": no longer in the source, which created them" }
            ul { @for x in &s.removed { li { (x) } } }
        }
        @if !s.kept.is_empty() {
            p { (s.kept.len()) " record(s) no longer in the source are kept, as asked" }
            ul { @for x in &s.kept { li { (x) } } }
        }
    }
}

fn refused(status: StatusCode, body: Markup, session: &Session) -> Response {
    (
        status,
        Html(page("Import files", session, Nav::Patients, body).into_string()),
    )
        .into_response()
}

/// `POST /import` (multipart): the dry run.
pub async fn check(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
    headers: axum::http::HeaderMap,
    body: Body,
) -> PageResult<Response> {
    let user = &session.user;
    if !may_import(user) {
        return Err(forbidden(user).into());
    }
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::multipart::boundary)
        .ok_or_else(|| AppError::BadRequest("send the files as multipart/form-data".into()))?;
    let bytes = axum::body::to_bytes(body, UPLOAD_LIMIT + 64 * 1024)
        .await
        .map_err(|_| too_large())?;
    let parts = crate::multipart::parse(&bytes, &boundary).map_err(AppError::BadRequest)?;
    if parts
        .iter()
        .filter(|p| p.filename.is_some())
        .map(|p| p.data.len())
        .sum::<usize>()
        > UPLOAD_LIMIT
    {
        return Err(too_large().into());
    }
    let kind = parts
        .iter()
        .find(|p| p.name == "kind")
        .map(|p| p.text())
        .unwrap_or_default();
    let mut what = match crate::upload_source::Source::of_form(kind.trim(), &parts) {
        Some(s) => What::Source(s),
        None => What::Bundle(
            parts
                .iter()
                .filter(|p| {
                    p.name == "files" && p.filename.as_deref().is_some_and(|f| !f.is_empty())
                })
                .map(|p| (p.filename.clone().unwrap_or_default(), p.data.clone()))
                .collect(),
        ),
    };
    let reason = parts
        .iter()
        .find(|p| p.name == "reason")
        .map(|p| p.text().trim().to_string())
        .unwrap_or_default();
    let names = what.names();
    let mut outcome = run(&state, user, &what, &reason, true).await?;
    if let (What::Source(source), Outcome::Report(r)) = (&mut what, &outcome) {
        source.removals_seen = Some(r.removed_records.clone());
    }
    if reason.is_empty() {
        let (mut p, more) = match outcome {
            Outcome::Problems(p, more) => (p, more),
            Outcome::Report(_) => (Vec::new(), 0),
        };
        p.push(
            Problem::file(
                "form",
                "give the reason for this import (it is kept in the audit trail)",
            )
            .to_string(),
        );
        outcome = Outcome::Problems(p, more);
    }
    let _ = crate::accounts::log_event(
        &state.registry,
        state.clock.now(),
        Some(&user.username),
        "import_checked",
        Some(&format!(
            "{}: {}",
            names.join(", "),
            match &outcome {
                Outcome::Report(r) => format!("{} change(s) found", r.changes()),
                Outcome::Problems(p, more) => format!("refused, {} problem(s)", p.len() + more),
            }
        )),
        Some(&client),
    )
    .await;
    match outcome {
        Outcome::Problems(p, more) => {
            let body = html! {
                h1 { "Import files" }
                (problems_list(&p, more))
                (upload_form(&session, &reason))
            };
            Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, body, &session))
        }
        Outcome::Report(r) => {
            let token = crate::session::random_token();
            state.uploads.put(Upload {
                token: token.clone(),
                session: session.token_hash.clone(),
                what,
                reason,
                at: state.clock.now(),
            });
            let body = html! {
                h1 { "Check of the import" }
                p role="status" { "No problem found in " (names.join(", ")) ". Importing would make "
                    strong { (r.changes()) " change(s)" } "; nothing is imported yet." }
                (report_table(&r, true))
                form method="post" action="/import/confirm" class="record" {
                    (csrf_field(&session))
                    input type="hidden" name="upload" value=(token);
                    div class="actions" {
                        button type="submit" accesskey="s" autofocus { "Import these changes" }
                        a href="/import" { "Cancel" }
                    }
                }
            };
            Ok(
                Html(page("Check of the import", &session, Nav::Patients, body).into_string())
                    .into_response(),
            )
        }
    }
}

fn too_large() -> AppError {
    AppError::TooLarge(format!(
        "the upload is larger than the limit of {}: nothing was imported",
        limit_text()
    ))
}

/// `POST /import/confirm`: imports the checked files (checked again).
pub async fn confirm(
    State(state): State<Shared>,
    PageUser(session): PageUser,
    Client(client): Client,
    Form(fields): Form<Vec<(String, String)>>,
) -> PageResult<Response> {
    let user = &session.user;
    if !may_import(user) {
        return Err(forbidden(user).into());
    }
    let token = fields
        .iter()
        .find(|(k, _)| k == "upload")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let Some(upload) = state
        .uploads
        .take(&session.token_hash, token, state.clock.now())
    else {
        return Err(AppError::NotFound(
            "no checked upload to import: it was imported already, it expired (a checked upload waits 30 minutes), you logged out, or the server restarted (checked uploads wait in the server's memory, not in the registry); nothing was imported from it: upload the files again"
                .into(),
        )
        .into());
    };
    let names = upload.what.names();
    let outcome = run(&state, user, &upload.what, &upload.reason, false).await?;
    let _ = crate::accounts::log_event(
        &state.registry,
        state.clock.now(),
        Some(&user.username),
        "import",
        Some(&format!(
            "{}: {}",
            names.join(", "),
            match &outcome {
                Outcome::Report(r) => format!("{} change(s) imported", r.changes()),
                Outcome::Problems(p, more) => format!("refused, {} problem(s)", p.len() + more),
            }
        )),
        Some(&client),
    )
    .await;
    match outcome {
        Outcome::Problems(p, more) => {
            let body = html! {
                h1 { "Import files" }
                (problems_list(&p, more))
                (upload_form(&session, &upload.reason))
            };
            Ok(refused(StatusCode::UNPROCESSABLE_ENTITY, body, &session))
        }
        Outcome::Report(r) => {
            let body = html! {
                h1 { "Imported" }
                p role="status" { (r.changes()) " change(s) imported from " (names.join(", ")) ", with " (r.import.audit_entries) " audit entries." }
                (report_table(&r, false))
                p { a href="/patients" { "To the patients" } }
            };
            Ok(Html(page("Imported", &session, Nav::Patients, body).into_string()).into_response())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_must_be_bundle_files_once() {
        let p = bundle_of(&[
            (
                "patients.csv".into(),
                b"patient,site,sex,vital_status\n".to_vec(),
            ),
            ("patients.csv".into(), b"patient\n".to_vec()),
            ("notes.txt".into(), b"x".to_vec()),
        ])
        .unwrap_err();
        let text: Vec<String> = p.list.iter().map(|x| x.to_string()).collect();
        assert!(
            text.iter().any(|t| t.contains("uploaded twice")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.starts_with("notes.txt: not a bundle file"))
        );
        assert!(bundle_of(&[]).is_err());
    }
}
