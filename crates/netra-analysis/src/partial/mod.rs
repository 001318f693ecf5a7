//! Additive partial aggregates: the state an analysis accumulates from
//! rows (`update`), combines across parts (`merge`, order-independent) and
//! turns into its output (`evaluate`), as DataFusion's accumulators do. The
//! same partials are what federated nodes and cluster partitions compute.
//!
//! [`SurvivalPartial`] is `netra_stats::partial::SurvivalCounts`: per
//! (distinct time, stratum, group) cells of row counts and weighted event
//! and censoring sums (double-double `Sum2`, so any merge order rounds to
//! the same result; integer weights are exact). Kaplan–Meier curves, the
//! log-rank family and cumulative incidence are evaluated from the merged
//! cells alone; R's `timefix` is applied at evaluation, on the union of
//! times. Cox regression has its per-Newton-iteration partial in
//! `netra_stats::partial_cox`. `docs/algorithms/partials.md` has the
//! details and what a part reveals. [`wire`] is the message form in which
//! partials travel between machines.

use netra_stats::km::{KmCurve, KmOptions};
use netra_stats::logrank::{LogrankError, LogrankTest, Weights};
use netra_stats::partial::{PartialError, Rows, SurvivalCounts};

use crate::AnalysisError;
use crate::analyses::survival::SurvivalData;

pub mod wire;

/// Right-censored data by group as mergeable per-time counts.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalPartial {
    counts: SurvivalCounts,
}

impl SurvivalPartial {
    /// The partial of `data` (one part).
    pub fn from_data(data: &SurvivalData) -> Result<SurvivalPartial, PartialError> {
        let cause: Vec<u32> = data.event.iter().map(|&e| u32::from(e)).collect();
        let rows = Rows {
            time: &data.time,
            cause: &cause,
            weights: data.weights.as_deref(),
            group: Some(&data.group),
            stratum: None,
        };
        let n_groups = u32::try_from(data.labels.len().max(1)).unwrap_or(u32::MAX);
        Ok(SurvivalPartial {
            counts: SurvivalCounts::from_rows(&rows, n_groups, 1)?,
        })
    }

    /// The partial holding `counts` (built elsewhere: by a query engine's
    /// aggregation, or rebuilt from parts with `SurvivalCounts::from_parts`,
    /// which checks them).
    pub fn from_counts(counts: SurvivalCounts) -> SurvivalPartial {
        SurvivalPartial { counts }
    }

    /// Adds another part's counts (commutative and associative).
    pub fn merge(&mut self, other: &SurvivalPartial) {
        self.counts.merge(&other.counts);
    }

    /// The counts (for transport).
    pub fn counts(&self) -> &SurvivalCounts {
        &self.counts
    }

    /// The partial as a message for another machine.
    pub fn to_message(&self) -> Result<wire::Message, AnalysisError> {
        let w = wire::SurvivalWire::from_counts(&self.counts)?;
        Ok(wire::Message::new(wire::Partial::Survival(w)))
    }

    /// A partial received as a message, checked.
    pub fn from_message(message: &wire::Message) -> Result<SurvivalPartial, AnalysisError> {
        match &message.partial {
            wire::Partial::Survival(w) => Ok(SurvivalPartial {
                counts: w.to_counts()?,
            }),
            _ => Err(AnalysisError::invalid(
                "partial aggregate message",
                "expected survival counts",
            )),
        }
    }

    /// Kaplan–Meier curves, one per group (empty groups give empty curves).
    pub fn km_curves(&self, options: &KmOptions) -> Result<Vec<KmCurve>, netra_stats::km::KmError> {
        self.counts.km_curves(options)
    }

    /// The reverse Kaplan–Meier curve of all rows together (censorings
    /// counted as events and events as censorings: R's `survfit(Surv(time,
    /// 1 - status) ~ 1)`), for the median follow-up; `None` without rows.
    /// Equals `netra_stats::km::follow_up` on the pooled rows: the same
    /// curve is built from the same per-time sums.
    pub fn reverse_curve(&self, options: &KmOptions) -> Result<Option<KmCurve>, AnalysisError> {
        let mut cells: Vec<netra_stats::partial::Cell> = Vec::new();
        for c in self.counts.cells() {
            if cells.last().is_none_or(|l| l.time_bits != c.time_bits) {
                cells.push(netra_stats::partial::Cell::new(c.time_bits, 0, 0));
            }
            let r = cells.last_mut().expect("a cell was pushed");
            r.rows += c.rows;
            r.event_rows += c.rows - c.event_rows;
            r.w_event.merge(&c.w_censor);
            r.w_censor.merge(&c.w_event);
            r.w2_event.merge(&c.w2_censor);
            r.w2_censor.merge(&c.w2_event);
        }
        if cells.is_empty() {
            return Ok(None);
        }
        let what = "median follow-up";
        let reverse = SurvivalCounts::from_parts(cells, 1, 1, self.counts.fractional_weights())
            .map_err(|e| AnalysisError::stats(what, e))?;
        let mut curves = reverse
            .km_curves(options)
            .map_err(|e| AnalysisError::stats(what, e))?;
        Ok(curves.pop())
    }

    /// The k-group test over the groups present.
    pub fn logrank(&self, weights: Weights) -> Result<LogrankTest, LogrankError> {
        self.counts.logrank(weights)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(time: &[f64], event: &[bool], group: &[u32]) -> SurvivalData {
        SurvivalData {
            time: time.to_vec(),
            event: event.to_vec(),
            group: group.to_vec(),
            labels: vec!["a".into(), "b".into()],
            weights: None,
        }
    }

    #[test]
    fn parts_merged_in_any_order_give_the_pooled_curves() {
        let t = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0, 9.0];
        let e = [
            true, false, true, true, false, true, false, true, true, false,
        ];
        let g = [0, 1, 0, 1, 0, 1, 0, 1, 0, 1];
        let pooled = SurvivalPartial::from_data(&data(&t, &e, &g)).unwrap();
        let part = |r: std::ops::Range<usize>| {
            SurvivalPartial::from_data(&data(&t[r.clone()], &e[r.clone()], &g[r])).unwrap()
        };
        let (a, b, c) = (part(0..3), part(3..7), part(7..10));
        let mut abc = a.clone();
        abc.merge(&b);
        abc.merge(&c);
        let mut cba = c.clone();
        cba.merge(&b);
        cba.merge(&a);
        let o = KmOptions::default();
        // Debug text compares NaN (R's NA standard errors) as equal.
        let curves = |p: &SurvivalPartial| format!("{:?}", p.km_curves(&o).unwrap());
        assert_eq!(curves(&abc), curves(&pooled));
        assert_eq!(curves(&cba), curves(&pooled));
        let (x, y) = (
            abc.logrank(Weights::LogRank).unwrap(),
            pooled.logrank(Weights::LogRank).unwrap(),
        );
        assert!((x.chisq - y.chisq).abs() <= 1e-12 * y.chisq.abs());
    }
}
