//! The patients of [`crate::sequence_trial`] written as registry courses,
//! so that the emulated trial can be run the way an analyst runs it: from
//! a registry bundle, through the lines of therapy the registry derives
//! (`netra simulate --model sequence_trial`, `[data] simulate = { model =
//! "sequence_trial" }` in study files; `examples/studies/sequences.toml`).
//!
//! # From a simulated patient to records (months → days of 30.4375)
//! * **Time zero** (SSA failure) is a date between 2010 and 2016 drawn
//!   from a stream of its own, so the simulated cohort is unchanged.
//! * **Somatostatin analogue** (octreotide LAR) from 3–24 months before
//!   time zero to time zero, stopped for progression; an imaging
//!   assessment at time zero records progressive disease on it (so the
//!   registry's time zero `ssa_progression` is the simulation's).
//!   Metastatic diagnosis 1–12 months before the analogue.
//! * **Line 1** at `line1_start`: everolimus 10 mg daily (targeted) or
//!   capecitabine + temozolomide (chemotherapy), ended at progression
//!   (stop reason progression) or death; assessments every 3 months on it
//!   (stable disease) and at progression (progressive disease).
//! * **The next treatment** at `next_start`: the other drug when the
//!   patient switched, else sunitinib (a deviation from both strategies).
//!   A treatment is recorded only when it starts before death or the end
//!   of follow-up (as in the simulation).
//! * **Covariates:** Ki-67 (one decimal) of a well-differentiated
//!   pancreatic primary (the WHO grade follows from it), ECOG at
//!   metastatic diagnosis (the simulation's baseline ECOG), high liver
//!   burden as liver metastases (pattern type III; the others have lymph
//!   node metastases only), age at time zero as the date of birth.
//! * **Outcome:** death (cause: the tumour) or alive at last follow-up.
//!
//! Two patients whose dates round to the same day can differ from the
//! simulation by a day; nothing else is changed.

use std::path::Path;

use netra_clinical::registry::model::{
    Assessment, Metastasis, Patient, PatientCourse, Treatment, TreatmentAgent, Tumour,
};
use netra_clinical::registry::vocab::*;
use netra_clinical::registry::{DateBounds, Day, PartialDate};

use crate::bundle::{BundleText, SimConfig, SimError, Summary, write_courses};
use crate::dist::{chance, days, patient_rng};
use crate::sequence_effect::TrueEffect;
use crate::sequence_study::{Coverage, coverage};
use crate::sequence_trial::{TrialCohort, TrialPatient};

const DAYS_PER_MONTH: f64 = 30.4375;
/// RMST horizon of the truth and of the simulation study, months.
pub const TAU: f64 = 36.0;

fn to_days(months: f64) -> i32 {
    (months * DAYS_PER_MONTH).round() as i32
}

fn agent(a: Agent, dose: f64, unit: &str, interval: f64) -> TreatmentAgent {
    TreatmentAgent {
        agent: a,
        agent_detail: None,
        dose: Some(dose),
        dose_unit: Some(unit.to_string()),
        interval_days: Some(interval),
        route: None,
        formulation: None,
        notes: None,
    }
}

/// A drug of the registry: octreotide LAR (before time zero),
/// everolimus, capecitabine + temozolomide, or sunitinib (another
/// treatment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drug {
    Octreotide,
    Everolimus,
    Captem,
    Sunitinib,
}

fn treatment(
    id: &str,
    drug: Drug,
    start: PartialDate,
    end: Option<(PartialDate, StopReason)>,
) -> Treatment {
    let (kind, agents) = match drug {
        Drug::Octreotide => (
            TreatmentType::SomatostatinAnalogue,
            vec![agent(Agent::Octreotide, 30.0, "mg", 28.0)],
        ),
        Drug::Everolimus => (
            TreatmentType::Targeted,
            vec![agent(Agent::Everolimus, 10.0, "mg", 1.0)],
        ),
        Drug::Captem => (
            TreatmentType::Chemotherapy,
            vec![
                agent(Agent::Capecitabine, 750.0, "mg/m2", 0.5),
                agent(Agent::Temozolomide, 200.0, "mg/m2", 1.0),
            ],
        ),
        Drug::Sunitinib => (
            TreatmentType::Targeted,
            vec![agent(Agent::Sunitinib, 37.5, "mg", 1.0)],
        ),
    };
    Treatment {
        id: id.to_string(),
        kind,
        surgery_type: None,
        start_date: Some(start),
        start_bounds: DateBounds::NONE,
        end_date: end.map(|e| e.0),
        end_bounds: DateBounds::NONE,
        intent: Some(Intent::Palliative),
        stop_reason: end.map(|e| e.1),
        line: None,
        target_organ: None,
        target_lesions: Vec::new(),
        notes: None,
        agents,
        administrations: Vec::new(),
    }
}

