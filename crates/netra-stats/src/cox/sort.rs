//! Stable LSD radix sorts for the one sort of a fit (and the concordance's
//! predictor ranks): O(n) per byte that varies, skipping bytes that are the
//! same in every key — event times in whole days vary in only a few of the
//! eight bytes of their f64 bit pattern. Stability also makes the order of
//! tied keys the original row order, as R's `order()`.

/// Order-preserving map of a finite f64 onto u64 (ascending).
#[inline]
pub(crate) fn asc_key(t: f64) -> u64 {
    let bits = (t + 0.0).to_bits(); // -0.0 and 0.0 are one key
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// As [`asc_key`] but descending.
#[inline]
pub(crate) fn desc_key(t: f64) -> u64 {
    !asc_key(t)
}

/// Bits per radix digit: 2048 buckets keep the scatter cache-friendly and
/// need six passes for 64-bit keys (fewer when digits are constant).
const DIGIT: usize = 11;

/// Stably reorders `idx` by `keys` (parallel arrays, sorted together),
/// ascending.
pub(crate) fn radix_sort(keys: &mut Vec<u64>, idx: &mut Vec<u32>) {
    radix_sort_from(keys, idx, 0);
}

/// Stably reorders `idx` by `keys` as [`radix_sort`], with the radix passes
/// over the top 32 bits only, then an insertion sort by the whole key,
/// which only moves keys within runs of equal top bits: half the passes
/// over the data where keys are mostly distinct (a continuous linear
/// predictor), the same order. Should the runs need many moves (keys close
/// together), the remaining passes are done instead: equal keys are still
/// in their original order, so the stable passes finish the same order.
///
/// The passes use 8-bit digits (four for the top 32 bits): 256 runs of
/// writes per pass, where 2048 (11-bit digits, three passes for the top 33
/// bits) missed the TLB on most writes — the same order.
pub(crate) fn radix_sort_top_then_runs(keys: &mut Vec<u64>, idx: &mut Vec<u32>) {
    radix_sort_digits::<8>(keys, idx, 4);
    let n = keys.len();
    let budget = 8 * n;
    let mut moves = 0usize;
    for a in 1..n {
        let k = keys[a];
        if k >= keys[a - 1] {
            continue;
        }
        let v = idx[a];
        let mut b = a;
        while b > 0 && keys[b - 1] > k {
            keys[b] = keys[b - 1];
            idx[b] = idx[b - 1];
            b -= 1;
        }
        keys[b] = k;
        idx[b] = v;
        moves += a - b;
        if moves > budget {
            radix_sort_digits::<8>(keys, idx, 0);
            return;
        }
    }
}

/// [`radix_sort`] from radix pass `first` (lower digits left unsorted).
fn radix_sort_from(keys: &mut Vec<u64>, idx: &mut Vec<u32>, first: usize) {
    radix_sort_digits::<DIGIT>(keys, idx, first);
}

/// [`radix_sort_from`] with digits of `BITS` bits.
fn radix_sort_digits<const BITS: usize>(keys: &mut Vec<u64>, idx: &mut Vec<u32>, first: usize) {
    let n = keys.len();
    if n < 2 {
        return;
    }
    let passes = 64usize.div_ceil(BITS);
    let buckets = 1usize << BITS;
    let mask = (buckets - 1) as u64;
    let mut counts = vec![0usize; passes * buckets];
    for &k in keys.iter() {
        for b in first..passes {
            counts[b * buckets + ((k >> (BITS * b)) & mask) as usize] += 1;
        }
    }
    let mut k2 = vec![0u64; n];
    let mut i2 = vec![0u32; n];
    let mut offset = vec![0usize; buckets];
    for b in first..passes {
        let c = &counts[b * buckets..(b + 1) * buckets];
        if c.contains(&n) {
            continue; // this digit is the same in every key
        }
        let mut sum = 0;
        for d in 0..buckets {
            offset[d] = sum;
            sum += c[d];
        }
        let shift = BITS * b;
        for (&k, &i) in keys.iter().zip(idx.iter()) {
            let d = ((k >> shift) & mask) as usize;
            k2[offset[d]] = k;
            i2[offset[d]] = i;
            offset[d] += 1;
        }
        std::mem::swap(keys, &mut k2);
        std::mem::swap(idx, &mut i2);
    }
}

/// Stable order of `0..n` by `key(i)`, with the sorted keys.
pub(crate) fn sort_by_key_with_keys(n: usize, key: impl Fn(usize) -> u64) -> (Vec<u64>, Vec<u32>) {
    let mut keys: Vec<u64> = (0..n).map(&key).collect();
    let mut idx: Vec<u32> = (0..n as u32).collect();
    radix_sort(&mut keys, &mut idx);
    (keys, idx)
}

/// Stable order of `0..n` by `key(i)`.
pub(crate) fn argsort_by_key(n: usize, key: impl Fn(usize) -> u64) -> Vec<u32> {
    let mut keys: Vec<u64> = (0..n).map(&key).collect();
    let mut idx: Vec<u32> = (0..n as u32).collect();
    radix_sort(&mut keys, &mut idx);
    idx
}

/// Stably re-sorts `idx` (indices below `u32::MAX`) by `key(i)`: equal
/// keys keep their order in `idx`.
pub(crate) fn reorder_by_key(mut idx: Vec<u32>, key: impl Fn(usize) -> u64) -> Vec<u32> {
    let mut keys: Vec<u64> = idx.iter().map(|&i| key(i as usize)).collect();
    radix_sort(&mut keys, &mut idx);
    idx
}

/// Stably re-sorts `order` by the group code of each element (a second,
/// more significant key).
pub(crate) fn stable_by_group(order: Vec<u32>, group: impl Fn(u32) -> u32) -> Vec<u32> {
    let mut keys: Vec<u64> = order.iter().map(|&i| u64::from(group(i))).collect();
    let mut idx = order;
    radix_sort(&mut keys, &mut idx);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_stably_with_signs_and_ties() {
        let v = [3.0, -1.0, 0.0, 10.5, -7.25, 3.0, -0.0, 1e300, -1e-300];
        let order = argsort_by_key(v.len(), |i| asc_key(v[i]));
        let sorted: Vec<f64> = order.iter().map(|&i| v[i as usize]).collect();
        assert_eq!(
            sorted,
            vec![-7.25, -1.0, -1e-300, 0.0, -0.0, 3.0, 3.0, 10.5, 1e300]
        );
        // ties keep their original order
        assert_eq!(&order[3..7], &[2, 6, 0, 5]);
        // Top bits first, then runs: the same order, also when every key
        // shares its top bits.
        // Predictors of both signs over many magnitudes, with ties, too
        // (the passes on 8-bit digits).
        for (scale, len) in [(1.0, 5000), (1e-9, 5000), (1e-9, 50), (-1.0, 20_000)] {
            let mut state = 1u64;
            let vals: Vec<f64> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    if scale < 0.0 {
                        let u = (state >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
                        if state.is_multiple_of(7) {
                            0.25
                        } else {
                            u * 10f64.powi((state % 9) as i32 - 4)
                        }
                    } else {
                        1.0 + scale * ((state >> 40) % 700) as f64
                    }
                })
                .collect();
            let mut keys: Vec<u64> = vals.iter().map(|&v| asc_key(v)).collect();
            let mut idx: Vec<u32> = (0..len as u32).collect();
            radix_sort_top_then_runs(&mut keys, &mut idx);
            assert_eq!(idx, argsort_by_key(len, |i| asc_key(vals[i])));
        }
        let desc = argsort_by_key(v.len(), |i| desc_key(v[i]));
        assert_eq!(desc[0], 7);
        let g = [1u32, 0, 1, 0, 2, 0, 1, 0, 0];
        let by_group = stable_by_group(order, |i| g[i as usize]);
        let gs: Vec<u32> = by_group.iter().map(|&i| g[i as usize]).collect();
        assert_eq!(gs, vec![0, 0, 0, 0, 0, 1, 1, 1, 2]);
        assert_eq!(&by_group[..5], &[1, 8, 5, 3, 7]);
    }
}
