//! The hub: an HTTPS service where analysts submit runs and nodes fetch
//! jobs, and one task per run that drives the run's
//! [`Coordinator`] round by round.
//!
//! # A round
//!
//! The coordinator says [`Next::Ask`]; the hub queues the round's [`Job`]
//! for each node asked, wakes their long polls, and waits until every node
//! asked has answered. A refusal stops the run with the node's reason (as
//! [`netra_federation::protocol::run_in_process`] does). A node that has
//! not polled for `down_after_secs` and has not fetched its job is *down*:
//! with `allow_missing` the run goes on without it at once (the coordinator
//! is told in `missing`); without, the run waits until `round_timeout_secs`
//! (or `approval_timeout_secs` while a node holds the job for approval) and
//! then fails naming the nodes that did not answer. A node that fetched its
//! job is computing and is waited for until the round timeout.
//!
//! Before the first round the same rule picks the nodes taking part: all of
//! the study's nodes once each has been seen, or, with `allow_missing`,
//! those seen within `down_after_secs` of the submission.
//!
//! The hub keeps every body it sent and received per run
//! ([`HubHandle::transcript`]): what the hub could learn is exactly that.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use netra_federation::protocol::{Coordinator, FederationError, Job, Next, NodeId};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::auth::Authenticator;
use crate::runs_store::{RunStore, SavedRun};
use crate::tls::{TlsListener, server_config};
use crate::wire::{
    NodeAnswer, NodeProgress, NodeState, Outcome, RunSpec, RunState, RunStatus, RunSummary,
    Submitted,
};
use crate::{HubConfig, HubError};

/// Makes the coordinator of a submitted run (by its analysis and request);
/// an error is returned to the analyst as the submission's refusal.
pub type CoordinatorFactory =
    Arc<dyn Fn(&RunSpec) -> Result<Box<dyn Coordinator>, FederationError> + Send + Sync>;

/// One body the hub sent or received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The round.
    pub round: u32,
    /// The node it went to or came from.
    pub node: NodeId,
    /// True for a job body sent to the node, false for what the node sent.
    pub to_node: bool,
    /// The job's body, or the node's [`Outcome`] as JSON.
    pub body: Value,
}

struct NodeSlot {
    queue: VecDeque<Job>,
    wake: Arc<Notify>,
    last_seen: Option<Instant>,
    polling: u32,
}

impl NodeSlot {
    fn is_down(&self, now: Instant, down_after: Duration) -> bool {
        self.polling == 0
            && self
                .last_seen
                .is_none_or(|t| now.saturating_duration_since(t) > down_after)
    }

    fn seen(&self, now: Instant) -> String {
        match self.last_seen {
            None => "never seen by the hub".into(),
            Some(t) => format!(
                "last seen {} s ago",
                now.saturating_duration_since(t).as_secs()
            ),
        }
    }
}

#[derive(Default)]
struct Round {
    number: u32,
    started: Option<Instant>,
    asked: BTreeSet<NodeId>,
    delivered: BTreeSet<NodeId>,
    answers: BTreeMap<NodeId, Value>,
    pending: BTreeMap<NodeId, String>,
    refused: Option<(NodeId, String)>,
}

struct RunEntry {
    analyst: String,
    spec: RunSpec,
    nodes: Vec<NodeId>,
    state: RunState,
    round: Round,
    answered: BTreeMap<NodeId, u32>,
    missing: Vec<NodeId>,
    output: Option<Value>,
    error: Option<String>,
    bytes_sent: u64,
    bytes_received: u64,
    transcript: Vec<Message>,
}

struct Inner {
    runs: HashMap<String, RunEntry>,
    slots: BTreeMap<NodeId, NodeSlot>,
}

