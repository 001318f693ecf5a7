//! The four renderers of [`Table`].

use std::fmt::Write;

use super::{Align, Table};
use crate::ReportError;
use crate::csv::field as csv_field;

/// Escapes text for HTML element content and attribute values.
pub(crate) fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn css_align(a: Align) -> &'static str {
    match a {
        Align::Left => "left",
        Align::Center => "center",
        Align::Right => "right",
    }
}

pub(super) fn html(t: &Table) -> Result<String, ReportError> {
    let n = t.columns()?;
    let mut s = String::from("<table class=\"netra-table\">\n");
    if !t.title.is_empty() {
        let _ = writeln!(s, "<caption>{}</caption>", html_escape(&t.title));
    }
    if !t.header.is_empty() {
        s.push_str("<thead>\n");
        for row in &t.header {
            s.push_str("<tr>");
            let mut j = 0;
            for cell in row {
                let align = if cell.colspan > 1 {
                    Align::Center
                } else {
                    t.align_of(j)
                };
                let span = if cell.colspan > 1 {
                    format!(" colspan=\"{}\"", cell.colspan)
                } else {
                    String::new()
                };
                let class = if cell.colspan > 1 && !cell.text.trim().is_empty() {
                    " class=\"span\""
                } else {
                    ""
                };
                let _ = write!(
                    s,
                    "<th scope=\"col\"{span}{class} style=\"text-align:{}\">{}</th>",
                    css_align(align),
                    html_escape(&cell.text)
                );
                j += cell.colspan;
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</thead>\n");
    }
    s.push_str("<tbody>\n");
    for row in &t.body {
        s.push_str("<tr>");
        let mut j = 0;
        for (k, cell) in row.cells.iter().enumerate() {
            let mut style = format!("text-align:{}", css_align(t.align_of(j)));
            if k == 0 && row.indent > 0 {
                let _ = write!(
                    style,
                    ";padding-left:{}em",
                    0.4 + 1.2 * f64::from(row.indent)
                );
            }
            let span = if cell.colspan > 1 {
                format!(" colspan=\"{}\"", cell.colspan)
            } else {
                String::new()
            };
            let text = html_escape(&cell.text);
            let text = if k == 0 && row.emphasis {
                format!("<strong>{text}</strong>")
            } else {
                text
            };
            let _ = write!(s, "<td{span} style=\"{style}\">{text}</td>");
            j += cell.colspan;
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n");
    if !t.footnotes.is_empty() {
        s.push_str("<tfoot>\n");
        for note in &t.footnotes {
            let _ = writeln!(
                s,
                "<tr><td colspan=\"{n}\" class=\"footnote\">{}</td></tr>",
                html_escape(note)
            );
        }
        s.push_str("</tfoot>\n");
    }
    s.push_str("</table>\n");
    Ok(s)
}

/// Escapes Markdown inline syntax and the table's pipe.
pub(crate) fn markdown_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '#' => {
                out.push('\\');
                out.push(c);
            }
            // Only a '<' that could open an HTML tag ("<b", "</", "<!",
            // "<?") needs escaping; "<0.001" and "< 60" stay readable.
            '<' if chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push_str("&lt;")
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Two non-breaking spaces per indentation level: they survive Markdown
/// and CSV readers that trim ordinary spaces.
fn nbsp_indent(level: u8) -> String {
    "\u{a0}\u{a0}".repeat(usize::from(level))
}

/// The cells of a row expanded to one text per column (a spanning cell's
/// text in its first column).
fn expand(cells: &[super::Cell], n: usize) -> Vec<&str> {
    let mut out = Vec::with_capacity(n);
    for c in cells {
        out.push(c.text.as_str());
        out.extend(std::iter::repeat_n("", c.colspan.saturating_sub(1)));
    }
    out
}

pub(super) fn markdown(t: &Table) -> Result<String, ReportError> {
    let n = t.columns()?;
    let mut s = String::new();
    if !t.title.is_empty() {
        let _ = writeln!(s, "**{}**\n", markdown_escape(&t.title));
    }
    let header = t.flat_header()?;
    s.push('|');
    for h in &header {
        let _ = write!(s, " {} |", markdown_escape(h));
    }
    s.push_str("\n|");
    for j in 0..n {
        s.push_str(match t.align_of(j) {
            Align::Left => " :--- |",
            Align::Center => " :---: |",
            Align::Right => " ---: |",
        });
    }
    s.push('\n');
    for row in &t.body {
        s.push('|');
        for (j, text) in expand(&row.cells, n).into_iter().enumerate() {
            let mut cell = markdown_escape(text);
            if j == 0 {
                if row.emphasis && !cell.is_empty() {
                    cell = format!("**{cell}**");
                }
                cell = format!("{}{cell}", nbsp_indent(row.indent));
            }
            let _ = write!(s, " {cell} |");
        }
        s.push('\n');
    }
    if !t.footnotes.is_empty() {
        s.push('\n');
        for note in &t.footnotes {
            let _ = writeln!(s, "{}  ", markdown_escape(note));
        }
    }
    Ok(s)
}

pub(super) fn csv(t: &Table) -> Result<String, ReportError> {
    let n = t.columns()?;
    let mut s = String::new();
    let header = t.flat_header()?;
    let line: Vec<String> = header.iter().map(|h| csv_field(h)).collect();
    s.push_str(&line.join(","));
    s.push('\n');
    for row in &t.body {
        let line: Vec<String> = expand(&row.cells, n)
            .into_iter()
            .enumerate()
            .map(|(j, text)| {
                if j == 0 {
                    csv_field(&format!("{}{text}", "  ".repeat(usize::from(row.indent))))
                } else {
                    csv_field(text)
                }
            })
            .collect();
        s.push_str(&line.join(","));
        s.push('\n');
    }
    Ok(s)
}

/// Escapes LaTeX's special characters and maps the typographic characters
/// the tables use (±, ≥, ≤, −, –, —, µ, ×, ·, °, χ², ¹¹¹In, non-breaking
/// space) to commands that work with pdfLaTeX's default encoding. The
/// result is plain ASCII, so pdfLaTeX never meets a Unicode character it
/// has no definition for ("Unicode character χ not set up for use with
/// LaTeX"): Greek letters become math, super- and subscript digits
/// `\textsuperscript`/`\textsubscript`, accented Latin letters accent
/// commands, and a character with no mapping becomes `?`.
pub(crate) fn latex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\textbackslash{}"),
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '<' => out.push_str("\\textless{}"),
            '>' => out.push_str("\\textgreater{}"),
            '±' => out.push_str("$\\pm$"),
            '≥' => out.push_str("$\\geq$"),
            '≤' => out.push_str("$\\leq$"),
            '−' => out.push_str("$-$"),
            '–' => out.push_str("--"),
            '—' => out.push_str("---"),
            'µ' | 'μ' => out.push_str("$\\mu$"),
            '×' => out.push_str("$\\times$"),
            '·' => out.push_str("$\\cdot$"),
            '°' => out.push_str("\\textdegree{}"),
            '\u{a0}' => out.push('~'),
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii() => out.push(c),
            c => out.push_str(&latex_unicode(c)),
        }
    }
    out
}

/// A non-ASCII character as pdfLaTeX reads it with its default encoding.
fn latex_unicode(c: char) -> String {
    const GREEK: &[(char, &str)] = &[
        ('α', "alpha"),
        ('β', "beta"),
        ('γ', "gamma"),
        ('δ', "delta"),
        ('ε', "varepsilon"),
        ('η', "eta"),
        ('θ', "theta"),
        ('κ', "kappa"),
        ('λ', "lambda"),
        ('ν', "nu"),
        ('π', "pi"),
        ('ρ', "rho"),
        ('σ', "sigma"),
        ('τ', "tau"),
        ('φ', "phi"),
        ('χ', "chi"),
        ('ψ', "psi"),
        ('ω', "omega"),
        ('Δ', "Delta"),
        ('Σ', "Sigma"),
    ];
    const SYMBOLS: &[(char, &str)] = &[
        ('≠', "$\\neq$"),
        ('≈', "$\\approx$"),
        ('→', "$\\rightarrow$"),
        ('←', "$\\leftarrow$"),
        ('↑', "$\\uparrow$"),
        ('↓', "$\\downarrow$"),
        ('∞', "$\\infty$"),
        ('√', "$\\surd$"),
        ('…', "\\dots{}"),
        ('‘', "`"),
        ('’', "'"),
        ('“', "``"),
        ('”', "''"),
        ('•', "\\textbullet{}"),
        ('†', "\\dag{}"),
        ('‡', "\\ddag{}"),
        ('§', "\\S{}"),
        ('¶', "\\P{}"),
        ('©', "\\copyright{}"),
        ('®', "\\textregistered{}"),
        ('½', "$\\frac{1}{2}$"),
        ('¼', "$\\frac{1}{4}$"),
        ('¾', "$\\frac{3}{4}$"),
        ('ß', "\\ss{}"),
        ('æ', "\\ae{}"),
        ('Æ', "\\AE{}"),
        ('œ', "\\oe{}"),
        ('Œ', "\\OE{}"),
        ('ø', "\\o{}"),
        ('Ø', "\\O{}"),
        ('å', "\\aa{}"),
        ('Å', "\\AA{}"),
        ('ı', "\\i{}"),
        ('\u{2009}', "\\,"),
        ('\u{202f}', "\\,"),
    ];
    if let Some((_, name)) = GREEK.iter().find(|(g, _)| *g == c) {
        return format!("$\\{name}$");
    }
    if let Some((_, tex)) = SYMBOLS.iter().find(|(g, _)| *g == c) {
        return (*tex).to_string();
    }
    const SUPER: &str = "⁰¹²³⁴⁵⁶⁷⁸⁹";
    const SUB: &str = "₀₁₂₃₄₅₆₇₈₉";
    if let Some(d) = SUPER.chars().position(|x| x == c) {
        return format!("\\textsuperscript{{{d}}}");
    }
    if c == '⁺' {
        return "\\textsuperscript{+}".into();
    }
    if c == '⁻' {
        return "\\textsuperscript{$-$}".into();
    }
    if let Some(d) = SUB.chars().position(|x| x == c) {
        return format!("\\textsubscript{{{d}}}");
    }
    // Accented Latin letters: base letter and accent command.
    const ACCENTS: &[(&str, char, &str)] = &[
        ("àèìòùÀÈÌÒÙ", '`', "aeiouAEIOU"),
        ("áéíóúýÁÉÍÓÚÝćńśźĆŃŚŹ", '\'', "aeiouyAEIOUYcnszCNSZ"),
        ("âêîôûÂÊÎÔÛ", '^', "aeiouAEIOU"),
        ("äëïöüÿÄËÏÖÜ", '"', "aeiouyAEIOU"),
        ("ãñõÃÑÕ", '~', "anoANO"),
    ];
    for (set, accent, base) in ACCENTS {
        if let Some(k) = set.chars().position(|x| x == c)
            && let Some(b) = base.chars().nth(k)
        {
            // Dotless i under an accent, as LaTeX wants it.
            let b = if b == 'i' {
                "\\i".to_string()
            } else {
                b.to_string()
            };
            return format!("\\{accent}{{{b}}}");
        }
    }
    const CEDILLA: &[(char, &str)] = &[('ç', "\\c{c}"), ('Ç', "\\c{C}")];
    const CARON: &[(char, &str)] = &[
        ('č', "\\v{c}"),
        ('š', "\\v{s}"),
        ('ž', "\\v{z}"),
        ('ř', "\\v{r}"),
        ('ě', "\\v{e}"),
        ('Č', "\\v{C}"),
        ('Š', "\\v{S}"),
        ('Ž', "\\v{Z}"),
    ];
    if let Some((_, tex)) = CEDILLA.iter().chain(CARON).find(|(g, _)| *g == c) {
        return (*tex).to_string();
    }
    "?".into()
}

pub(super) fn latex(t: &Table) -> Result<String, ReportError> {
    let n = t.columns()?;
    let spec: String = (0..n)
        .map(|j| match t.align_of(j) {
            Align::Left => 'l',
            Align::Center => 'c',
            Align::Right => 'r',
        })
        .collect();
    let mut s =
        String::from("% Requires \\usepackage{booktabs}\n\\begin{table}[htbp]\n\\centering\n");
    if !t.title.is_empty() {
        let _ = writeln!(s, "\\caption{{{}}}", latex_escape(&t.title));
    }
    let _ = writeln!(s, "\\begin{{tabular}}{{{spec}}}\n\\toprule");
    for (i, row) in t.header.iter().enumerate() {
        let mut cells = Vec::new();
        let mut rules = Vec::new();
        let mut j = 0;
        for cell in row {
            let text = latex_escape(&cell.text);
            if cell.colspan > 1 {
                cells.push(format!("\\multicolumn{{{}}}{{c}}{{{text}}}", cell.colspan));
                if !cell.text.trim().is_empty() && i + 1 < t.header.len() {
                    rules.push(format!("\\cmidrule(lr){{{}-{}}}", j + 1, j + cell.colspan));
                }
            } else {
                cells.push(text);
            }
            j += cell.colspan;
        }
        let _ = writeln!(s, "{} \\\\", cells.join(" & "));
        if !rules.is_empty() {
            let _ = writeln!(s, "{}", rules.join(" "));
        }
    }
    if !t.header.is_empty() {
        s.push_str("\\midrule\n");
    }
    for row in &t.body {
        let cells: Vec<String> = row
            .cells
            .iter()
            .enumerate()
            .map(|(k, cell)| {
                let mut text = latex_escape(&cell.text);
                if k == 0 {
                    if row.emphasis && !text.is_empty() {
                        text = format!("\\textbf{{{text}}}");
                    }
                    if row.indent > 0 {
                        text = format!("\\hspace{{{}em}}{text}", row.indent);
                    }
                }
                if cell.colspan > 1 {
                    let a = match t.align_of(0) {
                        Align::Left => 'l',
                        Align::Center => 'c',
                        Align::Right => 'r',
                    };
                    format!("\\multicolumn{{{}}}{{{a}}}{{{text}}}", cell.colspan)
                } else {
                    text
                }
            })
            .collect();
        let _ = writeln!(s, "{} \\\\", cells.join(" & "));
    }
    s.push_str("\\bottomrule\n\\end{tabular}\n");
    for note in &t.footnotes {
        let _ = writeln!(
            s,
            "\\par\\smallskip{{\\footnotesize {}\\par}}",
            latex_escape(note)
        );
    }
    s.push_str("\\end{table}\n");
    Ok(s)
}

#[cfg(test)]
mod latex_tests {
    use super::latex_escape;

    #[test]
    fn latex_is_ascii_for_what_pdflatex_cannot_read() {
        let text = "\u{3c7}\u{b2} = 3.2; \u{b9}\u{b9}\u{b9}In-pentetreotide; Ga\u{2076}\u{2078}; \
                    H\u{2082}O; Müller, Žižek, Ångström; ≠ → … \u{2620}";
        let tex = latex_escape(text);
        assert!(tex.is_ascii(), "{tex}");
        assert!(
            tex.starts_with("$\\chi$\\textsuperscript{2} = 3.2"),
            "{tex}"
        );
        assert!(
            tex.contains("\\textsuperscript{1}\\textsuperscript{1}\\textsuperscript{1}In"),
            "{tex}"
        );
        assert!(tex.contains("H\\textsubscript{2}O"), "{tex}");
        assert!(tex.contains("M\\\"{u}ller"), "{tex}");
        assert!(tex.contains("\\v{Z}i\\v{z}ek"), "{tex}");
        assert!(tex.contains("\\AA{}ngstr\\\"{o}m"), "{tex}");
        // A character without a mapping is a visible '?', not a compile error.
        assert!(tex.ends_with('?'), "{tex}");
    }
}
