//! A part's per-(stratum, time) sums for one β, and their merge.
//!
//! Layout of one cell's values (`x̃ = (x − mean)·scale`, `η = β·x̃`,
//! `r = w·e^η`, `np = p(p+1)/2`, matrices as packed lower triangles):
//!
//! | offset | length | sum over | value |
//! |---|---|---|---|
//! | 0 | 1 | rows with this time | Σ r |
//! | 1 | p | rows with this time | Σ r·x̃ |
//! | 1+p | np | rows with this time | Σ r·x̃x̃ᵀ |
//! | 1+p+np | 1 | events at this time | Σ w |
//! | 2+p+np | 1 | events at this time | Σ w·η |
//! | 3+p+np | p | events at this time | Σ w·x̃ |
//! | 3+2p+np | 1 (Efron) | events at this time | Σ r |
//! | 4+2p+np | p (Efron) | events at this time | Σ r·x̃ |
//! | 4+3p+np | np (Efron) | events at this time | Σ r·x̃x̃ᵀ |
//!
//! | end | 1 + p + np ((start, stop]) | rows whose *start* is this time | Σ r, Σ r·x̃, Σ r·x̃x̃ᵀ |
//!
//! plus the number of event rows. Breslow cells have no Efron block:
//! Breslow needs only the risk set as a whole. The last block exists for
//! (start, stop] data only: a row is at risk at t when start < t ≤ stop,
//! so the risk set at t is the rows with stop ≥ t minus those with
//! start ≥ t, and a cell may hold only starts.

use super::dd::{Dd, add_all};
use super::part_dims;
use super::standardise::Standardisation;
use crate::cox::sort::asc_key;
use crate::cox::{CoxData, CoxError, Ties};

/// Where the blocks of a cell's values start (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    pub p: usize,
    pub np: usize,
    pub efron: bool,
    pub counting: bool,
}

impl Layout {
    pub fn new(p: usize, ties: Ties, counting: bool) -> Layout {
        Layout {
            p,
            np: p * (p + 1) / 2,
            efron: ties == Ties::Efron,
            counting,
        }
    }
    /// Width of the risk-set block `(Σr, Σr·x̃, Σr·x̃x̃ᵀ)`.
    pub fn moments(&self) -> usize {
        1 + self.p + self.np
    }
    pub fn ev_w(&self) -> usize {
        self.moments()
    }
    pub fn ev_weta(&self) -> usize {
        self.moments() + 1
    }
    pub fn ev_wx(&self) -> usize {
        self.moments() + 2
    }
    /// Start of the events' risk block (Efron).
    pub fn ev_risk(&self) -> usize {
        self.moments() + 2 + self.p
    }
    /// Start of the entering rows' block ((start, stop] data).
    pub fn enter(&self) -> usize {
        self.ev_risk() + if self.efron { self.moments() } else { 0 }
    }
    pub fn width(&self) -> usize {
        self.enter() + if self.counting { self.moments() } else { 0 }
    }
}

/// One part's (or several merged parts') sums at one β.
///
/// Cells are kept sorted by (stratum, time ascending); each holds the sums
/// of the module table. Build one with [`CoxPartial::from_rows`], combine
/// with [`CoxPartial::merge`], evaluate with [`CoxPartial::evaluate`].
#[derive(Debug, Clone, PartialEq)]
pub struct CoxPartial {
    pub(crate) layout: Layout,
    pub(crate) rows: u64,
    /// Largest linear predictor `η` of any row (for R's "may be infinite"
    /// check when the iteration does not converge); merged by maximum.
    pub(crate) eta_max: f64,
    /// (stratum, order-preserving bits of the time), ascending.
    pub(crate) keys: Vec<(u32, u64)>,
    /// Event rows per cell.
    pub(crate) events: Vec<u64>,
    /// `keys.len() × width` values.
    pub(crate) values: Vec<Dd>,
}

