//! `netra lines`: each patient's lines of therapy and treatment sequence,
//! derived from the registry by the documented rules of
//! `netra_clinical::lines` (`docs/endpoints.md`).
//!
//! Also the options every derivation command shares ([`LineArgs`]: line
//! rules, response criteria, progression source, partial-date rule) and
//! reading the courses from the registry ([`load`]).

use std::collections::HashMap;
use std::fmt::Write as _;

use netra_clinical::endpoints::{Censoring, line_outcomes_with};
use netra_clinical::evaluation::{EvaluationRules, ProgressionSource};
use netra_clinical::lines::{Line, LineRules, PatientLines};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{Agent, Vocabulary};
use netra_clinical::registry::{Day, Imputation};
use netra_clinical::response::BestOptions;
use netra_store::{CourseFilter, Registry};
use serde_json::{Value, json};

use super::registry_args::{DbArgs, block_on};
use crate::output::{Format, csv_field, csv_number, write_stdout};

/// The rules of line derivation and response evaluation, shared by
/// `netra lines`, `netra endpoints` and `netra sequences`.
#[derive(Debug, Clone, clap::Args)]
pub struct LineArgs {
    /// Agents started within this many days of a line's start form one regimen.
    #[arg(long, default_value_t = 28, value_name = "DAYS")]
    pub regimen_window: i32,
    /// A gap without treatment longer than this starts a new line.
    #[arg(long, default_value_t = 120, value_name = "DAYS")]
    pub gap: i32,
    /// Agents that never advance the line (agent codes, comma-separated).
    #[arg(long, value_name = "AGENT,…", value_delimiter = ',')]
    pub add_on: Vec<String>,
    /// Count a somatostatin analogue continued as backbone like any agent.
    #[arg(long)]
    pub no_ssa_backbone: bool,
    /// A new agent added to a running regimen without progression starts a line.
    #[arg(long)]
    pub addition_starts_line: bool,
    /// Progression followed by a new agent does not by itself start a line.
    #[arg(long)]
    pub no_progression_rule: bool,
    /// Response criteria applied to the lesions: recist1.1, who, choi, mrecist or a TOML file.
    #[arg(long, default_value = "recist1.1", value_name = "CRITERIA")]
    pub criteria: String,
    /// Which records date progression: both, lesions or investigator.
    #[arg(long, default_value = "both", value_name = "SOURCE")]
    pub progression: String,
    /// The baseline scan is at most this many days before a line's start.
    #[arg(long, default_value_t = 60, value_name = "DAYS")]
    pub baseline_window: i32,
    /// Partial dates: mid_point (default), first_day or last_day.
    #[arg(long, default_value = "mid_point", value_name = "RULE")]
    pub imputation: String,
    /// Only these patients (codes, comma-separated; default all).
    #[arg(long, value_name = "CODE,…", value_delimiter = ',')]
    pub patient: Vec<String>,
    /// Only patients of these sites (comma-separated; default all).
    #[arg(long, value_name = "SITE,…", value_delimiter = ',')]
    pub site: Vec<String>,
    /// Keep patients marked excluded from the study's analyses.
    #[arg(long)]
    pub include_excluded: bool,
    /// Rule settings from a TOML file: its `[settings]` table (a study file,
    /// or a file holding only that table) with the names of the analysis
    /// layer's settings (gap_days, criteria, min_cell, …). Not with the rule
    /// flags above.
    #[arg(long, value_name = "FILE.toml")]
    pub settings: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
}

