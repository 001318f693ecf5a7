//! The criterion-independent pipeline: validation, target selection, sums,
//! nadir, time-point responses and the overall table. A criterion is a
//! [`Rules`] value (built by `recist`, `who`, `choi`, `mrecist` or `custom`).

use std::collections::{HashMap, HashSet};

use super::best::{BestOptions, apply_sequence_rules, best_response};
use super::{
    Assessment, Category, Date, LesionKind, LesionStatus, Measurement, NewLesions,
    NonTargetResponse, PatientLesions, PatientResponse, ResponseError, TargetResponse, Timepoint,
};

/// Thresholds are met within this many percentage points (or mm): sizes are
/// decimal millimetres, and a change of exactly −30.0 % must count as −30 %
/// whatever binary rounding makes of 35/50.
pub(crate) const EPS: f64 = 1e-9;

/// What is summed for a target lesion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    /// RECIST 1.1: longest diameter, short axis for lymph nodes.
    Recist,
    /// Longest diameter for every lesion, nodes included.
    Longest,
    /// WHO: longest × greatest perpendicular diameter.
    Product,
    /// mRECIST: viable (enhancing) diameter for liver lesions, RECIST 1.1
    /// otherwise.
    ViableLiver,
}

/// Which sums progression is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PdRule {
    /// The sum of the target measure.
    Sum,
    /// Any single target lesion (WHO's "one or more lesions").
    AnyLesion,
    /// Either.
    SumOrAnyLesion,
}

/// The reference progression is measured from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The smallest value on study, baseline included (RECIST 1.1).
    Nadir,
    /// The baseline value.
    Baseline,
}

/// Which baseline lesions may be targets and how many.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectionRules {
    /// Most targets in total (`None`: no limit).
    pub max_total: Option<usize>,
    /// Most targets per organ (`None`: no limit).
    pub max_per_organ: Option<usize>,
    /// Smallest measurable non-nodal size, mm (of the summed diameter).
    pub min_size_mm: f64,
    /// Smallest short axis of a target lymph node, mm.
    pub min_node_short_axis_mm: f64,
    /// Targets need both diameters (WHO).
    pub bidimensional: bool,
}

/// A threshold on a % change, with its boundary stated: criteria differ on
/// whether a change of exactly the threshold meets it (RECIST 1.1: "at
/// least a 30 % decrease"; the 2004 radionuclide study: a 75 % decrease is
/// still partial, so complete needs *more than* 75 %).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound {
    /// The threshold, in % (of decrease for response bands, of increase for
    /// progression).
    pub pct: f64,
    /// `true`: a change of exactly `pct` meets it ("at least"); `false`:
    /// only a larger change does ("more than").
    pub inclusive: bool,
}

impl Bound {
    /// Met at exactly `pct` and above.
    pub const fn at_least(pct: f64) -> Bound {
        Bound {
            pct,
            inclusive: true,
        }
    }

    /// Met only above `pct`.
    pub const fn more_than(pct: f64) -> Bound {
        Bound {
            pct,
            inclusive: false,
        }
    }

    /// The % change `value` meets the bound. Equality is judged within
    /// [`EPS`] either way, so −75.0 % computed as −74.99999999999999 is
    /// "exactly 75" for both readings.
    pub fn met_by(self, value: f64) -> bool {
        if self.inclusive {
            value >= self.pct - EPS
        } else {
            value > self.pct + EPS
        }
    }

    /// `>= 30 %` or `> 75 %`, for messages and documentation.
    pub fn label(self) -> String {
        format!("{} {} %", if self.inclusive { ">=" } else { ">" }, self.pct)
    }
}

/// The target-lesion rules of a criterion.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// Response bands: (category, % decrease of the sum from baseline),
    /// checked in order; RECIST 1.1 has one band, PR at >= 30 %.
    pub bands: Vec<(Category, Bound)>,
    /// CR when every target has disappeared (nodes: short axis < 10 mm).
    pub cr_on_disappearance: bool,
    /// % increase that is progression.
    pub pd_increase: Bound,
    /// Smallest absolute increase that is progression (mm; RECIST 1.1: 5).
    pub pd_min_increase: f64,
    /// Reference for progression.
    pub pd_reference: Reference,
    /// Sum or per-lesion progression.
    pub pd_rule: PdRule,
    /// Choi: a decrease of mean attenuation by at least this % is PR, and
    /// vetoes size progression.
    pub density_pr_decrease_pct: Option<f64>,
}

