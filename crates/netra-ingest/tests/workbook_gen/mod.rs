//! The committed generator of the synthetic workbooks of the tests
//! (`tests/fixtures/sheet/patients.xlsx`, `patients.ods` and the variants
//! built in the tests): the smallest OOXML and OpenDocument packages that
//! spreadsheet programs and calamine read, written by hand with `zip`, so
//! that each cell's storage is chosen exactly — an Excel date serial with a
//! date style, the 1904 date system, a date typed as text, a formula error.
//! No real patients.

#![allow(dead_code)]

use std::io::Write;

use zip::write::SimpleFileOptions;

/// One cell.
#[derive(Debug, Clone)]
pub enum Cell {
    /// No cell.
    Empty,
    /// Text.
    Text(String),
    /// A number without a date style.
    Num(f64),
    /// A date (y, m, d): in `.xlsx` a serial of the workbook's date system
    /// with a date style; in `.ods` an `office:date-value`.
    Date(i32, u32, u32),
    /// A raw serial with a date style (`.xlsx` only): serial 60 is
    /// Excel's phantom 1900-02-29.
    Serial(f64),
    /// A formula error (`#N/A`).
    Error(&'static str),
}

/// A text cell.
pub fn t(s: &str) -> Cell {
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s.to_string())
    }
}

/// One sheet: its name, the 0-based row and column of its first cell,
/// and its rows.
pub struct Sheet {
    pub name: String,
    pub origin: (usize, usize),
    pub rows: Vec<Vec<Cell>>,
}

impl Sheet {
    pub fn new(name: &str, rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            name: name.to_string(),
            origin: (0, 0),
            rows,
        }
    }
}

/// Days from 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The Excel serial of a date: days from 1899-12-30 in the 1900 system
/// (right from 1900-03-01 on, where Excel's phantom 1900-02-29 is behind
/// it), from 1904-01-01 in the 1904 system.
pub fn serial(y: i32, m: u32, d: u32, date1904: bool) -> f64 {
    let epoch = if date1904 {
        days_from_civil(1904, 1, 1)
    } else {
        days_from_civil(1899, 12, 30)
    };
    (days_from_civil(y, m, d) - epoch) as f64
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn letters(mut c: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (c % 26) as u8);
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).unwrap()
}

fn package(files: &[(&str, String)]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default());
    for (name, text) in files {
        z.start_file(*name, opts).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    z.finish().unwrap().into_inner()
}

