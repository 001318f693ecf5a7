//! Cox regression from partial aggregates (`netra_stats::partial_cox`)
//! against R's `coxph` (the fixtures of `validation/r/cox.R`, read as
//! `r_cox.rs` reads them) and against the row path `cox::coxph`, with the
//! rows cut into parts in random order and merged in different orders.
//!
//! Tolerances: R as `r_cox.rs` (1e-7 relative; variance 1e-12 of its
//! largest element absolute); the row path 1e-9 relative on coefficients,
//! variance and log-likelihoods; different splits and merge orders 1e-12.
//! The fixture loading repeats the parts of `r_cox.rs` it needs (test
//! crates do not share code beyond `tests/common`).

mod common;

use netra_stats::cox::{CoxData, CoxError, CoxFit, CoxOptions, Ties, coxph};
use netra_stats::model::{ColumnData, Design, DesignOptions, Formula, NamedColumn};
use netra_stats::partial_cox::{
    ColumnMoments, ColumnSpread, CoxPartial, CoxPartialWire, Intervals, PartialCoxError,
    Standardisation, fit_partial, fit_parts,
};
use serde_json::Value;

use common::{as_opt_f64, close, f64s};

const R_REL: f64 = 1e-7;
const R_ABS: f64 = 1e-10;

/// A small deterministic generator for splits and orders.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// A model's rows, owned (covariates column-major).
#[derive(Clone)]
struct Rows {
    time: Vec<f64>,
    start: Option<Vec<f64>>,
    event: Vec<bool>,
    x: Vec<f64>,
    weights: Option<Vec<f64>>,
    strata: Option<Vec<u32>>,
    names: Vec<String>,
}

impl Rows {
    fn n(&self) -> usize {
        self.time.len()
    }

    fn data(&self) -> CoxData<'_> {
        CoxData {
            time: &self.time,
            event: &self.event,
            start: self.start.as_deref(),
            x: &self.x,
            names: &self.names,
            weights: self.weights.as_deref(),
            strata: self.strata.as_deref(),
            cluster: None,
        }
    }

    /// The rows `idx`, in that order.
    fn select(&self, idx: &[usize]) -> Rows {
        let n = self.n();
        let p = self.names.len();
        let mut x = Vec::with_capacity(idx.len() * p);
        for j in 0..p {
            x.extend(idx.iter().map(|&i| self.x[j * n + i]));
        }
        Rows {
            time: idx.iter().map(|&i| self.time[i]).collect(),
            start: self
                .start
                .as_ref()
                .map(|s| idx.iter().map(|&i| s[i]).collect()),
            event: idx.iter().map(|&i| self.event[i]).collect(),
            x,
            weights: self
                .weights
                .as_ref()
                .map(|w| idx.iter().map(|&i| w[i]).collect()),
            strata: self
                .strata
                .as_ref()
                .map(|s| idx.iter().map(|&i| s[i]).collect()),
            names: self.names.clone(),
        }
    }

    /// A random cut into `k` non-empty parts of shuffled rows.
    fn split(&self, k: usize, rng: &mut Lcg) -> Vec<Rows> {
        let n = self.n();
        let mut idx: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut idx);
        let mut cuts: Vec<usize> = (0..k - 1).map(|_| 1 + rng.below(n - 1)).collect();
        cuts.push(0);
        cuts.push(n);
        cuts.sort_unstable();
        cuts.dedup();
        cuts.windows(2)
            .map(|w| self.select(&idx[w[0]..w[1]]))
            .collect()
    }
}

/// Numeric and text columns of a fixture, by name.
type Columns = (Vec<(String, Vec<f64>)>, Vec<(String, Vec<String>)>);

