//! What an endpoint is: its kind, time zero, units, event set and censoring
//! options, with the codes the command line, JSON and ADTTE use.

use std::fmt;
use std::str::FromStr;

use crate::registry::vocab::{Agent, TreatmentType, Vocabulary};

/// Days per month (365.25 / 12), the convention of survival papers.
pub const DAYS_PER_MONTH: f64 = 30.4375;
/// Days per year.
pub const DAYS_PER_YEAR: f64 = 365.25;

/// Why an endpoint specification is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SpecError(pub String);

/// Time unit of the derived times.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Units {
    /// Days.
    Days,
    /// Months of 30.4375 days.
    #[default]
    Months,
    /// Years of 365.25 days.
    Years,
}

impl Units {
    /// Days per unit.
    pub fn days(self) -> f64 {
        match self {
            Units::Days => 1.0,
            Units::Months => DAYS_PER_MONTH,
            Units::Years => DAYS_PER_YEAR,
        }
    }

    /// Code (`days`, `months`, `years`).
    pub fn code(self) -> &'static str {
        match self {
            Units::Days => "days",
            Units::Months => "months",
            Units::Years => "years",
        }
    }

    /// CDISC AVALU spelling.
    pub fn cdisc(self) -> &'static str {
        match self {
            Units::Days => "DAYS",
            Units::Months => "MONTHS",
            Units::Years => "YEARS",
        }
    }
}

impl FromStr for Units {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "days" | "day" | "d" => Ok(Units::Days),
            "months" | "month" | "m" => Ok(Units::Months),
            "years" | "year" | "y" => Ok(Units::Years),
            _ => Err(SpecError(format!(
                "unknown unit '{s}' (use days, months or years)"
            ))),
        }
    }
}

/// The endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// Overall survival: death from any cause.
    Os,
    /// Progression-free survival: progression or death.
    Pfs,
    /// Time to progression: progression (death censored).
    Ttp,
    /// Time to treatment failure: discontinuation of the index line.
    Ttf,
    /// Time to next treatment: start of the next line (or death).
    Ttnt,
    /// Duration of response: first CR/PR to progression or death.
    Dor,
    /// PFS2: to progression on the next line, or death.
    Pfs2,
    /// Event-free survival with a configurable event set.
    Efs,
}

impl Endpoint {
    /// Every endpoint, in documentation order.
    pub const ALL: [Endpoint; 8] = [
        Endpoint::Os,
        Endpoint::Pfs,
        Endpoint::Ttp,
        Endpoint::Ttf,
        Endpoint::Ttnt,
        Endpoint::Dor,
        Endpoint::Pfs2,
        Endpoint::Efs,
    ];

    /// Lower-case code (`os`, `pfs`, …) used on the command line and in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Endpoint::Os => "os",
            Endpoint::Pfs => "pfs",
            Endpoint::Ttp => "ttp",
            Endpoint::Ttf => "ttf",
            Endpoint::Ttnt => "ttnt",
            Endpoint::Dor => "dor",
            Endpoint::Pfs2 => "pfs2",
            Endpoint::Efs => "efs",
        }
    }

    /// ADaM PARAMCD stem (upper case).
    pub fn paramcd(self) -> &'static str {
        match self {
            Endpoint::Os => "OS",
            Endpoint::Pfs => "PFS",
            Endpoint::Ttp => "TTP",
            Endpoint::Ttf => "TTF",
            Endpoint::Ttnt => "TTNT",
            Endpoint::Dor => "DOR",
            Endpoint::Pfs2 => "PFS2",
            Endpoint::Efs => "EFS",
        }
    }

    /// Name as a paper writes it.
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::Os => "Overall survival",
            Endpoint::Pfs => "Progression-free survival",
            Endpoint::Ttp => "Time to progression",
            Endpoint::Ttf => "Time to treatment failure",
            Endpoint::Ttnt => "Time to next treatment",
            Endpoint::Dor => "Duration of response",
            Endpoint::Pfs2 => "Progression-free survival 2 (PFS2)",
            Endpoint::Efs => "Event-free survival",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Endpoint {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.to_ascii_lowercase();
        Endpoint::ALL
            .into_iter()
            .find(|e| e.code() == t)
            .ok_or_else(|| {
                SpecError(format!(
                    "unknown endpoint '{s}' (use os, pfs, ttp, ttf, ttnt, dor, pfs2 or efs)"
                ))
            })
    }
}

/// A named treatment that can be time zero: an agent (`everolimus`) or a
/// treatment type (`radionuclide`, `tace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TreatmentSelector {
    /// The first treatment giving this agent.
    Agent(Agent),
    /// The first treatment of this type.
    Type(TreatmentType),
}

