//! Problems of a source or a mapping, located the way a data manager finds
//! them: `file, line L, column C (field): reason (value 'v')`, the format of
//! the bundle import's problems.

use std::collections::HashMap;
use std::fmt;

/// One problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The file (records export, dictionary, mapping).
    pub file: String,
    /// Physical line (the header is line 1), when the problem is in a row.
    pub line: Option<u64>,
    /// 1-based column position in the file, when known.
    pub column_number: Option<usize>,
    /// Column (REDCap field) name, or the mapping's place
    /// (`table treatments, column type`).
    pub column: Option<String>,
    /// The offending text, when there is one.
    pub value: Option<String>,
    /// Why.
    pub reason: String,
}

impl Issue {
    /// A problem of a whole file.
    pub fn file(file: &str, reason: impl Into<String>) -> Issue {
        Issue {
            file: file.to_string(),
            line: None,
            column_number: None,
            column: None,
            value: None,
            reason: reason.into(),
        }
    }
}

/// The header of a CSV export, each name trimmed and without a byte-order
/// mark (spreadsheets and REDCap write one before the first name); a
/// header that cannot be read is a problem of line 1.
pub(crate) fn read_header<R: std::io::Read>(
    file: &str,
    reader: &mut csv::Reader<R>,
) -> Result<Vec<String>, Issues> {
    match reader.headers() {
        Ok(h) => Ok(h
            .iter()
            .map(|s| s.trim().trim_start_matches('\u{feff}').to_string())
            .collect()),
        Err(e) => Err(Issues::from(Issue {
            line: Some(1),
            ..Issue::file(file, format!("cannot read the header: {e}"))
        })),
    }
}

impl From<Issue> for Issues {
    fn from(i: Issue) -> Issues {
        Issues { list: vec![i] }
    }
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        match (&self.column_number, &self.column) {
            (Some(n), Some(name)) => write!(f, ", column {n} ({name})")?,
            (None, Some(name)) => write!(f, ", {name}")?,
            _ => {}
        }
        write!(f, ": {}", self.reason)?;
        if let Some(v) = &self.value {
            write!(f, " (value '{v}')")?;
        }
        Ok(())
    }
}

/// Every problem found, in the order found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issues {
    /// The problems.
    pub list: Vec<Issue>,
}

impl Issues {
    /// Adds a problem.
    pub fn push(&mut self, i: Issue) {
        self.list.push(i);
    }

    /// True when there is none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Problems of the same file, column, reason and value in many rows,
    /// collapsed into the first with a count: a wrongly coded field would
    /// otherwise print one identical error per record.
    pub fn collapsed(self) -> Issues {
        type Key = (String, Option<String>, String, Option<String>);
        let mut out: Vec<(Issue, usize, Option<u64>)> = Vec::new();
        let mut index: HashMap<Key, usize> = HashMap::new();
        for i in self.list {
            let key = (
                i.file.clone(),
                i.column.clone(),
                i.reason.clone(),
                i.value.clone(),
            );
            match index.get(&key) {
                Some(&k) if i.line.is_some() => {
                    out[k].1 += 1;
                    out[k].2 = i.line;
                }
                _ => {
                    index.insert(key, out.len());
                    out.push((i, 0, None));
                }
            }
        }
        Issues {
            list: out
                .into_iter()
                .map(|(mut i, more, last)| {
                    if more > 0 {
                        let last =
                            last.map_or(String::new(), |l| format!(", the last on line {l}"));
                        i.reason = format!(
                            "{} (and {more} more {} with the same value{last})",
                            i.reason,
                            if more == 1 { "row" } else { "rows" }
                        );
                    }
                    i
                })
                .collect(),
        }
    }
}

impl fmt::Display for Issues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in &self.list {
            writeln!(f, "error: {i}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_row_problems_collapse_with_a_count() {
        let mut is = Issues::default();
        for line in [2, 5, 9] {
            is.push(Issue {
                line: Some(line),
                column: Some("grade".into()),
                value: Some("7".into()),
                ..Issue::file("r.csv", "unknown choice")
            });
        }
        is.push(Issue::file("m.toml", "other"));
        let c = is.collapsed();
        assert_eq!(c.list.len(), 2);
        assert_eq!(
            c.list[0].to_string(),
            "r.csv, line 2, grade: unknown choice (and 2 more rows with the same value, the last on line 9) (value '7')"
        );
    }
}
