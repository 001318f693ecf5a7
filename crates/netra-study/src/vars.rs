//! Variables: what the registry records about each patient, read from the
//! typed courses, and the study's derived variables.
//!
//! A variable is a number or a category per patient (`None`: missing).
//! Categorical levels have a code (what conditions and `map` use) and a
//! label (what tables print); registry vocabularies keep their order, free
//! text is ordered as R orders factor levels, and only levels that occur
//! among the patients analysed are kept. Derived variables keep the levels
//! the study file gives, even when empty.
//!
//! Dates are turned into days with the registry's documented imputation rule
//! (`mid_point`: `YYYY` → 1 July, `YYYY-MM` → the 15th).

use std::collections::HashMap;

use netra_clinical::registry::date::{Imputation, PartialDate};
use netra_clinical::registry::model::{PatientCourse, Tumour};
use netra_clinical::registry::vocab::{
    FunctionalSyndrome, Marker, MetastasisSite, TreatmentClass, TreatmentType, Vocabulary,
};
use netra_sim::{CohortGrade, CohortSite};

use crate::StudyError;
use crate::cond::{Condition, Literal, Op};
use crate::spec::{Derivation, DerivedVariable};

/// A registry variable available to every study file.
#[derive(Debug, Clone, Copy)]
pub struct BaseVar {
    /// Name in the study file.
    pub name: &'static str,
    /// Categorical (else a number).
    pub categorical: bool,
    /// Printed name.
    pub label: &'static str,
    /// What it is (documentation).
    pub description: &'static str,
}

const fn cat(name: &'static str, label: &'static str, description: &'static str) -> BaseVar {
    BaseVar {
        name,
        categorical: true,
        label,
        description,
    }
}

const fn num(name: &'static str, label: &'static str, description: &'static str) -> BaseVar {
    BaseVar {
        name,
        categorical: false,
        label,
        description,
    }
}

/// The registry variables (besides `marker.CODE` and `received.CODE`).
pub const BASE: &[BaseVar] = &[
    cat("site", "Centre", "the patient's site code"),
    cat("sex", "Sex", "female, male, other, unknown"),
    num(
        "age",
        "Age (years)",
        "age at study entry as recorded, else completed years from birth to metastatic \
         diagnosis (else entry, else diagnosis)",
    ),
    cat("arm", "Arm", "study arm label as recorded"),
    num(
        "ecog",
        "ECOG performance status",
        "ECOG at metastatic diagnosis",
    ),
    cat(
        "metastatic_setting",
        "Setting",
        "metastatic at diagnosis, recurrent after resection, progressed",
    ),
    cat(
        "prior_stage",
        "Stage before metastases",
        "SEER summary stage",
    ),
    cat("vital_status", "Vital status", "at last follow-up"),
    num(
        "years_from_diagnosis",
        "Years from diagnosis",
        "first diagnosis to study entry (else metastatic diagnosis), years of 365.25 days",
    ),
    num(
        "followup_months",
        "Follow-up (months)",
        "study entry (else metastatic diagnosis) to death or last follow-up, months of \
         30.4375 days",
    ),
    cat(
        "primary_site",
        "Primary site",
        "organ of the (first) primary tumour",
    ),
    cat(
        "primary_group",
        "Primary site",
        "the retrospective cohort's groups: pancreas, foregut, midgut, hindgut, lung, other, \
         unknown",
    ),
    cat(
        "gi_segment",
        "GI segment",
        "foregut, midgut, hindgut (recorded or implied)",
    ),
    cat(
        "grade_group",
        "Grade",
        "the retrospective cohort's grade groups: g1, g2, g3, large_cell, small_cell, \
         unclassified, unavailable",
    ),
    cat(
        "who_grade",
        "WHO 2019 grade",
        "as recorded, else derived from differentiation, Ki-67 and mitoses",
    ),
    cat("differentiation", "Differentiation", "well, poor, unknown"),
    num("ki67", "Ki-67 (%)", "Ki-67 index of the primary tumour"),
    num("mitoses", "Mitoses per 2 mm²", "mitotic count"),
    cat("functional_syndrome", "Functional syndrome", "as recorded"),
    cat(
        "functional",
        "Functioning tumour",
        "yes when a hormonal syndrome is recorded (not non-functioning or unknown)",
    ),
    cat(
        "reported_type",
        "Tumour type",
        "the type as the source wrote it",
    ),
    num(
        "krenning_uptake",
        "Somatostatin-receptor uptake (Krenning)",
        "0–4",
    ),
    num("mibg_uptake", "MIBG uptake", "0–4"),
    cat(
        "liver_metastases",
        "Liver metastases",
        "yes/no: a liver metastasis not recorded as arising after metastatic diagnosis",
    ),
    cat(
        "lymph_node_metastases",
        "Lymph-node metastases",
        "yes/no, as liver",
    ),
    cat("bone_metastases", "Bone metastases", "yes/no, as liver"),
    cat("lung_metastases", "Lung metastases", "yes/no, as liver"),
    cat(
        "peritoneal_metastases",
        "Peritoneal metastases",
        "yes/no, as liver",
    ),
    cat("brain_metastases", "Brain metastases", "yes/no, as liver"),
    cat(
        "adrenal_metastases",
        "Adrenal metastases",
        "yes/no, as liver",
    ),
    cat("other_metastases", "Other metastases", "yes/no, as liver"),
    num(
        "metastatic_sites",
        "Metastatic sites",
        "number of distinct metastatic sites, as liver",
    ),
];

