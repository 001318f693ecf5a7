//! The node: polls its hub for jobs, checks each against its policy, holds
//! it for approval when the policy says so, answers it with its
//! [`Responder`], and audits the request and the answer in its registry.
//!
//! Every job is written to the audit chain when it arrives (event
//! `request`, the job's JSON) and every outcome before it is sent (event
//! `answer`: `{"answer": …}`, `{"refused": …}` or `{"pending": …}`), so the
//! trail holds exactly what left the centre, even if sending then fails.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use netra_federation::protocol::{Job, Responder};
use netra_store::{Actor, Registry};

use crate::queue::{ApprovalQueue, Decision, valid_run_id};
use crate::wire::{NodeAnswer, Outcome};
use crate::{HubClient, HubError, NodePolicy};

/// The environment variable a node's token is read from when its policy
/// names no token file.
pub const TOKEN_ENV: &str = "NETRA_NODE_TOKEN";

/// A node, ready to poll its hub.
pub struct Node {
    policy: NodePolicy,
    client: HubClient,
    registry: Registry,
    responder: Arc<dyn Responder>,
    queue: ApprovalQueue,
}

impl Node {
    /// A node of `policy` answering with `responder` from (and auditing to)
    /// `registry`, authenticating with `token`.
    pub fn new(
        policy: NodePolicy,
        token: String,
        registry: Registry,
        responder: Arc<dyn Responder>,
    ) -> Result<Node, HubError> {
        policy.check()?;
        let timeout = Duration::from_secs(policy.poll_wait_secs + 30);
        let client = HubClient::new(&policy.hub, token, policy.ca_file.as_deref(), timeout)?;
        let queue = ApprovalQueue::open(&policy.queue_dir)?;
        Ok(Node {
            policy,
            client,
            registry,
            responder,
            queue,
        })
    }

    /// The node's policy.
    pub fn policy(&self) -> &NodePolicy {
        &self.policy
    }

    /// Polls and answers until `stop` completes. Network errors are retried
    /// with a growing pause (up to 30 s); a refused token ends the loop.
    pub async fn run_until(&self, stop: impl Future<Output = ()>) -> Result<(), HubError> {
        tokio::pin!(stop);
        let mut pause = Duration::from_millis(250);
        loop {
            tokio::select! {
                _ = &mut stop => return Ok(()),
                r = self.step() => match r {
                    Ok(()) => pause = Duration::from_millis(250),
                    Err(e @ HubError::Auth(_)) => return Err(e),
                    Err(e) => {
                        // Say why, so that a refused answer is not a silent
                        // wait until the hub's round timeout.
                        eprintln!("{}: {e} (retrying in {pause:?})", self.policy.name);
                        tokio::select! {
                            _ = &mut stop => return Ok(()),
                            _ = tokio::time::sleep(pause) => {}
                        }
                        pause = (pause * 2).min(Duration::from_secs(30));
                    }
                },
            }
        }
    }

    /// One turn: answers held jobs that were decided, then waits once for a
    /// job at the hub and handles it.
    pub async fn step(&self) -> Result<(), HubError> {
        let held = self.queue.pending()?;
        for job in &held {
            if let Some(decision) = self.queue.decision(&job.id)? {
                let outcome = match decision {
                    Decision::Approved => self.compute(job).await,
                    Decision::Refused(reason) => Outcome::Refused(self.reviewer_refused(&reason)),
                };
                self.finish(job, outcome).await?;
                self.queue.release(job)?;
            }
        }
        // While jobs wait for a decision, come back soon to see it.
        let wait = if held.is_empty() {
            self.policy.poll_wait_secs
        } else {
            self.policy.poll_wait_secs.min(1)
        };
        if let Some(job) = self.client.next_job(wait).await? {
            self.handle(&job).await?;
        }
        Ok(())
    }

    fn reviewer_refused(&self, reason: &str) -> String {
        format!("refused at {} on review: {reason}", self.policy.name)
    }

    async fn handle(&self, job: &Job) -> Result<(), HubError> {
        let text = serde_json::to_string(job).unwrap_or_default();
        let from_hub = Actor {
            user: format!("hub {}", self.client.base()),
            reason: Some(format!("federated {} of study {}", job.analysis, job.study)),
        };
        let id = if valid_run_id(&job.id) {
            job.id.as_str()
        } else {
            "invalid"
        };
        self.registry
            .log_federation(&from_hub, id, &job.round.to_string(), "request", &text)
            .await?;
        if !valid_run_id(&job.id) {
            // Cannot be answered: the hub could not match it anyway.
            return Ok(());
        }
        let outcome = if let Some(reason) = self.policy.refusal(&job.study, &job.analysis) {
            Outcome::Refused(reason)
        } else if self.policy.manual_approval {
            match self.queue.decision(&job.id)? {
                Some(Decision::Approved) => self.compute(job).await,
                Some(Decision::Refused(reason)) => Outcome::Refused(self.reviewer_refused(&reason)),
                None => {
                    self.queue.hold(job)?;
                    Outcome::Pending(format!(
                        "held for approval at {} (netra node approve {})",
                        self.policy.name, job.id
                    ))
                }
            }
        } else {
            self.compute(job).await
        };
        self.finish(job, outcome).await
    }

    /// The responder's answer, computed on the blocking pool (it may read
    /// the registry through `Handle::current().block_on`).
    async fn compute(&self, job: &Job) -> Outcome {
        let responder = Arc::clone(&self.responder);
        let job = job.clone();
        match tokio::task::spawn_blocking(move || responder.answer(&job)).await {
            Ok(Ok(v)) => Outcome::Answer(v),
            Ok(Err(refusal)) => Outcome::Refused(refusal.reason),
            Err(_) => Outcome::Refused(format!(
                "{} could not compute the answer (an internal error)",
                self.policy.name
            )),
        }
    }

    /// Audits `outcome`, then sends it.
    async fn finish(&self, job: &Job, outcome: Outcome) -> Result<(), HubError> {
        let text = serde_json::to_string(&outcome).unwrap_or_default();
        let me = Actor {
            user: self.policy.name.clone(),
            reason: Some(format!("answer to hub {}", self.client.base())),
        };
        self.registry
            .log_federation(&me, &job.id, &job.round.to_string(), "answer", &text)
            .await?;
        self.client
            .send(&NodeAnswer {
                id: job.id.clone(),
                round: job.round,
                outcome,
            })
            .await
    }
}

/// Records a person's decision on run `id` in the node's queue and audit
/// trail (`netra node approve` / `netra node refuse`); the running node
/// answers or refuses the held jobs at its next turn. Returns the number of
/// jobs held for that run.
pub async fn decide(
    policy: &NodePolicy,
    registry: &Registry,
    id: &str,
    decision: Decision,
    user: &str,
) -> Result<usize, HubError> {
    let queue = ApprovalQueue::open(&policy.queue_dir)?;
    let held = queue.pending()?.iter().filter(|j| j.id == id).count();
    if held == 0 {
        return Err(HubError::Io(format!(
            "no job of run '{id}' is waiting for approval (netra node pending lists them)"
        )));
    }
    queue.decide(id, &decision)?;
    let text = serde_json::to_string(&decision).unwrap_or_default();
    let actor = Actor {
        user: user.to_owned(),
        reason: Some(format!("review of federated run {id}")),
    };
    registry
        .log_federation(&actor, id, "-", "approval", &text)
        .await?;
    Ok(held)
}
