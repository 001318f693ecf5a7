//! The CLI's `--plot` SVGs looked at in headless Chromium, as
//! `crates/netra-study/tests/chromium.rs` looks at the report: each figure
//! (`km`, `cuminc`, `cox`, `response` waterfall and spider) is opened on
//! its own page; everything drawn must lie inside the figure's own box (no
//! text or curve cut off at an edge) and a screenshot must show a figure
//! (dark text and colour), not a blank. `netra report --pdf` prints the
//! report to a PDF with the same browser.
//!
//! `scripts/test.sh` sets `NETRA_REQUIRE_CHROMIUM=1`, so there a missing
//! browser fails; a plain `cargo test` without Chromium skips with a
//! message. `NETRA_CHROMIUM` names another binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("netra-plot-chromium-{}-{name}", std::process::id()));
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

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "netra failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs the browser on `args` (a fresh profile each time); its stdout.
fn chromium(bin: &Path, args: &[String]) -> String {
    netra_report::browser::run(bin, args, Duration::from_secs(120))
        .unwrap_or_else(|e| panic!("{}: {e}", bin.display()))
}

/// The figure inline in a page, with a script that measures every drawn
/// element against the figure's box and writes the result into the DOM.
fn probe_page(svg: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html><head><meta charset="utf-8">
<style>body {{ margin: 0; background: #fff; }}</style></head><body>
{svg}
<script>
(function () {{
  var s = document.querySelector('svg');
  var box = s.getBoundingClientRect();
  var out = [];
  var drawn = 0;
  s.querySelectorAll('text, path, rect, line, circle, polyline, polygon').forEach(function (e) {{
    var r = e.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return;
    drawn += 1;
    if (r.left < box.left - 0.5 || r.right > box.right + 0.5 ||
        r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5) {{
      out.push({{ tag: e.tagName, cls: e.getAttribute('class'), text: e.textContent.slice(0, 40),
                 left: r.left, right: r.right, top: r.top, bottom: r.bottom }});
    }}
  }});
  var pre = document.createElement('pre');
  pre.id = 'netra-probe';
  pre.textContent = JSON.stringify({{ width: box.width, height: box.height, drawn: drawn,
                                      outside: out }});
  document.body.appendChild(pre);
}})();
</script></body></html>"#
    )
}

fn measure(bin: &Path, dir: &Path, name: &str, svg: &str) -> Value {
    let page = dir.join(format!("{name}.html"));
    std::fs::write(&page, probe_page(svg)).unwrap();
    let dom = chromium(
        bin,
        &[
            "--window-size=2000,2000".into(),
            "--dump-dom".into(),
            format!("file://{}", page.display()),
        ],
    );
    let start = dom
        .find("<pre id=\"netra-probe\">")
        .unwrap_or_else(|| panic!("{name}: no measurement in the DOM"))
        + "<pre id=\"netra-probe\">".len();
    let end = start + dom[start..].find("</pre>").expect("end of the probe");
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}: {json}"))
}

