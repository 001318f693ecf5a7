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

/// A start tag of an inlined SVG: lower-case name and attributes (name,
/// value without its quotes).
struct Tag<'a> {
    name: &'a str,
    attrs: Vec<(&'a str, &'a str)>,
}

/// The start tags of `lower` (an SVG, lower-cased) as an HTML tokenizer
/// reads them: attribute values are taken whole, in their quotes, so text in
/// a value (a label "Age at onset = 60+" in an attribute) is never taken
/// for an attribute; text between tags, comments, CDATA and end tags are
/// skipped. `/` separates attributes as in HTML (`<svg/onload=...>`).
fn start_tags(lower: &str) -> Vec<Tag<'_>> {
    let b = lower.as_bytes();
    let mut tags = Vec::new();
    let mut i = 0;
    let skip_to = |from: usize, end: &str| {
        lower[from..]
            .find(end)
            .map_or(lower.len(), |k| from + k + end.len())
    };
    while let Some(k) = lower[i..].find('<') {
        let open = i + k + 1;
        let rest = &lower[open..];
        if rest.starts_with("!--") {
            i = skip_to(open, "-->");
            continue;
        }
        if rest.starts_with("![cdata[") {
            i = skip_to(open, "]]>");
            continue;
        }
        if rest.starts_with(['/', '!', '?']) {
            i = skip_to(open, ">");
            continue;
        }
        let sep = |c: u8| c.is_ascii_whitespace() || c == b'/' || c == b'>';
        let mut j = open;
        while j < b.len() && !sep(b[j]) {
            j += 1;
        }
        let mut tag = Tag {
            name: &lower[open..j],
            attrs: Vec::new(),
        };
        loop {
            while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b'/') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' {
                break;
            }
            let n0 = j;
            while j < b.len() && !sep(b[j]) && b[j] != b'=' {
                j += 1;
            }
            let name = &lower[n0..j];
            while j < b.len() && b[j].is_ascii_whitespace() {
                j += 1;
            }
            let mut value = "";
            if j < b.len() && b[j] == b'=' {
                j += 1;
                while j < b.len() && b[j].is_ascii_whitespace() {
                    j += 1;
                }
                if j < b.len() && (b[j] == b'"' || b[j] == b'\'') {
                    let q = b[j];
                    let v0 = j + 1;
                    j = v0;
                    while j < b.len() && b[j] != q {
                        j += 1;
                    }
                    value = &lower[v0..j];
                    j = (j + 1).min(b.len());
                } else {
                    let v0 = j;
                    while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b'>' {
                        j += 1;
                    }
                    value = &lower[v0..j];
                }
            }
            if name.is_empty() {
                // A stray '=' (and what followed it, already read).
                continue;
            }
            tag.attrs.push((name, value));
        }
        tags.push(tag);
        i = j.min(lower.len());
    }
    tags
}

/// An attribute value as a browser reads it: character references decoded
/// (`&#106;avascript:` is `javascript:`) and the whitespace and control
/// characters that URL parsing ignores removed.
fn decoded(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(k) = rest.find('&') {
        out.push_str(&rest[..k]);
        let after = &rest[k + 1..];
        let end = after.find(';').filter(|&e| e <= 10);
        let decoded = end.and_then(|e| {
            let name = &after[..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "colon" => Some(':'),
                "tab" | "newline" => Some(' '),
                _ => name.strip_prefix('#').and_then(|n| {
                    let code = match n.strip_prefix('x') {
                        Some(h) => u32::from_str_radix(h, 16).ok(),
                        None => n.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Elements that run code or embed other documents.
const ACTIVE_ELEMENTS: [&str; 10] = [
    "script",
    "foreignobject",
    "iframe",
    "embed",
    "object",
    "handler",
    "listener",
    "set",
    "animate",
    "animatemotion",
];

/// Why an SVG's tags are not a plain figure: a script element, an event
/// handler attribute (`on…`), a script URL (`javascript:`) in an attribute
/// other than the inert `data-*`/`aria-*` ones, or an external resource in a
/// link. Labels are text or `data-*` values, so no label can trigger these
/// (before issue 13, a `data-label="Age at onset = 60+"` read as an
/// `onset=` handler).
fn unsafe_svg(lower: &str) -> Option<&'static str> {
    for tag in start_tags(lower) {
        if ACTIVE_ELEMENTS.contains(&tag.name) {
            return Some("figures may not contain scripts");
        }
        for (name, value) in &tag.attrs {
            if name.starts_with("on") {
                return Some("figures may not contain scripts");
            }
            // data-* and aria-* values are inert text (labels live there).
            if name.starts_with("data-") || name.starts_with("aria-") {
                continue;
            }
            let v = decoded(value);
            if ["javascript:", "vbscript:", "data:text/html"]
                .iter()
                .any(|s| v.contains(s))
            {
                return Some("figures may not contain scripts");
            }
            let link = matches!(*name, "href" | "xlink:href" | "src");
            if (link && (v.starts_with("http:") || v.starts_with("https:") || v.starts_with("//")))
                || v.contains("url(http")
                || v.contains("url(//")
            {
                return Some("figures may not reference external resources");
            }
        }
    }
    None
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
    // A raw script tag anywhere (even where the tokenizer above would not
    // look, such as a style element) is refused: labels are escaped, so a
    // figure of netra never holds one.
    if lower.contains("<script") || lower.contains("<foreignobject") {
        return Err(ReportError::InvalidOption(
            "figures may not contain scripts".into(),
        ));
    }
    if let Some(reason) = unsafe_svg(&lower) {
        return Err(ReportError::InvalidOption(reason.into()));
    }
    if lower.contains("url(http") && lower.contains("<style") {
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
