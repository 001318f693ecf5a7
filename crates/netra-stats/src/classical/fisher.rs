//! Fisher's exact test, as R's `fisher.test`.
//!
//! **2×2** ([`fisher_2x2`]): with margins fixed, the count `a` of the first
//! cell follows the (non-central) hypergeometric distribution on
//! `lo..=hi`. As R:
//! * two-sided p = Σ P₁(s) over support points with `P₁(s) <= P₁(a)·(1+1e-7)`;
//!   one-sided p = the lower or upper hypergeometric tail;
//! * the estimate is the *conditional* maximum-likelihood odds ratio (the
//!   root of E_ψ[A] = a), 0 at `a = lo` and ∞ at `a = hi`;
//! * the CI inverts the two one-sided tests at α/2.
//!
//! R finds the estimate and the limits with `uniroot` at its default
//! tolerance (≈1.2e-4), so its printed odds ratio is only that accurate as a
//! root. To agree with R to 1e-9 anyway, netra runs the same Brent iteration
//! (`special::uniroot`, R's `zeroin` step rules) on the same functions, on
//! the same intervals ((0, 1) for ψ, or (ε, 1) for 1/ψ), so it lands on the
//! same iterate.
//!
//! **r×c** ([`fisher_rxc`]): the p-value sums the probabilities of all tables
//! with the observed margins whose probability does not exceed the observed
//! table's (R's FEXACT counts a table when its log-probability is within
//! 3.45254e-7 of the observed one — the same tolerance is used here). Tables
//! are enumerated column by column as a network: a node is the multiset of
//! row totals still to fill, so equal sub-problems are merged; at each node
//! the exact longest and shortest remaining paths (most and least probable
//! completions, memoized per node as FEXACT's f3xact/f4xact compute them)
//! decide whether all its completions count (added at once from the
//! closed-form total N!/∏rᵢ!), none does, or the node must be expanded.
//! Beyond [`RXC_WORK_LIMIT`] expansions the function returns
//! [`TestError::TooLarge`] rather than running for hours.

use std::collections::{BTreeMap, HashMap};

use super::chisq::check_table;
use super::special::{ln_choose, ln_factorial, uniroot};
use super::{Alternative, TestError, check_level};

/// The result of [`fisher_2x2`], the fields of R's `fisher.test` on a 2×2
/// table.
#[derive(Debug, Clone, PartialEq)]
pub struct Fisher2x2 {
    /// p-value.
    pub p_value: f64,
    /// Conditional MLE of the odds ratio (may be 0 or ∞).
    pub odds_ratio: f64,
    /// Lower confidence limit of the odds ratio.
    pub lower: f64,
    /// Upper confidence limit (may be ∞).
    pub upper: f64,
}

/// R's default `uniroot` tolerance, `.Machine$double.eps^0.25`.
const UNIROOT_TOL: f64 = 0.000_122_070_312_5;
const UNIROOT_MAXITER: usize = 1000;

struct NonCentral {
    support: Vec<f64>,
    logdc: Vec<f64>,
    lo: f64,
    hi: f64,
    x: f64,
}

impl NonCentral {
    fn dn(&self, ncp: f64) -> Vec<f64> {
        let lncp = ncp.ln();
        let d: Vec<f64> = self
            .logdc
            .iter()
            .zip(&self.support)
            .map(|(l, s)| l + lncp * s)
            .collect();
        let max = d.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = d.iter().map(|v| (v - max).exp()).collect();
        let sum: f64 = e.iter().sum();
        e.into_iter().map(|v| v / sum).collect()
    }

    fn mean(&self, ncp: f64) -> f64 {
        if ncp == 0.0 {
            return self.lo;
        }
        if ncp == f64::INFINITY {
            return self.hi;
        }
        self.dn(ncp)
            .iter()
            .zip(&self.support)
            .map(|(d, s)| d * s)
            .sum()
    }

