//! The log-rank family across groups: the k-group test with log-rank,
//! Gehan–Breslow, Tarone–Ware or Fleming–Harrington weights, optionally
//! stratified, the test for trend across ordered groups, and every pair of
//! groups with adjusted p-values — what `netra logrank` prints, for a CSV
//! or a registry cohort alike.
//!
//! The k-group test is evaluated from the additive partial aggregates
//! (`netra_stats::partial::SurvivalCounts` with strata), as the survival
//! summary's test is; it matches R's `survdiff(Surv(time, event) ~ group +
//! strata(s), rho = …)`. Pairwise tests re-run the two-group test on each
//! pair's rows (`survdiff` on the subset; for Fleming–Harrington the pair's
//! own Kaplan–Meier), which no merged table of counts gives, so they use
//! the row kernel (`netra_stats::logrank::LogrankData::pairwise`), and
//! p-values are adjusted as `p.adjust`.

pub use netra_stats::logrank::MAX_GROUPS;
use netra_stats::logrank::{LogrankData, Weights};
use netra_stats::multiple::Adjust;
use netra_stats::partial::{Rows, SurvivalCounts};
use serde::{Deserialize, Serialize};

use super::SurvivalData;
use crate::AnalysisError;

/// Right-censored data by group, with optional strata and trend scores.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CompareData {
    /// Times, events, 0-based group codes and group labels (no case
    /// weights: the tests count rows).
    pub survival: SurvivalData,
    /// 0-based stratum code per row (R's `strata()`), if stratified.
    pub strata: Option<Vec<u32>>,
    /// Number of strata (1 without strata).
    pub n_strata: usize,
    /// Numeric value of each group, when every label is a number: the
    /// trend scores (stage 1–4, ECOG 0–3); otherwise scores are 1..k.
    pub values: Option<Vec<f64>>,
}

/// What to test (defaults: the unstratified log-rank test alone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogrankRequest {
    /// `logrank`, `gehan-breslow`, `tarone-ware` or `fleming-harrington`.
    pub weighting: String,
    /// Fleming–Harrington rho (weight S(t-)^rho (1 - S(t-))^gamma).
    pub rho: f64,
    /// Fleming–Harrington gamma.
    pub gamma: f64,
    /// Also test for trend across the ordered groups (1 df).
    pub trend: bool,
    /// Also compare every pair, adjusting p-values by this `p.adjust`
    /// method (`holm`, `bonferroni`, `hochberg`, `BH`, `BY`).
    pub pairwise: Option<String>,
}

impl Default for LogrankRequest {
    fn default() -> Self {
        LogrankRequest {
            weighting: "logrank".into(),
            rho: 0.0,
            gamma: 0.0,
            trend: false,
            pairwise: None,
        }
    }
}

impl LogrankRequest {
    /// The kernel weights this request names.
    fn weights(&self) -> Result<Weights, AnalysisError> {
        let fh = self.rho != 0.0 || self.gamma != 0.0;
        let w = match self.weighting.as_str() {
            "fleming-harrington" => {
                return Ok(Weights::FlemingHarrington {
                    rho: self.rho,
                    gamma: self.gamma,
                });
            }
            "logrank" => Weights::LogRank,
            "gehan-breslow" => Weights::GehanBreslow,
            "tarone-ware" => Weights::TaroneWare,
            other => {
                return Err(AnalysisError::invalid(
                    "weighting",
                    format!(
                        "'{other}' is not one of logrank, gehan-breslow, tarone-ware, \
                         fleming-harrington"
                    ),
                ));
            }
        };
        if fh {
            return Err(AnalysisError::invalid(
                "weighting",
                format!(
                    "rho/gamma set the Fleming-Harrington weights; they cannot be combined with \
                     {}",
                    self.weighting
                ),
            ));
        }
        Ok(w)
    }

    /// The `p.adjust` method of the pairwise comparisons, if asked for.
    fn adjust(&self) -> Result<Option<Adjust>, AnalysisError> {
        self.pairwise
            .as_deref()
            .map(|name| {
                Adjust::from_r_name(name).ok_or_else(|| {
                    AnalysisError::invalid(
                        "pairwise",
                        format!("'{name}' is not one of holm, bonferroni, hochberg, BH, BY"),
                    )
                })
            })
            .transpose()
    }
}