/// A screenshot of the figure alone: dark pixels (text, axes) and colour.
fn not_blank(bin: &Path, dir: &Path, name: &str, svg_path: &Path) {
    let shot = dir.join(format!("{name}.png"));
    chromium(
        bin,
        &[
            "--window-size=1000,900".into(),
            format!("--screenshot={}", shot.display()),
            format!("file://{}", svg_path.display()),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).expect("a PNG screenshot");
    let pixels = pixmap.pixels();
    let dark = pixels
        .iter()
        .filter(|p| u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 200)
        .count();
    let coloured = pixels
        .iter()
        .filter(|p| {
            let (r, g, b) = (
                i32::from(p.red()),
                i32::from(p.green()),
                i32::from(p.blue()),
            );
            (r - g).abs().max((g - b).abs()).max((r - b).abs()) > 60
        })
        .count();
    assert!(
        dark > 500,
        "{name}: too little text or axis ({dark} dark pixels)"
    );
    assert!(
        coloured > 200,
        "{name}: no colour ({coloured} coloured pixels)"
    );
}

const ARMS: &str = "time,status,arm\n\
    1,1,a\n2,1,a\n3,0,a\n4,1,a\n6,1,a\n9,0,a\n\
    2,0,b\n5,1,b\n6,0,b\n8,1,b\n12,1,b\n\
    3,1,c\n7,1,c\n10,0,c\n15,1,c\n";

const COMPETING: &str = "time,status,sex\n\
    1,1,F\n2,2,F\n3,0,F\n4,1,F\n5,1,F\n7,2,F\n9,0,F\n\
    2,1,M\n3,2,M\n5,0,M\n6,1,M\n8,2,M\n11,1,M\n";

#[test]
fn cli_figures_render_in_chromium_inside_their_box_and_not_blank() {
    let Some(bin) = netra_report::browser::find_for_test() else {
        return;
    };
    let dir = temp_dir("figures");
    let arms = dir.join("arms.csv");
    std::fs::write(&arms, ARMS).unwrap();
    let competing = dir.join("cr.csv");
    std::fs::write(&competing, COMPETING).unwrap();
    let lung = repo("examples/r-datasets/lung.csv");
    let lesions = repo("examples/lesions/example.csv");
    let (arms, competing) = (
        arms.to_str().unwrap().to_string(),
        competing.to_str().unwrap().to_string(),
    );
    let runs: Vec<(&str, Vec<&str>)> = vec![
        (
            "km",
            vec![
                "km", "--data", &arms, "--time", "time", "--event", "status", "--group", "arm",
            ],
        ),
        (
            "cuminc",
            vec![
                "cuminc", "--data", &competing, "--time", "time", "--status", "status", "--cause",
                "1", "--group", "sex",
            ],
        ),
        (
            "cox",
            vec![
                "cox",
                "--data",
                &lung,
                "--time",
                "time",
                "--event",
                "status",
                "--event-value",
                "2",
                "--formula",
                "age + factor(sex) + factor(ph.ecog)",
            ],
        ),
        ("waterfall", vec!["response", "--lesions", &lesions]),
        (
            "spider",
            vec!["response", "--lesions", &lesions, "--spider"],
        ),
    ];
    for (name, args) in runs {
        let fig = dir.join(format!("{name}.svg"));
        ok(&netra(
            &[&args[..], &["--plot", fig.to_str().unwrap()]].concat(),
        ));
        let svg = std::fs::read_to_string(&fig).unwrap();
        let m = measure(&bin, &dir, name, &svg);
        assert!(
            m["width"].as_f64().unwrap() > 200.0 && m["height"].as_f64().unwrap() > 150.0,
            "{name}: not laid out: {m}"
        );
        assert!(
            m["drawn"].as_u64().unwrap() > 10,
            "{name}: nothing drawn: {m}"
        );
        assert_eq!(
            m["outside"].as_array().unwrap().len(),
            0,
            "{name}: drawn outside the figure: {m}"
        );
        not_blank(&bin, &dir, name, &fig);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn report_pdf_is_printed_by_chromium() {
    let Some(_) = netra_report::browser::find_for_test() else {
        return;
    };
    let dir = temp_dir("pdf");
    let out = dir.join("out");
    let study = repo("examples/studies/radionuclide.toml");
    ok(&netra(&[
        "report",
        &study,
        "--out",
        out.to_str().unwrap(),
        "--no-png",
        "--pdf",
    ]));
    let pdf = std::fs::read(out.join("report.pdf")).expect("report.pdf written");
    assert!(pdf.starts_with(b"%PDF-"));
    // A report of tables and figures is more than an empty page.
    assert!(pdf.len() > 20_000, "{} bytes", pdf.len());
    // The manifest accounts for the PDF like every other output file.
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let entry = manifest["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["path"] == "report.pdf")
        .expect("report.pdf in manifest.json");
    assert_eq!(entry["bytes"].as_u64(), Some(pdf.len() as u64));
    assert_eq!(
        entry["sha256"].as_str(),
        Some(netra_study::data::sha256_hex(&pdf).as_str())
    );
    // Without a browser the flag fails before the study runs, saying why.
    let none = Command::new(env!("CARGO_BIN_EXE_netra"))
        .args(["report", &study, "--out", out.to_str().unwrap(), "--pdf"])
        .env("PATH", "")
        .env_remove("NETRA_CHROMIUM")
        .output()
        .unwrap();
    assert!(!none.status.success());
    let err = String::from_utf8_lossy(&none.stderr);
    assert!(err.contains("--pdf needs headless Chromium"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
