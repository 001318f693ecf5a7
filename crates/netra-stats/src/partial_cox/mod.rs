//! Cox regression from additive per-iteration partial aggregates: the same
//! fit as [`crate::cox::coxph`] when the rows are spread over parts
//! (hospital nodes of a federation, partitions of a cluster) that never
//! send a row.
//!
//! # Protocol
//! The coordinator holds β; the parts hold rows. Every message from a part
//! is a set of sums that is merged by addition, in any order (the
//! update / merge / evaluate shape of a DataFusion accumulator):
//!
//! 1. **Centring, round 1** — [`ColumnMoments`]: rows, `Σw`, `Σw·x` per
//!    covariate, and whether each column holds only -1/0/1. The coordinator
//!    forms the weighted means ([`ColumnMoments::means`]).
//! 2. **Centring, round 2** — [`ColumnSpread`]: `Σw·|x − mean|` per
//!    covariate; with round 1 this gives `coxph`'s scaling
//!    ([`Standardisation::new`]). The parts then work with
//!    `x̃ = (x − mean)·scale`.
//! 3. **One round per Newton step** — for the coordinator's β (in the
//!    `x̃` coordinates) each part sends a [`CoxPartial`]: per cell keyed by
//!    (stratum, time), over the rows with that time `Σr`, `Σr·x̃`,
//!    `Σr·x̃x̃ᵀ` (`r = w·e^{β·x̃}`), and over its event rows the count, `Σw`,
//!    `Σw·η`, `Σw·x̃` and, for Efron, `Σr`, `Σr·x̃`, `Σr·x̃x̃ᵀ` again
//!    (`cells` has the exact layout); plus its row count and largest `η`.
//!    For transport, [`CoxPartial::to_wire`] / [`CoxPartial::from_wire`]
//!    give and check plain numbers ([`CoxPartialWire`]).
//!    The coordinator merges them ([`CoxPartial::merge`]) and evaluates the
//!    log partial likelihood, score and information
//!    ([`CoxPartial::evaluate`]) by reverse cumulative sums per stratum,
//!    then takes R's Newton step. [`fit_partial`] runs the whole iteration
//!    (the same code as `coxph`'s: `cox::newton`) given a function that does
//!    one round.
//!
//! # Merge rule and summation
//! Cells with equal (stratum, time) add, other cells are kept (a sorted
//! merge; a stratum or a time present at one part only is fine); row
//! counts add and the largest `η` is a maximum. Every sum, within a part
//! and across parts, is a double-double (`dd`: TwoSum with
//! renormalisation), so cutting the data differently or merging in another
//! order changes the rounded sums by far less than 1e-12 relative; the
//! fits agree to 1e-12 (tests). Times must be equal across parts to be
//! tied: R's `timefix` (merging times within `sqrt(eps)`) needs all times
//! at once and is not applied here — round times to a common grid first.
//!
//! # What the coordinator learns
//! Per iteration and part: for every (stratum, time) at which the part has
//! a row, the number of events there and weighted sums of the covariates
//! and their products over the rows leaving the risk set then. With one
//! row at a time (common with continuous times) that row's `x̃`, `e^η` and
//! event status can be read off (`Σr·x̃ / Σr`): these partials are
//! *aggregates*, not a privacy protection. A federation that needs one
//! must coarsen times, require a minimum cell size, or add secure
//! aggregation over the parts' messages; that is outside this module.
//!
//! # What needs row-level data
//! Coefficients, model-based variance, standard errors, z, p, hazard ratios
//! with intervals, log-likelihoods, the LR, Wald and score tests,
//! iterations, the `NA` and infinite-coefficient warnings all come from the
//! partials. Not available: the robust (sandwich) variance and robust score
//! test, the concordance, residuals, linear predictors and `cox.zph` —
//! they need each row's place in the risk sets. [`fit_partial`] therefore
//! always reports the model-based variance (`robust: false`, also where
//! `coxph` would choose the robust one for non-integer weights) and refuses
//! `robust: Some(true)`.
//!
//! A later issue adds the robust variance with one more round after
//! convergence: the coordinator sends the final β and the per-time
//! risk-set means `S1/S0` and increments of the cumulative hazard
//! `D/S0` (Efron: per step), which are aggregates of all parts; each part
//! then computes its rows' score residuals
//! `w·(x̃ − S1/S0)·δ − Σ_t r·(x̃ − S1(t)/S0(t))·dΛ(t)` locally and sends
//! only their sums per cluster — or, when clusters are nested in parts,
//! the `p × p` cross-product `Σ_c L_c L_cᵀ`, additive like everything
//! here. The sandwich `V·(Σ L Lᵀ)·V` is then formed at the coordinator.
//!
//! # (start, stop] data
//! Rows enter the risk set after their start time, so each cell also
//! carries the sums of the rows whose *start* is the cell's time, which the
//! reverse cumulative sum subtracts; the iteration is then `agfit4`'s
//! ([`Intervals::StartStop`]). `coxph` leaves out rows that are at risk at
//! no event time of their stratum before centring; the parts cannot know
//! the other parts' event times, so here the centring is over all rows.
//! That moves the reported `means` but not the estimates (beyond
//! rounding: the tests hold them to 1e-9 of `coxph`).

