//! CTCAE v5.0 terms and the grades each defines.
//!
//! CTCAE does not define every grade for every term: "Leukocytosis" starts
//! at grade 3, "Nausea" stops at grade 3, "Alopecia" at 2. A recorded
//! "grade 1 leukocytosis" is a typing error (or another term), and counting
//! it would change a toxicity table without a word, so [`check`] refuses a
//! pair the table does not define. The table holds every CTCAE v5.0 term,
//! so a term that is not in it (a verbatim term, a name in common use such
//! as "Thrombocytopenia", a spelling variant) is accepted and reported as
//! [`Ctcae::UnknownTerm`]: the registry keeps it and the importer lists it,
//! with the CTCAE term to use where one is known ([`common_name`]), so that
//! it can be corrected.
//!
//! The table is `data/ctcae_v5_grades.csv` in this crate; its header says
//! where every row's grades were read.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The committed table (term, defined grades, source).
const TABLE: &str = include_str!("../../data/ctcae_v5_grades.csv");

/// One term of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The term as CTCAE spells it.
    pub name: &'static str,
    /// The grades CTCAE defines for it, ascending.
    pub grades: Vec<u8>,
}

/// What the table says about a recorded (term, grade).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ctcae {
    /// CTCAE defines this grade for this term.
    Defined,
    /// The term is in the table, the grade is not one it defines.
    NotDefined(&'static Term),
    /// The term is not in the table (accepted, flagged).
    UnknownTerm,
}

/// The key a term is matched by: lower case, runs of white space as one
/// space, no surrounding space.
fn key(term: &str) -> String {
    term.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn parse(table: &'static str) -> Result<Vec<Term>, String> {
    let mut out = Vec::new();
    let rows = table
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .skip(1); // header
    for line in rows {
        // A term may contain commas ("Cardiac disorders - Other, specify"):
        // the grades and the source are the last two fields.
        let mut parts = line.rsplitn(3, ',');
        let (Some(_source), Some(grades), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("not term,grades,source: {line}"));
        };
        let mut gs: Vec<u8> = Vec::new();
        for g in grades.split_whitespace() {
            match g.parse::<u8>() {
                Ok(n @ 1..=5) if !gs.contains(&n) => gs.push(n),
                _ => return Err(format!("grade '{g}' of {name}")),
            }
        }
        gs.sort_unstable();
        if gs.is_empty() {
            return Err(format!("no grade for {name}"));
        }
        out.push(Term {
            name: name.trim(),
            grades: gs,
        });
    }
    Ok(out)
}

fn table() -> &'static HashMap<String, Term> {
    static T: OnceLock<HashMap<String, Term>> = OnceLock::new();
    T.get_or_init(|| {
        // The table is committed and checked by a test: a malformed row
        // would fail that test, and is skipped here rather than panicking.
        parse(TABLE)
            .unwrap_or_default()
            .into_iter()
            .map(|t| (key(t.name), t))
            .collect()
    })
}

/// The table's entry for `term` (case and repeated spaces ignored).
pub fn term(term: &str) -> Option<&'static Term> {
    table().get(&key(term))
}

/// Every term of the table, sorted by name.
pub fn terms() -> Vec<&'static Term> {
    let mut v: Vec<&Term> = table().values().collect();
    v.sort_by(|a, b| a.name.cmp(b.name));
    v
}

/// Whether CTCAE v5.0 defines `grade` for `term`.
pub fn check(term_text: &str, grade: u8) -> Ctcae {
    match term(term_text) {
        None => Ctcae::UnknownTerm,
        Some(t) if t.grades.contains(&grade) => Ctcae::Defined,
        Some(t) => Ctcae::NotDefined(t),
    }
}

/// The defined grade of `term` nearest to `grade` (the lower one on a tie);
/// `grade` itself for a term not in the table. Used by the simulator, which
/// draws grades from a severity profile and must only record pairs that
/// exist.
pub fn nearest_defined(term_text: &str, grade: u8) -> u8 {
    match term(term_text) {
        None => grade,
        Some(t) => t
            .grades
            .iter()
            .copied()
            .min_by_key(|g| (g.abs_diff(grade), *g))
            .unwrap_or(grade),
    }
}

/// Names in everyday clinical use that CTCAE v5.0 records under another
/// term (each target is a term of the table: a test checks it). Only
/// one-to-one renamings are listed: a name that could be one of several
/// CTCAE terms ("renal failure", "asthenia") is left for the reader.
/// Spelling variants ("Diarrhoea", "Anaemia") need no entry: the edit
/// distance the importer's advice uses finds them.
const COMMON_NAMES: &[(&str, &str)] = &[
    ("Thrombocytopenia", "Platelet count decreased"),
    ("Thrombopenia", "Platelet count decreased"),
    ("Neutropenia", "Neutrophil count decreased"),
    ("Neutropaenia", "Neutrophil count decreased"),
    ("Leukopenia", "White blood cell decreased"),
    ("Leucopenia", "White blood cell decreased"),
    ("Lymphopenia", "Lymphocyte count decreased"),
    ("Lymphocytopenia", "Lymphocyte count decreased"),
    (
        "Hand-foot syndrome",
        "Palmar-plantar erythrodysesthesia syndrome",
    ),
    (
        "Hand-foot skin reaction",
        "Palmar-plantar erythrodysesthesia syndrome",
    ),
    ("Stomatitis", "Mucositis oral"),
    ("ALT increased", "Alanine aminotransferase increased"),
    ("AST increased", "Aspartate aminotransferase increased"),
    ("Hyperbilirubinemia", "Blood bilirubin increased"),
    ("MDS", "Myelodysplastic syndrome"),
];

