//! Table renderers (each format, escaping) and the table builders, with
//! statistics checked against R.
// R's values are pasted with all 17 significant digits R printed.
#![allow(clippy::excessive_precision)]

mod common;

use std::cell::RefCell;

use common::*;
use netra_report::palette::ResponseClass;
use netra_report::table::baseline::{BaselineTable, Summary};
use netra_report::table::cox::{CoxRow, HazardRatio, cox_table};
use netra_report::table::inference::{
    CategoricalTest, ContinuousTest, Inference, ProportionCi, TestResult,
};
use netra_report::table::response::ResponseTable;
use netra_report::table::survival::SurvivalTable;
use netra_report::table::{Cell, Row, Table};

fn tricky() -> Table {
    let mut t = Table::new("Rates <5% & p_value", &["Group_A", "n, %", "Note"]);
    t.push(Row::new(["Age < 60 & \"old\"", "12 (40%)", "a|b"]).emphasised());
    t.push(Row::new(["Level_1", "5", "x*y"]).indented(1));
    t.push(Row {
        cells: vec![Cell::span("Spanning {note} #1 ~ ^ \\", 3)],
        indent: 0,
        emphasis: false,
    });
    t.footnotes.push("p < 0.05 & 95% CI_low".into());
    t
}

#[test]
fn html_escapes_and_keeps_structure() {
    let html = tricky().to_html().unwrap();
    let doc = roxmltree::Document::parse(&html).expect("well-formed");
    let caption = doc
        .descendants()
        .find(|n| n.has_tag_name("caption"))
        .unwrap();
    assert_eq!(caption.text(), Some("Rates <5% & p_value"));
    assert!(html.contains("<caption>Rates &lt;5% &amp; p_value</caption>"));
    let cells: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("td"))
        .map(|n| {
            n.descendants()
                .filter(|d| d.is_text())
                .filter_map(|d| d.text())
                .collect()
        })
        .collect();
    assert_eq!(cells[0], "Age < 60 & \"old\"");
    assert_eq!(cells[2], "a|b");
    assert!(html.contains("<td style=\"text-align:left;padding-left:1.6em\">Level_1</td>"));
    assert!(html.contains("<strong>Age &lt; 60 &amp; &quot;old&quot;</strong>"));
    assert!(html.contains("colspan=\"3\""));
    assert!(
        html.contains("<td colspan=\"3\" class=\"footnote\">p &lt; 0.05 &amp; 95% CI_low</td>")
    );
}

#[test]
fn markdown_escapes_pipes_underscores_and_angle_brackets() {
    let md = tricky().to_markdown().unwrap();
    let expected = "**Rates <5% & p\\_value**\n\n\
| Group\\_A | n, % | Note |\n\
| :--- | :---: | :---: |\n\
| **Age < 60 & \"old\"** | 12 (40%) | a\\|b |\n\
| \u{a0}\u{a0}Level\\_1 | 5 | x\\*y |\n\
| Spanning {note} \\#1 ~ ^ \\\\ |  |  |\n\
\n\
p < 0.05 & 95% CI\\_low  \n";
    assert_eq!(
        netra_report::table::Table {
            title: "<b>bold</b> <br/>".into(),
            ..Table::new("", &["x"])
        }
        .to_markdown()
        .unwrap()
        .lines()
        .next(),
        Some("**&lt;b>bold&lt;/b> &lt;br/>**")
    );
    assert_eq!(md, expected);
}

#[test]
fn csv_quotes_and_round_trips() {
    let t = tricky();
    let text = t.to_csv().unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::None)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header, vec!["Group_A", "n, %", "Note"]);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    assert_eq!(rows[0], vec!["Age < 60 & \"old\"", "12 (40%)", "a|b"]);
    assert_eq!(rows[1], vec!["  Level_1", "5", "x*y"]);
    assert_eq!(rows[2], vec!["Spanning {note} #1 ~ ^ \\", "", ""]);
    assert!(text.starts_with("Group_A,\"n, %\",Note\n\"Age < 60 & \"\"old\"\"\""));
}