fn columns_of(input: &Value) -> Columns {
    if let Some(n) = input["columns"]["synthetic"].as_u64() {
        return (synthetic(n), Vec::new());
    }
    let mut numeric = Vec::new();
    let mut text = Vec::new();
    for (name, values) in input["columns"].as_object().unwrap() {
        let arr = values.as_array().unwrap();
        if arr.iter().any(Value::is_string) {
            text.push((
                name.clone(),
                arr.iter()
                    .map(|v| v.as_str().unwrap().to_string())
                    .collect(),
            ));
        } else {
            numeric.push((name.clone(), f64s(values)));
        }
    }
    (numeric, text)
}

/// The integer recipes of `synthetic()` in `validation/r/cox.R` (as
/// `r_cox.rs` rebuilds them).
fn synthetic(n: u64) -> Vec<(String, Vec<f64>)> {
    let mut cols: Vec<(String, Vec<f64>)> = ["time", "status", "x1", "x2", "x3", "g", "s", "cl"]
        .iter()
        .map(|c| (c.to_string(), Vec::with_capacity(n as usize)))
        .collect();
    for i in 1..=n {
        let g = i % 4;
        let x2 = u64::from(i % 3 == 0);
        let base = (i * 48271) % 2999 + 1;
        let v = [
            (base / (1 + x2 + g) + (i * 7919) % 1000 / 100) as f64,
            f64::from(u8::from((i * 16807) % 10 < 6)),
            ((i * 7919) % 1000) as f64 / 100.0,
            x2 as f64,
            ((i * 104729) % 997) as f64 / 997.0 * 4.0 - 2.0,
            g as f64,
            (i % 2) as f64,
            (i / 3) as f64,
        ];
        for (c, x) in cols.iter_mut().zip(v) {
            c.1.push(x);
        }
    }
    cols
}

/// The fixture's model rows and options (as `r_cox.rs` builds them).
fn model_of(fx: &Value) -> (Rows, CoxOptions) {
    let input = &fx["input"];
    let (numeric, text) = columns_of(input);
    let text_refs: Vec<(String, Vec<&str>)> = text
        .iter()
        .map(|(n, v)| (n.clone(), v.iter().map(String::as_str).collect()))
        .collect();
    let mut cols: Vec<NamedColumn<'_>> = numeric
        .iter()
        .map(|(n, v)| NamedColumn {
            name: n,
            data: ColumnData::Numeric(v),
        })
        .collect();
    for (n, v) in &text_refs {
        cols.push(NamedColumn {
            name: n,
            data: ColumnData::Text(v),
        });
    }
    let num = |name: &str| -> Vec<f64> {
        numeric
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no numeric column {name}"))
            .1
            .clone()
    };
    let refs = input["refs"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect()
        })
        .unwrap_or_default();
    let design = Design::build(
        &Formula::parse(input["formula"].as_str().unwrap()).unwrap(),
        &cols,
        &DesignOptions {
            reference_levels: refs,
        },
    )
    .unwrap();
    let rows = Rows {
        time: num(input["time"].as_str().unwrap()),
        start: input["start"].as_str().map(num),
        event: num(input["event"].as_str().unwrap())
            .iter()
            .map(|&v| v == 1.0)
            .collect(),
        x: design.x.clone(),
        weights: input["weights"].as_str().map(num),
        strata: design.strata.as_ref().map(|s| s.codes.clone()),
        names: design.names.clone(),
    };
    let opts = CoxOptions {
        ties: if input["ties"] == "breslow" {
            Ties::Breslow
        } else {
            Ties::Efron
        },
        conf_level: input["conf_level"].as_f64().unwrap(),
        iter_max: input["iter_max"]
            .as_u64()
            .map_or(CoxOptions::default().iter_max, |v| v as usize),
        ..CoxOptions::default()
    };
    (rows, opts)
}

/// The `coxph` fixtures, right-censored and (start, stop] (not Fine–Gray),
/// including the two 150 000-row ones.
fn coxph_fixtures() -> Vec<Value> {
    let dir = common::fixture_path("cox");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            p.extension().is_some_and(|e| e == "json") && !name.starts_with("finegray")
        })
        .collect();
    paths.sort();
    let fixtures: Vec<Value> = paths
        .iter()
        .map(|p| serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
        .collect();
    assert!(
        fixtures.len() >= 25
            && fixtures
                .iter()
                .filter(|f| !f["input"]["start"].is_null())
                .count()
                >= 5,
        "expected the right-censored and (start, stop] fixtures"
    );
    fixtures
}

