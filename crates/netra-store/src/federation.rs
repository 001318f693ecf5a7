//! A federated node's requests and answers in the audit chain (issue 17).
//!
//! Each job a node receives from a hub, each answer or refusal it sends,
//! and each approval decision is one `insert` entry of the pseudo-table
//! [`FEDERATION_LOG`] (no registry table has that name, so the state check
//! that replays records ignores it), chained like every other entry: the
//! record key is the JSON array `[run, round, event]` and `new_values` the
//! JSON text of the job or answer, so `netra audit` shows exactly what left
//! the centre.

use crate::audit::{Action, Actor, AuditWriter, push_json_str};
use crate::{Registry, StoreError, import};

/// The `table_name` of federation entries in the audit trail.
pub const FEDERATION_LOG: &str = "federation";

impl Registry {
    /// Appends one federation event (`event` is `"request"`, `"answer"`,
    /// `"approval"` …; `body` the JSON text sent or received) to the audit
    /// chain as its own change set by `actor`.
    pub async fn log_federation(
        &self,
        actor: &Actor,
        run: &str,
        round: &str,
        event: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        let mut key = String::from("[");
        push_json_str(&mut key, run);
        key.push(',');
        push_json_str(&mut key, round);
        key.push(',');
        push_json_str(&mut key, event);
        key.push(']');
        let mut tx = import::begin_write(&self.pool, self.backend()).await?;
        let mut audit = AuditWriter::start(&mut tx, self.backend(), actor.clone()).await?;
        audit.record(Action::Insert, FEDERATION_LOG, &key, None, Some(body));
        audit.flush(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