impl TreatmentSelector {
    /// Code.
    pub fn code(self) -> &'static str {
        match self {
            TreatmentSelector::Agent(a) => a.code(),
            TreatmentSelector::Type(t) => t.code(),
        }
    }
}

/// Time zero of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeZero {
    /// First diagnosis (`diagnosis`).
    Diagnosis,
    /// Diagnosis of metastatic or recurrent disease (`metastatic`).
    Metastatic,
    /// Start of line k (`line:K`, K ≥ 1).
    Line(u32),
    /// Start of every line: one row per patient and line (`line:all`),
    /// each row carrying its line number, for per-line tables.
    EachLine,
    /// Start of the first treatment of an agent or type (`treatment:CODE`).
    Treatment(TreatmentSelector),
    /// Study entry (`entry`).
    Entry,
}

impl TimeZero {
    /// True when time zero is the start of a line or a treatment.
    pub fn is_treatment_based(self) -> bool {
        matches!(
            self,
            TimeZero::Line(_) | TimeZero::EachLine | TimeZero::Treatment(_)
        )
    }

    /// Code as written on the command line (`line:2`, `treatment:everolimus`).
    pub fn code(self) -> String {
        match self {
            TimeZero::Diagnosis => "diagnosis".into(),
            TimeZero::Metastatic => "metastatic".into(),
            TimeZero::Line(k) => format!("line:{k}"),
            TimeZero::EachLine => "line:all".into(),
            TimeZero::Treatment(s) => format!("treatment:{}", s.code()),
            TimeZero::Entry => "entry".into(),
        }
    }

    /// Words for PARAM (`from start of line 1`).
    pub fn phrase(self) -> String {
        match self {
            TimeZero::Diagnosis => "from diagnosis".into(),
            TimeZero::Metastatic => "from metastatic diagnosis".into(),
            TimeZero::Line(k) => format!("from start of line {k}"),
            TimeZero::EachLine => "from start of each line".into(),
            TimeZero::Treatment(s) => format!("from start of {}", s.code()),
            TimeZero::Entry => "from study entry".into(),
        }
    }
}

impl fmt::Display for TimeZero {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl FromStr for TimeZero {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            SpecError(format!(
                "unknown time zero '{s}' (use diagnosis, metastatic, entry, line:K, line:all or treatment:AGENT)"
            ))
        };
        match s {
            "diagnosis" => return Ok(TimeZero::Diagnosis),
            "metastatic" => return Ok(TimeZero::Metastatic),
            "entry" => return Ok(TimeZero::Entry),
            _ => {}
        }
        let (head, tail) = s.split_once(':').ok_or_else(bad)?;
        match head {
            "line" => {
                if tail == "all" || tail == "*" {
                    return Ok(TimeZero::EachLine);
                }
                match tail.parse::<u32>() {
                    Ok(k) if k >= 1 => Ok(TimeZero::Line(k)),
                    _ => Err(SpecError(format!(
                        "line number must be 1, 2, … or 'all' (got '{tail}')"
                    ))),
                }
            }
            "treatment" => {
                if let Ok(a) = Agent::from_code(tail) {
                    Ok(TimeZero::Treatment(TreatmentSelector::Agent(a)))
                } else if let Ok(t) = TreatmentType::from_code(tail) {
                    Ok(TimeZero::Treatment(TreatmentSelector::Type(t)))
                } else {
                    Err(SpecError(format!(
                        "'{tail}' is neither an agent code (e.g. everolimus, lu177_dotatate) nor a treatment type (e.g. radionuclide, tace)"
                    )))
                }
            }
            _ => Err(bad()),
        }
    }
}

/// Where a patient without an event is censored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Censoring {
    /// Progression-based endpoints: at the last adequate tumour assessment
    /// (FDA/EMA guidance; the default).
    #[default]
    LastAdequateAssessment,
    /// At the last follow-up (or death, for TTP): the convention of many
    /// retrospective series, and of the simulator's calibration.
    LastFollowUp,
}

impl Censoring {
    /// Code.
    pub fn code(self) -> &'static str {
        match self {
            Censoring::LastAdequateAssessment => "last_assessment",
            Censoring::LastFollowUp => "last_follow_up",
        }
    }
}

impl FromStr for Censoring {
    type Err = SpecError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "last_assessment" | "last-assessment" => Ok(Censoring::LastAdequateAssessment),
            "last_follow_up" | "last-follow-up" | "last_followup" => Ok(Censoring::LastFollowUp),
            _ => Err(SpecError(format!(
                "unknown censoring rule '{s}' (use last_assessment or last_follow_up)"
            ))),
        }
    }
}