#![allow(clippy::needless_range_loop)]

mod cells;
mod dd;
mod evaluate;
mod standardise;
mod wire;

use std::fmt;

pub use cells::CoxPartial;
pub use evaluate::PartialEvaluation;
pub use standardise::{ColumnMoments, ColumnSpread, Standardisation};
pub use wire::{ColumnMomentsWire, ColumnSpreadWire, CoxPartialWire};

use crate::cox::chol::SymMat;
use crate::cox::newton::{Control, Objective, iterate_counting, iterate_right};
use crate::cox::{
    ChisqTest, CoxData, CoxError, CoxFit, CoxOptions, back_transform, coefficient_table,
    infinite_warnings, singular_warnings, wald_warnings,
};

/// Why a partial-aggregate fit stopped.
#[derive(Debug, Clone, PartialEq)]
pub enum PartialCoxError<E> {
    /// The model cannot be fitted (the same errors as `coxph`: no events,
    /// no rows, bad options) or the sums do not fit together.
    Cox(CoxError),
    /// The function computing a round failed (a part did not answer).
    Round(E),
}

impl<E: fmt::Display> fmt::Display for PartialCoxError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PartialCoxError::Cox(e) => write!(f, "{e}"),
            PartialCoxError::Round(e) => write!(f, "a round of partial sums failed: {e}"),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for PartialCoxError<E> {}

impl<E> From<CoxError> for PartialCoxError<E> {
    fn from(e: CoxError) -> Self {
        PartialCoxError::Cox(e)
    }
}

/// Rows and covariates of a part's data, checked as `coxph` checks them
/// except that a part may have no events (or no rows).
pub(crate) fn part_dims(data: &CoxData<'_>) -> Result<(usize, usize), CoxError> {
    crate::cox::check_data(data, true)
}

/// The form of the survival data, which fixes the cells' layout and the
/// Newton rules (`coxfit6` or `agfit4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intervals {
    /// Follow-up times from 0 (right-censored).
    RightCensored,
    /// (start, stop] counting-process rows.
    StartStop,
}

/// The Newton objective over rounds of partial sums.
struct Rounds<'a, F> {
    compute: F,
    opts: &'a CoxOptions,
    counting: bool,
    p: usize,
    last: Option<(u64, u64, f64)>,
    eval: PartialEvaluation,
}

impl<E, F> Objective for Rounds<'_, F>
where
    F: FnMut(&[f64]) -> Result<CoxPartial, E>,
{
    type Error = PartialCoxError<E>;

    fn p(&self) -> usize {
        self.p
    }

    fn eval(&mut self, beta: &[f64]) -> Result<(), Self::Error> {
        let part = (self.compute)(beta).map_err(PartialCoxError::Round)?;
        if part.p() != self.p || part.ties() != self.opts.ties || part.counting() != self.counting {
            return Err(CoxError::BadOption(format!(
                "a round returned sums for {} covariates ({:?} ties, start times: {}); \
                 the model has {} ({:?}, {})",
                part.p(),
                part.ties(),
                part.counting(),
                self.p,
                self.opts.ties,
                self.counting
            ))
            .into());
        }
        if part.rows() == 0 {
            return Err(CoxError::Empty.into());
        }
        if part.events() == 0 {
            return Err(CoxError::NoEvents.into());
        }
        // Every round sums the same rows; a change means a part answered
        // twice or not at all.
        if let Some((rows, events, _)) = self.last
            && (rows, events) != (part.rows(), part.events())
        {
            return Err(CoxError::BadOption(format!(
                "a round summed {} rows and {} events, the first one {rows} and {events}",
                part.rows(),
                part.events()
            ))
            .into());
        }
        self.last = Some((part.rows(), part.events(), part.eta_max));
        self.eval = part.evaluate();
        Ok(())
    }

    fn loglik(&self) -> f64 {
        self.eval.loglik
    }

    fn u(&self) -> &[f64] {
        &self.eval.score
    }

    fn imat(&self) -> &[f64] {
        &self.eval.information
    }
}

