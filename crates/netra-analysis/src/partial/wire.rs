//! Partial aggregates as messages: the serde form in which a federated node
//! or a cluster partition sends its sums to the coordinator, and the check
//! on the way back in.
//!
//! # Why a separate form
//! The in-memory partials (`netra_stats::partial::SurvivalCounts`,
//! `netra_stats::partial_cox::CoxPartial`) keep invariants the evaluators
//! rely on (cells strictly ascending, counts consistent, sums finite). A
//! message comes from another machine, so it is rebuilt through the
//! kernels' checked constructors (`from_parts`, `from_wire`): a corrupt or
//! hostile message is an [`AnalysisError`] naming what is wrong, never a
//! panic or a silently different result.
//!
//! # Exactness
//! Every double-double sum travels as its two parts `[high, low]`, times
//! as decimal numbers. JSON numbers are written in the shortest form that
//! reads back to the same double (serde_json with `float_roundtrip`, set in
//! the workspace), so a message read back gives the *same bits*: a result
//! merged from messages equals the one merged in memory exactly, in any
//! order (tests). Non-finite numbers have no JSON form; a part whose sums
//! overflowed is refused when the message is made.
//!
//! # What a message reveals
//! Exactly the fields below: for survival, per (time, stratum, group) cell
//! the number of rows, events (by cause) and censorings with their weight
//! sums; for Cox, per (stratum, time) the events and the weighted sums of
//! the covariates of the rows leaving the risk set. With one row per cell
//! (continuous times) that row's values can be read off — these are
//! aggregates, not a privacy protection (`docs/algorithms/partials.md`);
//! coarsening and minimum cell sizes belong to the federation policy.

use netra_stats::cox::{CoxError, Ties};
use netra_stats::partial::{CauseSum, Cell, PartialError, Sum2, SurvivalCounts};
use netra_stats::partial_cox::{
    ColumnMoments, ColumnMomentsWire, ColumnSpread, ColumnSpreadWire, CoxPartial, CoxPartialWire,
};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;

/// Version of the message format; a reader refuses other versions.
pub const FORMAT: u32 = 1;

/// A message: the format version and one partial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    /// [`FORMAT`] of the writer.
    pub format: u32,
    /// The partial aggregate.
    pub partial: Partial,
}

/// The partial aggregates that travel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Partial {
    /// Per-time counts for Kaplan–Meier, the log-rank family and
    /// cumulative incidence.
    Survival(SurvivalWire),
    /// Cox centring round 1.
    CoxMoments(MomentsWire),
    /// Cox centring round 2.
    CoxSpread(SpreadWire),
    /// One Newton iteration's Cox sums.
    CoxRound(CoxRoundWire),
}

/// A double-double sum as `[high, low]`.
pub type Pair = [f64; 2];

/// [`SurvivalCounts`] as a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurvivalWire {
    /// Declared number of groups.
    pub groups: u32,
    /// Declared number of strata.
    pub strata: u32,
    /// Some case weight was not an integer.
    pub fractional_weights: bool,
    /// Cells, strictly ascending by (time, stratum, group).
    pub cells: Vec<CellWire>,
}

/// One cell of a [`SurvivalWire`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellWire {
    /// Time as recorded (finite, ≥ 0).
    pub time: f64,
    /// 0-based stratum.
    pub stratum: u32,
    /// 0-based group.
    pub group: u32,
    /// Rows.
    pub rows: u64,
    /// Rows with an event of any cause.
    pub event_rows: u64,
    /// Σ weights of the events.
    pub event_weight: Pair,
    /// Σ weights of the censored.
    pub censor_weight: Pair,
    /// Σ squared weights of the events.
    pub event_weight2: Pair,
    /// Σ squared weights of the censored.
    pub censor_weight2: Pair,
    /// Events by cause (competing risks); empty when all are cause 1.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<CauseWire>,
}

/// Events of one cause in a [`CellWire`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CauseWire {
    /// Cause (≥ 1).
    pub cause: u32,
    /// Rows with an event of this cause.
    pub rows: u64,
    /// Σ their weights.
    pub weight: Pair,
}

/// `ColumnMoments` as a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MomentsWire {
    /// Rows.
    pub rows: u64,
    /// Σw.
    pub sum_w: Pair,
    /// Σw·x per covariate.
    pub sum_wx: Vec<Pair>,
    /// Per covariate: all values in {-1, 0, 1}.
    pub unit_valued: Vec<bool>,
}

/// `ColumnSpread` as a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpreadWire {
    /// Σw·|x − m| per covariate.
    pub sum_w_absdev: Vec<Pair>,
}

