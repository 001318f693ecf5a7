//! The systemic regimens and local procedures the simulator gives, with
//! their agents, doses, schedules and adverse-event profiles.
//!
//! Doses and schedules are the usual published ones for NETs (octreotide LAR
//! 30 mg every 28 days, etoposide 100 mg/m² with cisplatin every 21 days,
//! 177Lu-DOTATATE 7.4 GBq every 8 weeks × 4, …). Adverse-event terms are CTCAE
//! v5 terms; which terms a regimen causes and how often each grade occurs are
//! assumptions that follow the regimens' known toxicity (myelosuppression
//! for platinum doublets, flu-like symptoms for interferon, stomatitis for
//! everolimus, hand–foot syndrome and hypertension for sunitinib, …), not
//! calibration targets.

use netra_clinical::registry::vocab::{Agent, TreatmentType};

/// One agent of a regimen with its dose.
#[derive(Debug, Clone, Copy)]
pub struct AgentDose {
    /// Agent.
    pub agent: Agent,
    /// Dose per administration.
    pub dose: f64,
    /// Unit of the dose.
    pub unit: &'static str,
    /// Days between administrations.
    pub interval_days: f64,
}

const fn a(agent: Agent, dose: f64, unit: &'static str, interval_days: f64) -> AgentDose {
    AgentDose {
        agent,
        dose,
        unit,
        interval_days,
    }
}

/// How long a regimen is given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// Until progression, toxicity or death.
    Continuous,
    /// A planned number of cycles, then stopped as completed.
    Cycles {
        /// Days per cycle.
        cycle_days: i32,
        /// Fewest planned cycles.
        min: i32,
        /// Most planned cycles.
        max: i32,
    },
    /// Radionuclide administrations at a fixed interval.
    Radionuclide {
        /// Days between administrations.
        interval_days: i32,
        /// Fewest planned administrations.
        min: i32,
        /// Most planned administrations.
        max: i32,
        /// Activity per administration, GBq.
        activity_gbq: f64,
    },
}

/// An adverse event a treatment can cause: CTCAE term, relative frequency
/// and the probabilities of grades 1–4.
#[derive(Debug, Clone, Copy)]
pub struct AeSpec {
    /// CTCAE v5 term.
    pub term: &'static str,
    /// Relative frequency among the treatment's events.
    pub weight: f64,
    /// Probabilities of grades 1, 2, 3, 4.
    pub grades: [f64; 4],
}

const fn ae(term: &'static str, weight: f64, grades: [f64; 4]) -> AeSpec {
    AeSpec {
        term,
        weight,
        grades,
    }
}

const MILD: [f64; 4] = [0.65, 0.3, 0.05, 0.0];
const MODERATE: [f64; 4] = [0.4, 0.4, 0.18, 0.02];
const MARROW: [f64; 4] = [0.15, 0.3, 0.4, 0.15];

/// A systemic regimen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Regimen {
    /// Octreotide LAR.
    Octreotide,
    /// Lanreotide autogel.
    Lanreotide,
    /// Interferon-alpha.
    Interferon,
    /// Etoposide with cisplatin.
    EtoposideCisplatin,
    /// Etoposide with carboplatin.
    EtoposideCarboplatin,
    /// Etoposide, ifosfamide, cisplatin (VIP).
    Vip,
    /// Streptozocin with 5-fluorouracil.
    StreptozocinFluorouracil,
    /// Streptozocin with doxorubicin.
    StreptozocinDoxorubicin,
    /// Capecitabine with temozolomide.
    CapecitabineTemozolomide,
    /// Oxaliplatin with 5-fluorouracil (FOLFOX).
    Folfox,
    /// Irinotecan with cisplatin.
    IrinotecanCisplatin,
    /// Everolimus.
    Everolimus,
    /// Sunitinib.
    Sunitinib,
    /// Pazopanib.
    Pazopanib,
    /// 177Lu-DOTATATE.
    Lutetium,
    /// 90Y-DOTATOC.
    Yttrium,
    /// High-activity 111In-pentetreotide.
    Indium,
    /// 131I-MIBG.
    Mibg,
}