/// Marker codes (`marker.CODE` is the earliest recorded value).
pub fn marker_codes() -> Vec<&'static str> {
    Marker::ALL.iter().map(|m| m.code()).collect()
}

/// Treatment type and class codes (`received.CODE`: yes/no, any treatment
/// of that type or class recorded).
pub fn received_codes() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = TreatmentType::ALL.iter().map(|t| t.code()).collect();
    for c in TreatmentClass::ALL {
        if !v.contains(&c.code()) {
            v.push(c.code());
        }
    }
    v
}

/// True when `name` is a registry variable; `Some(categorical)`.
pub fn base_kind(name: &str) -> Option<bool> {
    if let Some(v) = BASE.iter().find(|v| v.name == name) {
        return Some(v.categorical);
    }
    if let Some(m) = name.strip_prefix("marker.") {
        return marker_codes().contains(&m).then_some(false);
    }
    if let Some(t) = name.strip_prefix("received.") {
        return received_codes().contains(&t).then_some(true);
    }
    None
}

/// A level of a categorical variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    /// Code (conditions and `map` match it, or the label).
    pub code: String,
    /// Printed label.
    pub label: String,
}

impl Level {
    fn same(text: &str) -> Level {
        Level {
            code: text.to_string(),
            label: text.to_string(),
        }
    }
    /// True when `text` names this level (code or label, ignoring case).
    pub fn matches(&self, text: &str) -> bool {
        self.code.eq_ignore_ascii_case(text) || self.label.eq_ignore_ascii_case(text)
    }
}

/// The values of one variable for every patient.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers.
    Num(Vec<Option<f64>>),
    /// Categories: `codes[i]` indexes `levels`.
    Cat {
        /// Levels in order.
        levels: Vec<Level>,
        /// Per patient.
        codes: Vec<Option<usize>>,
    },
}

impl Column {
    /// Number of patients.
    pub fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Cat { codes, .. } => codes.len(),
        }
    }

    /// True when there are no patients.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Keeps the rows of `keep`, in that order.
    pub fn select(&self, keep: &[usize]) -> Column {
        match self {
            Column::Num(v) => Column::Num(keep.iter().map(|&i| v[i]).collect()),
            Column::Cat { levels, codes } => Column::Cat {
                levels: levels.clone(),
                codes: keep.iter().map(|&i| codes[i]).collect(),
            },
        }
    }

    /// Drops levels that no patient has (registry variables), renumbering.
    fn drop_empty_levels(self) -> Column {
        match self {
            Column::Cat { levels, codes } => {
                let mut used = vec![false; levels.len()];
                for c in codes.iter().flatten() {
                    used[*c] = true;
                }
                let mut new_index = vec![usize::MAX; levels.len()];
                let mut kept = Vec::new();
                for (i, l) in levels.into_iter().enumerate() {
                    if used[i] {
                        new_index[i] = kept.len();
                        kept.push(l);
                    }
                }
                Column::Cat {
                    levels: kept,
                    codes: codes.iter().map(|c| c.map(|c| new_index[c])).collect(),
                }
            }
            n => n,
        }
    }
}

