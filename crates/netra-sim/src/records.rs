//! From a patient's skeleton to the registry records of their whole course.
//!
//! The skeleton fixes every calibrated quantity (dates of death, censoring,
//! treatments, progression assessments, best responses). This module
//! dresses it:
//!
//! * the tumour (grade group → SEER grade, differentiation, cell type, Ki-67
//!   and mitoses consistent with the WHO 2019 grade), functional syndrome,
//!   receptor imaging;
//! * metastatic sites, with sites added when a new lesion appears;
//! * lesions and imaging assessments: a staging scan at metastatic diagnosis,
//!   a baseline before each line, follow-up scans on the skeleton's days,
//!   monitoring scans outside lines. Target lesions follow RECIST 1.1 (at
//!   most five, two per organ; nodes by short axis ≥ 15 mm, other lesions
//!   ≥ 10 mm) and their sums are set so that RECIST gives the skeleton's
//!   response: partial response ≤ 68% of baseline, stable disease between
//!   74% of baseline and 115% of the nadir, progression ≥ 125% of the nadir
//!   and ≥ 6 mm more (margins keep integer millimetres and floating-point
//!   implementations of the rule on the same side), or a new lesion, or
//!   unequivocal progression of a non-target lesion;
//! * markers at metastatic diagnosis and along the course, following the
//!   tumour burden;
//! * treatments with agents, doses and radionuclide administrations;
//! * adverse events by regimen (CTCAE v5), including the one that stopped a
//!   line for toxicity and, rarely, a fatal one;
//! * clinical status at each visit.

use netra_clinical::registry::ctcae;
use netra_clinical::registry::model::{
    AdverseEvent, Assessment, Biomarker, ClinicalStatus, Lesion, Metastasis, Patient,
    PatientCourse, RadionuclideAdministration, Treatment, TreatmentAgent, Tumour,
};
use netra_clinical::registry::vocab::*;
use netra_clinical::registry::{DateBounds, PartialDate};

use crate::dist::{PatientRng, categorical, chance, days, normal, poisson, uniform, unit};
use crate::model::Model;
use crate::regimens::{AeSpec, LocalKind, Regimen, local_aes};
use crate::skeleton::{Best, Line, Skeleton, TreatmentGroup, site_index};
use netra_clinical::groups::CohortGrade;

/// Rounds to `d` decimals (for values a laboratory would print).
fn round_to(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

fn year_month(d: PartialDate) -> PartialDate {
    PartialDate {
        year: d.year,
        month: d.month,
        day: None,
    }
}

/// A lesion's state along the course.
#[derive(Debug, Clone)]
struct Les {
    id: String,
    organ: Organ,
    detail: Option<String>,
    nodal: bool,
    /// Bone and brain deposits are followed as non-target disease.
    can_measure: bool,
    /// Longest diameter, or short axis for nodes (whole mm); 0 = gone.
    size: f64,
    /// Perpendicular / longest, or longest / short axis for nodes.
    axis: f64,
    hu: f64,
}

impl Les {
    fn present(&self) -> bool {
        self.size > 0.0
    }

    fn measurable(&self) -> bool {
        self.can_measure && self.size >= if self.nodal { 15.0 } else { 10.0 }
    }
}

/// What one assessment records of one lesion.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Mark {
    Target,
    NonTarget(LesionStatus),
    New,
}

struct Ctx<'a> {
    model: &'a Model,
    sk: &'a Skeleton,
    rng: &'a mut PatientRng,
    lesions: Vec<Les>,
    next_lesion: u32,
    assessments: Vec<(i32, Assessment)>,
    new_sites: Vec<(MetastasisSite, Option<String>, i32)>,
    /// Tumour burden (sum of present sizes) by assessment day.
    burden: Vec<(i32, f64)>,
    /// Visits: day, symptoms, response at that visit.
    visits: Vec<(i32, Option<SymptomChange>, bool)>,
    modality: Modality,
    doubling_days: f64,
    last_scan: i32,
}

