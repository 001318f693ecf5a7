//! The `netra` command. A thin layer: it parses arguments, reads files
//! through `netra-frame`, calls the statistics and domain crates, and prints.
//! No statistic is computed here.

mod commands;
mod engine;
mod input;
mod lesions;
mod output;
mod pdf;
mod plot;

use std::process::ExitCode;

/// mimalloc instead of the system allocator: registry imports allocate many
/// small strings on one thread and free them on the database driver's
/// thread, the pattern glibc's allocator handles worst (see
/// BENCHMARKS.md, "Registry import"). Built with `no_thp` (workspace
/// Cargo.toml): no huge-page advice on its arenas, whose first touches
/// otherwise zeroed 2 MiB each (BENCHMARKS.md, "Allocator settings").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};

/// netra — registry and outcomes analysis for metastatic neuroendocrine tumours.
#[derive(Debug, Parser)]
#[command(name = "netra", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bundled example studies and write their report (no setup needed).
    Demo(commands::demo::Args),
    /// Run a study file: tables, figures, report.html and a manifest.
    Report(commands::report::Args),
    /// Kaplan–Meier survival curves, medians, landmark rates and RMST.
    Km(commands::km::Args),
    /// Compare survival curves: log-rank and weighted variants, trend, pairwise.
    Logrank(commands::logrank::Args),
    /// Cumulative incidence of competing risks and Gray's test.
    Cuminc(Box<commands::cuminc::Args>),
    /// Tumour response (RECIST 1.1, WHO, Choi, mRECIST, study TOML) from a lesion CSV.
    Response(commands::response::Args),
    /// Group comparisons: chi-square, Fisher, t, Welch, Mann–Whitney.
    Compare(commands::compare::Args),
    /// Response rates (ORR, DCR) with exact or Wilson intervals, by group.
    Rates(commands::rates::Args),
    /// Create the registry database (or upgrade its schema).
    Init(commands::init::Args),
    /// Import a bundle directory, a flat survival CSV, a REDCap project or a per-patient sheet.
    Import(commands::import::Args),
    /// Export the registry as a bundle directory.
    Export(commands::export::Args),
    /// Check a bundle without writing anything.
    Validate(commands::validate::Args),
    /// Show a patient's course (`netra patient show CODE`).
    Patient(commands::patient::Args),
    /// Verify or view the audit trail.
    Audit(commands::audit::Args),
    /// Write a synthetic metastatic-NET registry bundle calibrated to a published cohort.
    Simulate(commands::simulate::Args),
    /// Time-to-event endpoints (OS, PFS, TTP, …) from the registry; ADTTE export/import.
    Endpoints(Box<commands::endpoints::Args>),
    /// Each patient's lines of therapy and treatment sequence from the registry.
    Lines(Box<commands::lines::Args>),
    /// Treatment pathways, share reaching each line, per-line outcome, Sankey data.
    Sequences(Box<commands::sequences::Args>),
    /// Cox regression: hazard ratios, tests, concordance, cox.zph, Fine–Gray.
    Cox(Box<commands::cox::Args>),
    /// Any registered analysis on the registry's cohort (`netra analyse --list`).
    Analyse(Box<commands::analyse::Args>),
    /// Run the web application (accounts, data entry, timelines, analyses, JSON API).
    Serve(commands::serve::Args),
    /// Manage the web application's accounts (`netra user add NAME --role administrator`).
    User(commands::user::Args),
    /// The federation's hub: analysts submit runs, nodes fetch jobs (HTTPS).
    Hub(commands::hub::Args),
    /// A centre's federation node: answers its hub's jobs under its policy.
    Node(commands::node::Args),
    /// Run a federated analysis through a hub, showing each node's progress.
    Federate(commands::federate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Report(args) => commands::report::run_command(args),
        Command::Km(args) => commands::km::run(args),
        Command::Logrank(args) => commands::logrank::run(args),
        Command::Cuminc(args) => commands::cuminc::run(*args),
        Command::Response(args) => commands::response::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Rates(args) => commands::rates::run(args),
        Command::Init(args) => commands::init::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Validate(args) => commands::validate::run(args),
        Command::Patient(args) => commands::patient::run(args),
        Command::Audit(args) => commands::audit::run(args),
        Command::Simulate(args) => commands::simulate::run(args),
        Command::Endpoints(args) => commands::endpoints::run(*args),
        Command::Lines(args) => commands::lines::run(*args),
        Command::Sequences(args) => commands::sequences::run(*args),
        Command::Cox(args) => commands::cox::run(*args),
        Command::Analyse(args) => commands::analyse::run(*args),
        Command::Serve(args) => commands::serve::run(args),
        Command::User(args) => commands::user::run(args),
        Command::Hub(args) => commands::hub::run(args),
        Command::Node(args) => commands::node::run(args),
        Command::Federate(args) => commands::federate::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
