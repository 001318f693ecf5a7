//! Rows into cells: the one sort and the run-length pass of
//! [`super::SurvivalCounts::from_rows`].

use super::cell::Cell;
use super::survival::Rows;
use crate::km::prep::{self, Rec};

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
pub(super) fn tabulate(rows: &Rows<'_>, n_groups: u32, n_strata: u32) -> Vec<Cell> {
    let k = u64::from(n_groups);
    let combos = k * u64::from(n_strata);
    let max_cause = rows.cause.iter().copied().max().unwrap_or(0);
    if rows.weights.is_none()
        && max_cause <= 1
        && combos <= DENSE_LIMIT
        && let Some(cells) = count_whole_times(rows, k, combos)
    {
        return cells;
    }
    sort_and_tabulate(rows, k, combos, max_cause)
}

/// Entries of [`count_whole_times`]' table allowed per row (at least
/// [`MIN_TABLE`]): the table is scanned whole, so it must not be much
/// larger than the rows.
const TABLE_PER_ROW: usize = 1;
/// Entries the table of [`count_whole_times`] may always have.
const MIN_TABLE: usize = 1 << 12;

/// The cells of unweighted plain survival data (causes 0 and 1) whose
/// times are whole numbers (days, months) — the usual registry export —
/// counted into a table indexed by (time, combination) in one pass, with
/// no sort: the sort of the general path (two 16-byte record buffers and a
/// scatter to one stream per distinct time) was most of the tabulation's
/// cost. The cells are the general path's exactly: every cell is a count,
/// and a sum of unit weights is exact in any order (`Sum2` of k ones is
/// `Sum2::of(k)`, tested against the sort); the table is read in time
/// order, then (stratum, group) order. `None` when a time is not a whole
/// number or the table would be too large (then the sort runs).
fn count_whole_times(rows: &Rows<'_>, k: u64, combos: u64) -> Option<Vec<Cell>> {
    let n = rows.time.len();
    if n == 0 {
        return None;
    }
    let width = combos as usize;
    let most = (TABLE_PER_ROW * n).max(MIN_TABLE);
    // Times are validated finite and >= 0 (-0 is the time 0, as in the
    // sort); `as u32` saturates, so a value it changes is not whole or too
    // large.
    let limit = (most / width).min(u32::MAX as usize) as f64;
    let mut top = 0u32;
    for &t in rows.time {
        let v = t as u32;
        if f64::from(v) != t || t >= limit {
            return None;
        }
        top = top.max(v);
    }
    let size = (top as usize + 1) * width;
    // [rows, events] of each (time, combination).
    let mut table = vec![[0u32; 2]; size];
    let combo = |i: usize| {
        let g = rows.group.map_or(0, |g| g[i]) as usize;
        let s = rows.stratum.map_or(0, |s| s[i]) as usize;
        s * k as usize + g
    };
    for (i, (&t, &cause)) in rows.time.iter().zip(rows.cause).enumerate() {
        let slot = &mut table[t as usize * width + combo(i)];
        slot[0] += 1;
        slot[1] += cause;
    }
    let mut cells = Vec::new();
    for (at, &[count, events]) in table.iter().enumerate() {
        if count == 0 {
            continue;
        }
        let (time, c) = (at / width, (at % width) as u64);
        let key = (time as f64).to_bits();
        let mut cell = Cell::new(key, (c / k) as u32, (c % k) as u32);
        cell.add_unit_rows(u64::from(count), u64::from(events));
        cells.push(cell);
    }
    Some(cells)
}

/// The general path of [`tabulate`]: the sort, then a pass over each run
/// of equal times.
fn sort_and_tabulate(rows: &Rows<'_>, k: u64, combos: u64, max_cause: u32) -> Vec<Cell> {
    let n = rows.time.len();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field of every cell, bits of the sums included.
    fn bits(cells: &[Cell]) -> Vec<String> {
        cells
            .iter()
            .map(|c| {
                let sums = [c.w_event, c.w_censor, c.w2_event, c.w2_censor]
                    .map(|s| (s.parts().0.to_bits(), s.parts().1.to_bits()));
                format!(
                    "{} {} {} {} {} {:?} {:?}",
                    c.time_bits, c.stratum, c.group, c.rows, c.event_rows, sums, c.causes
                )
            })
            .collect()
    }

    /// The counted table gives the sort's cells exactly, on random
    /// unweighted data with whole-number times, groups and strata (zero
    /// and negative-zero times, empty combinations, one row); other data
    /// is left to the sort.
    #[test]
    fn whole_times_are_counted_into_the_cells_the_sort_makes() {
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for case in 0..400 {
            let n = 1 + (next() % 3000) as usize;
            let range = 1 + next() % [5, 100, 4000, 20_000][case % 4];
            let (n_groups, n_strata) = (1 + (next() % 4) as u32, 1 + (next() % 3) as u32);
            let time: Vec<f64> = (0..n)
                .map(|i| match (next() % range) as f64 {
                    0.0 if i % 2 == 0 => -0.0,
                    t => t,
                })
                .collect();
            let cause: Vec<u32> = (0..n).map(|_| (next() % 2) as u32).collect();
            let group: Vec<u32> = (0..n)
                .map(|_| (next() % u64::from(n_groups)) as u32)
                .collect();
            let stratum: Vec<u32> = (0..n)
                .map(|_| (next() % u64::from(n_strata)) as u32)
                .collect();
            let rows = Rows {
                time: &time,
                cause: &cause,
                weights: None,
                group: (n_groups > 1 || case % 3 == 0).then_some(&group[..]),
                stratum: (n_strata > 1).then_some(&stratum[..]),
            };
            let (k, combos) = (u64::from(n_groups), u64::from(n_groups * n_strata));
            let sorted = sort_and_tabulate(&rows, k, combos, 1);
            match count_whole_times(&rows, k, combos) {
                Some(counted) => assert_eq!(bits(&counted), bits(&sorted), "case {case}"),
                // Only a table larger than the rows allow is refused.
                None => {
                    let top = time.iter().fold(0.0f64, |a, &t| a.max(t)) as usize;
                    assert!((top + 1) * combos as usize > (TABLE_PER_ROW * n).max(MIN_TABLE));
                }
            }
            assert_eq!(bits(&tabulate(&rows, n_groups, n_strata)), bits(&sorted));
        }
        // A fraction or a weight goes to the sort.
        let rows = Rows {
            time: &[1.0, 2.5],
            cause: &[1, 0],
            weights: None,
            group: None,
            stratum: None,
        };
        assert!(count_whole_times(&rows, 1, 1).is_none());
        let weighted = Rows {
            time: &[1.0, 2.0],
            weights: Some(&[0.5, 2.0]),
            ..rows
        };
        let cells = tabulate(&weighted, 1, 1);
        assert_eq!(cells[0].w_event.value(), 0.5);
        assert_eq!(cells[1].w_censor.value(), 2.0);
    }
}
