//! Writes a synthetic registry bundle (valid, deterministic, not calibrated)
//! for benchmarks: `cargo run --release -p netra-store --example gen_bundle
//! -- N_PATIENTS DIR [SEED]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: gen_bundle N_PATIENTS DIR [SEED]");
        std::process::exit(2);
    }
    let n: usize = args[1].parse().expect("N_PATIENTS is a number");
    let dir = std::path::Path::new(&args[2]);
    let seed: u64 = args
        .get(3)
        .map_or(1, |s| s.parse().expect("SEED is a number"));
    if let Err(e) = netra_store::synthetic::write_bundle(dir, n, seed) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
