//! `--engine local|datafusion|ballista://HOST:PORT`: where `netra km`,
//! `netra cox` and `netra export --parquet` compute. `local` is the
//! in-memory path (every cell of the CSV in memory); `datafusion` runs the
//! analysis layer's partial aggregates as Apache DataFusion plans over CSV
//! or Parquet, out of core (crate `netra-engine`); `ballista://HOST:PORT`
//! runs the same plans on an Apache DataFusion Ballista cluster whose
//! scheduler listens there (netra's own scheduler and executors,
//! `netra-ballista`, which know the engine's `dd_sum` aggregate). The
//! engine is compiled only with the `engine` feature (`cargo build
//! --features engine`), Ballista only with `ballista`: without them,
//! choosing one is an error that says how to get it, and the default build
//! stays light.

use std::path::Path;

use netra_analysis::partial::SurvivalPartial;
use netra_analysis::table::{EventCoding, Reading};

/// The engine a command runs on.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum EngineArg {
    /// In memory (the default).
    #[default]
    Local,
    /// Apache DataFusion: out of core, CSV or Parquet data.
    Datafusion,
    /// The DataFusion plans on the Ballista cluster whose scheduler is at
    /// this address (`ballista://HOST:PORT`).
    Ballista(String),
}

impl std::str::FromStr for EngineArg {
    type Err = String;

    fn from_str(s: &str) -> Result<EngineArg, String> {
        match s {
            "local" => Ok(EngineArg::Local),
            "datafusion" => Ok(EngineArg::Datafusion),
            _ if s.starts_with("ballista://") && s.len() > "ballista://".len() => {
                Ok(EngineArg::Ballista(s.to_string()))
            }
            _ => Err(format!(
                "'{s}': choose local, datafusion or ballista://HOST:PORT"
            )),
        }
    }
}

impl std::fmt::Display for EngineArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineArg::Local => f.write_str("local"),
            EngineArg::Datafusion => f.write_str("datafusion"),
            EngineArg::Ballista(url) => f.write_str(url),
        }
    }
}

/// True when `path` names Parquet data (a `.parquet` file or a directory).
pub fn is_parquet(path: &Path) -> bool {
    path.is_dir()
        || path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet"))
}

/// Refuses Parquet data on the local engine, in the flags' words.
pub fn check_local(path: &Path) -> anyhow::Result<()> {
    if is_parquet(path) {
        anyhow::bail!(
            "{} is Parquet data: read it with --engine datafusion",
            path.display()
        );
    }
    Ok(())
}

/// What the engine's survival pass returns, in the analysis layer's types.
pub struct SurvivalTally {
    /// The counts per (time, group).
    pub partial: SurvivalPartial,
    /// Group labels in level order.
    pub labels: Vec<String>,
    /// Whether case weights were given.
    pub weighted: bool,
    /// Rows dropped and event values read.
    pub reading: Reading,
}

/// The engine `arg` names: DataFusion on this machine (one partition per
/// core), or the Ballista cluster at its address.
#[cfg(feature = "engine")]
fn open(arg: &EngineArg) -> anyhow::Result<netra_engine::Engine> {
    match arg {
        EngineArg::Ballista(url) => ballista(url),
        EngineArg::Local | EngineArg::Datafusion => Ok(netra_engine::Engine::with_all_cores()?),
    }
}

/// A client of the Ballista cluster at `url`; as many partitions per stage
/// as this machine has cores (at least 2, so that stages are split).
#[cfg(feature = "ballista")]
fn ballista(url: &str) -> anyhow::Result<netra_engine::Engine> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(netra_engine::Engine::ballista(url, cores.max(2))?)
}

/// Without the `ballista` feature: an error saying how to build it.
#[cfg(all(feature = "engine", not(feature = "ballista")))]
fn ballista(_url: &str) -> anyhow::Result<netra_engine::Engine> {
    anyhow::bail!(
        "this netra was built without Ballista: rebuild with \
         `cargo build --release -p netra-cli --features ballista`"
    )
}

#[cfg(not(feature = "engine"))]
fn missing_feature() -> anyhow::Error {
    anyhow::anyhow!(
        "this netra was built without the DataFusion engine: rebuild with \
         `cargo build --release -p netra-cli --features engine`"
    )
}

/// The survival counts of `data` on the DataFusion engine `engine`.
#[cfg(feature = "engine")]
pub fn survival(
    engine: &EngineArg,
    data: &Path,
    time: &str,
    event: &str,
    coding: EventCoding,
    group: Option<&str>,
    weights: Option<&str>,
) -> anyhow::Result<SurvivalTally> {
    let engine = open(engine)?;
    let spec = netra_engine::survival::SurvivalSpec {
        time: time.into(),
        event: event.into(),
        coding,
        group: group.map(String::from),
        weights: weights.map(String::from),
    };
    let t = engine.survival(&netra_engine::Source::at(data), &spec)?;
    Ok(SurvivalTally {
        partial: t.partial,
        labels: t.labels,
        weighted: t.weighted,
        reading: t.reading,
    })
}

/// Without the `engine` feature: an error saying how to build it.
#[cfg(not(feature = "engine"))]
pub fn survival(
    _engine: &EngineArg,
    _data: &Path,
    _time: &str,
    _event: &str,
    _coding: EventCoding,
    _group: Option<&str>,
    _weights: Option<&str>,
) -> anyhow::Result<SurvivalTally> {
    Err(missing_feature())
}

