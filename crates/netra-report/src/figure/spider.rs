//! Spider plot: each patient's % change of the target-lesion sum from
//! baseline over time, one line per patient coloured by best overall
//! response, with the response thresholds dashed.
//!
//! Points are drawn in time order (the input is sorted, ties kept in the
//! given order); non-finite points are skipped.

use super::{Figure, LegendItem, Style, Swatch, draw_legend, draw_title, legend_height};
use crate::ReportError;
use crate::axis::{Linear, XAxis, YAxis, nice_ticks, tick_labels};
use crate::palette::{self, ResponseClass};
use crate::svg::{N, PathData, Svg};

/// One patient's line.
#[derive(Debug, Clone, PartialEq)]
pub struct SpiderLine {
    /// Patient label.
    pub patient: String,
    /// (time since baseline, % change) — baseline (0, 0) first.
    pub points: Vec<(f64, f64)>,
    /// Best overall response (the line's colour).
    pub response: ResponseClass,
}

/// A spider plot.
#[derive(Debug, Clone, PartialEq)]
pub struct SpiderFigure {
    /// One line per patient.
    pub lines: Vec<SpiderLine>,
    /// Title above the figure (empty for none).
    pub title: String,
    /// x-axis title with the unit.
    pub x_label: String,
    /// y-axis title.
    pub y_label: String,
    /// Dashed reference lines: value in % and label.
    pub thresholds: Vec<(f64, String)>,
    /// x ticks; `None` for round values.
    pub ticks: Option<Vec<f64>>,
    /// Width, text size, line width.
    pub style: Style,
    /// Height of the plotting area in px.
    pub plot_height: f64,
}

impl SpiderFigure {
    /// A spider plot with the RECIST 1.1 thresholds.
    pub fn new(lines: Vec<SpiderLine>, x_label: impl Into<String>) -> SpiderFigure {
        SpiderFigure {
            lines,
            title: String::new(),
            x_label: x_label.into(),
            y_label: "Change in sum of diameters (%)".into(),
            thresholds: vec![(20.0, "+20%".into()), (-30.0, "\u{2212}30%".into())],
            ticks: None,
            style: Style::default(),
            plot_height: 300.0,
        }
    }

    /// Spider lines of assessed patients (`netra_clinical::response`):
    /// the change from baseline at each scan, time in days divided by
    /// `days_per_unit` (7 for weeks, 30.4375 for months), coloured by each
    /// patient's best overall response.
    pub fn from_patients(
        patients: &[netra_clinical::response::PatientResponse],
        days_per_unit: f64,
        x_label: impl Into<String>,
    ) -> Result<SpiderFigure, ReportError> {
        if !(days_per_unit.is_finite() && days_per_unit > 0.0) {
            return Err(crate::error::invalid("days per time unit", days_per_unit));
        }
        let lines = netra_clinical::response::series::spider(patients)
            .into_iter()
            .map(|l| {
                let response = patients
                    .iter()
                    .find(|p| p.patient == l.patient)
                    .map_or(ResponseClass::NE, |p| p.best.category.into());
                SpiderLine {
                    patient: l.patient,
                    points: l
                        .points
                        .iter()
                        .map(|p| (f64::from(p.days) / days_per_unit, p.change_pct))
                        .collect(),
                    response,
                }
            })
            .collect();
        Ok(SpiderFigure::new(lines, x_label))
    }

    /// Each line's finite points in time order.
    fn clean_lines(&self) -> Vec<(&SpiderLine, Vec<(f64, f64)>)> {
        self.lines
            .iter()
            .map(|l| {
                let mut p: Vec<(f64, f64)> = l
                    .points
                    .iter()
                    .copied()
                    .filter(|(t, v)| t.is_finite() && v.is_finite())
                    .collect();
                p.sort_by(|a, b| a.0.total_cmp(&b.0));
                (l, p)
            })
            .filter(|(_, p)| !p.is_empty())
            .collect()
    }
}

