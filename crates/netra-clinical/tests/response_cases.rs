//! RECIST 1.1's worked rules and the hard cases of issue 5, each with a
//! hand-built patient and the categories and dates a radiologist writes.

use netra_clinical::response::{
    Assessment, BestOptions, Category, CrThenPr, Date, LesionKind, LesionStatus, Measurement,
    NewLesions, NonTargetResponse, PatientLesions, PatientResponse, ResponseError, TargetResponse,
    assess, choi, custom, mrecist, recist, series, who,
};

fn d(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// A target lesion measured by its longest diameter.
fn t(id: &str, organ: &str, mm: f64) -> Measurement {
    Measurement {
        lesion: id.into(),
        organ: organ.into(),
        kind: Some(LesionKind::Target),
        longest_mm: Some(mm),
        ..Default::default()
    }
}

/// A target lymph node measured by its short axis.
fn node(id: &str, short: f64) -> Measurement {
    Measurement {
        lesion: id.into(),
        organ: "lymph node".into(),
        kind: Some(LesionKind::Target),
        short_axis_mm: Some(short),
        is_node: true,
        ..Default::default()
    }
}

/// A target lesion not measured at this scan (row present, size missing).
fn unmeasured(id: &str, organ: &str) -> Measurement {
    Measurement {
        lesion: id.into(),
        organ: organ.into(),
        kind: Some(LesionKind::Target),
        ..Default::default()
    }
}

fn nt(id: &str, organ: &str, status: LesionStatus) -> Measurement {
    Measurement {
        lesion: id.into(),
        organ: organ.into(),
        kind: Some(LesionKind::NonTarget),
        status: Some(status),
        ..Default::default()
    }
}

fn new(id: &str, organ: &str, status: Option<LesionStatus>) -> Measurement {
    Measurement {
        lesion: id.into(),
        organ: organ.into(),
        kind: Some(LesionKind::New),
        status,
        ..Default::default()
    }
}

fn patient(scans: Vec<(&str, Vec<Measurement>)>) -> PatientLesions {
    PatientLesions {
        patient: "P".into(),
        assessments: scans
            .into_iter()
            .map(|(date, measurements)| Assessment {
                date: d(date),
                measurements,
            })
            .collect(),
    }
}

fn run(p: &PatientLesions, options: BestOptions) -> PatientResponse {
    assess(p, &recist::rules(), &options).unwrap()
}

fn overall(r: &PatientResponse) -> Vec<Category> {
    r.timepoints.iter().map(|t| t.overall).collect()
}

fn confirm() -> BestOptions {
    BestOptions {
        confirm: true,
        ..Default::default()
    }
}

use Category::*;

#[test]
fn cr_with_residual_normal_size_nodes() {
    // The liver lesion disappears, the node shrinks to 8 mm short axis: the
    // sum is 8 mm, not 0, and still a complete response.
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 30.0), node("N1", 20.0)]),
        ("2024-02-26", vec![t("L1", "liver", 0.0), node("N1", 8.0)]),
    ]);
    let r = run(&p, BestOptions::default());
    let tp = &r.timepoints[0];
    assert_eq!(tp.sum, Some(8.0));
    assert_eq!(tp.target, TargetResponse::Category(CR));
    assert_eq!(tp.overall, CR);
    assert_eq!(r.best.category, CR);
    // A node at exactly 10 mm is not normal: PR, not CR.
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 30.0), node("N1", 20.0)]),
        ("2024-02-26", vec![t("L1", "liver", 0.0), node("N1", 10.0)]),
    ]);
    assert_eq!(run(&p, BestOptions::default()).timepoints[0].overall, PR);
    // A normal node growing while staying under 10 mm (4 -> 9 mm: +125 %,
    // +5 mm) keeps the complete response.
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 30.0), node("N1", 20.0)]),
        ("2024-02-26", vec![t("L1", "liver", 0.0), node("N1", 4.0)]),
        ("2024-04-22", vec![t("L1", "liver", 0.0), node("N1", 9.0)]),
    ]);
    assert_eq!(overall(&run(&p, BestOptions::default())), vec![CR, CR]);
}

