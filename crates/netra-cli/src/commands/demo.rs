//! `netra demo`: the README's main command. With no setup it creates an
//! embedded registry in `./netra-demo/`, imports the bundled 32-patient
//! radionuclide cohort (2004) and a simulated registry of 1000 patients,
//! runs the two example studies (`examples/studies/`) and writes one offline
//! report of both, then prints where it is and the key numbers.
//!
//! The cohort and the study files are compiled into the binary, so the demo
//! runs from any directory on a fresh machine. The work is done by
//! `netra_study::demo`; this module prints.

use std::path::PathBuf;
use std::time::Instant;

use netra_study::demo::{DemoOptions, DemoResult, run_demo};
use serde_json::{Value, json};

use crate::output::{Format, write_stdout};

/// Arguments of `netra demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory of the registry, data and report (created; its registry is
    /// recreated on every run).
    #[arg(long, value_name = "DIR", default_value = "netra-demo")]
    out: PathBuf,
    /// Patients of the simulated registry.
    #[arg(long, default_value_t = 1000)]
    patients: u64,
    /// Seed of the simulated registry.
    #[arg(long, default_value_t = 2009)]
    seed: u64,
    /// Write SVG figures only (faster).
    #[arg(long)]
    no_png: bool,
    /// Output of the summary: a table for reading, or JSON (every key number).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

fn num(v: &Value) -> Option<f64> {
    v.as_f64()
}

fn f1(v: &Value) -> String {
    num(v).map_or("NR".into(), |x| format!("{x:.1}"))
}

fn pct(v: &Value) -> String {
    num(v).map_or("—".into(), |x| format!("{:.1}%", 100.0 * x))
}

fn p_text(p: &Value) -> String {
    match num(p) {
        Some(p) => netra_report::format::p_equals(Some(p)),
        None => "p not computed".into(),
    }
}

/// One curve: "19 patients, 5 deaths, median NR (22.0–NR), 1-year 89.2%".
fn curve_line(c: &Value, unit: &str) -> String {
    let median = if c["median"].is_null() {
        format!(
            "median not reached{}",
            num(&c["median_lower"]).map_or(String::new(), |l| format!(" (95% CI {l:.1}–NR)"))
        )
    } else {
        format!(
            "median {} {unit} (95% CI {}–{})",
            f1(&c["median"]),
            f1(&c["median_lower"]),
            f1(&c["median_upper"])
        )
    };
    let first = &c["at_times"][0];
    format!(
        "{} patients, {} deaths, {median}, {}-month survival {}",
        c["n"],
        num(&c["events"]).map_or("?".into(), |e| format!("{e:.0}")),
        num(&first["time"]).map_or("?".into(), |t| format!("{t:.0}")),
        pct(&first["survival"])
    )
}