struct Shared {
    config: HubConfig,
    nodes: Arc<Authenticator>,
    analysts: Arc<Authenticator>,
    factory: CoordinatorFactory,
    inner: Mutex<Inner>,
    /// Woken on every answer, refusal or approval note.
    changed: Notify,
    drivers: Mutex<Vec<tokio::task::AbortHandle>>,
    /// Where runs are kept across restarts (`state_dir`).
    store: Option<RunStore>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking handler cannot leave the maps half-updated in a way
        // that matters more than stopping the hub would.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn down_after(&self) -> Duration {
        Duration::from_secs(self.config.down_after_secs)
    }
}

/// A running hub.
pub struct HubHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: tokio::task::JoinHandle<()>,
}

/// The largest request body the hub takes (a node's answer).
pub const MAX_BODY_BYTES: usize = 512 * 1024 * 1024;

/// Starts the hub of `config` (binds `config.listen`, loads its certificate
/// and key) with `factory` making each run's coordinator.
pub async fn start_hub(
    config: HubConfig,
    factory: CoordinatorFactory,
) -> Result<HubHandle, HubError> {
    config.check()?;
    let tls = server_config(&config.cert, &config.key)?;
    let tcp = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| HubError::Config(format!("cannot listen on {}: {e}", config.listen)))?;
    let listener = TlsListener::new(tcp, tls).map_err(|e| HubError::Io(e.to_string()))?;
    let addr =
        axum::serve::Listener::local_addr(&listener).map_err(|e| HubError::Io(e.to_string()))?;
    let slots = config
        .nodes
        .iter()
        .map(|p| {
            let slot = NodeSlot {
                queue: VecDeque::new(),
                wake: Arc::new(Notify::new()),
                last_seen: None,
                polling: 0,
            };
            (p.name.clone(), slot)
        })
        .collect();
    // Runs of earlier lives of the hub: finished ones as they ended,
    // unfinished ones failed (`runs_store`).
    let store = match &config.state_dir {
        Some(dir) => Some(RunStore::open(dir)?),
        None => None,
    };
    let mut runs = HashMap::new();
    if let Some(store) = &store {
        for saved in store.load()? {
            runs.insert(saved.id.clone(), RunEntry::from_saved(saved));
        }
    }
    let shared = Arc::new(Shared {
        nodes: Authenticator::new(config.nodes.clone()),
        analysts: Authenticator::new(config.analysts.clone()),
        config,
        factory,
        inner: Mutex::new(Inner { runs, slots }),
        changed: Notify::new(),
        drivers: Mutex::new(Vec::new()),
        store,
    });
    let app = axum::Router::new()
        .route("/runs", post(submit).get(list_runs))
        .route("/runs/{id}", get(run_status))
        .route("/node/jobs", get(next_job))
        .route("/node/answers", post(answer))
        .route("/health", get(|| async { "ok" }))
        // A Cox round's answer holds every event day's masked sums: about
        // event days × (p² + 3p) ring elements of 66 bytes, tens of MB for
        // 10⁵ patients (axum's default limit of 2 MB refused them).
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(Arc::clone(&shared));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(HubHandle {
        addr,
        shared,
        server,
    })
}

impl HubHandle {
    /// The address the hub listens on (the port when `listen` said 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every body sent and received in run `id`, in order (empty for an
    /// unknown run).
    pub fn transcript(&self, id: &str) -> Vec<Message> {
        let inner = self.shared.lock();
        inner
            .runs
            .get(id)
            .map(|r| r.transcript.clone())
            .unwrap_or_default()
    }

    /// Run `id`'s progress, as `GET /runs/{id}` shows it.
    pub fn status(&self, id: &str) -> Option<RunStatus> {
        status_of(&self.shared, id)
    }

    /// Serves until the server task ends (it ends only when aborted).
    pub async fn join(&mut self) {
        let _ = (&mut self.server).await;
    }

    /// Stops serving and abandons the runs in progress.
    pub fn shutdown(&self) {
        self.server.abort();
        if let Ok(drivers) = self.shared.drivers.lock() {
            for d in drivers.iter() {
                d.abort();
            }
        }
    }
}

