//! One step of the engine's scale benchmark (`bench/engine/run.sh`) without
//! the `netra` binary: the calls `netra km --group arm --engine datafusion`
//! and `netra cox --engine datafusion` make (`Engine::survival` then the
//! analysis layer's `summarise_partial`; `Engine::cox` with Efron ties),
//! on the generator's columns, printing the result as JSON. Why: the binary
//! links the whole registry (database, server, reports), whose release build
//! did not fit the session's build budget; the engine's work is the same.
//!
//! `cargo run --release -p netra-engine --example bench_engine -- km|cox DIR`

use netra_analysis::analyses::survival::{SurvivalOptions, summarise_partial};
use netra_analysis::table::EventCoding;
use netra_engine::cox::{CoxOptions, CoxSpec, Ties, model_out};
use netra_engine::survival::SurvivalSpec;
use netra_engine::{Engine, Source};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let step = args.get(1).ok_or("km|cox")?;
    let source = Source::at(std::path::Path::new(args.get(2).ok_or("DIR")?));
    let engine = Engine::with_all_cores()?;
    let out = match step.as_str() {
        "km" => {
            let spec = SurvivalSpec {
                time: "time".into(),
                event: "status".into(),
                coding: EventCoding::default(),
                group: Some("arm".into()),
                weights: None,
            };
            let tally = engine.survival(&source, &spec)?;
            let (summary, _) = summarise_partial(
                &tally.partial,
                &tally.labels,
                tally.weighted,
                &SurvivalOptions::default(),
            )?;
            serde_json::to_string_pretty(&summary)?
        }
        "cox" => {
            let spec = CoxSpec {
                time: "time".into(),
                event: "status".into(),
                coding: EventCoding::default(),
                covariates: (1..=6).map(|j| format!("x{j}")).collect(),
                strata: None,
                weights: None,
            };
            let opts = CoxOptions {
                ties: Ties::Efron,
                ..Default::default()
            };
            let result = engine.cox(&source, &spec, &opts)?;
            let mut v = serde_json::to_value(model_out(&result))?;
            v["passes"] = result.passes.into();
            serde_json::to_string_pretty(&v)?
        }
        other => return Err(format!("unknown step {other}: km or cox").into()),
    };
    println!("{out}");
    Ok(())
}