/// Builds the records of one patient.
pub fn course(
    model: &Model,
    sk: &Skeleton,
    code: &str,
    site: &str,
    rng: &mut PatientRng,
) -> PatientCourse {
    let a = &model.assumptions;
    let date = |d: i32| sk.met_day.plus_days(d).to_partial();
    let end = sk.end();

    // --- tumour and markers ------------------------------------------------
    let hiaa_u = unit(rng);
    let hiaa_value = round_to(model.hiaa.quantile(hiaa_u), 1);
    let hiaa_measured = chance(rng, a.hiaa_measured);
    let rho = a.nse_grade_correlation;
    let z = rho * sk.aggressiveness + (1.0 - rho * rho).sqrt() * normal(rng);
    let nse_value = round_to(
        model
            .nse
            .quantile(netra_stats::distributions::normal_cdf(z).clamp(1e-12, 1.0)),
        1,
    );
    let nse_measured = chance(rng, a.nse_measured);
    let tumour = tumour(model, sk, hiaa_measured.then_some(hiaa_value), rng);

    // --- lesions and assessments --------------------------------------------
    let modality = if sk.liver() && chance(rng, 0.25) {
        Modality::Mri
    } else {
        Modality::Ct
    };
    // Diameter doubling times (assumption): months for carcinomas, years
    // for well-differentiated tumours.
    let doubling_days = if sk.grade.is_high() { 240.0 } else { 1000.0 };
    let mut ctx = Ctx {
        model,
        sk,
        rng,
        lesions: Vec::new(),
        next_lesion: 1,
        assessments: Vec::new(),
        new_sites: Vec::new(),
        burden: Vec::new(),
        visits: Vec::new(),
        modality,
        doubling_days,
        last_scan: 0,
    };
    ctx.initial_lesions();
    ctx.imaging();
    let Ctx {
        rng,
        assessments,
        new_sites,
        burden,
        visits,
        ..
    } = ctx;

    // --- treatments ---------------------------------------------------------
    let mut drafts: Vec<Draft> = Vec::new();
    let diagnosis_offset = diagnosis_offset(sk, rng);
    if sk.setting == MetastaticSetting::RecurrentAfterResection {
        let day = diagnosis_offset + days(rng, 14, 90);
        let mut t = draft(TreatmentType::Surgery, day.min(-1), None);
        t.surgery = Some(SurgeryType::PrimaryResection);
        t.intent = Some(Intent::Curative);
        t.partial = chance(rng, 0.1);
        drafts.push(t);
    }
    if tumour.functional_syndrome == Some(FunctionalSyndrome::Gastrinoma) {
        let mut t = draft(TreatmentType::Supportive, -days(rng, 10, 60), None);
        t.agents
            .push(agent(Agent::ProtonPumpInhibitor, Some((40.0, "mg")), 1.0));
        t.intent = Some(Intent::SymptomControl);
        drafts.push(t);
    }
    if let Some(d) = sk.supportive {
        let mut t = draft(TreatmentType::Supportive, d, None);
        t.agents
            .push(agent(Agent::Analgesic, Some((30.0, "mg")), 1.0));
        t.intent = Some(Intent::SymptomControl);
        drafts.push(t);
        if chance(rng, 0.5) && sk.group == TreatmentGroup::SupportiveOnly && d + 1 < end {
            let mut t = draft(
                TreatmentType::Supportive,
                d + days(rng, 1, 60).min(end - 1 - d),
                None,
            );
            t.agents
                .push(agent(Agent::ProtonPumpInhibitor, Some((40.0, "mg")), 1.0));
            t.intent = Some(Intent::SymptomControl);
            drafts.push(t);
        }
    }
    for ev in &sk.locals {
        drafts.push(local_draft(ev.kind, ev.day, ev.end, rng));
    }
    for line in &sk.lines {
        drafts.push(line_draft(line));
    }
    // Analgesics for some after the last progression.
    if let Some(p) = sk.lines.last().and_then(|l| l.progression) {
        let d = p + days(rng, 7, 60);
        if chance(rng, 0.3) && d < end {
            let mut t = draft(TreatmentType::Supportive, d, None);
            t.agents
                .push(agent(Agent::Analgesic, Some((30.0, "mg")), 1.0));
            t.intent = Some(Intent::SymptomControl);
            drafts.push(t);
        }
    }
    // Ids in time order (T01, T02, …): the first treatment is T01 unless a
    // curative resection or a proton-pump inhibitor preceded the metastases.
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by_key(|&i| (drafts[i].start, i));
    let mut ids = vec![String::new(); drafts.len()];
    for (n, &i) in order.iter().enumerate() {
        ids[i] = format!("T{:02}", n + 1);
    }
    let line_ids: Vec<String> = (0..sk.lines.len())
        .map(|k| {
            let i = drafts
                .iter()
                .position(|d| d.line == Some(k as u32 + 1))
                .expect("line draft");
            ids[i].clone()
        })
        .collect();

    // --- adverse events -----------------------------------------------------
    let mut aes: Vec<AeDraft> = Vec::new();
    let mut fatal = false;
    for (k, line) in sk.lines.iter().enumerate() {
        let spec = line.regimen.spec();
        let stop_day = line.end.unwrap_or(end).min(end);
        let span = (stop_day - line.start).max(0);
        let mean = if span >= 7 {
            spec.ae_mean
        } else {
            0.3 * spec.ae_mean
        };
        for _ in 0..poisson(rng, mean) {
            let onset = line.start + (f64::from(span) * unit(rng)) as i32;
            aes.push(ae_draft(spec.aes, onset, None, &line_ids[k], end, rng));
        }
        match line.stop {
            Some(StopReason::Toxicity) | Some(StopReason::PatientChoice) => {
                let onset = (stop_day - days(rng, 0, 7)).max(line.start);
                let grade = if line.stop == Some(StopReason::Toxicity) && chance(rng, 0.7) {
                    3
                } else {
                    2
                };
                let mut e = ae_draft(spec.aes, onset, Some(grade), &line_ids[k], end, rng);
                e.attribution = Attribution::Probable;
                e.note = Some("led to discontinuation");
                aes.push(e);
            }
            Some(StopReason::Death)
                if sk.dead() && line.regimen.is_chemotherapy() && chance(rng, 0.08) =>
            {
                fatal = true;
                aes.push(AeDraft {
                    term: if chance(rng, 0.6) {
                        "Febrile neutropenia"
                    } else {
                        "Sepsis"
                    },
                    grade: 5,
                    onset: sk.death,
                    resolution: None,
                    attribution: Attribution::Probable,
                    serious: true,
                    treatment: line_ids[k].clone(),
                    note: None,
                });
            }
            _ => {}
        }
    }
    for (i, d) in drafts.iter().enumerate() {
        if let Some(kind) = d.local {
            let (mean, terms) = local_aes(kind);
            for _ in 0..poisson(rng, mean) {
                let onset = d.start + days(rng, 0, 3);
                aes.push(ae_draft(terms, onset, None, &ids[i], end, rng));
            }
        }
    }
    aes.retain(|e| e.onset <= end && e.onset >= 0);
    aes.sort_by_key(|e| e.onset);

    // --- patient ------------------------------------------------------------
    let age_days = (sk.age * 365.25).round() as i32;
    let birth = sk.met_day.plus_days(-age_days).to_partial();
    let mut diagnosis = date(diagnosis_offset);
    if chance(rng, a.partial_diagnosis_date) {
        diagnosis = year_month(diagnosis);
    }
    let dead = sk.dead();
    let mut death_date = dead.then(|| date(sk.death));
    if dead && chance(rng, a.partial_death_date) {
        death_date = death_date.map(year_month);
    }
    let last_followup = if dead {
        death_date
    } else {
        Some(date(sk.censor))
    };
    let ecog0 = categorical(rng, &[0.3, 0.45, 0.18, 0.06, 0.01]) as u8;
    let patient = Patient {
        code: code.to_string(),
        site: site.to_string(),
        sex: if sk.male { Sex::Male } else { Sex::Female },
        birth_date: Some(PartialDate {
            year: birth.year,
            month: None,
            day: None,
        }),
        age_at_entry: None,
        diagnosis_date: Some(diagnosis),
        diagnosis_bounds: DateBounds::NONE,
        metastatic_date: Some(date(0)),
        metastatic_bounds: DateBounds::NONE,
        metastatic_setting: Some(sk.setting),
        prior_stage: Some(sk.prior_stage),
        ecog: Some(ecog0),
        entry_date: Some(date(0)),
        arm: None,
        excluded: None,
        exclusion_reason: None,
        last_followup_date: last_followup,
        vital_status: if dead {
            VitalStatus::Dead
        } else if sk.lost {
            VitalStatus::LostToFollowUp
        } else {
            VitalStatus::Alive
        },
        death_date,
        death_bounds: DateBounds::NONE,
        death_cause: dead.then(|| {
            if fatal {
                DeathCause::Treatment
            } else {
                [
                    DeathCause::Disease,
                    DeathCause::OtherCause,
                    DeathCause::Unknown,
                ][categorical(rng, &[0.85, 0.07, 0.08])]
            }
        }),
        notes: None,
    };
    let mut c = PatientCourse::new(patient);
    c.tumours.push(tumour);

    // --- metastases ---------------------------------------------------------
    for s in MetastasisSite::ALL {
        if !sk.sites[site_index(*s)] {
            continue;
        }
        let mut d = date(0);
        if chance(rng, 0.03) {
            d = year_month(d);
        }
        c.metastases.push(Metastasis {
            site: *s,
            detail: (*s == MetastasisSite::Other).then(|| other_site_detail(sk)),
            date: Some(d),
            at_metastatic_diagnosis: Some(true),
            liver_pattern: (*s == MetastasisSite::Liver).then(|| {
                [
                    LiverPattern::TypeI,
                    LiverPattern::TypeII,
                    LiverPattern::TypeIII,
                ][liver_pattern_index(sk, model)]
            }),
            notes: None,
        });
    }
    for (site, detail, day) in new_sites {
        if c.metastases.iter().any(|m| m.site == site) {
            continue;
        }
        c.metastases.push(Metastasis {
            site,
            detail,
            date: Some(date(day)),
            at_metastatic_diagnosis: Some(false),
            liver_pattern: None,
            notes: None,
        });
    }
    c.metastases.sort_by(|x, y| {
        (x.site.code(), x.detail.as_deref()).cmp(&(y.site.code(), y.detail.as_deref()))
    });

    // --- biomarkers ---------------------------------------------------------
    let marker_day = days(rng, 0, 14).min(end - 1).max(0);
    let burden0 = burden.first().map(|b| b.1).unwrap_or(1.0).max(1.0);
    let push_series = |c: &mut PatientCourse,
                       marker: Marker,
                       value: f64,
                       unit_text: &str,
                       upper: f64,
                       decimals: i32,
                       follow: bool,
                       rng: &mut PatientRng| {
        c.biomarkers.push(Biomarker {
            marker,
            marker_detail: None,
            date: date(marker_day),
            value,
            unit: unit_text.to_string(),
            lower_limit: None,
            upper_limit: Some(upper),
            result: None,
            notes: None,
        });
        if !follow {
            return;
        }
        for &(d, b) in burden.iter().filter(|(d, _)| *d > marker_day) {
            let v = value * (b.max(1.0) / burden0).powf(0.9) * (0.15 * normal(rng)).exp();
            c.biomarkers.push(Biomarker {
                marker,
                marker_detail: None,
                date: date(d),
                value: round_to(v, decimals).max(10f64.powi(-decimals)),
                unit: unit_text.to_string(),
                lower_limit: None,
                upper_limit: Some(upper),
                result: None,
                notes: None,
            });
        }
    };
    if hiaa_measured {
        let follow = hiaa_value > model.calibration.hiaa.upper_limit;
        push_series(
            &mut c,
            Marker::Urinary5Hiaa,
            hiaa_value,
            "umol/d",
            model.calibration.hiaa.upper_limit,
            1,
            follow,
            rng,
        );
    }
    if nse_measured {
        let follow = nse_value > model.calibration.nse.upper_limit;
        push_series(
            &mut c,
            Marker::Nse,
            nse_value,
            "ug/dL",
            model.calibration.nse.upper_limit,
            1,
            follow,
            rng,
        );
    }
    if chance(rng, a.cga_measured) {
        let v = round_to((250f64.ln() + 1.2 * normal(rng)).exp(), 0).max(5.0);
        push_series(
            &mut c,
            Marker::ChromograninA,
            v,
            "ug/L",
            100.0,
            0,
            v > 100.0,
            rng,
        );
    }
    let functional = match c.tumours[0].functional_syndrome {
        Some(FunctionalSyndrome::Gastrinoma) => Some((Marker::Gastrin, 1500.0, 1.0, "ng/L", 100.0)),
        Some(FunctionalSyndrome::Insulinoma) => Some((Marker::Insulin, 40.0, 0.5, "mU/L", 25.0)),
        Some(FunctionalSyndrome::Vipoma) => Some((Marker::Vip, 150.0, 0.6, "pmol/L", 30.0)),
        Some(FunctionalSyndrome::Glucagonoma) => {
            Some((Marker::Glucagon, 1000.0, 0.7, "ng/L", 150.0))
        }
        _ => None,
    };
    if let Some((m, median, sd, u, upper)) = functional {
        let v = round_to((f64::ln(median) + sd * normal(rng)).exp(), 0).max(1.0);
        push_series(&mut c, m, v, u, upper, 0, false, rng);
    }
    c.biomarkers.sort_by(|x, y| {
        (x.marker.code(), x.date.to_string()).cmp(&(y.marker.code(), y.date.to_string()))
    });

    // --- treatments, assessments, visits, adverse events --------------------
    for (i, d) in drafts.into_iter().enumerate() {
        c.treatments.push(d.into_treatment(ids[i].clone(), &date));
    }
    c.treatments.sort_by(|x, y| x.id.cmp(&y.id));
    for (_, mut a) in assessments {
        if let Some(k) = a.treatment.take() {
            let k: usize = k.parse().expect("line index");
            a.treatment = Some(line_ids[k].clone());
        }
        c.assessments.push(a);
    }
    let mut ecog = ecog0;
    let weight0 = if sk.male {
        uniform(rng, 58.0, 82.0)
    } else {
        uniform(rng, 46.0, 70.0)
    };
    let mut weight = weight0;
    let carcinoid = c.tumours[0].functional_syndrome == Some(FunctionalSyndrome::CarcinoidSyndrome);
    let mut seen: Vec<i32> = Vec::new();
    let mut status_days: Vec<(i32, Option<SymptomChange>, bool)> = vec![(0, None, false)];
    status_days.extend(sk.lines.iter().map(|l| (l.start, None, false)));
    status_days.extend(visits);
    status_days.sort_by_key(|v| v.0);
    for (d, symptoms, progressed) in status_days {
        if seen.contains(&d) || d > end {
            continue;
        }
        seen.push(d);
        if progressed {
            weight -= uniform(rng, 0.0, 3.0);
            if chance(rng, 0.4) {
                ecog = (ecog + 1).min(4);
            }
        } else {
            weight += uniform(rng, -1.0, 1.0);
        }
        c.clinical_status.push(ClinicalStatus {
            date: date(d),
            ecog: Some(ecog),
            symptom_score: carcinoid.then(|| f64::from(days(rng, 0, 8))),
            symptoms,
            weight_kg: Some(round_to(weight.max(30.0), 1)),
            flushing_per_day: None,
            diarrhoea_per_day: None,
            notes: None,
        });
    }
    for (n, e) in aes.into_iter().enumerate() {
        c.adverse_events.push(AdverseEvent {
            id: format!("AE{:02}", n + 1),
            term: e.term.to_string(),
            grade: e.grade,
            onset_date: Some(date(e.onset)),
            resolution_date: e.resolution.map(date),
            attribution: Some(e.attribution),
            serious: Some(e.serious),
            treatment: Some(e.treatment),
            notes: e.note.map(str::to_string),
        });
    }
    c
}