impl Figure for SpiderFigure {
    fn to_svg(&self) -> Result<String, ReportError> {
        self.style.check()?;
        if !(self.plot_height.is_finite() && (50.0..=5000.0).contains(&self.plot_height)) {
            return Err(crate::error::invalid("plot height", self.plot_height));
        }
        let lines = self.clean_lines();
        if lines.is_empty() {
            return Err(ReportError::NoData("spider plot".into()));
        }
        let f = self.style.font_size;
        let all = || lines.iter().flat_map(|(_, p)| p.iter());
        let t_max = all().map(|p| p.0).fold(0.0, f64::max);
        let t_min = all().map(|p| p.0).fold(0.0, f64::min);
        let v_min = all().map(|p| p.1).fold(-30.0, f64::min);
        let v_max = all().map(|p| p.1).fold(20.0, f64::max);
        let x_ticks = match &self.ticks {
            Some(t) if !t.is_empty() && t.iter().all(|v| v.is_finite()) => t.clone(),
            Some(_) => return Err(ReportError::InvalidOption("invalid x ticks".into())),
            None => nice_ticks(t_min, t_max, 6),
        };
        let (x_lo, x_hi) = (x_ticks[0].min(t_min), x_ticks[x_ticks.len() - 1].max(t_max));
        let y_ticks = nice_ticks(v_min, v_max, 6);
        let (y_lo, y_hi) = (y_ticks[0], y_ticks[y_ticks.len() - 1]);
        let x_labels = tick_labels(&x_ticks, 1.0);
        let y_labels = tick_labels(&y_ticks, 1.0);

        let y_title_w = if self.y_label.is_empty() {
            0.0
        } else {
            f * 1.8
        };
        let axis_w = YAxis::label_width(&y_labels, f);
        let left = (6.0 + y_title_w + axis_w).ceil();
        let right = 48.0;
        let pw = self.style.width - left - right;
        if pw < 80.0 {
            return Err(ReportError::InvalidOption(
                "figure too narrow for the spider plot".into(),
            ));
        }
        let present: Vec<ResponseClass> = ResponseClass::ALL
            .into_iter()
            .filter(|c| lines.iter().any(|(l, _)| l.response == *c))
            .collect();
        let legend: Vec<LegendItem> = present
            .iter()
            .map(|c| LegendItem {
                label: c.label().to_string(),
                swatch: Swatch::Line(c.colour()),
            })
            .collect();
        let title_h = if self.title.is_empty() { 0.0 } else { f * 2.0 };
        let legend_h = legend_height(&legend, pw, f);
        let top = (6.0 + title_h + legend_h + 8.0).ceil();
        let bottom = top + self.plot_height;
        let height = (bottom + XAxis::height(f, !self.x_label.is_empty()) + 8.0).ceil();
        let xs = Linear::new(x_lo, x_hi, left, left + pw);
        let ys = Linear::new(y_lo, y_hi, bottom, top);

        let title = if self.title.is_empty() {
            "Spider plot"
        } else {
            &self.title
        };
        let mut svg = Svg::new(self.style.width, height, "spider", title, f);
        draw_title(&mut svg, &self.title, 6.0, f);
        draw_legend(&mut svg, &legend, left, 6.0 + title_h, pw, f);

        for (v, label) in &self.thresholds {
            if !(v.is_finite() && *v >= y_lo && *v <= y_hi) {
                continue;
            }
            let mut d = PathData::new();
            d.move_to(left, ys.map(*v)).h(left + pw);
            svg.empty(
                "path",
                &[
                    ("class", &"threshold"),
                    ("data-value", v),
                    ("d", &d),
                    ("stroke", &palette::DARK_GREY),
                    ("stroke-dasharray", &"5 4"),
                    ("fill", &"none"),
                ],
            );
            svg.text(
                left + pw + 4.0,
                ys.map(*v) + f * 0.3,
                "start",
                label,
                &[("class", &"threshold-label"), ("font-size", &N(f * 0.9))],
            );
        }
        let mut zero = PathData::new();
        zero.move_to(left, ys.map(0.0)).h(left + pw);
        svg.empty(
            "path",
            &[
                ("class", &"zero-line"),
                ("d", &zero),
                ("stroke", &"#000000"),
                ("stroke-width", &0.6),
            ],
        );

        for (line, points) in &lines {
            let colour = line.response.colour();
            svg.open(
                "g",
                &[
                    ("class", &"spider-line"),
                    ("data-patient", &line.patient),
                    ("data-response", &line.response.label()),
                ],
            );
            svg.title(&format!("{} ({})", line.patient, line.response.label()));
            let mut d = PathData::new();
            for (k, (t, v)) in points.iter().enumerate() {
                if k == 0 {
                    d.move_to(xs.map(*t), ys.map(*v));
                } else {
                    d.line_to(xs.map(*t), ys.map(*v));
                }
            }
            svg.empty(
                "path",
                &[
                    ("class", &"line"),
                    ("d", &d),
                    ("stroke", &colour),
                    ("stroke-width", &N(self.style.line_width * 0.8)),
                    ("fill", &"none"),
                    ("stroke-linejoin", &"round"),
                ],
            );
            for (t, v) in points {
                svg.empty(
                    "circle",
                    &[
                        ("class", &"point"),
                        ("data-time", t),
                        ("data-change", v),
                        ("cx", &N(xs.map(*t))),
                        ("cy", &N(ys.map(*v))),
                        ("r", &N(f * 0.22)),
                        ("fill", &colour),
                    ],
                );
            }
            svg.close();
        }

        let x_pos: Vec<f64> = x_ticks.iter().map(|t| xs.map(*t)).collect();
        XAxis {
            positions: &x_pos,
            values: &x_ticks,
            labels: &x_labels,
            x0: left,
            x1: left + pw,
            y: bottom,
            font: f,
            title: &self.x_label,
        }
        .draw(&mut svg);
        let y_pos: Vec<f64> = y_ticks.iter().map(|v| ys.map(*v)).collect();
        YAxis {
            positions: &y_pos,
            values: &y_ticks,
            labels: &y_labels,
            x: left,
            y0: top,
            y1: bottom,
            font: f,
            title: &self.y_label,
            title_x: left - axis_w - f * 0.9,
        }
        .draw(&mut svg);
        Ok(svg.finish())
    }
}
