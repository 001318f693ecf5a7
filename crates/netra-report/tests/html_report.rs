//! The offline HTML report: structure, numbering, inlined figures, no
//! external resources, determinism.

use netra_report::Figure;
use netra_report::figure::waterfall::{WaterfallBar, WaterfallFigure};
use netra_report::html::{Report, Section};
use netra_report::palette::ResponseClass;
use netra_report::table::{Row, Table};

fn report() -> Report {
    let fig = WaterfallFigure::new(vec![
        WaterfallBar {
            patient: "P1".into(),
            change_pct: -40.0,
            response: ResponseClass::PR,
        },
        WaterfallBar {
            patient: "P2".into(),
            change_pct: 25.0,
            response: ResponseClass::PD,
        },
    ]);
    let mut t = Table::new("Response <by> group & line", &["Line", "ORR"]);
    t.push(Row::new(["1", "34.0%"]));
    let mut r = Report::new("Study <A> & B");
    r.subtitle = "Retrospective cohort".into();
    r.sections = vec![
        Section::new("Patients")
            .paragraph("31 patients; 1 excluded (p < 0.05 & more)")
            .table(t.clone()),
        Section::new("Response")
            .figure(fig.to_svg().unwrap(), "Best change <from> baseline")
            .table(t),
        Section::new("Methods").preformatted("netra report study.toml\n  --out DIR"),
    ];
    r.footer = "netra 0.1.0; data sha256 abc".into();
    r
}

#[test]
fn report_is_one_self_contained_page() {
    let html = report().to_html().unwrap();
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.contains("<title>Study &lt;A&gt; &amp; B</title>"));
    assert!(html.contains("<p>31 patients; 1 excluded (p &lt; 0.05 &amp; more)</p>"));
    // Numbered tables and figures.
    assert!(html.contains("<caption>Table 1. Response &lt;by&gt; group &amp; line</caption>"));
    assert!(html.contains("<caption>Table 2. Response &lt;by&gt; group &amp; line</caption>"));
    assert!(html.contains(
        "<figcaption><strong>Figure 1.</strong> Best change &lt;from&gt; baseline</figcaption>"
    ));
    // The figure is inline SVG with its bars.
    assert_eq!(
        html.matches("<svg xmlns=\"http://www.w3.org/2000/svg\"")
            .count(),
        1
    );
    assert_eq!(html.matches("class=\"bar\"").count(), 2);
    // Nothing fetched from elsewhere: no scripts, links, external URLs.
    for forbidden in [
        "<script",
        "<link",
        "src=",
        "url(",
        "http://example",
        "https://",
    ] {
        assert!(!html.contains(forbidden), "{forbidden}");
    }
    assert!(html.contains("<style>"));
    assert!(html.contains("@media print"));
    // Table of contents with three sections.
    assert!(html.contains("<li><a href=\"#section-3\">Methods</a></li>"));
    assert!(html.contains("<pre>netra report study.toml\n  --out DIR</pre>"));
    assert!(html.contains("<footer>netra 0.1.0; data sha256 abc</footer>"));
    assert_eq!(html, report().to_html().unwrap(), "byte-identical");
}

#[test]
fn unsafe_figures_are_refused() {
    for svg in [
        "<p>not svg</p>",
        "<svg><script>alert(1)</script></svg>",
        "<svg onload=\"x()\"></svg>",
        "<svg><image href=\"https://example.org/a.png\"/></svg>",
    ] {
        let r = Report {
            sections: vec![Section::new("s").figure(svg, "c")],
            ..Report::new("t")
        };
        assert!(r.to_html().is_err(), "{svg}");
    }
    // Text that merely reads like a handler is fine.
    let ok = Report {
        sections: vec![Section::new("s").figure("<svg><text>line one = 3</text></svg>", "c")],
        ..Report::new("t")
    };
    assert!(ok.to_html().is_ok());
}

/// Issue 13: a label like "Age at onset = 60+" in a figure's `data-label`
/// attribute was read as an `onset=` event handler and the report refused
/// ("figures may not contain scripts"). Labels in attributes and text pass;
/// real scripts, handlers and script URLs, however written, are refused.
#[test]
fn labels_are_not_scripts_but_scripts_are() {
    let page = |svg: &str| {
        Report {
            sections: vec![Section::new("s").figure(svg, "c")],
            ..Report::new("t")
        }
        .to_html()
    };
    for svg in [
        "<svg><g data-label=\"Age at onset = 60+\"><text>Age at onset = 60+</text></g></svg>",
        "<svg><rect class=\"node\" data-label='once = twice' data-column=\"on = off\"/></svg>",
        "<svg><text>javascript: a course name</text><g data-label=\"javascript: x\"/></svg>",
        "<svg><text x=\"1\">a &gt; b, c onload=d</text></svg>",
    ] {
        assert!(page(svg).is_ok(), "{svg}: {:?}", page(svg));
    }
    // The figure that was refused: a Sankey whose node labels are written
    // in data-label attributes; a script-like label is escaped, not run.
    let sankey = netra_report::figure::sankey::SankeyFigure::from_links(
        vec!["Onset".into(), "Line 1".into()],
        &[
            (0, "Age at onset = 60+".into(), "PRRT".into(), 12.0),
            (
                0,
                "<script>alert(1)</script>".into(),
                "SSA\" onload=\"x()".into(),
                5.0,
            ),
        ],
    )
    .unwrap()
    .to_svg()
    .unwrap();
    assert!(
        sankey.contains("data-label=\"Age at onset = 60+\""),
        "{sankey}"
    );
    let html = page(&sankey).expect("a Sankey with these labels is a plain figure");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("\" onload=\""));
    // Odd markup with non-ASCII text is read without panicking.
    for svg in [
        "<svg><g data-label=\"≥ 60 = é\" =é></g><text>é < ü</text></svg>",
        "<svg =\"é\" 'ü'><g data-x='≥",
        "<svg><!-- é --><![CDATA[ <g onload=x> ]]></svg>",
    ] {
        assert!(page(svg).is_ok(), "{svg}: {:?}", page(svg));
    }
    for svg in [
        "<svg/onload=alert(1)>",
        "<svg><g data-label=\"x\" onclick='a()'></g></svg>",
        "<svg><g\nonmouseover = \"a()\"/></svg>",
        "<svg><a href=\"&#106;avascript:alert(1)\"><text>x</text></a></svg>",
        "<svg><a xlink:href=\"java&#x09;script:alert(1)\"><text>x</text></a></svg>",
        "<svg><set attributeName=\"href\" to=\"javascript:alert(1)\"/></svg>",
        "<svg><SCRIPT>alert(1)</SCRIPT></svg>",
        "<svg><foreignObject><div/></foreignObject></svg>",
    ] {
        let err = page(svg).expect_err(svg).to_string();
        assert!(err.contains("scripts"), "{svg}: {err}");
    }
}
