//! What the hub's grid plans (survival, cumulative incidence) share: the
//! run's groups, time bin and grid, agreed in two sums — `totals` (counts
//! and the range vector that fixes the grid's last point) and `grid` (the
//! per-group, per-point cells) — before the analysis evaluates the pooled
//! grid.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::protocol::{FederationError, NodeId};
use crate::ring::R256;
use crate::secure::Step;
use crate::survival::{agreed_groups, bin_days, coarsened_note, grid_step, pooled_totals};

/// A grid plan's state between its steps.
pub(crate) struct GridRun {
    /// The policy bound of the range vector (years).
    pub max_years: u32,
    /// The agreed group codes (`None`: one group of all patients).
    pub codes: Option<Vec<String>>,
    /// The groups' labels in the pooled order.
    pub labels: Vec<String>,
    /// The grouping variable's label.
    pub by_label: Option<String>,
    /// The time bin in days (the widest any node's policy asks for).
    pub bin: u32,
    /// The pooled totals (empty until the `totals` sum arrives).
    pub totals: Vec<u64>,
    /// The grid's last point.
    pub last: u32,
}

impl GridRun {
    /// A run before its first step: all patients in one group.
    pub fn new(max_years: u32) -> GridRun {
        GridRun {
            max_years,
            codes: None,
            labels: vec!["All patients".into()],
            by_label: None,
            bin: 1,
            totals: Vec::new(),
            last: 0,
        }
    }

    /// The parameters every step sends to the nodes.
    pub fn params(&self) -> Value {
        json!({"codes": self.codes, "bin": self.bin, "max_years": self.max_years, "last": self.last})
    }

    /// The first step: agrees the bin and the groups (by `by`, restricted
    /// and ordered by `levels`) from the nodes' first answers and asks for
    /// the `totals` sum.
    pub fn begin(
        &mut self,
        metas: &BTreeMap<NodeId, Value>,
        by: Option<&str>,
        levels: Option<&[String]>,
    ) -> Result<Step, FederationError> {
        self.totals.clear();
        self.bin = bin_days(metas);
        if let Some(by) = by {
            let g = agreed_groups(metas, by, levels)?;
            self.codes = Some(g.codes);
            self.labels = g.labels;
            self.by_label = g.by_label;
        }
        Ok(Step::Sum {
            step: "totals".into(),
            params: self.params(),
            len: 5 + self.max_years as usize + 1,
        })
    }

    /// After a sum: when it was the `totals` sum, keeps the totals and
    /// returns the `grid` step (`cells` values per group and point);
    /// `None` when the sum is the grid itself, to be evaluated.
    pub fn after_totals(
        &mut self,
        analysis: &str,
        pooled: &[R256],
        cells: usize,
    ) -> Result<Option<Step>, FederationError> {
        if !self.totals.is_empty() {
            return Ok(None);
        }
        (self.totals, self.last) = pooled_totals(analysis, pooled, self.bin)?;
        Ok(Some(grid_step(
            self.params(),
            self.labels.len(),
            self.last,
            cells,
        )))
    }

    /// What binning did to the result.
    pub fn notes(&self) -> Vec<String> {
        coarsened_note(self.bin)
    }
}
