//! Evaluators of a merged [`SurvivalCounts`]: Kaplan–Meier curves, the
//! log-rank family and cumulative incidence, each through the same code as
//! the row path of its module.

use super::cell::Cell;
use super::sum::Sum2;
use super::survival::SurvivalCounts;
use crate::cuminc::tally::CauseCell;
use crate::cuminc::{self, CumInc, CumIncError, CumIncOptions};
use crate::km::prep;
use crate::km::{CurveSettings, KmCurve, KmError, KmOptions, TimeSums};
use crate::logrank::{self, LogrankError, LogrankTest, Weights};

/// At most this many Kaplan–Meier curves (groups × strata) per evaluation.
const MAX_CURVES: usize = 1 << 20;

impl SurvivalCounts {
    /// Kaplan–Meier curves, one per (stratum, group), stratum-major (curve
    /// `s * n_groups + g`); with one stratum, field for field what
    /// [`crate::km::km_by_group`] gives on the rows. `timefix` is applied
    /// here to the union of all times, as `km_by_group` applies it to all
    /// rows before splitting them into groups.
    pub fn km_curves(&self, options: &KmOptions) -> Result<Vec<KmCurve>, KmError> {
        let settings = CurveSettings::new(options, self.fractional_weights())?;
        if self.cells().is_empty() {
            return Err(KmError::Empty);
        }
        let k = self.n_groups() as usize;
        let n_curves = k.saturating_mul(self.n_strata() as usize);
        if n_curves > MAX_CURVES {
            return Err(KmError::InvalidGroupCount(n_curves));
        }
        let fixed = self.fixed_keys(options.timefix);
        // Stable counting split of the cell indices by curve: each curve's
        // cells stay ascending in (fixed) time.
        let curve_of = |c: &Cell| c.stratum as usize * k + c.group as usize;
        let mut bounds = vec![0usize; n_curves + 1];
        for c in self.cells() {
            bounds[curve_of(c) + 1] += 1;
        }
        for i in 0..n_curves {
            bounds[i + 1] += bounds[i];
        }
        let mut next = bounds.clone();
        let mut order = vec![0usize; self.cells().len()];
        for (i, c) in self.cells().iter().enumerate() {
            let slot = &mut next[curve_of(c)];
            order[*slot] = i;
            *slot += 1;
        }
        let robust = settings.robust();
        Ok((0..n_curves)
            .map(|curve| {
                let cells = &order[bounds[curve]..bounds[curve + 1]];
                let mut sums = TimeSums::with_capacity(cells.len(), robust);
                let mut n = 0u64;
                // Cells whose times timefix merged are adjacent: add them up.
                let mut run: Option<(u64, [Sum2; 4])> = None;
                let flush = |run: Option<(u64, [Sum2; 4])>, sums: &mut TimeSums| {
                    if let Some((key, s)) = run {
                        sums.push(f64::from_bits(key), s.map(|x| x.value()), robust);
                    }
                };
                for &i in cells {
                    let c = &self.cells()[i];
                    n = n.saturating_add(c.rows);
                    let s = [c.w_event, c.w_censor, c.w2_event, c.w2_censor];
                    match &mut run {
                        Some((key, acc)) if *key == fixed[i] => {
                            for (a, x) in acc.iter_mut().zip(&s) {
                                a.merge(x);
                            }
                        }
                        _ => {
                            flush(run.take(), &mut sums);
                            run = Some((fixed[i], s));
                        }
                    }
                }
                flush(run, &mut sums);
                settings.curve(sums, usize::try_from(n).unwrap_or(usize::MAX))
            })
            .collect())
    }

    /// The time bits of each cell after R's `aeqSurv` on the union of the
    /// distinct times (or as stored when `timefix` is off).
    fn fixed_keys(&self, timefix: bool) -> Vec<u64> {
        let raw: Vec<u64> = self.cells().iter().map(|c| c.time_bits).collect();
        if !timefix {
            return raw;
        }
        let mut distinct = raw.clone();
        distinct.dedup();
        let cut = prep::timefix_keys(&distinct);
        let mut d = 0;
        raw.iter()
            .map(|&key| {
                while distinct[d] != key {
                    d += 1;
                }
                cut[d]
            })
            .collect()
    }

