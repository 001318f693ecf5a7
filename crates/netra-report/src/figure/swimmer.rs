//! Swimmer plot: one lane per patient along the time axis, with the
//! treatment lines as bars coloured by therapy class, response and
//! progression markers, and the end of follow-up marked by death (×) or an
//! arrow (alive, follow-up continuing).
//!
//! A one-patient swimmer is a case report's treatment course: the lane is
//! taller and each bar is labelled with its regimen (inside the bar when
//! the label fits, otherwise above it on the first free row).
//!
//! Marker shapes are black and white so that they read on any bar colour:
//! CR filled circle, PR open circle, MR open diamond, SD open square,
//! progression filled triangle (pointing down), death ×, alive →.

use super::{Figure, LegendItem, Style, Swatch, draw_legend, draw_title, legend_height};
use crate::ReportError;
use crate::axis::{Linear, XAxis, nice_ticks, tick_labels};
use crate::error::invalid;
use crate::font::{max_width, text_width};
use crate::palette::{self, ClassColours, ResponseClass};
use crate::svg::{N, PathData, Svg};

/// A marker shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// Filled black circle.
    FilledCircle,
    /// White circle with a black outline.
    OpenCircle,
    /// White diamond with a black outline.
    OpenDiamond,
    /// White square with a black outline.
    OpenSquare,
    /// Filled black triangle pointing down.
    TriangleDown,
    /// A bold ×.
    Cross,
    /// An arrow head pointing right.
    ArrowRight,
}

/// Draws `marker` centred at (x, y) with radius `r`.
pub(crate) fn draw_marker(svg: &mut Svg, marker: Marker, x: f64, y: f64, r: f64) {
    let black = "#000000";
    match marker {
        Marker::FilledCircle | Marker::OpenCircle => {
            let fill = if marker == Marker::FilledCircle {
                black
            } else {
                "#FFFFFF"
            };
            svg.empty(
                "circle",
                &[
                    ("cx", &N(x)),
                    ("cy", &N(y)),
                    ("r", &N(r * 0.85)),
                    ("fill", &fill),
                    ("stroke", &black),
                    ("stroke-width", &1.2),
                ],
            );
        }
        Marker::OpenDiamond => {
            let mut d = PathData::new();
            d.move_to(x, y - r)
                .line_to(x + r, y)
                .line_to(x, y + r)
                .line_to(x - r, y)
                .close();
            svg.empty(
                "path",
                &[
                    ("d", &d),
                    ("fill", &"#FFFFFF"),
                    ("stroke", &black),
                    ("stroke-width", &1.2),
                ],
            );
        }
        Marker::OpenSquare => {
            let s = r * 0.8;
            svg.empty(
                "rect",
                &[
                    ("x", &N(x - s)),
                    ("y", &N(y - s)),
                    ("width", &N(2.0 * s)),
                    ("height", &N(2.0 * s)),
                    ("fill", &"#FFFFFF"),
                    ("stroke", &black),
                    ("stroke-width", &1.2),
                ],
            );
        }
        Marker::TriangleDown => {
            let mut d = PathData::new();
            d.move_to(x - r, y - r * 0.8)
                .line_to(x + r, y - r * 0.8)
                .line_to(x, y + r * 0.9)
                .close();
            svg.empty("path", &[("d", &d), ("fill", &black)]);
        }
        Marker::Cross => {
            let mut d = PathData::new();
            let s = r * 0.8;
            d.move_to(x - s, y - s)
                .line_to(x + s, y + s)
                .move_to(x - s, y + s)
                .line_to(x + s, y - s);
            svg.empty(
                "path",
                &[
                    ("d", &d),
                    ("stroke", &black),
                    ("stroke-width", &2.2),
                    ("fill", &"none"),
                ],
            );
        }
        Marker::ArrowRight => {
            let mut d = PathData::new();
            d.move_to(x - r * 0.6, y - r * 0.8)
                .line_to(x + r * 0.9, y)
                .line_to(x - r * 0.6, y + r * 0.8)
                .close();
            svg.empty("path", &[("d", &d), ("fill", &black)]);
        }
    }
}

/// What happened at a point of a patient's course.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A response assessment (drawn for CR, PR, MR and SD).
    Response(ResponseClass),
    /// Disease progression.
    Progression,
}

impl EventKind {
    fn marker(self) -> Option<Marker> {
        match self {
            EventKind::Response(ResponseClass::CR) => Some(Marker::FilledCircle),
            EventKind::Response(ResponseClass::PR) => Some(Marker::OpenCircle),
            EventKind::Response(ResponseClass::MR) => Some(Marker::OpenDiamond),
            EventKind::Response(ResponseClass::SD) => Some(Marker::OpenSquare),
            EventKind::Response(_) => None,
            EventKind::Progression => Some(Marker::TriangleDown),
        }
    }