/// Everything the generator needs about a regimen.
#[derive(Debug, Clone, Copy)]
pub struct RegimenSpec {
    /// Treatment type of the record.
    pub kind: TreatmentType,
    /// Agents with doses.
    pub agents: &'static [AgentDose],
    /// How long it is given.
    pub schedule: Schedule,
    /// Probability that the line stops for toxicity before progression.
    pub toxicity_stop: f64,
    /// Mean number of adverse events recorded per line.
    pub ae_mean: f64,
    /// Adverse events it causes.
    pub aes: &'static [AeSpec],
}

const SSA_AES: &[AeSpec] = &[
    ae("Diarrhea", 3.0, MILD),
    ae("Abdominal pain", 2.0, MILD),
    ae("Cholelithiasis", 1.0, MODERATE),
    ae("Hyperglycemia", 1.0, MILD),
    ae("Flatulence", 1.0, [0.9, 0.1, 0.0, 0.0]),
    ae("Injection site reaction", 1.0, [0.9, 0.1, 0.0, 0.0]),
];
const IFN_AES: &[AeSpec] = &[
    ae("Flu like symptoms", 3.0, MODERATE),
    ae("Fatigue", 3.0, MODERATE),
    ae("Fever", 2.0, MILD),
    ae("Depression", 1.0, MODERATE),
    ae("Anorexia", 1.0, MODERATE),
    ae("White blood cell decreased", 2.0, MODERATE),
    ae("Alanine aminotransferase increased", 1.0, MODERATE),
    ae("Weight loss", 1.0, MILD),
];
const PLATINUM_AES: &[AeSpec] = &[
    ae("Neutrophil count decreased", 4.0, MARROW),
    ae("Anemia", 3.0, [0.3, 0.45, 0.22, 0.03]),
    ae("Platelet count decreased", 2.0, MARROW),
    ae("Nausea", 3.0, MODERATE),
    ae("Vomiting", 2.0, MODERATE),
    ae("Fatigue", 2.0, MODERATE),
    ae("Alopecia", 2.0, [0.4, 0.6, 0.0, 0.0]),
    ae("Febrile neutropenia", 1.0, [0.0, 0.0, 0.9, 0.1]),
    ae("Peripheral sensory neuropathy", 1.0, MILD),
    ae("Creatinine increased", 1.0, MODERATE),
];
const VIP_AES: &[AeSpec] = &[
    ae("Neutrophil count decreased", 4.0, MARROW),
    ae("Anemia", 3.0, [0.3, 0.45, 0.22, 0.03]),
    ae("Platelet count decreased", 2.0, MARROW),
    ae("Nausea", 3.0, MODERATE),
    ae("Vomiting", 2.0, MODERATE),
    ae("Alopecia", 2.0, [0.4, 0.6, 0.0, 0.0]),
    ae("Febrile neutropenia", 1.5, [0.0, 0.0, 0.9, 0.1]),
    ae("Cystitis noninfective", 1.0, MODERATE),
    ae("Encephalopathy", 0.5, [0.2, 0.4, 0.35, 0.05]),
];
const STZ_AES: &[AeSpec] = &[
    ae("Nausea", 4.0, MODERATE),
    ae("Vomiting", 3.0, MODERATE),
    ae("Creatinine increased", 2.0, MODERATE),
    ae("Proteinuria", 2.0, MILD),
    ae("Mucositis oral", 1.0, MILD),
    ae("Diarrhea", 2.0, MILD),
    ae("Neutrophil count decreased", 1.0, MODERATE),
];
const STZ_DOX_AES: &[AeSpec] = &[
    ae("Nausea", 4.0, MODERATE),
    ae("Vomiting", 3.0, MODERATE),
    ae("Alopecia", 2.0, [0.4, 0.6, 0.0, 0.0]),
    ae("Neutrophil count decreased", 2.0, MARROW),
    ae("Creatinine increased", 1.0, MODERATE),
    ae("Mucositis oral", 1.0, MILD),
    ae("Heart failure", 0.2, [0.0, 0.3, 0.6, 0.1]),
];
const CAPTEM_AES: &[AeSpec] = &[
    ae("Nausea", 3.0, MODERATE),
    ae("Fatigue", 3.0, MODERATE),
    ae("Platelet count decreased", 2.0, MARROW),
    ae("Lymphocyte count decreased", 2.0, MODERATE),
    ae("Palmar-plantar erythrodysesthesia syndrome", 2.0, MODERATE),
    ae("Neutrophil count decreased", 1.0, MODERATE),
    ae("Diarrhea", 1.0, MILD),
];
const FOLFOX_AES: &[AeSpec] = &[
    ae("Peripheral sensory neuropathy", 3.0, MODERATE),
    ae("Neutrophil count decreased", 3.0, MARROW),
    ae("Diarrhea", 2.0, MODERATE),
    ae("Nausea", 2.0, MODERATE),
    ae("Fatigue", 2.0, MODERATE),
    ae("Platelet count decreased", 1.0, MODERATE),
];
const IRINOTECAN_AES: &[AeSpec] = &[
    ae("Diarrhea", 4.0, [0.3, 0.35, 0.3, 0.05]),
    ae("Neutrophil count decreased", 3.0, MARROW),
    ae("Nausea", 2.0, MODERATE),
    ae("Anemia", 2.0, MODERATE),
    ae("Fatigue", 2.0, MODERATE),
    ae("Vomiting", 1.0, MODERATE),
];
const EVEROLIMUS_AES: &[AeSpec] = &[
    ae("Mucositis oral", 4.0, MODERATE),
    ae("Rash maculo-papular", 2.0, MILD),
    ae("Pneumonitis", 1.0, [0.3, 0.4, 0.25, 0.05]),
    ae("Hyperglycemia", 2.0, MODERATE),
    ae("Fatigue", 2.0, MODERATE),
    ae("Diarrhea", 2.0, MILD),
    ae("Anemia", 1.0, MODERATE),
    ae("Lung infection", 1.0, [0.0, 0.5, 0.45, 0.05]),
];
const SUNITINIB_AES: &[AeSpec] = &[
    ae("Diarrhea", 3.0, MODERATE),
    ae("Fatigue", 3.0, MODERATE),
    ae("Hypertension", 2.0, [0.3, 0.4, 0.3, 0.0]),
    ae("Palmar-plantar erythrodysesthesia syndrome", 2.0, MODERATE),
    ae("Neutrophil count decreased", 2.0, MODERATE),
    ae("Hypothyroidism", 1.0, MILD),
    ae("Mucositis oral", 1.0, MILD),
];
const PAZOPANIB_AES: &[AeSpec] = &[
    ae("Hypertension", 3.0, [0.3, 0.4, 0.3, 0.0]),
    ae("Diarrhea", 3.0, MODERATE),
    ae("Fatigue", 2.0, MODERATE),
    ae("Alanine aminotransferase increased", 2.0, MODERATE),
    ae("Hair color changes", 1.0, [0.8, 0.2, 0.0, 0.0]),
];
const PRRT_AES: &[AeSpec] = &[
    ae("Nausea", 3.0, MILD),
    ae("Lymphocyte count decreased", 3.0, MODERATE),
    ae("Platelet count decreased", 2.0, MODERATE),
    ae("Fatigue", 2.0, MILD),
    ae("Anemia", 1.0, MILD),
    ae("Vomiting", 1.0, MILD),
    ae("Chronic kidney disease", 0.3, [0.3, 0.5, 0.2, 0.0]),
];
const Y90_AES: &[AeSpec] = &[
    ae("Nausea", 3.0, MILD),
    ae("Lymphocyte count decreased", 3.0, MODERATE),
    ae("Platelet count decreased", 2.0, MODERATE),
    ae("Chronic kidney disease", 2.0, [0.3, 0.45, 0.2, 0.05]),
    ae("Fatigue", 2.0, MILD),
];

