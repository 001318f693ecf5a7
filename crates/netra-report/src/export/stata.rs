//! The data set as a Stata `.dta` file, format 118 (Stata 14 and later;
//! UTF-8 text), written from Stata's published description of the format
//! ("dta file format 118"): an XML-like frame of tagged sections, little
//! endian (`LSF`), a map of section offsets, then the variable types,
//! names, sort list, display formats, value-label names, variable labels,
//! (no) characteristics, the data, (no) strLs and the value-label tables.
//!
//! Columns: numbers as `double` (missing: Stata's `.`, 0x7FE0…0), factors
//! as `long` codes 1…k with a value-label set of the column's name that
//! gives each code its level (missing: `.`, 2147483621), text as `str#`
//! (the longest value's bytes, 1 to 2045; longer text is cut at a
//! character boundary). Names are [`super::names::portable`]; labels are
//! cut to Stata's 80 characters. The timestamp is left empty (allowed by
//! the format), so identical data give identical files.

use super::names::portable;
use super::{DataValues, Dataset};
use crate::ReportError;

/// Stata's `double` type code (format 117+).
const DOUBLE: u16 = 65526;
/// Stata's `long` type code.
const LONG: u16 = 65528;
/// Longest `str#`.
const STR_MAX: usize = 2045;
/// Missing `double` (`.`).
const DOUBLE_MISSING: u64 = 0x7FE0_0000_0000_0000;
/// Missing `long` (`.`).
const LONG_MISSING: i32 = 2_147_483_621;
/// Longest label (data set, variable, value) in characters.
const LABEL_CHARS: usize = 80;

/// `s` cut to `chars` characters and `bytes` bytes (at a character
/// boundary).
fn cut(s: &str, chars: usize, bytes: usize) -> &str {
    let mut end = 0;
    for (n, (i, c)) in s.char_indices().enumerate() {
        if n >= chars || i + c.len_utf8() > bytes {
            break;
        }
        end = i + c.len_utf8();
    }
    &s[..end]
}

/// `s` as a NUL-padded field of `width` bytes (cut to leave a NUL).
fn fixed(out: &mut Vec<u8>, s: &str, width: usize) {
    let s = cut(s, usize::MAX, width - 1);
    out.extend_from_slice(s.as_bytes());
    out.resize(out.len() + width - s.len(), 0);
}

/// Appends `<tag>`.
fn open(out: &mut Vec<u8>, tag: &str) {
    out.extend_from_slice(format!("<{tag}>").as_bytes());
}

/// Appends `</tag>`.
fn close(out: &mut Vec<u8>, tag: &str) {
    out.extend_from_slice(format!("</{tag}>").as_bytes());
}

/// How one column is stored.
enum Storage {
    Double,
    Long,
    Str(usize),
}

