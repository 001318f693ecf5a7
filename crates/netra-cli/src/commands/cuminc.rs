//! `netra cuminc` (not implemented yet).

/// Arguments of `netra cuminc`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `netra cuminc`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("netra cuminc is not implemented yet")
}
