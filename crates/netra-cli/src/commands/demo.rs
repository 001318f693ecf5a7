//! `netra demo` (not implemented yet).

/// Arguments of `netra demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `netra demo`.
pub fn run(_args: Args) -> anyhow::Result<()> {
    anyhow::bail!("netra demo is not implemented yet")
}
