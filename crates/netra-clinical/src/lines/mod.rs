//! Lines of therapy derived from a patient's treatment records by
//! documented, configurable rules ([`LineRules`]); the rules and their
//! reasons are in `docs/endpoints.md` ("Lines of therapy").
//!
//! # Which records make lines
//! Systemic anticancer treatments (somatostatin analogue, interferon,
//! chemotherapy, targeted, radionuclide) with a start date, except those
//! given with curative, adjuvant or neoadjuvant intent (listed apart).
//! Local treatments (surgery, TACE, ablation, radiotherapy …) are kept as
//! their own items of the sequence and never advance the line. Supportive
//! and other treatments are ignored; undated treatments are listed apart.
//!
//! # Rules, in the order they are applied to each treatment (start order)
//! 1. The first treatment opens line 1.
//! 2. **Regimen window**: a treatment starting within `regimen_window_days`
//!    (28) of the line's start joins the line's regimen.
//! 3. **Gap**: a treatment starting more than `gap_days` (120) after every
//!    treatment of the line has ended opens a new line (even the same agents:
//!    re-treatment after a holiday is a new line).
//! 4. **Nothing new**: when every agent of the treatment is already in the
//!    line, is a listed add-on agent (`add_on_agents`), or is a somatostatin
//!    analogue continued as backbone, the treatment continues the line
//!    (continuation, re-challenge with the same agent after progression,
//!    add-ons, backbone).
//! 5. **Backbone**: a new agent added to a line that is a somatostatin
//!    analogue alone opens a new line whose regimen is the new agent, the
//!    analogue being its backbone (SSA, then SSA + everolimus = line 2,
//!    everolimus).
//! 6. **Progression**: a new agent after progression on the line (any
//!    progression evidence dated after the line's start and on or before the
//!    new agent's start) opens a new line.
//! 7. **Switch**: a new agent after every treatment of the line has stopped
//!    opens a new line (a change of therapy for toxicity or choice).
//! 8. Otherwise the new agent was added to a running regimen without
//!    progression: the line continues (intensification), unless
//!    `addition_starts_line` is set.
//!
//! Each line records its number, regimen (agents, add-ons, backbone), class,
//! start, end and end reason, and the evaluation of its tumour response
//! ([`crate::evaluation`]); its time to progression and progression-free
//! survival are derived by [`crate::endpoints::line_outcomes`].

use crate::evaluation::{Evaluation, EvaluationRules, Scans, evaluate_segment};
use crate::registry::date::Imputed;
use crate::registry::model::{PatientCourse, Treatment};
use crate::registry::order::KnownOrder;
use crate::registry::vocab::{
    Agent, AgentClass, Intent, StopReason, TreatmentClass, VitalStatus, Vocabulary,
};
use crate::registry::{Day, Imputation};

/// The configurable rules of line derivation (defaults as documented).
#[derive(Debug, Clone, PartialEq)]
pub struct LineRules {
    /// Agents started within this many days of a line's start form its
    /// regimen (default 28).
    pub regimen_window_days: i32,
    /// A gap without treatment longer than this many days starts a new line
    /// (default 120).
    pub gap_days: i32,
    /// Progression followed by a new agent starts a new line (default true).
    pub progression_new_agent: bool,
    /// A new agent after the line's treatments have all stopped starts a
    /// new line (default true).
    pub switch_starts_line: bool,
    /// A new agent added to a running regimen without progression starts a
    /// new line (default false: it joins the line).
    pub addition_starts_line: bool,
    /// Agents that never advance the line (default none; e.g. bevacizumab
    /// added to chemotherapy).
    pub add_on_agents: Vec<Agent>,
    /// A somatostatin analogue continued as backbone does not by itself
    /// make a line (default true).
    pub ssa_backbone: bool,
    /// How the lines' responses are evaluated (criteria, baseline window,
    /// progression source, partial-date rule).
    pub evaluation: EvaluationRules,
}

impl Default for LineRules {
    fn default() -> Self {
        LineRules {
            regimen_window_days: 28,
            gap_days: 120,
            progression_new_agent: true,
            switch_starts_line: true,
            addition_starts_line: false,
            add_on_agents: Vec::new(),
            ssa_backbone: true,
            evaluation: EvaluationRules::default(),
        }
    }
}

impl LineRules {
    /// The partial-date rule every derived date uses.
    pub fn imputation(&self) -> Imputation {
        self.evaluation.imputation
    }
}

