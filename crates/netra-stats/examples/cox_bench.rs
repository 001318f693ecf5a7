//! Times `coxph` on data already in memory (the benchmark in `bench/cox/`).
//!
//! `cargo run --release -p netra-stats --example cox_bench -- FILE.csv [repeats]`
//! reads a numeric CSV written by `bench/cox/generate.py` (not timed), then
//! times the design matrix and the Efron fit (with concordance), printing
//! the best of `repeats` runs in seconds.

use std::time::Instant;

use netra_stats::cox::{CoxData, CoxOptions, coxph};
use netra_stats::model::{ColumnData, Design, DesignOptions, Formula, NamedColumn};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: cox_bench FILE.csv [repeats]");
    let repeats: usize = args.next().map_or(3, |r| r.parse().expect("repeats"));
    let text = std::fs::read_to_string(&path).expect("read the CSV");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); header.len()];
    for line in lines {
        for (c, v) in cols.iter_mut().zip(line.split(',')) {
            c.push(v.parse().expect("a number"));
        }
    }
    let get = |name: &str| &cols[header.iter().position(|h| *h == name).expect("column")];
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

    let mut best_design = f64::INFINITY;
    let mut best_fit = f64::INFINITY;
    let mut fit = None;
    for _ in 0..repeats {
        let t0 = Instant::now();
        let design = Design::build(&formula, &named, &DesignOptions::default()).expect("design");
        best_design = best_design.min(t0.elapsed().as_secs_f64());
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
        let t1 = Instant::now();
        let f = coxph(&data, &CoxOptions::default()).expect("fit");
        best_fit = best_fit.min(t1.elapsed().as_secs_f64());
        fit = Some(f);
    }
    let fit = fit.expect("at least one run");
    let coefs: Vec<String> = fit
        .coefficients
        .iter()
        .map(|c| format!("{}={:.6}", c.name, c.coef.unwrap_or(f64::NAN)))
        .collect();
    println!(
        "n={} design_s={best_design:.4} fit_s={best_fit:.4} iter={} loglik={:.6} C={:.6} {}",
        fit.n,
        fit.iterations,
        fit.loglik,
        fit.concordance.map_or(f64::NAN, |c| c.c),
        coefs.join(" ")
    );
}
