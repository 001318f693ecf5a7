//! The `[[figure]]`s of a study, drawn with `netra_report`'s figures from the
//! analysis set.

use netra_analysis::analyses::survival::{SurvivalData, SurvivalOptions, summarise};
use netra_clinical::endpoints::{DAYS_PER_MONTH, Endpoint, EndpointSpec, TimeZero};
use netra_clinical::evaluation::{Scans, patient_lesions};
use netra_clinical::lines::{Line, PathwayEnd, PatientLines};
use netra_clinical::registry::model::PatientCourse;
use netra_clinical::registry::vocab::{TreatmentClass, VitalStatus, Vocabulary};
use netra_clinical::response::{self, Category, PatientResponse};
use netra_clinical::sequences::{self, SequenceOptions};
use netra_report::Figure;
use netra_report::axis::month_ticks;
use netra_report::figure::forest::ForestFigure;
use netra_report::figure::km::{KmFigure, KmSeries};
use netra_report::figure::love::LoveFigure;
use netra_report::figure::sankey::SankeyFigure;
use netra_report::figure::spider::SpiderFigure;
use netra_report::figure::swimmer::{
    EventKind, LaneEnd, SwimmerEvent, SwimmerFigure, SwimmerLane, SwimmerSegment,
};
use netra_report::figure::waterfall::WaterfallFigure;
use netra_report::format::p_equals;
use netra_report::palette::ResponseClass;
use serde_json::json;

use crate::StudyError;
use crate::context::Context;
use crate::data::sha256_hex;
use crate::facts::Facts;
use crate::spec::{FigureDef, FigureKind, KmOptions};
use crate::tables::BuiltTable;
use netra_analysis::variables::capitalise;

/// One of the figures a study draws.
pub enum AnyFigure {
    /// Kaplan–Meier.
    Km(KmFigure),
    /// Forest plot.
    Forest(ForestFigure),
    /// Waterfall.
    Waterfall(WaterfallFigure),
    /// Spider plot.
    Spider(SpiderFigure),
    /// Swimmer plot.
    Swimmer(SwimmerFigure),
    /// Sankey diagram.
    Sankey(SankeyFigure),
    /// Love plot (balance before and after weighting).
    Love(LoveFigure),
}

impl AnyFigure {
    /// The figure as the trait object that draws it.
    pub fn figure(&self) -> &dyn Figure {
        match self {
            AnyFigure::Km(f) => f,
            AnyFigure::Forest(f) => f,
            AnyFigure::Waterfall(f) => f,
            AnyFigure::Spider(f) => f,
            AnyFigure::Swimmer(f) => f,
            AnyFigure::Sankey(f) => f,
            AnyFigure::Love(f) => f,
        }
    }

    fn parts(&mut self) -> (&mut netra_report::figure::Style, &mut String) {
        match self {
            AnyFigure::Km(f) => (&mut f.style, &mut f.title),
            AnyFigure::Forest(f) => (&mut f.style, &mut f.title),
            AnyFigure::Waterfall(f) => (&mut f.style, &mut f.title),
            AnyFigure::Spider(f) => (&mut f.style, &mut f.title),
            AnyFigure::Swimmer(f) => (&mut f.style, &mut f.title),
            AnyFigure::Sankey(f) => (&mut f.style, &mut f.title),
            AnyFigure::Love(f) => (&mut f.style, &mut f.title),
        }
    }
}

/// A drawn figure.
pub struct BuiltFigure {
    /// The figure.
    pub figure: AnyFigure,
    /// Caption (the study's, else a generated one).
    pub caption: String,
}

fn report_err(what: &str) -> impl Fn(netra_report::ReportError) -> StudyError + '_ {
    move |e| StudyError::report(what, e)
}