impl Drop for HubHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

// ---------------------------------------------------------------- HTTP

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (status, Json(json!({ "error": message.into() }))).into_response()
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
}

async fn who(auth: &Arc<Authenticator>, headers: &HeaderMap) -> Result<String, Response> {
    let unauthorized = || {
        let mut r = error(StatusCode::UNAUTHORIZED, "a valid bearer token is required");
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
        r
    };
    let token = bearer(headers).ok_or_else(unauthorized)?;
    auth.check(token).await.ok_or_else(unauthorized)
}

fn may_see(shared: &Shared, analyst: &str, study: &str) -> bool {
    shared
        .config
        .study(study)
        .is_some_and(|s| s.analysts.is_empty() || s.analysts.iter().any(|a| a == analyst))
}

async fn submit(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(spec): Json<RunSpec>,
) -> Response {
    let analyst = match who(&shared.analysts, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(study) = shared.config.study(&spec.study) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("no study '{}' at this hub", spec.study),
        );
    };
    if !may_see(&shared, &analyst, &spec.study) {
        return error(
            StatusCode::FORBIDDEN,
            format!(
                "analyst '{analyst}' is not an analyst of study '{}'",
                spec.study
            ),
        );
    }
    let coordinator = match (shared.factory)(&spec) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let id = crate::auth::new_token()[..24].to_owned();
    let mut nodes = study.nodes.clone();
    nodes.sort();
    let entry = RunEntry {
        analyst,
        spec,
        nodes,
        state: RunState::Running,
        round: Round::default(),
        answered: BTreeMap::new(),
        missing: Vec::new(),
        output: None,
        error: None,
        bytes_sent: 0,
        bytes_received: 0,
        transcript: Vec::new(),
    };
    if let Err(e) = persist(&shared, &id, &entry) {
        return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    }
    shared.lock().runs.insert(id.clone(), entry);
    let task = tokio::spawn(drive(Arc::clone(&shared), id.clone(), coordinator));
    if let Ok(mut d) = shared.drivers.lock() {
        d.retain(|h| !h.is_finished());
        d.push(task.abort_handle());
    }
    (StatusCode::ACCEPTED, Json(Submitted { id })).into_response()
}

