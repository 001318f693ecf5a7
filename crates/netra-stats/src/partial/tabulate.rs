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