    /// R's `phyper` from the central log-densities (not renormalized).
    fn central_tail(&self, q: f64, upper: bool) -> f64 {
        self.logdc
            .iter()
            .zip(&self.support)
            .filter(|(_, s)| if upper { **s > q } else { **s <= q })
            .map(|(l, _)| l.exp())
            .sum()
    }

    fn p(&self, q: f64, ncp: f64, upper: bool) -> f64 {
        if ncp == 1.0 {
            return if upper {
                self.central_tail(self.x - 1.0, true)
            } else {
                self.central_tail(self.x, false)
            };
        }
        if ncp == 0.0 {
            return f64::from(u8::from(if upper { q <= self.lo } else { q >= self.lo }));
        }
        if ncp == f64::INFINITY {
            return f64::from(u8::from(if upper { q <= self.hi } else { q >= self.hi }));
        }
        self.dn(ncp)
            .iter()
            .zip(&self.support)
            .filter(|(_, s)| if upper { **s >= q } else { **s <= q })
            .map(|(d, _)| d)
            .sum()
    }

    /// `uniroot(g, c(0, 1))$root`.
    fn root01<G: Fn(f64) -> f64>(g: G) -> f64 {
        let (fa, fb) = (g(0.0), g(1.0));
        uniroot(&g, 0.0, 1.0, fa, fb, UNIROOT_TOL, UNIROOT_MAXITER)
    }

    /// `1 / uniroot(function(t) g(1/t), c(eps, 1))$root`.
    fn root_inv<G: Fn(f64) -> f64>(g: G) -> f64 {
        let h = |t: f64| g(1.0 / t);
        let (fa, fb) = (h(f64::EPSILON), h(1.0));
        1.0 / uniroot(h, f64::EPSILON, 1.0, fa, fb, UNIROOT_TOL, UNIROOT_MAXITER)
    }

    fn mle(&self) -> f64 {
        let x = self.x;
        if x == self.lo {
            return 0.0;
        }
        if x == self.hi {
            return f64::INFINITY;
        }
        let mu = self.mean(1.0);
        if mu > x {
            Self::root01(|t| self.mean(t) - x)
        } else if mu < x {
            Self::root_inv(|t| self.mean(t) - x)
        } else {
            1.0
        }
    }

    fn ncp_upper(&self, alpha: f64) -> f64 {
        let x = self.x;
        if x == self.hi {
            return f64::INFINITY;
        }
        let p = self.p(x, 1.0, false);
        if p < alpha {
            Self::root01(|t| self.p(x, t, false) - alpha)
        } else if p > alpha {
            Self::root_inv(|t| self.p(x, t, false) - alpha)
        } else {
            1.0
        }
    }

    fn ncp_lower(&self, alpha: f64) -> f64 {
        let x = self.x;
        if x == self.lo {
            return 0.0;
        }
        let p = self.p(x, 1.0, true);
        if p > alpha {
            Self::root01(|t| self.p(x, t, true) - alpha)
        } else if p < alpha {
            Self::root_inv(|t| self.p(x, t, true) - alpha)
        } else {
            1.0
        }
    }
}

