//! Tables: a neutral model (title, header rows with column spans, body rows
//! with indentation, footnotes) rendered to HTML, Markdown, CSV and LaTeX
//! (booktabs), and builders for the tables of a NET paper.
//!
//! * [`baseline`] — baseline characteristics by group (Table 1).
//! * [`survival`] — survival by characteristic: median (95% CI), x-year
//!   rate, log-rank p.
//! * [`response`] — ORR and DCR with exact CIs by characteristic, with p.
//! * [`compare`] — a group comparison (`netra compare`) as a clinician
//!   reads it: n, mean ± SD, median (IQR) per group, the test, df and p.
//! * [`cox`] — univariate and multivariate hazard ratios.
//! * [`emulate`] — an emulated target trial: naive vs weighted hazard
//!   ratios, RMST and survival differences.
//! * [`generic`] — any analysis output (its JSON) as labelled rows.
//! * [`inference`] — the hook through which builders obtain p-values and
//!   binomial CIs; [`classical`] is the analysis layer's implementation.
//!   Builders format; the statistics are the layer's (`netra-analysis`).
//!
//! Every format escapes its special characters (tested); a row's
//! indentation survives each format (CSS padding, non-breaking spaces,
//! leading spaces, `\hspace`).

pub mod baseline;
pub mod classical;
pub mod compare;
pub mod cox;
pub mod emulate;
pub mod generic;
pub mod inference;
pub mod patterns;
pub(crate) mod render;
pub mod response;
pub mod survival;
mod text;

use crate::ReportError;

/// Horizontal alignment of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Left.
    Left,
    /// Centre.
    Center,
    /// Right.
    Right,
}

/// A cell: text and the number of columns it spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    /// The text (plain; each renderer escapes it).
    pub text: String,
    /// Columns spanned (≥ 1).
    pub colspan: usize,
}

impl Cell {
    /// A cell spanning `colspan` columns.
    pub fn span(text: impl Into<String>, colspan: usize) -> Cell {
        Cell {
            text: text.into(),
            colspan,
        }
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::span(text, 1)
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::span(text, 1)
    }
}

/// A body row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Cells, left to right; their spans add up to the table's columns.
    pub cells: Vec<Cell>,
    /// Indentation of the first cell (0 = none; levels under a heading).
    pub indent: u8,
    /// Bold first cell (a variable's heading row).
    pub emphasis: bool,
}

impl Row {
    /// A row of single cells.
    pub fn new<C: Into<Cell>>(cells: impl IntoIterator<Item = C>) -> Row {
        Row {
            cells: cells.into_iter().map(Into::into).collect(),
            indent: 0,
            emphasis: false,
        }
    }

    /// The row indented by `level`.
    pub fn indented(mut self, level: u8) -> Row {
        self.indent = level;
        self
    }

    /// The row with a bold first cell.
    pub fn emphasised(mut self) -> Row {
        self.emphasis = true;
        self
    }
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Caption (empty for none).
    pub title: String,
    /// Header rows, top to bottom (spanning cells allowed).
    pub header: Vec<Vec<Cell>>,
    /// Body rows.
    pub body: Vec<Row>,
    /// Notes printed under the table (abbreviations, tests used).
    pub footnotes: Vec<String>,
    /// Alignment per column; missing entries: first column left, the
    /// others centred.
    pub align: Vec<Align>,
}

impl Table {
    /// A table with one header row of `columns`.
    pub fn new(title: impl Into<String>, columns: &[&str]) -> Table {
        Table {
            title: title.into(),
            header: vec![columns.iter().map(|c| Cell::from(*c)).collect()],
            body: Vec::new(),
            footnotes: Vec::new(),
            align: Vec::new(),
        }
    }

    /// Appends a body row.
    pub fn push(&mut self, row: Row) {
        self.body.push(row);
    }

    /// The alignment of column `j`.
    pub fn align_of(&self, j: usize) -> Align {
        self.align
            .get(j)
            .copied()
            .unwrap_or(if j == 0 { Align::Left } else { Align::Center })
    }

    /// Number of columns, checking that every row spans exactly that many.
    pub fn columns(&self) -> Result<usize, ReportError> {
        let width = |cells: &[Cell]| -> Result<usize, ReportError> {
            if cells.iter().any(|c| c.colspan == 0) {
                return Err(ReportError::InvalidTable("a cell spans 0 columns".into()));
            }
            Ok(cells.iter().map(|c| c.colspan).sum())
        };
        let n = match self.header.first() {
            Some(h) => width(h)?,
            None => match self.body.first() {
                Some(r) => width(&r.cells)?,
                None => return Err(ReportError::NoData(format!("table '{}'", self.title))),
            },
        };
        if n == 0 {
            return Err(ReportError::InvalidTable("the table has no columns".into()));
        }
        for (i, h) in self.header.iter().enumerate() {
            let w = width(h)?;
            if w != n {
                return Err(ReportError::InvalidTable(format!(
                    "header row {} spans {w} columns, the table has {n}",
                    i + 1
                )));
            }
        }
        for (i, r) in self.body.iter().enumerate() {
            let w = width(&r.cells)?;
            if w != n {
                return Err(ReportError::InvalidTable(format!(
                    "row {} spans {w} columns, the table has {n}",
                    i + 1
                )));
            }
        }
        Ok(n)
    }

    /// Header text per column: the texts of the header cells covering it,
    /// top to bottom, joined by a space (for formats with one header row).
    pub fn flat_header(&self) -> Result<Vec<String>, ReportError> {
        let n = self.columns()?;
        let mut out = vec![String::new(); n];
        for row in &self.header {
            let mut j = 0;
            for cell in row {
                for col in out.iter_mut().skip(j).take(cell.colspan) {
                    let t = cell.text.trim();
                    if !t.is_empty() && !col.ends_with(t) {
                        if !col.is_empty() {
                            col.push(' ');
                        }
                        col.push_str(t);
                    }
                }
                j += cell.colspan;
            }
        }
        Ok(out)
    }

    /// The table as an HTML `<table>` (a fragment; see [`crate::html`] for
    /// a page).
    pub fn to_html(&self) -> Result<String, ReportError> {
        render::html(self)
    }

    /// The table as GitHub-flavoured Markdown.
    pub fn to_markdown(&self) -> Result<String, ReportError> {
        render::markdown(self)
    }

    /// The table as CSV (RFC 4180 quoting; one flattened header row; no
    /// title or footnotes, so that the file is plain data).
    pub fn to_csv(&self) -> Result<String, ReportError> {
        render::csv(self)
    }

    /// The table as aligned plain text (terminal output; columns as wide
    /// as their widest cell, right-aligned where `align` says so).
    pub fn to_text(&self) -> Result<String, ReportError> {
        text::text(self)
    }

    /// The table as a LaTeX `table` with a booktabs `tabular` (needs
    /// `\usepackage{booktabs}`).
    pub fn to_latex(&self) -> Result<String, ReportError> {
        render::latex(self)
    }
}