/// One group of the k-group test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogrankGroup {
    /// Group label.
    pub group: String,
    /// Subjects.
    pub n: usize,
    /// Events (unweighted).
    pub events: usize,
    /// Weighted observed events, summed over strata.
    pub observed: f64,
    /// Weighted expected events, summed over strata.
    pub expected: f64,
}

/// The test for trend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrendOut {
    /// The score of each group.
    pub scores: Vec<f64>,
    /// Chi-square.
    pub chisq: f64,
    /// Always 1.
    pub df: usize,
    /// p-value.
    pub p: f64,
}

/// One pair of groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PairOut {
    /// First group's label.
    pub group1: String,
    /// Second group's label.
    pub group2: String,
    /// The pair's chi-square.
    pub chisq: f64,
    /// Its degrees of freedom (0 when the pair has no information).
    pub df: usize,
    /// Unadjusted p-value (`null` when the pair has no events).
    pub p: Option<f64>,
    /// Adjusted p-value.
    pub p_adjusted: Option<f64>,
}

/// The answer to a [`LogrankRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogrankOutput {
    /// The test's name ("Log-rank", "Fleming-Harrington G(1, 0)", …).
    pub test: String,
    /// Fleming–Harrington rho (`null` for other weights).
    pub rho: Option<f64>,
    /// Fleming–Harrington gamma.
    pub gamma: Option<f64>,
    /// True for weights other than the log-rank's (observed and expected
    /// are then weighted sums).
    pub weighted: bool,
    /// Chi-square.
    pub chisq: f64,
    /// Degrees of freedom.
    pub df: usize,
    /// p-value.
    pub p: f64,
    /// Per group, in level order.
    pub groups: Vec<LogrankGroup>,
    /// Variance matrix of O − E.
    pub variance: Vec<Vec<f64>>,
    /// Strata (1 without).
    pub n_strata: usize,
    /// The test for trend, when asked for.
    pub trend: Option<TrendOut>,
    /// The `p.adjust` name of the pairwise adjustment, when asked for.
    pub adjust: Option<String>,
    /// Every pair, when asked for.
    pub pairwise: Option<Vec<PairOut>>,
}

