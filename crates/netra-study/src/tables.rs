//! The `[[table]]`s of a study, built with `netra_report`'s table builders
//! from the analysis set.

use std::cell::Cell as Flag;

use netra_analysis::analyses::survival::{GroupSurvival, SurvivalData, SurvivalOptions, summarise};
use netra_clinical::endpoints::{Endpoint, TimeZero, Units};
use netra_clinical::evaluation::category_of;
use netra_clinical::response::Category;
use netra_clinical::sequences::{self, LineEndpoint, SequenceOptions};
use netra_report::format::{MISSING, NOT_REACHED, PStyle, fixed, with_ci};
use netra_report::palette::ResponseClass;
use netra_report::table::baseline::{BaselineTable, Summary};
use netra_report::table::classical::ClassicalInference;
use netra_report::table::inference::{
    CategoricalTest, ContinuousTest, Inference, ProportionCi, TestResult,
};
use netra_report::table::response::ResponseTable;
use netra_report::table::survival::SurvivalTable;
use netra_report::table::{Row, Table};
use serde_json::{Value, json};

use crate::StudyError;
use crate::context::{Context, Grouping};
use crate::facts::Facts;
use crate::spec::{
    BaselineRow, EndpointDef, ResponseSource, RowSummary, RowTest, TableDef, TableKind,
};
use netra_analysis::inference::CiMethod;
use netra_analysis::variables::Column;

/// A built table and the Cox fits behind it (for forest plots).
pub struct BuiltTable {
    /// The table.
    pub table: Table,
    /// For a Cox table: the rows a forest plot draws.
    pub cox: Option<crate::cox::CoxResult>,
}

/// `ClassicalInference` that can be switched off for one row (`test =
/// "none"`) and that keeps the last result (the row's p for the facts).
struct RowInference {
    inner: ClassicalInference,
    off: Flag<bool>,
    last: std::cell::RefCell<Option<TestResult>>,
}

impl Inference for RowInference {
    fn continuous(&self, groups: &[Vec<f64>], test: ContinuousTest) -> Option<TestResult> {
        if self.off.get() {
            return None;
        }
        let r = self.inner.continuous(groups, test);
        self.last.replace(r.clone());
        r
    }
    fn categorical(&self, table: &[Vec<u64>], test: CategoricalTest) -> Option<TestResult> {
        if self.off.get() {
            return None;
        }
        let r = self.inner.categorical(table, test);
        self.last.replace(r.clone());
        r
    }
    fn proportion_ci(
        &self,
        x: u64,
        n: u64,
        level: f64,
        method: ProportionCi,
    ) -> Option<(f64, f64)> {
        self.inner.proportion_ci(x, n, level, method)
    }
}

fn report_err(what: &str) -> impl Fn(netra_report::ReportError) -> StudyError + '_ {
    move |e| StudyError::report(what, e)
}

/// "3-year OS, %" for a landmark in the endpoint's unit.
pub fn landmark_header(t: f64, units: Units, abbreviation: &str) -> String {
    let months = t * units.days() / netra_clinical::endpoints::DAYS_PER_MONTH;
    let years = t * units.days() / netra_clinical::endpoints::DAYS_PER_YEAR;
    let whole = |x: f64| (x - x.round()).abs() < 1e-9;
    let span = if whole(years) && years >= 1.0 {
        format!("{}-year", years.round() as i64)
    } else if whole(months) {
        format!("{}-month", months.round() as i64)
    } else {
        format!(
            "{}-{}",
            fixed(Some(t), 1),
            units.code().trim_end_matches('s')
        )
    };
    format!("{span} {abbreviation}, %")
}

/// The abbreviation of an endpoint ("OS", "TTP").
pub fn abbreviation(e: Endpoint) -> &'static str {
    e.paramcd()
}

/// "Median OS, months (95% CI)".
fn median_header(def: &EndpointDef) -> String {
    format!(
        "Median {}, {} (95% CI)",
        abbreviation(def.spec.endpoint),
        def.spec.units.code()
    )
}