#[test]
fn progression_is_measured_from_the_nadir_not_the_baseline() {
    let p = patient(vec![
        (
            "2024-01-01",
            vec![t("L1", "liver", 60.0), t("L2", "lung", 40.0)],
        ),
        (
            "2024-03-01",
            vec![t("L1", "liver", 36.0), t("L2", "lung", 24.0)],
        ),
        (
            "2024-05-01",
            vec![t("L1", "liver", 45.0), t("L2", "lung", 30.0)],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(overall(&r), vec![PR, PD]);
    let tp = &r.timepoints[1];
    // 75 mm is 25 % below baseline (would be SD) but 25 % above the nadir.
    assert!((tp.change_from_baseline_pct.unwrap() + 25.0).abs() < 1e-12);
    assert!((tp.change_from_nadir_pct.unwrap() - 25.0).abs() < 1e-12);
    assert_eq!(r.best.category, PR);
    assert_eq!(r.best.first_response_date, Some(d("2024-03-01")));
    assert_eq!(r.best.progression_date, Some(d("2024-05-01")));
    assert_eq!(r.best.duration_of_response_days, Some(61));
    assert_eq!(r.best.response_ongoing, Some(false));
}

#[test]
fn the_5_mm_absolute_rule() {
    let p = patient(vec![
        (
            "2024-01-01",
            vec![t("L1", "liver", 10.0), t("L2", "lung", 10.0)],
        ),
        (
            "2024-03-01",
            vec![t("L1", "liver", 7.0), t("L2", "lung", 7.0)],
        ),
        // +28.6 % from the 14 mm nadir but only +4 mm: not progression.
        (
            "2024-05-01",
            vec![t("L1", "liver", 9.0), t("L2", "lung", 9.0)],
        ),
        // +5 mm and +35.7 %: progression.
        (
            "2024-07-01",
            vec![t("L1", "liver", 10.0), t("L2", "lung", 9.0)],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(overall(&r), vec![PR, SD, PD]);
    assert!((r.timepoints[1].change_from_nadir_pct.unwrap() - 400.0 / 14.0).abs() < 1e-9);
}

#[test]
fn a_new_lesion_alone_is_progression() {
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 40.0)]),
        (
            "2024-03-01",
            vec![t("L1", "liver", 38.0), new("X1", "bone", None)],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    let tp = &r.timepoints[0];
    assert_eq!(tp.target, TargetResponse::Category(SD));
    assert_eq!(tp.new_lesions, NewLesions::Yes);
    assert_eq!(tp.overall, PD);
    assert_eq!(r.best.category, PD);
    assert_eq!(r.best.progression_date, Some(d("2024-03-01")));
}

#[test]
fn non_target_only_disease() {
    let p = patient(vec![
        (
            "2024-01-01",
            vec![
                nt("B1", "bone", LesionStatus::Present),
                nt("P1", "peritoneum", LesionStatus::Present),
            ],
        ),
        (
            "2024-03-01",
            vec![
                nt("B1", "bone", LesionStatus::Present),
                nt("P1", "peritoneum", LesionStatus::Absent),
            ],
        ),
        (
            "2024-05-01",
            vec![
                nt("B1", "bone", LesionStatus::Absent),
                nt("P1", "peritoneum", LesionStatus::Absent),
            ],
        ),
        ("2024-07-01", vec![nt("B1", "bone", LesionStatus::Absent)]),
        (
            "2024-09-01",
            vec![
                nt("B1", "bone", LesionStatus::Progression),
                nt("P1", "peritoneum", LesionStatus::Absent),
            ],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    assert!(r.targets.is_empty());
    assert_eq!(r.timepoints[0].target, TargetResponse::NotApplicable);
    assert_eq!(r.timepoints[0].non_target, NonTargetResponse::NonCrNonPd);
    // P1 missing at the fourth scan: not all evaluated, NE (Table 2).
    assert_eq!(overall(&r), vec![NonCrNonPd, CR, NE, PD]);
    assert_eq!(r.best.category, CR);
    assert_eq!(r.timepoints[0].sum, None);
    // Only non-CR/non-PD (long enough): the BOR is non-CR/non-PD, not SD.
    let p = patient(vec![
        ("2024-01-01", vec![nt("B1", "bone", LesionStatus::Present)]),
        ("2024-03-01", vec![nt("B1", "bone", LesionStatus::Present)]),
    ]);
    assert_eq!(run(&p, BestOptions::default()).best.category, NonCrNonPd);
}

#[test]
fn a_missing_lesion_that_cannot_change_the_result() {
    // RECIST 1.1's own example: baseline 50 mm over three lesions; two
    // measured at follow-up already sum to 80 mm — PD whatever the third is.
    let p = patient(vec![
        (
            "2024-01-01",
            vec![
                t("L1", "liver", 20.0),
                t("L2", "lung", 20.0),
                t("L3", "lung", 10.0),
            ],
        ),
        (
            "2024-03-01",
            vec![t("L1", "liver", 40.0), t("L2", "lung", 40.0)],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    let tp = &r.timepoints[0];
    assert!(!tp.complete);
    assert_eq!(tp.target, TargetResponse::Category(PD));
    assert_eq!(tp.overall, PD);
    assert_eq!(tp.change_from_baseline_pct, None);
    assert!(tp.notes[0].contains("L3"));
}

#[test]
fn a_missing_lesion_that_can_change_the_result() {
    // 30 mm measured over two lesions: PR or SD depending on the third.
    let p = patient(vec![
        (
            "2024-01-01",
            vec![
                t("L1", "liver", 20.0),
                t("L2", "lung", 20.0),
                t("L3", "lung", 10.0),
            ],
        ),
        (
            "2024-03-01",
            vec![
                t("L1", "liver", 15.0),
                t("L2", "lung", 15.0),
                unmeasured("L3", "lung"),
            ],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(r.timepoints[0].target, TargetResponse::Category(NE));
    assert_eq!(r.timepoints[0].overall, NE);
    assert_eq!(r.best.category, NE);
}

#[test]
fn an_equivocal_new_lesion_confirmed_later_dates_progression_back() {
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 40.0)]),
        (
            "2024-03-01",
            vec![
                t("L1", "liver", 38.0),
                new("X1", "liver", Some(LesionStatus::Equivocal)),
            ],
        ),
        (
            "2024-05-01",
            vec![t("L1", "liver", 37.0), new("X1", "liver", None)],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(r.timepoints[0].new_lesions, NewLesions::Equivocal);
    assert_eq!(overall(&r), vec![PD, PD]);
    assert_eq!(r.best.progression_date, Some(d("2024-03-01")));
    assert!(
        r.timepoints[0]
            .notes
            .iter()
            .any(|n| n.contains("confirmed on 2024-05-01"))
    );
    // Not confirmed (it resolved): no progression, SD.
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 40.0)]),
        (
            "2024-03-01",
            vec![
                t("L1", "liver", 38.0),
                new("X1", "liver", Some(LesionStatus::Equivocal)),
            ],
        ),
        (
            "2024-05-01",
            vec![
                t("L1", "liver", 37.0),
                new("X1", "liver", Some(LesionStatus::Absent)),
            ],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(overall(&r), vec![SD, SD]);
    assert_eq!(r.best.progression_date, None);
}

fn cr_then_pr_patient() -> PatientLesions {
    // The node regrows to 12 mm: +4 mm from the 8 mm nadir (no PD by the
    // 5 mm rule), 66 % below baseline (PR by size) — but after a CR.
    patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 15.0), node("N1", 20.0)]),
        ("2024-02-26", vec![t("L1", "liver", 0.0), node("N1", 8.0)]),
        ("2024-04-22", vec![t("L1", "liver", 0.0), node("N1", 12.0)]),
    ])
}

#[test]
fn cr_followed_by_pr_under_confirmation() {
    let p = cr_then_pr_patient();
    // Default reading of Table 3 note a: disease reappeared, PD at the
    // second scan; the CR is unconfirmed, so SD (day 56 >= 42).
    let r = run(&p, confirm());
    assert_eq!(overall(&r), vec![CR, PD]);
    assert_eq!(r.best.category, SD);
    assert_eq!(r.best.progression_date, Some(d("2024-04-22")));
    assert_eq!(r.best.first_response_date, None);
    // The other reading: the "CR" was a PR; PR confirmed 56 days later.
    let r = run(
        &p,
        BestOptions {
            confirm: true,
            cr_then_pr: CrThenPr::ReclassifyCr,
            ..Default::default()
        },
    );
    assert_eq!(overall(&r), vec![PR, PR]);
    assert_eq!(r.best.category, PR);
    assert_eq!(r.best.first_response_date, Some(d("2024-02-26")));
    assert_eq!(r.best.confirmation_date, Some(d("2024-04-22")));
    assert_eq!(r.best.response_ongoing, Some(true));
    assert_eq!(r.best.duration_of_response_days, Some(56));
    // Without confirmation the CR stands as the best response.
    assert_eq!(run(&p, BestOptions::default()).best.category, CR);
}

#[test]
fn a_time_point_exactly_at_minus_30_and_plus_20_percent() {
    // 50 -> 35 mm is exactly -30 %: PR. 35 -> 42 mm is exactly +20 % and
    // +7 mm: PD. Decimal sizes whose binary ratios are not exact too.
    let p = patient(vec![
        (
            "2024-01-01",
            vec![t("L1", "liver", 30.0), t("L2", "lung", 20.0)],
        ),
        (
            "2024-03-01",
            vec![t("L1", "liver", 21.0), t("L2", "lung", 14.0)],
        ),
        (
            "2024-05-01",
            vec![t("L1", "liver", 25.2), t("L2", "lung", 16.8)],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(overall(&r), vec![PR, PD]);
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 133.3)]),
        ("2024-03-01", vec![t("L1", "liver", 93.31)]),
        ("2024-05-01", vec![t("L1", "liver", 111.972)]),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(overall(&r), vec![PR, PD]);
    // Just short of the thresholds: SD, then SD.
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 50.0)]),
        ("2024-03-01", vec![t("L1", "liver", 35.1)]),
        ("2024-05-01", vec![t("L1", "liver", 42.1)]),
    ]);
    assert_eq!(overall(&run(&p, BestOptions::default())), vec![SD, SD]);
}

