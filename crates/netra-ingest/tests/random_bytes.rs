//! The quick property test of the REDCap importer in the normal suite (the
//! libFuzzer target `fuzz/fuzz_targets/redcap_import.rs` runs longer):
//! the fixture's three files with random bytes changed, inserted or
//! removed are converted or refused, never a panic, and every refusal names
//! one of the three files and a reason; the draft mapping of any readable
//! dictionary parses.

use std::path::PathBuf;

use netra_ingest::redcap::{Input, convert};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/redcap")
            .join(name),
    )
    .unwrap()
}

/// A small portable generator (64-bit LCG), so that failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const BYTES: &[u8] = b",|\"\n\r{}[]=#_-0123456789 ay\xff\xc3";

fn mutate(rng: &mut Lcg, bytes: &mut Vec<u8>) {
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(bytes.len() + 1);
        let b = BYTES[rng.below(BYTES.len())];
        match rng.below(3) {
            0 if at < bytes.len() => bytes[at] = b,
            1 => bytes.insert(at, b),
            _ if at < bytes.len() => {
                bytes.remove(at);
            }
            _ => bytes.push(b),
        }
    }
}

#[test]
fn mutated_exports_and_mappings_are_converted_or_refused_without_panic() {
    let files = [
        ("dictionary.csv", fixture("dictionary.csv")),
        ("records.csv", fixture("records.csv")),
        ("mapping.toml", fixture("mapping.toml")),
    ];
    let mut rng = Lcg(20261206);
    let mut refused = 0;
    for _ in 0..600 {
        let mut inputs: Vec<Vec<u8>> = files.iter().map(|(_, b)| b.clone()).collect();
        let which = rng.below(3);
        mutate(&mut rng, &mut inputs[which]);
        let r = convert(
            Input {
                name: files[0].0,
                bytes: &inputs[0],
            },
            Input {
                name: files[1].0,
                bytes: &inputs[1],
            },
            Input {
                name: files[2].0,
                bytes: &inputs[2],
            },
        );
        // a draft mapping of any readable dictionary is valid TOML
        if let Ok(d) = netra_ingest::dictionary::Dictionary::parse("d.csv", &inputs[0]) {
            let draft = netra_ingest::suggest::suggest(&d);
            let parsed = netra_ingest::mapping::Mapping::parse("draft.toml", &draft);
            assert!(parsed.is_ok(), "{parsed:?}\n{draft}");
        }
        match r {
            Ok(c) => {
                for t in &c.tables {
                    assert_eq!(t.rows.len(), t.lines.len());
                }
            }
            Err(is) => {
                refused += 1;
                assert!(!is.list.is_empty());
                for i in &is.list {
                    assert!(files.iter().any(|(n, _)| *n == i.file), "{i}");
                    assert!(!i.reason.is_empty(), "{i}");
                }
            }
        }
    }
    // the mutations do break files: most variants are refused
    assert!(refused > 100, "only {refused} refusals");
}
