//! Gray's (1988) K-sample test for cumulative incidence, as `cmprsk::cuminc`
//! reports it (its Fortran `crstm`/`crst`, Gray's own implementation).
//!
//! Within a stratum, at each distinct time with failures, for each group k
//! with n_k at risk, all-cause Kaplan–Meier S_k(t−) and incidence F_k(t−):
//!
//! ```text
//! h_k = n_k / S_k(t−)                  (Σ_k h_k = H)
//! R_k = n_k (1 − F_k(t−)) / S_k(t−)    (Σ_k R_k = R)
//! F̂(t) = F̂(t−) + d1 / H               (pooled incidence)
//! w(t) = (1 − F̂(t−))^rho
//! score_k += w · (d1_k − d1 · R_k / R)          for the first K − 1 groups
//! ```
//!
//! The variance of the score is Gray's estimate of the covariance of these
//! sums from the influence of each group's failures: with
//! `a_ij = w·h_i·(δ_ij − h_j/H)` and `c_ij = Σ_{s ≤ t} a_ij(s) · d1(s) / (H(s) (1 − F̂(s−)))`,
//! each failure of the cause in group k contributes terms in
//! `a_ik − t4·c_ik` with `t4 = 1 − (1 − F̂(t))/S_k(t)`, each failure of
//! another cause terms in `t4·c_ik` with `t4 = (1 − F̂(t))/S_k(t)`, weighted by
//! the group's share of the failures (with cmprsk's tie correction), and the
//! cross terms with the final `c` are added at the end of the stratum.
//! Scores and variances are summed over strata. The statistic is
//! `s′ V⁻¹ s` on K − 1 degrees of freedom when V has full rank by R's
//! `qr()` rule (tolerance 1e-7); cmprsk then reports `stat = -1` and
//! `pv = 1`, netra reports no statistic and no p-value.
//!
//! cmprsk computes the p-value as `1 - pchisq(stat, df)`; netra computes the
//! upper tail directly, which agrees with it to ~1e-16 absolute and keeps
//! significant digits for very small p-values.

use super::rank::Qr;
use super::tally::Tally;
use crate::distributions::chisq_upper;

/// Gray's test comparing the cumulative incidence of one cause across groups.
#[derive(Debug, Clone, PartialEq)]
pub struct GrayTest {
    /// The chi-square statistic `s′V⁻¹s`; `None` when V is singular
    /// (cmprsk reports -1) or not finite.
    pub statistic: Option<f64>,
    /// Degrees of freedom: groups − 1.
    pub df: usize,
    /// Upper-tail chi-square probability; `None` with the statistic.
    pub p: Option<f64>,
    /// Power of the weight (1 − F̂(t−))^rho.
    pub rho: f64,
    /// Scores of the first groups − 1 groups, summed over strata.
    pub score: Vec<f64>,
    /// Their variance matrix, row-major (groups − 1)².
    pub variance: Vec<f64>,
    /// Rank of `variance` by R's `qr()` rule.
    pub rank: usize,
}

/// The test over strata: each stratum's entries in time order, with dense
/// group codes `< n_groups`.
pub(super) fn gray_test<T: Tally>(strata: &[T], n_groups: usize, cause: u32, rho: f64) -> GrayTest {
    let k1 = n_groups - 1;
    let mut score = vec![0.0; k1];
    let mut variance = vec![0.0; k1 * k1];
    let mut work = Workspace::new(n_groups);
    for entries in strata {
        if entries.len() == 0 {
            continue;
        }
        work.stratum(entries, cause, rho);
        for i in 0..k1 {
            score[i] += work.score[i];
            for j in 0..=i {
                variance[i * k1 + j] += work.var[i * k1 + j];
            }
        }
    }
    // Fill the upper triangle from the lower one.
    for i in 0..k1 {
        for j in 0..i {
            variance[j * k1 + i] = variance[i * k1 + j];
        }
    }

    let qr = Qr::new(&variance, k1);
    let rank = qr.rank();
    let statistic = if rank == k1 && score.iter().all(|s| s.is_finite()) {
        qr.solve(&score)
            .map(|x| x.iter().zip(&score).map(|(a, b)| a * b).sum::<f64>())
            .filter(|s| s.is_finite())
    } else {
        None
    };
    GrayTest {
        statistic,
        df: k1,
        p: statistic.map(|s| chisq_upper(s, k1 as f64)),
        rho,
        score,
        variance,
        rank,
    }
}