fn assessment(n: usize, date: PartialDate, treatment: &str, r: Response) -> Assessment {
    Assessment {
        id: format!("A{n:03}"),
        date,
        date_bounds: DateBounds::NONE,
        modality: Modality::Ct,
        criteria: Some(ResponseCriteria::Recist11),
        treatment: Some(treatment.to_string()),
        investigator_response: Some(r),
        notes: None,
        lesions: Vec::new(),
    }
}

/// The registry course of simulated patient `index` (see the module doc).
pub fn course(p: &TrialPatient, cfg: &SimConfig, index: u64) -> PatientCourse {
    let b = &p.base;
    // A stream of its own: the cohort's draws stay as they were.
    let mut rng = patient_rng(cfg.seed ^ 0x0c0a_75e5_1901, index);
    let origin = Day::from_ymd(2010, 1, 1).unwrap_or(Day(0));
    let t0 = origin.plus_days(days(&mut rng, 0, 6 * 365));
    let ssa_start = -days(&mut rng, 91, 730);
    let metastatic = ssa_start - days(&mut rng, 30, 365);
    let male = chance(&mut rng, 0.5);
    let date = |d: i32| t0.plus_days(d).to_partial();
    let end = to_days(p.time);
    let starts = |months: f64| months < p.time && to_days(months) < end;

    let first = if b.chemo_first {
        Drug::Captem
    } else {
        Drug::Everolimus
    };
    let other = if b.chemo_first {
        Drug::Everolimus
    } else {
        Drug::Captem
    };
    let progressed = p.progression < p.time && to_days(p.progression) <= end;
    let death_end = p.event.then(|| (date(end), StopReason::Death));
    let mut treatments = vec![treatment(
        "T01",
        Drug::Octreotide,
        date(ssa_start),
        Some((date(0), StopReason::Progression)),
    )];
    let mut assessments = vec![assessment(1, date(0), "T01", Response::Pd)];
    if starts(p.line1_start) {
        let l1 = to_days(p.line1_start);
        let stop = if progressed {
            Some((date(to_days(p.progression)), StopReason::Progression))
        } else {
            death_end
        };
        treatments.push(treatment("T02", first, date(l1), stop));
        let until = if progressed {
            to_days(p.progression)
        } else {
            end
        };
        let mut scan = l1 + 91;
        while scan < until {
            let n = assessments.len() + 1;
            assessments.push(assessment(n, date(scan), "T02", Response::Sd));
            scan += 91;
        }
        if progressed {
            let n = assessments.len() + 1;
            assessments.push(assessment(
                n,
                date(to_days(p.progression)),
                "T02",
                Response::Pd,
            ));
            if starts(p.next_start) {
                let drug = if p.switched { other } else { Drug::Sunitinib };
                treatments.push(treatment(
                    "T03",
                    drug,
                    date(to_days(p.next_start)),
                    death_end,
                ));
            }
        }
    }
    let birth = t0.plus_days(-((b.age * 365.25).round() as i32));
    let ki67 = ((b.ki67 * 10.0).round() / 10.0).max(0.1);
    let patient = Patient {
        code: cfg.patient_code(index),
        site: cfg.site_code(0),
        sex: if male { Sex::Male } else { Sex::Female },
        birth_date: Some(birth.to_partial()),
        age_at_entry: None,
        diagnosis_date: Some(date(metastatic)),
        diagnosis_bounds: DateBounds::NONE,
        metastatic_date: Some(date(metastatic)),
        metastatic_bounds: DateBounds::NONE,
        metastatic_setting: Some(MetastaticSetting::MetastaticAtDiagnosis),
        prior_stage: None,
        ecog: Some(b.ecog as u8),
        entry_date: Some(date(metastatic)),
        arm: None,
        excluded: None,
        exclusion_reason: None,
        last_followup_date: Some(date(end)),
        vital_status: if p.event {
            VitalStatus::Dead
        } else {
            VitalStatus::Alive
        },
        death_date: p.event.then(|| date(end)),
        death_bounds: DateBounds::NONE,
        death_cause: p.event.then_some(DeathCause::Disease),
        notes: None,
    };
    let mut c = PatientCourse::new(patient);
    c.tumours.push(Tumour {
        id: "1".to_string(),
        primary_site: PrimarySite::Pancreas,
        primary_site_detail: None,
        gi_segment: None,
        reported_type: Some("Neuroendocrine tumour".to_string()),
        functional_syndrome: Some(FunctionalSyndrome::NonFunctioning),
        differentiation: Some(Differentiation::Well),
        nec_cell_type: None,
        ki67_percent: Some(ki67),
        mitoses_per_2mm2: None,
        who_grade: None,
        seer_grade: None,
        grade_system: None,
        reported_grade: None,
        mitoses_per_10hpf: None,
        necrosis: None,
        stage: None,
        krenning_uptake: None,
        mibg_uptake: None,
        notes: None,
    });
    let site = |s: MetastasisSite, pattern: Option<LiverPattern>| Metastasis {
        site: s,
        detail: None,
        date: Some(date(metastatic)),
        at_metastatic_diagnosis: Some(true),
        liver_pattern: pattern,
        notes: None,
    };
    if b.liver_high {
        c.metastases
            .push(site(MetastasisSite::Liver, Some(LiverPattern::TypeIII)));
    }
    c.metastases.push(site(MetastasisSite::LymphNode, None));
    c.treatments = treatments;
    c.assessments = assessments;
    c
}

