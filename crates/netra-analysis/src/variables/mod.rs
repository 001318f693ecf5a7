//! The variables dictionary: every variable a user can group, filter or
//! adjust by, defined once for the CLI, the web application and study files.
//!
//! A variable is a number or a category per patient (`None`: missing).
//! Categorical levels have a code (what conditions and `map` use) and a
//! label (what tables print); registry vocabularies keep their order, free
//! text is ordered as R orders factor levels ([`crate::levels`]), and only
//! levels that occur among the patients analysed are kept. Derived
//! variables keep the levels their definition gives, even when empty.
//!
//! * [`BASE`] — the registry variables with label and description (plus the
//!   families `marker.CODE` and `received.CODE`);
//! * [`frame`] — columns of values per patient, and conditions on them;
//! * `registry` — how each registry variable is read from a course;
//! * [`markers`] — biochemical response: `marker_change.CODE`,
//!   `marker_response.CODE`, `marker_normalised.CODE`,
//!   `marker_response.best`;
//! * [`outcomes`] — pieces of composite outcomes: `best_response.lineK`,
//!   `symptom_change`, `radionuclide_administrations`,
//!   `radionuclide_activity_gbq`;
//! * [`derived`] — a study's own variables: cut points, recodes, cases,
//!   marker above its upper limit of normal.
//!
//! Dates are turned into days with the registry's documented imputation rule
//! (`mid_point`: `YYYY` → 1 July, `YYYY-MM` → the 15th). Ages are completed
//! years by the calendar (`netra_clinical::registry::date::completed_years`).
//!
//! # Adding a variable
//! 1. Add a `cat(..)` or `num(..)` entry to [`BASE`] (name, label, what it
//!    is — the description is what `docs/study-file.md` lists).
//! 2. Add its arm to `registry::base_column` (how it is read from a course).
//! 3. A test in `tests/variables.rs` that checks its value on a hand-built
//!    course. Every surface offers it from then on.

pub mod concepts;
pub mod derived;
pub mod frame;
pub mod markers;
pub mod outcomes;
mod registry;
pub mod treatment;

pub use derived::{Derivation, DerivedVariable, cut_labels, derive};
pub use frame::{Column, Frame, Level, Variable, eval};
pub use registry::{
    capitalise, day, fixed_levels, label_of, registry_column, registry_variable, text_column,
};

use netra_clinical::registry::vocab::{Marker, TreatmentClass, TreatmentType, Vocabulary};

/// Names that are no longer variables, with the message that says what to
/// use instead (a study file naming them gets this message, not a guess).
pub const RETIRED: &[(&str, &str)] = &[(
    "age",
    "'age' is ambiguous: use age_at_entry (recorded age at study entry) or age_at_diagnosis \
     (completed years from birth to the first diagnosis)",
)];

/// A registry variable: one entry of the dictionary every surface shares.
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

/// The registry variables (besides `marker.CODE`, `received.CODE` and
/// `surgery.CODE`).
pub const BASE: &[BaseVar] = &[
    cat("site", "Centre", "the patient's site code"),
    cat("sex", "Sex", "female, male, other, unknown"),
    num(
        "age_at_entry",
        "Age at entry (years)",
        "age at study entry as recorded, else completed years from birth to entry (else to \
         metastatic diagnosis)",
    ),
    num(
        "age_at_diagnosis",
        "Age at diagnosis (years)",
        "completed years from birth to the first diagnosis (missing without both dates)",
    ),
    num(
        "diagnosis_year",
        "Year of diagnosis",
        "calendar year of the first diagnosis",
    ),
    cat("arm", "Arm", "study arm label as recorded"),
    cat(
        "first_line_class",
        "First-line treatment class",
        "treatment class of the first line of systemic therapy (lines derived with the \
         analysis's line rules)",
    ),
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
        "as recorded, else derived from differentiation, Ki-67 and mitoses, else from the \
         reported grade under its system (docs/model-v2.md)",
    ),
    cat(
        "grade_system",
        "Grading system",
        "system of the reported grade: who_2019, who_2010, enets, who_lung, other",
    ),
    cat(
        "reported_grade",
        "Reported grade",
        "grade (lung and thymus: tumour type) as the pathology report gave it",
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
    cat(
        "modality",
        "Treatment modality",
        "local only, systemic only, both, neither: treatments started on or after the \
         metastatic diagnosis (curative surgery before metastases does not count; missing \
         when an undated systemic or local treatment could change it)",
    ),
    cat(
        "first_treatment",
        "First treatment after metastatic diagnosis",
        "class of the first systemic or local treatment started on or after the metastatic \
         diagnosis, or none",
    ),
    cat(
        "surgery_type",
        "Surgery",
        "kind of the first surgery (primary resection, metastasectomy, debulking, other), \
         or none",
    ),
    cat(
        "first_line_regimen",
        "First-line regimen",
        "agents of the first line of systemic therapy joined by '+' (lines derived with the \
         analysis's line rules)",
    ),
    num(
        "metastatic_sites",
        "Metastatic sites",
        "number of distinct metastatic sites, as liver",
    ),
    num(
        "charlson_index",
        "Charlson comorbidity index",
        "sum of the Charlson weights of the recorded comorbidities (a milder form not \
         counted beside its severe form); missing when none were recorded, 0 for `none`",
    ),
    num(
        "flushing_per_day",
        "Flushing episodes per day",
        "at the earliest visit that records them",
    ),
    num(
        "diarrhoea_per_day",
        "Diarrhoea episodes per day",
        "at the earliest visit that records them",
    ),
];

/// Surgery type codes (`surgery.CODE`: yes/no, any surgery of that kind).
pub fn surgery_codes() -> Vec<&'static str> {
    use netra_clinical::registry::vocab::SurgeryType;
    SurgeryType::ALL.iter().map(|s| s.code()).collect()
}

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
    if let Some(t) = name.strip_prefix("surgery.") {
        return surgery_codes().contains(&t).then_some(true);
    }
    concepts::concept_kind(name)
        .or_else(|| markers::kind(name))
        .or_else(|| outcomes::kind(name))
}
