//! `.xlsx`/`.ods` sheets: the synthetic per-patient table of
//! `tests/fixtures/sheet/patients.csv` stored as workbooks by the committed
//! generator (`workbook_gen`) must give exactly the rows of the CSV, whatever
//! the date system and however the dates are stored; problems name the
//! sheet, the cell and the column's header.
//!
//! `NETRA_WRITE_FIXTURES=1 cargo test -p netra-ingest --test workbook`
//! rewrites the committed workbooks from the generator.

mod workbook_gen;

use std::path::PathBuf;

use netra_clinical::registry::schema::Entity;
use netra_ingest::redcap::Input;
use netra_ingest::sheet::{WorkbookConverted, convert_csv, convert_workbook};
use netra_ingest::workbook::Format;
use netra_ingest::{Converted, Issues};
use workbook_gen::{Cell, Sheet, ods, patients, t, xlsx};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sheet")
}

fn mapping() -> String {
    std::fs::read_to_string(dir().join("mapping.toml")).unwrap()
}

fn csv_rows() -> Converted {
    let sheet = std::fs::read(dir().join("patients.csv")).unwrap();
    let m = mapping();
    convert_csv(
        Input {
            name: "patients.csv",
            bytes: &sheet,
        },
        Input {
            name: "mapping.toml",
            bytes: m.as_bytes(),
        },
    )
    .unwrap()
}

fn book(
    name: &str,
    bytes: &[u8],
    sheet: Option<&str>,
    mapping: &str,
) -> Result<WorkbookConverted, Issues> {
    convert_workbook(
        Input { name, bytes },
        Format::of_name(name).unwrap(),
        sheet,
        Input {
            name: "mapping.toml",
            bytes: mapping.as_bytes(),
        },
    )
}

fn messages(e: &Issues) -> Vec<String> {
    e.list.iter().map(ToString::to_string).collect()
}

#[test]
fn committed_workbooks_are_the_generators_output() {
    for (name, bytes) in workbook_gen::fixtures() {
        let path = dir().join(name);
        if std::env::var_os("NETRA_WRITE_FIXTURES").is_some() {
            std::fs::write(&path, &bytes).unwrap();
        }
        let committed = std::fs::read(&path).unwrap();
        assert!(
            committed == bytes,
            "{name} differs from the generator (NETRA_WRITE_FIXTURES=1 rewrites it)"
        );
    }
}

#[test]
fn xlsx_and_ods_sheets_give_the_rows_of_the_csv() {
    let csv = csv_rows();
    for name in ["patients.xlsx", "patients.ods"] {
        let bytes = std::fs::read(dir().join(name)).unwrap();
        let w = book(name, &bytes, None, &mapping()).unwrap();
        assert_eq!(w.converted.source, format!("{name}, sheet Patients"));
        assert_eq!(w.converted.tables, csv.tables, "{name}");
    }
}

#[test]
fn the_1904_date_system_gives_the_same_dates() {
    let b = xlsx(&[Sheet::new("Patients", patients())], true);
    let w = book("p.xlsx", &b, None, &mapping()).unwrap();
    assert_eq!(w.converted.tables, csv_rows().tables);
    // The same serials read in the 1900 system are 1462 days earlier.
    let shifted = xlsx(&[Sheet::new("Patients", patients())], false);
    assert_ne!(b, shifted);
}

#[test]
fn dates_stored_as_serials_and_typed_as_text_read_alike_in_any_date_format() {
    // date_format = "dmy": S2's diagnosis typed as 15/06/2012, the other
    // dates serials, which are written in the mapping's format.
    let mut rows = patients();
    rows[2][3] = t("15/06/2012");
    rows[1][2] = Cell::Date(1956, 1, 1);
    rows[2][2] = Cell::Date(1948, 5, 1);
    rows[3][2] = Cell::Date(1971, 1, 1);
    let m = mapping().replace("[source]\n", "[source]\ndate_format = \"dmy\"\n");
    for (name, bytes) in [
        (
            "p.xlsx",
            xlsx(&[Sheet::new("Patients", rows.clone())], false),
        ),
        ("p.ods", ods(&[Sheet::new("Patients", rows.clone())])),
    ] {
        let w = book(name, &bytes, None, &m).unwrap();
        let p = w.converted.table(Entity::Patient).unwrap();
        let spec = Entity::Patient.spec();
        let col = |c: &str| spec.position(c).unwrap();
        let dx: Vec<Option<&str>> = p
            .rows
            .iter()
            .map(|r| r[col("diagnosis_date")].as_deref())
            .collect();
        assert_eq!(
            dx,
            vec![Some("2015-03-10"), Some("2012-06-15"), Some("2018-05-02")],
            "{name}"
        );
        assert_eq!(p.rows[1][col("birth_date")].as_deref(), Some("1948-05-01"));
        assert_eq!(
            w.converted.table(Entity::Treatment),
            csv_rows().table(Entity::Treatment),
            "{name}"
        );
    }
}

