//! The data set for R: a CSV file (factor columns as their level labels)
//! and a script that reads it into the data frame `netra_data`, makes each
//! factor with its levels in netra's order (the first is the reference
//! level of a model) and sets each column's `label` attribute (as `haven`,
//! `Hmisc` and `labelled` read it) and the data frame's.
//!
//! The CSV is data for the script, not a document for a spreadsheet: its
//! text fields are always quoted and never altered (the formula guard of
//! [`crate::csv::field`] would change a level `-1` or `=A` and break the
//! factor's levels). The script is ASCII: other characters are written as
//! R's `\u` escapes, so it reads the same in any locale.

use super::names::portable;
use super::{DataValues, Dataset};
use crate::ReportError;

/// The CSV file and the R script, for files `<stem>.csv` and `<stem>.R`
/// in one directory.
#[derive(Debug, Clone, PartialEq)]
pub struct RExport {
    /// The CSV file's text.
    pub csv: String,
    /// The R script's text.
    pub script: String,
}

/// A CSV text field: always quoted, quotes doubled.
pub(super) fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A number as CSV text: the shortest text that reads back as the same
/// double (empty when missing).
pub(super) fn number(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => String::new(),
    }
}

/// The data rows as CSV: the header of portable names, then one line per
/// row; `cell` writes one value.
pub(super) fn csv_with(
    ds: &Dataset,
    names: &[String],
    cell: impl Fn(&DataValues, usize) -> String,
) -> String {
    let mut out = names
        .iter()
        .map(|n| quoted(n))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for i in 0..ds.rows() {
        let line: Vec<String> = ds.columns.iter().map(|c| cell(&c.values, i)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// An R string literal, ASCII only.
pub fn r_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (' '..='~').contains(&c) => out.push(c),
            c if (c as u32) <= 0xFFFF => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// The data set for R, the CSV file named `<stem>.csv` in the script.
pub fn export(ds: &Dataset, stem: &str) -> Result<RExport, ReportError> {
    ds.check()?;
    let names = portable(
        &ds.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
    );
    let csv = csv_with(ds, &names, |v, i| match v {
        DataValues::Number(x) => number(x[i]),
        DataValues::Factor { levels, codes } => {
            codes[i].map_or(String::new(), |k| quoted(&levels[k]))
        }
        DataValues::Text(t) => t[i].as_deref().map_or(String::new(), quoted),
    });
    let mut s = String::new();
    s.push_str(&format!(
        "# {}\n# Written by `netra export --dataset`. source() this file (or set\n\
         # netra_dir to the folder of {stem}.csv first): it makes the data frame\n\
         # `netra_data`, factors with netra's level order (the first level is the\n\
         # reference of a model) and each column's label in attr(x, \"label\").\n\n",
        r_string(&ds.label).trim_matches('"')
    ));
    s.push_str(
        "if (!exists(\"netra_dir\")) {\n  netra_dir <- tryCatch(dirname(sys.frame(1)$ofile), \
         error = function(e) \".\")\n}\n",
    );
    let classes: Vec<&str> = ds
        .columns
        .iter()
        .map(|c| match c.values {
            DataValues::Number(_) => "\"numeric\"",
            _ => "\"character\"",
        })
        .collect();
    s.push_str(&format!(
        "netra_data <- utils::read.csv(\n  file.path(netra_dir, {}),\n  na.strings = \"\", \
         check.names = FALSE, encoding = \"UTF-8\",\n  colClasses = \
         c({})\n)\n",
        r_string(&format!("{stem}.csv")),
        classes.join(", ")
    ));
    for (c, name) in ds.columns.iter().zip(&names) {
        if let DataValues::Factor { levels, .. } = &c.values {
            let levels: Vec<String> = levels.iter().map(|l| r_string(l)).collect();
            s.push_str(&format!(
                "netra_data[[{n}]] <- factor(netra_data[[{n}]], levels = c({}))\n",
                levels.join(", "),
                n = r_string(name)
            ));
        }
    }
    for (c, name) in ds.columns.iter().zip(&names) {
        s.push_str(&format!(
            "attr(netra_data[[{}]], \"label\") <- {}\n",
            r_string(name),
            r_string(&c.label)
        ));
    }
    s.push_str(&format!(
        "attr(netra_data, \"label\") <- {}\n",
        r_string(&ds.label)
    ));
    Ok(RExport { csv, script: s })
}

#[cfg(test)]
mod tests {
    use super::super::sample::dataset;
    use super::*;

    #[test]
    fn strings_are_ascii_r_literals() {
        assert_eq!(r_string("a \"b\" \\ c"), "\"a \\\"b\\\" \\\\ c\"");
        assert_eq!(r_string("Größe"), "\"Gr\\u00f6\\u00dfe\"");
        assert_eq!(r_string("\u{1F600}\n"), "\"\\U0001f600\\n\"");
    }

    #[test]
    fn csv_keeps_values_and_the_script_sets_levels_and_labels() {
        let e = export(&dataset(), "netra_data").unwrap();
        let lines: Vec<&str> = e.csv.lines().collect();
        assert_eq!(
            lines[0],
            "\"patient\",\"age_at_diagnosis\",\"marker_cga\",\"grade\""
        );
        assert_eq!(lines[1], "\"P1\",61.5,-2,\"Gr\u{f6}\u{df}e\"");
        assert_eq!(lines[2], "\"P-2\",,0.0000001,\"G3\"");
        assert_eq!(lines[3], ",0.1,123456.75,");
        assert!(
            e.script.contains(
                "netra_data[[\"grade\"]] <- factor(netra_data[[\"grade\"]], levels = \
                 c(\"G3\", \"G1, low\", \"Gr\\u00f6\\u00dfe\"))"
            ),
            "{}",
            e.script
        );
        assert!(
            e.script.contains(
                "attr(netra_data[[\"marker_cga\"]], \"label\") <- \"CgA \\\"baseline\\\"\""
            ),
            "{}",
            e.script
        );
        assert!(
            e.script
                .contains("colClasses = c(\"character\", \"numeric\", \"numeric\", \"character\")")
        );
        assert!(e.script.is_ascii());
    }
}