/// Which imaging modalities may measure target lesions, as registry
/// modality codes (`ultrasound`, `bone_scan`, … — `docs/bundle-format.md`).
/// A lesion measured by an excluded modality cannot be a target at baseline
/// (it is left to the non-targets when the engine selects) and its size at
/// a follow-up is not used (the target is "not measured", with a note).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModalityRules {
    /// Modalities not accepted for measuring target lesions.
    pub excluded_for_targets: Vec<String>,
}

impl ModalityRules {
    /// RECIST 1.1 §3.2: ultrasound is not used to measure lesions, and
    /// scintigraphy and bone scans give no diameters. CT, MRI, the CT part
    /// of a PET/CT, chest radiographs and calipers (clinical) are accepted.
    pub fn recist() -> ModalityRules {
        ModalityRules::excluding(&[
            "ultrasound",
            "ssr_scintigraphy",
            "mibg_scintigraphy",
            "bone_scan",
        ])
    }

    /// WHO 1981 measured by any method that gives diameters (clinical,
    /// radiograph, ultrasound, CT): only scintigraphy and bone scans are
    /// excluded.
    pub fn who() -> ModalityRules {
        ModalityRules::excluding(&["ssr_scintigraphy", "mibg_scintigraphy", "bone_scan"])
    }

    /// Enhancement and attenuation need contrast CT or MRI (Choi, mRECIST):
    /// everything else is excluded.
    pub fn cross_sectional() -> ModalityRules {
        ModalityRules::excluding(&[
            "ultrasound",
            "ssr_scintigraphy",
            "mibg_scintigraphy",
            "bone_scan",
            "xray",
            "clinical",
        ])
    }

    /// The modalities `codes` excluded.
    pub fn excluding(codes: &[&str]) -> ModalityRules {
        ModalityRules {
            excluded_for_targets: codes.iter().map(|c| c.to_string()).collect(),
        }
    }

    /// The modality may not measure a target.
    pub fn excludes(&self, modality: Option<&str>) -> bool {
        modality.is_some_and(|m| {
            self.excluded_for_targets
                .iter()
                .any(|x| x.eq_ignore_ascii_case(m.trim()))
        })
    }
}

/// A response criterion: how lesions are measured, selected and judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Name shown in output ("RECIST 1.1", the TOML file's name …).
    pub name: String,
    /// The target measure.
    pub measure: Measure,
    /// Target selection rules.
    pub selection: SelectionRules,
    /// Target response rules.
    pub thresholds: Thresholds,
    /// Overall CR needs non-target CR too (otherwise the overall response is
    /// PR, RECIST 1.1 Table 1).
    pub cr_requires_non_target_cr: bool,
    /// Lymph nodes below this short axis are normal (RECIST 1.1: 10 mm).
    pub node_normal_mm: f64,
    /// Modalities that may not measure target lesions.
    pub modalities: ModalityRules,
}

fn is_liver(organ: &str) -> bool {
    organ.trim().eq_ignore_ascii_case("liver")
}

impl Rules {
    /// The summed measure of one lesion at one scan, `None` if not measured.
    pub(crate) fn measure(&self, m: &Measurement) -> Option<f64> {
        let recist = |m: &Measurement| {
            if m.is_node {
                m.short_axis_mm
            } else {
                m.longest_mm
            }
        };
        match self.measure {
            Measure::Recist => recist(m),
            Measure::Longest => m.longest_mm,
            Measure::Product => match (m.longest_mm, m.perpendicular_mm) {
                (Some(0.0), _) => Some(0.0),
                (Some(l), Some(p)) => Some(l * p),
                _ => None,
            },
            Measure::ViableLiver => {
                if is_liver(&m.organ) && !m.is_node {
                    m.viable_mm
                } else {
                    recist(m)
                }
            }
        }
    }

    /// A target has "disappeared": 0, or a node back to normal size.
    fn gone(&self, m: &Measurement, value: f64) -> bool {
        if m.is_node && self.node_normal_mm > 0.0 {
            let axis = m.short_axis_mm.or(m.longest_mm).unwrap_or(value);
            axis < self.node_normal_mm
        } else {
            value == 0.0
        }
    }