const fn spec(
    kind: TreatmentType,
    agents: &'static [AgentDose],
    schedule: Schedule,
    toxicity_stop: f64,
    ae_mean: f64,
    aes: &'static [AeSpec],
) -> RegimenSpec {
    RegimenSpec {
        kind,
        agents,
        schedule,
        toxicity_stop,
        ae_mean,
        aes,
    }
}

const fn cycles(cycle_days: i32, min: i32, max: i32) -> Schedule {
    Schedule::Cycles {
        cycle_days,
        min,
        max,
    }
}

/// Agents, schedule and toxicity of each regimen, in [`Regimen::ALL`] order.
const SPECS: [RegimenSpec; 18] = [
    spec(
        TreatmentType::SomatostatinAnalogue,
        &[a(Agent::Octreotide, 30.0, "mg", 28.0)],
        Schedule::Continuous,
        0.02,
        0.8,
        SSA_AES,
    ),
    spec(
        TreatmentType::SomatostatinAnalogue,
        &[a(Agent::Lanreotide, 120.0, "mg", 28.0)],
        Schedule::Continuous,
        0.02,
        0.8,
        SSA_AES,
    ),
    spec(
        TreatmentType::Interferon,
        &[a(Agent::InterferonAlpha, 3.0, "MIU", 2.0)],
        Schedule::Continuous,
        0.15,
        2.2,
        IFN_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Cisplatin, 75.0, "mg/m2", 21.0),
            a(Agent::Etoposide, 100.0, "mg/m2", 21.0),
        ],
        cycles(21, 4, 6),
        0.10,
        3.0,
        PLATINUM_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Carboplatin, 5.0, "AUC", 21.0),
            a(Agent::Etoposide, 100.0, "mg/m2", 21.0),
        ],
        cycles(21, 4, 6),
        0.08,
        2.8,
        PLATINUM_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Cisplatin, 20.0, "mg/m2", 21.0),
            a(Agent::Etoposide, 75.0, "mg/m2", 21.0),
            a(Agent::Ifosfamide, 1200.0, "mg/m2", 21.0),
        ],
        cycles(21, 3, 6),
        0.15,
        3.5,
        VIP_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Fluorouracil, 400.0, "mg/m2", 42.0),
            a(Agent::Streptozocin, 500.0, "mg/m2", 42.0),
        ],
        cycles(42, 3, 6),
        0.10,
        2.5,
        STZ_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Doxorubicin, 50.0, "mg/m2", 42.0),
            a(Agent::Streptozocin, 500.0, "mg/m2", 42.0),
        ],
        cycles(42, 3, 6),
        0.12,
        2.5,
        STZ_DOX_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Capecitabine, 750.0, "mg/m2", 28.0),
            a(Agent::Temozolomide, 200.0, "mg/m2", 28.0),
        ],
        cycles(28, 6, 12),
        0.08,
        2.0,
        CAPTEM_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Fluorouracil, 2400.0, "mg/m2", 14.0),
            a(Agent::Oxaliplatin, 85.0, "mg/m2", 14.0),
        ],
        cycles(14, 6, 12),
        0.12,
        2.5,
        FOLFOX_AES,
    ),
    spec(
        TreatmentType::Chemotherapy,
        &[
            a(Agent::Cisplatin, 60.0, "mg/m2", 28.0),
            a(Agent::Irinotecan, 60.0, "mg/m2", 28.0),
        ],
        cycles(28, 4, 6),
        0.12,
        2.8,
        IRINOTECAN_AES,
    ),
    spec(
        TreatmentType::Targeted,
        &[a(Agent::Everolimus, 10.0, "mg", 1.0)],
        Schedule::Continuous,
        0.12,
        2.5,
        EVEROLIMUS_AES,
    ),
    spec(
        TreatmentType::Targeted,
        &[a(Agent::Sunitinib, 37.5, "mg", 1.0)],
        Schedule::Continuous,
        0.12,
        2.5,
        SUNITINIB_AES,
    ),
    spec(
        TreatmentType::Targeted,
        &[a(Agent::Pazopanib, 800.0, "mg", 1.0)],
        Schedule::Continuous,
        0.12,
        2.2,
        PAZOPANIB_AES,
    ),
    spec(
        TreatmentType::Radionuclide,
        &[a(Agent::Lu177Dotatate, 7.4, "GBq", 56.0)],
        Schedule::Radionuclide {
            interval_days: 56,
            min: 4,
            max: 4,
            activity_gbq: 7.4,
        },
        0.04,
        1.6,
        PRRT_AES,
    ),
    spec(
        TreatmentType::Radionuclide,
        &[a(Agent::Y90Dotatoc, 3.7, "GBq", 56.0)],
        Schedule::Radionuclide {
            interval_days: 56,
            min: 2,
            max: 4,
            activity_gbq: 3.7,
        },
        0.05,
        1.6,
        Y90_AES,
    ),
    spec(
        TreatmentType::Radionuclide,
        &[a(Agent::In111Pentetreotide, 6.5, "GBq", 30.0)],
        Schedule::Radionuclide {
            interval_days: 30,
            min: 3,
            max: 3,
            activity_gbq: 6.5,
        },
        0.03,
        1.2,
        PRRT_AES,
    ),
    spec(
        TreatmentType::Radionuclide,
        &[a(Agent::I131Mibg, 7.4, "GBq", 90.0)],
        Schedule::Radionuclide {
            interval_days: 90,
            min: 1,
            max: 3,
            activity_gbq: 7.4,
        },
        0.03,
        1.2,
        PRRT_AES,
    ),
];

