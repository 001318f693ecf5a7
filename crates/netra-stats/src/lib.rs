//! Survival and classical statistics for netra, computed as R computes them.
//!
//! # Brief overview
//!
//! Numbers in, numbers out: this crate reads no files and prints nothing, so
//! every function can be checked against R on committed fixtures
//! (`validation/`) and reused by the CLI, the report and the web application.
//!
//! * [`describe`] — mean, SD, median and quartiles of a sample (R's `mean`,
//!   `sd`, `quantile` type 7).
//! * [`distributions`] — the normal and chi-square tails every test needs.
//! * [`km`] — Kaplan–Meier curves, quantiles, landmark rates and RMST (R's
//!   `survfit`, `quantile.survfit`, `summary.survfit`, `survmean`).
//! * [`logrank`] — comparing survival curves as R's `survdiff`: log-rank,
//!   Fleming–Harrington, Gehan–Breslow and Tarone–Ware weights, strata, the
//!   test for trend and pairwise comparisons.
//! * [`multiple`] — p-value adjustment for multiple comparisons (`p.adjust`).
//! * [`cuminc`] — competing risks: cumulative incidence with Gray's variance
//!   and Gray's test, as `cmprsk::cuminc`.
//! * [`classical`] — binomial CIs and tests, chi-square, Fisher's exact, t and
//!   Wilcoxon rank-sum tests, as R's `stats` package computes them.
//! * [`model`] — R-style model formulas and design matrices (factors,
//!   interactions, strata) from in-memory columns.
//! * [`partial`] — additive partial aggregates (per time, stratum and
//!   group) that merge across sites or partitions into the pooled
//!   Kaplan–Meier curves and log-rank tests.
//! * [`cox`] — Cox regression as `coxph` (Efron/Breslow, strata, weights,
//!   (start, stop] data, robust variance, concordance), `cox.zph` and
//!   Fine–Gray.
//! * [`glm`] — logistic regression with prior weights, as R's
//!   `glm(family = binomial)`.
//! * [`partial_cox`] — the same Cox fit from additive per-(stratum, time)
//!   sums sent by parts of the data (federated sites, partitions) each
//!   Newton iteration.
//! * [`emulate`] — clone–censor–weight emulation of a target trial of
//!   treatment strategies: person-interval rows, inverse-probability-of-
//!   censoring weights, weighted KM and Cox clustered by patient, bootstrap.
//! * [`weighting`] — propensity-score weights (IPTW for the ATE and ATT,
//!   stabilised, truncated; overlap weights), their effective sample size,
//!   standardised mean differences before/after weighting and E-values.
//!
//! Each module documents the formula, the R function it matches and the
//! choices that make the numbers agree; `docs/algorithms/` has the longer
//! notes.
#![deny(missing_docs)]

pub mod classical;
pub mod cox;
pub mod cuminc;
pub mod describe;
pub mod distributions;
pub mod emulate;
pub mod glm;
pub mod km;
pub mod logrank;
pub mod model;
pub mod multiple;
pub mod partial;
pub mod partial_cox;
#[cfg(test)]
mod test_rng;
pub mod weighting;
