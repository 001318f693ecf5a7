//! `netra audit verify`, `netra audit head` and `netra audit log`.
//!
//! `verify` checks three things: the hash chain of the trail (no entry
//! altered, removed or reordered), the registry against the trail replayed
//! (no record added, changed or removed without an entry), and with
//! `--head HASH` that an anchor recorded earlier with `netra audit head` is
//! still in the chain (the trail was not cut back, nor rewritten and
//! rehashed, before it).

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
    /// Check the hash chain of the whole audit trail (fails naming the first
    /// altered, deleted or reordered entry) and that the registry is exactly
    /// what replaying the trail produces (fails naming the first record
    /// added, changed or removed without an audit entry).
    Verify {
        #[command(flatten)]
        db: DbArgs,
        /// A head hash recorded earlier with `netra audit head`: it must
        /// still be an entry of the chain.
        #[arg(long, value_name = "HASH")]
        head: Option<String>,
    },
    /// Print the hash of the last audit entry, to record outside the
    /// database (then `netra audit verify --head HASH`).
    Head {
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
        AuditCommand::Verify { db, head } => {
            let location = db.location();
            let (v, state, anchor) = block_on(async {
                let registry = Registry::open(&location).await?;
                let checked = async {
                    let (v, state) = registry.verify_audit_and_state().await?;
                    let anchor = match &head {
                        Some(h) => Some(registry.audit_seq_of(h.trim()).await?),
                        None => None,
                    };
                    Ok::<_, netra_store::StoreError>((v, state, anchor))
                }
                .await;
                registry.close().await;
                checked
            })??;
            if !v.is_intact() {
                for p in &v.problems {
                    eprintln!("error: {p}");
                }
                anyhow::bail!(
                    "the audit trail has been tampered with: the chain breaks at entry {}",
                    v.problems[0].seq
                );
            }
            if let (Some(h), Some(found)) = (&head, anchor) {
                match found {
                    Some(seq) => println!("recorded head {}: entry {seq} of the chain", h.trim()),
                    None => anyhow::bail!(
                        "the recorded head {} is not in the audit trail: entries were removed, \
                         or rewritten and rehashed",
                        h.trim()
                    ),
                }
            }
            if let Some(first) = &state.first {
                eprintln!("error: {first}");
                anyhow::bail!(
                    "the registry was changed outside netra: {} record(s) differ from the audit trail",
                    state.differences
                );
            }
            match &v.head {
                Some((seq, hash)) => println!(
                    "audit trail intact: {} entries; head: entry {seq}, hash {hash}",
                    v.entries
                ),
                None => println!("audit trail intact: no entries yet"),
            }
            println!(
                "registry matches the audit trail: {} records",
                state.records
            );
            Ok(())
        }
        AuditCommand::Head { db } => {
            let location = db.location();
            let head = block_on(async {
                let registry = Registry::open(&location).await?;
                let h = registry.audit_head().await;
                registry.close().await;
                h
            })??;
            match head {
                Some((_, hash)) => println!("{hash}"),
                None => anyhow::bail!("the audit trail has no entries yet"),
            }
            Ok(())
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