/// The events of event-free survival.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EfsEvents {
    /// Tumour progression.
    pub progression: bool,
    /// Death from any cause.
    pub death: bool,
    /// An adverse event of at least this CTCAE grade (side effect of
    /// therapy); `None`: not an event.
    pub adverse_event_grade: Option<u8>,
    /// Only adverse events attributed to treatment (possible, probable or
    /// definite) count (default true: "side effect of therapy").
    pub adverse_event_related_only: bool,
    /// Relapse of symptoms (a visit recording symptoms `worsened`).
    pub symptom_relapse: bool,
    /// A marker rising by at least this % over its value at time zero;
    /// `None`: not an event.
    pub marker_increase_pct: Option<f64>,
}

impl EfsEvents {
    /// The radionuclide study's "pejorative events": side effect of therapy
    /// of grade ≥ `grade`, relapse of symptoms, tumour progression, marker
    /// increase ≥ 20 %, death.
    pub fn pejorative(grade: u8) -> EfsEvents {
        EfsEvents {
            progression: true,
            death: true,
            adverse_event_grade: Some(grade),
            adverse_event_related_only: true,
            symptom_relapse: true,
            marker_increase_pct: Some(20.0),
        }
    }

    /// Code as written on the command line (`progression,death,ae:3,…`).
    pub fn code(&self) -> String {
        let mut v: Vec<String> = Vec::new();
        if self.progression {
            v.push("progression".into());
        }
        if self.death {
            v.push("death".into());
        }
        if let Some(g) = self.adverse_event_grade {
            v.push(if self.adverse_event_related_only {
                format!("ae:{g}")
            } else {
                format!("any_ae:{g}")
            });
        }
        if self.symptom_relapse {
            v.push("symptoms".into());
        }
        if let Some(p) = self.marker_increase_pct {
            v.push(format!("marker:{p}"));
        }
        v.join(",")
    }
}

impl Default for EfsEvents {
    fn default() -> Self {
        EfsEvents::pejorative(3)
    }
}

impl FromStr for EfsEvents {
    type Err = SpecError;
    /// `pejorative`, `pejorative:G`, or a comma-separated list of
    /// `progression`, `death`, `ae:G` (related AE of grade ≥ G),
    /// `any_ae:G`, `symptoms`, `marker:P` (rise ≥ P %).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut e = EfsEvents {
            progression: false,
            death: false,
            adverse_event_grade: None,
            adverse_event_related_only: true,
            symptom_relapse: false,
            marker_increase_pct: None,
        };
        let grade = |t: &str| -> Result<u8, SpecError> {
            match t.parse::<u8>() {
                Ok(g) if (1..=5).contains(&g) => Ok(g),
                _ => Err(SpecError(format!("AE grade must be 1–5 (got '{t}')"))),
            }
        };
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (head, tail) = match part.split_once(':') {
                Some((h, t)) => (h, Some(t)),
                None => (part, None),
            };
            match (head, tail) {
                ("pejorative", None) => e = EfsEvents::pejorative(3),
                ("pejorative", Some(g)) => e = EfsEvents::pejorative(grade(g)?),
                ("progression", None) => e.progression = true,
                ("death", None) => e.death = true,
                ("symptoms", None) => e.symptom_relapse = true,
                ("ae", Some(g)) => {
                    e.adverse_event_grade = Some(grade(g)?);
                    e.adverse_event_related_only = true;
                }
                ("any_ae", Some(g)) => {
                    e.adverse_event_grade = Some(grade(g)?);
                    e.adverse_event_related_only = false;
                }
                ("marker", Some(p)) => match p.parse::<f64>() {
                    Ok(v) if v.is_finite() && v > 0.0 => e.marker_increase_pct = Some(v),
                    _ => {
                        return Err(SpecError(format!(
                            "marker increase must be a percentage > 0 (got '{p}')"
                        )));
                    }
                },
                _ => {
                    return Err(SpecError(format!(
                        "unknown EFS event '{part}' (use pejorative[:G], progression, death, ae:G, any_ae:G, symptoms, marker:P)"
                    )));
                }
            }
        }
        if e == (EfsEvents {
            progression: false,
            death: false,
            adverse_event_grade: None,
            adverse_event_related_only: true,
            symptom_relapse: false,
            marker_increase_pct: None,
        }) {
            return Err(SpecError("EFS needs at least one event".into()));
        }
        Ok(e)
    }
}

