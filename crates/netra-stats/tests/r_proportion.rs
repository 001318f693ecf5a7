//! The six intervals of a proportion against R (`validation/r/proportion.R`:
//! `binom.test`, `prop.test` with and without continuity correction, and
//! the Wald, Agresti–Coull and Jeffreys formulas evaluated with `qnorm` and
//! `qbeta`), every limit to 1e-10 relative, x = 0 and x = n included.

mod common;

use common::{ABS, assert_opt_close_tol, fixture};
use netra_stats::classical::binomial::{ProportionCi, proportion};

const REL: f64 = 1e-10;

fn key(m: ProportionCi) -> &'static str {
    match m {
        ProportionCi::ClopperPearson => "clopper_pearson",
        ProportionCi::Wilson => "wilson",
        ProportionCi::WilsonCorrected => "wilson_cc",
        ProportionCi::Wald => "wald",
        ProportionCi::AgrestiCoull => "agresti_coull",
        ProportionCi::Jeffreys => "jeffreys",
    }
}

#[test]
fn every_interval_matches_r() {
    let cases = fixture("proportion/intervals.json");
    let cases = cases.as_array().unwrap();
    assert!(cases.len() >= 16);
    let mut edges = 0;
    for c in cases {
        let x = c["x"].as_u64().unwrap();
        let n = c["n"].as_u64().unwrap();
        let conf = c["conf"].as_f64().unwrap();
        edges += usize::from(x == 0 || x == n);
        for m in ProportionCi::ALL {
            let what = format!("{}({x}, {n}, {conf})", key(m));
            let p = proportion(x, n, m, conf).unwrap();
            assert_opt_close_tol(Some(p.estimate), &c["estimate"], &what, REL, ABS);
            let r = &c[key(m)];
            assert_opt_close_tol(
                Some(p.lower),
                &r["lower"],
                &format!("{what} lower"),
                REL,
                ABS,
            );
            assert_opt_close_tol(
                Some(p.upper),
                &r["upper"],
                &format!("{what} upper"),
                REL,
                ABS,
            );
        }
    }
    assert!(edges >= 6, "the fixture keeps its x = 0 and x = n cases");
}

#[test]
fn invalid_counts_are_errors_for_every_method() {
    for m in ProportionCi::ALL {
        assert!(proportion(1, 0, m, 0.95).is_err());
        assert!(proportion(3, 2, m, 0.95).is_err());
        assert!(proportion(1, 2, m, 1.0).is_err());
    }
}
