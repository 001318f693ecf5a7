//! Model terms from an R-style formula and the design matrix they define.
//!
//! * [`formula`] parses a right-hand side (`age + factor(grade) + liver +
//!   strata(site)`, interactions `a:b` and `a*b`) into terms ordered as R's
//!   `terms.formula` orders them.
//! * [`transform`] computes arithmetic terms (`I(age/10)`, `log(x)`).
//! * [`design`] builds the design matrix from named in-memory columns
//!   (numbers or text) as R's `model.matrix` does for `coxph`: reference
//!   level first in sorted order (or chosen), R's marginality rule for
//!   factors inside interactions, strata as integer codes.
//!
//! * [`collate`] orders text as R's `sort()` does, and [`levels`] puts a
//!   column's distinct values in R's factor-level order: the one rule for
//!   factor levels everywhere in netra.
//!
//! No I/O: the caller reads the data and hands over columns.

pub mod collate;
pub mod design;
pub mod formula;
pub mod levels;
pub mod transform;

pub use collate::collate;
pub use design::{ColumnData, Design, DesignError, DesignOptions, DesignTerm, NamedColumn, Strata};
pub use formula::{Formula, FormulaError, Term, Variable};
pub use levels::{LevelOrder, order_levels, order_levels_as, sort_levels};
