//! Publication figures as SVG (and PNG through [`crate::png`]).
//!
//! Each figure is a plain input struct — numbers and labels, with
//! constructors from the `netra-stats` types where they exist — and a
//! [`Figure::to_svg`] that lays it out. Sizes are CSS pixels (1/96 inch):
//! the default widths (about 6.7 inches) fit a journal's double column and
//! stay legible reduced to one column (3.5 inches: the 12 px default text
//! becomes about 6.5 pt). Every element a test or a reader may want to find
//! carries a `class` and `data-*` attributes with the values it shows.

pub mod forest;
pub mod km;
pub mod love;
pub mod sankey;
pub mod spider;
pub mod subgroup;
pub mod swimmer;
pub mod waterfall;
pub mod weighted;

use crate::ReportError;
use crate::font::text_width;
use crate::svg::{N, PathData, Svg};

/// A figure that can be written as SVG and, with the `png` feature, as PNG.
pub trait Figure {
    /// The figure as a standalone SVG document (same input, same bytes).
    fn to_svg(&self) -> Result<String, ReportError>;

    /// The figure as a PNG at `dpi` dots per inch (300 for print).
    #[cfg(feature = "png")]
    fn to_png(&self, dpi: f64) -> Result<Vec<u8>, ReportError> {
        crate::png::svg_to_png(&self.to_svg()?, dpi)
    }
}

/// Width, default text size and line widths shared by the figures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    /// Total width in px.
    pub width: f64,
    /// Base text size in px.
    pub font_size: f64,
    /// Width of data lines in px.
    pub line_width: f64,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            width: 640.0,
            font_size: 12.0,
            line_width: 1.6,
        }
    }
}

impl Style {
    /// Checks that the sizes can hold a figure.
    pub(crate) fn check(&self) -> Result<(), ReportError> {
        if !(self.width.is_finite() && (200.0..=10_000.0).contains(&self.width)) {
            return Err(ReportError::InvalidOption(format!(
                "figure width must be between 200 and 10000 px, got {}",
                self.width
            )));
        }
        if !(self.font_size.is_finite() && (4.0..=72.0).contains(&self.font_size)) {
            return Err(ReportError::InvalidOption(format!(
                "font size must be between 4 and 72 px, got {}",
                self.font_size
            )));
        }
        if !(self.line_width.is_finite() && self.line_width > 0.0 && self.line_width <= 20.0) {
            return Err(ReportError::InvalidOption(format!(
                "line width must be in (0, 20] px, got {}",
                self.line_width
            )));
        }
        Ok(())
    }
}

/// What a legend entry shows beside its label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Swatch {
    /// A short line in the colour.
    Line(&'static str),
    /// A filled square.
    Box(&'static str),
    /// A marker shape.
    Marker(swimmer::Marker),
}

/// One legend entry.
#[derive(Debug, Clone)]
pub(crate) struct LegendItem {
    pub label: String,
    pub swatch: Swatch,
}

const SWATCH_W: f64 = 18.0;

fn item_width(item: &LegendItem, font: f64) -> f64 {
    SWATCH_W + 5.0 + text_width(&item.label, font, false)
}

/// Height of a legend laid out in rows within `max_width`.
pub(crate) fn legend_height(items: &[LegendItem], max_width: f64, font: f64) -> f64 {
    legend_rows(items, max_width, font).len() as f64 * font * 1.5
}

fn legend_rows(items: &[LegendItem], max_width: f64, font: f64) -> Vec<Vec<(usize, f64)>> {
    let gap = font * 1.4;
    let mut rows: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut x = 0.0;
    for (i, item) in items.iter().enumerate() {
        let w = item_width(item, font);
        match rows.last_mut() {
            Some(row) if x + gap + w <= max_width => {
                x += gap;
                row.push((i, x));
                x += w;
            }
            _ => {
                rows.push(vec![(i, 0.0)]);
                x = w;
            }
        }
    }
    rows
}

/// Draws a legend as `<g class="legend">` starting at (x, y) (top-left),
/// rows wrapped within `max_width`.
pub(crate) fn draw_legend(
    svg: &mut Svg,
    items: &[LegendItem],
    x: f64,
    y: f64,
    max_width: f64,
    font: f64,
) {
    if items.is_empty() {
        return;
    }
    svg.open("g", &[("class", &"legend")]);
    for (r, row) in legend_rows(items, max_width, font).iter().enumerate() {
        let cy = y + font * 1.5 * (r as f64 + 0.5);
        for &(i, dx) in row {
            let item = &items[i];
            let sx = x + dx;
            svg.open(
                "g",
                &[("class", &"legend-item"), ("data-label", &item.label)],
            );
            draw_swatch(svg, item.swatch, sx, cy);
            svg.text(
                sx + SWATCH_W + 5.0,
                cy + font * 0.35,
                "start",
                &item.label,
                &[],
            );
            svg.close();
        }
    }
    svg.close();
}

fn draw_swatch(svg: &mut Svg, swatch: Swatch, x: f64, cy: f64) {
    match swatch {
        Swatch::Line(c) => {
            let mut d = PathData::new();
            d.move_to(x, cy).h(x + SWATCH_W);
            svg.empty(
                "path",
                &[
                    ("d", &d),
                    ("stroke", &c),
                    ("stroke-width", &2.5),
                    ("fill", &"none"),
                ],
            );
        }
        Swatch::Box(c) => {
            svg.empty(
                "rect",
                &[
                    ("x", &N(x + 3.0)),
                    ("y", &N(cy - 6.0)),
                    ("width", &12),
                    ("height", &12),
                    ("fill", &c),
                    ("stroke", &"#333333"),
                    ("stroke-width", &0.5),
                ],
            );
        }
        Swatch::Marker(m) => swimmer::draw_marker(svg, m, x + SWATCH_W / 2.0, cy, 5.0),
    }
}

/// A title line at the top of a figure, bold; returns the height used.
pub(crate) fn draw_title(svg: &mut Svg, title: &str, x: f64, font: f64) -> f64 {
    if title.is_empty() {
        return 0.0;
    }
    svg.text(
        x,
        font * 1.35,
        "start",
        title,
        &[
            ("class", &"figure-title"),
            ("font-weight", &"bold"),
            ("font-size", &N(font * 1.15)),
        ],
    );
    font * 2.0
}

/// Formats a count: an integer when whole, else one decimal (case weights).
pub fn fmt_count(x: f64) -> String {
    if !x.is_finite() {
        return String::new();
    }
    if (x - x.round()).abs() < 1e-9 {
        format!("{}", x.round() as i64)
    } else {
        format!("{:.1}", x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_print_as_integers_unless_weighted() {
        assert_eq!(fmt_count(117.0), "117");
        assert_eq!(fmt_count(12.25), "12.2");
        assert_eq!(fmt_count(0.0), "0");
        assert_eq!(fmt_count(f64::NAN), "");
    }

    #[test]
    fn legend_wraps_within_the_width() {
        let items: Vec<LegendItem> = (0..6)
            .map(|i| LegendItem {
                label: format!("A fairly long group label {i}"),
                swatch: Swatch::Line("#000000"),
            })
            .collect();
        let rows = legend_rows(&items, 400.0, 12.0);
        assert!(rows.len() >= 3);
        for row in &rows {
            let (i, x) = *row.last().unwrap();
            assert!(x + item_width(&items[i], 12.0) <= 400.0 + 1e-9);
        }
    }
}