/// Builds one table.
pub fn build(
    ctx: &Context<'_>,
    def: &TableDef,
    facts: &mut Facts,
) -> Result<BuiltTable, StudyError> {
    let what = format!("table '{}'", def.name);
    let mut built = match &def.kind {
        TableKind::Baseline {
            by,
            overall,
            rows,
            known,
        } => BuiltTable {
            table: baseline(ctx, def, by.as_deref(), *overall, *known, rows, facts)?,
            cox: None,
        },
        TableKind::Survival {
            endpoint,
            landmarks,
            characteristics,
            all,
            follow_up,
            spss_median,
        } => BuiltTable {
            table: survival(
                ctx,
                def,
                endpoint,
                landmarks.as_deref(),
                characteristics,
                *all,
                Extras {
                    follow_up: *follow_up,
                    spss_median: *spss_median,
                },
                facts,
            )?,
            cox: None,
        },
        TableKind::Km {
            endpoint,
            by,
            landmarks,
            follow_up,
            spss_median,
        } => BuiltTable {
            table: km_table(
                ctx,
                def,
                endpoint,
                by.as_deref(),
                landmarks.as_deref(),
                Extras {
                    follow_up: *follow_up,
                    spss_median: *spss_median,
                },
                facts,
            )?,
            cox: None,
        },
        TableKind::Cuminc {
            endpoint,
            by,
            landmarks,
        } => BuiltTable {
            table: crate::cuminc::table(
                ctx,
                def,
                endpoint,
                by.as_deref(),
                landmarks.as_deref(),
                facts,
            )?,
            cox: None,
        },
        TableKind::Response {
            response,
            characteristics,
            all,
            ci_method,
        } => BuiltTable {
            table: response_table(ctx, def, response, characteristics, *all, *ci_method, facts)?,
            cox: None,
        },
        TableKind::Lines {
            endpoint,
            lines,
            landmark,
            min_cell,
        } => BuiltTable {
            table: lines_table(ctx, def, endpoint, lines, *landmark, *min_cell, facts)?,
            cox: None,
        },
        TableKind::Patterns => BuiltTable {
            table: crate::paper_tables::patterns(ctx, def)?,
            cox: None,
        },
        TableKind::AdverseEvents { by } => BuiltTable {
            table: crate::paper_tables::adverse_events(ctx, def, by.as_deref())?,
            cox: None,
        },
        TableKind::Cox {
            endpoint,
            univariate,
            multivariate,
            reference,
        } => {
            let result = crate::cox::fit(
                ctx,
                def,
                endpoint,
                univariate,
                multivariate,
                reference,
                facts,
            )?;
            BuiltTable {
                table: result.table.clone(),
                cox: Some(result),
            }
        }
    };
    if let Some(f) = &def.footnote {
        built.table.footnotes.push(f.clone());
    }
    built.table.columns().map_err(report_err(&what))?;
    Ok(built)
}

fn categorical_test(t: Option<RowTest>) -> CategoricalTest {
    match t {
        Some(RowTest::ChiSquare) => CategoricalTest::ChiSquare { yates: true },
        Some(RowTest::ChiSquareUncorrected) => CategoricalTest::ChiSquare { yates: false },
        Some(RowTest::Fisher) => CategoricalTest::Fisher,
        _ => CategoricalTest::Auto,
    }
}

fn continuous_test(t: Option<RowTest>) -> ContinuousTest {
    match t {
        Some(RowTest::Welch) => ContinuousTest::Welch,
        Some(RowTest::MannWhitney) => ContinuousTest::MannWhitney,
        _ => ContinuousTest::Student,
    }
}

/// The printed name of an interval in a footnote ("Clopper–Pearson").
fn ci_label(m: CiMethod) -> String {
    m.label().replace('-', "\u{2013}")
}

