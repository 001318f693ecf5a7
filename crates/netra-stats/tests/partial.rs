//! Additive partial aggregates (`netra_stats::partial`): built from parts,
//! merged in any order and tree shape, they give the pooled-data answer —
//! against R on every Kaplan–Meier and log-rank fixture, and against the row
//! path (`km_by_group`, `logrank`) at 1e-12 relative on random data split
//! into 2–5 parts.

mod common;

use common::{assert_all_close, assert_close, close, f64s, fixture};
use netra_stats::cuminc::{CumInc, CumIncError, CumIncOptions, cuminc};
use netra_stats::km::{ConfType, KmCurve, KmError, KmOptions, Variance, km_by_group};
use netra_stats::logrank::{LogrankError, LogrankTest, Weights, logrank};
use netra_stats::partial::{Cell, PartialError, Rows, Sum2, SurvivalCounts};
use serde_json::Value;

/// Agreement of the partial path with the row path.
const TIGHT: f64 = 1e-12;

/// SplitMix64: a small deterministic generator (no dependency).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            v.swap(i, self.below(i + 1));
        }
    }
}

/// Rows owned, so that they can be split into parts.
#[derive(Clone, Default)]
struct Data {
    time: Vec<f64>,
    cause: Vec<u32>,
    weights: Option<Vec<f64>>,
    group: Vec<u32>,
    stratum: Vec<u32>,
}

impl Data {
    fn rows(&self) -> Rows<'_> {
        Rows {
            time: &self.time,
            cause: &self.cause,
            weights: self.weights.as_deref(),
            group: Some(&self.group),
            stratum: Some(&self.stratum),
        }
    }
    fn subset(&self, idx: &[usize]) -> Data {
        Data {
            time: idx.iter().map(|&i| self.time[i]).collect(),
            cause: idx.iter().map(|&i| self.cause[i]).collect(),
            weights: self
                .weights
                .as_ref()
                .map(|w| idx.iter().map(|&i| w[i]).collect()),
            group: idx.iter().map(|&i| self.group[i]).collect(),
            stratum: idx.iter().map(|&i| self.stratum[i]).collect(),
        }
    }
    fn events(&self) -> Vec<bool> {
        self.cause.iter().map(|&c| c != 0).collect()
    }
}

/// Splits the rows into `k` random parts (some possibly empty), builds a
/// partial of each, and merges them in a random order and tree shape.
fn split_and_merge(
    d: &Data,
    k: usize,
    n_groups: u32,
    n_strata: u32,
    rng: &mut Rng,
) -> SurvivalCounts {
    let mut parts: Vec<Vec<usize>> = vec![Vec::new(); k];
    for i in 0..d.time.len() {
        parts[rng.below(k)].push(i);
    }
    let mut pool: Vec<SurvivalCounts> = parts
        .iter()
        .map(|p| SurvivalCounts::from_rows(&d.subset(p).rows(), n_groups, n_strata).unwrap())
        .collect();
    while pool.len() > 1 {
        let a = pool.swap_remove(rng.below(pool.len()));
        let mut b = pool.swap_remove(rng.below(pool.len()));
        // Either side may be the receiver.
        let merged = if rng.below(2) == 0 {
            b.merge(&a);
            b
        } else {
            let mut a = a;
            a.merge(&b);
            a
        };
        pool.push(merged);
    }
    pool.pop().unwrap()
}

fn assert_vec_tight(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: length");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            close(*x, *y, TIGHT, 1e-14),
            "{what}[{i}]: partial {x} vs rows {y}"
        );
    }
}

fn assert_curves_tight(p: &[KmCurve], r: &[KmCurve], what: &str) {
    assert_eq!(p.len(), r.len(), "{what}: number of curves");
    for (g, (a, b)) in p.iter().zip(r).enumerate() {
        let w = format!("{what} curve {g}");
        assert_eq!(a.n, b.n, "{w}: n");
        assert_eq!(a.robust, b.robust, "{w}: robust");
        assert_eq!(a.time, b.time, "{w}: time");
        assert_vec_tight(&a.n_risk, &b.n_risk, &format!("{w}: n_risk"));
        assert_vec_tight(&a.n_event, &b.n_event, &format!("{w}: n_event"));
        assert_vec_tight(&a.n_censor, &b.n_censor, &format!("{w}: n_censor"));
        assert_vec_tight(&a.survival, &b.survival, &format!("{w}: survival"));
        assert_vec_tight(&a.std_err, &b.std_err, &format!("{w}: std_err"));
        assert_vec_tight(&a.lower, &b.lower, &format!("{w}: lower"));
        assert_vec_tight(&a.upper, &b.upper, &format!("{w}: upper"));
        if !a.is_empty() {
            assert_eq!(a.median(), b.median(), "{w}: median");
        }
    }
}

