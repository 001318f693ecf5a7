//! Content checks of the forest, waterfall, spider, swimmer and Sankey
//! figures, read back from the SVG they produce.

mod common;

use common::*;
use netra_report::Figure;
use netra_report::figure::forest::{ForestFigure, ForestRow};
use netra_report::figure::sankey::SankeyFigure;
use netra_report::figure::spider::{SpiderFigure, SpiderLine};
use netra_report::figure::swimmer::{
    EventKind, LaneEnd, SwimmerEvent, SwimmerFigure, SwimmerLane, SwimmerSegment,
};
use netra_report::figure::waterfall::{WaterfallBar, WaterfallFigure};
use netra_report::palette::ResponseClass;

fn parse(svg: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(svg).expect("well-formed SVG")
}

#[test]
fn forest_markers_sit_at_the_log_position_of_each_hazard_ratio() {
    let fig = ForestFigure::hazard_ratios(vec![
        ForestRow::new("Everolimus vs placebo", 0.35, 0.27, 0.45, Some(1e-9)),
        ForestRow::heading("Grade"),
        ForestRow::reference("G1"),
        ForestRow::new("G3", 3.1, 1.62, 5.93, Some(0.0006)).indented(1),
        ForestRow::new("Bone", f64::INFINITY, 1.0, f64::INFINITY, None),
        ForestRow::new("Wide", 2.0, 0.05, 80.0, Some(0.4)),
    ]);
    let mut fig = fig;
    fig.x_range = Some((0.1, 10.0));
    let svg = fig.to_svg().unwrap();
    let doc = parse(&svg);
    let xt = ticks(&doc, "x-axis");
    // Fit the log axis from its end ticks.
    let (a, b) = (xt[0], xt[xt.len() - 1]);
    assert_eq!((a.1, b.1), (0.1, 10.0));
    let log_value = |px: f64| {
        let l = inverse(a.0, a.1.ln(), b.0, b.1.ln());
        l(px).exp()
    };
    let markers = by_class(&doc, "estimate");
    assert_eq!(
        markers.len(),
        3,
        "reference, heading and infinite rows have no marker"
    );
    for (m, hr) in markers.iter().zip([0.35, 3.1, 2.0]) {
        let centre = attr_f64(m, "x") + attr_f64(m, "width") / 2.0;
        assert!((log_value(centre) / hr - 1.0).abs() < 1e-3, "{hr}");
        assert_eq!(attr_f64(m, "data-estimate"), hr);
    }
    // Reference line at 1.
    let r = &by_class(&doc, "reference-line")[0];
    let cmds = path_commands(r.attribute("d").unwrap());
    assert!((log_value(cmds[0].1[0]) - 1.0).abs() < 1e-3);
    // Printed numbers and p-values.
    let texts: Vec<String> = by_class(&doc, "estimate-text")
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(texts[0], "0.35 (0.27\u{2013}0.45)");
    assert_eq!(texts[2], "1 (reference)");
    assert_eq!(texts[4], "\u{2014}");
    let p: Vec<String> = by_class(&doc, "p-text").iter().map(text_of).collect();
    assert_eq!(p, vec!["<0.001", "<0.001", "0.400"]);
    // The interval beyond the axis ends in arrows at both sides: the whisker
    // path has three subpaths.
    let ci = by_class(&doc, "ci");
    let wide = path_commands(ci[2].attribute("d").unwrap());
    assert_eq!(wide.iter().filter(|c| c.0 == 'M').count(), 3);
}