/// What a sequence registry's simulation knows that its records do not.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceFacts {
    /// The per-protocol truth of the registry written (C→E vs E→C).
    pub truth: Option<TrueEffect>,
    /// The simulation study (`None`: not asked for).
    pub coverage: Option<Coverage>,
    /// Rows written.
    pub summary: Summary,
}

impl SequenceFacts {
    /// `simulation.json`: the truth and the coverage (hand-written: the
    /// simulator has no serde).
    pub fn to_json(&self, cfg: &SimConfig) -> String {
        let num = |x: f64| {
            if x.is_finite() {
                format!("{x}")
            } else {
                "null".into()
            }
        };
        let truth = self.truth.map_or("null".into(), |t| {
            format!(
                "{{\"hr\": {}, \"rmst_difference\": {}, \"tau\": {}}}",
                num(t.hr),
                num(t.rmst_difference),
                num(TAU)
            )
        });
        let cov = self.coverage.map_or("null".into(), |c| {
            format!(
                "{{\"registries\": {}, \"patients\": {}, \"fitted\": {}, \"hr\": {}, \
                 \"rmst_difference\": {}, \"naive_hr\": {}, \"tau\": {}}}",
                c.registries,
                c.patients,
                c.fitted,
                c.hr,
                c.rmst,
                c.naive,
                num(TAU)
            )
        });
        format!(
            "{{\n  \"model\": \"sequence_trial\",\n  \"patients\": {},\n  \"seed\": {},\n  \
             \"truth\": {truth},\n  \"coverage\": {cov}\n}}\n",
            cfg.patients, cfg.seed
        )
    }
}

/// The cohort of a configuration (patients `cfg.patients`, seed
/// `cfg.seed`).
pub fn cohort(cfg: &SimConfig) -> Result<TrialCohort, SimError> {
    cfg.validate()?;
    if cfg.patients > 1_000_000 {
        return Err(SimError::Config(
            "the sequence_trial model draws at most 1000000 patients".into(),
        ));
    }
    Ok(crate::sequence_study::cohort(
        cfg.patients as usize,
        cfg.seed,
    ))
}

