//! Love plot: covariate balance before and after weighting — one row per
//! covariate (or factor level) with its standardised mean difference
//! before (open circle) and after (filled circle) weighting, dashed lines
//! at the balance threshold (±0.1 by default) and a solid line at 0. Rows
//! keep the order given (the balance table's order); an SMD that does not
//! exist (a constant covariate) has no marker.
//!
//! Built from the weighting analysis' balance rows
//! (`netra_analysis::analyses::weighting::BalanceOut`) by the surface; the
//! figure takes plain labels and numbers.

use netra_analysis::analyses::weighting::BalanceOut;

use super::{Figure, LegendItem, Style, Swatch, draw_legend, draw_title, legend_height};
use crate::ReportError;
use crate::axis::{Linear, XAxis, nice_ticks, tick_labels};
use crate::font::text_width;
use crate::palette;
use crate::svg::{N, PathData, Svg};

/// One covariate row.
#[derive(Debug, Clone, PartialEq)]
pub struct LoveRow {
    /// Label (`Age at diagnosis`, `WHO grade: G3`).
    pub label: String,
    /// SMD before weighting.
    pub before: Option<f64>,
    /// SMD after weighting.
    pub after: Option<f64>,
}

/// A love plot.
#[derive(Debug, Clone, PartialEq)]
pub struct LoveFigure {
    /// Rows from top to bottom.
    pub rows: Vec<LoveRow>,
    /// Title (empty for none).
    pub title: String,
    /// Axis title.
    pub x_label: String,
    /// Balance threshold drawn at ±threshold (`None`: no lines).
    pub threshold: Option<f64>,
    /// Plot |SMD| instead of the signed SMD.
    pub absolute: bool,
    /// Legend labels: before, after.
    pub legend: (String, String),
    /// Width, text size, line width.
    pub style: Style,
}

impl LoveFigure {
    /// The love plot of a weighting analysis' balance table (its rows'
    /// labels and SMDs before and after weighting, in table order).
    pub fn from_balance(rows: &[BalanceOut]) -> LoveFigure {
        LoveFigure::new(
            rows.iter()
                .map(|r| LoveRow {
                    label: r.label.clone(),
                    before: r.smd_before,
                    after: r.smd_after,
                })
                .collect(),
        )
    }

    /// A love plot with the usual labels and the 0.1 threshold.
    pub fn new(rows: Vec<LoveRow>) -> LoveFigure {
        LoveFigure {
            rows,
            title: String::new(),
            x_label: "Standardised mean difference".into(),
            threshold: Some(0.1),
            absolute: false,
            legend: ("Unweighted".into(), "Weighted".into()),
            style: Style::default(),
        }
    }

    fn value(&self, v: Option<f64>) -> Option<f64> {
        let v = v.filter(|x| x.is_finite())?;
        Some(if self.absolute { v.abs() } else { v })
    }

