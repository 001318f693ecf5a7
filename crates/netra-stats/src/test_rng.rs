//! The generator of the crate's randomised unit tests: Knuth's MMIX
//! linear congruential step, so that each test's sequence is fixed by its
//! seed and needs no dependency.

/// A 64-bit linear congruential generator seeded with `state`.
pub(crate) struct Lcg(pub u64);

impl Lcg {
    /// The next state.
    pub(crate) fn step(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }

    /// A uniform in [0, 1) from the state's top 53 bits.
    pub(crate) fn unit53(&mut self) -> f64 {
        (self.step() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A uniform in [0, 1) from the state's top 31 bits.
    pub(crate) fn unit31(&mut self) -> f64 {
        (self.step() >> 33) as f64 / (1u64 << 31) as f64
    }
}