fn assert_tests_tight(p: &LogrankTest, r: &LogrankTest, what: &str) {
    assert_eq!(p.n, r.n, "{what}: n");
    assert_eq!(p.events, r.events, "{what}: events");
    assert_eq!(p.df, r.df, "{what}: df");
    assert_vec_tight(&p.observed, &r.observed, &format!("{what}: observed"));
    assert_vec_tight(&p.expected, &r.expected, &format!("{what}: expected"));
    assert_eq!(p.observed_by_stratum.len(), r.observed_by_stratum.len());
    for (s, (a, b)) in p
        .expected_by_stratum
        .iter()
        .zip(&r.expected_by_stratum)
        .enumerate()
    {
        assert_vec_tight(a, b, &format!("{what}: expected stratum {s}"));
    }
    for (g, (a, b)) in p.variance.iter().zip(&r.variance).enumerate() {
        assert_vec_tight(a, b, &format!("{what}: var row {g}"));
    }
    assert_vec_tight(
        &[p.chisq, p.p],
        &[r.chisq, r.p],
        &format!("{what}: chisq, p"),
    );
}

const ALL_WEIGHTS: [Weights; 6] = [
    Weights::LogRank,
    Weights::FlemingHarrington {
        rho: 1.0,
        gamma: 0.0,
    },
    Weights::FlemingHarrington {
        rho: 0.5,
        gamma: 2.0,
    },
    Weights::FlemingHarrington {
        rho: 0.0,
        gamma: 1.0,
    },
    Weights::GehanBreslow,
    Weights::TaroneWare,
];

// ---------------------------------------------------------------- Sum2

#[test]
fn sum2_gives_the_exact_sum_in_any_order_of_adds_and_merges() {
    let mut rng = Rng(7);
    for case in 0..20 {
        let n = 200 + rng.below(800);
        let positive_only = case % 4 == 0;
        let values: Vec<f64> = (0..n)
            .map(|_| {
                let m = 10f64.powf(-8.0 + 16.0 * rng.unit());
                if positive_only || rng.below(2) == 0 {
                    m
                } else {
                    -m
                }
            })
            .collect();
        // Exact reference: every value >= 1e-8 > 2^-27 is a multiple of
        // 2^-80 and below 2^27, so the sum is exact in i128 at scale 2^80.
        let scale = 2f64.powi(80);
        let exact_fixed: i128 = values.iter().map(|&v| (v * scale) as i128).sum();
        let exact = exact_fixed as f64 / scale;
        for _ in 0..10 {
            let mut order = values.clone();
            rng.shuffle(&mut order);
            let k = 1 + rng.below(6);
            let mut parts = vec![Sum2::default(); k];
            for v in &order {
                let i = rng.below(k);
                parts[i].add(*v);
            }
            while parts.len() > 1 {
                let a = parts.swap_remove(rng.below(parts.len()));
                let i = rng.below(parts.len());
                parts[i].merge(&a);
            }
            let got = parts[0].value();
            assert!(
                (got - exact).abs() <= 1e-15 * exact.abs(),
                "case {case}: {got} vs exact {exact}"
            );
        }
        // Plain f64 summation in a shuffled order is not this stable in
        // general; Sum2 of the sorted values gives the same double too.
        let mut sorted = values.clone();
        sorted.sort_by(f64::total_cmp);
        let mut s = Sum2::default();
        sorted.iter().for_each(|&v| s.add(v));
        assert!((s.value() - exact).abs() <= 1e-15 * exact.abs());
    }
}

// ---------------------------------------------------------------- random data

/// Random survival data: day-like times with many ties, some near-equal
/// times that timefix merges, events of causes 1–2, optional weights.
fn random_data(
    rng: &mut Rng,
    n: usize,
    n_groups: u32,
    n_strata: u32,
    weighted: Option<bool>,
) -> Data {
    let mut d = Data::default();
    for _ in 0..n {
        let mut t = (1 + rng.below(40)) as f64;
        if rng.below(10) == 0 {
            t += 1e-10; // within sqrt(eps) of t: one time after timefix
        }
        if rng.below(50) == 0 {
            t = 0.0;
        }
        d.time.push(t);
        d.cause.push(match rng.below(10) {
            0..=4 => 0,
            5..=8 => 1,
            _ => 2,
        });
        d.group.push(rng.below(n_groups as usize) as u32);
        d.stratum.push(rng.below(n_strata as usize) as u32);
    }
    d.weights = weighted.map(|fractional| {
        (0..n)
            .map(|_| match (fractional, rng.below(6)) {
                (_, 0) => 0.0,
                (true, _) => 0.25 + 3.0 * rng.unit(),
                (false, k) => k as f64,
            })
            .collect()
    });
    d
}

fn km_rows(d: &Data, n_groups: u32, options: &KmOptions) -> Result<Vec<KmCurve>, KmError> {
    km_by_group(
        &d.time,
        &d.events(),
        d.weights.as_deref(),
        &d.group,
        n_groups as usize,
        options,
    )
}

fn logrank_rows(d: &Data, weights: Weights, strata: bool) -> Result<LogrankTest, LogrankError> {
    let group: Vec<usize> = d.group.iter().map(|&g| g as usize).collect();
    let stratum: Vec<usize> = d.stratum.iter().map(|&s| s as usize).collect();
    logrank(
        &d.time,
        &d.events(),
        &group,
        strata.then_some(&stratum[..]),
        weights,
    )
}

