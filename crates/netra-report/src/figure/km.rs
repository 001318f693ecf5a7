//! Kaplan–Meier and cumulative-incidence figures with a numbers-at-risk
//! table.
//!
//! * Curves are right-continuous step functions drawn from time 0 (S = 1,
//!   or F = 0 for a cumulative incidence) to the last follow-up time of the
//!   group, as R's `plot.survfit` draws them.
//! * Censoring marks (`+`) sit at each time with a censoring, at the
//!   curve's value just after that time (R's `mark.time = TRUE`).
//! * Confidence bands are the pointwise limits as step functions; where a
//!   limit does not exist (R's `NA`) the band is interrupted.
//! * The numbers at risk under the axis are computed at exactly each printed
//!   tick t as the number of subjects with follow-up time ≥ t — R's
//!   `summary(fit, times = ticks, extend = TRUE)$n.risk`: the number at risk
//!   of the first step at or after t, 0 after the last follow-up.
//!   ([`KmSeries::at_risk_at`]; checked against R's values in the tests.)
//!   After a whole curve's last time 0 is the truth (everyone's follow-up
//!   has ended) and is what R prints with `extend = TRUE` (and survminer's
//!   risk tables); R's default `extend = FALSE` drops those rows. A curve
//!   **cut** before its end ([`AtRisk::Cut`]: the web stops a curve where
//!   fewer than the minimum cell size remain at risk) does not know the
//!   number after the cut, and 0 there would be false: those cells print
//!   the series' own text (`<5`) and carry no `data-n`.

use netra_analysis::analyses::cuminc::{CurveOut, IncidenceCurve};
use netra_analysis::analyses::survival::KmCurve;

use super::{Figure, LegendItem, Style, Swatch, draw_legend, draw_title, fmt_count, legend_height};
use crate::ReportError;
use crate::axis::{Linear, XAxis, YAxis, nice_ticks, tick_labels};
use crate::error::{check_len, invalid};
use crate::font::{max_width, text_width};
use crate::palette;
use crate::svg::{N, PathData, Svg};

/// Whether curves fall from 1 (survival) or rise from 0 (incidence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CurveKind {
    /// S(t), starting at 1.
    Survival,
    /// Cumulative incidence F(t), starting at 0.
    Incidence,
}

/// Where the numbers at risk of a series come from.
#[derive(Debug, Clone, PartialEq)]
pub enum AtRisk {
    /// A curve's steps: at each step time, the number at risk just before
    /// it (`KmCurve::n_risk`). Every follow-up time must be a step, as in a
    /// Kaplan–Meier curve, where censoring-only times are steps too.
    Steps {
        /// Step times, ascending.
        time: Vec<f64>,
        /// Number at risk just before each step time.
        n_risk: Vec<f64>,
    },
    /// A curve cut before its end: the numbers at risk of its kept steps
    /// as in [`AtRisk::Steps`]; at a time after the last kept step the
    /// number is not known (not 0) and the cell reads `after`.
    Cut {
        /// Kept step times, ascending.
        time: Vec<f64>,
        /// Number at risk just before each kept step time.
        n_risk: Vec<f64>,
        /// The text of the cells after the cut (e.g. `<5`).
        after: String,
    },
    /// The subjects' follow-up times, ascending (for curves such as a
    /// cumulative incidence that do not carry their numbers at risk).
    FollowUp(Vec<f64>),
    /// No numbers at risk: the series has no row in the table.
    None,
}

/// One curve of the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct KmSeries {
    /// Group label shown in the legend and the at-risk table.
    pub label: String,
    /// Step times, ascending.
    pub time: Vec<f64>,
    /// S(t) (or F(t)) just after each step time; NaN to skip a step.
    pub estimate: Vec<f64>,
    /// Lower confidence limit at each step (NaN where it does not exist).
    pub lower: Vec<f64>,
    /// Upper confidence limit at each step (NaN where it does not exist).
    pub upper: Vec<f64>,
    /// Times of censoring marks.
    pub censor_times: Vec<f64>,
    /// The curve is drawn up to this time (last follow-up of the group).
    pub end_time: f64,
    /// Median survival time, if reached (for median lines).
    pub median: Option<f64>,
    /// Source of the numbers at risk.
    pub at_risk: AtRisk,
}

impl KmSeries {
    /// A series from a Kaplan–Meier curve (`netra_stats::km`, re-exported by the analysis layer): all its
    /// steps, censoring marks where `n_censor > 0`, its median, and numbers
    /// at risk from its steps.
    pub fn from_km(label: impl Into<String>, curve: &KmCurve) -> KmSeries {
        let censor_times = curve
            .time
            .iter()
            .zip(&curve.n_censor)
            .filter(|(_, c)| **c > 0.0)
            .map(|(t, _)| *t)
            .collect();
        KmSeries {
            label: label.into(),
            time: curve.time.clone(),
            estimate: curve.survival.clone(),
            lower: curve.lower.clone(),
            upper: curve.upper.clone(),
            censor_times,
            end_time: curve.time.last().copied().unwrap_or(0.0),
            median: curve.median().estimate,
            at_risk: AtRisk::Steps {
                time: curve.time.clone(),
                n_risk: curve.n_risk.clone(),
            },
        }
    }