#[test]
fn confirmation_rules() {
    let pr = |date: &'static str, mm: f64| (date, vec![t("L1", "liver", mm)]);
    // PR confirmed 28 days later: PR; only 21 days later: not confirmed.
    let p = patient(vec![
        pr("2024-01-01", 50.0),
        pr("2024-03-01", 30.0),
        pr("2024-03-29", 30.0),
    ]);
    let r = run(&p, confirm());
    assert_eq!(r.best.category, PR);
    assert_eq!(r.best.confirmation_date, Some(d("2024-03-29")));
    let p = patient(vec![
        pr("2024-01-01", 50.0),
        pr("2024-03-01", 30.0),
        pr("2024-03-22", 30.0),
        pr("2024-05-01", 60.0),
    ]);
    let r = run(&p, confirm());
    assert_eq!(overall(&r), vec![PR, PR, PD]);
    assert_eq!(r.best.category, SD);
    // PR then SD: SD (Table 3).
    let p = patient(vec![
        pr("2024-01-01", 50.0),
        pr("2024-03-01", 30.0),
        pr("2024-05-01", 40.0),
    ]);
    assert_eq!(run(&p, confirm()).best.category, SD);
    // PR, NE, PR: the NE scan does not break the confirmation.
    let p = patient(vec![
        pr("2024-01-01", 50.0),
        pr("2024-03-01", 30.0),
        ("2024-04-01", vec![unmeasured("L1", "liver")]),
        pr("2024-05-01", 30.0),
    ]);
    assert_eq!(run(&p, confirm()).best.category, PR);
    // PR then CR: PR (the CR itself is unconfirmed).
    let p = patient(vec![
        pr("2024-01-01", 50.0),
        pr("2024-03-01", 30.0),
        pr("2024-05-01", 0.0),
    ]);
    assert_eq!(run(&p, confirm()).best.category, PR);
    assert_eq!(run(&p, BestOptions::default()).best.category, CR);
}