#[test]
fn random_splits_equal_the_pooled_rows() {
    let mut rng = Rng(2026);
    for case in 0..24 {
        let n_groups = 1 + (case % 4) as u32;
        let weighted = [None, Some(false), Some(true)][case % 3];
        let n = [1, 2, 5, 30, 200, 800][case % 6];
        let mut d = random_data(&mut rng, n, n_groups, 1, weighted);
        if case % 5 == 1 {
            d.cause.iter_mut().for_each(|c| *c = 0); // all censored
        }
        let whole = SurvivalCounts::from_rows(&d.rows(), n_groups, 1).unwrap();
        for options in [
            KmOptions::default(),
            KmOptions {
                timefix: false,
                conf_type: ConfType::LogLog,
                variance: Variance::Robust,
                ..KmOptions::default()
            },
        ] {
            let rows = km_rows(&d, n_groups, &options).unwrap();
            for k in 2..=5 {
                let merged = split_and_merge(&d, k, n_groups, 1, &mut rng);
                assert_eq!(merged.n_groups(), n_groups);
                assert_eq!(merged.fractional_weights(), weighted == Some(true));
                assert_same_cells(&merged, &whole, &format!("case {case} k {k}"));
                let what = format!("case {case} k {k} {options:?}");
                assert_curves_tight(&merged.km_curves(&options).unwrap(), &rows, &what);
            }
        }
        for w in ALL_WEIGHTS {
            let rows = logrank_rows(&d, w, false);
            let merged = split_and_merge(&d, 2 + case % 4, n_groups, 1, &mut rng);
            match (merged.logrank(w), rows) {
                (Ok(p), Ok(r)) => {
                    assert_tests_tight(&p, &r, &format!("case {case} {}", w.name()));
                    if let Ok(trend_r) = r.trend(&[1.0, 2.0, 4.0, 5.0][..r.n.len()]) {
                        let trend_p = p.trend(&[1.0, 2.0, 4.0, 5.0][..p.n.len()]).unwrap();
                        assert_vec_tight(&[trend_p.chisq], &[trend_r.chisq], "trend");
                    }
                }
                (p, r) => assert_eq!(p.unwrap_err(), r.unwrap_err(), "case {case}"),
            }
        }
    }
}

/// Cells equal key by key: counts exactly, sums to 1e-15 (exactly for
/// integer weights).
fn assert_same_cells(a: &SurvivalCounts, b: &SurvivalCounts, what: &str) {
    assert_eq!(a.cells().len(), b.cells().len(), "{what}: cells");
    for (x, y) in a.cells().iter().zip(b.cells()) {
        assert_eq!(x.key(), y.key(), "{what}");
        assert_eq!((x.rows, x.event_rows), (y.rows, y.event_rows), "{what}");
        let sums = |c: &Cell| [c.w_event, c.w_censor, c.w2_event, c.w2_censor].map(|s| s.value());
        for (s, t) in sums(x).iter().zip(sums(y)) {
            assert!(close(*s, t, 1e-15, 0.0), "{what}: {s} vs {t}");
        }
        let (cx, cy) = (x.cause_sums(), y.cause_sums());
        assert_eq!(cx.len(), cy.len(), "{what}: causes");
        for (p, q) in cx.iter().zip(&cy) {
            assert_eq!((p.cause, p.rows), (q.cause, q.rows), "{what}");
            assert!(close(p.weight.value(), q.weight.value(), 1e-15, 0.0));
        }
    }
}

#[test]
fn strata_split_and_merge_equal_stratified_rows() {
    let mut rng = Rng(99);
    for case in 0..8 {
        let d = random_data(&mut rng, 300, 3, 1 + (case % 3) as u32, None);
        let n_strata = 1 + (case % 3) as u32;
        let merged = split_and_merge(&d, 2 + case % 4, 3, n_strata, &mut rng);
        for w in ALL_WEIGHTS {
            let p = merged.logrank(w).unwrap();
            let r = logrank_rows(&d, w, true).unwrap();
            assert_tests_tight(&p, &r, &format!("case {case} {}", w.name()));
        }
        // Curves per (stratum, group): with timefix off these are the
        // curves of each stratum's rows alone.
        let options = KmOptions {
            timefix: false,
            ..KmOptions::default()
        };
        let curves = merged.km_curves(&options).unwrap();
        assert_eq!(curves.len(), 3 * n_strata as usize);
        for s in 0..n_strata {
            let idx: Vec<usize> = (0..d.time.len()).filter(|&i| d.stratum[i] == s).collect();
            let rows = km_rows(&d.subset(&idx), 3, &options).unwrap();
            let from = 3 * s as usize;
            assert_curves_tight(
                &curves[from..from + 3],
                &rows,
                &format!("case {case} stratum {s}"),
            );
        }
    }
}