    /// A series from a cumulative-incidence curve of `netra_stats::cuminc`
    /// (its jumps and log(−log) limits, drawn to the group's last
    /// follow-up). It has no numbers at risk unless
    /// [`KmSeries::with_follow_up`] supplies the follow-up times.
    ///
    /// Values are drawn within [0, 1]: a sum of jumps that reaches 1 can
    /// exceed it by a rounding error (1.0000000000000002), which is not a
    /// probability the axis can show; tables and JSON keep the number.
    pub fn from_cuminc(label: impl Into<String>, curve: &IncidenceCurve) -> KmSeries {
        let probability = |v: f64| if v.is_finite() { v.clamp(0.0, 1.0) } else { v };
        let limit = |v: Option<f64>| v.map_or(f64::NAN, probability);
        KmSeries {
            label: label.into(),
            time: curve.steps.iter().map(|s| s.time).collect(),
            estimate: curve
                .steps
                .iter()
                .map(|s| probability(s.estimate))
                .collect(),
            lower: curve.steps.iter().map(|s| limit(s.lower)).collect(),
            upper: curve.steps.iter().map(|s| limit(s.upper)).collect(),
            censor_times: Vec::new(),
            end_time: curve.last_time,
            median: None,
            at_risk: AtRisk::None,
        }
    }

    /// A series from one curve of the analysis layer's cumulative
    /// incidence (`netra_analysis::analyses::cuminc::CurveOut`, asked for
    /// with `steps: true`): its jumps and log(−log) limits drawn to the
    /// group's last follow-up, clamped to [0, 1] as [`KmSeries::from_cuminc`]
    /// does. A missing value (`null`) becomes NaN: the step is skipped and
    /// the band interrupted. No numbers at risk unless
    /// [`KmSeries::with_follow_up`] supplies the follow-up times.
    pub fn from_cuminc_out(label: impl Into<String>, curve: &CurveOut) -> KmSeries {
        let probability = |v: Option<f64>| {
            v.map_or(
                f64::NAN,
                |v| if v.is_finite() { v.clamp(0.0, 1.0) } else { v },
            )
        };
        let steps = curve.steps.as_deref().unwrap_or(&[]);
        KmSeries {
            label: label.into(),
            time: steps.iter().map(|s| s.time).collect(),
            estimate: steps.iter().map(|s| probability(s.estimate)).collect(),
            lower: steps.iter().map(|s| probability(s.lower)).collect(),
            upper: steps.iter().map(|s| probability(s.upper)).collect(),
            censor_times: Vec::new(),
            end_time: curve.last_time,
            median: None,
            at_risk: AtRisk::None,
        }
    }

    /// Numbers at risk from the group's follow-up times (non-finite times
    /// are ignored).
    pub fn with_follow_up(mut self, times: &[f64]) -> KmSeries {
        let mut t: Vec<f64> = times.iter().copied().filter(|t| t.is_finite()).collect();
        t.sort_by(f64::total_cmp);
        self.at_risk = AtRisk::FollowUp(t);
        self
    }

    /// Number at risk at time `t`: subjects with follow-up ≥ t (R's
    /// `summary(fit, times = t, extend = TRUE)$n.risk`); `None` without a
    /// source, and after the cut of a [`AtRisk::Cut`] curve.
    pub fn at_risk_at(&self, t: f64) -> Option<f64> {
        match &self.at_risk {
            AtRisk::Steps { time, n_risk } => {
                let i = time.partition_point(|&s| s < t);
                Some(n_risk.get(i).copied().unwrap_or(0.0))
            }
            AtRisk::Cut { time, n_risk, .. } => {
                let i = time.partition_point(|&s| s < t);
                n_risk.get(i).copied()
            }
            AtRisk::FollowUp(times) => {
                Some((times.len() - times.partition_point(|&s| s < t)) as f64)
            }
            AtRisk::None => None,
        }
    }

    /// The curve's value at `t` (right-continuous), `start` before the first
    /// step; NaN steps are skipped.
    fn value_at(&self, t: f64, start: f64) -> f64 {
        let k = self.time.partition_point(|&s| s <= t);
        self.estimate[..k]
            .iter()
            .rev()
            .find(|v| v.is_finite())
            .copied()
            .unwrap_or(start)
    }

