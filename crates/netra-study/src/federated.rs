//! A study whose data are a federation (`[data] federation = { hub, study,
//! token_file }`, issue 17): each `[[analysis]]` runs at the hub over the
//! centres' nodes, and its output goes through the same report layer as a
//! local run (`analyses/ID.json`, the generic table in `report.html`,
//! `manifest.json`).
//!
//! The records never leave the centres, so only what the federation can
//! compute is accepted: `[[analysis]]` entries of federated analyses
//! (`netra_federation::ANALYSES`, named by the caller), the cohort's
//! `[cohort] where` conditions (sent as text, run identically at every
//! node) and `include_excluded`. Tables, figures and derived variables
//! need the records or definitions the nodes do not hold; they are refused
//! with a sentence saying so, not silently left out.
//!
//! This crate does no networking: the caller (the `netra` binary) passes
//! the function that submits a run to the hub.

use std::path::Path;

use netra_report::html::{Report, Section};
use serde_json::{Value, json};

use crate::StudyError;
use crate::data::{DataIdentity, portable, sha256_hex};
use crate::facts::Facts;
use crate::run::{OutputFile, StudyRun, VERSION, Writer, manifest};
use crate::spec::{DataSource, FederationSource, Study};

/// Submits one federated run: `(analysis, request)` → the output JSON,
/// or why it failed. The request carries the run's cohort in its
/// `"federation"` member (`netra_federation::RunOptions`).
pub type Remote<'a> = dyn FnMut(&str, Value) -> Result<Value, String> + 'a;

/// The federation a study names, if it names one.
pub fn federation_of(study: &Study) -> Option<&FederationSource> {
    match &study.data {
        Some(DataSource::Federation(f)) => Some(f),
        _ => None,
    }
}

/// What a federated study cannot hold, as one sentence per item; empty
/// when it can run. `federated` names the analyses the hub runs.
pub fn unsupported(study: &Study, federated: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for t in &study.tables {
        out.push(format!(
            "table '{}' needs the records; under a federation use an [[analysis]] \
             (baseline, survival, cox …)",
            t.name
        ));
    }
    for f in &study.figures {
        out.push(format!(
            "figure '{}' needs the records; under a federation it is not drawn",
            f.name
        ));
    }
    if !study.variables.is_empty() {
        out.push(
            "derived variables ([[variable]]) are not known to the nodes; define them in \
             the centres' registries"
                .into(),
        );
    }
    for a in &study.analyses {
        if !federated.contains(&a.analysis.as_str()) {
            out.push(format!(
                "analysis '{}' ({}) does not run federated (federated: {})",
                a.id,
                a.analysis,
                federated.join(", ")
            ));
        }
    }
    if study.analyses.is_empty() {
        out.push("the study has no [[analysis]] to run at the hub".into());
    }
    out
}

