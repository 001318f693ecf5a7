//! Typed records of the registry model's third step: marker results
//! without a number, immunohistochemistry, genetics, quality-of-life item
//! responses and comorbidities.

use super::{Get, ModelError};
use crate::registry::date::PartialDate;
use crate::registry::schema::{Entity, Value};
use crate::registry::vocab::*;

/// A marker or laboratory result recorded without a number ("CEA
/// normal"). Rows with a value are [`super::Biomarker`]s.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkerFinding {
    /// Marker.
    pub marker: Marker,
    /// Name when `other`.
    pub marker_detail: Option<String>,
    /// Sample date.
    pub date: PartialDate,
    /// The result in words.
    pub result: MarkerResult,
    /// Unit of the reference limits, when given.
    pub unit: Option<String>,
    /// Lower reference limit.
    pub lower_limit: Option<f64>,
    /// Upper limit of normal.
    pub upper_limit: Option<f64>,
    /// Remarks.
    pub notes: Option<String>,
}

impl MarkerFinding {
    /// Reads a `biomarker` row that has no value.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Biomarker, row);
        Ok(MarkerFinding {
            marker: g.req_code("marker")?,
            marker_detail: g.text("marker_detail"),
            date: g.req_date("date")?,
            result: g.req_code("result")?,
            unit: g.text("unit"),
            lower_limit: g.num("lower_limit"),
            upper_limit: g.num("upper_limit"),
            notes: g.text("notes"),
        })
    }
}

/// One stain read on a tumour specimen.
#[derive(Debug, Clone, PartialEq)]
pub struct Immunostain {
    /// Tumour id.
    pub tumour: String,
    /// Specimen date.
    pub date: PartialDate,
    /// What the specimen was.
    pub specimen: Option<Specimen>,
    /// Stain.
    pub stain: IhcStain,
    /// Name when `other`.
    pub stain_detail: Option<String>,
    /// Reading.
    pub result: IhcResult,
    /// Share of tumour cells stained (%).
    pub percent_cells: Option<f64>,
    /// Intensity 0–3.
    pub intensity: Option<u8>,
    /// Score under `score_system`.
    pub score: Option<f64>,
    /// Scoring system.
    pub score_system: Option<IhcScoreSystem>,
    /// Remarks.
    pub notes: Option<String>,
}

impl Immunostain {
    /// Reads an `immunohistochemistry` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Immunohistochemistry, row);
        Ok(Immunostain {
            tumour: g.req_text("tumour")?,
            date: g.req_date("date")?,
            specimen: g.code("specimen")?,
            stain: g.req_code("stain")?,
            stain_detail: g.text("stain_detail"),
            result: g.req_code("result")?,
            percent_cells: g.num("percent_cells"),
            intensity: g.small("intensity"),
            score: g.num("score"),
            score_system: g.code("score_system")?,
            notes: g.text("notes"),
        })
    }
}

/// A genetic test and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneticTest {
    /// Germline or somatic.
    pub origin: GeneticOrigin,
    /// Gene.
    pub gene: Gene,
    /// Name when `other`.
    pub gene_detail: Option<String>,
    /// Result.
    pub result: GeneticResult,
    /// Variant (HGVS).
    pub variant: Option<String>,
    /// Tumour of a somatic test.
    pub tumour: Option<String>,
    /// Report date.
    pub date: Option<PartialDate>,
    /// Method.
    pub method: Option<String>,
    /// Remarks.
    pub notes: Option<String>,
}

impl GeneticTest {
    /// Reads a `genetic_test` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::GeneticTest, row);
        Ok(GeneticTest {
            origin: g.req_code("origin")?,
            gene: g.req_code("gene")?,
            gene_detail: g.text("gene_detail"),
            result: g.req_code("result")?,
            variant: g.text("variant"),
            tumour: g.text("tumour"),
            date: g.date("date"),
            method: g.text("method"),
            notes: g.text("notes"),
        })
    }
}

/// One answered questionnaire item.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QolResponse {
    /// Questionnaire.
    pub questionnaire: Questionnaire,
    /// Date completed.
    pub date: PartialDate,
    /// Item number as printed.
    pub item: u8,
    /// Response (1–4, or 1–7).
    pub response: u8,
}

