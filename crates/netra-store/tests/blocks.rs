//! A bundle directory imported block by block (`Registry::import_dir` with a
//! tiny budget: many blocks of a few patients) gives what the whole-bundle
//! import gives: the same report, registry, audit entries (as a set: they
//! come block by block), problem messages in the same order, and nothing
//! written when any block, the last included, has a problem.

mod common;

use std::path::Path;

use common::*;
use netra_store::{Bundle, ImportReport, Registry, StoreError};

/// The audit entries without seq, time and hash, sorted.
type Entry = (String, String, String, Option<String>, Option<String>);

async fn entries(reg: &Registry) -> Vec<Entry> {
    let mut v: Vec<Entry> = reg
        .audit_log(&netra_store::AuditQuery::default())
        .await
        .unwrap()
        .into_iter()
        .map(|e| {
            (
                e.action,
                e.table_name,
                e.record_key,
                e.old_values,
                e.new_values,
            )
        })
        .collect();
    v.sort();
    v
}

async fn whole(reg: &Registry, dir: &Path) -> Result<ImportReport, StoreError> {
    let b = Bundle::read_dir(dir)?;
    reg.import_bundle(&b, &opts("tester")).await
}

async fn blocks(reg: &Registry, dir: &Path, csv_bytes: u64) -> Result<ImportReport, StoreError> {
    reg.import_dir(dir, &opts("tester"), budget(csv_bytes))
        .await
}

#[tokio::test]
async fn many_blocks_import_as_the_whole_bundle() {
    let tmp = tempfile::tempdir().unwrap();
    let full = tmp.path().join("full");
    netra_store::synthetic::write_bundle(&full, 30, 5).unwrap();
    // Lesions in another order than by patient: read through many runs.
    let shuffled = tmp.path().join("shuffled");
    copy_dir(&full, &shuffled);
    edit_file(&shuffled, "lesions.csv", |l| l[1..].reverse());
    // A re-import with a changed cell, an added and a removed record.
    let changed = tmp.path().join("changed");
    copy_dir(&full, &changed);
    edit_file(&changed, "clinical_status.csv", |l| {
        l.pop();
    });
    edit_file(&changed, "patients.csv", |l| {
        let last = l.len() - 1;
        l[last] = l[last].replace(",male,", ",female,");
    });
    edit_file(&changed, "biomarkers.csv", |l| {
        let mut extra: Vec<String> = l[1].split(',').map(str::to_string).collect();
        extra[1] = if extra[1] == "gastrin" {
            "insulin"
        } else {
            "gastrin"
        }
        .into();
        l.push(extra.join(","));
    });
    for backend in backends() {
        let a = TestDb::new(backend).await;
        let b = TestDb::new(backend).await;
        for (dir, what) in [
            (&full, "fresh"),
            (&full, "again"),
            (&changed, "changed"),
            (&shuffled, "shuffled"),
        ] {
            let ra = whole(&a.registry, dir).await.unwrap();
            let rb = blocks(&b.registry, dir, 400).await.unwrap();
            assert_eq!(outcome(&ra), outcome(&rb), "{backend}, {what}");
            assert_eq!(
                snapshot(&a.registry).await.0,
                snapshot(&b.registry).await.0,
                "{backend}, {what}: same registry"
            );
            assert_eq!(
                entries(&a.registry).await,
                entries(&b.registry).await,
                "{backend}, {what}: same audit entries"
            );
            assert!(b.registry.verify_audit().await.unwrap().is_intact());
            if what == "again" {
                assert_eq!(rb.changes(), 0);
                assert_eq!(rb.equal_by_digest.len(), 13, "every table by digest");
            }
            if what == "changed" {
                assert_eq!(rb.changes(), 2, "{:?}", rb.entities);
            }
        }
        // A dry run counts as the whole import does and writes nothing.
        let dry = netra_store::ImportOptions {
            dry_run: true,
            ..opts("tester")
        };
        let before = snapshot(&b.registry).await;
        let ra = a
            .registry
            .import_bundle(&Bundle::read_dir(&changed).unwrap(), &dry)
            .await
            .unwrap();
        let rb = b
            .registry
            .import_dir(&changed, &dry, budget(1))
            .await
            .unwrap();
        assert_eq!(outcome(&ra), outcome(&rb), "{backend}, dry run");
        assert_eq!(snapshot(&b.registry).await, before);
        a.finish().await;
        b.finish().await;
    }
}

