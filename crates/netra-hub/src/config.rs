//! The hub's configuration file and the node's policy file (TOML).
//!
//! Neither holds a secret: the hub keeps only Argon2id hashes of tokens, and
//! a node names the file (or environment variable) its token is read from.
//! Relative paths are relative to the file's own directory.

use std::path::{Path, PathBuf};

use netra_federation::protocol::NodeId;
use serde::Deserialize;
use serde_json::Value;

use crate::HubError;

/// A node or an analyst the hub knows, with its token's hash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Principal {
    /// The node's name (as in its policy) or the analyst's.
    pub name: String,
    /// Argon2id PHC string of the token ([`crate::auth::hash_token`],
    /// `netra hub hash-token`).
    pub token_hash: String,
}

/// A study: which nodes take part and which analysts may submit runs.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// The study's name, as analysts and node policies write it.
    pub name: String,
    /// The nodes taking part.
    pub nodes: Vec<NodeId>,
    /// Analysts who may submit and follow its runs (every known analyst
    /// when empty).
    #[serde(default)]
    pub analysts: Vec<String>,
}

/// `netra hub --config FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    /// Address to listen on (`0.0.0.0:8443`; port 0 picks one).
    pub listen: String,
    /// PEM certificate chain of the hub.
    pub cert: PathBuf,
    /// PEM private key of the hub (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
    /// How long a round waits for answers before the run fails naming the
    /// nodes that did not answer (or goes on without them, `allow_missing`).
    #[serde(default = "default_round_timeout")]
    pub round_timeout_secs: u64,
    /// The same while a node holds the job for manual approval.
    #[serde(default = "default_approval_timeout")]
    pub approval_timeout_secs: u64,
    /// A node that has not polled for this long is shown as down; with
    /// `allow_missing`, a run goes on without it after this long.
    #[serde(default = "default_down_after")]
    pub down_after_secs: u64,
    /// The longest a node's long poll is held open.
    #[serde(default = "default_poll_wait")]
    pub poll_wait_secs: u64,
    /// The nodes, with their tokens' hashes.
    #[serde(default, rename = "node")]
    pub nodes: Vec<Principal>,
    /// The analysts, with their tokens' hashes.
    #[serde(default, rename = "analyst")]
    pub analysts: Vec<Principal>,
    /// The studies.
    #[serde(default, rename = "study")]
    pub studies: Vec<StudyConfig>,
    /// Directory where runs are kept across restarts (one JSON file a run,
    /// `crate::runs_store`); none: runs live in memory only.
    #[serde(default)]
    pub state_dir: Option<PathBuf>,
}

fn default_round_timeout() -> u64 {
    600
}
fn default_approval_timeout() -> u64 {
    7 * 24 * 3600
}
fn default_down_after() -> u64 {
    90
}
fn default_poll_wait() -> u64 {
    25
}

/// `netra node --config FILE`: who the node talks to and what it allows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodePolicy {
    /// This node's name at the hub (`"centre-a"`).
    pub name: NodeId,
    /// The hub's base URL (`https://hub.example.org:8443`).
    pub hub: String,
    /// Hubs this node may talk to; `hub` must be one of them. Empty means
    /// `hub` alone.
    #[serde(default)]
    pub trusted_hubs: Vec<String>,
    /// File holding the node's token; when absent the token is read from
    /// `NETRA_NODE_TOKEN`.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// PEM CA certificate(s) to pin: the hub's certificate must chain to
    /// them (the system's roots are then not used).
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// The registry this node answers from and audits to (SQLite path or
    /// `postgres://…` URL).
    pub registry: String,
    /// Directory of the approval queue (`netra node approve`).
    pub queue_dir: PathBuf,
    /// Studies whose jobs this node answers.
    #[serde(default)]
    pub studies: Vec<String>,
    /// Analyses this node answers (`"km"`, `"cox"` …).
    #[serde(default)]
    pub analyses: Vec<String>,
    /// Hold every new run for `netra node approve RUN-ID`.
    #[serde(default)]
    pub manual_approval: bool,
    /// The longest a poll waits at the hub for a job.
    #[serde(default = "default_poll_wait")]
    pub poll_wait_secs: u64,
    /// The protocol's own policy (minimum cell size, allowed variables …),
    /// passed to the responder as is.
    #[serde(default)]
    pub analysis: Value,
}

fn read(path: &Path) -> Result<String, HubError> {
    std::fs::read_to_string(path)
        .map_err(|e| HubError::Config(format!("cannot read {}: {e}", path.display())))
}

fn relative_to(base: &Path, p: &mut PathBuf) {
    if p.is_relative() {
        *p = base.join(&*p);
    }
}

fn parse<T: serde::de::DeserializeOwned>(text: &str, path: &Path) -> Result<T, HubError> {
    toml::from_str(text).map_err(|e| HubError::Config(format!("{}: {e}", path.display())))
}