/// A Cox model on the DataFusion engine: numeric covariates, `strata()`,
/// weights.
#[cfg_attr(not(feature = "engine"), allow(dead_code))]
pub struct CoxRequest<'a> {
    /// Where to fit (DataFusion here or a Ballista cluster).
    pub engine: &'a EngineArg,
    /// Data file or directory.
    pub data: &'a Path,
    /// Time column.
    pub time: &'a str,
    /// Event column.
    pub event: &'a str,
    /// Event coding.
    pub coding: EventCoding,
    /// The formula (plain column names and `strata(col)`).
    pub formula: &'a str,
    /// Weights column.
    pub weights: Option<&'a str>,
    /// Efron (true) or Breslow ties.
    pub efron: bool,
    /// Confidence level.
    pub conf_level: f64,
}

/// The terms of a formula the engine fits: column names and one
/// `strata(col)`; anything else is refused naming the term.
fn engine_terms(formula: &str) -> anyhow::Result<(Vec<String>, Option<String>)> {
    let mut covariates = Vec::new();
    let mut strata = None;
    for term in formula.split('+').map(str::trim) {
        if let Some(s) = term
            .strip_prefix("strata(")
            .and_then(|s| s.strip_suffix(')'))
        {
            if strata.replace(s.trim().to_string()).is_some() {
                anyhow::bail!("--engine datafusion: one strata() term at most");
            }
        } else if term.is_empty() || term.contains(['(', ')', ':', '*', ' ']) {
            anyhow::bail!(
                "--engine datafusion fits numeric columns and strata(col) only; \
                 '{term}' needs --engine local"
            );
        } else {
            covariates.push(term.to_string());
        }
    }
    Ok((covariates, strata))
}

/// The `netra cox` output of a model fitted on the DataFusion engine.
#[cfg(feature = "engine")]
pub fn cox(
    req: &CoxRequest<'_>,
) -> anyhow::Result<netra_analysis::analyses::cox::table::CoxTableOutput> {
    let (covariates, strata) = engine_terms(req.formula)?;
    let engine = open(req.engine)?;
    let spec = netra_engine::cox::CoxSpec {
        time: req.time.into(),
        event: req.event.into(),
        coding: req.coding.clone(),
        covariates,
        strata,
        weights: req.weights.map(String::from),
    };
    let opts = netra_stats_options(req);
    let result = engine.cox(&netra_engine::Source::at(req.data), &spec, &opts)?;
    Ok(netra_analysis::analyses::cox::table::CoxTableOutput {
        univariate: Vec::new(),
        multivariate: netra_engine::cox::model_out(&result),
    })
}

#[cfg(feature = "engine")]
fn netra_stats_options(req: &CoxRequest<'_>) -> netra_engine::cox::CoxOptions {
    use netra_engine::cox::{CoxOptions, Ties};
    CoxOptions {
        ties: if req.efron {
            Ties::Efron
        } else {
            Ties::Breslow
        },
        conf_level: req.conf_level,
        ..Default::default()
    }
}

/// Without the `engine` feature: an error saying how to build it.
#[cfg(not(feature = "engine"))]
pub fn cox(
    req: &CoxRequest<'_>,
) -> anyhow::Result<netra_analysis::analyses::cox::table::CoxTableOutput> {
    engine_terms(req.formula)?;
    Err(missing_feature())
}

/// `netra export --parquet`: every CSV of `bundle` as a Parquet data set
/// under `out`; returns (table, rows, files).
#[cfg(feature = "engine")]
pub fn bundle_to_parquet(bundle: &Path, out: &Path) -> anyhow::Result<Vec<(String, u64, usize)>> {
    let engine = netra_engine::Engine::with_all_cores()?;
    Ok(engine
        .bundle_to_parquet(bundle, out, 1_000_000)?
        .into_iter()
        .map(|w| (w.table, w.rows, w.files))
        .collect())
}

/// Without the `engine` feature: an error saying how to build it.
#[cfg(not(feature = "engine"))]
pub fn bundle_to_parquet(_bundle: &Path, _out: &Path) -> anyhow::Result<Vec<(String, u64, usize)>> {
    Err(missing_feature())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_the_engine_fits() {
        let (c, s) = engine_terms("age + ph.ecog + strata(inst)").unwrap();
        assert_eq!(c, ["age", "ph.ecog"]);
        assert_eq!(s.as_deref(), Some("inst"));
        assert!(engine_terms("age + factor(sex)").is_err());
        assert!(engine_terms("age:sex").is_err());
        assert!(engine_terms("strata(a) + strata(b) + x").is_err());
        assert!(is_parquet(Path::new("x.parquet")));
        assert_eq!("local".parse::<EngineArg>(), Ok(EngineArg::Local));
        assert_eq!(
            "ballista://10.0.0.1:50050".parse::<EngineArg>(),
            Ok(EngineArg::Ballista("ballista://10.0.0.1:50050".into()))
        );
        assert!("ballista://".parse::<EngineArg>().is_err());
        assert!("spark".parse::<EngineArg>().is_err());
        assert_eq!(EngineArg::Datafusion.to_string(), "datafusion");
        assert!(!is_parquet(Path::new("x.csv")));
    }
}
