//! Waterfall plot: one bar per patient with the best % change of the
//! target-lesion sum from baseline, sorted from the largest increase to the
//! largest decrease, coloured by best overall response, with dashed lines
//! at the response thresholds (RECIST 1.1: +20% and −30%).
//!
//! Order is deterministic: by change descending, ties by patient label.
//! Patients without a finite change are left out and counted in a note
//! under the plot.

use super::{Figure, LegendItem, Style, Swatch, draw_legend, draw_title, legend_height};
use crate::ReportError;
use crate::axis::{Linear, YAxis, fmt_decimal, nice_ticks, tick_labels};
use crate::font::{max_width, text_width};
use crate::palette::{self, ResponseClass};
use crate::svg::{N, PathData, Svg};

/// One patient's bar.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallBar {
    /// Patient label (printed under the bar when there are few patients).
    pub patient: String,
    /// Best % change from baseline (−100 for a complete disappearance).
    pub change_pct: f64,
    /// Best overall response (the bar's colour).
    pub response: ResponseClass,
}

/// Bars coloured by a group (a lesion's site) rather than by response.
#[derive(Debug, Clone, PartialEq)]
pub struct BarGroups {
    /// Group labels, in legend order (colours by position:
    /// `palette::series`).
    pub labels: Vec<String>,
    /// Each bar's group, aligned with [`WaterfallFigure::bars`].
    pub of_bar: Vec<usize>,
}

/// A waterfall plot.
#[derive(Debug, Clone, PartialEq)]
pub struct WaterfallFigure {
    /// Bars in any order; the figure sorts them.
    pub bars: Vec<WaterfallBar>,
    /// Title above the figure (empty for none).
    pub title: String,
    /// y-axis title.
    pub y_label: String,
    /// Dashed reference lines: value in % and label.
    pub thresholds: Vec<(f64, String)>,
    /// Print patient labels under the bars; `None`: when 40 or fewer.
    pub patient_labels: Option<bool>,
    /// y-axis range in %; bars beyond it are cut and their value printed.
    pub y_range: Option<(f64, f64)>,
    /// Width, text size, line width.
    pub style: Style,
    /// Height of the plotting area in px.
    pub plot_height: f64,
    /// Colour by group (`None`: by best response).
    pub groups: Option<BarGroups>,
    /// What a bar is, for the note on bars left out ("patient", "lesion").
    pub unit: String,
}

impl WaterfallFigure {
    /// A waterfall plot with the RECIST 1.1 thresholds (+20%, −30%).
    pub fn new(bars: Vec<WaterfallBar>) -> WaterfallFigure {
        WaterfallFigure {
            bars,
            title: String::new(),
            y_label: "Best change in sum of diameters (%)".into(),
            thresholds: vec![(20.0, "+20%".into()), (-30.0, "\u{2212}30%".into())],
            patient_labels: None,
            y_range: None,
            style: Style::default(),
            plot_height: 300.0,
            groups: None,
            unit: "patient".into(),
        }
    }

    /// The waterfall data of the response engine
    /// (`netra_clinical::response::series::waterfall`): one bar per patient
    /// with a measured follow-up, coloured by the best overall response.
    /// Patients the engine excluded are listed as bars without a change, so
    /// that the figure's note counts them.
    pub fn from_response(data: &netra_clinical::response::series::Waterfall) -> WaterfallFigure {
        let bars = data
            .bars
            .iter()
            .map(|b| WaterfallBar {
                patient: b.patient.clone(),
                change_pct: b.best_change_pct,
                response: b.best_overall_response.into(),
            })
            .chain(data.excluded.iter().map(|p| WaterfallBar {
                patient: p.clone(),
                change_pct: f64::NAN,
                response: ResponseClass::NE,
            }))
            .collect();
        WaterfallFigure::new(bars)
    }

    /// The bars drawn, in drawing order, and the number left out.
    pub fn sorted_bars(&self) -> (Vec<&WaterfallBar>, usize) {
        let (order, excluded) = self.sorted_indices();
        (order.iter().map(|&i| &self.bars[i]).collect(), excluded)
    }

