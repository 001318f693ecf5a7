//! Validation of registry rows beyond the type of each cell: dates in order,
//! columns that only make sense together, the recorded grade agreeing with
//! Ki-67 and mitoses, and a patient's records lying within their life.
//!
//! Rules work on the generic rows of [`super::schema`], so the importer and
//! the web forms apply exactly the same checks. Dates are compared as
//! intervals ([`PartialDate::certainly_before`]): `2001` is never reported as
//! before `2001-05`.

use super::ctcae::{self, Ctcae};
use super::date::{Day, PartialDate};
use super::range::BoundSide;
use super::schema::{Entity, EntitySpec, Kind, Value};
use super::vocab::{self, Vocabulary};
use crate::grade;

mod concepts;

/// A rule a row breaks, naming the column to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The column the message points at.
    pub column: &'static str,
    /// Why the row is wrong.
    pub reason: String,
}

fn v(column: &'static str, reason: impl Into<String>) -> Violation {
    Violation {
        column,
        reason: reason.into(),
    }
}

/// Read access to a row by column name.
pub struct RowView<'a> {
    spec: &'a EntitySpec,
    row: &'a [Value],
}

impl<'a> RowView<'a> {
    /// A view of `row`, whose values follow `spec.columns`.
    pub fn new(spec: &'a EntitySpec, row: &'a [Value]) -> Self {
        RowView { spec, row }
    }

    /// The value of `column` (`Null` for an unknown column).
    pub fn get(&self, column: &str) -> &'a Value {
        static NULL: Value = Value::Null;
        self.spec
            .position(column)
            .and_then(|i| self.row.get(i))
            .unwrap_or(&NULL)
    }

    /// The text of `column`.
    pub fn str(&self, column: &str) -> Option<&'a str> {
        self.get(column).as_str()
    }

    /// The date in `column`.
    pub fn date(&self, column: &str) -> Option<PartialDate> {
        self.get(column).as_date()
    }

    /// The number in `column`.
    pub fn num(&self, column: &str) -> Option<f64> {
        self.get(column).as_f64()
    }

    /// The first and last day the date in `column` can stand for, within
    /// its recorded bounds ([`super::range`]); `None` without a date or
    /// when the bounds leave no day (reported by [`check_row`]).
    pub fn span(&self, column: &str) -> Option<(Day, Day)> {
        let d = self.date(column)?;
        self.spec.bounds_in(column, self.row).span(&d)
    }

    /// True when `column` holds a value.
    pub fn has(&self, column: &str) -> bool {
        !self.get(column).is_null()
    }
}

