//! Exact distributed medians (the federated baseline table): each median
//! is one or two order statistics of the pooled values, found by a search
//! over masked counts, so the hub never sees a value of a site.
//!
//! A finite double maps to a 64-bit key whose order is `f64::total_cmp`'s
//! (the order the pooled `summarise_numbers` sorts by). The `rank`-th
//! smallest pooled value is the smallest key `x` with `C(x) ≥ rank`, where
//! `C(x)` counts the pooled values with key `≤ x`. Each round the hub cuts
//! the interval still holding it into [`WAYS`] pieces and asks every node
//! for its counts at the `WAYS − 1` cuts (one masked sum for every search
//! at once); the pooled counts name the piece. `64 / log2(WAYS)` = 16
//! rounds find the key exactly, and the key is the value, bit for bit: the
//! median is then computed as the pooled analysis computes it (the middle
//! value, or the mean of the two middle values).
//!
//! What the hub learns: pooled counts at the cuts, which narrow onto the
//! median — so the pooled values next to it, without which site holds
//! them. A median of fewer values than the largest minimum cell size of
//! the nodes is not searched (null, with a note).

/// Pieces each round cuts a search's interval into.
pub(crate) const WAYS: u64 = 16;

/// The key of a finite double: `a.total_cmp(&b)` is `key(a).cmp(&key(b))`.
pub(crate) fn key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 { !b } else { b | 1 << 63 }
}

/// The double of a key ([`key`]'s inverse).
pub(crate) fn value(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// One order statistic being searched: the smallest key `x` in
/// `[lo, hi]` with `C(x) ≥ rank` (`C(lo − 1) < rank ≤ C(hi)` holds).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Search {
    /// The baseline variable.
    pub var: usize,
    /// The group (`None`: every patient with a group).
    pub group: Option<usize>,
    /// 1-based rank among the pooled values.
    pub rank: u64,
    lo: u64,
    hi: u64,
}

impl Search {
    /// A search over every key.
    pub(crate) fn new(var: usize, group: Option<usize>, rank: u64) -> Search {
        Search {
            var,
            group,
            rank,
            lo: 0,
            hi: u64::MAX,
        }
    }

    /// The value, once found.
    pub(crate) fn found(&self) -> Option<f64> {
        (self.lo == self.hi).then(|| value(self.lo))
    }

    /// This round's cuts: `WAYS − 1` keys, ascending, in `[lo, hi]`.
    pub(crate) fn cuts(&self) -> Vec<u64> {
        let span = u128::from(self.hi - self.lo) + 1;
        (1..WAYS)
            .map(|j| {
                let end = u128::from(self.lo) + span * u128::from(j) / u128::from(WAYS);
                // The last key of piece j − 1, at least lo.
                u64::try_from(end.saturating_sub(1).max(u128::from(self.lo))).unwrap_or(self.hi)
            })
            .collect()
    }

    /// Narrows the interval from the pooled counts at [`Search::cuts`].
    pub(crate) fn narrow(&mut self, counts: &[u64]) {
        let cuts = self.cuts();
        match counts.iter().position(|&c| c >= self.rank) {
            Some(j) => {
                if j > 0 {
                    self.lo = cuts[j - 1].saturating_add(1).min(cuts[j]);
                }
                self.hi = cuts[j];
            }
            None => {
                if let Some(&last) = cuts.last() {
                    self.lo = last.saturating_add(1).min(self.hi);
                }
            }
        }
    }
}

/// The searches of a median of `n` values: ranks `(n + 1) / 2` and, for
/// even `n`, `n / 2 + 1`.
pub(crate) fn median_ranks(n: u64) -> Vec<u64> {
    if n == 0 {
        Vec::new()
    } else if n % 2 == 1 {
        vec![n.div_ceil(2)]
    } else {
        vec![n / 2, n / 2 + 1]
    }
}

/// The median from its order statistics, as `summarise_numbers` computes it.
pub(crate) fn median_of(stats: &[f64]) -> Option<f64> {
    match stats {
        [m] => Some(*m),
        [a, b] => Some((a + b) / 2.0),
        _ => None,
    }
}

/// A node's counts at `cuts` among its values `keys` (sorted ascending).
pub(crate) fn counts_at(sorted_keys: &[u64], cuts: &[u64]) -> Vec<u64> {
    cuts.iter()
        .map(|&t| sorted_keys.partition_point(|&k| k <= t) as u64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_order_doubles_as_total_cmp_and_invert() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            1e-310,
            3.25,
            1e300,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(value(key(x)).to_bits(), x.to_bits());
        }
    }

    /// Three "sites" of values: the search over their summed counts finds
    /// every order statistic exactly, in at most 16 rounds.
    #[test]
    fn the_search_finds_the_exact_order_statistic() {
        let sites: Vec<Vec<f64>> = vec![
            vec![61.5, 70.25, 44.0, 44.0, 80.1],
            vec![55.0, -3.0, 1e-9, 61.5],
            vec![90.0, 12.125, 33.3, 70.25, 44.0],
        ];
        let mut all: Vec<f64> = sites.iter().flatten().copied().collect();
        all.sort_by(f64::total_cmp);
        let keys: Vec<Vec<u64>> = sites
            .iter()
            .map(|s| {
                let mut k: Vec<u64> = s.iter().map(|&x| key(x)).collect();
                k.sort_unstable();
                k
            })
            .collect();
        for rank in 1..=all.len() as u64 {
            let mut s = Search::new(0, None, rank);
            let mut rounds = 0;
            while s.found().is_none() {
                let cuts = s.cuts();
                let mut pooled = vec![0u64; cuts.len()];
                for k in &keys {
                    for (p, c) in pooled.iter_mut().zip(counts_at(k, &cuts)) {
                        *p += c;
                    }
                }
                s.narrow(&pooled);
                rounds += 1;
                assert!(rounds <= 16, "rank {rank}: {rounds} rounds");
            }
            assert_eq!(s.found(), Some(all[rank as usize - 1]), "rank {rank}");
        }
        // The median of 14 values: the mean of the 7th and 8th.
        assert_eq!(median_ranks(14), vec![7, 8]);
        assert_eq!(median_ranks(5), vec![3]);
        assert!(median_ranks(0).is_empty());
        assert_eq!(median_of(&[44.0, 55.0]), Some(49.5));
    }
}