    /// Indices of the bars drawn, in drawing order, and the number left
    /// out.
    fn sorted_indices(&self) -> (Vec<usize>, usize) {
        let mut order: Vec<usize> = (0..self.bars.len())
            .filter(|&i| self.bars[i].change_pct.is_finite())
            .collect();
        let excluded = self.bars.len() - order.len();
        order.sort_by(|&a, &b| {
            let (a, b) = (&self.bars[a], &self.bars[b]);
            b.change_pct
                .total_cmp(&a.change_pct)
                .then_with(|| a.patient.cmp(&b.patient))
        });
        (order, excluded)
    }

    /// The colour and legend label of the bar at index `i`.
    fn colour_of(&self, i: usize) -> (&'static str, String) {
        let b = &self.bars[i];
        match &self.groups {
            Some(g) => {
                let k = g.of_bar.get(i).copied().unwrap_or(0);
                (
                    palette::series(k),
                    g.labels.get(k).cloned().unwrap_or_default(),
                )
            }
            None => (b.response.colour(), b.response.label().to_string()),
        }
    }
}

impl Figure for WaterfallFigure {
    fn to_svg(&self) -> Result<String, ReportError> {
        self.style.check()?;
        if !(self.plot_height.is_finite() && (50.0..=5000.0).contains(&self.plot_height)) {
            return Err(crate::error::invalid("plot height", self.plot_height));
        }
        if let Some(g) = &self.groups
            && (g.of_bar.len() != self.bars.len() || g.of_bar.iter().any(|&k| k >= g.labels.len()))
        {
            return Err(ReportError::InvalidOption(
                "waterfall groups: one group per bar, each a listed label".into(),
            ));
        }
        let (order, excluded) = self.sorted_indices();
        let bars: Vec<&WaterfallBar> = order.iter().map(|&i| &self.bars[i]).collect();
        if bars.is_empty() {
            return Err(ReportError::NoData("waterfall plot".into()));
        }
        let f = self.style.font_size;
        let min = bars
            .iter()
            .map(|b| b.change_pct)
            .fold(f64::INFINITY, f64::min);
        let max = bars
            .iter()
            .map(|b| b.change_pct)
            .fold(f64::NEG_INFINITY, f64::max);
        let (lo, hi) = match self.y_range {
            Some((lo, hi)) => {
                if !(lo.is_finite() && hi.is_finite() && lo < 0.0 && hi > 0.0) {
                    return Err(ReportError::InvalidOption(format!(
                        "waterfall y range must include 0, got {lo}..{hi}"
                    )));
                }
                (lo, hi)
            }
            None => {
                let t = nice_ticks(min.min(-30.0), max.max(20.0), 6);
                (t[0], t[t.len() - 1])
            }
        };
        let mut y_ticks = nice_ticks(lo, hi, 6);
        y_ticks.retain(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9);
        let y_labels = tick_labels(&y_ticks, 1.0);

        let show_labels = self.patient_labels.unwrap_or(bars.len() <= 40);
        let label_h = if show_labels {
            max_width(bars.iter().map(|b| b.patient.as_str()), f * 0.85, false) + 8.0
        } else {
            0.0
        };
        let y_title_w = if self.y_label.is_empty() {
            0.0
        } else {
            f * 1.8
        };
        let axis_w = YAxis::label_width(&y_labels, f);
        let left = (6.0 + y_title_w + axis_w).ceil();
        let threshold_w = self
            .thresholds
            .iter()
            .map(|(_, l)| text_width(l, f * 0.9, false))
            .fold(0.0, f64::max);
        let right = (threshold_w + 10.0).max(10.0);
        let pw = self.style.width - left - right;
        if pw < 80.0 {
            return Err(ReportError::InvalidOption(
                "figure too narrow for the waterfall plot".into(),
            ));
        }

        let legend: Vec<LegendItem> = match &self.groups {
            Some(g) => (0..g.labels.len())
                .filter(|k| order.iter().any(|&i| g.of_bar[i] == *k))
                .map(|k| LegendItem {
                    label: g.labels[k].clone(),
                    swatch: Swatch::Box(palette::series(k)),
                })
                .collect(),
            None => ResponseClass::ALL
                .into_iter()
                .filter(|c| bars.iter().any(|b| b.response == *c))
                .map(|c| LegendItem {
                    label: c.label().to_string(),
                    swatch: Swatch::Box(c.colour()),
                })
                .collect(),
        };
        let title_h = if self.title.is_empty() { 0.0 } else { f * 2.0 };
        let legend_h = legend_height(&legend, pw, f);
        let top = (6.0 + title_h + legend_h + 8.0).ceil();
        let bottom = top + self.plot_height;
        let note_h = if excluded > 0 { f * 1.8 } else { 0.0 };
        let height = (bottom + label_h + note_h + 10.0).ceil();

        let ys = Linear::new(lo, hi, bottom, top);
        let y_of = |v: f64| ys.map(v.clamp(lo, hi));
        let title = if self.title.is_empty() {
            "Waterfall plot"
        } else {
            &self.title
        };
        let mut svg = Svg::new(self.style.width, height, "waterfall", title, f);
        draw_title(&mut svg, &self.title, 6.0, f);
        draw_legend(&mut svg, &legend, left, 6.0 + title_h, pw, f);

        let slot = pw / bars.len() as f64;
        let bar_w = (slot * 0.8).max(0.5);
        let y0 = y_of(0.0);
        svg.open("g", &[("class", &"bars")]);
        for (rank, bar) in bars.iter().enumerate() {
            let (fill, class_label) = self.colour_of(order[rank]);
            let x = left + slot * rank as f64 + (slot - bar_w) / 2.0;
            let y1 = y_of(bar.change_pct);
            let (y, h) = if y1 < y0 {
                (y1, y0 - y1)
            } else {
                (y0, y1 - y0)
            };
            let rank_s = rank.to_string();
            svg.open(
                "rect",
                &[
                    ("class", &"bar"),
                    ("data-rank", &rank_s),
                    ("data-patient", &bar.patient),
                    ("data-change", &bar.change_pct),
                    ("data-response", &class_label),
                    ("x", &N(x)),
                    ("y", &N(y)),
                    ("width", &N(bar_w)),
                    ("height", &N(h)),
                    ("fill", &fill),
                ],
            );
            svg.title(&format!(
                "{}: {}% ({})",
                bar.patient,
                fmt_decimal(bar.change_pct, 1),
                class_label
            ));
            svg.close();
            if bar.change_pct > hi || bar.change_pct < lo {
                let ty = if bar.change_pct > hi {
                    top - 3.0
                } else {
                    bottom + f * 0.9
                };
                svg.text(
                    x + bar_w / 2.0,
                    ty,
                    "middle",
                    &format!("{}%", fmt_decimal(bar.change_pct, 0)),
                    &[("class", &"clipped-value"), ("font-size", &N(f * 0.75))],
                );
            }
        }
        svg.close();

        // Zero line and thresholds.
        let mut zero = PathData::new();
        zero.move_to(left, y0).h(left + pw);
        svg.empty(
            "path",
            &[
                ("class", &"zero-line"),
                ("d", &zero),
                ("stroke", &"#000000"),
            ],
        );
        for (v, label) in &self.thresholds {
            if !(v.is_finite() && *v >= lo && *v <= hi) {
                continue;
            }
            let y = y_of(*v);
            let mut d = PathData::new();
            d.move_to(left, y).h(left + pw);
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
                y + f * 0.3,
                "start",
                label,
                &[("class", &"threshold-label"), ("font-size", &N(f * 0.9))],
            );
        }

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

        if show_labels {
            svg.open(
                "g",
                &[("class", &"patient-labels"), ("font-size", &N(f * 0.85))],
            );
            for (rank, bar) in bars.iter().enumerate() {
                let x = left + slot * (rank as f64 + 0.5);
                let y = bottom + 6.0;
                let rotate = format!("rotate(-90 {} {})", N(x), N(y));
                // Rotated about (x, y): a baseline 0.3 em below in text space
                // lands 0.3 em right of x, centring the glyphs on the bar.
                svg.text(
                    x,
                    y + f * 0.3,
                    "end",
                    &bar.patient,
                    &[("transform", &rotate)],
                );
            }
            svg.close();
        }
        if excluded > 0 {
            let unit = &self.unit;
            let note = if excluded == 1 {
                format!("1 {unit} without a measurable change is not shown")
            } else {
                format!("{excluded} {unit}s without a measurable change are not shown")
            };
            svg.text(
                left,
                bottom + label_h + f * 1.4,
                "start",
                &note,
                &[("class", &"excluded-note"), ("font-size", &N(f * 0.9))],
            );
        }
        Ok(svg.finish())
    }
}
