//! Scales (linear and log), tick choice and tick labels, and the drawing of
//! axes shared by the figures.

use crate::svg::{N, PathData, Svg};

/// Maps a data interval onto a pixel interval linearly.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linear {
    /// Data value at `r0`.
    pub d0: f64,
    /// Data value at `r1`.
    pub d1: f64,
    /// Pixel position of `d0`.
    pub r0: f64,
    /// Pixel position of `d1`.
    pub r1: f64,
}

impl Linear {
    /// A scale from `[d0, d1]` to `[r0, r1]`; a degenerate data interval is
    /// widened by one unit so that mapping stays finite.
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Linear {
        let (d0, d1) = if d1 > d0 { (d0, d1) } else { (d0, d0 + 1.0) };
        Linear { d0, d1, r0, r1 }
    }

    /// Pixel position of `v`.
    pub fn map(&self, v: f64) -> f64 {
        self.r0 + (v - self.d0) / (self.d1 - self.d0) * (self.r1 - self.r0)
    }
}

/// Maps a positive data interval onto pixels on a log scale.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Log {
    lin: Linear,
}

impl Log {
    /// A log scale from `[d0, d1]` (both > 0) to `[r0, r1]`.
    pub fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Log {
        Log {
            lin: Linear::new(d0.ln(), d1.ln(), r0, r1),
        }
    }

    /// Pixel position of `v` (> 0).
    pub fn map(&self, v: f64) -> f64 {
        self.lin.map(v.ln())
    }
}

/// About `target` round ticks (steps 1, 2, 2.5 or 5 × 10^k) covering
/// `[lo, hi]`: the first tick ≤ lo, the last ≥ hi.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) {
        return vec![0.0, 1.0];
    }
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo, lo + 1.0) };
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * 0.999_999)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor();
    let last = (hi / step).ceil();
    let n = (last - first).clamp(1.0, 1000.0) as usize;
    (0..=n)
        .map(|i| {
            let v = (first + i as f64) * step;
            // Remove representation noise such as 0.6000000000000001.
            clean(v)
        })
        .collect()
}

/// `v` rounded to 12 significant digits (removes binary noise from tick
/// arithmetic so that ticks print and compare as the round numbers they are).
pub fn clean(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return if v == 0.0 { 0.0 } else { v };
    }
    format!("{:.11e}", v).parse::<f64>().unwrap_or(v)
}

/// Ticks for time axes in months: steps of 3, 6, 12, 24, 36, 60 … months
/// when they give about `target` ticks, otherwise [`nice_ticks`].
pub fn month_ticks(hi: f64, target: usize) -> Vec<f64> {
    if !(hi.is_finite() && hi > 0.0) {
        return nice_ticks(0.0, 1.0, target);
    }
    for step in [3.0, 6.0, 12.0, 24.0, 36.0, 48.0, 60.0, 120.0] {
        let n = (hi / step).ceil();
        if n <= target as f64 + 1.0 {
            return (0..=n as usize).map(|i| i as f64 * step).collect();
        }
    }
    nice_ticks(0.0, hi, target)
}

/// Log-scale ticks (1, 2, 5 × 10^k) inside `[lo, hi]`, always including 1
/// when it is inside.
pub fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    if !(lo > 0.0 && hi > lo && lo.is_finite() && hi.is_finite()) {
        return out;
    }
    let k0 = lo.log10().floor() as i32 - 1;
    let k1 = hi.log10().ceil() as i32 + 1;
    let decades = (k1 - k0).max(0);
    // Wide ranges: only powers of ten.
    let mantissas: &[f64] = if decades > 5 {
        &[1.0]
    } else {
        &[1.0, 2.0, 5.0]
    };
    for k in k0..=k1 {
        for m in mantissas {
            let v = m * 10f64.powi(k);
            let v = clean(v);
            if v >= lo * (1.0 - 1e-9) && v <= hi * (1.0 + 1e-9) {
                out.push(v);
            }
        }
    }
    out
}

