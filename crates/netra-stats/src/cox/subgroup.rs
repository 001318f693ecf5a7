//! Subgroup analysis of a two-arm comparison: the hazard ratio of the arm
//! within each level of a subgrouping variable, and the interaction test —
//! the rows of a subgroup forest plot ("everolimus after chemotherapy: HR
//! 0.34; chemotherapy-naive: HR 0.42; p for interaction 0.6").
//!
//! For rows with arm `a ∈ {0, 1}` and subgroup level `g`:
//! * **overall**: `coxph(Surv(time, status) ~ a)` on every row;
//! * **within level `l`**: `coxph(Surv(time, status) ~ a, subset = g == l)`;
//!   a level without events or without both arms has no estimate (R would
//!   stop or print `NA`), with the reason in `note`;
//! * **interaction**: `fit0 <- coxph(Surv ~ a + factor(g))`, `fit1 <-
//!   coxph(Surv ~ a * factor(g))` on every row; the likelihood-ratio test
//!   is `anova(fit0, fit1)` and the Wald test is the quadratic form of the
//!   `a:factor(g)` coefficients of `fit1` (see [`super::terms`]). Levels
//!   enter in index order, the first level present being the reference;
//!   the tests do not depend on that choice.
//!
//! Rows whose level is `None` count in the overall model only, as a
//! patient with an unknown subgroup is still in the trial; the interaction
//! models use the rows with a level (R's `na.omit`), so its `n` is given.

use super::terms::{likelihood_ratio, wald_subset};
use super::{ChisqTest, CoxCoefficient, CoxData, CoxError, CoxFit, CoxOptions, coxph};

/// The arm's hazard ratio in a set of rows.
#[derive(Debug, Clone, PartialEq)]
pub struct ArmEffect {
    /// Rows.
    pub n: usize,
    /// Events.
    pub events: usize,
    /// Rows in the comparison arm (`a = 1`).
    pub n_arm: usize,
    /// Events in the comparison arm.
    pub events_arm: usize,
    /// The arm's coefficient (`None` when no model could be fitted).
    pub coefficient: Option<CoxCoefficient>,
    /// Why there is no estimate, or R's warnings.
    pub note: Option<String>,
}

/// The interaction of the arm with the subgroup.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interaction {
    /// Rows of the interaction models.
    pub n: usize,
    /// Likelihood-ratio test of the model with the interaction against the
    /// model without it.
    pub lr: Option<ChisqTest>,
    /// Wald test of the interaction coefficients.
    pub wald: Option<ChisqTest>,
}

/// The subgroup analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct SubgroupFit {
    /// Every row.
    pub overall: ArmEffect,
    /// One per level index `0..levels`.
    pub levels: Vec<ArmEffect>,
    /// The interaction test (`None` with fewer than two levels present).
    pub interaction: Option<Interaction>,
}

/// Fits the arm in `rows` (an arm model of one column).
fn arm_effect(
    time: &[f64],
    event: &[bool],
    arm: &[bool],
    rows: &[usize],
    opts: &CoxOptions,
) -> ArmEffect {
    let t: Vec<f64> = rows.iter().map(|&i| time[i]).collect();
    let e: Vec<bool> = rows.iter().map(|&i| event[i]).collect();
    let x: Vec<f64> = rows.iter().map(|&i| f64::from(u8::from(arm[i]))).collect();
    let mut out = ArmEffect {
        n: rows.len(),
        events: e.iter().filter(|&&v| v).count(),
        n_arm: rows.iter().filter(|&&i| arm[i]).count(),
        events_arm: rows.iter().filter(|&&i| arm[i] && event[i]).count(),
        coefficient: None,
        note: None,
    };
    if out.n == 0 {
        out.note = Some("no patient".into());
        return out;
    }
    if out.events == 0 {
        out.note = Some("no event".into());
        return out;
    }
    if out.n_arm == 0 || out.n_arm == out.n {
        out.note = Some("one arm only".into());
        return out;
    }
    let names = vec!["arm".to_string()];
    let data = CoxData {
        time: &t,
        event: &e,
        start: None,
        x: &x,
        names: &names,
        weights: None,
        strata: None,
        cluster: None,
    };
    match coxph(&data, opts) {
        Ok(fit) => {
            if !fit.warnings.is_empty() {
                out.note = Some(fit.warnings.join("; "));
            }
            out.coefficient = fit.coefficients.into_iter().next();
        }
        Err(e) => out.note = Some(e.to_string()),
    }
    out
}