    /// Why a baseline lesion cannot be a target (None when it can).
    fn not_measurable(&self, m: &Measurement) -> Option<String> {
        let s = &self.selection;
        if self.modalities.excludes(m.modality.as_deref()) {
            return Some(format!(
                "measured by {}, which {} does not accept for target lesions",
                m.modality.as_deref().unwrap_or_default(),
                self.name
            ));
        }
        if self.selection.bidimensional
            && (m.longest_mm.unwrap_or(0.0) <= 0.0 || m.perpendicular_mm.unwrap_or(0.0) <= 0.0)
        {
            return Some("a target needs both diameters (longest and perpendicular)".into());
        }
        if m.is_node && matches!(self.measure, Measure::Recist | Measure::ViableLiver) {
            let axis = m.short_axis_mm.unwrap_or(0.0);
            if axis < s.min_node_short_axis_mm - EPS {
                return Some(format!(
                    "a target lymph node needs a short axis >= {} mm (has {})",
                    s.min_node_short_axis_mm, axis
                ));
            }
            return None;
        }
        let size = if self.measure == Measure::ViableLiver && is_liver(&m.organ) {
            m.viable_mm.unwrap_or(0.0)
        } else {
            m.longest_mm.unwrap_or(0.0)
        };
        if size < s.min_size_mm - EPS {
            return Some(format!(
                "a target needs a {} >= {} mm (has {})",
                if self.measure == Measure::ViableLiver && is_liver(&m.organ) {
                    "viable diameter"
                } else {
                    "longest diameter"
                },
                s.min_size_mm,
                size
            ));
        }
        None
    }
}

fn lesion_error(patient: &str, date: Date, m: &Measurement, reason: String) -> ResponseError {
    ResponseError::Lesion {
        patient: patient.to_string(),
        lesion: m.lesion.clone(),
        date,
        line: m.source_line,
        reason,
    }
}

/// Rejects values no scan can produce.
fn check_values(patient: &str, a: &Assessment) -> Result<(), ResponseError> {
    let mut seen = HashSet::new();
    for m in &a.measurements {
        if !seen.insert(m.lesion.as_str()) {
            return Err(lesion_error(
                patient,
                a.date,
                m,
                "the lesion appears twice at this date".into(),
            ));
        }
        for (name, v) in [
            ("longest_mm", m.longest_mm),
            ("perpendicular_mm", m.perpendicular_mm),
            ("short_axis_mm", m.short_axis_mm),
            ("viable_mm", m.viable_mm),
        ] {
            if let Some(v) = v
                && (!v.is_finite() || v < 0.0)
            {
                return Err(lesion_error(
                    patient,
                    a.date,
                    m,
                    format!("{name} must be a size >= 0 (got {v})"),
                ));
            }
        }
        if let Some(hu) = m.attenuation_hu
            && !hu.is_finite()
        {
            return Err(lesion_error(
                patient,
                a.date,
                m,
                "attenuation_hu is not finite".into(),
            ));
        }
    }
    Ok(())
}

