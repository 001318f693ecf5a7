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
//! The flags fill the analysis layer's request
//! (`netra_analysis::analyses::cox::table`), which reads the columns,
//! drops incomplete rows (per model in univariate screening), types the
//! formula's columns as R's `read.csv` does and fits; this file parses the
//! flags and renders the output (`report.rs`, through netra-report's rules).

mod forest;
mod report;

use std::path::PathBuf;

use anyhow::{Context, bail};
use netra_analysis::analyses::cox::table::{self as layer, FineGrayRequest, TableCoxRequest};
use netra_frame::Frame;

use crate::engine::EngineArg;
use crate::output::{Format, write_stdout};

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
    /// Column holding follow-up (or stop) time (any unit; >= 0); or write
    /// the formula as `Surv(time, status) ~ …`.
    #[arg(long, value_name = "COL")]
    pub time: Option<String>,
    /// Column holding the event indicator (R's Surv coding: 0/1, 1/2, TRUE/FALSE).
    #[arg(long, value_name = "COL", required_unless_present_any = ["fine_gray", "formula"])]
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
    /// With --fine-gray: no row is censored (every outcome is known), so the
    /// censoring code does not occur; a row that has it is then an error.
    #[arg(long, requires = "fine_gray")]
    pub no_censoring: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
    /// `--plot`: the forest plot of the model's hazard ratios.
    #[command(flatten)]
    pub plot: crate::plot::PlotArgs,
    /// Where to compute: in memory, or on Apache DataFusion out of core
    /// (CSV or Parquet data; numeric covariates, strata() and weights; the
    /// model-based variance; needs the `engine` build feature), or
    /// `ballista://HOST:PORT`: the same on a Ballista cluster of
    /// `netra-ballista` processes (needs the `ballista` feature).
    #[arg(long, default_value_t)]
    pub engine: EngineArg,
}

/// Runs `netra cox`.
pub fn run(args: Args) -> anyhow::Result<()> {
    args.plot.check()?;
    let request = request(&args)?;
    let out = match args.engine {
        EngineArg::Local => {
            crate::engine::check_local(&args.data)?;
            let columns = request.columns()?;
            let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
            let frame = Frame::read(&args.data, Some(&columns))?;
            layer::fit(&frame, &request)?
        }
        EngineArg::Datafusion | EngineArg::Ballista(_) => on_engine(&args)?,
    };
    let figure = match &args.plot.plot {
        Some(_) => args.plot.render(&forest::figure(&out, &args.plot)?)?,
        None => None,
    };
    let text = match args.format {
        Format::Table => report::table(&out),
        Format::Json => report::json(&out)?,
        Format::Csv => report::csv(&out),
    };
    if let Some(f) = figure {
        f.write()?;
    }
    write_stdout(&text)
}

/// `--engine datafusion`: the model from one DataFusion aggregation per
/// Newton step; flags that need row-level data are refused by name.
fn on_engine(args: &Args) -> anyhow::Result<layer::CoxTableOutput> {
    let refused = [
        (args.univariate.is_some(), "--univariate"),
        (args.start.is_some(), "--start"),
        (args.cluster.is_some(), "--cluster"),
        (args.robust, "--robust"),
        (args.zph, "--zph"),
        (args.schoenfeld, "--schoenfeld"),
        (args.fine_gray, "--fine-gray"),
        (!args.refs.is_empty(), "--ref"),
    ];
    if let Some((_, flag)) = refused.iter().find(|(on, _)| *on) {
        bail!("{flag} needs row-level data: use --engine local");
    }
    let (Some(time), Some(event), Some(formula)) = (&args.time, &args.event, &args.formula) else {
        bail!("--engine datafusion needs --time, --event and --formula (not a Surv() formula)");
    };
    crate::engine::cox(&crate::engine::CoxRequest {
        engine: &args.engine,
        data: &args.data,
        time,
        event,
        coding: netra_analysis::table::EventCoding {
            event_value: args.event_value.clone(),
            censor_value: args.censor_value.clone(),
        },
        formula,
        weights: args.weights.as_deref(),
        efron: args.ties == TiesArg::Efron,
        conf_level: args.conf_level,
    })
}

/// The layer's request the flags describe. Combinations of flags that do
/// not go together are refused here in the flags' words (the layer refuses
/// them again, in its fields' words, for other callers).
fn request(args: &Args) -> anyhow::Result<TableCoxRequest> {
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
    let reference = parse_refs(&args.refs)?;
    if args.robust && args.start.is_some() && args.cluster.is_none() {
        // R: "one of cluster or id is needed". Rows of (start, stop] data are
        // intervals of a subject, not subjects: treating each as its own
        // cluster would understate the variance silently.
        bail!(
            "--robust with --start needs --cluster COL naming the subject of each interval \
             (as R's coxph: \"one of cluster or id is needed\")"
        );
    }
    let fine_gray = args.fine_gray.then(|| FineGrayRequest {
        status: args.status.clone().unwrap_or_default(),
        cause: args.cause.clone().unwrap_or_default(),
        censor: args.censor_value.clone().unwrap_or_else(|| "0".to_string()),
        no_censoring: args.no_censoring,
    });
    Ok(TableCoxRequest {
        time: args.time.clone().unwrap_or_default(),
        event: args.event.clone(),
        event_value: args.event_value.clone(),
        censor_value: if args.fine_gray {
            None
        } else {
            args.censor_value.clone()
        },
        formula: args.formula.clone(),
        univariate: args.univariate.clone(),
        ties: match args.ties {
            TiesArg::Efron => "efron",
            TiesArg::Breslow => "breslow",
        }
        .into(),
        reference,
        start: args.start.clone(),
        weights: args.weights.clone(),
        cluster: args.cluster.clone(),
        robust: args.robust,
        conf_level: args.conf_level,
        zph: args.zph,
        zph_transform: match args.zph_transform {
            ZphArg::Km => "km",
            ZphArg::Rank => "rank",
            ZphArg::Identity => "identity",
        }
        .into(),
        schoenfeld: args.schoenfeld,
        fine_gray,
    })
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
