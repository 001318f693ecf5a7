//! The federation end to end, as three hospitals and an analyst run it: a
//! `netra hub` and three `netra node` processes (each over its own
//! registry: two SQLite files and, when `NETRA_TEST_POSTGRES_URL` is set,
//! one PostgreSQL database) on loopback over TLS, and `netra federate`
//! runs. The federated answers equal the analysis layer's answer on the
//! pooled courses (issue 17), and each node's audit trail records the run.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use netra_analysis::analyses::run_json;
use netra_analysis::{Cohort, CohortSpec, Settings};
use netra_store::{CourseFilter, Registry};
use serde_json::{Value, json};

const NODES: [&str; 3] = ["centre-a", "centre-b", "centre-c"];
const STUDY: &str = "nets";

fn netra() -> Command {
    Command::new(env!("CARGO_BIN_EXE_netra"))
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A token file and the hub's `token_hash` line for it.
fn token(path: &Path) -> String {
    let out = run_ok(netra().args(["hub", "new-token"]).arg(path));
    out.lines()
        .find(|l| l.starts_with("token_hash"))
        .unwrap_or_else(|| panic!("no token_hash line in {out}"))
        .to_string()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The third centre's registry: a fresh PostgreSQL database of its own
/// (`netra_fed_<pid>`, so it never meets the registry tests' databases)
/// when `NETRA_TEST_POSTGRES_URL` is set, else a SQLite file.
/// `NETRA_REQUIRE_POSTGRES=1` (scripts/test.sh) makes a missing URL fail.
struct PgNode {
    admin: String,
    name: String,
}

impl PgNode {
    async fn create() -> Option<PgNode> {
        use sqlx::Executor;
        let Some(admin) = std::env::var("NETRA_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            assert!(
                std::env::var("NETRA_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "NETRA_REQUIRE_POSTGRES=1 but NETRA_TEST_POSTGRES_URL is not set"
            );
            eprintln!("NETRA_TEST_POSTGRES_URL is not set: every centre runs on SQLite");
            return None;
        };
        let name = format!("netra_fed_{}", std::process::id());
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin).await.unwrap();
        pool.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str())
            .await
            .unwrap();
        pool.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        pool.close().await;
        Some(PgNode { admin, name })
    }

    /// The database's URL: the server of the admin URL, our database.
    fn url(&self) -> String {
        let (scheme, rest) = self.admin.split_once("://").unwrap();
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let host = before_query.split('/').next().unwrap_or(before_query);
        let mut url = format!("{scheme}://{host}/{}", self.name);
        if let Some(q) = query {
            url.push('?');
            url.push_str(q);
        }
        url
    }

    async fn drop_database(self) {
        use sqlx::Executor;
        let pool = sqlx::AnyPool::connect(&self.admin).await.unwrap();
        let _ = pool
            .execute(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name).as_str())
            .await;
        pool.close().await;
    }
}

/// Kills the processes when the test ends, however it ends.
struct Processes(Vec<Child>);

