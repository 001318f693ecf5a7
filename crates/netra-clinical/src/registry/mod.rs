//! The registry's data model: what a NET centre records about each patient.
//!
//! * [`ctcae`] — CTCAE v5.0 terms and the grades each defines;
//! * [`date`] — partial dates (`YYYY`, `YYYY-MM`, `YYYY-MM-DD`) and the
//!   documented, configurable imputation rule analyses apply to them;
//! * [`range`] — dates known as ranges (not before / not after) and how
//!   imputation keeps within them;
//! * [`ident`] — which characters an identifier may hold (none invisible);
//! * [`vocab`] — the controlled vocabularies, as enums with lower-case snake
//!   codes;
//! * [`schema`] — every entity and column as data: the bundle format and the
//!   database tables are generated from it;
//! * [`rules`] — validation of one row (date order, conditional columns,
//!   grade consistency) that both the importer and the web forms apply;
//! * [`model`] — typed records of one patient's whole course, as later
//!   analyses (endpoints, lines, reports) read them.
//!
//! Pure types and rules: no I/O. `netra-store` persists them.

pub mod ctcae;
pub mod date;
pub mod ident;
pub mod model;
pub mod order;
pub mod range;
pub mod rules;
pub mod schema;
pub mod vocab;

pub use date::{Day, Imputation, ImputationCounter, PartialDate};
pub use range::DateBounds;
pub use schema::{Entity, EntitySpec, Kind, Value};