/// Why a line ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LineEnd {
    /// Stopped for progression (recorded, or progression before the next
    /// line took over).
    Progression,
    /// Stopped for toxicity.
    Toxicity,
    /// Completed as planned.
    Completed,
    /// The patient died during the line.
    Death,
    /// Patient's choice.
    PatientChoice,
    /// Cost or access.
    CostOrAccess,
    /// Another recorded reason.
    Other,
    /// The next line started without progression or a recorded reason.
    NextLine,
    /// Still running at the last follow-up.
    Ongoing,
    /// Ended, reason not recorded.
    Unknown,
}

impl LineEnd {
    /// Code for output.
    pub fn code(self) -> &'static str {
        match self {
            LineEnd::Progression => "progression",
            LineEnd::Toxicity => "toxicity",
            LineEnd::Completed => "completed",
            LineEnd::Death => "death",
            LineEnd::PatientChoice => "patient_choice",
            LineEnd::CostOrAccess => "cost_or_access",
            LineEnd::Other => "other",
            LineEnd::NextLine => "next_line",
            LineEnd::Ongoing => "ongoing",
            LineEnd::Unknown => "unknown",
        }
    }

    fn of(r: StopReason) -> LineEnd {
        match r {
            StopReason::Progression => LineEnd::Progression,
            StopReason::Toxicity => LineEnd::Toxicity,
            StopReason::Completed => LineEnd::Completed,
            StopReason::Death => LineEnd::Death,
            StopReason::PatientChoice => LineEnd::PatientChoice,
            StopReason::CostOrAccess => LineEnd::CostOrAccess,
            StopReason::Other => LineEnd::Other,
        }
    }
}

/// Time to an event of a line (TTP, PFS), in days.
#[derive(Debug, Clone, PartialEq)]
pub struct LineTime {
    /// Days from the line's start.
    pub days: i32,
    /// True for an event, false when censored.
    pub event: bool,
    /// Day of the event or censoring.
    pub end: Imputed,
    /// What happened (event or censoring description).
    pub description: String,
}

/// One line of systemic therapy.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// 1, 2, …
    pub number: u32,
    /// Agents of the regimen (codes; a treatment without agents contributes
    /// its type code), in order of first administration.
    pub regimen: Vec<String>,
    /// Add-on agents given during the line.
    pub add_ons: Vec<String>,
    /// Somatostatin analogue continued as backbone.
    pub backbone: Vec<String>,
    /// Class of the line (of its first non-backbone treatment).
    pub class: TreatmentClass,
    /// Treatment ids of the line.
    pub treatments: Vec<String>,
    /// Start.
    pub start: Imputed,
    /// End (None while ongoing).
    pub end: Option<Imputed>,
    /// Why it ended.
    pub end_reason: LineEnd,
    /// Response evaluation over the line (best response, progression).
    pub evaluation: Evaluation,
    /// Time to progression from the line's start (death censored).
    pub ttp: Option<LineTime>,
    /// Progression-free survival from the line's start.
    pub pfs: Option<LineTime>,
}

impl Line {
    /// The regimen as printed: agents joined by `+`.
    pub fn label(&self) -> String {
        self.regimen.join("+")
    }
}

/// A local treatment kept as its own item of the sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct LocalItem {
    /// Treatment id.
    pub treatment: String,
    /// Kind (code, e.g. `tace`).
    pub kind: String,
    /// Start.
    pub start: Imputed,
    /// End, when recorded.
    pub end: Option<Imputed>,
    /// The line running when it was given (0: before line 1).
    pub during_line: u32,
}

/// How the treatment pathway ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathwayEnd {
    /// The patient died.
    Death,
    /// Lost to follow-up.
    LostToFollowUp,
    /// Alive at the last follow-up without a further line.
    NoFurtherTreatment,
}

impl PathwayEnd {
    /// Code for output.
    pub fn code(self) -> &'static str {
        match self {
            PathwayEnd::Death => "death",
            PathwayEnd::LostToFollowUp => "lost_to_follow_up",
            PathwayEnd::NoFurtherTreatment => "no_further_treatment",
        }
    }
}

/// A patient's lines and sequence.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientLines {
    /// Patient code.
    pub patient: String,
    /// Lines of systemic therapy, in order.
    pub lines: Vec<Line>,
    /// Local treatments (their own sequence items), in start order.
    pub local: Vec<LocalItem>,
    /// How the pathway ends.
    pub end: PathwayEnd,
    /// Systemic treatments with curative/adjuvant/neoadjuvant intent (ids).
    pub not_lines: Vec<String>,
    /// Treatments without a start date (ids), left out.
    pub undated: Vec<String>,
    /// Dates imputed among the treatment dates used.
    pub imputed_dates: u32,
}

