//! `[[figure]]`: each figure type with the options it takes. Which type
//! takes which option is one table, [`FIGURE_OPTIONS`]; an option given to
//! a type that ignores it is an error.

use netra_clinical::endpoints::TimeZero;

use super::endpoints::Endpoints;
use super::raw::{RawFigure, S};
use super::resolver::{Names, Resolver, applies_to, known_type, span, unknown_type};
use super::{CumincOptions, FigureDef, FigureKind, KmOptions, TableDef, TableKind};
use crate::StudyError;

/// `by` of a per-line Kaplan–Meier figure: one curve per line.
pub const BY_LINE: &str = "line";

/// At most this many lines get a curve with `by = "line"` and no `line`.
pub const MAX_LINE_CURVES: u32 = 6;

/// The figure types, in the order the documentation lists them.
const FIGURE_TYPES: &[&str] = &[
    "km",
    "cuminc",
    "forest",
    "waterfall",
    "spider",
    "swimmer",
    "sankey",
    "weighted_km",
    "love",
];

/// Each type-specific option with the types that take it, in the order
/// they are checked (the first one given to another type is the error).
/// `title`, `caption`, `section` and `width` apply to every type.
const FIGURE_OPTIONS: &[(&str, &[&str])] = &[
    ("ci", &["km", "cuminc", "weighted_km"]),
    ("median", &["km"]),
    ("censor_marks", &["km"]),
    ("at_risk", &["km", "cuminc"]),
    ("endpoint", &["km", "cuminc"]),
    ("by", &["km", "cuminc"]),
    ("ticks", &["km", "cuminc"]),
    ("x_max", &["km", "cuminc", "weighted_km"]),
    ("test", &["km", "cuminc"]),
    ("table", &["forest"]),
    ("analysis", &["forest", "waterfall", "weighted_km", "love"]),
    ("model", &["forest"]),
    ("line", &["waterfall", "spider", "km"]),
    ("lines", &["sankey"]),
    ("min_cell", &["sankey"]),
    ("sample", &["swimmer"]),
    ("seed", &["swimmer"]),
    ("from", &["swimmer"]),
];

/// What a figure may refer to: variables, endpoints and the tables above.
pub(super) struct FigureScope<'a> {
    /// Variables and located errors.
    pub r: &'a Resolver<'a>,
    /// The endpoints defined.
    pub endpoints: Endpoints<'a>,
    /// The tables defined (a forest plot draws a cox table).
    pub tables: &'a [TableDef],
    /// The `[[analysis]]` sections (a forest plot draws a `subgroups` one).
    pub analyses: &'a [super::AnalysisDef],
}

/// The figures in file order.
pub(super) fn figures(
    cx: &FigureScope<'_>,
    raw: &[RawFigure],
) -> Result<Vec<FigureDef>, StudyError> {
    let r = cx.r;
    let mut names = Names::new("figure");
    let mut figures = Vec::new();
    for f in raw {
        names.add(&r.e, &f.name)?;
        let ty = known_type(r, &f.kind, "figure", FIGURE_TYPES)?;
        let what = format!("a {ty} figure");
        for (option, types) in FIGURE_OPTIONS {
            if !types.contains(&ty) {
                let applies = applies_to(types, "figures");
                r.not_given_where(f.span_of(option), option, &what, &applies)?;
            }
        }
        let kind = kind(cx, f, ty)?;
        if let Some(w) = &f.width
            && !(w.get_ref().is_finite() && (240.0..=2400.0).contains(w.get_ref()))
        {
            return Err(r.at(span(w), "width is between 240 and 2400 pixels"));
        }
        figures.push(FigureDef {
            name: f.name.get_ref().clone(),
            title: f.title.clone().unwrap_or_default(),
            caption: f.caption.clone().unwrap_or_default(),
            position: span(&f.name).start,
            section: f.section.clone().unwrap_or_default(),
            width: f.width.as_ref().map(|w| *w.get_ref()),
            kind,
        });
    }
    Ok(figures)
}