#[test]
fn timefix_merges_near_equal_times_that_come_from_different_parts() {
    // 1 and 1 + 1e-10 (and 2, 2 + 1e-12) arrive from different sites: a
    // node alone cannot know they are one time; the merged evaluation does.
    let site_a = Data {
        time: vec![1.0, 2.0, 3.0, 5.0],
        cause: vec![1, 0, 1, 0],
        weights: None,
        group: vec![0, 1, 0, 1],
        stratum: vec![0; 4],
    };
    let site_b = Data {
        time: vec![1.0 + 1e-10, 2.0 + 1e-12, 4.0, 4.0],
        cause: vec![1, 1, 0, 1],
        weights: None,
        group: vec![1, 0, 1, 0],
        stratum: vec![0; 4],
    };
    let mut merged = SurvivalCounts::from_rows(&site_a.rows(), 2, 1).unwrap();
    merged.merge(&SurvivalCounts::from_rows(&site_b.rows(), 2, 1).unwrap());
    let mut pooled = site_a.clone();
    for i in 0..4 {
        pooled.time.push(site_b.time[i]);
        pooled.cause.push(site_b.cause[i]);
        pooled.group.push(site_b.group[i]);
        pooled.stratum.push(0);
    }
    let o = KmOptions::default();
    let curves = merged.km_curves(&o).unwrap();
    assert_curves_tight(&curves, &km_rows(&pooled, 2, &o).unwrap(), "timefix");
    // Group 1 has rows at 1 + 1e-10 (merged into 1), 2, 4 and 5; group 0
    // at 1, 2 + 1e-12 (merged into 2), 3 and 4.
    assert_eq!(curves[1].time, vec![1.0, 2.0, 4.0, 5.0]);
    assert_eq!(curves[0].time, vec![1.0, 2.0, 3.0, 4.0]);
    for w in ALL_WEIGHTS {
        assert_tests_tight(
            &merged.logrank(w).unwrap(),
            &logrank_rows(&pooled, w, false).unwrap(),
            "timefix logrank",
        );
    }
    // Without timefix the two times stay apart.
    let off = KmOptions {
        timefix: false,
        ..o
    };
    let apart = merged.km_curves(&off).unwrap();
    assert_eq!(apart[1].time[0], 1.0 + 1e-10);
    assert_eq!(apart[0].time[1], 2.0 + 1e-12);
}

// ---------------------------------------------------------------- edges

#[test]
fn empty_and_censoring_only_parts() {
    let d = Data {
        time: vec![3.0, 1.0, 2.0, 2.0, 5.0],
        cause: vec![1, 0, 1, 0, 1],
        weights: Some(vec![1.0, 2.0, 0.5, 1.0, 0.0]),
        group: vec![0, 1, 1, 0, 1],
        stratum: vec![0; 5],
    };
    let whole = SurvivalCounts::from_rows(&d.rows(), 2, 1).unwrap();
    let empty = SurvivalCounts::new(2, 1).unwrap();
    let none = SurvivalCounts::from_rows(&d.subset(&[]).rows(), 2, 1).unwrap();
    assert!(empty.is_empty() && none.is_empty());
    assert_eq!(none, empty);
    let mut left = empty.clone();
    left.merge(&whole);
    let mut right = whole.clone();
    right.merge(&none);
    assert_eq!(left, whole);
    assert_eq!(right, whole);
    // A part with only censorings.
    let censored = d.subset(&[1, 3]);
    let events = d.subset(&[0, 2, 4]);
    let mut m = SurvivalCounts::from_rows(&censored.rows(), 2, 1).unwrap();
    assert!(m.cells().iter().all(|c| c.event_rows == 0));
    m.update(&events.rows()).unwrap();
    assert_same_cells(&m, &whole, "censored part");
    let o = KmOptions::default();
    assert_curves_tight(
        &m.km_curves(&o).unwrap(),
        &km_rows(&d, 2, &o).unwrap(),
        "censored part",
    );
    assert!(
        m.km_curves(&o).unwrap()[0].robust,
        "0.5 is a fractional weight"
    );
    // Evaluating nothing is the row path's error.
    assert_eq!(empty.km_curves(&o).unwrap_err(), KmError::Empty);
    assert_eq!(
        empty.logrank(Weights::LogRank).unwrap_err(),
        LogrankError::Empty
    );
    let only_censored = SurvivalCounts::from_rows(&censored.rows(), 2, 1).unwrap();
    assert_eq!(
        only_censored.logrank(Weights::LogRank).unwrap_err(),
        LogrankError::NoEvents
    );
}

#[test]
fn declared_groups_give_empty_curves_and_merge_by_max() {
    let d = Data {
        time: vec![1.0, 2.0],
        cause: vec![1, 0],
        weights: None,
        group: vec![0, 0],
        stratum: vec![0, 0],
    };
    let mut a = SurvivalCounts::from_rows(&d.rows(), 1, 1).unwrap();
    let b = SurvivalCounts::new(3, 2).unwrap();
    a.merge(&b);
    assert_eq!((a.n_groups(), a.n_strata()), (3, 2));
    let curves = a.km_curves(&KmOptions::default()).unwrap();
    assert_eq!(curves.len(), 6);
    assert_eq!(curves[0].n, 2);
    assert!(curves[1..].iter().all(KmCurve::is_empty));
    assert_eq!(
        a.logrank(Weights::LogRank).unwrap_err(),
        LogrankError::OnlyOneGroup
    );
}

