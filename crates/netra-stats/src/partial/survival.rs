//! [`SurvivalCounts`]: the additive partial aggregate of right-censored (and
//! competing-risks) data — building, merging, and rebuilding from parts.
//! The evaluators are in `evaluate`.

use super::PartialError;
use super::cell::Cell;
use super::sum::Sum2;
use super::tabulate::tabulate;

/// Rows to tabulate (borrowed columns, one value per row).
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    /// Follow-up times: finite, ≥ 0.
    pub time: &'a [f64],
    /// 0 = censored, c ≥ 1 = event of cause c (plain survival data: 1).
    pub cause: &'a [u32],
    /// Case weights (finite, ≥ 0); `None` for weight 1.
    pub weights: Option<&'a [f64]>,
    /// 0-based groups; `None` for one group.
    pub group: Option<&'a [u32]>,
    /// 0-based strata; `None` for one stratum.
    pub stratum: Option<&'a [u32]>,
}

/// Additive sums of right-censored data per (time, stratum, group): see the
/// module documentation of [`crate::partial`].
///
/// Build with [`SurvivalCounts::from_rows`] (or [`SurvivalCounts::new`] and
/// [`SurvivalCounts::update`]), combine with [`SurvivalCounts::merge`],
/// evaluate with [`SurvivalCounts::km_curves`], [`SurvivalCounts::logrank`]
/// and [`SurvivalCounts::cuminc`]. [`SurvivalCounts::from_parts`] rebuilds one
/// from its parts (after serialisation) and checks them.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCounts {
    cells: Vec<Cell>,
    n_groups: u32,
    n_strata: u32,
    fractional_weights: bool,
}

fn check_count(what: &'static str, value: u32) -> Result<(), PartialError> {
    if value == 0 {
        Err(PartialError::InvalidCount { what, value })
    } else {
        Ok(())
    }
}

impl SurvivalCounts {
    /// An empty partial with `n_groups` groups and `n_strata` strata (both
    /// ≥ 1).
    pub fn new(n_groups: u32, n_strata: u32) -> Result<SurvivalCounts, PartialError> {
        check_count("n_groups", n_groups)?;
        check_count("n_strata", n_strata)?;
        Ok(SurvivalCounts {
            cells: Vec::new(),
            n_groups,
            n_strata,
            fractional_weights: false,
        })
    }

    /// Tabulates rows: one sort of the time bits (the Kaplan–Meier module's
    /// radix sort), then one run-length pass into cells. No rows gives an
    /// empty partial (a site without patients), not an error.
    pub fn from_rows(
        rows: &Rows<'_>,
        n_groups: u32,
        n_strata: u32,
    ) -> Result<SurvivalCounts, PartialError> {
        let mut out = SurvivalCounts::new(n_groups, n_strata)?;
        out.fractional_weights = validate_rows(rows, n_groups, n_strata)?;
        out.cells = tabulate(rows, n_groups, n_strata);
        Ok(out)
    }

    /// Adds rows to this partial (tabulated, then merged).
    pub fn update(&mut self, rows: &Rows<'_>) -> Result<(), PartialError> {
        let other = SurvivalCounts::from_rows(rows, self.n_groups, self.n_strata)?;
        self.merge(&other);
        Ok(())
    }

    /// Adds another partial: a sort-merge of the two cell lists, adding cells
    /// with equal keys; the declared numbers of groups and strata become the
    /// larger of the two, `fractional_weights` the OR. Commutative and
    /// associative (up to the rounding of [`Sum2`], see its guarantee).
    pub fn merge(&mut self, other: &SurvivalCounts) {
        let mine = std::mem::take(&mut self.cells);
        let mut out = Vec::with_capacity(mine.len() + other.cells.len());
        let mut b = other.cells.iter().peekable();
        for mut a in mine {
            while let Some(c) = b.next_if(|c| c.key() < a.key()) {
                out.push(c.clone());
            }
            if let Some(c) = b.next_if(|c| c.key() == a.key()) {
                a.merge(c);
            }
            out.push(a);
        }
        out.extend(b.cloned());
        self.cells = out;
        self.n_groups = self.n_groups.max(other.n_groups);
        self.n_strata = self.n_strata.max(other.n_strata);
        self.fractional_weights |= other.fractional_weights;
    }