/// The data set as the bytes of a format-118 `.dta` file.
pub fn dta(ds: &Dataset) -> Result<Vec<u8>, ReportError> {
    ds.check()?;
    let k = ds.columns.len();
    if k == 0 || k > 32_767 {
        return Err(ReportError::InvalidTable(format!(
            "a .dta file holds 1 to 32767 variables, not {k}"
        )));
    }
    let n = ds.rows();
    let names = portable(
        &ds.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
    );
    let storage: Vec<Storage> = ds
        .columns
        .iter()
        .map(|c| match &c.values {
            DataValues::Number(_) => Storage::Double,
            DataValues::Factor { .. } => Storage::Long,
            DataValues::Text(t) => Storage::Str(
                t.iter()
                    .flatten()
                    .map(String::len)
                    .max()
                    .unwrap_or(1)
                    .clamp(1, STR_MAX),
            ),
        })
        .collect();

    let mut out = Vec::new();
    open(&mut out, "stata_dta");
    open(&mut out, "header");
    open(&mut out, "release");
    out.extend_from_slice(b"118");
    close(&mut out, "release");
    open(&mut out, "byteorder");
    out.extend_from_slice(b"LSF");
    close(&mut out, "byteorder");
    open(&mut out, "K");
    out.extend_from_slice(&(k as u16).to_le_bytes());
    close(&mut out, "K");
    open(&mut out, "N");
    out.extend_from_slice(&(n as u64).to_le_bytes());
    close(&mut out, "N");
    open(&mut out, "label");
    let label = cut(&ds.label, LABEL_CHARS, 320);
    out.extend_from_slice(&(label.len() as u16).to_le_bytes());
    out.extend_from_slice(label.as_bytes());
    close(&mut out, "label");
    open(&mut out, "timestamp");
    out.push(0);
    close(&mut out, "timestamp");
    close(&mut out, "header");

    // The map's 14 offsets are filled in once the sections are written.
    let mut map = [0u64; 14];
    map[1] = out.len() as u64;
    open(&mut out, "map");
    let map_at = out.len();
    out.resize(out.len() + 14 * 8, 0);
    close(&mut out, "map");

    map[2] = out.len() as u64;
    open(&mut out, "variable_types");
    for s in &storage {
        let code = match s {
            Storage::Double => DOUBLE,
            Storage::Long => LONG,
            Storage::Str(w) => *w as u16,
        };
        out.extend_from_slice(&code.to_le_bytes());
    }
    close(&mut out, "variable_types");

    map[3] = out.len() as u64;
    open(&mut out, "varnames");
    for name in &names {
        fixed(&mut out, name, 129);
    }
    close(&mut out, "varnames");

    map[4] = out.len() as u64;
    open(&mut out, "sortlist");
    out.resize(out.len() + 2 * (k + 1), 0);
    close(&mut out, "sortlist");

    map[5] = out.len() as u64;
    open(&mut out, "formats");
    for s in &storage {
        let f = match s {
            Storage::Double => "%10.0g".to_string(),
            Storage::Long => "%12.0g".to_string(),
            Storage::Str(w) => format!("%-{}s", (*w).min(244)),
        };
        fixed(&mut out, &f, 57);
    }
    close(&mut out, "formats");

    map[6] = out.len() as u64;
    open(&mut out, "value_label_names");
    for (c, name) in ds.columns.iter().zip(&names) {
        let l = match c.values {
            DataValues::Factor { .. } => name.as_str(),
            _ => "",
        };
        fixed(&mut out, l, 129);
    }
    close(&mut out, "value_label_names");

    map[7] = out.len() as u64;
    open(&mut out, "variable_labels");
    for c in &ds.columns {
        fixed(&mut out, cut(&c.label, LABEL_CHARS, 320), 321);
    }
    close(&mut out, "variable_labels");

    map[8] = out.len() as u64;
    open(&mut out, "characteristics");
    close(&mut out, "characteristics");

    map[9] = out.len() as u64;
    open(&mut out, "data");
    for i in 0..n {
        for (c, s) in ds.columns.iter().zip(&storage) {
            match (&c.values, s) {
                (DataValues::Number(v), _) => {
                    let bits = v[i].map_or(DOUBLE_MISSING, f64::to_bits);
                    out.extend_from_slice(&bits.to_le_bytes());
                }
                (DataValues::Factor { codes, .. }, _) => {
                    let code = codes[i].map_or(LONG_MISSING, |c| c as i32 + 1);
                    out.extend_from_slice(&code.to_le_bytes());
                }
                (DataValues::Text(t), Storage::Str(w)) => {
                    fixed_str(&mut out, t[i].as_deref().unwrap_or(""), *w);
                }
                (DataValues::Text(_), _) => {}
            }
        }
    }
    close(&mut out, "data");

    map[10] = out.len() as u64;
    open(&mut out, "strls");
    close(&mut out, "strls");

    map[11] = out.len() as u64;
    open(&mut out, "value_labels");
    for (c, name) in ds.columns.iter().zip(&names) {
        if let DataValues::Factor { levels, .. } = &c.values {
            value_labels(&mut out, name, levels);
        }
    }
    close(&mut out, "value_labels");

    map[12] = out.len() as u64;
    close(&mut out, "stata_dta");
    map[13] = out.len() as u64;
    for (j, offset) in map.iter().enumerate() {
        out[map_at + 8 * j..map_at + 8 * j + 8].copy_from_slice(&offset.to_le_bytes());
    }
    Ok(out)
}