#[test]
fn excels_phantom_1900_02_29_and_formula_errors_are_refused_at_their_cells() {
    let mut rows = patients();
    rows[1][3] = Cell::Serial(60.0);
    rows[3][5] = Cell::Error("#N/A");
    let b = xlsx(&[Sheet::new("Patients", rows)], false);
    let e = book("patients.xlsx", &b, None, &mapping()).unwrap_err();
    assert_eq!(
        messages(&e),
        vec![
            "patients.xlsx, sheet Patients, cell D2 (diagnosed): 1900-02-29 does not exist (Excel's 1900 leap-year bug: serial 60); type the date as text (value '60')",
            "patients.xlsx, sheet Patients, cell F4 (ki67): the cell holds a formula error; its value is lost (fix the formula or type the value) (value '#N/A')",
        ]
    );
    // Around the phantom day the 1900 system is right: serial 59 is
    // 1900-02-28 and 61 is 1900-03-01 (then refused by the registry's own
    // rules only if implausible, not by the reader).
    let mut rows = patients();
    rows[1][2] = Cell::Serial(61.0);
    let b = xlsx(&[Sheet::new("Patients", rows)], false);
    let w = book("p.xlsx", &b, None, &mapping()).unwrap();
    let p = w.converted.table(Entity::Patient).unwrap();
    let born = Entity::Patient.spec().position("birth_date").unwrap();
    assert_eq!(p.rows[0][born].as_deref(), Some("1900-03-01"));
}

#[test]
fn mapping_problems_name_the_sheet_the_cell_and_the_header() {
    let mut rows = patients();
    rows[2][4] = t("Jejunum");
    rows[3][3] = t("2018/05/02");
    // The table starts at C3: cell names are the sheet's, not the grid's.
    let sheet = Sheet {
        name: "Patients".into(),
        origin: (2, 2),
        rows,
    };
    for (name, b) in [
        ("patients.xlsx", xlsx(std::slice::from_ref(&sheet), false)),
        ("patients.ods", ods(std::slice::from_ref(&sheet))),
    ] {
        let e = book(name, &b, None, &mapping()).unwrap_err();
        assert_eq!(
            messages(&e),
            vec![
                format!(
                    "{name}, sheet Patients, cell F6 (diagnosed): not a date in the export's format YYYY-MM-DD ([source] date_format = \"ymd\") (value '2018/05/02')"
                ),
                format!(
                    "{name}, sheet Patients, cell G5 (site): value 'Jejunum' of site has no registry code in the mapping (add it to choices, or map it to \"\" for not recorded) (value 'Jejunum')"
                ),
            ],
            "{name}"
        );
    }
}

#[test]
fn the_sheet_is_chosen_by_name_and_an_unknown_name_lists_the_sheets() {
    let b = xlsx(
        &[
            Sheet::new("Notes", workbook_gen::notes()),
            Sheet::new("Patients", patients()),
        ],
        false,
    );
    let w = book("p.xlsx", &b, Some("Patients"), &mapping()).unwrap();
    assert_eq!(w.converted.tables, csv_rows().tables);
    // The first sheet by default: Notes has no column the mapping names.
    let e = book("p.xlsx", &b, None, &mapping()).unwrap_err();
    assert!(
        e.list.iter().all(|i| i.file == "mapping.toml"),
        "{:?}",
        messages(&e)
    );
    let e = book("p.xlsx", &b, Some("Sheet9"), &mapping()).unwrap_err();
    assert_eq!(
        messages(&e),
        vec!["p.xlsx: no sheet named 'Sheet9' (the workbook's sheets: Notes, Patients)"]
    );
}

#[test]
fn a_file_that_is_not_a_workbook_is_refused_without_a_panic() {
    for name in ["x.xlsx", "x.ods"] {
        for bytes in [&b""[..], b"id,sex\nS1,F\n", b"PK\x03\x04garbage"] {
            let e = book(name, bytes, None, &mapping()).unwrap_err();
            assert_eq!(e.list.len(), 1);
            assert!(
                e.list[0].reason.starts_with("not a readable ."),
                "{}",
                e.list[0]
            );
        }
    }
    let empty = xlsx(&[Sheet::new("Patients", vec![])], false);
    let e = book("e.xlsx", &empty, None, &mapping()).unwrap_err();
    assert_eq!(
        messages(&e),
        vec!["e.xlsx, sheet Patients: the sheet is empty (a header row of column names is needed)"]
    );
}

#[test]
fn damaged_workbooks_are_read_or_refused_without_a_panic() {
    // Deterministic byte damage (xorshift): the fixtures are stored, not
    // deflated, so the damage reaches the zip directory and the XML.
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let m = mapping();
    let mut refused = 0;
    for name in ["patients.xlsx", "patients.ods"] {
        let original = std::fs::read(dir().join(name)).unwrap();
        for _ in 0..150 {
            let mut b = original.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % b.len() as u64) as usize;
                b[at] = (next() % 256) as u8;
            }
            if next() % 5 == 0 {
                b.truncate((next() % b.len() as u64) as usize);
            }
            if let Err(e) = book(name, &b, None, &m) {
                refused += 1;
                assert!(!e.list.is_empty());
                let _ = messages(&e);
            }
        }
    }
    assert!(refused > 0, "some damage must be refused");
}
