//! The concepts an extract uses: the committed subset of standard OMOP
//! concepts (`concepts.csv`, each id marked with where it was checked, or
//! left empty when it was not) and netra's local concepts.
//!
//! Why local concepts: OMOP reserves concept ids from 2,000,000,000 for a
//! site's own codes. Every netra code (an agent, a treatment type, a
//! registry column carried as an observation) has one, in vocabulary
//! `netra` with concept code `<vocabulary>/<code>`; the exporter writes it
//! as the `*_source_concept_id` and the standard concept (or 0 when none is
//! known) as the `*_concept_id`, so the extract never claims a standard id
//! that was not checked, and the importer can always tell the exact netra
//! code back. Local ids are a hash of the code (stable whatever codes are
//! added later); a test fails on a collision.

use std::collections::BTreeMap;

/// The committed standard concepts (`netra,concept_id,…,verified`).
const DATA: &str = include_str!("concepts.csv");

/// The vocabulary id of netra's local concepts.
pub const LOCAL_VOCABULARY: &str = "netra";

/// First id of the local range.
const LOCAL_BASE: i64 = 2_000_000_000;

/// One concept row, as the CONCEPT table holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Concept {
    /// `concept_id`.
    pub id: i64,
    /// `concept_name`.
    pub name: String,
    /// `domain_id`.
    pub domain: String,
    /// `vocabulary_id`.
    pub vocabulary: String,
    /// `concept_class_id`.
    pub class: String,
    /// `'S'` for standard concepts, empty for local ones.
    pub standard: bool,
    /// `concept_code`.
    pub code: String,
}

/// A committed standard concept and the netra code it stands for.
#[derive(Debug, Clone)]
pub struct Standard {
    /// `vocabulary/code` on netra's side (`agent/octreotide`, `cdm/…`).
    pub netra: String,
    /// The concept; `None` when no id is known with certainty.
    pub concept: Option<Concept>,
    /// Where the id was checked.
    pub verified: String,
}

/// Every committed row of `concepts.csv`.
pub fn standards() -> Vec<Standard> {
    let body: String = DATA
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let mut out = Vec::new();
    for rec in r.records().flatten() {
        let f = |i: usize| rec.get(i).unwrap_or("").trim().to_string();
        let concept = f(1).parse::<i64>().ok().map(|id| Concept {
            id,
            name: f(2),
            domain: f(3),
            vocabulary: f(4),
            class: f(5),
            standard: true,
            code: f(6),
        });
        out.push(Standard {
            netra: f(0),
            concept,
            verified: f(7),
        });
    }
    out
}

/// The standard concept committed for a netra code, if an id is known.
pub fn standard_of(netra: &str) -> Option<Concept> {
    standards()
        .into_iter()
        .find(|s| s.netra == netra)
        .and_then(|s| s.concept)
}

/// The netra code a committed standard concept id stands for.
pub fn netra_of_standard(id: i64) -> Option<String> {
    standards()
        .into_iter()
        .find(|s| s.concept.as_ref().is_some_and(|c| c.id == id))
        .map(|s| s.netra)
}

/// The local concept id of a netra code (`agent/octreotide`,
/// `column/treatments.intent`): FNV-1a of the code folded into the 100
/// million ids above 2,000,000,000.
pub fn local_id(netra: &str) -> i64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in netra.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    LOCAL_BASE + (h % 100_000_000) as i64
}

/// The local concept of a netra code.
pub fn local(netra: &str, name: &str, domain: &str) -> Concept {
    Concept {
        id: local_id(netra),
        name: name.to_string(),
        domain: domain.to_string(),
        vocabulary: LOCAL_VOCABULARY.to_string(),
        class: netra.split('/').next().unwrap_or("").to_string(),
        standard: false,
        code: netra.to_string(),
    }
}

/// The concepts an extract used, written as its `concept.csv`.
#[derive(Debug, Default)]
pub struct Used {
    by_id: BTreeMap<i64, Concept>,
}

