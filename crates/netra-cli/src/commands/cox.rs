//! `netra cox`: Cox proportional-hazards regression as R's
//! `summary(coxph(...))`, with `cox.zph`, univariate screening and
//! Fine–Gray competing-risks regression.
//!
//! ```text
//! netra cox --data lung.csv --time time --event status --event-value 2 \
//!           --formula "age + factor(sex) + ph.ecog"
//! netra cox ... --univariate "age + factor(grade) + liver"      # screening, then multivariate
//! netra cox ... --start entry                                   # (start, stop] / left truncation
//! netra cox ... --cluster centre                                # robust variance
//! netra cox ... --zph [--zph-transform km|rank|identity] [--schoenfeld]
//! netra cox --data d.csv --time t --fine-gray --status outcome --cause 1 [--censor-value 0] \
//!           --formula "age + sex"                               # Fine–Gray (finegray + coxph)
//! ```
//!
//! Rows missing any used column are dropped and counted (per model in
//! univariate screening, as each model uses its own columns). A column used
//! as a plain term must hold numbers, unless none of its cells is a number,
//! in which case it is a factor (as R treats text); `factor(x)` always makes
//! a factor, ordered numerically when every value is a number.

mod report;

use std::collections::HashMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use netra_frame::{Column, Frame};
use netra_stats::cox::finegray::{self, Status};
use netra_stats::cox::zph::{Zph, ZphTransform, cox_zph};
use netra_stats::cox::{CoxData, CoxError, CoxFit, CoxOptions, Ties, coxph};
use netra_stats::model::{
    ColumnData, Design, DesignError, DesignOptions, Formula, NamedColumn, Variable,
};

use crate::input::{self, EventCoding};
use crate::output::Format;

/// Tie handling (`--ties`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TiesArg {
    /// Efron's approximation (R's default).
    #[default]
    Efron,
    /// Breslow's approximation.
    Breslow,
}

/// Time transform of the proportional-hazards test (`--zph-transform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ZphArg {
    /// 1 − Kaplan–Meier (R's default).
    #[default]
    Km,
    /// Rank of the time.
    Rank,
    /// The time itself.
    Identity,
}

/// Arguments of `netra cox`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Column holding follow-up (or stop) time (any unit; >= 0).
    #[arg(long, value_name = "COL")]
    pub time: String,
    /// Column holding the event indicator (R's Surv coding: 0/1, 1/2, TRUE/FALSE).
    #[arg(long, value_name = "COL", required_unless_present = "fine_gray")]
    pub event: Option<String>,
    /// Value of the event column that means "event".
    #[arg(long, value_name = "V")]
    pub event_value: Option<String>,
    /// Value meaning "censored": other values not named are errors (with
    /// --fine-gray: the censoring code of --status, default 0).
    #[arg(long, value_name = "C")]
    pub censor_value: Option<String>,
    /// Model terms, R style: "age + factor(grade) + liver + strata(site)",
    /// interactions a:b and a*b.
    #[arg(long, value_name = "TERMS", required_unless_present = "univariate")]
    pub formula: Option<String>,
    /// Univariate screening: one model per term of TERMS (strata() terms
    /// are kept in every model), then the multivariate model (--formula, or
    /// TERMS when --formula is not given).
    #[arg(long, value_name = "TERMS")]
    pub univariate: Option<String>,
    /// Handling of tied event times.
    #[arg(long, value_enum, default_value_t)]
    pub ties: TiesArg,
    /// Reference level of a factor, COL=LEVEL (repeatable); default: the
    /// first level in sorted order.
    #[arg(long = "ref", value_name = "COL=LEVEL")]
    pub refs: Vec<String>,
    /// Column holding the start of each (start, stop] interval: time-varying
    /// covariates or delayed entry (left truncation).
    #[arg(long, value_name = "COL")]
    pub start: Option<String>,
    /// Column of case weights (> 0).
    #[arg(long, value_name = "COL")]
    pub weights: Option<String>,
    /// Column of cluster labels: robust (sandwich) variance summed within
    /// clusters.
    #[arg(long, value_name = "COL")]
    pub cluster: Option<String>,
    /// Use the robust variance even without --cluster (R's robust = TRUE).
    #[arg(long)]
    pub robust: bool,
    /// Confidence level of the hazard-ratio intervals.
    #[arg(long, value_name = "L", default_value_t = 0.95)]
    pub conf_level: f64,
    /// Test proportional hazards (R's cox.zph).
    #[arg(long)]
    pub zph: bool,
    /// Time transform of the proportional-hazards test.
    #[arg(long, value_enum, default_value_t)]
    pub zph_transform: ZphArg,
    /// Include scaled Schoenfeld residuals (for plotting) in the JSON output.
    #[arg(long)]
    pub schoenfeld: bool,
    /// Fine–Gray subdistribution hazards for competing risks (R's finegray +
    /// weighted coxph); needs --status and --cause.
    #[arg(long, requires_all = ["status", "cause"])]
    pub fine_gray: bool,
    /// With --fine-gray: column of outcome codes (censoring, the cause of
    /// interest, competing events).
    #[arg(long, value_name = "COL")]
    pub status: Option<String>,
    /// With --fine-gray: the code of the event of interest.
    #[arg(long, value_name = "V")]
    pub cause: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// A fitted model with what the report needs.
