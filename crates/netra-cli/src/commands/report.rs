//! `netra report STUDY.toml --out DIR`: runs a study file (see
//! `docs/study-file.md`) and writes its tables (HTML, Markdown, CSV, LaTeX),
//! figures (SVG, PNG), `report.html`, `summary.json` and `manifest.json`.
//! A study whose `[data]` names a federation runs its `[[analysis]]`
//! entries at the hub (`netra_study::federated`).

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
    if args.db.is_none() {
        let study = netra_study::Study::read(&args.study)?;
        if let Some(fed) = netra_study::federated::federation_of(&study) {
            return federated(&args, fed, browser.as_deref());
        }
    }
    let opts = RunOptions {
        db: args.db,
        data_display: None,
        study_display: None,
        dpi: args.dpi,
        png: !args.no_png,
        simulator: Some(super::simulate::write_for_study),
    };
    let result = run(&args.study, &args.out, &opts)?;
    let pdf = print_pdf(browser.as_deref(), &args.out)?;
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

/// A study over a federation: each `[[analysis]]` runs at the hub.
/// `report.pdf` printed from `out/report.html` when a browser was found
/// (`--pdf`); the line the summary prints about it.
fn print_pdf(browser: Option<&std::path::Path>, out: &std::path::Path) -> anyhow::Result<String> {
    let Some(b) = browser else {
        return Ok(String::new());
    };
    let pdf = out.join("report.pdf");
    crate::pdf::print(b, &out.join("report.html"), &pdf)?;
    netra_study::run::add_to_manifest(out, "report.pdf")?;
    Ok(format!("pdf: {}\n", pdf.display()))
}

fn federated(
    args: &Args,
    fed: &netra_study::spec::FederationSource,
    browser: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let token = netra_hub::auth::read_token(fed.token_file.as_deref(), super::federate::TOKEN_ENV)?;
    let client = netra_hub::HubClient::new(
        &fed.hub,
        token,
        fed.ca.as_deref(),
        std::time::Duration::from_secs(60),
    )?;
    let result = netra_study::federated::run_federated(
        &args.study,
        &args.out,
        netra_federation::ANALYSES,
        None,
        &mut |analysis, request| {
            super::federate::run_remote(
                &client,
                netra_hub::RunSpec {
                    study: fed.study.clone(),
                    analysis: analysis.to_owned(),
                    request,
                    allow_missing: fed.allow_missing,
                },
            )
            .map_err(|e| format!("{e:#}"))
        },
    )?;
    let pdf = print_pdf(browser, &args.out)?;
    crate::output::write_stdout(&format!(
        "{}\n{} patients analysed at the federation's nodes; {} analyses\nreport: {}\n{pdf}manifest: {}\n",
        result.title,
        result.patients,
        result
            .outputs
            .iter()
            .filter(|o| o.path.starts_with("analyses/"))
            .count(),
        args.out.join("report.html").display(),
        args.out.join("manifest.json").display(),
    ))
}
