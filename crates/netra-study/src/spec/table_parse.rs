//! `[[table]]`: each table type with the options it takes. An option
//! given to a type that ignores it is an error (a reader of the file would
//! expect it to have an effect), checked from one list per type.

use std::collections::BTreeMap;

use super::baseline_rows::rows;
use super::endpoints::Endpoints;
use super::raw::{RawTable, S};
use super::resolver::{Names, Resolver, applies_to, known_type, span, unknown_type};
use super::{ResponseSource, TableDef, TableKind};
use crate::StudyError;
use netra_analysis::inference::CiMethod;

/// The table types, in the order the documentation lists them.
const TABLE_TYPES: &[&str] = &[
    "baseline",
    "survival",
    "km",
    "response",
    "cox",
    "lines",
    "cuminc",
    "patterns",
    "adverse_events",
];

/// Options that do not apply to each type, in the order they are checked
/// (the first one given is the error). `min_cell` is checked before these
/// for every type but `lines`; `by` of survival and response tables is
/// refused separately, pointing to `characteristics`.
const BASELINE_REFUSES: &[&str] = &[
    "endpoint",
    "response",
    "landmarks",
    "characteristics",
    "all",
    "univariate",
    "multivariate",
    "reference",
    "lines",
    "follow_up",
    "spss_median",
    "ci_method",
];
const SURVIVAL_REFUSES: &[&str] = &[
    "rows",
    "response",
    "univariate",
    "multivariate",
    "reference",
    "lines",
    "overall",
    "known",
    "ci_method",
];
const KM_ALSO_REFUSES: &[&str] = &["characteristics", "all"];
const CUMINC_REFUSES: &[&str] = &[
    "rows",
    "response",
    "univariate",
    "multivariate",
    "reference",
    "lines",
    "overall",
    "characteristics",
    "all",
    "known",
    "follow_up",
    "spss_median",
    "ci_method",
];
const RESPONSE_REFUSES: &[&str] = &[
    "rows",
    "endpoint",
    "landmarks",
    "univariate",
    "multivariate",
    "reference",
    "lines",
    "known",
    "follow_up",
    "spss_median",
];
const COX_REFUSES: &[&str] = &[
    "rows",
    "response",
    "landmarks",
    "characteristics",
    "lines",
    "by",
    "all",
    "overall",
    "known",
    "follow_up",
    "spss_median",
    "ci_method",
];
const LINES_REFUSES: &[&str] = &[
    "rows",
    "response",
    "characteristics",
    "univariate",
    "multivariate",
    "reference",
    "by",
    "all",
    "overall",
    "known",
    "follow_up",
    "spss_median",
    "ci_method",
];

/// Every option but `by` (the pattern table refuses `by` too).
const PAPER_REFUSES: &[&str] = &[
    "rows",
    "endpoint",
    "response",
    "landmarks",
    "characteristics",
    "univariate",
    "multivariate",
    "reference",
    "lines",
    "all",
    "overall",
    "known",
    "follow_up",
    "spss_median",
    "ci_method",
];

/// The options each table type refuses: its list above, `min_cell` for
/// every type but `lines`, and `by` and `overall` where they are refused
/// one by one.
fn refused_by(ty: &str) -> Vec<&'static str> {
    let mut refused: Vec<&'static str> = match ty {
        "baseline" => BASELINE_REFUSES.to_vec(),
        "survival" => [SURVIVAL_REFUSES, &["by"]].concat(),
        "km" => [SURVIVAL_REFUSES, KM_ALSO_REFUSES].concat(),
        "cuminc" => CUMINC_REFUSES.to_vec(),
        "response" => [RESPONSE_REFUSES, &["by", "overall"]].concat(),
        "cox" => COX_REFUSES.to_vec(),
        "lines" => LINES_REFUSES.to_vec(),
        "patterns" => [PAPER_REFUSES, &["by"]].concat(),
        _ => PAPER_REFUSES.to_vec(),
    };
    if ty != "lines" {
        refused.push("min_cell");
    }
    refused
}

