//! `netra report STUDY.toml --out DIR`: runs a study file (see
//! `docs/study-file.md`) and writes its tables (HTML, Markdown, CSV, LaTeX),
//! figures (SVG, PNG), `report.html`, `summary.json` and `manifest.json`.

use std::path::PathBuf;

use netra_study::{RunOptions, run};

/// Arguments of `netra report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The study file (TOML).
    study: PathBuf,
    /// Output directory (created; files of the same names are replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Registry to analyse instead of the study file's [data] (SQLite path,
    /// sqlite://PATH or postgres://…).
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Resolution of the PNG figures.
    #[arg(long, default_value_t = 300.0)]
    dpi: f64,
    /// Write SVG figures only.
    #[arg(long)]
    no_png: bool,
    /// Also print report.html to report.pdf with headless Chromium
    /// (`chromium` on PATH or $NETRA_CHROMIUM; an error without it).
    #[arg(long)]
    pdf: bool,
}

/// Runs `netra report`.
pub fn run_command(args: Args) -> anyhow::Result<()> {
    if !(72.0..=1200.0).contains(&args.dpi) {
        anyhow::bail!("--dpi must be between 72 and 1200");
    }
    // Looked for before the study runs: a missing browser fails at once.
    let browser = if args.pdf {
        Some(crate::pdf::find_chromium()?)
    } else {
        None
    };
    let opts = RunOptions {
        db: args.db,
        data_display: None,
        study_display: None,
        dpi: args.dpi,
        png: !args.no_png,
        simulator: Some(super::simulate::write_for_study),
    };
    let result = run(&args.study, &args.out, &opts)?;
    let pdf = match &browser {
        Some(b) => {
            let pdf = args.out.join("report.pdf");
            crate::pdf::print(b, &args.out.join("report.html"), &pdf)?;
            format!("pdf: {}\n", pdf.display())
        }
        None => String::new(),
    };
    let tables = result
        .outputs
        .iter()
        .filter(|o| o.path.starts_with("tables/") && o.path.ends_with(".csv"))
        .count();
    let figures = result
        .outputs
        .iter()
        .filter(|o| o.path.starts_with("figures/") && o.path.ends_with(".svg"))
        .count();
    crate::output::write_stdout(&format!(
        "{}\n{} patients analysed; {tables} table(s), {figures} figure(s)\nreport: {}\n{pdf}manifest: {}\n",
        result.title,
        result.patients,
        args.out.join("report.html").display(),
        args.out.join("manifest.json").display(),
    ))
}
