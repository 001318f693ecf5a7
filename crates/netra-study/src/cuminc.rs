//! `type = "cuminc"` tables and figures: cumulative incidence of
//! progression with death without progression as the competing risk, by
//! group, through the analysis layer (`netra_analysis::analyses::cuminc`,
//! whose module doc states how the two causes are derived). This module
//! only renders the layer's output; the summary facts are that output as
//! JSON.

use netra_analysis::EndpointRequest;
use netra_analysis::analyses::cuminc::{self, CumincOutput, CumincRequest};
use netra_report::axis::month_ticks;
use netra_report::figure::km::{KmFigure, KmSeries};
use netra_report::format::{MISSING, p_equals, p_value, with_ci};
use netra_report::table::{Row, Table};

use crate::StudyError;
use crate::context::{Context, Grouping, analysis_err};
use crate::facts::Facts;
use crate::figures::AnyFigure;
use crate::spec::{CumincOptions, EndpointDef, TableDef};
use crate::tables::landmark_header;
use netra_analysis::variables::capitalise;

/// The grouping of `by`: `Some("")` all patients, `None` the study's
/// groups if any.
fn grouping(ctx: &Context<'_>, by: Option<&str>) -> Result<Option<Grouping>, StudyError> {
    match by {
        Some("") => Ok(None),
        Some(b) => ctx.grouping(Some(b)).map(Some),
        None if ctx.study.groups.is_some() => ctx.grouping(None).map(Some),
        None => Ok(None),
    }
}

/// Runs the layer's analysis for a study endpoint.
fn analyse(
    ctx: &Context<'_>,
    what: &str,
    ep: &EndpointDef,
    by: Option<&str>,
    times: Vec<f64>,
) -> Result<(CumincOutput, cuminc::CompetingData), StudyError> {
    let g = grouping(ctx, by)?;
    let req = CumincRequest {
        endpoint: EndpointRequest::of(&ep.spec),
        by: g.as_ref().map(|g| g.label.clone()),
        times,
        ..CumincRequest::default()
    };
    let (out, data, _) = cuminc::fit(&ctx.cohort, &req, g).map_err(|e| {
        let e = analysis_err(e);
        StudyError::analysis(what, e.to_string())
    })?;
    Ok((out, data))
}

fn note(ep: &EndpointDef, out: &CumincOutput) -> String {
    format!(
        "Cumulative incidence {} in {}: progression, and death without progression as the \
         competing event (Aalen\u{2013}Johansen, as R's cmprsk::cuminc); 95% CI on the \
         log(\u{2212}log) scale; {MISSING}, after the group's last follow-up or not estimable; \
         p from Gray's test.{}",
        ep.spec.from.phrase(),
        ep.spec.units.code(),
        if out.without_row > 0 {
            format!(
                " {} patient(s) without a time zero not analysed.",
                out.without_row
            )
        } else {
            String::new()
        }
    )
}

/// A `cuminc` table: per cause, a heading row with Gray's p, then one row
/// per group with n, events and the incidence (95% CI) at each landmark.
pub fn table(
    ctx: &Context<'_>,
    def: &TableDef,
    endpoint: &str,
    by: Option<&str>,
    landmarks: Option<&[f64]>,
    facts: &mut Facts,
) -> Result<Table, StudyError> {
    let what = format!("table '{}'", def.name);
    let ep = ctx.endpoint_def(endpoint)?;
    let lms = landmarks.map_or_else(|| ctx.study.landmarks.clone(), <[f64]>::to_vec);
    let (out, _) = analyse(ctx, &what, ep, by, lms.clone())?;
    let headers: Vec<String> = lms
        .iter()
        .map(|l| landmark_header(*l, ep.spec.units, "incidence"))
        .collect();
    let mut columns: Vec<&str> = vec!["", "n", "Events"];
    columns.extend(headers.iter().map(String::as_str));
    columns.push("p");
    let mut t = Table::new(def.title.clone(), &columns);
    for cause in &out.causes {
        let gray = out.gray.iter().find(|g| g.cause_code == cause.code);
        let mut head = vec![capitalise(&cause.label)];
        head.extend(std::iter::repeat_n(String::new(), 2 + lms.len()));
        head.push(gray.map_or(String::new(), |g| p_value(g.p)));
        t.push(Row::new(head).emphasised());
        for g in &out.groups {
            let curve = out
                .curves
                .iter()
                .find(|c| c.cause_code == cause.code && c.group == g.label);
            let mut row = vec![
                g.label.clone(),
                g.n.to_string(),
                g.events[cause.code as usize - 1].to_string(),
            ];
            for j in 0..lms.len() {
                let cell = match curve.and_then(|c| c.at_times.get(j)) {
                    Some(p) if p.estimate.is_some() => with_ci(
                        p.estimate.map(|x| 100.0 * x),
                        p.lower.map(|x| 100.0 * x),
                        p.upper.map(|x| 100.0 * x),
                        1,
                        MISSING,
                    ),
                    // No event of this cause in the group: F = 0 up to its
                    // last follow-up.
                    None if g.n > 0 && curve.is_none() => "0.0".to_string(),
                    _ => MISSING.to_string(),
                };
                row.push(cell);
            }
            row.push(String::new());
            t.push(Row::new(row).indented(1));
        }
    }
    t.footnotes.push(note(ep, &out));
    facts.insert(
        def.name.clone(),
        serde_json::to_value(&out).map_err(|e| StudyError::analysis(&what, e.to_string()))?,
    );
    Ok(t)
}

