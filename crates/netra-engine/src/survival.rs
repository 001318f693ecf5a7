//! Kaplan–Meier, log-rank and cumulative-incidence counts as one DataFusion
//! `GROUP BY (time, event, group)` aggregation.
//!
//! The plan groups the rows by the raw time, event and group values (and,
//! with case weights, whether the weight is missing) and computes per group
//! the row count and the double-double sums of the weights and squared
//! weights (`dd_sum`), plus the checks on weights (smallest, largest, not a
//! number, not an integer). The result has one row per distinct key — a few
//! thousand for a registry, whatever the number of rows — and the driver
//! then applies netra's rules to these distinct values exactly as the
//! in-memory path applies them to the cells of a file
//! (`netra_analysis::table`): missing tokens, R's `Surv()` event coding
//! decided on the whole column, factor levels in R's order. It adds each
//! key's sums into the `(time, group)` cell of a
//! `netra_stats::partial::SurvivalCounts`, the value the in-memory path
//! tabulates from rows — so curves, medians, landmark rates, RMST and the
//! tests are evaluated by the same code.
//!
//! Not read the in-memory way: the notes on labels that trimming merged and
//! on empty text cells (they need every cell's spelling) are left empty,
//! and the values of the event column are listed in the order of the
//! aggregation's output, not of first appearance in the file.

use std::collections::BTreeMap;
use std::ops::Not;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::functions::math::expr_fn::floor;
use datafusion::functions_aggregate::expr_fn::{count, max, min, sum};
use datafusion::logical_expr::{Expr, lit};
use netra_analysis::partial::SurvivalPartial;
use netra_analysis::table::{EventCoding, Reading, ValueRead, factor, read_events, same_code};
use netra_frame::{Frame, is_missing};
use netra_stats::partial::{Cell, Sum2, SurvivalCounts};

use crate::ddsum::dd_sum;
use crate::source::{Table, indicator};
use crate::{Engine, EngineError, Source};

/// The columns of a right-censored outcome by group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SurvivalSpec {
    /// Follow-up time (numbers ≥ 0).
    pub time: String,
    /// Event indicator, read as R's `Surv()` or by `coding`.
    pub event: String,
    /// How the event column is coded.
    pub coding: EventCoding,
    /// Groups (one curve per value), if any.
    pub group: Option<String>,
    /// Case weights (finite numbers ≥ 0), if any.
    pub weights: Option<String>,
}

/// What the engine computed: the partial aggregate and how the data were
/// read.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalTally {
    /// The counts per (time, group), as `SurvivalPartial::from_data` would
    /// build them from the complete rows.
    pub partial: SurvivalPartial,
    /// Group labels in R's factor-level order (`["all"]` without groups).
    pub labels: Vec<String>,
    /// True when case weights were given.
    pub weighted: bool,
    /// Rows dropped, values read (for the lines and JSON fields the CLI
    /// prints).
    pub reading: Reading,
    /// Rows analysed.
    pub rows: u64,
}

/// One row of the aggregation: a distinct key and its sums.
struct Key {
    time: Time,
    event: Option<String>,
    group: Option<String>,
    weight_missing: bool,
    n: u64,
    sw: f64,
    sw2: f64,
    w_bad: i64,
    w_min: Option<f64>,
    w_max: Option<f64>,
    w_fractional: i64,
}

enum Time {
    Text(Option<String>),
    Number(Option<f64>),
}

impl Time {
    fn missing(&self) -> bool {
        match self {
            Time::Text(t) => t.as_deref().is_none_or(|t| is_missing(t.trim())),
            Time::Number(v) => v.is_none_or(f64::is_nan),
        }
    }

    /// The time, checked as `netra_analysis::table::times` checks a cell.
    fn value(&self, column: &str) -> Result<f64, EngineError> {
        let v = match self {
            Time::Text(t) => {
                let t = t.as_deref().unwrap_or_default().trim();
                match t.parse::<f64>() {
                    Ok(v) if v.is_finite() => v,
                    _ => {
                        return Err(EngineError::data(format!(
                            "column '{column}': '{t}' is not a number (a time is needed)"
                        )));
                    }
                }
            }
            Time::Number(v) => v.unwrap_or(f64::NAN),
        };
        if !v.is_finite() {
            return Err(EngineError::data(format!(
                "column '{column}': {v} is not a finite time"
            )));
        }
        if v < 0.0 {
            return Err(EngineError::data(format!(
                "column '{column}': {v}: a time cannot be negative"
            )));
        }
        Ok(v)
    }
}

fn present(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|t| !is_missing(t.trim()))
}

impl Engine {
    /// The survival counts of `source` by `spec` (one aggregation pass).
    pub fn survival(
        &self,
        source: &Source,
        spec: &SurvivalSpec,
    ) -> Result<SurvivalTally, EngineError> {
        let keys = self.block_on(aggregate(self, source, spec))?;
        assemble(&keys, spec)
    }
}