/// Fisher's exact test on the 2×2 table `[[a, b], [c, d]]` (rows × columns
/// as R's `matrix(c(a, c, b, d), 2)`), with the odds ratio and its CI.
pub fn fisher_2x2(
    table: [[u64; 2]; 2],
    alternative: Alternative,
    conf_level: f64,
) -> Result<Fisher2x2, TestError> {
    check_level(conf_level)?;
    let m = table[0][0] + table[1][0];
    let n = table[0][1] + table[1][1];
    let k = table[0][0] + table[0][1];
    if m + n == 0 {
        return Err(TestError::InvalidInput("the table is empty".into()));
    }
    let x = table[0][0];
    let lo = k.saturating_sub(n);
    let hi = k.min(m);
    if hi - lo > MAX_SUPPORT {
        return Err(TestError::TooLarge(format!(
            "{} possible tables; use the chi-square test",
            hi - lo + 1
        )));
    }
    let support: Vec<f64> = (lo..=hi).map(|s| s as f64).collect();
    let lc_total = ln_choose(m + n, k);
    let logdc: Vec<f64> = (lo..=hi)
        .map(|s| ln_choose(m, s) + ln_choose(n, k - s) - lc_total)
        .collect();
    let nc = NonCentral {
        support,
        logdc,
        lo: lo as f64,
        hi: hi as f64,
        x: x as f64,
    };
    let xf = x as f64;
    let p_value = match alternative {
        Alternative::Less => nc.p(xf, 1.0, false),
        Alternative::Greater => nc.p(xf, 1.0, true),
        Alternative::TwoSided => {
            let d = nc.dn(1.0);
            let dx = d[(x - lo) as usize] * (1.0 + 1e-7);
            d.iter().filter(|&&v| v <= dx).sum()
        }
    };
    let odds_ratio = nc.mle();
    let (lower, upper) = match alternative {
        Alternative::Less => (0.0, nc.ncp_upper(1.0 - conf_level)),
        Alternative::Greater => (nc.ncp_lower(1.0 - conf_level), f64::INFINITY),
        Alternative::TwoSided => {
            let alpha = (1.0 - conf_level) / 2.0;
            (nc.ncp_lower(alpha), nc.ncp_upper(alpha))
        }
    };
    Ok(Fisher2x2 {
        p_value,
        odds_ratio,
        lower,
        upper,
    })
}

/// Largest support of the 2×2 conditional distribution handled.
const MAX_SUPPORT: u64 = 10_000_000;

/// Most node expansions [`fisher_rxc`] performs before giving up.
pub const RXC_WORK_LIMIT: u64 = 20_000_000;

/// FEXACT's tolerance on the log-probability comparison.
const FEXACT_TOL: f64 = 3.45254e-7;

/// The exact p-value of an r×c table of counts (two-sided, as R's
/// `fisher.test` on a table larger than 2×2). Counts must be whole numbers.
pub fn fisher_rxc(table: &[Vec<f64>]) -> Result<f64, TestError> {
    check_table(table)?;
    if table.iter().flatten().any(|v| v.fract() != 0.0) {
        return Err(TestError::InvalidInput(
            "counts must be whole numbers".into(),
        ));
    }
    let nr = table.len();
    let nc = table[0].len();
    let cell = |i: usize, j: usize| table[i][j] as u64;
    // Rows are the smaller dimension: fewer entries per state.
    type Cell<'a> = Box<dyn Fn(usize, usize) -> u64 + 'a>;
    let (rows_n, cols_n, get): (usize, usize, Cell<'_>) = if nr <= nc {
        (nr, nc, Box::new(cell))
    } else {
        (nc, nr, Box::new(move |i, j| cell(j, i)))
    };
    let mut rows: Vec<u64> = (0..rows_n)
        .map(|i| (0..cols_n).map(|j| get(i, j)).sum())
        .collect();
    let mut cols: Vec<u64> = (0..cols_n)
        .map(|j| (0..rows_n).map(|i| get(i, j)).sum())
        .collect();
    let total: u64 = rows.iter().sum();
    if total > MAX_SUPPORT {
        return Err(TestError::TooLarge(format!(
            "{total} observations; use the chi-square test"
        )));
    }
    let lf = LogFactorials::new(total);
    let mut observed = FEXACT_TOL;
    for (j, &col) in cols.iter().enumerate() {
        observed += lf.get(col) - (0..rows_n).map(|i| lf.get(get(i, j))).sum::<f64>();
    }
    rows.retain(|&r| r > 0);
    cols.retain(|&c| c > 0);
    if rows.len() < 2 || cols.len() < 2 {
        return Ok(1.0);
    }
    rows.sort_unstable();
    cols.sort_unstable_by(|a, b| b.cmp(a));
    let dro = lf.get(total) - rows.iter().map(|&r| lf.get(r)).sum::<f64>();
    let network = Network {
        cols: &cols,
        lf: &lf,
        threshold: observed,
        dro,
    };
    let p = network.run(rows)?;
    Ok(p.clamp(0.0, 1.0))
}

