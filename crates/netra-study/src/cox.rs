//! Cox tables and forest plots (`[[table]] type = "cox"`).

use netra_report::figure::forest::ForestRow;
use netra_report::table::Table;

use crate::StudyError;
use crate::context::Context;
use crate::facts::Facts;
use crate::spec::TableDef;

/// A fitted Cox table and the rows of its forest plots.
#[derive(Debug, Clone)]
pub struct CoxResult {
    /// The table.
    pub table: Table,
    /// Forest rows of the univariate fits.
    pub forest_univariate: Vec<ForestRow>,
    /// Forest rows of the multivariate fit.
    pub forest_multivariate: Vec<ForestRow>,
    /// The endpoint's printed name.
    pub endpoint_label: String,
}

/// Fits the univariate and multivariate models of a Cox table.
pub fn fit(
    _ctx: &Context<'_>,
    def: &TableDef,
    _endpoint: &str,
    _univariate: &[String],
    _multivariate: &[String],
    _reference: &std::collections::BTreeMap<String, String>,
    _facts: &mut Facts,
) -> Result<CoxResult, StudyError> {
    Err(StudyError::analysis(
        format!("table '{}'", def.name),
        "Cox regression is not available in this build yet",
    ))
}
