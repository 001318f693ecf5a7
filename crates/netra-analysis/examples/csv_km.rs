//! The CSV path of `netra km --group` without the command line: read the
//! file, pick the complete rows, read times, events and groups, compute the
//! curves and the log-rank test, write JSON — timed phase by phase.
//!
//! Usage: `csv_km FILE [REPEATS] [OUT.json]` (columns `time`, `status`,
//! `group`); prints the best time of each phase in seconds, and writes the
//! summary's JSON to OUT.json (to compare two builds).

use std::path::Path;
use std::time::Instant;

use netra_analysis::analyses::survival::{SurvivalData, SurvivalOptions, summarise};
use netra_analysis::table::{EventCoding, complete_rows, factor, read_events, times};
use netra_frame::Frame;

/// The `netra` binary's allocator, with the same (compile-time) settings, so
/// that the times here are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .ok_or("usage: csv_km FILE [REPEATS] [OUT.json]")?;
    let repeats: usize = args.next().map_or(Ok(3), |r| r.parse())?;
    let out = args.next();
    let columns = ["time", "status", "group"];
    let mut best = [f64::INFINITY; 4];
    let mut json = String::new();
    for _ in 0..repeats.max(1) {
        let t0 = Instant::now();
        let frame = Frame::read(Path::new(&file), Some(&columns))?;
        let t1 = Instant::now();
        let complete = complete_rows::<u32>(&frame, &columns)?;
        let rows = &complete.rows;
        let time = times(frame.column("time")?, rows)?;
        let read = read_events(frame.column("status")?, rows, &EventCoding::default())?;
        let groups = factor(frame.column("group")?, rows);
        let data = SurvivalData {
            time,
            event: read.events,
            group: groups.codes,
            labels: groups.levels,
            weights: None,
        };
        let t2 = Instant::now();
        let (summary, _curves) = summarise(&data, &SurvivalOptions::default())?;
        let t3 = Instant::now();
        json = serde_json::to_string(&summary)?;
        let t4 = Instant::now();
        let phases = [t1 - t0, t2 - t1, t3 - t2, t4 - t0].map(|d| d.as_secs_f64());
        for (b, p) in best.iter_mut().zip(phases) {
            *b = b.min(p);
        }
    }
    println!(
        "read {:.4} s, columns {:.4} s, km+logrank {:.4} s, total {:.4} s",
        best[0], best[1], best[2], best[3]
    );
    if let Some(out) = out {
        std::fs::write(out, json)?;
    }
    Ok(())
}
