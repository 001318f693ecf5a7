//! Times line, endpoint and sequence derivation on a simulated registry held
//! in memory (the registry load is not timed: `Registry::courses` is the
//! store's benchmark). Run through `bench/endpoints.sh`:
//!
//! ```sh
//! cargo run --release -p netra-sim --example bench_endpoints -- 100000
//! ```

use std::time::Instant;

use netra_clinical::endpoints::{
    Censoring, Endpoint, EndpointSpec, TimeZero, derive_cohort, line_outcomes_with, par_map,
};
use netra_clinical::lines::LineRules;
use netra_clinical::sequences::{SequenceOptions, analyse};
use netra_sim::{Model, SimConfig};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let t = Instant::now();
    let cfg = SimConfig {
        patients: n,
        seed: 1,
        study: "sim".into(),
        sites: 1,
        threads: 1,
    };
    let model = Model::published();
    let idx: Vec<u64> = (0..n).collect();
    let courses = par_map(&idx, |&i| netra_sim::generate(model, &cfg, i));
    let assessments: usize = courses.iter().map(|c| c.assessments.len()).sum();
    let treatments: usize = courses.iter().map(|c| c.treatments.len()).sum();
    println!(
        "generated {n} patients ({treatments} treatments, {assessments} assessments) in {:.2} s (not part of the derivation)",
        t.elapsed().as_secs_f64()
    );
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    println!("threads available: {threads}");
    let rules = LineRules::default();

    let t = Instant::now();
    let lines = par_map(&courses, |c| {
        line_outcomes_with(c, &rules, Censoring::LastAdequateAssessment)
    });
    let n_lines: usize = lines.iter().map(|p| p.lines.len()).sum();
    println!(
        "lines of therapy with response evaluation, TTP and PFS per line: {n_lines} lines in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    for (e, from) in [
        (Endpoint::Os, TimeZero::Metastatic),
        (Endpoint::Pfs, TimeZero::Line(1)),
        (Endpoint::Pfs, TimeZero::EachLine),
        (Endpoint::Efs, TimeZero::Metastatic),
    ] {
        let t = Instant::now();
        let out = derive_cohort(&courses, &EndpointSpec::new(e, from), &rules);
        println!(
            "endpoint {} from {}: {} rows in {:.2} s (lines derived inside)",
            e.code(),
            from.code(),
            out.rows.len(),
            t.elapsed().as_secs_f64()
        );
    }

    let t = Instant::now();
    let a = analyse(&lines, &SequenceOptions::default()).expect("analysis");
    println!(
        "sequence analysis (reach, pathways, per-line KM and rates, Sankey): {} pathways in {:.3} s",
        a.pathways.len(),
        t.elapsed().as_secs_f64()
    );
}
