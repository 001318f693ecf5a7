//! Output formats and the small formatting rules every command shares, so a
//! p-value or a CSV field reads the same whichever command printed it.

use anyhow::Context;

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

/// A p-value with its relation (`= 0.019`, `< 0.001`, `= —` when it does
/// not exist), by the one rule of [`netra_report::format`].
pub fn p_value(p: f64) -> String {
    netra_report::format::p_relation(Some(p))
}

/// A CSV field: quoted when needed and defused against spreadsheet
/// formula injection, by the one function every CSV of netra uses
/// ([`netra_report::csv::field`]).
pub fn csv_field(s: &str) -> String {
    netra_report::csv::field(s)
}

/// A number for CSV: shortest round-trip text, `NA` where none exists.
pub fn csv_number(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => "NA".to_string(),
    }
}

/// Writes `text` to standard output. A closed pipe (`netra km … | head`) is
/// not an error of the analysis, and must not panic as `print!` would.
pub fn write_stdout(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p_values_read_as_clinicians_expect() {
        assert_eq!(p_value(0.019), "= 0.019");
        assert_eq!(p_value(0.0013111), "= 0.001");
        assert_eq!(p_value(0.25), "= 0.250");
        assert_eq!(p_value(0.00099), "< 0.001");
        assert_eq!(p_value(1.0), "= 1.000");
        assert_eq!(p_value(f64::NAN), "= \u{2014}");
    }

    #[test]
    fn csv_fields_are_quoted_when_needed() {
        assert_eq!(csv_field("Lev+5FU"), "Lev+5FU");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(csv_field("-0.5"), "-0.5");
    }

    #[test]
    fn csv_numbers() {
        assert_eq!(csv_number(Some(20.0)), "20");
        assert_eq!(csv_number(Some(0.125)), "0.125");
        assert_eq!(csv_number(None), "NA");
        assert_eq!(csv_number(Some(f64::NAN)), "NA");
    }
}
