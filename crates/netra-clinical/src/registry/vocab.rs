//! Controlled vocabularies of the registry: every coded column of the bundle
//! takes one of these lower-case snake codes.
//!
//! Each vocabulary is an enum with `code()` (what files and the database
//! hold), `label()` (what a case report prints) and `from_code()`. Codes are a
//! contract: later analyses, exports and the web forms key on them, so a code
//! is never renamed, only added.

use std::fmt;

/// An unknown code, with the codes that would have been accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown code '{code}' for {vocabulary} (allowed: {allowed})")]
pub struct UnknownCode {
    /// The vocabulary's name (e.g. `primary_site`).
    pub vocabulary: &'static str,
    /// The text that was given.
    pub code: String,
    /// The allowed codes, comma-separated.
    pub allowed: String,
}

/// What every vocabulary enum offers; generic code (CSV parsing, the
/// database, documentation) works through it.
pub trait Vocabulary: Sized + Copy + 'static {
    /// The vocabulary's name.
    const NAME: &'static str;
    /// Every member, in documentation order.
    const ALL: &'static [Self];
    /// The code stored in files and the database.
    fn code(self) -> &'static str;
    /// A human-readable label for reports.
    fn label(self) -> &'static str;
    /// The member with this code.
    fn from_code(code: &str) -> Result<Self, UnknownCode> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.code() == code)
            .ok_or_else(|| UnknownCode {
                vocabulary: Self::NAME,
                code: code.to_string(),
                allowed: Self::ALL
                    .iter()
                    .map(|v| v.code())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident = $vname:literal {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $label:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $code, "`: ", $label)] $variant, )+
        }

        impl Vocabulary for $name {
            const NAME: &'static str = $vname;
            const ALL: &'static [Self] = &[ $( $name::$variant ),+ ];
            fn code(self) -> &'static str {
                match self { $( $name::$variant => $code, )+ }
            }
            fn label(self) -> &'static str {
                match self { $( $name::$variant => $label, )+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.code())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$name as Vocabulary>::from_code(s)
            }
        }
    };
}

vocabulary! {
    /// Sex as recorded.
    Sex = "sex" {
        Male = "male", "male";
        Female = "female", "female";
        Other = "other", "other";
        Unknown = "unknown", "unknown";
    }
}

vocabulary! {
    /// Vital status at the date of last follow-up.
    VitalStatus = "vital_status" {
        Alive = "alive", "alive";
        Dead = "dead", "dead";
        /// Contact lost; survival is censored at the last follow-up.
        LostToFollowUp = "lost_to_follow_up", "lost to follow-up";
        Unknown = "unknown", "unknown";
    }
}

vocabulary! {
    /// Cause of death.
    DeathCause = "death_cause" {
        Disease = "disease", "neuroendocrine tumour";
        Treatment = "treatment", "treatment-related";
        OtherCause = "other", "other cause";
        Unknown = "unknown", "unknown cause";
    }
}

vocabulary! {
    /// How the patient came to have metastatic or recurrent disease.
    MetastaticSetting = "metastatic_setting" {
        MetastaticAtDiagnosis = "metastatic_at_diagnosis", "metastatic at diagnosis";
        RecurrentAfterResection = "recurrent_after_resection", "recurrent after curative resection";
        ProgressedFromNonMetastatic = "progressed_from_non_metastatic", "progressed from non-metastatic disease";
    }
}

vocabulary! {
    /// Summary stage (SEER) before metastatic disease.
    SummaryStage = "summary_stage" {
        Local = "local", "localised";
        Regional = "regional", "regional";
        Distant = "distant", "distant";
        Unknown = "unknown", "unknown stage";
    }
}

vocabulary! {
    /// Site of the primary tumour. GI organs carry their embryological
    /// segment (see [`PrimarySite::gi_segment`]); `gi_unspecified` is a GI
    /// primary whose organ was not recorded (give `gi_segment`).
    PrimarySite = "primary_site" {
        Pancreas = "pancreas", "pancreas";
        Stomach = "stomach", "stomach";
        Duodenum = "duodenum", "duodenum";
        JejunumIleum = "jejunum_ileum", "jejunum/ileum";
        Appendix = "appendix", "appendix";
        Colon = "colon", "colon";
        Rectum = "rectum", "rectum";
        GiUnspecified = "gi_unspecified", "GI tract, organ not recorded";
        Lung = "lung", "lung";
        Thymus = "thymus", "thymus";
        Other = "other", "other site";
        Unknown = "unknown", "unknown primary";
    }
}

