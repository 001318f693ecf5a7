//! The treatment-pattern and adverse-event tables of a study: the layer's
//! `patterns` and `adverse_events` analyses laid out by
//! `netra_report::table::patterns`.

use netra_analysis::analyses::adverse_events::{self, AdverseEventsRequest};
use netra_analysis::analyses::patterns::{self, PatternsRequest};
use netra_report::table::Table;
use netra_report::table::patterns::{adverse_events_table, patterns_table};

use crate::StudyError;
use crate::context::{Context, analysis_err};
use crate::spec::TableDef;

/// The treatment-pattern table.
pub fn patterns(ctx: &Context<'_>, def: &TableDef) -> Result<Table, StudyError> {
    let out = patterns::run(&ctx.cohort, &PatternsRequest::default()).map_err(analysis_err)?;
    Ok(patterns_table(&def.title, &out))
}

/// The adverse-event table by `by` (absent: the study's groups, or all
/// patients without `[groups]`; `""`: all patients).
pub fn adverse_events(
    ctx: &Context<'_>,
    def: &TableDef,
    by: Option<&str>,
) -> Result<Table, StudyError> {
    let by = match by {
        Some(b) => b.to_string(),
        None => ctx
            .study
            .groups
            .as_ref()
            .map_or_else(String::new, |g| g.variable.clone()),
    };
    let out = adverse_events::run(
        &ctx.cohort,
        &AdverseEventsRequest {
            by,
            by_treatment: true,
        },
    )
    .map_err(analysis_err)?;
    Ok(adverse_events_table(&def.title, &out))
}