/// "survival, km and cuminc tables": the table types taking `option`.
fn takers(option: &str) -> String {
    let types: Vec<&str> = TABLE_TYPES
        .iter()
        .copied()
        .filter(|ty| !refused_by(ty).contains(&option))
        .collect();
    applies_to(&types, "tables")
}

/// Fails when `option` is given (at `span`) to a table type that refuses
/// it, naming the types that take it.
fn deny(
    r: &Resolver<'_>,
    span: Option<std::ops::Range<usize>>,
    option: &str,
    what: &str,
) -> Result<(), StudyError> {
    r.not_given_where(span, option, what, &takers(option))
}

/// What a table may refer to: variables, endpoints, and whether the study
/// has `[groups]` (the default `by`).
pub(super) struct TableScope<'a> {
    /// Variables and located errors.
    pub r: &'a Resolver<'a>,
    /// The endpoints defined.
    pub endpoints: Endpoints<'a>,
    /// Whether a `[groups]` section exists.
    pub has_groups: bool,
}

/// The tables in file order.
pub(super) fn tables(cx: &TableScope<'_>, raw: &[RawTable]) -> Result<Vec<TableDef>, StudyError> {
    let mut names = Names::new("table");
    let mut tables = Vec::new();
    for t in raw {
        names.add(&cx.r.e, &t.name)?;
        let kind = kind(cx, t)?;
        tables.push(TableDef {
            name: t.name.get_ref().clone(),
            title: t.title.clone().unwrap_or_else(|| t.name.get_ref().clone()),
            position: span(&t.name).start,
            section: t.section.clone().unwrap_or_default(),
            footnote: t.footnote.clone(),
            kind,
        });
    }
    Ok(tables)
}

/// What one table shows, by its `type`.
fn kind(cx: &TableScope<'_>, t: &RawTable) -> Result<TableKind, StudyError> {
    let ty = known_type(cx.r, &t.kind, "table", TABLE_TYPES)?;
    let what = format!("a {ty} table");
    if ty != "lines" {
        deny(cx.r, t.span_of("min_cell"), "min_cell", &what)?;
    }
    match ty {
        "baseline" => baseline(cx, t, &what),
        "survival" | "km" => survival_or_km(cx, t, &what),
        "cuminc" => cuminc(cx, t, &what),
        "response" => response(cx, t, &what),
        "cox" => cox(cx, t, &what),
        "lines" => lines(cx, t, &what),
        "patterns" => {
            refuse(cx.r, t, PAPER_REFUSES, &what)?;
            deny(cx.r, t.span_of("by"), "by", &what)?;
            Ok(TableKind::Patterns)
        }
        "adverse_events" => {
            refuse(cx.r, t, PAPER_REFUSES, &what)?;
            Ok(TableKind::AdverseEvents {
                by: cx.r.optional_by(&t.by)?,
            })
        }
        // `known_type` let no other name through.
        other => Err(cx
            .r
            .at(span(&t.kind), unknown_type("table", other, TABLE_TYPES))),
    }
}

/// A boolean option, `default` when absent.
fn flag(f: &Option<S<bool>>, default: bool) -> bool {
    f.as_ref().map_or(default, |v| *v.get_ref())
}

/// Fails on the first of `fields` that is given.
fn refuse(r: &Resolver<'_>, t: &RawTable, fields: &[&str], what: &str) -> Result<(), StudyError> {
    for f in fields {
        deny(r, t.span_of(f), f, what)?;
    }
    Ok(())
}

/// A required option, or an error at the table's `type`.
fn need<'t>(
    r: &Resolver<'_>,
    t: &'t RawTable,
    field: &'t Option<S<String>>,
    name: &str,
    what: &str,
) -> Result<&'t S<String>, StudyError> {
    field
        .as_ref()
        .ok_or_else(|| r.at(span(&t.kind), format!("{what} needs `{name}`")))
}

/// The categorical variables listed in `characteristics` (none if absent).
fn characteristics(r: &Resolver<'_>, t: &RawTable) -> Result<Vec<String>, StudyError> {
    match &t.characteristics {
        None => Ok(Vec::new()),
        Some(list) => list
            .get_ref()
            .iter()
            .map(|s| r.categorical_ref(s, "a characteristic"))
            .collect(),
    }
}