/// Assesses one patient under `rules`: time-point responses, best overall
/// response and dates.
pub fn assess(
    patient: &PatientLesions,
    rules: &Rules,
    options: &BestOptions,
) -> Result<PatientResponse, ResponseError> {
    let pid = patient.patient.as_str();
    let mut scans: Vec<&Assessment> = patient.assessments.iter().collect();
    scans.sort_by_key(|a| a.date);
    let Some(&baseline) = scans.first() else {
        return Err(ResponseError::NoAssessment {
            patient: pid.to_string(),
        });
    };
    for w in scans.windows(2) {
        if w[0].date == w[1].date {
            return Err(ResponseError::Lesion {
                patient: pid.to_string(),
                lesion: String::new(),
                date: w[1].date,
                line: None,
                reason: "two assessments share this date".into(),
            });
        }
    }
    for a in &scans {
        check_values(pid, a)?;
    }
    if baseline.measurements.is_empty() {
        return Err(ResponseError::NoBaselineDisease {
            patient: pid.to_string(),
            date: baseline.date,
        });
    }

    // --- baseline lesions and target selection --------------------------------
    let mut kinds: HashMap<&str, LesionKind> = HashMap::new();
    let mut unclassified: Vec<&Measurement> = Vec::new();
    for m in &baseline.measurements {
        match m.kind {
            Some(LesionKind::New) => {
                return Err(lesion_error(
                    pid,
                    baseline.date,
                    m,
                    "a new lesion cannot be at the baseline scan".into(),
                ));
            }
            Some(k) => {
                kinds.insert(m.lesion.as_str(), k);
            }
            None => unclassified.push(m),
        }
    }
    let given: Vec<&Measurement> = baseline
        .measurements
        .iter()
        .filter(|m| m.kind == Some(LesionKind::Target))
        .collect();
    let targets_selected = given.is_empty() && !unclassified.is_empty();
    let targets: Vec<&Measurement> = if targets_selected {
        select_targets(rules, &unclassified)
    } else {
        validate_targets(pid, rules, &given)?;
        given
    };
    for m in &unclassified {
        let kind = if targets.iter().any(|t| t.lesion == m.lesion) {
            LesionKind::Target
        } else {
            LesionKind::NonTarget
        };
        kinds.insert(m.lesion.as_str(), kind);
    }
    let target_ids: Vec<&str> = targets.iter().map(|m| m.lesion.as_str()).collect();
    let non_target_ids: Vec<&str> = baseline
        .measurements
        .iter()
        .filter(|m| kinds.get(m.lesion.as_str()) == Some(&LesionKind::NonTarget))
        .map(|m| m.lesion.as_str())
        .collect();

    // --- follow-up rows must refer to baseline lesions or be new ---------------
    for a in scans.iter().skip(1) {
        for m in &a.measurements {
            let base = kinds.get(m.lesion.as_str());
            match (m.kind, base) {
                (Some(LesionKind::New), None) => {}
                (Some(LesionKind::New), Some(_)) => {
                    return Err(lesion_error(
                        pid,
                        a.date,
                        m,
                        "marked new, but the lesion is in the baseline scan".into(),
                    ));
                }
                (_, None) => {
                    return Err(lesion_error(
                        pid,
                        a.date,
                        m,
                        "the lesion is missing from the baseline scan (mark it 'new' if it appeared after baseline)".into(),
                    ));
                }
                (Some(k), Some(&b)) if k != b => {
                    return Err(lesion_error(
                        pid,
                        a.date,
                        m,
                        format!(
                            "classified {} here but {} at baseline",
                            kind_label(k),
                            kind_label(b)
                        ),
                    ));
                }
                _ => {}
            }
        }
    }

    // --- baseline values -----------------------------------------------------------
    let mut baseline_values = Vec::with_capacity(targets.len());
    for t in &targets {
        let v = rules.measure(t).ok_or_else(|| {
            lesion_error(
                pid,
                baseline.date,
                t,
                "a target lesion must be measured at baseline".into(),
            )
        })?;
        baseline_values.push(v);
    }
    let has_targets = !targets.is_empty();
    let baseline_sum = has_targets.then(|| baseline_values.iter().sum::<f64>());
    let baseline_density =
        mean_density(&targets.iter().map(|m| m.attenuation_hu).collect::<Vec<_>>());

    // --- follow-ups -------------------------------------------------------------------
    let baseline_modality: HashMap<&str, Option<&str>> = baseline
        .measurements
        .iter()
        .map(|m| (m.lesion.as_str(), m.modality.as_deref()))
        .collect();
    let mut nadir = baseline_sum.unwrap_or(0.0);
    let mut lesion_nadir = baseline_values.clone();
    let mut timepoints = Vec::with_capacity(scans.len().saturating_sub(1));
    // New lesions: first appearance and whether it was equivocal then.
    let mut new_first: HashMap<&str, (usize, bool)> = HashMap::new();
    let mut confirmed_equivocal: Vec<(usize, String, Date)> = Vec::new();
    for (idx, a) in scans.iter().skip(1).enumerate() {
        let by_id: HashMap<&str, &Measurement> = a
            .measurements
            .iter()
            .map(|m| (m.lesion.as_str(), m))
            .collect();
        let mut notes = Vec::new();

        // Targets.
        let rows: Vec<Option<&Measurement>> =
            target_ids.iter().map(|id| by_id.get(id).copied()).collect();
        let values: Vec<Option<f64>> = rows
            .iter()
            .map(|r| {
                r.filter(|m| !rules.modalities.excludes(m.modality.as_deref()))
                    .and_then(|m| rules.measure(m))
            })
            .collect();
        for m in rows.iter().flatten() {
            if rules.modalities.excludes(m.modality.as_deref()) && rules.measure(m).is_some() {
                notes.push(format!(
                    "target {} measured by {}, which {} does not accept for targets: not measured",
                    m.lesion,
                    m.modality.as_deref().unwrap_or_default(),
                    rules.name
                ));
            }
        }
        for m in &a.measurements {
            let before = baseline_modality.get(m.lesion.as_str()).copied().flatten();
            if let (Some(b), Some(now)) = (before, m.modality.as_deref())
                && !b.trim().eq_ignore_ascii_case(now.trim())
            {
                notes.push(format!(
                    "lesion {}: measured by {now}, by {b} at baseline; sizes from different modalities are not comparable",
                    m.lesion
                ));
            }
        }
        let complete = values.iter().all(Option::is_some);
        let measured_sum: f64 = values.iter().flatten().sum();
        let missing: Vec<&str> = target_ids
            .iter()
            .zip(&values)
            .filter(|(_, v)| v.is_none())
            .map(|(id, _)| *id)
            .collect();
        let density_change = {
            let pairs: Vec<(f64, f64)> = targets
                .iter()
                .zip(&rows)
                .filter_map(|(b, r)| Some((b.attenuation_hu?, r.and_then(|m| m.attenuation_hu)?)))
                .collect();
            if pairs.is_empty() || baseline_density.is_none() {
                None
            } else {
                let base = pairs.iter().map(|p| p.0).sum::<f64>() / pairs.len() as f64;
                let now = pairs.iter().map(|p| p.1).sum::<f64>() / pairs.len() as f64;
                (base != 0.0).then(|| (now - base) / base.abs() * 100.0)
            }
        };
        let target = if has_targets {
            let base = baseline_sum.unwrap_or(0.0);
            let gone = rows
                .iter()
                .zip(&values)
                .all(|(r, v)| matches!((r, v), (Some(m), Some(v)) if rules.gone(m, *v)));
            let cat = target_category(
                rules,
                &TargetState {
                    values: &values,
                    sum: measured_sum,
                    complete,
                    all_gone: gone,
                    baseline_sum: base,
                    nadir,
                    lesion_nadir: &lesion_nadir,
                    baseline_values: &baseline_values,
                    density_change,
                },
            );
            if !complete {
                if cat == Category::PD {
                    notes.push(format!(
                        "PD although {} not measured: the measured lesions alone meet progression",
                        missing.join(", ")
                    ));
                } else {
                    notes.push(format!(
                        "target lesion(s) {} not measured: NE (the missing size could change the response)",
                        missing.join(", ")
                    ));
                }
            }
            TargetResponse::Category(cat)
        } else {
            TargetResponse::NotApplicable
        };
        let sum = has_targets.then_some(measured_sum);
        let pct = |reference: f64| -> Option<f64> {
            (complete && has_targets && reference > 0.0)
                .then(|| (measured_sum - reference) / reference * 100.0)
        };
        let change_from_baseline_pct = baseline_sum.and_then(pct);
        let change_from_nadir_pct = if has_targets { pct(nadir) } else { None };
        if has_targets && complete {
            nadir = nadir.min(measured_sum);
        }
        for (n, v) in lesion_nadir.iter_mut().zip(&values) {
            if let Some(v) = v {
                *n = n.min(*v);
            }
        }

        // Non-targets.
        let non_target = non_target_response(rules, &non_target_ids, &by_id);

        // New lesions.
        let mut new_lesions = NewLesions::No;
        for m in a
            .measurements
            .iter()
            .filter(|m| m.kind == Some(LesionKind::New))
        {
            match m.status {
                Some(LesionStatus::Absent) | Some(LesionStatus::NotEvaluated) => continue,
                Some(LesionStatus::Equivocal) => {
                    new_first.entry(m.lesion.as_str()).or_insert((idx, true));
                    if new_lesions == NewLesions::No {
                        new_lesions = NewLesions::Equivocal;
                    }
                }
                _ => {
                    let first = *new_first.entry(m.lesion.as_str()).or_insert((idx, false));
                    if first.1 && first.0 < idx {
                        confirmed_equivocal.push((first.0, m.lesion.clone(), a.date));
                        // Only the first confirmation dates back.
                        new_first.insert(m.lesion.as_str(), (first.0, false));
                    }
                    new_lesions = NewLesions::Yes;
                }
            }
        }

        let overall = overall_response(rules, target, non_target, new_lesions);
        timepoints.push(Timepoint {
            date: a.date,
            days: a.date.days_since(baseline.date),
            sum,
            complete,
            change_from_baseline_pct,
            change_from_nadir_pct,
            target,
            non_target,
            new_lesions,
            overall,
            notes,
        });
    }
    for (first, lesion, confirmed_on) in confirmed_equivocal {
        let tp = &mut timepoints[first];
        if tp.overall != Category::PD {
            tp.overall = Category::PD;
        }
        tp.notes.push(format!(
            "equivocal new lesion {lesion} confirmed on {confirmed_on}: progression dated at its first appearance"
        ));
    }
    apply_sequence_rules(&mut timepoints, options);
    let best = best_response(baseline.date, &timepoints, has_targets, options);
    Ok(PatientResponse {
        patient: pid.to_string(),
        criteria: rules.name.clone(),
        baseline_date: baseline.date,
        baseline_sum,
        targets: target_ids.iter().map(|s| s.to_string()).collect(),
        targets_selected,
        timepoints,
        best,
    })
}

