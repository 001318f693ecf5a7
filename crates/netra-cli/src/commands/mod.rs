//! One module per subcommand: its arguments and its `run`.

pub mod cuminc;
pub mod demo;
pub mod km;
pub mod logrank;
pub mod audit;
pub mod export;
pub mod import;
pub mod init;
pub mod patient;
pub mod registry_args;
pub mod validate;
