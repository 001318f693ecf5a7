//! The registry's entities as data: one entry per bundle file / database
//! table, one entry per column with its type, unit, vocabulary and whether it
//! is required.
//!
//! This table is the single source of truth for the bundle format. The store
//! parses, validates, writes and exports through it, and the column tables of
//! `docs/bundle-format.md` are generated from it (a test in `netra-store`
//! fails when the document and the schema disagree). Adding a column means
//! adding it here, in a new migration, and in the typed model.

use std::sync::OnceLock;

use super::date::PartialDate;
use super::vocab::{self, Vocabulary};

/// The entities of the registry, in dependency order: a row may only refer
/// to entities listed before its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// A study (a registry may hold several).
    Study,
    /// A participating centre.
    Site,
    /// A patient.
    Patient,
    /// A primary tumour.
    Tumour,
    /// A metastatic site.
    Metastasis,
    /// A tumour-marker measurement.
    Biomarker,
    /// A treatment course (systemic regimen, procedure, supportive drug).
    Treatment,
    /// An agent of a treatment.
    TreatmentAgent,
    /// One administration of a radionuclide therapy.
    RadionuclideAdministration,
    /// An imaging (or clinical) assessment.
    Assessment,
    /// A lesion measured at an assessment.
    Lesion,
    /// Symptoms and performance status at a visit.
    ClinicalStatus,
    /// An adverse event.
    AdverseEvent,
    /// An immunohistochemical stain read on a tumour specimen.
    Immunohistochemistry,
    /// A genetic test (germline or somatic) and its result.
    GeneticTest,
    /// One item response of a quality-of-life questionnaire.
    QolResponse,
    /// A comorbidity (Charlson conditions).
    Comorbidity,
}

impl Entity {
    /// Every entity in dependency order (parents first).
    pub const ALL: [Entity; 17] = [
        Entity::Study,
        Entity::Site,
        Entity::Patient,
        Entity::Tumour,
        Entity::Metastasis,
        Entity::Biomarker,
        Entity::Treatment,
        Entity::TreatmentAgent,
        Entity::RadionuclideAdministration,
        Entity::Assessment,
        Entity::Lesion,
        Entity::ClinicalStatus,
        Entity::AdverseEvent,
        Entity::Immunohistochemistry,
        Entity::GeneticTest,
        Entity::QolResponse,
        Entity::Comorbidity,
    ];

    /// This entity's specification.
    pub fn spec(self) -> &'static EntitySpec {
        &schema()[self as usize]
    }

    /// Position in [`Entity::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A controlled vocabulary as the schema sees it: a name and its codes.
#[derive(Debug, Clone)]
pub struct VocabRef {
    /// The vocabulary's name.
    pub name: &'static str,
    /// Allowed codes, in documentation order.
    pub codes: Vec<&'static str>,
    /// Labels for reports, parallel to `codes`.
    pub labels: Vec<&'static str>,
}

impl VocabRef {
    fn of<V: Vocabulary>() -> VocabRef {
        VocabRef {
            name: V::NAME,
            codes: V::ALL.iter().map(|v| v.code()).collect(),
            labels: V::ALL.iter().map(|v| v.label()).collect(),
        }
    }

    /// The label of `code`, if it is one of ours.
    pub fn label(&self, code: &str) -> Option<&'static str> {
        self.codes
            .iter()
            .position(|c| *c == code)
            .map(|i| self.labels[i])
    }
}

/// The type of a column.
#[derive(Debug, Clone)]
pub enum Kind {
    /// An identifier (patient code, treatment id): 1–64 characters, no
    /// control, invisible or formatting characters ([`super::ident`]).
    Id,
    /// Free text (no control characters other than line breaks and tabs).
    Text,
    /// One code of a vocabulary.
    Code(VocabRef),
    /// A whole number within bounds (inclusive).
    Integer {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// A finite number within bounds (inclusive).
    Real {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
    },
    /// A partial date (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`).
    Date,
    /// `yes` or `no`.
    YesNo,
}

impl Kind {
    /// The type as the documentation names it.
    pub fn describe(&self) -> String {
        match self {
            Kind::Id => "identifier".into(),
            Kind::Text => "text".into(),
            Kind::Code(v) => format!("code ({})", v.name),
            Kind::Integer { min, max } => format!("integer {min}–{max}"),
            Kind::Real { min, max } => {
                if *max == f64::MAX {
                    format!("number ≥ {min}")
                } else {
                    format!("number {min}–{max}")
                }
            }
            Kind::Date => "partial date".into(),
            Kind::YesNo => "yes/no".into(),
        }
    }