/// Prints a number the way a level label should read ("2", "0.5").
fn number_label(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn baseline(
    ctx: &Context<'_>,
    def: &TableDef,
    by: Option<&str>,
    overall: bool,
    known: bool,
    rows: &[BaselineRow],
    facts: &mut Facts,
) -> Result<Table, StudyError> {
    let what = format!("table '{}'", def.name);
    let one_column = by == Some("");
    let g = if one_column {
        Grouping {
            label: String::new(),
            levels: vec!["All patients".into()],
            codes: vec![Some(0); ctx.cohort.len()],
        }
    } else {
        ctx.grouping(by)?
    };
    // One column is all patients: an "All" column would repeat it.
    let overall = overall && !one_column;
    let keep: Vec<usize> = (0..g.codes.len())
        .filter(|&i| g.codes[i].is_some())
        .collect();
    let codes: Vec<usize> = keep.iter().filter_map(|&i| g.codes[i]).collect();
    let labels: Vec<&str> = g.levels.iter().map(String::as_str).collect();
    let inference = RowInference {
        inner: ClassicalInference,
        off: Flag::new(false),
        last: std::cell::RefCell::new(None),
    };
    let mut row_facts = serde_json::Map::new();
    let mut b = BaselineTable::new(def.title.clone(), &labels, &codes, overall, &inference)
        .map_err(report_err(&what))?;
    b.known = known;
    for row in rows {
        let var = ctx.variable(&row.variable)?;
        let label = row.label.clone().unwrap_or_else(|| var.label.clone());
        inference.off.set(row.test == Some(RowTest::None));
        inference.last.replace(None);
        match &var.column {
            Column::Cat { levels, codes } => {
                let names: Vec<&str> = levels.iter().map(|l| l.label.as_str()).collect();
                let values: Vec<Option<&str>> =
                    keep.iter().map(|&i| codes[i].map(|c| names[c])).collect();
                b.categorical(&label, &names, &values, categorical_test(row.test))
                    .map_err(report_err(&what))?;
            }
            Column::Num(v) if row.summary == Some(RowSummary::Categories) => {
                let mut distinct: Vec<f64> = keep
                    .iter()
                    .filter_map(|&i| v[i])
                    .filter(|x| x.is_finite())
                    .collect();
                distinct.sort_by(f64::total_cmp);
                distinct.dedup();
                let names: Vec<String> = distinct.iter().map(|x| number_label(*x)).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let values: Vec<Option<&str>> = keep
                    .iter()
                    .map(|&i| {
                        v[i].filter(|x| x.is_finite())
                            .and_then(|x| distinct.iter().position(|d| *d == x).map(|k| refs[k]))
                    })
                    .collect();
                b.categorical(&label, &refs, &values, categorical_test(row.test))
                    .map_err(report_err(&what))?;
            }
            Column::Num(v) => {
                let values: Vec<Option<f64>> = keep.iter().map(|&i| v[i]).collect();
                let summary = match row.summary {
                    Some(RowSummary::MedianRange) => Summary::MedianRange,
                    Some(RowSummary::Both) => Summary::Both,
                    _ => Summary::MeanSd,
                };
                b.continuous(
                    &label,
                    &values,
                    summary,
                    row.decimals,
                    continuous_test(row.test),
                )
                .map_err(report_err(&what))?;
            }
        }
        if let Some(r) = inference.last.take() {
            row_facts.insert(row.variable.clone(), json!({"p": r.p, "test": r.test}));
        }
    }
    facts.insert(
        def.name.clone(),
        json!({ "rows": Value::Object(row_facts) }),
    );
    let left_out = g.codes.len() - keep.len();
    if left_out > 0 {
        b.footnote(format!(
            "{left_out} patient(s) outside the compared groups are not shown."
        ));
    }
    b.footnote(if one_column {
        "Mean \u{b1} SD, median (range) or n (%) of patients with a recorded value."
    } else {
        "Mean \u{b1} SD, median (range) or n (%) of patients with a recorded value; p from the \
         test named in the last column (\u{3c7}\u{b2} with Yates' correction on 2 \u{d7} 2 tables; \
         one-way ANOVA, Welch's ANOVA or Kruskal\u{2013}Wallis for three or more groups)."
    });
    Ok(b.build())
}

/// Time and event of the patients with a row, and their indices.
fn complete(data: &crate::context::EndpointData) -> (Vec<usize>, Vec<f64>, Vec<bool>) {
    let rows = data.rows();
    let time = rows.iter().filter_map(|&i| data.time[i]).collect();
    let event = rows.iter().map(|&i| data.event[i]).collect();
    (rows, time, event)
}

fn landmark_list(ctx: &Context<'_>, own: Option<&[f64]>) -> Vec<f64> {
    own.map_or_else(|| ctx.study.landmarks.clone(), <[f64]>::to_vec)
}

fn without_row_note(data: &crate::context::EndpointData, def: &EndpointDef) -> Option<String> {
    (data.without_row > 0).then(|| {
        format!(
            "{} patient(s) without a time zero for {} ({}) are not included.",
            data.without_row,
            def.label.to_lowercase(),
            def.spec.from.phrase()
        )
    })
}

/// The optional parts of a survival table.
#[derive(Debug, Clone, Copy)]
struct Extras {
    /// Median follow-up footnote.
    follow_up: bool,
    /// SPSS median CI column.
    spss_median: bool,
}

impl Extras {
    /// Adds the SPSS column (before any row).
    fn columns(self, t: &mut SurvivalTable, what: &str) -> Result<(), StudyError> {
        if self.spss_median {
            t.spss_median("Median (95% CI, SPSS)")
                .map_err(report_err(what))?;
        }
        Ok(())
    }

    /// Adds the follow-up footnote and records it in the facts.
    fn notes(
        self,
        t: &mut SurvivalTable,
        ep: &EndpointDef,
        time: &[f64],
        event: &[bool],
        facts: &mut Facts,
        table: &str,
    ) -> Result<(), StudyError> {
        if !self.follow_up {
            return Ok(());
        }
        let what = format!("table '{table}'");
        t.follow_up(ep.spec.units.code())
            .map_err(report_err(&what))?;
        let data = SurvivalData {
            time: time.to_vec(),
            event: event.to_vec(),
            group: vec![0; time.len()],
            labels: vec!["All patients".into()],
            weights: None,
        };
        if let Ok((s, _)) = summarise(&data, &SurvivalOptions::default())
            && let Some(f) = s.follow_up
        {
            facts.insert(format!("{table}.follow_up"), json!(f));
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn survival(
    ctx: &Context<'_>,
    def: &TableDef,
    endpoint: &str,
    landmarks: Option<&[f64]>,
    characteristics: &[String],
    all: bool,
    extras: Extras,
    facts: &mut Facts,
) -> Result<Table, StudyError> {
    let what = format!("table '{}'", def.name);
    let ep = ctx.endpoint_def(endpoint)?;
    let data = ctx.endpoint(ep, None)?;
    let (rows, time, event) = complete(&data);
    if rows.is_empty() {
        return Err(StudyError::analysis(&what, "no patient has this endpoint"));
    }
    let lms = landmark_list(ctx, landmarks);
    let abbr = abbreviation(ep.spec.endpoint);
    let headers: Vec<String> = lms
        .iter()
        .map(|l| landmark_header(*l, ep.spec.units, abbr))
        .collect();
    let pairs: Vec<(f64, &str)> = lms
        .iter()
        .zip(&headers)
        .map(|(l, h)| (*l, h.as_str()))
        .collect();
    let mut t =
        SurvivalTable::with_landmarks(def.title.clone(), &time, &event, &pairs, &median_header(ep))
            .map_err(report_err(&what))?;
    extras.columns(&mut t, &what)?;
    if all {
        t.all_patients("All patients").map_err(report_err(&what))?;
        record_curve(facts, &format!("{}.all", def.name), &time, &event, &lms);
    }
    for c in characteristics {
        let g = ctx.categories(c)?;
        let codes: Vec<Option<usize>> = rows.iter().map(|&i| g.codes[i]).collect();
        let levels: Vec<&str> = g.levels.iter().map(String::as_str).collect();
        t.characteristic(&g.label, &levels, &codes)
            .map_err(report_err(&what))?;
        record_groups(
            facts,
            &format!("{}.{c}", def.name),
            &time,
            &event,
            &codes,
            &g,
            &lms,
        );
    }
    if let Some(n) = without_row_note(&data, ep) {
        t.footnote(n);
    }
    t.footnote(survival_note(ep));
    extras.notes(&mut t, ep, &time, &event, facts, &def.name)?;
    Ok(t.build())
}

fn survival_note(ep: &EndpointDef) -> String {
    format!(
        "{} {} in {}. Medians and rates by Kaplan\u{2013}Meier (95% CI of the median from the \
         log-transformed pointwise interval, as R's survfit); {NOT_REACHED}, not reached; p from \
         the log-rank test.",
        ep.label,
        ep.spec.from.phrase(),
        ep.spec.units.code()
    )
}

fn km_table(
    ctx: &Context<'_>,
    def: &TableDef,
    endpoint: &str,
    by: Option<&str>,
    landmarks: Option<&[f64]>,
    extras: Extras,
    facts: &mut Facts,
) -> Result<Table, StudyError> {
    let what = format!("table '{}'", def.name);
    let ep = ctx.endpoint_def(endpoint)?;
    let data = ctx.endpoint(ep, None)?;
    let g = ctx.grouping(by)?;
    let keep: Vec<usize> = data
        .rows()
        .into_iter()
        .filter(|&i| g.codes[i].is_some())
        .collect();
    if keep.is_empty() {
        return Err(StudyError::analysis(
            &what,
            "no patient in the groups has this endpoint",
        ));
    }
    let time: Vec<f64> = keep.iter().filter_map(|&i| data.time[i]).collect();
    let event: Vec<bool> = keep.iter().map(|&i| data.event[i]).collect();
    let codes: Vec<Option<usize>> = keep.iter().map(|&i| g.codes[i]).collect();
    let lms = landmark_list(ctx, landmarks);
    let abbr = abbreviation(ep.spec.endpoint);
    let headers: Vec<String> = lms
        .iter()
        .map(|l| landmark_header(*l, ep.spec.units, abbr))
        .collect();
    let pairs: Vec<(f64, &str)> = lms
        .iter()
        .zip(&headers)
        .map(|(l, h)| (*l, h.as_str()))
        .collect();
    let mut t =
        SurvivalTable::with_landmarks(def.title.clone(), &time, &event, &pairs, &median_header(ep))
            .map_err(report_err(&what))?;
    extras.columns(&mut t, &what)?;
    let levels: Vec<&str> = g.levels.iter().map(String::as_str).collect();
    t.characteristic(&g.label, &levels, &codes)
        .map_err(report_err(&what))?;
    record_groups(facts, &def.name, &time, &event, &codes, &g, &lms);
    if let Some(n) = without_row_note(&data, ep) {
        t.footnote(n);
    }
    t.footnote(survival_note(ep));
    extras.notes(&mut t, ep, &time, &event, facts, &def.name)?;
    Ok(t.build())
}

/// Facts of one curve: n, events, median (CI), landmark rates.
fn record_curve(facts: &mut Facts, key: &str, time: &[f64], event: &[bool], landmarks: &[f64]) {
    let data = SurvivalData {
        time: time.to_vec(),
        event: event.to_vec(),
        group: vec![0; time.len()],
        labels: vec!["All patients".into()],
        weights: None,
    };
    if let Ok((s, _)) = summarise(&data, &options(landmarks))
        && let Some(g) = s.groups.first()
    {
        facts.insert(key.to_string(), curve_json(g));
    }
}

fn options(landmarks: &[f64]) -> SurvivalOptions {
    SurvivalOptions {
        landmarks: landmarks.to_vec(),
        ..SurvivalOptions::default()
    }
}

/// The summary.json form of a group's curve (the analysis layer's
/// `GroupSurvival`, fields as study summaries have always named them).
fn curve_json(g: &GroupSurvival) -> Value {
    let rates: Vec<Value> = g
        .at_times
        .iter()
        .map(|a| json!({"time": a.time, "survival": a.survival}))
        .collect();
    json!({
        "n": g.n,
        "events": g.events,
        "median": g.median,
        "median_lower": g.median_lower,
        "median_upper": g.median_upper,
        "at_times": rates,
    })
}

/// Facts of curves by group and the log-rank test.
fn record_groups(
    facts: &mut Facts,
    key: &str,
    time: &[f64],
    event: &[bool],
    codes: &[Option<usize>],
    g: &Grouping,
    landmarks: &[f64],
) {
    let keep: Vec<usize> = (0..codes.len()).filter(|&i| codes[i].is_some()).collect();
    let data = SurvivalData {
        time: keep.iter().map(|&i| time[i]).collect(),
        event: keep.iter().map(|&i| event[i]).collect(),
        group: keep
            .iter()
            .filter_map(|&i| codes[i])
            .map(|c| c as u32)
            .collect(),
        labels: g.levels.clone(),
        weights: None,
    };
    let mut curves_json = Vec::new();
    let mut test = None;
    if let Ok((s, _)) = summarise(&data, &options(landmarks)) {
        for c in &s.groups {
            let mut v = curve_json(c);
            v["group"] = json!(c.label);
            curves_json.push(v);
        }
        test = s.logrank;
    }
    facts.insert(
        key.to_string(),
        json!({
            "variable": g.label,
            "curves": curves_json,
            "logrank": test.map(|t| json!({"chisq": t.chisq, "df": t.df, "p": t.p})),
        }),
    );
}

/// The best response of each patient for a response table (`None`: not
/// counted — no such line, or not evaluable).
pub fn best_responses(ctx: &Context<'_>, source: &ResponseSource) -> Vec<Option<ResponseClass>> {
    match source {
        // The layer's one rule: the evaluable best response of line k.
        ResponseSource::Line(k) => ctx
            .line_responses(*k)
            .map(|v| v.into_iter().map(|b| b.map(ResponseClass::from)).collect())
            .unwrap_or_else(|_| vec![None; ctx.len()]),
        ResponseSource::Investigator => ctx
            .courses
            .iter()
            .map(|c| {
                c.assessments
                    .iter()
                    .filter_map(|a| a.investigator_response.map(category_of))
                    .filter(|c| *c != Category::NE)
                    .min_by_key(|c| c.rank())
                    .map(ResponseClass::from)
            })
            .collect(),
    }
}

#[allow(clippy::too_many_arguments)]
fn response_table(
    ctx: &Context<'_>,
    def: &TableDef,
    source: &ResponseSource,
    characteristics: &[String],
    all: bool,
    ci_method: CiMethod,
    facts: &mut Facts,
) -> Result<Table, StudyError> {
    let what = format!("table '{}'", def.name);
    let best = best_responses(ctx, source);
    let keep: Vec<usize> = (0..best.len()).filter(|&i| best[i].is_some()).collect();
    if keep.is_empty() {
        return Err(StudyError::analysis(
            &what,
            "no patient has an evaluable response",
        ));
    }
    let subset: Vec<Option<ResponseClass>> = keep.iter().map(|&i| best[i]).collect();
    let inference = ClassicalInference;
    let mut t = ResponseTable::new(def.title.clone(), &subset, &inference);
    t.method = ci_method.method();
    if all {
        t.all_patients("All evaluable patients");
    }
    for c in characteristics {
        let g = ctx.categories(c)?;
        let codes: Vec<Option<usize>> = keep.iter().map(|&i| g.codes[i]).collect();
        let levels: Vec<&str> = g.levels.iter().map(String::as_str).collect();
        t.characteristic(&g.label, &levels, &codes)
            .map_err(report_err(&what))?;
    }
    let n = subset.len() as u64;
    let orr = subset
        .iter()
        .flatten()
        .filter(|r| netra_report::table::response::is_objective(**r))
        .count();
    let dcr = subset
        .iter()
        .flatten()
        .filter(|r| netra_report::table::response::is_control(**r))
        .count();
    facts.insert(
        def.name.clone(),
        json!({"evaluable": n, "orr": orr as f64 / n as f64, "dcr": dcr as f64 / n as f64}),
    );
    let mut table = t.build();
    let ci = ci_label(ci_method);
    table.footnotes.push(match source {
        ResponseSource::Line(k) => format!(
            "Best response on line {k} of systemic therapy (lines with measurable disease at \
             baseline, or an investigator's response, and a best response other than NE); 95% \
             CI by {ci}; p by \u{3c7}\u{b2} (Yates on 2 \u{d7} 2) or Fisher's exact test as \
             expected counts allow."
        ),
        ResponseSource::Investigator => {
            format!("Best investigator-reported response over all assessments; 95% CI by {ci}.")
        }
    });
    let left = best.len() - keep.len();
    if left > 0 {
        table.footnotes.push(match source {
            ResponseSource::Line(k) => {
                let lines = ctx.lines(Default::default());
                let without = lines.iter().filter(|p| p.line(*k).is_none()).count();
                let parts: Vec<String> = [
                    (
                        without,
                        format!("{without} patient(s) who did not receive line {k}"),
                    ),
                    (
                        left - without,
                        format!("{} whose line {k} was not evaluable", left - without),
                    ),
                ]
                .into_iter()
                .filter(|(n, _)| *n > 0)
                .map(|(_, text)| text)
                .collect();
                format!("Not included: {}.", parts.join(" and "))
            }
            ResponseSource::Investigator => {
                format!("{left} patient(s) without a recorded response are not included.")
            }
        });
    }
    Ok(table)
}

fn cell_text(c: Option<u64>, min_cell: u64) -> String {
    c.map_or_else(|| format!("<{min_cell}"), |n| n.to_string())
}

#[allow(clippy::too_many_arguments)]
fn lines_table(
    ctx: &Context<'_>,
    def: &TableDef,
    endpoint: &str,
    lines: &[u32],
    landmark: Option<f64>,
    min_cell: u64,
    facts: &mut Facts,
) -> Result<Table, StudyError> {
    let what = format!("table '{}'", def.name);
    let ep = ctx.endpoint_def(endpoint)?;
    let line_endpoint = match ep.spec.endpoint {
        Endpoint::Ttp => LineEndpoint::Ttp,
        Endpoint::Pfs => LineEndpoint::Pfs,
        other => {
            return Err(StudyError::analysis(
                &what,
                format!(
                    "a lines table reports TTP or PFS per line, not {}",
                    other.code()
                ),
            ));
        }
    };
    if ep.spec.units != Units::Months || ep.spec.censor_at_new_therapy {
        return Err(StudyError::analysis(
            &what,
            "the per-line analysis reports months without censoring at new therapy: give the \
             endpoint unit = \"months\" and censor_at_new_therapy = false",
        ));
    }
    debug_assert_eq!(ep.spec.from, TimeZero::EachLine);
    let landmark = landmark
        .or_else(|| ctx.study.landmarks.first().copied())
        .unwrap_or(12.0);
    let cohort = ctx.lines(ep.spec.censoring);
    let max = lines.iter().copied().max().unwrap_or(3);
    let options = SequenceOptions {
        min_cell,
        landmark_months: landmark,
        line_endpoint,
        censoring: ep.spec.censoring,
        max_lines: max,
        ..SequenceOptions::default()
    };
    let analysis = sequences::analyse(&cohort, &options)
        .map_err(|e| StudyError::analysis(&what, e.to_string()))?;
    let abbr = abbreviation(ep.spec.endpoint);
    let rate_header = format!(
        "{} progression-free, % (95% CI)",
        landmark_header(landmark, Units::Months, abbr)
            .split(' ')
            .next()
            .unwrap_or("")
    );
    let median_h = format!("Median {abbr}, months (95% CI)");
    let mut table = Table::new(
        def.title.clone(),
        &[
            "Line",
            "Patients",
            "Events",
            &median_h,
            &rate_header,
            "Evaluable",
            "ORR, % (95% CI)",
            "DCR, % (95% CI)",
        ],
    );
    let pct = |r: &Option<sequences::Rate>| match r {
        Some(r) => with_ci(
            Some(100.0 * r.estimate),
            Some(100.0 * r.lower),
            Some(100.0 * r.upper),
            1,
            MISSING,
        ),
        None => MISSING.to_string(),
    };
    let mut rows_json = Vec::new();
    for &k in lines {
        let Some(s) = analysis.per_line.iter().find(|s| s.line == k) else {
            continue;
        };
        let reach = analysis.reach.iter().find(|r| r.line == k);
        let patients = match (s.n, reach.and_then(|r| r.share_of_previous)) {
            (Some(n), Some(share)) if k > 1 => format!("{n} ({}%)", fixed(Some(100.0 * share), 1)),
            (n, _) => cell_text(n, min_cell),
        };
        let median = match s.median_months {
            Some(_) => with_ci(
                s.median_months,
                s.median_lower,
                s.median_upper,
                1,
                NOT_REACHED,
            ),
            None if s.n.is_some_and(|n| n > 0) => match s.median_lower {
                Some(l) => format!("{NOT_REACHED} ({}\u{2013}{NOT_REACHED})", fixed(Some(l), 1)),
                None => NOT_REACHED.to_string(),
            },
            None => MISSING.to_string(),
        };
        let rate = match s.landmark_rate {
            Some(r) => with_ci(
                Some(100.0 * r),
                s.landmark_lower.map(|x| 100.0 * x),
                s.landmark_upper.map(|x| 100.0 * x),
                1,
                MISSING,
            ),
            None => MISSING.to_string(),
        };
        table.push(Row::new([
            format!("Line {k}"),
            patients,
            cell_text(s.events, min_cell),
            median,
            rate,
            cell_text(s.n_evaluable, min_cell),
            pct(&s.orr),
            pct(&s.dcr),
        ]));
        rows_json.push(json!({
            "line": k,
            "n": s.n,
            "events": s.events,
            "median": s.median_months,
            "median_lower": s.median_lower,
            "median_upper": s.median_upper,
            "landmark_rate": s.landmark_rate,
            "evaluable": s.n_evaluable,
            "orr": s.orr.as_ref().map(|r| r.estimate),
            "dcr": s.dcr.as_ref().map(|r| r.estimate),
        }));
    }
    facts.insert(
        def.name.clone(),
        json!({"landmark_months": landmark, "lines": rows_json}),
    );
    let p = PStyle::default();
    let _ = p;
    table.footnotes.push(format!(
        "Per line of systemic therapy (lines derived from treatment records by the documented \
         rules); {} {}; medians and the {}-month rate by Kaplan\u{2013}Meier; ORR (CR + PR) and \
         DCR (CR + PR + MR + SD) among evaluable lines with Clopper\u{2013}Pearson 95% CI; \
         patients in line k+1 as % of line k.",
        ep.label.to_lowercase(),
        ep.spec.from.phrase(),
        number_label(landmark)
    ));
    if min_cell > 1 {
        table.footnotes.push(format!(
            "Counts below {min_cell} are suppressed (<{min_cell}), with the figures computed \
             from them."
        ));
    }
    Ok(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn landmark_headers_read_as_papers_write_them() {
        assert_eq!(landmark_header(12.0, Units::Months, "OS"), "1-year OS, %");
        assert_eq!(landmark_header(36.0, Units::Months, "OS"), "3-year OS, %");
        assert_eq!(landmark_header(6.0, Units::Months, "PFS"), "6-month PFS, %");
        assert_eq!(landmark_header(2.0, Units::Years, "OS"), "2-year OS, %");
        assert_eq!(landmark_header(100.0, Units::Days, "OS"), "100.0-day OS, %");
    }
}