/// What one figure shows, by its `type` (options already checked to fit).
fn kind(cx: &FigureScope<'_>, f: &RawFigure, ty: &str) -> Result<FigureKind, StudyError> {
    let r = cx.r;
    match ty {
        "km" => km(cx, f),
        "cuminc" => cuminc(cx, f),
        "forest" => forest(cx, f),
        "waterfall" => waterfall(cx, f),
        "spider" => Ok(FigureKind::Spider { line: line(r, f)? }),
        "swimmer" => swimmer(r, f),
        "sankey" => sankey(r, f),
        "weighted_km" | "love" => weighted(cx, f, ty),
        // `known_type` let no other name through.
        other => Err(r.at(span(&f.kind), unknown_type("figure", other, FIGURE_TYPES))),
    }
}

/// The endpoint a curve figure needs, or an error at its `type`.
fn need_endpoint<'f>(r: &Resolver<'_>, f: &'f RawFigure) -> Result<&'f S<String>, StudyError> {
    f.endpoint.as_ref().ok_or_else(|| {
        r.at(
            span(&f.kind),
            format!("a {} figure needs `endpoint`", f.kind.get_ref()),
        )
    })
}

/// Kaplan–Meier curves; a per-line endpoint needs the `line` drawn.
fn km(cx: &FigureScope<'_>, f: &RawFigure) -> Result<FigureKind, StudyError> {
    let r = cx.r;
    let ep_s = need_endpoint(r, f)?;
    let per_line = cx.endpoints.get(ep_s).is_some_and(|x| x.per_line());
    let endpoint = cx
        .endpoints
        .reference(ep_s, if per_line { None } else { Some(false) })?;
    // `by = "line"`: one curve per line of a per-line endpoint (lines 1 to
    // `line`, default every line with patients, at most MAX_LINE_CURVES).
    let by_line = f.by.as_ref().filter(|b| b.get_ref() == BY_LINE);
    if let Some(b) = by_line
        && !per_line
    {
        return Err(r.at(
            span(b),
            format!(
                "by = \"line\" draws one curve per line: endpoint '{endpoint}' is not measured \
                 from each line"
            ),
        ));
    }
    if per_line && f.line.is_none() && by_line.is_none() {
        return Err(r.at(
            span(ep_s),
            format!(
                "endpoint '{endpoint}' is measured from each line: give `line`, or by = \"line\" \
                 for one curve per line"
            ),
        ));
    }
    if !per_line && let Some(l) = &f.line {
        return Err(r.at(
            span(l),
            "`line` applies to an endpoint measured from each line",
        ));
    }
    if by_line.is_some()
        && let Some(t) = f.test.as_ref().filter(|t| t.get_ref() != "none")
    {
        return Err(r.at(
            span(t),
            "the curves of successive lines share patients: a log-rank test does not compare \
             them (test = \"none\")",
        ));
    }
    let by = match by_line {
        Some(_) => Some(BY_LINE.to_string()),
        None => r.optional_by(&f.by)?,
    };
    let ticks = ticks(r, &f.ticks)?;
    let logrank = by_line.is_none() && test_shown(r, &f.test, "logrank")?;
    Ok(FigureKind::Km(KmOptions {
        endpoint,
        by,
        ticks,
        x_max: f.x_max.as_ref().map(|x| *x.get_ref()),
        ci: flag(&f.ci, false),
        median: flag(&f.median, false),
        censor_marks: flag(&f.censor_marks, true),
        at_risk: flag(&f.at_risk, true),
        logrank,
        line: f.line.as_ref().map(|l| *l.get_ref()),
    }))
}

/// Cumulative incidence of progression, death competing (`line` was
/// refused with the options: the endpoint has one time zero).
fn cuminc(cx: &FigureScope<'_>, f: &RawFigure) -> Result<FigureKind, StudyError> {
    let r = cx.r;
    let endpoint = cx.endpoints.progression(need_endpoint(r, f)?)?;
    let by = r.optional_by(&f.by)?;
    let ticks = ticks(r, &f.ticks)?;
    let gray = test_shown(r, &f.test, "gray")?;
    Ok(FigureKind::Cuminc(CumincOptions {
        endpoint,
        by,
        ticks,
        x_max: f.x_max.as_ref().map(|x| *x.get_ref()),
        ci: flag(&f.ci, false),
        at_risk: flag(&f.at_risk, true),
        gray,
    }))
}