#[tokio::test]
async fn a_problem_in_any_block_is_reported_as_whole_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let good = tmp.path().join("good");
    netra_store::synthetic::write_bundle(&good, 25, 9).unwrap();
    let bad = tmp.path().join("bad");
    copy_dir(&good, &bad);
    // Last block: a duplicate patient at the end of the file, a treatment
    // of a patient nobody knows whose code sorts last, a lesion of the last
    // patient moved to another organ.
    edit_file(&bad, "patients.csv", |l| {
        let last = l[l.len() - 1].clone();
        l.push(last);
    });
    edit_file(&bad, "treatments.csv", |l| {
        let mut cells: Vec<String> = l[1].split(',').map(str::to_string).collect();
        cells[0] = "zz-unknown".into();
        l.push(cells.join(","));
    });
    edit_file(&bad, "lesions.csv", |l| {
        let last = l.len() - 1;
        let mut cells: Vec<String> = l[last].split(',').map(str::to_string).collect();
        cells[3] = if cells[3] == "liver" { "lung" } else { "liver" }.into();
        l[last] = cells.join(",");
    });
    // First block and the small files: a site of a study that does not
    // exist, a patient at a site that does not exist.
    edit_file(&bad, "sites.csv", |l| {
        l[1] = l[1].replacen(",synth,", ",nostudy,", 1);
    });
    edit_file(&bad, "patients.csv", |l| {
        let mut cells: Vec<String> = l[1].split(',').map(str::to_string).collect();
        cells[1] = "s99".into();
        l[1] = cells.join(",");
    });
    // Only the last block wrong.
    let last_only = tmp.path().join("last_only");
    copy_dir(&good, &last_only);
    edit_file(&last_only, "treatments.csv", |l| {
        let mut cells: Vec<String> = l[1].split(',').map(str::to_string).collect();
        cells[0] = "zz-unknown".into();
        l.push(cells.join(","));
    });
    // A bad header: read whole, as before.
    let header = tmp.path().join("header");
    copy_dir(&good, &header);
    edit_file(&header, "tumours.csv", |l| {
        l[0] = l[0].replacen("patient", "Patient", 1);
    });
    // More problems than are shown, over many blocks: the same first ones
    // and the same count.
    let many = tmp.path().join("many");
    netra_store::synthetic::write_bundle(&many, 120, 2).unwrap();
    edit_file(&many, "lesions.csv", |l| {
        for line in &mut l[1..] {
            let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
            cells[3] = "nowhere".into();
            *line = cells.join(",");
        }
    });
    for backend in backends() {
        let a = TestDb::new(backend).await;
        let b = TestDb::new(backend).await;
        let ea = messages(whole(&a.registry, &many).await.unwrap_err());
        let eb = messages(blocks(&b.registry, &many, 300).await.unwrap_err());
        assert_eq!(ea.len(), netra_store::error::MAX_PROBLEMS + 1);
        assert!(ea.last().unwrap() != "more: 0", "{:?}", ea.last());
        assert_eq!(ea, eb, "{backend}, past the cap");
        for (dir, what) in [(&bad, "bad"), (&last_only, "last"), (&header, "header")] {
            let ea = messages(whole(&a.registry, dir).await.unwrap_err());
            let eb = messages(blocks(&b.registry, dir, 300).await.unwrap_err());
            assert_eq!(ea, eb, "{backend}, {what}");
            assert!(ea.len() >= 2, "{ea:?}");
            assert!(
                entries(&b.registry).await.is_empty(),
                "{backend}, {what}: nothing written"
            );
            assert_eq!(
                snapshot(&a.registry).await.0,
                snapshot(&b.registry).await.0,
                "{backend}, {what}: both registries empty"
            );
        }
        let ea = messages(whole(&a.registry, &bad).await.unwrap_err());
        assert!(ea.iter().any(|m| m.contains("zz-unknown")), "{ea:?}");
        assert!(ea.iter().any(|m| m.contains("duplicate")), "{ea:?}");
        assert!(ea.iter().any(|m| m.contains("keeps its organ")), "{ea:?}");
        // The good bundle after the refusals, then patients born later
        // than their stored records (the first and the last): the stored
        // children are reported at the patient's line, as whole.
        let ra = whole(&a.registry, &good).await.unwrap();
        let rb = blocks(&b.registry, &good, 300).await.unwrap();
        assert_eq!(outcome(&ra), outcome(&rb));
        let life = tmp.path().join("life");
        std::fs::create_dir_all(&life).unwrap();
        std::fs::copy(good.join("patients.csv"), life.join("patients.csv")).unwrap();
        edit_file(&life, "patients.csv", |l| {
            let n = l.len();
            for i in [1, n - 1] {
                let mut cells: Vec<String> = l[i].split(',').map(str::to_string).collect();
                cells[3] = "2024".into();
                for c in &mut cells[4..6] {
                    *c = String::new();
                }
                l[i] = cells.join(",");
            }
        });
        let ea = messages(whole(&a.registry, &life).await.unwrap_err());
        let eb = messages(blocks(&b.registry, &life, 300).await.unwrap_err());
        assert_eq!(ea, eb, "{backend}, stored children");
        assert!(
            ea.iter().any(|m| m.contains("conflicts with the registry")),
            "{ea:?}"
        );
        a.finish().await;
        b.finish().await;
    }
}