#[test]
fn stable_disease_needs_its_minimum_duration() {
    let scan = |date: &'static str, mm: f64| (date, vec![t("L1", "liver", mm)]);
    // SD at day 31 only, then PD: PD.
    let p = patient(vec![
        scan("2024-01-01", 50.0),
        scan("2024-02-01", 48.0),
        scan("2024-04-01", 70.0),
    ]);
    assert_eq!(run(&p, BestOptions::default()).best.category, PD);
    // SD at day 31 and nothing after: NE.
    let p = patient(vec![scan("2024-01-01", 50.0), scan("2024-02-01", 48.0)]);
    assert_eq!(run(&p, BestOptions::default()).best.category, NE);
    // Configurable: with a 4-week minimum the same scan is SD.
    let opts = BestOptions {
        sd_min_days: 28,
        ..Default::default()
    };
    assert_eq!(run(&p, opts).best.category, SD);
    // Exactly 42 days counts.
    let p = patient(vec![scan("2024-01-01", 50.0), scan("2024-02-12", 48.0)]);
    assert_eq!(run(&p, BestOptions::default()).best.category, SD);
}

#[test]
fn non_target_progression_and_cr_with_non_targets_present() {
    let p = patient(vec![
        (
            "2024-01-01",
            vec![
                t("L1", "liver", 30.0),
                nt("B1", "bone", LesionStatus::Present),
            ],
        ),
        (
            "2024-03-01",
            vec![
                t("L1", "liver", 0.0),
                nt("B1", "bone", LesionStatus::Present),
            ],
        ),
        ("2024-05-01", vec![t("L1", "liver", 0.0)]),
        (
            "2024-07-01",
            vec![
                t("L1", "liver", 0.0),
                nt("B1", "bone", LesionStatus::Progression),
            ],
        ),
    ]);
    let r = run(&p, BestOptions::default());
    // Target CR + non-target present: PR; non-target not evaluated: PR.
    assert_eq!(overall(&r), vec![PR, PR, PD]);
    assert_eq!(r.timepoints[1].non_target, NonTargetResponse::NE);
}

