//! A small SVG writer that produces the same bytes for the same input.
//!
//! Why hand-written: the figures use a dozen element types, and a writer of
//! our own guarantees what a crate would not promise — no ids (several
//! figures are inlined into one HTML page, where ids would collide), no
//! timestamps, attributes in the order written, and every number printed
//! with [`num`]: rounded to 0.01 px, trailing zeros dropped, never `-0`.

use std::fmt::{self, Display, Write};

/// The font list written on every figure. Liberation Sans is bundled (and
/// used for the PNG); Arimo, Arial and Helvetica share its advance widths,
/// so the layout computed from the bundled font holds in a browser too.
pub const FONT_FAMILY: &str = "'Liberation Sans', Arimo, Arial, Helvetica, sans-serif";

/// A coordinate or length printed with two decimals at most.
#[derive(Debug, Clone, Copy)]
pub struct N(pub f64);

impl Display for N {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&num(self.0))
    }
}

/// Formats a coordinate: rounded to 0.01, trailing zeros removed, `-0`
/// printed as `0`, and a non-finite value (which layout code never passes
/// on purpose) as `0` so that the document stays valid.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return "0".to_string();
    }
    let mut s = format!("{:.2}", x);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".to_string();
    }
    s
}

/// Escapes text for an XML attribute value or text node.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters are not allowed in XML 1.0; drop them.
            c if (c as u32) < 0x20 && c != '\t' && c != '\n' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// The digit of a Unicode superscript character (`¹` → `1`).
fn superscript_digit(c: char) -> Option<char> {
    match c {
        '⁰' => Some('0'),
        '¹' => Some('1'),
        '²' => Some('2'),
        '³' => Some('3'),
        '⁴'..='⁹' => char::from_digit(c as u32 - '⁴' as u32 + 4, 10),
        _ => None,
    }
}

/// A `<text>`'s content, escaped, with each run of Unicode superscript
/// digits (nuclides: `¹¹¹In`, `⁹⁰Y`) written as ordinary digits in a
/// raised, smaller `<tspan>`: the bundled font has no `⁰`, so the PNG
/// renderer would draw a missing glyph where a browser falls back to
/// another font; raised digits look the same everywhere.
fn text_content(text: &str) -> String {
    if !text.chars().any(|c| superscript_digit(c).is_some()) {
        return escape(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if !run.is_empty() {
            out.push_str("<tspan baseline-shift=\"super\" font-size=\"70%\">");
            out.push_str(run);
            out.push_str("</tspan>");
            run.clear();
        }
    };
    let mut plain = String::new();
    for c in text.chars() {
        match superscript_digit(c) {
            Some(d) => {
                out.push_str(&escape(&plain));
                plain.clear();
                run.push(d);
            }
            None => {
                flush(&mut run, &mut out);
                plain.push(c);
            }
        }
    }
    flush(&mut run, &mut out);
    out.push_str(&escape(&plain));
    out
}

/// Attribute list: name and any displayable value (escaped when written).
pub type Attrs<'a> = &'a [(&'a str, &'a dyn Display)];

/// An SVG document being written.
#[derive(Debug)]
pub struct Svg {
    buf: String,
    open: Vec<&'static str>,
}

impl Svg {
    /// Starts a document of `width` × `height` px with a white background,
    /// a `<title>` and a `class` naming the figure type.
    pub fn new(width: f64, height: f64, class: &str, title: &str, font_size: f64) -> Svg {
        let mut svg = Svg {
            buf: String::with_capacity(16 * 1024),
            open: Vec::new(),
        };
        let _ = writeln!(
            svg.buf,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"netra-figure {}\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"{}\" font-size=\"{}\" role=\"img\">",
            escape(class),
            N(width),
            N(height),
            N(width),
            N(height),
            escape(FONT_FAMILY),
            N(font_size)
        );
        svg.open.push("svg");
        let _ = writeln!(svg.buf, "<title>{}</title>", escape(title));
        svg.empty(
            "rect",
            &[
                ("class", &"background"),
                ("x", &0),
                ("y", &0),
                ("width", &N(width)),
                ("height", &N(height)),
                ("fill", &"#ffffff"),
            ],
        );
        svg
    }

    fn tag(&mut self, name: &str, attrs: Attrs<'_>) {
        self.buf.push('<');
        self.buf.push_str(name);
        for (k, v) in attrs {
            let value = v.to_string();
            let _ = write!(self.buf, " {}=\"{}\"", k, escape(&value));
        }
    }

    /// Opens an element that will hold children; close it with [`Svg::close`].
    pub fn open(&mut self, name: &'static str, attrs: Attrs<'_>) {
        self.tag(name, attrs);
        self.buf.push_str(">\n");
        self.open.push(name);
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            let _ = writeln!(self.buf, "</{name}>");
        }
    }

    /// Writes an element without children.
    pub fn empty(&mut self, name: &str, attrs: Attrs<'_>) {
        self.tag(name, attrs);
        self.buf.push_str("/>\n");
    }

    /// Writes an element whose only child is `text` (escaped).
    pub fn text_element(&mut self, name: &str, attrs: Attrs<'_>, text: &str) {
        self.tag(name, attrs);
        let _ = writeln!(self.buf, ">{}</{}>", escape(text), name);
    }

    /// Writes a `<text>` at (x, y) — y is the baseline — with an anchor
    /// (`start`, `middle`, `end`) and extra attributes.
    pub fn text(&mut self, x: f64, y: f64, anchor: &str, text: &str, extra: Attrs<'_>) {
        self.tag(
            "text",
            &[("x", &N(x)), ("y", &N(y)), ("text-anchor", &anchor)],
        );
        for (k, v) in extra {
            let value = v.to_string();
            let _ = write!(self.buf, " {}=\"{}\"", k, escape(&value));
        }
        let _ = writeln!(self.buf, ">{}</text>", text_content(text));
    }

    /// Writes a `<title>` child (a tooltip in browsers) for the open element.
    pub fn title(&mut self, text: &str) {
        let _ = writeln!(self.buf, "<title>{}</title>", escape(text));
    }

    /// Closes every open element and returns the document.
    pub fn finish(mut self) -> String {
        while !self.open.is_empty() {
            self.close();
        }
        self.buf
    }
}