    fn validate(&self, i: usize, kind: CurveKind) -> Result<(), ReportError> {
        let what = |f: &str| format!("series {} ('{}') {f}", i + 1, self.label);
        let n = self.time.len();
        check_len(&what("estimate"), n, self.estimate.len())?;
        check_len(&what("lower"), n, self.lower.len())?;
        check_len(&what("upper"), n, self.upper.len())?;
        let mut prev = f64::NEG_INFINITY;
        for &t in &self.time {
            if !t.is_finite() || t < prev {
                return Err(invalid(what("time (not finite or out of order)"), t));
            }
            prev = t;
        }
        for &v in self.estimate.iter().chain(&self.lower).chain(&self.upper) {
            if !(v.is_nan() || (0.0..=1.0).contains(&v)) {
                let name = if kind == CurveKind::Survival {
                    "probability"
                } else {
                    "incidence"
                };
                return Err(invalid(what(name), v));
            }
        }
        if !self.end_time.is_finite() {
            return Err(invalid(what("end time"), self.end_time));
        }
        if let Some(&c) = self.censor_times.iter().find(|c| !c.is_finite()) {
            return Err(invalid(what("censoring time"), c));
        }
        if let Some(m) = self.median.filter(|m| !m.is_finite()) {
            return Err(invalid(what("median"), m));
        }
        if let AtRisk::Steps { time, n_risk } | AtRisk::Cut { time, n_risk, .. } = &self.at_risk {
            check_len(&what("at-risk counts"), time.len(), n_risk.len())?;
        }
        Ok(())
    }
}

/// A Kaplan–Meier (or cumulative-incidence) figure.
#[derive(Debug, Clone, PartialEq)]
pub struct KmFigure {
    /// The curves, one colour each (Okabe–Ito order).
    pub series: Vec<KmSeries>,
    /// Survival or incidence.
    pub kind: CurveKind,
    /// Title above the figure (empty for none; journals set their own).
    pub title: String,
    /// x-axis title with its unit, e.g. "Months since diagnosis".
    pub x_label: String,
    /// y-axis title, e.g. "Overall survival".
    pub y_label: String,
    /// x ticks (and the times of the at-risk table); `None` for round
    /// ticks covering the longest follow-up.
    pub ticks: Option<Vec<f64>>,
    /// Right end of the time axis; curves are cut there.
    pub x_max: Option<f64>,
    /// Top of the y axis (1 for survival; lower for a rare incidence).
    pub y_max: f64,
    /// Print the y axis in percent.
    pub y_percent: bool,
    /// Draw pointwise confidence bands.
    pub show_ci: bool,
    /// Draw censoring marks.
    pub show_censor: bool,
    /// Draw dashed median lines (survival only; medians reached).
    pub show_median: bool,
    /// Draw the numbers-at-risk table under the axis.
    pub at_risk_table: bool,
    /// Test result printed in the plot, e.g. "Log-rank p = 0.003".
    pub p_value_text: Option<String>,
    /// Width, text size, line width.
    pub style: Style,
    /// Height of the plotting area in px (the total height adds the
    /// legend, the axis and the at-risk table).
    pub plot_height: f64,
}

impl KmFigure {
    /// A survival figure with the usual defaults: censoring marks and an
    /// at-risk table, no bands or median lines.
    pub fn survival(series: Vec<KmSeries>, x_label: impl Into<String>) -> KmFigure {
        KmFigure {
            series,
            kind: CurveKind::Survival,
            title: String::new(),
            x_label: x_label.into(),
            y_label: "Survival probability".into(),
            ticks: None,
            x_max: None,
            y_max: 1.0,
            y_percent: false,
            show_ci: false,
            show_censor: true,
            show_median: false,
            at_risk_table: true,
            p_value_text: None,
            style: Style::default(),
            plot_height: 340.0,
        }
    }

    /// A survival figure of curves from `netra_stats::km`, one per label.
    pub fn from_curves(
        labels: &[&str],
        curves: &[KmCurve],
        x_label: impl Into<String>,
    ) -> Result<KmFigure, ReportError> {
        check_len("curve labels", curves.len(), labels.len())?;
        Ok(KmFigure::survival(
            labels
                .iter()
                .zip(curves)
                .map(|(l, c)| KmSeries::from_km(*l, c))
                .collect(),
            x_label,
        ))
    }

    /// A cumulative-incidence figure (no censoring marks; at-risk rows for
    /// series with follow-up times).
    pub fn incidence(series: Vec<KmSeries>, x_label: impl Into<String>) -> KmFigure {
        KmFigure {
            kind: CurveKind::Incidence,
            y_label: "Cumulative incidence".into(),
            show_censor: false,
            ..KmFigure::survival(series, x_label)
        }
    }

    fn start_value(&self) -> f64 {
        match self.kind {
            CurveKind::Survival => 1.0,
            CurveKind::Incidence => 0.0,
        }
    }