/// A forest plot of a cox table defined above.
fn forest(cx: &FigureScope<'_>, f: &RawFigure) -> Result<FigureKind, StudyError> {
    let r = cx.r;
    if let Some(a) = &f.analysis {
        if let Some(t) = &f.table {
            return Err(r.at(
                span(t),
                "a forest figure draws a cox `table` or a subgroups `analysis`, not both",
            ));
        }
        if let Some(m) = &f.model {
            return Err(r.at(span(m), "`model` is for the forest plot of a cox table"));
        }
        let def = cx
            .analyses
            .iter()
            .find(|x| &x.id == a.get_ref())
            .ok_or_else(|| {
                r.at(
                    span(a),
                    format!("no [[analysis]] with id '{}'", a.get_ref()),
                )
            })?;
        if def.analysis != "subgroups" {
            return Err(r.at(
                span(a),
                format!(
                    "analysis '{}' is a '{}' analysis: a forest plot draws a 'subgroups' one",
                    def.id, def.analysis
                ),
            ));
        }
        return Ok(FigureKind::SubgroupForest {
            analysis: def.id.clone(),
            request: def.request.clone(),
        });
    }
    let t = f.table.as_ref().ok_or_else(|| {
        r.at(
            span(&f.kind),
            "a forest figure needs `table` (a cox table) or `analysis` (a subgroups analysis)",
        )
    })?;
    if !cx
        .tables
        .iter()
        .any(|x| &x.name == t.get_ref() && matches!(x.kind, TableKind::Cox { .. }))
    {
        return Err(r.at(span(t), format!("no cox [[table]] named '{}'", t.get_ref())));
    }
    let multivariate = match f.model.as_ref().map(|m| (m.get_ref().as_str(), span(m))) {
        None | Some(("multivariate", _)) => true,
        Some(("univariate", _)) => false,
        Some((other, at)) => {
            return Err(r.at(
                at,
                format!("model '{other}' is not univariate or multivariate"),
            ));
        }
    };
    Ok(FigureKind::Forest {
        table: t.get_ref().clone(),
        multivariate,
    })
}

/// The analyses whose weighted curves and balance a figure draws.
const WEIGHTED_ANALYSES: &[&str] = &["emulate", "weighting"];

/// The `[[analysis]]` a figure names with `analysis`, refused unless it is
/// one of `kinds` (`drawn` says what the figure draws, for the message).
fn named_analysis<'a>(
    cx: &FigureScope<'a>,
    a: &S<String>,
    kinds: &[&str],
    figure: &str,
    drawn: &str,
) -> Result<&'a super::AnalysisDef, StudyError> {
    let r = cx.r;
    let def = cx
        .analyses
        .iter()
        .find(|x| &x.id == a.get_ref())
        .ok_or_else(|| {
            r.at(
                span(a),
                format!("no [[analysis]] with id '{}'", a.get_ref()),
            )
        })?;
    if !kinds.contains(&def.analysis.as_str()) {
        return Err(r.at(
            span(a),
            format!(
                "analysis '{}' is a '{}' analysis: {figure} draws {drawn}",
                def.id, def.analysis
            ),
        ));
    }
    Ok(def)
}

/// A weighted Kaplan–Meier figure or a love plot of an `[[analysis]]` of
/// `emulate` or `weighting` (named by `analysis`).
fn weighted(cx: &FigureScope<'_>, f: &RawFigure, ty: &str) -> Result<FigureKind, StudyError> {
    let r = cx.r;
    let a = f.analysis.as_ref().ok_or_else(|| {
        r.at(
            span(&f.kind),
            format!("a {ty} figure needs `analysis` (the id of an emulate or weighting analysis)"),
        )
    })?;
    let def = named_analysis(
        cx,
        a,
        WEIGHTED_ANALYSES,
        &format!("a {ty} figure"),
        "an emulate or weighting one",
    )?;
    let (analysis, kind, request) = (def.id.clone(), def.analysis.clone(), def.request.clone());
    Ok(if ty == "love" {
        FigureKind::Love {
            analysis,
            kind,
            request,
        }
    } else {
        FigureKind::WeightedKm {
            analysis,
            kind,
            request,
            ci: flag(&f.ci, true),
            x_max: f.x_max.as_ref().map(|x| *x.get_ref()),
        }
    })
}

