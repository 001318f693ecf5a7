//! Times `Frame::read` of a whole file (every column), to measure the CSV
//! reader alone. Usage: `read_speed FILE [REPEATS]`: prints the best wall
//! time and the rate; run it under `/usr/bin/time` for the CPU time (user +
//! sys over REPEATS reads), which on a shared machine says more.

use std::path::Path;
use std::time::Instant;

use netra_frame::Frame;

/// The `netra` binary's allocator, with the same (compile-time) settings, so
/// that the times here are the command's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let file = args.next().ok_or("usage: read_speed FILE [REPEATS]")?;
    let repeats: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let bytes = std::fs::metadata(&file)?.len() as f64;
    let mut best = f64::INFINITY;
    let mut rows = 0;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let frame = Frame::read(Path::new(&file), None)?;
        best = best.min(start.elapsed().as_secs_f64());
        rows = frame.n_rows();
    }
    println!(
        "{rows} rows, {:.1} MB: best {best:.4} s ({:.0} MB/s wall)",
        bytes / 1e6,
        bytes / 1e6 / best
    );
    Ok(())
}
