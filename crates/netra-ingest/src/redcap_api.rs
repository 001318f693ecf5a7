//! The REDCap API as a source: the project's metadata (its data
//! dictionary) and its records, fetched the way REDCap's API serves them —
//! `POST` to the API URL with a form body holding the token,
//! `content=metadata` and `content=record` (`format=csv`, `type=flat`,
//! `rawOrLabel=raw`) — and then converted exactly as the file exports are
//! ([`crate::redcap::convert`]).
//!
//! Why these rules:
//! * the **token** is a password to the project's identified data: it is
//!   read from a file (never the command line, where `ps` and shell history
//!   show it), held in a [`Token`] whose `Debug` is redacted, sent only in
//!   the request body, and cut out of any server text an error quotes;
//! * **HTTPS** (rustls, Mozilla's root certificates) is the rule; plain
//!   `http://` only to this machine (loopback: a test server, a tunnel) or
//!   with an explicit `allow_http`, since the token would cross the network
//!   in clear;
//! * errors say what happened in REDCap's terms: the token refused
//!   (401/403, with REDCap's own message), a body that is not CSV (an HTML
//!   login page, a JSON error), no answer within the timeout.

use std::fmt;
use std::io::Read;
use std::time::Duration;

/// An API token, read from a file. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    /// The token in the text of a token file (surrounding whitespace and a
    /// final newline ignored). `origin` names the file in messages; the
    /// token itself never appears in one.
    pub fn from_text(text: &str, origin: &str) -> Result<Token, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err(format!("{origin}: the token file is empty"));
        }
        if !t.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!(
                "{origin}: not a REDCap API token (one line of letters and digits, as REDCap shows it on the project's API page)"
            ));
        }
        Ok(Token(t.to_string()))
    }
}

/// Where and how to reach the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    /// The API URL (`https://redcap.example.org/api/`).
    pub url: String,
    /// Allow plain `http://` to a host other than this machine.
    pub allow_http: bool,
    /// The longest wait for each request, whole answer included.
    pub timeout: Duration,
}

/// The two exports the API returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exports {
    /// `content=metadata` (the data dictionary, API column names).
    pub metadata: Vec<u8>,
    /// `content=record` (flat CSV, raw codes).
    pub records: Vec<u8>,
}

/// Why the API gave no exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// The URL is not one to send a token to.
    Url(String),
    /// REDCap refused the token (401, 403).
    Refused {
        /// HTTP status.
        status: u16,
        /// REDCap's message, token cut out.
        message: String,
    },
    /// Another HTTP error status.
    Status {
        /// Which export (`metadata`, `records`).
        what: &'static str,
        /// HTTP status.
        status: u16,
        /// The start of the answer, token cut out.
        message: String,
    },
    /// The answer is not CSV.
    NotCsv {
        /// Which export.
        what: &'static str,
        /// What it looks like instead, with its start.
        found: String,
    },
    /// No (complete) answer within the timeout.
    Timeout {
        /// Which export.
        what: &'static str,
        /// The timeout in seconds.
        seconds: u64,
    },
    /// The connection failed (DNS, refused, TLS).
    Transport {
        /// Which export.
        what: &'static str,
        /// The client's reason.
        reason: String,
    },
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Url(m) => write!(f, "{m}"),
            ApiError::Refused { status, message } => write!(
                f,
                "the REDCap API refused the token (HTTP {status}: {message}); check the token file and the token's API rights in REDCap (export)"
            ),
            ApiError::Status {
                what,
                status,
                message,
            } => write!(
                f,
                "the REDCap API answered the {what} request with HTTP {status}: {message}"
            ),
            ApiError::NotCsv { what, found } => write!(
                f,
                "the REDCap API's answer to the {what} request is not CSV ({found}); is the URL the project's API URL (ending in /api/)?"
            ),
            ApiError::Timeout { what, seconds } => write!(
                f,
                "the REDCap API did not answer the {what} request within {seconds} s (--timeout)"
            ),
            ApiError::Transport { what, reason } => {
                write!(
                    f,
                    "cannot reach the REDCap API for the {what} request: {reason}"
                )
            }
        }
    }
}

impl std::error::Error for ApiError {}

/// The host of an `http(s)://host[:port]/…` URL (IPv6 without brackets).
fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

/// True for a name or address of this machine.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Checks that the token may be sent to `api.url`.
pub fn check_url(api: &Api) -> Result<(), ApiError> {
    let url = api.url.trim();
    let lower = url.to_ascii_lowercase();
    let (secure, rest) = if let Some(r) = lower.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = lower.strip_prefix("http://") {
        (false, r)
    } else {
        return Err(ApiError::Url(format!(
            "the REDCap API URL must start with https:// (value '{url}')"
        )));
    };
    let host = host_of(rest);
    if host.is_empty() {
        return Err(ApiError::Url(format!(
            "the REDCap API URL has no host (value '{url}')"
        )));
    }
    if !secure && !is_loopback(host) && !api.allow_http {
        return Err(ApiError::Url(format!(
            "plain http:// would send the API token in clear to {host}: use https://, or --allow-http if the network is trusted"
        )));
    }
    Ok(())
}