fn check_r(actual: Option<f64>, expected: &Value, what: &str) {
    let e = as_opt_f64(expected);
    match (actual, e) {
        (None, None) => {}
        (Some(a), None) if !a.is_finite() => {}
        (Some(a), Some(e)) if close(a, e, R_REL, R_ABS) => {}
        (a, e) => panic!("{what}: partial {a:?} vs R {e:?}"),
    }
}

fn check_r_test(actual: &netra_stats::cox::ChisqTest, expected: &Value, what: &str) {
    check_r(
        Some(actual.chisq),
        &expected["chisq"],
        &format!("{what} chisq"),
    );
    assert_eq!(
        actual.df as f64,
        expected["df"].as_f64().unwrap(),
        "{what} df"
    );
    check_r(Some(actual.p), &expected["p"], &format!("{what} p"));
}

/// The fields the partials give, against R. Where R used the robust
/// variance (clusters, non-integer weights), only the model-based fields.
fn compare_with_r(fit: &CoxFit, exp: &Value, name: &str) {
    let tag = |f: &str| format!("{name}: {f}");
    assert_eq!(fit.n as f64, exp["n"].as_f64().unwrap(), "{}", tag("n"));
    assert_eq!(
        fit.events as f64,
        exp["events"].as_f64().unwrap(),
        "{}",
        tag("events")
    );
    let r_robust = exp["robust"].as_bool().unwrap();
    let terms = exp["terms"].as_array().unwrap();
    assert_eq!(fit.coefficients.len(), terms.len(), "{}", tag("terms"));
    for (c, e) in fit.coefficients.iter().zip(terms) {
        let t = |f: &str| tag(&format!("{} {f}", c.name));
        check_r(c.coef, &e["coef"], &t("coef"));
        check_r(c.se, &e["se"], &t("se"));
        check_r(c.hr, &e["hr"], &t("hr"));
        if !r_robust {
            check_r(c.hr_lower, &e["hr_lower"], &t("hr_lower"));
            check_r(c.hr_upper, &e["hr_upper"], &t("hr_upper"));
            check_r(c.z, &e["z"], &t("z"));
            check_r(c.p, &e["p"], &t("p"));
        }
    }
    check_r(
        Some(fit.loglik_null),
        &exp["loglik_null"],
        &tag("loglik_null"),
    );
    check_r(Some(fit.loglik), &exp["loglik"], &tag("loglik"));
    check_r_test(&fit.lr_test, &exp["lr_test"], &tag("lr_test"));
    check_r_test(&fit.score_test, &exp["score_test"], &tag("score_test"));
    assert_eq!(
        fit.iterations as f64,
        exp["iterations"].as_f64().unwrap(),
        "{}",
        tag("iterations")
    );
    if !r_robust {
        check_r_test(&fit.wald_test, &exp["wald_test"], &tag("wald_test"));
        let var = f64s(&exp["var"]);
        let scale = var.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (k, (a, e)) in fit.var.iter().zip(&var).enumerate() {
            assert!(
                close(*a, *e, R_REL, 1e-12 * scale),
                "{}: partial {a} vs R {e}",
                tag(&format!("var[{k}]"))
            );
        }
    }
    let r_inf = exp["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w.as_str().unwrap().starts_with("Loglik converged"))
        .count();
    let ours_inf = fit
        .warnings
        .iter()
        .filter(|w| w.starts_with("Loglik converged"))
        .count();
    assert_eq!(ours_inf, r_inf, "{}: {:?}", tag("warnings"), fit.warnings);
}

/// Two fits agree to `rel` on coefficients, variance, log-likelihoods and
/// the tests, and have the same iterations and warnings.
fn assert_same_fit(a: &CoxFit, b: &CoxFit, rel: f64, what: &str) {
    let near = |x: f64, y: f64, scale: f64| (x - y).abs() <= rel * y.abs().max(scale);
    assert_eq!(a.n, b.n, "{what}: n");
    assert_eq!(a.events, b.events, "{what}: events");
    assert_eq!(a.iterations, b.iterations, "{what}: iterations");
    assert_eq!(a.converged, b.converged, "{what}: converged");
    for (ca, cb) in a.coefficients.iter().zip(&b.coefficients) {
        match (ca.coef, cb.coef) {
            (None, None) => {}
            (Some(x), Some(y)) => assert!(near(x, y, 1e-300), "{what}: {} {x} vs {y}", ca.name),
            (x, y) => panic!("{what}: {} {x:?} vs {y:?}", ca.name),
        }
    }
    let vscale = b.naive_var.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (k, (x, y)) in a.naive_var.iter().zip(&b.naive_var).enumerate() {
        assert!(near(*x, *y, vscale), "{what}: var[{k}] {x} vs {y}");
    }
    assert!(
        near(a.loglik, b.loglik, 0.0),
        "{what}: loglik {} vs {}",
        a.loglik,
        b.loglik
    );
    assert!(
        near(a.loglik_null, b.loglik_null, 0.0),
        "{what}: loglik_null"
    );
    for (x, y, t) in [
        (a.lr_test.chisq, b.lr_test.chisq, "lr"),
        (a.wald_test.chisq, b.wald_test.chisq, "wald"),
        (a.score_test.chisq, b.score_test.chisq, "score"),
    ] {
        // Chi-squares are differences of log-likelihoods: relative to the
        // log-likelihood when the statistic is tiny.
        assert!(
            near(x, y, a.loglik.abs() * 1e-3),
            "{what}: {t} test {x} vs {y}"
        );
    }
    assert_eq!(a.warnings, b.warnings, "{what}: warnings");
}

#[test]
fn every_coxph_fixture_matches_r_and_the_row_path() {
    let mut rng = Lcg(20261206);
    for fx in coxph_fixtures() {
        let name = fx["name"].as_str().unwrap().to_string();
        let (rows, opts) = model_of(&fx);
        let row_fit = coxph(
            &rows.data(),
            &CoxOptions {
                robust: Some(false),
                ..opts
            },
        )
        .unwrap();
        // One part, then 2–5 parts in random order.
        let whole = fit_parts(&[rows.data()], &rows.names, &opts).unwrap();
        compare_with_r(&whole, &fx["expected"], &format!("{name} (1 part)"));
        assert_same_fit(&whole, &row_fit, 1e-9, &format!("{name}: 1 part vs coxph"));
        let k = 2 + rng.below(4);
        let parts = rows.split(k, &mut rng);
        let data: Vec<CoxData<'_>> = parts.iter().map(Rows::data).collect();
        let split = fit_parts(&data, &rows.names, &opts).unwrap();
        compare_with_r(&split, &fx["expected"], &format!("{name} ({k} parts)"));
        assert_same_fit(
            &split,
            &row_fit,
            1e-9,
            &format!("{name}: {k} parts vs coxph"),
        );
        assert_same_fit(&split, &whole, 1e-12, &format!("{name}: {k} parts vs 1"));
        assert!(split.concordance.is_none() && !split.robust);
        assert!(split.linear_predictors.is_empty());
        assert_eq!(split.means.len(), rows.names.len());
    }
}

/// Centring rounds, then fits with the parts' sums merged in the order
/// `order` gives for each round: left to right, or as a balanced tree.
fn fit_with_merge_order(parts: &[Rows], opts: &CoxOptions, order: &[usize], tree: bool) -> CoxFit {
    let names = &parts[0].names;
    let mut moments = ColumnMoments::from_rows(&parts[order[0]].data()).unwrap();
    for &i in &order[1..] {
        moments
            .merge(&ColumnMoments::from_rows(&parts[i].data()).unwrap())
            .unwrap();
    }
    let means = moments.means();
    let mut spread = ColumnSpread::from_rows(&parts[order[0]].data(), &means).unwrap();
    for &i in &order[1..] {
        spread
            .merge(&ColumnSpread::from_rows(&parts[i].data(), &means).unwrap())
            .unwrap();
    }
    let std = Standardisation::new(&moments, &spread);
    let round = |beta: &[f64]| -> Result<CoxPartial, CoxError> {
        let mut sums: Vec<CoxPartial> = order
            .iter()
            .map(|&i| CoxPartial::from_rows(&parts[i].data(), &std, beta, opts.ties))
            .collect::<Result<_, _>>()?;
        if tree {
            while sums.len() > 1 {
                let mut next = Vec::new();
                let mut it = sums.into_iter();
                while let Some(mut a) = it.next() {
                    if let Some(b) = it.next() {
                        a.merge(&b)?;
                    }
                    next.push(a);
                }
                sums = next;
            }
            Ok(sums.pop().unwrap())
        } else {
            let mut it = sums.into_iter();
            let mut acc = it.next().unwrap();
            for s in it {
                acc.merge(&s)?;
            }
            Ok(acc)
        }
    };
    let intervals = if parts[0].start.is_some() {
        Intervals::StartStop
    } else {
        Intervals::RightCensored
    };
    fit_partial(names, &std, intervals, opts, round).unwrap()
}

#[test]
fn splits_and_merge_orders_agree_to_1e_12() {
    let mut rng = Lcg(7);
    for file in [
        "lung_efron",
        "lung_strata",
        "lung_weights",
        "lung_heavy_ties_efron",
        "lung_heavy_ties_breslow",
        "pbc_efron",
        "lung_monotone",
        "heart_strata",
        "lung_left_truncated_ties",
    ] {
        let fx = common::fixture(&format!("cox/{file}.json"));
        let (rows, opts) = model_of(&fx);
        let reference = fit_parts(&[rows.data()], &rows.names, &opts).unwrap();
        for k in 2..=5 {
            let parts = rows.split(k, &mut rng);
            let n = parts.len();
            let forward: Vec<usize> = (0..n).collect();
            let mut shuffled = forward.clone();
            rng.shuffle(&mut shuffled);
            let reversed: Vec<usize> = forward.iter().rev().copied().collect();
            for (order, tree) in [(&forward, false), (&reversed, true), (&shuffled, false)] {
                let fit = fit_with_merge_order(&parts, &opts, order, tree);
                assert_same_fit(
                    &fit,
                    &reference,
                    1e-12,
                    &format!("{file}: {n} parts, order {order:?}, tree {tree}"),
                );
            }
        }
    }
}

/// Small data for the edge cases: two strata, ties of events and
/// censorings, two covariates.
fn small() -> Rows {
    let time = [
        5.0, 8.0, 3.0, 9.0, 12.0, 1.0, 7.0, 7.0, 4.0, 6.0, 6.0, 2.0, 10.0, 11.0,
    ];
    let event = [
        true, false, true, true, false, true, true, false, true, true, true, false, true, false,
    ];
    let x1 = [
        0.3, -0.2, 0.9, 0.3, -1.0, 1.2, 0.0, 0.5, 2.0, -3.0, 0.7, 0.1, -0.4, 1.5,
    ];
    let x2 = [
        1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0,
    ];
    let mut x = x1.to_vec();
    x.extend_from_slice(&x2);
    Rows {
        time: time.to_vec(),
        start: None,
        event: event.to_vec(),
        x,
        weights: Some(vec![
            1.0, 2.0, 1.0, 1.5, 1.0, 0.5, 2.0, 1.0, 1.0, 3.0, 1.0, 1.0, 1.0, 2.0,
        ]),
        strata: Some(vec![0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]),
        names: vec!["x1".into(), "x2".into()],
    }
}

#[test]
fn edge_parts_give_the_pooled_fit() {
    let rows = small();
    for ties in [Ties::Efron, Ties::Breslow] {
        let opts = CoxOptions {
            ties,
            robust: Some(false),
            ..CoxOptions::default()
        };
        let pooled = coxph(&rows.data(), &opts).unwrap();
        // A part with no events (rows 1, 4, 7, 11, 13 are censored), a part
        // with one row, and stratum 1 only in the last part.
        let parts = [
            rows.select(&[1, 4, 7]),
            rows.select(&[0]),
            rows.select(&[2, 3, 5, 6]),
            rows.select(&[8, 9, 10, 11, 12, 13]),
        ];
        assert!(!parts[0].event.iter().any(|&e| e));
        let data: Vec<CoxData<'_>> = parts.iter().map(Rows::data).collect();
        let fit = fit_parts(&data, &rows.names, &opts).unwrap();
        assert_same_fit(&fit, &pooled, 1e-9, &format!("{ties:?} edge parts"));
        // An empty part changes nothing.
        let empty = rows.select(&[]);
        let mut with_empty = data.clone();
        with_empty.insert(2, empty.data());
        let fit2 = fit_parts(&with_empty, &rows.names, &opts).unwrap();
        assert_same_fit(&fit2, &fit, 1e-12, &format!("{ties:?} with an empty part"));
    }
}

#[test]
fn all_censored_is_refused_as_coxph_refuses_it() {
    let mut rows = small();
    rows.event.iter_mut().for_each(|e| *e = false);
    let opts = CoxOptions::default();
    let row_err = coxph(&rows.data(), &opts).unwrap_err();
    assert_eq!(row_err, CoxError::NoEvents);
    let parts = rows.split(3, &mut Lcg(1));
    let data: Vec<CoxData<'_>> = parts.iter().map(Rows::data).collect();
    assert_eq!(fit_parts(&data, &rows.names, &opts).unwrap_err(), row_err);
    assert_eq!(
        fit_parts(&[], &rows.names, &opts).unwrap_err(),
        CoxError::Empty
    );
}

#[test]
fn inconsistent_rounds_and_options_are_errors_not_panics() {
    let rows = small();
    let std = Standardisation::identity(2);
    let opts = CoxOptions::default();
    // Sums for the other tie method cannot be merged or used.
    let efron = CoxPartial::from_rows(&rows.data(), &std, &[0.0, 0.0], Ties::Efron).unwrap();
    let mut breslow =
        CoxPartial::from_rows(&rows.data(), &std, &[0.0, 0.0], Ties::Breslow).unwrap();
    assert!(matches!(breslow.merge(&efron), Err(CoxError::BadOption(_))));
    let err = fit_partial(&rows.names, &std, Intervals::RightCensored, &opts, |_| {
        Ok::<_, CoxError>(breslow.clone())
    })
    .unwrap_err();
    assert!(matches!(err, PartialCoxError::Cox(CoxError::BadOption(_))));
    // A round that fails is reported as such.
    let err = fit_partial(
        &rows.names,
        &std,
        Intervals::RightCensored,
        &opts,
        |_| -> Result<CoxPartial, &str> { Err("site 3 timed out") },
    )
    .unwrap_err();
    assert_eq!(err, PartialCoxError::Round("site 3 timed out"));
    // The robust variance is not available from sums.
    let err = fit_partial(
        &rows.names,
        &std,
        Intervals::RightCensored,
        &CoxOptions {
            robust: Some(true),
            ..opts
        },
        |_| Ok::<_, CoxError>(efron.clone()),
    )
    .unwrap_err();
    assert!(matches!(err, PartialCoxError::Cox(CoxError::BadOption(_))));
    // Sums with start times in a right-censored fit.
    let start = vec![0.0; rows.n()];
    let with_start = CoxData {
        start: Some(&start),
        ..rows.data()
    };
    let counting = CoxPartial::from_rows(&with_start, &std, &[0.0, 0.0], Ties::Efron).unwrap();
    assert!(counting.counting());
    let err = fit_partial(&rows.names, &std, Intervals::RightCensored, &opts, |_| {
        Ok::<_, CoxError>(counting.clone())
    })
    .unwrap_err();
    assert!(matches!(err, PartialCoxError::Cox(CoxError::BadOption(_))));
    assert!(matches!(
        fit_parts(&[with_start, rows.data()], &rows.names, &opts),
        Err(CoxError::BadOption(_))
    ));
    // Bad part data: a NaN covariate, a zero weight, a start not below its
    // stop.
    let mut bad = rows.clone();
    bad.x[3] = f64::NAN;
    assert!(matches!(
        CoxPartial::from_rows(&bad.data(), &std, &[0.0, 0.0], Ties::Efron),
        Err(CoxError::NotFinite { row: 3, .. })
    ));
    let mut bad = rows.clone();
    bad.weights.as_mut().unwrap()[5] = 0.0;
    assert_eq!(
        ColumnMoments::from_rows(&bad.data()).unwrap_err(),
        CoxError::BadWeight { row: 5 }
    );
    let mut late = start.clone();
    late[4] = rows.time[4];
    assert_eq!(
        CoxPartial::from_rows(
            &CoxData {
                start: Some(&late),
                ..rows.data()
            },
            &std,
            &[0.0, 0.0],
            Ties::Efron
        )
        .unwrap_err(),
        CoxError::BadInterval { row: 4 }
    );
    // A coefficient vector of the wrong length.
    assert!(matches!(
        CoxPartial::from_rows(&rows.data(), &std, &[0.0], Ties::Efron),
        Err(CoxError::LengthMismatch(_))
    ));
}

#[test]
fn evaluation_at_zero_is_the_log_rank_score() {
    // At β = 0 with Breslow ties and one binary covariate, the score is
    // observed minus expected events of group 1 — the log-rank numerator,
    // computed here by hand from the risk sets.
    let time = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0];
    let event = [true, true, false, true, true, true, false];
    let x = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0];
    let names = vec!["g".to_string()];
    let data = CoxData {
        time: &time,
        event: &event,
        start: None,
        x: &x,
        names: &names,
        weights: None,
        strata: None,
        cluster: None,
    };
    let std = Standardisation::identity(1);
    let part = CoxPartial::from_rows(&data, &std, &[0.0], Ties::Breslow).unwrap();
    assert_eq!(part.cells(), 5);
    assert_eq!(part.events(), 5);
    let ev = part.evaluate();
    // Risk sets: t=1: 7 at risk, 4 in g=1; t=2: 6, 3; t=3: 4, 2; t=4: 3, 1
    // (two events).
    let expected_g1 = 4.0 / 7.0 + 3.0 / 6.0 + 2.0 / 4.0 + 2.0 * 1.0 / 3.0;
    let observed_g1 = 3.0;
    assert!((ev.score[0] - (observed_g1 - expected_g1)).abs() < 1e-14);
    let loglik = -(7f64.ln() + 6f64.ln() + 4f64.ln() + 2.0 * 3f64.ln());
    assert!((ev.loglik - loglik).abs() < 1e-14);
    let var = |n: f64, n1: f64, d: f64| d * (n1 / n) * (1.0 - n1 / n);
    let info = var(7.0, 4.0, 1.0) + var(6.0, 3.0, 1.0) + var(4.0, 2.0, 1.0) + var(3.0, 1.0, 2.0);
    assert!((ev.information[0] - info).abs() < 1e-14);
}