/// Every rule one row breaks (cell types are assumed already checked).
pub fn check_row(entity: Entity, row: &[Value]) -> Vec<Violation> {
    let spec = entity.spec();
    let r = RowView::new(spec, row);
    let mut out = Vec::new();
    range_rules(spec, row, &mut out);
    for (earlier, later) in &spec.date_order {
        // Compared on the days each date can stand for within its bounds.
        if let (Some(a), Some((_, b_hi)), Some((a_lo, _))) =
            (r.date(earlier), r.span(later), r.span(earlier))
            && b_hi < a_lo
        {
            out.push(v(later, format!("{later} is before {earlier} ({a})")));
        }
    }
    let requires_detail = |out: &mut Vec<Violation>, code_col: &str, detail: &'static str| {
        if r.str(code_col) == Some("other") && !r.has(detail) {
            out.push(v(detail, format!("required when {code_col} is other")));
        }
    };
    match entity {
        Entity::Patient => {
            let dead = r.str("vital_status") == Some(vocab::VitalStatus::Dead.code());
            for c in ["death_date", "death_cause"] {
                if r.has(c) && !dead {
                    out.push(v(
                        c,
                        "recorded for a patient whose vital_status is not dead",
                    ));
                }
            }
        }
        Entity::Tumour => tumour_rules(&r, &mut out),
        Entity::Metastasis => {
            requires_detail(&mut out, "site", "detail");
            if r.has("liver_pattern") && r.str("site") != Some("liver") {
                out.push(v("liver_pattern", "applies to the liver only"));
            }
        }
        Entity::Biomarker => {
            requires_detail(&mut out, "marker", "marker_detail");
            if let (Some(lo), Some(hi)) = (r.num("lower_limit"), r.num("upper_limit"))
                && hi < lo
            {
                out.push(v("upper_limit", format!("is below lower_limit ({lo})")));
            }
        }
        Entity::Treatment => treatment_rules(&r, &mut out),
        Entity::RadionuclideAdministration => administration_rules(&r, &mut out),
        Entity::TreatmentAgent => {
            requires_detail(&mut out, "agent", "agent_detail");
            let ssa = r
                .str("agent")
                .and_then(|s| vocab::Agent::from_code(s).ok())
                .is_some_and(|a| a.class() == vocab::AgentClass::SomatostatinAnalogue);
            if matches!(r.str("formulation"), Some("lar" | "depot")) && !ssa {
                out.push(v(
                    "formulation",
                    "lar and depot are formulations of somatostatin analogues",
                ));
            }
            if r.has("dose") && !r.has("dose_unit") {
                out.push(v("dose_unit", "required when dose is given"));
            }
        }
        Entity::Lesion => lesion_rules(&r, &mut out),
        Entity::AdverseEvent => {
            if let (Some(term), Some(grade)) = (r.str("term"), r.num("grade"))
                && let Ctcae::NotDefined(t) = ctcae::check(term, grade as u8)
            {
                out.push(v(
                    "grade",
                    format!(
                        "CTCAE v5.0 defines no grade {grade} for '{}' (its grades: {})",
                        t.name,
                        ctcae::grades_text(t)
                    ),
                ));
            }
        }
        _ => {}
    }
    concepts::check(entity, &r, &mut out);
    out
}

/// Dates known as ranges: a bound needs its date, the bounds must leave a
/// day, and the date must lie within them.
fn range_rules(spec: &EntitySpec, row: &[Value], out: &mut Vec<Violation>) {
    for (i, c) in spec.date_columns() {
        let Some((nb, na)) = spec.bounds_of(c.name) else {
            continue;
        };
        let bounds = spec.bounds_in(c.name, row);
        let date = row.get(i).and_then(Value::as_date);
        for (side, reason) in bounds.problems(date.as_ref()) {
            let column = match side {
                BoundSide::Date => c.name,
                BoundSide::NotBefore => spec.columns[nb].name,
                BoundSide::NotAfter => spec.columns[na].name,
            };
            out.push(v(column, reason));
        }
    }
}

fn tumour_rules(r: &RowView<'_>, out: &mut Vec<Violation>) {
    use vocab::*;
    let site = r
        .str("primary_site")
        .and_then(|s| PrimarySite::from_code(s).ok());
    if site == Some(PrimarySite::Other) && !r.has("primary_site_detail") {
        out.push(v(
            "primary_site_detail",
            "required when primary_site is other",
        ));
    }
    if let (Some(site), Some(seg)) = (
        site,
        r.str("gi_segment")
            .and_then(|s| GiSegment::from_code(s).ok()),
    ) {
        let allowed = site.allowed_segments();
        if allowed.is_empty() {
            out.push(v(
                "gi_segment",
                format!("applies to GI primaries only (primary_site is {site})"),
            ));
        } else if !allowed.contains(&seg) {
            let names: Vec<&str> = allowed.iter().map(|s| s.code()).collect();
            out.push(v(
                "gi_segment",
                format!("a {site} primary is {}, not {seg}", names.join(" or ")),
            ));
        }
    }
    let diff = r
        .str("differentiation")
        .and_then(|s| Differentiation::from_code(s).ok());
    let cell = r
        .str("nec_cell_type")
        .and_then(|s| NecCellType::from_code(s).ok());
    if cell.is_some() && diff != Some(Differentiation::Poor) {
        out.push(v(
            "nec_cell_type",
            "applies to poorly differentiated tumours (differentiation poor) only",
        ));
    }
    let system = r
        .str("grade_system")
        .and_then(|s| GradeSystem::from_code(s).ok());
    let inputs = crate::grading::GradeInputs {
        differentiation: diff,
        nec_cell_type: cell,
        ki67_percent: r.num("ki67_percent"),
        mitoses_per_2mm2: r.num("mitoses_per_2mm2"),
        mitoses_per_10hpf: r.num("mitoses_per_10hpf"),
        necrosis: r.get("necrosis").as_bool(),
        grade_system: system,
        reported_grade: r
            .str("reported_grade")
            .and_then(|s| ReportedGrade::from_code(s).ok()),
    };
    for (column, reason) in inputs.problems() {
        out.push(v(column, reason));
    }
    let recorded = r.str("who_grade").and_then(|s| WhoGrade::from_code(s).ok());
    // Lung tumours are typed by the lung rules: Ki-67 does not grade them.
    if let Some(recorded) = recorded
        && system != Some(GradeSystem::WhoLung)
        && let Ok(Some(derived)) =
            grade::who_2019_grade(diff, cell, r.num("ki67_percent"), r.num("mitoses_per_2mm2"))
    {
        // A NEC recorded without its cell type is consistent with either.
        let same = derived == recorded
            || (recorded == WhoGrade::NecUnspecified && derived.is_nec())
            || (derived == WhoGrade::NecUnspecified && recorded.is_nec());
        if !same {
            out.push(v(
                "who_grade",
                format!(
                    "recorded {recorded} disagrees with {derived} derived by WHO 2019 \
                         from differentiation, ki67_percent and mitoses_per_2mm2"
                ),
            ));
        }
    }
}