/// Builds one figure. `tables` are the study's built tables by name (forest
/// plots draw a Cox table).
pub fn build(
    ctx: &Context<'_>,
    def: &FigureDef,
    tables: &[(String, BuiltTable)],
    facts: &mut Facts,
) -> Result<BuiltFigure, StudyError> {
    let what = format!("figure '{}'", def.name);
    let (mut figure, caption): (AnyFigure, String) = match &def.kind {
        FigureKind::Km(o) => km(ctx, def, o, facts)?,
        FigureKind::Cuminc(o) => crate::cuminc::figure(ctx, &def.name, o, facts)?,
        FigureKind::Forest {
            table,
            multivariate,
        } => {
            let built = tables
                .iter()
                .find(|(n, _)| n == table)
                .and_then(|(_, t)| t.cox.as_ref())
                .ok_or_else(|| StudyError::analysis(&what, format!("no Cox table '{table}'")))?;
            let rows = if *multivariate {
                built.forest_multivariate.clone()
            } else {
                built.forest_univariate.clone()
            };
            if rows.is_empty() {
                return Err(StudyError::analysis(&what, "the model has no term to draw"));
            }
            let mut f = ForestFigure::hazard_ratios(rows);
            f.favours = Some(("Lower risk".into(), "Higher risk".into()));
            (
                AnyFigure::Forest(f),
                format!(
                    "Hazard ratios (95% CI) of the {} Cox model of {}.",
                    if *multivariate {
                        "multivariate"
                    } else {
                        "univariate"
                    },
                    built.endpoint_label.to_lowercase()
                ),
            )
        }
        FigureKind::SubgroupForest { analysis, request } => {
            subgroup_forest(ctx, &what, analysis, request, facts)?
        }
        FigureKind::WeightedKm {
            analysis,
            kind,
            request,
            ci,
            x_max,
        } => crate::weighted_figures::km(ctx, &what, analysis, kind, request, *ci, *x_max, facts)?,
        FigureKind::Love {
            analysis,
            kind,
            request,
        } => crate::weighted_figures::love(ctx, &what, analysis, kind, request, facts)?,
        FigureKind::Waterfall { line } => {
            let prs = line_responses(ctx, *line);
            let data = response::series::waterfall(&prs);
            if data.bars.is_empty() {
                return Err(StudyError::analysis(
                    &what,
                    format!("no patient has a measured response on line {line}"),
                ));
            }
            facts.insert(
                def.name.clone(),
                json!({"line": line, "bars": data.bars.len(), "excluded": data.excluded.len()}),
            );
            let n = data.bars.len();
            let left = data.excluded.len();
            let mut f = WaterfallFigure::from_response(&data);
            f.y_label = "Best change of target lesions from baseline (%)".into();
            (
                AnyFigure::Waterfall(f),
                format!(
                    "Best percentage change of the sum of target lesions from the baseline of \
                     line {line} (n = {n}), coloured by best overall response; dashed lines at \
                     \u{2212}30% and +20%.{}",
                    if left > 0 {
                        format!(
                            " {left} patient(s) without a completely measured follow-up scan are not shown."
                        )
                    } else {
                        String::new()
                    }
                ),
            )
        }
        FigureKind::LesionWaterfall { analysis, request } => {
            lesion_waterfall(ctx, &what, analysis, request, facts)?
        }
        FigureKind::Spider { line } => {
            let prs = line_responses(ctx, *line);
            let f = SpiderFigure::from_patients(&prs, DAYS_PER_MONTH, "Months from baseline")
                .map_err(report_err(&what))?;
            if f.lines.is_empty() {
                return Err(StudyError::analysis(
                    &what,
                    format!("no patient has a measured response on line {line}"),
                ));
            }
            // Hundreds of lines are an unreadable tangle: above
            // SPIDER_MAX_LINES a reproducible sample is drawn, and the
            // caption says so.
            let mut f = f;
            let n = f.lines.len();
            let shown = if n > SPIDER_MAX_LINES {
                let codes: Vec<&str> = f.lines.iter().map(|l| l.patient.as_str()).collect();
                let mut keep = sample(&codes, SPIDER_MAX_LINES, 1);
                keep.sort_unstable();
                f.lines = keep.into_iter().map(|i| f.lines[i].clone()).collect();
                format!(
                    "a reproducible sample of {SPIDER_MAX_LINES} of the {n} patients with a \
                     measured response (seed 1)"
                )
            } else {
                format!("n = {n}")
            };
            facts.insert(
                def.name.clone(),
                json!({"line": line, "patients": n, "drawn": f.lines.len()}),
            );
            (
                AnyFigure::Spider(f),
                format!(
                    "Change of the sum of target lesions from the baseline of line {line} over \
                     time ({shown}), coloured by best overall response."
                ),
            )
        }
        FigureKind::Swimmer { sample, seed, from } => swimmer(ctx, *sample, *seed, *from)?,
        FigureKind::Sankey { lines, min_cell } => sankey(ctx, *lines, *min_cell, facts)?,
    };
    let (style, title) = figure.parts();
    if let Some(w) = def.width {
        style.width = w;
    }
    if !def.title.is_empty() {
        title.clone_from(&def.title);
    }
    // Check now that it draws, so a failure names the figure.
    figure.figure().to_svg().map_err(report_err(&what))?;
    let caption = if def.caption.is_empty() {
        caption
    } else {
        def.caption.clone()
    };
    Ok(BuiltFigure { figure, caption })
}

