//! The Kaplan–Meier figure: numbers at risk against R, step heights against
//! the curve through the drawn axis, censoring marks, determinism, PNG.

mod common;

use common::*;
use netra_report::Figure;
use netra_report::figure::km::{KmFigure, KmSeries};
use netra_stats::km::{KmOptions, km_by_group};

/// Fits the fixture's groups with netra-stats and returns the figure with
/// the fixture's times as ticks.
fn lung_figure(name: &str) -> (KmFigure, serde_json::Value, Vec<netra_stats::km::KmCurve>) {
    let fx = fixture(&format!("km/{name}.json"));
    let input = &fx["input"];
    let time = nums(&input["time"]);
    let event: Vec<bool> = input["event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64() == Some(1.0) || v.as_bool() == Some(true))
        .collect();
    let levels: Vec<String> = input["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v.as_str()
                .map(String::from)
                .unwrap_or_else(|| v.to_string())
        })
        .collect();
    let group: Vec<u32> = nums(&input["group"]).iter().map(|g| *g as u32).collect();
    let weights = input["weights"].as_array().map(|_| nums(&input["weights"]));
    let curves = km_by_group(
        &time,
        &event,
        weights.as_deref(),
        &group,
        levels.len(),
        &KmOptions::default(),
    )
    .unwrap();
    let series = levels
        .iter()
        .zip(&curves)
        .map(|(l, c)| KmSeries::from_km(format!("Group {l}"), c))
        .collect();
    let mut fig = KmFigure::survival(series, "Days");
    let ticks: Vec<f64> = nums(&fx["times"])
        .into_iter()
        .filter(|t| *t >= 0.0)
        .collect();
    fig.ticks = Some(ticks);
    fig.show_ci = true;
    fig.show_median = true;
    fig.p_value_text = Some("Log-rank p = 0.0013".into());
    (fig, fx, curves)
}

#[test]
fn at_risk_numbers_at_each_tick_equal_r_summary_n_risk() {
    for name in [
        "lung_by_sex",
        "veteran_by_trt",
        "colon_death_by_rx",
        "lung_by_sex_weights",
    ] {
        let (fig, fx, _) = lung_figure(name);
        let svg = fig.to_svg().unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let cells = by_class(&doc, "at-risk");
        let ticks = fig.ticks.clone().unwrap();
        let mut checked = 0;
        for (g, curve) in fx["curves"].as_array().unwrap().iter().enumerate() {
            // R: summary(fit, times, extend = TRUE)$n.risk
            let r_times = nums(&curve["at_times_extend"]["time"]);
            let r_n = nums(&curve["at_times_extend"]["n_risk"]);
            for t in &ticks {
                let k = r_times
                    .iter()
                    .position(|x| x == t)
                    .expect("tick in fixture");
                let cell = cells
                    .iter()
                    .find(|c| {
                        c.attribute("data-series") == Some(&g.to_string())
                            && attr_f64(c, "data-time") == *t
                    })
                    .unwrap_or_else(|| panic!("{name}: no at-risk cell for group {g} at {t}"));
                let n = attr_f64(cell, "data-n");
                assert!(
                    (n - r_n[k]).abs() < 1e-9,
                    "{name} group {g} t={t}: {n} vs R {}",
                    r_n[k]
                );
                let shown = text_of(cell);
                let expected = if (r_n[k] - r_n[k].round()).abs() < 1e-9 {
                    format!("{}", r_n[k].round() as i64)
                } else {
                    format!("{:.1}", r_n[k])
                };
                assert_eq!(shown, expected, "{name} printed count");
                checked += 1;
            }
        }
        assert_eq!(
            checked,
            ticks.len() * fx["curves"].as_array().unwrap().len()
        );
    }
}

