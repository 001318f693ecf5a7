//! One analysis layer: the web JSON API and a study file ask the same code
//! and get the same numbers (issue 12). On a simulated registry: overall
//! survival by WHO grade (n, events, median with its CI, 3-year rate,
//! log-rank), line-1 TTP median, line-1 ORR/DCR, and a Cox model.

mod common;

use common::*;
use serde_json::Value;

const STUDY: &str = r#"
[study]
title = "Cross-surface check"
landmarks = [36]

[[endpoint]]
name = "os"
type = "os"
from = "diagnosis"

[[endpoint]]
name = "ttp1"
type = "ttp"
from = "line:1"

[[table]]
name = "os_grade"
type = "km"
endpoint = "os"
by = "who_grade"

[[table]]
name = "ttp1_all"
type = "survival"
endpoint = "ttp1"
characteristics = []

[[table]]
name = "response1"
type = "response"
response = "line:1"

[[table]]
name = "cox_os"
type = "cox"
endpoint = "os"
multivariate = ["who_grade"]
"#;

/// Runs study-file text on the test registry; its `summary.json`.
async fn run_study(t: &TestApp, name: &str, text: &str) -> Value {
    let netra_store::Location::Sqlite(db) = &t.location else {
        panic!("sqlite test registry")
    };
    let study = t.dir.path().join(format!("{name}.toml"));
    std::fs::write(&study, text).unwrap();
    let out = t.dir.path().join(format!("out-{name}"));
    let opts = netra_study::RunOptions {
        db: Some(db.display().to_string()),
        png: false,
        ..netra_study::RunOptions::default()
    };
    let (study2, out2) = (study.clone(), out.clone());
    tokio::task::spawn_blocking(move || netra_study::run(&study2, &out2, &opts))
        .await
        .unwrap()
        .expect("study runs");
    serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap()
}

