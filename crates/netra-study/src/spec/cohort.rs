//! `[cohort]` and `[groups]`: who is analysed and how they are compared.

use netra_analysis::condition::Expr;

use super::Groups;
use super::raw::{RawCohort, RawGroups};
use super::resolver::{Resolver, span};
use crate::StudyError;

/// Whether excluded patients are kept, and the conditions all patients
/// meet (each pointing into its string on error).
pub(super) fn cohort(
    r: &Resolver<'_>,
    raw: Option<&RawCohort>,
) -> Result<(bool, Vec<Expr>), StudyError> {
    let Some(c) = raw else {
        return Ok((false, Vec::new()));
    };
    let conditions = c
        .conditions
        .iter()
        .map(|s| r.condition(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((c.include_excluded.unwrap_or(false), conditions))
}

/// The comparison groups: a categorical variable, optionally a chosen
/// subset of its levels with printed names (one name per level).
pub(super) fn groups(
    r: &Resolver<'_>,
    raw: Option<&RawGroups>,
) -> Result<Option<Groups>, StudyError> {
    let Some(g) = raw else {
        return Ok(None);
    };
    let variable = r.categorical_ref(&g.variable, "[groups]")?;
    if let (Some(l), Some(lab)) = (&g.levels, &g.labels)
        && l.get_ref().len() != lab.get_ref().len()
    {
        return Err(r.at(
            span(lab),
            format!(
                "{} labels for {} levels",
                lab.get_ref().len(),
                l.get_ref().len()
            ),
        ));
    }
    if let (Some(labels), None) = (&g.labels, &g.levels) {
        return Err(r.at(
            span(labels),
            "`labels` need `levels` (the levels they name, in order)",
        ));
    }
    Ok(Some(Groups {
        variable,
        label: g.label.clone(),
        levels: g.levels.as_ref().map(|l| l.get_ref().clone()),
        labels: g.labels.as_ref().map(|l| l.get_ref().clone()),
    }))
}
