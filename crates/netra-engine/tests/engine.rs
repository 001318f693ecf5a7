//! The engine equals the in-memory path: Kaplan–Meier curves, medians,
//! landmark rates, RMST, follow-up and the log-rank test from the
//! DataFusion aggregation, and Cox fits from one aggregation per Newton
//! step, on CSV and on Parquet written by the engine — at 1e-12 relative,
//! on synthetic data and on the R fixtures of `validation/fixtures`.

mod common;

use common::{close, engine_summary, in_memory, options};
use std::path::{Path, PathBuf};

use netra_analysis::analyses::cox::table::{self as cox_table, TableCoxRequest};
use netra_analysis::analyses::survival::SurvivalOptions;
use netra_analysis::table::EventCoding;
use netra_engine::cox::{CoxSpec, model_out};
use netra_engine::survival::SurvivalSpec;
use netra_engine::{Engine, Format, Source};
use netra_frame::Frame;
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../validation/fixtures")
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A small data set with ties, missing cells, text groups, 1/2 coding.
fn sample_csv() -> String {
    let mut s = String::from("time,status,arm,w\n");
    let mut seed = 12345u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as f64 / (1u64 << 31) as f64
    };
    for i in 0..400 {
        let t = (next() * 20.0).floor() + if i % 7 == 0 { 0.5 } else { 0.0 };
        let status = if next() < 0.6 { 2 } else { 1 };
        let arm = ["B", "a", "C ", "A"][i % 4];
        let w = 0.5 + (next() * 4.0).floor() * 0.25;
        let t = if i == 13 {
            "NA".to_string()
        } else {
            t.to_string()
        };
        let arm = if i == 21 { "" } else { arm };
        s.push_str(&format!("{t},{status},{arm},{w}\n"));
    }
    s
}

#[test]
fn km_logrank_follow_up_equal_the_in_memory_path_on_csv_and_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "d.csv", &sample_csv());
    let engine = Engine::new(3).unwrap();
    let parquet = dir.path().join("d_parquet");
    let written = engine.csv_to_parquet(&csv, &parquet, 150).unwrap();
    assert_eq!(written.rows, 400);
    assert!(written.files >= 2, "{written:?}");
    for (group, w) in [(None, None), (Some("arm"), None), (Some("arm"), Some("w"))] {
        let spec = SurvivalSpec {
            time: "time".into(),
            event: "status".into(),
            coding: EventCoding::default(),
            group: group.map(String::from),
            weights: w.map(String::from),
        };
        let expected = in_memory(&csv, &spec, &options());
        assert!(expected["n_dropped"].as_u64().unwrap() >= 1);
        for source in [Source::at(&csv), Source::at(&parquet)] {
            let got = engine_summary(&engine, &source, &spec, &options());
            close(&got, &expected, 1e-12, "summary")
                .unwrap_or_else(|e| panic!("{:?} {group:?} {w:?}: {e}", source.format));
        }
        if group.is_some() && w.is_none() {
            assert!(expected["logrank"]["chisq"].as_f64().unwrap() > 0.0);
        }
    }
    assert_eq!(Source::at(&parquet).format, Format::Parquet);
}

#[test]
fn errors_name_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "bad.csv", "t,e\n1,1\n-2,0\n");
    let engine = Engine::new(1).unwrap();
    let spec = SurvivalSpec {
        time: "t".into(),
        event: "e".into(),
        ..SurvivalSpec::default()
    };
    let e = engine.survival(&Source::at(&csv), &spec).unwrap_err();
    assert!(e.to_string().contains("negative"), "{e}");
    let spec = SurvivalSpec {
        time: "nope".into(),
        event: "e".into(),
        ..SurvivalSpec::default()
    };
    let e = engine.survival(&Source::at(&csv), &spec).unwrap_err();
    assert!(e.to_string().contains("no column 'nope'"), "{e}");
}

