//! Target-trial emulation of treatment-sequence strategies by
//! clone–censor–weight ("everolimus, then chemotherapy at progression" vs
//! "chemotherapy, then everolimus" after somatostatin-analogue failure).
//!
//! The trial: time zero is progression on the first somatostatin-analogue
//! line (`ssa_progression`) or the start of line K (`line:K`); eligible are
//! the cohort's patients with a time zero, follow-up after it, no line of
//! any strategy's step before it, and every weight-model covariate. Each
//! strategy's adherence comes from the lines after time zero with grace
//! periods ([`derive`]); the outcome is death from time zero (OS), in
//! months. The numbers are `netra_stats::emulate` (clones, person-month
//! rows, pooled logistic deviation models, inverse-probability-of-censoring
//! weights, weighted KM and Cox clustered by patient, bootstrap), checked
//! against R on `validation/r/emulate.R`.
//!
//! Beside the emulated contrasts the output carries the naive comparison
//! (`hr_naive`: patients by the sequence they received, unweighted Cox
//! from time zero — immortal time and confounding included, as `netra
//! sequences --compare` compares), the clones without weights
//! (`hr_unweighted`: artificial censoring without its correction), the
//! balance of the weight model's covariates among the clones still
//! uncensored at the end of the grace period (before and after weighting:
//! the love plot), and the E-value of each weighted hazard ratio.
//!
//! An emulation that cannot be estimated (too few eligible patients, an
//! arm without clones, a model that does not fit) is an output with its
//! counts and a warning, not an error: the request was valid.

pub mod derive;
mod output;
mod report;
mod request;
mod trial;

use netra_stats::emulate::{BootstrapOptions, EmulateOptions, bootstrap, emulate};

pub use output::{
    ArmOut, BootInfo, BootOut, ContrastOut, DifferenceAt, EmulateOutput, ReasonCount, SurvivalAtOut,
};
pub use request::{EmulateRequest, StrategySpec};

use crate::AnalysisError;
use crate::cohort::Cohort;
use request::{Zero, validate, zero_of};

const DAYS_PER_MONTH: f64 = netra_clinical::endpoints::DAYS_PER_MONTH;

/// Runs an [`EmulateRequest`] (no progress report).
pub fn run(cohort: &Cohort, req: &EmulateRequest) -> Result<EmulateOutput, AnalysisError> {
    run_with_progress(cohort, req, &mut |_, _| {})
}

/// Runs an [`EmulateRequest`]; `progress(done, total)` after each
/// bootstrap replicate (the CLI draws a bar with it).
pub fn run_with_progress(
    cohort: &Cohort,
    req: &EmulateRequest,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<EmulateOutput, AnalysisError> {
    let time_terms = validate(req)?;
    let zero = zero_of(&req.time_zero)?;
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "emulate",
            "needs the patients' courses (lines of therapy); a cohort of patient facts has none",
        ));
    }
    let trial::Built {
        n_all,
        trial,
        ineligible,
        after,
        base: base_all,
        cand,
    } = trial::build(cohort, req, &zero)?;
    let mut out = EmulateOutput {
        title: format!(
            "Overall survival from {} (months)",
            match zero {
                Zero::SsaProgression => "progression on a somatostatin analogue".to_string(),
                Zero::Line(k) => format!("the start of line {k}"),
            }
        ),
        units: "months".into(),
        time_zero: req.time_zero.clone(),
        cohort: n_all,
        eligible: trial.len(),
        ineligible,
        grace_days: req.grace_days,
        switch_grace_days: req.switch_grace_days,
        interval_days: req.interval_days,
        covariates: req.covariates.clone(),
        time_varying: req.time_varying.clone(),
        arms: Vec::new(),
        contrasts: Vec::new(),
        balance: Vec::new(),
        max_abs_smd_after: None,
        tau: None,
        n_truncated: 0,
        stabilize: req.stabilize.clone(),
        bootstrap: None,
        conf_level: req.conf_level,
        warnings: Vec::new(),
    };
    let opts = EmulateOptions {
        interval: req.interval_days / DAYS_PER_MONTH,
        time_terms,
        by_window: req.deviation_model == "by_window",
        truncate: req.truncate.map(|[a, b]| (a, b)),
        tau: req.tau_months,
        times: req.times_months.clone(),
        conf_level: req.conf_level,
        variance: true,
        stabilize: request::stabilize_of(req),
    };
    let fit = match emulate(&trial, &opts) {
        Ok(f) => f,
        Err(e) => {
            out.warnings
                .push(format!("the trial could not be estimated: {e}"));
            return Ok(out);
        }
    };
    report::fill(&mut out, &trial, &fit, req, &after, &base_all, &cand);
    if req.bootstrap > 0 {
        let total = req.bootstrap;
        let b = bootstrap(
            &trial,
            &EmulateOptions {
                tau: fit.tau,
                ..opts.clone()
            },
            &BootstrapOptions {
                replicates: total,
                seed: req.seed,
                conf_level: req.conf_level,
            },
            &mut |done| progress(done, total),
        )
        .map_err(|e| AnalysisError::stats("bootstrap", e))?;
        let bo = |x: Option<netra_stats::emulate::BootInterval>| {
            x.map(|i| BootOut {
                lower: i.lower,
                upper: i.upper,
                n: i.n,
            })
        };
        for (k, c) in out.contrasts.iter_mut().enumerate() {
            c.hr_bootstrap = bo(b.hr[k]);
            c.rmst_bootstrap = bo(b.rmst_difference[k]);
            for (j, d) in c.survival_difference.iter_mut().enumerate() {
                d.bootstrap = bo(b.survival_difference[k][j]);
            }
        }
        out.bootstrap = Some(BootInfo {
            replicates: b.replicates,
            failed: b.failed,
            seed: b.seed,
        });
    }
    Ok(out)
}
