//! Feeds arbitrary bytes to the REDCap importer (`netra import redcap`):
//! the input is split at the first two bytes 0xff into a data dictionary,
//! a records export and a mapping file, converted through the mapping, and
//! the dictionary is also given to `--suggest-mapping` (whose draft must
//! parse as a mapping); the first part is also read as a one-row-per-patient
//! sheet (`netra import sheet`). Any panic is a bug: a bad export or mapping must be
//! refused with its file, line and reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use netra_ingest::redcap::{Input, convert};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0xff);
    let dict = parts.next().unwrap_or_default();
    let records = parts.next().unwrap_or_default();
    let mapping = parts.next().unwrap_or_default();
    match convert(
        Input { name: "d.csv", bytes: dict },
        Input { name: "r.csv", bytes: records },
        Input { name: "m.toml", bytes: mapping },
    ) {
        Ok(c) => {
            for t in &c.tables {
                let _ = t.to_csv();
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    // the first part as a one-row-per-patient sheet through the same mapping
    if let Err(e) = netra_ingest::sheet::convert_csv(
        Input { name: "s.csv", bytes: dict },
        Input { name: "m.toml", bytes: mapping },
    ) {
        let _ = e.to_string();
    }
    if let Ok(d) = netra_ingest::dictionary::Dictionary::parse("d.csv", dict) {
        let draft = netra_ingest::suggest::suggest(&d);
        assert!(
            netra_ingest::mapping::Mapping::parse("draft.toml", &draft).is_ok(),
            "the draft mapping does not parse:\n{draft}"
        );
    }
});