async fn aggregate(
    engine: &Engine,
    source: &Source,
    spec: &SurvivalSpec,
) -> Result<Vec<Key>, EngineError> {
    let table = Table::open(engine, source).await?;
    let mut group_by: Vec<Expr> = vec![
        table.time_key(&spec.time)?.alias("t"),
        table.text(&spec.event)?.alias("e"),
    ];
    if let Some(g) = &spec.group {
        group_by.push(table.text(g)?.alias("g"));
    }
    let mut aggs: Vec<Expr> = vec![count(lit(1i64)).alias("n")];
    if let Some(w) = &spec.weights {
        let missing = table.missing(w)?;
        group_by.push(missing.clone().alias("wm"));
        let x = table.number(w)?;
        aggs.extend([
            dd_sum(x.clone()).alias("sw"),
            dd_sum(x.clone() * x.clone()).alias("sw2"),
            sum(indicator(missing.not().and(x.clone().is_null()))).alias("wbad"),
            min(x.clone()).alias("wmin"),
            max(x.clone()).alias("wmax"),
            sum(indicator(x.clone().not_eq(floor(x)))).alias("wfrac"),
        ]);
    }
    let batches = table.df.aggregate(group_by, aggs)?.collect().await?;
    let mut keys = Vec::new();
    for b in &batches {
        read_keys(b, spec, &mut keys)?;
    }
    Ok(keys)
}

fn column<'a>(b: &'a RecordBatch, name: &str) -> Result<&'a dyn Array, EngineError> {
    b.column_by_name(name)
        .map(|a| a.as_ref())
        .ok_or_else(|| EngineError::data(format!("the aggregation has no column {name}")))
}

fn texts(a: &dyn Array) -> Result<Vec<Option<String>>, EngineError> {
    match a.data_type() {
        DataType::Utf8 => Ok(a
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()),
        other => Err(EngineError::data(format!("expected text, got {other}"))),
    }
}

fn f64s(a: &dyn Array) -> Result<Vec<Option<f64>>, EngineError> {
    match a.data_type() {
        DataType::Float64 => Ok(a.as_primitive::<Float64Type>().iter().collect()),
        other => Err(EngineError::data(format!("expected Float64, got {other}"))),
    }
}

fn i64s(a: &dyn Array) -> Result<Vec<i64>, EngineError> {
    match a.data_type() {
        DataType::Int64 => Ok(a
            .as_primitive::<Int64Type>()
            .iter()
            .map(|v| v.unwrap_or(0))
            .collect()),
        other => Err(EngineError::data(format!("expected Int64, got {other}"))),
    }
}

fn read_keys(b: &RecordBatch, spec: &SurvivalSpec, out: &mut Vec<Key>) -> Result<(), EngineError> {
    let rows = b.num_rows();
    let t = column(b, "t")?;
    let times: Vec<Time> = match t.data_type() {
        DataType::Utf8 => texts(t)?.into_iter().map(Time::Text).collect(),
        _ => f64s(t)?.into_iter().map(Time::Number).collect(),
    };
    let events = texts(column(b, "e")?)?;
    let groups = match spec.group {
        Some(_) => texts(column(b, "g")?)?,
        None => vec![Some("all".to_string()); rows],
    };
    let n = i64s(column(b, "n")?)?;
    let weighted = spec.weights.is_some();
    let (wm, sw, sw2, wbad, wmin, wmax, wfrac) = if weighted {
        let wm = column(b, "wm")?
            .as_boolean()
            .iter()
            .map(|v| v.unwrap_or(true))
            .collect();
        (
            wm,
            f64s(column(b, "sw")?)?,
            f64s(column(b, "sw2")?)?,
            i64s(column(b, "wbad")?)?,
            f64s(column(b, "wmin")?)?,
            f64s(column(b, "wmax")?)?,
            i64s(column(b, "wfrac")?)?,
        )
    } else {
        let count: Vec<Option<f64>> = n.iter().map(|&k| Some(k as f64)).collect();
        (
            vec![false; rows],
            count.clone(),
            count,
            vec![0; rows],
            vec![Some(1.0); rows],
            vec![Some(1.0); rows],
            vec![0; rows],
        )
    };
    for (i, time) in times.into_iter().enumerate() {
        out.push(Key {
            time,
            event: events[i].clone(),
            group: groups[i].clone(),
            weight_missing: wm[i],
            n: u64::try_from(n[i]).unwrap_or(0),
            sw: sw[i].unwrap_or(0.0),
            sw2: sw2[i].unwrap_or(0.0),
            w_bad: wbad[i],
            w_min: wmin[i],
            w_max: wmax[i],
            w_fractional: wfrac[i],
        });
    }
    Ok(())
}