/// Everything that defines a derived endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointSpec {
    /// Which endpoint.
    pub endpoint: Endpoint,
    /// Time zero.
    pub from: TimeZero,
    /// Units of the times.
    pub units: Units,
    /// Where progression-based endpoints are censored.
    pub censoring: Censoring,
    /// Censor at the start of a new anticancer therapy (systemic line or
    /// local treatment other than the index line's).
    pub censor_at_new_therapy: bool,
    /// EFS events.
    pub efs: EfsEvents,
    /// TTNT: death counts as an event (default true).
    pub ttnt_death_is_event: bool,
    /// TTF: completing the planned treatment is a failure (default false:
    /// censored at completion).
    pub ttf_completion_is_failure: bool,
}

impl EndpointSpec {
    /// An endpoint from a time zero with the documented defaults (months,
    /// censoring at the last adequate assessment, no censoring at new
    /// therapy, pejorative EFS events with grade ≥ 3).
    pub fn new(endpoint: Endpoint, from: TimeZero) -> EndpointSpec {
        EndpointSpec {
            endpoint,
            from,
            units: Units::Months,
            censoring: Censoring::LastAdequateAssessment,
            censor_at_new_therapy: false,
            efs: EfsEvents::default(),
            ttnt_death_is_event: true,
            ttf_completion_is_failure: false,
        }
    }

    /// ADaM PARAMCD: the endpoint's code, with `L<k>` when time zero is a
    /// line (`PFSL1`), so that one ADTTE file can hold every line.
    pub fn paramcd(&self, line: Option<u32>) -> String {
        match (self.from.is_treatment_based(), self.from, line) {
            (_, TimeZero::Line(k), _) | (_, TimeZero::EachLine, Some(k)) => {
                format!("{}L{k}", self.endpoint.paramcd())
            }
            _ => self.endpoint.paramcd().to_string(),
        }
    }

    /// ADaM PARAM: `Progression-free survival from start of line 1 (months)`.
    pub fn param(&self, line: Option<u32>) -> String {
        let from = match (self.from, line) {
            (TimeZero::EachLine, Some(k)) => TimeZero::Line(k).phrase(),
            (f, _) => f.phrase(),
        };
        format!("{} {from} ({})", self.endpoint.label(), self.units.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_parse_and_print_back() {
        for e in Endpoint::ALL {
            assert_eq!(e.code().parse::<Endpoint>().unwrap(), e);
        }
        for s in [
            "diagnosis",
            "metastatic",
            "entry",
            "line:1",
            "line:12",
            "line:all",
            "treatment:everolimus",
            "treatment:radionuclide",
        ] {
            assert_eq!(s.parse::<TimeZero>().unwrap().code(), s);
        }
        assert!("line:0".parse::<TimeZero>().is_err());
        assert!("line:x".parse::<TimeZero>().is_err());
        assert!("treatment:aspirin".parse::<TimeZero>().is_err());
        assert!("birth".parse::<TimeZero>().is_err());
        assert_eq!("months".parse::<Units>().unwrap().days(), 30.4375);
        assert_eq!("years".parse::<Units>().unwrap().days(), 365.25);
    }

    #[test]
    fn efs_event_lists() {
        let e: EfsEvents = "pejorative".parse().unwrap();
        assert_eq!(e, EfsEvents::pejorative(3));
        assert_eq!(e.code(), "progression,death,ae:3,symptoms,marker:20");
        let e: EfsEvents = "death,any_ae:2".parse().unwrap();
        assert!(e.death && !e.progression && !e.adverse_event_related_only);
        assert_eq!(e.adverse_event_grade, Some(2));
        assert!("ae:7".parse::<EfsEvents>().is_err());
        assert!("marker:-3".parse::<EfsEvents>().is_err());
        assert!("".parse::<EfsEvents>().is_err());
        assert!("relapse".parse::<EfsEvents>().is_err());
    }

    #[test]
    fn paramcd_names_the_line() {
        let s = EndpointSpec::new(Endpoint::Pfs, TimeZero::Line(1));
        assert_eq!(s.paramcd(Some(1)), "PFSL1");
        assert_eq!(
            s.param(Some(1)),
            "Progression-free survival from start of line 1 (months)"
        );
        let s = EndpointSpec::new(Endpoint::Pfs2, TimeZero::EachLine);
        assert_eq!(s.paramcd(Some(3)), "PFS2L3");
        let s = EndpointSpec::new(Endpoint::Os, TimeZero::Metastatic);
        assert_eq!(s.paramcd(None), "OS");
    }
}
