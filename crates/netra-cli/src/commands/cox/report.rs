//! Output of `netra cox`: the table a clinician reads (laid out as R's
//! `summary(coxph(...))`), the JSON contract, and CSV (one row per term).

use std::fmt::Write as _;

use netra_stats::cox::zph::Zph;
use netra_stats::cox::{ChisqTest, CoxCoefficient, CoxFit, Ties};
use serde_json::{Value, json};

use super::{Args, Fitted};

// ---- numbers ---------------------------------------------------------------

/// Decimals that give `v` at least `digits` significant digits.
fn decimals_for(v: f64, digits: usize) -> usize {
    if v == 0.0 || !v.is_finite() {
        return 0;
    }
    let e = v.abs().log10().floor() as i64;
    (digits as i64 - 1 - e).max(0) as usize
}

/// R-style scientific notation: `4.45e-05`.
fn sci(v: f64, digits: usize) -> String {
    let s = format!("{:.*e}", digits.saturating_sub(1), v);
    match s.split_once('e') {
        Some((m, e)) => {
            let exp: i32 = e.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", exp.abs())
        }
        None => s,
    }
}

fn special(v: Option<f64>) -> Option<String> {
    match v {
        None => Some("NA".into()),
        Some(x) if x.is_nan() => Some("NaN".into()),
        Some(x) if x == f64::INFINITY => Some("Inf".into()),
        Some(x) if x == f64::NEG_INFINITY => Some("-Inf".into()),
        _ => None,
    }
}

/// A column formatted as R's `format()` does: common decimals so that
/// every value shows `digits` significant digits, scientific when values
/// are very large or very small.
fn column(values: &[Option<f64>], digits: usize) -> Vec<String> {
    let finite: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let big = finite.iter().any(|v| v.abs() >= 1e6);
    let dec = finite
        .iter()
        .map(|&v| decimals_for(v, digits))
        .max()
        .unwrap_or(0);
    let use_sci = big || dec > 8;
    values
        .iter()
        .map(|&v| {
            special(v).unwrap_or_else(|| {
                let x = v.unwrap_or_default();
                if use_sci {
                    sci(x, digits)
                } else {
                    format!("{x:.dec$}")
                }
            })
        })
        .collect()
}

/// p-values as R's `format.pval`: fixed with common decimals, scientific
/// below 1e-4, `<2e-16` at the limit of double precision.
fn p_column(values: &[Option<f64>], digits: usize) -> Vec<String> {
    let fixed: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|p| p.is_finite() && *p >= 1e-4)
        .collect();
    let dec = fixed
        .iter()
        .map(|&p| decimals_for(p, digits))
        .max()
        .unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            special(v).unwrap_or_else(|| {
                let p = v.unwrap_or_default();
                if p < 2.2e-16 {
                    "<2e-16".into()
                } else if p < 1e-4 {
                    sci(p, digits)
                } else {
                    format!("{p:.dec$}")
                }
            })
        })
        .collect()
}

/// One p-value for a sentence (2 significant digits).
fn p_text(p: f64) -> String {
    if !p.is_finite() {
        return "NA".into();
    }
    if p < 2.2e-16 {
        return "<2e-16".into();
    }
    if p < 1e-4 {
        return sci(p, 2);
    }
    let dec = decimals_for(p, 2);
    format!("{p:.dec$}")
}

fn stars(p: Option<f64>) -> &'static str {
    match p {
        Some(p) if p < 0.001 => "***",
        Some(p) if p < 0.01 => "**",
        Some(p) if p < 0.05 => "*",
        Some(p) if p < 0.1 => ".",
        _ => "",
    }
}

/// A hazard ratio as papers print it.
fn hr_text(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && (0.1..100.0).contains(&x) => format!("{x:.2}"),
        Some(x) if x.is_finite() && x > 0.0 => {
            let d = decimals_for(x, 3);
            if x >= 1e6 {
                sci(x, 3)
            } else {
                format!("{x:.d$}")
            }
        }
        other => special(other).unwrap_or_else(|| "0".into()),
    }
}

