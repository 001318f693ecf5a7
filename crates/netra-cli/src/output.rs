//! Output formats shared by the analysis subcommands.

/// How results are written to standard output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Aligned, labelled text for people.
    #[default]
    Table,
    /// The stable JSON contract that tools and tests rely on.
    Json,
    /// Comma-separated values, one row per step or group.
    Csv,
}

/// Formats an optional number for a table, `NR` (not reached) when absent.
pub fn fmt_or_nr(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "NR".to_string(), |v| format!("{v:.decimals$}"))
}