pub(crate) struct Fitted {
    pub label: Option<String>,
    pub fit: CoxFit,
    pub design: Design,
    pub n_dropped: usize,
    /// How rows and event values were read (issue 13).
    pub reading: input::Reading,
    pub zph: Option<Zph>,
    pub fine_gray: Option<FineGrayInfo>,
}

/// What a Fine–Gray fit adds to the report.
pub(crate) struct FineGrayInfo {
    pub cause: String,
    pub censor: String,
    pub expanded_rows: usize,
}

/// Runs `netra cox`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if args.fine_gray && args.start.is_some() {
        bail!("--fine-gray with --start is not supported (right-censored competing risks only)");
    }
    if args.fine_gray && (args.event.is_some() || args.event_value.is_some()) {
        bail!("--fine-gray takes the outcome from --status and --cause, not --event");
    }
    if !args.fine_gray && args.censor_value.is_some() && args.event_value.is_none() {
        bail!("--censor-value needs --event-value");
    }
    if !(args.conf_level > 0.0 && args.conf_level < 1.0) {
        bail!(
            "--conf-level must be between 0 and 1 (got {})",
            args.conf_level
        );
    }
    let refs = parse_refs(&args.refs)?;
    if args.robust && args.start.is_some() && args.cluster.is_none() {
        // R: "one of cluster or id is needed". Rows of (start, stop] data are
        // intervals of a subject, not subjects: treating each as its own
        // cluster would understate the variance silently.
        bail!(
            "--robust with --start needs --cluster COL naming the subject of each interval              (as R's coxph: \"one of cluster or id is needed\")"
        );
    }

    let main_text = args
        .formula
        .clone()
        .or_else(|| args.univariate.clone())
        .context("give --formula or --univariate")?;
    let main_formula = Formula::parse(&main_text).context("--formula")?;
    let screen_formula = match &args.univariate {
        Some(text) => Some(Formula::parse(text).context("--univariate")?),
        None => None,
    };
    for (col, _) in &refs {
        let used = std::iter::once(&main_formula)
            .chain(screen_formula.as_ref())
            .any(|f| f.columns().contains(&col.as_str()));
        if !used {
            bail!("--ref {col}=...: the formula does not use the column '{col}'");
        }
    }

    // Read every column any model uses, once.
    let mut wanted: Vec<String> = Vec::new();
    let mut want = |c: &str| {
        if !wanted.iter().any(|w| w == c) {
            wanted.push(c.to_string());
        }
    };
    for f in std::iter::once(&main_formula).chain(screen_formula.as_ref()) {
        for c in f.columns() {
            want(c);
        }
    }
    for c in outcome_columns(&args) {
        want(&c);
    }
    let wanted_refs: Vec<&str> = wanted.iter().map(String::as_str).collect();
    let frame = Frame::read(&args.data, Some(&wanted_refs))?;

    let mut screening = Vec::new();
    if let Some(sf) = &screen_formula {
        let strata_labels: Vec<String> = sf
            .terms
            .iter()
            .filter(|t| sf.is_strata(t))
            .map(|t| sf.term_label(t))
            .collect();
        for term in sf.terms.iter().filter(|t| !sf.is_strata(t)) {
            let label = sf.term_label(term);
            let text = std::iter::once(label.clone())
                .chain(strata_labels.iter().cloned())
                .collect::<Vec<_>>()
                .join(" + ");
            let formula = Formula::parse(&text)?;
            let fitted = fit_model(&frame, &args, &formula, &refs, false)
                .with_context(|| format!("univariate model for {label}"))?;
            screening.push(Fitted {
                label: Some(label),
                ..fitted
            });
        }
    }
    let main = fit_model(
        &frame,
        &args,
        &main_formula,
        &refs,
        args.zph || args.schoenfeld,
    )?;

    let out = match args.format {
        Format::Table => report::table(&args, &screening, &main),
        Format::Json => report::json(&args, &screening, &main)?,
        Format::Csv => report::csv(&screening, &main),
    };
    print!("{out}");
    Ok(())
}

