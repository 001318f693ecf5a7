//! The simulator is a pure function of its options: same seed, same bytes
//! (whatever the number of threads); another seed, other data; and the files
//! read back into exactly the typed records the generator produced.

mod common;

use netra_clinical::registry::schema::Entity;
use netra_sim::{Model, SimConfig, generate};

fn files() -> Vec<&'static str> {
    let mut f: Vec<&str> = Entity::ALL.iter().map(|e| e.spec().file).collect();
    f.push("README.md");
    f
}

#[test]
fn same_seed_gives_byte_identical_bundles_whatever_the_threads() {
    // 1300 patients: three chunks, so several threads really interleave.
    let a = common::simulate(1300, 42, 1);
    let b = common::simulate(1300, 42, 3);
    for f in files() {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let y = std::fs::read(b.path().join(f)).unwrap();
        assert!(x == y, "{f} differs between 1 and 3 threads");
        // The simulator writes no stains, genetics, QoL or comorbidities
        // (header only); every other file holds rows.
        let generated = Entity::ALL
            .iter()
            .find(|e| e.spec().file == f)
            .is_none_or(|e| *e <= Entity::AdverseEvent);
        assert!(!generated || x.len() > 100, "{f} is nearly empty");
    }
    let c = common::simulate(1300, 43, 2);
    for f in [
        "patients.csv",
        "treatments.csv",
        "lesions.csv",
        "adverse_events.csv",
    ] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        let z = std::fs::read(c.path().join(f)).unwrap();
        assert!(x != z, "{f} is the same for seeds 42 and 43");
    }
    // Every file ends with a newline and uses LF only.
    for f in files() {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert_eq!(x.last(), Some(&b'\n'), "{f}");
        assert!(!x.contains(&b'\r'), "{f} has CR");
    }
}

#[test]
fn a_patient_depends_on_the_seed_and_its_index_only() {
    let m = Model::published();
    let small = SimConfig {
        patients: 10,
        ..SimConfig::default()
    };
    let large = SimConfig {
        patients: 1_000_000,
        ..SimConfig::default()
    };
    assert_eq!(generate(m, &small, 7), generate(m, &large, 7));
    assert_ne!(generate(m, &small, 7), generate(m, &small, 8));
    // The number of centres changes the centre and nothing else.
    let sites = SimConfig {
        sites: 5,
        ..SimConfig::default()
    };
    let mut found_other_site = false;
    for i in 0..40 {
        let a = generate(m, &small, i);
        let mut b = generate(m, &sites, i);
        found_other_site |= b.patient.site != a.patient.site;
        b.patient.site = a.patient.site.clone();
        assert_eq!(a, b);
    }
    assert!(found_other_site);
}

#[test]
fn files_read_back_into_the_generated_records() {
    let dir = common::simulate(300, 5, 2);
    let bundle = common::load(dir.path());
    let cfg = SimConfig {
        patients: 300,
        seed: 5,
        study: "t".into(),
        sites: 3,
        threads: 2,
    };
    assert_eq!(bundle.courses.len(), 300);
    for (i, c) in bundle.courses.iter().enumerate() {
        assert_eq!(
            *c,
            generate(Model::published(), &cfg, i as u64),
            "patient {i}"
        );
    }
}
