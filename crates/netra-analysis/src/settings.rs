//! The settings every surface offers for every analysis: line-of-therapy
//! rules, response criteria (by name or as TOML), progression source,
//! partial-date rule and the small-cell threshold.
//!
//! [`RuleSettings`] is the serialisable form (CLI flags, a study file's
//! `[settings]` section and the web form/API all deserialize into it, with
//! one [`Default`]); [`Settings`] is the resolved form analyses use.

use netra_clinical::evaluation::{EvaluationRules, ProgressionSource};
use netra_clinical::lines::LineRules;
use netra_clinical::registry::Imputation;
use netra_clinical::registry::vocab::{Agent, Vocabulary};
use netra_clinical::response::{BestOptions, Rules, choi, custom, mrecist, recist, who};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;

/// The settings as a user writes them (codes, not types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleSettings {
    /// Agents started within this many days of a line's start form one
    /// regimen (default 28).
    pub regimen_window_days: i32,
    /// A gap without treatment longer than this starts a new line (120).
    pub gap_days: i32,
    /// Progression followed by a new agent starts a new line (true).
    pub progression_new_agent: bool,
    /// A new agent added to a running regimen without progression starts a
    /// new line (false).
    pub addition_starts_line: bool,
    /// Agent codes that never advance the line.
    pub add_on_agents: Vec<String>,
    /// A somatostatin analogue continued as backbone does not make a line
    /// (true).
    pub ssa_backbone: bool,
    /// Response criteria: `recist1.1`, `who`, `choi`, `mrecist`, or
    /// `custom` with [`RuleSettings::criteria_toml`].
    pub criteria: String,
    /// The text of a study-defined criteria file (`criteria = "custom"`).
    pub criteria_toml: Option<String>,
    /// Which records date progression: `both`, `lesions`, `investigator`.
    pub progression: String,
    /// The baseline scan is at most this many days before a line's start
    /// (60).
    pub baseline_window_days: i32,
    /// Partial dates: `mid_point`, `first_day` or `last_day`.
    pub imputation: String,
    /// Counts below this are suppressed in patient-level summaries shown
    /// to users who may not see records (0: none).
    pub min_cell: u64,
}

impl Default for RuleSettings {
    fn default() -> Self {
        let lines = LineRules::default();
        RuleSettings {
            regimen_window_days: lines.regimen_window_days,
            gap_days: lines.gap_days,
            progression_new_agent: lines.progression_new_agent,
            addition_starts_line: lines.addition_starts_line,
            add_on_agents: Vec::new(),
            ssa_backbone: lines.ssa_backbone,
            criteria: "recist1.1".into(),
            criteria_toml: None,
            progression: "both".into(),
            baseline_window_days: lines.evaluation.baseline_window_days,
            imputation: "mid_point".into(),
            min_cell: 0,
        }
    }
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Line derivation and response evaluation.
    pub line_rules: LineRules,
    /// The small-cell threshold (0: none).
    pub min_cell: u64,
    /// What they were resolved from (for outputs and caches).
    pub source: RuleSettings,
}

impl Default for Settings {
    fn default() -> Self {
        RuleSettings::default()
            .resolve()
            .expect("the default settings resolve")
    }
}

/// Response criteria by name (`recist1.1`, `who`, `choi`, `mrecist`), or
/// from the text of a criteria TOML file.
pub fn criteria(name: &str, toml: Option<&str>) -> Result<Rules, AnalysisError> {
    let bad = |m: String| AnalysisError::invalid("criteria", m);
    match name.to_ascii_lowercase().as_str() {
        "recist1.1" | "recist" | "recist11" => Ok(recist::rules()),
        "who" => Ok(who::rules()),
        "choi" => Ok(choi::rules()),
        "mrecist" => Ok(mrecist::rules()),
        "custom" => {
            let text = toml.ok_or_else(|| bad("custom criteria need their TOML text".into()))?;
            custom::from_toml(text).map_err(|e| bad(format!("invalid criteria: {e}")))
        }
        _ => Err(bad(format!(
            "unknown criteria '{name}' (use recist1.1, who, choi, mrecist or a .toml file)"
        ))),
    }
}

impl RuleSettings {
    /// Checks every value and builds the rules.
    pub fn resolve(&self) -> Result<Settings, AnalysisError> {
        for (v, name) in [
            (self.regimen_window_days, "regimen window"),
            (self.gap_days, "gap"),
            (self.baseline_window_days, "baseline window"),
        ] {
            if v < 0 {
                return Err(AnalysisError::invalid(
                    name,
                    format!("must be a number of days >= 0 (got {v})"),
                ));
            }
        }
        let add_on_agents = self
            .add_on_agents
            .iter()
            .map(|a| {
                Agent::from_code(a.trim())
                    .map_err(|e| AnalysisError::invalid("add-on agents", e.to_string()))
            })
            .collect::<Result<Vec<Agent>, _>>()?;
        let progression: ProgressionSource = self
            .progression
            .parse()
            .map_err(|e: String| AnalysisError::invalid("progression", e))?;
        let imputation: Imputation = self
            .imputation
            .parse()
            .map_err(|e| AnalysisError::invalid("imputation", format!("{e}")))?;
        let line_rules = LineRules {
            regimen_window_days: self.regimen_window_days,
            gap_days: self.gap_days,
            progression_new_agent: self.progression_new_agent,
            switch_starts_line: true,
            addition_starts_line: self.addition_starts_line,
            add_on_agents,
            ssa_backbone: self.ssa_backbone,
            evaluation: EvaluationRules {
                criteria: criteria(&self.criteria, self.criteria_toml.as_deref())?,
                best: BestOptions::default(),
                baseline_window_days: self.baseline_window_days,
                progression,
                imputation,
            },
        };
        Ok(Settings {
            line_rules,
            min_cell: self.min_cell,
            source: self.clone(),
        })
    }
}
