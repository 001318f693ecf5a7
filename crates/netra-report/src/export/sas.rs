//! The data set for SAS: a CSV file with factors as their codes 1…k and a
//! SAS program that defines a value format per factor (`PROC FORMAT`),
//! reads the file with `INFILE … DSD` into `work.netra_data`, attaches the
//! formats and sets each variable's label — what a SAS user would write.
//!
//! Text columns get a `LENGTH` of their longest value in bytes (UTF-8; the
//! program asks for `ENCODING="utf-8"`). Names are
//! [`super::names::portable`] (SAS allows 32 characters); a format's name
//! is the variable's, cut to 30 characters, with `_f` (format names may not
//! end in a digit), numbered when two would clash. Quotes in labels are
//! doubled inside SAS's double-quoted strings, and `&` and `%` are kept
//! out of macro reach by single-quoting instead when present.

use super::names::portable;
use super::r::{csv_with, number, quoted};
use super::{DataValues, Dataset};
use crate::ReportError;

/// The CSV file and the SAS program, for files `<stem>_sas.csv` and
/// `<stem>.sas` in one directory.
#[derive(Debug, Clone, PartialEq)]
pub struct SasExport {
    /// The CSV file's text (factor codes, not labels).
    pub csv: String,
    /// The SAS program.
    pub program: String,
}

/// A SAS string literal: single quotes when the text holds `&` or `%` (no
/// macro resolution), double quotes otherwise; the quote doubled inside.
pub fn sas_string(s: &str) -> String {
    let s = s.replace(['\n', '\r'], " ");
    if s.contains(['&', '%']) {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        format!("\"{}\"", s.replace('"', "\"\""))
    }
}

/// Format names, one per column (`None` for non-factors).
fn format_names(ds: &Dataset, names: &[String]) -> Vec<Option<String>> {
    let mut seen = std::collections::HashSet::new();
    ds.columns
        .iter()
        .zip(names)
        .enumerate()
        .map(|(j, (c, name))| {
            if !matches!(c.values, DataValues::Factor { .. }) {
                return None;
            }
            let mut stem = name.clone();
            stem.truncate(30);
            let mut f = format!("{stem}_f");
            if !seen.insert(f.to_ascii_lowercase()) {
                f = format!("f{j}_f");
                seen.insert(f.to_ascii_lowercase());
            }
            Some(f)
        })
        .collect()
}

/// The data set for SAS, the CSV file named `<stem>_sas.csv` in the
/// program.
pub fn export(ds: &Dataset, stem: &str) -> Result<SasExport, ReportError> {
    ds.check()?;
    let names = portable(
        &ds.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
    );
    let formats = format_names(ds, &names);
    let csv = csv_with(ds, &names, |v, i| match v {
        DataValues::Number(x) => number(x[i]),
        DataValues::Factor { codes, .. } => codes[i].map_or(String::new(), |k| (k + 1).to_string()),
        DataValues::Text(t) => t[i].as_deref().map_or(String::new(), quoted),
    });
    let mut p = String::new();
    p.push_str(&format!(
        "/* {} */\n/* Written by `netra export --dataset`. Set netra_dir to the folder of\n   \
         {stem}_sas.csv; the program makes work.netra_data with value formats and labels. */\n\n",
        ds.label.replace("*/", "* /").replace(['\n', '\r'], " ")
    ));
    p.push_str("%let netra_dir = .;\n\nproc format;\n");
    for (c, f) in ds.columns.iter().zip(&formats) {
        if let (DataValues::Factor { levels, .. }, Some(f)) = (&c.values, f) {
            p.push_str(&format!("  value {f}\n"));
            for (k, l) in levels.iter().enumerate() {
                p.push_str(&format!("    {} = {}\n", k + 1, sas_string(l)));
            }
            p.push_str("  ;\n");
        }
    }
    p.push_str("run;\n\ndata work.netra_data");
    p.push_str(&format!("(label = {});\n", sas_string(&ds.label)));
    p.push_str(&format!(
        "  infile \"&netra_dir/{stem}_sas.csv\" dsd firstobs = 2 lrecl = 1000000 \
         encoding = \"utf-8\" truncover;\n"
    ));
    let lengths: Vec<String> = ds
        .columns
        .iter()
        .zip(&names)
        .filter_map(|(c, n)| match &c.values {
            DataValues::Text(t) => {
                let w = t
                    .iter()
                    .flatten()
                    .map(String::len)
                    .max()
                    .unwrap_or(1)
                    .max(1);
                Some(format!("{n} ${w}"))
            }
            _ => None,
        })
        .collect();
    if !lengths.is_empty() {
        p.push_str(&format!("  length {};\n", lengths.join(" ")));
    }
    let inputs: Vec<String> = ds
        .columns
        .iter()
        .zip(&names)
        .map(|(c, n)| match c.values {
            DataValues::Text(_) => format!("{n} $"),
            _ => n.clone(),
        })
        .collect();
    p.push_str(&format!("  input {};\n", inputs.join(" ")));
    for (n, f) in names.iter().zip(&formats) {
        if let Some(f) = f {
            p.push_str(&format!("  format {n} {f}.;\n"));
        }
    }
    p.push_str("  label\n");
    for (c, n) in ds.columns.iter().zip(&names) {
        p.push_str(&format!("    {n} = {}\n", sas_string(&c.label)));
    }
    p.push_str("  ;\nrun;\n");
    Ok(SasExport { csv, program: p })
}

#[cfg(test)]
mod tests {
    use super::super::sample::dataset;
    use super::*;

    #[test]
    fn strings_escape_quotes_and_macro_triggers() {
        assert_eq!(sas_string("CgA \"x\""), "\"CgA \"\"x\"\"\"");
        assert_eq!(sas_string("A & B's"), "'A & B''s'");
    }

    #[test]
    fn the_program_reads_codes_with_formats_and_labels() {
        let e = export(&dataset(), "netra_data").unwrap();
        let lines: Vec<&str> = e.csv.lines().collect();
        assert_eq!(lines[1], "\"P1\",61.5,-2,3");
        assert_eq!(lines[3], ",0.1,123456.75,");
        let p = &e.program;
        assert!(p.contains("  value grade_f\n    1 = \"G3\"\n    2 = \"G1, low\"\n    3 = \"Gr\u{f6}\u{df}e\"\n  ;\n"), "{p}");
        assert!(p.contains("  length patient $3;\n"), "{p}");
        assert!(
            p.contains("  input patient $ age_at_diagnosis marker_cga grade;\n"),
            "{p}"
        );
        assert!(p.contains("  format grade grade_f.;\n"), "{p}");
        assert!(
            p.contains("    marker_cga = \"CgA \"\"baseline\"\"\"\n"),
            "{p}"
        );
        assert!(
            p.contains("infile \"&netra_dir/netra_data_sas.csv\" dsd"),
            "{p}"
        );
    }
}
