//! A [`Table`] as aligned plain text for a terminal: every column as wide
//! as its widest cell (in characters, so "±" and "–" count one), the first
//! column left-aligned with its indentation, right-aligned columns for
//! counts, the title above and the footnotes below. Labels of any length
//! keep the columns aligned.

use super::{Align, Cell, Table};
use crate::ReportError;

/// Characters of `s` (the terminal width of the text netra prints).
fn width(s: &str) -> usize {
    s.chars().count()
}

/// One line of cells laid out in `widths`, trailing spaces trimmed.
fn line(t: &Table, cells: &[Cell], widths: &[usize], indent: u8) -> String {
    let mut out = String::new();
    let mut j = 0;
    for (i, c) in cells.iter().enumerate() {
        let span = c.colspan.max(1);
        let w: usize = widths[j..(j + span).min(widths.len())]
            .iter()
            .sum::<usize>()
            + 2 * (span - 1);
        let text = if i == 0 {
            format!("{}{}", "  ".repeat(usize::from(indent)), c.text)
        } else {
            c.text.clone()
        };
        let pad = w.saturating_sub(width(&text));
        if i > 0 {
            out.push_str("  ");
        }
        if span == 1 && t.align_of(j) == Align::Right {
            out.push_str(&" ".repeat(pad));
            out.push_str(&text);
        } else {
            out.push_str(&text);
            out.push_str(&" ".repeat(pad));
        }
        j += span;
    }
    out.trim_end().to_string()
}

/// The table as aligned text.
pub(super) fn text(t: &Table) -> Result<String, ReportError> {
    let n = t.columns()?;
    let mut widths = vec![0usize; n];
    let mut measure = |cells: &[Cell], indent: u8| {
        let mut j = 0;
        for (i, c) in cells.iter().enumerate() {
            if c.colspan == 1 {
                let extra = if i == 0 { 2 * usize::from(indent) } else { 0 };
                widths[j] = widths[j].max(width(&c.text) + extra);
            }
            j += c.colspan;
        }
    };
    for h in &t.header {
        measure(h, 0);
    }
    for r in &t.body {
        measure(&r.cells, r.indent);
    }
    let mut s = String::new();
    if !t.title.is_empty() {
        s.push_str(&t.title);
        s.push_str("\n\n");
    }
    for h in &t.header {
        s.push_str(&line(t, h, &widths, 0));
        s.push('\n');
    }
    for r in &t.body {
        s.push_str(&line(t, &r.cells, &widths, r.indent));
        s.push('\n');
    }
    if !t.footnotes.is_empty() {
        s.push('\n');
    }
    for f in &t.footnotes {
        s.push_str(f);
        s.push('\n');
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::super::Row;
    use super::*;

    #[test]
    fn columns_align_whatever_the_label_length() {
        let mut t = Table::new("T", &["Group", "n", "Mean ± SD"]);
        t.align = vec![Align::Left, Align::Right, Align::Left];
        t.push(Row::new(["A", "9", "1.0 ± 0.5"]));
        t.push(Row::new(["A much longer label", "120", "12.25 ± 3.5"]));
        t.footnotes.push("note".into());
        let s = t.to_text().unwrap();
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "T");
        // The n column ends, and the next starts, at one place on every row.
        let header = lines[2];
        let starts: Vec<usize> = lines[2..5]
            .iter()
            .map(|l| l.chars().count() - l.split("  ").last().unwrap().chars().count())
            .collect();
        assert!(starts.iter().all(|s| *s == starts[0]), "{s}");
        assert_eq!(
            header,
            format!("Group{}n  Mean ± SD", " ".repeat(18)),
            "{s}"
        );
        assert_eq!(lines[3], format!("A{}9  1.0 ± 0.5", " ".repeat(22)), "{s}");
        assert!(s.ends_with("\nnote\n"), "{s}");
    }
}