fn x_label(spec: &EndpointSpec, line: Option<u32>) -> String {
    let from = match (spec.from, line) {
        (TimeZero::EachLine, Some(k)) => TimeZero::Line(k).phrase(),
        (f, _) => f.phrase(),
    };
    format!("{} {from}", capitalise(spec.units.code()))
}

fn km(
    ctx: &Context<'_>,
    def: &FigureDef,
    o: &KmOptions,
    facts: &mut Facts,
) -> Result<(AnyFigure, String), StudyError> {
    if o.by.as_deref() == Some(crate::spec::BY_LINE) {
        return km_by_line(ctx, def, o);
    }
    let what = format!("figure '{}'", def.name);
    let ep = ctx.endpoint_def(&o.endpoint)?;
    let data = ctx.endpoint(ep, o.line)?;
    let grouping = match o.by.as_deref() {
        Some("") => None,
        Some(b) => Some(ctx.grouping(Some(b))?),
        None if ctx.study.groups.is_some() => Some(ctx.grouping(None)?),
        None => None,
    };
    let rows: Vec<usize> = data
        .rows()
        .into_iter()
        .filter(|&i| grouping.as_ref().is_none_or(|g| g.codes[i].is_some()))
        .collect();
    if rows.is_empty() {
        return Err(StudyError::analysis(&what, "no patient has this endpoint"));
    }
    let time: Vec<f64> = rows.iter().filter_map(|&i| data.time[i]).collect();
    let event: Vec<bool> = rows.iter().map(|&i| data.event[i]).collect();
    let (labels, codes): (Vec<String>, Vec<usize>) = match &grouping {
        Some(g) => (
            legend_labels(&g.label, &g.levels),
            rows.iter().filter_map(|&i| g.codes[i]).collect(),
        ),
        None => (vec!["All patients".into()], vec![0; rows.len()]),
    };
    let data = SurvivalData {
        time: time.clone(),
        event,
        group: codes.iter().map(|&c| c as u32).collect(),
        labels: labels.clone(),
        weights: None,
    };
    let (summary, curves) = summarise(&data, &SurvivalOptions::default())
        .map_err(|e| StudyError::analysis(&what, e.reason()))?;
    let series: Vec<KmSeries> = labels
        .iter()
        .zip(&curves)
        .filter(|(_, c)| !c.is_empty())
        .map(|(l, c)| KmSeries::from_km(l.clone(), c))
        .collect();
    let groups_present = series.len();
    let mut f = KmFigure::survival(series, x_label(&ep.spec, o.line));
    f.y_label = y_label(ep.spec.endpoint, &ep.label);
    f.ticks = o.ticks.clone().or_else(|| {
        let hi = o
            .x_max
            .unwrap_or_else(|| time.iter().copied().fold(0.0, f64::max));
        (ep.spec.units == netra_clinical::endpoints::Units::Months).then(|| month_ticks(hi, 8))
    });
    f.x_max = o.x_max;
    f.show_ci = o.ci;
    f.show_median = o.median;
    f.show_censor = o.censor_marks;
    f.at_risk_table = o.at_risk;
    let mut test_text = String::new();
    if o.logrank
        && groups_present >= 2
        && let Some(t) = &summary.logrank
    {
        f.p_value_text = Some(format!("Log-rank {}", p_equals(Some(t.p))));
        test_text = format!(
            " Log-rank test: \u{3c7}\u{b2} = {:.2} on {} df, {}.",
            t.chisq,
            t.df,
            p_equals(Some(t.p))
        );
        facts.insert(
            def.name.clone(),
            json!({"logrank": {"chisq": t.chisq, "df": t.df, "p": t.p}}),
        );
    }
    let caption = format!(
        "Kaplan\u{2013}Meier estimate of {} {}{}; numbers at risk below the axis; tick marks \
         show censored patients.{test_text}",
        ep.label.to_lowercase(),
        match (ep.spec.from, o.line) {
            (TimeZero::EachLine, Some(k)) => TimeZero::Line(k).phrase(),
            (f, _) => f.phrase(),
        },
        grouping
            .as_ref()
            .map_or(String::new(), |g| format!(" by {}", g.label.to_lowercase())),
    );
    Ok((AnyFigure::Km(f), caption))
}

