//! Times `netra_stats::cuminc` on generated data held in memory: n subjects
//! (default 1e6) in 3 groups, two causes plus censoring, continuous times.
//! Run by `bench/cuminc.sh`; usage: `cuminc_bench [n] [repeats]`.

use std::time::Instant;

use netra_stats::cuminc::{CompetingRisks, CumIncOptions};

/// xorshift64*: deterministic data without a random-number dependency.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        ((self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let repeats: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut time = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut group = Vec::with_capacity(n);
    for _ in 0..n {
        let g = (rng.uniform() * 3.0) as usize;
        // Exponential event and censoring times; the event is cause 1 or 2.
        let event = -(rng.uniform()).ln() * (1.0 + 0.2 * g as f64) * 100.0;
        let censor = -(rng.uniform()).ln() * 150.0;
        let cause = if rng.uniform() < 0.4 { 1 } else { 2 };
        // Rounded to 1/100 of a month, as registry data are: many ties.
        let t = (event.min(censor) * 100.0).round() / 100.0;
        time.push(t);
        status.push(if event <= censor { cause } else { 0 });
        group.push(g);
    }
    let options = CumIncOptions {
        times: vec![12.0, 36.0, 60.0],
        ..CumIncOptions::default()
    };
    let mut best = f64::INFINITY;
    let mut stat = 0.0;
    for _ in 0..repeats {
        let start = Instant::now();
        let data = CompetingRisks::new(&time, &status, Some(&group), None).expect("valid data");
        // Both causes, as cmprsk::cuminc always computes every cause.
        let result = data.analyse(1, &options).expect("cause 1 occurs");
        let other = data.analyse(2, &options).expect("cause 2 occurs");
        let elapsed = start.elapsed().as_secs_f64();
        stat = result.gray.and_then(|g| g.statistic).unwrap_or(f64::NAN);
        assert!(other.curves.len() == 3);
        best = best.min(elapsed);
    }
    println!(
        "netra cuminc, in memory: n = {n}, 3 groups, both causes (curves + Gray's test): best of {repeats} = {:.3} s (cause 1 chi-square {stat:.1})",
        best
    );
}