#[test]
fn bad_rows_and_bad_parts_are_errors() {
    let t = [1.0, 2.0];
    let ok = Rows {
        time: &t,
        cause: &[1, 0],
        weights: None,
        group: None,
        stratum: None,
    };
    assert!(SurvivalCounts::from_rows(&ok, 1, 1).is_ok());
    let err = |rows: Rows<'_>, g: u32, s: u32| SurvivalCounts::from_rows(&rows, g, s).unwrap_err();
    assert!(matches!(
        err(Rows { cause: &[1], ..ok }, 1, 1),
        PartialError::LengthMismatch { what: "cause", .. }
    ));
    assert!(matches!(
        err(
            Rows {
                time: &[1.0, -1.0],
                ..ok
            },
            1,
            1
        ),
        PartialError::InvalidTime { row: 1, .. }
    ));
    assert!(matches!(
        err(
            Rows {
                time: &[f64::NAN, 1.0],
                ..ok
            },
            1,
            1
        ),
        PartialError::InvalidTime { row: 0, .. }
    ));
    assert!(matches!(
        err(
            Rows {
                weights: Some(&[1.0, f64::INFINITY]),
                ..ok
            },
            1,
            1
        ),
        PartialError::InvalidWeight { row: 1, .. }
    ));
    assert!(matches!(
        err(
            Rows {
                group: Some(&[0, 2]),
                ..ok
            },
            2,
            1
        ),
        PartialError::GroupOutOfRange { row: 1, .. }
    ));
    assert!(matches!(
        err(
            Rows {
                stratum: Some(&[1, 0]),
                ..ok
            },
            1,
            1
        ),
        PartialError::StratumOutOfRange { row: 0, .. }
    ));
    assert!(matches!(
        err(ok, 0, 1),
        PartialError::InvalidCount {
            what: "n_groups",
            ..
        }
    ));

    // Parts: a round trip is lossless; broken invariants are refused.
    let good = SurvivalCounts::from_rows(&ok, 1, 1).unwrap();
    let rebuilt = SurvivalCounts::from_parts(good.cells().to_vec(), 1, 1, false).unwrap();
    assert_eq!(rebuilt, good);
    let mut unsorted = good.cells().to_vec();
    unsorted.reverse();
    assert!(matches!(
        SurvivalCounts::from_parts(unsorted, 1, 1, false),
        Err(PartialError::InvalidCell { index: 1, .. })
    ));
    let mut c = good.cells()[0].clone();
    c.event_rows = 5;
    assert!(SurvivalCounts::from_parts(vec![c], 1, 1, false).is_err());
    let mut c = good.cells()[0].clone();
    c.time_bits = f64::NAN.to_bits();
    assert!(SurvivalCounts::from_parts(vec![c], 1, 1, false).is_err());
    let mut c = good.cells()[0].clone();
    c.group = 1;
    assert!(SurvivalCounts::from_parts(vec![c], 1, 1, false).is_err());
    let mut c = good.cells()[0].clone();
    c.w_event = Sum2::of(-1.0);
    assert!(SurvivalCounts::from_parts(vec![c], 1, 1, false).is_err());
}

// ---------------------------------------------------------------- R fixtures

fn km_fixtures() -> Vec<(String, Value)> {
    let dir = common::fixture_path("km");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    assert!(names.len() >= 30, "expected the full fixture set");
    names
        .into_iter()
        .map(|n| {
            let v = fixture(&format!("km/{n}"));
            (n, v)
        })
        .collect()
}

#[test]
fn km_fixtures_from_merged_parts_equal_r_and_the_rows() {
    let mut rng = Rng(11);
    for (name, fx) in km_fixtures() {
        let input = &fx["input"];
        let time = f64s(&input["time"]);
        let n = time.len();
        let event: Vec<bool> = match &input["event"] {
            Value::Array(a) => a.iter().map(|x| x.as_bool().unwrap()).collect(),
            Value::Bool(b) => vec![*b],
            other => panic!("{other}"),
        };
        let (group, n_groups) = if input["group"].is_null() {
            (vec![0u32; n], 1)
        } else {
            let levels = input["levels"].as_array().map_or(1, Vec::len);
            (
                f64s(&input["group"]).iter().map(|&g| g as u32).collect(),
                levels as u32,
            )
        };
        let d = Data {
            time,
            cause: event.iter().map(|&e| u32::from(e)).collect(),
            weights: (!input["weights"].is_null()).then(|| f64s(&input["weights"])),
            group,
            stratum: vec![0; n],
        };
        let opts = &fx["options"];
        let options = KmOptions {
            conf_type: opts["conf_type"].as_str().unwrap().parse().unwrap(),
            conf_level: opts["conf_level"].as_f64().unwrap(),
            timefix: opts["timefix"].as_bool().unwrap(),
            variance: Variance::Auto,
        };
        let rows = km_rows(&d, n_groups, &options).unwrap();
        let merged = split_and_merge(&d, 2 + rng.below(4), n_groups, 1, &mut rng);
        let curves = merged.km_curves(&options).unwrap();
        assert_curves_tight(&curves, &rows, &name);
        // Against R, as tests/r_km.rs.
        let expected = fx["curves"].as_array().unwrap();
        let nonempty: Vec<&KmCurve> = curves.iter().filter(|c| !c.is_empty()).collect();
        assert_eq!(nonempty.len(), expected.len(), "{name}: curves");
        for (c, e) in nonempty.into_iter().zip(expected) {
            let what = format!("{name} [{}]", e["group"]);
            assert_eq!(c.n as u64, e["n"].as_u64().unwrap(), "{what}: n");
            assert_close(c.events(), &e["events"], &format!("{what}: events"));
            assert_eq!(c.robust, e["robust"].as_bool().unwrap(), "{what}: robust");
            let s = &e["steps"];
            assert_all_close(&c.time, &s["time"], &format!("{what}: time"));
            assert_all_close(&c.n_risk, &s["n_risk"], &format!("{what}: n_risk"));
            assert_all_close(&c.n_event, &s["n_event"], &format!("{what}: n_event"));
            assert_all_close(&c.n_censor, &s["n_censor"], &format!("{what}: n_censor"));
            assert_all_close(&c.survival, &s["survival"], &format!("{what}: survival"));
            assert_all_close(&c.std_err, &s["std_err"], &format!("{what}: std_err"));
            assert_all_close(&c.lower, &s["lower"], &format!("{what}: lower"));
            assert_all_close(&c.upper, &s["upper"], &format!("{what}: upper"));
        }
    }
}

