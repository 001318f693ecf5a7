//! `netra endpoints`: one time-to-event row per patient (per line with
//! `--from line:all`) derived from the registry by `netra_clinical::endpoints`
//! (censoring rules in `docs/endpoints.md`), as a table, JSON, a plain CSV
//! (`time,event` with `event` 1 = event) or CDISC ADaM ADTTE.
//!
//! Both CSV layouts feed `netra km` / `netra cox` directly:
//! * `--format csv`:   `netra km --data F --time time --event event [--group line]`
//! * `--format adtte`: `netra km --data F --time AVAL --event CNSR --event-value 0`
//!
//! `--import FILE` reads an ADTTE file instead (checking every record) and
//! writes the same outputs, so an ADTTE from elsewhere can be analysed too.

use std::fmt::Write as _;
use std::path::PathBuf;

use netra_clinical::endpoints::adtte::{self, AdtteRecord};
use netra_clinical::endpoints::{
    Censoring, CohortEndpoints, EfsEvents, Endpoint, EndpointRow, EndpointSpec, TimeZero, Units,
    derive_cohort,
};
use netra_frame::Frame;
use serde_json::{Value, json};

use super::lines::{LineArgs, load, rules_json};
use crate::output::{csv_field, csv_number, write_stdout};

/// Output formats of `netra endpoints`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EndpointFormat {
    /// Aligned text.
    #[default]
    Table,
    /// The JSON contract (docs/cli-json.md).
    Json,
    /// Plain CSV: patient, endpoint, from, line, time, event (1 = event), …
    Csv,
    /// CDISC ADaM ADTTE (CNSR 0 = event).
    Adtte,
}

/// Arguments of `netra endpoints`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// os, pfs, ttp, ttf, ttnt, dor, pfs2 or efs.
    #[arg(long, value_name = "ENDPOINT", required_unless_present = "import")]
    pub endpoint: Option<String>,
    /// Time zero: diagnosis, metastatic, entry, line:K, line:all, treatment:AGENT.
    #[arg(long, value_name = "ZERO", default_value = "metastatic")]
    pub from: String,
    /// days, months (30.4375 d) or years (365.25 d).
    #[arg(long, default_value = "months", value_name = "UNIT")]
    pub units: String,
    /// Progression endpoints: censor at last_assessment (default) or last_follow_up.
    #[arg(long, default_value = "last_assessment", value_name = "RULE")]
    pub censoring: String,
    /// Censor at the start of a new anticancer therapy.
    #[arg(long)]
    pub censor_at_new_therapy: bool,
    /// EFS events: pejorative[:G] or a list of progression, death, ae:G, any_ae:G, symptoms, marker:P.
    #[arg(long, default_value = "pejorative", value_name = "LIST")]
    pub efs_events: String,
    /// TTNT: death is not an event (censored).
    #[arg(long)]
    pub ttnt_death_censored: bool,
    /// TTF: completing the planned treatment counts as failure.
    #[arg(long)]
    pub ttf_completion_is_failure: bool,
    /// STUDYID of ADTTE rows (default: the study of each patient's site).
    #[arg(long, value_name = "ID")]
    pub study: Option<String>,
    /// Read an ADTTE CSV instead of the registry (checks every record).
    #[arg(long, value_name = "FILE")]
    pub import: Option<PathBuf>,
    /// With --import: only this PARAMCD.
    #[arg(long, value_name = "PARAMCD", requires = "import")]
    pub paramcd: Option<String>,
    #[command(flatten)]
    pub lines: LineArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: EndpointFormat,
}