/// `GET /runs`: the runs of the studies the analyst may see, finished
/// ones of earlier lives of the hub included (`state_dir`), by id.
async fn list_runs(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let analyst = match who(&shared.analysts, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut list: Vec<RunSummary> = {
        let inner = shared.lock();
        inner
            .runs
            .iter()
            .filter(|(_, r)| may_see(&shared, &analyst, &r.spec.study))
            .map(|(id, r)| RunSummary {
                id: id.clone(),
                study: r.spec.study.clone(),
                analysis: r.spec.analysis.clone(),
                state: r.state,
                error: r.error.clone(),
            })
            .collect()
    };
    list.sort_by(|a, b| a.id.cmp(&b.id));
    Json(list).into_response()
}

async fn run_status(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let analyst = match who(&shared.analysts, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match status_of(&shared, &id) {
        Some(s) if may_see(&shared, &analyst, &s.study) => Json(s).into_response(),
        _ => error(StatusCode::NOT_FOUND, format!("no run '{id}'")),
    }
}

fn status_of(shared: &Shared, id: &str) -> Option<RunStatus> {
    let inner = shared.lock();
    let run = inner.runs.get(id)?;
    let now = Instant::now();
    let down_after = shared.down_after();
    let r = &run.round;
    let nodes = run
        .nodes
        .iter()
        .map(|n| {
            let slot = inner.slots.get(n);
            let down = slot.is_none_or(|s| s.is_down(now, down_after));
            let seen = || slot.map(|s| s.seen(now));
            let (state, detail) = if run.missing.contains(n) {
                (NodeState::Left, seen())
            } else if let Some((_, reason)) = r.refused.as_ref().filter(|(who, _)| who == n) {
                (NodeState::Refused, Some(reason.clone()))
            } else if r.answers.contains_key(n) {
                (NodeState::Answered, None)
            } else if let Some(note) = r.pending.get(n) {
                (NodeState::AwaitingApproval, Some(note.clone()))
            } else if r.delivered.contains(n) {
                (NodeState::Working, None)
            } else if down {
                (NodeState::Down, seen())
            } else if r.asked.contains(n) && run.state == RunState::Running {
                (NodeState::Queued, None)
            } else {
                (NodeState::Idle, None)
            };
            NodeProgress {
                node: n.clone(),
                state,
                rounds_answered: run.answered.get(n).copied().unwrap_or(0),
                detail,
            }
        })
        .collect();
    Some(RunStatus {
        id: id.to_owned(),
        study: run.spec.study.clone(),
        analysis: run.spec.analysis.clone(),
        state: run.state,
        round: r.number,
        nodes,
        missing: run.missing.clone(),
        output: run.output.clone(),
        error: run.error.clone(),
        bytes_sent: run.bytes_sent,
        bytes_received: run.bytes_received,
    })
}

#[derive(Deserialize)]
struct PollQuery {
    #[serde(default)]
    wait: u64,
}

/// Counts a node's open long poll, so that a node waiting at the hub is
/// never shown as down; the drop (even of a cancelled request) records when
/// it was last seen.
struct Polling<'a> {
    shared: &'a Shared,
    node: &'a str,
}

impl<'a> Polling<'a> {
    fn new(shared: &'a Shared, node: &'a str) -> Self {
        if let Some(s) = shared.lock().slots.get_mut(node) {
            s.polling += 1;
            s.last_seen = Some(Instant::now());
        }
        Polling { shared, node }
    }
}

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        if let Some(s) = self.shared.lock().slots.get_mut(self.node) {
            s.polling = s.polling.saturating_sub(1);
            s.last_seen = Some(Instant::now());
        }
    }
}

async fn next_job(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<PollQuery>,
) -> Response {
    let node = match who(&shared.nodes, &headers).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let wait = Duration::from_secs(q.wait.min(shared.config.poll_wait_secs));
    let deadline = tokio::time::Instant::now() + wait;
    let _polling = Polling::new(&shared, &node);
    loop {
        let wake = {
            let mut inner = shared.lock();
            let Inner { runs, slots } = &mut *inner;
            let Some(slot) = slots.get_mut(&node) else {
                return error(StatusCode::NOT_FOUND, format!("no node '{node}'"));
            };
            while let Some(job) = slot.queue.pop_front() {
                // A job of a run that stopped, or of a round the run went on
                // from, is dropped.
                let Some(run) = runs.get_mut(&job.id) else {
                    continue;
                };
                if run.state != RunState::Running || run.round.number != job.round {
                    continue;
                }
                run.round.delivered.insert(node.clone());
                drop(inner);
                shared.changed.notify_waiters();
                return Json(job).into_response();
            }
            Arc::clone(&slot.wake)
        };
        if tokio::time::timeout_at(deadline, wake.notified())
            .await
            .is_err()
        {
            return StatusCode::NO_CONTENT.into_response();
        }
    }
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Json(a): Json<NodeAnswer>,
) -> Response {
    let node = match who(&shared.nodes, &headers).await {
        Ok(n) => n,
        Err(r) => return r,
    };
    let result = {
        let mut inner = shared.lock();
        if let Some(s) = inner.slots.get_mut(&node) {
            s.last_seen = Some(Instant::now());
        }
        record_answer(&mut inner, &node, a)
    };
    match result {
        Ok(()) => {
            shared.changed.notify_waiters();
            StatusCode::NO_CONTENT.into_response()
        }
        Err((status, message)) => error(status, message),
    }
}

