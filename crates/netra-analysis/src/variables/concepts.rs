//! Variables of the registry model's third step (docs/model-v2.md):
//!
//! * `ihc.CODE` — the reading of a stain (`ihc.sstr2`: positive, negative,
//!   …) on the earliest specimen that has one;
//! * `germline.CODE`, `somatic.CODE` — yes when a test of the gene found a
//!   pathogenic or likely pathogenic variant, no when tested without one,
//!   missing when not tested (`germline.men1`);
//! * `qol.SCALE` — a QLQ-C30 scale score at baseline (`qol.ql2`, global
//!   health status; `qol.summary`, the summary score): the questionnaire
//!   completed nearest to study entry (else the metastatic diagnosis), from
//!   90 days before to 30 days after it, the earlier on a tie;
//! * `mgmt_methylation` — yes/no: MGMT promoter methylated (a test with a
//!   methylation result), missing when not tested;
//! * `charlson_index`, `flushing_per_day`, `diarrhoea_per_day` (in
//!   [`super::BASE`]).

use std::collections::BTreeMap;

use netra_clinical::qol::{self, QLQ_C30};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{
    Gene, GeneticOrigin, GeneticResult, IhcResult, IhcStain, Questionnaire, Vocabulary,
};

use super::frame::{Column, Level};
use super::registry::{capitalise, day};

/// Days before time zero a baseline questionnaire may be completed.
pub const QOL_BEFORE_DAYS: i32 = 90;
/// Days after time zero a baseline questionnaire may be completed.
pub const QOL_AFTER_DAYS: i32 = 30;

/// Stains with an `ihc.CODE` variable: those that group NET series
/// (receptor status, differentiation markers, the losses that mark DAXX/
/// ATRX-mutant and MEN1 tumours, p53/Rb of high-grade tumours, MGMT).
/// Every cohort computes every variable, so the families stay curated.
pub const IHC_VARIABLES: &[IhcStain] = &[
    IhcStain::Sstr2,
    IhcStain::Sstr5,
    IhcStain::ChromograninA,
    IhcStain::Synaptophysin,
    IhcStain::Insm1,
    IhcStain::Daxx,
    IhcStain::Atrx,
    IhcStain::Menin,
    IhcStain::P53,
    IhcStain::Rb1,
    IhcStain::Mgmt,
];

/// Genes with a `germline.CODE` variable (the NET predisposition
/// syndromes).
pub const GERMLINE_VARIABLES: &[Gene] = &[
    Gene::Men1,
    Gene::Vhl,
    Gene::Nf1,
    Gene::Tsc1,
    Gene::Tsc2,
    Gene::Cdkn1b,
    Gene::Ret,
    Gene::Sdhb,
];

/// Genes with a `somatic.CODE` variable.
pub const SOMATIC_VARIABLES: &[Gene] = &[
    Gene::Men1,
    Gene::Daxx,
    Gene::Atrx,
    Gene::Tp53,
    Gene::Rb1,
    Gene::Kras,
    Gene::Braf,
];

/// Every variable name of the families above.
pub fn concept_names() -> Vec<String> {
    let mut v: Vec<String> = IHC_VARIABLES
        .iter()
        .map(|s| format!("ihc.{}", s.code()))
        .collect();
    v.extend(
        GERMLINE_VARIABLES
            .iter()
            .map(|g| format!("germline.{}", g.code())),
    );
    v.extend(
        SOMATIC_VARIABLES
            .iter()
            .map(|g| format!("somatic.{}", g.code())),
    );
    v.push("mgmt_methylation".into());
    v.extend(qol_codes().into_iter().map(|s| format!("qol.{s}")));
    v
}

fn qol_codes() -> Vec<String> {
    let mut v: Vec<String> = QLQ_C30.iter().map(|s| s.code.to_lowercase()).collect();
    v.push("summary".into());
    v
}

/// `Some(categorical)` for a name of these families.
pub fn concept_kind(name: &str) -> Option<bool> {
    concept_names()
        .iter()
        .any(|n| n == name)
        .then(|| !name.starts_with("qol."))
}

/// The printed name of a variable of these families.
pub fn concept_label(name: &str) -> Option<String> {
    if !concept_names().iter().any(|n| n == name) {
        return None;
    }
    if name == "mgmt_methylation" {
        return Some("MGMT promoter methylation".into());
    }
    if let Some(s) = name.strip_prefix("ihc.") {
        return IhcStain::from_code(s)
            .ok()
            .map(|s| format!("{} (IHC)", capitalise(s.label())));
    }
    if let Some(g) = name.strip_prefix("germline.") {
        return Gene::from_code(g)
            .ok()
            .map(|g| format!("Germline {} variant", g.label()));
    }
    if let Some(g) = name.strip_prefix("somatic.") {
        return Gene::from_code(g)
            .ok()
            .map(|g| format!("Somatic {} variant", g.label()));
    }
    if let Some(s) = name.strip_prefix("qol.") {
        if s == "summary" {
            return Some("QLQ-C30 summary score at baseline".into());
        }
        return QLQ_C30
            .iter()
            .find(|x| x.code.eq_ignore_ascii_case(s))
            .map(|x| format!("QLQ-C30 {} at baseline", x.label));
    }
    None
}

