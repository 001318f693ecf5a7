//! OMOP CDM 5.4 out and in: `netra export --omop DIR` ([`export`]) writes the
//! registry as the CDM's CSV tables with the concepts it used, and `netra
//! import omop DIR` ([`import`]) turns such tables back into the bundle's
//! rows for the store's one all-or-nothing import.
//!
//! How netra's records sit in the CDM (the full table is in
//! `docs/import.md`, "OMOP CDM 5.4"):
//! * patient → `person` (+ `care_site`, `observation_period`, `death`);
//! * tumour → `condition_occurrence` (ICD-O-3 histology/topography as the
//!   source value, Ki-67 as a `measurement` of it), metastasis →
//!   `condition_occurrence`;
//! * systemic treatment → one `drug_exposure` per agent (RxNorm ingredient),
//!   local treatment (surgery, TACE, RFA, …) → `procedure_occurrence`;
//! * marker → `measurement`; assessment → `procedure_occurrence` (imaging),
//!   lesion → `measurement` of its longest diameter attached to it;
//! * radionuclide administration, visit status, adverse event →
//!   `observation`;
//! * oncology extension: a disease `episode` per tumour and a
//!   treatment-regimen `episode` per derived line of therapy, with their
//!   `episode_event` rows;
//! * model v3 ([`export_v3`]): a stain or a genetic test → `measurement`
//!   with its result as `value_as_concept_id`, a questionnaire item → a
//!   survey `observation`, a comorbidity → `condition_occurrence`, a
//!   marker result in words → the marker's `value_as_concept_id`.
//!
//! Sources: CSV files ([`convert`]), or a PostgreSQL schema's tables read
//! by the store ([`convert_schema`]); a site's own concepts are mapped by
//! a TOML file ([`ConceptMap`]).
//!
//! What the CDM has no column for (a treatment's intent, a lesion's role,
//! the exact partial date "2015-03") is kept as an `observation` attached
//! to its row (`observation_event_id` + `obs_event_field_concept_id`, the
//! CDM 5.4 way to qualify an event), whose concept is netra's local concept
//! of the registry column (`column/treatments.csv.intent`) and whose
//! `value_as_string` is the bundle text. That is what makes the round trip
//! exact: the importer rebuilds each record from its row and these
//! observations, and falls back to the CDM's own columns when an extract
//! made elsewhere has none.

mod assemble;
pub mod concepts;
pub mod export;
mod export_v3;
pub mod import;
mod import_v3;
mod read;
pub mod source;
pub mod tables;

pub use export::{Extract, PatientRecords, export};
pub use import::{convert, convert_with};
pub use source::{ConceptMap, convert_schema};