/// Issue 14: a label typed into the registry must not become a live
/// formula in the spreadsheet that opens a downloaded table.
#[test]
fn csv_defuses_spreadsheet_formulas_in_labels_but_keeps_numbers() {
    let mut t = Table::new("", &["Group", "=SUM(A1:A9)", "HR"]);
    for label in [
        "=HYPERLINK(\"http://evil.example\",\"x\")",
        "+1+1",
        "-2+3",
        "@SUM(A1)",
        "\tx",
        "\r=1",
    ] {
        t.push(Row::new([label, "5", "-0.25"]));
    }
    let text = t.to_csv().unwrap();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::None)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[1], "'=SUM(A1:A9)");
    for r in reader.records() {
        let r = r.unwrap();
        assert!(r[0].starts_with('\''), "{:?}", &r[0]);
        assert_eq!(&r[2], "-0.25", "numbers stay numbers");
    }
}

#[test]
fn latex_escapes_specials_and_uses_booktabs() {
    let tex = tricky().to_latex().unwrap();
    assert!(tex.contains("\\caption{Rates \\textless{}5\\% \\& p\\_value}"));
    assert!(
        tex.contains(
            "\\begin{tabular}{lcc}\n\\toprule\nGroup\\_A & n, \\% & Note \\\\\n\\midrule\n"
        )
    );
    assert!(tex.contains("\\textbf{Age \\textless{} 60 \\& \"old\"} & 12 (40\\%) & a|b \\\\"));
    assert!(tex.contains("\\hspace{1em}Level\\_1 & 5 & x*y \\\\"));
    assert!(tex.contains(
        "\\multicolumn{3}{l}{Spanning \\{note\\} \\#1 \\textasciitilde{} \\textasciicircum{} \\textbackslash{}} \\\\"
    ));
    assert!(tex.contains("\\bottomrule\n\\end{tabular}\n\\par\\smallskip{\\footnotesize p \\textless{} 0.05 \\& 95\\% CI\\_low\\par}"));
    // Typographic characters become commands pdfLaTeX knows.
    let mut t = Table::new("", &["x"]);
    t.push(Row::new([
        "61.7 \u{b1} 7.8, \u{2265}60, 25\u{2013}33, \u{2212}30, 5 \u{b5}mol, \u{2014}",
    ]));
    let tex = t.to_latex().unwrap();
    assert!(tex.contains("61.7 $\\pm$ 7.8, $\\geq$60, 25--33, $-$30, 5 $\\mu$mol, ---"));
}

#[test]
fn malformed_tables_are_errors() {
    let mut t = Table::new("x", &["a", "b"]);
    t.push(Row::new(["only one"]));
    assert!(t.to_html().is_err());
    assert!(t.to_markdown().is_err());
    assert!(t.to_csv().is_err());
    assert!(t.to_latex().is_err());
    let empty = Table {
        title: "t".into(),
        header: vec![],
        body: vec![],
        footnotes: vec![],
        align: vec![],
    };
    assert!(empty.to_html().is_err());
}

/// Returns R's results for the inputs it expects, and records the calls.
#[derive(Default)]
struct RecordedR {
    categorical_calls: RefCell<Vec<(Vec<Vec<u64>>, CategoricalTest)>>,
    continuous_calls: RefCell<Vec<(Vec<usize>, ContinuousTest)>>,
}

impl Inference for RecordedR {
    fn continuous(&self, groups: &[Vec<f64>], test: ContinuousTest) -> Option<TestResult> {
        self.continuous_calls
            .borrow_mut()
            .push((groups.iter().map(Vec::len).collect(), test));
        // R: t.test(age ~ group, var.equal = TRUE)$p.value
        Some(TestResult {
            p: 0.274_103_562_327_218_83,
            test: test.name().into(),
        })
    }

    fn categorical(&self, table: &[Vec<u64>], test: CategoricalTest) -> Option<TestResult> {
        self.categorical_calls
            .borrow_mut()
            .push((table.to_vec(), test));
        // R: chisq.test(table(sex, group))$p.value (Yates)
        Some(TestResult {
            p: 0.608_835_546_117_452_5,
            test: test.name().into(),
        })
    }

