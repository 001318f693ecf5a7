//! Synthetic metastatic-NET registries calibrated to a published cohort.
#![deny(missing_docs)]

pub mod bundle;
pub mod calibration;
pub mod cohort;
pub mod dist;
pub mod model;
pub mod records;
pub mod regimens;
pub mod skeleton;

pub use bundle::{SimConfig, SimError, Summary, generate, write_bundle};
pub use calibration::Calibration;
pub use cohort::{CohortGrade, CohortSite, SurvivalGroup};
pub use model::{Assumptions, Model};
