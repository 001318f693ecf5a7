//! Sequence analysis on hand-built cohorts: counts that can be checked by
//! eye, suppression, Sankey links, and the comparison of two sequences.

mod common;

use common::*;
use netra_clinical::endpoints::{Endpoint, EndpointSpec, TimeZero, derive_cohort, line_outcomes};
use netra_clinical::lines::{LineRules, PatientLines};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{Agent::*, Response, StopReason, TreatmentType as T};
use netra_clinical::sequences::*;

/// `n` patients on everolimus then (after progression) chemotherapy, dying.
fn evero_then_chemo(n: usize, offset: usize) -> Vec<PatientCourse> {
    (0..n)
        .map(|i| {
            let day = format!("2000-{:02}-01", 3 + (i % 8));
            patient(&format!("E{:03}", i + offset))
                .tx(
                    "T1",
                    T::Targeted,
                    &[Everolimus],
                    "2000-02-01",
                    Some(&day),
                    Some(StopReason::Progression),
                )
                .inv("S1", &day, Response::Pd)
                .tx(
                    "T2",
                    T::Chemotherapy,
                    &[Capecitabine, Temozolomide],
                    "2000-11-01",
                    None,
                    None,
                )
                .inv("S2", &format!("2001-{:02}-01", 2 + (i % 9)), Response::Pd)
                .dead(&format!("2002-{:02}-01", 1 + (i % 12)))
        })
        .collect()
}

/// `n` patients on chemotherapy then everolimus, alive.
fn chemo_then_evero(n: usize) -> Vec<PatientCourse> {
    (0..n)
        .map(|i| {
            patient(&format!("C{i:03}"))
                .tx(
                    "T1",
                    T::Chemotherapy,
                    &[Streptozocin, Fluorouracil],
                    "2000-02-01",
                    Some("2000-06-01"),
                    Some(StopReason::Completed),
                )
                .inv("S1", "2000-04-01", Response::Pr)
                .inv("S2", "2000-08-01", Response::Pd)
                .tx("T2", T::Targeted, &[Everolimus], "2000-09-01", None, None)
                .inv(
                    "S3",
                    &format!("2001-{:02}-15", 1 + (i % 12)),
                    if i % 2 == 0 {
                        Response::Pd
                    } else {
                        Response::Sd
                    },
                )
        })
        .collect()
}

fn derive(courses: &[PatientCourse]) -> Vec<PatientLines> {
    courses
        .iter()
        .map(|c| line_outcomes(c, &LineRules::default()))
        .collect()
}

