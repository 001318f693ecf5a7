//! Cox regression as DataFusion aggregations: one pass to read the columns,
//! two centring passes, then one `GROUP BY (stratum, time, event)` pass per
//! Newton iteration.
//!
//! Each Newton pass computes, for the coordinator's β, the sums of the
//! layout of `netra_stats::partial_cox` (`cells.rs`): per (stratum, time)
//! over the rows with that time `Σr`, `Σr·x̃`, `Σr·x̃x̃ᵀ` (`r = w·e^{β·x̃}`,
//! `x̃ = (x − mean)·scale` in `coxph`'s centred and scaled coordinates), and
//! over the event rows `Σw`, `Σw·η`, `Σw·x̃` and, for Efron, `Σr`, `Σr·x̃`,
//! `Σr·x̃x̃ᵀ` again; every sum is a `dd_sum`. Grouping by the event flag too
//! gives Efron's event-row moments as the event group's moments, so each
//! row adds each moment once (the cost of a pass is its sums per row: 36,
//! not 64, for p = 6). The state is a few numbers per (stratum, time,
//! event) key, whatever the number of rows: memory does not grow with the
//! data. The driver turns the result into
//! a `CoxPartial` (through its checked wire form) and
//! `netra_stats::partial_cox::fit_partial` forms the risk sets by reverse
//! cumulative sums over the sorted times, evaluates the log partial
//! likelihood, score and information and takes R's Newton step — the code
//! that fits federated parts, so the engine inherits its agreement with
//! `coxph` and its limits: model-based variance only (no robust variance,
//! concordance or residuals, which need row-level data), no `timefix`
//! (times are tied only when equal), numeric covariates only.

use std::collections::BTreeMap;
use std::ops::Not;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::functions::math::expr_fn::{abs, exp};
use datafusion::functions_aggregate::expr_fn::{count, max, min, sum};
use datafusion::logical_expr::{Expr, cast, lit, when};
use datafusion::prelude::{DataFrame, ident};
use netra_analysis::analyses::cox::table::{CoxModelOut, model_from_fit};
use netra_analysis::table::{EventCoding, Reading, ValueRead, factor, read_events, same_code};
use netra_frame::{Frame, is_missing};
use netra_stats::cox::CoxFit;
/// The fit's options and tie handling (the kernel's types).
pub use netra_stats::cox::{CoxOptions, Ties};
use netra_stats::partial::Sum2;
use netra_stats::partial_cox::{
    ColumnMoments, ColumnMomentsWire, ColumnSpread, ColumnSpreadWire, CoxPartial, CoxPartialWire,
    Intervals, PartialCoxError, Standardisation, fit_partial,
};

use crate::ddsum::dd_sum;
use crate::source::{Table, indicator};
use crate::{Engine, EngineError, Source};

/// The columns of a Cox model on right-censored data.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoxSpec {
    /// Follow-up time (numbers ≥ 0).
    pub time: String,
    /// Event indicator, read as R's `Surv()` or by `coding`.
    pub event: String,
    /// How the event column is coded.
    pub coding: EventCoding,
    /// Numeric covariates (design columns named by their column).
    pub covariates: Vec<String>,
    /// Strata (`strata(col)`), if any.
    pub strata: Option<String>,
    /// Case weights (finite numbers ≥ 0), if any.
    pub weights: Option<String>,
}

/// The fit and how the data were read.
#[derive(Debug, Clone, PartialEq)]
pub struct CoxResult {
    /// The fit (`fit_partial`'s: model-based variance, no concordance).
    pub fit: CoxFit,
    /// Rows dropped and event values read.
    pub reading: Reading,
    /// Stratum labels in R's order (`None` without strata).
    pub strata: Option<Vec<String>>,
    /// Aggregation passes run (reading, two centring passes, one per
    /// Newton evaluation).
    pub passes: usize,
}

