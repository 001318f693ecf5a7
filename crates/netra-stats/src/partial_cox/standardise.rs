//! The two rounds before the Newton iterations: centring and scaling of the
//! covariates, from additive sums.
//!
//! `coxph` (C `coxfit6`) fits in centred, scaled coordinates: each column
//! is centred at its weighted mean `m = Σw·x / Σw` and multiplied by
//! `Σw / Σw·|x − m|`; columns whose values are all in {-1, 0, 1} are left
//! alone (`nocenter = c(-1, 0, 1)`). The estimates do not depend on this
//! mathematically, but the singularity tolerance of the Cholesky step is
//! relative to the largest diagonal element, so using R's coordinates is
//! what makes the same columns `NA`. Both sums are additive: round 1 sends
//! [`ColumnMoments`] (`Σw`, `Σw·x`, whether the column is -1/0/1), round 2
//! — given the means — sends [`ColumnSpread`] (`Σw·|x − m|`).

use super::dd::{Dd, add_all};
use super::part_dims;
use crate::cox::{CoxData, CoxError};

/// Round 1: per-part weight total, weighted column sums and the -1/0/1
/// flags. Merged by addition (flags by "and").
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMoments {
    pub(super) rows: u64,
    pub(super) sum_w: Dd,
    pub(super) sum_wx: Vec<Dd>,
    pub(super) unit_valued: Vec<bool>,
}

impl ColumnMoments {
    /// A part's sums over its rows.
    pub fn from_rows(data: &CoxData<'_>) -> Result<ColumnMoments, CoxError> {
        let (n, p) = part_dims(data)?;
        let mut sum_w = Dd::ZERO;
        let mut sum_wx = vec![Dd::ZERO; p];
        let mut unit_valued = vec![true; p];
        for i in 0..n {
            sum_w.add(data.weights.map_or(1.0, |w| w[i]));
        }
        for j in 0..p {
            let col = &data.x[j * n..(j + 1) * n];
            for (i, &v) in col.iter().enumerate() {
                unit_valued[j] &= v == 0.0 || v == 1.0 || v == -1.0;
                sum_wx[j].add(data.weights.map_or(1.0, |w| w[i]) * v);
            }
        }
        Ok(ColumnMoments {
            rows: n as u64,
            sum_w,
            sum_wx,
            unit_valued,
        })
    }

    /// Adds another part's sums.
    pub fn merge(&mut self, other: &ColumnMoments) -> Result<(), CoxError> {
        if other.sum_wx.len() != self.sum_wx.len() {
            return Err(CoxError::LengthMismatch(format!(
                "parts with {} and {} covariates",
                self.sum_wx.len(),
                other.sum_wx.len()
            )));
        }
        self.rows += other.rows;
        self.sum_w.add_dd(other.sum_w);
        add_all(&mut self.sum_wx, &other.sum_wx);
        for (a, b) in self.unit_valued.iter_mut().zip(&other.unit_valued) {
            *a &= *b;
        }
        Ok(())
    }

    /// The centring values sent back to the parts for round 2: weighted
    /// means, 0 for -1/0/1 columns.
    pub fn means(&self) -> Vec<f64> {
        let total = self.sum_w.value();
        self.sum_wx
            .iter()
            .zip(&self.unit_valued)
            .map(|(s, &unit)| if unit { 0.0 } else { s.value() / total })
            .collect()
    }
}

/// Round 2: `Σw·|x − m|` per column for the means of round 1.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSpread {
    pub(super) sum_w_absdev: Vec<Dd>,
}

impl ColumnSpread {
    /// A part's sums over its rows, for the merged means.
    pub fn from_rows(data: &CoxData<'_>, means: &[f64]) -> Result<ColumnSpread, CoxError> {
        let (n, p) = part_dims(data)?;
        if means.len() != p {
            return Err(CoxError::LengthMismatch(format!(
                "{} means for {p} covariates",
                means.len()
            )));
        }
        let mut sum_w_absdev = vec![Dd::ZERO; p];
        for j in 0..p {
            let col = &data.x[j * n..(j + 1) * n];
            for (i, &v) in col.iter().enumerate() {
                sum_w_absdev[j].add(data.weights.map_or(1.0, |w| w[i]) * (v - means[j]).abs());
            }
        }
        Ok(ColumnSpread { sum_w_absdev })
    }

    /// Adds another part's sums.
    pub fn merge(&mut self, other: &ColumnSpread) -> Result<(), CoxError> {
        if other.sum_w_absdev.len() != self.sum_w_absdev.len() {
            return Err(CoxError::LengthMismatch(format!(
                "parts with {} and {} covariates",
                self.sum_w_absdev.len(),
                other.sum_w_absdev.len()
            )));
        }
        add_all(&mut self.sum_w_absdev, &other.sum_w_absdev);
        Ok(())
    }
}

/// Centring and scaling of the covariates, as `coxph` chooses them; the
/// parts compute with `(x − mean)·scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct Standardisation {
    /// Values subtracted (weighted means; 0 for -1/0/1 columns).
    pub mean: Vec<f64>,
    /// Factors applied after centring (1 for -1/0/1 and constant columns).
    pub scale: Vec<f64>,
}

impl Standardisation {
    /// From the merged sums of the two rounds.
    pub fn new(moments: &ColumnMoments, spread: &ColumnSpread) -> Standardisation {
        let total = moments.sum_w.value();
        let mean = moments.means();
        let scale = spread
            .sum_w_absdev
            .iter()
            .zip(&moments.unit_valued)
            .map(|(a, &unit)| {
                let a = a.value();
                if unit || a <= 0.0 { 1.0 } else { total / a }
            })
            .collect();
        Standardisation { mean, scale }
    }

    /// No centring or scaling (for callers that standardise otherwise; the
    /// `NA` decisions are then relative to the raw columns).
    pub fn identity(p: usize) -> Standardisation {
        Standardisation {
            mean: vec![0.0; p],
            scale: vec![1.0; p],
        }
    }

    /// Number of covariates.
    pub fn p(&self) -> usize {
        self.mean.len()
    }
}
