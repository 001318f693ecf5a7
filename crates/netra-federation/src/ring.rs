//! The finite ring of secure aggregation: integers modulo 2^256, and the
//! fixed-point encoding of the partial sums in it.
//!
//! Additive masks only hide a value in a finite ring (a uniformly random
//! element plus anything is uniformly random), so the per-site sums are
//! encoded as integers modulo 2^256 before they are masked:
//!
//! * **counts** (patients, events, rows of a cell) as themselves: exact;
//! * **real sums** (`Σx`, `Σ e^η x xᵀ` …, each a double-double `hi + lo`)
//!   in two's-complement fixed point with [`FRAC`] = 96 fractional bits:
//!   `round(v · 2^96)`, which is exact for every double of magnitude at
//!   least 2^-44 (its last bit is above 2^-96) and otherwise rounds at
//!   2^-97 ≈ 6e-30 absolute. The integer part has 255 − 96 = 159 bits: a
//!   sum of magnitude up to 2^158 ≈ 3.7e47 is represented exactly in the
//!   ring, so adding the sites' values (and the masks) modulo 2^256 and
//!   decoding gives the pooled sum with no overflow and an error below
//!   2^-96 per site — 20 orders of magnitude below the 1e-7 (Cox) and 1e-9
//!   (Kaplan–Meier) tolerances. A value at or beyond 2^158 is refused
//!   ([`RingError::OutOfRange`]) rather than wrapped; in a Cox iteration it
//!   takes a linear predictor above about 105 (`e^105` ≈ 4e45 times the
//!   covariates), where R warns that a coefficient may be infinite.
//!
//! Decoding turns the pooled integer back into a double-double (`hi` the
//! nearest-ish double, `lo` the exact remainder's double), so the pooled
//! sums keep the ~106 bits the kernels' own double-double sums carry.

use std::fmt;

/// Fractional bits of the fixed-point encoding of real sums.
pub const FRAC: i32 = 96;

/// Bits of the integer part (sign included) that a value may use: values
/// of magnitude `2^(LIMIT_BITS)` and above are refused.
const LIMIT_BITS: i32 = 158;

/// An element of Z / 2^256 (four 64-bit limbs, least significant first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
pub struct R256(pub [u64; 4]);

/// Why a value cannot be encoded or decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RingError {
    /// Not a finite number.
    #[error("a sum is not a finite number ({0})")]
    NotFinite(f64),
    /// Too large for the fixed-point range.
    #[error("a sum ({0:e}) is beyond the fixed-point range of secure aggregation (2^158)")]
    OutOfRange(f64),
    /// A ring element that should be a count is negative or above 2^64.
    #[error("a pooled count is not a count (negative or above 2^64): a node sent a bad value")]
    NotACount,
    /// Text that is not 64 hexadecimal digits.
    #[error("'{0}' is not a ring element (64 hexadecimal digits)")]
    BadHex(String),
    /// A packed vector that is not base64 of whole 32-byte elements.
    #[error("a packed vector is not base64 of 32-byte ring elements ({0})")]
    BadPacked(String),
}

impl R256 {
    /// Zero.
    pub const ZERO: R256 = R256([0; 4]);

    /// `self + other` modulo 2^256.
    pub fn wrapping_add(self, other: R256) -> R256 {
        let mut out = [0u64; 4];
        let mut carry = false;
        for (k, o) in out.iter_mut().enumerate() {
            let (s1, c1) = self.0[k].overflowing_add(other.0[k]);
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *o = s2;
            carry = c1 || c2;
        }
        R256(out)
    }

    /// `−self` modulo 2^256.
    pub fn wrapping_neg(self) -> R256 {
        R256(self.0.map(|l| !l)).wrapping_add(R256([1, 0, 0, 0]))
    }

    /// `self − other` modulo 2^256.
    pub fn wrapping_sub(self, other: R256) -> R256 {
        self.wrapping_add(other.wrapping_neg())
    }

    /// A count, exactly.
    pub fn count(n: u64) -> R256 {
        R256([n, 0, 0, 0])
    }

    /// The element as a count (pooled counts are non-negative and far
    /// below 2^64).
    pub fn to_count(self) -> Result<u64, RingError> {
        if self.0[1..].iter().any(|&l| l != 0) {
            return Err(RingError::NotACount);
        }
        Ok(self.0[0])
    }

    fn negative(self) -> bool {
        self.0[3] >> 63 == 1
    }

