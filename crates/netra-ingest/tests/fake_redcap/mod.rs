//! A fake REDCap API for the tests: a tiny HTTP/1.1 server on 127.0.0.1
//! (a `TcpListener` and one thread) that answers `POST` form requests as
//! REDCap does — the token checked (403 with REDCap's JSON error when
//! wrong), `content=metadata` → the data dictionary as the API names its
//! columns, `content=record` with `format=csv, type=flat, rawOrLabel=raw`
//! → the records export — or misbehaves on purpose ([`Mode`]).
//! The synthetic fixtures of `tests/fixtures/redcap`; no real patients.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The token the fake project accepts.
pub const TOKEN: &str = "0123456789ABCDEF0123456789ABCDEF";

/// How the server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// As REDCap does.
    Redcap,
    /// An HTML login page with status 200 (a wrong URL behind a portal).
    Html,
    /// 401 without a body.
    Unauthorized,
    /// Never answers (until the test ends).
    Silent,
}

/// A running fake server.
pub struct Fake {
    /// `http://127.0.0.1:PORT/api/`.
    pub url: String,
    /// The form fields of every request received (token redacted to
    /// `ok`/`wrong`).
    pub requests: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

fn fixture(name: &str) -> String {
    let dir =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../netra-ingest/tests/fixtures/redcap");
    std::fs::read_to_string(dir.join(name)).unwrap()
}

/// The fixture dictionary with the API's column names (`content=metadata`
/// names them `field_name, form_name, …`).
pub fn metadata_csv() -> String {
    let d = fixture("dictionary.csv");
    let (header, rest) = d.split_once('\n').unwrap();
    let api = header
        .replace("\"Variable / Field Name\"", "field_name")
        .replace("Variable / Field Name", "field_name")
        .replace("\"Form Name\"", "form_name")
        .replace("Form Name", "form_name")
        .replace("\"Section Header\"", "section_header")
        .replace("Section Header", "section_header")
        .replace("\"Field Type\"", "field_type")
        .replace("Field Type", "field_type")
        .replace("\"Field Label\"", "field_label")
        .replace("Field Label", "field_label")
        .replace(
            "\"Choices, Calculations, OR Slider Labels\"",
            "select_choices_or_calculations",
        )
        .replace(
            "\"Text Validation Type OR Show Slider Number\"",
            "text_validation_type_or_show_slider_number",
        )
        .replace(
            "Text Validation Type OR Show Slider Number",
            "text_validation_type_or_show_slider_number",
        )
        .replace("\"Required Field?\"", "required_field")
        .replace("Required Field?", "required_field");
    format!("{api}\n{rest}")
}

/// The fixture records export.
pub fn records_csv() -> String {
    fixture("records.csv")
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("00");
                out.push(u8::from_str_radix(h, 16).unwrap_or(b'?'));
                i += 2;
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn form(body: &str) -> HashMap<String, String> {
    body.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn answer(stream: &mut TcpStream, status: &str, content_type: &str, body: &str) {
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

fn serve(mut stream: TcpStream, mode: Mode, log: &Mutex<Vec<HashMap<String, String>>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0u8; length];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let mut fields = form(&String::from_utf8_lossy(&body));
    let token_ok = fields.get("token").map(String::as_str) == Some(TOKEN);
    fields.insert("token".into(), if token_ok { "ok" } else { "wrong" }.into());
    log.lock().unwrap().push(fields.clone());
    if !request_line.starts_with("POST ") {
        return answer(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            "POST only",
        );
    }
    match mode {
        Mode::Silent => {
            std::thread::sleep(Duration::from_secs(30));
            return;
        }
        Mode::Html => {
            return answer(
                &mut stream,
                "200 OK",
                "text/html; charset=utf-8",
                "<!DOCTYPE html><html><body>Please log in</body></html>",
            );
        }
        Mode::Unauthorized => return answer(&mut stream, "401 Unauthorized", "text/plain", ""),
        Mode::Redcap => {}
    }
    if !token_ok {
        return answer(
            &mut stream,
            "403 Forbidden",
            "application/json",
            r#"{"error":"You do not have permissions to use the API"}"#,
        );
    }
    let get = |k: &str| fields.get(k).map(String::as_str);
    match get("content") {
        Some("metadata") if get("format") == Some("csv") => answer(
            &mut stream,
            "200 OK",
            "text/csv; charset=utf-8",
            &metadata_csv(),
        ),
        Some("record")
            if get("format") == Some("csv")
                && get("type") == Some("flat")
                && get("rawOrLabel") == Some("raw") =>
        {
            answer(
                &mut stream,
                "200 OK",
                "text/csv; charset=utf-8",
                &records_csv(),
            )
        }
        _ => answer(
            &mut stream,
            "400 Bad Request",
            "application/json",
            r#"{"error":"The value of the parameter \"content\" is not valid"}"#,
        ),
    }
}

/// Starts a fake server in `mode` on a free loopback port.
pub fn start(mode: Mode) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let log = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let log = log.clone();
            std::thread::spawn(move || serve(stream, mode, &log));
        }
    });
    Fake {
        url: format!("http://127.0.0.1:{port}/api/"),
        requests,
    }
}
