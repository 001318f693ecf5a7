//! `describe::summarise` against R's `mean`, `sd`, `median`, `quantile`
//! (type 7), `IQR`, `min` and `max` (`validation/r/describe.R`), every
//! field at 1e-10 relative.

mod common;

use common::{ABS, as_opt_f64, assert_opt_close_tol, fixture};
use netra_stats::describe::summarise;

const REL: f64 = 1e-10;

#[test]
fn summaries_match_r() {
    let cases = fixture("describe/summaries.json");
    let cases = cases.as_array().unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let values: Vec<f64> = match &c["values"] {
            serde_json::Value::Array(v) => v
                .iter()
                .map(|x| as_opt_f64(x).unwrap_or(f64::NAN))
                .collect(),
            other => vec![as_opt_f64(other).unwrap()],
        };
        let s = summarise(&values);
        assert_eq!(s.n as u64, c["n"].as_u64().unwrap(), "{name}: n");
        let check = |a: Option<f64>, field: &str| {
            assert_opt_close_tol(a, &c[field], &format!("{name}: {field}"), REL, ABS * 1e-9)
        };
        check(s.mean, "mean");
        check(s.sd, "sd");
        check(s.median, "median");
        check(s.median, "quantile_median");
        check(s.q1, "q1");
        check(s.q3, "q3");
        check(s.q3.zip(s.q1).map(|(a, b)| a - b), "iqr");
        check(s.min, "min");
        check(s.max, "max");
    }
}