    /// `round(v · 2^FRAC)` in two's complement; refuses non-finite values
    /// and values of magnitude `2^158` or more.
    pub fn fixed(v: f64) -> Result<R256, RingError> {
        if !v.is_finite() {
            return Err(RingError::NotFinite(v));
        }
        if v == 0.0 {
            return Ok(R256::ZERO);
        }
        if v.abs() >= 2f64.powi(LIMIT_BITS) {
            return Err(RingError::OutOfRange(v));
        }
        let bits = v.to_bits();
        let exp = ((bits >> 52) & 0x7ff) as i32;
        let frac = bits & ((1u64 << 52) - 1);
        // v = m · 2^e exactly.
        let (m, e) = if exp == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), exp - 1075)
        };
        let shift = e + FRAC;
        let magnitude = if shift >= 0 {
            shl(m, shift as u32)
        } else if shift <= -64 {
            R256::ZERO
        } else {
            // Round half up at the last kept bit.
            let s = (-shift) as u32;
            let kept = m >> s;
            let round = (m >> (s - 1)) & 1;
            R256::count(kept + round)
        };
        Ok(if v < 0.0 {
            magnitude.wrapping_neg()
        } else {
            magnitude
        })
    }

    /// The fixed-point value of a double-double sum `hi + lo`, exactly as
    /// each part encodes (the parts are encoded separately and added).
    pub fn fixed_dd(hi: f64, lo: f64) -> Result<R256, RingError> {
        Ok(R256::fixed(hi)?.wrapping_add(R256::fixed(lo)?))
    }

    /// An approximation of the signed fixed-point value as a double.
    fn approx(self) -> f64 {
        let (neg, m) = if self.negative() {
            (true, self.wrapping_neg())
        } else {
            (false, self)
        };
        let v =
            m.0.iter()
                .rev()
                .fold(0.0, |acc, &l| acc * 2f64.powi(64) + l as f64)
                * 2f64.powi(-FRAC);
        if neg { -v } else { v }
    }

    /// The signed fixed-point value as a double-double `(hi, lo)`
    /// (normalised: `|lo| ≤ ulp(hi)/2` up to rounding of the remainder).
    pub fn to_dd(self) -> (f64, f64) {
        let hi = self.approx();
        let lo = match R256::fixed(hi) {
            Ok(h) => self.wrapping_sub(h).approx(),
            Err(_) => 0.0,
        };
        let s = hi + lo;
        (s, lo - (s - hi))
    }

    /// The value as one double.
    pub fn to_f64(self) -> f64 {
        let (hi, lo) = self.to_dd();
        hi + lo
    }

    /// 64 hexadecimal digits, most significant first.
    pub fn to_hex(self) -> String {
        self.to_string()
    }

    /// Reads [`R256::to_hex`]'s text.
    pub fn from_hex(text: &str) -> Result<R256, RingError> {
        let bad = || RingError::BadHex(text.chars().take(80).collect());
        if text.len() != 64 || !text.is_ascii() {
            return Err(bad());
        }
        let mut limbs = [0u64; 4];
        for (k, l) in limbs.iter_mut().enumerate() {
            let from = (3 - k) * 16;
            *l = u64::from_str_radix(&text[from..from + 16], 16).map_err(|_| bad())?;
        }
        Ok(R256(limbs))
    }
}

/// Bytes of one element in a packed vector.
pub const BYTES: usize = 32;

impl R256 {
    /// The element's 32 bytes, least significant first.
    pub fn to_le_bytes(self) -> [u8; BYTES] {
        let mut out = [0u8; BYTES];
        for (k, l) in self.0.iter().enumerate() {
            out[8 * k..8 * k + 8].copy_from_slice(&l.to_le_bytes());
        }
        out
    }

    /// Reads [`R256::to_le_bytes`].
    pub fn from_le_bytes(bytes: &[u8; BYTES]) -> R256 {
        let mut limbs = [0u64; 4];
        for (k, l) in limbs.iter_mut().enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[8 * k..8 * k + 8]);
            *l = u64::from_le_bytes(b);
        }
        R256(limbs)
    }
}