#[test]
fn target_selection_is_validated() {
    let base = |lesions: Vec<Measurement>| {
        patient(vec![
            ("2024-01-01", lesions.clone()),
            ("2024-03-01", lesions),
        ])
    };
    let err = assess(
        &base(vec![
            t("A", "liver", 20.0),
            t("B", "liver", 20.0),
            t("C", "liver", 20.0),
        ]),
        &recist::rules(),
        &BestOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("3 targets in organ 'liver'"),
        "{err}"
    );
    let six: Vec<Measurement> = ["liver", "lung", "bone", "adrenal", "spleen", "kidney"]
        .iter()
        .enumerate()
        .map(|(i, o)| t(&format!("T{i}"), o, 20.0))
        .collect();
    let err = assess(&base(six), &recist::rules(), &BestOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("6 target lesions; at most 5"),
        "{err}"
    );
    let err = assess(
        &base(vec![t("A", "liver", 8.0)]),
        &recist::rules(),
        &BestOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("longest diameter >= 10"), "{err}");
    let err = assess(
        &base(vec![node("N", 12.0)]),
        &recist::rules(),
        &BestOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("short axis >= 15"), "{err}");
    assert!(matches!(err, ResponseError::Selection { .. }));
}

#[test]
fn targets_are_selected_when_none_is_marked() {
    let lesion = |id: &str, organ: &str, mm: f64| Measurement {
        kind: None,
        ..t(id, organ, mm)
    };
    let baseline = vec![
        lesion("L1", "liver", 50.0),
        lesion("L2", "liver", 40.0),
        lesion("L3", "liver", 45.0),
        lesion("P1", "lung", 12.0),
        lesion("P2", "lung", 9.0),
        lesion("A1", "adrenal", 30.0),
        lesion("S1", "spleen", 25.0),
        lesion("K1", "kidney", 11.0),
    ];
    let p = patient(vec![
        ("2024-01-01", baseline.clone()),
        ("2024-03-01", baseline),
    ]);
    let r = run(&p, BestOptions::default());
    assert!(r.targets_selected);
    // Largest first, two per organ, five in all: L1, L3 (not L2), A1, S1, P1.
    assert_eq!(r.targets, vec!["L1", "L3", "A1", "S1", "P1"]);
    assert_eq!(r.baseline_sum, Some(162.0));
    // L2, P2 and K1 became non-targets and are followed as such.
    assert_eq!(r.timepoints[0].non_target, NonTargetResponse::NonCrNonPd);
}

#[test]
fn bad_rows_are_errors_naming_the_lesion() {
    let p = patient(vec![
        ("2024-01-01", vec![t("L1", "liver", 30.0)]),
        (
            "2024-03-01",
            vec![t("L1", "liver", 25.0), t("L9", "liver", 12.0)],
        ),
    ]);
    let err = assess(&p, &recist::rules(), &BestOptions::default()).unwrap_err();
    assert!(
        err.to_string().contains("L9") && err.to_string().contains("missing from the baseline"),
        "{err}"
    );
    let p = patient(vec![(
        "2024-01-01",
        vec![t("L1", "liver", 30.0), new("X", "bone", None)],
    )]);
    assert!(assess(&p, &recist::rules(), &BestOptions::default()).is_err());
    let p = patient(vec![("2024-01-01", vec![t("L1", "liver", -3.0)])]);
    let err = assess(&p, &recist::rules(), &BestOptions::default()).unwrap_err();
    assert!(err.to_string().contains("size >= 0"), "{err}");
    let p = PatientLesions {
        patient: "Q".into(),
        assessments: vec![],
    };
    assert!(matches!(
        assess(&p, &recist::rules(), &BestOptions::default()),
        Err(ResponseError::NoAssessment { .. })
    ));
}

