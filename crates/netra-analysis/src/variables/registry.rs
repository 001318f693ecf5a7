//! How each registry variable of the dictionary is read from a patient's
//! course.

use std::collections::HashMap;

use netra_clinical::groups::{CohortGrade, CohortSite};
use netra_clinical::registry::date::{Imputation, PartialDate, completed_years};
use netra_clinical::registry::model::{PatientCourse, Tumour};
use netra_clinical::registry::vocab::{
    FunctionalSyndrome, Marker, MetastasisSite, SurgeryType, TreatmentClass, TreatmentType,
    Vocabulary,
};

use super::BASE;
use super::frame::{Column, Level, Variable};
use netra_stats::model::order_levels;

/// Analysis day of a partial date (registry rule `mid_point`).
pub fn day(d: &Option<PartialDate>) -> Option<i32> {
    d.as_ref().map(|d| d.impute(Imputation::MidPoint).day.0)
}

fn first_tumour(c: &PatientCourse) -> Option<&Tumour> {
    c.tumours.first()
}

/// Capitalises the first letter of a label.
pub fn capitalise(s: &str) -> String {
    let mut ch = s.chars();
    match ch.next() {
        Some(f) => f.to_uppercase().collect::<String>() + ch.as_str(),
        None => String::new(),
    }
}

