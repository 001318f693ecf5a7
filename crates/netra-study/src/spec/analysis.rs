//! `[[analysis]]`: any analysis of the layer's registry
//! (`netra_analysis::analyses`) by name, with its request as an inline
//! table — the same serde `Request` the CLI's `netra analyse` and the web's
//! `POST /api/analyses/{name}` read. A newly registered analysis is
//! available here without a table type of its own.
//!
//! ```toml
//! [[analysis]]
//! name = "cox"
//! id = "os_cox"
//! title = "Overall survival by sex and grade"
//! request = { terms = ["sex", "who_grade"] }
//! ```
//!
//! The name and the request fields are checked when the file is read:
//! an unknown name or field is an error at its place with the nearest
//! valid one ("did you mean").

use netra_analysis::analyses;
use serde_json::Value;

use super::raw::RawAnalysis;
use super::resolver::{Names, Resolver, span};
use crate::StudyError;

/// A registered analysis to run (`[[analysis]]`).
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisDef {
    /// File stem of its output (`analyses/ID.json`).
    pub id: String,
    /// The registered analysis' name (`cox`, `sequences`, …).
    pub analysis: String,
    /// Caption of its table in the report.
    pub title: String,
    /// Report section.
    pub section: String,
    /// Byte offset in the study file (report order follows the file).
    pub position: usize,
    /// The request, as JSON (fields not given take their defaults).
    pub request: Value,
}

/// The `[[analysis]]` sections in file order.
pub(super) fn analyses(
    r: &Resolver<'_>,
    raw: &[RawAnalysis],
) -> Result<Vec<AnalysisDef>, StudyError> {
    let mut ids = Names::new("analysis");
    let mut out = Vec::new();
    for a in raw {
        ids.add(&r.e, &a.id)?;
        let found = analyses::find_or_suggest(a.name.get_ref())
            .map_err(|e| r.at(span(&a.name), e.reason()))?;
        let request = match &a.request {
            None => Value::Object(Default::default()),
            Some(t) => serde_json::to_value(t.get_ref())
                .map_err(|e| r.at(span(t), format!("request: {e}")))?,
        };
        let at = a.request.as_ref().map_or_else(|| span(&a.name), span);
        analyses::check_request(found, &request)
            .and_then(|()| found.parse_request(&request))
            .map_err(|e| r.at(at, format!("request of '{}': {}", found.name(), e.reason())))?;
        out.push(AnalysisDef {
            id: a.id.get_ref().clone(),
            analysis: found.name().to_string(),
            title: a
                .title
                .clone()
                .unwrap_or_else(|| format!("{} ({})", a.id.get_ref(), found.name())),
            section: a.section.clone().unwrap_or_default(),
            position: span(&a.name).start.min(span(&a.id).start),
            request,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::Study;
    use std::path::Path;

    fn parse(body: &str) -> Result<Study, String> {
        let text = format!("[study]\ntitle = \"t\"\n\n{body}");
        Study::parse(&text, Path::new("s.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn an_analysis_reads_its_request_into_the_layers_request() {
        let s = parse(
            "[[analysis]]\nname = \"cox\"\nid = \"os_cox\"\nrequest = { terms = [\"sex\"], endpoint = { from = \"line:1\" } }\n",
        )
        .unwrap();
        let a = &s.analyses[0];
        assert_eq!((a.analysis.as_str(), a.id.as_str()), ("cox", "os_cox"));
        assert_eq!(a.request["terms"][0], "sex");
        assert_eq!(a.request["endpoint"]["from"], "line:1");
        assert_eq!(a.section, "Results");
        assert_eq!(a.title, "os_cox (cox)");
    }

    #[test]
    fn misspelt_names_and_fields_say_did_you_mean_where_they_stand() {
        let e = parse("[[analysis]]\nname = \"survivl\"\nid = \"a\"\n").unwrap_err();
        assert!(
            e.contains("line 5") && e.contains("did you mean 'survival'"),
            "{e}"
        );
        let e = parse("[[analysis]]\nname = \"cox\"\nid = \"a\"\nrequest = { term = [\"sex\"] }\n")
            .unwrap_err();
        assert!(
            e.contains("line 7") && e.contains("did you mean 'terms'"),
            "{e}"
        );
        let e = parse("[[analysis]]\nname = \"cox\"\nid = \"a\"\nrequest = { terms = 3 }\n")
            .unwrap_err();
        assert!(
            e.contains("request of 'cox'") && e.contains("invalid type"),
            "{e}"
        );
        let e = parse(
            "[[analysis]]\nname = \"cox\"\nid = \"a\"\n[[analysis]]\nname = \"cox\"\nid = \"a\"\n",
        )
        .unwrap_err();
        assert!(e.contains("defined twice"), "{e}");
    }
}
