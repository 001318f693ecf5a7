//! The publication table of an emulated target trial
//! (`netra_analysis::analyses::emulate::EmulateOutput`): per contrast the
//! naive hazard ratio (patients by the sequence received), the clones
//! without weights, the emulated trial's weighted hazard ratio, the RMST
//! and survival differences with their CIs (and bootstrap intervals when
//! run), the E-value; then per arm the clones, deviations, deaths and
//! RMST. Study files print it for `[[analysis]] name = "emulate"`.

use netra_analysis::analyses::emulate::{BootOut, EmulateOutput};
use netra_analysis::analyses::weighting::EstimateOut;

use super::{Align, Cell, Row, Table};
use crate::format::{fixed, interval, p_value};

fn ci(e: &Option<EstimateOut>, decimals: usize) -> String {
    e.as_ref().map_or_else(
        || crate::format::MISSING.to_string(),
        |e| {
            format!(
                "{} ({})",
                fixed(Some(e.estimate), decimals),
                interval(Some(e.lower), Some(e.upper), decimals)
            )
        },
    )
}

fn boot(b: &Option<BootOut>, decimals: usize) -> String {
    b.as_ref().map_or_else(
        || crate::format::MISSING.to_string(),
        |b| interval(Some(b.lower), Some(b.upper), decimals),
    )
}

/// The table (title from the analysis' title unless `title` is given).
pub fn table(title: Option<String>, o: &EmulateOutput) -> Table {
    let pct = format!("{:.0}%", 100.0 * o.conf_level);
    let with_boot = o.bootstrap.is_some();
    let mut columns = vec!["Contrast / arm".to_string(), format!("Estimate ({pct} CI)")];
    if with_boot {
        columns.push(format!("Bootstrap {pct} CI"));
    }
    columns.push("p".into());
    let cols: Vec<&str> = columns.iter().map(String::as_str).collect();
    let mut t = Table::new(
        title.unwrap_or_else(|| format!("Emulated target trial: {}", o.title)),
        &cols,
    );
    t.align = vec![Align::Left, Align::Left];
    let row = |label: String, est: String, b: Option<String>, p: String| {
        let mut cells = vec![label, est];
        if with_boot {
            cells.push(b.unwrap_or_else(|| crate::format::MISSING.to_string()));
        }
        cells.push(p);
        Row::new(cells)
    };
    let p_of = |e: &Option<EstimateOut>| p_value(e.as_ref().and_then(|e| e.p));
    let width = columns.len();
    for c in &o.contrasts {
        t.push(Row {
            cells: vec![Cell::span(
                format!("{} vs {}", c.strategy, c.reference),
                width,
            )],
            indent: 0,
            emphasis: true,
        });
        t.push(
            row(
                format!(
                    "Hazard ratio, naive (by sequence received, n = {})",
                    c.n_naive
                ),
                ci(&c.hr_naive, 2),
                None,
                p_of(&c.hr_naive),
            )
            .indented(1),
        );
        t.push(
            row(
                "Hazard ratio, clones without weights".into(),
                ci(&c.hr_unweighted, 2),
                None,
                p_of(&c.hr_unweighted),
            )
            .indented(1),
        );
        t.push(
            row(
                "Hazard ratio, emulated trial (weighted)".into(),
                ci(&c.hr, 2),
                Some(boot(&c.hr_bootstrap, 2)),
                p_of(&c.hr),
            )
            .indented(1),
        );
        t.push(
            row(
                format!("RMST difference at {} months (months)", fixed(o.tau, 1)),
                ci(&c.rmst_difference, 2),
                Some(boot(&c.rmst_bootstrap, 2)),
                p_of(&c.rmst_difference),
            )
            .indented(1),
        );
        for d in &c.survival_difference {
            t.push(
                row(
                    format!("Survival difference at {} months", fixed(Some(d.time), 0)),
                    ci(&Some(d.difference), 3),
                    Some(boot(&d.bootstrap, 3)),
                    p_value(d.difference.p),
                )
                .indented(1),
            );
        }
        if let Some(e) = c.evalue {
            t.push(
                row(
                    "E-value of the weighted HR (CI limit)".into(),
                    format!("{} ({})", fixed(Some(e.point), 2), fixed(Some(e.ci), 2)),
                    None,
                    String::new(),
                )
                .indented(1),
            );
        }
    }
    if !o.arms.is_empty() {
        t.push(Row {
            cells: vec![Cell::span("Arms (clones compatible at time zero)", width)],
            indent: 0,
            emphasis: true,
        });
        for a in &o.arms {
            t.push(
                row(
                    format!(
                        "{}: {} clones, {} censored at deviation, {} deaths; RMST (SE)",
                        a.strategy, a.clones, a.deviations, a.events
                    ),
                    match (a.rmst, a.rmst_se) {
                        (Some(r), Some(se)) => {
                            format!("{} ({})", fixed(Some(r), 2), fixed(Some(se), 2))
                        }
                        (r, _) => fixed(r, 2),
                    },
                    None,
                    String::new(),
                )
                .indented(1),
            );
        }
    }
    t.footnotes.push(format!(
        "{} of {} patients eligible; time zero {}; grace {} days to start the first \
         treatment, {} days to switch after progression. Naive: patients whose first two \
         treatments after time zero were a strategy's, unweighted Cox from time zero \
         (immortal time and confounding by indication). Emulated trial: clone–censor–weight, \
         inverse-probability-of-censoring weights from pooled logistic deviation models \
         ({}), weighted Cox with robust variance clustered by patient; RMST and survival \
         differences with infinitesimal-jackknife standard errors.",
        o.eligible,
        o.cohort,
        o.time_zero,
        fixed(Some(o.grace_days), 0),
        fixed(Some(o.switch_grace_days), 0),
        if o.covariates.trim().is_empty() {
            "time only".to_string()
        } else {
            o.covariates.clone()
        }
    ));
    if o.stabilize != "none" {
        t.footnotes.push(format!(
            "Stabilised weights: numerator model on {}.",
            if o.stabilize == "time" {
                "time"
            } else {
                "the baseline covariates and time"
            }
        ));
    }
    if let Some(b) = o.bootstrap {
        t.footnotes.push(format!(
            "Bootstrap: {} replicates (seed {}, {} failed), patients resampled and weights \
             re-estimated in each; percentile intervals.",
            b.replicates, b.seed, b.failed
        ));
    }
    if let Some(m) = o.max_abs_smd_after {
        t.footnotes.push(format!(
            "Largest |standardised mean difference| after weighting at the end of the grace \
             period: {}.",
            fixed(Some(m), 3)
        ));
    }
    for w in &o.warnings {
        t.footnotes.push(format!("Note: {w}"));
    }
    t
}
