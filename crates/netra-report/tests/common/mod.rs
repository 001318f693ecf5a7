//! Helpers for the figure tests: fixtures and SVG parsing.
#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

/// Parses a fixture below `validation/fixtures/`.
pub fn fixture(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures")
        .join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad fixture {}: {e}", path.display()))
}

/// A JSON array of numbers (null → NaN).
pub fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().unwrap_or(f64::NAN))
        .collect()
}

/// Elements with `class` containing `name` (whole word).
pub fn by_class<'a, 'i>(
    doc: &'a roxmltree::Document<'i>,
    name: &str,
) -> Vec<roxmltree::Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| {
            n.attribute("class")
                .is_some_and(|c| c.split_whitespace().any(|w| w == name))
        })
        .collect()
}

/// A numeric attribute.
pub fn attr_f64(node: &roxmltree::Node<'_, '_>, name: &str) -> f64 {
    node.attribute(name)
        .unwrap_or_else(|| panic!("no attribute {name}"))
        .parse()
        .unwrap_or_else(|_| panic!("attribute {name} not a number"))
}

/// The text of a node.
pub fn text_of(node: &roxmltree::Node<'_, '_>) -> String {
    node.text().unwrap_or("").to_string()
}

/// Commands of a path made of absolute M/L/H/V/C/Z commands: (command,
/// numbers).
pub fn path_commands(d: &str) -> Vec<(char, Vec<f64>)> {
    let mut out: Vec<(char, Vec<f64>)> = Vec::new();
    for token in d.split_whitespace() {
        let first = token.chars().next().unwrap();
        if first.is_ascii_alphabetic() {
            out.push((first, Vec::new()));
        } else {
            let cmd = out.last_mut().expect("number before command");
            for part in token.split(',') {
                cmd.1.push(part.parse().expect("number"));
            }
        }
    }
    out
}

/// A linear map fitted through two (pixel, value) pairs, returning value.
pub fn inverse(p0: f64, v0: f64, p1: f64, v1: f64) -> impl Fn(f64) -> f64 {
    move |p| v0 + (p - p0) / (p1 - p0) * (v1 - v0)
}

/// (pixel position, value) of the ticks of an axis group (`x-axis` or
/// `y-axis`): x1 for x ticks, y1 for y ticks.
pub fn ticks(doc: &roxmltree::Document<'_>, axis: &str) -> Vec<(f64, f64)> {
    let group = by_class(doc, axis);
    let group = group.first().expect("axis group");
    group
        .descendants()
        .filter(|n| n.attribute("class") == Some("tick"))
        .map(|n| {
            let pos = if axis == "x-axis" {
                attr_f64(&n, "x1")
            } else {
                attr_f64(&n, "y1")
            };
            (pos, attr_f64(&n, "data-value"))
        })
        .collect()
}
