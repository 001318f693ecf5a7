//! Times `Registry::import_bundle` as `netra import --timings` does, without
//! building the whole CLI: `cargo run --release -p netra-store --example
//! import_bench -- DB BUNDLE_DIR` (creates DB when missing; run it twice for
//! a re-import). With a third argument `BUDGET_MB` the directory is
//! imported block by block (`Registry::import_dir` with that memory
//! budget) instead of read whole (`Bundle::read_dir` + `import_bundle`).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 && args.len() != 4 {
        eprintln!("usage: import_bench DB BUNDLE_DIR [BUDGET_MB]");
        std::process::exit(2);
    }
    let location = netra_store::Location::parse(&args[1]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let start = std::time::Instant::now();
        let (reg, _) = netra_store::Registry::init(&location).await.expect("init");
        let opts = netra_store::ImportOptions {
            actor: netra_store::Actor {
                user: "bench".into(),
                reason: Some("benchmark".into()),
            },
            dry_run: false,
        };
        let dir = std::path::Path::new(&args[2]);
        let r = match args.get(3) {
            Some(mb) => {
                let mb: u64 = mb.parse().expect("BUDGET_MB is a number");
                let budget = netra_store::ImportBudget { bytes: mb << 20 };
                reg.import_dir(dir, &opts, budget).await.expect("import")
            }
            None => {
                let bundle = netra_store::Bundle::read_dir(dir).expect("bundle");
                eprintln!("  read bundle: {:.2} s", start.elapsed().as_secs_f64());
                reg.import_bundle(&bundle, &opts).await.expect("import")
            }
        };
        for (phase, secs) in &r.phases {
            eprintln!("  {phase}: {secs:.2} s");
        }
        reg.close().await;
        eprintln!(
            "  total (with close): {:.2} s",
            start.elapsed().as_secs_f64()
        );
        println!(
            "{} changes, {} audit entries, {} tables equal by digest",
            r.changes(),
            r.audit_entries,
            r.equal_by_digest.len()
        );
    });
}