impl Regimen {
    /// Every regimen.
    pub const ALL: [Regimen; 18] = [
        Regimen::Octreotide,
        Regimen::Lanreotide,
        Regimen::Interferon,
        Regimen::EtoposideCisplatin,
        Regimen::EtoposideCarboplatin,
        Regimen::Vip,
        Regimen::StreptozocinFluorouracil,
        Regimen::StreptozocinDoxorubicin,
        Regimen::CapecitabineTemozolomide,
        Regimen::Folfox,
        Regimen::IrinotecanCisplatin,
        Regimen::Everolimus,
        Regimen::Sunitinib,
        Regimen::Pazopanib,
        Regimen::Lutetium,
        Regimen::Yttrium,
        Regimen::Indium,
        Regimen::Mibg,
    ];

    /// Position in [`Regimen::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Agents, schedule and toxicity.
    pub fn spec(self) -> RegimenSpec {
        SPECS[self as usize]
    }

    /// True for radionuclide therapy (needs receptor uptake on imaging).
    pub fn is_radionuclide(self) -> bool {
        self.spec().kind == TreatmentType::Radionuclide
    }

    /// True for cytotoxic regimens.
    pub fn is_chemotherapy(self) -> bool {
        self.spec().kind == TreatmentType::Chemotherapy
    }
}