#[test]
fn logrank_fixtures_from_merged_parts_equal_r_and_the_rows() {
    let dir = common::fixture_path("logrank");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .filter(|f| f != "p_adjust")
        .collect();
    names.sort();
    assert!(names.len() >= 25, "expected the full fixture set");
    let mut rng = Rng(5);
    for name in names {
        let fx = fixture(&format!("logrank/{name}.json"));
        let time = f64s(&fx["time"]);
        let n = time.len();
        let strata = !fx["strata"].is_null();
        let d = Data {
            time,
            cause: f64s(&fx["status"])
                .iter()
                .map(|&s| u32::from(s == 1.0))
                .collect(),
            weights: None,
            // R's factor codes are 1-based.
            group: f64s(&fx["group"]).iter().map(|&g| g as u32 - 1).collect(),
            stratum: if strata {
                f64s(&fx["strata"]).iter().map(|&s| s as u32 - 1).collect()
            } else {
                vec![0; n]
            },
        };
        let k = fx["levels"].as_array().unwrap().len() as u32;
        let n_strata = d.stratum.iter().max().unwrap() + 1;
        let merged = split_and_merge(&d, 2 + rng.below(4), k, n_strata, &mut rng);
        let scores = f64s(&fx["scores"]);
        for test in fx["tests"].as_array().unwrap() {
            let rho = test["rho"].as_f64().unwrap();
            let gamma = test["gamma"].as_f64().unwrap();
            let w = match test["weights"].as_str().unwrap() {
                "logrank" => Weights::LogRank,
                "fleming-harrington" => Weights::FlemingHarrington { rho, gamma },
                "gehan-breslow" => Weights::GehanBreslow,
                "tarone-ware" => Weights::TaroneWare,
                other => panic!("unknown weights {other}"),
            };
            let what = format!("{name} {}", w.name());
            let t = merged.logrank(w).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_tests_tight(&t, &logrank_rows(&d, w, strata).unwrap(), &what);
            let usizes =
                |v: &Value| -> Vec<usize> { f64s(v).iter().map(|&x| x as usize).collect() };
            assert_eq!(t.n, usizes(&test["n"]), "{what}: n");
            assert_eq!(t.events, usizes(&test["events"]), "{what}: events");
            assert_all_close(&t.observed, &test["observed"], &format!("{what}: observed"));
            assert_all_close(&t.expected, &test["expected"], &format!("{what}: expected"));
            for (g, row) in test["var"].as_array().unwrap().iter().enumerate() {
                assert_all_close(&t.variance[g], row, &format!("{what}: var row {g}"));
            }
            assert_close(t.chisq, &test["chisq"], &format!("{what}: chisq"));
            assert_eq!(t.df as f64, test["df"].as_f64().unwrap(), "{what}: df");
            assert_close(t.p, &test["p"], &format!("{what}: p"));
            if let Ok(trend) = t.trend(&scores) {
                assert_close(
                    trend.chisq,
                    &test["trend"]["chisq"],
                    &format!("{what}: trend"),
                );
            }
        }
    }
}

