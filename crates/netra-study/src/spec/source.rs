//! `[data]` and `[settings]`: where the patients come from and the rules
//! (lines, response criteria, small cells) they are analysed under. Both
//! read paths relative to the study file, so a study directory can move.

use std::path::Path;

use netra_analysis::settings::RuleSettings;

use super::raw::{RawData, S};
use super::resolver::span;
use super::{DataSource, FederationSource};
use crate::StudyError;
use crate::error::SpecErrors;

/// The simulator's models a study file may ask for (`[data] simulate =
/// { model = … }`).
const SIMULATION_MODELS: &[&str] = &["published", "sequence_trial"];

/// The data source and the study code patients are restricted to; `None`
/// without `[data]` (the command line must then name one).
pub(super) fn data_source(
    e: &SpecErrors<'_>,
    raw: Option<&RawData>,
    path: &Path,
) -> Result<(Option<DataSource>, Option<String>), StudyError> {
    let Some(d) = raw else {
        return Ok((None, None));
    };
    let given = [
        d.bundle.is_some(),
        d.db.is_some(),
        d.simulate.is_some(),
        d.federation.is_some(),
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        let at =
            d.db.as_ref()
                .map(span)
                .or(d.simulate.as_ref().map(span))
                .or(d.federation.as_ref().map(span))
                .unwrap_or(0..0);
        return Err(e.at(
            at,
            "give one of `bundle`, `db`, `simulate` and `federation`",
        ));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let source = if let Some(b) = &d.bundle {
        Some(DataSource::Bundle(base.join(b.get_ref())))
    } else if let Some(db) = &d.db {
        let t = db.get_ref();
        // A URL is a server; anything else is a SQLite file next to the study.
        Some(DataSource::Db(if t.contains("://") {
            t.clone()
        } else {
            base.join(t).display().to_string()
        }))
    } else if let Some(s) = &d.simulate {
        let sim = s.get_ref();
        let n = *sim.patients.get_ref();
        if !(1..=10_000_000).contains(&n) {
            return Err(e.at(
                span(&sim.patients),
                "simulate.patients must be between 1 and 10000000",
            ));
        }
        let model = sim
            .model
            .as_ref()
            .map_or("published", |m| m.get_ref().as_str());
        if !SIMULATION_MODELS.contains(&model) {
            let at = sim.model.as_ref().map_or(span(s), span);
            return Err(e.at(
                at,
                format!(
                    "simulate.model '{model}' is not one of {}",
                    SIMULATION_MODELS.join(", ")
                ),
            ));
        }
        let coverage = sim.coverage.as_ref().map_or(0, |c| *c.get_ref());
        if let Some(c) = &sim.coverage {
            if model != "sequence_trial" {
                return Err(e.at(
                    span(c),
                    "simulate.coverage is the simulation study of model = \"sequence_trial\"",
                ));
            }
            if coverage > 200 {
                return Err(e.at(span(c), "simulate.coverage is at most 200 registries"));
            }
        }
        if model == "sequence_trial" && sim.sites.is_some_and(|k| k > 1) {
            return Err(e.at(span(s), "the sequence_trial model has one centre"));
        }
        Some(DataSource::Simulate {
            patients: n,
            seed: sim.seed,
            study: sim.study.clone().unwrap_or_else(|| "sim".into()),
            sites: sim.sites.unwrap_or(1).max(1),
            model: model.to_string(),
            coverage,
        })
    } else if let Some(f) = &d.federation {
        let fed = f.get_ref();
        if !fed.hub.starts_with("https://") {
            return Err(e.at(span(f), "federation.hub must be an https:// URL"));
        }
        if fed.study.trim().is_empty() {
            return Err(e.at(span(f), "federation.study must name the hub's study"));
        }
        Some(DataSource::Federation(FederationSource {
            hub: fed.hub.clone(),
            study: fed.study.clone(),
            token_file: fed.token_file.as_ref().map(|t| base.join(t)),
            ca: fed.ca.as_ref().map(|c| base.join(c)),
            allow_missing: fed.allow_missing,
        }))
    } else {
        None
    };
    Ok((source, d.study.as_ref().map(|s| s.get_ref().clone())))
}

/// The `[settings]` section (defaults without one), checked by the analysis
/// layer; errors point at the section.
pub(super) fn settings(
    e: &SpecErrors<'_>,
    raw: Option<&S<RuleSettings>>,
    path: &Path,
) -> Result<RuleSettings, StudyError> {
    match raw {
        None => Ok(RuleSettings::default()),
        Some(st) => resolve_settings(st.get_ref(), path).map_err(|m| e.at(span(st), m)),
    }
}

/// Reads the rule settings of a TOML file: its `[settings]` table (a study
/// file, or a file holding only that table), else the whole file as the
/// table's keys. A criteria name ending in `.toml` is read relative to the
/// file, as in a study file. What `netra lines`, `netra endpoints` and
/// `netra sequences` take with `--settings FILE`, so that the CLI and study
/// files read one format.
pub fn read_settings(path: &Path) -> Result<RuleSettings, StudyError> {
    let text = std::fs::read_to_string(path).map_err(|e| StudyError::io(path, e))?;
    let spec_error = |message: String| StudyError::Spec {
        file: path.to_path_buf(),
        position: None,
        message,
    };
    /// A file with a `[settings]` table (other tables ignored).
    #[derive(serde::Deserialize)]
    struct WithSettings {
        settings: RuleSettings,
    }
    let table: toml::Table = toml::from_str(&text).map_err(|e| spec_error(e.to_string()))?;
    let raw: RuleSettings = if table.contains_key("settings") {
        toml::from_str::<WithSettings>(&text).map(|w| w.settings)
    } else {
        toml::from_str::<RuleSettings>(&text)
    }
    .map_err(|e| spec_error(format!("[settings]: {e}")))?;
    resolve_settings(&raw, path).map_err(spec_error)
}

/// Checks a `[settings]` section; a criteria name ending in `.toml` is a
/// study-defined criteria file, read relative to the study file.
fn resolve_settings(raw: &RuleSettings, study: &Path) -> Result<RuleSettings, String> {
    let mut s = raw.clone();
    if s.criteria.ends_with(".toml") {
        let file = study
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join(&s.criteria);
        let text = std::fs::read_to_string(&file)
            .map_err(|err| format!("criteria file {}: {err}", file.display()))?;
        s.criteria = "custom".into();
        s.criteria_toml = Some(text);
    }
    s.resolve().map_err(|err| err.to_string())?;
    Ok(s)
}
