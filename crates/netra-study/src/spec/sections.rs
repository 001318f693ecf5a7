//! What holds across tables and figures together: their outputs must not
//! share a file stem, and report sections follow the file's order.

use super::raw::RawFigure;
use super::resolver::span;
use super::{FigureDef, TableDef};
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
/// in the file (tables and figures interleaved), else "Results".
pub(super) fn fill_sections(tables: &mut [TableDef], figures: &mut [FigureDef]) {
    let mut order: Vec<(usize, bool, usize)> = tables
        .iter()
        .enumerate()
        .map(|(i, t)| (t.position, true, i))
        .chain(
            figures
                .iter()
                .enumerate()
                .map(|(i, f)| (f.position, false, i)),
        )
        .collect();
    order.sort();
    let mut current = "Results".to_string();
    for (_, is_table, i) in order {
        let s = if is_table {
            &mut tables[i].section
        } else {
            &mut figures[i].section
        };
        if s.is_empty() {
            s.clone_from(&current);
        } else {
            current.clone_from(s);
        }
    }
}
