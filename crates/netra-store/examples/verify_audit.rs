//! Times the audit checks of `netra audit verify` on a registry:
//! `cargo run --release -p netra-store --example verify_audit -- DB [--apart] [--sqlx]`.
//! By default the one-pass check (`Registry::verify_audit_and_state`,
//! what the CLI runs); `--apart` also times the chain check and the state
//! check on their own; `--sqlx` also times the `sqlx` paths (PostgreSQL's;
//! slow on a large SQLite registry) and says whether the results agree.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let db = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .expect("usage: verify_audit DB [--apart] [--sqlx]")
        .clone();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let reg = netra_store::Registry::open_url(&db).await.expect("open");
        let start = std::time::Instant::now();
        let (v, s) = reg.verify_audit_and_state().await.expect("verify");
        println!(
            "chain and state (one pass): {} entries, intact {}, head {:?}; {} records, \
             {} differences: {:.2} s",
            v.entries,
            v.is_intact(),
            v.head.as_ref().map(|h| h.0),
            s.records,
            s.differences,
            start.elapsed().as_secs_f64()
        );
        if flag("--apart") {
            let start = std::time::Instant::now();
            let c = reg.verify_audit().await.expect("verify");
            println!(
                "chain alone: same result {}: {:.2} s",
                c == v,
                start.elapsed().as_secs_f64()
            );
            let start = std::time::Instant::now();
            let t = reg.verify_state().await.expect("state");
            println!(
                "state alone: same result {}: {:.2} s",
                t == s,
                start.elapsed().as_secs_f64()
            );
        }
        if flag("--sqlx") {
            let start = std::time::Instant::now();
            let c = reg.verify_audit_paged(8192).await.expect("verify");
            println!(
                "chain through sqlx (paged): same result {}: {:.2} s",
                c == v,
                start.elapsed().as_secs_f64()
            );
            let start = std::time::Instant::now();
            let t = reg.verify_state_by_row().await.expect("state");
            println!(
                "state through sqlx (row by row): same result {}: {:.2} s",
                t == s,
                start.elapsed().as_secs_f64()
            );
        }
        reg.close().await;
    });
}
