//! The layer's Cox model of a CSV table (`analyses::cox::table`, what
//! `netra cox` runs) against R's fixtures (`validation/r/cox.R`): a model
//! with a factor and dropped rows, a robust fit on (start, stop] data with
//! clusters, Fine–Gray; the serialised output's fields (the JSON contract
//! of `docs/cli-json.md`) and the request's refusals.

use std::path::PathBuf;

use netra_analysis::AnalysisError;
use netra_analysis::analyses::cox::table::{
    self, CoxTableOutput, FineGrayRequest, TableCoxRequest,
};
use netra_frame::{Frame, Numbers};
use serde_json::Value;

const REL: f64 = 1e-7;

fn fixture(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures/cox")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// The fixture's columns as a CSV frame (nulls as NA), with `extra` lines.
fn frame(fx: &Value, extra: &[&str]) -> Frame {
    let cols = fx["input"]["columns"].as_object().unwrap();
    let names: Vec<&str> = cols.keys().map(String::as_str).collect();
    let n = cols[names[0]].as_array().unwrap().len();
    let mut s = names.join(",") + "\n";
    for i in 0..n {
        let row: Vec<String> = names
            .iter()
            .map(|c| match &cols[*c][i] {
                Value::Null => "NA".into(),
                Value::String(t) => t.clone(),
                v => v.to_string(),
            })
            .collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    for e in extra {
        s.push_str(e);
        s.push('\n');
    }
    Frame::from_reader("fixture.csv", s.as_bytes(), None).unwrap()
}

fn close(a: &Value, e: &Value, what: &str) {
    match (a, e) {
        (Value::Null, Value::Null) => {}
        (a, e) => {
            let (a, e) = (a.as_f64().unwrap(), e.as_f64().unwrap());
            assert!(
                (a - e).abs() <= REL * e.abs() || (a - e).abs() < 1e-12,
                "{what}: netra {a} vs R {e}"
            );
        }
    }
}

/// Every number of R's model (terms, likelihoods, tests) in `got`.
fn same_model(got: &Value, exp: &Value, what: &str) {
    let terms = got["terms"].as_array().unwrap();
    let want = exp["terms"].as_array().unwrap();
    assert_eq!(terms.len(), want.len(), "{what}: terms");
    for (t, w) in terms.iter().zip(want) {
        assert_eq!(t["name"], w["name"], "{what}");
        for f in [
            "coef",
            "se",
            "robust_se",
            "hr",
            "hr_lower",
            "hr_upper",
            "z",
            "p",
        ] {
            close(&t[f], &w[f], &format!("{what} {} {f}", w["name"]));
        }
    }
    for f in ["loglik_null", "loglik"] {
        close(&got[f], &exp[f], &format!("{what} {f}"));
    }
    for t in ["lr_test", "wald_test", "score_test"] {
        close(&got[t]["chisq"], &exp[t]["chisq"], &format!("{what} {t}"));
        assert_eq!(got[t]["df"], exp[t]["df"], "{what} {t} df");
    }
    if !exp["robust_score_test"].is_null() {
        close(
            &got["robust_score_test"]["chisq"],
            &exp["robust_score_test"]["chisq"],
            &format!("{what} robust score"),
        );
    }
}

fn request(fx: &Value) -> TableCoxRequest {
    let i = &fx["input"];
    let text = |k: &str| i[k].as_str().map(str::to_string);
    TableCoxRequest {
        time: text("time").unwrap(),
        event: text("event"),
        formula: text("formula"),
        ties: text("ties").unwrap(),
        start: text("start"),
        weights: text("weights"),
        cluster: text("cluster"),
        conf_level: i["conf_level"].as_f64().unwrap(),
        ..TableCoxRequest::default()
    }
}

#[test]
fn a_factor_model_with_dropped_rows_and_zph_matches_r() {
    let fx = fixture("lung_efron.json");
    let cols = fx["input"]["columns"].as_object().unwrap();
    // One extra row missing age: dropped and counted under its column.
    let extra: Vec<&str> = cols
        .keys()
        .map(|k| if k == "age" { "NA" } else { "1" })
        .collect();
    let f = frame(&fx, &[&extra.join(",")]);
    let req = TableCoxRequest {
        zph: true,
        ..request(&fx)
    };
    let out = table::fit(&f, &req).unwrap();
    let m = &out.multivariate;
    assert_eq!(m.n_dropped, 1);
    assert_eq!(m.dropped_by, vec![("age".to_string(), 1)]);
    assert!(out.univariate.is_empty());
    let got = serde_json::to_value(m).unwrap();
    same_model(&got, &fx["expected"], "lung");
    assert_eq!(got["n"], fx["expected"]["n"]);
    let zph = m.zph.as_ref().unwrap();
    let want = &fx["expected"]["zph"][0];
    assert_eq!(want["transform"], "km");
    assert_eq!(zph.transform, "km");
    close(
        &serde_json::json!(zph.global.chisq),
        &want["global"]["chisq"],
        "zph global",
    );
    for (t, w) in zph.terms.iter().zip(want["terms"].as_array().unwrap()) {
        assert_eq!(t.name, w["name"].as_str().unwrap());
        close(&serde_json::json!(t.chisq), &w["chisq"], "zph term");
    }
}

#[test]
fn robust_start_stop_with_clusters_matches_r() {
    let fx = fixture("heart_cluster.json");
    let out = table::fit(&frame(&fx, &[]), &request(&fx)).unwrap();
    assert!(out.multivariate.robust);
    let got = serde_json::to_value(&out.multivariate).unwrap();
    same_model(&got, &fx["expected"], "heart cluster");
}

#[test]
fn fine_gray_matches_r() {
    let fx = fixture("finegray_mgus2_pcm.json");
    let i = &fx["input"];
    let req = TableCoxRequest {
        time: "etime".into(),
        formula: i["formula"].as_str().map(str::to_string),
        fine_gray: Some(FineGrayRequest {
            status: "event".into(),
            cause: "1".into(),
            ..FineGrayRequest::default()
        }),
        ..TableCoxRequest::default()
    };
    let out = table::fit(&frame(&fx, &[]), &req).unwrap();
    let fg = out.multivariate.fine_gray.as_ref().unwrap();
    assert_eq!(
        serde_json::json!(fg.expanded_rows),
        fx["expected"]["expanded_rows"]
    );
    let got = serde_json::to_value(&out.multivariate).unwrap();
    same_model(&got, &fx["expected"], "fine-gray");
    let read: Vec<(&str, &str)> = out
        .multivariate
        .values_read
        .iter()
        .map(|v| (v.value.as_str(), v.read_as.as_str()))
        .collect();
    assert!(read.contains(&("1", "event")) && read.contains(&("2", "competing")));
}

#[test]
fn screening_fits_one_model_per_term_and_the_output_round_trips() {
    let fx = fixture("lung_efron.json");
    let req = TableCoxRequest {
        univariate: Some("age + factor(sex)".into()),
        ..request(&fx)
    };
    let out = table::fit(&frame(&fx, &[]), &req).unwrap();
    let terms: Vec<&str> = out.univariate.iter().map(|m| m.term.as_str()).collect();
    assert_eq!(terms, ["age", "factor(sex)"]);
    assert_eq!(out.univariate[1].terms[0].name, "sex=2");
    // The multivariate model is the formula's, not the screened terms'.
    assert_eq!(out.multivariate.terms.len(), 3);
    let json = serde_json::to_string(&out).unwrap();
    let back: CoxTableOutput = serde_json::from_str(&json).unwrap();
    assert_eq!(back.univariate, out.univariate);
    assert_eq!(back.multivariate.dropped_by, out.multivariate.dropped_by);
}

#[test]
fn the_model_object_has_every_field_of_the_contract() {
    let fx = fixture("lung_efron.json");
    let out = table::fit(&frame(&fx, &[]), &request(&fx)).unwrap();
    let v = serde_json::to_value(&out.multivariate).unwrap();
    for field in [
        "n",
        "events",
        "n_dropped",
        "dropped_by",
        "values_read",
        "terms",
        "loglik_null",
        "loglik",
        "lr_test",
        "wald_test",
        "score_test",
        "concordance",
        "iterations",
        "warnings",
        "zph",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    // Present only when they exist.
    for field in ["robust_score_test", "fine_gray", "schoenfeld"] {
        assert!(v.get(field).is_none(), "{field} without its option");
    }
}

#[test]
fn requests_refuse_what_does_not_go_together() {
    let fx = fixture("heart_efron.json");
    let f = frame(&fx, &[]);
    let base = request(&fx);
    let what = |req: &TableCoxRequest| match table::fit(&f, req) {
        Err(e) => e.what().to_string(),
        Ok(_) => "fitted".into(),
    };
    let robust_without_cluster = TableCoxRequest {
        robust: true,
        ..base.clone()
    };
    assert_eq!(what(&robust_without_cluster), "robust");
    let level = TableCoxRequest {
        conf_level: 1.0,
        ..base.clone()
    };
    assert_eq!(what(&level), "conf_level");
    let ties = TableCoxRequest {
        ties: "exact".into(),
        ..base.clone()
    };
    assert_eq!(what(&ties), "ties");
    let unused_ref = TableCoxRequest {
        reference: vec![("sex".into(), "1".into())],
        ..base.clone()
    };
    assert!(what(&unused_ref).contains("'sex'"));
    let bad_formula = TableCoxRequest {
        formula: Some("age +".into()),
        ..base.clone()
    };
    assert_eq!(what(&bad_formula), "formula");
    assert!(
        serde_json::from_str::<TableCoxRequest>(r#"{"time": "t", "formula": "x", "tie": "efron"}"#)
            .is_err()
    );
    let req: TableCoxRequest = serde_json::from_str(r#"{"time": "t", "event": "e"}"#).unwrap();
    assert_eq!((req.ties.as_str(), req.conf_level), ("efron", 0.95));
    assert_eq!(
        req.columns().unwrap_err(),
        AnalysisError::invalid("formula", "give a formula or univariate terms")
    );
}

#[test]
fn a_start_not_below_its_stop_names_the_cell() {
    let f = Frame::from_reader(
        "d.csv",
        "t,e,x,t0\n5,1,1,0\n8,0,2,9\n6,1,3,0\n".as_bytes(),
        None,
    )
    .unwrap();
    let req = TableCoxRequest {
        time: "t".into(),
        event: Some("e".into()),
        formula: Some("x".into()),
        start: Some("t0".into()),
        ..TableCoxRequest::default()
    };
    let err = table::fit(&f, &req).unwrap_err().to_string();
    assert!(err.contains("line 3, column 4 (t0)"), "{err}");
}

/// A deterministic generator for the random tables below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, k: u64) -> u64 {
        self.next() % k
    }
}

/// When every row of the file is used, the design is read from the frame's
/// own numbers (borrowed, or by code) and the times are borrowed; when a row
/// is dropped, they are copied row by row (the former path). The same rows
/// both ways give the same output, byte for byte: random tables with tied
/// days, strata, weights, clusters, (start, stop] rows, a constant
/// covariate, few-valued (coded) columns used plain, as factors, in
/// interactions and computed terms, no events at all.
#[test]
fn every_row_read_from_the_frame_is_the_copied_rows() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let header = "time,status,age,ki67,grade,liver,site,w,id,entry,flat";
    let formulas = [
        "age + ki67 + grade + liver",
        "age + factor(grade) + liver:age + strata(site)",
        "I(grade / 2) + log(ki67) + flat + age",
        "relevel(grade, ref = 3) + age * liver",
    ];
    for case in 0..24u64 {
        let n = [5usize, 40, 300, 2000][(case % 4) as usize];
        let events_every = [2, 3, 1_000_000][(case % 3) as usize]; // the last: no events
        let days = [3u64, 50, 4000][(case % 3) as usize];
        let mut lines = Vec::with_capacity(n);
        for i in 0..n {
            let time = 1 + rng.below(days);
            let status = u64::from(rng.below(events_every) == 0);
            let age = 30.0 + rng.below(500) as f64 / 10.0;
            let ki67 = 0.5 + rng.below(1000) as f64 / 100.0;
            let grade = 1 + rng.below(4);
            let liver = rng.below(2);
            let site = rng.below(3);
            let w = 1 + rng.below(3);
            let entry = rng.below(time);
            lines.push(format!(
                "{time},{status},{age},{ki67},{grade},{liver},{site},{w},{},{entry},7",
                i % 17
            ));
        }
        let complete = format!("{header}\n{}\n", lines.join("\n"));
        // The same rows with incomplete ones after them (after: the values
        // of the event column are listed in the order first seen).
        let mut gappy = lines.clone();
        for k in 0..3 {
            let at = gappy.len();
            let line = match k {
                0 => "NA,1,50,1,1,0,0,1,0,0,7",
                1 => "10,1,NA,1,1,0,0,1,0,0,7",
                _ => "10,1,50,1,NA,0,0,1,0,0,7",
            };
            gappy.insert(at, line.to_string());
        }
        let gappy = format!("{header}\n{}\n", gappy.join("\n"));
        let read = |text: &str| Frame::from_reader("random.csv", text.as_bytes(), None).unwrap();
        let (complete, gappy) = (read(&complete), read(&gappy));
        // Both kinds of the reader's numbers are read from the frame.
        if n == 2000 {
            let numbers = |c: &str| complete.column(c).unwrap().numbers().unwrap();
            assert!(matches!(numbers("age"), Numbers::Rows(_)));
            assert!(matches!(numbers("grade"), Numbers::Coded { .. }));
        }
        for (f, formula) in formulas.iter().enumerate() {
            let mut req = TableCoxRequest {
                time: "time".into(),
                event: Some("status".into()),
                formula: Some(formula.to_string()),
                ..TableCoxRequest::default()
            };
            match (case + f as u64) % 4 {
                1 => req.weights = Some("w".into()),
                2 => req.cluster = Some("id".into()),
                3 => {
                    req.start = Some("entry".into());
                    req.cluster = Some("id".into());
                    req.robust = true;
                }
                _ => req.ties = "breslow".into(),
            }
            let what = format!("case {case}, {formula}, {req:?}");
            match (table::fit(&complete, &req), table::fit(&gappy, &req)) {
                (Ok(a), Ok(mut b)) => {
                    assert_eq!(b.multivariate.n_dropped, 3, "{what}");
                    b.multivariate.n_dropped = a.multivariate.n_dropped;
                    b.multivariate.dropped_by = a.multivariate.dropped_by.clone();
                    assert_eq!(
                        serde_json::to_string(&a).unwrap(),
                        serde_json::to_string(&b).unwrap(),
                        "{what}"
                    );
                }
                (Err(a), Err(b)) => {
                    let (a, b) = (a.to_string(), b.to_string());
                    if !a.contains("line") {
                        assert_eq!(a, b, "{what}");
                    }
                }
                (a, b) => panic!("{what}: {:?} against {:?}", a.err(), b.err()),
            }
        }
    }
}