impl Drop for Processes {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn federate(url: &str, dir: &Path, ca: &Path, analysis: &str, request: &Value) -> Value {
    let request_file = dir.join(format!("{analysis}-request.json"));
    std::fs::write(&request_file, request.to_string()).unwrap();
    let out = netra()
        .args(["federate", analysis, "--hub", url, "--study", STUDY])
        .arg("--token-file")
        .arg(dir.join("alice.token"))
        .arg("--ca")
        .arg(ca)
        .arg("--request")
        .arg(&request_file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "federate {analysis}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Every number of `expected` is in `got` to `tol` (relative), every other
/// value equal; `got` may have more members (the `federation` notes).
/// Members named in `SKIP` are not compared (what a federation does not
/// reveal: a baseline's extremes).
fn assert_close(got: &Value, expected: &Value, tol: f64, path: &str) {
    const SKIP: [&str; 2] = ["min", "max"];
    match (got, expected) {
        (Value::Number(g), Value::Number(e)) => {
            let (g, e) = (g.as_f64().unwrap(), e.as_f64().unwrap());
            assert!(
                (g - e).abs() <= tol * e.abs().max(1.0),
                "{path}: {g} vs pooled {e}"
            );
        }
        (Value::Object(g), Value::Object(e)) => {
            for (k, ev) in e {
                if SKIP.contains(&k.as_str()) {
                    continue;
                }
                let gv = g.get(k).unwrap_or_else(|| panic!("{path}.{k} missing"));
                assert_close(gv, ev, tol, &format!("{path}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(e)) => {
            assert_eq!(g.len(), e.len(), "{path}: lengths");
            for (i, (gv, ev)) in g.iter().zip(e).enumerate() {
                assert_close(gv, ev, tol, &format!("{path}[{i}]"));
            }
        }
        (g, e) => assert_eq!(g, e, "{path}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_hospitals_get_the_pooled_answer_over_tls() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let pki = netra_hub::testing::certificates(dir, "federate");
    let (ca, cert, key) = (pki.ca, pki.cert, pki.key);
    let port = free_port();
    let url = format!("https://127.0.0.1:{port}");

    // The three registries: simulated centres with their own patients;
    // the third on PostgreSQL when a server is given.
    let pg = PgNode::create().await;
    let mut registries: Vec<String> = Vec::new();
    let mut node_hashes = Vec::new();
    for (i, node) in NODES.iter().enumerate() {
        let base = dir.join(node);
        std::fs::create_dir_all(&base).unwrap();
        let bundle = base.join("bundle");
        run_ok(
            netra()
                .args(["simulate", "--quiet", "--patients", "120", "--study"])
                .arg(format!("c{i}"))
                .args(["--seed", &(i + 11).to_string(), "--out"])
                .arg(&bundle),
        );
        let db = match (&pg, i) {
            (Some(pg), 2) => pg.url(),
            _ => base.join("registry.db").display().to_string(),
        };
        run_ok(netra().args(["init", "--db"]).arg(&db));
        run_ok(
            netra()
                .arg("import")
                .arg(&bundle)
                .args(["--user", "data-manager", "--db"])
                .arg(&db),
        );
        node_hashes.push(token(&base.join("token")));
        let policy = format!(
            "name = {node:?}\nhub = {url:?}\ntrusted_hubs = [{url:?}]\n\
             token_file = {:?}\nca_file = {:?}\nregistry = {:?}\nqueue_dir = {:?}\n\
             studies = [{STUDY:?}]\nanalyses = [\"survival\", \"cox\", \"baseline\"]\n\
             manual_approval = false\npoll_wait_secs = 1\n[analysis]\n\
             variables = [\"*\"]\nmin_cell = 3\n",
            base.join("token"),
            ca,
            db,
            base.join("queue"),
        );
        std::fs::write(base.join("node.toml"), policy).unwrap();
        registries.push(db);
    }
    let analyst_hash = token(&dir.join("alice.token"));
    let mut hub = format!(
        "listen = \"127.0.0.1:{port}\"\ncert = {cert:?}\nkey = {key:?}\n\
         round_timeout_secs = 60\napproval_timeout_secs = 60\ndown_after_secs = 30\n\
         poll_wait_secs = 1\n"
    );
    for (node, hash) in NODES.iter().zip(&node_hashes) {
        hub += &format!("[[node]]\nname = {node:?}\n{hash}\n");
    }
    hub += &format!(
        "[[analyst]]\nname = \"alice\"\n{analyst_hash}\n[[study]]\nname = {STUDY:?}\n\
         nodes = [\"centre-a\", \"centre-b\", \"centre-c\"]\nanalysts = [\"alice\"]\n"
    );
    std::fs::write(dir.join("hub.toml"), hub).unwrap();

    let mut processes = Processes(Vec::new());
    let quiet = |c: &mut Command| {
        c.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    };
    let mut hub_cmd = netra();
    hub_cmd.args(["hub", "--config"]).arg(dir.join("hub.toml"));
    quiet(&mut hub_cmd);
    processes.0.push(hub_cmd.spawn().unwrap());
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the hub did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for node in NODES {
        let mut c = netra();
        c.args(["node", "--config"])
            .arg(dir.join(node).join("node.toml"));
        quiet(&mut c);
        processes.0.push(c.spawn().unwrap());
    }

    // The pooled answer: the layer on every centre's courses at once.
    let mut all = Vec::new();
    for db in &registries {
        let registry = Registry::open_url(db).await.unwrap();
        all.extend(registry.courses(&CourseFilter::default()).await.unwrap());
        registry.close().await;
    }
    let cohort = Cohort::new(all, &CohortSpec::default(), Settings::default()).unwrap();

    let survival = json!({ "by": "sex" });
    let got = federate(&url, dir, &ca, "survival", &survival);
    let pooled = run_json(&cohort, "survival", survival).unwrap();
    assert_close(&got, &pooled, 1e-9, "survival");
    assert_eq!(got["federation"]["nodes"].as_array().map(Vec::len), Some(3));

    let cox = json!({ "terms": ["age_at_diagnosis", "sex"] });
    let got = federate(&url, dir, &ca, "cox", &cox);
    let pooled = run_json(&cohort, "cox", cox).unwrap();
    assert_close(&got, &pooled, 1e-7, "cox");

    // The summary report: baseline, survival and Cox as three runs, one
    // JSON object and one HTML page through the report layer.
    let report_request = json!({
        "baseline": {"by": "sex", "variables": ["age_at_diagnosis", "who_grade"]},
        "survival": {},
    });
    let html = dir.join("report.html");
    let got = {
        let file = dir.join("report-request.json");
        std::fs::write(&file, report_request.to_string()).unwrap();
        let out = run_ok(
            netra()
                .args(["federate", "report", "--hub", &url, "--study", STUDY])
                .arg("--token-file")
                .arg(dir.join("alice.token"))
                .arg("--ca")
                .arg(&ca)
                .arg("--request")
                .arg(&file)
                .arg("--out")
                .arg(&html)
                .stdin(Stdio::null()),
        );
        serde_json::from_str::<Value>(&out).unwrap()
    };
    for part in ["baseline", "survival"] {
        let pooled = run_json(&cohort, part, report_request[part].clone()).unwrap();
        assert_close(&got[part], &pooled, 1e-9, part);
    }
    let pooled = run_json(
        &cohort,
        "cox",
        json!({"terms": ["age_at_diagnosis", "sex"]}),
    )
    .unwrap();
    assert_close(&got["cox"], &pooled, 1e-7, "report cox");
    let page = std::fs::read_to_string(&html).unwrap();
    for heading in ["Patient characteristics", "Survival", "Cox regression"] {
        assert!(page.contains(heading), "{heading} missing from the report");
    }

    // A study file whose data source is the federation: its analyses run
    // at the hub and land where a local study's would.
    let study_file = dir.join("study.toml");
    std::fs::write(
        &study_file,
        format!(
            "[study]\ntitle = \"Federated study\"\n[data]\nfederation = {{ hub = {url:?}, \
             study = {STUDY:?}, token_file = \"alice.token\", ca = {ca:?} }}\n\
             [[analysis]]\nid = \"os_by_sex\"\nname = \"survival\"\nrequest = {{ by = \"sex\" }}\n"
        ),
    )
    .unwrap();
    let study_out = dir.join("study-out");
    run_ok(
        netra()
            .arg("report")
            .arg(&study_file)
            .arg("--out")
            .arg(&study_out)
            .stdin(Stdio::null()),
    );
    let got: Value = serde_json::from_str(
        &std::fs::read_to_string(study_out.join("analyses/os_by_sex.json")).unwrap(),
    )
    .unwrap();
    let pooled = run_json(&cohort, "survival", json!({"by": "sex"})).unwrap();
    assert_close(&got, &pooled, 1e-9, "study os_by_sex");
    let manifest = std::fs::read_to_string(study_out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"federation\""), "{manifest}");

    // Each node wrote the requests and its answers to its audit trail, and
    // the chain is intact.
    drop(processes);
    for db in &registries {
        let out = run_ok(
            netra()
                .args(["audit", "log", "--table", "federation", "--db"])
                .arg(db),
        );
        assert!(out.contains("request") && out.contains("answer"), "{out}");
        run_ok(netra().args(["audit", "verify", "--db"]).arg(db));
    }
    if let Some(pg) = pg {
        pg.drop_database().await;
    }
}
