//! What the estimator and Gray's test read: time-sorted entries that are
//! either subjects (rows, count 1) or tabulated cells of a partial aggregate
//! (`crate::partial`), each with a count and its failures of the cause of
//! interest and of other causes. Both go through the same generic code, so
//! rows and partial aggregates are one implementation; for rows it compiles
//! to the per-subject loops cmprsk runs.

use super::CENSORED;

/// Time-sorted entries of one group or one stratum.
pub(crate) trait Tally {
    /// True when every entry is one subject (rows): numbers at risk are then
    /// positions and need no summing, as in cmprsk.
    const UNIT: bool;
    /// Number of entries.
    fn len(&self) -> usize;
    /// Time of entry i.
    fn time(&self, i: usize) -> f64;
    /// Subjects of entry i.
    fn count(&self, i: usize) -> usize;
    /// Adds the failures of entry i to `fails`: `[of the cause, of any
    /// other cause]`.
    fn add_fails(&self, i: usize, cause: u32, fails: &mut [usize; 2]);
    /// Dense group of entry i (Gray's test).
    fn group(&self, i: usize) -> usize;
}

/// Subjects as the row path holds them: parallel columns (`group` may be
/// empty when not needed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Subjects<'a> {
    pub time: &'a [f64],
    pub status: &'a [u32],
    pub group: &'a [u32],
}

impl Tally for Subjects<'_> {
    const UNIT: bool = true;
    #[inline]
    fn len(&self) -> usize {
        self.time.len()
    }
    #[inline]
    fn time(&self, i: usize) -> f64 {
        self.time[i]
    }
    #[inline]
    fn count(&self, _: usize) -> usize {
        1
    }
    #[inline]
    fn add_fails(&self, i: usize, cause: u32, fails: &mut [usize; 2]) {
        match self.status[i] {
            CENSORED => {}
            s if s == cause => fails[0] += 1,
            _ => fails[1] += 1,
        }
    }
    #[inline]
    fn group(&self, i: usize) -> usize {
        self.group[i] as usize
    }
}

/// Subjects of one (time, stratum, group) with their failures of the cause
/// analysed, tabulated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct CauseCell {
    pub time: f64,
    /// Dense group.
    pub group: u32,
    pub count: usize,
    /// `[of the cause, of other causes]`.
    pub fails: [usize; 2],
}

impl Tally for &[CauseCell] {
    const UNIT: bool = false;
    #[inline]
    fn len(&self) -> usize {
        <[CauseCell]>::len(self)
    }
    #[inline]
    fn time(&self, i: usize) -> f64 {
        self[i].time
    }
    #[inline]
    fn count(&self, i: usize) -> usize {
        self[i].count
    }
    #[inline]
    fn add_fails(&self, i: usize, _: u32, fails: &mut [usize; 2]) {
        fails[0] += self[i].fails[0];
        fails[1] += self[i].fails[1];
    }
    #[inline]
    fn group(&self, i: usize) -> usize {
        self[i].group as usize
    }
}