    /// Rebuilds a partial from its parts, checking every invariant the
    /// evaluators rely on: cells strictly ascending by key, times finite and
    /// ≥ 0 (no −0), group and stratum below the declared counts, at least one
    /// row per cell and no more events than rows, sums finite and ≥ 0, and a
    /// cause list that is ascending, of causes ≥ 1, adding up to the events.
    pub fn from_parts(
        cells: Vec<Cell>,
        n_groups: u32,
        n_strata: u32,
        fractional_weights: bool,
    ) -> Result<SurvivalCounts, PartialError> {
        let mut out = SurvivalCounts::new(n_groups, n_strata)?;
        for (index, c) in cells.iter().enumerate() {
            let bad = |reason: &'static str| Err(PartialError::InvalidCell { index, reason });
            let t = c.time();
            if !(t.is_finite() && t >= 0.0) || c.time_bits == (-0.0f64).to_bits() {
                return bad("time is not a finite number >= 0 (or is -0)");
            }
            if index > 0 && cells[index - 1].key() >= c.key() {
                return bad("cells are not strictly ascending by (time, stratum, group)");
            }
            if c.group >= n_groups || c.stratum >= n_strata {
                return bad("group or stratum is not below the declared count");
            }
            if c.rows == 0 || c.event_rows > c.rows {
                return bad("a cell needs rows >= 1 and event_rows <= rows");
            }
            let sums = [c.w_event, c.w_censor, c.w2_event, c.w2_censor];
            if sums.iter().any(|s| !sum_ok(s)) {
                return bad("a weight sum is not a finite number >= 0");
            }
            if !c.causes.is_empty() {
                let ascending = c.causes.windows(2).all(|w| w[0].cause < w[1].cause);
                let total = c.causes.iter().try_fold(0u64, |a, x| a.checked_add(x.rows));
                if !ascending
                    || c.causes[0].cause == 0
                    || total != Some(c.event_rows)
                    || c.causes.iter().any(|x| !sum_ok(&x.weight))
                {
                    return bad("causes are not ascending causes >= 1 adding up to event_rows");
                }
            }
        }
        out.cells = cells;
        // Canonical form: a list holding only cause 1 is left implicit.
        for c in &mut out.cells {
            if c.causes.len() == 1 && c.causes[0].cause == 1 {
                c.causes.clear();
            }
        }
        out.fractional_weights = fractional_weights;
        Ok(out)
    }

    /// The cells, ascending by (time, stratum, group).
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The cells, by value (for serialisation without a copy).
    pub fn into_cells(self) -> Vec<Cell> {
        self.cells
    }

    /// The declared number of groups.
    pub fn n_groups(&self) -> u32 {
        self.n_groups
    }

    /// The declared number of strata.
    pub fn n_strata(&self) -> u32 {
        self.n_strata
    }

    /// True when some case weight was not an integer (R's `survfit` then
    /// uses the robust variance).
    pub fn fractional_weights(&self) -> bool {
        self.fractional_weights
    }

    /// Total number of rows.
    pub fn rows(&self) -> u64 {
        self.cells
            .iter()
            .fold(0u64, |a, c| a.saturating_add(c.rows))
    }

    /// True when no row has been added.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }
}

fn sum_ok(s: &Sum2) -> bool {
    let (hi, lo) = s.parts();
    hi.is_finite() && lo.is_finite() && hi >= 0.0
}

/// Checks the rows; returns whether some weight is not an integer.
fn validate_rows(rows: &Rows<'_>, n_groups: u32, n_strata: u32) -> Result<bool, PartialError> {
    let n = rows.time.len();
    let check = |what: &'static str, len: usize| {
        if len == n {
            Ok(())
        } else {
            Err(PartialError::LengthMismatch {
                what,
                expected: n,
                found: len,
            })
        }
    };
    check("cause", rows.cause.len())?;
    if let Some(w) = rows.weights {
        check("weights", w.len())?;
    }
    if let Some(g) = rows.group {
        check("group", g.len())?;
        if let Some(row) = g.iter().position(|&x| x >= n_groups) {
            return Err(PartialError::GroupOutOfRange {
                row,
                group: g[row],
                n_groups,
            });
        }
    }
    if let Some(s) = rows.stratum {
        check("stratum", s.len())?;
        if let Some(row) = s.iter().position(|&x| x >= n_strata) {
            return Err(PartialError::StratumOutOfRange {
                row,
                stratum: s[row],
                n_strata,
            });
        }
    }
    if n > u32::MAX as usize {
        return Err(PartialError::TooManyRows(n));
    }
    if let Some(row) = rows.time.iter().position(|t| !(t.is_finite() && *t >= 0.0)) {
        return Err(PartialError::InvalidTime {
            row,
            value: rows.time[row],
        });
    }
    let mut fractional = false;
    if let Some(w) = rows.weights {
        if let Some(row) = w.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(PartialError::InvalidWeight { row, value: w[row] });
        }
        fractional = w.iter().any(|x| *x != x.floor());
    }
    Ok(fractional)
}