    fn label(self) -> &'static str {
        match self {
            EventKind::Response(c) => c.label(),
            EventKind::Progression => "Progression",
        }
    }
}

/// A dated event on a lane.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SwimmerEvent {
    /// Time from the lane's origin.
    pub time: f64,
    /// What happened.
    pub kind: EventKind,
}

/// One treatment (line of therapy, local treatment) on a lane.
#[derive(Debug, Clone, PartialEq)]
pub struct SwimmerSegment {
    /// Start time.
    pub start: f64,
    /// End time (≥ start).
    pub end: f64,
    /// Therapy class (bar colour; see [`palette::THERAPY_CLASSES`]).
    pub class: String,
    /// Regimen text printed on the bar (when it fits, or always for a
    /// one-patient swimmer).
    pub label: Option<String>,
}

/// How follow-up ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaneEnd {
    /// Died at the end of follow-up (×).
    Death,
    /// Alive at the last follow-up, still followed (→).
    Alive,
    /// Follow-up stopped without an arrow (lost, data cut-off).
    Censored,
}

/// One patient's lane.
#[derive(Debug, Clone, PartialEq)]
pub struct SwimmerLane {
    /// Patient label.
    pub patient: String,
    /// End of follow-up (the lane's length).
    pub end: f64,
    /// How follow-up ends.
    pub end_kind: LaneEnd,
    /// Treatments.
    pub segments: Vec<SwimmerSegment>,
    /// Responses and progressions.
    pub events: Vec<SwimmerEvent>,
}

/// A swimmer plot.
#[derive(Debug, Clone, PartialEq)]
pub struct SwimmerFigure {
    /// Lanes.
    pub lanes: Vec<SwimmerLane>,
    /// Title above the figure (empty for none).
    pub title: String,
    /// x-axis title with the unit.
    pub x_label: String,
    /// x ticks; `None` for round values.
    pub ticks: Option<Vec<f64>>,
    /// Sort lanes by follow-up, longest on top (else the given order).
    pub sort_by_follow_up: bool,
    /// Width, text size, line width.
    pub style: Style,
}

impl SwimmerFigure {
    /// A swimmer plot sorted by follow-up.
    pub fn new(lanes: Vec<SwimmerLane>, x_label: impl Into<String>) -> SwimmerFigure {
        SwimmerFigure {
            lanes,
            title: String::new(),
            x_label: x_label.into(),
            ticks: None,
            sort_by_follow_up: true,
            style: Style::default(),
        }
    }

    /// The lanes in drawing order (top to bottom).
    pub fn ordered_lanes(&self) -> Vec<&SwimmerLane> {
        let mut lanes: Vec<&SwimmerLane> = self.lanes.iter().collect();
        if self.sort_by_follow_up {
            lanes.sort_by(|a, b| {
                b.end
                    .total_cmp(&a.end)
                    .then_with(|| a.patient.cmp(&b.patient))
            });
        }
        lanes
    }

    fn validate(&self) -> Result<(), ReportError> {
        for lane in &self.lanes {
            let what = |s: &str| format!("swimmer lane '{}' {s}", lane.patient);
            if !(lane.end.is_finite() && lane.end >= 0.0) {
                return Err(invalid(what("end"), lane.end));
            }
            for s in &lane.segments {
                if !(s.start.is_finite() && s.start >= 0.0) {
                    return Err(invalid(what("segment start"), s.start));
                }
                if !(s.end.is_finite() && s.end >= s.start) {
                    return Err(invalid(what("segment end"), s.end));
                }
            }
            if let Some(e) = lane
                .events
                .iter()
                .find(|e| !(e.time.is_finite() && e.time >= 0.0))
            {
                return Err(invalid(what("event time"), e.time));
            }
        }
        Ok(())
    }
}