#[test]
fn start_stop_parts_give_the_pooled_fit() {
    // Late entry, a row at risk at no event time (start 10.5, stop 11 in
    // stratum 0: last event there is at 9), cells holding only starts
    // (2.5, 0.5, 10.5), ties of a start with another row's stop (start 3
    // = stop 3), and stratum 1 in one part only.
    let mut rows = small();
    rows.time[4] = 11.0;
    rows.start = Some(vec![
        0.0, 2.5, 0.0, 3.0, 10.5, 0.0, 0.5, 0.0, 0.0, 1.0, 0.0, 0.0, 4.0, 2.0,
    ]);
    for ties in [Ties::Efron, Ties::Breslow] {
        let opts = CoxOptions {
            ties,
            robust: Some(false),
            ..CoxOptions::default()
        };
        let pooled = coxph(&rows.data(), &opts).unwrap();
        let parts = [
            rows.select(&[4, 1]),
            rows.select(&[3]),
            rows.select(&[0, 2, 5, 6, 7]),
            rows.select(&[8, 9, 10, 11, 12, 13]),
        ];
        let data: Vec<CoxData<'_>> = parts.iter().map(Rows::data).collect();
        let fit = fit_parts(&data, &rows.names, &opts).unwrap();
        assert_same_fit(
            &fit,
            &pooled,
            1e-9,
            &format!("{ties:?} (start, stop] parts"),
        );
        // The late entries change the fit: the risk sets are not those of
        // the right-censored data.
        let mut right = rows.clone();
        right.start = None;
        let other = fit_parts(&[right.data()], &rows.names, &opts).unwrap();
        assert!((other.loglik - fit.loglik).abs() > 1e-3);
    }
}