    /// Parses present (non-missing, trimmed) cell text into a value.
    pub fn parse(&self, text: &str) -> Result<Value, String> {
        match self {
            Kind::Id => {
                if text.is_empty() {
                    Err("an identifier cannot be empty".into())
                } else if text.chars().count() > 64 {
                    Err("an identifier has at most 64 characters".into())
                } else if let Some(problem) = super::ident::identifier_problem(text) {
                    Err(problem)
                } else {
                    Ok(Value::Text(text.to_string()))
                }
            }
            Kind::Text => {
                if text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
                {
                    Err("text cannot contain control characters".into())
                } else {
                    Ok(Value::Text(text.to_string()))
                }
            }
            Kind::Code(v) => {
                if v.codes.contains(&text) {
                    Ok(Value::Text(text.to_string()))
                } else {
                    Err(format!(
                        "unknown code for {} (allowed: {})",
                        v.name,
                        v.codes.join(", ")
                    ))
                }
            }
            Kind::Integer { min, max } => {
                let n: i64 = text.parse().map_err(|_| "not a whole number".to_string())?;
                if n < *min || n > *max {
                    Err(format!("must be between {min} and {max}"))
                } else {
                    Ok(Value::Int(n))
                }
            }
            Kind::Real { min, max } => {
                let is_number_text = !text.is_empty()
                    && text.bytes().all(|b| {
                        b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E')
                    });
                let x: f64 = if is_number_text {
                    text.parse().map_err(|_| "not a number".to_string())?
                } else {
                    return Err("not a number".into());
                };
                if !x.is_finite() {
                    Err("not a finite number".into())
                } else if x < *min {
                    if *min == 0.0 {
                        Err("cannot be negative".into())
                    } else {
                        Err(format!("must be at least {min}"))
                    }
                } else if x > *max {
                    Err(format!("must be at most {max}"))
                } else {
                    // -0 and 0 are the same measurement; keep one spelling.
                    Ok(Value::Real(if x == 0.0 { 0.0 } else { x }))
                }
            }
            Kind::Date => text
                .parse::<PartialDate>()
                .map(Value::Date)
                .map_err(|e| e.0),
            Kind::YesNo => match text {
                "yes" => Ok(Value::Bool(true)),
                "no" => Ok(Value::Bool(false)),
                _ => Err("write yes or no".into()),
            },
        }
    }
}

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Not recorded.
    Null,
    /// Identifier, free text or code.
    Text(String),
    /// Whole number.
    Int(i64),
    /// Finite number.
    Real(f64),
    /// Partial date.
    Date(PartialDate),
    /// yes / no.
    Bool(bool),
}

impl Value {
    /// True when not recorded.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The canonical text of the value, as the bundle and the audit trail
    /// write it (`None` for null). Numbers use the shortest text that reads
    /// back to the same `f64`, so export → import is lossless.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Null => None,
            Value::Text(s) => Some(s.clone()),
            Value::Int(n) => Some(n.to_string()),
            Value::Real(x) => Some(format!("{x}")),
            Value::Date(d) => Some(d.to_string()),
            Value::Bool(b) => Some(if *b { "yes" } else { "no" }.into()),
        }
    }

    /// The text, when this is a text value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The date, when this is a date.
    pub fn as_date(&self) -> Option<PartialDate> {
        match self {
            Value::Date(d) => Some(*d),
            _ => None,
        }
    }

    /// The number, for integers and reals.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(n) => Some(*n as f64),
            Value::Real(x) => Some(*x),
            _ => None,
        }
    }

    /// The integer, when this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The boolean, when this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// One column of an entity.
#[derive(Debug, Clone)]
pub struct ColumnSpec {
    /// Header name in the bundle and column name in the database.
    pub name: &'static str,
    /// Type.
    pub kind: Kind,
    /// Must be present in every row.
    pub required: bool,
    /// Unit, when the column is a measurement.
    pub unit: Option<&'static str>,
    /// What the column means.
    pub doc: &'static str,
}

/// A reference from some columns of a row to the natural key of another
/// entity (a foreign key).
#[derive(Debug, Clone)]
pub struct Reference {
    /// The referring columns, in the order of the target's key.
    pub columns: Vec<&'static str>,
    /// The entity referred to.
    pub target: Entity,
}

/// One entity: a bundle file and a database table.
#[derive(Debug, Clone)]
pub struct EntitySpec {
    /// Which entity.
    pub entity: Entity,
    /// Bundle file name.
    pub file: &'static str,
    /// Database table name.
    pub table: &'static str,
    /// What a row is.
    pub doc: &'static str,
    /// Columns in file order.
    pub columns: Vec<ColumnSpec>,
    /// Natural key: the columns that identify a row (upserts and exports key
    /// on them). Optional key columns are stored as empty text when absent.
    pub key: Vec<&'static str>,
    /// Foreign keys.
    pub references: Vec<Reference>,
    /// Pairs of date columns of the same row that must be in order
    /// (`earlier`, `later`), compared safely for partial dates.
    pub date_order: Vec<(&'static str, &'static str)>,
}