fn treatment_rules(r: &RowView<'_>, out: &mut Vec<Violation>) {
    if r.has("surgery_type") && r.str("type") != Some("surgery") {
        out.push(v("surgery_type", "applies to surgery only"));
    }
    let local = r
        .str("type")
        .and_then(|s| vocab::TreatmentType::from_code(s).ok())
        .is_some_and(|t| t.class() == vocab::TreatmentClass::Local);
    for c in ["target_organ", "target_lesions"] {
        if r.has(c) && !local {
            out.push(v(
                c,
                "applies to local treatments (surgery, embolisation, ablation, radiotherapy) only",
            ));
        }
    }
    if let Some(text) = r.str("target_lesions") {
        let ids = super::model::lesion_list(text);
        if ids.is_empty() {
            out.push(v(
                "target_lesions",
                "write lesion ids separated by ; (e.g. L1;L3)",
            ));
        }
        for id in &ids {
            if let Some(problem) = super::ident::identifier_problem(id) {
                out.push(v("target_lesions", format!("lesion id '{id}': {problem}")));
            }
        }
    }
}

/// The parts of a combined PRRT must add up to the administered activity
/// (to 0.01 GBq, the precision activities are reported with).
fn administration_rules(r: &RowView<'_>, out: &mut Vec<Violation>) {
    let Some(total) = r.num("activity_gbq") else {
        return;
    };
    let parts: Vec<f64> = ["lu177_gbq", "y90_gbq"]
        .iter()
        .filter_map(|c| r.num(c))
        .collect();
    let sum: f64 = parts.iter().sum();
    if parts.len() == 2 && (sum - total).abs() > 0.005 {
        out.push(v(
            "activity_gbq",
            format!(
                "is not lu177_gbq + y90_gbq ({})",
                (sum * 1000.0).round() / 1000.0
            ),
        ));
    } else if parts.len() == 1 && sum > total + 0.005 {
        let c = if r.has("lu177_gbq") {
            "lu177_gbq"
        } else {
            "y90_gbq"
        };
        out.push(v(c, format!("exceeds activity_gbq ({total})")));
    }
}

fn lesion_rules(r: &RowView<'_>, out: &mut Vec<Violation>) {
    if let Some(longest) = r.num("longest_mm") {
        for c in ["perpendicular_mm", "viable_mm"] {
            if let Some(x) = r.num(c)
                && x > longest
            {
                out.push(v(c, format!("exceeds longest_mm ({longest})")));
            }
        }
    }
    if r.has("short_axis_mm") && r.str("organ") != Some("lymph_node") {
        out.push(v("short_axis_mm", "is recorded for lymph nodes only"));
    }
    if r.has("status") && r.str("role") == Some("target") {
        out.push(v(
            "status",
            "applies to non-target and new lesions (target lesions are measured)",
        ));
    }
}

