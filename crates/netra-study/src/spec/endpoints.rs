//! `[[endpoint]]`: named endpoints of `netra_clinical::endpoints`, and the
//! references tables and figures make to them — a table of one time zero
//! cannot use an endpoint measured from every line, and cumulative
//! incidence needs an endpoint whose events are progression or death.

use netra_clinical::endpoints::{Censoring, EfsEvents, Endpoint, EndpointSpec, Units};

use super::EndpointDef;
use super::raw::{RawEndpoint, S};
use super::resolver::{Names, Resolver, span};
use crate::StudyError;
use crate::error::SpecErrors;

/// The endpoints in file order.
pub(super) fn endpoints(
    r: &Resolver<'_>,
    raw: &[RawEndpoint],
) -> Result<Vec<EndpointDef>, StudyError> {
    let mut names = Names::new("endpoint");
    let mut endpoints = Vec::new();
    for ep in raw {
        names.add(&r.e, &ep.name)?;
        endpoints.push(endpoint(r, ep)?);
    }
    Ok(endpoints)
}

/// One endpoint: its kind, time zero, unit, censoring and (efs) events.
fn endpoint(r: &Resolver<'_>, ep: &RawEndpoint) -> Result<EndpointDef, StudyError> {
    let endpoint = ep
        .kind
        .get_ref()
        .parse::<Endpoint>()
        .map_err(|err| r.at(span(&ep.kind), err.0))?;
    let mut spec = EndpointSpec::new(endpoint, r.time_zero(&ep.from)?);
    if let Some(u) = &ep.unit {
        spec.units = u
            .get_ref()
            .parse::<Units>()
            .map_err(|err| r.at(span(u), err.0))?;
    }
    if let Some(c) = &ep.censoring {
        spec.censoring = c
            .get_ref()
            .parse::<Censoring>()
            .map_err(|err| r.at(span(c), err.0))?;
    }
    spec.censor_at_new_therapy = ep.censor_at_new_therapy.unwrap_or(false);
    if let Some(d) = ep.ttnt_death_is_event {
        spec.ttnt_death_is_event = d;
    }
    if let Some(c) = ep.ttf_completion_is_failure {
        spec.ttf_completion_is_failure = c;
    }
    match &ep.events {
        Some(ev) if endpoint == Endpoint::Efs => {
            spec.efs = ev
                .get_ref()
                .parse::<EfsEvents>()
                .map_err(|err| r.at(span(ev), err.0))?;
        }
        Some(ev) => return Err(r.at(span(ev), "`events` applies to an efs endpoint")),
        None => {}
    }
    Ok(EndpointDef {
        name: ep.name.get_ref().clone(),
        label: ep
            .label
            .clone()
            .unwrap_or_else(|| endpoint.label().to_string()),
        spec,
    })
}

/// The study's endpoints, as tables and figures refer to them.
pub(super) struct Endpoints<'a> {
    /// Builds errors located in the study file.
    pub e: &'a SpecErrors<'a>,
    /// The endpoints defined.
    pub list: &'a [EndpointDef],
}

impl Endpoints<'_> {
    /// The endpoint named by `s`, if defined.
    pub fn get(&self, s: &S<String>) -> Option<&EndpointDef> {
        self.list.iter().find(|x| &x.name == s.get_ref())
    }

    /// The name of a defined endpoint; `per_line`: whether it must be
    /// (`Some(true)`), must not be (`Some(false)`) or may be (`None`)
    /// measured from each line.
    pub fn reference(&self, s: &S<String>, per_line: Option<bool>) -> Result<String, StudyError> {
        let e = self.e;
        let ep = self
            .get(s)
            .ok_or_else(|| e.at(span(s), format!("no [[endpoint]] named '{}'", s.get_ref())))?;
        match per_line {
            Some(true) if !ep.per_line() => Err(e.at(
                span(s),
                format!(
                    "endpoint '{}' must be measured from each line (`from = \"line:all\"`)",
                    ep.name
                ),
            )),
            Some(false) if ep.per_line() => Err(e.at(
                span(s),
                format!(
                    "endpoint '{}' is measured from each line; this needs one time zero \
                     (use a per-line table or give the figure a `line`)",
                    ep.name
                ),
            )),
            _ => Ok(ep.name.clone()),
        }
    }

    /// The name of an endpoint of one time zero whose event is progression
    /// (ttp or pfs): cumulative incidence splits progression from death.
    pub fn progression(&self, s: &S<String>) -> Result<String, StudyError> {
        let name = self.reference(s, Some(false))?;
        match self.get(s) {
            Some(ep) if matches!(ep.spec.endpoint, Endpoint::Ttp | Endpoint::Pfs) => Ok(name),
            _ => Err(self.e.at(
                span(s),
                format!(
                    "endpoint '{}' is not a ttp or pfs endpoint (cumulative incidence \
                     splits progression from death)",
                    s.get_ref()
                ),
            )),
        }
    }
}