impl CoxPartial {
    /// The sums of a part's rows at `beta` (in the standardised coordinates
    /// of `std`); (start, stop] data when `data.start` is given (then every
    /// part must give start times). `data.cluster` is ignored. A part may
    /// have no events, one row, or strata the other parts lack.
    pub fn from_rows(
        data: &CoxData<'_>,
        std: &Standardisation,
        beta: &[f64],
        ties: Ties,
    ) -> Result<CoxPartial, CoxError> {
        let (n, p) = part_dims(data)?;
        if std.p() != p || beta.len() != p {
            return Err(CoxError::LengthMismatch(format!(
                "{p} covariates, {} centring values, {} coefficients",
                std.p(),
                beta.len()
            )));
        }
        let layout = Layout::new(p, ties, data.start.is_some());
        let width = layout.width();
        // (stratum, time key, row, 0 = stop / 1 = start).
        let stratum = |i: usize| data.strata.map_or(0, |s| s[i]);
        let mut order: Vec<(u32, u64, u32, u8)> = (0..n)
            .map(|i| (stratum(i), asc_key(data.time[i]), i as u32, 0))
            .collect();
        if let Some(start) = data.start {
            order.extend((0..n).map(|i| (stratum(i), asc_key(start[i]), i as u32, 1)));
        }
        order.sort_unstable();

        let mut keys: Vec<(u32, u64)> = Vec::new();
        let mut events: Vec<u64> = Vec::new();
        let mut values: Vec<Dd> = Vec::new();
        let mut xt = vec![0.0; p];
        let mut eta_max = f64::NEG_INFINITY;
        // At β = 0 (the first round) every risk is exp(0)·w = w.
        let at_zero = beta.iter().all(|&b| b == 0.0);
        for &(s, k, i, kind) in &order {
            let i = i as usize;
            if keys.last() != Some(&(s, k)) {
                keys.push((s, k));
                events.push(0);
                values.resize(values.len() + width, Dd::ZERO);
            }
            let cell = values.len() - width;
            let v = &mut values[cell..];
            for j in 0..p {
                xt[j] = (data.x[j * n + i] - std.mean[j]) * std.scale[j];
            }
            let w = data.weights.map_or(1.0, |w| w[i]);
            let eta = if at_zero {
                0.0
            } else {
                beta.iter().zip(&xt).map(|(b, x)| b * x).sum()
            };
            eta_max = eta_max.max(eta);
            let r = if at_zero { w } else { eta.exp() * w };
            if kind == 1 {
                add_moments(&mut v[layout.enter()..], &xt, r);
                continue;
            }
            add_moments(&mut v[..layout.moments()], &xt, r);
            if data.event[i] {
                *events.last_mut().expect("a cell was pushed") += 1;
                v[layout.ev_w()].add(w);
                v[layout.ev_weta()].add(w * eta);
                for j in 0..p {
                    v[layout.ev_wx() + j].add(w * xt[j]);
                }
                if layout.efron {
                    add_moments(&mut v[layout.ev_risk()..], &xt, r);
                }
            }
        }
        Ok(CoxPartial {
            layout,
            rows: n as u64,
            eta_max,
            keys,
            events,
            values,
        })
    }

    /// Adds another part's sums: cells with equal (stratum, time) are added
    /// (double-double, see `dd`), others kept; commutative and associative
    /// up to the last bits of a double-double.
    pub fn merge(&mut self, other: &CoxPartial) -> Result<(), CoxError> {
        if other.layout != self.layout {
            return Err(CoxError::BadOption(format!(
                "cannot merge sums for {} covariates ({}{}) with sums for {} ({}{})",
                self.layout.p,
                ties_name(self.layout.efron),
                if self.layout.counting {
                    ", (start, stop]"
                } else {
                    ""
                },
                other.layout.p,
                ties_name(other.layout.efron),
                if other.layout.counting {
                    ", (start, stop]"
                } else {
                    ""
                },
            )));
        }
        let width = self.layout.width();
        let cap = self.keys.len() + other.keys.len();
        let mut keys = Vec::with_capacity(cap);
        let mut events = Vec::with_capacity(cap);
        let mut values = Vec::with_capacity(cap * width);
        let (mut a, mut b) = (0, 0);
        while a < self.keys.len() || b < other.keys.len() {
            let take_a =
                b == other.keys.len() || (a < self.keys.len() && self.keys[a] <= other.keys[b]);
            let take_b =
                a == self.keys.len() || (b < other.keys.len() && other.keys[b] <= self.keys[a]);
            if take_a && take_b {
                keys.push(self.keys[a]);
                events.push(self.events[a] + other.events[b]);
                let start = values.len();
                values.extend_from_slice(&self.values[a * width..(a + 1) * width]);
                add_all(
                    &mut values[start..],
                    &other.values[b * width..(b + 1) * width],
                );
                a += 1;
                b += 1;
            } else if take_a {
                keys.push(self.keys[a]);
                events.push(self.events[a]);
                values.extend_from_slice(&self.values[a * width..(a + 1) * width]);
                a += 1;
            } else {
                keys.push(other.keys[b]);
                events.push(other.events[b]);
                values.extend_from_slice(&other.values[b * width..(b + 1) * width]);
                b += 1;
            }
        }
        self.keys = keys;
        self.events = events;
        self.values = values;
        self.rows += other.rows;
        self.eta_max = self.eta_max.max(other.eta_max);
        Ok(())
    }

    /// Number of covariates.
    pub fn p(&self) -> usize {
        self.layout.p
    }

    /// True for (start, stop] sums.
    pub fn counting(&self) -> bool {
        self.layout.counting
    }

    /// Tie handling the sums were made for.
    pub fn ties(&self) -> Ties {
        if self.layout.efron {
            Ties::Efron
        } else {
            Ties::Breslow
        }
    }

    /// Rows summed.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Event rows summed (unweighted, R's `nevent`).
    pub fn events(&self) -> u64 {
        self.events.iter().sum()
    }

    /// Number of (stratum, time) cells.
    pub fn cells(&self) -> usize {
        self.keys.len()
    }
}

fn ties_name(efron: bool) -> &'static str {
    if efron { "Efron" } else { "Breslow" }
}

/// `m[0] += r`, `m[1..=p] += r·x`, `m[1+p..] += r·x·xᵀ` (packed lower).
#[inline]
fn add_moments(m: &mut [Dd], x: &[f64], r: f64) {
    let p = x.len();
    m[0].add(r);
    let mut k = 1 + p;
    for (i, &xi) in x.iter().enumerate() {
        let rx = r * xi;
        m[1 + i].add(rx);
        for &xj in &x[..=i] {
            m[k].add(rx * xj);
            k += 1;
        }
    }
}
