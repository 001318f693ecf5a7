//! `netra node`: a centre's node of the federation
//! (docs/federated-deployment.md): polls its hub, answers under its policy,
//! audits every request and answer in its registry.

use std::path::PathBuf;

use anyhow::Context;
use netra_hub::{ApprovalQueue, Decision, Node, NodePolicy, TOKEN_ENV, auth, decide};
use netra_store::{Location, Registry};

use super::federation_plug;

/// Arguments of `netra node`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The node's policy file (TOML).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Answer every round of a held run.
    Approve {
        /// The run's id (`netra node pending` lists them).
        id: String,
        /// Who decides, for the audit trail (default: $USER).
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
    /// Refuse a held run; the reason is shown to the analyst.
    Refuse {
        /// The run's id.
        id: String,
        /// Why.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// Who decides, for the audit trail (default: $USER).
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
    /// List the jobs held for approval.
    Pending,
    /// Print this node's identity key (Ed25519, hex) as a line the other
    /// centres add to their policy's `[analysis.peers]`: with peers
    /// enrolled, a node masks only with run keys their identities signed.
    Identity,
}

fn user(given: Option<String>) -> anyhow::Result<String> {
    given
        .or_else(|| std::env::var("USER").ok())
        .filter(|u| !u.trim().is_empty())
        .context("who decides? give --user NAME (or set $USER)")
}

/// Runs `netra node`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let path = args
        .config
        .context("give the node's policy: netra node --config FILE")?;
    let policy = NodePolicy::load(&path)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let registry = Registry::open(&Location::parse(&policy.registry)).await?;
        match args.action {
            None => serve(policy, registry).await,
            Some(Action::Identity) => {
                let secret = federation_plug::node_secret(&policy.queue_dir)?;
                println!("{:?} = \"{}\"", policy.name, secret.identity_hex());
                Ok(())
            }
            Some(Action::Pending) => {
                for job in ApprovalQueue::open(&policy.queue_dir)?.pending()? {
                    println!(
                        "{}\tround {}\tstudy {}\t{}\t{}",
                        job.id, job.round, job.study, job.analysis, job.body
                    );
                }
                Ok(())
            }
            Some(Action::Approve { id, user: u }) => {
                let n = decide(&policy, &registry, &id, Decision::Approved, &user(u)?).await?;
                println!("run {id} approved ({n} job(s) held); the node answers at its next poll");
                Ok(())
            }
            Some(Action::Refuse {
                id,
                reason,
                user: u,
            }) => {
                decide(
                    &policy,
                    &registry,
                    &id,
                    Decision::Refused(reason),
                    &user(u)?,
                )
                .await?;
                println!("run {id} refused");
                Ok(())
            }
        }
    })
}

async fn serve(policy: NodePolicy, registry: Registry) -> anyhow::Result<()> {
    let token = auth::read_token(policy.token_file.as_deref(), TOKEN_ENV)?;
    let responder = federation_plug::responder(registry.clone(), &policy).await?;
    let node = Node::new(policy, token, registry, responder)?;
    eprintln!(
        "netra node {} polling {}",
        node.policy().name,
        node.policy().hub
    );
    node.run_until(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}