fn vocab_column<V: Vocabulary + PartialEq>(values: Vec<Option<V>>) -> Column {
    let levels: Vec<Level> = V::ALL
        .iter()
        .map(|v| Level {
            code: v.code().to_string(),
            label: capitalise(v.label()),
        })
        .collect();
    let codes = values
        .into_iter()
        .map(|v| v.and_then(|v| V::ALL.iter().position(|x| *x == v)))
        .collect();
    Column::Cat { levels, codes }
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

/// Free text as a factor: levels in R's order (`netra_stats::model::levels`).
pub fn text_column(values: Vec<Option<String>>) -> Column {
    let mut distinct: Vec<&str> = values.iter().flatten().map(String::as_str).collect();
    distinct.sort_unstable();
    distinct.dedup();
    let order = order_levels(&distinct);
    let index: HashMap<&str, usize> = distinct
        .iter()
        .zip(&order.level_of)
        .map(|(t, &l)| (*t, l))
        .collect();
    let codes = values
        .iter()
        .map(|v| v.as_deref().map(|v| index[v]))
        .collect();
    Column::Cat {
        levels: order.levels.iter().map(|l| Level::same(l)).collect(),
        codes,
    }
}

fn metastasis(c: &PatientCourse, site: Option<MetastasisSite>) -> Vec<MetastasisSite> {
    let mut s: Vec<MetastasisSite> = c
        .metastases
        .iter()
        .filter(|m| m.at_metastatic_diagnosis != Some(false))
        .map(|m| m.site)
        .filter(|m| site.is_none_or(|s| s == *m))
        .collect();
    s.dedup();
    s
}

fn cohort_grade_column(courses: &[PatientCourse]) -> Column {
    let codes = [
        "g1",
        "g2",
        "g3",
        "large_cell",
        "small_cell",
        "unclassified",
        "unavailable",
    ];
    Column::Cat {
        levels: CohortGrade::ALL
            .iter()
            .zip(codes)
            .map(|(g, c)| Level {
                code: c.into(),
                label: g.label().to_string(),
            })
            .collect(),
        codes: courses
            .iter()
            .map(|c| {
                Some(
                    first_tumour(c)
                        .map_or(CohortGrade::Unavailable, CohortGrade::of)
                        .index(),
                )
            })
            .collect(),
    }
}

fn cohort_site_column(courses: &[PatientCourse]) -> Column {
    let levels = [
        ("pancreas", "Pancreas"),
        ("foregut", "GI tract, foregut"),
        ("midgut", "GI tract, midgut"),
        ("hindgut", "GI tract, hindgut"),
        ("lung", "Lung"),
        ("other", "Other"),
        ("unknown", "Unknown"),
    ];
    debug_assert_eq!(levels.len(), CohortSite::ALL.len());
    Column::Cat {
        levels: levels
            .iter()
            .map(|(c, l)| Level {
                code: (*c).into(),
                label: (*l).into(),
            })
            .collect(),
        codes: courses
            .iter()
            .map(|c| first_tumour(c).map(|t| CohortSite::of(t).index()))
            .collect(),
    }
}

/// Days per year and month used by the derived intervals.
const YEAR: f64 = 365.25;
const MONTH: f64 = 30.4375;

/// The column of a registry variable over `courses`, with every level of
/// its vocabulary (empty ones included); `None` for an unknown name.
pub fn registry_column(name: &str, courses: &[PatientCourse]) -> Option<Column> {
    let p = |f: &dyn Fn(&PatientCourse) -> Option<f64>| {
        Column::Num(courses.iter().map(f).collect::<Vec<_>>())
    };
    let tumour_num = |f: &dyn Fn(&Tumour) -> Option<f64>| {
        Column::Num(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(f))
                .collect(),
        )
    };
    let met = |site: MetastasisSite| {
        yes_no(
            courses
                .iter()
                .map(|c| Some(!metastasis(c, Some(site)).is_empty()))
                .collect(),
        )
    };
    let start_day =
        |c: &PatientCourse| day(&c.patient.entry_date).or_else(|| day(&c.patient.metastatic_date));
    Some(match name {
        "site" => text_column(
            courses
                .iter()
                .map(|c| Some(c.patient.site.clone()))
                .collect(),
        ),
        "sex" => vocab_column(courses.iter().map(|c| Some(c.patient.sex)).collect()),
        "age_at_entry" => p(&|c| {
            if let Some(a) = c.patient.age_at_entry {
                return Some(a as f64);
            }
            let birth = c.patient.birth_date?;
            let at = c.patient.entry_date.or(c.patient.metastatic_date)?;
            completed_years(birth, at).map(|y| y as f64)
        }),
        "age_at_diagnosis" => p(&|c| {
            let (birth, at) = (c.patient.birth_date?, c.patient.diagnosis_date?);
            completed_years(birth, at).map(|y| y as f64)
        }),
        "diagnosis_year" => p(&|c| c.patient.diagnosis_date.map(|d| f64::from(d.year))),
        "arm" => text_column(courses.iter().map(|c| c.patient.arm.clone()).collect()),
        "ecog" => p(&|c| c.patient.ecog.map(f64::from)),
        "metastatic_setting" => vocab_column(
            courses
                .iter()
                .map(|c| c.patient.metastatic_setting)
                .collect(),
        ),
        "prior_stage" => vocab_column(courses.iter().map(|c| c.patient.prior_stage).collect()),
        "vital_status" => vocab_column(
            courses
                .iter()
                .map(|c| Some(c.patient.vital_status))
                .collect(),
        ),
        "years_from_diagnosis" => p(&|c| {
            let d = day(&c.patient.diagnosis_date)?;
            Some((start_day(c)? - d) as f64 / YEAR)
        }),
        "followup_months" => p(&|c| {
            let end = day(&c.patient.death_date).or_else(|| day(&c.patient.last_followup_date))?;
            Some((end - start_day(c)?) as f64 / MONTH)
        }),
        "primary_site" => vocab_column(
            courses
                .iter()
                .map(|c| first_tumour(c).map(|t| t.primary_site))
                .collect(),
        ),
        "primary_group" => cohort_site_column(courses),
        "gi_segment" => vocab_column(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(Tumour::segment))
                .collect(),
        ),
        "grade_group" => cohort_grade_column(courses),
        "who_grade" => vocab_column(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(Tumour::grade))
                .collect(),
        ),
        "grade_system" => vocab_column(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(|t| t.grade_system))
                .collect(),
        ),
        "reported_grade" => vocab_column(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(|t| t.reported_grade))
                .collect(),
        ),
        "differentiation" => vocab_column(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(|t| t.differentiation))
                .collect(),
        ),
        "ki67" => tumour_num(&|t| t.ki67_percent),
        "mitoses" => tumour_num(&|t| t.mitoses_per_2mm2),
        "functional_syndrome" => vocab_column(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(|t| t.functional_syndrome))
                .collect(),
        ),
        "functional" => yes_no(
            courses
                .iter()
                .map(|c| {
                    first_tumour(c)
                        .and_then(|t| t.functional_syndrome)
                        .and_then(|f| match f {
                            FunctionalSyndrome::Unknown => None,
                            FunctionalSyndrome::NonFunctioning => Some(false),
                            _ => Some(true),
                        })
                })
                .collect(),
        ),
        "reported_type" => text_column(
            courses
                .iter()
                .map(|c| first_tumour(c).and_then(|t| t.reported_type.clone()))
                .collect(),
        ),
        "krenning_uptake" => tumour_num(&|t| t.krenning_uptake.map(f64::from)),
        "mibg_uptake" => tumour_num(&|t| t.mibg_uptake.map(f64::from)),
        "liver_metastases" => met(MetastasisSite::Liver),
        "lymph_node_metastases" => met(MetastasisSite::LymphNode),
        "bone_metastases" => met(MetastasisSite::Bone),
        "lung_metastases" => met(MetastasisSite::Lung),
        "peritoneal_metastases" => met(MetastasisSite::Peritoneum),
        "brain_metastases" => met(MetastasisSite::Brain),
        "adrenal_metastases" => met(MetastasisSite::Adrenal),
        "other_metastases" => met(MetastasisSite::Other),
        "charlson_index" => p(&|c| c.charlson_index().map(f64::from)),
        "flushing_per_day" => p(&|c| earliest_visit(c, |v| v.flushing_per_day)),
        "diarrhoea_per_day" => p(&|c| earliest_visit(c, |v| v.diarrhoea_per_day)),
        "metastatic_sites" => p(&|c| {
            let mut s = metastasis(c, None);
            s.sort_by_key(|m| m.code());
            s.dedup();
            Some(s.len() as f64)
        }),
        _ => {
            if let Some(code) = name.strip_prefix("marker.") {
                let m = Marker::from_code(code).ok()?;
                return Some(p(&|c| earliest_marker(c, m).map(|(v, _)| v)));
            }
            if let Some(code) = name.strip_prefix("received.") {
                let ty = TreatmentType::from_code(code).ok();
                let class = TreatmentClass::from_code(code).ok();
                if ty.is_none() && class.is_none() {
                    return None;
                }
                return Some(yes_no(
                    courses
                        .iter()
                        .map(|c| {
                            Some(
                                c.treatments
                                    .iter()
                                    .any(|t| Some(t.kind) == ty || Some(t.class()) == class),
                            )
                        })
                        .collect(),
                ));
            }
            if let Some(c) = super::concepts::concept_column(name, courses) {
                return Some(c);
            }
            if let Some(c) = super::markers::column(name, courses) {
                return Some(c);
            }
            if let Some(c) = super::outcomes::column(name, courses) {
                return Some(c);
            }
            return super::treatment::treatment_column(name, courses);
        }
    })
}