/// Days from metastatic to first diagnosis (≤ 0): the same day when
/// metastatic at diagnosis; otherwise a log-normal interval (median 30
/// months after resection, 12 months for progression), at most age − 16 years.
fn diagnosis_offset(sk: &Skeleton, rng: &mut PatientRng) -> i32 {
    let (median, lo, hi) = match sk.setting {
        MetastaticSetting::MetastaticAtDiagnosis => return 0,
        MetastaticSetting::RecurrentAfterResection => (30.0, 6.0, 180.0),
        MetastaticSetting::ProgressedFromNonMetastatic => (12.0, 3.0, 120.0),
    };
    let months = (f64::ln(median) + 0.6 * normal(rng))
        .exp()
        .clamp(lo, hi)
        .min((sk.age - 16.0) * 12.0);
    -((months * crate::skeleton::DAYS_PER_MONTH).round() as i32).max(1)
}

fn liver_pattern_index(sk: &Skeleton, model: &Model) -> usize {
    // Deterministic from the aggressiveness score so that the lesion layout
    // drawn earlier and the recorded pattern agree without another draw.
    let p = model.assumptions.liver_pattern;
    let u = netra_stats::distributions::normal_cdf(sk.aggressiveness);
    if u < p[0] {
        0
    } else if u < p[0] + p[1] {
        1
    } else {
        2
    }
}

fn other_site_detail(sk: &Skeleton) -> String {
    const D: [&str; 5] = ["soft tissue", "pleura", "spleen", "ovary", "skin"];
    D[(sk.aggressiveness.abs() * 1000.0) as usize % D.len()].to_string()
}