#[test]
fn reach_pathways_and_suppression() {
    let mut courses = evero_then_chemo(12, 0);
    courses.extend(chemo_then_evero(7));
    courses.extend((0..3).map(|i| patient(&format!("U{i}"))));
    courses.push(patient("X").tx(
        "T1",
        T::Interferon,
        &[InterferonAlpha],
        "2000-02-01",
        None,
        None,
    ));
    let lines = derive(&courses);
    let a = analyse(&lines, &SequenceOptions::default()).unwrap();
    assert_eq!(a.n_patients, Some(23));
    assert_eq!(a.n_treated, Some(20));
    let reach: Vec<(u32, Cell, Option<f64>)> = a
        .reach
        .iter()
        .map(|r| (r.line, r.n, r.share_of_previous))
        .collect();
    assert_eq!(reach[0], (1, Some(20), Some(20.0 / 23.0)));
    assert_eq!(reach[1], (2, Some(19), Some(19.0 / 20.0)));
    assert_eq!(reach[2], (3, Some(0), Some(0.0)));
    // Pathways: 12 and 7 shown; the 3 untreated and the 1 interferon
    // patient are pooled (4 < 5, so the pooled count is suppressed too).
    let p: Vec<(String, Option<&str>, Cell)> = a
        .pathways
        .iter()
        .map(|p| (p.steps.join(">"), p.end.map(|e| e.code()), p.n))
        .collect();
    assert_eq!(
        p,
        [
            (
                "L1 targeted>L2 chemotherapy".to_string(),
                Some("death"),
                Some(12)
            ),
            (
                "L1 chemotherapy>L2 targeted".to_string(),
                Some("no_further_treatment"),
                Some(7)
            ),
            ("other pathways".to_string(), None, None),
        ]
    );
    // Per line: line 1 has 20 patients; ORR: 7 PR among evaluable. The 12
    // everolimus patients have PD only (evaluable, PD); the interferon
    // patient has no scan (not evaluable).
    let l1 = &a.per_line[0];
    assert_eq!(
        (l1.n, l1.n_evaluable, l1.pr, l1.pd),
        (Some(20), Some(19), Some(7), Some(12))
    );
    let orr = l1.orr.unwrap();
    assert!((orr.estimate - 7.0 / 19.0).abs() < 1e-12);
    // DCR = ORR here (no SD): both numerators 7 ≥ 5, shown.
    assert!((l1.dcr.unwrap().estimate - 7.0 / 19.0).abs() < 1e-12);
    // Line 2: 19 patients; SD 3 of the 7 chemo→everolimus (i odd: 1, 3, 5)
    // is suppressed (< 5), and so is every rate built on it.
    let l2 = &a.per_line[1];
    assert_eq!(l2.n, Some(19));
    assert_eq!(l2.sd, None);
    assert_eq!(l2.pd, Some(16));
    assert_eq!(l2.dcr, None);
    // Without suppression every count is shown.
    let opts = SequenceOptions {
        min_cell: 0,
        ..SequenceOptions::default()
    };
    let b = analyse(&lines, &opts).unwrap();
    assert_eq!(b.per_line[1].sd, Some(3));
    assert_eq!(b.pathways.len(), 4);
    assert_eq!(b.pathways[2].n, Some(3));
    // Sankey: links L1→L2 (12 and 7) and to the ends; the interferon → end
    // link (1) is suppressed.
    let links: Vec<(String, String, u64)> = a
        .sankey
        .links
        .iter()
        .map(|l| (l.source.clone(), l.target.clone(), l.n))
        .collect();
    assert!(links.contains(&("L1 targeted".into(), "L2 chemotherapy".into(), 12)));
    assert!(links.contains(&("L2 chemotherapy".into(), "end: death".into(), 12)));
    assert!(links.contains(&("L2 targeted".into(), "end: no_further_treatment".into(), 7)));
    assert_eq!(a.sankey.suppressed_links, 1);
    let depth_of = |id: &str| a.sankey.nodes.iter().find(|n| n.id == id).unwrap().depth;
    assert_eq!(
        (
            depth_of("L1 targeted"),
            depth_of("L2 targeted"),
            depth_of("end: death")
        ),
        (1, 2, 3)
    );
}

#[test]
fn median_ttp_per_line_is_netra_stats_km_of_the_line_times() {
    let courses = evero_then_chemo(12, 0);
    let lines = derive(&courses);
    let a = analyse(
        &lines,
        &SequenceOptions {
            min_cell: 0,
            ..SequenceOptions::default()
        },
    )
    .unwrap();
    // Line 1 TTP: progression on the first of months 3..10 of 2000 (12
    // patients: months 3..10 then 3..6 again), all events.
    let mut t: Vec<f64> = lines
        .iter()
        .map(|p| f64::from(p.lines[0].ttp.as_ref().unwrap().days) / 30.4375)
        .collect();
    assert!(lines.iter().all(|p| p.lines[0].ttp.as_ref().unwrap().event));
    t.sort_by(f64::total_cmp);
    let curve = netra_stats::km::km(&t, &[true; 12], None, &Default::default()).unwrap();
    assert_eq!(a.per_line[0].median_months, curve.median().estimate);
    // Progression 29, 29, 60, 60, 90, 90, 121, 121, … days after the start:
    // S falls to exactly 0.5 at 90 days, so the median is the midpoint of
    // that step and the next (R's quantile.survfit): (90 + 121) / 2 days.
    let days = |m: f64| m * 30.4375;
    assert!((days(a.per_line[0].median_months.unwrap()) - (90.0 + 121.0) / 2.0).abs() < 1e-9);
    assert_eq!(a.per_line[0].events, Some(12));
    // 12 months is after the last time: no estimate (summary.survfit with
    // extend = FALSE), as `netra km --times` reports it.
    assert_eq!(a.per_line[0].landmark_rate, None);
}

