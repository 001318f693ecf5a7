//! `netra audit verify` and `netra audit log`.

use netra_store::{AuditQuery, Registry};

use super::registry_args::{DbArgs, block_on};

/// Arguments of `netra audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, clap::Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole audit trail; fails naming the first
    /// altered, deleted or reordered entry.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Show audit entries (the most recent first page by default).
    Log {
        #[command(flatten)]
        db: DbArgs,
        /// Only this table (e.g. patient, treatment).
        #[arg(long)]
        table: Option<String>,
        /// Only this record: its key values, comma-separated (e.g. 18,rnt).
        #[arg(long)]
        key: Option<String>,
        /// How many entries (the most recent).
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Output format.
        #[arg(long, default_value = "table", value_parser = ["table", "json"])]
        format: String,
    },
}

/// Runs `netra audit`.
pub fn run(args: Args) -> anyhow::Result<()> {
    match args.command {
        AuditCommand::Verify { db } => {
            let location = db.location();
            let v = block_on(async {
                let registry = Registry::open(&location).await?;
                let v = registry.verify_audit().await;
                registry.close().await;
                v
            })??;
            if v.is_intact() {
                match &v.head {
                    Some((seq, hash)) => println!(
                        "audit trail intact: {} entries; head: entry {seq}, hash {hash}",
                        v.entries
                    ),
                    None => println!("audit trail intact: no entries yet"),
                }
                Ok(())
            } else {
                for p in &v.problems {
                    eprintln!("error: {p}");
                }
                anyhow::bail!(
                    "the audit trail has been tampered with: the chain breaks at entry {}",
                    v.problems[0].seq
                )
            }
        }
        AuditCommand::Log {
            db,
            table,
            key,
            limit,
            format,
        } => {
            let location = db.location();
            let q = AuditQuery {
                table,
                record_key: key.map(|k| {
                    serde_json::Value::Array(
                        k.split(',')
                            .map(|p| serde_json::Value::String(p.trim().to_string()))
                            .collect(),
                    )
                    .to_string()
                }),
                after_seq: None,
                limit: Some(limit),
            };
            let entries = block_on(async {
                let registry = Registry::open(&location).await?;
                let e = registry.audit_log(&q).await;
                registry.close().await;
                e
            })??;
            if format == "json" {
                let list: Vec<serde_json::Value> = entries
                    .iter()
                    .map(|e| {
                        serde_json::json!({
                            "seq": e.seq, "at": e.at, "actor": e.actor, "reason": e.reason,
                            "action": e.action, "table": e.table_name,
                            "key": serde_json::from_str::<serde_json::Value>(&e.record_key).ok(),
                            "old": e.old_values.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()),
                            "new": e.new_values.as_deref().and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()),
                            "hash": e.hash,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            for e in &entries {
                println!(
                    "#{} {} {} {} {} {}{}",
                    e.seq,
                    e.at,
                    e.actor,
                    e.action,
                    e.table_name,
                    e.record_key,
                    e.reason
                        .as_deref()
                        .map(|r| format!(" — {r}"))
                        .unwrap_or_default()
                );
                if let Some(o) = &e.old_values {
                    println!("    old {o}");
                }
                if let Some(n) = &e.new_values {
                    println!("    new {n}");
                }
            }
            if entries.is_empty() {
                println!("no audit entries");
            }
            Ok(())
        }
    }
}