impl LineArgs {
    /// The settings of `--settings FILE`, if given (the rule flags must then
    /// keep their defaults: one source of rules per run).
    pub fn settings_file(&self) -> anyhow::Result<Option<netra_analysis::settings::Settings>> {
        let Some(path) = &self.settings else {
            return Ok(None);
        };
        let flags_default = self.regimen_window == 28
            && self.gap == 120
            && self.add_on.is_empty()
            && !self.no_ssa_backbone
            && !self.addition_starts_line
            && !self.no_progression_rule
            && self.criteria == "recist1.1"
            && self.progression == "both"
            && self.baseline_window == 60
            && self.imputation == "mid_point";
        if !flags_default {
            anyhow::bail!(
                "give the rules either in --settings {} or as flags, not both",
                path.display()
            );
        }
        let raw = netra_study::spec::read_settings(path)?;
        Ok(Some(raw.resolve()?))
    }

    /// The rules these options describe (`--settings FILE`, else the flags).
    pub fn rules(&self) -> anyhow::Result<LineRules> {
        if let Some(s) = self.settings_file()? {
            return Ok(s.line_rules);
        }
        for (v, name) in [
            (self.regimen_window, "--regimen-window"),
            (self.gap, "--gap"),
            (self.baseline_window, "--baseline-window"),
        ] {
            if v < 0 {
                anyhow::bail!("{name} must be a number of days >= 0 (got {v})");
            }
        }
        let add_on_agents = self
            .add_on
            .iter()
            .map(|a| Agent::from_code(a.trim()).map_err(|e| anyhow::anyhow!("--add-on: {e}")))
            .collect::<anyhow::Result<Vec<Agent>>>()?;
        let progression: ProgressionSource = self
            .progression
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--progression: {e}"))?;
        let imputation: Imputation = self
            .imputation
            .parse()
            .map_err(|e| anyhow::anyhow!("--imputation: {e}"))?;
        Ok(LineRules {
            regimen_window_days: self.regimen_window,
            gap_days: self.gap,
            progression_new_agent: !self.no_progression_rule,
            switch_starts_line: true,
            addition_starts_line: self.addition_starts_line,
            add_on_agents,
            ssa_backbone: !self.no_ssa_backbone,
            evaluation: EvaluationRules {
                criteria: super::response::criteria(&self.criteria)?,
                best: BestOptions::default(),
                baseline_window_days: self.baseline_window,
                progression,
                imputation,
            },
        })
    }
}

/// The registry's courses (filtered) and the study of each site.
pub struct Loaded {
    /// Courses, in patient-code order.
    pub courses: Vec<PatientCourse>,
    /// Study id of each site.
    pub study_of_site: HashMap<String, String>,
    /// Patients left out because the registry marks them excluded from the
    /// study's analyses: (code, reason).
    pub excluded: Vec<(String, String)>,
}

/// Reads the courses named by the options from the registry.
pub fn load(args: &LineArgs) -> anyhow::Result<Loaded> {
    let location = args.db.location();
    let filter = CourseFilter {
        sites: (!args.site.is_empty()).then(|| args.site.clone()),
        patients: (!args.patient.is_empty()).then(|| args.patient.clone()),
    };
    let (courses, sites) = block_on(async {
        let registry = Registry::open(&location).await?;
        let courses = registry.courses(&filter).await?;
        let sites: HashMap<String, String> = registry
            .sites()
            .await?
            .into_iter()
            .map(|s| (s.site, s.study))
            .collect();
        registry.close().await;
        Ok::<_, netra_store::StoreError>((courses, sites))
    })??;
    for code in &args.patient {
        if !courses.iter().any(|c| &c.patient.code == code) {
            anyhow::bail!(
                "no patient '{code}' in the registry at {}",
                location.display()
            );
        }
    }
    let mut excluded = Vec::new();
    let courses = if args.include_excluded {
        courses
    } else {
        courses
            .into_iter()
            .filter(|c| {
                if c.patient.excluded == Some(true) {
                    excluded.push((
                        c.patient.code.clone(),
                        match &c.patient.exclusion_reason {
                            Some(r) => format!("excluded from the study's analyses: {r}"),
                            None => "excluded from the study's analyses".to_string(),
                        },
                    ));
                    false
                } else {
                    true
                }
            })
            .collect()
    };
    if !excluded.is_empty() {
        eprintln!(
            "note: {} patient(s) marked excluded from the study's analyses left out (--include-excluded keeps them)",
            excluded.len()
        );
    }
    Ok(Loaded {
        courses,
        study_of_site: sites,
        excluded,
    })
}