#[test]
fn two_sequences_compared_by_pfs2_and_os() {
    let mut courses = evero_then_chemo(12, 0);
    courses.extend(chemo_then_evero(10));
    let rules = LineRules::default();
    let lines: Vec<PatientLines> = courses.iter().map(|c| line_outcomes(c, &rules)).collect();
    let get = |e: Endpoint| {
        let out = derive_cohort(&courses, &EndpointSpec::new(e, TimeZero::Line(1)), &rules);
        out.rows
    };
    let (pfs2, os) = (get(Endpoint::Pfs2), get(Endpoint::Os));
    let rows: Vec<_> = courses
        .iter()
        .map(|c| {
            let f = |v: &Vec<netra_clinical::endpoints::EndpointRow>| {
                v.iter()
                    .find(|r| r.patient == c.patient.code)
                    .map(|r| (r.time, r.event))
            };
            (f(&pfs2), f(&os))
        })
        .collect();
    let a = SequencePattern::parse("everolimus>chemotherapy").unwrap();
    let b = SequencePattern::parse("chemotherapy > everolimus").unwrap();
    let opts = SequenceOptions {
        min_cell: 0,
        ..SequenceOptions::default()
    };
    let c = compare(&lines, &rows, &a, &b, &opts).unwrap();
    assert_eq!(
        (c.os.a.n, c.os.a.events, c.os.b.n, c.os.b.events),
        (Some(12), Some(12), Some(10), Some(0))
    );
    assert_eq!((c.pfs2.a.events, c.pfs2.b.events), (Some(12), Some(5)));
    // The log-rank test is netra_stats' on the same rows.
    let (mut t, mut e, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in rows.iter().enumerate() {
        let (tt, ee) = r.1.unwrap();
        t.push(tt);
        e.push(ee);
        g.push(usize::from(i >= 12));
    }
    let lr =
        netra_stats::logrank::logrank(&t, &e, &g, None, netra_stats::logrank::Weights::LogRank)
            .unwrap();
    assert_eq!(c.os.chisq, Some(lr.chisq));
    assert!(c.os.p.unwrap() < 0.001);
    // Overlapping patterns are refused; unknown steps too.
    assert!(compare(&lines, &rows, &a, &a, &opts).is_err());
    assert!(SequencePattern::parse("everolimus>aspirin").is_err());
    assert!(SequencePattern::parse("").is_err());
    // Suppression: with min_cell 6 the 5 PFS2 events of B are hidden.
    let c = compare(
        &lines,
        &rows,
        &a,
        &b,
        &SequenceOptions {
            min_cell: 6,
            ..opts
        },
    )
    .unwrap();
    assert_eq!(c.pfs2.b.events, None);
}

#[test]
fn invalid_options_are_errors() {
    let lines = derive(&evero_then_chemo(3, 0));
    let bad = SequenceOptions {
        conf_level: 1.0,
        ..SequenceOptions::default()
    };
    assert!(analyse(&lines, &bad).is_err());
    let bad = SequenceOptions {
        landmark_months: f64::NAN,
        ..SequenceOptions::default()
    };
    assert!(analyse(&lines, &bad).is_err());
    // An empty cohort is not an error: every count is zero.
    let a = analyse(&[], &SequenceOptions::default()).unwrap();
    assert_eq!(a.n_patients, Some(0));
    assert!(a.pathways.is_empty());
    assert_eq!(a.per_line[0].n, Some(0));
}