vocabulary! {
    /// Embryological segment of a GI primary.
    GiSegment = "gi_segment" {
        Foregut = "foregut", "foregut";
        Midgut = "midgut", "midgut";
        Hindgut = "hindgut", "hindgut";
    }
}

impl PrimarySite {
    /// True for the GI tract (pancreas excluded, as NET series report it
    /// apart: "pancreas 25%, GI tract 26%").
    pub fn is_gi_tract(self) -> bool {
        matches!(
            self,
            PrimarySite::Stomach
                | PrimarySite::Duodenum
                | PrimarySite::JejunumIleum
                | PrimarySite::Appendix
                | PrimarySite::Colon
                | PrimarySite::Rectum
                | PrimarySite::GiUnspecified
        )
    }

    /// The segments an organ can belong to: stomach and duodenum are
    /// foregut, jejunum/ileum and appendix midgut, rectum hindgut; the colon
    /// is midgut (right, proximal two thirds of the transverse colon) or
    /// hindgut (distal), so either is accepted. Empty for non-GI sites, all
    /// three for `gi_unspecified`.
    pub fn allowed_segments(self) -> &'static [GiSegment] {
        use GiSegment::*;
        match self {
            PrimarySite::Stomach | PrimarySite::Duodenum => &[Foregut],
            PrimarySite::JejunumIleum | PrimarySite::Appendix => &[Midgut],
            PrimarySite::Colon => &[Midgut, Hindgut],
            PrimarySite::Rectum => &[Hindgut],
            PrimarySite::GiUnspecified => &[Foregut, Midgut, Hindgut],
            _ => &[],
        }
    }

    /// The segment implied by the organ when there is only one.
    pub fn gi_segment(self) -> Option<GiSegment> {
        match self.allowed_segments() {
            [one] => Some(*one),
            _ => None,
        }
    }
}

vocabulary! {
    /// Hormonal (functional) syndrome.
    FunctionalSyndrome = "functional_syndrome" {
        NonFunctioning = "non_functioning", "non-functioning";
        CarcinoidSyndrome = "carcinoid_syndrome", "carcinoid syndrome";
        Gastrinoma = "gastrinoma", "gastrinoma (Zollinger-Ellison)";
        Insulinoma = "insulinoma", "insulinoma";
        Vipoma = "vipoma", "VIPoma";
        Glucagonoma = "glucagonoma", "glucagonoma";
        Somatostatinoma = "somatostatinoma", "somatostatinoma";
        Other = "other", "other syndrome";
        Unknown = "unknown", "not recorded";
    }
}

vocabulary! {
    /// Morphological differentiation.
    Differentiation = "differentiation" {
        Well = "well", "well differentiated (NET)";
        Poor = "poor", "poorly differentiated (NEC)";
        Unknown = "unknown", "differentiation unknown";
    }
}

vocabulary! {
    /// Cell type of a poorly differentiated neuroendocrine carcinoma.
    NecCellType = "nec_cell_type" {
        SmallCell = "small_cell", "small-cell";
        LargeCell = "large_cell", "large-cell";
        Unspecified = "unspecified", "cell type not specified";
    }
}

vocabulary! {
    /// Site of a metastasis.
    MetastasisSite = "metastasis_site" {
        Liver = "liver", "liver";
        LymphNode = "lymph_node", "lymph nodes";
        Bone = "bone", "bone";
        Lung = "lung", "lung";
        Peritoneum = "peritoneum", "peritoneum";
        Brain = "brain", "brain";
        Adrenal = "adrenal", "adrenal";
        Other = "other", "other site";
    }
}

vocabulary! {
    /// Pattern of liver involvement (I: single metastasis; II: isolated bulky
    /// metastasis with smaller deposits, both lobes; III: disseminated).
    LiverPattern = "liver_pattern" {
        TypeI = "type_i", "type I (single)";
        TypeII = "type_ii", "type II (bulky with smaller deposits)";
        TypeIII = "type_iii", "type III (disseminated)";
    }
}

