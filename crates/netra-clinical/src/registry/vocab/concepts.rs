//! Vocabularies of the registry model's third step (issue 15 §1):
//! qualitative marker results, immunohistochemistry, genetics, quality of
//! life questionnaires and comorbidities. Same contract as the rest of
//! [`super`]: codes are only ever added.

use super::*;

vocabulary! {
    /// A marker or laboratory result as the report states it, with or
    /// without a number ("CEA normal").
    MarkerResult = "marker_result" {
        Normal = "normal", "normal (within the reference range)";
        Elevated = "elevated", "elevated (above the upper limit)";
        Low = "low", "low (below the lower limit)";
        Positive = "positive", "positive";
        Negative = "negative", "negative";
        /// Below the assay's limit of detection.
        Undetectable = "undetectable", "undetectable";
        Equivocal = "equivocal", "equivocal";
    }
}

vocabulary! {
    /// An immunohistochemical stain.
    IhcStain = "ihc_stain" {
        ChromograninA = "chromogranin_a", "chromogranin A";
        Synaptophysin = "synaptophysin", "synaptophysin";
        Cd56 = "cd56", "CD56 (NCAM)";
        Insm1 = "insm1", "INSM1";
        Sstr2 = "sstr2", "somatostatin receptor 2 (SSTR2A)";
        Sstr5 = "sstr5", "somatostatin receptor 5";
        Cdx2 = "cdx2", "CDX2";
        Ttf1 = "ttf1", "TTF-1";
        Islet1 = "islet1", "ISL1";
        Pax8 = "pax8", "PAX8";
        Pdx1 = "pdx1", "PDX1";
        Cytokeratin = "cytokeratin", "cytokeratin (e.g. AE1/AE3, CAM5.2)";
        Serotonin = "serotonin", "serotonin";
        Gastrin = "gastrin", "gastrin";
        Insulin = "insulin", "insulin";
        Glucagon = "glucagon", "glucagon";
        Somatostatin = "somatostatin", "somatostatin";
        Vip = "vip", "VIP";
        Acth = "acth", "ACTH";
        Calcitonin = "calcitonin", "calcitonin";
        /// Nuclear loss marks a DAXX/ATRX-mutant pancreatic NET.
        Daxx = "daxx", "DAXX";
        Atrx = "atrx", "ATRX";
        /// Menin (MEN1 gene product).
        Menin = "menin", "menin";
        P53 = "p53", "p53";
        Rb1 = "rb1", "Rb";
        Mgmt = "mgmt", "MGMT";
        Other = "other", "other stain";
    }
}

impl IhcStain {
    /// Stains read as nuclear expression kept or lost (a tumour-suppressor
    /// protein or a DNA-repair enzyme), not as positive or negative.
    pub fn reads_as_loss(self) -> bool {
        matches!(
            self,
            IhcStain::Daxx | IhcStain::Atrx | IhcStain::Menin | IhcStain::Rb1 | IhcStain::Mgmt
        )
    }
}

vocabulary! {
    /// The reading of a stain.
    IhcResult = "ihc_result" {
        Positive = "positive", "positive";
        Negative = "negative", "negative";
        Equivocal = "equivocal", "equivocal";
        /// Loss of nuclear expression (DAXX, ATRX, menin, Rb, MGMT).
        Lost = "lost", "expression lost";
        Retained = "retained", "expression retained";
        /// Aberrant p53 pattern (overexpression or null).
        Aberrant = "aberrant", "aberrant (mutant pattern)";
        WildType = "wild_type", "wild-type pattern";
        NotEvaluable = "not_evaluable", "not evaluable";
    }
}

vocabulary! {
    /// The scoring system of an immunohistochemical `score`.
    IhcScoreSystem = "ihc_score_system" {
        /// SSTR2A score of Volante et al. (0, 1, 2, 3), HER2-like.
        Volante = "volante", "Volante score (0–3)";
        /// Immunoreactive score of Remmele (intensity × proportion, 0–12).
        Irs = "irs", "immunoreactive score (0–12)";
        /// H-score (Σ intensity × % cells, 0–300).
        HScore = "h_score", "H-score (0–300)";
        Other = "other", "other score";
    }
}

impl IhcScoreSystem {
    /// The largest score the system defines (`None` for `other`).
    pub fn max(self) -> Option<f64> {
        match self {
            IhcScoreSystem::Volante => Some(3.0),
            IhcScoreSystem::Irs => Some(12.0),
            IhcScoreSystem::HScore => Some(300.0),
            IhcScoreSystem::Other => None,
        }
    }
}