/// `CoxPartial` (one Newton iteration) as a message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoxRoundWire {
    /// Number of covariates.
    pub covariates: u32,
    /// `efron` or `breslow`.
    pub ties: String,
    /// (start, stop] sums.
    pub counting: bool,
    /// Rows.
    pub rows: u64,
    /// Largest linear predictor; absent when the part has no rows.
    pub eta_max: Option<f64>,
    /// Per cell: stratum and time, strictly ascending.
    pub cells: Vec<(u32, f64)>,
    /// Per cell: event rows.
    pub events: Vec<u64>,
    /// Per cell the sums of the layout as `[high, low]` pairs.
    pub values: Vec<Pair>,
}

impl Message {
    /// Wraps a partial with the current format.
    pub fn new(partial: Partial) -> Message {
        Message {
            format: FORMAT,
            partial,
        }
    }

    /// The message as JSON text.
    pub fn to_json(&self) -> Result<String, AnalysisError> {
        serde_json::to_string(self).map_err(|e| invalid(format!("cannot encode: {e}")))
    }

    /// Reads a message, refusing unknown fields and other format versions.
    pub fn from_json(text: &str) -> Result<Message, AnalysisError> {
        let m: Message =
            serde_json::from_str(text).map_err(|e| invalid(format!("cannot read: {e}")))?;
        if m.format != FORMAT {
            return Err(invalid(format!(
                "format {} is not the supported format {FORMAT}",
                m.format
            )));
        }
        Ok(m)
    }
}

fn invalid(reason: String) -> AnalysisError {
    AnalysisError::invalid("partial aggregate message", reason)
}

fn finite(values: impl IntoIterator<Item = f64>, what: &str) -> Result<(), AnalysisError> {
    if values.into_iter().all(f64::is_finite) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{what} is not finite (a sum overflowed) and cannot be sent"
        )))
    }
}

fn pair(s: &Sum2) -> Pair {
    let (hi, lo) = s.parts();
    [hi, lo]
}

fn sum(p: Pair) -> Sum2 {
    Sum2::from_parts(p[0], p[1])
}

impl SurvivalWire {
    /// The message form of survival counts; refuses non-finite sums.
    pub fn from_counts(counts: &SurvivalCounts) -> Result<SurvivalWire, AnalysisError> {
        let cells = counts.cells().iter().map(cell_wire).collect::<Vec<_>>();
        for c in &cells {
            let causes = c.causes.iter().flat_map(|x| x.weight);
            let sums = [
                c.event_weight,
                c.censor_weight,
                c.event_weight2,
                c.censor_weight2,
            ];
            finite(sums.into_iter().flatten().chain(causes), "a weight sum")?;
        }
        Ok(SurvivalWire {
            groups: counts.n_groups(),
            strata: counts.n_strata(),
            fractional_weights: counts.fractional_weights(),
            cells,
        })
    }

    /// Rebuilds the counts, with every check of `SurvivalCounts::from_parts`.
    pub fn to_counts(&self) -> Result<SurvivalCounts, AnalysisError> {
        let cells = self.cells.iter().map(cell_of).collect();
        SurvivalCounts::from_parts(cells, self.groups, self.strata, self.fractional_weights)
            .map_err(|e: PartialError| invalid(e.to_string()))
    }
}

fn cell_wire(c: &Cell) -> CellWire {
    CellWire {
        time: c.time(),
        stratum: c.stratum,
        group: c.group,
        rows: c.rows,
        event_rows: c.event_rows,
        event_weight: pair(&c.w_event),
        censor_weight: pair(&c.w_censor),
        event_weight2: pair(&c.w2_event),
        censor_weight2: pair(&c.w2_censor),
        causes: c
            .causes
            .iter()
            .map(|x| CauseWire {
                cause: x.cause,
                rows: x.rows,
                weight: pair(&x.weight),
            })
            .collect(),
    }
}

fn cell_of(w: &CellWire) -> Cell {
    let mut c = Cell::new(w.time.to_bits(), w.stratum, w.group);
    c.rows = w.rows;
    c.event_rows = w.event_rows;
    c.w_event = sum(w.event_weight);
    c.w_censor = sum(w.censor_weight);
    c.w2_event = sum(w.event_weight2);
    c.w2_censor = sum(w.censor_weight2);
    c.causes = w
        .causes
        .iter()
        .map(|x| CauseSum {
            cause: x.cause,
            rows: x.rows,
            weight: sum(x.weight),
        })
        .collect();
    c
}

fn pairs(v: &[(f64, f64)]) -> Vec<Pair> {
    v.iter().map(|&(h, l)| [h, l]).collect()
}

fn tuples(v: &[Pair]) -> Vec<(f64, f64)> {
    v.iter().map(|p| (p[0], p[1])).collect()
}

fn cox(e: CoxError) -> AnalysisError {
    invalid(e.to_string())
}

impl MomentsWire {
    /// The message form of centring round 1.
    pub fn from_moments(m: &ColumnMoments) -> Result<MomentsWire, AnalysisError> {
        let w = m.to_wire();
        finite(
            w.sum_wx.iter().chain([&w.sum_w]).flat_map(|&(h, l)| [h, l]),
            "a column sum",
        )?;
        Ok(MomentsWire {
            rows: w.rows,
            sum_w: [w.sum_w.0, w.sum_w.1],
            sum_wx: pairs(&w.sum_wx),
            unit_valued: w.unit_valued,
        })
    }

