//! A one-page HTML report that opens offline: inline CSS, figures inlined
//! as SVG, no scripts, no external fonts, images or style sheets.
//!
//! A report is a title and a list of sections; a section is a heading and
//! blocks (paragraphs, tables, figures, preformatted text). Tables and
//! figures are numbered in order of appearance ("Table 2.", "Figure 3.").
//! The page is print-friendly (A4, tables and figures not split across
//! pages) and byte-identical for identical input: whatever should identify
//! the run (netra version, data hashes) is passed in by the caller as text.

use std::fmt::Write;

use crate::ReportError;
use crate::table::Table;
use crate::table::render::html_escape;

/// One block of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of plain text.
    Paragraph(String),
    /// A table (numbered; its title becomes the caption).
    Table(Table),
    /// A figure: an SVG document produced by [`crate::figure`] and its
    /// caption (numbered).
    Figure {
        /// The SVG document.
        svg: String,
        /// Caption under the figure.
        caption: String,
    },
    /// Monospaced text (a model summary, a command line).
    Preformatted(String),
}

/// A section: heading and blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Heading.
    pub heading: String,
    /// Content in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section.
    pub fn new(heading: impl Into<String>) -> Section {
        Section {
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    /// Appends a paragraph.
    pub fn paragraph(mut self, text: impl Into<String>) -> Section {
        self.blocks.push(Block::Paragraph(text.into()));
        self
    }

    /// Appends a table.
    pub fn table(mut self, table: Table) -> Section {
        self.blocks.push(Block::Table(table));
        self
    }

    /// Appends a figure.
    pub fn figure(mut self, svg: impl Into<String>, caption: impl Into<String>) -> Section {
        self.blocks.push(Block::Figure {
            svg: svg.into(),
            caption: caption.into(),
        });
        self
    }

    /// Appends preformatted text.
    pub fn preformatted(mut self, text: impl Into<String>) -> Section {
        self.blocks.push(Block::Preformatted(text.into()));
        self
    }
}

/// A report page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// Title (also the page's `<title>`).
    pub title: String,
    /// Line under the title (study, data source), may be empty.
    pub subtitle: String,
    /// Sections in order.
    pub sections: Vec<Section>,
    /// Small print at the end (software version, data hashes), may be empty.
    pub footer: String,
}

const CSS: &str = r#"
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #ffffff; color: #111111;
  font-family: 'Liberation Sans', Arimo, Arial, Helvetica, sans-serif; font-size: 15px; line-height: 1.45; }