/// The patient-level dates that bound every other record of the patient.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LifeSpan {
    /// Date of birth.
    pub birth: Option<PartialDate>,
    /// Date of death.
    pub death: Option<PartialDate>,
    /// Date of first diagnosis of the NET: no tumour assessment before it.
    pub diagnosis: Option<PartialDate>,
    /// Date last known alive: no assessment and no treatment start after it.
    pub last_followup: Option<PartialDate>,
}

impl LifeSpan {
    /// The life span recorded in a patient row.
    pub fn of_patient(row: &[Value]) -> LifeSpan {
        let r = RowView::new(Entity::Patient.spec(), row);
        LifeSpan {
            birth: r.date("birth_date"),
            death: r.date("death_date"),
            diagnosis: r.date("diagnosis_date"),
            last_followup: r.date("last_followup_date"),
        }
    }
}

/// The date columns of `entity` that must lie within the patient's
/// follow-up (on or after the diagnosis, on or before the last follow-up):
/// an assessment's date and a treatment's start. Other records may
/// legitimately precede the diagnosis (a marker drawn before the biopsy)
/// and an end date or an adverse event's resolution may be learnt after the
/// last visit. An assessment before study entry stays allowed: a baseline
/// scan usually precedes entry.
fn follow_up_columns(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Assessment => &["date"],
        Entity::Treatment => &["start_date"],
        _ => &[],
    }
}

/// Rules linking a child row to its patient: no record before birth or
/// after death, death-related codes only for the dead.
pub fn check_against_patient(
    entity: Entity,
    row: &[Value],
    life: LifeSpan,
    patient_is_dead: bool,
) -> Vec<Violation> {
    let spec = entity.spec();
    let mut out = Vec::new();
    let r = RowView::new(spec, row);
    for (_, c) in spec.date_columns() {
        // A bound is a statement about its date, checked through the date's
        // span below, not an event of its own.
        if spec.bounded_date(c.name).is_some() {
            continue;
        }
        let Some((lo, hi)) = r.span(c.name) else {
            continue;
        };
        if let Some(death) = life.death
            && death.latest() < lo
        {
            out.push(v(c.name, format!("is after the patient's death ({death})")));
        }
        if let Some(birth) = life.birth
            && hi < birth.earliest()
        {
            out.push(v(
                c.name,
                format!("is before the patient's birth ({birth})"),
            ));
        }
    }
    for &c in follow_up_columns(entity) {
        let Some((lo, hi)) = r.span(c) else { continue };
        if let Some(dx) = life.diagnosis
            && entity == Entity::Assessment
            && hi < dx.earliest()
        {
            out.push(v(c, format!("is before the patient's diagnosis ({dx})")));
        }
        let after_death = life.death.is_some_and(|death| death.latest() < lo);
        if let Some(last) = life.last_followup
            && last.latest() < lo
            && !after_death
        {
            out.push(v(
                c,
                format!("is after the patient's last follow-up ({last})"),
            ));
        }
    }
    if !patient_is_dead {
        if entity == Entity::Treatment && r.str("stop_reason") == Some("death") {
            out.push(v(
                "stop_reason",
                "is death but the patient is not recorded dead",
            ));
        }
        if entity == Entity::AdverseEvent && r.num("grade") == Some(5.0) {
            out.push(v(
                "grade",
                "grade 5 (death) but the patient is not recorded dead",
            ));
        }
    }
    out
}

/// Dates of a row that are certainly after `today` (every day a partial
/// date can stand for is later): a record cannot describe the future, and a
/// year typed `2104` for `2014` would otherwise lengthen follow-up by a
/// century. `today` comes from the caller (rules do no I/O).
pub fn check_not_future(entity: Entity, row: &[Value], today: Day) -> Vec<Violation> {
    let mut out = Vec::new();
    let spec = entity.spec();
    for (i, c) in spec.date_columns() {
        // "Not after 2026-12" is a bound, not an event: it may lie ahead.
        if matches!(spec.bounded_date(c.name), Some((_, BoundSide::NotAfter))) {
            continue;
        }
        let Some(d) = row.get(i).and_then(Value::as_date) else {
            continue;
        };
        if d.earliest() > today {
            // Today's date stays out of the message: the same file gives
            // the same message every day.
            out.push(v(c.name, "is in the future"));
        }
    }
    out
}