/// Landmarks of this table (`None`: the study's).
fn landmarks(r: &Resolver<'_>, t: &RawTable) -> Result<Option<Vec<f64>>, StudyError> {
    t.landmarks.as_ref().map(|l| r.landmarks(l)).transpose()
}

/// Baseline characteristics by group.
fn baseline(cx: &TableScope<'_>, t: &RawTable, what: &str) -> Result<TableKind, StudyError> {
    let r = cx.r;
    refuse(r, t, BASELINE_REFUSES, what)?;
    // `by = ""`: one column of all patients.
    let by = match &t.by {
        Some(b) if b.get_ref().is_empty() => Some(String::new()),
        _ => r.grouping_by(&t.by, cx.has_groups, &t.kind)?,
    };
    let rows_raw = t
        .rows
        .as_ref()
        .ok_or_else(|| r.at(span(&t.kind), "a baseline table needs `rows`"))?;
    Ok(TableKind::Baseline {
        by,
        overall: t.overall.as_ref().is_some_and(|o| *o.get_ref()),
        rows: rows(r, rows_raw.get_ref())?,
        known: flag(&t.known, false),
    })
}

/// Survival by characteristic (`survival`) or of the groups (`km`): one
/// endpoint of one time zero.
fn survival_or_km(cx: &TableScope<'_>, t: &RawTable, what: &str) -> Result<TableKind, StudyError> {
    let r = cx.r;
    refuse(r, t, SURVIVAL_REFUSES, what)?;
    let endpoint = cx
        .endpoints
        .reference(need(r, t, &t.endpoint, "endpoint", what)?, Some(false))?;
    let landmarks = landmarks(r, t)?;
    if t.kind.get_ref() == "survival" {
        r.not_for(&t.by, "by", &format!("{what} (list `characteristics`)"))?;
        return Ok(TableKind::Survival {
            endpoint,
            landmarks,
            characteristics: characteristics(r, t)?,
            all: t.all.as_ref().is_none_or(|a| *a.get_ref()),
            follow_up: flag(&t.follow_up, true),
            spss_median: flag(&t.spss_median, false),
        });
    }
    refuse(r, t, KM_ALSO_REFUSES, what)?;
    Ok(TableKind::Km {
        endpoint,
        by: r.grouping_by(&t.by, cx.has_groups, &t.kind)?,
        landmarks,
        follow_up: flag(&t.follow_up, true),
        spss_median: flag(&t.spss_median, false),
    })
}

/// Cumulative incidence of progression, death competing.
fn cuminc(cx: &TableScope<'_>, t: &RawTable, what: &str) -> Result<TableKind, StudyError> {
    let r = cx.r;
    refuse(r, t, CUMINC_REFUSES, what)?;
    let endpoint = cx
        .endpoints
        .progression(need(r, t, &t.endpoint, "endpoint", what)?)?;
    let by = r.optional_by(&t.by)?;
    Ok(TableKind::Cuminc {
        endpoint,
        by,
        landmarks: landmarks(r, t)?,
    })
}

/// Objective response and disease control by characteristic.
fn response(cx: &TableScope<'_>, t: &RawTable, what: &str) -> Result<TableKind, StudyError> {
    let r = cx.r;
    refuse(r, t, RESPONSE_REFUSES, what)?;
    r.not_for(&t.by, "by", &format!("{what} (list `characteristics`)"))?;
    deny(r, t.span_of("overall"), "overall", what)?;
    let src = need(r, t, &t.response, "response", what)?;
    let response = match src.get_ref().trim() {
        "investigator" => ResponseSource::Investigator,
        s => match s
            .strip_prefix("line:")
            .and_then(|k| k.trim().parse::<u32>().ok())
        {
            Some(k) if k >= 1 => ResponseSource::Line(k),
            _ => {
                return Err(r.at(
                    span(src),
                    format!("response '{s}' is not line:K or investigator"),
                ));
            }
        },
    };
    let ci_method = match &t.ci_method {
        None => CiMethod::default(),
        Some(m) => CiMethod::from_code(m.get_ref().trim()).ok_or_else(|| {
            let names: Vec<&str> = CiMethod::ALL.iter().map(|c| c.code()).collect();
            r.at(
                span(m),
                format!(
                    "ci_method '{}' is not one of {}",
                    m.get_ref(),
                    names.join(", ")
                ),
            )
        })?,
    };
    Ok(TableKind::Response {
        response,
        characteristics: characteristics(r, t)?,
        all: t.all.as_ref().is_none_or(|a| *a.get_ref()),
        ci_method,
    })
}

