//! A [`CoxPartial`] as plain numbers, to send between sites (the crate has
//! no serialisation of its own; the transport layer encodes these fields).
//! Rebuilding checks everything the evaluation relies on, so a corrupt or
//! hostile message gives an error, never a panic or a silently wrong fit.

use super::cells::{CoxPartial, Layout};
use super::dd::Dd;
use super::standardise::{ColumnMoments, ColumnSpread};
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

/// The fields of a [`ColumnMoments`] (centring round 1): sums as (high,
/// low) pairs of their double-double values.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMomentsWire {
    /// Rows summed.
    pub rows: u64,
    /// `Σw`.
    pub sum_w: (f64, f64),
    /// `Σw·x` per covariate.
    pub sum_wx: Vec<(f64, f64)>,
    /// Per covariate: every value is -1, 0 or 1.
    pub unit_valued: Vec<bool>,
}

/// The fields of a [`ColumnSpread`] (centring round 2).
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpreadWire {
    /// `Σw·|x − m|` per covariate, as (high, low) pairs.
    pub sum_w_absdev: Vec<(f64, f64)>,
}

fn pairs(values: &[Dd]) -> Vec<(f64, f64)> {
    values.iter().map(|d| d.parts()).collect()
}

/// Rebuilds sums that must be finite numbers (weights and absolute values
/// are never negative, but `Σw·x` may be).
fn sums(pairs: &[(f64, f64)], what: &str, non_negative: bool) -> Result<Vec<Dd>, CoxError> {
    pairs
        .iter()
        .map(|&(hi, lo)| {
            let ok = hi.is_finite() && lo.is_finite() && (!non_negative || hi >= 0.0);
            if ok {
                Ok(Dd::from_parts(hi, lo))
            } else {
                Err(CoxError::BadOption(format!(
                    "partial sums: {what} must be finite{}",
                    if non_negative { " and >= 0" } else { "" }
                )))
            }
        })
        .collect()
}

impl ColumnMoments {
    /// The sums as plain numbers.
    pub fn to_wire(&self) -> ColumnMomentsWire {
        ColumnMomentsWire {
            rows: self.rows,
            sum_w: self.sum_w.parts(),
            sum_wx: pairs(&self.sum_wx),
            unit_valued: self.unit_valued.clone(),
        }
    }

    /// Rebuilds sums sent with [`ColumnMoments::to_wire`], checking them:
    /// one flag per covariate, 1 to 10000 covariates, finite sums, `Σw ≥ 0`.
    pub fn from_wire(wire: &ColumnMomentsWire) -> Result<ColumnMoments, CoxError> {
        let p = wire.sum_wx.len();
        if p == 0 || p > 10_000 || wire.unit_valued.len() != p {
            return Err(CoxError::BadOption(
                "partial sums: 1 to 10000 covariates, one -1/0/1 flag each".into(),
            ));
        }
        let sum_w = sums(&[wire.sum_w], "the weight total", true)?[0];
        Ok(ColumnMoments {
            rows: wire.rows,
            sum_w,
            sum_wx: sums(&wire.sum_wx, "the weighted column sums", false)?,
            unit_valued: wire.unit_valued.clone(),
        })
    }
}

impl ColumnSpread {
    /// The sums as plain numbers.
    pub fn to_wire(&self) -> ColumnSpreadWire {
        ColumnSpreadWire {
            sum_w_absdev: pairs(&self.sum_w_absdev),
        }
    }

    /// Rebuilds sums sent with [`ColumnSpread::to_wire`] (1 to 10000
    /// covariates, finite sums ≥ 0).
    pub fn from_wire(wire: &ColumnSpreadWire) -> Result<ColumnSpread, CoxError> {
        let p = wire.sum_w_absdev.len();
        if p == 0 || p > 10_000 {
            return Err(CoxError::BadOption(
                "partial sums: 1 to 10000 covariates".into(),
            ));
        }
        Ok(ColumnSpread {
            sum_w_absdev: sums(&wire.sum_w_absdev, "the absolute deviations", true)?,
        })
    }
}
