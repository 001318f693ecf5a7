//! A quick property test in the normal suite (the fuzz target in `fuzz/`
//! goes much further): random bytes and randomly damaged bundle files fed to
//! the CSV reader, the checks and the flat reader must never panic, and every
//! problem must name a file.

use netra_clinical::registry::schema::Entity;
use netra_store::synthetic::Rng;
use netra_store::{Bundle, StoreError, flat, validate_bundle};

fn exercise(entity: Entity, bytes: &[u8]) -> usize {
    let mut problems = 0;
    match Bundle::from_csv(entity, bytes) {
        Ok(b) => {
            let p = validate_bundle(&b);
            for x in &p.list {
                assert!(!x.file.is_empty());
                assert!(!x.to_string().is_empty());
            }
            problems += p.len();
        }
        Err(StoreError::Invalid(p)) => {
            assert!(!p.is_empty());
            problems += p.len();
        }
        Err(e) => panic!("unexpected error kind: {e}"),
    }
    let _ = flat::flat_from_bytes("f.csv", bytes, &flat::FlatOptions::default());
    problems
}

const ALPHABET: &[u8] = b",,,\"\"\n\n\r-.0123456789eE NAaTtP_:;\xff\xfe\xc3\xa9\x00\t";

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng::new(2024);
    for i in 0..3000 {
        let len = rng.below(300) as usize;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if i % 2 == 0 {
                    rng.next_u64() as u8
                } else {
                    *rng.pick(ALPHABET)
                }
            })
            .collect();
        let entity = Entity::ALL[i % Entity::ALL.len()];
        exercise(entity, &bytes);
    }
}

#[test]
fn damaged_bundle_files_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/base");
    let mut rng = Rng::new(7);
    let mut found = 0;
    for entity in Entity::ALL {
        let original = std::fs::read(dir.join(entity.spec().file)).unwrap();
        // Alone, only the study file is free of dangling references.
        let alone = exercise(entity, &original);
        assert_eq!(alone == 0, entity == Entity::Study, "{entity:?}: {alone}");
        for _ in 0..200 {
            let mut b = original.clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(b.len() as u64 + 1) as usize;
                match rng.below(4) {
                    0 if !b.is_empty() => {
                        let at = at.min(b.len() - 1);
                        b[at] = *rng.pick(ALPHABET);
                    }
                    1 => b.insert(at, *rng.pick(ALPHABET)),
                    2 if at < b.len() => {
                        b.remove(at);
                    }
                    _ => b.truncate(at),
                }
            }
            found += exercise(entity, &b);
        }
    }
    assert!(found > 0, "damage should produce problems");
}
