//! Benchmark drivers: each binary reads a benchmark CSV (untimed), then times
//! one netra analysis on the data in memory and prints the best time in
//! seconds, so `bench/*/run.sh` can set it beside R and lifelines.
#![deny(missing_docs)]

use std::path::Path;
use std::time::Instant;

use netra_frame::Frame;

/// A survival data set in memory: times, event flags, 0-based group codes.
#[derive(Debug, Clone)]
pub struct SurvivalColumns {
    /// Follow-up times.
    pub time: Vec<f64>,
    /// Event indicators.
    pub event: Vec<bool>,
    /// Group code of each row.
    pub group: Vec<usize>,
    /// Number of groups.
    pub n_groups: usize,
}

/// Reads `time,status,group` columns of a benchmark CSV.
pub fn read_survival(path: &Path) -> Result<SurvivalColumns, Box<dyn std::error::Error>> {
    let frame = Frame::read(path, Some(&["time", "status", "group"]))?;
    let time_col = frame.column("time")?;
    let status_col = frame.column("status")?;
    let group_col = frame.column("group")?;
    let mut labels: Vec<String> = Vec::new();
    let mut data = SurvivalColumns {
        time: Vec::with_capacity(frame.n_rows()),
        event: Vec::with_capacity(frame.n_rows()),
        group: Vec::with_capacity(frame.n_rows()),
        n_groups: 0,
    };
    for row in 0..frame.n_rows() {
        data.time.push(time_col.number(row)?.ok_or("missing time")?);
        data.event.push(status_col.number(row)? == Some(1.0));
        let label = group_col.raw(row);
        let code = match labels.iter().position(|l| l == label) {
            Some(code) => code,
            None => {
                labels.push(label.to_string());
                labels.len() - 1
            }
        };
        data.group.push(code);
    }
    data.n_groups = labels.len();
    Ok(data)
}

/// Runs `work` `repeats` times and returns the best wall-clock time in seconds.
pub fn best_of<T>(repeats: usize, mut work: impl FnMut() -> T) -> f64 {
    (0..repeats.max(1))
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(work());
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