/// Arguments of `netra lines`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub lines: LineArgs,
    /// TTP/PFS censoring: last_assessment (default) or last_follow_up.
    #[arg(long, default_value = "last_assessment", value_name = "RULE")]
    pub censoring: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Derives every course's lines with TTP/PFS (in parallel over patients).
pub fn derive_all(
    courses: &[PatientCourse],
    rules: &LineRules,
    censoring: Censoring,
) -> Vec<PatientLines> {
    netra_clinical::endpoints::par_map(courses, |c| line_outcomes_with(c, rules, censoring))
}

/// Runs `netra lines`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let rules = args.lines.rules()?;
    let censoring: Censoring = args
        .censoring
        .parse()
        .map_err(|e| anyhow::anyhow!("--censoring: {e}"))?;
    let loaded = load(&args.lines)?;
    let all = derive_all(&loaded.courses, &rules, censoring);
    let text = match args.format {
        Format::Table => table(&all),
        Format::Csv => csv(&all),
        Format::Json => {
            serde_json::to_string_pretty(&json!({
                "rules": rules_json(&rules),
                "censoring": censoring.code(),
                "patients": all.iter().map(patient_json).collect::<Vec<_>>(),
            }))? + "\n"
        }
    };
    write_stdout(&text)
}

fn months(days: i32) -> f64 {
    f64::from(days) / netra_clinical::endpoints::DAYS_PER_MONTH
}