fn record_answer(inner: &mut Inner, node: &str, a: NodeAnswer) -> Result<(), (StatusCode, String)> {
    let Some(run) = inner.runs.get_mut(&a.id) else {
        return Err((StatusCode::NOT_FOUND, format!("no run '{}'", a.id)));
    };
    let r = &mut run.round;
    let waiting = run.state == RunState::Running
        && r.number == a.round
        && r.asked.contains(node)
        && !r.answers.contains_key(node);
    if !waiting {
        return Err((
            StatusCode::CONFLICT,
            format!(
                "run '{}' is not waiting for {node}'s answer to round {}",
                a.id, a.round
            ),
        ));
    }
    let body = serde_json::to_value(&a.outcome).unwrap_or(Value::Null);
    match a.outcome {
        Outcome::Answer(v) => {
            run.bytes_received += serde_json::to_string(&v).map_or(0, |s| s.len() as u64);
            r.pending.remove(node);
            r.answers.insert(node.to_owned(), v);
            *run.answered.entry(node.to_owned()).or_default() += 1;
        }
        Outcome::Refused(reason) => {
            r.pending.remove(node);
            r.refused.get_or_insert((node.to_owned(), reason));
        }
        Outcome::Pending(note) => {
            r.pending.insert(node.to_owned(), note);
        }
    }
    run.transcript.push(Message {
        round: a.round,
        node: node.to_owned(),
        to_node: false,
        body,
    });
    Ok(())
}

// ---------------------------------------------------------------- driving

/// Runs one coordinator call on the blocking pool (a merge may be heavy);
/// a panic becomes an analysis error and loses the coordinator.
async fn call<F>(slot: &mut Option<Box<dyn Coordinator>>, f: F) -> Result<Next, FederationError>
where
    F: FnOnce(&mut dyn Coordinator) -> Result<Next, FederationError> + Send + 'static,
{
    let Some(mut c) = slot.take() else {
        return Err(FederationError::Analysis(
            "the coordinator failed earlier".into(),
        ));
    };
    match tokio::task::spawn_blocking(move || {
        let next = f(c.as_mut());
        (c, next)
    })
    .await
    {
        Ok((c, next)) => {
            *slot = Some(c);
            next
        }
        Err(_) => Err(FederationError::Analysis(
            "the coordinator failed (a bug)".into(),
        )),
    }
}

/// What waiting for nodes came to.
enum Waited {
    /// Every node waited for is there (or answered).
    All,
    /// Go on without these (`allow_missing`).
    Without(Vec<NodeId>),
}

async fn drive(shared: Arc<Shared>, id: String, coordinator: Box<dyn Coordinator>) {
    let outcome = drive_rounds(&shared, &id, coordinator).await;
    let saved = {
        let mut inner = shared.lock();
        let Inner { runs, slots } = &mut *inner;
        if let Some(run) = runs.get_mut(&id) {
            match outcome {
                Ok(output) => {
                    run.state = RunState::Done;
                    run.output = Some(output);
                }
                Err(e) => {
                    run.state = RunState::Failed;
                    run.error = Some(e.to_string());
                }
            }
        }
        for slot in slots.values_mut() {
            slot.queue.retain(|j| j.id != id);
        }
        runs.get(&id).map(|run| run.saved(&id))
    };
    if let (Some(store), Some(saved)) = (&shared.store, saved)
        && let Err(e) = store.save(&saved)
    {
        // The run's answer is still served from memory; only a restart
        // would lose it.
        eprintln!("hub: run {id}: {e}");
    }
    shared.changed.notify_waiters();
}

/// Writes a new run's file (when runs are kept).
fn persist(shared: &Shared, id: &str, run: &RunEntry) -> Result<(), HubError> {
    match &shared.store {
        Some(store) => store.save(&run.saved(id)),
        None => Ok(()),
    }
}

