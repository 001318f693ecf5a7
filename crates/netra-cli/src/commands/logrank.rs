//! `netra logrank` (not implemented yet).

/// Arguments of `netra logrank`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `netra logrank`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("netra logrank is not implemented yet")
}
