//! [`SurvivalCounts`]: the additive partial aggregate of right-censored (and
//! competing-risks) data, and its evaluators.

use super::PartialError;
use super::cell::Cell;
use super::sum::Sum2;
use crate::cuminc::tally::CauseCell;
use crate::cuminc::{self, CumInc, CumIncError, CumIncOptions};
use crate::km::prep::{self, Rec};
use crate::km::{CurveSettings, KmCurve, KmError, KmOptions, TimeSums};
use crate::logrank::{self, LogrankError, LogrankTest, Weights};

/// Rows to tabulate (borrowed columns, one value per row).
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    /// Follow-up times: finite, ≥ 0.
    pub time: &'a [f64],
    /// 0 = censored, c ≥ 1 = event of cause c (plain survival data: 1).
    pub cause: &'a [u32],
    /// Case weights (finite, ≥ 0); `None` for weight 1.
    pub weights: Option<&'a [f64]>,
    /// 0-based groups; `None` for one group.
    pub group: Option<&'a [u32]>,
    /// 0-based strata; `None` for one stratum.
    pub stratum: Option<&'a [u32]>,
}

/// Additive sums of right-censored data per (time, stratum, group): see the
/// module documentation of [`crate::partial`].
///
/// Build with [`SurvivalCounts::from_rows`] (or [`SurvivalCounts::new`] and
/// [`SurvivalCounts::update`]), combine with [`SurvivalCounts::merge`],
/// evaluate with [`SurvivalCounts::km_curves`] and
/// [`SurvivalCounts::logrank`]. [`SurvivalCounts::from_parts`] rebuilds one
/// from its parts (after serialisation) and checks them.
#[derive(Debug, Clone, PartialEq)]
pub struct SurvivalCounts {
    cells: Vec<Cell>,
    n_groups: u32,
    n_strata: u32,
    fractional_weights: bool,
}

fn check_count(what: &'static str, value: u32) -> Result<(), PartialError> {
    if value == 0 {
        Err(PartialError::InvalidCount { what, value })
    } else {
        Ok(())
    }
}

impl SurvivalCounts {
    /// An empty partial with `n_groups` groups and `n_strata` strata (both
    /// ≥ 1).
    pub fn new(n_groups: u32, n_strata: u32) -> Result<SurvivalCounts, PartialError> {
        check_count("n_groups", n_groups)?;
        check_count("n_strata", n_strata)?;
        Ok(SurvivalCounts {
            cells: Vec::new(),
            n_groups,
            n_strata,
            fractional_weights: false,
        })
    }

    /// Tabulates rows: one sort of the time bits (the Kaplan–Meier module's
    /// radix sort), then one run-length pass into cells. No rows gives an
    /// empty partial (a site without patients), not an error.
    pub fn from_rows(
        rows: &Rows<'_>,
        n_groups: u32,
        n_strata: u32,
    ) -> Result<SurvivalCounts, PartialError> {
        let mut out = SurvivalCounts::new(n_groups, n_strata)?;
        out.fractional_weights = validate_rows(rows, n_groups, n_strata)?;
        out.cells = tabulate(rows, n_groups, n_strata);
        Ok(out)
    }

    /// Adds rows to this partial (tabulated, then merged).
    pub fn update(&mut self, rows: &Rows<'_>) -> Result<(), PartialError> {
        let other = SurvivalCounts::from_rows(rows, self.n_groups, self.n_strata)?;
        self.merge(&other);
        Ok(())
    }

    /// Adds another partial: a sort-merge of the two cell lists, adding cells
    /// with equal keys; the declared numbers of groups and strata become the
    /// larger of the two, `fractional_weights` the OR. Commutative and
    /// associative (up to the rounding of [`Sum2`], see its guarantee).
    pub fn merge(&mut self, other: &SurvivalCounts) {
        let mine = std::mem::take(&mut self.cells);
        let mut out = Vec::with_capacity(mine.len() + other.cells.len());
        let mut b = other.cells.iter().peekable();
        for mut a in mine {
            while let Some(c) = b.next_if(|c| c.key() < a.key()) {
                out.push(c.clone());
            }
            if let Some(c) = b.next_if(|c| c.key() == a.key()) {
                a.merge(c);
            }
            out.push(a);
        }
        out.extend(b.cloned());
        self.cells = out;
        self.n_groups = self.n_groups.max(other.n_groups);
        self.n_strata = self.n_strata.max(other.n_strata);
        self.fractional_weights |= other.fractional_weights;
    }