/// Labels for ticks with the fewest decimals that print every tick exactly
/// (at most 6), a typographic minus for negative values, and an optional
/// scale factor (100 for percentages).
pub fn tick_labels(ticks: &[f64], factor: f64) -> Vec<String> {
    let scaled: Vec<f64> = ticks.iter().map(|t| t * factor).collect();
    let decimals = (0..=6)
        .find(|&d| {
            let p = 10f64.powi(d);
            scaled
                .iter()
                .all(|v| ((v * p).round() - v * p).abs() < 1e-6 * p.max(1.0))
        })
        .unwrap_or(6) as usize;
    scaled.iter().map(|v| fmt_decimal(*v, decimals)).collect()
}

/// `v` with `decimals` decimals and a typographic minus.
pub fn fmt_decimal(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v);
    let s = if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    };
    s.replacen('-', "\u{2212}", 1)
}

/// Geometry of a horizontal axis drawn below a plot area.
pub struct XAxis<'a> {
    /// Pixel positions of the ticks.
    pub positions: &'a [f64],
    /// The data values of the ticks (written as `data-value`).
    pub values: &'a [f64],
    /// Labels of the ticks.
    pub labels: &'a [String],
    /// Left and right end of the axis line.
    pub x0: f64,
    /// Right end of the axis line.
    pub x1: f64,
    /// Vertical position of the axis line.
    pub y: f64,
    /// Font size.
    pub font: f64,
    /// Axis title, centred below the labels (empty for none).
    pub title: &'a str,
}

/// Tick length in px.
pub const TICK: f64 = 5.0;

impl XAxis<'_> {
    /// Height below `y` taken by ticks, labels and title.
    pub fn height(font: f64, with_title: bool) -> f64 {
        TICK + 3.0 + font * 1.1 + if with_title { font * 1.6 } else { 0.0 }
    }

    /// Draws the axis as `<g class="x-axis">`.
    pub fn draw(&self, svg: &mut Svg) {
        svg.open("g", &[("class", &"x-axis")]);
        let mut line = PathData::new();
        line.move_to(self.x0, self.y).h(self.x1);
        svg.empty(
            "path",
            &[
                ("class", &"axis-line"),
                ("d", &line),
                ("stroke", &"#000000"),
                ("fill", &"none"),
            ],
        );
        for ((x, v), label) in self.positions.iter().zip(self.values).zip(self.labels) {
            svg.empty(
                "line",
                &[
                    ("class", &"tick"),
                    ("data-value", v),
                    ("x1", &N(*x)),
                    ("x2", &N(*x)),
                    ("y1", &N(self.y)),
                    ("y2", &N(self.y + TICK)),
                    ("stroke", &"#000000"),
                ],
            );
            svg.text(
                *x,
                self.y + TICK + 2.0 + self.font * 0.9,
                "middle",
                label,
                &[("class", &"tick-label")],
            );
        }
        if !self.title.is_empty() {
            svg.text(
                (self.x0 + self.x1) / 2.0,
                self.y + TICK + 3.0 + self.font * 2.3,
                "middle",
                self.title,
                &[("class", &"axis-title")],
            );
        }
        svg.close();
    }
}

/// Geometry of a vertical axis drawn left of a plot area.
pub struct YAxis<'a> {
    /// Pixel positions of the ticks.
    pub positions: &'a [f64],
    /// The data values of the ticks.
    pub values: &'a [f64],
    /// Labels of the ticks.
    pub labels: &'a [String],
    /// Horizontal position of the axis line.
    pub x: f64,
    /// Top end of the axis line.
    pub y0: f64,
    /// Bottom end of the axis line.
    pub y1: f64,
    /// Font size.
    pub font: f64,
    /// Axis title, rotated, left of the labels (empty for none).
    pub title: &'a str,
    /// Horizontal position of the title's centre line.
    pub title_x: f64,
}