/// A two-column frame of the distinct event and group texts, so that
/// netra's own readers (`read_events`, `factor`) decide the coding and the
/// levels on the whole column, as they do on a file.
fn distinct_frame(keys: &[Key]) -> Result<Frame, EngineError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| EngineError::data(format!("distinct values: {e}"));
    w.write_record(["e", "g"]).map_err(fail)?;
    for k in keys {
        w.write_record([
            k.event.as_deref().unwrap_or(""),
            k.group.as_deref().unwrap_or(""),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| EngineError::data(format!("distinct values: {e}")))?;
    Frame::from_reader("distinct values", bytes.as_slice(), None)
        .map_err(|e| EngineError::data(e.to_string()))
}

fn assemble(keys: &[Key], spec: &SurvivalSpec) -> Result<SurvivalTally, EngineError> {
    // Dropped rows by the first missing column, in the order km names them.
    let mut names: Vec<&str> = vec![&spec.time, &spec.event];
    names.extend(spec.group.as_deref());
    names.extend(spec.weights.as_deref());
    let mut dropped = vec![0usize; names.len()];
    let mut complete: Vec<usize> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let missing = [
            k.time.missing(),
            !present(&k.event),
            spec.group.is_some() && !present(&k.group),
            k.weight_missing,
        ];
        let n = usize::try_from(k.n).unwrap_or(usize::MAX);
        match missing.iter().take(names.len()).position(|&m| m) {
            Some(first) => dropped[first] += n,
            None => complete.push(i),
        }
    }
    let frame = distinct_frame(keys)?;
    let col = |name: &str| {
        frame
            .column(name)
            .map_err(|e| EngineError::data(e.to_string()))
    };
    let read = read_events(col("e")?, &complete, &spec.coding)?;
    let levels = match spec.group {
        Some(_) => Some(factor(col("g")?, &complete)),
        None => None,
    };
    let labels = levels
        .as_ref()
        .map_or_else(|| vec!["all".to_string()], |f| f.levels.clone());
    let weights = spec.weights.as_deref().unwrap_or_default();
    let mut cells: BTreeMap<(u64, u32), Cell> = BTreeMap::new();
    let mut fractional = false;
    let mut rows = 0u64;
    for (j, &i) in complete.iter().enumerate() {
        let k = &keys[i];
        if k.w_bad > 0 {
            return Err(EngineError::data(format!(
                "column '{weights}': {} cells are not numbers (weights must be numbers >= 0)",
                k.w_bad
            )));
        }
        if k.w_min.is_some_and(|w| w < 0.0) {
            return Err(EngineError::data(format!(
                "column '{weights}': a weight cannot be negative"
            )));
        }
        if k.w_max.is_some_and(|w| !w.is_finite()) {
            return Err(EngineError::data(format!(
                "column '{weights}': a weight is not a finite number"
            )));
        }
        fractional |= k.w_fractional > 0;
        let t = k.time.value(&spec.time)?;
        let group = levels.as_ref().map_or(0, |f| f.codes[j]);
        let key = ((t + 0.0).to_bits(), group);
        let cell = cells
            .entry(key)
            .or_insert_with(|| Cell::new(key.0, 0, group));
        cell.rows += k.n;
        rows += k.n;
        if read.events[j] {
            cell.event_rows += k.n;
            cell.w_event.merge(&Sum2::of(k.sw));
            cell.w2_event.merge(&Sum2::of(k.sw2));
        } else {
            cell.w_censor.merge(&Sum2::of(k.sw));
            cell.w2_censor.merge(&Sum2::of(k.sw2));
        }
    }
    let n_groups = u32::try_from(labels.len().max(1)).unwrap_or(u32::MAX);
    let counts = SurvivalCounts::from_parts(cells.into_values().collect(), n_groups, 1, fractional)
        .map_err(|e| EngineError::data(format!("survival counts: {e}")))?;
    // Each value's rows among the analysed rows ("1" and "1.0" are one).
    let values = read
        .values
        .iter()
        .map(|v| ValueRead {
            value: v.value.clone(),
            read_as: v.read_as,
            n: complete
                .iter()
                .filter(|&&i| {
                    keys[i]
                        .event
                        .as_deref()
                        .is_some_and(|e| same_code(e.trim(), &v.value))
                })
                .map(|&i| usize::try_from(keys[i].n).unwrap_or(usize::MAX))
                .sum(),
        })
        .collect();
    let dropped_by: Vec<(String, usize)> = names
        .iter()
        .zip(&dropped)
        .filter(|(_, n)| **n > 0)
        .map(|(c, n)| (c.to_string(), *n))
        .collect();
    Ok(SurvivalTally {
        partial: SurvivalPartial::from_counts(counts),
        labels,
        weighted: spec.weights.is_some(),
        reading: Reading {
            n_dropped: dropped.iter().sum(),
            dropped_by,
            column: spec.event.clone(),
            values,
            merged_labels: Vec::new(),
            empty_labels: Vec::new(),
        },
        rows,
    })
}
