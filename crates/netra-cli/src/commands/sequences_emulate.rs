//! `netra sequences --emulate TRIAL.toml`: the target trial of sequence
//! strategies by clone–censor–weight (`netra_analysis::analyses::emulate`).
//! The TOML file is the layer's `EmulateRequest` (the same fields as a
//! study file's `[[analysis]] name = "emulate"` request); `--bootstrap N`
//! and `--seed S` override its bootstrap. The bootstrap draws a progress
//! bar on stderr (hidden with `--quiet` or when stderr is not a terminal).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use netra_analysis::analyses::emulate::{self, EmulateOutput, EmulateRequest};
use netra_analysis::analyses::weighting::EstimateOut;
use netra_analysis::{Cohort, CohortSpec};
use netra_clinical::registry::model::PatientCourse;

use crate::output::{Format, write_stdout};

/// Reads the trial file.
pub fn read_request(path: &Path) -> anyhow::Result<EmulateRequest> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the trial file {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Runs the emulation on the loaded courses and prints it.
pub fn run(
    path: &Path,
    courses: Vec<PatientCourse>,
    settings: netra_analysis::settings::Settings,
    bootstrap: Option<usize>,
    seed: Option<u64>,
    quiet: bool,
    format: Format,
) -> anyhow::Result<()> {
    let mut request = read_request(path)?;
    if let Some(b) = bootstrap {
        request.bootstrap = b;
    }
    if let Some(s) = seed {
        request.seed = s;
    }
    let cohort = Cohort::new(courses, &CohortSpec::default(), settings)?;
    let bar = if quiet || request.bootstrap == 0 {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(
            Some(request.bootstrap as u64),
            ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            ProgressStyle::with_template(
                "bootstrap [{bar:25}] {pos}/{len} replicates ({elapsed}, ETA {eta})",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    };
    let out = emulate::run_with_progress(&cohort, &request, &mut |done, _| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let text = match format {
        Format::Json => serde_json::to_string_pretty(&out)? + "\n",
        Format::Csv => csv(&out),
        Format::Table => table(&out),
    };
    write_stdout(&text)
}

fn ci(e: &Option<EstimateOut>, digits: usize) -> String {
    e.as_ref().map_or("—".into(), |e| {
        format!(
            "{:.d$} ({:.d$} to {:.d$})",
            e.estimate,
            e.lower,
            e.upper,
            d = digits
        )
    })
}

/// The clinician's table: eligibility, arms, naive vs emulated contrasts.
pub fn table(o: &EmulateOutput) -> String {
    let mut s = String::new();
    let pct = 100.0 * o.conf_level;
    let _ = writeln!(
        s,
        "Target-trial emulation (clone-censor-weight): {}",
        o.title
    );
    let _ = writeln!(
        s,
        "{} of {} patients eligible; grace {} days to start, {} days to switch after progression",
        o.eligible, o.cohort, o.grace_days, o.switch_grace_days
    );
    for r in &o.ineligible {
        let _ = writeln!(s, "  not eligible: {} ({})", r.reason, r.n);
    }
    if !o.arms.is_empty() {
        let _ = writeln!(s, "\nArms");
        let _ = writeln!(
            s,
            "  {:<34} {:>7} {:>10} {:>7} {:>9} {:>22}",
            "strategy", "clones", "censored", "deaths", "row ESS", "RMST, months (SE)"
        );
        for a in &o.arms {
            let _ = writeln!(
                s,
                "  {:<34} {:>7} {:>10} {:>7} {:>9} {:>22}",
                a.strategy,
                a.clones,
                a.deviations,
                a.events,
                a.weights
                    .as_ref()
                    .map_or("—".into(), |w| format!("{:.1}", w.ess)),
                match (a.rmst, a.rmst_se) {
                    (Some(r), Some(se)) => format!("{r:.2} ({se:.2})"),
                    (Some(r), None) => format!("{r:.2}"),
                    _ => "—".into(),
                }
            );
        }
    }
    for c in &o.contrasts {
        let _ = writeln!(s, "\n{} vs {} ({pct:.0}% CI)", c.strategy, c.reference);
        let _ = writeln!(
            s,
            "  HR, naive (by sequence received, n = {}): {}",
            c.n_naive,
            ci(&c.hr_naive, 2)
        );
        let _ = writeln!(
            s,
            "  HR, clones without weights:      {}",
            ci(&c.hr_unweighted, 2)
        );
        let _ = writeln!(s, "  HR, emulated trial (weighted):    {}", ci(&c.hr, 2));
        if let Some(b) = c.hr_bootstrap {
            let _ = writeln!(s, "    bootstrap: {:.2} to {:.2}", b.lower, b.upper);
        }
        let _ = writeln!(
            s,
            "  RMST difference at {} months:     {}",
            o.tau.map_or("—".into(), |t| format!("{t:.1}")),
            ci(&c.rmst_difference, 2)
        );
        if let Some(b) = c.rmst_bootstrap {
            let _ = writeln!(s, "    bootstrap: {:.2} to {:.2}", b.lower, b.upper);
        }
        for d in &c.survival_difference {
            let _ = writeln!(
                s,
                "  survival difference at {} months: {}{}",
                d.time,
                ci(&Some(d.difference), 3),
                d.bootstrap.map_or(String::new(), |b| format!(
                    " (bootstrap {:.3} to {:.3})",
                    b.lower, b.upper
                ))
            );
        }
        if let Some(e) = c.evalue {
            let _ = writeln!(s, "  E-value: {:.2} (CI limit {:.2})", e.point, e.ci);
        }
    }
    if let Some(b) = o.bootstrap {
        let _ = writeln!(
            s,
            "\nBootstrap: {} replicates (seed {}), {} failed; weights re-estimated in each",
            b.replicates, b.seed, b.failed
        );
    }
    if let Some(m) = o.max_abs_smd_after {
        let _ = writeln!(
            s,
            "Largest |SMD| after weighting at the end of the grace period: {m:.3}"
        );
    }
    for w in &o.warnings {
        let _ = writeln!(s, "note: {w}");
    }
    s
}

fn csv(o: &EmulateOutput) -> String {
    let mut s = String::from("strategy,reference,measure,estimate,lower,upper,p\n");
    let num = |x: f64| format!("{x}");
    for c in &o.contrasts {
        let mut row = |m: &str, e: &Option<EstimateOut>| {
            if let Some(e) = e {
                let _ = writeln!(
                    s,
                    "{},{},{m},{},{},{},{}",
                    crate::output::csv_field(&c.strategy),
                    crate::output::csv_field(&c.reference),
                    num(e.estimate),
                    num(e.lower),
                    num(e.upper),
                    e.p.map_or("NA".into(), num)
                );
            }
        };
        row("hr_naive", &c.hr_naive);
        row("hr_unweighted", &c.hr_unweighted);
        row("hr", &c.hr);
        row("rmst_difference", &c.rmst_difference);
        for d in &c.survival_difference {
            row(
                &format!("survival_difference_{}", d.time),
                &Some(d.difference),
            );
        }
    }
    s
}