impl PatientLines {
    /// Line `k` (1-based).
    pub fn line(&self, k: u32) -> Option<&Line> {
        self.lines.get((k as usize).checked_sub(1)?)
    }

    /// The sequence as printed: lines and local items in start order,
    /// then the end (`L1 interferon > tace > L2 everolimus > death`).
    pub fn sequence_label(&self) -> String {
        let mut items: Vec<(Day, u8, String)> = self
            .lines
            .iter()
            .map(|l| (l.start.day, 1, format!("L{} {}", l.number, l.label())))
            .chain(self.local.iter().map(|i| (i.start.day, 0, i.kind.clone())))
            .collect();
        items.sort();
        let mut parts: Vec<String> = items.into_iter().map(|(_, _, s)| s).collect();
        parts.push(self.end.code().to_string());
        parts.join(" > ")
    }
}

/// The class of an agent as a treatment class.
pub fn agent_treatment_class(agent: Agent, fallback: TreatmentClass) -> TreatmentClass {
    match agent.class() {
        AgentClass::SomatostatinAnalogue => TreatmentClass::SomatostatinAnalogue,
        AgentClass::Interferon => TreatmentClass::Interferon,
        AgentClass::Cytotoxic => TreatmentClass::Chemotherapy,
        AgentClass::Targeted => TreatmentClass::Targeted,
        AgentClass::Radiopharmaceutical => TreatmentClass::Radionuclide,
        AgentClass::LocalAgent => TreatmentClass::Local,
        AgentClass::Supportive => TreatmentClass::Supportive,
        AgentClass::Other => fallback,
    }
}

struct Rx<'a> {
    t: &'a Treatment,
    start: Imputed,
    end: Option<Imputed>,
    /// (code, is somatostatin analogue, is add-on)
    agents: Vec<(String, bool, bool)>,
}

fn agents_of(t: &Treatment, rules: &LineRules) -> Vec<(String, bool, bool)> {
    if t.agents.is_empty() {
        return vec![(
            t.kind.code().to_string(),
            t.class() == TreatmentClass::SomatostatinAnalogue,
            false,
        )];
    }
    let mut v: Vec<(String, bool, bool)> = Vec::with_capacity(t.agents.len());
    for a in &t.agents {
        let code = match (&a.agent, &a.agent_detail) {
            (Agent::Other, Some(d)) => format!("other:{d}"),
            (agent, _) => agent.code().to_string(),
        };
        if v.iter().any(|(c, _, _)| *c == code) {
            continue;
        }
        let ssa = a.agent.class() == AgentClass::SomatostatinAnalogue;
        let add_on = rules.add_on_agents.contains(&a.agent);
        v.push((code, ssa, add_on));
    }
    v
}

struct Building {
    start: Imputed,
    regimen: Vec<String>,
    add_ons: Vec<String>,
    backbone: Vec<String>,
    class: Option<TreatmentClass>,
    treatments: Vec<usize>,
    /// Latest end among the line's treatments; None when one is open.
    last_end: Option<Day>,
    open: bool,
}

impl Building {
    fn new(rx: &Rx<'_>, i: usize) -> Building {
        Building {
            start: rx.start,
            regimen: Vec::new(),
            add_ons: Vec::new(),
            backbone: Vec::new(),
            class: None,
            treatments: vec![i],
            last_end: rx.end.map(|e| e.day),
            open: rx.end.is_none(),
        }
    }

    fn has(&self, code: &str) -> bool {
        self.regimen.iter().any(|c| c == code)
            || self.add_ons.iter().any(|c| c == code)
            || self.backbone.iter().any(|c| c == code)
    }

    fn ssa_only(&self) -> bool {
        !self.regimen.is_empty() && self.class == Some(TreatmentClass::SomatostatinAnalogue)
    }

