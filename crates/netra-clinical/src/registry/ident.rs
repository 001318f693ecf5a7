//! Identifiers people can tell apart: patient codes, lesion ids, assessment
//! and treatment ids are compared character by character, so two codes that
//! look the same must *be* the same. Invisible characters (zero-width
//! space, byte-order mark, direction marks, soft hyphen, other Unicode
//! format characters), control characters, non-ASCII spaces and combining
//! marks (a decomposed `é` looks like the precomposed one) are refused, with
//! the character named, instead of creating a second patient `P1`.
//!
//! Characters that merely look alike across scripts (Latin `P`, Cyrillic
//! `Р`) are not detected: they are visible letters of their own.

/// Why `text` cannot be an identifier, or `None` when it can. Checks the
/// characters only (length and emptiness are the caller's).
pub fn identifier_problem(text: &str) -> Option<String> {
    for (i, c) in text.chars().enumerate() {
        let what = if c.is_control() {
            "a control character"
        } else if is_invisible(c) {
            "an invisible formatting character"
        } else if c.is_whitespace() && c != ' ' {
            "a space other than the ordinary space"
        } else if is_combining(c) {
            "a combining mark (write the accented letter as one character)"
        } else {
            continue;
        };
        return Some(format!(
            "an identifier cannot contain {what}: {} at character {} (retype the identifier; \
             it would look the same as one without it)",
            describe(c),
            i + 1
        ));
    }
    None
}

/// Unicode general category Cf (format) and the invisible fillers and
/// selectors that render as nothing.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x061C | 0x115F | 0x1160 | 0x17B4 | 0x17B5 | 0x180E | 0x3164 | 0xFFA0
        | 0x0600..=0x0605 | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2
        | 0x180B..=0x180F
        | 0x200B..=0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x206F
        | 0xFE00..=0xFE0F
        | 0xFEFF
        | 0xFFF9..=0xFFFB
        | 0x110BD | 0x110CD
        | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A
        | 0xE0000..=0xE0FFF)
}

/// Combining marks of the Latin, Greek and Cyrillic scripts (the ones that
/// make a decomposed letter look like a precomposed one).
fn is_combining(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F)
}

/// `U+200B (zero-width space)`.
fn describe(c: char) -> String {
    let name = match c as u32 {
        0x00A0 => Some("no-break space"),
        0x00AD => Some("soft hyphen"),
        0x200B => Some("zero-width space"),
        0x200C => Some("zero-width non-joiner"),
        0x200D => Some("zero-width joiner"),
        0x200E => Some("left-to-right mark"),
        0x200F => Some("right-to-left mark"),
        0x202A..=0x202E => Some("bidirectional embedding or override"),
        0x2060 => Some("word joiner"),
        0x2066..=0x2069 => Some("bidirectional isolate"),
        0xFEFF => Some("byte-order mark / zero-width no-break space"),
        0x0009 => Some("tab"),
        0x000A | 0x000D => Some("line break"),
        _ => None,
    };
    match name {
        Some(n) => format!("U+{:04X} ({n})", c as u32),
        None => format!("U+{:04X}", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_and_look_alike_characters_are_named() {
        for (text, needle) in [
            ("P\u{200B}1", "U+200B (zero-width space) at character 2"),
            ("\u{FEFF}P1", "U+FEFF (byte-order mark"),
            ("L1\u{200E}", "U+200E (left-to-right mark) at character 3"),
            ("L\u{202E}1", "bidirectional"),
            ("P\u{00A0}1", "U+00A0 (no-break space)"),
            ("P\u{2003}1", "a space other than the ordinary space"),
            ("Pe\u{0301}1", "combining mark"),
            ("P\u{AD}1", "soft hyphen"),
            ("P\u{7}1", "control character"),
            ("P1\u{FE0F}", "U+FE0F"),
            ("P1\u{E0041}", "U+E0041"),
        ] {
            let msg = identifier_problem(text).unwrap_or_else(|| panic!("{text:?} accepted"));
            assert!(msg.contains(needle), "{text:?}: {msg}");
        }
        for ok in ["P1", "P 1", "Pé1", "Пациент-7", "患者_3", "L1.2"] {
            assert_eq!(identifier_problem(ok), None, "{ok:?}");
        }
    }
}