vocabulary! {
    /// The specimen a stain was read on.
    Specimen = "specimen" {
        Primary = "primary", "primary tumour";
        Metastasis = "metastasis", "metastasis";
        LymphNode = "lymph_node", "lymph node";
        Other = "other", "other specimen";
    }
}

vocabulary! {
    /// A gene tested.
    Gene = "gene" {
        Men1 = "men1", "MEN1";
        Vhl = "vhl", "VHL";
        Nf1 = "nf1", "NF1";
        Tsc1 = "tsc1", "TSC1";
        Tsc2 = "tsc2", "TSC2";
        Cdkn1b = "cdkn1b", "CDKN1B (MEN4)";
        Ret = "ret", "RET (MEN2)";
        Sdhb = "sdhb", "SDHB";
        Daxx = "daxx", "DAXX";
        Atrx = "atrx", "ATRX";
        /// MGMT: promoter methylation is the usual test.
        Mgmt = "mgmt", "MGMT";
        Tp53 = "tp53", "TP53";
        Rb1 = "rb1", "RB1";
        Kras = "kras", "KRAS";
        Braf = "braf", "BRAF";
        Other = "other", "other gene";
    }
}

vocabulary! {
    /// Germline (the patient) or somatic (a tumour).
    GeneticOrigin = "genetic_origin" {
        Germline = "germline", "germline";
        Somatic = "somatic", "somatic (tumour)";
    }
}

vocabulary! {
    /// The result of a genetic test.
    GeneticResult = "genetic_result" {
        Pathogenic = "pathogenic", "pathogenic variant";
        LikelyPathogenic = "likely_pathogenic", "likely pathogenic variant";
        /// Variant of uncertain significance.
        Vus = "vus", "variant of uncertain significance";
        /// No pathogenic or likely pathogenic variant found.
        NoVariant = "no_variant", "no pathogenic variant";
        /// Promoter methylation (MGMT).
        Methylated = "methylated", "promoter methylated";
        Unmethylated = "unmethylated", "promoter unmethylated";
    }
}

impl GeneticResult {
    /// True for a (likely) pathogenic variant: what "MEN1 germline
    /// mutation" means in an analysis.
    pub fn is_pathogenic(self) -> bool {
        matches!(
            self,
            GeneticResult::Pathogenic | GeneticResult::LikelyPathogenic
        )
    }
}

vocabulary! {
    /// A quality-of-life questionnaire ([`crate::qol`] scores it).
    Questionnaire = "questionnaire" {
        /// EORTC QLQ-C30 version 3, items 1–30.
        QlqC30 = "qlq_c30", "EORTC QLQ-C30";
        /// EORTC QLQ-GI.NET21, items numbered 31–51 after the core.
        QlqGiNet21 = "qlq_gi_net21", "EORTC QLQ-GI.NET21";
    }
}

impl Questionnaire {
    /// The item numbers of the questionnaire.
    pub fn items(self) -> std::ops::RangeInclusive<i64> {
        match self {
            Questionnaire::QlqC30 => 1..=30,
            Questionnaire::QlqGiNet21 => 31..=51,
        }
    }

    /// The largest response of `item` (responses start at 1): 7 for the two
    /// global items of the QLQ-C30 (29, 30), 4 for every other item.
    pub fn max_response(self, item: i64) -> i64 {
        match (self, item) {
            (Questionnaire::QlqC30, 29 | 30) => 7,
            _ => 4,
        }
    }
}

vocabulary! {
    /// A comorbidity: the conditions of the Charlson index (Charlson et al.
    /// 1987) with their weights ([`Comorbidity::charlson_weight`]), plus
    /// `none` (assessed, none present) and `other`. The NET itself is not
    /// a comorbidity.
    Comorbidity = "comorbidity" {
        None = "none", "none (assessed)";
        MyocardialInfarction = "myocardial_infarction", "myocardial infarction";
        CongestiveHeartFailure = "congestive_heart_failure", "congestive heart failure";
        PeripheralVascularDisease = "peripheral_vascular_disease", "peripheral vascular disease";
        CerebrovascularDisease = "cerebrovascular_disease", "cerebrovascular disease";
        Dementia = "dementia", "dementia";
        ChronicPulmonaryDisease = "chronic_pulmonary_disease", "chronic pulmonary disease";
        ConnectiveTissueDisease = "connective_tissue_disease", "connective tissue disease";
        PepticUlcerDisease = "peptic_ulcer_disease", "peptic ulcer disease";
        MildLiverDisease = "mild_liver_disease", "mild liver disease";
        Diabetes = "diabetes", "diabetes without end-organ damage";
        DiabetesEndOrganDamage = "diabetes_end_organ_damage", "diabetes with end-organ damage";
        Hemiplegia = "hemiplegia", "hemiplegia";
        RenalDisease = "renal_disease", "moderate or severe renal disease";
        /// Another solid tumour (not the NET), within five years.
        OtherMalignancy = "other_malignancy", "other malignancy";
        Leukaemia = "leukaemia", "leukaemia";
        Lymphoma = "lymphoma", "lymphoma";
        SevereLiverDisease = "severe_liver_disease", "moderate or severe liver disease";
        /// Another (non-NET) solid tumour, metastatic.
        OtherMetastaticTumour = "other_metastatic_tumour", "other metastatic solid tumour";
        Aids = "aids", "AIDS";
        Other = "other", "other condition (not in the Charlson index)";
    }
}