/// Legend labels: a yes/no grouping reads "Liver metastases: yes".
fn legend_labels(variable: &str, levels: &[String]) -> Vec<String> {
    let yes_no = levels.len() == 2
        && levels
            .iter()
            .all(|l| l.eq_ignore_ascii_case("yes") || l.eq_ignore_ascii_case("no"));
    if yes_no {
        levels
            .iter()
            .map(|l| format!("{variable}: {}", l.to_lowercase()))
            .collect()
    } else {
        levels.to_vec()
    }
}

/// What the y axis of a Kaplan–Meier curve of this endpoint measures.
fn y_label(e: Endpoint, label: &str) -> String {
    match e {
        Endpoint::Os | Endpoint::Pfs | Endpoint::Efs => label.to_string(),
        Endpoint::Ttp => "Free from progression".into(),
        Endpoint::Ttf => "Free from treatment failure".into(),
        Endpoint::Ttnt => "Free from next treatment".into(),
        Endpoint::Dor => "Remaining in response".into(),
        Endpoint::Pfs2 => "Free from second progression".into(),
    }
}

/// The response engine's view of line `k` of each patient who has one: the
/// line's baseline scan (the one its evaluation used) and the scans after
/// the line's start up to the next line's start, or linked to the line's
/// treatments — the period `netra_clinical::evaluation::evaluate_segment`
/// judges — with the line rules' criteria. Patients without lesions at that
/// baseline are left out.
pub fn line_responses(ctx: &Context<'_>, k: u32) -> Vec<PatientResponse> {
    let lines = ctx.lines(Default::default());
    let rules = &ctx.settings.line_rules.evaluation;
    let mut out = Vec::new();
    for (course, pl) in ctx.courses.iter().zip(lines.iter()) {
        let Some(line) = pl.line(k) else { continue };
        if let Some(pr) = one_line_response(course, pl, line, rules) {
            out.push(pr);
        }
    }
    out
}

fn one_line_response(
    course: &PatientCourse,
    pl: &PatientLines,
    line: &Line,
    rules: &netra_clinical::evaluation::EvaluationRules,
) -> Option<PatientResponse> {
    let base_day = line.evaluation.baseline?;
    let scans = Scans::new(course, rules.imputation);
    let baseline = scans.days.iter().find(|s| s.day.day == base_day.day)?;
    if baseline.assessments.iter().all(|a| a.lesions.is_empty()) {
        return None;
    }
    let start = line.start.day;
    let until = pl.line(line.number + 1).map(|l| l.start.day);
    let linked = |s: &netra_clinical::evaluation::ScanDay<'_>| {
        s.assessments.iter().any(|a| {
            a.treatment
                .as_deref()
                .is_some_and(|t| line.treatments.iter().any(|x| x == t))
        })
    };
    let follow: Vec<&netra_clinical::evaluation::ScanDay<'_>> = scans
        .days
        .iter()
        .filter(|s| s.day.day > start && (until.is_none_or(|u| s.day.day <= u) || linked(s)))
        .filter(|s| s.assessments.iter().any(|a| !a.lesions.is_empty()))
        .collect();
    if follow.is_empty() {
        return None;
    }
    let input = patient_lesions(&course.patient.code, baseline, &follow).ok()?;
    response::assess(&input, &rules.criteria, &rules.best).ok()
}

/// Most patients a spider plot draws; above it, a sample.
pub const SPIDER_MAX_LINES: usize = 60;

/// Deterministic sample: the `n` patients whose SHA-256 of `seed:code` is
/// smallest (independent of registry order and of any RNG library).
fn sample(codes: &[&str], n: usize, seed: u64) -> Vec<usize> {
    let mut keyed: Vec<(String, usize)> = codes
        .iter()
        .enumerate()
        .map(|(i, c)| (sha256_hex(format!("{seed}:{c}").as_bytes()), i))
        .collect();
    keyed.sort();
    let mut idx: Vec<usize> = keyed.into_iter().take(n).map(|(_, i)| i).collect();
    idx.sort_unstable();
    idx
}

/// The palette's name of a treatment class.
pub fn class_name(c: TreatmentClass) -> String {
    match c {
        TreatmentClass::Local => "Local".into(),
        other => capitalise(&other.code().replace('_', " ")),
    }
}

