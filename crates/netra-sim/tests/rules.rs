//! Every simulated row passes the registry's cell, row and cross-row rules,
//! and the course of each patient is coherent (what a data manager would
//! check by hand): records within life and follow-up, lines in order, stop
//! reasons consistent with what happened.

mod common;

use std::collections::{HashMap, HashSet};

use netra_clinical::registry::rules::{LifeSpan, check_against_patient, check_row};
use netra_clinical::registry::schema::{Entity, Value};
use netra_clinical::registry::vocab::*;

use common::{day, read_rows};

fn key_text(row: &[Value], positions: &[usize]) -> Vec<String> {
    positions
        .iter()
        .map(|&i| row[i].to_text().unwrap_or_default())
        .collect()
}

#[test]
fn every_row_passes_the_registry_rules() {
    let dir = common::simulate(2000, 11, 2);
    let patients = read_rows(dir.path(), Entity::Patient);
    let life: HashMap<String, (LifeSpan, bool)> = patients
        .iter()
        .map(|(_, r)| {
            let dead = r[Entity::Patient.spec().position("vital_status").unwrap()]
                .as_str()
                .unwrap()
                == "dead";
            (
                r[0].as_str().unwrap().to_string(),
                (LifeSpan::of_patient(r), dead),
            )
        })
        .collect();
    let mut keys: HashMap<Entity, HashSet<Vec<String>>> = HashMap::new();
    let mut total = 0usize;
    for e in Entity::ALL {
        let spec = e.spec();
        let rows = read_rows(dir.path(), e);
        // The simulator writes no stains, genetics, QoL or comorbidities.
        assert_eq!(
            rows.is_empty(),
            e > Entity::AdverseEvent,
            "{} is empty",
            spec.file
        );
        let kp = spec.key_positions();
        let mut seen: HashSet<Vec<String>> = HashSet::new();
        let mut previous: Option<Vec<String>> = None;
        for (line, row) in &rows {
            total += 1;
            let v = check_row(e, row);
            assert!(v.is_empty(), "{} line {line}: {v:?}", spec.file);
            if let Some(p) = spec.position("patient") {
                let code = row[p].as_str().unwrap();
                let (span, dead) = life
                    .get(code)
                    .unwrap_or_else(|| panic!("{} line {line}: unknown patient", spec.file));
                let v = check_against_patient(e, row, *span, *dead);
                assert!(v.is_empty(), "{} line {line}: {v:?}", spec.file);
            }
            let k = key_text(row, &kp);
            assert!(
                seen.insert(k.clone()),
                "{} line {line}: duplicate key {k:?}",
                spec.file
            );
            // Rows sorted by natural key, as export writes them.
            if let Some(prev) = &previous {
                assert!(*prev < k, "{} line {line}: {k:?} after {prev:?}", spec.file);
            }
            previous = Some(k);
            for r in &spec.references {
                let cols: Vec<usize> = r
                    .columns
                    .iter()
                    .map(|c| spec.position(c).unwrap())
                    .collect();
                if cols.iter().any(|&i| row[i].is_null()) {
                    continue;
                }
                let target = key_text(row, &cols);
                let known = keys.get(&r.target).is_some_and(|s| s.contains(&target));
                assert!(
                    known,
                    "{} line {line}: dangling reference {target:?}",
                    spec.file
                );
            }
        }
        keys.insert(e, seen);
    }
    assert!(total > 100_000, "only {total} rows");

    // Administrations belong to radionuclide treatments.
    let types: HashMap<(String, String), String> = read_rows(dir.path(), Entity::Treatment)
        .into_iter()
        .map(|(_, r)| {
            (
                (r[0].to_text().unwrap(), r[1].to_text().unwrap()),
                r[2].to_text().unwrap(),
            )
        })
        .collect();
    for (line, r) in read_rows(dir.path(), Entity::RadionuclideAdministration) {
        let k = (r[0].to_text().unwrap(), r[1].to_text().unwrap());
        assert_eq!(types[&k], "radionuclide", "line {line}");
    }
    // A lesion keeps its organ.
    let mut organ: HashMap<(String, String), String> = HashMap::new();
    for (line, r) in read_rows(dir.path(), Entity::Lesion) {
        let k = (r[0].to_text().unwrap(), r[2].to_text().unwrap());
        let o = r[3].to_text().unwrap();
        let prev = organ.entry(k).or_insert_with(|| o.clone());
        assert_eq!(*prev, o, "lesions.csv line {line}");
    }
}

