//! `--plot FILE` of `netra km`, `netra cuminc` and `netra response` (issue
//! 16, "The CLI draws too"): the binary writes a figure that parses as SVG
//! (usvg, the parser that rasterises it), with one curve, legend entry and
//! numbers-at-risk row per group (one bar per measured patient for the
//! waterfall), a PNG of the size its dpi implies, and refuses formats it
//! cannot write with a message naming the ones it can.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use resvg::usvg;
use serde_json::Value;

/// A fresh directory for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("netra-plot-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
        .to_string_lossy()
        .into_owned()
}

fn netra(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(args)
        .output()
        .expect("run netra")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "netra failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// Reads an SVG the command wrote, checks that usvg parses it to a
/// non-empty picture, and returns its text.
fn svg(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("the figure was written");
    assert!(
        text.starts_with("<svg"),
        "not an SVG: {}",
        &text[..40.min(text.len())]
    );
    let tree = usvg::Tree::from_str(&text, &usvg::Options::default()).expect("SVG parses");
    assert!(tree.size().width() > 100.0 && tree.size().height() > 100.0);
    assert!(tree.root().has_children());
    text
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

/// The numbers at risk printed at time 0, by series index.
fn at_risk_at_zero(svg: &str) -> Vec<(String, String)> {
    svg.split("class=\"at-risk\"")
        .skip(1)
        .filter_map(|rest| {
            let series = attr(rest, "data-series")?;
            (attr(rest, "data-time")? == "0").then_some((series, attr(rest, "data-n")?))
        })
        .collect()
}

fn attr(s: &str, name: &str) -> Option<String> {
    let tag_end = s.find('>')?;
    let tag = &s[..tag_end];
    let start = tag.find(&format!("{name}=\""))? + name.len() + 2;
    let len = tag[start..].find('"')?;
    Some(tag[start..start + len].to_string())
}

/// Three arms of 6, 5 and 4 patients; one row with a missing time is dropped.
const ARMS: &str = "time,status,arm\n\
    1,1,a\n2,1,a\n3,0,a\n4,1,a\n6,1,a\n9,0,a\n\
    2,0,b\n5,1,b\n6,0,b\n8,1,b\n12,1,b\n\
    3,1,c\n7,1,c\n10,0,c\n15,1,c\nNA,1,a\n";

#[test]
fn km_svg_has_a_curve_band_legend_and_at_risk_row_per_group() {
    let dir = temp_dir("km_svg");
    let data = dir.join("arms.csv");
    std::fs::write(&data, ARMS).unwrap();
    let fig = dir.join("km.svg");
    let out = netra(&[
        "km",
        "--data",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "arm",
        "--format",
        "json",
        "--plot",
        fig.to_str().unwrap(),
        "--plot-title",
        "Overall survival by arm",
        "--xlab",
        "Months since diagnosis",
    ]);
    // Standard output is still the JSON contract; the figure is extra.
    let json: Value = serde_json::from_str(&ok(&out)).expect("JSON unchanged by --plot");
    assert_eq!(json["curves"].as_array().unwrap().len(), 3);
    assert!(String::from_utf8_lossy(&out.stderr).contains("figure written to"));
    let s = svg(&fig);
    assert!(s.contains("class=\"netra-figure km\""));
    assert_eq!(count(&s, "class=\"curve\""), 3);
    assert_eq!(count(&s, "class=\"ci-band\""), 3);
    assert_eq!(count(&s, "class=\"legend-item\""), 3);
    for arm in ["a", "b", "c"] {
        assert!(
            s.contains(&format!("class=\"legend-item\" data-label=\"{arm}\"")),
            "{arm}"
        );
    }
    assert_eq!(count(&s, "class=\"at-risk-label\""), 3);
    // The numbers at risk at time 0 are the arms' sizes (the NA row dropped).
    let zero = at_risk_at_zero(&s);
    assert_eq!(
        zero,
        vec![
            ("0".into(), "6".into()),
            ("1".into(), "5".into()),
            ("2".into(), "4".into())
        ]
    );
    assert!(s.contains("Overall survival by arm"));
    assert!(s.contains("Months since diagnosis"));
    assert!(s.contains("Log-rank p = "));
    assert!(s.contains("Survival probability"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn km_without_groups_and_default_labels() {
    let dir = temp_dir("km_one");
    let data = dir.join("arms.csv");
    std::fs::write(&data, ARMS).unwrap();
    let fig = dir.join("one.SVG");
    ok(&netra(&[
        "km",
        "--data",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--plot",
        fig.to_str().unwrap(),
    ]));
    let s = svg(&fig);
    assert_eq!(count(&s, "class=\"curve\""), 1);
    assert_eq!(count(&s, "class=\"at-risk-label\""), 1);
    assert!(s.contains("data-label=\"All patients\""));
    assert_eq!(at_risk_at_zero(&s), vec![("0".into(), "15".into())]);
    // The default x title names the time column; no test with one group.
    assert!(s.contains("Time (time)"));
    assert!(!s.contains("Log-rank"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Reads width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let w = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    (w, h)
}

#[test]
fn png_has_the_signature_and_the_size_of_its_dpi() {
    let dir = temp_dir("km_png");
    let data = dir.join("arms.csv");
    std::fs::write(&data, ARMS).unwrap();
    let base = [
        "km",
        "--data",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--group",
        "arm",
    ];
    let vector = dir.join("km.svg");
    ok(&netra(
        &[&base[..], &["--plot", vector.to_str().unwrap()]].concat(),
    ));
    let s = svg(&vector);
    let tree = usvg::Tree::from_str(&s, &usvg::Options::default()).unwrap();
    let (w_px, h_px) = (
        f64::from(tree.size().width()),
        f64::from(tree.size().height()),
    );
    for (dpi, file) in [("300", "km.png"), ("96", "km96.png")] {
        let raster = dir.join(file);
        ok(&netra(
            &[
                &base[..],
                &["--plot", raster.to_str().unwrap(), "--dpi", dpi],
            ]
            .concat(),
        ));
        let bytes = std::fs::read(&raster).unwrap();
        let (w, h) = png_size(&bytes);
        let scale = dpi.parse::<f64>().unwrap() / 96.0;
        assert_eq!(f64::from(w), (w_px * scale).round(), "width at {dpi} dpi");
        assert_eq!(f64::from(h), (h_px * scale).round(), "height at {dpi} dpi");
        // Not blank: the decoded picture has dark pixels (curves, text) on
        // its white background.
        let img = resvg::tiny_skia::Pixmap::decode_png(&bytes).expect("decodes");
        assert_eq!((img.width(), img.height()), (w, h));
        let dark = img
            .pixels()
            .iter()
            .filter(|p| u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 300)
            .count();
        assert!(dark > 100, "{dark} dark pixels at {dpi} dpi");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unsupported_formats_are_refused_before_the_analysis() {
    let dir = temp_dir("bad_ext");
    let data = dir.join("arms.csv");
    std::fs::write(&data, ARMS).unwrap();
    for (file, expected) in [
        ("km.pdf", "PDF is not supported"),
        ("km.jpg", "unknown figure format '.jpg'"),
        ("km", "has no extension"),
    ] {
        let fig = dir.join(file);
        for command in [
            vec![
                "km",
                "--data",
                data.to_str().unwrap(),
                "--time",
                "time",
                "--event",
                "status",
            ],
            vec![
                "cuminc",
                "--data",
                data.to_str().unwrap(),
                "--time",
                "time",
                "--status",
                "status",
                "--cause",
                "1",
            ],
            vec!["response", "--lesions", "/nonexistent/lesions.csv"],
        ] {
            let out = netra(&[&command[..], &["--plot", fig.to_str().unwrap()]].concat());
            assert!(!out.status.success(), "{file} accepted by {}", command[0]);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(expected), "{}: {err}", command[0]);
            assert!(err.contains("supported formats: .svg, .png"), "{err}");
            assert!(out.stdout.is_empty());
            assert!(!fig.exists());
        }
    }
    // Figure flags without --plot are a usage error.
    let out = netra(&[
        "km",
        "--data",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--event",
        "status",
        "--xlab",
        "Months",
    ]);
    assert!(!out.status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Two groups; status 0 censored, 1 progression, 2 death.
const COMPETING: &str = "time,status,sex\n\
    1,1,F\n2,2,F\n3,0,F\n4,1,F\n5,1,F\n7,2,F\n9,0,F\n\
    2,1,M\n3,2,M\n5,0,M\n6,1,M\n8,2,M\n11,1,M\n";

#[test]
fn cuminc_svg_has_an_incidence_curve_and_at_risk_row_per_group() {
    let dir = temp_dir("cuminc");
    let data = dir.join("cr.csv");
    std::fs::write(&data, COMPETING).unwrap();
    let fig = dir.join("cif.svg");
    let out = netra(&[
        "cuminc",
        "--data",
        data.to_str().unwrap(),
        "--time",
        "time",
        "--status",
        "status",
        "--cause",
        "1",
        "--group",
        "sex",
        "--format",
        "json",
        "--plot",
        fig.to_str().unwrap(),
    ]);
    let json: Value = serde_json::from_str(&ok(&out)).unwrap();
    let s = svg(&fig);
    assert!(s.contains("class=\"netra-figure cuminc\""));
    assert_eq!(count(&s, "class=\"curve\""), 2);
    assert_eq!(count(&s, "class=\"ci-band\""), 2);
    assert!(s.contains("data-label=\"F (n = 7)\""));
    assert!(s.contains("data-label=\"M (n = 6)\""));
    assert_eq!(count(&s, "class=\"at-risk-label\""), 2);
    assert_eq!(
        at_risk_at_zero(&s),
        vec![("0".into(), "7".into()), ("1".into(), "6".into())]
    );
    assert!(s.contains("Cumulative incidence of 1"));
    // Gray's test is drawn when the JSON has its p-value.
    assert_eq!(
        s.contains("Gray&#39;s test p = ") || s.contains("Gray's test p = "),
        json["gray_test"]["p"].is_number()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn response_svg_is_a_waterfall_with_a_bar_per_measured_patient() {
    let dir = temp_dir("waterfall");
    let fig = dir.join("waterfall.svg");
    let lesions = repo("examples/lesions/example.csv");
    let out = netra(&[
        "response",
        "--lesions",
        &lesions,
        "--format",
        "json",
        "--plot",
        fig.to_str().unwrap(),
    ]);
    let json: Value = serde_json::from_str(&ok(&out)).unwrap();
    let bars = json["waterfall"].as_array().unwrap();
    assert!(!bars.is_empty());
    let s = svg(&fig);
    assert!(s.contains("class=\"netra-figure waterfall\""));
    assert_eq!(count(&s, "class=\"bar\""), bars.len());
    // RECIST 1.1's thresholds: PD at +20%, PR at −30%.
    assert_eq!(count(&s, "class=\"threshold\""), 2);
    assert!(s.contains("class=\"threshold\" data-value=\"20\""));
    assert!(s.contains("class=\"threshold\" data-value=\"-30\""));
    assert!(s.contains("+20%") && s.contains("\u{2212}30%"));
    let excluded = json["waterfall_excluded"].as_array().unwrap().len();
    assert_eq!(s.contains("class=\"excluded-note\""), excluded > 0);

    // WHO: bidimensional products, PR at −50% (every WHO change here is a
    // decrease, and the figure draws only lines inside the data's range, so
    // the PD line at +25% is not drawn).
    let who = dir.join("who.svg");
    ok(&netra(&[
        "response",
        "--lesions",
        &lesions,
        "--criteria",
        "who",
        "--plot",
        who.to_str().unwrap(),
    ]));
    let s = svg(&who);
    assert!(s.contains("class=\"threshold\" data-value=\"-50\""));
    assert!(s.contains("\u{2212}50%") && !s.contains("\u{2212}30%"));
    assert!(s.contains("sum of products"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn response_without_a_measured_follow_up_has_no_waterfall() {
    let dir = temp_dir("no_followup");
    let lesions = dir.join("baseline.csv");
    std::fs::write(
        &lesions,
        "patient,date,lesion,organ,type,longest_mm,perpendicular_mm,short_axis_mm,is_node,attenuation_hu,viable_mm,nontarget_status\n\
         P01,2024-01-10,L1,liver,target,32,25,,no,60,30,\n",
    )
    .unwrap();
    let fig = dir.join("w.svg");
    let out = netra(&[
        "response",
        "--lesions",
        lesions.to_str().unwrap(),
        "--plot",
        fig.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no patient has a completely measured follow-up scan"),
        "{err}"
    );
    assert!(!fig.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Dark pixels of a PNG (curves, markers, text on white): not blank.
fn dark_pixels(bytes: &[u8]) -> usize {
    let img = resvg::tiny_skia::Pixmap::decode_png(bytes).expect("decodes");
    img.pixels()
        .iter()
        .filter(|p| u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 300)
        .count()
}

#[test]
fn cox_plot_is_a_forest_of_the_models_hazard_ratios() {
    let dir = temp_dir("cox_forest");
    let lung = repo("examples/r-datasets/lung.csv");
    let base = [
        "cox",
        "--data",
        lung.as_str(),
        "--time",
        "time",
        "--event",
        "status",
        "--event-value",
        "2",
        "--formula",
        "age + factor(sex) + ph.ecog",
        "--format",
        "json",
    ];
    let fig = dir.join("forest.svg");
    let json: Value = serde_json::from_str(&ok(&netra(
        &[&base[..], &["--plot", fig.to_str().unwrap()]].concat(),
    )))
    .unwrap();
    let terms = json["terms"].as_array().unwrap();
    assert_eq!(terms.len(), 3);
    let s = svg(&fig);
    // One marker per term, at the printed ratio and interval of the JSON.
    assert_eq!(count(&s, "class=\"estimate\""), 3);
    for t in terms {
        let f = |k: &str| format!("{:.2}", t[k].as_f64().unwrap());
        let printed = format!("{} ({}\u{2013}{})", f("hr"), f("hr_lower"), f("hr_upper"));
        assert!(s.contains(&printed), "{printed} not in the forest plot");
        assert!(s.contains(t["name"].as_str().unwrap()));
    }
    // R: summary(coxph(Surv(time, status) ~ age + factor(sex) + ph.ecog,
    // lung))$conf.int — sex 2: 0.5754 (0.4142–0.7994).
    assert!(s.contains("0.58 (0.41\u{2013}0.80)"), "R's sex HR");
    assert!(s.contains("HR (95% CI)") && s.contains("Hazard ratio (log scale)"));
    let png = dir.join("forest.png");
    ok(&netra(
        &[&base[..], &["--plot", png.to_str().unwrap()]].concat(),
    ));
    let bytes = std::fs::read(&png).unwrap();
    assert!(dark_pixels(&bytes) > 100);
    // The extension is checked before the fit.
    let out = netra(&[&base[..], &["--plot", "f.pdf"]].concat());
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PDF is not supported"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn response_spider_draws_a_line_per_patient_and_samples_when_asked() {
    let dir = temp_dir("spider");
    let lesions = repo("examples/lesions/example.csv");
    let fig = dir.join("spider.svg");
    let json: Value = serde_json::from_str(&ok(&netra(&[
        "response",
        "--lesions",
        &lesions,
        "--format",
        "json",
        "--plot",
        fig.to_str().unwrap(),
        "--spider",
    ])))
    .unwrap();
    let s = svg(&fig);
    let patients = json["patients"].as_array().unwrap().len();
    let lines = count(&s, "class=\"spider-line\"");
    assert!(lines > 0 && lines <= patients, "{lines} of {patients}");
    assert!(s.contains("class=\"threshold\" data-value=\"20\""));
    assert!(s.contains("Weeks since baseline"));
    assert!(!s.contains("patients shown"));
    // At most 2 patients: every k-th by code, and the title says so.
    let few = dir.join("few.png");
    let few_svg = dir.join("few.svg");
    for f in [&few, &few_svg] {
        ok(&netra(&[
            "response",
            "--lesions",
            &lesions,
            "--plot",
            f.to_str().unwrap(),
            "--spider",
            "--spider-max",
            "2",
        ]));
    }
    let s = svg(&few_svg);
    assert!(count(&s, "class=\"spider-line\"") <= 2);
    assert!(
        s.contains(&format!("of {patients} patients shown")),
        "sampling stated"
    );
    assert!(dark_pixels(&std::fs::read(&few).unwrap()) > 100);
    // --spider needs --plot.
    assert!(
        !netra(&["response", "--lesions", &lesions, "--spider"])
            .status
            .success()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