/// The same order-preserving key of a time as `partial_cox` uses (bits of
/// the double, sign folded so that unsigned order is numeric order; −0 is
/// +0).
fn time_key(t: f64) -> u64 {
    let bits = (t + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The columns of the model in the order rows are dropped by
/// (`time`, `event`, covariates, strata, weights).
fn used(spec: &CoxSpec) -> Vec<&str> {
    let mut c: Vec<&str> = vec![&spec.time, &spec.event];
    c.extend(spec.covariates.iter().map(String::as_str));
    c.extend(spec.strata.as_deref());
    c.extend(spec.weights.as_deref());
    c
}

/// The model's expressions on an opened table.
struct Plan {
    table: Table,
    /// Every used column present.
    complete: Expr,
    /// Time as a number (−0 folded to +0).
    time: Expr,
    /// Event text (raw) and stratum text (raw).
    event_text: Expr,
    /// The event column as `Int64` when it holds integers (compared as
    /// numbers in the Newton passes: no cast to text of every row).
    event_integer: Option<Expr>,
    stratum_text: Option<Expr>,
    weight: Expr,
    x: Vec<Expr>,
}

impl Plan {
    async fn open(engine: &Engine, source: &Source, spec: &CoxSpec) -> Result<Plan, EngineError> {
        let table = Table::open(engine, source).await?;
        let mut complete = lit(true);
        for c in used(spec) {
            complete = complete.and(table.missing(c)?.not());
        }
        let time = table.number(&spec.time)? + lit(0.0);
        let event_text = table.text(&spec.event)?;
        let event_integer = matches!(
            table.data_type(&spec.event)?,
            DataType::Int8
                | DataType::Int16
                | DataType::Int32
                | DataType::Int64
                | DataType::UInt8
                | DataType::UInt16
                | DataType::UInt32
        )
        .then(|| cast(ident(spec.event.as_str()), DataType::Int64));
        let stratum_text = match &spec.strata {
            Some(s) => Some(table.text(s)?),
            None => None,
        };
        let weight = match &spec.weights {
            Some(w) => table.number(w)?,
            None => lit(1.0),
        };
        let x = spec
            .covariates
            .iter()
            .map(|c| table.number(c))
            .collect::<Result<_, _>>()?;
        Ok(Plan {
            table,
            complete,
            time,
            event_text,
            event_integer,
            stratum_text,
            weight,
            x,
        })
    }

    fn complete_rows(&self) -> Result<DataFrame, EngineError> {
        Ok(self.table.df.clone().filter(self.complete.clone())?)
    }
}

async fn collect(df: DataFrame) -> Result<Vec<RecordBatch>, EngineError> {
    Ok(df.collect().await?)
}

fn col<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, EngineError> {
    b.column_by_name(name)
        .map(|a| a.as_ref())
        .ok_or_else(|| EngineError::data(format!("the aggregation has no column {name}")))
}

fn f64_at(b: &RecordBatch, name: &str, row: usize) -> Result<Option<f64>, EngineError> {
    let a = col(b, name)?;
    match a.data_type() {
        DataType::Float64 => {
            let a = a.as_primitive::<Float64Type>();
            Ok(a.is_valid(row).then(|| a.value(row)))
        }
        other => Err(EngineError::data(format!(
            "{name}: expected Float64, got {other}"
        ))),
    }
}

fn i64_at(b: &RecordBatch, name: &str, row: usize) -> Result<i64, EngineError> {
    let a = col(b, name)?;
    match a.data_type() {
        DataType::Int64 => {
            let a = a.as_primitive::<Int64Type>();
            Ok(if a.is_valid(row) { a.value(row) } else { 0 })
        }
        other => Err(EngineError::data(format!(
            "{name}: expected Int64, got {other}"
        ))),
    }
}

fn bool_at(b: &RecordBatch, name: &str, row: usize) -> Result<bool, EngineError> {
    let a = col(b, name)?;
    match a.data_type() {
        DataType::Boolean => {
            let a = a.as_boolean();
            Ok(a.is_valid(row) && a.value(row))
        }
        other => Err(EngineError::data(format!(
            "{name}: expected Boolean, got {other}"
        ))),
    }
}

fn text_at(b: &RecordBatch, name: &str, row: usize) -> Result<Option<String>, EngineError> {
    let a = col(b, name)?;
    match a.data_type() {
        DataType::Utf8 => {
            let a = a.as_string::<i32>();
            Ok(a.is_valid(row).then(|| a.value(row).to_string()))
        }
        other => Err(EngineError::data(format!(
            "{name}: expected text, got {other}"
        ))),
    }
}

/// What the reading pass found.
struct Read {
    reading: Reading,
    /// Raw event texts that mean "event".
    event_texts: Vec<String>,
    /// Raw stratum text → 0-based stratum.
    strata: Vec<(Option<String>, u32)>,
    labels: Option<Vec<String>>,
}

/// Pass 1: drops by the first missing column, the distinct event and
/// stratum values (for the coding and the levels), and the checks of the
/// numbers of the complete rows.
async fn read(plan: &Plan, spec: &CoxSpec) -> Result<Read, EngineError> {
    let names = used(spec);
    let t = &plan.table;
    let mut first_missing = when(t.missing(names[0])?, lit(0i64));
    for (k, c) in names.iter().enumerate().skip(1) {
        first_missing = first_missing.when(t.missing(c)?, lit(k as i64));
    }
    let first_missing = first_missing.otherwise(lit(-1i64))?;
    let mut group_by = vec![
        first_missing.alias("drop"),
        plan.event_text.clone().alias("e"),
    ];
    if let Some(s) = &plan.stratum_text {
        group_by.push(s.clone().alias("s"));
    }
    // Present cells that are not numbers, and the smallest time and weight.
    let mut numeric: Vec<&str> = vec![&spec.time];
    numeric.extend(spec.covariates.iter().map(String::as_str));
    numeric.extend(spec.weights.as_deref());
    let mut aggs = vec![
        count(lit(1i64)).alias("n"),
        min(plan.time.clone()).alias("tmin"),
        min(plan.weight.clone()).alias("wmin"),
        max(plan.weight.clone()).alias("wmax"),
    ];
    for (k, c) in numeric.iter().enumerate() {
        let bad = t.missing(c)?.not().and(t.number(c)?.is_null());
        aggs.push(sum(indicator(bad)).alias(format!("bad{k}")));
    }
    let batches = collect(plan.table.df.clone().aggregate(group_by, aggs)?).await?;

    let mut dropped = vec![0usize; names.len()];
    // (event text, stratum text, rows) of the distinct keys, complete or not.
    let mut keys: Vec<(Option<String>, Option<String>, usize, bool)> = Vec::new();
    for b in &batches {
        for r in 0..b.num_rows() {
            let n = usize::try_from(i64_at(b, "n", r)?).unwrap_or(0);
            let drop = i64_at(b, "drop", r)?;
            let e = text_at(b, "e", r)?;
            let s = match plan.stratum_text {
                Some(_) => text_at(b, "s", r)?,
                None => None,
            };
            if let Ok(k) = usize::try_from(drop) {
                dropped[k.min(names.len() - 1)] += n;
                keys.push((e, s, n, false));
                continue;
            }
            for (k, c) in numeric.iter().enumerate() {
                let bad = i64_at(b, &format!("bad{k}"), r)?;
                if bad > 0 {
                    return Err(EngineError::data(format!(
                        "column '{c}': {bad} cells are not numbers (the engine fits numeric \
                         covariates only; factors need --engine local)"
                    )));
                }
            }
            if f64_at(b, "tmin", r)?.is_some_and(|t| t < 0.0) {
                return Err(EngineError::data(format!(
                    "column '{}': a time cannot be negative",
                    spec.time
                )));
            }
            if f64_at(b, "wmin", r)?.is_some_and(|w| w < 0.0)
                || f64_at(b, "wmax", r)?.is_some_and(|w| !w.is_finite())
            {
                return Err(EngineError::data(format!(
                    "column '{}': weights must be finite numbers >= 0",
                    spec.weights.as_deref().unwrap_or_default()
                )));
            }
            keys.push((e, s, n, true));
        }
    }
    // netra's readers on the distinct values (see `survival`).
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| EngineError::data(format!("distinct values: {e}"));
    w.write_record(["e", "s"]).map_err(fail)?;
    for (e, s, _, _) in &keys {
        w.write_record([e.as_deref().unwrap_or(""), s.as_deref().unwrap_or("")])
            .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| EngineError::data(format!("distinct values: {e}")))?;
    let frame = Frame::from_reader("distinct values", bytes.as_slice(), None)
        .map_err(|e| EngineError::data(e.to_string()))?;
    let column = |name: &str| {
        frame
            .column(name)
            .map_err(|e| EngineError::data(e.to_string()))
    };
    let complete: Vec<usize> = (0..keys.len()).filter(|&i| keys[i].3).collect();
    let events = read_events(column("e")?, &complete, &spec.coding)?;
    let mut event_texts: Vec<String> = Vec::new();
    for (j, &i) in complete.iter().enumerate() {
        if events.events[j]
            && let Some(e) = &keys[i].0
            && !event_texts.contains(e)
        {
            event_texts.push(e.clone());
        }
    }
    let (strata, labels) = match spec.strata {
        Some(_) => {
            let f = factor(column("s")?, &complete);
            let map = complete
                .iter()
                .zip(&f.codes)
                .map(|(&i, &c)| (keys[i].1.clone(), c))
                .collect();
            (map, Some(f.levels))
        }
        None => (Vec::new(), None),
    };
    let values = events
        .values
        .iter()
        .map(|v| ValueRead {
            value: v.value.clone(),
            read_as: v.read_as,
            n: complete
                .iter()
                .filter(|&&i| {
                    keys[i]
                        .0
                        .as_deref()
                        .is_some_and(|e| !is_missing(e.trim()) && same_code(e.trim(), &v.value))
                })
                .map(|&i| keys[i].2)
                .sum(),
        })
        .collect();
    let dropped_by = names
        .iter()
        .zip(&dropped)
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| (c.to_string(), *n))
        .collect();
    Ok(Read {
        reading: Reading {
            n_dropped: dropped.iter().sum(),
            dropped_by,
            column: spec.event.clone(),
            values,
            merged_labels: Vec::new(),
            empty_labels: Vec::new(),
        },
        event_texts,
        strata,
        labels,
    })
}

/// True on the event rows. An integer column is compared with the integers
/// whose text the reading pass found to mean "event" (when each text is
/// exactly the integer's decimal form, as the cast to text writes it), so a
/// Newton pass does not turn every row's event into text.
fn is_event(plan: &Plan, read: &Read) -> Expr {
    if read.event_texts.is_empty() {
        return lit(false);
    }
    let integers: Option<Vec<Expr>> = read
        .event_texts
        .iter()
        .map(|t| {
            t.parse::<i64>()
                .ok()
                .filter(|v| v.to_string() == *t)
                .map(lit)
        })
        .collect();
    match (&plan.event_integer, integers) {
        (Some(e), Some(values)) => e.clone().in_list(values, false),
        _ => {
            let texts: Vec<Expr> = read.event_texts.iter().map(|t| lit(t.as_str())).collect();
            plan.event_text.clone().in_list(texts, false)
        }
    }
}

/// Passes 2 and 3: `coxph`'s centring and scaling from additive sums.
async fn standardise(plan: &Plan) -> Result<Standardisation, EngineError> {
    let p = plan.x.len();
    let w = plan.weight.clone();
    let mut aggs = vec![count(lit(1i64)).alias("n"), dd_sum(w.clone()).alias("sw")];
    for (j, x) in plan.x.iter().enumerate() {
        aggs.push(dd_sum(w.clone() * x.clone()).alias(format!("swx{j}")));
        let unit = x
            .clone()
            .in_list(vec![lit(-1.0), lit(0.0), lit(1.0)], false);
        aggs.push(min(indicator(unit)).alias(format!("unit{j}")));
    }
    let b = collect(plan.complete_rows()?.aggregate(vec![], aggs)?).await?;
    let b = b
        .first()
        .ok_or_else(|| EngineError::data("the centring pass returned nothing"))?;
    let sum = |name: &str| -> Result<(f64, f64), EngineError> {
        Ok((f64_at(b, name, 0)?.unwrap_or(0.0), 0.0))
    };
    let moments = ColumnMoments::from_wire(&ColumnMomentsWire {
        rows: u64::try_from(i64_at(b, "n", 0)?).unwrap_or(0),
        sum_w: sum("sw")?,
        sum_wx: (0..p)
            .map(|j| sum(&format!("swx{j}")))
            .collect::<Result<_, _>>()?,
        // No rows: every flag holds (min over nothing is null, read as 0
        // here, which only changes the centring of an empty fit).
        unit_valued: (0..p)
            .map(|j| Ok(i64_at(b, &format!("unit{j}"), 0)? == 1))
            .collect::<Result<_, EngineError>>()?,
    })
    .map_err(|e| EngineError::data(e.to_string()))?;
    let means = moments.means();
    let aggs = plan
        .x
        .iter()
        .zip(&means)
        .enumerate()
        .map(|(j, (x, &m))| dd_sum(w.clone() * abs(x.clone() - lit(m))).alias(format!("sad{j}")))
        .collect();
    let b = collect(plan.complete_rows()?.aggregate(vec![], aggs)?).await?;
    let b = b
        .first()
        .ok_or_else(|| EngineError::data("the scaling pass returned nothing"))?;
    let spread = ColumnSpread::from_wire(&ColumnSpreadWire {
        sum_w_absdev: (0..p)
            .map(|j| Ok((f64_at(b, &format!("sad{j}"), 0)?.unwrap_or(0.0), 0.0)))
            .collect::<Result<_, EngineError>>()?,
    })
    .map_err(|e| EngineError::data(e.to_string()))?;
    Ok(Standardisation::new(&moments, &spread))
}

/// The sums `add_moments` of `partial_cox` adds, as expressions, in its
/// order: `r`, `r·x̃_i`, then `(r·x̃_i)·x̃_j` for `j ≤ i`.
fn moments(r: &Expr, xt: &[Expr]) -> Vec<Expr> {
    let mut out = vec![r.clone()];
    out.extend(xt.iter().map(|x| r.clone() * x.clone()));
    for (i, xi) in xt.iter().enumerate() {
        for xj in &xt[..=i] {
            out.push((r.clone() * xi.clone()) * xj.clone());
        }
    }
    out
}

/// One Newton pass: the merged `CoxPartial` at `beta`.
async fn round(
    plan: &Plan,
    read: &Read,
    std: &Standardisation,
    beta: &[f64],
    ties: Ties,
) -> Result<CoxPartial, EngineError> {
    let p = plan.x.len();
    // Columns computed once per row: time, stratum, event, w, x̃, η, r.
    let mut select = vec![
        plan.time.clone().alias("t"),
        is_event(plan, read).alias("ev"),
        plan.weight.clone().alias("w"),
    ];
    if let Some(s) = &plan.stratum_text {
        select.push(s.clone().alias("s"));
    }
    for (j, x) in plan.x.iter().enumerate() {
        select.push(((x.clone() - lit(std.mean[j])) * lit(std.scale[j])).alias(format!("x{j}")));
    }
    let xt: Vec<Expr> = (0..p).map(|j| ident(format!("x{j}"))).collect();
    let at_zero = beta.iter().all(|&b| b == 0.0);
    let eta = if at_zero {
        lit(0.0)
    } else {
        // Left to right, as `CoxPartial::from_rows` sums β·x̃.
        let mut terms = beta.iter().zip(&xt).map(|(&b, x)| lit(b) * x.clone());
        let first = terms.next().unwrap_or_else(|| lit(0.0));
        terms.fold(first, |e, t| e + t)
    };
    let df = plan.complete_rows()?.select(select)?;
    let df = df.with_column("eta", eta)?;
    let w = ident("w");
    let r = if at_zero {
        w.clone()
    } else {
        exp(ident("eta")) * w.clone()
    };
    let df = df.with_column("r", r)?;
    let (r, ev, eta) = (ident("r"), ident("ev"), ident("eta"));
    let on_event = |e: Expr| when(ev.clone(), e).end();
    // The rows are grouped by (time, stratum, event): the moments of a
    // cell are the sum of its two groups' moments, and Efron's moments over
    // the event rows are the event group's, so they are not summed twice
    // per row (28 + 8 sums a row for p = 6, not 64).
    let moments = moments(&r, &xt);
    let n_moments = moments.len();
    let mut sums = moments;
    sums.push(on_event(w.clone())?);
    sums.push(on_event(w.clone() * eta.clone())?);
    for x in &xt {
        sums.push(on_event(w.clone() * x.clone())?);
    }
    let computed = sums.len();
    let width = if ties == Ties::Efron {
        computed + n_moments
    } else {
        computed
    };
    let mut aggs: Vec<Expr> = sums
        .into_iter()
        .enumerate()
        .map(|(k, e)| dd_sum(e).alias(format!("v{k}")))
        .collect();
    aggs.extend([count(lit(1i64)).alias("n"), max(eta).alias("emax")]);
    let mut group_by = vec![ident("t"), ev.clone()];
    if plan.stratum_text.is_some() {
        group_by.push(ident("s"));
    }
    let batches = collect(df.aggregate(group_by, aggs)?).await?;

    let strata: std::collections::HashMap<Option<&str>, u32> = read
        .strata
        .iter()
        .map(|(s, c)| (s.as_deref(), *c))
        .collect();
    let mut cells: BTreeMap<(u32, u64), (u64, Vec<Sum2>)> = BTreeMap::new();
    let mut rows = 0u64;
    let mut eta_max = f64::NEG_INFINITY;
    for b in &batches {
        for i in 0..b.num_rows() {
            let t = f64_at(b, "t", i)?.unwrap_or(f64::NAN);
            let stratum = match plan.stratum_text {
                Some(_) => {
                    let s = text_at(b, "s", i)?;
                    *strata.get(&s.as_deref()).ok_or_else(|| {
                        EngineError::data("a stratum appeared after the reading pass")
                    })?
                }
                None => 0,
            };
            let cell = cells
                .entry((stratum, time_key(t)))
                .or_insert_with(|| (0, vec![Sum2::ZERO; width]));
            let n = u64::try_from(i64_at(b, "n", i)?).unwrap_or(0);
            let event = bool_at(b, "ev", i)?;
            if event {
                cell.0 += n;
            }
            // The cell's sums over all rows, then (Efron) the moments over
            // its event rows.
            let (all, on_events) = cell.1.split_at_mut(computed.min(width));
            for (k, slot) in all.iter_mut().enumerate() {
                let v = Sum2::of(f64_at(b, &format!("v{k}"), i)?.unwrap_or(0.0));
                slot.merge(&v);
                if event && let Some(e) = on_events.get_mut(k) {
                    e.merge(&v);
                }
            }
            rows += n;
            if let Some(e) = f64_at(b, "emax", i)? {
                eta_max = eta_max.max(e);
            }
        }
    }
    let mut wire = CoxPartialWire {
        p: u32::try_from(p).unwrap_or(u32::MAX),
        ties,
        counting: false,
        rows,
        eta_max,
        keys: Vec::with_capacity(cells.len()),
        events: Vec::with_capacity(cells.len()),
        values: Vec::with_capacity(cells.len() * width * 2),
    };
    for (key, (events, values)) in cells {
        wire.keys.push(key);
        wire.events.push(events);
        for v in values {
            let (hi, lo) = v.parts();
            wire.values.extend([hi, lo]);
        }
    }
    CoxPartial::from_wire(&wire).map_err(|e| EngineError::data(e.to_string()))
}

impl Engine {
    /// Fits the Cox model `spec` to `source`: `coxph` on the complete rows
    /// (with `timefix = FALSE`), from one aggregation pass per Newton
    /// evaluation.
    pub fn cox(
        &self,
        source: &Source,
        spec: &CoxSpec,
        opts: &CoxOptions,
    ) -> Result<CoxResult, EngineError> {
        if spec.covariates.is_empty() {
            return Err(EngineError::data("the model has no covariates"));
        }
        let plan = self.block_on(Plan::open(self, source, spec))?;
        let read = self.block_on(read(&plan, spec))?;
        let std = self.block_on(standardise(&plan))?;
        let mut passes = 3;
        let compute = |beta: &[f64]| {
            passes += 1;
            self.block_on(round(&plan, &read, &std, beta, opts.ties))
        };
        let opts = CoxOptions {
            robust: None,
            ..*opts
        };
        let fit = fit_partial(
            &spec.covariates,
            &std,
            Intervals::RightCensored,
            &opts,
            compute,
        )
        .map_err(|e| match e {
            PartialCoxError::Cox(e) => EngineError::data(e.to_string()),
            PartialCoxError::Round(e) => e,
        })?;
        Ok(CoxResult {
            fit,
            reading: read.reading,
            strata: read.labels,
            passes,
        })
    }
}

/// The `netra cox` JSON object of a fit: the analysis layer's
/// [`model_from_fit`], the function the in-memory path reports through, so
/// the two engines' outputs have the same fields by construction (the
/// partial fit has no concordance, zph or residuals: those stay empty).
pub fn model_out(result: &CoxResult) -> CoxModelOut {
    model_from_fit(&result.fit, &result.reading, result.strata.clone())
}