    /// The k-group comparison with the given weights, stratified by the
    /// strata: what [`crate::logrank::logrank`] gives on the rows (the test
    /// is unweighted by case weights, as there; it counts rows and events).
    /// As on rows, the groups and strata are those up to the largest code
    /// present, and a group without rows is reported with n = 0.
    pub fn logrank(&self, weights: Weights) -> Result<LogrankTest, LogrankError> {
        if self.cells().is_empty() {
            return Err(LogrankError::Empty);
        }
        let k = self
            .cells()
            .iter()
            .map(|c| c.group as usize + 1)
            .max()
            .unwrap_or(1);
        if k > logrank::MAX_GROUPS {
            return Err(LogrankError::TooManyGroups { groups: k });
        }
        let n_strata = self
            .cells()
            .iter()
            .map(|c| c.stratum as usize + 1)
            .max()
            .unwrap_or(1);
        let total = self.rows();
        if n_strata as u64 > total {
            return Err(LogrankError::InvalidStrata(format!(
                "stratum code {} for {total} subjects: codes must be 0-based and below the number of subjects",
                n_strata - 1
            )));
        }
        let mut n = vec![0usize; k];
        let mut events = vec![0usize; k];
        let as_usize = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
        let mut entries = Vec::with_capacity(self.cells().len());
        for c in self.cells() {
            let g = c.group as usize;
            n[g] = n[g].saturating_add(as_usize(c.rows));
            events[g] = events[g].saturating_add(as_usize(c.event_rows));
            entries.push(logrank::Cell {
                time: c.time(),
                stratum: c.stratum,
                group: c.group,
                count: c.rows as f64,
                events: c.event_rows as f64,
            });
        }
        if n.iter().filter(|&&x| x > 0).count() < 2 {
            return Err(LogrankError::OnlyOneGroup);
        }
        logrank::test_of(&entries, n_strata, n, events, weights)
    }

    /// Cumulative incidence of `cause` per group with Gray's variance, and
    /// Gray's test across groups (stratified by the strata): what
    /// [`crate::cuminc::cuminc`] gives on the rows (with their group and
    /// stratum codes). As there, the analysis is unweighted (it counts rows
    /// and failures per cause), times are compared exactly (cmprsk has no
    /// `timefix`), and groups and strata without rows are left out.
    pub fn cuminc(&self, cause: u32, options: &CumIncOptions) -> Result<CumInc, CumIncError> {
        if self.cells().is_empty() {
            return Err(CumIncError::Empty);
        }
        let present = |code: fn(&Cell) -> u32| -> Vec<u32> {
            let mut v: Vec<u32> = self.cells().iter().map(code).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let groups = present(|c| c.group);
        let strata = present(|c| c.stratum);
        let dense = |ids: &[u32], code: u32| ids.binary_search(&code).unwrap_or(0);
        let mut causes: Vec<u32> = Vec::new();
        let as_usize = |x: u64| usize::try_from(x).unwrap_or(usize::MAX);
        let mut by_group: Vec<Vec<CauseCell>> = vec![Vec::new(); groups.len()];
        let mut by_stratum: Vec<Vec<CauseCell>> = vec![Vec::new(); strata.len()];
        for c in self.cells() {
            // An empty list means every event is cause 1 (see `Cell::causes`).
            let own = if c.causes.is_empty() {
                if c.event_rows > 0 {
                    causes.push(1);
                }
                if cause == 1 { c.event_rows } else { 0 }
            } else {
                causes.extend(c.causes.iter().filter(|x| x.rows > 0).map(|x| x.cause));
                c.causes
                    .iter()
                    .find(|x| x.cause == cause)
                    .map_or(0, |x| x.rows)
            };
            let entry = CauseCell {
                time: c.time(),
                group: dense(&groups, c.group) as u32,
                count: as_usize(c.rows),
                fails: [as_usize(own), as_usize(c.event_rows.saturating_sub(own))],
            };
            // Cells are in time order, so each split stays time-sorted.
            by_group[entry.group as usize].push(entry);
            by_stratum[dense(&strata, c.stratum)].push(entry);
        }
        causes.sort_unstable();
        causes.dedup();
        let group_ids: Vec<usize> = groups.iter().map(|&g| g as usize).collect();
        let by_group: Vec<&[CauseCell]> = by_group.iter().map(Vec::as_slice).collect();
        let by_stratum: Vec<&[CauseCell]> = by_stratum.iter().map(Vec::as_slice).collect();
        cuminc::analyse_tallies(&by_group, &group_ids, &by_stratum, &causes, cause, options)
    }
}