struct LogFactorials(Vec<f64>);

impl LogFactorials {
    fn new(n: u64) -> Self {
        let mut v = Vec::with_capacity(n as usize + 1);
        v.push(0.0);
        for i in 1..=n {
            v.push(ln_factorial(i));
        }
        LogFactorials(v)
    }
    fn get(&self, n: u64) -> f64 {
        self.0[n as usize]
    }
}

/// The table network of [`fisher_rxc`]: stage k holds the nodes reached
/// after filling the first k columns.
struct Network<'a> {
    cols: &'a [u64],
    lf: &'a LogFactorials,
    /// Observed path length plus FEXACT's tolerance.
    threshold: f64,
    /// log(N! / ∏ rᵢ!), the normalizing constant.
    dro: f64,
}

/// Past path lengths reaching a node, with their multiplicities.
type Pasts = Vec<(f64, f64)>;

/// Past lengths merged on insertion: key = the length rounded to 1e-10
/// (log scale, so a merge moves a probability by at most 5e-11 relative;
/// mathematically equal lengths differ by ~1e-13 and nearly always merge).
/// Ordered maps (here and for the stages and arcs) so that the sums are
/// added in one order: with hash maps the p-value changed in its last
/// digits from run to run.
type PastMap = BTreeMap<i64, (f64, f64)>;

fn past_key(v: f64) -> i64 {
    (v * 1e10).round() as i64
}