/// Writes the registry of `cfg` (one centre) into `dir` with
/// `simulation.json` (the truth; with `registries > 0` also the coverage
/// of the simulation study over that many registries of the same size).
pub fn write(cfg: &SimConfig, registries: usize, dir: &Path) -> Result<SequenceFacts, SimError> {
    let c = cohort(cfg)?;
    let cfg = SimConfig {
        sites: 1,
        ..cfg.clone()
    };
    let description = format!(
        "Synthetic registry of {} patients (seed {}) after somatostatin-analogue failure with a \
         known effect of the order of everolimus and chemotherapy (netra-sim sequence_trial; \
         docs/algorithms/sequence-effects.md)",
        cfg.patients, cfg.seed
    );
    let readme = format!(
        "# Simulated treatment-sequence registry\n\nSynthetic data, not patients: {} patients \
         written by `netra simulate --model sequence_trial --patients {} --seed {}` (netra-sim \
         {}). The per-protocol truth and the simulation study are in `simulation.json`; the \
         model is described in docs/algorithms/sequence-effects.md.\n",
        cfg.patients,
        cfg.patients,
        cfg.seed,
        env!("CARGO_PKG_VERSION")
    );
    let summary = write_courses(
        &cfg,
        dir,
        &BundleText {
            name: "Simulated treatment-sequence registry",
            description: &description,
            readme: &readme,
        },
        &|i| course(&c.patients[i as usize], &cfg, i),
        &mut |_| {},
    )?;
    let facts = SequenceFacts {
        truth: c.true_per_protocol(TAU),
        coverage: (registries > 0).then(|| coverage(registries, cfg.patients as usize, TAU)),
        summary,
    };
    let path = dir.join("simulation.json");
    std::fs::write(&path, facts.to_json(&cfg)).map_err(|source| SimError::Io { path, source })?;
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use netra_clinical::endpoints::line_outcomes;
    use netra_clinical::lines::LineRules;

    /// The registry's derived lines give back the simulation's time zero,
    /// line starts, progression and next treatment (to the day).
    #[test]
    fn derived_lines_give_back_the_simulated_course() {
        let cfg = SimConfig {
            patients: 300,
            seed: 5,
            ..SimConfig::default()
        };
        let c = cohort(&cfg).unwrap();
        let rules = LineRules {
            regimen_window_days: 0,
            ..LineRules::default()
        };
        let (mut switched, mut deviated) = (0, 0);
        for (i, p) in c.patients.iter().enumerate() {
            let course = course(p, &cfg, i as u64);
            let lines = line_outcomes(&course, &rules);
            let ssa = &lines.lines[0];
            assert_eq!(ssa.class, TreatmentClass::SomatostatinAnalogue);
            let t0 = ssa.start.day.0 + ssa.ttp.as_ref().filter(|t| t.event).unwrap().days;
            let day = |m: f64| t0 + to_days(m);
            let end = to_days(p.time);
            if to_days(p.line1_start) >= end {
                assert_eq!(lines.lines.len(), 1, "patient {i}");
                continue;
            }
            let l1 = &lines.lines[1];
            assert_eq!(l1.start.day.0, day(p.line1_start), "patient {i}");
            let first = if p.base.chemo_first {
                TreatmentClass::Chemotherapy
            } else {
                TreatmentClass::Targeted
            };
            assert_eq!(l1.class, first, "patient {i}");
            let progressed = p.progression < p.time && to_days(p.progression) <= end;
            let ttp = l1.ttp.as_ref().unwrap();
            assert_eq!(ttp.event, progressed, "patient {i}");
            if progressed {
                assert_eq!(l1.start.day.0 + ttp.days, day(p.progression), "patient {i}");
            }
            match lines.lines.get(2) {
                Some(l2) => {
                    assert_eq!(l2.start.day.0, day(p.next_start), "patient {i}");
                    let other = l2
                        .regimen
                        .iter()
                        .any(|a| a == "everolimus" || a == "capecitabine");
                    assert_eq!(other, p.switched, "patient {i}");
                    switched += usize::from(p.switched);
                    deviated += usize::from(!p.switched);
                }
                None => assert!(!progressed || to_days(p.next_start) >= end, "patient {i}"),
            }
        }
        // Both paths after progression occur.
        assert!(switched > 20 && deviated > 20, "{switched} {deviated}");
    }

    #[test]
    fn simulation_json_holds_the_truth_and_the_coverage() {
        let cfg = SimConfig {
            patients: 10,
            seed: 2,
            ..SimConfig::default()
        };
        let facts = SequenceFacts {
            truth: Some(TrueEffect {
                hr: 0.75,
                rmst_difference: 2.5,
            }),
            coverage: Some(Coverage {
                registries: 3,
                patients: 10,
                fitted: 3,
                hr: 2,
                rmst: 3,
                naive: 0,
            }),
            summary: Summary::default(),
        };
        let j = facts.to_json(&cfg);
        assert!(j.contains("\"truth\": {\"hr\": 0.75, \"rmst_difference\": 2.5, \"tau\": 36}"));
        assert!(j.contains("\"registries\": 3") && j.contains("\"naive_hr\": 0"));
        let none = SequenceFacts {
            truth: None,
            coverage: None,
            summary: Summary::default(),
        }
        .to_json(&cfg);
        assert!(none.contains("\"truth\": null") && none.contains("\"coverage\": null"));
    }
}
