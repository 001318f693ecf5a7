//! Times loading every course and building the analysis cohort (every
//! registry variable) of a registry, with the peak resident memory after
//! each step: `cargo run --release -p netra-store --example cohort_build -- DB`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Peak and current resident memory (`VmHWM`, `VmRSS`) in MB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (100 per second here).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn main() {
    let db = std::env::args().nth(1).expect("usage: cohort_build DB");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let start = std::time::Instant::now();
    let courses = rt.block_on(async {
        let reg = netra_store::Registry::open_url(&db).await.expect("open");
        let all = reg
            .courses(&netra_store::CourseFilter::default())
            .await
            .expect("courses");
        reg.close().await;
        all
    });
    let (peak, now) = rss();
    println!(
        "courses: {} loaded in {:.2} s (CPU {:.1} s); peak RSS {peak:.0} MB, RSS {now:.0} MB",
        courses.len(),
        start.elapsed().as_secs_f64(),
        cpu_seconds()
    );
    let (cpu0, start) = (cpu_seconds(), std::time::Instant::now());
    let settings = netra_analysis::RuleSettings::default()
        .resolve()
        .expect("settings");
    let cohort =
        netra_analysis::Cohort::new(courses, &netra_analysis::CohortSpec::default(), settings)
            .expect("cohort");
    let (peak, now) = rss();
    println!(
        "cohort: {} patients, {} variables built in {:.2} s (CPU {:.1} s); peak RSS {peak:.0} MB, RSS {now:.0} MB",
        cohort.len(),
        cohort.frame.variables().len(),
        start.elapsed().as_secs_f64(),
        cpu_seconds() - cpu0
    );
}