#[test]
fn waterfall_bars_are_sorted_coloured_and_scaled() {
    let input = [
        ("P1", -100.0, ResponseClass::CR),
        ("P2", 35.0, ResponseClass::PD),
        ("P3", -30.0, ResponseClass::PR),
        ("P4", 5.0, ResponseClass::SD),
        ("P5", -45.5, ResponseClass::PR),
        ("P6", 5.0, ResponseClass::PD),
        ("P7", f64::NAN, ResponseClass::NE),
    ];
    let bars = input
        .iter()
        .map(|(p, c, r)| WaterfallBar {
            patient: p.to_string(),
            change_pct: *c,
            response: *r,
        })
        .collect();
    let svg = WaterfallFigure::new(bars).to_svg().unwrap();
    let doc = parse(&svg);
    let rects = by_class(&doc, "bar");
    let order: Vec<&str> = rects
        .iter()
        .map(|r| r.attribute("data-patient").unwrap())
        .collect();
    // Descending change; the tie at +5% ordered by patient label.
    assert_eq!(order, vec!["P2", "P4", "P6", "P3", "P5", "P1"]);
    let fills: Vec<&str> = rects.iter().map(|r| r.attribute("fill").unwrap()).collect();
    assert_eq!(
        fills,
        vec![
            "#D55E00", "#E69F00", "#D55E00", "#009E73", "#009E73", "#0072B2"
        ]
    );
    // Left to right.
    let xs: Vec<f64> = rects.iter().map(|r| attr_f64(r, "x")).collect();
    assert!(xs.windows(2).all(|w| w[1] > w[0]));
    // Heights through the drawn y axis.
    let yt = ticks(&doc, "y-axis");
    let value = inverse(yt[0].0, yt[0].1, yt[yt.len() - 1].0, yt[yt.len() - 1].1);
    for (r, expected) in rects.iter().zip([35.0, 5.0, 5.0, -30.0, -45.5, -100.0]) {
        let (y, h) = (attr_f64(r, "y"), attr_f64(r, "height"));
        let drawn = if expected > 0.0 {
            value(y)
        } else {
            value(y + h)
        };
        assert!((drawn - expected).abs() < 0.05, "{drawn} vs {expected}");
        assert!(value(if expected > 0.0 { y + h } else { y }).abs() < 0.05);
    }
    // The RECIST thresholds.
    let th: Vec<f64> = by_class(&doc, "threshold")
        .iter()
        .map(|t| attr_f64(t, "data-value"))
        .collect();
    assert_eq!(th, vec![20.0, -30.0]);
    for t in by_class(&doc, "threshold") {
        let y = path_commands(t.attribute("d").unwrap())[0].1[1];
        assert!((value(y) - attr_f64(&t, "data-value")).abs() < 0.05);
        assert_eq!(t.attribute("stroke-dasharray"), Some("5 4"));
    }
    let note = by_class(&doc, "excluded-note");
    assert_eq!(
        text_of(&note[0]),
        "1 patient without a measurable change is not shown"
    );
    // Legend lists the categories present, best first.
    let legend: Vec<&str> = by_class(&doc, "legend-item")
        .iter()
        .map(|n| n.attribute("data-label").unwrap())
        .collect();
    assert_eq!(legend, vec!["CR", "PR", "SD", "PD"]);
}

#[test]
fn spider_points_follow_the_changes_over_time() {
    let lines = vec![
        SpiderLine {
            patient: "A".into(),
            points: vec![(16.0, -50.0), (0.0, 0.0), (8.0, -20.0)],
            response: ResponseClass::PR,
        },
        SpiderLine {
            patient: "B".into(),
            points: vec![(0.0, 0.0), (8.0, 30.0), (12.0, f64::NAN)],
            response: ResponseClass::PD,
        },
    ];
    let svg = SpiderFigure::new(lines, "Weeks").to_svg().unwrap();
    let doc = parse(&svg);
    let xt = ticks(&doc, "x-axis");
    let yt = ticks(&doc, "y-axis");
    let tx = inverse(xt[0].0, xt[0].1, xt[xt.len() - 1].0, xt[xt.len() - 1].1);
    let ty = inverse(yt[0].0, yt[0].1, yt[yt.len() - 1].0, yt[yt.len() - 1].1);
    let groups = by_class(&doc, "spider-line");
    assert_eq!(groups.len(), 2);
    let expected = [
        vec![(0.0, 0.0), (8.0, -20.0), (16.0, -50.0)],
        vec![(0.0, 0.0), (8.0, 30.0)],
    ];
    for (g, exp) in groups.iter().zip(&expected) {
        let line = g
            .descendants()
            .find(|n| n.attribute("class") == Some("line"))
            .unwrap();
        let cmds = path_commands(line.attribute("d").unwrap());
        assert_eq!(cmds.len(), exp.len(), "time order, NaN point skipped");
        for ((_, xy), (t, v)) in cmds.iter().zip(exp) {
            assert!((tx(xy[0]) - t).abs() < 0.01 && (ty(xy[1]) - v).abs() < 0.05);
        }
    }
    assert_eq!(
        groups[0]
            .descendants()
            .find(|n| n.has_tag_name("path"))
            .unwrap()
            .attribute("stroke"),
        Some("#009E73")
    );
}

