//! The HTML report looked at as a person would: rendered by headless
//! Chromium (Debian's `chromium`), at a desktop and a narrow window, the
//! page must not scroll sideways, the desktop layout must fit every table
//! without its own scroll bar, every figure must be laid out, and a
//! screenshot must show a page (text and the figures' colours), not a blank.
//!
//! `scripts/test.sh` installs Chromium when it is missing and sets
//! `NETRA_REQUIRE_CHROMIUM=1`, so under the test command a missing browser
//! fails this test; a plain `cargo test` on a machine without Chromium
//! skips it with a message. `NETRA_CHROMIUM` names another binary.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use netra_study::{RunOptions, run};
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the browser on `args` (a fresh profile each time); its stdout.
fn chromium(bin: &Path, args: &[String]) -> String {
    netra_report::browser::run(bin, args, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()))
}

/// The report with a script appended that measures the laid-out page and
/// writes the measurements into the DOM (the report itself has no script).
fn probe_page(report: &str) -> String {
    let script = r#"<script>
(function () {
  var d = document.documentElement;
  var wraps = Array.prototype.map.call(document.querySelectorAll('.table-wrap'), function (w) {
    return { scroll: w.scrollWidth, client: w.clientWidth };
  });
  var figures = Array.prototype.map.call(document.querySelectorAll('figure svg'), function (s) {
    var r = s.getBoundingClientRect();
    return { left: r.left, right: r.right, width: r.width, height: r.height };
  });
  var out = document.createElement('pre');
  out.id = 'netra-probe';
  out.textContent = JSON.stringify({
    scrollWidth: d.scrollWidth, clientWidth: d.clientWidth, innerWidth: window.innerWidth,
    tables: wraps, figures: figures
  });
  document.body.appendChild(out);
})();
</script>"#;
    report.replacen("</body>", &format!("{script}</body>"), 1)
}

fn measure(bin: &Path, page: &Path, width: u32) -> Value {
    let dom = chromium(
        bin,
        &[
            format!("--window-size={width},900"),
            "--dump-dom".into(),
            format!("file://{}", page.display()),
        ],
    );
    let start = dom.find("<pre id=\"netra-probe\">").unwrap_or_else(|| {
        panic!(
            "no measurement in the dumped DOM:\n{}",
            &dom[..dom.len().min(2000)]
        )
    }) + "<pre id=\"netra-probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("end of the probe");
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[test]
fn report_renders_in_chromium_without_overflow_and_is_not_blank() {
    let Some(bin) = netra_report::browser::find_for_test() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // The documented example has a table and figure of every kind.
    let doc = std::fs::read_to_string(repo().join("docs/study-file.md")).unwrap();
    let start = doc.find("```toml\n").unwrap() + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let study = tmp.path().join("example.toml");
    std::fs::write(&study, &doc[start..end]).unwrap();
    let out = tmp.path().join("out");
    let opts = RunOptions {
        png: false,
        ..common::opts()
    };
    run(&study, &out, &opts).unwrap();
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    let n_figures = report.matches("<figure").count();
    assert!(n_figures >= 8, "{n_figures} figures");
    let probe = tmp.path().join("probe.html");
    std::fs::write(&probe, probe_page(&report)).unwrap();

    for width in [1280u32, 600] {
        let m = measure(&bin, &probe, width);
        let client = m["clientWidth"].as_f64().unwrap();
        assert_eq!(m["innerWidth"].as_f64().unwrap(), f64::from(width), "{m}");
        assert!(
            m["scrollWidth"].as_f64().unwrap() <= client,
            "the page scrolls sideways at {width} px: {m}"
        );
        let figures = m["figures"].as_array().unwrap();
        assert_eq!(figures.len(), n_figures, "{m}");
        for f in figures {
            assert!(
                f["width"].as_f64().unwrap() > 100.0 && f["height"].as_f64().unwrap() > 100.0,
                "a figure is not laid out at {width} px: {f}"
            );
            assert!(
                f["left"].as_f64().unwrap() >= 0.0 && f["right"].as_f64().unwrap() <= client + 0.5,
                "a figure sticks out at {width} px: {f}"
            );
        }
        if width == 1280 {
            for t in m["tables"].as_array().unwrap() {
                assert!(
                    t["scroll"].as_f64().unwrap() <= t["client"].as_f64().unwrap(),
                    "a table needs its own scroll bar on a desktop: {t}"
                );
            }
        }
    }

    // A screenshot a person would see: not blank, with text and colour.
    let shot = tmp.path().join("shot.png");
    chromium(
        &bin,
        &[
            "--window-size=1280,2400".into(),
            format!("--screenshot={}", shot.display()),
            format!("file://{}", out.join("report.html").display()),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).expect("a PNG screenshot");
    assert_eq!((pixmap.width(), pixmap.height()), (1280, 2400));
    let pixels = pixmap.pixels();
    let dark = pixels
        .iter()
        .filter(|p| u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 200)
        .count();
    let not_white = pixels
        .iter()
        .filter(|p| p.red() < 245 || p.green() < 245 || p.blue() < 245)
        .count();
    let mut colours: Vec<(u8, u8, u8)> = pixels
        .iter()
        .filter(|p| {
            let (r, g, b) = (
                i32::from(p.red()),
                i32::from(p.green()),
                i32::from(p.blue()),
            );
            (r - g).abs().max((g - b).abs()).max((r - b).abs()) > 60
        })
        .map(|p| (p.red() / 32, p.green() / 32, p.blue() / 32))
        .collect();
    colours.sort_unstable();
    colours.dedup();
    let total = pixels.len();
    assert!(
        dark * 200 > total,
        "too little text: {dark} dark pixels of {total}"
    );
    assert!(
        not_white * 50 > total,
        "the page looks blank: {not_white} of {total}"
    );
    assert!(colours.len() >= 4, "no figure colours: {colours:?}");
}