#[test]
fn step_heights_equal_survival_mapped_through_the_drawn_axis() {
    let (fig, _, curves) = lung_figure("lung_by_sex");
    let svg = fig.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let yt = ticks(&doc, "y-axis");
    let xt = ticks(&doc, "x-axis");
    let (first, last) = (yt[0], yt[yt.len() - 1]);
    let y_value = inverse(first.0, first.1, last.0, last.1);
    let x_value = inverse(xt[0].0, xt[0].1, xt[xt.len() - 1].0, xt[xt.len() - 1].1);
    let paths = by_class(&doc, "curve");
    assert_eq!(paths.len(), curves.len());
    for (path, curve) in paths.iter().zip(&curves) {
        let cmds = path_commands(path.attribute("d").unwrap());
        assert_eq!(cmds[0].0, 'M');
        assert!(
            (y_value(cmds[0].1[1]) - 1.0).abs() < 1e-4,
            "starts at S = 1"
        );
        // Expected: one (time, S) per change of level, in order.
        let mut expected = Vec::new();
        let mut level = 1.0;
        for (t, s) in curve.time.iter().zip(&curve.survival) {
            if *s != level && *t <= 1100.0 {
                expected.push((*t, *s));
                level = *s;
            }
        }
        let mut drawn = Vec::new();
        let mut x = f64::NAN;
        for (c, v) in &cmds[1..] {
            match c {
                'H' => x = v[0],
                'V' => drawn.push((x_value(x), y_value(v[0]))),
                _ => panic!("unexpected command {c}"),
            }
        }
        assert_eq!(drawn.len(), expected.len());
        // Pixels are rounded to 0.01: 0.005 px of a 340 px axis / 1100 days.
        for ((dt, ds), (et, es)) in drawn.iter().zip(&expected) {
            assert!(
                (ds - es).abs() < 0.006 / 340.0 * 1.0 + 1e-9,
                "S {ds} vs {es}"
            );
            assert!((dt - et).abs() < 0.006 * 1100.0 / 500.0, "t {dt} vs {et}");
        }
        // The last H reaches the last follow-up time.
        let (c, v) = cmds.last().unwrap();
        assert_eq!(*c, 'H');
        assert!((x_value(v[0]) - curve.time.last().unwrap()).abs() < 0.02);
    }
}

#[test]
fn censoring_marks_and_medians_match_the_curve() {
    let (fig, _, curves) = lung_figure("lung_by_sex");
    let svg = fig.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let marks = by_class(&doc, "censor-marks");
    for (m, curve) in marks.iter().zip(&curves) {
        let n = curve.n_censor.iter().filter(|c| **c > 0.0).count();
        assert_eq!(attr_f64(m, "data-count") as usize, n);
        // Each mark is two strokes: M h M v.
        let cmds = path_commands(m.attribute("d").unwrap());
        assert_eq!(cmds.len(), 4 * n);
    }
    let medians = by_class(&doc, "median");
    assert_eq!(medians.len(), 2);
    for (m, curve) in medians.iter().zip(&curves) {
        assert_eq!(attr_f64(m, "data-time"), curve.median().estimate.unwrap());
    }
    // R: median survival 270 (male) and 426 (female) days.
    assert_eq!(attr_f64(&medians[0], "data-time"), 270.0);
    assert_eq!(attr_f64(&medians[1], "data-time"), 426.0);
    assert_eq!(by_class(&doc, "ci-band").len(), 2);
    let p = by_class(&doc, "p-value");
    assert_eq!(text_of(&p[0]), "Log-rank p = 0.0013");
}

#[test]
fn svg_is_byte_identical_across_renders() {
    let (fig, _, _) = lung_figure("lung_by_sex");
    let a = fig.to_svg().unwrap();
    let b = fig.clone().to_svg().unwrap();
    assert_eq!(a, b);
    assert!(!a.contains(" id="), "no ids: figures are inlined together");
}

#[cfg(feature = "png")]
#[test]
fn png_decodes_non_blank_at_the_requested_resolution() {
    let (fig, _, _) = lung_figure("lung_by_sex");
    let svg = fig.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let root = doc.root_element();
    let (w, h) = (attr_f64(&root, "width"), attr_f64(&root, "height"));
    let png = fig.to_png(300.0).unwrap();
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!(pixmap.width(), (w * 300.0 / 96.0).round() as u32);
    assert_eq!(pixmap.height(), (h * 300.0 / 96.0).round() as u32);
    // Non-blank: a good share of pixels is not white, and some are coloured
    // (the curves), some dark (text and axes).
    let px = pixmap.pixels();
    let non_white = px
        .iter()
        .filter(|p| p.red() < 250 || p.green() < 250 || p.blue() < 250)
        .count();
    assert!(non_white > px.len() / 100, "{non_white} of {}", px.len());
    let blue = px.iter().filter(|p| p.blue() > 150 && p.red() < 60).count();
    let dark = px
        .iter()
        .filter(|p| p.red() < 60 && p.green() < 60 && p.blue() < 60)
        .count();
    assert!(blue > 500 && dark > 500, "blue {blue}, dark {dark}");
    // 300 dpi recorded in pHYs: 11811 pixels per metre.
    let phys = png
        .windows(4)
        .position(|w| w == b"pHYs")
        .expect("pHYs chunk");
    let ppm = u32::from_be_bytes(png[phys + 4..phys + 8].try_into().unwrap());
    assert_eq!(ppm, 11811);
    // And the PNG itself is reproducible.
    assert_eq!(png, fig.to_png(300.0).unwrap());
}