    /// Adds a treatment's agents; `backbone_ssa`: analogues continued from
    /// before are backbone, not regimen.
    fn add(&mut self, rx: &Rx<'_>, i: usize, backbone_ssa: bool) {
        if !self.treatments.contains(&i) {
            self.treatments.push(i);
            match rx.end {
                None => self.open = true,
                Some(e) => self.last_end = Some(self.last_end.map_or(e.day, |d| d.max(e.day))),
            }
        }
        let has_non_ssa = rx.agents.iter().any(|(_, ssa, add)| !ssa && !add);
        let mut contributes = false;
        for (code, ssa, add_on) in &rx.agents {
            if *add_on {
                if !self.has(code) {
                    self.add_ons.push(code.clone());
                }
            } else if *ssa && backbone_ssa && (has_non_ssa || !self.regimen.is_empty()) {
                if !self.has(code) {
                    self.backbone.push(code.clone());
                }
            } else {
                contributes = true;
                if !self.has(code) {
                    self.regimen.push(code.clone());
                }
            }
        }
        // The class is that of the first treatment contributing to the
        // regimen; an analogue's class gives way to a partner's (SSA +
        // everolimus started together is a targeted line).
        if contributes {
            let cls = rx.t.class();
            match self.class {
                None => self.class = Some(cls),
                Some(TreatmentClass::SomatostatinAnalogue)
                    if cls != TreatmentClass::SomatostatinAnalogue =>
                {
                    self.class = Some(cls)
                }
                _ => {}
            }
        }
    }
}

/// Derives a patient's lines of therapy and treatment sequence.
///
/// Never fails: records that cannot be placed (no start date) are listed in
/// [`PatientLines::undated`].
pub fn derive_lines(course: &PatientCourse, rules: &LineRules) -> PatientLines {
    let scans = Scans::new(course, rules.imputation());
    derive_lines_with(course, &scans, rules)
}

