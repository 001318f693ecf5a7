//! Shared by the simulator's tests: write a bundle, read it back through the
//! registry schema into typed courses, and the small statistics the
//! calibration checks need (a Kaplan–Meier median with Greenwood's variance
//! and a minimal RECIST 1.1 sum rule). Deliberately independent of the
//! generator's internals: everything is computed from the files.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;

use netra_clinical::registry::model::*;
use netra_clinical::registry::schema::{Entity, Value};
use netra_clinical::registry::vocab::*;
use netra_clinical::registry::{Day, Imputation, PartialDate};
use netra_sim::{Model, SimConfig};

/// Writes a bundle of `n` patients with `seed` into a fresh temporary directory.
pub fn simulate(n: u64, seed: u64, threads: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let cfg = SimConfig {
        patients: n,
        seed,
        study: "t".into(),
        sites: 3,
        threads,
    };
    netra_sim::write_bundle(Model::published(), &cfg, dir.path(), &mut |_| {}).unwrap();
    dir
}

/// One file's rows, cells parsed by the schema; panics with the file, line
/// and column of any cell the schema rejects.
pub fn read_rows(dir: &Path, entity: Entity) -> Vec<(u64, Vec<Value>)> {
    let spec = entity.spec();
    let path = dir.join(spec.file);
    let mut r = csv::ReaderBuilder::new().from_path(&path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
    let names: Vec<&str> = spec.columns.iter().map(|c| c.name).collect();
    assert_eq!(header, names, "{}: header", spec.file);
    let mut out = Vec::new();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        let line = i as u64 + 2;
        let mut row = Vec::with_capacity(names.len());
        for (j, c) in spec.columns.iter().enumerate() {
            let text = rec.get(j).unwrap();
            assert_eq!(text, text.trim(), "{} line {line} {}", spec.file, c.name);
            if text.is_empty() || text == "NA" || text == "NaN" {
                assert!(
                    !c.required,
                    "{} line {line}: required {} missing",
                    spec.file, c.name
                );
                row.push(Value::Null);
            } else {
                let v = c.kind.parse(text).unwrap_or_else(|e| {
                    panic!(
                        "{} line {line} column {}: {e} ('{text}')",
                        spec.file, c.name
                    )
                });
                row.push(v);
            }
        }
        out.push((line, row));
    }
    out
}

/// The whole bundle as typed courses, in file order.
pub struct Bundle {
    pub courses: Vec<PatientCourse>,
}

pub fn load(dir: &Path) -> Bundle {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut courses = Vec::new();
    for (_, row) in read_rows(dir, Entity::Patient) {
        let p = Patient::from_row(&row).unwrap();
        index.insert(p.code.clone(), courses.len());
        courses.push(PatientCourse::new(p));
    }
    let who = |row: &[Value]| -> usize {
        let code = row[0].as_str().unwrap();
        *index
            .get(code)
            .unwrap_or_else(|| panic!("dangling patient {code}"))
    };
    for (_, r) in read_rows(dir, Entity::Tumour) {
        let i = who(&r);
        courses[i].tumours.push(Tumour::from_row(&r).unwrap());
    }
    for (_, r) in read_rows(dir, Entity::Metastasis) {
        let i = who(&r);
        courses[i]
            .metastases
            .push(Metastasis::from_row(&r).unwrap());
    }
    for (_, r) in read_rows(dir, Entity::Biomarker) {
        let i = who(&r);
        courses[i].biomarkers.push(Biomarker::from_row(&r).unwrap());
    }
    for (_, r) in read_rows(dir, Entity::Treatment) {
        let i = who(&r);
        courses[i].treatments.push(Treatment::from_row(&r).unwrap());
    }
    for (_, r) in read_rows(dir, Entity::TreatmentAgent) {
        let i = who(&r);
        let t = r[1].as_str().unwrap().to_string();
        let a = TreatmentAgent::from_row(&r).unwrap();
        let tr = courses[i].treatments.iter_mut().find(|x| x.id == t);
        tr.unwrap_or_else(|| panic!("dangling treatment {t}"))
            .agents
            .push(a);
    }
    for (_, r) in read_rows(dir, Entity::RadionuclideAdministration) {
        let i = who(&r);
        let t = r[1].as_str().unwrap().to_string();
        let a = RadionuclideAdministration::from_row(&r).unwrap();
        let tr = courses[i].treatments.iter_mut().find(|x| x.id == t);
        tr.unwrap().administrations.push(a);
    }
    for (_, r) in read_rows(dir, Entity::Assessment) {
        let i = who(&r);
        courses[i]
            .assessments
            .push(Assessment::from_row(&r).unwrap());
    }
    for (_, r) in read_rows(dir, Entity::Lesion) {
        let i = who(&r);
        let a = r[1].as_str().unwrap().to_string();
        let l = Lesion::from_row(&r).unwrap();
        let asm = courses[i].assessments.iter_mut().find(|x| x.id == a);
        asm.unwrap_or_else(|| panic!("dangling assessment {a}"))
            .lesions
            .push(l);
    }
    for (_, r) in read_rows(dir, Entity::ClinicalStatus) {
        let i = who(&r);
        courses[i]
            .clinical_status
            .push(ClinicalStatus::from_row(&r).unwrap());
    }
    for (_, r) in read_rows(dir, Entity::AdverseEvent) {
        let i = who(&r);
        courses[i]
            .adverse_events
            .push(AdverseEvent::from_row(&r).unwrap());
    }
    Bundle { courses }
}

