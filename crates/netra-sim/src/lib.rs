//! Synthetic metastatic-NET registries calibrated to a published cohort.
//!
//! `netra simulate` writes a registry bundle (`docs/bundle-format.md`) of any
//! size whose marginals reproduce the 103-patient retrospective cohort of
//! metastatic or recurrent NETs summarised in the published-studies README:
//! site and grade mix, overall survival by grade, treatments, lines of
//! systemic therapy with the share reaching each next line, per-line time to
//! progression and RECIST response realised through lesion measurements,
//! markers, adverse events, deaths and censoring. Registry imports, lines of
//! therapy, endpoints and reports are tested on it.
//!
//! * [`calibration`] — every published target, citing its source line;
//! * [`model`] — assumptions, parameters solved in closed form, and the pilot
//!   that solves the few that depend on how death cuts courses short;
//! * [`skeleton`] — one patient's time course: every calibrated decision;
//! * [`records`] — the registry records that dress a skeleton;
//! * [`bundle`] — the writer (schema column order, natural-key order,
//!   chunked threads with output independent of the thread count);
//! * the paper's grade and site groups read back from records now live in
//!   `netra_clinical::groups` (re-exported here);
//! * [`regimens`] — agents, doses, schedules and adverse-event profiles;
//! * [`sequence_effect`] — a cohort where the order of two therapies has a
//!   known causal effect, with confounding by indication and immortal time;
//! * [`sequence_trial`], [`sequence_study`], [`sequence_registry`] — the
//!   same cohort with a grace period and deviations (clone–censor–weight),
//!   its simulation study, and its patients written as registry courses;
//! * [`dist`] — per-patient random streams and the distributions drawn from.
//!
//! A patient's records are a pure function of (seed, index): see
//! [`dist::patient_rng`]. The model, its targets, what comes back and the
//! known deviations are documented in `docs/simulator.md`.
#![deny(missing_docs)]

pub mod bundle;
pub mod calibration;
pub mod dist;
pub mod model;
pub mod records;
pub mod regimens;
pub mod sequence_effect;
pub mod sequence_registry;
pub mod sequence_study;
pub mod sequence_trial;
pub mod skeleton;

pub use bundle::{SimConfig, SimError, Summary, generate, write_bundle};
pub use calibration::Calibration;
pub use model::{Assumptions, Model};
pub use netra_clinical::groups::{CohortGrade, CohortSite, SurvivalGroup};
