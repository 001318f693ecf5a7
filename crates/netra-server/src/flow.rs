//! The new-patient flow: a patient created through the web form starts a
//! flow in the session that created it, and the records that session then
//! *creates* for that patient need no typed reason (issue 15, section 3:
//! one patient with a treatment and two scans took twelve saves, each
//! asking why). The audit trail still records who and when, with the
//! system reason [`FLOW_REASON`]. Edits and deletions always ask for a
//! reason, as do records of patients the session did not create.
//!
//! The flows live in the server's memory, keyed by the session's token
//! hash: a restart, a logout or a second server process forgets them, and
//! the forms then ask for a reason again (the safe side). A session keeps
//! at most [`MAX_PATIENTS`] flow patients and the server at most
//! [`MAX_SESSIONS`] sessions' flows (past either, the oldest are
//! forgotten), so memory stays bounded whatever the clients do.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::session::Session;

/// The audit reason of a record created in the new-patient flow.
pub const FLOW_REASON: &str = "created in new-patient flow";

/// Flow patients kept per session.
pub const MAX_PATIENTS: usize = 200;
/// Sessions whose flows are kept.
pub const MAX_SESSIONS: usize = 10_000;

/// The flows of every session of this server.
#[derive(Debug, Default)]
pub struct Flows {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Token hash → the patients created by that session, oldest first.
    by_session: HashMap<String, VecDeque<String>>,
    /// Token hashes in the order their first flow started.
    order: VecDeque<String>,
}

impl Flows {
    /// Records that `session` created patient `code` through the form.
    pub fn start(&self, session: &Session, code: &str) {
        let Ok(mut g) = self.inner.lock() else {
            return;
        };
        let inner = &mut *g;
        if !inner.by_session.contains_key(&session.token_hash) {
            while inner.order.len() >= MAX_SESSIONS {
                if let Some(old) = inner.order.pop_front() {
                    inner.by_session.remove(&old);
                }
            }
            inner.order.push_back(session.token_hash.clone());
        }
        let list = inner
            .by_session
            .entry(session.token_hash.clone())
            .or_default();
        if !list.iter().any(|c| c == code) {
            if list.len() >= MAX_PATIENTS {
                list.pop_front();
            }
            list.push_back(code.to_string());
        }
    }

    /// True when `session` created patient `code` (its new-patient flow).
    pub fn contains(&self, session: &Session, code: &str) -> bool {
        self.inner.lock().is_ok_and(|g| {
            g.by_session
                .get(&session.token_hash)
                .is_some_and(|l| l.iter().any(|c| c == code.trim()))
        })
    }

    /// Forgets the flows of a session (logout).
    pub fn end(&self, token_hash: &str) {
        if let Ok(mut g) = self.inner.lock() {
            g.by_session.remove(token_hash);
            g.order.retain(|t| t != token_hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounts::{Role, User};

    fn session(token: &str) -> Session {
        Session {
            token_hash: token.into(),
            user: User {
                username: "dm".into(),
                display_name: None,
                role: Role::DataManager,
                sites: vec!["a".into()],
                active: true,
            },
            csrf: String::new(),
            created_at: 0,
            last_seen: 0,
        }
    }

    #[test]
    fn a_flow_belongs_to_its_session_and_ends_with_it() {
        let f = Flows::default();
        let (s1, s2) = (session("t1"), session("t2"));
        f.start(&s1, "P1");
        assert!(f.contains(&s1, "P1"));
        assert!(!f.contains(&s2, "P1"), "another session's patient");
        assert!(!f.contains(&s1, "P2"));
        f.end("t1");
        assert!(!f.contains(&s1, "P1"));
    }

    #[test]
    fn a_session_keeps_its_latest_patients_only() {
        let f = Flows::default();
        let s = session("t");
        for i in 0..=MAX_PATIENTS {
            f.start(&s, &format!("P{i}"));
        }
        assert!(!f.contains(&s, "P0"), "the oldest is forgotten");
        assert!(f.contains(&s, &format!("P{MAX_PATIENTS}")));
    }
}
