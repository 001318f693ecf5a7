//! Forest plot: one row per term (or subgroup) with its hazard ratio and
//! confidence interval on a log axis, a reference line at 1, and the
//! numbers printed beside the graphic ("HR (95% CI)" and p), as Cox and
//! subgroup results are published.
//!
//! Rows without a usable estimate (a reference level, a heading, a term
//! whose coefficient is infinite) are printed with their note and no
//! marker. Intervals reaching beyond the axis end in an arrow.

use super::{Figure, Style, draw_title};
use crate::ReportError;
use crate::axis::{Log, XAxis, log_ticks, tick_labels};
use crate::font::{max_width, text_width};
use crate::format::{MISSING, PStyle, fixed};
use crate::palette;
use crate::svg::{N, PathData, Svg};

/// One row of a forest plot.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestRow {
    /// Term or subgroup label.
    pub label: String,
    /// Indentation level (levels of a factor under its heading).
    pub indent: u8,
    /// Bold heading row (a variable name above its levels).
    pub heading: bool,
    /// Hazard (or odds) ratio.
    pub estimate: Option<f64>,
    /// Lower confidence limit.
    pub lower: Option<f64>,
    /// Upper confidence limit.
    pub upper: Option<f64>,
    /// p-value.
    pub p: Option<f64>,
    /// Text in the estimate column when there is no estimate
    /// ("1 (reference)", "not estimable").
    pub note: Option<String>,
}

impl ForestRow {
    /// A row with an estimate and its interval.
    pub fn new(
        label: impl Into<String>,
        estimate: f64,
        lower: f64,
        upper: f64,
        p: Option<f64>,
    ) -> ForestRow {
        ForestRow {
            label: label.into(),
            indent: 0,
            heading: false,
            estimate: Some(estimate),
            lower: Some(lower),
            upper: Some(upper),
            p,
            note: None,
        }
    }

    /// A bold heading without numbers (a factor's name).
    pub fn heading(label: impl Into<String>) -> ForestRow {
        ForestRow {
            label: label.into(),
            indent: 0,
            heading: true,
            estimate: None,
            lower: None,
            upper: None,
            p: None,
            note: None,
        }
    }

    /// A factor's reference level: "1 (reference)", no marker.
    pub fn reference(label: impl Into<String>) -> ForestRow {
        ForestRow {
            note: Some("1 (reference)".into()),
            indent: 1,
            heading: false,
            ..ForestRow::heading(label)
        }
    }

    /// The same row indented by `level`.
    pub fn indented(mut self, level: u8) -> ForestRow {
        self.indent = level;
        self
    }

    /// The estimate and limits if they can be drawn on a log axis.
    fn drawable(&self) -> Option<(f64, f64, f64)> {
        let (e, l, u) = (self.estimate?, self.lower?, self.upper?);
        let ok = |v: f64| v.is_finite() && v > 0.0;
        (ok(e) && ok(l) && ok(u) && l <= e && e <= u).then_some((e, l, u))
    }
}

/// A forest plot.
#[derive(Debug, Clone, PartialEq)]
pub struct ForestFigure {
    /// Rows from top to bottom.
    pub rows: Vec<ForestRow>,
    /// Title above the figure (empty for none).
    pub title: String,
    /// Header of the label column.
    pub label_header: String,
    /// Header of the estimate column.
    pub estimate_header: String,
    /// Header of the p column (empty to omit the column).
    pub p_header: String,
    /// Axis title.
    pub x_label: String,
    /// Axis range; `None` for round values covering every interval and 1.
    pub x_range: Option<(f64, f64)>,
    /// Texts under the axis, left and right of 1 ("Favours treatment").
    pub favours: Option<(String, String)>,
    /// Decimals of the printed ratios.
    pub decimals: usize,
    /// How p-values are printed.
    pub p_style: PStyle,
    /// Width, text size, line width.
    pub style: Style,
}

impl ForestFigure {
    /// A hazard-ratio forest plot with the usual headers.
    pub fn hazard_ratios(rows: Vec<ForestRow>) -> ForestFigure {
        ForestFigure {
            rows,
            title: String::new(),
            label_header: "Variable".into(),
            estimate_header: "HR (95% CI)".into(),
            p_header: "p".into(),
            x_label: "Hazard ratio (log scale)".into(),
            x_range: None,
            favours: None,
            decimals: 2,
            p_style: PStyle::default(),
            style: Style::default(),
        }
    }

    fn estimate_text(&self, row: &ForestRow) -> String {
        if let Some((e, l, u)) = row.drawable() {
            format!(
                "{} ({}\u{2013}{})",
                fixed(Some(e), self.decimals),
                fixed(Some(l), self.decimals),
                fixed(Some(u), self.decimals)
            )
        } else if let Some(note) = &row.note {
            note.clone()
        } else if row.heading {
            String::new()
        } else {
            MISSING.to_string()
        }
    }