    /// Rebuilds round 1's sums, checked.
    pub fn to_moments(&self) -> Result<ColumnMoments, AnalysisError> {
        ColumnMoments::from_wire(&ColumnMomentsWire {
            rows: self.rows,
            sum_w: (self.sum_w[0], self.sum_w[1]),
            sum_wx: tuples(&self.sum_wx),
            unit_valued: self.unit_valued.clone(),
        })
        .map_err(cox)
    }
}

impl SpreadWire {
    /// The message form of centring round 2.
    pub fn from_spread(s: &ColumnSpread) -> Result<SpreadWire, AnalysisError> {
        let w = s.to_wire();
        finite(
            w.sum_w_absdev.iter().flat_map(|&(h, l)| [h, l]),
            "a deviation sum",
        )?;
        Ok(SpreadWire {
            sum_w_absdev: pairs(&w.sum_w_absdev),
        })
    }

    /// Rebuilds round 2's sums, checked.
    pub fn to_spread(&self) -> Result<ColumnSpread, AnalysisError> {
        ColumnSpread::from_wire(&ColumnSpreadWire {
            sum_w_absdev: tuples(&self.sum_w_absdev),
        })
        .map_err(cox)
    }
}

/// The order-preserving key of `partial_cox` for a time, and back (the
/// key is what the kernel sorts by; the message carries the time).
fn time_of_key(key: u64) -> f64 {
    let bits = if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    };
    f64::from_bits(bits)
}

fn key_of_time(t: f64) -> u64 {
    let bits = (t + 0.0).to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

fn ties_name(t: Ties) -> &'static str {
    match t {
        Ties::Efron => "efron",
        Ties::Breslow => "breslow",
    }
}

impl CoxRoundWire {
    /// The message form of one iteration's sums; refuses non-finite sums.
    pub fn from_partial(p: &CoxPartial) -> Result<CoxRoundWire, AnalysisError> {
        let w = p.to_wire();
        finite(w.values.iter().copied(), "a risk-set sum")?;
        let eta_max = (w.rows > 0).then_some(w.eta_max);
        finite(eta_max, "the largest linear predictor")?;
        Ok(CoxRoundWire {
            covariates: w.p,
            ties: ties_name(w.ties).into(),
            counting: w.counting,
            rows: w.rows,
            eta_max,
            cells: w.keys.iter().map(|&(s, k)| (s, time_of_key(k))).collect(),
            events: w.events,
            values: w.values.chunks_exact(2).map(|c| [c[0], c[1]]).collect(),
        })
    }

    /// Rebuilds the sums, with every check of `CoxPartial::from_wire`.
    pub fn to_partial(&self) -> Result<CoxPartial, AnalysisError> {
        let ties = match self.ties.as_str() {
            "efron" => Ties::Efron,
            "breslow" => Ties::Breslow,
            other => return Err(invalid(format!("ties '{other}': efron or breslow"))),
        };
        if self.cells.iter().any(|c| !c.1.is_finite()) {
            return Err(invalid("a cell time is not finite".into()));
        }
        CoxPartial::from_wire(&CoxPartialWire {
            p: self.covariates,
            ties,
            counting: self.counting,
            rows: self.rows,
            eta_max: self.eta_max.unwrap_or(f64::NEG_INFINITY),
            keys: self
                .cells
                .iter()
                .map(|&(s, t)| (s, key_of_time(t)))
                .collect(),
            events: self.events.clone(),
            values: self.values.iter().flatten().copied().collect(),
        })
        .map_err(cox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_keys_round_trip() {
        for t in [0.0, -0.0, 1.5, -2.25, 1e308, -1e-300, 5e-324] {
            let back = time_of_key(key_of_time(t));
            assert_eq!(back, t + 0.0);
            assert_eq!(back.to_bits(), (t + 0.0).to_bits());
        }
        assert!(key_of_time(-1.0) < key_of_time(0.0));
        assert!(key_of_time(0.0) < key_of_time(2.0));
    }

    #[test]
    fn other_formats_and_unknown_fields_are_refused() {
        let ok = r#"{"format":1,"partial":{"kind":"cox_spread","sum_w_absdev":[[1.0,0.0]]}}"#;
        assert!(Message::from_json(ok).is_ok());
        let v2 = ok.replace("\"format\":1", "\"format\":2");
        let e = Message::from_json(&v2).unwrap_err().to_string();
        assert!(e.contains("format 2"), "{e}");
        let extra = ok.replace("\"format\":1", "\"format\":1,\"site\":\"A\"");
        assert!(Message::from_json(&extra).is_err());
        let kind = ok.replace("cox_spread", "cox_sprad");
        assert!(Message::from_json(&kind).is_err());
    }
}
