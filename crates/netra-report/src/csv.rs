//! CSV fields: the one place where every CSV that netra writes for people
//! (analysis downloads, tables, command output) is quoted and defused.
//!
//! * Quoting follows RFC 4180: a field with a comma, a quote, a line break
//!   or a leading or trailing space is put in double quotes, quotes doubled.
//! * **Spreadsheet formula injection** (CWE-1236): a spreadsheet opening the
//!   file runs a cell starting with `=`, `+`, `-` or `@` (also tab or
//!   carriage return) as a formula, so a label typed into the registry
//!   (`=HYPERLINK(…)`, `@SUM(…)`) would become a live formula on the
//!   analyst's machine. Such a cell gets a leading `'`, which spreadsheets
//!   show as text (OWASP's advice). Plain numbers (`-0.25`, `+3`, `-1e-5`)
//!   are left as they are: they are data, not formulas, and must stay
//!   numbers.

/// A whole CSV document: the header, then one line per row, every field
/// through [`field`]. (Registry bundles written for re-import are not
/// documents for people: `netra-store` writes them with the `csv` crate so
/// that every value reads back unchanged.)
pub fn document<R: AsRef<[String]>>(header: &[&str], rows: impl IntoIterator<Item = R>) -> String {
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = cells.map(field).collect::<Vec<_>>().join(",");
        s.push('\n');
        s
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.as_ref().iter().map(String::as_str)));
    }
    out
}

/// One CSV field: defused against formula injection, then quoted as
/// needed (see the module documentation).
pub fn field(text: &str) -> String {
    let defused;
    let text = if formula_like(text) {
        defused = format!("'{text}");
        defused.as_str()
    } else {
        text
    };
    let needs =
        text.contains([',', '"', '\n', '\r']) || text.starts_with(' ') || text.ends_with(' ');
    if needs {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// True when a spreadsheet would read `text` as a formula: its first
/// character after any spaces (indentation) starts one and it is not a
/// plain number.
pub fn formula_like(text: &str) -> bool {
    let t = text.trim_start_matches([' ', '\u{a0}']);
    matches!(t.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')) && !is_number(t)
}

/// A decimal number: optional sign, digits with an optional point (or a
/// point and digits), an optional exponent.
fn is_number(t: &str) -> bool {
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    let mut n = digits(&mut i);
    if i < b.len() && b[i] == b'.' {
        i += 1;
        n += digits(&mut i);
    }
    if n == 0 {
        return false;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        i += 1;
        if i < b.len() && matches!(b[i], b'+' | b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        assert_eq!(
            field("=HYPERLINK(\"http://x\")"),
            "\"'=HYPERLINK(\"\"http://x\"\")\""
        );
        assert_eq!(field("+1+cmd|' /C calc'!A0"), "'+1+cmd|' /C calc'!A0");
        assert_eq!(field("-2+3"), "'-2+3");
        assert_eq!(field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(field("\tx"), "'\tx");
        assert_eq!(field("\r=x"), "\"'\r=x\"");
        // Indented labels are defused too (the quote goes first).
        assert_eq!(field("  =1+1"), "'  =1+1");
        assert_eq!(field("-"), "'-");
        for n in ["-0.25", "+3", "-1e-5", "-.5", "12", "1.5E+10", "-3."] {
            assert_eq!(field(n), n, "{n}");
        }
        for not in ["-e5", "-.", "-1e", "--1", "-1,5", "- 1"] {
            assert!(formula_like(not), "{not}");
        }
        assert_eq!(field("pancreas"), "pancreas");
        assert_eq!(field("a, b"), "\"a, b\"");
        assert_eq!(field(" x"), "\" x\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field(""), "");
        assert_eq!(field("ki67 ≥ 20 %"), "ki67 ≥ 20 %");
    }
}
