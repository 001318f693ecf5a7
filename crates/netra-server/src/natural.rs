//! Natural order of identifiers: `2` before `10`, `P9` before `P10`,
//! `a` before `B` — the order people expect of patient codes, which the
//! store's byte order (`1`, `10`, `2`) is not.
//!
//! Runs of ASCII digits compare as numbers (of any length: no overflow),
//! other runs case-insensitively; equal keys fall back to the byte order,
//! so the order is total and stable (`007` and `7` are both kept, `7`
//! first).

use std::cmp::Ordering;

/// One run of a code: digits or not.
fn runs(s: &str) -> impl Iterator<Item = (bool, &str)> {
    let bytes = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        if i >= bytes.len() {
            return None;
        }
        let digit = bytes[i].is_ascii_digit();
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() == digit {
            i += 1;
        }
        // ASCII digits are whole bytes: the cut is on a char boundary.
        Some((digit, &s[start..i]))
    })
}

/// Two digit runs by value: without leading zeros, the shorter is smaller;
/// of equal length, the text order is the numeric order.
fn numeric(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn text(a: &str, b: &str) -> Ordering {
    let fold = |s: &str| s.chars().flat_map(char::to_lowercase).collect::<String>();
    fold(a).cmp(&fold(b))
}

/// The natural order of two codes.
pub fn cmp(a: &str, b: &str) -> Ordering {
    let mut x = runs(a);
    let mut y = runs(b);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some((da, ra)), Some((db, rb))) => {
                let o = match (da, db) {
                    (true, true) => numeric(ra, rb),
                    // A number sorts before a word (`1` before `a`).
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => text(ra, rb),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(codes: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = codes.iter().map(|s| s.to_string()).collect();
        v.sort_by(|a, b| cmp(a, b));
        v
    }

    #[test]
    fn numbers_sort_by_value() {
        assert_eq!(
            sorted(&["10", "2", "1", "100", "9", "11"]),
            ["1", "2", "9", "10", "11", "100"]
        );
        assert_eq!(
            sorted(&["P10", "P9", "p1", "P2"]),
            ["p1", "P2", "P9", "P10"]
        );
        assert_eq!(
            sorted(&["a-10-b", "a-9-c", "a-9-b"]),
            ["a-9-b", "a-9-c", "a-10-b"]
        );
    }

    #[test]
    fn ties_and_odd_input_keep_a_total_order() {
        assert_eq!(cmp("007", "7"), Ordering::Greater);
        assert_eq!(cmp("7", "007"), Ordering::Less);
        assert_eq!(
            cmp("a", "A"),
            Ordering::Greater,
            "byte order breaks the tie"
        );
        assert_eq!(cmp("", "1"), Ordering::Less);
        assert_eq!(cmp("x", "x"), Ordering::Equal);
        // Digits far beyond u64 compare without overflow.
        assert_eq!(
            cmp("123456789012345678901234567890", "99999999999999999999"),
            Ordering::Greater
        );
        // Non-ASCII text is cut at digit boundaries only.
        assert_eq!(cmp("é2", "é10"), Ordering::Less);
    }
}
