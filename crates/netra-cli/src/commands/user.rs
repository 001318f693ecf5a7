//! `netra user add|list|password`: accounts of the web application. The
//! first administrator is created here; later accounts can be made on the
//! web. Passwords are read from a prompt without echo (twice) or, when
//! standard input is not a terminal, from its first line — never from a
//! command-line flag, which would end up in shell histories and process
//! lists.

use std::io::{BufRead, IsTerminal};

use netra_server::accounts::{self, NewUser, Role};
use netra_server::clock::Clock;
use netra_store::Registry;

use super::registry_args::{DbArgs, block_on};

/// Arguments of `netra user`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, clap::Subcommand)]
enum UserCommand {
    /// Create an account (e.g. the first administrator).
    Add {
        /// Login name (letters, digits and . _ @ -).
        name: String,
        /// administrator, data_manager, investigator or analyst.
        #[arg(long)]
        role: String,
        /// Site of a data manager or investigator (repeat for several).
        #[arg(long = "site", value_name = "SITE")]
        sites: Vec<String>,
        /// Name shown on pages.
        #[arg(long)]
        display_name: Option<String>,
        #[command(flatten)]
        db: DbArgs,
    },
    /// List the accounts.
    List {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set an account's password (ends its sessions).
    Password {
        /// Login name.
        name: String,
        #[command(flatten)]
        db: DbArgs,
    },
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let a = rpassword::prompt_password("Password: ")?;
        let b = rpassword::prompt_password("Password again: ")?;
        anyhow::ensure!(a == b, "the two passwords differ");
        Ok(a)
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\n', '\r']).to_string())
    }
}

/// Runs `netra user`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        UserCommand::Add {
            name,
            role,
            sites,
            display_name,
            db,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow::anyhow!(
                    "unknown role '{role}' (administrator, data_manager, investigator, analyst)"
                )
            })?;
            accounts::validate_username(&name)?;
            let password = read_password()?;
            accounts::validate_password(&password)?;
            let hash = accounts::hash_password(&password)?;
            let location = db.location();
            block_on(async {
                let registry = Registry::open(&location).await?;
                let user = NewUser {
                    username: name.clone(),
                    display_name,
                    role,
                    sites,
                };
                let now = Clock::default().now();
                accounts::create_user(&registry, &user, &hash, now).await?;
                let _ = accounts::log_event(
                    &registry,
                    now,
                    Some(&name),
                    "user_created",
                    Some(&format!("netra user add: role {}", role.code())),
                    Some("command line"),
                )
                .await;
                registry.close().await;
                anyhow::Ok(())
            })??;
            println!("account '{name}' created ({})", role.label());
            Ok(())
        }
        UserCommand::List { db } => {
            let location = db.location();
            let users = block_on(async {
                let registry = Registry::open(&location).await?;
                let u = accounts::list_users(&registry).await?;
                registry.close().await;
                anyhow::Ok(u)
            })??;
            println!("{:<24} {:<14} {:<7} sites", "user", "role", "active");
            for u in users {
                println!(
                    "{:<24} {:<14} {:<7} {}",
                    u.username,
                    u.role.code(),
                    if u.active { "yes" } else { "no" },
                    if u.sites.is_empty() {
                        "all".to_string()
                    } else {
                        u.sites.join(",")
                    }
                );
            }
            Ok(())
        }
        UserCommand::Password { name, db } => {
            let password = read_password()?;
            accounts::validate_password(&password)?;
            let hash = accounts::hash_password(&password)?;
            let location = db.location();
            block_on(async {
                let registry = Registry::open(&location).await?;
                let now = Clock::default().now();
                accounts::set_password(&registry, &name, &hash, now, None).await?;
                let _ = accounts::log_event(
                    &registry,
                    now,
                    Some(&name),
                    "password_reset",
                    Some("netra user password"),
                    Some("command line"),
                )
                .await;
                registry.close().await;
                anyhow::Ok(())
            })??;
            println!("password of '{name}' set; its sessions have ended");
            Ok(())
        }
    }
}