impl QolResponse {
    /// Reads a `qol_response` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::QolResponse, row);
        Ok(QolResponse {
            questionnaire: g.req_code("questionnaire")?,
            date: g.req_date("date")?,
            item: g.small("item").ok_or_else(|| g.err("item", "missing"))?,
            response: g
                .small("response")
                .ok_or_else(|| g.err("response", "missing"))?,
        })
    }
}

/// A recorded comorbidity.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedComorbidity {
    /// Condition.
    pub condition: Comorbidity,
    /// Name when `other`.
    pub condition_detail: Option<String>,
    /// Date of diagnosis.
    pub date: Option<PartialDate>,
    /// Remarks.
    pub notes: Option<String>,
}

impl RecordedComorbidity {
    /// Reads a `comorbidity` row.
    pub fn from_row(row: &[Value]) -> Result<Self, ModelError> {
        let g = Get::new(Entity::Comorbidity, row);
        Ok(RecordedComorbidity {
            condition: g.req_code("condition")?,
            condition_detail: g.text("condition_detail"),
            date: g.date("date"),
            notes: g.text("notes"),
        })
    }
}

impl super::PatientCourse {
    /// The Charlson comorbidity index of the recorded comorbidities
    /// ([`charlson_index`]); `None` when none were recorded.
    pub fn charlson_index(&self) -> Option<u32> {
        let c: Vec<Comorbidity> = self.comorbidities.iter().map(|c| c.condition).collect();
        charlson_index(&c)
    }

    /// Whether a germline test of `gene` found a (likely) pathogenic
    /// variant: `Some(true)` if any did, `Some(false)` if tested without
    /// one, `None` if not tested.
    pub fn germline_variant(&self, gene: Gene) -> Option<bool> {
        let tests = self
            .genetic_tests
            .iter()
            .filter(|t| t.origin == GeneticOrigin::Germline && t.gene == gene);
        tests.fold(None, |acc, t| {
            Some(acc.unwrap_or(false) || t.result.is_pathogenic())
        })
    }

    /// The reading of `stain` on the earliest specimen that has one (a
    /// stain at diagnosis describes the tumour for baseline tables).
    /// Specimens of one date are taken in key order.
    pub fn first_stain(&self, stain: IhcStain) -> Option<&Immunostain> {
        self.immunostains
            .iter()
            .filter(|s| s.stain == stain && s.result != IhcResult::NotEvaluable)
            .min_by_key(|s| s.date.earliest())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::model::{Patient, PatientCourse};

    fn course() -> PatientCourse {
        let spec = Entity::Patient.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (c, t) in [
            ("patient", "1"),
            ("site", "s"),
            ("sex", "female"),
            ("vital_status", "alive"),
        ] {
            let i = spec.position(c).unwrap();
            r[i] = spec.columns[i].kind.parse(t).unwrap();
        }
        PatientCourse::new(Patient::from_row(&r).unwrap())
    }

    fn test(origin: GeneticOrigin, gene: Gene, result: GeneticResult) -> GeneticTest {
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

    #[test]
    fn germline_variant_and_charlson() {
        let mut c = course();
        assert_eq!(c.germline_variant(Gene::Men1), None);
        assert_eq!(c.charlson_index(), None);
        // A somatic MEN1 mutation is not a germline one.
        c.genetic_tests.push(test(
            GeneticOrigin::Somatic,
            Gene::Men1,
            GeneticResult::Pathogenic,
        ));
        assert_eq!(c.germline_variant(Gene::Men1), None);
        c.genetic_tests.push(test(
            GeneticOrigin::Germline,
            Gene::Men1,
            GeneticResult::Vus,
        ));
        assert_eq!(c.germline_variant(Gene::Men1), Some(false));
        c.genetic_tests.push(test(
            GeneticOrigin::Germline,
            Gene::Vhl,
            GeneticResult::LikelyPathogenic,
        ));
        assert_eq!(c.germline_variant(Gene::Vhl), Some(true));
        c.comorbidities.push(RecordedComorbidity {
            condition: Comorbidity::ChronicPulmonaryDisease,
            condition_detail: None,
            date: None,
            notes: None,
        });
        assert_eq!(c.charlson_index(), Some(1));
    }
}
