//! [`Sum2`]: a double-double ("compensated") accumulator whose result does
//! not depend on the order in which values are added or partial sums merged.
//!
//! # Why
//!
//! A partial aggregate is summed at several places (hospitals, cluster
//! partitions) and the partial sums are merged in whatever order they
//! arrive. Plain `f64` addition is not associative: adding the same case
//! weights in a different order changes the last bits, and a merged result
//! would then depend on the shape of the merge tree. Evaluated statistics
//! must agree to 1e-12 relative whatever that shape, so each sum is kept as
//! an unevaluated pair `hi + lo` of doubles (about 106 significant bits):
//!
//! * [`Sum2::add`] uses Knuth's TwoSum, which yields the exact rounding
//!   error of `hi + x`, and folds it into `lo`;
//! * [`Sum2::merge`] adds the two `hi` with TwoSum and the two `lo` plainly;
//! * after each step the pair is renormalised (Dekker's Fast2Sum) so that
//!   `hi` is the double nearest to `hi + lo`, and [`Sum2::value`] is `hi`.
//!
//! # Guarantee
//!
//! The error of the pair after any sequence of adds and merges of values
//! `x_i` is at most about `n · 2⁻¹⁰⁶ · Σ|x_i|`. Unless the sum cancels to
//! below roughly `2⁻⁵³ / n` of `Σ|x_i|` (pathological cancellation — case
//! weights and squared weights are non-negative and never cancel), every
//! order therefore rounds to the same double, or to one of its two
//! neighbours when the exact sum lies next to a rounding boundary: results
//! agree to 1 ulp (2.2e-16 relative). Sums of integers below 2⁵³ (unit
//! weights, counts) are exact in any order. Merging is commutative bit for
//! bit (`a.merge(b)` and `b.merge(a)` give the same pair).
//!
//! Non-finite inputs are not expected (weights are checked before they are
//! added); they propagate to `hi` as in ordinary addition.

/// A sum kept as `hi + lo` with `|lo| <= ulp(hi) / 2` (see the module doc).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sum2 {
    hi: f64,
    lo: f64,
}

/// Knuth's TwoSum: `s = fl(a + b)` and the exact error `a + b − s`.
#[inline]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let e = (a - (s - bb)) + (b - bb);
    (s, e)
}

/// Dekker's Fast2Sum (needs `|a| >= |b|` or `a = 0`): renormalises a pair.
#[inline]
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let e = b - (s - a);
    (s, e)
}

impl Sum2 {
    /// The empty sum, 0.
    pub const ZERO: Sum2 = Sum2 { hi: 0.0, lo: 0.0 };

    /// A sum holding the single value `x`.
    pub fn of(x: f64) -> Sum2 {
        Sum2 { hi: x, lo: 0.0 }
    }

    /// Adds one value.
    #[inline]
    pub fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.hi, x);
        let (hi, lo) = fast_two_sum(s, e + self.lo);
        self.set(hi, lo);
    }

    /// Adds another partial sum (commutative bit for bit).
    #[inline]
    pub fn merge(&mut self, other: &Sum2) {
        let (s, e) = two_sum(self.hi, other.hi);
        let (hi, lo) = fast_two_sum(s, e + (self.lo + other.lo));
        self.set(hi, lo);
    }

    /// `hi`, `lo` after a step; a non-finite `hi` (only from non-finite
    /// input) keeps `lo` at 0 so that the value stays that of plain addition.
    #[inline]
    fn set(&mut self, hi: f64, lo: f64) {
        if hi.is_finite() {
            self.hi = hi;
            self.lo = lo;
        } else {
            self.hi = hi;
            self.lo = 0.0;
        }
    }

    /// The sum rounded to a double.
    #[inline]
    pub fn value(&self) -> f64 {
        self.hi
    }

    /// The two parts `(hi, lo)`, for serialisation; [`Sum2::from_parts`]
    /// rebuilds the same sum.
    pub fn parts(&self) -> (f64, f64) {
        (self.hi, self.lo)
    }

    /// Rebuilds a sum from `(hi, lo)` as returned by [`Sum2::parts`]; parts
    /// from elsewhere are renormalised, so any pair of doubles is accepted
    /// and `from_parts(p).parts() == p` for pairs that came from `parts()`.
    pub fn from_parts(hi: f64, lo: f64) -> Sum2 {
        let (s, e) = two_sum(hi, lo);
        let mut out = Sum2::ZERO;
        out.set(s, e);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_what_plain_addition_loses() {
        let mut s = Sum2::default();
        s.add(1e16);
        s.add(1.0);
        s.add(-1e16);
        assert_eq!(s.value(), 1.0);
        let mut a = Sum2::of(0.1);
        let b = Sum2::of(0.2);
        a.merge(&b);
        let (hi, lo) = a.parts();
        assert_eq!(hi, 0.1 + 0.2);
        assert_ne!(lo, 0.0, "the rounding error of 0.1 + 0.2 is kept");
        assert_eq!(Sum2::from_parts(hi, lo), a);
    }

    #[test]
    fn merge_is_commutative_bit_for_bit() {
        let mut a = Sum2::default();
        let mut b = Sum2::default();
        for i in 0..100 {
            a.add(0.1 * i as f64);
            b.add(1.0 / (i as f64 + 3.0));
        }
        let mut ab = a;
        ab.merge(&b);
        let mut ba = b;
        ba.merge(&a);
        assert_eq!(ab.parts(), ba.parts());
    }

    #[test]
    fn from_parts_renormalises() {
        let s = Sum2::from_parts(1.0, 1.0);
        assert_eq!(s.parts(), (2.0, 0.0));
    }
}