/// Right-aligned columns with a left-aligned first column.
fn grid(header: &[&str], rows: &[Vec<String>]) -> String {
    let ncol = header.len();
    let mut width = vec![0usize; ncol];
    for (k, h) in header.iter().enumerate() {
        width[k] = h.chars().count();
    }
    for r in rows {
        for (k, c) in r.iter().enumerate() {
            width[k] = width[k].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<&str>, out: &mut String| {
        let mut s = String::new();
        for (k, c) in cells.iter().enumerate() {
            let pad = width[k] - c.chars().count();
            if k == 0 {
                s.push_str(c);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str("  ");
                s.push_str(&" ".repeat(pad));
                s.push_str(c);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec(), &mut out);
    for r in rows {
        line(r.iter().map(String::as_str).collect(), &mut out);
    }
    out
}

// ---- table -------------------------------------------------------------------

fn ties_name(t: Ties) -> &'static str {
    match t {
        Ties::Efron => "efron",
        Ties::Breslow => "breslow",
    }
}

fn test_line(name: &str, t: &ChisqTest) -> String {
    // R: format(round(x, 2)).
    let rounded = (t.chisq * 100.0).round() / 100.0;
    format!(
        "{name:<21}= {rounded}  on {} df,   p = {}\n",
        t.df,
        p_text(t.p)
    )
}

/// The model summary, as `summary(coxph(...))` prints it.
fn model_table(m: &Fitted, args: &Args) -> String {
    let fit = &m.fit;
    let mut out = String::new();
    match &m.fine_gray {
        Some(fg) => {
            let _ = writeln!(
                out,
                "Fine-Gray subdistribution hazards (cause {}, censoring code {}; ties = {})",
                fg.cause,
                fg.censor,
                ties_name(fit.ties)
            );
            let _ = writeln!(
                out,
                "  n = {} subjects, {} weighted rows (finegray), number of events = {}",
                fit_subjects(m),
                fg.expanded_rows,
                fit.events
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Cox proportional hazards regression (ties = {})",
                ties_name(fit.ties)
            );
            let _ = writeln!(out, "  n = {}, number of events = {}", fit.n, fit.events);
        }
    }
    if m.n_dropped > 0 {
        let _ = writeln!(
            out,
            "   ({} {} deleted due to missingness)",
            m.n_dropped,
            if m.n_dropped == 1 {
                "observation"
            } else {
                "observations"
            }
        );
    }
    for line in m.reading.lines() {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(s) = &m.design.strata {
        let _ = writeln!(out, "  stratified: {} strata", s.labels.len());
    }
    out.push('\n');

    let c = &fit.coefficients;
    // Estimates and standard errors share their decimals, as in R's
    // printCoefmat.
    let estimates: Vec<Vec<Option<f64>>> = vec![
        c.iter().map(|t| t.coef).collect(),
        c.iter().map(|t| t.hr).collect(),
        c.iter().map(|t| t.se).collect(),
        c.iter().map(|t| t.robust_se).collect(),
    ];
    let joint: Vec<Option<f64>> = estimates.iter().flatten().copied().collect();
    let formatted = column(&joint, 4);
    let k = c.len();
    let col_coef = &formatted[..k];
    let col_hr = &formatted[k..2 * k];
    let col_se = &formatted[2 * k..3 * k];
    let col_rse = &formatted[3 * k..4 * k];
    let col_z: Vec<String> = c
        .iter()
        .map(|t| special(t.z).unwrap_or_else(|| format!("{:.3}", t.z.unwrap_or_default())))
        .collect();
    let col_p = p_column(&c.iter().map(|t| t.p).collect::<Vec<_>>(), 3);
    let mut header = vec!["", "coef", "exp(coef)", "se(coef)"];
    if fit.robust {
        header.push("robust se");
    }
    header.extend(["z", "Pr(>|z|)", ""]);
    let rows: Vec<Vec<String>> = (0..c.len())
        .map(|k| {
            let mut r = vec![
                c[k].name.clone(),
                col_coef[k].clone(),
                col_hr[k].clone(),
                col_se[k].clone(),
            ];
            if fit.robust {
                r.push(col_rse[k].clone());
            }
            r.extend([
                col_z[k].clone(),
                col_p[k].clone(),
                stars(c[k].p).to_string(),
            ]);
            r
        })
        .collect();
    out.push_str(&grid(&header, &rows));
    out.push_str("---\nSignif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1\n\n");

    let level = format!("{}", (fit.conf_level * 100.0 * 100.0).round() / 100.0);
    let lower = format!("lower .{level}");
    let upper = format!("upper .{level}");
    let inv: Vec<Option<f64>> = c.iter().map(|t| t.coef.map(|b| (-b).exp())).collect();
    let ci_cols = [
        column(&c.iter().map(|t| t.hr).collect::<Vec<_>>(), 4),
        column(&inv, 4),
        column(&c.iter().map(|t| t.hr_lower).collect::<Vec<_>>(), 4),
        column(&c.iter().map(|t| t.hr_upper).collect::<Vec<_>>(), 4),
    ];
    let rows: Vec<Vec<String>> = (0..c.len())
        .map(|k| {
            let mut r = vec![c[k].name.clone()];
            r.extend(ci_cols.iter().map(|col| col[k].clone()));
            r
        })
        .collect();
    out.push_str(&grid(
        &["", "exp(coef)", "exp(-coef)", &lower, &upper],
        &rows,
    ));
    out.push('\n');

    if let Some(conc) = &fit.concordance {
        let _ = writeln!(
            out,
            "Concordance = {:.3}  (se = {:.3})",
            conc.c, conc.std_err
        );
    }
    out.push_str(&test_line("Likelihood ratio test", &fit.lr_test));
    out.push_str(&test_line("Wald test", &fit.wald_test));
    out.push_str(&test_line("Score (logrank) test", &fit.score_test));
    if let Some(r) = &fit.robust_score_test {
        out.push_str(&test_line("Robust score test", r));
        out.push_str(
            "  (Note: the likelihood ratio and score tests assume independence of\n     \
             observations within a cluster, the Wald and robust score tests do not).\n",
        );
    }
    if let Some(z) = &m.zph {
        out.push('\n');
        out.push_str(&zph_table(z));
    }
    for w in &fit.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    let _ = args;
    out
}

fn fit_subjects(m: &Fitted) -> usize {
    m.design.n
}

fn zph_table(z: &Zph) -> String {
    let mut out = format!(
        "Test of proportional hazards (cox.zph, transform = {})\n",
        z.transform.name()
    );
    let mut chis: Vec<Option<f64>> = z.terms.iter().map(|t| Some(t.chisq)).collect();
    chis.push(Some(z.global.chisq));
    let mut ps: Vec<Option<f64>> = z.terms.iter().map(|t| Some(t.p)).collect();
    ps.push(Some(z.global.p));
    let chis = column(&chis, 3);
    let ps = p_column(&ps, 2);
    let mut rows: Vec<Vec<String>> = z
        .terms
        .iter()
        .enumerate()
        .map(|(k, t)| {
            vec![
                t.name.clone(),
                chis[k].clone(),
                t.df.to_string(),
                ps[k].clone(),
            ]
        })
        .collect();
    let k = z.terms.len();
    rows.push(vec![
        "GLOBAL".into(),
        chis[k].clone(),
        z.global.df.to_string(),
        ps[k].clone(),
    ]);
    out.push_str(&grid(&["", "chisq", "df", "p"], &rows));
    out
}

fn ci_text(c: &CoxCoefficient) -> String {
    match c.coef {
        None => "NA".into(),
        Some(_) => format!(
            "{} ({}, {})",
            hr_text(c.hr),
            hr_text(c.hr_lower),
            hr_text(c.hr_upper)
        ),
    }
}

/// The screening table: term, HR (95% CI), p — one model per term.
fn screening_table(screening: &[Fitted], conf_level: f64) -> String {
    let pct = format!("{}", (conf_level * 100.0 * 100.0).round() / 100.0);
    let mut rows: Vec<Vec<String>> = Vec::new();
    for m in screening {
        let fit = &m.fit;
        let label = m.label.clone().unwrap_or_default();
        if fit.coefficients.len() == 1 {
            let c = &fit.coefficients[0];
            rows.push(vec![
                c.name.clone(),
                fit.n.to_string(),
                fit.events.to_string(),
                ci_text(c),
                p_text(c.p.unwrap_or(f64::NAN)),
            ]);
        } else {
            rows.push(vec![
                label,
                fit.n.to_string(),
                fit.events.to_string(),
                format!("(LR test, {} df)", fit.lr_test.df),
                p_text(fit.lr_test.p),
            ]);
            for c in &fit.coefficients {
                rows.push(vec![
                    format!("  {}", c.name),
                    String::new(),
                    String::new(),
                    ci_text(c),
                    p_text(c.p.unwrap_or(f64::NAN)),
                ]);
            }
        }
    }
    let hr_head = format!("HR ({pct}% CI)");
    let mut out = String::from("Univariate screening (one Cox model per term)\n");
    out.push_str(&grid(&["", "n", "events", &hr_head, "p"], &rows));
    for m in screening {
        for w in &m.fit.warnings {
            let _ = writeln!(
                out,
                "warning ({}): {w}",
                m.label.as_deref().unwrap_or_default()
            );
        }
    }
    out
}

/// The table output.
pub(crate) fn table(args: &Args, screening: &[Fitted], main: &Fitted) -> String {
    let mut out = String::new();
    if !screening.is_empty() {
        out.push_str(&screening_table(screening, args.conf_level));
        out.push_str("\nMultivariate model\n");
    }
    out.push_str(&model_table(main, args));
    out
}

// ---- JSON --------------------------------------------------------------------

fn num(v: Option<f64>) -> Value {
    match v {
        Some(x) if x.is_finite() => json!(x),
        _ => Value::Null,
    }
}

fn test_json(t: &ChisqTest) -> Value {
    json!({"chisq": num(Some(t.chisq)), "df": t.df, "p": num(Some(t.p))})
}

fn coef_json(c: &CoxCoefficient) -> Value {
    json!({
        "name": c.name,
        "coef": num(c.coef),
        "se": num(c.se),
        "robust_se": num(c.robust_se),
        "hr": num(c.hr),
        "hr_lower": num(c.hr_lower),
        "hr_upper": num(c.hr_upper),
        "z": num(c.z),
        "p": num(c.p),
    })
}

fn zph_json(z: &Zph) -> Value {
    json!({
        "terms": z.terms.iter().map(|t| json!({
            "name": t.name, "chisq": num(Some(t.chisq)), "df": t.df, "p": num(Some(t.p))
        })).collect::<Vec<_>>(),
        "global": test_json(&z.global),
    })
}

fn model_json(m: &Fitted, schoenfeld: bool) -> Value {
    let fit: &CoxFit = &m.fit;
    let mut v = json!({
        "n": fit.n,
        "events": fit.events,
        "n_dropped": m.n_dropped,
        "dropped_by": m.reading.json().0,
        "values_read": m.reading.json().1,
        "merged_labels": m.reading.label_notes_json().0,
        "empty_labels": m.reading.label_notes_json().1,
        "converged": fit.converged,
        "terms": fit.coefficients.iter().map(coef_json).collect::<Vec<_>>(),
        "loglik_null": num(Some(fit.loglik_null)),
        "loglik": num(Some(fit.loglik)),
        "lr_test": test_json(&fit.lr_test),
        "wald_test": test_json(&fit.wald_test),
        "score_test": test_json(&fit.score_test),
        "concordance": fit.concordance.map_or(Value::Null, |c| json!({
            "c": num(Some(c.c)), "std_err": num(Some(c.std_err))
        })),
        "iterations": fit.iterations,
        "warnings": fit.warnings,
        "zph": m.zph.as_ref().map_or(Value::Null, zph_json),
    });
    let obj = v.as_object_mut().expect("an object");
    if let Some(r) = &fit.robust_score_test {
        obj.insert("robust_score_test".into(), test_json(r));
    }
    if let Some(fg) = &m.fine_gray {
        obj.insert(
            "fine_gray".into(),
            json!({"cause": fg.cause, "censor": fg.censor, "expanded_rows": fg.expanded_rows}),
        );
    }
    if let (true, Some(z)) = (schoenfeld, &m.zph) {
        let s = &z.schoenfeld;
        obj.insert(
            "schoenfeld".into(),
            json!({
                "transform": z.transform.name(),
                "time": s.time,
                "x": s.x,
                "terms": s.names.iter().zip(&s.residuals).map(|(name, r)| json!({
                    "name": name,
                    "residuals": r.iter().map(|&v| num(Some(v))).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            }),
        );
    }
    v
}

/// The JSON output: the model object of the contract, or, with
/// `--univariate`, `{"univariate": [...], "multivariate": {...}}`.
pub(crate) fn json(args: &Args, screening: &[Fitted], main: &Fitted) -> anyhow::Result<String> {
    let v = if screening.is_empty() {
        model_json(main, args.schoenfeld)
    } else {
        json!({
            "univariate": screening.iter().map(|m| json!({
                "term": m.label,
                "n": m.fit.n,
                "events": m.fit.events,
                "n_dropped": m.n_dropped,
                "terms": m.fit.coefficients.iter().map(coef_json).collect::<Vec<_>>(),
                "lr_test": test_json(&m.fit.lr_test),
                "warnings": m.fit.warnings,
            })).collect::<Vec<_>>(),
            "multivariate": model_json(main, args.schoenfeld),
        })
    };
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

// ---- CSV ---------------------------------------------------------------------

use crate::output::csv_field;

fn csv_num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x}"),
        Some(x) if x == f64::INFINITY => "Inf".into(),
        _ => String::new(),
    }
}

fn csv_row(c: &CoxCoefficient) -> String {
    [
        csv_field(&c.name),
        csv_num(c.coef),
        csv_num(c.se),
        csv_num(c.robust_se),
        csv_num(c.hr),
        csv_num(c.hr_lower),
        csv_num(c.hr_upper),
        csv_num(c.z),
        csv_num(c.p),
    ]
    .join(",")
}

/// One row per term; with `--univariate` a leading `model` column holds the
/// screened term (or `multivariate`).
pub(crate) fn csv(screening: &[Fitted], main: &Fitted) -> String {
    let header = "name,coef,se,robust_se,hr,hr_lower,hr_upper,z,p";
    let mut out = String::new();
    if screening.is_empty() {
        out.push_str(header);
        out.push('\n');
        for c in &main.fit.coefficients {
            out.push_str(&csv_row(c));
            out.push('\n');
        }
    } else {
        let _ = writeln!(out, "model,{header}");
        for m in screening {
            for c in &m.fit.coefficients {
                let _ = writeln!(
                    out,
                    "{},{}",
                    csv_field(m.label.as_deref().unwrap_or_default()),
                    csv_row(c)
                );
            }
        }
        for c in &main.fit.coefficients {
            let _ = writeln!(out, "multivariate,{}", csv_row(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_look_like_r() {
        assert_eq!(sci(4.45e-5, 3), "4.45e-05");
        assert_eq!(
            column(&[Some(0.011067), Some(-0.552612), Some(0.463728)], 4),
            vec!["0.01107", "-0.55261", "0.46373"]
        );
        assert_eq!(
            p_column(&[Some(0.232416), Some(0.000986), Some(4.45e-5)], 3),
            vec!["0.232416", "0.000986", "4.45e-05"]
        );
        assert_eq!(p_column(&[Some(1e-300)], 3), vec!["<2e-16"]);
        assert_eq!(column(&[None, Some(f64::INFINITY)], 4), vec!["NA", "Inf"]);
        assert_eq!(hr_text(Some(1.0191)), "1.02");
        assert_eq!(hr_text(Some(0.0123)), "0.0123");
        assert_eq!(p_text(0.04123), "0.041");
        assert_eq!(stars(Some(0.0005)), "***");
    }

    #[test]
    fn csv_quotes_fields() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("x=1"), "x=1");
        assert_eq!(csv_num(None), "");
    }
}
