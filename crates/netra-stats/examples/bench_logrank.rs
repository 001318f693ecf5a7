//! Times the log-rank family on generated data held in memory (no I/O):
//! 3 groups, exponential survival with group hazards 1 : 1.2 : 1.5 and about
//! 30 % censoring, either with continuous times (every time distinct) or
//! rounded to whole days (many ties, as registry data).
//!
//! ```sh
//! cargo run --release -p netra-stats --example bench_logrank -- 1000000 10000000
//! ```

use std::time::Instant;

use netra_stats::logrank::{LogrankData, Weights};
use netra_stats::multiple::Adjust;

/// A small deterministic generator (SplitMix64), so runs are repeatable and
/// the library needs no random-number dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next_f64(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        ((z >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

struct Data {
    time: Vec<f64>,
    event: Vec<bool>,
    group: Vec<usize>,
    strata: Vec<usize>,
}

fn generate(n: usize, days: bool) -> Data {
    let mut rng = SplitMix(20240611);
    let hazard = [1.0 / 900.0, 1.2 / 900.0, 1.5 / 900.0];
    let mut d = Data {
        time: Vec::with_capacity(n),
        event: Vec::with_capacity(n),
        group: Vec::with_capacity(n),
        strata: Vec::with_capacity(n),
    };
    for i in 0..n {
        let g = i % 3;
        let t = -rng.next_f64().ln() / hazard[g];
        let c = -rng.next_f64().ln() / (0.4 / 900.0);
        let (mut time, event) = if t <= c { (t, true) } else { (c, false) };
        if days {
            time = time.ceil();
        }
        d.time.push(time);
        d.event.push(event);
        d.group.push(g);
        d.strata.push(usize::from(rng.next_f64() < 0.5));
    }
    d
}

fn time<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    println!("  {label:<44} {:>9.3} s", start.elapsed().as_secs_f64());
    out
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("sizes are row counts"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000_000, 10_000_000]
    } else {
        sizes
    };
    for &n in &sizes {
        for days in [true, false] {
            let d = generate(n, days);
            println!(
                "{n} rows x 3 groups, {} times:",
                if days { "whole-day" } else { "continuous" }
            );
            let data = time("prepare (validate + sort)", || {
                LogrankData::new(&d.time, &d.event, &d.group, None).unwrap()
            });
            let t = time("log-rank", || data.test(Weights::LogRank).unwrap());
            time("Fleming-Harrington G(1, 1)", || {
                data.test(Weights::FlemingHarrington {
                    rho: 1.0,
                    gamma: 1.0,
                })
                .unwrap()
            });
            time("pairwise log-rank (3 pairs, Holm)", || {
                data.pairwise(Weights::LogRank, Adjust::Holm).unwrap()
            });
            time("prepare + log-rank, one call", || {
                netra_stats::logrank::logrank(&d.time, &d.event, &d.group, None, Weights::LogRank)
                    .unwrap()
            });
            time("stratified (2 strata): prepare + log-rank", || {
                netra_stats::logrank::logrank(
                    &d.time,
                    &d.event,
                    &d.group,
                    Some(&d.strata),
                    Weights::LogRank,
                )
                .unwrap()
            });
            println!("  (chisq = {:.3} on {} df)", t.chisq, t.df);
        }
    }
}