/// A date as a day (mid-point imputation, the registry's default).
pub fn day(d: PartialDate) -> Day {
    d.impute(Imputation::MidPoint).day
}

pub const DAYS_PER_MONTH: f64 = 30.4375;

pub fn months(from: PartialDate, to: PartialDate) -> f64 {
    f64::from(day(from).days_until(day(to))) / DAYS_PER_MONTH
}

/// Kaplan–Meier: returns (median, Greenwood SE of S at the median, S(t)).
pub struct Km {
    /// (time, survival after the time, Greenwood variance sum) at event times.
    pub steps: Vec<(f64, f64, f64)>,
}

impl Km {
    pub fn new(mut data: Vec<(f64, bool)>) -> Km {
        data.sort_by(|a, b| a.0.total_cmp(&b.0).then(b.1.cmp(&a.1)));
        let mut at_risk = data.len() as f64;
        let mut s = 1.0;
        let mut g = 0.0;
        let mut steps = Vec::new();
        let mut i = 0;
        while i < data.len() {
            let t = data[i].0;
            let mut d = 0.0;
            let mut n = 0.0;
            while i < data.len() && data[i].0 == t {
                if data[i].1 {
                    d += 1.0;
                }
                n += 1.0;
                i += 1;
            }
            if d > 0.0 {
                s *= 1.0 - d / at_risk;
                if at_risk > d {
                    g += d / (at_risk * (at_risk - d));
                }
                steps.push((t, s, g));
            }
            at_risk -= n;
        }
        Km { steps }
    }

    pub fn survival(&self, t: f64) -> f64 {
        self.steps
            .iter()
            .take_while(|x| x.0 <= t)
            .last()
            .map_or(1.0, |x| x.1)
    }

    /// The first time S drops to 0.5 or below, and Greenwood's SE of S there.
    pub fn median(&self) -> Option<(f64, f64)> {
        self.steps
            .iter()
            .find(|x| x.1 <= 0.5)
            .map(|x| (x.0, x.1 * x.2.sqrt()))
    }

    /// Greenwood SE of S(t).
    pub fn se(&self, t: f64) -> f64 {
        self.steps
            .iter()
            .take_while(|x| x.0 <= t)
            .last()
            .map_or(0.0, |x| x.1 * x.2.sqrt())
    }
}

/// Four standard errors of a binomial share `p` out of `n`.
pub fn binom_tol(p: f64, n: usize) -> f64 {
    4.0 * (p * (1.0 - p) / n as f64).sqrt()
}

/// Asserts a share within 4 binomial SEs of its target.
#[track_caller]
pub fn assert_share(what: &str, k: usize, n: usize, target: f64) {
    let p = k as f64 / n as f64;
    let tol = binom_tol(target, n);
    assert!(
        (p - target).abs() <= tol,
        "{what}: {k}/{n} = {p:.4}, target {target:.4} ± {tol:.4}"
    );
    eprintln!("{what}: {p:.4} (target {target:.4} ± {tol:.4})");
}

/// Asserts a KM median within 4 SEs, the SE of the median being Greenwood's
/// SE of S at the median over the model's density there (the delta method).
#[track_caller]
pub fn assert_median(what: &str, km: &Km, target: f64, density: f64) {
    let (m, se_s) = km
        .median()
        .unwrap_or_else(|| panic!("{what}: median not reached"));
    let tol = 4.0 * se_s / density;
    assert!(
        (m - target).abs() <= tol,
        "{what}: median {m:.2}, target {target:.2} ± {tol:.2}"
    );
    eprintln!("{what}: median {m:.2} (target {target:.2} ± {tol:.2})");
}

/// Density of a Weibull (median, shape) at `t`.
pub fn weibull_density(median: f64, shape: f64, t: f64) -> f64 {
    let l = std::f64::consts::LN_2;
    let s = (-l * (t / median).powf(shape)).exp();
    s * l * shape / median * (t / median).powf(shape - 1.0)
}

