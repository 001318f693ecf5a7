//! Kaplan–Meier per group plus the log-rank test on a benchmark CSV held in
//! memory, as R's `survfit(Surv(time, status) ~ group)` + `survdiff(...)`.
//!
//! Usage: `bench-survival FILE [REPEATS]` — prints the best time in seconds.

use std::path::PathBuf;

use netra_bench::{best_of, read_survival};
use netra_stats::km::{KmOptions, km_by_group};
use netra_stats::logrank::{Weights, logrank};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: bench-survival FILE [REPEATS]")?);
    let repeats: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let data = read_survival(&path)?;
    let codes: Vec<u32> = data.group.iter().map(|&g| g as u32).collect();
    let options = KmOptions::default();
    let seconds = best_of(repeats, || {
        let curves = km_by_group(
            &data.time,
            &data.event,
            None,
            &codes,
            data.n_groups,
            &options,
        )
        .expect("curves");
        let medians: Vec<_> = curves.iter().map(|c| c.median()).collect();
        let test = logrank(&data.time, &data.event, &data.group, None, Weights::LogRank)
            .expect("log-rank");
        (medians, test.chisq)
    });
    println!("{seconds:.6}");
    Ok(())
}
