//! The transport end to end: a hub and three nodes on loopback over TLS,
//! each node with its own SQLite registry, carrying a toy masked-sum
//! protocol (pairwise additive masks that cancel in the sum, so the hub
//! learns the total and no node's value). Checks what the hub received,
//! refusals, a node that is down, the approval queue, the audit trails,
//! tokens and certificate pinning.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use netra_federation::protocol::{
    Coordinator, FederationError, Job, Next, NodeId, Refusal, Responder,
};
use netra_hub::{
    CoordinatorFactory, Decision, HubClient, HubConfig, HubError, HubHandle, Node, NodePolicy,
    NodeState, Principal, RunSpec, RunState, RunStatus, StudyConfig, auth, decide, start_hub,
};
use netra_store::federation::FEDERATION_LOG;
use netra_store::{AuditQuery, Location, Registry};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const STUDY: &str = "nets-2026";
/// Known to the nodes, not to the hub: the toy's stand-in for the pairwise
/// keys a real scheme agrees by key exchange.
const NODES_SECRET: &str = "agreed between the centres";

fn mask(run: &str, a: &str, b: &str) -> u64 {
    let d = Sha256::digest(format!("{NODES_SECRET}|{run}|{a}|{b}").as_bytes());
    u64::from_le_bytes(d[..8].try_into().unwrap())
}

/// Round 0: every participant sends its value plus its masks. When nodes
/// dropped out, round 1 asks the others for their masks with them.
struct MaskedSum {
    id: String,
    participants: Vec<NodeId>,
    masked: u64,
    answered: Vec<NodeId>,
}

impl Coordinator for MaskedSum {
    fn start(&mut self, nodes: &[NodeId]) -> Result<Next, FederationError> {
        self.participants = nodes.to_vec();
        Ok(Next::Ask {
            body: json!({ "participants": nodes }),
            to: None,
        })
    }
    fn step(
        &mut self,
        answers: &BTreeMap<NodeId, Value>,
        missing: &[NodeId],
    ) -> Result<Next, FederationError> {
        let read = |v: &Value, k: &str| {
            v[k].as_str()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| FederationError::Malformed(format!("no '{k}'")))
        };
        if self.answered.is_empty() {
            for (n, v) in answers {
                self.masked = self.masked.wrapping_add(read(v, "masked")?);
                self.answered.push(n.clone());
            }
            if !missing.is_empty() {
                return Ok(Next::Ask {
                    body: json!({ "unmask": missing }),
                    to: Some(self.answered.clone()),
                });
            }
        } else {
            for v in answers.values() {
                self.masked = self.masked.wrapping_sub(read(v, "masks")?);
            }
        }
        Ok(Next::Done {
            output: json!({ "run": self.id, "sum": self.masked, "nodes": self.answered }),
        })
    }
}

/// A node's value behind its masks; with a gate, it answers only once the
/// gate opens (a node that stops answering mid-round).
struct Site {
    name: String,
    value: u64,
    gate: Option<Arc<AtomicBool>>,
}

impl Site {
    fn signed_mask(&self, run: &str, other: &str) -> u64 {
        let (a, b) = if self.name.as_str() < other {
            (self.name.as_str(), other)
        } else {
            (other, self.name.as_str())
        };
        let m = mask(run, a, b);
        if self.name.as_str() < other {
            m
        } else {
            m.wrapping_neg()
        }
    }
}

