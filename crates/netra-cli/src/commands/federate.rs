//! `netra federate ANALYSIS`: submits a federated run to a hub, shows each
//! node's progress, and prints the output JSON.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use netra_hub::{HubClient, RunSpec, RunState, RunStatus, auth};

/// The environment variable an analyst's token is read from without
/// `--token-file`.
pub(crate) const TOKEN_ENV: &str = "NETRA_HUB_TOKEN";

/// Arguments of `netra federate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The analysis (`km`, `logrank`, `cox`, `cuminc`, `report` …).
    analysis: String,
    /// The hub's URL (https://…).
    #[arg(long, value_name = "URL")]
    hub: String,
    /// The study the run belongs to.
    #[arg(long, value_name = "NAME")]
    study: String,
    /// File holding your analyst token (else $NETRA_HUB_TOKEN); never give
    /// a token on the command line.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// The analysis request (JSON), as the analysis layer reads it.
    #[arg(long, value_name = "FILE.json")]
    request: Option<PathBuf>,
    /// Go on without nodes that are down instead of waiting for them.
    #[arg(long)]
    allow_missing: bool,
    /// The hub's CA certificate (PEM) to pin instead of the system's roots.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// `report` only: also write the report as one HTML page here.
    #[arg(long, value_name = "FILE.html")]
    out: Option<PathBuf>,
}

/// Runs `netra federate`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let token = auth::read_token(args.token_file.as_deref(), TOKEN_ENV)?;
    let request = match &args.request {
        Some(f) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not JSON", f.display()))?
        }
        None => serde_json::Value::Null,
    };
    let client = HubClient::new(
        &args.hub,
        token,
        args.ca.as_deref(),
        Duration::from_secs(60),
    )?;
    if args.analysis == "report" {
        return super::federate_report::run(
            &client,
            &args.study,
            &request,
            args.allow_missing,
            args.out.as_deref(),
        );
    }
    if args.out.is_some() {
        anyhow::bail!("--out is for `netra federate report`");
    }
    let out = run_remote(
        &client,
        RunSpec {
            study: args.study,
            analysis: args.analysis,
            request,
            allow_missing: args.allow_missing,
        },
    )?;
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

/// Submits one run to the hub, shows each node's progress on standard
/// error, and returns the run's output JSON (or why it failed).
pub(crate) fn run_remote(client: &HubClient, spec: RunSpec) -> anyhow::Result<serde_json::Value> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let last = rt.block_on(async {
        let id = client.submit(&spec).await?;
        eprintln!("{} run {id} submitted to {}", spec.analysis, client.base());
        let bars = Bars::new();
        let last = client
            .follow(&id, Duration::from_millis(500), |s| bars.show(s))
            .await?;
        bars.finish();
        anyhow::Ok(last)
    })?;
    match last.state {
        RunState::Done => {
            if !last.missing.is_empty() {
                eprintln!("went on without: {}", last.missing.join(", "));
            }
            // What travelled, for the analyst and the benchmarks.
            eprintln!(
                "{} rounds; {} bytes sent to the nodes, {} bytes received",
                last.round + 1,
                last.bytes_sent,
                last.bytes_received
            );
            Ok(last.output.unwrap_or_default())
        }
        _ => anyhow::bail!(
            "the {} run failed: {}",
            spec.analysis,
            last.error.unwrap_or_else(|| "no reason given".into())
        ),
    }
}

/// One line per node on standard error.
struct Bars {
    multi: MultiProgress,
    bars: std::cell::RefCell<Vec<ProgressBar>>,
}

impl Bars {
    fn new() -> Bars {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: std::cell::RefCell::new(Vec::new()),
        }
    }

    fn show(&self, s: &RunStatus) {
        let mut bars = self.bars.borrow_mut();
        while bars.len() < s.nodes.len() {
            let bar = self.multi.add(ProgressBar::new_spinner());
            bar.set_style(
                ProgressStyle::with_template("{spinner} {prefix:<16} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            bars.push(bar);
        }
        for (bar, n) in bars.iter().zip(&s.nodes) {
            bar.set_prefix(n.node.clone());
            let state = serde_json::to_value(n.state)
                .ok()
                .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                .unwrap_or_default();
            let detail = n
                .detail
                .as_deref()
                .map(|d| format!(" — {d}"))
                .unwrap_or_default();
            bar.set_message(format!(
                "round {}: {state}{detail} ({} answered)",
                s.round, n.rounds_answered
            ));
        }
    }

    fn finish(&self) {
        for bar in self.bars.borrow().iter() {
            bar.finish();
        }
    }
}