/// A visit's value at the earliest visit that records it.
fn earliest_visit(
    c: &PatientCourse,
    f: impl Fn(&netra_clinical::registry::model::ClinicalStatus) -> Option<f64>,
) -> Option<f64> {
    c.clinical_status
        .iter()
        .filter_map(|v| Some((v.date.impute(Imputation::MidPoint).day.0, f(v)?)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, x)| x)
}

/// The earliest value of a marker and its upper limit of normal.
pub(crate) fn earliest_marker(c: &PatientCourse, m: Marker) -> Option<(f64, Option<f64>)> {
    c.biomarkers
        .iter()
        .filter(|b| b.marker == m)
        .min_by_key(|b| b.date.impute(Imputation::MidPoint).day.0)
        .map(|b| (b.value, b.upper_limit))
}

/// The registry variable `name` for `courses`, or `None` when unknown.
pub fn registry_variable(name: &str, courses: &[PatientCourse]) -> Option<Variable> {
    let column = registry_column(name, courses)?.drop_empty_levels();
    Some(Variable {
        name: name.to_string(),
        label: label_of(name),
        column,
    })
}

/// The printed name of a registry variable.
pub fn label_of(name: &str) -> String {
    if name == "first_line_class" {
        return "First-line treatment class".into();
    }
    if let Some(s) = name.strip_prefix("surgery.") {
        return SurgeryType::from_code(s).map_or(s.to_string(), |s| capitalise(s.label()));
    }
    BASE.iter()
        .find(|v| v.name == name)
        .map(|v| v.label.to_string())
        .unwrap_or_else(|| {
            if let Some(m) = name.strip_prefix("marker.") {
                Marker::from_code(m).map_or(m.to_string(), |m| capitalise(m.label()))
            } else if let Some(t) = name.strip_prefix("received.") {
                TreatmentType::from_code(t)
                    .map(|t| capitalise(t.label()))
                    .or_else(|_| TreatmentClass::from_code(t).map(|t| capitalise(t.label())))
                    .unwrap_or_else(|_| t.to_string())
            } else {
                super::concepts::concept_label(name)
                    .or_else(|| super::markers::label(name))
                    .or_else(|| super::outcomes::label(name))
                    .unwrap_or_else(|| name.to_string())
            }
        })
}

