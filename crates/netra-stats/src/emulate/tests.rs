use super::*;

fn trial() -> Trial {
    // Four patients; strategy 0 "A", strategy 1 "B". Patient 0 starts A at
    // 0.5, patient 1 starts B at 0.5, patient 2 dies at 0.3 before any
    // start (in both arms), patient 3 starts A at 1.5 and deviates at 4.
    Trial {
        time: vec![5.0, 3.0, 0.3, 6.0],
        event: vec![true, true, true, false],
        baseline: vec![vec![0.1, 1.2, -0.3, 0.4]],
        baseline_names: vec!["x".into()],
        time_varying: Vec::new(),
        strategies: vec![
            StrategyData {
                name: "A".into(),
                deviation: vec![None, Some(0.5), None, Some(4.0)],
                windows: vec![
                    vec![[0.0, 0.5]],
                    vec![[0.0, 0.5]],
                    vec![[0.0, 0.3]],
                    vec![[0.0, 1.5], [3.5, 4.0]],
                ],
            },
            StrategyData {
                name: "B".into(),
                deviation: vec![Some(0.5), None, None, Some(1.5)],
                windows: vec![
                    vec![[0.0, 0.5]],
                    vec![[0.0, 0.5]],
                    vec![[0.0, 0.3]],
                    vec![[0.0, 1.5]],
                ],
            },
        ],
    }
}

#[test]
fn clones_are_censored_at_deviation_and_split_on_the_grid() {
    let t = trial();
    let mut rows = Vec::new();
    split::clone_rows(&t, &t.strategies[0], 0, 1.0, &mut rows).unwrap();
    // Patient 0: 5 rows to 5; patient 1: one row censored at 0.5;
    // patient 2: one row, death at 0.3; patient 3: 4 rows, censored at 4.
    let of = |p: usize| rows.iter().filter(|r| r.patient == p).collect::<Vec<_>>();
    assert_eq!(of(0).len(), 5);
    assert!(of(0)[4].event && of(0)[4].stop == 5.0);
    assert_eq!(of(1).len(), 1);
    assert!(of(1)[0].deviated && !of(1)[0].event && of(1)[0].stop == 0.5);
    assert!(of(2)[0].event && of(2)[0].stop == 0.3);
    let p3 = of(3);
    assert_eq!(p3.len(), 4);
    assert!(p3[3].deviated && !p3[3].event && p3[3].stop == 4.0);
    // At risk: (0,1] and (1,2] meet [0, 1.5]; (3,4] meets [3.5, 4]; (2,3] none.
    assert_eq!(
        p3.iter().map(|r| r.at_risk).collect::<Vec<_>>(),
        vec![true, true, false, true]
    );
}

#[test]
fn incompatible_patients_get_no_clone() {
    let mut t = trial();
    t.strategies[1].deviation[0] = Some(0.0);
    let mut rows = Vec::new();
    split::clone_rows(&t, &t.strategies[1], 1, 1.0, &mut rows).unwrap();
    assert!(rows.iter().all(|r| r.patient != 0));
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let mut t = trial();
    t.time[1] = f64::NAN;
    assert!(emulate(&t, &EmulateOptions::default()).is_err());
    let mut t = trial();
    t.strategies.pop();
    assert!(matches!(
        emulate(&t, &EmulateOptions::default()),
        Err(EmulateError::Shape(_))
    ));
    let t = trial();
    let o = EmulateOptions {
        interval: 0.0,
        ..EmulateOptions::default()
    };
    assert!(emulate(&t, &o).is_err());
    let o = EmulateOptions {
        interval: 1e-9,
        ..EmulateOptions::default()
    };
    assert!(emulate(&t, &o).is_err());
    let mut t = trial();
    t.strategies[0].deviation = vec![Some(0.0); 4];
    assert!(matches!(
        emulate(&t, &EmulateOptions::default()),
        Err(EmulateError::EmptyArm(_))
    ));
}

#[test]
fn weights_are_one_without_deviation_and_the_curve_is_plain_km() {
    // No deviations at all: unweighted KM of the clones.
    let t = Trial {
        time: vec![1.0, 2.0, 3.0, 4.0],
        event: vec![true, false, true, true],
        baseline: Vec::new(),
        baseline_names: Vec::new(),
        time_varying: Vec::new(),
        strategies: vec![
            StrategyData {
                name: "A".into(),
                deviation: vec![None; 4],
                windows: vec![Vec::new(); 4],
            },
            StrategyData {
                name: "B".into(),
                deviation: vec![None; 4],
                windows: vec![Vec::new(); 4],
            },
        ],
    };
    let e = emulate(&t, &EmulateOptions::default()).unwrap();
    assert!(e.rows.iter().all(|r| r.weight == 1.0));
    let c = &e.arms[0].curve;
    assert_eq!(c.time, vec![1.0, 3.0, 4.0]);
    assert!((c.survival[1] - 0.75 * 0.5).abs() < 1e-15);
    assert!((c.n_risk[1] - 2.0).abs() < 1e-12);
    // Identical arms: HR 1 and zero differences.
    let h = e.hr[0].unwrap();
    assert!(h.coef.abs() < 1e-12);
    assert!(e.rmst_difference[0].unwrap().estimate.abs() < 1e-12);
}

#[test]
fn truncation_clips_the_weights() {
    let t = trial();
    let o = EmulateOptions {
        truncate: Some((0.0, 0.5)),
        ..EmulateOptions::default()
    };
    match emulate(&t, &o) {
        Ok(e) => {
            let mut w: Vec<f64> = e.rows.iter().map(|r| r.weight).collect();
            w.sort_by(f64::total_cmp);
            let med = w[w.len() / 2];
            assert!(e.rows.iter().all(|r| r.weight <= med + 1e-12));
        }
        // Four patients may separate the deviation model: an error, not a panic.
        Err(e) => assert!(matches!(e, EmulateError::Model(..) | EmulateError::Cox(_))),
    }
}

#[test]
fn the_bootstrap_is_reproducible() {
    let t = Trial {
        time: (0..40).map(|i| 1.0 + (i % 13) as f64 * 0.7).collect(),
        event: (0..40).map(|i| i % 3 != 0).collect(),
        baseline: Vec::new(),
        baseline_names: Vec::new(),
        time_varying: Vec::new(),
        strategies: vec![
            StrategyData {
                name: "A".into(),
                deviation: (0..40).map(|i| (i % 4 == 0).then_some(0.5)).collect(),
                windows: vec![vec![[0.0, 0.5]]; 40],
            },
            StrategyData {
                name: "B".into(),
                deviation: (0..40).map(|i| (i % 4 != 0).then_some(0.5)).collect(),
                windows: vec![vec![[0.0, 0.5]]; 40],
            },
        ],
    };
    let o = EmulateOptions {
        tau: Some(5.0),
        times: vec![3.0],
        ..EmulateOptions::default()
    };
    let b = BootstrapOptions {
        replicates: 20,
        seed: 3,
        conf_level: 0.9,
    };
    let mut calls = 0;
    let one = bootstrap(&t, &o, &b, &mut |_| calls += 1).unwrap();
    assert_eq!(calls, 20);
    let two = bootstrap(&t, &o, &b, &mut |_| {}).unwrap();
    assert_eq!(one, two);
    let r = one.rmst_difference[0].unwrap();
    assert!(r.lower < r.upper && r.n + one.failed == 20);
    let other = bootstrap(&t, &o, &BootstrapOptions { seed: 4, ..b }, &mut |_| {}).unwrap();
    assert_ne!(one, other);
}