    /// The x ticks and the axis range after defaults and `x_max`.
    fn x_range(&self) -> Result<(Vec<f64>, f64, f64), ReportError> {
        let max_t = self
            .series
            .iter()
            .map(|s| s.end_time.max(s.time.last().copied().unwrap_or(0.0)))
            .fold(0.0, f64::max);
        if let Some(m) = self.x_max.filter(|m| !(m.is_finite() && *m > 0.0)) {
            return Err(invalid("x_max", m));
        }
        let mut ticks = match &self.ticks {
            Some(t) => {
                if t.is_empty() {
                    return Err(ReportError::InvalidOption("no x ticks given".into()));
                }
                for w in t.windows(2) {
                    if w[1].partial_cmp(&w[0]) != Some(std::cmp::Ordering::Greater) {
                        return Err(ReportError::InvalidOption(
                            "x ticks must be strictly ascending".into(),
                        ));
                    }
                }
                if let Some(&bad) = t.iter().find(|v| !v.is_finite()) {
                    return Err(invalid("x tick", bad));
                }
                t.clone()
            }
            None => nice_ticks(0.0, self.x_max.unwrap_or(max_t).max(f64::MIN_POSITIVE), 6),
        };
        let lo = ticks[0].min(0.0);
        let hi = match self.x_max {
            Some(m) => m,
            None => ticks.last().copied().unwrap_or(1.0),
        };
        if hi.partial_cmp(&lo) != Some(std::cmp::Ordering::Greater) {
            return Err(ReportError::InvalidOption(
                "the time axis has no extent (ticks and x_max)".into(),
            ));
        }
        ticks.retain(|t| *t >= lo && *t <= hi * (1.0 + 1e-12));
        Ok((ticks, lo, hi))
    }
}

/// The plotting area in data and pixel coordinates.
struct PlotBox {
    lo: f64,
    hi: f64,
    left: f64,
    width: f64,
    top: f64,
    bottom: f64,
    y_max: f64,
}

impl PlotBox {
    fn time(&self, x: f64) -> f64 {
        self.lo + (x - self.left) / self.width * (self.hi - self.lo)
    }

    fn value(&self, y: f64) -> f64 {
        (self.bottom - y) / (self.bottom - self.top) * self.y_max
    }
}

impl KmFigure {
    /// Does anything drawn for `s` (its curve, its band when shown, its
    /// median lines) pass through times `[t0, t1]` × values `[v0, v1]`?
    fn crosses(&self, s: &KmSeries, start: f64, t: (f64, f64), v: (f64, f64)) -> bool {
        let (t0, t1) = t;
        let (v0, v1) = v;
        let end = s.end_time.max(s.time.last().copied().unwrap_or(0.0));
        let inside = |x: f64| x >= v0 && x <= v1;
        if let Some(m) = s
            .median
            .filter(|_| self.kind == CurveKind::Survival && self.show_median)
        {
            // The dashed lines: at 0.5 up to the median, then down to 0.
            if (inside(0.5) && t0 <= m) || (m >= t0 && m <= t1 && v0 <= 0.5) {
                return true;
            }
        }
        if t0 > end {
            return false;
        }
        let t1 = t1.min(end);
        // The values the curve (and band) takes over [t0, t1]: the level at
        // t0 and every step inside; vertical segments join them, so the
        // whole range between the lowest and highest is drawn.
        let k0 = s.time.partition_point(|&x| x <= t0);
        let k1 = s.time.partition_point(|&x| x <= t1);
        let mut values = vec![s.value_at(t0, start)];
        values.extend(s.estimate[k0..k1].iter().copied());
        if self.show_ci {
            let from = k0.saturating_sub(1);
            values.extend(s.lower[from..k1].iter().copied());
            values.extend(s.upper[from..k1].iter().copied());
        }
        let finite = values.iter().copied().filter(|x| x.is_finite());
        let lowest = finite.clone().fold(f64::INFINITY, f64::min);
        let highest = finite.fold(f64::NEG_INFINITY, f64::max);
        lowest <= v1 && highest >= v0
    }