#[test]
fn sums_sent_as_plain_numbers_give_the_same_fit_and_are_checked() {
    let rows = small();
    let opts = CoxOptions::default();
    let direct = fit_parts(&[rows.data()], &rows.names, &opts).unwrap();
    let parts = rows.split(3, &mut Lcg(11));
    let std = {
        let mut m = ColumnMoments::from_rows(&parts[0].data()).unwrap();
        for q in &parts[1..] {
            m.merge(&ColumnMoments::from_rows(&q.data()).unwrap())
                .unwrap();
        }
        let means = m.means();
        let mut s = ColumnSpread::from_rows(&parts[0].data(), &means).unwrap();
        for q in &parts[1..] {
            s.merge(&ColumnSpread::from_rows(&q.data(), &means).unwrap())
                .unwrap();
        }
        Standardisation::new(&m, &s)
    };
    // Each part's sums go through the wire form before the merge.
    let round = |beta: &[f64]| -> Result<CoxPartial, CoxError> {
        let mut acc: Option<CoxPartial> = None;
        for q in &parts {
            let sent = CoxPartial::from_rows(&q.data(), &std, beta, opts.ties)?.to_wire();
            let got = CoxPartial::from_wire(&sent)?;
            assert_eq!(got.to_wire(), sent);
            match acc.as_mut() {
                None => acc = Some(got),
                Some(a) => a.merge(&got)?,
            }
        }
        Ok(acc.expect("parts"))
    };
    let fit = fit_partial(&rows.names, &std, Intervals::RightCensored, &opts, round).unwrap();
    assert_same_fit(&fit, &direct, 1e-12, "through the wire form");

    let good = CoxPartial::from_rows(&rows.data(), &std, &[0.1, -0.2], Ties::Efron)
        .unwrap()
        .to_wire();
    let refused = |w: CoxPartialWire| {
        assert!(
            matches!(CoxPartial::from_wire(&w), Err(CoxError::BadOption(_))),
            "{w:?}"
        )
    };
    let mut w = good.clone();
    w.values.pop();
    refused(w);
    let mut w = good.clone();
    w.keys.swap(0, 1);
    refused(w);
    let mut w = good.clone();
    w.events.push(0);
    refused(w);
    let mut w = good.clone();
    w.values[5] = f64::NAN;
    refused(w);
    let mut w = good.clone();
    w.p = 3;
    refused(w);
    let mut w = good.clone();
    w.rows = 2;
    refused(w);
    let mut w = good;
    w.p = 0;
    refused(w);
}
