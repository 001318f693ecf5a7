//! `[[variable]]`: variables the study derives from registry variables —
//! bands of a number (`cuts`), a recoding (`map`/`levels`), labelled
//! conditions (`cases`) or a marker above its upper limit (`marker`).
//! Each may use only the variables above it, so the file reads top down.

use netra_analysis::variables as vars;

use super::raw::{RawVariable, S};
use super::resolver::{Names, Resolver, span};
use super::{Derivation, DerivedVariable};
use crate::StudyError;

/// The derived variables in file order; each is known to the resolver
/// (as categorical) once read.
pub(super) fn variables(
    r: &mut Resolver<'_>,
    raw: &[RawVariable],
) -> Result<Vec<DerivedVariable>, StudyError> {
    let mut names = Names::new("variable");
    let mut variables = Vec::new();
    for v in raw {
        names.add(&r.e, &v.name)?;
        let variable = variable(r, v)?;
        r.variables.insert(variable.name.clone(), true);
        variables.push(variable);
    }
    Ok(variables)
}

/// One derived variable: exactly one way of deriving it, and only the
/// options that way takes.
fn variable(r: &Resolver<'_>, v: &RawVariable) -> Result<DerivedVariable, StudyError> {
    let name = v.name.get_ref().clone();
    if vars::base_kind(&name).is_some() {
        return Err(r.at(
            span(&v.name),
            format!("'{name}' is already a registry variable; choose another name"),
        ));
    }
    one_way(r, v, &name)?;
    let derivation = if let Some(cuts) = &v.cuts {
        cut_bands(r, v, &name, cuts)?
    } else if let Some(cases) = &v.cases {
        r.not_for(&v.from, "from", "a variable made of `cases`")?;
        let mut out = Vec::new();
        for c in cases.get_ref() {
            out.push((c.label.clone(), r.condition(&c.when)?));
        }
        if out.is_empty() {
            return Err(r.at(span(cases), "`cases` is empty"));
        }
        Derivation::Cases(out)
    } else if let Some(marker) = &v.marker {
        above_uln(r, v, marker)?
    } else if let Some(treatment) = &v.exposure {
        exposure(r, v, treatment)?
    } else {
        recode(r, v, &name)?
    };
    options_fit(r, v, &derivation)?;
    let levels = levels(r, v, &derivation)?;
    Ok(DerivedVariable {
        label: v.label.clone().unwrap_or_else(|| name.clone()),
        name,
        derivation,
        levels,
    })
}

/// Exactly one of `cuts`, `map`, `cases`, `marker` (or `levels` with
/// `from`, a recoding that only orders and selects levels).
fn one_way(r: &Resolver<'_>, v: &RawVariable, name: &str) -> Result<(), StudyError> {
    let ways = [
        v.cuts.is_some(),
        v.map.is_some(),
        v.cases.is_some(),
        v.marker.is_some(),
        v.exposure.is_some(),
    ];
    match ways.iter().filter(|w| **w).count() {
        0 if v.levels.is_some() && v.from.is_some() => Ok(()),
        1 => Ok(()),
        0 => Err(r.at(
            span(&v.name),
            format!(
                "variable '{name}': say how it is derived: `cuts` (with `from`), \
                 `map` or `levels` (with `from`), `cases`, `marker` or `exposure`"
            ),
        )),
        _ => Err(r.at(
            span(&v.name),
            format!(
                "variable '{name}': use only one of `cuts`, `map`, `cases`, `marker`, \
                 `exposure`"
            ),
        )),
    }
}