/// One patient followed over five scans, measured as a radiologist records
/// it (longest, perpendicular, short axis, attenuation, viable diameter),
/// read under each criterion. The same patient is `P01` of
/// `examples/lesions/example.csv`.
fn followed_patient() -> PatientLesions {
    #[allow(clippy::too_many_arguments)]
    fn lesion(
        id: &str,
        organ: &str,
        node: bool,
        longest: f64,
        perp: f64,
        short: Option<f64>,
        hu: f64,
        viable: Option<f64>,
    ) -> Measurement {
        Measurement {
            lesion: id.into(),
            organ: organ.into(),
            kind: Some(LesionKind::Target),
            longest_mm: Some(longest),
            perpendicular_mm: Some(perp),
            short_axis_mm: short,
            is_node: node,
            attenuation_hu: Some(hu),
            viable_mm: viable,
            ..Default::default()
        }
    }
    let bone = || nt("B1", "bone", LesionStatus::Present);
    let scan = |l1: (f64, f64, f64, f64), l2: (f64, f64, f64, f64), n1: (f64, f64, f64, f64)| {
        vec![
            lesion("L1", "liver", false, l1.0, l1.1, None, l1.2, Some(l1.3)),
            lesion("L2", "liver", false, l2.0, l2.1, None, l2.2, Some(l2.3)),
            lesion("N1", "lymph node", true, n1.0, n1.1, Some(n1.3), n1.2, None),
            bone(),
        ]
    };
    patient(vec![
        (
            "2024-01-10",
            scan(
                (32.0, 25.0, 60.0, 30.0),
                (21.0, 17.0, 55.0, 18.0),
                (24.0, 18.0, 40.0, 18.0),
            ),
        ),
        (
            "2024-03-06",
            scan(
                (24.0, 20.0, 45.0, 12.0),
                (15.0, 13.0, 40.0, 8.0),
                (20.0, 15.0, 35.0, 14.0),
            ),
        ),
        (
            "2024-05-01",
            scan(
                (19.0, 15.0, 40.0, 0.0),
                (11.0, 9.0, 38.0, 0.0),
                (16.0, 12.0, 30.0, 11.0),
            ),
        ),
        (
            "2024-06-26",
            scan(
                (18.0, 14.0, 38.0, 0.0),
                (10.0, 8.0, 36.0, 0.0),
                (14.0, 10.0, 30.0, 9.0),
            ),
        ),
        (
            "2024-08-21",
            scan(
                (23.0, 18.0, 58.0, 10.0),
                (13.0, 10.0, 52.0, 6.0),
                (15.0, 12.0, 41.0, 10.0),
            ),
        ),
    ])
}

#[test]
fn followed_patient_under_recist() {
    let r = assess(&followed_patient(), &recist::rules(), &confirm()).unwrap();
    assert_eq!(r.baseline_sum, Some(71.0));
    let sums: Vec<f64> = r.timepoints.iter().map(|t| t.sum.unwrap()).collect();
    assert_eq!(sums, vec![53.0, 41.0, 37.0, 46.0]);
    assert_eq!(overall(&r), vec![SD, PR, PR, PD]);
    assert_eq!(r.best.category, PR);
    assert_eq!(r.best.first_response_date, Some(d("2024-05-01")));
    assert_eq!(r.best.confirmation_date, Some(d("2024-06-26")));
    assert_eq!(r.best.progression_date, Some(d("2024-08-21")));
    assert_eq!(r.best.duration_of_response_days, Some(112));
}

#[test]
fn followed_patient_under_who() {
    let r = assess(&followed_patient(), &who::rules(), &confirm()).unwrap();
    assert_eq!(r.baseline_sum, Some(1589.0));
    // 975 mm² is 38.6 % below baseline: no change under WHO's 50 %.
    assert_eq!(overall(&r), vec![SD, PR, PR, PD]);
    assert_eq!(r.timepoints[1].sum, Some(576.0));
    assert_eq!(r.best.category, PR);
}

#[test]
fn followed_patient_under_choi() {
    let r = assess(&followed_patient(), &choi::rules(), &confirm()).unwrap();
    // Size -25 % at the first scan is already a Choi PR (>= 10 %).
    assert_eq!(overall(&r), vec![PR, PR, PR, PD]);
    assert_eq!(r.best.first_response_date, Some(d("2024-03-06")));
    assert_eq!(r.best.confirmation_date, Some(d("2024-05-01")));
}

