//! Writes every figure type to a directory as SVG and PNG, for looking at:
//! `cargo run -p netra-report --example gallery -- /tmp/gallery`.

use std::path::{Path, PathBuf};

use netra_report::Figure;
use netra_report::figure::forest::{ForestFigure, ForestRow};
use netra_report::figure::km::{KmFigure, KmSeries};
use netra_report::figure::sankey::SankeyFigure;
use netra_report::figure::spider::{SpiderFigure, SpiderLine};
use netra_report::figure::swimmer::{
    EventKind, LaneEnd, SwimmerEvent, SwimmerFigure, SwimmerLane, SwimmerSegment,
};
use netra_report::figure::waterfall::{WaterfallBar, WaterfallFigure};
use netra_report::palette::ResponseClass;
use netra_stats::cuminc::{CumIncOptions, cuminc};
use netra_stats::km::{KmOptions, km_by_group};

fn write(dir: &Path, name: &str, fig: &dyn Figure) {
    let svg = fig.to_svg().expect("svg");
    std::fs::write(dir.join(format!("{name}.svg")), &svg).expect("write svg");
    #[cfg(feature = "png")]
    {
        let png = fig.to_png(150.0).expect("png");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write png");
    }
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "gallery".into()));
    std::fs::create_dir_all(&dir).expect("create dir");

    // A small two-group cohort in months.
    let time = [
        3.0, 5.0, 6.0, 6.0, 8.0, 11.0, 12.0, 15.0, 17.0, 20.0, 24.0, 26.0, 30.0, 31.0, 38.0, 40.0,
        2.0, 2.5, 4.0, 5.0, 7.0, 7.0, 9.0, 10.0, 13.0, 14.0, 16.0, 22.0,
    ];
    let event = [
        true, false, true, true, false, true, true, false, true, true, false, true, false, true,
        false, false, true, true, true, false, true, true, true, false, true, true, false, false,
    ];
    let group: Vec<u32> = (0..time.len()).map(|i| u32::from(i >= 16)).collect();
    let curves = km_by_group(&time, &event, None, &group, 2, &KmOptions::default()).unwrap();
    let mut km = KmFigure::survival(
        vec![
            KmSeries::from_km("Treated (n = 16)", &curves[0]),
            KmSeries::from_km("Untreated (n = 12)", &curves[1]),
        ],
        "Months since first administration",
    );
    km.y_label = "Overall survival".into();
    km.ticks = Some(vec![0.0, 6.0, 12.0, 18.0, 24.0, 30.0, 36.0, 42.0]);
    km.show_ci = true;
    km.show_median = true;
    let g_usize: Vec<usize> = group.iter().map(|g| *g as usize).collect();
    let test = netra_stats::logrank::logrank(
        &time,
        &event,
        &g_usize,
        None,
        netra_stats::logrank::Weights::LogRank,
    )
    .unwrap();
    km.p_value_text = Some(format!(
        "Log-rank p = {}",
        netra_report::format::p_value(Some(test.p))
    ));
    write(&dir, "km", &km);

    // Cumulative incidence of progression (cause 1) with death (cause 2)
    // competing.
    let status: Vec<u32> = event
        .iter()
        .enumerate()
        .map(|(i, e)| {
            if !e {
                0
            } else if i % 3 == 0 {
                2
            } else {
                1
            }
        })
        .collect();
    let g: Vec<usize> = group.iter().map(|g| *g as usize).collect();
    let ci = cuminc(&time, &status, Some(&g), None, 1, &CumIncOptions::default()).unwrap();
    let series = ci
        .curves
        .iter()
        .map(|c| {
            let follow: Vec<f64> = (0..time.len())
                .filter(|&i| g[i] == c.group)
                .map(|i| time[i])
                .collect();
            KmSeries::from_cuminc(if c.group == 0 { "Treated" } else { "Untreated" }, c)
                .with_follow_up(&follow)
        })
        .collect();
    let mut inc = KmFigure::incidence(series, "Months");
    inc.y_label = "Cumulative incidence of progression".into();
    inc.show_ci = true;
    inc.p_value_text = ci
        .gray
        .and_then(|t| t.p)
        .map(|p| format!("Gray's test p = {}", netra_report::format::p_value(Some(p))));
    write(&dir, "cuminc", &inc);

    let mut forest = ForestFigure::hazard_ratios(vec![
        ForestRow::new("Age \u{2265} 60 years", 1.42, 0.93, 2.17, Some(0.104)),
        ForestRow::heading("Grade"),
        ForestRow::reference("G1"),
        ForestRow::new("G2\u{2013}3", 3.10, 1.62, 5.93, Some(0.0006)).indented(1),
        ForestRow::new("Large-cell", 4.8, 2.1, 11.0, Some(0.0002)).indented(1),
        ForestRow::new("Liver metastases", 1.95, 1.20, 3.17, Some(0.007)),
        ForestRow::new("Everolimus vs placebo", 0.35, 0.27, 0.45, Some(1e-9)),
        ForestRow {
            note: Some("not estimable".into()),
            ..ForestRow::new("Bone metastases", f64::INFINITY, 1.0, f64::INFINITY, None)
        },
    ]);
    forest.favours = Some(("Lower risk".into(), "Higher risk".into()));
    write(&dir, "forest", &forest);

    let changes = [
        (-100.0, ResponseClass::CR),
        (-72.0, ResponseClass::PR),
        (-45.0, ResponseClass::PR),
        (-31.0, ResponseClass::PR),
        (-30.0, ResponseClass::PR),
        (-12.0, ResponseClass::SD),
        (-3.0, ResponseClass::SD),
        (0.0, ResponseClass::SD),
        (8.0, ResponseClass::SD),
        (19.0, ResponseClass::SD),
        (25.0, ResponseClass::PD),
        (61.0, ResponseClass::PD),
        (15.0, ResponseClass::PD),
    ];
    let bars = changes
        .iter()
        .enumerate()
        .map(|(i, (c, r))| WaterfallBar {
            patient: format!("P{:02}", i + 1),
            change_pct: *c,
            response: *r,
        })
        .chain([WaterfallBar {
            patient: "P99".into(),
            change_pct: f64::NAN,
            response: ResponseClass::NE,
        }])
        .collect();
    let waterfall = WaterfallFigure::new(bars);
    write(&dir, "waterfall", &waterfall);

    let lines = changes
        .iter()
        .enumerate()
        .map(|(i, (c, r))| SpiderLine {
            patient: format!("P{:02}", i + 1),
            points: vec![
                (0.0, 0.0),
                (8.0, c * 0.6),
                (16.0, *c),
                (24.0 + i as f64, c * 0.9 + 10.0),
            ],
            response: *r,
        })
        .collect();
    let spider = SpiderFigure::new(lines, "Weeks since baseline");
    write(&dir, "spider", &spider);

    let seg = |s: f64, e: f64, class: &str, label: &str| SwimmerSegment {
        start: s,
        end: e,
        class: class.into(),
        label: Some(label.into()),
    };
    let ev = |time: f64, kind: EventKind| SwimmerEvent { time, kind };
    let lanes = vec![
        SwimmerLane {
            patient: "Patient 7".into(),
            end: 41.0,
            end_kind: LaneEnd::Alive,
            segments: vec![
                seg(0.0, 14.0, "Somatostatin analogue", "Octreotide LAR"),
                seg(14.5, 27.0, "Targeted", "Everolimus"),
                seg(28.0, 36.0, "Radionuclide", "177Lu-DOTATATE"),
                seg(36.5, 37.0, "Local", "Radiotherapy of a bone metastasis"),
            ],
            events: vec![
                ev(6.0, EventKind::Response(ResponseClass::SD)),
                ev(13.5, EventKind::Progression),
                ev(20.0, EventKind::Response(ResponseClass::PR)),
                ev(26.5, EventKind::Progression),
                ev(33.0, EventKind::Response(ResponseClass::PR)),
            ],
        },
        SwimmerLane {
            patient: "Patient 12".into(),
            end: 18.0,
            end_kind: LaneEnd::Death,
            segments: vec![
                seg(0.0, 5.0, "Chemotherapy", "Etoposide-platinum"),
                seg(6.0, 11.0, "Local", "TACE"),
            ],
            events: vec![
                ev(3.0, EventKind::Response(ResponseClass::CR)),
                ev(9.0, EventKind::Progression),
            ],
        },
        SwimmerLane {
            patient: "Patient 3".into(),
            end: 25.0,
            end_kind: LaneEnd::Censored,
            segments: vec![seg(0.0, 25.0, "Interferon", "IFN-\u{3b1}")],
            events: vec![],
        },
    ];
    let swimmer = SwimmerFigure::new(lanes.clone(), "Months since metastatic diagnosis");
    write(&dir, "swimmer", &swimmer);
    let mut course = SwimmerFigure::new(vec![lanes[0].clone()], "Months since diagnosis");
    course.title = "Patient 7: treatment course".into();
    write(&dir, "case_course", &course);

    let p = |v: &[&str], n: f64| (v.iter().map(|s| s.to_string()).collect::<Vec<_>>(), n);
    let sankey = SankeyFigure::from_pathways(
        vec!["Line 1".into(), "Line 2".into(), "Line 3".into()],
        &[
            p(&["Chemotherapy", "Targeted", "Radionuclide"], 9.0),
            p(&["Chemotherapy", "Targeted", "No further line"], 7.0),
            p(&["Chemotherapy", "Interferon", "Chemotherapy"], 6.0),
            p(&["Chemotherapy", "No further line"], 27.0),
            p(&["Interferon", "Chemotherapy", "Targeted"], 7.0),
            p(&["Interferon", "No further line"], 8.0),
            p(
                &["Somatostatin analogue", "Targeted", "No further line"],
                14.0,
            ),
            p(&["Somatostatin analogue", "Death"], 5.0),
        ],
    )
    .unwrap();
    write(&dir, "sankey", &sankey);

    // Everything on one page, with tables.
    use netra_report::html::{Report, Section};
    use netra_report::table::baseline::{BaselineTable, Summary};
    use netra_report::table::cox::{CoxRow, HazardRatio, cox_table};
    use netra_report::table::inference::{CategoricalTest, ContinuousTest, NoInference};
    use netra_report::table::survival::SurvivalTable;
    let age: Vec<Option<f64>> = (0..time.len())
        .map(|i| Some(50.0 + (i * 7 % 30) as f64))
        .collect();
    let sex: Vec<Option<&str>> = (0..time.len())
        .map(|i| Some(if i % 3 == 0 { "F" } else { "M" }))
        .collect();
    let groups: Vec<usize> = group.iter().map(|g| *g as usize).collect();
    let mut b = BaselineTable::new(
        "Baseline characteristics",
        &["Treated", "Untreated"],
        &groups,
        true,
        &NoInference,
    )
    .unwrap();
    b.continuous(
        "Age (years)",
        &age,
        Summary::Both,
        1,
        ContinuousTest::Student,
    )
    .unwrap();
    b.categorical("Sex", &["F", "M"], &sex, CategoricalTest::Auto)
        .unwrap();
    let baseline = b.build();
    let mut s = SurvivalTable::new(
        "Overall survival by characteristic",
        &time,
        &event,
        12.0,
        "Median OS, months (95% CI)",
        "1-year OS, %",
    )
    .unwrap();
    s.all_patients("All patients").unwrap();
    let codes: Vec<Option<usize>> = groups.iter().map(|g| Some(*g)).collect();
    s.characteristic("Treatment", &["Treated", "Untreated"], &codes)
        .unwrap();
    let sex_codes: Vec<Option<usize>> = sex
        .iter()
        .map(|v| v.map(|s| usize::from(s == "M")))
        .collect();
    s.characteristic("Sex", &["Female", "Male"], &sex_codes)
        .unwrap();
    let hr = |hr, lower, upper, p| {
        Some(HazardRatio {
            hr,
            lower,
            upper,
            p: Some(p),
        })
    };
    let cox = cox_table(
        "Cox regression of overall survival",
        &[
            CoxRow::term("Age \u{2265} 60 years", hr(1.42, 0.93, 2.17, 0.104), None),
            CoxRow::heading("Grade"),
            CoxRow::reference("G1"),
            CoxRow::term(
                "G2\u{2013}3",
                hr(3.1, 1.62, 5.93, 0.0006),
                hr(2.8, 1.4, 5.6, 0.004),
            )
            .indented(1),
        ],
        "95% CI",
    );
    let report = Report {
        title: "Example study".into(),
        subtitle: "Gallery of netra's tables and figures (synthetic data)".into(),
        sections: vec![
            Section::new("Patients").table(baseline),
            Section::new("Overall survival")
                .figure(km.to_svg().unwrap(), "Overall survival by treatment.")
                .table(s.build())
                .figure(
                    inc.to_svg().unwrap(),
                    "Cumulative incidence of progression.",
                ),
            Section::new("Prognostic factors")
                .table(cox)
                .figure(forest.to_svg().unwrap(), "Hazard ratios."),
            Section::new("Response")
                .figure(waterfall.to_svg().unwrap(), "Best change from baseline.")
                .figure(spider.to_svg().unwrap(), "Change over time."),
            Section::new("Treatment course")
                .figure(swimmer.to_svg().unwrap(), "Treatment lines per patient.")
                .figure(course.to_svg().unwrap(), "A case report's course.")
                .figure(sankey.to_svg().unwrap(), "Treatment sequences."),
        ],
        footer: "netra gallery".into(),
    };
    std::fs::write(dir.join("report.html"), report.to_html().unwrap()).expect("write report");
    println!("wrote {}", dir.display());
}