fn kind_label(k: LesionKind) -> &'static str {
    match k {
        LesionKind::Target => "target",
        LesionKind::NonTarget => "non-target",
        LesionKind::New => "new",
    }
}

fn mean_density(values: &[Option<f64>]) -> Option<f64> {
    let v: Vec<f64> = values.iter().flatten().copied().collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

fn organ_key(organ: &str) -> String {
    organ.trim().to_ascii_lowercase()
}

/// RECIST 1.1 §4.2: the largest measurable lesions, at most `max_per_organ`
/// per organ and `max_total` in all; ties keep file order.
fn select_targets<'a>(rules: &Rules, candidates: &[&'a Measurement]) -> Vec<&'a Measurement> {
    let mut measurable: Vec<&Measurement> = candidates
        .iter()
        .copied()
        .filter(|m| rules.not_measurable(m).is_none() && rules.measure(m).is_some())
        .collect();
    measurable.sort_by(|a, b| {
        let va = rules.measure(a).unwrap_or(0.0);
        let vb = rules.measure(b).unwrap_or(0.0);
        vb.total_cmp(&va)
    });
    let mut chosen: Vec<&Measurement> = Vec::new();
    let mut per_organ: HashMap<String, usize> = HashMap::new();
    for m in measurable {
        if rules
            .selection
            .max_total
            .is_some_and(|max| chosen.len() >= max)
        {
            break;
        }
        let count = per_organ.entry(organ_key(&m.organ)).or_default();
        if rules
            .selection
            .max_per_organ
            .is_some_and(|max| *count >= max)
        {
            continue;
        }
        *count += 1;
        chosen.push(m);
    }
    chosen
}

