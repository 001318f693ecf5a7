//! Any analysis output as a table: the JSON of a registered analysis
//! (`netra_analysis::analyses`) laid out as labelled rows, so that a newly
//! registered analysis prints on every surface (study reports, `netra
//! analyse`) without a table builder of its own.
//!
//! The rule, one for every output:
//! * two columns, "Item" and "Value"; a field is a row labelled with its
//!   name (`_` read as a space); an object's fields are indented under its
//!   name (a bold heading row);
//! * an array of objects is a heading, and each element a sub-heading
//!   named by its `label`, `group`, `term`, `name`, `cause`, `id` or
//!   `line` field (else its position), its other fields under it;
//! * an array of `[text, value]` pairs (counts per category) is one row
//!   per pair; any other array of plain values is one cell, `, `-joined
//!   (rows of a matrix `; `-joined);
//! * numbers: integers as they are; p-values (`p`, `p_value`, `*_p`) by
//!   [`crate::format::p_value`]; other numbers with four decimals, trailing
//!   zeros dropped (scientific notation below 0.001); `null` is
//!   [`crate::format::MISSING`], booleans `yes`/`no`;
//! * per-step curve data (`steps` holding objects) and per-lesion rows
//!   (`lesions`) are left to the JSON output (hundreds of rows); the row
//!   says so. An element with `steps`
//!   of text (a treatment pathway) is named by them.

use serde_json::Value;

use super::{Align, Row, Table};
use crate::format::{MISSING, p_value};

/// Fields that name an array element, in order of preference.
const NAME_FIELDS: &[&str] = &["label", "group", "term", "name", "cause", "id", "line"];

/// The table of an analysis output.
pub fn table(title: impl Into<String>, output: &Value) -> Table {
    let mut t = Table::new(title, &["Item", "Value"]);
    t.align = vec![Align::Left, Align::Left];
    match output {
        Value::Object(map) => {
            for (k, v) in map {
                field(&mut t, k, v, 0);
            }
        }
        other => t.push(Row::new([String::from("value"), scalar("value", other)])),
    }
    t
}

fn label(key: &str) -> String {
    key.replace('_', " ")
}

fn is_p(key: &str) -> bool {
    key == "p" || key == "p_value" || key.ends_with("_p")
}