/// [`derive_lines`] with the patient's scans already built.
pub fn derive_lines_with(
    course: &PatientCourse,
    scans: &Scans<'_>,
    rules: &LineRules,
) -> PatientLines {
    let imp = rules.imputation();
    let order = KnownOrder::of(&course.patient, imp);
    let mut imputed_dates = 0u32;
    let mut undated = Vec::new();
    let mut not_lines = Vec::new();
    let mut rxs: Vec<Rx<'_>> = Vec::new();
    let mut locals: Vec<(Imputed, Option<Imputed>, &Treatment)> = Vec::new();
    for t in &course.treatments {
        let cls = t.class();
        let systemic = t.kind.is_systemic();
        if !systemic && cls != TreatmentClass::Local {
            continue;
        }
        let Some(start) = t.start_date.map(|d| order.impute_in(&d, &t.start_bounds)) else {
            undated.push(t.id.clone());
            continue;
        };
        // An end imputed before the start (start 2000-03-20, end "2000-03"
        // → the 15th) is the start: a treatment cannot end before it began.
        let end = t.end_date.map(|d| {
            let mut e = order.impute_in(&d, &t.end_bounds);
            if e.day < start.day {
                e.day = start.day;
            }
            e
        });
        imputed_dates += u32::from(start.imputed) + u32::from(end.is_some_and(|e| e.imputed));
        if cls == TreatmentClass::Local {
            locals.push((start, end, t));
        } else if matches!(
            t.intent,
            Some(Intent::Curative | Intent::Adjuvant | Intent::Neoadjuvant)
        ) {
            not_lines.push(t.id.clone());
        } else {
            rxs.push(Rx {
                t,
                start,
                end,
                agents: agents_of(t, rules),
            });
        }
    }
    rxs.sort_by(|a, b| (a.start.day, &a.t.id).cmp(&(b.start.day, &b.t.id)));

    let death = death_day(course, imp).map(|d| d.day);

    // Progression evidence that does not depend on lines: the
    // investigator's PD and treatments stopped for progression.
    let inv_pd: Vec<Day> =
        if rules.evaluation.progression != crate::evaluation::ProgressionSource::Lesions {
            scans
                .days
                .iter()
                .filter(|s| s.investigator() == Some(crate::response::Category::PD))
                .map(|s| s.day.day)
                .collect()
        } else {
            Vec::new()
        };

    let mut built: Vec<Building> = Vec::new();
    // SSA exposure: latest end of any analogue given so far (None = open).
    let mut ssa_until: Option<Option<Day>> = None;
    let mut ssa_codes: Vec<String> = Vec::new();
    for (i, rx) in rxs.iter().enumerate() {
        let ssa_active = |at: Day, until: &Option<Option<Day>>| match until {
            None => false,
            Some(None) => true,
            Some(Some(e)) => at.0 - e.0 <= rules.gap_days,
        };
        let backbone_now = rules.ssa_backbone && ssa_active(rx.start.day, &ssa_until);
        let decision = match built.last() {
            None => true,
            Some(cur) => {
                let since_start = rx.start.day.0 - cur.start.day.0;
                let new_agents = rx
                    .agents
                    .iter()
                    .any(|(c, ssa, add)| !(*add || cur.has(c) || *ssa && backbone_now));
                let after_progression = || {
                    rules.progression_new_agent
                        && progressed(cur, rx.start.day, &rxs, &inv_pd, scans, rules)
                };
                if since_start <= rules.regimen_window_days {
                    // Within the window agents form one regimen, unless
                    // the line already progressed: progression followed by
                    // a new agent is a new line even early on.
                    new_agents && after_progression()
                } else if !cur.open
                    && cur
                        .last_end
                        .is_some_and(|e| rx.start.day.0 - e.0 > rules.gap_days)
                {
                    true
                } else if !new_agents {
                    false
                } else {
                    // Backbone (5), progression (6), switch (7), else
                    // intensification (8).
                    (rules.ssa_backbone && cur.ssa_only())
                        || after_progression()
                        || (rules.switch_starts_line
                            && !cur.open
                            && cur.last_end.is_some_and(|e| e <= rx.start.day))
                        || rules.addition_starts_line
                }
            }
        };
        if decision {
            let mut b = Building::new(rx, i);
            b.add(rx, i, backbone_now);
            let running = match ssa_until {
                Some(None) => true,
                Some(Some(e)) => e >= rx.start.day,
                None => false,
            };
            if rules.ssa_backbone && running && b.backbone.is_empty() && !b.ssa_only() {
                // The analogue runs on from the previous line.
                b.backbone = ssa_codes.clone();
            }
            built.push(b);
        } else if let Some(cur) = built.last_mut() {
            cur.add(rx, i, backbone_now);
        }
        if rx.agents.iter().any(|(_, ssa, _)| *ssa) {
            for (c, ssa, _) in &rx.agents {
                if *ssa && !ssa_codes.contains(c) {
                    ssa_codes.push(c.clone());
                }
            }
            ssa_until = Some(match (ssa_until, rx.end) {
                (Some(None), _) | (_, None) => None,
                (Some(Some(a)), Some(e)) => Some(a.max(e.day)),
                (None, Some(e)) => Some(e.day),
            });
        }
    }

    // Lines: ends, reasons, evaluation.
    let n = built.len();
    let mut lines: Vec<Line> = Vec::with_capacity(n);
    for (k, b) in built.iter().enumerate() {
        let next = built.get(k + 1).map(|nb| nb.start);
        let ids: Vec<&str> = b.treatments.iter().map(|&i| rxs[i].t.id.as_str()).collect();
        let evaluation = evaluate_segment(
            scans,
            b.start.day,
            next.map(|n| n.day),
            &ids,
            &rules.evaluation,
        );
        let last = b
            .treatments
            .iter()
            .filter_map(|&i| rxs[i].end.map(|e| (e, rxs[i].t.stop_reason)))
            .max_by_key(|(e, _)| e.day);
        let progressed_before = |until: Day| {
            evaluation.progression.is_some_and(|p| p.day <= until)
                || inv_pd.iter().any(|&d| d > b.start.day && d <= until)
        };
        let (mut end, mut reason) = match (b.open, last) {
            (false, Some((e, r))) => (Some(e), r.map_or(LineEnd::Unknown, LineEnd::of)),
            _ => (None, LineEnd::Ongoing),
        };
        if let Some(nx) = next
            && end.is_none_or(|e| e.day > nx.day)
        {
            end = Some(nx);
            reason = if progressed_before(nx.day) {
                LineEnd::Progression
            } else {
                LineEnd::NextLine
            };
        }
        if let Some(d) = death {
            match end {
                None => {
                    end = Some(Imputed {
                        day: d,
                        imputed: course.patient.death_date.is_some_and(|x| !x.is_complete()),
                    });
                    reason = LineEnd::Death;
                }
                Some(e) if e.day > d => {
                    end = death_day(course, imp);
                    reason = LineEnd::Death;
                }
                _ => {}
            }
        }
        // Death recorded before the line's start is a data error the
        // registry's rules should have caught; never end before the start.
        if let Some(e) = end.as_mut()
            && e.day < b.start.day
        {
            e.day = b.start.day;
        }
        lines.push(Line {
            number: k as u32 + 1,
            regimen: if b.regimen.is_empty() {
                b.backbone.clone()
            } else {
                b.regimen.clone()
            },
            add_ons: b.add_ons.clone(),
            backbone: if b.regimen.is_empty() {
                Vec::new()
            } else {
                b.backbone.clone()
            },
            class: b.class.unwrap_or(TreatmentClass::Other),
            treatments: ids.iter().map(|s| s.to_string()).collect(),
            start: b.start,
            end,
            end_reason: reason,
            evaluation,
            ttp: None,
            pfs: None,
        });
    }

    locals.sort_by(|a, b| (a.0.day, &a.2.id).cmp(&(b.0.day, &b.2.id)));
    let local = locals
        .into_iter()
        .map(|(start, end, t)| LocalItem {
            treatment: t.id.clone(),
            kind: t.kind.code().to_string(),
            start,
            end,
            during_line: lines
                .iter()
                .filter(|l| l.start.day <= start.day)
                .map(|l| l.number)
                .next_back()
                .unwrap_or(0),
        })
        .collect();
    let end = if course.patient.is_dead() {
        PathwayEnd::Death
    } else if course.patient.vital_status == VitalStatus::LostToFollowUp {
        PathwayEnd::LostToFollowUp
    } else {
        PathwayEnd::NoFurtherTreatment
    };
    PatientLines {
        patient: course.patient.code.clone(),
        lines,
        local,
        end,
        not_lines,
        undated,
        imputed_dates,
    }
}

