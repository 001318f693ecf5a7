//! The `netra` command. A thin layer: it parses arguments, reads files
//! through `netra-frame`, calls the statistics and domain crates, and prints.
//! No statistic is computed here.

mod commands;
// TODO(skeleton): drop these allows once the analysis commands use them.
#[allow(dead_code)]
mod input;
#[allow(dead_code)]
mod output;

use std::process::ExitCode;

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
    /// Run the bundled example analysis (the 32-patient radionuclide cohort).
    Demo(commands::demo::Args),
    /// Kaplan–Meier survival curves, medians, landmark rates and RMST.
    Km(commands::km::Args),
    /// Compare survival curves: log-rank and weighted variants, trend, pairwise.
    Logrank(commands::logrank::Args),
    /// Cumulative incidence of competing risks and Gray's test.
    Cuminc(commands::cuminc::Args),
    /// Cox regression: hazard ratios, tests, concordance, cox.zph, Fine–Gray.
    Cox(Box<commands::cox::Args>),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Km(args) => commands::km::run(args),
        Command::Logrank(args) => commands::logrank::run(args),
        Command::Cuminc(args) => commands::cuminc::run(args),
        Command::Cox(args) => commands::cox::run(*args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
