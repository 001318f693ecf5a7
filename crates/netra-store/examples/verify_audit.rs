//! Times the audit checks of `netra audit verify` on a registry:
//! `cargo run --release -p netra-store --example verify_audit -- DB [--by-entry] [--no-state]`.
//! `--by-entry` also times the entry-by-entry chain check (the reference).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let db = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .expect("usage: verify_audit DB [--by-entry] [--no-state]")
        .clone();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let reg = netra_store::Registry::open_url(&db).await.expect("open");
        let start = std::time::Instant::now();
        let v = reg.verify_audit().await.expect("verify");
        println!(
            "chain (paged): {} entries, intact {}, head {:?}: {:.2} s",
            v.entries,
            v.is_intact(),
            v.head.as_ref().map(|h| h.0),
            start.elapsed().as_secs_f64()
        );
        if flag("--by-entry") {
            let start = std::time::Instant::now();
            let r = reg.verify_audit_by_entry().await.expect("verify");
            println!(
                "chain (entry by entry): {} entries, same result {}: {:.2} s",
                r.entries,
                r == v,
                start.elapsed().as_secs_f64()
            );
        }
        if !flag("--no-state") {
            let start = std::time::Instant::now();
            let s = reg.verify_state().await.expect("state");
            println!(
                "state (replay): {} records, {} differences: {:.2} s",
                s.records,
                s.differences,
                start.elapsed().as_secs_f64()
            );
        }
        reg.close().await;
    });
}
