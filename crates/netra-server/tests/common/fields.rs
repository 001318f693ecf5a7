//! The fields of the analysis JSON and how each reaches analysts: the rule
//! table of docs/web.md ("What an analyst sees"), shared by
//! `tests/privacy.rs` and `tests/analyst_fields.rs`.

use serde_json::Value;

/// Every leaf of a JSON value as `path` (array indices as `[]`) and value.
pub fn leaves(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                leaves(x, p, out);
            }
        }
        Value::Array(xs) if xs.iter().any(|x| x.is_object()) => {
            for x in xs {
                leaves(x, format!("{path}[]"), out);
            }
        }
        other => out.push((path, other.clone())),
    }
}

/// How each field of the analysis JSON an analyst receives is governed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Rule {
    /// A patient or event count: null (withheld), 0, or at least M.
    Count,
    /// A value read from a curve or a rate: shown only with its count rule
    /// (checked through the group's `suppressed` list and the counts).
    Estimate,
    /// Request echo, labels of dictionary levels, the threshold itself,
    /// test statistics, download links, names of withheld fields.
    Public,
    /// A group label: for the arm grouping `arm N`.
    GroupLabel,
}

pub fn analysis_rule(path: &str) -> Option<Rule> {
    Some(match path {
        "cohort"
        | "analysed"
        | "missing_group"
        | "imputed_dates"
        | "groups[].n"
        | "groups[].events"
        | "response[].evaluable"
        | "response[].responders"
        | "response[].controlled"
        | "response[].orr.count"
        | "response[].dcr.count" => Rule::Count,
        "groups[].median"
        | "groups[].median_lower"
        | "groups[].median_upper"
        | "groups[].landmark_survival"
        | "groups[].landmark_lower"
        | "groups[].landmark_upper"
        | "response[].orr.estimate"
        | "response[].orr.lower"
        | "response[].orr.upper"
        | "response[].dcr.estimate"
        | "response[].dcr.lower"
        | "response[].dcr.upper" => Rule::Estimate,
        "groups[].label" | "response[].label" => Rule::GroupLabel,
        // Empty lists (a withheld cohort).
        "groups" | "response" => Rule::Public,
        "endpoint"
        | "from"
        | "title"
        | "group"
        | "revision"
        | "min_cell"
        | "landmark_months"
        | "response_line"
        | "analysis"
        | "logrank"
        | "logrank.chisq"
        | "logrank.df"
        | "logrank.p"
        | "groups[].suppressed"
        | "response[].suppressed"
        | "response[].orr"
        | "response[].dcr"
        | "settings"
        | "endpoint_options"
        | "downloads.km_svg"
        | "downloads.km_png"
        | "downloads.survival_csv"
        | "downloads.response_csv"
        | "downloads.groups_csv" => Rule::Public,
        _ => return None,
    })
}