fn tumour(model: &Model, sk: &Skeleton, hiaa: Option<f64>, rng: &mut PatientRng) -> Tumour {
    let a = &model.assumptions;
    use CohortGrade as G;
    let (diff, cell, seer, ki67, mitoses): (
        Option<Differentiation>,
        Option<NecCellType>,
        Option<SeerGrade>,
        f64,
        f64,
    ) = match sk.grade {
        G::G1 => (
            Some(Differentiation::Well),
            None,
            Some(SeerGrade::G1),
            round_to(uniform(rng, 0.5, 2.9), 1),
            f64::from(days(rng, 0, 1)),
        ),
        G::G2 => (
            Some(Differentiation::Well),
            None,
            Some(SeerGrade::G2),
            f64::from(days(rng, 3, 20)),
            f64::from(days(rng, 2, 20)),
        ),
        G::G3 => {
            if chance(rng, a.g3_well_differentiated) {
                (
                    Some(Differentiation::Well),
                    None,
                    Some(SeerGrade::G3),
                    f64::from(days(rng, 21, 55)),
                    f64::from(days(rng, 5, 30)),
                )
            } else {
                (
                    Some(Differentiation::Poor),
                    Some(NecCellType::Unspecified),
                    Some(SeerGrade::G3),
                    f64::from(days(rng, 30, 90)),
                    f64::from(days(rng, 20, 80)),
                )
            }
        }
        G::LargeCell => (
            Some(Differentiation::Poor),
            Some(NecCellType::LargeCell),
            Some(SeerGrade::G3),
            f64::from(days(rng, 40, 90)),
            f64::from(days(rng, 20, 100)),
        ),
        G::SmallCell => (
            Some(Differentiation::Poor),
            Some(NecCellType::SmallCell),
            Some(SeerGrade::G4),
            f64::from(days(rng, 60, 100)),
            f64::from(days(rng, 30, 150)),
        ),
        G::Unclassified => (Some(Differentiation::Unknown), None, None, 0.0, 0.0),
        G::Unavailable => (None, None, None, 0.0, 0.0),
    };
    let graded = seer.is_some();
    let ki67 = (graded && chance(rng, a.ki67_recorded)).then_some(ki67);
    let mitoses = (graded && chance(rng, a.mitoses_recorded)).then_some(mitoses);
    let who = if graded {
        netra_clinical::grade::who_2019_grade(diff, cell, ki67, mitoses)
            .ok()
            .flatten()
            .or(match sk.grade {
                G::G1 => Some(WhoGrade::G1),
                G::G2 => Some(WhoGrade::G2),
                G::G3 if diff == Some(Differentiation::Well) => Some(WhoGrade::G3),
                _ => None,
            })
    } else {
        None
    };
    let pancreas = sk.primary == PrimarySite::Pancreas;
    let syndrome = if chance(rng, 0.08) {
        None
    } else if pancreas {
        Some(
            [
                FunctionalSyndrome::NonFunctioning,
                FunctionalSyndrome::Gastrinoma,
                FunctionalSyndrome::Insulinoma,
                FunctionalSyndrome::Glucagonoma,
                FunctionalSyndrome::Vipoma,
                FunctionalSyndrome::Somatostatinoma,
                FunctionalSyndrome::Other,
            ][categorical(rng, &[0.75, 0.10, 0.04, 0.04, 0.03, 0.01, 0.03])],
        )
    } else if hiaa.is_some_and(|v| v > 3.0 * model.calibration.hiaa.upper_limit) && chance(rng, 0.8)
    {
        Some(FunctionalSyndrome::CarcinoidSyndrome)
    } else {
        Some(FunctionalSyndrome::NonFunctioning)
    };
    let reported = match (sk.grade, syndrome) {
        (G::SmallCell, _) => Some("Small cell carcinoma"),
        (G::LargeCell, _) => Some("Large cell neuroendocrine carcinoma"),
        (_, Some(FunctionalSyndrome::Gastrinoma)) => Some("Gastrinoma"),
        (_, Some(FunctionalSyndrome::Insulinoma)) => Some("Insulinoma"),
        (_, Some(FunctionalSyndrome::Glucagonoma)) => Some("Glucagonoma"),
        (_, Some(FunctionalSyndrome::Vipoma)) => Some("Vipoma"),
        (G::G3, _) if diff == Some(Differentiation::Poor) => Some("Neuroendocrine carcinoma"),
        (G::Unavailable, _) => None,
        _ if pancreas && chance(rng, 0.3) => Some("Islet cell tumour"),
        _ if chance(rng, 0.4) => Some("Carcinoid"),
        _ => Some("Neuroendocrine tumour"),
    };
    let prrt = sk.lines.iter().any(|l| {
        matches!(
            l.regimen,
            Regimen::Lutetium | Regimen::Yttrium | Regimen::Indium
        )
    });
    let mibg_therapy = sk.lines.iter().any(|l| l.regimen == Regimen::Mibg);
    let well = diff != Some(Differentiation::Poor);
    let krenning = if prrt {
        Some(days(rng, 3, 4) as u8)
    } else if chance(rng, 0.55) {
        let w: &[f64] = if well {
            &[0.1, 0.1, 0.25, 0.35, 0.2]
        } else {
            &[0.4, 0.3, 0.2, 0.1, 0.0]
        };
        Some(categorical(rng, w) as u8)
    } else {
        None
    };
    let mibg = if mibg_therapy {
        Some(3)
    } else if chance(rng, 0.1) {
        Some(categorical(rng, &[0.4, 0.3, 0.2, 0.1]) as u8)
    } else {
        None
    };
    let stage = match sk.setting {
        MetastaticSetting::MetastaticAtDiagnosis => {
            Some(format!("T{}N{}M1", days(rng, 1, 4), days(rng, 0, 1)))
        }
        _ if chance(rng, 0.7) => Some(format!(
            "T{}N{}M0",
            days(rng, 1, 3),
            u8::from(sk.prior_stage == SummaryStage::Regional)
        )),
        _ => None,
    };
    Tumour {
        id: "1".to_string(),
        primary_site: sk.primary,
        primary_site_detail: sk.primary_detail.map(str::to_string),
        gi_segment: sk.segment,
        reported_type: reported.map(str::to_string),
        functional_syndrome: syndrome,
        differentiation: diff,
        nec_cell_type: cell,
        ki67_percent: ki67,
        mitoses_per_2mm2: mitoses,
        who_grade: who,
        seer_grade: seer,
        grade_system: None,
        reported_grade: None,
        mitoses_per_10hpf: None,
        necrosis: None,
        stage,
        krenning_uptake: krenning,
        mibg_uptake: mibg,
        notes: (sk.grade == CohortGrade::Unavailable)
            .then(|| "pathology report not available".to_string()),
    }
}

