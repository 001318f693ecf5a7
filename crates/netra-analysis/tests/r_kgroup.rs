//! The issue 16/20 building blocks through the analysis layer, against R
//! (`validation/r/{kgroup,proportion,followup}.R`): `compare` of k groups
//! (one-way ANOVA, Welch's ANOVA, Kruskal–Wallis, r×c chi-square and
//! Fisher–Freeman–Halton, Cochran's rule), the intervals of `CiMethod`,
//! the reverse Kaplan–Meier follow-up and SPSS's median interval of the
//! survival summary — every field to 1e-10 relative.

use std::path::PathBuf;

use netra_analysis::analyses::compare::{
    CompareData, CompareOptions, CompareOutput, CompareTest, Values, compare,
};
use netra_analysis::analyses::survival::{SurvivalData, SurvivalOptions, summarise};
use netra_analysis::inference::{CiMethod, ClassicalInference, Inference};
use serde_json::Value;

const REL: f64 = 1e-10;

fn fixture(relative: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../validation/fixtures")
        .join(relative);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn check(actual: Option<f64>, expected: &Value, what: &str) {
    match (actual, num(expected)) {
        (None, None) => {}
        (Some(a), Some(e)) if (a - e).abs() <= 1e-12 || (a - e).abs() <= REL * e.abs() => {}
        (a, e) => panic!("{what}: netra {a:?} vs R {e:?}"),
    }
}

fn numbers_data(c: &Value) -> CompareData {
    let groups = c["groups"].as_array().unwrap();
    let (mut group, mut values) = (Vec::new(), Vec::new());
    for (g, vals) in groups.iter().enumerate() {
        for v in vals.as_array().unwrap() {
            group.push(g);
            values.push(v.as_f64().unwrap());
        }
    }
    CompareData {
        groups: (0..groups.len()).map(|g| format!("g{g}")).collect(),
        group,
        values: Values::Numbers(values),
    }
}

fn run(data: &CompareData, test: Option<CompareTest>) -> CompareOutput {
    compare(
        data,
        &CompareOptions {
            test,
            ..CompareOptions::default()
        },
    )
    .unwrap()
}

#[test]
fn compare_runs_the_k_group_tests_as_r() {
    for c in fixture("kgroup/numbers.json").as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let data = numbers_data(c);
        let k = data.groups.len();
        // ANOVA, named or as the k-group form of Student's t.
        let named = if k > 2 {
            [Some(CompareTest::Anova), Some(CompareTest::T)]
        } else {
            [Some(CompareTest::Anova); 2]
        };
        for test in named {
            let a = run(&data, test);
            let r = &c["anova"];
            assert_eq!(a.test, "One-way analysis of means", "{name}");
            check(a.statistic, &r["statistic"], &format!("{name} F"));
            check(a.df, &r["df_num"], &format!("{name} df"));
            check(a.df_den, &r["df_den"], &format!("{name} df_den"));
            check(Some(a.p_value), &r["p_value"], &format!("{name} p"));
            let ss = a.sum_sq.unwrap();
            check(Some(ss[0]), &r["ss_between"], &format!("{name} SS between"));
            check(Some(ss[1]), &r["ss_within"], &format!("{name} SS within"));
            assert_eq!(a.n_per_group.as_ref().map(Vec::len), Some(k));
        }
        // Welch's ANOVA: named, or by default for 3+ groups.
        let w = run(&data, Some(CompareTest::WelchAnova));
        let r = &c["welch"];
        check(w.statistic, &r["statistic"], &format!("{name} Welch F"));
        check(w.df, &r["df_num"], &format!("{name} Welch df"));
        check(w.df_den, &r["df_den"], &format!("{name} Welch df_den"));
        check(Some(w.p_value), &r["p_value"], &format!("{name} Welch p"));
        if k > 2 {
            assert_eq!(
                run(&data, None).p_value,
                w.p_value,
                "{name}: Welch by default"
            );
        }
        // Kruskal–Wallis: named, or as Mann–Whitney's k-group form.
        let kw = run(&data, Some(CompareTest::Kruskal));
        let r = &c["kruskal"];
        assert_eq!(kw.test, "Kruskal-Wallis rank sum test");
        check(kw.statistic, &r["statistic"], &format!("{name} H"));
        check(kw.df, &r["df"], &format!("{name} KW df"));
        check(Some(kw.p_value), &r["p_value"], &format!("{name} KW p"));
        if k > 2 {
            let mw = run(&data, Some(CompareTest::Mannwhitney));
            assert_eq!(
                (mw.test.as_str(), mw.p_value),
                (kw.test.as_str(), kw.p_value)
            );
        }
        // The same tests through Table 1's inference hook.
        if k > 2 {
            let groups: Vec<Vec<f64>> = c["groups"]
                .as_array()
                .unwrap()
                .iter()
                .map(|g| {
                    g.as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_f64().unwrap())
                        .collect()
                })
                .collect();
            let t = ClassicalInference
                .continuous(&groups, netra_analysis::inference::ContinuousTest::Student)
                .unwrap();
            check(
                Some(t.p),
                &c["anova"]["p_value"],
                &format!("{name} Table 1 ANOVA"),
            );
            let t = ClassicalInference
                .continuous(
                    &groups,
                    netra_analysis::inference::ContinuousTest::MannWhitney,
                )
                .unwrap();
            check(
                Some(t.p),
                &c["kruskal"]["p_value"],
                &format!("{name} Table 1 KW"),
            );
        }
    }
}