fn number(key: &str, x: f64, integral: bool) -> String {
    if is_p(key) {
        return p_value(Some(x));
    }
    if integral {
        return format!("{x:.0}");
    }
    if !x.is_finite() {
        return MISSING.into();
    }
    if x != 0.0 && x.abs() < 1e-3 {
        return format!("{x:.3e}");
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// A plain value as one cell's text.
fn scalar(key: &str, v: &Value) -> String {
    match v {
        Value::Null => MISSING.into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => number(key, i as f64, !is_p(key)),
            (_, Some(u), _) => number(key, u as f64, !is_p(key)),
            (_, _, Some(x)) => number(key, x, false),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(xs) => {
            let sep = if xs.iter().any(Value::is_array) {
                "; "
            } else {
                ", "
            };
            if xs.is_empty() {
                return MISSING.into();
            }
            xs.iter()
                .map(|x| scalar(key, x))
                .collect::<Vec<_>>()
                .join(sep)
        }
        Value::Object(_) => v.to_string(),
    }
}

fn heading(t: &mut Table, text: String, indent: u8) {
    t.push(
        Row::new([text, String::new()])
            .indented(indent)
            .emphasised(),
    );
}

fn element_name(map: &serde_json::Map<String, Value>, i: usize) -> (String, Option<&str>) {
    for f in NAME_FIELDS {
        match map.get(*f) {
            Some(Value::String(s)) => return (s.clone(), Some(f)),
            Some(Value::Number(n)) => return (format!("{} {n}", label(f)), Some(f)),
            _ => {}
        }
    }
    // A pathway: named by its steps.
    if let Some(Value::Array(steps)) = map.get("steps")
        && !steps.is_empty()
        && steps.iter().all(Value::is_string)
    {
        let names: Vec<&str> = steps.iter().filter_map(Value::as_str).collect();
        return (names.join(" > "), Some("steps"));
    }
    (format!("{}", i + 1), None)
}

fn is_pair(v: &Value) -> bool {
    matches!(v, Value::Array(p) if p.len() == 2 && p[0].is_string() && !p[1].is_array() && !p[1].is_object())
}

fn field(t: &mut Table, key: &str, v: &Value, indent: u8) {
    match v {
        Value::Object(map) => {
            heading(t, label(key), indent);
            for (k, x) in map {
                field(t, k, x, indent + 1);
            }
        }
        Value::Array(xs) if key == "steps" && xs.iter().any(Value::is_object) => t.push(
            Row::new([label(key), "per-step data: see the JSON output".into()]).indented(indent),
        ),
        // Per-lesion rows (the `lesions` analysis): thousands in a registry.
        Value::Array(xs) if key == "lesions" && xs.iter().any(Value::is_object) => t.push(
            Row::new([
                label(key),
                format!("{} lesions: see the JSON output", xs.len()),
            ])
            .indented(indent),
        ),
        Value::Array(xs) if !xs.is_empty() && xs.iter().all(Value::is_object) => {
            heading(t, label(key), indent);
            for (i, x) in xs.iter().enumerate() {
                let Value::Object(map) = x else { continue };
                let (name, used) = element_name(map, i);
                heading(t, name, indent + 1);
                for (k, y) in map {
                    if Some(k.as_str()) != used {
                        field(t, k, y, indent + 2);
                    }
                }
            }
        }
        Value::Array(xs) if !xs.is_empty() && xs.iter().all(is_pair) => {
            heading(t, label(key), indent);
            for p in xs {
                if let Value::Array(p) = p {
                    let name = p[0].as_str().unwrap_or_default().to_string();
                    t.push(Row::new([name, scalar(key, &p[1])]).indented(indent + 1));
                }
            }
        }
        other => t.push(Row::new([label(key), scalar(key, other)]).indented(indent)),
    }
}

/// A two-column table as aligned plain text (terminal output): the title,
/// the rows with their indentation (two spaces a level), the footnotes.
pub fn to_text(t: &Table) -> String {
    let rows: Vec<(String, String)> = t
        .body
        .iter()
        .map(|r| {
            let first = r.cells.first().map_or("", |c| c.text.as_str());
            let rest = r
                .cells
                .iter()
                .skip(1)
                .map(|c| c.text.as_str())
                .collect::<Vec<_>>()
                .join("  ");
            (
                format!("{}{first}", "  ".repeat(usize::from(r.indent))),
                rest,
            )
        })
        .collect();
    let width = rows
        .iter()
        .map(|(a, _)| a.chars().count())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    if !t.title.is_empty() {
        s.push_str(&t.title);
        s.push_str("\n\n");
    }
    for (a, b) in rows {
        let pad = width - a.chars().count();
        let line = format!("{a}{}  {b}", " ".repeat(pad));
        s.push_str(line.trim_end());
        s.push('\n');
    }
    for f in &t.footnotes {
        s.push('\n');
        s.push_str(f);
    }
    if !t.footnotes.is_empty() {
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rows(t: &Table) -> Vec<(u8, String, String)> {
        t.body
            .iter()
            .map(|r| (r.indent, r.cells[0].text.clone(), r.cells[1].text.clone()))
            .collect()
    }

    #[test]
    fn fields_nest_under_labelled_headings() {
        let out = json!({
            "cohort": 12,
            "logrank": {"chisq": 3.84146, "df": 1, "p": 0.0004},
            "groups": [
                {"label": "G1", "n": 5, "median": null, "steps": [{"time": 1}]},
                {"label": "G2", "n": 7, "median": 12.5}
            ],
            "categories": [["CR", 2], ["PR", 0]],
            "times": [12.0, 24.0],
            "converged": true,
            "pathways": [{"steps": ["L1 ssa", "L2 prrt"], "n": 12}],
        });
        let t = table("T", &out);
        let r = rows(&t);
        assert!(r.contains(&(0, "cohort".into(), "12".into())));
        assert!(r.contains(&(1, "chisq".into(), "3.8415".into())));
        assert!(r.contains(&(1, "p".into(), "<0.001".into())));
        assert!(r.contains(&(1, "G1".into(), String::new())));
        assert!(r.contains(&(2, "median".into(), MISSING.into())));
        assert!(r.contains(&(2, "median".into(), "12.5".into())));
        assert!(r.contains(&(1, "CR".into(), "2".into())));
        assert!(r.contains(&(0, "times".into(), "12, 24".into())));
        assert!(r.contains(&(0, "converged".into(), "yes".into())));
        assert!(r.contains(&(1, "L1 ssa > L2 prrt".into(), String::new())));
        // The label field names the element and is not repeated under it.
        assert!(!r.iter().any(|(_, k, _)| k == "label"));
        assert!(r.iter().any(|(_, k, v)| k == "steps" && v.contains("JSON")));
    }

    #[test]
    fn per_lesion_rows_are_left_to_the_json_and_sites_are_rows() {
        let out = json!({
            "sites": [{"site": "liver", "label": "Liver", "n": 2}],
            "lesions": [{"patient": "P1", "lesion": "L1"}, {"patient": "P2", "lesion": "L1"}],
        });
        let r = rows(&table("T", &out));
        assert!(r.contains(&(0, "lesions".into(), "2 lesions: see the JSON output".into())));
        assert!(r.contains(&(1, "Liver".into(), String::new())));
        assert!(!r.iter().any(|(_, k, _)| k == "patient"));
    }

    #[test]
    fn text_aligns_the_value_column() {
        let t = table("", &json!({"a": 1, "longer_name": {"x": 0.5}}));
        let text = to_text(&t);
        // Every value starts in the same column, after the widest label.
        let starts: Vec<usize> = ["1", "0.5"]
            .iter()
            .map(|v| {
                let line = text.lines().find(|l| l.ends_with(v)).unwrap();
                line.len() - v.len()
            })
            .collect();
        assert_eq!(starts, vec!["longer name".len() + 2; 2], "{text}");
        assert!(text.contains("\n  x "), "{text}");
    }

    #[test]
    fn numbers_read_as_journals_print_them() {
        assert_eq!(number("x", 0.00012, false), "1.200e-4");
        assert_eq!(number("x", 2.0, false), "2");
        assert_eq!(number("p_value", 0.0312, false), "0.031");
        assert_eq!(number("n", 12.0, true), "12");
        assert_eq!(number("x", -0.00001, false), "-1.000e-5");
    }
}