/// A `str#` value: its bytes (cut at a character boundary), NUL-padded to
/// `width` (a value of exactly `width` bytes has no NUL, as Stata writes).
fn fixed_str(out: &mut Vec<u8>, s: &str, width: usize) {
    let s = cut(s, usize::MAX, width);
    out.extend_from_slice(s.as_bytes());
    out.resize(out.len() + width - s.len(), 0);
}

/// One `<lbl>` table: codes 1…k labelled with `levels`.
fn value_labels(out: &mut Vec<u8>, name: &str, levels: &[String]) {
    let mut txt = Vec::new();
    let mut offsets = Vec::new();
    for l in levels {
        offsets.push(txt.len() as u32);
        txt.extend_from_slice(cut(l, 32_000, 32_000).as_bytes());
        txt.push(0);
    }
    let entries = levels.len() as u32;
    let len = 8 + 8 * entries + txt.len() as u32;
    open(out, "lbl");
    out.extend_from_slice(&len.to_le_bytes());
    fixed(out, name, 129);
    out.extend_from_slice(&[0, 0, 0]);
    out.extend_from_slice(&entries.to_le_bytes());
    out.extend_from_slice(&(txt.len() as u32).to_le_bytes());
    for o in &offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    for v in 1..=entries {
        out.extend_from_slice(&(v as i32).to_le_bytes());
    }
    out.extend_from_slice(&txt);
    close(out, "lbl");
}

#[cfg(test)]
mod tests {
    use super::super::sample::dataset;
    use super::*;

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len())
            .position(|w| w == needle)
            .unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(needle)))
    }

    #[test]
    fn the_map_points_at_each_section_and_values_are_in_place() {
        let bytes = dta(&dataset()).unwrap();
        assert!(bytes.starts_with(b"<stata_dta><header><release>118</release><byteorder>LSF"));
        let map_at = find(&bytes, b"<map>") + 5;
        let offset = |j: usize| {
            u64::from_le_bytes(
                bytes[map_at + 8 * j..map_at + 8 * j + 8]
                    .try_into()
                    .unwrap(),
            ) as usize
        };
        for (j, tag) in [
            (1, "<map>"),
            (2, "<variable_types>"),
            (3, "<varnames>"),
            (4, "<sortlist>"),
            (5, "<formats>"),
            (6, "<value_label_names>"),
            (7, "<variable_labels>"),
            (8, "<characteristics>"),
            (9, "<data>"),
            (10, "<strls>"),
            (11, "<value_labels>"),
            (12, "</stata_dta>"),
        ] {
            assert_eq!(offset(j), find(&bytes, tag.as_bytes()), "{tag}");
        }
        assert_eq!(offset(13), bytes.len());
        // Row 1: "P1" in a str3, 61.5, -2, code 3 ("Größe").
        let data = find(&bytes, b"<data>") + 6;
        assert_eq!(&bytes[data..data + 3], b"P1\0");
        assert_eq!(
            f64::from_le_bytes(bytes[data + 3..data + 11].try_into().unwrap()),
            61.5
        );
        assert_eq!(
            i32::from_le_bytes(bytes[data + 19..data + 23].try_into().unwrap()),
            3
        );
        // Row 2: age missing.
        let row2 = data + 23;
        assert_eq!(
            u64::from_le_bytes(bytes[row2 + 3..row2 + 11].try_into().unwrap()),
            DOUBLE_MISSING
        );
        // The value labels of `grade`: 3 entries, UTF-8 text.
        let lbl = find(&bytes, b"<lbl>") + 5;
        assert_eq!(&bytes[lbl + 4..lbl + 9], b"grade");
        let table = lbl + 4 + 129 + 3;
        assert_eq!(
            u32::from_le_bytes(bytes[table..table + 4].try_into().unwrap()),
            3
        );
        assert!(find(&bytes, "G1, low\0Gr\u{f6}\u{df}e\0".as_bytes()) > table);
        // Identical data, identical bytes.
        assert_eq!(bytes, dta(&dataset()).unwrap());
    }

    #[test]
    fn cuts_keep_whole_characters() {
        assert_eq!(cut("Größe", 10, 3), "Gr");
        assert_eq!(cut("abc", 2, 10), "ab");
        let mut v = Vec::new();
        fixed(&mut v, "abcdef", 4);
        assert_eq!(v, b"abc\0");
    }
}