impl EntitySpec {
    /// Position of a column.
    pub fn position(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == column)
    }

    /// Positions of the key columns.
    pub fn key_positions(&self) -> Vec<usize> {
        self.key
            .iter()
            .map(|k| self.position(k).expect("key column exists"))
            .collect()
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnSpec> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The positions of the bound columns (`<column>_not_before`,
    /// `<column>_not_after`) of date column `column`, when it has them
    /// ([`super::range`]).
    pub fn bounds_of(&self, column: &str) -> Option<(usize, usize)> {
        let find = |suffix: &str| {
            self.columns.iter().position(|c| {
                c.name.len() == column.len() + suffix.len()
                    && c.name.starts_with(column)
                    && c.name.ends_with(suffix)
            })
        };
        Some((find("_not_before")?, find("_not_after")?))
    }

    /// The date column that column `column` bounds, with the side, when
    /// `column` is a bound column.
    pub fn bounded_date(&self, column: &str) -> Option<(&'static str, super::range::BoundSide)> {
        use super::range::BoundSide;
        let (stem, side) = if let Some(s) = column.strip_suffix("_not_before") {
            (s, BoundSide::NotBefore)
        } else if let Some(s) = column.strip_suffix("_not_after") {
            (s, BoundSide::NotAfter)
        } else {
            return None;
        };
        let c = self.column(stem)?;
        matches!(c.kind, Kind::Date).then_some((c.name, side))
    }

    /// The recorded bounds of date column `column` in `row`.
    pub fn bounds_in(&self, column: &str, row: &[Value]) -> super::range::DateBounds {
        match self.bounds_of(column) {
            Some((nb, na)) => super::range::DateBounds {
                not_before: row.get(nb).and_then(Value::as_date),
                not_after: row.get(na).and_then(Value::as_date),
            },
            None => super::range::DateBounds::NONE,
        }
    }

    /// The date columns of this entity.
    pub fn date_columns(&self) -> impl Iterator<Item = (usize, &ColumnSpec)> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!(c.kind, Kind::Date))
    }
}

fn col(name: &'static str, kind: Kind, required: bool, doc: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required,
        unit: None,
        doc,
    }
}

fn measure(name: &'static str, kind: Kind, unit: &'static str, doc: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        kind,
        required: false,
        unit: Some(unit),
        doc,
    }
}

/// The two bound columns of a date known as a range
/// ([`super::range`]), named `<date>_not_before` and `<date>_not_after`.
fn bounds(not_before: &'static str, not_after: &'static str) -> [ColumnSpec; 2] {
    [
        col(
            not_before,
            Kind::Date,
            false,
            "the date is not before this one (a date known as a range)",
        ),
        col(
            not_after,
            Kind::Date,
            false,
            "the date is not after this one (a date known as a range)",
        ),
    ]
}

fn code<V: Vocabulary>() -> Kind {
    Kind::Code(VocabRef::of::<V>())
}

fn real(min: f64, max: f64) -> Kind {
    Kind::Real { min, max }
}

fn nonneg() -> Kind {
    Kind::Real {
        min: 0.0,
        max: f64::MAX,
    }
}

fn int(min: i64, max: i64) -> Kind {
    Kind::Integer { min, max }
}

fn patient_ref() -> Reference {
    Reference {
        columns: vec!["patient"],
        target: Entity::Patient,
    }
}

fn patient_col() -> ColumnSpec {
    col("patient", Kind::Id, true, "patient code (`patients.csv`)")
}

fn notes() -> ColumnSpec {
    col("notes", Kind::Text, false, "free-text remarks")
}

/// The whole schema, indexed by [`Entity::index`].
pub fn schema() -> &'static [EntitySpec] {
    static SCHEMA: OnceLock<Vec<EntitySpec>> = OnceLock::new();
    SCHEMA.get_or_init(build)
}