    fn range(&self) -> Result<(f64, f64), ReportError> {
        if let Some((lo, hi)) = self.x_range {
            if !(lo.is_finite() && hi.is_finite() && lo > 0.0 && hi > lo) {
                return Err(ReportError::InvalidOption(format!(
                    "forest x range must satisfy 0 < lo < hi, got {lo}..{hi}"
                )));
            }
            return Ok((lo, hi));
        }
        let (mut lo, mut hi) = (1.0f64, 1.0f64);
        for (_, l, u) in self.rows.iter().filter_map(ForestRow::drawable) {
            lo = lo.min(l);
            hi = hi.max(u);
        }
        // Round outwards to 1-2-5 values, at least 0.5..2, at most 1e-3..1e3.
        let down = |v: f64| {
            let k = v.log10().floor();
            let base = 10f64.powf(k);
            [5.0, 2.0, 1.0]
                .into_iter()
                .map(|m| m * base)
                .find(|c| *c <= v * (1.0 + 1e-12))
                .unwrap_or(base)
        };
        let up = |v: f64| {
            let k = v.log10().floor();
            let base = 10f64.powf(k);
            [1.0, 2.0, 5.0, 10.0]
                .into_iter()
                .map(|m| m * base)
                .find(|c| *c >= v * (1.0 - 1e-12))
                .unwrap_or(10.0 * base)
        };
        let lo = crate::axis::clean(down(lo.min(0.5)).max(1e-3));
        let hi = crate::axis::clean(up(hi.max(2.0)).min(1e3));
        Ok((lo, hi))
    }
}