/// Progression on the line being built, after its start and on or before
/// `at`: investigator PD, a treatment of the line stopped for progression,
/// or progression in the evaluation of the line so far.
fn progressed(
    cur: &Building,
    at: Day,
    rxs: &[Rx<'_>],
    inv_pd: &[Day],
    scans: &Scans<'_>,
    rules: &LineRules,
) -> bool {
    if inv_pd.iter().any(|&d| d > cur.start.day && d <= at) {
        return true;
    }
    if cur.treatments.iter().any(|&i| {
        rxs[i].t.stop_reason == Some(StopReason::Progression)
            && rxs[i].end.is_some_and(|e| e.day <= at)
    }) {
        return true;
    }
    let ids: Vec<&str> = cur
        .treatments
        .iter()
        .map(|&i| rxs[i].t.id.as_str())
        .collect();
    evaluate_segment(scans, cur.start.day, Some(at), &ids, &rules.evaluation)
        .progression
        .is_some_and(|p| p.day <= at)
}

/// The latest day any record other than death shows the patient alive
/// (treatments, assessments, markers, visits, adverse events), under `imp`.
pub fn last_known_alive(course: &PatientCourse, imp: Imputation) -> Option<Day> {
    let order = KnownOrder::of(&course.patient, imp);
    let mut best: Option<Day> = None;
    let none = crate::registry::DateBounds::NONE;
    let mut see = |d: Option<crate::registry::PartialDate>, b: &crate::registry::DateBounds| {
        if let Some(d) = d {
            let x = order.impute_in(&d, b).day;
            if best.is_none_or(|b| b < x) {
                best = Some(x);
            }
        }
    };
    for t in &course.treatments {
        see(t.start_date, &t.start_bounds);
        see(t.end_date, &t.end_bounds);
    }
    for a in &course.assessments {
        see(Some(a.date), &a.date_bounds);
    }
    for b in &course.biomarkers {
        see(Some(b.date), &none);
    }
    for v in &course.clinical_status {
        see(Some(v.date), &none);
    }
    for e in &course.adverse_events {
        see(e.onset_date, &none);
    }
    best
}

/// The analysis day of death (`None` unless the patient is recorded dead;
/// the last follow-up date when the death date is missing). An imputed
/// death date is never earlier than the last day a record shows the patient
/// alive, within the days the partial date allows: a death known as
/// `2004-03` after a scan on 2004-03-20 is 2004-03-20, not the 15th.
pub fn death_day(course: &PatientCourse, imp: Imputation) -> Option<Imputed> {
    let p = &course.patient;
    if !p.is_dead() {
        return None;
    }
    let (date, bounds) = match p.death_date {
        Some(d) => (d, p.death_bounds),
        None => (p.last_followup_date?, crate::registry::DateBounds::NONE),
    };
    let mut d = bounds.impute(&date, imp);
    let last = bounds.span(&date).map_or(date.latest(), |(_, hi)| hi);
    if d.imputed
        && let Some(alive) = last_known_alive(course, imp)
        && alive > d.day
    {
        d.day = alive.min(last);
    }
    Some(d)
}
