//! The REDCap API as a source, against a fake REDCap on 127.0.0.1
//! (`fake_redcap`): what it returns converts to exactly the rows of the
//! file exports; a wrong token, a 401, an HTML page and a server that never
//! answers are clear errors that never show the token.

mod fake_redcap;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fake_redcap::{Mode, TOKEN, start};
use netra_ingest::redcap::{Input, convert};
use netra_ingest::redcap_api::{Api, ApiError, Token, fetch};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/redcap")
            .join(name),
    )
    .unwrap()
}

fn api(url: &str, seconds: u64) -> Api {
    Api {
        url: url.into(),
        allow_http: false,
        timeout: Duration::from_secs(seconds),
    }
}

fn token(t: &str) -> Token {
    Token::from_text(t, "token.txt").unwrap()
}

fn converted(dictionary: &[u8], records: &[u8]) -> netra_ingest::Converted {
    let mapping = fixture("mapping.toml");
    convert(
        Input {
            name: "dictionary",
            bytes: dictionary,
        },
        Input {
            name: "records",
            bytes: records,
        },
        Input {
            name: "mapping.toml",
            bytes: &mapping,
        },
    )
    .unwrap()
}

#[test]
fn the_api_exports_convert_to_the_rows_of_the_file_exports() {
    let fake = start(Mode::Redcap);
    let got = fetch(&api(&fake.url, 10), &token(TOKEN)).unwrap();
    assert_eq!(got.records, fixture("records.csv"));
    assert!(got.metadata.starts_with(b"field_name,form_name,"));
    let from_api = converted(&got.metadata, &got.records);
    let from_files = converted(&fixture("dictionary.csv"), &fixture("records.csv"));
    assert_eq!(from_api.tables, from_files.tables);
    let requests = fake.requests.lock().unwrap();
    let field = |i: usize, k: &str| requests[i].get(k).cloned().unwrap_or_default();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        (field(0, "content"), field(0, "format"), field(0, "token")),
        ("metadata".into(), "csv".into(), "ok".into())
    );
    assert_eq!(
        (
            field(1, "content"),
            field(1, "format"),
            field(1, "type"),
            field(1, "rawOrLabel"),
            field(1, "token")
        ),
        (
            "record".into(),
            "csv".into(),
            "flat".into(),
            "raw".into(),
            "ok".into()
        )
    );
}

#[test]
fn a_wrong_token_is_refused_with_redcaps_message_and_never_shown() {
    let fake = start(Mode::Redcap);
    let wrong = "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF";
    let e = fetch(&api(&fake.url, 10), &token(wrong)).unwrap_err();
    assert_eq!(
        e,
        ApiError::Refused {
            status: 403,
            message: "You do not have permissions to use the API".into()
        }
    );
    let text = e.to_string();
    assert!(text.starts_with("the REDCap API refused the token (HTTP 403: You do not have permissions to use the API)"), "{text}");
    assert!(!text.contains(wrong) && !format!("{e:?}").contains(wrong));
    let fake = start(Mode::Unauthorized);
    let e = fetch(&api(&fake.url, 10), &token(TOKEN)).unwrap_err();
    assert!(matches!(e, ApiError::Refused { status: 401, .. }), "{e}");
}

#[test]
fn an_answer_that_is_not_csv_is_named() {
    let fake = start(Mode::Html);
    let e = fetch(&api(&fake.url, 10), &token(TOKEN)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the REDCap API's answer to the metadata request is not CSV (an HTML page: <!DOCTYPE html><html><body>Please log in</body></html>); is the URL the project's API URL (ending in /api/)?"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let fake = start(Mode::Silent);
    let t0 = Instant::now();
    let e = fetch(&api(&fake.url, 1), &token(TOKEN)).unwrap_err();
    assert_eq!(
        e,
        ApiError::Timeout {
            what: "metadata",
            seconds: 1
        }
    );
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
}

#[test]
fn nothing_is_sent_over_plain_http_to_another_machine() {
    // 192.0.2.1 (TEST-NET-1) would not answer; the request must not even start.
    let t0 = Instant::now();
    let e = fetch(&api("http://192.0.2.1/api/", 30), &token(TOKEN)).unwrap_err();
    assert!(matches!(e, ApiError::Url(_)), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(1));
}