impl RunEntry {
    fn saved(&self, id: &str) -> SavedRun {
        SavedRun {
            id: id.to_owned(),
            analyst: self.analyst.clone(),
            spec: self.spec.clone(),
            nodes: self.nodes.clone(),
            state: self.state,
            round: self.round.number,
            answered: self.answered.clone(),
            missing: self.missing.clone(),
            output: self.output.clone(),
            error: self.error.clone(),
            bytes_sent: self.bytes_sent,
            bytes_received: self.bytes_received,
        }
    }

    fn from_saved(s: SavedRun) -> RunEntry {
        RunEntry {
            analyst: s.analyst,
            spec: s.spec,
            nodes: s.nodes,
            state: s.state,
            round: Round {
                number: s.round,
                ..Round::default()
            },
            answered: s.answered,
            missing: s.missing,
            output: s.output,
            error: s.error,
            bytes_sent: s.bytes_sent,
            bytes_received: s.bytes_received,
            transcript: Vec::new(),
        }
    }
}

async fn drive_rounds(
    shared: &Shared,
    id: &str,
    coordinator: Box<dyn Coordinator>,
) -> Result<Value, FederationError> {
    let (study_nodes, allow_missing, study, analysis) = {
        let inner = shared.lock();
        let run = inner
            .runs
            .get(id)
            .ok_or_else(|| FederationError::Analysis("the run vanished".into()))?;
        (
            run.nodes.clone(),
            run.spec.allow_missing,
            run.spec.study.clone(),
            run.spec.analysis.clone(),
        )
    };
    let mut live = study_nodes.clone();
    if let Waited::Without(gone) = wait_for_nodes(shared, id, &study_nodes, allow_missing).await? {
        leave(shared, id, &gone);
        live.retain(|n| !gone.contains(n));
    }
    let mut slot = Some(coordinator);
    let start_nodes = live.clone();
    let mut next = call(&mut slot, move |c| c.start(&start_nodes)).await?;
    let mut number = 0u32;
    loop {
        let (body, to) = match next {
            Next::Done { output } => return Ok(output),
            Next::Ask { body, to } => (body, to.unwrap_or_else(|| live.clone())),
        };
        let (asked, mut missing): (Vec<NodeId>, Vec<NodeId>) =
            to.into_iter().partition(|n| live.contains(n));
        if !missing.is_empty() && !allow_missing {
            return Err(FederationError::Missing(missing));
        }
        let job = Job {
            id: id.to_owned(),
            study: study.clone(),
            analysis: analysis.clone(),
            round: number,
            body,
        };
        ask(shared, &job, &asked);
        if let Waited::Without(gone) = wait_for_answers(shared, id, allow_missing).await? {
            leave(shared, id, &gone);
            live.retain(|n| !gone.contains(n));
            missing.extend(gone);
        }
        let answers = {
            let inner = shared.lock();
            let run = inner
                .runs
                .get(id)
                .ok_or_else(|| FederationError::Analysis("the run vanished".into()))?;
            // Cloned: the round's states stay visible until the next ask.
            run.round.answers.clone()
        };
        next = call(&mut slot, move |c| c.step(&answers, &missing)).await?;
        number += 1;
    }
}

/// Queues `job` for the nodes in `asked` and starts its round.
fn ask(shared: &Shared, job: &Job, asked: &[NodeId]) {
    let mut inner = shared.lock();
    let Inner { runs, slots } = &mut *inner;
    if let Some(run) = runs.get_mut(&job.id) {
        run.round = Round {
            number: job.round,
            started: Some(Instant::now()),
            asked: asked.iter().cloned().collect(),
            ..Round::default()
        };
        let size = serde_json::to_string(&job.body).map_or(0, |s| s.len() as u64);
        for n in asked {
            run.bytes_sent += size;
            run.transcript.push(Message {
                round: job.round,
                node: n.clone(),
                to_node: true,
                body: job.body.clone(),
            });
        }
    }
    for n in asked {
        if let Some(slot) = slots.get_mut(n) {
            slot.queue.push_back(job.clone());
            slot.wake.notify_one();
        }
    }
}

