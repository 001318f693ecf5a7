//! `--engine ballista://HOST:PORT`: a Ballista scheduler and two executors,
//! netra's own (`netra-ballista`, which know the `dd_sum` aggregate), run
//! as child processes on loopback; Kaplan–Meier, the log-rank test and Cox
//! regression run through them on CSV and Parquet and equal, field by
//! field at 1e-12 relative, the local DataFusion engine and the in-memory
//! path. The processes are killed when the test ends (or after a time
//! limit, so a hung cluster fails the test instead of blocking CI).
#![cfg(feature = "ballista")]

mod common;

use common::{close, engine_summary, in_memory, options};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use netra_analysis::analyses::cox::table::{self as cox_table, TableCoxRequest};
use netra_analysis::table::EventCoding;
use netra_engine::cox::{CoxSpec, model_out};
use netra_engine::survival::SurvivalSpec;
use netra_engine::{Engine, Source};
use netra_frame::Frame;
use serde_json::Value;

/// The cluster's processes; killed on drop, or by the watchdog after
/// `limit` if the test has not finished.
struct Cluster {
    children: Arc<Mutex<Vec<Child>>>,
    done: Arc<AtomicBool>,
    url: String,
    work_dirs: Vec<PathBuf>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.done.store(true, Ordering::SeqCst);
        let mut children = self.children.lock().unwrap_or_else(|p| p.into_inner());
        for c in children.iter_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_ports(n: usize) -> Vec<u16> {
    // Held together so the ports differ, then released for the children.
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

fn wait_for_port(port: u16, what: &str, children: &Mutex<Vec<Child>>) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        for c in children.lock().unwrap().iter_mut() {
            if let Ok(Some(status)) = c.try_wait() {
                panic!("a cluster process exited early ({status}) while waiting for {what}");
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "{what} did not listen on port {port} within 120 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A scheduler and two executors (one task at a time each) of
/// `netra-ballista` on loopback.
fn start_cluster(dir: &Path, limit: Duration) -> Cluster {
    let bin = env!("CARGO_BIN_EXE_netra-ballista");
    let ports = free_ports(5);
    let children = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let spawn = |args: &[String]| {
        let child = Command::new(bin)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        children.lock().unwrap().push(child);
    };
    spawn(&[
        "scheduler".into(),
        "--bind".into(),
        "127.0.0.1".into(),
        "--port".into(),
        ports[0].to_string(),
    ]);
    let mut cluster = Cluster {
        children: children.clone(),
        done: done.clone(),
        url: format!("ballista://127.0.0.1:{}", ports[0]),
        work_dirs: Vec::new(),
    };
    wait_for_port(ports[0], "the scheduler", &children);
    for e in 0..2 {
        let work = dir.join(format!("executor{e}"));
        std::fs::create_dir_all(&work).unwrap();
        spawn(&[
            "executor".into(),
            "--scheduler".into(),
            format!("127.0.0.1:{}", ports[0]),
            "--bind".into(),
            "127.0.0.1".into(),
            "--port".into(),
            ports[1 + 2 * e].to_string(),
            "--grpc-port".into(),
            ports[2 + 2 * e].to_string(),
            "--concurrency".into(),
            "1".into(),
            "--work-dir".into(),
            work.display().to_string(),
        ]);
        cluster.work_dirs.push(work);
    }
    for e in 0..2 {
        wait_for_port(ports[1 + 2 * e], "an executor", &children);
    }
    // The watchdog: a hung job fails the test instead of blocking CI.
    std::thread::spawn(move || {
        let start = Instant::now();
        while !done.load(Ordering::SeqCst) {
            if start.elapsed() > limit {
                eprintln!("the Ballista test ran over {limit:?}: stopping the cluster");
                for c in children.lock().unwrap().iter_mut() {
                    let _ = c.kill();
                }
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    cluster
}

/// Ties, missing cells, text groups, fractional weights and covariates.
fn sample_csv() -> String {
    let mut s = String::from("time,status,arm,w,age,grade,site\n");
    let mut seed = 987654321u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    for i in 0..600 {
        let grade = (next() * 3.0).floor();
        let age = 40.0 + (next() * 40.0).floor() + 0.5 * (i % 2) as f64;
        let t =
            ((next() * 30.0) * (1.0 + 0.3 * grade)).floor() + if i % 7 == 0 { 0.25 } else { 0.0 };
        let status = if next() < 0.65 { 2 } else { 1 };
        let arm = ["B", "a", "C ", "A"][i % 4];
        let w = 0.5 + (next() * 4.0).floor() * 0.25;
        let site = ["north", "south"][i % 2];
        let t = if i == 13 {
            "NA".to_string()
        } else {
            t.to_string()
        };
        let arm = if i == 21 { "" } else { arm };
        let age = if i == 40 {
            "NA".to_string()
        } else {
            age.to_string()
        };
        s.push_str(&format!("{t},{status},{arm},{w},{age},{grade},{site}\n"));
    }
    s
}

/// Everything `netra cox` prints of a model, without the robust column and
/// the concordance (the partial fit is model-based and has no rows), the
/// event values read sorted (the engine lists them in its aggregation's
/// order, which depends on partitioning).
fn cox_value(out: &netra_analysis::analyses::cox::table::CoxModelOut) -> Value {
    let mut v = serde_json::to_value(out).unwrap();
    for t in v["terms"].as_array_mut().unwrap() {
        t.as_object_mut().unwrap().remove("robust_se");
    }
    v["values_read"]
        .as_array_mut()
        .unwrap()
        .sort_by_key(|e| e.to_string());
    v.as_object_mut().unwrap().remove("concordance");
    v
}

#[test]
fn km_logrank_and_cox_on_a_ballista_cluster_equal_the_local_engine_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    std::fs::write(&csv, sample_csv()).unwrap();
    let local = Engine::new(2).unwrap();
    let parquet = dir.path().join("d_parquet");
    let written = local.csv_to_parquet(&csv, &parquet, 150).unwrap();
    assert!(written.files >= 3, "{written:?}");

    let cluster = start_cluster(dir.path(), Duration::from_secs(600));
    let remote = Engine::ballista(&cluster.url, 4).unwrap();

    // Kaplan–Meier, log-rank, follow-up: every field of the summary.
    for (group, w) in [(None, None), (Some("arm"), None), (Some("arm"), Some("w"))] {
        let spec = SurvivalSpec {
            time: "time".into(),
            event: "status".into(),
            coding: EventCoding::default(),
            group: group.map(String::from),
            weights: w.map(String::from),
        };
        let expected = in_memory(&csv, &spec, &options());
        for source in [Source::at(&csv), Source::at(&parquet)] {
            let on_local = engine_summary(&local, &source, &spec, &options());
            let on_cluster = engine_summary(&remote, &source, &spec, &options());
            close(&on_cluster, &on_local, 1e-12, "summary")
                .unwrap_or_else(|e| panic!("cluster vs local {group:?} {w:?}: {e}"));
            close(&on_cluster, &expected, 1e-12, "summary")
                .unwrap_or_else(|e| panic!("cluster vs memory {group:?} {w:?}: {e}"));
        }
        if group.is_some() && w.is_none() {
            let chisq = expected["logrank"]["chisq"].as_f64().unwrap();
            assert!(chisq > 0.0, "the log-rank test was computed: {chisq}");
        }
    }

    // Cox (Efron, strata; with and without weights): every field of the
    // model. The in-memory fit uses the robust variance with non-integer
    // weights (as R does), the engine the model-based one: the weighted
    // model is held to the local engine, the unweighted one to both.
    let opts = netra_stats::cox::CoxOptions::default();
    let frame = Frame::read(&csv, None).unwrap();
    for weights in [Some("w"), None] {
        let spec = CoxSpec {
            time: "time".into(),
            event: "status".into(),
            coding: EventCoding::default(),
            covariates: vec!["age".into(), "grade".into()],
            strata: Some("site".into()),
            weights: weights.map(String::from),
        };
        let req = TableCoxRequest {
            time: "time".into(),
            event: Some("status".into()),
            formula: Some("age + grade + strata(site)".into()),
            ties: "efron".into(),
            weights: weights.map(String::from),
            robust: false,
            ..TableCoxRequest::default()
        };
        let memory = cox_value(&cox_table::fit(&frame, &req).unwrap().multivariate);
        for source in [Source::at(&csv), Source::at(&parquet)] {
            let on_local = local.cox(&source, &spec, &opts).unwrap();
            let on_cluster = remote.cox(&source, &spec, &opts).unwrap();
            assert_eq!(on_cluster.passes, on_local.passes);
            let (c, l) = (
                cox_value(&model_out(&on_cluster)),
                cox_value(&model_out(&on_local)),
            );
            close(&c, &l, 1e-12, "cox")
                .unwrap_or_else(|e| panic!("cluster vs local {weights:?}: {e}"));
            if weights.is_none() {
                // A test's p-value far in the tail (1e-19 here) carries its
                // chi-square's relative difference times chisq/2: compared
                // at 1e-10, every other field at 1e-12.
                let (mut c, mut m) = (c.clone(), memory.clone());
                for test in ["lr_test", "wald_test", "score_test"] {
                    let (p, q) = (c[test]["p"].take(), m[test]["p"].take());
                    close(&p, &q, 1e-10, test).unwrap_or_else(|e| panic!("{e}"));
                }
                // The engine names strata by value ("north"), the in-memory
                // fit as R prints them ("site=north"): a difference of the
                // DataFusion engine, not of Ballista.
                let (cs, ms) = (c["strata"].take(), m["strata"].take());
                assert_eq!(cs.as_array().map(Vec::len), ms.as_array().map(Vec::len));
                close(&c, &m, 1e-12, "cox").unwrap_or_else(|e| panic!("cluster vs memory: {e}"));
            }
            assert!(c["terms"][0]["coef"].as_f64().is_some(), "{c}");
        }
    }

    // Both executors ran tasks: each wrote shuffle output for some job.
    for work in &cluster.work_dirs {
        let jobs = std::fs::read_dir(work).unwrap().count();
        assert!(jobs > 0, "executor {} ran no task", work.display());
    }
    drop(remote);
    drop(cluster);
}

#[test]
fn a_scheduler_that_is_not_there_is_an_error() {
    let port = free_ports(1)[0];
    let engine = Engine::ballista(&format!("ballista://127.0.0.1:{port}"), 2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    std::fs::write(&csv, "t,e\n1,1\n2,0\n").unwrap();
    let spec = SurvivalSpec {
        time: "t".into(),
        event: "e".into(),
        ..SurvivalSpec::default()
    };
    let e = engine.survival(&Source::at(&csv), &spec).unwrap_err();
    assert!(!e.to_string().is_empty());
    assert!(Engine::ballista("ballista://h:x", 2).is_err());
}