/// The fixed levels of a categorical registry variable (its vocabulary),
/// or `None` for numbers and free text (whose levels are the texts seen).
pub fn fixed_levels(name: &str) -> Option<Vec<Level>> {
    match registry_column(name, &[])? {
        Column::Cat { levels, .. } if !levels.is_empty() => Some(levels),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::registry::model::Patient;
    use netra_clinical::registry::schema::{Entity, Value};

    fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    fn course(tumour: &[(&str, &str)]) -> PatientCourse {
        let p = Patient::from_row(&row(
            Entity::Patient,
            &[
                ("patient", "1"),
                ("site", "s"),
                ("sex", "male"),
                ("vital_status", "alive"),
            ],
        ))
        .unwrap();
        let mut c = PatientCourse::new(p);
        let mut cells = vec![("patient", "1"), ("tumour", "1")];
        cells.extend_from_slice(tumour);
        c.tumours
            .push(Tumour::from_row(&row(Entity::Tumour, &cells)).unwrap());
        c
    }

    fn codes(name: &str, courses: &[PatientCourse]) -> Vec<Option<String>> {
        match registry_column(name, courses).unwrap() {
            Column::Cat { levels, codes } => codes
                .iter()
                .map(|c| c.map(|i| levels[i].code.clone()))
                .collect(),
            Column::Num(_) => panic!("{name} is categorical"),
        }
    }

    #[test]
    fn grade_system_reported_grade_and_the_derived_who_grade() {
        let courses = [
            // WHO 2010 G3 of a well-differentiated tumour: NET G3.
            course(&[
                ("primary_site", "pancreas"),
                ("differentiation", "well"),
                ("grade_system", "who_2010"),
                ("reported_grade", "g3"),
            ]),
            // A lung SCLC: NEC small-cell.
            course(&[
                ("primary_site", "lung"),
                ("grade_system", "who_lung"),
                ("reported_grade", "sclc"),
            ]),
            course(&[("primary_site", "jejunum_ileum"), ("ki67_percent", "1")]),
        ];
        assert_eq!(
            codes("grade_system", &courses),
            vec![Some("who_2010".into()), Some("who_lung".into()), None]
        );
        assert_eq!(
            codes("reported_grade", &courses),
            vec![Some("g3".into()), Some("sclc".into()), None]
        );
        assert_eq!(
            codes("who_grade", &courses),
            vec![
                Some("g3".into()),
                Some("nec_small_cell".into()),
                Some("g1".into())
            ]
        );
    }
}