/// A line of systemic therapy read back from the records.
pub struct LineOutcome {
    pub number: u32,
    /// Months to the first assessment showing progression, or (censored) to
    /// the end of follow-up: death or last contact. The convention the
    /// simulator is calibrated to (docs/simulator.md).
    pub ttp: f64,
    /// The same, censored instead at the last assessment of the line.
    pub ttp_last_assessment: f64,
    pub progressed: bool,
    /// Best response by the minimal RECIST rule, `None` when not evaluable.
    pub best: Option<Response>,
}

fn target_measure(l: &Lesion) -> f64 {
    if l.organ == Organ::LymphNode {
        l.short_axis_mm.unwrap()
    } else {
        l.longest_mm.unwrap()
    }
}

/// Lines (systemic treatments in start order) with TTP and best response by
/// a minimal RECIST 1.1 sum rule: baseline = the last assessment on or before
/// the start; follow-ups = assessments of the treatment; progression = a new
/// lesion, unequivocal progression of a non-target, or a target sum ≥ 120% of
/// the nadir and ≥ 5 mm above it; CR = non-nodal targets gone, nodes < 10 mm,
/// no non-target present; PR = sum ≤ 70% of baseline; SD needs ≥ 6 weeks.
pub fn lines(c: &PatientCourse) -> Vec<LineOutcome> {
    let mut sys: Vec<&Treatment> = c
        .treatments
        .iter()
        .filter(|t| t.kind.is_systemic())
        .collect();
    sys.sort_by_key(|t| day(t.start_date.unwrap()));
    let mut scans: Vec<&Assessment> = c.assessments.iter().collect();
    scans.sort_by_key(|a| day(a.date));
    let mut out = Vec::new();
    for (k, t) in sys.iter().enumerate() {
        let start = t.start_date.unwrap();
        let baseline = scans.iter().rev().find(|a| day(a.date) <= day(start));
        let follow: Vec<&&Assessment> = scans
            .iter()
            .filter(|a| a.treatment.as_deref() == Some(t.id.as_str()) && day(a.date) > day(start))
            .collect();
        let targets: Vec<&Lesion> = baseline
            .map(|b| {
                b.lesions
                    .iter()
                    .filter(|l| l.role == LesionRole::Target)
                    .collect()
            })
            .unwrap_or_default();
        let base: f64 = targets.iter().map(|l| target_measure(l)).sum();
        let mut nadir = base;
        let mut best: Option<Response> = None;
        let mut ttp = None;
        for a in &follow {
            let new = a.lesions.iter().any(|l| l.role == LesionRole::New);
            let nt_pd = a.lesions.iter().any(|l| {
                l.role == LesionRole::NonTarget
                    && l.status == Some(LesionStatus::UnequivocalProgression)
            });
            let fu_targets: Vec<&Lesion> = targets
                .iter()
                .map(|b| {
                    a.lesions
                        .iter()
                        .find(|l| l.id == b.id && l.role == LesionRole::Target)
                        .expect("target followed")
                })
                .collect();
            let sum: f64 = fu_targets.iter().map(|l| target_measure(l)).sum();
            let target_pd = !targets.is_empty() && sum >= 1.2 * nadir && sum - nadir >= 5.0;
            let point =
                if new || nt_pd || target_pd {
                    Response::Pd
                } else if targets.is_empty() {
                    Response::NonCrNonPd
                } else if fu_targets.iter().all(|l| {
                    if l.organ == Organ::LymphNode {
                        l.short_axis_mm.unwrap() < 10.0
                    } else {
                        l.longest_mm.unwrap() == 0.0
                    }
                }) && !a.lesions.iter().any(|l| {
                    l.role == LesionRole::NonTarget && l.status == Some(LesionStatus::Present)
                }) {
                    Response::Cr
                } else if sum <= 0.7 * base {
                    Response::Pr
                } else {
                    Response::Sd
                };
            if !targets.is_empty() {
                nadir = nadir.min(sum);
            }
            let rank = |r: Response| match r {
                Response::Cr => 4,
                Response::Pr => 3,
                Response::Sd => 2,
                Response::Pd => 1,
                _ => 0,
            };
            let weeks = f64::from(day(start).days_until(day(a.date))) / 7.0;
            let counts = point != Response::Sd || weeks >= 6.0;
            if !targets.is_empty() && counts && best.is_none_or(|b| rank(point) > rank(b)) {
                best = Some(point);
            }
            if point == Response::Pd {
                ttp = Some(months(start, a.date));
                break;
            }
        }
        let (ttp, ttp_last_assessment, progressed) = match ttp {
            Some(m) => (m, m, true),
            None => (
                months(start, c.patient.last_followup_date.unwrap()),
                follow.last().map_or(0.0, |a| months(start, a.date)),
                false,
            ),
        };
        out.push(LineOutcome {
            number: k as u32 + 1,
            ttp,
            ttp_last_assessment,
            progressed,
            best: if targets.is_empty() || follow.is_empty() {
                None
            } else {
                best
            },
        });
    }
    out
}
