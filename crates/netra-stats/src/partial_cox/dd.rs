//! A double-double ("f64 + f64") accumulator for the partial sums.
//!
//! Why: a part's sums are merged in whatever order the parts answer, and a
//! data set can be cut into parts in any way; with plain `f64` additions the
//! merged sum would depend on both in its last bits, and Newton's iterates
//! amplify that. Each value is kept as an unevaluated sum `hi + lo` with
//! `|lo| ≤ ulp(hi)/2`, and every addition is Knuth's error-free TwoSum
//! followed by a renormalisation (the "sloppy" double-double addition of
//! the QD library), so a sum of n terms carries an error of about
//! n·2⁻¹⁰⁶ relative to Σ|terms|: the rounded result is the same to far
//! better than 1e-12 whatever the order of additions and merges.
//! (A separate helper adds a `Sum2` type on the `partials` branch; this one
//! is kept local so the two branches do not conflict.)

/// A compensated sum.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Dd {
    hi: f64,
    lo: f64,
}

#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    (s, err)
}

impl Dd {
    /// Zero.
    pub(crate) const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };

    /// The value rounded to an `f64`.
    #[inline]
    pub(crate) fn value(self) -> f64 {
        self.hi + self.lo
    }

    /// Adds an `f64`.
    #[inline(always)]
    pub(crate) fn add(&mut self, x: f64) {
        let (s, e) = two_sum(self.hi, x);
        let e = e + self.lo;
        let (hi, lo) = two_sum(s, e);
        self.set(s, hi, lo);
    }

    /// Adds another compensated sum.
    #[inline(always)]
    pub(crate) fn add_dd(&mut self, other: Dd) {
        let (s, e) = two_sum(self.hi, other.hi);
        let e = e + self.lo + other.lo;
        let (hi, lo) = two_sum(s, e);
        self.set(s, hi, lo);
    }

    /// Stores a renormalised sum; when the plain sum `s` overflowed (or an
    /// input was not finite) the error terms are NaN, so the plain sum is
    /// kept instead.
    #[inline(always)]
    fn set(&mut self, s: f64, hi: f64, lo: f64) {
        if s.is_finite() && hi.is_finite() {
            self.hi = hi;
            self.lo = lo;
        } else {
            self.hi = s;
            self.lo = 0.0;
        }
    }

    /// The two components, for transport.
    pub(crate) fn parts(self) -> (f64, f64) {
        (self.hi, self.lo)
    }

    /// Rebuilds a sum from [`Dd::parts`] (renormalised, so any pair of
    /// numbers gives a valid sum).
    pub(crate) fn from_parts(hi: f64, lo: f64) -> Dd {
        let mut d = Dd { hi, lo: 0.0 };
        d.add(lo);
        d
    }

    /// Subtracts another compensated sum.
    #[inline(always)]
    pub(crate) fn sub_dd(&mut self, other: Dd) {
        self.add_dd(Dd {
            hi: -other.hi,
            lo: -other.lo,
        });
    }
}

/// Adds `b` to `a` element by element.
#[inline]
pub(crate) fn add_all(a: &mut [Dd], b: &[Dd]) {
    for (x, y) in a.iter_mut().zip(b) {
        x.add_dd(*y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_does_not_change_the_sum() {
        // Terms of very different size with heavy cancellation: a plain
        // f64 sum depends on the order, the compensated one does not.
        let terms = [1e16, 1.0, -1e16, 3.25e-3, 7.0, -2.5e15, 2.5e15, 1e-9];
        let exact = 1.0 + 3.25e-3 + 7.0 + 1e-9;
        let mut fwd = Dd::ZERO;
        terms.iter().for_each(|&t| fwd.add(t));
        let mut rev = Dd::ZERO;
        terms.iter().rev().for_each(|&t| rev.add(t));
        assert_eq!(fwd.value(), exact);
        assert_eq!(rev.value(), exact);
        let plain: f64 = terms.iter().sum();
        assert_ne!(plain, exact);
        // Merging partial sums in two groupings.
        let (mut a, mut b) = (Dd::ZERO, Dd::ZERO);
        terms[..3].iter().for_each(|&t| a.add(t));
        terms[3..].iter().for_each(|&t| b.add(t));
        let mut ab = a;
        ab.add_dd(b);
        let mut ba = b;
        ba.add_dd(a);
        assert_eq!(ab.value(), exact);
        assert_eq!(ba.value(), exact);
    }

    #[test]
    fn overflow_is_kept_as_infinity() {
        let mut a = Dd::ZERO;
        a.add(f64::MAX);
        a.add(f64::MAX);
        assert_eq!(a.value(), f64::INFINITY);
    }
}