impl Figure for SwimmerFigure {
    fn to_svg(&self) -> Result<String, ReportError> {
        self.style.check()?;
        if self.lanes.is_empty() {
            return Err(ReportError::NoData("swimmer plot".into()));
        }
        self.validate()?;
        let f = self.style.font_size;
        let lanes = self.ordered_lanes();
        let single = lanes.len() == 1;
        let t_max = lanes
            .iter()
            .flat_map(|l| {
                std::iter::once(l.end)
                    .chain(l.segments.iter().map(|s| s.end))
                    .chain(l.events.iter().map(|e| e.time))
            })
            .fold(0.0, f64::max);
        let mut ticks = match &self.ticks {
            Some(t) if !t.is_empty() && t.iter().all(|v| v.is_finite()) => t.clone(),
            Some(_) => return Err(ReportError::InvalidOption("invalid x ticks".into())),
            None => nice_ticks(0.0, t_max.max(f64::MIN_POSITIVE), 6),
        };
        let hi = ticks[ticks.len() - 1].max(t_max);
        let lo = ticks[0].min(0.0);
        ticks.retain(|t| *t >= lo && *t <= hi);
        let labels = tick_labels(&ticks, 1.0);

        // Colours in order of first appearance down the lanes.
        let mut colours = ClassColours::new();
        let mut classes: Vec<(String, &'static str)> = Vec::new();
        for lane in &lanes {
            for s in &lane.segments {
                let c = colours.colour(&s.class);
                if !classes
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case(&s.class))
                {
                    classes.push((s.class.clone(), c));
                }
            }
        }
        let mut legend: Vec<LegendItem> = classes
            .iter()
            .map(|(n, c)| LegendItem {
                label: n.clone(),
                swatch: Swatch::Box(c),
            })
            .collect();
        let mut kinds: Vec<EventKind> = Vec::new();
        for kind in ResponseClass::ALL
            .into_iter()
            .map(EventKind::Response)
            .chain([EventKind::Progression])
        {
            if kind.marker().is_some()
                && lanes
                    .iter()
                    .any(|l| l.events.iter().any(|e| e.kind == kind))
            {
                kinds.push(kind);
            }
        }
        for k in &kinds {
            if let Some(m) = k.marker() {
                legend.push(LegendItem {
                    label: k.label().to_string(),
                    swatch: Swatch::Marker(m),
                });
            }
        }
        if lanes.iter().any(|l| l.end_kind == LaneEnd::Death) {
            legend.push(LegendItem {
                label: "Death".into(),
                swatch: Swatch::Marker(Marker::Cross),
            });
        }
        if lanes.iter().any(|l| l.end_kind == LaneEnd::Alive) {
            legend.push(LegendItem {
                label: "Alive at last follow-up".into(),
                swatch: Swatch::Marker(Marker::ArrowRight),
            });
        }

        let label_w = if single {
            0.0
        } else {
            max_width(lanes.iter().map(|l| l.patient.as_str()), f, false)
        };
        let left = (8.0 + label_w + 8.0).ceil();
        let right = 20.0;
        let pw = self.style.width - left - right;
        if pw < 80.0 {
            return Err(ReportError::InvalidOption(
                "figure too narrow for the swimmer plot".into(),
            ));
        }
        let xs = Linear::new(lo, hi, left, left + pw);

        // Regimen labels of a one-patient course: inside the bar when they
        // fit, else on the first row above the lane where they do not
        // overlap an earlier label.
        let bar_h = if single { f * 2.0 } else { f * 1.1 };
        let mut label_rows: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut placed: Vec<(usize, usize, f64)> = Vec::new(); // (segment, row, x)
        if single {
            for (k, s) in lanes[0].segments.iter().enumerate() {
                let Some(text) = s.label.as_deref().filter(|t| !t.is_empty()) else {
                    continue;
                };
                let w = text_width(text, f * 0.9, false);
                let x0 = xs.map(s.start).min(left + pw - w);
                let row = (0..)
                    .find(|&r| {
                        label_rows.get(r).is_none_or(|spans: &Vec<(f64, f64)>| {
                            spans
                                .iter()
                                .all(|(a, b)| x0 + w + 6.0 <= *a || x0 >= *b + 6.0)
                        })
                    })
                    .unwrap_or(0);
                if label_rows.len() <= row {
                    label_rows.resize(row + 1, Vec::new());
                }
                label_rows[row].push((x0, x0 + w));
                placed.push((k, row, x0));
            }
        }
        let label_block = label_rows.len() as f64 * f * 1.2;
        let lane_h = if single {
            bar_h + label_block + f * 1.5
        } else {
            f * 1.9
        };
        let title_h = if self.title.is_empty() { 0.0 } else { f * 2.0 };
        let legend_h = legend_height(&legend, pw, f);
        let top = (6.0 + title_h + legend_h + 8.0).ceil();
        let bottom = top + lane_h * lanes.len() as f64;
        let height = (bottom + XAxis::height(f, !self.x_label.is_empty()) + 8.0).ceil();

        let title = if self.title.is_empty() {
            if single {
                "Treatment course"
            } else {
                "Swimmer plot"
            }
        } else {
            &self.title
        };
        let mut svg = Svg::new(self.style.width, height, "swimmer", title, f);
        draw_title(&mut svg, &self.title, 6.0, f);
        draw_legend(&mut svg, &legend, left, 6.0 + title_h, pw, f);

        for (i, lane) in lanes.iter().enumerate() {
            let lane_top = top + lane_h * i as f64;
            let cy = lane_top + lane_h - bar_h / 2.0 - if single { f * 0.75 } else { f * 0.4 };
            let index = i.to_string();
            svg.open(
                "g",
                &[
                    ("class", &"lane"),
                    ("data-lane", &index),
                    ("data-patient", &lane.patient),
                    ("data-end", &lane.end),
                ],
            );
            if !single {
                svg.text(
                    left - 8.0,
                    cy + f * 0.35,
                    "end",
                    &lane.patient,
                    &[("class", &"lane-label")],
                );
            }
            let mut line = PathData::new();
            line.move_to(xs.map(0.0), cy).h(xs.map(lane.end));
            svg.empty(
                "path",
                &[
                    ("class", &"follow-up"),
                    ("d", &line),
                    ("stroke", &palette::GREY),
                    ("stroke-width", &1.5),
                ],
            );
            for (k, s) in lane.segments.iter().enumerate() {
                let colour = colours.colour(&s.class);
                let (x0, x1) = (xs.map(s.start), xs.map(s.end));
                svg.open(
                    "rect",
                    &[
                        ("class", &"segment"),
                        ("data-class", &s.class),
                        ("data-start", &s.start),
                        ("data-end", &s.end),
                        ("x", &N(x0)),
                        ("y", &N(cy - bar_h / 2.0)),
                        ("width", &N((x1 - x0).max(1.0))),
                        ("height", &N(bar_h)),
                        ("fill", &colour),
                        ("stroke", &"#333333"),
                        ("stroke-width", &0.5),
                    ],
                );
                svg.title(&format!(
                    "{}: {}",
                    s.class,
                    s.label.as_deref().unwrap_or(&s.class)
                ));
                svg.close();
                let Some(text) = s.label.as_deref().filter(|t| !t.is_empty()) else {
                    continue;
                };
                let w = text_width(text, f * 0.9, false);
                // Inside the bar when it fits and no marker sits on the text.
                let (tx0, tx1) = ((x0 + x1 - w) / 2.0 - 4.0, (x0 + x1 + w) / 2.0 + 4.0);
                let clear = lane.events.iter().all(|e| {
                    let x = xs.map(e.time);
                    e.kind.marker().is_none() || x < tx0 - f * 0.5 || x > tx1 + f * 0.5
                });
                if !single && w + 6.0 <= x1 - x0 && clear {
                    svg.text(
                        (x0 + x1) / 2.0,
                        cy + f * 0.3,
                        "middle",
                        text,
                        &[
                            ("class", &"segment-label"),
                            ("font-size", &N(f * 0.9)),
                            ("fill", &palette::text_on(colour)),
                        ],
                    );
                } else if let Some(&(_, row, lx)) = placed.iter().find(|p| p.0 == k) {
                    let y = cy - bar_h / 2.0 - 4.0 - row as f64 * f * 1.2;
                    svg.text(
                        lx,
                        y,
                        "start",
                        text,
                        &[("class", &"segment-label"), ("font-size", &N(f * 0.9))],
                    );
                }
            }
            let r = if single { f * 0.5 } else { f * 0.4 };
            for e in &lane.events {
                let Some(m) = e.kind.marker() else { continue };
                let label = e.kind.label();
                svg.open(
                    "g",
                    &[
                        ("class", &"event"),
                        ("data-kind", &label),
                        ("data-time", &e.time),
                    ],
                );
                draw_marker(&mut svg, m, xs.map(e.time), cy, r);
                svg.close();
            }
            let end_marker = match lane.end_kind {
                LaneEnd::Death => Some((Marker::Cross, "death")),
                LaneEnd::Alive => Some((Marker::ArrowRight, "alive")),
                LaneEnd::Censored => None,
            };
            if let Some((m, kind)) = end_marker {
                svg.open(
                    "g",
                    &[
                        ("class", &"lane-end"),
                        ("data-kind", &kind),
                        ("data-time", &lane.end),
                    ],
                );
                let x = xs.map(lane.end)
                    + if m == Marker::ArrowRight {
                        r * 0.6
                    } else {
                        0.0
                    };
                draw_marker(&mut svg, m, x, cy, r);
                svg.close();
            }
            svg.close();
        }

        let pos: Vec<f64> = ticks.iter().map(|t| xs.map(*t)).collect();
        XAxis {
            positions: &pos,
            values: &ticks,
            labels: &labels,
            x0: left,
            x1: left + pw,
            y: bottom,
            font: f,
            title: &self.x_label,
        }
        .draw(&mut svg);
        Ok(svg.finish())
    }
}