/// Per-stratum state, reused across strata to avoid reallocating.
struct Workspace {
    g: usize,
    /// At risk in each group.
    at_risk: Vec<usize>,
    /// All-cause Kaplan–Meier and incidence just before / at the current time.
    surv_before: Vec<f64>,
    surv_after: Vec<f64>,
    inc_before: Vec<f64>,
    inc_after: Vec<f64>,
    /// Failures at the current time: [cause, other] per group.
    fail: Vec<[usize; 2]>,
    /// Subjects leaving at the current time, per group.
    leaving: Vec<usize>,
    /// a (this time) and its running weighted sum c, g × g row-major.
    a: Vec<f64>,
    c: Vec<f64>,
    /// Accumulated influence terms: v2 is (g−1) × g, v3 is g.
    v2: Vec<f64>,
    v3: Vec<f64>,
    /// This stratum's score and lower-triangular variance, (g−1) and (g−1)².
    score: Vec<f64>,
    var: Vec<f64>,
}

impl Workspace {
    fn new(g: usize) -> Workspace {
        let k1 = g - 1;
        Workspace {
            g,
            at_risk: vec![0; g],
            surv_before: vec![1.0; g],
            surv_after: vec![1.0; g],
            inc_before: vec![0.0; g],
            inc_after: vec![0.0; g],
            fail: vec![[0; 2]; g],
            leaving: vec![0; g],
            a: vec![0.0; g * g],
            c: vec![0.0; g * g],
            v2: vec![0.0; k1 * g],
            v3: vec![0.0; g],
            score: vec![0.0; k1],
            var: vec![0.0; k1 * k1],
        }
    }

    fn reset(&mut self) {
        self.at_risk.fill(0);
        self.surv_before.fill(1.0);
        self.surv_after.fill(1.0);
        self.inc_before.fill(0.0);
        self.inc_after.fill(0.0);
        self.fail.fill([0; 2]);
        self.leaving.fill(0);
        self.a.fill(0.0);
        self.c.fill(0.0);
        self.v2.fill(0.0);
        self.v3.fill(0.0);
        self.score.fill(0.0);
        self.var.fill(0.0);
    }

    /// Score and variance of one stratum (time-sorted subjects).
    fn stratum<T: Tally>(&mut self, entries: &T, cause: u32, rho: f64) {
        self.reset();
        let g = self.g;
        let k1 = g - 1;
        let n = entries.len();
        for i in 0..n {
            self.at_risk[entries.group(i)] += entries.count(i);
        }
        // Pooled incidence before and at the current time.
        let mut pooled_before = 0.0_f64;
        let mut pooled = 0.0_f64;
        let mut i = 0;
        while i < n {
            let t = entries.time(i);
            let mut j = i;
            while j < n && entries.time(j) == t {
                let k = entries.group(j);
                self.leaving[k] += entries.count(j);
                entries.add_fails(j, cause, &mut self.fail[k]);
                j += 1;
            }
            let d1: usize = self.fail.iter().map(|f| f[0]).sum();
            let d2: usize = self.fail.iter().map(|f| f[1]).sum();
            if d1 + d2 > 0 {
                self.failure_time(d1, d2, rho, &mut pooled_before, &mut pooled);
            }
            for k in 0..g {
                self.at_risk[k] -= self.leaving[k];
                self.leaving[k] = 0;
                self.fail[k] = [0; 2];
            }
            i = j;
        }
        // Cross terms of the final c with the accumulated influence terms.
        for i in 0..k1 {
            for j in 0..=i {
                let v = &mut self.var[i * k1 + j];
                for k in 0..g {
                    *v += self.c[i * g + k] * self.c[j * g + k] * self.v3[k];
                    *v += self.c[i * g + k] * self.v2[j * g + k];
                    *v += self.c[j * g + k] * self.v2[i * g + k];
                }
            }
        }
    }