fn yes_no(values: Vec<Option<bool>>) -> Column {
    Column::Cat {
        levels: vec![
            Level {
                code: "no".into(),
                label: "No".into(),
            },
            Level {
                code: "yes".into(),
                label: "Yes".into(),
            },
        ],
        codes: values.into_iter().map(|v| v.map(usize::from)).collect(),
    }
}

/// The column of a variable of these families, `None` for other names.
pub fn concept_column(name: &str, courses: &[PatientCourse]) -> Option<Column> {
    if !concept_names().iter().any(|n| n == name) {
        return None;
    }
    if name == "mgmt_methylation" {
        return Some(yes_no(
            courses
                .iter()
                .map(|c| {
                    c.genetic_tests
                        .iter()
                        .filter(|t| t.gene == Gene::Mgmt)
                        .filter_map(|t| match t.result {
                            GeneticResult::Methylated => Some(true),
                            GeneticResult::Unmethylated => Some(false),
                            _ => None,
                        })
                        .fold(None, |acc, m| Some(acc.unwrap_or(false) || m))
                })
                .collect(),
        ));
    }
    if let Some(s) = name.strip_prefix("ihc.") {
        let stain = IhcStain::from_code(s).ok()?;
        let levels = IhcResult::ALL
            .iter()
            .map(|r| Level {
                code: r.code().to_string(),
                label: capitalise(r.label()),
            })
            .collect();
        let codes = courses
            .iter()
            .map(|c| {
                c.first_stain(stain)
                    .and_then(|x| IhcResult::ALL.iter().position(|r| *r == x.result))
            })
            .collect();
        return Some(Column::Cat { levels, codes });
    }
    for (prefix, origin) in [
        ("germline.", GeneticOrigin::Germline),
        ("somatic.", GeneticOrigin::Somatic),
    ] {
        if let Some(g) = name.strip_prefix(prefix) {
            let gene = Gene::from_code(g).ok()?;
            return Some(yes_no(
                courses.iter().map(|c| variant(c, origin, gene)).collect(),
            ));
        }
    }
    if let Some(s) = name.strip_prefix("qol.") {
        if !qol_codes().iter().any(|c| c == s) {
            return None;
        }
        return Some(Column::Num(
            courses
                .iter()
                .map(|c| {
                    let scores = qol::score(Questionnaire::QlqC30, &baseline_c30(c)?);
                    if s == "summary" {
                        qol::c30_summary(&scores)
                    } else {
                        scores
                            .iter()
                            .find(|x| x.scale.code.eq_ignore_ascii_case(s))
                            .and_then(|x| x.score)
                    }
                })
                .collect(),
        ));
    }
    None
}

fn variant(c: &PatientCourse, origin: GeneticOrigin, gene: Gene) -> Option<bool> {
    c.genetic_tests
        .iter()
        .filter(|t| t.origin == origin && t.gene == gene)
        .fold(None, |acc, t| {
            Some(acc.unwrap_or(false) || t.result.is_pathogenic())
        })
}