fn date(d: Option<Day>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// The rules as JSON (echoed by every derivation command).
pub fn rules_json(r: &LineRules) -> Value {
    json!({
        "regimen_window_days": r.regimen_window_days,
        "gap_days": r.gap_days,
        "progression_new_agent": r.progression_new_agent,
        "switch_starts_line": r.switch_starts_line,
        "addition_starts_line": r.addition_starts_line,
        "add_on_agents": r.add_on_agents.iter().map(|a| a.code()).collect::<Vec<_>>(),
        "ssa_backbone": r.ssa_backbone,
        "criteria": r.evaluation.criteria.name,
        "progression_source": r.evaluation.progression.code(),
        "baseline_window_days": r.evaluation.baseline_window_days,
        "imputation": r.imputation().code(),
    })
}

fn time_json(t: Option<&netra_clinical::lines::LineTime>) -> Value {
    match t {
        None => Value::Null,
        Some(t) => json!({
            "months": months(t.days),
            "days": t.days,
            "event": t.event,
            "end_date": t.end.day.to_string(),
            "description": t.description,
        }),
    }
}

fn line_json(l: &Line) -> Value {
    let ev = &l.evaluation;
    json!({
        "line": l.number,
        "regimen": l.label(),
        "agents": l.regimen,
        "add_ons": l.add_ons,
        "backbone": l.backbone,
        "class": l.class.code(),
        "treatments": l.treatments,
        "start_date": l.start.day.to_string(),
        "end_date": l.end.map(|e| e.day.to_string()),
        "end_reason": l.end_reason.code(),
        "best_response": ev.best.map(|c| c.label()),
        "response_source": ev.source.map(|s| s.code()),
        "measurable": ev.measurable,
        "evaluable": ev.evaluable(),
        "baseline_date": ev.baseline.map(|b| b.day.to_string()),
        "progression_date": ev.progression.map(|p| p.day.to_string()),
        "first_response_date": ev.first_response.map(|p| p.day.to_string()),
        "note": ev.note,
        "ttp": time_json(l.ttp.as_ref()),
        "pfs": time_json(l.pfs.as_ref()),
    })
}

/// One patient's lines as JSON (the contract of docs/cli-json.md).
pub fn patient_json(p: &PatientLines) -> Value {
    json!({
        "patient": p.patient,
        "sequence": p.sequence_label(),
        "end": p.end.code(),
        "lines": p.lines.iter().map(line_json).collect::<Vec<_>>(),
        "local": p.local.iter().map(|i| json!({
            "treatment": i.treatment,
            "type": i.kind,
            "start_date": i.start.day.to_string(),
            "end_date": i.end.map(|e| e.day.to_string()),
            "during_line": i.during_line,
        })).collect::<Vec<_>>(),
        "not_lines": p.not_lines,
        "undated": p.undated,
        "imputed_dates": p.imputed_dates,
    })
}

fn fmt_time(t: Option<&netra_clinical::lines::LineTime>) -> String {
    match t {
        None => String::new(),
        Some(t) => format!("{:.1}{}", months(t.days), if t.event { "" } else { "+" }),
    }
}

fn table(all: &[PatientLines]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Lines of therapy (TTP/PFS in months; + = censored). {} patients.\n",
        all.len()
    );
    for p in all {
        let _ = writeln!(s, "Patient {}: {}", p.patient, p.sequence_label());
        if p.lines.is_empty() {
            let _ = writeln!(s, "  no line of systemic therapy");
        } else {
            let _ = writeln!(
                s,
                "  {:<4} {:<32} {:<21} {:<10} {:<10} {:<14} {:<13} {:>7} {:>7}",
                "line",
                "regimen",
                "class",
                "start",
                "end",
                "end reason",
                "best response",
                "TTP",
                "PFS"
            );
            for l in &p.lines {
                let mut reg = l.label();
                if !l.backbone.is_empty() {
                    reg.push_str(&format!(" (+{})", l.backbone.join("+")));
                }
                if !l.add_ons.is_empty() {
                    reg.push_str(&format!(" [+{}]", l.add_ons.join("+")));
                }
                let best = match (l.evaluation.best, l.evaluation.measurable) {
                    (Some(c), Some(false)) => format!("{} (nm)", c.label()),
                    (Some(c), _) => c.label().to_string(),
                    (None, _) => "—".into(),
                };
                let _ = writeln!(
                    s,
                    "  {:<4} {:<32} {:<21} {:<10} {:<10} {:<14} {:<13} {:>7} {:>7}",
                    l.number,
                    reg,
                    l.class.label(),
                    l.start.day,
                    date(l.end.map(|e| e.day)),
                    l.end_reason.code(),
                    best,
                    fmt_time(l.ttp.as_ref()),
                    fmt_time(l.pfs.as_ref()),
                );
            }
        }
        for i in &p.local {
            let _ = writeln!(
                s,
                "  local: {} on {}{}",
                i.kind,
                i.start.day,
                if i.during_line == 0 {
                    " (before line 1)".to_string()
                } else {
                    format!(" (during/after line {})", i.during_line)
                }
            );
        }
        if !p.undated.is_empty() {
            let _ = writeln!(s, "  undated (left out): {}", p.undated.join(", "));
        }
        if !p.not_lines.is_empty() {
            let _ = writeln!(
                s,
                "  curative/adjuvant (not lines): {}",
                p.not_lines.join(", ")
            );
        }
        s.push('\n');
    }
    s.push_str("(nm) = no measurable disease at baseline: not evaluable for ORR/DCR.\n");
    s
}