/// Runs `netra endpoints`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(path) = &args.import {
        return import(path, args.paramcd.as_deref(), args.format);
    }
    let spec = spec_of(&args)?;
    let rules = args.lines.rules()?;
    let loaded = load(&args.lines)?;
    let mut out = derive_cohort(&loaded.courses, &spec, &rules);
    out.excluded.extend(loaded.excluded.iter().map(|(p, r)| {
        netra_clinical::endpoints::Exclusion {
            patient: p.clone(),
            line: None,
            reason: r.clone(),
        }
    }));
    let site_of: std::collections::HashMap<&str, &str> = loaded
        .courses
        .iter()
        .map(|c| (c.patient.code.as_str(), c.patient.site.as_str()))
        .collect();
    let arm_of: std::collections::HashMap<&str, &str> = loaded
        .courses
        .iter()
        .filter_map(|c| Some((c.patient.code.as_str(), c.patient.arm.as_deref()?)))
        .collect();
    let study_of = |patient: &str| -> String {
        if let Some(s) = &args.study {
            return s.clone();
        }
        site_of
            .get(patient)
            .and_then(|site| loaded.study_of_site.get(*site))
            .cloned()
            .unwrap_or_default()
    };
    let text = match args.format {
        EndpointFormat::Table => table(&spec, &out),
        EndpointFormat::Csv => csv(&spec, &out.rows, &arm_of),
        EndpointFormat::Adtte => {
            let recs: Vec<AdtteRecord> = out
                .rows
                .iter()
                .map(|r| {
                    AdtteRecord::from_row(
                        r,
                        &spec,
                        &study_of(&r.patient),
                        arm_of.get(r.patient.as_str()).copied(),
                    )
                })
                .collect();
            adtte_csv(&recs)
        }
        EndpointFormat::Json => {
            serde_json::to_string_pretty(&json_of(&spec, &out, rules_json(&rules), &arm_of))? + "\n"
        }
    };
    if !out.excluded.is_empty() && args.format != EndpointFormat::Table {
        eprintln!(
            "note: {} patient(s) or line(s) without a row (see --format table or json for reasons)",
            out.excluded.len()
        );
    }
    write_stdout(&text)
}

fn spec_of(args: &Args) -> anyhow::Result<EndpointSpec> {
    let endpoint: Endpoint = args
        .endpoint
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|e| anyhow::anyhow!("--endpoint: {e}"))?;
    let from: TimeZero = args
        .from
        .parse()
        .map_err(|e| anyhow::anyhow!("--from: {e}"))?;
    let mut spec = EndpointSpec::new(endpoint, from);
    spec.units = args
        .units
        .parse::<Units>()
        .map_err(|e| anyhow::anyhow!("--units: {e}"))?;
    spec.censoring = args
        .censoring
        .parse::<Censoring>()
        .map_err(|e| anyhow::anyhow!("--censoring: {e}"))?;
    spec.censor_at_new_therapy = args.censor_at_new_therapy;
    spec.efs = args
        .efs_events
        .parse::<EfsEvents>()
        .map_err(|e| anyhow::anyhow!("--efs-events: {e}"))?;
    spec.ttnt_death_is_event = !args.ttnt_death_censored;
    spec.ttf_completion_is_failure = args.ttf_completion_is_failure;
    Ok(spec)
}

/// The plain CSV header (a contract: tools key on these names).
pub const CSV_HEADER: &str =
    "patient,arm,endpoint,from,line,time,event,units,start_date,end_date,description,imputed_dates";

pub(crate) fn csv(
    spec: &EndpointSpec,
    rows: &[EndpointRow],
    arm_of: &std::collections::HashMap<&str, &str>,
) -> String {
    let mut s = String::with_capacity(rows.len() * 96 + 128);
    s.push_str(CSV_HEADER);
    s.push('\n');
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.patient),
            arm_of
                .get(r.patient.as_str())
                .map_or("NA".to_string(), |a| csv_field(a)),
            r.endpoint.code(),
            r.from.code(),
            r.line.map_or("NA".to_string(), |l| l.to_string()),
            csv_number(Some(r.time)),
            u8::from(r.event),
            spec.units.code(),
            r.start.day,
            r.end.day,
            csv_field(&r.description),
            r.imputed_dates
        );
    }
    s
}