/// Bands of a number at increasing cut points, closed on the left unless
/// `closed = "right"`; `labels` name every band.
fn cut_bands(
    r: &Resolver<'_>,
    v: &RawVariable,
    name: &str,
    cuts: &S<Vec<f64>>,
) -> Result<Derivation, StudyError> {
    let from = v.from.as_ref().ok_or_else(|| {
        r.at(
            span(cuts),
            format!("variable '{name}': `cuts` needs `from`"),
        )
    })?;
    if r.check_variable(from.get_ref(), span(from))? {
        return Err(r.at(
            span(from),
            format!(
                "variable '{name}': `cuts` needs a number, but '{}' is categorical",
                from.get_ref()
            ),
        ));
    }
    let c = cuts.get_ref();
    if c.is_empty() || c.iter().any(|x| !x.is_finite()) || c.windows(2).any(|w| w[0] >= w[1]) {
        return Err(r.at(
            span(cuts),
            "cut points must be finite and strictly increasing",
        ));
    }
    let right_closed = match &v.closed {
        None => false,
        Some(c) => match c.get_ref().as_str() {
            "left" => false,
            "right" => true,
            other => {
                return Err(r.at(
                    span(c),
                    format!("`closed` is \"left\" or \"right\", not '{other}'"),
                ));
            }
        },
    };
    if let Some(l) = &v.labels
        && l.get_ref().len() != c.len() + 1
    {
        return Err(r.at(
            span(l),
            format!(
                "{} cut point(s) make {} bands, but {} labels are given",
                c.len(),
                c.len() + 1,
                l.get_ref().len()
            ),
        ));
    }
    Ok(Derivation::Cuts {
        from: from.get_ref().clone(),
        cuts: c.clone(),
        right_closed,
    })
}

/// A marker's earliest value above `above_uln` × its upper limit of
/// normal (two levels: not above, above).
fn above_uln(
    r: &Resolver<'_>,
    v: &RawVariable,
    marker: &S<String>,
) -> Result<Derivation, StudyError> {
    r.not_for(&v.from, "from", "a marker variable")?;
    if !vars::marker_codes().contains(&marker.get_ref().as_str()) {
        return Err(r.at(
            span(marker),
            format!(
                "unknown marker '{}' (one of {})",
                marker.get_ref(),
                vars::marker_codes().join(", ")
            ),
        ));
    }
    let factor = v.above_uln.as_ref().map_or(1.0, |f| *f.get_ref());
    if let Some(f) = &v.above_uln
        && !(factor.is_finite() && factor > 0.0)
    {
        return Err(r.at(
            span(f),
            "`above_uln` must be a positive multiple of the upper limit",
        ));
    }
    if let Some(l) = &v.labels
        && l.get_ref().len() != 2
    {
        return Err(r.at(span(l), "a marker variable has 2 labels (not above, above)"));
    }
    Ok(Derivation::AboveUln {
        marker: marker.get_ref().clone(),
        factor,
    })
}

/// A time-windowed exposure: `exposure = "local"`, `window = "after"`
/// (`before`, `after`, `within` with `months`), `time_zero` (`metastatic`
/// by default; `diagnosis`, `entry`), `intent` (`curative`, `palliative`;
/// any by default). Two labels (not exposed, exposed).
fn exposure(
    r: &Resolver<'_>,
    v: &RawVariable,
    treatment: &S<String>,
) -> Result<Derivation, StudyError> {
    use netra_analysis::variables::treatment::{self as tr, Exposure, IntentGroup, Window};
    r.not_for(&v.from, "from", "an exposure variable")?;
    let code = treatment.get_ref().trim();
    if !tr::exposure_code_known(code) {
        return Err(r.at(
            span(treatment),
            format!(
                "unknown treatment '{code}' (a treatment type or class, e.g. {}, or \
                 `systemic`)",
                vars::received_codes().join(", ")
            ),
        ));
    }
    let window = match v.window.as_ref().map(|w| (w, w.get_ref().as_str())) {
        None => {
            return Err(r.at(
                span(treatment),
                "an exposure needs `window` (\"before\", \"after\" or \"within\" with \
                 `months`)",
            ));
        }
        Some((w, "within")) => {
            let m = v
                .months
                .as_ref()
                .ok_or_else(|| r.at(span(w), "`window = \"within\"` needs `months`"))?;
            if !(m.get_ref().is_finite() && *m.get_ref() > 0.0) {
                return Err(r.at(span(m), "`months` must be a positive number"));
            }
            Window::Within(*m.get_ref())
        }
        Some((w, other)) => {
            r.not_for(&v.months, "months", "a window other than \"within\"")?;
            match other {
                "before" => Window::Before,
                "after" => Window::After,
                _ => {
                    return Err(r.at(
                        span(w),
                        format!("`window` is \"before\", \"after\" or \"within\", not '{other}'"),
                    ));
                }
            }
        }
    };
    let time_zero = match &v.time_zero {
        None => netra_clinical::endpoints::TimeZero::Metastatic,
        Some(z) => {
            let tz = r.time_zero(z)?;
            if !tr::exposure_time_zero_ok(tz) {
                return Err(r.at(
                    span(z),
                    "an exposure window starts at diagnosis, metastatic or entry",
                ));
            }
            tz
        }
    };
    let intent = match &v.intent {
        None => None,
        Some(i) => Some(IntentGroup::from_code(i.get_ref()).ok_or_else(|| {
            r.at(
                span(i),
                format!(
                    "`intent` is \"curative\" or \"palliative\", not '{}'",
                    i.get_ref()
                ),
            )
        })?),
    };
    if let Some(l) = &v.labels
        && l.get_ref().len() != 2
    {
        return Err(r.at(
            span(l),
            "an exposure variable has 2 labels (not exposed, exposed)",
        ));
    }
    Ok(Derivation::Exposure(Exposure {
        treatment: code.to_string(),
        window,
        time_zero,
        intent,
    }))
}