    /// Where the p-value goes: the first corner of the plot whose text box
    /// no curve, band or median line crosses — survival: bottom left (where
    /// curves that start at 1 seldom are), bottom right, top right;
    /// incidence: top left, top right, bottom right. When every corner is
    /// crossed, the one crossed by the fewest curves.
    fn p_value_spot(
        &self,
        text_w: f64,
        f: f64,
        start: f64,
        plot: &PlotBox,
    ) -> (f64, f64, &'static str) {
        let (l, r) = (plot.left + f * 0.8, plot.left + plot.width - f * 0.8);
        let (low, high) = (plot.bottom - f * 0.8, plot.top + f * 1.4);
        let spots: [(f64, f64, &'static str); 3] = match self.kind {
            CurveKind::Survival => [(l, low, "start"), (r, low, "end"), (r, high, "end")],
            CurveKind::Incidence => [(l, high, "start"), (r, high, "end"), (r, low, "end")],
        };
        // Wide enough that a curve lying on the axis (at 0) touches the box.
        let pad = (0.45 * f).max(4.0);
        let crossings = |&(x, y, anchor): &(f64, f64, &str)| {
            let (x0, x1) = if anchor == "end" {
                (x - text_w, x)
            } else {
                (x, x + text_w)
            };
            let t = (plot.time(x0 - pad), plot.time(x1 + pad));
            let v = (plot.value(y + f * 0.5 + pad), plot.value(y - f - pad));
            self.series
                .iter()
                .filter(|s| self.crosses(s, start, t, v))
                .count()
        };
        let mut best = spots[0];
        let mut fewest = usize::MAX;
        for spot in spots {
            let n = crossings(&spot);
            if n == 0 {
                return spot;
            }
            if n < fewest {
                fewest = n;
                best = spot;
            }
        }
        best
    }
}

/// The piecewise-constant pieces of a curve inside [lo, hi].
struct Piece {
    x0: f64,
    x1: f64,
    lower: f64,
    upper: f64,
}

impl Figure for KmFigure {
    fn to_svg(&self) -> Result<String, ReportError> {
        self.style.check()?;
        if self.series.is_empty() {
            return Err(ReportError::NoData("Kaplan–Meier figure".into()));
        }
        if !(self.plot_height.is_finite() && (50.0..=5000.0).contains(&self.plot_height)) {
            return Err(invalid("plot height", self.plot_height));
        }
        if !(self.y_max.is_finite() && self.y_max > 0.0 && self.y_max <= 1.0) {
            return Err(invalid("y_max", self.y_max));
        }
        for (i, s) in self.series.iter().enumerate() {
            s.validate(i, self.kind)?;
        }
        let (ticks, lo, hi) = self.x_range()?;
        let f = self.style.font_size;
        let start = self.start_value();

        // y ticks and labels.
        let y_ticks: Vec<f64> = if self.y_max == 1.0 {
            vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        } else {
            let mut t = nice_ticks(0.0, self.y_max, 5);
            t.retain(|v| *v <= self.y_max * (1.0 + 1e-12));
            t
        };
        let y_labels = tick_labels(&y_ticks, if self.y_percent { 100.0 } else { 1.0 });
        let x_labels = tick_labels(&ticks, 1.0);

        // Horizontal layout.
        let with_table =
            self.at_risk_table && self.series.iter().any(|s| s.at_risk != AtRisk::None);
        let y_title_w = if self.y_label.is_empty() {
            0.0
        } else {
            f * 1.8
        };
        let axis_w = YAxis::label_width(&y_labels, f);
        // The at-risk labels end left of the widest number under the first
        // tick (numbers are centred on their tick).
        let first_tick_half = if with_table {
            let first = ticks.first().copied().unwrap_or(lo);
            self.series
                .iter()
                .filter_map(|s| match (s.at_risk_at(first), &s.at_risk) {
                    (None, AtRisk::Cut { after, .. }) => Some(after.clone()),
                    (n, _) => n.map(fmt_count),
                })
                .map(|n| text_width(&n, f, false))
                .fold(0.0, f64::max)
                / 2.0
        } else {
            0.0
        };
        let table_label_w = if with_table {
            max_width(self.series.iter().map(|s| s.label.as_str()), f, false)
                + first_tick_half
                + 10.0
        } else {
            0.0
        };
        let left = (4.0 + y_title_w + axis_w).max(table_label_w + 4.0).ceil();
        let last_label_w = x_labels.last().map_or(0.0, |l| text_width(l, f, false));
        let right = (last_label_w / 2.0 + 8.0).max(16.0).ceil();
        let pw = self.style.width - left - right;
        if pw < 80.0 {
            return Err(ReportError::InvalidOption(
                "figure too narrow for its labels".into(),
            ));
        }

        // Vertical layout.
        let legend_items: Vec<LegendItem> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| LegendItem {
                label: s.label.clone(),
                swatch: Swatch::Line(palette::series(i)),
            })
            .collect();
        let title_h = if self.title.is_empty() { 0.0 } else { f * 2.0 };
        let legend_h = legend_height(&legend_items, pw, f);
        let top = (6.0 + title_h + legend_h + 6.0).ceil();
        let bottom = top + self.plot_height;
        let axis_h = XAxis::height(f, !self.x_label.is_empty());
        let table_rows = self
            .series
            .iter()
            .filter(|s| s.at_risk != AtRisk::None)
            .count();
        let table_h = if with_table {
            f * 2.2 + table_rows as f64 * f * 1.5
        } else {
            0.0
        };
        let height = (bottom + axis_h + table_h + 10.0).ceil();

        let xs = Linear::new(lo, hi, left, left + pw);
        let ys = Linear::new(0.0, self.y_max, bottom, top);
        let y_of = |v: f64| ys.map(v.clamp(0.0, self.y_max));

        let figure_title = if self.title.is_empty() {
            match self.kind {
                CurveKind::Survival => "Kaplan–Meier curves",
                CurveKind::Incidence => "Cumulative incidence curves",
            }
        } else {
            &self.title
        };
        let class = match self.kind {
            CurveKind::Survival => "km",
            CurveKind::Incidence => "cuminc",
        };
        let mut svg = Svg::new(self.style.width, height, class, figure_title, f);
        draw_title(&mut svg, &self.title, 4.0, f);
        draw_legend(&mut svg, &legend_items, left, 6.0 + title_h, pw, f);