#[test]
fn choi_density_decides() {
    let lesion = |mm: f64, hu: f64| Measurement {
        attenuation_hu: Some(hu),
        ..t("G1", "stomach", mm)
    };
    let p = patient(vec![
        ("2024-01-01", vec![lesion(50.0, 80.0)]),
        // Size -4 %, density -25 %: PR by density.
        ("2024-03-01", vec![lesion(48.0, 60.0)]),
        // Size +12.5 % from the nadir, density still -20 %: not PD.
        ("2024-05-01", vec![lesion(54.0, 64.0)]),
        // Size +12.5 % and density back to baseline: PD.
        ("2024-07-01", vec![lesion(54.0, 79.0)]),
    ]);
    let r = assess(&p, &choi::rules(), &BestOptions::default()).unwrap();
    assert_eq!(overall(&r), vec![PR, PR, PD]);
}

#[test]
fn followed_patient_under_mrecist() {
    let r = assess(&followed_patient(), &mrecist::rules(), &confirm()).unwrap();
    assert_eq!(r.baseline_sum, Some(66.0));
    // Viable liver tumour gone and node < 10 mm at the third scan: target
    // CR, but the bone lesion is still there: PR overall.
    assert_eq!(r.timepoints[2].target, TargetResponse::Category(CR));
    assert_eq!(overall(&r), vec![PR, PR, PR, PD]);
    assert_eq!(r.best.category, PR);
    assert_eq!(r.best.first_response_date, Some(d("2024-03-06")));
}

fn radionuclide_rules() -> netra_clinical::response::Rules {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/criteria/radionuclide-2004.toml"
    ))
    .unwrap();
    custom::from_toml(&text).unwrap()
}

#[test]
fn followed_patient_under_the_radionuclide_study_criteria() {
    let r = assess(
        &followed_patient(),
        &radionuclide_rules(),
        &BestOptions::default(),
    )
    .unwrap();
    assert_eq!(r.criteria, "radionuclide-2004");
    // Longest diameters: 77 -> 59 (-23 %, SD) -> 46 (-40 %, minor) -> 42
    // (-45 %, minor) -> L1 grows 18 -> 23 mm (+28 %): progression.
    assert_eq!(r.baseline_sum, Some(77.0));
    assert_eq!(overall(&r), vec![SD, MR, MR, PD]);
    assert_eq!(r.best.category, MR);
    assert_eq!(r.best.first_response_date, None);
}

#[test]
fn radionuclide_bands() {
    let rules = radionuclide_rules();
    let scan = |date: &'static str, mm: f64| (date, vec![t("L1", "liver", mm)]);
    let p = patient(vec![
        scan("2024-01-01", 40.0),
        scan("2024-03-01", 30.0),
        scan("2024-05-01", 18.0),
        scan("2024-07-01", 8.0),
        scan("2024-09-01", 10.0),
    ]);
    let r = assess(&p, &rules, &BestOptions::default()).unwrap();
    // -25 % is not yet minor (> 25 %), -55 % partial, -80 % complete
    // (> 75 %), then +25 % from the nadir: progression (>= 25 %).
    assert_eq!(overall(&r), vec![SD, PR, CR, PD]);
    assert_eq!(r.best.category, CR);
}

/// Issue 13: the paper calls a single lesion at exactly -75 % a partial
/// regression; the example file classified it CR. Each band holds its upper
/// bound (the file says `decrease_more_than_pct`).
#[test]
fn radionuclide_band_boundaries_follow_the_paper() {
    let rules = radionuclide_rules();
    for (mm, expected) in [
        (10.0, PR), // -75 % exactly: partial regression
        (9.9, CR),  // -75.25 %
        (20.0, MR), // -50 % exactly: minor
        (19.9, PR),
        (30.0, SD), // -25 % exactly: stabilisation
        (29.9, MR),
        (50.0, PD), // +25 % exactly: progression (>= 25 %)
        (49.9, SD),
    ] {
        let p = patient(vec![
            ("2024-01-01", vec![t("L1", "liver", 40.0)]),
            ("2024-03-01", vec![t("L1", "liver", mm)]),
        ]);
        let r = assess(&p, &rules, &BestOptions::default()).unwrap();
        assert_eq!(overall(&r), vec![expected], "40 -> {mm} mm");
    }
}

