//! Rough timing of the partial aggregates on generated data (not a test):
//! tabulating 1e6 rows into a `SurvivalCounts`, merging parts, and
//! evaluating Kaplan–Meier and log-rank from the cells, next to the row path
//! (`km_by_group` + `logrank`) on the same rows. Best of 5.
//!
//! `cargo run --release -p netra-stats --example partial_speed -- 1000000`

use std::time::Instant;

use netra_stats::km::{KmOptions, km_by_group};
use netra_stats::logrank::{Weights, logrank};
use netra_stats::partial::{Rows, SurvivalCounts};

/// A small xorshift generator: reproducible data without a dependency.
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn best_ms<T>(mut f: impl FnMut() -> T) -> f64 {
    (0..5)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .map_or(1_000_000, |a| a.parse().expect("row count"));
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let group: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
    let group_usize: Vec<usize> = group.iter().map(|&g| g as usize).collect();
    let hazard = [0.010, 0.014, 0.020];
    let mut days = Vec::with_capacity(n);
    let mut event = Vec::with_capacity(n);
    for &g in &group {
        let t = -(1.0 - rng.next_f64()).ln() / hazard[g as usize];
        let c = 400.0 * rng.next_f64();
        days.push(t.min(c).ceil());
        event.push(t <= c);
    }
    let cause: Vec<u32> = event.iter().map(|&e| u32::from(e)).collect();
    let options = KmOptions::default();
    let rows_ms = best_ms(|| {
        let curves = km_by_group(&days, &event, None, &group, 3, &options).unwrap();
        let test = logrank(&days, &event, &group_usize, None, Weights::LogRank).unwrap();
        (curves, test.chisq)
    });
    let rows = |range: std::ops::Range<usize>| Rows {
        time: &days[range.clone()],
        cause: &cause[range.clone()],
        weights: None,
        group: Some(&group[range]),
        stratum: None,
    };
    let build_ms = best_ms(|| SurvivalCounts::from_rows(&rows(0..n), 3, 1).unwrap());
    let quarter = n / 4;
    let parts: Vec<SurvivalCounts> = (0..4)
        .map(|k| {
            let end = if k == 3 { n } else { (k + 1) * quarter };
            SurvivalCounts::from_rows(&rows(k * quarter..end), 3, 1).unwrap()
        })
        .collect();
    let merge_ms = best_ms(|| {
        let mut m = parts[0].clone();
        for p in &parts[1..] {
            m.merge(p);
        }
        m
    });
    let whole = SurvivalCounts::from_rows(&rows(0..n), 3, 1).unwrap();
    let eval_ms = best_ms(|| {
        let curves = whole.km_curves(&options).unwrap();
        let test = whole.logrank(Weights::LogRank).unwrap();
        (curves, test.chisq)
    });
    println!(
        "{n} rows x 3 groups, integer days ({} cells): rows path KM + log-rank {rows_ms:.1} ms; \
         partial: tabulate {build_ms:.1} ms, merge 4 parts {merge_ms:.2} ms, KM + log-rank from cells {eval_ms:.2} ms",
        whole.cells().len()
    );
}