/// Marks `gone` as left: their queued jobs of this run are dropped.
fn leave(shared: &Shared, id: &str, gone: &[NodeId]) {
    let mut inner = shared.lock();
    let Inner { runs, slots } = &mut *inner;
    if let Some(run) = runs.get_mut(id) {
        for g in gone {
            if !run.missing.contains(g) {
                run.missing.push(g.clone());
            }
        }
    }
    for g in gone {
        if let Some(slot) = slots.get_mut(g) {
            slot.queue.retain(|j| j.id != id);
        }
    }
}

/// Polls `decide` after every change (and at least every 200 ms) until it
/// says something.
async fn wait_until<F>(shared: &Shared, mut decide: F) -> Result<Waited, FederationError>
where
    F: FnMut(&Inner, Instant) -> Option<Result<Waited, FederationError>>,
{
    loop {
        let changed = shared.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        {
            let inner = shared.lock();
            if let Some(d) = decide(&inner, Instant::now()) {
                return d;
            }
        }
        let _ = tokio::time::timeout(Duration::from_millis(200), changed).await;
    }
}

async fn wait_for_nodes(
    shared: &Shared,
    id: &str,
    nodes: &[NodeId],
    allow_missing: bool,
) -> Result<Waited, FederationError> {
    let since = Instant::now();
    let down_after = shared.down_after();
    let timeout = Duration::from_secs(shared.config.round_timeout_secs);
    let _ = id;
    wait_until(shared, |inner, now| {
        let down: Vec<NodeId> = nodes
            .iter()
            .filter(|n| {
                inner
                    .slots
                    .get(*n)
                    .is_none_or(|s| s.is_down(now, down_after))
            })
            .cloned()
            .collect();
        let waited = now.saturating_duration_since(since);
        if down.is_empty() {
            Some(Ok(Waited::All))
        } else if down.len() == nodes.len()
            && (waited > timeout || (allow_missing && waited > down_after))
        {
            Some(Err(FederationError::Missing(down)))
        } else if allow_missing && waited > down_after {
            Some(Ok(Waited::Without(down)))
        } else if waited > timeout {
            Some(Err(FederationError::Missing(down)))
        } else {
            None
        }
    })
    .await
}

async fn wait_for_answers(
    shared: &Shared,
    id: &str,
    allow_missing: bool,
) -> Result<Waited, FederationError> {
    let down_after = shared.down_after();
    let round_timeout = Duration::from_secs(shared.config.round_timeout_secs);
    let approval_timeout = Duration::from_secs(shared.config.approval_timeout_secs);
    wait_until(shared, |inner, now| {
        let Some(run) = inner.runs.get(id) else {
            return Some(Err(FederationError::Analysis("the run vanished".into())));
        };
        let r = &run.round;
        if let Some((node, reason)) = &r.refused {
            return Some(Err(FederationError::Refused {
                node: node.clone(),
                reason: reason.clone(),
            }));
        }
        let outstanding: Vec<NodeId> = r
            .asked
            .iter()
            .filter(|n| !r.answers.contains_key(*n))
            .cloned()
            .collect();
        if outstanding.is_empty() {
            return Some(Ok(Waited::All));
        }
        let waited = r
            .started
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        let timeout = if outstanding.iter().any(|n| r.pending.contains_key(n)) {
            approval_timeout.max(round_timeout)
        } else {
            round_timeout
        };
        let all_down = outstanding.iter().all(|n| {
            !r.delivered.contains(n)
                && !r.pending.contains_key(n)
                && inner
                    .slots
                    .get(n)
                    .is_none_or(|s| s.is_down(now, down_after))
        });
        if waited > timeout || (allow_missing && all_down) {
            return Some(if allow_missing && outstanding.len() < r.asked.len() {
                Ok(Waited::Without(outstanding))
            } else {
                Err(FederationError::Missing(outstanding))
            });
        }
        None
    })
    .await
}