/// The `[cohort] where` texts as written (the parsed conditions have no
/// text form; the nodes parse the same text the study file holds).
fn condition_texts(text: &str) -> Vec<String> {
    toml::from_str::<toml::Table>(text)
        .ok()
        .and_then(|t| {
            t.get("cohort")?.get("where")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// Runs a federated study into `out`: one hub run per `[[analysis]]`,
/// through `remote`. `federated` names the analyses the hub runs;
/// `study_display` is the study file's path as the manifest records it.
pub fn run_federated(
    study_path: &Path,
    out: &Path,
    federated: &[&str],
    study_display: Option<&str>,
    remote: &mut Remote<'_>,
) -> Result<StudyRun, StudyError> {
    let bytes = std::fs::read(study_path).map_err(|e| StudyError::io(study_path, e))?;
    let study_sha256 = sha256_hex(&bytes);
    let text = String::from_utf8(bytes)
        .map_err(|_| StudyError::io(study_path, "the study file is not UTF-8 text"))?;
    let study = Study::parse(&text, study_path)?;
    let fed = federation_of(&study).cloned().ok_or_else(|| {
        StudyError::analysis("data", "the study's [data] does not name a federation")
    })?;
    let refused = unsupported(&study, federated);
    if !refused.is_empty() {
        return Err(StudyError::analysis("federated study", refused.join("; ")));
    }
    let options = json!({
        "conditions": condition_texts(&text),
        "include_excluded": study.include_excluded,
        "allow_dropout": fed.allow_missing,
    });

    let mut w = Writer::new(out)?;
    let mut facts = Facts::new();
    let mut sections: Vec<Section> = Vec::new();
    let mut first = Section::new("Patients and methods");
    if let Some(d) = &study.description {
        first = first.paragraph(d.clone());
    }
    first = first.paragraph(format!(
        "Data: the federation of study '{}' at {}. Every analysis ran at the centres' nodes; \
         the hub combined their masked sums (secure aggregation), so no patient record left \
         a centre. The results equal the analysis of the pooled records, except where a note \
         under an analysis says what was coarsened.",
        fed.study, fed.hub
    ));
    sections.push(first);

    let mut patients = 0usize;
    let mut answers = String::new();
    for def in &study.analyses {
        let mut request = def.request.clone();
        if let Some(o) = request.as_object_mut() {
            o.insert("federation".into(), options.clone());
        } else {
            request = json!({ "federation": options });
        }
        let output = remote(&def.analysis, request)
            .map_err(|e| StudyError::analysis(format!("analysis '{}'", def.id), e))?;
        if let Some(n) = output["cohort"].as_u64() {
            patients = patients.max(usize::try_from(n).unwrap_or(usize::MAX));
        }
        let json = serde_json::to_string_pretty(&output)
            .map_err(|e| StudyError::io(format!("analyses/{}.json", def.id), e))?
            + "\n";
        answers.push_str(&json);
        w.write(&format!("analyses/{}.json", def.id), json.as_bytes())?;
        facts.insert(
            format!("{}.federation", def.id),
            output["federation"].clone(),
        );
        let table = netra_report::table::generic::table(def.title.clone(), &output);
        let idx = match sections.iter().position(|s| s.heading == def.section) {
            Some(i) => i,
            None => {
                sections.push(Section::new(def.section.clone()));
                sections.len() - 1
            }
        };
        let s = std::mem::replace(&mut sections[idx], Section::new(""));
        sections[idx] = s.table(table);
    }
    facts.insert("patients".into(), json!(patients));

    // The records are not seen: the data's hash is that of the answers.
    let identity = DataIdentity {
        kind: "federation".into(),
        location: fed.hub.clone(),
        study: Some(fed.study.clone()),
        files: Vec::new(),
        sha256: sha256_hex(answers.as_bytes()),
    };
    let report = Report {
        title: study.title.clone(),
        subtitle: study.subtitle.clone().unwrap_or_default(),
        sections: sections.clone(),
        footer: format!(
            "Produced by netra {VERSION} from a federated run. Study file SHA-256 {}; \
             answers SHA-256 {}. Every output file's hash: manifest.json.",
            &study_sha256[..12],
            &identity.sha256[..12]
        ),
    };
    let html = report
        .to_html()
        .map_err(|e| StudyError::report("report.html", e))?;
    w.write("report.html", html.as_bytes())?;
    let summary = serde_json::to_string_pretty(&Value::Object(facts.clone().into_iter().collect()))
        .map_err(|e| StudyError::io("summary.json", e))?;
    w.write("summary.json", format!("{summary}\n").as_bytes())?;
    let study_file = study_display.map_or_else(|| portable(study_path), str::to_owned);
    let m = manifest(&study_file, &study_sha256, &identity, patients, w.outputs());
    w.write("manifest.json", m.as_bytes())?;
    let outputs: Vec<OutputFile> = w.finish()?;
    Ok(StudyRun {
        title: study.title.clone(),
        sections,
        outputs,
        facts,
        patients,
        data: identity,
        study_sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const STUDY: &str = r#"
[study]
title = "Federated NETs"
[data]
federation = { hub = "https://hub.example:8443", study = "nets", token_file = "alice.token" }
[cohort]
where = ["age_at_diagnosis >= 18"]
[[analysis]]
id = "os"
name = "survival"
request = { by = "sex" }
"#;

    #[test]
    fn a_study_names_a_federation_and_runs_its_analyses_through_the_hub() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("study.toml");
        std::fs::write(&path, STUDY).unwrap();
        let study = Study::read(&path).unwrap();
        let fed = federation_of(&study).unwrap();
        assert_eq!(fed.study, "nets");
        assert_eq!(
            fed.token_file.as_deref(),
            Some(dir.path().join("alice.token").as_path())
        );
        assert!(unsupported(&study, &["survival"]).is_empty());
        assert_eq!(unsupported(&study, &["cox"]).len(), 1);

        let mut seen = Vec::new();
        let out = dir.path().join("out");
        let run = run_federated(&path, &out, &["survival"], None, &mut |name, req| {
            seen.push((name.to_owned(), req.clone()));
            Ok(json!({"cohort": 42, "groups": [], "federation": {"nodes": ["a", "b", "c"]}}))
        })
        .unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].0, "survival");
        assert_eq!(seen[0].1["by"], "sex");
        assert_eq!(
            seen[0].1["federation"]["conditions"],
            json!(["age_at_diagnosis >= 18"])
        );
        assert_eq!(run.patients, 42);
        assert_eq!(run.data.kind, "federation");
        assert!(out.join("analyses/os.json").exists());
        let html = std::fs::read_to_string(out.join("report.html")).unwrap();
        assert!(html.contains("no patient record left"), "{html}");
    }

    #[test]
    fn tables_and_local_loading_are_refused_under_a_federation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("study.toml");
        let text = format!(
            "{STUDY}\n[[table]]\nname = \"t1\"\ntype = \"baseline\"\ntitle = \"T1\"\n\
             by = \"\"\nrows = [{{ variable = \"sex\" }}]\n"
        );
        std::fs::write(&path, &text).unwrap();
        let study = Study::read(&path).unwrap();
        let why = unsupported(&study, &["survival"]);
        assert!(why.iter().any(|w| w.contains("table 't1'")), "{why:?}");
        let err = run_federated(
            &path,
            &dir.path().join("o"),
            &["survival"],
            None,
            &mut |_, _| Ok(json!({})),
        )
        .unwrap_err();
        assert!(err.to_string().contains("needs the records"), "{err}");
        // The local path refuses a federation with a pointer to `netra report`.
        let err =
            crate::run(&path, &dir.path().join("o2"), &crate::RunOptions::default()).unwrap_err();
        assert!(err.to_string().contains("netra report"), "{err}");
    }
}
