//! One module per subcommand: its arguments and its `run`.

pub mod analyse;
pub mod audit;
pub mod compare;
pub mod cox;
pub mod cuminc;
pub mod demo;
pub mod endpoints;
pub mod export;
pub mod import;
pub mod import_redcap;
pub mod init;
pub mod km;
pub mod lines;
pub mod logrank;
pub mod patient;
pub mod rates;
pub mod registry_args;
pub mod report;
pub mod response;
pub mod sequences;
pub mod serve;
pub mod simulate;
pub mod spider;
pub mod user;
pub mod validate;