#[test]
fn each_course_is_coherent() {
    let dir = common::simulate(2000, 12, 2);
    let bundle = common::load(dir.path());
    let mut lines_seen = 0;
    let mut deaths_on_line = 0;
    let mut toxicity_stops = 0;
    let mut partial_diagnosis = 0;
    for c in &bundle.courses {
        let p = &c.patient;
        let met = day(p.metastatic_date.unwrap());
        let last = day(p.last_followup_date.unwrap());
        assert!(last >= met, "{}", p.code);
        if p.diagnosis_date.unwrap().day.is_none() {
            partial_diagnosis += 1;
        }
        // Nothing after the last follow-up (or death).
        let mut dates = Vec::new();
        for t in &c.treatments {
            dates.extend(t.start_date);
            dates.extend(t.end_date);
            dates.extend(t.administrations.iter().filter_map(|a| a.date));
        }
        dates.extend(c.assessments.iter().map(|a| a.date));
        dates.extend(c.biomarkers.iter().map(|b| b.date));
        dates.extend(c.clinical_status.iter().map(|v| v.date));
        dates.extend(c.adverse_events.iter().filter_map(|e| e.onset_date));
        dates.extend(c.adverse_events.iter().filter_map(|e| e.resolution_date));
        for d in dates {
            assert!(
                !p.last_followup_date.unwrap().certainly_before(&d),
                "{}: {d} after last follow-up",
                p.code
            );
        }
        // Systemic lines: numbered 1, 2, … in start order; each later line
        // starts after the previous line's progression assessment.
        let mut sys: Vec<_> = c
            .treatments
            .iter()
            .filter(|t| t.kind.is_systemic())
            .collect();
        sys.sort_by_key(|t| day(t.start_date.unwrap()));
        let outcomes = common::lines(c);
        for (k, t) in sys.iter().enumerate() {
            lines_seen += 1;
            assert_eq!(t.line, Some(k as u32 + 1), "{} {}", p.code, t.id);
            assert_eq!(t.intent, Some(Intent::Palliative));
            if let Some(end) = t.end_date {
                assert!(day(end) >= day(t.start_date.unwrap()));
            }
            if k + 1 < sys.len() {
                assert!(
                    outcomes[k].progressed,
                    "{}: line {} not progressed",
                    p.code,
                    k + 1
                );
                let next = day(sys[k + 1].start_date.unwrap());
                let prog = day(t.start_date.unwrap()).0
                    + (outcomes[k].ttp * common::DAYS_PER_MONTH).round() as i32;
                assert!(
                    next.0 > prog,
                    "{}: line {} starts before progression",
                    p.code,
                    k + 2
                );
                if let Some(end) = t.end_date {
                    assert!(day(end) < next, "{}: lines overlap", p.code);
                }
                assert_ne!(t.stop_reason, Some(StopReason::Death));
            }
            match t.stop_reason {
                Some(StopReason::Death) => {
                    deaths_on_line += 1;
                    assert!(p.is_dead());
                }
                Some(StopReason::Toxicity) => {
                    toxicity_stops += 1;
                    // The event that stopped it is recorded.
                    assert!(
                        c.adverse_events
                            .iter()
                            .any(|e| e.treatment.as_deref() == Some(t.id.as_str())
                                && e.grade >= 2
                                && e.notes.as_deref() == Some("led to discontinuation")),
                        "{} {}: toxicity stop without its event",
                        p.code,
                        t.id
                    );
                }
                Some(StopReason::Progression) => {
                    assert!(outcomes[k].progressed, "{} {}", p.code, t.id);
                }
                _ => {}
            }
            if t.kind == TreatmentType::Radionuclide {
                assert!(!t.administrations.is_empty());
                for a in &t.administrations {
                    assert!(day(a.date.unwrap()) >= day(t.start_date.unwrap()));
                    assert!(a.activity_gbq > 0.5 && a.activity_gbq < 10.0);
                }
            }
        }
        // Assessments of a treatment come after its start.
        for a in &c.assessments {
            if let Some(t) = &a.treatment {
                let t = c.treatment(t).unwrap();
                assert!(day(a.date) > day(t.start_date.unwrap()));
            }
        }
        // A fatal adverse event is the recorded cause of death.
        for e in &c.adverse_events {
            if e.grade == 5 {
                assert_eq!(p.death_cause, Some(DeathCause::Treatment), "{}", p.code);
                if let Some(d) = p.death_date.filter(|d| d.is_complete()) {
                    assert_eq!(e.onset_date, Some(d), "{}", p.code);
                }
            }
        }
        // The grade recorded agrees with Ki-67 and mitoses (WHO 2019).
        let t = &c.tumours[0];
        if let Some(g) = t.who_grade
            && let Ok(Some(derived)) = netra_clinical::grade::who_2019_grade(
                t.differentiation,
                t.nec_cell_type,
                t.ki67_percent,
                t.mitoses_per_2mm2,
            )
        {
            assert_eq!(g, derived, "{}", p.code);
        }
    }
    assert!(lines_seen > 1500);
    assert!(deaths_on_line > 20, "{deaths_on_line}");
    assert!(toxicity_stops > 20, "{toxicity_stops}");
    // A few percent of diagnosis dates are known to the month only.
    assert!(
        (30..=140).contains(&partial_diagnosis),
        "{partial_diagnosis}"
    );
}

/// The lesion measurements, read with a minimal RECIST 1.1 rule, give
/// exactly the course the skeleton decided: evaluability, best response,
/// whether and when progression was seen.
#[test]
fn lesions_realise_the_intended_responses() {
    use netra_sim::dist::patient_rng;
    use netra_sim::skeleton::{self, Best};
    let model = netra_sim::Model::published();
    let cfg = netra_sim::SimConfig::default();
    let mut checked = 0;
    for i in 0..3000u64 {
        let sk = skeleton::draw(model, &model.tuning, &mut patient_rng(cfg.seed, i));
        let c = netra_sim::generate(model, &cfg, i);
        let got = common::lines(&c);
        assert_eq!(got.len(), sk.lines.len(), "patient {i}");
        for (l, g) in sk.lines.iter().zip(&got) {
            checked += 1;
            assert_eq!(
                l.evaluable,
                g.best.is_some(),
                "patient {i} line {}",
                l.number
            );
            if l.evaluable {
                let want = match l.best {
                    Best::Cr => Response::Cr,
                    Best::Pr => Response::Pr,
                    Best::Sd => Response::Sd,
                    Best::Pd => Response::Pd,
                };
                assert_eq!(g.best, Some(want), "patient {i} line {}", l.number);
            }
            assert_eq!(
                l.progression.is_some(),
                g.progressed,
                "patient {i} line {}",
                l.number
            );
            if g.progressed {
                let days = (g.ttp * common::DAYS_PER_MONTH).round() as i32;
                assert_eq!(days, l.ttp, "patient {i} line {}", l.number);
            }
        }
    }
    assert!(checked > 2500, "{checked}");
}
