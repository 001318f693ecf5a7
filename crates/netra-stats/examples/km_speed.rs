//! Rough timing of `km_by_group` on generated data (not a test; the combined
//! benchmark against R and lifelines lives in `bench/`).
//!
//! `cargo run --release -p netra-stats --example km_speed -- 1000000 10000000`

use std::time::Instant;

use netra_stats::km::{KmOptions, km_by_group};

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

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("row count"))
        .collect();
    let sizes = if sizes.is_empty() {
        vec![1_000_000]
    } else {
        sizes
    };
    for n in sizes {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let group: Vec<u32> = (0..n).map(|i| (i % 3) as u32).collect();
        let hazard = [0.010, 0.014, 0.020];
        let mut continuous = Vec::with_capacity(n);
        let mut event = Vec::with_capacity(n);
        for &g in &group {
            let t = -(1.0 - rng.next_f64()).ln() / hazard[g as usize];
            let c = 400.0 * rng.next_f64();
            continuous.push(t.min(c));
            event.push(t <= c);
        }
        let days: Vec<f64> = continuous.iter().map(|t: &f64| t.ceil()).collect();
        for (label, time) in [("integer days", &days), ("continuous", &continuous)] {
            let options = KmOptions::default();
            let start = Instant::now();
            let curves = km_by_group(time, &event, None, &group, 3, &options).unwrap();
            let medians: Vec<_> = curves.iter().map(|c| c.median().estimate).collect();
            let fit = start.elapsed();
            println!(
                "{n:>9} rows x 3 groups, {label:<12}: {:>8.1} ms (curves + medians), steps {:?}, medians {:?}",
                fit.as_secs_f64() * 1e3,
                curves.iter().map(|c| c.len()).collect::<Vec<_>>(),
                medians
            );
        }
    }
}
