//! `netra rates`: objective response and disease control rates with exact
//! (Clopper–Pearson, default) or Wilson intervals, by group, from a CSV
//! column of best overall responses (CR, PR, MR, SD, Non-CR/Non-PD, PD, NE
//! or common words such as "partial regression", "stabilization").
//! The rates and tests come from the analysis layer
//! (`netra_analysis::analyses::rates`); this command reads and prints.

use std::collections::BTreeMap;
use std::path::PathBuf;

use std::fmt::Write as _;

use netra_analysis::analyses::rates::rates_by_label;
use netra_clinical::response::Category;
use netra_frame::Frame;

use super::response::{Ci, rates_text};

use crate::output::{Format, write_stdout};

/// Arguments of `netra rates`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV file with a header row.
    #[arg(long, value_name = "FILE")]
    pub data: PathBuf,
    /// Column holding each patient's best overall response.
    #[arg(long, value_name = "COL")]
    pub response: String,
    /// Grouping column (rates per group and Fisher's exact test across them).
    #[arg(long, value_name = "COL")]
    pub group: Option<String>,
    /// Interval.
    #[arg(long, value_enum, default_value_t)]
    pub ci: Ci,
    /// Confidence level.
    #[arg(long, default_value_t = 0.95, value_name = "L")]
    pub conf_level: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    pub format: Format,
}

/// Runs `netra rates`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let mut wanted = vec![args.response.as_str()];
    if let Some(g) = &args.group {
        wanted.push(g);
    }
    let frame = Frame::read(&args.data, Some(&wanted))?;
    let resp = frame.column(&args.response)?;
    let group = args.group.as_deref().map(|g| frame.column(g)).transpose()?;
    let mut by: BTreeMap<String, Vec<Category>> = BTreeMap::new();
    let mut dropped = 0usize;
    for row in 0..frame.n_rows() {
        let Some(text) = resp.text(row) else {
            dropped += 1;
            continue;
        };
        let g = match group {
            Some(c) => match c.text(row) {
                Some(g) => g.to_string(),
                None => {
                    dropped += 1;
                    continue;
                }
            },
            None => "all".to_string(),
        };
        let cat = Category::parse(text).ok_or_else(|| {
            resp.error(
                row,
                "not a response category (CR, PR, MR, SD, Non-CR/Non-PD, PD, NE)",
            )
        })?;
        by.entry(g).or_default().push(cat);
    }
    if by.is_empty() {
        anyhow::bail!(
            "{}: no row has a response ({dropped} rows missing it)",
            frame.source_name()
        );
    }
    let mut out = serde_json::to_value(rates_by_label(by, args.ci.into(), args.conf_level)?)?;
    out["n_dropped"] = serde_json::json!(dropped);
    let mut s = String::new();
    match args.format {
        Format::Json => s = serde_json::to_string_pretty(&out)? + "\n",
        Format::Table => {
            s = rates_text(&out);
            if dropped > 0 {
                let _ = writeln!(
                    s,
                    "  ({dropped} rows without a response or group were left out)"
                );
            }
        }
        Format::Csv => {
            let _ = writeln!(
                s,
                "group,n,CR,PR,MR,SD,PD,NE,orr,orr_lower,orr_upper,dcr,dcr_lower,dcr_upper"
            );
            for g in out["groups"].as_array().into_iter().flatten() {
                let c = &g["counts"];
                let _ = writeln!(
                    s,
                    "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    g["group"].as_str().unwrap_or(""),
                    g["n"],
                    c["CR"],
                    c["PR"],
                    c["MR"],
                    c["SD"],
                    c["PD"],
                    c["NE"],
                    g["orr"]["estimate"],
                    g["orr"]["lower"],
                    g["orr"]["upper"],
                    g["dcr"]["estimate"],
                    g["dcr"]["lower"],
                    g["dcr"]["upper"]
                );
            }
        }
    }
    write_stdout(&s)
}