/// Cox regression: terms fitted alone and together, with reference levels.
fn cox(cx: &TableScope<'_>, t: &RawTable, what: &str) -> Result<TableKind, StudyError> {
    let r = cx.r;
    refuse(r, t, COX_REFUSES, what)?;
    let endpoint = cx
        .endpoints
        .reference(need(r, t, &t.endpoint, "endpoint", what)?, Some(false))?;
    let terms = |l: &S<Vec<S<String>>>| -> Result<Vec<String>, StudyError> {
        l.get_ref().iter().map(|s| r.var_ref(s)).collect()
    };
    let univariate = match &t.univariate {
        Some(u) => terms(u)?,
        None => Vec::new(),
    };
    let multivariate = match &t.multivariate {
        Some(m) => terms(m)?,
        None => univariate.clone(),
    };
    if univariate.is_empty() && multivariate.is_empty() {
        return Err(r.at(
            span(&t.kind),
            "a cox table needs `univariate` and/or `multivariate` terms",
        ));
    }
    let reference = match &t.reference {
        None => BTreeMap::new(),
        Some(m) => {
            if let Some(k) = m.get_ref().keys().find(|k| r.kind(k) != Some(true)) {
                return Err(r.at(
                    span(m),
                    format!("reference: '{k}' is not a categorical variable"),
                ));
            }
            m.get_ref().clone()
        }
    };
    Ok(TableKind::Cox {
        endpoint,
        univariate,
        multivariate,
        reference,
    })
}

/// Outcome per line of therapy: a per-line endpoint, at most one landmark.
fn lines(cx: &TableScope<'_>, t: &RawTable, what: &str) -> Result<TableKind, StudyError> {
    let r = cx.r;
    refuse(r, t, LINES_REFUSES, what)?;
    let endpoint = cx
        .endpoints
        .reference(need(r, t, &t.endpoint, "endpoint", what)?, Some(true))?;
    let lines = match &t.lines {
        None => vec![1, 2, 3],
        Some(l) if l.get_ref().is_empty() || l.get_ref().contains(&0) => {
            return Err(r.at(span(l), "lines are numbered from 1"));
        }
        Some(l) => l.get_ref().clone(),
    };
    let landmark = match &t.landmarks {
        None => None,
        Some(l) => match r.landmarks(l)?.as_slice() {
            [one] => Some(*one),
            _ => return Err(r.at(span(l), "a lines table takes one landmark")),
        },
    };
    Ok(TableKind::Lines {
        endpoint,
        lines,
        landmark,
        min_cell: t.min_cell.as_ref().map_or(5, |m| *m.get_ref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::raw::RawTable;

    /// Every option name in the lists is one `span_of` knows: a typo in a
    /// list would silently let that option through.
    #[test]
    fn refused_option_lists_name_real_options() {
        let t: RawTable = toml::from_str(
            r#"name = "t"
type = "x"
by = "sex"
overall = true
rows = []
endpoint = "os"
landmarks = [1]
characteristics = []
all = true
univariate = []
multivariate = []
reference = {}
lines = [1]
response = "investigator"
min_cell = 5
known = true
follow_up = true
spss_median = true
ci_method = "wilson"
"#,
        )
        .unwrap();
        for list in [
            BASELINE_REFUSES,
            SURVIVAL_REFUSES,
            KM_ALSO_REFUSES,
            CUMINC_REFUSES,
            RESPONSE_REFUSES,
            COX_REFUSES,
            LINES_REFUSES,
        ] {
            for f in list {
                assert!(t.span_of(f).is_some(), "{f}");
            }
        }
        assert!(t.span_of("min_cell").is_some() && t.span_of("nonsense").is_none());
    }
}
