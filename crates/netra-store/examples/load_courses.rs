//! Times `Registry::courses` (every patient's course) on a registry:
//! `cargo run --release -p netra-store --example load_courses -- DB [--sqlx]`
//! (`--sqlx`: also the `sqlx` loader that PostgreSQL uses, one result row
//! per patient and table, and whether both agree).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let db = std::env::args().nth(1).expect("usage: load_courses DB");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let reg = netra_store::Registry::open_url(&db).await.expect("open");
        let start = std::time::Instant::now();
        let all = reg
            .courses(&netra_store::CourseFilter::default())
            .await
            .expect("courses");
        let rows: usize = all
            .iter()
            .map(|c| {
                1 + c.tumours.len()
                    + c.metastases.len()
                    + c.biomarkers.len()
                    + c.treatments.len()
                    + c.treatments
                        .iter()
                        .map(|t| t.agents.len() + t.administrations.len())
                        .sum::<usize>()
                    + c.assessments.len()
                    + c.assessments.iter().map(|a| a.lesions.len()).sum::<usize>()
                    + c.clinical_status.len()
                    + c.adverse_events.len()
            })
            .sum();
        println!(
            "{} courses ({rows} records) loaded in {:.2} s",
            all.len(),
            start.elapsed().as_secs_f64()
        );
        if std::env::args().any(|a| a == "--sqlx") {
            let start = std::time::Instant::now();
            let old = reg
                .courses_by_patient(&netra_store::CourseFilter::default())
                .await
                .expect("courses");
            println!(
                "sqlx loader (a row per patient and table): {} courses, same result {}: {:.2} s",
                old.len(),
                old == all,
                start.elapsed().as_secs_f64()
            );
        }
        reg.close().await;
    });
}