/// A local treatment of metastatic disease.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LocalKind {
    /// Transarterial chemoembolisation (one session).
    Tace,
    /// Resection of the primary.
    PrimaryResection,
    /// Debulking surgery.
    Debulking,
    /// Resection of metastases.
    Metastasectomy,
    /// Endoscopic resection.
    Endoscopic,
    /// External radiotherapy.
    Radiotherapy,
    /// Radiofrequency ablation.
    Rfa,
    /// Bland embolisation.
    BlandEmbolisation,
    /// Radioembolisation (SIRT).
    Radioembolisation,
    /// Microwave ablation.
    MicrowaveAblation,
}

/// Adverse events of local treatments.
pub fn local_aes(kind: LocalKind) -> (f64, &'static [AeSpec]) {
    const EMBOLISATION: &[AeSpec] = &[
        ae("Abdominal pain", 3.0, [0.3, 0.5, 0.2, 0.0]),
        ae("Fever", 2.0, MILD),
        ae("Nausea", 2.0, MILD),
        ae(
            "Alanine aminotransferase increased",
            2.0,
            [0.4, 0.3, 0.25, 0.05],
        ),
        ae("Hepatic failure", 0.1, [0.0, 0.0, 0.7, 0.3]),
    ];
    const SURGERY: &[AeSpec] = &[
        ae("Wound infection", 2.0, [0.3, 0.5, 0.2, 0.0]),
        ae("Postoperative hemorrhage", 0.5, [0.0, 0.4, 0.5, 0.1]),
        ae("Ileus", 1.0, MODERATE),
        ae("Pancreatic fistula", 1.0, [0.2, 0.5, 0.3, 0.0]),
    ];
    const RADIOTHERAPY: &[AeSpec] = &[
        ae("Fatigue", 2.0, MILD),
        ae("Dermatitis radiation", 2.0, MILD),
        ae("Nausea", 1.0, MILD),
    ];
    const ABLATION: &[AeSpec] = &[
        ae("Abdominal pain", 2.0, MILD),
        ae("Fever", 1.0, MILD),
        ae("Pain", 1.0, MILD),
    ];
    const ENDOSCOPY: &[AeSpec] = &[
        ae("Gastric hemorrhage", 1.0, MODERATE),
        ae("Abdominal pain", 1.0, MILD),
    ];
    match kind {
        LocalKind::Tace | LocalKind::BlandEmbolisation | LocalKind::Radioembolisation => {
            (0.9, EMBOLISATION)
        }
        LocalKind::PrimaryResection | LocalKind::Debulking | LocalKind::Metastasectomy => {
            (0.6, SURGERY)
        }
        LocalKind::Radiotherapy => (0.6, RADIOTHERAPY),
        LocalKind::Rfa | LocalKind::MicrowaveAblation => (0.4, ABLATION),
        LocalKind::Endoscopic => (0.2, ENDOSCOPY),
    }
}
