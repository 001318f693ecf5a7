//! Output of `netra cox`: the table a clinician reads (laid out as R's
//! `summary(coxph(...))`, numbers by netra-report's R-style rules
//! `netra_report::format::r`), the JSON contract (the layer's output
//! serialised), and CSV (one row per term).

use std::fmt::Write as _;

use netra_analysis::analyses::cox::table::{
    ChisqOut, CoxModelOut, CoxTableOutput, ScreenedModel, TermOut, ZphOut,
};
use netra_report::format::r::{
    SIGNIF_LEGEND, column, grid, p_column, p_text, percent, ratio, round2, special, stars,
};

use crate::output::csv_field;

// ---- table -------------------------------------------------------------------

fn test_line(name: &str, t: &ChisqOut) -> String {
    format!(
        "{name:<21}= {}  on {} df,   p = {}\n",
        round2(t.chisq.unwrap_or(f64::NAN)),
        t.df,
        p_text(t.p)
    )
}

/// The model summary, as `summary(coxph(...))` prints it.
fn model_table(m: &CoxModelOut) -> String {
    let mut out = String::new();
    match &m.fine_gray {
        Some(fg) => {
            let _ = writeln!(
                out,
                "Fine-Gray subdistribution hazards (cause {}, censoring code {}; ties = {})",
                fg.cause, fg.censor, m.ties
            );
            let _ = writeln!(
                out,
                "  n = {} subjects, {} weighted rows (finegray), number of events = {}",
                fg.subjects, fg.expanded_rows, m.events
            );
        }
        None => {
            let _ = writeln!(
                out,
                "Cox proportional hazards regression (ties = {})",
                m.ties
            );
            let _ = writeln!(out, "  n = {}, number of events = {}", m.n, m.events);
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
    for line in m.reading().lines() {
        let _ = writeln!(out, "  {line}");
    }
    if let Some(s) = &m.strata {
        let _ = writeln!(out, "  stratified: {} strata", s.len());
    }
    out.push('\n');

    let c = &m.terms;
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
    if m.robust {
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
            if m.robust {
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
    let _ = writeln!(out, "---\n{SIGNIF_LEGEND}\n");

    let level = percent(m.conf_level);
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

    if let Some(conc) = &m.concordance {
        let _ = writeln!(
            out,
            "Concordance = {:.3}  (se = {:.3})",
            conc.c.unwrap_or(f64::NAN),
            conc.std_err.unwrap_or(f64::NAN)
        );
    }
    out.push_str(&test_line("Likelihood ratio test", &m.lr_test));
    out.push_str(&test_line("Wald test", &m.wald_test));
    out.push_str(&test_line("Score (logrank) test", &m.score_test));
    if let Some(r) = &m.robust_score_test {
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
    for w in &m.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

fn zph_table(z: &ZphOut) -> String {
    let mut out = format!(
        "Test of proportional hazards (cox.zph, transform = {})\n",
        z.transform
    );
    let mut chis: Vec<Option<f64>> = z.terms.iter().map(|t| t.chisq).collect();
    chis.push(z.global.chisq);
    let mut ps: Vec<Option<f64>> = z.terms.iter().map(|t| t.p).collect();
    ps.push(z.global.p);
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

fn ci_text(c: &TermOut) -> String {
    match c.coef {
        None => "NA".into(),
        Some(_) => format!(
            "{} ({}, {})",
            ratio(c.hr),
            ratio(c.hr_lower),
            ratio(c.hr_upper)
        ),
    }
}

/// The screening table: term, HR (95% CI), p — one model per term.
fn screening_table(screening: &[ScreenedModel], conf_level: f64) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for m in screening {
        if let [c] = m.terms.as_slice() {
            rows.push(vec![
                c.name.clone(),
                m.n.to_string(),
                m.events.to_string(),
                ci_text(c),
                p_text(c.p),
            ]);
        } else {
            rows.push(vec![
                m.term.clone(),
                m.n.to_string(),
                m.events.to_string(),
                format!("(LR test, {} df)", m.lr_test.df),
                p_text(m.lr_test.p),
            ]);
            for c in &m.terms {
                rows.push(vec![
                    format!("  {}", c.name),
                    String::new(),
                    String::new(),
                    ci_text(c),
                    p_text(c.p),
                ]);
            }
        }
    }
    let hr_head = format!("HR ({}% CI)", percent(conf_level));
    let mut out = String::from("Univariate screening (one Cox model per term)\n");
    out.push_str(&grid(&["", "n", "events", &hr_head, "p"], &rows));
    for m in screening {
        for w in &m.warnings {
            let _ = writeln!(out, "warning ({}): {w}", m.term);
        }
    }
    out
}

/// The table output.
pub(crate) fn table(out: &CoxTableOutput) -> String {
    let mut text = String::new();
    if !out.univariate.is_empty() {
        text.push_str(&screening_table(
            &out.univariate,
            out.multivariate.conf_level,
        ));
        text.push_str("\nMultivariate model\n");
    }
    text.push_str(&model_table(&out.multivariate));
    text
}

// ---- JSON --------------------------------------------------------------------

/// The JSON output: the model object of the contract, or, with
/// `--univariate`, `{"univariate": [...], "multivariate": {...}}`. Through
/// `serde_json::Value`, whose objects keep their keys sorted, as the
/// contract has always printed them.
pub(crate) fn json(out: &CoxTableOutput) -> anyhow::Result<String> {
    let v = if out.univariate.is_empty() {
        serde_json::to_value(&out.multivariate)?
    } else {
        serde_json::to_value(out)?
    };
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

// ---- CSV ---------------------------------------------------------------------

/// A number for this command's CSV: shortest round-trip text, `Inf` for an
/// infinite hazard ratio, empty where R has `NA`.
fn csv_num(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x}"),
        Some(x) if x == f64::INFINITY => "Inf".into(),
        _ => String::new(),
    }
}

fn csv_row(c: &TermOut) -> String {
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
pub(crate) fn csv(out: &CoxTableOutput) -> String {
    let header = "name,coef,se,robust_se,hr,hr_lower,hr_upper,z,p";
    let mut text = String::new();
    if out.univariate.is_empty() {
        text.push_str(header);
        text.push('\n');
        for c in &out.multivariate.terms {
            text.push_str(&csv_row(c));
            text.push('\n');
        }
    } else {
        let _ = writeln!(text, "model,{header}");
        for m in &out.univariate {
            for c in &m.terms {
                let _ = writeln!(text, "{},{}", csv_field(&m.term), csv_row(c));
            }
        }
        for c in &out.multivariate.terms {
            let _ = writeln!(text, "multivariate,{}", csv_row(c));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_numbers_and_fields() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("x=1"), "x=1");
        assert_eq!(csv_num(None), "");
        assert_eq!(csv_num(Some(f64::NAN)), "");
        assert_eq!(csv_num(Some(f64::INFINITY)), "Inf");
        assert_eq!(csv_num(Some(0.5)), "0.5");
    }

    #[test]
    fn test_lines_round_like_r() {
        let t = ChisqOut {
            chisq: Some(30.500668),
            df: 3,
            p: Some(1.08e-6),
        };
        assert_eq!(
            test_line("Likelihood ratio test", &t),
            "Likelihood ratio test= 30.5  on 3 df,   p = 1.1e-06\n"
        );
    }
}
