//! `netra serve`: the web application (`crates/netra-server`,
//! `docs/web.md`) on the registry of `--db`.

use std::io::Write as _;

use anyhow::Context;
use netra_server::Config;
use netra_server::session::Lifetimes;
use netra_store::Registry;

use super::registry_args::DbArgs;

/// Arguments of `netra serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on. The default accepts connections from this
    /// machine only; put a TLS reverse proxy in front for other machines
    /// (see --tls-proxy). Port 0 picks a free port (printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    listen: String,
    /// The server is reached over HTTPS through a reverse proxy: session
    /// cookies become Secure (`__Host-` prefix) and the client address for
    /// rate limiting is the last X-Forwarded-For entry.
    #[arg(long)]
    tls_proxy: bool,
    /// Minutes without activity after which a session ends.
    #[arg(long, default_value_t = 30, value_name = "MIN")]
    session_idle_minutes: i64,
    /// Hours after login after which a session ends whatever the activity.
    #[arg(long, default_value_t = 12, value_name = "H")]
    session_hours: i64,
    /// Worker threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// The registry's minimum cell size: analysts see no count below it in
    /// analyses (docs/web.md, "What an analyst sees"; ≤ 1: none).
    #[arg(long, default_value_t = 5, value_name = "N")]
    min_cell: u64,
    /// Milliseconds a rate-limited login waits before it is refused, so
    /// that a flood of wrong passwords waits instead of taking CPU from
    /// the users (0: answer at once).
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    refusal_delay_ms: u64,
    /// Connect the analysis page to a federation hub: a TOML file with the
    /// keys of a study file's `[data] federation` table (`hub`, `study`,
    /// `token_file`, `ca`, `allow_missing`; docs/federated.md).
    #[arg(long, value_name = "FILE.toml")]
    federation: Option<std::path::PathBuf>,
}

/// Runs `netra serve`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.session_idle_minutes >= 1 && args.session_hours >= 1,
        "session lifetimes must be at least 1 minute and 1 hour"
    );
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if args.threads > 0 {
        rt.worker_threads(args.threads);
    }
    let rt = rt.build()?;
    let location = args.db.location();
    let federation = match &args.federation {
        Some(f) => Some(std::sync::Arc::new(
            netra_server::federated::HubLink::load(f)
                .map_err(|e| anyhow::anyhow!("{}", e.message()))?,
        )),
        None => None,
    };
    rt.block_on(async {
        let registry = Registry::open(&location).await?;
        // A fresh registry has no account: nobody could log in, so say how
        // to make the first one instead of serving a login page in vain.
        if netra_server::accounts::count_users(&registry).await? == 0 {
            eprintln!("{}", no_account_hint(args.db.db.as_deref()));
        }
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let config = Config {
            behind_tls_proxy: args.tls_proxy,
            sessions: Lifetimes {
                idle: args.session_idle_minutes * 60,
                absolute: args.session_hours * 3600,
            },
            min_cell: args.min_cell,
            refusal_delay_ms: args.refusal_delay_ms,
            federation,
            ..Config::default()
        };
        eprintln!(
            "netra serve: loading the registry at {} …",
            location.display()
        );
        let started = std::time::Instant::now();
        netra_server::serve(registry, config, listener, |addr| {
            eprintln!(
                "netra serve: registry index ready in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            println!("netra serve: listening on http://{addr}");
            let _ = std::io::stdout().flush();
        })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message()))?;
        eprintln!("netra serve: stopped");
        Ok(())
    })
}

/// What `netra serve` prints when the registry has no account yet: the
/// command that creates the first administrator, with this `--db`.
pub fn no_account_hint(db: Option<&str>) -> String {
    let db = db.map(|d| format!(" --db {d}")).unwrap_or_default();
    format!(
        "netra serve: this registry has no account yet, so nobody can log in.\n\
         Create the first administrator (the password is asked for), then log in:\n\
         \n    netra user add admin --role administrator{db}\n\n\
         More accounts can then be made on the web (Users) or with `netra user add`."
    )
}
