//! Feeds arbitrary bytes to the bundle CSV reader and the checks (as a file
//! of the entity chosen by the first byte), and to the flat survival CSV
//! reader. Any panic is a bug: every input must end in a bundle or in
//! problems with file, line and column.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netra_clinical::registry::schema::Entity;
use netra_store::{Bundle, flat, validate_bundle};

fuzz_target!(|data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let entity = Entity::ALL[pick as usize % Entity::ALL.len()];
    if let Ok(bundle) = Bundle::from_csv(entity, bytes) {
        let problems = validate_bundle(&bundle);
        for p in &problems.list {
            let _ = p.to_string();
        }
    }
    let _ = flat::flat_from_bytes("fuzz.csv", bytes, &flat::FlatOptions::default());
});
