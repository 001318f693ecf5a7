//! What the study tests share: run options with the simulator the `netra`
//! binary hands to study runs (netra-study does not link netra-sim).

use netra_study::RunOptions;
use netra_study::data::SimulationRequest;

/// Writes a simulated registry as `netra report` does.
pub fn simulate(req: &SimulationRequest, dir: &std::path::Path) -> Result<(), String> {
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

/// The default run options with the simulator.
pub fn opts() -> RunOptions {
    RunOptions {
        simulator: Some(simulate),
        ..RunOptions::default()
    }
}