/// Runs a [`LogrankRequest`] on `data`. Errors name the part that failed
/// (`what`: "log-rank", "test for trend", "pairwise") and carry the
/// kernel's reason.
pub fn compare(data: &CompareData, req: &LogrankRequest) -> Result<LogrankOutput, AnalysisError> {
    let weights = req.weights()?;
    let adjust = req.adjust()?;
    let s = &data.survival;
    fn fail(what: &'static str) -> impl Fn(netra_stats::logrank::LogrankError) -> AnalysisError {
        move |e| AnalysisError::stats(what, e)
    }
    let cause: Vec<u32> = s.event.iter().map(|&e| u32::from(e)).collect();
    let rows = Rows {
        time: &s.time,
        cause: &cause,
        weights: None,
        group: Some(&s.group),
        stratum: data.strata.as_deref(),
    };
    let n_groups = u32::try_from(s.labels.len().max(1)).unwrap_or(u32::MAX);
    let n_strata = u32::try_from(data.n_strata.max(1)).unwrap_or(u32::MAX);
    let counts = SurvivalCounts::from_rows(&rows, n_groups, n_strata)
        .map_err(|e| AnalysisError::stats("log-rank", e))?;
    let test = counts.logrank(weights).map_err(fail("log-rank"))?;
    let trend = if req.trend {
        let scores = data
            .values
            .clone()
            .unwrap_or_else(|| (1..=s.labels.len()).map(|i| i as f64).collect());
        let t = test.trend(&scores).map_err(fail("test for trend"))?;
        Some(TrendOut {
            scores: t.scores,
            chisq: t.chisq,
            df: t.df,
            p: t.p,
        })
    } else {
        None
    };
    let pairwise = match adjust {
        Some(adjust) => {
            let group: Vec<usize> = s.group.iter().map(|&g| g as usize).collect();
            let strata: Option<Vec<usize>> = data
                .strata
                .as_ref()
                .map(|v| v.iter().map(|&c| c as usize).collect());
            let rows = LogrankData::new(&s.time, &s.event, &group, strata.as_deref())
                .map_err(fail("pairwise"))?;
            let label = |g: usize| s.labels.get(g).cloned().unwrap_or_default();
            Some(
                rows.pairwise(weights, adjust)
                    .map_err(fail("pairwise"))?
                    .into_iter()
                    .map(|p| PairOut {
                        group1: label(p.group1),
                        group2: label(p.group2),
                        chisq: p.chisq,
                        df: p.df,
                        p: p.p,
                        p_adjusted: p.p_adjusted,
                    })
                    .collect(),
            )
        }
        None => None,
    };
    let (rho, gamma) = weights
        .rho_gamma()
        .map_or((None, None), |(a, b)| (Some(a), Some(b)));
    Ok(LogrankOutput {
        test: weights.name(),
        rho,
        gamma,
        weighted: weights != Weights::LogRank,
        chisq: test.chisq,
        df: test.df,
        p: test.p,
        groups: (0..test.n.len())
            .map(|g| LogrankGroup {
                group: s.labels.get(g).cloned().unwrap_or_default(),
                n: test.n[g],
                events: test.events[g],
                observed: test.observed[g],
                expected: test.expected[g],
            })
            .collect(),
        variance: test.variance,
        n_strata: data.n_strata.max(1),
        trend,
        adjust: adjust.map(|a| a.r_name().to_string()),
        pairwise,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(strata: bool) -> CompareData {
        let time = [1.0, 2.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0];
        let event = [
            true, true, false, true, false, true, true, false, true, true, false, true,
        ];
        let group = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];
        let stratum = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
        CompareData {
            survival: SurvivalData {
                time: time.to_vec(),
                event: event.to_vec(),
                group: group.to_vec(),
                labels: vec!["a".into(), "b".into(), "c".into()],
                weights: None,
            },
            strata: strata.then(|| stratum.to_vec()),
            n_strata: if strata { 2 } else { 1 },
            values: None,
        }
    }

    #[test]
    fn partial_test_is_the_row_kernels_with_strata() {
        let d = data(true);
        let req = LogrankRequest {
            weighting: "fleming-harrington".into(),
            rho: 1.0,
            ..LogrankRequest::default()
        };
        let out = compare(&d, &req).unwrap();
        let s = &d.survival;
        let group: Vec<usize> = s.group.iter().map(|&g| g as usize).collect();
        let strata: Vec<usize> = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1].to_vec();
        let rows = LogrankData::new(&s.time, &s.event, &group, Some(&strata))
            .unwrap()
            .test(Weights::FlemingHarrington {
                rho: 1.0,
                gamma: 0.0,
            })
            .unwrap();
        assert!((out.chisq - rows.chisq).abs() <= 1e-12 * rows.chisq.abs());
        assert_eq!(out.test, "Fleming-Harrington G(1, 0)");
        assert_eq!(out.n_strata, 2);
        // Unstratified, the statistic differs: the strata reached the kernel.
        let plain = compare(&data(false), &req).unwrap();
        assert!((plain.chisq - out.chisq).abs() > 1e-9);
    }

    #[test]
    fn trend_scores_and_pairs_are_labelled() {
        let req: LogrankRequest =
            serde_json::from_str(r#"{"trend": true, "pairwise": "holm"}"#).unwrap();
        let out = compare(&data(false), &req).unwrap();
        assert_eq!(out.trend.as_ref().unwrap().scores, vec![1.0, 2.0, 3.0]);
        let pairs = out.pairwise.unwrap();
        let names: Vec<(&str, &str)> = pairs
            .iter()
            .map(|p| (p.group1.as_str(), p.group2.as_str()))
            .collect();
        assert_eq!(names, vec![("a", "b"), ("a", "c"), ("b", "c")]);
        assert_eq!(out.adjust.as_deref(), Some("holm"));
        assert!(pairs.iter().all(|p| p.p_adjusted >= p.p));
    }

    #[test]
    fn invalid_requests_are_refused() {
        assert!(serde_json::from_str::<LogrankRequest>(r#"{"weights": "logrank"}"#).is_err());
        let rho_with_wilcoxon = LogrankRequest {
            weighting: "gehan-breslow".into(),
            rho: 1.0,
            ..LogrankRequest::default()
        };
        let err = compare(&data(false), &rho_with_wilcoxon).unwrap_err();
        assert_eq!(err.what(), "weighting");
        let bad_adjust = LogrankRequest {
            pairwise: Some("tukey".into()),
            ..LogrankRequest::default()
        };
        assert_eq!(
            compare(&data(false), &bad_adjust).unwrap_err().what(),
            "pairwise"
        );
    }
}