/// `map` and/or `levels` recode a categorical variable.
fn recode(r: &Resolver<'_>, v: &RawVariable, name: &str) -> Result<Derivation, StudyError> {
    let from = v.from.as_ref().ok_or_else(|| {
        r.at(
            span(&v.name),
            format!("variable '{name}': `map`/`levels` need `from`"),
        )
    })?;
    r.categorical_ref(from, "`map`/`levels`")?;
    Ok(Derivation::Recode {
        from: from.get_ref().clone(),
        map: v
            .map
            .as_ref()
            .map(|m| m.get_ref().clone())
            .unwrap_or_default(),
    })
}

/// `labels`, `levels`, `closed` and `above_uln` each belong to some ways
/// of deriving; given to another they would be silently ignored.
fn options_fit(r: &Resolver<'_>, v: &RawVariable, d: &Derivation) -> Result<(), StudyError> {
    let banded = matches!(
        d,
        Derivation::Cuts { .. } | Derivation::AboveUln { .. } | Derivation::Exposure(_)
    );
    if !matches!(d, Derivation::Exposure(_)) {
        for (field, name) in [
            (v.window.as_ref().map(span), "window"),
            (v.months.as_ref().map(span), "months"),
            (v.time_zero.as_ref().map(span), "time_zero"),
            (v.intent.as_ref().map(span), "intent"),
        ] {
            r.not_given(field, name, "this variable (only `exposure`)")?;
        }
    }
    if !banded && let Some(l) = &v.labels {
        return Err(r.at(
            span(l),
            "`labels` name the bands of `cuts`, a `marker` or an `exposure` variable; \
             recoded and `cases` variables take their labels from `map`/`cases`",
        ));
    }
    if banded {
        r.not_for(
            &v.levels,
            "levels",
            "a `cuts`, `marker` or `exposure` variable (use `labels`)",
        )?;
    }
    if !matches!(d, Derivation::Cuts { .. }) {
        r.not_for(&v.closed, "closed", "this variable (only `cuts`)")?;
    }
    if !matches!(d, Derivation::AboveUln { .. }) {
        r.not_for(&v.above_uln, "above_uln", "this variable (only `marker`)")?;
    }
    Ok(())
}

/// The variable's levels in order (`labels` of bands, else `levels`),
/// which must differ from each other.
fn levels(
    r: &Resolver<'_>,
    v: &RawVariable,
    d: &Derivation,
) -> Result<Option<Vec<String>>, StudyError> {
    let given = match d {
        Derivation::Cuts { .. } | Derivation::AboveUln { .. } | Derivation::Exposure(_) => {
            v.labels.as_ref()
        }
        _ => v.levels.as_ref(),
    };
    let Some(l) = given else {
        return Ok(None);
    };
    let mut sorted = l.get_ref().clone();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(r.at(span(l), "levels must differ from each other"));
    }
    Ok(Some(l.get_ref().clone()))
}