/// Fits the arm (column `arm`, `true` = comparison arm) within each of
/// `levels` subgroup levels (`level[i]`, `None`: unknown) and the
/// interaction test.
pub fn subgroup(
    time: &[f64],
    event: &[bool],
    arm: &[bool],
    level: &[Option<usize>],
    levels: usize,
    opts: &CoxOptions,
) -> Result<SubgroupFit, CoxError> {
    let n = time.len();
    if event.len() != n || arm.len() != n || level.len() != n {
        return Err(CoxError::LengthMismatch(
            "time, event, arm and level must have one value per row".into(),
        ));
    }
    let all: Vec<usize> = (0..n).collect();
    let overall = arm_effect(time, event, arm, &all, opts);
    let per: Vec<ArmEffect> = (0..levels)
        .map(|l| {
            let rows: Vec<usize> = (0..n).filter(|&i| level[i] == Some(l)).collect();
            arm_effect(time, event, arm, &rows, opts)
        })
        .collect();
    let interaction = interaction(time, event, arm, level, levels, opts)?;
    Ok(SubgroupFit {
        overall,
        levels: per,
        interaction,
    })
}

/// `anova(coxph(~ a + factor(g)), coxph(~ a * factor(g)))` and the Wald
/// test of the `a:g` columns.
fn interaction(
    time: &[f64],
    event: &[bool],
    arm: &[bool],
    level: &[Option<usize>],
    levels: usize,
    opts: &CoxOptions,
) -> Result<Option<Interaction>, CoxError> {
    let rows: Vec<usize> = (0..time.len()).filter(|&i| level[i].is_some()).collect();
    let present: Vec<usize> = (0..levels)
        .filter(|&l| rows.iter().any(|&i| level[i] == Some(l)))
        .collect();
    let events = rows.iter().filter(|&&i| event[i]).count();
    let arms = rows.iter().filter(|&&i| arm[i]).count();
    if present.len() < 2 || events == 0 || arms == 0 || arms == rows.len() {
        return Ok(None);
    }
    let t: Vec<f64> = rows.iter().map(|&i| time[i]).collect();
    let e: Vec<bool> = rows.iter().map(|&i| event[i]).collect();
    let a: Vec<f64> = rows.iter().map(|&i| f64::from(u8::from(arm[i]))).collect();
    // Indicators of the non-reference levels present.
    let ind: Vec<Vec<f64>> = present[1..]
        .iter()
        .map(|&l| {
            rows.iter()
                .map(|&i| f64::from(u8::from(level[i] == Some(l))))
                .collect()
        })
        .collect();
    let k = ind.len();
    let mut x: Vec<f64> = a.clone();
    let mut names = vec!["arm".to_string()];
    for (j, col) in ind.iter().enumerate() {
        x.extend_from_slice(col);
        names.push(format!("level{}", present[j + 1]));
    }
    let fit = |x: &[f64], names: &[String]| -> Result<CoxFit, CoxError> {
        coxph(
            &CoxData {
                time: &t,
                event: &e,
                start: None,
                x,
                names,
                weights: None,
                strata: None,
                cluster: None,
            },
            opts,
        )
    };
    let main = fit(&x, &names)?;
    for (j, col) in ind.iter().enumerate() {
        x.extend(col.iter().zip(&a).map(|(g, a)| g * a));
        names.push(format!("arm:level{}", present[j + 1]));
    }
    let full = fit(&x, &names)?;
    let cols: Vec<usize> = (1 + k..1 + 2 * k).collect();
    let df = cols
        .iter()
        .filter(|&&j| full.coefficients[j].coef.is_some_and(f64::is_finite))
        .count();
    Ok(Some(Interaction {
        n: rows.len(),
        lr: likelihood_ratio(full.loglik, main.loglik, df),
        wald: wald_subset(&full, &cols, opts.toler_chol),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mismatched_lengths_are_errors_and_empty_levels_have_notes() {
        let opts = CoxOptions::default();
        assert!(subgroup(&[1.0], &[true], &[true, false], &[None], 1, &opts).is_err());
        let time = [1.0, 2.0, 3.0, 4.0];
        let event = [true, true, false, true];
        let arm = [true, false, true, false];
        let level = [Some(0), Some(0), Some(0), Some(0)];
        let fit = subgroup(&time, &event, &arm, &level, 2, &opts).unwrap();
        assert_eq!(fit.levels[1].note.as_deref(), Some("no patient"));
        assert!(fit.levels[0].coefficient.is_some());
        // One level present: no interaction to test.
        assert!(fit.interaction.is_none());
    }
}