impl Ctx<'_> {
    fn add_lesion(&mut self, organ: Organ, detail: Option<String>, size: f64) -> usize {
        let nodal = organ == Organ::LymphNode;
        let can_measure = !matches!(organ, Organ::Bone | Organ::Brain);
        let axis = if nodal {
            uniform(self.rng, 1.2, 1.7)
        } else {
            uniform(self.rng, 0.6, 0.95)
        };
        let hu = uniform(self.rng, 40.0, 110.0).round();
        self.lesions.push(Les {
            id: format!("L{:02}", self.next_lesion),
            organ,
            detail,
            nodal,
            can_measure,
            size: if can_measure {
                size.round().max(1.0)
            } else {
                10.0
            },
            axis,
            hu,
        });
        self.next_lesion += 1;
        self.lesions.len() - 1
    }

    fn lognormal(&mut self, median: f64, sd: f64, lo: f64, hi: f64) -> f64 {
        (median.ln() + sd * normal(self.rng)).exp().clamp(lo, hi)
    }

    fn initial_lesions(&mut self) {
        let sk = self.sk;
        const SEGMENTS: [&str; 7] = ["II", "III", "IVa", "V", "VI", "VII", "VIII"];
        if sk.liver() {
            let pattern = liver_pattern_index(sk, self.model);
            let sizes: Vec<f64> = match pattern {
                0 => vec![self.lognormal(35.0, 0.4, 12.0, 150.0)],
                1 => vec![
                    self.lognormal(50.0, 0.3, 20.0, 150.0),
                    self.lognormal(15.0, 0.3, 8.0, 30.0),
                    self.lognormal(15.0, 0.3, 8.0, 30.0),
                ],
                _ => {
                    let n = days(self.rng, 4, 6);
                    let mut v = vec![self.lognormal(25.0, 0.3, 12.0, 80.0)];
                    for _ in 1..n {
                        v.push(self.lognormal(18.0, 0.35, 8.0, 60.0));
                    }
                    v
                }
            };
            for (i, s) in sizes.into_iter().enumerate() {
                let seg = SEGMENTS[(i * 3 + pattern) % SEGMENTS.len()];
                self.add_lesion(Organ::Liver, Some(format!("segment {seg}")), s);
            }
        }
        let on = |s: MetastasisSite| sk.sites[site_index(s)];
        if on(MetastasisSite::LymphNode) {
            const STATIONS: [&str; 5] = [
                "para-aortic",
                "hepatic hilum",
                "mesenteric",
                "mediastinal",
                "supraclavicular",
            ];
            let s0 = uniform(self.rng, 15.0, 35.0);
            let st = days(self.rng, 0, 4) as usize;
            self.add_lesion(Organ::LymphNode, Some(STATIONS[st].into()), s0);
            if chance(self.rng, 0.5) {
                let s1 = uniform(self.rng, 10.0, 25.0);
                self.add_lesion(Organ::LymphNode, Some(STATIONS[(st + 2) % 5].into()), s1);
            }
        }
        if on(MetastasisSite::Lung) {
            let n = days(self.rng, 1, 3);
            for i in 0..n {
                let s = if i == 0 {
                    uniform(self.rng, 10.0, 25.0)
                } else {
                    uniform(self.rng, 5.0, 15.0)
                };
                let side = if i % 2 == 0 { "right" } else { "left" };
                self.add_lesion(Organ::Lung, Some(format!("{side} lung")), s);
            }
        }
        if on(MetastasisSite::Bone) {
            const BONES: [&str; 4] = ["L2 vertebra", "iliac bone", "rib", "femur"];
            let b = BONES[days(self.rng, 0, 3) as usize];
            self.add_lesion(Organ::Bone, Some(b.into()), 0.0);
        }
        if on(MetastasisSite::Brain) {
            self.add_lesion(Organ::Brain, None, 0.0);
        }
        if on(MetastasisSite::Peritoneum) {
            let s = uniform(self.rng, 15.0, 45.0);
            self.add_lesion(Organ::Peritoneum, None, s);
        }
        if on(MetastasisSite::Adrenal) {
            let s = uniform(self.rng, 12.0, 40.0);
            self.add_lesion(Organ::Adrenal, None, s);
        }
        if on(MetastasisSite::Other) {
            let s = uniform(self.rng, 12.0, 40.0);
            self.add_lesion(Organ::SoftTissue, Some(other_site_detail(sk)), s);
        }
    }

    /// Natural growth of every present lesion up to `day`: logistic in the
    /// diameter, doubling every `doubling_days` while small and levelling
    /// off towards 150 mm.
    fn grow_to(&mut self, day: i32) {
        let dt = f64::from(day - self.last_scan).max(0.0);
        let r = std::f64::consts::LN_2 / self.doubling_days * dt;
        for l in &mut self.lesions {
            if l.present() && l.can_measure {
                l.size = (logistic(l.size, r) * (0.05 * normal(self.rng)).exp())
                    .round()
                    .clamp(3.0, MAX_SIZE);
            }
        }
    }

    /// RECIST target selection among present lesions: the largest
    /// measurable, at most two per organ and five in all.
    fn select_targets(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.lesions.len())
            .filter(|&i| self.lesions[i].present() && self.lesions[i].measurable())
            .collect();
        idx.sort_by(|&a, &b| {
            self.lesions[b]
                .size
                .total_cmp(&self.lesions[a].size)
                .then(a.cmp(&b))
        });
        let mut out: Vec<usize> = Vec::new();
        for i in idx {
            let organ = self.lesions[i].organ;
            if out.len() < 5
                && out
                    .iter()
                    .filter(|&&j| self.lesions[j].organ == organ)
                    .count()
                    < 2
            {
                out.push(i);
            }
        }
        out.sort_unstable();
        out
    }

    fn burden(&self) -> f64 {
        self.lesions
            .iter()
            .filter(|l| l.present() && l.can_measure)
            .map(|l| l.size)
            .sum()
    }

    /// Records an assessment of the present lesions (and `marks` overrides).
    fn record(
        &mut self,
        day: i32,
        marks: &[(usize, Mark)],
        default_targets: &[usize],
        line: Option<usize>,
        response: Option<Response>,
        include_absent: &[usize],
    ) {
        let ct = self.modality == Modality::Ct;
        let mut lesions = Vec::new();
        for (i, l) in self.lesions.iter().enumerate() {
            let mark = marks.iter().find(|(j, _)| *j == i).map(|m| m.1);
            if !l.present() && mark.is_none() && !include_absent.contains(&i) {
                continue;
            }
            let mark = mark.unwrap_or(if default_targets.contains(&i) {
                Mark::Target
            } else if l.present() {
                Mark::NonTarget(LesionStatus::Present)
            } else {
                Mark::NonTarget(LesionStatus::Absent)
            });
            let (role, status) = match mark {
                Mark::Target => (LesionRole::Target, None),
                Mark::NonTarget(s) => (LesionRole::NonTarget, Some(s)),
                Mark::New => (LesionRole::New, Some(LesionStatus::Present)),
            };
            let measured = l.can_measure && (role == LesionRole::Target || l.present());
            let (longest, perp, short) = if !measured {
                (None, None, None)
            } else if l.nodal {
                let long = (l.size * l.axis).round().max(l.size);
                (Some(long), Some(l.size), Some(l.size))
            } else {
                (
                    Some(l.size),
                    Some((l.size * l.axis).round().min(l.size)),
                    None,
                )
            };
            let viable = (!ct && l.organ == Organ::Liver && l.size > 0.0)
                .then(|| (l.size * 0.8).round().min(l.size));
            lesions.push(Lesion {
                id: l.id.clone(),
                organ: l.organ,
                organ_detail: l.detail.clone(),
                role,
                longest_mm: longest,
                perpendicular_mm: perp,
                short_axis_mm: short,
                viable_mm: viable,
                attenuation_hu: (ct && measured && l.size > 0.0 && l.organ == Organ::Liver)
                    .then_some(l.hu),
                status,
                notes: None,
            });
        }
        lesions.sort_by(|a, b| a.id.cmp(&b.id));
        let recorded = response.filter(|_| chance(self.rng, 0.7));
        let n = self.assessments.len() + 1;
        self.assessments.push((
            day,
            Assessment {
                id: format!("A{n:03}"),
                date: self.sk.met_day.plus_days(day).to_partial(),
                date_bounds: DateBounds::NONE,
                modality: if n == 1 { Modality::Ct } else { self.modality },
                criteria: recorded.map(|_| ResponseCriteria::Recist11),
                treatment: line.map(|k| k.to_string()),
                investigator_response: recorded,
                notes: None,
                lesions,
            },
        ));
        let b = self.burden();
        self.burden.push((day, b));
        self.last_scan = day;
    }

    /// All imaging of the course, in time order.
    fn imaging(&mut self) {
        let sk = self.sk;
        let end = sk.end();
        let reuse = sk.lines.first().filter(|l| l.start <= 21);
        let staging_targets = if reuse.is_some_and(|l| !l.measured) {
            Vec::new()
        } else {
            self.select_targets()
        };
        self.record(0, &[], &staging_targets, None, None, &[]);
        let first_line = sk.lines.first().map(|l| l.start);
        // Monitoring outside lines: before the first line, or the whole
        // course for patients without systemic therapy.
        let until = first_line.map(|s| s - 30).unwrap_or(end);
        let mut t = days(self.rng, 80, 120);
        let (lo, hi) = if first_line.is_some() {
            (80, 120)
        } else {
            (90, 180)
        };
        let mut n = 0;
        while t < until && t < end && n < 60 {
            self.grow_to(t);
            // Monitoring keeps the staging selection of targets.
            self.record(t, &[], &staging_targets, None, None, &[]);
            t += days(self.rng, lo, hi);
            n += 1;
        }
        for k in 0..sk.lines.len() {
            self.line_imaging(k);
        }
    }

    fn line_imaging(&mut self, k: usize) {
        let line: &Line = &self.sk.lines[k];
        // Baseline: the staging scan when the line starts within three
        // weeks of it, else a scan 1–21 days before the start.
        if line.start > 21 || self.last_scan > 0 {
            let gap = line.start - self.last_scan;
            if gap >= 1 {
                let back = days(self.rng, 1, (gap - 1).clamp(1, 21));
                let day = (line.start - back).max(self.last_scan + 1);
                self.grow_to(day);
                if line.measured && self.select_targets().is_empty() {
                    self.regrow_for_baseline();
                }
                let targets = if line.measured {
                    self.select_targets()
                } else {
                    Vec::new()
                };
                self.record(day, &[], &targets, None, None, &[]);
            }
        }
        let targets: Vec<usize> = if line.measured {
            self.select_targets()
        } else {
            Vec::new()
        };
        let base: Vec<f64> = targets.iter().map(|&i| self.lesions[i].size).collect();
        // Every lesion followed on this line is reported at each assessment,
        // absent ones included (a complete response needs them all absent).
        let followed: Vec<usize> = (0..self.lesions.len())
            .filter(|&i| self.lesions[i].present())
            .collect();
        let s0: f64 = base.iter().sum();
        let mut nadir = s0;
        let mut ratio = 1.0;
        let scans = line.scans.clone();
        let prog = line.progression;
        let n_before = scans.iter().filter(|d| Some(**d) != prog).count();
        for (j, &day) in scans.iter().enumerate() {
            let is_prog = Some(day) == prog;
            self.grow_nontargets(day, &targets);
            let mut marks: Vec<(usize, Mark)> = Vec::new();
            let mut absent_targets: Vec<usize> = followed.clone();
            let cr_now = line.best == Best::Cr && !is_prog && (n_before < 2 || j >= 1);
            let response;
            if targets.is_empty() {
                // Non-measurable disease: non-target lesions only.
                if is_prog {
                    self.progression_without_targets(day, &mut marks);
                    response = Response::Pd;
                } else {
                    response = Response::NonCrNonPd;
                }
            } else if is_prog {
                let mode = if line.best == Best::Cr {
                    categorical(self.rng, &[0.4, 0.6, 0.0])
                } else if line.best == Best::Pd {
                    categorical(self.rng, &[0.7, 0.3, 0.0])
                } else {
                    categorical(self.rng, &[0.6, 0.3, 0.1])
                };
                let has_nontarget = self
                    .lesions
                    .iter()
                    .enumerate()
                    .any(|(i, l)| l.present() && !targets.contains(&i));
                match mode {
                    0 => {
                        let grow = (1.25 * nadir + uniform(self.rng, 0.0, 0.3) * nadir)
                            .ceil()
                            .max(nadir + 6.0);
                        if line.best == Best::Cr {
                            self.regrow(&targets, grow - nadir);
                        } else {
                            self.set_sum(&targets, &base, grow);
                        }
                    }
                    m => {
                        if line.best != Best::Cr {
                            let t = (nadir * uniform(self.rng, 0.95, 1.1)).round();
                            let hi = (1.15 * nadir).floor();
                            let lo = if line.best == Best::Pd {
                                (0.74 * s0).ceil()
                            } else {
                                0.0
                            };
                            self.set_sum(&targets, &base, t.min(hi).max(lo));
                        } else {
                            absent_targets.extend(targets.iter().copied());
                        }
                        if m == 2 && has_nontarget {
                            let i = self
                                .lesions
                                .iter()
                                .enumerate()
                                .position(|(i, l)| l.present() && !targets.contains(&i))
                                .expect("a non-target lesion");
                            marks.push((i, Mark::NonTarget(LesionStatus::UnequivocalProgression)));
                        } else {
                            let i = self.new_lesion(day);
                            marks.push((i, Mark::New));
                        }
                    }
                }
                response = Response::Pd;
            } else if cr_now {
                // Non-nodal targets disappear; nodes shrink below 10 mm short
                // axis and stay there (re-drawing them at every scan could add
                // up to a 5 mm rise over the nadir, which RECIST calls progression).
                for &i in &targets {
                    let l = &mut self.lesions[i];
                    if !l.nodal {
                        l.size = 0.0;
                    } else if l.size >= 10.0 {
                        l.size = f64::from(days(self.rng, 4, 9));
                    }
                }
                absent_targets.extend(targets.iter().copied());
                for i in 0..self.lesions.len() {
                    if !targets.contains(&i) && self.lesions[i].present() {
                        self.lesions[i].size = 0.0;
                        marks.push((i, Mark::NonTarget(LesionStatus::Absent)));
                    }
                }
                response = Response::Cr;
            } else {
                let shrink = matches!(line.best, Best::Pr | Best::Cr);
                ratio = if j == 0 {
                    if shrink {
                        uniform(self.rng, 0.4, 0.65)
                    } else {
                        uniform(self.rng, 0.8, 1.1)
                    }
                } else if shrink {
                    ratio * (-0.03 + 0.05 * normal(self.rng)).exp()
                } else {
                    ratio * (0.04 * normal(self.rng)).exp()
                };
                let mut t = (ratio * s0).round();
                let hi = (1.15 * nadir).floor();
                if shrink {
                    t = t.min((0.68 * s0).floor());
                } else {
                    t = t.max((0.74 * s0).ceil());
                }
                t = t.min(hi);
                self.set_sum(&targets, &base, t);
                let now: f64 = targets.iter().map(|&i| self.lesions[i].size).sum();
                response = if 10.0 * now <= 7.0 * s0 {
                    Response::Pr
                } else {
                    Response::Sd
                };
            }
            let now: f64 = targets.iter().map(|&i| self.lesions[i].size).sum();
            nadir = nadir.min(now);
            let symptoms = match response {
                Response::Cr | Response::Pr => {
                    if chance(self.rng, 0.7) {
                        SymptomChange::Improved
                    } else {
                        SymptomChange::Stable
                    }
                }
                Response::Pd => {
                    if chance(self.rng, 0.6) {
                        SymptomChange::Worsened
                    } else {
                        SymptomChange::Stable
                    }
                }
                _ => SymptomChange::Stable,
            };
            self.visits.push((day, Some(symptoms), is_prog));
            self.record(
                day,
                &marks,
                &targets,
                Some(k),
                Some(response),
                &absent_targets,
            );
        }
    }

    /// Non-target lesions drift slowly (a third of the natural growth).
    fn grow_nontargets(&mut self, day: i32, targets: &[usize]) {
        let dt = f64::from(day - self.last_scan).max(0.0);
        let r = 0.3 * std::f64::consts::LN_2 / self.doubling_days * dt;
        for (i, l) in self.lesions.iter_mut().enumerate() {
            if !targets.contains(&i) && l.present() && l.can_measure {
                l.size = logistic(l.size, r).round().clamp(3.0, MAX_SIZE);
            }
        }
    }

    /// Sets the target sum to `total` (whole mm), spread like the baseline
    /// sizes with some noise; non-nodal lesions stay ≥ 5 mm and nodes ≥ 10 mm
    /// (short axis), so a shrinking node is not mistaken for a normalised one.
    fn set_sum(&mut self, targets: &[usize], base: &[f64], total: f64) {
        let floors: Vec<f64> = targets
            .iter()
            .map(|&i| if self.lesions[i].nodal { 10.0 } else { 5.0 })
            .collect();
        let floor_sum: f64 = floors.iter().sum();
        let total = total.max(floor_sum);
        let w: Vec<f64> = base
            .iter()
            .map(|b| b.max(1.0) * (0.12 * normal(self.rng)).exp())
            .collect();
        let wsum: f64 = w.iter().sum();
        let mut sizes: Vec<f64> = w
            .iter()
            .zip(&floors)
            .map(|(wi, f)| (total * wi / wsum).round().max(*f))
            .collect();
        let mut diff = total - sizes.iter().sum::<f64>();
        let mut guard = 0;
        while diff != 0.0 && guard < 10_000 {
            guard += 1;
            if diff > 0.0 {
                let i = argmax(&sizes);
                sizes[i] += 1.0;
                diff -= 1.0;
            } else {
                let i = (0..sizes.len())
                    .filter(|&i| sizes[i] > floors[i])
                    .max_by(|&a, &b| sizes[a].total_cmp(&sizes[b]));
                match i {
                    Some(i) => {
                        sizes[i] -= 1.0;
                        diff += 1.0;
                    }
                    None => break,
                }
            }
        }
        for (&i, s) in targets.iter().zip(sizes) {
            self.lesions[i].size = s;
        }
    }

    /// After a complete response, progression by regrowth of a target
    /// (a non-nodal one if any) by `by` mm.
    fn regrow(&mut self, targets: &[usize], by: f64) {
        let i = targets
            .iter()
            .copied()
            .find(|&i| !self.lesions[i].nodal)
            .unwrap_or(targets[0]);
        self.lesions[i].size += by.ceil();
    }

    /// A lesion in a new place.
    fn new_lesion(&mut self, day: i32) -> usize {
        let sk = self.sk;
        let organ = [
            Organ::Liver,
            Organ::LymphNode,
            Organ::Lung,
            Organ::Bone,
            Organ::Peritoneum,
        ][categorical(self.rng, &[4.0, 2.0, 1.5, 1.5, 1.0])];
        let size = if organ == Organ::LymphNode {
            uniform(self.rng, 15.0, 25.0)
        } else {
            uniform(self.rng, 10.0, 25.0)
        };
        let i = self.add_lesion(organ, None, size);
        let site = match organ {
            Organ::Liver => MetastasisSite::Liver,
            Organ::LymphNode => MetastasisSite::LymphNode,
            Organ::Lung => MetastasisSite::Lung,
            Organ::Bone => MetastasisSite::Bone,
            _ => MetastasisSite::Peritoneum,
        };
        if !sk.sites[site_index(site)] && !self.new_sites.iter().any(|s| s.0 == site) {
            self.new_sites.push((site, None, day));
        }
        i
    }

    fn progression_without_targets(&mut self, day: i32, marks: &mut Vec<(usize, Mark)>) {
        let existing = self.lesions.iter().position(|l| l.present());
        if let (true, Some(i)) = (chance(self.rng, 0.4), existing) {
            marks.push((i, Mark::NonTarget(LesionStatus::UnequivocalProgression)));
        } else {
            let i = self.new_lesion(day);
            marks.push((i, Mark::New));
        }
    }

    /// A line meant to be measured needs a measurable lesion: the largest
    /// lesion that can be measured has regrown to a measurable size.
    fn regrow_for_baseline(&mut self) {
        let pick = (0..self.lesions.len())
            .filter(|&i| self.lesions[i].can_measure)
            .max_by(|&a, &b| self.lesions[a].size.total_cmp(&self.lesions[b].size));
        match pick {
            Some(i) => {
                let l = &mut self.lesions[i];
                l.size = if l.nodal {
                    l.size.max(16.0)
                } else {
                    l.size.max(12.0)
                };
            }
            None => {
                self.add_lesion(Organ::Liver, None, 14.0);
            }
        }
    }
}

