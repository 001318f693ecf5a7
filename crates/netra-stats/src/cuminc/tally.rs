//! What the estimator and Gray's test read: time-sorted entries that are
//! either subjects (rows, count 1) or tabulated cells of a partial aggregate
//! (`crate::partial`), each with a count and its failures of the cause of
//! interest and of other causes. Both go through the same generic code, so
//! rows and partial aggregates are one implementation; for rows it compiles
//! to the per-subject loops cmprsk runs.

use super::CENSORED;

/// Time-sorted entries of one group or one stratum.
pub(crate) trait Tally {
    /// Number of entries.
    fn len(&self) -> usize;
    /// Time of entry i.
    fn time(&self, i: usize) -> f64;
    /// Subjects of entry i.
    fn count(&self, i: usize) -> usize;
    /// Failures of entry i: `[of the cause, of any other cause]`.
    fn fails(&self, i: usize, cause: u32) -> [usize; 2];
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
    fn fails(&self, i: usize, cause: u32) -> [usize; 2] {
        match self.status[i] {
            CENSORED => [0, 0],
            s if s == cause => [1, 0],
            _ => [0, 1],
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
    fn fails(&self, i: usize, _: u32) -> [usize; 2] {
        self[i].fails
    }
    #[inline]
    fn group(&self, i: usize) -> usize {
        self[i].group as usize
    }
}
