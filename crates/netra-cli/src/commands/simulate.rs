//! `netra simulate`: writes a synthetic metastatic-NET registry bundle whose
//! marginals are calibrated to the 103-patient retrospective cohort (see
//! `docs/simulator.md`). The same options write the same bytes, whatever the
//! number of threads.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netra_sim::{Model, SimConfig};

/// Arguments of `netra simulate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of patients.
    #[arg(long, default_value_t = 1000)]
    patients: u64,
    /// Seed of the random streams (each patient's records depend only on the
    /// seed and the patient's number).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory (created if missing; it may not hold other CSV files).
    #[arg(long)]
    out: PathBuf,
    /// Study code, also the prefix of patient and centre codes.
    #[arg(long, default_value = "sim")]
    study: String,
    /// Number of participating centres.
    #[arg(long, default_value_t = 1)]
    sites: u32,
    /// Worker threads (default: one per core; the output does not depend on it).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
    /// The model: `published` (the calibrated registry) or `sequence_trial`
    /// (everolimus and chemotherapy after SSA failure with a known effect
    /// of their order; writes `simulation.json` with the truth).
    #[arg(long, default_value = "published", value_parser = ["published", "sequence_trial"])]
    model: String,
    /// With `--model sequence_trial`: also run the simulation study over
    /// this many registries of the same size (coverage in `simulation.json`).
    #[arg(long, default_value_t = 0)]
    coverage: u32,
}

/// Runs `netra simulate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let cfg = SimConfig {
        patients: args.patients,
        seed: args.seed,
        study: args.study,
        sites: args.sites,
        threads: args.threads,
    };
    cfg.validate()?;
    if args.model == "sequence_trial" {
        let started = Instant::now();
        let facts = netra_sim::sequence_registry::write(&cfg, args.coverage as usize, &args.out)
            .with_context(|| format!("writing the simulated bundle to {}", args.out.display()))?;
        println!(
            "wrote {} simulated patients of the sequence trial (seed {}) to {} in {:.1} s",
            cfg.patients,
            cfg.seed,
            args.out.display(),
            started.elapsed().as_secs_f64()
        );
        for (file, rows) in facts.summary.files {
            println!("  {file:<34} {rows:>12} rows");
        }
        println!("  simulation.json (truth and simulation study)");
        return Ok(());
    }
    anyhow::ensure!(
        args.coverage == 0,
        "--coverage is the simulation study of --model sequence_trial"
    );
    let started = Instant::now();
    let model = Model::published();
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(cfg.patients), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "simulating [{bar:25}] {human_pos}/{human_len} patients ({elapsed}, ETA {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    };
    let summary =
        netra_sim::write_bundle(model, &cfg, &args.out, &mut |done| bar.set_position(done))
            .with_context(|| format!("writing the simulated bundle to {}", args.out.display()))?;
    bar.finish_and_clear();
    println!(
        "wrote {} simulated patients (seed {}) to {} in {:.1} s",
        cfg.patients,
        cfg.seed,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    for (file, rows) in summary.files {
        println!("  {file:<34} {rows:>12} rows");
    }
    Ok(())
}

/// Writes the simulated registry a study file asks for (`[data] simulate`,
/// and `netra demo`): the simulator handed to `netra-study`, which does not
/// link netra-sim itself.
pub fn write_for_study(
    req: &netra_study::data::SimulationRequest,
    dir: &std::path::Path,
) -> Result<(), String> {
    let cfg = netra_sim::SimConfig {
        patients: req.patients,
        seed: req.seed,
        study: req.study.clone(),
        sites: req.sites,
        threads: 0,
    };
    cfg.validate().map_err(|e| e.to_string())?;
    match req.model.as_str() {
        "sequence_trial" => {
            netra_sim::sequence_registry::write(&cfg, req.coverage as usize, dir).map(|_| ())
        }
        _ => netra_sim::write_bundle(netra_sim::Model::published(), &cfg, dir, &mut |_| {})
            .map(|_| ()),
    }
    .map_err(|e| e.to_string())
}