fn summary_text(r: &DemoResult, seconds: f64) -> String {
    let mut t = String::from(
        "netra demo — two studies of metastatic neuroendocrine tumours on an embedded registry\n",
    );
    t.push_str(&format!("registry: {}\n\n", r.registry.display()));
    for (k, (name, s)) in r.studies.iter().enumerate() {
        let f = &s.facts;
        t.push_str(&format!(
            "{}. {} ({} patients)\n",
            k + 1,
            s.title,
            s.patients
        ));
        match name.as_str() {
            "radionuclide" => {
                t.push_str(
                    "   Group A treated with 111In-pentetreotide or 131I-MIBG, group B untreated \
                     (radionuclide therapy, 2004); overall survival from study entry:\n",
                );
                if let Some(g) = f.get("os_by_group") {
                    for c in g["curves"].as_array().into_iter().flatten() {
                        t.push_str(&format!(
                            "   {:<22} {}\n",
                            c["group"].as_str().unwrap_or(""),
                            curve_line(c, "months")
                        ));
                    }
                    let lr = &g["logrank"];
                    t.push_str(&format!(
                        "   Log-rank test: chi-square = {:.2} on {} df, {}\n",
                        num(&lr["chisq"]).unwrap_or(f64::NAN),
                        lr["df"],
                        p_text(&lr["p"])
                    ));
                }
            }
            "retrospective" => {
                if let Some(all) = f.get("os_by_characteristic.all") {
                    t.push_str(&format!(
                        "   Overall survival from metastatic diagnosis: median {} months (95% CI \
                         {}–{}), 3-year {}\n",
                        f1(&all["median"]),
                        f1(&all["median_lower"]),
                        f1(&all["median_upper"]),
                        pct(&all["at_times"][0]["survival"])
                    ));
                }
                if let Some(g) = f.get("os_by_characteristic.grade") {
                    let medians: Vec<String> = g["curves"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|c| {
                            format!("{} {}", c["group"].as_str().unwrap_or(""), f1(&c["median"]))
                        })
                        .collect();
                    t.push_str(&format!(
                        "   By grade (median months): {}; log-rank {}\n",
                        medians.join(", "),
                        p_text(&g["logrank"]["p"])
                    ));
                }
                if let Some(l) = f.get("lines") {
                    for row in l["lines"].as_array().into_iter().flatten() {
                        t.push_str(&format!(
                            "   Line {}: {} patients, median TTP {} months, ORR {}, DCR {}\n",
                            row["line"],
                            row["n"],
                            f1(&row["median"]),
                            pct(&row["orr"]),
                            pct(&row["dcr"])
                        ));
                    }
                }
                if let Some(c) = f.get("cox_os") {
                    let terms: Vec<String> = c["terms"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(k, _)| k.starts_with("grade="))
                        .filter_map(|(k, v)| {
                            let m = &v["multivariate"];
                            num(&m["hr"]).map(|hr| {
                                format!(
                                    "{} HR {hr:.2} ({:.2}–{:.2})",
                                    k.trim_start_matches("grade="),
                                    num(&m["lower"]).unwrap_or(f64::NAN),
                                    num(&m["upper"]).unwrap_or(f64::NAN)
                                )
                            })
                        })
                        .collect();
                    if !terms.is_empty() {
                        t.push_str(&format!(
                            "   Cox model (multivariate, vs G1): {}\n",
                            terms.join(", ")
                        ));
                    }
                }
            }
            _ => {}
        }
        t.push('\n');
    }
    t.push_str(&format!(
        "Report: {}  (open it in a browser; works offline)\n",
        r.report.display()
    ));
    t.push_str(&format!(
        "Each study's tables (HTML, Markdown, CSV, LaTeX) and figures (SVG, PNG): {}\n",
        r.report
            .parent()
            .map_or(PathBuf::from("report"), |d| d.join("report"))
            .display()
    ));
    t.push_str(&format!(
        "Done in {seconds:.1} s. Run a study file yourself: netra report examples/studies/radionuclide.toml --out DIR\n"
    ));
    t
}

/// Runs `netra demo`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let started = Instant::now();
    let opts = DemoOptions {
        dir: args.out,
        patients: args.patients,
        seed: args.seed,
        png: !args.no_png,
        simulator: Some(super::simulate::write_for_study),
        ..DemoOptions::default()
    };
    let result = run_demo(&opts)?;
    let seconds = started.elapsed().as_secs_f64();
    match args.format {
        Format::Json => {
            let v = json!({
                "report": result.report.display().to_string(),
                "registry": result.registry.display().to_string(),
                "studies": result
                    .studies
                    .iter()
                    .map(|(name, s)| json!({
                        "name": name,
                        "title": s.title,
                        "patients": s.patients,
                        "facts": Value::Object(s.facts.clone().into_iter().collect()),
                    }))
                    .collect::<Vec<_>>(),
            });
            write_stdout(&format!("{}\n", serde_json::to_string_pretty(&v)?))
        }
        _ => write_stdout(&summary_text(&result, seconds)),
    }
}