    /// Axis range: round values covering every SMD, the threshold and 0.
    fn range(&self) -> (f64, f64) {
        let t = self.threshold.unwrap_or(0.0).abs();
        let mut lo = if self.absolute { 0.0 } else { -t };
        let mut hi = t;
        for r in &self.rows {
            for v in [self.value(r.before), self.value(r.after)]
                .into_iter()
                .flatten()
            {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if hi - lo <= 0.0 {
            hi = lo + 0.1;
        }
        let ticks = nice_ticks(lo, hi, 5);
        let first = ticks.first().copied().unwrap_or(lo).min(lo);
        let last = ticks.last().copied().unwrap_or(hi).max(hi);
        (first, last)
    }
}

impl Figure for LoveFigure {
    fn to_svg(&self) -> Result<String, ReportError> {
        self.style.check()?;
        if self.rows.is_empty() {
            return Err(ReportError::NoData("love plot".into()));
        }
        if let Some(t) = self.threshold
            && !(t.is_finite() && t > 0.0)
        {
            return Err(ReportError::InvalidOption(format!(
                "love plot threshold must be a positive number, got {t}"
            )));
        }
        let f = self.style.font_size;
        let left = 6.0;
        let label_w = self
            .rows
            .iter()
            .map(|r| text_width(&r.label, f, false))
            .fold(0.0, f64::max);
        let plot_x0 = (left + label_w + f * 1.5).ceil();
        let plot_x1 = self.style.width - 12.0;
        if plot_x1 - plot_x0 < 100.0 {
            return Err(ReportError::InvalidOption(
                "figure too narrow for the love plot's labels".into(),
            ));
        }
        let (lo, hi) = self.range();
        let xs = Linear::new(lo, hi, plot_x0, plot_x1);
        let items = vec![
            LegendItem {
                label: self.legend.0.clone(),
                swatch: Swatch::Line(palette::VERMILLION),
            },
            LegendItem {
                label: self.legend.1.clone(),
                swatch: Swatch::Line(palette::BLUE),
            },
        ];
        let title_h = if self.title.is_empty() { 0.0 } else { f * 2.0 };
        let legend_top = 6.0 + title_h;
        let legend_h = legend_height(&items, self.style.width - 12.0, f);
        let rows_top = legend_top + legend_h + f * 0.5;
        let row_h = f * 1.6;
        let rows_bottom = rows_top + row_h * self.rows.len() as f64;
        let axis_y = rows_bottom + 4.0;
        let height = (axis_y + XAxis::height(f, !self.x_label.is_empty()) + 8.0).ceil();
        let title = if self.title.is_empty() {
            "Love plot"
        } else {
            &self.title
        };
        let mut svg = Svg::new(self.style.width, height, "love", title, f);
        draw_title(&mut svg, &self.title, left, f);
        draw_legend(
            &mut svg,
            &items,
            left,
            legend_top,
            self.style.width - 12.0,
            f,
        );

        // Zero and threshold lines.
        let mut zero = PathData::new();
        if lo <= 0.0 && hi >= 0.0 {
            zero.move_to(xs.map(0.0), rows_top).v(rows_bottom);
            svg.empty(
                "path",
                &[
                    ("class", &"zero-line"),
                    ("d", &zero),
                    ("stroke", &palette::DARK_GREY),
                    ("fill", &"none"),
                ],
            );
        }
        if let Some(t) = self.threshold {
            let sides: &[f64] = if self.absolute { &[1.0] } else { &[-1.0, 1.0] };
            for s in sides {
                let v = s * t;
                let mut d = PathData::new();
                d.move_to(xs.map(v), rows_top).v(rows_bottom);
                svg.empty(
                    "path",
                    &[
                        ("class", &"threshold"),
                        ("data-value", &v),
                        ("d", &d),
                        ("stroke", &palette::GREY),
                        ("stroke-dasharray", &"4 3"),
                        ("fill", &"none"),
                    ],
                );
            }
        }
        let r = f * 0.32;
        for (i, row) in self.rows.iter().enumerate() {
            let cy = rows_top + row_h * (i as f64 + 0.5);
            let index = i.to_string();
            svg.open(
                "g",
                &[
                    ("class", &"love-row"),
                    ("data-row", &index),
                    ("data-label", &row.label),
                ],
            );
            svg.text(
                left,
                cy + f * 0.35,
                "start",
                &row.label,
                &[("class", &"row-label")],
            );
            let mut guide = PathData::new();
            guide.move_to(plot_x0, cy).h(plot_x1);
            svg.empty(
                "path",
                &[
                    ("d", &guide),
                    ("stroke", &"#E5E5E5"),
                    ("stroke-width", &0.6),
                    ("fill", &"none"),
                ],
            );
            if let Some(v) = self.value(row.before) {
                svg.empty(
                    "circle",
                    &[
                        ("class", &"smd-before"),
                        ("data-smd", &v),
                        ("cx", &N(xs.map(v))),
                        ("cy", &N(cy)),
                        ("r", &N(r)),
                        ("fill", &"#FFFFFF"),
                        ("stroke", &palette::VERMILLION),
                        ("stroke-width", &1.4),
                    ],
                );
            }
            if let Some(v) = self.value(row.after) {
                svg.empty(
                    "circle",
                    &[
                        ("class", &"smd-after"),
                        ("data-smd", &v),
                        ("cx", &N(xs.map(v))),
                        ("cy", &N(cy)),
                        ("r", &N(r)),
                        ("fill", &palette::BLUE),
                    ],
                );
            }
            svg.close();
        }
        let ticks: Vec<f64> = nice_ticks(lo, hi, 5)
            .into_iter()
            .filter(|t| *t >= lo - 1e-12 && *t <= hi + 1e-12)
            .collect();
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
        Ok(svg.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<LoveRow> {
        vec![
            LoveRow {
                label: "Age at diagnosis".into(),
                before: Some(0.42),
                after: Some(0.03),
            },
            LoveRow {
                label: "WHO grade: G3".into(),
                before: Some(-0.61),
                after: Some(-0.05),
            },
            LoveRow {
                label: "Constant".into(),
                before: None,
                after: None,
            },
        ]
    }

    fn attr(el: &str, name: &str) -> f64 {
        let key = format!("{name}=\"");
        let start = el.find(&key).unwrap() + key.len();
        el[start..].split('"').next().unwrap().parse().unwrap()
    }

    #[test]
    fn markers_sit_at_their_smd_on_a_linear_axis() {
        let svg = LoveFigure::new(rows()).to_svg().unwrap();
        let before: Vec<&str> = svg
            .split("<circle")
            .filter(|c| c.contains("smd-before"))
            .collect();
        let after: Vec<&str> = svg
            .split("<circle")
            .filter(|c| c.contains("smd-after"))
            .collect();
        // The constant row has no markers.
        assert_eq!((before.len(), after.len()), (2, 2));
        assert_eq!(attr(before[0], "data-smd"), 0.42);
        assert_eq!(attr(after[1], "data-smd"), -0.05);
        // Linear: the pixel distance is proportional to the SMD difference.
        let x = |el: &str| attr(el, "cx");
        let per_unit = (x(before[0]) - x(after[0])) / (0.42 - 0.03);
        let predicted = x(after[0]) + per_unit * (-0.61 - 0.03);
        assert!((x(before[1]) - predicted).abs() < 0.05, "{predicted}");
        // The same row has the same y for both markers.
        assert_eq!(attr(before[0], "cy"), attr(after[0], "cy"));
        assert!(attr(before[1], "cy") > attr(before[0], "cy"));
        // Threshold lines at ±0.1 and a zero line.
        assert_eq!(svg.matches("class=\"threshold\"").count(), 2);
        assert!(svg.contains("class=\"zero-line\""));
        assert!(svg.contains("data-label=\"WHO grade: G3\""));
    }

    #[test]
    fn built_from_the_balance_table_in_its_order() {
        let row = |label: &str, before, after| BalanceOut {
            variable: "v".into(),
            level: None,
            label: label.into(),
            binary: false,
            mean_treated: 0.0,
            mean_control: 0.0,
            weighted_mean_treated: 0.0,
            weighted_mean_control: 0.0,
            smd_before: before,
            smd_after: after,
        };
        let f = LoveFigure::from_balance(&[row("b", Some(0.3), Some(0.01)), row("a", None, None)]);
        assert_eq!(f.rows[0].label, "b");
        assert_eq!(f.rows[0].before, Some(0.3));
        assert_eq!(f.rows[1].after, None);
        let svg = f.to_svg().unwrap();
        assert!(svg.find("data-label=\"b\"").unwrap() < svg.find("data-label=\"a\"").unwrap());
    }

    #[test]
    fn absolute_values_and_bad_options() {
        let mut f = LoveFigure::new(rows());
        f.absolute = true;
        let svg = f.to_svg().unwrap();
        assert!(svg.contains("data-smd=\"0.61\""));
        assert_eq!(svg.matches("class=\"threshold\"").count(), 1);
        f.threshold = Some(-1.0);
        assert!(f.to_svg().is_err());
        assert!(LoveFigure::new(Vec::new()).to_svg().is_err());
    }
}