#[test]
fn cumulative_incidence_rises_through_cmprsk_estimates_with_follow_up_at_risk() {
    use netra_stats::cuminc::{CumIncOptions, cuminc};
    let fx = fixture("cuminc/cmprsk_example.json");
    let input = &fx["input"];
    let time = nums(&input["time"]);
    let status: Vec<u32> = nums(&input["status_code"])
        .iter()
        .map(|s| *s as u32)
        .collect();
    let group: Vec<usize> = nums(&input["group_index"])
        .iter()
        .map(|g| *g as usize)
        .collect();
    let cause = status.iter().copied().filter(|s| *s > 0).min().unwrap();
    let ci = cuminc(
        &time,
        &status,
        Some(&group),
        None,
        cause,
        &CumIncOptions::default(),
    )
    .unwrap();
    let series: Vec<KmSeries> = ci
        .curves
        .iter()
        .map(|c| {
            let t: Vec<f64> = (0..time.len())
                .filter(|&i| group[i] == c.group)
                .map(|i| time[i])
                .collect();
            KmSeries::from_cuminc(format!("g{}", c.group), c).with_follow_up(&t)
        })
        .collect();
    let mut fig = KmFigure::incidence(series, "Time");
    fig.show_ci = true;
    let svg = fig.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(
        doc.root_element()
            .attribute("class")
            .unwrap()
            .contains("cuminc")
    );
    let yt = ticks(&doc, "y-axis");
    let y_value = inverse(yt[0].0, yt[0].1, yt[yt.len() - 1].0, yt[yt.len() - 1].1);
    for (path, curve) in by_class(&doc, "curve").iter().zip(&ci.curves) {
        let cmds = path_commands(path.attribute("d").unwrap());
        assert!(y_value(cmds[0].1[1]).abs() < 1e-4, "starts at 0");
        let levels: Vec<f64> = cmds
            .iter()
            .filter(|c| c.0 == 'V')
            .map(|c| y_value(c.1[0]))
            .collect();
        let expected: Vec<f64> = curve.steps.iter().map(|s| s.estimate).collect();
        assert_eq!(levels.len(), expected.len());
        for (a, b) in levels.iter().zip(&expected) {
            assert!((a - b).abs() < 0.006 / 340.0 + 1e-9, "{a} vs {b}");
        }
    }
    // At-risk counts from follow-up: subjects with time ≥ tick.
    let ticks_x = ticks(&doc, "x-axis");
    for cell in by_class(&doc, "at-risk") {
        let g: usize = cell.attribute("data-series").unwrap().parse().unwrap();
        let t = attr_f64(&cell, "data-time");
        let expected = (0..time.len())
            .filter(|&i| group[i] == ci.curves[g].group && time[i] >= t)
            .count();
        assert_eq!(attr_f64(&cell, "data-n"), expected as f64);
    }
    assert_eq!(
        by_class(&doc, "at-risk").len(),
        ticks_x.len() * ci.curves.len()
    );
    assert!(by_class(&doc, "censor-marks").is_empty());
}