#[test]
fn many_groups_or_causes_tabulate_as_few() {
    // Beyond 2^16 (stratum, group) combinations or causes the rows are
    // tabulated by sorting each run instead of through the dense table; the
    // cells must be the same.
    let mut rng = Rng(3);
    let mut d = random_data(&mut rng, 500, 3, 2, Some(true));
    let few = SurvivalCounts::from_rows(&d.rows(), 3, 2).unwrap();
    let many_groups = SurvivalCounts::from_rows(&d.rows(), 1 << 17, 2).unwrap();
    assert_same_cells(&many_groups, &few, "many groups");
    assert!(
        few.cells().iter().any(|c| !c.causes.is_empty()),
        "cause 2 occurs"
    );
    // Cause 2 renamed 70000: same cells, with that cause code.
    d.cause
        .iter_mut()
        .filter(|c| **c == 2)
        .for_each(|c| *c = 70_000);
    let big_cause = SurvivalCounts::from_rows(&d.rows(), 3, 2).unwrap();
    assert_eq!(big_cause.cells().len(), few.cells().len());
    for (a, b) in big_cause.cells().iter().zip(few.cells()) {
        assert_eq!(
            (a.key(), a.rows, a.event_rows),
            (b.key(), b.rows, b.event_rows)
        );
        assert_eq!(a.w_event, b.w_event);
        let causes: Vec<u32> = a.cause_sums().iter().map(|c| c.cause).collect();
        let expect: Vec<u32> = b
            .cause_sums()
            .iter()
            .map(|c| if c.cause == 2 { 70_000 } else { c.cause })
            .collect();
        assert_eq!(causes, expect);
    }
}

// ---------------------------------------------------------------- cuminc

fn opt_tight(a: Option<f64>, b: Option<f64>, what: &str) {
    match (a, b) {
        (None, None) => {}
        (Some(x), Some(y)) => assert_vec_tight(&[x], &[y], what),
        _ => panic!("{what}: partial {a:?} vs rows {b:?}"),
    }
}

fn assert_cuminc_tight(p: &CumInc, r: &CumInc, what: &str) {
    assert_eq!(p.cause, r.cause, "{what}: cause");
    assert_eq!(p.curves.len(), r.curves.len(), "{what}: curves");
    for (a, b) in p.curves.iter().zip(&r.curves) {
        let w = format!("{what} group {}", b.group);
        assert_eq!(
            (a.group, a.n, a.events, a.competing, a.last_time),
            (b.group, b.n, b.events, b.competing, b.last_time),
            "{w}"
        );
        assert_eq!(a.steps.len(), b.steps.len(), "{w}: steps");
        for (x, y) in a.steps.iter().zip(&b.steps) {
            assert_eq!(x.time, y.time, "{w}");
            assert_vec_tight(&[x.estimate, x.variance], &[y.estimate, y.variance], &w);
            opt_tight(x.lower, y.lower, &w);
            opt_tight(x.upper, y.upper, &w);
        }
        for (x, y) in a.at_times.iter().zip(&b.at_times) {
            opt_tight(x.estimate, y.estimate, &w);
            opt_tight(x.variance, y.variance, &w);
            opt_tight(x.lower, y.lower, &w);
        }
    }
    match (&p.gray, &r.gray) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            assert_eq!((a.df, a.rank), (b.df, b.rank), "{what}: Gray df, rank");
            assert_vec_tight(&a.score, &b.score, &format!("{what}: Gray score"));
            assert_vec_tight(&a.variance, &b.variance, &format!("{what}: Gray var"));
            opt_tight(a.statistic, b.statistic, &format!("{what}: Gray statistic"));
            opt_tight(a.p, b.p, &format!("{what}: Gray p"));
        }
        _ => panic!("{what}: Gray test on one side only"),
    }
}

fn cuminc_rows(d: &Data, cause: u32, options: &CumIncOptions) -> Result<CumInc, CumIncError> {
    let group: Vec<usize> = d.group.iter().map(|&g| g as usize).collect();
    let stratum: Vec<usize> = d.stratum.iter().map(|&s| s as usize).collect();
    cuminc(
        &d.time,
        &d.cause,
        Some(&group),
        Some(&stratum),
        cause,
        options,
    )
}

#[test]
fn cuminc_fixtures_from_merged_parts_equal_r_and_the_rows() {
    let dir = common::fixture_path("cuminc");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|f| f.strip_suffix(".json").map(str::to_string))
        .collect();
    names.sort();
    assert!(names.len() >= 19, "expected the full fixture set");
    let mut rng = Rng(17);
    for name in names {
        let fx = fixture(&format!("cuminc/{name}.json"));
        if !fx["r_error"].is_null() {
            continue; // an R error case without cmprsk output (all censored: below)
        }
        let input = &fx["input"];
        let time = f64s(&input["time"]);
        let n = time.len();
        let d = Data {
            time,
            cause: f64s(&input["status_code"])
                .iter()
                .map(|&x| x as u32)
                .collect(),
            weights: None,
            group: if input["group"].is_null() {
                vec![0; n]
            } else {
                f64s(&input["group_index"])
                    .iter()
                    .map(|&x| x as u32)
                    .collect()
            },
            stratum: f64s(&input["strata_index"])
                .iter()
                .map(|&x| x as u32)
                .collect(),
        };
        let n_groups = d.group.iter().max().unwrap() + 1;
        let n_strata = d.stratum.iter().max().unwrap() + 1;
        let merged = split_and_merge(&d, 2 + rng.below(4), n_groups, n_strata, &mut rng);
        let options = CumIncOptions {
            rho: input["rho"].as_f64().unwrap(),
            conf_level: input["conf_level"].as_f64().unwrap(),
            times: f64s(&input["times"]),
        };
        let n_causes = fx["causes"].as_array().unwrap().len() as u32;
        for cause in 1..=n_causes {
            let what = format!("{name} cause {cause}");
            let p = merged
                .cuminc(cause, &options)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_cuminc_tight(&p, &cuminc_rows(&d, cause, &options).unwrap(), &what);
            // Against cmprsk, as tests/r_cuminc.rs: each curve's path.
            let expected: Vec<&Value> = fx["curves"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| c["cause_index"].as_u64() == Some(u64::from(cause)))
                .collect();
            assert_eq!(p.curves.len(), expected.len(), "{what}: groups");
            for (curve, want) in p.curves.iter().zip(&expected) {
                assert_eq!(curve.n as u64, want["n"].as_u64().unwrap(), "{what}: n");
                let path = curve.cmprsk_layout();
                assert_all_close(&path.time, &want["time"], &format!("{what} time"));
                assert_all_close(&path.est, &want["est"], &format!("{what} est"));
                assert_all_close(&path.var, &want["var"], &format!("{what} var"));
            }
            if let (Some(gray), false) = (&p.gray, fx["tests"].is_null()) {
                let want = &fx["tests"][(cause - 1) as usize];
                assert_all_close(&gray.score, &want["score"], &format!("{what} Gray score"));
                if let Some(stat) = gray.statistic {
                    assert_close(stat, &want["stat"], &format!("{what} Gray stat"));
                }
            }
        }
    }
}