fn json_of(
    spec: &EndpointSpec,
    out: &CohortEndpoints,
    rules: Value,
    arm_of: &std::collections::HashMap<&str, &str>,
) -> Value {
    json!({
        "endpoint": spec.endpoint.code(),
        "from": spec.from.code(),
        "units": spec.units.code(),
        "censoring": spec.censoring.code(),
        "censor_at_new_therapy": spec.censor_at_new_therapy,
        "efs_events": (spec.endpoint == Endpoint::Efs).then(|| spec.efs.code()),
        "rules": rules,
        "n": out.rows.len(),
        "events": out.rows.iter().filter(|r| r.event).count(),
        "imputed_dates": out.imputed_dates,
        "clamped_dates": out.clamped_dates.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "rows": out.rows.iter().map(|r| json!({
            "patient": r.patient,
            "arm": arm_of.get(r.patient.as_str()),
            "line": r.line,
            "from": r.from.code(),
            "time": r.time,
            "days": r.days,
            "event": r.event,
            "start_date": r.start.day.to_string(),
            "end_date": r.end.day.to_string(),
            "description": r.description,
            "imputed_dates": r.imputed_dates,
        })).collect::<Vec<_>>(),
        "excluded": out.excluded.iter().map(|e| json!({
            "patient": e.patient,
            "line": e.line,
            "reason": e.reason,
        })).collect::<Vec<_>>(),
    })
}

fn table(spec: &EndpointSpec, out: &CohortEndpoints) -> String {
    let mut s = String::new();
    let events = out.rows.iter().filter(|r| r.event).count();
    let _ = writeln!(
        s,
        "{} {} ({}); censoring: {}{}",
        spec.endpoint.label(),
        spec.from.phrase(),
        spec.units.code(),
        spec.censoring.code(),
        if spec.censor_at_new_therapy {
            ", and at new anticancer therapy"
        } else {
            ""
        }
    );
    if spec.endpoint == Endpoint::Efs {
        let _ = writeln!(s, "EFS events: {}", spec.efs.code());
    }
    let _ = writeln!(
        s,
        "{} rows, {} events, {} censored; {} dates imputed; {} without a row\n",
        out.rows.len(),
        events,
        out.rows.len() - events,
        out.imputed_dates,
        out.excluded.len()
    );
    for c in &out.clamped_dates {
        let _ = writeln!(s, "warning: {c}");
    }
    if !out.clamped_dates.is_empty() {
        let _ = writeln!(s);
    }
    let _ = writeln!(
        s,
        "{:<16} {:>4} {:>9} {:<8} {:<10} {:<10} {:>3}  description",
        "patient", "line", "time", "status", "start", "end", "imp"
    );
    for r in &out.rows {
        let _ = writeln!(
            s,
            "{:<16} {:>4} {:>9.2} {:<8} {:<10} {:<10} {:>3}  {}",
            r.patient,
            r.line.map_or("".into(), |l| l.to_string()),
            r.time,
            if r.event { "event" } else { "censored" },
            r.start.day,
            r.end.day,
            r.imputed_dates,
            r.description
        );
    }
    if !out.excluded.is_empty() {
        // Reasons counted, not listed one by one for large registries.
        let mut reasons: std::collections::BTreeMap<&str, usize> = Default::default();
        for e in &out.excluded {
            *reasons.entry(e.reason.as_str()).or_default() += 1;
        }
        let _ = writeln!(s, "\nWithout a row:");
        for (r, n) in reasons {
            let _ = writeln!(s, "  {n:>6}  {r}");
        }
    }
    s
}