/// Largest diameter a lesion reaches (mm).
const MAX_SIZE: f64 = 150.0;

/// Logistic growth of a diameter `size` by a log-growth `r`, towards [`MAX_SIZE`].
fn logistic(size: f64, r: f64) -> f64 {
    let s = size.clamp(1.0, MAX_SIZE - 1.0);
    MAX_SIZE / (1.0 + (MAX_SIZE / s - 1.0) * (-r).exp())
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for i in 1..v.len() {
        if v[i] > v[best] {
            best = i;
        }
    }
    best
}

/// A treatment before it gets its id.
struct Draft {
    kind: TreatmentType,
    start: i32,
    end: Option<i32>,
    surgery: Option<SurgeryType>,
    intent: Option<Intent>,
    stop: Option<StopReason>,
    line: Option<u32>,
    agents: Vec<TreatmentAgent>,
    administrations: Vec<(i32, f64)>,
    local: Option<LocalKind>,
    notes: Option<String>,
    partial: bool,
}

fn draft(kind: TreatmentType, start: i32, end: Option<i32>) -> Draft {
    Draft {
        kind,
        start,
        end,
        surgery: None,
        intent: None,
        stop: None,
        line: None,
        agents: Vec::new(),
        administrations: Vec::new(),
        local: None,
        notes: None,
        partial: false,
    }
}