    fn proportion_ci(&self, x: u64, n: u64, _: f64, _: ProportionCi) -> Option<(f64, f64)> {
        // R: binom.test(x, n)$conf.int
        match (x, n) {
            (18, 53) => Some((0.215_199_637_947_462_97, 0.482_669_306_459_369_9)),
            (34, 53) => Some((0.498_033_223_990_566_65, 0.768_569_053_128_700_05)),
            (3, 10) => Some((0.066_739_511_177_734_495, 0.652_452_850_059_997_31)),
            _ => None,
        }
    }
}

fn radionuclide() -> Vec<csv::StringRecord> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/radionuclide-2004/patients.csv"
    );
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|r| r.unwrap())
        .filter(|r| &r[2] != "1")
        .collect()
}

#[test]
fn baseline_table_of_the_radionuclide_cohort_matches_r() {
    let rows = radionuclide();
    assert_eq!(rows.len(), 31);
    let group: Vec<usize> = rows.iter().map(|r| usize::from(&r[1] == "B")).collect();
    let age: Vec<Option<f64>> = rows.iter().map(|r| r[3].parse().ok()).collect();
    let mut sex: Vec<Option<&str>> = rows
        .iter()
        .map(|r| Some(if &r[4] == "F" { "F" } else { "M" }))
        .collect();
    let r = RecordedR::default();
    let mut b = BaselineTable::new("Table 1", &["Treated", "Untreated"], &group, true, &r).unwrap();
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
    // One missing sex in the untreated group.
    let last_b = group.iter().rposition(|g| *g == 1).unwrap();
    sex[last_b] = None;
    b.categorical(
        "Sex (one missing)",
        &["F", "M"],
        &sex,
        CategoricalTest::Fisher,
    )
    .unwrap();
    let t = b.build();
    let csv_text = t.to_csv().unwrap();
    let lines: Vec<&str> = csv_text.lines().collect();
    assert_eq!(
        lines[0],
        "Characteristic,Treated (n = 19),Untreated (n = 12),All (n = 31),p,Test"
    );
    // R: sprintf("%.1f ± %.1f", mean(x), sd(x)); median (min–max) by group.
    assert!(
        lines[1].starts_with("\"Age (years), mean \u{b1} SD\",61.7 \u{b1} 7.8,65.9 \u{b1} 13.2,")
    );
    assert!(lines[1].ends_with(",0.274,t-test"));
    assert!(
        lines[2]
            .starts_with("\"  Median (range)\",62.0 (49.0\u{2013}80.0),66.0 (40.0\u{2013}85.0),")
    );
    assert_eq!(
        lines[3],
        "\"Sex, n (%)\",,,,0.609,\u{3c7}\u{b2} test (Yates)"
    );
    assert_eq!(lines[4], "\"  F\",8 (42.1%),7 (58.3%),15 (48.4%),,");
    assert_eq!(lines[5], "\"  M\",11 (57.9%),5 (41.7%),16 (51.6%),,");
    // Missing: percentages of the non-missing; a missing row; the test on
    // the complete cases.
    assert!(lines[8].starts_with("\"  M\",11 (57.9%),"));
    assert!(lines.contains(&"\"  Missing\",0,1,1,,"));
    let cat = r.categorical_calls.borrow();
    // Cochran: expected counts 9.19, 5.81, 9.81, 6.19 ≥ 5 → Yates.
    assert_eq!(
        cat[0],
        (
            vec![vec![8, 7], vec![11, 5]],
            CategoricalTest::ChiSquare { yates: true }
        )
    );
    assert_eq!(cat[1].1, CategoricalTest::Fisher);
    assert_eq!(cat[1].0.iter().flatten().sum::<u64>(), 30);
    assert_eq!(
        r.continuous_calls.borrow()[0],
        (vec![19, 12], ContinuousTest::Student)
    );
}