impl Network<'_> {
    fn run(&self, rows: Vec<u64>) -> Result<f64, TestError> {
        let ncols = self.cols.len();
        let mut stage: BTreeMap<Vec<u64>, PastMap> = BTreeMap::new();
        stage.insert(rows, BTreeMap::from([(0, (0.0, 1.0))]));
        let mut p = 0.0;
        let mut work: u64 = 0;
        let mut memo: HashMap<(usize, Vec<u64>), (f64, f64)> = HashMap::new();
        for k in 0..ncols {
            let mut next: BTreeMap<Vec<u64>, PastMap> = BTreeMap::new();
            for (state, pasts) in stage {
                let pasts = pasts.into_values();
                let rest = &self.cols[k..];
                if rest.len() == 1 {
                    // The last column is forced: x = the remaining rows.
                    let len =
                        self.lf.get(rest[0]) - state.iter().map(|&r| self.lf.get(r)).sum::<f64>();
                    for (past, count) in pasts {
                        if past + len <= self.threshold {
                            p += count * (past + len - self.dro).exp();
                        }
                    }
                    continue;
                }
                let (longest, shortest) = self.extremes(k, &state, &mut memo, &mut work)?;
                let slack = 1e-9 * longest.abs().max(shortest.abs()).max(1.0);
                let (longest, shortest) = (longest + slack, shortest - slack);
                let n_rem: u64 = state.iter().sum();
                let log_total =
                    self.lf.get(n_rem) - state.iter().map(|&r| self.lf.get(r)).sum::<f64>();
                let mut open: Pasts = Vec::new();
                for (past, count) in pasts {
                    if past + longest <= self.threshold {
                        p += count * (past + log_total - self.dro).exp();
                    } else if past + shortest <= self.threshold {
                        open.push((past, count));
                    }
                }
                if open.is_empty() {
                    continue;
                }
                let col = rest[0];
                let lc = self.lf.get(col);
                let mut x = vec![0u64; state.len()];
                // Arcs to each daughter, equal arcs merged with their
                // multiplicity (rows with equal totals give equal arcs).
                let mut arcs: BTreeMap<(Vec<u64>, i64), (f64, f64)> = BTreeMap::new();
                let budget = RXC_WORK_LIMIT.saturating_sub(work);
                if count_fillings(&state, col) > budget as f64 {
                    return Err(too_large());
                }
                let mut n_fill: u64 = 0;
                let complete = fillings(&state, col, 0, &mut x, &mut |x| {
                    let delta = lc - x.iter().map(|&v| self.lf.get(v)).sum::<f64>();
                    let mut d: Vec<u64> = state.iter().zip(x).map(|(r, v)| r - v).collect();
                    d.sort_unstable();
                    arcs.entry((d, past_key(delta))).or_insert((delta, 0.0)).1 += 1.0;
                    n_fill += 1;
                    n_fill < budget
                });
                work += n_fill + (arcs.len() * open.len()) as u64;
                if !complete || work > RXC_WORK_LIMIT {
                    return Err(too_large());
                }
                for ((d, _), (delta, mult)) in arcs {
                    let entry = next.entry(d).or_default();
                    for &(past, count) in &open {
                        let v = past + delta;
                        entry.entry(past_key(v)).or_insert((v, 0.0)).1 += count * mult;
                    }
                }
            }
            stage = next;
        }
        Ok(p)
    }

    /// The longest and shortest remaining path from the node `state` at
    /// stage `k` (the most and least probable completions), computed
    /// exactly by recursion over the columns and memoized per node — what
    /// FEXACT's f3xact/f4xact compute. Exact extremes let most past paths be
    /// settled at a node without expanding it.
    fn extremes(
        &self,
        k: usize,
        state: &[u64],
        memo: &mut HashMap<(usize, Vec<u64>), (f64, f64)>,
        work: &mut u64,
    ) -> Result<(f64, f64), TestError> {
        let lf = self.lf;
        let rest = &self.cols[k..];
        if rest.len() == 1 {
            let v = lf.get(rest[0]) - state.iter().map(|&r| lf.get(r)).sum::<f64>();
            return Ok((v, v));
        }
        if let Some(&v) = memo.get(&(k, state.to_vec())) {
            return Ok(v);
        }
        let col = rest[0];
        let lc = lf.get(col);
        let mut x = vec![0u64; state.len()];
        let mut daughters: Vec<(Vec<u64>, f64)> = Vec::new();
        let budget = RXC_WORK_LIMIT.saturating_sub(*work);
        if count_fillings(state, col) > budget as f64 {
            return Err(too_large());
        }
        let complete = fillings(state, col, 0, &mut x, &mut |x| {
            let delta = lc - x.iter().map(|&v| lf.get(v)).sum::<f64>();
            let mut d: Vec<u64> = state.iter().zip(x).map(|(r, v)| r - v).collect();
            d.sort_unstable();
            daughters.push((d, delta));
            (daughters.len() as u64) < budget
        });
        *work += daughters.len() as u64;
        if !complete || *work > RXC_WORK_LIMIT {
            return Err(too_large());
        }
        daughters.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
        let mut longest = f64::NEG_INFINITY;
        let mut shortest = f64::INFINITY;
        let mut i = 0;
        while i < daughters.len() {
            // Equal daughters differ only in their arc: one recursion each.
            let mut j = i;
            let (mut hi, mut lo) = (daughters[i].1, daughters[i].1);
            while j < daughters.len() && daughters[j].0 == daughters[i].0 {
                hi = hi.max(daughters[j].1);
                lo = lo.min(daughters[j].1);
                j += 1;
            }
            let (l, s) = self.extremes(k + 1, &daughters[i].0, memo, work)?;
            longest = longest.max(hi + l);
            shortest = shortest.min(lo + s);
            i = j;
        }
        memo.insert((k, state.to_vec()), (longest, shortest));
        Ok((longest, shortest))
    }
}

fn too_large() -> TestError {
    TestError::TooLarge(format!(
        "more than {RXC_WORK_LIMIT} network expansions; use the chi-square test or a smaller table"
    ))
}

/// How many vectors x (0 <= xᵢ <= capsᵢ, Σ x = total) there are, as f64
/// (saturating), so that hopeless nodes fail before being enumerated.
fn count_fillings(caps: &[u64], total: u64) -> f64 {
    let t = total as usize;
    let mut ways = vec![0.0f64; t + 1];
    ways[0] = 1.0;
    for &cap in caps {
        let mut next = vec![0.0f64; t + 1];
        let mut window = 0.0;
        for s in 0..=t {
            window += ways[s];
            if s > cap as usize {
                window -= ways[s - cap as usize - 1];
            }
            next[s] = window;
        }
        ways = next;
    }
    ways[t]
}

