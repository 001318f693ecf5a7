//! Per-lesion percent change: each measured lesion followed across the
//! patient's assessments from its baseline to its best and to each
//! follow-up, summarised by site (primary tumour, liver, lymph node, …)
//! for a per-lesion table and a waterfall by site.
//!
//! * **Size** — the longest diameter; lymph nodes the short axis (RECIST
//!   1.1 §3.1.2, as the response criteria measure them).
//! * **Baseline** — the lesion's first measured assessment (by date,
//!   registry rule `mid_point`); **follow-up** — its later measured
//!   assessments. A lesion recorded as absent (`status = absent`) without
//!   a size counts as 0 mm (a complete disappearance, −100%).
//! * **Change** — `100 × (size − baseline) / baseline`; the **best** is
//!   the smallest, the **last** the latest. A baseline of 0 mm has no
//!   relative change.
//! * **Site** — the lesion's organ; with `primary` (the default), a lesion
//!   in the organ of the patient's primary tumour (pancreas, stomach,
//!   small intestine for duodenum and jejunum/ileum, colon for appendix
//!   and colon, rectum, lung) is the site "primary tumour". (In a lung
//!   primary, lung metastases are counted with it: name the lesions'
//!   organs apart in such series, or set `primary = false`.)
//!
//! The lesions themselves (`lesions`) are single patients' values: the
//! web withholds them under the small-cell rule; the site summaries stay.

use std::collections::BTreeMap;

use netra_clinical::registry::date::Imputation;
use netra_clinical::registry::model::{Lesion, PatientCourse};
use netra_clinical::registry::vocab::{LesionRole, LesionStatus, Organ, PrimarySite, Vocabulary};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;
use crate::cohort::Cohort;
use crate::variables::capitalise;

/// Days per month.
const MONTH: f64 = 30.4375;

/// The request of `lesions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LesionsRequest {
    /// Lesion roles followed (`target`, `non_target`, `new`); empty: all.
    pub roles: Vec<String>,
    /// Lesions in the primary tumour's organ form the site "primary".
    pub primary: bool,
    /// Sites kept (codes: `primary`, `liver`, `lymph_node`, …); none: all.
    pub sites: Option<Vec<String>>,
    /// A change at or below this (%) counts as shrinkage (RECIST's partial
    /// response of a sum: −30).
    pub shrink: f64,
    /// A change at or above this (%) counts as growth (RECIST's
    /// progression of a sum: +20).
    pub grow: f64,
}

impl Default for LesionsRequest {
    fn default() -> Self {
        LesionsRequest {
            roles: vec!["target".into()],
            primary: true,
            sites: None,
            shrink: -30.0,
            grow: 20.0,
        }
    }
}

/// One follow-up measurement of a lesion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LesionChange {
    /// Months from the lesion's baseline.
    pub months: f64,
    /// Size (mm).
    pub mm: f64,
    /// Change from baseline (%).
    pub change: f64,
}

/// One lesion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LesionOut {
    /// The patient.
    pub patient: String,
    /// The lesion's identifier.
    pub lesion: String,
    /// Site code (`primary`, `liver`, …).
    pub site: String,
    /// Organ code.
    pub organ: String,
    /// Role at baseline.
    pub role: String,
    /// Baseline size (mm).
    pub baseline_mm: f64,
    /// Best (smallest) change (%), `null` without follow-up.
    pub best_change: Option<f64>,
    /// Change at the last follow-up (%).
    pub last_change: Option<f64>,
    /// Every follow-up, in time order.
    pub follow_up: Vec<LesionChange>,
}

/// One site's lesions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteOut {
    /// Site code.
    pub site: String,
    /// Printed name.
    pub label: String,
    /// Lesions with a baseline.
    pub n: usize,
    /// Patients with such a lesion.
    pub patients: usize,
    /// Lesions with a follow-up (the denominator below).
    pub followed: usize,
    /// Lesions whose best change is at or below `shrink`.
    pub shrunk: usize,
    /// Lesions whose best change is at or above `grow`.
    pub grew: usize,
    /// Median best change (%).
    pub median_best_change: Option<f64>,
    /// Smallest best change (%).
    pub min: Option<f64>,
    /// Largest best change (%).
    pub max: Option<f64>,
}