/// An `.xlsx` workbook of `sheets`, in the 1904 date system when asked.
pub fn xlsx(sheets: &[Sheet], date1904: bool) -> Vec<u8> {
    let ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let rns = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let mut files: Vec<(String, String)> = Vec::new();
    let mut content_types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    let mut wb_sheets = String::new();
    let mut rels = String::new();
    for (i, s) in sheets.iter().enumerate() {
        let n = i + 1;
        content_types.push_str(&format!(
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        ));
        wb_sheets.push_str(&format!(
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            esc(&s.name)
        ));
        rels.push_str(&format!(
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        ));
        let mut data = String::new();
        for (r, row) in s.rows.iter().enumerate() {
            let rn = s.origin.0 + r + 1;
            data.push_str(&format!(r#"<row r="{rn}">"#));
            for (c, cell) in row.iter().enumerate() {
                let at = format!("{}{rn}", letters(s.origin.1 + c));
                match cell {
                    Cell::Empty => {}
                    Cell::Text(v) => data.push_str(&format!(
                        r#"<c r="{at}" t="inlineStr"><is><t>{}</t></is></c>"#,
                        esc(v)
                    )),
                    Cell::Num(x) => data.push_str(&format!(r#"<c r="{at}"><v>{x}</v></c>"#)),
                    Cell::Date(y, m, d) => data.push_str(&format!(
                        r#"<c r="{at}" s="1"><v>{}</v></c>"#,
                        serial(*y, *m, *d, date1904)
                    )),
                    Cell::Serial(x) => {
                        data.push_str(&format!(r#"<c r="{at}" s="1"><v>{x}</v></c>"#))
                    }
                    Cell::Error(e) => {
                        data.push_str(&format!(r#"<c r="{at}" t="e"><v>{}</v></c>"#, esc(e)))
                    }
                }
            }
            data.push_str("</row>");
        }
        files.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="{ns}" xmlns:r="{rns}"><sheetData>{data}</sheetData></worksheet>"#
            ),
        ));
    }
    content_types.push_str("</Types>");
    let styles_id = sheets.len() + 1;
    rels.push_str(&format!(
        r#"<Relationship Id="rId{styles_id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>"#
    ));
    let pr = if date1904 {
        r#"<workbookPr date1904="1"/>"#
    } else {
        "<workbookPr/>"
    };
    let mut all: Vec<(String, String)> = vec![
        ("[Content_Types].xml".into(), content_types),
        (
            "_rels/.rels".into(),
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
                .into(),
        ),
        (
            "xl/workbook.xml".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{ns}" xmlns:r="{rns}">{pr}<sheets>{wb_sheets}</sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
            ),
        ),
        (
            "xl/styles.xml".into(),
            format!(
                r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{ns}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>"#
            ),
        ),
    ];
    all.extend(files);
    let refs: Vec<(&str, String)> = all.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    package(&refs)
}

/// An `.ods` workbook of `sheets` (dates as `office:date-value`).
pub fn ods(sheets: &[Sheet]) -> Vec<u8> {
    let mut body = String::new();
    for s in sheets {
        body.push_str(&format!(r#"<table:table table:name="{}">"#, esc(&s.name)));
        for _ in 0..s.origin.0 {
            body.push_str("<table:table-row><table:table-cell/></table:table-row>");
        }
        for row in &s.rows {
            body.push_str("<table:table-row>");
            for _ in 0..s.origin.1 {
                body.push_str("<table:table-cell/>");
            }
            for cell in row {
                match cell {
                    Cell::Empty => body.push_str("<table:table-cell/>"),
                    Cell::Text(v) => body.push_str(&format!(
                        r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                        esc(v)
                    )),
                    Cell::Num(x) => body.push_str(&format!(
                        r#"<table:table-cell office:value-type="float" office:value="{x}"><text:p>{x}</text:p></table:table-cell>"#
                    )),
                    Cell::Date(y, m, d) => body.push_str(&format!(
                        r#"<table:table-cell office:value-type="date" office:date-value="{y:04}-{m:02}-{d:02}"><text:p>{d:02}/{m:02}/{y:04}</text:p></table:table-cell>"#
                    )),
                    Cell::Serial(_) | Cell::Error(_) => {
                        panic!("an .ods fixture has no serials or formula errors")
                    }
                }
            }
            body.push_str("</table:table-row>");
        }
        body.push_str("</table:table>");
    }
    let content = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"#
    );
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    package(&[
        (
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet".into(),
        ),
        ("META-INF/manifest.xml", manifest.into()),
        ("content.xml", content),
    ])
}

/// The synthetic per-patient table of `tests/fixtures/sheet/patients.csv`,
/// with its cells stored as a spreadsheet would: dates of S1 and S3 as date
/// cells, S2's diagnosis typed as text, partial birth dates as text, Ki-67 as
/// numbers.
pub fn patients() -> Vec<Vec<Cell>> {
    let header = "id,sex,born,diagnosed,site,ki67,grade,status,last_seen,died,tx1_type,tx1_agent,tx1_start,tx1_end,tx1_stop,tx2_type,tx2_agent,tx2_start,tx2_end,tx2_stop";
    let d = Cell::Date;
    vec![
        header.split(',').map(t).collect(),
        vec![
            t("S1"),
            t("F"),
            t("1956"),
            d(2015, 3, 10),
            t("Pancreas"),
            Cell::Num(8.0),
            t("G2"),
            t("alive"),
            d(2019, 6, 30),
            Cell::Empty,
            t("SSA"),
            t("lanreotide"),
            d(2015, 4, 1),
            d(2017, 2, 15),
            t("progression"),
            t("PRRT"),
            t("177Lu-DOTATATE"),
            d(2017, 3, 1),
            d(2017, 9, 20),
            t("completed"),
        ],
        vec![
            t("S2"),
            t("M"),
            t("1948-05"),
            t("2012-06-15"),
            t("Ileum"),
            Cell::Num(2.0),
            t("G1"),
            t("dead"),
            d(2014, 8, 30),
            d(2014, 8, 30),
            t("SSA"),
            t("octreotide"),
            d(2013, 2, 1),
            d(2014, 8, 30),
            t("death"),
        ],
        vec![
            t("S3"),
            t("F"),
            t("1971"),
            d(2018, 5, 2),
            t("Rectum"),
            Cell::Num(1.0),
            t("G1"),
            t("alive"),
            d(2020, 1, 15),
        ],
    ]
}

/// The second sheet of the fixtures (notes a centre keeps beside its
/// table), which `--sheet` must be able to skip or pick.
pub fn notes() -> Vec<Vec<Cell>> {
    vec![vec![t("id"), t("note")], vec![t("S1"), t("synthetic")]]
}

/// The committed fixtures: (file name, bytes).
pub fn fixtures() -> Vec<(&'static str, Vec<u8>)> {
    let sheets = || {
        vec![
            Sheet::new("Patients", patients()),
            Sheet::new("Notes", notes()),
        ]
    };
    vec![
        ("patients.xlsx", xlsx(&sheets(), false)),
        ("patients.ods", ods(&sheets())),
    ]
}