fn agent(api: &Api) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(api.timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

/// Fetches the metadata and the records.
pub fn fetch(api: &Api, token: &Token) -> Result<Exports, ApiError> {
    let metadata = fetch_metadata(api, token)?;
    let records = fetch_records(api, token)?;
    Ok(Exports { metadata, records })
}

/// Fetches the metadata (the data dictionary, `content=metadata`).
pub fn fetch_metadata(api: &Api, token: &Token) -> Result<Vec<u8>, ApiError> {
    check_url(api)?;
    post(
        &agent(api),
        api,
        token,
        "metadata",
        &[
            ("content", "metadata"),
            ("format", "csv"),
            ("returnFormat", "csv"),
        ],
    )
}

/// Fetches the records (`content=record`, flat CSV, raw codes).
pub fn fetch_records(api: &Api, token: &Token) -> Result<Vec<u8>, ApiError> {
    check_url(api)?;
    post(
        &agent(api),
        api,
        token,
        "records",
        &[
            ("content", "record"),
            ("format", "csv"),
            ("type", "flat"),
            ("rawOrLabel", "raw"),
            ("rawOrLabelHeaders", "raw"),
            ("exportCheckboxLabel", "false"),
            ("returnFormat", "csv"),
        ],
    )
}

/// Server text fit for a message: the token cut out, one line, short.
fn quote(body: &[u8], token: &Token) -> String {
    let text = String::from_utf8_lossy(body).replace(&token.0, "…");
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one.chars().take(160).collect();
    if one.chars().count() > 160 {
        out.push('…');
    }
    // REDCap's JSON errors: {"error":"You do not have permissions …"}.
    if let Some(start) = out.find("\"error\":\"") {
        let rest = &out[start + 9..];
        if let Some(end) = rest.find('"') {
            return rest[..end].to_string();
        }
    }
    out
}

fn post(
    agent: &ureq::Agent,
    api: &Api,
    token: &Token,
    what: &'static str,
    fields: &[(&str, &str)],
) -> Result<Vec<u8>, ApiError> {
    let mut form: Vec<(&str, &str)> = vec![("token", token.0.as_str())];
    form.extend_from_slice(fields);
    let failed = |e: ureq::Error| match e {
        ureq::Error::Timeout(_) => ApiError::Timeout {
            what,
            seconds: api.timeout.as_secs().max(1),
        },
        other => ApiError::Transport {
            what,
            reason: other.to_string().replace(&token.0, "…"),
        },
    };
    let mut resp = agent
        .post(api.url.trim())
        .header("Accept", "text/csv")
        .send_form(form)
        .map_err(failed)?;
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mut body = Vec::new();
    resp.body_mut()
        .as_reader()
        .read_to_end(&mut body)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::TimedOut => ApiError::Timeout {
                what,
                seconds: api.timeout.as_secs().max(1),
            },
            _ => ApiError::Transport {
                what,
                reason: e.to_string(),
            },
        })?;
    if status == 401 || status == 403 {
        return Err(ApiError::Refused {
            status,
            message: quote(&body, token),
        });
    }
    if !(200..300).contains(&status) {
        return Err(ApiError::Status {
            what,
            status,
            message: quote(&body, token),
        });
    }
    // The first byte that is not blank or part of a byte-order mark.
    let start = body
        .iter()
        .copied()
        .find(|b| !(b.is_ascii_whitespace() || matches!(*b, 0xef | 0xbb | 0xbf)));
    let looks = if content_type.contains("html") || start == Some(b'<') {
        Some("an HTML page")
    } else if content_type.contains("json") || matches!(start, Some(b'{') | Some(b'[')) {
        Some("JSON")
    } else if content_type.contains("xml") {
        Some("XML")
    } else {
        None
    };
    if let Some(kind) = looks {
        return Err(ApiError::NotCsv {
            what,
            found: format!("{kind}: {}", quote(&body, token)),
        });
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::NotCsv {
            what,
            found: "an empty answer".into(),
        });
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(url: &str, allow_http: bool) -> Api {
        Api {
            url: url.into(),
            allow_http,
            timeout: Duration::from_secs(5),
        }
    }

    #[test]
    fn the_token_goes_over_https_or_to_this_machine_only() {
        assert!(check_url(&api("https://redcap.example.org/api/", false)).is_ok());
        assert!(check_url(&api("http://127.0.0.1:8080/api/", false)).is_ok());
        assert!(check_url(&api("http://localhost/api/", false)).is_ok());
        assert!(check_url(&api("http://[::1]:9/api/", false)).is_ok());
        let e = check_url(&api("http://redcap.example.org/api/", false)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "plain http:// would send the API token in clear to redcap.example.org: use https://, or --allow-http if the network is trusted"
        );
        assert!(check_url(&api("http://redcap.example.org/api/", true)).is_ok());
        // A user part cannot pass a remote host off as this machine.
        assert!(check_url(&api("http://127.0.0.1@evil.example/api/", false)).is_err());
        assert!(check_url(&api("ftp://x/", false)).is_err());
        assert!(check_url(&api("https:///api/", false)).is_err());
    }

    #[test]
    fn tokens_are_read_from_one_line_and_never_shown() {
        let t = Token::from_text("  ABCDEF0123456789ABCDEF0123456789\n", "token.txt").unwrap();
        assert_eq!(format!("{t:?}"), "Token(<redacted>)");
        assert!(Token::from_text("\n", "token.txt").is_err());
        let e = Token::from_text("abc def", "token.txt").unwrap_err();
        assert!(!e.contains("abc"), "{e}");
        assert_eq!(
            quote(
                br#"{"error":"You do not have permissions to use the API"}"#,
                &t
            ),
            "You do not have permissions to use the API"
        );
        assert_eq!(
            quote(b"echo ABCDEF0123456789ABCDEF0123456789 back", &t),
            "echo … back"
        );
    }
}
