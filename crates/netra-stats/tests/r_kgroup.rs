//! The k-group tests against R (`validation/r/kgroup.R`): one-way ANOVA
//! (`oneway.test(var.equal = TRUE)` and `anova(lm())`), Welch's ANOVA
//! (`oneway.test`), Kruskal–Wallis (`kruskal.test`) and r×c tables
//! (`chisq.test`, `fisher.test`), every field to 1e-10 relative.

mod common;

use common::{ABS, assert_opt_close_tol, f64s, fixture};
use netra_stats::classical::chisq::chisq_test;
use netra_stats::classical::fisher::fisher_rxc;
use netra_stats::classical::kruskal::kruskal_test;
use netra_stats::classical::oneway::oneway_test;
use serde_json::Value;

const REL: f64 = 1e-10;

fn check(actual: f64, expected: &Value, what: &str) {
    assert_opt_close_tol(Some(actual), expected, what, REL, ABS);
}

fn cases(name: &str) -> Vec<Value> {
    fixture(&format!("kgroup/{name}.json"))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn oneway_anova_matches_oneway_test_and_lm() {
    for c in cases("numbers") {
        let name = c["name"].as_str().unwrap();
        let groups: Vec<Vec<f64>> = c["groups"].as_array().unwrap().iter().map(f64s).collect();
        let a = oneway_test(&groups, true).unwrap();
        let r = &c["anova"];
        check(a.statistic, &r["statistic"], &format!("{name} F"));
        check(a.statistic, &r["lm_f"], &format!("{name} F (lm)"));
        check(a.df_num, &r["df_num"], &format!("{name} df1"));
        check(a.df_den, &r["df_den"], &format!("{name} df2"));
        check(a.p_value, &r["p_value"], &format!("{name} p"));
        check(a.p_value, &r["lm_p"], &format!("{name} p (lm)"));
        check(
            a.ss_between.unwrap(),
            &r["ss_between"],
            &format!("{name} SS between"),
        );
        check(
            a.ss_within.unwrap(),
            &r["ss_within"],
            &format!("{name} SS within"),
        );
    }
}

#[test]
fn welch_anova_matches_oneway_test() {
    for c in cases("numbers") {
        let name = c["name"].as_str().unwrap();
        let groups: Vec<Vec<f64>> = c["groups"].as_array().unwrap().iter().map(f64s).collect();
        let w = oneway_test(&groups, false).unwrap();
        let r = &c["welch"];
        check(w.statistic, &r["statistic"], &format!("{name} Welch F"));
        check(w.df_num, &r["df_num"], &format!("{name} Welch df1"));
        check(w.df_den, &r["df_den"], &format!("{name} Welch df2"));
        check(w.p_value, &r["p_value"], &format!("{name} Welch p"));
        assert!(w.ss_between.is_none());
    }
}

#[test]
fn kruskal_wallis_matches_kruskal_test() {
    for c in cases("numbers") {
        let name = c["name"].as_str().unwrap();
        let groups: Vec<Vec<f64>> = c["groups"].as_array().unwrap().iter().map(f64s).collect();
        let k = kruskal_test(&groups).unwrap();
        let r = &c["kruskal"];
        check(k.statistic, &r["statistic"], &format!("{name} H"));
        check(k.df, &r["df"], &format!("{name} df"));
        check(k.p_value, &r["p_value"], &format!("{name} p"));
    }
}

#[test]
fn rxc_tables_match_chisq_and_fisher() {
    for c in cases("tables") {
        let name = c["name"].as_str().unwrap();
        let table: Vec<Vec<f64>> = c["table"].as_array().unwrap().iter().map(f64s).collect();
        let ch = chisq_test(&table, false).unwrap();
        let r = &c["chisq"];
        check(ch.statistic, &r["statistic"], &format!("{name} X-squared"));
        check(ch.df, &r["df"], &format!("{name} df"));
        check(ch.p_value, &r["p_value"], &format!("{name} p"));
        let min = ch
            .expected
            .iter()
            .flatten()
            .copied()
            .fold(f64::INFINITY, f64::min);
        check(min, &r["min_expected"], &format!("{name} min expected"));
        check(
            fisher_rxc(&table).unwrap(),
            &c["fisher_p"],
            &format!("{name} Fisher p"),
        );
    }
}
