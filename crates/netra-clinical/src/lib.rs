//! The clinical domain of metastatic neuroendocrine tumours: what a NET
//! centre records and the rules that turn records into analysable facts
//! (tumour grade, response category, endpoint, line of therapy).
//!
//! * [`response`] — tumour response (RECIST 1.1, WHO, Choi, mRECIST,
//!   study-defined criteria), best overall response, waterfall/spider data.
//! * [`evaluation`] — registry assessments judged by the response engine
//!   (the registry → response mapping), per line or observation period.
//! * [`lines`] — lines of therapy from treatment records (documented,
//!   configurable rules) and the treatment sequence.
//! * [`endpoints`] — OS, PFS, TTP, TTF, TTNT, DoR, PFS2, EFS from a chosen
//!   time zero, with documented censoring; ADaM ADTTE export and import.
//! * [`grading`] — grading systems besides WHO 2019 (WHO 2010/ENETS, lung
//!   and thymus types) and the WHO 2019 grade derived from them.
//! * [`groups`] — grade and primary-site groups as NET series report them
//!   (SEER grade with carcinoma cell type; GI segments).
//! * [`qol`] — EORTC QLQ-C30 scales scored from item responses (scoring
//!   manual rules, half-items-missing rule, summary score).
//! * [`sequences`] — pathways, share reaching each next line, per-line
//!   outcome tables, sequence comparisons, Sankey data, small-cell
//!   suppression.
//!
//! This crate does no I/O; the registry (`netra-store`) persists its types
//! and the statistics (`netra-stats`) analyse what it derives.
#![deny(missing_docs)]

pub mod endpoints;
pub mod evaluation;
pub mod grade;
pub mod grading;
pub mod groups;
pub mod lines;
pub mod qol;
pub mod registry;
pub mod response;
pub mod sequences;