#[test]
fn cuminc_random_splits_equal_the_pooled_rows() {
    let mut rng = Rng(41);
    for case in 0..12 {
        let n_groups = 1 + (case % 3) as u32;
        let n_strata = 1 + (case % 2) as u32;
        let d = random_data(&mut rng, [5, 40, 300][case % 3], n_groups, n_strata, None);
        let options = CumIncOptions {
            rho: [0.0, 1.0, -0.5][case % 3],
            conf_level: 0.95,
            times: vec![0.0, 3.5, 20.0, 41.0],
        };
        let merged = split_and_merge(&d, 2 + case % 4, n_groups, n_strata, &mut rng);
        for cause in 0..=3 {
            let what = format!("case {case} cause {cause}");
            match (
                merged.cuminc(cause, &options),
                cuminc_rows(&d, cause, &options),
            ) {
                (Ok(p), Ok(r)) => assert_cuminc_tight(&p, &r, &what),
                (p, r) => assert_eq!(p.unwrap_err(), r.unwrap_err(), "{what}"),
            }
        }
    }
    let empty = SurvivalCounts::new(2, 1).unwrap();
    assert_eq!(
        empty.cuminc(1, &CumIncOptions::default()).unwrap_err(),
        CumIncError::Empty
    );
    // All censored (R's cuminc stops): no cause to analyse, on both paths.
    let mut d = random_data(&mut rng, 20, 2, 1, None);
    d.cause.iter_mut().for_each(|c| *c = 0);
    let p = SurvivalCounts::from_rows(&d.rows(), 2, 1).unwrap();
    let o = CumIncOptions::default();
    let r = cuminc_rows(&d, 1, &o).unwrap_err();
    assert!(matches!(r, CumIncError::CauseAbsent { .. }));
    assert_eq!(p.cuminc(1, &o).unwrap_err(), r);
}

#[test]
fn parts_round_trip_with_causes_and_flags() {
    let mut rng = Rng(23);
    let d = random_data(&mut rng, 200, 2, 2, Some(true));
    let p = SurvivalCounts::from_rows(&d.rows(), 2, 2).unwrap();
    assert!(p.fractional_weights());
    let cells = p.cells().to_vec();
    assert!(cells.iter().any(|c| !c.causes.is_empty()));
    // Every sum through its two doubles, as a serialiser would.
    let through_parts: Vec<Cell> = cells
        .iter()
        .map(|c| {
            let mut c = c.clone();
            for s in [
                &mut c.w_event,
                &mut c.w_censor,
                &mut c.w2_event,
                &mut c.w2_censor,
            ] {
                let (hi, lo) = s.parts();
                *s = Sum2::from_parts(hi, lo);
            }
            c
        })
        .collect();
    let back = SurvivalCounts::from_parts(through_parts, 2, 2, true).unwrap();
    assert_eq!(back, p);
    assert_eq!(back.clone().into_cells(), cells);
    // An explicit list holding only cause 1 is accepted and made implicit.
    let mut c = cells
        .iter()
        .find(|c| c.causes.is_empty() && c.event_rows > 0)
        .unwrap()
        .clone();
    c.causes = c.cause_sums();
    let canonical = SurvivalCounts::from_parts(vec![c.clone()], 2, 2, true).unwrap();
    assert!(canonical.cells()[0].causes.is_empty());
    // Causes that do not add up to the events are refused.
    c.causes[0].rows += 1;
    c.causes.push(netra_stats::partial::CauseSum {
        cause: 2,
        rows: 0,
        weight: Sum2::ZERO,
    });
    assert!(SurvivalCounts::from_parts(vec![c], 2, 2, true).is_err());
}
