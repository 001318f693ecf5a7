//! Words people read in place of schema names: section titles of the
//! patient page ("Clinical status", "Imaging assessments"), column
//! headers ("Ki-67 (%)", "Start date") and how a record is named in a
//! heading ("patient 12", not "patient patient 12").

use netra_clinical::registry::Entity;
use netra_clinical::registry::schema::{ColumnSpec, Kind};

use crate::access::entity_label;

/// `text` with its first letter in upper case.
pub fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The plural of an entity label: words ending in `s` (status) stay as
/// they are, `…y` becomes `…ies`, others take an `s`.
fn plural(label: &str) -> String {
    if label.ends_with('s') {
        label.to_string()
    } else if let Some(stem) = label.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else {
        format!("{label}s")
    }
}

/// The heading of an entity's section on the patient page.
pub fn section_title(e: Entity) -> String {
    capitalise(&plural(entity_label(e)))
}

/// Words of column names written as people write them.
fn word(w: &str) -> String {
    match w {
        "ki67" => "Ki-67".into(),
        "who" => "WHO".into(),
        "ecog" => "ECOG".into(),
        "seer" => "SEER".into(),
        "mibg" => "MIBG".into(),
        "nec" => "NEC".into(),
        "gi" => "GI".into(),
        "ctcae" => "CTCAE".into(),
        "gbq" => "GBq".into(),
        "gy" => "Gy".into(),
        "hu" => "HU".into(),
        "lu177" => "¹⁷⁷Lu".into(),
        "y90" => "⁹⁰Y".into(),
        "10hpf" => "10 HPF".into(),
        "2mm2" => "2 mm²".into(),
        "followup" => "follow-up".into(),
        other => other.into(),
    }
}

/// A column's header: its name in words with the unit it is in, e.g.
/// `ki67_percent` → "Ki-67 (%)", `longest_mm` → "Longest (mm)",
/// `start_date` → "Start date".
pub fn header(c: &ColumnSpec) -> String {
    let mut words: Vec<&str> = c.name.split('_').collect();
    // A unit spelt in the name moves into brackets.
    let unit_word = match words.last().copied() {
        Some("percent") => Some("%"),
        Some("mm") if words.len() > 1 => Some("mm"),
        Some("gbq") if words.len() > 1 => Some("GBq"),
        Some("gy") if words.len() > 1 => Some("Gy"),
        Some("hu") if words.len() > 1 => Some("HU"),
        Some("kg") if words.len() > 1 => Some("kg"),
        Some("days") if words.len() > 1 => Some("days"),
        _ => None,
    };
    if unit_word.is_some() {
        words.pop();
    }
    let mut s = capitalise(&words.iter().map(|w| word(w)).collect::<Vec<_>>().join(" "));
    let unit = unit_word.or(c
        .unit
        .filter(|u| !matches!(*u, "years" | "grade" | "Krenning grade" | "points")));
    if let Some(u) = unit {
        s.push_str(&format!(" ({u})"));
    }
    s
}

/// Is the column a date (shown without wrapping)?
pub fn is_date(c: &ColumnSpec) -> bool {
    matches!(c.kind, Kind::Date)
}

/// A record as a heading names it: `patient 12`, `treatment T1 of patient
/// 12`, from the entity and its key values (`key` in the spec's key order).
pub fn record_name(e: Entity, key: &[String]) -> String {
    let spec = e.spec();
    let label = entity_label(e);
    let parts: Vec<(&str, &str)> = spec
        .key
        .iter()
        .zip(key)
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.as_str()))
        .collect();
    // The record's own key part is named by the entity label; the parent's
    // (patient, treatment, assessment) come after it.
    let own = parts
        .iter()
        .rev()
        .find(|(k, _)| *k == spec.table)
        .or(parts.last());
    let mut s = match own {
        Some((_, v)) => format!("{label} {v}"),
        None => label.to_string(),
    };
    let parents: Vec<String> = parts
        .iter()
        .filter(|p| Some(*p) != own)
        .rev()
        .map(|(k, v)| format!("{} {v}", k.replace('_', " ")))
        .collect();
    if !parents.is_empty() {
        s.push_str(" of ");
        s.push_str(&parents.join(" of "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_are_plurals_people_read() {
        assert_eq!(section_title(Entity::ClinicalStatus), "Clinical status");
        assert_eq!(section_title(Entity::Assessment), "Imaging assessments");
        assert_eq!(section_title(Entity::Biomarker), "Biomarker measurements");
        assert_eq!(section_title(Entity::Treatment), "Treatments");
        assert_eq!(plural("study"), "studies");
        assert_eq!(plural("survey"), "surveys");
    }

    #[test]
    fn headers_name_their_unit_once() {
        let col = |e: Entity, n: &str| e.spec().column(n).unwrap().clone();
        assert_eq!(header(&col(Entity::Tumour, "ki67_percent")), "Ki-67 (%)");
        assert_eq!(header(&col(Entity::Lesion, "longest_mm")), "Longest (mm)");
        assert_eq!(header(&col(Entity::Treatment, "start_date")), "Start date");
        assert_eq!(
            header(&col(Entity::Patient, "last_followup_date")),
            "Last follow-up date"
        );
        assert!(is_date(&col(Entity::Treatment, "start_date")));
        assert!(!is_date(&col(Entity::Treatment, "type")));
    }

    #[test]
    fn records_are_named_without_repeating_the_entity() {
        assert_eq!(record_name(Entity::Patient, &["12".into()]), "patient 12");
        assert_eq!(
            record_name(Entity::Treatment, &["12".into(), "T1".into()]),
            "treatment T1 of patient 12"
        );
        assert_eq!(
            record_name(Entity::Lesion, &["12".into(), "A1".into(), "L1".into()]),
            "lesion L1 of assessment A1 of patient 12"
        );
    }
}