    /// Rebuilds a partial from its parts, checking every invariant the
    /// evaluators rely on: cells strictly ascending by key, times finite and
    /// ≥ 0 (no −0), group and stratum below the declared counts, at least one
    /// row per cell and no more events than rows, sums finite and ≥ 0, and a
    /// cause list that is ascending, of causes ≥ 1, adding up to the events.
    pub fn from_parts(
        cells: Vec<Cell>,
        n_groups: u32,
        n_strata: u32,
        fractional_weights: bool,
    ) -> Result<SurvivalCounts, PartialError> {
        let mut out = SurvivalCounts::new(n_groups, n_strata)?;
        for (index, c) in cells.iter().enumerate() {
            let bad = |reason: &'static str| Err(PartialError::InvalidCell { index, reason });
            let t = c.time();
            if !(t.is_finite() && t >= 0.0) || c.time_bits == (-0.0f64).to_bits() {
                return bad("time is not a finite number >= 0 (or is -0)");
            }
            if index > 0 && cells[index - 1].key() >= c.key() {
                return bad("cells are not strictly ascending by (time, stratum, group)");
            }
            if c.group >= n_groups || c.stratum >= n_strata {
                return bad("group or stratum is not below the declared count");
            }
            if c.rows == 0 || c.event_rows > c.rows {
                return bad("a cell needs rows >= 1 and event_rows <= rows");
            }
            let sums = [c.w_event, c.w_censor, c.w2_event, c.w2_censor];
            if sums.iter().any(|s| !sum_ok(s)) {
                return bad("a weight sum is not a finite number >= 0");
            }
            if !c.causes.is_empty() {
                let ascending = c.causes.windows(2).all(|w| w[0].cause < w[1].cause);
                let total: u64 = c.causes.iter().map(|x| x.rows).sum();
                if !ascending
                    || c.causes[0].cause == 0
                    || total != c.event_rows
                    || c.causes.iter().any(|x| !sum_ok(&x.weight))
                {
                    return bad("causes are not ascending causes >= 1 adding up to event_rows");
                }
            }
        }
        out.cells = cells;
        // Canonical form: a list holding only cause 1 is left implicit.
        for c in &mut out.cells {
            if c.causes.len() == 1 && c.causes[0].cause == 1 {
                c.causes.clear();
            }
        }
        out.fractional_weights = fractional_weights;
        Ok(out)
    }

    /// The cells, ascending by (time, stratum, group).
    pub fn cells(&self) -> &[Cell] {
        &self.cells
    }

    /// The declared number of groups.
    pub fn n_groups(&self) -> u32 {
        self.n_groups
    }

    /// The declared number of strata.
    pub fn n_strata(&self) -> u32 {
        self.n_strata
    }

    /// True when some case weight was not an integer (R's `survfit` then
    /// uses the robust variance).
    pub fn fractional_weights(&self) -> bool {
        self.fractional_weights
    }

    /// Total number of rows.
    pub fn rows(&self) -> u64 {
        self.cells
            .iter()
            .fold(0u64, |a, c| a.saturating_add(c.rows))
    }

    /// True when no row has been added.
    pub fn is_empty(&self) -> bool {
        self.cells.is_empty()
    }