impl Comorbidity {
    /// The condition's weight in the Charlson comorbidity index.
    pub fn charlson_weight(self) -> u32 {
        use Comorbidity as C;
        match self {
            C::None | C::Other => 0,
            C::MyocardialInfarction
            | C::CongestiveHeartFailure
            | C::PeripheralVascularDisease
            | C::CerebrovascularDisease
            | C::Dementia
            | C::ChronicPulmonaryDisease
            | C::ConnectiveTissueDisease
            | C::PepticUlcerDisease
            | C::MildLiverDisease
            | C::Diabetes => 1,
            C::Hemiplegia
            | C::RenalDisease
            | C::DiabetesEndOrganDamage
            | C::OtherMalignancy
            | C::Leukaemia
            | C::Lymphoma => 2,
            C::SevereLiverDisease => 3,
            C::OtherMetastaticTumour | C::Aids => 6,
        }
    }

    /// The milder condition this one supersedes in the index (a patient
    /// with severe liver disease scores 3, not 3 + 1).
    pub fn supersedes(self) -> Option<Comorbidity> {
        match self {
            Comorbidity::SevereLiverDisease => Some(Comorbidity::MildLiverDisease),
            Comorbidity::DiabetesEndOrganDamage => Some(Comorbidity::Diabetes),
            Comorbidity::OtherMetastaticTumour => Some(Comorbidity::OtherMalignancy),
            _ => None,
        }
    }
}

/// The Charlson comorbidity index of a set of recorded conditions: the sum
/// of the weights, each condition once, a milder form not counted beside
/// its severe form (the hierarchy of Quan et al. 2005 and of R's
/// `comorbidity` package). `None` when nothing was recorded: no record is
/// not "no comorbidity" (that is the `none` code).
pub fn charlson_index(conditions: &[Comorbidity]) -> Option<u32> {
    if conditions.is_empty() {
        return None;
    }
    let mut seen: Vec<Comorbidity> = conditions.to_vec();
    seen.sort();
    seen.dedup();
    let superseded: Vec<Comorbidity> = seen.iter().filter_map(|c| c.supersedes()).collect();
    Some(
        seen.iter()
            .filter(|c| !superseded.contains(c))
            .map(|c| c.charlson_weight())
            .sum(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charlson_weights_and_hierarchy() {
        use Comorbidity as C;
        assert_eq!(charlson_index(&[]), None);
        assert_eq!(charlson_index(&[C::None]), Some(0));
        // 1 + 2 + 6 (MI, renal, AIDS).
        assert_eq!(
            charlson_index(&[C::MyocardialInfarction, C::RenalDisease, C::Aids]),
            Some(9)
        );
        // Severe liver disease (3) supersedes mild (1); diabetes with
        // end-organ damage (2) supersedes diabetes (1): 3 + 2.
        assert_eq!(
            charlson_index(&[
                C::MildLiverDisease,
                C::SevereLiverDisease,
                C::Diabetes,
                C::DiabetesEndOrganDamage
            ]),
            Some(5)
        );
        // A condition recorded twice counts once; `other` counts nothing.
        assert_eq!(
            charlson_index(&[C::Dementia, C::Dementia, C::Other]),
            Some(1)
        );
    }

    #[test]
    fn questionnaire_items_and_responses() {
        assert_eq!(Questionnaire::QlqC30.items(), 1..=30);
        assert_eq!(Questionnaire::QlqGiNet21.items(), 31..=51);
        assert_eq!(Questionnaire::QlqC30.max_response(29), 7);
        assert_eq!(Questionnaire::QlqC30.max_response(28), 4);
        assert_eq!(Questionnaire::QlqGiNet21.max_response(31), 4);
    }
}