fn swimmer(
    ctx: &Context<'_>,
    sample_size: Option<usize>,
    seed: u64,
    from: TimeZero,
) -> Result<(AnyFigure, String), StudyError> {
    let os = EndpointSpec::new(Endpoint::Os, from);
    let rows =
        netra_clinical::endpoints::derive_cohort(&ctx.courses, &os, &ctx.settings.line_rules);
    let lines = ctx.lines(Default::default());
    let index: std::collections::HashMap<&str, usize> = ctx
        .frame
        .patients
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let with_row: Vec<(usize, &netra_clinical::endpoints::EndpointRow)> = rows
        .rows
        .iter()
        .filter_map(|r| index.get(r.patient.as_str()).map(|&i| (i, r)))
        .filter(|(i, _)| !lines[*i].lines.is_empty())
        .collect();
    if with_row.is_empty() {
        return Err(StudyError::analysis(
            "swimmer",
            "no patient with a line of therapy and a time zero",
        ));
    }
    let n = sample_size.unwrap_or(20).min(40).min(with_row.len());
    let codes: Vec<&str> = with_row.iter().map(|(_, r)| r.patient.as_str()).collect();
    let chosen = sample(&codes, n, seed);
    let mut lanes = Vec::new();
    for &j in &chosen {
        let (i, row) = with_row[j];
        let t0 = row.start.day.0;
        let at = |d: i32| (f64::from(d - t0) / DAYS_PER_MONTH).max(0.0);
        let end = row.time;
        let course = &ctx.courses[i];
        let pl = &lines[i];
        let mut segments = Vec::new();
        let mut events = Vec::new();
        for l in &pl.lines {
            let s = at(l.start.day.0);
            if s > end {
                continue;
            }
            let e = l.end.map_or(end, |d| at(d.day.0)).clamp(s, end);
            segments.push(SwimmerSegment {
                start: s,
                end: e,
                class: class_name(l.class),
                label: Some(l.label()),
            });
            let ev = &l.evaluation;
            if let Some(best) = ev.best {
                let when = match best {
                    Category::CR | Category::PR => ev.first_response.map(|d| d.day.0),
                    Category::MR | Category::SD => ev
                        .scans
                        .iter()
                        .find(|s| s.response == best)
                        .map(|s| s.day.day.0),
                    _ => None,
                };
                if let Some(d) = when
                    && at(d) <= end
                {
                    events.push(SwimmerEvent {
                        time: at(d),
                        kind: EventKind::Response(ResponseClass::from(best)),
                    });
                }
            }
            if let Some(t) = &l.ttp
                && t.event
                && at(t.end.day.0) <= end
            {
                events.push(SwimmerEvent {
                    time: at(t.end.day.0),
                    kind: EventKind::Progression,
                });
            }
        }
        for item in &pl.local {
            let s = at(item.start.day.0);
            if s > end {
                continue;
            }
            let e = item.end.map_or(s, |d| at(d.day.0)).clamp(s, end);
            segments.push(SwimmerSegment {
                start: s,
                end: e,
                class: "Local".into(),
                label: Some(item.kind.replace('_', " ")),
            });
        }
        segments.sort_by(|a, b| a.start.total_cmp(&b.start));
        events.sort_by(|a, b| a.time.total_cmp(&b.time));
        let end_kind = if row.event {
            LaneEnd::Death
        } else if course.patient.vital_status == VitalStatus::Alive {
            LaneEnd::Alive
        } else {
            LaneEnd::Censored
        };
        lanes.push(SwimmerLane {
            patient: course.patient.code.clone(),
            end,
            end_kind,
            segments,
            events,
        });
    }
    // The caption names the lane ends in the legend's words, and only those
    // the figure draws (the legend lists only what is present).
    let has = |k: LaneEnd| lanes.iter().any(|l| l.end_kind == k);
    let mut ends: Vec<&str> = Vec::new();
    if has(LaneEnd::Death) {
        ends.push("death (\u{d7})");
    }
    if has(LaneEnd::Alive) {
        ends.push("alive at last follow-up (\u{2192})");
    }
    let stopped = if has(LaneEnd::Censored) {
        " A lane ending without a marker: follow-up stopped (lost to follow-up or data cut-off)."
    } else {
        ""
    };
    let f = SwimmerFigure::new(lanes, format!("Months {}", from.phrase()));
    let f = AnyFigure::Swimmer(f);
    let caption = format!(
        "Treatment course of {n} patients (a reproducible sample of the {} with a line of \
         therapy, seed {seed}): lines of systemic therapy and local treatments as bars coloured \
         by class, best responses and progressions as markers{}.{stopped}",
        with_row.len(),
        if ends.is_empty() {
            String::new()
        } else {
            format!(", and at the lane's end {}", ends.join(" or "))
        }
    );
    Ok((f, caption))
}