/// A waterfall of a line's best responses, or (`analysis`) of the
/// per-lesion changes of a `lesions` analysis, coloured by site.
fn waterfall(cx: &FigureScope<'_>, f: &RawFigure) -> Result<FigureKind, StudyError> {
    let r = cx.r;
    let Some(a) = &f.analysis else {
        return Ok(FigureKind::Waterfall { line: line(r, f)? });
    };
    if let Some(l) = &f.line {
        return Err(r.at(
            span(l),
            "a waterfall draws a `line`'s responses or a lesions `analysis`, not both",
        ));
    }
    let def = named_analysis(cx, a, &["lesions"], "a waterfall", "a 'lesions' one")?;
    Ok(FigureKind::LesionWaterfall {
        analysis: def.id.clone(),
        request: def.request.clone(),
    })
}

/// A swimmer plot from one time zero per patient (metastatic by default).
fn swimmer(r: &Resolver<'_>, f: &RawFigure) -> Result<FigureKind, StudyError> {
    let from = match &f.from {
        None => TimeZero::Metastatic,
        Some(s) => match r.time_zero(s)? {
            TimeZero::EachLine => {
                return Err(r.at(span(s), "a swimmer plot needs one time zero per patient"));
            }
            t => t,
        },
    };
    Ok(FigureKind::Swimmer {
        sample: f.sample.as_ref().map(|s| *s.get_ref()),
        seed: f.seed.as_ref().map_or(1, |s| *s.get_ref()),
        from,
    })
}

/// A Sankey of treatment sequences over 1–10 lines.
fn sankey(r: &Resolver<'_>, f: &RawFigure) -> Result<FigureKind, StudyError> {
    let lines = match &f.lines {
        None => 3,
        Some(l) if (1..=10).contains(l.get_ref()) => *l.get_ref(),
        Some(l) => return Err(r.at(span(l), "`lines` is between 1 and 10")),
    };
    Ok(FigureKind::Sankey {
        min_cell: f.min_cell.as_ref().map_or(5, |m| *m.get_ref()),
        lines,
    })
}

/// The line of a waterfall or spider plot (1 by default).
fn line(r: &Resolver<'_>, f: &RawFigure) -> Result<u32, StudyError> {
    match &f.line {
        None => Ok(1),
        Some(l) if *l.get_ref() >= 1 => Ok(*l.get_ref()),
        Some(l) => Err(r.at(span(l), "lines are numbered from 1")),
    }
}

/// Printed times of a curve figure: increasing and not negative.
fn ticks(r: &Resolver<'_>, ticks: &Option<S<Vec<f64>>>) -> Result<Option<Vec<f64>>, StudyError> {
    let Some(t) = ticks else {
        return Ok(None);
    };
    let v = t.get_ref();
    if v.is_empty()
        || v.iter().any(|x| !x.is_finite() || *x < 0.0)
        || v.windows(2).any(|w| w[0] >= w[1])
    {
        return Err(r.at(span(t), "ticks must be increasing times ≥ 0"));
    }
    Ok(Some(v.clone()))
}

/// Whether a curve figure prints its test's p-value: `test` is the
/// figure's test (`name`: logrank, gray) or `none`.
fn test_shown(r: &Resolver<'_>, test: &Option<S<String>>, name: &str) -> Result<bool, StudyError> {
    match test {
        None => Ok(true),
        Some(t) if t.get_ref() == name => Ok(true),
        Some(t) if t.get_ref() == "none" => Ok(false),
        Some(t) => Err(r.at(
            span(t),
            format!("test '{}' is not {name} or none", t.get_ref()),
        )),
    }
}

/// A yes/no option with its default.
fn flag(b: &Option<S<bool>>, default: bool) -> bool {
    b.as_ref().map_or(default, |x| *x.get_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every option in the table is one `span_of` knows, and names only
    /// real figure types: a typo would silently let an option through.
    #[test]
    fn the_options_table_names_real_options_and_types() {
        let f: RawFigure = toml::from_str(
            r#"name = "f"
type = "x"
endpoint = "os"
by = ""
ticks = [0]
x_max = 1
ci = true
median = true
censor_marks = true
at_risk = true
test = "none"
table = "t"
analysis = "a"
model = "univariate"
line = 1
lines = 3
sample = 1
seed = 1
from = "metastatic"
min_cell = 1
"#,
        )
        .unwrap();
        for (option, types) in FIGURE_OPTIONS {
            assert!(f.span_of(option).is_some(), "{option}");
            for t in *types {
                assert!(FIGURE_TYPES.contains(t), "{t}");
            }
        }
        assert!(f.span_of("nonsense").is_none());
    }
}
