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