#[test]
fn survival_table_matches_r_survfit_and_survdiff() {
    let fx = fixture("km/lung_by_sex.json");
    let time = nums(&fx["input"]["time"]);
    let event: Vec<bool> = fx["input"]["event"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_bool().unwrap())
        .collect();
    let codes: Vec<Option<usize>> = nums(&fx["input"]["group"])
        .iter()
        .map(|g| Some(*g as usize))
        .collect();
    let mut s = SurvivalTable::new(
        "OS",
        &time,
        &event,
        365.0,
        "Median OS, days (95% CI)",
        "1-year OS, %",
    )
    .unwrap();
    s.all_patients("All patients").unwrap();
    s.characteristic("Sex", &["Male", "Female"], &codes)
        .unwrap();
    let md = s.build().to_markdown().unwrap();
    let row = |label: &str| -> Vec<String> {
        md.lines()
            .find(|l| l.contains(label))
            .unwrap()
            .split('|')
            .map(|c| c.trim().trim_start_matches('\u{a0}').to_string())
            .filter(|c| !c.is_empty())
            .collect()
    };
    let fmt_ci = |q: &serde_json::Value, k: usize| {
        format!(
            "{:.1} ({:.1}\u{2013}{})",
            q["estimate"][k].as_f64().unwrap(),
            q["lower"][k].as_f64().unwrap(),
            q["upper"][k]
                .as_f64()
                .map_or("NR".to_string(), |u| format!("{u:.1}"))
        )
    };
    for (label, c) in [("Male", &fx["curves"][0]), ("Female", &fx["curves"][1])] {
        let at = &c["at_times"];
        let k = nums(&at["time"]).iter().position(|t| *t == 365.0).unwrap();
        let rate = format!("{:.1}", 100.0 * at["survival"][k].as_f64().unwrap());
        assert_eq!(
            row(label),
            vec![
                label.to_string(),
                c["n"].to_string(),
                c["events"].to_string(),
                fmt_ci(&c["quantiles"], 1),
                rate
            ]
        );
    }
    // R: survdiff(Surv(time, status) ~ sex)$p = 0.00131116452035549.
    let p = fixture("logrank/lung_sex.json")["tests"][0]["p"]
        .as_f64()
        .unwrap();
    assert_eq!(row("Sex"), vec!["**Sex**".to_string(), format!("{p:.3}")]);
    assert_eq!(row("All patients")[1], "228");
}

#[test]
fn survival_table_footnotes_follow_up_and_adds_the_spss_median() {
    // validation/r/followup.R on lung: reverse KM median 588 (511–1010),
    // range 5–1022; SPSS median 310 ± 1.96 × 21.7725… = 267.3–352.7.
    let fx = &fixture("followup/cases.json")[0];
    assert_eq!(fx["name"], "lung");
    let time = nums(&fx["time"]);
    let event: Vec<bool> = nums(&fx["status"]).iter().map(|s| *s == 1.0).collect();
    let mut s = SurvivalTable::with_landmarks("OS", &time, &event, &[], "Median OS, days (95% CI)")
        .unwrap();
    s.spss_median("Median OS, days (95% CI, SPSS)").unwrap();
    s.all_patients("All patients").unwrap();
    s.follow_up("days").unwrap();
    assert!(s.spss_median("again").is_err(), "columns come before rows");
    let t = s.build();
    let md = t.to_markdown().unwrap();
    let r = &fx["follow_up"];
    let note = format!(
        "Median follow-up (reverse Kaplan\u{2013}Meier) {:.1} days (95% CI {:.1}\u{2013}{:.1}); \
         range {:.1}\u{2013}{:.1} days.",
        r["median"].as_f64().unwrap(),
        r["lower"].as_f64().unwrap(),
        r["upper"].as_f64().unwrap(),
        r["min"].as_f64().unwrap(),
        r["max"].as_f64().unwrap()
    );
    assert!(t.footnotes.contains(&note), "{:?}", t.footnotes);
    let spss = &fx["spss_median"];
    let cell = format!(
        "{:.1} ({:.1}\u{2013}{:.1})",
        spss["estimate"].as_f64().unwrap(),
        spss["lower"].as_f64().unwrap(),
        spss["upper"].as_f64().unwrap()
    );
    let row = md.lines().find(|l| l.contains("All patients")).unwrap();
    assert!(row.contains(&cell), "{row} lacks {cell}");
    assert!(md.contains("(95% CI, SPSS)"));
}