fn end_label(end: PathwayEnd) -> &'static str {
    match end {
        PathwayEnd::Death => "Death",
        PathwayEnd::LostToFollowUp => "Lost to follow-up",
        PathwayEnd::NoFurtherTreatment => "No further line",
    }
}

fn sankey(
    ctx: &Context<'_>,
    shown: u32,
    min_cell: u64,
    facts: &mut Facts,
) -> Result<(AnyFigure, String), StudyError> {
    let lines = ctx.lines(Default::default());
    let options = SequenceOptions {
        min_cell,
        ..SequenceOptions::default()
    };
    let analysis = sequences::analyse(&lines, &options)
        .map_err(|e| StudyError::analysis("sankey", e.to_string()))?;
    // Node ids are "L<k> <class code>" and "end: <code>"; an end follows the
    // line it ends (one column to the right of its source).
    let parse = |id: &str| -> Option<(u32, String)> {
        let rest = id.strip_prefix('L')?;
        let (k, class) = rest.split_once(' ')?;
        let k: u32 = k.parse().ok()?;
        let label = TreatmentClass::from_code(class).map_or_else(|_| class.to_string(), class_name);
        Some((k, label))
    };
    let end_of = |id: &str| -> Option<&'static str> {
        let code = id.strip_prefix("end: ")?;
        [
            PathwayEnd::Death,
            PathwayEnd::LostToFollowUp,
            PathwayEnd::NoFurtherTreatment,
        ]
        .into_iter()
        .find(|e| e.code() == code)
        .map(end_label)
    };
    let mut links: Vec<(usize, String, String, f64)> = Vec::new();
    for l in &analysis.sankey.links {
        let Some((k, from)) = parse(&l.source) else {
            continue;
        };
        if k > shown {
            continue;
        }
        let to = if let Some(e) = end_of(&l.target) {
            e.to_string()
        } else if let Some((k2, t)) = parse(&l.target) {
            if k2 > shown {
                "Further lines".to_string()
            } else {
                t
            }
        } else {
            continue;
        };
        links.push(((k - 1) as usize, from, to, l.n as f64));
    }
    let headers: Vec<String> = (1..=shown + 1)
        .map(|k| {
            if k <= shown {
                format!("Line {k}")
            } else {
                "After".to_string()
            }
        })
        .collect();
    let f =
        SankeyFigure::from_links(headers, &links).map_err(|e| StudyError::report("sankey", e))?;
    let treated = analysis.n_treated;
    // Patients drawn in each line's column (its outgoing bands) against the
    // patients reaching the line: the difference is in suppressed
    // transitions, and the caption says so (a column that adds up to fewer
    // patients than the text around it was the unexplained "640 vs 670").
    let mut drawn = vec![0u64; shown as usize];
    for (col, _, _, n) in &links {
        if let Some(d) = drawn.get_mut(*col) {
            *d += *n as u64;
        }
    }
    let gaps: Vec<String> = (1..=shown)
        .filter_map(|k| {
            let reach = analysis.reach.iter().find(|r| r.line == k)?.n?;
            let d = drawn[(k - 1) as usize];
            (reach > d).then(|| format!("line {k}: {d} of the {reach} patients reaching it"))
        })
        .collect();
    facts.insert(
        "sankey".into(),
        json!({
            "treated": treated,
            "reach": analysis.reach.iter().map(|r| json!({"line": r.line, "n": r.n})).collect::<Vec<_>>(),
            "drawn": drawn,
            "suppressed_links": analysis.sankey.suppressed_links,
        }),
    );
    let caption = format!(
        "Sequences of systemic therapy by class over the first {shown} lines{}: each band is the \
         number of patients moving from one line to the next or ending (death, loss to \
         follow-up, no further line).{}",
        treated.map_or(String::new(), |t| format!(" ({t} treated patients)")),
        if analysis.sankey.suppressed_links > 0 {
            format!(
                " {} transition(s) of fewer than {min_cell} patients are not drawn, so a \
                 column's nodes add up to the patients drawn{}.",
                analysis.sankey.suppressed_links,
                if gaps.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", gaps.join("; "))
                }
            )
        } else {
            String::new()
        }
    );
    Ok((AnyFigure::Sankey(f), caption))
}