/// The CTCAE v5.0 term for a name in common use that CTCAE records under
/// another term (`Thrombocytopenia` → `Platelet count decreased`), matched
/// as terms are (case and repeated spaces ignored).
pub fn common_name(term_text: &str) -> Option<&'static str> {
    let k = key(term_text);
    COMMON_NAMES
        .iter()
        .find(|(name, _)| key(name) == k)
        .map(|(_, ctcae)| *ctcae)
}

/// The defined grades as text: `3, 4, 5`.
pub fn grades_text(t: &Term) -> String {
    t.grades
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_table_parses_without_duplicates() {
        let rows = parse(TABLE).expect("table parses");
        // Every term of CTCAE v5.0 (scripts/check_ctcae_table.py checks
        // each row against the NCI table).
        assert_eq!(rows.len(), 837, "{} terms", rows.len());
        let mut keys: Vec<String> = rows.iter().map(|t| key(t.name)).collect();
        keys.sort();
        let n = keys.len();
        keys.dedup();
        assert_eq!(keys.len(), n, "a term is listed twice");
        assert_eq!(table().len(), n);
    }

    #[test]
    fn leukocytosis_has_no_grade_1() {
        match check("Leukocytosis", 1) {
            Ctcae::NotDefined(t) => assert_eq!(t.grades, vec![3, 4, 5]),
            other => panic!("{other:?}"),
        }
        assert_eq!(check("leukocytosis", 3), Ctcae::Defined);
        assert_eq!(check("  Leukocytosis ", 5), Ctcae::Defined);
        assert!(matches!(check("Nausea", 4), Ctcae::NotDefined(_)));
        assert!(matches!(
            check("Febrile neutropenia", 2),
            Ctcae::NotDefined(_)
        ));
        assert_eq!(check("Neutrophil count decreased", 4), Ctcae::Defined);
        assert!(matches!(
            check("Neutrophil count decreased", 5),
            Ctcae::NotDefined(_)
        ));
        assert_eq!(
            check("Carcinoid flush of the left ear", 1),
            Ctcae::UnknownTerm
        );
    }

    #[test]
    fn terms_with_commas_and_terms_a_net_registry_records_are_checked() {
        assert_eq!(
            check("Cardiac disorders - Other, specify", 5),
            Ctcae::Defined
        );
        assert!(matches!(check("Flushing", 4), Ctcae::NotDefined(_)));
        assert_eq!(check("Flushing", 3), Ctcae::Defined);
        assert!(matches!(check("Hot flashes", 4), Ctcae::NotDefined(_)));
        assert!(matches!(check("Alopecia", 3), Ctcae::NotDefined(_)));
        assert!(parse("term,grades,source\nA, b, c,1 2,x\n").is_ok_and(|t| t[0].name == "A, b, c"));
    }

    #[test]
    fn common_names_lead_to_terms_of_the_table() {
        for (name, ctcae) in COMMON_NAMES {
            assert!(
                term(ctcae).is_some(),
                "{ctcae} (for {name}) is not a CTCAE term"
            );
            assert!(term(name).is_none(), "{name} is itself a CTCAE term");
            assert_eq!(common_name(name), Some(*ctcae));
        }
        assert_eq!(
            common_name(" thrombocytopenia "),
            Some("Platelet count decreased")
        );
        assert_eq!(common_name("Nausea"), None);
    }

    #[test]
    fn nearest_defined_grade() {
        assert_eq!(nearest_defined("Nausea", 4), 3);
        assert_eq!(nearest_defined("Alopecia", 3), 2);
        assert_eq!(nearest_defined("Febrile neutropenia", 2), 3);
        assert_eq!(nearest_defined("Acidosis", 2), 1);
        assert_eq!(nearest_defined("Diarrhea", 4), 4);
        assert_eq!(nearest_defined("not a term", 4), 4);
    }

    #[test]
    fn malformed_rows_are_errors() {
        assert!(parse("term,grades,source\nX,0 1,nci\n").is_err());
        assert!(parse("term,grades,source\nX,1 1,nci\n").is_err());
        assert!(parse("term,grades,source\nX,,nci\n").is_err());
        assert!(parse("term,grades,source\nX,1\n").is_err());
    }
}