/// The answer to a [`LesionsRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LesionsOutput {
    /// Patients in the cohort.
    pub cohort: usize,
    /// Patients with a followed lesion.
    pub patients: usize,
    /// Shrinkage threshold (%).
    pub shrink: f64,
    /// Growth threshold (%).
    pub grow: f64,
    /// Per site: primary first, then organs in vocabulary order.
    pub sites: Vec<SiteOut>,
    /// Every lesion, ordered for a waterfall: by best change, largest
    /// first (lesions without follow-up last).
    pub lesions: Vec<LesionOut>,
}

/// The organ of a primary site, where lesions can be measured in it.
pub fn primary_organ(site: PrimarySite) -> Option<Organ> {
    Some(match site {
        PrimarySite::Pancreas => Organ::Pancreas,
        PrimarySite::Stomach => Organ::Stomach,
        PrimarySite::Duodenum | PrimarySite::JejunumIleum => Organ::SmallIntestine,
        PrimarySite::Appendix | PrimarySite::Colon => Organ::Colon,
        PrimarySite::Rectum => Organ::Rectum,
        PrimarySite::Lung => Organ::Lung,
        _ => return None,
    })
}

/// A lesion's size as the criteria measure it (mm): lymph nodes by the
/// short axis, others by the longest diameter; an absent lesion without a
/// size is 0.
pub fn size_mm(l: &Lesion) -> Option<f64> {
    let v = if l.organ == Organ::LymphNode {
        l.short_axis_mm
    } else {
        l.longest_mm
    };
    v.filter(|x| x.is_finite() && *x >= 0.0)
        .or((l.status == Some(LesionStatus::Absent)).then_some(0.0))
}

/// The followed lesions of one course.
pub fn course_lesions(c: &PatientCourse, req: &LesionsRequest) -> Vec<LesionOut> {
    let roles: Vec<&str> = req.roles.iter().map(String::as_str).collect();
    let primary = if req.primary {
        c.tumours
            .first()
            .and_then(|t| primary_organ(t.primary_site))
    } else {
        None
    };
    // Per lesion id: (day, size, the lesion row), in time order.
    let mut by_id: BTreeMap<&str, Vec<(i32, f64, &Lesion)>> = BTreeMap::new();
    for a in &c.assessments {
        let d = a.date.impute(Imputation::MidPoint).day.0;
        for l in &a.lesions {
            if let Some(mm) = size_mm(l) {
                by_id.entry(l.id.as_str()).or_default().push((d, mm, l));
            }
        }
    }
    let mut out = Vec::new();
    for (id, mut ms) in by_id {
        ms.sort_by_key(|m| m.0);
        let (d0, base, first) = ms[0];
        if !roles.is_empty() && !roles.contains(&first.role.code()) {
            continue;
        }
        let site = if Some(first.organ) == primary {
            "primary".to_string()
        } else {
            first.organ.code().to_string()
        };
        let follow_up: Vec<LesionChange> = ms[1..]
            .iter()
            .filter(|m| m.0 > d0 && base > 0.0)
            .map(|&(d, mm, _)| LesionChange {
                months: f64::from(d - d0) / MONTH,
                mm,
                change: 100.0 * (mm - base) / base,
            })
            .collect();
        out.push(LesionOut {
            patient: c.patient.code.clone(),
            lesion: id.to_string(),
            site,
            organ: first.organ.code().to_string(),
            role: first.role.code().to_string(),
            baseline_mm: base,
            best_change: follow_up.iter().map(|f| f.change).reduce(f64::min),
            last_change: follow_up.last().map(|f| f.change),
            follow_up,
        });
    }
    out
}

