//! Additive partial aggregates: the state an analysis accumulates from
//! rows (`update`), combines across parts (`merge`, order-independent) and
//! turns into its output (`evaluate`), as DataFusion's accumulators do. The
//! same partials are what federated nodes and cluster partitions compute.
//!
//! [`SurvivalPartial`] holds right-censored data by group. Interim state:
//! until the per-distinct-time count tables of `netra_stats::partial` are
//! merged, it keeps the rows and evaluates with the row kernels
//! (`km_by_group`, `logrank`); its interface is the one the count tables
//! will implement.

use netra_stats::km::{KmCurve, KmError, KmOptions, km_by_group};
use netra_stats::logrank::{LogrankError, LogrankTest, Weights, logrank};

use crate::analyses::survival::SurvivalData;

/// Right-censored data by group, mergeable.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SurvivalPartial {
    time: Vec<f64>,
    event: Vec<bool>,
    group: Vec<u32>,
    weights: Option<Vec<f64>>,
    n_groups: usize,
}

impl SurvivalPartial {
    /// The partial of `data`.
    pub fn from_data(data: &SurvivalData) -> Result<SurvivalPartial, KmError> {
        if data.labels.is_empty() {
            return Err(KmError::InvalidGroupCount(0));
        }
        Ok(SurvivalPartial {
            time: data.time.clone(),
            event: data.event.clone(),
            group: data.group.clone(),
            weights: data.weights.clone(),
            n_groups: data.labels.len(),
        })
    }

    /// Kaplan–Meier curves, one per group.
    pub fn km_curves(&self, options: &KmOptions) -> Result<Vec<KmCurve>, KmError> {
        km_by_group(
            &self.time,
            &self.event,
            self.weights.as_deref(),
            &self.group,
            self.n_groups,
            options,
        )
    }

    /// The k-group test.
    pub fn logrank(&self, weights: Weights) -> Result<LogrankTest, LogrankError> {
        let g: Vec<usize> = self.group.iter().map(|&g| g as usize).collect();
        logrank(&self.time, &self.event, &g, None, weights)
    }
}
