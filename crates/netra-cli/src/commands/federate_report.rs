//! `netra federate report`: the summary of a federated cohort — the
//! baseline table, survival (Kaplan–Meier, log-rank) and a Cox model — as
//! three runs at the hub, printed as one JSON object and, with `--out`,
//! written as one HTML page through the report layer a local study uses
//! (`netra_report::table::generic` tables in a `netra_report::html`
//! report, as a study file's `[[analysis]]` entries are).
//!
//! The request file is an object with up to three parts and the run's
//! options, each part the analysis layer's request of that analysis:
//!
//! ```json
//! {"baseline": {"by": "sex", "variables": ["age_at_diagnosis", "who_grade"]},
//!  "survival": {"by": "sex"},
//!  "cox": {"terms": ["age_at_diagnosis", "sex"]},
//!  "federation": {"conditions": ["age_at_diagnosis >= 18"]}}
//! ```
//!
//! A part left out takes its default ([`default_part`]); `false` leaves it
//! out of the report.

use std::path::Path;

use anyhow::Context as _;
use netra_hub::{HubClient, RunSpec};
use netra_report::html::{Report, Section};
use netra_report::table::generic;
use serde_json::{Map, Value, json};

/// The report's parts in print order, with their section headings.
const PARTS: [(&str, &str); 3] = [
    ("baseline", "Patient characteristics"),
    ("survival", "Survival"),
    ("cox", "Cox regression"),
];

/// A part's request when the file does not give it: variables every
/// registry has.
fn default_part(part: &str) -> Value {
    match part {
        "baseline" => json!({"variables": ["age_at_diagnosis", "sex"]}),
        "cox" => json!({"terms": ["age_at_diagnosis", "sex"]}),
        _ => json!({}),
    }
}

/// The parts to run: `(name, heading, request)`, the run options laid
/// into each request's `"federation"` member.
fn parts(request: &Value) -> anyhow::Result<Vec<(&'static str, &'static str, Value)>> {
    let empty = Map::new();
    let given = match request {
        Value::Null => &empty,
        Value::Object(o) => o,
        _ => anyhow::bail!("the report's request is a JSON object (baseline, survival, cox)"),
    };
    if let Some(k) = given
        .keys()
        .find(|k| *k != "federation" && !PARTS.iter().any(|(p, _)| p == k))
    {
        anyhow::bail!(
            "the report's request: '{k}' is not one of baseline, survival, cox, federation"
        );
    }
    let options = given.get("federation").cloned();
    let mut out = Vec::new();
    for (part, heading) in PARTS {
        let mut r = match given.get(part) {
            None => default_part(part),
            Some(Value::Bool(false)) => continue,
            Some(v @ Value::Object(_)) => v.clone(),
            Some(_) => anyhow::bail!("the report's request: '{part}' is an object or false"),
        };
        if let (Some(o), Some(opts)) = (r.as_object_mut(), &options) {
            o.insert("federation".into(), opts.clone());
        }
        out.push((part, heading, r));
    }
    if out.is_empty() {
        anyhow::bail!("the report's request leaves every part out");
    }
    Ok(out)
}

/// The HTML page of the parts' outputs.
fn page(study: &str, hub: &str, outputs: &[(&str, &str, Value)]) -> anyhow::Result<String> {
    let mut report = Report::new(format!("Federated summary: {study}"));
    report.subtitle = format!("hub {hub}");
    report.sections.push(Section::new("Data").paragraph(
        "Every analysis ran at the centres' nodes; the hub combined their masked sums \
         (secure aggregation), so no patient record left a centre. The results equal the \
         analysis of the pooled records, except where an analysis's federation notes say \
         what was coarsened.",
    ));
    for (part, heading, output) in outputs {
        report
            .sections
            .push(Section::new(*heading).table(generic::table(*part, output)));
    }
    report.footer = format!("Produced by netra {}.", env!("CARGO_PKG_VERSION"));
    Ok(report.to_html()?)
}

/// Runs `netra federate report`.
pub fn run(
    client: &HubClient,
    study: &str,
    request: &Value,
    allow_missing: bool,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    let mut outputs = Vec::new();
    for (part, heading, r) in parts(request)? {
        let output = super::federate::run_remote(
            client,
            RunSpec {
                study: study.to_owned(),
                analysis: part.to_owned(),
                request: r,
                allow_missing,
            },
        )?;
        outputs.push((part, heading, output));
    }
    if let Some(path) = out {
        let html = page(study, client.base(), &outputs)?;
        std::fs::write(path, html).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("report: {}", path.display());
    }
    let all: Map<String, Value> = outputs
        .into_iter()
        .map(|(p, _, o)| (p.to_owned(), o))
        .collect();
    println!("{}", serde_json::to_string_pretty(&Value::Object(all))?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_take_defaults_options_and_false() {
        let p = parts(&Value::Null).unwrap();
        assert_eq!(
            p.iter().map(|x| x.0).collect::<Vec<_>>(),
            ["baseline", "survival", "cox"]
        );
        let p = parts(&json!({
            "cox": false,
            "survival": {"by": "sex"},
            "federation": {"conditions": ["age_at_diagnosis >= 18"]}
        }))
        .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[1].2["by"], "sex");
        assert_eq!(
            p[1].2["federation"]["conditions"][0],
            "age_at_diagnosis >= 18"
        );
        assert!(parts(&json!({"km": {}})).is_err());
        assert!(parts(&json!({"baseline": false, "survival": false, "cox": false})).is_err());
        assert!(parts(&json!([1])).is_err());
    }
}
