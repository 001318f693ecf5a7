//! The JSON messages of the hub's HTTP API (besides the protocol's
//! [`Job`](netra_federation::protocol::Job), which nodes receive as is).

use netra_federation::protocol::NodeId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An analyst's submission (`POST /runs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSpec {
    /// The study (the hub's configuration names its nodes and analysts).
    pub study: String,
    /// The analysis (`"km"`, `"cox"` …), as the coordinator factory knows it.
    pub analysis: String,
    /// The analysis request, passed to the coordinator factory as is.
    #[serde(default)]
    pub request: Value,
    /// Go on without nodes that are down or stop answering; otherwise the
    /// run waits for them until the round timeout and then fails naming them.
    #[serde(default)]
    pub allow_missing: bool,
}

/// The hub's answer to a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submitted {
    /// The run's id (`GET /runs/{id}`).
    pub id: String,
}

/// Where one node is in the current round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeState {
    /// Not asked in the current round (or the run has not started).
    Idle,
    /// Its job waits at the hub for the node to fetch it.
    Queued,
    /// The node fetched its job and is computing.
    Working,
    /// The node holds the job for manual approval.
    AwaitingApproval,
    /// The node answered the current round.
    Answered,
    /// The node refused (the reason is in `detail`).
    Refused,
    /// The node has not polled the hub recently: it is down or cut off.
    Down,
    /// The run went on without the node (`allow_missing`).
    Left,
}

/// One node's progress in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeProgress {
    /// The node.
    pub node: NodeId,
    /// Where it is.
    pub state: NodeState,
    /// Rounds it has answered so far.
    pub rounds_answered: u32,
    /// A refusal's reason, an approval note, or when it was last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    /// Waiting for nodes or answers.
    Running,
    /// Finished: `output` holds the result.
    Done,
    /// Stopped: `error` says why.
    Failed,
}

/// A run's progress and result (`GET /runs/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    /// The run's id.
    pub id: String,
    /// Its study.
    pub study: String,
    /// Its analysis.
    pub analysis: String,
    /// Running, done or failed.
    pub state: RunState,
    /// The current (or last) round, from 0.
    pub round: u32,
    /// Every node of the study, in name order.
    pub nodes: Vec<NodeProgress>,
    /// Nodes the run went on without (`allow_missing`).
    pub missing: Vec<NodeId>,
    /// The coordinator's output once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Why the run failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Bytes of job bodies sent to nodes (JSON text).
    pub bytes_sent: u64,
    /// Bytes of answers received from nodes (JSON text).
    pub bytes_received: u64,
}

/// One run as `GET /runs` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    /// The run's id.
    pub id: String,
    /// Its study.
    pub study: String,
    /// Its analysis.
    pub analysis: String,
    /// Running, done or failed.
    pub state: RunState,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a node says about one job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The responder's answer.
    Answer(Value),
    /// A refusal, with the reason shown to the analyst.
    Refused(String),
    /// Held for manual approval at the node (a note for the analyst); the
    /// answer or refusal follows when someone decides.
    Pending(String),
}

/// A node's message about one round (`POST /node/answers`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeAnswer {
    /// The run's id.
    pub id: String,
    /// The round answered.
    pub round: u32,
    /// The answer, refusal or approval note.
    pub outcome: Outcome,
}
