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
//! column. Characters beyond ASCII are placed after all ASCII characters in
//! code-point order — an approximation of ICU, documented where levels are.
//!
//! Verified in R 4.2.2 on this platform:
//! `sort(sapply(33:126, function(i) rawToChar(as.raw(i))))` gives
//! `` _-,;:!?.'"()[]{}@*/\&#%`^+<=>|~$0123456789aAbB…zZ ``.

use std::cmp::Ordering;

/// ICU root order of the ASCII symbols and digits (space first); letters
/// follow, case-folded.
const SYMBOLS_AND_DIGITS: &str = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789";

/// Primary weight of a character: its place ignoring case.
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

/// Tertiary weight: lower case before upper case.
fn tertiary(c: char) -> u8 {
    u8::from(c.is_ascii_uppercase())
}

/// Compares two strings as R's `sort()` orders them (ICU root collation,
/// exact for ASCII).
pub fn collate(a: &str, b: &str) -> Ordering {
    a.chars()
        .map(primary)
        .cmp(b.chars().map(primary))
        .then_with(|| a.chars().map(tertiary).cmp(b.chars().map(tertiary)))
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
}
