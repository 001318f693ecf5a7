//! The page shell: header with navigation, a skip link, the main region,
//! and the small helpers pages share. HTML is written with `maud`, which
//! escapes every interpolated value; the stylesheet and the one script are
//! static files compiled into the binary (no JavaScript build step).

use axum::http::header;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::session::{CSRF_FIELD, Session};

/// The stylesheet (`/static/netra.css`).
pub const CSS: &str = include_str!("../static/netra.css");
/// The script (`/static/netra.js`): the live RECIST preview of the lesion
/// form and a confirmation for deletions. Pages work without it.
pub const JS: &str = include_str!("../static/netra.js");

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Patients and records.
    Patients,
    /// Cohort analyses.
    Analysis,
    /// Account administration.
    Users,
    /// The user's own account.
    Account,
    /// None of them.
    None,
}

fn nav_link(href: &str, label: &str, current: bool) -> Markup {
    html! {
        @if current {
            a href=(href) aria-current="page" { (label) }
        } @else {
            a href=(href) { (label) }
        }
    }
}

/// A whole page for a logged-in user.
pub fn page(title: &str, session: &Session, nav: Nav, body: Markup) -> Markup {
    let user = &session.user;
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(session.csrf);
                title { (title) " — netra" }
                link rel="stylesheet" href="/static/netra.css";
                script src="/static/netra.js" defer {}
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" {
                    a class="brand" href="/patients" { "netra" }
                    nav aria-label="Main" {
                        (nav_link("/patients", "Patients", nav == Nav::Patients))
                        (nav_link("/analysis", "Analysis", nav == Nav::Analysis))
                        @if user.is_admin() {
                            (nav_link("/admin/users", "Users", nav == Nav::Users))
                        }
                        (nav_link("/account", "Account", nav == Nav::Account))
                    }
                    div class="who" {
                        span { (user.shown_name()) " · " (user.role.label())
                            @if !user.sites.is_empty() { " · " (user.sites.join(", ")) } }
                        form method="post" action="/logout" class="inline" {
                            (csrf_field(session))
                            button type="submit" class="link" { "Log out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    (body)
                }
            }
        }
    }
}

/// A page without navigation (login, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — netra" }
                link rel="stylesheet" href="/static/netra.css";
            }
            body {
                a class="skip" href="#main" { "Skip to content" }
                header class="top" { a class="brand" href="/patients" { "netra" } }
                main id="main" tabindex="-1" class="narrow" { (body) }
            }
        }
    }
}

/// The hidden CSRF field of a form.
pub fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(session.csrf); }
}

/// Inline SVG (produced by netra-report or this crate, which escape their
/// text), wrapped in a scrollable figure.
pub fn svg(svg: &str, label: &str) -> Markup {
    // The XML prolog, if any, is not allowed inside HTML.
    let body = match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    };
    html! {
        figure class="svg" role="img" aria-label=(label) { (PreEscaped(body)) }
    }
}

/// A status message shown after a redirect (`?saved=…`).
pub fn notice(text: &str) -> Markup {
    html! { p class="notice" role="status" { (text) } }
}

/// Serves a static file.
pub fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
