//! Shared by the R-fixture tests: load a fixture written by `validation/r/*.R`
//! and compare numbers the way the project promises (1e-9 relative, absolute
//! near zero, `null` where R has `NA`).
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// Relative tolerance for agreement with R (issue: "1e-9 relative").
pub const REL: f64 = 1e-9;
/// Absolute tolerance used when the expected value is (nearly) zero.
pub const ABS: f64 = 1e-12;

/// Path of a fixture below `validation/fixtures/`.
pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures")
        .join(relative)
}

/// Parses a fixture below `validation/fixtures/`.
pub fn fixture(relative: &str) -> Value {
    let path = fixture_path(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
}

/// True when `actual` agrees with `expected` to `rel` relative, or `abs`
/// absolute (which only matters near zero).
pub fn close(actual: f64, expected: f64, rel: f64, abs: f64) -> bool {
    if actual.is_nan() || expected.is_nan() {
        return actual.is_nan() && expected.is_nan();
    }
    if actual.is_infinite() || expected.is_infinite() {
        return actual == expected;
    }
    let diff = (actual - expected).abs();
    diff <= abs || diff <= rel * expected.abs()
}

/// The fixture value as an optional number: JSON `null` (R's NA) is `None`;
/// the strings "Inf"/"-Inf"/"NaN" (jsonlite's encoding of them) are decoded.
pub fn as_opt_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Null => None,
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "Inf" => Some(f64::INFINITY),
            "-Inf" => Some(f64::NEG_INFINITY),
            "NaN" | "NA" => None,
            other => panic!("fixture string '{other}' where a number was expected"),
        },
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        other => panic!("fixture value {other} where a number was expected"),
    }
}

/// Asserts that `actual` (None for "does not exist") matches the fixture
/// value `expected` at the default tolerance; `what` names the field.
pub fn assert_opt_close(actual: Option<f64>, expected: &Value, what: &str) {
    assert_opt_close_tol(actual, expected, what, REL, ABS);
}

/// As [`assert_opt_close`] with explicit tolerances.
pub fn assert_opt_close_tol(actual: Option<f64>, expected: &Value, what: &str, rel: f64, abs: f64) {
    let expected = as_opt_f64(expected);
    match (actual, expected) {
        (None, None) => {}
        (Some(a), None) if a.is_nan() => {}
        (Some(a), Some(e)) if close(a, e, rel, abs) => {}
        (a, e) => panic!("{what}: netra {a:?} vs R {e:?}"),
    }
}

/// Asserts a number against the fixture at the default tolerance.
pub fn assert_close(actual: f64, expected: &Value, what: &str) {
    assert_opt_close(Some(actual), expected, what);
}

/// A fixture array of numbers (nulls become NaN).
pub fn f64s(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|x| as_opt_f64(x).unwrap_or(f64::NAN))
            .collect(),
        // jsonlite writes a length-one vector as a scalar under auto_unbox.
        other => vec![as_opt_f64(other).unwrap_or(f64::NAN)],
    }
}

/// Asserts two numeric vectors agree element by element.
pub fn assert_all_close(actual: &[f64], expected: &Value, what: &str) {
    let expected = f64s(expected);
    assert_eq!(actual.len(), expected.len(), "{what}: length");
    for (i, (a, e)) in actual.iter().zip(&expected).enumerate() {
        assert!(close(*a, *e, REL, ABS), "{what}[{i}]: netra {a} vs R {e}");
    }
}
