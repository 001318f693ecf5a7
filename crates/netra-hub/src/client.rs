//! The HTTPS client of nodes and analysts: every request goes out from
//! them to the hub.

use std::path::Path;
use std::time::Duration;

use netra_federation::protocol::Job;
use reqwest::StatusCode;
use serde_json::Value;

use crate::wire::{NodeAnswer, RunSpec, RunState, RunStatus, RunSummary, Submitted};
use crate::{HubError, tls};

/// A connection to one hub with one token.
#[derive(Clone)]
pub struct HubClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for HubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("HubClient")
            .field("base", &self.base)
            .finish()
    }
}

impl HubClient {
    /// A client of the hub at `base` (`https://…`), trusting only the CA
    /// certificates in `ca` when given (else the system's roots). Requests
    /// time out after `timeout` (make it longer than a long poll's wait).
    pub fn new(
        base: &str,
        token: String,
        ca: Option<&Path>,
        timeout: Duration,
    ) -> Result<HubClient, HubError> {
        if !base.starts_with("https://") {
            return Err(HubError::Config(format!(
                "hub '{base}' is not an https:// URL"
            )));
        }
        Ok(HubClient {
            base: base.trim_end_matches('/').to_owned(),
            token,
            http: tls::http_client(ca, timeout)?,
        })
    }

    /// The hub's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    async fn check(&self, r: reqwest::Response) -> Result<reqwest::Response, HubError> {
        let status = r.status();
        if status.is_success() {
            return Ok(r);
        }
        let text = r.text().await.unwrap_or_default();
        let message = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or(text);
        Err(
            if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
                HubError::Auth(format!("the hub refused the token: {message}"))
            } else {
                HubError::Http(format!("the hub answered {status}: {message}"))
            },
        )
    }

    /// Submits a run (analyst token); returns its id.
    pub async fn submit(&self, spec: &RunSpec) -> Result<String, HubError> {
        let r = self
            .http
            .post(format!("{}/runs", self.base))
            .bearer_auth(&self.token)
            .json(spec)
            .send()
            .await?;
        let s: Submitted = self.check(r).await?.json().await?;
        Ok(s.id)
    }

    /// The runs the analyst may see, finished ones of earlier lives of the
    /// hub included (analyst token).
    pub async fn runs(&self) -> Result<Vec<RunSummary>, HubError> {
        let r = self
            .http
            .get(format!("{}/runs", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok(self.check(r).await?.json().await?)
    }

    /// A run's progress (analyst token).
    pub async fn status(&self, id: &str) -> Result<RunStatus, HubError> {
        let r = self
            .http
            .get(format!("{}/runs/{id}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        Ok(self.check(r).await?.json().await?)
    }

    /// Polls `id` every `every` until it is done or failed, calling
    /// `progress` on each status; returns the last.
    pub async fn follow(
        &self,
        id: &str,
        every: Duration,
        mut progress: impl FnMut(&RunStatus),
    ) -> Result<RunStatus, HubError> {
        loop {
            let s = self.status(id).await?;
            progress(&s);
            if s.state != RunState::Running {
                return Ok(s);
            }
            tokio::time::sleep(every).await;
        }
    }

    /// The next job for this node (node token), waiting at most `wait`
    /// seconds at the hub; `None` when there is none.
    pub async fn next_job(&self, wait: u64) -> Result<Option<Job>, HubError> {
        let r = self
            .http
            .get(format!("{}/node/jobs?wait={wait}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let r = self.check(r).await?;
        if r.status() == StatusCode::NO_CONTENT {
            return Ok(None);
        }
        Ok(Some(r.json().await?))
    }

    /// Sends a node's answer, refusal or approval note (node token).
    pub async fn send(&self, answer: &NodeAnswer) -> Result<(), HubError> {
        let r = self
            .http
            .post(format!("{}/node/answers", self.base))
            .bearer_auth(&self.token)
            .json(answer)
            .send()
            .await?;
        self.check(r).await?;
        Ok(())
    }
}