/// An agent with its dose; `interval` 0 means a one-off (procedure) agent,
/// recorded without an interval.
fn agent(a: Agent, dose: Option<(f64, &str)>, interval: f64) -> TreatmentAgent {
    TreatmentAgent {
        agent: a,
        agent_detail: None,
        dose: dose.map(|d| d.0),
        dose_unit: dose.map(|d| d.1.to_string()),
        interval_days: (interval > 0.0).then_some(interval),
        route: None,
        formulation: None,
        notes: None,
    }
}

impl Draft {
    fn into_treatment(mut self, id: String, date: &dyn Fn(i32) -> PartialDate) -> Treatment {
        self.agents
            .sort_by(|a, b| a.agent.code().cmp(b.agent.code()));
        let mut start = date(self.start);
        if self.partial {
            start = year_month(start);
        }
        Treatment {
            id,
            kind: self.kind,
            surgery_type: self.surgery,
            start_date: Some(start),
            start_bounds: DateBounds::NONE,
            end_date: self.end.map(date),
            end_bounds: DateBounds::NONE,
            intent: self.intent,
            stop_reason: self.stop,
            line: self.line,
            target_organ: None,
            target_lesions: Vec::new(),
            notes: self.notes,
            agents: self.agents,
            administrations: self
                .administrations
                .iter()
                .enumerate()
                .map(|(n, &(d, gbq))| RadionuclideAdministration {
                    number: n as u32 + 1,
                    date: Some(date(d)),
                    activity_gbq: gbq,
                    lu177_gbq: None,
                    y90_gbq: None,
                    tumour_dose_gy: None,
                    notes: None,
                })
                .collect(),
        }
    }
}