#[test]
fn degenerate_curves_draw_without_panicking() {
    // An empty group, an all-censored group and a curve that reaches 0.
    let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let event = [false, false, false, true, true, true];
    let group = [0, 0, 0, 2, 2, 2];
    let curves = km_by_group(&time, &event, None, &group, 3, &KmOptions::default()).unwrap();
    assert!(curves[1].is_empty());
    let mut fig = KmFigure::from_curves(&["censored", "empty", "to zero"], &curves, "t").unwrap();
    fig.show_ci = true;
    fig.show_median = true;
    let svg = fig.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let at_risk: Vec<(String, f64)> = by_class(&doc, "at-risk")
        .iter()
        .filter(|c| attr_f64(c, "data-time") == 0.0)
        .map(|c| {
            (
                c.attribute("data-series").unwrap().to_string(),
                attr_f64(c, "data-n"),
            )
        })
        .collect();
    assert_eq!(
        at_risk,
        vec![("0".into(), 3.0), ("1".into(), 0.0), ("2".into(), 3.0)]
    );
    // Only the third curve reaches its median (5).
    let medians = by_class(&doc, "median");
    assert_eq!(medians.len(), 1);
    assert_eq!(attr_f64(&medians[0], "data-time"), 5.0);
}

#[test]
fn an_incidence_rounded_just_above_one_is_drawn_at_one() {
    use netra_stats::cuminc::{IncidenceCurve, IncidenceStep};
    let step = |time: f64, estimate: f64| IncidenceStep {
        time,
        estimate,
        variance: 0.0,
        std_err: 0.0,
        lower: Some(estimate.min(1.0) * 0.9),
        upper: Some(1.0000000000000002),
    };
    let curve = IncidenceCurve {
        group: 0,
        n: 3,
        events: 3,
        competing: 0,
        last_time: 3.0,
        steps: vec![step(1.0, 0.5), step(3.0, 1.0000000000000002)],
        at_times: Vec::new(),
    };
    let s = KmSeries::from_cuminc("all", &curve);
    assert_eq!(s.estimate, vec![0.5, 1.0]);
    assert_eq!(s.upper, vec![1.0, 1.0]);
    let svg = KmFigure::incidence(vec![s], "Time").to_svg();
    assert!(svg.is_ok(), "{:?}", svg.err());
}

/// After a whole curve's last time the number at risk is 0 (R's
/// `summary(fit, times, extend = TRUE)`); after the cut of a curve cut
/// before its end ([`AtRisk::Cut`]) it is unknown: the cell prints the
/// series' text and has no `data-n` (it printed a false 0).
#[test]
fn numbers_at_risk_after_a_cut_print_the_series_text_not_zero() {
    use netra_report::figure::km::AtRisk;
    let time = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];
    let event = [true; 8];
    let curves = km_by_group(&time, &event, None, &[0; 8], 1, &KmOptions::default()).unwrap();
    let whole = KmSeries::from_km("whole", &curves[0]);
    // The same curve cut after its fourth step (4 remain at risk).
    let mut cut = KmSeries::from_km("cut", &curves[0]);
    for v in [
        &mut cut.time,
        &mut cut.estimate,
        &mut cut.lower,
        &mut cut.upper,
    ] {
        v.truncate(4);
    }
    cut.end_time = 4.0;
    cut.at_risk = AtRisk::Cut {
        time: cut.time.clone(),
        n_risk: curves[0].n_risk[..4].to_vec(),
        after: "<5".into(),
    };
    let mut fig = KmFigure::survival(vec![whole, cut], "Months");
    fig.ticks = Some(vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
    let svg = fig.to_svg().unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let row = |series: &str| -> Vec<(String, Option<f64>)> {
        by_class(&doc, "at-risk")
            .iter()
            .filter(|c| c.attribute("data-series") == Some(series))
            .map(|c| {
                (
                    text_of(c),
                    c.attribute("data-n").map(|n| n.parse().unwrap()),
                )
            })
            .collect()
    };
    let n = |k: f64| (format!("{k}"), Some(k));
    // R: summary(survfit(Surv(1:8, rep(1, 8)) ~ 1), times = c(0, 2, 4, 6, 8, 10),
    //    extend = TRUE)$n.risk = 8 7 5 3 1 0
    assert_eq!(row("0"), [n(8.0), n(7.0), n(5.0), n(3.0), n(1.0), n(0.0)]);
    let withheld = ("<5".to_string(), None);
    assert_eq!(
        row("1"),
        [
            n(8.0),
            n(7.0),
            n(5.0),
            withheld.clone(),
            withheld.clone(),
            withheld
        ]
    );
}