/// Fits a Cox model from rounds of partial sums, as `coxph` would on the
/// pooled rows.
///
/// `std` comes from the two centring rounds ([`Standardisation::new`]);
/// `compute(β)` does one round: it asks every part for
/// [`CoxPartial::from_rows`] at `β` (standardised coordinates, with `std`
/// and `opts.ties`; with start times exactly when `intervals` is
/// [`Intervals::StartStop`]) and returns their merge. It is called once per Newton
/// iteration (plus once at β = 0 and, when the iterations run out, once
/// more at the last good β).
///
/// The result is a [`CoxFit`] without the row-level parts (module notes):
/// `concordance: None`, empty `linear_predictors`, `robust: false`,
/// `var == naive_var`, `robust_score_test: None`.
pub fn fit_partial<E, F>(
    names: &[String],
    std: &Standardisation,
    intervals: Intervals,
    opts: &CoxOptions,
    compute: F,
) -> Result<CoxFit, PartialCoxError<E>>
where
    F: FnMut(&[f64]) -> Result<CoxPartial, E>,
{
    let p = names.len();
    if p == 0 {
        return Err(CoxError::NoCovariates.into());
    }
    if std.p() != p {
        return Err(CoxError::LengthMismatch(format!(
            "{} centring values for {p} covariates",
            std.p()
        ))
        .into());
    }
    if std.scale.iter().chain(&std.mean).any(|v| !v.is_finite()) {
        return Err(CoxError::BadOption("centring values must be finite".into()).into());
    }
    let positive = |v: f64| v > 0.0 && v.is_finite();
    if !positive(opts.eps) || !positive(opts.toler_chol) || !positive(opts.toler_inf) {
        return Err(CoxError::BadOption("eps, toler_chol and toler_inf must be > 0".into()).into());
    }
    if !(opts.conf_level > 0.0 && opts.conf_level < 1.0) {
        return Err(CoxError::BadOption(format!(
            "confidence level {} is not between 0 and 1",
            opts.conf_level
        ))
        .into());
    }
    if opts.robust == Some(true) {
        return Err(CoxError::BadOption(
            "the robust variance needs row-level data; partial sums give the model-based one"
                .into(),
        )
        .into());
    }
    let counting = intervals == Intervals::StartStop;
    let mut rounds = Rounds {
        compute,
        opts,
        counting,
        p,
        last: None,
        eval: PartialEvaluation {
            loglik: 0.0,
            score: vec![0.0; p],
            information: vec![0.0; p * (p + 1) / 2],
        },
    };
    let ctl = Control {
        eps: opts.eps,
        toler_chol: opts.toler_chol,
        iter_max: opts.iter_max,
    };
    let nr = if counting {
        iterate_counting(&mut rounds, ctl)?
    } else {
        iterate_right(&mut rounds, ctl)?
    };
    let (rows, events, eta_max) = rounds.last.unwrap_or((0, 0, f64::NEG_INFINITY));

    let (beta, u, naive, singular) = back_transform(&nr, &std.scale);
    let mut warnings = singular_warnings(&singular, names);
    if opts.iter_max > 1 {
        infinite_warnings(
            &nr,
            &beta,
            &u,
            &naive,
            eta_max,
            names,
            counting,
            opts,
            &mut warnings,
        );
    }
    let var: SymMat = naive.clone();
    let (coefficients, wald, df) =
        coefficient_table(&beta, &naive, &var, &singular, false, names, opts);
    warnings.extend(wald_warnings(&var, &singular, names, opts.toler_chol));
    let lr = 2.0 * (nr.loglik - nr.loglik0);
    Ok(CoxFit {
        n: usize::try_from(rows).unwrap_or(usize::MAX),
        events: usize::try_from(events).unwrap_or(usize::MAX),
        coefficients,
        var: var.v,
        naive_var: naive.v,
        robust: false,
        loglik_null: nr.loglik0,
        loglik: nr.loglik,
        lr_test: ChisqTest::new(lr, df),
        wald_test: ChisqTest::new(wald, df),
        score_test: ChisqTest::new(nr.score_test, df),
        robust_score_test: None,
        concordance: None,
        iterations: nr.iter,
        converged: nr.converged,
        warnings,
        means: std.mean.clone(),
        linear_predictors: Vec::new(),
        ties: opts.ties,
        conf_level: opts.conf_level,
    })
}

/// Runs every round in-process over parts held in memory (cluster
/// partitions, tests): the two centring rounds, then [`fit_partial`],
/// merging the parts' sums in the order given. Each part is checked as
/// [`CoxPartial::from_rows`] checks it.
pub fn fit_parts(
    parts: &[CoxData<'_>],
    names: &[String],
    opts: &CoxOptions,
) -> Result<CoxFit, CoxError> {
    let Some((first, rest)) = parts.split_first() else {
        return Err(CoxError::Empty);
    };
    let intervals = if first.start.is_some() {
        Intervals::StartStop
    } else {
        Intervals::RightCensored
    };
    if rest
        .iter()
        .any(|d| d.start.is_some() != first.start.is_some())
    {
        return Err(CoxError::BadOption(
            "either every part or no part must give start times".into(),
        ));
    }
    let mut moments = ColumnMoments::from_rows(first)?;
    for part in rest {
        moments.merge(&ColumnMoments::from_rows(part)?)?;
    }
    let means = moments.means();
    let mut spread = ColumnSpread::from_rows(first, &means)?;
    for part in rest {
        spread.merge(&ColumnSpread::from_rows(part, &means)?)?;
    }
    let std = Standardisation::new(&moments, &spread);
    let round = |beta: &[f64]| -> Result<CoxPartial, CoxError> {
        let mut merged = CoxPartial::from_rows(first, &std, beta, opts.ties)?;
        for part in rest {
            merged.merge(&CoxPartial::from_rows(part, &std, beta, opts.ties)?)?;
        }
        Ok(merged)
    };
    fit_partial(names, &std, intervals, opts, round).map_err(|e| match e {
        PartialCoxError::Cox(e) | PartialCoxError::Round(e) => e,
    })
}
