//! One module per subcommand: its arguments and its `run`.

pub mod cox;
pub mod cuminc;
pub mod demo;
pub mod km;
pub mod logrank;