/// A `cuminc` figure: the cumulative incidence of progression by group,
/// numbers at risk from the follow-up times, Gray's p.
pub fn figure(
    ctx: &Context<'_>,
    name: &str,
    o: &CumincOptions,
    facts: &mut Facts,
) -> Result<(AnyFigure, String), StudyError> {
    let what = format!("figure '{name}'");
    let ep = ctx.endpoint_def(&o.endpoint)?;
    let (out, data) = analyse(ctx, &what, ep, o.by.as_deref(), Vec::new())?;
    let series: Vec<KmSeries> = out
        .curves
        .iter()
        .filter(|c| c.cause_code == 1)
        .filter_map(|c| {
            let g = data.labels.iter().position(|l| *l == c.group)?;
            c.steps.as_ref()?;
            let follow: Vec<f64> = data
                .group
                .iter()
                .zip(&data.time)
                .filter(|(k, _)| **k == g)
                .map(|(_, t)| *t)
                .collect();
            // The same series as `netra cuminc --plot` (clamped to [0, 1]).
            let s = KmSeries::from_cuminc_out(format!("{} (n = {})", c.group, c.n), c);
            Some(s.with_follow_up(&follow))
        })
        .collect();
    if series.is_empty() {
        return Err(StudyError::analysis(&what, "no patient progressed"));
    }
    let x_label = format!(
        "{} {}",
        capitalise(ep.spec.units.code()),
        ep.spec.from.phrase()
    );
    let mut f = KmFigure::incidence(series, x_label);
    f.y_label = "Cumulative incidence of progression".into();
    f.ticks = o.ticks.clone().or_else(|| {
        let hi = o
            .x_max
            .unwrap_or_else(|| data.time.iter().copied().fold(0.0, f64::max));
        (ep.spec.units == netra_clinical::endpoints::Units::Months).then(|| month_ticks(hi, 8))
    });
    f.x_max = o.x_max;
    f.show_ci = o.ci;
    f.at_risk_table = o.at_risk;
    let gray = out.gray.iter().find(|g| g.cause_code == 1);
    let mut test_text = String::new();
    if o.gray
        && let Some(g) = gray
        && let (Some(chisq), Some(p)) = (g.chisq, g.p)
    {
        f.p_value_text = Some(format!("Gray's test {}", p_equals(Some(p))));
        test_text = format!(
            " Gray's test: \u{3c7}\u{b2} = {chisq:.2} on {} df, {}.",
            g.df,
            p_equals(Some(p))
        );
    }
    facts.insert(
        name.to_string(),
        serde_json::json!({"gray": gray.map(|g| serde_json::json!({"chisq": g.chisq, "df": g.df, "p": g.p}))}),
    );
    let caption = format!(
        "Cumulative incidence of progression {}{}, death without progression as the competing \
         event; numbers at risk below the axis.{test_text}",
        ep.spec.from.phrase(),
        out.by_label
            .as_ref()
            .map_or(String::new(), |b| format!(" by {}", b.to_lowercase())),
    );
    Ok((AnyFigure::Km(f), caption))
}
