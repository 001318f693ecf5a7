//! The study's view of its cohort: the analysis layer's [`Cohort`] plus
//! what only a study file names — its endpoints by name and its `[groups]`.

use std::ops::Deref;
use std::rc::Rc;

use netra_analysis::cohort::CohortSpec;
pub use netra_analysis::cohort::EndpointData;
use netra_analysis::{AnalysisError, Cohort};
use netra_clinical::registry::model::PatientCourse;

pub use netra_analysis::cohort::{Grouping, Selection};

use crate::StudyError;
use crate::spec::{EndpointDef, Study};

/// The analysis set of a study.
pub struct Context<'s> {
    /// The plan.
    pub study: &'s Study,
    /// The analysed patients.
    pub cohort: Cohort,
}

impl Deref for Context<'_> {
    type Target = Cohort;
    fn deref(&self) -> &Cohort {
        &self.cohort
    }
}

/// A layer error as a study error.
pub fn analysis_err(e: AnalysisError) -> StudyError {
    StudyError::analysis(e.what(), e.reason())
}

impl<'s> Context<'s> {
    /// Selects the cohort and computes its variables.
    pub fn new(study: &'s Study, courses: Vec<PatientCourse>) -> Result<Context<'s>, StudyError> {
        let spec = CohortSpec {
            include_excluded: study.include_excluded,
            conditions: study.cohort.clone(),
            derived: study.variables.clone(),
        };
        let settings = study.settings.resolve().map_err(analysis_err)?;
        let cohort = Cohort::new(courses, &spec, settings).map_err(analysis_err)?;
        if cohort.is_empty() {
            return Err(StudyError::analysis(
                "cohort",
                "no patient is left to analyse (check [data] study and [cohort] where)",
            ));
        }
        Ok(Context { study, cohort })
    }

    /// An endpoint's data (for a per-line endpoint, of line `line`).
    pub fn endpoint(
        &self,
        def: &EndpointDef,
        line: Option<u32>,
    ) -> Result<Rc<EndpointData>, StudyError> {
        self.cohort
            .endpoint(&def.spec, line)
            .map_err(|e| StudyError::analysis(format!("endpoint '{}'", def.name), e.reason()))
    }

    /// The endpoint named `name`.
    pub fn endpoint_def(&self, name: &str) -> Result<&'s EndpointDef, StudyError> {
        self.study
            .endpoint(name)
            .ok_or_else(|| StudyError::analysis("endpoint", format!("no endpoint '{name}'")))
    }

    /// A categorical variable as levels and codes.
    pub fn categories(&self, name: &str) -> Result<Grouping, StudyError> {
        self.cohort.categories(name).map_err(analysis_err)
    }

    /// A variable of the frame.
    pub fn variable(&self, name: &str) -> Result<&netra_analysis::variables::Variable, StudyError> {
        self.cohort.variable(name).map_err(analysis_err)
    }

    /// The comparison groups: `by`, else the study's `[groups]`.
    pub fn grouping(&self, by: Option<&str>) -> Result<Grouping, StudyError> {
        if let Some(b) = by {
            return self.categories(b);
        }
        let g = self
            .study
            .groups
            .as_ref()
            .ok_or_else(|| StudyError::analysis("groups", "no `by` and no [groups] section"))?;
        self.cohort
            .grouping_of(
                &g.variable,
                g.label.as_deref(),
                g.levels.as_deref(),
                g.labels.as_deref(),
            )
            .map_err(|e| StudyError::analysis("[groups]", e.reason()))
    }
}
