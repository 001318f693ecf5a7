//! A design matrix from a fixture's `input.columns` (numbers or text) and
//! formula, for the GLM and weighting fixtures.
#![allow(dead_code)]

use netra_stats::model::{ColumnData, Design, DesignOptions, Formula, NamedColumn};
use serde_json::Value;

/// The columns of a fixture, owned.
pub struct Columns {
    /// Numeric columns (null → NaN).
    pub numeric: Vec<(String, Vec<f64>)>,
    /// Text columns.
    pub text: Vec<(String, Vec<String>)>,
}

impl Columns {
    /// Reads `columns` (an object of arrays).
    pub fn of(columns: &Value) -> Columns {
        let mut numeric = Vec::new();
        let mut text = Vec::new();
        for (name, values) in columns.as_object().expect("columns object") {
            let arr = values.as_array().expect("column array");
            if arr.iter().any(Value::is_string) {
                text.push((
                    name.clone(),
                    arr.iter()
                        .map(|v| v.as_str().unwrap().to_string())
                        .collect(),
                ));
            } else {
                numeric.push((name.clone(), super::common::f64s(values)));
            }
        }
        Columns { numeric, text }
    }

    /// A numeric column by name.
    pub fn num(&self, name: &str) -> Vec<f64> {
        self.numeric
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no numeric column {name}"))
            .1
            .clone()
    }

    /// The design of `formula` on these columns.
    pub fn design(&self, formula: &str) -> Design {
        let text_refs: Vec<(String, Vec<&str>)> = self
            .text
            .iter()
            .map(|(n, v)| (n.clone(), v.iter().map(String::as_str).collect()))
            .collect();
        let mut cols: Vec<NamedColumn<'_>> = self
            .numeric
            .iter()
            .map(|(n, v)| NamedColumn {
                name: n,
                data: ColumnData::Numeric(v),
            })
            .collect();
        for (n, v) in &text_refs {
            cols.push(NamedColumn {
                name: n,
                data: ColumnData::Text(v),
            });
        }
        let formula = Formula::parse(formula).unwrap();
        Design::build(&formula, &cols, &DesignOptions::default()).unwrap()
    }
}