vocabulary! {
    /// Circulating or urinary tumour marker.
    Marker = "marker" {
        ChromograninA = "chromogranin_a", "chromogranin A";
        Urinary5Hiaa = "urinary_5hiaa", "urinary 5-HIAA";
        Nse = "nse", "NSE";
        Gastrin = "gastrin", "gastrin";
        Insulin = "insulin", "insulin";
        Vip = "vip", "VIP";
        Glucagon = "glucagon", "glucagon";
        Serotonin = "serotonin", "serotonin";
        PancreaticPolypeptide = "pancreatic_polypeptide", "pancreatic polypeptide";
        Cea = "cea", "CEA";
        Ca199 = "ca19_9", "CA 19-9";
        /// Routine laboratory values (eligibility rules of radionuclide
        /// trials use them); unit and reference range as the laboratory
        /// reports them (`unit`, `lower_limit`, `upper_limit`).
        Creatinine = "creatinine", "creatinine";
        CreatinineClearance = "creatinine_clearance", "creatinine clearance";
        Haemoglobin = "haemoglobin", "haemoglobin";
        Leukocytes = "leukocytes", "white blood cells";
        Platelets = "platelets", "platelets";
        Albumin = "albumin", "albumin";
        Bilirubin = "bilirubin", "bilirubin";
        Other = "other", "other marker";
    }
}

vocabulary! {
    /// Kind of treatment. Each belongs to one [`TreatmentClass`].
    TreatmentType = "treatment_type" {
        SomatostatinAnalogue = "somatostatin_analogue", "somatostatin analogue";
        Interferon = "interferon", "interferon-alpha";
        Chemotherapy = "chemotherapy", "chemotherapy";
        Targeted = "targeted", "targeted therapy";
        Radionuclide = "radionuclide", "radionuclide therapy";
        Surgery = "surgery", "surgery";
        Tace = "tace", "transarterial chemoembolisation (TACE)";
        BlandEmbolisation = "bland_embolisation", "bland embolisation";
        Radioembolisation = "radioembolisation", "radioembolisation (SIRT)";
        Rfa = "rfa", "radiofrequency ablation";
        MicrowaveAblation = "microwave_ablation", "microwave ablation";
        ExternalRadiotherapy = "external_radiotherapy", "external radiotherapy";
        SeedImplantation = "seed_implantation", "125I seed implantation";
        EndoscopicResection = "endoscopic_resection", "endoscopic resection";
        Supportive = "supportive", "supportive medication";
        Other = "other", "other treatment";
    }
}

vocabulary! {
    /// The class a treatment counts as in lines of therapy and sequences.
    TreatmentClass = "treatment_class" {
        SomatostatinAnalogue = "somatostatin_analogue", "somatostatin analogue";
        Interferon = "interferon", "interferon";
        Chemotherapy = "chemotherapy", "chemotherapy";
        Targeted = "targeted", "targeted";
        Radionuclide = "radionuclide", "radionuclide";
        Local = "local", "local treatment";
        Supportive = "supportive", "supportive";
        Other = "other", "other";
    }
}

impl TreatmentType {
    /// The class of this treatment.
    pub fn class(self) -> TreatmentClass {
        use TreatmentType as T;
        match self {
            T::SomatostatinAnalogue => TreatmentClass::SomatostatinAnalogue,
            T::Interferon => TreatmentClass::Interferon,
            T::Chemotherapy => TreatmentClass::Chemotherapy,
            T::Targeted => TreatmentClass::Targeted,
            T::Radionuclide => TreatmentClass::Radionuclide,
            T::Surgery
            | T::Tace
            | T::BlandEmbolisation
            | T::Radioembolisation
            | T::Rfa
            | T::MicrowaveAblation
            | T::ExternalRadiotherapy
            | T::SeedImplantation
            | T::EndoscopicResection => TreatmentClass::Local,
            T::Supportive => TreatmentClass::Supportive,
            T::Other => TreatmentClass::Other,
        }
    }

    /// True for systemic anticancer therapy (what "lines" count).
    pub fn is_systemic(self) -> bool {
        matches!(
            self.class(),
            TreatmentClass::SomatostatinAnalogue
                | TreatmentClass::Interferon
                | TreatmentClass::Chemotherapy
                | TreatmentClass::Targeted
                | TreatmentClass::Radionuclide
        )
    }
}

vocabulary! {
    /// Kind of surgery.
    SurgeryType = "surgery_type" {
        PrimaryResection = "primary_resection", "resection of the primary";
        Metastasectomy = "metastasectomy", "metastasectomy";
        Debulking = "debulking", "debulking";
        LiverTransplantation = "liver_transplantation", "liver transplantation";
        Other = "other", "other surgery";
    }
}