/// Reads an ADTTE CSV, checks every record, and prints it in the chosen
/// format (the plain CSV keeps `time,event` for `netra km`).
fn import(
    path: &std::path::Path,
    paramcd: Option<&str>,
    format: EndpointFormat,
) -> anyhow::Result<()> {
    let frame = Frame::read(path, None)?;
    let names: Vec<String> = frame.column_names().map(str::to_string).collect();
    for c in adtte::REQUIRED {
        if !names.iter().any(|n| n == c) {
            anyhow::bail!(
                "{}: no column named '{c}' (an ADTTE file needs {})",
                frame.source_name(),
                adtte::REQUIRED.join(", ")
            );
        }
    }
    let cols: Vec<(&str, netra_frame::Column<'_>)> = adtte::COLUMNS
        .iter()
        .filter_map(|c| frame.column(c).ok().map(|col| (*c, col)))
        .collect();
    let mut recs = Vec::new();
    for row in 0..frame.n_rows() {
        let rec = AdtteRecord::read(|v| {
            cols.iter()
                .find(|(n, _)| *n == v)
                .and_then(|(_, c)| c.text(row))
        });
        match rec {
            Ok(r) => {
                if paramcd.is_none_or(|p| p == r.paramcd) {
                    recs.push(r);
                }
            }
            Err(e) => {
                let col = frame.column(e.variable)?;
                return Err(col.error(row, e.reason).into());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for r in &recs {
        if !seen.insert((r.usubjid.as_str(), r.paramcd.as_str())) {
            anyhow::bail!(
                "{}: subject {} has two {} records (ADTTE holds one per subject and parameter; use --paramcd)",
                frame.source_name(),
                r.usubjid,
                r.paramcd
            );
        }
    }
    let text = match format {
        EndpointFormat::Adtte => adtte_csv(&recs),
        EndpointFormat::Csv => {
            let mut s = String::from(
                "patient,paramcd,line,time,event,units,start_date,end_date,description\n",
            );
            for r in &recs {
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},{},{},{},{}",
                    csv_field(&r.usubjid),
                    r.trt01p.as_deref().map_or("NA".to_string(), csv_field),
                    csv_field(&r.paramcd),
                    r.line.map_or("NA".into(), |l| l.to_string()),
                    csv_number(Some(r.aval)),
                    u8::from(r.cnsr == 0),
                    csv_field(&r.avalu),
                    r.startdt,
                    r.adt.map(|d| d.to_string()).unwrap_or_default(),
                    csv_field(
                        r.evntdesc
                            .as_deref()
                            .or(r.cnsdtdsc.as_deref())
                            .unwrap_or_default()
                    ),
                );
            }
            s
        }
        EndpointFormat::Json => {
            serde_json::to_string_pretty(&json!({
                "source": path.display().to_string(),
                "n": recs.len(),
                "events": recs.iter().filter(|r| r.cnsr == 0).count(),
                "records": recs.iter().map(|r| json!({
                    "studyid": r.studyid, "usubjid": r.usubjid, "trt01p": r.trt01p, "paramcd": r.paramcd,
                    "param": r.param, "aval": r.aval, "avalu": r.avalu, "cnsr": r.cnsr,
                    "startdt": r.startdt.to_string(), "adt": r.adt.map(|d| d.to_string()),
                    "evntdesc": r.evntdesc, "cnsdtdsc": r.cnsdtdsc, "line": r.line,
                })).collect::<Vec<_>>(),
            }))? + "\n"
        }
        EndpointFormat::Table => {
            let mut s = format!(
                "{}: {} records, {} events\n\n{:<16} {:<8} {:>9} {:<8} {:<10} {:<10}\n",
                path.display(),
                recs.len(),
                recs.iter().filter(|r| r.cnsr == 0).count(),
                "USUBJID",
                "PARAMCD",
                "AVAL",
                "status",
                "STARTDT",
                "ADT"
            );
            for r in &recs {
                let _ = writeln!(
                    s,
                    "{:<16} {:<8} {:>9.2} {:<8} {:<10} {:<10}",
                    r.usubjid,
                    r.paramcd,
                    r.aval,
                    if r.cnsr == 0 { "event" } else { "censored" },
                    r.startdt,
                    r.adt.map(|d| d.to_string()).unwrap_or_default()
                );
            }
            s
        }
    };
    write_stdout(&text)
}

/// ADTTE records as CSV (the one CSV rule: `netra_report::csv`).
fn adtte_csv(records: &[AdtteRecord]) -> String {
    netra_report::csv::document(&adtte::COLUMNS, records.iter().map(AdtteRecord::cells))
}