fn lane(patient: &str, end: f64, kind: LaneEnd) -> SwimmerLane {
    SwimmerLane {
        patient: patient.into(),
        end,
        end_kind: kind,
        segments: vec![],
        events: vec![],
    }
}

#[test]
fn swimmer_lanes_bars_and_markers_are_placed_in_time() {
    let seg = |s: f64, e: f64, class: &str| SwimmerSegment {
        start: s,
        end: e,
        class: class.into(),
        label: Some(class.into()),
    };
    let mut a = lane("A", 20.0, LaneEnd::Death);
    a.segments = vec![seg(0.0, 6.0, "Chemotherapy"), seg(8.0, 14.0, "Targeted")];
    a.events = vec![
        SwimmerEvent {
            time: 3.0,
            kind: EventKind::Response(ResponseClass::PR),
        },
        SwimmerEvent {
            time: 7.0,
            kind: EventKind::Progression,
        },
    ];
    let b = lane("B", 30.0, LaneEnd::Alive);
    let c = lane("C", 10.0, LaneEnd::Censored);
    let svg = SwimmerFigure::new(vec![a, b, c], "Months")
        .to_svg()
        .unwrap();
    let doc = parse(&svg);
    let lanes = by_class(&doc, "lane");
    let order: Vec<&str> = lanes
        .iter()
        .map(|l| l.attribute("data-patient").unwrap())
        .collect();
    assert_eq!(order, vec!["B", "A", "C"], "longest follow-up on top");
    let xt = ticks(&doc, "x-axis");
    let tx = inverse(xt[0].0, xt[0].1, xt[xt.len() - 1].0, xt[xt.len() - 1].1);
    let segs = by_class(&doc, "segment");
    assert_eq!(segs.len(), 2);
    for (s, (start, end, fill)) in segs
        .iter()
        .zip([(0.0, 6.0, "#D55E00"), (8.0, 14.0, "#009E73")])
    {
        let x = attr_f64(s, "x");
        assert!((tx(x) - start).abs() < 0.01);
        assert!((tx(x + attr_f64(s, "width")) - end).abs() < 0.01);
        assert_eq!(s.attribute("fill"), Some(fill));
    }
    let events: Vec<(String, f64)> = by_class(&doc, "event")
        .iter()
        .map(|e| {
            (
                e.attribute("data-kind").unwrap().to_string(),
                attr_f64(e, "data-time"),
            )
        })
        .collect();
    assert_eq!(
        events,
        vec![("PR".into(), 3.0), ("Progression".into(), 7.0)]
    );
    let ends: Vec<(&str, f64)> = by_class(&doc, "lane-end")
        .iter()
        .map(|e| (e.attribute("data-kind").unwrap(), attr_f64(e, "data-time")))
        .collect();
    assert_eq!(ends, vec![("alive", 30.0), ("death", 20.0)]);
    // Follow-up lines reach each lane's end.
    for l in &lanes {
        let f = l
            .descendants()
            .find(|n| n.attribute("class") == Some("follow-up"))
            .unwrap();
        let cmds = path_commands(f.attribute("d").unwrap());
        assert!((tx(cmds[1].1[0]) - attr_f64(l, "data-end")).abs() < 0.01);
    }
}

