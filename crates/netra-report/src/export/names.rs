//! Column names valid in R, Stata and SAS at once: ASCII letters, digits
//! and `_`, starting with a letter, at most 32 characters (Stata's and
//! SAS's limit), not one of Stata's reserved words, and unique ignoring
//! case (SAS and Stata's `varlist` abbreviations treat `Age` and `age` as
//! clashes in practice). `marker.cga` becomes `marker_cga`.

/// Stata's reserved names (a variable cannot be called so).
const RESERVED: &[&str] = &[
    "_all", "_b", "byte", "_coef", "_cons", "double", "float", "if", "in", "int", "long", "_n",
    "_N", "_pi", "_pred", "_rc", "_skip", "strl", "using", "with",
];

/// Longest name.
pub const MAX_LEN: usize = 32;

/// One name made valid (not yet unique).
fn valid(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        s.insert(0, 'v');
    }
    s.truncate(MAX_LEN);
    let lower = s.to_ascii_lowercase();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&lower))
        || (lower.starts_with("str") && lower[3..].chars().all(|c| c.is_ascii_digit()))
    {
        s.truncate(MAX_LEN - 1);
        s.push('_');
    }
    s
}

/// The portable names of `names`, in order: each made valid, and a clash
/// (ignoring case) numbered `_2`, `_3` … within the length limit.
pub fn portable(names: &[&str]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    names
        .iter()
        .map(|n| {
            let base = valid(n);
            let mut candidate = base.clone();
            let mut k = 2;
            while !seen.insert(candidate.to_ascii_lowercase()) {
                let suffix = format!("_{k}");
                let mut stem = base.clone();
                stem.truncate(MAX_LEN - suffix.len());
                candidate = stem + &suffix;
                k += 1;
            }
            candidate
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_everywhere_and_unique() {
        let long = "a".repeat(40);
        let names = portable(&[
            "marker.cga",
            "marker_cga",
            "2nd line",
            "in",
            "str12",
            &long,
            &long,
            "Age",
            "age",
        ]);
        assert_eq!(
            names,
            vec![
                "marker_cga".to_string(),
                "marker_cga_2".into(),
                "v2nd_line".into(),
                "in_".into(),
                "str12_".into(),
                "a".repeat(32),
                format!("{}_2", "a".repeat(30)),
                "Age".into(),
                "age_2".into(),
            ]
        );
        for n in &names {
            assert!(n.len() <= MAX_LEN && n.starts_with(|c: char| c.is_ascii_alphabetic()));
        }
    }
}
