//! Every registered analysis on every surface, through the real binary:
//! on one simulated registry, each analysis of the layer's registry
//! (`netra_analysis::analyses::registry`) runs its example request (the
//! default, where the default names something to analyse) through
//! `netra analyse NAME --json`, the web API of `netra serve`
//! (`POST /api/analyses/{name}`) and a study file's `[[analysis]]`
//! (`netra report`, `analyses/ID.json`), and the three outputs are the
//! same JSON. A newly registered analysis is checked without a change
//! here.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

const NETRA: &str = env!("CARGO_BIN_EXE_netra");
const PASSWORD: &str = "correct horse battery staple";

/// Kills the server when dropped (also when the test fails).
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn netra(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(NETRA)
        .args(args)
        .current_dir(dir)
        .env("NETRA_DB", dir.join("reg.db"))
        .env("USER", "test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(s.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "netra {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `netra` expecting failure; its standard error.
fn netra_fails(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(NETRA)
        .args(args)
        .current_dir(dir)
        .env("NETRA_DB", dir.join("reg.db"))
        .output()
        .unwrap();
    assert!(!out.status.success(), "netra {args:?} succeeded");
    String::from_utf8(out.stderr).unwrap()
}

/// Starts `netra serve` on a free port; the guard and `host:port`.
fn serve(dir: &Path) -> (Guard, String) {
    let mut child = Command::new(NETRA)
        .args(["serve", "--db", "reg.db", "--listen", "127.0.0.1:0"])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let guard = Guard(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("netra serve: listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    (guard, url)
}

/// One HTTP/1.1 request (connection closed after it): status, headers
/// (lower-case names) and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    ));
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    (status, headers, body)
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// A JSON value as a TOML inline value (`null`s left out: absent is the
/// default).
fn toml_value(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let fields: Vec<String> = m
                .iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| format!("{k} = {}", toml_value(x)))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Value::Array(xs) => format!(
            "[{}]",
            xs.iter().map(toml_value).collect::<Vec<_>>().join(", ")
        ),
        Value::Number(n) if n.is_f64() => {
            let t = n.to_string();
            if t.contains('.') || t.contains('e') {
                t
            } else {
                format!("{t}.0")
            }
        }
        other => other.to_string(),
    }
}

#[test]
fn every_registered_analysis_gives_one_json_on_the_cli_the_web_and_study_files() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bundle = dir.join("bundle");
    netra(
        dir,
        &[
            "simulate",
            "--patients",
            "150",
            "--seed",
            "5",
            "--quiet",
            "--out",
            bundle.to_str().unwrap(),
        ],
        None,
    );
    netra(dir, &["init"], None);
    netra(
        dir,
        &["import", bundle.to_str().unwrap(), "--reason", "test"],
        None,
    );
    netra(
        dir,
        &[
            "user",
            "add",
            "admin",
            "--role",
            "administrator",
            "--db",
            "reg.db",
        ],
        Some(&format!("{PASSWORD}\n")),
    );

    // The registry as `netra analyse --list --json` describes it.
    let list: Value =
        serde_json::from_str(&netra(dir, &["analyse", "--list", "--json"], None)).unwrap();
    let list = list.as_array().unwrap().clone();
    let names: Vec<String> = netra_analysis::analyses::registry()
        .iter()
        .map(|a| a.name().to_string())
        .collect();
    assert_eq!(
        list.iter()
            .map(|a| a["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>(),
        names
    );
    assert!(names.contains(&"sequences".to_string()), "{names:?}");

    // The CLI.
    let mut cli = Vec::new();
    for a in &list {
        let name = a["name"].as_str().unwrap();
        let file = dir.join(format!("{name}.json"));
        std::fs::write(&file, a["example_request"].to_string()).unwrap();
        let out = netra(
            dir,
            &[
                "analyse",
                name,
                "--request",
                file.to_str().unwrap(),
                "--json",
            ],
            None,
        );
        cli.push(serde_json::from_str::<Value>(&out).unwrap());
    }

    // A study file with one [[analysis]] per registered analysis.
    let mut study =
        String::from("[study]\ntitle = \"Every analysis\"\n\n[data]\ndb = \"reg.db\"\n");
    for a in &list {
        let name = a["name"].as_str().unwrap();
        study.push_str(&format!(
            "\n[[analysis]]\nname = \"{name}\"\nid = \"{name}_1\"\nrequest = {}\n",
            toml_value(&a["example_request"])
        ));
    }
    std::fs::write(dir.join("study.toml"), &study).unwrap();
    netra(
        dir,
        &["report", "study.toml", "--out", "out", "--no-png"],
        None,
    );
    let report = std::fs::read_to_string(dir.join("out/report.html")).unwrap();

    // The web API.
    let (_server, addr) = serve(dir);
    let login = json!({"username": "admin", "password": PASSWORD}).to_string();
    let (status, headers, body) = http(&addr, "POST", "/api/login", &[], &login);
    assert_eq!(status, 200, "{body}");
    let cookie = headers
        .iter()
        .find(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap().to_string())
        .unwrap();
    let csrf = serde_json::from_str::<Value>(&body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, body) = http(&addr, "GET", "/api/analyses", &[("Cookie", &cookie)], "");
    assert_eq!(status, 200, "{body}");
    let web_list: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(web_list["analyses"].as_array().unwrap().len(), list.len());

    for (a, cli_out) in list.iter().zip(&cli) {
        let name = a["name"].as_str().unwrap();
        let path = format!("/api/analyses/{name}");
        let req = a["example_request"].to_string();
        // Without the CSRF token the POST is refused, as every API POST.
        let (status, _, _) = http(&addr, "POST", &path, &[("Cookie", &cookie)], &req);
        assert_eq!(status, 403, "{name} without CSRF token");
        let (status, _, body) = http(
            &addr,
            "POST",
            &path,
            &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
            &req,
        );
        assert_eq!(status, 200, "{name}: {body}");
        let web: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(&web["output"], cli_out, "{name}: web vs CLI");
        let file = dir.join(format!("out/analyses/{name}_1.json"));
        let study_out: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        assert_eq!(&study_out, cli_out, "{name}: study file vs CLI");
        assert!(
            cli_out.as_object().is_some_and(|o| !o.is_empty()),
            "{name}: empty output"
        );
        assert!(
            report.contains(&format!("{name}_1 ({name})")),
            "{name}: not in the report"
        );
    }

    // Misspellings name the nearest on every surface.
    let e = netra_fails(dir, &["analyse", "survivl", "--json"]);
    assert!(e.contains("did you mean 'survival'"), "{e}");
    let e = netra_fails(dir, &["analyse", "cox", "--set", "term=[\"sex\"]"]);
    assert!(e.contains("did you mean 'terms'"), "{e}");
    let (status, _, body) = http(
        &addr,
        "POST",
        "/api/analyses/cox",
        &[("Cookie", &cookie), ("X-CSRF-Token", &csrf)],
        "{\"term\": [\"sex\"]}",
    );
    assert_eq!(status, 400);
    assert!(body.contains("did you mean 'terms'"), "{body}");
    std::fs::write(
        dir.join("bad.toml"),
        "[study]\ntitle = \"t\"\n\n[[analysis]]\nname = \"coxx\"\nid = \"a\"\n",
    )
    .unwrap();
    let e = netra_fails(dir, &["report", "bad.toml", "--out", "bad"]);
    assert!(
        e.contains("did you mean 'cox'") && e.contains("line 5"),
        "{e}"
    );

    // --set lays fields over the defaults: survival by grade has groups.
    let out: Value = serde_json::from_str(&netra(
        dir,
        &[
            "analyse",
            "survival",
            "--set",
            "by=who_grade",
            "--set",
            "landmarks=[36]",
            "--json",
        ],
        None,
    ))
    .unwrap();
    assert!(out["groups"].as_array().unwrap().len() >= 2, "{out}");
    let text = netra(dir, &["analyse", "sequences"], None);
    assert!(text.contains("reach") && text.contains("line 1"), "{text}");
}
