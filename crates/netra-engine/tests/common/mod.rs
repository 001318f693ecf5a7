//! What the engine's tests share: the in-memory path that the engine must
//! equal (`netra km`'s reading of a file), the engine's summary of the same
//! specification, the options both use, and a relative comparison of two
//! JSON values that names the first difference.
//!
//! Each test file is its own crate and uses part of this module, hence the
//! `dead_code` allowance.

#![allow(dead_code)]

use std::path::Path;

use netra_analysis::analyses::survival::{
    SurvivalData, SurvivalOptions, summarise, summarise_partial,
};
use netra_analysis::table::{complete_rows, factor, read_events, times, weights};
use netra_engine::survival::SurvivalSpec;
use netra_engine::{Engine, Source};
use netra_frame::Frame;
use serde_json::Value;

/// Numbers equal to `rel` relative (absolute below 1e-300), everything
/// else equal; the path of the first difference in the message.
pub fn close(a: &Value, b: &Value, rel: f64, path: &str) -> Result<(), String> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            let scale = x.abs().max(y.abs());
            if (x - y).abs() <= rel * scale || (x - y).abs() < 1e-300 {
                Ok(())
            } else {
                Err(format!("{path}: {x} vs {y}"))
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Err(format!("{path}: lengths {} vs {}", x.len(), y.len()));
            }
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                close(p, q, rel, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in x {
                let w = y.get(k).ok_or_else(|| format!("{path}.{k} missing"))?;
                close(v, w, rel, &format!("{path}.{k}"))?;
            }
            if x.len() != y.len() {
                return Err(format!("{path}: keys differ"));
            }
            Ok(())
        }
        _ if a == b => Ok(()),
        _ => Err(format!("{path}: {a} vs {b}")),
    }
}

/// `netra km`'s in-memory reading of a file (km.rs `analyse`).
pub fn in_memory(path: &Path, spec: &SurvivalSpec, opts: &SurvivalOptions) -> Value {
    let mut cols: Vec<&str> = vec![&spec.time, &spec.event];
    cols.extend(spec.group.as_deref());
    cols.extend(spec.weights.as_deref());
    let frame = Frame::read(path, Some(&cols)).unwrap();
    let complete = complete_rows::<u32>(&frame, &cols).unwrap();
    let rows = &complete.rows;
    let time = times(frame.column(&spec.time).unwrap(), rows).unwrap();
    let event = read_events(frame.column(&spec.event).unwrap(), rows, &spec.coding)
        .unwrap()
        .events;
    let w = spec
        .weights
        .as_ref()
        .map(|w| weights(frame.column(w).unwrap(), rows).unwrap());
    let (labels, group) = match &spec.group {
        Some(g) => {
            let f = factor(frame.column(g).unwrap(), rows);
            (f.levels, f.codes)
        }
        None => (vec!["all".to_string()], vec![0; time.len()]),
    };
    let data = SurvivalData {
        time,
        event,
        group,
        labels,
        weights: w,
    };
    let (summary, _) = summarise(&data, opts).unwrap();
    let mut v = serde_json::to_value(summary).unwrap();
    v["n_dropped"] = complete.n_dropped.into();
    v
}

/// The engine's summary of `spec` on `source`, as JSON comparable with
/// [`in_memory`].
pub fn engine_summary(
    engine: &Engine,
    source: &Source,
    spec: &SurvivalSpec,
    opts: &SurvivalOptions,
) -> Value {
    let tally = engine.survival(source, spec).unwrap();
    let (summary, _) =
        summarise_partial(&tally.partial, &tally.labels, tally.weighted, opts).unwrap();
    let mut v = serde_json::to_value(summary).unwrap();
    v["n_dropped"] = tally.reading.n_dropped.into();
    v
}

/// Landmarks, RMST and steps: every part of the summary is compared.
pub fn options() -> SurvivalOptions {
    SurvivalOptions {
        landmarks: vec![1.0, 5.5, 12.0],
        rmst_tau: Some(10.0),
        steps: true,
        ..SurvivalOptions::default()
    }
}