main { max-width: 820px; margin: 0 auto; padding: 28px 24px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
.subtitle { color: #444444; margin: 0 0 18px; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #cccccc; }
nav ol { margin: 6px 0 0; padding-left: 22px; }
nav a { color: #0b4f8a; text-decoration: none; }
p { margin: 8px 0; }
pre { font-family: 'Liberation Mono', Cousine, Menlo, Consolas, monospace; font-size: 12.5px;
  background: #f6f6f6; padding: 10px 12px; overflow-x: auto; white-space: pre; }
.table-wrap { overflow-x: auto; margin: 14px 0 22px; }
table.netra-table { border-collapse: collapse; font-size: 13.5px; margin: 0 auto; min-width: 60%; }
table.netra-table caption { caption-side: top; text-align: left; font-weight: bold; padding: 0 0 6px; }
table.netra-table thead tr:first-child th { border-top: 2px solid #000000; }
table.netra-table thead tr:last-child th { border-bottom: 1px solid #000000; }
table.netra-table th.span { border-bottom: 1px solid #000000; }
table.netra-table th, table.netra-table td { padding: 3px 9px; vertical-align: top; }
table.netra-table tbody tr:last-child td { border-bottom: 2px solid #000000; }
table.netra-table td.footnote { font-size: 12px; color: #333333; padding-top: 6px; }
figure { margin: 18px 0 26px; text-align: center; }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 13.5px; text-align: left; margin-top: 6px; }
footer { margin-top: 40px; font-size: 12px; color: #555555; border-top: 1px solid #cccccc; padding-top: 8px; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure, .table-wrap, pre { break-inside: avoid; }
  .table-wrap { overflow: visible; }
}
"#;

/// True when some tag has an attribute that looks like an event handler
/// (` onload=`); text between tags is not looked at.
fn has_event_handler(lower: &str) -> bool {
    lower.split('<').skip(1).any(|segment| {
        let tag = segment.split('>').next().unwrap_or("");
        tag.match_indices(char::is_whitespace).any(|(i, _)| {
            let rest = tag[i + 1..].trim_start();
            rest.strip_prefix("on").is_some_and(|r| {
                let n = r.bytes().take_while(u8::is_ascii_lowercase).count();
                n > 0 && r[n..].trim_start().starts_with('=')
            })
        })
    })
}

/// Checks that an SVG is a plain figure document before inlining it.
fn inline_svg(svg: &str) -> Result<&str, ReportError> {
    let body = svg.trim();
    let body = match body.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r.trim_start()),
        None => body,
    };
    if !body.starts_with("<svg") {
        return Err(ReportError::InvalidOption(
            "a figure block must hold an SVG document".into(),
        ));
    }
    let lower = body.to_ascii_lowercase();
    if lower.contains("<script")
        || lower.contains("<foreignobject")
        || lower.contains("javascript:")
        || has_event_handler(&lower)
    {
        return Err(ReportError::InvalidOption(
            "figures may not contain scripts".into(),
        ));
    }
    if lower.contains("href=\"http") || lower.contains("url(http") {
        return Err(ReportError::InvalidOption(
            "figures may not reference external resources".into(),
        ));
    }
    Ok(body)
}

impl Report {
    /// A report with a title and no sections.
    pub fn new(title: impl Into<String>) -> Report {
        Report {
            title: title.into(),
            ..Report::default()
        }
    }

    /// The page as a complete HTML document.
    pub fn to_html(&self) -> Result<String, ReportError> {
        let mut s = String::with_capacity(64 * 1024);
        let _ = write!(
            s,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"netra\">\n<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
            html_escape(&self.title),
            CSS
        );
        let _ = writeln!(s, "<h1>{}</h1>", html_escape(&self.title));
        if !self.subtitle.is_empty() {
            let _ = writeln!(
                s,
                "<p class=\"subtitle\">{}</p>",
                html_escape(&self.subtitle)
            );
        }
        if self.sections.len() > 2 {
            s.push_str("<nav><strong>Contents</strong>\n<ol>\n");
            for (i, sec) in self.sections.iter().enumerate() {
                let _ = writeln!(
                    s,
                    "<li><a href=\"#section-{}\">{}</a></li>",
                    i + 1,
                    html_escape(&sec.heading)
                );
            }
            s.push_str("</ol>\n</nav>\n");
        }
        let (mut n_table, mut n_figure) = (0, 0);
        for (i, sec) in self.sections.iter().enumerate() {
            let _ = writeln!(
                s,
                "<section id=\"section-{}\">\n<h2>{}</h2>",
                i + 1,
                html_escape(&sec.heading)
            );
            for block in &sec.blocks {
                match block {
                    Block::Paragraph(text) => {
                        let _ = writeln!(s, "<p>{}</p>", html_escape(text));
                    }
                    Block::Preformatted(text) => {
                        let _ = writeln!(s, "<pre>{}</pre>", html_escape(text));
                    }
                    Block::Table(table) => {
                        n_table += 1;
                        let mut t = table.clone();
                        t.title = if t.title.is_empty() {
                            format!("Table {n_table}.")
                        } else {
                            format!("Table {n_table}. {}", t.title)
                        };
                        let _ = write!(s, "<div class=\"table-wrap\">\n{}</div>\n", t.to_html()?);
                    }
                    Block::Figure { svg, caption } => {
                        n_figure += 1;
                        let body = inline_svg(svg)?;
                        let _ = write!(
                            s,
                            "<figure>\n{}\n<figcaption><strong>Figure {n_figure}.</strong> {}</figcaption>\n</figure>\n",
                            body.trim_end(),
                            html_escape(caption)
                        );
                    }
                }
            }
            s.push_str("</section>\n");
        }
        if !self.footer.is_empty() {
            let _ = writeln!(s, "<footer>{}</footer>", html_escape(&self.footer));
        }
        s.push_str("</main>\n</body>\n</html>\n");
        Ok(s)
    }
}