fn build() -> Vec<EntitySpec> {
    use vocab::*;
    vec![
        EntitySpec {
            entity: Entity::Study,
            file: "study.csv",
            table: "study",
            doc: "One row per study held in the registry.",
            columns: vec![
                col("study", Kind::Id, true, "study code"),
                col("title", Kind::Text, true, "full title"),
                col(
                    "description",
                    Kind::Text,
                    false,
                    "design, population, source",
                ),
            ],
            key: vec!["study"],
            references: vec![],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Site,
            file: "sites.csv",
            table: "site",
            doc: "One row per participating centre; every patient belongs to one site.",
            columns: vec![
                col("site", Kind::Id, true, "site code"),
                col("study", Kind::Id, true, "study code (`study.csv`)"),
                col("name", Kind::Text, true, "centre name"),
                col(
                    "country",
                    Kind::Text,
                    false,
                    "country (ISO 3166 alpha-2 recommended)",
                ),
            ],
            key: vec!["site"],
            references: vec![Reference {
                columns: vec!["study"],
                target: Entity::Study,
            }],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Patient,
            file: "patients.csv",
            table: "patient",
            doc: "One row per patient: demographics, the course's landmark dates, follow-up and death.",
            columns: vec![
                col(
                    "patient",
                    Kind::Id,
                    true,
                    "pseudonymous patient code, unique in the registry",
                ),
                col("site", Kind::Id, true, "site code (`sites.csv`)"),
                col("sex", code::<Sex>(), true, "sex"),
                col(
                    "birth_date",
                    Kind::Date,
                    false,
                    "date of birth (a year is enough)",
                ),
                measure(
                    "age_at_entry",
                    int(0, 120),
                    "years",
                    "age at study entry as recorded, when the birth date is not",
                ),
                col(
                    "diagnosis_date",
                    Kind::Date,
                    false,
                    "date of first diagnosis of the NET",
                ),
            ]
            .into_iter()
            .chain(bounds(
                "diagnosis_date_not_before",
                "diagnosis_date_not_after",
            ))
            .chain([col(
                "metastatic_date",
                Kind::Date,
                false,
                "date of diagnosis of metastatic or recurrent disease (progression to it)",
            )])
            .chain(bounds(
                "metastatic_date_not_before",
                "metastatic_date_not_after",
            ))
            .chain([
                col(
                    "metastatic_setting",
                    code::<MetastaticSetting>(),
                    false,
                    "how metastatic disease arose",
                ),
                col(
                    "prior_stage",
                    code::<SummaryStage>(),
                    false,
                    "summary stage before metastatic disease",
                ),
                col(
                    "ecog",
                    int(0, 4),
                    false,
                    "ECOG performance status at metastatic diagnosis",
                ),
                col(
                    "entry_date",
                    Kind::Date,
                    false,
                    "date of study entry (time zero of study analyses)",
                ),
                col(
                    "arm",
                    Kind::Text,
                    false,
                    "study group or arm label as the study names it",
                ),
                col(
                    "excluded",
                    Kind::YesNo,
                    false,
                    "excluded from the study's analyses",
                ),
                col("exclusion_reason", Kind::Text, false, "why excluded"),
                col(
                    "last_followup_date",
                    Kind::Date,
                    false,
                    "date last known alive (or date of death)",
                ),
                col(
                    "vital_status",
                    code::<VitalStatus>(),
                    true,
                    "vital status at last follow-up",
                ),
                col("death_date", Kind::Date, false, "date of death"),
            ])
            .chain(bounds("death_date_not_before", "death_date_not_after"))
            .chain([
                col("death_cause", code::<DeathCause>(), false, "cause of death"),
                notes(),
            ])
            .collect(),
            key: vec!["patient"],
            references: vec![Reference {
                columns: vec!["site"],
                target: Entity::Site,
            }],
            date_order: vec![
                ("birth_date", "diagnosis_date"),
                ("birth_date", "metastatic_date"),
                ("birth_date", "entry_date"),
                ("birth_date", "last_followup_date"),
                ("birth_date", "death_date"),
                ("diagnosis_date", "metastatic_date"),
                ("diagnosis_date", "entry_date"),
                ("diagnosis_date", "last_followup_date"),
                ("diagnosis_date", "death_date"),
                ("metastatic_date", "last_followup_date"),
                ("metastatic_date", "death_date"),
                ("entry_date", "last_followup_date"),
                ("entry_date", "death_date"),
                ("last_followup_date", "death_date"),
            ],
        },
        EntitySpec {
            entity: Entity::Tumour,
            file: "tumours.csv",
            table: "tumour",
            doc: "One row per primary tumour (usually one per patient): site, syndrome, pathology, grade, stage, receptor imaging.",
            columns: vec![
                patient_col(),
                col(
                    "tumour",
                    Kind::Id,
                    true,
                    "tumour id within the patient (e.g. `1`)",
                ),
                col(
                    "primary_site",
                    code::<PrimarySite>(),
                    true,
                    "site of the primary",
                ),
                col(
                    "primary_site_detail",
                    Kind::Text,
                    false,
                    "the named site when `primary_site` is `other`",
                ),
                col(
                    "gi_segment",
                    code::<GiSegment>(),
                    false,
                    "embryological segment of a GI primary (implied by most organs)",
                ),
                col(
                    "reported_type",
                    Kind::Text,
                    false,
                    "tumour type as the source wrote it (e.g. `Carcinoid`)",
                ),
                col(
                    "functional_syndrome",
                    code::<FunctionalSyndrome>(),
                    false,
                    "hormonal syndrome",
                ),
                col(
                    "differentiation",
                    code::<Differentiation>(),
                    false,
                    "differentiation",
                ),
                col(
                    "nec_cell_type",
                    code::<NecCellType>(),
                    false,
                    "cell type of a poorly differentiated carcinoma",
                ),
                measure(
                    "ki67_percent",
                    real(0.0, 100.0),
                    "%",
                    "Ki-67 proliferation index",
                ),
                measure(
                    "mitoses_per_2mm2",
                    nonneg(),
                    "mitoses per 2 mm²",
                    "mitotic count",
                ),
                col(
                    "who_grade",
                    code::<WhoGrade>(),
                    false,
                    "WHO 2019 grade as recorded (must agree with Ki-67 and mitoses when given)",
                ),
                col(
                    "seer_grade",
                    code::<SeerGrade>(),
                    false,
                    "SEER 4-level grade (older series)",
                ),
                col(
                    "grade_system",
                    code::<GradeSystem>(),
                    false,
                    "grading system of `reported_grade`",
                ),
                col(
                    "reported_grade",
                    code::<ReportedGrade>(),
                    false,
                    "grade (lung and thymus: tumour type) as the report gave it under `grade_system`",
                ),
                measure(
                    "mitoses_per_10hpf",
                    nonneg(),
                    "mitoses per 10 HPF",
                    "mitotic count per 10 high-power fields (WHO 2010, ENETS)",
                ),
                col(
                    "necrosis",
                    Kind::YesNo,
                    false,
                    "necrosis present (lung and thymus rules)",
                ),
                col(
                    "stage",
                    Kind::Text,
                    false,
                    "stage as recorded (e.g. TNM `T2N1M1`)",
                ),
                measure(
                    "krenning_uptake",
                    int(0, 4),
                    "Krenning grade",
                    "somatostatin-receptor imaging uptake, 0–4",
                ),
                measure("mibg_uptake", int(0, 4), "grade", "MIBG uptake, 0–4"),
                notes(),
            ],
            key: vec!["patient", "tumour"],
            references: vec![patient_ref()],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Metastasis,
            file: "metastases.csv",
            table: "metastasis",
            doc: "One row per metastatic site of a patient.",
            columns: vec![
                patient_col(),
                col("site", code::<MetastasisSite>(), true, "metastatic site"),
                col(
                    "detail",
                    Kind::Text,
                    false,
                    "the named site when `site` is `other` (part of the key)",
                ),
                col(
                    "date",
                    Kind::Date,
                    false,
                    "date the site was first known involved",
                ),
                col(
                    "at_metastatic_diagnosis",
                    Kind::YesNo,
                    false,
                    "involved at the diagnosis of metastatic disease",
                ),
                col(
                    "liver_pattern",
                    code::<LiverPattern>(),
                    false,
                    "pattern of liver involvement (liver only)",
                ),
                notes(),
            ],
            key: vec!["patient", "site", "detail"],
            references: vec![patient_ref()],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Biomarker,
            file: "biomarkers.csv",
            table: "biomarker",
            doc: "One row per marker measurement.",
            columns: vec![
                patient_col(),
                col("marker", code::<Marker>(), true, "marker"),
                col(
                    "marker_detail",
                    Kind::Text,
                    false,
                    "the marker's name when `marker` is `other` (part of the key)",
                ),
                col("date", Kind::Date, true, "date of the sample"),
                col(
                    "value",
                    nonneg(),
                    false,
                    "measured value, in `unit` (a value or a `result` is required)",
                ),
                col(
                    "unit",
                    Kind::Text,
                    false,
                    "unit as the laboratory reports it (UCUM recommended, e.g. `ug/L`, `umol/d`); required with a value",
                ),
                col(
                    "result",
                    code::<MarkerResult>(),
                    false,
                    "the result in words as the report gives it (`normal`, `elevated`, …), with or without a value",
                ),
                col(
                    "lower_limit",
                    nonneg(),
                    false,
                    "lower reference limit, in `unit`",
                ),
                col(
                    "upper_limit",
                    nonneg(),
                    false,
                    "upper limit of normal, in `unit`",
                ),
                notes(),
            ],
            key: vec!["patient", "marker", "marker_detail", "date"],
            references: vec![patient_ref()],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Treatment,
            file: "treatments.csv",
            table: "treatment",
            doc: "One row per treatment course: a systemic regimen, a procedure (each TACE session is a row), or a supportive drug. Its agents are in `treatment_agents.csv`.",
            columns: vec![
                patient_col(),
                col(
                    "treatment",
                    Kind::Id,
                    true,
                    "treatment id within the patient (e.g. `T1`)",
                ),
                col("type", code::<TreatmentType>(), true, "kind of treatment"),
                col(
                    "surgery_type",
                    code::<SurgeryType>(),
                    false,
                    "kind of surgery (surgery only)",
                ),
                col("start_date", Kind::Date, false, "start (or procedure) date"),
            ]
            .into_iter()
            .chain(bounds("start_date_not_before", "start_date_not_after"))
            .chain([col(
                "end_date",
                Kind::Date,
                false,
                "end date; empty while ongoing or for a one-day procedure",
            )])
            .chain(bounds("end_date_not_before", "end_date_not_after"))
            .chain([
                col("intent", code::<Intent>(), false, "intent"),
                col("stop_reason", code::<StopReason>(), false, "why it stopped"),
                col(
                    "line",
                    int(1, 99),
                    false,
                    "line of therapy as the source recorded it (lines are also derived)",
                ),
                col(
                    "target_organ",
                    code::<Organ>(),
                    false,
                    "organ a local treatment was aimed at",
                ),
                col(
                    "target_lesions",
                    Kind::Text,
                    false,
                    "lesion ids a local treatment was aimed at, separated by `;` (e.g. `L1;L3`)",
                ),
                notes(),
            ])
            .collect(),
            key: vec!["patient", "treatment"],
            references: vec![patient_ref()],
            date_order: vec![("start_date", "end_date")],
        },
        EntitySpec {
            entity: Entity::TreatmentAgent,
            file: "treatment_agents.csv",
            table: "treatment_agent",
            doc: "One row per agent of a treatment (a regimen lists several).",
            columns: vec![
                patient_col(),
                col(
                    "treatment",
                    Kind::Id,
                    true,
                    "treatment id (`treatments.csv`)",
                ),
                col("agent", code::<Agent>(), true, "agent"),
                col(
                    "agent_detail",
                    Kind::Text,
                    false,
                    "the agent's name when `agent` is `other` (part of the key)",
                ),
                col(
                    "dose",
                    nonneg(),
                    false,
                    "dose per administration, in `dose_unit`",
                ),
                col(
                    "dose_unit",
                    Kind::Text,
                    false,
                    "unit of `dose` (e.g. `mg`, `mg/m2`, `ug`, `MIU`, `GBq`)",
                ),
                measure(
                    "interval_days",
                    real(0.0, 3650.0),
                    "days",
                    "interval between administrations",
                ),
                col("route", code::<Route>(), false, "route of administration"),
                col(
                    "formulation",
                    code::<Formulation>(),
                    false,
                    "formulation (e.g. `lar` for octreotide LAR)",
                ),
                notes(),
            ],
            key: vec!["patient", "treatment", "agent", "agent_detail"],
            references: vec![Reference {
                columns: vec!["patient", "treatment"],
                target: Entity::Treatment,
            }],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::RadionuclideAdministration,
            file: "radionuclide_administrations.csv",
            table: "radionuclide_administration",
            doc: "One row per administration of a radionuclide treatment (its tracer is the treatment's agent).",
            columns: vec![
                patient_col(),
                col(
                    "treatment",
                    Kind::Id,
                    true,
                    "treatment id of a `radionuclide` treatment",
                ),
                col(
                    "administration",
                    int(1, 99),
                    true,
                    "administration number, 1, 2, …",
                ),
                col("date", Kind::Date, false, "date given"),
                ColumnSpec {
                    name: "activity_gbq",
                    kind: real(0.001, 100.0),
                    required: true,
                    unit: Some("GBq"),
                    doc: "administered activity",
                },
                measure(
                    "lu177_gbq",
                    real(0.0, 100.0),
                    "GBq",
                    "177Lu part of `activity_gbq` (combined PRRT)",
                ),
                measure(
                    "y90_gbq",
                    real(0.0, 100.0),
                    "GBq",
                    "90Y part of `activity_gbq` (combined PRRT)",
                ),
                measure(
                    "tumour_dose_gy",
                    nonneg(),
                    "Gy",
                    "absorbed dose to the tumour by dosimetry",
                ),
                notes(),
            ],
            key: vec!["patient", "treatment", "administration"],
            references: vec![Reference {
                columns: vec!["patient", "treatment"],
                target: Entity::Treatment,
            }],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Assessment,
            file: "assessments.csv",
            table: "assessment",
            doc: "One row per imaging (or clinical) tumour assessment; its lesions are in `lesions.csv`.",
            columns: vec![
                patient_col(),
                col(
                    "assessment",
                    Kind::Id,
                    true,
                    "assessment id within the patient (e.g. `A1`)",
                ),
                col("date", Kind::Date, true, "date of the examination"),
            ]
            .into_iter()
            .chain(bounds("date_not_before", "date_not_after"))
            .chain([
                col("modality", code::<Modality>(), true, "modality"),
                col(
                    "criteria",
                    code::<ResponseCriteria>(),
                    false,
                    "criteria of the investigator's response",
                ),
                col(
                    "treatment",
                    Kind::Id,
                    false,
                    "treatment being evaluated (`treatments.csv`)",
                ),
                col(
                    "investigator_response",
                    code::<Response>(),
                    false,
                    "response as the investigator recorded it",
                ),
                notes(),
            ])
            .collect(),
            key: vec!["patient", "assessment"],
            references: vec![
                patient_ref(),
                Reference {
                    columns: vec!["patient", "treatment"],
                    target: Entity::Treatment,
                },
            ],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Lesion,
            file: "lesions.csv",
            table: "lesion",
            doc: "One row per lesion per assessment. A lesion keeps its identifier (and organ) across assessments.",
            columns: vec![
                patient_col(),
                col(
                    "assessment",
                    Kind::Id,
                    true,
                    "assessment id (`assessments.csv`)",
                ),
                col(
                    "lesion",
                    Kind::Id,
                    true,
                    "lesion identifier, stable across assessments (e.g. `L1`)",
                ),
                col("organ", code::<Organ>(), true, "organ"),
                col(
                    "organ_detail",
                    Kind::Text,
                    false,
                    "location detail (e.g. `segment VII`)",
                ),
                col(
                    "role",
                    code::<LesionRole>(),
                    true,
                    "target, non-target or new",
                ),
                measure("longest_mm", nonneg(), "mm", "longest diameter"),
                measure(
                    "perpendicular_mm",
                    nonneg(),
                    "mm",
                    "longest perpendicular diameter",
                ),
                measure("short_axis_mm", nonneg(), "mm", "short axis (lymph nodes)"),
                measure(
                    "viable_mm",
                    nonneg(),
                    "mm",
                    "longest viable (enhancing) diameter",
                ),
                measure(
                    "attenuation_hu",
                    real(-1024.0, 4000.0),
                    "HU",
                    "mean attenuation",
                ),
                col(
                    "status",
                    code::<LesionStatus>(),
                    false,
                    "state of a non-target or new lesion",
                ),
                notes(),
            ],
            key: vec!["patient", "assessment", "lesion"],
            references: vec![Reference {
                columns: vec!["patient", "assessment"],
                target: Entity::Assessment,
            }],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::ClinicalStatus,
            file: "clinical_status.csv",
            table: "clinical_status",
            doc: "One row per visit: performance status and symptoms.",
            columns: vec![
                patient_col(),
                col("date", Kind::Date, true, "visit date"),
                col("ecog", int(0, 4), false, "ECOG performance status"),
                measure(
                    "symptom_score",
                    nonneg(),
                    "points",
                    "symptom score as the centre records it",
                ),
                col(
                    "symptoms",
                    code::<SymptomChange>(),
                    false,
                    "change of symptoms since the previous visit",
                ),
                measure("weight_kg", real(0.0, 500.0), "kg", "body weight"),
                measure(
                    "flushing_per_day",
                    real(0.0, 100.0),
                    "episodes/day",
                    "flushing episodes per day (mean over the days the visit asks about)",
                ),
                measure(
                    "diarrhoea_per_day",
                    real(0.0, 100.0),
                    "episodes/day",
                    "diarrhoea episodes (liquid or soft stools) per day",
                ),
                notes(),
            ],
            key: vec!["patient", "date"],
            references: vec![patient_ref()],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::AdverseEvent,
            file: "adverse_events.csv",
            table: "adverse_event",
            doc: "One row per adverse event (CTCAE v5).",
            columns: vec![
                patient_col(),
                col(
                    "event",
                    Kind::Id,
                    true,
                    "event id within the patient (e.g. `AE1`)",
                ),
                col(
                    "term",
                    Kind::Text,
                    true,
                    "CTCAE v5 term (e.g. `Platelet count decreased`)",
                ),
                col("grade", int(1, 5), true, "CTCAE grade 1–5"),
                col("onset_date", Kind::Date, false, "onset"),
                col("resolution_date", Kind::Date, false, "resolution"),
                col(
                    "attribution",
                    code::<Attribution>(),
                    false,
                    "relation to `treatment`",
                ),
                col("serious", Kind::YesNo, false, "serious adverse event"),
                col(
                    "treatment",
                    Kind::Id,
                    false,
                    "suspected treatment (`treatments.csv`)",
                ),
                notes(),
            ],
            key: vec!["patient", "event"],
            references: vec![
                patient_ref(),
                Reference {
                    columns: vec!["patient", "treatment"],
                    target: Entity::Treatment,
                },
            ],
            date_order: vec![("onset_date", "resolution_date")],
        },
        EntitySpec {
            entity: Entity::Immunohistochemistry,
            file: "immunohistochemistry.csv",
            table: "immunohistochemistry",
            doc: "One row per stain read on a tumour specimen (an immunohistochemistry panel is several rows).",
            columns: vec![
                patient_col(),
                col("tumour", Kind::Id, true, "tumour id (`tumours.csv`)"),
                col(
                    "date",
                    Kind::Date,
                    true,
                    "date of the specimen (biopsy or resection)",
                ),
                col(
                    "specimen",
                    code::<Specimen>(),
                    false,
                    "what the specimen was (part of the key)",
                ),
                col("stain", code::<IhcStain>(), true, "stain"),
                col(
                    "stain_detail",
                    Kind::Text,
                    false,
                    "the stain's name when `stain` is `other` (part of the key)",
                ),
                col("result", code::<IhcResult>(), true, "reading"),
                measure(
                    "percent_cells",
                    real(0.0, 100.0),
                    "%",
                    "share of tumour cells stained",
                ),
                measure(
                    "intensity",
                    int(0, 3),
                    "0–3",
                    "staining intensity (0 none … 3 strong)",
                ),
                col(
                    "score",
                    nonneg(),
                    false,
                    "score under `score_system` (e.g. SSTR2 Volante 0–3)",
                ),
                col(
                    "score_system",
                    code::<IhcScoreSystem>(),
                    false,
                    "scoring system of `score`",
                ),
                notes(),
            ],
            key: vec![
                "patient",
                "tumour",
                "date",
                "specimen",
                "stain",
                "stain_detail",
            ],
            references: vec![Reference {
                columns: vec!["patient", "tumour"],
                target: Entity::Tumour,
            }],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::GeneticTest,
            file: "genetics.csv",
            table: "genetic_test",
            doc: "One row per gene tested, germline (the patient) or somatic (a tumour).",
            columns: vec![
                patient_col(),
                col(
                    "origin",
                    code::<GeneticOrigin>(),
                    true,
                    "germline or somatic",
                ),
                col("gene", code::<Gene>(), true, "gene"),
                col(
                    "gene_detail",
                    Kind::Text,
                    false,
                    "the gene's name when `gene` is `other` (part of the key)",
                ),
                col("result", code::<GeneticResult>(), true, "result"),
                col(
                    "variant",
                    Kind::Text,
                    false,
                    "the variant found (HGVS recommended, e.g. `c.1546dupC`)",
                ),
                col(
                    "tumour",
                    Kind::Id,
                    false,
                    "tumour id of a somatic test (`tumours.csv`)",
                ),
                col("date", Kind::Date, false, "date of the report"),
                col(
                    "method",
                    Kind::Text,
                    false,
                    "method (e.g. `NGS panel`, `Sanger`, `MLPA`, `methylation-specific PCR`)",
                ),
                notes(),
            ],
            key: vec!["patient", "origin", "gene", "gene_detail"],
            references: vec![
                patient_ref(),
                Reference {
                    columns: vec!["patient", "tumour"],
                    target: Entity::Tumour,
                },
            ],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::QolResponse,
            file: "qol_responses.csv",
            table: "qol_response",
            doc: "One row per answered item of a quality-of-life questionnaire (EORTC QLQ-C30 items 1–30, QLQ-GI.NET21 items 31–51); scales are scored from them, never stored.",
            columns: vec![
                patient_col(),
                col(
                    "questionnaire",
                    code::<Questionnaire>(),
                    true,
                    "questionnaire",
                ),
                col(
                    "date",
                    Kind::Date,
                    true,
                    "date the questionnaire was completed",
                ),
                col(
                    "item",
                    int(1, 99),
                    true,
                    "item number as printed on the form",
                ),
                col(
                    "response",
                    int(1, 7),
                    true,
                    "the box ticked: 1 (not at all) – 4 (very much); 1–7 for QLQ-C30 items 29–30",
                ),
            ],
            key: vec!["patient", "questionnaire", "date", "item"],
            references: vec![patient_ref()],
            date_order: vec![],
        },
        EntitySpec {
            entity: Entity::Comorbidity,
            file: "comorbidities.csv",
            table: "comorbidity",
            doc: "One row per comorbidity (the conditions of the Charlson index); one row `none` records that the patient was assessed and had none.",
            columns: vec![
                patient_col(),
                col("condition", code::<Comorbidity>(), true, "condition"),
                col(
                    "condition_detail",
                    Kind::Text,
                    false,
                    "the condition's name when `condition` is `other` (part of the key)",
                ),
                col("date", Kind::Date, false, "date of diagnosis"),
                notes(),
            ],
            key: vec!["patient", "condition", "condition_detail"],
            references: vec![patient_ref()],
            date_order: vec![],
        },
    ]
}

