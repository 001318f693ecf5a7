//! The analysis layer: every surface (CLI, web application, study files)
//! asks the same code for the same result.
//!
//! # Brief overview
//!
//! * [`Cohort`] — the analysed patients with their derived facts: the
//!   variables of the dictionary, endpoints and lines derived once with the
//!   cohort's [`Settings`]. Built from registry courses ([`Cohort::new`])
//!   or from patient facts a server keeps ([`Cohort::from_facts`]).
//! * [`variables`] — the one variables dictionary ([`variables::BASE`]):
//!   every variable a user can group, filter or adjust by, with its label
//!   and level order; a study's derived variables ([`variables::derived`]).
//! * [`settings`] — line rules, response criteria, small-cell threshold,
//!   with one `Default` for every surface.
//! * [`analyses`] — each analysis a serde `Request` producing a typed
//!   `Output`, listed once in [`analyses::registry`].
//! * [`inference`] — the group comparisons and binomial intervals the
//!   report's table builders print (Table 1, response tables).
//! * [`table`] — a flat CSV "cohort" (the data the CLI's CSV commands
//!   analyse): complete rows, event coding, factor levels, read through
//!   `netra-frame` with cell-precise errors.
//! * [`partial`] — the additive partial aggregates analyses are computed
//!   from, mergeable in any order (federated nodes, cluster partitions).
//!
//! Dependencies point one way: `netra-stats` ← `netra-clinical` ← this
//! crate ← `netra-report` ← the surfaces (`netra-server`, `netra-study`,
//! `netra-cli`). This crate does no I/O: a surface loads courses (through
//! `netra-store`) or reads a file, builds a cohort, runs a request and
//! renders the output (through `netra-report`).
//!
//! # Adding an analysis
//! 1. Write `analyses/NAME.rs`: a `NameRequest` (serde, `#[serde(default,
//!    deny_unknown_fields)]`, one `Default`), a `NameOutput` (serde; fields
//!    are a contract: add, never rename) and `run(&Cohort, &NameRequest)`.
//!    Compute from partial aggregates ([`partial`]) where the statistic
//!    allows it. If the default request names nothing to analyse (no
//!    variable), give [`analyses::Analysis::example`] a request that runs
//!    on any registry.
//! 2. Add a unit struct implementing [`analyses::Analysis`] and list it in
//!    [`analyses::registry`] (a test fails if two share a name).
//! 3. Test the numbers: R fixtures (`validation/`).
//!
//! That is all: from the registry the analysis is, with no further code,
//! * on the command line: `netra analyse NAME [--request FILE.json] [--set
//!   k=v] [--json]`, listed by `netra analyse --list`, its output printed
//!   as JSON or as the generic table (`netra_report::table::generic`);
//! * on the web: listed by `GET /api/analyses`, run by `POST
//!   /api/analyses/NAME` (body: the request; URL: cohort filters and rule
//!   settings), in the OpenAPI document, under the small-cell rule read
//!   from its output's JSON (`netra_server::privacy::protect`: counts
//!   below the threshold and what is computed from them, per-step curves,
//!   `min`/`max`; name count fields plainly — `n`, `events` — and keep
//!   single patients' values in `steps`, `min`, `max` or `last_time`);
//! * in study files: `[[analysis]] name = "NAME" id = "…" request = {…}`
//!   (did-you-mean on names and fields), its JSON in `analyses/ID.json`
//!   and the generic table in the report;
//! * checked: `crates/netra-cli/tests/generic_cli.rs` runs every
//!   registered analysis's example request through the CLI, the web API
//!   and a study file and requires the same JSON;
//!   `crates/netra-server/tests/generic.rs` checks the small-cell rule on
//!   it for an analyst.
//!
//! Write by hand only what a surface adds beyond the generic form: a CLI
//! subcommand with flags of its own, a study-file table type laid out for
//! a paper, a figure, a web page (`netra km`, `[[table]] type = "km"`, the
//! web's `/analysis` page are such adapters of `survival`).
//!
//! # Adding a variable
//! See [`variables`]: one entry in `BASE`, one arm in the registry reader.
//!
//! # Adding a response criterion or a figure
//! A criterion is a `netra_clinical::response::Rules` (a TOML file for
//! study-defined criteria, `docs/algorithms/response.md`); name it in
//! [`settings::criteria`]. A figure is drawn by `netra-report` from an
//! analysis output (`netra_report::figure`).
#![deny(missing_docs)]

pub mod analyses;
pub mod cohort;
pub mod condition;
pub mod endpoint;
mod error;
pub mod facts;
pub mod inference;
pub mod partial;
pub mod settings;
pub mod table;
pub mod variables;

pub use cohort::{Cohort, CohortSpec, EndpointData, Grouping, Selection};
pub use endpoint::EndpointRequest;
pub use error::AnalysisError;
pub use facts::{FactsLayout, PatientFacts};
pub use settings::{RuleSettings, Settings};
