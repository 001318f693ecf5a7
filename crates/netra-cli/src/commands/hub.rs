//! `netra hub`: the federation's hub (docs/federated-deployment.md).

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use netra_hub::{HubConfig, auth, start_hub};

use super::federation_plug;

/// Arguments of `netra hub`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The hub's configuration file (TOML: listen, cert, key, nodes,
    /// analysts, studies).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    action: Option<Action>,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Write a fresh token to FILE (readable by you only) and print the
    /// line to put in the hub's configuration (its Argon2id hash).
    NewToken {
        /// Where to write the token (must not exist).
        file: PathBuf,
    },
}

/// Runs `netra hub`.
pub fn run(args: Args) -> anyhow::Result<()> {
    if let Some(Action::NewToken { file }) = args.action {
        return new_token(&file);
    }
    let path = args
        .config
        .context("give the hub's configuration: netra hub --config FILE")?;
    let config = HubConfig::load(&path)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut hub = start_hub(config, federation_plug::coordinators()).await?;
        println!("netra hub listening on https://{}", hub.addr());
        std::io::stdout().flush()?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = hub.join() => {}
        }
        Ok(())
    })
}

fn new_token(file: &std::path::Path) -> anyhow::Result<()> {
    let token = auth::new_token();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(file)
        .with_context(|| format!("cannot create {} (it must not exist)", file.display()))?;
    writeln!(f, "{token}")?;
    println!("token_hash = \"{}\"", auth::hash_token(&token)?);
    Ok(())
}