impl Used {
    /// Notes a concept as used and returns its id.
    pub fn add(&mut self, c: Concept) -> i64 {
        let id = c.id;
        self.by_id.entry(id).or_insert(c);
        id
    }

    /// The pair (standard id or 0, local id) for a netra code, both noted.
    pub fn pair(&mut self, netra: &str, name: &str, domain: &str) -> (i64, i64) {
        let std = standard_of(netra).map_or(0, |c| self.add(c));
        let loc = self.add(local(netra, name, domain));
        (std, loc)
    }

    /// A CDM constant (type concept, field concept): the committed standard
    /// concept, else a local one.
    pub fn cdm(&mut self, name: &str) -> i64 {
        let netra = format!("cdm/{name}");
        match standard_of(&netra) {
            Some(c) => self.add(c),
            None => self.add(local(&netra, name, "Metadata")),
        }
    }

    /// A unit (`percent`, `millimeter`): the committed UCUM concept, else a
    /// local one.
    pub fn cdm_unit(&mut self, name: &str) -> i64 {
        let netra = format!("unit/{name}");
        match standard_of(&netra) {
            Some(c) => self.add(c),
            None => self.add(local(&netra, name, "Unit")),
        }
    }

    /// The concepts in id order.
    pub fn concepts(&self) -> impl Iterator<Item = &Concept> {
        self.by_id.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::schema::Entity;
    use netra_clinical::registry::vocab::{
        Agent, Comorbidity, Gene, GeneticResult, IhcResult, IhcStain, Marker, MarkerResult,
        MetastasisSite, Modality, PrimarySite, Questionnaire, Response, TreatmentType, Vocabulary,
    };
    use std::collections::HashMap;

    fn codes<V: Vocabulary>(out: &mut Vec<String>) {
        out.extend(V::ALL.iter().map(|v| format!("{}/{}", V::NAME, v.code())));
    }

    #[test]
    fn local_ids_do_not_collide_and_stay_in_the_local_range() {
        let mut all = Vec::new();
        codes::<Agent>(&mut all);
        codes::<TreatmentType>(&mut all);
        codes::<PrimarySite>(&mut all);
        codes::<MetastasisSite>(&mut all);
        codes::<Marker>(&mut all);
        codes::<Modality>(&mut all);
        codes::<Response>(&mut all);
        codes::<MarkerResult>(&mut all);
        codes::<IhcStain>(&mut all);
        codes::<IhcResult>(&mut all);
        codes::<Gene>(&mut all);
        codes::<GeneticResult>(&mut all);
        codes::<Comorbidity>(&mut all);
        for q in Questionnaire::ALL {
            for i in q.items() {
                all.push(format!("qol_item/{}/{i}", q.code()));
            }
        }
        for e in Entity::ALL {
            for c in &e.spec().columns {
                all.push(format!("column/{}.{}", e.spec().file, c.name));
            }
        }
        let mut seen: HashMap<i64, &str> = HashMap::new();
        for c in &all {
            let id = local_id(c);
            assert!((2_000_000_000..2_100_000_000).contains(&id));
            if let Some(other) = seen.insert(id, c) {
                panic!("{c} and {other} share the local id {id}");
            }
        }
    }

    #[test]
    fn the_committed_ids_are_unique_and_name_their_source() {
        let s = standards();
        assert!(s.len() > 30, "{}", s.len());
        let mut ids = HashMap::new();
        for row in &s {
            assert!(!row.verified.is_empty(), "{}", row.netra);
            if let Some(c) = &row.concept {
                assert!(c.id > 0 && c.id < LOCAL_BASE, "{}", row.netra);
                assert!(ids.insert(c.id, &row.netra).is_none(), "{}", row.netra);
            }
        }
        assert_eq!(standard_of("agent/octreotide").map(|c| c.id), Some(1522957));
        assert_eq!(
            netra_of_standard(19011440).as_deref(),
            Some("agent/everolimus")
        );
        // an unverified id is left out, not guessed
        assert!(standard_of("agent/lu177_dotatate").is_none());
    }
}