impl Figure for ForestFigure {
    fn to_svg(&self) -> Result<String, ReportError> {
        self.style.check()?;
        if self.rows.is_empty() {
            return Err(ReportError::NoData("forest plot".into()));
        }
        let f = self.style.font_size;
        let (lo, hi) = self.range()?;
        let indent_w = f * 1.2;
        let label_w = self
            .rows
            .iter()
            .map(|r| f64::from(r.indent) * indent_w + text_width(&r.label, f, r.heading))
            .fold(text_width(&self.label_header, f, true), f64::max);
        let est_texts: Vec<String> = self.rows.iter().map(|r| self.estimate_text(r)).collect();
        let p_texts: Vec<String> = self
            .rows
            .iter()
            .map(|r| {
                if r.drawable().is_some() || r.p.is_some() {
                    self.p_style.format(r.p)
                } else {
                    String::new()
                }
            })
            .collect();
        let est_w = max_width(est_texts.iter().map(String::as_str), f, false).max(text_width(
            &self.estimate_header,
            f,
            true,
        ));
        let with_p = !self.p_header.is_empty();
        let p_w = if with_p {
            max_width(p_texts.iter().map(String::as_str), f, false).max(text_width(
                &self.p_header,
                f,
                true,
            ))
        } else {
            0.0
        };
        let gap = f * 1.5;
        let left = 6.0;
        let plot_x0 = (left + label_w + gap).ceil();
        let right_cols = est_w + if with_p { gap + p_w } else { 0.0 };
        let plot_x1 = self.style.width - 6.0 - right_cols - gap;
        if plot_x1 - plot_x0 < 100.0 {
            return Err(ReportError::InvalidOption(
                "figure too narrow for the forest plot's columns".into(),
            ));
        }
        let est_x = plot_x1 + gap; // left edge of the estimate column
        let p_x = self.style.width - 6.0; // right edge of the p column

        let title_h = if self.title.is_empty() { 0.0 } else { f * 2.0 };
        let header_y = 6.0 + title_h + f;
        let row_h = f * 1.8;
        let rows_top = header_y + f * 0.8;
        let rows_bottom = rows_top + row_h * self.rows.len() as f64;
        let axis_y = rows_bottom + 4.0;
        let favours_h = if self.favours.is_some() { f * 1.5 } else { 0.0 };
        let height = (axis_y + XAxis::height(f, !self.x_label.is_empty()) + favours_h + 8.0).ceil();

        let xs = Log::new(lo, hi, plot_x0, plot_x1);
        let title = if self.title.is_empty() {
            "Forest plot"
        } else {
            &self.title
        };
        let mut svg = Svg::new(self.style.width, height, "forest", title, f);
        draw_title(&mut svg, &self.title, left, f);

        // Column headers.
        svg.open("g", &[("class", &"header"), ("font-weight", &"bold")]);
        svg.text(left, header_y, "start", &self.label_header, &[]);
        svg.text(est_x, header_y, "start", &self.estimate_header, &[]);
        if with_p {
            svg.text(p_x, header_y, "end", &self.p_header, &[]);
        }
        svg.close();
        let mut rule = PathData::new();
        rule.move_to(left, rows_top).h(self.style.width - 6.0);
        svg.empty(
            "path",
            &[("d", &rule), ("stroke", &"#000000"), ("stroke-width", &0.8)],
        );

        // Reference line at 1.
        let mut refline = PathData::new();
        refline.move_to(xs.map(1.0), rows_top).v(rows_bottom);
        svg.empty(
            "path",
            &[
                ("class", &"reference-line"),
                ("data-value", &1),
                ("d", &refline),
                ("stroke", &palette::DARK_GREY),
                ("stroke-dasharray", &"4 3"),
                ("fill", &"none"),
            ],
        );

        let colour = palette::BLUE;
        for (i, row) in self.rows.iter().enumerate() {
            let cy = rows_top + row_h * (i as f64 + 0.5);
            let base = cy + f * 0.35;
            let index = i.to_string();
            svg.open(
                "g",
                &[
                    ("class", &"forest-row"),
                    ("data-row", &index),
                    ("data-label", &row.label),
                ],
            );
            let weight = if row.heading { "bold" } else { "normal" };
            svg.text(
                left + f64::from(row.indent) * indent_w,
                base,
                "start",
                &row.label,
                &[("class", &"row-label"), ("font-weight", &weight)],
            );
            svg.text(
                est_x,
                base,
                "start",
                &est_texts[i],
                &[("class", &"estimate-text")],
            );
            if with_p && !p_texts[i].is_empty() {
                svg.text(p_x, base, "end", &p_texts[i], &[("class", &"p-text")]);
            }
            if let Some((e, l, u)) = row.drawable() {
                let x_l = xs.map(l.max(lo));
                let x_u = xs.map(u.min(hi));
                let mut whisker = PathData::new();
                whisker.move_to(x_l, cy).h(x_u);
                let a = f * 0.35;
                if l < lo {
                    whisker
                        .move_to(x_l + a, cy - a)
                        .line_to(x_l, cy)
                        .line_to(x_l + a, cy + a);
                }
                if u > hi {
                    whisker
                        .move_to(x_u - a, cy - a)
                        .line_to(x_u, cy)
                        .line_to(x_u - a, cy + a);
                }
                svg.empty(
                    "path",
                    &[
                        ("class", &"ci"),
                        ("d", &whisker),
                        ("stroke", &"#000000"),
                        ("stroke-width", &1.2),
                        ("fill", &"none"),
                    ],
                );
                if e >= lo && e <= hi {
                    let s = f * 0.75;
                    svg.empty(
                        "rect",
                        &[
                            ("class", &"estimate"),
                            ("data-estimate", &e),
                            ("data-lower", &l),
                            ("data-upper", &u),
                            ("x", &N(xs.map(e) - s / 2.0)),
                            ("y", &N(cy - s / 2.0)),
                            ("width", &N(s)),
                            ("height", &N(s)),
                            ("fill", &colour),
                        ],
                    );
                }
            }
            svg.close();
        }

        let ticks = log_ticks(lo, hi);
        let labels = tick_labels(&ticks, 1.0);
        let pos: Vec<f64> = ticks.iter().map(|t| xs.map(*t)).collect();
        XAxis {
            positions: &pos,
            values: &ticks,
            labels: &labels,
            x0: plot_x0,
            x1: plot_x1,
            y: axis_y,
            font: f,
            title: &self.x_label,
        }
        .draw(&mut svg);
        if let Some((l, r)) = &self.favours {
            let y = height - 8.0 - f * 0.3;
            let x1 = xs.map(1.0);
            svg.text(
                x1 - f * 0.5,
                y,
                "end",
                &format!("\u{2190} {l}"),
                &[("class", &"favours")],
            );
            svg.text(
                x1 + f * 0.5,
                y,
                "start",
                &format!("{r} \u{2192}"),
                &[("class", &"favours")],
            );
        }
        Ok(svg.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_range_covers_intervals_and_one() {
        let f = ForestFigure::hazard_ratios(vec![
            ForestRow::new("a", 0.35, 0.27, 0.45, Some(1e-6)),
            ForestRow::new("b", 2.4, 1.1, 7.3, Some(0.03)),
        ]);
        assert_eq!(f.range().unwrap(), (0.2, 10.0));
        let g = ForestFigure::hazard_ratios(vec![ForestRow::new("a", 1.1, 0.9, 1.3, None)]);
        assert_eq!(g.range().unwrap(), (0.5, 2.0));
    }

    #[test]
    fn unusable_estimates_are_not_drawn() {
        assert!(
            ForestRow::new("x", f64::INFINITY, 1.0, f64::INFINITY, None)
                .drawable()
                .is_none()
        );
        assert!(
            ForestRow::new("x", 0.0, 0.0, 1.0, None)
                .drawable()
                .is_none()
        );
        assert!(
            ForestRow::new("x", 2.0, 3.0, 4.0, None)
                .drawable()
                .is_none()
        );
        assert!(ForestRow::reference("x").drawable().is_none());
    }
}