vocabulary! {
    /// Why a treatment was given.
    Intent = "intent" {
        Curative = "curative", "curative";
        Adjuvant = "adjuvant", "adjuvant";
        Neoadjuvant = "neoadjuvant", "neoadjuvant";
        Palliative = "palliative", "palliative (disease control)";
        SymptomControl = "symptom_control", "symptom control";
        Unknown = "unknown", "intent not recorded";
    }
}

vocabulary! {
    /// Why a treatment stopped.
    StopReason = "stop_reason" {
        Progression = "progression", "progression";
        Toxicity = "toxicity", "toxicity";
        Completed = "completed", "completed as planned";
        Death = "death", "death";
        PatientChoice = "patient_choice", "patient choice";
        CostOrAccess = "cost_or_access", "cost or access";
        Other = "other", "other reason";
    }
}

vocabulary! {
    /// Pharmacological class of an agent: lines of therapy use it (a
    /// somatostatin analogue continued as backbone does not start a line).
    AgentClass = "agent_class" {
        SomatostatinAnalogue = "somatostatin_analogue", "somatostatin analogue";
        Interferon = "interferon", "interferon";
        Cytotoxic = "cytotoxic", "cytotoxic";
        Targeted = "targeted", "targeted";
        Radiopharmaceutical = "radiopharmaceutical", "radiopharmaceutical";
        LocalAgent = "local_agent", "agent of a local procedure";
        Supportive = "supportive", "supportive";
        Other = "other", "other";
    }
}

vocabulary! {
    /// A drug, radiopharmaceutical or material of a treatment.
    Agent = "agent" {
        Octreotide = "octreotide", "octreotide";
        Lanreotide = "lanreotide", "lanreotide";
        Pasireotide = "pasireotide", "pasireotide";
        InterferonAlpha = "interferon_alpha", "interferon-alpha";
        Streptozocin = "streptozocin", "streptozocin";
        Fluorouracil = "fluorouracil", "5-fluorouracil";
        Doxorubicin = "doxorubicin", "doxorubicin";
        Epirubicin = "epirubicin", "epirubicin";
        Capecitabine = "capecitabine", "capecitabine";
        Temozolomide = "temozolomide", "temozolomide";
        Dacarbazine = "dacarbazine", "dacarbazine";
        Cisplatin = "cisplatin", "cisplatin";
        Carboplatin = "carboplatin", "carboplatin";
        Etoposide = "etoposide", "etoposide";
        Ifosfamide = "ifosfamide", "ifosfamide";
        Oxaliplatin = "oxaliplatin", "oxaliplatin";
        Irinotecan = "irinotecan", "irinotecan";
        Mitomycin = "mitomycin", "mitomycin";
        Everolimus = "everolimus", "everolimus";
        Sunitinib = "sunitinib", "sunitinib";
        Pazopanib = "pazopanib", "pazopanib";
        Cabozantinib = "cabozantinib", "cabozantinib";
        Bevacizumab = "bevacizumab", "bevacizumab";
        Lu177Dotatate = "lu177_dotatate", "¹⁷⁷Lu-DOTATATE";
        Y90Dotatoc = "y90_dotatoc", "⁹⁰Y-DOTATOC";
        In111Pentetreotide = "in111_pentetreotide", "¹¹¹In-pentetreotide";
        I131Mibg = "i131_mibg", "¹³¹I-MIBG";
        Lipiodol = "lipiodol", "lipiodol";
        EmbolicParticles = "embolic_particles", "embolic particles";
        DrugElutingBeads = "drug_eluting_beads", "drug-eluting beads";
        Y90Microspheres = "y90_microspheres", "⁹⁰Y microspheres";
        I125Seeds = "i125_seeds", "¹²⁵I seeds";
        ProtonPumpInhibitor = "proton_pump_inhibitor", "proton-pump inhibitor";
        Analgesic = "analgesic", "analgesic";
        Telotristat = "telotristat", "telotristat";
        ParenteralNutrition = "parenteral_nutrition", "parenteral nutrition";
        Cyclophosphamide = "cyclophosphamide", "cyclophosphamide";
        Vincristine = "vincristine", "vincristine";
        Paclitaxel = "paclitaxel", "paclitaxel";
        Docetaxel = "docetaxel", "docetaxel";
        Gemcitabine = "gemcitabine", "gemcitabine";
        /// Folinic acid: a modulator of fluorouracil, counted with the
        /// regimen's cytotoxic class.
        Leucovorin = "leucovorin", "leucovorin (folinic acid)";
        Thalidomide = "thalidomide", "thalidomide";
        Temsirolimus = "temsirolimus", "temsirolimus";
        Sorafenib = "sorafenib", "sorafenib";
        Lu177Dotatoc = "lu177_dotatoc", "¹⁷⁷Lu-DOTATOC (edotreotide)";
        Y90DotaLanreotide = "y90_dota_lanreotide", "⁹⁰Y-DOTA-lanreotide";
        Other = "other", "other agent";
    }
}