#[test]
fn wilcox_is_mann_whitney_in_requests() {
    let t: CompareTest = serde_json::from_value(Value::String("wilcox".into())).unwrap();
    assert_eq!(t, CompareTest::Mannwhitney);
    let t: CompareTest = serde_json::from_value(Value::String("welch-anova".into())).unwrap();
    assert_eq!(t, CompareTest::WelchAnova);
}

#[test]
fn rxc_tables_by_chisq_fisher_and_cochran() {
    for c in fixture("kgroup/tables.json").as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let table: Vec<Vec<u64>> = c["table"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap())
                    .collect()
            })
            .collect();
        // Rows of the table are groups, columns categories.
        let (mut group, mut codes) = (Vec::new(), Vec::new());
        for (i, row) in table.iter().enumerate() {
            for (j, &n) in row.iter().enumerate() {
                for _ in 0..n {
                    group.push(i);
                    codes.push(j);
                }
            }
        }
        let data = CompareData {
            groups: (0..table.len()).map(|g| format!("g{g}")).collect(),
            group,
            values: Values::Categories {
                levels: (0..table[0].len()).map(|j| format!("c{j}")).collect(),
                codes,
            },
        };
        let ch = run(&data, Some(CompareTest::Chisq));
        let r = &c["chisq"];
        check(ch.statistic, &r["statistic"], &format!("{name} X-squared"));
        check(ch.df, &r["df"], &format!("{name} df"));
        check(Some(ch.p_value), &r["p_value"], &format!("{name} p"));
        let f = run(&data, Some(CompareTest::Fisher));
        check(Some(f.p_value), &c["fisher_p"], &format!("{name} Fisher p"));
        // Without a test: Fisher where expected counts are small (the
        // tables with an expected count below 1, or many below 5).
        let auto = run(&data, None);
        let min_expected = r["min_expected"].as_f64().unwrap();
        if min_expected < 1.0 {
            assert_eq!(auto.test, "Fisher's exact test", "{name}");
            assert_eq!(auto.p_value, f.p_value);
        }
        if min_expected >= 5.0 {
            assert_eq!(auto.p_value, ch.p_value, "{name}");
        }
    }
}

#[test]
fn every_ci_method_matches_r_through_the_layer() {
    for c in fixture("proportion/intervals.json").as_array().unwrap() {
        let (x, n) = (c["x"].as_u64().unwrap(), c["n"].as_u64().unwrap());
        let conf = c["conf"].as_f64().unwrap();
        for m in CiMethod::ALL {
            let key = m.code().replace('-', "_");
            let (lo, hi) = ClassicalInference
                .proportion_ci(x, n, conf, m.method())
                .unwrap();
            check(
                Some(lo),
                &c[&key]["lower"],
                &format!("{key}({x}, {n}) lower"),
            );
            check(
                Some(hi),
                &c[&key]["upper"],
                &format!("{key}({x}, {n}) upper"),
            );
        }
    }
}

#[test]
fn survival_summary_has_follow_up_and_spss_median() {
    for c in fixture("followup/cases.json").as_array().unwrap() {
        let name = c["name"].as_str().unwrap();
        let time: Vec<f64> = c["time"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let event: Vec<bool> = c["status"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64() == Some(1.0))
            .collect();
        let data = SurvivalData {
            group: vec![0; time.len()],
            labels: vec!["All".into()],
            time,
            event,
            weights: None,
        };
        let opts = SurvivalOptions {
            median_ci_spss: true,
            ..SurvivalOptions::default()
        };
        let (s, _) = summarise(&data, &opts).unwrap();
        let f = s.follow_up.unwrap();
        let r = &c["follow_up"];
        check(f.median, &r["median"], &format!("{name} follow-up median"));
        check(f.lower, &r["lower"], &format!("{name} follow-up lower"));
        check(f.upper, &r["upper"], &format!("{name} follow-up upper"));
        check(Some(f.min), &r["min"], &format!("{name} min"));
        check(Some(f.max), &r["max"], &format!("{name} max"));
        check(
            Some(f.censored),
            &r["censored"],
            &format!("{name} censored"),
        );
        let g = &s.groups[0];
        check(
            g.median,
            &c["median"]["estimate"],
            &format!("{name} median"),
        );
        let spss = &c["spss_median"];
        match (g.median_spss, spss.get("std_err")) {
            (None, None) => {}
            (Some(m), Some(_)) => {
                check(
                    Some(m.estimate),
                    &spss["estimate"],
                    &format!("{name} SPSS median"),
                );
                check(
                    Some(m.std_err),
                    &spss["std_err"],
                    &format!("{name} SPSS se"),
                );
                check(Some(m.lower), &spss["lower"], &format!("{name} SPSS lower"));
                check(Some(m.upper), &spss["upper"], &format!("{name} SPSS upper"));
            }
            (m, e) => panic!("{name}: netra {m:?} vs R {e:?}"),
        }
        // Without the option the SPSS interval is not in the JSON.
        let (plain, _) = summarise(&data, &SurvivalOptions::default()).unwrap();
        let json = serde_json::to_value(&plain).unwrap();
        assert!(json["groups"][0].get("median_spss").is_none());
        assert!(json["follow_up"].is_object());
    }
}