        // The plotting area, for readers of the SVG (and tests).
        svg.empty(
            "rect",
            &[
                ("class", &"plot-area"),
                ("x", &N(left)),
                ("y", &N(top)),
                ("width", &N(pw)),
                ("height", &N(self.plot_height)),
                ("fill", &"none"),
                ("data-x-min", &lo),
                ("data-x-max", &hi),
                ("data-y-max", &self.y_max),
            ],
        );

        for (i, s) in self.series.iter().enumerate() {
            let colour = palette::series(i);
            let index = i.to_string();
            svg.open(
                "g",
                &[
                    ("class", &"series"),
                    ("data-series", &index),
                    ("data-label", &s.label),
                ],
            );
            if self.show_ci {
                let band = band_path(s, start, lo, hi, &|t| xs.map(t), &y_of);
                if !band.is_empty() {
                    svg.empty(
                        "path",
                        &[
                            ("class", &"ci-band"),
                            ("d", &band),
                            ("fill", &colour),
                            ("fill-opacity", &0.15),
                            ("stroke", &"none"),
                        ],
                    );
                }
            }
            let median = s.median.filter(|m| {
                self.kind == CurveKind::Survival && self.show_median && *m >= lo && *m <= hi
            });
            if let Some(m) = median {
                let mut d = PathData::new();
                d.move_to(xs.map(lo), y_of(0.5)).h(xs.map(m)).v(y_of(0.0));
                svg.empty(
                    "path",
                    &[
                        ("class", &"median"),
                        ("data-time", &m),
                        ("d", &d),
                        ("stroke", &colour),
                        ("stroke-width", &1),
                        ("stroke-dasharray", &"4 3"),
                        ("fill", &"none"),
                    ],
                );
            }
            let curve = step_path(s, start, lo, hi, &|t| xs.map(t), &y_of);
            svg.empty(
                "path",
                &[
                    ("class", &"curve"),
                    ("d", &curve),
                    ("stroke", &colour),
                    ("stroke-width", &N(self.style.line_width)),
                    ("fill", &"none"),
                    ("stroke-linejoin", &"miter"),
                ],
            );
            if self.show_censor {
                let r = (f * 0.3).max(2.0);
                let mut marks = PathData::new();
                let mut count = 0usize;
                for &c in s.censor_times.iter().filter(|c| **c >= lo && **c <= hi) {
                    let v = s.value_at(c, start);
                    if !v.is_finite() {
                        continue;
                    }
                    let (x, y) = (xs.map(c), y_of(v));
                    marks.move_to(x - r, y).h(x + r).move_to(x, y - r).v(y + r);
                    count += 1;
                }
                if count > 0 {
                    svg.empty(
                        "path",
                        &[
                            ("class", &"censor-marks"),
                            ("data-count", &count),
                            ("d", &marks),
                            ("stroke", &colour),
                            ("stroke-width", &1.2),
                            ("fill", &"none"),
                        ],
                    );
                }
            }
            svg.close();
        }

        if let Some(p) = self.p_value_text.as_deref().filter(|p| !p.is_empty()) {
            let plot = PlotBox {
                lo,
                hi,
                left,
                width: pw,
                top,
                bottom,
                y_max: self.y_max,
            };
            let (x, y, anchor) = self.p_value_spot(text_width(p, f, false), f, start, &plot);
            svg.text(x, y, anchor, p, &[("class", &"p-value")]);
        }