    /// Kaplan–Meier curves, one per (stratum, group), stratum-major (curve
    /// `s * n_groups + g`); with one stratum, field for field what
    /// [`crate::km::km_by_group`] gives on the rows. `timefix` is applied
    /// here to the union of all times, as `km_by_group` applies it to all
    /// rows before splitting them into groups.
    pub fn km_curves(&self, options: &KmOptions) -> Result<Vec<KmCurve>, KmError> {
        let settings = CurveSettings::new(options, self.fractional_weights)?;
        if self.cells.is_empty() {
            return Err(KmError::Empty);
        }
        let k = self.n_groups as usize;
        let n_curves = k.saturating_mul(self.n_strata as usize);
        if n_curves > MAX_CURVES {
            return Err(KmError::InvalidGroupCount(n_curves));
        }
        let fixed = self.fixed_keys(options.timefix);
        // Stable counting split of the cell indices by curve: each curve's
        // cells stay ascending in (fixed) time.
        let curve_of = |c: &Cell| c.stratum as usize * k + c.group as usize;
        let mut bounds = vec![0usize; n_curves + 1];
        for c in &self.cells {
            bounds[curve_of(c) + 1] += 1;
        }
        for i in 0..n_curves {
            bounds[i + 1] += bounds[i];
        }
        let mut next = bounds.clone();
        let mut order = vec![0usize; self.cells.len()];
        for (i, c) in self.cells.iter().enumerate() {
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
                    let c = &self.cells[i];
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
        let raw: Vec<u64> = self.cells.iter().map(|c| c.time_bits).collect();
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
        if self.cells.is_empty() {
            return Err(LogrankError::Empty);
        }
        let k = self
            .cells
            .iter()
            .map(|c| c.group as usize + 1)
            .max()
            .unwrap_or(1);
        if k > logrank::MAX_GROUPS {
            return Err(LogrankError::TooManyGroups { groups: k });
        }
        let n_strata = self
            .cells
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
        let mut entries = Vec::with_capacity(self.cells.len());
        for c in &self.cells {
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
}

impl SurvivalCounts {
    /// Cumulative incidence of `cause` per group with Gray's variance, and
    /// Gray's test across groups (stratified by the strata): what
    /// [`crate::cuminc::cuminc`] gives on the rows (with their group and
    /// stratum codes). As there, the analysis is unweighted (it counts rows
    /// and failures per cause), times are compared exactly (cmprsk has no
    /// `timefix`), and groups and strata without rows are left out.
    pub fn cuminc(&self, cause: u32, options: &CumIncOptions) -> Result<CumInc, CumIncError> {
        if self.cells.is_empty() {
            return Err(CumIncError::Empty);
        }
        let present = |code: fn(&Cell) -> u32| -> Vec<u32> {
            let mut v: Vec<u32> = self.cells.iter().map(code).collect();
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
        for c in &self.cells {
            let list = c.cause_sums();
            causes.extend(list.iter().filter(|x| x.rows > 0).map(|x| x.cause));
            let own = list.iter().find(|x| x.cause == cause).map_or(0, |x| x.rows);
            let entry = CauseCell {
                time: c.time(),
                group: dense(&groups, c.group) as u32,
                count: as_usize(c.rows),
                fails: [as_usize(own), as_usize(c.event_rows - own)],
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

/// Largest number of (stratum, group) combinations, and of causes, that
/// the dense tabulation packs into a record (16 bits each).
const DENSE_LIMIT: u64 = 1 << 16;

/// The cells of validated rows: one stable radix sort of the time bits (the
/// Kaplan–Meier module's), then one pass over each run of equal times. With
/// few (stratum, group) combinations and causes — the usual case — both are
/// packed into the sort record, so the pass reads the records sequentially
/// and adds each row to its combination's cell through a dense slot table;
/// otherwise each run is sorted by (stratum, group, row). Either way the
/// rows of a cell are added in row order, so the sums do not depend on the
/// order of the input.
fn tabulate(rows: &Rows<'_>, n_groups: u32, n_strata: u32) -> Vec<Cell> {
    let n = rows.time.len();
    let k = u64::from(n_groups);
    let combos = k * u64::from(n_strata);
    let max_cause = rows.cause.iter().copied().max().unwrap_or(0);
    let dense = combos <= DENSE_LIMIT && u64::from(max_cause) < DENSE_LIMIT;
    let group = |row: usize| rows.group.map_or(0, |g| g[row]);
    let stratum = |row: usize| rows.stratum.map_or(0, |s| s[row]);
    let weight = |row: usize| rows.weights.map_or(1.0, |w| w[row]);
    let mut recs: Vec<Rec> = rows
        .time
        .iter()
        .enumerate()
        .map(|(i, &t)| Rec {
            key: if t == 0.0 { 0 } else { t.to_bits() },
            row: i as u32,
            gs: if dense {
                let combo = u64::from(stratum(i)) * k + u64::from(group(i));
                ((combo as u32) << 16) | rows.cause[i]
            } else {
                0
            },
        })
        .collect();
    prep::radix_sort(&mut recs, &mut Vec::new());
    let mut cells = Vec::new();
    let mut i = 0;
    if dense {
        const NONE: u32 = u32::MAX;
        let mut slot = vec![NONE; combos as usize];
        let mut run: Vec<(u32, Cell)> = Vec::new();
        while i < n {
            let key = recs[i].key;
            while i < n && recs[i].key == key {
                let r = recs[i];
                let combo = r.gs >> 16;
                let at = &mut slot[combo as usize];
                if *at == NONE {
                    *at = run.len() as u32;
                    let (s, g) = (u64::from(combo) / k, u64::from(combo) % k);
                    run.push((combo, Cell::new(key, s as u32, g as u32)));
                }
                run[*at as usize]
                    .1
                    .add_row(r.gs & 0xFFFF, weight(r.row as usize));
                i += 1;
            }
            // Combination order is (stratum, group) order.
            run.sort_unstable_by_key(|&(combo, _)| combo);
            for (combo, cell) in run.drain(..) {
                slot[combo as usize] = NONE;
                cells.push(cell);
            }
        }
        return cells;
    }
    // (stratum << 32 | group, row) of one run of equal times.
    let mut run: Vec<(u64, u32)> = Vec::new();
    while i < n {
        let key = recs[i].key;
        let mut j = i + 1;
        while j < n && recs[j].key == key {
            j += 1;
        }
        run.clear();
        run.extend(recs[i..j].iter().map(|r| {
            let row = r.row as usize;
            (
                (u64::from(stratum(row)) << 32) | u64::from(group(row)),
                r.row,
            )
        }));
        run.sort_unstable();
        let mut a = 0;
        while a < run.len() {
            let sg = run[a].0;
            let mut cell = Cell::new(key, (sg >> 32) as u32, sg as u32);
            while a < run.len() && run[a].0 == sg {
                let row = run[a].1 as usize;
                cell.add_row(rows.cause[row], weight(row));
                a += 1;
            }
            cells.push(cell);
        }
        i = j;
    }
    cells
}

/// At most this many Kaplan–Meier curves (groups × strata) per evaluation.
const MAX_CURVES: usize = 1 << 20;

fn sum_ok(s: &Sum2) -> bool {
    let (hi, lo) = s.parts();
    hi.is_finite() && lo.is_finite() && hi >= 0.0
}

/// Checks the rows; returns whether some weight is not an integer.
fn validate_rows(rows: &Rows<'_>, n_groups: u32, n_strata: u32) -> Result<bool, PartialError> {
    let n = rows.time.len();
    let check = |what: &'static str, len: usize| {
        if len == n {
            Ok(())
        } else {
            Err(PartialError::LengthMismatch {
                what,
                expected: n,
                found: len,
            })
        }
    };
    check("cause", rows.cause.len())?;
    if let Some(w) = rows.weights {
        check("weights", w.len())?;
    }
    if let Some(g) = rows.group {
        check("group", g.len())?;
        if let Some(row) = g.iter().position(|&x| x >= n_groups) {
            return Err(PartialError::GroupOutOfRange {
                row,
                group: g[row],
                n_groups,
            });
        }
    }
    if let Some(s) = rows.stratum {
        check("stratum", s.len())?;
        if let Some(row) = s.iter().position(|&x| x >= n_strata) {
            return Err(PartialError::StratumOutOfRange {
                row,
                stratum: s[row],
                n_strata,
            });
        }
    }
    if n > u32::MAX as usize {
        return Err(PartialError::TooManyRows(n));
    }
    if let Some(row) = rows.time.iter().position(|t| !(t.is_finite() && *t >= 0.0)) {
        return Err(PartialError::InvalidTime {
            row,
            value: rows.time[row],
        });
    }
    let mut fractional = false;
    if let Some(w) = rows.weights {
        if let Some(row) = w.iter().position(|x| !(x.is_finite() && *x >= 0.0)) {
            return Err(PartialError::InvalidWeight { row, value: w[row] });
        }
        fractional = w.iter().any(|x| *x != x.floor());
    }
    Ok(fractional)
}