/// True when the schema column `column` of `entity` is a date.
pub fn is_date_column(entity: Entity, column: &str) -> bool {
    entity
        .spec()
        .column(column)
        .is_some_and(|c| matches!(c.kind, Kind::Date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(entity: Entity, cells: &[(&str, &str)]) -> Vec<Value> {
        let spec = entity.spec();
        let mut r = vec![Value::Null; spec.columns.len()];
        for (name, text) in cells {
            let i = spec.position(name).unwrap();
            r[i] = spec.columns[i].kind.parse(text).unwrap();
        }
        r
    }

    #[test]
    fn death_before_diagnosis() {
        let r = row(
            Entity::Patient,
            &[
                ("diagnosis_date", "2003-05"),
                ("death_date", "2001-01-05"),
                ("vital_status", "dead"),
            ],
        );
        assert_eq!(
            check_row(Entity::Patient, &r),
            vec![v(
                "death_date",
                "death_date is before diagnosis_date (2003-05)"
            )]
        );
        // Same month, different precision: not certainly before.
        let r = row(
            Entity::Patient,
            &[
                ("diagnosis_date", "2003-05"),
                ("death_date", "2003-05-01"),
                ("vital_status", "dead"),
            ],
        );
        assert!(check_row(Entity::Patient, &r).is_empty());
    }

    #[test]
    fn death_date_needs_dead_status() {
        let r = row(
            Entity::Patient,
            &[("death_date", "2003-05"), ("vital_status", "alive")],
        );
        assert_eq!(check_row(Entity::Patient, &r)[0].column, "death_date");
    }

    #[test]
    fn tumour_consistency() {
        let r = row(
            Entity::Tumour,
            &[("primary_site", "rectum"), ("gi_segment", "midgut")],
        );
        assert_eq!(
            check_row(Entity::Tumour, &r),
            vec![v("gi_segment", "a rectum primary is hindgut, not midgut")]
        );
        let r = row(
            Entity::Tumour,
            &[("primary_site", "colon"), ("gi_segment", "hindgut")],
        );
        assert!(check_row(Entity::Tumour, &r).is_empty());
        let r = row(
            Entity::Tumour,
            &[
                ("primary_site", "pancreas"),
                ("differentiation", "well"),
                ("ki67_percent", "3"),
                ("mitoses_per_2mm2", "1"),
                ("who_grade", "g1"),
            ],
        );
        assert_eq!(check_row(Entity::Tumour, &r)[0].column, "who_grade");
        let r = row(
            Entity::Tumour,
            &[
                ("primary_site", "lung"),
                ("differentiation", "poor"),
                ("nec_cell_type", "small_cell"),
                ("who_grade", "nec_unspecified"),
            ],
        );
        assert!(check_row(Entity::Tumour, &r).is_empty());
        let r = row(
            Entity::Tumour,
            &[("primary_site", "lung"), ("nec_cell_type", "small_cell")],
        );
        assert_eq!(check_row(Entity::Tumour, &r)[0].column, "nec_cell_type");
    }

    #[test]
    fn lesion_geometry() {
        let r = row(
            Entity::Lesion,
            &[
                ("organ", "liver"),
                ("role", "target"),
                ("longest_mm", "20"),
                ("perpendicular_mm", "25"),
                ("short_axis_mm", "10"),
            ],
        );
        let cols: Vec<_> = check_row(Entity::Lesion, &r)
            .into_iter()
            .map(|x| x.column)
            .collect();
        assert_eq!(cols, vec!["perpendicular_mm", "short_axis_mm"]);
    }

    #[test]
    fn dates_in_the_future_are_refused() {
        let today = Day::from_ymd(2026, 12, 6).unwrap();
        let r = row(
            Entity::Assessment,
            &[
                ("patient", "P1"),
                ("assessment", "A1"),
                ("date", "2027"),
                ("modality", "ct"),
            ],
        );
        let got = check_not_future(Entity::Assessment, &r, today);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].column, "date");
        assert_eq!(got[0].reason, "is in the future");
        // The current month and today itself are not the future.
        for ok in ["2026-12", "2026-12-06", "2026"] {
            let r = row(
                Entity::Assessment,
                &[
                    ("patient", "P1"),
                    ("assessment", "A1"),
                    ("date", ok),
                    ("modality", "ct"),
                ],
            );
            assert!(
                check_not_future(Entity::Assessment, &r, today).is_empty(),
                "{ok}"
            );
        }
    }

    #[test]
    fn records_within_life() {
        let life = LifeSpan {
            birth: Some("1950".parse().unwrap()),
            death: Some("2004-03-10".parse().unwrap()),
            ..LifeSpan::default()
        };
        let t = row(
            Entity::Treatment,
            &[
                ("start_date", "2004-03"),
                ("end_date", "2004-04-01"),
                ("type", "tace"),
            ],
        );
        assert_eq!(
            check_against_patient(Entity::Treatment, &t, life, true),
            vec![v("end_date", "is after the patient's death (2004-03-10)")]
        );
        let ae = row(
            Entity::AdverseEvent,
            &[("grade", "5"), ("onset_date", "1949")],
        );
        let got = check_against_patient(Entity::AdverseEvent, &ae, life, false);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].column, "onset_date");
        assert_eq!(got[1].column, "grade");
    }

    #[test]
    fn assessments_and_treatment_starts_within_follow_up() {
        let life = LifeSpan {
            diagnosis: Some("2008-10".parse().unwrap()),
            last_followup: Some("2012-03-10".parse().unwrap()),
            ..LifeSpan::default()
        };
        let before = row(
            Entity::Assessment,
            &[
                ("assessment", "A0"),
                ("date", "2008-09-20"),
                ("modality", "ct"),
            ],
        );
        assert_eq!(
            check_against_patient(Entity::Assessment, &before, life, false),
            vec![v("date", "is before the patient's diagnosis (2008-10)")]
        );
        let after = row(
            Entity::Assessment,
            &[
                ("assessment", "A9"),
                ("date", "2012-04"),
                ("modality", "ct"),
            ],
        );
        assert_eq!(
            check_against_patient(Entity::Assessment, &after, life, false),
            vec![v(
                "date",
                "is after the patient's last follow-up (2012-03-10)"
            )]
        );
        // A year-only date that may fall within the follow-up is not refused.
        for ok in ["2008", "2012", "2008-10-01", "2012-03-10"] {
            let r = row(
                Entity::Assessment,
                &[("assessment", "A1"), ("date", ok), ("modality", "ct")],
            );
            assert!(
                check_against_patient(Entity::Assessment, &r, life, false).is_empty(),
                "{ok}"
            );
        }
        let t = row(
            Entity::Treatment,
            &[("start_date", "2012-05-01"), ("type", "tace")],
        );
        assert_eq!(
            check_against_patient(Entity::Treatment, &t, life, false),
            vec![v(
                "start_date",
                "is after the patient's last follow-up (2012-03-10)"
            )]
        );
        // A treatment may start before the diagnosis is recorded (surgery
        // that made it); its end may be learnt after the last visit.
        let t = row(
            Entity::Treatment,
            &[
                ("start_date", "2008-09-01"),
                ("end_date", "2012-06"),
                ("type", "surgery"),
            ],
        );
        assert!(check_against_patient(Entity::Treatment, &t, life, false).is_empty());
    }

    #[test]
    fn treatment_started_after_death_is_refused() {
        let life = LifeSpan {
            death: Some("2010-02-03".parse().unwrap()),
            ..LifeSpan::default()
        };
        let t = row(
            Entity::Treatment,
            &[("start_date", "2010-03"), ("type", "chemotherapy")],
        );
        assert_eq!(
            check_against_patient(Entity::Treatment, &t, life, true),
            vec![v("start_date", "is after the patient's death (2010-02-03)")]
        );
    }

    #[test]
    fn ctcae_pairs_that_do_not_exist_are_refused() {
        let ae = |term: &str, grade: &str| {
            row(
                Entity::AdverseEvent,
                &[("event", "AE1"), ("term", term), ("grade", grade)],
            )
        };
        assert_eq!(
            check_row(Entity::AdverseEvent, &ae("Leukocytosis", "1")),
            vec![v(
                "grade",
                "CTCAE v5.0 defines no grade 1 for 'Leukocytosis' (its grades: 3, 4, 5)"
            )]
        );
        assert!(check_row(Entity::AdverseEvent, &ae("leukocytosis", "3")).is_empty());
        assert_eq!(
            check_row(Entity::AdverseEvent, &ae("Nausea", "4"))[0].column,
            "grade"
        );
        // A term the table does not hold is accepted (and flagged by the
        // importer).
        assert!(check_row(Entity::AdverseEvent, &ae("Carcinoid crisis", "4")).is_empty());
    }

    #[test]
    fn dates_known_as_ranges() {
        let t = |cells: &[(&str, &str)]| {
            let mut all = vec![("patient", "P1"), ("treatment", "T1"), ("type", "tace")];
            all.extend_from_slice(cells);
            check_row(Entity::Treatment, &row(Entity::Treatment, &all))
        };
        // Between the October scan and December: fine.
        assert!(
            t(&[
                ("start_date", "2010"),
                ("start_date_not_before", "2010-10-15"),
                ("start_date_not_after", "2010-12"),
            ])
            .is_empty()
        );
        // not_before after not_after.
        assert_eq!(
            t(&[
                ("start_date", "2010"),
                ("start_date_not_before", "2010-11"),
                ("start_date_not_after", "2010-10"),
            ]),
            vec![v(
                "start_date_not_after",
                "is before not_before (2010-11): the range has no day"
            )]
        );
        // A full date outside its own bounds.
        assert_eq!(
            t(&[
                ("start_date", "2010-09-30"),
                ("start_date_not_before", "2010-10-15"),
            ]),
            vec![v(
                "start_date",
                "is before its not_before bound (2010-10-15)"
            )]
        );
        assert_eq!(
            t(&[
                ("end_date", "2011-02"),
                ("end_date_not_after", "2011-01-31")
            ]),
            vec![v("end_date", "is after its not_after bound (2011-01-31)")]
        );
        // A bound without its date.
        assert_eq!(
            t(&[("end_date_not_before", "2011")])[0].column,
            "end_date_not_before"
        );
        // The order of start and end is judged within the bounds: a 2010
        // start not before November and an end in 2010-10 cannot be.
        assert_eq!(
            t(&[
                ("start_date", "2010"),
                ("start_date_not_before", "2010-11"),
                ("end_date", "2010-10"),
            ]),
            vec![v("end_date", "end_date is before start_date (2010)")]
        );
        // Without the bound the same dates are possible.
        assert!(t(&[("start_date", "2010"), ("end_date", "2010-10")]).is_empty());
    }

    #[test]
    fn ranges_within_the_patient_life() {
        let life = LifeSpan {
            death: Some("2010-10-05".parse().unwrap()),
            diagnosis: Some("2008-10".parse().unwrap()),
            ..LifeSpan::default()
        };
        let a = |cells: &[(&str, &str)]| {
            let mut all = vec![("patient", "P1"), ("assessment", "A1"), ("modality", "ct")];
            all.extend_from_slice(cells);
            check_against_patient(
                Entity::Assessment,
                &row(Entity::Assessment, &all),
                life,
                true,
            )
        };
        // 2010 may be before the death; not before November it cannot.
        assert!(a(&[("date", "2010")]).is_empty());
        assert_eq!(
            a(&[("date", "2010"), ("date_not_before", "2010-11")]),
            vec![v("date", "is after the patient's death (2010-10-05)")]
        );
        // 2008 may be after the diagnosis; not after September it is before.
        assert!(a(&[("date", "2008")]).is_empty());
        assert_eq!(
            a(&[("date", "2008"), ("date_not_after", "2008-09")]),
            vec![v("date", "is before the patient's diagnosis (2008-10)")]
        );
        // A not_after bound beyond today is not "in the future".
        let today = Day::from_ymd(2026, 12, 6).unwrap();
        let r = row(
            Entity::Assessment,
            &[
                ("patient", "P1"),
                ("assessment", "A1"),
                ("date", "2026"),
                ("date_not_after", "2026-12-31"),
                ("modality", "ct"),
            ],
        );
        assert!(check_not_future(Entity::Assessment, &r, today).is_empty());
    }

    #[test]
    fn treatment_details_of_model_v2() {
        let t = |cells: &[(&str, &str)]| {
            let mut all = vec![("patient", "P1"), ("treatment", "T1")];
            all.extend_from_slice(cells);
            check_row(Entity::Treatment, &row(Entity::Treatment, &all))
        };
        assert!(
            t(&[
                ("type", "rfa"),
                ("target_organ", "liver"),
                ("target_lesions", "L1; L3")
            ])
            .is_empty()
        );
        assert_eq!(
            t(&[("type", "chemotherapy"), ("target_organ", "liver")])[0].column,
            "target_organ"
        );
        assert_eq!(
            t(&[("type", "tace"), ("target_lesions", ";")])[0].column,
            "target_lesions"
        );
        assert!(
            t(&[
                ("type", "surgery"),
                ("surgery_type", "liver_transplantation")
            ])
            .is_empty()
        );
        let a = |cells: &[(&str, &str)]| {
            let mut all = vec![
                ("patient", "P1"),
                ("treatment", "T1"),
                ("administration", "1"),
            ];
            all.extend_from_slice(cells);
            check_row(
                Entity::RadionuclideAdministration,
                &row(Entity::RadionuclideAdministration, &all),
            )
        };
        assert!(
            a(&[
                ("activity_gbq", "7.4"),
                ("lu177_gbq", "3.7"),
                ("y90_gbq", "3.7")
            ])
            .is_empty()
        );
        assert_eq!(
            a(&[
                ("activity_gbq", "7.4"),
                ("lu177_gbq", "3.7"),
                ("y90_gbq", "1.85")
            ]),
            vec![v("activity_gbq", "is not lu177_gbq + y90_gbq (5.55)")]
        );
        assert_eq!(
            a(&[("activity_gbq", "3"), ("y90_gbq", "3.7")])[0].column,
            "y90_gbq"
        );
        let g = |cells: &[(&str, &str)]| {
            let mut all = vec![("patient", "P1"), ("treatment", "T1")];
            all.extend_from_slice(cells);
            check_row(Entity::TreatmentAgent, &row(Entity::TreatmentAgent, &all))
        };
        assert!(
            g(&[
                ("agent", "octreotide"),
                ("route", "im"),
                ("formulation", "lar")
            ])
            .is_empty()
        );
        assert_eq!(
            g(&[("agent", "everolimus"), ("formulation", "lar")])[0].column,
            "formulation"
        );
    }

    #[test]
    fn reported_grades_follow_their_system() {
        let t = |cells: &[(&str, &str)]| {
            let mut all = vec![("patient", "P1"), ("tumour", "1"), ("primary_site", "lung")];
            all.extend_from_slice(cells);
            check_row(Entity::Tumour, &row(Entity::Tumour, &all))
        };
        // A lung carcinoid with a high Ki-67 is not judged by GEP rules.
        assert!(
            t(&[
                ("grade_system", "who_lung"),
                ("reported_grade", "atypical_carcinoid"),
                ("mitoses_per_2mm2", "4"),
                ("ki67_percent", "25"),
                ("who_grade", "g1"),
            ])
            .is_empty()
        );
        assert_eq!(
            t(&[
                ("grade_system", "who_lung"),
                ("reported_grade", "typical_carcinoid"),
                ("mitoses_per_2mm2", "12"),
                ("differentiation", "poor"),
                ("nec_cell_type", "large_cell")
            ])[0]
                .reason,
            "reported typical_carcinoid disagrees with lcnec derived by who_lung from mitoses_per_2mm2, necrosis and nec_cell_type"
        );
        assert_eq!(t(&[("reported_grade", "g2")])[0].column, "grade_system");
        assert!(
            t(&[
                ("grade_system", "enets"),
                ("reported_grade", "g2"),
                ("mitoses_per_10hpf", "3")
            ])
            .is_empty()
        );
    }
}
