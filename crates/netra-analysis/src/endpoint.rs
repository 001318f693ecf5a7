//! An endpoint as requests name it: codes that every surface writes the
//! same way (`os` from `metastatic`, months, censoring at the last
//! assessment), resolved into `netra_clinical`'s [`EndpointSpec`].

use netra_clinical::endpoints::{Censoring, EfsEvents, Endpoint, EndpointSpec, TimeZero, Units};
use serde::{Deserialize, Serialize};

use crate::AnalysisError;

/// An endpoint with its time zero and options (defaults: OS from the first
/// diagnosis in months, the documented censoring rules).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EndpointRequest {
    /// `os`, `pfs`, `ttp`, `ttf`, `ttnt`, `dor`, `pfs2`, `efs`.
    pub endpoint: String,
    /// `diagnosis`, `metastatic`, `entry`, `line:K`, `line:all`,
    /// `treatment:AGENT`.
    pub from: String,
    /// `days`, `months`, `years`.
    pub units: String,
    /// `last_assessment` or `last_follow_up`.
    pub censoring: String,
    /// Censor at the start of a new anticancer therapy.
    pub censor_at_new_therapy: bool,
    /// EFS events (`netra_clinical::endpoints::EfsEvents` codes); `None`:
    /// the documented default.
    pub efs: Option<String>,
    /// TTNT: death counts as an event.
    pub ttnt_death_is_event: bool,
    /// TTF: completing the planned treatment is a failure.
    pub ttf_completion_is_failure: bool,
}

impl Default for EndpointRequest {
    fn default() -> Self {
        EndpointRequest::of(&EndpointSpec::new(Endpoint::Os, TimeZero::Diagnosis))
    }
}

fn parse<T: std::str::FromStr>(what: &str, text: &str) -> Result<T, AnalysisError>
where
    T::Err: std::fmt::Display,
{
    text.trim()
        .parse()
        .map_err(|e: T::Err| AnalysisError::invalid(what, e.to_string()))
}

impl EndpointRequest {
    /// The request that names `spec`.
    pub fn of(spec: &EndpointSpec) -> EndpointRequest {
        EndpointRequest {
            endpoint: spec.endpoint.code().to_string(),
            from: spec.from.code(),
            units: spec.units.code().to_string(),
            censoring: spec.censoring.code().to_string(),
            censor_at_new_therapy: spec.censor_at_new_therapy,
            efs: (spec.efs != EfsEvents::default()).then(|| spec.efs.code()),
            ttnt_death_is_event: spec.ttnt_death_is_event,
            ttf_completion_is_failure: spec.ttf_completion_is_failure,
        }
    }

    /// The endpoint spec, every code checked.
    pub fn spec(&self) -> Result<EndpointSpec, AnalysisError> {
        let endpoint: Endpoint = parse("endpoint", &self.endpoint)?;
        let from: TimeZero = parse("from", &self.from)?;
        let mut spec = EndpointSpec::new(endpoint, from);
        spec.units = parse::<Units>("units", &self.units)?;
        spec.censoring = parse::<Censoring>("censoring", &self.censoring)?;
        spec.censor_at_new_therapy = self.censor_at_new_therapy;
        if let Some(e) = &self.efs {
            spec.efs = parse::<EfsEvents>("efs", e)?;
        }
        spec.ttnt_death_is_event = self.ttnt_death_is_event;
        spec.ttf_completion_is_failure = self.ttf_completion_is_failure;
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_through_specs() {
        let mut spec = EndpointSpec::new(Endpoint::Ttp, TimeZero::Line(2));
        spec.censoring = Censoring::LastFollowUp;
        spec.units = Units::Years;
        let req = EndpointRequest::of(&spec);
        assert_eq!(req.spec().unwrap(), spec);
        let json = serde_json::to_string(&req).unwrap();
        let back: EndpointRequest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, req);
        let bad = EndpointRequest {
            endpoint: "oss".into(),
            ..EndpointRequest::default()
        };
        assert!(bad.spec().unwrap_err().to_string().starts_with("endpoint:"));
        let partial: EndpointRequest = serde_json::from_str(r#"{"endpoint":"pfs"}"#).unwrap();
        assert_eq!(partial.from, "diagnosis");
    }
}