impl HubConfig {
    /// Reads and checks a hub configuration file.
    pub fn load(path: &Path) -> Result<HubConfig, HubError> {
        let mut c: HubConfig = parse(&read(path)?, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        relative_to(base, &mut c.cert);
        relative_to(base, &mut c.key);
        if let Some(d) = c.state_dir.as_mut() {
            relative_to(base, d);
        }
        c.check()?;
        Ok(c)
    }

    /// Every study names known nodes; names are unique.
    pub fn check(&self) -> Result<(), HubError> {
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.nodes {
            if !seen.insert(&p.name) {
                return Err(HubError::Config(format!(
                    "node '{}' is listed twice",
                    p.name
                )));
            }
        }
        for s in &self.studies {
            for n in &s.nodes {
                if !seen.contains(n) {
                    return Err(HubError::Config(format!(
                        "study '{}' names node '{n}', which has no [[node]] entry",
                        s.name
                    )));
                }
            }
            for a in &s.analysts {
                if !self.analysts.iter().any(|p| &p.name == a) {
                    return Err(HubError::Config(format!(
                        "study '{}' names analyst '{a}', which has no [[analyst]] entry",
                        s.name
                    )));
                }
            }
        }
        Ok(())
    }

    /// The study of that name.
    pub fn study(&self, name: &str) -> Option<&StudyConfig> {
        self.studies.iter().find(|s| s.name == name)
    }
}

impl NodePolicy {
    /// Reads and checks a node policy file.
    pub fn load(path: &Path) -> Result<NodePolicy, HubError> {
        let mut p: NodePolicy = parse(&read(path)?, path)?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(f) = p.token_file.as_mut() {
            relative_to(base, f);
        }
        if let Some(f) = p.ca_file.as_mut() {
            relative_to(base, f);
        }
        relative_to(base, &mut p.queue_dir);
        if !p.registry.contains("://") {
            let mut r = PathBuf::from(&p.registry);
            relative_to(base, &mut r);
            p.registry = r.display().to_string();
        }
        p.check()?;
        Ok(p)
    }

    /// The hub is a trusted one and speaks HTTPS.
    pub fn check(&self) -> Result<(), HubError> {
        let hub = self.hub.trim_end_matches('/');
        if !hub.starts_with("https://") {
            return Err(HubError::Config(format!(
                "hub '{}' is not an https:// URL: nodes talk to hubs over TLS only",
                self.hub
            )));
        }
        if !self.trusted_hubs.is_empty()
            && !self
                .trusted_hubs
                .iter()
                .any(|t| t.trim_end_matches('/') == hub)
        {
            return Err(HubError::Config(format!(
                "hub '{}' is not among this node's trusted_hubs",
                self.hub
            )));
        }
        Ok(())
    }

    /// Why this node refuses `job` under its policy, if it does.
    pub fn refusal(&self, study: &str, analysis: &str) -> Option<String> {
        if !self.studies.iter().any(|s| s == study) {
            return Some(format!(
                "study '{study}' is not trusted by {}'s policy",
                self.name
            ));
        }
        if !self.analyses.iter().any(|a| a == analysis) {
            return Some(format!(
                "analysis '{analysis}' is not allowed by {}'s policy",
                self.name
            ));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_untrusted_study_and_analysis_and_http_hubs() {
        let text = r#"
            name = "centre-a"
            hub = "https://hub.test:8443"
            trusted_hubs = ["https://hub.test:8443/"]
            registry = "a.db"
            queue_dir = "queue"
            studies = ["nets"]
            analyses = ["km"]
            [analysis]
            min_cell = 5
        "#;
        let p: NodePolicy = toml::from_str(text).unwrap();
        assert!(p.check().is_ok());
        assert_eq!(p.analysis["min_cell"], 5);
        assert_eq!(p.refusal("nets", "km"), None);
        assert_eq!(
            p.refusal("nets", "cox").unwrap(),
            "analysis 'cox' is not allowed by centre-a's policy"
        );
        assert!(p.refusal("other", "km").unwrap().contains("study 'other'"));
        let plain = NodePolicy {
            hub: "http://hub.test".into(),
            ..p.clone()
        };
        assert!(plain.check().is_err());
        let elsewhere = NodePolicy {
            hub: "https://evil.test".into(),
            ..p
        };
        assert!(
            elsewhere
                .check()
                .unwrap_err()
                .to_string()
                .contains("trusted_hubs")
        );
    }

    #[test]
    fn hub_config_rejects_unknown_nodes_in_studies() {
        let text = r#"
            listen = "127.0.0.1:0"
            cert = "c.pem"
            key = "k.pem"
            [[node]]
            name = "a"
            token_hash = "x"
            [[study]]
            name = "s"
            nodes = ["a", "b"]
        "#;
        let c: HubConfig = toml::from_str(text).unwrap();
        assert_eq!(c.round_timeout_secs, 600);
        assert!(c.check().unwrap_err().to_string().contains("node 'b'"));
    }
}