/// Builds the `d` attribute of a path with absolute commands.
#[derive(Debug, Default, Clone)]
pub struct PathData(String);

impl PathData {
    /// An empty path.
    pub fn new() -> PathData {
        PathData(String::new())
    }

    fn cmd(&mut self, c: char) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push(c);
        self.0.push(' ');
    }

    /// Move to (x, y).
    pub fn move_to(&mut self, x: f64, y: f64) -> &mut Self {
        self.cmd('M');
        let _ = write!(self.0, "{},{}", N(x), N(y));
        self
    }

    /// Line to (x, y).
    pub fn line_to(&mut self, x: f64, y: f64) -> &mut Self {
        self.cmd('L');
        let _ = write!(self.0, "{},{}", N(x), N(y));
        self
    }

    /// Horizontal line to x.
    pub fn h(&mut self, x: f64) -> &mut Self {
        self.cmd('H');
        let _ = write!(self.0, "{}", N(x));
        self
    }

    /// Vertical line to y.
    pub fn v(&mut self, y: f64) -> &mut Self {
        self.cmd('V');
        let _ = write!(self.0, "{}", N(y));
        self
    }

    /// Cubic Bézier to (x, y) with control points (x1, y1), (x2, y2).
    pub fn curve_to(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, x: f64, y: f64) -> &mut Self {
        self.cmd('C');
        let _ = write!(
            self.0,
            "{},{} {},{} {},{}",
            N(x1),
            N(y1),
            N(x2),
            N(y2),
            N(x),
            N(y)
        );
        self
    }

    /// Close the subpath.
    pub fn close(&mut self) -> &mut Self {
        self.cmd('Z');
        self.0.pop();
        self
    }

    /// True when nothing was drawn.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The `d` attribute text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Display for PathData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuclide_superscripts_are_raised_digits() {
        assert_eq!(
            text_content("¹¹¹In & ⁹⁰Y"),
            "<tspan baseline-shift=\"super\" font-size=\"70%\">111</tspan>In &amp; \
             <tspan baseline-shift=\"super\" font-size=\"70%\">90</tspan>Y"
        );
        assert_eq!(text_content("a < b"), "a &lt; b");
    }

    #[test]
    fn numbers_are_fixed_and_never_negative_zero() {
        assert_eq!(num(1.0), "1");
        assert_eq!(num(1.5), "1.5");
        assert_eq!(num(1.234), "1.23");
        assert_eq!(num(1.235_000_1), "1.24");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(-2.5), "-2.5");
        assert_eq!(num(f64::NAN), "0");
        assert_eq!(num(100.0), "100");
    }

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut s = Svg::new(10.0, 10.0, "t", "a<b & \"c\"", 12.0);
        s.text(1.0, 2.0, "start", "x < y & z > 'w'", &[("data-k", &"<&>")]);
        let doc = s.finish();
        assert!(doc.contains("<title>a&lt;b &amp; &quot;c&quot;</title>"));
        assert!(doc.contains(">x &lt; y &amp; z &gt; &#39;w&#39;</text>"));
        assert!(doc.contains("data-k=\"&lt;&amp;&gt;\""));
        assert!(doc.ends_with("</svg>\n"));
        assert!(roxmltree::Document::parse(&doc).is_ok());
    }
}
