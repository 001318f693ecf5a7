//! What holds across tables and figures together: their outputs must not
//! share a file stem, and report sections follow the file's order.

use super::raw::RawFigure;
use super::resolver::span;
use super::{AnalysisDef, FigureDef, TableDef};
use crate::StudyError;
use crate::error::SpecErrors;

/// Fails on a figure named like a table: both would write `<name>.*`.
pub(super) fn distinct_outputs(
    e: &SpecErrors<'_>,
    tables: &[TableDef],
    figures: &[FigureDef],
    raw: &[RawFigure],
) -> Result<(), StudyError> {
    let Some(f) = figures
        .iter()
        .find(|f| tables.iter().any(|t| t.name == f.name))
    else {
        return Ok(());
    };
    let at = raw
        .iter()
        .find(|x| x.name.get_ref() == &f.name)
        .map_or(0..0, |x| span(&x.name));
    Err(e.at(
        at,
        format!(
            "'{}' names a table and a figure (outputs would collide)",
            f.name
        ),
    ))
}

/// An item without `section` continues the section of the item above it
/// in the file (tables, figures and analyses interleaved), else "Results".
pub(super) fn fill_sections(
    tables: &mut [TableDef],
    figures: &mut [FigureDef],
    analyses: &mut [AnalysisDef],
) {
    let mut order: Vec<(usize, u8, usize)> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.position, 0, i))
        .chain(figures.iter().enumerate().map(|(i, f)| (f.position, 1, i)))
        .chain(analyses.iter().enumerate().map(|(i, a)| (a.position, 2, i)))
        .collect();
    order.sort();
    let mut current = "Results".to_string();
    for (_, kind, i) in order {
        let s = match kind {
            0 => &mut tables[i].section,
            1 => &mut figures[i].section,
            _ => &mut analyses[i].section,
        };
        if s.is_empty() {
            s.clone_from(&current);
        } else {
            current.clone_from(s);
        }
    }
}