impl Agent {
    /// The agent's pharmacological class.
    pub fn class(self) -> AgentClass {
        use Agent as A;
        match self {
            A::Octreotide | A::Lanreotide | A::Pasireotide => AgentClass::SomatostatinAnalogue,
            A::InterferonAlpha => AgentClass::Interferon,
            A::Streptozocin
            | A::Fluorouracil
            | A::Doxorubicin
            | A::Epirubicin
            | A::Capecitabine
            | A::Temozolomide
            | A::Dacarbazine
            | A::Cisplatin
            | A::Carboplatin
            | A::Etoposide
            | A::Ifosfamide
            | A::Oxaliplatin
            | A::Irinotecan
            | A::Mitomycin
            | A::Cyclophosphamide
            | A::Vincristine
            | A::Paclitaxel
            | A::Docetaxel
            | A::Gemcitabine
            | A::Leucovorin => AgentClass::Cytotoxic,
            A::Everolimus
            | A::Sunitinib
            | A::Pazopanib
            | A::Cabozantinib
            | A::Bevacizumab
            | A::Thalidomide
            | A::Temsirolimus
            | A::Sorafenib => AgentClass::Targeted,
            A::Lu177Dotatate
            | A::Y90Dotatoc
            | A::In111Pentetreotide
            | A::I131Mibg
            | A::Lu177Dotatoc
            | A::Y90DotaLanreotide => AgentClass::Radiopharmaceutical,
            A::Lipiodol
            | A::EmbolicParticles
            | A::DrugElutingBeads
            | A::Y90Microspheres
            | A::I125Seeds => AgentClass::LocalAgent,
            A::ProtonPumpInhibitor | A::Analgesic | A::Telotristat | A::ParenteralNutrition => {
                AgentClass::Supportive
            }
            A::Other => AgentClass::Other,
        }
    }
}

vocabulary! {
    /// Imaging (or clinical) modality of an assessment.
    Modality = "modality" {
        Ct = "ct", "CT";
        Mri = "mri", "MRI";
        SsrPetCt = "ssr_pet_ct", "somatostatin-receptor PET/CT (68Ga/64Cu)";
        FdgPetCt = "fdg_pet_ct", "FDG PET/CT";
        SsrScintigraphy = "ssr_scintigraphy", "somatostatin-receptor scintigraphy (Octreoscan)";
        MibgScintigraphy = "mibg_scintigraphy", "MIBG scintigraphy";
        Ultrasound = "ultrasound", "ultrasound";
        Xray = "xray", "radiograph";
        BoneScan = "bone_scan", "bone scan";
        Clinical = "clinical", "clinical examination";
        Other = "other", "other modality";
    }
}

vocabulary! {
    /// Response criteria an investigator used.
    ResponseCriteria = "response_criteria" {
        Recist11 = "recist_1_1", "RECIST 1.1";
        Recist10 = "recist_1_0", "RECIST 1.0";
        Who = "who", "WHO";
        Choi = "choi", "Choi";
        Mrecist = "mrecist", "mRECIST";
        Other = "other", "other criteria";
    }
}

vocabulary! {
    /// A response category as the investigator recorded it.
    Response = "response" {
        Cr = "cr", "complete response";
        Pr = "pr", "partial response";
        Mr = "mr", "minor response";
        Sd = "sd", "stable disease";
        Pd = "pd", "progressive disease";
        NonCrNonPd = "non_cr_non_pd", "non-CR/non-PD";
        Ne = "ne", "not evaluable";
    }
}