#[test]
fn response_table_counts_rates_and_tests() {
    // 53 patients as line 1 of the retrospective cohort: CR 2, PR 16, SD
    // 16, PD 17, NE 2; liver metastases in the first 40.
    let mut best = Vec::new();
    for (class, n) in [
        (ResponseClass::CR, 2),
        (ResponseClass::PR, 16),
        (ResponseClass::SD, 16),
        (ResponseClass::PD, 17),
        (ResponseClass::NE, 2),
    ] {
        best.extend(std::iter::repeat_n(Some(class), n));
    }
    best.push(None);
    let liver: Vec<Option<usize>> = (0..best.len())
        .map(|i| Some(usize::from(i >= 40)))
        .collect();
    let r = RecordedR::default();
    let mut t = ResponseTable::new("Response", &best, &r);
    t.all_patients("Line 1");
    t.characteristic("Liver metastases", &["Yes", "No"], &liver)
        .unwrap();
    let csv_text = t.build().to_csv().unwrap();
    let lines: Vec<&str> = csv_text.lines().collect();
    assert_eq!(
        lines[0],
        "Characteristic,n,\"ORR, % (95% CI)\",p,\"DCR, % (95% CI)\",p"
    );
    // R: binom.test(18, 53) and binom.test(34, 53).
    assert_eq!(
        lines[1],
        "Line 1,53,34.0 (21.5\u{2013}48.3),,64.2 (49.8\u{2013}76.9),"
    );
    assert_eq!(lines[2], "Liver metastases,,,0.609,,0.609");
    // First 40: CR 2, PR 16, SD 16, PD 6 → ORR 18/40; the rest 13 (PD 11, NE 2).
    assert!(lines[3].starts_with("\"  Yes\",40,45.0,"));
    assert!(lines[4].starts_with("\"  No\",13,0.0,"));
    let calls = r.categorical_calls.borrow();
    assert_eq!(calls[0].0, vec![vec![18, 0], vec![22, 13]]);
    assert_eq!(calls[1].0, vec![vec![34, 0], vec![6, 13]]);
}

#[test]
fn cox_table_spans_its_header() {
    let hr = |hr, lower, upper, p| {
        Some(HazardRatio {
            hr,
            lower,
            upper,
            p: Some(p),
        })
    };
    let rows = vec![
        CoxRow::term("Age \u{2265} 60", hr(1.42, 0.93, 2.17, 0.104), None),
        CoxRow::heading("Grade"),
        CoxRow::reference("G1"),
        CoxRow::term("G3", hr(3.1, 1.62, 5.93, 0.0006), hr(2.8, 1.4, 5.6, 0.004)).indented(1),
        CoxRow::term(
            "Bone",
            Some(HazardRatio {
                hr: f64::INFINITY,
                lower: 0.0,
                upper: f64::INFINITY,
                p: None,
            }),
            None,
        ),
    ];
    let t = cox_table("Cox", &rows, "95% CI");
    let md = t.to_markdown().unwrap();
    assert!(md.contains("| Variable | Univariate HR (95% CI) | Univariate p | Multivariate HR (95% CI) | Multivariate p |"));
    assert!(md.contains("| Age \u{2265} 60 | 1.42 (0.93\u{2013}2.17) | 0.104 | \u{2014} |  |"));
    assert!(md.contains("| \u{a0}\u{a0}G1 | 1 (reference) |  | 1 (reference) |  |"));
    assert!(md.contains(
        "| \u{a0}\u{a0}G3 | 3.10 (1.62\u{2013}5.93) | <0.001 | 2.80 (1.40\u{2013}5.60) | 0.004 |"
    ));
    assert!(md.contains("| Bone | not estimable |"));
    let tex = t.to_latex().unwrap();
    assert!(tex.contains(" & \\multicolumn{2}{c}{Univariate} & \\multicolumn{2}{c}{Multivariate} \\\\\n\\cmidrule(lr){2-3} \\cmidrule(lr){4-5}\n"));
    let html = t.to_html().unwrap();
    assert!(html.contains(
        "<th scope=\"col\" colspan=\"2\" class=\"span\" style=\"text-align:center\">Univariate</th>"
    ));
}

