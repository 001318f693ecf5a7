//! Synthetic metastatic-NET registries calibrated to a published cohort.
#![deny(missing_docs)]

pub mod calibration;
pub mod cohort;
pub mod dist;
pub mod model;
pub mod regimens;
pub mod skeleton;

pub use calibration::Calibration;
pub use cohort::{CohortGrade, CohortSite, SurvivalGroup};
pub use model::{Assumptions, Model};