/// Calls `f` with every vector x (0 <= xᵢ <= capsᵢ, Σ x = total) until `f`
/// returns false; returns false when stopped early.
fn fillings<F: FnMut(&[u64]) -> bool>(
    caps: &[u64],
    total: u64,
    i: usize,
    x: &mut Vec<u64>,
    f: &mut F,
) -> bool {
    if i == caps.len() - 1 {
        if total <= caps[i] {
            x[i] = total;
            return f(x);
        }
        return true;
    }
    let suffix: u64 = caps[i + 1..].iter().sum();
    let from = total.saturating_sub(suffix);
    let to = caps[i].min(total);
    for v in from..=to {
        x[i] = v;
        if !fillings(caps, total - v, i + 1, x, f) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rxc_agrees_with_2x2_formula() {
        // A 2×2 through the network equals the hypergeometric two-sided p.
        let p_net = fisher_rxc(&[vec![3.0, 1.0], vec![1.0, 3.0]]).unwrap();
        let p_2x2 = fisher_2x2([[3, 1], [1, 3]], Alternative::TwoSided, 0.95)
            .unwrap()
            .p_value;
        assert!((p_net - p_2x2).abs() < 1e-12, "{p_net} vs {p_2x2}");
    }

    #[test]
    fn filling_counts() {
        // x1 + x2 = 3 with x1 <= 2, x2 <= 5: (0,3), (1,2), (2,1).
        assert_eq!(count_fillings(&[2, 5], 3), 3.0);
        assert_eq!(count_fillings(&[1, 1, 1], 2), 3.0);
        assert_eq!(count_fillings(&[0, 4], 5), 0.0);
    }

    #[test]
    fn single_possible_table_has_p_one() {
        assert_eq!(
            fisher_rxc(&[vec![5.0, 0.0, 0.0], vec![0.0, 0.0, 0.0]]).unwrap(),
            1.0
        );
    }

    #[test]
    fn too_large_is_an_error_not_a_hang() {
        let t: Vec<Vec<f64>> = (0..6)
            .map(|i| (0..8).map(|j| (10 + i + j) as f64).collect())
            .collect();
        assert!(matches!(fisher_rxc(&t), Err(TestError::TooLarge(_))));
    }

    #[test]
    fn huge_counts_are_an_error_not_an_allocation() {
        let big = 2e7;
        assert!(matches!(
            fisher_rxc(&[vec![big, 1.0, 2.0], vec![3.0, big, 4.0]]),
            Err(TestError::TooLarge(_))
        ));
        assert!(matches!(
            fisher_2x2(
                [[20_000_000, 20_000_000], [20_000_000, 20_000_000]],
                Alternative::TwoSided,
                0.95
            ),
            Err(TestError::TooLarge(_))
        ));
    }

    #[test]
    fn rejects_fractional_counts() {
        assert!(fisher_rxc(&[vec![1.5, 1.0], vec![1.0, 3.0]]).is_err());
    }

    #[test]
    fn rxc_p_value_is_the_same_bits_every_run() {
        // Each hash map gets its own random seed, so with hash-ordered sums
        // repeated runs in one process differed in the last digits.
        let table = vec![
            vec![3.0, 1.0, 4.0, 2.0, 5.0],
            vec![2.0, 6.0, 1.0, 3.0, 2.0],
            vec![4.0, 2.0, 3.0, 5.0, 1.0],
            vec![1.0, 3.0, 2.0, 2.0, 4.0],
        ];
        let first = fisher_rxc(&table).unwrap();
        for _ in 0..20 {
            assert_eq!(fisher_rxc(&table).unwrap().to_bits(), first.to_bits());
        }
    }
}