fn validate_targets(pid: &str, rules: &Rules, given: &[&Measurement]) -> Result<(), ResponseError> {
    let err = |reason: String| ResponseError::Selection {
        patient: pid.to_string(),
        criteria: rules.name.clone(),
        reason,
    };
    if let Some(max) = rules.selection.max_total
        && given.len() > max
    {
        return Err(err(format!(
            "{} target lesions; at most {max} are allowed",
            given.len()
        )));
    }
    if let Some(max) = rules.selection.max_per_organ {
        let mut per_organ: HashMap<String, Vec<&str>> = HashMap::new();
        for m in given {
            per_organ
                .entry(organ_key(&m.organ))
                .or_default()
                .push(&m.lesion);
        }
        let mut organs: Vec<_> = per_organ.into_iter().collect();
        organs.sort();
        for (organ, ids) in organs {
            if ids.len() > max {
                return Err(err(format!(
                    "{} targets in organ '{organ}' ({}); at most {max} per organ",
                    ids.len(),
                    ids.join(", ")
                )));
            }
        }
    }
    for m in given {
        if let Some(reason) = rules.not_measurable(m) {
            return Err(err(format!(
                "target {} is not measurable: {reason}",
                m.lesion
            )));
        }
    }
    Ok(())
}

struct TargetState<'a> {
    values: &'a [Option<f64>],
    sum: f64,
    complete: bool,
    all_gone: bool,
    baseline_sum: f64,
    nadir: f64,
    lesion_nadir: &'a [f64],
    baseline_values: &'a [f64],
    density_change: Option<f64>,
}

/// Increase from `reference` to `value` meets `bound` and `min_abs`.
fn increase_meets(value: f64, reference: f64, bound: Bound, min_abs: f64) -> bool {
    let relative = if reference > 0.0 {
        bound.met_by((value - reference) / reference * 100.0)
    } else {
        value > 0.0
    };
    relative && (min_abs <= 0.0 || value - reference >= min_abs - EPS)
}