impl Responder for Site {
    fn answer(&self, job: &Job) -> Result<Value, Refusal> {
        if let Some(gate) = &self.gate {
            let t = Instant::now();
            while !gate.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let names = |k: &str| -> Vec<String> {
            job.body[k]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        if job.body.get("unmask").is_some() {
            let m = names("unmask").iter().fold(0u64, |acc, o| {
                acc.wrapping_add(self.signed_mask(&job.id, o))
            });
            return Ok(json!({ "masks": m.to_string() }));
        }
        let masked = names("participants")
            .iter()
            .filter(|o| **o != self.name)
            .fold(self.value, |acc, o| {
                acc.wrapping_add(self.signed_mask(&job.id, o))
            });
        Ok(json!({ "masked": masked.to_string() }))
    }
}

fn factory() -> CoordinatorFactory {
    Arc::new(|spec: &RunSpec| {
        if spec.analysis != "masked-sum" {
            return Err(FederationError::Analysis(format!(
                "no analysis '{}' at this hub",
                spec.analysis
            )));
        }
        Ok(Box::new(MaskedSum {
            id: String::new(),
            participants: Vec::new(),
            masked: 0,
            answered: Vec::new(),
        }) as Box<dyn Coordinator>)
    })
}

const NAMES: [&str; 3] = ["centre-a", "centre-b", "centre-c"];
const VALUES: [u64; 3] = [5, 7, 11];

use netra_hub::testing::{TestPki as Pki, certificates as pki, write_private as private_file};

struct Cluster {
    dir: tempfile::TempDir,
    pki: Pki,
    hub: HubHandle,
    url: String,
    node_tokens: Vec<String>,
    analyst: HubClient,
    registries: BTreeMap<String, Registry>,
    policies: BTreeMap<String, NodePolicy>,
    tasks: Vec<tokio::task::JoinHandle<Result<(), HubError>>>,
    /// Opens the gate of the slow node.
    release: Arc<AtomicBool>,
    /// The hub's configuration (to restart it).
    config: HubConfig,
}

impl Cluster {
    /// A hub whose study has the three centres; `running` says which nodes
    /// start, `tweak` edits a node's policy.
    async fn start(running: &[&str], tweak: impl Fn(&mut NodePolicy)) -> Cluster {
        Cluster::start_with(running, tweak, None).await
    }

    /// [`Cluster::start`] with one node that answers only once released.
    async fn start_with(
        running: &[&str],
        tweak: impl Fn(&mut NodePolicy),
        slow: Option<&str>,
    ) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let pki = pki(dir.path(), "hub");
        let node_tokens: Vec<String> = NAMES.iter().map(|_| auth::new_token()).collect();
        let analyst_token = auth::new_token();
        let config = HubConfig {
            listen: "127.0.0.1:0".into(),
            cert: pki.cert.clone(),
            key: pki.key.clone(),
            round_timeout_secs: 3,
            approval_timeout_secs: 30,
            down_after_secs: 1,
            poll_wait_secs: 1,
            nodes: NAMES
                .iter()
                .zip(&node_tokens)
                .map(|(n, t)| Principal {
                    name: (*n).into(),
                    token_hash: auth::hash_token(t).unwrap(),
                })
                .collect(),
            analysts: vec![Principal {
                name: "alice".into(),
                token_hash: auth::hash_token(&analyst_token).unwrap(),
            }],
            studies: vec![StudyConfig {
                name: STUDY.into(),
                nodes: NAMES.iter().map(|n| (*n).into()).collect(),
                analysts: vec!["alice".into()],
            }],
            state_dir: Some(dir.path().join("hub-state")),
        };
        let hub = start_hub(config.clone(), factory()).await.unwrap();
        let url = format!("https://127.0.0.1:{}", hub.addr().port());
        let analyst =
            HubClient::new(&url, analyst_token, Some(&pki.ca), Duration::from_secs(10)).unwrap();
        let mut c = Cluster {
            dir,
            pki,
            hub,
            url,
            node_tokens,
            analyst,
            registries: BTreeMap::new(),
            policies: BTreeMap::new(),
            tasks: Vec::new(),
            release: Arc::new(AtomicBool::new(false)),
            config,
        };
        for (i, name) in NAMES.iter().enumerate() {
            let base = c.dir.path().join(name);
            std::fs::create_dir_all(&base).unwrap();
            let token_file = base.join("token");
            private_file(&token_file, &c.node_tokens[i]);
            let db = base.join("registry.db");
            let (registry, _) = Registry::init(&Location::parse(db.to_str().unwrap()))
                .await
                .unwrap();
            let mut policy = NodePolicy {
                name: (*name).into(),
                hub: c.url.clone(),
                trusted_hubs: vec![c.url.clone()],
                token_file: Some(token_file),
                ca_file: Some(c.pki.ca.clone()),
                registry: db.display().to_string(),
                queue_dir: base.join("queue"),
                studies: vec![STUDY.into()],
                analyses: vec!["masked-sum".into()],
                manual_approval: false,
                poll_wait_secs: 1,
                analysis: json!({ "min_cell": 5 }),
            };
            tweak(&mut policy);
            if running.contains(name) {
                let token =
                    auth::read_token(policy.token_file.as_deref(), netra_hub::TOKEN_ENV).unwrap();
                let site = Arc::new(Site {
                    name: (*name).into(),
                    value: VALUES[i],
                    gate: (slow == Some(*name)).then(|| Arc::clone(&c.release)),
                });
                let node = Node::new(policy.clone(), token, registry.clone(), site).unwrap();
                c.tasks.push(tokio::spawn(async move {
                    node.run_until(std::future::pending()).await
                }));
            }
            c.registries.insert((*name).into(), registry);
            c.policies.insert((*name).into(), policy);
        }
        c
    }

    /// Stops the hub and starts it again on the same address and state
    /// directory (the nodes keep polling the same URL).
    async fn restart_hub(&mut self) {
        self.hub.shutdown();
        let config = HubConfig {
            listen: format!("127.0.0.1:{}", self.hub.addr().port()),
            ..self.config.clone()
        };
        let t = Instant::now();
        self.hub = loop {
            match start_hub(config.clone(), factory()).await {
                Ok(h) => break h,
                Err(e) => {
                    assert!(t.elapsed() < Duration::from_secs(10), "no restart: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        };
    }

    async fn submit(&self, allow_missing: bool) -> String {
        self.analyst
            .submit(&RunSpec {
                study: STUDY.into(),
                analysis: "masked-sum".into(),
                request: json!({ "variable": "value" }),
                allow_missing,
            })
            .await
            .unwrap()
    }

    async fn finish(&self, id: &str) -> RunStatus {
        let follow = self.analyst.follow(id, Duration::from_millis(100), |_| {});
        tokio::time::timeout(Duration::from_secs(15), follow)
            .await
            .expect("the run ends")
            .unwrap()
    }

    /// Polls the run until `pred` holds (at most 10 s).
    async fn until(&self, id: &str, pred: impl Fn(&RunStatus) -> bool) -> RunStatus {
        let t = Instant::now();
        loop {
            let s = self.analyst.status(id).await.unwrap();
            if pred(&s) {
                return s;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "never: {s:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The node's federation audit entries: (run, round, event, body).
    async fn audit(&self, node: &str) -> Vec<(String, String, String, Value)> {
        let reg = &self.registries[node];
        assert!(reg.verify_audit().await.unwrap().is_intact());
        let q = AuditQuery {
            table: Some(FEDERATION_LOG.into()),
            ..AuditQuery::default()
        };
        reg.audit_log(&q)
            .await
            .unwrap()
            .into_iter()
            .map(|e| {
                let key: Vec<String> = serde_json::from_str(&e.record_key).unwrap();
                let body: Value = serde_json::from_str(e.new_values.as_deref().unwrap()).unwrap();
                (key[0].clone(), key[1].clone(), key[2].clone(), body)
            })
            .collect()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.release.store(true, Ordering::SeqCst);
        for t in &self.tasks {
            t.abort();
        }
        self.hub.shutdown();
    }
}

fn state_of(s: &RunStatus, node: &str) -> NodeState {
    s.nodes.iter().find(|n| n.node == node).unwrap().state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_sum_over_tls_and_the_hub_sees_only_masked_values() {
    let c = Cluster::start(&NAMES, |_| {}).await;
    let id = c.submit(false).await;
    let done = c.finish(&id).await;
    assert_eq!(done.state, RunState::Done, "{done:?}");
    let out = done.output.as_ref().unwrap();
    assert_eq!(out["sum"], 23);
    assert_eq!(out["nodes"], json!(NAMES));
    assert!(done.missing.is_empty());
    for n in &done.nodes {
        assert_eq!(
            (n.state, n.rounds_answered),
            (NodeState::Answered, 1),
            "{n:?}"
        );
    }
    assert!(done.bytes_sent > 0 && done.bytes_received > 0);

    // The hub's transcript: one ask and one answer per node; the asks are
    // what the coordinator said, the answers are masked (no node's value
    // appears), and they add up to the total.
    let t = c.hub.transcript(&id);
    assert_eq!(t.len(), 6, "{t:?}");
    let mut total = 0u64;
    for (i, name) in NAMES.iter().enumerate() {
        let ask: Vec<_> = t.iter().filter(|m| m.node == *name && m.to_node).collect();
        assert_eq!(ask.len(), 1);
        assert_eq!(ask[0].body, json!({ "participants": NAMES }));
        let got: Vec<_> = t.iter().filter(|m| m.node == *name && !m.to_node).collect();
        assert_eq!(got.len(), 1);
        let masked: u64 = got[0].body["answer"]["masked"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_ne!(masked, VALUES[i], "{name} sent its value in clear");
        total = total.wrapping_add(masked);

        // The node's audit trail holds the same request and answer.
        let audit = c.audit(name).await;
        assert_eq!(audit.len(), 2, "{audit:?}");
        assert_eq!(
            (
                audit[0].0.as_str(),
                audit[0].1.as_str(),
                audit[0].2.as_str()
            ),
            (id.as_str(), "0", "request")
        );
        assert_eq!(audit[0].3["body"], ask[0].body);
        assert_eq!(audit[0].3["analysis"], "masked-sum");
        assert_eq!(
            (audit[1].0.as_str(), audit[1].2.as_str()),
            (id.as_str(), "answer")
        );
        assert_eq!(audit[1].3, got[0].body);
    }
    assert_eq!(total, 23);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_request_is_refused_with_the_nodes_reason() {
    let c = Cluster::start(&NAMES, |p| {
        if p.name == "centre-b" {
            p.analyses = vec!["km".into()];
        }
    })
    .await;
    let id = c.submit(false).await;
    let s = c.finish(&id).await;
    assert_eq!(s.state, RunState::Failed);
    assert_eq!(
        s.error.as_deref(),
        Some("centre-b refused: analysis 'masked-sum' is not allowed by centre-b's policy")
    );
    assert_eq!(state_of(&s, "centre-b"), NodeState::Refused);
    let audit = c.audit("centre-b").await;
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0].2, "request");
    assert_eq!(
        audit[1].3,
        json!({ "refused": "analysis 'masked-sum' is not allowed by centre-b's policy" })
    );
    // An analysis no coordinator knows is refused at submission.
    let unknown = c
        .analyst
        .submit(&RunSpec {
            study: STUDY.into(),
            analysis: "cox".into(),
            request: Value::Null,
            allow_missing: false,
        })
        .await
        .unwrap_err();
    assert!(
        unknown.to_string().contains("no analysis 'cox'"),
        "{unknown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_down_node_is_named_and_only_allow_missing_goes_on_without_it() {
    let c = Cluster::start(&["centre-a", "centre-b"], |_| {}).await;
    // Without allow_missing: the run waits, shows centre-c as down, then
    // fails naming it.
    let waiting = c.submit(false).await;
    let s = c
        .until(&waiting, |s| state_of(s, "centre-c") == NodeState::Down)
        .await;
    assert_eq!(s.state, RunState::Running);
    assert!(
        s.nodes[2].detail.as_deref().unwrap().contains("never seen"),
        "{s:?}"
    );
    let failed = c.finish(&waiting).await;
    assert_eq!(failed.error.as_deref(), Some("no answer from centre-c"));
    assert!(c.audit("centre-a").await.is_empty(), "no job went out");

    // With allow_missing: the run goes on with the two others.
    let id = c.submit(true).await;
    let s = c.finish(&id).await;
    assert_eq!(s.state, RunState::Done, "{s:?}");
    assert_eq!(s.output.as_ref().unwrap()["sum"], 12);
    assert_eq!(
        s.output.as_ref().unwrap()["nodes"],
        json!(["centre-a", "centre-b"])
    );
    assert_eq!(s.missing, vec!["centre-c".to_owned()]);
    assert_eq!(state_of(&s, "centre-c"), NodeState::Left);
    assert!(c.hub.transcript(&id).iter().all(|m| m.node != "centre-c"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approval_queue_holds_a_run_until_someone_decides() {
    let c = Cluster::start(&NAMES, |p| p.manual_approval = p.name == "centre-c").await;
    let policy = &c.policies["centre-c"];
    let registry = &c.registries["centre-c"];

    let id = c.submit(false).await;
    let s = c
        .until(&id, |s| {
            state_of(s, "centre-c") == NodeState::AwaitingApproval
        })
        .await;
    assert!(
        s.nodes[2]
            .detail
            .as_deref()
            .unwrap()
            .contains(&format!("netra node approve {id}"))
    );
    let queue = netra_hub::ApprovalQueue::open(&policy.queue_dir).unwrap();
    assert_eq!(queue.pending().unwrap().len(), 1);
    assert_eq!(
        decide(policy, registry, &id, Decision::Approved, "dr-c")
            .await
            .unwrap(),
        1
    );
    let s = c.finish(&id).await;
    assert_eq!(s.output.as_ref().unwrap()["sum"], 23, "{s:?}");
    assert!(queue.pending().unwrap().is_empty());
    let events: Vec<String> = c.audit("centre-c").await.into_iter().map(|e| e.2).collect();
    assert_eq!(events, ["request", "answer", "approval", "answer"]);

    // A refusal on review reaches the analyst.
    let id = c.submit(false).await;
    c.until(&id, |s| {
        state_of(s, "centre-c") == NodeState::AwaitingApproval
    })
    .await;
    decide(
        policy,
        registry,
        &id,
        Decision::Refused("not before the ethics committee meets".into()),
        "dr-c",
    )
    .await
    .unwrap();
    let s = c.finish(&id).await;
    assert_eq!(
        s.error.as_deref(),
        Some(
            "centre-c refused: refused at centre-c on review: not before the ethics committee meets"
        )
    );
    assert!(
        decide(policy, registry, "nosuchrun", Decision::Approved, "dr-c")
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_and_pinned_certificates_are_checked() {
    let c = Cluster::start(&[], |_| {}).await;
    let status = |client: HubClient| async move { client.status("x").await.unwrap_err() };
    // A wrong analyst token, and a node's token used as an analyst's.
    let wrong = HubClient::new(
        &c.url,
        auth::new_token(),
        Some(&c.pki.ca),
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(matches!(status(wrong).await, HubError::Auth(_)));
    let node_as_analyst = HubClient::new(
        &c.url,
        c.node_tokens[0].clone(),
        Some(&c.pki.ca),
        Duration::from_secs(5),
    )
    .unwrap();
    assert!(matches!(status(node_as_analyst).await, HubError::Auth(_)));
    // The right token, an unknown run.
    let e = c.analyst.status("nosuchrun").await.unwrap_err();
    assert!(e.to_string().contains("404"), "{e}");
    // A client pinning another CA does not trust the hub.
    let other = pki(c.dir.path(), "other");
    let pinned_elsewhere = HubClient::new(
        &c.url,
        c.node_tokens[0].clone(),
        Some(&other.ca),
        Duration::from_secs(5),
    )
    .unwrap();
    let e = pinned_elsewhere.next_job(0).await.unwrap_err();
    assert!(matches!(e, HubError::Http(_)), "{e}");
    assert!(e.to_string().to_lowercase().contains("certificate"), "{e}");
    // The node's own token and CA work.
    let node = HubClient::new(
        &c.url,
        c.node_tokens[0].clone(),
        Some(&c.pki.ca),
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(node.next_job(0).await.unwrap(), None);
    // Plain HTTP is not spoken.
    assert!(
        HubClient::new(
            &c.url.replace("https", "http"),
            String::new(),
            None,
            Duration::from_secs(1)
        )
        .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_answering_mid_round_is_left_out_with_allow_missing() {
    let c = Cluster::start_with(&NAMES, |_| {}, Some("centre-c")).await;
    let id = c.submit(true).await;
    c.until(&id, |s| {
        state_of(s, "centre-c") == NodeState::Working
            && state_of(s, "centre-a") == NodeState::Answered
    })
    .await;
    // After the round timeout the run goes on without centre-c; the
    // coordinator, told it is missing, asks the others to remove their
    // masks with it.
    let s = c.finish(&id).await;
    assert_eq!(s.state, RunState::Done, "{s:?}");
    assert_eq!(s.output.as_ref().unwrap()["sum"], 12);
    assert_eq!(s.missing, vec!["centre-c".to_owned()]);
    let t = c.hub.transcript(&id);
    let round1: Vec<_> = t.iter().filter(|m| m.round == 1).collect();
    assert_eq!(round1.len(), 4, "{t:?}");
    assert!(round1.iter().all(|m| m.node != "centre-c"));
    assert!(
        round1
            .iter()
            .filter(|m| m.to_node)
            .all(|m| m.body == json!({ "unmask": ["centre-c"] }))
    );

    // centre-c's late answer is turned away by the hub, but its audit trail
    // still records what it sent.
    c.release.store(true, Ordering::SeqCst);
    let t0 = Instant::now();
    while c.audit("centre-c").await.len() < 2 {
        assert!(t0.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        c.hub
            .transcript(&id)
            .iter()
            .all(|m| m.node != "centre-c" || m.to_node)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_hub_lists_finished_runs_and_fails_unfinished_ones_cleanly() {
    let mut c = Cluster::start_with(&NAMES, |_| {}, Some("centre-c")).await;
    c.release.store(true, Ordering::SeqCst);
    let done = c.submit(false).await;
    let before = c.finish(&done).await;
    assert_eq!(before.state, RunState::Done, "{before:?}");
    assert_eq!(before.output.as_ref().unwrap()["sum"], 23);

    // A second run is going on (centre-c computing) when the hub stops.
    c.release.store(false, Ordering::SeqCst);
    let cut = c.submit(false).await;
    c.until(&cut, |s| state_of(s, "centre-c") == NodeState::Working)
        .await;
    c.restart_hub().await;

    // The finished run is listed and answered as before.
    let after = c.analyst.status(&done).await.unwrap();
    assert_eq!(after.state, RunState::Done);
    assert_eq!(after.output, before.output);
    assert_eq!(after.bytes_received, before.bytes_received);
    // The interrupted one failed, saying to submit it again, and nodes'
    // late answers to it are turned away.
    let failed = c.analyst.status(&cut).await.unwrap();
    assert_eq!(failed.state, RunState::Failed, "{failed:?}");
    assert!(
        failed.error.as_deref().unwrap().contains("submit it again"),
        "{failed:?}"
    );
    let listed = c.analyst.runs().await.unwrap();
    let ids: Vec<(&str, RunState)> = listed.iter().map(|r| (r.id.as_str(), r.state)).collect();
    let mut expected = vec![
        (done.as_str(), RunState::Done),
        (cut.as_str(), RunState::Failed),
    ];
    expected.sort_by_key(|e| e.0);
    assert_eq!(ids, expected);
    c.release.store(true, Ordering::SeqCst);

    // The nodes find the restarted hub and a new run completes.
    let again = c.submit(false).await;
    let s = c.finish(&again).await;
    assert_eq!(s.state, RunState::Done, "{s:?}");
    assert_eq!(s.output.as_ref().unwrap()["sum"], 23);

    // A second restart reads the same state.
    c.restart_hub().await;
    assert_eq!(c.analyst.runs().await.unwrap().len(), 3);
    assert_eq!(
        c.analyst.status(&cut).await.unwrap().state,
        RunState::Failed
    );
}