vocabulary! {
    /// Organ of a measured lesion.
    Organ = "organ" {
        Liver = "liver", "liver";
        LymphNode = "lymph_node", "lymph node";
        Lung = "lung", "lung";
        Bone = "bone", "bone";
        Peritoneum = "peritoneum", "peritoneum";
        Brain = "brain", "brain";
        Adrenal = "adrenal", "adrenal";
        Pancreas = "pancreas", "pancreas";
        Stomach = "stomach", "stomach";
        SmallIntestine = "small_intestine", "small intestine";
        Colon = "colon", "colon";
        Rectum = "rectum", "rectum";
        Pleura = "pleura", "pleura";
        SoftTissue = "soft_tissue", "soft tissue";
        Other = "other", "other organ";
    }
}

vocabulary! {
    /// Role of a lesion in response assessment.
    LesionRole = "lesion_role" {
        Target = "target", "target";
        NonTarget = "non_target", "non-target";
        New = "new", "new lesion";
    }
}

vocabulary! {
    /// State of a non-target or new lesion.
    LesionStatus = "lesion_status" {
        Present = "present", "present";
        Absent = "absent", "absent";
        UnequivocalProgression = "unequivocal_progression", "unequivocal progression";
    }
}

vocabulary! {
    /// Change in symptoms since the previous visit.
    SymptomChange = "symptom_change" {
        Improved = "improved", "improved";
        Stable = "stable", "stable";
        Worsened = "worsened", "worsened";
    }
}

vocabulary! {
    /// Relation of an adverse event to treatment.
    Attribution = "attribution" {
        Unrelated = "unrelated", "unrelated";
        Unlikely = "unlikely", "unlikely";
        Possible = "possible", "possible";
        Probable = "probable", "probable";
        Definite = "definite", "definite";
    }
}

vocabulary! {
    /// Yes or no (the bundle spells booleans as words).
    YesNo = "yes_no" {
        Yes = "yes", "yes";
        No = "no", "no";
    }
}

vocabulary! {
    /// WHO 2019 grade of a neuroendocrine neoplasm (see [`crate::grade`]).
    WhoGrade = "who_grade" {
        G1 = "g1", "NET G1";
        G2 = "g2", "NET G2";
        G3 = "g3", "NET G3";
        NecSmallCell = "nec_small_cell", "NEC, small-cell";
        NecLargeCell = "nec_large_cell", "NEC, large-cell";
        NecUnspecified = "nec_unspecified", "NEC, cell type not specified";
    }
}

vocabulary! {
    /// SEER 4-level histological grade of older series.
    SeerGrade = "seer_grade" {
        G1 = "g1", "grade I, well differentiated";
        G2 = "g2", "grade II, moderately differentiated";
        G3 = "g3", "grade III, poorly differentiated";
        G4 = "g4", "grade IV, undifferentiated/anaplastic";
    }
}

vocabulary! {
    /// The grading system a tumour's reported grade follows
    /// ([`crate::grading`]).
    GradeSystem = "grade_system" {
        Who2019 = "who_2019", "WHO 2019/2022 (digestive)";
        Who2010 = "who_2010", "WHO 2010 (digestive)";
        Enets = "enets", "ENETS 2006/2007";
        WhoLung = "who_lung", "WHO 2015/2021 (lung and thymus)";
        Other = "other", "other system";
    }
}

vocabulary! {
    /// A grade (or, for lung and thymus, a tumour type) as the pathology
    /// report gave it under its `grade_system`.
    ReportedGrade = "reported_grade" {
        G1 = "g1", "G1";
        G2 = "g2", "G2";
        G3 = "g3", "G3";
        /// WHO 2019: neuroendocrine carcinoma; WHO 2010: the same as G3.
        Nec = "nec", "NEC";
        TypicalCarcinoid = "typical_carcinoid", "typical carcinoid";
        AtypicalCarcinoid = "atypical_carcinoid", "atypical carcinoid";
        Lcnec = "lcnec", "large-cell neuroendocrine carcinoma";
        Sclc = "sclc", "small-cell carcinoma";
    }
}

vocabulary! {
    /// How a drug is given.
    Route = "route" {
        Intramuscular = "im", "intramuscular";
        Subcutaneous = "sc", "subcutaneous";
        Intravenous = "iv", "intravenous";
        Oral = "oral", "oral";
        IntraArterial = "intra_arterial", "intra-arterial";
        Intratumoural = "intratumoural", "intratumoural";
        Other = "other", "other route";
    }
}