/// The subgroup forest plot of a `[[analysis]]` of `subgroups`: the
/// analysis run again from its request (the same numbers as
/// `analyses/ID.json`), drawn by `netra_report::figure::subgroup`.
fn subgroup_forest(
    ctx: &Context<'_>,
    what: &str,
    analysis: &str,
    request: &serde_json::Value,
    facts: &mut Facts,
) -> Result<(AnyFigure, String), StudyError> {
    use netra_analysis::analyses::subgroups::{SubgroupRequest, run};
    use netra_report::figure::subgroup::{InteractionTest, figure};
    let req: SubgroupRequest = serde_json::from_value(request.clone())
        .map_err(|e| StudyError::analysis(what, format!("analysis '{analysis}': {e}")))?;
    let out = run(&ctx.cohort, &req)
        .map_err(|e| StudyError::analysis(what, format!("analysis '{analysis}': {e}")))?;
    let f = figure(&out, InteractionTest::LikelihoodRatio);
    facts.insert(
        format!("{analysis}_forest"),
        serde_json::json!({
            "overall_hr": out.overall.hr,
            "interaction_lr_p": out.subgroups.iter().map(|v| {
                v.interaction.as_ref().and_then(|i| i.lr.as_ref().map(|t| t.p))
            }).collect::<Vec<_>>(),
        }),
    );
    let caption = format!(
        "Hazard ratios ({}% CI) of {} ({}) against {} for {}, in all patients and within \
         subgroups (events/patients in each row; Cox models, {} ties). p for interaction: \
         likelihood-ratio test of the model with the comparison-by-subgroup interaction \
         against the model without it.",
        (out.conf_level * 100.0).round(),
        out.versus,
        out.arm_label.to_lowercase(),
        out.reference,
        out.title.to_lowercase(),
        if out.ties == "breslow" {
            "Breslow"
        } else {
            "Efron"
        },
    );
    Ok((AnyFigure::Forest(f), caption))
}

/// The per-lesion waterfall of a `lesions` analysis: one bar per followed
/// lesion (its best change from its baseline), coloured by site.
fn lesion_waterfall(
    ctx: &Context<'_>,
    what: &str,
    analysis: &str,
    request: &serde_json::Value,
    facts: &mut Facts,
) -> Result<(AnyFigure, String), StudyError> {
    use netra_analysis::analyses::lesions::{LesionsRequest, run};
    use netra_report::figure::waterfall::{BarGroups, WaterfallBar};
    use netra_report::palette::ResponseClass;
    let req: LesionsRequest = serde_json::from_value(request.clone())
        .map_err(|e| StudyError::analysis(what, format!("analysis '{analysis}': {e}")))?;
    let out = run(&ctx.cohort, &req)
        .map_err(|e| StudyError::analysis(what, format!("analysis '{analysis}': {e}")))?;
    let labels: Vec<String> = out.sites.iter().map(|s| s.label.clone()).collect();
    let mut bars = Vec::new();
    let mut of_bar = Vec::new();
    for l in &out.lesions {
        bars.push(WaterfallBar {
            patient: format!("{} {}", l.patient, l.lesion),
            change_pct: l.best_change.unwrap_or(f64::NAN),
            response: ResponseClass::NE,
        });
        of_bar.push(out.sites.iter().position(|s| s.site == l.site).unwrap_or(0));
    }
    if bars.iter().all(|b| !b.change_pct.is_finite()) {
        return Err(StudyError::analysis(
            what,
            format!("analysis '{analysis}': no lesion has a measured follow-up"),
        ));
    }
    let drawn = bars.iter().filter(|b| b.change_pct.is_finite()).count();
    facts.insert(
        format!("{analysis}_waterfall"),
        serde_json::json!({
            "lesions": drawn,
            "sites": out.sites.iter().map(|s| serde_json::json!({
                "site": s.site, "followed": s.followed, "median_best_change": s.median_best_change,
            })).collect::<Vec<_>>(),
        }),
    );
    let mut f = WaterfallFigure::new(bars);
    f.groups = Some(BarGroups { labels, of_bar });
    f.unit = "lesion".into();
    f.y_label = "Best change of lesion size from baseline (%)".into();
    f.thresholds = vec![
        (req.grow, format!("+{}%", req.grow)),
        (req.shrink, format!("\u{2212}{}%", -req.shrink)),
    ];
    let caption = format!(
        "Best percentage change of each followed lesion ({drawn} lesions of {} patients) from its \
         first measurement, longest diameter (lymph nodes: short axis), coloured by site; \
         dashed lines at {}% and +{}%.",
        out.patients, req.shrink, req.grow
    );
    Ok((AnyFigure::Waterfall(f), caption))
}

