//! Feeds arbitrary text to the study-file parser (`netra report STUDY.toml`)
//! and to the cohort-condition parser it uses. Any panic is a bug: a study
//! file that cannot be run must be refused with its line and reason.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = netra_study::spec::Study::parse(text, Path::new("fuzz.toml")) {
        let _ = e.to_string();
    }
    if let Err(e) = netra_analysis::condition::parse(text) {
        let _ = format!("{e:?}");
    }
});