        let x_pos: Vec<f64> = ticks.iter().map(|t| xs.map(*t)).collect();
        XAxis {
            positions: &x_pos,
            values: &ticks,
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

        if with_table {
            let table_top = bottom + axis_h;
            svg.open("g", &[("class", &"at-risk-table")]);
            svg.text(
                4.0,
                table_top + f * 1.4,
                "start",
                "Number at risk",
                &[("class", &"at-risk-title"), ("font-weight", &"bold")],
            );
            let mut row = 0usize;
            for (i, s) in self.series.iter().enumerate() {
                if s.at_risk == AtRisk::None {
                    continue;
                }
                let y = table_top + f * 2.2 + row as f64 * f * 1.5 + f * 0.9;
                row += 1;
                let colour = palette::series(i);
                let index = i.to_string();
                svg.text(
                    xs.map(ticks.first().copied().unwrap_or(lo)).min(left) - first_tick_half - 8.0,
                    y,
                    "end",
                    &s.label,
                    &[
                        ("class", &"at-risk-label"),
                        ("data-series", &index),
                        ("fill", &colour),
                    ],
                );
                for (t, x) in ticks.iter().zip(&x_pos) {
                    match (s.at_risk_at(*t), &s.at_risk) {
                        (None, AtRisk::Cut { after, .. }) => svg.text(
                            *x,
                            y,
                            "middle",
                            after,
                            &[
                                ("class", &"at-risk"),
                                ("data-series", &index),
                                ("data-time", t),
                            ],
                        ),
                        (n, _) => {
                            let n = n.unwrap_or(0.0);
                            svg.text(
                                *x,
                                y,
                                "middle",
                                &fmt_count(n),
                                &[
                                    ("class", &"at-risk"),
                                    ("data-series", &index),
                                    ("data-time", t),
                                    ("data-n", &n),
                                ],
                            )
                        }
                    }
                }
            }
            svg.close();
        }
        Ok(svg.finish())
    }
}

/// The step curve of `s` inside [lo, hi]: `M` at the left end, then `H`/`V`
/// pairs at each change of level, `H` to the end of follow-up.
fn step_path(
    s: &KmSeries,
    start: f64,
    lo: f64,
    hi: f64,
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> PathData {
    let mut d = PathData::new();
    let first = s.time.partition_point(|&t| t <= lo);
    let mut level = s.value_at(lo, start);
    d.move_to(x(lo), y(level));
    let mut last_x = lo;
    for j in first..s.time.len() {
        let t = s.time[j];
        if t > hi {
            break;
        }
        let v = s.estimate[j];
        if !v.is_finite() || v == level {
            continue;
        }
        d.h(x(t)).v(y(v));
        level = v;
        last_x = t;
    }
    let end = s.end_time.max(s.time.last().copied().unwrap_or(lo)).min(hi);
    if end > last_x {
        d.h(x(end));
    }
    d
}

/// The confidence band of `s` as closed polygons, one per stretch where
/// both limits exist.
fn band_path(
    s: &KmSeries,
    start: f64,
    lo: f64,
    hi: f64,
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
) -> PathData {
    let end = s.end_time.max(s.time.last().copied().unwrap_or(lo)).min(hi);
    // Limits in force on [lo, first step): those of the last step ≤ lo.
    let first = s.time.partition_point(|&t| t <= lo);
    let (mut l, mut u) = if first == 0 {
        (start, start)
    } else {
        (s.lower[first - 1], s.upper[first - 1])
    };
    let mut pieces: Vec<Piece> = Vec::new();
    let mut x0 = lo;
    for j in first..=s.time.len() {
        let t = if j < s.time.len() {
            s.time[j].min(end)
        } else {
            end
        };
        if t > x0 {
            match pieces.last_mut() {
                Some(p) if p.x1 == x0 && p.lower == l && p.upper == u => p.x1 = t,
                _ => pieces.push(Piece {
                    x0,
                    x1: t,
                    lower: l,
                    upper: u,
                }),
            }
            x0 = t;
        }
        if j == s.time.len() || s.time[j] >= end {
            break;
        }
        l = s.lower[j];
        u = s.upper[j];
    }
    let mut d = PathData::new();
    let mut run: Vec<&Piece> = Vec::new();
    let flush = |run: &mut Vec<&Piece>, d: &mut PathData| {
        if run.is_empty() {
            return;
        }
        d.move_to(x(run[0].x0), y(run[0].upper));
        for (k, p) in run.iter().enumerate() {
            d.h(x(p.x1));
            if let Some(next) = run.get(k + 1) {
                d.v(y(next.upper));
            }
        }
        d.v(y(run[run.len() - 1].lower));
        for k in (0..run.len()).rev() {
            d.h(x(run[k].x0));
            if k > 0 {
                d.v(y(run[k - 1].lower));
            }
        }
        d.close();
        run.clear();
    };
    for p in &pieces {
        if p.lower.is_finite() && p.upper.is_finite() {
            run.push(p);
        } else {
            flush(&mut run, &mut d);
        }
    }
    flush(&mut run, &mut d);
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(time: &[f64], est: &[f64]) -> KmSeries {
        KmSeries {
            label: "g".into(),
            time: time.to_vec(),
            estimate: est.to_vec(),
            lower: est.iter().map(|v| v * 0.9).collect(),
            upper: est.iter().map(|v| (v * 1.1).min(1.0)).collect(),
            censor_times: vec![],
            end_time: time.last().copied().unwrap_or(0.0),
            median: None,
            at_risk: AtRisk::None,
        }
    }

    /// The text-anchor and y of the p-value in a figure's SVG.
    fn p_value_at(svg: &str) -> (String, f64) {
        let line = svg
            .lines()
            .find(|l| l.contains("class=\"p-value\""))
            .expect("a p-value");
        let attr = |name: &str| {
            let from = line.find(&format!("{name}=\"")).expect(name) + name.len() + 2;
            line[from..].split('"').next().unwrap().to_string()
        };
        (attr("text-anchor"), attr("y").parse().unwrap())
    }

    #[test]
    fn the_p_value_moves_off_the_curves() {
        // Curves high at the bottom left's times: the p-value stays there.
        let mut fig = KmFigure::survival(vec![series(&[10.0, 20.0], &[0.9, 0.8])], "Months");
        fig.p_value_text = Some("Log-rank p = 0.042".into());
        let (anchor, low_y) = p_value_at(&fig.to_svg().unwrap());
        assert_eq!(anchor, "start");
        // A curve that falls to 0 at once and runs on at 0: the bottom is
        // taken, the top right is free.
        fig.series = vec![series(&[0.5, 20.0], &[0.0, 0.0])];
        let (anchor, y) = p_value_at(&fig.to_svg().unwrap());
        assert_eq!(anchor, "end");
        assert!(y < low_y - 100.0, "moved to the top: {y} vs {low_y}");
        // A curve near 0 that ends early, and one that stays high: the
        // bottom left is crossed, the bottom right is free.
        fig.series = vec![series(&[0.1], &[0.02]), series(&[15.0], &[0.9])];
        fig.series[0].end_time = 2.0;
        fig.series[1].end_time = 20.0;
        let (anchor, y) = p_value_at(&fig.to_svg().unwrap());
        assert_eq!((anchor.as_str(), y), ("end", low_y), "bottom right");
    }

    #[test]
    fn step_path_changes_level_only_at_changes() {
        let s = series(&[1.0, 2.0, 3.0], &[0.5, 0.5, 0.25]);
        let d = step_path(&s, 1.0, 0.0, 10.0, &|t| t * 10.0, &|v| 100.0 - v * 100.0);
        assert_eq!(d.as_str(), "M 0,0 H 10 V 50 H 30 V 75");
    }

    #[test]
    fn step_path_is_cut_at_the_axis_end() {
        let s = series(&[1.0, 2.0, 3.0], &[0.5, 0.4, 0.25]);
        let d = step_path(&s, 1.0, 0.0, 2.5, &|t| t, &|v| v);
        assert_eq!(d.as_str(), "M 0,1 H 1 V 0.5 H 2 V 0.4 H 2.5");
    }

    #[test]
    fn band_is_interrupted_where_a_limit_is_missing() {
        let mut s = series(&[1.0, 2.0, 3.0], &[0.5, 0.4, 0.0]);
        s.lower[2] = f64::NAN;
        s.end_time = 4.0;
        let d = band_path(&s, 1.0, 0.0, 10.0, &|t| t, &|v| v);
        // One polygon from 0 to 3 (the last piece has no lower limit).
        assert_eq!(d.as_str().matches('M').count(), 1);
        assert!(d.as_str().contains("H 3"));
        assert!(!d.as_str().contains("H 4"));
    }

    #[test]
    fn at_risk_from_follow_up_counts_times_at_or_after() {
        let s = series(&[], &[]).with_follow_up(&[5.0, 1.0, 3.0, 3.0, f64::NAN]);
        assert_eq!(s.at_risk_at(0.0), Some(4.0));
        assert_eq!(s.at_risk_at(3.0), Some(3.0));
        assert_eq!(s.at_risk_at(3.5), Some(1.0));
        assert_eq!(s.at_risk_at(6.0), Some(0.0));
    }

    #[test]
    fn layer_incidence_curve_becomes_a_series() {
        use netra_analysis::analyses::cuminc::Point;
        let point = |time: f64, estimate: Option<f64>, lower: Option<f64>| Point {
            time,
            estimate,
            variance: None,
            std_err: None,
            lower,
            upper: estimate.map(|e| e + 0.1),
        };
        let curve = CurveOut {
            group: "F".into(),
            cause: "pcm".into(),
            cause_code: 1,
            n: 3,
            events: 2,
            competing_events: 0,
            last_time: 9.0,
            at_times: Vec::new(),
            steps: Some(vec![
                point(2.0, Some(0.5), None),
                point(4.0, Some(1.000_000_000_000_000_2), Some(0.7)),
            ]),
        };
        let s = KmSeries::from_cuminc_out("F", &curve);
        assert_eq!(s.time, vec![2.0, 4.0]);
        // Rounding above 1 is drawn at 1; a missing limit interrupts the band.
        assert_eq!(s.estimate, vec![0.5, 1.0]);
        assert!(s.lower[0].is_nan());
        assert_eq!(s.lower[1], 0.7);
        assert_eq!(s.upper[1], 1.0);
        assert_eq!(s.end_time, 9.0);
        assert_eq!(s.at_risk_at(0.0), None);
        let without = CurveOut {
            steps: None,
            ..curve
        };
        assert!(KmSeries::from_cuminc_out("F", &without).time.is_empty());
    }

    #[test]
    fn invalid_inputs_are_errors() {
        let mut f = KmFigure::survival(vec![series(&[2.0, 1.0], &[0.5, 0.4])], "t");
        assert!(matches!(f.to_svg(), Err(ReportError::InvalidValue { .. })));
        f.series = vec![series(&[1.0], &[1.5])];
        assert!(f.to_svg().is_err());
        f.series = vec![];
        assert!(matches!(f.to_svg(), Err(ReportError::NoData(_))));
        f.series = vec![series(&[1.0], &[0.5])];
        f.ticks = Some(vec![0.0, 0.0]);
        assert!(f.to_svg().is_err());
        f.ticks = None;
        f.style.width = 10.0;
        assert!(f.to_svg().is_err());
    }
}
