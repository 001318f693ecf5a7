//! The clinical domain of metastatic neuroendocrine tumours: what a NET
//! centre records and the rules that turn records into analysable facts
//! (tumour grade, response category, endpoint, line of therapy).
//!
//! * [`response`] — tumour response (RECIST 1.1, WHO, Choi, mRECIST,
//!   study-defined criteria), best overall response, waterfall/spider data.
//!
//! This crate does no I/O; the registry (`netra-store`) persists its types
//! and the statistics (`netra-stats`) analyse what it derives.
#![deny(missing_docs)]

pub mod grade;
pub mod registry;
pub mod response;