/// Every Kaplan–Meier fixture of R: the engine's curves equal R's steps at
/// 1e-9 and the in-memory summary at 1e-12.
#[test]
fn km_fixtures_of_r() {
    let engine = Engine::new(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures().join("km")).unwrap() {
        let path = entry.unwrap().path();
        let f: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let input = &f["input"];
        // The engine applies R's default timefix, as the in-memory path.
        if f["options"]["conf_type"] != "log" || f["options"]["timefix"] == false {
            continue;
        }
        let n = input["time"].as_array().unwrap().len();
        let mut text = String::from("time,event,group,w\n");
        for i in 0..n {
            let g = match input["group"].as_array() {
                Some(g) => {
                    let levels = input["levels"].as_array().unwrap();
                    let code = g[i].as_u64().unwrap() as usize;
                    // Level order as R printed it: prefix the code.
                    format!("{code}:{}", levels[code].as_str().unwrap())
                }
                None => "all".into(),
            };
            let w = input["weights"]
                .as_array()
                .map_or(1.0, |w| w[i].as_f64().unwrap());
            let e = if input["event"][i].as_bool().unwrap() {
                1
            } else {
                0
            };
            text.push_str(&format!("{},{e},{g},{w}\n", input["time"][i]));
        }
        let csv = write(dir.path(), "k.csv", &text);
        let spec = SurvivalSpec {
            time: "time".into(),
            event: "event".into(),
            coding: EventCoding::default(),
            group: Some("group".into()),
            weights: input["weights"].is_array().then(|| "w".to_string()),
        };
        let opts = SurvivalOptions {
            steps: true,
            ..SurvivalOptions::default()
        };
        let got = engine_summary(&engine, &Source::at(&csv), &spec, &opts);
        let expected = in_memory(&csv, &spec, &opts);
        close(&got, &expected, 1e-12, "summary")
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (g, curve) in f["curves"].as_array().unwrap().iter().enumerate() {
            let steps = &got["groups"][g]["steps"];
            let r = &curve["steps"];
            let surv: Vec<Value> = steps
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["survival"].clone())
                .collect();
            close(&Value::Array(surv), &r["survival"], 1e-9, "survival")
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        checked += 1;
    }
    assert!(checked >= 5, "{checked} fixtures");
}

fn cox_csv(columns: &serde_json::Map<String, Value>, names: &[&str]) -> String {
    let n = columns[names[0]].as_array().unwrap().len();
    let mut s = names.join(",") + "\n";
    for i in 0..n {
        let row: Vec<String> = names
            .iter()
            .map(|c| match &columns[*c][i] {
                Value::Null => "NA".to_string(),
                Value::Bool(b) => if *b { "1" } else { "0" }.to_string(),
                Value::String(t) => t.clone(),
                v => v.to_string(),
            })
            .collect();
        s.push_str(&(row.join(",") + "\n"));
    }
    s
}

/// Cox fixtures with numeric covariates (and strata, weights): the engine
/// equals `netra cox`'s in-memory fit and R.
#[test]
fn cox_fixtures_of_r() {
    let engine = Engine::new(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "pbc_efron",
        "lung_collinear",
        "lung_efron",
        "lung_breslow",
        "lung_strata_breslow",
        "lung_weights_integer",
        "lung_heavy_ties_efron",
    ] {
        let f: Value = serde_json::from_str(
            &std::fs::read_to_string(fixtures().join(format!("cox/{name}.json"))).unwrap(),
        )
        .unwrap();
        let input = &f["input"];
        let formula = input["formula"].as_str().unwrap();
        let mut columns = input["columns"].as_object().unwrap().clone();
        let mut covariates = Vec::new();
        let mut strata = None;
        for term in formula.split('+').map(str::trim) {
            if let Some(s) = term.strip_prefix("strata(") {
                strata = Some(s.trim_end_matches(')').to_string());
            } else if let Some(f) = term.strip_prefix("factor(") {
                // A numeric factor as R codes it: one 0/1 column per level
                // after the first, named as the design names it (`sex=2`).
                let f = f.trim_end_matches(')');
                let values: Vec<Option<f64>> = columns[f]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(Value::as_f64)
                    .collect();
                let mut levels: Vec<f64> = values.iter().flatten().copied().collect();
                levels.sort_by(f64::total_cmp);
                levels.dedup();
                for level in &levels[1..] {
                    let name = format!("{f}={level}");
                    let col: Vec<Value> = values
                        .iter()
                        .map(|v| match v {
                            Some(v) => Value::from(if v == level { 1 } else { 0 }),
                            None => Value::Null,
                        })
                        .collect();
                    columns.insert(name.clone(), Value::Array(col));
                    covariates.push(name);
                }
            } else {
                covariates.push(term.to_string());
            }
        }
        let time = input["time"].as_str().unwrap();
        let event = input["event"].as_str().unwrap();
        let mut names: Vec<&str> = vec![time, event];
        names.extend(covariates.iter().map(String::as_str));
        names.extend(strata.as_deref());
        names.extend(input["weights"].as_str());
        // The original columns too, for the in-memory fit of the formula.
        for c in input["columns"].as_object().unwrap().keys() {
            if !names.contains(&c.as_str()) {
                names.push(c);
            }
        }
        let csv = write(dir.path(), "c.csv", &cox_csv(&columns, &names));
        let ties = input["ties"].as_str().unwrap();
        let spec = CoxSpec {
            time: time.into(),
            event: event.into(),
            coding: EventCoding::default(),
            covariates: covariates.clone(),
            strata: strata.clone(),
            weights: input["weights"].as_str().map(String::from),
        };
        let opts = netra_stats::cox::CoxOptions {
            ties: if ties == "breslow" {
                netra_stats::cox::Ties::Breslow
            } else {
                netra_stats::cox::Ties::Efron
            },
            ..Default::default()
        };
        let parquet = dir.path().join(format!("{name}_pq"));
        engine.csv_to_parquet(&csv, &parquet, 100).unwrap();
        let req = TableCoxRequest {
            time: time.into(),
            event: Some(event.into()),
            formula: Some(formula.into()),
            ties: ties.into(),
            weights: input["weights"].as_str().map(String::from),
            robust: false,
            ..TableCoxRequest::default()
        };
        let frame = Frame::read(&csv, None).unwrap();
        let local = cox_table::fit(&frame, &req).unwrap().multivariate;
        for source in [Source::at(&csv), Source::at(&parquet)] {
            let got = engine.cox(&source, &spec, &opts).unwrap();
            let out = model_out(&got);
            let (a, b) = (
                serde_json::to_value(&out.terms).unwrap(),
                serde_json::to_value(&local.terms).unwrap(),
            );
            // The robust column: R and the in-memory fit report it with
            // non-integer weights; the partial fit is model-based only.
            let strip = |mut v: Value| {
                for t in v.as_array_mut().unwrap() {
                    t.as_object_mut().unwrap().remove("robust_se");
                }
                v
            };
            let (a, b) = (strip(a), strip(b));
            let rel = 1e-12;
            close(&a, &b, rel, "terms")
                .unwrap_or_else(|e| panic!("{name} {:?}: {e}", source.format));
            for (x, y) in [
                (out.loglik, local.loglik),
                (out.loglik_null, local.loglik_null),
                (out.lr_test.chisq, local.lr_test.chisq),
                (out.score_test.chisq, local.score_test.chisq),
            ] {
                let (x, y) = (x.unwrap(), y.unwrap());
                assert!((x - y).abs() <= rel * y.abs(), "{name}: {x} vs {y}");
            }
            assert_eq!((out.n, out.events), (local.n, local.events), "{name}");
            assert_eq!(out.n_dropped, local.n_dropped, "{name}");
            // And R, to its printed precision.
            for (t, r) in out
                .terms
                .iter()
                .zip(f["expected"]["terms"].as_array().unwrap())
            {
                if let (Some(c), Some(rc)) = (t.coef, r["coef"].as_f64()) {
                    assert!(
                        (c - rc).abs() <= 1e-6 * rc.abs().max(1e-3),
                        "{name}: {c} vs {rc}"
                    );
                }
            }
            assert!(got.passes >= 4);
        }
    }
}

