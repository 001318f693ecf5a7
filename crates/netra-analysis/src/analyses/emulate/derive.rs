//! From a patient's lines to the emulated trial's data: time zero,
//! eligibility, follow-up, and per strategy the deviation time and the
//! windows in which a deviation could happen (the grace periods). Pure:
//! days in, days out, so every rule is a unit test.
//!
//! # The rules (days from time zero)
//! A strategy is a list of steps ("everolimus", then "chemotherapy"); a
//! line follows a step when its class code or one of its regimen's agents
//! is the step's code. With the lines after time zero `L1, L2, …`:
//! * Step 1 must start within `grace` days: the patient deviates at the
//!   start of `L1` when `L1` does not follow step 1, and at `grace` when
//!   nothing started by then (alive and followed). The window is `[0,
//!   min(start of L1, grace)]`.
//! * Step j > 1 must start within `switch_grace` days of progression on
//!   the line of step j − 1: the patient deviates at the start of the next
//!   line when it does not follow step j (also when it starts before that
//!   progression), and at progression + `switch_grace` when nothing started
//!   by then. The window runs from progression (or the next line's start,
//!   whichever is first) to the next line's start or the grace end.
//! * After the last step the strategy is complete: nothing later deviates.
//! * Nothing deviates after the end of follow-up; a death in a grace
//!   period, before anything started, is a death in every strategy.

/// A line after time zero, as the emulation needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineAfter {
    /// Start, days from time zero.
    pub start: f64,
    /// Progression on the line, days from time zero (`None`: none seen).
    pub progression: Option<f64>,
    /// Codes that name the line: its class and its regimen's agents.
    pub codes: Vec<String>,
}

impl LineAfter {
    /// The line follows the step `code`.
    pub fn follows(&self, code: &str) -> bool {
        self.codes.iter().any(|c| c.eq_ignore_ascii_case(code))
    }
}

/// Deviation time and windows of one patient under one strategy.
#[derive(Debug, Clone, PartialEq)]
pub struct Adherence {
    /// Deviation (days), `None`: none during follow-up; `Some(0)`: not
    /// compatible at time zero.
    pub deviation: Option<f64>,
    /// Windows in which a deviation could happen.
    pub windows: Vec<[f64; 2]>,
}

/// The adherence of a patient followed for `end` days after time zero,
/// with `lines` (in start order, starting at or after time zero).
pub fn adherence(
    lines: &[LineAfter],
    end: f64,
    steps: &[String],
    grace: f64,
    switch_grace: f64,
) -> Adherence {
    let mut windows = Vec::new();
    // The window of step 1 opens at time zero.
    let mut open = 0.0f64;
    let mut limit = grace;
    for (j, step) in steps.iter().enumerate() {
        let next = lines.get(j);
        match next {
            Some(l) if l.start < end && l.start <= limit => {
                windows.push([open.min(l.start), l.start]);
                if !l.follows(step) {
                    return Adherence {
                        deviation: Some(l.start),
                        windows,
                    };
                }
                // Followed: the next step's window opens at progression
                // on this line (or at the next line, if that is earlier).
                let after = lines.get(j + 1).map(|n| n.start);
                let prog = l.progression;
                let opens = match (prog, after) {
                    (Some(p), Some(a)) => p.min(a),
                    (Some(p), None) => p,
                    (None, Some(a)) => a,
                    (None, None) => f64::INFINITY,
                };
                if j + 1 == steps.len() {
                    break;
                }
                if opens >= end {
                    break;
                }
                open = opens;
                // Without a progression the next line itself is the switch.
                limit = prog.map_or(f64::INFINITY, |p| p + switch_grace);
            }
            _ => {
                // Nothing (that counts) started in time.
                let close = limit.min(end);
                windows.push([open, close]);
                let deviation = (end > limit).then_some(limit);
                return Adherence { deviation, windows };
            }
        }
    }
    Adherence {
        deviation: None,
        windows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(start: f64, progression: Option<f64>, code: &str) -> LineAfter {
        LineAfter {
            start,
            progression,
            codes: vec![code.into()],
        }
    }

    fn steps() -> Vec<String> {
        vec!["everolimus".into(), "chemotherapy".into()]
    }

    #[test]
    fn a_patient_who_follows_both_steps_never_deviates() {
        let l = [
            line(20.0, Some(300.0), "everolimus"),
            line(330.0, None, "chemotherapy"),
        ];
        let a = adherence(&l, 900.0, &steps(), 90.0, 90.0);
        assert_eq!(a.deviation, None);
        assert_eq!(a.windows, vec![[0.0, 20.0], [300.0, 330.0]]);
    }

    #[test]
    fn the_other_drug_first_deviates_at_its_start() {
        let l = [line(20.0, Some(300.0), "chemotherapy")];
        let a = adherence(&l, 900.0, &steps(), 90.0, 90.0);
        assert_eq!(a.deviation, Some(20.0));
        assert_eq!(a.windows, vec![[0.0, 20.0]]);
        // Started on day 0: not compatible at time zero.
        let l = [line(0.0, None, "chemotherapy")];
        assert_eq!(
            adherence(&l, 900.0, &steps(), 90.0, 90.0).deviation,
            Some(0.0)
        );
    }

    #[test]
    fn nothing_in_the_grace_period_deviates_at_its_end_unless_dead() {
        let a = adherence(&[], 900.0, &steps(), 90.0, 90.0);
        assert_eq!(a.deviation, Some(90.0));
        assert_eq!(a.windows, vec![[0.0, 90.0]]);
        // Died on day 40 before anything started: a death in the strategy.
        let a = adherence(&[], 40.0, &steps(), 90.0, 90.0);
        assert_eq!(a.deviation, None);
        assert_eq!(a.windows, vec![[0.0, 40.0]]);
        // Started after the grace period: deviated at its end.
        let l = [line(120.0, None, "everolimus")];
        assert_eq!(
            adherence(&l, 900.0, &steps(), 90.0, 90.0).deviation,
            Some(90.0)
        );
    }

    #[test]
    fn no_switch_after_progression_deviates_at_the_switch_grace_end() {
        let l = [line(10.0, Some(200.0), "everolimus")];
        let a = adherence(&l, 900.0, &steps(), 90.0, 60.0);
        assert_eq!(a.deviation, Some(260.0));
        assert_eq!(a.windows, vec![[0.0, 10.0], [200.0, 260.0]]);
        // Something else at progression: deviated then.
        let l = [
            line(10.0, Some(200.0), "everolimus"),
            line(210.0, None, "radionuclide"),
        ];
        assert_eq!(
            adherence(&l, 900.0, &steps(), 90.0, 60.0).deviation,
            Some(210.0)
        );
        // A switch before progression to something else deviates too.
        let l = [
            line(10.0, Some(200.0), "everolimus"),
            line(150.0, None, "radionuclide"),
        ];
        let a = adherence(&l, 900.0, &steps(), 90.0, 60.0);
        assert_eq!(a.deviation, Some(150.0));
        assert_eq!(a.windows[1], [150.0, 150.0]);
        // Died 30 days after progression without a switch: no deviation.
        let l = [line(10.0, Some(200.0), "everolimus")];
        assert_eq!(adherence(&l, 230.0, &steps(), 90.0, 60.0).deviation, None);
    }
}