/// Kaplan–Meier curves of a per-line endpoint, one per line (`by =
/// "line"`): lines 1 to `line`, or every line with a patient up to
/// `MAX_LINE_CURVES`. No test: a patient treated in several lines is in
/// several curves.
fn km_by_line(
    ctx: &Context<'_>,
    def: &FigureDef,
    o: &KmOptions,
) -> Result<(AnyFigure, String), StudyError> {
    use crate::spec::MAX_LINE_CURVES;
    let what = format!("figure '{}'", def.name);
    let ep = ctx.endpoint_def(&o.endpoint)?;
    let last = o.line.unwrap_or(MAX_LINE_CURVES);
    let mut series = Vec::new();
    let mut all_times: Vec<f64> = Vec::new();
    let mut counts = Vec::new();
    for k in 1..=last {
        let data = ctx.endpoint(ep, Some(k))?;
        let rows = data.rows();
        if rows.is_empty() {
            if o.line.is_none() {
                break;
            }
            continue;
        }
        let sd = SurvivalData {
            time: rows.iter().filter_map(|&i| data.time[i]).collect(),
            event: rows.iter().map(|&i| data.event[i]).collect(),
            group: vec![0; rows.len()],
            labels: vec![format!("Line {k}")],
            weights: None,
        };
        let (_, curves) = summarise(&sd, &SurvivalOptions::default())
            .map_err(|e| StudyError::analysis(&what, e.reason()))?;
        all_times.extend(&sd.time);
        counts.push(format!("line {k}: {}", rows.len()));
        if let Some(c) = curves.first().filter(|c| !c.is_empty()) {
            series.push(KmSeries::from_km(format!("Line {k}"), c));
        }
    }
    if series.is_empty() {
        return Err(StudyError::analysis(
            &what,
            "no patient has this endpoint on any line",
        ));
    }
    let mut f = KmFigure::survival(series, x_label(&ep.spec, None));
    f.y_label = y_label(ep.spec.endpoint, &ep.label);
    f.ticks = o.ticks.clone().or_else(|| {
        let hi = o
            .x_max
            .unwrap_or_else(|| all_times.iter().copied().fold(0.0, f64::max));
        (ep.spec.units == netra_clinical::endpoints::Units::Months).then(|| month_ticks(hi, 8))
    });
    f.x_max = o.x_max;
    f.show_ci = o.ci;
    f.show_median = o.median;
    f.show_censor = o.censor_marks;
    f.at_risk_table = o.at_risk;
    let caption = format!(
        "Kaplan\u{2013}Meier estimate of {} from the start of each line, one curve per line \
         (patients: {}); numbers at risk below the axis; tick marks show censored patients. \
         No test compares the curves: a patient treated in several lines is in several curves.",
        ep.label.to_lowercase(),
        counts.join(", "),
    );
    Ok((AnyFigure::Km(f), caption))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_is_reproducible_and_independent_of_order() {
        let a = ["p1", "p2", "p3", "p4", "p5"];
        let s1 = sample(&a, 3, 7);
        assert_eq!(s1.len(), 3);
        assert_eq!(sample(&a, 3, 7), s1);
        let picked: Vec<&str> = s1.iter().map(|&i| a[i]).collect();
        let b = ["p5", "p4", "p3", "p2", "p1"];
        let mut picked_b: Vec<&str> = sample(&b, 3, 7).iter().map(|&i| b[i]).collect();
        picked_b.sort_unstable();
        assert_eq!(picked, picked_b);
        assert_eq!(sample(&a, 9, 7).len(), 5);
    }

    #[test]
    fn yes_no_groups_name_their_variable() {
        let l = legend_labels("Liver metastases", &["No".into(), "Yes".into()]);
        assert_eq!(l, ["Liver metastases: no", "Liver metastases: yes"]);
        let l = legend_labels("Grade", &["G1".into(), "G2".into()]);
        assert_eq!(l, ["G1", "G2"]);
        assert_eq!(
            y_label(Endpoint::Ttp, "Time to progression"),
            "Free from progression"
        );
        assert_eq!(
            y_label(Endpoint::Os, "Overall survival"),
            "Overall survival"
        );
    }

    #[test]
    fn class_names_match_the_palette() {
        assert_eq!(
            class_name(TreatmentClass::SomatostatinAnalogue),
            "Somatostatin analogue"
        );
        assert_eq!(class_name(TreatmentClass::Local), "Local");
        assert_eq!(class_name(TreatmentClass::Radionuclide), "Radionuclide");
    }
}