#[test]
fn cox_refuses_text_covariates() {
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "t.csv", "t,e,x\n1,1,a\n2,0,b\n3,1,a\n");
    let engine = Engine::new(1).unwrap();
    let spec = CoxSpec {
        time: "t".into(),
        event: "e".into(),
        covariates: vec!["x".into()],
        ..CoxSpec::default()
    };
    let e = engine
        .cox(&Source::at(&csv), &spec, &Default::default())
        .unwrap_err();
    assert!(e.to_string().contains("not numbers"), "{e}");
}

/// Parquet whose columns are declared non-nullable (as many writers do)
/// gives the fit of the same values declared nullable: DataFusion's check
/// of the Cox passes' plans stopped on the declaration before the engine
/// read such files as nullable.
#[test]
fn cox_on_parquet_declared_non_nullable_equals_nullable() {
    use std::sync::Arc;

    use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;

    let n = 400;
    let mut seed = 77u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut time, mut status, mut x1, mut x2) = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        let (a, b) = (next(), (next() * 3.0).floor());
        time.push((1.0 + next() * 40.0 * (1.0 + a)).floor());
        status.push(i64::from(next() < 0.7));
        x1.push(a);
        x2.push(b);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(time)),
        Arc::new(Int64Array::from(status)),
        Arc::new(Float64Array::from(x1)),
        Arc::new(Float64Array::from(x2)),
    ];
    let dir = tempfile::tempdir().unwrap();
    let write = |nullable: bool| {
        let schema = Arc::new(Schema::new(vec![
            Field::new("time", DataType::Float64, nullable),
            Field::new("status", DataType::Int64, nullable),
            Field::new("x1", DataType::Float64, nullable),
            Field::new("x2", DataType::Float64, nullable),
        ]));
        let batch = RecordBatch::try_new(schema.clone(), columns.clone()).unwrap();
        let path = dir.path().join(format!("nullable_{nullable}.parquet"));
        let mut w =
            ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
        path
    };
    let (strict, loose) = (write(false), write(true));
    let engine = Engine::new(2).unwrap();
    let spec = CoxSpec {
        time: "time".into(),
        event: "status".into(),
        coding: EventCoding::default(),
        covariates: vec!["x1".into(), "x2".into()],
        strata: None,
        weights: None,
    };
    let opts = netra_stats::cox::CoxOptions::default();
    let fit = |p: &Path| {
        let got = engine.cox(&Source::at(p), &spec, &opts).unwrap();
        serde_json::to_value(model_out(&got)).unwrap()
    };
    let (a, b) = (fit(&strict), fit(&loose));
    assert!(a["terms"].as_array().is_some_and(|t| t.len() == 2), "{a}");
    close(&a, &b, 1e-12, "cox").unwrap();
}