/// The item responses of the baseline QLQ-C30 (see the module doc).
pub fn baseline_c30(c: &PatientCourse) -> Option<Vec<(u8, u8)>> {
    let zero = day(&c.patient.entry_date).or_else(|| day(&c.patient.metastatic_date))?;
    let mut forms: BTreeMap<i32, Vec<(u8, u8)>> = BTreeMap::new();
    for r in c
        .qol_responses
        .iter()
        .filter(|r| r.questionnaire == Questionnaire::QlqC30)
    {
        // Forms are keyed by their day; two forms of one day cannot be
        // told apart by analyses and are read as one.
        let d = day(&Some(r.date))?;
        forms.entry(d).or_default().push((r.item, r.response));
    }
    forms
        .into_iter()
        .filter(|(d, _)| (-QOL_BEFORE_DAYS..=QOL_AFTER_DAYS).contains(&(d - zero)))
        .min_by_key(|(d, _)| ((d - zero).abs(), *d))
        .map(|(_, r)| r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::variables::registry::registry_column;
    use netra_clinical::registry::model::{
        GeneticTest, Immunostain, Patient, QolResponse, RecordedComorbidity,
    };
    use netra_clinical::registry::schema::{Entity, Value};
    use netra_clinical::registry::vocab::{Comorbidity, GeneticResult};

    fn patient(code: &str, entry: Option<&str>) -> PatientCourse {
        let spec = Entity::Patient.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        let mut cells = vec![
            ("patient", code),
            ("site", "s"),
            ("sex", "female"),
            ("vital_status", "alive"),
        ];
        if let Some(e) = entry {
            cells.push(("entry_date", e));
        }
        for (c, t) in cells {
            let i = spec.position(c).unwrap();
            r[i] = spec.columns[i].kind.parse(t).unwrap();
        }
        PatientCourse::new(Patient::from_row(&r).unwrap())
    }

    fn cat(name: &str, courses: &[PatientCourse]) -> Vec<Option<String>> {
        match registry_column(name, courses).unwrap() {
            Column::Cat { levels, codes } => codes
                .iter()
                .map(|c| c.map(|i| levels[i].code.clone()))
                .collect(),
            Column::Num(_) => panic!("{name} is categorical"),
        }
    }

    fn num(name: &str, courses: &[PatientCourse]) -> Vec<Option<f64>> {
        match registry_column(name, courses).unwrap() {
            Column::Num(v) => v,
            Column::Cat { .. } => panic!("{name} is a number"),
        }
    }

    fn stain(date: &str, stain: IhcStain, result: IhcResult) -> Immunostain {
        Immunostain {
            tumour: "1".into(),
            date: date.parse().unwrap(),
            specimen: None,
            stain,
            stain_detail: None,
            result,
            percent_cells: None,
            intensity: None,
            score: None,
            score_system: None,
            notes: None,
        }
    }

    fn gene(origin: GeneticOrigin, gene: Gene, result: GeneticResult) -> GeneticTest {
        GeneticTest {
            origin,
            gene,
            gene_detail: None,
            result,
            variant: None,
            tumour: None,
            date: None,
            method: None,
            notes: None,
        }
    }

    fn c30(c: &mut PatientCourse, date: &str, items: &[(u8, u8)]) {
        for &(item, response) in items {
            c.qol_responses.push(QolResponse {
                questionnaire: Questionnaire::QlqC30,
                date: date.parse().unwrap(),
                item,
                response,
            });
        }
    }

    #[test]
    fn stains_genes_and_comorbidities_group_patients() {
        let mut a = patient("a", Some("2015-01-01"));
        // The earliest specimen's reading, not the later one.
        a.immunostains
            .push(stain("2018", IhcStain::Sstr2, IhcResult::Negative));
        a.immunostains
            .push(stain("2014-12", IhcStain::Sstr2, IhcResult::Positive));
        a.genetic_tests.push(gene(
            GeneticOrigin::Germline,
            Gene::Men1,
            GeneticResult::Pathogenic,
        ));
        a.genetic_tests.push(gene(
            GeneticOrigin::Somatic,
            Gene::Mgmt,
            GeneticResult::Unmethylated,
        ));
        a.comorbidities.push(RecordedComorbidity {
            condition: Comorbidity::Aids,
            condition_detail: None,
            date: None,
            notes: None,
        });
        let mut b = patient("b", None);
        b.immunostains
            .push(stain("2014", IhcStain::Sstr2, IhcResult::NotEvaluable));
        b.genetic_tests.push(gene(
            GeneticOrigin::Germline,
            Gene::Men1,
            GeneticResult::NoVariant,
        ));
        let courses = [a, b, patient("c", None)];
        assert_eq!(
            cat("ihc.sstr2", &courses),
            vec![Some("positive".into()), None, None]
        );
        assert_eq!(
            cat("germline.men1", &courses),
            vec![Some("yes".into()), Some("no".into()), None]
        );
        assert_eq!(
            cat("mgmt_methylation", &courses),
            vec![Some("no".into()), None, None]
        );
        assert_eq!(num("charlson_index", &courses), vec![Some(6.0), None, None]);
        assert_eq!(concept_kind("germline.men1"), Some(true));
        assert_eq!(concept_kind("qol.ql2"), Some(false));
        assert_eq!(concept_kind("germline.other"), None);
        assert_eq!(
            concept_label("qol.ql2").as_deref(),
            Some("QLQ-C30 global health status / QoL at baseline")
        );
    }

    #[test]
    fn baseline_questionnaire_is_the_nearest_in_its_window() {
        // Entry 2015-01-10. Forms: 2014-09-01 (131 days before: outside),
        // 2015-01-01 (9 days before), 2015-01-25 (15 after).
        let mut a = patient("a", Some("2015-01-10"));
        c30(&mut a, "2014-09-01", &[(29, 7), (30, 7)]);
        c30(&mut a, "2015-01-01", &[(29, 4), (30, 5)]);
        c30(&mut a, "2015-01-25", &[(29, 1), (30, 1)]);
        // Only a form 40 days after entry: no baseline.
        let mut b = patient("b", Some("2015-01-10"));
        c30(&mut b, "2015-02-19", &[(29, 4), (30, 4)]);
        let courses = [a, b];
        // QL2 of (4, 5): RS 4.5, (3.5/6)·100.
        let ql = num("qol.ql2", &courses);
        assert!((ql[0].unwrap() - 3.5 / 6.0 * 100.0).abs() < 1e-12);
        assert_eq!(ql[1], None);
        // Physical functioning was not asked: missing, and no summary.
        assert_eq!(num("qol.pf2", &courses), vec![None, None]);
        assert_eq!(num("qol.summary", &courses), vec![None, None]);
    }
}
