//! The subgroup forest plot of a comparison
//! (`netra_analysis::analyses::subgroups`): a first row with all patients,
//! then per subgrouping variable a bold heading carrying the interaction p
//! and one row per level with its hazard ratio, the level's patients and
//! events in the label. Level rows carry no p of their own: in a subgroup
//! plot the only test printed is the interaction, as trials publish them
//! (a p within a subgroup invites reading subgroups one by one).

use netra_analysis::analyses::subgroups::{SubgroupEffect, SubgroupOutput};

use super::forest::{ForestFigure, ForestRow};

/// Which interaction test the heading rows carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InteractionTest {
    /// Likelihood ratio (R's `anova(fit0, fit1)`), the default.
    #[default]
    LikelihoodRatio,
    /// Wald test of the interaction coefficients.
    Wald,
}

fn row(label: String, e: &SubgroupEffect, indent: u8) -> ForestRow {
    let label = format!("{label} ({}/{})", e.events, e.n);
    match (e.hr, e.lower, e.upper) {
        (Some(hr), Some(lower), Some(upper)) => {
            ForestRow::new(label, hr, lower, upper, None).indented(indent)
        }
        _ => ForestRow {
            note: Some(e.note.clone().unwrap_or_else(|| "not estimable".into())),
            heading: false,
            ..ForestRow::heading(label)
        }
        .indented(indent),
    }
}

/// The rows of the plot: "All patients", then each variable's heading (p:
/// the interaction test) and levels. Labels end with "(events/patients)".
pub fn rows(out: &SubgroupOutput, test: InteractionTest) -> Vec<ForestRow> {
    let mut rows = vec![row("All patients".into(), &out.overall, 0)];
    for v in &out.subgroups {
        let p = v.interaction.as_ref().and_then(|i| match test {
            InteractionTest::LikelihoodRatio => i.lr.as_ref().map(|t| t.p),
            InteractionTest::Wald => i.wald.as_ref().map(|t| t.p),
        });
        rows.push(ForestRow {
            p,
            ..ForestRow::heading(v.label.clone())
        });
        for l in &v.levels {
            rows.push(row(l.level.clone().unwrap_or_default(), l, 1));
        }
    }
    rows
}

/// The figure: headers for a subgroup plot ("Subgroup (events/n)", "p for
/// interaction") and the sides of 1 named by the compared levels.
pub fn figure(out: &SubgroupOutput, test: InteractionTest) -> ForestFigure {
    let mut f = ForestFigure::hazard_ratios(rows(out, test));
    f.label_header = "Subgroup (events/n)".into();
    f.p_header = "p for interaction".into();
    f.estimate_header = format!("HR ({}% CI)", ci_percent(out.conf_level));
    f.x_label = format!(
        "Hazard ratio, {} vs {} (log scale)",
        out.versus, out.reference
    );
    f.favours = Some((
        format!("Favours {}", out.versus),
        format!("Favours {}", out.reference),
    ));
    f
}

/// `95` for 0.95, `90` for 0.9, `97.5` for 0.975.
fn ci_percent(level: f64) -> String {
    let pct = level * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{}", pct.round())
    } else {
        format!("{pct}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figure::Figure;
    use netra_analysis::analyses::subgroups::{InteractionOut, SubgroupVariable};
    use netra_analysis::analyses::survival::TestOut;

    fn effect(level: Option<&str>, hr: Option<f64>) -> SubgroupEffect {
        SubgroupEffect {
            level: level.map(String::from),
            n: 40,
            events: 30,
            n_versus: 20,
            events_versus: 14,
            hr,
            lower: hr.map(|h| h / 2.0),
            upper: hr.map(|h| h * 2.0),
            p: Some(0.2),
            coef: hr.map(f64::ln),
            se: Some(0.3),
            note: hr.is_none().then(|| "one arm only".to_string()),
        }
    }

    #[test]
    fn headings_carry_the_interaction_p_and_levels_their_counts() {
        let out = SubgroupOutput {
            title: "OS".into(),
            endpoint: "os".into(),
            from: "diagnosis".into(),
            units: "months".into(),
            arm: "sex".into(),
            arm_label: "Sex".into(),
            reference: "female".into(),
            versus: "male".into(),
            ties: "efron".into(),
            conf_level: 0.95,
            overall: effect(None, Some(0.8)),
            subgroups: vec![SubgroupVariable {
                variable: "grade".into(),
                label: "Grade".into(),
                levels: vec![effect(Some("G1"), Some(0.5)), effect(Some("G3"), None)],
                unknown: 3,
                interaction: Some(InteractionOut {
                    n: 80,
                    lr: Some(TestOut {
                        chisq: 1.0,
                        df: 1,
                        p: 0.317,
                    }),
                    wald: Some(TestOut {
                        chisq: 0.9,
                        df: 1,
                        p: 0.343,
                    }),
                }),
            }],
        };
        let r = rows(&out, InteractionTest::LikelihoodRatio);
        assert_eq!(r.len(), 4);
        assert_eq!(r[0].label, "All patients (30/40)");
        assert!(r[1].heading && r[1].p == Some(0.317));
        assert_eq!(r[2].p, None, "no per-level p");
        assert_eq!(r[3].note.as_deref(), Some("one arm only"));
        assert_eq!(rows(&out, InteractionTest::Wald)[1].p, Some(0.343));
        let svg = figure(&out, InteractionTest::LikelihoodRatio)
            .to_svg()
            .unwrap();
        assert!(svg.contains("p for interaction"));
        assert!(svg.contains("Favours male"));
        assert_eq!(svg.matches("class=\"estimate\"").count(), 2);
    }
}