/// Renders the column table of one entity as Markdown (used to generate
/// `docs/bundle-format.md`).
pub fn markdown_table(entity: Entity) -> String {
    let spec = entity.spec();
    let mut out = String::new();
    out.push_str("| column | type | unit | required | meaning |\n");
    out.push_str("| --- | --- | --- | --- | --- |\n");
    for c in &spec.columns {
        let key = if spec.key.contains(&c.name) {
            " (key)"
        } else {
            ""
        };
        out.push_str(&format!(
            "| `{}`{} | {} | {} | {} | {} |\n",
            c.name,
            key,
            c.kind.describe(),
            c.unit.unwrap_or(""),
            if c.required { "yes" } else { "" },
            c.doc
        ));
    }
    out
}

/// Renders the list of vocabularies used by the schema as Markdown.
pub fn markdown_vocabularies() -> String {
    let mut seen: Vec<&'static str> = Vec::new();
    let mut out = String::new();
    out.push_str("| vocabulary | codes |\n| --- | --- |\n");
    for spec in schema() {
        for c in &spec.columns {
            if let Kind::Code(v) = &c.kind {
                if seen.contains(&v.name) {
                    continue;
                }
                seen.push(v.name);
                let codes: Vec<String> = v
                    .codes
                    .iter()
                    .zip(&v.labels)
                    .map(|(c, l)| {
                        if c.replace('_', " ") == *l {
                            format!("`{c}`")
                        } else {
                            format!("`{c}` ({l})")
                        }
                    })
                    .collect();
                out.push_str(&format!("| `{}` | {} |\n", v.name, codes.join(", ")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entities_are_indexed_in_order_and_keys_exist() {
        for (i, e) in Entity::ALL.iter().enumerate() {
            let s = e.spec();
            assert_eq!(s.entity, *e);
            assert_eq!(e.index(), i);
            for k in &s.key {
                assert!(s.position(k).is_some(), "{}: key {k}", s.file);
            }
            for r in &s.references {
                assert!(r.target < *e, "{}: refers forward", s.file);
                assert_eq!(r.columns.len(), r.target.spec().key.len());
                for c in &r.columns {
                    assert!(s.position(c).is_some());
                }
            }
            for (a, b) in &s.date_order {
                assert!(matches!(s.column(a).unwrap().kind, Kind::Date));
                assert!(matches!(s.column(b).unwrap().kind, Kind::Date));
            }
            let mut names: Vec<_> = s.columns.iter().map(|c| c.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), s.columns.len(), "{}: duplicate column", s.file);
        }
    }

    #[test]
    fn parsing_cells() {
        let k = Kind::Real {
            min: 0.0,
            max: f64::MAX,
        };
        assert_eq!(k.parse("-1").unwrap_err(), "cannot be negative");
        assert_eq!(k.parse("12.50"), Ok(Value::Real(12.5)));
        assert_eq!(k.parse("-0"), Ok(Value::Real(0.0)));
        assert!(k.parse("inf").is_err());
        assert!(k.parse("1e999").is_err());
        assert!(k.parse("0x10").is_err());
        let i = Kind::Integer { min: 0, max: 4 };
        assert_eq!(i.parse("5").unwrap_err(), "must be between 0 and 4");
        assert_eq!(i.parse("2.0").unwrap_err(), "not a whole number");
        assert_eq!(Kind::YesNo.parse("yes"), Ok(Value::Bool(true)));
        assert!(Kind::YesNo.parse("Y").is_err());
        assert!(Kind::Id.parse(&"x".repeat(65)).is_err());
        let site = Entity::Tumour.spec().column("primary_site").unwrap();
        assert!(site.kind.parse("pancreas").is_ok());
        assert!(
            site.kind
                .parse("Pancreas")
                .unwrap_err()
                .starts_with("unknown code for primary_site (allowed: pancreas, stomach")
        );
    }

    #[test]
    fn canonical_text_round_trips() {
        for (kind, text) in [
            (
                Kind::Real {
                    min: -1e9,
                    max: 1e9,
                },
                "0.1",
            ),
            (
                Kind::Real {
                    min: -1e9,
                    max: 1e9,
                },
                "20",
            ),
            (
                Kind::Real {
                    min: -1e9,
                    max: 1e9,
                },
                "-3.25",
            ),
            (Kind::Date, "2004-02"),
            (Kind::YesNo, "no"),
        ] {
            let v = kind.parse(text).unwrap();
            assert_eq!(v.to_text().unwrap(), text);
        }
        let v = Kind::Real { min: 0.0, max: 1e9 }.parse("20.0").unwrap();
        assert_eq!(v.to_text().unwrap(), "20");
    }
}
