//! `netra response --plot FILE --spider`: the spider plot (% change of
//! the target sum from baseline over time, one line per patient coloured
//! by best overall response), drawn by netra-report's spider figure.
//!
//! Hundreds of lines are unreadable, so at most `--spider-max` patients
//! are drawn: every k-th patient in patient-code order (deterministic, so
//! the same file gives the same figure), and the title says so.

use netra_clinical::response::{Category, Measure, PatientResponse, Rules};
use netra_report::figure::spider::SpiderFigure;

use crate::plot::PlotArgs;

/// Weeks: the unit response assessments are scheduled in.
const DAYS_PER_WEEK: f64 = 7.0;

/// The patients drawn: all when `max` is 0 or not exceeded, else every
/// k-th in code order with k = ⌈n / max⌉; and k.
pub fn sample(results: &[PatientResponse], max: usize) -> (Vec<PatientResponse>, usize) {
    let mut sorted: Vec<&PatientResponse> = results.iter().collect();
    sorted.sort_by(|a, b| a.patient.cmp(&b.patient));
    if max == 0 || sorted.len() <= max {
        return (sorted.into_iter().cloned().collect(), 1);
    }
    let k = sorted.len().div_ceil(max);
    (sorted.into_iter().step_by(k).cloned().collect(), k)
}

/// The spider figure of `results` with the criteria's thresholds.
pub fn figure(
    plot: &PlotArgs,
    rules: &Rules,
    results: &[PatientResponse],
    max: usize,
) -> anyhow::Result<SpiderFigure> {
    let (drawn, k) = sample(results, max);
    let mut f = SpiderFigure::from_patients(
        &drawn,
        DAYS_PER_WEEK,
        plot.x_label(|| "Weeks since baseline".into()),
    )?;
    if f.lines.iter().all(|l| l.points.len() < 2) {
        anyhow::bail!(
            "--plot: no spider plot: no patient has a measured follow-up scan (the plot needs \
             the % change of the target sum from baseline over time)"
        );
    }
    let measure = if rules.measure == Measure::Product {
        "sum of products"
    } else {
        "sum of target lesions"
    };
    f.y_label = plot.y_label(&format!("Change in {measure} from baseline (%)"));
    let t = &rules.thresholds;
    let pr = t
        .bands
        .iter()
        .find(|(c, _)| *c == Category::PR)
        .or(t.bands.first())
        .map(|(_, b)| b.pct);
    f.thresholds = std::iter::once(t.pd_increase.pct)
        .map(|pd| (pd, format!("+{}%", super::response::trim_pct(pd))))
        .chain(pr.map(|pr| (-pr, format!("\u{2212}{}%", super::response::trim_pct(pr)))))
        .filter(|(v, _)| v.is_finite())
        .collect();
    let note = (k > 1).then(|| {
        format!(
            "{} of {} patients shown (every {}{} by patient code)",
            drawn.len(),
            results.len(),
            k,
            ordinal_suffix(k)
        )
    });
    f.title = match (plot.title(), note) {
        (t, None) => t,
        (t, Some(n)) if t.is_empty() => n,
        (t, Some(n)) => format!("{t} \u{2014} {n}"),
    };
    Ok(f)
}

fn ordinal_suffix(k: usize) -> &'static str {
    match (k % 10, k % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinals_read_as_english() {
        let s: Vec<&str> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 111]
            .iter()
            .map(|k| ordinal_suffix(*k))
            .collect();
        assert_eq!(
            s,
            ["st", "nd", "rd", "th", "th", "th", "th", "st", "nd", "th"]
        );
    }
}
