//! The node's approval queue: jobs held until a person decides
//! (`netra node approve RUN-ID`, `netra node refuse RUN-ID`).
//!
//! Files in the policy's `queue_dir`, so that the decision can come from
//! another process than the running node: `pending/RUN-ROUND.json` holds a
//! job, `decided/RUN.json` the decision on a run, which covers all its
//! rounds (a Cox fit's Newton iterations are approved once).

use std::path::{Path, PathBuf};

use netra_federation::protocol::Job;
use serde::{Deserialize, Serialize};

use crate::HubError;

/// A person's decision on a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Answer every round of the run.
    Approved,
    /// Refuse it, with this reason (shown to the analyst).
    Refused(String),
}

/// The queue in one directory.
#[derive(Debug, Clone)]
pub struct ApprovalQueue {
    dir: PathBuf,
}

/// Run ids come from the hub and name files here: only letters, digits,
/// `-` and `_` are accepted.
pub fn valid_run_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> HubError {
    HubError::Io(format!("cannot {what} {}: {e}", path.display()))
}

impl ApprovalQueue {
    /// Opens (creates) the queue in `dir`.
    pub fn open(dir: &Path) -> Result<ApprovalQueue, HubError> {
        for sub in ["pending", "decided"] {
            let d = dir.join(sub);
            std::fs::create_dir_all(&d).map_err(|e| io("create", &d, e))?;
        }
        Ok(ApprovalQueue {
            dir: dir.to_path_buf(),
        })
    }

    fn checked(id: &str) -> Result<&str, HubError> {
        if valid_run_id(id) {
            Ok(id)
        } else {
            Err(HubError::Io(format!("'{id}' is not a run id")))
        }
    }

    fn pending_path(&self, job: &Job) -> Result<PathBuf, HubError> {
        Ok(self
            .dir
            .join("pending")
            .join(format!("{}-{}.json", Self::checked(&job.id)?, job.round)))
    }

    /// The decision on run `id`, once made.
    pub fn decision(&self, id: &str) -> Result<Option<Decision>, HubError> {
        let path = self
            .dir
            .join("decided")
            .join(format!("{}.json", Self::checked(id)?));
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| io("read", &path, e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("read", &path, e)),
        }
    }

    /// Holds `job` until its run is decided.
    pub fn hold(&self, job: &Job) -> Result<(), HubError> {
        let path = self.pending_path(job)?;
        let text = serde_json::to_string_pretty(job).map_err(|e| io("write", &path, e))?;
        std::fs::write(&path, text).map_err(|e| io("write", &path, e))
    }

    /// Removes a held job (once answered or refused).
    pub fn release(&self, job: &Job) -> Result<(), HubError> {
        let path = self.pending_path(job)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("remove", &path, e)),
        }
    }

    /// The held jobs, by run id then round.
    pub fn pending(&self) -> Result<Vec<Job>, HubError> {
        let dir = self.dir.join("pending");
        let mut jobs = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| io("list", &dir, e))? {
            let path = entry.map_err(|e| io("list", &dir, e))?.path();
            if path.extension().is_some_and(|x| x == "json") {
                let text = std::fs::read_to_string(&path).map_err(|e| io("read", &path, e))?;
                jobs.push(serde_json::from_str::<Job>(&text).map_err(|e| io("read", &path, e))?);
            }
        }
        jobs.sort_by(|a, b| (&a.id, a.round).cmp(&(&b.id, b.round)));
        Ok(jobs)
    }

    /// Records the decision on run `id` (a run already decided keeps its
    /// first decision, which is returned as an error).
    pub fn decide(&self, id: &str, decision: &Decision) -> Result<(), HubError> {
        if let Some(d) = self.decision(id)? {
            return Err(HubError::Io(format!("run {id} was already decided: {d:?}")));
        }
        let path = self
            .dir
            .join("decided")
            .join(format!("{}.json", Self::checked(id)?));
        let text = serde_json::to_string(decision).map_err(|e| io("write", &path, e))?;
        std::fs::write(&path, text).map_err(|e| io("write", &path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn held_jobs_wait_for_one_decision_per_run() {
        let dir = tempfile::tempdir().unwrap();
        let q = ApprovalQueue::open(dir.path()).unwrap();
        let job = Job {
            id: "run1".into(),
            study: "s".into(),
            analysis: "km".into(),
            round: 0,
            body: json!({"x": 1}),
        };
        q.hold(&job).unwrap();
        assert_eq!(q.pending().unwrap(), vec![job.clone()]);
        assert_eq!(q.decision("run1").unwrap(), None);
        q.decide("run1", &Decision::Approved).unwrap();
        assert_eq!(q.decision("run1").unwrap(), Some(Decision::Approved));
        assert!(q.decide("run1", &Decision::Refused("no".into())).is_err());
        q.release(&job).unwrap();
        assert!(q.pending().unwrap().is_empty());
        let evil = Job {
            id: "../x".into(),
            ..job
        };
        assert!(q.hold(&evil).is_err());
    }
}