#[test]
fn one_patient_swimmer_labels_every_regimen() {
    let mut a = lane("Case", 40.0, LaneEnd::Alive);
    a.segments = (0..4)
        .map(|k| SwimmerSegment {
            start: k as f64 * 9.0,
            end: k as f64 * 9.0 + 8.0,
            class: "Other".into(),
            label: Some(format!("A long regimen name number {k}")),
        })
        .collect();
    let svg = SwimmerFigure::new(vec![a], "Months").to_svg().unwrap();
    let doc = parse(&svg);
    let labels: Vec<String> = by_class(&doc, "segment-label")
        .iter()
        .map(text_of)
        .collect();
    assert_eq!(labels.len(), 4);
    // Labels that would overlap are moved to another row.
    let boxes: Vec<(f64, f64)> = by_class(&doc, "segment-label")
        .iter()
        .map(|n| (attr_f64(n, "x"), attr_f64(n, "y")))
        .collect();
    let rows: std::collections::BTreeSet<i64> = boxes.iter().map(|b| b.1.round() as i64).collect();
    assert!(rows.len() >= 2, "{boxes:?}");
    assert!(
        by_class(&doc, "lane-label").is_empty(),
        "no patient column for a case report"
    );
}

#[test]
fn sankey_flows_carry_their_counts_and_nodes_their_totals() {
    let p = |v: &[&str], n: f64| (v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), n);
    let fig = SankeyFigure::from_pathways(
        vec!["Line 1".into(), "Line 2".into()],
        &[
            p(&["Chemotherapy", "Targeted"], 12.0),
            p(&["Chemotherapy", "No further line"], 30.0),
            p(&["Interferon", "Targeted"], 6.0),
            p(&["Chemotherapy", "Targeted"], 4.0),
        ],
    )
    .unwrap();
    let svg = fig.to_svg().unwrap();
    let doc = parse(&svg);
    let mut flows: Vec<(String, String, f64)> = by_class(&doc, "flow")
        .iter()
        .map(|f| {
            (
                f.attribute("data-from").unwrap().into(),
                f.attribute("data-to").unwrap().into(),
                attr_f64(f, "data-count"),
            )
        })
        .collect();
    flows.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    assert_eq!(
        flows,
        vec![
            ("Chemotherapy".into(), "No further line".into(), 30.0),
            ("Chemotherapy".into(), "Targeted".into(), 16.0),
            ("Interferon".into(), "Targeted".into(), 6.0),
        ]
    );
    // Printed counts.
    let mut counts: Vec<String> = by_class(&doc, "flow-count").iter().map(text_of).collect();
    counts.sort();
    assert_eq!(counts, vec!["16", "30", "6"]);
    // Node heights proportional to their totals; band thickness (vertical
    // extent at the source) proportional to its count.
    let nodes = by_class(&doc, "node");
    let per_patient: Vec<f64> = nodes
        .iter()
        .map(|n| attr_f64(n, "height") / attr_f64(n, "data-count"))
        .collect();
    for k in &per_patient {
        assert!((k / per_patient[0] - 1.0).abs() < 1e-3);
    }
    let totals: Vec<(String, f64)> = nodes
        .iter()
        .map(|n| {
            (
                n.attribute("data-label").unwrap().to_string(),
                attr_f64(n, "data-count"),
            )
        })
        .collect();
    assert_eq!(
        totals,
        vec![
            ("Chemotherapy".into(), 46.0),
            ("Interferon".into(), 6.0),
            ("Targeted".into(), 22.0),
            ("No further line".into(), 30.0)
        ]
    );
    for f in by_class(&doc, "flow") {
        let cmds = path_commands(f.attribute("d").unwrap());
        // M x0,a C … x1,b V b+h C … x0,a+h Z: thickness at the target = h.
        let b = cmds[1].1[5];
        let bh = cmds[2].1[0];
        assert!(((bh - b) / per_patient[0] - attr_f64(&f, "data-count")).abs() < 0.01);
    }
}

