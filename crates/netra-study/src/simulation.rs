//! What a simulated registry's simulator knows that its records do not
//! (`simulation.json` beside the bundle: the truth of the registry and the
//! simulation study's coverage), as a report table. The study cannot
//! compute them: the truth needs both potential outcomes of every patient
//! and the coverage needs many registries, so the simulator (netra-sim,
//! linked only by the binary) writes them and the study reports them
//! beside its own analysis of the one registry.

use netra_report::table::{Align, Row, Table};
use serde_json::Value;

fn num(v: &Value, digits: usize) -> String {
    v.as_f64()
        .map_or_else(|| "—".into(), |x| format!("{x:.digits$}"))
}

fn count(v: &Value, of: &Value) -> String {
    match (v.as_u64(), of.as_u64()) {
        (Some(k), Some(n)) if n > 0 => {
            format!("{k}/{n} ({:.0}%)", 100.0 * k as f64 / n as f64)
        }
        _ => "—".into(),
    }
}

/// The table of a `simulation.json` (`None`: nothing in it to show).
pub fn table(sim: &Value) -> Option<Table> {
    let truth = sim.get("truth").filter(|t| !t.is_null());
    let cov = sim.get("coverage").filter(|c| !c.is_null());
    if truth.is_none() && cov.is_none() {
        return None;
    }
    let mut t = Table::new(
        "Simulated registry: the truth and the simulation study",
        &["Quantity", "Value"],
    );
    t.align = vec![Align::Left, Align::Left];
    if let Some(tr) = truth {
        let tau = num(&tr["tau"], 0);
        t.push(Row::new([
            "True per-protocol hazard ratio (C→E vs E→C)".to_string(),
            num(&tr["hr"], 3),
        ]));
        t.push(Row::new([
            format!("True RMST difference at {tau} months (months)"),
            num(&tr["rmst_difference"], 2),
        ]));
    }
    if let Some(c) = cov {
        let n = &c["registries"];
        t.push(Row::new([
            "Simulated registries (seeds 1 to N) × patients".to_string(),
            format!("{} × {}", num(n, 0), num(&c["patients"], 0)),
        ]));
        for (label, key) in [
            ("Emulated trial: 95% CI of the HR held the truth", "hr"),
            (
                "Emulated trial: 95% CI of the RMST difference held the truth",
                "rmst_difference",
            ),
            (
                "Naive comparison: 95% CI of the HR held the truth",
                "naive_hr",
            ),
        ] {
            t.push(Row::new([label.to_string(), count(&c[key], n)]));
        }
    }
    t.footnotes.push(
        "The truth is the effect a trial with full adherence would estimate, from both \
         potential outcomes of every simulated patient; the simulation study analyses each \
         registry by clone–censor–weight (deviation models per decision on log Ki-67, ECOG, \
         liver burden, age, progression and time) and naively (patients by the sequence \
         received, from time zero). docs/algorithms/sequence-effects.md."
            .into(),
    );
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn truth_and_coverage_rows() {
        let t = table(&json!({
            "truth": {"hr": 0.7764, "rmst_difference": 2.391, "tau": 36.0},
            "coverage": {"registries": 20, "patients": 2000, "fitted": 20, "hr": 19,
                          "rmst_difference": 20, "naive_hr": 0, "tau": 36.0}
        }))
        .unwrap();
        let cells: Vec<String> = t.body.iter().map(|r| r.cells[1].text.clone()).collect();
        assert_eq!(
            cells,
            [
                "0.776",
                "2.39",
                "20 × 2000",
                "19/20 (95%)",
                "20/20 (100%)",
                "0/20 (0%)"
            ]
        );
        assert!(t.body[1].cells[0].text.contains("36 months"));
    }

    #[test]
    fn nothing_to_show() {
        assert!(table(&json!({"truth": null, "coverage": null})).is_none());
        // Truth without a simulation study: two rows.
        let t = table(&json!({"truth": {"hr": 0.8, "rmst_difference": 1.0, "tau": 36}})).unwrap();
        assert_eq!(t.body.len(), 2);
    }
}
