//! Federated analysis across centres: the pooled answer, exactly, without
//! pooling the records (issue 17).
//!
//! This crate is the protocol and nothing else: it does no I/O. A hub runs
//! a [`protocol::Coordinator`] for each analysis an analyst submits; each
//! centre's node answers the coordinator's rounds with a
//! [`protocol::Responder`] built over its own cohort. How the rounds travel
//! (HTTPS, outbound from the nodes, policies, approvals, audit) is the
//! transport's job (`netra-hub`), which moves the JSON bodies of this
//! crate without reading them.
#![deny(missing_docs)]

pub mod protocol;