#[test]
fn every_figure_is_byte_identical_across_renders_and_has_no_ids() {
    let figs: Vec<Box<dyn Figure>> = vec![
        Box::new(ForestFigure::hazard_ratios(vec![ForestRow::new(
            "x",
            2.0,
            1.0,
            4.0,
            Some(0.05),
        )])),
        Box::new(WaterfallFigure::new(vec![WaterfallBar {
            patient: "P<1>&".into(),
            change_pct: -40.0,
            response: ResponseClass::PR,
        }])),
        Box::new(SwimmerFigure::new(
            vec![lane("A", 5.0, LaneEnd::Death)],
            "Months",
        )),
    ];
    for f in &figs {
        let a = f.to_svg().unwrap();
        assert_eq!(a, f.to_svg().unwrap());
        assert!(!a.contains(" id="));
        parse(&a);
    }
}

#[test]
fn empty_and_invalid_inputs_are_errors_not_panics() {
    assert!(ForestFigure::hazard_ratios(vec![]).to_svg().is_err());
    assert!(WaterfallFigure::new(vec![]).to_svg().is_err());
    assert!(SpiderFigure::new(vec![], "t").to_svg().is_err());
    assert!(SwimmerFigure::new(vec![], "t").to_svg().is_err());
    assert!(
        SwimmerFigure::new(vec![lane("A", f64::NAN, LaneEnd::Alive)], "t")
            .to_svg()
            .is_err()
    );
    assert!(SankeyFigure::from_pathways(vec![], &[]).is_err());
    assert!(SankeyFigure::from_pathways(vec![], &[(vec!["a".into()], -1.0)]).is_err());
    let mut f = ForestFigure::hazard_ratios(vec![ForestRow::new("x", 2.0, 1.0, 4.0, None)]);
    f.x_range = Some((0.0, 2.0));
    assert!(f.to_svg().is_err());
    // Only unusable values: still a figure, with no marker.
    let g = ForestFigure::hazard_ratios(vec![ForestRow::new(
        "x",
        f64::NAN,
        f64::NAN,
        f64::NAN,
        None,
    )]);
    assert!(g.to_svg().unwrap().contains("\u{2014}"));
}

#[test]
fn waterfall_from_the_response_engine_keeps_categories_and_counts_exclusions() {
    use netra_clinical::response::Category;
    use netra_clinical::response::series::{Waterfall, WaterfallBar as Bar};
    let data = Waterfall {
        bars: vec![
            Bar {
                patient: "1".into(),
                best_change_pct: 12.0,
                best_overall_response: Category::SD,
            },
            Bar {
                patient: "2".into(),
                best_change_pct: -55.0,
                best_overall_response: Category::PR,
            },
            Bar {
                patient: "3".into(),
                best_change_pct: -26.0,
                best_overall_response: Category::MR,
            },
        ],
        excluded: vec!["4".into(), "5".into()],
    };
    let svg = WaterfallFigure::from_response(&data).to_svg().unwrap();
    let doc = parse(&svg);
    let bars: Vec<(String, String)> = by_class(&doc, "bar")
        .iter()
        .map(|b| {
            (
                b.attribute("data-patient").unwrap().into(),
                b.attribute("data-response").unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        bars,
        vec![
            ("1".into(), "SD".into()),
            ("3".into(), "MR".into()),
            ("2".into(), "PR".into())
        ]
    );
    assert_eq!(
        text_of(&by_class(&doc, "excluded-note")[0]),
        "2 patients without a measurable change are not shown"
    );
}