fn outcome_columns(args: &Args) -> Vec<String> {
    let mut v = vec![args.time.clone()];
    v.extend(args.event.clone());
    v.extend(args.status.clone());
    v.extend(args.start.clone());
    v.extend(args.weights.clone());
    v.extend(args.cluster.clone());
    v
}

fn parse_refs(refs: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    refs.iter()
        .map(|r| {
            let (col, level) = r
                .split_once('=')
                .with_context(|| format!("--ref '{r}': write COL=LEVEL"))?;
            if col.trim().is_empty() {
                bail!("--ref '{r}': the column name is empty");
            }
            Ok((col.trim().to_string(), level.trim().to_string()))
        })
        .collect()
}

/// Most levels a factor term of `netra cox` may have (99 design columns).
/// Above it the design matrix and the information matrix grow with the square
/// of the levels and a fit on an identifier column ran for minutes; a factor
/// that large is almost always an identifier or a free-text column, refused
/// with its count as `netra logrank` refuses more than its `MAX_GROUPS`.
pub(crate) const MAX_FACTOR_LEVELS: usize = 100;

/// Refuses a factor term (text column or `factor(x)`) with more than
/// [`MAX_FACTOR_LEVELS`] distinct values in `rows`.
fn check_factor_levels(
    frame: &Frame,
    formula: &Formula,
    name: &str,
    values: &Values<'_>,
    rows: &[usize],
) -> anyhow::Result<()> {
    let as_factor = formula.variables.iter().any(|v| match v {
        Variable::Factor(c) => c == name,
        Variable::Plain(c) => c == name && matches!(values, Values::Text(_)),
        Variable::Strata(_) => false,
    });
    if !as_factor {
        return Ok(());
    }
    let column = frame.column(name)?;
    let mut distinct = std::collections::HashSet::new();
    for &r in rows {
        distinct.insert(column.text(r).unwrap_or_default());
        if distinct.len() > MAX_FACTOR_LEVELS {
            bail!(
                "{}: column '{name}' has more than {MAX_FACTOR_LEVELS} distinct values; a factor \
                 in a Cox model may have at most {MAX_FACTOR_LEVELS} levels (is it an \
                 identifier or free text?)",
                frame.source_name()
            );
        }
    }
    Ok(())
}

/// A design column read from the file.
enum Values<'f> {
    Numeric(Vec<f64>),
    Text(Vec<&'f str>),
}

/// Reads a formula column over `rows`: numbers when every cell of the whole
/// column is a number; text when none is (a factor, as R does with text); an
/// error naming the first text cell when a plain (non-factor) term mixes the
/// two. The type is decided on the whole column, dropped rows included, as
/// `read.csv` types it: one text cell in a dropped row makes R read the
/// column as a factor, so netra must not read it as a number.
fn read_column<'f>(column: Column<'f>, rows: &[usize], plain: bool) -> anyhow::Result<Values<'f>> {
    let first_text = input::first_text_row(column);
    let any_number = (0..column.len()).any(|r| {
        column
            .text(r)
            .is_some_and(|t| t.parse::<f64>().is_ok_and(f64::is_finite))
    });
    match first_text {
        None => Ok(Values::Numeric(
            rows.iter()
                .map(|&r| column.number(r).ok().flatten().unwrap_or(f64::NAN))
                .collect(),
        )),
        Some(r) if plain && any_number => Err(column
            .error(
                r,
                format!(
                    "not a number, in a column used as a number (R reads the whole column as \
                     text because of this cell, even when its row is dropped); fix the cell, \
                     or write factor({}) to use it as categories",
                    column.name()
                ),
            )
            .into()),
        Some(_) => Ok(Values::Text(
            rows.iter()
                .map(|&r| column.text(r).unwrap_or_default())
                .collect(),
        )),
    }
}