impl YAxis<'_> {
    /// Width left of the axis line taken by ticks and the widest label.
    pub fn label_width(labels: &[String], font: f64) -> f64 {
        TICK + 4.0 + crate::font::max_width(labels.iter().map(String::as_str), font, false)
    }

    /// Draws the axis as `<g class="y-axis">`.
    pub fn draw(&self, svg: &mut Svg) {
        svg.open("g", &[("class", &"y-axis")]);
        let mut line = PathData::new();
        line.move_to(self.x, self.y0).v(self.y1);
        svg.empty(
            "path",
            &[
                ("class", &"axis-line"),
                ("d", &line),
                ("stroke", &"#000000"),
                ("fill", &"none"),
            ],
        );
        for ((y, v), label) in self.positions.iter().zip(self.values).zip(self.labels) {
            svg.empty(
                "line",
                &[
                    ("class", &"tick"),
                    ("data-value", v),
                    ("x1", &N(self.x - TICK)),
                    ("x2", &N(self.x)),
                    ("y1", &N(*y)),
                    ("y2", &N(*y)),
                    ("stroke", &"#000000"),
                ],
            );
            svg.text(
                self.x - TICK - 3.0,
                y + self.font * 0.35,
                "end",
                label,
                &[("class", &"tick-label")],
            );
        }
        if !self.title.is_empty() {
            let cy = (self.y0 + self.y1) / 2.0;
            let rotate = format!("rotate(-90 {} {})", N(self.title_x), N(cy));
            svg.text(
                self.title_x,
                cy + self.font * 0.35,
                "middle",
                self.title,
                &[("class", &"axis-title"), ("transform", &rotate)],
            );
        }
        svg.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_cover_the_range_with_round_steps() {
        assert_eq!(nice_ticks(0.0, 1.0, 5), vec![0.0, 0.2, 0.4, 0.6, 0.8, 1.0]);
        assert_eq!(
            nice_ticks(0.0, 1022.0, 5),
            vec![0.0, 250.0, 500.0, 750.0, 1000.0, 1250.0]
        );
        assert_eq!(
            nice_ticks(-93.0, 41.0, 6),
            vec![-100.0, -75.0, -50.0, -25.0, 0.0, 25.0, 50.0]
        );
        assert_eq!(nice_ticks(5.0, 5.0, 5).len(), 6);
        assert_eq!(nice_ticks(f64::NAN, 1.0, 5), vec![0.0, 1.0]);
    }

    #[test]
    fn month_ticks_prefer_calendar_steps() {
        assert_eq!(
            month_ticks(50.0, 6),
            vec![0.0, 12.0, 24.0, 36.0, 48.0, 60.0]
        );
        assert_eq!(month_ticks(14.0, 6), vec![0.0, 3.0, 6.0, 9.0, 12.0, 15.0]);
    }

    #[test]
    fn log_ticks_include_one() {
        assert_eq!(log_ticks(0.3, 4.0), vec![0.5, 1.0, 2.0]);
        assert_eq!(
            log_ticks(0.1, 10.0),
            vec![0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0]
        );
        assert!(log_ticks(-1.0, 2.0).is_empty());
    }

    #[test]
    fn labels_use_the_fewest_exact_decimals() {
        assert_eq!(
            tick_labels(&[0.0, 0.25, 0.5], 1.0),
            vec!["0.00", "0.25", "0.50"]
        );
        assert_eq!(tick_labels(&[0.0, 0.2, 1.0], 100.0), vec!["0", "20", "100"]);
        assert_eq!(tick_labels(&[-50.0, 0.0], 1.0), vec!["\u{2212}50", "0"]);
        assert_eq!(fmt_decimal(-0.0001, 2), "0.00");
    }

    #[test]
    fn scales_map_ends() {
        let s = Linear::new(0.0, 10.0, 100.0, 200.0);
        assert_eq!(s.map(5.0), 150.0);
        let l = Log::new(0.1, 10.0, 0.0, 200.0);
        assert!((l.map(1.0) - 100.0).abs() < 1e-9);
        let d = Linear::new(3.0, 3.0, 0.0, 10.0);
        assert!(d.map(3.0).is_finite());
    }
}