/// A named variable.
#[derive(Debug, Clone, PartialEq)]
pub struct Variable {
    /// Name in the study file.
    pub name: String,
    /// Printed name.
    pub label: String,
    /// Values.
    pub column: Column,
}

/// Every variable of the patients analysed, in patient order.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    /// Patient codes.
    pub patients: Vec<String>,
    vars: Vec<Variable>,
    index: HashMap<String, usize>,
}

impl Frame {
    /// A frame of these patients without variables.
    pub fn new(patients: Vec<String>) -> Frame {
        Frame {
            patients,
            vars: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Adds (or replaces) a variable.
    pub fn insert(&mut self, v: Variable) {
        match self.index.get(&v.name) {
            Some(&i) => self.vars[i] = v,
            None => {
                self.index.insert(v.name.clone(), self.vars.len());
                self.vars.push(v);
            }
        }
    }

    /// The variable named `name`.
    pub fn get(&self, name: &str) -> Option<&Variable> {
        self.index.get(name).map(|&i| &self.vars[i])
    }

    /// Number of patients.
    pub fn len(&self) -> usize {
        self.patients.len()
    }

    /// True without patients.
    pub fn is_empty(&self) -> bool {
        self.patients.is_empty()
    }

    /// Keeps the patients of `keep`, in that order.
    pub fn select(&self, keep: &[usize]) -> Frame {
        Frame {
            patients: keep.iter().map(|&i| self.patients[i].clone()).collect(),
            vars: self
                .vars
                .iter()
                .map(|v| Variable {
                    name: v.name.clone(),
                    label: v.label.clone(),
                    column: v.column.select(keep),
                })
                .collect(),
            index: self.index.clone(),
        }
    }

    /// Evaluates a condition for every patient.
    pub fn eval(&self, c: &Condition) -> Result<Vec<bool>, String> {
        let v = self
            .get(&c.variable)
            .ok_or_else(|| format!("unknown variable '{}'", c.variable))?;
        eval(&v.column, c)
    }
}

/// Evaluates `c` on a column (missing compares false).
pub fn eval(column: &Column, c: &Condition) -> Result<Vec<bool>, String> {
    match column {
        Column::Num(v) => {
            let nums: Vec<f64> = c
                .values
                .iter()
                .map(|l| {
                    l.number.ok_or_else(|| {
                        format!(
                            "'{}' is a number, but '{}' is not (in `{}`)",
                            c.variable, l.text, c.text
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(v.iter()
                .map(|x| match (c.op, x) {
                    (Op::IsMissing, x) => x.is_none(),
                    (Op::IsNotMissing, x) => x.is_some(),
                    (_, None) => false,
                    (Op::Eq, Some(x)) => *x == nums[0],
                    (Op::Ne, Some(x)) => *x != nums[0],
                    (Op::Lt, Some(x)) => *x < nums[0],
                    (Op::Le, Some(x)) => *x <= nums[0],
                    (Op::Gt, Some(x)) => *x > nums[0],
                    (Op::Ge, Some(x)) => *x >= nums[0],
                    (Op::In, Some(x)) => nums.contains(x),
                    (Op::NotIn, Some(x)) => !nums.contains(x),
                })
                .collect())
        }
        Column::Cat { levels, codes } => {
            if c.op.is_ordering() {
                return Err(format!(
                    "'{}' is categorical: compare it with ==, !=, in or not in (in `{}`)",
                    c.variable, c.text
                ));
            }
            // A value that names no level is allowed (the level may simply
            // not occur among these patients): it matches no one.
            let wanted = |l: &Literal| levels.iter().position(|lv| lv.matches(&l.text));
            let set: Vec<Option<usize>> = c.values.iter().map(wanted).collect();
            Ok(codes
                .iter()
                .map(|x| match (c.op, x) {
                    (Op::IsMissing, x) => x.is_none(),
                    (Op::IsNotMissing, x) => x.is_some(),
                    (_, None) => false,
                    (Op::Eq | Op::In, Some(x)) => set.contains(&Some(*x)),
                    (Op::Ne | Op::NotIn, Some(x)) => !set.contains(&Some(*x)),
                    _ => false,
                })
                .collect())
        }
    }
}

// ------------------------------------------------------------ registry side

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

/// Orders text as R orders factor levels, with the rule every netra command
/// uses: numerically when every value is a number, else as R's `sort()`
/// (ICU root collation, `netra_stats::model::collate`).
pub fn r_level_order(values: &mut [String]) {
    let nums: Option<Vec<f64>> = values.iter().map(|v| v.parse::<f64>().ok()).collect();
    if nums.is_some() {
        values.sort_by(|a, b| {
            a.parse::<f64>()
                .unwrap_or(0.0)
                .total_cmp(&b.parse::<f64>().unwrap_or(0.0))
                .then(a.cmp(b))
        });
    } else {
        values.sort_by(|a, b| netra_stats::model::collate(a, b).then_with(|| a.cmp(b)));
    }
}

fn text_column(values: Vec<Option<String>>) -> Column {
    let mut levels: Vec<String> = values.iter().flatten().cloned().collect();
    levels.sort();
    levels.dedup();
    r_level_order(&mut levels);
    let index: HashMap<&str, usize> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i))
        .collect();
    let codes = values
        .iter()
        .map(|v| v.as_deref().map(|v| index[v]))
        .collect();
    Column::Cat {
        levels: levels.iter().map(|l| Level::same(l)).collect(),
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

fn base_column(name: &str, courses: &[PatientCourse]) -> Option<Column> {
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
        "age" => p(&|c| {
            if let Some(a) = c.patient.age_at_entry {
                return Some(a as f64);
            }
            let birth = day(&c.patient.birth_date)?;
            let at = day(&c.patient.metastatic_date)
                .or_else(|| day(&c.patient.entry_date))
                .or_else(|| day(&c.patient.diagnosis_date))?;
            Some(((at - birth) as f64 / YEAR).floor())
        }),
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
            return None;
        }
    })
}

/// The earliest value of a marker and its upper limit of normal.
fn earliest_marker(c: &PatientCourse, m: Marker) -> Option<(f64, Option<f64>)> {
    c.biomarkers
        .iter()
        .filter(|b| b.marker == m)
        .min_by_key(|b| b.date.impute(Imputation::MidPoint).day.0)
        .map(|b| (b.value, b.upper_limit))
}

/// The registry variable `name` for `courses`, or `None` when unknown.
pub fn registry_variable(name: &str, courses: &[PatientCourse]) -> Option<Variable> {
    let column = base_column(name, courses)?.drop_empty_levels();
    let label = BASE
        .iter()
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
                name.to_string()
            }
        });
    Some(Variable {
        name: name.to_string(),
        label,
        column,
    })
}

// ----------------------------------------------------------------- derived

fn fmt_cut(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// Default labels of the bands between cut points.
pub fn cut_labels(cuts: &[f64], right_closed: bool) -> Vec<String> {
    let k = cuts.len();
    let mut out = Vec::with_capacity(k + 1);
    for i in 0..=k {
        out.push(if i == 0 {
            format!(
                "{} {}",
                if right_closed { "\u{2264}" } else { "<" },
                fmt_cut(cuts[0])
            )
        } else if i == k {
            format!(
                "{} {}",
                if right_closed { ">" } else { "\u{2265}" },
                fmt_cut(cuts[k - 1])
            )
        } else {
            format!("{}\u{2013}{}", fmt_cut(cuts[i - 1]), fmt_cut(cuts[i]))
        });
    }
    out
}

/// Computes a derived variable from the frame (which holds every variable
/// it refers to) and the courses (markers).
pub fn derive(
    def: &DerivedVariable,
    frame: &Frame,
    courses: &[PatientCourse],
) -> Result<Variable, StudyError> {
    let bad = |m: String| StudyError::analysis(format!("variable '{}'", def.name), m);
    let n = frame.len();
    let column = match &def.derivation {
        Derivation::Cuts {
            from,
            cuts,
            right_closed,
        } => {
            let src = frame
                .get(from)
                .ok_or_else(|| bad(format!("unknown variable '{from}'")))?;
            let Column::Num(values) = &src.column else {
                return Err(bad(format!("'{from}' is not a number")));
            };
            let labels = def
                .levels
                .clone()
                .unwrap_or_else(|| cut_labels(cuts, *right_closed));
            let codes = values
                .iter()
                .map(|v| {
                    v.filter(|x| x.is_finite()).map(|x| {
                        cuts.iter()
                            .filter(|c| if *right_closed { x > **c } else { x >= **c })
                            .count()
                    })
                })
                .collect();
            Column::Cat {
                levels: labels.iter().map(|l| Level::same(l)).collect(),
                codes,
            }
        }
        Derivation::Cases(cases) => {
            let mut codes = vec![None; n];
            for (k, (_, c)) in cases.iter().enumerate() {
                let hit = frame.eval(c).map_err(bad)?;
                for i in 0..n {
                    if codes[i].is_none() && hit[i] {
                        codes[i] = Some(k);
                    }
                }
            }
            let mut levels: Vec<Level> = Vec::new();
            let mut remap = Vec::new();
            for (label, _) in cases {
                match levels.iter().position(|l| &l.label == label) {
                    Some(i) => remap.push(i),
                    None => {
                        remap.push(levels.len());
                        levels.push(Level::same(label));
                    }
                }
            }
            Column::Cat {
                levels,
                codes: codes.iter().map(|c| c.map(|k| remap[k])).collect(),
            }
        }
        Derivation::Recode { from, map } => {
            let src = frame
                .get(from)
                .ok_or_else(|| bad(format!("unknown variable '{from}'")))?;
            let Column::Cat { levels, codes } = &src.column else {
                return Err(bad(format!("'{from}' is not categorical")));
            };
            for key in map.keys() {
                if !levels.iter().any(|l| l.matches(key))
                    && levels_of_base(from)
                        .is_none_or(|all| !all.iter().any(|l| l.eq_ignore_ascii_case(key)))
                {
                    return Err(bad(format!(
                        "map: '{key}' is not a level of '{from}' (levels: {})",
                        levels
                            .iter()
                            .map(|l| l.code.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )));
                }
            }
            // New label of each old level, in the old order.
            let new_label: Vec<String> = levels
                .iter()
                .map(|l| {
                    map.iter()
                        .find(|(k, _)| l.matches(k))
                        .map_or_else(|| l.label.clone(), |(_, v)| v.clone())
                })
                .collect();
            let mut out_levels: Vec<Level> = match &def.levels {
                Some(order) => order.iter().map(|l| Level::same(l)).collect(),
                None => {
                    let mut v: Vec<Level> = Vec::new();
                    for l in &new_label {
                        if !v.iter().any(|x| &x.label == l) {
                            v.push(Level::same(l));
                        }
                    }
                    v
                }
            };
            // Without `map`, `levels` may name the old levels by code: keep
            // their labels.
            if map.is_empty() && def.levels.is_some() {
                for l in &mut out_levels {
                    if let Some(old) = levels.iter().find(|o| o.matches(&l.code)) {
                        *l = old.clone();
                    }
                }
            }
            let target: Vec<Option<usize>> = levels
                .iter()
                .zip(&new_label)
                .map(|(old, new)| {
                    out_levels
                        .iter()
                        .position(|l| l.matches(new) || (map.is_empty() && l.matches(&old.code)))
                })
                .collect();
            Column::Cat {
                levels: out_levels,
                codes: codes.iter().map(|c| c.and_then(|c| target[c])).collect(),
            }
        }
        Derivation::AboveUln { marker, factor } => {
            let m = Marker::from_code(marker).map_err(|e| bad(e.to_string()))?;
            let labels = def.levels.clone().unwrap_or_else(|| {
                if *factor == 1.0 {
                    vec!["\u{2264} ULN".into(), "> ULN".into()]
                } else {
                    let f = fmt_cut(*factor);
                    vec![
                        format!("\u{2264} {f}\u{d7} ULN"),
                        format!("> {f}\u{d7} ULN"),
                    ]
                }
            });
            let index: HashMap<&str, usize> = frame
                .patients
                .iter()
                .enumerate()
                .map(|(i, p)| (p.as_str(), i))
                .collect();
            let mut codes = vec![None; n];
            for c in courses {
                if let Some(&i) = index.get(c.patient.code.as_str())
                    && let Some((v, Some(uln))) = earliest_marker(c, m)
                {
                    codes[i] = Some(usize::from(v > factor * uln));
                }
            }
            Column::Cat {
                levels: labels.iter().map(|l| Level::same(l)).collect(),
                codes,
            }
        }
    };
    Ok(Variable {
        name: def.name.clone(),
        label: def.label.clone(),
        column,
    })
}

/// Every code a registry vocabulary variable can take (so that `map` may
/// name a level that does not occur among these patients).
fn levels_of_base(name: &str) -> Option<Vec<String>> {
    let v: Vec<&str> = match name {
        "grade_group" => vec![
            "g1",
            "g2",
            "g3",
            "large_cell",
            "small_cell",
            "unclassified",
            "unavailable",
            "G1",
            "G2",
            "G3",
            "large-cell",
            "small-cell",
        ],
        "primary_group" => vec![
            "pancreas", "foregut", "midgut", "hindgut", "lung", "other", "unknown",
        ],
        _ => return None,
    };
    Some(v.into_iter().map(String::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cond::parse;

    #[test]
    fn default_band_labels() {
        assert_eq!(cut_labels(&[60.0], false), ["< 60", "\u{2265} 60"]);
        assert_eq!(
            cut_labels(&[3.0, 20.0], true),
            ["\u{2264} 3", "3\u{2013}20", "> 20"]
        );
        assert_eq!(cut_labels(&[2.5], false), ["< 2.5", "\u{2265} 2.5"]);
    }

    #[test]
    fn conditions_treat_missing_as_false() {
        let col = Column::Num(vec![Some(59.0), Some(60.0), None]);
        assert_eq!(
            eval(&col, &parse("age < 60").unwrap()).unwrap(),
            [true, false, false]
        );
        assert_eq!(
            eval(&col, &parse("age >= 60").unwrap()).unwrap(),
            [false, true, false]
        );
        assert_eq!(
            eval(&col, &parse("age is missing").unwrap()).unwrap(),
            [false, false, true]
        );
        assert_eq!(
            eval(&col, &parse("age in [59, 61]").unwrap()).unwrap(),
            [true, false, false]
        );
        assert!(eval(&col, &parse("age == old").unwrap()).is_err());
        let cat = Column::Cat {
            levels: vec![
                Level::same("A"),
                Level {
                    code: "b".into(),
                    label: "Bee".into(),
                },
            ],
            codes: vec![Some(0), Some(1), None],
        };
        assert_eq!(
            eval(&cat, &parse("arm == a").unwrap()).unwrap(),
            [true, false, false]
        );
        assert_eq!(
            eval(&cat, &parse("arm == Bee").unwrap()).unwrap(),
            [false, true, false]
        );
        assert_eq!(
            eval(&cat, &parse("arm != A").unwrap()).unwrap(),
            [false, true, false]
        );
        assert_eq!(
            eval(&cat, &parse("arm not in [Z]").unwrap()).unwrap(),
            [true, true, false]
        );
        assert!(eval(&cat, &parse("arm < 3").unwrap()).is_err());
    }

    #[test]
    fn r_orders_numbers_numerically_and_text_case_insensitively() {
        let mut v: Vec<String> = ["10", "9", "2"].iter().map(|s| s.to_string()).collect();
        r_level_order(&mut v);
        assert_eq!(v, ["2", "9", "10"]);
        let mut v: Vec<String> = ["b", "B", "a", "<60", "70+"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        r_level_order(&mut v);
        assert_eq!(v, ["<60", "70+", "a", "b", "B"]);
    }
}