fn progression(rules: &Rules, s: &TargetState<'_>) -> bool {
    let t = &rules.thresholds;
    let sum_ref = match t.pd_reference {
        Reference::Nadir => s.nadir,
        Reference::Baseline => s.baseline_sum,
    };
    let by_sum = || increase_meets(s.sum, sum_ref, t.pd_increase, t.pd_min_increase);
    let by_lesion = || {
        s.values.iter().enumerate().any(|(i, v)| {
            let Some(v) = v else { return false };
            let r = match t.pd_reference {
                Reference::Nadir => s.lesion_nadir[i],
                Reference::Baseline => s.baseline_values[i],
            };
            increase_meets(*v, r, t.pd_increase, t.pd_min_increase)
        })
    };
    match t.pd_rule {
        PdRule::Sum => by_sum(),
        PdRule::AnyLesion => by_lesion(),
        PdRule::SumOrAnyLesion => by_sum() || by_lesion(),
    }
}

fn target_category(rules: &Rules, s: &TargetState<'_>) -> Category {
    let t = &rules.thresholds;
    let density_pr = match (t.density_pr_decrease_pct, s.density_change) {
        (Some(limit), Some(change)) => change <= -limit + EPS,
        _ => false,
    };
    if !s.complete {
        // Missing lesions can only add to the sum: progression by the
        // measured ones stands, anything else could change.
        return if progression(rules, s) && !density_pr {
            Category::PD
        } else {
            Category::NE
        };
    }
    if t.cr_on_disappearance && s.all_gone {
        return Category::CR;
    }
    if progression(rules, s) && !density_pr {
        return Category::PD;
    }
    if s.baseline_sum > 0.0 {
        let decrease = (s.baseline_sum - s.sum) / s.baseline_sum * 100.0;
        for &(cat, bound) in &t.bands {
            if bound.met_by(decrease) {
                return cat;
            }
        }
    }
    if density_pr {
        return Category::PR;
    }
    Category::SD
}

fn non_target_response(
    rules: &Rules,
    ids: &[&str],
    by_id: &HashMap<&str, &Measurement>,
) -> NonTargetResponse {
    if ids.is_empty() {
        return NonTargetResponse::NotApplicable;
    }
    let mut any_pd = false;
    let mut any_ne = false;
    let mut all_absent = true;
    for id in ids {
        let status = match by_id.get(id) {
            None => LesionStatus::NotEvaluated,
            Some(m) => m.status.unwrap_or_else(|| {
                let size = if m.is_node {
                    m.short_axis_mm
                } else {
                    m.longest_mm
                };
                match size {
                    Some(v) if m.is_node && v < rules.node_normal_mm => LesionStatus::Absent,
                    Some(v) if !m.is_node && v == 0.0 => LesionStatus::Absent,
                    _ => LesionStatus::Present,
                }
            }),
        };
        match status {
            LesionStatus::Progression => any_pd = true,
            LesionStatus::NotEvaluated => any_ne = true,
            LesionStatus::Absent => continue,
            LesionStatus::Present | LesionStatus::Equivocal => {}
        }
        all_absent = false;
    }
    if any_pd {
        NonTargetResponse::PD
    } else if any_ne {
        NonTargetResponse::NE
    } else if all_absent {
        NonTargetResponse::CR
    } else {
        NonTargetResponse::NonCrNonPd
    }
}

/// RECIST 1.1 Table 1 (targets) and Table 2 (non-target-only disease).
fn overall_response(
    rules: &Rules,
    target: TargetResponse,
    non_target: NonTargetResponse,
    new: NewLesions,
) -> Category {
    if target == TargetResponse::Category(Category::PD)
        || non_target == NonTargetResponse::PD
        || new == NewLesions::Yes
    {
        return Category::PD;
    }
    match target {
        TargetResponse::NotApplicable => match non_target {
            NonTargetResponse::CR => Category::CR,
            NonTargetResponse::NonCrNonPd => Category::NonCrNonPd,
            _ => Category::NE,
        },
        TargetResponse::Category(Category::NE) => Category::NE,
        TargetResponse::Category(Category::CR) => match non_target {
            NonTargetResponse::CR | NonTargetResponse::NotApplicable => Category::CR,
            _ if !rules.cr_requires_non_target_cr => Category::CR,
            _ => Category::PR,
        },
        TargetResponse::Category(c) => c,
    }
}