fn site_label(code: &str) -> String {
    if code == "primary" {
        return "Primary tumour".into();
    }
    Organ::from_code(code).map_or_else(|_| code.to_string(), |o| capitalise(o.label()))
}

fn median(mut x: Vec<f64>) -> Option<f64> {
    if x.is_empty() {
        return None;
    }
    x.sort_by(f64::total_cmp);
    let n = x.len();
    Some(if n % 2 == 1 {
        x[n / 2]
    } else {
        (x[n / 2 - 1] + x[n / 2]) / 2.0
    })
}

/// Runs a [`LesionsRequest`] on a cohort.
pub fn run(cohort: &Cohort, req: &LesionsRequest) -> Result<LesionsOutput, AnalysisError> {
    for r in &req.roles {
        LesionRole::from_code(r).map_err(|_| {
            AnalysisError::invalid(
                "roles",
                format!("'{r}' is not a lesion role (target, non_target, new)"),
            )
        })?;
    }
    if !(req.shrink.is_finite() && req.grow.is_finite() && req.shrink < 0.0 && req.grow > 0.0) {
        return Err(AnalysisError::invalid(
            "shrink, grow",
            "shrink must be a change below 0 (%) and grow above 0",
        ));
    }
    if let Some(sites) = &req.sites {
        for s in sites {
            if s != "primary" && Organ::from_code(s).is_err() {
                return Err(AnalysisError::invalid(
                    "sites",
                    format!("'{s}' is not a site (primary or an organ code: liver, lymph_node, …)"),
                ));
            }
        }
    }
    if !cohort.has_courses() {
        return Err(AnalysisError::invalid(
            "lesions",
            "per-lesion changes need the patients' assessments (a registry cohort)",
        ));
    }
    let mut lesions: Vec<LesionOut> = cohort
        .courses
        .iter()
        .flat_map(|c| course_lesions(c, req))
        .filter(|l| req.sites.as_ref().is_none_or(|s| s.contains(&l.site)))
        .collect();
    // Waterfall order: largest best change first; no follow-up last; ties
    // by patient and lesion so that the order does not depend on input.
    lesions.sort_by(|a, b| {
        let key = |l: &LesionOut| l.best_change.unwrap_or(f64::NEG_INFINITY);
        match (a.best_change.is_some(), b.best_change.is_some()) {
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            _ => key(b).total_cmp(&key(a)),
        }
        .then_with(|| a.patient.cmp(&b.patient))
        .then_with(|| a.lesion.cmp(&b.lesion))
    });
    let mut order: Vec<String> = vec!["primary".into()];
    order.extend(Organ::ALL.iter().map(|o| o.code().to_string()));
    let sites = order
        .iter()
        .filter_map(|s| {
            let of: Vec<&LesionOut> = lesions.iter().filter(|l| &l.site == s).collect();
            if of.is_empty() {
                return None;
            }
            let best: Vec<f64> = of.iter().filter_map(|l| l.best_change).collect();
            let mut patients: Vec<&str> = of.iter().map(|l| l.patient.as_str()).collect();
            patients.sort_unstable();
            patients.dedup();
            Some(SiteOut {
                site: s.clone(),
                label: site_label(s),
                n: of.len(),
                patients: patients.len(),
                followed: best.len(),
                shrunk: best.iter().filter(|&&c| c <= req.shrink).count(),
                grew: best.iter().filter(|&&c| c >= req.grow).count(),
                min: best.iter().copied().reduce(f64::min),
                max: best.iter().copied().reduce(f64::max),
                median_best_change: median(best),
            })
        })
        .collect();
    let mut patients: Vec<&str> = lesions
        .iter()
        .filter(|l| l.best_change.is_some())
        .map(|l| l.patient.as_str())
        .collect();
    patients.sort_unstable();
    patients.dedup();
    Ok(LesionsOutput {
        cohort: cohort.len(),
        patients: patients.len(),
        shrink: req.shrink,
        grow: req.grow,
        sites,
        lesions,
    })
}