fn line_draft(line: &Line) -> Draft {
    let spec = line.regimen.spec();
    let mut d = draft(spec.kind, line.start, line.end);
    d.intent = Some(Intent::Palliative);
    d.stop = line.stop;
    d.line = Some(line.number);
    for a in spec.agents {
        d.agents
            .push(agent(a.agent, Some((a.dose, a.unit)), a.interval_days));
    }
    if let crate::regimens::Schedule::Radionuclide { activity_gbq, .. } = spec.schedule {
        for (n, &day) in line.administrations.iter().enumerate() {
            // Activities vary by a few percent around the planned one.
            let wobble = [1.0, 0.97, 1.02, 0.99][n % 4];
            d.administrations
                .push((day, round_to(activity_gbq * wobble, 2)));
        }
    }
    d
}

fn local_draft(kind: LocalKind, day: i32, end: Option<i32>, rng: &mut PatientRng) -> Draft {
    use TreatmentType as T;
    let t = match kind {
        LocalKind::Tace => T::Tace,
        LocalKind::PrimaryResection | LocalKind::Debulking | LocalKind::Metastasectomy => {
            T::Surgery
        }
        LocalKind::Endoscopic => T::EndoscopicResection,
        LocalKind::Radiotherapy => T::ExternalRadiotherapy,
        LocalKind::Rfa => T::Rfa,
        LocalKind::BlandEmbolisation => T::BlandEmbolisation,
        LocalKind::Radioembolisation => T::Radioembolisation,
        LocalKind::MicrowaveAblation => T::MicrowaveAblation,
    };
    let mut d = draft(t, day, end);
    d.local = Some(kind);
    d.intent = Some(Intent::Palliative);
    match kind {
        LocalKind::Tace => {
            if chance(rng, 0.7) {
                d.agents
                    .push(agent(Agent::Doxorubicin, Some((50.0, "mg")), 0.0));
            } else {
                d.agents
                    .push(agent(Agent::Cisplatin, Some((50.0, "mg")), 0.0));
            }
            d.agents
                .push(agent(Agent::Lipiodol, Some((10.0, "mL")), 0.0));
            d.agents.push(TreatmentAgent {
                agent: Agent::EmbolicParticles,
                agent_detail: None,
                dose: None,
                dose_unit: None,
                interval_days: None,
                route: None,
                formulation: None,
                notes: Some("gelatin sponge".into()),
            });
            d.stop = Some(StopReason::Completed);
        }
        LocalKind::BlandEmbolisation => {
            d.agents.push(TreatmentAgent {
                agent: Agent::EmbolicParticles,
                agent_detail: None,
                dose: None,
                dose_unit: None,
                interval_days: None,
                route: None,
                formulation: None,
                notes: None,
            });
        }
        LocalKind::Radioembolisation => {
            d.agents
                .push(agent(Agent::Y90Microspheres, Some((1.5, "GBq")), 0.0));
        }
        LocalKind::PrimaryResection => d.surgery = Some(SurgeryType::PrimaryResection),
        LocalKind::Debulking => d.surgery = Some(SurgeryType::Debulking),
        LocalKind::Metastasectomy => {
            d.surgery = Some(SurgeryType::Metastasectomy);
            if chance(rng, 0.5) {
                d.intent = Some(Intent::Curative);
            }
        }
        LocalKind::Radiotherapy => {
            let (gy, fx) =
                [(30, 10), (20, 5), (8, 1), (45, 25)][categorical(rng, &[4.0, 2.0, 2.0, 1.0])];
            d.notes = Some(format!("{gy} Gy in {fx} fractions"));
            d.intent = Some(Intent::SymptomControl);
            d.stop = Some(StopReason::Completed);
        }
        LocalKind::Endoscopic | LocalKind::Rfa | LocalKind::MicrowaveAblation => {}
    }
    d
}

/// An adverse event before it gets its id.
struct AeDraft {
    term: &'static str,
    grade: u8,
    onset: i32,
    resolution: Option<i32>,
    attribution: Attribution,
    serious: bool,
    treatment: String,
    note: Option<&'static str>,
}

fn ae_draft(
    terms: &[AeSpec],
    onset: i32,
    grade: Option<u8>,
    treatment: &str,
    end: i32,
    rng: &mut PatientRng,
) -> AeDraft {
    // An event of a given grade (the one that stopped a treatment) is one
    // of the terms for which CTCAE defines that grade: a discontinuation
    // for "Hair color changes", which has grade 1 only, would be recorded
    // as grade 1.
    let defines = |t: &AeSpec| grade.is_none_or(|g| ctcae::nearest_defined(t.term, g) == g);
    let w: Vec<f64> = terms
        .iter()
        .map(|t| if defines(t) { t.weight } else { 0.0 })
        .collect();
    let w = if w.iter().any(|x| *x > 0.0) {
        w
    } else {
        terms.iter().map(|t| t.weight).collect()
    };
    let spec = terms[categorical(rng, &w)];
    let grade = grade.unwrap_or_else(|| categorical(rng, &spec.grades) as u8 + 1);
    // Severity profiles are shared by terms; CTCAE does not define every
    // grade of every term (no grade 4 nausea, no grade 2 febrile
    // neutropenia): record the nearest grade the term has.
    let grade = ctcae::nearest_defined(spec.term, grade);
    let onset = onset.min(end);
    let resolved = onset + days(rng, 3, 60);
    AeDraft {
        term: spec.term,
        grade,
        onset,
        resolution: (resolved < end && chance(rng, 0.85)).then_some(resolved),
        attribution: [
            Attribution::Possible,
            Attribution::Probable,
            Attribution::Definite,
        ][categorical(rng, &[0.3, 0.5, 0.2])],
        serious: match grade {
            4 => chance(rng, 0.8),
            3 => chance(rng, 0.5),
            _ => false,
        },
        treatment: treatment.to_string(),
        note: None,
    }
}