#[test]
fn waterfall_and_spider() {
    let a = assess(
        &followed_patient(),
        &recist::rules(),
        &BestOptions::default(),
    )
    .unwrap();
    let mut b = run(
        &patient(vec![
            ("2024-01-01", vec![t("L1", "liver", 40.0)]),
            ("2024-03-01", vec![t("L1", "liver", 44.0)]),
        ]),
        BestOptions::default(),
    );
    b.patient = "B".into();
    let mut c = run(
        &patient(vec![(
            "2024-01-01",
            vec![nt("B1", "bone", LesionStatus::Present)],
        )]),
        BestOptions::default(),
    );
    c.patient = "C".into();
    let w = series::waterfall(&[a.clone(), b, c]);
    assert_eq!(w.bars.len(), 2);
    assert_eq!(w.bars[0].patient, "B");
    assert!((w.bars[0].best_change_pct - 10.0).abs() < 1e-12);
    assert!((w.bars[1].best_change_pct - (37.0 - 71.0) / 71.0 * 100.0).abs() < 1e-12);
    assert_eq!(w.bars[1].best_overall_response, PR);
    assert_eq!(w.excluded, vec!["C"]);
    let s = series::spider(&[a]);
    let days: Vec<i32> = s[0].points.iter().map(|p| p.days).collect();
    assert_eq!(days, vec![0, 56, 112, 168, 224]);
    assert!((s[0].points[4].change_pct - (46.0 - 71.0) / 71.0 * 100.0).abs() < 1e-12);
}

fn by(mut m: Measurement, modality: &str) -> Measurement {
    m.modality = Some(modality.into());
    m
}

/// Issue 13: RECIST 1.1 does not measure targets by ultrasound; WHO did.
#[test]
fn recist_refuses_ultrasound_targets_and_who_accepts_them() {
    let p = patient(vec![
        (
            "2024-01-01",
            vec![
                by(t("L1", "liver", 40.0), "ultrasound"),
                by(t("L2", "lung", 30.0), "ct"),
            ],
        ),
        (
            "2024-03-01",
            vec![
                by(t("L1", "liver", 20.0), "ultrasound"),
                by(t("L2", "lung", 15.0), "ct"),
            ],
        ),
    ]);
    let e = assess(&p, &recist::rules(), &BestOptions::default()).unwrap_err();
    assert!(
        e.to_string().contains(
            "target L1 is not measurable: measured by ultrasound, which RECIST 1.1 does not accept"
        ),
        "{e}"
    );
    // WHO measured by any method giving diameters.
    let mut w = p.clone();
    for a in &mut w.assessments {
        for m in &mut a.measurements {
            m.perpendicular_mm = m.longest_mm;
        }
    }
    let r = assess(&w, &who::rules(), &BestOptions::default()).unwrap();
    assert_eq!(r.targets, vec!["L1", "L2"]);
    // Selected by the engine, the ultrasound lesion is left to the
    // non-targets: only L2 (30 -> 15 mm, -50 %) is summed.
    let mut sel = p.clone();
    for a in &mut sel.assessments {
        for m in &mut a.measurements {
            m.kind = None;
        }
    }
    sel.assessments[1].measurements[0].status = Some(LesionStatus::Present);
    let r = assess(&sel, &recist::rules(), &BestOptions::default()).unwrap();
    assert_eq!(r.targets, vec!["L2"]);
    assert_eq!(r.baseline_sum, Some(30.0));
    assert_eq!(overall(&r), vec![PR]);
}

/// A target measured by an excluded modality at a follow-up is not
/// measured (NE), and a change of modality is noted.
#[test]
fn follow_up_modality_is_checked_and_changes_are_noted() {
    let p = patient(vec![
        ("2024-01-01", vec![by(t("L1", "liver", 40.0), "ct")]),
        ("2024-03-01", vec![by(t("L1", "liver", 20.0), "ultrasound")]),
        ("2024-05-01", vec![by(t("L1", "liver", 20.0), "mri")]),
    ]);
    let r = run(&p, BestOptions::default());
    assert_eq!(overall(&r), vec![NE, PR]);
    let notes = &r.timepoints[0].notes;
    assert!(
        notes
            .iter()
            .any(|n| n
                .contains("target L1 measured by ultrasound, which RECIST 1.1 does not accept")),
        "{notes:?}"
    );
    assert!(
        r.timepoints[1]
            .notes
            .iter()
            .any(|n| n == "lesion L1: measured by mri, by ct at baseline; sizes from different modalities are not comparable"),
        "{:?}",
        r.timepoints[1].notes
    );
    // Without a modality (the lesion CSV's default) nothing is restricted.
    let mut plain = p.clone();
    for a in &mut plain.assessments {
        for m in &mut a.measurements {
            m.modality = None;
        }
    }
    let r = run(&plain, BestOptions::default());
    assert_eq!(overall(&r), vec![PR, PR]);
    assert!(r.timepoints.iter().all(|t| t.notes.is_empty()));
}