/// Fits one model of the command on `frame`.
fn fit_model(
    frame: &Frame,
    args: &Args,
    formula: &Formula,
    refs: &[(String, String)],
    with_zph: bool,
) -> anyhow::Result<Fitted> {
    let mut cols: Vec<String> = formula.columns().iter().map(|c| c.to_string()).collect();
    for c in outcome_columns(args) {
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    let col_refs: Vec<&str> = cols.iter().map(String::as_str).collect();
    let complete = input::complete_rows(frame, &col_refs)?;
    let rows = &complete.rows;
    let line_of = |row: usize| frame.line(rows[row]);

    let time = input::times(frame.column(&args.time)?, rows)?;
    let start = match &args.start {
        Some(c) => {
            let col = frame.column(c)?;
            let s = input::numbers(col, rows)?;
            if let Some(k) = (0..s.len()).find(|&k| s[k] >= time[k]) {
                return Err(col
                    .error(
                        rows[k],
                        format!("the start time is not below the stop time ({})", time[k]),
                    )
                    .into());
            }
            Some(s)
        }
        None => None,
    };
    let weights = match &args.weights {
        Some(c) => {
            let col = frame.column(c)?;
            let w = input::numbers(col, rows)?;
            if let Some(k) = w.iter().position(|&v| v <= 0.0) {
                return Err(col.error(rows[k], "a weight must be > 0").into());
            }
            Some(w)
        }
        None => None,
    };
    let cluster = match &args.cluster {
        Some(c) => {
            let col = frame.column(c)?;
            let mut codes: HashMap<&str, u32> = HashMap::new();
            Some(
                rows.iter()
                    .map(|&r| {
                        let k = codes.len() as u32;
                        *codes.entry(col.text(r).unwrap_or_default()).or_insert(k)
                    })
                    .collect::<Vec<u32>>(),
            )
        }
        None => None,
    };

    // Design columns.
    let plain_cols: Vec<&str> = formula
        .variables
        .iter()
        .filter_map(|v| match v {
            Variable::Plain(c) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    let mut values: Vec<(String, Values<'_>)> = Vec::new();
    for c in formula.columns() {
        let v = read_column(frame.column(c)?, rows, plain_cols.contains(&c))?;
        check_factor_levels(frame, formula, c, &v, rows)?;
        values.push((c.to_string(), v));
    }
    let named: Vec<NamedColumn<'_>> = values
        .iter()
        .map(|(name, v)| NamedColumn {
            name,
            data: match v {
                Values::Numeric(x) => ColumnData::Numeric(x),
                Values::Text(t) => ColumnData::Text(t),
            },
        })
        .collect();
    let design = Design::build(
        formula,
        &named,
        &DesignOptions {
            reference_levels: refs
                .iter()
                .filter(|(c, _)| formula.columns().contains(&c.as_str()))
                .cloned()
                .collect(),
        },
    )
    .map_err(|e| design_error(e, frame, &line_of))?;
    if design.names.is_empty() {
        bail!("the formula has no covariates (only strata)");
    }

    let opts = CoxOptions {
        ties: match args.ties {
            TiesArg::Efron => Ties::Efron,
            TiesArg::Breslow => Ties::Breslow,
        },
        conf_level: args.conf_level,
        robust: args.robust.then_some(true),
        ..CoxOptions::default()
    };
    let transform = match args.zph_transform {
        ZphArg::Km => ZphTransform::Km,
        ZphArg::Rank => ZphTransform::Rank,
        ZphArg::Identity => ZphTransform::Identity,
    };

    if args.fine_gray {
        let status_col = frame.column(args.status.as_deref().unwrap_or_default())?;
        let cause = args.cause.clone().unwrap_or_default();
        let censor = args.censor_value.clone().unwrap_or_else(|| "0".to_string());
        // The censoring code must occur (else every censored row would be a
        // competing event), checked on the whole column with the values seen.
        let read = input::competing_status(status_col, rows, &censor)?;
        let cause_code = read.code_of(&cause);
        let status: Vec<Status> = read
            .codes
            .iter()
            .map(|&c| match c {
                0 => Status::Censored,
                c if Some(c) == cause_code => Status::Cause,
                _ => Status::Competing,
            })
            .collect();
        let values = read
            .values
            .into_iter()
            .map(|mut v| {
                if v.read_as == "cause" {
                    v.read_as = if same_code(&v.value, &cause) {
                        "event"
                    } else {
                        "competing"
                    };
                }
                v
            })
            .collect();
        let reading = input::Reading::new(&complete, status_col.name(), values);
        if !status.contains(&Status::Cause) {
            bail!(
                "{}: no row has the cause of interest '{cause}' in column '{}'",
                frame.source_name(),
                status_col.name()
            );
        }
        let strata = design.strata.as_ref().map(|s| s.codes.as_slice());
        let e = finegray::expand(&time, &status, strata, weights.as_deref())
            .map_err(|err| cox_error(err, &line_of))?;
        let n = design.n;
        let m = e.row.len();
        let mut x = Vec::with_capacity(m * design.p());
        for j in 0..design.p() {
            let col = &design.x[j * n..(j + 1) * n];
            x.extend(e.row.iter().map(|&r| col[r as usize]));
        }
        let strata_x: Option<Vec<u32>> =
            strata.map(|s| e.row.iter().map(|&r| s[r as usize]).collect());
        let cluster_x: Option<Vec<u32>> = cluster
            .as_ref()
            .map(|c| e.row.iter().map(|&r| c[r as usize]).collect());
        let data = CoxData {
            time: &e.stop,
            event: &e.event,
            start: Some(&e.start),
            x: &x,
            names: &design.names,
            weights: Some(&e.weight),
            strata: strata_x.as_deref(),
            cluster: cluster_x.as_deref(),
        };
        let expanded_line = |row: usize| line_of(e.row[row] as usize);
        let fit = coxph(&data, &opts).map_err(|err| cox_error(err, &expanded_line))?;
        let zph = if with_zph {
            Some(
                cox_zph(&fit, &data, &design.terms, transform)
                    .map_err(|err| cox_error(err, &expanded_line))?,
            )
        } else {
            None
        };
        return Ok(Fitted {
            label: None,
            fit,
            design,
            n_dropped: complete.n_dropped,
            reading,
            zph,
            fine_gray: Some(FineGrayInfo {
                cause,
                censor,
                expanded_rows: m,
            }),
        });
    }

    let coding = EventCoding {
        event_value: args.event_value.clone(),
        censor_value: args.censor_value.clone(),
    };
    let event_col = frame.column(args.event.as_deref().unwrap_or_default())?;
    let read = input::read_events(event_col, rows, &coding)?;
    let reading = input::Reading::new(&complete, event_col.name(), read.values);
    let event = read.events;
    let data = CoxData {
        time: &time,
        event: &event,
        start: start.as_deref(),
        x: &design.x,
        names: &design.names,
        weights: weights.as_deref(),
        strata: design.strata.as_ref().map(|s| s.codes.as_slice()),
        cluster: cluster.as_deref(),
    };
    let fit = coxph(&data, &opts).map_err(|err| cox_error(err, &line_of))?;
    let zph = if with_zph {
        Some(
            cox_zph(&fit, &data, &design.terms, transform)
                .map_err(|err| cox_error(err, &line_of))?,
        )
    } else {
        None
    };
    Ok(Fitted {
        label: None,
        fit,
        design,
        n_dropped: complete.n_dropped,
        reading,
        zph,
        fine_gray: None,
    })
}

/// Codes equal as text or as numbers ("1" and "1.0").
fn same_code(cell: &str, code: &str) -> bool {
    cell == code || matches!((cell.parse::<f64>(), code.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

fn cox_error(err: CoxError, line_of: &dyn Fn(usize) -> u64) -> anyhow::Error {
    match err {
        CoxError::NotFinite { what, row } => {
            anyhow::anyhow!("line {}: {what} is not a finite number", line_of(row))
        }
        CoxError::BadWeight { row } => {
            anyhow::anyhow!("line {}: a weight must be > 0", line_of(row))
        }
        CoxError::BadInterval { row } | CoxError::ZeroLengthInterval { row } => {
            anyhow::anyhow!("line {}: {}", line_of(row), err_text(&err))
        }
        other => anyhow::anyhow!("{other}"),
    }
}

fn err_text(err: &CoxError) -> String {
    let s = err.to_string();
    // Drop the library's "row N: " prefix; the caller names the line.
    match s.split_once(": ") {
        Some((head, rest)) if head.starts_with("row ") => rest.to_string(),
        _ => s,
    }
}

fn design_error(err: DesignError, frame: &Frame, line_of: &dyn Fn(usize) -> u64) -> anyhow::Error {
    match err {
        DesignError::NotFinite { column, row } => anyhow::anyhow!(
            "{}, line {} ({column}): not a finite number",
            frame.source_name(),
            line_of(row)
        ),
        other => anyhow::anyhow!("{}: {other}", frame.source_name()),
    }
}