/// CSV: one row per line.
pub(crate) fn csv(all: &[PatientLines]) -> String {
    let mut s = String::from(
        "patient,line,regimen,class,add_ons,backbone,start_date,end_date,end_reason,best_response,response_source,measurable,evaluable,ttp_months,ttp_event,pfs_months,pfs_event,treatments\n",
    );
    for p in all {
        for l in &p.lines {
            let ev = &l.evaluation;
            let te = |t: Option<&netra_clinical::lines::LineTime>| match t {
                Some(t) => (
                    csv_number(Some(months(t.days))),
                    u8::from(t.event).to_string(),
                ),
                None => ("NA".into(), "NA".into()),
            };
            let (ttp, ttp_e) = te(l.ttp.as_ref());
            let (pfs, pfs_e) = te(l.pfs.as_ref());
            let cells = [
                csv_field(&p.patient),
                l.number.to_string(),
                csv_field(&l.label()),
                l.class.code().to_string(),
                csv_field(&l.add_ons.join("+")),
                csv_field(&l.backbone.join("+")),
                l.start.day.to_string(),
                date(l.end.map(|e| e.day)),
                l.end_reason.code().to_string(),
                ev.best.map_or("NA".into(), |c| csv_field(c.label())),
                ev.source.map_or("NA", |x| x.code()).to_string(),
                ev.measurable
                    .map_or("NA".into(), |m| u8::from(m).to_string()),
                u8::from(ev.evaluable()).to_string(),
                ttp,
                ttp_e,
                pfs,
                pfs_e,
                csv_field(&l.treatments.join(";")),
            ];
            s.push_str(&cells.join(","));
            s.push('\n');
        }
    }
    s
}

/// `netra response --db`: the response of each registry patient's line `k`,
/// through the same mapping and baseline rule as lines of therapy
/// (`netra_clinical::evaluation::segment_lesions`). Patients without that
/// line or without lesions at its baseline are skipped (counted on stderr);
/// lesions the engine rejects are reported per patient and skipped.
pub fn registry_responses(
    db: &str,
    patients: &[String],
    k: u32,
    criteria_name: &str,
    criteria: &netra_clinical::response::Rules,
    options: &BestOptions,
) -> anyhow::Result<Vec<netra_clinical::response::PatientResponse>> {
    let args = LineArgs {
        regimen_window: 28,
        gap: 120,
        add_on: Vec::new(),
        no_ssa_backbone: false,
        addition_starts_line: false,
        no_progression_rule: false,
        criteria: criteria_name.to_string(),
        progression: "both".into(),
        baseline_window: 60,
        imputation: "mid_point".into(),
        patient: patients.to_vec(),
        site: Vec::new(),
        include_excluded: true,
        settings: None,
        db: DbArgs {
            db: (!db.is_empty()).then(|| db.to_string()),
        },
    };
    let mut rules = args.rules()?;
    rules.evaluation.criteria = criteria.clone();
    rules.evaluation.best = *options;
    let loaded = load(&args)?;
    let mut out = Vec::new();
    let (mut no_line, mut no_lesions) = (0usize, 0usize);
    for c in &loaded.courses {
        let scans = netra_clinical::evaluation::Scans::new(c, rules.imputation());
        let lines = netra_clinical::lines::derive_lines_with(c, &scans, &rules);
        let Some(line) = lines.line(k) else {
            no_line += 1;
            continue;
        };
        let next = lines.line(k + 1).map(|n| n.start.day);
        let ids: Vec<&str> = line.treatments.iter().map(String::as_str).collect();
        let Some(input) = netra_clinical::evaluation::segment_lesions(
            &scans,
            line.start.day,
            next,
            &ids,
            &rules.evaluation,
        ) else {
            no_lesions += 1;
            continue;
        };
        match input.and_then(|i| netra_clinical::response::assess(&i, criteria, options)) {
            Ok(r) => out.push(r),
            Err(e) => eprintln!("note: patient {}, line {k}: {e}", c.patient.code),
        }
    }
    if no_line + no_lesions > 0 {
        eprintln!(
            "note: {no_line} patient(s) without line {k}, {no_lesions} without lesions at the line's baseline"
        );
    }
    if out.is_empty() {
        anyhow::bail!("no registry patient has lesion measurements for line {k}");
    }
    Ok(out)
}
