//! Times `coxph` on data already in memory (the benchmark in `bench/cox/`).
//!
//! `cargo run --release -p netra-stats --example cox_bench -- FILE.csv [repeats]`
//! reads a numeric CSV written by `bench/cox/generate.py` (not timed), then
//! times building the design matrix and the Efron fit (with concordance, as
//! `coxph` always computes it), printing the best of `repeats` runs in
//! seconds, the mean CPU time of a fit (all threads), and the fit's peak memory beyond the data (Linux: peak RSS
//! reset through `/proc/self/clear_refs` before the first fit).

use std::io::BufRead;
use std::time::Instant;

use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::model::{ColumnData, Design, DesignOptions, Formula, NamedColumn};

/// The `netra` binary's allocator, with the same (compile-time) settings, so
/// that the times here are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// CPU time (user + system, all threads, finished ones included) of this
/// process in seconds (Linux `/proc/self/stat`, in USER_HZ = 100 ticks:
/// 10 ms resolution, so it is averaged over the repeats).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) end with ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Resident and peak resident memory of this process in bytes (Linux).
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: cox_bench FILE.csv [repeats]");
    let repeats: usize = args.next().map_or(3, |r| r.parse().expect("repeats"));
    let file = std::fs::File::open(&path).expect("open the CSV");
    let mut lines = std::io::BufReader::with_capacity(1 << 20, file).lines();
    let header_line = lines.next().expect("header").expect("read");
    let header: Vec<String> = header_line.split(',').map(str::to_string).collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
    for line in lines {
        let line = line.expect("read");
        for (c, v) in cols.iter_mut().zip(line.split(',')) {
            c.push(v.parse().expect("a number"));
        }
    }
    let get = |name: &str| &cols[header.iter().position(|h| h == name).expect("column")];
    let time = get("time").clone();
    let event: Vec<bool> = get("status").iter().map(|&s| s == 1.0).collect();
    let named: Vec<NamedColumn<'_>> = header
        .iter()
        .zip(&cols)
        .map(|(h, c)| NamedColumn {
            name: h,
            data: ColumnData::Numeric(c),
        })
        .collect();
    let formula = Formula::parse("age + ki67 + size + liver + male + grade").expect("formula");
    let design = Design::build(&formula, &named, &DesignOptions::default()).expect("design");
    // The data a fit starts from: time, event and the six covariates.
    let input_bytes = (time.len() * (8 + 1) + design.x.len() * 8) as u64;

    let before = memory();
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let mut best_design = f64::INFINITY;
    let mut best_fit = f64::INFINITY;
    let mut fit = None;
    let mut cpu_fit = 0.0;
    for _ in 0..repeats {
        drop(fit.take()); // the previous fit's memory is not the next one's
        let t0 = Instant::now();
        let d = Design::build(&formula, &named, &DesignOptions::default()).expect("design");
        best_design = best_design.min(t0.elapsed().as_secs_f64());
        drop(d);
        let data = CoxData {
            time: &time,
            event: &event,
            start: None,
            x: &design.x,
            names: &design.names,
            weights: None,
            strata: None,
            cluster: None,
        };
        let c1 = cpu_seconds();
        let t1 = Instant::now();
        let f = coxph(&data, &CoxOptions::default()).expect("fit");
        best_fit = best_fit.min(t1.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c1, cpu_seconds()) {
            cpu_fit += b - a;
        }
        fit = Some(f);
    }
    let after = memory();
    let extra = match (before, after) {
        (Some((rss, _)), Some((_, hwm))) if hwm > rss => (hwm - rss) as f64,
        _ => f64::NAN,
    };
    let fit = fit.expect("at least one run");
    let coefs: Vec<String> = fit
        .coefficients
        .iter()
        .map(|c| format!("{}={:.6}", c.name, c.coef.unwrap_or(f64::NAN)))
        .collect();
    println!(
        "n={} design_s={best_design:.4} fit_s={best_fit:.4} fit_cpu_s={:.4} fit_extra_mb={:.1} input_mb={:.1} \
         iter={} loglik={:.6} C={:.6} {}",
        fit.n,
        cpu_fit / repeats as f64,
        extra / 1e6,
        input_bytes as f64 / 1e6,
        fit.iterations,
        fit.loglik,
        fit.concordance.map_or(f64::NAN, |c| c.c),
        coefs.join(" ")
    );
}