    /// Updates the estimates, score and variance terms at one time with
    /// `d1` failures of the cause and `d2` of other causes.
    fn failure_time(
        &mut self,
        d1: usize,
        d2: usize,
        rho: f64,
        pooled_before: &mut f64,
        pooled: &mut f64,
    ) {
        let g = self.g;
        let k1 = g - 1;
        let d1f = d1 as f64;
        let mut h_sum = 0.0;
        let mut r_sum = 0.0;
        for k in 0..g {
            if self.at_risk[k] == 0 {
                continue;
            }
            let n_k = self.at_risk[k] as f64;
            let [f1, f2] = self.fail[k];
            self.surv_after[k] = self.surv_before[k] * (n_k - (f1 + f2) as f64) / n_k;
            self.inc_after[k] = self.inc_before[k] + self.surv_before[k] * f1 as f64 / n_k;
            h_sum += n_k / self.surv_before[k];
            r_sum += n_k * (1.0 - self.inc_before[k]) / self.surv_before[k];
        }
        *pooled = *pooled_before + d1f / h_sum;
        let weight = (1.0 - *pooled_before).powf(rho);
        let c_scale = h_sum * (1.0 - *pooled_before);

        // a (symmetric) and its running sum c.
        for i in 0..g {
            for j in i..g {
                self.a[i * g + j] = 0.0;
            }
            if self.at_risk[i] == 0 {
                continue;
            }
            let h_i = self.at_risk[i] as f64 / self.surv_before[i];
            let diag = weight * h_i * (1.0 - h_i / h_sum);
            self.a[i * g + i] = diag;
            self.c[i * g + i] += diag * d1f / c_scale;
            for j in i + 1..g {
                if self.at_risk[j] == 0 {
                    continue;
                }
                let off = -weight * h_i * self.at_risk[j] as f64 / (self.surv_before[j] * h_sum);
                self.a[i * g + j] = off;
                self.c[i * g + j] += off * d1f / c_scale;
            }
        }
        for i in 1..g {
            for j in 0..i {
                self.a[i * g + j] = self.a[j * g + i];
                self.c[i * g + j] = self.c[j * g + i];
            }
        }

        for i in 0..k1 {
            if self.at_risk[i] == 0 {
                continue;
            }
            let n_i = self.at_risk[i] as f64;
            self.score[i] += weight
                * (self.fail[i][0] as f64
                    - d1f * n_i * (1.0 - self.inc_before[i]) / (self.surv_before[i] * r_sum));
        }

        if d1 > 0 {
            for k in 0..g {
                if self.at_risk[k] == 0 {
                    continue;
                }
                let n_k = self.at_risk[k] as f64;
                let t4 = if self.surv_after[k] > 0.0 {
                    1.0 - (1.0 - *pooled) / self.surv_after[k]
                } else {
                    1.0
                };
                let tie = if d1 > 1 {
                    1.0 - (d1f - 1.0) / (h_sum * self.surv_before[k] - 1.0)
                } else {
                    1.0
                };
                let t3 = tie * self.surv_before[k] * d1f / (h_sum * n_k);
                self.influence(k, t4, t3, true);
            }
        }
        if d2 > 0 {
            for k in 0..g {
                let f2 = self.fail[k][1];
                if self.surv_after[k] <= 0.0 || f2 == 0 {
                    continue;
                }
                let n_k = self.at_risk[k] as f64;
                let t4 = (1.0 - *pooled) / self.surv_after[k];
                let tie = if f2 > 1 {
                    1.0 - (f2 as f64 - 1.0) / (n_k - 1.0)
                } else {
                    1.0
                };
                let t3 =
                    tie * (self.surv_before[k] * self.surv_before[k] * f2 as f64) / (n_k * n_k);
                self.influence(k, t4, t3, false);
            }
        }

        *pooled_before = *pooled;
        for k in 0..g {
            self.inc_before[k] = self.inc_after[k];
            self.surv_before[k] = self.surv_after[k];
        }
    }

    /// Adds the influence of group k's failures (of the cause when `own`,
    /// else of other causes) to v3, v2 and the variance.
    #[inline]
    fn influence(&mut self, k: usize, t4: f64, t3: f64, own: bool) {
        let g = self.g;
        let k1 = g - 1;
        self.v3[k] += t4 * t4 * t3;
        for i in 0..k1 {
            let b_i = if own {
                self.a[i * g + k] - t4 * self.c[i * g + k]
            } else {
                t4 * self.c[i * g + k]
            };
            if own {
                self.v2[i * g + k] += b_i * t4 * t3;
            } else {
                self.v2[i * g + k] -= b_i * t4 * t3;
            }
            for j in 0..=i {
                let b_j = if own {
                    self.a[j * g + k] - t4 * self.c[j * g + k]
                } else {
                    t4 * self.c[j * g + k]
                };
                self.var[i * k1 + j] += b_i * b_j * t3;
            }
        }
    }
}
