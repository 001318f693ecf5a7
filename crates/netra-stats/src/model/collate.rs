//! The order in which R sorts text, so factor levels — and with them the
//! reference level of a hazard ratio, the first group of a difference, the
//! scores of a trend test — come out as they do in R.
//!
//! R sorts character vectors with ICU's root collation when ICU is available
//! (Debian's R, also under `C.UTF-8`; `icuGetCollate()` says "root"). For
//! ASCII text that collation is: punctuation and symbols first (in ICU's
//! order, space first), then digits, then letters case-insensitively; only
//! when two strings are equal ignoring case does case decide, lower case
//! first, from the left. Digits are compared one character at a time, not as
//! numbers ("10" < "9"); callers that want numeric order (all labels
//! numbers) handle that before collating, as R's `factor()` does for a numeric
//! column.
//!
//! Letters beyond ASCII follow ICU's three levels too (issue 13: "Élevé" sorted
//! after "faible" and flipped the reference level of a Cox model): each is
//! decomposed (Unicode NFD) into its base letter, which decides the primary
//! order, and its accents, which decide only between strings equal at the
//! primary level (no accent before an accent, compared left to right, before
//! case). So "Élevé" < "faible" and "cote" < "coté" < "Côte". The Latin
//! letters without a decomposition that ICU sorts as a base letter are mapped
//! (ß as "ss", æ as "ae", œ as "oe", ø as o, ł as l, đ as d). Other scripts
//! sort after Latin in code-point order, as ICU's script order does for
//! Greek before Cyrillic; within them the order is code-point order, an
//! approximation.
//!
//! Verified in R 4.2.2 on this platform:
//! `sort(sapply(33:126, function(i) rawToChar(as.raw(i))))` gives
//! `` _-,;:!?.'"()[]{}@*/\&#%`^+<=>|~$0123456789aAbB…zZ ``.

use std::cmp::Ordering;

/// ICU root order of the ASCII symbols and digits (space first); letters
/// follow, case-folded.
const SYMBOLS_AND_DIGITS: &str = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789";

/// Primary weight of a base (non-combining) character: its place ignoring
/// case and accents.
fn primary(c: char) -> u32 {
    if let Some(i) = SYMBOLS_AND_DIGITS.find(c) {
        return i as u32;
    }
    let n = SYMBOLS_AND_DIGITS.len() as u32;
    if c.is_ascii_alphabetic() {
        return n + (c.to_ascii_lowercase() as u32 - 'a' as u32);
    }
    // Control characters sort first, other characters after all ASCII.
    if c.is_ascii() { 0 } else { n + 26 + c as u32 }
}

/// Latin letters that NFD leaves whole but ICU's root collation sorts as
/// base letters (with a secondary difference, ignored here but for ties).
fn expansion(c: char) -> Option<&'static str> {
    Some(match c {
        'ß' => "ss",
        'æ' => "ae",
        'Æ' => "AE",
        'œ' => "oe",
        'Œ' => "OE",
        'ø' => "o",
        'Ø' => "O",
        'ł' => "l",
        'Ł' => "L",
        'đ' => "d",
        'Đ' => "D",
        _ => return None,
    })
}

/// The three ICU levels of a string: base letters (primary), accents
/// (secondary: 0 for a base letter, the mark's code point for an accent),
/// and case (tertiary: lower case first).
fn weights(s: &str) -> (Vec<u32>, Vec<u32>, Vec<u8>) {
    use unicode_normalization::UnicodeNormalization;
    use unicode_normalization::char::is_combining_mark;
    let mut p = Vec::with_capacity(s.len());
    let mut sec = Vec::with_capacity(s.len());
    let mut ter = Vec::with_capacity(s.len());
    for c in s.nfd() {
        if is_combining_mark(c) {
            sec.push(c as u32);
            continue;
        }
        let mark = expansion(c).is_some();
        for b in expansion(c).map_or_else(|| vec![c], |e| e.chars().collect()) {
            p.push(primary(b));
            sec.push(0);
            ter.push(u8::from(b.is_uppercase()));
        }
        if mark {
            // ø after o, ł after l: a secondary difference after the letter.
            sec.push(1);
        }
    }
    (p, sec, ter)
}

/// Compares two strings as R's `sort()` orders them (ICU root collation:
/// exact for ASCII, accents and case as ICU for Latin letters).
pub fn collate(a: &str, b: &str) -> Ordering {
    if a.is_ascii() && b.is_ascii() {
        // The common case, without allocating.
        return a
            .chars()
            .map(primary)
            .cmp(b.chars().map(primary))
            .then_with(|| {
                a.chars()
                    .map(|c| c.is_ascii_uppercase())
                    .cmp(b.chars().map(|c| c.is_ascii_uppercase()))
            })
            .then_with(|| a.cmp(b));
    }
    let (pa, sa, ta) = weights(a);
    let (pb, sb, tb) = weights(b);
    pa.cmp(&pb)
        .then_with(|| sa.cmp(&sb))
        .then_with(|| ta.cmp(&tb))
        .then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(v: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| collate(a, b));
        v
    }

    #[test]
    fn ascii_characters_sort_as_r() {
        let chars: Vec<String> = (33u8..=126).map(|b| (b as char).to_string()).collect();
        let refs: Vec<&str> = chars.iter().map(String::as_str).collect();
        let got: String = sorted(&refs).concat();
        assert_eq!(
            got,
            "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789\
             aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ"
        );
    }

    #[test]
    fn strings_sort_as_r() {
        // R 4.2.2: sort(c("a1","A1","a-1","a 1","ab","aB","Ab","AB","a","A","10","9","x_y","x-y","xy"))
        let r = [
            "10", "9", "a", "A", "a 1", "a-1", "a1", "A1", "ab", "aB", "Ab", "AB", "x_y", "x-y",
            "xy",
        ];
        let mut shuffled = r.to_vec();
        shuffled.reverse();
        assert_eq!(sorted(&shuffled), r);
        // R: sort(c("b","B","a","Lev","Lev+5FU","Obs","<60","70+"))
        assert_eq!(
            sorted(&["Obs", "70+", "b", "Lev+5FU", "B", "<60", "a", "Lev"]),
            ["<60", "70+", "a", "b", "B", "Lev", "Lev+5FU", "Obs"]
        );
    }

    #[test]
    fn accented_letters_sort_in_place_as_r() {
        // R 4.x, en_US.UTF-8 / C.UTF-8 with ICU (root):
        // sort(c("faible","Élevé","élevé","eleve","zéro","Zoé","a","b"))
        // -> "a" "b" "eleve" "élevé" "Élevé" "faible" "zéro" "Zoé"
        assert_eq!(
            sorted(&["faible", "Zoé", "Élevé", "zéro", "b", "élevé", "eleve", "a"]),
            ["a", "b", "eleve", "élevé", "Élevé", "faible", "zéro", "Zoé"]
        );
        // sort(c("öffentlich","Ostrava","oz","Straße","strasse","Strauß"))
        assert_eq!(
            sorted(&["Strauß", "oz", "Straße", "öffentlich", "strasse", "Ostrava"]),
            ["öffentlich", "Ostrava", "oz", "strasse", "Straße", "Strauß"]
        );
    }
}