vocabulary! {
    /// A drug's formulation (somatostatin analogues come in several).
    Formulation = "formulation" {
        /// Octreotide LAR.
        LongActingRelease = "lar", "long-acting release (LAR)";
        /// Lanreotide Autogel/Depot.
        Depot = "depot", "depot (Autogel)";
        ImmediateRelease = "immediate_release", "immediate release";
        Other = "other", "other formulation";
    }
}

mod concepts;
pub use concepts::*;

#[cfg(test)]
mod tests {
    use super::*;

    fn check<V: Vocabulary + PartialEq + std::fmt::Debug>() {
        let mut seen = std::collections::HashSet::new();
        for v in V::ALL {
            let c = v.code();
            assert!(seen.insert(c), "{}: duplicate code {c}", V::NAME);
            assert!(
                c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{}: code {c} is not lower snake",
                V::NAME
            );
            assert_eq!(V::from_code(c).unwrap(), *v);
        }
    }

    #[test]
    fn codes_are_unique_lower_snake_and_round_trip() {
        check::<Sex>();
        check::<VitalStatus>();
        check::<DeathCause>();
        check::<MetastaticSetting>();
        check::<SummaryStage>();
        check::<PrimarySite>();
        check::<GiSegment>();
        check::<FunctionalSyndrome>();
        check::<Differentiation>();
        check::<NecCellType>();
        check::<MetastasisSite>();
        check::<LiverPattern>();
        check::<Marker>();
        check::<TreatmentType>();
        check::<TreatmentClass>();
        check::<SurgeryType>();
        check::<Intent>();
        check::<StopReason>();
        check::<AgentClass>();
        check::<Agent>();
        check::<Modality>();
        check::<ResponseCriteria>();
        check::<Response>();
        check::<Organ>();
        check::<LesionRole>();
        check::<LesionStatus>();
        check::<SymptomChange>();
        check::<Attribution>();
        check::<YesNo>();
        check::<WhoGrade>();
        check::<SeerGrade>();
        check::<GradeSystem>();
        check::<ReportedGrade>();
        check::<Route>();
        check::<Formulation>();
        check::<MarkerResult>();
        check::<IhcStain>();
        check::<IhcResult>();
        check::<IhcScoreSystem>();
        check::<Specimen>();
        check::<Gene>();
        check::<GeneticOrigin>();
        check::<GeneticResult>();
        check::<Questionnaire>();
        check::<Comorbidity>();
    }

    #[test]
    fn unknown_code_lists_the_allowed_ones() {
        let e = GiSegment::from_code("Midgut").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown code 'Midgut' for gi_segment (allowed: foregut, midgut, hindgut)"
        );
    }

    #[test]
    fn segments_of_gi_organs() {
        assert_eq!(
            PrimarySite::JejunumIleum.gi_segment(),
            Some(GiSegment::Midgut)
        );
        assert_eq!(PrimarySite::Rectum.gi_segment(), Some(GiSegment::Hindgut));
        assert_eq!(PrimarySite::Colon.gi_segment(), None);
        assert_eq!(PrimarySite::Colon.allowed_segments().len(), 2);
        assert!(PrimarySite::Pancreas.allowed_segments().is_empty());
        assert!(!PrimarySite::Pancreas.is_gi_tract());
        assert!(PrimarySite::Appendix.is_gi_tract());
    }

    #[test]
    fn classes() {
        assert_eq!(TreatmentType::Tace.class(), TreatmentClass::Local);
        assert!(TreatmentType::Radionuclide.is_systemic());
        assert!(!TreatmentType::Supportive.is_systemic());
        assert_eq!(Agent::Lanreotide.class(), AgentClass::SomatostatinAnalogue);
        assert_eq!(
            Agent::Lu177Dotatate.class(),
            AgentClass::Radiopharmaceutical
        );
        assert_eq!(Agent::Lipiodol.class(), AgentClass::LocalAgent);
        assert_eq!(Agent::Lu177Dotatoc.class(), AgentClass::Radiopharmaceutical);
        assert_eq!(
            Agent::Y90DotaLanreotide.class(),
            AgentClass::Radiopharmaceutical
        );
        assert_eq!(Agent::Leucovorin.class(), AgentClass::Cytotoxic);
        assert_eq!(Agent::Temsirolimus.class(), AgentClass::Targeted);
    }
}
