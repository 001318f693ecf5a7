//! Feeds arbitrary bytes to the workbook reader of `netra import sheet`
//! (`.xlsx`, `.ods`): the input is split at the first byte 0xff into a
//! mapping file and a workbook (in this order: a workbook's zip holds 0xff
//! bytes, a mapping does not), and read as both formats, the first sheet
//! and a named one. Any panic is a bug: a damaged workbook must be refused
//! with its file (and sheet and cell) and reason. Seeds:
//! `corpus/workbook_import` (the synthetic fixtures' workbooks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use netra_ingest::redcap::Input;
use netra_ingest::sheet::convert_workbook;
use netra_ingest::workbook::Format;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == 0xff);
    let mapping = parts.next().unwrap_or_default();
    let book = parts.next().unwrap_or_default();
    for format in [Format::Xlsx, Format::Ods] {
        for sheet in [None, Some("Patients")] {
            match convert_workbook(
                Input { name: "w", bytes: book },
                format,
                sheet,
                Input { name: "m.toml", bytes: mapping },
            ) {
                Ok(w) => {
                    for t in &w.converted.tables {
                        let _ = t.to_csv();
                    }
                }
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        }
    }
});