mod classical {
    //! The tables with `netra_stats::classical` behind them, against R.
    use super::*;
    use netra_report::table::classical::ClassicalInference;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9 * b.abs(), "{a} vs R {b}");
    }

    #[test]
    fn continuous_and_categorical_tests_agree_with_r() {
        let rows = radionuclide();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for r in &rows {
            let age: f64 = r[3].parse().unwrap();
            if &r[1] == "A" {
                a.push(age)
            } else {
                b.push(age)
            }
        }
        let i = ClassicalInference;
        let groups = vec![a, b];
        // R: t.test(a, b, var.equal = TRUE); t.test(a, b); wilcox.test(a, b)
        close(
            i.continuous(&groups, ContinuousTest::Student).unwrap().p,
            0.274_103_562_327_218_83,
        );
        close(
            i.continuous(&groups, ContinuousTest::Welch).unwrap().p,
            0.334_503_395_163_056_6,
        );
        close(
            i.continuous(&groups, ContinuousTest::MannWhitney)
                .unwrap()
                .p,
            0.239_221_013_654_624_64,
        );
        // Three groups: the k-group form. R: oneway.test(c(1, 2, 3, 4, 5,
        // 6) ~ factor(rep(1:3, each = 2)), var.equal = TRUE)$p.value.
        let three = i
            .continuous(
                &[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]],
                ContinuousTest::Student,
            )
            .unwrap();
        assert_eq!(three.test, "One-way ANOVA");
        close(three.p, 0.025_094_573_304_390_858);
        // R: chisq.test(matrix(c(8, 11, 7, 5), 2)) (Yates), fisher.test(...)
        let sex = vec![vec![8, 7], vec![11, 5]];
        let chi = i
            .categorical(&sex, CategoricalTest::ChiSquare { yates: true })
            .unwrap();
        close(chi.p, 0.608_835_546_117_452_5);
        assert_eq!(chi.test, "\u{3c7}\u{b2} test (Yates)");
        close(
            i.categorical(&sex, CategoricalTest::Fisher).unwrap().p,
            0.472_547_597_169_157_4,
        );
        // 2×3: R applies no Yates correction, and the name says so.
        let t23 = vec![vec![10, 15, 8], vec![20, 5, 12]];
        let chi = i
            .categorical(&t23, CategoricalTest::ChiSquare { yates: true })
            .unwrap();
        close(chi.p, 0.011_482_088_644_479_169);
        assert_eq!(chi.test, "\u{3c7}\u{b2} test");
        close(
            i.categorical(&t23, CategoricalTest::Fisher).unwrap().p,
            0.013_879_617_501_877_55,
        );
        // R: binom.test(18, 53)$conf.int; prop.test(18, 53, correct = FALSE)$conf.int
        let (lo, hi) = i
            .proportion_ci(18, 53, 0.95, ProportionCi::ClopperPearson)
            .unwrap();
        close(lo, 0.215_199_637_947_462_97);
        close(hi, 0.482_669_306_459_369_9);
        let (lo, hi) = i.proportion_ci(18, 53, 0.95, ProportionCi::Wilson).unwrap();
        close(lo, 0.226_870_391_013_241_8);
        close(hi, 0.474_052_133_624_516_98);
        assert!(i.proportion_ci(1, 0, 0.95, ProportionCi::Wilson).is_none());
    }

    #[test]
    fn table_one_of_the_radionuclide_cohort_with_real_tests() {
        let rows = radionuclide();
        let group: Vec<usize> = rows.iter().map(|r| usize::from(&r[1] == "B")).collect();
        let age: Vec<Option<f64>> = rows.iter().map(|r| r[3].parse().ok()).collect();
        let sex: Vec<Option<&str>> = rows
            .iter()
            .map(|r| Some(if &r[4] == "F" { "F" } else { "M" }))
            .collect();
        let i = ClassicalInference;
        let mut b =
            BaselineTable::new("Table 1", &["Treated", "Untreated"], &group, false, &i).unwrap();
        b.continuous(
            "Age (years)",
            &age,
            Summary::MeanSd,
            1,
            ContinuousTest::Student,
        )
        .unwrap();
        b.categorical("Sex", &["F", "M"], &sex, CategoricalTest::Auto)
            .unwrap();
        let csv_text = b.build().to_csv().unwrap();
        let lines: Vec<&str> = csv_text.lines().collect();
        assert_eq!(
            lines[1],
            "\"Age (years), mean \u{b1} SD\",61.7 \u{b1} 7.8,65.9 \u{b1} 13.2,0.274,t-test"
        );
        assert_eq!(
            lines[2],
            "\"Sex, n (%)\",,,0.609,\u{3c7}\u{b2} test (Yates)"
        );
    }

    #[test]
    fn one_column_table_with_known_counts() {
        let rows = radionuclide();
        let n = rows.len();
        let one = vec![0usize; n];
        let mut age: Vec<Option<f64>> = rows.iter().map(|r| r[3].parse().ok()).collect();
        age[0] = None;
        age[1] = None;
        let i = ClassicalInference;
        let mut b = BaselineTable::new("Table 1", &["All patients"], &one, false, &i).unwrap();
        b.known = true;
        b.continuous(
            "Age (years)",
            &age,
            Summary::MeanSd,
            1,
            ContinuousTest::Student,
        )
        .unwrap();
        let t = b.build();
        assert_eq!(t.header[0].len(), 2, "no p or test column");
        let csv_text = t.to_csv().unwrap();
        let lines: Vec<&str> = csv_text.lines().collect();
        assert_eq!(lines[0], format!("Characteristic,All patients (n = {n})"));
        assert_eq!(lines[2], format!("\"  Known\",{} of {n}", n - 2));
        assert!(t.footnotes.is_empty());
    }

    #[test]
    fn three_groups_with_small_counts_get_fisher_freeman_halton_and_its_footnote() {
        // R: fisher.test(matrix(c(3, 1, 4, 2, 6, 1), 3))$p.value
        // (validation/fixtures/kgroup/tables.json, small_three_by_two).
        let mut group = Vec::new();
        let mut value = Vec::new();
        for (g, (no, yes)) in [(3, 2), (1, 6), (4, 1)].into_iter().enumerate() {
            for k in 0..(no + yes) {
                group.push(g);
                value.push(Some(if k < no { "no" } else { "yes" }));
            }
        }
        let i = ClassicalInference;
        let mut b = BaselineTable::new("T", &["a", "b", "c"], &group, false, &i).unwrap();
        b.categorical("Response", &["no", "yes"], &value, CategoricalTest::Auto)
            .unwrap();
        let t = b.build();
        let head = &t.body[0].cells;
        assert_eq!(head.last().unwrap().text, "Fisher's exact test");
        let p = fixture("kgroup/tables.json")[2]["fisher_p"]
            .as_f64()
            .unwrap();
        assert_eq!(head[head.len() - 2].text, format!("{p:.3}"));
        assert!(t.footnotes.iter().any(|f| f.contains("Freeman")));
    }

    #[test]
    fn response_table_with_exact_intervals_and_fisher() {
        let mut best = Vec::new();
        for (class, n) in [
            (ResponseClass::CR, 2),
            (ResponseClass::PR, 16),
            (ResponseClass::SD, 16),
            (ResponseClass::PD, 17),
            (ResponseClass::NE, 2),
        ] {
            best.extend(std::iter::repeat_n(Some(class), n));
        }
        let liver: Vec<Option<usize>> = (0..best.len())
            .map(|i| Some(usize::from(i >= 40)))
            .collect();
        let i = ClassicalInference;
        let mut t = ResponseTable::new("Response", &best, &i);
        t.all_patients("Line 1");
        t.characteristic("Liver metastases", &["Yes", "No"], &liver)
            .unwrap();
        let csv_text = t.build().to_csv().unwrap();
        let lines: Vec<&str> = csv_text.lines().collect();
        assert_eq!(
            lines[1],
            "Line 1,53,34.0 (21.5\u{2013}48.3),,64.2 (49.8\u{2013}76.9),"
        );
        // 18/40 vs 0/13 responders: a small expected count → Fisher.
        // R: fisher.test(matrix(c(18, 22, 0, 13), 2))$p.value = 0.00211830…
        assert!(
            lines[2].starts_with("Liver metastases,,,0.002,"),
            "{}",
            lines[2]
        );
    }
}