/// A vector as it travels: base64 (standard alphabet, padded) of its
/// elements' little-endian bytes, one after another. A masked element is
/// uniformly random, so nothing shorter than its 32 bytes can carry it;
/// this costs 42.7 characters an element where 64 hexadecimal digits in a
/// JSON array cost 67.
pub fn pack(v: &[R256]) -> String {
    use base64::Engine as _;
    let mut bytes = Vec::with_capacity(v.len() * BYTES);
    for x in v {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Reads [`pack`]'s text.
pub fn unpack(text: &str) -> Result<Vec<R256>, RingError> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| RingError::BadPacked(e.to_string()))?;
    if bytes.len() % BYTES != 0 {
        return Err(RingError::BadPacked(format!(
            "{} bytes, not a multiple of {BYTES}",
            bytes.len()
        )));
    }
    Ok(bytes
        .chunks_exact(BYTES)
        .map(|c| {
            let mut b = [0u8; BYTES];
            b.copy_from_slice(c);
            R256::from_le_bytes(&b)
        })
        .collect())
}

impl fmt::Display for R256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in self.0.iter().rev() {
            write!(f, "{l:016x}")?;
        }
        Ok(())
    }
}

/// `m · 2^s` for `s + 64 ≤ 256` (guaranteed by the range check).
fn shl(m: u64, s: u32) -> R256 {
    let mut out = [0u64; 4];
    let (limb, off) = ((s / 64) as usize, s % 64);
    if limb < 4 {
        out[limb] = m << off;
    }
    if off > 0 && limb + 1 < 4 {
        out[limb + 1] = m >> (64 - off);
    }
    R256(out)
}

/// Adds `b` into `a` element by element (vectors of equal length).
pub fn add_into(a: &mut [R256], b: &[R256]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x = x.wrapping_add(*y);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_arithmetic_wraps_and_negates() {
        let max = R256([u64::MAX; 4]);
        assert_eq!(max.wrapping_add(R256::count(1)), R256::ZERO);
        assert_eq!(
            R256::count(5).wrapping_sub(R256::count(7)),
            R256::count(2).wrapping_neg()
        );
        assert_eq!(
            R256::count(2).wrapping_neg().wrapping_add(R256::count(2)),
            R256::ZERO
        );
        let x = R256([1, 2, 3, 4]);
        assert_eq!(R256::from_hex(&x.to_hex()).unwrap(), x);
        assert!(R256::from_hex("zz").is_err());
        let v = vec![x, R256::ZERO, R256([u64::MAX; 4]), R256::count(7)];
        let packed = pack(&v);
        // 128 bytes: 43 groups of four characters.
        assert_eq!(packed.len(), 172);
        assert_eq!(unpack(&packed).unwrap(), v);
        assert!(unpack("AAAA").is_err(), "3 bytes are not an element");
        assert!(unpack("not base64!").is_err());
        assert_eq!(unpack("").unwrap(), Vec::<R256>::new());
        assert!(R256::count(3).wrapping_neg().to_count().is_err());
    }

    /// Doubles of every magnitude the sums meet encode exactly (or to
    /// 2^-97) and decode to themselves.
    #[test]
    fn fixed_point_round_trips_extreme_values() {
        for v in [
            1.0,
            -1.0,
            0.1,
            -1e-20,
            1e-25,
            123_456_789.123_456_7,
            -3.7e40,
            2f64.powi(157),
            -(2f64.powi(157)),
            f64::MIN_POSITIVE,
            1e-300,
        ] {
            let e = R256::fixed(v).unwrap();
            let (hi, lo) = e.to_dd();
            let tol = 2f64.powi(-FRAC);
            assert!((hi + lo - v).abs() <= tol, "{v}: {hi} + {lo}");
            if v.abs() >= 2f64.powi(-40) {
                assert_eq!(hi, v, "exact for {v}");
                assert_eq!(lo, 0.0);
            }
        }
        assert!(R256::fixed(2f64.powi(158)).is_err());
        assert!(R256::fixed(f64::NAN).is_err());
        assert!(R256::fixed(f64::INFINITY).is_err());
    }

    /// A double-double sum keeps its low part: 1e30 + 1e-3 survives.
    #[test]
    fn double_double_sums_keep_their_low_part() {
        let e = R256::fixed_dd(1e30, 1e-3).unwrap();
        let (hi, lo) = e.to_dd();
        assert_eq!(hi, 1e30);
        assert!((lo - 1e-3).abs() < 1e-20, "{lo}");
        // Adding sites of opposite signs cancels exactly.
        let a = R256::fixed(1e40).unwrap();
        let b = R256::fixed(-1e40).unwrap();
        let c = R256::fixed(0.25).unwrap();
        assert_eq!(a.wrapping_add(b).wrapping_add(c).to_f64(), 0.25);
    }
}