/// Equal up to the last bits (the two surfaces may sum in another order).
#[track_caller]
fn same(what: &str, a: &Value, b: &Value) {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => assert!(
            (x - y).abs() <= 1e-12 * x.abs().max(y.abs()).max(1e-300),
            "{what}: {x} vs {y}"
        ),
        _ => assert_eq!(a, b, "{what}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_api_and_study_file_give_identical_numbers() {
    let t = test_app().await;
    add_simulated(&t, 400, 11).await;
    let admin = login(&t, "admin").await;
    let get = |q: &'static str| req("GET", q).cookie(&admin);
    let web_os = get("/api/analysis?endpoint=os&from=diagnosis&group=grade&landmark=36")
        .send(&t)
        .await
        .json();
    let web_ttp = get("/api/analysis?endpoint=ttp&from=line:1&landmark=36")
        .send(&t)
        .await
        .json();

    // The study file on the same registry.
    let summary = run_study(&t, "study", STUDY).await;
    let facts = &summary;

    // OS by grade: every group's n, events, median (CI), 3-year rate; the
    // log-rank test.
    let study_os = &facts["os_grade"];
    let curves = study_os["curves"].as_array().unwrap();
    let groups = web_os["groups"].as_array().unwrap();
    assert!(groups.len() >= 3, "{web_os}");
    assert_eq!(curves.len(), groups.len());
    for (c, g) in curves.iter().zip(groups) {
        assert_eq!(c["group"], g["label"], "level order and labels");
        for (sk, wk) in [
            ("n", "n"),
            ("events", "events"),
            ("median", "median"),
            ("median_lower", "median_lower"),
            ("median_upper", "median_upper"),
        ] {
            same(&format!("{} {sk}", g["label"]), &c[sk], &g[wk]);
        }
        same(
            &format!("{} 3-year rate", g["label"]),
            &c["at_times"][0]["survival"],
            &g["landmark_survival"],
        );
    }
    for k in ["chisq", "df", "p"] {
        same(
            &format!("log-rank {k}"),
            &study_os["logrank"][k],
            &web_os["logrank"][k],
        );
    }

    // Line-1 TTP median of all patients.
    let study_ttp = &facts["ttp1_all.all"];
    let web_all = &web_ttp["groups"][0];
    for k in ["n", "events", "median", "median_lower", "median_upper"] {
        same(&format!("TTP line 1 {k}"), &study_ttp[k], &web_all[k]);
    }

    // Line-1 responses: the same evaluable denominator and rates.
    let study_r = &facts["response1"];
    let web_r = &web_ttp["response"][0];
    same("evaluable", &study_r["evaluable"], &web_r["evaluable"]);
    same("ORR", &study_r["orr"], &web_r["orr"]["estimate"]);
    same("DCR", &study_r["dcr"], &web_r["dcr"]["estimate"]);
    assert!(web_r["evaluable"].as_u64().unwrap() > 20, "{web_r}");

    // The study's Cox model equals the layer's `cox` analysis run by name
    // on a cohort of the same registry's courses (what every surface asks).
    let courses = t
        .state
        .registry
        .courses(&netra_store::CourseFilter::default())
        .await
        .unwrap();
    let layer = tokio::task::spawn_blocking(move || {
        let cohort = netra_analysis::Cohort::new(
            courses,
            &netra_analysis::CohortSpec::default(),
            netra_analysis::Settings::default(),
        )
        .unwrap();
        netra_analysis::analyses::run_json(
            &cohort,
            "cox",
            serde_json::json!({
                "endpoint": {"endpoint": "os", "from": "diagnosis"},
                "terms": ["who_grade"]
            }),
        )
        .unwrap()
    })
    .await
    .unwrap();
    let cox = &facts["cox_os"];
    same("Cox n", &cox["multivariate_n"], &layer["n"]);
    same("Cox events", &cox["multivariate_events"], &layer["events"]);
    let coefs = layer["coefficients"].as_array().unwrap();
    assert!(!coefs.is_empty(), "{layer}");
    for c in coefs {
        let key = format!("who_grade={}", c["level"].as_str().unwrap());
        let m = &cox["terms"][&key]["multivariate"];
        for k in ["hr", "lower", "upper", "p"] {
            same(&format!("{key} {k}"), &m[k], &c[k]);
        }
    }
}

const STUDY_RULES: &str = r#"
[study]
title = "Cross-surface check, other rules"
landmarks = [12]

[settings]
gap_days = 60
regimen_window_days = 14
criteria = "who"
progression = "lesions"

[[endpoint]]
name = "ttp1"
type = "ttp"
from = "line:1"
censoring = "last_follow_up"
censor_at_new_therapy = true

[[table]]
name = "ttp1_grade"
type = "km"
endpoint = "ttp1"
by = "who_grade"

[[table]]
name = "response1"
type = "response"
response = "line:1"
"#;

/// The web's rule settings and endpoint options (URL parameters named as a
/// study file's `[settings]` and `[[endpoint]]` keys) give the numbers of a
/// study file with the same settings (issue 12 item 4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn web_settings_and_endpoint_options_match_a_study_files() {
    let t = test_app().await;
    add_simulated(&t, 400, 11).await;
    let admin = login(&t, "admin").await;
    let rules = "gap_days=60&regimen_window_days=14&criteria=who&progression=lesions\
                 &censoring=last_follow_up&censor_at_new_therapy=true";
    let get = |q: String| req("GET", &q).cookie(&admin);
    let web = get(format!(
        "/api/analysis?endpoint=ttp&from=line:1&group=grade&landmark=12&{rules}"
    ))
    .send(&t)
    .await
    .json();
    let web_all = get(format!(
        "/api/analysis?endpoint=ttp&from=line:1&landmark=12&{rules}"
    ))
    .send(&t)
    .await
    .json();
    let web_default = get("/api/analysis?endpoint=ttp&from=line:1&group=grade&landmark=12".into())
        .send(&t)
        .await
        .json();
    assert_eq!(web["settings"]["criteria"], "who", "{web}");
    assert_eq!(web["endpoint_options"]["censoring"], "last_follow_up");
    assert!(web_default.get("settings").is_none());

    let facts = run_study(&t, "rules", STUDY_RULES).await;

    let curves = facts["ttp1_grade"]["curves"].as_array().unwrap();
    let groups = web["groups"].as_array().unwrap();
    assert!(groups.len() >= 3, "{web}");
    assert_eq!(curves.len(), groups.len());
    let mut differs = false;
    for (i, (c, g)) in curves.iter().zip(groups).enumerate() {
        assert_eq!(c["group"], g["label"]);
        for k in ["n", "events", "median", "median_lower", "median_upper"] {
            same(&format!("{} {k}", g["label"]), &c[k], &g[k]);
            differs |= web_default["groups"][i][k] != g[k];
        }
        same(
            &format!("{} 12-month rate", g["label"]),
            &c["at_times"][0]["survival"],
            &g["landmark_survival"],
        );
    }
    for k in ["chisq", "df", "p"] {
        same(
            &format!("log-rank {k}"),
            &facts["ttp1_grade"]["logrank"][k],
            &web["logrank"][k],
        );
    }
    assert!(
        differs,
        "the settings change the numbers: {web} vs {web_default}"
    );

    let study_r = &facts["response1"];
    let web_r = &web_all["response"][0];
    same("evaluable", &study_r["evaluable"], &web_r["evaluable"]);
    same("ORR", &study_r["orr"], &web_r["orr"]["estimate"]);
    same("DCR", &study_r["dcr"], &web_r["dcr"]["estimate"]);

    // A bad setting is refused with the layer's message.
    let bad = get("/api/analysis?endpoint=os&from=diagnosis&criteria=nope".into())
        .send(&t)
        .await;
    assert_eq!(bad.status, 400);
}
