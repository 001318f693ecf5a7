//! The CSV path of `netra cox` without the command line: read the file
//! (the request's columns only), fit the model through the analysis layer
//! (`analyses::cox::table::fit`: complete rows, times, events, the design,
//! `coxph` with its tests and concordance), write the output as JSON —
//! timed phase by phase.
//!
//! Usage: `csv_cox FILE [REPEATS] [OUT.json]` on a file of
//! `bench/cox/generate.py` (model `age + ki67 + size + liver + male +
//! grade`, Efron); prints the best time of each phase in seconds and writes
//! the output's JSON to OUT.json (to compare two builds). One repeat is the
//! command's work once, as `netra cox … --format json` does it (run it under
//! `/usr/bin/time -v` for CPU time and peak memory).

use std::path::Path;
use std::time::Instant;

use netra_analysis::analyses::cox::table::{TableCoxRequest, fit};
use netra_frame::Frame;

/// The `netra` binary's allocator, with the same (compile-time) settings, so
/// that the times here are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or("usage: csv_cox FILE [REPEATS] [OUT.json]")?;
    let repeats: usize = args.next().map_or(Ok(1), |r| r.parse())?;
    let out = args.next();
    let request = TableCoxRequest {
        time: "time".into(),
        event: Some("status".into()),
        formula: Some("age + ki67 + size + liver + male + grade".into()),
        ..TableCoxRequest::default()
    };
    let columns = request.columns()?;
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut best = [f64::INFINITY; 4];
    let mut json = String::new();
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let frame = Frame::read(Path::new(&file), Some(&columns))?;
        let t1 = Instant::now();
        let output = fit(&frame, &request)?;
        drop(frame);
        let t2 = Instant::now();
        json = serde_json::to_string_pretty(&output)?;
        let t3 = Instant::now();
        let phases = [t1 - t0, t2 - t1, t3 - t2, t3 - t0].map(|d| d.as_secs_f64());
        for (b, p) in best.iter_mut().zip(phases) {
            *b = b.min(p);
        }
    }
    println!(
        "read {:.4} s, fit (layer) {:.4} s, json {:.4} s, total {:.4} s",
        best[0], best[1], best[2], best[3]
    );
    if let Some(path) = out {
        std::fs::write(path, json)?;
    }
    Ok(())
}
