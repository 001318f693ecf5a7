//! A [`CoxPartial`] as plain numbers, to send between sites (the crate has
//! no serialisation of its own; the transport layer encodes these fields).
//! Rebuilding checks everything the evaluation relies on, so a corrupt or
//! hostile message gives an error, never a panic or a silently wrong fit.

use super::cells::{CoxPartial, Layout};
use super::dd::Dd;
use crate::cox::{CoxError, Ties};

/// The fields of a [`CoxPartial`].
#[derive(Debug, Clone, PartialEq)]
pub struct CoxPartialWire {
    /// Number of covariates.
    pub p: u32,
    /// Tie handling the sums were made for.
    pub ties: Ties,
    /// True for (start, stop] sums.
    pub counting: bool,
    /// Rows summed.
    pub rows: u64,
    /// Largest linear predictor of any row (`-inf` for no rows).
    pub eta_max: f64,
    /// Per cell: stratum and the order-preserving bits of the time
    /// (strictly increasing).
    pub keys: Vec<(u32, u64)>,
    /// Per cell: event rows.
    pub events: Vec<u64>,
    /// Per cell, the values of the layout in `cells` as (high, low) pairs
    /// of the double-double sums: `2 × width` numbers per cell.
    pub values: Vec<f64>,
}

impl CoxPartial {
    /// The sums as plain numbers.
    pub fn to_wire(&self) -> CoxPartialWire {
        CoxPartialWire {
            p: u32::try_from(self.layout.p).unwrap_or(u32::MAX),
            ties: self.ties(),
            counting: self.layout.counting,
            rows: self.rows,
            eta_max: self.eta_max,
            keys: self.keys.clone(),
            events: self.events.clone(),
            values: self
                .values
                .iter()
                .flat_map(|d| {
                    let (h, l) = d.parts();
                    [h, l]
                })
                .collect(),
        }
    }

    /// Rebuilds sums sent with [`CoxPartial::to_wire`], checking their
    /// shape: keys strictly increasing, one event count per cell, the
    /// layout's number of values, no NaN.
    pub fn from_wire(wire: &CoxPartialWire) -> Result<CoxPartial, CoxError> {
        let bad = |why: &str| Err(CoxError::BadOption(format!("partial sums: {why}")));
        let p = wire.p as usize;
        if p == 0 || p > 10_000 {
            return bad("the number of covariates must be 1 to 10000");
        }
        let layout = Layout::new(p, wire.ties, wire.counting);
        let cells = wire.keys.len();
        if wire.events.len() != cells {
            return bad("one event count per cell is needed");
        }
        if Some(wire.values.len()) != cells.checked_mul(2 * layout.width()) {
            return bad("the number of values does not match the cells and covariates");
        }
        if wire.keys.windows(2).any(|k| k[0] >= k[1]) {
            return bad("cells must be in increasing (stratum, time) order, each once");
        }
        if wire.values.iter().any(|v| v.is_nan()) || wire.eta_max.is_nan() {
            return bad("a value is not a number");
        }
        let events: u64 = wire
            .events
            .iter()
            .try_fold(0u64, |a, &e| a.checked_add(e))
            .map_or(u64::MAX, |v| v);
        if events > wire.rows {
            return bad("more events than rows");
        }
        Ok(CoxPartial {
            layout,
            rows: wire.rows,
            eta_max: wire.eta_max,
            keys: wire.keys.clone(),
            events: wire.events.clone(),
            values: wire
                .values
                .chunks_exact(2)
                .map(|c| Dd::from_parts(c[0], c[1]))
                .collect(),
        })
    }
}
