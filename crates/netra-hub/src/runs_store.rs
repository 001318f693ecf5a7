//! Runs kept across restarts of the hub (`state_dir` in the hub's
//! configuration): one small JSON file per run, `RUN-ID.json`, written when
//! the run is submitted and again when it ends (atomically: a temporary
//! file renamed over the old one, so a crash leaves the old or the new
//! version, never half of one).
//!
//! A restarted hub lists its finished runs with their outputs as before.
//! A run that was still going on when the hub stopped cannot be resumed:
//! its coordinator (the Newton iteration, the masks' round numbers, the
//! nodes' keys of the run) lived in memory, and replaying it would ask the
//! nodes again under the same run id, which their query logs refuse. Such
//! a run is marked failed on loading, with a reason that says to submit it
//! again, and the file is rewritten so that the answer stays the same on
//! the next restart.
//!
//! A file holds the analyst's request and the pooled output — what the hub
//! knows anyway — and never a node's answer: the transcript of masked
//! vectors is not kept.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use netra_federation::protocol::NodeId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::HubError;
use crate::wire::{RunSpec, RunState};

/// What the hub keeps of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedRun {
    /// The run's id.
    pub id: String,
    /// The analyst who submitted it.
    #[serde(default)]
    pub analyst: String,
    /// The submission.
    pub spec: RunSpec,
    /// The study's nodes at submission.
    pub nodes: Vec<NodeId>,
    /// Running, done or failed.
    pub state: RunState,
    /// The last round.
    pub round: u32,
    /// Rounds each node answered.
    #[serde(default)]
    pub answered: BTreeMap<NodeId, u32>,
    /// Nodes the run went on without.
    #[serde(default)]
    pub missing: Vec<NodeId>,
    /// The output, once done.
    #[serde(default)]
    pub output: Option<Value>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
    /// Bytes sent to the nodes.
    #[serde(default)]
    pub bytes_sent: u64,
    /// Bytes received from them.
    #[serde(default)]
    pub bytes_received: u64,
}

/// The reason given for a run the hub was stopped during.
pub const INTERRUPTED: &str = "the hub was restarted while this run was going on; a run \
    cannot be resumed (its masks and iterations were kept in memory only): submit it again";

/// The directory of saved runs.
#[derive(Debug, Clone)]
pub struct RunStore {
    dir: PathBuf,
}

fn io(what: &str, path: &Path, e: impl std::fmt::Display) -> HubError {
    HubError::Io(format!("{what} {}: {e}", path.display()))
}

impl RunStore {
    /// Opens (creating, readable by its owner only) the directory.
    pub fn open(dir: &Path) -> Result<RunStore, HubError> {
        std::fs::create_dir_all(dir).map_err(|e| io("cannot create", dir, e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io("cannot protect", dir, e))?;
        }
        Ok(RunStore {
            dir: dir.to_owned(),
        })
    }

    fn path(&self, id: &str) -> Option<PathBuf> {
        crate::queue::valid_run_id(id).then(|| self.dir.join(format!("{id}.json")))
    }

    /// Writes `run` (replacing its earlier version).
    pub fn save(&self, run: &SavedRun) -> Result<(), HubError> {
        let path = self
            .path(&run.id)
            .ok_or_else(|| HubError::Io(format!("'{}' is not a run id", run.id)))?;
        let text = serde_json::to_vec_pretty(run).map_err(|e| HubError::Io(e.to_string()))?;
        let tmp = self.dir.join(format!(".{}.json.tmp", run.id));
        std::fs::write(&tmp, text).map_err(|e| io("cannot write", &tmp, e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("cannot write", &path, e))
    }

    /// Every saved run, oldest file first; runs that were going on are
    /// marked failed ([`INTERRUPTED`]) and saved so. A file that does not
    /// read as a run is an error naming it (the hub does not start on a
    /// state it cannot read).
    pub fn load(&self) -> Result<Vec<SavedRun>, HubError> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = Vec::new();
        for entry in std::fs::read_dir(&self.dir).map_err(|e| io("cannot read", &self.dir, e))? {
            let entry = entry.map_err(|e| io("cannot read", &self.dir, e))?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || !name.ends_with(".json") {
                continue;
            }
            let modified = entry
                .metadata()
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            files.push((modified, path));
        }
        files.sort();
        let mut runs = Vec::new();
        for (_, path) in files {
            let text = std::fs::read(&path).map_err(|e| io("cannot read", &path, e))?;
            let mut run: SavedRun =
                serde_json::from_slice(&text).map_err(|e| io("cannot read the run", &path, e))?;
            if self.path(&run.id).as_deref() != Some(path.as_path()) {
                return Err(io("a run file is not named by its id:", &path, &run.id));
            }
            if run.state == RunState::Running {
                run.state = RunState::Failed;
                run.error = Some(INTERRUPTED.into());
                self.save(&run)?;
            }
            runs.push(run);
        }
        Ok(runs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(id: &str, state: RunState) -> SavedRun {
        SavedRun {
            id: id.into(),
            analyst: "alice".into(),
            spec: RunSpec {
                study: "s".into(),
                analysis: "survival".into(),
                request: json!({"by": "sex"}),
                allow_missing: false,
            },
            nodes: vec!["a".into(), "b".into(), "c".into()],
            state,
            round: 2,
            answered: BTreeMap::new(),
            missing: Vec::new(),
            output: (state == RunState::Done).then(|| json!({"cohort": 3})),
            error: None,
            bytes_sent: 10,
            bytes_received: 20,
        }
    }

    #[test]
    fn finished_runs_come_back_and_unfinished_ones_are_failed_for_good() {
        let dir = tempfile::tempdir().unwrap();
        let store = RunStore::open(&dir.path().join("runs")).unwrap();
        store.save(&run("aa01", RunState::Done)).unwrap();
        store.save(&run("bb02", RunState::Running)).unwrap();
        let loaded = RunStore::open(&dir.path().join("runs"))
            .unwrap()
            .load()
            .unwrap();
        let by: BTreeMap<&str, &SavedRun> = loaded.iter().map(|r| (r.id.as_str(), r)).collect();
        assert_eq!(by["aa01"], &run("aa01", RunState::Done));
        assert_eq!(by["bb02"].state, RunState::Failed);
        assert_eq!(by["bb02"].error.as_deref(), Some(INTERRUPTED));
        // Rewritten: a second restart reads the same.
        let again = store.load().unwrap();
        assert_eq!(again.len(), 2);
        assert!(again.iter().all(|r| r.state != RunState::Running));
        // Not a run id: refused, nothing written outside the directory.
        assert!(store.save(&run("../x", RunState::Done)).is_err());
        std::fs::write(dir.path().join("runs/cc03.json"), "{").unwrap();
        assert!(store.load().unwrap_err().to_string().contains("cc03"));
    }
}
