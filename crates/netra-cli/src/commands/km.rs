//! `netra km` (not implemented yet).

/// Arguments of `netra km`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `netra km`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("netra km is not implemented yet")
}
