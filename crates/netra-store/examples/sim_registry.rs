//! Writes the calibrated simulated bundle (`netra simulate --patients N
//! --seed 1`, study `sim`, one site) and imports it into a fresh SQLite
//! registry (`netra init` + `netra import`): the registry of the
//! benchmarks without building the whole CLI.
//! `cargo run --release -p netra-store --example sim_registry -- N BUNDLE_DIR DB [BUDGET_MB]`
//! (with a budget, the directory is imported block by block,
//! `Registry::import_dir`).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (n, dir, db, budget) = match args.as_slice() {
        [n, dir, db] => (n, dir, db, None),
        [n, dir, db, mb] => (n, dir, db, Some(mb.parse::<u64>().expect("BUDGET_MB"))),
        _ => {
            eprintln!("usage: sim_registry N BUNDLE_DIR DB [BUDGET_MB]");
            std::process::exit(2);
        }
    };
    let cfg = netra_sim::SimConfig {
        patients: n.parse().expect("N is a number"),
        seed: 1,
        study: "sim".into(),
        sites: 1,
        threads: 0,
    };
    let dir = std::path::Path::new(dir);
    let start = std::time::Instant::now();
    if !dir.join("patients.csv").exists() {
        netra_sim::write_bundle(netra_sim::Model::published(), &cfg, dir, &mut |_| {})
            .expect("bundle");
        println!("bundle written in {:.1} s", start.elapsed().as_secs_f64());
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let location = netra_store::Location::parse(db);
        let (reg, _) = netra_store::Registry::init(&location).await.expect("init");
        let start = std::time::Instant::now();
        let opts = netra_store::ImportOptions {
            actor: netra_store::Actor {
                user: "bench".into(),
                reason: Some("benchmark".into()),
            },
            dry_run: false,
        };
        let r = match budget {
            Some(mb) => reg
                .import_dir(dir, &opts, netra_store::ImportBudget { bytes: mb << 20 })
                .await
                .expect("import"),
            None => {
                let bundle = netra_store::Bundle::read_dir(dir).expect("bundle");
                reg.import_bundle(&bundle, &opts).await.expect("import")
            }
        };
        println!(
            "imported {} audit entries in {:.1} s",
            r.audit_entries,
            start.elapsed().as_secs_f64()
        );
        reg.close().await;
    });
}
